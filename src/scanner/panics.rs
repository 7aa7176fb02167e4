//! Decoder panics: caught, counted per kind, logged once per kind — never a
//! message and backtrace per frame.
//!
//! rqrr 0.11 panics on some real photos (`assertion failed: x <= i32::MAX as
//! f64` in `Perspective::map`, upstream issue #54), and a camera shows the
//! same photo many times a second. Every decoder call runs under
//! [`guarded`]: a panic there is caught, its *kind* (where it happened:
//! `file:line:column`) is counted by the caller in a [`PanicCounts`], and
//! the first panic of each kind in this process is logged as one line on
//! stderr. The process-wide panic hook (installed once, on the first
//! [`guarded`] call) stays silent only for panics inside [`guarded`] on the
//! calling thread; every other panic goes to the hook that was there before.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Mutex, Once, PoisonError};

thread_local! {
    /// How many [`guarded`] calls this thread is inside.
    static QUIET: Cell<u32> = const { Cell::new(0) };
    /// The last quiet panic on this thread: (kind, message).
    static LAST: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// The kinds already logged by this process.
static LOGGED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// A caught panic: where it happened and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panic {
    /// `file:line:column` of the panic: the key it is counted under.
    pub kind: String,
    /// Its message (the first line).
    pub message: String,
}

/// Panics counted per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PanicCounts(BTreeMap<String, u64>);

impl PanicCounts {
    pub fn add(&mut self, panic: &Panic) {
        *self.0.entry(panic.kind.clone()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &PanicCounts) {
        for (kind, n) in &other.0 {
            *self.0.entry(kind.clone()).or_default() += n;
        }
    }

    /// Every panic counted.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// How many different kinds.
    pub fn kinds(&self) -> usize {
        self.0.len()
    }

    /// (kind, count), by kind.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, n)| (k.as_str(), *n))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for PanicCounts {
    /// `0`, or `3 (2 at rqrr/src/x.rs:1:2, 1 at …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.total())?;
        if !self.is_empty() {
            let each: Vec<String> = self.iter().map(|(k, n)| format!("{n} at {k}")).collect();
            write!(f, " ({})", each.join(", "))?;
        }
        Ok(())
    }
}

/// What a decoder step unwinds with when its frame's time is up
/// ([`out_of_time`]): no panic, so never counted or logged; [`guarded`]
/// passes it on and [`guarded_in_time`] stops there.
#[derive(Debug)]
pub struct OutOfTime;

/// Ends the decoder step in progress: unwinds (without the panic hook) up
/// to the nearest [`guarded_in_time`]. Called only inside one.
pub fn out_of_time() -> ! {
    panic::resume_unwind(Box::new(OutOfTime))
}

/// Runs `f`; a panic inside is caught without a word on stderr (the first
/// of its kind in this process is logged as one line) and returned. An
/// [`OutOfTime`] unwind goes on to the [`guarded_in_time`] around.
pub fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, Panic> {
    match caught(f) {
        Ok(r) => Ok(r),
        Err(payload) if payload.is::<OutOfTime>() => panic::resume_unwind(payload),
        Err(payload) => Err(counted(payload)),
    }
}

/// [`guarded`], and `Ok(None)` when a step inside ran out of time
/// ([`out_of_time`]).
pub fn guarded_in_time<R>(f: impl FnOnce() -> R) -> Result<Option<R>, Panic> {
    match caught(f) {
        Ok(r) => Ok(Some(r)),
        Err(payload) if payload.is::<OutOfTime>() => Ok(None),
        Err(payload) => Err(counted(payload)),
    }
}

fn caught<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn std::any::Any + Send>> {
    install_hook();
    QUIET.with(|q| q.set(q.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    result
}

/// A caught panic's kind and message; the first of its kind is logged.
fn counted(payload: Box<dyn std::any::Any + Send>) -> Panic {
    let (kind, message) = LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| {
        // Only when another hook replaced ours after it was installed.
        (
            "unknown place".to_string(),
            payload_message(payload.as_ref()),
        )
    });
    let first = LOGGED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(kind.clone());
    if first {
        eprintln!(
            "kasse scanner: a QR decoder panicked at {kind}: {message} (caught and counted; \
             further panics there are counted, not logged)"
        );
    }
    Panic { kind, message }
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if QUIET.with(Cell::get) > 0 {
                let kind = info.location().map_or_else(
                    || "unknown place".to_string(),
                    |l| format!("{}:{}:{}", short_path(l.file()), l.line(), l.column()),
                );
                let message = payload_message(info.payload());
                LAST.with(|l| *l.borrow_mut() = Some((kind, message)));
            } else {
                previous(info);
            }
        }));
    });
}

/// A dependency's source path from its crate folder on
/// (`…/registry/src/index…/rqrr-0.11.0/src/geometry.rs` → `rqrr-0.11.0/src/geometry.rs`).
fn short_path(file: &str) -> &str {
    match file.find("/registry/src/") {
        Some(at) => {
            let rest = &file[at + "/registry/src/".len()..];
            rest.find('/').map_or(rest, |slash| &rest[slash + 1..])
        }
        None => file,
    }
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_place_and_counted_per_place() {
        let mut counts = PanicCounts::default();
        for i in 0..5 {
            let caught = guarded(|| {
                if i < 10 {
                    panic!("broken frame {i}");
                }
                i
            })
            .unwrap_err();
            assert!(caught.kind.contains("panics.rs:"), "{caught:?}");
            assert_eq!(caught.message, format!("broken frame {i}"));
            counts.add(&caught);
        }
        let other = guarded(|| -> u32 { panic!("elsewhere") }).unwrap_err();
        counts.add(&other);
        assert_eq!(counts.total(), 6);
        assert_eq!(counts.kinds(), 2);
        assert_eq!(guarded(|| 7), Ok(7));
        assert!(counts.to_string().starts_with("6 ("), "{counts}");
    }

    #[test]
    fn out_of_time_passes_through_guarded_and_is_no_panic() {
        let mut counts = PanicCounts::default();
        let mut reached = 0;
        let result = guarded_in_time(|| {
            reached += 1;
            if let Err(p) = guarded(|| -> u32 { out_of_time() }) {
                counts.add(&p);
            }
            reached += 1;
        });
        assert_eq!(result, Ok(None));
        assert_eq!(reached, 1, "the step after the unwind never ran");
        assert!(counts.is_empty(), "{counts}");
        assert_eq!(guarded_in_time(|| 3), Ok(Some(3)));
        let panicked = guarded_in_time(|| -> u32 { panic!("in time, broken") }).unwrap_err();
        assert_eq!(panicked.message, "in time, broken");
    }

    #[test]
    fn registry_paths_are_shortened_to_the_crate() {
        assert_eq!(
            short_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/rqrr-0.11.0/src/geometry.rs"
            ),
            "rqrr-0.11.0/src/geometry.rs"
        );
        assert_eq!(short_path("src/scanner/x.rs"), "src/scanner/x.rs");
    }
}
