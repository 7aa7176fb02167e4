//! Returns at the ledger (README, "Returns at the ledger": an extension of
//! spec/ledger-api.md, which has no return endpoints). Each sold unit is
//! returned at most once across tills: a till looks an original sale up
//! (`GET …/sales/{till}/{number}`), holds the units it is about to return
//! (`POST …/returns`, the `/redeem` reservations' tables, expiry and
//! idempotency) and uploads a `return` event, whose units the ledger records
//! per original line and whose bonus it gives back and takes back.
//!
//! This module is pure: the request and body shapes, the hold check and
//! what a `return` event does; `sqlite` and `postgres` load the facts and
//! write what comes back, inside the caller's transaction.

pub mod postgres;
pub mod sqlite;

use crate::domain::{Catalog, EarningLine, Money, Product, bonus_earned};
use crate::ledger::records::EntityKind;
use crate::ledger::rules::{EntityState, HoldItem};
use crate::ledger::wire::{
    Amount, BadRequest, Event, FlagKind, LineIn, SaleBody, digest_of, from_value_at, parse_json,
};
use crate::ledger::{LedgerError, valid_till_id};
use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The reservation item kind of a return hold: `item_ref` is
/// `{till}/{number}/{line}` of the original sale, `n` the units.
pub const HOLD_RETURN: &str = "return";

/// The most lines one hold or return may name.
pub const MAX_RETURN_LINES: usize = 256;

/// Units of one line (1-based) of an original sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct LineUnits {
    pub line: u32,
    pub qty: u32,
}

/// The original sale a return or hold names, checked: each line once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalRef {
    pub till: String,
    pub number: u64,
    /// The original sale's uuid, when the till sent it.
    pub id: Option<String>,
    pub lines: Vec<LineUnits>,
}

#[derive(Deserialize)]
struct OriginalIn {
    till: String,
    number: u64,
    #[serde(default)]
    id: Option<String>,
    lines: Vec<LineUnits>,
}

fn check_original(at: &str, o: OriginalIn) -> Result<OriginalRef, BadRequest> {
    if !valid_till_id(&o.till) {
        return Err(BadRequest::new(
            format!("{at}.till"),
            "a till id is 1–32 characters of a–z, 0–9 and -",
        ));
    }
    if i64::try_from(o.number).is_err() {
        return Err(BadRequest::new(
            format!("{at}.number"),
            "a receipt number is at most 9223372036854775807",
        ));
    }
    if o.lines.is_empty() || o.lines.len() > MAX_RETURN_LINES {
        return Err(BadRequest::new(
            format!("{at}.lines"),
            format!("name 1 to {MAX_RETURN_LINES} lines of the original sale"),
        ));
    }
    let mut merged: BTreeMap<u32, u32> = BTreeMap::new();
    for (i, l) in o.lines.iter().enumerate() {
        if l.line == 0 {
            return Err(BadRequest::new(
                format!("{at}.lines[{i}].line"),
                "lines are numbered from 1",
            ));
        }
        if l.qty == 0 {
            return Err(BadRequest::new(
                format!("{at}.lines[{i}].qty"),
                "return at least one unit of a line",
            ));
        }
        // No line was sold u32::MAX times: a sum that gets there is refused
        // as `already_returned` (or flagged), never wrapped.
        let units = merged.entry(l.line).or_insert(0);
        *units = units.saturating_add(l.qty);
    }
    Ok(OriginalRef {
        till: o.till,
        number: o.number,
        id: o.id,
        lines: merged
            .into_iter()
            .map(|(line, qty)| LineUnits { line, qty })
            .collect(),
    })
}

/// A `return` event body: a receipt with negative amounts (the sale body's
/// fields), `bonus_used` ≤ 0 (bonus given back), `bonus_earned` ≤ 0 (earned
/// bonus taken back), and the original sale it returns, when the till knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnBody {
    pub receipt: SaleBody,
    /// None in returns written before returns named their original: no unit
    /// accounting for those.
    pub original: Option<OriginalRef>,
}

