//! Payment: choose card or Vipps (and cash at an operated checkout), then the
//! terminal's progress until it approves, declines or times out. A decline or
//! a cancel goes back to the cart with the sale intact.

use super::{Action, Key};
use crate::domain::{Money, Receipt, TenderKind};
use crate::payments::{Decline, PaymentUpdate, Step};
use crate::till::{Answer, Failure, Outcome, TillError};
use crate::ui::Element;
use crate::ui::text::{self as words, Lang, kr, tr};
use crate::ui::theme;
use crate::ui::widget::{self, Look, big, body, heading, title};
use iced::widget::{column, container, image, progress_bar, row, text};
use iced::{Alignment, Length};
use rust_decimal::Decimal;

#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Choose,
    /// The cashier types what the customer handed over.
    Cash {
        entry: String,
    },
    /// Coupons, clips and bonus are being reserved at the ledger.
    Reserving,
    /// The terminal (or Vipps) is working; `step` of about `STEPS`.
    Waiting {
        kind: TenderKind,
        progress: Option<Step>,
        step: u32,
        /// Cancel was pressed; the provider has been asked to stop.
        cancelling: bool,
    },
    /// Declined, cancelled or timed out: say why, offer to try again.
    Failed {
        why: String,
    },
    /// The till lost track of the payment (timeout, dropped reply): the
    /// provider is being asked what became of it.
    Confirming,
    /// Approved, but the sale could not be written (disk full, …), or
    /// (`answer` None) the provider could not be asked what became of the
    /// payment: the intent stays open, nothing is charged twice; "Try again"
    /// saves or asks again.
    NotSaved {
        why: String,
        intent: String,
        answer: Option<Answer>,
    },
}

pub use crate::ui::text::step_text;

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub stage: Stage,
    /// Due with a card or Vipps (exact) and with cash (whole kroner).
    pub due_exact: Money,
    pub due_cash: Money,
    pub bonus_used: Money,
    /// Cash is offered only at an operated checkout.
    pub cash_allowed: bool,
    pub vipps_qr: Option<image::Handle>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Choose(TenderKind),
    Digit(char),
    Comma,
    Clear,
    CashOk,
    /// Exact amount, no change.
    CashExact,
    Do(Action),
}

/// Steps the simulated terminals report before the final answer.
pub const STEPS: u32 = 3;

/// The cash typed so far as an amount: "100" or "100,50".
pub fn parse_cash(entry: &str) -> Option<Money> {
    let normal = entry.replace(',', ".");
    let d: Decimal = normal.parse().ok()?;
    (d.scale() <= 2 && !d.is_sign_negative()).then(|| Money::from_decimal(d))
}

impl State {
    pub fn new(due_exact: Money, due_cash: Money, bonus_used: Money, cash_allowed: bool) -> State {
        State {
            stage: Stage::Choose,
            due_exact,
            due_cash,
            bonus_used,
            cash_allowed,
            vipps_qr: None,
        }
    }

    /// The cashier's keyboard: F5 card, F6 Vipps, F7 cash; in the cash
    /// amount digits, comma, Backspace clears, Enter takes it; Escape goes
    /// back (or cancels a running payment).
    pub fn key(&self, key: Key) -> Option<Message> {
        match (&self.stage, key) {
            (Stage::Choose, Key::F(5)) => Some(Message::Choose(TenderKind::Card)),
            (Stage::Choose, Key::F(6)) => Some(Message::Choose(TenderKind::Vipps)),
            (Stage::Choose, Key::F(7)) => Some(Message::Choose(TenderKind::Cash)),
            (Stage::Choose | Stage::Cash { .. }, Key::Escape) => {
                Some(Message::Do(Action::BackToCart))
            }
            (Stage::Cash { .. }, Key::Digit(c)) => Some(Message::Digit(c)),
            (Stage::Cash { .. }, Key::Comma) => Some(Message::Comma),
            (Stage::Cash { .. }, Key::Backspace) => Some(Message::Clear),
            (Stage::Cash { .. }, Key::Enter) => Some(Message::CashOk),
            (
                Stage::Waiting {
                    cancelling: false, ..
                },
                Key::Escape,
            ) => Some(Message::Do(Action::CancelPayment)),
            _ => None,
        }
    }

