//! A scale that answers on a serial port like the real one, from a script.
//!
//! Run it on one end of a `socat` pty pair and the real reader
//! (`devices::scale`) on the other: the tests and the demo then exercise the
//! real serial code. The 8217 simulator answers each `W` from the script's
//! state at that moment; the MT-SICS simulator streams a line every
//! `stream_ms` after `SIR`. Both handle `Z` (zero) and `T` (tare).
//!
//! A script, one step per line (or separated by `;`), `#` starts a comment:
//!
//! ```text
//! motion 300ms          # load going on: 8217 status "in motion", MT-SICS "S D"
//! load 412g for 800ms   # a steady gross weight
//! overload              # over capacity (1 s when no duration is given)
//! underzero for 500ms   # under zero
//! garbage               # a burst of line noise, then carry on
//! silence 2s            # no answer at all
//! ```
//!
//! The script's clock starts at the first command from the till and keeps
//! running across reconnects; the last timed step lasts until the simulator
//! is dropped. Before any step, and with no timed step, the platter is empty.

use crate::devices::scale::open_port;
use crate::domain::scale::Protocol;
use serialport::SerialPort;
use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const DEFAULT_STEP_MS: u64 = 1000;
const REOPEN: Duration = Duration::from_millis(100);
const TICK: Duration = Duration::from_millis(5);
/// Line noise: bytes that start but never finish a frame of either protocol.
const GARBAGE: &[u8] = b"\x00\xff#~\x0212.3\x7f?S X\r\n\x02";
/// How a load wobbles while it is being put down, in grams.
const WOBBLE: [i64; 6] = [-37, 21, -12, 55, -6, 14];

/// One step of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A steady gross weight.
    Load {
        grams: i64,
        ms: u64,
    },
    /// Something is being put down: wobbling around the next load.
    Motion {
        ms: u64,
    },
    Overload {
        ms: u64,
    },
    UnderZero {
        ms: u64,
    },
    /// A burst of line noise; takes no time.
    Garbage,
    /// The scale does not answer.
    Silence {
        ms: u64,
    },
}

impl Step {
    fn ms(self) -> Option<u64> {
        match self {
            Step::Load { ms, .. }
            | Step::Motion { ms }
            | Step::Overload { ms }
            | Step::UnderZero { ms }
            | Step::Silence { ms } => Some(ms),
            Step::Garbage => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Step::Load { grams, ms } => write!(f, "load {grams}g for {ms}ms"),
            Step::Motion { ms } => write!(f, "motion {ms}ms"),
            Step::Overload { ms } => write!(f, "overload for {ms}ms"),
            Step::UnderZero { ms } => write!(f, "underzero for {ms}ms"),
            Step::Garbage => f.write_str("garbage"),
            Step::Silence { ms } => write!(f, "silence {ms}ms"),
        }
    }
}

/// A script line the simulator cannot follow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scale script line {line}: {problem}")]
pub struct ScriptError {
    pub line: usize,
    pub problem: String,
}

/// What the simulated scale does over time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    steps: Vec<Step>,
    /// Start again after the last timed step (the demo), instead of holding it.
    looping: bool,
}

impl Script {
    /// A script of `steps`, run once; the last timed step holds.
    pub fn new(steps: Vec<Step>) -> Script {
        Script {
            steps,
            looping: false,
        }
    }

    /// The steps, in order; indices match [`Simulator::first_frame_at`].
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The step in force `t_ms` after the start (`None`: empty platter), and
    /// how many steps have begun by then (garbage is sent as it begins).
    /// The same script, started again each time it ends (the demo's scale).
    pub fn looping(mut self) -> Script {
        self.looping = true;
        self
    }

    fn at(&self, t_ms: u64) -> (Option<usize>, usize) {
        let total = self
            .steps
            .iter()
            .filter_map(|s| s.ms())
            .fold(0u64, u64::saturating_add);
        let t_ms = if self.looping && total > 0 {
            t_ms % total
        } else {
            t_ms
        };
        let mut current = None;
        let mut begun = 0;
        let mut start = 0u64;
        for (i, step) in self.steps.iter().enumerate() {
            if start > t_ms {
                break;
            }
            begun = i + 1;
            if let Some(ms) = step.ms() {
                current = Some(i);
                if t_ms < start.saturating_add(ms) {
                    break;
                }
                start = start.saturating_add(ms);
            }
        }
        (current, begun)
    }

