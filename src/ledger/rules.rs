//! The ledger's rules: how an uploaded batch is classified, what a sale does
//! to coupons, cards and bonus, which conflicts are flagged, and whether a
//! reservation can be granted. Pure: the storage backends load the facts,
//! call these functions inside their transaction and write what comes back.

use crate::domain::{Campaign, Catalog, Money, Product, Settings};
use crate::ledger::LedgerError;
use crate::ledger::bonus::{self, Credit};
use crate::ledger::records::{
    CardRecord, CouponRecord, EntityKind, EntityWrite, MemberRecord, campaign_from_data,
    parse_record, product_from_data, settings_from_data,
};
use crate::ledger::returns::{self, ReturnState};
use crate::ledger::wire::{
    Amount, Event, EventResult, EventStatus, FlagKind, Reservation, SaleBody, canonical_json,
};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// An event stamped this far ahead of the ledger's clock is flagged
/// `clock_skew`. Tills sync their clocks by NTP; ten minutes is well past
/// drift and well short of a wrong time zone (an hour). Events from the past
/// are normal (offline queues) and not flagged.
pub const CLOCK_SKEW_LIMIT: TimeDelta = TimeDelta::minutes(10);

/// A reservation not confirmed by its `sale` within this time lapses.
pub const RESERVATION_TTL: TimeDelta = TimeDelta::minutes(10);

/// What the ledger already stores for a seq.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub digest: String,
    pub flags: Vec<FlagKind>,
}

/// Why a whole batch is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The batch starts past the next expected seq (409).
    Gap { expected: i64 },
    /// A stored seq came again with other content (422, alarm).
    Mismatch { seq: i64 },
}

/// A batch that can be applied: replies for the duplicates, and where the
/// new events start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchCheck {
    pub duplicates: Vec<EventResult>,
    pub first_new: usize,
}

/// The seqs of `events` (sorted, gap-free) that the ledger already has.
pub fn stored_seqs(acked: i64, events: &[Event]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e.seq)
        .take_while(|&s| s <= acked)
        .collect()
}

/// Classifies a batch against what is stored: duplicates, a gap, a mismatch.
pub fn check_batch(
    acked: i64,
    events: &[Event],
    stored: &HashMap<i64, StoredEvent>,
) -> Result<BatchCheck, Refusal> {
    let mut duplicates = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.seq > acked {
            if e.seq != acked + 1 {
                return Err(Refusal::Gap {
                    expected: acked + 1,
                });
            }
            return Ok(BatchCheck {
                duplicates,
                first_new: i,
            });
        }
        match stored.get(&e.seq) {
            Some(s) if s.digest == e.digest => duplicates.push(EventResult {
                seq: e.seq,
                status: EventStatus::Duplicate,
                flags: s.flags.clone(),
            }),
            _ => return Err(Refusal::Mismatch { seq: e.seq }),
        }
    }
    Ok(BatchCheck {
        first_new: events.len(),
        duplicates,
    })
}

/// The ids of members, coupons, cards and products that `events` touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub members: BTreeSet<String>,
    pub coupons: BTreeSet<String>,
    pub cards: BTreeSet<String>,
    /// The skus of the sales' lines (the bonus check).
    pub products: BTreeSet<String>,
    /// Campaigns and settings too: every kind in [`Needs::CATALOG`].
    pub catalog: bool,
}

impl Needs {
    /// Loaded whole when `catalog` is set (a handful of rows).
    pub const CATALOG: [EntityKind; 2] = [EntityKind::Campaign, EntityKind::Settings];

    /// What the sales and returns among `events` touch.
    pub fn of_events(events: &[Event]) -> Needs {
        Needs::of_sales(events.iter().filter_map(|e| {
            e.sale
                .as_ref()
                .or_else(|| e.ret.as_ref().map(|r| &r.receipt))
        }))
    }

