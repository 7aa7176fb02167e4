//! Scale frames and the stability rule: bytes in, readings out.
//!
//! Pure: no I/O and no clock. The serial adapter (`devices::scale`) feeds the
//! bytes it reads to a [`FrameParser`] and passes the time, in milliseconds,
//! to a [`StabilityFilter`]. Weights are whole grams parsed from the decimal
//! text the scale sends; a value finer than 1 g is refused, never rounded.

use std::fmt;
use std::str::FromStr;

/// The serial protocols a canteen scale may speak (spec/devices.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Mettler-Toledo 8217 weight-only protocol: poll with `W`.
    Toledo8217,
    /// Mettler-Toledo Standard Interface Command Set, level 0: `SIR` streams.
    MtSics,
}

impl Protocol {
    /// The name used in `config.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Toledo8217 => "toledo8217",
            Protocol::MtSics => "mt-sics",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `protocol` setting that names no protocol we speak.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scale protocol {0:?}: use \"toledo8217\" or \"mt-sics\"")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "toledo8217" => Ok(Protocol::Toledo8217),
            "mt-sics" => Ok(Protocol::MtSics),
            other => Err(UnknownProtocol(other.to_string())),
        }
    }
}

/// The bytes that ask for a weight: `W` (8217, once per poll) or `SIR`
/// (MT-SICS, once: the scale then repeats by itself).
pub fn poll_command(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::Toledo8217 => b"W",
        Protocol::MtSics => b"SIR\r\n",
    }
}

/// The bytes that ask for one fresh weight now, sent when a stability window
/// runs its course between two regular readings: `W` for the 8217; for
/// MT-SICS `SI` (send immediately), then `SIR` again, because a real scale
/// ends an `SIR` repetition on any other weight command (the repeated `SIR`
/// also answers at once, which does no harm).
pub fn settle_command(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::Toledo8217 => b"W",
        Protocol::MtSics => b"SI\r\nSIR\r\n",
    }
}

/// The bytes that zero the scale.
pub fn zero_command(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::Toledo8217 => b"Z",
        Protocol::MtSics => b"Z\r\n",
    }
}

/// The bytes that tare the scale (what lies on it now becomes the tare).
pub fn tare_command(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::Toledo8217 => b"T",
        Protocol::MtSics => b"T\r\n",
    }
}

/// One answer from the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reading {
    /// A weight in whole grams; `stable` is the scale's own judgement (an
    /// 8217 weight reply, an MT-SICS `S S`), not yet the till's.
    Weight { grams: i64, stable: bool },
    /// In motion, no weight given (8217 status bit 0).
    Motion,
    /// Over capacity (8217 bit 1, MT-SICS `S +`).
    Overload,
    /// Under zero (8217 bit 2, MT-SICS `S -`).
    UnderZero,
    /// The scale answered but gave no weight: MT-SICS `S I`, or an 8217
    /// status with no motion or error bit set.
    Busy,
    /// The scale did not understand the command (8217 bit 6, MT-SICS `ES`).
    BadCommand,
    /// The scale reports a fault that needs a person.
    Error(Fault),
}

/// A fault reported by the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 8217 bit 3: zero cannot be captured; empty the platter and zero it.
    OutsideZeroRange,
    /// MT-SICS `ET`: the scale received a garbled command (check the cable
    /// and the serial settings).
    Transmission,
    /// MT-SICS `EL`: the scale cannot execute the command now.
    Logical,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::OutsideZeroRange => {
                "scale is outside its zero capture range: empty the platter and zero it"
            }
            Fault::Transmission => {
                "scale reports a transmission error: check the cable and the serial settings"
            }
            Fault::Logical => "scale cannot execute the command now",
        })
    }
}

/// Bytes the parser threw away, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub bytes: usize,
    pub reason: &'static str,
}

const STX: u8 = 0x02;
const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// Length of an 8217 weight frame: `STX d d . d d d CR`.
const TOLEDO_WEIGHT_LEN: usize = 8;
/// Length of an 8217 status frame: `STX ? s CR`.
const TOLEDO_STATUS_LEN: usize = 4;
/// Longest MT-SICS line we wait for (`S S` + 10-character value + unit is
/// about 20 bytes); a longer line without `LF` is garbage.
const SICS_MAX_LINE: usize = 64;

