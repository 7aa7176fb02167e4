//! The kiosk's main flows, driven through its real view with iced_test's
//! simulator (clicks on rendered buttons, typed keys) and its real update, on
//! a real SQLite till seeded with the demo data. No window, no devices: the
//! device messages (scale, camera, terminal) are sent as the subscriptions
//! would send them.

mod harness;

use harness::*;
use kasse::payments::Decline;
use kasse::ui::app::Screen;
use kasse::ui::devices::DeviceState;
use kasse::ui::screen::reports::Kind;

#[test]
fn member_coffee_coupon_total_zero_then_pay() {
    let mut k = kiosk(Mode::SelfService);
    assert_eq!(k.app.screen.name(), "welcome");
    assert!(k.shows("Skann QR-koden i appen din, eller trykk på en vare"));
    k.scan(OLA);
    assert_eq!(k.app.screen.name(), "shopping");
    assert!(k.shows("✓  Hei Ola Nordmann"), "greeted by name");
    assert!(k.shows("Bonussaldo: kr 12,40"));
    k.click("Kaffe\nkr 25,00");
    assert_eq!(k.total(), "25.00");
    k.scan(OLA_COFFEE_COUPON);
    assert_eq!(k.total(), "0.00");
    assert!(k.shows("kr 0,00"), "the free line shows 0,00");
    assert!(k.shows("gratis – kupong CP-1"), "and names its coupon");
    k.click("Betal  kr 0,00");
    // Nothing to pay: no bonus question, no terminal; the receipt choice.
    assert_eq!(k.app.screen.name(), "receipt");
    let sales = k.app.till().store().transactions(0, u64::MAX).unwrap();
    assert_eq!(sales.len(), 1, "one sale committed");
    assert_eq!(sales[0].total.to_string(), "0.00");
    k.click("Nei takk");
    assert_eq!(k.app.screen.name(), "thanks");
    k.send(Message::Tick(k.t0 + Duration::from_secs(10)));
    assert_eq!(k.app.screen.name(), "welcome", "back to Welcome by itself");
}

/// Ola scans his code, takes a coffee, keeps his bonus and chooses card.
fn ola_chooses_card_for_a_coffee(k: &mut Kiosk) {
    k.scan(OLA);
    k.click("Kaffe\nkr 25,00");
    k.click("Betal  kr 25,00");
    k.click("Nei, spar den");
    k.click("Kort");
}

/// fixtures/qr/member-unknown.png: a signed member code of a member no
/// cache knows.
const UNKNOWN_MEMBER: &str = "SSN1.M.M-999999.1830297600.jmTWQC8Q3CLMNn3QXEiDHpiBEciKU_xUh2niMZplL5fujrAlTjqtZ3YCqiGR1Z5uxif66Ac2VTijIABeo40DDg";

#[test]
fn a_receipt_screen_left_alone_goes_on_without_the_receipt() {
    let mut k = kiosk(Mode::SelfService);
    ola_chooses_card_for_a_coffee(&mut k);
    k.approve("T-WALKED");
    assert_eq!(k.app.screen.name(), "receipt");
    assert!(k.shows("Vil du ha kvittering?"));
    // The student walks away; the next one must not meet this receipt
    // (member number, bonus balance) nor be able to print it.
    let paid_at = k.app.idle.last_input;
    let leave = kasse::ui::screen::receipt::LEAVE_AFTER;
    k.send(Message::Tick(paid_at + leave - Duration::from_secs(1)));
    assert_eq!(k.app.screen.name(), "receipt", "time to choose");
    k.send(Message::Tick(paid_at + leave));
    assert_eq!(k.app.screen.name(), "thanks");
    assert_eq!(k.journaled("sale_without_printed_receipt"), 1);
    k.send(Message::Tick(paid_at + leave + Duration::from_secs(6)));
    assert_eq!(k.app.screen.name(), "welcome");
    // The next student scans on the last one's receipt screen (in English):
    // that receipt is concluded and journaled, the new sale is Norwegian.
    ola_chooses_card_for_a_coffee(&mut k);
    k.approve("T-NEXT");
    k.click("English");
    assert_eq!(k.app.screen.name(), "receipt");
    k.scan(OLA);
    assert_eq!(k.app.screen.name(), "shopping");
    assert_eq!(k.journaled("sale_without_printed_receipt"), 2);
    assert!(k.shows("Varene dine"), "the till's own language again");
    assert_eq!(k.app.till().sale().member.as_deref(), Some("M-100001"));
    k.send(Message::Do(Action::CancelSale));
    k.send(Message::Do(Action::Answer(true)));
    // A receipt shown as a QR is left the same way, counted from the last tap.
    ola_chooses_card_for_a_coffee(&mut k);
    k.approve("T-WALKED-2");
    k.click("Vis QR");
    let tapped = k.app.idle.last_input;
    k.send(Message::Tick(tapped + leave - Duration::from_secs(1)));
    assert_eq!(k.app.screen.name(), "receipt");
    k.send(Message::Tick(tapped + leave));
    assert_eq!(k.app.screen.name(), "thanks");
    assert_eq!(k.sales(), 3, "every sale kept");
}

