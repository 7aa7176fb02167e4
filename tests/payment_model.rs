//! A model test of the payment lifecycle (spec/payments.md) over the real
//! till on a real SQLite file: random interleavings of taps, scans, voids,
//! bonus answers, tenders, provider outcomes (approve, decline, timeout,
//! approve-and-drop-reply, duplicate reply, wrong amount) and crash-restart
//! at any step, each restart running recovery as the kiosk does. The
//! provider is a model that remembers what it approved; the invariants are
//! checked against it after every run:
//! - every payment the provider approved (and did not reverse) is exactly one
//!   committed sale with a tender of exactly that amount;
//! - no committed card or Vipps sale without its approved payment;
//! - no coupon or clip spent twice; receipts and outbox gap-free;
//! - every sale's tenders are its total plus its rounding.
//!
//! CI runs a fixed number of cases; `KASSE_MODEL_CASES=2000 cargo test
//! --test payment_model` runs more.

use chrono::{DateTime, FixedOffset};
use kasse::data::Data;
use kasse::domain::sale::OfflineLimits;
use kasse::domain::{AppCode, Money, Reason, TenderKind};
use kasse::payments::recover::{self, confirm};
use kasse::payments::{Provider, ProviderError, ProviderStatus, Running};
use kasse::store::IntentState;
use kasse::till::{Answer, Failure, Link, Mode, Outcome, Till};
use kasse::wiring::open_demo_store;
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").expect("time")
}

const EXP: u64 = 1_830_297_600;

/// What the provider knows: its payments by reference.
#[derive(Default)]
struct ModelProvider {
    payments: Mutex<HashMap<String, Payment>>,
}

#[derive(Clone, Debug)]
struct Payment {
    status: ProviderStatus,
    /// Approved, then reversed or refunded: no money taken.
    reversed: bool,
}

impl ModelProvider {
    fn set(&self, reference: &str, status: ProviderStatus) {
        self.payments.lock().expect("lock").insert(
            reference.to_string(),
            Payment {
                status,
                reversed: false,
            },
        );
    }

    /// Approved and kept: (transaction id, amount) by reference.
    fn taken(&self) -> HashMap<String, (String, Money)> {
        self.payments
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|(r, p)| match &p.status {
                ProviderStatus::Approved {
                    transaction_id,
                    amount,
                } if !p.reversed => Some((r.clone(), (transaction_id.clone(), *amount))),
                _ => None,
            })
            .collect()
    }
}

impl Provider for ModelProvider {
    fn name(&self) -> &'static str {
        "model"
    }

    fn start(&self, _amount: Money, _reference: &str, _description: &str) -> Running {
        unreachable!("the model test plays the provider's answers itself")
    }

    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError> {
        Ok(self.payments.lock().expect("lock").get(reference).map_or(
            ProviderStatus::Unknown,
            |p| {
                if p.reversed {
                    ProviderStatus::Failed
                } else {
                    p.status.clone()
                }
            },
        ))
    }

    fn reverse(&self, reference: &str, _amount: Money) -> Result<(), ProviderError> {
        let mut map = self.payments.lock().expect("lock");
        if let Some(p) = map.get_mut(reference) {
            match p.status {
                ProviderStatus::Approved { .. } => p.reversed = true,
                _ => p.status = ProviderStatus::Failed,
            }
        }
        Ok(())
    }

    fn refund(&self, reference: &str, amount: Money) -> Result<Option<String>, ProviderError> {
        self.reverse(reference, amount).map(|()| None)
    }
}

/// How the provider ends the running payment.
#[derive(Clone, Copy, Debug)]
enum End {
    Approve,
    Decline,
    /// The till gives up waiting; the payment is still pending there.
    Timeout,
    /// Approved at the provider, but the reply never reaches the till.
    ApproveDropReply,
    /// The approval arrives twice.
    Duplicate,
    /// Approved for one øre more than asked.
    WrongAmount,
}

