//! The payment flow of the kiosk: settling the sale, the reservation at the
//! ledger, the provider's updates, confirmation by reference when it goes
//! silent, reversal, and the receipt once paid (spec/payments.md). The till
//! decides; this only routes its outcomes to the payment screen.

use super::*;

impl App {
    /// The customer or cashier is ready to pay: the bonus question first
    /// (asked by the till from the sale as it is now), then the tenders.
    pub(super) fn pay(&mut self) -> Task<Message> {
        if self.till.tendering().is_some() {
            self.refuse(Reason::PaymentInProgress);
            return Task::none();
        }
        if self.till.sale().lines.is_empty() {
            self.refuse(Reason::NoOpenSale);
            return Task::none();
        }
        match self.till.bonus_question(self.wall()) {
            Ok(Some((balance, amount))) => {
                self.screen = Screen::Bonus(bonus::State {
                    balance,
                    amount,
                    total: self.till.sale().total(),
                });
                Task::none()
            }
            Ok(None) => self.show_payment(),
            Err(e) => {
                self.fail(&e);
                Task::none()
            }
        }
    }

    pub(super) fn show_payment(&mut self) -> Task<Message> {
        let state = match self.payment_state() {
            Ok(state) => state,
            Err(e) => {
                self.fail(&e);
                return Task::none();
            }
        };
        // Coupons, clips or bonus cover it all: nothing for a terminal to do.
        if !state.due_exact.is_positive() {
            return self.tender(TenderKind::Card, None);
        }
        self.screen = Screen::Payment(state);
        Task::none()
    }

    /// The payment screen for the sale as it is, at its first stage.
    pub(super) fn payment_state(&self) -> Result<payment::State, TillError> {
        let now = self.wall();
        let card = self.till.quote(TenderKind::Card, now)?;
        let cash = self.till.quote(TenderKind::Cash, now)?;
        Ok(payment::State::new(
            card.due_now(),
            cash.due_now(),
            card.bonus_used,
            self.till.mode() == Mode::Cashier,
        ))
    }

    /// Shows the payment screen (when another screen took its place) at `stage`.
    pub(super) fn set_payment_stage(&mut self, stage: payment::Stage) {
        if !matches!(self.screen, Screen::Payment(_)) {
            match self.payment_state() {
                Ok(state) => self.screen = Screen::Payment(state),
                Err(e) => {
                    self.fail(&e);
                    return;
                }
            }
        }
        if let Screen::Payment(state) = &mut self.screen {
            state.stage = stage;
        }
    }

    /// Starts paying with `kind`: the till settles the sale, writes the
    /// payment intent and freezes the sale; then the provider is asked.
    pub(super) fn tender(&mut self, kind: TenderKind, cash_given: Option<Money>) -> Task<Message> {
        let name = self.providers.for_tender(kind).map_or("cash", |p| p.name());
        let outcome = self.till.begin_payment(kind, cash_given, name, self.wall());
        self.tendered(outcome)
    }

