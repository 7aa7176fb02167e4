//! The JSON shapes of the till ⇄ ledger protocol (spec/ledger-api.md) and the
//! checks that turn a request body into typed values, with errors that name
//! the field (`events[3].body.bonus_used`). Pure: no I/O, no clock.

use crate::domain::Money;
use crate::ledger::returns::{ReturnBody, parse_return};
use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};

/// The most events one upload may carry.
pub const MAX_BATCH: usize = 1000;

/// The most coupons and clip uses one reservation may name (one sale).
pub const MAX_REDEEM_ITEMS: usize = 256;

/// A request body that does not have the documented shape (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BadRequest {
    /// Where in the body, e.g. `events[0].body.bonus_used`.
    pub field: String,
    pub message: String,
}

impl BadRequest {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> BadRequest {
        BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An amount as the protocol writes it: a string with exactly two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Money);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_amount(&s).map(Amount).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}` is not an amount with two decimals like \"12.40\""
            ))
        })
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// `-?digits.dd`, nothing else: the wire never carries "12.4" or "12".
pub fn parse_amount(s: &str) -> Option<Money> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.len() != 2 || !digits(frac) {
        return None;
    }
    s.parse().ok()
}

/// An RFC 3339 time with its offset, as the till's clock wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(Timestamp)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{s}` is not an RFC 3339 time like \"2026-11-23T11:31:07+01:00\""
                ))
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Sale,
    Return,
    Journal,
    ZReport,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Sale => "sale",
            EventKind::Return => "return",
            EventKind::Journal => "journal",
            EventKind::ZReport => "z_report",
        }
    }
}

/// A conflict found when a sale is applied; stored for staff, never a refusal.
///
/// The first five are spec/ledger-api.md's list. The last two are this
/// ledger's answer to a till it cannot trust (README, "Ledger flags"):
/// `bonus_claim_mismatch` — the sale's `bonus_earned` is not what its lines
/// earn by the catalog, rates and the member's student status (the smaller
/// of the two is credited); `amount_overflow` — applying the sale would take
/// an amount past the range of money (792281625142643375935439503.35), so
/// that balance is left as it was. `return_exceeds_sale` and
/// `unknown_original` are of returns (`ledger::returns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    CouponDoubleRedeemed,
    CardOverdrawn,
    BonusOverdrawn,
    UnknownMember,
    ClockSkew,
    BonusClaimMismatch,
    AmountOverflow,
    ReturnExceedsSale,
    UnknownOriginal,
}

