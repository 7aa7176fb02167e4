//! The cashier's back office: X report (any time), Z report (closes the
//! day, once), a copy of the last receipt, training mode, the drawer.

use super::{Action, Key};
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{Look, big, title};
use iced::widget::{column, container, row, scrollable, text};
use iced::{Font, Length};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    X,
    Z,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// The last report or receipt copy, as printed.
    pub shown: Option<String>,
    /// "Close the day?" is asked before a Z report.
    pub confirm_z: bool,
}

/// The cashier's keys: F1 X report, F2 Z report (Enter runs it once
/// asked, Escape does not), F3 copy of the last receipt, Escape back.
pub fn key(state: &State, key: Key) -> Option<Action> {
    match (state.confirm_z, key) {
        (true, Key::Enter) => Some(Action::Report(Kind::Z)),
        (true, Key::Escape) => Some(Action::AskZ(false)),
        (false, Key::F(1)) => Some(Action::Report(Kind::X)),
        (false, Key::F(2)) => Some(Action::AskZ(true)),
        (false, Key::F(3)) => Some(Action::CopyLastReceipt),
        (false, Key::Escape) => Some(Action::CloseOverlay),
        _ => None,
    }
}

pub fn view<'a>(look: Look, state: &'a State, training: bool) -> Element<'a, Action> {
    let buttons = column![
        big(
            look,
            look.tr("X report"),
            Some(Action::Report(Kind::X)),
            theme::button::primary
        )
        .width(Length::Fill),
        big(
            look,
            look.tr("Z report (close the day)"),
            Some(Action::AskZ(true)),
            theme::button::danger
        )
        .width(Length::Fill),
        big(
            look,
            look.tr("Copy receipt"),
            Some(Action::CopyLastReceipt),
            theme::button::tile
        )
        .width(Length::Fill),
        big(
            look,
            format!(
                "{}: {}",
                look.tr("Training"),
                if training { "✓" } else { "–" }
            ),
            Some(Action::Training(!training)),
            theme::button::tile
        )
        .width(Length::Fill),
        big(
            look,
            look.tr("Open drawer"),
            Some(Action::OpenDrawer),
            theme::button::tile
        )
        .width(Length::Fill),
        big(
            look,
            look.tr("Close the till"),
            Some(Action::Logout),
            theme::button::tile
        )
        .width(Length::Fill),
        big(
            look,
            look.tr("Back"),
            Some(Action::CloseOverlay),
            theme::button::success
        )
        .width(Length::Fill),
    ]
    .spacing(10)
    .width(Length::FillPortion(1));
    let paper: Element<'a, Action> = if state.confirm_z {
        column![
            text(look.tr(
                "Close the day with a Z report? This is done once per day and cannot be undone."
            ))
            .size(look.sizes.heading),
            row![
                big(
                    look,
                    look.tr("Run the Z report"),
                    Some(Action::Report(Kind::Z)),
                    theme::button::danger
                )
                .width(Length::Fixed(260.0)),
                big(
                    look,
                    look.tr("Cancel"),
                    Some(Action::AskZ(false)),
                    theme::button::tile
                )
                .width(Length::Fixed(200.0)),
            ]
            .spacing(16),
        ]
        .spacing(20)
        .into()
    } else {
        scrollable(
            text(state.shown.clone().unwrap_or_default())
                .font(Font::MONOSPACE)
                .size(look.sizes.small),
        )
        .into()
    };
    let paper = container(paper)
        .padding(16)
        .style(theme::container::panel)
        .width(Length::FillPortion(2))
        .height(Length::Fill);
    column![
        title(look, look.tr("Reports")),
        row![buttons, paper].spacing(16).height(Length::Fill),
        text(look.tr("Keys: F1 X · F2 Z · F3 copy · Esc back"))
            .size(look.sizes.small)
            .color(theme::MUTED),
    ]
    .spacing(12)
    .padding(16)
    .into()
}
