//! The kiosk's main flows, driven through its real view with iced_test's
//! simulator (clicks on rendered buttons, typed keys) and its real update, on
//! a real SQLite till seeded with the demo data. No window, no devices: the
//! device messages (scale, camera, terminal) are sent as the subscriptions
//! would send them.

use chrono::{DateTime, FixedOffset};
use iced_test::simulator;
use kasse::config::Config;
use kasse::data::Data;
use kasse::devices::payment::PaymentUpdate;
use kasse::domain::sale::OfflineLimits;
use kasse::store::Store;
use kasse::till::{Link, Mode, Till};
use kasse::ui::devices::{CameraReport, ScaleReport};
use kasse::ui::screen::Action;
use kasse::ui::{App, Message, Settings};
use std::path::Path;
use std::time::{Duration, Instant};

const OLA: &str = "SSN1.M.M-100001.1830297600.arL1HYbNbS_l091B0NE92u-PHyQ1s12tels6yIzpqKL0GeEr5AHjQUF6bCaZ_KT2MmfqEavCeM0f2-khziFKCA";
const OLA_COFFEE_COUPON: &str = "SSN1.C.M-100001.CP-1.KAFFE.1830297600._KskwQPjUEzhGZK7t8jFqOicZswdBixR_fCdcGxMXwVAeUABV1bfxXNQuzs8E16PIrucdt66z42FGg2OljeaBg";

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").unwrap()
}

struct Kiosk {
    app: App,
    t0: Instant,
    _dir: tempfile::TempDir,
}

fn kiosk(mode: Mode) -> Kiosk {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("till.sqlite"), "kafe-1").unwrap();
    store
        .seed(
            &Data::load(&root.join("fixtures/data/demo.toml")).unwrap(),
            at(),
        )
        .unwrap();
    let link = Link {
        online: true,
        last_sync: at(),
    };
    let till = Till::new(store, mode, link, OfflineLimits::default()).unwrap();
    let config = Config::load(&root.join("config.toml")).unwrap();
    let settings = Settings::from_config(&config);
    let t0 = Instant::now();
    let mut app = App::new(till, settings, t0);
    app.set_clock(at());
    Kiosk { app, t0, _dir: dir }
}

impl Kiosk {
    /// Clicks the widget showing `label` in the current view and feeds the
    /// messages that produces back to the app.
    fn click(&mut self, label: &str) {
        let mut ui = simulator(self.app.view());
        ui.click(label).unwrap_or_else(|e| {
            panic!(
                "no `{label}` on the {} screen: {e:?}",
                self.app.screen.name()
            )
        });
        let messages: Vec<Message> = ui.into_messages().collect();
        assert!(!messages.is_empty(), "clicking `{label}` did something");
        for m in messages {
            let _ = self.app.update(m);
        }
    }

    /// Clicks `label` and returns how many messages that made (0 when disabled).
    fn press(&mut self, label: &str) -> usize {
        let mut ui = simulator(self.app.view());
        ui.click(label).unwrap();
        let messages: Vec<Message> = ui.into_messages().collect();
        let n = messages.len();
        for m in messages {
            let _ = self.app.update(m);
        }
        n
    }

    fn shows(&mut self, label: &str) -> bool {
        let mut ui = simulator(self.app.view());
        ui.find(label).is_ok()
    }

    fn send(&mut self, m: Message) {
        let _ = self.app.update(m);
    }

    fn scan(&mut self, code: &str) {
        self.send(Message::Camera(CameraReport::Code(code.to_string())));
    }

    fn total(&self) -> String {
        self.app.till().sale().total().to_string()
    }
}

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

#[test]
fn weighed_food_with_bonus_paid_by_card() {
    let mut k = kiosk(Mode::SelfService);
    k.click("English");
    k.scan(OLA);
    k.click("Food by weight");
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
    k.send(Message::Terminal(
        1,
        PaymentUpdate::Progress("Insert card".into()),
    ));
    assert!(k.shows("Insert card"));
    k.send(Message::Terminal(
        1,
        PaymentUpdate::Approved {
            transaction_id: "T-1".into(),
        },
    ));
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
    assert!(k.shows("Scan with Vipps to pay"));
    k.send(Message::Terminal(
        1,
        PaymentUpdate::Declined {
            reason: "insufficient funds".into(),
        },
    ));
    assert!(k.shows("✕  Payment declined: insufficient funds"));
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
    for d in ["9", "9", "9", "9"] {
        k.click(d);
    }
    k.click("OK");
    assert!(k.shows("✕  Feil PIN"));
    for d in ["1", "2", "3", "4"] {
        k.click(d);
    }
    k.click("OK");
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
    k.send(Message::Do(Action::Tap {
        sku: "SKOLEBOLLE".into(),
        qty: 2,
    }));
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
