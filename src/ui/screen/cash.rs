//! The cashier's drawer: the opening float at the first login of a period,
//! cash in or out with a reason, and the cash counted before the Z report.
//! Amounts are typed on the keypad or the keyboard (digits, `,`), Enter is
//! OK; Up/Down choose the reason; "Other" takes a note in its own field.

use super::{Action, Key};
use crate::domain::Money;
use crate::domain::cash::{Direction, Reason, Refusal};
use crate::ui::Element;
use crate::ui::text::cash_refusal;
use crate::ui::theme;
use crate::ui::widget::{self, Look, big, body, title};
use iced::widget::{column, container, row, text, text_input};
use iced::{Alignment, Length};

/// The note field's id (focused when "Other" is chosen).
pub const NOTE: &str = "cash-note";

/// The longest amount typed: enough for any drawer, short of nonsense.
const ENTRY_MAX: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The float counted into the drawer at the first login of a period.
    Float,
    /// Cash put in or taken out.
    Move(Direction),
    /// The cash counted before the Z report.
    Count,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub purpose: Purpose,
    /// The amount as typed: "500" or "500,50".
    pub entry: String,
    /// The chosen reason (a cash movement).
    pub reason: Reason,
    pub note: String,
    /// Why the last OK did nothing.
    pub error: Option<Refusal>,
    /// What the drawer should hold now (shown when taking cash out).
    pub held: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Digit(char),
    Comma,
    Clear,
    Ok,
    Reason(Reason),
    Note(String),
    Do(Action),
}

impl State {
    pub fn new(purpose: Purpose) -> State {
        let reason = match purpose {
            Purpose::Move(dir) => Reason::offered(dir)[0],
            _ => Reason::Other,
        };
        State {
            purpose,
            entry: String::new(),
            reason,
            note: String::new(),
            error: None,
            held: None,
        }
    }

    fn offered(&self) -> &'static [Reason] {
        match self.purpose {
            Purpose::Move(dir) => Reason::offered(dir),
            _ => &[],
        }
    }

    /// Digits and `,` type the amount, Backspace clears it, Enter is OK,
    /// Up/Down choose the reason, Escape goes back (not from the float:
    /// it must be counted before the first sale).
    pub fn key(&self, key: Key) -> Option<Message> {
        let step = |by: isize| {
            let all = self.offered();
            let at = all.iter().position(|r| *r == self.reason)?;
            let next = at.checked_add_signed(by)?;
            all.get(next).map(|r| Message::Reason(*r))
        };
        match key {
            Key::Digit(c) => Some(Message::Digit(c)),
            Key::Comma => Some(Message::Comma),
            Key::Backspace => Some(Message::Clear),
            Key::Enter => Some(Message::Ok),
            Key::Up => step(-1),
            Key::Down => step(1),
            Key::Escape if self.purpose != Purpose::Float => Some(Message::Do(Action::ShowReports)),
            _ => None,
        }
    }

    pub fn update(&mut self, message: Message) -> Option<Action> {
        match message {
            Message::Digit(c) if self.entry.len() < ENTRY_MAX => self.entry.push(c),
            Message::Comma if !self.entry.contains(',') && self.entry.len() < ENTRY_MAX => {
                self.entry.push(',')
            }
            Message::Clear => self.entry.clear(),
            Message::Reason(r) => self.reason = r,
            Message::Note(n) => self.note = n.chars().take(crate::till::NOTE_MAX).collect(),
            Message::Ok => return self.ok(),
            Message::Do(action) => return Some(action),
            Message::Digit(_) | Message::Comma => {}
        }
        self.error = None;
        None
    }

    fn ok(&mut self) -> Option<Action> {
        let Some(amount) = super::payment::parse_cash(&self.entry) else {
            self.error = Some(Refusal::NotAnAmount);
            return None;
        };
        Some(match self.purpose {
            Purpose::Float => Action::Float(amount),
            Purpose::Count => Action::Counted(amount),
            Purpose::Move(dir) => Action::MoveCash {
                dir,
                amount,
                reason: self.reason,
                note: self.note.clone(),
            },
        })
    }
}

/// The screen's heading and what it asks.
fn words(look: Look, purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::Float => (
            look.tr("Opening float"),
            look.tr("Count the cash in the drawer and type the amount (0 if it is empty)."),
        ),
        Purpose::Move(Direction::In) => (
            look.tr("Cash in"),
            look.tr("Type the amount put into the drawer and choose why."),
        ),
        Purpose::Move(Direction::Out) => (
            look.tr("Cash out"),
            look.tr("Type the amount taken out of the drawer and choose why."),
        ),
        Purpose::Count => (
            look.tr("Count the cash"),
            look.tr("Count all the cash in the drawer and type the amount. Then the Z report."),
        ),
    }
}

