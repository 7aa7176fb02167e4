//! The cashier's drawer (`domain::cash`): the opening float counted in at
//! the first login of a period, cash put in or taken out with a reason,
//! and the application's shut-down. Each is journaled — with the drawer
//! opening it took — in one transaction, and so uploaded to the ledger
//! with the journal (`store::upload`).
//!
//! Journal codes (PredefinedBasicID-13): a pay-out is 13019 "Cash
//! withdrawal". The list has no code for a pay-in or an opening float, so
//! both are 13999 "Other", told apart by their kind (`cash_in`,
//! `opening_float`); the reports read them back by kind. Each is preceded
//! by 13005 "Open cash drawer" without a transaction, which the reports
//! count as a drawer opening without a sale.

use super::{Mode, Till, TillError};
use crate::domain::Money;
use crate::domain::cash::{self, Direction, Reason, Refusal};
use crate::store::{JournalEntry, cash_kinds, codes};
use chrono::{DateTime, FixedOffset};

/// Why a drawer action did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CashError {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Till(#[from] TillError),
}

impl From<crate::store::StoreError> for CashError {
    fn from(e: crate::store::StoreError) -> Self {
        CashError::Till(TillError::Store(e))
    }
}

/// The longest note kept with "Other".
pub const NOTE_MAX: usize = 100;

impl Till {
    /// Whether the drawer's opening float is still to be counted in: an
    /// operated till, and no float recorded since the last Z report.
    pub fn needs_float(&self) -> Result<bool, TillError> {
        Ok(self.mode == Mode::Cashier && self.store.float_since_z()?.is_none())
    }

    /// The opening float recorded this period, if any.
    pub fn opening_float(&self) -> Result<Option<Money>, TillError> {
        Ok(self.store.float_since_z()?)
    }

    fn drawer_entries(
        &self,
        now: DateTime<FixedOffset>,
        code: u32,
        kind: &'static str,
        detail: serde_json::Value,
    ) -> [JournalEntry; 2] {
        [
            self.entry(
                now,
                codes::DRAWER_OPEN,
                "drawer_open",
                serde_json::json!({"for": kind}),
            ),
            self.entry(now, code, kind, detail),
        ]
    }

    fn drawer_allowed(&self) -> Result<(), Refusal> {
        if self.mode != Mode::Cashier {
            Err(Refusal::NoDrawer)
        } else if self.training {
            Err(Refusal::Training)
        } else {
            Ok(())
        }
    }

    /// The float counted into the drawer (0 allowed, but said), journaled
    /// with the drawer opening in one transaction.
    pub fn record_float(
        &mut self,
        amount: Money,
        now: DateTime<FixedOffset>,
    ) -> Result<Money, CashError> {
        self.drawer_allowed().map_err(CashError::Refused)?;
        let amount = cash::check(amount, true).map_err(CashError::Refused)?;
        let entries = self.drawer_entries(
            now,
            codes::OTHER,
            cash_kinds::OPENING_FLOAT,
            serde_json::json!({"amount": amount}),
        );
        self.store.journal_together(&entries)?;
        Ok(amount)
    }

    /// Cash put into the drawer or taken out, with a reason ("Other" needs
    /// a note); journaled with the drawer opening in one transaction. Cash
    /// out is refused over `held`, what the drawer should hold now (the
    /// caller's count of it: `compliance::export::drawer_now`).
    pub fn move_cash(
        &mut self,
        dir: Direction,
        amount: Money,
        (reason, note): (Reason, &str),
        held: Option<Money>,
        now: DateTime<FixedOffset>,
    ) -> Result<Money, CashError> {
        self.drawer_allowed().map_err(CashError::Refused)?;
        let amount = cash::check(amount, false).map_err(CashError::Refused)?;
        if dir == Direction::Out && held.is_some_and(|held| amount > held) {
            return Err(CashError::Refused(Refusal::MoreThanHeld));
        }
        let note: String = note.trim().chars().take(NOTE_MAX).collect();
        if reason == Reason::Other && note.is_empty() {
            return Err(CashError::Refused(Refusal::NoteNeeded));
        }
        let (code, kind) = match dir {
            Direction::In => (codes::OTHER, cash_kinds::CASH_IN),
            Direction::Out => (codes::CASH_WITHDRAWAL, cash_kinds::CASH_OUT),
        };
        let detail = serde_json::json!({
            "amount": amount,
            "reason": reason.code(),
            "note": note,
        });
        let entries = self.drawer_entries(now, code, kind, detail);
        self.store.journal_together(&entries)?;
        Ok(amount)
    }

    /// The till application shut down normally (13002).
    pub fn shut_down(&mut self, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        let detail = serde_json::json!({"mode": self.mode.code()});
        self.journal(now, codes::POS_SHUTDOWN, "application_shutdown", detail)
    }
}
