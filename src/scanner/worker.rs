//! The scanner the kiosk runs: a frame source on one thread, the decoder on
//! another, events out through a channel.
//!
//! - The capture thread pulls frames from the [`FrameSource`], sends status
//!   changes and small preview thumbnails (at most [`PREVIEW_FPS`] a second)
//!   straight out, and puts each frame into a one-slot mailbox. A frame still
//!   in the mailbox when the next one arrives is replaced: a slow decode
//!   drops frames, it never queues them, so a code is always read from a
//!   recent frame.
//! - The decode thread takes the newest frame, decodes it under
//!   [`guarded`] (a [`Decoder`] that panics is counted per kind in the
//!   [`ScannerStats`], the first of each kind logged as one line, and the
//!   next frame decodes as usual), debounces the texts
//!   (spec/qr-payloads.md) and sends each new code with its latency from
//!   capture to decoded.
//!
//! Dropping the [`Scanner`] stops both threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::GrayImage;

use super::debounce::Debounce;
use super::decode::DecodeOutcome;
use super::panics::{PanicCounts, guarded};
use super::pipeline::FramePipeline;
pub use super::source::CameraStatus;
use super::source::{
    CameraChoice, CameraRequest, CameraSource, Capture, FixtureSource, FrameSource,
};
use crate::config::ScannerConfig;

/// Preview thumbnails are at most this wide.
pub const PREVIEW_MAX_WIDTH: u32 = 240;
/// At most this many previews a second.
pub const PREVIEW_FPS: u32 = 10;

/// A small greyscale-as-RGBA picture of what the camera sees, for the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    /// `width * height * 4` bytes, row by row.
    pub rgba: Vec<u8>,
}

/// What the scanner tells the kiosk.
#[derive(Clone, Debug, PartialEq)]
pub enum ScanEvent {
    Status(CameraStatus),
    /// A code to hand to the checkout (once per presentation).
    Code {
        text: String,
        latency_ms: f64,
    },
    Preview(Preview),
    /// The decoder panicked on a frame (caught; scanning goes on). `total`
    /// counts every panic since the scanner started, `kinds` the different
    /// places they happened (each logged once).
    DecoderPanicked {
        total: u64,
        kinds: usize,
    },
}

/// What the decode thread has done so far ([`Scanner::stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScannerStats {
    /// Frames decoded.
    pub frames: u64,
    /// Frames given up when their time budget ran out.
    pub gave_up: u64,
    /// Frames the decoder never saw because a newer one replaced them.
    pub dropped: u64,
    /// Frames identical to the one before (a still scene, a paused
    /// recording): not decoded again, their codes the last frame's.
    pub identical: u64,
    /// Decoder panics caught, per kind.
    pub panics: PanicCounts,
}

/// Frame → texts. The scanner's decoder is [`FramePipeline`]; tests inject
/// their own.
pub trait Decoder: Send {
    fn decode(&mut self, frame: &GrayImage) -> DecodeOutcome;
}

impl Decoder for FramePipeline {
    fn decode(&mut self, frame: &GrayImage) -> DecodeOutcome {
        FramePipeline::decode(self, frame)
    }
}

/// The one-slot mailbox between the threads.
#[derive(Default)]
struct Mailbox {
    slot: Mutex<Slot>,
    ready: Condvar,
}

#[derive(Default)]
struct Slot {
    frame: Option<(GrayImage, Instant)>,
    /// The capture side has ended: decode what is left, then stop.
    closed: bool,
    /// Frames replaced before the decoder took them.
    dropped: u64,
}

impl Mailbox {
    fn put(&self, frame: GrayImage, at: Instant) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.frame.replace((frame, at)).is_some() {
            slot.dropped += 1;
        }
        self.ready.notify_one();
    }

    /// Puts `frame` once the decoder has taken the previous one (a
    /// lossless source), unless the scanner stops meanwhile.
    fn put_when_free(&self, frame: GrayImage, at: Instant, stop: &AtomicBool) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        while slot.frame.is_some() && !stop.load(Ordering::Relaxed) {
            slot = self
                .ready
                .wait_timeout(slot, Duration::from_millis(50))
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        slot.frame = Some((frame, at));
        self.ready.notify_all();
    }

    fn close(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.closed = true;
        self.ready.notify_all();
    }

    /// The newest frame; `None` once closed and empty, or when `stop` is set.
    fn take(&self, stop: &AtomicBool) -> Option<(GrayImage, Instant)> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(frame) = slot.frame.take() {
                // A lossless source waits for the slot to be free.
                self.ready.notify_all();
                return Some(frame);
            }
            if slot.closed {
                return None;
            }
            slot = self
                .ready
                .wait_timeout(slot, Duration::from_millis(100))
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

