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
//!
//! The module by role: `codes` (the code lists), `model` (what an export
//! holds), `checks` ([`check`] and [`SaftError`]), `xml` ([`write()`]),
//! `tally` (X and Z reports from transactions and journal) and, in tests,
//! `fixture` (a signed canteen day). Everything public is re-exported here:
//! callers name `saft::X`, never a submodule.

mod checks;
mod codes;
#[cfg(test)]
pub(crate) mod fixture;
mod model;
mod tally;
mod xml;

pub use checks::{SaftError, check};
pub use codes::{
    ArticleGroup, BasicType, EventCode, LINE_RETURN, LINE_SALE, LineType, PaymentCode, TransType,
    standard_vat_code,
};
pub use model::{
    Address, Article, AuditFile, Basic, CashRegister, CashTransaction, Company, Correction, CtLine,
    Discount, Employee, EmployeeFloat, EmployeeGroupSales, EmployeePaymentTotal, EmployeeRole,
    Event, GrandTotals, GroupSales, Header, Location, Payment, PaymentTotal, Period, PriceLookUps,
    Report, ReportKind, Software, Tally, VatCode, VatLine, VatTotal, standard_basics,
};
pub use tally::{TallyInput, tally};
pub use xml::{AUDITFILE_VERSION, NAMESPACE, WriteError, write, write_to};