    /// The load the scale is moving towards while in motion at step `i`.
    fn motion_target(&self, i: usize) -> i64 {
        let next = self.steps[i..].iter();
        let before = self.steps[..i].iter().rev();
        next.chain(before)
            .find_map(|s| match s {
                Step::Load { grams, .. } => Some(*grams),
                _ => None,
            })
            .unwrap_or(0)
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        Ok(())
    }
}

impl FromStr for Script {
    type Err = ScriptError;

    fn from_str(text: &str) -> Result<Script, ScriptError> {
        let mut steps = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            for part in line.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                if words.is_empty() {
                    continue;
                }
                steps.push(parse_step(&words).map_err(|problem| ScriptError {
                    line: n + 1,
                    problem,
                })?);
            }
        }
        Ok(Script {
            steps,
            looping: false,
        })
    }
}

/// `<kind> [<grams>g] [[for] <duration>]`
fn parse_step(words: &[&str]) -> Result<Step, String> {
    let (kind, mut rest) = match words.split_first() {
        Some((kind, rest)) => (*kind, rest),
        None => return Err("empty step".into()),
    };
    if rest.iter().any(|w| w.ends_with("kg")) {
        return Err("weights are whole grams, like 412g".into());
    }
    let mut grams = None;
    if let Some((w, tail)) = rest.split_first()
        && let Some(n) = w.strip_suffix('g')
    {
        grams = Some(
            n.parse::<i64>()
                .map_err(|_| format!("{w:?} is not whole grams like 412g"))?,
        );
        rest = tail;
    }
    if let Some((&"for", tail)) = rest.split_first() {
        rest = tail;
    }
    let ms = match rest {
        [] => DEFAULT_STEP_MS,
        [d] => parse_duration(d)?,
        _ => return Err(format!("unexpected {:?}", rest.join(" "))),
    };
    let step = match (kind, grams) {
        ("load", Some(grams)) => Step::Load { grams, ms },
        ("load", None) => return Err("load needs a weight, like load 412g".into()),
        (_, Some(_)) => return Err(format!("{kind} takes no weight")),
        ("motion", None) => Step::Motion { ms },
        ("overload", None) => Step::Overload { ms },
        ("underzero", None) => Step::UnderZero { ms },
        ("silence", None) => Step::Silence { ms },
        ("garbage", None) if rest.is_empty() => Step::Garbage,
        ("garbage", None) => return Err("garbage takes no duration".into()),
        _ => {
            return Err(format!(
                "unknown step {kind:?}: use load, motion, overload, underzero, garbage or silence"
            ));
        }
    };
    Ok(step)
}

fn parse_duration(word: &str) -> Result<u64, String> {
    let bad = || format!("{word:?} is not a duration like 300ms or 2s");
    if let Some(n) = word.strip_suffix("ms") {
        n.parse().map_err(|_| bad())
    } else if let Some(n) = word.strip_suffix('s') {
        n.parse::<u64>()
            .map_err(|_| bad())?
            .checked_mul(1000)
            .ok_or_else(bad)
    } else {
        Err(bad())
    }
}

/// Where and how the simulated scale talks.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The serial device to answer on, e.g. one end of a socat pty pair.
    pub port: String,
    pub protocol: Protocol,
    pub script: Script,
    /// MT-SICS: time between lines after `SIR`.
    pub stream_ms: u64,
}

impl SimConfig {
    /// Streams MT-SICS lines every 100 ms.
    pub fn new(port: impl Into<String>, protocol: Protocol, script: Script) -> SimConfig {
        SimConfig {
            port: port.into(),
            protocol,
            script,
            stream_ms: 100,
        }
    }
}

