//! A frame's deadline, looked at inside the decoder's expensive loops, so a
//! rescue pass ends within one small step of the deadline instead of
//! running to its end.
//!
//! rqrr's steps (threshold, flood fills, finder search, grouping, grid
//! sampling) all go through its `ImageBuffer` trait, pixel by pixel;
//! [`TimedPixels`](super::decode) implements it and calls [`Clock::tick`]
//! on each access, and the preprocessing passes call [`Clock::check`] once
//! per row. Past the deadline they unwind with
//! [`OutOfTime`](super::panics::OutOfTime), which the
//! [`guarded_in_time`](super::panics::guarded_in_time) around the pass turns
//! into "gave up" (never a counted panic).

use std::cell::Cell;
use std::time::Instant;

use super::panics::out_of_time;

/// How many [`Clock::tick`]s between two looks at the time (an rqrr pixel
/// access costs a few ns, `Instant::now` about 25: one look per 4096
/// accesses is about 10–40 µs of work).
const TICKS_PER_LOOK: u32 = 4096;

/// A deadline (or none) and a tick counter.
#[derive(Debug, Default)]
pub struct Clock {
    deadline: Option<Instant>,
    ticks: Cell<u32>,
}

impl Clock {
    /// Never runs out (files, tests, the rxing stages' own binarisations).
    pub const fn unlimited() -> Clock {
        Clock {
            deadline: None,
            ticks: Cell::new(0),
        }
    }

    /// Runs out at `deadline` (none: never).
    pub fn until(deadline: Option<Instant>) -> Clock {
        Clock {
            deadline,
            ticks: Cell::new(0),
        }
    }

    /// One small step of work (a pixel): every [`TICKS_PER_LOOK`]th looks
    /// at the time, as [`Clock::check`].
    #[inline]
    pub fn tick(&self) {
        if self.deadline.is_some() {
            let n = self.ticks.get().wrapping_add(1);
            self.ticks.set(n);
            if n.is_multiple_of(TICKS_PER_LOOK) {
                self.check();
            }
        }
    }

    /// Past the deadline, unwinds with `OutOfTime` to the
    /// `guarded_in_time` around (call only inside one).
    pub fn check(&self) {
        if self.passed() {
            out_of_time();
        }
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::panics::guarded_in_time;
    use std::time::Duration;

    #[test]
    fn a_passed_deadline_stops_the_loop_within_one_look() {
        let clock = Clock::until(Instant::now().checked_sub(Duration::from_millis(1)));
        let mut steps = 0u32;
        let result = guarded_in_time(|| {
            for _ in 0..1_000_000 {
                clock.tick();
                steps += 1;
            }
        });
        assert_eq!(result, Ok(None));
        assert_eq!(steps, TICKS_PER_LOOK - 1);
    }

    #[test]
    fn no_deadline_never_stops() {
        let clock = Clock::unlimited();
        let mut steps = 0u32;
        for _ in 0..3 * TICKS_PER_LOOK {
            clock.tick();
            clock.check();
            steps += 1;
        }
        assert_eq!(steps, 3 * TICKS_PER_LOOK);
        assert!(!clock.passed());
        let later = Clock::until(Instant::now().checked_add(Duration::from_secs(3600)));
        assert_eq!(guarded_in_time(|| later.check()), Ok(Some(())));
    }
}
