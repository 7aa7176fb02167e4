//! Recovery (spec/payments.md): every entry point that opens a till database
//! first resolves the payment intents a crash or power loss left open, by
//! asking each one's provider by reference. Never two sales for one intent
//! (the store refuses a second commit); never a sale without its approval.

use super::{Provider, ProviderStatus};
use crate::domain::Money;
use crate::store::{Intent, IntentState};
use crate::till::{Answer, Failure, Outcome, Till, TillError};
use chrono::{DateTime, FixedOffset};
use std::fmt;
use std::sync::Arc;

/// What recovery did with one intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Approved at the provider: the sale was committed (a late completion).
    Committed { receipt: u64 },
    /// Failed, unknown or cancelled at the provider: closed as failed.
    Failed { why: String },
    /// Approved for another amount than asked, then reversed.
    Reversed,
    /// The provider did not answer (or the sale could not be written): the
    /// intent stays open and the next start or `kasse payments reconcile`
    /// tries again.
    LeftOpen { why: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub intent: String,
    pub provider: String,
    pub amount: Money,
    pub resolution: Resolution,
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.resolution {
            Resolution::Committed { receipt } => {
                format!("approved: sale committed late as receipt {receipt}")
            }
            Resolution::Failed { why } => format!("closed as failed ({why})"),
            Resolution::Reversed => "wrong amount: reversed at the provider".to_string(),
            Resolution::LeftOpen { why } => format!("left open: {why}"),
        };
        write!(
            f,
            "payment {} ({}, {} NOK): {what}",
            self.intent, self.provider, self.amount
        )
    }
}

/// Finds the provider that took an intent, by the name it was written with.
pub type Lookup<'a> = &'a dyn Fn(&Intent) -> Option<Arc<dyn Provider>>;

/// Resolves every unresolved intent of `till`, oldest first.
pub fn recover(
    till: &mut Till,
    providers: Lookup<'_>,
    now: DateTime<FixedOffset>,
) -> Result<Vec<Resolved>, TillError> {
    let mut done = Vec::new();
    for intent in till.unresolved_payments()? {
        let resolution = match providers(&intent) {
            None => Resolution::LeftOpen {
                why: format!("no provider `{}` is configured", intent.provider),
            },
            Some(provider) => resolve(till, provider.as_ref(), &intent, now)?,
        };
        done.push(Resolved {
            intent: intent.id.clone(),
            provider: intent.provider.clone(),
            amount: intent.amount,
            resolution,
        });
    }
    Ok(done)
}

/// What became of payment `reference` when the till did not hear its end
/// (a crash, a timeout, a dropped reply): the provider is asked by reference;
/// a payment still pending is cancelled first, so it can never be approved
/// after the till has given up on it. An error means nothing is known yet:
/// the intent must stay open.
pub fn confirm(
    provider: &dyn Provider,
    reference: &str,
    amount: Money,
) -> Result<Answer, super::ProviderError> {
    let failed = |why: Failure, detail: &str| Answer::Failed {
        why,
        detail: detail.to_string(),
    };
    Ok(match provider.status(reference)? {
        ProviderStatus::Approved {
            transaction_id,
            amount,
        } => Answer::Approved {
            transaction_id: Some(transaction_id),
            amount,
        },
        ProviderStatus::Pending => {
            provider.reverse(reference, amount)?;
            // The cancel may cross an approval: what the provider says now wins.
            match provider.status(reference)? {
                ProviderStatus::Approved {
                    transaction_id,
                    amount,
                } => Answer::Approved {
                    transaction_id: Some(transaction_id),
                    amount,
                },
                _ => failed(
                    Failure::Cancelled,
                    "not finished: cancelled at the provider",
                ),
            }
        }
        ProviderStatus::Failed => failed(Failure::Unknown, "failed at the provider"),
        ProviderStatus::Unknown => failed(Failure::Unknown, "unknown at the provider"),
    })
}

fn resolve(
    till: &mut Till,
    provider: &dyn Provider,
    intent: &Intent,
    now: DateTime<FixedOffset>,
) -> Result<Resolution, TillError> {
    let id = intent.id.as_str();
    if intent.state == IntentState::ReversalPending {
        let amount = intent.approved_amount.unwrap_or(intent.amount);
        return reverse(till, provider, id, amount, now);
    }
    let answer = match confirm(provider, id, intent.amount) {
        Ok(answer) => answer,
        Err(e) => return Ok(Resolution::LeftOpen { why: e.to_string() }),
    };
    let why = match &answer {
        Answer::Failed { detail, .. } => detail.clone(),
        Answer::Approved { .. } => String::new(),
    };
    match till.payment_answer(id, answer, now) {
        Ok(Outcome::Paid { receipt, .. }) => Ok(Resolution::Committed {
            receipt: receipt.number,
        }),
        Ok(Outcome::AmountMismatch { approved, .. }) => reverse(till, provider, id, approved, now),
        Ok(_) => Ok(Resolution::Failed { why }),
        Err(TillError::NotSaved { source, .. }) => Ok(Resolution::LeftOpen {
            why: format!("approved, but the sale could not be saved: {source}"),
        }),
        Err(e) => Err(e),
    }
}

fn reverse(
    till: &mut Till,
    provider: &dyn Provider,
    id: &str,
    amount: Money,
    now: DateTime<FixedOffset>,
) -> Result<Resolution, TillError> {
    match provider.reverse(id, amount) {
        Ok(()) => {
            till.payment_reversed(id, now)?;
            Ok(Resolution::Reversed)
        }
        Err(e) => Ok(Resolution::LeftOpen {
            why: format!("the reversal failed: {e}"),
        }),
    }
}
