//! The assembled kiosk for tests: the whole `App` on a real SQLite till
//! seeded with the demo data, driven through its real view with iced_test's
//! simulator (clicks on rendered buttons, typed keys) and its real update.
//! Shared by the kiosk test binaries.
#![allow(dead_code, unused_imports)]

pub use chrono::{DateTime, FixedOffset};
pub use iced_test::simulator;
pub use kasse::config::Config;
pub use kasse::data::Data;
pub use kasse::domain::sale::OfflineLimits;
pub use kasse::payments::{PaymentUpdate, Step};
pub use kasse::till::{Link, Mode, Till};
pub use kasse::ui::devices::{CameraReport, ScaleReport};
pub use kasse::ui::screen::Action;
pub use kasse::ui::{App, Message, Settings};
pub use kasse::wiring::open_demo_store;
pub use std::path::Path;
pub use std::time::{Duration, Instant};

pub const OLA: &str = "SSN1.M.M-100001.1830297600.arL1HYbNbS_l091B0NE92u-PHyQ1s12tels6yIzpqKL0GeEr5AHjQUF6bCaZ_KT2MmfqEavCeM0f2-khziFKCA";
pub const OLA_COFFEE_COUPON: &str = "SSN1.C.M-100001.CP-1.KAFFE.1830297600._KskwQPjUEzhGZK7t8jFqOicZswdBixR_fCdcGxMXwVAeUABV1bfxXNQuzs8E16PIrucdt66z42FGg2OljeaBg";

pub fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").unwrap()
}

pub struct Kiosk {
    pub app: App,
    pub t0: Instant,
    _dir: tempfile::TempDir,
}

/// Till kafe-1 of `mode` on `db` (seeded with the demo data when new),
/// online since `at()`.
pub fn demo_till(db: &Path, mode: Mode) -> Till {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = !db.exists();
    let mut store = open_demo_store(db, "kafe-1").unwrap();
    if fresh {
        store
            .seed(
                &Data::load(&root.join("fixtures/data/demo.toml")).unwrap(),
                at(),
            )
            .unwrap();
    }
    let link = Link {
        online: true,
        last_sync: at(),
    };
    Till::new(store, mode, link, OfflineLimits::default()).unwrap()
}

/// A kiosk in the middle of a day: at an operated till the opening float
/// ([`FLOAT`]) is already counted in, so a login goes straight to the
/// register.
pub fn kiosk(mode: Mode) -> Kiosk {
    build(mode, true)
}

/// A kiosk at the start of a period: a cashier's first login is asked for
/// the opening float.
pub fn kiosk_at_opening(mode: Mode) -> Kiosk {
    build(mode, false)
}

/// The change an operated till starts the day with.
pub const FLOAT: &str = "500.00";

fn build(mode: Mode, floated: bool) -> Kiosk {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut till = demo_till(&dir.path().join("till.sqlite"), mode);
    if floated && mode == Mode::Cashier {
        till.record_float(FLOAT.parse().unwrap(), at()).unwrap();
    }
    let config = Config::load(&root.join("config.toml")).unwrap();
    let mut settings = Settings::from_config(&config);
    // The flows below tap as fast as a test can; the guard has its own test.
    settings.tap_guard = Duration::ZERO;
    let t0 = Instant::now();
    let mut app = App::new(till, settings, t0);
    app.set_clock(at());
    Kiosk { app, t0, _dir: dir }
}

impl Kiosk {
    /// `qty` of `sku` tapped (as a tile or the register does).
    pub fn tap(&mut self, sku: &str, qty: u32) {
        self.send(Message::Do(Action::Tap {
            sku: sku.into(),
            qty,
        }));
    }

