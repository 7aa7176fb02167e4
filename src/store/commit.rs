//! Committing a completed sale: receipt, lines, tenders, stored-value use,
//! signature, journal entry and outbox event, in the caller's transaction.

use super::{
    CompletedSale, JournalEntry, Result, SaleKind, SigningKey, StoreError, insert_journal, upload,
};
use crate::domain::Money;
use crate::domain::receipt::Receipt;
use crate::domain::signature;
use rusqlite::{OptionalExtension, Transaction as SqlTx, params};
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct ClipCount<'a> {
    card: &'a str,
    n: u32,
}

/// The ledger's `sale` (or `return`) event body: the receipt plus its
/// effects (spec/ledger-api.md), and `saft`: what the ledger needs to write
/// this receipt into an organisation-wide SAF-T file exactly as the till's
/// own export does.
#[derive(Serialize)]
struct SaleBody<'a> {
    #[serde(flatten)]
    receipt: &'a Receipt,
    coupons: Vec<&'a str>,
    clips: Vec<ClipCount<'a>>,
    bonus_used: Money,
    saft: Transaction<'a>,
    /// A return's original sale and the units it gives back.
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a super::ReturnOf>,
}

/// A signed transaction's SAF-T fields the receipt object does not carry.
#[derive(Serialize)]
pub(super) struct Transaction<'a> {
    /// SAF-T `nr`: gap-free over all series, signed.
    pub nr: i64,
    /// The receipt series: `sale`, `return` or `training`.
    pub kind: &'static str,
    pub number: i64,
    pub operator: Option<&'a str>,
    pub total_ex: Money,
    pub original_sale: Option<&'a str>,
    pub signature: &'a str,
    pub key_version: &'a str,
    /// The public key (PEM) of `key_version`, on the first transaction the
    /// till uploads with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<&'a str>,
    /// Per receipt line, in order: the name as printed and the VAT class.
    pub lines: Vec<Line<'a>>,
    /// The receipt's own journal entry.
    pub journal: JournalRef<'a>,
}

#[derive(Serialize)]
pub(super) struct Line<'a> {
    name: &'a str,
    vat: String,
}

#[derive(Serialize)]
pub(super) struct JournalRef<'a> {
    id: i64,
    code: u32,
    detail: &'a serde_json::Value,
}

