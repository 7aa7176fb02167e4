//! What the till answered, on screen: a notice, a question answered, the
//! next screen.

use super::*;

impl App {
    pub(super) fn cancel_sale(&mut self) {
        match self.till.cancel(self.wall()) {
            Ok(Outcome::Cancelled) => {
                // The next customer's language first: the notice is
                // said in the language of the screen it shows on.
                if self.till.mode() == Mode::SelfService {
                    self.lang = self.settings.lang;
                    self.speech_reset();
                    self.screen = Screen::Welcome;
                } else {
                    self.home();
                }
                self.say(tr(self.lang, "Sale cancelled"), false);
            }
            Ok(outcome) => self.outcome(outcome),
            Err(e) => self.fail(&e),
        }
    }

    pub(super) fn void(&mut self, line: usize) {
        let name = self
            .till
            .sale()
            .lines
            .get(line.wrapping_sub(1))
            .map(|l| l.name.clone());
        match self.till.void(line, self.wall()) {
            Ok(Outcome::Voided { line, sku }) => {
                let name = name.unwrap_or(sku);
                self.say(
                    format!("{} {line}: {name}", tr(self.lang, "Removed line")),
                    false,
                );
            }
            Ok(outcome) => self.outcome(outcome),
            Err(e) => self.fail(&e),
        }
    }

    /// What the till said, on screen.
    pub(super) fn outcome(&mut self, outcome: Outcome) {
        let lang = self.lang;
        match outcome {
            // rules.md: a member not in the cache shops as a non-student,
            // and the screen says so; so does one whose status has lapsed.
            Outcome::Member { member } => {
                let hello = tr(lang, "Hello");
                let said = match self.till.member() {
                    None => format!(
                        "{hello} {member} – {}",
                        tr(lang, "unknown member: no student offers")
                    ),
                    Some(m) if !m.is_student_on(self.wall().date_naive()) => format!(
                        "{hello} {} – {}",
                        m.name,
                        tr(lang, "not a student now: no student offers")
                    ),
                    Some(m) => format!("{hello} {}", m.name),
                };
                self.say(said, false);
                self.show_cart();
            }
            Outcome::Line { sku, amount, .. } => {
                let name = self
                    .till
                    .catalog()
                    .product(&sku)
                    .map_or(sku, |p| p.name.clone());
                self.say(
                    format!("{}: {name} {}", tr(lang, "Added"), kr(amount)),
                    false,
                );
                self.show_cart();
            }
            Outcome::Coupon { coupon, .. } => {
                self.say(format!("{} ({coupon})", tr(lang, "Coupon used")), false);
                self.show_cart();
            }
            Outcome::Clip { clips_left, .. } => {
                self.say(
                    format!(
                        "{}: {clips_left} {}",
                        tr(lang, "Clip used"),
                        tr(lang, "clips left")
                    ),
                    false,
                );
                self.show_cart();
            }
            Outcome::WeightRefused(r) | Outcome::Refused(r) => self.refuse(r),
            Outcome::BonusOffered { balance, amount } => {
                self.screen = Screen::Bonus(bonus::State {
                    balance,
                    amount,
                    total: self.till.sale().total(),
                });
            }
            Outcome::BonusUsed { amount } => {
                self.say(format!("{}: {}", tr(lang, "Bonus used"), kr(amount)), false);
            }
            Outcome::BonusDeclined => {}
            Outcome::Paid {
                receipt, change, ..
            } => self.paid(*receipt, change),
            Outcome::Declined { .. } => {
                if let Screen::Payment(state) = &mut self.screen {
                    state.stage = payment::Stage::Failed {
                        why: tr(lang, "Payment declined").to_string(),
                    };
                }
            }
            Outcome::Voided { line, sku } => {
                self.say(format!("{} {line}: {sku}", tr(lang, "Void line")), false);
            }
            Outcome::Cancelled => self.home(),
            // The payment paths handle these where they start and end.
            Outcome::Reserving { .. }
            | Outcome::Tendering { .. }
            | Outcome::AmountMismatch { .. } => {}
        }
    }

