//! The drawer's own records: the opening float, cash put in or taken out
//! and the shut-down, each journaled (and so uploaded) in its own
//! transaction together with the drawer opening it took.

use super::{JournalEntry, Result, Store, insert_journal, money, write_tx};
use crate::domain::Money;

/// Journal kinds of the drawer's records; the reports read them back.
pub mod kinds {
    pub const OPENING_FLOAT: &str = "opening_float";
    pub const CASH_IN: &str = "cash_in";
    pub const CASH_OUT: &str = "cash_out";
}

impl Store {
    /// Appends `entries` in one transaction: all of them or none.
    pub fn journal_together(&mut self, entries: &[JournalEntry]) -> Result<()> {
        let written = (|| {
            let tx = write_tx(&mut self.conn)?;
            for e in entries {
                insert_journal(&tx, &self.till, e)?;
            }
            tx.commit()?;
            Ok(())
        })();
        self.relieve(written)
    }

    /// The opening float counted in since the last Z report, if any.
    pub fn float_since_z(&self) -> Result<Option<Money>> {
        let z = self.z_mark_before(u64::MAX)?;
        let detail: Option<String> = self
            .conn
            .query_row(
                "SELECT detail FROM journal WHERE kind = ?1 AND id > ?2 ORDER BY id DESC LIMIT 1",
                rusqlite::params![
                    kinds::OPENING_FLOAT,
                    i64::try_from(z.last_journal).unwrap_or(i64::MAX)
                ],
                |r| r.get(0),
            )
            .ok();
        let Some(detail) = detail else {
            return Ok(None);
        };
        let v: serde_json::Value =
            serde_json::from_str(&detail).map_err(|e| super::StoreError::Corrupt(e.to_string()))?;
        money(v["amount"].as_str().unwrap_or_default()).map(Some)
    }
}
