//! The payment lifecycle against a real protocol client and its emulator:
//! the till pays card sales through the nexo client (`payments::nexo`) to the
//! terminal emulator on 127.0.0.1, whose fault mode changes from payment to
//! payment (approve, decline, approve-and-drop-the-reply, answer twice, go
//! away, wrong amount), with crashes before the terminal is asked and in the
//! middle of a payment. After every run the till restarts and recovers, and
//! the terminal's own book is the truth the till must match:
//! - every payment the terminal kept money for is exactly one committed sale
//!   whose card tender is that amount under that transaction id;
//! - no committed card sale without money kept at the terminal;
//! - no payment intent left open.
//!
//! CI runs a fixed number of cases; `KASSE_EMULATED_CASES=200 cargo test
//! --test payment_emulated` runs more.

use chrono::{DateTime, FixedOffset};
use kasse::data::Data;
use kasse::domain::sale::OfflineLimits;
use kasse::domain::{Money, TenderKind};
use kasse::payments::Provider;
use kasse::payments::emulator::{EmulatorHandle, Mode, spawn_terminal};
use kasse::payments::nexo::{Nexo, NexoConfig};
use kasse::payments::recover;
use kasse::payments::settle::settle;
use kasse::till::{Link, Mode as TillMode, Outcome, Till};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").expect("time")
}

#[derive(Clone, Copy, Debug)]
enum Crash {
    /// The payment runs to its end.
    None,
    /// The till dies after writing the intent, before asking the terminal.
    BeforeAsking,
    /// The till dies while the terminal works on the payment.
    MidPayment,
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        3 => Just(Mode::Approve),
        1 => Just(Mode::Decline),
        1 => Just(Mode::ApproveNoReply),
        1 => Just(Mode::AnswerTwice),
        1 => Just(Mode::GoAway),
        1 => Just(Mode::WrongAmount),
    ]
}

fn crash() -> impl Strategy<Value = Crash> {
    prop_oneof![
        4 => Just(Crash::None),
        1 => Just(Crash::BeforeAsking),
        1 => Just(Crash::MidPayment),
    ]
}

struct World {
    path: PathBuf,
    till: Option<Till>,
    terminal: EmulatorHandle,
    nexo: Arc<Nexo>,
}

fn open(path: &Path) -> Till {
    let store = kasse::wiring::open_demo_store(path, "kafe-1").expect("open");
    let link = Link {
        online: true,
        last_sync: at(),
    };
    Till::new(store, TillMode::SelfService, link, OfflineLimits::default()).expect("till")
}

impl World {
    fn new(dir: &Path) -> World {
        let path = dir.join("till.sqlite");
        let mut store = kasse::wiring::open_demo_store(&path, "kafe-1").expect("open");
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml");
        store
            .seed(&Data::load(&data).expect("demo"), at())
            .expect("seed");
        drop(store);
        let terminal = spawn_terminal(Mode::Approve).expect("terminal emulator");
        terminal.set_delay(Duration::from_millis(20));
        let nexo = Arc::new(Nexo::new(NexoConfig {
            url: terminal.url().to_string(),
            sale_id: "kafe-1".into(),
            poi_id: kasse::payments::emulator::terminal::POIID.into(),
            timeout_ms: 1500,
        }));
        World {
            till: Some(open(&path)),
            path,
            terminal,
            nexo,
        }
    }

    fn till(&mut self) -> &mut Till {
        self.till.as_mut().expect("the till runs")
    }

    /// The till starts again and resolves what it left open.
    fn restart(&mut self) {
        drop(self.till.take());
        let mut till = open(&self.path);
        let provider: Arc<dyn Provider> = self.nexo.clone();
        let lookup = move |_: &kasse::store::Intent| Some(Arc::clone(&provider));
        recover::recover(&mut till, &lookup, at()).expect("recovery");
        self.till = Some(till);
    }

    fn pay(&mut self, sku: &str, mode: Mode, crash: Crash) {
        self.till().tap(sku, 1);
        let out = self
            .till()
            .begin_payment(TenderKind::Card, None, "nexo", at())
            .expect("tender");
        let Outcome::Tendering { intent, amount, .. } = out else {
            panic!("no card payment started: {out:?}");
        };
        self.terminal.set_mode(mode);
        match crash {
            Crash::BeforeAsking => {
                self.terminal.set_mode(Mode::Approve);
                self.restart();
            }
            Crash::MidPayment => {
                let running = self.nexo.start(amount, &intent, "model");
                // The terminal has the request; then the till is gone.
                let until = std::time::Instant::now() + Duration::from_secs(5);
                while self.terminal.payment(&intent).is_none() && std::time::Instant::now() < until
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                drop(running);
                std::thread::sleep(Duration::from_millis(60));
                self.terminal.set_mode(Mode::Approve);
                self.restart();
            }
            Crash::None => {
                let nexo = Arc::clone(&self.nexo);
                match settle(
                    nexo.as_ref(),
                    amount,
                    &intent,
                    "model",
                    Duration::from_secs(3),
                ) {
                    Ok(answer) => {
                        let outcome = self
                            .till()
                            .payment_answer(&intent, answer, at())
                            .expect("answer");
                        if let Outcome::AmountMismatch {
                            intent, approved, ..
                        } = outcome
                        {
                            self.terminal.set_mode(Mode::Approve);
                            nexo.reverse(&intent, approved).expect("reversal");
                            self.till()
                                .payment_reversed(&intent, at())
                                .expect("reversed");
                        }
                    }
                    // Nothing known (the terminal went away): the intent
                    // stays open; the next start resolves it.
                    Err(_) => {
                        self.terminal.set_mode(Mode::Approve);
                        self.restart();
                    }
                }
            }
        }
        self.terminal.set_mode(Mode::Approve);
        if self.till().tendering().is_some() {
            self.restart();
        }
    }

    fn check(&mut self) {
        self.terminal.set_mode(Mode::Approve);
        self.restart();
        let open = self.till().store().intents(true).expect("intents");
        assert!(open.is_empty(), "left open: {open:?}");
        let conn = rusqlite::Connection::open(&self.path).expect("open");
        let tenders: Vec<(Option<String>, String)> = conn
            .prepare("SELECT reference, amount FROM tender WHERE kind = 'card'")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let kept: Vec<_> = self
            .terminal
            .payments()
            .into_iter()
            .filter(|p| p.kept().is_positive())
            .collect();
        for p in &kept {
            let sales: Vec<_> = tenders
                .iter()
                .filter(|(r, _)| r.as_deref() == Some(p.transaction_id.as_str()))
                .collect();
            assert_eq!(sales.len(), 1, "kept {p:?}: exactly one sale, {tenders:?}");
            assert_eq!(
                Money::from_str(&sales[0].1).expect("money"),
                p.kept(),
                "the tender is what the terminal kept"
            );
        }
        for (reference, amount) in &tenders {
            assert!(
                kept.iter()
                    .any(|p| Some(p.transaction_id.as_str()) == reference.as_deref()),
                "card sale {reference:?} {amount} without money kept at the terminal"
            );
        }
    }
}

fn cases() -> u32 {
    std::env::var("KASSE_EMULATED_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_till_matches_the_terminals_book(
        payments in prop::collection::vec(
            (prop_oneof![Just("KAFFE"), Just("SKOLEBOLLE"), Just("TE")], mode(), crash()),
            1..6,
        )
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut world = World::new(dir.path());
        for (sku, mode, crash) in payments {
            world.pay(sku, mode, crash);
        }
        world.check();
    }
}
