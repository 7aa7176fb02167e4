//! `kasse replay` (spec/replay.md): scripted checkouts through the same till,
//! store and scanner pipeline the kiosk uses, printed as one JSON document.

use crate::data::Data;
use crate::domain::receipt::TenderKind;
use crate::domain::sale::OfflineLimits;
use crate::domain::{Money, Receipt};
use crate::input::{InputError, Source};
use crate::scanner::pipeline;
use crate::store::Store;
use crate::till::{Link, Mode, Outcome, PayRequest, Till, TillError};
use crate::wiring::open_demo_store;
use chrono::{DateTime, Duration, FixedOffset};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

/// One scripted action.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Scan(PathBuf),
    Tap {
        sku: String,
        qty: u32,
    },
    Qr(String),
    Barcode(String),
    Weigh {
        sku: String,
        grams: u32,
        stable: bool,
    },
    Bonus {
        accept: bool,
    },
    Pay {
        tender: TenderKind,
        cash_given: Option<Money>,
        declined: bool,
    },
    Void(usize),
    Cancel,
    Advance(Duration),
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Scan(_) => "scan",
            Step::Tap { .. } => "tap",
            Step::Qr(_) => "qr",
            Step::Barcode(_) => "barcode",
            Step::Weigh { .. } => "weigh",
            Step::Bonus { .. } => "bonus",
            Step::Pay { .. } => "pay",
            Step::Void(_) => "void",
            Step::Cancel => "cancel",
            Step::Advance(_) => "advance",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub data: Option<PathBuf>,
    pub mode: Mode,
    pub now: DateTime<FixedOffset>,
    pub offline: bool,
    /// `[payment]`: card and Vipps go through these providers
    /// (spec/payments.md, "Replay"); None pays as a simulated approval.
    pub payment: Option<crate::config::PaymentConfig>,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    data: Option<String>,
    mode: Option<Spanned<String>>,
    now: Spanned<Value>,
    #[serde(default)]
    offline: bool,
    payment: Option<crate::config::RawPayment>,
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    scan: Option<Spanned<String>>,
    tap: Option<Spanned<String>>,
    qty: Option<Spanned<u32>>,
    qr: Option<Spanned<String>>,
    barcode: Option<Spanned<String>>,
    weigh: Option<Spanned<String>>,
    grams: Option<Spanned<u32>>,
    stable: Option<Spanned<bool>>,
    bonus: Option<Spanned<String>>,
    pay: Option<Spanned<String>>,
    cash_given: Option<Spanned<Value>>,
    declined: Option<Spanned<bool>>,
    void: Option<Spanned<u32>>,
    cancel: Option<Spanned<bool>>,
    advance: Option<Spanned<String>>,
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, InputError> {
        let text = Source::read(path)?;
        Scenario::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Scenario, InputError> {
        let src = Source { file: path, text };
        let raw: RawScenario = src.parse()?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mode = src.mode(raw.mode.as_ref())?;
        let now_text = match raw.now.get_ref() {
            Value::String(s) => s.clone(),
            Value::Datetime(d) => d.to_string(),
            other => {
                return Err(src.error(
                    raw.now.span(),
                    "now",
                    format!("expected a time, found {}", other.type_str()),
                ));
            }
        };
        let now = DateTime::parse_from_rfc3339(&now_text).map_err(|_| {
            src.error(
                raw.now.span(),
                "now",
                format!("`{now_text}` is not a time with offset like 2026-11-23T11:30:00+01:00"),
            )
        })?;
        let steps = raw
            .step
            .iter()
            .enumerate()
            .map(|(i, s)| step(&src, dir, i + 1, s))
            .collect::<Result<Vec<_>, _>>()?;
        // The clock the steps move must stay inside the calendar: a jump past
        // its end is a fault of the file, found here with its line.
        let mut clock = now;
        for (s, r) in steps.iter().zip(&raw.step) {
            if let (Step::Advance(d), Some(text)) = (s, &r.advance) {
                clock = clock.checked_add_signed(*d).ok_or_else(|| {
                    src.error(
                        text.span(),
                        "advance",
                        format!(
                            "`{}` moves the clock past the end of the calendar",
                            text.get_ref()
                        ),
                    )
                })?;
            }
        }
        let name = raw.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(Scenario {
            name,
            data: raw.data.map(|d| dir.join(d)),
            mode,
            now,
            offline: raw.offline,
            payment: match raw.payment {
                Some(p) => Some(crate::config::payment(&src, dir, Some(p))?),
                None => None,
            },
            steps,
        })
    }
}

