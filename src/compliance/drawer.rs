//! The drawer in the X and Z reports: the opening float, cash put in and
//! taken out (read back from the journal, `till::cash`), the cash the
//! drawer should hold, and at the Z the cash counted and the difference.
//!
//! The SAF-T report has places for the float (`reportOpeningChangeFloat`,
//! per operator too) and for pay-ins and pay-outs (`reportPayIns`,
//! `reportPayOuts`, one row per reason), but none for a count: the count
//! is kept in the Z report's journal entry (`cash`: expected, counted,
//! difference), which the export writes as that event's `eventText`.

use super::saft::{Correction, EmployeeFloat, PaymentCode, Report};
use crate::domain::cash::{self, Direction, Reason};
use crate::domain::{Lang, Money};
use crate::store::{JournalRow, cash_kinds};
use rust_decimal::Decimal;

/// The drawer's records of one period, as the report writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drawer {
    pub float: Decimal,
    pub float_per_employee: Vec<EmployeeFloat>,
    pub pay_ins: Vec<Correction>,
    pub pay_outs: Vec<Correction>,
}

fn amount(j: &JournalRow) -> Decimal {
    j.detail["amount"]
        .as_str()
        .and_then(|s| s.parse::<Decimal>().ok())
        .unwrap_or_default()
}

/// One row per reason (named in Norwegian, as the file is), in the order
/// first used. Each amount is at most `cash::drawer_max()`, so no sum of a
/// period's entries comes near `Decimal`'s range.
fn by_reason<'a>(rows: impl Iterator<Item = &'a JournalRow>, dir: Direction) -> Vec<Correction> {
    let mut out: Vec<Correction> = Vec::new();
    for j in rows {
        let code = j.detail["reason"].as_str().unwrap_or("other");
        let kind = Reason::parse(code).map_or(code, |r| r.name(dir, Lang::No));
        match out.iter_mut().find(|c| c.kind == kind) {
            Some(c) => {
                c.count += 1;
                c.amount += amount(j);
            }
            None => out.push(Correction {
                kind: kind.to_string(),
                count: 1,
                amount: amount(j),
            }),
        }
    }
    out
}

/// The float, pay-ins and pay-outs among a period's journal entries.
pub fn from_journal(journal: &[JournalRow]) -> Drawer {
    let of = |kind: &'static str| journal.iter().filter(move |j| j.kind == kind);
    let mut per_employee: Vec<EmployeeFloat> = Vec::new();
    for j in of(cash_kinds::OPENING_FLOAT) {
        let employee = super::export::employee(&j.operator);
        match per_employee.iter_mut().find(|f| f.employee == employee) {
            Some(f) => f.amount += amount(j),
            None => per_employee.push(EmployeeFloat {
                employee,
                amount: amount(j),
            }),
        }
    }
    Drawer {
        float: of(cash_kinds::OPENING_FLOAT).map(amount).sum(),
        float_per_employee: per_employee,
        pay_ins: by_reason(of(cash_kinds::CASH_IN), Direction::In),
        pay_outs: by_reason(of(cash_kinds::CASH_OUT), Direction::Out),
    }
}

fn money(d: Decimal) -> Option<Money> {
    let m = Money::from_decimal(d);
    m.in_range().then_some(m)
}

fn total(rows: &[Correction]) -> Option<Money> {
    rows.iter()
        .try_fold(Money::ZERO, |sum, c| sum.checked_add(money(c.amount)?))
}

/// What the drawer should hold by a report: float + cash payments (net of
/// cash given back on returns) + pay-ins − pay-outs. None on overflow.
pub fn expected_cash(r: &Report) -> Option<Money> {
    let cash_taken = r
        .payments
        .iter()
        .filter(|p| p.code == PaymentCode::Cash)
        .try_fold(Money::ZERO, |sum, p| sum.checked_add(money(p.amount)?))?;
    cash::expected(
        money(r.opening_float)?,
        cash_taken,
        total(&r.pay_ins)?,
        total(&r.pay_outs)?,
    )
}

/// The drawer counted at a Z report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CashCount {
    pub expected: Money,
    pub counted: Money,
    /// Counted − expected: positive is over, negative is short.
    pub difference: Money,
}

impl CashCount {
    /// The count of `counted` against what report `r` expects; None on overflow.
    pub fn new(r: &Report, counted: Money) -> Option<CashCount> {
        let expected = expected_cash(r)?;
        Some(CashCount {
            expected,
            counted,
            difference: counted.checked_sub(expected)?,
        })
    }

    /// As kept in the Z report's journal entry.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "expected": self.expected,
            "counted": self.counted,
            "difference": self.difference,
        })
    }

    /// The count's lines under the report, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let kr = |m: Money| lang.amount(m);
        let diff = if self.difference.is_positive() {
            lang.pick("Difference (over)", "Differanse (over)")
        } else if self.difference.is_negative() {
            lang.pick("Difference (short)", "Differanse (mangler)")
        } else {
            lang.pick("Difference", "Differanse")
        };
        format!(
            "{:<28} {:>17}\n{:<28} {:>17}\n",
            lang.pick("Cash counted", "Opptalte kontanter"),
            kr(self.counted),
            diff,
            kr(self.difference),
        )
    }
}

/// The drawer's lines of a report (float, in, out, expected), in `lang`.
pub fn lines(r: &Report, lang: Lang) -> String {
    let kr = |d: Decimal| lang.amount(Money::from_decimal(d));
    let mut s = format!(
        "{:<28} {:>17}\n",
        lang.pick("Opening float", "Vekselbeholdning ved start"),
        kr(r.opening_float)
    );
    for (title, rows) in [
        (lang.pick("Cash in:", "Innskudd:"), &r.pay_ins),
        (lang.pick("Cash out:", "Uttak:"), &r.pay_outs),
    ] {
        if rows.is_empty() {
            continue;
        }
        s += title;
        s += "\n";
        for c in rows {
            s += &format!(
                "  {:<25} {:>4} {:>12}\n",
                c.kind_in(lang),
                c.count,
                kr(c.amount)
            );
        }
    }
    let expected = expected_cash(r).map_or_else(|| "–".to_string(), |m| lang.amount(m));
    s += &format!(
        "{:<28} {:>17}\n",
        lang.pick("Expected cash in drawer", "Forventet kontantbeholdning"),
        expected
    );
    s
}

/// A pay-in or pay-out row's reason in `lang` (the file names it in Norwegian).
trait KindIn {
    fn kind_in(&self, lang: Lang) -> String;
}

impl KindIn for Correction {
    fn kind_in(&self, lang: Lang) -> String {
        for dir in [Direction::In, Direction::Out] {
            for &r in Reason::offered(dir) {
                if r.name(dir, Lang::No) == self.kind {
                    return r.name(dir, lang).to_string();
                }
            }
        }
        self.kind.clone()
    }
}
