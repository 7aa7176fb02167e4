//! "Are you sure?" for what cannot be undone: cancelling a purchase that has
//! lines, and removing a line. Shown over the screen (nothing under it
//! moves); Enter answers yes and Escape no at an operated checkout.

use super::Action;
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{self, Look, big};
use iced::Length;

/// No widget has this id: focusing it takes the keyboard from every field
/// while a question is asked.
pub const NO_FIELD: &str = "confirm-no-field";

/// What the customer or cashier asked for, waiting for a yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Cancel the open purchase (it has lines).
    CancelSale,
    /// Remove line `line` (1-based), which shows `what`.
    Void { line: usize, what: String },
}

pub fn view<'a>(look: Look, ask: &Ask) -> Element<'a, Action> {
    let (question, detail, yes, no) = match ask {
        Ask::CancelSale => (
            look.tr("Cancel the whole purchase?"),
            look.tr("Everything in the cart is removed.").to_string(),
            look.tr("Yes, cancel"),
            look.tr("No, keep shopping"),
        ),
        Ask::Void { line, what } => (
            look.tr("Remove this line?"),
            format!("{line}. {what}"),
            look.tr("Yes, remove"),
            look.tr("No, keep it"),
        ),
    };
    widget::dialog(
        look,
        question,
        detail,
        vec![
            // "No" first, where the finger that asked usually is not.
            big(look, no, Some(Action::Answer(false)), theme::button::tile)
                .width(Length::Fixed(300.0))
                .into(),
            big(look, yes, Some(Action::Answer(true)), theme::button::danger)
                .width(Length::Fixed(300.0))
                .into(),
        ],
    )
}
