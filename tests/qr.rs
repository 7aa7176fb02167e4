//! App QR codes end to end: `kasse qr sign --png` → the decoder pipeline → verify;
//! every fixture image decodes to the text its manifest says; the scanner worker.

use kasse::domain::appcode::{self, AppCode, CodeError};
use kasse::scanner::pipeline::decode_file;
use std::path::Path;
use std::process::Command;

const EXP: u64 = 1_830_297_600;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn trusted() -> Vec<ed25519_dalek::VerifyingKey> {
    vec![appcode::parse_public_key(appcode::DEMO_PUBLIC_KEY).expect("demo key")]
}

#[test]
fn sign_png_decode_verify_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = root().join("fixtures/keys/demo.seed");
    let cases: [(&[&str], AppCode); 3] = [
        (
            &["--kind", "member", "--member", "M-100001"],
            AppCode::Member {
                member: "M-100001".into(),
                exp: EXP,
            },
        ),
        (
            &[
                "--kind", "coupon", "--member", "M-100001", "--coupon", "CP-9", "--sku", "KAFFE",
            ],
            AppCode::Coupon {
                member: "M-100001".into(),
                coupon: "CP-9".into(),
                sku: "KAFFE".into(),
                exp: EXP,
            },
        ),
        (
            &["--kind", "card", "--member", "M-100002", "--card", "KK-2"],
            AppCode::Card {
                member: "M-100002".into(),
                card: "KK-2".into(),
                exp: EXP,
            },
        ),
    ];
    for (i, (args, expected)) in cases.into_iter().enumerate() {
        let png = dir.path().join(format!("code-{i}.png"));
        let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["qr", "sign", "--key"])
            .arg(&key)
            .args(args)
            .args(["--exp", &EXP.to_string(), "--png"])
            .arg(&png)
            .output()
            .expect("kasse runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let decoded = decode_file(&png).expect("png readable");
        assert_eq!(
            decoded.texts,
            vec![printed.clone()],
            "the PNG holds the printed text"
        );
        assert_eq!(
            appcode::read(&decoded.texts[0], &trusted(), 1_800_000_000),
            Ok(expected)
        );
        assert_eq!(
            appcode::read(&printed, &trusted(), EXP as i64 + 1),
            Err(CodeError::Expired)
        );
    }
}

#[test]
fn signing_refuses_bad_fields_and_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_key = dir.path().join("bad.seed");
    std::fs::write(&bad_key, "not hex").expect("write");
    let key = root().join("fixtures/keys/demo.seed");
    let runs: [(&Path, &[&str], &str); 3] = [
        (
            &bad_key,
            &["--kind", "member", "--member", "M-1"],
            "64 hex digits",
        ),
        (
            &key,
            &["--kind", "member", "--member", "M.1"],
            "not 1–32 characters",
        ),
        (&key, &["--kind", "coupon", "--member", "M-1"], "--coupon"),
    ];
    for (k, args, expect) in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["qr", "sign", "--key"])
            .arg(k)
            .args(args)
            .args(["--exp", "1"])
            .output()
            .expect("kasse runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}

#[test]
fn every_fixture_image_decodes_to_its_manifest_text() {
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(root().join("fixtures/qr/codes.toml")).expect("manifest"),
    )
    .expect("manifest is TOML");
    let codes = manifest["code"].as_array().expect("codes");
    assert!(codes.len() >= 10);
    let mut styles = std::collections::BTreeSet::new();
    for code in codes {
        let file = code["file"].as_str().expect("file");
        let text = code["text"].as_str().expect("text");
        styles.insert(
            code.get("style")
                .and_then(|s| s.as_str())
                .unwrap_or("flat")
                .to_string(),
        );
        let decoded = decode_file(&root().join("fixtures/qr").join(file)).expect("image readable");
        assert_eq!(decoded.texts, vec![text.to_string()], "{file}");
    }
    assert!(
        styles.len() >= 5,
        "flat and photographed-looking styles: {styles:?}"
    );
    for blank in manifest["blank"].as_array().expect("blanks") {
        let file = blank["file"].as_str().expect("file");
        let decoded = decode_file(&root().join("fixtures/qr").join(file)).expect("image readable");
        assert!(decoded.texts.is_empty(), "{file} holds no code");
    }
}

