//! From the till's store to the SAF-T model: X and Z reports and the export.
//! Reports are recomputed from the immutable transactions and journal, so
//! an export shows each report exactly as it was taken.

use super::saft::{
    self, Address, Article, ArticleGroup, AuditFile, CashRegister, CashTransaction, Company,
    CtLine, Discount, Employee, EmployeeRole, Event, EventCode, GrandTotals, Header, LineType,
    Location, Payment, PaymentCode, PriceLookUps, Report, ReportKind, Software, Tally, TallyInput,
    TransType, VatCode, VatLine,
};
use crate::domain::{Catalog, Money, VatRate};
use crate::store::{JournalRow, SaleKind, SaleRow, Store, StoreError, ZMark, codes};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

pub use super::drawer::CashCount;
pub use super::report_text::render;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a Z report (number {0}) was already taken today: one per till per day")]
    ZTaken(u64),
    #[error(transparent)]
    Saft(#[from] saft::SaftError),
    #[error("an amount of the report is too large to compute")]
    Overflow,
}

/// The employee id for sales nobody logged in for: the self-service kiosk.
pub const KIOSK: &str = "kiosk";

/// What reports and exports read of one till: its signed transactions, its
/// journal and where its Z reports left the counters. The till's own store
/// is one; the ledger's copy of a till's uploads (`compliance::org`) is
/// another, so both write the same `cashregister`.
pub trait Books {
    /// Transactions with `after < nr <= through`, in nr order.
    fn transactions(&self, after: u64, through: u64) -> Result<Vec<SaleRow>, StoreError>;
    /// Journal entries with `after < id < before`, in order.
    fn journal_between(&self, after: u64, before: u64) -> Result<Vec<JournalRow>, StoreError>;
    /// The last Z report before journal entry `before` (or the latest).
    fn z_mark_before(&self, before: u64) -> Result<ZMark, StoreError>;
    fn last_nr(&self) -> Result<u64, StoreError>;
    fn last_journal_id(&self) -> Result<u64, StoreError>;
}

impl Books for Store {
    fn transactions(&self, after: u64, through: u64) -> Result<Vec<SaleRow>, StoreError> {
        Store::transactions(self, after, through)
    }
    fn journal_between(&self, after: u64, before: u64) -> Result<Vec<JournalRow>, StoreError> {
        Store::journal_between(self, after, before)
    }
    fn z_mark_before(&self, before: u64) -> Result<ZMark, StoreError> {
        Store::z_mark_before(self, before)
    }
    fn last_nr(&self) -> Result<u64, StoreError> {
        Store::last_nr(self)
    }
    fn last_journal_id(&self) -> Result<u64, StoreError> {
        Store::last_journal_id(self)
    }
}

fn group_of(catalog: &Catalog, sku: &str, vat: VatRate) -> ArticleGroup {
    match catalog.product(sku) {
        Some(p) if p.coffee => ArticleGroup::OtherDrinks,
        Some(p) if p.is_weighed() => ArticleGroup::Food,
        // Served in the canteen (outside the VAT act): a meal.
        _ if vat.is_exempt() => ArticleGroup::Food,
        _ if matches!(vat.percent(), Some(25 | 0)) => ArticleGroup::OtherGoods,
        _ => ArticleGroup::Food,
    }
}

/// The SAF-T `vat` of an amount in one VAT class: a rate's standard code
/// (zero-rated is 5), or code 6 with no rate and no VAT when exempt.
fn vat_line(gross: Decimal, class: VatRate) -> VatLine {
    let vat = class.vat_of_gross(Money::from_decimal(gross)).as_decimal();
    VatLine {
        code: saft::standard_vat_code(class).to_string(),
        rate: class.percent().map(Decimal::from),
        amount: vat,
        base: gross - vat,
    }
}

fn payment_code(kind: &str) -> PaymentCode {
    match kind {
        "cash" => PaymentCode::Cash,
        "card" => PaymentCode::DebitCard,
        "vipps" => PaymentCode::MobileApp,
        "bonus" => PaymentCode::Loyalty,
        _ => PaymentCode::Other,
    }
}