fn step(src: &Source<'_>, dir: &Path, n: usize, s: &RawStep) -> Result<Step, InputError> {
    // (key, span) of every step kind present: exactly one is allowed.
    let kinds: Vec<(&str, std::ops::Range<usize>)> = [
        ("scan", s.scan.as_ref().map(Spanned::span)),
        ("tap", s.tap.as_ref().map(Spanned::span)),
        ("qr", s.qr.as_ref().map(Spanned::span)),
        ("barcode", s.barcode.as_ref().map(Spanned::span)),
        ("weigh", s.weigh.as_ref().map(Spanned::span)),
        ("bonus", s.bonus.as_ref().map(Spanned::span)),
        ("pay", s.pay.as_ref().map(Spanned::span)),
        ("void", s.void.as_ref().map(Spanned::span)),
        ("cancel", s.cancel.as_ref().map(Spanned::span)),
        ("advance", s.advance.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(k, span)| span.map(|sp| (k, sp)))
    .collect();
    let (kind, span) = match kinds.as_slice() {
        [one] => one.clone(),
        [] => {
            let any = [
                s.qty.as_ref().map(Spanned::span),
                s.grams.as_ref().map(Spanned::span),
            ]
            .into_iter()
            .flatten()
            .next();
            return Err(match any {
                Some(sp) => src.error(sp, "step", format!("step {n} has no action (scan, tap, qr, barcode, weigh, bonus, pay, void, cancel or advance)")),
                None => src.file_error(format!("step {n} is empty: give it one action (scan, tap, qr, barcode, weigh, bonus, pay, void, cancel or advance)")),
            });
        }
        [_, second, ..] => {
            return Err(src.error(
                second.1.clone(),
                second.0,
                format!(
                    "step {n} has more than one action ({})",
                    kinds.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    };
    // Keys that only belong with one action.
    let extras: [(&str, Option<std::ops::Range<usize>>, &str); 5] = [
        ("qty", s.qty.as_ref().map(Spanned::span), "tap"),
        ("grams", s.grams.as_ref().map(Spanned::span), "weigh"),
        ("stable", s.stable.as_ref().map(Spanned::span), "weigh"),
        (
            "cash_given",
            s.cash_given.as_ref().map(Spanned::span),
            "pay",
        ),
        ("declined", s.declined.as_ref().map(Spanned::span), "pay"),
    ];
    for (key, sp, owner) in extras {
        if let Some(sp) = sp
            && owner != kind
        {
            return Err(src.error(
                sp,
                key,
                format!("`{key}` belongs to a `{owner}` step, not `{kind}`"),
            ));
        }
    }
    let text =
        |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default();
    Ok(match kind {
        "scan" => {
            let rel = text(&s.scan);
            let path = dir.join(&rel);
            if !path.is_file() {
                return Err(src.error(
                    span,
                    "scan",
                    format!("image `{}` not found", path.display()),
                ));
            }
            Step::Scan(path)
        }
        "tap" => {
            let qty = s.qty.as_ref().map_or(1, |q| *q.get_ref());
            if qty == 0 {
                return Err(src.error(
                    s.qty.as_ref().map_or(span, Spanned::span),
                    "qty",
                    "qty must be at least 1",
                ));
            }
            Step::Tap {
                sku: text(&s.tap),
                qty,
            }
        }
        "qr" => Step::Qr(text(&s.qr)),
        "barcode" => Step::Barcode(text(&s.barcode)),
        "weigh" => {
            let grams = s.grams.as_ref().map(|g| *g.get_ref()).ok_or_else(|| {
                src.error(
                    span.clone(),
                    "grams",
                    "a `weigh` step needs `grams` (the gross weight)",
                )
            })?;
            Step::Weigh {
                sku: text(&s.weigh),
                grams,
                stable: s.stable.as_ref().is_none_or(|b| *b.get_ref()),
            }
        }
        "bonus" => match text(&s.bonus).as_str() {
            "accept" => Step::Bonus { accept: true },
            "decline" => Step::Bonus { accept: false },
            other => {
                return Err(src.error(
                    span,
                    "bonus",
                    format!("`{other}` is not accept or decline"),
                ));
            }
        },
        "pay" => {
            let kind_text = text(&s.pay);
            let tender = match TenderKind::parse(&kind_text) {
                Some(t) if t != TenderKind::Bonus => t,
                _ => {
                    return Err(src.error(
                        span,
                        "pay",
                        format!("`{kind_text}` is not a payment (card, vipps or cash)"),
                    ));
                }
            };
            let cash_given = s
                .cash_given
                .as_ref()
                .map(|v| {
                    let m = src.money(v, "cash_given")?;
                    crate::data::within_max(src, v, "cash_given", m)
                })
                .transpose()?;
            if cash_given.is_some() && tender != TenderKind::Cash {
                let sp = s.cash_given.as_ref().map_or(span.clone(), Spanned::span);
                return Err(src.error(sp, "cash_given", "`cash_given` goes with `pay = \"cash\"`"));
            }
            Step::Pay {
                tender,
                cash_given,
                declined: s.declined.as_ref().is_some_and(|d| *d.get_ref()),
            }
        }
        "void" => {
            let line = s.void.as_ref().map_or(0, |v| *v.get_ref());
            Step::Void(line as usize)
        }
        "cancel" => {
            if !s.cancel.as_ref().is_some_and(|c| *c.get_ref()) {
                return Err(src.error(span, "cancel", "write `cancel = true`"));
            }
            Step::Cancel
        }
        "advance" => {
            let t = text(&s.advance);
            let d = parse_duration(&t).ok_or_else(|| {
                src.error(
                    span,
                    "advance",
                    format!("`{t}` is not a duration like 30s, 10m, 25h or 2d"),
                )
            })?;
            Step::Advance(d)
        }
        _ => unreachable!("every kind above is handled"),
    })
}

/// `30s`, `10m`, `25h`, `2d`, or sums such as `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            's' => Duration::try_seconds(n)?,
            'm' => Duration::try_minutes(n)?,
            'h' => Duration::try_hours(n)?,
            'd' => Duration::try_days(n)?,
            _ => return None,
        };
        total = total.checked_add(&unit)?;
        any = true;
    }
    (any && digits.is_empty()).then_some(total)
}

/// Why a replay could not produce its document.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A scenario or data file that cannot be used (exit 2).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The till itself failed (disk full, database trouble): exit 1.
    #[error(transparent)]
    Till(#[from] TillError),
    /// The scenario's payment providers could not be started: exit 1.
    #[error("payment providers: {0}")]
    Providers(String),
}

impl From<crate::store::StoreError> for ReplayError {
    fn from(e: crate::store::StoreError) -> Self {
        ReplayError::Till(TillError::Store(e))
    }
}

/// Options from the command line.
pub struct ReplayOptions<'a> {
    pub data: Option<&'a Path>,
    pub db: Option<&'a Path>,
}

/// Runs a scenario file to its end and returns the output document.
pub fn run_file(scenario_path: &Path, opts: &ReplayOptions<'_>) -> Result<Json, ReplayError> {
    let scenario = Scenario::load(scenario_path)?;
    let data_path = match (opts.data, &scenario.data) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(d)) => d.clone(),
        (None, None) => {
            return Err(InputError {
                file: scenario_path.to_path_buf(),
                line: None,
                key: Some("data".into()),
                message: "no data file: set `data` in the scenario or pass --data".into(),
            }
            .into());
        }
    };
    let data = Data::load_for_till(&data_path)?;
    // The temporary directory lives until the run ends; WAL files go with it.
    let tmp;
    let db_path = match opts.db {
        Some(p) => p.to_path_buf(),
        None => {
            tmp = tempfile::tempdir().map_err(|e| InputError {
                file: std::env::temp_dir(),
                line: None,
                key: None,
                message: format!("cannot create a temporary database: {e}"),
            })?;
            tmp.path().join("replay.sqlite")
        }
    };
    let mut store = open_demo_store(&db_path, "replay")?;
    store.seed(&data, scenario.now)?;
    let emulators = opts.db.map(crate::payments::Emulators::state_beside);
    run(&scenario, store, emulators.as_deref())
}

