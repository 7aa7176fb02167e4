//! Staff: the PIN pad (cashier login, or staff called by Help at a
//! self-service till) and, once in, the attendant's actions: attach a member
//! by number (no camera, no app), void a line, cancel the sale, large text.

use super::{Action, Key};
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{self, Look, big, body, heading, title};
use iced::widget::{column, container, row, text};
use iced::{Alignment, Length};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Help at a self-service till: attendant actions after the PIN.
    Attendant,
    /// An operated checkout's login.
    Login,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Member,
    Line,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Pin(String),
    Menu { field: Field, entry: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub purpose: Purpose,
    pub stage: Stage,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Digit(char),
    Clear,
    Ok,
    Field(Field),
    Do(Action),
}

impl State {
    pub fn new(purpose: Purpose) -> State {
        State {
            purpose,
            stage: Stage::Pin(String::new()),
            error: None,
        }
    }

    /// The PIN was right: show the attendant's menu.
    pub fn unlocked(&mut self) {
        self.error = None;
        self.stage = Stage::Menu {
            field: Field::Member,
            entry: String::new(),
        };
    }

    /// The keyboard on the PIN pad and the menu's number field: digits,
    /// Backspace clears, Enter is OK, Up/Down choose the field, Escape
    /// leaves the attendant's menu.
    pub fn key(&self, key: Key) -> Option<Message> {
        match (key, &self.stage) {
            (Key::Digit(c), _) => Some(Message::Digit(c)),
            (Key::Backspace, _) => Some(Message::Clear),
            (Key::Enter, _) => Some(Message::Ok),
            (Key::Up, Stage::Menu { .. }) => Some(Message::Field(Field::Member)),
            (Key::Down, Stage::Menu { .. }) => Some(Message::Field(Field::Line)),
            (Key::Escape, _) if self.purpose == Purpose::Attendant => {
                Some(Message::Do(Action::CloseOverlay))
            }
            _ => None,
        }
    }

    pub fn update(&mut self, message: Message) -> Option<Action> {
        match (&mut self.stage, message) {
            (Stage::Pin(pin), Message::Digit(c)) if pin.len() < 8 => {
                pin.push(c);
                None
            }
            (Stage::Pin(pin), Message::Clear) => {
                pin.clear();
                None
            }
            (Stage::Pin(pin), Message::Ok) => {
                let pin = std::mem::take(pin);
                (!pin.is_empty()).then_some(Action::Pin(pin))
            }
            (Stage::Menu { entry, .. }, Message::Digit(c)) if entry.len() < 12 => {
                entry.push(c);
                None
            }
            (Stage::Menu { entry, .. }, Message::Clear) => {
                entry.clear();
                None
            }
            (Stage::Menu { field, entry }, Message::Field(f)) => {
                *field = f;
                entry.clear();
                None
            }
            (Stage::Menu { field, entry }, Message::Ok) => {
                let value = std::mem::take(entry);
                if value.is_empty() {
                    return None;
                }
                Some(match field {
                    Field::Member => Action::AttachMember(format!("M-{value}")),
                    Field::Line => Action::Void(value.parse().ok()?),
                })
            }
            (_, Message::Do(action)) => Some(action),
            _ => None,
        }
    }
}

pub fn view<'a>(look: Look, state: &'a State) -> Element<'a, Message> {
    // Words and actions on the left, the keypad on the right: side by side
    // they fit 1024×768 in large text, stacked they did not.
    let mut left = column![].spacing(18).width(Length::Fixed(460.0));
    let pad = match &state.stage {
        Stage::Pin(pin) => {
            let heading_text = match state.purpose {
                Purpose::Attendant => look.tr("Staff is on the way. Staff: enter your PIN."),
                Purpose::Login => look.tr("Cashier login"),
            };
            left = left.push(heading(look, heading_text));
            if state.purpose == Purpose::Attendant {
                left = left.push(
                    big(
                        look,
                        look.tr("Back"),
                        Some(Message::Do(Action::CloseOverlay)),
                        theme::button::tile,
                    )
                    .width(Length::Fill),
                );
            }
            widget::pin_pad(
                look,
                Some(pin.len()),
                Message::Digit,
                Message::Clear,
                Message::Ok,
            )
        }
        Stage::Menu { field, entry } => {
            let label = match field {
                Field::Member => look.tr("Member number"),
                Field::Line => look.tr("Line number"),
            };
            let tab = |f: Field, name: &'static str| {
                let style: widget::Style = if *field == f {
                    theme::button::selected
                } else {
                    theme::button::tile
                };
                big(look, look.tr(name), Some(Message::Field(f)), style).width(Length::Fill)
            };
            let action = |name: &'static str, action: Action, style: widget::Style| {
                big(look, look.tr(name), Some(Message::Do(action)), style).width(Length::Fill)
            };
            left = left
                .push(title(look, look.tr("Staff")))
                .push(
                    row![
                        tab(Field::Member, "Attach member"),
                        tab(Field::Line, "Void line")
                    ]
                    .spacing(12),
                )
                .push(body(
                    look,
                    format!(
                        "{label}: {}{entry}",
                        if *field == Field::Member { "M-" } else { "" }
                    ),
                ))
                .push(
                    row![
                        action("Large text", Action::LargeText, theme::button::tile),
                        action("Log out", Action::Logout, theme::button::primary),
                    ]
                    .spacing(12),
                )
                .push(action(
                    "Cancel purchase",
                    Action::CancelSale,
                    theme::button::danger,
                ));
            widget::pin_pad(look, None, Message::Digit, Message::Clear, Message::Ok)
        }
    };
    // The error has its room whether it shows or not: the keypad must not
    // move under the finger when "Wrong PIN" appears.
    let error: Element<'a, Message> = match &state.error {
        Some(e) => container(text(format!("✕  {e}")).size(look.sizes.body))
            .padding(10)
            .style(theme::container::refusal)
            .into(),
        None => iced::widget::Space::new().into(),
    };
    left = left.push(
        container(error)
            .height(Length::Fixed(look.sizes.body * 1.5 + 24.0))
            .clip(true),
    );
    container(
        container(row![left, pad].spacing(40).align_y(Alignment::Center))
            .padding(24)
            .style(theme::container::panel),
    )
    .center(Length::Fill)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_then_menu_actions() {
        let mut s = State::new(Purpose::Attendant);
        for c in "1234".chars() {
            assert_eq!(s.update(Message::Digit(c)), None);
        }
        assert_eq!(s.update(Message::Ok), Some(Action::Pin("1234".into())));
        assert_eq!(s.stage, Stage::Pin(String::new()), "the PIN is not kept");
        s.unlocked();
        for c in "100002".chars() {
            s.update(Message::Digit(c));
        }
        assert_eq!(
            s.update(Message::Ok),
            Some(Action::AttachMember("M-100002".into()))
        );
        s.update(Message::Field(Field::Line));
        s.update(Message::Digit('2'));
        assert_eq!(s.update(Message::Ok), Some(Action::Void(2)));
        assert_eq!(s.update(Message::Ok), None, "nothing typed");
    }
}