#[derive(Clone, Debug)]
enum Op {
    Tap(&'static str),
    Member(&'static str),
    Coupon(&'static str, &'static str),
    Clip(&'static str, &'static str),
    Void,
    Bonus(bool),
    Tender(TenderKind),
    /// The provider hears of the payment (or, false, never does).
    Provider(End),
    /// Power lost; the till restarts and runs recovery.
    Crash,
    /// The provider approves, and the till dies before hearing it.
    ApproveThenCrash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop_oneof![Just("KAFFE"), Just("SKOLEBOLLE"), Just("BOLLE"), Just("TE")].prop_map(Op::Tap),
        1 => prop_oneof![Just("M-100001"), Just("M-100002")].prop_map(Op::Member),
        1 => prop_oneof![
            Just(("M-100001", "CP-1")),
            Just(("M-100001", "CP-2")),
            Just(("M-100001", "CP-11"))
        ]
        .prop_map(|(m, c)| Op::Coupon(m, c)),
        1 => prop_oneof![Just(("M-100002", "KK-2")), Just(("M-100001", "KK-1"))]
            .prop_map(|(m, c)| Op::Clip(m, c)),
        1 => Just(Op::Void),
        1 => any::<bool>().prop_map(Op::Bonus),
        3 => prop_oneof![Just(TenderKind::Card), Just(TenderKind::Vipps)].prop_map(Op::Tender),
        3 => prop_oneof![
            Just(End::Approve),
            Just(End::Decline),
            Just(End::Timeout),
            Just(End::ApproveDropReply),
            Just(End::Duplicate),
            Just(End::WrongAmount)
        ]
        .prop_map(Op::Provider),
        1 => Just(Op::Crash),
        1 => Just(Op::ApproveThenCrash),
    ]
}

struct World {
    path: std::path::PathBuf,
    till: Option<Till>,
    provider: Arc<ModelProvider>,
    key: ed25519_dalek::SigningKey,
    transactions: u32,
}

fn open(path: &Path) -> Till {
    let store = open_demo_store(path, "kafe-1").expect("open");
    let link = Link {
        online: true,
        last_sync: at(),
    };
    Till::new(store, Mode::SelfService, link, OfflineLimits::default()).expect("till")
}

impl World {
    fn new(dir: &Path) -> World {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = dir.join("till.sqlite");
        let mut store = open_demo_store(&path, "kafe-1").expect("open");
        store
            .seed(
                &Data::load(&root.join("fixtures/data/demo.toml")).expect("demo"),
                at(),
            )
            .expect("seed");
        drop(store);
        let seed = std::fs::read_to_string(root.join("fixtures/keys/demo.seed")).expect("seed");
        World {
            till: Some(open(&path)),
            path,
            provider: Arc::new(ModelProvider::default()),
            key: kasse::domain::appcode::parse_seed_hex(&seed).expect("key"),
            transactions: 0,
        }
    }

    fn till(&mut self) -> &mut Till {
        self.till.as_mut().expect("the till runs")
    }

    fn scan(&mut self, code: AppCode) {
        let text = code.sign(&self.key);
        let before = self.snapshot();
        let frozen = self.till().tendering().is_some();
        let out = self.till().present_code(&text, at()).expect("scan");
        if frozen {
            assert_eq!(out, Outcome::Refused(Reason::PaymentInProgress));
            assert_eq!(self.snapshot(), before, "a frozen sale is unchanged");
        }
    }

    /// The sale as the customer sees it (lines and total).
    fn snapshot(&mut self) -> (usize, Money) {
        let sale = self.till().sale();
        (sale.lines.len(), sale.total())
    }

    /// The running payment, if any: (intent, amount).
    fn running(&mut self) -> Option<(String, Money)> {
        self.till()
            .tendering()
            .map(|t| (t.intent.clone(), t.amount))
    }

    fn approve(&mut self, intent: &str, amount: Money) -> ProviderStatus {
        self.transactions += 1;
        let status = ProviderStatus::Approved {
            transaction_id: format!("TX-{}", self.transactions),
            amount,
        };
        self.provider.set(intent, status.clone());
        status
    }

    /// What the kiosk does when it hears nothing: ask the provider.
    fn confirm(&mut self, intent: &str, amount: Money) {
        let answer = confirm(self.provider.as_ref(), intent, amount).expect("the model answers");
        self.answer(intent, answer);
    }

    fn answer(&mut self, intent: &str, answer: Answer) {
        match self
            .till()
            .payment_answer(intent, answer, at())
            .expect("answer")
        {
            Outcome::AmountMismatch {
                intent, approved, ..
            } => {
                self.provider.reverse(&intent, approved).expect("reverse");
                assert!(
                    self.till()
                        .payment_reversed(&intent, at())
                        .expect("reversed")
                );
            }
            Outcome::Paid { .. } | Outcome::Declined { .. } => {}
            other => panic!("unexpected answer outcome {other:?}"),
        }
        assert!(self.till().tendering().is_none(), "the tender ended");
    }