/// Turns a byte stream from the scale into readings.
///
/// Bytes may arrive split across reads or several frames at once; the
/// readings depend only on the bytes, not on how they were chunked. The
/// parser holds at most one incomplete frame (at most 64 bytes), so a stream
/// of garbage never grows memory.
#[derive(Clone, Debug)]
pub struct FrameParser {
    protocol: Protocol,
    buf: Vec<u8>,
    /// MT-SICS: inside an over-long line, dropping bytes up to its `LF`.
    discarding: bool,
}

impl FrameParser {
    /// A parser for one scale's byte stream.
    pub fn new(protocol: Protocol) -> FrameParser {
        FrameParser {
            protocol,
            buf: Vec::with_capacity(SICS_MAX_LINE),
            discarding: false,
        }
    }

    /// The protocol this parser reads.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Bytes held back as the start of a frame not yet complete.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feed bytes as they come off the wire; returns every reading completed
    /// by them, and every run of bytes refused, in stream order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<Reading, Skipped>> {
        let mut out = Vec::new();
        match self.protocol {
            Protocol::Toledo8217 => {
                // Decide byte by byte so the buffer never holds more than a
                // frame, however large the chunk.
                for &b in bytes {
                    self.buf.push(b);
                    self.toledo_drain(&mut out);
                }
            }
            Protocol::MtSics => {
                for &b in bytes {
                    self.sics_byte(b, &mut out);
                }
            }
        }
        out
    }

    /// Forget any partial frame (after a reconnect, say).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    fn toledo_drain(&mut self, out: &mut Vec<Result<Reading, Skipped>>) {
        loop {
            if self.buf.is_empty() {
                return;
            }
            if self.buf[0] != STX {
                let n = self
                    .buf
                    .iter()
                    .position(|&b| b == STX)
                    .unwrap_or(self.buf.len());
                self.buf.drain(..n);
                push_skip(out, n, "no STX: not the start of an 8217 frame");
                continue;
            }
            match toledo_frame(&self.buf) {
                Frame::Incomplete => return,
                Frame::Done(len, reading) => {
                    self.buf.drain(..len);
                    out.push(Ok(reading));
                }
                Frame::Bad(reason) => {
                    // Drop only the STX: a real frame may start inside.
                    self.buf.drain(..1);
                    push_skip(out, 1, reason);
                }
            }
        }
    }

    fn sics_byte(&mut self, b: u8, out: &mut Vec<Result<Reading, Skipped>>) {
        if self.discarding {
            if b == LF {
                self.discarding = false;
            }
            push_skip(out, 1, "MT-SICS line too long");
            return;
        }
        self.buf.push(b);
        if b == LF {
            let bytes = self.buf.len();
            out.push(sics_line(&self.buf).map_err(|reason| Skipped { bytes, reason }));
            self.buf.clear();
        } else if self.buf.len() > SICS_MAX_LINE {
            let n = self.buf.len();
            self.buf.clear();
            self.discarding = true;
            push_skip(out, n, "MT-SICS line too long");
        }
    }
}

/// Merge adjacent skips with the same reason, so a burst of garbage is one
/// entry per push rather than one per byte.
fn push_skip(out: &mut Vec<Result<Reading, Skipped>>, bytes: usize, reason: &'static str) {
    if let Some(Err(last)) = out.last_mut()
        && last.reason == reason
    {
        last.bytes += bytes;
        return;
    }
    out.push(Err(Skipped { bytes, reason }));
}

