//! Returns at an operated till (issue 17): find the original sale by its
//! receipt number or its receipt QR, choose units, and give the money back
//! the way it was paid — bonus to the student's balance, card and Vipps
//! through the provider, cash from the drawer — taking back the bonus the
//! returned lines earned. Each sold unit is returned at most once: the
//! store checks it in the return's own transaction, the ledger across tills.
//!
//! Amounts telescope: what `k` of a line's units are worth, and what part of
//! the value came from bonus, are computed from the units returned so far
//! *and* after, so a sale returned in pieces gives back exactly what was
//! paid, to the øre.

use super::{Mode, Original, RemoteSale, Till, TillError};
use crate::domain::catalog::VatRate;
use crate::domain::receipt::{Payment, Receipt, TenderKind, TenderRow};
use crate::domain::receipt_link::ReceiptLink;
use crate::domain::sale::{EarningLine, bonus_earned};
use crate::domain::{Line, Money, Sale};
use crate::store::{CompletedSale, ReturnOf, ReturnUnits, SaleKind, StoreError};
use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;

/// One line of the original sale, with what is left to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnLine {
    /// 1-based, as on the receipt.
    pub line: usize,
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub grams: Option<u32>,
    pub unit_price: Money,
    /// The whole line as paid (after discounts).
    pub amount: Money,
    pub vat: VatRate,
    /// Units returned before (at any till the till knows of).
    pub returned: u32,
}

impl ReturnLine {
    pub fn left(&self) -> u32 {
        self.qty.saturating_sub(self.returned)
    }

    /// What the first `units` units of the line are worth, so that all of
    /// them are worth the line exactly.
    fn worth(&self, units: u32) -> Option<Money> {
        share(self.amount, units, self.qty)
    }

    /// What `more` units after those returned before are worth.
    fn value_of(&self, more: u32) -> Option<Money> {
        self.worth(self.returned.checked_add(more)?)?
            .checked_sub(self.worth(self.returned)?)
    }
}

/// The units `units` name of line `line` (1-based).
fn units_of(units: &[(usize, u32)], line: usize) -> u32 {
    units
        .iter()
        .filter(|(n, _)| *n == line)
        .map(|(_, q)| *q)
        .sum()
}

/// `whole × part / of`, to the øre; `whole` itself when `part == of`.
fn share(whole: Money, part: u32, of: u32) -> Option<Money> {
    if of == 0 || part >= of {
        return Some(whole);
    }
    whole.checked_times(Decimal::from(part) / Decimal::from(of))
}

/// `whole × part / of` for money parts (bonus share of a value).
fn share_of(whole: Money, part: Money, of: Money) -> Option<Money> {
    if of.is_zero() || part >= of {
        return Some(whole);
    }
    whole.checked_times(part.as_decimal().checked_div(of.as_decimal())?)
}

/// An original sale, ready to return from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returnable {
    pub till: String,
    pub number: u64,
    pub id: String,
    pub at: DateTime<FixedOffset>,
    pub member: Option<String>,
    pub lines: Vec<ReturnLine>,
    /// The sale's total (before cash rounding).
    pub total: Money,
    pub bonus_used: Money,
    pub bonus_earned: Money,
    /// The tender that paid what bonus did not.
    pub tender: Option<TenderRow>,
    /// The provider's reference for a refund (this till's card and Vipps
    /// sales); None: the money goes back in cash.
    pub intent: Option<String>,
}

impl Returnable {
    /// What the units returned so far (plus `extra`) of each line are worth.
    fn worth_per_line(&self, extra: &[(usize, u32)]) -> Option<Vec<Money>> {
        self.lines
            .iter()
            .map(|l| l.worth(l.returned.checked_add(units_of(extra, l.line))?))
            .collect()
    }

    fn worth_returned(&self, extra: &[(usize, u32)]) -> Option<Money> {
        self.worth_per_line(extra)?
            .into_iter()
            .try_fold(Money::ZERO, Money::checked_add)
    }

    /// Bonus earned on the units returned so far (plus `extra`), by the
    /// rule of the original sale's day, never more than it earned.
    fn earned_on(&self, catalog: &crate::domain::Catalog, extra: &[(usize, u32)]) -> Option<Money> {
        let worth = self.worth_per_line(extra)?;
        let earned = bonus_earned(
            self.lines.iter().zip(&worth).map(|(l, w)| EarningLine {
                sku: &l.sku,
                weighed: l.grams.is_some(),
                amount: *w,
            }),
            catalog,
            self.at.date_naive(),
        )?;
        Some(earned.min(self.bonus_earned))
    }
}

