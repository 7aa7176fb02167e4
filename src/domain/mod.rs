//! The pure core of the till: checkout rules with no I/O and no clock.
//!
//! Everything here takes time and facts as arguments and returns decisions,
//! so the kiosk, replay and the benchmarks exercise exactly the same rules.

pub mod appcode;
pub mod barcode;
pub mod cash;
pub mod catalog;
pub mod company;
pub mod lang;
pub mod mode;
pub mod money;
pub mod print;
pub mod reason;
pub mod receipt;
pub mod receipt_link;
pub mod sale;
pub mod scale;
pub mod signature;
pub mod words;

pub use appcode::{AppCode, CodeError};
pub use catalog::{
    Campaign, Catalog, CoffeeCard, Coupon, Member, Pricing, Product, Settings, VatRate,
};
pub use company::Company;
pub use lang::Lang;
pub use mode::Mode;
pub use money::Money;
pub use reason::Reason;
pub use receipt::{Receipt, ReceiptLine, TenderKind, TenderRow, VatRow};
pub use sale::{Discount, DiscountKind, EarningLine, Line, Sale, bonus_earned};
