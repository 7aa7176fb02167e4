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

    /// An update from the provider taking payment `intent`: the payment
    /// screen shows it, or asks for the till or the provider.
    pub(super) fn terminal_update(
        &mut self,
        intent: String,
        update: PaymentUpdate,
    ) -> Task<Message> {
        let current = self.till.tendering().is_some_and(|t| t.intent == intent);
        let state = match &mut self.screen {
            Screen::Payment(state) if current => Some(state),
            _ => None,
        };
        let next = payment::provider(state, update);
        self.next_payment(intent, next)
    }

    /// Does what the payment screen asks next.
    pub(super) fn next_payment(&mut self, intent: String, next: payment::Next) -> Task<Message> {
        match next {
            payment::Next::Nothing => Task::none(),
            payment::Next::Answer(answer, decline) => self.answer(intent, answer, decline),
            payment::Next::Confirm => self.confirm(intent),
            payment::Next::Receipt(receipt, change) => {
                self.paid(*receipt, change);
                Task::none()
            }
            payment::Next::Reverse {
                intent,
                tender,
                approved,
            } => {
                self.say(
                    tr(self.lang, "Staff: a payment was taken for the wrong amount"),
                    true,
                );
                self.reverse(intent, tender, approved)
            }
        }
    }

    /// The provider's final answer, to the till; the payment screen says
    /// what came of it.
    fn answer(
        &mut self,
        intent: String,
        answer: Answer,
        decline: Option<crate::payments::Decline>,
    ) -> Task<Message> {
        let outcome = self
            .till
            .payment_answer(&intent, answer.clone(), self.wall());
        if self.till.tendering().is_none() {
            self.cancel_payment = None;
        }
        let (stage, next) = payment::settled(self.lang, intent.clone(), answer, decline, outcome);
        if let Some(stage) = stage {
            self.set_payment_stage(stage);
        }
        self.next_payment(intent, next)
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
        // The receipt screen's own time (receipt::LEAVE_AFTER) starts now.
        self.idle.input(self.now);
        self.screen = Screen::Receipt(receipt::State {
            receipt,
            series: kind,
            change,
            stage: receipt::Stage::Choose,
        });
    }

    /// Tells staff what recovery did at start: a payment approved while the
    /// till was down is a late completion with its receipt.
    pub fn recovered(&mut self, done: &[crate::payments::recover::Resolved]) {
        use crate::payments::recover::Resolution;
        self.status.recovered = done
            .iter()
            .filter_map(|r| match r.resolution {
                Resolution::Committed { receipt } => Some(receipt),
                _ => None,
            })
            .collect();
        let late: Vec<String> = self.status.recovered.iter().map(u64::to_string).collect();
        if !late.is_empty() {
            self.say(
                format!(
                    "{}: {}",
                    tr(self.lang, "Completed after a restart, receipt"),
                    late.join(", ")
                ),
                false,
            );
        }
    }

    /// The customer's answer to the bonus question; then (self-service) the tenders.
    pub(super) fn bonus(&mut self, accept: bool) -> Task<Message> {
        match self.till.answer_bonus(accept, self.wall()) {
            Ok(outcome) => {
                let cashier = self.till.mode() == Mode::Cashier;
                self.outcome(outcome);
                if !cashier {
                    return self.show_payment();
                }
            }
            Err(e) => self.fail(&e),
        }
        Task::none()
    }

    /// Asks the running payment to stop; the payment screen says so.
    pub(super) fn cancel_payment(&mut self) {
        if let Some(cancel) = &self.cancel_payment {
            cancel.store(true, Ordering::SeqCst);
        }
        if let Screen::Payment(state) = &mut self.screen {
            state.cancelling();
        }
    }

    /// "Try again" on a payment whose sale could not be saved.
    pub(super) fn retry_save(&mut self) -> Task<Message> {
        match &self.screen {
            Screen::Payment(state) => match state.retry() {
                Some((intent, next)) => self.next_payment(intent, next),
                None => Task::none(),
            },
            _ => Task::none(),
        }
    }

    /// The provider could not be asked what became of payment `intent`: it
    /// stays open, and "Try again" asks again.
    pub(super) fn not_confirmed(&mut self, intent: String, why: String) {
        eprintln!("kasse: payment not confirmed: {why}");
        self.set_payment_stage(payment::Stage::NotSaved {
            why,
            intent,
            answer: None,
        });
    }

    /// The provider's answer to a reversal; the till journals one that went through.
    pub(super) fn reversed(&mut self, intent: String, result: Result<(), String>) {
        match result {
            Ok(()) => {
                if let Err(e) = self.till.payment_reversed(&intent, self.wall()) {
                    self.fail(&e);
                }
            }
            Err(e) => eprintln!(
                "kasse: payment {intent} could not be reversed: {e} (kasse payments reconcile retries)"
            ),
        }
    }
}