pub(super) fn employee(op: &Option<String>) -> String {
    op.clone().unwrap_or_else(|| KIOSK.to_string())
}

/// One stored receipt as a SAF-T cash transaction.
pub fn transaction(row: &SaleRow, catalog: &Catalog) -> CashTransaction {
    let local = row.at.naive_local();
    let emp = employee(&row.operator);
    let sign = if row.kind == SaleKind::Return {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let mut per_rate: std::collections::BTreeMap<VatRate, Decimal> = Default::default();
    let lines = row
        .lines
        .iter()
        .map(|l| {
            let gross = l.amount.as_decimal();
            *per_rate.entry(l.vat).or_default() += gross;
            let v = vat_line(gross, l.vat);
            let qty = match l.grams {
                Some(g) => Decimal::new(i64::from(g), 3),
                None => Decimal::from(l.qty),
            } * sign;
            CtLine {
                line_id: l.line_no,
                line_type: if row.kind == SaleKind::Return {
                    LineType::Return
                } else {
                    LineType::Sale
                },
                group: group_of(catalog, &l.sku, l.vat),
                article: Some(l.sku.clone()),
                quantity: qty,
                amount_in: gross,
                amount_ex: v.base,
                unit_price: Some(l.unit_price.as_decimal()),
                employee: Some(emp.clone()),
                description: Some(l.name.chars().take(200).collect()),
                at: Some(local),
                vat: Some(v),
                discounts: match &l.discount_kind {
                    Some(kind) if !l.discount.is_zero() => {
                        vec![Discount {
                            kind: kind.clone(),
                            amount: l.discount.as_decimal(),
                            employee: None,
                        }]
                    }
                    _ => vec![],
                },
            }
        })
        .collect();
    let vat = per_rate
        .iter()
        .rev()
        .filter(|(_, g)| !g.is_zero())
        .map(|(&r, &g)| vat_line(g, r))
        .collect();
    CashTransaction {
        nr: row.nr,
        trans_id: row.id.clone(),
        trans_type: if row.kind == SaleKind::Return {
            TransType::ReturnPayment
        } else {
            TransType::CashSale
        },
        amount_in: row.total.as_decimal(),
        amount_ex: row.total_ex.as_decimal(),
        employee: Some(emp.clone()),
        period_number: None,
        date: local.date(),
        time: local.time(),
        reference: row.original_sale.clone(),
        description: Some(format!("{} {}", row.kind.code(), row.number)),
        lines,
        vat,
        rounding: row.rounding.as_decimal(),
        payments: row
            .tenders
            .iter()
            .map(|t| Payment {
                code: payment_code(&t.kind),
                amount: t.amount.as_decimal(),
                employee: Some(emp.clone()),
                reference: t.reference.clone(),
            })
            .collect(),
        signature: row.signature.clone(),
        key_version: row.key_version.clone(),
        receipts_issued: 1,
        copies_printed: row.copies,
        provisional_printed: 0,
        delivery_printed: 0,
        void: false,
        training: row.kind == SaleKind::Training,
    }
}

fn event_code(code: u32) -> EventCode {
    EventCode::from_code(&code.to_string()).unwrap_or(EventCode::Other)
}

/// One journal row as a SAF-T event (reports attached by the caller).
pub fn event(row: &JournalRow) -> Event {
    let local = row.at.naive_local();
    let text = match row.detail.as_object() {
        Some(o) if !o.is_empty() => {
            let t = format!("{}: {}", row.kind, row.detail);
            Some(t.chars().take(1000).collect())
        }
        _ => Some(row.kind.clone()),
    };
    Event {
        id: row.id,
        code: event_code(row.code),
        trans_id: row.sale_id.clone(),
        employee: Some(employee(&row.operator)),
        date: local.date(),
        time: local.time(),
        text,
        report: None,
    }
}

/// The period a report covers and where the last Z left the counters.
struct Period {
    after_nr: u64,
    through_nr: u64,
    after_journal: u64,
    before_journal: u64,
    z: ZMark,
}

fn tally_period(
    store: &dyn Books,
    catalog: &Catalog,
    id: String,
    kind: ReportKind,
    at: NaiveDateTime,
    p: &Period,
) -> Result<Report, ReportError> {
    let rows = store.transactions(p.after_nr, p.through_nr)?;
    let transactions: Vec<CashTransaction> = rows.iter().map(|r| transaction(r, catalog)).collect();
    let journal = store.journal_between(p.after_journal, p.before_journal)?;
    let events: Vec<Event> = journal.iter().map(event).collect();
    let amount_of = |j: &JournalRow, key: &str| -> Decimal {
        j.detail[key]
            .as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or_default()
    };
    let voided = journal
        .iter()
        // 13028 also journals a voided line: a line correction, not a voided sale.
        .filter(|j| j.code == codes::VOID && j.kind == "sale_cancelled")
        .fold(Tally::default(), |t, j| Tally {
            count: t.count + 1,
            amount: t.amount + amount_of(j, "total"),
        });
    let mut lookups: Vec<PriceLookUps> = Vec::new();
    for j in journal.iter().filter(|j| j.code == codes::PRICE_LOOKUP) {
        let sku = j.detail["sku"].as_str().unwrap_or_default();
        let vat = catalog.product(sku).map_or(VatRate::EXEMPT, |p| p.vat);
        let group = group_of(catalog, sku, vat);
        let price = amount_of(j, "price");
        match lookups.iter_mut().find(|l| l.group == group) {
            Some(l) => {
                l.count += 1;
                l.amount += price;
            }
            None => lookups.push(PriceLookUps {
                group,
                count: 1,
                amount: price,
            }),
        }
    }
    let corrections: Vec<_> = journal
        .iter()
        .filter(|j| j.kind == "line_correction")
        .collect();
    let line_corrections = if corrections.is_empty() {
        vec![]
    } else {
        vec![saft::Correction {
            kind: "Slettet linje".into(),
            count: corrections.len() as u64,
            amount: corrections.iter().map(|j| amount_of(j, "amount")).sum(),
        }]
    };
    let drawer = super::drawer::from_journal(&journal);
    let input = TallyInput {
        id,
        kind,
        date: at.date(),
        time: at.time(),
        transactions: &transactions,
        events: &events,
        opening_float: drawer.float,
        grand_totals_before: GrandTotals {
            sales: p.z.grand_sales.as_decimal(),
            returns: p.z.grand_returns.as_decimal(),
            net: (p.z.grand_sales - p.z.grand_returns).as_decimal(),
        },
        voided,
        price_look_ups: lookups,
        line_corrections,
        other_corrections: vec![],
    };
    let mut report = saft::tally(&input);
    report.opening_float_per_employee = drawer.float_per_employee;
    report.pay_ins = drawer.pay_ins;
    report.pay_outs = drawer.pay_outs;
    Ok(report)
}

impl Period {
    /// From the last Z report up to now.
    fn open(store: &dyn Books) -> Result<Period, ReportError> {
        let z = store.z_mark_before(u64::MAX)?;
        Ok(Period {
            after_nr: z.last_nr,
            through_nr: store.last_nr()?,
            after_journal: z.last_journal,
            before_journal: store.last_journal_id()? + 1,
            z,
        })
    }
}

/// The X report's totals since the last Z, journaling nothing.
fn x_tally(
    store: &Store,
    catalog: &Catalog,
    at: DateTime<FixedOffset>,
) -> Result<(Report, Period), ReportError> {
    let p = Period::open(store)?;
    let id = format!("X-{}-{}", p.z.number + 1, p.before_journal);
    let report = tally_period(store, catalog, id, ReportKind::X, at.naive_local(), &p)?;
    Ok((report, p))
}

/// What the drawer should hold now: the X report's float, cash taken (net
/// of cash given back), pay-ins and pay-outs since the last Z, journaling
/// nothing. None when it cannot be computed (overflow).
pub fn drawer_now(
    store: &Store,
    catalog: &Catalog,
    at: DateTime<FixedOffset>,
) -> Result<Option<Money>, ReportError> {
    let (report, _) = x_tally(store, catalog, at)?;
    Ok(super::drawer::expected_cash(&report))
}

/// An X report now: totals since the last Z; journaled whole.
pub fn x_report(
    store: &mut Store,
    catalog: &Catalog,
    at: DateTime<FixedOffset>,
    operator: Option<String>,
) -> Result<Report, ReportError> {
    let (report, p) = x_tally(&*store, catalog, at)?;
    store.journal(&crate::store::JournalEntry {
        at,
        operator,
        code: codes::X_REPORT,
        kind: "x_report",
        sale_id: None,
        detail: serde_json::json!({"kind": "X", "id": report.id, "after_nr": p.after_nr, "through_nr": p.through_nr}),
    })?;
    Ok(report)
}

/// The Z report of the day: once per till per day, numbered; closes the
/// period. With the cash `counted` in the drawer, the count (expected,
/// counted, difference) is printed with it and kept in its journal entry.
pub fn z_report(
    store: &mut Store,
    catalog: &Catalog,
    at: DateTime<FixedOffset>,
    operator: Option<String>,
    counted: Option<Money>,
) -> Result<Report, ReportError> {
    let day = at.date_naive();
    if let Some(n) = store.z_report_on(day)? {
        return Err(ReportError::ZTaken(n));
    }
    let p = Period::open(&*store)?;
    let (through_nr, number) = (p.through_nr, p.z.number + 1);
    let report = tally_period(
        &*store,
        catalog,
        format!("Z-{number}"),
        ReportKind::Z,
        at.naive_local(),
        &p,
    )?;
    let mark = ZMark {
        number,
        last_nr: through_nr,
        last_journal: 0,
        grand_sales: Money::from_decimal(report.grand_totals.sales),
        grand_returns: Money::from_decimal(report.grand_totals.returns),
    };
    let lang = crate::domain::Lang::No;
    let mut text = render(&report, lang);
    let mut cash = None;
    if let Some(counted) = counted {
        let count = CashCount::new(&report, counted).ok_or(ReportError::Overflow)?;
        text += &count.text(lang);
        cash = Some(count.detail());
    }
    store.record_z(&mark, day, at, operator, &text, cash)?;
    Ok(report)
}

/// What an export needs besides the store.
pub struct ExportSettings<'a> {
    pub company: &'a crate::domain::Company,
    pub till: &'a str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub created: NaiveDateTime,
}

