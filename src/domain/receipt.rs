//! Paying and the receipt model: tenders, cash rounding, VAT per rate.

use super::catalog::VatRate;
use super::money::Money;
use super::sale::{Line, Sale};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenderKind {
    Bonus,
    Card,
    Vipps,
    Cash,
}

impl TenderKind {
    pub fn code(self) -> &'static str {
        match self {
            TenderKind::Bonus => "bonus",
            TenderKind::Card => "card",
            TenderKind::Vipps => "vipps",
            TenderKind::Cash => "cash",
        }
    }

    pub fn parse(s: &str) -> Option<TenderKind> {
        match s {
            "bonus" => Some(TenderKind::Bonus),
            "card" => Some(TenderKind::Card),
            "vipps" => Some(TenderKind::Vipps),
            "cash" => Some(TenderKind::Cash),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderRow {
    pub kind: TenderKind,
    pub amount: Money,
    /// Payment terminal / Vipps transaction id, when integrated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VatRow {
    pub rate: String,
    pub gross: Money,
    pub net: Money,
    pub vat: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceiptLine {
    pub sku: String,
    #[serde(skip)]
    pub name: String,
    pub qty: u32,
    pub grams: Option<u32>,
    pub unit_price: Money,
    pub discount: Money,
    pub discount_kind: Option<&'static str>,
    pub discount_ref: Option<String>,
    pub amount: Money,
    #[serde(skip)]
    pub vat: VatRate,
}

impl From<&Line> for ReceiptLine {
    fn from(l: &Line) -> Self {
        ReceiptLine {
            sku: l.sku.clone(),
            name: l.name.clone(),
            qty: l.qty,
            grams: l.grams,
            unit_price: l.unit_price,
            discount: l.discount_amount(),
            discount_kind: l.discount.as_ref().map(|d| d.kind.code()),
            discount_ref: l.discount.as_ref().map(|d| d.reference.clone()),
            amount: l.amount(),
            vat: l.vat,
        }
    }
}

/// The receipt object exactly as spec/replay.md prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub number: u64,
    pub member: Option<String>,
    pub lines: Vec<ReceiptLine>,
    pub total: Money,
    pub tenders: Vec<TenderRow>,
    pub rounding: Money,
    pub vat: Vec<VatRow>,
    pub bonus_earned: Money,
    pub bonus_balance: Option<Money>,
    /// A Returkvittering's original: the sales receipt it returns from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_of: Option<ReturnOf>,
}

/// The sales receipt a return gives back from, as its receipt names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnOf {
    pub till: String,
    pub number: u64,
}

impl Receipt {
    /// Reads back a receipt written by `Serialize` (names are not stored).
    pub fn from_json(v: &serde_json::Value) -> Option<Receipt> {
        let m = |v: &serde_json::Value| v.as_str()?.parse::<Money>().ok();
        let lines = v["lines"]
            .as_array()?
            .iter()
            .map(|l| {
                Some(ReceiptLine {
                    sku: l["sku"].as_str()?.to_string(),
                    name: l["sku"].as_str()?.to_string(),
                    qty: u32::try_from(l["qty"].as_u64()?).ok()?,
                    grams: l["grams"].as_u64().and_then(|g| u32::try_from(g).ok()),
                    unit_price: m(&l["unit_price"])?,
                    discount: m(&l["discount"])?,
                    discount_kind: match l["discount_kind"].as_str() {
                        Some("coupon") => Some("coupon"),
                        Some("clip") => Some("clip"),
                        _ => None,
                    },
                    discount_ref: l["discount_ref"].as_str().map(str::to_string),
                    amount: m(&l["amount"])?,
                    vat: VatRate::new(0)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let tenders = v["tenders"]
            .as_array()?
            .iter()
            .map(|t| {
                Some(TenderRow {
                    kind: TenderKind::parse(t["kind"].as_str()?)?,
                    amount: m(&t["amount"])?,
                    reference: t["reference"].as_str().map(str::to_string),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let vat = v["vat"]
            .as_array()?
            .iter()
            .map(|r| {
                Some(VatRow {
                    rate: r["rate"].as_str()?.to_string(),
                    gross: m(&r["gross"])?,
                    net: m(&r["net"])?,
                    vat: m(&r["vat"])?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Receipt {
            number: v["number"].as_u64()?,
            member: v["member"].as_str().map(str::to_string),
            lines,
            total: m(&v["total"])?,
            tenders,
            rounding: m(&v["rounding"])?,
            vat,
            bonus_earned: m(&v["bonus_earned"])?,
            bonus_balance: m(&v["bonus_balance"]),
            return_of: v["return_of"]["number"].as_u64().map(|number| ReturnOf {
                till: v["return_of"]["till"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                number,
            }),
        })
    }
}

/// VAT per rate on the summed line amounts, highest rate first, zero-gross
/// rates left out: `vat = round2(gross × r / (100 + r))`, `net = gross − vat`.
pub fn vat_rows(lines: &[Line]) -> Vec<VatRow> {
    let mut per_rate: BTreeMap<VatRate, Money> = BTreeMap::new();
    for l in lines {
        *per_rate.entry(l.vat).or_default() += l.amount();
    }
    per_rate
        .into_iter()
        .rev()
        .filter(|(_, gross)| !gross.is_zero())
        .map(|(rate, gross)| {
            let vat = rate.vat_of_gross(gross);
            VatRow {
                rate: rate.to_string(),
                gross,
                net: gross - vat,
                vat,
            }
        })
        .collect()
}

/// How the amount due is paid once the bonus is taken off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub bonus_used: Money,
    /// What is left after bonus, exact to the øre.
    pub remainder: Money,
    /// The tender taking the remainder; None when nothing is left to pay.
    pub tender: Option<TenderRow>,
    /// Cash only: whole-krone amount minus the exact remainder.
    pub rounding: Money,
}

impl Payment {
    pub fn plan(total: Money, bonus_used: Money, kind: TenderKind) -> Payment {
        let remainder = total - bonus_used;
        if !remainder.is_positive() {
            return Payment {
                bonus_used,
                remainder,
                tender: None,
                rounding: Money::ZERO,
            };
        }
        let (amount, rounding) = match kind {
            TenderKind::Cash => {
                let cash = remainder.to_whole_krone();
                (cash, cash - remainder)
            }
            _ => (remainder, Money::ZERO),
        };
        let tender = (!amount.is_zero()).then_some(TenderRow {
            kind,
            amount,
            reference: None,
        });
        Payment {
            bonus_used,
            remainder,
            tender,
            rounding,
        }
    }

    /// The amount to take with the tender (cash: rounded to whole kroner).
    pub fn due_now(&self) -> Money {
        self.tender.as_ref().map_or(Money::ZERO, |t| t.amount)
    }

    /// Tenders in receipt order: bonus first, then the rest as taken.
    pub fn tenders(&self) -> Vec<TenderRow> {
        let mut rows = Vec::with_capacity(2);
        // A return gives bonus back: a negative bonus row.
        if !self.bonus_used.is_zero() {
            rows.push(TenderRow {
                kind: TenderKind::Bonus,
                amount: self.bonus_used,
                reference: None,
            });
        }
        rows.extend(self.tender.clone());
        rows
    }
}

/// What a completed sale writes: the receipt and its effects on stored value.
impl Sale {
    pub fn receipt(
        &self,
        number: u64,
        payment: &Payment,
        bonus_earned: Money,
        bonus_balance: Option<Money>,
    ) -> Receipt {
        Receipt {
            number,
            member: self.member.clone(),
            lines: self.lines.iter().map(ReceiptLine::from).collect(),
            total: self.total(),
            tenders: payment.tenders(),
            rounding: payment.rounding,
            vat: vat_rows(&self.lines),
            bonus_earned,
            bonus_balance,
            return_of: None,
        }
    }
}
