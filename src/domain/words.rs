//! Amounts as a person says them, for speech output: "tjueni kroner og femti
//! øre", "twenty-nine kroner and fifty øre". Pure: numbers in, words out.

use super::Money;
use rust_decimal::prelude::ToPrimitive;

/// The language the words are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tongue {
    /// Norwegian bokmål.
    Bokmal,
    English,
}

/// Whole numbers below this are said in words; larger ones as digits.
pub const WORDS_BELOW: u64 = 1_000_000_000;

/// `amount` in kroner and øre as said aloud; None past [`WORDS_BELOW`]
/// kroner (the caller says the digits).
pub fn kroner(amount: Money, tongue: Tongue) -> Option<String> {
    let ore = amount
        .as_decimal()
        .checked_mul(rust_decimal::Decimal::ONE_HUNDRED)?
        .round()
        .to_i128()?;
    let negative = ore < 0;
    let ore = u64::try_from(ore.unsigned_abs()).ok()?;
    let (whole, part) = (ore / 100, ore % 100);
    if whole >= WORDS_BELOW {
        return None;
    }
    let (minus, one, many, sub_one, sub, and) = match tongue {
        Tongue::Bokmal => ("minus ", "en krone", "kroner", "ett øre", "øre", "og"),
        Tongue::English => ("minus ", "one krone", "kroner", "one øre", "øre", "and"),
    };
    let kr = match whole {
        1 => one.to_string(),
        n => format!("{} {many}", number(n, tongue)?),
    };
    let small = match part {
        1 => sub_one.to_string(),
        n => format!("{} {sub}", number(n, tongue)?),
    };
    let said = match (whole, part) {
        (_, 0) => kr,
        (0, _) => small,
        _ => format!("{kr} {and} {small}"),
    };
    Some(if negative {
        format!("{minus}{said}")
    } else {
        said
    })
}

/// A whole number below [`WORDS_BELOW`] in words ("tjueni", "twenty-nine").
pub fn number(n: u64, tongue: Tongue) -> Option<String> {
    if n >= WORDS_BELOW {
        return None;
    }
    if n == 0 {
        return Some(
            match tongue {
                Tongue::Bokmal => "null",
                Tongue::English => "zero",
            }
            .to_string(),
        );
    }
    let mut parts: Vec<String> = Vec::new();
    let millions = n / 1_000_000;
    let thousands = n / 1000 % 1000;
    let rest = n % 1000;
    if millions > 0 {
        let word = match (tongue, millions) {
            (Tongue::Bokmal, 1) => "en million".to_string(),
            (Tongue::Bokmal, m) => format!("{} millioner", hundreds(m, tongue, false)),
            (Tongue::English, m) => format!("{} million", hundreds(m, tongue, false)),
        };
        parts.push(word);
    }
    if thousands > 0 {
        let word = match (tongue, thousands) {
            (Tongue::Bokmal, 1) => "tusen".to_string(),
            (Tongue::English, 1) => "one thousand".to_string(),
            (Tongue::Bokmal, t) => format!("{} tusen", hundreds(t, tongue, true)),
            (Tongue::English, t) => format!("{} thousand", hundreds(t, tongue, true)),
        };
        parts.push(word);
    }
    if rest > 0 {
        // "tusen og fem", "one thousand and five": "og"/"and" before a last
        // part below a hundred.
        if rest < 100 && !parts.is_empty() {
            parts.push(match tongue {
                Tongue::Bokmal => "og".to_string(),
                Tongue::English => "and".to_string(),
            });
        }
        parts.push(hundreds(rest, tongue, false));
    }
    Some(parts.join(" "))
}

/// 1 to 999; `neuter` says "ett" for a lone Norwegian one ("hundre og ett
/// tusen").
fn hundreds(n: u64, tongue: Tongue, neuter: bool) -> String {
    let h = n / 100;
    let t = n % 100;
    let mut parts: Vec<String> = Vec::new();
    if h > 0 {
        parts.push(match (tongue, h) {
            (Tongue::Bokmal, 1) => "hundre".to_string(),
            (Tongue::Bokmal, h) => format!("{} hundre", below_hundred(h, tongue)),
            (Tongue::English, h) => format!("{} hundred", below_hundred(h, tongue)),
        });
    }
    if t > 0 {
        if h > 0 {
            parts.push(match tongue {
                Tongue::Bokmal => "og".to_string(),
                Tongue::English => "and".to_string(),
            });
        }
        if tongue == Tongue::Bokmal && neuter && t == 1 {
            parts.push("ett".to_string());
        } else {
            parts.push(below_hundred(t, tongue));
        }
    }
    parts.join(" ")
}

