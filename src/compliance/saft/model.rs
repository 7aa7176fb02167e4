//! The SAF-T Cash Register model: what an export holds, as plain structs in
//! the canteen's terms.
//!
//! Amounts are `Decimal` (never binary floating point), dates and times are
//! chrono values, codes are the enums of `codes`. The types say what they
//! can; [`super::check`] checks the rest (references, lengths, decimals,
//! sums) before anything is written.
//!
//! Invariant: the model holds values, never their XML spelling: `amntTp`,
//! `taxRegIdent` and a report's company and register ids are derived when
//! written, not stored.

use super::codes::{
    ArticleGroup, BasicType, EventCode, LineType, PaymentCode, TransType, standard_vat_code,
};
use crate::compliance::sign::{amount_text, signed_text};
use crate::domain::VatRate;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

/// A whole SAF-T Cash Register export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFile {
    pub header: Header,
    pub company: Company,
}

/// `header`: what the export covers and who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `fiscalYear`, e.g. 2025.
    pub fiscal_year: i32,
    /// The selected period, inclusive (`startDate`, `endDate`).
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// `curCode`, ISO 4217: `NOK`.
    pub currency: String,
    /// `dateCreated` + `timeCreated`, local time, passed in (the core reads no clock).
    pub created: NaiveDateTime,
    pub software: Software,
    /// `headerComment`, e.g. the selection made.
    pub comment: Option<String>,
    /// `userID`: who ran the export.
    pub user_id: Option<String>,
}

/// The till software (`softwareDesc`, `softwareVersion`, `softwareCompanyName`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Software {
    pub name: String,
    pub version: String,
    pub company_name: String,
}

/// `company`: the business that owns the tills, its master files and tills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    /// `companyIdent`: the 9-digit organisation number.
    pub org_number: String,
    pub name: String,
    /// Registered for VAT: writes `taxRegistrationCountry` NO and
    /// `taxRegIdent` `<org number>MVA`.
    pub vat_registered: bool,
    pub street_address: Option<Address>,
    pub postal_address: Option<Address>,
    pub vat_codes: Vec<VatCode>,
    pub periods: Vec<Period>,
    pub employees: Vec<Employee>,
    pub articles: Vec<Article>,
    /// Every code used anywhere in the file must be here; see [`standard_basics`].
    pub basics: Vec<Basic>,
    pub locations: Vec<Location>,
}

/// A street or postal address. The schema requires city and postal code
/// in a postal address, so they are required here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub number: Option<String>,
    pub additional: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `NO`.
    pub country: String,
}

/// `vatCodeDetail`: a VAT code the till uses and the standard code it maps to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatCode {
    /// `vatCode`: the till's own code (often the same as the standard code).
    pub code: String,
    pub date_of_entry: NaiveDate,
    pub description: Option<String>,
    /// `standardVatCode`, see [`standard_vat_code`].
    pub standard_code: String,
}

impl VatCode {
    /// The usual entry for a VAT class: the till's code is the standard
    /// code, described as e.g. "Utgående mva 25 %".
    pub fn for_class(class: VatRate, date_of_entry: NaiveDate) -> VatCode {
        let code = standard_vat_code(class);
        let description = match class.percent() {
            Some(0) => "Fritatt for mva (nullsats)".to_string(),
            Some(percent) => format!("Utgående mva {percent} %"),
            None => "Unntatt fra mva-loven".to_string(),
        };
        VatCode {
            code: code.to_string(),
            date_of_entry,
            description: Some(description),
            standard_code: code.to_string(),
        }
    }
}

/// `period`: an accounting period transactions can refer to by number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// `periodNumber`, 0–999.
    pub number: u16,
    pub description: Option<String>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// `employee`: an operator who can log in to a till.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Employee {
    /// `empID`, at most 35 characters.
    pub id: String,
    /// `dateOfEntry` + `timeOfEntry`: when the operator was added.
    pub entered: NaiveDateTime,
    pub first_name: Option<String>,
    /// `surName` is required by the schema.
    pub surname: String,
    pub roles: Vec<EmployeeRole>,
}

