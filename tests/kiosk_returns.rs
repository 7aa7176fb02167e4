//! Returns at the cashier's till (issue 17), the whole `App` on a real
//! SQLite till with the demo data: the sale found by its number or its
//! receipt QR, units chosen, money back the way it was paid, a unit never
//! returned twice, a forged receipt QR refused.

mod harness;

use harness::*;
use iced::keyboard::key::Named;
use kasse::domain::receipt::TenderKind;
use kasse::domain::{Money, Receipt};
use kasse::store::SaleKind;
use kasse::ui::app::Screen;
use kasse::ui::screen::returns::Stage;

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

fn cashier() -> Kiosk {
    let mut k = kiosk(Mode::Cashier);
    k.pin_typed("1234");
    assert_eq!(k.app.screen.name(), "register");
    k
}

/// Sells what `items` types (one PLU per entry) for cash, no receipt.
fn sell_cash(k: &mut Kiosk, items: &[&str], given: &str) {
    for item in items {
        k.type_text(item);
        k.named(Named::Enter);
    }
    k.named(Named::F8);
    k.named(Named::F7);
    k.type_text(given);
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "receipt");
    k.named(Named::F7);
    assert_eq!(k.app.screen.name(), "register");
}

/// A return of the first unit of sales receipt 1.
fn first_unit(till: &Till) -> kasse::till::ReturnPlan {
    let of = till
        .returnable("kafe-1", 1, None, kasse::till::Original::Unreachable)
        .unwrap();
    till.plan_return(&of, &[(1, 1)]).unwrap()
}

fn stage(k: &Kiosk) -> Stage {
    match &k.app.screen {
        Screen::Returns(s) => s.stage.clone(),
        other => panic!("not on the returns screen: {}", other.name()),
    }
}

fn return_receipt(k: &Kiosk, number: u64) -> Receipt {
    k.app
        .till()
        .store()
        .receipt(SaleKind::Return, number)
        .expect("the return is saved")
        .1
}

#[test]
fn a_cash_sale_is_returned_unit_by_unit_with_the_keyboard_and_never_twice() {
    let mut k = cashier();
    // Two skoleboller and a coffee, paid in cash.
    sell_cash(&mut k, &["2*SKOLEBOLLE", "KAFFE"], "200");
    let sold = k.app.till().store().receipt(SaleKind::Sale, 1).unwrap().1;
    let bolle = sold.lines[0].amount;
    let drawer = k.journaled("drawer_open");
    // F6 opens returns; the number typed, Enter finds the sale.
    k.named(Named::F6);
    assert_eq!(k.app.screen.name(), "returns");
    k.type_text("1");
    k.named(Named::Enter);
    assert!(matches!(stage(&k), Stage::Choose { .. }), "{:?}", stage(&k));
    // "1" adds one unit of line 1; Enter shows what goes back.
    k.type_text("1");
    k.named(Named::Enter);
    let Stage::Confirm { plan } = stage(&k) else {
        panic!("{:?}", stage(&k))
    };
    assert_eq!(plan.units, vec![(1, 1)]);
    assert_eq!(plan.tender, Some(TenderKind::Cash));
    assert!(k.shows("Betal tilbake"));
    // Enter refunds: cash from the drawer, no provider, saved at once.
    k.named(Named::Enter);
    assert!(matches!(stage(&k), Stage::Done(_)), "{:?}", stage(&k));
    assert!(k.shows("✓ Returnert og lagret"));
    let first = return_receipt(&k, 1);
    assert_eq!(first.lines.len(), 1);
    assert_eq!(first.lines[0].qty, 1);
    // One bolle of two: half the line, to the øre.
    let half = bolle.times(rust_decimal::Decimal::new(5, 1));
    assert_eq!(first.total, -half);
    assert_eq!(first.tenders.len(), 1);
    assert_eq!(first.tenders[0].kind, TenderKind::Cash);
    assert_eq!(
        first.tenders[0].amount,
        -half.to_whole_krone(),
        "cash is paid out in whole kroner"
    );
    assert_eq!(k.journaled("return"), 1, "journaled 13013");
    assert_eq!(
        k.journaled("drawer_open"),
        drawer + 1,
        "the cash came from the drawer"
    );
    // Printed as a Returkvittering.
    let paper = String::from_utf8_lossy(k.app.printed.last().unwrap()).into_owned();
    assert!(paper.contains("Returkvittering"), "{paper}");
    assert!(
        paper.contains("Retur av kvittering nr 1 (kasse kafe-1)"),
        "{paper}"
    );
    // Back (Enter), and again: line 1 has one unit left; pressing "1"
    // twice cycles through 1 and back to none.
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "register");
    k.named(Named::F6);
    k.type_text("1");
    k.named(Named::Enter);
    let Stage::Choose { of, .. } = stage(&k) else {
        panic!()
    };
    assert_eq!(of.lines[0].left(), 1);
    assert_eq!(of.lines[1].left(), 1);
    k.type_text("1");
    k.type_text("1");
    k.named(Named::Enter);
    assert!(
        matches!(stage(&k), Stage::Choose { .. }),
        "nothing chosen: no plan"
    );
    // F8: all that is left (the other bolle and the coffee).
    k.named(Named::F8);
    k.named(Named::Enter);
    k.named(Named::Enter);
    let second = return_receipt(&k, 2);
    assert_eq!(
        first.total + second.total,
        -sold.total,
        "two returns give back the sale exactly"
    );
    // A third time: nothing is left to return.
    k.named(Named::Enter);
    k.named(Named::F6);
    k.type_text("1");
    k.named(Named::Enter);
    let Stage::Choose { of, .. } = stage(&k) else {
        panic!()
    };
    assert!(of.lines.iter().all(|l| l.left() == 0));
    k.type_text("1");
    k.named(Named::F8);
    k.named(Named::Enter);
    assert!(matches!(stage(&k), Stage::Choose { .. }));
    assert!(k.app.till().store().receipt(SaleKind::Return, 3).is_err());
}

