//! Receipt printer sinks: a file, a USB printer device file, or a serial
//! port. Out of paper or offline → the caller shows the receipt on screen.

use crate::config::PrinterTarget;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    #[error("printer {target}: {source}")]
    Io {
        target: String,
        source: std::io::Error,
    },
    #[error("the receipt is shown on screen (no printer configured)")]
    ScreenOnly,
}

pub trait Printer: Send {
    /// Sends one receipt's ESC/POS bytes; an error means it was not printed.
    fn print(&mut self, bytes: &[u8]) -> Result<(), PrinterError>;
}

/// Appends to a file: the demo's and tests' printer.
pub struct FilePrinter {
    pub path: PathBuf,
}

impl Printer for FilePrinter {
    fn print(&mut self, bytes: &[u8]) -> Result<(), PrinterError> {
        let io = |source| PrinterError::Io {
            target: self.path.display().to_string(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_data().map_err(io)
    }
}

/// A device file such as /dev/usb/lp0 (or a serial port set up by the OS).
pub struct DevicePrinter {
    pub path: PathBuf,
}

impl Printer for DevicePrinter {
    fn print(&mut self, bytes: &[u8]) -> Result<(), PrinterError> {
        let io = |source| PrinterError::Io {
            target: self.path.display().to_string(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.flush().map_err(io)
    }
}

pub struct ScreenOnly;

impl Printer for ScreenOnly {
    fn print(&mut self, _bytes: &[u8]) -> Result<(), PrinterError> {
        Err(PrinterError::ScreenOnly)
    }
}

/// The printer a config names. Serial printers are opened as device files;
/// the port's speed is set by the OS (udev rule or `stty`).
pub fn open(target: &PrinterTarget) -> Box<dyn Printer> {
    match target {
        PrinterTarget::Screen => Box::new(ScreenOnly),
        PrinterTarget::File(path) => Box::new(FilePrinter { path: path.clone() }),
        PrinterTarget::Device(path) => Box::new(DevicePrinter { path: path.clone() }),
        PrinterTarget::Serial { port, .. } => Box::new(DevicePrinter {
            path: PathBuf::from(port),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_printer_appends_and_missing_device_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.bin");
        let mut p = open(&PrinterTarget::File(path.clone()));
        p.print(b"one").unwrap();
        p.print(b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"onetwo");
        let mut gone = open(&PrinterTarget::Device(dir.path().join("lp9")));
        let err = gone.print(b"x").unwrap_err().to_string();
        assert!(err.contains("lp9"), "{err}");
        assert!(open(&PrinterTarget::Screen).print(b"x").is_err());
    }
}
