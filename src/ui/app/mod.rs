//! The kiosk application: owns the till, routes every screen's action to it,
//! and shows what came of it. Devices and sync arrive as messages from
//! subscriptions (`devices.rs`); nothing here waits on a device or the network.

use super::Element;
use super::devices::{self, CameraReport, ScaleReport};
use super::screen::{
    self, Action, bonus, cash, idle, payment, receipt, register, reports, returns, shopping, staff,
    thanks, welcome,
};
use super::text::{self, Lang, kr, tr};
use super::theme;
use super::widget::{self, Look, Notice};
use crate::config::{Config, StaffMember};
use crate::domain::print;
use crate::domain::{Money, Product, Reason, Receipt, TenderKind};
use crate::payments::{PaymentUpdate, Provider};
use crate::store::SaleKind;
use crate::sync::SyncStatus;
use crate::till::{Answer, Mode, Outcome, Reserve, Reserver, Till, TillError};
use crate::wiring::Providers;
use chrono::{DateTime, FixedOffset};
use iced::keyboard::{self, Key, key::Named};
use iced::widget::text as label;
use iced::widget::{container, image, row, stack};
use iced::{Length, Subscription, Task};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod at_counter;
mod chrome;
mod drawer;
mod input;
mod keypad;
mod outcome;
mod pay;
mod returning;
mod settings;
pub use settings::{Settings, Status};
pub mod speak;
pub use at_counter::pin_owner;

/// How long a notice stays on screen.
const NOTICE_FOR: Duration = Duration::from_secs(6);
/// How long the "code read" flash lasts.
const FLASH_FOR: Duration = Duration::from_millis(700);

#[derive(Debug, Clone)]
pub enum Message {
    Tick(Instant),
    /// A write of the sync worker, made on the till's own connection.
    SyncWrite(devices::SyncWrite),
    /// The staff member whose PIN matched (checked off the UI thread), if any.
    PinChecked(Option<String>),
    /// A key no widget took (arrows, the barcode wedge), stamped with the
    /// moment the window delivered it: the wedge tells a scanner from a
    /// person by the gaps between these stamps, never by the clock tick.
    Key(Instant, keyboard::Event),
    Do(Action),
    Shopping(shopping::Message),
    Register(register::Message),
    Payment(payment::Message),
    Staff(staff::Message),
    Cash(cash::Message),
    /// The window was asked to close: journal the shut-down, then exit.
    Closing,
    Scale(ScaleReport),
    Camera(CameraReport),
    Sync(SyncStatus),
    /// An update from the provider taking payment intent `.0`.
    Terminal(String, PaymentUpdate),
    /// The ledger's answer to the open sale's reservation.
    Reserved(Reserve),
    /// The provider reversed (or failed to reverse) payment intent `.0`.
    Reversed(String, Result<(), String>),
    /// What the provider says of payment `.0` after the till lost track of
    /// it (a timeout, a dropped reply); an error keeps it open.
    Confirmed(String, Result<Answer, String>),
    Printed(Result<(), String>),
    Returns(returns::Message),
    /// The ledger's answer about the sale a return names.
    ReturnFound(
        String,
        u64,
        Option<Box<crate::domain::receipt_link::ReceiptLink>>,
        crate::till::Original,
    ),
    /// The ledger's answer to the hold on return `.0`'s units.
    ReturnHeld(String, Reserve),
    /// The provider's answer to return `.0`'s refund.
    Refunded(String, Result<Option<String>, String>),
}

#[derive(Debug)]
pub enum Screen {
    Welcome,
    Shopping(shopping::State),
    Register(register::State),
    Bonus(bonus::State),
    Payment(payment::State),
    Receipt(receipt::State),
    Thanks(thanks::State),
    /// Cashier login (operated) or staff called by Help (self-service).
    Staff(staff::State),
    Reports(reports::State),
    /// The cashier's returns.
    Returns(returns::State),
    /// The drawer: opening float, cash in or out, the count before Z.
    Cash(cash::State),
}

/// See [`App::face`].
type Face = (std::mem::Discriminant<Screen>, Option<StageFace>, bool);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StageFace {
    Payment(std::mem::Discriminant<payment::Stage>),
    Receipt(std::mem::Discriminant<receipt::Stage>),
}