#[test]
fn weighed_food_with_bonus_paid_by_card() {
    let mut k = kiosk(Mode::SelfService);
    k.click("English");
    k.scan(OLA);
    k.click("By weight");
    k.click("Middag etter vekt\nkr 189,00 per kg");
    // Moving food: Add does nothing yet.
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: false,
    }));
    assert!(k.shows("≈ Moving (net)"));
    assert_eq!(k.press("Add"), 0, "Add is disabled while the food moves");
    assert!(
        k.app.till().sale().lines.is_empty(),
        "a moving weight is never added"
    );
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    assert!(k.shows("■ Steady (net)"));
    k.click("Add");
    let line = &k.app.till().sale().lines[0];
    assert_eq!(line.sku, "VEKT");
    // The same plate, still on the scale, cannot be added again: it must
    // come off first (a hurried double weighing charged it twice).
    k.click("Middag etter vekt\nkr 189,00 per kg");
    assert!(k.shows("Take the food off the scale before weighing the next"));
    assert_eq!(
        k.press("Add"),
        0,
        "Add is disabled for the plate on the sale"
    );
    k.send(Message::Scale(ScaleReport::NoWeight));
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    assert_eq!(k.press("Add"), 0, "a lost scale does not clear it");
    for (grams, stable) in [(0, true), (380, false), (380, true)] {
        k.send(Message::Scale(ScaleReport::Weight { grams, stable }));
    }
    assert!(k.shows("Put the food on the scale"));
    k.click("Add");
    assert_eq!(k.app.till().sale().lines.len(), 2, "the next plate");
    k.send(Message::Do(Action::Void(2)));
    k.send(Message::Do(Action::Answer(true)));
    assert_eq!(k.app.till().sale().lines.len(), 1);
    let total = k.app.till().sale().total();
    k.click(&format!("Pay  {}", kasse::ui::text::kr(total)));
    assert_eq!(
        k.app.screen.name(),
        "bonus",
        "a student is offered the bonus first"
    );
    assert!(k.shows("You have: kr 12,40"));
    k.click("Yes, use bonus");
    assert_eq!(k.app.screen.name(), "payment");
    assert!(k.shows("Bonus used: kr 12,40"));
    k.click("Card");
    assert!(k.shows("Follow the instructions on the terminal"));
    // The terminal's updates, as the payment subscription delivers them.
    k.provider(PaymentUpdate::Progress(Step::PresentCard));
    assert!(k.shows("Insert, tap or swipe the card"));
    k.approve("T-1");
    assert_eq!(k.app.screen.name(), "receipt");
    let sale = &k.app.till().store().transactions(0, u64::MAX).unwrap()[0];
    assert_eq!(sale.total, total);
    assert_eq!(sale.tenders[0].amount.to_string(), "12.40", "bonus first");
    assert_eq!(sale.tenders[1].reference.as_deref(), Some("T-1"));
    k.click("Print");
    assert_eq!(k.app.printed.len(), 1, "ESC/POS bytes went to the printer");
}

#[test]
fn refusals_read_in_both_languages_and_decline_returns_to_the_cart() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    // Ola's signature on Kari's member number: a forgery.
    let sig = OLA.rsplit('.').next().unwrap();
    k.scan(&format!("SSN1.M.M-100002.1830297600.{sig}"));
    assert!(
        k.shows("✕  Denne koden er ikke ekte."),
        "{:?}",
        k.app.notice()
    );
    k.click("English");
    k.scan("SSN1.C.M-100001.CP-1.KAFFE.1795426200.lrSqUvJM2q1mFrgphFNREhe-EmAib3C3Nq5TxAYVVlNDdBA9rZsGOAXnqcwJQSSnG0fZnmIVYyywq1wL2FgqCw");
    assert!(k.shows("✕  This code has expired. Refresh it in the app."));
    k.click("Kaffe\nkr 25,00");
    k.click("Pay  kr 25,00");
    k.click("No, save it");
    k.click("Vipps");
    k.provider(PaymentUpdate::ShowQr("https://qr.vipps.no/example".into()));
    assert!(k.shows("Scan with Vipps to pay"));
    k.provider(PaymentUpdate::Declined {
        why: Decline::Refused,
        reason: "Refusal: insufficient funds".into(),
    });
    assert!(k.shows("✕  Payment declined: declined by the card issuer"));
    k.click("Back to the cart");
    assert_eq!(k.app.screen.name(), "shopping");
    assert_eq!(k.total(), "25.00", "the sale is intact");
    assert!(
        k.app
            .till()
            .store()
            .transactions(0, u64::MAX)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn idle_prompt_waits_then_cancels_and_journals() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    let journal_before = k.app.till().store().journal_len().unwrap();
    let s = Duration::from_secs;
    k.send(Message::Tick(k.t0 + s(59)));
    assert!(!k.shows("Er du der fortsatt?"));
    k.send(Message::Tick(k.t0 + s(60)));
    assert!(k.shows("Er du der fortsatt?"));
    assert!(
        k.shows("Kjøpet avbrytes om 30 sekunder"),
        "at least 20 s to answer"
    );
    // Continuing keeps the sale; left alone again, it is cancelled.
    k.click("Ja, fortsett");
    assert!(!k.shows("Er du der fortsatt?"));
    k.send(Message::Tick(k.t0 + s(60)));
    k.send(Message::Tick(k.t0 + s(120)));
    assert!(k.shows("Er du der fortsatt?"));
    k.send(Message::Tick(k.t0 + s(149)));
    assert_eq!(k.total(), "25.00");
    k.send(Message::Tick(k.t0 + s(150)));
    assert_eq!(k.app.screen.name(), "welcome");
    assert!(k.app.till().sale().is_empty());
    assert!(k.shows("✓  Kjøpet ble avbrutt"));
    assert_eq!(
        k.app.till().store().journal_len().unwrap(),
        journal_before + 1,
        "journaled"
    );
}