/// What a return gives back, worked out before anything moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnPlan {
    pub of: Returnable,
    /// (1-based line, units).
    pub units: Vec<(usize, u32)>,
    /// The returned lines' value (positive).
    pub amount: Money,
    /// Back to the student's bonus balance.
    pub bonus_back: Money,
    /// Back with `tender` (card and Vipps exact; cash rounded).
    pub money_back: Money,
    pub tender: Option<TenderKind>,
    /// Cash only: what the drawer pays out minus the exact amount.
    pub rounding: Money,
    /// Bonus the returned lines had earned, taken back.
    pub earned_back: Money,
}

impl ReturnPlan {
    /// Whether a provider must refund before the return is saved.
    pub fn refund_at_provider(&self) -> Option<(&str, Money)> {
        match (self.tender, &self.of.intent) {
            (Some(TenderKind::Card | TenderKind::Vipps), Some(reference))
                if self.money_back.is_positive() =>
            {
                Some((reference.as_str(), self.money_back))
            }
            _ => None,
        }
    }

    pub fn hold(&self, id: &str) -> super::ReturnHold {
        super::ReturnHold {
            id: id.to_string(),
            till: self.of.till.clone(),
            number: self.of.number,
            lines: self.units.clone(),
        }
    }
}

/// Why a return cannot go on (shown to the cashier in either language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReturnRefusal {
    /// Returns are made at an operated till, by a logged-in cashier.
    NotCashier,
    /// Training mode makes no returns.
    Training,
    /// Finish or cancel the open sale first.
    SaleOpen,
    /// Not a receipt number or a receipt QR of this organisation.
    NotAReceipt,
    /// The receipt QR does not match the books (forged or altered).
    BadSeal,
    NoSuchSale,
    /// Another till's sale is found through the ledger, which does not answer.
    OtherTillOffline,
    NothingChosen,
    /// The till's database could not be read.
    Unreadable,
    /// The ledger says some of these units were returned at another till.
    ReturnedElsewhere,
    /// Line `line` has only `left` units left to return.
    AlreadyReturned {
        line: usize,
        left: u32,
    },
    Overflow,
    /// A cash refund of `back` when the drawer should hold only `held`.
    MoreThanDrawer {
        back: Money,
        held: Money,
    },
}

impl Till {
    /// Whether a return may start now (cashier logged in, no open sale).
    pub fn may_return(&self) -> Result<(), ReturnRefusal> {
        if self.mode != Mode::Cashier || self.operator.is_none() {
            return Err(ReturnRefusal::NotCashier);
        }
        if self.training {
            return Err(ReturnRefusal::Training);
        }
        if !self.sale.lines.is_empty() || self.tendering.is_some() {
            return Err(ReturnRefusal::SaleOpen);
        }
        Ok(())
    }

    /// Which sale a typed number or a scanned receipt QR names:
    /// (till, sales receipt number, the link when scanned).
    pub fn return_query(
        &self,
        text: &str,
        base: &str,
    ) -> Result<(String, u64, Option<ReceiptLink>), ReturnRefusal> {
        self.may_return()?;
        let text = text.trim();
        if let Ok(n) = text.parse::<u64>() {
            return Ok((self.store.till().to_string(), n, None));
        }
        match ReceiptLink::parse(text, base) {
            Some(link) if link.series == "sale" => Ok((link.till.clone(), link.number, Some(link))),
            _ => Err(ReturnRefusal::NotAReceipt),
        }
    }

    /// The original sale named by `till` and `number`: this till's from its
    /// own books (with the ledger's count of units returned elsewhere when
    /// it answered), another till's from the ledger's answer `remote`.
    pub fn returnable(
        &self,
        till: &str,
        number: u64,
        link: Option<&ReceiptLink>,
        remote: Original,
    ) -> Result<Returnable, ReturnRefusal> {
        self.may_return()?;
        let mine = till == self.store.till();
        // No such receipt is the cashier's to hear; any other failure is
        // the database's, said as such (and logged), not "no such sale".
        let store_err = |e: StoreError| match e {
            StoreError::NoSuchReceipt { .. } => ReturnRefusal::NoSuchSale,
            other => {
                eprintln!("kasse: a return's sale could not be read: {other}");
                ReturnRefusal::Unreadable
            }
        };
        if !mine {
            return match remote {
                Original::Found(sale) => self.remote_returnable(*sale, link),
                Original::NotFound => Err(ReturnRefusal::NoSuchSale),
                Original::Unreachable => Err(ReturnRefusal::OtherTillOffline),
            };
        }
        let (id, receipt) = self
            .store
            .receipt(SaleKind::Sale, number)
            .map_err(store_err)?;
        if let Some(link) = link {
            let signature = self.store.signature_of(&id).map_err(store_err)?;
            if !signature.is_some_and(|s| link.seals(&s)) || link.total != receipt.total {
                return Err(ReturnRefusal::BadSeal);
            }
        }
        let at = self
            .store
            .sale_at(&id)
            .map_err(store_err)?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .ok_or(ReturnRefusal::NoSuchSale)?;
        let mut returned = self.store.returned_units(till, number).map_err(store_err)?;
        // The ledger counts returns made of this sale at other tills too.
        if let Original::Found(sale) = &remote {
            for &(line, qty) in &sale.returned {
                match returned.iter_mut().find(|(n, _)| *n == line) {
                    Some((_, q)) => *q = (*q).max(qty),
                    None => returned.push((line, qty)),
                }
            }
        }
        let intent = self.store.paying_intent(&id).map_err(store_err)?;
        let bonus_used = bonus_tender(&receipt);
        Ok(self.build_returnable(
            till, number, id, at, &receipt, bonus_used, &returned, intent,
        ))
    }