    /// Clicks the widget showing `label` in the current view and feeds the
    /// messages that produces back to the app.
    pub fn click(&mut self, label: &str) {
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
    pub fn press(&mut self, label: &str) -> usize {
        let mut ui = simulator(self.app.view());
        ui.click(label).unwrap();
        let messages: Vec<Message> = ui.into_messages().collect();
        let n = messages.len();
        for m in messages {
            let _ = self.app.update(m);
        }
        n
    }

    /// Clicks `label` when it is drawn at all (perhaps under an overlay)
    /// and feeds back what that produced; returns how many messages.
    pub fn press_if_found(&mut self, label: &str) -> usize {
        let mut ui = simulator(self.app.view());
        if ui.click(label).is_err() {
            return 0;
        }
        let messages: Vec<Message> = ui.into_messages().collect();
        let n = messages.len();
        for m in messages {
            let _ = self.app.update(m);
        }
        n
    }

    pub fn shows(&mut self, label: &str) -> bool {
        let mut ui = simulator(self.app.view());
        ui.find(label).is_ok()
    }

    pub fn send(&mut self, m: Message) {
        let _ = self.app.update(m);
    }

    pub fn scan(&mut self, code: &str) {
        self.send(Message::Camera(CameraReport::Code(code.to_string())));
    }

    pub fn total(&self) -> String {
        self.app.till().sale().total().to_string()
    }

    /// The payment intent the till is waiting on (the provider's reference).
    pub fn intent(&self) -> String {
        self.app
            .till()
            .tendering()
            .expect("a payment is under way")
            .intent
            .clone()
    }

    /// The provider's update for the running payment, as the payment
    /// subscription delivers it.
    pub fn provider(&mut self, update: PaymentUpdate) {
        let intent = self.intent();
        self.send(Message::Terminal(intent, update));
    }

    /// The running payment approved for exactly what was asked.
    pub fn approve(&mut self, transaction_id: &str) {
        let amount = self.app.till().tendering().expect("paying").amount;
        self.provider(PaymentUpdate::Approved {
            transaction_id: transaction_id.into(),
            amount,
        });
    }

    /// Types `pin` and OK on the staff screen, then delivers the check the
    /// kiosk runs off the UI thread.
    pub fn pin(&mut self, pin: &str) {
        for d in pin.chars() {
            self.click(&d.to_string());
        }
        self.click("OK");
        let staff = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"))
            .unwrap()
            .staff;
        self.send(Message::PinChecked(kasse::ui::pin_owner(&staff, pin)));
    }

    /// Types `pin` on the keyboard and Enter at the staff screen, then
    /// delivers the check the kiosk runs off the UI thread.
    pub fn pin_typed(&mut self, pin: &str) {
        self.type_text(pin);
        self.key(
            iced::keyboard::Key::Named(iced::keyboard::key::Named::Enter),
            None,
        );
        let staff = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"))
            .unwrap()
            .staff;
        self.send(Message::PinChecked(kasse::ui::pin_owner(&staff, pin)));
    }

    /// One key as a keyboard sends it: through the view first (at the
    /// register the search field has the focus, as the kiosk keeps it
    /// there), then, when no widget took it, to the app as the window's key
    /// subscription delivers it.
    pub fn key(&mut self, key: iced::keyboard::Key, text: Option<&str>) {
        let event = key_event(key, text);
        let mut ui = simulator(self.app.view());
        if self.app.screen.name() == "register" && self.app.question().is_none() {
            ui.click(iced::widget::Id::new(kasse::ui::screen::register::SEARCH))
                .expect("the search field");
        }
        let status = ui.simulate([iced::Event::Keyboard(event.clone())]);
        let messages: Vec<Message> = ui.into_messages().collect();
        for m in messages {
            self.send(m);
        }
        if status.first() == Some(&iced::event::Status::Ignored) {
            self.send(Message::Key(Instant::now(), event));
        }
    }

    /// Text typed key by key.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let s = c.to_string();
            self.key(iced::keyboard::Key::Character(s.as_str().into()), Some(&s));
        }
    }

    /// A named key: Enter, Escape, F-keys, arrows.
    pub fn named(&mut self, named: iced::keyboard::key::Named) {
        self.key(iced::keyboard::Key::Named(named), None);
    }

    /// Journal entries of `kind` so far.
    pub fn journaled(&self, kind: &str) -> usize {
        self.app
            .till()
            .store()
            .journal_between(0, u64::MAX)
            .unwrap()
            .iter()
            .filter(|j| j.kind == kind)
            .count()
    }

    pub fn sales(&self) -> usize {
        self.app
            .till()
            .store()
            .transactions(0, u64::MAX)
            .unwrap()
            .len()
    }
}

/// A key press as the window delivers it.
pub fn key_event(key: iced::keyboard::Key, text: Option<&str>) -> iced::keyboard::Event {
    kasse::ui::screen::key_pressed(key, text)
}

/// A code as the barcode wedge types it, one key every `gap` from `start`,
/// then Enter; returns the time after the last key.
pub fn wedge_at(k: &mut Kiosk, code: &str, start: Instant, gap: Duration) -> Instant {
    use iced::keyboard::{Key, key};
    let mut at = start;
    for c in code.chars() {
        let s = c.to_string();
        k.send(Message::Key(
            at,
            key_event(Key::Character(s.as_str().into()), Some(&s)),
        ));
        at += gap;
    }
    k.send(Message::Key(
        at,
        key_event(Key::Named(key::Named::Enter), None),
    ));
    at + gap
}

/// A code as the barcode wedge types it, at scanner speed.
pub fn wedge(k: &mut Kiosk, code: &str) {
    wedge_at(k, code, Instant::now(), Duration::from_millis(1));
}