    pub fn of_sales<'a>(sales: impl IntoIterator<Item = &'a SaleBody>) -> Needs {
        let mut n = Needs::default();
        for s in sales {
            n.catalog = true;
            n.members.extend(s.member.iter().cloned());
            n.coupons.extend(s.coupons.iter().cloned());
            n.cards.extend(s.clips.iter().map(|c| c.card.clone()));
            n.products.extend(s.lines.iter().map(|l| l.sku.clone()));
        }
        n
    }

    pub fn of_reservation(r: &Reservation) -> Needs {
        Needs {
            members: r.bonus.iter().map(|b| b.member.clone()).collect(),
            coupons: r.coupons.iter().cloned().collect(),
            cards: r.clips.iter().map(|c| c.card.clone()).collect(),
            ..Needs::default()
        }
    }

    /// `(kind, id)` pairs to load.
    pub fn keys(&self) -> Vec<(EntityKind, &str)> {
        self.by_kind()
            .into_iter()
            .flat_map(|(kind, ids)| ids.iter().map(move |id| (kind, id.as_str())))
            .collect()
    }

    /// The ids to load, per kind.
    pub fn by_kind(&self) -> [(EntityKind, &BTreeSet<String>); 4] {
        [
            (EntityKind::Member, &self.members),
            (EntityKind::Coupon, &self.coupons),
            (EntityKind::Card, &self.cards),
            (EntityKind::Product, &self.products),
        ]
    }
}

/// Members, coupons and cards loaded for one transaction, changed in memory
/// and written back once. `None`: the ledger has no such entity.
#[derive(Debug, Default)]
pub struct EntityState {
    members: HashMap<String, Option<MemberRecord>>,
    coupons: HashMap<String, Option<CouponRecord>>,
    cards: HashMap<String, Option<CardRecord>>,
    dirty: Vec<(EntityKind, String)>,
    products: Vec<Product>,
    campaigns: Vec<Campaign>,
    settings: Option<Settings>,
    /// Built from the three above on first use.
    catalog: Option<Catalog>,
    /// Original sales and units returned of them.
    pub returns: ReturnState,
}

impl EntityState {
    /// Adds what the database holds for `(kind, id)`: its document, or None.
    pub fn load(
        &mut self,
        kind: EntityKind,
        id: &str,
        data: Option<&str>,
    ) -> Result<(), LedgerError> {
        match kind {
            EntityKind::Member => {
                let r = data.map(|d| parse_record(kind, id, d)).transpose()?;
                self.members.insert(id.to_string(), r);
            }
            EntityKind::Coupon => {
                let r = data.map(|d| parse_record(kind, id, d)).transpose()?;
                self.coupons.insert(id.to_string(), r);
            }
            EntityKind::Card => {
                let r = data.map(|d| parse_record(kind, id, d)).transpose()?;
                self.cards.insert(id.to_string(), r);
            }
            EntityKind::Product | EntityKind::Campaign | EntityKind::Settings => {
                let Some(text) = data else { return Ok(()) };
                let v: serde_json::Value = parse_record(kind, id, text)?;
                let unreadable =
                    || LedgerError::Corrupt(format!("{kind} `{id}` is not a {kind} document"));
                match kind {
                    EntityKind::Product => {
                        self.products
                            .push(product_from_data(&v).ok_or_else(unreadable)?);
                    }
                    EntityKind::Campaign => {
                        self.campaigns
                            .push(campaign_from_data(&v).ok_or_else(unreadable)?);
                    }
                    _ => self.settings = Some(settings_from_data(&v).ok_or_else(unreadable)?),
                }
                self.catalog = None;
            }
            EntityKind::Key => {}
        }
        Ok(())
    }

    /// The loaded products, campaigns and settings as the till's catalog
    /// type (the settings' defaults when none were imported).
    pub fn catalog(&mut self) -> &Catalog {
        self.catalog.get_or_insert_with(|| {
            Catalog::new(
                self.products.clone(),
                self.campaigns.clone(),
                self.settings.clone().unwrap_or_default(),
            )
        })
    }

    pub fn member(&self, id: &str) -> Option<&MemberRecord> {
        self.members.get(id).and_then(Option::as_ref)
    }

    pub fn coupon(&self, id: &str) -> Option<&CouponRecord> {
        self.coupons.get(id).and_then(Option::as_ref)
    }

    pub fn card(&self, id: &str) -> Option<&CardRecord> {
        self.cards.get(id).and_then(Option::as_ref)
    }