enum Frame {
    Incomplete,
    Done(usize, Reading),
    Bad(&'static str),
}

/// Judge the 8217 frame starting with the STX at `buf[0]`, rejecting as soon
/// as a byte rules it out.
fn toledo_frame(buf: &[u8]) -> Frame {
    let Some(&kind) = buf.get(1) else {
        return Frame::Incomplete;
    };
    if kind == b'?' {
        // The status byte may be any value, even CR or STX: the frame has a
        // fixed length, so take it by position.
        let (Some(&status), Some(&end)) = (buf.get(2), buf.get(3)) else {
            return Frame::Incomplete;
        };
        if end != CR {
            return Frame::Bad("8217 status frame not ended by CR");
        }
        return Frame::Done(TOLEDO_STATUS_LEN, toledo_status(status));
    }
    // STX d d . d d d CR
    const SHAPE: &[u8; TOLEDO_WEIGHT_LEN] = b"\x02dd.ddd\r";
    for (i, &want) in SHAPE.iter().enumerate().skip(1) {
        let Some(&got) = buf.get(i) else {
            return Frame::Incomplete;
        };
        let fits = if want == b'd' {
            got.is_ascii_digit()
        } else {
            got == want
        };
        if !fits {
            return Frame::Bad(if i == 1 {
                "STX not followed by a weight or a status"
            } else {
                "8217 weight is not dd.ddd kg followed by CR"
            });
        }
    }
    let d = |i: usize| i64::from(buf[i] - b'0');
    let grams = (d(1) * 10 + d(2)) * 1000 + d(4) * 100 + d(5) * 10 + d(6);
    Frame::Done(
        TOLEDO_WEIGHT_LEN,
        Reading::Weight {
            grams,
            stable: true,
        },
    )
}

/// 8217 status bits, most urgent first:
/// bad command (6) — the scale did not answer our question at all;
/// over capacity (1) and under zero (2) — no weight possible, someone must act;
/// in motion (0) — transient, wait;
/// outside zero capture range (3) — a fault that needs zeroing;
/// centre of zero (4) and net (5) only inform, so a status with nothing else
/// set is an answer without a weight: `Busy`.
/// Bit 7 is the parity bit on a 7E1 line and is ignored.
fn toledo_status(s: u8) -> Reading {
    let bit = |n: u8| s & (1 << n) != 0;
    if bit(6) {
        Reading::BadCommand
    } else if bit(1) {
        Reading::Overload
    } else if bit(2) {
        Reading::UnderZero
    } else if bit(0) {
        Reading::Motion
    } else if bit(3) {
        Reading::Error(Fault::OutsideZeroRange)
    } else {
        Reading::Busy
    }
}

/// One MT-SICS line, `LF` included.
fn sics_line(line: &[u8]) -> Result<Reading, &'static str> {
    let Some(body) = line.strip_suffix(b"\r\n") else {
        return Err("MT-SICS line not ended by CR LF");
    };
    match body {
        b"ES" => return Ok(Reading::BadCommand),
        b"ET" => return Ok(Reading::Error(Fault::Transmission)),
        b"EL" => return Ok(Reading::Error(Fault::Logical)),
        b"S I" => return Ok(Reading::Busy),
        b"S +" => return Ok(Reading::Overload),
        b"S -" => return Ok(Reading::UnderZero),
        _ => {}
    }
    let (stable, value) = if let Some(rest) = body.strip_prefix(b"S S ") {
        (true, rest)
    } else if let Some(rest) = body.strip_prefix(b"S D ") {
        (false, rest)
    } else if body.starts_with(b"S ") {
        return Err("unknown MT-SICS S reply");
    } else {
        return Err("not an MT-SICS weight reply");
    };
    let grams = sics_value(value)?;
    Ok(Reading::Weight { grams, stable })
}

/// `<value> <unit>`, the value right-aligned in its field: `     0.412 kg`.
fn sics_value(text: &[u8]) -> Result<i64, &'static str> {
    let text = std::str::from_utf8(text).map_err(|_| "MT-SICS weight is not ASCII")?;
    let mut words = text.split(' ').filter(|w| !w.is_empty());
    let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err("MT-SICS weight is not <value> <unit>");
    };
    let decimals_per_gram = match unit {
        "g" => 0,
        "kg" => 3,
        _ => return Err("MT-SICS unit is not g or kg"),
    };
    parse_grams(value, decimals_per_gram)
}