impl Screen {
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Welcome => "welcome",
            Screen::Shopping(_) => "shopping",
            Screen::Register(_) => "register",
            Screen::Bonus(_) => "bonus",
            Screen::Payment(_) => "payment",
            Screen::Receipt(_) => "receipt",
            Screen::Thanks(_) => "thanks",
            Screen::Staff(_) => "staff",
            Screen::Reports(_) => "reports",
            Screen::Returns(_) => "returns",
            Screen::Cash(_) => "cash",
        }
    }
}

pub struct App {
    till: Till,
    settings: Settings,
    lang: Lang,
    large_text: bool,
    pub screen: Screen,
    notice: Option<(Notice, Instant)>,
    weight: shopping::Weight,
    pub status: Status,
    preview: Option<image::Handle>,
    flash_until: Option<Instant>,
    pub idle: idle::Idle,
    now: Instant,
    epoch: Instant,
    wedge: crate::domain::barcode::WedgeDetector,
    /// The card terminal and Vipps (spec/payments.md).
    providers: Providers,
    /// Asks the running payment to stop.
    cancel_payment: Option<Arc<AtomicBool>>,
    /// Wrong PINs in a row, and until when PIN entry waits after too many.
    pin_failures: u32,
    pin_wait_until: Option<Instant>,
    /// When the screen last changed (wall clock): taps are dropped for
    /// `Settings::tap_guard` after it.
    screen_changed: Option<Instant>,
    /// The ledger, where stored value is reserved before a payment (online).
    reserver: Option<Arc<dyn Reserver>>,
    last_receipt: Option<(SaleKind, u64)>,
    /// Where the ESC/POS bytes of the last printout went (tests, demo).
    pub printed: Vec<Vec<u8>>,
    /// The devices to run; None in tests, which send device messages themselves.
    setup: Option<devices::Setup>,
    /// A fixed wall clock (tests, screenshots); None is the real one.
    clock: Option<DateTime<FixedOffset>>,
    /// A question over the screen waiting for yes or no (cancel, void).
    ask: Option<screen::confirm::Ask>,
    /// The demo's camera and scale, worked from the keyboard.
    pub demo: devices::Demo,
    /// The low layout: every control of a self-service screen in the lower
    /// part of the window. Resets with the sale, like speech.
    pub low: bool,
    speech: speak::Speech,
}

impl App {
    pub fn new(till: Till, settings: Settings, now: Instant) -> App {
        let screen = match till.mode() {
            Mode::SelfService => Screen::Welcome,
            Mode::Cashier => Screen::Staff(staff::State::new(staff::Purpose::Login)),
        };
        let providers = Providers::simulated(&settings.payment);
        let unsaved_refunds = till.store().unsaved_refunds().unwrap_or_else(|e| {
            eprintln!("kasse: unsaved refunds could not be read: {e}");
            Vec::new()
        });
        App {
            idle: idle::Idle::new(settings.idle_after, settings.answer_within, now),
            wedge: crate::domain::barcode::WedgeDetector::new(settings.max_gap_ms),
            lang: settings.lang,
            large_text: settings.large_text,
            till,
            settings,
            screen,
            notice: None,
            weight: shopping::Weight::default(),
            status: Status {
                unsaved_refunds,
                ..Status::default()
            },
            preview: None,
            flash_until: None,
            now,
            epoch: now,
            providers,
            cancel_payment: None,
            pin_failures: 0,
            pin_wait_until: None,
            screen_changed: None,
            reserver: None,
            last_receipt: None,
            printed: Vec::new(),
            setup: None,
            clock: None,
            ask: None,
            demo: devices::Demo::default(),
            low: false,
            speech: speak::Speech::default(),
        }
    }

    /// The question over the screen waiting for yes or no, if any.
    pub fn question(&self) -> Option<&screen::confirm::Ask> {
        self.ask.as_ref()
    }

    /// Reserves coupons, clips and bonus at this ledger before each payment
    /// that spends them, off the UI thread.
    pub fn set_reserver(&mut self, reserver: Arc<dyn Reserver>) {
        self.till.reserve_through_caller();
        self.reserver = Some(reserver);
    }

    /// Pays through these providers instead of the simulators.
    pub fn set_providers(&mut self, providers: Providers) {
        self.status.demo_payments = providers.demo();
        self.providers = providers;
    }

    /// The till's clock, as the last tick or message set it.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Fixes the wall clock the till's records and code expiry use.
    pub fn set_clock(&mut self, at: DateTime<FixedOffset>) {
        self.clock = Some(at);
    }

    fn wall(&self) -> DateTime<FixedOffset> {
        self.clock
            .unwrap_or_else(|| chrono::Local::now().fixed_offset())
    }