/// `employeeRole`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeRole {
    /// `roleType`, e.g. "Kasserar".
    pub role: String,
    pub description: Option<String>,
}

/// `article`: a product in the master file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Article {
    /// `artID`: the SKU.
    pub id: String,
    pub date_of_entry: NaiveDate,
    pub group: ArticleGroup,
    pub description: String,
}

/// `basic`: one code the file uses, with its predefined meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basic {
    pub basic_type: BasicType,
    /// `basicID`: unique across all basics of the file.
    pub id: String,
    /// `predefinedBasicID`.
    pub predefined: Option<String>,
    pub description: String,
}

impl Basic {
    pub fn event(code: EventCode) -> Basic {
        Basic::predefined(BasicType::Event, code.code(), code.description())
    }
    pub fn payment(code: PaymentCode) -> Basic {
        Basic::predefined(BasicType::Payment, code.code(), code.description())
    }
    pub fn article_group(code: ArticleGroup) -> Basic {
        Basic::predefined(BasicType::ArticleGroup, code.code(), code.description())
    }
    pub fn transaction(code: TransType) -> Basic {
        Basic::predefined(BasicType::Transaction, code.code(), code.description())
    }
    pub fn line(line: LineType) -> Basic {
        let description = match line {
            LineType::Sale => "Sale line",
            LineType::Return => "Return line",
        };
        Basic {
            basic_type: BasicType::TicketLine,
            id: line.code().to_string(),
            predefined: None,
            description: description.to_string(),
        }
    }
    fn predefined(basic_type: BasicType, code: &str, description: &str) -> Basic {
        Basic {
            basic_type,
            id: code.to_string(),
            predefined: Some(code.to_string()),
            description: description.to_string(),
        }
    }
}

/// Every code the model's enums can write: all event, payment, article
/// group and transaction codes, and the two line types.
pub fn standard_basics() -> Vec<Basic> {
    let mut basics: Vec<Basic> = Vec::new();
    basics.extend(ArticleGroup::ALL.iter().map(|&c| Basic::article_group(c)));
    basics.push(Basic::line(LineType::Sale));
    basics.push(Basic::line(LineType::Return));
    basics.extend(TransType::ALL.iter().map(|&c| Basic::transaction(c)));
    basics.extend(PaymentCode::ALL.iter().map(|&c| Basic::payment(c)));
    basics.extend(EventCode::ALL.iter().map(|&c| Basic::event(c)));
    basics
}

/// `location`: a canteen, with its tills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub name: Option<String>,
    pub street_address: Option<Address>,
    pub registers: Vec<CashRegister>,
}

/// `cashregister`: one till, its journal and its signed transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashRegister {
    /// `registerID`, at most 100 characters.
    pub id: String,
    pub description: Option<String>,
    /// Journal entries in the order they happened.
    pub events: Vec<Event>,
    /// Transactions in `nr` order, without gaps.
    pub transactions: Vec<CashTransaction>,
}

/// `event`: one journal entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `eventID`, unique per till (the journal's id).
    pub id: u64,
    pub code: EventCode,
    /// `transID` of the transaction the event belongs to, if any.
    pub trans_id: Option<String>,
    pub employee: Option<String>,
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// `eventText`: what happened, e.g. `artID 1003; qnt 1; lineAmntIn 27.80`.
    pub text: Option<String>,
    /// The whole X or Z report, for events `13008`/`13009`.
    pub report: Option<Box<Report>>,
}

/// X or Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    X,
    Z,
}

impl ReportKind {
    /// `reportType` as the schema spells it.
    pub fn text(self) -> &'static str {
        match self {
            ReportKind::X => "X report",
            ReportKind::Z => "Z report",
        }
    }
    /// The event code a report of this kind is journaled under.
    pub fn event_code(self) -> EventCode {
        match self {
            ReportKind::X => EventCode::XReport,
            ReportKind::Z => EventCode::ZReport,
        }
    }
}

/// A count and an amount, as most report counters are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub amount: Decimal,
}

/// Sales of one article group (`reportArtGroup`); `quantity` counts units,
/// kilograms for food by weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSales {
    pub group: ArticleGroup,
    pub quantity: Decimal,
    pub amount: Decimal,
}

