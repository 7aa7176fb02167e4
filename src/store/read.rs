//! Reading completed transactions and the journal back, for reports and the
//! SAF-T export. Read-only.

use super::{Result, SaleKind, Store, StoreError, money, write_tx};
use crate::domain::{Money, VatRate};
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};

#[derive(Clone, Debug)]
pub struct LineRow {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub grams: Option<u32>,
    pub unit_price: Money,
    pub discount: Money,
    pub discount_kind: Option<String>,
    pub amount: Money,
    pub vat: VatRate,
}

#[derive(Clone, Debug)]
pub struct TenderRowRead {
    pub kind: String,
    pub amount: Money,
    pub reference: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SaleRow {
    pub id: String,
    pub nr: u64,
    pub kind: SaleKind,
    pub number: u64,
    pub at: DateTime<FixedOffset>,
    pub operator: Option<String>,
    pub total: Money,
    pub total_ex: Money,
    pub rounding: Money,
    pub original_sale: Option<String>,
    pub signature: String,
    pub key_version: String,
    pub copies: u16,
    pub lines: Vec<LineRow>,
    pub tenders: Vec<TenderRowRead>,
}

#[derive(Clone, Debug)]
pub struct JournalRow {
    pub id: u64,
    pub at: DateTime<FixedOffset>,
    pub operator: Option<String>,
    pub code: u32,
    pub kind: String,
    pub sale_id: Option<String>,
    pub detail: serde_json::Value,
}

/// Where the last Z report left the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZMark {
    pub number: u64,
    pub last_nr: u64,
    pub last_journal: u64,
    pub grand_sales: Money,
    pub grand_returns: Money,
}

fn time(s: &str) -> Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).map_err(|_| StoreError::Corrupt(format!("time `{s}`")))
}

fn u(v: i64) -> u64 {
    v.unsigned_abs()
}

