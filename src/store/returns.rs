//! Returns: the units of an original sale each return gave back. A return
//! is written like a sale (its own receipt series, signed, journaled 13013,
//! uploaded) and, in the same transaction, its units are checked against
//! what is left of the original: a unit sold once is returned at most once.

use super::commit::write_sale;
use super::{CompletedSale, Result, Store, StoreError, write_tx};
use crate::domain::receipt::Receipt;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The original of a return, as the ledger reads it in the `return` event
/// (`original`): the sale by till and sales receipt number, and the units
/// given back per 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnOf {
    pub till: String,
    pub number: u64,
    /// The original sale's uuid.
    pub id: String,
    pub lines: Vec<ReturnUnits>,
    /// Units sold per line (not uploaded: the ledger has the original).
    #[serde(skip)]
    pub sold: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnUnits {
    pub line: usize,
    pub qty: u32,
}

impl Store {
    /// Units of each line (1-based) of sales receipt `number` of `till`
    /// already returned at this till.
    pub fn returned_units(&self, till: &str, number: u64) -> Result<Vec<(usize, u32)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT line_no, SUM(qty) FROM return_line WHERE original_till = ?1 AND original_number = ?2
             GROUP BY line_no ORDER BY line_no",
        )?;
        let rows = stmt.query_map(
            params![till, i64::try_from(number).unwrap_or(i64::MAX)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (line, qty) = row?;
            out.push((
                usize::try_from(line).map_err(|_| StoreError::Corrupt(format!("line {line}")))?,
                u32::try_from(qty).map_err(|_| StoreError::Corrupt(format!("qty {qty}")))?,
            ));
        }
        Ok(out)
    }

    /// The payment intent that paid sale `sale_id` (the provider's reference
    /// for a refund), if a provider took part.
    pub fn paying_intent(&self, sale_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM payment_intent WHERE sale_id = ?1 AND state = 'committed'",
            )?
            .query_row([sale_id], |r| r.get(0))
            .optional()?)
    }

    /// The id of this till's sale with sales receipt `number`.
    pub fn sale_id(&self, number: u64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM sale WHERE kind = 'sale' AND number = ?1")?
            .query_row([i64::try_from(number).unwrap_or(i64::MAX)], |r| r.get(0))
            .optional()?)
    }

    /// Writes return `done` of `original` in one transaction: refused, with
    /// nothing written, when a line has fewer units left than it gives back.
    pub fn commit_return(
        &mut self,
        done: &CompletedSale<'_>,
        original: &ReturnOf,
    ) -> Result<Receipt> {
        let written = (|| {
            let tx = write_tx(&mut self.conn)?;
            for u in &original.lines {
                let before: i64 = tx
                    .prepare_cached(
                        "SELECT COALESCE(SUM(qty), 0) FROM return_line
                         WHERE original_till = ?1 AND original_number = ?2 AND line_no = ?3",
                    )?
                    .query_row(
                        params![
                            original.till,
                            i64::try_from(original.number).unwrap_or(i64::MAX),
                            u.line as i64
                        ],
                        |r| r.get(0),
                    )?;
                let sold = original
                    .sold
                    .get(u.line.wrapping_sub(1))
                    .copied()
                    .unwrap_or(0);
                let left = i64::from(sold) - before;
                if i64::from(u.qty) > left {
                    return Err(StoreError::AlreadyReturned {
                        number: original.number,
                        line: u.line,
                        left: u32::try_from(left.max(0)).unwrap_or(0),
                    });
                }
            }
            let receipt = write_sale(&tx, &self.till, &self.key, done, Some(original))?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO return_line (return_id, original_till, original_number, original_id, line_no, qty)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for u in &original.lines {
                stmt.execute(params![
                    done.id,
                    original.till,
                    i64::try_from(original.number).unwrap_or(i64::MAX),
                    original.id,
                    u.line as i64,
                    u.qty
                ])?;
            }
            drop(stmt);
            tx.commit()?;
            Ok(receipt)
        })();
        self.relieve(written)
    }
}

impl Store {
    /// The signature of sale `id` as the books hold it (a receipt QR's seal
    /// is checked against it).
    pub fn signature_of(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT signature FROM sale WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// When sale `id` was made, as written.
    pub fn sale_at(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT at FROM sale WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }
}

impl Store {
    /// Refunds a provider was asked for since the last Z whose return was
    /// never saved (the till stopped in between): (sales receipt number,
    /// amount, tender), for staff to check at the provider.
    pub fn unsaved_refunds(&self) -> Result<Vec<(u64, String, String)>> {
        let since = self.z_mark_before(u64::MAX)?.last_journal;
        let mut stmt = self.conn.prepare_cached(
            "SELECT json_extract(detail, '$.original.number'), json_extract(detail, '$.amount'),
                    COALESCE(json_extract(detail, '$.tender'), '')
             FROM journal
             WHERE kind = 'refund_started' AND id > ?1
               AND json_extract(detail, '$.return') NOT IN (SELECT id FROM sale)
             ORDER BY id",
        )?;
        let rows = stmt.query_map([i64::try_from(since).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, amount, tender) = row?;
            out.push((number.unsigned_abs(), amount, tender));
        }
        Ok(out)
    }
}
