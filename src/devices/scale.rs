//! The scale on a serial port, read on its own thread.
//!
//! The reader opens the port with the protocol's settings, asks for weights
//! (`W` every `poll_ms` for the 8217, `SIR` once for MT-SICS), runs the bytes
//! through [`FrameParser`] and [`StabilityFilter`], and reports
//! [`ScaleEvent`]s on a channel. A pulled cable or a silent scale is reported
//! `Lost` once; the reader then keeps trying (reopening the port every
//! 500 ms) and reports `Connected` again at the first answer.
//!
//! When a stable weight is being watched, the reader does not wait for the
//! next regular reading to learn whether it held for `stable_ms`: it asks
//! for one at the moment the window runs its course (`W` for the 8217,
//! `SI` for MT-SICS; [`scale::settle_command`]). The 8217 is also polled
//! faster (every 50 ms) while a load is moving or settling.
//!
//! The clock lives here, at the edge: readings are stamped with microseconds
//! since the reader started and handed to the pure filter.

use crate::domain::scale::{self, FrameParser, Protocol, Reading, Settling, StabilityFilter};
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};
use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the reader tries to reopen a port it lost.
const RETRY: Duration = Duration::from_millis(500);
/// How long a scale may stay silent after a zero or tare command.
const ZERO_PAUSE: Duration = Duration::from_secs(3);
/// Longest wait on the port before looking at commands and the clock again.
const TICK: Duration = Duration::from_millis(10);
/// 8217: time between `W` polls while a load moves or settles (or `poll_ms`
/// if that is shorter).
const FAST_POLL: Duration = Duration::from_millis(50);
/// 8217: a `W` and its 8-byte reply take about 9 ms at 9600 baud (7E1, ten
/// bits a byte); a poll sooner than this after the last one only queues
/// behind its reply, so a regular poll this close to a window's end waits
/// for the end instead.
const REPLY_TIME: Duration = Duration::from_millis(10);

/// The `[scale]` section of `config.toml`, minus `port = "simulated"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleConfig {
    /// Serial device, e.g. `/dev/ttyUSB0`.
    pub port: String,
    pub protocol: Protocol,
    /// 8217: time between `W` polls. Both protocols: the scale is lost after
    /// `3 × poll_ms` without an answer.
    pub poll_ms: u64,
    /// A weight is stable after this long within `stable_tolerance_g`.
    pub stable_ms: u64,
    pub stable_tolerance_g: u32,
}

impl ScaleConfig {
    /// The spec's defaults: poll every 200 ms, stable after 300 ms within 2 g.
    pub fn new(port: impl Into<String>, protocol: Protocol) -> ScaleConfig {
        ScaleConfig {
            port: port.into(),
            protocol,
            poll_ms: 200,
            stable_ms: 300,
            stable_tolerance_g: 2,
        }
    }

    fn silence(&self) -> Duration {
        Duration::from_millis(self.poll_ms.saturating_mul(3))
    }
}

/// What the reader tells the till. Only the latest event counts: a
/// `Weight { stable: true }` is valid until the next event of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScaleEvent {
    /// The scale answers (again).
    Connected,
    /// A weight in gross grams; `stable` once the filter says so. Sent when
    /// the grams or the stability change.
    Weight { grams: i64, stable: bool },
    /// The scale answers without a weight: in motion, overloaded, under zero,
    /// busy, a fault. `reading` is never a `Reading::Weight`.
    NoWeight { reading: Reading },
    /// Cable pulled, port gone, or scale silent; `reason` says which and is
    /// meant for the status bar and the technician.
    Lost { reason: String },
}

/// Why the scale cannot be used, worded for the person at the till.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error("cannot open the scale on {port}: {source} (is it plugged in?)")]
    Open {
        port: String,
        #[source]
        source: serialport::Error,
    },
    #[error("lost the scale on {port}: {source} (cable pulled?)")]
    Io {
        port: String,
        #[source]
        source: io::Error,
    },
    #[error("the scale on {port} hung up (cable pulled?)")]
    HungUp { port: String },
    #[error("no answer from the scale on {port} for {ms} ms (is it on, set to {protocol}?)")]
    Silent {
        port: String,
        ms: u64,
        protocol: Protocol,
    },
    #[error("scale poll_ms must be at least 1")]
    BadPollMs,
    #[error("cannot start the scale reader: {0}")]
    Spawn(#[source] io::Error),
    #[error("the scale reader has stopped")]
    Stopped,
}

