//! `kasse kiosk --tour DIR`: walks a real kiosk window through each screen,
//! saves a screenshot of each (iced's own window screenshot), then measures
//! what the issue asks: cold start to first frame, RSS after 100 sales, and
//! frame times while the camera runs. `scripts/screenshots.sh` runs it
//! under Xvfb; CI fails when a screenshot is missing or blank.
//!
//! [`Touring`] wraps the kiosk's [`App`]: it only sends the app messages, as
//! the window and the devices would, and reads what it needs through the
//! app's public getters. The app knows nothing of the tour.

use super::Element;
use super::app::{App, Message};
use super::screen::{Action, payment, receipt, shopping, staff};
use crate::domain::TenderKind;
use crate::payments::PaymentUpdate;
use crate::till::Mode;
use iced::{Subscription, Task};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const OLA: &str = "SSN1.M.M-100001.1830297600.arL1HYbNbS_l091B0NE92u-PHyQ1s12tels6yIzpqKL0GeEr5AHjQUF6bCaZ_KT2MmfqEavCeM0f2-khziFKCA";
pub const OLA_COFFEE_COUPON: &str = "SSN1.C.M-100001.CP-1.KAFFE.1830297600._KskwQPjUEzhGZK7t8jFqOicZswdBixR_fCdcGxMXwVAeUABV1bfxXNQuzs8E16PIrucdt66z42FGg2OljeaBg";

/// One screen of the tour: what to do, then the file to save.
pub struct Step {
    pub name: &'static str,
    pub messages: Vec<Message>,
    /// Then the running payment's provider approves it.
    pub approve: bool,
}

/// An arrow key as the window delivers it (the keypad's Down).
fn arrow_down() -> Message {
    let down = iced::keyboard::Key::Named(iced::keyboard::key::Named::ArrowDown);
    Message::Key(
        std::time::Instant::now(),
        super::screen::key_pressed(down, None),
    )
}

fn act(a: Action) -> Message {
    Message::Do(a)
}

fn tap(sku: &str) -> Message {
    act(Action::Tap {
        sku: sku.into(),
        qty: 1,
    })
}

fn digits(pin: &str) -> Vec<Message> {
    pin.chars()
        .map(|c| Message::Staff(staff::Message::Digit(c)))
        .collect()
}

