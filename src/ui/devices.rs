//! Devices and sync as subscriptions: each runs on a thread of its own and
//! reports through a channel; the UI only ever receives messages. One-shot
//! I/O (printing) is a task on the blocking pool.

use crate::config::{Config, PrinterTarget};
use crate::devices::scale::ScaleEvent;
use crate::payments::{PaymentUpdate, Running};
use crate::sync::SyncStatus;
use iced::Subscription;
use iced::futures::Stream;
use iced::widget::image;
use std::hash::{Hash, Hasher};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What the status bar says of a device: a kind the screen words in either
/// language, or a real device's own name. The device's own words for a
/// problem (an OS error) go to the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeviceState {
    #[default]
    Starting,
    /// A real device, by its port or its name.
    Named(String),
    /// The demo's simulator stands in.
    Simulated,
    /// Frames come from a recording (a fixture folder), not a camera.
    Recording,
    Missing,
    Lost,
    /// It could not be started.
    Failed,
    /// The decoder panicked this many times (caught; scanning goes on).
    DecoderPanicked(u64),
}

impl DeviceState {
    /// Whether the device is usable.
    pub fn ok(&self) -> bool {
        matches!(
            self,
            DeviceState::Named(_)
                | DeviceState::Simulated
                | DeviceState::Recording
                | DeviceState::DecoderPanicked(_)
        )
    }
}

/// A device problem in the device's own words, for whoever reads the log.
fn log(device: &str, detail: &dyn std::fmt::Display) {
    eprintln!("kasse: {device}: {detail}");
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScaleReport {
    Status { text: DeviceState, ok: bool },
    Weight { grams: i64, stable: bool },
    NoWeight,
}

#[derive(Clone, Debug)]
pub enum CameraReport {
    Status { text: DeviceState, ok: bool },
    Preview(image::Handle),
    Code(String),
}

/// The config a device subscription runs with; two equal setups are the
/// same subscription (keyed by the config file and its contents).
#[derive(Clone, Debug)]
pub struct Setup(pub Arc<Config>);

impl Hash for Setup {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.source.hash(state);
        format!("{:?}", self.0).hash(state);
    }
}

/// The demo's hands, for a tester at the keyboard: hold up the next demo
/// code to the fixture camera (F11), put food on or take it off the
/// simulated scale (+ and −, 50 g a press). Shared with the device threads,
/// which say whether their device is a demo one.
#[derive(Clone, Debug, Default)]
pub struct Demo {
    /// Requests to hold up the next demo code (the fixture camera).
    pub codes: Arc<std::sync::atomic::AtomicU64>,
    /// Gross grams wanted on the simulated scale (the last + or − asked
    /// for); the scale thread puts them on.
    pub grams: Arc<Mutex<Option<i64>>>,
    /// The camera is the demo's fixture folder, held up on request.
    pub camera: Arc<std::sync::atomic::AtomicBool>,
    /// The scale is the demo's simulator.
    pub scale: Arc<std::sync::atomic::AtomicBool>,
}

/// A device subscription's setup with the demo's hands; the same
/// subscription as long as the config is (the hands are not hashed).
#[derive(Clone, Debug)]
pub struct WithDemo(pub Setup, pub Demo);

impl Hash for WithDemo {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// A stream fed by a blocking producer on its own thread. The producer sees
/// its sends fail once the subscription is gone, and stops.
fn from_thread<T: Send + 'static>(
    name: &str,
    produce: impl FnOnce(mpsc::Sender<T>) + Send + 'static,
) -> impl Stream<Item = T> {
    let (tx, rx) = mpsc::channel(64);
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || produce(tx));
    if let Err(e) = spawned {
        eprintln!("kasse: cannot start the {name} thread: {e}");
    }
    iced::futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

pub fn scale(setup: WithDemo) -> Subscription<ScaleReport> {
    Subscription::run_with(setup, |s| scale_stream(s.0.0.clone(), s.1.clone()))
}

