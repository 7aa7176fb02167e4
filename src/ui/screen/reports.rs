//! The cashier's back office: X report (any time), Z report (closes the
//! day, once), a copy of the last receipt, training mode, the drawer.

use super::{Action, Key};
use crate::domain::cash::Direction;
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
    /// The cash counted in the drawer, typed before the Z is asked for.
    pub counted: Option<crate::domain::Money>,
}

/// The cashier's keys: F1 X report, F2 Z report (the cash counted first;
/// Enter runs it once asked, Escape does not), F3 copy of the last
/// receipt, F5 cash in, F6 cash out, Escape back.
pub fn key(state: &State, key: Key) -> Option<Action> {
    match (state.confirm_z, key) {
        (true, Key::Enter) => Some(Action::Report(Kind::Z)),
        (true, Key::Escape) => Some(Action::AskZ(false)),
        (false, Key::F(1)) => Some(Action::Report(Kind::X)),
        (false, Key::F(2)) => Some(Action::AskZ(true)),
        (false, Key::F(3)) => Some(Action::CopyLastReceipt),
        (false, Key::F(5)) => Some(Action::Cash(Direction::In)),
        (false, Key::F(6)) => Some(Action::Cash(Direction::Out)),
        (false, Key::Escape) => Some(Action::CloseOverlay),
        _ => None,
    }
}

pub fn view<'a>(look: Look, state: &'a State, training: bool) -> Element<'a, Action> {
    let button = |label: String, action: Action, style: crate::ui::widget::Style| {
        big(look, label, Some(action), style).width(Length::Fill)
    };
    // Two buttons a row: seven in a column did not fit 1024×768 in large text.
    let buttons = column![
        row![
            button(
                look.tr("X report").into(),
                Action::Report(Kind::X),
                theme::button::primary
            ),
            button(
                look.tr("Z report (close the day)").into(),
                Action::AskZ(true),
                theme::button::danger
            ),
        ]
        .spacing(10),
        row![
            button(
                look.tr("Copy receipt").into(),
                Action::CopyLastReceipt,
                theme::button::tile
            ),
            button(
                format!(
                    "{}: {}",
                    look.tr("Training"),
                    if training { "✓" } else { "–" }
                ),
                Action::Training(!training),
                theme::button::tile
            ),
        ]
        .spacing(10),
        row![
            button(
                look.tr("Cash in").into(),
                Action::Cash(Direction::In),
                theme::button::tile
            ),
            button(
                look.tr("Cash out").into(),
                Action::Cash(Direction::Out),
                theme::button::tile
            ),
        ]
        .spacing(10),
        row![
            button(
                look.tr("Open drawer").into(),
                Action::OpenDrawer,
                theme::button::tile
            ),
            button(
                look.tr("Close the till").into(),
                Action::Logout,
                theme::button::tile
            ),
        ]
        .spacing(10),
    ]
    .spacing(10)
    .width(Length::FillPortion(1));
    let paper: Element<'a, Action> = if state.confirm_z {
        column![
            text(look.tr(
                "Close the day with a Z report? This is done once per day and cannot be undone."
            ))
            .size(look.sizes.heading),
            text(format!(
                "{}: {}",
                look.tr("Cash counted"),
                state.counted.map_or_else(String::new, crate::ui::text::kr)
            ))
            .size(look.sizes.body),
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
        // The paper's full width: the scrollbar sits at its edge, never on
        // the widest line's last digit.
        scrollable(
            text(state.shown.clone().unwrap_or_default())
                .font(Font::MONOSPACE)
                .size(look.sizes.small)
                .width(Length::Fill),
        )
        .spacing(6)
        .width(Length::Fill)
        .into()
    };
    let paper = container(paper)
        .padding(16)
        .style(theme::container::panel)
        .width(Length::FillPortion(2))
        .height(Length::Fill);
    column![
        // Back stands by the title: a fifth row of buttons did not fit
        // 1024×768 in large text.
        row![
            title(look, look.tr("Reports")),
            crate::ui::widget::fill(),
            big(
                look,
                look.tr("Back"),
                Some(Action::CloseOverlay),
                theme::button::success
            )
            .width(Length::Fixed(200.0)),
        ]
        .align_y(iced::Alignment::Center),
        row![buttons, paper].spacing(16).height(Length::Fill),
        text(look.tr("Keys: F1 X · F2 Z · F3 copy · F5 cash in · F6 cash out · Esc back"))
            .size(look.sizes.small)
            .color(theme::MUTED),
    ]
    .spacing(12)
    .padding(16)
    .into()
}