/// Opens `path` with the protocol's serial settings: 9600 7E1 for the 8217,
/// 9600 8N1 for MT-SICS. Shared with the simulator.
pub(crate) fn open_port(
    path: &str,
    protocol: Protocol,
    timeout: Duration,
) -> serialport::Result<Box<dyn SerialPort>> {
    let (data_bits, parity) = match protocol {
        Protocol::Toledo8217 => (DataBits::Seven, Parity::Even),
        Protocol::MtSics => (DataBits::Eight, Parity::None),
    };
    serialport::new(path, 9600)
        .data_bits(data_bits)
        .parity(parity)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(timeout)
        .open()
}

enum Command {
    Zero,
    Tare,
    Stop,
}

/// Controls a running reader; dropping it stops the reader and waits for its
/// thread (at most a few milliseconds).
#[derive(Debug)]
pub struct ScaleHandle {
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl ScaleHandle {
    /// Zero the scale. Dropped if the scale is lost at the time.
    pub fn zero(&self) -> Result<(), ScaleError> {
        self.commands
            .send(Command::Zero)
            .map_err(|_| ScaleError::Stopped)
    }

    /// Tare the scale: what lies on it now becomes the tare. Dropped if the
    /// scale is lost at the time.
    pub fn tare(&self) -> Result<(), ScaleError> {
        self.commands
            .send(Command::Tare)
            .map_err(|_| ScaleError::Stopped)
    }
}

impl Drop for ScaleHandle {
    fn drop(&mut self) {
        // The reader may already have stopped (its events receiver dropped).
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Start reading the scale described by `config` on a thread of its own.
/// Opening the port happens there: a missing port is a `Lost` event, not an
/// error here. The reader stops when the handle or the receiver is dropped.
pub fn spawn(config: ScaleConfig) -> Result<(ScaleHandle, Receiver<ScaleEvent>), ScaleError> {
    if config.poll_ms == 0 {
        return Err(ScaleError::BadPollMs);
    }
    let (command_tx, command_rx) = mpsc::channel();
    let (event_tx, event_rx) = mpsc::channel();
    let name = format!("scale {}", config.port);
    let reader = Reader {
        // Microseconds: a window is never a fraction of a millisecond short.
        filter: StabilityFilter::new(
            config.stable_ms.saturating_mul(1000),
            config.stable_tolerance_g,
        ),
        config,
        events: event_tx,
        commands: command_rx,
        epoch: Instant::now(),
        last_sent: None,
        moving: false,
        answering: false,
        lost_reported: false,
    };
    let thread = thread::Builder::new()
        .name(name)
        .spawn(move || reader.run())
        .map_err(ScaleError::Spawn)?;
    Ok((
        ScaleHandle {
            commands: command_tx,
            thread: Some(thread),
        },
        event_rx,
    ))
}

/// The handle or the receiver is gone: stop.
struct Stop;

struct Reader {
    config: ScaleConfig,
    events: Sender<ScaleEvent>,
    commands: Receiver<Command>,
    epoch: Instant,
    filter: StabilityFilter,
    last_sent: Option<ScaleEvent>,
    /// The latest reading was motion or a dynamic weight.
    moving: bool,
    /// The scale answered since the port was opened or since it went silent.
    answering: bool,
    /// A `Lost` was sent and no `Connected` since: one `Lost` per outage.
    lost_reported: bool,
}

impl Reader {
    fn run(mut self) {
        let _ = self.run_until_stopped();
    }

    fn run_until_stopped(&mut self) -> Result<(), Stop> {
        loop {
            let lost = match open_port(&self.config.port, self.config.protocol, TICK) {
                Ok(port) => self.session(port)?,
                Err(source) => ScaleError::Open {
                    port: self.config.port.clone(),
                    source,
                },
            };
            self.lose(&lost)?;
            self.idle(RETRY)?;
        }
    }

    /// Talk to an open port until it fails; returns why.
    fn session(&mut self, mut port: Box<dyn SerialPort>) -> Result<ScaleError, Stop> {
        let protocol = self.config.protocol;
        let silence = self.config.silence();
        // Bytes from before the port was opened may be old answers.
        let _ = port.clear(ClearBuffer::Input);
        let mut parser = FrameParser::new(protocol);
        self.filter.reset();
        self.moving = false;
        self.answering = false;
        let mut last_answer = Instant::now();
        let mut polls = Polls::new(&self.config, last_answer);
        let mut quiet_until = last_answer;
        let mut buf = [0u8; 256];
        loop {
            loop {
                let bytes = match self.commands.try_recv() {
                    Ok(Command::Zero) => scale::zero_command(protocol),
                    Ok(Command::Tare) => scale::tare_command(protocol),
                    Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return Err(Stop),
                    Err(TryRecvError::Empty) => break,
                };
                if let Err(e) = self.send_bytes(&mut port, bytes) {
                    return Ok(e);
                }
                // The weight is about to change: it must settle afresh. A
                // scale may pause its answers while it zeroes or tares (up to
                // 3 s waiting for no motion); that pause is not a lost scale.
                // (Z and T do not end an MT-SICS SIR repetition.)
                self.filter.reset();
                quiet_until = Instant::now() + ZERO_PAUSE;
            }

            let now = Instant::now();
            let (due, ask) = polls.due(self.settle_at(), self.watching());
            if now >= due {
                if let Err(e) = self.send_bytes(&mut port, ask.bytes(protocol)) {
                    return Ok(e);
                }
                polls.sent(ask, now);
            }

            // Wake for the next poll on time; data wakes the read at once.
            let (due, _) = polls.due(self.settle_at(), self.watching());
            let wait = due.saturating_duration_since(Instant::now());
            let _ = port.set_timeout(wait.clamp(Duration::from_millis(1), TICK));
            match port.read(&mut buf) {
                Ok(0) => {
                    return Ok(ScaleError::HungUp {
                        port: self.config.port.clone(),
                    });
                }
                Ok(n) => {
                    let now_us = self.now_us();
                    // Skipped bytes are garbage on the line; only valid
                    // answers count as the scale being there.
                    for reading in parser.push(&buf[..n]).into_iter().flatten() {
                        last_answer = Instant::now();
                        polls.answered(last_answer);
                        self.on_reading(now_us, reading)?;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(ScaleError::HungUp {
                        port: self.config.port.clone(),
                    });
                }
                Err(source) => {
                    return Ok(ScaleError::Io {
                        port: self.config.port.clone(),
                        source,
                    });
                }
            }

            let silent = last_answer.elapsed() > silence && Instant::now() > quiet_until;
            if silent && (self.answering || !self.lost_reported) {
                // Keep the port: a silent scale may come back on the same line.
                self.lose(&ScaleError::Silent {
                    port: self.config.port.clone(),
                    ms: self.config.poll_ms.saturating_mul(3),
                    protocol,
                })?;
            }
        }
    }

    /// When the stability window being watched runs its course, if one is.
    fn settle_at(&self) -> Option<Instant> {
        let us = self.filter.settles_at()?;
        self.epoch.checked_add(Duration::from_micros(us))
    }

    /// A load is moving or settling: worth polling the 8217 faster.
    fn watching(&self) -> bool {
        self.moving || self.filter.settles_at().is_some()
    }

    fn send_bytes(&self, port: &mut Box<dyn SerialPort>, bytes: &[u8]) -> Result<(), ScaleError> {
        match port.write_all(bytes) {
            Ok(()) => Ok(()),
            // Nobody drains the line: the silence check will tell.
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(ScaleError::HungUp {
                port: self.config.port.clone(),
            }),
            Err(source) => Err(ScaleError::Io {
                port: self.config.port.clone(),
                source,
            }),
        }
    }

    fn on_reading(&mut self, now_us: u64, reading: Reading) -> Result<(), Stop> {
        if !self.answering {
            self.answering = true;
            self.lost_reported = false;
            self.send(ScaleEvent::Connected)?;
        }
        self.moving = matches!(
            reading,
            Reading::Motion | Reading::Weight { stable: false, .. }
        );
        let event = match self.filter.observe(now_us, &reading) {
            Settling::Stable { grams } => ScaleEvent::Weight {
                grams,
                stable: true,
            },
            Settling::Unstable { grams } => ScaleEvent::Weight {
                grams,
                stable: false,
            },
            Settling::NoWeight => ScaleEvent::NoWeight { reading },
        };
        if self.last_sent.as_ref() != Some(&event) {
            self.send(event)?;
        }
        Ok(())
    }

    /// Report the outage once and forget every weight seen so far.
    fn lose(&mut self, why: &ScaleError) -> Result<(), Stop> {
        self.answering = false;
        self.moving = false;
        self.filter.reset();
        if self.lost_reported {
            return Ok(());
        }
        self.lost_reported = true;
        self.send(ScaleEvent::Lost {
            reason: why.to_string(),
        })
    }

    fn send(&mut self, event: ScaleEvent) -> Result<(), Stop> {
        self.last_sent = Some(event.clone());
        self.events.send(event).map_err(|_| Stop)
    }

    /// Wait between attempts to open the port; commands meanwhile are
    /// dropped (there is no scale to zero).
    fn idle(&self, how_long: Duration) -> Result<(), Stop> {
        let until = Instant::now() + how_long;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            match self.commands.recv_timeout(left) {
                Ok(Command::Zero | Command::Tare) => {}
                Err(RecvTimeoutError::Timeout) => return Ok(()),
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return Err(Stop),
            }
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// What to ask the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    /// The regular request: `W` (8217) or `SIR` (MT-SICS, to start or
    /// restart the stream).
    Poll,
    /// One fresh weight at the end of a stability window.
    Settle,
}

impl Ask {
    fn bytes(self, protocol: Protocol) -> &'static [u8] {
        match self {
            Ask::Poll => scale::poll_command(protocol),
            Ask::Settle => scale::settle_command(protocol),
        }
    }
}

/// When to ask the scale for a weight. Plain bookkeeping over instants passed
/// in, so the schedule can be tested without a port.
#[derive(Clone, Debug)]
struct Polls {
    protocol: Protocol,
    /// 8217: time between regular polls.
    poll: Duration,
    /// MT-SICS: `SIR` again after this long without an answer.
    silence: Duration,
    /// When the session began: the first poll is due then.
    start: Instant,
    /// The latest request that makes the scale answer once: every 8217 `W`,
    /// an MT-SICS settle request.
    last: Option<Instant>,
    /// MT-SICS: when to send `SIR` (again).
    next_sir: Instant,
}

impl Polls {
    fn new(config: &ScaleConfig, start: Instant) -> Polls {
        Polls {
            protocol: config.protocol,
            poll: Duration::from_millis(config.poll_ms),
            silence: config.silence(),
            start,
            last: None,
            next_sir: start,
        }
    }

    /// The next request and when it is due (possibly already). `settle_at`
    /// is when the stability window being watched runs its course; a
    /// request sent at or after that moment settles it, so one more is due
    /// only if none was sent since. `watching`: a load is moving or
    /// settling (the 8217 is then polled faster).
    fn due(&self, settle_at: Option<Instant>, watching: bool) -> (Instant, Ask) {
        let settle = settle_at.filter(|&at| self.last.is_none_or(|last| last < at));
        match self.protocol {
            Protocol::Toledo8217 => {
                let every = if watching {
                    self.poll.min(FAST_POLL)
                } else {
                    self.poll
                };
                let regular = self.last.map_or(self.start, |last| last + every);
                match settle {
                    // A regular poll due right before the window's end would
                    // only hold up the one that settles it: wait for the end.
                    Some(at) if regular + REPLY_TIME > at => (at, Ask::Settle),
                    _ => (regular, Ask::Poll),
                }
            }
            Protocol::MtSics => match settle {
                Some(at) if at < self.next_sir => (at, Ask::Settle),
                _ => (self.next_sir, Ask::Poll),
            },
        }
    }

    /// `ask` went out at `now`.
    fn sent(&mut self, ask: Ask, now: Instant) {
        match (self.protocol, ask) {
            // SIR again only if the scale falls silent (power cycled).
            (Protocol::MtSics, Ask::Poll) => self.next_sir = now + self.silence,
            _ => self.last = Some(now),
        }
    }

    /// The scale answered at `now`.
    fn answered(&mut self, now: Instant) {
        if self.protocol == Protocol::MtSics {
            self.next_sir = now + self.silence;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do() {
        let silent = ScaleError::Silent {
            port: "/dev/ttyUSB0".into(),
            ms: 600,
            protocol: Protocol::Toledo8217,
        };
        assert_eq!(
            silent.to_string(),
            "no answer from the scale on /dev/ttyUSB0 for 600 ms (is it on, set to toledo8217?)"
        );
    }

    #[test]
    fn a_missing_port_is_lost_then_stops_cleanly() {
        let (handle, events) = spawn(ScaleConfig::new(
            "/nonexistent/ttyUSB9",
            Protocol::Toledo8217,
        ))
        .unwrap();
        match events.recv_timeout(Duration::from_secs(10)).unwrap() {
            ScaleEvent::Lost { reason } => {
                assert!(
                    reason.starts_with("cannot open the scale on /nonexistent/ttyUSB9"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        // One Lost per outage, even though it retries every 500 ms.
        assert!(events.recv_timeout(Duration::from_millis(1200)).is_err());
        handle.zero().unwrap();
        drop(handle);
        assert!(matches!(
            events.recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Disconnected)
        ));
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn toledo_polls_at_the_end_of_a_window() {
        let t0 = Instant::now();
        let mut polls = Polls::new(&ScaleConfig::new("x", Protocol::Toledo8217), t0);
        // First poll at once, then every poll_ms while nothing settles.
        assert_eq!(polls.due(None, false), (t0, Ask::Poll));
        polls.sent(Ask::Poll, t0);
        assert_eq!(polls.due(None, false), (t0 + ms(200), Ask::Poll));
        // Moving or settling: every 50 ms.
        assert_eq!(polls.due(None, true), (t0 + ms(50), Ask::Poll));
        // A window ending before the next poll: poll at its end.
        let end = t0 + ms(120);
        assert_eq!(polls.due(Some(end), false), (end, Ask::Settle));
        // Faster polls go on up to the end; one due just before it waits.
        assert_eq!(polls.due(Some(end), true), (t0 + ms(50), Ask::Poll));
        polls.sent(Ask::Poll, t0 + ms(50));
        polls.sent(Ask::Poll, t0 + ms(100));
        assert_eq!(
            polls.due(Some(t0 + ms(160)), true),
            (t0 + ms(150), Ask::Poll)
        );
        assert_eq!(
            polls.due(Some(t0 + ms(159)), true),
            (t0 + ms(159), Ask::Settle)
        );
        polls.sent(Ask::Settle, t0 + ms(159));
        // Asked at the end: the answer settles it, no second request.
        assert_eq!(
            polls.due(Some(t0 + ms(159)), true),
            (t0 + ms(209), Ask::Poll)
        );
        // The scale answering changes nothing for the 8217.
        polls.answered(t0 + ms(160));
        assert_eq!(polls.due(None, false), (t0 + ms(359), Ask::Poll));
        // poll_ms shorter than the fast rate is kept.
        let mut config = ScaleConfig::new("x", Protocol::Toledo8217);
        config.poll_ms = 20;
        let mut polls = Polls::new(&config, t0);
        polls.sent(Ask::Poll, t0);
        assert_eq!(polls.due(None, true), (t0 + ms(20), Ask::Poll));
    }

    #[test]
    fn mt_sics_asks_once_at_the_end_of_a_window() {
        let t0 = Instant::now();
        let mut polls = Polls::new(&ScaleConfig::new("x", Protocol::MtSics), t0);
        assert_eq!(polls.due(None, false), (t0, Ask::Poll));
        assert_eq!(Ask::Poll.bytes(Protocol::MtSics), b"SIR\r\n");
        polls.sent(Ask::Poll, t0);
        // SIR again only after 3 × poll_ms of silence; lines push it back.
        assert_eq!(polls.due(None, false), (t0 + ms(600), Ask::Poll));
        polls.answered(t0 + ms(100));
        assert_eq!(polls.due(None, true), (t0 + ms(700), Ask::Poll));
        // A window ending between lines: SI at its end, once.
        let end = t0 + ms(430);
        assert_eq!(polls.due(Some(end), true), (end, Ask::Settle));
        assert_eq!(Ask::Settle.bytes(Protocol::MtSics), b"SI\r\nSIR\r\n");
        polls.sent(Ask::Settle, end);
        assert_eq!(polls.due(Some(end), true), (t0 + ms(700), Ask::Poll));
        // A later window gets its own.
        let later = t0 + ms(650);
        assert_eq!(polls.due(Some(later), true), (later, Ask::Settle));
        // A silent scale is asked for SIR first.
        assert_eq!(
            polls.due(Some(t0 + ms(900)), true),
            (t0 + ms(700), Ask::Poll)
        );
    }

    #[test]
    fn poll_ms_zero_is_refused() {
        let mut config = ScaleConfig::new("/dev/null", Protocol::MtSics);
        config.poll_ms = 0;
        assert!(matches!(spawn(config), Err(ScaleError::BadPollMs)));
    }
}
