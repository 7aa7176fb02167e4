//! Emulators of the providers' own wire protocols on 127.0.0.1, for the demo
//! and the tests (spec/payments.md, "Emulators"): [`vipps`] speaks the
//! ePayment API v1 and [`terminal`] nexo Sale-to-POI JSON, so the protocol
//! clients ([`super::epayment`], [`super::nexo`]) run unchanged against them.
//!
//! Each emulator is an axum server on its own thread with its own tokio
//! runtime; the [`EmulatorHandle`] keeps it running while it lives, changes
//! its fault [`Mode`] at run time and shows what it recorded of each payment.
//! Connections go through a listener that can *drop* them (not merely answer
//! an error), so "the terminal approved but the answer never came" and "the
//! provider went away mid-payment" are the real thing on the wire.
//!
//! Given a state file ([`StateFile`], e.g. `spawn_vipps_on`), an
//! emulator keeps its book there and reads it back when started again, so a
//! payment outlives the process as it does at the real provider: a Vipps
//! payment created before the till was killed is approved by the emulated
//! customer meanwhile, and recovery finds it on restart.

pub mod terminal;
pub mod vipps;

pub use terminal::{serve_terminal, spawn_terminal, spawn_terminal_on};
pub use vipps::{serve_vipps, spawn_vipps, spawn_vipps_on};

use crate::domain::Money;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long an emulated customer takes unless told otherwise (tests).
pub const TEST_DELAY: Duration = Duration::from_millis(25);
/// How long an emulated customer takes in the demo and `kasse sim`.
pub const DEMO_DELAY: Duration = Duration::from_millis(1500);

/// How an emulator treats the next payments. Chosen when a payment starts
/// (except `GoAway`, which also takes effect when set); changed at run time
/// with [`EmulatorHandle::set_mode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Approve after the emulator's delay.
    Approve,
    /// Vipps: the customer rejects in the app (`ABORTED`); terminal: the
    /// issuer refuses (`Failure` / `Refusal`).
    Decline,
    /// Approve after this many milliseconds.
    Delay(u64),
    /// Approve, but the answer is lost. Terminal: the payment is recorded
    /// `Success`, then the connection is closed without an answer. Vipps:
    /// the payment is authorised, but every `GET` of it answers 500.
    ApproveNoReply,
    /// Approve; a repeat of the same request (terminal: the same
    /// `ServiceID`; Vipps: the same `Idempotency-Key`) is answered again
    /// from the record, never as a second payment. (Every mode replays
    /// repeats; this one is the scenario for it. Vipps has no duplicate
    /// callbacks to send: it approves.)
    AnswerTwice,
    /// Take the payment request, then stop answering: every connection is
    /// dropped, new ones included, until the mode is changed.
    GoAway,
    /// Approve 1.00 NOK more than asked (the till's mismatch path).
    WrongAmount,
}

impl Mode {
    /// How long a payment takes in this mode, given the emulator's delay.
    pub fn delay(self, base: Duration) -> Duration {
        match self {
            Mode::Delay(ms) => Duration::from_millis(ms),
            _ => base,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Approve => f.write_str("approve"),
            Mode::Decline => f.write_str("decline"),
            Mode::Delay(ms) => write!(f, "delay:{ms}"),
            Mode::ApproveNoReply => f.write_str("no-reply"),
            Mode::AnswerTwice => f.write_str("twice"),
            Mode::GoAway => f.write_str("go-away"),
            Mode::WrongAmount => f.write_str("wrong-amount"),
        }
    }
}

/// Written as the command line writes it (`approve`, `delay:250`, …): a
/// payment's outcome in a state file.
impl serde::Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a mode: approve, decline, delay:MS, no-reply, twice, go-away or wrong-amount"
)]
pub struct ModeError(String);

impl FromStr for Mode {
    type Err = ModeError;

