//! `kasse kiosk --tour DIR`: walks a real kiosk window through each screen,
//! saves a screenshot of each (iced's own window screenshot), then measures
//! what the issue asks: cold start to first frame, RSS after 100 sales, and
//! frame times while the camera runs. `scripts/screenshots.sh` runs it
//! under Xvfb; CI fails when a screenshot is missing or blank.

use super::app::Message;
use super::screen::{Action, payment, receipt, shopping, staff};
use crate::till::Mode;
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
