//! The SAF-T Cash Register XML writer: the elements in schema order.
//!
//! Invariant: nothing is written before [`check`] accepts the model, and the
//! same model always gives the same bytes (UTF-8, two-space indent). Lists
//! the schema requires get one placeholder row when empty; optional ones are
//! left out.

use super::checks::{SaftError, check};
use super::codes::{ArticleGroup, PaymentCode};
use super::model::{
    Address, AuditFile, CashRegister, CashTransaction, Company, Correction, GroupSales, Header,
    PaymentTotal, PriceLookUps, Report, Tally, VatLine, VatTotal,
};
use crate::compliance::sign::{amount_text, date_text, time_text};
use IfEmpty::{Omit, Placeholder};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// The schema's target namespace.
pub const NAMESPACE: &str = "urn:StandardAuditFile-Taxation-CashRegister:NO";

/// `auditfileVersion` for schema v1.00.
pub const AUDITFILE_VERSION: &str = "1.0";

/// Checks the model and writes it as a SAF-T Cash Register XML document
/// (UTF-8, elements in schema order).
pub fn write(model: &AuditFile) -> Result<String, SaftError> {
    check(model)?;
    let mut x = Xml::default();
    x.buf
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x.buf, "<auditfile xmlns=\"{NAMESPACE}\">");
    x.depth = 1;
    header(&mut x, &model.header);
    company(&mut x, &model.company);
    x.buf.push_str("</auditfile>\n");
    Ok(x.buf)
}

/// Checks the model and writes it to `out`.
pub fn write_to(model: &AuditFile, out: &mut impl std::io::Write) -> Result<(), WriteError> {
    let xml = write(model)?;
    out.write_all(xml.as_bytes())?;
    Ok(())
}

/// Why [`write_to`] failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the export is not valid SAF-T: {0}")]
    Model(#[from] SaftError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// What a list with no rows becomes.
enum IfEmpty<T> {
    /// Left out: the schema makes the list optional.
    Omit,
    /// This one stand-in row: the schema wants at least one.
    Placeholder(T),
}

/// A kind, a count and an amount: one row of most report lists.
type Counted<'a> = (&'a str, u64, Decimal);

/// A report row written as [`Counted`].
trait Counts {
    fn counted(&self) -> Counted<'_>;
}

impl Counts for PaymentTotal {
    fn counted(&self) -> Counted<'_> {
        (self.code.code(), self.count, self.amount)
    }
}

impl Counts for PriceLookUps {
    fn counted(&self) -> Counted<'_> {
        (self.group.code(), self.count, self.amount)
    }
}

impl Counts for Correction {
    fn counted(&self) -> Counted<'_> {
        (&self.kind, self.count, self.amount)
    }
}

/// The stand-in rows of the report lists the schema requires (see
/// [`Report`]): group `04999`, rate 0, kind `None`; the payment one is cash.
const NO_GROUP: GroupSales = GroupSales {
    group: ArticleGroup::Other,
    quantity: Decimal::ZERO,
    amount: Decimal::ZERO,
};
const NO_VAT: VatTotal = VatTotal {
    code: None,
    rate: Decimal::ZERO,
    base: Decimal::ZERO,
    vat: Decimal::ZERO,
};
const NO_PAYMENT: Counted<'static> = (PaymentCode::Cash.code(), 0, Decimal::ZERO);
const NO_KIND: Counted<'static> = ("None", 0, Decimal::ZERO);