/// The screens in order, for a till in `mode`. `idle` is the idle time, to
/// show the "Still there?" prompt.
pub fn steps(mode: Mode) -> Vec<Step> {
    let s = |name, messages| Step {
        name,
        messages,
        approve: false,
    };
    match mode {
        Mode::SelfService => vec![
            s("01-welcome", vec![]),
            s(
                "02-shopping-member-coupon",
                vec![
                    Message::Camera(super::devices::CameraReport::Code(OLA.into())),
                    tap("KAFFE"),
                    Message::Camera(super::devices::CameraReport::Code(OLA_COFFEE_COUPON.into())),
                    tap("SKOLEBOLLE"),
                ],
            ),
            s(
                "03-weigh",
                vec![
                    Message::Shopping(shopping::Message::Weigh("VEKT".into())),
                    Message::Scale(super::devices::ScaleReport::Weight {
                        grams: 412,
                        stable: true,
                    }),
                ],
            ),
            s(
                "04-refusal",
                vec![
                    Message::Shopping(shopping::Message::AddWeighed),
                    Message::Camera(super::devices::CameraReport::Code(OLA_COFFEE_COUPON.into())),
                ],
            ),
            s("05-bonus-offer", vec![act(Action::Pay)]),
            s("06-payment", vec![act(Action::Bonus(true))]),
            s(
                "07-payment-vipps",
                vec![Message::Payment(payment::Message::Choose(
                    crate::domain::TenderKind::Vipps,
                ))],
            ),
            Step {
                name: "08-receipt-choice",
                messages: vec![],
                approve: true,
            },
            s(
                "09-receipt-qr",
                vec![act(Action::Receipt(receipt::Choice::ShowQr))],
            ),
            s(
                "10-thank-you",
                vec![act(Action::Receipt(receipt::Choice::None))],
            ),
            s(
                "11-english-large-text",
                vec![
                    act(Action::NextCustomer),
                    act(Action::Language),
                    act(Action::LargeText),
                    tap("LATTE"),
                ],
            ),
            s("12-still-there", vec![]),
            s(
                "13-help-staff-pin",
                vec![
                    act(Action::StillHere),
                    act(Action::LargeText),
                    act(Action::Help),
                ],
            ),
            s("14-staff-menu", {
                let mut m = digits("2580");
                m.push(Message::Staff(staff::Message::Ok));
                m
            }),
            // The keypad's focus (ring) on the first item, three arrows in.
            s("15-keypad-focus", {
                let mut m = vec![
                    act(Action::CloseOverlay),
                    act(Action::CancelSale),
                    act(Action::Answer(true)),
                ];
                for _ in 0..3 {
                    m.push(arrow_down());
                }
                m
            }),
            // The low layout: every control within a seated student's reach.
            s("16-low-layout", vec![tap("KAFFE"), act(Action::LowLayout)]),
        ],
        Mode::Cashier => vec![
            s("21-cashier-login", vec![]),
            // The first login of the day asks for the opening float.
            s("22-opening-float", {
                let mut m = digits("1234");
                m.push(Message::Staff(staff::Message::Ok));
                m
            }),
            s("22-register", {
                let mut m = vec![act(Action::Float(crate::domain::Money::from_ore(50_000)))];
                m.push(Message::Register(super::screen::register::Message::Search(
                    "kaffe".into(),
                )));
                m.push(Message::Register(super::screen::register::Message::Down));
                m.push(act(Action::Tap {
                    sku: "SKOLEBOLLE".into(),
                    qty: 2,
                }));
                m.push(act(Action::Code("7038010000010".into())));
                m
            }),
            s("23-cash", {
                let mut m = vec![
                    act(Action::Pay),
                    Message::Payment(payment::Message::Choose(crate::domain::TenderKind::Cash)),
                ];
                m.extend(
                    "200"
                        .chars()
                        .map(|c| Message::Payment(payment::Message::Digit(c))),
                );
                m
            }),
            s(
                "24-training-banner",
                vec![
                    Message::Payment(payment::Message::CashOk),
                    act(Action::Receipt(receipt::Choice::None)),
                    act(Action::Training(true)),
                    tap("TE"),
                ],
            ),
            s(
                "25-x-report",
                vec![
                    act(Action::CancelSale),
                    act(Action::Answer(true)),
                    act(Action::Training(false)),
                    act(Action::ShowReports),
                    act(Action::Report(super::screen::reports::Kind::X)),
                ],
            ),
            s("26-cash-out", {
                let mut m = vec![act(Action::Cash(crate::domain::cash::Direction::Out))];
                m.extend(
                    "300"
                        .chars()
                        .map(|c| Message::Cash(super::screen::cash::Message::Digit(c))),
                );
                m
            }),
            // A return of one skolebolle of the cash sale: what goes back.
            s(
                "27-return",
                vec![
                    act(Action::CloseOverlay),
                    act(Action::ShowReturns),
                    act(Action::FindReturn("1".into())),
                    act(Action::PlanReturn(vec![(1, 1)])),
                ],
            ),
        ],
    }
}

/// Where the tour is and what it measured.
pub struct Tour {
    pub dir: PathBuf,
    pub steps: Vec<Step>,
    pub next: usize,
    /// Ticks to wait for the window to paint before the screenshot.
    pub settle: u8,
    /// Ticks a step has waited for the running payment to end.
    pub waited: u32,
    pub shooting: bool,
    /// The step acted on, waiting for its screenshot.
    pub pending: Option<String>,
    pub started: Instant,
    pub first_frame: Option<Duration>,
    pub frames: Vec<Instant>,
    pub measuring_frames: Option<Instant>,
    /// At rest on the welcome screen since when, with the process's CPU
    /// time then.
    pub resting: Option<(Instant, Duration)>,
    pub report: Vec<String>,
    pub saved: Vec<PathBuf>,
}

impl Tour {
    pub fn new(dir: &Path, mode: Mode, started: Instant) -> Tour {
        Tour {
            dir: dir.to_path_buf(),
            steps: steps(mode),
            next: 0,
            settle: 3,
            waited: 0,
            shooting: false,
            pending: None,
            started,
            first_frame: None,
            frames: Vec::new(),
            measuring_frames: None,
            resting: None,
            report: Vec::new(),
            saved: Vec::new(),
        }
    }