    pub(crate) fn member_mut(&mut self, id: &str) -> Option<&mut MemberRecord> {
        self.members.get_mut(id).and_then(Option::as_mut)
    }

    pub(crate) fn touch(&mut self, kind: EntityKind, id: &str) {
        if !self.dirty.iter().any(|(k, i)| *k == kind && i == id) {
            self.dirty.push((kind, id.to_string()));
        }
    }

    /// The changed entities, in the order they were first changed.
    pub fn writes(&self) -> Vec<EntityWrite> {
        self.dirty
            .iter()
            .filter_map(|(kind, id)| {
                let doc = match kind {
                    EntityKind::Member => to_doc(self.member(id)),
                    EntityKind::Coupon => to_doc(self.coupon(id)),
                    EntityKind::Card => to_doc(self.card(id)),
                    _ => None,
                }?;
                Some(EntityWrite {
                    kind: *kind,
                    id: id.clone(),
                    data: Some(doc),
                })
            })
            .collect()
    }
}

fn to_doc<T: Serialize>(r: Option<&T>) -> Option<String> {
    let v = serde_json::to_value(r?).ok()?;
    Some(canonical_json(&v))
}

/// Applies one new event in seq order and returns its flags. Only `sale`
/// and `return` change stored value; every kind can be flagged `clock_skew`.
pub fn apply_event(state: &mut EntityState, e: &Event, now: DateTime<Utc>) -> Vec<FlagKind> {
    let mut flags = BTreeSet::new();
    if e.at.with_timezone(&Utc) > now + CLOCK_SKEW_LIMIT {
        flags.insert(FlagKind::ClockSkew);
    }
    if let Some(sale) = &e.sale {
        // The till's own calendar day, as it decided student status.
        apply_sale(state, sale, e.at.date_naive(), &mut flags);
        returns::apply_sale(state, e, sale);
    }
    if let Some(r) = &e.ret {
        returns::apply_return(state, e, r, &mut flags);
    }
    flags.into_iter().collect()
}

/// A sale happened, so its effects are applied whatever the balances say;
/// a conflict becomes a flag for staff. Its bonus claim is checked against
/// the rules ([`bonus::credit`]) and every sum is checked: a till cannot
/// credit what the sale did not earn, nor push a balance out of range.
fn apply_sale(
    state: &mut EntityState,
    sale: &SaleBody,
    date: NaiveDate,
    flags: &mut BTreeSet<FlagKind>,
) {
    let used = sale.bonus_used.0;
    match sale.member.as_deref() {
        Some(id) => match state.member(id).map(|m| bonus::is_student_on(m, date)) {
            Some(student) => {
                let earned = match bonus::credit(sale, student, state.catalog(), date) {
                    Credit::Agreed(m) => m,
                    Credit::Mismatch(m) => {
                        flags.insert(FlagKind::BonusClaimMismatch);
                        m
                    }
                    Credit::Overflow => {
                        flags.insert(FlagKind::AmountOverflow);
                        Money::ZERO
                    }
                };
                if let Some(m) = state.members.get_mut(id).and_then(Option::as_mut) {
                    if used.is_positive() && used > m.bonus.0 {
                        flags.insert(FlagKind::BonusOverdrawn);
                    }
                    if used.is_positive() || earned.is_positive() {
                        match m
                            .bonus
                            .0
                            .checked_sub(used)
                            .and_then(|b| b.checked_add(earned))
                        {
                            Some(b) => {
                                m.bonus = Amount(b);
                                state.touch(EntityKind::Member, id);
                            }
                            None => {
                                flags.insert(FlagKind::AmountOverflow);
                            }
                        }
                    }
                }
            }
            None => {
                flags.insert(FlagKind::UnknownMember);
            }
        },
        None => {
            // Bonus spent with no member attached cannot be charged to anyone.
            if used.is_positive() {
                flags.insert(FlagKind::UnknownMember);
            }
            // Nor can bonus be earned by no one.
            if !sale.bonus_earned.0.is_zero() {
                flags.insert(FlagKind::BonusClaimMismatch);
            }
        }
    }
    let mut seen = HashSet::new();
    for coupon in &sale.coupons {
        if !seen.insert(coupon.as_str()) {
            flags.insert(FlagKind::CouponDoubleRedeemed);
            continue;
        }
        match state.coupons.get_mut(coupon).and_then(Option::as_mut) {
            Some(c) if c.used => {
                flags.insert(FlagKind::CouponDoubleRedeemed);
            }
            Some(c) => {
                c.used = true;
                state.touch(EntityKind::Coupon, coupon);
            }
            None => {
                // A coupon the ledger never issued (an app code it has not
                // imported): record it as used so a second use is caught.
                let sku = sale
                    .lines
                    .iter()
                    .find(|l| l.discount_ref.as_deref() == Some(coupon))
                    .map(|l| l.sku.clone())
                    .unwrap_or_default();
                state.coupons.insert(
                    coupon.clone(),
                    Some(CouponRecord {
                        id: coupon.clone(),
                        member: sale.member.clone().unwrap_or_default(),
                        sku,
                        valid_until: None,
                        used: true,
                    }),
                );
                state.touch(EntityKind::Coupon, coupon);
            }
        }
    }
    for clip in &sale.clips {
        match state.cards.get_mut(&clip.card).and_then(Option::as_mut) {
            Some(card) => {
                if card.clips < clip.n {
                    flags.insert(FlagKind::CardOverdrawn);
                }
                card.clips = card.clips.saturating_sub(clip.n);
                state.touch(EntityKind::Card, &clip.card);
            }
            // No card, no clips: the coffee was given on a card the ledger
            // cannot charge.
            None => {
                flags.insert(FlagKind::CardOverdrawn);
            }
        }
    }
}

