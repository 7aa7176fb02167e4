//! Returns in the PostgreSQL ledger: the same tables and rules as
//! `returns::sqlite`, inside the transactions of `ledger::postgres`.

use super::{
    HOLD_RETURN, HoldOutcome, HoldRequest, OriginalFacts, OriginalSale, ReturnState, Units,
    add_held, check_hold, hold_items, item_prefix, plus,
};
use crate::ledger::LedgerError;
use crate::ledger::postgres::{held_already, lock_counter, put_hold};
use crate::ledger::storage::millis;
use crate::ledger::wire::Event;
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, IsolationLevel, Transaction};

/// Schema 2, as `returns::sqlite::MIGRATION`: the sale index (existing
/// sales indexed, the first of a repeated number kept) and returned units.
pub const MIGRATION: &str = r#"
CREATE TABLE sale_index (
    till TEXT NOT NULL,
    number BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (till, number)
);
INSERT INTO sale_index (till, number, seq)
    SELECT DISTINCT ON (till, number) till, number, seq FROM (
        SELECT till, seq,
               CASE WHEN n >= 0 AND n <= 9223372036854775807 AND n = trunc(n)
                    THEN n::bigint END AS number
        FROM (SELECT till, seq, (body::jsonb ->> 'number')::numeric AS n FROM event
              WHERE kind = 'sale' AND jsonb_typeof(body::jsonb -> 'number') = 'number') e
    ) s
    WHERE number IS NOT NULL
    ORDER BY till, number, seq;

CREATE TABLE return_unit (
    till TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    orig_till TEXT NOT NULL,
    orig_number BIGINT NOT NULL,
    line BIGINT NOT NULL,
    qty BIGINT NOT NULL
);
CREATE INDEX return_unit_original ON return_unit (orig_till, orig_number);
CREATE INDEX return_unit_event ON return_unit (till, event_id);
CREATE TRIGGER return_unit_append_only BEFORE UPDATE OR DELETE ON return_unit
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
"#;

async fn find_sale(
    tx: &Transaction<'_>,
    till: &str,
    number: i64,
) -> Result<Option<(String, String, String)>, LedgerError> {
    Ok(tx
        .query_opt(
            "SELECT e.id, e.at, e.body FROM sale_index s
             JOIN event e ON e.till = s.till AND e.seq = s.seq
             WHERE s.till = $1 AND s.number = $2",
            &[&till, &number],
        )
        .await?
        .map(|r| (r.get(0), r.get(1), r.get(2))))
}

async fn facts(
    tx: &Transaction<'_>,
    till: &str,
    number: i64,
) -> Result<Option<OriginalFacts>, LedgerError> {
    find_sale(tx, till, number)
        .await?
        .map(|(id, at, body)| OriginalFacts::from_stored(id, &at, &body))
        .transpose()
}

async fn returned(tx: &Transaction<'_>, till: &str, number: i64) -> Result<Units, LedgerError> {
    let rows = tx
        .query(
            "SELECT line, SUM(qty)::BIGINT FROM return_unit
             WHERE orig_till = $1 AND orig_number = $2 GROUP BY line",
            &[&till, &number],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let line = u32::try_from(r.get::<_, i64>(0)).ok()?;
            Some((line, u64::try_from(r.get::<_, i64>(1)).unwrap_or(0)))
        })
        .collect())
}

async fn held(
    tx: &Transaction<'_>,
    prefix: &str,
    now_ms: i64,
    own_till: &str,
    own: &str,
) -> Result<Units, LedgerError> {
    let rows = tx
        .query(
            "SELECT i.item_ref, SUM(i.n)::BIGINT
             FROM reservation_item i JOIN reservation r ON r.till = i.till AND r.id = i.res_id
             WHERE i.kind = $1 AND left(i.item_ref, length($2)) = $2
               AND r.confirmed = FALSE AND r.expires_at > $3 AND NOT (r.till = $4 AND r.id = $5)
             GROUP BY i.item_ref",
            &[&HOLD_RETURN, &prefix, &now_ms, &own_till, &own],
        )
        .await?;
    let mut out = Units::new();
    for r in rows {
        add_held(&mut out, prefix, r.get(0), r.get(1));
    }
    Ok(out)
}

