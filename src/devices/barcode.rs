//! A barcode scanner configured as a serial (USB CDC) port: one code per
//! line. Keyboard-wedge scanners are told from typing in the UI with
//! `domain::barcode::WedgeDetector`; both end in `Till::present_code`.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BarcodeEvent {
    Connected,
    /// One scanned code, trimmed.
    Code(String),
    /// Unplugged or unreadable; retried every 500 ms.
    Lost {
        reason: String,
    },
}

/// Stops the reader when dropped.
pub struct BarcodeHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BarcodeHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Longest line kept; a scanner sending endless bytes without a newline is
/// cut here rather than growing memory.
const MAX_LINE: usize = 512;

/// Splits bytes into lines (CR, LF or CRLF); pure, so it is tested alone.
#[derive(Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                let line = String::from_utf8_lossy(&self.buf).trim().to_string();
                self.buf.clear();
                if !line.is_empty() {
                    out.push(line);
                }
            } else if self.buf.len() < MAX_LINE {
                self.buf.push(b);
            }
        }
        out
    }
}

pub fn spawn(port: String, baud: u32) -> std::io::Result<(BarcodeHandle, Receiver<BarcodeEvent>)> {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("barcode reader".into())
        .spawn(move || run(&port, baud, &flag, &tx))?;
    Ok((
        BarcodeHandle {
            stop,
            thread: Some(thread),
        },
        rx,
    ))
}

fn run(port: &str, baud: u32, stop: &AtomicBool, tx: &Sender<BarcodeEvent>) {
    let mut lost_said = false;
    while !stop.load(Ordering::Relaxed) {
        match serialport::new(port, baud)
            .timeout(Duration::from_millis(100))
            .open()
        {
            Ok(mut p) => {
                if tx.send(BarcodeEvent::Connected).is_err() {
                    return;
                }
                let mut lines = LineSplitter::default();
                let mut buf = [0u8; 256];
                let reason = loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match p.read(&mut buf) {
                        Ok(0) => break format!("{port} hung up (cable pulled?)"),
                        Ok(n) => {
                            for code in lines.push(&buf[..n]) {
                                if tx.send(BarcodeEvent::Code(code)).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(e) => break format!("{port}: {e}"),
                    }
                };
                let _ = tx.send(BarcodeEvent::Lost { reason });
                lost_said = true;
            }
            Err(e) => {
                if !lost_said {
                    let _ = tx.send(BarcodeEvent::Lost {
                        reason: format!("cannot open the barcode scanner on {port}: {e}"),
                    });
                    lost_said = true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_cr_lf_and_survive_chunking() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"70380100"), Vec::<String>::new());
        assert_eq!(
            s.push(b"00010\r\n2300100004129\n\n  \r"),
            ["7038010000010", "2300100004129"]
        );
        assert_eq!(s.push(&[0xFF, b'A', b'\n']), ["\u{FFFD}A"]);
        let long = vec![b'9'; 5000];
        let mut s = LineSplitter::default();
        assert!(s.push(&long).is_empty());
        assert_eq!(s.push(b"\n")[0].len(), MAX_LINE);
    }

    #[test]
    fn a_serial_scanner_over_a_real_pty() {
        use crate::devices::setup::PtyPair;
        use std::io::Write;
        let pair = PtyPair::new().unwrap();
        let (_handle, events) = spawn(pair.till.display().to_string(), 9600).unwrap();
        assert_eq!(
            events.recv_timeout(Duration::from_secs(10)).unwrap(),
            BarcodeEvent::Connected
        );
        let mut scanner = serialport::new(pair.scale.display().to_string(), 9600)
            .open()
            .unwrap();
        scanner.write_all(b"7038010000").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        scanner.write_all(b"010\r\n96385074\r\n").unwrap();
        let mut codes = Vec::new();
        while codes.len() < 2 {
            match events.recv_timeout(Duration::from_secs(10)).unwrap() {
                BarcodeEvent::Code(c) => codes.push(c),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(codes, ["7038010000010", "96385074"]);
        drop(scanner);
        drop(pair); // pull the cable
        let lost = (0..50).find_map(|_| match events.recv_timeout(Duration::from_millis(200)) {
            Ok(BarcodeEvent::Lost { reason }) => Some(reason),
            _ => None,
        });
        assert!(lost.is_some(), "the reader notices the cable is gone");
    }
}
