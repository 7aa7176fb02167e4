//! The protocol clients against their emulators over loopback
//! (spec/payments.md, "Providers" and "Emulators"): every fault mode, and
//! the invariant that the till is told "approved" exactly when the provider
//! kept the customer's money, for that amount and transaction id.

use kasse::domain::Money;
use kasse::payments::emulator::{EmulatorHandle, Mode, spawn_terminal, spawn_vipps, terminal};
use kasse::payments::epayment::{Epayment, EpaymentConfig};
use kasse::payments::nexo::{Nexo, NexoConfig};
use kasse::payments::{PaymentUpdate, Provider, ProviderStatus, Running, Step};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(10);

fn reference() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn amount() -> Money {
    Money::from_ore(6547)
}

fn vipps(mode: Mode, timeout_ms: u64) -> (EmulatorHandle, Epayment) {
    let emulator = spawn_vipps(mode).expect("vipps emulator");
    let client = Epayment::new(EpaymentConfig {
        base_url: emulator.url().to_string(),
        client_id: "kasse-test".into(),
        client_secret: "secret".into(),
        subscription_key: "subscription".into(),
        merchant_serial_number: "123456".into(),
        poll_ms: 5,
        timeout_ms,
    });
    (emulator, client)
}

fn card(mode: Mode, timeout_ms: u64) -> (EmulatorHandle, Nexo) {
    let emulator = spawn_terminal(mode).expect("terminal emulator");
    let client = Nexo::new(NexoConfig {
        url: emulator.url().to_string(),
        sale_id: "kafe-1".into(),
        poi_id: terminal::POIID.into(),
        timeout_ms,
    });
    (emulator, client)
}

/// Every update of a payment, the final one last.
fn run(running: &Running) -> Vec<PaymentUpdate> {
    let deadline = Instant::now() + LIMIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let update = running
            .updates
            .recv_timeout(left)
            .expect("a final update in time");
        let last = update.is_final();
        seen.push(update);
        if last {
            return seen;
        }
    }
}

fn pay(provider: &dyn Provider, reference: &str) -> (Vec<PaymentUpdate>, PaymentUpdate) {
    let mut seen = run(&provider.start(amount(), reference, "Kafe 1: 2 varer"));
    let last = seen.pop().expect("updates");
    (seen, last)
}

/// Starts a payment and cancels it once it waits for the customer.
fn pay_and_cancel(provider: &dyn Provider, reference: &str, waiting: Step) -> PaymentUpdate {
    let running = provider.start(amount(), reference, "Kafe 1");
    loop {
        match running.updates.recv_timeout(LIMIT).expect("progress") {
            PaymentUpdate::Progress(step) if step == waiting => break,
            u if u.is_final() => return u,
            _ => {}
        }
    }
    std::thread::sleep(Duration::from_millis(30));
    running.cancel.store(true, Ordering::SeqCst);
    run(&running).pop().expect("final")
}

/// Approved ⇔ the emulator kept exactly that money under that id.
fn told_the_truth(emulator: &EmulatorHandle, reference: &str, last: &PaymentUpdate) {
    match last {
        PaymentUpdate::Approved {
            transaction_id,
            amount,
        } => assert!(
            emulator
                .approved()
                .contains(&(reference.to_string(), *amount, transaction_id.clone())),
            "{last:?} but the emulator kept {:?}",
            emulator.approved()
        ),
        _ => assert!(
            emulator
                .payment(reference)
                .is_none_or(|r| r.kept().is_zero()),
            "{last:?} but the emulator kept {:?}",
            emulator.payment(reference)
        ),
    }
}

