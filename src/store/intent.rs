//! Payment intents (spec/payments.md): a row written before a provider is
//! asked to take money, holding the frozen sale; closed in the same
//! transaction that commits the sale, or as failed. Open intents are what
//! recovery resolves after a crash.

use super::{
    CompletedSale, JournalEntry, Result, Store, StoreError, insert_journal, money, write_tx,
};
use crate::domain::Money;
use crate::domain::receipt::{Receipt, TenderKind};
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};

/// Where an intent is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntentState {
    /// Written; the provider may be taking the money now.
    Open,
    /// The sale was committed with this payment.
    Committed,
    /// Declined, cancelled, timed out or unknown at the provider.
    Failed,
    /// Approved for another amount than asked: to be reversed at the provider.
    ReversalPending,
    /// Reversed at the provider; no sale.
    Reversed,
}

impl IntentState {
    pub fn code(self) -> &'static str {
        match self {
            IntentState::Open => "open",
            IntentState::Committed => "committed",
            IntentState::Failed => "failed",
            IntentState::ReversalPending => "reversal_pending",
            IntentState::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<IntentState> {
        [
            IntentState::Open,
            IntentState::Committed,
            IntentState::Failed,
            IntentState::ReversalPending,
            IntentState::Reversed,
        ]
        .into_iter()
        .find(|st| st.code() == s)
    }

    /// Still needs the provider's answer or action.
    pub fn is_unresolved(self) -> bool {
        matches!(self, IntentState::Open | IntentState::ReversalPending)
    }
}

/// An intent about to be written.
pub struct NewIntent<'a> {
    pub id: &'a str,
    pub sale_id: &'a str,
    pub tender: TenderKind,
    pub amount: Money,
    pub provider: &'a str,
    pub at: DateTime<FixedOffset>,
    /// The frozen sale (JSON) the sale is committed from.
    pub snapshot: String,
    pub operator: Option<String>,
}

/// A stored intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub sale_id: String,
    pub tender: TenderKind,
    pub amount: Money,
    pub provider: String,
    pub created_at: String,
    pub snapshot: String,
    pub state: IntentState,
    pub transaction_id: Option<String>,
    pub approved_amount: Option<Money>,
    pub closed_at: Option<String>,
    pub note: Option<String>,
}

const COLUMNS: &str = "id, sale_id, tender, amount, provider, created_at, snapshot, state, transaction_id, approved_amount, closed_at, note";

fn tender_kind(s: &str) -> Result<TenderKind> {
    TenderKind::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("tender `{s}` of a payment intent")))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Option<String>; 12]> {
    let mut out: [Option<String>; 12] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(i)?;
    }
    Ok(out)
}

fn intent(cols: [Option<String>; 12]) -> Result<Intent> {
    let [
        id,
        sale_id,
        tender,
        amount,
        provider,
        created_at,
        snapshot,
        state,
        tx,
        approved,
        closed,
        note,
    ] = cols;
    let need = |v: Option<String>, what: &str| {
        v.ok_or_else(|| StoreError::Corrupt(format!("payment intent without {what}")))
    };
    let state = need(state, "state")?;
    Ok(Intent {
        id: need(id, "id")?,
        sale_id: need(sale_id, "sale id")?,
        tender: tender_kind(&need(tender, "tender")?)?,
        amount: money(&need(amount, "amount")?)?,
        provider: need(provider, "provider")?,
        created_at: need(created_at, "time")?,
        snapshot: need(snapshot, "snapshot")?,
        state: IntentState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("payment intent state `{state}`")))?,
        transaction_id: tx,
        approved_amount: approved.as_deref().map(money).transpose()?,
        closed_at: closed,
        note,
    })
}

impl Store {
    /// Writes the intent and journals "payment started", in one transaction,
    /// before the provider is asked.
    pub fn open_intent(&mut self, new: &NewIntent<'_>) -> Result<()> {
        let written = self.write_intent(new);
        self.relieve(written)
    }