#[derive(Default)]
struct Xml {
    buf: String,
    depth: usize,
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
    }
    fn open(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.buf, "<{name}>");
        self.depth += 1;
    }
    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.buf, "</{name}>");
    }
    fn leaf(&mut self, name: &str, value: &str) {
        self.indent();
        let _ = write!(self.buf, "<{name}>");
        escape_into(&mut self.buf, value);
        let _ = writeln!(self.buf, "</{name}>");
    }
    fn opt(&mut self, name: &str, value: Option<&String>) {
        if let Some(v) = value {
            self.leaf(name, v);
        }
    }
    fn amount(&mut self, name: &str, value: Decimal) {
        self.leaf(name, &amount_text(value));
    }
    fn date(&mut self, name: &str, value: NaiveDate) {
        self.leaf(name, &date_text(value));
    }
    fn time(&mut self, name: &str, value: NaiveTime) {
        self.leaf(name, &time_text(value));
    }
    fn num(&mut self, name: &str, value: impl std::fmt::Display) {
        self.leaf(name, &value.to_string());
    }
    fn quantity(&mut self, name: &str, value: Decimal) {
        self.leaf(name, &quantity_text(value));
    }
    fn flag(&mut self, name: &str, value: bool) {
        self.leaf(name, if value { "true" } else { "false" });
    }
    /// A `<row>` per item, each filled in by `fields`; nothing for no items.
    fn each<T>(
        &mut self,
        row: &str,
        items: impl IntoIterator<Item = T>,
        mut fields: impl FnMut(&mut Xml, T),
    ) {
        for item in items {
            self.open(row);
            fields(self, item);
            self.close(row);
        }
    }
    /// `<list>` around a `<row>` per item, as [`Xml::each`]; with no items,
    /// what `if_empty` says.
    fn list<T>(
        &mut self,
        (list, row): (&str, &str),
        items: impl IntoIterator<Item = T>,
        if_empty: IfEmpty<T>,
        fields: impl FnMut(&mut Xml, T),
    ) {
        let mut items = items.into_iter().peekable();
        let placeholder = match if_empty {
            _ if items.peek().is_some() => None,
            Omit => return,
            Placeholder(row) => Some(row),
        };
        self.open(list);
        self.each(row, placeholder.into_iter().chain(items), fields);
        self.close(list);
    }
    /// `<name>` with a tally's count and amount; nothing without a tally.
    fn tally(&mut self, name: &str, (num, amnt): (&str, &str), tally: Option<&Tally>) {
        self.each(name, tally, |x, t| {
            x.num(num, t.count);
            x.amount(amnt, t.amount);
        });
    }
    /// A [`Xml::list`] of kind/count/amount rows, the shape of most report
    /// lists; `fields` names the three elements of a row.
    fn counted<'a, T: Counts>(
        &mut self,
        names: (&str, &str),
        (kind, num, amnt): (&str, &str, &str),
        rows: &'a [T],
        if_empty: IfEmpty<Counted<'a>>,
    ) {
        let rows = rows.iter().map(Counts::counted);
        self.list(names, rows, if_empty, |x, (k, n, a)| {
            x.leaf(kind, k);
            x.num(num, n);
            x.amount(amnt, a);
        });
    }
}

/// Escapes text content. `check` has already refused characters XML cannot carry.
fn escape_into(buf: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => buf.push_str("&amp;"),
            '<' => buf.push_str("&lt;"),
            '>' => buf.push_str("&gt;"),
            // A literal CR would be normalised away by any XML reader.
            '\r' => buf.push_str("&#13;"),
            c => buf.push(c),
        }
    }
}

/// A quantity or rate without trailing zeros (`2`, `0.435`, `-1`).
pub(super) fn quantity_text(value: Decimal) -> String {
    let n = value.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// A VAT rate with two decimals, as the official example writes them (`25.00`).
fn rate_text(value: Decimal) -> String {
    let n = value.normalize();
    if n.scale() <= 2 {
        amount_text(n)
    } else {
        n.to_string()
    }
}

/// `C` (credit: money in, a sale) or `D` (debit: money out, a return).
fn debit_credit(value: Decimal) -> &'static str {
    if value.is_sign_negative() && !value.is_zero() {
        "D"
    } else {
        "C"
    }
}

