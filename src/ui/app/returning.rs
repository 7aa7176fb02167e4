//! The cashier's returns, driven from the returns screen: the ledger is
//! asked about the sale and holds its units, the provider refunds, the till
//! saves the Returkvittering — each wait off the UI thread, each refusal
//! said, and a refund that went through never asked of the provider again.

use super::returns::{self, Stage};
use super::*;
use crate::domain::receipt_link::ReceiptLink;
use crate::till::{Original, ReturnPlan, ReturnRefusal};

impl App {
    pub(super) fn show_returns(&mut self) -> Task<Message> {
        match self.till.may_return() {
            Ok(()) => {
                self.screen = Screen::Returns(returns::State::default());
                iced::widget::operation::focus(returns::FIELD)
            }
            Err(r) => {
                self.return_refused(r);
                Task::none()
            }
        }
    }

    fn returns_state(&mut self) -> Option<&mut returns::State> {
        match &mut self.screen {
            Screen::Returns(state) => Some(state),
            _ => None,
        }
    }

    fn return_refused(&mut self, r: ReturnRefusal) {
        let why = text::return_refusal(self.lang, &r);
        match self.returns_state() {
            Some(state) => {
                state.error = Some(why.clone());
                self.say(why, true);
            }
            None => self.say(why, true),
        }
    }

    /// A typed number or a scanned receipt QR: the sale, with what the
    /// ledger knows of returns made of it elsewhere.
    pub(super) fn find_return(&mut self, query: String) -> Task<Message> {
        let base = self.settings.receipt_url.clone();
        let (till, number, link) = match self.till.return_query(&query, &base) {
            Ok(found) => found,
            Err(r) => {
                self.return_refused(r);
                return Task::none();
            }
        };
        if let Some(state) = self.returns_state() {
            state.query = query;
            state.stage = Stage::Looking;
            state.error = None;
        }
        let Some(ledger) = self.reserver.clone() else {
            return self.return_found(till, number, link, Original::Unreachable);
        };
        Task::perform(
            async move {
                let asked = till.clone();
                let original = tokio::task::spawn_blocking(move || ledger.original(&asked, number))
                    .await
                    .unwrap_or(Original::Unreachable);
                (till, number, link, original)
            },
            |(till, number, link, original)| {
                Message::ReturnFound(till, number, link.map(Box::new), original)
            },
        )
    }

    pub(super) fn return_found(
        &mut self,
        till: String,
        number: u64,
        link: Option<ReceiptLink>,
        original: Original,
    ) -> Task<Message> {
        let found = self.till.returnable(&till, number, link.as_ref(), original);
        let Some(state) = self.returns_state() else {
            return Task::none();
        };
        match found {
            Ok(of) => {
                state.stage = Stage::Choose {
                    units: vec![0; of.lines.len()],
                    of: Box::new(of),
                };
            }
            Err(r) => {
                state.stage = Stage::Find;
                self.return_refused(r);
            }
        }
        Task::none()
    }

    pub(super) fn plan_return(&mut self, units: Vec<(usize, u32)>) {
        let Some(Stage::Choose { of, .. }) = self.returns_state().map(|s| s.stage.clone()) else {
            return;
        };
        let plan = self.till.plan_return(&of, &units).and_then(|plan| {
            // Cash back only what the drawer should hold.
            let held = if plan.tender == Some(TenderKind::Cash) {
                self.drawer_held()
            } else {
                None
            };
            Till::may_pay_out(&plan, held).map(|()| plan)
        });
        match plan {
            Ok(plan) => {
                if let Some(state) = self.returns_state() {
                    state.stage = Stage::Confirm {
                        plan: Box::new(plan),
                    };
                    state.error = None;
                }
            }
            Err(r) => self.return_refused(r),
        }
    }

