//! Returns in the SQLite ledger: the sale index, the units returned, the
//! lookups and the hold, inside the transactions of `ledger::sqlite`.

use super::{
    HOLD_RETURN, HoldOutcome, HoldRequest, OriginalFacts, OriginalSale, ReturnState, Units,
    add_held, check_hold, hold_items, item_prefix, plus,
};
use crate::ledger::LedgerError;
use crate::ledger::sqlite::{held_already, put_hold};
use crate::ledger::storage::millis;
use crate::ledger::wire::Event;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

/// Schema 2: which event is sale `number` of a till (the first one, should
/// a till ever repeat a number), and the units each `return` event took
/// back of an original line. Existing sales are indexed.
pub const MIGRATION: &str = r#"
CREATE TABLE sale_index (
    till TEXT NOT NULL,
    number INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (till, number)
);
INSERT OR IGNORE INTO sale_index (till, number, seq)
    SELECT till, json_extract(body, '$.number'), seq FROM event
    WHERE kind = 'sale' AND json_type(body, '$.number') = 'integer'
    ORDER BY till, seq;

CREATE TABLE return_unit (
    till TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    orig_till TEXT NOT NULL,
    orig_number INTEGER NOT NULL,
    line INTEGER NOT NULL,
    qty INTEGER NOT NULL
);
CREATE INDEX return_unit_original ON return_unit (orig_till, orig_number);
CREATE INDEX return_unit_event ON return_unit (till, event_id);
CREATE TRIGGER return_unit_no_update BEFORE UPDATE ON return_unit
BEGIN SELECT RAISE(ABORT, 'returned units are append-only'); END;
CREATE TRIGGER return_unit_no_delete BEFORE DELETE ON return_unit
BEGIN SELECT RAISE(ABORT, 'returned units are append-only'); END;
"#;