#[test]
fn the_store_refuses_a_unit_returned_twice_even_from_a_stale_plan() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = demo_till(&dir.path().join("till.sqlite"), Mode::Cashier);
    till.login("kari", at()).unwrap();
    till.tap("KAFFE", 1);
    till.pay(
        kasse::till::PayRequest {
            tender: TenderKind::Cash,
            cash_given: Some(m("50")),
            approved: true,
            reference: None,
        },
        at(),
    )
    .unwrap();
    let plan = first_unit(&till);
    // Two screens planned the same unit; the second save is refused whole.
    till.commit_return("0192f0a0b1c2d3e4f5a6b7c8d9e0f101", &plan, None, at())
        .expect("first");
    let again = till.commit_return("0192f0a0b1c2d3e4f5a6b7c8d9e0f102", &plan, None, at());
    assert!(
        matches!(
            again,
            Err(kasse::till::TillError::Store(
                kasse::store::StoreError::AlreadyReturned {
                    line: 1,
                    left: 0,
                    ..
                }
            ))
        ),
        "{again:?}"
    );
    assert!(
        till.store().receipt(SaleKind::Return, 2).is_err(),
        "nothing written"
    );
}

#[test]
fn a_students_card_sale_with_bonus_goes_back_to_the_card_and_the_bonus_balance() {
    let mut k = cashier();
    // Ola (a student, 12.40 bonus) buys weighed food (earns bonus) and a
    // coffee, uses his bonus (F2, F2), pays by card.
    k.scan(OLA);
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    k.type_text("VEKT");
    k.named(Named::Enter);
    k.type_text("KAFFE");
    k.named(Named::Enter);
    k.named(Named::F2);
    k.named(Named::F2);
    k.named(Named::F8);
    k.named(Named::F5);
    k.approve("T-1");
    assert_eq!(k.sales(), 1);
    let (_, sold) = k.app.till().store().receipt(SaleKind::Sale, 1).unwrap();
    let bonus_used = sold
        .tenders
        .iter()
        .find(|t| t.kind == TenderKind::Bonus)
        .expect("bonus used")
        .amount;
    assert!(sold.bonus_earned.is_positive(), "weighed food earns bonus");
    let balance = |k: &Kiosk| {
        k.app
            .till()
            .store()
            .member("M-100001")
            .unwrap()
            .unwrap()
            .bonus
    };
    let before = balance(&k);
    if k.app.screen.name() == "receipt" {
        k.named(Named::F7);
    }
    // The weighed line goes back.
    k.named(Named::F6);
    k.type_text("1");
    k.named(Named::Enter);
    k.type_text("1");
    k.named(Named::Enter);
    let Stage::Confirm { plan } = stage(&k) else {
        panic!("{:?}", stage(&k))
    };
    assert_eq!(plan.tender, Some(TenderKind::Card));
    assert!(plan.bonus_back.is_positive() && plan.bonus_back < bonus_used);
    assert_eq!(plan.amount, sold.lines[0].amount);
    assert_eq!(plan.bonus_back + plan.money_back, plan.amount);
    assert_eq!(plan.earned_back, sold.bonus_earned, "all the earning line");
    // Refund: the card terminal is asked; a refusal returns nothing.
    k.named(Named::Enter);
    let Stage::Refunding { id, .. } = stage(&k) else {
        panic!("{:?}", stage(&k))
    };
    k.send(Message::Refunded(id, Err("terminal declined".into())));
    assert!(matches!(stage(&k), Stage::Confirm { .. }));
    assert!(k.app.till().store().receipt(SaleKind::Return, 1).is_err());
    assert_eq!(k.journaled("refund_started"), 1);
    // Again, approved: saved with a card and a bonus row.
    k.named(Named::Enter);
    let Stage::Refunding { id, .. } = stage(&k) else {
        panic!()
    };
    k.send(Message::Refunded(id, Ok(Some("T-R1".into()))));
    assert!(matches!(stage(&k), Stage::Done(_)), "{:?}", stage(&k));
    let ret = return_receipt(&k, 1);
    let row = |kind| {
        ret.tenders
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.amount)
    };
    assert_eq!(row(TenderKind::Card), Some(-plan.money_back));
    let card_row = ret.tenders.iter().find(|t| t.kind == TenderKind::Card);
    assert_eq!(
        card_row.and_then(|t| t.reference.as_deref()),
        Some("T-R1"),
        "the terminal's transaction id of the refund"
    );
    assert_eq!(row(TenderKind::Bonus), Some(-plan.bonus_back));
    assert_eq!(ret.bonus_earned, -plan.earned_back);
    assert_eq!(
        balance(&k),
        before + plan.bonus_back - plan.earned_back,
        "bonus back, earned bonus taken back"
    );
}

