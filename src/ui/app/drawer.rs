//! The cashier's drawer in the kiosk (`screen::cash`, `till::cash`): the
//! opening float asked at the first login of a period, cash in and out
//! from the reports screen, the count before the Z report, and the
//! shut-down journaled when the window closes.

use super::*;
use crate::domain::cash::{Direction, Refusal};
use crate::till::CashError;
use crate::ui::screen::cash;

impl App {
    /// After a cashier's login: the register, or first the opening float
    /// when none was counted in since the last Z report.
    pub(super) fn after_login(&mut self) -> Task<Message> {
        let needs = self.till.needs_float().unwrap_or_else(|e| {
            self.fail(&e);
            false
        });
        if needs {
            self.screen = Screen::Cash(cash::State::new(cash::Purpose::Float));
            return Task::none();
        }
        self.home();
        iced::widget::operation::focus(register::SEARCH)
    }

    pub(super) fn cash_message(&mut self, m: cash::Message) -> Task<Message> {
        self.idle.input(self.now);
        let Screen::Cash(state) = &mut self.screen else {
            return Task::none();
        };
        let other = m == cash::Message::Reason(crate::domain::cash::Reason::Other);
        match state.update(m) {
            Some(action) => self.act(action),
            // "Other" takes the cashier's words: the note field gets the keys.
            None if other => iced::widget::operation::focus(cash::NOTE),
            None => Task::none(),
        }
    }

    /// A refusal on the drawer's screen, or a till error as a notice.
    fn cash_failed(&mut self, e: CashError) {
        match e {
            CashError::Refused(r) => self.cash_refused(r),
            CashError::Till(e) => self.fail(&e),
        }
    }

    fn cash_refused(&mut self, r: Refusal) {
        match &mut self.screen {
            Screen::Cash(state) => state.error = Some(r),
            _ => self.say(text::cash_refusal(self.lang, r), true),
        }
    }

    /// The drawer's actions.
    pub(super) fn drawer(&mut self, action: Action) -> Task<Message> {
        let now = self.wall();
        let look = self.look();
        match action {
            Action::Float(amount) => match self.till.record_float(amount, now) {
                Ok(amount) => {
                    let what = tr(self.lang, "Opening float recorded");
                    self.say(format!("{what}: {}", kr(amount)), false);
                    self.home();
                    return iced::widget::operation::focus(register::SEARCH);
                }
                Err(e) => self.cash_failed(e),
            },
            Action::Cash(dir) => match self.till.mode() {
                Mode::Cashier if self.till.is_training() => self.cash_refused(Refusal::Training),
                Mode::Cashier => {
                    let mut state = cash::State::new(cash::Purpose::Move(dir));
                    if dir == Direction::Out {
                        state.held = self.drawer_held();
                    }
                    self.screen = Screen::Cash(state);
                }
                Mode::SelfService => self.cash_refused(Refusal::NoDrawer),
            },
            Action::MoveCash {
                dir,
                amount,
                reason,
                note,
            } => {
                let held = match dir {
                    Direction::Out => self.drawer_held(),
                    Direction::In => None,
                };
                match self.till.move_cash(dir, amount, (reason, &note), held, now) {
                    Ok(amount) => {
                        let what = match dir {
                            Direction::In => tr(self.lang, "Cash in recorded"),
                            Direction::Out => tr(self.lang, "Cash out recorded"),
                        };
                        let mut why = reason.name(dir, self.lang).to_string();
                        if !note.trim().is_empty() {
                            why = format!("{why} – {}", note.trim());
                        }
                        self.say(format!("{what}: {}", kr(amount)), false);
                        self.screen = Screen::Reports(reports::State {
                            shown: Some(cash::slip(look, what, amount, Some(why))),
                            ..Default::default()
                        });
                    }
                    Err(e) => self.cash_failed(e),
                }
            }
            Action::Counted(amount) => match crate::domain::cash::check(amount, true) {
                Ok(counted) => {
                    self.screen = Screen::Reports(reports::State {
                        confirm_z: true,
                        counted: Some(counted),
                        ..Default::default()
                    })
                }
                Err(r) => self.cash_refused(r),
            },
            _ => {}
        }
        Task::none()
    }

    /// What the drawer should hold now (float, cash taken and given back,
    /// cash in and out since the last Z); None, and the failure said, when
    /// the books cannot be read.
    pub(super) fn drawer_held(&mut self) -> Option<Money> {
        let catalog = self.till.catalog().clone();
        match crate::compliance::export::drawer_now(self.till.store(), &catalog, self.wall()) {
            Ok(held) => held,
            Err(e) => {
                eprintln!("kasse: drawer: {e}");
                self.say(text::report_error(self.lang, &e), true);
                None
            }
        }
    }

    /// The Z button: at an operated till the cash is counted first; No
    /// forgets the count.
    pub(super) fn ask_z(&mut self, ask: bool) {
        if ask && self.till.mode() == Mode::Cashier {
            self.screen = Screen::Cash(cash::State::new(cash::Purpose::Count));
        } else if let Screen::Reports(state) = &mut self.screen {
            state.confirm_z = ask;
            state.counted = None;
        }
    }

    /// The window is closing: the shut-down is journaled (13002), then the
    /// application exits.
    pub(super) fn closing(&mut self) -> Task<Message> {
        if let Err(e) = self.till.shut_down(self.wall()) {
            tracing_error(&e);
        }
        iced::exit()
    }
}