    /// Where a tender went: the ledger, the provider, a receipt or a refusal.
    pub(super) fn tendered(&mut self, outcome: Result<Outcome, TillError>) -> Task<Message> {
        match outcome {
            Ok(Outcome::Reserving { reservation }) => {
                let Some(reserver) = self.reserver.clone() else {
                    return Task::none();
                };
                self.set_payment_stage(payment::Stage::Reserving);
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || reserver.reserve(&reservation))
                            .await
                            .unwrap_or(Reserve::Unreachable)
                    },
                    Message::Reserved,
                )
            }
            Ok(Outcome::Tendering {
                intent,
                tender,
                amount,
            }) => match self.providers.for_tender(tender).cloned() {
                Some(provider) => self.start_provider(&provider, intent, tender, amount),
                None => Task::none(),
            },
            Ok(Outcome::Declined {
                tender: TenderKind::Cash,
            }) => {
                self.say(tr(self.lang, "Too little cash"), true);
                Task::none()
            }
            Ok(o) => {
                if let (Outcome::Refused(_), Screen::Payment(state)) = (&o, &mut self.screen) {
                    state.stage = payment::Stage::Choose;
                }
                self.outcome(o);
                Task::none()
            }
            Err(e) => {
                self.fail(&e);
                Task::none()
            }
        }
    }

    pub(super) fn start_provider(
        &mut self,
        provider: &Arc<dyn Provider>,
        intent: String,
        kind: TenderKind,
        amount: Money,
    ) -> Task<Message> {
        let description = format!("{} {}", self.settings.company.name, self.settings.till_id);
        let running = provider.start(amount, &intent, &description);
        self.cancel_payment = Some(Arc::clone(&running.cancel));
        self.set_payment_stage(payment::Stage::Waiting {
            kind,
            progress: None,
            step: 0,
            cancelling: false,
        });
        if let Screen::Payment(state) = &mut self.screen {
            state.vipps_qr = None;
        }
        let limit = Duration::from_millis(self.settings.payment.timeout_ms);
        Task::run(devices::payment_updates(running, limit), move |u| {
            Message::Terminal(intent.clone(), u)
        })
    }

    pub(super) fn terminal_update(
        &mut self,
        intent: String,
        update: PaymentUpdate,
    ) -> Task<Message> {
        let current = self.till.tendering().is_some_and(|t| t.intent == intent);
        let waiting = match &mut self.screen {
            Screen::Payment(state) if current => Some(state),
            _ => None,
        };
        let failed = |why: Failure, detail: String| Answer::Failed { why, detail };
        let answer = match update {
            PaymentUpdate::Progress(p) => {
                if let Some(payment::State {
                    stage: payment::Stage::Waiting { progress, step, .. },
                    ..
                }) = waiting
                {
                    *progress = Some(p);
                    *step = step.saturating_add(1);
                }
                return Task::none();
            }
            PaymentUpdate::ShowQr(url) => {
                if let Some(state) = waiting {
                    state.vipps_qr = payment::qr_image(&url);
                }
                return Task::none();
            }
            PaymentUpdate::Approved {
                transaction_id,
                amount,
            } => Answer::Approved {
                transaction_id: Some(transaction_id),
                amount,
            },
            PaymentUpdate::Declined { why, reason } => {
                return self.answer_declined(intent, failed(Failure::Declined, reason), Some(why));
            }
            PaymentUpdate::Cancelled => failed(Failure::Cancelled, String::new()),
            // The till did not hear how it ended: the provider is asked.
            PaymentUpdate::TimedOut => return self.confirm(intent),
        };
        self.answer(intent, answer)
    }

    /// The provider's final answer, to the till; what came of it on screen.
    pub(super) fn answer(&mut self, intent: String, answer: Answer) -> Task<Message> {
        self.answer_declined(intent, answer, None)
    }

    /// [`App::answer`], with why the provider declined when it said so.
    fn answer_declined(
        &mut self,
        intent: String,
        answer: Answer,
        decline: Option<crate::payments::Decline>,
    ) -> Task<Message> {
        let lang = self.lang;
        let why = match (&answer, decline) {
            (
                Answer::Failed {
                    why: Failure::Declined,
                    ..
                },
                Some(d),
            ) => format!(
                "{}: {}",
                tr(lang, "Payment declined"),
                text::decline(lang, d)
            ),
            (
                Answer::Failed {
                    why: Failure::Declined,
                    ..
                },
                None,
            ) => tr(lang, "Payment declined").to_string(),
            (
                Answer::Failed {
                    why: Failure::Cancelled,
                    ..
                },
                _,
            ) => tr(lang, "Payment cancelled").to_string(),
            (Answer::Failed { .. }, _) => {
                tr(lang, "The terminal did not answer in time").to_string()
            }
            (Answer::Approved { .. }, _) => String::new(),
        };
        let outcome = self
            .till
            .payment_answer(&intent, answer.clone(), self.wall());
        if self.till.tendering().is_none() {
            self.cancel_payment = None;
        }
        let stage = match outcome {
            Ok(Outcome::Paid {
                receipt, change, ..
            }) => {
                self.paid(*receipt, change);
                return Task::none();
            }
            Ok(Outcome::Declined { .. }) => payment::Stage::Failed { why },
            Ok(Outcome::AmountMismatch {
                intent,
                tender,
                asked,
                approved,
            }) => {
                self.say(
                    tr(lang, "Staff: a payment was taken for the wrong amount"),
                    true,
                );
                let stage = payment::Stage::Failed {
                    why: format!(
                        "{} ({} ≠ {})",
                        tr(
                            lang,
                            "The payment was for the wrong amount and is being reversed"
                        ),
                        kr(approved),
                        kr(asked)
                    ),
                };
                self.set_payment_stage(stage);
                return self.reverse(intent, tender, approved);
            }
            // An answer for a payment already settled (a duplicate reply).
            Ok(_) => return Task::none(),
            Err(e) => {
                tracing_error(&e);
                payment::Stage::NotSaved {
                    why: text::till_error(lang, &e).to_string(),
                    intent,
                    answer: Some(answer),
                }
            }
        };
        self.set_payment_stage(stage);
        Task::none()
    }

    /// Asks the provider what became of the running payment `intent` (it
    /// cancels one still pending), off the UI thread.
    pub(super) fn confirm(&mut self, intent: String) -> Task<Message> {
        let Some(t) = self
            .till
            .tendering()
            .filter(|t| t.intent == intent)
            .cloned()
        else {
            return Task::none();
        };
        let Some(provider) = self.providers.for_tender(t.tender).cloned() else {
            return Task::none();
        };
        self.set_payment_stage(payment::Stage::Confirming);
        let reference = intent.clone();
        let lang = self.lang;
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    crate::payments::recover::confirm(provider.as_ref(), &reference, t.amount)
                        .map_err(|e| {
                            eprintln!("kasse: confirming payment {reference}: {e}");
                            text::provider_error(lang, &e).to_string()
                        })
                })
                .await
                .map_err(|e| {
                    eprintln!("kasse: confirming a payment: {e}");
                    tr(lang, "The payment could not be confirmed").to_string()
                })?
            },
            move |result| Message::Confirmed(intent.clone(), result),
        )
    }

    /// Undoes a payment at its provider, off the UI thread.
    pub(super) fn reverse(
        &mut self,
        intent: String,
        tender: TenderKind,
        amount: Money,
    ) -> Task<Message> {
        let Some(provider) = self.providers.for_tender(tender).cloned() else {
            return Task::none();
        };
        let reference = intent.clone();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    provider
                        .reverse(&reference, amount)
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            },
            move |result| Message::Reversed(intent.clone(), result),
        )
    }

    pub(super) fn paid(&mut self, receipt: Receipt, change: Option<Money>) {
        let kind = if self.till.is_training() {
            SaleKind::Training
        } else {
            SaleKind::Sale
        };
        self.last_receipt = Some((kind, receipt.number));
        // A refusal said during the payment ("wait until…") is over now.
        if self.notice.as_ref().is_some_and(|(n, _)| n.refusal) {
            self.notice = None;
        }
        self.screen = Screen::Receipt(receipt::State {
            receipt,
            series: kind,
            change,
            stage: receipt::Stage::Choose,
        });
    }
}
