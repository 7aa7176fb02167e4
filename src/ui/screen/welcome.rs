//! Welcome: "Scan the QR code in your app, or tap an item", the quick items,
//! the language switch and Help, and how to switch speech on, in both
//! languages at once (whoever needs it may not read the screen's language).
//! Stateless: every press is an action.

use super::Action;
use crate::domain::Product;
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{Look, big, body, title};
use iced::widget::{column, container, row};
use iced::{Alignment, Length};

/// How speech is switched on, said in both languages whatever the screen's.
pub const SPEECH_HINT: &str = "Tale: hold OK i 2 sekunder  ·  Speech: hold OK for 2 seconds";
/// The button that switches speech on or off.
pub const SPEECH_BUTTON: &str = "Tale / Speech";
/// The low-layout switch: every control in the lower part of the screen,
/// within reach from a wheelchair. Named in both languages.
pub const LOW_BUTTON: &str = "Lavt / Low";

pub fn view<'a>(look: Look, quick: &[&Product], has_weighed: bool) -> Element<'a, Action> {
    let mut items = row![].spacing(12);
    for p in quick.iter().take(5) {
        items = items.push(
            big(
                look,
                p.name.clone(),
                Some(Action::Tap {
                    sku: p.sku.clone(),
                    qty: 1,
                }),
                theme::button::tile,
            )
            .width(Length::Fixed(190.0)),
        );
    }
    let mut choices = column![items].spacing(16).align_x(Alignment::Center);
    if has_weighed {
        choices = choices.push(
            big(
                look,
                look.tr("Weigh food"),
                Some(Action::OpenWeigh),
                theme::button::primary,
            )
            .width(Length::Fixed(320.0)),
        );
    }
    container(
        column![
            title(look, look.tr("Welcome")),
            body(
                look,
                look.tr("Scan the QR code in your app, or tap an item")
            ),
            choices,
            body(look, SPEECH_HINT),
            row![
                big(
                    look,
                    SPEECH_BUTTON,
                    Some(Action::Speech),
                    theme::button::tile
                )
                .width(Length::Fixed(260.0)),
                big(
                    look,
                    LOW_BUTTON,
                    Some(Action::LowLayout),
                    theme::button::tile
                )
                .width(Length::Fixed(200.0)),
            ]
            .spacing(20)
            .align_y(Alignment::Center),
        ]
        .spacing(28)
        .align_x(Alignment::Center),
    )
    .center(Length::Fill)
    .into()
}