/// The running scanner. See the module documentation.
pub struct Scanner {
    events: Receiver<ScanEvent>,
    stop: Arc<AtomicBool>,
    mailbox: Arc<Mailbox>,
    stats: Arc<Mutex<ScannerStats>>,
    threads: Vec<JoinHandle<()>>,
}

impl Scanner {
    /// The scanner `[scanner]` in config.toml asks for:
    ///
    /// - `none`: no scanning; one `Status(Missing)` event;
    /// - `auto`: the first camera; if there is none, the fixture folder
    ///   (the demo); if that is missing too, `Status(Missing)`;
    /// - an index (`0`) or a name: that camera; while it is missing or lost
    ///   the status says so and the camera is opened again when it returns.
    pub fn start(config: &ScannerConfig) -> Scanner {
        Scanner::start_with(config, None)
    }

    /// As [`Scanner::start`]; with no camera and `demo` given, the demo's
    /// images are held up one per request (the kiosk) instead of played
    /// through once.
    pub fn start_with(
        config: &ScannerConfig,
        demo: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    ) -> Scanner {
        let camera = config.camera.trim();
        if camera == "none" {
            return Scanner::idle(CameraStatus::Missing {
                reason: "scanning is off (camera = \"none\" in [scanner])".into(),
            });
        }
        let request = CameraRequest {
            choice: CameraChoice::parse(camera),
            width: config.width,
            height: config.height,
            fps: config.fps,
        };
        let decoder = Box::new(FramePipeline::with_budget(Duration::from_millis(
            config.decode_budget_ms,
        )));
        if request.choice == CameraChoice::First && !any_camera() {
            // The demo's "phone held up" plays once, every frame decoded:
            // looping it would present the same member and clip card again
            // and again, each presentation a new clip (spec/qr-payloads.md).
            return match FixtureSource::from_folder(&config.fixture_folder, config.fps) {
                Ok(source) => {
                    let source = match demo {
                        Some(requests) => source.on_demand(requests),
                        None => source.once(),
                    };
                    Scanner::with_source(Box::new(source), config.repeat_after_ms, decoder)
                }
                Err(e) => Scanner::idle(CameraStatus::Missing {
                    reason: format!("no camera found, and no demo images: {e}"),
                }),
            };
        }
        Scanner::with_source(
            Box::new(CameraSource::open(request)),
            config.repeat_after_ms,
            decoder,
        )
    }

    /// A scanner reading `source` with `decoder` (the tests' entry point).
    pub fn with_source(
        source: Box<dyn FrameSource>,
        repeat_after_ms: u64,
        decoder: Box<dyn Decoder>,
    ) -> Scanner {
        let (tx, events) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mailbox = Arc::new(Mailbox::default());
        let stats = Arc::new(Mutex::new(ScannerStats::default()));
        let mut threads = Vec::new();

        let started = Instant::now();
        let capture = {
            let (tx, stop, mailbox) = (tx.clone(), stop.clone(), mailbox.clone());
            std::thread::Builder::new()
                .name("kasse-scan-capture".into())
                .spawn(move || capture_loop(source, &tx, &stop, &mailbox))
        };
        let decode = {
            let (tx, stop, mailbox, stats) =
                (tx.clone(), stop.clone(), mailbox.clone(), stats.clone());
            std::thread::Builder::new()
                .name("kasse-scan-decode".into())
                .spawn(move || {
                    let shared = Shared {
                        tx: &tx,
                        stop: &stop,
                        mailbox: &mailbox,
                        stats: &stats,
                    };
                    decode_loop(decoder, repeat_after_ms, started, &shared)
                })
        };
        for spawned in [capture, decode] {
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    let _ = tx.send(ScanEvent::Status(CameraStatus::Missing {
                        reason: format!("cannot start the scanner thread: {e}"),
                    }));
                }
            }
        }
        Scanner {
            events,
            stop,
            mailbox,
            stats,
            threads,
        }
    }

    /// A scanner that only reports `status`.
    fn idle(status: CameraStatus) -> Scanner {
        let (tx, events) = channel();
        let _ = tx.send(ScanEvent::Status(status));
        Scanner {
            events,
            stop: Arc::new(AtomicBool::new(true)),
            mailbox: Arc::new(Mailbox::default()),
            stats: Arc::new(Mutex::new(ScannerStats::default())),
            threads: Vec::new(),
        }
    }

    /// The events, in order. Poll with `try_recv` from the UI, or block
    /// with `recv_timeout`.
    pub fn events(&self) -> &Receiver<ScanEvent> {
        &self.events
    }

    /// What the decoder has done so far: frames, frames given up, frames
    /// dropped, panics per kind.
    pub fn stats(&self) -> ScannerStats {
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        stats.dropped = self.dropped_frames();
        stats
    }

    /// Frames the decoder never saw because a newer one replaced them.
    pub fn dropped_frames(&self) -> u64 {
        self.mailbox
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .dropped
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.mailbox.close();
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

/// Whether `auto` finds a camera (never true without the `camera` feature).
fn any_camera() -> bool {
    CameraSource::list().is_ok_and(|cams| !cams.is_empty())
}

fn capture_loop(
    mut source: Box<dyn FrameSource>,
    tx: &Sender<ScanEvent>,
    stop: &AtomicBool,
    mailbox: &Mailbox,
) {
    let preview_every = Duration::from_millis(1000 / u64::from(PREVIEW_FPS));
    let mut last_preview: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        match source.next() {
            Capture::Frame(frame) => {
                let now = Instant::now();
                if last_preview.is_none_or(|t| now.duration_since(t) >= preview_every) {
                    last_preview = Some(now);
                    if tx.send(ScanEvent::Preview(preview(&frame))).is_err() {
                        break;
                    }
                }
                if source.lossless() {
                    mailbox.put_when_free(frame, now, stop);
                } else {
                    mailbox.put(frame, now);
                }
            }
            Capture::Status(status) => {
                if tx.send(ScanEvent::Status(status)).is_err() {
                    break;
                }
            }
            Capture::Wait(d) => {
                std::thread::sleep(d.min(Duration::from_millis(50)));
            }
            Capture::End => break,
        }
    }
    mailbox.close();
}

