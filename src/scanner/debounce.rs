//! The camera sees a code in many frames: report it once, then ignore it
//! until it has been out of view for `repeat_after_ms` (spec/qr-payloads.md).
//! Pure: time comes in as milliseconds.

use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Debounce {
    repeat_after_ms: u64,
    /// Text → when it was last in view.
    last_seen: HashMap<String, u64>,
}

impl Debounce {
    pub fn new(repeat_after_ms: u64) -> Debounce {
        Debounce {
            repeat_after_ms,
            last_seen: HashMap::new(),
        }
    }

    /// The texts of one frame; returns those to hand to the checkout now.
    pub fn frame(&mut self, now_ms: u64, texts: &[String]) -> Vec<String> {
        let mut fresh = Vec::new();
        for t in texts {
            let report = match self.last_seen.get(t) {
                None => true,
                Some(&seen) => now_ms.saturating_sub(seen) >= self.repeat_after_ms,
            };
            if report && !fresh.contains(t) {
                fresh.push(t.clone());
            }
            self.last_seen.insert(t.clone(), now_ms);
        }
        // Forget codes long gone, so memory stays small on a busy till.
        let keep = self.repeat_after_ms;
        self.last_seen
            .retain(|_, seen| now_ms.saturating_sub(*seen) < keep.saturating_mul(4).max(1));
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(d: &mut Debounce, t: u64, texts: &[&str]) -> Vec<String> {
        d.frame(t, &texts.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_code_held_up_is_reported_once() {
        let mut d = Debounce::new(1500);
        assert_eq!(f(&mut d, 0, &["A"]), ["A"]);
        for t in (33..5000).step_by(33) {
            assert!(f(&mut d, t, &["A"]).is_empty(), "at {t} ms");
        }
    }

    #[test]
    fn taken_away_long_enough_it_counts_again() {
        let mut d = Debounce::new(1500);
        assert_eq!(f(&mut d, 0, &["K"]), ["K"]);
        assert!(f(&mut d, 100, &[]).is_empty());
        // Away for 1 400 ms: too short, the same presentation.
        assert!(f(&mut d, 1400, &["K"]).is_empty());
        // Away from 1 400 to 2 900 ms (1 500 ms): a new presentation (a second clip).
        assert_eq!(f(&mut d, 2900, &["K"]), ["K"]);
    }

    #[test]
    fn two_codes_in_one_frame_and_a_flickering_one() {
        let mut d = Debounce::new(1500);
        assert_eq!(f(&mut d, 0, &["M", "C"]), ["M", "C"]);
        // A frame that misses the code (glare) does not make it new again.
        assert!(f(&mut d, 40, &["M"]).is_empty());
        assert!(f(&mut d, 80, &["C", "M"]).is_empty());
        assert_eq!(f(&mut d, 90, &["X", "X"]), ["X"]);
    }
}
