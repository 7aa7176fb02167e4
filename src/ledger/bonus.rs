//! The ledger's check of a sale's `bonus_earned`. A till's claim is never
//! taken on trust: what the sale may earn is recomputed from the sale's own
//! lines with the till's rule (`domain::bonus_earned`, one implementation),
//! the ledger's catalog and rates, and the member's student status on the
//! sale's date. Pure: the storage backends load the facts.

use crate::domain::{Catalog, EarningLine, Money, Product, bonus_earned};
use crate::ledger::records::MemberRecord;
use crate::ledger::wire::{LineIn, SaleBody};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What the ledger credits for a sale's claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credit {
    /// The claim is what the rules give: credit it.
    Agreed(Money),
    /// The claim differs from what the rules give: credit the smaller of the
    /// two (never more than the receipt says, never more than the rules
    /// allow) and flag `bonus_claim_mismatch`.
    Mismatch(Money),
    /// The sale's own arithmetic leaves the range of money (only a forged
    /// sale gets there): credit nothing and flag `amount_overflow`.
    Overflow,
}

/// Student on `date` by the ledger's record: the same test as the till's
/// `Member::is_student_on`.
pub fn is_student_on(m: &MemberRecord, date: NaiveDate) -> bool {
    m.student
        && m.student_until
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .is_some_and(|until| until >= date)
}

/// A line's amount recomputed from its own unit price, quantity or weight
/// and discount, as the till's `Line` computes it; None past the range of money.
fn line_amount(l: &LineIn) -> Option<Money> {
    let gross = match l.grams {
        Some(g) => l
            .unit_price
            .0
            .checked_times(Decimal::new(i64::from(g), 3))?,
        None => l.unit_price.0.checked_times(Decimal::from(l.qty))?,
    };
    Some(gross.checked_sub(l.discount.0)?.max(Money::ZERO))
}

/// What `sale` may earn for a member who is (or is not) a student on `date`;
/// None past the range of money.
pub fn allowed(
    sale: &SaleBody,
    student: bool,
    catalog: &Catalog,
    date: NaiveDate,
) -> Option<Money> {
    if !student {
        return Some(Money::ZERO);
    }
    let amounts = sale
        .lines
        .iter()
        .map(line_amount)
        .collect::<Option<Vec<Money>>>()?;
    bonus_earned(
        sale.lines
            .iter()
            .zip(amounts)
            .map(|(l, amount)| EarningLine {
                sku: &l.sku,
                // Weighed by the ledger's catalog, not by the line's say-so.
                weighed: l.grams.is_some()
                    && catalog.product(&l.sku).is_some_and(Product::is_weighed),
                amount,
            }),
        catalog,
        date,
    )
}

/// Compares the sale's claim with what the rules allow.
pub fn credit(sale: &SaleBody, student: bool, catalog: &Catalog, date: NaiveDate) -> Credit {
    let claimed = sale.bonus_earned.0;
    match allowed(sale, student, catalog, date) {
        None => Credit::Overflow,
        Some(a) if a == claimed => Credit::Agreed(claimed),
        Some(a) => Credit::Mismatch(a.min(claimed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Campaign, Pricing, Settings, VatRate};
    use serde_json::json;

    fn catalog() -> Catalog {
        let product = |sku: &str, pricing| Product {
            sku: sku.into(),
            name: sku.into(),
            pricing,
            vat: VatRate::new(15).unwrap(),
            coffee: false,
            barcodes: vec![],
        };
        Catalog::new(
            vec![
                product(
                    "VEKT",
                    Pricing::Weighed {
                        price_per_kg: Money::from_ore(18_900),
                        tare_g: 0,
                    },
                ),
                product(
                    "SALAT",
                    Pricing::Unit {
                        price: Money::from_ore(6_000),
                    },
                ),
                product(
                    "KAFFE",
                    Pricing::Unit {
                        price: Money::from_ore(2_500),
                    },
                ),
            ],
            vec![Campaign {
                skus: vec!["SALAT".into()],
                rate: Decimal::new(5, 2),
                from: "2026-11-01".parse().unwrap(),
                until: "2026-11-30".parse().unwrap(),
            }],
            Settings::default(),
        )
    }

    fn sale(lines: serde_json::Value, earned: &str) -> SaleBody {
        serde_json::from_value(json!({
            "number": 1, "member": "M-1", "lines": lines, "total": "0.00",
            "tenders": [], "rounding": "0.00", "vat": [],
            "bonus_earned": earned, "bonus_balance": null,
            "coupons": [], "clips": [], "bonus_used": "0.00"
        }))
        .unwrap()
    }

    fn line(
        sku: &str,
        qty: u32,
        grams: Option<u32>,
        price: &str,
        discount: &str,
    ) -> serde_json::Value {
        json!({"sku": sku, "qty": qty, "grams": grams, "unit_price": price,
               "discount": discount, "discount_kind": null, "discount_ref": null,
               "amount": "0.00"})
    }

    #[test]
    fn claims_are_checked_against_the_rules() {
        let day: NaiveDate = "2026-11-23".parse().unwrap();
        let dinner = line("VEKT", 1, Some(412), "189.00", "0.00"); // 77.87 → 2.34
        let salad = line("SALAT", 2, None, "60.00", "60.00"); // 60.00 at 5 % → 3.00
        let coffee = line("KAFFE", 1, None, "25.00", "0.00"); // not eligible
        let forged_grams = line("KAFFE", 1, Some(1000), "25.00", "0.00");
        let huge = line(
            "VEKT",
            1,
            Some(1000),
            "792281625142643375935439503.35",
            "0.00",
        );
        let table = [
            (
                json!([dinner, salad, coffee]),
                "5.34",
                true,
                Credit::Agreed(Money::from_ore(534)),
            ),
            (
                json!([dinner]),
                "2.34",
                false,
                Credit::Mismatch(Money::ZERO),
            ),
            (json!([dinner]), "0.00", false, Credit::Agreed(Money::ZERO)),
            (
                json!([dinner]),
                "9.99",
                true,
                Credit::Mismatch(Money::from_ore(234)),
            ),
            (
                json!([dinner]),
                "1.00",
                true,
                Credit::Mismatch(Money::from_ore(100)),
            ),
            (
                json!([forged_grams]),
                "0.75",
                true,
                Credit::Mismatch(Money::ZERO),
            ),
            (
                json!([]),
                "79228162514264337593543950335.00",
                true,
                Credit::Mismatch(Money::ZERO),
            ),
            (json!([huge, huge]), "0.00", true, Credit::Overflow),
        ];
        for (lines, earned, student, expected) in table {
            let s = sale(lines.clone(), earned);
            assert_eq!(
                credit(&s, student, &catalog(), day),
                expected,
                "{lines} {earned}"
            );
        }
    }

    #[test]
    fn student_status_on_the_sale_date() {
        let m = |student, until: Option<&str>| MemberRecord {
            id: "M-1".into(),
            name: "Ola".into(),
            student,
            student_until: until.map(str::to_string),
            bonus: crate::ledger::wire::Amount(Money::ZERO),
        };
        let day: NaiveDate = "2026-11-23".parse().unwrap();
        assert!(is_student_on(&m(true, Some("2026-11-23")), day));
        assert!(!is_student_on(&m(true, Some("2026-11-22")), day));
        assert!(!is_student_on(&m(false, Some("2027-01-01")), day));
        assert!(!is_student_on(&m(true, None), day));
    }
}
