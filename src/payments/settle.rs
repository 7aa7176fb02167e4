//! One payment run to its end without a screen (replay, the benchmark): the
//! provider's final word, or — when it goes silent or its worker dies — what
//! the provider says by reference (`recover::confirm`), so a payment the
//! till gave up on is never approved behind its back.

use super::recover::confirm;
use super::{PaymentUpdate, Provider, ProviderError};
use crate::domain::Money;
use crate::till::{Answer, Failure};
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// Asks `provider` for `amount` under `reference` and waits up to `limit`
/// for its answer; then asks it to stop and, hearing nothing within a few
/// seconds more, asks by reference.
pub fn settle(
    provider: &dyn Provider,
    amount: Money,
    reference: &str,
    description: &str,
    limit: Duration,
) -> Result<Answer, ProviderError> {
    let running = provider.start(amount, reference, description);
    let mut deadline = Instant::now() + limit;
    let mut asked_to_stop = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.updates.recv_timeout(left) {
            Ok(PaymentUpdate::Progress(_) | PaymentUpdate::ShowQr(_)) => {}
            Ok(PaymentUpdate::Approved {
                transaction_id,
                amount,
            }) => {
                return Ok(Answer::Approved {
                    transaction_id: Some(transaction_id),
                    amount,
                });
            }
            Ok(PaymentUpdate::Declined { reason, .. }) => {
                return Ok(Answer::Failed {
                    why: Failure::Declined,
                    detail: reason,
                });
            }
            Ok(PaymentUpdate::Cancelled) => {
                return Ok(Answer::Failed {
                    why: Failure::Cancelled,
                    detail: String::new(),
                });
            }
            Err(RecvTimeoutError::Timeout) if !asked_to_stop => {
                running.cancel.store(true, Ordering::SeqCst);
                asked_to_stop = true;
                deadline = Instant::now() + Duration::from_secs(10);
            }
            Ok(PaymentUpdate::TimedOut) | Err(_) => {
                return confirm(provider, reference, amount);
            }
        }
    }
}