#[test]
fn a_receipt_qr_finds_the_sale_and_a_forged_one_is_refused() {
    let mut k = cashier();
    sell_cash(&mut k, &["KAFFE"], "50");
    let url = k.app.settings_mut().receipt_url.clone();
    let link = kasse::ui::screen::receipt::qr_text(
        &url,
        "kafe-1",
        k.app.till().store(),
        SaleKind::Sale,
        1,
    )
    .expect("a link");
    k.named(Named::F6);
    // Scanned by the camera (or the wedge): the sale opens.
    k.scan(&link);
    assert!(matches!(stage(&k), Stage::Choose { .. }), "{:?}", stage(&k));
    k.named(Named::Escape);
    // The same link with another seal: refused, nothing opens.
    let forged = format!("{}AAAAAAAAAAAAAAAA", &link[..link.len() - 16]);
    k.scan(&forged);
    assert!(matches!(stage(&k), Stage::Find));
    assert!(k.shows("QR-koden på kvitteringen stemmer ikke med regnskapet: ikke returnert"));
    // Nor may the total be changed.
    let richer = link.replace("&a=", "&a=1");
    k.scan(&richer);
    assert!(matches!(stage(&k), Stage::Find));
}

#[test]
fn returns_wait_for_an_empty_cart_and_a_logged_in_cashier() {
    let mut k = cashier();
    k.type_text("KAFFE");
    k.named(Named::Enter);
    k.named(Named::F6);
    assert_eq!(
        k.app.screen.name(),
        "register",
        "F6 with a cart does nothing"
    );
    k.send(Message::Do(Action::ShowReturns));
    assert_eq!(k.app.screen.name(), "register");
    assert!(k.shows("✕  Fullfør eller avbryt det åpne kjøpet først"));
    let mut s = kiosk(Mode::SelfService);
    s.send(Message::Do(Action::ShowReturns));
    assert_eq!(s.app.screen.name(), "welcome");
}

