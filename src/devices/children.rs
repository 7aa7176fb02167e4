//! Helper processes (socat for the simulated scale) end with the till.
//!
//! Three ways, so none is left behind however the till ends:
//! - every helper asks the kernel for SIGTERM when the thread that started
//!   it goes (`PR_SET_PDEATHSIG`): a crash, a `kill -9`, a normal exit;
//! - a program that calls [`end_with_signals`] (the kiosk, `kasse sim
//!   scale`) stops its helpers and removes their folders on SIGTERM, SIGINT
//!   or SIGHUP, then exits;
//! - dropping the owner (`PtyPair`) kills and reaps its helper.
//!
//! The death signal follows the *thread* that spawned the helper, so a
//! helper's owner is made and kept on one thread (the scale's thread in the
//! kiosk, the main thread in `kasse sim scale`).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A running helper and the folder to remove with it.
struct Helper {
    pid: u32,
    dir: Option<PathBuf>,
}

static HELPERS: Mutex<Vec<Helper>> = Mutex::new(Vec::new());

/// Makes the process `command` starts get SIGTERM when this thread ends.
pub fn dies_with_this_thread(command: &mut Command) -> &mut Command {
    // SAFETY: this pid is read before the fork; the hook runs in the child
    // between fork and exec and calls only async-signal-safe functions
    // (sigemptyset, sigprocmask, prctl, getppid) on plain data.
    let parent = unsafe { libc::getpid() };
    unsafe {
        command.pre_exec(move || {
            // Signals [`end_with_signals`] blocked stay blocked across exec:
            // the helper must take SIGTERM.
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died between fork and prctl: nobody would signal.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        })
    }
}

/// Remembers a running helper, stopped (and `dir` removed) on a signal.
pub fn adopt(pid: u32, dir: Option<PathBuf>) {
    if let Ok(mut helpers) = HELPERS.lock() {
        helpers.push(Helper { pid, dir });
    }
}

/// Forgets a helper its owner is stopping itself.
pub fn release(pid: u32) {
    if let Ok(mut helpers) = HELPERS.lock() {
        helpers.retain(|h| h.pid != pid);
    }
}

/// How many helpers are running (for tests and `kasse devices`).
pub fn running() -> usize {
    HELPERS.lock().map_or(0, |h| h.len())
}

/// SIGTERM to every adopted helper, reaped (SIGKILL after a second), their
/// folders removed.
pub fn stop_all() {
    let helpers = match HELPERS.lock() {
        Ok(mut h) => std::mem::take(&mut *h),
        Err(_) => return,
    };
    for h in helpers {
        let Ok(pid) = libc::pid_t::try_from(h.pid) else {
            continue;
        };
        // SAFETY: plain syscalls on a pid this process started and has not
        // reaped (its owner releases it before waiting).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let mut status = 0;
            // SAFETY: as above; WNOHANG never blocks.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done != 0 {
                break;
            }
            if Instant::now() > deadline {
                // SAFETY: as above.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(dir) = h.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The thread that takes the signals (its `pthread_t`), once it runs.
static SIGNALS_THREAD: AtomicU64 = AtomicU64::new(0);

/// A signal that reached another thread: a thread waiting in `ppoll` with
/// an empty mask (the serial port's reads do) has every signal unblocked
/// for the wait. It is handed on to the signals thread, where it is blocked
/// and so waits for `sigwait` (`pthread_kill` is async-signal-safe).
extern "C" fn forward(signal: libc::c_int) {
    let thread = SIGNALS_THREAD.load(Ordering::SeqCst);
    // SAFETY: async-signal-safe calls only; `thread` is a live pthread_t
    // stored by the signals thread itself, which never ends but with the
    // process.
    unsafe {
        if thread == 0 {
            libc::_exit(128 + signal);
        }
        libc::pthread_kill(thread as libc::pthread_t, signal);
    }
}

/// From now on SIGTERM, SIGINT and SIGHUP stop every helper and then end
/// the program (exit status 128 + the signal). Call it first thing in
/// `main`, before any thread exists: the signals are blocked in every
/// thread and taken by one thread of their own (a thread that unblocks them
/// for a moment hands them on to it). A process started later inherits the
/// blocked mask: helpers unblock it in [`dies_with_this_thread`].
pub fn end_with_signals() -> std::io::Result<()> {
    const SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];
    // SAFETY: sigset_t and sigaction are plain data, filled by sigemptyset/
    // sigaddset; the mask is set on the calling thread and inherited by
    // threads it spawns; the handler only forwards (see `forward`).
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = forward as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        for s in SIGNALS {
            if libc::sigaction(s, &action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            SIGNALS_THREAD.store(unsafe { libc::pthread_self() } as u64, Ordering::SeqCst);
            let mut signal = 0;
            // SAFETY: waits for one of the blocked signals in `set`.
            let rc = unsafe { libc::sigwait(&set, &mut signal) };
            if rc != 0 {
                return;
            }
            stop_all();
            std::process::exit(128 + signal);
        })?;
    Ok(())
}