/// Why a reservation is refused (409).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationRefusal {
    CouponUsed,
    CardEmpty,
    BonusInsufficient,
}

impl ReservationRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ReservationRefusal::CouponUsed => "coupon_used",
            ReservationRefusal::CardEmpty => "card_empty",
            ReservationRefusal::BonusInsufficient => "bonus_insufficient",
        }
    }
}

/// Stored value held by other live (unconfirmed, unexpired) reservations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holds {
    pub coupons: HashSet<String>,
    pub clips: HashMap<String, u32>,
    pub bonus: HashMap<String, Money>,
}

impl Holds {
    /// Adds one summed row of the holds query: `kind` is an item kind of
    /// [`hold_items`], `n` clips (or 1 per coupon), `ore` bonus.
    pub fn add(&mut self, kind: &str, item: String, n: i64, ore: i64) {
        match kind {
            HOLD_COUPON if n > 0 => {
                self.coupons.insert(item);
            }
            HOLD_CARD => {
                let held = self.clips.entry(item).or_default();
                *held = held.saturating_add(u32::try_from(n.max(0)).unwrap_or(u32::MAX));
            }
            HOLD_BONUS => {
                let held = self.bonus.entry(item).or_insert(Money::ZERO);
                // Holds are capped at MAX_BONUS_HOLD_ORE each; a sum past the
                // range of money still holds everything.
                *held = held
                    .checked_add(crate::ledger::records::from_ore(ore))
                    .unwrap_or(Money::MAX);
            }
            _ => {}
        }
    }
}

/// The most bonus one reservation may hold (ten billion kroner): far past
/// any balance, and small enough that the øre of many holds sum in 64 bits.
pub const MAX_BONUS_HOLD_ORE: i64 = 1_000_000_000_000;

pub const HOLD_COUPON: &str = "coupon";
pub const HOLD_CARD: &str = "card";
pub const HOLD_BONUS: &str = "bonus";

/// One row of a reservation's holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldItem {
    pub kind: &'static str,
    pub item: String,
    pub n: i64,
    pub ore: i64,
}

/// The rows a granted reservation stores.
pub fn hold_items(r: &Reservation) -> Vec<HoldItem> {
    let mut out: Vec<HoldItem> = r
        .coupons
        .iter()
        .map(|c| HoldItem {
            kind: HOLD_COUPON,
            item: c.clone(),
            n: 1,
            ore: 0,
        })
        .collect();
    out.extend(r.clips.iter().map(|c| HoldItem {
        kind: HOLD_CARD,
        item: c.card.clone(),
        n: i64::from(c.n),
        ore: 0,
    }));
    if let Some(b) = &r.bonus
        && b.amount.0.is_positive()
    {
        out.push(HoldItem {
            kind: HOLD_BONUS,
            item: b.member.clone(),
            n: 0,
            ore: crate::ledger::records::ore(b.amount.0),
        });
    }
    out
}

