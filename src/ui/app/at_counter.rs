//! Staff and receipt actions: the receipt choice, PIN login, X/Z reports and
//! the receipt copy.

use super::*;

/// Wrong PINs in a row before each further try waits.
const PIN_TRIES: u32 = 5;

/// The id of the staff member whose PIN this is (Argon2: run it off the UI
/// thread, as `App` does).
pub fn pin_owner(staff: &[StaffMember], pin: &str) -> Option<String> {
    staff
        .iter()
        .find(|s| crate::config::verify_pin(&s.pin_hash, pin))
        .map(|s| s.id.clone())
}

impl App {
    pub(super) fn receipt_choice(&mut self, choice: receipt::Choice) -> Task<Message> {
        let Screen::Receipt(state) = &self.screen else {
            return Task::none();
        };
        let (series, number) = (state.series, state.receipt.number);
        // Only the first answer is the customer's choice; "Done" after a
        // print, a QR or the screen receipt comes back as `None` too.
        let choosing = state.stage == receipt::Stage::Choose;
        match choice {
            receipt::Choice::Print => {
                let rows = self.receipt_rows(&state.receipt, series, false);
                let bytes = print::to_escpos(&rows);
                self.printed.push(bytes.clone());
                if self.settings.printer == crate::config::PrinterTarget::Screen {
                    let text = print::to_text(&rows);
                    if let Screen::Receipt(state) = &mut self.screen {
                        state.stage = receipt::Stage::OnScreen(text);
                    }
                    self.not_printed(series, number, "screen");
                    return Task::none();
                }
                if let Screen::Receipt(state) = &mut self.screen {
                    state.stage = receipt::Stage::Printing;
                }
                self.print(bytes)
            }
            receipt::Choice::ShowQr => {
                let text = receipt::qr_text(
                    &self.settings.receipt_url,
                    &self.settings.till_id,
                    self.till.store(),
                    series,
                    number,
                );
                if let Some(text) = text
                    && let Some(image) = payment::qr_image(&text)
                    && let Screen::Receipt(state) = &mut self.screen
                {
                    state.stage = receipt::Stage::Qr { text, image };
                }
                self.not_printed(series, number, "qr");
                Task::none()
            }
            receipt::Choice::None => {
                let (receipt, change) = (state.receipt.clone(), state.change);
                if choosing {
                    self.not_printed(series, number, "none");
                }
                if self.till.mode() == Mode::Cashier {
                    if let Some(c) = change {
                        self.say(format!("{}: {}", tr(self.lang, "Change"), kr(c)), false);
                    }
                    self.home();
                } else {
                    self.screen = Screen::Thanks(thanks::State::new(&receipt, change, self.now));
                }
                Task::none()
            }
        }
    }

    /// Journals the sale as concluded without a printed receipt (13030).
    fn not_printed(&mut self, series: SaleKind, number: u64, how: &'static str) {
        if let Err(e) = self
            .till
            .receipt_not_printed(series, number, how, self.wall())
        {
            self.fail(&e);
        }
    }

    pub(super) fn next_customer(&mut self) {
        self.lang = self.settings.lang;
        self.speech_reset();
        self.home();
    }

