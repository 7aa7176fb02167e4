//! The kiosk driven as people drive it: the barcode wedge at scanner speed
//! with the clock ticking in between, a cashier with nothing but a keyboard,
//! and the questions asked before what cannot be undone. The whole `App` on
//! a real SQLite till with the demo data (tests/harness).

mod harness;

use harness::*;
use iced::keyboard::key::Named;
use kasse::ui::screen::confirm::Ask;

const KAFFE_BARCODE: &str = "7038010000010";

/// Items in the open sale, counting quantities.
fn items(k: &Kiosk) -> u32 {
    k.app.till().sale().lines.iter().map(|l| l.qty).sum()
}

#[test]
fn a_hundred_wedge_scans_at_2_5_and_10_ms_per_key_are_a_hundred_items() {
    for gap_ms in [2u64, 5, 10] {
        let mut k = kiosk(Mode::SelfService);
        let gap = Duration::from_millis(gap_ms);
        let mut at = k.t0 + Duration::from_secs(1);
        let mut next_tick = k.t0;
        for _ in 0..100 {
            // The UI's clock ticks every 250 ms whatever the scanner does;
            // a tick landing inside a scan must not split it.
            let end = at + gap * 14;
            while next_tick <= end {
                k.send(Message::Tick(next_tick));
                next_tick += Duration::from_millis(250);
            }
            at = wedge_at(&mut k, KAFFE_BARCODE, at, gap);
            at += Duration::from_millis(40);
        }
        assert_eq!(items(&k), 100, "{gap_ms} ms per key: every scan is an item");
    }
}

#[test]
fn a_scan_too_slow_for_a_scanner_is_refused_aloud_not_lost_quietly() {
    let mut k = kiosk(Mode::SelfService);
    // 80 ms per key: a person, or a scan that came apart.
    let t0 = k.t0;
    wedge_at(&mut k, KAFFE_BARCODE, t0, Duration::from_millis(80));
    assert_eq!(items(&k), 0);
    assert!(k.shows("✕  Strekkoden ble ikke lest. Skann den igjen."));
}

#[test]
fn a_cashier_sells_voids_takes_cash_and_runs_an_x_report_with_the_keyboard_alone() {
    let mut k = kiosk(Mode::Cashier);
    assert_eq!(k.app.screen.name(), "staff");
    // Login: the PIN typed on the keyboard, Enter; the check runs off the
    // UI thread and its answer comes back as a message.
    k.pin_typed("1234");
    assert_eq!(k.app.screen.name(), "register");
    assert_eq!(k.app.till().operator(), Some("kari"));
    // Search and quantity: "2*" then the PLU, Enter; then a name, Enter.
    k.type_text("2*SKOLEBOLLE");
    k.named(Named::Enter);
    k.type_text("KAFFE");
    k.named(Named::Enter);
    assert_eq!(items(&k), 3, "2 skoleboller and a coffee");
    assert_eq!(k.app.till().sale().lines.len(), 2);
    // F4 picks the last line, F4 again asks to remove it, Escape keeps it.
    k.named(Named::F4);
    k.named(Named::F4);
    assert!(matches!(
        k.app.question(),
        Some(Ask::Void { line: 2, what }) if what == "Kaffe"
    ));
    k.named(Named::Escape);
    assert_eq!(k.app.question(), None);
    assert_eq!(k.app.till().sale().lines.len(), 2, "kept");
    // Asked again, Enter removes it.
    k.named(Named::F4);
    k.named(Named::F4);
    k.named(Named::Enter);
    assert_eq!(k.app.till().sale().lines.len(), 1, "removed after the yes");
    assert!(k.shows("✓  Fjernet linje 2: Kaffe"));
    // F8 pays, F7 cash, the amount typed, Enter.
    k.named(Named::F8);
    assert_eq!(k.app.screen.name(), "payment");
    k.named(Named::F7);
    k.type_text("100");
    assert!(k.shows("Veksel: kr 35,00"));
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "receipt");
    assert_eq!(k.sales(), 1);
    // F7: no receipt; the register is back, its field takes typing again.
    k.named(Named::F7);
    assert_eq!(k.app.screen.name(), "register");
    // F10 reports, F1 X report, Escape back.
    k.named(Named::F10);
    assert_eq!(k.app.screen.name(), "reports");
    k.named(Named::F1);
    assert_eq!(k.journaled("x_report"), 1);
    k.named(Named::Escape);
    assert_eq!(k.app.screen.name(), "register");
}