fn approved_amount(last: &PaymentUpdate) -> Money {
    match last {
        PaymentUpdate::Approved { amount, .. } => *amount,
        other => panic!("not approved: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Vipps MobilePay ePayment
// ---------------------------------------------------------------------------

#[test]
fn vipps_approves_shows_the_qr_and_captures_what_vipps_says() {
    let (emulator, client) = vipps(Mode::Approve, 3000);
    let r = reference();
    let (progress, last) = pay(&client, &r);
    told_the_truth(&emulator, &r, &last);
    assert_eq!(approved_amount(&last), amount());
    let record = emulator.payment(&r).expect("recorded");
    assert_eq!(
        (record.state.as_str(), record.captured),
        ("AUTHORIZED", amount())
    );
    assert!(
        progress.contains(&PaymentUpdate::ShowQr(format!(
            "{}/landing/{r}",
            emulator.url()
        ))),
        "{progress:?}"
    );
    for step in [Step::Connecting, Step::WaitingForCustomer, Step::Capturing] {
        assert!(
            progress.contains(&PaymentUpdate::Progress(step)),
            "{progress:?}"
        );
    }
    assert_eq!(client.name(), "epayment");
}

#[test]
fn vipps_decline_is_declined_and_nothing_is_taken() {
    let (emulator, client) = vipps(Mode::Decline, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    assert!(matches!(last, PaymentUpdate::Declined { .. }), "{last:?}");
    told_the_truth(&emulator, &r, &last);
    assert_eq!(
        emulator.payment(&r).map(|p| p.state),
        Some("ABORTED".into())
    );
}

#[test]
fn vipps_cancel_mid_payment_cancels_at_vipps() {
    let (emulator, client) = vipps(Mode::Delay(5000), 8000);
    let r = reference();
    let last = pay_and_cancel(&client, &r, Step::WaitingForCustomer);
    assert_eq!(last, PaymentUpdate::Cancelled);
    let record = emulator.payment(&r).expect("recorded");
    assert_eq!(
        (record.state.as_str(), record.cancelled),
        ("TERMINATED", amount())
    );
    told_the_truth(&emulator, &r, &last);
}

#[test]
fn vipps_status_by_reference_approved_pending_unknown() {
    let (emulator, client) = vipps(Mode::Approve, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    let PaymentUpdate::Approved { transaction_id, .. } = last else {
        panic!("{last:?}")
    };
    assert_eq!(
        client.status(&r).expect("status"),
        ProviderStatus::Approved {
            transaction_id,
            amount: amount()
        }
    );
    assert_eq!(
        client.status(&reference()).expect("status"),
        ProviderStatus::Unknown
    );
    // A payment whose customer has not acted yet (the till crashed while waiting).
    emulator.set_mode(Mode::Delay(60_000));
    let pending = reference();
    raw::create(&emulator, &pending, &pending, 2500);
    assert_eq!(
        client.status(&pending).expect("status"),
        ProviderStatus::Pending
    );
    // Recovery cancels a pending payment.
    client
        .reverse(&pending, Money::from_ore(2500))
        .expect("cancel");
    assert_eq!(
        client.status(&pending).expect("status"),
        ProviderStatus::Failed
    );
}

#[test]
fn vipps_status_captures_an_approval_the_till_never_captured() {
    let (emulator, client) = vipps(Mode::Approve, 3000);
    let r = reference();
    raw::create(&emulator, &r, &r, 1999);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(
        emulator.payment(&r).map(|p| (p.state, p.captured)),
        Some(("AUTHORIZED".into(), Money::ZERO))
    );
    let ProviderStatus::Approved {
        transaction_id,
        amount,
    } = client.status(&r).expect("status")
    else {
        panic!("approved")
    };
    assert_eq!(amount, Money::from_ore(1999));
    assert_eq!(
        emulator.approved(),
        [(r.clone(), amount, transaction_id.clone())]
    );
    // Asking again neither captures twice nor changes the answer.
    assert_eq!(
        client.status(&r).expect("status"),
        ProviderStatus::Approved {
            transaction_id,
            amount
        }
    );
    assert_eq!(emulator.payment(&r).map(|p| p.captured), Some(amount));
}

#[test]
fn vipps_reverse_refunds_and_refund_gives_back_part() {
    let (emulator, client) = vipps(Mode::Approve, 3000);
    let returned = reference();
    let (_, last) = pay(&client, &returned);
    told_the_truth(&emulator, &returned, &last);
    client
        .refund(&returned, Money::from_ore(1000))
        .expect("refund");
    let record = emulator.payment(&returned).expect("recorded");
    assert_eq!(record.refunded, Money::from_ore(1000));
    assert_eq!(record.kept(), Money::from_ore(5547));

    let reversed = reference();
    let (_, last) = pay(&client, &reversed);
    client
        .reverse(&reversed, approved_amount(&last))
        .expect("reverse");
    let record = emulator.payment(&reversed).expect("recorded");
    assert_eq!((record.captured, record.refunded), (amount(), amount()));
    assert_eq!(
        client.status(&reversed).expect("status"),
        ProviderStatus::Failed
    );
    assert!(emulator.approved().iter().all(|(r, ..)| *r != reversed));
}

#[test]
fn vipps_wrong_amount_is_reported_uncaptured_and_reversal_releases_it() {
    let (emulator, client) = vipps(Mode::WrongAmount, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    let record = emulator.payment(&r).expect("recorded");
    assert_eq!(approved_amount(&last), record.authorized);
    assert_eq!(record.authorized, amount() + Money::from_ore(100));
    assert_eq!(
        record.captured,
        Money::ZERO,
        "a wrong amount is never captured"
    );
    client.reverse(&r, record.authorized).expect("reverse");
    let record = emulator.payment(&r).expect("recorded");
    assert_eq!(record.cancelled, record.authorized);
    assert!(emulator.approved().is_empty());
}

#[test]
fn vipps_going_away_times_out_and_never_approves() {
    let (emulator, client) = vipps(Mode::GoAway, 300);
    let r = reference();
    let started = Instant::now();
    let (_, last) = pay(&client, &r);
    assert!(
        matches!(
            last,
            PaymentUpdate::TimedOut | PaymentUpdate::Declined { .. }
        ),
        "{last:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    told_the_truth(&emulator, &r, &last);
    // It comes back: the payment was never approved.
    emulator.set_mode(Mode::Approve);
    assert_eq!(
        emulator.payment(&r).map(|p| p.state),
        Some("CREATED".into())
    );
}

#[test]
fn vipps_lost_answers_time_out_and_the_authorisation_is_released() {
    let (emulator, client) = vipps(Mode::ApproveNoReply, 300);
    let r = reference();
    let (_, last) = pay(&client, &r);
    assert_eq!(last, PaymentUpdate::TimedOut);
    told_the_truth(&emulator, &r, &last);
    let record = emulator.payment(&r).expect("recorded");
    assert_eq!(record.state, "AUTHORIZED");
    assert_eq!(
        (record.captured, record.cancelled),
        (Money::ZERO, record.authorized)
    );
}

#[test]
fn vipps_the_same_payment_twice_is_one_payment() {
    let (emulator, client) = vipps(Mode::AnswerTwice, 3000);
    let r = reference();
    let (_, first) = pay(&client, &r);
    let (_, second) = pay(&client, &r);
    assert_eq!(first, second);
    told_the_truth(&emulator, &r, &second);
    assert_eq!(emulator.payments().len(), 1);
    assert_eq!(emulator.payment(&r).map(|p| p.captured), Some(amount()));
    // The raw API: the same Idempotency-Key and body get the same answer.
    let other = reference();
    let a = raw::create(&emulator, &other, "key-1", 500);
    let b = raw::create(&emulator, &other, "key-1", 500);
    assert_eq!(a, b);
    assert_eq!(emulator.payments().len(), 2);
}

#[test]
fn vipps_emulator_refuses_bad_requests_as_problems() {
    let (emulator, _client) = vipps(Mode::Approve, 3000);
    let token = raw::token(&emulator);
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/epayment/v1/payments", emulator.url());
    let good = serde_json::json!({
        "amount": {"currency": "NOK", "value": 100},
        "paymentMethod": {"type": "WALLET"},
        "reference": reference(), "userFlow": "QR"
    });
    let send = |key: Option<&str>, auth: bool, body: &serde_json::Value| {
        let mut req = http
            .post(&url)
            .header("Ocp-Apim-Subscription-Key", "s")
            .header("Merchant-Serial-Number", "123456")
            .json(body);
        if auth {
            req = req.bearer_auth(&token);
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let res = req.send().expect("answer");
        let status = res.status().as_u16();
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body: serde_json::Value = res.json().expect("json");
        (status, kind, body)
    };
    let (status, kind, problem) = send(None, true, &good);
    assert_eq!((status, kind.as_str()), (400, "application/problem+json"));
    for field in ["type", "title", "status", "traceId"] {
        assert!(problem.get(field).is_some(), "{problem}");
    }
    assert_eq!(send(Some("k"), false, &good).0, 401);
    let mut missing = good.clone();
    if let Some(o) = missing.as_object_mut() {
        o.remove("paymentMethod");
    }
    assert_eq!(send(Some("k2"), true, &missing).0, 400);
    let mut short = good.clone();
    short["reference"] = "abc".into();
    assert_eq!(send(Some("k3"), true, &short).0, 400);
    assert_eq!(send(Some("k4"), true, &good).0, 201);
    assert_eq!(emulator.payments().len(), 1);
}

// ---------------------------------------------------------------------------
// nexo card terminal
// ---------------------------------------------------------------------------

#[test]
fn terminal_approves_with_its_transaction_id_and_amount() {
    let (emulator, client) = card(Mode::Approve, 3000);
    let r = reference();
    let (progress, last) = pay(&client, &r);
    told_the_truth(&emulator, &r, &last);
    assert_eq!(approved_amount(&last), amount());
    assert_eq!(
        progress,
        [
            PaymentUpdate::Progress(Step::Connecting),
            PaymentUpdate::Progress(Step::PresentCard)
        ]
    );
    assert_eq!(
        emulator.payment(&r).map(|p| p.state),
        Some("Success".into())
    );
    assert_eq!(client.name(), "nexo");
}

#[test]
fn terminal_decline_says_why() {
    let (emulator, client) = card(Mode::Decline, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    let PaymentUpdate::Declined { why, reason } = &last else {
        panic!("{last:?}")
    };
    // The kind for the screen, the terminal's own words for the journal.
    assert_eq!(*why, kasse::payments::Decline::Refused);
    assert!(
        reason.starts_with("Refusal: Declined by the card issuer"),
        "{reason}"
    );
    told_the_truth(&emulator, &r, &last);
}

#[test]
fn terminal_cancel_mid_payment_sends_an_abort() {
    let (emulator, client) = card(Mode::Delay(5000), 8000);
    let r = reference();
    let started = Instant::now();
    let last = pay_and_cancel(&client, &r, Step::PresentCard);
    assert_eq!(last, PaymentUpdate::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        emulator.payment(&r).map(|p| p.state),
        Some("Failure:Aborted".into())
    );
    told_the_truth(&emulator, &r, &last);
}

#[test]
fn terminal_status_by_reference_approved_pending_unknown() {
    let (emulator, client) = card(Mode::Approve, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    let PaymentUpdate::Approved {
        transaction_id,
        amount: paid,
    } = last
    else {
        panic!("{last:?}")
    };
    assert_eq!(
        client.status(&r).expect("status"),
        ProviderStatus::Approved {
            transaction_id,
            amount: paid
        }
    );
    assert_eq!(
        client.status(&reference()).expect("status"),
        ProviderStatus::Unknown
    );
    emulator.set_mode(Mode::Delay(5000));
    let pending = reference();
    let running = client.start(amount(), &pending, "Kafe 1");
    let deadline = Instant::now() + LIMIT;
    while emulator.payment(&pending).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        client.status(&pending).expect("status"),
        ProviderStatus::Pending
    );
    // Recovery cancels a pending payment: an abort.
    client.reverse(&pending, amount()).expect("abort");
    assert_eq!(run(&running).pop(), Some(PaymentUpdate::Cancelled));
    assert_eq!(
        client.status(&pending).expect("status"),
        ProviderStatus::Failed
    );
}

#[test]
fn terminal_reverse_and_refund_give_the_money_back() {
    let (emulator, client) = card(Mode::Approve, 3000);
    let reversed = reference();
    let (_, last) = pay(&client, &reversed);
    client
        .reverse(&reversed, approved_amount(&last))
        .expect("reverse");
    let record = emulator.payment(&reversed).expect("recorded");
    assert_eq!(record.refunded, amount());
    assert!(emulator.approved().is_empty());

    let returned = reference();
    pay(&client, &returned);
    // A fresh client knows nothing: it asks the terminal for the original.
    let fresh = Nexo::new(NexoConfig {
        url: emulator.url().to_string(),
        sale_id: "kafe-1".into(),
        poi_id: terminal::POIID.into(),
        timeout_ms: 3000,
    });
    fresh
        .refund(&returned, Money::from_ore(1000))
        .expect("refund");
    assert_eq!(
        emulator.payment(&returned).map(|p| p.kept()),
        Some(Money::from_ore(5547))
    );
    assert!(fresh.refund(&returned, Money::from_ore(99_999)).is_err());
}

#[test]
fn terminal_wrong_amount_reports_the_terminals_amount() {
    let (emulator, client) = card(Mode::WrongAmount, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    told_the_truth(&emulator, &r, &last);
    assert_eq!(approved_amount(&last), amount() + Money::from_ore(100));
    client.reverse(&r, approved_amount(&last)).expect("reverse");
    assert!(emulator.approved().is_empty());
}

#[test]
fn terminal_going_away_times_out_and_never_approves() {
    let (emulator, client) = card(Mode::GoAway, 300);
    let r = reference();
    let started = Instant::now();
    let (_, last) = pay(&client, &r);
    assert!(
        matches!(
            last,
            PaymentUpdate::TimedOut | PaymentUpdate::Declined { .. }
        ),
        "{last:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    told_the_truth(&emulator, &r, &last);
}

#[test]
fn terminal_lost_answer_is_found_by_transaction_status() {
    let (emulator, client) = card(Mode::ApproveNoReply, 3000);
    let r = reference();
    let (_, last) = pay(&client, &r);
    assert_eq!(approved_amount(&last), amount());
    told_the_truth(&emulator, &r, &last);
}

#[test]
fn terminal_the_same_payment_twice_is_one_payment() {
    let (emulator, client) = card(Mode::AnswerTwice, 3000);
    let r = reference();
    let (_, first) = pay(&client, &r);
    let (_, second) = pay(&client, &r);
    assert_eq!(first, second);
    told_the_truth(&emulator, &r, &second);
    assert_eq!(emulator.payments().len(), 1);
}

#[test]
fn terminal_rejects_what_it_cannot_read() {
    let (emulator, _client) = card(Mode::Approve, 3000);
    let http = reqwest::blocking::Client::new();
    let post = |body: String| {
        let res = http
            .post(emulator.url())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("answer");
        let status = res.status().as_u16();
        (status, res.json::<serde_json::Value>().expect("json"))
    };
    let (status, event) = post("{\"hello\": 1}".into());
    assert_eq!(status, 400);
    let notification = &event["SaleToPOIRequest"]["EventNotification"];
    assert_eq!(notification["EventToNotify"], "Reject");
    assert_eq!(
        event["SaleToPOIRequest"]["MessageHeader"]["MessageCategory"],
        "Event"
    );
    let wrong_terminal = serde_json::json!({"SaleToPOIRequest": {
        "MessageHeader": {"ProtocolVersion": "3.0", "MessageClass": "Service",
            "MessageCategory": "Payment", "MessageType": "Request",
            "ServiceID": "1234567890", "SaleID": "kafe-1", "POIID": "V400m-1"},
        "PaymentRequest": {
            "SaleData": {"SaleTransactionID": {"TransactionID": "x", "TimeStamp": "2026-01-01T00:00:00Z"}},
            "PaymentTransaction": {"AmountsReq": {"Currency": "NOK", "RequestedAmount": 1.5}}}}});
    let (status, event) = post(wrong_terminal.to_string());
    assert_eq!(status, 400, "{event}");
    assert!(emulator.payments().is_empty());
}

// ---------------------------------------------------------------------------
// Choosing providers from the config
// ---------------------------------------------------------------------------

#[test]
fn the_demo_config_pays_through_the_protocol_clients_and_emulators() {
    use kasse::config::{CardProvider, PaymentConfig, VippsProvider};
    use kasse::domain::receipt::TenderKind;
    use kasse::payments::{ChooseError, Emulators, provider};
    let demo = PaymentConfig {
        delay_ms: 20,
        timeout_ms: 5000,
        card: CardProvider::Nexo,
        vipps: VippsProvider::Epayment,
        emulators: true,
        ..PaymentConfig::default()
    };
    assert!(Emulators::wanted(&demo));
    let emulators = Emulators::for_config(&demo, None)
        .expect("emulators start")
        .expect("wanted");
    let card = provider(TenderKind::Card, &demo, Some(&emulators)).expect("card");
    let vipps = provider(TenderKind::Vipps, &demo, Some(&emulators)).expect("vipps");
    assert_eq!((card.name(), vipps.name()), ("nexo", "epayment"));
    let terminal_url = emulators.terminal().url().to_string();
    // The providers keep their emulators running.
    drop(emulators);
    for provider in [&card, &vipps] {
        let r = reference();
        let (_, last) = pay(provider.as_ref(), &r);
        assert_eq!(approved_amount(&last), amount(), "{}", provider.name());
    }
    assert!(terminal_url.starts_with("http://127.0.0.1:"));

    let without = PaymentConfig {
        emulators: false,
        ..demo.clone()
    };
    assert!(!Emulators::wanted(&without));
    assert!(matches!(
        provider(TenderKind::Card, &without, None),
        Err(ChooseError::NotConfigured { provider: "nexo" })
    ));
    assert!(matches!(
        provider(TenderKind::Cash, &without, None),
        Err(ChooseError::NoProvider(_))
    ));
    let simulated =
        provider(TenderKind::Vipps, &PaymentConfig::default(), None).expect("simulator");
    assert_eq!(simulated.name(), "simulator");
    assert!(
        Emulators::for_config(&PaymentConfig::default(), None)
            .expect("nothing to start")
            .is_none()
    );
}

/// The emulated Vipps API called directly, as another till or a crashed one would.
mod raw {
    use super::*;

    pub fn token(emulator: &EmulatorHandle) -> String {
        let res = reqwest::blocking::Client::new()
            .post(format!("{}/accesstoken/get", emulator.url()))
            .header("client_id", "id")
            .header("client_secret", "secret")
            .header("Ocp-Apim-Subscription-Key", "s")
            .header("Merchant-Serial-Number", "123456")
            .send()
            .expect("token");
        let body: serde_json::Value = res.json().expect("json");
        body["access_token"].as_str().expect("token").to_string()
    }

    /// Creates a QR payment; the answer's status and body.
    pub fn create(
        emulator: &EmulatorHandle,
        reference: &str,
        key: &str,
        ore: i64,
    ) -> (u16, String) {
        let res = reqwest::blocking::Client::new()
            .post(format!("{}/epayment/v1/payments", emulator.url()))
            .bearer_auth(token(emulator))
            .header("Ocp-Apim-Subscription-Key", "s")
            .header("Merchant-Serial-Number", "123456")
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({
                "amount": {"currency": "NOK", "value": ore},
                "paymentMethod": {"type": "WALLET"},
                "customerInteraction": "CUSTOMER_PRESENT",
                "reference": reference, "userFlow": "QR",
                "qrFormat": {"format": "TEXT/TARGETURL"},
                "paymentDescription": "raw test"
            }))
            .send()
            .expect("create");
        (res.status().as_u16(), res.text().expect("body"))
    }
}
