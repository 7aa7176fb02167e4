//! Speech mode (issue 19): the kiosk says each screen's purpose on arrival,
//! every notice and refusal (the texts the screen shows), the amount to pay
//! and the "still there?" warning, amounts in words. It compares what was on
//! screen before a message with what is after it and says what changed in
//! one utterance (a newer one interrupts it). Holding OK (Enter) for two
//! seconds, or the welcome screen's button, switches it on or off; it ends
//! with the sale, like the language.

use super::*;
use crate::devices::speech::{Espeak, Speaker, Voice};
use crate::domain::words::{self, Tongue};

/// How long OK is held to switch speech on or off.
pub const HOLD_FOR: Duration = Duration::from_secs(2);

pub struct Speech {
    speaker: Arc<dyn Speaker>,
    on: bool,
    /// Since when OK is held down, whether that hold switched already, and
    /// whether its release presses the focused control.
    held: Option<(Instant, bool, bool)>,
    /// Said first in the next utterance ("speech on").
    pending: Option<String>,
    /// The current screen is said again (speech just came on).
    announce: bool,
    /// Notices shown so far: a new one is said even when its text is
    /// the last one's.
    pub(super) notices: u64,
    /// The keypad's focus: an index into `App::controls` (keypad.rs).
    pub(super) focus: Option<usize>,
    /// Focus moves so far: each is said.
    pub(super) moves: u64,
}

impl Default for Speech {
    fn default() -> Speech {
        Speech {
            speaker: Arc::new(Espeak::new()),
            on: false,
            held: None,
            pending: None,
            announce: false,
            notices: 0,
            focus: None,
            moves: 0,
        }
    }
}

/// What was on screen before a message.
pub(super) struct Seen {
    on: bool,
    lang: Lang,
    screen: String,
    notices: u64,
    moves: u64,
    ask: bool,
    prompt: bool,
}

/// The Norwegian or the English of a text only speech says.
fn pick(lang: Lang, no: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::No => no,
        Lang::En => en,
    }
}

fn tongue(lang: Lang) -> Tongue {
    match lang {
        Lang::No => Tongue::Bokmal,
        Lang::En => Tongue::English,
    }
}

/// An amount as a person says it.
pub fn amount(lang: Lang, money: Money) -> String {
    words::kroner(money, tongue(lang)).unwrap_or_else(|| kr(money))
}

/// A text as the screen shows it, its amounts (`kr 29,50`) in words.
pub fn speakable(lang: Lang, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("kr ") {
        let (before, after) = rest.split_at(at);
        out += before;
        let number = &after[3..];
        let len = number
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || c == ',' || (i == 0 && c == '-')))
            .map_or(number.len(), |(i, _)| i);
        let digits = number[..len].trim_end_matches(',');
        match digits.replace(',', ".").parse::<Money>() {
            Ok(money) if !digits.is_empty() => {
                out += &amount(lang, money);
                rest = &number[digits.len()..];
            }
            _ => {
                out += "kr ";
                rest = number;
            }
        }
    }
    out += rest;
    out
}

impl App {
    /// Speaks through `speaker` instead of espeak-ng (tests record).
    pub fn set_speaker(&mut self, speaker: Arc<dyn Speaker>) {
        self.speech.speaker = speaker;
    }

    pub fn speech_on(&self) -> bool {
        self.speech.on
    }

    pub(super) fn seen(&self) -> Seen {
        Seen {
            on: self.speech.on,
            lang: self.lang,
            screen: self.spoken_screen(),
            notices: self.speech.notices,
            moves: self.speech.moves,
            ask: self.ask.is_some(),
            prompt: self.idle.prompt_until.is_some(),
        }
    }

