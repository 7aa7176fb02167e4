//! One SAF-T Cash Register file for the organisation, from what the tills
//! uploaded to the ledger (spec/ledger-api.md events, stored verbatim).
//!
//! Each till's uploads are read back into its books — signed transactions
//! (sales and returns from their events, training receipts from their
//! `journal` events, each with the `saft` fields of its body), journal
//! entries and Z marks — and written as its own `cashregister` by the code
//! the till's own export uses ([`export::register`]): the same nr, amounts
//! and signatures, each till on its own chain and key. A till whose uploads
//! have a hole in the period is refused, naming the till and the seq, never
//! written with a silent gap.
//!
//! Not in the file: the till's master-data journal entries (13021; the data
//! came from the ledger and is not uploaded back).
//!
//! Pure: the events and the catalog come in as values (the CLI reads them
//! from the ledger).

use super::export::{self, Books, FileSettings, ReportError};
use super::saft::{self, SaftError};
use crate::domain::{Catalog, Company, Money, VatRate};
use crate::store::{
    JournalRow, LineRow, SaleKind, SaleRow, StoreError, TenderRowRead, ZMark, codes,
};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde_json::Value;
use std::collections::BTreeMap;

/// One event as the ledger stored it.
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    /// RFC 3339, exactly as the till wrote it (its local time and offset).
    pub at: String,
    /// The body, JSON text.
    pub body: String,
}

/// Every event one till uploaded, in seq order.
#[derive(Clone, Debug)]
pub struct TillUploads {
    pub till: String,
    pub events: Vec<Uploaded>,
}

/// Why the organisation's file was not written.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(
        "till {till}: the ledger holds seq {before} and then seq {after}, so seq {} to {} are missing; \
         the ledger's copy of this till has a hole: restore its events (or leave the till out with --till) before exporting",
        before + 1, after - 1
    )]
    SeqGap {
        till: String,
        before: i64,
        after: i64,
    },
    #[error(
        "till {till}: transaction nr {missing} is not among its uploads{}; a till older than this \
         ledger did not upload training receipts: export that till's own file (kasse export saft) for this period",
        next_there(next)
    )]
    NrGap {
        till: String,
        missing: u64,
        /// The next transaction the ledger has: its nr and the seq it came with.
        next: Option<(u64, i64)>,
    },
    #[error(
        "till {till} seq {seq}: a {what} uploaded without its SAF-T fields (`saft`, sent since this version); \
         the ledger cannot write it: export that till's own file (kasse export saft) for this period"
    )]
    NoSaft {
        till: String,
        seq: i64,
        what: &'static str,
    },
    #[error("till {till} seq {seq}: the stored event cannot be read: {problem}")]
    Unreadable {
        till: String,
        seq: i64,
        problem: String,
    },
    #[error("till {till}: {source}")]
    Report { till: String, source: ReportError },
    #[error(transparent)]
    Saft(#[from] SaftError),
}

fn next_there(next: &Option<(u64, i64)>) -> String {
    match next {
        Some((nr, seq)) => format!(" (the next there is nr {nr}, uploaded with seq {seq})"),
        None => String::new(),
    }
}

/// The public key a till uploaded for a key version its transactions in
/// the file were signed with (None: never uploaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TillKey {
    pub till: String,
    pub key_version: String,
    pub public_pem: Option<String>,
}

/// The file and what an auditor needs besides it.
#[derive(Clone, Debug)]
pub struct OrgFile {
    pub xml: String,
    pub keys: Vec<TillKey>,
    /// Transactions per till in the file.
    pub transactions: Vec<(String, usize)>,
    /// Per till whose first transaction in the file is not its nr 1: the
    /// signature of the transaction before it, which that till's chain in
    /// the file starts from (`kasse verify saft --anchor TILL=SIGNATURE`).
    pub anchors: Vec<(String, String)>,
}

pub struct OrgSettings<'a> {
    pub company: &'a Company,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub created: NaiveDateTime,
}