fn header(x: &mut Xml, h: &Header) {
    x.open("header");
    x.num("fiscalYear", h.fiscal_year);
    x.date("startDate", h.start_date);
    x.date("endDate", h.end_date);
    x.leaf("curCode", &h.currency);
    x.date("dateCreated", h.created.date());
    x.time("timeCreated", h.created.time());
    x.leaf("softwareDesc", &h.software.name);
    x.leaf("softwareVersion", &h.software.version);
    x.leaf("softwareCompanyName", &h.software.company_name);
    x.leaf("auditfileVersion", AUDITFILE_VERSION);
    x.opt("headerComment", h.comment.as_ref());
    x.opt("userID", h.user_id.as_ref());
    x.close("header");
}

fn address(x: &mut Xml, name: &str, a: &Address) {
    x.open(name);
    x.opt("streetname", a.street.as_ref());
    x.opt("number", a.number.as_ref());
    x.opt("additionalAddressDetails", a.additional.as_ref());
    x.leaf("city", &a.city);
    x.leaf("postalCode", &a.postal_code);
    x.opt("region", a.region.as_ref());
    x.leaf("country", &a.country);
    x.close(name);
}

fn company(x: &mut Xml, c: &Company) {
    x.open("company");
    x.leaf("companyIdent", &c.org_number);
    x.leaf("companyName", &c.name);
    if c.vat_registered {
        x.leaf("taxRegistrationCountry", "NO");
        x.leaf("taxRegIdent", &format!("{}MVA", c.org_number));
    }
    if let Some(a) = &c.street_address {
        address(x, "streetAddress", a);
    }
    if let Some(a) = &c.postal_address {
        address(x, "postalAddress", a);
    }
    let names = ("vatCodeDetails", "vatCodeDetail");
    x.list(names, &c.vat_codes, Omit, |x, v| {
        x.leaf("vatCode", &v.code);
        x.date("dateOfEntry", v.date_of_entry);
        x.opt("vatDesc", v.description.as_ref());
        x.leaf("standardVatCode", &v.standard_code);
    });
    x.list(("periods", "period"), &c.periods, Omit, |x, p| {
        x.num("periodNumber", p.number);
        x.opt("periodDesc", p.description.as_ref());
        x.date("startDatePeriod", p.start.date());
        x.time("startTimePeriod", p.start.time());
        x.date("endDatePeriod", p.end.date());
        x.time("endTimePeriod", p.end.time());
    });
    x.list(("employees", "employee"), &c.employees, Omit, |x, e| {
        x.leaf("empID", &e.id);
        x.date("dateOfEntry", e.entered.date());
        x.time("timeOfEntry", e.entered.time());
        x.opt("firstName", e.first_name.as_ref());
        x.leaf("surName", &e.surname);
        x.each("employeeRole", &e.roles, |x, r| {
            x.leaf("roleType", &r.role);
            x.opt("roleTypeDesc", r.description.as_ref());
        });
    });
    x.list(("articles", "article"), &c.articles, Omit, |x, a| {
        x.leaf("artID", &a.id);
        x.date("dateOfEntry", a.date_of_entry);
        x.leaf("artGroupID", a.group.code());
        x.leaf("artDesc", &a.description);
    });
    x.list(("basics", "basic"), &c.basics, Omit, |x, b| {
        x.leaf("basicType", b.basic_type.code());
        x.leaf("basicID", &b.id);
        x.opt("predefinedBasicID", b.predefined.as_ref());
        x.leaf("basicDesc", &b.description);
    });
    x.each("location", &c.locations, |x, loc| {
        x.opt("name", loc.name.as_ref());
        if let Some(a) = &loc.street_address {
            address(x, "streetAddress", a);
        }
        for reg in &loc.registers {
            register(x, c, reg);
        }
    });
    x.close("company");
}

fn register(x: &mut Xml, c: &Company, reg: &CashRegister) {
    x.open("cashregister");
    x.leaf("registerID", &reg.id);
    x.opt("regDesc", reg.description.as_ref());
    x.each("event", &reg.events, |x, e| {
        x.num("eventID", e.id);
        x.leaf("eventType", e.code.code());
        x.opt("transID", e.trans_id.as_ref());
        x.opt("empID", e.employee.as_ref());
        x.date("eventDate", e.date);
        x.time("eventTime", e.time);
        x.opt("eventText", e.text.as_ref());
        if let Some(r) = &e.report {
            report(x, c, reg, r);
        }
    });
    for t in &reg.transactions {
        transaction(x, t);
    }
    x.close("cashregister");
}

