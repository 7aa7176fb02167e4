//! Payment terminal and Vipps behind one trait (spec/devices.md):
//! `start(amount, reference) → progress… → approved(id) | declined(reason) |
//! cancelled | timeout`. Today only the simulator exists.

use crate::config::PaymentConfig;
use crate::domain::Money;
use crate::domain::receipt::TenderKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// What the terminal reports while a payment runs; the last one is final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentUpdate {
    Progress(String),
    Approved { transaction_id: String },
    Declined { reason: String },
    Cancelled,
    TimedOut,
}

impl PaymentUpdate {
    pub fn is_final(&self) -> bool {
        !matches!(self, PaymentUpdate::Progress(_))
    }
}

pub trait PaymentTerminal: Send {
    /// Starts a payment of `amount` for sale `reference`; updates arrive on the
    /// returned channel, ending with exactly one final update.
    fn start(&mut self, amount: Money, reference: &str) -> Receiver<PaymentUpdate>;
    /// Asks the running payment to stop; it ends `Cancelled` unless already final.
    fn cancel(&mut self);
}

/// A card terminal or Vipps simulator with a set delay, decline share and timeout.
pub struct Simulator {
    kind: TenderKind,
    config: PaymentConfig,
    cancel: Arc<AtomicBool>,
    counter: Arc<AtomicU64>,
}

impl Simulator {
    pub fn new(kind: TenderKind, config: PaymentConfig) -> Simulator {
        Simulator {
            kind,
            config,
            cancel: Arc::new(AtomicBool::new(false)),
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    fn steps(&self) -> [&'static str; 3] {
        match self.kind {
            TenderKind::Vipps => [
                "Showing Vipps QR",
                "Waiting for the customer in Vipps",
                "Confirming with Vipps",
            ],
            _ => [
                "Connecting to the terminal",
                "Insert, tap or swipe the card",
                "Authorising",
            ],
        }
    }
}

/// splitmix64: a tiny deterministic generator for the decline decision.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl PaymentTerminal for Simulator {
    fn start(&mut self, amount: Money, reference: &str) -> Receiver<PaymentUpdate> {
        let (tx, rx) = mpsc::channel();
        self.cancel.store(false, Ordering::SeqCst);
        let cancel = Arc::clone(&self.cancel);
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let config = self.config.clone();
        let steps = self.steps();
        let prefix = if self.kind == TenderKind::Vipps {
            "VIPPS"
        } else {
            "SIM"
        };
        let seed = reference.bytes().fold(n, |h, b| mix(h ^ u64::from(b)));
        let reference = reference.to_string();
        thread::spawn(move || {
            let started = Instant::now();
            let slice = Duration::from_millis(config.delay_ms / steps.len() as u64);
            let deadline = Duration::from_millis(config.timeout_ms);
            for step in steps {
                let _ = tx.send(PaymentUpdate::Progress(format!("{step}… ({amount} NOK)")));
                let until = Instant::now() + slice;
                while Instant::now() < until {
                    if cancel.load(Ordering::SeqCst) {
                        let _ = tx.send(PaymentUpdate::Cancelled);
                        return;
                    }
                    if started.elapsed() >= deadline {
                        let _ = tx.send(PaymentUpdate::TimedOut);
                        return;
                    }
                    thread::sleep(Duration::from_millis(5).min(slice));
                }
            }
            if started.elapsed() >= deadline {
                let _ = tx.send(PaymentUpdate::TimedOut);
            } else if mix(seed) % 1000 < u64::from(config.decline_permille) {
                let _ = tx.send(PaymentUpdate::Declined {
                    reason: "declined by the card issuer (simulated)".into(),
                });
            } else {
                let _ = tx.send(PaymentUpdate::Approved {
                    transaction_id: format!("{prefix}-{n:06}-{reference}"),
                });
            }
        });
        rx
    }

    fn cancel(&mut self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// Waits for the final update, calling `progress` for each step; a silent
/// terminal past `limit` counts as timed out.
pub fn wait_final(
    rx: &Receiver<PaymentUpdate>,
    limit: Duration,
    mut progress: impl FnMut(&str),
) -> PaymentUpdate {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(PaymentUpdate::Progress(text)) => progress(&text),
            Ok(last) => return last,
            Err(RecvTimeoutError::Timeout) => return PaymentUpdate::TimedOut,
            Err(RecvTimeoutError::Disconnected) => {
                return PaymentUpdate::Declined {
                    reason: "the terminal stopped answering".into(),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(kind: TenderKind, delay_ms: u64, decline_permille: u32, timeout_ms: u64) -> Simulator {
        Simulator::new(
            kind,
            PaymentConfig {
                delay_ms,
                decline_permille,
                timeout_ms,
            },
        )
    }

    fn run(s: &mut Simulator) -> (Vec<String>, PaymentUpdate) {
        let rx = s.start(Money::from_ore(6547), "S1");
        let mut steps = Vec::new();
        let last = wait_final(&rx, Duration::from_secs(10), |p| steps.push(p.to_string()));
        (steps, last)
    }

    #[test]
    fn approves_with_a_transaction_id_after_progress() {
        let (steps, last) = run(&mut sim(TenderKind::Card, 30, 0, 5000));
        assert_eq!(steps.len(), 3);
        assert!(steps[0].contains("65.47 NOK"), "{steps:?}");
        assert!(
            matches!(&last, PaymentUpdate::Approved { transaction_id } if transaction_id.starts_with("SIM-000001-S1")),
            "{last:?}"
        );
        let (_, last) = run(&mut sim(TenderKind::Vipps, 30, 0, 5000));
        assert!(
            matches!(&last, PaymentUpdate::Approved { transaction_id } if transaction_id.starts_with("VIPPS-")),
            "{last:?}"
        );
    }

    #[test]
    fn declines_times_out_and_cancels() {
        assert!(matches!(
            run(&mut sim(TenderKind::Card, 30, 1000, 5000)).1,
            PaymentUpdate::Declined { .. }
        ));
        assert_eq!(
            run(&mut sim(TenderKind::Card, 3000, 0, 50)).1,
            PaymentUpdate::TimedOut
        );
        let mut s = sim(TenderKind::Card, 3000, 0, 60_000);
        let rx = s.start(Money::from_ore(100), "S2");
        s.cancel();
        assert_eq!(
            wait_final(&rx, Duration::from_secs(10), |_| {}),
            PaymentUpdate::Cancelled
        );
    }

    #[test]
    fn decline_share_is_roughly_the_configured_one() {
        let mut s = sim(TenderKind::Card, 0, 250, 5000);
        let declined = (0..400)
            .filter(|_| matches!(run(&mut s).1, PaymentUpdate::Declined { .. }))
            .count();
        assert!(
            (60..=140).contains(&declined),
            "{declined} of 400 declined at 25 %"
        );
    }
}