    /// Says what changed since `before`, in one utterance, when speech was
    /// on before or is now.
    pub(super) fn speak_changes(&mut self, before: Seen) {
        let now = self.seen();
        let arrived = now.screen != before.screen || now.lang != before.lang;
        // A new screen (or a question over it) starts without a focus.
        if (now.screen != before.screen || now.ask != before.ask) && now.moves == before.moves {
            self.speech.focus = None;
        }
        let lang = self.lang;
        let mut parts: Vec<String> = Vec::new();
        if !(before.on || now.on) {
            // Speech off: only the "still there?" warning is said, to every
            // student — a timeout warned of through more than one sense.
            if !now.prompt || before.prompt {
                return;
            }
        } else {
            parts.extend(self.speech.pending.take());
            if now.notices != before.notices
                && let Some((n, _)) = &self.notice
            {
                parts.push(n.text.clone());
            }
            if let Some(ask) = self.ask.as_ref().filter(|_| !before.ask || arrived) {
                parts.push(match ask {
                    screen::confirm::Ask::CancelSale => format!(
                        "{} {}",
                        tr(lang, "Cancel the whole purchase?"),
                        tr(lang, "Everything in the cart is removed.")
                    ),
                    screen::confirm::Ask::Void { what, .. } => {
                        format!("{} {what}", tr(lang, "Remove this line?"))
                    }
                });
            } else if arrived || before.ask != now.ask || std::mem::take(&mut self.speech.announce)
            {
                parts.push(self.purpose());
            }
            if now.moves != before.moves
                && let Some(words) = self.focused_words()
            {
                parts.push(words);
            }
        }
        if now.prompt && !before.prompt {
            let left = self.idle.seconds_left(self.now).unwrap_or(0);
            parts.push(format!(
                "{} {} {} {}. {}",
                tr(lang, "Still there?"),
                tr(lang, "The purchase is cancelled in"),
                words::number(left, tongue(lang)).unwrap_or_else(|| left.to_string()),
                crate::ui::text::seconds(lang, left),
                pick(
                    lang,
                    "Trykk på en tast for mer tid.",
                    "Press any key for more time."
                )
            ));
        }
        // Each part a sentence of its own: a pause between them.
        let parts: Vec<String> = parts
            .into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p.ends_with(['.', '?', '!', '…']) {
                    p
                } else {
                    format!("{p}.")
                }
            })
            .collect();
        if parts.is_empty() {
            return;
        }
        let voice = match lang {
            Lang::No => Voice::Bokmal,
            Lang::En => Voice::English,
        };
        let text = speakable(lang, &parts.join(" "));
        self.speech.speaker.say(voice, &text);
    }

    /// Speech mode on or off (the welcome button, OK held).
    pub(super) fn toggle_speech(&mut self) {
        let lang = self.lang;
        self.speech.on = !self.speech.on;
        if self.speech.on {
            self.status.speech = self.speech.speaker.problem().map_or_else(String::new, |p| {
                format!("{}: {p}", pick(lang, "Tale virker ikke", "No speech"))
            });
            self.speech.pending = Some(
                pick(
                    lang,
                    "Tale er på. Hold OK i to sekunder for å slå den av.",
                    "Speech is on. Hold OK for two seconds to switch it off.",
                )
                .to_string(),
            );
            self.speech.announce = true;
        } else {
            self.status.speech.clear();
            self.speech.pending = Some(pick(lang, "Tale er av.", "Speech is off.").to_string());
        }
    }

    /// The sale ended: the next one starts without speech, as configured.
    pub(super) fn speech_reset(&mut self) {
        // The sale's accessibility modes end with it: speech and the low
        // layout.
        self.low = false;
        self.speech.on = false;
        self.speech.held = None;
        self.status.speech.clear();
    }

    /// OK (Enter) held for [`HOLD_FOR`] switches speech at a self-service
    /// till, measured by the key events' own times; the repeats of a held
    /// OK are no new presses. With the keypad's focus on a control, OK
    /// presses it when released before that (so a hold never presses it).
    /// Some when the event was taken here.
    pub(super) fn hold_key(
        &mut self,
        at: Instant,
        event: &keyboard::Event,
    ) -> Option<Task<Message>> {
        let ok = |k: &Key| matches!(k.as_ref(), Key::Named(Named::Enter));
        if self.till.mode() != Mode::SelfService {
            return None;
        }
        match event {
            keyboard::Event::KeyPressed {
                key, repeat: false, ..
            } if ok(key) => {
                // An Enter that ends a scan under way is the scan's.
                let on_release = self.focused().is_some() && !self.wedge.pending();
                self.speech.held = Some((at, false, on_release));
                if on_release {
                    self.idle.input(self.now);
                    return Some(Task::none());
                }
                None
            }
            keyboard::Event::KeyPressed {
                key, repeat: true, ..
            } if ok(key) => {
                self.idle.input(self.now);
                if let Some((since, false, on_release)) = self.speech.held
                    && at.saturating_duration_since(since) >= HOLD_FOR
                {
                    self.speech.held = Some((since, true, on_release));
                    self.toggle_speech();
                }
                Some(Task::none())
            }
            keyboard::Event::KeyReleased { key, .. } if ok(key) => {
                self.idle.input(self.now);
                match self.speech.held.take() {
                    Some((since, false, _)) if at.saturating_duration_since(since) >= HOLD_FOR => {
                        self.toggle_speech();
                        Some(Task::none())
                    }
                    Some((_, false, true)) => Some(self.press_focused().unwrap_or_else(Task::none)),
                    _ => Some(Task::none()),
                }
            }
            _ => None,
        }
    }

    /// Tells one screen (or payment stage, or weigh panel) from another.
    fn spoken_screen(&self) -> String {
        match &self.screen {
            Screen::Shopping(s) => format!("shopping:{}", s.weighing.is_some()),
            Screen::Payment(p) => match &p.stage {
                payment::Stage::Waiting {
                    progress,
                    cancelling,
                    ..
                } => format!("payment:waiting:{progress:?}:{cancelling}"),
                payment::Stage::Failed { why } => format!("payment:failed:{why}"),
                payment::Stage::NotSaved { why, .. } => format!("payment:notsaved:{why}"),
                stage => format!("payment:{:?}", std::mem::discriminant(stage)),
            },
            Screen::Receipt(r) => format!("receipt:{:?}", std::mem::discriminant(&r.stage)),
            s => s.name().to_string(),
        }
    }

    /// What the screen showing is for, as speech says it on arrival.
    fn purpose(&self) -> String {
        let lang = self.lang;
        let t = |en| tr(lang, en);
        match &self.screen {
            Screen::Welcome => format!(
                "{}. {}. {}",
                t("Welcome"),
                t("Scan the QR code in your app, or tap an item"),
                pick(
                    lang,
                    "Hold OK i to sekunder for å slå tale av eller på.",
                    "Hold OK for two seconds to switch speech on or off."
                )
            ),
            Screen::Shopping(s) if s.weighing.is_some() => format!(
                "{}. {}. {}",
                t("Weigh food"),
                t("Put the food on the scale"),
                pick(lang, "Velg så Legg til.", "Then choose Add.")
            ),
            Screen::Shopping(_) => {
                let sale = self.till.sale();
                let n = sale.lines.len() as u64;
                let count = words::number(n, tongue(lang)).unwrap_or_else(|| n.to_string());
                let items = match (lang, n) {
                    (Lang::No, 1) => "vare",
                    (Lang::No, _) => "varer",
                    (Lang::En, 1) => "item",
                    (Lang::En, _) => "items",
                };
                format!(
                    "{}: {count} {items}. {}: {}. {}",
                    t("Your items"),
                    t("Total"),
                    kr(sale.total()),
                    pick(
                        lang,
                        "Velg Betal når du er ferdig.",
                        "Choose Pay when you are done."
                    )
                )
            }
            Screen::Bonus(b) => format!(
                "{} {}: {}. {}: {}.",
                t("Use your student bonus?"),
                t("You have"),
                kr(b.balance),
                t("Use"),
                kr(b.amount)
            ),
            Screen::Payment(p) => match &p.stage {
                payment::Stage::Choose | payment::Stage::Cash { .. } => format!(
                    "{}. {}: {}. {}",
                    t("Payment"),
                    t("To pay"),
                    kr(p.due_exact),
                    pick(lang, "Velg kort eller Vipps.", "Choose card or Vipps.")
                ),
                payment::Stage::Reserving => t("Checking coupons, clips and bonus…").into(),
                payment::Stage::Waiting {
                    cancelling: true, ..
                } => t("Cancelling the payment…").into(),
                payment::Stage::Waiting {
                    progress: Some(step),
                    ..
                } => t(payment::step_text(*step)).into(),
                payment::Stage::Waiting { .. } => format!(
                    "{}: {}. {}",
                    t("To pay"),
                    kr(p.due_exact),
                    t("Follow the instructions on the terminal")
                ),
                payment::Stage::Failed { why } => format!(
                    "{why}. {}",
                    pick(
                        lang,
                        "Du kan prøve igjen, eller gå tilbake til handlekurven.",
                        "You can try again, or go back to the cart."
                    )
                ),
                payment::Stage::Confirming => t("Checking the payment with the provider…").into(),
                payment::Stage::NotSaved { .. } => {
                    format!("{}. {}", t("The sale could not be saved"), t("Try again"))
                }
            },
            Screen::Receipt(r) => match &r.stage {
                receipt::Stage::Choose => format!(
                    "{}. {} {}, {}, {}.",
                    t("Paid and saved"),
                    t("Do you want a receipt?"),
                    t("Print"),
                    t("Show QR"),
                    t("No thanks")
                ),
                _ => String::new(),
            },
            Screen::Thanks(s) => format!("{} {}: {}.", t("Thank you!"), t("Total"), kr(s.total)),
            Screen::Staff(_) => t("Staff is on the way. Staff: enter your PIN.").into(),
            Screen::Register(_) => t("Cashier").into(),
            Screen::Reports(_) | Screen::Cash(_) => t("Reports").into(),
            Screen::Returns(_) => t("Return").into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_shown_text_are_said_in_words() {
        assert_eq!(
            speakable(Lang::No, "Lagt til: Kaffe kr 29,50"),
            "Lagt til: Kaffe tjueni kroner og femti øre"
        );
        assert_eq!(
            speakable(Lang::En, "Total: kr 1234,00. Bonus: kr -12,40"),
            "Total: one thousand two hundred and thirty-four kroner. Bonus: minus twelve kroner and forty øre"
        );
        assert_eq!(speakable(Lang::En, "kr and kr x"), "kr and kr x");
        assert_eq!(speakable(Lang::No, "kr 5"), "fem kroner");
    }
}
