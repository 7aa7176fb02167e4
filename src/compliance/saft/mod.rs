//! SAF-T Cash Register export: what an export holds, and its XML.
//!
//! The model follows `Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd`
//! (namespace [`NAMESPACE`]) but in the canteen's terms: plain structs,
//! `Decimal` amounts (never binary floating point), chrono dates and times, and the code
//! lists as enums. [`write()`] first [`check`]s the model — the references the
//! schema's keys demand, lengths, decimals, sums — and refuses with a reason a
//! person can act on, then writes the elements in schema order.
//!
//! Codes: every `basicID` this module writes is the predefined code itself
//! (`13028`, `12007`, `04006`, `11001`), except the two ticket-line types
//! `SAL`/`RET` (basic type 05 has no predefined codes). [`standard_basics`]
//! lists them all for `company.basics`.
//!
//! Signs and amounts: a sale is written with positive amounts and `amntTp`
//! `C`; a return with negative amounts and `amntTp` `D` (as the official
//! example file does). `amntTp` is derived from the sign, never stored.
//!
//! Pure: no I/O, no clock. The creation time comes in with the model.

use super::sign::{amount_text, date_text, signed_text, time_text};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The schema's target namespace.
pub const NAMESPACE: &str = "urn:StandardAuditFile-Taxation-CashRegister:NO";

/// `auditfileVersion` for schema v1.00.
pub const AUDITFILE_VERSION: &str = "1.0";

/// The `basicID` of a sale line (basic type 05, no predefined code).
pub const LINE_SALE: &str = "SAL";
/// The `basicID` of a return line.
pub const LINE_RETURN: &str = "RET";

// ---------------------------------------------------------------------------
// Code lists
// ---------------------------------------------------------------------------

/// Basic types (`basicType`, code list BasicType).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BasicType {
    /// 04: article group codes.
    ArticleGroup,
    /// 05: ticket line codes (`lineType`).
    TicketLine,
    /// 08: discount codes.
    Discount,
    /// 11: transaction codes (`transType`).
    Transaction,
    /// 12: payment codes (`paymentType`).
    Payment,
    /// 13: event codes (`eventType`).
    Event,
}

impl BasicType {
    pub fn code(self) -> &'static str {
        match self {
            BasicType::ArticleGroup => "04",
            BasicType::TicketLine => "05",
            BasicType::Discount => "08",
            BasicType::Transaction => "11",
            BasicType::Payment => "12",
            BasicType::Event => "13",
        }
    }
}

macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $code:literal, $desc:literal; )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( #[doc = concat!($code, ": ", $desc)] $variant, )+
        }

        impl $name {
            /// Every code of the list, in code order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The predefined code, e.g. `"13028"`; also the `basicID` written.
            pub fn code(self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }

            /// The code list's English description.
            pub fn description(self) -> &'static str {
                match self { $( $name::$variant => $desc, )+ }
            }

            /// The variant for a predefined code.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $( $code => Some($name::$variant), )+ _ => None }
            }
        }
    };
}

code_list! {
    /// Event codes, PredefinedBasicID-13: what the journal records.
    EventCode {
        PosStart = "13001", "POS application start";
        PosShutDown = "13002", "POS application shut down";
        EmployeeLogIn = "13003", "Employee log in";
        EmployeeLogOut = "13004", "Employee log out";
        DrawerOpened = "13005", "Open cash drawer";
        DrawerClosed = "13006", "Close cash drawer";
        SoftwareUpdate = "13007", "Update of POS application";
        XReport = "13008", "X report";
        ZReport = "13009", "Z report";
        SuspendTransaction = "13010", "Suspend transaction";
        ResumeTransaction = "13011", "Resume transaction";
        SalesReceipt = "13012", "Sales receipt printed";
        ReturnReceipt = "13013", "Return receipt";
        CopyReceipt = "13014", "Copy receipt";
        ProvisionalReceipt = "13015", "Provisional receipt";
        DeliveryReceipt = "13016", "Delivery receipt";
        TrainingReceipt = "13017", "Training receipt";
        OtherReport = "13018", "Other reports or receipts";
        CashWithdrawal = "13019", "Cash withdrawal";
        JournalExport = "13020", "Export of journal to external storage";
        PriceChange = "13021", "Price change";
        PriceLookUp = "13022", "Price look-up";
        TrainingModeOn = "13023", "Training mode on";
        TrainingModeOff = "13024", "Training mode off";
        MemoryFull = "13025", "Memory full";
        EmergencyModeOn = "13026", "Emergency mode on";
        EmergencyModeOff = "13027", "Emergency mode off";
        VoidReceipt = "13028", "Void receipt";
        StebReceipt = "13029", "STEB receipt";
        SaleWithoutReceipt = "13030", "Concluded sale without receipt printed";
        Other = "13999", "Other";
    }
}

code_list! {
    /// Payment codes, PredefinedBasicID-12. The canteen's tenders map as
    /// cash → `Cash`, card → `DebitCard`, student bonus → `Loyalty`,
    /// Vipps → `MobileApp`.
    PaymentCode {
        Cash = "12001", "Cash";
        DebitCard = "12002", "Debit card";
        CreditCard = "12003", "Credit card";
        BankAccount = "12004", "Bank account";
        GiftToken = "12005", "Gift token";
        CustomerCard = "12006", "Customer card";
        Loyalty = "12007", "Loyalty, stamps";
        BottleDeposit = "12008", "Bottle deposit";
        Check = "12009", "Check";
        CreditNote = "12010", "Credit note";
        MobileApp = "12011", "Mobile phone apps";
        Other = "12999", "Other";
    }
}

code_list! {
    /// Article group codes, PredefinedBasicID-04.
    ArticleGroup {
        WithdrawalOfTreatmentServices = "04001", "Withdrawal of treatment services";
        WithdrawalOfTreatmentGoods = "04002", "Withdrawal of goods used for treatment services";
        Goods = "04003", "Sale of goods";
        TreatmentServices = "04004", "Sale of treatment services";
        Haircut = "04005", "Sale of haircut";
        Food = "04006", "Food";
        Beer = "04007", "Beer";
        Wine = "04008", "Wine";
        Liquor = "04009", "Liquor";
        AlcopopsCider = "04010", "Alcopops/Cider";
        SoftDrinks = "04011", "Soft drinks/Mineral water";
        OtherDrinks = "04012", "Other drinks (tea, coffee etc)";
        Tobacco = "04013", "Tobacco";
        OtherGoods = "04014", "Other goods";
        EntranceFee = "04015", "Entrance fee (cover charge)";
        FreeEntrance = "04016", "Free entrance (members etc)";
        CloakroomFee = "04017", "Cloakroom fee";
        FreeCloakroom = "04018", "Free cloakroom";
        FullBoard = "04019", "Accommodation - full board";
        HalfBoard = "04020", "Accommodation - half board";
        BedAndBreakfast = "04021", "Accommodation - with breakfast";
        Other = "04999", "Other";
    }
}

