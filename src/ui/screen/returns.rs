//! The cashier's returns: find the sale by its receipt number (typed) or
//! its receipt QR (scanned), choose the units going back, see what goes
//! back how, and refund. Each stage waits visibly for the ledger or the
//! provider; a refusal says why and loses nothing.

use super::{Action, Key};
use crate::domain::TenderKind;
use crate::till::{ReturnPlan, Returnable};
use crate::ui::Element;
use crate::ui::text::kr;
use crate::ui::theme;
use crate::ui::widget::{Look, big, title};
use iced::widget::{column, container, row, scrollable, text, text_input};
use iced::{Font, Length};

/// The receipt number field: it has the keyboard while the screen is open.
pub const FIELD: &str = "return-receipt";

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Stage {
    /// Type the receipt number or scan the receipt QR.
    #[default]
    Find,
    /// Asking the ledger about the sale.
    Looking,
    /// Units chosen per line (index = line − 1).
    Choose {
        of: Box<Returnable>,
        units: Vec<u32>,
    },
    /// What goes back, asked before anything moves.
    Confirm { plan: Box<ReturnPlan> },
    /// The ledger holds the units and the provider refunds.
    Refunding { plan: Box<ReturnPlan>, id: String },
    /// The provider refunded but the return was not saved: saving again
    /// never refunds again.
    NotSaved {
        plan: Box<ReturnPlan>,
        id: String,
        /// The provider's transaction id of the refund.
        reference: Option<String>,
    },
    /// The Returkvittering, as printed.
    Done(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct State {
    pub query: String,
    pub stage: Stage,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Query(String),
    Find,
    /// One more unit of line n (1-based); past the units left, none again.
    Unit(usize),
    /// Every unit left of every line.
    All,
    Plan,
    Refund,
    Back,
}

impl State {
    /// The units chosen, as (line, units).
    pub fn chosen(&self) -> Vec<(usize, u32)> {
        match &self.stage {
            Stage::Choose { units, .. } => units
                .iter()
                .enumerate()
                .filter(|(_, q)| **q > 0)
                .map(|(i, q)| (i + 1, *q))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Keys: Enter finds / goes on, digits 1–9 add a unit of that line
    /// while choosing, F8 all units, Escape goes back a step.
    pub fn key(&self, key: Key) -> Option<Message> {
        match (&self.stage, key) {
            (_, Key::Escape) => Some(Message::Back),
            // Typed while the field has no focus (a tap elsewhere): the
            // digits still go into it.
            (Stage::Find, Key::Digit(c)) => Some(Message::Query(format!("{}{c}", self.query))),
            (Stage::Find, Key::Backspace) => {
                let mut q = self.query.clone();
                q.pop();
                Some(Message::Query(q))
            }
            (Stage::Find, Key::Enter) => Some(Message::Find),
            (Stage::Choose { .. }, Key::Enter) => Some(Message::Plan),
            (Stage::Choose { .. }, Key::Digit(c)) => c
                .to_digit(10)
                .filter(|d| *d > 0)
                .map(|d| Message::Unit(d as usize)),
            (Stage::Choose { .. }, Key::F(8)) => Some(Message::All),
            (Stage::Confirm { .. } | Stage::NotSaved { .. }, Key::Enter) => Some(Message::Refund),
            (Stage::Done(_), Key::Enter) => Some(Message::Back),
            _ => None,
        }
    }

    /// A screen-local message; what crosses to the till is an action.
    pub fn update(&mut self, message: Message) -> Option<Action> {
        match message {
            Message::Query(q) => {
                if matches!(self.stage, Stage::Find) {
                    self.query = q;
                }
                None
            }
            Message::Find => matches!(self.stage, Stage::Find)
                .then(|| Action::FindReturn(self.query.trim().to_string())),
            Message::Unit(n) => {
                if let Stage::Choose { of, units } = &mut self.stage
                    && let (Some(l), Some(u)) = (
                        of.lines.get(n.wrapping_sub(1)),
                        units.get_mut(n.wrapping_sub(1)),
                    )
                {
                    *u = if *u >= l.left() { 0 } else { *u + 1 };
                    self.error = None;
                }
                None
            }
            Message::All => {
                if let Stage::Choose { of, units } = &mut self.stage {
                    for (u, l) in units.iter_mut().zip(&of.lines) {
                        *u = l.left();
                    }
                }
                None
            }
            Message::Plan => match &self.stage {
                Stage::Choose { .. } => Some(Action::PlanReturn(self.chosen())),
                _ => None,
            },
            Message::Refund => match &self.stage {
                Stage::Confirm { .. } | Stage::NotSaved { .. } => Some(Action::Refund),
                _ => None,
            },
            Message::Back => match &self.stage {
                // Nothing may be left half-way while money moves.
                Stage::Looking | Stage::Refunding { .. } | Stage::NotSaved { .. } => None,
                Stage::Confirm { plan } => {
                    let of = plan.of.clone();
                    let mut units = vec![0; of.lines.len()];
                    for (n, q) in &plan.units {
                        if let Some(u) = units.get_mut(n.wrapping_sub(1)) {
                            *u = *q;
                        }
                    }
                    self.stage = Stage::Choose {
                        of: Box::new(of),
                        units,
                    };
                    None
                }
                Stage::Choose { .. } => {
                    *self = State::default();
                    None
                }
                Stage::Find | Stage::Done(_) => Some(Action::CloseOverlay),
            },
        }
    }
}

fn how(look: Look, kind: Option<TenderKind>) -> &'static str {
    match kind {
        Some(TenderKind::Card) => look.tr("to the card"),
        Some(TenderKind::Vipps) => look.tr("to Vipps"),
        Some(TenderKind::Cash) => look.tr("in cash from the drawer"),
        Some(TenderKind::Bonus) | None => "",
    }
}

pub fn view<'a>(look: Look, state: &'a State) -> Element<'a, Message> {
    let error: Element<'a, Message> = match &state.error {
        Some(e) => text(e.clone())
            .size(look.sizes.body)
            .color(theme::DANGER)
            .into(),
        None => iced::widget::Space::new().into(),
    };
    let body: Element<'a, Message> = match &state.stage {
        Stage::Find => column![
            text(
                look.tr("Type the receipt number and press Enter, or scan the receipt's QR code.")
            )
            .size(look.sizes.body),
            text_input(look.tr("Receipt number"), &state.query)
                .id(FIELD)
                .on_input(Message::Query)
                .on_submit(Message::Find)
                .size(look.sizes.heading)
                .padding(12),
            big(
                look,
                look.tr("Find the sale"),
                (!state.query.trim().is_empty()).then_some(Message::Find),
                theme::button::primary
            )
            .width(Length::Fill),
        ]
        .spacing(14)
        .into(),
        Stage::Looking => text(look.tr("Looking up the sale…"))
            .size(look.sizes.heading)
            .into(),
        Stage::Choose { of, units } => {
            let mut lines = column![].spacing(8);
            for (l, u) in of.lines.iter().zip(units) {
                let label = format!(
                    "{}. {} × {}  {}   {}: {}/{}",
                    l.line,
                    l.qty,
                    l.name,
                    kr(l.amount),
                    look.tr("back"),
                    u,
                    l.left()
                );
                lines = lines.push(
                    big(
                        look,
                        label,
                        (l.left() > 0).then_some(Message::Unit(l.line)),
                        if *u > 0 {
                            theme::button::primary
                        } else {
                            theme::button::tile
                        },
                    )
                    .width(Length::Fill),
                );
            }
            column![
                text(format!(
                    "{} {} · {} · {}",
                    look.tr("Sales receipt"),
                    of.number,
                    of.till,
                    of.at.format("%d.%m.%Y %H:%M")
                ))
                .size(look.sizes.heading),
                text(look.tr("Tap a line (or press its number) once per unit going back."))
                    .size(look.sizes.small)
                    .color(theme::MUTED),
                scrollable(lines).spacing(6).height(Length::Fill),
                row![
                    big(
                        look,
                        look.tr("All"),
                        Some(Message::All),
                        theme::button::tile
                    )
                    .width(Length::FillPortion(1)),
                    big(
                        look,
                        look.tr("Go on"),
                        units.iter().any(|u| *u > 0).then_some(Message::Plan),
                        theme::button::success
                    )
                    .width(Length::FillPortion(2)),
                ]
                .spacing(10),
            ]
            .spacing(12)
            .into()
        }
        Stage::Confirm { plan } | Stage::Refunding { plan, .. } | Stage::NotSaved { plan, .. } => {
            let waiting = matches!(state.stage, Stage::Refunding { .. });
            let again = matches!(state.stage, Stage::NotSaved { .. });
            let mut facts = column![
                text(format!(
                    "{} {} · {} · {}",
                    look.tr("Sales receipt"),
                    plan.of.number,
                    plan.of.till,
                    plan.of.at.format("%d.%m.%Y %H:%M")
                ))
                .size(look.sizes.body)
                .color(theme::MUTED),
            ]
            .spacing(8);
            for (n, units) in &plan.units {
                if let Some(l) = plan.of.lines.get(n.wrapping_sub(1)) {
                    facts = facts.push(text(format!("{units} × {}", l.name)).size(look.sizes.body));
                }
            }
            facts = facts.push(
                text(format!("{}: {}", look.tr("Back in all"), kr(plan.amount)))
                    .size(look.sizes.heading),
            );
            // What goes back how; a part that is zero is not named.
            let parts = [
                (
                    plan.bonus_back,
                    format!(
                        "{}: {}",
                        look.tr("Bonus back to the student"),
                        kr(plan.bonus_back)
                    ),
                ),
                (
                    plan.money_back,
                    format!("{} {}", kr(plan.money_back), how(look, plan.tender)),
                ),
                (
                    plan.earned_back,
                    format!(
                        "{}: {}",
                        look.tr("Bonus earned on these lines, taken back"),
                        kr(plan.earned_back)
                    ),
                ),
            ];
            for (amount, line) in parts {
                if !amount.is_zero() {
                    facts = facts.push(text(line).size(look.sizes.body));
                }
            }
            let action: Element<'a, Message> = if waiting {
                text(look.tr("Refunding… wait until it is finished."))
                    .size(look.sizes.heading)
                    .into()
            } else {
                row![
                    big(
                        look,
                        if again {
                            look.tr("Save the return again")
                        } else {
                            look.tr("Refund")
                        },
                        Some(Message::Refund),
                        theme::button::success
                    )
                    .width(Length::FillPortion(2)),
                    big(
                        look,
                        look.tr("Back"),
                        Some(Message::Back),
                        theme::button::tile
                    )
                    .width(Length::FillPortion(1)),
                ]
                .spacing(10)
                .into()
            };
            column![facts, action].spacing(20).into()
        }
        Stage::Done(paper) => column![
            text(look.tr("✓ Returned and saved")).size(look.sizes.heading),
            scrollable(
                text(paper.clone())
                    .font(Font::MONOSPACE)
                    .size(look.sizes.small)
                    .width(Length::Fill)
            )
            .spacing(6)
            .height(Length::Fill),
        ]
        .spacing(12)
        .into(),
    };
    let back: Element<'a, Message> = match state.stage {
        Stage::Looking
        | Stage::Refunding { .. }
        | Stage::Confirm { .. }
        | Stage::NotSaved { .. } => iced::widget::Space::new().into(),
        _ => big(
            look,
            look.tr("Back"),
            Some(Message::Back),
            theme::button::tile,
        )
        .width(Length::Fixed(220.0))
        .into(),
    };
    container(
        column![
            title(look, look.tr("Return")),
            text(look.tr("Keys: Enter go on · 1–9 line · F8 all · Escape back"))
                .size(look.sizes.small)
                .color(theme::MUTED),
            error,
            body,
            back
        ]
        .spacing(16),
    )
    .padding(24)
    .width(Length::Fill)
    .height(Length::Fill)
    .into()
}