#[test]
fn cashier_logs_in_by_pin_and_takes_cash_with_change() {
    let mut k = kiosk(Mode::Cashier);
    assert_eq!(k.app.screen.name(), "staff");
    k.pin("9999");
    assert!(k.shows("✕  Feil PIN"));
    k.pin("1234");
    assert_eq!(k.app.screen.name(), "register");
    assert_eq!(k.app.till().operator(), Some("kari"));
    k.click("English");
    // Keyboard: type a search, move down, Enter adds the chosen product.
    let mut ui = simulator(k.app.view());
    ui.click("Search: name, PLU or barcode").unwrap();
    ui.typewrite("bolle");
    let msgs: Vec<Message> = ui.into_messages().collect();
    for m in msgs {
        k.send(m);
    }
    k.tap("SKOLEBOLLE", 2);
    k.send(Message::Do(Action::Code("7038010000010".into())));
    assert_eq!(k.app.till().sale().lines.len(), 2);
    let total = k.app.till().sale().total();
    assert_eq!(total.to_string(), "90.00", "2 skoleboller and a coffee");
    k.click("Pay  kr 90,00");
    k.click("Cash");
    for d in ["1", "0", "0"] {
        k.click(d);
    }
    assert!(k.shows("Change: kr 10,00"));
    k.click("Complete");
    assert_eq!(k.app.screen.name(), "receipt");
    k.click("No thanks");
    assert_eq!(k.app.screen.name(), "register");
    assert!(k.shows("✓  Change: kr 10,00"));
    let sales = k.app.till().store().transactions(0, u64::MAX).unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].operator.as_deref(), Some("kari"));
}

#[test]
fn a_member_attached_by_staff_is_asked_about_bonus_before_paying() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    // Help → attendant PIN → attach Ola by number → back to the cart.
    k.send(Message::Do(Action::Help));
    k.send(Message::Do(Action::Pin("2580".into())));
    k.send(Message::PinChecked(Some("ola".into())));
    k.send(Message::Do(Action::AttachMember("M-100001".into())));
    k.send(Message::Do(Action::CloseOverlay));
    assert_eq!(k.app.till().sale().member.as_deref(), Some("M-100001"));
    assert_eq!(
        k.app.till().operator(),
        None,
        "staff leave with the menu: the student's sale has no operator"
    );
    k.click("Betal  kr 25,00");
    assert_eq!(
        k.app.screen.name(),
        "bonus",
        "the bonus question comes before any payment choice"
    );
    k.click("Ja, bruk bonus");
    k.click("Kort");
    k.approve("T-STAFF");
    assert_eq!(k.app.screen.name(), "receipt");
    assert_eq!(k.sales(), 1, "the approved payment is one saved sale");
}

#[test]
fn items_added_only_by_the_barcode_wedge_are_asked_about_bonus_before_paying() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    wedge(&mut k, "7038010000010");
    assert_eq!(
        k.app.till().sale().lines.len(),
        1,
        "the wedge scan added a line"
    );
    let total = kasse::ui::text::kr(k.app.till().sale().total());
    k.click(&format!("Betal  {total}"));
    assert_eq!(k.app.screen.name(), "bonus");
}

#[test]
fn scans_and_taps_during_a_card_payment_are_refused_and_change_nothing() {
    let mut k = kiosk(Mode::SelfService);
    ola_chooses_card_for_a_coffee(&mut k);
    let asked = k.app.till().tendering().expect("paying").amount;
    assert_eq!(asked.to_string(), "25.00");
    // The coupon would make the coffee free; a barcode would add a line.
    k.scan(OLA_COFFEE_COUPON);
    assert!(
        k.shows("✕  Vent til betalingen er ferdig."),
        "{:?}",
        k.app.notice()
    );
    wedge(&mut k, "7038010000010");
    k.tap("SKOLEBOLLE", 1);
    k.send(Message::Do(Action::CancelSale));
    // Help would hide the payment's progress and its cancel button.
    k.send(Message::Do(Action::Help));
    assert_eq!(k.app.screen.name(), "payment", "help waits for the payment");
    assert_eq!(k.total(), "25.00", "the frozen sale is unchanged");
    assert_eq!(k.app.till().sale().lines.len(), 1);
    k.approve("T-FROZEN");
    assert_eq!(k.app.screen.name(), "receipt");
    assert!(
        !k.shows("✕  Vent til betalingen er ferdig."),
        "the wait warning ends with the payment"
    );
    // No printer configured: "Print" shows the receipt on screen.
    k.click("Skriv ut");
    assert!(k.shows("Ferdig"));
    assert!(
        matches!(
            &k.app.screen,
            kasse::ui::app::Screen::Receipt(kasse::ui::screen::receipt::State {
                stage: kasse::ui::screen::receipt::Stage::OnScreen(text),
                ..
            }) if text.contains("Kaffe")
        ),
        "{:?}",
        k.app.screen
    );
    let sales = k.app.till().store().transactions(0, u64::MAX).unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].total.to_string(), "25.00");
    let card = sales[0]
        .tenders
        .iter()
        .find(|t| t.kind == "card")
        .expect("card");
    assert_eq!(
        card.amount, asked,
        "recorded exactly what the terminal took"
    );
    // A duplicate approval from the provider changes nothing.
    let intent = k.app.till().store().intents(false).unwrap()[0].id.clone();
    k.send(Message::Terminal(
        intent,
        PaymentUpdate::Approved {
            transaction_id: "T-FROZEN".into(),
            amount: asked,
        },
    ));
    assert_eq!(k.sales(), 1, "never two sales for one payment");
    assert_eq!(k.app.screen.name(), "receipt");
}

