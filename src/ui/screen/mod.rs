//! One file per screen: its state, its `update` (which answers with an
//! [`Action`] for the app instead of touching the till) and its `view`.

pub mod bonus;
pub mod idle;
pub mod payment;
pub mod receipt;
pub mod register;
pub mod reports;
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
    Help,
    CloseOverlay,
    /// A staff PIN was entered (attendant actions or cashier login).
    Pin(String),
    Logout,
    ShowReports,
    Report(reports::Kind),
    /// The Z button: asks before the day is closed (once per day, for good).
    AskZ(bool),
    CopyLastReceipt,
    Training(bool),
    OpenDrawer,
    StillHere,
}
