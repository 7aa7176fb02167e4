//! Checking a model before it is written: everything the schema and the
//! rules demand that the types cannot say.
//!
//! Invariant: a model [`check`] accepts is written by [`super::write`] as a
//! document the official XSD validates; the first problem found is returned
//! as a [`SaftError`] with a reason a person can act on.

use super::codes::EventCode;
use super::model::{
    Address, AuditFile, CashRegister, CashTransaction, Header, Report, ReportKind, VatLine,
};
use crate::compliance::sign::amount_text;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt::Display;

/// Why a model cannot be written as a valid SAF-T file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaftError {
    #[error("{at}: {field} is {len} characters long; the SAF-T schema allows at most {max}")]
    TooLong {
        at: String,
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{at}: {field} must not be empty")]
    Empty { at: String, field: &'static str },
    #[error(
        "{at}: {field} contains the control character U+{code:04X}, which XML cannot carry; remove it from the source data"
    )]
    ControlChar {
        at: String,
        field: &'static str,
        code: u32,
    },
    #[error("{at}: {field} {value} has more than {max} decimals; round it before export")]
    TooManyDecimals {
        at: String,
        field: &'static str,
        value: Decimal,
        max: u32,
    },
    #[error("{at}: {field} {value} has more than {max} digits")]
    TooManyDigits {
        at: String,
        field: &'static str,
        value: Decimal,
        max: u32,
    },
    #[error("{at}: {field} {value} is larger than {max}, the most the schema allows")]
    TooLarge {
        at: String,
        field: &'static str,
        value: u64,
        max: u64,
    },
    #[error("{at}: {field} {value} is not a valid code ({expected})")]
    BadCode {
        at: String,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{at}: {what} {id} is not in the company's {list}; add it there")]
    UnknownReference {
        at: String,
        what: &'static str,
        id: String,
        list: &'static str,
    },
    #[error("{what} {id} appears twice; each must be unique in the file")]
    Duplicate { what: &'static str, id: String },
    #[error("{at}: {problem}")]
    Inconsistent { at: String, problem: String },
}

/// Checks everything the schema and the rules demand that the types cannot
/// say: references into the master files (the schema's keys), uniqueness,
/// lengths, decimals, numbering and sums. The first problem is returned.
pub fn check(model: &AuditFile) -> Result<(), SaftError> {
    Checker::new(model).run()
}

struct Checker<'a> {
    model: &'a AuditFile,
    employees: BTreeSet<&'a str>,
    articles: BTreeSet<&'a str>,
    basics: BTreeSet<&'a str>,
    vat_codes: BTreeSet<&'a str>,
    periods: BTreeSet<u16>,
}

fn text(at: &str, field: &'static str, value: &str, max: usize) -> Result<(), SaftError> {
    let len = value.chars().count();
    if len > max {
        return Err(SaftError::TooLong {
            at: at.to_string(),
            field,
            len,
            max,
        });
    }
    // XML 1.0 carries tab, newline and carriage return; no other C0 control
    // characters, not even escaped.
    if let Some(c) = value.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        return Err(SaftError::ControlChar {
            at: at.to_string(),
            field,
            code: c as u32,
        });
    }
    Ok(())
}

fn required(at: &str, field: &'static str, value: &str, max: usize) -> Result<(), SaftError> {
    if value.trim().is_empty() {
        return Err(SaftError::Empty {
            at: at.to_string(),
            field,
        });
    }
    text(at, field, value, max)
}

fn optional(
    at: &str,
    field: &'static str,
    value: Option<&String>,
    max: usize,
) -> Result<(), SaftError> {
    value.map_or(Ok(()), |v| text(at, field, v, max))
}

/// A decimal fits `totalDigits` / `fractionDigits` once normalised.
fn decimal(
    at: &str,
    field: &'static str,
    value: Decimal,
    fraction: u32,
    total: u32,
) -> Result<(), SaftError> {
    let n = value.normalize();
    if n.scale() > fraction {
        return Err(SaftError::TooManyDecimals {
            at: at.to_string(),
            field,
            value,
            max: fraction,
        });
    }
    let digits = n.mantissa().unsigned_abs().to_string().len() as u32;
    let integer_digits = digits.saturating_sub(n.scale());
    if integer_digits + fraction > total {
        return Err(SaftError::TooManyDigits {
            at: at.to_string(),
            field,
            value,
            max: total,
        });
    }
    Ok(())
}

