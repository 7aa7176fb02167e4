//! "Still there?": after `kiosk.idle_s` without input the open sale asks,
//! and waits `kiosk.still_there_s` (at least 20 s, WCAG 2.2.1) before it is
//! cancelled and journaled.

use super::Action;
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{self, Look, big};
use iced::Length;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idle {
    pub idle_after: Duration,
    pub answer_within: Duration,
    pub last_input: Instant,
    /// When the prompt gives up, while it is shown.
    pub prompt_until: Option<Instant>,
}

/// What the clock decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Nothing,
    Ask,
    GiveUp,
}

impl Idle {
    pub fn new(idle_after: Duration, answer_within: Duration, now: Instant) -> Idle {
        Idle {
            idle_after,
            answer_within,
            last_input: now,
            prompt_until: None,
        }
    }

    /// Any touch, key or scan.
    pub fn input(&mut self, now: Instant) {
        self.last_input = now;
        self.prompt_until = None;
    }

    /// A tick; `active` says whether there is anything to lose (an open sale).
    pub fn tick(&mut self, now: Instant, active: bool) -> Verdict {
        if !active {
            self.prompt_until = None;
            return Verdict::Nothing;
        }
        match self.prompt_until {
            Some(until) if now >= until => {
                self.prompt_until = None;
                self.last_input = now;
                Verdict::GiveUp
            }
            Some(_) => Verdict::Nothing,
            None if now.saturating_duration_since(self.last_input) >= self.idle_after => {
                self.prompt_until = Some(now + self.answer_within);
                Verdict::Ask
            }
            None => Verdict::Nothing,
        }
    }

    pub fn seconds_left(&self, now: Instant) -> Option<u64> {
        self.prompt_until
            .map(|u| u.saturating_duration_since(now).as_secs_f32().ceil() as u64)
    }
}

pub fn view<'a>(look: Look, seconds_left: u64) -> Element<'a, Action> {
    widget::dialog(
        look,
        look.tr("Still there?"),
        format!(
            "{} {seconds_left} {}",
            look.tr("The purchase is cancelled in"),
            crate::ui::text::seconds(look.lang, seconds_left)
        ),
        vec![
            big(
                look,
                look.tr("Yes, continue"),
                Some(Action::StillHere),
                theme::button::success,
            )
            .width(Length::Fixed(280.0))
            .into(),
            big(
                look,
                look.tr("Cancel now"),
                Some(Action::CancelSale),
                theme::button::danger,
            )
            .width(Length::Fixed(280.0))
            .into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_after_idle_then_gives_up_after_the_answer_time() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut idle = Idle::new(s(60), s(30), t0);
        assert_eq!(idle.tick(t0 + s(59), true), Verdict::Nothing);
        assert_eq!(idle.tick(t0 + s(60), true), Verdict::Ask);
        assert_eq!(idle.seconds_left(t0 + s(61)), Some(29));
        assert_eq!(idle.tick(t0 + s(89), true), Verdict::Nothing);
        assert_eq!(idle.tick(t0 + s(90), true), Verdict::GiveUp);
        assert_eq!(idle.prompt_until, None);
    }

    #[test]
    fn input_resets_and_no_sale_means_no_prompt() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut idle = Idle::new(s(60), s(30), t0);
        assert_eq!(idle.tick(t0 + s(60), true), Verdict::Ask);
        idle.input(t0 + s(70));
        assert_eq!(idle.prompt_until, None);
        assert_eq!(idle.tick(t0 + s(129), true), Verdict::Nothing);
        assert_eq!(idle.tick(t0 + s(500), false), Verdict::Nothing);
    }
}