#[test]
fn an_approval_for_another_amount_saves_nothing_and_is_reversed() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Betal  kr 25,00");
    k.click("Kort");
    let intent = k.intent();
    k.provider(PaymentUpdate::Approved {
        transaction_id: "T-WRONG".into(),
        amount: kasse::domain::Money::from_ore(3000),
    });
    assert_eq!(k.sales(), 0, "nothing committed as if it matched");
    assert!(k.shows("✕  Betalingen hadde feil beløp og blir tilbakeført (kr 30,00 ≠ kr 25,00)"));
    assert_eq!(k.total(), "25.00", "the sale stays open");
    assert!(k.app.till().tendering().is_none(), "and can be paid again");
    let state = |k: &Kiosk| k.app.till().store().intent(&intent).unwrap().unwrap().state;
    assert_eq!(state(&k), kasse::store::IntentState::ReversalPending);
    k.send(Message::Reversed(intent.clone(), Ok(())));
    assert_eq!(state(&k), kasse::store::IntentState::Reversed);
}

#[test]
fn an_approved_sale_that_cannot_be_saved_is_saved_by_try_again() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Betal  kr 25,00");
    k.click("Vipps");
    // The database refuses writes (as a full disk would) when the approval comes.
    let conn = k.app.till().store().connection();
    conn.execute_batch("PRAGMA query_only = ON").unwrap();
    k.approve("VIPPS-1");
    assert_eq!(k.sales(), 0);
    assert!(k.shows("✕  Kjøpet kunne ikke lagres"));
    assert!(k.app.till().tendering().is_some(), "the approval is kept");
    k.scan(OLA_COFFEE_COUPON);
    assert_eq!(k.total(), "25.00", "and the sale stays frozen");
    let conn = k.app.till().store().connection();
    conn.execute_batch("PRAGMA query_only = OFF").unwrap();
    k.click("Prøv igjen");
    assert_eq!(k.app.screen.name(), "receipt");
    assert_eq!(k.sales(), 1);
}

#[test]
fn a_payment_that_times_out_is_confirmed_with_the_provider_before_anything_else() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Betal  kr 25,00");
    k.click("Kort");
    let intent = k.intent();
    // The terminal went silent: the till does not guess, it asks.
    k.provider(PaymentUpdate::TimedOut);
    assert!(k.shows("Sjekker betalingen med betalingstjenesten…"));
    assert!(
        k.app.till().tendering().is_some(),
        "still frozen while asking"
    );
    k.send(Message::Confirmed(
        intent.clone(),
        Err("connection refused".into()),
    ));
    assert!(k.shows("✕  Betalingen kunne ikke bekreftes"));
    assert!(k.shows("connection refused"));
    assert_eq!(k.sales(), 0);
    let open = k.app.till().store().intents(true).unwrap();
    assert_eq!(open.len(), 1, "the intent stays open for recovery");
    // The provider did take the money: the answer commits the sale once.
    let amount = k.app.till().tendering().unwrap().amount;
    k.send(Message::Confirmed(
        intent.clone(),
        Ok(kasse::till::Answer::Approved {
            transaction_id: Some("T-LATE".into()),
            amount,
        }),
    ));
    assert_eq!(k.app.screen.name(), "receipt");
    assert_eq!(k.sales(), 1);
    k.send(Message::Confirmed(
        intent,
        Ok(kasse::till::Answer::Approved {
            transaction_id: Some("T-LATE".into()),
            amount,
        }),
    ));
    assert_eq!(k.sales(), 1, "a second answer changes nothing");
}

#[test]
fn wrong_pins_are_journaled_and_after_five_each_try_waits() {
    let mut k = kiosk(Mode::Cashier);
    for _ in 0..5 {
        k.pin("0000");
    }
    assert!(
        k.shows("✕  Feil PIN. For mange feil PIN-koder. Prøv igjen om 5 s"),
        "{:?}",
        k.app.screen
    );
    // The right PIN during the wait is not even checked.
    for d in ["1", "2", "3", "4"] {
        k.click(d);
    }
    k.click("OK");
    assert!(k.shows("✕  For mange feil PIN-koder. Prøv igjen om 5 s"));
    assert_eq!(k.app.till().operator(), None);
    let failures = k
        .app
        .till()
        .store()
        .journal_between(0, u64::MAX)
        .unwrap()
        .iter()
        .filter(|j| j.kind == "pin_failed")
        .count();
    assert_eq!(failures, 5, "every failure journaled");
    // After the wait the right PIN logs in.
    k.send(Message::Tick(k.t0 + Duration::from_secs(6)));
    k.pin("1234");
    assert_eq!(k.app.till().operator(), Some("kari"));
}