fn report(x: &mut Xml, c: &Company, reg: &CashRegister, r: &Report) {
    x.open("eventReport");
    x.leaf("reportID", &r.id);
    x.leaf("reportType", r.kind.text());
    x.leaf("companyIdent", &c.org_number);
    x.leaf("companyName", &c.name);
    x.date("reportDate", r.date);
    x.time("reportTime", r.time);
    x.leaf("registerID", &reg.id);

    x.open("reportTotalCashSales");
    x.amount("totalCashSaleAmnt", r.cash_sales_total);
    x.close("reportTotalCashSales");

    let names = ("reportArtGroups", "reportArtGroup");
    x.list(names, &r.sales_per_group, Placeholder(&NO_GROUP), |x, g| {
        x.leaf("artGroupID", g.group.code());
        x.quantity("artGroupNum", g.quantity);
        x.amount("artGroupAmnt", g.amount);
    });
    let names = ("reportEmpArtGroups", "reportEmpArtGroup");
    let rows = &r.sales_per_group_and_employee;
    x.list(names, rows, Omit, |x, g| {
        x.leaf("empID", &g.employee);
        x.leaf("artGroupID", g.group.code());
        x.quantity("artGroupNum", g.quantity);
        x.amount("artGroupAmnt", g.amount);
    });

    let names = ("reportPayments", "reportPayment");
    let fields = ("paymentType", "paymentNum", "paymentAmnt");
    x.counted(names, fields, &r.payments, Placeholder(NO_PAYMENT));
    let names = ("reportEmpPayments", "reportEmpPayment");
    x.list(names, &r.payments_per_employee, Omit, |x, p| {
        x.leaf("empID", &p.employee);
        x.leaf("paymentType", p.code.code());
        x.num("paymentNum", p.count);
        x.amount("paymentAmnt", p.amount);
    });

    x.tally("reportTip", ("tipNum", "tipAmnt"), r.tips.as_ref());

    let names = ("reportCashSalesVat", "reportCashSaleVat");
    x.list(names, &r.vat, Placeholder(&NO_VAT), |x, v| {
        x.opt("vatCode", v.code.as_ref());
        x.leaf("vatPerc", &rate_text(v.rate));
        x.amount("cashSaleAmnt", v.base);
        x.amount("vatAmnt", v.vat);
        x.leaf("vatAmntTp", debit_credit(v.vat));
    });

    x.amount("reportOpeningChangeFloat", r.opening_float);
    let names = (
        "reportEmpOpeningChangeFloats",
        "reportEmpOpeningChangeFloat",
    );
    x.list(names, &r.opening_float_per_employee, Omit, |x, f| {
        x.leaf("empID", &f.employee);
        x.amount("openingChangeFloatAmnt", f.amount);
    });

    x.num("reportReceiptNum", r.receipts);
    x.num("reportOpenCashBoxNum", r.drawer_openings_without_sale);
    x.num("reportReceiptCopyNum", r.copies.count);
    x.amount("reportReceiptCopyAmnt", r.copies.amount);
    x.num("reportReceiptProformaNum", r.provisional.count);
    x.amount("reportReceiptProformaAmnt", r.provisional.amount);
    x.num("reportReturnNum", r.returns.count);
    x.amount("reportReturnAmnt", r.returns.amount);
    x.num("reportDiscountNum", r.discounts.count);
    x.amount("reportDiscountAmnt", r.discounts.amount);
    x.num("reportVoidTransNum", r.voided.count);
    x.amount("reportVoidTransAmnt", r.voided.amount);

    let names = ("reportCorrLines", "reportCorrLine");
    let fields = ("corrLineType", "corrLineNum", "corrLineAmnt");
    x.counted(names, fields, &r.line_corrections, Placeholder(NO_KIND));
    let names = ("reportPriceInquiries", "reportPriceInquiry");
    let fields = ("priceInquiryGroup", "priceInquiryNum", "priceInquiryAmnt");
    x.counted(names, fields, &r.price_look_ups, Placeholder(NO_KIND));
    let names = ("reportOtherCorrs", "reportOtherCorr");
    let fields = ("otherCorrType", "otherCorrNum", "otherCorrAmnt");
    x.counted(names, fields, &r.other_corrections, Placeholder(NO_KIND));

    x.num("reportReceiptDeliveryNum", r.delivery.count);
    x.amount("reportReceiptDeliveryAmnt", r.delivery.amount);
    x.num("reportTrainingNum", r.training.count);
    x.amount("reportTrainingAmnt", r.training.amount);

    x.tally(
        "reportCreditSales",
        ("creditSalesNum", "creditSalesAmnt"),
        r.credit_sales.as_ref(),
    );
    x.tally(
        "reportCreditMemos",
        ("creditMemosNum", "creditMemosAmnt"),
        r.credit_memos.as_ref(),
    );
    let names = ("reportPayIns", "reportPayIn");
    let fields = ("payInType", "payInNum", "payInAmnt");
    x.counted(names, fields, &r.pay_ins, Omit);
    let names = ("reportPayOuts", "reportPayOut");
    let fields = ("payOutType", "payOutNum", "payOutAmnt");
    x.counted(names, fields, &r.pay_outs, Omit);

    x.amount("reportGrandTotalSales", r.grand_totals.sales);
    x.amount("reportGrandTotalReturn", r.grand_totals.returns);
    x.amount("reportGrandTotalSalesNet", r.grand_totals.net);
    x.close("eventReport");
}

