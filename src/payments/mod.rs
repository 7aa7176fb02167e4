//! Payment providers (spec/payments.md): one interface for the card terminal
//! (nexo Sale-to-POI JSON), Vipps MobilePay ePayment and the in-process
//! simulator. The till decides what a payment means (`till::Till`); this
//! module only speaks to providers. Everything here blocks, so callers run it
//! off the UI thread (a worker thread per running payment).

use crate::domain::Money;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;

/// Where a running payment is, for the screen (translated there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Connecting to the terminal / the provider.
    Connecting,
    /// The terminal waits for the card (insert, tap or swipe).
    PresentCard,
    /// The terminal or provider authorises.
    Authorising,
    /// The Vipps QR is shown; waiting for the customer to approve in the app.
    WaitingForCustomer,
    /// Approved in the app; the till captures the amount.
    Capturing,
}

/// What a provider reports while a payment runs; exactly one final update
/// (`Approved`, `Declined`, `Cancelled`, `TimedOut`) ends the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentUpdate {
    Progress(Step),
    /// Vipps: the `redirectUrl` to show as a QR code for the customer's phone.
    ShowQr(String),
    /// The provider approved (and, for Vipps, captured) exactly `amount`.
    Approved {
        transaction_id: String,
        amount: Money,
    },
    /// `why` for the screen (translated there), `reason` in the provider's
    /// own words for the journal and staff.
    Declined {
        why: Decline,
        reason: String,
    },
    Cancelled,
    TimedOut,
}

/// Why a provider declined, as a kind the screen can say in either language
/// (the provider's own words, in English or its codes, go to the journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decline {
    /// The card issuer or the bank said no (nexo `Refusal`, the simulator).
    Refused,
    /// The card's PIN was wrong (nexo `WrongPIN`).
    WrongPin,
    /// The customer said no in the Vipps app.
    CustomerDeclined,
    /// The payment request ran out before the customer answered.
    Expired,
    /// The terminal or the provider cannot be reached, or stopped answering.
    Unreachable,
    /// The amount cannot be paid this way (zero, negative).
    Amount,
    /// The provider answered something the till cannot use (no QR code, an
    /// approval without an amount, a refused request); nothing was taken.
    Fault,
}

impl Decline {
    pub const ALL: [Decline; 7] = [
        Decline::Refused,
        Decline::WrongPin,
        Decline::CustomerDeclined,
        Decline::Expired,
        Decline::Unreachable,
        Decline::Amount,
        Decline::Fault,
    ];

    /// The kind a nexo `ErrorCondition` names.
    pub fn of_nexo(condition: Option<&str>) -> Decline {
        match condition {
            Some("Refusal" | "PaymentRestriction" | "NotAllowed") => Decline::Refused,
            Some("WrongPIN") => Decline::WrongPin,
            Some(
                "Busy" | "DeviceOut" | "LoggedOut" | "UnavailableDevice" | "UnavailableService"
                | "UnreachableHost",
            ) => Decline::Unreachable,
            _ => Decline::Fault,
        }
    }
}

impl PaymentUpdate {
    pub fn is_final(&self) -> bool {
        !matches!(self, PaymentUpdate::Progress(_) | PaymentUpdate::ShowQr(_))
    }
}

/// A payment under way: its updates and the switch that asks it to stop.
pub struct Running {
    pub updates: Receiver<PaymentUpdate>,
    /// Set to true to cancel (Vipps `cancel`, nexo `AbortRequest`); the
    /// payment then ends `Cancelled`, unless a final update came first.
    pub cancel: Arc<AtomicBool>,
}

/// What the provider knows of a payment, asked by reference (recovery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Approved (Vipps: authorised or captured; the till captures what is
    /// authorised before it reports this) for `amount`.
    Approved {
        transaction_id: String,
        amount: Money,
    },
    /// Still waiting for the customer or the card.
    Pending,
    /// Declined, aborted, expired, terminated, cancelled.
    Failed,
    /// The provider has never heard of this reference.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider did not answer (network, timeout, connection refused).
    #[error("{provider} did not answer: {detail}")]
    Unreachable {
        provider: &'static str,
        detail: String,
    },
    /// The provider answered with something the protocol does not allow.
    #[error("{provider} answered unexpectedly: {detail}")]
    Protocol {
        provider: &'static str,
        detail: String,
    },
}

/// Why a call to a provider gave no answer to act on (the protocol
/// clients' own account, turned into a `ProviderError` at their edge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer: connection refused or lost, timeout, a server error.
    Unreachable(String),
    /// The provider refused the request (a 4xx `Problem`, a nexo `Reject`).
    Refused(String),
    /// An answer the protocol does not allow.
    Garbled(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(d) | Failure::Refused(d) | Failure::Garbled(d) => f.write_str(d),
        }
    }
}

impl Failure {
    pub(crate) fn into_error(self, provider: &'static str) -> ProviderError {
        match self {
            Failure::Unreachable(detail) => ProviderError::Unreachable { provider, detail },
            Failure::Refused(detail) | Failure::Garbled(detail) => {
                ProviderError::Protocol { provider, detail }
            }
        }
    }
}

/// One payment provider. `reference` is always the till's payment intent id
/// (UUID v7, 32 hex digits): the provider's reference and idempotency key.
pub trait Provider: Send + Sync {
    /// `card` or `vipps`-side name for logs and the journal: `nexo`,
    /// `epayment`, `simulator`.
    fn name(&self) -> &'static str;
    /// Starts a payment of `amount` on a worker thread of its own.
    fn start(&self, amount: Money, reference: &str, description: &str) -> Running;
    /// The payment's status at the provider (recovery after a crash).
    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError>;
    /// Undo a payment in full: cancel it while pending, reverse or refund it
    /// when approved (wrong amount, sale not saved).
    fn reverse(&self, reference: &str, amount: Money) -> Result<(), ProviderError>;
    /// Refund part or all of an approved payment (a return); the
    /// provider's transaction id of the refund, printed on the
    /// Returkvittering, when it gives one.
    fn refund(&self, reference: &str, amount: Money) -> Result<Option<String>, ProviderError>;
}
pub mod recover;
pub mod settle;

mod choose;
pub mod emulator;
pub mod epayment;
pub mod nexo;
pub mod simulator;

pub use choose::{CardProvider, ChooseError, Emulators, PaymentConfig, VippsProvider, provider};