#[test]
fn a_double_tap_does_not_press_what_the_next_screen_puts_under_the_finger() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Betal  kr 25,00");
    assert_eq!(k.app.screen.name(), "payment");
    // As if the tap came right after the screen changed.
    k.app.settings_mut().tap_guard = Duration::from_secs(30);
    // The second tap of a double tap lands on the new screen: dropped.
    assert_eq!(k.press("Kort"), 1, "the button still sends its message");
    assert!(k.app.till().tendering().is_none(), "but no payment started");
    assert_eq!(k.app.till().store().intents(false).unwrap().len(), 0);
    k.app.settings_mut().tap_guard = Duration::ZERO;
    k.click("Kort");
    assert!(k.app.till().tendering().is_some(), "a deliberate tap works");
    // Within one screen too: a payment cancelled puts "Back to the cart"
    // where "Cancel" was; the second tap of a double tap is dropped.
    k.click("Avbryt betalingen");
    // Every earlier change is past the guard; only the stage's own counts.
    std::thread::sleep(Duration::from_millis(1200));
    k.app.settings_mut().tap_guard = Duration::from_secs(1);
    k.provider(PaymentUpdate::Cancelled);
    assert!(k.shows("Tilbake til handlekurven"));
    assert_eq!(k.press("Tilbake til handlekurven"), 1);
    assert_eq!(
        k.app.screen.name(),
        "payment",
        "the failure stays to be read"
    );
    k.app.settings_mut().tap_guard = Duration::ZERO;
    k.click("Tilbake til handlekurven");
    assert_eq!(k.app.screen.name(), "shopping");
}

#[test]
fn the_z_report_asks_before_it_closes_the_day() {
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    k.send(Message::Do(Action::ShowReports));
    k.click("Z-rapport (avslutt dagen)");
    // The cash in the drawer is counted first (tests/kiosk_cash.rs).
    assert_eq!(k.app.screen.name(), "cash");
    k.click("0");
    k.click("OK");
    assert!(
        k.shows("Avslutte dagen med Z-rapport? Det gjøres én gang per dag og kan ikke angres.")
    );
    k.click("Avbryt");
    let z = |k: &Kiosk| {
        k.app
            .till()
            .store()
            .journal_between(0, u64::MAX)
            .unwrap()
            .iter()
            .filter(|j| j.kind == "z_report")
            .count()
    };
    assert_eq!(z(&k), 0, "cancelled: no Z report");
    k.click("Z-rapport (avslutt dagen)");
    k.click("0");
    k.click("OK");
    k.click("Kjør Z-rapport");
    assert_eq!(z(&k), 1, "confirmed: the day is closed once");
}

#[test]
fn a_payment_completed_by_recovery_stays_in_the_status_bar() {
    let mut k = kiosk(Mode::SelfService);
    let done = [kasse::payments::recover::Resolved {
        intent: "01a2350641".into(),
        provider: "epayment".into(),
        amount: kasse::domain::Money::from_ore(2500),
        resolution: kasse::payments::recover::Resolution::Committed { receipt: 3 },
    }];
    k.app.recovered(&done);
    // A scan's notice replaces the banner; the status bar keeps the news.
    k.scan(OLA);
    assert!(k.shows("⚠ Fullført etter omstart, kvittering: 3"));
}

#[test]
fn an_operated_till_takes_no_codes_before_a_cashier_logs_in() {
    let mut k = kiosk(Mode::Cashier);
    k.scan(OLA);
    assert!(k.shows("✕  Logg inn først"));
    assert_eq!(k.app.till().sale().member, None);
    k.pin("1234");
    k.scan(OLA);
    assert_eq!(k.app.till().sale().member.as_deref(), Some("M-100001"));
}

/// Issue 16, item 7: what devices, providers and reports say reaches a
/// Norwegian screen in Norwegian, amounts with a decimal comma.
#[test]
fn devices_providers_and_reports_speak_norwegian_on_a_norwegian_screen() {
    let mut k = kiosk(Mode::SelfService);
    // The status bar: the demo's simulated scale, a recording for a camera.
    k.send(Message::Scale(ScaleReport::Status {
        text: DeviceState::Simulated,
        ok: true,
    }));
    k.send(Message::Camera(CameraReport::Status {
        text: DeviceState::Recording,
        ok: true,
    }));
    assert!(k.shows("● Vekt: simulert (+/−)"));
    assert!(k.shows("● Kamera: demokoder (F11)"));
    // No ledger: the till stands alone, with no queue that never drains.
    assert!(k.shows("◐ Frittstående (ingen sentral konfigurert)"));
    // The terminal's steps and its decline.
    k.click("Kaffe");
    // The thumbnail before the first picture says what the camera is.
    assert!(k.shows("◌ demokoder (F11)"));
    assert!(!k.shows("◌ Ingen kamera"));
    k.click("Betal  kr 25,00");
    k.click("Kort");
    k.provider(PaymentUpdate::Progress(Step::Connecting));
    assert!(k.shows("Kobler til terminalen…"));
    k.provider(PaymentUpdate::Progress(Step::Authorising));
    assert!(k.shows("Godkjenner…"));
    k.provider(PaymentUpdate::Declined {
        why: Decline::Refused,
        reason: "Refusal: Declined by the card issuer".into(),
    });
    assert!(k.shows("✕  Betalingen ble avvist: avvist av kortutstederen"));
    // Cancelled in English: the next customer's screen is Norwegian, and
    // so is what it says about the cancelled sale.
    k.click("English");
    k.send(Message::Do(Action::CancelSale));
    k.click("Yes, cancel");
    assert_eq!(k.app.screen.name(), "welcome");
    assert!(k.shows("✓  Kjøpet avbrutt"), "{:?}", k.app.notice());
    assert!(!k.shows("✓  Sale cancelled"));

    // Reports: Norwegian headings, payment names and amounts; the second Z
    // is refused in Norwegian.
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    k.tap("KAFFE", 1);
    k.click("Betal  kr 25,00");
    k.click("Kontant");
    for d in ["2", "5"] {
        k.click(d);
    }
    k.click("Fullfør");
    k.click("Nei takk");
    let shown = |k: &Kiosk| match &k.app.screen {
        Screen::Reports(s) => s.shown.clone().unwrap_or_default(),
        other => panic!("not the reports screen: {}", other.name()),
    };
    k.send(Message::Do(Action::ShowReports));
    k.send(Message::Do(Action::Report(Kind::X)));
    let x = shown(&k);
    assert!(x.starts_with("X-rapport X-"), "{x}");
    assert!(x.contains("Kontant") && x.contains("25,00"), "{x}");
    assert!(!x.contains("25.00") && !x.contains("Cash"), "{x}");
    k.send(Message::Do(Action::Report(Kind::Z)));
    assert!(shown(&k).starts_with("Z-rapport Z-1"), "{}", shown(&k));
    k.send(Message::Do(Action::Report(Kind::Z)));
    assert_eq!(shown(&k), "✕ Z-rapporten er allerede tatt i dag (Z-1)");
}