impl FlagKind {
    pub const ALL: [FlagKind; 9] = [
        FlagKind::CouponDoubleRedeemed,
        FlagKind::CardOverdrawn,
        FlagKind::BonusOverdrawn,
        FlagKind::UnknownMember,
        FlagKind::ClockSkew,
        FlagKind::BonusClaimMismatch,
        FlagKind::AmountOverflow,
        FlagKind::ReturnExceedsSale,
        FlagKind::UnknownOriginal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FlagKind::CouponDoubleRedeemed => "coupon_double_redeemed",
            FlagKind::CardOverdrawn => "card_overdrawn",
            FlagKind::BonusOverdrawn => "bonus_overdrawn",
            FlagKind::UnknownMember => "unknown_member",
            FlagKind::ClockSkew => "clock_skew",
            FlagKind::BonusClaimMismatch => "bonus_claim_mismatch",
            FlagKind::AmountOverflow => "amount_overflow",
            FlagKind::ReturnExceedsSale => "return_exceeds_sale",
            FlagKind::UnknownOriginal => "unknown_original",
        }
    }

    pub fn parse(s: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|f| f.code() == s)
    }
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Clips taken from one coffee card.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClipUse {
    pub card: String,
    pub n: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LineIn {
    pub sku: String,
    pub qty: u32,
    pub grams: Option<u32>,
    pub unit_price: Amount,
    pub discount: Amount,
    pub discount_kind: Option<String>,
    pub discount_ref: Option<String>,
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TenderIn {
    pub kind: String,
    pub amount: Amount,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct VatIn {
    pub rate: String,
    pub gross: Amount,
    pub net: Amount,
    pub vat: Amount,
}

/// A `sale` event body: the receipt of spec/replay.md plus its effects on
/// stored value. Unknown extra fields are kept (stored verbatim) and ignored.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SaleBody {
    pub number: u64,
    pub member: Option<String>,
    pub lines: Vec<LineIn>,
    pub total: Amount,
    pub tenders: Vec<TenderIn>,
    pub rounding: Amount,
    pub vat: Vec<VatIn>,
    pub bonus_earned: Amount,
    pub bonus_balance: Option<Amount>,
    pub coupons: Vec<String>,
    pub clips: Vec<ClipUse>,
    pub bonus_used: Amount,
}

/// One uploaded event, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub kind: EventKind,
    pub at: DateTime<FixedOffset>,
    /// `at` exactly as the till wrote it.
    pub at_text: String,
    pub offline: bool,
    /// The body as sent (compact JSON), stored verbatim.
    pub body: String,
    /// The parsed body of a `sale`.
    pub sale: Option<SaleBody>,
    /// The parsed body of a `return`.
    pub ret: Option<ReturnBody>,
    /// SHA-256 (hex) of the whole event in canonical JSON: "same content".
    pub digest: String,
}

#[derive(Deserialize)]
struct UploadIn {
    events: Vec<Value>,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    seq: i64,
    id: String,
    kind: EventKind,
    at: Value,
    offline: bool,
    body: Value,
}

/// Checks an upload body: the shape of every event and of every sale body,
/// and that the seqs form one gap-free run. Events come back in seq order.
pub fn parse_upload(bytes: &[u8]) -> Result<Vec<Event>, BadRequest> {
    let root = parse_json(bytes)?;
    let upload: UploadIn = from_value_at("", root)?;
    if upload.events.len() > MAX_BATCH {
        return Err(BadRequest::new(
            "events",
            format!(
                "{} events in one batch; send at most {MAX_BATCH}",
                upload.events.len()
            ),
        ));
    }
    let mut events = Vec::with_capacity(upload.events.len());
    for (i, raw) in upload.events.into_iter().enumerate() {
        let at = format!("events[{i}]");
        let digest = digest_of(&raw);
        let env: EnvelopeIn = from_value_at(&at, raw)?;
        if env.seq < 1 {
            return Err(BadRequest::new(
                format!("{at}.seq"),
                "seq starts at 1 and is gap-free per till",
            ));
        }
        if env.id.is_empty() || env.id.len() > 64 {
            return Err(BadRequest::new(
                format!("{at}.id"),
                "an event id is 1–64 characters (the sale's uuid)",
            ));
        }
        let at_text = match &env.at {
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let time: Timestamp = from_value_at(&format!("{at}.at"), env.at)?;
        let (mut sale, mut ret) = (None, None);
        match env.kind {
            EventKind::Sale => sale = Some(parse_sale(&format!("{at}.body"), env.body.clone())?),
            EventKind::Return => {
                ret = Some(parse_return(&format!("{at}.body"), env.body.clone())?);
            }
            _ => {
                if !env.body.is_object() {
                    return Err(BadRequest::new(
                        format!("{at}.body"),
                        "the body of an event is a JSON object",
                    ));
                }
            }
        }
        events.push(Event {
            seq: env.seq,
            id: env.id,
            kind: env.kind,
            at: time.0,
            at_text,
            offline: env.offline,
            body: env.body.to_string(),
            sale,
            ret,
            digest,
        });
    }
    // Report a repeated or missing seq at the event that shows it.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].seq);
    for pair in order.windows(2) {
        let (a, b) = (&events[pair[0]], &events[pair[1]]);
        if b.seq == a.seq {
            return Err(BadRequest::new(
                format!("events[{}].seq", pair[1]),
                format!("seq {} appears twice in the batch", b.seq),
            ));
        }
        if b.seq != a.seq + 1 {
            return Err(BadRequest::new(
                format!("events[{}].seq", pair[1]),
                format!(
                    "a batch is one gap-free run of seqs, but {} follows {}",
                    b.seq, a.seq
                ),
            ));
        }
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

fn parse_sale(at: &str, body: Value) -> Result<SaleBody, BadRequest> {
    let sale: SaleBody = from_value_at(at, body)?;
    if sale.bonus_used.0.is_negative() {
        return Err(BadRequest::new(
            format!("{at}.bonus_used"),
            "bonus used cannot be negative",
        ));
    }
    if sale.bonus_earned.0.is_negative() {
        return Err(BadRequest::new(
            format!("{at}.bonus_earned"),
            "bonus earned cannot be negative",
        ));
    }
    for (i, c) in sale.clips.iter().enumerate() {
        if c.n == 0 {
            return Err(BadRequest::new(
                format!("{at}.clips[{i}].n"),
                "a clip use takes at least one clip",
            ));
        }
    }
    Ok(sale)
}

/// A checked `POST /redeem` body: what one sale wants to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The sale's uuid; the `sale` event with this id confirms the hold.
    pub id: String,
    /// Coupon ids, each once.
    pub coupons: Vec<String>,
    /// Clips per card, each card once.
    pub clips: Vec<ClipUse>,
    pub bonus: Option<BonusHold>,
    /// Canonical digest of the request: a retry with the same body is the same hold.
    pub digest: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BonusHold {
    pub member: String,
    pub amount: Amount,
}

#[derive(Deserialize)]
struct RedeemIn {
    id: String,
    #[serde(default)]
    coupons: Vec<String>,
    #[serde(default)]
    clips: Vec<ClipUse>,
    #[serde(default)]
    bonus: Option<BonusHold>,
}

pub fn parse_redeem(bytes: &[u8]) -> Result<Reservation, BadRequest> {
    let root = parse_json(bytes)?;
    let digest = digest_of(&root);
    let r: RedeemIn = from_value_at("", root)?;
    if r.id.is_empty() || r.id.len() > 64 {
        return Err(BadRequest::new(
            "id",
            "the reservation id is the sale's uuid (1–64 characters)",
        ));
    }
    if let Some(b) = &r.bonus
        && b.amount.0.is_negative()
    {
        return Err(BadRequest::new(
            "bonus.amount",
            "a bonus amount cannot be negative",
        ));
    }
    if r.coupons.len() + r.clips.len() > MAX_REDEEM_ITEMS {
        return Err(BadRequest::new(
            "body",
            format!("a reservation holds at most {MAX_REDEEM_ITEMS} coupons and clip uses"),
        ));
    }
    // Repeats merged in one pass (linear, first occurrence keeps its place).
    let mut seen: HashSet<String> = HashSet::with_capacity(r.coupons.len());
    let coupons: Vec<String> = r
        .coupons
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .collect();
    let mut clips: Vec<ClipUse> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::with_capacity(r.clips.len());
    for (i, c) in r.clips.into_iter().enumerate() {
        if c.n == 0 {
            return Err(BadRequest::new(
                format!("clips[{i}].n"),
                "a clip reservation takes at least one clip",
            ));
        }
        match index.get(&c.card) {
            // No card holds u32::MAX clips: a sum that gets there is refused
            // as `card_empty`, never wrapped.
            Some(&k) => clips[k].n = clips[k].n.saturating_add(c.n),
            None => {
                index.insert(c.card.clone(), clips.len());
                clips.push(c);
            }
        }
    }
    Ok(Reservation {
        id: r.id,
        coupons,
        clips,
        bonus: r.bonus,
        digest,
    })
}

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, BadRequest> {
    serde_json::from_slice(bytes)
        .map_err(|e| BadRequest::new("body", format!("the request body is not JSON: {e}")))
}

/// Deserialises `value`, naming the failing field below `prefix`.
pub(crate) fn from_value_at<T: DeserializeOwned>(
    prefix: &str,
    value: Value,
) -> Result<T, BadRequest> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let mut field = match (prefix.is_empty(), path.as_str()) {
            (true, ".") => String::new(),
            (true, p) => p.to_string(),
            (false, ".") => prefix.to_string(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        // serde reports a missing field at its parent: name the field itself.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(name);
            return BadRequest::new(field, "missing");
        }
        if field.is_empty() {
            field.push_str("body");
        }
        BadRequest::new(field, message)
    })
}

/// Compact JSON with object keys sorted, so equal content has equal text
/// whatever order the till's serialiser wrote the keys in.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// SHA-256 of the canonical JSON, in hex.
pub fn digest_of(value: &Value) -> String {
    hex(&Sha256::digest(canonical_json(value).as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One entry of the upload reply's `results`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventResult {
    pub seq: i64,
    pub status: EventStatus,
    pub flags: Vec<FlagKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Applied,
    Duplicate,
}

/// A student's lunch as a `sale` body, the shape a till sends: one coffee
/// (25.00, 25 % VAT) and 132 g of dinner by weight at 189.00/kg (24.95,
/// 15 %), paid by card. By the rules (3 % of food by weight, `VEKT` sold by
/// weight) it earns 0.75, which it claims. Used by the benchmark and the tests.
pub fn lunch_sale_body(number: u64, member: &str, bonus_balance: &str) -> Value {
    serde_json::json!({
        "number": number, "member": member,
        "lines": [{"sku": "KAFFE", "qty": 1, "grams": null, "unit_price": "25.00",
                   "discount": "0.00", "discount_kind": null, "discount_ref": null,
                   "amount": "25.00"},
                  {"sku": "VEKT", "qty": 1, "grams": 132, "unit_price": "189.00",
                   "discount": "0.00", "discount_kind": null, "discount_ref": null,
                   "amount": "24.95"}],
        "total": "49.95",
        "tenders": [{"kind": "card", "amount": "49.95"}],
        "rounding": "0.00",
        "vat": [{"rate": "25", "gross": "25.00", "net": "20.00", "vat": "5.00"},
                {"rate": "15", "gross": "24.95", "net": "21.70", "vat": "3.25"}],
        "bonus_earned": "0.75", "bonus_balance": bonus_balance,
        "coupons": [], "clips": [], "bonus_used": "0.00"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sale_body() -> Value {
        lunch_sale_body(1, "M-1", "1.00")
    }

    fn event(seq: i64, body: Value) -> Value {
        json!({"seq": seq, "id": format!("id-{seq}"), "kind": "sale",
               "at": "2026-11-23T11:31:07+01:00", "offline": false, "body": body})
    }

    fn field_of(v: Value) -> String {
        parse_upload(v.to_string().as_bytes()).unwrap_err().field
    }

    #[test]
    fn amounts_have_exactly_two_decimals() {
        let table = [
            ("12.40", Some("12.40")),
            ("-0.50", Some("-0.50")),
            ("12.4", None),
            ("12", None),
            ("12.400", None),
            (".40", None),
            ("1e2.00", None),
            ("+1.00", None),
        ];
        for (input, expected) in table {
            assert_eq!(
                parse_amount(input).map(|m| m.to_string()).as_deref(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn bad_uploads_name_the_field() {
        let mut no_seq = event(1, sale_body());
        no_seq.as_object_mut().unwrap().remove("seq");
        let mut bad_bonus = sale_body();
        bad_bonus["bonus_used"] = json!(12.4);
        let mut bad_line = sale_body();
        bad_line["lines"][0]["amount"] = json!("25");
        let mut no_coupons = sale_body();
        no_coupons.as_object_mut().unwrap().remove("coupons");
        let mut bad_kind = event(1, sale_body());
        bad_kind["kind"] = json!("gift");
        let table = [
            (json!({}), "events"),
            (json!({"events": [no_seq]}), "events[0].seq"),
            (
                json!({"events": [event(1, bad_bonus)]}),
                "events[0].body.bonus_used",
            ),
            (
                json!({"events": [event(1, bad_line)]}),
                "events[0].body.lines[0].amount",
            ),
            (
                json!({"events": [event(1, no_coupons)]}),
                "events[0].body.coupons",
            ),
            (json!({"events": [bad_kind]}), "events[0].kind"),
            (
                json!({"events": [event(1, sale_body()), event(3, sale_body())]}),
                "events[1].seq",
            ),
            (
                json!({"events": [event(2, sale_body()), event(2, sale_body())]}),
                "events[1].seq",
            ),
        ];
        for (input, field) in table {
            assert_eq!(field_of(input.clone()), field, "{input}");
        }
        assert_eq!(parse_upload(b"{not json").unwrap_err().field, "body");
    }

    #[test]
    fn events_come_back_in_seq_order_with_stable_digests() {
        let a = json!({"events": [event(3, sale_body()), event(2, sale_body())]});
        let evs = parse_upload(a.to_string().as_bytes()).unwrap();
        assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        // Key order does not change the digest; a value does.
        let reordered = r#"{"events":[{"body":BODY,"offline":false,"at":"2026-11-23T11:31:07+01:00","kind":"sale","id":"id-2","seq":2}]}"#
            .replace("BODY", &sale_body().to_string());
        let again = parse_upload(reordered.as_bytes()).unwrap();
        assert_eq!(again[0].digest, evs[0].digest);
        assert_ne!(evs[0].digest, evs[1].digest);
    }

    #[test]
    fn redeem_merges_repeats() {
        let r = parse_redeem(
            br#"{"id":"s1","coupons":["CP-1","CP-1"],"clips":[{"card":"KK-1","n":1},{"card":"KK-1","n":1}],
                 "bonus":{"member":"M-1","amount":"12.40"}}"#,
        )
        .unwrap();
        assert_eq!(r.coupons, ["CP-1"]);
        assert_eq!(
            r.clips,
            [ClipUse {
                card: "KK-1".into(),
                n: 2
            }]
        );
        assert_eq!(r.bonus.unwrap().amount.0.to_string(), "12.40");
        assert_eq!(
            parse_redeem(br#"{"id":"s1","bonus":{"member":"M-1","amount":"x"}}"#)
                .unwrap_err()
                .field,
            "bonus.amount"
        );
        assert_eq!(parse_redeem(br#"{"coupons":[]}"#).unwrap_err().field, "id");
    }
}