    /// "Refund": the ledger holds the units (online), the provider
    /// refunds (card, Vipps), the till saves. After a refund that was not
    /// saved, only the save is tried again.
    pub(super) fn refund(&mut self) -> Task<Message> {
        let stage = self.returns_state().map(|s| s.stage.clone());
        match stage {
            Some(Stage::NotSaved {
                plan,
                id,
                reference,
            }) => self.finish_return(id, *plan, reference),
            Some(Stage::Confirm { plan }) => {
                let id = uuid::Uuid::now_v7().simple().to_string();
                if let Some(state) = self.returns_state() {
                    state.stage = Stage::Refunding {
                        plan: plan.clone(),
                        id: id.clone(),
                    };
                    state.error = None;
                }
                let Some(ledger) = self.reserver.clone() else {
                    return self.refund_money(id, *plan);
                };
                let hold = plan.hold(&id);
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || ledger.hold_return(&hold))
                            .await
                            .unwrap_or(Reserve::Unreachable)
                    },
                    move |answer| Message::ReturnHeld(id.clone(), answer),
                )
            }
            _ => Task::none(),
        }
    }

    /// The plan of refund `id`, while it is the one under way on screen.
    fn refunding(&mut self, id: &str) -> Option<ReturnPlan> {
        match self.returns_state().map(|s| &s.stage) {
            Some(Stage::Refunding { plan, id: running }) if running == id => Some((**plan).clone()),
            _ => None,
        }
    }

    /// The ledger's answer to the hold: refused units stay where they are;
    /// no answer means the till decides from its own books (offline).
    pub(super) fn return_held(&mut self, id: String, answer: Reserve) -> Task<Message> {
        let Some(plan) = self.refunding(&id) else {
            return Task::none();
        };
        match answer {
            Reserve::Refused(reason) => {
                let why = match reason.as_str() {
                    "already_returned" => ReturnRefusal::ReturnedElsewhere,
                    _ => ReturnRefusal::NoSuchSale,
                };
                if let Some(state) = self.returns_state() {
                    state.stage = Stage::Find;
                }
                self.return_refused(why);
                Task::none()
            }
            Reserve::Ok | Reserve::Unreachable => self.refund_money(id, plan),
        }
    }

    fn refund_money(&mut self, id: String, plan: ReturnPlan) -> Task<Message> {
        let Some((reference, amount)) = plan.refund_at_provider().map(|(r, a)| (r.to_string(), a))
        else {
            return self.finish_return(id, plan, None);
        };
        if let Err(e) = self.till.refund_started(&id, &plan, self.wall()) {
            self.fail(&e);
            if let Some(state) = self.returns_state() {
                state.stage = Stage::Confirm {
                    plan: Box::new(plan),
                };
            }
            return Task::none();
        }
        let provider = match plan.tender {
            Some(TenderKind::Vipps) => self.providers.vipps.clone(),
            _ => self.providers.card.clone(),
        };
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    provider
                        .refund(&reference, amount)
                        .map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            },
            move |result| Message::Refunded(id.clone(), result),
        )
    }

    pub(super) fn refunded(
        &mut self,
        id: String,
        result: Result<Option<String>, String>,
    ) -> Task<Message> {
        let Some(plan) = self.refunding(&id) else {
            return Task::none();
        };
        match result {
            Ok(reference) => self.finish_return(id, plan, reference),
            Err(why) => {
                eprintln!("kasse: refund {id} failed: {why}");
                let text = format!(
                    "{}: {why}",
                    tr(self.lang, "The refund was refused; nothing was returned")
                );
                if let Some(state) = self.returns_state() {
                    state.stage = Stage::Confirm {
                        plan: Box::new(plan),
                    };
                    state.error = Some(text.clone());
                }
                self.say(text, true);
                Task::none()
            }
        }
    }

    /// Saves the return and prints its Returkvittering; cash comes from
    /// the drawer (journaled as the drawer opening it is).
    fn finish_return(
        &mut self,
        id: String,
        plan: ReturnPlan,
        reference: Option<String>,
    ) -> Task<Message> {
        let now = self.wall();
        match self.till.commit_return(&id, &plan, reference.clone(), now) {
            Ok(receipt) => {
                if plan.tender == Some(TenderKind::Cash)
                    && let Err(e) = self.till.open_drawer(now)
                {
                    self.fail(&e);
                }
                self.last_receipt = Some((SaleKind::Return, receipt.number));
                let rows = self.receipt_rows(&receipt, SaleKind::Return, false);
                let bytes = print::to_escpos(&rows);
                self.printed.push(bytes.clone());
                if let Some(state) = self.returns_state() {
                    state.stage = Stage::Done(print::to_text(&rows));
                    state.error = None;
                }
                self.say(tr(self.lang, "Returned and saved"), false);
                if self.settings.printer == crate::config::PrinterTarget::Screen {
                    return Task::none();
                }
                self.print(bytes)
            }
            Err(e) => {
                self.fail(&e);
                let stage = if plan.refund_at_provider().is_some() {
                    Stage::NotSaved {
                        plan: Box::new(plan),
                        id,
                        reference,
                    }
                } else {
                    Stage::Confirm {
                        plan: Box::new(plan),
                    }
                };
                if let Some(state) = self.returns_state() {
                    state.stage = stage;
                }
                Task::none()
            }
        }
    }
}
