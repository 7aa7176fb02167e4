//! The open sale: lines, the member, coupon and clip discounts, and the
//! checks that decide whether a scanned code may be used.

use super::catalog::{Catalog, CoffeeCard, Coupon, Member, Product, VatRate};
use super::money::Money;
use super::reason::Reason;
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DiscountKind {
    Coupon,
    Clip,
}

impl DiscountKind {
    pub fn code(self) -> &'static str {
        match self {
            DiscountKind::Coupon => "coupon",
            DiscountKind::Clip => "clip",
        }
    }
}

/// One free unit on a line, paid for by a coupon or a coffee-card clip.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Discount {
    pub kind: DiscountKind,
    /// The coupon id or the coffee card id.
    pub reference: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    /// Net grams (after tare) for food by weight.
    pub grams: Option<u32>,
    /// Price per unit, or per kilogram for food by weight.
    pub unit_price: Money,
    pub vat: VatRate,
    pub coffee: bool,
    /// Before discount.
    pub gross: Money,
    pub discount: Option<Discount>,
}

impl Line {
    pub fn unit(product: &Product, qty: u32) -> Line {
        let unit_price = product.unit_price();
        Line {
            sku: product.sku.clone(),
            name: product.name.clone(),
            qty,
            grams: None,
            unit_price,
            vat: product.vat,
            coffee: product.coffee,
            gross: unit_price.times(Decimal::from(qty)),
            discount: None,
        }
    }

    /// One unit at a price the barcode carries (GS1 in-store price code).
    pub fn at_label_price(product: &Product, price: Money) -> Line {
        Line {
            unit_price: price,
            gross: price,
            ..Line::unit(product, 1)
        }
    }

    /// A weighed line: `amount = round2(net_grams / 1000 × price_per_kg)`.
    pub fn weighed(product: &Product, net_grams: u32) -> Line {
        let price_per_kg = product.unit_price();
        Line {
            sku: product.sku.clone(),
            name: product.name.clone(),
            qty: 1,
            grams: Some(net_grams),
            unit_price: price_per_kg,
            vat: product.vat,
            coffee: product.coffee,
            gross: price_per_kg.times(Decimal::new(i64::from(net_grams), 3)),
            discount: None,
        }
    }

    pub fn is_weighed(&self) -> bool {
        self.grams.is_some()
    }

    pub fn discount_amount(&self) -> Money {
        self.discount.as_ref().map_or(Money::ZERO, |d| d.amount)
    }

    /// What the customer pays for this line.
    pub fn amount(&self) -> Money {
        self.gross - self.discount_amount()
    }

    /// Whether a unit on this line can still be made free (one discount per line;
    /// a second unit of a discounted line is split off first).
    fn has_undiscounted_unit(&self) -> bool {
        match &self.discount {
            None => self.amount().is_positive(),
            Some(_) => !self.is_weighed() && self.qty >= 2,
        }
    }
}

/// The sale being built at the till. Discounts stay where they land.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sale {
    pub member: Option<String>,
    pub lines: Vec<Line>,
    /// The customer's answer to the bonus question, once given.
    pub bonus_answer: Option<bool>,
}

impl Sale {
    pub fn is_empty(&self) -> bool {
        self.member.is_none() && self.lines.is_empty()
    }

    pub fn total(&self) -> Money {
        self.lines.iter().map(Line::amount).sum()
    }

    /// Appends a line and returns its 1-based number.
    pub fn add_line(&mut self, line: Line) -> usize {
        self.lines.push(line);
        self.lines.len()
    }

    /// Removes line `number` (1-based); later lines move up.
    pub fn void(&mut self, number: usize) -> Result<Line, Reason> {
        if number == 0 || number > self.lines.len() {
            return Err(Reason::NoSuchLine);
        }
        Ok(self.lines.remove(number - 1))
    }

    pub fn coupons(&self) -> impl Iterator<Item = &str> {
        self.discounts(DiscountKind::Coupon)
    }

    /// Cards whose clips this sale uses, one entry per clip.
    pub fn clips(&self) -> impl Iterator<Item = &str> {
        self.discounts(DiscountKind::Clip)
    }