    fn restart(&mut self) {
        drop(self.till.take());
        let mut till = open(&self.path);
        let provider: Arc<dyn Provider> = self.provider.clone();
        let lookup = move |_: &kasse::store::Intent| Some(Arc::clone(&provider));
        let done = recover::recover(&mut till, &lookup, at()).expect("recovery");
        for r in &done {
            assert!(
                !matches!(r.resolution, recover::Resolution::LeftOpen { .. }),
                "the model always answers: {r}"
            );
        }
        assert!(till.unresolved_payments().expect("intents").is_empty());
        self.till = Some(till);
    }

    fn step(&mut self, op: &Op) {
        let frozen = self.running().is_some();
        let before = self.snapshot();
        match op {
            Op::Tap(sku) => {
                let out = self.till().tap(sku, 1);
                if frozen {
                    assert_eq!(out, Outcome::Refused(Reason::PaymentInProgress));
                }
            }
            Op::Member(m) => self.scan(AppCode::Member {
                member: (*m).into(),
                exp: EXP,
            }),
            Op::Coupon(m, c) => {
                let sku = match *c {
                    "CP-2" => "BOLLE",
                    "CP-11" => "SKOLEBOLLE",
                    _ => "KAFFE",
                };
                self.scan(AppCode::Coupon {
                    member: (*m).into(),
                    coupon: (*c).into(),
                    sku: sku.into(),
                    exp: EXP,
                })
            }
            Op::Clip(m, c) => self.scan(AppCode::Card {
                member: (*m).into(),
                card: (*c).into(),
                exp: EXP,
            }),
            Op::Void => {
                let n = self.till().sale().lines.len();
                if n > 0 {
                    let out = self.till().void(n, at()).expect("void");
                    if frozen {
                        assert_eq!(out, Outcome::Refused(Reason::PaymentInProgress));
                    }
                }
            }
            Op::Bonus(yes) => {
                let out = self.till().answer_bonus(*yes, at()).expect("bonus");
                if frozen {
                    assert_eq!(out, Outcome::Refused(Reason::PaymentInProgress));
                }
            }
            Op::Tender(kind) => {
                let out = self
                    .till()
                    .begin_payment(*kind, None, "model", at())
                    .expect("tender");
                match out {
                    Outcome::Tendering { intent, amount, .. } => {
                        assert!(!frozen, "one payment at a time");
                        assert!(amount.is_positive());
                        self.provider.set(&intent, ProviderStatus::Pending);
                    }
                    Outcome::Refused(Reason::PaymentInProgress) => assert!(frozen),
                    _ => assert!(!frozen),
                }
            }
            Op::Provider(end) => {
                let Some((intent, amount)) = self.running() else {
                    return;
                };
                match end {
                    End::Approve | End::Duplicate => {
                        let ProviderStatus::Approved { transaction_id, .. } =
                            self.approve(&intent, amount)
                        else {
                            unreachable!()
                        };
                        let answer = Answer::Approved {
                            transaction_id: Some(transaction_id),
                            amount,
                        };
                        self.answer(&intent, answer.clone());
                        if matches!(end, End::Duplicate) {
                            let again = self
                                .till()
                                .payment_answer(&intent, answer, at())
                                .expect("again");
                            assert_eq!(again, Outcome::Refused(Reason::NoOpenSale));
                        }
                    }
                    End::Decline => {
                        self.provider.set(&intent, ProviderStatus::Failed);
                        self.answer(
                            &intent,
                            Answer::Failed {
                                why: Failure::Declined,
                                detail: "declined".into(),
                            },
                        );
                    }
                    End::Timeout => self.confirm(&intent, amount),
                    End::ApproveDropReply => {
                        self.approve(&intent, amount);
                        self.confirm(&intent, amount);
                    }
                    End::WrongAmount => {
                        let more = amount.checked_add(Money::from_ore(1)).expect("add");
                        let ProviderStatus::Approved { transaction_id, .. } =
                            self.approve(&intent, more)
                        else {
                            unreachable!()
                        };
                        self.answer(
                            &intent,
                            Answer::Approved {
                                transaction_id: Some(transaction_id),
                                amount: more,
                            },
                        );
                        assert_eq!(self.snapshot(), before, "the sale stays open");
                    }
                }
            }
            Op::Crash => self.restart(),
            Op::ApproveThenCrash => {
                if let Some((intent, amount)) = self.running() {
                    self.approve(&intent, amount);
                }
                self.restart();
            }
        }
        if frozen && self.running().is_some() {
            assert_eq!(self.snapshot(), before, "a frozen sale is unchanged");
        }
    }

