//! The cash drawer of an operated till: the opening float, cash put in or
//! taken out with a reason, and the count at the Z report. Pure: which
//! amounts a drawer takes, what a reason is called, what the drawer should
//! hold.

use super::{Lang, Money};

/// The most a drawer is taken to hold, put in or give out at once:
/// 100 000,00 kr. More is a typing mistake (a canteen's float is a few
/// hundred kroner), refused before anything is written.
pub fn drawer_max() -> Money {
    Money::from_ore(10_000_000)
}

/// Cash into the drawer or out of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

/// Why cash went in or out: a short list, and "Other" with the cashier's
/// own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// Change brought in, or taken out to another till.
    Change,
    /// To the bank (out) or from it (in).
    Bank,
    /// Paid for something for the canteen (out only).
    Expense,
    /// The cashier says why in a note.
    Other,
}

impl Reason {
    /// The reasons offered for a direction, in the order shown.
    pub fn offered(dir: Direction) -> &'static [Reason] {
        match dir {
            Direction::In => &[Reason::Change, Reason::Bank, Reason::Other],
            Direction::Out => &[Reason::Bank, Reason::Expense, Reason::Change, Reason::Other],
        }
    }

    /// The code the journal keeps.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Change => "change",
            Reason::Bank => "bank",
            Reason::Expense => "expense",
            Reason::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        [Reason::Change, Reason::Bank, Reason::Expense, Reason::Other]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// The reason as the screen and the reports name it.
    pub fn name(self, dir: Direction, lang: Lang) -> &'static str {
        match (self, dir) {
            (Reason::Change, Direction::In) => lang.pick("Change in", "Veksel inn"),
            (Reason::Change, Direction::Out) => lang.pick("Change out", "Veksel ut"),
            (Reason::Bank, Direction::In) => lang.pick("From the bank", "Fra banken"),
            (Reason::Bank, Direction::Out) => lang.pick("To the bank", "Til banken"),
            (Reason::Expense, _) => lang.pick("Expense", "Utlegg"),
            (Reason::Other, _) => lang.pick("Other", "Annet"),
        }
    }
}

/// Why an amount for the drawer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not an amount in kroner and øre (e.g. three decimals).
    NotAnAmount,
    /// Cash in or out of 0,00 kr.
    Zero,
    /// More than [`drawer_max`].
    TooLarge,
    /// "Other" needs a note saying why.
    NoteNeeded,
    /// A self-service till has no drawer.
    NoDrawer,
    /// Not in training mode: no real cash moves there.
    Training,
    /// Cash out of more than the drawer should hold now.
    MoreThanHeld,
}

/// An amount the drawer takes: 0 only where `zero` allows it (the float
/// and the count may be empty; a movement may not), never over
/// [`drawer_max`], never negative.
pub fn check(amount: Money, zero: bool) -> Result<Money, Refusal> {
    if amount.is_negative() {
        Err(Refusal::NotAnAmount)
    } else if amount > drawer_max() {
        Err(Refusal::TooLarge)
    } else if amount.is_zero() && !zero {
        Err(Refusal::Zero)
    } else {
        Ok(amount)
    }
}

/// What the drawer should hold: the float, plus cash taken (net of cash
/// given back on returns), plus cash put in, less cash taken out. None
/// when it cannot be computed (overflow).
pub fn expected(float: Money, cash_taken: Money, put_in: Money, taken_out: Money) -> Option<Money> {
    float
        .checked_add(cash_taken)?
        .checked_add(put_in)?
        .checked_sub(taken_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_checked_against_zero_and_the_drawer_max() {
        assert_eq!(check(Money::ZERO, true), Ok(Money::ZERO));
        assert_eq!(check(Money::ZERO, false), Err(Refusal::Zero));
        assert_eq!(check(drawer_max(), false), Ok(drawer_max()));
        assert_eq!(
            check(drawer_max() + Money::from_ore(1), true),
            Err(Refusal::TooLarge)
        );
        assert_eq!(check(Money::MAX, true), Err(Refusal::TooLarge));
        assert_eq!(check(-Money::from_ore(1), true), Err(Refusal::NotAnAmount));
    }

    #[test]
    fn expected_cash_adds_up_and_overflow_is_none() {
        let kr = |k: i64| Money::from_ore(k * 100);
        assert_eq!(expected(kr(500), kr(120), kr(50), kr(200)), Some(kr(470)));
        assert_eq!(expected(Money::MAX, kr(1), kr(0), kr(0)), None);
    }

    #[test]
    fn every_reason_reads_back_from_its_code() {
        for dir in [Direction::In, Direction::Out] {
            for &r in Reason::offered(dir) {
                assert_eq!(Reason::parse(r.code()), Some(r));
                assert_ne!(r.name(dir, Lang::No), r.name(dir, Lang::En));
            }
        }
    }
}