/// Whether `r` can be granted on top of the balances and the other holds.
/// Checked in the order coupon, card, bonus (the reply gives the first).
pub fn check_reservation(
    state: &EntityState,
    holds: &Holds,
    r: &Reservation,
) -> Result<(), ReservationRefusal> {
    for id in &r.coupons {
        // An unknown coupon is granted like an unused one: the till checked
        // its signature, and the hold stops a second till meanwhile.
        let used = state.coupon(id).is_some_and(|c| c.used);
        if used || holds.coupons.contains(id) {
            return Err(ReservationRefusal::CouponUsed);
        }
    }
    for clip in &r.clips {
        let left = state.card(&clip.card).map_or(0, |c| c.clips);
        let held = holds.clips.get(&clip.card).copied().unwrap_or(0);
        if left.saturating_sub(held) < clip.n {
            return Err(ReservationRefusal::CardEmpty);
        }
    }
    if let Some(b) = &r.bonus
        && b.amount.0.is_positive()
    {
        let Some(m) = state.member(&b.member) else {
            return Err(ReservationRefusal::BonusInsufficient);
        };
        let held = holds.bonus.get(&b.member).copied().unwrap_or(Money::ZERO);
        let free = m.bonus.0.checked_sub(held);
        if b.amount.0 > Money::from_ore(MAX_BONUS_HOLD_ORE) || free.is_none_or(|f| f < b.amount.0) {
            return Err(ReservationRefusal::BonusInsufficient);
        }
    }
    Ok(())
}

/// The upload reply's results: duplicates then applied events, in seq order.
pub fn results(check: BatchCheck, applied: Vec<(i64, Vec<FlagKind>)>) -> Vec<EventResult> {
    let mut out = check.duplicates;
    out.extend(applied.into_iter().map(|(seq, flags)| EventResult {
        seq,
        status: EventStatus::Applied,
        flags,
    }));
    out
}

/// The flags column of an event row: `["card_overdrawn"]`.
pub fn flags_text(flags: &[FlagKind]) -> String {
    let codes: Vec<&str> = flags.iter().map(|f| f.code()).collect();
    serde_json::Value::from(codes).to_string()
}