/// The SAF-T file of `tills` (one `cashregister` each, in the order given)
/// for the days `from..=to`; `catalog` is the ledger's (article groups).
pub fn export(
    tills: &[TillUploads],
    catalog: &Catalog,
    s: &OrgSettings<'_>,
) -> Result<OrgFile, OrgError> {
    let mut registers = Vec::with_capacity(tills.len());
    let mut keys = Vec::new();
    let mut counts = Vec::new();
    let mut anchors = Vec::new();
    for (n, t) in tills.iter().enumerate() {
        let books = LedgerBooks::read(t)?;
        books.check_period(&t.till, s.from, s.to)?;
        let mut register =
            export::register(&books, catalog, &t.till, s.from, s.to).map_err(|source| {
                OrgError::Report {
                    till: t.till.clone(),
                    source,
                }
            })?;
        // A reportID is unique in the file; every till has its own Z-1.
        for e in &mut register.events {
            if let Some(r) = e.report.as_mut() {
                let named = format!("{}:{}", t.till, r.id);
                r.id = if named.chars().count() <= 35 {
                    named
                } else {
                    format!("{}:{}", n + 1, r.id)
                };
            }
        }
        let mut versions: Vec<&str> = register
            .transactions
            .iter()
            .map(|x| x.key_version.as_str())
            .collect();
        versions.sort_unstable();
        versions.dedup();
        keys.extend(versions.into_iter().map(|v| TillKey {
            till: t.till.clone(),
            key_version: v.to_string(),
            public_pem: books.keys.get(v).cloned(),
        }));
        if let Some(first) = register.transactions.first()
            && let Some((before, _)) = books
                .transactions
                .iter()
                .find(|(r, _)| r.nr + 1 == first.nr)
        {
            anchors.push((t.till.clone(), before.signature.clone()));
        }
        counts.push((t.till.clone(), register.transactions.len()));
        registers.push(register);
    }
    let names: Vec<&str> = tills.iter().map(|t| t.till.as_str()).collect();
    let file = FileSettings {
        company: s.company,
        from: s.from,
        to: s.to,
        created: s.created,
        comment: format!(
            "Tills {} from {} to {}, from the ledger's copy of their uploads",
            names.join(", "),
            s.from,
            s.to
        ),
    };
    Ok(OrgFile {
        xml: saft::write(&export::audit_file(registers, &file))?,
        keys,
        transactions: counts,
        anchors,
    })
}

/// One till's books as its uploads tell them.
#[derive(Debug, Default)]
struct LedgerBooks {
    /// In nr order, each with the seq it came with.
    transactions: Vec<(SaleRow, i64)>,
    /// In id order.
    journal: Vec<JournalRow>,
    /// In number order.
    z_marks: Vec<ZMark>,
    /// Public key PEM per key version.
    keys: BTreeMap<String, String>,
    /// Receipts uploaded without `saft`: (seq, what, local date).
    unsigned: Vec<(i64, &'static str, NaiveDate)>,
}

fn money(v: &Value, key: &str) -> Result<Money, String> {
    v[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("`{key}` is not an amount"))
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v[key].as_str().ok_or_else(|| format!("`{key}` is missing"))
}

fn number(v: &Value, key: &str) -> Result<u64, String> {
    v[key]
        .as_u64()
        .ok_or_else(|| format!("`{key}` is not a whole number"))
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_string)
}

