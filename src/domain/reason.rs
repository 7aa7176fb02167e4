//! Why the till refused something: the reason codes of spec/replay.md.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    Malformed,
    BadSignature,
    Expired,
    WrongMember,
    NotStudent,
    CouponUsed,
    CardEmpty,
    CardUnknown,
    UnknownCode,
    UnknownSku,
    UnstableWeight,
    BelowMinWeight,
    BonusNotAvailable,
    NoOpenSale,
    NotAllowedInMode,
    UnreadableImage,
    OfflineTooLong,
    /// A void of a line number the cart does not have (not in the spec's list).
    NoSuchLine,
    /// The sale is frozen while a payment runs (spec/payments.md).
    PaymentInProgress,
}

impl Reason {
    pub const ALL: [Reason; 19] = [
        Reason::Malformed,
        Reason::BadSignature,
        Reason::Expired,
        Reason::WrongMember,
        Reason::NotStudent,
        Reason::CouponUsed,
        Reason::CardEmpty,
        Reason::CardUnknown,
        Reason::UnknownCode,
        Reason::UnknownSku,
        Reason::UnstableWeight,
        Reason::BelowMinWeight,
        Reason::BonusNotAvailable,
        Reason::NoOpenSale,
        Reason::NotAllowedInMode,
        Reason::UnreadableImage,
        Reason::OfflineTooLong,
        Reason::NoSuchLine,
        Reason::PaymentInProgress,
    ];

    /// The code as written in the replay JSON.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::WrongMember => "wrong_member",
            Reason::NotStudent => "not_student",
            Reason::CouponUsed => "coupon_used",
            Reason::CardEmpty => "card_empty",
            Reason::CardUnknown => "card_unknown",
            Reason::UnknownCode => "unknown_code",
            Reason::UnknownSku => "unknown_sku",
            Reason::UnstableWeight => "unstable_weight",
            Reason::BelowMinWeight => "below_min_weight",
            Reason::BonusNotAvailable => "bonus_not_available",
            Reason::NoOpenSale => "no_open_sale",
            Reason::NotAllowedInMode => "not_allowed_in_mode",
            Reason::UnreadableImage => "unreadable_image",
            Reason::OfflineTooLong => "offline_too_long",
            Reason::NoSuchLine => "no_such_line",
            Reason::PaymentInProgress => "payment_in_progress",
        }
    }

    /// What the screen tells the customer or cashier.
    pub fn message(self) -> &'static str {
        match self {
            Reason::Malformed => "This code is damaged or not from the student app.",
            Reason::BadSignature => "This code is not genuine.",
            Reason::Expired => "This code has expired. Refresh it in the app.",
            Reason::WrongMember => "This code belongs to another member than the one on this sale.",
            Reason::NotStudent => "Coupons, coffee cards and bonus are for students only.",
            Reason::CouponUsed => "This coupon has already been used.",
            Reason::CardEmpty => "This coffee card has no clips left.",
            Reason::CardUnknown => "This coffee card is not known to the till yet.",
            Reason::UnknownCode => "Unknown barcode.",
            Reason::UnknownSku => "This product is not sold here.",
            Reason::UnstableWeight => "Wait until the scale is steady.",
            Reason::BelowMinWeight => "Put the food on the scale.",
            Reason::BonusNotAvailable => "Bonus cannot be used on this sale.",
            Reason::NoOpenSale => "There is no sale to do that on.",
            Reason::NotAllowedInMode => "Not possible at this till.",
            Reason::UnreadableImage => "No QR code could be read.",
            Reason::OfflineTooLong => {
                "The till has been offline too long for coupons, clips and bonus."
            }
            Reason::NoSuchLine => "There is no such line on the sale.",
            Reason::PaymentInProgress => "Wait until the payment is finished.",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_distinct_snake_case() {
        let codes: HashSet<_> = Reason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Reason::ALL.len());
        for c in codes {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
        }
    }
}
