//! The real serial reader against the simulator over a socat pty pair, for
//! both protocols. Waits are bounded only as timeouts; nothing here asserts
//! speed.

use kasse::devices::scale::{self, ScaleConfig, ScaleEvent, ScaleHandle};
use kasse::devices::scale_sim::{SimConfig, Simulator};
use kasse::domain::scale::{Protocol, Reading};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);
const STABLE_MS: u64 = 300;

/// A socat pty pair standing in for the cable: `till` and `scale` are
/// symlinks (socat's `link=`) that survive a restart of the cable.
struct Cable {
    child: Child,
    till: PathBuf,
    scale: PathBuf,
}

impl Cable {
    fn plug(dir: &Path) -> Cable {
        let till = dir.join("till");
        let scale = dir.join("scale");
        let mut child = Command::new("socat")
            .arg("-d")
            .arg("-d")
            .arg(format!("pty,raw,echo=0,link={}", till.display()))
            .arg(format!("pty,raw,echo=0,link={}", scale.display()))
            .stderr(Stdio::piped())
            .spawn()
            .expect("socat must be installed (apt-get install socat)");
        // socat -d -d logs "PTY is /dev/pts/N" for each end, then starts.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut ptys = Vec::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("socat did not start");
            if let Some((_, pty)) = line.split_once("PTY is ") {
                ptys.push(pty.trim().to_string());
            }
            if line.contains("starting data transfer loop") {
                break;
            }
        }
        assert_eq!(ptys.len(), 2, "two ptys: {ptys:?}");
        for (link, pty) in [(&till, &ptys[0]), (&scale, &ptys[1])] {
            assert_eq!(std::fs::canonicalize(link).unwrap(), Path::new(pty));
        }
        Cable { child, till, scale }
    }

    fn pull(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Cable {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// Events with the time they were received.
struct Events {
    rx: Receiver<ScaleEvent>,
    seen: Vec<(Instant, ScaleEvent)>,
}

impl Events {
    /// Wait (at most `WAIT`) for an event matching `want`; returns its time.
    fn until(&mut self, what: &str, want: impl Fn(&ScaleEvent) -> bool) -> Instant {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(event) => {
                    let at = Instant::now();
                    let hit = want(&event);
                    self.seen.push((at, event));
                    if hit {
                        return at;
                    }
                }
                Err(e) => panic!("no {what} within {WAIT:?} ({e}); saw {:#?}", self.seen),
            }
        }
    }

    fn since(&self, from: usize) -> impl Iterator<Item = &ScaleEvent> {
        self.seen[from..].iter().map(|(_, e)| e)
    }
}

fn start_reader(cable: &Cable, protocol: Protocol) -> (ScaleHandle, Events) {
    let mut config = ScaleConfig::new(port(&cable.till), protocol);
    config.poll_ms = 100;
    config.stable_ms = STABLE_MS;
    let (handle, rx) = scale::spawn(config).unwrap();
    (
        handle,
        Events {
            rx,
            seen: Vec::new(),
        },
    )
}

fn stable(grams: i64) -> impl Fn(&ScaleEvent) -> bool {
    move |e| {
        *e == ScaleEvent::Weight {
            grams,
            stable: true,
        }
    }
}

fn is_stable(e: &ScaleEvent) -> bool {
    matches!(e, ScaleEvent::Weight { stable: true, .. })
}

/// Load, pull the cable, plug it back in.
fn load_pull_replug(protocol: Protocol) {
    let dir = tempfile::tempdir().unwrap();
    let cable = Cable::plug(dir.path());
    let script = "motion 700ms\nload 412g".parse().unwrap();
    let sim = Simulator::start(SimConfig::new(port(&cable.scale), protocol, script)).unwrap();
    let (handle, mut events) = start_reader(&cable, protocol);

    let connected = events.until("Connected", |e| *e == ScaleEvent::Connected);
    let delivered = events.until("stable 412 g", is_stable);
    assert_eq!(
        events.seen.last().unwrap().1,
        ScaleEvent::Weight {
            grams: 412,
            stable: true
        }
    );
    assert!(connected <= delivered);
    // The motion was seen first, and no weight was stable before the load.
    let motion_seen = events.since(0).any(|e| match protocol {
        Protocol::Toledo8217 => {
            *e == ScaleEvent::NoWeight {
                reading: Reading::Motion,
            }
        }
        Protocol::MtSics => {
            matches!(e, ScaleEvent::Weight { stable: false, grams } if *grams != 412)
        }
    });
    assert!(motion_seen, "{:#?}", events.seen);
    assert_eq!(events.since(0).filter(|e| is_stable(e)).count(), 1);
    // Not before stable_ms of steady 412 g had passed (step 1 is the load).
    let load_began = sim.first_frame_at(1).unwrap();
    assert!(
        delivered.duration_since(load_began) >= Duration::from_millis(STABLE_MS - 1),
        "stable after {:?}",
        delivered.duration_since(load_began)
    );

    // Pull the cable: the weight is void.
    let before_pull = events.seen.len();
    cable.pull();
    events.until("Lost", |e| matches!(e, ScaleEvent::Lost { .. }));
    assert!(
        !events.since(before_pull).any(is_stable),
        "{:#?}",
        events.seen
    );

    // Plug it back in (new ptys, same links): connected and weighing again.
    let after_pull = events.seen.len();
    let cable = Cable::plug(dir.path());
    events.until("Connected again", |e| *e == ScaleEvent::Connected);
    events.until("stable 412 g again", stable(412));
    let lost_count = events
        .since(after_pull)
        .filter(|e| matches!(e, ScaleEvent::Lost { .. }))
        .count();
    assert_eq!(lost_count, 0, "one Lost per outage: {:#?}", events.seen);

    // Tare through the handle: the scale then shows a net 0 g, stable.
    handle.tare().unwrap();
    events.until("stable 0 g after tare", stable(0));

    drop(handle);
    drop(sim);
    drop(cable);
}