pub fn view<'a>(look: Look, state: &'a State) -> Element<'a, Message> {
    let (heading, ask) = words(look, state.purpose);
    let shown = match super::payment::parse_cash(&state.entry) {
        Some(m) if !state.entry.is_empty() => crate::ui::text::kr(m),
        _ => format!("kr {}", state.entry),
    };
    // With "Other" the note field says what is asked: the explanation
    // makes room for it (1024×768 in large text).
    let noting = matches!(state.purpose, Purpose::Move(_)) && state.reason == Reason::Other;
    let mut left = column![title(look, heading)]
        .spacing(16)
        .width(Length::Fixed(520.0));
    if !noting {
        left = left.push(body(look, ask));
    }
    let amount = text(format!("{}: {shown}", look.tr("Amount"))).size(look.sizes.heading);
    let mut left = left.push(amount);
    if let Purpose::Move(dir) = state.purpose {
        let reasons = Reason::offered(dir).iter().map(|&r| {
            let style: widget::Style = if r == state.reason {
                theme::button::selected
            } else {
                theme::button::tile
            };
            big(
                look,
                r.name(dir, look.lang),
                Some(Message::Reason(r)),
                style,
            )
            .width(Length::Fill)
            .into()
        });
        left = left.push(row(reasons).spacing(8));
        if state.reason == Reason::Other {
            left = left.push(
                text_input(look.tr("Why? (required for Other)"), &state.note)
                    .id(NOTE)
                    .on_input(Message::Note)
                    .on_submit(Message::Ok)
                    .size(look.sizes.body)
                    .padding(10),
            );
        }
    }
    // The error has its room whether it shows or not: nothing moves.
    // Without one, taking cash out, the room says what the drawer holds.
    let kr = crate::ui::text::kr;
    let error: Element<'a, Message> = match (state.error, state.held) {
        (Some(r), held) => {
            let said = match (r, held) {
                (Refusal::MoreThanHeld, Some(held)) => format!(
                    "{} {}. {}",
                    look.tr("The drawer should hold only"),
                    kr(held),
                    look.tr("Check the amount.")
                ),
                _ => cash_refusal(look.lang, r).to_string(),
            };
            container(text(format!("✕  {said}")).size(look.sizes.body))
                .padding(10)
                .style(theme::container::refusal)
                .into()
        }
        (None, Some(held)) => container(
            text(format!(
                "{}: {}",
                look.tr("The drawer should hold"),
                kr(held)
            ))
            .size(look.sizes.body)
            .color(theme::MUTED),
        )
        .padding(10)
        .into(),
        (None, None) => iced::widget::Space::new().into(),
    };
    left = left.push(
        container(error)
            .height(Length::Fixed(look.sizes.body * 2.6 + 24.0))
            .clip(true),
    );
    let back = match state.purpose {
        Purpose::Float => big(
            look,
            look.tr("Log out"),
            Some(Message::Do(Action::Logout)),
            theme::button::tile,
        ),
        _ => big(
            look,
            look.tr("Back"),
            Some(Message::Do(Action::ShowReports)),
            theme::button::tile,
        ),
    };
    let keys = match state.purpose {
        Purpose::Move(_) => look.tr("Keys: digits and , amount · ↑↓ reason · Enter OK · Esc back"),
        Purpose::Float => look.tr("Keys: digits and , amount · Enter OK"),
        Purpose::Count => look.tr("Keys: digits and , amount · Enter OK · Esc back"),
    };
    let ok = column![
        big(
            look,
            look.tr("OK"),
            Some(Message::Ok),
            theme::button::success
        )
        .width(Length::Fixed(268.0)),
        back.width(Length::Fixed(268.0)),
    ]
    .spacing(8);
    let pad = widget::amount_pad(look, Message::Digit, Message::Comma, Message::Clear, ok);
    let left = left.push(text(keys).size(look.sizes.small).color(theme::MUTED));
    container(
        container(row![left, pad].spacing(40).align_y(Alignment::Center))
            .padding(24)
            .style(theme::container::panel),
    )
    .center(Length::Fill)
    .into()
}

/// The slip shown after a float or a cash movement was recorded.
pub fn slip(look: Look, what: &str, amount: Money, reason: Option<String>) -> String {
    let mut s = format!("{what}: {}\n", crate::ui::text::kr(amount));
    if let Some(reason) = reason {
        s += &format!("{}: {reason}\n", look.tr("Reason"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_typed_and_a_bad_one_refused_on_the_screen() {
        let mut s = State::new(Purpose::Move(Direction::Out));
        assert_eq!(s.update(Message::Ok), None, "nothing typed");
        assert_eq!(s.error, Some(Refusal::NotAnAmount));
        for c in "300,5".chars() {
            let m = s.key(if c == ',' { Key::Comma } else { Key::Digit(c) });
            s.update(m.unwrap());
        }
        assert_eq!(s.error, None, "typing clears the refusal");
        s.update(s.key(Key::Down).unwrap());
        assert_eq!(s.reason, Reason::Expense);
        assert_eq!(
            s.update(Message::Ok),
            Some(Action::MoveCash {
                dir: Direction::Out,
                amount: Money::from_ore(30_050),
                reason: Reason::Expense,
                note: String::new(),
            })
        );
        for _ in 0..20 {
            s.update(Message::Digit('9'));
        }
        assert!(s.entry.len() <= ENTRY_MAX, "typing stops at {ENTRY_MAX}");
        let mut f = State::new(Purpose::Float);
        assert_eq!(f.key(Key::Escape), None, "the float is not skipped");
        f.update(Message::Digit('0'));
        assert_eq!(f.update(Message::Ok), Some(Action::Float(Money::ZERO)));
    }
}