/// What a valid code looks like, as a refusal says it.
const ORG_NUMBER: &str = "9 digits";
const ISO_4217: &str = "three capital letters, ISO 4217, e.g. NOK";
const ISO_3166: &str = "two capital letters, ISO 3166-1, e.g. NO";
const RATE: &str = "a rate of 0 or more";

/// A code of exactly `len` bytes, each of one `kind` (digits, capitals).
fn fixed(value: &str, len: usize, kind: fn(&u8) -> bool) -> bool {
    value.len() == len && value.bytes().all(|b| kind(&b))
}

fn bad_code(at: &str, field: &'static str, value: &str, expected: &'static str) -> SaftError {
    SaftError::BadCode {
        at: at.to_string(),
        field,
        value: value.to_string(),
        expected,
    }
}

fn amount(at: &str, field: &'static str, value: Decimal) -> Result<(), SaftError> {
    decimal(at, field, value, 2, 20)
}

/// A whole number of at most three digits (`receiptNum`, `periodNumber`).
fn small(at: &str, field: &'static str, value: u64) -> Result<(), SaftError> {
    at_most(at, field, value, 999)
}

/// A count of at most ten digits (the report counters).
fn count(at: &str, field: &'static str, value: u64) -> Result<(), SaftError> {
    at_most(at, field, value, 9_999_999_999)
}

fn at_most(at: &str, field: &'static str, value: u64, max: u64) -> Result<(), SaftError> {
    if value > max {
        return Err(SaftError::TooLarge {
            at: at.to_string(),
            field,
            value,
            max,
        });
    }
    Ok(())
}

/// The set of `ids`, or the first that appears twice.
fn unique<T: Ord + Copy + Display>(
    what: &'static str,
    ids: impl IntoIterator<Item = T>,
) -> Result<BTreeSet<T>, SaftError> {
    let mut seen = BTreeSet::new();
    for id in ids {
        first_time(&mut seen, id, what, id)?;
    }
    Ok(seen)
}

/// Adds `key` to `seen`; refuses it when it is there already, named as `id`.
fn first_time<T: Ord>(
    seen: &mut BTreeSet<T>,
    key: T,
    what: &'static str,
    id: impl Display,
) -> Result<(), SaftError> {
    if seen.insert(key) {
        Ok(())
    } else {
        Err(SaftError::Duplicate {
            what,
            id: id.to_string(),
        })
    }
}

/// Refuses `id`, a `what`, unless it is `known`: listed in the company's
/// `list`, as the schema's keys demand.
fn listed(
    known: bool,
    at: &str,
    what: &'static str,
    id: impl Display,
    list: &'static str,
) -> Result<(), SaftError> {
    if known {
        Ok(())
    } else {
        Err(SaftError::UnknownReference {
            at: at.to_string(),
            what,
            id: id.to_string(),
            list,
        })
    }
}

fn inconsistent(at: &str, problem: String) -> SaftError {
    SaftError::Inconsistent {
        at: at.to_string(),
        problem,
    }
}