    fn from_str(s: &str) -> Result<Mode, ModeError> {
        let s = s.trim();
        Ok(match s {
            "approve" => Mode::Approve,
            "decline" => Mode::Decline,
            "no-reply" => Mode::ApproveNoReply,
            "twice" => Mode::AnswerTwice,
            "go-away" => Mode::GoAway,
            "wrong-amount" => Mode::WrongAmount,
            _ => match s.strip_prefix("delay:").map(str::parse) {
                Some(Ok(ms)) => Mode::Delay(ms),
                _ => return Err(ModeError(s.to_string())),
            },
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("cannot start the emulator: {0}")]
    Start(io::Error),
    #[error("the emulators' state file {}: {why}", path.display())]
    State { path: PathBuf, why: String },
}

/// Wall-clock milliseconds since the Unix epoch: what a book keeps of
/// time, so a payment's deadlines mean the same after a restart.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `at` plus `delay`, in wall-clock milliseconds.
pub(crate) fn after_ms(at: i64, delay: Duration) -> i64 {
    at.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
}

/// Where emulators keep their books between runs: one JSON file, an object
/// with one member per emulator (`"vipps"`, `"terminal"`), read when an
/// emulator starts and rewritten after every change to a book (a temporary
/// file beside it, flushed to disk, then renamed over it, so a kill leaves
/// the old or the new book, never half of one).
///
/// The emulators started with one `StateFile` share it (the demo's
/// [`crate::payments::Emulators`]); a file is meant for one running set of
/// emulators at a time.
pub struct StateFile {
    path: PathBuf,
    books: Mutex<serde_json::Map<String, serde_json::Value>>,
}

impl fmt::Debug for StateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateFile")
            .field("path", &self.path)
            .finish()
    }
}