fn vat(x: &mut Xml, v: &VatLine) {
    x.open("vat");
    x.leaf("vatCode", &v.code);
    if let Some(rate) = v.rate {
        x.leaf("vatPerc", &rate_text(rate));
    }
    x.amount("vatAmnt", v.amount);
    x.leaf("vatAmntTp", debit_credit(v.amount));
    x.amount("vatBasAmnt", v.base);
    x.close("vat");
}

fn transaction(x: &mut Xml, t: &CashTransaction) {
    x.open("cashtransaction");
    x.num("nr", t.nr);
    x.leaf("transID", &t.trans_id);
    x.leaf("transType", t.trans_type.code());
    x.amount("transAmntIn", t.amount_in);
    x.amount("transAmntEx", t.amount_ex);
    x.leaf("amntTp", debit_credit(t.amount_in));
    x.opt("empID", t.employee.as_ref());
    if let Some(p) = t.period_number {
        x.num("periodNumber", p);
    }
    x.date("transDate", t.date);
    x.time("transTime", t.time);
    x.opt("refID", t.reference.as_ref());
    x.opt("desc", t.description.as_ref());
    x.each("ctLine", &t.lines, |x, l| {
        x.num("nr", t.nr);
        x.num("lineID", l.line_id);
        x.leaf("lineType", l.line_type.code());
        x.leaf("artGroupID", l.group.code());
        x.opt("artID", l.article.as_ref());
        x.quantity("qnt", l.quantity);
        x.amount("lineAmntIn", l.amount_in);
        x.amount("lineAmntEx", l.amount_ex);
        x.leaf("amntTp", debit_credit(l.amount_in));
        if let Some(p) = l.unit_price {
            x.quantity("ppu", p);
        }
        x.opt("empID", l.employee.as_ref());
        x.opt("cashTransLineDescr", l.description.as_ref());
        if let Some(at) = l.at {
            x.date("lineDate", at.date());
            x.time("lineTime", at.time());
        }
        if let Some(v) = &l.vat {
            vat(x, v);
        }
        x.each("discount", &l.discounts, |x, d| {
            x.leaf("dscTp", &d.kind);
            x.amount("dscAmnt", d.amount);
            x.opt("empID", d.employee.as_ref());
        });
    });
    for v in &t.vat {
        vat(x, v);
    }
    x.open("rounding");
    x.amount("roundingAmnt", t.rounding);
    x.close("rounding");
    x.each("payment", &t.payments, |x, p| {
        x.leaf("paymentType", p.code.code());
        x.amount("paidAmnt", p.amount);
        x.opt("empID", p.employee.as_ref());
        x.opt("paymentRefID", p.reference.as_ref());
    });
    x.leaf("signature", &t.signature);
    x.leaf("keyVersion", &t.key_version);
    x.num("receiptNum", t.receipts_issued);
    x.num("receiptCopyNum", t.copies_printed);
    x.num("receiptProformaNum", t.provisional_printed);
    x.num("receiptDeliveryNum", t.delivery_printed);
    x.flag("voidTransaction", t.void);
    x.flag("trainingID", t.training);
    x.close("cashtransaction");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::saft::fixture::{canteen_day, dec};
    use crate::compliance::sign::tests::test_signer;
    use std::path::PathBuf;
    use std::process::Command;

    fn xsd() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/saft/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd")
    }

    /// Runs the real xmllint against the official XSD; panics with its
    /// complaints when the document is not valid.
    pub(crate) fn assert_valid(xml: &str) {
        let xsd = xsd();
        assert!(
            xsd.exists(),
            "the official XSD is missing at {}",
            xsd.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("saft.xml");
        std::fs::write(&file, xml).unwrap();
        let out = match Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()
        {
            Ok(out) => out,
            Err(e) => panic!("cannot run xmllint ({e}); install it: apt-get install libxml2-utils"),
        };
        assert!(
            out.status.success(),
            "xmllint rejects the export ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn canteen_day_validates_against_the_official_xsd() {
        let model = canteen_day(test_signer());
        let xml = write(&model).unwrap();
        assert_valid(&xml);
        // What the day should show, spot-checked in the text.
        for expected in [
            "<auditfile xmlns=\"urn:StandardAuditFile-Taxation-CashRegister:NO\">",
            "<companyName>Studentkantina Mat &amp; Drikke &lt;Blindern&gt; AS</companyName>",
            "<taxRegIdent>999999999MVA</taxRegIdent>",
            "<eventType>13028</eventType>",
            "<eventType>13014</eventType>",
            "<reportType>X report</reportType>",
            "<reportType>Z report</reportType>",
            "<paymentType>12007</paymentType>",
            "<paymentType>12011</paymentType>",
            "<roundingAmnt>-0.30</roundingAmnt>",
            "<qnt>0.435</qnt>",
            "<trainingID>true</trainingID>",
            "<transType>11006</transType>",
            "<dscTp>coupon</dscTp>",
        ] {
            assert!(xml.contains(expected), "missing {expected}");
        }
    }

    #[test]
    fn the_official_example_still_validates() {
        // Guards the harness: if this fails, xmllint or the XSD path is wrong, not our writer.
        let example = xsd().with_file_name("example.xml");
        assert_valid(&std::fs::read_to_string(example).unwrap());
    }

    #[test]
    fn write_to_writes_the_same_bytes() {
        let m = canteen_day(test_signer());
        let mut out = Vec::new();
        write_to(&m, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), write(&m).unwrap());
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(quantity_text(dec("2.000")), "2");
        assert_eq!(quantity_text(dec("0.4350")), "0.435");
        assert_eq!(quantity_text(dec("-1")), "-1");
        assert_eq!(quantity_text(dec("0.000")), "0");
        assert_eq!(rate_text(dec("25")), "25.00");
        assert_eq!(rate_text(dec("12.125")), "12.125");
        assert_eq!(debit_credit(dec("-0.01")), "D");
        assert_eq!(debit_credit(dec("0")), "C");
        assert_eq!(debit_credit(dec("-0")), "C");
        let mut s = String::new();
        escape_into(&mut s, "a & b < c > d \"e\" 'f'\r\n");
        assert_eq!(s, "a &amp; b &lt; c &gt; d \"e\" 'f'&#13;\n");
    }
}