#[test]
fn kasse_scan_prints_codes_and_fails_when_none_is_found() {
    let scan = |files: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kasse"))
            .arg("scan")
            .args(files.iter().map(|f| root().join("fixtures/qr").join(f)))
            .output()
            .expect("kasse runs")
    };
    let out = scan(&["member-ola.png", "no-code.png"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("SSN1.M.M-100001.") && stdout.contains("no-code.png: no code"),
        "{stdout}"
    );
    let out = scan(&["no-code.png", "no-code.jpg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no QR code found"));
}

// ---------------------------------------------------------------------------
// The scanner worker, its sources and the synthetic phone-screen set.

use image::{GrayImage, Luma};
use kasse::scanner::decode::DecodeOutcome;
use kasse::scanner::pipeline::FramePipeline;
use kasse::scanner::source::{CameraStatus, Capture, FixtureSource, FrameSource};
use kasse::scanner::worker::{Decoder, ScanEvent, Scanner};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Long enough for any machine; a test that needs it has already failed.
const PATIENCE: Duration = Duration::from_secs(60);

fn scanner_config(camera: &str) -> kasse::config::ScannerConfig {
    kasse::config::ScannerConfig {
        camera: camera.into(),
        width: 640,
        height: 480,
        fps: 30,
        repeat_after_ms: 1500,
        fixture_folder: root().join("fixtures/qr/camera"),
        decode_budget_ms: 14,
    }
}

