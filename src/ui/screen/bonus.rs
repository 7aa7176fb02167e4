//! The bonus question before payment (spec/rules.md): the balance, what it
//! would take off, yes or no. Both answers are the same size: no nudging.

use super::Action;
use crate::domain::Money;
use crate::ui::Element;
use crate::ui::text::kr;
use crate::ui::theme;
use crate::ui::widget::{Look, big, body, title};
use iced::widget::{column, container, row};
use iced::{Alignment, Length};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub balance: Money,
    pub amount: Money,
    /// The purchase's total: what is left to pay is shown for both answers.
    pub total: Money,
}

pub fn view<'a>(look: Look, state: &State) -> Element<'a, Action> {
    container(
        column![
            title(look, look.tr("Use your student bonus?")),
            body(
                look,
                format!("{}: {}", look.tr("You have"), kr(state.balance))
            ),
            body(look, format!("{}: {}", look.tr("Use"), kr(state.amount))),
            body(
                look,
                match state.total.checked_sub(state.amount) {
                    Some(left) => format!(
                        "{}: {}  ·  {}: {}",
                        look.tr("Left to pay with bonus"),
                        kr(left),
                        look.tr("without"),
                        kr(state.total)
                    ),
                    None => format!("{}: {}", look.tr("Total"), kr(state.total)),
                }
            ),
            row![
                big(
                    look,
                    look.tr("Yes, use bonus"),
                    Some(Action::Bonus(true)),
                    theme::button::success
                )
                .width(Length::Fixed(300.0)),
                big(
                    look,
                    look.tr("No, save it"),
                    Some(Action::Bonus(false)),
                    theme::button::tile
                )
                .width(Length::Fixed(300.0)),
            ]
            .spacing(24),
            big(
                look,
                look.tr("Back to the cart"),
                Some(Action::BackToCart),
                theme::button::tile
            )
            .width(Length::Fixed(300.0)),
        ]
        .spacing(24)
        .align_x(Alignment::Center),
    )
    .center(Length::Fill)
    .into()
}