pub(super) fn write_sale(
    tx: &SqlTx<'_>,
    till: &str,
    key: &SigningKey,
    done: &CompletedSale<'_>,
    original: Option<&super::ReturnOf>,
) -> Result<Receipt> {
    let (nr, prev_signature): (i64, String) = tx
        .prepare_cached("SELECT nr + 1, signature FROM sale ORDER BY nr DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((1, signature::FIRST_PREV_SIGNATURE.to_string()));
    let number: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(number), 0) + 1 FROM sale WHERE kind = ?1")?
        .query_row([done.kind.code()], |r| r.get(0))?;
    let seq: Option<i64> = match done.kind {
        SaleKind::Training => None,
        _ => Some(
            tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox")?
                .query_row([], |r| r.get(0))?,
        ),
    };
    let mut receipt = done.sale.receipt(
        number.unsigned_abs(),
        done.payment,
        done.bonus_earned,
        done.bonus_balance,
    );
    receipt.return_of = original.map(|o| crate::domain::receipt::ReturnOf {
        till: o.till.clone(),
        number: o.number,
    });
    let vat: Money = receipt.vat.iter().map(|v| v.vat).sum();
    let total_ex = receipt.total - vat;
    // The signature chain: over the previous signature and this receipt's
    // date, time, nr and totals, computed now, in the sale's own transaction.
    let local = done.at.naive_local();
    let text = signature::signed_text(
        &prev_signature,
        local.date(),
        local.time(),
        nr.unsigned_abs(),
        &signature::amount_text(receipt.total.as_decimal()),
        &signature::amount_text(total_ex.as_decimal()),
    );
    let signature = key.signer.sign(&text).map_err(StoreError::Sign)?;
    let at = done.at.to_rfc3339();
    tx.prepare_cached(
        "INSERT INTO sale (id, nr, kind, number, seq, at, till, mode, operator, member, total, total_ex, rounding,
                           bonus_used, bonus_earned, offline, original_sale, signature, key_version, receipt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        done.id,
        nr,
        done.kind.code(),
        number,
        seq,
        at,
        till,
        done.mode,
        done.operator,
        receipt.member,
        receipt.total.to_string(),
        total_ex.to_string(),
        receipt.rounding.to_string(),
        done.payment.bonus_used.to_string(),
        receipt.bonus_earned.to_string(),
        done.offline,
        done.original_sale,
        signature,
        key.version,
        serde_json::to_string(&receipt).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    ])?;
    {
        let mut line_stmt = tx.prepare_cached(
            "INSERT INTO sale_line (sale_id, line_no, sku, name, qty, grams, unit_price, discount, discount_kind, discount_ref, amount, vat, vat_class)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for (i, l) in receipt.lines.iter().enumerate() {
            line_stmt.execute(params![
                done.id,
                i as i64 + 1,
                l.sku,
                l.name,
                l.qty,
                l.grams,
                l.unit_price.to_string(),
                l.discount.to_string(),
                l.discount_kind,
                l.discount_ref,
                l.amount.to_string(),
                l.vat.percent().unwrap_or(0),
                l.vat.to_string(),
            ])?;
        }
        let mut tender_stmt =
            tx.prepare_cached("INSERT INTO tender (sale_id, pos, kind, amount, reference) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (i, t) in receipt.tenders.iter().enumerate() {
            tender_stmt.execute(params![
                done.id,
                i as i64 + 1,
                t.kind.code(),
                t.amount.to_string(),
                t.reference
            ])?;
        }
        let mut coupon_stmt =
            tx.prepare_cached("INSERT INTO coupon_use (coupon, sale_id) VALUES (?1, ?2)")?;
        for c in done.sale.coupons() {
            coupon_stmt.execute(params![c, done.id])?;
        }
    }
    let mut clips: Vec<ClipCount<'_>> = Vec::new();
    for card in done.sale.clips().filter(|_| done.kind == SaleKind::Sale) {
        match clips.iter_mut().find(|c| c.card == card) {
            Some(c) => c.n += 1,
            None => clips.push(ClipCount { card, n: 1 }),
        }
    }
    {
        let mut clip_stmt =
            tx.prepare_cached("INSERT INTO clip_use (sale_id, card, n) VALUES (?1, ?2, ?3)")?;
        for c in &clips {
            clip_stmt.execute(params![done.id, c.card, c.n])?;
        }
    }
    // The receipt's journal entry first: its id goes up with the sale, so
    // the ledger can place it among the till's journal.
    let detail =
        serde_json::json!({"nr": nr, "number": number, "total": receipt.total, "seq": seq});
    let entry = JournalEntry {
        at: done.at,
        operator: done.operator.clone(),
        code: done.kind.journal_code(),
        kind: done.kind.code(),
        sale_id: Some(done.id.clone()),
        detail,
    };
    let journal_id = insert_journal(tx, till, &entry)?;
    let lines: Vec<Line<'_>> = receipt
        .lines
        .iter()
        .map(|l| Line {
            name: &l.name,
            vat: l.vat.to_string(),
        })
        .collect();
    let saft = Transaction {
        nr,
        kind: done.kind.code(),
        number,
        operator: done.operator.as_deref(),
        total_ex,
        original_sale: done.original_sale.as_deref(),
        signature: &signature,
        key_version: &key.version,
        public_key: upload::announce_key(tx, key)?,
        lines,
        journal: JournalRef {
            id: journal_id,
            code: entry.code,
            detail: &entry.detail,
        },
    };
    match seq {
        Some(seq) => {
            let body = SaleBody {
                receipt: &receipt,
                coupons: done
                    .sale
                    .coupons()
                    .filter(|_| done.kind == SaleKind::Sale)
                    .collect(),
                clips,
                bonus_used: done.payment.bonus_used,
                saft,
                original,
            };
            let body =
                serde_json::to_string(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO outbox (seq, id, kind, at, offline, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                seq,
                done.id,
                done.kind.code(),
                at,
                done.offline,
                body
            ])?;
        }
        // Training moves no money and no stored value: it goes up as the
        // journal entry it is, carrying its signed transaction (the chain
        // runs through it).
        None => upload::training_event(tx, journal_id, &entry, &receipt, &saft)?,
    }
    Ok(receipt)
}