code_list! {
    /// Transaction codes, PredefinedBasicID-11 (the ones a canteen till uses).
    TransType {
        CashSale = "11001", "Cash sale";
        CreditSale = "11002", "Credit sale";
        ReturnPayment = "11006", "Return payment";
        CashDeclaration = "11007", "Cash declaration";
        CashDifference = "11008", "Cash difference";
        Correction = "11009", "Correction";
        OutPayment = "11010", "Out payment";
        InPayment = "11011", "In payment";
        CashSaleAndReturn = "11016", "Cash sale and return";
        Other = "11999", "Other";
    }
}

/// A ticket line's type (`lineType`, basic type 05).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineType {
    Sale,
    Return,
}

impl LineType {
    pub fn code(self) -> &'static str {
        match self {
            LineType::Sale => LINE_SALE,
            LineType::Return => LINE_RETURN,
        }
    }
}

/// The SAF-T standard VAT code for a Norwegian output VAT rate in percent:
/// 25 → `3`, 15 → `31`, 12 → `33`, 0 → `5` (domestic sale exempt from VAT,
/// zero rate). None for other rates.
pub fn standard_vat_code(percent: u8) -> Option<&'static str> {
    match percent {
        25 => Some("3"),
        15 => Some("31"),
        12 => Some("33"),
        0 => Some("5"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

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
    /// The usual entry for a rate: the till's code is the standard code,
    /// described as e.g. "Utgående mva 25 %". None for a rate with no standard code.
    pub fn for_rate(percent: u8, date_of_entry: NaiveDate) -> Option<VatCode> {
        let code = standard_vat_code(percent)?;
        let description = if percent == 0 {
            "Fritatt for mva (nullsats)".to_string()
        } else {
            format!("Utgående mva {percent} %")
        };
        Some(VatCode {
            code: code.to_string(),
            date_of_entry,
            description: Some(description),
            standard_code: code.to_string(),
        })
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
    /// `vatPerc`, e.g. 25.
    pub rate: Decimal,
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

// ---------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------

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

fn amount(at: &str, field: &'static str, value: Decimal) -> Result<(), SaftError> {
    decimal(at, field, value, 2, 20)
}

fn small(at: &str, field: &'static str, value: u64) -> Result<(), SaftError> {
    if value > 999 {
        return Err(SaftError::TooLarge {
            at: at.to_string(),
            field,
            value,
            max: 999,
        });
    }
    Ok(())
}

fn count(at: &str, field: &'static str, value: u64) -> Result<(), SaftError> {
    if value > 9_999_999_999 {
        return Err(SaftError::TooLarge {
            at: at.to_string(),
            field,
            value,
            max: 9_999_999_999,
        });
    }
    Ok(())
}

fn unique<'a>(
    what: &'static str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeSet<&'a str>, SaftError> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(SaftError::Duplicate {
                what,
                id: id.to_string(),
            });
        }
    }
    Ok(seen)
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
        if c.org_number.len() != 9 || !c.org_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SaftError::BadCode {
                at: at.to_string(),
                field: "organisation number",
                value: c.org_number.clone(),
                expected: "9 digits",
            });
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

        self.periods = unique_numbers(c.periods.iter().map(|p| p.number))?;
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
                if !register_ids.insert(reg.id.as_str()) {
                    return Err(SaftError::Duplicate {
                        what: "registerID",
                        id: reg.id.clone(),
                    });
                }
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
        if h.currency.len() != 3 || !h.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SaftError::BadCode {
                at: at.to_string(),
                field: "curCode",
                value: h.currency.clone(),
                expected: "three capital letters, ISO 4217, e.g. NOK",
            });
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
        if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SaftError::BadCode {
                at: at.to_string(),
                field: "country",
                value: a.country.clone(),
                expected: "two capital letters, ISO 3166-1, e.g. NO",
            });
        }
        Ok(())
    }

    fn employee(&self, at: &str, id: Option<&String>) -> Result<(), SaftError> {
        match id {
            Some(id) if !self.employees.contains(id.as_str()) => Err(SaftError::UnknownReference {
                at: at.to_string(),
                what: "employee",
                id: id.clone(),
                list: "employees",
            }),
            _ => Ok(()),
        }
    }

    fn basic(&self, at: &str, id: &str) -> Result<(), SaftError> {
        if self.basics.contains(id) {
            Ok(())
        } else {
            Err(SaftError::UnknownReference {
                at: at.to_string(),
                what: "code",
                id: id.to_string(),
                list: "basics (use standard_basics())",
            })
        }
    }

    fn vat_code(&self, at: &str, code: &str) -> Result<(), SaftError> {
        if self.vat_codes.contains(code) {
            Ok(())
        } else {
            Err(SaftError::UnknownReference {
                at: at.to_string(),
                what: "VAT code",
                id: code.to_string(),
                list: "vat_codes",
            })
        }
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
            if !event_ids.insert(e.id) {
                return Err(SaftError::Duplicate {
                    what: "eventID",
                    id: format!("{} on register {}", e.id, reg.id),
                });
            }
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
                    if !report_ids.insert(r.id.as_str()) {
                        return Err(SaftError::Duplicate {
                            what: "reportID",
                            id: r.id.clone(),
                        });
                    }
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
            if !trans_ids.insert(t.trans_id.as_str()) {
                return Err(SaftError::Duplicate {
                    what: "transID",
                    id: format!("{} on register {}", t.trans_id, reg.id),
                });
            }
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
        if let Some(p) = t.period_number
            && !self.periods.contains(&p)
        {
            return Err(SaftError::UnknownReference {
                at: at.to_string(),
                what: "period",
                id: p.to_string(),
                list: "periods",
            });
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
            if let Some(a) = &l.article
                && !self.articles.contains(a.as_str())
            {
                return Err(SaftError::UnknownReference {
                    at,
                    what: "article",
                    id: a.clone(),
                    list: "articles",
                });
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
        self.vat_rate(at, v.rate)?;
        amount(at, "vatAmnt", v.amount)?;
        amount(at, "vatBasAmnt", v.base)
    }

    fn vat_rate(&self, at: &str, rate: Decimal) -> Result<(), SaftError> {
        if rate.is_sign_negative() && !rate.is_zero() {
            return Err(SaftError::BadCode {
                at: at.to_string(),
                field: "vatPerc",
                value: rate.to_string(),
                expected: "a rate of 0 or more",
            });
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

fn unique_numbers(ids: impl IntoIterator<Item = u16>) -> Result<BTreeSet<u16>, SaftError> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(SaftError::Duplicate {
                what: "periodNumber",
                id: id.to_string(),
            });
        }
    }
    Ok(seen)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

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
fn quantity_text(value: Decimal) -> String {
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
    if !c.vat_codes.is_empty() {
        x.open("vatCodeDetails");
        for v in &c.vat_codes {
            x.open("vatCodeDetail");
            x.leaf("vatCode", &v.code);
            x.date("dateOfEntry", v.date_of_entry);
            x.opt("vatDesc", v.description.as_ref());
            x.leaf("standardVatCode", &v.standard_code);
            x.close("vatCodeDetail");
        }
        x.close("vatCodeDetails");
    }
    if !c.periods.is_empty() {
        x.open("periods");
        for p in &c.periods {
            x.open("period");
            x.num("periodNumber", p.number);
            x.opt("periodDesc", p.description.as_ref());
            x.date("startDatePeriod", p.start.date());
            x.time("startTimePeriod", p.start.time());
            x.date("endDatePeriod", p.end.date());
            x.time("endTimePeriod", p.end.time());
            x.close("period");
        }
        x.close("periods");
    }
    if !c.employees.is_empty() {
        x.open("employees");
        for e in &c.employees {
            x.open("employee");
            x.leaf("empID", &e.id);
            x.date("dateOfEntry", e.entered.date());
            x.time("timeOfEntry", e.entered.time());
            x.opt("firstName", e.first_name.as_ref());
            x.leaf("surName", &e.surname);
            for r in &e.roles {
                x.open("employeeRole");
                x.leaf("roleType", &r.role);
                x.opt("roleTypeDesc", r.description.as_ref());
                x.close("employeeRole");
            }
            x.close("employee");
        }
        x.close("employees");
    }
    if !c.articles.is_empty() {
        x.open("articles");
        for a in &c.articles {
            x.open("article");
            x.leaf("artID", &a.id);
            x.date("dateOfEntry", a.date_of_entry);
            x.leaf("artGroupID", a.group.code());
            x.leaf("artDesc", &a.description);
            x.close("article");
        }
        x.close("articles");
    }
    if !c.basics.is_empty() {
        x.open("basics");
        for b in &c.basics {
            x.open("basic");
            x.leaf("basicType", b.basic_type.code());
            x.leaf("basicID", &b.id);
            x.opt("predefinedBasicID", b.predefined.as_ref());
            x.leaf("basicDesc", &b.description);
            x.close("basic");
        }
        x.close("basics");
    }
    for loc in &c.locations {
        x.open("location");
        x.opt("name", loc.name.as_ref());
        if let Some(a) = &loc.street_address {
            address(x, "streetAddress", a);
        }
        for reg in &loc.registers {
            register(x, c, reg);
        }
        x.close("location");
    }
    x.close("company");
}

fn register(x: &mut Xml, c: &Company, reg: &CashRegister) {
    x.open("cashregister");
    x.leaf("registerID", &reg.id);
    x.opt("regDesc", reg.description.as_ref());
    for e in &reg.events {
        x.open("event");
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
        x.close("event");
    }
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

    x.open("reportArtGroups");
    let none_group = [GroupSales {
        group: ArticleGroup::Other,
        quantity: Decimal::ZERO,
        amount: Decimal::ZERO,
    }];
    let groups = if r.sales_per_group.is_empty() {
        &none_group[..]
    } else {
        &r.sales_per_group[..]
    };
    for g in groups {
        x.open("reportArtGroup");
        x.leaf("artGroupID", g.group.code());
        x.quantity("artGroupNum", g.quantity);
        x.amount("artGroupAmnt", g.amount);
        x.close("reportArtGroup");
    }
    x.close("reportArtGroups");

    if !r.sales_per_group_and_employee.is_empty() {
        x.open("reportEmpArtGroups");
        for g in &r.sales_per_group_and_employee {
            x.open("reportEmpArtGroup");
            x.leaf("empID", &g.employee);
            x.leaf("artGroupID", g.group.code());
            x.quantity("artGroupNum", g.quantity);
            x.amount("artGroupAmnt", g.amount);
            x.close("reportEmpArtGroup");
        }
        x.close("reportEmpArtGroups");
    }

    x.open("reportPayments");
    let none_payment = [PaymentTotal {
        code: PaymentCode::Cash,
        count: 0,
        amount: Decimal::ZERO,
    }];
    let payments = if r.payments.is_empty() {
        &none_payment[..]
    } else {
        &r.payments[..]
    };
    for p in payments {
        x.open("reportPayment");
        x.leaf("paymentType", p.code.code());
        x.num("paymentNum", p.count);
        x.amount("paymentAmnt", p.amount);
        x.close("reportPayment");
    }
    x.close("reportPayments");

    if !r.payments_per_employee.is_empty() {
        x.open("reportEmpPayments");
        for p in &r.payments_per_employee {
            x.open("reportEmpPayment");
            x.leaf("empID", &p.employee);
            x.leaf("paymentType", p.code.code());
            x.num("paymentNum", p.count);
            x.amount("paymentAmnt", p.amount);
            x.close("reportEmpPayment");
        }
        x.close("reportEmpPayments");
    }

    if let Some(t) = &r.tips {
        x.open("reportTip");
        x.num("tipNum", t.count);
        x.amount("tipAmnt", t.amount);
        x.close("reportTip");
    }

    x.open("reportCashSalesVat");
    let none_vat = [VatTotal {
        code: None,
        rate: Decimal::ZERO,
        base: Decimal::ZERO,
        vat: Decimal::ZERO,
    }];
    let vats = if r.vat.is_empty() {
        &none_vat[..]
    } else {
        &r.vat[..]
    };
    for v in vats {
        x.open("reportCashSaleVat");
        x.opt("vatCode", v.code.as_ref());
        x.leaf("vatPerc", &rate_text(v.rate));
        x.amount("cashSaleAmnt", v.base);
        x.amount("vatAmnt", v.vat);
        x.leaf("vatAmntTp", debit_credit(v.vat));
        x.close("reportCashSaleVat");
    }
    x.close("reportCashSalesVat");

    x.amount("reportOpeningChangeFloat", r.opening_float);
    if !r.opening_float_per_employee.is_empty() {
        x.open("reportEmpOpeningChangeFloats");
        for f in &r.opening_float_per_employee {
            x.open("reportEmpOpeningChangeFloat");
            x.leaf("empID", &f.employee);
            x.amount("openingChangeFloatAmnt", f.amount);
            x.close("reportEmpOpeningChangeFloat");
        }
        x.close("reportEmpOpeningChangeFloats");
    }

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

    corrections(
        x,
        ("reportCorrLines", "reportCorrLine"),
        ("corrLineType", "corrLineNum", "corrLineAmnt"),
        &r.line_corrections,
        true,
    );

    x.open("reportPriceInquiries");
    if r.price_look_ups.is_empty() {
        x.open("reportPriceInquiry");
        x.leaf("priceInquiryGroup", "None");
        x.num("priceInquiryNum", 0);
        x.amount("priceInquiryAmnt", Decimal::ZERO);
        x.close("reportPriceInquiry");
    }
    for p in &r.price_look_ups {
        x.open("reportPriceInquiry");
        x.leaf("priceInquiryGroup", p.group.code());
        x.num("priceInquiryNum", p.count);
        x.amount("priceInquiryAmnt", p.amount);
        x.close("reportPriceInquiry");
    }
    x.close("reportPriceInquiries");

    corrections(
        x,
        ("reportOtherCorrs", "reportOtherCorr"),
        ("otherCorrType", "otherCorrNum", "otherCorrAmnt"),
        &r.other_corrections,
        true,
    );

    x.num("reportReceiptDeliveryNum", r.delivery.count);
    x.amount("reportReceiptDeliveryAmnt", r.delivery.amount);
    x.num("reportTrainingNum", r.training.count);
    x.amount("reportTrainingAmnt", r.training.amount);

    if let Some(t) = &r.credit_sales {
        x.open("reportCreditSales");
        x.num("creditSalesNum", t.count);
        x.amount("creditSalesAmnt", t.amount);
        x.close("reportCreditSales");
    }
    if let Some(t) = &r.credit_memos {
        x.open("reportCreditMemos");
        x.num("creditMemosNum", t.count);
        x.amount("creditMemosAmnt", t.amount);
        x.close("reportCreditMemos");
    }
    corrections(
        x,
        ("reportPayIns", "reportPayIn"),
        ("payInType", "payInNum", "payInAmnt"),
        &r.pay_ins,
        false,
    );
    corrections(
        x,
        ("reportPayOuts", "reportPayOut"),
        ("payOutType", "payOutNum", "payOutAmnt"),
        &r.pay_outs,
        false,
    );

    x.amount("reportGrandTotalSales", r.grand_totals.sales);
    x.amount("reportGrandTotalReturn", r.grand_totals.returns);
    x.amount("reportGrandTotalSalesNet", r.grand_totals.net);
    x.close("eventReport");
}

/// A list of kind/count/amount rows. `required` lists get one `None` row when
/// empty (the schema wants at least one); optional ones are left out.
fn corrections(
    x: &mut Xml,
    (list, row): (&str, &str),
    (kind, num, amnt): (&str, &str, &str),
    rows: &[Correction],
    required: bool,
) {
    if rows.is_empty() && !required {
        return;
    }
    x.open(list);
    if rows.is_empty() {
        x.open(row);
        x.leaf(kind, "None");
        x.num(num, 0);
        x.amount(amnt, Decimal::ZERO);
        x.close(row);
    }
    for c in rows {
        x.open(row);
        x.leaf(kind, &c.kind);
        x.num(num, c.count);
        x.amount(amnt, c.amount);
        x.close(row);
    }
    x.close(list);
}

fn vat(x: &mut Xml, v: &VatLine) {
    x.open("vat");
    x.leaf("vatCode", &v.code);
    x.leaf("vatPerc", &rate_text(v.rate));
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
    for l in &t.lines {
        x.open("ctLine");
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
        for d in &l.discounts {
            x.open("discount");
            x.leaf("dscTp", &d.kind);
            x.amount("dscAmnt", d.amount);
            x.opt("empID", d.employee.as_ref());
            x.close("discount");
        }
        x.close("ctLine");
    }
    for v in &t.vat {
        vat(x, v);
    }
    x.open("rounding");
    x.amount("roundingAmnt", t.rounding);
    x.close("rounding");
    for p in &t.payments {
        x.open("payment");
        x.leaf("paymentType", p.code.code());
        x.amount("paidAmnt", p.amount);
        x.opt("empID", p.employee.as_ref());
        x.opt("paymentRefID", p.reference.as_ref());
        x.close("payment");
    }
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

// ---------------------------------------------------------------------------
// X and Z reports from transactions and journal
// ---------------------------------------------------------------------------

/// What an X or Z report is made from: the till's transactions and journal
/// entries since its last Z report, and the few figures only the journal's
/// details or the previous Z report know.
#[derive(Clone, Debug)]
pub struct TallyInput<'a> {
    pub id: String,
    pub kind: ReportKind,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub transactions: &'a [CashTransaction],
    pub events: &'a [Event],
    pub opening_float: Decimal,
    /// Grand totals as the last Z report left them (zero on a new till).
    pub grand_totals_before: GrandTotals,
    /// Sales voided before completion (journal 13028) and their amount.
    pub voided: Tally,
    pub price_look_ups: Vec<PriceLookUps>,
    pub line_corrections: Vec<Correction>,
    pub other_corrections: Vec<Correction>,
}

/// Counts an X or Z report.
///
/// Training and void transactions count only as such; a return is a
/// transaction with a negative total. `cash_sales_total` is sales less
/// returns incl. VAT (what the official example shows); per-group and
/// per-payment rows are net of returns; VAT rows give the amount excl. VAT
/// per rate; return, copy, provisional and delivery amounts are positive.
/// Copies (13014), provisional (13015) and delivery (13016) receipts are
/// counted from the journal and valued by the transaction they name; drawer
/// openings without sale are 13005 entries that name no transaction.
pub fn tally(input: &TallyInput) -> Report {
    use std::collections::BTreeMap;

    let counted = |t: &&CashTransaction| !t.training && !t.void;
    let is_return = |t: &CashTransaction| t.amount_in.is_sign_negative() && !t.amount_in.is_zero();

    let mut groups: BTreeMap<ArticleGroup, (Decimal, Decimal)> = BTreeMap::new();
    let mut emp_groups: BTreeMap<(String, ArticleGroup), (Decimal, Decimal)> = BTreeMap::new();
    let mut payments: BTreeMap<PaymentCode, (u64, Decimal)> = BTreeMap::new();
    let mut emp_payments: BTreeMap<(String, PaymentCode), (u64, Decimal)> = BTreeMap::new();
    let mut vat: BTreeMap<(String, Decimal), (Decimal, Decimal)> = BTreeMap::new();
    let (mut sales, mut returns, mut discounts, mut training) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );

    for t in input.transactions.iter().filter(|t| t.training) {
        training.count += 1;
        training.amount += t.amount_in;
    }
    for t in input.transactions.iter().filter(counted) {
        if is_return(t) {
            returns.count += 1;
            returns.amount -= t.amount_in;
        } else {
            sales.count += 1;
            sales.amount += t.amount_in;
        }
        for l in &t.lines {
            let g = groups.entry(l.group).or_default();
            g.0 += l.quantity;
            g.1 += l.amount_in;
            if let Some(emp) = l.employee.as_ref().or(t.employee.as_ref()) {
                let g = emp_groups.entry((emp.clone(), l.group)).or_default();
                g.0 += l.quantity;
                g.1 += l.amount_in;
            }
            for d in &l.discounts {
                discounts.count += 1;
                discounts.amount += d.amount;
            }
        }
        for p in &t.payments {
            let e = payments.entry(p.code).or_default();
            e.0 += 1;
            e.1 += p.amount;
            if let Some(emp) = p.employee.as_ref().or(t.employee.as_ref()) {
                let e = emp_payments.entry((emp.clone(), p.code)).or_default();
                e.0 += 1;
                e.1 += p.amount;
            }
        }
        for v in &t.vat {
            let e = vat.entry((v.code.clone(), v.rate.normalize())).or_default();
            e.0 += v.base;
            e.1 += v.amount;
        }
    }

    let receipt_amount = |trans_id: Option<&String>| -> Decimal {
        trans_id
            .and_then(|id| input.transactions.iter().find(|t| &t.trans_id == id))
            .map_or(Decimal::ZERO, |t| t.amount_in.abs())
    };
    let journal = |code: EventCode| -> Tally {
        input
            .events
            .iter()
            .filter(|e| e.code == code)
            .fold(Tally::default(), |acc, e| Tally {
                count: acc.count + 1,
                amount: acc.amount + receipt_amount(e.trans_id.as_ref()),
            })
    };
    let drawer_openings_without_sale = input
        .events
        .iter()
        .filter(|e| e.code == EventCode::DrawerOpened && e.trans_id.is_none())
        .count() as u64;

    let before = input.grand_totals_before;
    let grand_sales = before.sales + sales.amount;
    let grand_returns = before.returns + returns.amount;

    Report {
        id: input.id.clone(),
        kind: input.kind,
        date: input.date,
        time: input.time,
        cash_sales_total: sales.amount - returns.amount,
        sales_per_group: groups
            .into_iter()
            .map(|(group, (quantity, amount))| GroupSales {
                group,
                quantity,
                amount,
            })
            .collect(),
        sales_per_group_and_employee: emp_groups
            .into_iter()
            .map(
                |((employee, group), (quantity, amount))| EmployeeGroupSales {
                    employee,
                    group,
                    quantity,
                    amount,
                },
            )
            .collect(),
        payments: payments
            .into_iter()
            .map(|(code, (count, amount))| PaymentTotal {
                code,
                count,
                amount,
            })
            .collect(),
        payments_per_employee: emp_payments
            .into_iter()
            .map(|((employee, code), (count, amount))| EmployeePaymentTotal {
                employee,
                code,
                count,
                amount,
            })
            .collect(),
        tips: None,
        vat: vat
            .into_iter()
            .map(|((code, rate), (base, vat))| VatTotal {
                code: Some(code),
                rate,
                base,
                vat,
            })
            .collect(),
        opening_float: input.opening_float,
        opening_float_per_employee: Vec::new(),
        receipts: sales.count,
        drawer_openings_without_sale,
        copies: journal(EventCode::CopyReceipt),
        provisional: journal(EventCode::ProvisionalReceipt),
        returns,
        discounts,
        voided: input.voided,
        line_corrections: input.line_corrections.clone(),
        price_look_ups: input.price_look_ups.clone(),
        other_corrections: input.other_corrections.clone(),
        delivery: journal(EventCode::DeliveryReceipt),
        training,
        credit_sales: None,
        credit_memos: None,
        pay_ins: Vec::new(),
        pay_outs: Vec::new(),
        grand_totals: GrandTotals {
            sales: grand_sales,
            returns: grand_returns,
            net: grand_sales - grand_returns,
        },
    }
}

/// A canteen's day on two tills, signed, for the tests of this module and of
/// `verify`.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;
    use crate::compliance::sign::{FIRST_PREV_SIGNATURE, Signer};

    pub(crate) const KEY_VERSION: &str = "kasse-2025-1";
    pub(crate) const REGISTER: &str = "Kantina Blindern kasse 1";
    pub(crate) const QUIET_REGISTER: &str = "Kantina Blindern kasse 2";

    pub(crate) fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    pub(crate) fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    pub(crate) fn time(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap()
    }
    fn day() -> NaiveDate {
        date("2025-03-10")
    }

    /// VAT included in a gross amount, rounded half away from zero.
    fn vat_of(gross: Decimal, percent: u8) -> Decimal {
        let r = Decimal::from(percent);
        (gross * r / (Decimal::ONE_HUNDRED + r))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    }

    fn vat_line(gross: Decimal, percent: u8) -> VatLine {
        let amount = vat_of(gross, percent);
        VatLine {
            code: standard_vat_code(percent).unwrap().to_string(),
            rate: Decimal::from(percent),
            amount,
            base: gross - amount,
        }
    }

    struct L {
        art: &'static str,
        group: ArticleGroup,
        qty: &'static str,
        ppu: &'static str,
        amount: &'static str,
        vat: u8,
        discount: Option<(&'static str, &'static str)>,
    }

    fn l(
        art: &'static str,
        group: ArticleGroup,
        qty: &'static str,
        ppu: &'static str,
        amount: &'static str,
        vat: u8,
    ) -> L {
        L {
            art,
            group,
            qty,
            ppu,
            amount,
            vat,
            discount: None,
        }
    }

    struct T {
        trans_id: &'static str,
        emp: &'static str,
        at: &'static str,
        lines: Vec<L>,
        pay: Vec<(PaymentCode, &'static str, Option<&'static str>)>,
        rounding: &'static str,
        training: bool,
        reference: Option<&'static str>,
        copies: u16,
    }

    fn t(
        trans_id: &'static str,
        emp: &'static str,
        at: &'static str,
        lines: Vec<L>,
        pay: Vec<(PaymentCode, &'static str, Option<&'static str>)>,
    ) -> T {
        T {
            trans_id,
            emp,
            at,
            lines,
            pay,
            rounding: "0",
            training: false,
            reference: None,
            copies: 0,
        }
    }

    /// Builds the transaction; VAT per rate is computed on the summed gross
    /// per rate, as the till's receipt does.
    fn build(nr: u64, spec: T) -> CashTransaction {
        let at = time(spec.at);
        let mut per_rate: std::collections::BTreeMap<u8, Decimal> = Default::default();
        let lines: Vec<CtLine> = spec
            .lines
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let gross = dec(x.amount);
                *per_rate.entry(x.vat).or_default() += gross;
                let v = vat_line(gross, x.vat);
                let qty = dec(x.qty);
                CtLine {
                    line_id: i as u32 + 1,
                    line_type: if qty.is_sign_negative() {
                        LineType::Return
                    } else {
                        LineType::Sale
                    },
                    group: x.group,
                    article: Some(x.art.to_string()),
                    quantity: qty,
                    amount_in: gross,
                    amount_ex: v.base,
                    unit_price: Some(dec(x.ppu)),
                    employee: Some(spec.emp.to_string()),
                    description: Some(article_name(x.art).to_string()),
                    at: Some(day().and_time(at)),
                    vat: Some(v),
                    discounts: x
                        .discount
                        .iter()
                        .map(|(kind, amount)| Discount {
                            kind: kind.to_string(),
                            amount: dec(amount),
                            employee: None,
                        })
                        .collect(),
                }
            })
            .collect();
        let vat: Vec<VatLine> = per_rate
            .iter()
            .rev()
            .map(|(&r, &g)| vat_line(g, r))
            .collect();
        let amount_in: Decimal = lines.iter().map(|l| l.amount_in).sum();
        let amount_ex: Decimal = vat.iter().map(|v| v.base).sum();
        CashTransaction {
            nr,
            trans_id: spec.trans_id.to_string(),
            trans_type: if amount_in.is_sign_negative() {
                TransType::ReturnPayment
            } else {
                TransType::CashSale
            },
            amount_in,
            amount_ex,
            employee: Some(spec.emp.to_string()),
            period_number: Some(3),
            date: day(),
            time: at,
            reference: spec.reference.map(str::to_string),
            description: None,
            lines,
            vat,
            rounding: dec(spec.rounding),
            payments: spec
                .pay
                .iter()
                .map(|(code, amount, reference)| Payment {
                    code: *code,
                    amount: dec(amount),
                    employee: Some(spec.emp.to_string()),
                    reference: reference.map(str::to_string),
                })
                .collect(),
            signature: String::new(),
            key_version: KEY_VERSION.to_string(),
            receipts_issued: 1,
            copies_printed: spec.copies,
            provisional_printed: 0,
            delivery_printed: 0,
            void: false,
            training: spec.training,
        }
    }

    fn article_name(id: &str) -> &'static str {
        match id {
            "MIDDAG" => "Dagens middag",
            "KAFFE" => "Kaffe, stor",
            "BAGUETTE" => "Baguette med kylling (take away)",
            "AVIS" => "Universitas",
            "SALAT" => "Salatbar (per kg, take away)",
            "KINO" => "Filmklubb-billett",
            _ => "?",
        }
    }

    /// Signs the register's transactions in order, as the till does at sale time.
    pub(crate) fn sign_all(reg: &mut CashRegister, signer: &Signer) {
        let mut prev = FIRST_PREV_SIGNATURE.to_string();
        for t in &mut reg.transactions {
            t.signature = signer.sign(&t.signed_text(&prev)).unwrap();
            prev = t.signature.clone();
        }
    }

    fn ev(
        id: u64,
        code: EventCode,
        at: &str,
        emp: Option<&str>,
        trans: Option<&str>,
        text: Option<&str>,
    ) -> Event {
        Event {
            id,
            code,
            trans_id: trans.map(str::to_string),
            employee: emp.map(str::to_string),
            date: day(),
            time: time(at),
            text: text.map(str::to_string),
            report: None,
        }
    }

    /// The day: sales at 25, 15, 12 and 0 %; bonus + card; cash with krone
    /// rounding; Vipps; food by weight; a coupon discount; a voided sale
    /// (13028); a return; a copy receipt; two training receipts; a drawer
    /// opened without a sale; a price look-up; an X report and a Z report.
    /// Till 2 only starts and runs an empty X report.
    pub(crate) fn canteen_day(signer: &Signer) -> AuditFile {
        use ArticleGroup::{Food, OtherDrinks, OtherGoods};
        use PaymentCode::{Cash, DebitCard, Loyalty, MobileApp};
        let emp1 = "1001";
        let emp2 = "1002";

        let mut sales = vec![
            t(
                "S-1",
                emp1,
                "09:05:07",
                vec![
                    l("MIDDAG", Food, "1", "89.00", "89.00", 25),
                    l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25),
                    l("BAGUETTE", Food, "1", "49.90", "49.90", 15),
                ],
                vec![
                    (Loyalty, "20.00", None),
                    (DebitCard, "143.90", Some("BAX 5501-000123")),
                ],
            ),
            T {
                rounding: "-0.30",
                ..t(
                    "S-2",
                    emp1,
                    "09:40:00",
                    vec![
                        L {
                            discount: Some(("coupon", "5.00")),
                            ..l("KAFFE", OtherDrinks, "2", "25.00", "45.00", 25)
                        },
                        l("AVIS", OtherGoods, "1", "32.30", "32.30", 0),
                    ],
                    vec![(Cash, "77.00", None)],
                )
            },
            t(
                "S-3",
                emp2,
                "11:30:12",
                vec![
                    l("SALAT", Food, "0.435", "189.00", "82.22", 15),
                    l("KINO", OtherGoods, "1", "100.00", "100.00", 12),
                ],
                vec![(MobileApp, "182.22", Some("Vipps 3007-XK12"))],
            ),
            T {
                reference: Some("S-1"),
                ..t(
                    "R-1",
                    emp2,
                    "13:15:00",
                    vec![l("BAGUETTE", Food, "-1", "49.90", "-49.90", 15)],
                    vec![(DebitCard, "-49.90", Some("BAX 5501-000124"))],
                )
            },
            T {
                training: true,
                ..t(
                    "T-1",
                    emp1,
                    "14:02:00",
                    vec![l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25)],
                    vec![(Cash, "25.00", None)],
                )
            },
            T {
                training: true,
                rounding: "0.10",
                ..t(
                    "T-2",
                    emp1,
                    "14:05:00",
                    vec![l("BAGUETTE", Food, "1", "49.90", "49.90", 15)],
                    vec![(Cash, "50.00", None)],
                )
            },
            t(
                "S-4",
                emp1,
                "15:30:00",
                vec![l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25)],
                vec![(DebitCard, "25.00", Some("BAX 5501-000125"))],
            ),
        ];
        sales[0].copies = 1;
        let transactions: Vec<CashTransaction> = sales
            .into_iter()
            .enumerate()
            .map(|(i, spec)| build(i as u64 + 1, spec))
            .collect();

        use EventCode::*;
        let mut events = vec![
            ev(1, PosStart, "08:00:00", None, None, None),
            ev(2, EmployeeLogIn, "08:01:10", Some(emp1), None, None),
            ev(3, SalesReceipt, "09:05:07", Some(emp1), Some("S-1"), None),
            ev(4, SalesReceipt, "09:40:00", Some(emp1), Some("S-2"), None),
            ev(5, DrawerOpened, "09:40:00", Some(emp1), Some("S-2"), None),
            ev(
                6,
                PriceLookUp,
                "10:12:40",
                Some(emp1),
                None,
                Some("artID MIDDAG; artGroupID 04006; lineAmntIn 89.00"),
            ),
            ev(
                7,
                DrawerOpened,
                "10:30:00",
                Some(emp1),
                None,
                Some("Veksling"),
            ),
            ev(8, EmployeeLogIn, "11:00:00", Some(emp2), None, None),
            ev(9, SalesReceipt, "11:30:12", Some(emp2), Some("S-3"), None),
            ev(
                10,
                VoidReceipt,
                "12:00:31",
                Some(emp2),
                None,
                Some("Annullert salg: artID MIDDAG; qnt 1; lineAmntIn 89.00"),
            ),
            ev(
                11,
                ReturnReceipt,
                "13:15:00",
                Some(emp2),
                Some("R-1"),
                Some("Retur av S-1 <baguette> & kvittering"),
            ),
            ev(
                12,
                CopyReceipt,
                "13:20:00",
                Some(emp1),
                Some("S-1"),
                Some("KOPI"),
            ),
            ev(13, TrainingModeOn, "14:00:00", Some(emp1), None, None),
            ev(
                14,
                TrainingReceipt,
                "14:02:00",
                Some(emp1),
                Some("T-1"),
                None,
            ),
            ev(
                15,
                TrainingReceipt,
                "14:05:00",
                Some(emp1),
                Some("T-2"),
                None,
            ),
            ev(16, TrainingModeOff, "14:10:00", Some(emp1), None, None),
            ev(17, XReport, "15:00:00", Some(emp1), None, Some("X-rapport")),
            ev(18, SalesReceipt, "15:30:00", Some(emp1), Some("S-4"), None),
            ev(19, EmployeeLogOut, "16:00:00", Some(emp2), None, None),
            ev(20, ZReport, "20:00:00", Some(emp1), None, Some("Z-rapport")),
            ev(21, EmployeeLogOut, "20:01:00", Some(emp1), None, None),
            ev(22, PosShutDown, "20:02:00", None, None, None),
        ];

        let journal_extras = |id: &str, kind: ReportKind, at: &str, upto: usize| TallyInput {
            id: id.to_string(),
            kind,
            date: day(),
            time: time(at),
            transactions: &transactions[..upto],
            events: &events[..],
            opening_float: dec("1500.00"),
            grand_totals_before: GrandTotals {
                sales: dec("104233.50"),
                returns: dec("812.40"),
                net: dec("103421.10"),
            },
            voided: Tally {
                count: 1,
                amount: dec("89.00"),
            },
            price_look_ups: vec![PriceLookUps {
                group: ArticleGroup::Food,
                count: 1,
                amount: dec("89.00"),
            }],
            line_corrections: Vec::new(),
            other_corrections: Vec::new(),
        };
        let x = tally(&TallyInput {
            events: &events[..16],
            ..journal_extras("X-41", ReportKind::X, "15:00:00", 6)
        });
        let z = tally(&journal_extras(
            "Z-17",
            ReportKind::Z,
            "20:00:00",
            transactions.len(),
        ));
        events[16].report = Some(Box::new(x));
        events[19].report = Some(Box::new(z));

        let mut till = CashRegister {
            id: REGISTER.to_string(),
            description: Some("Kassa ved inngangen".to_string()),
            events,
            transactions,
        };
        sign_all(&mut till, signer);

        let quiet_x = tally(&TallyInput {
            id: "X-2-1".to_string(),
            kind: ReportKind::X,
            date: day(),
            time: time("12:00:00"),
            transactions: &[],
            events: &[],
            opening_float: Decimal::ZERO,
            grand_totals_before: GrandTotals::default(),
            voided: Tally::default(),
            price_look_ups: Vec::new(),
            line_corrections: Vec::new(),
            other_corrections: Vec::new(),
        });
        let quiet = CashRegister {
            id: QUIET_REGISTER.to_string(),
            description: None,
            events: vec![
                ev(1, PosStart, "11:59:00", None, None, None),
                Event {
                    report: Some(Box::new(quiet_x)),
                    ..ev(2, XReport, "12:00:00", Some(emp2), None, None)
                },
            ],
            transactions: Vec::new(),
        };

        let entered = date("2024-08-01");
        AuditFile {
            header: Header {
                fiscal_year: 2025,
                start_date: day(),
                end_date: day(),
                currency: "NOK".to_string(),
                created: date("2025-03-11").and_time(time("07:30:00")),
                software: Software {
                    name: "kasse".to_string(),
                    version: "0.1.0".to_string(),
                    company_name: "Kantinedrift & Co AS".to_string(),
                },
                comment: Some("Utval: 2025-03-10, alle kasser".to_string()),
                user_id: Some(emp1.to_string()),
            },
            company: Company {
                org_number: "999999999".to_string(),
                name: "Studentkantina Mat & Drikke <Blindern> AS".to_string(),
                vat_registered: true,
                street_address: Some(Address {
                    street: Some("Problemveien".to_string()),
                    number: Some("7".to_string()),
                    additional: None,
                    city: "Oslo".to_string(),
                    postal_code: "0313".to_string(),
                    region: None,
                    country: "NO".to_string(),
                }),
                postal_address: Some(Address {
                    street: None,
                    number: None,
                    additional: Some("Postboks 1072 Blindern".to_string()),
                    city: "Oslo".to_string(),
                    postal_code: "0316".to_string(),
                    region: None,
                    country: "NO".to_string(),
                }),
                vat_codes: [25, 15, 12, 0]
                    .iter()
                    .map(|&r| VatCode::for_rate(r, entered).unwrap())
                    .collect(),
                periods: vec![Period {
                    number: 3,
                    description: Some("Mars 2025".to_string()),
                    start: date("2025-03-01").and_time(time("00:00:00")),
                    end: date("2025-03-31").and_time(time("23:59:59")),
                }],
                employees: vec![
                    Employee {
                        id: emp1.to_string(),
                        entered: entered.and_time(time("08:00:00")),
                        first_name: Some("Kari".to_string()),
                        surname: "Nordmann".to_string(),
                        roles: vec![EmployeeRole {
                            role: "Leiar".to_string(),
                            description: Some("Kantineleiar".to_string()),
                        }],
                    },
                    Employee {
                        id: emp2.to_string(),
                        entered: entered.and_time(time("08:00:00")),
                        first_name: Some("Ola".to_string()),
                        surname: "Nordmann".to_string(),
                        roles: Vec::new(),
                    },
                ],
                articles: [
                    ("MIDDAG", Food),
                    ("KAFFE", OtherDrinks),
                    ("BAGUETTE", Food),
                    ("AVIS", OtherGoods),
                    ("SALAT", Food),
                    ("KINO", OtherGoods),
                ]
                .iter()
                .map(|&(id, group)| Article {
                    id: id.to_string(),
                    date_of_entry: entered,
                    group,
                    description: article_name(id).to_string(),
                })
                .collect(),
                basics: standard_basics(),
                locations: vec![Location {
                    name: Some("Kantina, Frederikkebygningen".to_string()),
                    street_address: None,
                    registers: vec![till, quiet],
                }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;
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
    fn transactions_hold_the_day() {
        let model = canteen_day(test_signer());
        let till = &model.company.locations[0].registers[0];
        let t: Vec<_> = till
            .transactions
            .iter()
            .map(|t| (t.nr, amount_text(t.amount_in), amount_text(t.amount_ex)))
            .collect();
        assert_eq!(
            t,
            [
                (1, "163.90".into(), "134.59".into()),
                (2, "77.30".into(), "68.30".into()),
                (3, "182.22".into(), "160.79".into()),
                (4, "-49.90".into(), "-43.39".into()),
                (5, "25.00".into(), "20.00".into()),
                (6, "49.90".into(), "43.39".into()),
                (7, "25.00".into(), "20.00".into()),
            ]
        );
    }

    #[test]
    fn reports_count_the_day() {
        let model = canteen_day(test_signer());
        let till = &model.company.locations[0].registers[0];
        let report = |code| {
            till.events
                .iter()
                .find(|e| e.code == code)
                .and_then(|e| e.report.as_deref())
                .unwrap()
        };
        let x = report(EventCode::XReport);
        let z = report(EventCode::ZReport);

        // Sales 163.90 + 77.30 + 182.22, less the 49.90 return; training left out.
        assert_eq!(amount_text(x.cash_sales_total), "373.52");
        assert_eq!(x.receipts, 3);
        assert_eq!(
            x.returns,
            Tally {
                count: 1,
                amount: dec("49.90")
            }
        );
        assert_eq!(
            x.training,
            Tally {
                count: 2,
                amount: dec("74.90")
            }
        );
        assert_eq!(
            x.copies,
            Tally {
                count: 1,
                amount: dec("163.90")
            }
        );
        assert_eq!(
            x.discounts,
            Tally {
                count: 1,
                amount: dec("5.00")
            }
        );
        assert_eq!(x.voided.count, 1);
        assert_eq!(x.drawer_openings_without_sale, 1);
        let groups: Vec<_> = x
            .sales_per_group
            .iter()
            .map(|g| {
                (
                    g.group.code(),
                    quantity_text(g.quantity),
                    amount_text(g.amount),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("04006", "1.435".into(), "171.22".into()),
                ("04012", "3".into(), "70.00".into()),
                ("04014", "2".into(), "132.30".into()),
            ]
        );
        let pays: Vec<_> = x
            .payments
            .iter()
            .map(|p| (p.code.code(), p.count, amount_text(p.amount)))
            .collect();
        assert_eq!(
            pays,
            [
                ("12001", 1, "77.00".into()),
                ("12002", 2, "94.00".into()),
                ("12007", 1, "20.00".into()),
                ("12011", 1, "182.22".into()),
            ]
        );
        // Payments are the sales total plus cash rounding.
        let paid: Decimal = x.payments.iter().map(|p| p.amount).sum();
        assert_eq!(amount_text(paid), "373.22");
        let vat: Vec<_> = x
            .vat
            .iter()
            .map(|v| {
                (
                    v.code.clone().unwrap(),
                    amount_text(v.base),
                    amount_text(v.vat),
                )
            })
            .collect();
        assert_eq!(
            vat,
            [
                ("3".into(), "127.20".into(), "31.80".into()),
                ("31".into(), "71.50".into(), "10.72".into()),
                ("33".into(), "89.29".into(), "10.71".into()),
                ("5".into(), "32.30".into(), "0.00".into()),
            ]
        );
        assert_eq!(
            amount_text(x.grand_totals.net),
            amount_text(dec("103421.10") + dec("373.52"))
        );

        // Z adds the 25.00 sale after the X report.
        assert_eq!(amount_text(z.cash_sales_total), "398.52");
        assert_eq!(z.receipts, 4);
        assert_eq!(amount_text(z.grand_totals.sales), "104681.92");
        assert_eq!(amount_text(z.grand_totals.returns), "862.30");
        assert_eq!(amount_text(z.grand_totals.net), "103819.62");
    }

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

    #[test]
    fn write_to_writes_the_same_bytes() {
        let m = model();
        let mut out = Vec::new();
        write_to(&m, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), write(&m).unwrap());
    }

    #[test]
    fn code_lists_round_trip() {
        for &c in EventCode::ALL {
            assert_eq!(EventCode::from_code(c.code()), Some(c));
        }
        assert_eq!(EventCode::ALL.len(), 31);
        assert_eq!(PaymentCode::Loyalty.code(), "12007");
        assert_eq!(PaymentCode::MobileApp.code(), "12011");
        assert_eq!(ArticleGroup::Food.code(), "04006");
        assert_eq!(ArticleGroup::OtherDrinks.code(), "04012");
        assert_eq!(ArticleGroup::from_code("04999"), Some(ArticleGroup::Other));
        let basics = standard_basics();
        let ids: BTreeSet<_> = basics.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids.len(), basics.len(), "basicIDs must be unique");
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
