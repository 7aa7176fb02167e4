//! The demo's emulators keep their books in a state file, so a payment
//! outlives the till process as it does at the real provider: a Vipps
//! payment created before the till died is approved by the customer while
//! the till is down, and recovery on restart commits it once. A card payment
//! still waiting for the card when the till died ends aborted.

use kasse::config::{CardProvider, PaymentConfig, VippsProvider};
use kasse::data::Data;
use kasse::devices::payment::{PaymentUpdate, wait_final};
use kasse::domain::Money;
use kasse::domain::receipt::TenderKind;
use kasse::domain::sale::OfflineLimits;
use kasse::payments::emulator::{
    EmulatorHandle, Mode, StateFile, spawn_terminal_on, spawn_vipps_on,
};
use kasse::payments::epayment::{Epayment, EpaymentConfig};
use kasse::payments::nexo::{Nexo, NexoConfig};
use kasse::payments::recover::Resolution;
use kasse::payments::{Emulators, Provider, ProviderStatus};
use kasse::till::{Link, Outcome, Till};
use kasse::wiring::Providers;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the emulated customer takes to approve in the app.
const DELAY: Duration = Duration::from_millis(400);

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn reference() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sleeps until `DELAY` (and a margin) has passed since `since`.
fn after_the_delay(since: Instant) {
    let until = since + DELAY + Duration::from_millis(150);
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
}

fn epayment(vipps: &EmulatorHandle) -> Epayment {
    Epayment::new(EpaymentConfig {
        base_url: vipps.url().to_string(),
        client_id: "kasse-test".into(),
        client_secret: "secret".into(),
        subscription_key: "sub-key".into(),
        merchant_serial_number: "123456".into(),
        poll_ms: 50,
        // Long enough that the client orphaned by a "crash" never gives up
        // (and cancels) while the test runs.
        timeout_ms: 60_000,
    })
}

fn nexo(terminal: &EmulatorHandle) -> Nexo {
    Nexo::new(NexoConfig {
        url: terminal.url().to_string(),
        sale_id: "kasse-test".into(),
        poi_id: kasse::payments::emulator::terminal::POIID.into(),
        timeout_ms: 60_000,
    })
}

/// The saved state file, as JSON.
fn saved(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the state file");
    serde_json::from_str(&text).expect("the state file is JSON")
}

#[test]
fn a_vipps_payment_outlives_the_emulator_and_is_approved_and_captured_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("till.sqlite.emulators.json");
    let amount = Money::from_ore(4250);
    let reference = reference();

    let vipps = spawn_vipps_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("emulator");
    vipps.set_delay(DELAY);
    let started = Instant::now();
    let running = epayment(&vipps).start(amount, &reference, "Kaffe");
    wait_for("the payment at Vipps", || {
        vipps.payment(&reference).is_some()
    });
    // The till and its emulator die before the customer has approved.
    let before = vipps.payment(&reference).expect("created");
    assert_eq!(before.state, "CREATED");
    drop(vipps);
    drop(running);
    assert_eq!(
        saved(&state)["vipps"]["payments"][&reference]["state"],
        "CREATED"
    );

    // Meanwhile the customer approves in the app.
    after_the_delay(started);
    let vipps = spawn_vipps_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("reloaded");
    let record = vipps.payment(&reference).expect("read back");
    assert_eq!(record.state, "AUTHORIZED");
    assert_eq!(record.authorized, amount);
    assert_eq!(record.captured, Money::ZERO);
    assert_eq!(record.transaction_id, before.transaction_id);
    match epayment(&vipps).status(&reference).expect("status") {
        ProviderStatus::Approved {
            amount: approved, ..
        } => assert_eq!(approved, amount),
        other => panic!("not approved: {other:?}"),
    }
    assert_eq!(vipps.payment(&reference).expect("record").captured, amount);
    drop(vipps);

    // Another restart: the capture is in the book, and is not made again.
    let vipps = spawn_vipps_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("reloaded again");
    assert_eq!(vipps.payment(&reference).expect("record").captured, amount);
    match epayment(&vipps).status(&reference).expect("status") {
        ProviderStatus::Approved {
            amount: approved, ..
        } => assert_eq!(approved, amount),
        other => panic!("not approved: {other:?}"),
    }
    let records = vipps.payments();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].captured, amount);
    assert_eq!(vipps.approved().len(), 1);
}