    fn discounts(&self, kind: DiscountKind) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .filter_map(move |l| l.discount.as_ref().filter(|d| d.kind == kind))
            .map(|d| d.reference.as_str())
    }

    pub fn clips_of(&self, card: &str) -> u32 {
        self.clips().filter(|c| *c == card).count() as u32
    }

    /// Attach the member a code names, refusing a second, different member.
    pub fn attach_member(&mut self, member: &str) -> Result<(), Reason> {
        match &self.member {
            Some(current) if current != member => Err(Reason::WrongMember),
            Some(_) => Ok(()),
            None => {
                self.member = Some(member.to_string());
                Ok(())
            }
        }
    }

    fn wrong_member(&self, code_member: &str) -> bool {
        self.member.as_deref().is_some_and(|m| m != code_member)
    }

    /// Puts a one-unit discount on line index `target` and returns the 1-based
    /// number of the line that carries it.
    fn place_discount(&mut self, target: usize, kind: DiscountKind, reference: &str) -> usize {
        let line = &mut self.lines[target];
        if line.discount.is_none() {
            let amount = line.unit_price.min(line.gross);
            line.discount = Some(Discount {
                kind,
                reference: reference.to_string(),
                amount,
            });
            return target + 1;
        }
        // The line already carries a discount: split one unit off it.
        line.qty -= 1;
        line.gross = line.unit_price.times(Decimal::from(line.qty));
        let mut unit = line.clone();
        unit.qty = 1;
        unit.gross = unit.unit_price;
        unit.discount = Some(Discount {
            kind,
            reference: reference.to_string(),
            amount: unit.unit_price,
        });
        self.add_line(unit)
    }

    /// Makes one unit of `product` free with coupon `coupon`; adds a unit when the
    /// cart has none left undiscounted. Returns the line number.
    pub fn apply_coupon(&mut self, coupon: &str, product: &Product) -> Result<usize, Reason> {
        let target = self
            .lines
            .iter()
            .position(|l| l.sku == product.sku && l.has_undiscounted_unit());
        let target = match target {
            Some(i) => i,
            // There is nothing weighed to make free: weigh the food first.
            None if product.is_weighed() => return Err(Reason::BelowMinWeight),
            None => self.add_line(Line::unit(product, 1)) - 1,
        };
        Ok(self.place_discount(target, DiscountKind::Coupon, coupon))
    }

    /// Uses one clip of `card` on the most expensive undiscounted coffee unit,
    /// or on one added unit of `default` when there is none. Returns the line
    /// number; `unknown_sku` when a unit must be added but `default` is not sold.
    pub fn apply_clip(&mut self, card: &str, default: Option<&Product>) -> Result<usize, Reason> {
        let mut best: Option<usize> = None;
        for (i, l) in self.lines.iter().enumerate() {
            if l.coffee && !l.is_weighed() && l.has_undiscounted_unit() {
                // Strictly greater: ties go to the earliest line.
                if best.is_none_or(|b| l.unit_price > self.lines[b].unit_price) {
                    best = Some(i);
                }
            }
        }
        let target = match best {
            Some(i) => i,
            None => self.add_line(Line::unit(default.ok_or(Reason::UnknownSku)?, 1)) - 1,
        };
        Ok(self.place_discount(target, DiscountKind::Clip, card))
    }

    /// Student bonus earned by this sale (see [`bonus_earned`]); None when
    /// the sum leaves the range of money.
    pub fn bonus_earned(&self, catalog: &Catalog, date: NaiveDate) -> Option<Money> {
        bonus_earned(
            self.lines.iter().map(|l| EarningLine {
                sku: &l.sku,
                weighed: l.is_weighed(),
                amount: l.amount(),
            }),
            catalog,
            date,
        )
    }
}

/// A line as the bonus rule sees it: what was paid for it, and whether it
/// was food by weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarningLine<'a> {
    pub sku: &'a str,
    pub weighed: bool,
    /// After coupon and clip discounts.
    pub amount: Money,
}

/// Student bonus earned on `lines` (spec/rules.md): per rate,
/// `round2(Σ eligible amounts × rate)`, then summed. The till computes a
/// sale's bonus with it and the ledger checks a till's claim with it, so the
/// two cannot disagree on the rule. None when a sum leaves the range of
/// money (only a forged sale gets there).
pub fn bonus_earned<'a>(
    lines: impl IntoIterator<Item = EarningLine<'a>>,
    catalog: &Catalog,
    date: NaiveDate,
) -> Option<Money> {
    let mut per_rate: Vec<(Decimal, Money)> = Vec::new();
    for line in lines {
        let Some(rate) = catalog.bonus_rate_for(line.sku, line.weighed, date) else {
            continue;
        };
        match per_rate.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, sum)) => *sum = sum.checked_add(line.amount)?,
            None => per_rate.push((rate, line.amount)),
        }
    }
    per_rate
        .into_iter()
        .try_fold(Money::ZERO, |total, (rate, sum)| {
            total.checked_add(sum.checked_times(rate)?)
        })
}