/// Card and Vipps sales returned in two pieces through the real protocol
/// clients against their emulators on 127.0.0.1: the provider gives back
/// exactly what the returns say, and together all that was taken.
#[test]
fn card_and_vipps_returns_are_refunded_at_the_provider_exactly() {
    use kasse::payments::Provider;
    use kasse::payments::epayment::Epayment;
    use kasse::payments::nexo::Nexo;
    use kasse::payments::settle::settle;
    use std::sync::Arc;

    let emulators = kasse::payments::Emulators::spawn(Duration::from_millis(10)).unwrap();
    let card: Arc<dyn Provider> = Arc::new(Nexo::new(emulators.nexo_config(3000)));
    let vipps: Arc<dyn Provider> = Arc::new(Epayment::new(emulators.epayment_config(3000)));
    let dir = tempfile::tempdir().unwrap();
    let mut till = demo_till(&dir.path().join("till.sqlite"), Mode::Cashier);
    till.login("kari", at()).unwrap();
    for (number, kind, provider, emulator) in [
        (1u64, TenderKind::Card, &card, emulators.terminal()),
        (2, TenderKind::Vipps, &vipps, emulators.vipps()),
    ] {
        till.tap("SKOLEBOLLE", 3);
        till.tap("KAFFE", 1);
        let out = till
            .begin_payment(kind, None, provider.name(), at())
            .unwrap();
        let kasse::till::Outcome::Tendering { intent, amount, .. } = out else {
            panic!("{out:?}")
        };
        let answer = settle(
            provider.as_ref(),
            amount,
            &intent,
            "test",
            Duration::from_secs(5),
        )
        .unwrap();
        till.payment_answer(&intent, answer, at()).unwrap();
        let mut given = Money::ZERO;
        for units in [vec![(1, 1)], vec![(1, 2), (2, 1)]] {
            let of = till
                .returnable("kafe-1", number, None, kasse::till::Original::Unreachable)
                .unwrap();
            let plan = till.plan_return(&of, &units).unwrap();
            assert_eq!(plan.tender, Some(kind));
            let (reference, back) = plan.refund_at_provider().expect("refund at the provider");
            assert_eq!(reference, intent);
            let refund_id = provider.refund(reference, back).unwrap();
            assert!(refund_id.is_some(), "{kind:?}: the refund's transaction id");
            let id = uuid_like(number, given);
            let receipt = till
                .commit_return(&id, &plan, refund_id.clone(), at())
                .unwrap();
            let row = receipt.tenders.iter().find(|t| t.kind == kind).unwrap();
            assert_eq!(row.amount, -back);
            assert_eq!(row.reference, refund_id, "printed on the Returkvittering");
            given += back;
        }
        let record = emulator.payment(&intent).expect("the provider's record");
        assert_eq!(
            record.refunded, given,
            "{kind:?}: refunded what the returns say"
        );
        assert_eq!(
            record.kept(),
            Money::ZERO,
            "{kind:?}: all of it, in two pieces"
        );
        assert_eq!(given, amount);
    }
}

fn uuid_like(n: u64, salt: Money) -> String {
    format!("{:016x}{:016x}", n, salt.as_decimal().mantissa() as u64)
}