    fn check(&mut self) {
        self.restart();
        let taken = self.provider.taken();
        let conn = rusqlite::Connection::open(&self.path).expect("open");
        let money = |s: String| Money::from_str(&s).expect("money");
        // Provider-paid tenders: reference = the provider's transaction id.
        let mut stmt = conn
            .prepare(
                "SELECT t.reference, t.amount, i.id FROM tender t
                 JOIN sale s ON s.id = t.sale_id
                 LEFT JOIN payment_intent i ON i.sale_id = s.id AND i.state = 'committed'
                 WHERE t.kind IN ('card', 'vipps')",
            )
            .expect("prepare");
        let paid: Vec<(Option<String>, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (reference, amount, intent) in &paid {
            let intent = intent.clone().expect("a provider tender closes its intent");
            let (tx, approved) = taken
                .get(&intent)
                .unwrap_or_else(|| panic!("sale for intent {intent} without an approved payment"));
            assert_eq!(reference.as_deref(), Some(tx.as_str()));
            assert_eq!(money(amount.clone()), *approved, "tender = what was taken");
            *seen.entry(intent).or_default() += 1;
        }
        for reference in taken.keys() {
            assert_eq!(
                seen.get(reference),
                Some(&1),
                "approved payment {reference}: exactly one sale"
            );
        }
        let store = self.till().store();
        for i in store.intents(false).expect("intents") {
            assert_ne!(i.state, IntentState::Open, "recovery closed {}", i.id);
            assert_ne!(i.state, IntentState::ReversalPending);
        }
        // Stored value spent at most once.
        let clips: Vec<(String, i64, i64)> = conn
            .prepare(
                "SELECT c.id, c.clips, (SELECT COALESCE(SUM(n), 0) FROM clip_use u WHERE u.card = c.id) FROM card c",
            )
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        // The cached row is the ledger's count; this till's own sales come
        // off it (nothing has synced here).
        for (card, cached, used) in clips {
            assert!(used <= cached, "card {card}: {used} clips used of {cached}");
        }
        let twice: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sale_line l JOIN sale_line m
                 ON l.discount_ref = m.discount_ref AND (l.sale_id, l.line_no) < (m.sale_id, m.line_no)
                 JOIN sale s ON s.id = l.sale_id JOIN sale t ON t.id = m.sale_id
                 WHERE l.discount_kind = 'coupon' AND m.discount_kind = 'coupon'
                   AND s.kind = 'sale' AND t.kind = 'sale'",
                [],
                |r| r.get(0),
            )
            .expect("coupons");
        assert_eq!(twice, 0, "no coupon on two lines");
        // Gap-free receipts and outbox.
        let gaps = |sql: &str| -> (i64, i64) {
            conn.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("gaps")
        };
        let (n, max) =
            gaps("SELECT COUNT(*), COALESCE(MAX(number), 0) FROM sale WHERE kind = 'sale'");
        assert_eq!(n, max, "receipt numbers gap-free");
        let (n, max) = gaps("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM outbox");
        assert_eq!(n, max, "outbox gap-free");
        // Tenders = total + rounding, to the øre.
        let sums: Vec<(String, String, String, String)> = conn
            .prepare(
                "SELECT s.id, s.total, s.rounding,
                        (SELECT group_concat(amount, ' ') FROM tender t WHERE t.sale_id = s.id)
                 FROM sale s",
            )
            .expect("prepare")
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (id, total, rounding, tenders) in sums {
            let paid = tenders
                .split_whitespace()
                .map(|a| money(a.to_string()))
                .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
                .expect("sum");
            let due = money(total).checked_add(money(rounding)).expect("due");
            assert_eq!(paid, due, "sale {id}: tenders = total + rounding");
        }
    }
}

fn cases() -> u32 {
    std::env::var("KASSE_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_payment_is_lost_or_taken_twice(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut world = World::new(dir.path());
        for op in &ops {
            world.step(op);
        }
        world.check();
    }
}

/// The one interleaving the model must never get wrong, spelled out: the
/// provider approves, the till dies before hearing it, and two restarts
/// commit the sale exactly once.
#[test]
fn approved_while_down_is_committed_once_over_two_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = World::new(dir.path());
    w.step(&Op::Tap("KAFFE"));
    w.step(&Op::Tender(TenderKind::Vipps));
    assert!(w.running().is_some());
    w.step(&Op::ApproveThenCrash);
    w.step(&Op::Crash);
    w.check();
    let sales = w.till().store().transactions(0, u64::MAX).expect("sales");
    assert_eq!(sales.len(), 1);
}