#[test]
fn the_terminal_answers_from_its_saved_book_and_aborts_a_payment_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("emulators.json");
    let amount = Money::from_ore(3900);

    // An approved payment: TransactionStatus answers it after a restart.
    let terminal = spawn_terminal_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("terminal");
    let paid = reference();
    let running = nexo(&terminal).start(amount, &paid, "Kaffe");
    let PaymentUpdate::Approved {
        transaction_id,
        amount: approved,
    } = wait_final(&running.updates, Duration::from_secs(10), |_| {})
    else {
        panic!("the terminal approves")
    };
    assert_eq!(approved, amount);

    // A payment waiting for the card when the till dies.
    terminal.set_delay(Duration::from_secs(60));
    let cut = reference();
    let running = nexo(&terminal).start(amount, &cut, "Kaffe");
    wait_for("the payment at the terminal", || {
        terminal
            .payment(&cut)
            .is_some_and(|p| p.state == "InProgress")
    });
    drop(terminal);
    drop(running);

    let terminal = spawn_terminal_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("reloaded");
    assert_eq!(
        terminal.payment(&cut).expect("read back").state,
        "Failure:Aborted"
    );
    let client = nexo(&terminal);
    assert_eq!(client.status(&cut).expect("status"), ProviderStatus::Failed);
    assert_eq!(
        client.status(&paid).expect("status"),
        ProviderStatus::Approved {
            transaction_id,
            amount
        }
    );
    assert_eq!(
        saved(&state)["terminal"]["payments"][1]["state"],
        "Failure:Aborted"
    );
    // Nothing is left in progress: the terminal takes the next payment.
    terminal.set_delay(Duration::from_millis(10));
    let next = nexo(&terminal).start(amount, &reference(), "Kaffe");
    assert!(matches!(
        wait_final(&next.updates, Duration::from_secs(10), |_| {}),
        PaymentUpdate::Approved { .. }
    ));
}

fn till_on(db: &Path, seed: bool) -> Till {
    let mut store = kasse::wiring::open_demo_store(db, "t1").expect("open");
    if seed {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml");
        store
            .seed(&Data::load(&data).expect("demo data"), now())
            .expect("seed");
    }
    Till::new(
        store,
        kasse::till::Mode::Cashier,
        Link {
            online: true,
            last_sync: now(),
        },
        OfflineLimits::default(),
    )
    .expect("till")
}

fn count(till: &Till, sql: &str) -> i64 {
    till.store()
        .connection()
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_till_that_dies_mid_vipps_payment_commits_it_once_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("till.sqlite");
    let state = Emulators::state_beside(&db);
    assert_eq!(state, dir.path().join("till.sqlite.emulators.json"));
    let payment = PaymentConfig {
        delay_ms: u64::try_from(DELAY.as_millis()).expect("ms"),
        decline_permille: 0,
        timeout_ms: 60_000,
        card: CardProvider::Nexo,
        vipps: VippsProvider::Epayment,
        emulators: true,
        ..PaymentConfig::default()
    };

    let providers = Providers::from_payment(&payment, Some(&state)).expect("providers");
    assert!(providers.emulated);
    let mut till = till_on(&db, true);
    till.tap("KAFFE", 1);
    let started = Instant::now();
    let Outcome::Tendering { intent, amount, .. } = till
        .begin_payment(TenderKind::Vipps, None, providers.vipps.name(), now())
        .expect("begin")
    else {
        panic!("a Vipps payment goes to the provider")
    };
    let running = providers.vipps.start(amount, &intent, "Kaffe");
    wait_for("the payment at Vipps", || {
        std::fs::read_to_string(&state).is_ok_and(|t| t.contains(&intent))
    });
    assert_eq!(
        saved(&state)["vipps"]["payments"][&intent]["state"],
        "CREATED"
    );
    // kill -9: the till, its providers and the emulators are gone.
    drop(running);
    drop(till);
    drop(providers);

    // The customer approves in the app while the till is down; it restarts.
    after_the_delay(started);
    let providers = Providers::from_payment(&payment, Some(&state)).expect("providers");
    let mut till = till_on(&db, false);
    let done = kasse::wiring::recover(&mut till, &providers).expect("recover");
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].intent, intent);
    assert_eq!(done[0].amount, amount);
    assert!(
        matches!(done[0].resolution, Resolution::Committed { .. }),
        "{done:?}"
    );
    assert_eq!(count(&till, "SELECT COUNT(*) FROM sale"), 1);
    let tendered: String = till
        .store()
        .connection()
        .query_row("SELECT amount FROM tender WHERE kind = 'vipps'", [], |r| {
            r.get(0)
        })
        .expect("the Vipps tender");
    assert_eq!(tendered, amount.to_string());
    // A second recovery finds nothing open.
    assert!(
        kasse::wiring::recover(&mut till, &providers)
            .expect("recover again")
            .is_empty()
    );
    drop(providers);
    drop(till);

    // Another restart: still one sale, and Vipps captured it once.
    let providers = Providers::from_payment(&payment, Some(&state)).expect("providers");
    let mut till = till_on(&db, false);
    assert!(
        kasse::wiring::recover(&mut till, &providers)
            .expect("recover on the next start")
            .is_empty()
    );
    assert_eq!(count(&till, "SELECT COUNT(*) FROM sale"), 1);
    drop(providers);
    let vipps = spawn_vipps_on(Mode::Approve, Some(StateFile::open(&state).expect("state")))
        .expect("the book");
    let record = vipps.payment(&intent).expect("the payment");
    assert_eq!(record.state, "AUTHORIZED");
    assert_eq!(record.captured, amount);
    assert_eq!(vipps.payments().len(), 1);
}