/// The events up to (and including) the first one `until` accepts.
fn events_until(scanner: &Scanner, until: impl Fn(&ScanEvent) -> bool) -> Vec<ScanEvent> {
    let mut seen = Vec::new();
    while let Ok(event) = scanner.events().recv_timeout(PATIENCE) {
        let done = until(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
    panic!("the scanner went quiet; events so far: {seen:?}");
}

/// Every event until the scanner's threads have ended (the source ended).
fn all_events(scanner: &Scanner) -> Vec<ScanEvent> {
    let mut seen = Vec::new();
    while let Ok(event) = scanner.events().recv_timeout(PATIENCE) {
        seen.push(event);
        if seen.len() > 10_000 {
            break;
        }
    }
    seen
}

fn codes(events: &[ScanEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Code { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Frame `n` for the fake decoders: a 4×4 image of grey level `n`.
fn numbered(n: u8) -> GrayImage {
    GrayImage::from_pixel(4, 4, Luma([n]))
}

/// Plays numbered frames; after each one waits for the decoder's go-ahead
/// when `gate` is set, so the test decides what the decoder sees.
struct Numbered {
    next: u8,
    count: u8,
    gate: Option<Receiver<()>>,
    /// Told when the source has handed out its last frame.
    done: Option<Sender<()>>,
}

impl FrameSource for Numbered {
    fn next(&mut self) -> Capture {
        if self.next > 0
            && let Some(gate) = &self.gate
            && gate.recv_timeout(PATIENCE).is_err()
        {
            return Capture::End;
        }
        if self.next >= self.count {
            if let Some(done) = self.done.take() {
                let _ = done.send(());
            }
            return Capture::End;
        }
        self.next += 1;
        Capture::Frame(numbered(self.next - 1))
    }
}

/// Reads frame `n` as the text `code-n`; panics on the frames listed; can
/// wait for a signal before its first decode; tells the source it is done.
struct FakeDecoder {
    panic_on: Vec<u8>,
    seen: Arc<Mutex<Vec<u8>>>,
    ack: Option<Sender<()>>,
    hold_first: Option<Receiver<()>>,
}

impl Decoder for FakeDecoder {
    fn decode(&mut self, frame: &GrayImage) -> DecodeOutcome {
        if let Some(hold) = self.hold_first.take() {
            let _ = hold.recv_timeout(PATIENCE);
        }
        let n = frame.get_pixel(0, 0)[0];
        self.seen.lock().expect("lock").push(n);
        if let Some(ack) = &self.ack {
            let _ = ack.send(());
        }
        if self.panic_on.contains(&n) {
            panic!("injected decoder panic on frame {n}");
        }
        DecodeOutcome {
            texts: vec![format!("code-{n}")],
            ..DecodeOutcome::default()
        }
    }
}

/// A source that hands out a frame only after the decoder finished the last.
struct Paced<S> {
    inner: S,
    gate: Receiver<()>,
    /// A frame went out and the decoder has not finished it yet.
    pending: bool,
}

impl<S: FrameSource> FrameSource for Paced<S> {
    fn next(&mut self) -> Capture {
        if self.pending {
            if self.gate.recv_timeout(PATIENCE).is_err() {
                return Capture::End;
            }
            self.pending = false;
        }
        let capture = self.inner.next();
        self.pending = matches!(capture, Capture::Frame(_));
        capture
    }
}

struct Acking<D> {
    inner: D,
    ack: Sender<()>,
}

impl<D: Decoder> Decoder for Acking<D> {
    fn decode(&mut self, frame: &GrayImage) -> DecodeOutcome {
        let out = self.inner.decode(frame);
        let _ = self.ack.send(());
        out
    }
}

#[test]
fn a_panicking_decoder_is_caught_and_the_next_frame_still_decodes() {
    let (ack_tx, ack_rx) = channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let source = Numbered {
        next: 0,
        count: 4,
        gate: Some(ack_rx),
        done: None,
    };
    let decoder = FakeDecoder {
        panic_on: vec![1, 2],
        seen: seen.clone(),
        ack: Some(ack_tx),
        hold_first: None,
    };
    let scanner = Scanner::with_source(Box::new(source), 1500, Box::new(decoder));
    let events = all_events(&scanner);
    // Every frame reached the decoder (the source waited for each).
    assert_eq!(*seen.lock().expect("lock"), [0, 1, 2, 3]);
    assert_eq!(codes(&events), ["code-0", "code-3"]);
    let panics: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ScanEvent::DecoderPanicked { total, .. } => Some(*total),
            _ => None,
        })
        .collect();
    assert_eq!(panics, [1, 2]);
    assert_eq!(scanner.dropped_frames(), 0);
    let stats = scanner.stats();
    assert_eq!((stats.frames, stats.panics.total()), (4, 2));
    // Both panics came from the same line: one kind.
    assert_eq!(stats.panics.kinds(), 1);
}

/// Plays the listed frames in order, every one delivered (lossless).
struct Listed(std::collections::VecDeque<u8>);

impl FrameSource for Listed {
    fn lossless(&self) -> bool {
        true
    }

    fn next(&mut self) -> Capture {
        match self.0.pop_front() {
            Some(n) => Capture::Frame(numbered(n)),
            None => Capture::End,
        }
    }
}

#[test]
fn identical_frames_are_not_decoded_twice_and_keep_their_codes() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let decoder = FakeDecoder {
        panic_on: vec![],
        seen: seen.clone(),
        ack: None,
        hold_first: None,
    };
    let source = Listed([1, 1, 1, 2, 2, 1].into_iter().collect());
    let scanner = Scanner::with_source(Box::new(source), 1500, Box::new(decoder));
    let events = all_events(&scanner);
    assert_eq!(
        *seen.lock().expect("lock"),
        [1, 2, 1],
        "a change is decoded"
    );
    let stats = scanner.stats();
    assert_eq!((stats.frames, stats.identical), (3, 3));
    // The codes are debounced as if every frame had been read.
    assert_eq!(codes(&events), ["code-1", "code-2"]);
}

const PANIC_CHILD: &str = "KASSE_TEST_PANIC_CHILD";

/// A decoder that panics on every one of 40 frames: every panic is counted
/// (stats and events), and stderr holds one line for the kind — no panic
/// message or backtrace per frame. The test runs itself again as a child
/// process (with `RUST_BACKTRACE=full`, which would print a backtrace for
/// every panic the hook let through) and reads the child's stderr.
#[test]
fn a_decoder_panicking_on_every_frame_is_counted_and_logged_once() {
    const NAME: &str = "a_decoder_panicking_on_every_frame_is_counted_and_logged_once";
    if std::env::var_os(PANIC_CHILD).is_none() {
        let out = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(PANIC_CHILD, "1")
            .env("RUST_BACKTRACE", "full")
            .output()
            .expect("the test binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        let logged: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("a QR decoder panicked"))
            .collect();
        assert_eq!(logged.len(), 1, "{stderr}");
        assert!(
            logged[0].contains("tests/qr.rs:") && logged[0].contains("injected decoder panic"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("stack backtrace") && !stderr.contains("thread '"),
            "{stderr}"
        );
        return;
    }
    let (ack_tx, ack_rx) = channel();
    let source = Numbered {
        next: 0,
        count: 40,
        gate: Some(ack_rx),
        done: None,
    };
    let decoder = FakeDecoder {
        panic_on: (0..40).collect(),
        seen: Arc::new(Mutex::new(Vec::new())),
        ack: Some(ack_tx),
        hold_first: None,
    };
    let scanner = Scanner::with_source(Box::new(source), 1500, Box::new(decoder));
    let events = all_events(&scanner);
    let last = events.iter().rev().find_map(|e| match e {
        ScanEvent::DecoderPanicked { total, kinds } => Some((*total, *kinds)),
        _ => None,
    });
    assert_eq!(last, Some((40, 1)));
    assert!(codes(&events).is_empty());
    let stats = scanner.stats();
    assert_eq!((stats.frames, stats.panics.total()), (40, 40));
}

#[test]
fn a_slow_decoder_gets_the_newest_frame_and_older_ones_are_dropped() {
    let (done_tx, done_rx) = channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let source = Numbered {
        next: 0,
        count: 30,
        gate: None,
        done: Some(done_tx),
    };
    // The decoder's first decode lasts until all 30 frames were captured.
    let decoder = FakeDecoder {
        panic_on: vec![],
        seen: seen.clone(),
        ack: None,
        hold_first: Some(done_rx),
    };
    let scanner = Scanner::with_source(Box::new(source), 1500, Box::new(decoder));
    let events = all_events(&scanner);
    let seen = seen.lock().expect("lock").clone();
    // The frame in hand (if the decoder took one before the rest came),
    // then the newest; the frames in between were replaced, not queued.
    assert!(
        (1..=2).contains(&seen.len()),
        "every frame was decoded: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&29), "the newest frame is decoded");
    assert_eq!(scanner.dropped_frames(), 30 - seen.len() as u64);
    assert_eq!(codes(&events).last().map(String::as_str), Some("code-29"));
}

#[test]
fn the_fixture_source_announces_itself_then_plays_in_name_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, level) in [("b.png", 20u8), ("a.png", 10), ("c.png", 30)] {
        numbered(level).save(dir.path().join(name)).expect("save");
    }
    let mut source = FixtureSource::from_folder(dir.path(), 1000)
        .expect("folder")
        .once();
    let mut levels = Vec::new();
    let mut statuses = Vec::new();
    loop {
        match source.next() {
            Capture::Frame(f) => levels.push(f.get_pixel(0, 0)[0]),
            Capture::Status(s) => statuses.push(s),
            Capture::Wait(d) => std::thread::sleep(d),
            Capture::End => break,
        }
    }
    assert_eq!(levels, [10, 20, 30]);
    assert_eq!(
        statuses,
        [CameraStatus::Fixture {
            folder: dir.path().to_path_buf()
        }]
    );
}

#[test]
fn the_demo_camera_folder_reads_each_code_once_through_the_scanner() {
    let folder = root().join("fixtures/qr/camera");
    let source = FixtureSource::from_folder(&folder, 30)
        .expect("demo camera folder")
        .once();
    // Each frame waits for the decoder to finish the one before, so a slow
    // (debug) build drops no frame and the test sees every code.
    let (ack_tx, ack_rx) = channel();
    let source = Paced {
        inner: source,
        gate: ack_rx,
        pending: false,
    };
    let decoder = Acking {
        inner: FramePipeline::new(),
        ack: ack_tx,
    };
    let scanner = Scanner::with_source(Box::new(source), 1500, Box::new(decoder));
    let events = all_events(&scanner);
    assert_eq!(
        events.first(),
        Some(&ScanEvent::Status(CameraStatus::Fixture {
            folder: folder.clone()
        }))
    );
    let found = codes(&events);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("SSN1.M.M-100001."), "{found:?}");
    assert!(found[1].starts_with("SSN1.K.M-100001.KK-1."), "{found:?}");
    for code in &found {
        assert!(
            appcode::read(code, &trusted(), 1_800_000_000).is_ok(),
            "{code}"
        );
    }
    let preview = events.iter().find_map(|e| match e {
        ScanEvent::Preview(p) => Some(p.clone()),
        _ => None,
    });
    let preview = preview.expect("a preview");
    assert!(preview.width <= 240 && preview.width > 0);
    assert_eq!(
        preview.rgba.len(),
        (preview.width * preview.height * 4) as usize
    );
}

#[test]
fn a_camera_that_is_not_there_is_a_status_not_a_panic() {
    // Index 97: no machine running these tests has /dev/video97.
    let scanner = Scanner::start(&scanner_config("97"));
    let events = events_until(&scanner, |e| matches!(e, ScanEvent::Status(_)));
    match events.last() {
        Some(ScanEvent::Status(CameraStatus::Missing { reason })) => {
            assert!(reason.contains("97"), "{reason}");
        }
        other => panic!("expected Missing, got {other:?}"),
    }
    drop(scanner);

    let scanner = Scanner::start(&scanner_config("No Such Camera XYZ"));
    let events = events_until(&scanner, |e| matches!(e, ScanEvent::Status(_)));
    match events.last() {
        Some(ScanEvent::Status(CameraStatus::Missing { reason })) => {
            assert!(!reason.is_empty());
        }
        other => panic!("expected Missing, got {other:?}"),
    }

    let scanner = Scanner::start(&scanner_config("none"));
    let events = events_until(&scanner, |e| matches!(e, ScanEvent::Status(_)));
    assert!(
        matches!(&events[0], ScanEvent::Status(CameraStatus::Missing { reason }) if reason.contains("none")),
        "{events:?}"
    );
}

#[test]
fn auto_without_a_camera_plays_the_demo_folder() {
    if kasse::scanner::source::CameraSource::list().is_ok_and(|c| !c.is_empty()) {
        // This machine has a camera: auto picks it, which is right too.
        return;
    }
    let scanner = Scanner::start(&scanner_config("auto"));
    let events = events_until(&scanner, |e| matches!(e, ScanEvent::Code { .. }));
    assert_eq!(
        events.first(),
        Some(&ScanEvent::Status(CameraStatus::Fixture {
            folder: root().join("fixtures/qr/camera")
        }))
    );
    assert!(codes(&events)[0].starts_with("SSN1."));
}

#[test]
fn kasse_scan_camera_without_a_camera_says_so_and_exits_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["scan", "--camera", "97", "--config"])
        .arg(root().join("config.toml"))
        .output()
        .expect("kasse runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no camera") && stderr.contains("97"),
        "{stderr}"
    );
}

#[test]
fn synthetic_phone_screen_photos_are_labelled_and_decode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["qr", "photos", "--count", "6", "--seed", "7", "--key"])
        .arg(root().join("fixtures/keys/demo.seed"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("kasse runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut images: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    images.sort();
    assert_eq!(images.len(), 6);
    let sizes: std::collections::BTreeSet<(u32, u32)> = images
        .iter()
        .map(|p| image::image_dimensions(p).expect("image"))
        .collect();
    assert_eq!(sizes, [(640, 480), (1280, 720)].into_iter().collect());
    for img in &images {
        let expected = std::fs::read_to_string(img.with_extension("txt")).expect("label");
        let expected = expected.trim_end();
        assert!(appcode::read(expected, &trusted(), 1_800_000_000).is_ok());
        assert_eq!(
            decode_file(img).expect("readable").texts,
            [expected],
            "{}",
            img.display()
        );
    }
}