/// Issue 16, item 6: "Show QR" shows a link a phone can open, sealed with
/// the receipt's signature; read back from the pixels on screen.
#[test]
fn the_receipt_qr_is_a_link_sealed_with_the_receipts_signature() {
    use kasse::domain::receipt_link::{DEMO_BASE, ReceiptLink};
    use kasse::ui::screen::receipt::Stage;
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Betal  kr 25,00");
    k.click("Kort");
    k.approve("T-1");
    k.click("Vis QR");
    let Screen::Receipt(state) = &k.app.screen else {
        panic!("not the receipt screen: {}", k.app.screen.name())
    };
    let Stage::Qr {
        image:
            iced::widget::image::Handle::Rgba {
                width,
                height,
                pixels,
                ..
            },
        ..
    } = &state.stage
    else {
        panic!("no QR pixels: {:?}", state.stage)
    };
    let gray = image::GrayImage::from_fn(*width, *height, |x, y| {
        let i = ((y * width + x) * 4) as usize;
        image::Luma([pixels[i]])
    });
    let texts = kasse::scanner::decode::decode_gray(&gray).texts;
    assert_eq!(texts.len(), 1, "{texts:?}");
    let url = &texts[0];
    assert!(
        url.starts_with(
            "https://kvittering.example.com/r/kafe-1/sale/1?t=20261123T113000&a=25.00&s="
        ),
        "{url}"
    );
    let link = ReceiptLink::parse(url, DEMO_BASE).expect("a receipt link");
    let sale = &k.app.till().store().transactions(0, u64::MAX).unwrap()[0];
    assert!(link.seals(&sale.signature));
}

/// Pays the open sale in cash with exactly `kroner` and reaches the receipt choice.
fn pay_cash_exact(k: &mut Kiosk, kroner: &str) {
    let total = kasse::ui::text::kr(k.app.till().sale().total());
    k.click(&format!("Pay  {total}"));
    k.click("Cash");
    for d in kroner.chars() {
        k.click(&d.to_string());
    }
    k.click("Complete");
    assert_eq!(k.app.screen.name(), "receipt");
}

fn journal(k: &Kiosk) -> Vec<kasse::store::JournalRow> {
    k.app.till().store().journal_between(0, u64::MAX).unwrap()
}