    /// Saves a screenshot as PNG; an all-one-colour picture means the window
    /// did not render, and is an error.
    pub fn save(
        &mut self,
        name: &str,
        rgba: &[u8],
        width: u32,
        height: u32,
    ) -> Result<PathBuf, String> {
        let img = ::image::RgbaImage::from_raw(width, height, rgba.to_vec()).ok_or_else(|| {
            format!(
                "{name}: screenshot of {width}×{height} has {} bytes",
                rgba.len()
            )
        })?;
        let first = img.pixels().next().copied();
        if img.pixels().all(|p| Some(*p) == first) {
            return Err(format!("{name}: the window is blank (one colour)"));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let path = self.dir.join(format!("{name}.png"));
        img.save(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.saved.push(path.clone());
        Ok(path)
    }

    /// Frame intervals in ms: p50, p99, max, and frames slower than 2 × 16.7 ms.
    pub fn frame_stats(&self) -> Option<(f64, f64, f64, usize, usize)> {
        let mut gaps: Vec<f64> = self
            .frames
            .windows(2)
            .map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1000.0)
            .collect();
        if gaps.is_empty() {
            return None;
        }
        gaps.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let at = |q: f64| gaps[((gaps.len() - 1) as f64 * q).round() as usize];
        let slow = gaps.iter().filter(|g| **g > 33.4).count();
        Some((at(0.5), at(0.99), at(1.0), slow, gaps.len()))
    }
}

/// CPU time this process has used so far (all threads, user + system).
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the running system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|h| *h > 0)?;
    Some(Duration::from_millis((utime + stime) * 1000 / hz))
}

/// Resident memory of this process in MiB, from /proc.
pub fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// What the touring window hears: the app's own messages, and the tour's
/// screenshots and frame times.
#[derive(Debug, Clone)]
pub enum Event {
    App(Message),
    /// The screenshot of the step it names.
    Shot(String, iced::window::Screenshot),
    /// A frame was drawn (measured after the screens).
    Frame(Instant),
}

/// The kiosk on tour: the app, and the script it is walked through.
pub struct Touring {
    app: App,
    tour: Tour,
}

impl Touring {
    /// Taps in a step follow each other at once: the tap guard (a finger's
    /// double tap) would drop them, so the tour runs without it.
    pub fn new(mut app: App, tour: Tour) -> Touring {
        app.settings_mut().tap_guard = Duration::ZERO;
        Touring { app, tour }
    }

    pub fn update(&mut self, event: Event) -> Task<Event> {
        match event {
            Event::App(message) => {
                let tick = matches!(message, Message::Tick(_));
                let task = self.app.update(message).map(Event::App);
                if tick {
                    Task::batch([task, self.tick()])
                } else {
                    task
                }
            }
            Event::Shot(name, shot) => {
                self.tour.shooting = false;
                match self
                    .tour
                    .save(&name, &shot.rgba, shot.size.width, shot.size.height)
                {
                    Ok(path) => eprintln!("kasse: saved {}", path.display()),
                    Err(e) => {
                        eprintln!("kasse: screenshot failed: {e}");
                        std::process::exit(3);
                    }
                }
                Task::none()
            }
            Event::Frame(at) => {
                if self.tour.measuring_frames.is_some() {
                    self.tour.frames.push(at);
                }
                Task::none()
            }
        }
    }

