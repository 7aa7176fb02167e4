//! The journal's way to the ledger (spec/ledger-api.md event kinds
//! `journal` and `z_report`): written to the outbox in the transaction that
//! journals the entry, on the same gap-free `seq` as sales and returns, so
//! the organisation keeps a central copy of every till's journal and Z
//! reports.
//!
//! Every signed transaction goes up too, with the SAF-T fields the receipt
//! lacks (`saft` in the body, see `commit.rs`): sales and returns as their
//! own events, training receipts as the `journal` event of their journal
//! entry (code 13017). So the ledger holds each till's whole signature
//! chain and can write one SAF-T file for the organisation.

use super::{JournalEntry, Result, SigningKey, ZMark, codes};
use crate::domain::receipt::Receipt;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, Transaction, params};

/// Whether a journal entry goes up as a plain `journal` event. Not: the
/// entry a sale, return or training receipt writes with itself (the
/// `sale`/`return` event carries it; a training receipt's goes up with its
/// transaction, [`training_event`]), a Z report (its own `z_report` event)
/// and master data, which came from the ledger.
pub(super) fn uploaded(code: u32) -> bool {
    !matches!(
        code,
        codes::SALES_RECEIPT
            | codes::RETURN_RECEIPT
            | codes::TRAINING_RECEIPT
            | codes::Z_REPORT
            | codes::MASTER_DATA
    )
}

/// The `journal` event of the entry just journaled as `journal_id`.
pub(super) fn journal_event(tx: &Transaction<'_>, journal_id: i64, e: &JournalEntry) -> Result<()> {
    if !uploaded(e.code) {
        return Ok(());
    }
    push(tx, "journal", e.at, &journal_body(journal_id, e))
}

fn journal_body(journal_id: i64, e: &JournalEntry) -> serde_json::Value {
    serde_json::json!({
        "journal_id": journal_id,
        "code": e.code,
        "kind": e.kind,
        "operator": e.operator,
        "sale_id": e.sale_id,
        "detail": e.detail,
    })
}

/// A training receipt's journal entry as a `journal` event, with the
/// receipt and its signed transaction (`saft`).
pub(super) fn training_event(
    tx: &Transaction<'_>,
    journal_id: i64,
    e: &JournalEntry,
    receipt: &Receipt,
    saft: &super::commit::Transaction<'_>,
) -> Result<()> {
    let mut body = journal_body(journal_id, e);
    body["receipt"] = serde_json::json!(receipt);
    body["saft"] = serde_json::json!(saft);
    push(tx, "journal", e.at, &body)
}

/// The public key to send with this transaction: the key's PEM when the
/// ledger has not been sent this key version yet (remembered in the
/// till's settings, in the sale's transaction), else None.
pub(super) fn announce_key<'k>(
    tx: &Transaction<'_>,
    key: &'k SigningKey,
) -> Result<Option<&'k str>> {
    const SENT: &str = "saft_key_uploaded";
    let sent: Option<String> = tx
        .prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([SENT], |r| r.get(0))
        .optional()?;
    if sent.as_deref() == Some(key.version.as_str()) {
        return Ok(None);
    }
    tx.prepare_cached("INSERT OR REPLACE INTO setting (key, value) VALUES (?1, ?2)")?
        .execute(params![SENT, key.version])?;
    Ok(Some(&key.public_pem))
}

/// The `z_report` event: the report's numbers and its text as printed.
pub(super) fn z_report_event(
    tx: &Transaction<'_>,
    journal_id: i64,
    mark: &ZMark,
    day: NaiveDate,
    at: DateTime<FixedOffset>,
    operator: Option<&str>,
    text: &str,
) -> Result<()> {
    let body = serde_json::json!({
        "journal_id": journal_id,
        "code": codes::Z_REPORT,
        "number": mark.number,
        "day": day.to_string(),
        "last_nr": mark.last_nr,
        "grand_sales": mark.grand_sales,
        "grand_returns": mark.grand_returns,
        "operator": operator,
        "report": text,
    });
    push(tx, "z_report", at, &body)
}

fn push(
    tx: &Transaction<'_>,
    kind: &str,
    at: DateTime<FixedOffset>,
    body: &serde_json::Value,
) -> Result<()> {
    let seq: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox")?
        .query_row([], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO outbox (seq, id, kind, at, offline, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        seq,
        uuid::Uuid::now_v7().simple().to_string(),
        kind,
        at.to_rfc3339(),
        // Whether the till was offline is known for sales only; the ledger
        // uses it for their stored-value checks.
        false,
        body.to_string()
    ])?;
    Ok(())
}