    pub fn set_setup(&mut self, setup: devices::Setup) {
        self.setup = Some(setup);
    }

    /// The kiosk's settings, to change at run time (tests, the tour).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    pub fn till(&self) -> &Till {
        &self.till
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref().map(|(n, _)| n)
    }

    fn say(&mut self, text: impl Into<String>, refusal: bool) {
        self.speech.notices += 1;
        self.notice = Some((
            Notice {
                text: text.into(),
                refusal,
            },
            self.now + NOTICE_FOR,
        ));
    }

    fn refuse(&mut self, reason: Reason) {
        self.say(text::reason(self.lang, reason), true);
    }

    fn fail(&mut self, e: &TillError) {
        tracing_error(e);
        let why = text::till_error(self.lang, e);
        self.say(format!("{}: {why}", tr(self.lang, "Till error")), true);
    }

    /// Where the sale goes on after an overlay or a payment step.
    fn home(&mut self) {
        self.screen = match self.till.mode() {
            Mode::Cashier if self.till.operator().is_none() => {
                Screen::Staff(staff::State::new(staff::Purpose::Login))
            }
            Mode::Cashier => Screen::Register(register::State::new()),
            Mode::SelfService if self.till.sale().is_empty() => Screen::Welcome,
            Mode::SelfService => Screen::Shopping(shopping::State::default()),
        };
    }

    fn show_cart(&mut self) {
        if !matches!(self.screen, Screen::Shopping(_) | Screen::Register(_)) {
            self.home();
            if matches!(self.screen, Screen::Welcome) {
                self.screen = Screen::Shopping(shopping::State::default());
            }
        }
    }

    /// What sets the buttons on screen: the screen, its stage (a payment
    /// that fails puts "Back to cart" where "Cancel" was; a receipt's
    /// "Done" comes where "Print" was) and a question over it.
    fn face(&self) -> Face {
        use std::mem::discriminant;
        let stage = match &self.screen {
            Screen::Payment(p) => Some(StageFace::Payment(discriminant(&p.stage))),
            Screen::Receipt(r) => Some(StageFace::Receipt(discriminant(&r.stage))),
            _ => None,
        };
        (discriminant(&self.screen), stage, self.ask.is_some())
    }

    /// One message in; a tap that lands within `tap_guard` of a screen
    /// change is dropped (a double tap must not press what the new screen
    /// put under the finger).
    pub fn update(&mut self, message: Message) -> Task<Message> {
        let tap = matches!(
            message,
            Message::Do(_)
                | Message::Shopping(_)
                | Message::Payment(_)
                | Message::Staff(_)
                | Message::Returns(_)
                | Message::Cash(_)
        );
        let wall = Instant::now();
        // The clock ticks only while something waits on it (see
        // `clock_needed`): after a quiet spell the first message brings the
        // till's time up to date. (Within a second the ticks' time stands:
        // tests drive time with ticks.)
        if wall > self.now + Duration::from_secs(1) {
            self.now = wall;
        }
        let guard = self.settings.tap_guard;
        if tap && self.screen_changed.is_some_and(|at| wall < at + guard) {
            return Task::none();
        }
        let before = self.face();
        let seen = self.seen();
        let mut task = self.route(message);
        self.speak_changes(seen);
        if self.face() != before {
            self.screen_changed = Some(wall);
        }
        // Enter and Escape answer a question: the cashier's search field
        // lets go of the keyboard while one is asked and takes it back after.
        if self.ask.is_some() != before.2 {
            let focus = if self.ask.is_some() {
                iced::widget::operation::focus(screen::confirm::NO_FIELD)
            } else if matches!(self.screen, Screen::Register(_)) {
                iced::widget::operation::focus(register::SEARCH)
            } else {
                Task::none()
            };
            task = Task::batch([task, focus]);
        }
        task
    }

    fn route(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Tick(now) => {
                self.tick(now);
                Task::none()
            }
            Message::Key(at, event) => self.key(at, event),
            Message::Cash(m) => self.cash_message(m),
            Message::Closing => self.closing(),
            Message::Do(action) => {
                self.idle.input(self.now);
                self.act(action)
            }
            Message::Shopping(m) => {
                self.idle.input(self.now);
                let weight = self.weight;
                let Screen::Shopping(state) = &mut self.screen else {
                    return Task::none();
                };
                match state.update(m, self.till.catalog(), weight) {
                    Some(action) => self.act(action),
                    None => Task::none(),
                }
            }
            Message::Register(m) => {
                self.idle.input(self.now);
                let bonus = self.bonus_offer().map(|(_, amount)| amount);
                let Screen::Register(state) = &mut self.screen else {
                    return Task::none();
                };
                let task = match state.update(m, self.till.catalog(), bonus) {
                    Some(action) => self.act(action),
                    None => Task::none(),
                };
                // The cashier keeps typing: the search field keeps the focus
                // after each item, as long as the register is on screen.
                if matches!(self.screen, Screen::Register(_)) {
                    Task::batch([task, iced::widget::operation::focus(register::SEARCH)])
                } else {
                    task
                }
            }
            Message::Payment(m) => {
                self.idle.input(self.now);
                let Screen::Payment(state) = &mut self.screen else {
                    return Task::none();
                };
                match state.update(m) {
                    Some(action) => self.act(action),
                    None => Task::none(),
                }
            }
            Message::Staff(m) => {
                self.idle.input(self.now);
                let Screen::Staff(state) = &mut self.screen else {
                    return Task::none();
                };
                match state.update(m) {
                    Some(action) => self.act(action),
                    None => Task::none(),
                }
            }
            Message::Returns(m) => {
                self.idle.input(self.now);
                let Screen::Returns(state) = &mut self.screen else {
                    return Task::none();
                };
                match state.update(m) {
                    Some(action) => self.act(action),
                    None => Task::none(),
                }
            }
            Message::ReturnFound(till, number, link, original) => {
                self.return_found(till, number, link.map(|l| *l), original)
            }
            Message::ReturnHeld(id, answer) => self.return_held(id, answer),
            Message::Refunded(id, result) => self.refunded(id, result),
            Message::Scale(report) => {
                self.scale(report);
                Task::none()
            }
            Message::Camera(report) => self.camera(report),
            Message::Sync(status) => {
                self.sync(status);
                Task::none()
            }
            Message::Terminal(intent, update) => self.terminal_update(intent, update),
            Message::PinChecked(who) => self.pin_checked(who),
            Message::SyncWrite(w) => {
                let done = self.till.sync_write(&w.op);
                let _ = w.reply.send(done);
                Task::none()
            }
            Message::Reserved(answer) => {
                let outcome = self.till.reserved(answer, self.wall());
                self.tendered(outcome)
            }
            Message::Confirmed(intent, Ok(answer)) => {
                self.next_payment(intent, payment::Next::Answer(answer, None))
            }
            Message::Confirmed(intent, Err(why)) => {
                self.not_confirmed(intent, why);
                Task::none()
            }
            Message::Reversed(intent, result) => {
                self.reversed(intent, result);
                Task::none()
            }
            Message::Printed(result) => {
                if let Screen::Receipt(state) = &mut self.screen {
                    state.stage = receipt::Stage::Printed(result);
                }
                Task::none()
            }
        }
    }

    /// The bonus the open sale could use, as the till computes it now.
    fn bonus_offer(&self) -> Option<(Money, Money)> {
        self.till.bonus_offer(self.wall()).ok().flatten()
    }

    fn act(&mut self, action: Action) -> Task<Message> {
        // The next student's first scan or tap on the last one's receipt
        // or thank-you: that sale is concluded (no receipt, journaled) and
        // the new one starts as any does, in the till's own language.
        let starts = matches!(
            action,
            Action::Code(_) | Action::Tap { .. } | Action::OpenWeigh
        );
        if starts && self.till.mode() == Mode::SelfService {
            if matches!(self.screen, Screen::Receipt(_)) {
                let _ = self.receipt_choice(receipt::Choice::None);
            }
            if matches!(self.screen, Screen::Thanks(_)) {
                self.next_customer();
            }
        }
        match action {
            Action::Tap { sku, qty } => self.tap(&sku, qty),
            Action::OpenWeigh => self.open_weigh(),
            Action::Weigh { sku, grams } => {
                if let Some(outcome) = self.weigh_plate(&sku, grams, true) {
                    self.outcome(outcome);
                }
            }
            // A receipt QR scanned (or a number typed) on the returns screen
            // names the sale to return from.
            Action::Code(code) if matches!(self.screen, Screen::Returns(_)) => {
                return self.find_return(code);
            }
            // An operated till sells only with a cashier logged in.
            Action::Code(_)
                if self.till.mode() == Mode::Cashier && self.till.operator().is_none() =>
            {
                self.say(tr(self.lang, "Log in first"), true);
            }
            Action::Code(code) => self.code(&code),
            Action::Pay => return self.pay(),
            Action::Bonus(accept) => return self.bonus(accept),
            Action::Tender { kind, cash_given } => return self.tender(kind, cash_given),
            Action::CancelPayment => self.cancel_payment(),
            Action::RetrySave => return self.retry_save(),
            Action::BackToCart => {
                self.till.reconsider_bonus();
                self.screen = Screen::Welcome;
                self.show_cart();
            }
            Action::CancelSale => self.ask_cancel(),
            Action::Void(line) => self.ask_void(line),
            Action::Answer(yes) => self.answer_question(yes),
            Action::AttachMember(id) => match self.till.attach_member_by_staff(&id) {
                Ok(Outcome::Refused(Reason::UnknownCode)) => {
                    self.say(tr(self.lang, "Unknown member"), true);
                }
                Ok(outcome) => self.outcome(outcome),
                Err(e) => self.fail(&e),
            },
            Action::Receipt(choice) => return self.receipt_choice(choice),
            Action::NextCustomer => self.next_customer(),
            // What was said in the other language goes: a notice is never
            // shown in the language the screen just left.
            Action::Language => {
                self.lang = self.lang.other();
                self.notice = None;
            }
            Action::LargeText => self.large_text = !self.large_text,
            Action::LowLayout => self.low = !self.low,
            Action::Speech => self.toggle_speech(),
            // Staff cannot be called over a running payment: its progress
            // and its cancel button stay in view.
            Action::Help if self.till.tendering().is_some() => {
                self.refuse(Reason::PaymentInProgress);
            }
            Action::Help => {
                self.screen = Screen::Staff(staff::State::new(staff::Purpose::Attendant))
            }
            Action::CloseOverlay => self.close_overlay(),
            Action::Pin(pin) => return self.pin(&pin),
            Action::Logout => {
                if let Err(e) = self.till.logout(self.wall()) {
                    self.fail(&e);
                }
                self.home();
            }
            Action::ShowReports => self.screen = Screen::Reports(reports::State::default()),
            Action::ShowReturns => return self.show_returns(),
            Action::FindReturn(query) => return self.find_return(query),
            Action::PlanReturn(units) => self.plan_return(units),
            Action::Refund => return self.refund(),
            Action::Report(kind) => self.report(kind),
            Action::AskZ(ask) => self.ask_z(ask),
            Action::Float(_) | Action::Cash(_) | Action::MoveCash { .. } | Action::Counted(_) => {
                return self.drawer(action);
            }
            Action::CopyLastReceipt => self.copy_last(),
            Action::Training(on) => {
                if let Err(e) = self.till.set_training(on, self.wall()) {
                    self.fail(&e);
                }
            }
            Action::OpenDrawer => {
                if let Err(e) = self.till.open_drawer(self.wall()) {
                    self.fail(&e);
                }
            }
            Action::StillHere => self.idle.input(self.now),
        }
        Task::none()
    }

    /// Whether anything waits on the clock: a notice or flash to clear, a
    /// sale or staff session to time out, a screen that moves on by itself,
    /// a PIN wait. At rest on the welcome screen nothing does: no
    /// ticks, no redraws.
    pub fn clock_needed(&self) -> bool {
        self.notice.is_some()
            || self.flash_until.is_some()
            || self.pin_wait_until.is_some()
            || self.idle.prompt_until.is_some()
            || !self.till.sale().is_empty()
            || self.till.operator().is_some()
            || self.till.tendering().is_some()
            || !matches!(self.screen, Screen::Welcome | Screen::Register(_))
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![
            keyboard::listen().map(|event| Message::Key(Instant::now(), event)),
            iced::window::close_requests().map(|_| Message::Closing),
        ];
        if self.clock_needed() {
            subs.push(iced::time::every(Duration::from_millis(250)).map(Message::Tick));
        }
        if let Some(setup) = &self.setup {
            let hands = devices::WithDemo(setup.clone(), self.demo.clone());
            subs.push(devices::scale(hands.clone()).map(Message::Scale));
            subs.push(devices::sync(setup.clone()).map(|e| match e {
                devices::SyncEvent::Status(s) => Message::Sync(s),
                devices::SyncEvent::Write(w) => Message::SyncWrite(w),
            }));
            subs.push(devices::camera(hands).map(Message::Camera));
        }
        Subscription::batch(subs)
    }

    pub fn title(&self) -> String {
        format!("kasse – {}", self.settings.till_id)
    }
}

fn tracing_error(e: &TillError) {
    eprintln!("kasse: till error: {e}");
}
