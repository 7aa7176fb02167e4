//! `kasse bench payments`: what the till itself adds to a card payment, and
//! how long recovery takes at start (spec/payments.md), against the
//! configured providers (the demo: the protocol clients against their
//! in-process emulators).
//!
//! - tender → provider asked: `Till::begin_payment` (bonus settled, payment
//!   intent written in its own transaction, sale frozen) up to the moment the
//!   provider's `start` returns;
//! - approval → receipt: the approval arriving up to a committed sale and its
//!   receipt laid out for printing;
//! - recovery: a till restarted with N payments approved at the provider
//!   while it was down, each resolved by asking the provider by reference.

use super::Latency;
use crate::data::Data;
use crate::domain::TenderKind;
use crate::domain::print;
use crate::domain::sale::OfflineLimits;
use crate::payments::PaymentUpdate;
use crate::payments::recover;
use crate::till::{Answer, Link, Mode, Outcome, Till};
use crate::wiring::{Providers, open_demo_store};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct PaymentsReport {
    pub provider: String,
    pub sales: usize,
    pub to_provider: Latency,
    pub to_receipt: Latency,
    /// The provider's own round trip (start → approved), for scale.
    pub provider_round_trip: Latency,
    pub intents: usize,
    pub recovery: Duration,
    pub recovered: usize,
}

impl fmt::Display for PaymentsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(
            f,
            "kasse bench payments: {} card payments through `{}`, WAL + synchronous=FULL on a real file",
            self.sales, self.provider
        )?;
        writeln!(
            f,
            "{:<44} {:>9} {:>9} {:>9}",
            "", "p50 ms", "p99 ms", "max ms"
        )?;
        for (name, l) in [
            ("till: tender pressed → provider asked", &self.to_provider),
            ("till: approval → receipt ready", &self.to_receipt),
            (
                "provider round trip (not the till's)",
                &self.provider_round_trip,
            ),
        ] {
            writeln!(
                f,
                "{name:<44} {:>9.3} {:>9.3} {:>9.3}",
                ms(l.p50),
                ms(l.p99),
                ms(l.max)
            )?;
        }
        writeln!(
            f,
            "recovery at start: {} open intents (approved while down) → {} sales committed in {:.1} ms ({:.2} ms each)",
            self.intents,
            self.recovered,
            ms(self.recovery),
            ms(self.recovery) / self.intents.max(1) as f64
        )
    }
}

fn open(path: &Path) -> Result<Till> {
    let store = open_demo_store(path, "bench-1")?;
    let link = Link {
        online: true,
        last_sync: now(),
    };
    Ok(Till::new(
        store,
        Mode::SelfService,
        link,
        OfflineLimits::default(),
    )?)
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Waits for the provider's final word on a running payment.
fn final_update(running: &crate::payments::Running) -> Result<PaymentUpdate> {
    loop {
        let update = running
            .updates
            .recv_timeout(Duration::from_secs(30))
            .context("the provider gave no final answer within 30 s")?;
        if update.is_final() {
            return Ok(update);
        }
    }
}

/// Runs `sales` card payments and then recovery of `intents` open ones.
pub fn payments(
    providers: &Providers,
    sales: usize,
    intents: usize,
    dir: &Path,
) -> Result<PaymentsReport> {
    let path = dir.join("bench-payments.sqlite");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = Data::load(&root.join("fixtures/data/demo.toml"))?;
    open_demo_store(&path, "bench-1")?.seed(&data, now())?;
    let provider = providers.card.clone();
    let mut till = open(&path)?;
    let (mut asked, mut done, mut round) = (Vec::new(), Vec::new(), Vec::new());
    let wall = Instant::now();
    for _ in 0..sales {
        till.tap("KAFFE", 1);
        let t0 = Instant::now();
        let Outcome::Tendering { intent, amount, .. } =
            till.begin_payment(TenderKind::Card, None, provider.name(), now())?
        else {
            bail!("the till did not start a card payment");
        };
        let running = provider.start(amount, &intent, "bench");
        asked.push(t0.elapsed());
        let t1 = Instant::now();
        let update = final_update(&running)?;
        round.push(t1.elapsed());
        let t2 = Instant::now();
        let PaymentUpdate::Approved {
            transaction_id,
            amount,
        } = update
        else {
            bail!("the provider did not approve: {update:?}");
        };
        let outcome = till.payment_answer(
            &intent,
            Answer::Approved {
                transaction_id: Some(transaction_id),
                amount,
            },
            now(),
        )?;
        let Outcome::Paid { receipt, .. } = outcome else {
            bail!("not paid: {outcome:?}");
        };
        let header = print::Header {
            company: "bench",
            org_no: "999999999",
            till: "bench-1",
            at: "",
            marking: print::Marking::Sale,
            copy: false,
        };
        let bytes = print::to_escpos(&print::rows(&receipt, &header, &|s: &str| s.to_string()));
        std::hint::black_box(bytes);
        done.push(t2.elapsed());
    }
    let wall = wall.elapsed();
    // Payments approved while the till was down: each one a restart.
    for _ in 0..intents {
        till.tap("KAFFE", 1);
        let Outcome::Tendering { intent, amount, .. } =
            till.begin_payment(TenderKind::Card, None, provider.name(), now())?
        else {
            bail!("the till did not start a card payment");
        };
        let running = provider.start(amount, &intent, "bench");
        final_update(&running)?;
        drop(till);
        till = open(&path)?;
    }
    let t = Instant::now();
    let lookup = |i: &crate::store::Intent| providers.for_intent(i);
    let resolved = recover::recover(&mut till, &lookup, now())?;
    let recovery = t.elapsed();
    let recovered = resolved
        .iter()
        .filter(|r| matches!(r.resolution, recover::Resolution::Committed { .. }))
        .count();
    Ok(PaymentsReport {
        provider: provider.name().to_string(),
        sales,
        to_provider: Latency::from(asked, wall),
        to_receipt: Latency::from(done, wall),
        provider_round_trip: Latency::from(round, wall),
        intents,
        recovery,
        recovered,
    })
}