/// What the decode thread shares with the scanner.
struct Shared<'a> {
    tx: &'a Sender<ScanEvent>,
    stop: &'a AtomicBool,
    mailbox: &'a Mailbox,
    stats: &'a Mutex<ScannerStats>,
}

fn decode_loop(
    mut decoder: Box<dyn Decoder>,
    repeat_after_ms: u64,
    started: Instant,
    shared: &Shared<'_>,
) {
    let mut debounce = Debounce::new(repeat_after_ms);
    // The last frame decoded and the codes it held.
    let mut last: Option<(GrayImage, Vec<String>)> = None;
    while let Some((frame, captured)) = shared.mailbox.take(shared.stop) {
        // A frame identical to the last one is not decoded again: its codes
        // are the last frame's (a still scene, a paused recording).
        let texts = match last.take() {
            Some((prev, texts)) if prev == frame => {
                shared
                    .stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .identical += 1;
                texts
            }
            _ => {
                let outcome = guarded(|| decoder.decode(&frame)).unwrap_or_else(|panic| {
                    let mut outcome = DecodeOutcome::default();
                    outcome.panics.add(&panic);
                    outcome
                });
                let (total, kinds) = {
                    let mut stats = shared.stats.lock().unwrap_or_else(PoisonError::into_inner);
                    stats.frames += 1;
                    stats.gave_up += u64::from(outcome.gave_up);
                    stats.panics.merge(&outcome.panics);
                    (stats.panics.total(), stats.panics.kinds())
                };
                if !outcome.panics.is_empty()
                    && shared
                        .tx
                        .send(ScanEvent::DecoderPanicked { total, kinds })
                        .is_err()
                {
                    return;
                }
                outcome.texts
            }
        };
        let now_ms =
            u64::try_from(captured.duration_since(started).as_millis()).unwrap_or(u64::MAX);
        for text in debounce.frame(now_ms, &texts) {
            let latency_ms = captured.elapsed().as_secs_f64() * 1000.0;
            if shared
                .tx
                .send(ScanEvent::Code { text, latency_ms })
                .is_err()
            {
                return;
            }
        }
        last = Some((frame, texts));
    }
}

/// The frame at most [`PREVIEW_MAX_WIDTH`] wide, grey in RGBA.
pub fn preview(frame: &GrayImage) -> Preview {
    let (w, h) = frame.dimensions();
    if w == 0 || h == 0 {
        return Preview {
            width: 0,
            height: 0,
            rgba: Vec::new(),
        };
    }
    let step = w.div_ceil(PREVIEW_MAX_WIDTH).max(1);
    let (pw, ph) = (w / step, h / step);
    let mut rgba = Vec::with_capacity(pw as usize * ph as usize * 4);
    for y in 0..ph {
        for x in 0..pw {
            let v = frame.get_pixel(x * step, y * step)[0];
            rgba.extend_from_slice(&[v, v, v, 255]);
        }
    }
    Preview {
        width: pw,
        height: ph,
        rgba,
    }
}