fn scale_stream(config: Arc<Config>, demo: Demo) -> impl Stream<Item = ScaleReport> {
    from_thread("scale", move |tx| {
        let status = |text: DeviceState| ScaleReport::Status {
            ok: text.ok(),
            text,
        };
        let failed = |e: &dyn std::fmt::Display| {
            log("scale", e);
            status(DeviceState::Failed)
        };
        let (reader, simulated) = match config.scale.reader() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(failed(&e));
                return;
            }
        };
        // No scale cable: the demo's simulator on a pty pair stands in.
        let sim = if simulated {
            // The demo's food goes on and off the scale, round and round.
            let script = match crate::devices::setup::DEMO_SCRIPT
                .parse::<crate::devices::scale_sim::Script>()
            {
                Ok(s) => s.looping(),
                Err(e) => {
                    let _ = tx.blocking_send(failed(&e));
                    return;
                }
            };
            match crate::devices::setup::simulated_scale(reader.clone(), script) {
                Ok(sim) => Some(sim),
                Err(e) => {
                    let _ = tx.blocking_send(failed(&e));
                    return;
                }
            }
        } else {
            None
        };
        let reader = sim.as_ref().map_or(reader, |s| s.config.clone());
        let label = if simulated {
            DeviceState::Simulated
        } else {
            DeviceState::Named(reader.port.clone())
        };
        let (_handle, events) = match crate::devices::scale::spawn(reader) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(failed(&e));
                return;
            }
        };
        demo.scale
            .store(sim.is_some(), std::sync::atomic::Ordering::SeqCst);
        // The weight a tester's + and − asked for last.
        let mut applied: Option<i64> = None;
        loop {
            // Woken at least every 100 ms: a settled scale sends nothing,
            // and a key pressed then must still reach the simulator.
            let event = match events.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(event) => Some(event),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            // A tester's + or − on the demo's scale: the food settles there.
            let wanted = demo.grams.lock().ok().and_then(|g| *g);
            if let Some(sim) = &sim
                && let Some(grams) = wanted.filter(|_| wanted != applied)
            {
                use crate::devices::scale_sim::{Script, Step};
                applied = wanted;
                sim.simulator.replace_script(Script::new(vec![
                    Step::Motion { ms: 300 },
                    Step::Load { grams, ms: 1000 },
                ]));
            }
            let Some(event) = event else {
                continue;
            };
            let report = match event {
                ScaleEvent::Connected => status(label.clone()),
                ScaleEvent::Weight { grams, stable } => ScaleReport::Weight { grams, stable },
                ScaleEvent::NoWeight { .. } => ScaleReport::NoWeight,
                ScaleEvent::Lost { reason } => {
                    log("scale", &reason);
                    status(DeviceState::Lost)
                }
            };
            if tx.blocking_send(report).is_err() {
                break;
            }
        }
        drop(sim);
    })
}

/// What the sync thread tells the kiosk: its status, or a write for the
/// till's own connection.
#[derive(Clone, Debug)]
pub enum SyncEvent {
    Status(SyncStatus),
    Write(SyncWrite),
}

/// A write the sync worker asks the till's connection to make; the answer
/// goes back on `reply` (the worker waits for it, the UI thread never does).
#[derive(Clone, Debug)]
pub struct SyncWrite {
    pub op: crate::store::SyncOp,
    pub reply: std::sync::mpsc::Sender<Result<(), String>>,
}

/// The kiosk sync worker's store: reads on a read-only connection of its
/// own (WAL readers never block the till), writes handed to the till's
/// connection through `writes` and waited for — one writer per process.
pub struct ForwardingStore {
    reads: crate::store::Store,
    writes: mpsc::Sender<SyncEvent>,
}