#[test]
fn toledo8217_load_pull_replug() {
    load_pull_replug(Protocol::Toledo8217);
}

#[test]
fn mt_sics_load_pull_replug() {
    load_pull_replug(Protocol::MtSics);
}

/// Overload, garbage and a silent scale on a cable that stays in.
fn overload_garbage_silence(protocol: Protocol) {
    let dir = tempfile::tempdir().unwrap();
    let cable = Cable::plug(dir.path());
    let script = "load 250g for 1500ms\ngarbage\nload 260g for 1500ms\noverload 800ms\nsilence 1500ms\nload 500g"
        .parse()
        .unwrap();
    let sim = Simulator::start(SimConfig::new(port(&cable.scale), protocol, script)).unwrap();
    let (handle, mut events) = start_reader(&cable, protocol);

    events.until("stable 250 g", stable(250));
    events.until("stable 260 g after garbage", stable(260));
    events.until("overload", |e| {
        *e == ScaleEvent::NoWeight {
            reading: Reading::Overload,
        }
    });
    let lost = events.until("Lost on silence", |e| matches!(e, ScaleEvent::Lost { .. }));
    let Some((_, ScaleEvent::Lost { reason })) = events.seen.last() else {
        unreachable!()
    };
    assert_eq!(
        *reason,
        format!(
            "no answer from the scale on {} for 300 ms (is it on, set to {}?)",
            cable.till.display(),
            protocol
        )
    );
    events.until("Connected after silence", |e| *e == ScaleEvent::Connected);
    let back = events.until("stable 500 g", stable(500));
    assert!(back > lost);
    // No stable weight between the overload and 500 g.
    let overload_at = events
        .seen
        .iter()
        .position(|(_, e)| matches!(e, ScaleEvent::NoWeight { .. }))
        .unwrap();
    let stables: Vec<_> = events.since(overload_at).filter(|e| is_stable(e)).collect();
    assert_eq!(
        stables,
        [&ScaleEvent::Weight {
            grams: 500,
            stable: true
        }]
    );

    drop(handle);
    drop(sim);
}

#[test]
fn toledo8217_overload_garbage_silence() {
    overload_garbage_silence(Protocol::Toledo8217);
}

#[test]
fn mt_sics_overload_garbage_silence() {
    overload_garbage_silence(Protocol::MtSics);
}

/// A window that runs its course between two regular readings (polls every
/// second, lines every second) is settled by asking the scale at its end,
/// not a poll or a line later; and never before `stable_ms`.
fn settles_between_readings(protocol: Protocol) {
    let dir = tempfile::tempdir().unwrap();
    let cable = Cable::plug(dir.path());
    let script = "motion 700ms\nload 412g".parse().unwrap();
    let mut sim_config = SimConfig::new(port(&cable.scale), protocol, script);
    sim_config.stream_ms = 1000;
    let sim = Simulator::start(sim_config).unwrap();
    let mut config = ScaleConfig::new(port(&cable.till), protocol);
    // Silence (3 × poll_ms) must outlast the slow stream.
    config.poll_ms = 1000;
    config.stable_ms = STABLE_MS;
    let (handle, rx) = scale::spawn(config).unwrap();
    let mut events = Events {
        rx,
        seen: Vec::new(),
    };

    let delivered = events.until("stable 412 g", is_stable);
    assert_eq!(events.seen.last().unwrap().1, stable_412());
    assert_eq!(events.since(0).filter(|e| is_stable(e)).count(), 1);
    let after = delivered.duration_since(sim.first_frame_at(1).unwrap());
    // The next regular reading would come a full second after the first.
    assert!(
        after >= Duration::from_millis(STABLE_MS) && after < Duration::from_millis(900),
        "stable {after:?} after the load's first frame; saw {:#?}",
        events.seen
    );
    assert!(
        !events
            .since(0)
            .any(|e| matches!(e, ScaleEvent::Lost { .. })),
        "{:#?}",
        events.seen
    );

    drop(handle);
    drop(sim);
}

fn stable_412() -> ScaleEvent {
    ScaleEvent::Weight {
        grams: 412,
        stable: true,
    }
}

#[test]
fn toledo8217_settles_between_polls() {
    settles_between_readings(Protocol::Toledo8217);
}

#[test]
fn mt_sics_settles_between_lines() {
    settles_between_readings(Protocol::MtSics);
}
