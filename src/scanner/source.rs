//! Frame sources behind one trait, [`FrameSource`]:
//!
//! - [`FixtureSource`] plays a folder of images (or a list of files) in name
//!   order at a set frame rate: the demo's camera when no camera is found,
//!   and the tests' camera;
//! - [`CameraSource`] reads a real camera through nokhwa (cargo feature
//!   `camera`, on by default) on a thread of its own, reports
//!   Connected/Lost and opens the camera again when it comes back.

use image::GrayImage;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the camera is doing, in words a person at the till can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraStatus {
    /// A camera delivers frames.
    Connected { name: String },
    /// A folder of images plays as the camera (the demo, the tests).
    Fixture { folder: PathBuf },
    /// The camera was there and went away (unplugged, busy, failing);
    /// the source keeps trying to open it again.
    Lost { reason: String },
    /// There is no camera to read: none found, none configured, or built
    /// without camera support.
    Missing { reason: String },
}

impl std::fmt::Display for CameraStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CameraStatus::Connected { name } => write!(f, "camera connected: {name}"),
            CameraStatus::Fixture { folder } => {
                write!(f, "no camera: playing {} as the camera", folder.display())
            }
            CameraStatus::Lost { reason } => write!(f, "camera lost: {reason}"),
            CameraStatus::Missing { reason } => write!(f, "no camera: {reason}"),
        }
    }
}

/// One step of a frame source.
#[derive(Debug)]
pub enum Capture {
    Frame(GrayImage),
    Status(CameraStatus),
    /// Nothing now; ask again after about this long.
    Wait(Duration),
    /// The source has no more frames, ever.
    End,
}