/// 1 to 99.
fn below_hundred(n: u64, tongue: Tongue) -> String {
    const NB_ONES: [&str; 20] = [
        "null", "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve",
        "tolv", "tretten", "fjorten", "femten", "seksten", "sytten", "atten", "nitten",
    ];
    const NB_TENS: [&str; 10] = [
        "", "", "tjue", "tretti", "førti", "femti", "seksti", "sytti", "åtti", "nitti",
    ];
    const EN_ONES: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const EN_TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let (ones, tens) = match tongue {
        Tongue::Bokmal => (NB_ONES, NB_TENS),
        Tongue::English => (EN_ONES, EN_TENS),
    };
    let n = (n % 100) as usize;
    if n < 20 {
        return ones[n].to_string();
    }
    let (t, o) = (n / 10, n % 10);
    match (tongue, o) {
        (_, 0) => tens[t].to_string(),
        // Bokmål writes the number as one word: "tjueni", "førtifem".
        (Tongue::Bokmal, o) => format!("{}{}", tens[t], ones[o]),
        (Tongue::English, o) => format!("{}-{}", tens[t], ones[o]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kr(s: &str, t: Tongue) -> String {
        kroner(s.parse().unwrap(), t).unwrap()
    }

    #[test]
    fn the_issues_example_in_both_languages() {
        assert_eq!(kr("29.50", Tongue::Bokmal), "tjueni kroner og femti øre");
        assert_eq!(
            kr("29.50", Tongue::English),
            "twenty-nine kroner and fifty øre"
        );
    }

    #[test]
    fn kroner_and_ore_alone_and_one_of_each() {
        use Tongue::*;
        assert_eq!(kr("0", Bokmal), "null kroner");
        assert_eq!(kr("0", English), "zero kroner");
        assert_eq!(kr("1", Bokmal), "en krone");
        assert_eq!(kr("1", English), "one krone");
        assert_eq!(kr("0.01", Bokmal), "ett øre");
        assert_eq!(kr("0.50", English), "fifty øre");
        assert_eq!(kr("1.01", Bokmal), "en krone og ett øre");
        assert_eq!(kr("25.00", Bokmal), "tjuefem kroner");
        assert_eq!(kr("-12.40", Bokmal), "minus tolv kroner og førti øre");
        assert_eq!(kr("189.00", English), "one hundred and eighty-nine kroner");
    }

    #[test]
    fn numbers_up_to_a_million_read_as_people_say_them() {
        use Tongue::*;
        let cases: &[(u64, &str, &str)] = &[
            (7, "sju", "seven"),
            (13, "tretten", "thirteen"),
            (40, "førti", "forty"),
            (100, "hundre", "one hundred"),
            (101, "hundre og en", "one hundred and one"),
            (245, "to hundre og førtifem", "two hundred and forty-five"),
            (1000, "tusen", "one thousand"),
            (1005, "tusen og fem", "one thousand and five"),
            (
                1234,
                "tusen to hundre og trettifire",
                "one thousand two hundred and thirty-four",
            ),
            (21_000, "tjueen tusen", "twenty-one thousand"),
            (
                101_000,
                "hundre og ett tusen",
                "one hundred and one thousand",
            ),
            (
                200_050,
                "to hundre tusen og femti",
                "two hundred thousand and fifty",
            ),
            (
                999_999,
                "ni hundre og nittini tusen ni hundre og nittini",
                "nine hundred and ninety-nine thousand nine hundred and ninety-nine",
            ),
            (1_000_000, "en million", "one million"),
            (2_000_003, "to millioner og tre", "two million and three"),
        ];
        for (n, nb, en) in cases {
            assert_eq!(number(*n, Bokmal).as_deref(), Some(*nb), "{n}");
            assert_eq!(number(*n, English).as_deref(), Some(*en), "{n}");
        }
    }

    #[test]
    fn every_amount_to_a_million_has_words_and_past_the_limit_none() {
        for n in (0..1_000_000u64).step_by(997).chain([999_999]) {
            for t in [Tongue::Bokmal, Tongue::English] {
                let w = number(n, t).unwrap();
                assert!(!w.is_empty() && !w.contains("  "), "{n}: {w:?}");
                assert!(!w.chars().any(|c| c.is_ascii_digit()), "{n}: {w:?}");
            }
        }
        assert_eq!(number(WORDS_BELOW, Tongue::Bokmal), None);
        assert_eq!(kroner(Money::MAX, Tongue::English), None);
        assert_eq!(
            kr("999999.99", Tongue::English),
            "nine hundred and ninety-nine thousand nine hundred and ninety-nine kroner and ninety-nine øre"
        );
    }
}