    /// Checks a PIN off the UI thread (Argon2 takes tens of milliseconds);
    /// after five wrong ones in a row each try waits longer.
    pub(super) fn pin(&mut self, pin: &str) -> Task<Message> {
        let lang = self.lang;
        let now = self.now;
        if let Some(until) = self.pin_wait_until.filter(|u| now < *u) {
            let wait = until
                .saturating_duration_since(now)
                .as_millis()
                .div_ceil(1000);
            if let Screen::Staff(state) = &mut self.screen {
                state.error = Some(format!(
                    "{} {wait} s",
                    tr(lang, "Too many wrong PINs. Try again in")
                ));
            }
            return Task::none();
        }
        let staff = self.settings.staff.clone();
        let pin = pin.to_string();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || pin_owner(&staff, &pin))
                    .await
                    .ok()
                    .flatten()
            },
            Message::PinChecked,
        )
    }

    /// Whose PIN it was: logs them in, or counts, journals and delays.
    pub(super) fn pin_checked(&mut self, who: Option<String>) -> Task<Message> {
        let lang = self.lang;
        // The staff screen was left meanwhile: nothing to log in to.
        let Screen::Staff(state) = &self.screen else {
            return Task::none();
        };
        let purpose = state.purpose;
        let found = who.and_then(|id| self.settings.staff.iter().find(|s| s.id == id).cloned());
        let Some(who) = found else {
            self.pin_failures = self.pin_failures.saturating_add(1);
            if let Err(e) = self.till.pin_failed(self.pin_failures, self.wall()) {
                self.fail(&e);
            }
            let mut error = tr(lang, "Wrong PIN").to_string();
            if self.pin_failures >= PIN_TRIES {
                // 5 s, 10 s, 20 s … up to 5 minutes.
                let doubling = (self.pin_failures - PIN_TRIES).min(6);
                let wait = Duration::from_secs(5u64 << doubling).min(Duration::from_secs(300));
                self.pin_wait_until = Some(self.now + wait);
                error = format!(
                    "{error}. {} {} s",
                    tr(lang, "Too many wrong PINs. Try again in"),
                    wait.as_secs()
                );
            }
            if let Screen::Staff(state) = &mut self.screen {
                state.error = Some(error);
            }
            return Task::none();
        };
        self.pin_failures = 0;
        self.pin_wait_until = None;
        if let Err(e) = self.till.login(&who.id, self.wall()) {
            self.fail(&e);
            return Task::none();
        }
        match purpose {
            staff::Purpose::Attendant => {
                if let Screen::Staff(state) = &mut self.screen {
                    state.unlocked();
                }
                Task::none()
            }
            staff::Purpose::Login => {
                self.say(format!("{} {}", tr(lang, "Hello"), who.name), false);
                self.after_login()
            }
        }
    }

    pub(super) fn report(&mut self, kind: reports::Kind) {
        use crate::compliance::export;
        let catalog = self.till.catalog().clone();
        let operator = self.till.operator().map(str::to_string);
        let now = self.wall();
        let counted = match &self.screen {
            Screen::Reports(state) => state.counted,
            _ => None,
        };
        let made = match kind {
            reports::Kind::X => export::x_report(self.till.store_mut(), &catalog, now, operator),
            reports::Kind::Z => {
                export::z_report(self.till.store_mut(), &catalog, now, operator, counted)
            }
        };
        let shown = match made {
            Ok(r) => {
                let mut shown = export::render(&r, self.lang);
                // The count as it was kept with the Z: expected, counted, difference.
                let count = counted.filter(|_| kind == reports::Kind::Z);
                if let Some(c) = count.and_then(|c| export::CashCount::new(&r, c)) {
                    shown += &c.text(self.lang);
                }
                shown
            }
            Err(e) => {
                eprintln!("kasse: report: {e}");
                format!("✕ {}", text::report_error(self.lang, &e))
            }
        };
        if let Screen::Reports(state) = &mut self.screen {
            state.shown = Some(shown);
            state.confirm_z = false;
            state.counted = None;
        }
    }

    pub(super) fn copy_last(&mut self) {
        let Some((kind, number)) = self.last_receipt else {
            self.refuse(Reason::NoOpenSale);
            return;
        };
        match self.till.copy_receipt(kind, number, self.wall()) {
            Ok(receipt) => {
                let rows = self.receipt_rows(&receipt, kind, true);
                self.printed.push(print::to_escpos(&rows));
                if let Screen::Reports(state) = &mut self.screen {
                    state.shown = Some(print::to_text(&rows));
                }
                self.say(tr(self.lang, "Copy printed"), false);
            }
            Err(e) => self.fail(&e),
        }
    }

    /// The rows of a receipt of `series` (a copy keeps the series' marking).
    pub(super) fn receipt_rows(
        &self,
        receipt: &Receipt,
        series: SaleKind,
        copy: bool,
    ) -> Vec<print::Row> {
        let at = self.wall().format("%d.%m.%Y %H:%M").to_string();
        let header = receipt::header(
            series,
            &self.settings.company.name,
            &self.settings.company.org_no,
            &self.settings.till_id,
            &at,
            copy,
        );
        let catalog = self.till.catalog();
        let names = |sku: &str| {
            catalog
                .product(sku)
                .map_or_else(|| sku.to_string(), |p| p.name.clone())
        };
        print::rows(receipt, &header, &names)
    }

    /// Prints on the configured printer, off the UI thread; what came of it
    /// in words for the screen.
    pub(super) fn print(&self, bytes: Vec<u8>) -> Task<Message> {
        let (target, lang) = (self.settings.printer.clone(), self.lang);
        Task::perform(devices::print(target, bytes), move |done| {
            Message::Printed(done.map_err(|e| text::printout(lang, e.as_ref())))
        })
    }
}
