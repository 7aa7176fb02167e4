//! Finding and wiring devices: what a technician sees in `kasse devices`,
//! and the simulated scale the demo uses when no scale is connected.

use crate::devices::children;
use crate::devices::scale::ScaleConfig;
use crate::devices::scale_sim::{Script, SimConfig, Simulator};
use crate::domain::scale::Protocol;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the simulated scale needs `socat` (apt-get install socat): {0}")]
    NoSocat(std::io::Error),
    #[error("socat did not create the pty pair within 5 s")]
    PtyTimeout,
    #[error("cannot create a folder for the pty pair: {0}")]
    TempDir(std::io::Error),
    #[error("cannot start the scale simulator: {0}")]
    Simulator(std::io::Error),
    #[error("scale protocol: {0}")]
    Protocol(#[from] crate::domain::scale::UnknownProtocol),
}

/// A virtual serial cable: two linked pseudo-terminals made by socat.
/// Dropping it pulls the cable (kills socat); so does the end of the thread
/// that made it, or of the program (`devices::children`). Keep it on the
/// thread that made it.
pub struct PtyPair {
    child: Child,
    /// The till's end: open it as the scale's port.
    pub till: PathBuf,
    /// The scale's end: the simulator answers here.
    pub scale: PathBuf,
    _dir: tempfile::TempDir,
}

impl PtyPair {
    pub fn new() -> Result<PtyPair, SetupError> {
        let dir = tempfile::Builder::new()
            .prefix("kasse-pty")
            .tempdir()
            .map_err(SetupError::TempDir)?;
        let till = dir.path().join("till");
        let scale = dir.path().join("scale");
        let mut socat = Command::new("socat");
        socat
            .arg(format!("pty,raw,echo=0,link={}", till.display()))
            .arg(format!("pty,raw,echo=0,link={}", scale.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // socat ends with the till, however the till ends (devices::children).
        children::dies_with_this_thread(&mut socat);
        let child = socat.spawn().map_err(SetupError::NoSocat)?;
        children::adopt(child.id(), Some(dir.path().to_path_buf()));
        let pair = PtyPair {
            child,
            till,
            scale,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(pair.till.exists() && pair.scale.exists()) {
            if Instant::now() > deadline {
                // Dropping the pair kills socat.
                return Err(SetupError::PtyTimeout);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(pair)
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        children::release(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A simulated scale on a fresh pty pair, and the config that reads it.
pub struct SimulatedScale {
    pub simulator: Simulator,
    pub config: ScaleConfig,
    // Dropped last: the simulator stops before the cable goes.
    pub pair: PtyPair,
}

/// What the demo's simulated scale does: an empty plate, a plate of food that
/// settles, then nothing again, round and round.
pub const DEMO_SCRIPT: &str =
    "load 0g for 3s; motion 600ms; load 412g for 6s; motion 400ms; load 0g for 3s";

pub fn simulated_scale(
    mut config: ScaleConfig,
    script: Script,
) -> Result<SimulatedScale, SetupError> {
    let pair = PtyPair::new()?;
    let simulator = Simulator::start(SimConfig::new(
        pair.scale.display().to_string(),
        config.protocol,
        script,
    ))
    .map_err(SetupError::Simulator)?;
    config.port = pair.till.display().to_string();
    Ok(SimulatedScale {
        simulator,
        config,
        pair,
    })
}

impl crate::config::ScaleConfig {
    /// The reader's settings; `simulated` or a port that does not exist means
    /// the demo's simulator.
    pub fn reader(&self) -> Result<(ScaleConfig, bool), SetupError> {
        let protocol: Protocol = self.protocol.parse()?;
        let simulated = self.port == "simulated" || !Path::new(&self.port).exists();
        let config = ScaleConfig {
            port: self.port.clone(),
            protocol,
            poll_ms: self.poll_ms,
            stable_ms: self.stable_ms,
            stable_tolerance_g: self.stable_tolerance_g,
        };
        Ok((config, simulated))
    }
}

/// Serial ports the OS reports, with what they are when it knows.
pub fn serial_ports() -> Vec<String> {
    match serialport::available_ports() {
        Ok(ports) => ports
            .into_iter()
            .map(|p| match p.port_type {
                serialport::SerialPortType::UsbPort(u) => format!(
                    "{}  USB {:04x}:{:04x} {}",
                    p.port_name,
                    u.vid,
                    u.pid,
                    u.product.unwrap_or_default()
                ),
                _ => p.port_name,
            })
            .collect(),
        Err(e) => vec![format!("(cannot list serial ports: {e})")],
    }
}

/// Video devices (V4L2) present; the camera issue adds names via nokhwa.
pub fn cameras() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir("/dev")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("video"))
                })
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::scale::{ScaleEvent, spawn};

    #[test]
    fn the_demo_simulator_delivers_a_stable_weight_over_a_real_pty() {
        let script: Script = "load 412g for 60s".parse().unwrap();
        let sim = simulated_scale(ScaleConfig::new("unused", Protocol::MtSics), script).unwrap();
        let (_handle, events) = spawn(sim.config.clone()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = None;
        while Instant::now() < deadline {
            if let Ok(ScaleEvent::Weight {
                grams,
                stable: true,
            }) = events.recv_timeout(Duration::from_millis(200))
            {
                got = Some(grams);
                break;
            }
        }
        assert_eq!(got, Some(412));
    }

    #[test]
    fn config_falls_back_to_the_simulator_for_a_missing_port() {
        let mut c = crate::config::ScaleConfig {
            port: "/dev/ttyNOPE9".into(),
            protocol: "mt-sics".into(),
            poll_ms: 200,
            stable_ms: 300,
            stable_tolerance_g: 2,
        };
        assert!(c.reader().unwrap().1);
        c.port = "/dev/null".into();
        assert!(!c.reader().unwrap().1);
        c.protocol = "morse".into();
        assert!(c.reader().is_err());
    }
}
