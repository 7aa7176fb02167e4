//! Norwegian cash-register compliance: signature chain, SAF-T export, verification.

pub mod drawer;
pub mod export;
pub mod org;
pub mod report_text;
pub mod saft;
pub mod sign;
pub mod verify;