/// The SAF-T Cash Register file for the days `from..=to` (local dates).
pub fn export(
    store: &Store,
    catalog: &Catalog,
    s: &ExportSettings<'_>,
) -> Result<String, ReportError> {
    let register = register(store, catalog, s.till, s.from, s.to)?;
    let file = FileSettings {
        company: s.company,
        from: s.from,
        to: s.to,
        created: s.created,
        comment: format!("Till {} from {} to {}", s.till, s.from, s.to),
    };
    Ok(saft::write(&audit_file(vec![register], &file))?)
}

/// One till's `cashregister` for the days `from..=to` (local dates): its
/// transactions of those days, signed as they were, and its journal, each
/// X and Z report recomputed from the period it closed or showed.
pub fn register(
    books: &dyn Books,
    catalog: &Catalog,
    id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<CashRegister, ReportError> {
    let in_period = |at: &DateTime<FixedOffset>| {
        let d = at.date_naive();
        from <= d && d <= to
    };
    let rows: Vec<SaleRow> = books
        .transactions(0, u64::MAX)?
        .into_iter()
        .filter(|r| in_period(&r.at))
        .collect();
    let journal: Vec<JournalRow> = books.journal_between(0, u64::MAX)?;
    let mut events = Vec::new();
    for j in journal.iter().filter(|j| in_period(&j.at)) {
        let mut e = event(j);
        if j.code == codes::X_REPORT || j.code == codes::Z_REPORT {
            e.report = Some(Box::new(report_at(books, catalog, j)?));
        }
        events.push(e);
    }
    Ok(CashRegister {
        id: id.to_string(),
        description: None,
        events,
        transactions: rows.iter().map(|r| transaction(r, catalog)).collect(),
    })
}

/// The header and company of a file besides its tills.
pub struct FileSettings<'a> {
    pub company: &'a crate::domain::Company,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub created: NaiveDateTime,
    /// `headerComment`: the selection made.
    pub comment: String,
}