impl StateFile {
    /// The books kept at `path` (none yet if there is no such file). A
    /// file that cannot be read is an error, never an empty book: it holds
    /// payments.
    pub fn open(path: &Path) -> Result<Arc<StateFile>, EmulatorError> {
        let fail = |why: String| EmulatorError::State {
            path: path.to_path_buf(),
            why,
        };
        let books = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => serde_json::Map::new(),
            Err(e) => return Err(fail(e.to_string())),
        };
        Ok(Arc::new(StateFile {
            path: path.to_path_buf(),
            books: Mutex::new(books),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The book of emulator `name`, as it was last saved.
    pub(crate) fn book<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, EmulatorError> {
        let books = self.books.lock().map_err(|_| EmulatorError::State {
            path: self.path.clone(),
            why: "poisoned".into(),
        })?;
        books
            .get(name)
            .map(|v| T::deserialize(v))
            .transpose()
            .map_err(|e| EmulatorError::State {
                path: self.path.clone(),
                why: format!("the {name} book: {e}"),
            })
    }

    /// Replaces the book of emulator `name` and writes the file.
    pub(crate) fn save<T: serde::Serialize>(&self, name: &str, book: &T) -> io::Result<()> {
        let value = serde_json::to_value(book).map_err(io::Error::other)?;
        let mut books = self
            .books
            .lock()
            .map_err(|_| io::Error::other("the state file's lock is poisoned"))?;
        books.insert(name.to_string(), value);
        let text = serde_json::to_vec_pretty(&*books).map_err(io::Error::other)?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        io::Write::write_all(&mut file, &text)?;
        file.as_file().sync_all()?;
        file.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// What an emulator recorded of one payment, in the till's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The till's reference (Vipps `reference`, nexo `SaleTransactionID`).
    pub reference: String,
    pub requested: Money,
    /// Vipps: `CREATED`, `AUTHORIZED`, …; terminal: `InProgress`,
    /// `Success`, `Failure:<ErrorCondition>`, `Gone`.
    pub state: String,
    pub authorized: Money,
    /// Vipps: captured; terminal: the authorised amount once approved (a
    /// card payment is taken when approved).
    pub captured: Money,
    /// Released before capture (Vipps cancel); terminal: aborted.
    pub cancelled: Money,
    /// Given back after capture (Vipps refund, nexo reversal).
    pub refunded: Money,
    /// Vipps `pspReference`; terminal `POITransactionID.TransactionID`.
    pub transaction_id: String,
}

impl Record {
    /// Money taken from the customer and not given back.
    pub fn kept(&self) -> Money {
        self.captured - self.refunded
    }
}

/// What every emulator shares with its handle.
pub(crate) struct Control {
    mode: Mutex<Mode>,
    delay: Mutex<Duration>,
    gone: AtomicBool,
    connections: Mutex<Vec<Weak<AtomicBool>>>,
}

impl Control {
    pub(crate) fn new(mode: Mode, delay: Duration) -> Arc<Control> {
        Arc::new(Control {
            mode: Mutex::new(mode),
            delay: Mutex::new(delay),
            gone: AtomicBool::new(false),
            connections: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode.lock().map_or(Mode::Approve, |m| *m)
    }

    fn set_mode(&self, mode: Mode) {
        if let Ok(mut m) = self.mode.lock() {
            *m = mode;
        }
        if mode != Mode::GoAway {
            self.gone.store(false, Ordering::SeqCst);
        }
    }

    pub(crate) fn delay(&self) -> Duration {
        self.delay.lock().map_or(TEST_DELAY, |d| *d)
    }

    fn set_delay(&self, delay: Duration) {
        if let Ok(mut d) = self.delay.lock() {
            *d = delay;
        }
    }

    pub(crate) fn gone(&self) -> bool {
        self.gone.load(Ordering::SeqCst)
    }

    /// Stop answering: drop every open connection but `keep` and refuse new ones.
    pub(crate) fn go_away(&self, keep: Option<&Connection>) {
        self.gone.store(true, Ordering::SeqCst);
        if let Ok(mut all) = self.connections.lock() {
            all.retain(|weak| match weak.upgrade() {
                Some(cut) => {
                    if keep.is_none_or(|k| !Arc::ptr_eq(&k.0, &cut)) {
                        cut.store(true, Ordering::SeqCst);
                    }
                    true
                }
                None => false,
            });
        }
    }

    fn track(&self, cut: &Arc<AtomicBool>) {
        if let Ok(mut all) = self.connections.lock() {
            all.retain(|w| w.strong_count() > 0);
            all.push(Arc::downgrade(cut));
        }
    }
}

/// The records of an emulator, for its handle.
pub(crate) trait Book: Send + Sync {
    fn records(&self) -> Vec<Record>;
}

/// The connection a request came on (axum `ConnectInfo`): a handler can
/// drop it, so the client gets no answer at all.
#[derive(Clone)]
pub(crate) struct Connection(Arc<AtomicBool>);

impl Connection {
    pub(crate) fn drop_it(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, Severable>> for Connection {
    fn connect_info(stream: IncomingStream<'_, Severable>) -> Connection {
        Connection(Arc::clone(&stream.io().cut))
    }
}

/// A TCP listener whose connections can be severed, and which drops new
/// ones while the emulator is gone.
pub(crate) struct Severable {
    inner: tokio::net::TcpListener,
    control: Arc<Control>,
}

impl Listener for Severable {
    type Io = SeverableIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SeverableIo, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if self.control.gone() {
                        drop(stream);
                        continue;
                    }
                    let cut = Arc::new(AtomicBool::new(false));
                    self.control.track(&cut);
                    return (SeverableIo { stream, cut }, addr);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection that fails every read and write once cut: hyper then
/// closes it without writing an answer.
pub(crate) struct SeverableIo {
    stream: tokio::net::TcpStream,
    cut: Arc<AtomicBool>,
}

impl SeverableIo {
    fn severed(&self) -> Option<io::Error> {
        self.cut.load(Ordering::SeqCst).then(|| {
            io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "emulator dropped the connection",
            )
        })
    }
}

impl AsyncRead for SeverableIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.severed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SeverableIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.severed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.severed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// A running emulator. Dropping it stops the server.
pub struct EmulatorHandle {
    addr: SocketAddr,
    url: String,
    control: Arc<Control>,
    book: Arc<dyn Book>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("url", &self.url)
            .field("mode", &self.mode())
            .finish()
    }
}

impl EmulatorHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What a client is configured with: the ePayment `base_url`, or the
    /// terminal's nexo endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn mode(&self) -> Mode {
        self.control.mode()
    }

    pub fn set_mode(&self, mode: Mode) {
        self.control.set_mode(mode);
    }

    /// How long the emulated customer takes (`Mode::Delay` overrides it).
    pub fn delay(&self) -> Duration {
        self.control.delay()
    }

    pub fn set_delay(&self, delay: Duration) {
        self.control.set_delay(delay);
    }

    /// Every payment it has seen, oldest first.
    pub fn payments(&self) -> Vec<Record> {
        self.book.records()
    }

    pub fn payment(&self, reference: &str) -> Option<Record> {
        self.payments()
            .into_iter()
            .find(|r| r.reference == reference)
    }

    /// The payments whose money is taken and not given back:
    /// `(reference, amount kept, transaction id)`.
    pub fn approved(&self) -> Vec<(String, Money, String)> {
        self.payments()
            .into_iter()
            .filter(|r| r.kept().is_positive())
            .map(|r| {
                let kept = r.kept();
                (r.reference, kept, r.transaction_id)
            })
            .collect()
    }

    /// Serves until the process ends (`kasse sim`).
    fn serve_forever(self) -> ! {
        loop {
            thread::park();
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts `router` on `listen` on a thread with its own runtime.
fn start(
    listen: SocketAddr,
    control: Arc<Control>,
    book: Arc<dyn Book>,
    router: impl FnOnce(SocketAddr) -> (axum::Router, String),
) -> Result<EmulatorHandle, EmulatorError> {
    let listener = std::net::TcpListener::bind(listen).map_err(|source| EmulatorError::Listen {
        addr: listen,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(EmulatorError::Start)?;
    let addr = listener.local_addr().map_err(EmulatorError::Start)?;
    let (app, url) = router(addr);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
    let serving = Arc::clone(&control);
    let thread = thread::Builder::new()
        .name(format!("emulator {addr}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let inner = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let listener = Severable {
                    inner,
                    control: serving,
                };
                let server = axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<Connection>(),
                );
                tokio::select! {
                    _ = std::future::IntoFuture::into_future(server) => {}
                    _ = stop_rx => {}
                }
            });
            // Handlers still waiting (a hung payment) are dropped with the runtime.
            runtime.shutdown_background();
        })
        .map_err(EmulatorError::Start)?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(EmulatorError::Start(e)),
        Err(_) => {
            return Err(EmulatorError::Start(io::Error::other(
                "the emulator thread ended early",
            )));
        }
    }
    Ok(EmulatorHandle {
        addr,
        url,
        control,
        book,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// The loopback address on an ephemeral port.
fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_the_cli_writes_them() {
        for mode in [
            Mode::Approve,
            Mode::Decline,
            Mode::Delay(250),
            Mode::ApproveNoReply,
            Mode::AnswerTwice,
            Mode::GoAway,
            Mode::WrongAmount,
        ] {
            assert_eq!(mode.to_string().parse::<Mode>(), Ok(mode));
            let saved = serde_json::to_string(&mode).expect("json");
            assert_eq!(serde_json::from_str::<Mode>(&saved).expect("read"), mode);
        }
        assert!("delay:soon".parse::<Mode>().is_err());
        assert!("approve-ish".parse::<Mode>().is_err());
        assert_eq!(Mode::Delay(7).delay(TEST_DELAY), Duration::from_millis(7));
    }

    #[test]
    fn a_state_file_keeps_each_book_and_refuses_a_garbled_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("emulators.json");
        let file = StateFile::open(&path).expect("no file yet");
        assert_eq!(file.book::<Vec<u32>>("vipps").expect("read"), None);
        file.save("vipps", &vec![1_u32, 2]).expect("save");
        file.save("terminal", &vec![3_u32]).expect("save");
        let again = StateFile::open(&path).expect("reopen");
        assert_eq!(
            again.book::<Vec<u32>>("vipps").expect("read"),
            Some(vec![1, 2])
        );
        assert_eq!(
            again.book::<Vec<u32>>("terminal").expect("read"),
            Some(vec![3])
        );
        // Only the file itself: the temporary file was renamed over it.
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
        std::fs::write(&path, "{\"vipps\": [1,").expect("garble");
        assert!(matches!(
            StateFile::open(&path),
            Err(EmulatorError::State { .. })
        ));
    }
}