/// A signed transaction from its receipt object and its `saft` fields.
fn sale_row(
    id: &str,
    at: DateTime<FixedOffset>,
    receipt: &Value,
    saft: &Value,
) -> Result<SaleRow, String> {
    let kind = text(saft, "kind")?;
    let kind = SaleKind::parse(kind).ok_or_else(|| format!("receipt series `{kind}`"))?;
    let facts = saft["lines"].as_array().ok_or("`saft.lines` is missing")?;
    let lines = receipt["lines"].as_array().ok_or("`lines` is missing")?;
    if facts.len() != lines.len() {
        return Err(format!(
            "{} lines but {} in `saft.lines`",
            lines.len(),
            facts.len()
        ));
    }
    let mut line_rows = Vec::with_capacity(lines.len());
    for (i, (l, f)) in lines.iter().zip(facts).enumerate() {
        let vat = text(f, "vat")?;
        line_rows.push(LineRow {
            line_no: u32::try_from(i + 1).map_err(|e| e.to_string())?,
            sku: text(l, "sku")?.to_string(),
            name: text(f, "name")?.to_string(),
            qty: u32::try_from(number(l, "qty")?).map_err(|e| e.to_string())?,
            grams: l["grams"].as_u64().and_then(|g| u32::try_from(g).ok()),
            unit_price: money(l, "unit_price")?,
            discount: money(l, "discount")?,
            discount_kind: opt_text(l, "discount_kind"),
            amount: money(l, "amount")?,
            vat: VatRate::parse(vat).ok_or_else(|| format!("VAT class `{vat}`"))?,
        });
    }
    let mut tenders = Vec::new();
    for t in receipt["tenders"]
        .as_array()
        .ok_or("`tenders` is missing")?
    {
        tenders.push(TenderRowRead {
            kind: text(t, "kind")?.to_string(),
            amount: money(t, "amount")?,
            reference: opt_text(t, "reference"),
        });
    }
    Ok(SaleRow {
        id: id.to_string(),
        nr: number(saft, "nr")?,
        kind,
        number: number(saft, "number")?,
        at,
        operator: opt_text(saft, "operator"),
        total: money(receipt, "total")?,
        total_ex: money(saft, "total_ex")?,
        rounding: money(receipt, "rounding")?,
        original_sale: opt_text(saft, "original_sale"),
        signature: text(saft, "signature")?.to_string(),
        key_version: text(saft, "key_version")?.to_string(),
        copies: 0,
        lines: line_rows,
        tenders,
    })
}

/// A `journal` event's entry.
fn journal_row(at: DateTime<FixedOffset>, body: &Value) -> Result<JournalRow, String> {
    Ok(JournalRow {
        id: number(body, "journal_id")?,
        at,
        operator: opt_text(body, "operator"),
        code: u32::try_from(number(body, "code")?).map_err(|e| e.to_string())?,
        kind: text(body, "kind")?.to_string(),
        sale_id: opt_text(body, "sale_id"),
        detail: body["detail"].clone(),
    })
}

impl LedgerBooks {
    fn read(t: &TillUploads) -> Result<LedgerBooks, OrgError> {
        let mut books = LedgerBooks::default();
        let mut prev = 0;
        for e in &t.events {
            if e.seq != prev + 1 {
                return Err(OrgError::SeqGap {
                    till: t.till.clone(),
                    before: prev,
                    after: e.seq,
                });
            }
            prev = e.seq;
            books.add(e).map_err(|problem| OrgError::Unreadable {
                till: t.till.clone(),
                seq: e.seq,
                problem,
            })?;
        }
        books.transactions.sort_by_key(|(r, _)| r.nr);
        books.journal.sort_by_key(|j| j.id);
        books.z_marks.sort_by_key(|z| z.number);
        let mut copies: BTreeMap<&str, u16> = BTreeMap::new();
        for j in books
            .journal
            .iter()
            .filter(|j| j.code == codes::COPY_RECEIPT)
        {
            if let Some(id) = &j.sale_id {
                *copies.entry(id).or_default() += 1;
            }
        }
        let copies: BTreeMap<String, u16> = copies
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for (r, _) in &mut books.transactions {
            r.copies = copies.get(&r.id).copied().unwrap_or(0);
        }
        Ok(books)
    }