impl Store {
    /// Transactions with `after < nr <= through`, in nr order.
    pub fn transactions(&self, after: u64, through: u64) -> Result<Vec<SaleRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.id, s.nr, s.kind, s.number, s.at, s.operator, s.total, s.total_ex, s.rounding,
                    s.original_sale, s.signature, s.key_version,
                    (SELECT COUNT(*) FROM receipt_copy c WHERE c.sale_id = s.id)
             FROM sale s WHERE s.nr > ?1 AND s.nr <= ?2 ORDER BY s.nr",
        )?;
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![clamp(after), clamp(through)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, i64>(12)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                nr,
                kind,
                number,
                at,
                operator,
                total,
                total_ex,
                rounding,
                original_sale,
                signature,
                key_version,
                copies,
            ) = row?;
            let kind = SaleKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("sale kind `{kind}`")))?;
            let mut lines = Vec::new();
            let mut ls = self.conn.prepare_cached(
                "SELECT line_no, sku, name, qty, grams, unit_price, discount, discount_kind, amount,
                        COALESCE(vat_class, CAST(vat AS TEXT))
                 FROM sale_line WHERE sale_id = ?1 ORDER BY line_no",
            )?;
            for l in ls.query_map([&id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, Option<u32>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })? {
                let (
                    line_no,
                    sku,
                    name,
                    qty,
                    grams,
                    unit_price,
                    discount,
                    discount_kind,
                    amount,
                    vat,
                ) = l?;
                lines.push(LineRow {
                    line_no,
                    sku,
                    name,
                    qty,
                    grams,
                    unit_price: money(&unit_price)?,
                    discount: money(&discount)?,
                    discount_kind,
                    amount: money(&amount)?,
                    vat: VatRate::parse(&vat).ok_or_else(|| {
                        StoreError::Corrupt(format!("sale {id} line {line_no}: VAT class `{vat}`"))
                    })?,
                });
            }
            let mut tenders = Vec::new();
            let mut ts = self.conn.prepare_cached(
                "SELECT kind, amount, reference FROM tender WHERE sale_id = ?1 ORDER BY pos",
            )?;
            for t in ts.query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })? {
                let (kind, amount, reference) = t?;
                tenders.push(TenderRowRead {
                    kind,
                    amount: money(&amount)?,
                    reference,
                });
            }
            out.push(SaleRow {
                id,
                nr: u(nr),
                kind,
                number: u(number),
                at: time(&at)?,
                operator,
                total: money(&total)?,
                total_ex: money(&total_ex)?,
                rounding: money(&rounding)?,
                original_sale,
                signature,
                key_version,
                copies: u16::try_from(copies).unwrap_or(u16::MAX),
                lines,
                tenders,
            });
        }
        Ok(out)
    }

    /// Journal entries with `after < id < before`, in order.
    pub fn journal_between(&self, after: u64, before: u64) -> Result<Vec<JournalRow>> {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT id, at, operator, code, kind, sale_id, detail FROM journal WHERE id > ?1 AND id < ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![clamp(after), clamp(before)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, operator, code, kind, sale_id, detail) = row?;
            out.push(JournalRow {
                id: u(id),
                at: time(&at)?,
                operator,
                code,
                kind,
                sale_id,
                detail: serde_json::from_str(&detail)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            });
        }
        Ok(out)
    }

    /// When a receipt was made (for reprints and copies).
    pub fn receipt_time(
        &self,
        kind: SaleKind,
        number: u64,
    ) -> Result<Option<DateTime<FixedOffset>>> {
        let at: Option<String> = self
            .conn
            .query_row(
                "SELECT at FROM sale WHERE kind = ?1 AND number = ?2",
                params![kind.code(), i64::try_from(number).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .ok();
        at.map(|t| time(&t)).transpose()
    }

    /// A receipt's time, total and signature: what its link carries (the
    /// receipt QR) and what a link is checked against. None if there is no
    /// such receipt.
    pub fn receipt_seal(
        &self,
        kind: SaleKind,
        number: u64,
    ) -> Result<Option<(DateTime<FixedOffset>, Money, String)>> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT at, total, signature FROM sale WHERE kind = ?1 AND number = ?2",
                params![kind.code(), i64::try_from(number).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(at, total, signature)| Ok((time(&at)?, money(&total)?, signature)))
            .transpose()
    }

    pub fn last_nr(&self) -> Result<u64> {
        Ok(u(self.conn.query_row(
            "SELECT COALESCE(MAX(nr), 0) FROM sale",
            [],
            |r| r.get(0),
        )?))
    }

    pub fn last_journal_id(&self) -> Result<u64> {
        Ok(u(self.conn.query_row(
            "SELECT COALESCE(MAX(id), 0) FROM journal",
            [],
            |r| r.get(0),
        )?))
    }

    /// The last Z report before journal entry `before` (or the latest).
    pub fn z_mark_before(&self, before: u64) -> Result<ZMark> {
        let clamp = i64::try_from(before).unwrap_or(i64::MAX);
        let row = self
            .conn
            .query_row(
                "SELECT number, last_nr, last_journal, grand_sales, grand_returns FROM z_report
                 WHERE last_journal < ?1 ORDER BY number DESC LIMIT 1",
                [clamp],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .ok();
        match row {
            None => Ok(ZMark::default()),
            Some((number, last_nr, last_journal, sales, returns)) => Ok(ZMark {
                number: u(number),
                last_nr: u(last_nr),
                last_journal: u(last_journal),
                grand_sales: money(&sales)?,
                grand_returns: money(&returns)?,
            }),
        }
    }

    pub fn z_report_on(&self, day: chrono::NaiveDate) -> Result<Option<u64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT number FROM z_report WHERE day = ?1",
                [day.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .ok()
            .map(u))
    }

    /// Writes a Z report's mark and its journal entry in one transaction;
    /// returns the journal id. `cash` (the drawer's count: expected,
    /// counted, difference) goes into the entry's detail when given.
    pub fn record_z(
        &mut self,
        mark: &ZMark,
        day: chrono::NaiveDate,
        at: DateTime<FixedOffset>,
        operator: Option<String>,
        text: &str,
        cash: Option<serde_json::Value>,
    ) -> Result<u64> {
        let mut detail =
            serde_json::json!({"kind": "Z", "number": mark.number, "last_nr": mark.last_nr});
        if let Some(cash) = cash {
            detail["cash"] = cash;
        }
        let tx = write_tx(&mut self.conn)?;
        let journal_id = super::insert_journal(
            &tx,
            &self.till,
            &super::JournalEntry {
                at,
                operator: operator.clone(),
                code: super::codes::Z_REPORT,
                kind: "z_report",
                sale_id: None,
                detail,
            },
        )?;
        tx.execute(
            "INSERT INTO z_report (number, day, at, last_nr, last_journal, grand_sales, grand_returns, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                i64::try_from(mark.number).unwrap_or(i64::MAX),
                day.to_string(),
                at.to_rfc3339(),
                i64::try_from(mark.last_nr).unwrap_or(i64::MAX),
                journal_id,
                mark.grand_sales.to_string(),
                mark.grand_returns.to_string(),
                text,
            ],
        )?;
        super::upload::z_report_event(&tx, journal_id, mark, day, at, operator.as_deref(), text)?;
        tx.commit()?;
        Ok(u(journal_id))
    }
}
