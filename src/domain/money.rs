//! Money: NOK with øre, held as `Decimal`, rounded by one rule only.
//!
//! Every computed amount is rounded to two decimals half away from zero
//! (spec/rules.md). `rust_decimal`'s plain `round_dp` rounds half to even, so
//! it is never used here.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Round to two decimals, half away from zero: the project's only rounding rule.
pub fn round2(value: Decimal) -> Decimal {
    let mut v = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(2);
    v
}

/// An amount of NOK, always with exactly two decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// Rounds `value` to øre (the one rounding rule).
    pub fn from_decimal(value: Decimal) -> Money {
        Money(round2(value))
    }

    /// Whole kroner and øre, e.g. `Money::from_ore(2500)` is 25.00.
    pub fn from_ore(ore: i64) -> Money {
        Money(Decimal::new(ore, 2))
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    /// Multiply by a plain factor (a quantity or a rate) and round once.
    pub fn times(self, factor: Decimal) -> Money {
        Money::from_decimal(self.0 * factor)
    }

    /// Round to the nearest whole krone, 0.50 up (away from zero): cash only.
    pub fn to_whole_krone(self) -> Money {
        let mut v = self
            .0
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        v.rescale(2);
        Money(v)
    }

    pub fn min(self, other: Money) -> Money {
        if self <= other { self } else { other }
    }

    pub fn max(self, other: Money) -> Money {
        if self >= other { self } else { other }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always two decimals, whatever scale arithmetic left behind.
        let mut v = self.0;
        v.rescale(2);
        write!(f, "{v}")
    }
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an amount (write it like \"25.00\")")]
    NotANumber(String),
    #[error("`{0}` has more than two decimals")]
    TooManyDecimals(String),
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses an exact amount; more than two decimals is refused rather than
    /// rounded silently, since a price list with 25.005 is a typo.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = Decimal::from_str(s.trim()).map_err(|_| MoneyError::NotANumber(s.to_string()))?;
        if d.normalize().scale() > 2 {
            return Err(MoneyError::TooManyDecimals(s.to_string()));
        }
        Ok(Money::from_decimal(d))
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Money {
    /// The largest amount that still has two exact decimals:
    /// 792281625142643375935439503.35 (`Decimal::MAX` at scale 2). Past it
    /// `rust_decimal` would silently drop øre, so checked arithmetic stops here.
    pub const MAX: Money = Money(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 2));

    /// Whether the amount is within ±[`Money::MAX`], i.e. writes with two exact
    /// decimals. A parsed text such as "79228162514264337593543950335.00" is
    /// a valid `Decimal` but not such an amount.
    pub fn in_range(self) -> bool {
        self.0.abs() <= Money::MAX.0
    }

    /// `self + rhs`, or None when the sum leaves ±[`Money::MAX`] (where
    /// øre would be lost) or an operand already lies outside it.
    pub fn checked_add(self, rhs: Money) -> Option<Money> {
        Money::within(self.0.checked_add(rhs.0)?, [self, rhs])
    }

    /// `self - rhs`, with the same range as [`Money::checked_add`].
    pub fn checked_sub(self, rhs: Money) -> Option<Money> {
        Money::within(self.0.checked_sub(rhs.0)?, [self, rhs])
    }

    /// `self × factor` rounded once (like [`Money::times`]), or None past
    /// ±[`Money::MAX`].
    pub fn checked_times(self, factor: Decimal) -> Option<Money> {
        if !self.in_range() {
            return None;
        }
        let m = Money::from_decimal(self.0.checked_mul(factor)?);
        m.in_range().then_some(m)
    }

    fn within(value: Decimal, operands: [Money; 2]) -> Option<Money> {
        let m = Money(value);
        (operands.iter().all(|o| o.in_range()) && m.in_range()).then_some(m)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// A rate such as the bonus 0.03 or a VAT percentage; parsed exactly.
pub fn parse_rate(s: &str) -> Result<Decimal, MoneyError> {
    Decimal::from_str(s.trim()).map_err(|_| MoneyError::NotANumber(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn round2_is_half_away_from_zero() {
        let table = [
            ("0.005", "0.01"),
            ("0.015", "0.02"), // half-to-even would give 0.02 too
            ("0.025", "0.03"), // half-to-even would give 0.02
            ("2.345", "2.35"),
            ("-0.025", "-0.03"),
            ("77.868", "77.87"),
            ("1", "1.00"),
            ("0.004999", "0.00"),
        ];
        for (input, expected) in table {
            assert_eq!(round2(d(input)).to_string(), expected, "round2({input})");
        }
    }

    #[test]
    fn whole_krone_rounds_half_up() {
        let table = [
            ("65.50", "66.00"),
            ("65.49", "65.00"),
            ("65.51", "66.00"),
            ("0.49", "0.00"),
            ("100.00", "100.00"),
        ];
        for (input, expected) in table {
            assert_eq!(m(input).to_whole_krone().to_string(), expected, "{input}");
        }
    }

    #[test]
    fn parse_and_display_keep_two_decimals() {
        assert_eq!(m("25").to_string(), "25.00");
        assert_eq!(m("25.5").to_string(), "25.50");
        assert_eq!(m(" 189.00 ").to_string(), "189.00");
        assert_eq!(
            "25.005".parse::<Money>(),
            Err(MoneyError::TooManyDecimals("25.005".into()))
        );
        assert!(matches!(
            "abc".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert_eq!((m("0.10") + m("0.20")).to_string(), "0.30");
        assert_eq!(m("12.40").times(d("0.03")).to_string(), "0.37");
        assert_eq!(Money::from_ore(2500).to_string(), "25.00");
    }
}