    fn add(&mut self, e: &Uploaded) -> Result<(), String> {
        let at = DateTime::parse_from_rfc3339(&e.at).map_err(|_| format!("time `{}`", e.at))?;
        let body: Value = serde_json::from_str(&e.body).map_err(|x| x.to_string())?;
        match e.kind.as_str() {
            "sale" | "return" => {
                let what = if e.kind == "sale" { "sale" } else { "return" };
                let Some(saft) = body.get("saft") else {
                    self.unsigned.push((e.seq, what, at.date_naive()));
                    return Ok(());
                };
                self.transaction(&e.id, at, &body, saft, e.seq)?;
                let j = &saft["journal"];
                self.journal.push(JournalRow {
                    id: number(j, "id")?,
                    at,
                    operator: opt_text(saft, "operator"),
                    code: u32::try_from(number(j, "code")?).map_err(|x| x.to_string())?,
                    kind: text(saft, "kind")?.to_string(),
                    sale_id: Some(e.id.clone()),
                    detail: j["detail"].clone(),
                });
            }
            "journal" => {
                let row = journal_row(at, &body)?;
                if row.code == codes::TRAINING_RECEIPT {
                    match body.get("saft") {
                        Some(saft) => {
                            let id = row.sale_id.clone().ok_or("`sale_id` is missing")?;
                            self.transaction(&id, at, &body["receipt"], saft, e.seq)?;
                        }
                        None => self
                            .unsigned
                            .push((e.seq, "training receipt", at.date_naive())),
                    }
                }
                self.journal.push(row);
            }
            "z_report" => {
                let journal_id = number(&body, "journal_id")?;
                let (number_, last_nr) = (number(&body, "number")?, number(&body, "last_nr")?);
                self.journal.push(JournalRow {
                    id: journal_id,
                    at,
                    operator: opt_text(&body, "operator"),
                    code: codes::Z_REPORT,
                    kind: "z_report".into(),
                    sale_id: None,
                    detail: serde_json::json!({"kind": "Z", "number": number_, "last_nr": last_nr}),
                });
                self.z_marks.push(ZMark {
                    number: number_,
                    last_nr,
                    last_journal: journal_id,
                    grand_sales: money(&body, "grand_sales")?,
                    grand_returns: money(&body, "grand_returns")?,
                });
            }
            other => return Err(format!("event kind `{other}`")),
        }
        Ok(())
    }

    fn transaction(
        &mut self,
        id: &str,
        at: DateTime<FixedOffset>,
        receipt: &Value,
        saft: &Value,
        seq: i64,
    ) -> Result<(), String> {
        let row = sale_row(id, at, receipt, saft)?;
        if let Some(pem) = saft["public_key"].as_str() {
            self.keys.insert(row.key_version.clone(), pem.to_string());
        }
        self.transactions.push((row, seq));
        Ok(())
    }

    /// Refuses a period the uploads cannot show whole: a receipt without its
    /// SAF-T fields, or a transaction number missing between (or just
    /// before) the period's transactions.
    fn check_period(&self, till: &str, from: NaiveDate, to: NaiveDate) -> Result<(), OrgError> {
        let in_period = |d: NaiveDate| from <= d && d <= to;
        if let Some(&(seq, what, _)) = self.unsigned.iter().find(|u| in_period(u.2)) {
            return Err(OrgError::NoSaft {
                till: till.to_string(),
                seq,
                what,
            });
        }
        // The numbers the file needs: from the transaction before the
        // period's first (the chain's anchor) and each report's first
        // through the period's last and each report's last.
        let period: Vec<u64> = self
            .transactions
            .iter()
            .filter(|(r, _)| in_period(r.at.date_naive()))
            .map(|(r, _)| r.nr)
            .collect();
        let mut needed: Vec<(u64, u64)> = Vec::new();
        if let (Some(&first), Some(&last)) = (period.first(), period.last()) {
            needed.push((first.saturating_sub(1).max(1), last));
        }
        for j in self.journal.iter().filter(|j| in_period(j.at.date_naive())) {
            if j.code == codes::X_REPORT || j.code == codes::Z_REPORT {
                let after = self.z_mark_before(j.id).unwrap_or_default().last_nr;
                let through = j.detail["through_nr"]
                    .as_u64()
                    .or(j.detail["last_nr"].as_u64())
                    .unwrap_or(after);
                needed.push((after + 1, through));
            }
        }
        let (Some(from_nr), Some(to_nr)) = (
            needed.iter().map(|n| n.0).min(),
            needed.iter().map(|n| n.1).max(),
        ) else {
            return Ok(());
        };
        let seqs: BTreeMap<u64, i64> = self
            .transactions
            .iter()
            .map(|(r, seq)| (r.nr, *seq))
            .collect();
        if let Some(missing) = (from_nr..=to_nr).find(|nr| !seqs.contains_key(nr)) {
            return Err(OrgError::NrGap {
                till: till.to_string(),
                missing,
                next: seqs.range(missing..).next().map(|(n, s)| (*n, *s)),
            });
        }
        Ok(())
    }
}