/// Checks a `return` body; `at` names it in errors (`events[0].body`).
pub fn parse_return(at: &str, body: Value) -> Result<ReturnBody, BadRequest> {
    let original = match body.get("original") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let field = format!("{at}.original");
            Some(check_original(&field, from_value_at(&field, v.clone())?)?)
        }
    };
    let receipt: SaleBody = from_value_at(at, body)?;
    if receipt.bonus_used.0.is_positive() {
        return Err(BadRequest::new(
            format!("{at}.bonus_used"),
            "a return gives bonus back: bonus_used is zero or negative",
        ));
    }
    if receipt.bonus_earned.0.is_positive() {
        return Err(BadRequest::new(
            format!("{at}.bonus_earned"),
            "a return takes earned bonus back: bonus_earned is zero or negative",
        ));
    }
    Ok(ReturnBody { receipt, original })
}

/// A checked `POST …/returns` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRequest {
    /// The return's uuid; the `return` event with this id confirms the hold.
    pub id: String,
    pub original: OriginalRef,
    /// Canonical digest of the body: a retry with the same body is the same hold.
    pub digest: String,
}

#[derive(Deserialize)]
struct HoldIn {
    id: String,
    original: Value,
}

pub fn parse_hold(bytes: &[u8]) -> Result<HoldRequest, BadRequest> {
    let root = parse_json(bytes)?;
    let digest = digest_of(&root);
    let h: HoldIn = from_value_at("", root)?;
    if h.id.is_empty() || h.id.len() > 64 {
        return Err(BadRequest::new(
            "id",
            "the hold id is the return's uuid (1–64 characters)",
        ));
    }
    let original = check_original("original", from_value_at("original", h.original)?)?;
    Ok(HoldRequest {
        id: h.id,
        original,
        digest,
    })
}

/// `{till}/{number}/`: every hold item of one original sale starts so.
pub fn item_prefix(till: &str, number: u64) -> String {
    format!("{till}/{number}/")
}

/// The rows a granted hold stores.
pub fn hold_items(h: &HoldRequest) -> Vec<HoldItem> {
    let prefix = item_prefix(&h.original.till, h.original.number);
    h.original
        .lines
        .iter()
        .map(|l| HoldItem {
            kind: HOLD_RETURN,
            item: format!("{prefix}{}", l.line),
            n: i64::from(l.qty),
            ore: 0,
        })
        .collect()
}

/// Units per 1-based line of one original sale.
pub type Units = BTreeMap<u32, u64>;

/// Adds a summed row (`item_ref`, units) of the holds query to `units`.
pub fn add_held(units: &mut Units, prefix: &str, item_ref: &str, n: i64) {
    if let Some(line) = item_ref
        .strip_prefix(prefix)
        .and_then(|l| l.parse::<u32>().ok())
    {
        let u = units.entry(line).or_insert(0);
        *u = u.saturating_add(u64::try_from(n).unwrap_or(0));
    }
}

/// Sums two counts per line.
pub fn plus(a: &Units, b: &Units) -> Units {
    let mut out = a.clone();
    for (line, n) in b {
        let u = out.entry(*line).or_insert(0);
        *u = u.saturating_add(*n);
    }
    out
}

/// What the ledger knows of an original sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalFacts {
    /// The sale's uuid (its event id).
    pub id: String,
    /// The till's own calendar day of the sale (the bonus rule's date).
    pub date: NaiveDate,
    /// Units sold per line, line 1 first.
    pub sold: Vec<u32>,
}

#[derive(Deserialize)]
struct SoldLine {
    qty: u32,
}

#[derive(Deserialize)]
struct SoldLines {
    lines: Vec<SoldLine>,
}

impl OriginalFacts {
    /// From a stored `sale` event: its id, `at` as the till wrote it, its body.
    pub fn from_stored(id: String, at: &str, body: &str) -> Result<OriginalFacts, LedgerError> {
        let date = DateTime::parse_from_rfc3339(at)
            .map_err(|e| LedgerError::Corrupt(format!("sale {id}: time `{at}`: {e}")))?
            .date_naive();
        let lines: SoldLines = serde_json::from_str(body)
            .map_err(|e| LedgerError::Corrupt(format!("sale {id}: body: {e}")))?;
        Ok(OriginalFacts {
            id,
            date,
            sold: lines.lines.into_iter().map(|l| l.qty).collect(),
        })
    }

    fn of_event(e: &Event, sale: &SaleBody) -> OriginalFacts {
        OriginalFacts {
            id: e.id.clone(),
            date: e.at.date_naive(),
            sold: sale.lines.iter().map(|l| l.qty).collect(),
        }
    }
}