#[test]
fn a_voided_line_is_13028_and_every_unprinted_receipt_choice_is_13030() {
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    k.click("English");
    // A voided line: PredefinedBasicID-13 13028, not "other".
    k.tap("KAFFE", 1);
    k.tap("TE", 1);
    k.send(Message::Do(Action::Void(2)));
    k.send(Message::Do(Action::Answer(true)));
    let void = journal(&k)
        .into_iter()
        .find(|j| j.kind == "line_correction")
        .expect("the void is journaled");
    assert_eq!(void.code, 13028);
    // No receipt.
    pay_cash_exact(&mut k, "25");
    k.click("No thanks");
    // The receipt as a QR code, then Done.
    k.tap("KAFFE", 1);
    pay_cash_exact(&mut k, "25");
    k.click("Show QR");
    k.click("Done");
    // No printer: the receipt on screen, then Done.
    k.tap("KAFFE", 1);
    pay_cash_exact(&mut k, "25");
    k.click("Print");
    k.click("Done");
    let sales: Vec<String> = k
        .app
        .till()
        .store()
        .transactions(0, u64::MAX)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(sales.len(), 3);
    let unprinted: Vec<_> = journal(&k)
        .into_iter()
        .filter(|j| j.code == 13030)
        .collect();
    let got: Vec<_> = unprinted
        .iter()
        .map(|j| {
            (
                j.sale_id.clone().expect("names its sale"),
                j.detail["receipt"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (sales[0].clone(), "none".to_string()),
            (sales[1].clone(), "qr".to_string()),
            (sales[2].clone(), "screen".to_string()),
        ],
        "one 13030 per sale, none for the Done that follows"
    );
    // Every code the kiosk journaled is in PredefinedBasicID-13.
    for j in journal(&k) {
        assert!(
            kasse::compliance::saft::EventCode::from_code(&j.code.to_string()).is_some(),
            "{} journaled as {}",
            j.kind,
            j.code
        );
    }
}

#[test]
fn a_training_receipt_keeps_its_marking_on_screen_in_the_qr_and_on_its_copy() {
    use kasse::ui::screen::receipt::{Stage, State};
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    k.click("English");
    k.send(Message::Do(Action::Training(true)));
    k.tap("KAFFE", 1);
    // (The training banner leaves the simulator's window too short for the
    // cash keypad's last row: the tender is sent as the keypad sends it.)
    k.send(Message::Do(Action::Pay));
    k.send(Message::Do(Action::Tender {
        kind: kasse::domain::TenderKind::Cash,
        cash_given: Some("25.00".parse().unwrap()),
    }));
    assert_eq!(k.app.screen.name(), "receipt");
    let banner = "Treningskvittering – IKKJE KVITTERING FOR KJØP";
    assert!(k.shows(banner), "the choice screen says it is training");
    k.click("Show QR");
    assert!(k.shows(banner), "so does the QR screen");
    let Screen::Receipt(State {
        stage: Stage::Qr { text, .. },
        ..
    }) = &k.app.screen
    else {
        panic!("{:?}", k.app.screen)
    };
    assert!(
        text.contains("/kafe-1/training/1?"),
        "the link names the training series: {text}"
    );
    // The same receipt on screen (no printer configured).
    k.send(Message::Do(Action::Receipt(
        kasse::ui::screen::receipt::Choice::Print,
    )));
    let Screen::Receipt(State {
        stage: Stage::OnScreen(text),
        ..
    }) = &k.app.screen
    else {
        panic!("{:?}", k.app.screen)
    };
    assert!(
        text.contains("Treningskvittering") && text.contains("IKKJE KVITTERING"),
        "{text}"
    );
    k.click("Done");
    // Its copy: KOPI and still not a receipt for a purchase.
    k.send(Message::Do(Action::ShowReports));
    k.send(Message::Do(Action::CopyLastReceipt));
    let Screen::Reports(state) = &k.app.screen else {
        panic!("{:?}", k.app.screen)
    };
    let copy = state.shown.clone().expect("the copy is shown");
    assert!(
        copy.contains("KOPI")
            && copy.contains("Treningskvittering")
            && copy.contains("IKKJE KVITTERING"),
        "{copy}"
    );
    assert!(
        !copy.contains("Salgskvittering"),
        "a training copy never reads as a sale: {copy}"
    );
}

/// Issue 17, item 6: an X report adds up on its face — sales plus cash
/// rounding are the payments — after a weighed dish paid in cash.
#[test]
fn the_x_report_states_the_cash_rounding_so_sales_and_payments_agree() {
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    k.tap("VEKT", 1);
    let total = k.app.till().sale().total();
    assert_ne!(total, total.to_whole_krone(), "a total in øre: {total}");
    k.send(Message::Do(Action::Pay));
    k.send(Message::Do(Action::Tender {
        kind: kasse::domain::TenderKind::Cash,
        cash_given: Some(total.to_whole_krone()),
    }));
    assert_eq!(k.app.screen.name(), "receipt");
    k.send(Message::Do(Action::ShowReports));
    k.send(Message::Do(Action::Report(Kind::X)));
    let Screen::Reports(state) = &k.app.screen else {
        panic!("{}", k.app.screen.name())
    };
    let x = state.shown.clone().unwrap_or_default();
    let amount = |label: &str| -> rust_decimal::Decimal {
        let line = x
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {x}"));
        line.rsplit(' ')
            .next()
            .unwrap()
            .replace(',', ".")
            .parse()
            .unwrap()
    };
    let sales = amount("Kontantsalg totalt");
    let rounding = amount("Øreavrunding");
    let paid = amount("Betalinger totalt");
    assert_eq!(sales, total.as_decimal(), "{x}");
    assert_eq!(
        rounding,
        (total.to_whole_krone() - total).as_decimal(),
        "{x}"
    );
    assert_eq!(sales + rounding, paid, "{x}");
}

/// The demo's + and − keys on the simulated scale add up from the weight
/// asked for last, even while the food still moves (found by hand: presses
/// after the first were lost).
#[test]
fn the_demo_scale_keys_add_up_while_the_food_moves() {
    use std::sync::atomic::Ordering::SeqCst;
    let mut k = kiosk(Mode::SelfService);
    k.app.demo.scale.store(true, SeqCst);
    let wanted = |k: &Kiosk| *k.app.demo.grams.lock().unwrap();
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    k.type_text("+");
    assert_eq!(wanted(&k), Some(462), "from what the scale shows");
    // The scale moves; the next presses count from what was asked.
    k.send(Message::Scale(ScaleReport::NoWeight));
    k.type_text("++");
    assert_eq!(wanted(&k), Some(562));
    for _ in 0..20 {
        k.type_text("-");
    }
    assert_eq!(wanted(&k), Some(0), "never below empty");
    assert!(k.app.till().sale().lines.is_empty(), "keys sell nothing");
    // A scanner's code with a `-` in it keeps it (found by hand: the demo
    // scale took it and the code was refused as damaged).
    wedge(&mut k, UNKNOWN_MEMBER);
    assert_eq!(k.app.till().sale().member.as_deref(), Some("M-999999"));
    assert_eq!(wanted(&k), Some(0), "the scale was not touched");
}

/// At the register a weighed product takes the scale's weight once per
/// plate, as the weigh panel's Add: a second tap (of it or another weighed
/// product) with the same food on the scale is refused until the scale has
/// been cleared (found in review: the register could sell one plate twice).
#[test]
fn the_register_weighs_each_plate_once() {
    let mut k = kiosk(Mode::Cashier);
    k.pin("1234");
    let weight = |grams| {
        Message::Scale(ScaleReport::Weight {
            grams,
            stable: true,
        })
    };
    k.send(weight(300));
    k.tap("VEKT", 1);
    assert_eq!(k.app.till().sale().lines.len(), 1);
    assert_eq!(k.app.till().sale().lines[0].grams, Some(300));
    for sku in ["VEKT", "SALATBAR"] {
        k.tap(sku, 1);
        assert_eq!(k.app.till().sale().lines.len(), 1, "{sku}");
        assert!(
            k.shows("✕  Ta maten av vekten før du veier den neste"),
            "{:?}",
            k.app.notice()
        );
    }
    // The panel's Add arriving twice (a double tap before the next frame)
    // meets the same rule.
    k.send(Message::Do(Action::Weigh {
        sku: "VEKT".into(),
        grams: 300,
    }));
    assert_eq!(k.app.till().sale().lines.len(), 1, "Add");
    // The plate off, the next one on: weighed.
    k.send(weight(0));
    k.send(weight(250));
    k.tap("SALATBAR", 1);
    assert_eq!(k.app.till().sale().lines.len(), 2);
    // Net of the salad bar's 25 g box.
    assert_eq!(k.app.till().sale().lines[1].grams, Some(225));
    // A unit product is no weighing: it sells as ever.
    k.tap("KAFFE", 1);
    assert_eq!(k.app.till().sale().lines.len(), 3);
}

/// devices.md: a lost scale is said in the weigh panel, not only in the
/// status bar (found by hand: the student waited with food on the scale).
#[test]
fn the_weigh_panel_says_when_the_scale_is_lost() {
    let mut k = kiosk(Mode::SelfService);
    k.click("English");
    k.scan(OLA);
    k.click("By weight");
    k.click("Middag etter vekt\nkr 189,00 per kg");
    let status = |ok| {
        Message::Scale(ScaleReport::Status {
            text: if ok {
                DeviceState::Simulated
            } else {
                DeviceState::Lost
            },
            ok,
        })
    };
    k.send(status(false));
    assert!(k.shows("✕ The scale is not answering: ask staff"));
    assert_eq!(k.press("Add"), 0);
    k.send(status(true));
    assert!(k.shows("○ No weight"));
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 300,
        stable: true,
    }));
    k.click("Add");
    assert_eq!(k.app.till().sale().lines.len(), 1);
    // Another tab while weighing shows its products at once.
    k.click("Middag etter vekt\nkr 189,00 per kg");
    assert!(k.shows("Close"));
    k.click("Coffee");
    assert!(!k.shows("Close"), "the weigh panel closed");
    k.click("Kaffe\nkr 25,00");
    assert_eq!(k.app.till().sale().lines.len(), 2);
}

