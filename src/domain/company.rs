//! Who runs the till: the seller named on every receipt and in the SAF-T
//! export.

/// Who the receipts are from (kassasystemforskrifta: name and org. number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    pub org_no: String,
}
