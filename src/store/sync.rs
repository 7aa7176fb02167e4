//! What the sync worker reads and writes: the outbox position the ledger has
//! acknowledged, the change-feed cursor, and pages of changes applied to the
//! cache, each page in one transaction together with its cursor.

use super::{Result, Store, StoreError, journal_master_data, write_tx};
use crate::domain::VatRate;
use chrono::{DateTime, FixedOffset};
use rusqlite::params;
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncState {
    pub acked_through: i64,
    pub cursor: i64,
    pub last_sync: Option<DateTime<FixedOffset>>,
    /// Outbox events the ledger has not acknowledged yet.
    pub queue: i64,
}

/// One entry of the ledger's change feed (spec/ledger-api.md).
#[derive(Clone, Debug, Deserialize)]
pub struct Change {
    pub cursor: i64,
    pub kind: String,
    pub data: Value,
}

fn bad(kind: &str, data: &Value) -> StoreError {
    StoreError::Corrupt(format!(
        "change of kind `{kind}` with unexpected data {data}"
    ))
}

fn text<'a>(data: &'a Value, key: &str, kind: &str) -> Result<&'a str> {
    data[key].as_str().ok_or_else(|| bad(kind, data))
}

impl Store {
    pub fn sync_state(&self) -> Result<SyncState> {
        let (acked_through, cursor, last): (i64, i64, Option<String>) = self.conn.query_row(
            "SELECT acked_through, cursor, last_sync FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let queue: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE seq > ?1",
            [acked_through],
            |r| r.get(0),
        )?;
        Ok(SyncState {
            acked_through,
            cursor,
            last_sync: last.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
            queue,
        })
    }