/// What the till knows about the state of the network for the offline limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfflineLimits {
    pub max_hours: u32,
    pub max_bonus_per_sale: Money,
}

impl Default for OfflineLimits {
    fn default() -> Self {
        OfflineLimits {
            max_hours: 24,
            max_bonus_per_sale: Money::from_ore(10_000),
        }
    }
}

/// The till's connection as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Online,
    /// Offline; `too_long` once `max_hours` since the last sync have passed.
    Offline {
        too_long: bool,
    },
}

impl Connection {
    pub fn is_offline(self) -> bool {
        matches!(self, Connection::Offline { .. })
    }

    fn refuses_stored_value(self) -> bool {
        matches!(self, Connection::Offline { too_long: true })
    }
}

/// The facts a coupon check needs, gathered by the till.
pub struct CouponCheck<'a> {
    pub code_member: &'a str,
    pub coupon: &'a str,
    /// The code's member in the cache (None: unknown member, not a student).
    pub member: Option<&'a Member>,
    pub cached: Option<&'a Coupon>,
    /// Redeemed in a completed sale of this till (its journal).
    pub used_here: bool,
    pub today: NaiveDate,
    pub connection: Connection,
}

/// Decides whether a verified coupon code may be used on `sale`, in the
/// refusal order of spec/replay.md.
pub fn check_coupon(sale: &Sale, c: &CouponCheck<'_>) -> Result<(), Reason> {
    if c.cached.is_some_and(|cp| cp.is_expired_on(c.today)) {
        return Err(Reason::Expired);
    }
    if sale.wrong_member(c.code_member) {
        return Err(Reason::WrongMember);
    }
    if !c.member.is_some_and(|m| m.is_student_on(c.today)) {
        return Err(Reason::NotStudent);
    }
    if c.connection.refuses_stored_value() {
        return Err(Reason::OfflineTooLong);
    }
    if c.cached.is_some_and(|cp| cp.used) || c.used_here || sale.coupons().any(|id| id == c.coupon)
    {
        return Err(Reason::CouponUsed);
    }
    Ok(())
}

/// The facts a coffee-card check needs, gathered by the till.
pub struct CardCheck<'a> {
    pub code_member: &'a str,
    pub card: &'a str,
    pub member: Option<&'a Member>,
    /// Clips as this till sees them before this sale.
    pub cached: Option<&'a CoffeeCard>,
    pub today: NaiveDate,
    pub connection: Connection,
}

/// Decides whether one more clip of a verified coffee-card code may be used;
/// returns the clips left after it.
pub fn check_card(sale: &Sale, c: &CardCheck<'_>) -> Result<u32, Reason> {
    if sale.wrong_member(c.code_member) {
        return Err(Reason::WrongMember);
    }
    if !c.member.is_some_and(|m| m.is_student_on(c.today)) {
        return Err(Reason::NotStudent);
    }
    if c.connection.refuses_stored_value() {
        return Err(Reason::OfflineTooLong);
    }
    let card = c.cached.ok_or(Reason::CardUnknown)?;
    let used_here = sale.clips_of(c.card);
    let left = card.clips.saturating_sub(used_here);
    if left == 0 {
        return Err(Reason::CardEmpty);
    }
    // Offline, at most one clip per card per sale (spec/ledger-api.md).
    if c.connection.is_offline() && used_here >= 1 {
        return Err(Reason::OfflineTooLong);
    }
    Ok(left - 1)
}

/// How much bonus may be used now, if the offer may be made at all: a student
/// with more than 1.00 NOK and something left to pay.
pub fn bonus_offer(
    sale: &Sale,
    member: Option<&Member>,
    today: NaiveDate,
    connection: Connection,
    limits: &OfflineLimits,
) -> Result<Money, Reason> {
    let member = member.ok_or(Reason::BonusNotAvailable)?;
    let due = sale.total();
    let threshold = Money::from_ore(100);
    if !member.is_student_on(today) || member.bonus <= threshold || !due.is_positive() {
        return Err(Reason::BonusNotAvailable);
    }
    if connection.refuses_stored_value() {
        return Err(Reason::OfflineTooLong);
    }
    Ok(bonus_usable(member.bonus, due, connection, limits))
}

/// `min(balance, amount due)`, capped offline by `max_bonus_per_sale`.
pub fn bonus_usable(
    balance: Money,
    due: Money,
    connection: Connection,
    limits: &OfflineLimits,
) -> Money {
    let used = balance.min(due).max(Money::ZERO);
    if connection.is_offline() {
        used.min(limits.max_bonus_per_sale)
    } else {
        used
    }
}