impl Books for LedgerBooks {
    fn transactions(&self, after: u64, through: u64) -> Result<Vec<SaleRow>, StoreError> {
        Ok(self
            .transactions
            .iter()
            .filter(|(r, _)| after < r.nr && r.nr <= through)
            .map(|(r, _)| r.clone())
            .collect())
    }

    fn journal_between(&self, after: u64, before: u64) -> Result<Vec<JournalRow>, StoreError> {
        Ok(self
            .journal
            .iter()
            .filter(|j| after < j.id && j.id < before)
            .cloned()
            .collect())
    }

    fn z_mark_before(&self, before: u64) -> Result<ZMark, StoreError> {
        Ok(self
            .z_marks
            .iter()
            .rev()
            .find(|z| z.last_journal < before)
            .copied()
            .unwrap_or_default())
    }

    fn last_nr(&self) -> Result<u64, StoreError> {
        Ok(self.transactions.last().map_or(0, |(r, _)| r.nr))
    }

    fn last_journal_id(&self) -> Result<u64, StoreError> {
        Ok(self.journal.last().map_or(0, |j| j.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Settings;

    fn event(seq: i64, kind: &str, body: Value) -> Uploaded {
        Uploaded {
            seq,
            id: format!("e-{seq}"),
            kind: kind.into(),
            at: "2026-11-23T10:00:00+01:00".into(),
            body: body.to_string(),
        }
    }

    fn login(seq: i64) -> Uploaded {
        event(
            seq,
            "journal",
            serde_json::json!({"journal_id": seq, "code": 13003, "kind": "login",
                               "operator": "kari", "sale_id": null, "detail": {}}),
        )
    }

    fn run(events: Vec<Uploaded>) -> Result<OrgFile, OrgError> {
        let company = Company {
            name: "Kafé".into(),
            org_no: "999999999".into(),
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        export(
            &[TillUploads {
                till: "till-a".into(),
                events,
            }],
            &Catalog::new(vec![], vec![], Settings::default()),
            &OrgSettings {
                company: &company,
                from: day,
                to: day,
                created: day.and_hms_opt(23, 0, 0).unwrap(),
            },
        )
    }

    #[test]
    fn a_journal_only_till_is_one_empty_register() {
        let file = run(vec![login(1), login(2)]).unwrap();
        assert_eq!(file.transactions, [("till-a".to_string(), 0)]);
        assert_eq!(file.xml.matches("<eventType>13003</eventType>").count(), 2);
    }

    #[test]
    fn a_hole_in_the_seqs_is_refused_by_till_and_seq() {
        let err = run(vec![login(1), login(3)]).unwrap_err();
        assert!(
            matches!(&err, OrgError::SeqGap { till, before: 1, after: 3 } if till == "till-a"),
            "{err}"
        );
        assert!(err.to_string().contains("seq 2 to 2 are missing"), "{err}");
        let err = run(vec![login(2)]).unwrap_err();
        assert!(matches!(
            err,
            OrgError::SeqGap {
                before: 0,
                after: 2,
                ..
            }
        ));
    }

    #[test]
    fn a_sale_without_its_saft_fields_in_the_period_is_refused() {
        let sale = event(2, "sale", serde_json::json!({"number": 1, "lines": []}));
        let err = run(vec![login(1), sale]).unwrap_err();
        assert!(
            matches!(
                &err,
                OrgError::NoSaft {
                    seq: 2,
                    what: "sale",
                    ..
                }
            ),
            "{err}"
        );
        let odd = event(2, "refund", serde_json::json!({}));
        let err = run(vec![login(1), odd]).unwrap_err();
        assert!(
            matches!(&err, OrgError::Unreadable { seq: 2, problem, .. } if problem.contains("refund")),
            "{err}"
        );
    }
}