impl ForwardingStore {
    pub fn new(
        reads: crate::store::Store,
        writes: mpsc::Sender<SyncEvent>,
    ) -> Result<ForwardingStore, crate::store::StoreError> {
        // Any write on this connection is refused by SQLite itself.
        reads.connection().execute_batch("PRAGMA query_only = ON")?;
        Ok(ForwardingStore { reads, writes })
    }

    fn forward(&self, op: crate::store::SyncOp) -> Result<(), crate::store::StoreError> {
        let (reply, answer) = std::sync::mpsc::channel();
        let lost = || crate::store::StoreError::Forwarded("the kiosk is closing".into());
        self.writes
            .blocking_send(SyncEvent::Write(SyncWrite { op, reply }))
            .map_err(|_| lost())?;
        answer
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| lost())?
            .map_err(crate::store::StoreError::Forwarded)
    }
}

impl crate::sync::SyncStore for ForwardingStore {
    fn sync_state(&self) -> Result<crate::store::SyncState, crate::store::StoreError> {
        self.reads.sync_state()
    }

    fn outbox_events(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<crate::store::OutboxEvent>, crate::store::StoreError> {
        self.reads.outbox_events(seq, limit)
    }

    fn set_acked(
        &mut self,
        seq: i64,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<(), crate::store::StoreError> {
        self.forward(crate::store::SyncOp::Acked { seq, at })
    }

    fn apply_changes(
        &mut self,
        changes: &[crate::store::Change],
        next: i64,
        acked_through: i64,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<(), crate::store::StoreError> {
        self.forward(crate::store::SyncOp::Changes {
            changes: changes.to_vec(),
            next,
            acked_through,
            at,
        })
    }
}

pub fn sync(setup: Setup) -> Subscription<SyncEvent> {
    Subscription::run_with(setup, |s| sync_stream(s.0.clone()))
}

fn sync_stream(config: Arc<Config>) -> impl Stream<Item = SyncEvent> {
    from_thread("sync", move |tx| {
        let failed = |e: String| {
            SyncEvent::Status(SyncStatus {
                last_error: Some(e),
                ..SyncStatus::default()
            })
        };
        let store = match crate::wiring::open_store(&config) {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.blocking_send(failed(e.to_string()));
                return;
            }
        };
        let shared = Arc::new(Mutex::new(SyncStatus::default()));
        let worker = match crate::wiring::ledger_client(&config) {
            Ok(client) if config.ledger.is_some() => {
                let store = match ForwardingStore::new(store, tx.clone()) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.blocking_send(failed(e.to_string()));
                        return;
                    }
                };
                Some(crate::sync::spawn_worker(
                    client,
                    store,
                    Duration::from_secs(5),
                    shared.clone(),
                ))
            }
            Ok(_) | Err(_) => {
                // No ledger: count the queue from the outbox now and then.
                let mut last = None;
                loop {
                    let queue = store.sync_state().map_or(0, |s| s.queue);
                    let status = SyncStatus {
                        queue,
                        ..SyncStatus::default()
                    };
                    if !tell_if_changed(&tx, &mut last, status) {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(3));
                }
            }
        };
        let _worker = worker;
        let mut last = None;
        loop {
            let status = shared.lock().map(|s| s.clone()).unwrap_or_default();
            if !tell_if_changed(&tx, &mut last, status) {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

/// Sends the sync status when it changed since the last one sent: an
/// unchanged status would only wake the UI to draw the same bar. False when
/// the kiosk no longer listens.
fn tell_if_changed(
    tx: &mpsc::Sender<SyncEvent>,
    last: &mut Option<SyncStatus>,
    status: SyncStatus,
) -> bool {
    if last.as_ref() == Some(&status) {
        return !tx.is_closed();
    }
    *last = Some(status.clone());
    tx.blocking_send(SyncEvent::Status(status)).is_ok()
}

/// A running payment's updates as a stream that ends with the final one.
/// A provider silent past `limit` is asked to cancel, and given a little
/// longer to say how it ended (an approval that raced the cancel is kept);
/// then the payment ends `TimedOut`.
pub fn payment_updates(running: Running, limit: Duration) -> impl Stream<Item = PaymentUpdate> {
    from_thread("payment", move |tx| {
        let Running { updates, cancel } = running;
        let mut deadline = Instant::now() + limit;
        let mut asked_to_stop = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let update = match updates.recv_timeout(left) {
                Ok(u) => u,
                Err(RecvTimeoutError::Timeout) if !asked_to_stop => {
                    cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                    asked_to_stop = true;
                    deadline = Instant::now() + Duration::from_secs(10);
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => PaymentUpdate::TimedOut,
                // The provider's worker ended without a final word: the
                // till asks the provider what became of the payment.
                Err(RecvTimeoutError::Disconnected) => PaymentUpdate::TimedOut,
            };
            let last = update.is_final();
            if tx.blocking_send(update).is_err() || last {
                return;
            }
        }
    })
}

/// Prints on the blocking pool; `Err(None)`: the print job itself was lost.
pub async fn print(
    target: PrinterTarget,
    bytes: Vec<u8>,
) -> Result<(), Option<crate::devices::printer::PrinterError>> {
    let job = tokio::task::spawn_blocking(move || {
        crate::devices::printer::open(&target)
            .print(&bytes)
            .map_err(|e| {
                log("printer", &e);
                Some(e)
            })
    });
    job.await.map_err(|e| {
        log("printer", &e);
        None
    })?
}

/// The "code read" sound: a short beep through ALSA when there is one;
/// silently nothing on a machine without sound.
pub fn beep() {
    let wav = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/beep.wav");
    let _ = std::process::Command::new("aplay")
        .arg("-q")
        .arg(wav)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

pub fn camera(setup: WithDemo) -> Subscription<CameraReport> {
    Subscription::run_with(setup, |s| camera_stream(s.0.0.clone(), s.1.clone()))
}

/// The scanner worker (camera per `[scanner]`, or the fixture folder when
/// none is found): capture and decoding on threads of their own, frames
/// dropped when decoding is slower than the camera, codes debounced.
fn camera_stream(config: Arc<Config>, demo: Demo) -> impl Stream<Item = CameraReport> {
    use crate::scanner::worker::{CameraStatus, ScanEvent, Scanner};
    from_thread("camera", move |tx| {
        let scanner = Scanner::start_with(&config.scanner, Some(demo.codes.clone()));
        loop {
            let event = match scanner.events().recv_timeout(Duration::from_millis(500)) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => {
                    if tx.is_closed() {
                        return;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let report = match event {
                ScanEvent::Status(status) => {
                    demo.camera.store(
                        matches!(status, CameraStatus::Fixture { .. }),
                        std::sync::atomic::Ordering::SeqCst,
                    );
                    let text = match status {
                        CameraStatus::Connected { name } => DeviceState::Named(name),
                        CameraStatus::Fixture { folder } => {
                            log("camera", &format!("playing {}", folder.display()));
                            DeviceState::Recording
                        }
                        CameraStatus::Lost { reason } => {
                            log("camera", &reason);
                            DeviceState::Lost
                        }
                        CameraStatus::Missing { reason } => {
                            log("camera", &reason);
                            DeviceState::Missing
                        }
                    };
                    CameraReport::Status {
                        ok: text.ok(),
                        text,
                    }
                }
                ScanEvent::Code { text, .. } => CameraReport::Code(text),
                ScanEvent::Preview(p) => {
                    CameraReport::Preview(image::Handle::from_rgba(p.width, p.height, p.rgba))
                }
                ScanEvent::DecoderPanicked { total, .. } => CameraReport::Status {
                    text: DeviceState::DecoderPanicked(total),
                    ok: true,
                },
            };
            if tx.blocking_send(report).is_err() {
                return;
            }
        }
    })
}