/// rules.md: a member code whose member is not in the cache is attached as
/// a non-student and the screen says so; a lapsed student is told too.
#[test]
fn an_unknown_member_and_a_lapsed_student_are_told_they_shop_without_student_offers() {
    let nora = "SSN1.M.M-100006.1830297600.TcTdJqY_upb09N9_zcZDOOyr2u0zuScgTnCgu2Oy30vjmsjX4g8h5__BU4ltd1m7EZq2nMGkmh7TfUxdL8CTDg";
    let mut k = kiosk(Mode::SelfService);
    // Each code starts its own sale, greeted as it says.
    for (code, greeting) in [
        (
            UNKNOWN_MEMBER,
            "Hei M-999999 – ukjent medlem: ingen studenttilbud",
        ),
        (
            nora,
            "Hei Nora Eriksen – ikke student nå: ingen studenttilbud",
        ),
        (OLA, "Hei Ola Nordmann"),
    ] {
        if !k.app.till().sale().is_empty() {
            k.send(Message::Do(Action::CancelSale));
            k.send(Message::Do(Action::Answer(true)));
        }
        k.scan(code);
        let shown = format!("✓  {greeting}");
        assert!(k.shows(&shown), "{:?}", k.app.notice());
    }
    assert_eq!(k.app.till().sale().member.as_deref(), Some("M-100001"));
    // Switching language drops what was said in the other one.
    k.click("English");
    assert!(k.app.notice().is_none(), "{:?}", k.app.notice());
    assert!(!k.shows("✓  Hei Ola Nordmann"));
}

/// A student who said yes to the bonus and went back to the cart is asked
/// again at the next Pay (found by hand: the first answer stuck).
#[test]
fn back_at_the_cart_the_bonus_is_asked_again() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    k.click("Kaffe\nkr 25,00");
    k.click("Betal  kr 25,00");
    k.click("Ja, bruk bonus");
    assert!(k.shows("Bonus brukt: kr 12,40"));
    k.click("Tilbake til handlekurven");
    k.click("Betal  kr 25,00");
    assert_eq!(k.app.screen.name(), "bonus", "asked again");
    k.click("Nei, spar den");
    assert!(!k.shows("Bonus brukt: kr 12,40"), "the new answer counts");
    k.click("Kort");
    k.approve("T-MIND");
    let sales = k.app.till().store().transactions(0, u64::MAX).unwrap();
    assert!(
        sales[0].tenders.iter().all(|t| t.kind != "bonus"),
        "no bonus used"
    );
}
