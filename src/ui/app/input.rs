//! What reaches the kiosk without a tap: the clock (notices expire, the
//! thank-you moves on, staff and idle sales time out) and keys no widget
//! took (the barcode wedge, the cashier's keys, yes/no to a question).

use super::*;

impl App {
    pub(super) fn tick(&mut self, now: Instant) {
        self.now = now;
        // Staff who walked away from a self-service till are logged out:
        // the next customer's sale has no operator (journaled).
        if self.till.mode() == Mode::SelfService
            && (self.till.operator().is_some() || matches!(self.screen, Screen::Staff(_)))
            && self.till.tendering().is_none()
            && now.saturating_duration_since(self.idle.last_input) >= self.settings.staff_idle
        {
            if self.till.operator().is_some() {
                match self.till.logout(self.wall()) {
                    Ok(()) => self.say(tr(self.lang, "Staff logged out"), false),
                    Err(e) => self.fail(&e),
                }
            }
            if matches!(self.screen, Screen::Staff(_)) {
                self.home();
            }
        }
        if self.notice.as_ref().is_some_and(|(_, until)| now >= *until) {
            self.notice = None;
        }
        if self.flash_until.is_some_and(|u| now >= u) {
            self.flash_until = None;
        }
        if let Screen::Thanks(t) = &self.screen
            && t.tick(now).is_some()
        {
            self.next_customer();
        }
        if self.till.mode() == Mode::SelfService
            && matches!(self.screen, Screen::Receipt(_))
            && now.saturating_duration_since(self.idle.last_input) >= receipt::LEAVE_AFTER
        {
            // Self-service: the choice ends on a screen; no task follows.
            let _ = self.receipt_choice(receipt::Choice::None);
        }
        // Only a self-service sale left alone is cancelled; a cashier's is not.
        let active = self.till.mode() == Mode::SelfService
            && !self.till.sale().is_empty()
            && matches!(
                self.screen,
                Screen::Shopping(_)
                    | Screen::Bonus(_)
                    | Screen::Payment(payment::State {
                        stage: payment::Stage::Choose | payment::Stage::Failed { .. },
                        ..
                    })
            );
        if self.idle.tick(now, active) == idle::Verdict::GiveUp {
            match self.till.cancel(self.wall()) {
                Ok(_) => {
                    self.screen = Screen::Welcome;
                    self.lang = self.settings.lang;
                    self.speech_reset();
                    self.say(tr(self.lang, "The purchase was cancelled"), false);
                }
                Err(e) => self.fail(&e),
            }
        }
    }