/// Sales of one article group by one operator (`reportEmpArtGroup`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeGroupSales {
    pub employee: String,
    pub group: ArticleGroup,
    pub quantity: Decimal,
    pub amount: Decimal,
}

/// Takings of one payment means (`reportPayment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentTotal {
    pub code: PaymentCode,
    pub count: u64,
    pub amount: Decimal,
}

/// Takings of one payment means by one operator (`reportEmpPayment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeePaymentTotal {
    pub employee: String,
    pub code: PaymentCode,
    pub count: u64,
    pub amount: Decimal,
}

/// Sales and VAT at one rate (`reportCashSaleVat`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatTotal {
    /// `vatCode`, one of `company.vat_codes`.
    pub code: Option<String>,
    /// `vatPerc`, e.g. 25.
    pub rate: Decimal,
    /// `cashSaleAmnt`: sales at this rate, excluding VAT (as in the official example).
    pub base: Decimal,
    pub vat: Decimal,
}

/// An operator's opening float (`reportEmpOpeningChangeFloat`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeFloat {
    pub employee: String,
    pub amount: Decimal,
}

/// A kind of correction with its count and amount (`reportCorrLine`,
/// `reportOtherCorr`, `reportPayIn`, `reportPayOut`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// e.g. "Slettet linje" or a code.
    pub kind: String,
    pub count: u64,
    pub amount: Decimal,
}

/// Price look-ups in one article group (`reportPriceInquiry`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceLookUps {
    pub group: ArticleGroup,
    pub count: u64,
    pub amount: Decimal,
}

/// Totals since the till was installed (`reportGrandTotal*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrandTotals {
    pub sales: Decimal,
    pub returns: Decimal,
    pub net: Decimal,
}

/// `eventReport`: an X or Z report, whole, in the schema's order.
///
/// The schema requires at least one row in `sales_per_group`, `payments`,
/// `vat`, `line_corrections`, `price_look_ups` and `other_corrections`; an
/// empty list is written as one zero row (group `04999`, cash, rate 0,
/// kind `None`), as the official example does for corrections.
/// `companyIdent`, `companyName` and `registerID` are taken from the
/// enclosing company and till.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `reportID`: unique in the file (e.g. `Z-7`, `X-12`); Z reports are numbered in sequence.
    pub id: String,
    pub kind: ReportKind,
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// `totalCashSaleAmnt`: sales incl. VAT less returns, training excluded.
    pub cash_sales_total: Decimal,
    pub sales_per_group: Vec<GroupSales>,
    pub sales_per_group_and_employee: Vec<EmployeeGroupSales>,
    pub payments: Vec<PaymentTotal>,
    pub payments_per_employee: Vec<EmployeePaymentTotal>,
    /// `reportTip`; None when the till takes no tips.
    pub tips: Option<Tally>,
    pub vat: Vec<VatTotal>,
    pub opening_float: Decimal,
    pub opening_float_per_employee: Vec<EmployeeFloat>,
    /// `reportReceiptNum`: sales receipts issued.
    pub receipts: u64,
    /// `reportOpenCashBoxNum`: drawer openings without a sale.
    pub drawer_openings_without_sale: u64,
    pub copies: Tally,
    pub provisional: Tally,
    pub returns: Tally,
    pub discounts: Tally,
    pub voided: Tally,
    pub line_corrections: Vec<Correction>,
    pub price_look_ups: Vec<PriceLookUps>,
    pub other_corrections: Vec<Correction>,
    pub delivery: Tally,
    pub training: Tally,
    /// `reportCreditSales`, `reportCreditMemos`: None when the till sells no credit.
    pub credit_sales: Option<Tally>,
    pub credit_memos: Option<Tally>,
    /// `reportPayIns`, `reportPayOuts`: left out when empty.
    pub pay_ins: Vec<Correction>,
    pub pay_outs: Vec<Correction>,
    pub grand_totals: GrandTotals,
}