impl<'a> Checker<'a> {
    fn new(model: &'a AuditFile) -> Checker<'a> {
        Checker {
            model,
            employees: BTreeSet::new(),
            articles: BTreeSet::new(),
            basics: BTreeSet::new(),
            vat_codes: BTreeSet::new(),
            periods: BTreeSet::new(),
        }
    }

    fn run(mut self) -> Result<(), SaftError> {
        let model = self.model;
        self.header(&model.header)?;
        let c = &model.company;
        let at = "company";
        if !fixed(&c.org_number, 9, u8::is_ascii_digit) {
            return Err(bad_code(
                at,
                "organisation number",
                &c.org_number,
                ORG_NUMBER,
            ));
        }
        required(at, "companyName", &c.name, 100)?;
        for a in c.street_address.iter().chain(&c.postal_address) {
            self.address(at, a)?;
        }

        self.vat_codes = unique("vatCode", c.vat_codes.iter().map(|v| v.code.as_str()))?;
        for v in &c.vat_codes {
            let at = format!("VAT code {}", v.code);
            required(&at, "vatCode", &v.code, 20)?;
            optional(&at, "vatDesc", v.description.as_ref(), 100)?;
            required(&at, "standardVatCode", &v.standard_code, 9)?;
        }

        self.periods = unique("periodNumber", c.periods.iter().map(|p| p.number))?;
        for p in &c.periods {
            let at = format!("period {}", p.number);
            small(&at, "periodNumber", u64::from(p.number))?;
            optional(&at, "periodDesc", p.description.as_ref(), 50)?;
            if p.start > p.end {
                return Err(inconsistent(
                    &at,
                    format!("starts {} after it ends {}", p.start, p.end),
                ));
            }
        }

        self.employees = unique("employee id", c.employees.iter().map(|e| e.id.as_str()))?;
        for e in &c.employees {
            let at = format!("employee {}", e.id);
            required(&at, "empID", &e.id, 35)?;
            optional(&at, "firstName", e.first_name.as_ref(), 50)?;
            required(&at, "surName", &e.surname, 100)?;
            for r in &e.roles {
                required(&at, "roleType", &r.role, 50)?;
                optional(&at, "roleTypeDesc", r.description.as_ref(), 100)?;
            }
        }

        self.articles = unique("article id", c.articles.iter().map(|a| a.id.as_str()))?;
        for a in &c.articles {
            let at = format!("article {}", a.id);
            required(&at, "artID", &a.id, 35)?;
            required(&at, "artDesc", &a.description, 999)?;
        }

        self.basics = unique("basicID", c.basics.iter().map(|b| b.id.as_str()))?;
        for b in &c.basics {
            let at = format!("basic {}", b.id);
            required(&at, "basicID", &b.id, 35)?;
            optional(&at, "predefinedBasicID", b.predefined.as_ref(), 9)?;
            required(&at, "basicDesc", &b.description, 999)?;
        }
        for a in &c.articles {
            self.basic(&format!("article {}", a.id), a.group.code())?;
        }

        let mut report_ids = BTreeSet::new();
        let mut register_ids = BTreeSet::new();
        for loc in &c.locations {
            let at = format!("location {}", loc.name.as_deref().unwrap_or("(unnamed)"));
            optional(&at, "name", loc.name.as_ref(), 100)?;
            if let Some(a) = &loc.street_address {
                self.address(&at, a)?;
            }
            for reg in &loc.registers {
                first_time(&mut register_ids, reg.id.as_str(), "registerID", &reg.id)?;
                self.register(reg, &mut report_ids)?;
            }
        }
        Ok(())
    }

    fn header(&self, h: &Header) -> Result<(), SaftError> {
        let at = "header";
        required(at, "fiscalYear", &h.fiscal_year.to_string(), 9)?;
        if h.start_date > h.end_date {
            return Err(inconsistent(
                at,
                format!(
                    "the period starts {} after it ends {}",
                    h.start_date, h.end_date
                ),
            ));
        }
        if !fixed(&h.currency, 3, u8::is_ascii_uppercase) {
            return Err(bad_code(at, "curCode", &h.currency, ISO_4217));
        }
        required(at, "softwareDesc", &h.software.name, 100)?;
        required(at, "softwareVersion", &h.software.version, 20)?;
        required(at, "softwareCompanyName", &h.software.company_name, 100)?;
        optional(at, "headerComment", h.comment.as_ref(), 999)?;
        optional(at, "userID", h.user_id.as_ref(), 35)
    }

    fn address(&self, at: &str, a: &Address) -> Result<(), SaftError> {
        optional(at, "streetname", a.street.as_ref(), 100)?;
        optional(at, "number", a.number.as_ref(), 20)?;
        optional(at, "additionalAddressDetails", a.additional.as_ref(), 100)?;
        required(at, "city", &a.city, 50)?;
        required(at, "postalCode", &a.postal_code, 20)?;
        optional(at, "region", a.region.as_ref(), 50)?;
        if !fixed(&a.country, 2, u8::is_ascii_uppercase) {
            return Err(bad_code(at, "country", &a.country, ISO_3166));
        }
        Ok(())
    }

    fn employee(&self, at: &str, id: Option<&String>) -> Result<(), SaftError> {
        id.map_or(Ok(()), |id| {
            let known = self.employees.contains(id.as_str());
            listed(known, at, "employee", id, "employees")
        })
    }

    fn basic(&self, at: &str, id: &str) -> Result<(), SaftError> {
        let known = self.basics.contains(id);
        listed(known, at, "code", id, "basics (use standard_basics())")
    }

    fn vat_code(&self, at: &str, code: &str) -> Result<(), SaftError> {
        listed(
            self.vat_codes.contains(code),
            at,
            "VAT code",
            code,
            "vat_codes",
        )
    }

    fn register(
        &self,
        reg: &'a CashRegister,
        report_ids: &mut BTreeSet<&'a str>,
    ) -> Result<(), SaftError> {
        let at = format!("register {}", reg.id);
        required(&at, "registerID", &reg.id, 100)?;
        optional(&at, "regDesc", reg.description.as_ref(), 999)?;

        let mut event_ids = BTreeSet::new();
        for e in &reg.events {
            let at = format!("register {} event {}", reg.id, e.id);
            let id = format_args!("{} on register {}", e.id, reg.id);
            first_time(&mut event_ids, e.id, "eventID", id)?;
            self.basic(&at, e.code.code())?;
            optional(&at, "transID", e.trans_id.as_ref(), 35)?;
            self.employee(&at, e.employee.as_ref())?;
            optional(&at, "eventText", e.text.as_ref(), 9999)?;
            match (&e.report, e.code) {
                (Some(r), code) if code != r.kind.event_code() => {
                    return Err(inconsistent(
                        &at,
                        format!(
                            "carries {} but is journaled as {} ({}); use {}",
                            match r.kind {
                                ReportKind::X => "an X report",
                                ReportKind::Z => "a Z report",
                            },
                            code.code(),
                            code.description(),
                            r.kind.event_code().code()
                        ),
                    ));
                }
                (Some(r), _) => {
                    first_time(report_ids, r.id.as_str(), "reportID", &r.id)?;
                    self.report(&at, r)?;
                }
                (None, EventCode::ZReport) => {
                    return Err(inconsistent(
                        &at,
                        "is a Z report event without the report".to_string(),
                    ));
                }
                (None, _) => {}
            }
        }

        let mut prev_nr: Option<u64> = None;
        let mut trans_ids = BTreeSet::new();
        for t in &reg.transactions {
            let at = format!(
                "register {} transaction nr {} (transID {})",
                reg.id, t.nr, t.trans_id
            );
            if let Some(p) = prev_nr
                && t.nr != p + 1
            {
                return Err(inconsistent(
                    &at,
                    format!(
                        "follows nr {p}; transactions must be numbered without gaps in the order they were signed, or the signature chain breaks"
                    ),
                ));
            }
            prev_nr = Some(t.nr);
            let id = format_args!("{} on register {}", t.trans_id, reg.id);
            first_time(&mut trans_ids, t.trans_id.as_str(), "transID", id)?;
            self.transaction(&at, t)?;
        }
        Ok(())
    }

    fn transaction(&self, at: &str, t: &CashTransaction) -> Result<(), SaftError> {
        required(at, "transID", &t.trans_id, 35)?;
        self.basic(at, t.trans_type.code())?;
        amount(at, "transAmntIn", t.amount_in)?;
        amount(at, "transAmntEx", t.amount_ex)?;
        self.employee(at, t.employee.as_ref())?;
        if let Some(p) = t.period_number {
            listed(self.periods.contains(&p), at, "period", p, "periods")?;
        }
        optional(at, "refID", t.reference.as_ref(), 9999)?;
        optional(at, "desc", t.description.as_ref(), 9999)?;
        let mut line_ids = BTreeSet::new();
        for l in &t.lines {
            let at = format!("{at} line {}", l.line_id);
            if !line_ids.insert(l.line_id) {
                return Err(inconsistent(
                    &at,
                    "lineID appears twice in the transaction".to_string(),
                ));
            }
            self.basic(&at, l.line_type.code())?;
            self.basic(&at, l.group.code())?;
            if let Some(a) = &l.article {
                listed(
                    self.articles.contains(a.as_str()),
                    &at,
                    "article",
                    a,
                    "articles",
                )?;
            }
            decimal(&at, "qnt", l.quantity, 6, 20)?;
            amount(&at, "lineAmntIn", l.amount_in)?;
            amount(&at, "lineAmntEx", l.amount_ex)?;
            if let Some(p) = l.unit_price {
                decimal(&at, "ppu", p, 6, 20)?;
            }
            self.employee(&at, l.employee.as_ref())?;
            optional(&at, "cashTransLineDescr", l.description.as_ref(), 9999)?;
            if let Some(v) = &l.vat {
                self.vat_line(&at, v)?;
            }
            for d in &l.discounts {
                required(&at, "dscTp", &d.kind, 35)?;
                amount(&at, "dscAmnt", d.amount)?;
                self.employee(&at, d.employee.as_ref())?;
            }
        }
        for v in &t.vat {
            self.vat_line(at, v)?;
        }
        amount(at, "roundingAmnt", t.rounding)?;
        for p in &t.payments {
            self.basic(at, p.code.code())?;
            amount(at, "paidAmnt", p.amount)?;
            self.employee(at, p.employee.as_ref())?;
            optional(at, "paymentRefID", p.reference.as_ref(), 999)?;
        }
        required(at, "signature", &t.signature, 999)?;
        required(at, "keyVersion", &t.key_version, 50)?;
        for (field, n) in [
            ("receiptNum", t.receipts_issued),
            ("receiptCopyNum", t.copies_printed),
            ("receiptProformaNum", t.provisional_printed),
            ("receiptDeliveryNum", t.delivery_printed),
        ] {
            small(at, field, u64::from(n))?;
        }

        // The sums the rules rely on.
        if !t.lines.is_empty() {
            let lines: Decimal = t.lines.iter().map(|l| l.amount_in).sum();
            if lines != t.amount_in {
                return Err(inconsistent(
                    at,
                    format!(
                        "its lines add up to {} but transAmntIn is {}",
                        amount_text(lines),
                        amount_text(t.amount_in)
                    ),
                ));
            }
        }
        if !t.vat.is_empty() {
            let vat: Decimal = t.vat.iter().map(|v| v.amount).sum();
            let base: Decimal = t.vat.iter().map(|v| v.base).sum();
            if base != t.amount_ex || base + vat != t.amount_in {
                return Err(inconsistent(
                    at,
                    format!(
                        "VAT per rate adds up to {} + {} VAT, but the totals are {} excl. and {} incl. VAT",
                        amount_text(base),
                        amount_text(vat),
                        amount_text(t.amount_ex),
                        amount_text(t.amount_in)
                    ),
                ));
            }
        }
        if !t.payments.is_empty() {
            let paid: Decimal = t.payments.iter().map(|p| p.amount).sum();
            if paid != t.amount_in + t.rounding {
                return Err(inconsistent(
                    at,
                    format!(
                        "payments add up to {} but the total {} plus rounding {} is {}",
                        amount_text(paid),
                        amount_text(t.amount_in),
                        amount_text(t.rounding),
                        amount_text(t.amount_in + t.rounding)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn vat_line(&self, at: &str, v: &VatLine) -> Result<(), SaftError> {
        self.vat_code(at, &v.code)?;
        if let Some(rate) = v.rate {
            self.vat_rate(at, rate)?;
        }
        amount(at, "vatAmnt", v.amount)?;
        amount(at, "vatBasAmnt", v.base)
    }

    fn vat_rate(&self, at: &str, rate: Decimal) -> Result<(), SaftError> {
        if rate.is_sign_negative() && !rate.is_zero() {
            return Err(bad_code(at, "vatPerc", &rate.to_string(), RATE));
        }
        decimal(at, "vatPerc", rate, 3, 8)
    }

    fn report(&self, at: &str, r: &Report) -> Result<(), SaftError> {
        let at = format!("{at} ({} {})", r.kind.text(), r.id);
        let at = at.as_str();
        required(at, "reportID", &r.id, 35)?;
        amount(at, "totalCashSaleAmnt", r.cash_sales_total)?;
        for g in &r.sales_per_group {
            decimal(at, "artGroupNum", g.quantity, 6, 20)?;
            amount(at, "artGroupAmnt", g.amount)?;
        }
        for g in &r.sales_per_group_and_employee {
            self.employee(at, Some(&g.employee))?;
            decimal(at, "artGroupNum", g.quantity, 6, 20)?;
            amount(at, "artGroupAmnt", g.amount)?;
        }
        for p in &r.payments {
            count(at, "paymentNum", p.count)?;
            amount(at, "paymentAmnt", p.amount)?;
        }
        for p in &r.payments_per_employee {
            self.employee(at, Some(&p.employee))?;
            count(at, "paymentNum", p.count)?;
            amount(at, "paymentAmnt", p.amount)?;
        }
        for v in &r.vat {
            if let Some(code) = &v.code {
                self.vat_code(at, code)?;
            }
            self.vat_rate(at, v.rate)?;
            amount(at, "cashSaleAmnt", v.base)?;
            amount(at, "vatAmnt", v.vat)?;
        }
        amount(at, "reportOpeningChangeFloat", r.opening_float)?;
        for f in &r.opening_float_per_employee {
            self.employee(at, Some(&f.employee))?;
            amount(at, "openingChangeFloatAmnt", f.amount)?;
        }
        count(at, "reportReceiptNum", r.receipts)?;
        count(at, "reportOpenCashBoxNum", r.drawer_openings_without_sale)?;
        let tallies = [
            ("reportTip", r.tips.as_ref()),
            ("reportReceiptCopy", Some(&r.copies)),
            ("reportReceiptProforma", Some(&r.provisional)),
            ("reportReturn", Some(&r.returns)),
            ("reportDiscount", Some(&r.discounts)),
            ("reportVoidTrans", Some(&r.voided)),
            ("reportReceiptDelivery", Some(&r.delivery)),
            ("reportTraining", Some(&r.training)),
            ("reportCreditSales", r.credit_sales.as_ref()),
            ("reportCreditMemos", r.credit_memos.as_ref()),
        ];
        for (field, t) in tallies {
            if let Some(t) = t {
                count(at, field, t.count)?;
                amount(at, field, t.amount)?;
            }
        }
        for c in r
            .line_corrections
            .iter()
            .chain(&r.other_corrections)
            .chain(&r.pay_ins)
            .chain(&r.pay_outs)
        {
            required(at, "correction type", &c.kind, 35)?;
            count(at, "correction count", c.count)?;
            amount(at, "correction amount", c.amount)?;
        }
        for p in &r.price_look_ups {
            count(at, "priceInquiryNum", p.count)?;
            amount(at, "priceInquiryAmnt", p.amount)?;
        }
        amount(at, "reportGrandTotalSales", r.grand_totals.sales)?;
        amount(at, "reportGrandTotalReturn", r.grand_totals.returns)?;
        amount(at, "reportGrandTotalSalesNet", r.grand_totals.net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::saft::fixture::{canteen_day, dec};
    use crate::compliance::saft::write;
    use crate::compliance::sign::tests::test_signer;

    fn model() -> AuditFile {
        canteen_day(test_signer())
    }

    fn till(m: &mut AuditFile) -> &mut CashRegister {
        &mut m.company.locations[0].registers[0]
    }

    #[test]
    fn check_refuses_what_the_schema_or_the_rules_refuse() {
        type Edit = fn(&mut AuditFile);
        let cases: &[(&str, Edit, &str)] = &[
            (
                "unknown employee",
                |m| till(m).transactions[0].employee = Some("9999".into()),
                "employee 9999 is not in the company's employees",
            ),
            (
                "unknown article",
                |m| till(m).transactions[1].lines[0].article = Some("PIZZA".into()),
                "article PIZZA is not in the company's articles",
            ),
            (
                "missing basic",
                |m| m.company.basics.retain(|b| b.id != "13028"),
                "code 13028 is not in the company's basics",
            ),
            (
                "hyphenated uuid as transID",
                |m| {
                    till(m).transactions[0].trans_id = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()
                },
                "transID is 36 characters long; the SAF-T schema allows at most 35",
            ),
            (
                "gap in nr",
                |m| {
                    till(m).transactions.remove(2);
                },
                "transaction nr 4 (transID R-1): follows nr 2",
            ),
            (
                "payments short",
                |m| till(m).transactions[1].payments[0].amount = dec("76.00"),
                "payments add up to 76.00 but the total 77.30 plus rounding -0.30 is 77.00",
            ),
            (
                "lines do not add up",
                |m| till(m).transactions[0].amount_in = dec("163.00"),
                "its lines add up to 163.90 but transAmntIn is 163.00",
            ),
            (
                "three decimals",
                |m| till(m).transactions[2].lines[0].amount_in = dec("82.215"),
                "lineAmntIn 82.215 has more than 2 decimals",
            ),
            (
                "report under wrong code",
                |m| till(m).events[16].code = EventCode::ZReport,
                "carries an X report but is journaled as 13009",
            ),
            (
                "duplicate report id",
                |m| {
                    let x = till(m).events[16].report.clone();
                    till(m).events[19].report = x.map(|mut r| {
                        r.kind = ReportKind::Z;
                        r
                    });
                },
                "reportID X-41 appears twice",
            ),
            (
                "control character",
                |m| m.company.articles[0].description = "Dagens\u{7}middag".into(),
                "artDesc contains the control character U+0007",
            ),
            (
                "bad org number",
                |m| m.company.org_number = "99999999".into(),
                "organisation number 99999999 is not a valid code (9 digits)",
            ),
            (
                "copies over 999",
                |m| till(m).transactions[0].copies_printed = 1000,
                "receiptCopyNum 1000 is larger than 999",
            ),
        ];
        assert!(check(&model()).is_ok());
        for (name, edit, expected) in cases {
            let mut m = model();
            edit(&mut m);
            let err = write(&m).expect_err(name).to_string();
            assert!(
                err.contains(expected),
                "{name}: got {err:?}, expected it to contain {expected:?}"
            );
        }
    }
}