/// The till stops between asking the provider for a refund and saving the
/// return: at the next start the status bar tells staff to check it.
#[test]
fn a_refund_asked_but_not_saved_is_shown_to_staff_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = dir.path().join("till.sqlite");
    let open = || demo_till(&db, Mode::Cashier);
    let mut till = open();
    till.login("kari", at()).unwrap();
    till.tap("KAFFE", 1);
    let out = till
        .begin_payment(TenderKind::Card, None, "simulator", at())
        .unwrap();
    let kasse::till::Outcome::Tendering { intent, amount, .. } = out else {
        panic!("{out:?}")
    };
    till.payment_answer(
        &intent,
        kasse::till::Answer::Approved {
            transaction_id: Some("T-9".into()),
            amount,
        },
        at(),
    )
    .unwrap();
    let plan = first_unit(&till);
    till.refund_started("0192f0a0b1c2d3e4f5a6b7c8d9e0f1ff", &plan, at())
        .unwrap();
    drop(till);
    let config = Config::load(&root.join("config.toml")).unwrap();
    let mut app = kasse::ui::App::new(open(), Settings::from_config(&config), Instant::now());
    app.set_clock(at());
    assert_eq!(
        app.status.unsaved_refunds,
        vec![(1, "25.00".to_string(), "card".to_string())]
    );
    let mut ui = simulator(app.view());
    assert!(
        ui.find("⚠ Tilbakebetaling ikke lagret, sjekk hos leverandøren: 1 (card 25.00)")
            .is_ok()
    );
}

/// What the drawer should hold now, by the till's own books.
fn drawer_holds(k: &Kiosk) -> Money {
    let till = k.app.till();
    kasse::compliance::export::drawer_now(
        till.store(),
        till.catalog(),
        at() + chrono::Duration::hours(1),
    )
    .unwrap()
    .expect("the drawer's count")
}

/// A cash refund is paid from the drawer: more than it should hold is
/// refused with both amounts said, nothing is saved or opened, and once
/// cash is put in the same return goes through.
#[test]
fn a_cash_refund_is_never_more_than_the_drawer_holds() {
    let mut k = cashier();
    sell_cash(&mut k, &["2*SKOLEBOLLE", "KAFFE"], "200");
    // Nearly all of it (the float and the sale) to the bank: kr 10 stays
    // in the drawer.
    let held = drawer_holds(&k);
    assert!(held > m(FLOAT));
    k.named(Named::F10);
    k.named(Named::F6);
    assert_eq!(k.app.screen.name(), "cash");
    let out = held - m("10");
    k.type_text(&out.as_decimal().to_string().replace('.', ","));
    k.named(Named::Enter);
    assert_eq!(drawer_holds(&k), m("10"));
    k.named(Named::Escape);
    assert_eq!(k.app.screen.name(), "register", "{}", k.app.screen.name());

    // The coffee back: kr 25 in cash, more than the kr 10 there.
    let drawer = k.journaled("drawer_open");
    k.named(Named::F6);
    k.type_text("1");
    k.named(Named::Enter);
    k.type_text("2");
    k.named(Named::Enter);
    assert!(matches!(stage(&k), Stage::Choose { .. }), "{:?}", stage(&k));
    assert!(
        k.shows("kr 25,00 tilbake kontant, men skuffen skal bare ha kr 10,00: tell skuffen eller legg inn kontanter først"),
        "the refusal names both amounts"
    );
    k.named(Named::Enter);
    assert!(k.app.till().store().receipt(SaleKind::Return, 1).is_err());
    assert_eq!(k.journaled("drawer_open"), drawer, "the drawer stayed shut");
    assert_eq!(drawer_holds(&k), m("10"));

    // Kr 50 of change brought in: now it goes.
    k.named(Named::Escape);
    k.named(Named::Escape);
    assert_eq!(k.app.screen.name(), "register", "{}", k.app.screen.name());
    k.named(Named::F10);
    k.named(Named::F5);
    k.type_text("50");
    k.named(Named::Enter);
    k.named(Named::Escape);
    k.named(Named::F6);
    k.type_text("1");
    k.named(Named::Enter);
    k.type_text("2");
    k.named(Named::Enter);
    let Stage::Confirm { plan } = stage(&k) else {
        panic!("{:?}", stage(&k))
    };
    assert_eq!(plan.money_back, m("25"));
    k.named(Named::Enter);
    assert!(matches!(stage(&k), Stage::Done(_)), "{:?}", stage(&k));
    assert_eq!(return_receipt(&k, 1).total, m("-25"));
    assert_eq!(drawer_holds(&k), m("35"));
}
