//! What the till asks the central ledger about returns: an original sale
//! made at any till (to return it here) and a hold on the units about to
//! be returned, so a unit sold once is returned at most once across tills.
//! The wire shapes are in README.md ("Returns at the ledger"); the sync
//! client implements these calls, a till without a ledger answers
//! `Unreachable` and decides from its own store.

use crate::domain::Money;
use crate::domain::receipt::Receipt;
use chrono::{DateTime, FixedOffset};

/// An original sale as the ledger holds it, with what has been returned of
/// it so far (at every till, including returns held but not yet uploaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSale {
    /// The sale's uuid.
    pub id: String,
    pub till: String,
    /// The sales receipt number in that till's series.
    pub number: u64,
    pub at: DateTime<FixedOffset>,
    /// The receipt as uploaded (names are the sku; the till fills in names).
    pub receipt: Receipt,
    /// Bonus spent on the sale.
    pub bonus_used: Money,
    /// Units already returned or held, per 1-based line number.
    pub returned: Vec<(usize, u32)>,
}

/// What the ledger said of an original sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Original {
    Found(Box<RemoteSale>),
    /// The ledger has no such sale (not made, or not uploaded yet).
    NotFound,
    /// No answer within the timeout: the till decides from its own store.
    Unreachable,
}

/// Units of an original sale about to be returned: `id` is the return's
/// uuid; the `return` event with that id confirms the hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnHold {
    pub id: String,
    pub till: String,
    pub number: u64,
    /// (1-based line number, units).
    pub lines: Vec<(usize, u32)>,
}