/// Sale `number` of `till`: its id, `at` and body.
fn find_sale(
    tx: &Transaction<'_>,
    till: &str,
    number: i64,
) -> Result<Option<(String, String, String)>, LedgerError> {
    Ok(tx
        .prepare_cached(
            "SELECT e.id, e.at, e.body FROM sale_index s
             JOIN event e ON e.till = s.till AND e.seq = s.seq
             WHERE s.till = ?1 AND s.number = ?2",
        )?
        .query_row(params![till, number], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
}

/// Units applied returns took back of each line of sale `number` of `till`.
fn returned(tx: &Transaction<'_>, till: &str, number: i64) -> Result<Units, LedgerError> {
    let mut stmt = tx.prepare_cached(
        "SELECT line, SUM(qty) FROM return_unit WHERE orig_till = ?1 AND orig_number = ?2
         GROUP BY line",
    )?;
    let mut rows = stmt.query(params![till, number])?;
    let mut out = Units::new();
    while let Some(r) = rows.next()? {
        let (line, n): (i64, i64) = (r.get(0)?, r.get(1)?);
        if let Ok(line) = u32::try_from(line) {
            out.insert(line, u64::try_from(n).unwrap_or(0));
        }
    }
    Ok(out)
}

/// Units of the sale live holds cover, except hold `own` of `own_till`.
fn held(
    tx: &Transaction<'_>,
    prefix: &str,
    now_ms: i64,
    own_till: &str,
    own: &str,
) -> Result<Units, LedgerError> {
    let mut stmt = tx.prepare_cached(
        "SELECT i.item_ref, SUM(i.n)
         FROM reservation_item i JOIN reservation r ON r.till = i.till AND r.id = i.res_id
         WHERE i.kind = ?1 AND substr(i.item_ref, 1, length(?2)) = ?2
           AND r.confirmed = 0 AND r.expires_at > ?3 AND NOT (r.till = ?4 AND r.id = ?5)
         GROUP BY i.item_ref",
    )?;
    let mut rows = stmt.query(params![HOLD_RETURN, prefix, now_ms, own_till, own])?;
    let mut out = Units::new();
    while let Some(r) = rows.next()? {
        let item: String = r.get(0)?;
        add_held(&mut out, prefix, &item, r.get(1)?);
    }
    Ok(out)
}

/// Loads the originals `events` of `till` need into `state`.
pub fn load(
    tx: &Transaction<'_>,
    state: &mut ReturnState,
    till: &str,
    events: &[Event],
) -> Result<(), LedgerError> {
    state.till = till.to_string();
    for (t, number) in ReturnState::keys(till, events) {
        let Ok(n) = i64::try_from(number) else {
            continue;
        };
        let facts = find_sale(tx, &t, n)?
            .map(|(id, at, body)| OriginalFacts::from_stored(id, &at, &body))
            .transpose()?;
        let units = returned(tx, &t, n)?;
        state.load((t, number), facts, units);
    }
    Ok(())
}

/// Writes the sale index rows and returned units of an applied batch of `till`.
pub fn write(tx: &Transaction<'_>, till: &str, state: &ReturnState) -> Result<(), LedgerError> {
    let mut index = tx.prepare_cached(
        "INSERT OR IGNORE INTO sale_index (till, number, seq) VALUES (?1, ?2, ?3)",
    )?;
    for row in &state.new_index {
        index.execute(params![till, row.number, row.seq])?;
    }
    let mut unit = tx.prepare_cached(
        "INSERT INTO return_unit (till, seq, event_id, orig_till, orig_number, line, qty)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for u in &state.new_units {
        unit.execute(params![
            till,
            u.seq,
            u.event_id,
            u.orig_till,
            u.orig_number,
            u.line,
            u.qty
        ])?;
    }
    Ok(())
}

pub fn original_sale(
    conn: &mut Connection,
    till: &str,
    number: u64,
    now: DateTime<Utc>,
) -> Result<Option<OriginalSale>, LedgerError> {
    let Ok(n) = i64::try_from(number) else {
        return Ok(None);
    };
    // One read transaction: one snapshot of the sale, returns and holds.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let Some((id, at, body)) = find_sale(&tx, till, n)? else {
        return Ok(None);
    };
    let prefix = item_prefix(till, number);
    let returned = plus(
        &returned(&tx, till, n)?,
        &held(&tx, &prefix, millis(now), "", "")?,
    );
    tx.commit()?;
    Ok(Some(OriginalSale {
        id,
        till: till.to_string(),
        number,
        at,
        body,
        returned,
    }))
}

pub fn hold_return(
    conn: &mut Connection,
    till: &str,
    h: &HoldRequest,
    now: DateTime<Utc>,
) -> Result<HoldOutcome, LedgerError> {
    // The write lock first: two holds on one unit cannot both see it free.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_ms = millis(now);
    let confirmed: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM return_unit WHERE till = ?1 AND event_id = ?2)",
        )?
        .query_row(params![till, h.id], |r| r.get(0))?;
    if held_already(&tx, till, &h.id, &h.digest, now_ms)? || confirmed {
        tx.commit()?;
        return Ok(HoldOutcome::Granted);
    }
    let o = &h.original;
    let n = i64::try_from(o.number).unwrap_or(i64::MAX);
    let facts = find_sale(&tx, &o.till, n)?
        .map(|(id, at, body)| OriginalFacts::from_stored(id, &at, &body))
        .transpose()?;
    let taken = plus(
        &returned(&tx, &o.till, n)?,
        &held(&tx, &item_prefix(&o.till, o.number), now_ms, till, &h.id)?,
    );
    if let Err(refusal) = check_hold(facts.as_ref(), &taken, &o.lines) {
        return Ok(HoldOutcome::Refused(refusal));
    }
    put_hold(&tx, till, &h.id, &h.digest, now, &hold_items(h))?;
    tx.commit()?;
    Ok(HoldOutcome::Granted)
}
