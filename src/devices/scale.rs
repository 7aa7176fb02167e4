//! The scale on a serial port, read on its own thread.
//!
//! The reader opens the port with the protocol's settings, asks for weights
//! (`W` every `poll_ms` for the 8217, `SIR` once for MT-SICS), runs the bytes
//! through [`FrameParser`] and [`StabilityFilter`], and reports
//! [`ScaleEvent`]s on a channel. A pulled cable or a silent scale is reported
//! `Lost` once; the reader then keeps trying (reopening the port every
//! 500 ms) and reports `Connected` again at the first answer.
//!
//! The clock lives here, at the edge: readings are stamped with milliseconds
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
        filter: StabilityFilter::new(config.stable_ms, config.stable_tolerance_g),
        config,
        events: event_tx,
        commands: command_rx,
        epoch: Instant::now(),
        last_sent: None,
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
        let poll = Duration::from_millis(self.config.poll_ms);
        // Bytes from before the port was opened may be old answers.
        let _ = port.clear(ClearBuffer::Input);
        let mut parser = FrameParser::new(protocol);
        self.filter.reset();
        self.answering = false;
        let mut last_answer = Instant::now();
        let mut next_poll = last_answer;
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
            if now >= next_poll {
                if let Err(e) = self.send_bytes(&mut port, scale::poll_command(protocol)) {
                    return Ok(e);
                }
                next_poll = match protocol {
                    Protocol::Toledo8217 => (next_poll + poll).max(now),
                    // SIR again only if the scale falls silent (power cycled).
                    Protocol::MtSics => now + silence,
                };
            }

            // Wake for the next poll on time; data wakes the read at once.
            let wait = next_poll.saturating_duration_since(Instant::now());
            let _ = port.set_timeout(wait.clamp(Duration::from_millis(1), TICK));
            match port.read(&mut buf) {
                Ok(0) => {
                    return Ok(ScaleError::HungUp {
                        port: self.config.port.clone(),
                    });
                }
                Ok(n) => {
                    let now_ms = self.now_ms();
                    // Skipped bytes are garbage on the line; only valid
                    // answers count as the scale being there.
                    for reading in parser.push(&buf[..n]).into_iter().flatten() {
                        last_answer = Instant::now();
                        if protocol == Protocol::MtSics {
                            next_poll = last_answer + silence;
                        }
                        self.on_reading(now_ms, reading)?;
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

    fn on_reading(&mut self, now_ms: u64, reading: Reading) -> Result<(), Stop> {
        if !self.answering {
            self.answering = true;
            self.lost_reported = false;
            self.send(ScaleEvent::Connected)?;
        }
        let event = match self.filter.observe(now_ms, &reading) {
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

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
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

    #[test]
    fn poll_ms_zero_is_refused() {
        let mut config = ScaleConfig::new("/dev/null", Protocol::MtSics);
        config.poll_ms = 0;
        assert!(matches!(spawn(config), Err(ScaleError::BadPollMs)));
    }
}