    fn write_intent(&mut self, new: &NewIntent<'_>) -> Result<()> {
        let tx = write_tx(&mut self.conn)?;
        tx.prepare_cached(
            "INSERT INTO payment_intent (id, sale_id, tender, amount, provider, created_at, snapshot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            new.id,
            new.sale_id,
            new.tender.code(),
            new.amount.to_string(),
            new.provider,
            new.at.to_rfc3339(),
            new.snapshot
        ])?;
        insert_journal(
            &tx,
            &self.till,
            &JournalEntry {
                at: new.at,
                operator: new.operator.clone(),
                code: super::codes::OTHER,
                kind: "payment_started",
                sale_id: Some(new.sale_id.to_string()),
                detail: serde_json::json!({
                    "intent": new.id,
                    "tender": new.tender.code(),
                    "amount": new.amount,
                    "provider": new.provider,
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Commits the sale paid by intent `id` and closes the intent, in one
    /// transaction; refused when the intent is not open (never two sales for
    /// one intent).
    pub fn commit_intent(
        &mut self,
        id: &str,
        done: &CompletedSale<'_>,
        transaction_id: &str,
        approved: Money,
    ) -> Result<Receipt> {
        let written = self.write_commit(id, done, transaction_id, approved);
        self.relieve(written)
    }

    fn write_commit(
        &mut self,
        id: &str,
        done: &CompletedSale<'_>,
        transaction_id: &str,
        approved: Money,
    ) -> Result<Receipt> {
        let tx = write_tx(&mut self.conn)?;
        let state: Option<String> = tx
            .prepare_cached("SELECT state FROM payment_intent WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match state.as_deref() {
            Some("open") => {}
            Some(other) => {
                return Err(StoreError::IntentClosed {
                    id: id.to_string(),
                    state: other.to_string(),
                });
            }
            None => {
                return Err(StoreError::IntentClosed {
                    id: id.to_string(),
                    state: "unknown".into(),
                });
            }
        }
        let receipt = super::commit::write_sale(&tx, &self.till, &self.key, done, None)?;
        tx.prepare_cached(
            "UPDATE payment_intent SET state = 'committed', transaction_id = ?2, approved_amount = ?3, closed_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            transaction_id,
            approved.to_string(),
            done.at.to_rfc3339()
        ])?;
        tx.commit()?;
        Ok(receipt)
    }

    /// Moves an unresolved intent to `state` and journals why, in one
    /// transaction. False when it was already resolved (a duplicate answer).
    pub fn close_intent(
        &mut self,
        id: &str,
        state: IntentState,
        approved: Option<(&str, Money)>,
        entry: &JournalEntry,
    ) -> Result<bool> {
        let tx = write_tx(&mut self.conn)?;
        let changed = tx
            .prepare_cached(
                "UPDATE payment_intent
                 SET state = ?2, transaction_id = COALESCE(?3, transaction_id),
                     approved_amount = COALESCE(?4, approved_amount), closed_at = ?5, note = ?6
                 WHERE id = ?1 AND state IN ('open', 'reversal_pending')",
            )?
            .execute(params![
                id,
                state.code(),
                approved.map(|(t, _)| t),
                approved.map(|(_, a)| a.to_string()),
                entry.at.to_rfc3339(),
                entry.kind
            ])?;
        if changed == 1 {
            insert_journal(&tx, &self.till, entry)?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }

    pub fn intent(&self, id: &str) -> Result<Option<Intent>> {
        let found = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM payment_intent WHERE id = ?1"
            ))?
            .query_row([id], row)
            .optional()?;
        found.map(intent).transpose()
    }

    /// Intents oldest first; only the unresolved ones with `open_only`.
    pub fn intents(&self, open_only: bool) -> Result<Vec<Intent>> {
        let filter = if open_only {
            "WHERE state IN ('open', 'reversal_pending')"
        } else {
            ""
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM payment_intent {filter} ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], row)?;
        rows.map(|r| intent(r?)).collect()
    }
}