    /// The ledger has applied everything through `seq` (never moves back).
    pub fn set_acked(&mut self, seq: i64, at: DateTime<FixedOffset>) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET acked_through = MAX(acked_through, ?1), last_sync = ?2 WHERE id = 1",
            params![seq, at.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Applies one page of the change feed and stores `next` with it, in one
    /// transaction; member and card balances are as of `acked_through`.
    pub fn apply_changes(
        &mut self,
        changes: &[Change],
        next: i64,
        acked_through: i64,
        at: DateTime<FixedOffset>,
    ) -> Result<()> {
        let tx = write_tx(&mut self.conn)?;
        let mut keys: Vec<String> = tx
            .query_row(
                "SELECT value FROM setting WHERE key = 'ledger_keys'",
                [],
                |r| r.get::<_, String>(0),
            )
            .ok()
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        let mut counts = std::collections::BTreeMap::<String, u32>::new();
        for c in changes {
            let d = &c.data;
            *counts.entry(c.kind.clone()).or_default() += 1;
            match c.kind.as_str() {
                "product" => {
                    let sku = text(d, "sku", &c.kind)?;
                    let vat =
                        VatRate::parse(text(d, "vat", &c.kind)?).ok_or_else(|| bad(&c.kind, d))?;
                    tx.execute("DELETE FROM barcode WHERE sku = ?1", [sku])?;
                    tx.execute(
                        "INSERT INTO product (sku, name, price, price_per_kg, vat, coffee, tare_g, vat_class)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (sku) DO UPDATE SET name = ?2, price = ?3, price_per_kg = ?4, vat = ?5, coffee = ?6, tare_g = ?7, vat_class = ?8",
                        params![
                            sku,
                            text(d, "name", &c.kind)?,
                            d["price"].as_str(),
                            d["price_per_kg"].as_str(),
                            vat.percent().unwrap_or(0),
                            d["coffee"].as_bool().unwrap_or(false),
                            d["tare_g"].as_i64().unwrap_or(0),
                            vat.to_string(),
                        ],
                    )?;
                    for code in d["barcodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        tx.execute(
                            "INSERT OR REPLACE INTO barcode (code, sku) VALUES (?1, ?2)",
                            params![code, sku],
                        )?;
                    }
                }
                "campaign" => {
                    tx.execute(
                        "INSERT OR REPLACE INTO campaign (id, skus, rate, from_date, until_date) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            text(d, "id", &c.kind)?,
                            d["skus"].to_string(),
                            text(d, "rate", &c.kind)?,
                            text(d, "from", &c.kind)?,
                            text(d, "until", &c.kind)?,
                        ],
                    )?;
                }
                "member" => {
                    tx.execute(
                        "INSERT OR REPLACE INTO member (id, name, student, student_until, bonus, as_of_seq)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            text(d, "id", &c.kind)?,
                            text(d, "name", &c.kind)?,
                            d["student"].as_bool().unwrap_or(false),
                            d["student_until"].as_str(),
                            d["bonus"].as_str().unwrap_or("0.00"),
                            acked_through,
                        ],
                    )?;
                }
                "coupon" => {
                    tx.execute(
                        "INSERT OR REPLACE INTO coupon (id, member, sku, valid_until, used) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            text(d, "id", &c.kind)?,
                            text(d, "member", &c.kind)?,
                            text(d, "sku", &c.kind)?,
                            d["valid_until"].as_str(),
                            d["used"].as_bool().unwrap_or(false),
                        ],
                    )?;
                }
                "card" => {
                    tx.execute(
                        "INSERT OR REPLACE INTO card (id, member, clips, as_of_seq) VALUES (?1, ?2, ?3, ?4)",
                        params![
                            text(d, "id", &c.kind)?,
                            text(d, "member", &c.kind)?,
                            d["clips"].as_i64().ok_or_else(|| bad(&c.kind, d))?,
                            acked_through,
                        ],
                    )?;
                }
                "key" => {
                    let key = text(d, "key", &c.kind)?.to_string();
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                "settings" => {
                    for (k, v) in d.as_object().into_iter().flatten() {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        tx.execute(
                            "INSERT OR REPLACE INTO setting (key, value) VALUES (?1, ?2)",
                            params![k, v],
                        )?;
                    }
                }
                "delete" => {
                    let id = text(d, "id", &c.kind)?;
                    match text(d, "kind", &c.kind)? {
                        "product" => {
                            tx.execute("DELETE FROM product WHERE sku = ?1", [id])?;
                        }
                        "campaign" => {
                            tx.execute("DELETE FROM campaign WHERE id = ?1", [id])?;
                        }
                        "member" => {
                            tx.execute("DELETE FROM member WHERE id = ?1", [id])?;
                        }
                        "coupon" => {
                            tx.execute("DELETE FROM coupon WHERE id = ?1", [id])?;
                        }
                        "card" => {
                            tx.execute("DELETE FROM card WHERE id = ?1", [id])?;
                        }
                        "key" => keys.retain(|k| k != id),
                        _ => {}
                    }
                }
                // A newer ledger may send kinds this till does not know yet.
                _ => {}
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO setting (key, value) VALUES ('ledger_keys', ?1)",
            [serde_json::to_string(&keys).map_err(|e| StoreError::Corrupt(e.to_string()))?],
        )?;
        tx.execute(
            "UPDATE sync_state SET cursor = ?1, last_sync = ?2 WHERE id = 1",
            params![next, at.to_rfc3339()],
        )?;
        if !changes.is_empty() {
            journal_master_data(
                &tx,
                &self.till,
                at,
                serde_json::json!({"from_ledger": counts, "cursor": next}),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// A write of sync on the till's database, as a value: the kiosk's sync
/// worker hands these to the till's own connection.
#[derive(Clone, Debug)]
pub enum SyncOp {
    Acked {
        seq: i64,
        at: chrono::DateTime<chrono::FixedOffset>,
    },
    Changes {
        changes: Vec<Change>,
        next: i64,
        acked_through: i64,
        at: chrono::DateTime<chrono::FixedOffset>,
    },
}

impl SyncOp {
    /// Makes the write on this store (the till's, for the kiosk).
    pub fn apply(&self, store: &mut Store) -> std::result::Result<(), String> {
        let done = match self {
            SyncOp::Acked { seq, at } => store.set_acked(*seq, *at),
            SyncOp::Changes {
                changes,
                next,
                acked_through,
                at,
            } => store.apply_changes(changes, *next, *acked_through, *at),
        };
        done.map_err(|e| e.to_string())
    }
}