pub fn parse_flags(text: &str) -> Result<Vec<FlagKind>, LedgerError> {
    let codes: Vec<String> = serde_json::from_str(text)
        .map_err(|e| LedgerError::Corrupt(format!("event flags `{text}`: {e}")))?;
    codes
        .iter()
        .map(|c| {
            FlagKind::parse(c).ok_or_else(|| LedgerError::Corrupt(format!("unknown flag `{c}`")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::wire::parse_upload;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-23T10:30:00Z".parse().unwrap()
    }

    fn sale(seq: i64, at: &str, body_patch: serde_json::Value) -> Event {
        let mut body = json!({
            "number": seq, "member": "M-1", "total": "25.00",
            // 250 g at 100.00/kg: 25.00, 3 % of it is the 0.75 earned.
            "lines": [{"sku": "VEKT", "qty": 1, "grams": 250, "unit_price": "100.00",
                       "discount": "0.00", "discount_kind": null, "discount_ref": null,
                       "amount": "25.00"}],
            "tenders": [], "rounding": "0.00", "vat": [],
            "bonus_earned": "0.75", "bonus_balance": null,
            "coupons": [], "clips": [], "bonus_used": "0.00"
        });
        for (k, v) in body_patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let upload = json!({"events": [{"seq": seq, "id": format!("s{seq}"), "kind": "sale",
                                        "at": at, "offline": true, "body": body}]});
        parse_upload(upload.to_string().as_bytes())
            .unwrap()
            .remove(0)
    }

    fn state() -> EntityState {
        let mut s = EntityState::default();
        s.load(
            EntityKind::Member,
            "M-1",
            Some(
                r#"{"id":"M-1","name":"Ola","student":true,"student_until":"2027-02-01","bonus":"10.00"}"#,
            ),
        )
        .unwrap();
        s.load(
            EntityKind::Coupon,
            "CP-1",
            Some(r#"{"id":"CP-1","member":"M-1","sku":"KAFFE","valid_until":null,"used":false}"#),
        )
        .unwrap();
        s.load(
            EntityKind::Card,
            "KK-1",
            Some(r#"{"id":"KK-1","member":"M-1","clips":1}"#),
        )
        .unwrap();
        s.load(EntityKind::Member, "M-404", None).unwrap();
        s.load(
            EntityKind::Product,
            "VEKT",
            Some(r#"{"sku":"VEKT","name":"Middag","price_per_kg":"100.00","tare_g":0,"vat":"15","coffee":false,"barcodes":[]}"#),
        )
        .unwrap();
        s
    }

    const AT: &str = "2026-11-23T11:31:07+01:00";

    #[test]
    fn sale_effects_and_flags() {
        let table: [(serde_json::Value, &[FlagKind]); 7] = [
            (json!({}), &[]),
            (json!({"bonus_used": "10.00"}), &[]),
            (json!({"bonus_used": "10.01"}), &[FlagKind::BonusOverdrawn]),
            (json!({"member": "M-404"}), &[FlagKind::UnknownMember]),
            (
                json!({"member": null, "bonus_used": "1.00", "bonus_earned": "0.00"}),
                &[FlagKind::UnknownMember],
            ),
            (
                json!({"coupons": ["CP-1", "CP-1"]}),
                &[FlagKind::CouponDoubleRedeemed],
            ),
            (
                json!({"clips": [{"card": "KK-1", "n": 2}]}),
                &[FlagKind::CardOverdrawn],
            ),
        ];
        for (patch, expected) in table {
            let mut s = state();
            let flags = apply_event(&mut s, &sale(1, AT, patch.clone()), now());
            assert_eq!(flags, expected, "{patch}");
        }
    }

    #[test]
    fn forged_claims_and_overflow_are_flagged_not_credited() {
        let huge = "79228162514264337593543950335.00";
        let edge = "792281625142643375935439503.35";
        let table: [(serde_json::Value, &[FlagKind], &str); 5] = [
            // The claim is not what 250 g earns: 0.75 is credited.
            (
                json!({"bonus_earned": huge}),
                &[FlagKind::BonusClaimMismatch],
                "10.75",
            ),
            (
                json!({"bonus_earned": edge}),
                &[FlagKind::BonusClaimMismatch],
                "10.75",
            ),
            (
                json!({"bonus_earned": "0.50"}),
                &[FlagKind::BonusClaimMismatch],
                "10.50",
            ),
            (
                json!({"bonus_used": huge}),
                &[FlagKind::BonusOverdrawn, FlagKind::AmountOverflow],
                "10.00",
            ),
            (
                json!({"member": null, "bonus_earned": "1.00"}),
                &[FlagKind::BonusClaimMismatch],
                "10.00",
            ),
        ];
        for (patch, expected, balance) in table {
            let mut s = state();
            let flags = apply_event(&mut s, &sale(1, AT, patch.clone()), now());
            assert_eq!(flags, expected, "{patch}");
            assert_eq!(
                s.member("M-1").unwrap().bonus.0.to_string(),
                balance,
                "{patch}"
            );
        }
        // A balance at the edge of the range cannot be pushed past it.
        let mut s = state();
        s.load(
            EntityKind::Member,
            "M-1",
            Some(&format!(
                r#"{{"id":"M-1","name":"Ola","student":true,"student_until":"2027-02-01","bonus":"{edge}"}}"#
            )),
        )
        .unwrap();
        let flags = apply_event(&mut s, &sale(1, AT, json!({})), now());
        assert_eq!(flags, [FlagKind::AmountOverflow]);
        assert_eq!(s.member("M-1").unwrap().bonus.0.to_string(), edge);
        assert!(s.writes().is_empty());
    }

    #[test]
    fn second_use_is_flagged_once_and_balances_move() {
        let mut s = state();
        let use_all = json!({"coupons": ["CP-1"], "clips": [{"card": "KK-1", "n": 1}],
                             "bonus_used": "4.00"});
        assert_eq!(
            apply_event(&mut s, &sale(1, AT, use_all.clone()), now()),
            []
        );
        assert_eq!(s.member("M-1").unwrap().bonus.0.to_string(), "6.75");
        assert!(s.coupon("CP-1").unwrap().used);
        assert_eq!(s.card("KK-1").unwrap().clips, 0);
        assert_eq!(
            apply_event(&mut s, &sale(2, AT, use_all), now()),
            [FlagKind::CouponDoubleRedeemed, FlagKind::CardOverdrawn]
        );
        assert_eq!(s.card("KK-1").unwrap().clips, 0);
        let kinds: Vec<_> = s.writes().iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [EntityKind::Member, EntityKind::Coupon, EntityKind::Card]
        );
    }

    #[test]
    fn clock_skew_only_ahead() {
        let table = [
            ("2026-11-23T11:40:00+01:00", false), // 10 min ahead: allowed
            ("2026-11-23T11:40:01+01:00", true),
            ("2026-11-22T08:00:00+01:00", false), // a day old: an offline queue
        ];
        for (at, skew) in table {
            let flags = apply_event(&mut state(), &sale(1, at, json!({})), now());
            assert_eq!(flags.contains(&FlagKind::ClockSkew), skew, "{at}");
        }
    }

    #[test]
    fn batch_classification() {
        let a = sale(1, AT, json!({}));
        let b = sale(2, AT, json!({}));
        let stored = HashMap::from([(
            1,
            StoredEvent {
                digest: a.digest.clone(),
                flags: vec![FlagKind::ClockSkew],
            },
        )]);
        let ok = check_batch(1, &[a.clone(), b.clone()], &stored).unwrap();
        assert_eq!(ok.first_new, 1);
        assert_eq!(ok.duplicates[0].flags, [FlagKind::ClockSkew]);
        assert_eq!(
            check_batch(0, std::slice::from_ref(&b), &HashMap::new()),
            Err(Refusal::Gap { expected: 1 })
        );
        let other = sale(1, AT, json!({"total": "26.00"}));
        assert_eq!(
            check_batch(1, &[other, b], &stored),
            Err(Refusal::Mismatch { seq: 1 })
        );
    }

    #[test]
    fn reservations_respect_balances_and_holds() {
        let s = state();
        let r = |body: &str| crate::ledger::wire::parse_redeem(body.as_bytes()).unwrap();
        let none = Holds::default();
        let coupon = r(r#"{"id":"x","coupons":["CP-1"]}"#);
        assert_eq!(check_reservation(&s, &none, &coupon), Ok(()));
        let held = Holds {
            coupons: HashSet::from(["CP-1".to_string()]),
            clips: HashMap::from([("KK-1".to_string(), 1)]),
            bonus: HashMap::from([("M-1".to_string(), Money::from_ore(600))]),
        };
        let table = [
            (
                r#"{"id":"x","coupons":["CP-1"]}"#,
                Some(ReservationRefusal::CouponUsed),
            ),
            (r#"{"id":"x","coupons":["CP-9"]}"#, None),
            (
                r#"{"id":"x","clips":[{"card":"KK-1","n":1}]}"#,
                Some(ReservationRefusal::CardEmpty),
            ),
            (
                r#"{"id":"x","clips":[{"card":"KK-9","n":1}]}"#,
                Some(ReservationRefusal::CardEmpty),
            ),
            (
                r#"{"id":"x","bonus":{"member":"M-1","amount":"4.00"}}"#,
                None,
            ),
            (
                r#"{"id":"x","bonus":{"member":"M-1","amount":"4.01"}}"#,
                Some(ReservationRefusal::BonusInsufficient),
            ),
            (
                r#"{"id":"x","bonus":{"member":"M-404","amount":"1.00"}}"#,
                Some(ReservationRefusal::BonusInsufficient),
            ),
        ];
        for (body, expected) in table {
            assert_eq!(
                check_reservation(&s, &held, &r(body)).err(),
                expected,
                "{body}"
            );
        }
    }
}