    pub fn update(&mut self, message: Message) -> Option<Action> {
        match message {
            Message::Choose(TenderKind::Cash) if self.cash_allowed => {
                self.stage = Stage::Cash {
                    entry: String::new(),
                };
                None
            }
            Message::Choose(TenderKind::Cash | TenderKind::Bonus) => None,
            Message::Choose(kind) => Some(Action::Tender {
                kind,
                cash_given: None,
            }),
            Message::Digit(c) => {
                if let Stage::Cash { entry } = &mut self.stage
                    && entry.len() < 8
                {
                    entry.push(c);
                }
                None
            }
            Message::Comma => {
                if let Stage::Cash { entry } = &mut self.stage
                    && !entry.contains(',')
                {
                    entry.push(',');
                }
                None
            }
            Message::Clear => {
                if let Stage::Cash { entry } = &mut self.stage {
                    entry.clear();
                }
                None
            }
            Message::CashExact => Some(Action::Tender {
                kind: TenderKind::Cash,
                cash_given: Some(self.due_cash),
            }),
            Message::CashOk => {
                let Stage::Cash { entry } = &self.stage else {
                    return None;
                };
                let given = parse_cash(entry)?;
                (given >= self.due_cash).then_some(Action::Tender {
                    kind: TenderKind::Cash,
                    cash_given: Some(given),
                })
            }
            Message::Do(action) => Some(action),
        }
    }

    /// The change the cash typed so far would give, or None while too little.
    pub fn change(&self) -> Option<Money> {
        let Stage::Cash { entry } = &self.stage else {
            return None;
        };
        let given = parse_cash(entry)?;
        (given >= self.due_cash).then(|| given - self.due_cash)
    }
}