/// One company with `registers` (one per till) at one location, and the
/// master files they name: every employee and article (the first name
/// an article was sold under) of any register.
pub fn audit_file(registers: Vec<CashRegister>, s: &FileSettings<'_>) -> AuditFile {
    let mut skus: std::collections::BTreeMap<String, (String, ArticleGroup)> = Default::default();
    let mut employees: BTreeSet<String> = BTreeSet::new();
    employees.insert(KIOSK.to_string());
    for r in &registers {
        for t in &r.transactions {
            employees.extend(t.employee.clone());
            for l in &t.lines {
                if let Some(a) = &l.article {
                    skus.entry(a.clone())
                        .or_insert_with(|| (l.description.clone().unwrap_or_default(), l.group));
                }
            }
        }
        for e in &r.events {
            employees.extend(e.employee.clone());
        }
    }
    let entry = s.from.and_hms_opt(0, 0, 0).unwrap_or(s.created);
    AuditFile {
        header: Header {
            fiscal_year: s.from.format("%Y").to_string().parse().unwrap_or(2026),
            start_date: s.from,
            end_date: s.to,
            currency: "NOK".into(),
            created: s.created,
            software: Software {
                name: "kasse".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                company_name: s.company.name.clone(),
            },
            comment: Some(s.comment.clone()),
            user_id: None,
        },
        company: Company {
            org_number: s.company.org_no.clone(),
            name: s.company.name.clone(),
            vat_registered: true,
            street_address: None,
            postal_address: Some(Address {
                street: None,
                number: None,
                additional: None,
                city: "Oslo".into(),
                postal_code: "0000".into(),
                region: None,
                country: "NO".into(),
            }),
            vat_codes: VatRate::ALL
                .iter()
                .map(|&r| VatCode::for_class(r, s.from))
                .collect(),
            periods: vec![],
            employees: employees
                .into_iter()
                .map(|id| Employee {
                    surname: id.clone(),
                    id,
                    entered: entry,
                    first_name: None,
                    roles: vec![EmployeeRole {
                        role: "Kasserar".into(),
                        description: None,
                    }],
                })
                .collect(),
            articles: skus
                .into_iter()
                .map(|(id, (name, group))| Article {
                    id,
                    date_of_entry: s.from,
                    group,
                    description: name,
                })
                .collect(),
            basics: saft::standard_basics(),
            locations: vec![Location {
                name: Some(s.company.name.clone()),
                street_address: None,
                registers,
            }],
        },
    }
}

/// Recomputes the report journaled as `j` from the period it closed or showed.
fn report_at(store: &dyn Books, catalog: &Catalog, j: &JournalRow) -> Result<Report, ReportError> {
    let z = store.z_mark_before(j.id)?;
    let through_nr = match j.detail["through_nr"]
        .as_u64()
        .or(j.detail["last_nr"].as_u64())
    {
        Some(n) => n,
        None => store.last_nr()?,
    };
    let (kind, id) = if j.code == codes::Z_REPORT {
        (
            ReportKind::Z,
            format!("Z-{}", j.detail["number"].as_u64().unwrap_or(z.number + 1)),
        )
    } else {
        (
            ReportKind::X,
            j.detail["id"].as_str().unwrap_or("X").to_string(),
        )
    };
    let p = Period {
        after_nr: z.last_nr,
        through_nr,
        after_journal: z.last_journal,
        before_journal: j.id,
        z,
    };
    tally_period(store, catalog, id, kind, j.at.naive_local(), &p)
}