/// `cashtransaction`: one receipt (sale, return, training), signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashTransaction {
    /// `nr`: 1, 2, 3… per till, without gaps; signed.
    pub nr: u64,
    /// `transID`: the till's id of the receipt, at most 35 characters (a
    /// hyphenated UUID is 36: use the simple form or the receipt number).
    pub trans_id: String,
    pub trans_type: TransType,
    /// `transAmntIn`/`transAmntEx`: the receipt total with and without VAT,
    /// before cash rounding; negative for a return. Signed.
    pub amount_in: Decimal,
    pub amount_ex: Decimal,
    pub employee: Option<String>,
    pub period_number: Option<u16>,
    /// `transDate`/`transTime`; signed.
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// `refID`, e.g. the original receipt of a return.
    pub reference: Option<String>,
    /// `desc`.
    pub description: Option<String>,
    pub lines: Vec<CtLine>,
    /// VAT per rate for the whole receipt.
    pub vat: Vec<VatLine>,
    /// `roundingAmnt`: cash rounding; payments add up to `amount_in + rounding`.
    pub rounding: Decimal,
    pub payments: Vec<Payment>,
    /// Base64 RSA-SHA1 over [`CashTransaction::signed_text`].
    pub signature: String,
    /// `keyVersion`: names the key pair (and so the public key file).
    pub key_version: String,
    /// `receiptNum`: how many receipts were issued (normally 1).
    pub receipts_issued: u16,
    /// `receiptCopyNum`: copies printed (at most 1 by the rules).
    pub copies_printed: u16,
    /// `receiptProformaNum`: provisional receipts printed.
    pub provisional_printed: u16,
    /// `receiptDeliveryNum`: delivery receipts printed.
    pub delivery_printed: u16,
    /// `voidTransaction`.
    pub void: bool,
    /// `trainingID`: made in training mode.
    pub training: bool,
}

impl CashTransaction {
    /// The text this transaction's signature covers, given the previous
    /// transaction's signature on the same till (`"0"` for the first).
    pub fn signed_text(&self, prev_signature: &str) -> String {
        signed_text(
            prev_signature,
            self.date,
            self.time,
            self.nr,
            &amount_text(self.amount_in),
            &amount_text(self.amount_ex),
        )
    }
}

/// `ctLine`: one line of a receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtLine {
    /// `lineID`: 1, 2, 3… within the receipt.
    pub line_id: u32,
    pub line_type: LineType,
    pub group: ArticleGroup,
    /// `artID`, one of `company.articles`.
    pub article: Option<String>,
    /// `qnt`: units, or kilograms for food by weight (at most 6 decimals);
    /// negative on a return line.
    pub quantity: Decimal,
    /// `lineAmntIn`/`lineAmntEx`: what the line costs after its discounts.
    pub amount_in: Decimal,
    pub amount_ex: Decimal,
    /// `ppu`: price per unit (or per kg), incl. VAT.
    pub unit_price: Option<Decimal>,
    pub employee: Option<String>,
    /// `cashTransLineDescr`: the product name as printed.
    pub description: Option<String>,
    /// `lineDate` + `lineTime`: when the line was added.
    pub at: Option<NaiveDateTime>,
    pub vat: Option<VatLine>,
    pub discounts: Vec<Discount>,
}

/// `vat` of a line or of a whole receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatLine {
    /// `vatCode`, one of `company.vat_codes`.
    pub code: String,
    /// `vatPerc`, e.g. 25; None (left out) when no rate applies (exempt, code 6).
    pub rate: Option<Decimal>,
    /// `vatAmnt`.
    pub amount: Decimal,
    /// `vatBasAmnt`: the amount excluding VAT it was computed on.
    pub base: Decimal,
}

/// `discount` on a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discount {
    /// `dscTp`, e.g. `coupon`, `clip`, `campaign`.
    pub kind: String,
    /// `dscAmnt`: how much the line was reduced, incl. VAT.
    pub amount: Decimal,
    pub employee: Option<String>,
}

/// `payment`: one tender of a receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub code: PaymentCode,
    /// `paidAmnt`; negative when money goes back on a return.
    pub amount: Decimal,
    pub employee: Option<String>,
    /// `paymentRefID`: the terminal's or Vipps' transaction id.
    pub reference: Option<String>,
}
