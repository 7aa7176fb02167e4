//! The device commands a technician runs when installing a till.

use crate::config::Config;
use crate::devices::scale::{ScaleEvent, spawn};
use crate::devices::scale_sim::{Script, SimConfig, Simulator};
use crate::devices::setup::{self, PtyPair};
use crate::domain::scale::Protocol;
use anyhow::{Context, Result, bail};
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

/// `kasse sim scale`: a scripted or interactive scale on a pty or a port.
pub fn sim_scale(
    protocol: &str,
    pty: bool,
    port: Option<&Path>,
    script: &str,
    interactive: bool,
) -> Result<()> {
    let protocol: Protocol = protocol.parse()?;
    let script: Script = script.parse().context("--script")?;
    let pair = if pty || port.is_none() {
        Some(PtyPair::new()?)
    } else {
        None
    };
    let sim_port = match (&pair, port) {
        (Some(p), _) => p.scale.display().to_string(),
        (None, Some(port)) => port.display().to_string(),
        (None, None) => bail!("give --pty or --port"),
    };
    let sim = Simulator::start(SimConfig::new(sim_port.clone(), protocol, script))
        .context("starting the simulator")?;
    match &pair {
        Some(p) => println!(
            "simulated {protocol} scale running; point the till at {}\n(e.g. [scale] port = \"{}\")",
            p.till.display(),
            p.till.display()
        ),
        None => println!("simulated {protocol} scale answering on {sim_port}"),
    }
    if interactive {
        println!(
            "type a step (load 412g | motion 1s | overload | underzero | garbage | silence 2s), q to quit"
        );
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if line == "q" || line == "quit" {
                break;
            }
            if line.is_empty() {
                continue;
            }
            match line.parse::<Script>() {
                Ok(s) => {
                    sim.replace_script(s);
                    println!("scale now: {line}");
                }
                Err(e) => println!("{e}"),
            }
        }
    } else {
        println!("running the script in a loop until stopped (Ctrl-C)");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    Ok(())
}

/// `kasse devices`: what is connected and what the config selects.
pub fn devices(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    println!("serial ports:");
    let ports = setup::serial_ports();
    if ports.is_empty() {
        println!("  (none found)");
    }
    for p in &ports {
        println!("  {p}");
    }
    println!("cameras:");
    let cams = setup::cameras();
    if cams.is_empty() {
        println!("  (none found: the demo plays the fixture images instead)");
    }
    for c in &cams {
        println!("  {c}");
    }
    let (scale, simulated) = config.scale.reader()?;
    println!("config {}:", config_path.display());
    println!(
        "  scale: {} on {}{}",
        scale.protocol,
        config.scale.port,
        if simulated {
            "  → not found: the simulated scale is used"
        } else {
            ""
        }
    );
    println!(
        "  barcode: {}",
        config.barcode.port.as_deref().unwrap_or("keyboard wedge")
    );
    println!("  printer: {:?}", config.printer);
    for w in config.warnings() {
        println!("  warning: {w}");
    }
    Ok(())
}

/// `kasse devices test scale`: live readings for a while.
pub fn devices_test(config_path: &Path, device: &str, seconds: u64) -> Result<()> {
    if device != "scale" {
        bail!("`{device}`: only `scale` can be tested so far");
    }
    let config = Config::load(config_path)?;
    let (reader, simulated) = config.scale.reader()?;
    let sim;
    let reader = if simulated {
        if config.scale.port == "simulated" {
            println!("scale port is `simulated`: testing against the simulated scale");
        } else {
            println!(
                "{} not found: testing against the simulated scale",
                config.scale.port
            );
        }
        sim = setup::simulated_scale(reader, setup::DEMO_SCRIPT.parse()?)?;
        sim.config.clone()
    } else {
        reader
    };
    println!(
        "reading {} ({}) for {seconds} s; Ctrl-C stops",
        reader.port, reader.protocol
    );
    let (_handle, events) = spawn(reader)?;
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(event) = events.recv_timeout(left) else {
            continue;
        };
        let t = start.elapsed().as_secs_f64();
        match event {
            ScaleEvent::Connected => println!("{t:7.2} s  connected"),
            ScaleEvent::Weight { grams, stable } => {
                println!(
                    "{t:7.2} s  {grams:>6} g  {}",
                    if stable { "STABLE" } else { "settling" }
                )
            }
            ScaleEvent::NoWeight { reading } => println!("{t:7.2} s  no weight: {reading:?}"),
            ScaleEvent::Lost { reason } => println!("{t:7.2} s  LOST: {reason}"),
        }
    }
    Ok(())
}