/// The scenario's `[payment]` providers, if it names any.
fn providers(
    scenario: &Scenario,
    emulator_state: Option<&Path>,
) -> Result<Option<crate::wiring::Providers>, ReplayError> {
    scenario
        .payment
        .as_ref()
        .map(|p| {
            crate::wiring::Providers::from_payment(p, emulator_state)
                .map_err(|e| ReplayError::Providers(format!("{e:#}")))
        })
        .transpose()
}

/// Runs a parsed scenario on a seeded store; in-process payment emulators
/// keep their books in `emulator_state` when given (beside `--db`).
pub fn run(
    scenario: &Scenario,
    store: Store,
    emulator_state: Option<&Path>,
) -> Result<Json, ReplayError> {
    // Replay runs as an online till with a current cache unless `offline = true`.
    let link = Link {
        online: !scenario.offline,
        last_sync: scenario.now,
    };
    let mut till = Till::new(store, scenario.mode, link, OfflineLimits::default())?;
    // A data file that lists no keys trusts the demo key (spec/replay.md).
    if till.trusted_key_count() == 0 {
        till.set_trusted_keys(&[crate::domain::appcode::DEMO_PUBLIC_KEY.to_string()])?;
    }
    let providers = providers(scenario, emulator_state)?;
    // Payments a killed run left open are resolved first (spec/payments.md).
    let mut recovered = Vec::new();
    if let Some(p) = &providers {
        for r in crate::wiring::recover(&mut till, p)
            .map_err(|e| ReplayError::Providers(format!("{e:#}")))?
        {
            recovered.push(json!(r.to_string()));
        }
    }
    let mut now = scenario.now;
    let mut events = Vec::with_capacity(scenario.steps.len());
    let mut receipts: Vec<Receipt> = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let mut event = Map::new();
        event.insert("step".into(), json!(i + 1));
        event.insert("kind".into(), json!(step.kind()));
        let outcome = match step {
            Step::Scan(path) => match pipeline::decode_file(path) {
                Ok(found) => match found.texts.first() {
                    Some(text) => till.present_code(text, now)?,
                    None => Outcome::Refused(crate::domain::Reason::UnreadableImage),
                },
                Err(_) => Outcome::Refused(crate::domain::Reason::UnreadableImage),
            },
            Step::Tap { sku, qty } => till.tap(sku, *qty),
            Step::Qr(text) | Step::Barcode(text) => till.present_code(text, now)?,
            Step::Weigh { sku, grams, stable } => till.weigh(sku, *grams, *stable),
            Step::Bonus { accept } => till.answer_bonus(*accept, now)?,
            Step::Pay {
                tender,
                cash_given,
                declined,
            } => match providers.as_ref().and_then(|p| p.for_tender(*tender)) {
                // Through the scenario's provider, as the kiosk pays.
                Some(provider) => pay_through(&mut till, provider.as_ref(), *tender, now)?,
                None => {
                    let req = PayRequest {
                        tender: *tender,
                        cash_given: *cash_given,
                        approved: !declined,
                        reference: None,
                    };
                    till.pay(req, now)?
                }
            },
            Step::Void(line) => till.void(*line, now)?,
            Step::Cancel => till.cancel(now)?,
            Step::Advance(d) => {
                now = now.checked_add_signed(*d).ok_or_else(|| {
                    ReplayError::Input(crate::input::InputError {
                        file: std::path::PathBuf::from(&scenario.name),
                        line: None,
                        key: Some("advance".into()),
                        message: format!("step {}: the clock would leave the calendar", i + 1),
                    })
                })?;
                event.insert("result".into(), json!("advanced"));
                event.insert("now".into(), json!(now.to_rfc3339()));
                events.push(Json::Object(event));
                continue;
            }
        };
        describe(&mut event, outcome, &mut receipts);
        events.push(Json::Object(event));
    }
    let mut doc = json!({
        "scenario": scenario.name,
        "events": events,
        "receipts": receipts,
    });
    if !recovered.is_empty()
        && let Some(o) = doc.as_object_mut()
    {
        o.insert("recovered".into(), Json::Array(recovered));
    }
    Ok(doc)
}