pub fn view<'a>(look: Look, state: &'a State) -> Element<'a, Message> {
    let mut col = column![title(look, look.tr("Payment"))]
        .spacing(20)
        .align_x(Alignment::Center);
    if state.bonus_used.is_positive() {
        col = col.push(body(
            look,
            format!("{}: {}", look.tr("Bonus used"), kr(state.bonus_used)),
        ));
    }
    col = col.push(
        container(widget::total_row(look, look.tr("To pay"), state.due_exact))
            .width(Length::Fixed(480.0)),
    );
    let back = big(
        look,
        look.tr("Back to the cart"),
        Some(Message::Do(Action::BackToCart)),
        theme::button::tile,
    )
    .width(Length::Fixed(320.0));
    // The cash pad stands beside the amounts, not under them: with bonus
    // and rounding lines a column would push the way back off the screen.
    let mut beside: Option<Element<'a, Message>> = None;
    match &state.stage {
        Stage::Choose => {
            col = col.push(tenders(look, state.cash_allowed)).push(back);
            if state.cash_allowed {
                col = col.push(
                    text(look.tr("Keys: F5 card · F6 Vipps · F7 cash · Esc back"))
                        .size(look.sizes.small)
                        .color(theme::MUTED),
                );
            }
        }
        Stage::Cash { entry } => {
            col = col.push(body(
                look,
                format!("{}: {}", look.tr("Cash"), kr(state.due_cash)),
            ));
            if state.due_cash != state.due_exact {
                col = col.push(text(look.tr("Rounded to whole kroner")).size(look.sizes.small));
            }
            col = col.push(heading(
                look,
                format!(
                    "{}: kr {}",
                    look.tr("Cash given"),
                    if entry.is_empty() { "0" } else { entry }
                ),
            ));
            col = col.push(match state.change() {
                Some(change) => heading(look, format!("{}: {}", look.tr("Change"), kr(change))),
                None => body(look, look.tr("Too little cash")),
            });
            col = col.push(back);
            beside = Some(cash_pad(look, state.change().is_some()));
        }
        Stage::Waiting {
            kind,
            progress,
            step,
            cancelling,
        } => {
            // The Vipps code stands beside the progress, like the cash pad.
            if *kind == TenderKind::Vipps {
                match &state.vipps_qr {
                    Some(qr) => {
                        col = col.push(body(look, look.tr("Scan with Vipps to pay")));
                        beside = Some(image(qr.clone()).width(Length::Fixed(240.0)).into());
                    }
                    // Same room as the code, so nothing jumps when it comes.
                    None => {
                        col = col.push(body(look, look.tr("Getting the Vipps code…")));
                        beside = Some(
                            container(iced::widget::Space::new())
                                .width(Length::Fixed(240.0))
                                .height(Length::Fixed(240.0))
                                .into(),
                        );
                    }
                }
            } else {
                col = col.push(body(
                    look,
                    look.tr("Follow the instructions on the terminal"),
                ));
            }
            let now = match (cancelling, progress) {
                (true, _) => look.tr("Cancelling the payment…"),
                (false, Some(p)) => look.tr(step_text(*p)),
                (false, None) => look.tr("Starting the payment…"),
            };
            col = col.push(heading(look, now));
            col = col.push(
                progress_bar(0.0..=(STEPS as f32), *step as f32)
                    .length(Length::Fixed(420.0))
                    .girth(Length::Fixed(18.0)),
            );
            col = col.push(
                big(
                    look,
                    look.tr("Cancel payment"),
                    (!cancelling).then_some(Message::Do(Action::CancelPayment)),
                    theme::button::danger,
                )
                .width(Length::Fixed(320.0)),
            );
        }
        Stage::Reserving => {
            col = col.push(heading(look, look.tr("Checking coupons, clips and bonus…")));
        }
        Stage::Confirming => {
            col = col.push(heading(
                look,
                look.tr("Checking the payment with the provider…"),
            ));
        }
        Stage::NotSaved { why, answer, .. } => {
            let (title, help) = match answer {
                Some(_) => (
                    "The sale could not be saved",
                    "The payment is approved and kept: nothing is charged twice. Try again, or call staff.",
                ),
                None => (
                    "The payment could not be confirmed",
                    "Nothing is charged twice: the payment is checked again. Try again, or call staff.",
                ),
            };
            col = col.push(
                container(
                    column![
                        text(format!("✕  {}", look.tr(title))).size(look.sizes.heading),
                        text(why.clone()).size(look.sizes.small),
                        body(look, look.tr(help)),
                    ]
                    .spacing(8),
                )
                .padding(12)
                .style(theme::container::refusal),
            );
            col = col.push(
                big(
                    look,
                    look.tr("Try again"),
                    Some(Message::Do(Action::RetrySave)),
                    theme::button::primary,
                )
                .width(Length::Fixed(320.0)),
            );
        }
        Stage::Failed { why } => {
            col = col.push(
                container(text(format!("✕  {why}")).size(look.sizes.heading))
                    .padding(12)
                    .style(theme::container::refusal),
            );
            col = col.push(tenders(look, state.cash_allowed));
            col = col.push(back);
        }
    }
    match beside {
        Some(pad) => container(row![col, pad].spacing(48).align_y(Alignment::Center))
            .center(Length::Fill)
            .into(),
        None => container(col).center(Length::Fill).into(),
    }
}

/// The tender buttons: card and Vipps, and cash at an operated checkout.
fn tenders<'a>(look: Look, cash_allowed: bool) -> Element<'a, Message> {
    let mut kinds = vec![(TenderKind::Card, "Card"), (TenderKind::Vipps, "Vipps")];
    if cash_allowed {
        kinds.push((TenderKind::Cash, "Cash"));
    }
    row(kinds.into_iter().map(|(kind, name)| {
        big(
            look,
            look.tr(name),
            Some(Message::Choose(kind)),
            theme::button::primary,
        )
        .width(Length::Fixed(220.0))
        .into()
    }))
    .spacing(20)
    .into()
}

