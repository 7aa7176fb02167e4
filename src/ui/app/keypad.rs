//! Keypad navigation (issue 19, item 1) of every self-service screen —
//! welcome, shopping, bonus, payment, receipt, thank-you: the arrow keys (a 4-direction keypad sends the same) move a
//! focus through the controls in reading order, OK (Enter) released presses
//! the focused one (held 2 s it switches speech instead, speak.rs), and speech mode says each control the focus lands on. The
//! focused button draws a focus ring (`Look::focus`). The focus starts
//! nowhere on each screen: the first arrow puts it on the first control.

use super::*;
use crate::ui::screen::welcome::SPEECH_BUTTON;
use crate::ui::widget::focus_id;
use iced::keyboard::key::Named as K;

/// One control the focus can reach: its label as drawn and what it does.
pub(super) struct Control {
    pub label: String,
    pub press: Message,
}

fn control(label: impl Into<String>, press: Message) -> Control {
    Control {
        label: label.into(),
        press,
    }
}

impl App {
    /// The controls of the screen showing, in reading order (top bar, then
    /// the page left to right, top to bottom); empty where the keypad does
    /// not (yet) move a focus.
    pub(super) fn controls(&self) -> Vec<Control> {
        if self.ask.is_some() || self.till.mode() != Mode::SelfService {
            return Vec::new();
        }
        let lang = self.lang;
        let catalog = self.till.catalog();
        let mut all = vec![control(
            self.lang.other().name(),
            Message::Do(Action::Language),
        )];
        let top = |all: &mut Vec<Control>| {
            all.push(control(
                format!("? {}", tr(lang, "Help")),
                Message::Do(Action::Help),
            ));
        };
        match &self.screen {
            Screen::Welcome => {
                top(&mut all);
                let quick = catalog
                    .products()
                    .iter()
                    .filter(|p| p.coffee && !p.is_weighed())
                    .take(5);
                for p in quick {
                    let tap = Action::Tap {
                        sku: p.sku.clone(),
                        qty: 1,
                    };
                    all.push(control(p.name.clone(), Message::Do(tap)));
                }
                if catalog.products().iter().any(Product::is_weighed) {
                    all.push(control(
                        tr(lang, "Weigh food"),
                        Message::Do(Action::OpenWeigh),
                    ));
                }
                all.push(control(SPEECH_BUTTON, Message::Do(Action::Speech)));
                all.push(control(
                    crate::ui::screen::welcome::LOW_BUTTON,
                    Message::Do(Action::LowLayout),
                ));
            }
            Screen::Shopping(state) => {
                top(&mut all);
                let sale = self.till.sale();
                let shop = |m| Message::Shopping(m);
                if !sale.lines.is_empty() {
                    all.push(control(
                        format!("{}  {}", tr(lang, "Pay"), kr(sale.total())),
                        Message::Do(Action::Pay),
                    ));
                }
                if !sale.is_empty() {
                    all.push(control(
                        tr(lang, "Cancel purchase"),
                        Message::Do(Action::CancelSale),
                    ));
                }
                for c in shopping::Category::ALL {
                    all.push(control(
                        tr(lang, c.label()),
                        shop(shopping::Message::Category(c)),
                    ));
                }
                if let Some(sku) = &state.weighing {
                    let ready = catalog.product(sku).and_then(|p| {
                        shopping::addable(p, self.weight, catalog.settings.min_grams)
                    });
                    if ready.is_some() {
                        all.push(control(
                            tr(lang, "Add"),
                            shop(shopping::Message::AddWeighed),
                        ));
                    }
                    all.push(control(
                        tr(lang, "Close"),
                        shop(shopping::Message::CloseWeigh),
                    ));
                } else {
                    for p in catalog
                        .products()
                        .iter()
                        .filter(|p| shopping::Category::of(p) == state.category)
                    {
                        let (price, press) = match p.pricing {
                            crate::domain::Pricing::Unit { price } => (
                                kr(price),
                                shop(shopping::Message::Do(Action::Tap {
                                    sku: p.sku.clone(),
                                    qty: 1,
                                })),
                            ),
                            crate::domain::Pricing::Weighed { price_per_kg, .. } => (
                                format!("{} {}", kr(price_per_kg), tr(lang, "per kg")),
                                shop(shopping::Message::Weigh(p.sku.clone())),
                            ),
                        };
                        all.push(control(format!("{}\n{price}", p.name), press));
                    }
                }
            }
            Screen::Bonus(_) => {
                top(&mut all);
                for (label, action) in [
                    ("Yes, use bonus", Action::Bonus(true)),
                    ("No, save it", Action::Bonus(false)),
                    ("Back to the cart", Action::BackToCart),
                ] {
                    all.push(control(tr(lang, label), Message::Do(action)));
                }
            }
            Screen::Payment(state) => {
                top(&mut all);
                let tender = |kind, label| {
                    control(
                        tr(lang, label),
                        Message::Payment(payment::Message::Choose(kind)),
                    )
                };
                match &state.stage {
                    payment::Stage::Choose | payment::Stage::Failed { .. } => {
                        all.push(tender(TenderKind::Card, "Card"));
                        all.push(tender(TenderKind::Vipps, "Vipps"));
                        all.push(control(
                            tr(lang, "Back to the cart"),
                            Message::Do(Action::BackToCart),
                        ));
                    }
                    payment::Stage::Waiting {
                        cancelling: false, ..
                    } => all.push(control(
                        tr(lang, "Cancel payment"),
                        Message::Do(Action::CancelPayment),
                    )),
                    payment::Stage::NotSaved { .. } => all.push(control(
                        tr(lang, "Try again"),
                        Message::Do(Action::RetrySave),
                    )),
                    _ => {}
                }
            }
            Screen::Receipt(state) => {
                top(&mut all);
                match &state.stage {
                    receipt::Stage::Choose => {
                        for (label, choice) in [
                            ("Print", receipt::Choice::Print),
                            ("Show QR", receipt::Choice::ShowQr),
                            ("No thanks", receipt::Choice::None),
                        ] {
                            all.push(control(
                                tr(lang, label),
                                Message::Do(Action::Receipt(choice)),
                            ));
                        }
                    }
                    receipt::Stage::Printing => {}
                    _ => all.push(control(
                        tr(lang, "Done"),
                        Message::Do(Action::Receipt(receipt::Choice::None)),
                    )),
                }
            }
            Screen::Thanks(_) => {
                top(&mut all);
                all.push(control(tr(lang, "Done"), Message::Do(Action::NextCustomer)));
            }
            _ => return Vec::new(),
        }
        all
    }

