//! How long after the scale sends a steady weight does the till get it as
//! stable, beyond the `stable_ms` it must wait anyway?
//!
//! Runs the simulator and the real reader over a socat pty pair (socat must
//! be installed) with the spec's settings (poll 200 ms, stable 300 ms within
//! 2 g; the simulated MT-SICS scale streams every 100 ms), puts `runs` loads
//! on the scale one after another, and measures from the simulator writing
//! the first frame of each load to the reader delivering
//! `Weight { stable: true }`, minus `stable_ms`.
//!
//! ```text
//! cargo run --release --example scale_latency -- [runs] [toledo8217|mt-sics]
//! ```

use kasse::devices::scale::{self, ScaleConfig, ScaleEvent};
use kasse::devices::scale_sim::{Script, SimConfig, Simulator, Step};
use kasse::domain::scale::Protocol;
use std::error::Error;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STABLE_MS: u64 = 300;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(Ok(50), |a| a.parse())?;
    let protocols = match args.next() {
        Some(p) => vec![p.parse::<Protocol>()?],
        None => vec![Protocol::Toledo8217, Protocol::MtSics],
    };
    for protocol in protocols {
        let mut us = measure(protocol, runs)?;
        us.sort_unstable();
        // Nearest-rank percentile.
        let pct = |p: usize| ms(us[(us.len() * p).div_ceil(100).max(1) - 1]);
        println!(
            "{protocol:<10} runs {:>3}  delivered − stable_ms: p50 {} ms  p99 {} ms  min {} ms  max {} ms",
            us.len(),
            pct(50),
            pct(99),
            ms(us[0]),
            ms(us[us.len() - 1]),
        );
    }
    Ok(())
}

/// Microseconds as milliseconds with one decimal, e.g. `100.1`.
fn ms(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "" };
    let tenths = (us.unsigned_abs() + 50) / 100;
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// Delivery minus `stable_ms`, in microseconds, one per run.
fn measure(protocol: Protocol, runs: usize) -> Result<Vec<i64>, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let (till, scale_end) = (dir.path().join("till"), dir.path().join("scale"));
    let mut socat = plug(&till, &scale_end)?;

    // Alternate two loads so that each run is a new weight after motion.
    let grams = |i: usize| if i.is_multiple_of(2) { 412 } else { 398 };
    let mut steps = Vec::new();
    for i in 0..runs {
        steps.push(Step::Motion { ms: 200 });
        steps.push(Step::Load {
            grams: grams(i),
            ms: 900,
        });
    }
    let sim = Simulator::start(SimConfig::new(
        path(&scale_end)?,
        protocol,
        Script::new(steps),
    ))?;
    let mut config = ScaleConfig::new(path(&till)?, protocol);
    config.stable_ms = STABLE_MS;
    let (_handle, events) = scale::spawn(config)?;

    let mut out = Vec::new();
    for i in 0..runs {
        let want = ScaleEvent::Weight {
            grams: grams(i),
            stable: true,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let delivered = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = events.recv_timeout(left)?;
            if event == want {
                break Instant::now();
            }
        };
        let written = sim
            .first_frame_at(2 * i + 1)
            .ok_or("the simulator wrote no frame for the load")?;
        let latency = i64::try_from(delivered.duration_since(written).as_micros())?;
        out.push(latency - i64::try_from(STABLE_MS * 1000)?);
    }
    socat.kill()?;
    socat.wait()?;
    Ok(out)
}

fn path(p: &Path) -> Result<String, Box<dyn Error>> {
    Ok(p.to_str().ok_or("temp path is not UTF-8")?.to_string())
}

/// A socat pty pair with its ends linked at `a` and `b`.
fn plug(a: &Path, b: &Path) -> Result<Child, Box<dyn Error>> {
    let mut child = Command::new("socat")
        .arg("-d")
        .arg("-d")
        .arg(format!("pty,raw,echo=0,link={}", a.display()))
        .arg(format!("pty,raw,echo=0,link={}", b.display()))
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no socat stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().ok_or("socat exited")??;
        if line.contains("starting data transfer loop") {
            break;
        }
    }
    // Keep reading socat's log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(child)
}