fn cash_pad<'a>(look: Look, enough: bool) -> Element<'a, Message> {
    let ok = row![
        big(
            look,
            look.tr("Complete"),
            enough.then_some(Message::CashOk),
            theme::button::success
        )
        .width(Length::Fixed(180.0)),
        big(look, "±0", Some(Message::CashExact), theme::button::tile).width(Length::Fixed(84.0)),
    ]
    .spacing(8);
    crate::ui::widget::amount_pad(look, Message::Digit, Message::Comma, Message::Clear, ok)
}

/// A Vipps payment QR as pixels, drawn with the `qrcode` crate.
pub fn qr_image(data: &str) -> Option<image::Handle> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let gray = code
        .render::<::image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(6, 6)
        .build();
    let (w, h) = gray.dimensions();
    let rgba: Vec<u8> = gray
        .pixels()
        .flat_map(|p| [p.0[0], p.0[0], p.0[0], 255])
        .collect();
    Some(image::Handle::from_rgba(w, h, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cash_state() -> State {
        let mut s = State::new(
            Money::from_ore(6547),
            Money::from_ore(6500),
            Money::ZERO,
            true,
        );
        assert_eq!(s.update(Message::Choose(TenderKind::Cash)), None);
        s
    }

    #[test]
    fn cash_entry_gives_change_and_refuses_too_little() {
        let mut s = cash_state();
        for c in "50".chars() {
            s.update(Message::Digit(c));
        }
        assert_eq!(s.change(), None, "50 < 65");
        assert_eq!(s.update(Message::CashOk), None);
        s.update(Message::Clear);
        for c in "100".chars() {
            s.update(Message::Digit(c));
        }
        assert_eq!(s.change(), Some(Money::from_ore(3500)), "rounded due is 65");
        assert_eq!(
            s.update(Message::CashOk),
            Some(Action::Tender {
                kind: TenderKind::Cash,
                cash_given: Some(Money::from_ore(10_000))
            })
        );
    }

    #[test]
    fn self_service_has_no_cash_and_card_goes_to_the_terminal() {
        let mut s = State::new(
            Money::from_ore(100),
            Money::from_ore(100),
            Money::ZERO,
            false,
        );
        assert_eq!(s.update(Message::Choose(TenderKind::Cash)), None);
        assert_eq!(s.stage, Stage::Choose);
        assert_eq!(
            s.update(Message::Choose(TenderKind::Vipps)),
            Some(Action::Tender {
                kind: TenderKind::Vipps,
                cash_given: None
            })
        );
    }

    #[test]
    fn cash_parses_with_a_comma_and_two_decimals_at_most() {
        assert_eq!(parse_cash("100,5"), Some(Money::from_ore(10_050)));
        assert_eq!(parse_cash("100,505"), None);
        assert_eq!(parse_cash(""), None);
        assert!(qr_image("vipps://pay?amount=6547").is_some());
    }
}

/// What the payment screen asks of the app after a provider's update or the
/// till's answer: the app only routes it to the till or the provider.
#[derive(Debug)]
pub enum Next {
    /// Nothing more: the screen shows it (progress, a QR code, a stage).
    Nothing,
    /// Give the provider's final answer to the till (with why it declined).
    Answer(Answer, Option<Decline>),
    /// The till lost track of the payment: ask the provider what became of it.
    Confirm,
    /// Paid: show the receipt, with the change to hand back.
    Receipt(Box<Receipt>, Option<Money>),
    /// Approved for the wrong amount: staff are told, the provider reverses it.
    Reverse {
        intent: String,
        tender: TenderKind,
        approved: Money,
    },
}

/// An update from the provider taking this payment: progress and the QR
/// code stay on the screen (`None`: it is not on screen, or another payment
/// is running); the final word goes to the till.
pub fn provider(state: Option<&mut State>, update: PaymentUpdate) -> Next {
    let failed = |why: Failure, detail: String| Answer::Failed { why, detail };
    match update {
        PaymentUpdate::Progress(p) => {
            if let Some(State {
                stage: Stage::Waiting { progress, step, .. },
                ..
            }) = state
            {
                *progress = Some(p);
                *step = step.saturating_add(1);
            }
            Next::Nothing
        }
        PaymentUpdate::ShowQr(url) => {
            if let Some(state) = state {
                state.vipps_qr = qr_image(&url);
            }
            Next::Nothing
        }
        PaymentUpdate::Approved {
            transaction_id,
            amount,
        } => Next::Answer(
            Answer::Approved {
                transaction_id: Some(transaction_id),
                amount,
            },
            None,
        ),
        PaymentUpdate::Declined { why, reason } => {
            Next::Answer(failed(Failure::Declined, reason), Some(why))
        }
        PaymentUpdate::Cancelled => Next::Answer(failed(Failure::Cancelled, String::new()), None),
        // The till did not hear how it ended: the provider is asked.
        PaymentUpdate::TimedOut => Next::Confirm,
    }
}

/// What the screen says of a final answer that did not pay.
fn why_failed(lang: Lang, answer: &Answer, decline: Option<Decline>) -> String {
    match (answer, decline) {
        (
            Answer::Failed {
                why: Failure::Declined,
                ..
            },
            Some(d),
        ) => format!(
            "{}: {}",
            tr(lang, "Payment declined"),
            words::decline(lang, d)
        ),
        (
            Answer::Failed {
                why: Failure::Declined,
                ..
            },
            None,
        ) => tr(lang, "Payment declined").to_string(),
        (
            Answer::Failed {
                why: Failure::Cancelled,
                ..
            },
            _,
        ) => tr(lang, "Payment cancelled").to_string(),
        (Answer::Failed { .. }, _) => tr(lang, "The terminal did not answer in time").to_string(),
        (Answer::Approved { .. }, _) => String::new(),
    }
}

/// What the till made of the provider's final `answer` for `intent`: the
/// stage the screen shows next (`None`: the screen stays as it is), and what
/// the app does next.
pub fn settled(
    lang: Lang,
    intent: String,
    answer: Answer,
    decline: Option<Decline>,
    outcome: Result<Outcome, TillError>,
) -> (Option<Stage>, Next) {
    let why = why_failed(lang, &answer, decline);
    match outcome {
        Ok(Outcome::Paid {
            receipt, change, ..
        }) => (None, Next::Receipt(receipt, change)),
        Ok(Outcome::Declined { .. }) => (Some(Stage::Failed { why }), Next::Nothing),
        Ok(Outcome::AmountMismatch {
            intent,
            tender,
            asked,
            approved,
        }) => {
            let why = format!(
                "{} ({} ≠ {})",
                tr(
                    lang,
                    "The payment was for the wrong amount and is being reversed"
                ),
                kr(approved),
                kr(asked)
            );
            let reverse = Next::Reverse {
                intent,
                tender,
                approved,
            };
            (Some(Stage::Failed { why }), reverse)
        }
        // An answer for a payment already settled (a duplicate reply).
        Ok(_) => (None, Next::Nothing),
        Err(e) => {
            eprintln!("kasse: till error: {e}");
            let stage = Stage::NotSaved {
                why: words::till_error(lang, &e).to_string(),
                intent,
                answer: Some(answer),
            };
            (Some(stage), Next::Nothing)
        }
    }
}

impl State {
    /// Cancel was pressed while the provider works: the screen says so.
    pub fn cancelling(&mut self) {
        if let Stage::Waiting { cancelling, .. } = &mut self.stage {
            *cancelling = true;
        }
    }

    /// "Try again" after the sale could not be saved: the answer to save
    /// again, or (none kept) the provider to ask again.
    pub fn retry(&self) -> Option<(String, Next)> {
        let Stage::NotSaved { intent, answer, .. } = &self.stage else {
            return None;
        };
        let next = match answer {
            Some(answer) => Next::Answer(answer.clone(), None),
            None => Next::Confirm,
        };
        Some((intent.clone(), next))
    }
}