    fn remote_returnable(
        &self,
        sale: RemoteSale,
        link: Option<&ReceiptLink>,
    ) -> Result<Returnable, ReturnRefusal> {
        if let Some(link) = link
            && link.total != sale.receipt.total
        {
            return Err(ReturnRefusal::BadSeal);
        }
        // Another till's card or Vipps payment cannot be refunded from
        // here: its money goes back in cash (README, "Returns").
        Ok(self.build_returnable(
            &sale.till,
            sale.number,
            sale.id,
            sale.at,
            &sale.receipt,
            sale.bonus_used,
            &sale.returned,
            None,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn build_returnable(
        &self,
        till: &str,
        number: u64,
        id: String,
        at: DateTime<FixedOffset>,
        receipt: &Receipt,
        bonus_used: Money,
        returned: &[(usize, u32)],
        intent: Option<String>,
    ) -> Returnable {
        let lines = receipt
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let product = self.catalog.product(&l.sku);
                ReturnLine {
                    line: i + 1,
                    sku: l.sku.clone(),
                    name: product.map_or_else(|| l.name.clone(), |p| p.name.clone()),
                    qty: l.qty,
                    grams: l.grams,
                    unit_price: l.unit_price,
                    amount: l.amount,
                    vat: product.map_or(l.vat, |p| p.vat),
                    returned: returned
                        .iter()
                        .filter(|(n, _)| *n == i + 1)
                        .map(|(_, q)| *q)
                        .sum(),
                }
            })
            .collect();
        Returnable {
            till: till.to_string(),
            number,
            id,
            at,
            member: receipt.member.clone(),
            lines,
            total: receipt.total,
            bonus_used,
            bonus_earned: receipt.bonus_earned,
            tender: receipt
                .tenders
                .iter()
                .find(|t| t.kind != TenderKind::Bonus)
                .cloned(),
            intent,
        }
    }

    /// What returning `units` of `of` gives back, or why it cannot.
    pub fn plan_return(
        &self,
        of: &Returnable,
        units: &[(usize, u32)],
    ) -> Result<ReturnPlan, ReturnRefusal> {
        self.may_return()?;
        if units
            .iter()
            .any(|(n, q)| *q > 0 && (*n == 0 || *n > of.lines.len()))
        {
            return Err(ReturnRefusal::NoSuchSale);
        }
        // One entry per line, in the receipt's order, however they came.
        let mut asked = Vec::new();
        for l in &of.lines {
            let n = units_of(units, l.line);
            if n > l.left() {
                return Err(ReturnRefusal::AlreadyReturned {
                    line: l.line,
                    left: l.left(),
                });
            }
            if n > 0 {
                asked.push((l.line, n));
            }
        }
        let units = asked;
        if units.is_empty() {
            return Err(ReturnRefusal::NothingChosen);
        }
        let o = ReturnRefusal::Overflow;
        let before = of.worth_returned(&[]).ok_or(o.clone())?;
        let after = of.worth_returned(&units).ok_or(o.clone())?;
        let amount = after.checked_sub(before).ok_or(o.clone())?;
        let bonus_before = share_of(of.bonus_used, before, of.total).ok_or(o.clone())?;
        let bonus_after = share_of(of.bonus_used, after, of.total).ok_or(o.clone())?;
        let bonus_back = bonus_after.checked_sub(bonus_before).ok_or(o.clone())?;
        let exact = amount.checked_sub(bonus_back).ok_or(o.clone())?;
        let earned_back = of
            .earned_on(&self.catalog, &units)
            .and_then(|a| a.checked_sub(of.earned_on(&self.catalog, &[])?))
            .ok_or(o)?;
        // Card and Vipps back through the provider (this till's sales);
        // everything else, and another till's card, in cash.
        let tender = match of.tender.as_ref().map(|t| t.kind) {
            _ if !exact.is_positive() => None,
            Some(k @ (TenderKind::Card | TenderKind::Vipps)) if of.intent.is_some() => Some(k),
            _ => Some(TenderKind::Cash),
        };
        let (money_back, rounding) = match tender {
            Some(TenderKind::Cash) => {
                let cash = exact.to_whole_krone();
                (cash, cash - exact)
            }
            _ => (exact, Money::ZERO),
        };
        Ok(ReturnPlan {
            of: of.clone(),
            units,
            amount,
            bonus_back,
            money_back,
            tender,
            rounding,
            earned_back,
        })
    }

    /// Whether the drawer can pay `plan` back: a cash refund is refused
    /// over `held`, what the drawer should hold now (the caller's count:
    /// `compliance::export::drawer_now`; None: not known, not refused).
    pub fn may_pay_out(plan: &ReturnPlan, held: Option<Money>) -> Result<(), ReturnRefusal> {
        match held {
            Some(held) if plan.tender == Some(TenderKind::Cash) && plan.money_back > held => {
                Err(ReturnRefusal::MoreThanDrawer {
                    back: plan.money_back,
                    held,
                })
            }
            _ => Ok(()),
        }
    }

    /// Journals a refund asked of a provider before it is asked: if the
    /// till stops before the return is saved, the books show it was under
    /// way (the provider's own records tell whether money moved).
    pub fn refund_started(
        &mut self,
        id: &str,
        plan: &ReturnPlan,
        now: DateTime<FixedOffset>,
    ) -> Result<(), TillError> {
        self.journal(
            now,
            crate::store::codes::OTHER,
            "refund_started",
            serde_json::json!({
                "return": id,
                "original": {"till": plan.of.till, "number": plan.of.number},
                "amount": plan.money_back,
                "tender": plan.tender.map(TenderKind::code),
                "reference": plan.of.intent,
            }),
        )
    }

    /// Saves the return of `plan` (after the provider refunded, when it
    /// had to: `reference` is its transaction id): the Returkvittering in
    /// its own series, signed, journaled 13013, uploaded with its original.
    pub fn commit_return(
        &mut self,
        id: &str,
        plan: &ReturnPlan,
        reference: Option<String>,
        now: DateTime<FixedOffset>,
    ) -> Result<Receipt, TillError> {
        let mut sale = Sale {
            member: plan.of.member.clone(),
            ..Sale::default()
        };
        let mut returns = Vec::with_capacity(plan.units.len());
        for &(n, qty) in &plan.units {
            let Some(l) = plan.of.lines.get(n.wrapping_sub(1)) else {
                continue;
            };
            let value = l.value_of(qty).ok_or(TillError::Overflow)?;
            sale.add_line(Line {
                sku: l.sku.clone(),
                name: l.name.clone(),
                qty,
                grams: l.grams,
                unit_price: l.unit_price,
                vat: l.vat,
                coffee: false,
                gross: -value,
                discount: None,
            });
            returns.push(ReturnUnits { line: n, qty });
        }
        let payment = Payment {
            bonus_used: -plan.bonus_back,
            remainder: -(plan.amount - plan.bonus_back),
            tender: plan.tender.map(|kind| TenderRow {
                kind,
                amount: -plan.money_back,
                reference,
            }),
            rounding: -plan.rounding,
        };
        let done = CompletedSale {
            id: id.to_string(),
            kind: SaleKind::Return,
            original_sale: (plan.of.till == self.store.till()).then(|| plan.of.id.clone()),
            at: now,
            mode: self.mode.code(),
            offline: self.connection(now).is_offline(),
            operator: self.operator.clone(),
            sale: &sale,
            payment: &payment,
            bonus_earned: -plan.earned_back,
            bonus_balance: None,
        };
        let original = ReturnOf {
            till: plan.of.till.clone(),
            number: plan.of.number,
            id: plan.of.id.clone(),
            lines: returns,
            sold: plan.of.lines.iter().map(|l| l.qty).collect(),
        };
        Ok(self.store.commit_return(&done, &original)?)
    }
}

/// The bonus tender of a receipt.
fn bonus_tender(receipt: &Receipt) -> Money {
    receipt
        .tenders
        .iter()
        .filter(|t| t.kind == TenderKind::Bonus)
        .map(|t| t.amount)
        .sum()
}