    pub(super) fn key(&mut self, at: Instant, event: keyboard::Event) -> Task<Message> {
        if let Some(task) = self.hold_key(at, &event) {
            return task;
        }
        let keyboard::Event::KeyPressed { key, text, .. } = event else {
            return Task::none();
        };
        self.idle.input(self.now);
        let ms =
            u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX);
        // A scanner's burst keeps its `-` and `+`: they are not the demo's.
        if !self.wedge.scanning(ms) && self.demo_key(&key, text.as_deref()) {
            return Task::none();
        }
        if let Some(task) = self.keypad(&key) {
            return task;
        }
        if let Some(k) = screen::Key::read(&key, text.as_deref())
            && let Some(m) = self.screen_key(k)
        {
            return self.route(m);
        }
        let ch = match key.as_ref() {
            Key::Named(Named::Enter) => Some('\n'),
            _ => text.and_then(|t| t.chars().next()),
        };
        match ch.and_then(|c| self.wedge.key(ms, c)) {
            Some(crate::domain::barcode::Keyed::Scan(code)) => {
                self.flash_until = Some(self.now + FLASH_FOR);
                devices::beep();
                self.act(Action::Code(code))
            }
            // Too slow for a scanner, with no field to type into: a scan
            // that came apart. Say so rather than lose it quietly.
            Some(crate::domain::barcode::Keyed::Typed(typed))
                if typed.len() >= 4 && typed.bytes().all(|b| b.is_ascii_digit()) =>
            {
                devices::beep();
                self.say(
                    tr(self.lang, "The barcode was not read. Scan it again."),
                    true,
                );
                Task::none()
            }
            _ => Task::none(),
        }
    }

    /// What the key means on the screen (or the question) showing now;
    /// None leaves it to the barcode wedge.
    fn screen_key(&self, k: screen::Key) -> Option<Message> {
        if self.ask.is_some() {
            return match k {
                screen::Key::Enter => Some(Message::Do(Action::Answer(true))),
                screen::Key::Escape => Some(Message::Do(Action::Answer(false))),
                _ => None,
            };
        }
        match &self.screen {
            Screen::Register(state) => {
                let m = state.key(k, self.till.sale().lines.len())?;
                Some(Message::Register(m))
            }
            Screen::Staff(state) => state.key(k).map(Message::Staff),
            Screen::Payment(state) => state.key(k).map(Message::Payment),
            Screen::Reports(state) => reports::key(state, k).map(Message::Do),
            Screen::Returns(state) => state.key(k).map(Message::Returns),
            Screen::Cash(state) => state.key(k).map(Message::Cash),
            Screen::Receipt(state) => receipt::key(state, k).map(Message::Do),
            Screen::Thanks(_) if k == screen::Key::Enter => Some(Message::Do(Action::NextCustomer)),
            // Back (Escape, a keypad's Back key) goes back a step.
            Screen::Bonus(_) if k == screen::Key::Escape => Some(Message::Do(Action::BackToCart)),
            Screen::Shopping(state) if k == screen::Key::Escape && state.weighing.is_some() => {
                Some(Message::Shopping(shopping::Message::CloseWeigh))
            }
            _ => None,
        }
    }

    /// The demo's keys, only while its devices are the demo's: F11 holds up
    /// the next demo code to the camera, + and − put 50 g on or take it off
    /// the simulated scale. True when the key was the demo's.
    fn demo_key(&mut self, key: &Key, text: Option<&str>) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        match (key.as_ref(), text) {
            (Key::Named(Named::F11), _) if self.demo.camera.load(SeqCst) => {
                self.demo.codes.fetch_add(1, SeqCst);
                true
            }
            (_, Some(t @ ("+" | "-"))) if self.demo.scale.load(SeqCst) => {
                // From the weight asked for last (presses add up while the
                // food still moves), else from what the scale shows.
                if let Ok(mut wanted) = self.demo.grams.lock() {
                    let now = wanted.or(self.weight.grams).unwrap_or(0);
                    *wanted = Some(if t == "+" {
                        now + 50
                    } else {
                        (now - 50).max(0)
                    });
                }
                true
            }
            _ => false,
        }
    }

    pub(super) fn scale(&mut self, report: ScaleReport) {
        // Food already on the sale stays so until the scale reads less
        // than the minimum: a lost scale does not clear it.
        let taken = self.weight.taken;
        match report {
            ScaleReport::Status { text, ok } => {
                self.status.scale = text;
                self.status.scale_ok = ok;
                if !ok {
                    self.weight = shopping::Weight {
                        taken,
                        lost: true,
                        ..Default::default()
                    };
                } else {
                    self.weight.lost = false;
                }
            }
            ScaleReport::Weight { grams, stable } => {
                self.status.scale_ok = true;
                let min = i64::from(self.till.catalog().settings.min_grams);
                self.weight = shopping::Weight {
                    grams: Some(grams),
                    stable,
                    taken: taken && grams >= min,
                    lost: false,
                };
            }
            ScaleReport::NoWeight => {
                self.weight = shopping::Weight {
                    taken,
                    ..Default::default()
                }
            }
        }
    }

    pub(super) fn camera(&mut self, report: CameraReport) -> Task<Message> {
        match report {
            CameraReport::Status { text, ok } => {
                self.status.camera = text;
                self.status.camera_ok = ok;
                Task::none()
            }
            CameraReport::Preview(handle) => {
                self.preview = Some(handle);
                Task::none()
            }
            CameraReport::Code(code) => {
                self.flash_until = Some(self.now + FLASH_FOR);
                devices::beep();
                self.idle.input(self.now);
                self.act(Action::Code(code))
            }
        }
    }

    /// The sync worker's status; with a ledger, the till's link to it.
    pub(super) fn sync(&mut self, status: SyncStatus) {
        if self.status.ledger {
            let last_sync = status.last_sync.unwrap_or(crate::till::Link::never());
            self.till.set_link(crate::till::Link {
                online: status.online,
                last_sync,
            });
        }
        self.status.sync = status;
    }
}
