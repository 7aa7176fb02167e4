//! The payment lifecycle of spec/payments.md, sans I/O: the till settles the
//! sale (bonus question, reservation at the ledger), writes the payment
//! intent and freezes the sale; the caller asks the provider and reports its
//! answer; the sale is committed from the frozen snapshot, once.

use super::{Mode, Outcome, PayRequest, Till, TillError, bonus_to_use};
use crate::domain::receipt::{Payment, Receipt, TenderKind};
use crate::domain::sale::Connection;
use crate::domain::{Money, Reason, Sale};
use crate::store::{
    CompletedSale, Intent, IntentState, JournalEntry, NewIntent, SaleKind, StoreError, codes,
};
use chrono::{DateTime, FixedOffset};

/// What a reservation attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserve {
    Ok,
    /// `coupon_used`, `card_empty` or `bonus_insufficient`.
    Refused(String),
    /// No answer within the timeout: decide offline.
    Unreachable,
}

/// What to reserve before a sale that spends stored value completes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub id: String,
    pub coupons: Vec<String>,
    pub clips: Vec<(String, u32)>,
    pub bonus: Option<(String, Money)>,
}

/// Reserves stored value at the central ledger (spec/ledger-api.md).
pub trait Reserver: Send + Sync {
    fn reserve(&self, reservation: &Reservation) -> Reserve;
    /// An original sale of any till, for a return here.
    fn original(&self, _till: &str, _number: u64) -> super::Original {
        super::Original::Unreachable
    }
    /// Holds units of an original sale for a return (`already_returned`
    /// when some were returned before, at any till).
    fn hold_return(&self, _hold: &super::ReturnHold) -> Reserve {
        Reserve::Unreachable
    }
}

/// A provider's answer to a payment the till asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Approved (Vipps: captured) for `amount`; `transaction_id` is printed.
    Approved {
        transaction_id: Option<String>,
        amount: Money,
    },
    Failed {
        why: Failure,
        detail: String,
    },
}

/// Why a payment ended without money taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Declined,
    Cancelled,
    TimedOut,
    /// Recovery: the provider has no such payment, or it failed there.
    Unknown,
}

impl Failure {
    fn journal_kind(self) -> &'static str {
        match self {
            Failure::Declined => "payment_declined",
            Failure::Cancelled => "payment_cancelled",
            Failure::TimedOut => "payment_timed_out",
            Failure::Unknown => "payment_failed",
        }
    }
}

/// A payment under way at a provider; the sale is frozen until it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tendering {
    /// The intent id: the provider's reference and idempotency key.
    pub intent: String,
    pub tender: TenderKind,
    pub amount: Money,
}

/// The sale as it is committed when its payment is approved: written into
/// the payment intent before the provider is asked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Frozen {
    sale_id: String,
    training: bool,
    mode: String,
    offline: bool,
    operator: Option<String>,
    sale: Sale,
    payment: Payment,
    bonus_earned: Money,
    bonus_balance: Option<Money>,
}

/// A tender waiting for the ledger's answer to its reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pending {
    tender: TenderKind,
    cash_given: Option<Money>,
    provider: String,
    pub(super) reservation: Reservation,
}

impl Till {
    /// Pays the open sale in one call: cash at once; card and Vipps as a
    /// provider that answers `req.approved` straight away (replay without
    /// `[payment]`, tests). Runs the same lifecycle as the kiosk.
    pub fn pay(
        &mut self,
        req: PayRequest,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let outcome = self.begin_payment(req.tender, req.cash_given, "simulator", now)?;
        let Outcome::Tendering { intent, amount, .. } = outcome else {
            return Ok(outcome);
        };
        let answer = if req.approved {
            Answer::Approved {
                transaction_id: req.reference,
                amount,
            }
        } else {
            Answer::Failed {
                why: Failure::Declined,
                detail: "declined".into(),
            }
        };
        self.payment_answer(&intent, answer, now)
    }

    /// The payment under way, if any: the sale is frozen until it ends.
    pub fn tendering(&self) -> Option<&Tendering> {
        self.tendering.as_ref()
    }

    /// Anything that would change the sale is refused while a provider is
    /// taking its payment.
    pub(super) fn frozen(&self) -> Option<Outcome> {
        (self.tendering.is_some() || self.pending.is_some())
            .then_some(Outcome::Refused(Reason::PaymentInProgress))
    }

    /// Reservations go out through the caller (`Reserving` → `reserved`)
    /// instead of a `Reserver` called in place.
    pub fn reserve_through_caller(&mut self) {
        self.reserve_by_caller = true;
    }