/// A camera, or something standing in for one. `next` may block for about
/// a frame interval, not much longer, so the caller can stop in time.
pub trait FrameSource: Send {
    fn next(&mut self) -> Capture;
    /// A recording played once, not a live camera: every frame must reach
    /// the decoder (the capture side waits instead of dropping frames).
    fn lossless(&self) -> bool {
        false
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("camera folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("camera folder {0} holds no PNG or JPEG images")]
    Empty(PathBuf),
}

/// Plays images in order, looping (or once), one per `interval`.
pub struct FixtureSource {
    files: Vec<PathBuf>,
    next: usize,
    pub interval: Duration,
    folder: PathBuf,
    announced: bool,
    due: Option<Instant>,
    once: bool,
    played: usize,
    /// Held up on request (the kiosk's demo): one scene per request.
    requests: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Requests answered, and frames of the current scene still to play.
    answered: u64,
    remaining: usize,
}

impl FixtureSource {
    pub fn from_folder(dir: &Path, fps: u32) -> Result<FixtureSource, SourceError> {
        let entries = std::fs::read_dir(dir).map_err(|source| SourceError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["png", "jpg", "jpeg"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        files.sort();
        FixtureSource::from_files(files, fps).ok_or_else(|| SourceError::Empty(dir.to_path_buf()))
    }

    /// None when `files` is empty.
    pub fn from_files(files: Vec<PathBuf>, fps: u32) -> Option<FixtureSource> {
        let folder = files
            .first()?
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Some(FixtureSource {
            files,
            next: 0,
            interval: Duration::from_millis(1000 / u64::from(fps.max(1))),
            folder,
            announced: false,
            due: None,
            once: false,
            played: 0,
            requests: None,
            answered: 0,
            remaining: 0,
        })
    }

    /// Plays the images once instead of looping, then ends.
    pub fn once(mut self) -> FixtureSource {
        self.once = true;
        self
    }

    /// Holds up one scene each time `requests` goes up (the kiosk's demo
    /// camera: a code only when someone asks for one, never in a loop),
    /// round the folder; every frame decoded. A scene runs up to and through
    /// the next frames named `*code*` (a phone held up to the camera);
    /// in a folder without such names, one image.
    pub fn on_demand(
        mut self,
        requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> FixtureSource {
        self.requests = Some(requests);
        self
    }

    /// How many frames from the next one make a scene (see `on_demand`).
    fn scene_len(&self) -> usize {
        let n = self.files.len();
        let is_code = |i: usize| {
            self.files[(self.next + i) % n]
                .file_name()
                .is_some_and(|f| f.to_string_lossy().contains("code"))
        };
        let Some(first) = (0..n).find(|&i| is_code(i)) else {
            return 1;
        };
        let last = (first..n)
            .take_while(|&i| is_code(i))
            .last()
            .unwrap_or(first);
        last + 1
    }

    /// The next frame's file and image; unreadable files are skipped.
    pub fn next_frame(&mut self) -> Option<(PathBuf, GrayImage)> {
        for _ in 0..self.files.len() {
            let path = self.files[self.next].clone();
            self.next = (self.next + 1) % self.files.len();
            if let Ok(img) = image::open(&path) {
                return Some((path, img.to_luma8()));
            }
        }
        None
    }
}

impl FrameSource for FixtureSource {
    fn lossless(&self) -> bool {
        self.once || self.requests.is_some()
    }

    fn next(&mut self) -> Capture {
        if !self.announced {
            self.announced = true;
            return Capture::Status(CameraStatus::Fixture {
                folder: self.folder.clone(),
            });
        }
        if let Some(requests) = &self.requests {
            if self.remaining == 0 {
                let asked = requests.load(std::sync::atomic::Ordering::SeqCst);
                if self.answered >= asked {
                    return Capture::Wait(Duration::from_millis(100));
                }
                self.answered += 1;
                self.remaining = self.scene_len();
            }
            self.remaining -= 1;
            self.played += 1;
            return match self.next_frame() {
                Some((_, img)) => Capture::Frame(img),
                None => Capture::Status(CameraStatus::Lost {
                    reason: format!("no readable image left in {}", self.folder.display()),
                }),
            };
        }
        if self.once && self.played >= self.files.len() {
            return Capture::End;
        }
        let now = Instant::now();
        if let Some(due) = self.due
            && now < due
        {
            return Capture::Wait(due - now);
        }
        // The next frame one interval after this one was due; after a stall
        // (a slow consumer) no burst of catch-up frames.
        let floor = now.checked_sub(self.interval).unwrap_or(now);
        self.due = Some(self.due.map_or(now, |d| d.max(floor)) + self.interval);
        self.played += 1;
        match self.next_frame() {
            Some((_, img)) => Capture::Frame(img),
            None => {
                self.played = self.files.len();
                self.once = true;
                Capture::Status(CameraStatus::Lost {
                    reason: format!("no readable image left in {}", self.folder.display()),
                })
            }
        }
    }
}

/// Which camera `[scanner] camera` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraChoice {
    /// The first camera found.
    First,
    /// A device index (`/dev/videoN` on Linux).
    Index(u32),
    /// The first camera whose name contains this (any case).
    Name(String),
}

impl CameraChoice {
    /// From the config's `camera` value; `None` for `auto`/`none`, which
    /// the scanner decides on itself.
    pub fn parse(camera: &str) -> CameraChoice {
        match camera.trim() {
            "" | "auto" | "first" => CameraChoice::First,
            s => s
                .parse::<u32>()
                .map_or_else(|_| CameraChoice::Name(s.to_string()), CameraChoice::Index),
        }
    }
}

impl std::fmt::Display for CameraChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CameraChoice::First => f.write_str("the first camera"),
            CameraChoice::Index(i) => write!(f, "camera {i}"),
            CameraChoice::Name(n) => write!(f, "camera \"{n}\""),
        }
    }
}

/// What the camera thread is asked to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraRequest {
    pub choice: CameraChoice,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// How long the camera thread waits between attempts to open the camera.
pub const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// A real camera, read on a thread of its own (nokhwa's camera is not
/// `Send`, so it is opened and lives on that thread). Frames and status
/// changes come through a channel; dropping the source stops the thread.
pub struct CameraSource {
    rx: std::sync::mpsc::Receiver<Capture>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl CameraSource {
    /// Starts the camera thread. Never fails: a missing camera is reported
    /// as a status, and the thread keeps trying to open it.
    pub fn open(request: CameraRequest) -> CameraSource {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("kasse-camera".into())
            .spawn(move || camera::run(&request, &tx, &flag));
        if let Err(e) = spawned {
            let (tx, rx2) = std::sync::mpsc::sync_channel(1);
            let _ = tx.send(Capture::Status(CameraStatus::Missing {
                reason: format!("cannot start the camera thread: {e}"),
            }));
            return CameraSource { rx: rx2, stop };
        }
        CameraSource { rx, stop }
    }

    /// Names of the cameras this machine has, as nokhwa lists them.
    pub fn list() -> Result<Vec<String>, String> {
        camera::list()
    }
}

impl FrameSource for CameraSource {
    fn next(&mut self) -> Capture {
        match self.rx.recv_timeout(Duration::from_millis(100)) {
            Ok(capture) => capture,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Capture::Wait(Duration::ZERO),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Capture::End,
        }
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // The thread sees the flag (or its closed channel) within a frame
        // or a reopen attempt and ends; nothing waits for it here, so a
        // camera stuck in a driver call cannot hold up the till.
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Sleeps `total` in short steps; false when asked to stop meanwhile.
#[cfg(feature = "camera")]
fn sleep_unless_stopped(total: Duration, stop: &std::sync::atomic::AtomicBool) -> bool {
    let end = Instant::now() + total;
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

#[cfg(not(feature = "camera"))]
mod camera {
    use super::*;

    pub const NOT_BUILT: &str = "kasse was built without camera support (cargo feature `camera`)";

    pub fn run(
        _request: &CameraRequest,
        tx: &std::sync::mpsc::SyncSender<Capture>,
        _stop: &std::sync::atomic::AtomicBool,
    ) {
        let _ = tx.send(Capture::Status(CameraStatus::Missing {
            reason: NOT_BUILT.into(),
        }));
    }

    pub fn list() -> Result<Vec<String>, String> {
        Err(NOT_BUILT.into())
    }
}

#[cfg(feature = "camera")]
mod camera {
    use super::*;
    use nokhwa::pixel_format::LumaFormat;
    use nokhwa::utils::{
        ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
        Resolution,
    };
    use nokhwa::{Camera, query};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::SyncSender;

    pub fn list() -> Result<Vec<String>, String> {
        query(ApiBackend::Auto)
            .map(|cams| cams.iter().map(|c| c.human_name()).collect())
            .map_err(|e| e.to_string())
    }

    /// Finds the camera `choice` names; Err(reason) when there is none.
    fn find(choice: &CameraChoice) -> Result<CameraIndex, String> {
        if let CameraChoice::Index(i) = choice {
            // Checked first so the reason names the device file.
            let dev = PathBuf::from(format!("/dev/video{i}"));
            if cfg!(target_os = "linux") && !dev.exists() {
                return Err(format!("no camera {i}: {} does not exist", dev.display()));
            }
            return Ok(CameraIndex::Index(*i));
        }
        let cams = query(ApiBackend::Auto).map_err(|e| format!("cannot list cameras: {e}"))?;
        let found = match choice {
            CameraChoice::Name(name) => {
                let want = name.to_lowercase();
                cams.iter()
                    .find(|c| c.human_name().to_lowercase().contains(&want))
                    .ok_or_else(|| {
                        let names: Vec<String> = cams.iter().map(|c| c.human_name()).collect();
                        format!(
                            "no camera named \"{name}\" (found: {})",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        )
                    })?
            }
            _ => cams.first().ok_or("no camera found on this machine")?,
        };
        Ok(found.index().clone())
    }

    fn open(request: &CameraRequest) -> Result<(Camera, String), String> {
        let index = find(&request.choice)?;
        let resolution = Resolution::new(request.width, request.height);
        let wanted = [
            RequestedFormatType::Closest(CameraFormat::new(
                resolution,
                FrameFormat::MJPEG,
                request.fps,
            )),
            RequestedFormatType::Closest(CameraFormat::new(
                resolution,
                FrameFormat::YUYV,
                request.fps,
            )),
            RequestedFormatType::HighestResolution(resolution),
            RequestedFormatType::AbsoluteHighestFrameRate,
        ];
        let mut last = String::new();
        for format in wanted {
            match Camera::new(index.clone(), RequestedFormat::new::<LumaFormat>(format)) {
                Ok(mut camera) => {
                    camera
                        .open_stream()
                        .map_err(|e| format!("{}: cannot start the stream: {e}", request.choice))?;
                    let info = camera.info();
                    let fmt = camera.camera_format();
                    let name = format!(
                        "{} ({}x{} {} fps)",
                        info.human_name(),
                        fmt.width(),
                        fmt.height(),
                        fmt.frame_rate()
                    );
                    return Ok((camera, name));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("{}: cannot open it: {last}", request.choice))
    }

    pub fn run(request: &CameraRequest, tx: &SyncSender<Capture>, stop: &AtomicBool) {
        let mut ever_connected = false;
        let mut last_reason: Option<String> = None;
        while !stop.load(Ordering::Relaxed) {
            match open(request) {
                Ok((mut camera, name)) => {
                    ever_connected = true;
                    if tx
                        .send(Capture::Status(CameraStatus::Connected { name }))
                        .is_err()
                    {
                        return;
                    }
                    let reason = loop {
                        if stop.load(Ordering::Relaxed) {
                            let _ = camera.stop_stream();
                            return;
                        }
                        match camera.frame() {
                            Ok(buffer) => match buffer.decode_image::<LumaFormat>() {
                                Ok(img) => {
                                    let (w, h) = img.dimensions();
                                    let Some(gray) = GrayImage::from_raw(w, h, img.into_raw())
                                    else {
                                        continue;
                                    };
                                    // A full channel (the scanner is busy)
                                    // means this frame is dropped, not queued.
                                    match tx.try_send(Capture::Frame(gray)) {
                                        Ok(()) | Err(std::sync::mpsc::TrySendError::Full(_)) => {}
                                        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                                            return;
                                        }
                                    }
                                }
                                // One bad MJPEG frame: skip it.
                                Err(_) => continue,
                            },
                            Err(e) => break e.to_string(),
                        }
                    };
                    let _ = camera.stop_stream();
                    last_reason = Some(reason.clone());
                    if tx
                        .send(Capture::Status(CameraStatus::Lost { reason }))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(reason) => {
                    // Report each new reason once, not every second.
                    if last_reason.as_deref() != Some(reason.as_str()) {
                        last_reason = Some(reason.clone());
                        let status = if ever_connected {
                            CameraStatus::Lost { reason }
                        } else {
                            CameraStatus::Missing { reason }
                        };
                        if tx.send(Capture::Status(status)).is_err() {
                            return;
                        }
                    }
                }
            }
            if !sleep_unless_stopped(REOPEN_EVERY, stop) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_holds_up_one_scene_per_request_and_nothing_unasked() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "0-empty.png",
            "1-code.png",
            "2-code.png",
            "3-empty.png",
            "4-code.png",
        ] {
            GrayImage::new(4, 4).save(dir.path().join(name)).unwrap();
        }
        let asked = Arc::new(AtomicU64::new(0));
        let mut s = FixtureSource::from_folder(dir.path(), 30)
            .unwrap()
            .on_demand(asked.clone());
        assert!(s.lossless(), "every frame held up is decoded");
        assert!(matches!(
            s.next(),
            Capture::Status(CameraStatus::Fixture { .. })
        ));
        for _ in 0..5 {
            assert!(matches!(s.next(), Capture::Wait(_)), "nothing unasked");
        }
        let frames = |s: &mut FixtureSource| {
            let mut n = 0;
            while matches!(s.next(), Capture::Frame(_)) {
                n += 1;
            }
            n
        };
        asked.fetch_add(1, Ordering::SeqCst);
        assert_eq!(frames(&mut s), 3, "empty, then the two frames of the code");
        asked.fetch_add(1, Ordering::SeqCst);
        assert_eq!(frames(&mut s), 2, "to and through the next code");
        asked.fetch_add(1, Ordering::SeqCst);
        assert_eq!(frames(&mut s), 3, "round the folder again");
    }

    #[test]
    fn plays_images_in_name_order_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.png", "a.png", "c.jpg", "notes.txt"] {
            let path = dir.path().join(name);
            if name.ends_with(".txt") {
                std::fs::write(&path, "x").unwrap();
            } else {
                GrayImage::new(4, 4).save(&path).unwrap();
            }
        }
        let mut s = FixtureSource::from_folder(dir.path(), 10).unwrap();
        assert_eq!(s.interval, Duration::from_millis(100));
        let names: Vec<String> = (0..4)
            .map(|_| {
                s.next_frame()
                    .unwrap()
                    .0
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.png", "b.png", "c.jpg", "a.png"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            FixtureSource::from_folder(empty.path(), 10),
            Err(SourceError::Empty(_))
        ));
        assert!(FixtureSource::from_folder(&empty.path().join("gone"), 10).is_err());
    }
}
