//! The SAF-T code lists the till writes: basic types, event, payment,
//! article group and transaction codes, ticket line types and the standard
//! VAT codes.
//!
//! Invariant: each enum variant maps to exactly one predefined code and back
//! (`from_code(v.code()) == Some(v)`), and every code is also the `basicID`
//! written for it, except the two line types, which have no predefined code.

use crate::domain::VatRate;

/// The `basicID` of a sale line (basic type 05, no predefined code).
pub const LINE_SALE: &str = "SAL";
/// The `basicID` of a return line.
pub const LINE_RETURN: &str = "RET";

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
            pub const fn code(self) -> &'static str {
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

/// The SAF-T standard VAT code (Standard_Tax_Codes) of a Norwegian output
/// VAT class: 25 % → `3`, 15 % → `31`, 12 % → `33`, 0 % → `5` (domestic sale
/// exempt from VAT, zero rate: "fritatt"), exempt → `6` (turnover outside
/// the scope of the VAT act: "unntatt", e.g. a student canteen's meals).
pub fn standard_vat_code(class: VatRate) -> &'static str {
    match class.percent() {
        Some(25) => "3",
        Some(15) => "31",
        Some(12) => "33",
        Some(_) => "5",
        None => "6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::saft::standard_basics;
    use std::collections::BTreeSet;

    #[test]
    fn code_lists_round_trip() {
        for &c in EventCode::ALL {
            assert_eq!(EventCode::from_code(c.code()), Some(c));
        }
        assert_eq!(EventCode::ALL.len(), 31);
        let vat: Vec<_> = VatRate::ALL.iter().map(|&c| standard_vat_code(c)).collect();
        assert_eq!(vat, ["3", "31", "33", "5", "6"]);
        assert_eq!(PaymentCode::Loyalty.code(), "12007");
        assert_eq!(PaymentCode::MobileApp.code(), "12011");
        assert_eq!(ArticleGroup::Food.code(), "04006");
        assert_eq!(ArticleGroup::OtherDrinks.code(), "04012");
        assert_eq!(ArticleGroup::from_code("04999"), Some(ArticleGroup::Other));
        let basics = standard_basics();
        let ids: BTreeSet<_> = basics.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids.len(), basics.len(), "basicIDs must be unique");
    }
}