    /// A product tapped; a weighed one at the register takes the scale's
    /// weight now, once per plate (as the weigh panel's Add): the next
    /// weighing waits for the food to come off the scale.
    pub(super) fn tap(&mut self, sku: &str, qty: u32) {
        let weighed = self
            .till
            .catalog()
            .product(sku)
            .is_some_and(Product::is_weighed);
        let outcome = if weighed {
            match self.weight.grams.and_then(|g| u32::try_from(g).ok()) {
                Some(g) => match self.weigh_plate(sku, g, self.weight.stable) {
                    Some(outcome) => outcome,
                    None => return,
                },
                None => Outcome::WeightRefused(Reason::BelowMinWeight),
            }
        } else {
            self.till.tap(sku, qty)
        };
        self.outcome(outcome);
    }

    /// The food on the scale onto the sale, once per plate (the panel's
    /// Add, a tap at the register, a double tap of either): the next
    /// weighing waits for it to come off the scale. None: refused, and
    /// said.
    pub(super) fn weigh_plate(&mut self, sku: &str, grams: u32, stable: bool) -> Option<Outcome> {
        if self.weight.taken {
            let why = tr(
                self.lang,
                "Take the food off the scale before weighing the next",
            );
            self.say(why, true);
            return None;
        }
        let outcome = self.till.weigh(sku, grams, stable);
        self.weight.taken |= matches!(outcome, Outcome::Line { .. });
        Some(outcome)
    }

    /// The weighed items, the first one on the scale's panel.
    pub(super) fn open_weigh(&mut self) {
        let weighing = self
            .till
            .catalog()
            .products()
            .iter()
            .find(|p| p.is_weighed())
            .map(|p| p.sku.clone());
        self.screen = Screen::Shopping(shopping::State {
            category: shopping::Category::Weighed,
            weighing,
        });
    }

    /// A code scanned or typed: a product, a member card, a coupon.
    pub(super) fn code(&mut self, code: &str) {
        match self.till.present_code(code.trim(), self.wall()) {
            Ok(outcome) => self.outcome(outcome),
            Err(e) => self.fail(&e),
        }
    }

    /// Staff called to a self-service till leave with the menu: the next
    /// customer's sale has no operator (journaled).
    pub(super) fn close_overlay(&mut self) {
        if self.till.mode() == Mode::SelfService
            && self.till.operator().is_some()
            && let Err(e) = self.till.logout(self.wall())
        {
            self.fail(&e);
        }
        self.home();
    }

    /// A purchase with lines is cancelled only after a yes (the
    /// still-there prompt's "Cancel now" is its own question). A running
    /// payment refuses it at once, without a question.
    pub(super) fn ask_cancel(&mut self) {
        if !self.till.sale().lines.is_empty()
            && self.idle.prompt_until.is_none()
            && self.till.tendering().is_none()
        {
            self.ask = Some(screen::confirm::Ask::CancelSale);
        } else {
            self.cancel_sale();
        }
    }

    /// A line is voided only after a yes; a running payment refuses it at
    /// once, without a question.
    pub(super) fn ask_void(&mut self, line: usize) {
        match self.till.sale().lines.get(line.wrapping_sub(1)) {
            Some(l) if self.till.tendering().is_none() => {
                let what = widget::line_text(self.look(), l).0;
                self.ask = Some(screen::confirm::Ask::Void { line, what });
            }
            _ => self.void(line),
        }
    }

    /// Yes or no to the question over the screen.
    pub(super) fn answer_question(&mut self, yes: bool) {
        match self.ask.take() {
            Some(screen::confirm::Ask::CancelSale) if yes => self.cancel_sale(),
            Some(screen::confirm::Ask::Void { line, .. }) if yes => self.void(line),
            _ => {}
        }
    }
}
