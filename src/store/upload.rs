//! The journal's way to the ledger (spec/ledger-api.md event kinds
//! `journal` and `z_report`): written to the outbox in the transaction that
//! journals the entry, on the same gap-free `seq` as sales and returns, so
//! the organisation keeps a central copy of every till's journal and Z
//! reports.

use super::{JournalEntry, Result, ZMark, codes};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Transaction, params};

/// Whether a journal entry goes up as a `journal` event. Not: the entry a
/// sale, return or training receipt writes with itself (the `sale`/`return`
/// event carries it; training is never uploaded), a Z report (its own
/// `z_report` event) and master data, which came from the ledger.
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
    let body = serde_json::json!({
        "journal_id": journal_id,
        "code": e.code,
        "kind": e.kind,
        "operator": e.operator,
        "sale_id": e.sale_id,
        "detail": e.detail,
    });
    push(tx, "journal", e.at, &body)
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
