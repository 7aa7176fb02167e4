//! The payment simulator (card terminal or Vipps) behind the provider
//! interface of `crate::payments`, for demos and tests.

use super::PaymentConfig;
use crate::domain::Money;
use crate::domain::receipt::TenderKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Decline, PaymentUpdate, Provider, ProviderError, ProviderStatus, Running, Step};
use std::collections::HashMap;
use std::sync::Mutex;

/// A card terminal or Vipps simulator with a set delay, decline share and
/// timeout, for demos and tests only (the status bar says "Demo payments").
/// It remembers its payments, so recovery in the same process can ask.
pub struct Simulator {
    kind: TenderKind,
    config: PaymentConfig,
    counter: Arc<AtomicU64>,
    payments: Arc<Mutex<HashMap<String, ProviderStatus>>>,
}

impl Simulator {
    pub fn new(kind: TenderKind, config: PaymentConfig) -> Simulator {
        Simulator {
            kind,
            config,
            counter: Arc::new(AtomicU64::new(0)),
            payments: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn steps(&self) -> [Step; 3] {
        match self.kind {
            TenderKind::Vipps => [Step::Connecting, Step::WaitingForCustomer, Step::Capturing],
            _ => [Step::Connecting, Step::PresentCard, Step::Authorising],
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

fn remember(
    payments: &Mutex<HashMap<String, ProviderStatus>>,
    reference: &str,
    status: ProviderStatus,
) {
    if let Ok(mut map) = payments.lock() {
        map.insert(reference.to_string(), status);
    }
}

impl Provider for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn start(&self, amount: Money, reference: &str, _description: &str) -> Running {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let config = self.config.clone();
        let steps = self.steps();
        let vipps = self.kind == TenderKind::Vipps;
        let prefix = if vipps { "VIPPS" } else { "SIM" };
        let seed = reference.bytes().fold(n, |h, b| mix(h ^ u64::from(b)));
        let reference = reference.to_string();
        let payments = Arc::clone(&self.payments);
        remember(&payments, &reference, ProviderStatus::Pending);
        thread::spawn(move || {
            let started = Instant::now();
            let slice = Duration::from_millis(config.delay_ms / steps.len() as u64);
            let deadline = Duration::from_millis(config.timeout_ms);
            let end = |update: PaymentUpdate, status: ProviderStatus| {
                remember(&payments, &reference, status);
                let _ = tx.send(update);
            };
            for step in steps {
                let _ = tx.send(PaymentUpdate::Progress(step));
                if vipps && step == Step::Connecting {
                    let _ = tx.send(PaymentUpdate::ShowQr(format!(
                        "https://qr.vipps.no/simulated/{reference}"
                    )));
                }
                let until = Instant::now() + slice;
                while Instant::now() < until {
                    if stop.load(Ordering::SeqCst) {
                        end(PaymentUpdate::Cancelled, ProviderStatus::Failed);
                        return;
                    }
                    if started.elapsed() >= deadline {
                        end(PaymentUpdate::TimedOut, ProviderStatus::Failed);
                        return;
                    }
                    thread::sleep(Duration::from_millis(5).min(slice));
                }
            }
            if started.elapsed() >= deadline {
                end(PaymentUpdate::TimedOut, ProviderStatus::Failed);
            } else if mix(seed) % 1000 < u64::from(config.decline_permille) {
                end(
                    PaymentUpdate::Declined {
                        why: Decline::Refused,
                        reason: "declined by the card issuer (simulated)".into(),
                    },
                    ProviderStatus::Failed,
                );
            } else {
                let transaction_id = format!("{prefix}-{n:06}");
                end(
                    PaymentUpdate::Approved {
                        transaction_id: transaction_id.clone(),
                        amount,
                    },
                    ProviderStatus::Approved {
                        transaction_id,
                        amount,
                    },
                );
            }
        });
        Running {
            updates: rx,
            cancel,
        }
    }

    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError> {
        Ok(self
            .payments
            .lock()
            .ok()
            .and_then(|m| m.get(reference).cloned())
            .unwrap_or(ProviderStatus::Unknown))
    }

    fn reverse(&self, reference: &str, _amount: Money) -> Result<(), ProviderError> {
        remember(&self.payments, reference, ProviderStatus::Failed);
        Ok(())
    }

    fn refund(&self, _reference: &str, _amount: Money) -> Result<Option<String>, ProviderError> {
        Ok(None)
    }
}

/// Waits for the final update, calling `progress` for each step; a silent
/// terminal past `limit` counts as timed out.
pub fn wait_final(
    rx: &Receiver<PaymentUpdate>,
    limit: Duration,
    mut progress: impl FnMut(Step),
) -> PaymentUpdate {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(PaymentUpdate::Progress(step)) => progress(step),
            Ok(PaymentUpdate::ShowQr(_)) => {}
            Ok(last) => return last,
            Err(RecvTimeoutError::Timeout) => return PaymentUpdate::TimedOut,
            Err(RecvTimeoutError::Disconnected) => {
                return PaymentUpdate::Declined {
                    why: Decline::Unreachable,
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
                ..PaymentConfig::default()
            },
        )
    }

    fn run(s: &mut Simulator) -> (Vec<Step>, PaymentUpdate) {
        let running = s.start(Money::from_ore(6547), "S1", "test");
        let mut steps = Vec::new();
        let last = wait_final(&running.updates, Duration::from_secs(10), |p| steps.push(p));
        (steps, last)
    }

    #[test]
    fn approves_the_amount_asked_after_progress_and_remembers_it() {
        let mut card = sim(TenderKind::Card, 30, 0, 5000);
        let (steps, last) = run(&mut card);
        assert_eq!(
            steps,
            [Step::Connecting, Step::PresentCard, Step::Authorising]
        );
        let approved = ProviderStatus::Approved {
            transaction_id: "SIM-000001".into(),
            amount: Money::from_ore(6547),
        };
        assert_eq!(
            last,
            PaymentUpdate::Approved {
                transaction_id: "SIM-000001".into(),
                amount: Money::from_ore(6547)
            }
        );
        assert_eq!(card.status("S1").ok(), Some(approved));
        assert_eq!(card.status("S9").ok(), Some(ProviderStatus::Unknown));
        let (_, last) = run(&mut sim(TenderKind::Vipps, 30, 0, 5000));
        assert!(
            matches!(&last, PaymentUpdate::Approved { transaction_id, .. } if transaction_id.starts_with("VIPPS-")),
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
        let s = sim(TenderKind::Card, 3000, 0, 60_000);
        let running = s.start(Money::from_ore(100), "S2", "test");
        running.cancel.store(true, Ordering::SeqCst);
        assert_eq!(
            wait_final(&running.updates, Duration::from_secs(10), |_| {}),
            PaymentUpdate::Cancelled
        );
        assert_eq!(s.status("S2").ok(), Some(ProviderStatus::Failed));
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