/// Why a hold is refused (409).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldRefusal {
    /// Some units asked for were returned (or are held) already.
    AlreadyReturned,
    /// The ledger has no such sale, or the sale has no such line.
    NoSuchSale,
}

impl HoldRefusal {
    pub fn code(self) -> &'static str {
        match self {
            HoldRefusal::AlreadyReturned => "already_returned",
            HoldRefusal::NoSuchSale => "no_such_sale",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    Granted,
    Refused(HoldRefusal),
}

/// Whether `wanted` can be held: every line exists, and of each the units
/// sold less those returned and held by others cover what is asked.
pub fn check_hold(
    facts: Option<&OriginalFacts>,
    taken: &Units,
    wanted: &[LineUnits],
) -> Result<(), HoldRefusal> {
    let facts = facts.ok_or(HoldRefusal::NoSuchSale)?;
    let sold = |line: u32| {
        usize::try_from(line)
            .ok()
            .and_then(|l| facts.sold.get(l.checked_sub(1)?))
            .copied()
    };
    if wanted.iter().any(|l| sold(l.line).is_none()) {
        return Err(HoldRefusal::NoSuchSale);
    }
    for l in wanted {
        let left = u64::from(sold(l.line).unwrap_or(0))
            .saturating_sub(taken.get(&l.line).copied().unwrap_or(0));
        if left < u64::from(l.qty) {
            return Err(HoldRefusal::AlreadyReturned);
        }
    }
    Ok(())
}

/// An original sale for `GET …/sales/{till}/{number}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalSale {
    pub id: String,
    pub till: String,
    pub number: u64,
    /// As the till wrote it.
    pub at: String,
    /// The stored sale body.
    pub body: String,
    /// Units returned (applied returns of every till) and held (live holds).
    pub returned: Units,
}

/// A `sale_index` row: the uploading till's sale `number` is event `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexRow {
    pub number: i64,
    pub seq: i64,
}

/// A `return_unit` row: units of an original line a return event took back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRow {
    pub seq: i64,
    pub event_id: String,
    pub orig_till: String,
    pub orig_number: i64,
    pub line: i64,
    pub qty: i64,
}

/// The originals of one upload batch and the units returned of them,
/// loaded in its transaction and changed as its events apply.
#[derive(Debug, Default)]
pub struct ReturnState {
    /// The uploading till (its sales' numbers are in its series).
    pub till: String,
    originals: HashMap<(String, u64), Option<OriginalFacts>>,
    returned: HashMap<(String, u64), Units>,
    /// Rows to write when the batch is applied.
    pub new_index: Vec<IndexRow>,
    pub new_units: Vec<UnitRow>,
}

impl ReturnState {
    /// The (till, number) keys the events of `till` need: their own sales'
    /// numbers (a number already used keeps its first sale) and the
    /// originals their returns name.
    pub fn keys(till: &str, events: &[Event]) -> BTreeSet<(String, u64)> {
        let mut keys = BTreeSet::new();
        for e in events {
            if let Some(s) = &e.sale {
                keys.insert((till.to_string(), s.number));
            }
            if let Some(o) = e.ret.as_ref().and_then(|r| r.original.as_ref()) {
                keys.insert((o.till.clone(), o.number));
            }
        }
        keys
    }

    /// Adds what the database holds for an original: its facts (None: no
    /// such sale) and the units applied returns recorded.
    pub fn load(&mut self, key: (String, u64), facts: Option<OriginalFacts>, returned: Units) {
        self.originals.insert(key.clone(), facts);
        self.returned.insert(key, returned);
    }

    /// A sale applied: later returns in the batch find it.
    fn sale_applied(&mut self, e: &Event, sale: &SaleBody) {
        let Ok(number) = i64::try_from(sale.number) else {
            return;
        };
        let slot = self
            .originals
            .entry((self.till.clone(), sale.number))
            .or_default();
        if slot.is_none() {
            *slot = Some(OriginalFacts::of_event(e, sale));
            self.new_index.push(IndexRow { number, seq: e.seq });
        }
    }