    /// The reservation the ledger is being asked for (`Reserving`), if any.
    pub fn reserving(&self) -> Option<&Reservation> {
        self.pending.as_ref().map(|p| &p.reservation)
    }

    /// The ledger's answer to the reservation `Reserving` asked for; the
    /// tender then goes on as `begin_payment` would.
    pub fn reserved(
        &mut self,
        answer: Reserve,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let Some(pending) = self.pending.take() else {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        };
        self.tender_settled(
            pending.tender,
            pending.cash_given,
            &pending.provider,
            Some(answer),
            now,
        )
    }

    /// What the open sale must reserve at the ledger before paying with
    /// `tender` now: None offline, in training, or when it spends nothing.
    fn reservation_needed(
        &mut self,
        tender: TenderKind,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Reservation>, TillError> {
        if self.training || self.connection(now) != Connection::Online {
            return Ok(None);
        }
        let member = self.member_facts()?;
        let bonus_used = bonus_to_use(
            &self.sale,
            self.training,
            &self.limits,
            member.as_ref(),
            now.date_naive(),
            Connection::Online,
        );
        let payment = Payment::plan(self.sale.total(), bonus_used, tender);
        let spends = self.sale.coupons().next().is_some()
            || self.sale.clips().next().is_some()
            || payment.bonus_used.is_positive();
        if !spends {
            return Ok(None);
        }
        let mut clips: Vec<(String, u32)> = Vec::new();
        for card in self.sale.clips() {
            match clips.iter_mut().find(|(c, _)| c == card) {
                Some((_, n)) => *n = n.saturating_add(1),
                None => clips.push((card.to_string(), 1)),
            }
        }
        let id = self
            .sale_id
            .get_or_insert_with(|| uuid::Uuid::now_v7().simple().to_string())
            .clone();
        Ok(Some(Reservation {
            id,
            coupons: self.sale.coupons().map(str::to_string).collect(),
            clips,
            bonus: self
                .sale
                .member
                .clone()
                .filter(|_| payment.bonus_used.is_positive())
                .map(|m| (m, payment.bonus_used)),
        }))
    }

    /// Starts paying the open sale with `tender` (spec/payments.md): asks the
    /// bonus question first (self-service), reserves stored value online,
    /// then either completes at once (cash, or nothing left to pay) or writes
    /// a payment intent, freezes the sale and returns `Tendering`: the caller
    /// asks `provider` for the amount and reports its answer to
    /// `payment_answer`.
    pub fn begin_payment(
        &mut self,
        tender: TenderKind,
        cash_given: Option<Money>,
        provider: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if self.sale.lines.is_empty() {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let allowed = match tender {
            TenderKind::Bonus => false,
            TenderKind::Cash => self.mode == Mode::Cashier,
            TenderKind::Card | TenderKind::Vipps => true,
        };
        if !allowed {
            return Ok(Outcome::Refused(Reason::NotAllowedInMode));
        }
        if let Some((balance, amount)) = self.bonus_question(now)? {
            return Ok(Outcome::BonusOffered { balance, amount });
        }
        // Online, stored value is reserved at the ledger before any provider
        // is asked, so two tills cannot spend the same coupon or last clip.
        let mut answer = None;
        if (self.reserve_by_caller || self.reserver.is_some())
            && let Some(reservation) = self.reservation_needed(tender, now)?
        {
            if self.reserve_by_caller {
                self.pending = Some(Pending {
                    tender,
                    cash_given,
                    provider: provider.to_string(),
                    reservation: reservation.clone(),
                });
                return Ok(Outcome::Reserving { reservation });
            }
            answer = self.reserver.as_ref().map(|r| r.reserve(&reservation));
        }
        self.tender_settled(tender, cash_given, provider, answer, now)
    }

    /// The tender once its reservation (if any) is answered.
    fn tender_settled(
        &mut self,
        tender: TenderKind,
        cash_given: Option<Money>,
        provider: &str,
        reserved: Option<Reserve>,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let frozen = match self.settle(tender, reserved, now)? {
            Ok(frozen) => frozen,
            Err(refused) => return Ok(refused),
        };
        let due = frozen.payment.due_now();
        if frozen.payment.tender.is_none() || tender == TenderKind::Cash {
            let mut change = None;
            if tender == TenderKind::Cash && frozen.payment.tender.is_some() {
                let given = cash_given.unwrap_or(due);
                if given < due {
                    return Ok(Outcome::Declined { tender });
                }
                change = given.checked_sub(due);
            }
            let receipt = self.commit(&frozen, None, now)?;
            return Ok(Outcome::Paid {
                receipt: Box::new(receipt),
                tender: frozen.payment.tender.as_ref().map(|t| t.kind),
                amount: due,
                change,
            });
        }
        let intent = uuid::Uuid::now_v7().simple().to_string();
        let snapshot = serde_json::to_string(&frozen)
            .map_err(|e| StoreError::Corrupt(format!("the frozen sale: {e}")))?;
        self.store
            .open_intent(&NewIntent {
                id: &intent,
                sale_id: &frozen.sale_id,
                tender,
                amount: due,
                provider,
                at: now,
                snapshot,
                operator: self.operator.clone(),
            })
            .map_err(|source| TillError::NotStarted {
                sale: frozen.sale_id.clone(),
                source,
            })?;
        self.tendering = Some(Tendering {
            intent: intent.clone(),
            tender,
            amount: due,
        });
        Ok(Outcome::Tendering {
            intent,
            tender,
            amount: due,
        })
    }

    /// The bonus question self-service asks before any payment choice, when
    /// it has not been answered yet: (balance, amount it would take off).
    pub fn bonus_question(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<(Money, Money)>, TillError> {
        if self.mode != Mode::SelfService || self.sale.bonus_answer.is_some() {
            return Ok(None);
        }
        self.bonus_offer(now)
    }

    /// Everything the amount due depends on, settled: bonus, reservation at
    /// the ledger (online), the payment plan and the bonus earned.
    fn settle(
        &mut self,
        tender: TenderKind,
        reserved: Option<Reserve>,
        now: DateTime<FixedOffset>,
    ) -> Result<Result<Frozen, Outcome>, TillError> {
        let today = now.date_naive();
        let mut connection = self.connection(now);
        let member = self.member_facts()?;
        let student = !self.training && member.as_ref().is_some_and(|m| m.is_student_on(today));
        let balance = member.as_ref().map_or(Money::ZERO, |m| m.bonus);
        let total = self.sale.total();
        let (sale_now, training, limits) = (&self.sale, self.training, &self.limits);
        let bonus_for = |connection| {
            bonus_to_use(
                sale_now,
                training,
                limits,
                member.as_ref(),
                today,
                connection,
            )
        };
        let mut bonus_used = bonus_for(connection);
        let sale_id = self
            .sale_id
            .get_or_insert_with(|| uuid::Uuid::now_v7().simple().to_string())
            .clone();
        match reserved {
            None | Some(Reserve::Ok) => {}
            Some(Reserve::Refused(reason)) => {
                return Ok(Err(Outcome::Refused(match reason.as_str() {
                    "coupon_used" => Reason::CouponUsed,
                    "card_empty" => Reason::CardEmpty,
                    _ => Reason::BonusNotAvailable,
                })));
            }
            Some(Reserve::Unreachable) => {
                // The ledger does not answer in time: decide offline.
                self.link.online = false;
                connection = self.connection(now);
                if matches!(connection, Connection::Offline { too_long: true }) {
                    return Ok(Err(Outcome::Refused(Reason::OfflineTooLong)));
                }
                let mut cards: Vec<&str> = self.sale.clips().collect();
                cards.sort_unstable();
                if cards.windows(2).any(|w| w[0] == w[1]) {
                    return Ok(Err(Outcome::Refused(Reason::OfflineTooLong)));
                }
                bonus_used = bonus_for(connection);
            }
        }
        let payment = Payment::plan(total, bonus_used, tender);
        let bonus_earned = if student {
            self.sale
                .bonus_earned(&self.catalog, today)
                .ok_or(TillError::Overflow)?
        } else {
            Money::ZERO
        };
        let bonus_balance = match &self.sale.member {
            None => None,
            Some(_) => Some(
                balance
                    .checked_sub(bonus_used)
                    .and_then(|b| b.checked_add(bonus_earned))
                    .ok_or(TillError::Overflow)?,
            ),
        };
        Ok(Ok(Frozen {
            sale_id,
            training: self.training,
            mode: self.mode.code().to_string(),
            offline: connection.is_offline(),
            operator: self.operator.clone(),
            sale: self.sale.clone(),
            payment,
            bonus_earned,
            bonus_balance,
        }))
    }

    /// Writes a frozen sale; with `paid`, as the sale of that intent.
    fn commit(
        &mut self,
        frozen: &Frozen,
        paid: Option<(&str, Option<&str>, Money)>,
        now: DateTime<FixedOffset>,
    ) -> Result<Receipt, TillError> {
        let mut payment = frozen.payment.clone();
        if let (Some(t), Some((_, Some(reference), _))) = (payment.tender.as_mut(), paid) {
            t.reference = Some(reference.to_string());
        }
        let done = CompletedSale {
            id: frozen.sale_id.clone(),
            kind: if frozen.training {
                SaleKind::Training
            } else {
                SaleKind::Sale
            },
            original_sale: None,
            at: now,
            mode: Mode::parse(&frozen.mode).unwrap_or(self.mode).code(),
            offline: frozen.offline,
            operator: frozen.operator.clone(),
            sale: &frozen.sale,
            payment: &payment,
            bonus_earned: frozen.bonus_earned,
            bonus_balance: frozen.bonus_balance,
        };
        let written = match paid {
            Some((intent, reference, amount)) => {
                self.store
                    .commit_intent(intent, &done, reference.unwrap_or(intent), amount)
            }
            None => self.store.commit_sale(&done),
        };
        let receipt = written.map_err(|source| TillError::NotSaved {
            sale: frozen.sale_id.clone(),
            source,
        })?;
        if self.sale_id.as_deref() == Some(frozen.sale_id.as_str()) {
            self.reset_sale();
            // The sale is saved: master data that came meanwhile takes
            // effect now; failing that, it stays pending for the next end.
            if let Err(e) = self.master_data_takes_effect(now) {
                eprintln!("kasse: new master data not in effect yet: {e}");
            }
        }
        Ok(receipt)
    }

    /// The provider's answer for payment `intent` (from the running payment,
    /// or from recovery after a restart). Approved for the amount asked →
    /// the frozen sale is committed with it, once. Approved for another
    /// amount → `AmountMismatch` (the caller reverses it at the provider and
    /// reports `payment_reversed`); the sale stays open. Failed → the intent
    /// is closed and the sale is open and unchanged. An answer for an intent
    /// already resolved changes nothing (`NoOpenSale`).
    pub fn payment_answer(
        &mut self,
        intent: &str,
        answer: Answer,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let Some(stored) = self.store.intent(intent)? else {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        };
        if stored.state != IntentState::Open {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let current = self.tendering.as_ref().is_some_and(|t| t.intent == intent);
        let entry = |kind: &'static str, detail: serde_json::Value| JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::OTHER,
            kind,
            sale_id: Some(stored.sale_id.clone()),
            detail,
        };
        match answer {
            Answer::Approved {
                transaction_id,
                amount,
            } if amount == stored.amount => {
                let frozen: Frozen = serde_json::from_str(&stored.snapshot)
                    .map_err(|e| StoreError::Corrupt(format!("payment {intent}: {e}")))?;
                let receipt = self.commit(
                    &frozen,
                    Some((intent, transaction_id.as_deref(), amount)),
                    now,
                )?;
                Ok(Outcome::Paid {
                    receipt: Box::new(receipt),
                    tender: Some(stored.tender),
                    amount,
                    change: None,
                })
            }
            Answer::Approved {
                transaction_id,
                amount,
            } => {
                let reference = transaction_id.unwrap_or_else(|| intent.to_string());
                self.store.close_intent(
                    intent,
                    IntentState::ReversalPending,
                    Some((&reference, amount)),
                    &entry(
                        "payment_amount_mismatch",
                        serde_json::json!({"intent": intent, "asked": stored.amount, "approved": amount, "transaction": reference}),
                    ),
                )?;
                if current {
                    self.tendering = None;
                }
                Ok(Outcome::AmountMismatch {
                    intent: intent.to_string(),
                    tender: stored.tender,
                    asked: stored.amount,
                    approved: amount,
                })
            }
            Answer::Failed { why, detail } => {
                self.store.close_intent(
                    intent,
                    IntentState::Failed,
                    None,
                    &entry(
                        why.journal_kind(),
                        serde_json::json!({"intent": intent, "tender": stored.tender.code(), "amount": stored.amount, "detail": detail}),
                    ),
                )?;
                if current {
                    self.tendering = None;
                }
                Ok(Outcome::Declined {
                    tender: stored.tender,
                })
            }
        }
    }

    /// The provider reversed payment `intent` after an amount mismatch.
    pub fn payment_reversed(
        &mut self,
        intent: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, TillError> {
        Ok(self.store.close_intent(
            intent,
            IntentState::Reversed,
            None,
            &JournalEntry {
                at: now,
                operator: self.operator.clone(),
                code: codes::OTHER,
                kind: "payment_reversed",
                sale_id: None,
                detail: serde_json::json!({"intent": intent}),
            },
        )?)
    }

    /// Payment intents still waiting for their provider's answer or action
    /// (recovery resolves them at every start).
    pub fn unresolved_payments(&self) -> Result<Vec<Intent>, TillError> {
        Ok(self.store.intents(true)?)
    }
}
