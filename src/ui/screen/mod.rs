//! One file per screen: its state, its `update` (which answers with an
//! [`Action`] for the app instead of touching the till) and its `view`.

pub mod bonus;
pub mod cash;
pub mod confirm;
pub mod idle;
pub mod payment;
pub mod receipt;
pub mod register;
pub mod reports;
pub mod returns;
pub mod shopping;
pub mod staff;
pub mod thanks;
pub mod welcome;

use crate::domain::Money;
use crate::domain::TenderKind;

/// What a screen asks the app to do: the app owns the till and the devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A product button.
    Tap {
        sku: String,
        qty: u32,
    },
    /// Open the weigh panel.
    OpenWeigh,
    /// Food on the scale for a weighed product (gross grams, stable).
    Weigh {
        sku: String,
        grams: u32,
    },
    /// A code typed, scanned by the barcode scanner or read by the camera.
    Code(String),
    /// The customer or cashier is ready to pay.
    Pay,
    /// The answer to the bonus question.
    Bonus(bool),
    /// Start paying with this tender; cash with the amount handed over.
    Tender {
        kind: TenderKind,
        cash_given: Option<Money>,
    },
    CancelPayment,
    /// Save an approved payment's sale again after it failed to save.
    RetrySave,
    BackToCart,
    CancelSale,
    Void(usize),
    AttachMember(String),
    Receipt(receipt::Choice),
    /// Thank-you screen done: next customer.
    NextCustomer,
    Language,
    LargeText,
    /// Speech mode on or off (issue 19).
    Speech,
    Help,
    CloseOverlay,
    /// A staff PIN was entered (attendant actions or cashier login).
    Pin(String),
    Logout,
    ShowReports,
    /// The cashier's returns screen.
    ShowReturns,
    /// Find the sale a receipt number or receipt QR names.
    FindReturn(String),
    /// What returning these (line, units) gives back.
    PlanReturn(Vec<(usize, u32)>),
    /// Refund the planned return (or save a refunded one again).
    Refund,
    Report(reports::Kind),
    /// The Z button: asks before the day is closed (once per day, for good).
    AskZ(bool),
    CopyLastReceipt,
    Training(bool),
    OpenDrawer,
    StillHere,
    /// Yes or no to the question over the screen (cancel a purchase, remove
    /// a line).
    Answer(bool),
    /// The low layout on or off (issue 19: reach from a seated position).
    LowLayout,
    /// The opening float counted into the drawer.
    Float(Money),
    /// The cash-in or cash-out screen.
    Cash(crate::domain::cash::Direction),
    /// Cash put in or taken out, with a reason (and a note for "Other").
    MoveCash {
        dir: crate::domain::cash::Direction,
        amount: Money,
        reason: crate::domain::cash::Reason,
        note: String,
    },
    /// The cash counted before the Z report.
    Counted(Money),
}

/// A key press as the screens read it: what a cashier's keyboard, a PIN
/// pad or a 4-direction keypad sends. Keys a focused text field takes never
/// arrive here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Digit(char),
    /// `,` or `.`: the decimal comma.
    Comma,
    Backspace,
    Enter,
    Escape,
    Up,
    Down,
    PageUp,
    PageDown,
    /// F1–F12.
    F(u8),
}

impl Key {
    pub fn read(key: &iced::keyboard::Key, text: Option<&str>) -> Option<Key> {
        use iced::keyboard::key::Named;
        let iced::keyboard::Key::Named(named) = key else {
            return match text.and_then(|t| t.chars().next()) {
                Some(c) if c.is_ascii_digit() => Some(Key::Digit(c)),
                Some(',' | '.') => Some(Key::Comma),
                _ => None,
            };
        };
        Some(match named {
            Named::Backspace | Named::Delete => Key::Backspace,
            Named::Enter => Key::Enter,
            Named::Escape => Key::Escape,
            Named::ArrowUp => Key::Up,
            Named::ArrowDown => Key::Down,
            Named::PageUp => Key::PageUp,
            Named::PageDown => Key::PageDown,
            Named::F1 => Key::F(1),
            Named::F2 => Key::F(2),
            Named::F3 => Key::F(3),
            Named::F4 => Key::F(4),
            Named::F5 => Key::F(5),
            Named::F6 => Key::F(6),
            Named::F7 => Key::F(7),
            Named::F8 => Key::F(8),
            Named::F9 => Key::F(9),
            Named::F10 => Key::F(10),
            Named::F11 => Key::F(11),
            Named::F12 => Key::F(12),
            _ => return None,
        })
    }
}

/// A key press as the window delivers it (the tour and the tests send them).
pub fn key_pressed(key: iced::keyboard::Key, text: Option<&str>) -> iced::keyboard::Event {
    use iced::keyboard::{Event, Location, Modifiers, key};
    Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
        location: Location::Standard,
        modifiers: Modifiers::default(),
        text: text.map(Into::into),
        repeat: false,
    }
}