    /// Records a return's units and flags what does not add up; the date of
    /// the original when the ledger has it.
    fn return_applied(
        &mut self,
        e: &Event,
        o: &OriginalRef,
        flags: &mut BTreeSet<FlagKind>,
    ) -> Option<NaiveDate> {
        let key = (o.till.clone(), o.number);
        let known = self
            .originals
            .get(&key)
            .and_then(Option::as_ref)
            .filter(|f| o.id.as_deref().is_none_or(|id| id == f.id));
        if known.is_none() {
            flags.insert(FlagKind::UnknownOriginal);
        }
        let date = known.map(|f| f.date);
        let sold = known.map(|f| f.sold.clone());
        let units = self.returned.entry(key).or_default();
        for l in &o.lines {
            let total = units.entry(l.line).or_insert(0);
            *total = total.saturating_add(u64::from(l.qty));
            if let Some(sold) = &sold {
                let of_line = usize::try_from(l.line)
                    .ok()
                    .and_then(|i| sold.get(i.checked_sub(1)?))
                    .copied()
                    .unwrap_or(0);
                if *total > u64::from(of_line) {
                    flags.insert(FlagKind::ReturnExceedsSale);
                }
            }
            self.new_units.push(UnitRow {
                seq: e.seq,
                event_id: e.id.clone(),
                orig_till: o.till.clone(),
                orig_number: i64::try_from(o.number).unwrap_or(i64::MAX),
                line: i64::from(l.line),
                qty: i64::from(l.qty),
            });
        }
        date
    }
}

/// What the rule gives on a return's lines (their amounts made positive) on
/// `date`: the most earned bonus the return may take back. None past the
/// range of money.
pub fn bonus_back_allowed(lines: &[LineIn], catalog: &Catalog, date: NaiveDate) -> Option<Money> {
    bonus_earned(
        lines.iter().map(|l| EarningLine {
            sku: &l.sku,
            weighed: l.grams.is_some() && catalog.product(&l.sku).is_some_and(Product::is_weighed),
            amount: (-l.amount.0).max(Money::ZERO),
        }),
        catalog,
        date,
    )
}

/// A sale was applied: its number is now findable.
pub fn apply_sale(state: &mut EntityState, e: &Event, sale: &SaleBody) {
    state.returns.sale_applied(e, sale);
}

/// A return happened: its units are recorded against the original, the
/// member gets back the bonus spent (`-bonus_used`) and loses the earned
/// bonus taken back (`-bonus_earned`, at most what the rule gives on the
/// returned lines on the original's date). Conflicts are flags.
pub fn apply_return(
    state: &mut EntityState,
    e: &Event,
    r: &ReturnBody,
    flags: &mut BTreeSet<FlagKind>,
) {
    let date = r
        .original
        .as_ref()
        .and_then(|o| state.returns.return_applied(e, o, flags))
        .unwrap_or_else(|| e.at.date_naive());
    let receipt = &r.receipt;
    let given = -receipt.bonus_used.0;
    let claim = -receipt.bonus_earned.0;
    let taken = if claim.is_zero() {
        Money::ZERO
    } else {
        match bonus_back_allowed(&receipt.lines, state.catalog(), date) {
            None => {
                flags.insert(FlagKind::AmountOverflow);
                Money::ZERO
            }
            Some(allowed) if claim > allowed => {
                flags.insert(FlagKind::BonusClaimMismatch);
                allowed
            }
            Some(_) => claim,
        }
    };
    let Some(id) = receipt.member.as_deref() else {
        // Bonus given back to no one, or taken back from no one.
        if given.is_positive() {
            flags.insert(FlagKind::UnknownMember);
        }
        if claim.is_positive() {
            flags.insert(FlagKind::BonusClaimMismatch);
        }
        return;
    };
    let Some(m) = state.member_mut(id) else {
        flags.insert(FlagKind::UnknownMember);
        return;
    };
    if given.is_zero() && taken.is_zero() {
        return;
    }
    match m
        .bonus
        .0
        .checked_add(given)
        .and_then(|b| b.checked_sub(taken))
    {
        Some(b) => {
            // The member spent bonus that the return now takes back.
            if taken.is_positive() && b.is_negative() {
                flags.insert(FlagKind::BonusOverdrawn);
            }
            m.bonus = Amount(b);
            state.touch(EntityKind::Member, id);
        }
        None => {
            flags.insert(FlagKind::AmountOverflow);
        }
    }
}

#[cfg(test)]
mod tests;
