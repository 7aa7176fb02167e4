//! Thank you: the total, what paid it (bonus, card, Vipps, cash), change,
//! bonus earned, then back to Welcome by itself.

use super::Action;
use crate::domain::{Money, Receipt, TenderKind};
use crate::ui::Element;
use crate::ui::text::kr;
use crate::ui::theme;
use crate::ui::widget::{Look, big, body, title};
use iced::widget::{column, container};
use iced::{Alignment, Length};
use std::time::{Duration, Instant};

/// How long the thank-you stays before the next customer.
pub const SHOW_FOR: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub total: Money,
    /// What paid the total, in the order it was taken (bonus first).
    pub paid: Vec<(TenderKind, Money)>,
    /// Cash rounding to whole kroner, when any.
    pub rounding: Money,
    pub bonus_earned: Money,
    pub change: Option<Money>,
    pub until: Instant,
}

impl State {
    pub fn new(receipt: &Receipt, change: Option<Money>, now: Instant) -> State {
        State {
            total: receipt.total,
            paid: receipt.tenders.iter().map(|t| (t.kind, t.amount)).collect(),
            rounding: receipt.rounding,
            bonus_earned: receipt.bonus_earned,
            change,
            until: now + SHOW_FOR,
        }
    }

    /// On each tick: time for the next customer?
    pub fn tick(&self, now: Instant) -> Option<Action> {
        (now >= self.until).then_some(Action::NextCustomer)
    }
}

pub fn view<'a>(look: Look, state: &State) -> Element<'a, Action> {
    let mut col = column![
        title(look, look.tr("Thank you!")),
        body(look, format!("{}: {}", look.tr("Total"), kr(state.total))),
    ]
    .spacing(20)
    .align_x(Alignment::Center);
    for (kind, amount) in &state.paid {
        let how = match kind {
            TenderKind::Bonus => look.tr("Paid with bonus"),
            TenderKind::Card => look.tr("Paid by card"),
            TenderKind::Vipps => look.tr("Paid with Vipps"),
            TenderKind::Cash => look.tr("Paid in cash"),
        };
        col = col.push(body(look, format!("{how}: {}", kr(*amount))));
    }
    if !state.rounding.is_zero() {
        col = col.push(body(
            look,
            format!("{}: {}", look.tr("Rounding"), kr(state.rounding)),
        ));
    }
    if let Some(change) = state.change {
        col = col.push(title(
            look,
            format!("{}: {}", look.tr("Change"), kr(change)),
        ));
    }
    if state.bonus_earned.is_positive() {
        col = col.push(body(
            look,
            format!("{}: {}", look.tr("Bonus earned"), kr(state.bonus_earned)),
        ));
    }
    col = col.push(
        big(
            look,
            look.tr("Done"),
            Some(Action::NextCustomer),
            theme::button::primary,
        )
        .width(Length::Fixed(240.0)),
    );
    container(col).center(Length::Fill).into()
}