#[test]
fn cancelling_a_purchase_with_lines_asks_first_and_no_keeps_it() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    k.click("Kaffe\nkr 25,00");
    k.click("Avbryt kjøpet");
    assert_eq!(k.app.question(), Some(&Ask::CancelSale));
    assert!(k.shows("Avbryte hele kjøpet?"));
    k.click("Nei, fortsett å handle");
    assert_eq!(k.app.till().sale().lines.len(), 1, "nothing lost");
    assert_eq!(k.journaled("sale_cancelled"), 0);
    k.click("Avbryt kjøpet");
    k.click("Ja, avbryt");
    assert_eq!(k.app.screen.name(), "welcome");
    assert!(k.app.till().sale().is_empty());
}

#[test]
fn a_student_removes_a_line_they_added_after_a_yes() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.tap("SKOLEBOLLE", 1);
    assert_eq!(k.app.till().operator(), None, "no staff needed");
    // The cart line is the button: "1. Kaffe" then its amount.
    k.click("1. Kaffe");
    assert!(k.shows("Fjerne denne linjen?"));
    k.click("Ja, fjern");
    let lines = &k.app.till().sale().lines;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].sku, "SKOLEBOLLE");
    assert_eq!(k.journaled("line_correction"), 1, "journaled");
}

#[test]
fn the_question_over_the_screen_takes_every_tap() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.click("Avbryt kjøpet");
    // The product tiles are still drawn under the question: a tap there
    // must not add anything.
    assert_eq!(k.press_if_found("Kaffe\nkr 25,00"), 0, "drawn, not pressed");
    assert_eq!(k.app.till().sale().lines.len(), 1);
    assert_eq!(k.app.question(), Some(&Ask::CancelSale));
}

#[test]
fn the_thank_you_screen_says_what_paid_for_what() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    k.click("Kaffe\nkr 25,00");
    k.click("Betal  kr 25,00");
    assert!(
        k.shows("Å betale med bonus: kr 12,60  ·  uten: kr 25,00"),
        "the bonus question says what is left to pay"
    );
    k.click("Ja, bruk bonus");
    k.click("Kort");
    k.approve("T-THANKS");
    assert!(k.shows("✓  Betalt og lagret"));
    k.click("Nei takk");
    assert_eq!(k.app.screen.name(), "thanks");
    assert!(k.shows("Totalt: kr 25,00"));
    assert!(k.shows("Betalt med bonus: kr 12,40"));
    assert!(k.shows("Betalt med kort: kr 12,60"));
}

#[test]
fn staff_who_walk_away_from_a_self_service_till_are_logged_out_and_journaled() {
    let mut k = kiosk(Mode::SelfService);
    k.click("Kaffe");
    k.send(Message::Do(Action::Help));
    k.send(Message::Do(Action::Pin("2580".into())));
    k.send(Message::PinChecked(Some("ola".into())));
    assert_eq!(k.app.till().operator(), Some("ola"));
    let logouts = k.journaled("logout");
    // No input for longer than staff_idle_s (120 s in config.toml).
    k.send(Message::Tick(k.t0 + Duration::from_secs(119)));
    assert_eq!(k.app.till().operator(), Some("ola"), "not yet");
    k.send(Message::Tick(k.t0 + Duration::from_secs(121)));
    assert_eq!(k.app.till().operator(), None);
    assert_eq!(k.journaled("logout"), logouts + 1);
    assert_ne!(k.app.screen.name(), "staff", "the staff menu is gone");
}

#[test]
fn at_rest_on_the_welcome_screen_nothing_ticks() {
    let mut k = kiosk(Mode::SelfService);
    assert!(!k.app.clock_needed(), "a fresh till at rest needs no clock");
    k.click("Kaffe");
    assert!(k.app.clock_needed(), "an open sale times out");
    k.click("Avbryt kjøpet");
    k.click("Ja, avbryt");
    assert!(k.app.clock_needed(), "the notice still has to go");
    k.send(Message::Tick(k.t0 + Duration::from_secs(30)));
    assert_eq!(k.app.screen.name(), "welcome");
    assert!(!k.app.clock_needed(), "back at rest: no ticks, no redraws");
    // After a quiet spell the first tap brings the time up to date: the
    // next sale is not asked "still there?" at once.
    k.click("Kaffe");
    k.send(Message::Tick(k.t0 + Duration::from_secs(31)));
    assert!(k.app.idle.prompt_until.is_none());
}
