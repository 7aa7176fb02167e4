//! What a receipt's signature covers: the text of one SAF-T Cash Register
//! transaction, `prevSignature;transDate;transTime;nr;transAmntIn;transAmntEx`.
//!
//! The store builds it when it commits a sale, the export writes the same
//! fields and the verifier rebuilds it, so all three agree by construction.
//! Who signs it, and how, is `compliance::sign`.

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::{Decimal, RoundingStrategy};

/// `prevSignature` of the first transaction on a till.
pub const FIRST_PREV_SIGNATURE: &str = "0";

/// The text that is signed for one transaction:
/// `prevSignature;transDate;transTime;nr;transAmntIn;transAmntEx`.
///
/// Date is `YYYY-MM-DD`, time `HH:MM:SS` (fractions of a second dropped, as
/// the export writes them); the amounts go in exactly as given — use
/// [`amount_text`] so they match what the export writes.
pub fn signed_text(
    prev_signature: &str,
    trans_date: NaiveDate,
    trans_time: NaiveTime,
    nr: u64,
    amnt_in: &str,
    amnt_ex: &str,
) -> String {
    format!(
        "{prev_signature};{};{};{nr};{amnt_in};{amnt_ex}",
        date_text(trans_date),
        time_text(trans_time)
    )
}

/// An amount as SAF-T writes and signs it: `.` and exactly two decimals,
/// rounded half away from zero (the project's one rounding rule), never `-0.00`.
pub fn amount_text(amount: Decimal) -> String {
    let mut v = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(2);
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v.to_string()
}

/// A date as SAF-T writes and signs it: `YYYY-MM-DD`.
pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A time as SAF-T writes and signs it: `HH:MM:SS`.
pub fn time_text(time: NaiveTime) -> String {
    time.format("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap()
    }

    #[test]
    fn signed_text_formats() {
        let cases = [
            (
                ("0", "2025-03-10", "09:05:07", 1, "163.90", "134.59"),
                "0;2025-03-10;09:05:07;1;163.90;134.59",
            ),
            (
                ("abc+/=", "2025-12-31", "23:59:59", 1000, "-49.90", "-43.39"),
                "abc+/=;2025-12-31;23:59:59;1000;-49.90;-43.39",
            ),
        ];
        for ((prev, date, time, nr, a_in, a_ex), expected) in cases {
            assert_eq!(
                signed_text(prev, d(date), t(time), nr, a_in, a_ex),
                expected
            );
        }
        // Fractions of a second are not part of the signed time.
        let time = NaiveTime::from_hms_milli_opt(9, 5, 7, 640).unwrap();
        assert_eq!(
            signed_text("0", d("2025-03-10"), time, 1, "1.00", "0.80"),
            "0;2025-03-10;09:05:07;1;1.00;0.80"
        );
    }

    #[test]
    fn amount_text_is_two_decimals_half_away_from_zero() {
        let cases = [
            ("1", "1.00"),
            ("1.5", "1.50"),
            ("0.96", "0.96"),
            ("-16.4", "-16.40"),
            ("2.005", "2.01"),
            ("-2.005", "-2.01"),
            ("-0.001", "0.00"),
            ("0", "0.00"),
            ("123456789.999", "123456790.00"),
        ];
        for (input, expected) in cases {
            let v: Decimal = input.parse().unwrap();
            assert_eq!(amount_text(v), expected, "{input}");
        }
    }
}