/// Parse `[-]digits[.digits]` exactly, scaling by `10^shift` (3 for kg).
/// More decimals than `shift` would be finer than a gram: refused.
fn parse_grams(value: &str, shift: usize) -> Result<i64, &'static str> {
    let (negative, unsigned) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return Err("MT-SICS weight is not a decimal number");
    }
    let frac = frac.unwrap_or("");
    if frac.len() > shift {
        return Err("weight has a resolution finer than 1 g: set the scale to 1 g");
    }
    // Nine integer digits keep the product far inside i64.
    if int.len() > 9 {
        return Err("weight out of range");
    }
    let mut grams: i64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        grams = grams * 10 + i64::from(b - b'0');
    }
    for _ in frac.len()..shift {
        grams *= 10;
    }
    Ok(if negative { -grams } else { grams })
}

/// What the till may make of the scale right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settling {
    /// The scale said stable for `stable_ms`, every reading within tolerance
    /// of the first: the only weight the till may add. `grams` is the latest
    /// reading, so it matches what the scale displays.
    Stable { grams: i64 },
    /// A weight not yet stable: the scale says dynamic, or the window has not
    /// run its course. Show it, never add it.
    Unstable { grams: i64 },
    /// No weight at all: motion, overload, under zero, busy, a fault.
    NoWeight,
}

/// The till's own steadiness rule on top of the scale's.
///
/// A window opens at the first stable reading; it restarts when a stable
/// reading strays more than `tolerance_g` from the window's first value, and
/// closes on anything that is not a stable weight (a dynamic weight, motion,
/// overload, ...). The weight is stable once the window is `stable_for` old.
/// Time is passed in; it is evidence-based, so stability is only declared
/// when a reading arrives at or after the window's end.
///
/// Time is any monotonic count, in the same unit as `stable_for`: the serial
/// reader counts microseconds, so that a window is never a fraction of a
/// millisecond short of `stable_ms`; the tests here count milliseconds.
#[derive(Clone, Debug)]
pub struct StabilityFilter {
    stable_for: u64,
    tolerance_g: u32,
    window: Option<Window>,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    since: u64,
    first_g: i64,
    /// When the latest reading of the window was seen.
    last: u64,
}

impl StabilityFilter {
    /// Stable after `stable_for` within `tolerance_g` (config `stable_ms`,
    /// in the caller's unit of time, and `stable_tolerance_g`).
    pub fn new(stable_for: u64, tolerance_g: u32) -> StabilityFilter {
        StabilityFilter {
            stable_for,
            tolerance_g,
            window: None,
        }
    }

    /// Take one reading seen at `now` (a monotonic count, the unit of
    /// `stable_for`).
    pub fn observe(&mut self, now: u64, reading: &Reading) -> Settling {
        let Reading::Weight { grams, stable } = *reading else {
            self.window = None;
            return Settling::NoWeight;
        };
        if !stable {
            self.window = None;
            return Settling::Unstable { grams };
        }
        let window = match self.window {
            Some(w) if w.first_g.abs_diff(grams) <= u64::from(self.tolerance_g) => {
                Window { last: now, ..w }
            }
            _ => Window {
                since: now,
                first_g: grams,
                last: now,
            },
        };
        self.window = Some(window);
        if now.saturating_sub(window.since) >= self.stable_for {
            Settling::Stable { grams }
        } else {
            Settling::Unstable { grams }
        }
    }

    /// When the open window runs its course, while a stable weight is being
    /// watched and has not been declared stable yet: a reading at or after
    /// that moment, still within tolerance, settles it. The reader asks the
    /// scale for a fresh reading then, rather than waiting for the next poll
    /// or streamed line. `None` with no window open, or once it has settled.
    pub fn settles_at(&self) -> Option<u64> {
        let w = self.window?;
        let end = w.since.saturating_add(self.stable_for);
        (w.last.saturating_sub(w.since) < self.stable_for).then_some(end)
    }

    /// Forget the window (the scale was lost or reconnected).
    pub fn reset(&mut self) {
        self.window = None;
    }
}

#[cfg(test)]
mod tests;