/// A running simulated scale; dropping it stops it.
#[derive(Debug)]
pub struct Simulator {
    stop: Arc<AtomicBool>,
    next_script: Arc<Mutex<Option<Script>>>,
    first_frames: Arc<Mutex<Vec<Option<Instant>>>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Start answering on `config.port`, reopening it (every 100 ms) while it
    /// is missing or after the other end hung up.
    pub fn start(config: SimConfig) -> io::Result<Simulator> {
        let stop = Arc::new(AtomicBool::new(false));
        let next_script = Arc::new(Mutex::new(None));
        let first_frames = Arc::new(Mutex::new(vec![None; config.script.steps.len()]));
        let mut scale = SimScale {
            config,
            stop: Arc::clone(&stop),
            next_script: Arc::clone(&next_script),
            first_frames: Arc::clone(&first_frames),
            started: None,
            garbage_sent: 0,
            zero_g: 0,
            tare_g: 0,
            frames: 0,
            streaming: false,
        };
        let thread = thread::Builder::new()
            .name("scale simulator".into())
            .spawn(move || scale.run())?;
        Ok(Simulator {
            stop,
            next_script,
            first_frames,
            thread: Some(thread),
        })
    }

    /// Replaces the script from now on (the interactive mode): its clock
    /// starts at once, without waiting for a command from the till.
    pub fn replace_script(&self, script: Script) {
        if let Ok(mut next) = self.next_script.lock() {
            *next = Some(script);
        }
    }