    pub fn view(&self) -> Element<'_, Event> {
        self.app.view().map(Event::App)
    }

    /// The app's subscriptions, and a clock that always ticks: the tour
    /// moves on by ticks even when the app at rest would need none.
    pub fn subscription(&self) -> Subscription<Event> {
        let mut subs = vec![self.app.subscription().map(Event::App)];
        if !self.app.clock_needed() {
            subs.push(iced::time::every(Duration::from_millis(250)).map(tick));
        }
        if self.tour.measuring_frames.is_some() {
            subs.push(iced::window::frames().map(Event::Frame));
        }
        Subscription::batch(subs)
    }

    pub fn title(&self) -> String {
        self.app.title()
    }

    fn send(&mut self, message: Message) -> Task<Event> {
        self.app.update(message).map(Event::App)
    }

    /// One tour step per few ticks: act, let the window paint, screenshot.
    fn tick(&mut self) -> Task<Event> {
        let tour = &mut self.tour;
        if tour.first_frame.is_none() {
            tour.first_frame = Some(tour.started.elapsed());
        }
        if tour.shooting {
            return Task::none();
        }
        if let Some(since) = tour.measuring_frames {
            if since.elapsed() < Duration::from_secs(5) {
                return Task::none();
            }
            // Then the till at rest on the welcome screen, camera running,
            // nobody there: what it costs for hours every day.
            tour.measuring_frames = None;
            tour.resting = cpu_time().map(|cpu| (Instant::now(), cpu));
            self.app.screen = super::app::Screen::Welcome;
            return Task::none();
        }
        if let Some((since, cpu)) = tour.resting {
            if since.elapsed() < Duration::from_secs(20) {
                return Task::none();
            }
            let used = cpu_time().unwrap_or(cpu).saturating_sub(cpu);
            let share = used.as_secs_f64() / since.elapsed().as_secs_f64() * 100.0;
            tour.report.push(format!(
                "at rest on the welcome screen, camera running, over {} s: {share:.1} % of one core (CPU {} ms), RSS {:.1} MiB",
                since.elapsed().as_secs(),
                used.as_millis(),
                rss_mib().unwrap_or(0.0)
            ));
            return self.finish();
        }
        if let Some(name) = tour.pending.clone() {
            // Let the window paint the step before the picture is taken.
            if tour.settle > 0 {
                tour.settle -= 1;
                return Task::none();
            }
            tour.pending = None;
            tour.shooting = true;
            return iced::window::latest()
                .and_then(iced::window::screenshot)
                .map(move |shot| Event::Shot(name.clone(), shot));
        }
        if tour.next >= tour.steps.len() {
            return self.measure();
        }
        let step = tour.next;
        let approve = tour.steps[step].approve;
        // A step that waits for the payment lets the provider (the demo's
        // emulator) answer, for up to about 15 s of ticks.
        if approve && self.app.till().tendering().is_some() && tour.waited < 60 {
            tour.waited += 1;
            return Task::none();
        }
        tour.waited = 0;
        let name = tour.steps[step].name.to_string();
        let messages = std::mem::take(&mut tour.steps[step].messages);
        tour.next += 1;
        tour.settle = 2;
        tour.pending = Some(name.clone());
        // The steps' tasks run (a provider's updates, a reservation), as
        // they would for a tap.
        let mut tasks: Vec<Task<Event>> = messages.into_iter().map(|m| self.send(m)).collect();
        if approve && let Some(t) = self.app.till().tendering().cloned() {
            eprintln!("kasse: tour: the provider did not answer; approving as a stand-in");
            tasks.push(self.send(Message::Terminal(
                t.intent,
                PaymentUpdate::Approved {
                    transaction_id: "TOUR-STAND-IN".into(),
                    amount: t.amount,
                },
            )));
        }
        if name == "12-still-there" {
            let until = self.app.now() + self.app.idle.answer_within;
            self.app.idle.prompt_until = Some(until);
        }
        Task::batch(tasks)
    }

    /// After the screens: 100 sales through the app, then frame times with
    /// the camera running.
    fn measure(&mut self) -> Task<Event> {
        let before = rss_mib();
        let started = Instant::now();
        for _ in 0..100 {
            self.sale_for_measurement();
        }
        let took = started.elapsed();
        let sales = self.app.till().store().last_nr().unwrap_or(0);
        let after = rss_mib();
        let tour = &mut self.tour;
        if let Some(first) = tour.first_frame {
            tour.report.push(format!(
                "cold start to first frame: {} ms",
                first.as_millis()
            ));
        }
        tour.report.push(format!(
            "100 sales through the app in {} ms (receipts so far: {sales}); RSS before {:.1} MiB, after {:.1} MiB",
            took.as_millis(),
            before.unwrap_or(0.0),
            after.unwrap_or(0.0)
        ));
        tour.measuring_frames = Some(Instant::now());
        // The demo camera holds up its codes now, so the frame times are
        // taken while the scanner decodes.
        self.app
            .demo
            .codes
            .fetch_add(20, std::sync::atomic::Ordering::SeqCst);
        Task::none()
    }

    /// One sale of a coffee, paid in cash (operated) or by card (self-service).
    fn sale_for_measurement(&mut self) {
        let cashier = self.app.till().mode() == Mode::Cashier;
        let kind = if cashier {
            TenderKind::Cash
        } else {
            TenderKind::Card
        };
        for action in [
            Action::NextCustomer,
            Action::Tap {
                sku: "KAFFE".into(),
                qty: 1,
            },
            Action::Pay,
            Action::Tender {
                kind,
                cash_given: None,
            },
        ] {
            let _ = self.app.update(Message::Do(action));
        }
        if !cashier && let Some(t) = self.app.till().tendering().cloned() {
            let _ = self.app.update(Message::Terminal(
                t.intent.clone(),
                PaymentUpdate::Approved {
                    transaction_id: format!("BENCH-{}", t.intent),
                    amount: t.amount,
                },
            ));
        }
        let _ = self
            .app
            .update(Message::Do(Action::Receipt(receipt::Choice::None)));
    }

    fn finish(&mut self) -> Task<Event> {
        let tour = &mut self.tour;
        if let Some((p50, p99, max, slow, n)) = tour.frame_stats() {
            tour.report.push(format!(
                "frame interval with the camera running, {n} frames over 5 s: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms, {slow} slower than 33.4 ms"
            ));
        }
        tour.report
            .push(format!("screenshots: {}", tour.saved.len()));
        let text = tour.report.join("\n") + "\n";
        eprint!("{text}");
        if let Err(e) = std::fs::write(tour.dir.join("measurements.txt"), text) {
            eprintln!("kasse: {}: {e}", tour.dir.display());
        }
        iced::exit()
    }
}

fn tick(at: Instant) -> Event {
    Event::App(Message::Tick(at))
}