/// A `pay` step through a real provider: the till writes the intent and
/// freezes the sale, the provider is asked and waited for (confirmed by
/// reference when it goes silent), and its answer ends the tender.
fn pay_through(
    till: &mut Till,
    provider: &dyn crate::payments::Provider,
    tender: crate::domain::TenderKind,
    now: DateTime<FixedOffset>,
) -> Result<Outcome, ReplayError> {
    let outcome = till.begin_payment(tender, None, provider.name(), now)?;
    let Outcome::Tendering { intent, amount, .. } = outcome else {
        return Ok(outcome);
    };
    let limit = std::time::Duration::from_secs(120);
    let answer =
        match crate::payments::settle::settle(provider, amount, &intent, "kasse replay", limit) {
            Ok(answer) => answer,
            // Nothing is known: the intent stays open for the next run's recovery.
            Err(e) => return Err(ReplayError::Providers(e.to_string())),
        };
    let outcome = till.payment_answer(&intent, answer, now)?;
    if let Outcome::AmountMismatch {
        intent, approved, ..
    } = &outcome
        && provider.reverse(intent, *approved).is_ok()
    {
        till.payment_reversed(intent, now)?;
    }
    Ok(outcome)
}

/// The event fields of one outcome (ARCHITECTURE.md lists them).
fn describe(event: &mut Map<String, Json>, outcome: Outcome, receipts: &mut Vec<Receipt>) {
    let mut put = |k: &str, v: Json| {
        event.insert(k.to_string(), v);
    };
    match outcome {
        Outcome::Member { member } => {
            put("result", json!("member"));
            put("member", json!(member));
        }
        Outcome::Line {
            line,
            sku,
            qty,
            grams,
            amount,
        } => {
            put("result", json!("line"));
            put("line", json!(line));
            put("sku", json!(sku));
            put("qty", json!(qty));
            put("grams", json!(grams));
            put("amount", json!(amount));
        }
        Outcome::Coupon { coupon, line } => {
            put("result", json!("coupon"));
            put("coupon", json!(coupon));
            put("line", json!(line));
        }
        Outcome::Clip {
            card,
            line,
            clips_left,
        } => {
            put("result", json!("clip"));
            put("card", json!(card));
            put("line", json!(line));
            put("clips_left", json!(clips_left));
        }
        Outcome::WeightRefused(reason) => {
            put("result", json!("weight_refused"));
            put("reason", json!(reason.code()));
        }
        Outcome::BonusOffered { balance, amount } => {
            put("result", json!("bonus_offered"));
            put("balance", json!(balance));
            put("amount", json!(amount));
        }
        Outcome::BonusUsed { amount } => {
            put("result", json!("bonus_used"));
            put("amount", json!(amount));
        }
        Outcome::BonusDeclined => put("result", json!("bonus_declined")),
        Outcome::Paid {
            receipt,
            tender,
            amount,
            change,
        } => {
            put("result", json!("paid"));
            put("receipt", json!(receipt.number));
            put("tender", json!(tender.map(TenderKind::code)));
            put("amount", json!(amount));
            if let Some(change) = change {
                put("change", json!(change));
            }
            let reference = receipt
                .tenders
                .iter()
                .find(|t| Some(t.kind) == tender)
                .and_then(|t| t.reference.clone());
            if let Some(reference) = reference {
                put("reference", json!(reference));
            }
            receipts.push(*receipt);
        }
        Outcome::Declined { tender } => {
            put("result", json!("declined"));
            put("tender", json!(tender.code()));
        }
        Outcome::Voided { line, sku } => {
            put("result", json!("voided"));
            put("line", json!(line));
            put("sku", json!(sku));
        }
        Outcome::Cancelled => put("result", json!("cancelled")),
        Outcome::Reserving { .. } => put("result", json!("reserving")),
        Outcome::Tendering { tender, amount, .. } => {
            put("result", json!("tendering"));
            put("tender", json!(tender.code()));
            put("amount", json!(amount));
        }
        Outcome::AmountMismatch {
            tender,
            asked,
            approved,
            ..
        } => {
            put("result", json!("declined"));
            put("tender", json!(tender.code()));
            put("reason", json!("amount_mismatch"));
            put("asked", json!(asked));
            put("approved", json!(approved));
        }
        Outcome::Refused(reason) => {
            put("result", json!("refused"));
            put("reason", json!(reason.code()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let table = [
            ("10m", Some(600)),
            ("30s", Some(30)),
            ("25h", Some(90_000)),
            ("2d", Some(172_800)),
            ("1h30m", Some(5_400)),
            ("10", None),
            ("m", None),
            ("10x", None),
            ("", None),
        ];
        for (text, secs) in table {
            assert_eq!(
                parse_duration(text).map(|d| d.num_seconds()),
                secs,
                "{text}"
            );
        }
    }

    fn parse(text: &str) -> Result<Scenario, InputError> {
        Scenario::parse(Path::new("s.toml"), text)
    }

    #[test]
    fn bad_scenarios_name_line_and_key() {
        let head = "now = \"2026-11-23T11:30:00+01:00\"\n";
        let table = [
            ("[[step]]\ntap = \"KAFFE\"\nqr = \"x\"\n", 4, "qr"),
            ("[[step]]\ntap = \"KAFFE\"\ngrams = 3\n", 4, "grams"),
            ("[[step]]\npay = \"cheque\"\n", 3, "pay"),
            ("[[step]]\nadvance = \"10x\"\n", 3, "advance"),
            // Past the calendar's end: located, never a panic (spec/replay.md).
            (
                "[[step]]\nadvance = \"10m\"\n[[step]]\nadvance = \"100000000d\"\n",
                5,
                "advance",
            ),
            (
                "[[step]]\npay = \"cash\"\ncash_given = \"1000000000.01\"\n",
                4,
                "cash_given",
            ),
            ("[[step]]\nbonus = \"maybe\"\n", 3, "bonus"),
            ("[[step]]\nscan = \"missing.png\"\n", 3, "scan"),
            ("[[step]]\ntap = \"KAFFE\"\nqty = 0\n", 4, "qty"),
            ("[[step]]\ntapp = \"KAFFE\"\n", 3, "tapp"),
            ("[[step]]\nweigh = \"VEKT\"\n", 3, "grams"),
            (
                "[[step]]\npay = \"card\"\ncash_given = \"100\"\n",
                4,
                "cash_given",
            ),
            ("mode = \"robot\"\n", 2, "mode"),
        ];
        for (rest, line, key) in table {
            let e = parse(&format!("{head}{rest}")).unwrap_err();
            assert_eq!(
                (e.line, e.key.as_deref()),
                (Some(line), Some(key)),
                "{rest:?}: {e}"
            );
        }
        let e = parse("now = \"yesterday\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("now")));
        let e = parse("name = \"x\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("now"), "{e}");
    }

    #[test]
    fn good_scenario_parses_every_step_kind() {
        let s = parse(
            r#"
name = "all"
mode = "cashier"
now = 2026-11-23T11:30:00+01:00
[[step]]
tap = "KAFFE"
qty = 2
[[step]]
qr = "SSN1.x"
[[step]]
barcode = "7038010000010"
[[step]]
weigh = "VEKT"
grams = 412
stable = false
[[step]]
bonus = "decline"
[[step]]
pay = "cash"
cash_given = "200"
[[step]]
pay = "card"
declined = true
[[step]]
void = 2
[[step]]
cancel = true
[[step]]
advance = "10m"
"#,
        )
        .unwrap();
        assert_eq!(s.mode, Mode::Cashier);
        let kinds: Vec<_> = s.steps.iter().map(Step::kind).collect();
        assert_eq!(
            kinds,
            [
                "tap", "qr", "barcode", "weigh", "bonus", "pay", "pay", "void", "cancel", "advance"
            ]
        );
        assert_eq!(
            s.steps[3],
            Step::Weigh {
                sku: "VEKT".into(),
                grams: 412,
                stable: false
            }
        );
        assert_eq!(
            s.steps[5],
            Step::Pay {
                tender: TenderKind::Cash,
                cash_given: Some("200".parse().unwrap()),
                declined: false
            }
        );
    }
}