/// Loads the originals `events` of `till` need into `state`.
pub async fn load(
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
        let f = facts(tx, &t, n).await?;
        let units = returned(tx, &t, n).await?;
        state.load((t, number), f, units);
    }
    Ok(())
}

/// Writes the sale index rows and returned units of an applied batch of `till`.
pub async fn write(
    tx: &Transaction<'_>,
    till: &str,
    state: &ReturnState,
) -> Result<(), LedgerError> {
    if !state.new_index.is_empty() {
        let numbers: Vec<i64> = state.new_index.iter().map(|r| r.number).collect();
        let seqs: Vec<i64> = state.new_index.iter().map(|r| r.seq).collect();
        tx.execute(
            "INSERT INTO sale_index (till, number, seq)
             SELECT $1, u.number, u.seq FROM unnest($2::bigint[], $3::bigint[]) AS u(number, seq)
             ON CONFLICT (till, number) DO NOTHING",
            &[&till, &numbers, &seqs],
        )
        .await?;
    }
    let u = &state.new_units;
    if !u.is_empty() {
        let seqs: Vec<i64> = u.iter().map(|r| r.seq).collect();
        let ids: Vec<&str> = u.iter().map(|r| r.event_id.as_str()).collect();
        let tills: Vec<&str> = u.iter().map(|r| r.orig_till.as_str()).collect();
        let numbers: Vec<i64> = u.iter().map(|r| r.orig_number).collect();
        let lines: Vec<i64> = u.iter().map(|r| r.line).collect();
        let qtys: Vec<i64> = u.iter().map(|r| r.qty).collect();
        tx.execute(
            "INSERT INTO return_unit (till, seq, event_id, orig_till, orig_number, line, qty)
             SELECT $1, u.seq, u.id, u.ot, u.onum, u.line, u.qty
             FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                         $7::bigint[]) AS u(seq, id, ot, onum, line, qty)",
            &[&till, &seqs, &ids, &tills, &numbers, &lines, &qtys],
        )
        .await?;
    }
    Ok(())
}

pub async fn original_sale(
    client: &mut Client,
    till: &str,
    number: u64,
    now: DateTime<Utc>,
) -> Result<Option<OriginalSale>, LedgerError> {
    let Ok(n) = i64::try_from(number) else {
        return Ok(None);
    };
    // One snapshot of the sale, returns and holds.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let Some((id, at, body)) = find_sale(&tx, till, n).await? else {
        return Ok(None);
    };
    let prefix = item_prefix(till, number);
    let returned = plus(
        &returned(&tx, till, n).await?,
        &held(&tx, &prefix, millis(now), "", "").await?,
    );
    tx.commit().await?;
    Ok(Some(OriginalSale {
        id,
        till: till.to_string(),
        number,
        at,
        body,
        returned,
    }))
}

pub async fn hold_return(
    client: &mut Client,
    till: &str,
    h: &HoldRequest,
    now: DateTime<Utc>,
) -> Result<HoldOutcome, LedgerError> {
    let tx = client.transaction().await?;
    // Holds queue on the change counter like reservations: two holds on one
    // unit cannot both see it free.
    lock_counter(&tx).await?;
    let now_ms = millis(now);
    let confirmed = tx
        .query_opt(
            "SELECT 1 FROM return_unit WHERE till = $1 AND event_id = $2 LIMIT 1",
            &[&till, &h.id],
        )
        .await?
        .is_some();
    if held_already(&tx, till, &h.id, &h.digest, now_ms).await? || confirmed {
        tx.commit().await?;
        return Ok(HoldOutcome::Granted);
    }
    let o = &h.original;
    let n = i64::try_from(o.number).unwrap_or(i64::MAX);
    let f = facts(&tx, &o.till, n).await?;
    let taken = plus(
        &returned(&tx, &o.till, n).await?,
        &held(&tx, &item_prefix(&o.till, o.number), now_ms, till, &h.id).await?,
    );
    if let Err(refusal) = check_hold(f.as_ref(), &taken, &o.lines) {
        return Ok(HoldOutcome::Refused(refusal));
    }
    put_hold(&tx, till, &h.id, &h.digest, now, &hold_items(h)).await?;
    tx.commit().await?;
    Ok(HoldOutcome::Granted)
}