    /// The labels of the controls the keypad reaches, in order.
    pub fn focused_labels(&self) -> Vec<String> {
        self.controls().into_iter().map(|c| c.label).collect()
    }

    /// The label of the control the keypad's focus is on.
    pub fn focused(&self) -> Option<String> {
        let i = self.speech.focus?;
        self.controls().into_iter().nth(i).map(|c| c.label)
    }

    /// The focused control's [`focus_id`], for the view's focus ring.
    pub(super) fn focus_ring(&self) -> Option<u64> {
        let i = self.speech.focus?;
        self.controls().get(i).map(|c| focus_id(&c.label))
    }

    /// The focused control's label as speech says it.
    pub(super) fn focused_words(&self) -> Option<String> {
        let i = self.speech.focus?;
        self.controls().get(i).map(|c| {
            c.label
                .replace('\n', ", ")
                .trim_start_matches("? ")
                .to_string()
        })
    }

    /// Presses the control the focus is on (OK released, speak.rs).
    pub(super) fn press_focused(&mut self) -> Option<Task<Message>> {
        let i = self.speech.focus?;
        let press = self.controls().into_iter().nth(i)?.press;
        Some(self.route(press))
    }

    /// An arrow moves the focus; None leaves the key to the screen.
    pub(super) fn keypad(&mut self, key: &Key) -> Option<Task<Message>> {
        let Key::Named(named) = key.as_ref() else {
            return None;
        };
        let step: isize = match named {
            K::ArrowDown | K::ArrowRight => 1,
            K::ArrowUp | K::ArrowLeft => -1,
            _ => return None,
        };
        let n = self.controls().len();
        if n == 0 {
            return None;
        }
        let next = match self.speech.focus {
            None if step > 0 => 0,
            None => n - 1,
            Some(i) => (i.min(n - 1) as isize + step).rem_euclid(n as isize) as usize,
        };
        self.speech.focus = Some(next);
        self.speech.moves += 1;
        Some(Task::none())
    }
}