    /// When the simulator first wrote a frame for script step `step` (to
    /// measure how long the reader takes to deliver it).
    pub fn first_frame_at(&self, step: usize) -> Option<Instant> {
        let frames = self.first_frames.lock().ok()?;
        frames.get(step).copied().flatten()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the scale shows at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shows {
    Steady(i64),
    Moving(i64),
    Overload,
    UnderZero,
    Nothing,
}

struct SimScale {
    config: SimConfig,
    stop: Arc<AtomicBool>,
    next_script: Arc<Mutex<Option<Script>>>,
    first_frames: Arc<Mutex<Vec<Option<Instant>>>>,
    /// The script's clock: set at the first command from the till.
    started: Option<Instant>,
    garbage_sent: usize,
    zero_g: i64,
    tare_g: i64,
    frames: usize,
    streaming: bool,
}

impl SimScale {
    fn run(&mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            match open_port(&self.config.port, self.config.protocol, TICK) {
                Ok(port) => {
                    // A hang-up ends the session; the script clock runs on.
                    let _ = self.session(port);
                }
                Err(_) => thread::sleep(REOPEN),
            }
        }
    }

    fn session(&mut self, mut port: Box<dyn SerialPort>) -> io::Result<()> {
        self.streaming = false;
        let mut line = Vec::new();
        let mut next_line = Instant::now();
        let mut buf = [0u8; 64];
        while !self.stop.load(Ordering::Relaxed) {
            self.take_next_script();
            if self.streaming {
                // Write the next line on time, not a tick late.
                let wait = next_line.saturating_duration_since(Instant::now());
                let _ = port.set_timeout(wait.clamp(Duration::from_millis(1), TICK));
            }
            match port.read(&mut buf) {
                Ok(0) => return Err(io::ErrorKind::BrokenPipe.into()),
                Ok(n) => {
                    for &b in &buf[..n] {
                        match self.config.protocol {
                            Protocol::Toledo8217 => self.toledo_command(&mut port, b)?,
                            Protocol::MtSics => {
                                line.push(b);
                                if b == b'\n' || line.len() > 32 {
                                    self.sics_command(&mut port, &line)?;
                                    line.clear();
                                }
                            }
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
            if self.config.protocol == Protocol::MtSics && self.streaming {
                if let Some(garbage) = self.due_garbage() {
                    port.write_all(garbage)?;
                }
                let now = Instant::now();
                if now >= next_line {
                    next_line = (next_line + Duration::from_millis(self.config.stream_ms)).max(now);
                    self.sics_weight_line(&mut port)?;
                }
            }
        }
        Ok(())
    }

    fn take_next_script(&mut self) {
        let next = self.next_script.lock().ok().and_then(|mut n| n.take());
        if let Some(script) = next {
            if let Ok(mut firsts) = self.first_frames.lock() {
                *firsts = vec![None; script.steps.len()];
            }
            self.config.script = script;
            self.started = Some(Instant::now());
            self.garbage_sent = 0;
        }
    }

    fn toledo_command(&mut self, port: &mut Box<dyn SerialPort>, b: u8) -> io::Result<()> {
        self.started.get_or_insert_with(Instant::now);
        match b & 0x7f {
            b'W' => {
                let mut reply = self.due_garbage().map(<[u8]>::to_vec).unwrap_or_default();
                let (step, shows) = self.shows();
                let net = if self.tare_g != 0 { 0x20 } else { 0 };
                match shows {
                    Shows::Steady(g) if (0..=99_999).contains(&g) => {
                        reply.extend(format!("\x02{:02}.{:03}\r", g / 1000, g % 1000).bytes());
                    }
                    Shows::Steady(g) | Shows::Moving(g) if g > 99_999 => {
                        reply.extend([0x02, b'?', 0x02 | net, b'\r'])
                    }
                    Shows::Steady(g) | Shows::Moving(g) if g < 0 => {
                        reply.extend([0x02, b'?', 0x04 | net, b'\r'])
                    }
                    Shows::Steady(_) | Shows::Moving(_) => {
                        reply.extend([0x02, b'?', 0x01 | net, b'\r'])
                    }
                    Shows::Overload => reply.extend([0x02, b'?', 0x02 | net, b'\r']),
                    Shows::UnderZero => reply.extend([0x02, b'?', 0x04 | net, b'\r']),
                    Shows::Nothing => {}
                }
                self.write_frame(port, step, &reply)
            }
            b'Z' => {
                self.zero();
                Ok(())
            }
            b'T' => {
                self.tare();
                Ok(())
            }
            b'\r' | b'\n' => Ok(()),
            _ => port.write_all(b"\x02?\x40\r"),
        }
    }

    fn sics_command(&mut self, port: &mut Box<dyn SerialPort>, line: &[u8]) -> io::Result<()> {
        self.started.get_or_insert_with(Instant::now);
        match line.strip_suffix(b"\r\n").unwrap_or(line) {
            b"SIR" => {
                self.streaming = true;
                Ok(())
            }
            b"SI" => self.sics_weight_line(port),
            b"Z" => {
                self.zero();
                port.write_all(b"Z A\r\n")
            }
            b"T" => {
                self.tare();
                port.write_all(format!("T S {:>10} g\r\n", self.tare_g).as_bytes())
            }
            _ => port.write_all(b"ES\r\n"),
        }
    }

    fn sics_weight_line(&mut self, port: &mut Box<dyn SerialPort>) -> io::Result<()> {
        let (step, shows) = self.shows();
        let kg = |g: i64| {
            let sign = if g < 0 { "-" } else { "" };
            let g = g.unsigned_abs();
            format!("{sign}{}.{:03}", g / 1000, g % 1000)
        };
        let line = match shows {
            Shows::Steady(g) => format!("S S {:>10} kg\r\n", kg(g)),
            Shows::Moving(g) => format!("S D {:>10} kg\r\n", kg(g)),
            Shows::Overload => "S +\r\n".into(),
            Shows::UnderZero => "S -\r\n".into(),
            Shows::Nothing => return Ok(()),
        };
        self.write_frame(port, step, line.as_bytes())
    }

    fn write_frame(
        &mut self,
        port: &mut Box<dyn SerialPort>,
        step: Option<usize>,
        bytes: &[u8],
    ) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        port.write_all(bytes)?;
        self.frames += 1;
        if let (Some(i), Ok(mut firsts)) = (step, self.first_frames.lock())
            && let Some(first @ None) = firsts.get_mut(i)
        {
            *first = Some(now);
        }
        Ok(())
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.map_or(0, |s| {
            u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX)
        })
    }

    /// Garbage steps begun since the last call, as one burst.
    fn due_garbage(&mut self) -> Option<&'static [u8]> {
        let (_, begun) = self.config.script.at(self.elapsed_ms());
        let steps = &self.config.script.steps[self.garbage_sent.min(begun)..begun];
        self.garbage_sent = self.garbage_sent.max(begun);
        steps.contains(&Step::Garbage).then_some(GARBAGE)
    }

    fn gross(&self) -> i64 {
        let (step, _) = self.config.script.at(self.elapsed_ms());
        match step.map(|i| self.config.script.steps[i]) {
            Some(Step::Load { grams, .. }) => grams,
            _ => 0,
        }
    }

    fn shows(&self) -> (Option<usize>, Shows) {
        let (step, _) = self.config.script.at(self.elapsed_ms());
        let offset = self.zero_g + self.tare_g;
        let shows = match step.map(|i| (i, self.config.script.steps[i])) {
            None => Shows::Steady(-offset),
            Some((_, Step::Load { grams, .. })) => Shows::Steady(grams - offset),
            Some((i, Step::Motion { .. })) => {
                let wobble = WOBBLE[self.frames % WOBBLE.len()];
                Shows::Moving(self.config.script.motion_target(i) + wobble - offset)
            }
            Some((_, Step::Overload { .. })) => Shows::Overload,
            Some((_, Step::UnderZero { .. })) => Shows::UnderZero,
            Some((_, Step::Silence { .. } | Step::Garbage)) => Shows::Nothing,
        };
        (step, shows)
    }

    fn zero(&mut self) {
        self.zero_g = self.gross();
        self.tare_g = 0;
    }

    fn tare(&mut self) {
        self.tare_g = self.gross() - self.zero_g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text() {
        let script: Script = "motion 300ms\nload 412g for 800ms; overload\n# note\nunderzero for 2s\ngarbage\nsilence 2s\nload -5g"
            .parse()
            .unwrap();
        assert_eq!(
            script.steps(),
            [
                Step::Motion { ms: 300 },
                Step::Load {
                    grams: 412,
                    ms: 800
                },
                Step::Overload { ms: 1000 },
                Step::UnderZero { ms: 2000 },
                Step::Garbage,
                Step::Silence { ms: 2000 },
                Step::Load {
                    grams: -5,
                    ms: 1000
                },
            ]
        );
        // Display and parse agree.
        assert_eq!(script.to_string().parse::<Script>().unwrap(), script);
    }

    #[test]
    fn script_errors_name_the_line() {
        for (text, problem) in [
            ("load", "load needs a weight, like load 412g"),
            ("motion 3 min", "unexpected \"3 min\""),
            ("load 0.4kg", "weights are whole grams, like 412g"),
            ("wobble 1s", "unknown step \"wobble\""),
            ("silence 2h", "\"2h\" is not a duration like 300ms or 2s"),
            ("garbage 1s", "garbage takes no duration"),
            ("overload 5g", "overload takes no weight"),
        ] {
            let e = format!("motion 1s\n{text}").parse::<Script>().unwrap_err();
            assert_eq!(e.line, 2, "{text}");
            assert!(e.problem.starts_with(problem), "{text}: {}", e.problem);
        }
    }

    #[test]
    fn timeline() {
        let script: Script = "motion 300ms; garbage; load 412g for 800ms; garbage"
            .parse()
            .unwrap();
        assert_eq!(script.at(0), (Some(0), 1));
        assert_eq!(script.at(299), (Some(0), 1));
        assert_eq!(script.at(300), (Some(2), 3));
        assert_eq!(script.at(1099), (Some(2), 3));
        // The last timed step holds.
        assert_eq!(script.at(1100), (Some(2), 4));
        assert_eq!(script.at(u64::MAX), (Some(2), 4));
        assert_eq!(Script::default().at(5), (None, 0));
        // Looping (the demo's scale): the script starts again after 1100 ms.
        let looping = script.clone().looping();
        assert_eq!(looping.at(1100 + 299), (Some(0), 1));
        assert_eq!(looping.at(2 * 1100 + 300), (Some(2), 3));
        assert_eq!(script.motion_target(0), 412);
    }
}
