//! Speech output through espeak-ng (the Debian package `espeak-ng`; voice
//! `nb` for Norwegian bokmål, `en` for English), behind the [`Speaker`]
//! trait with a [`Recorder`] as its simulator.
//!
//! espeak-ng runs as a child process driven by a thread of its own: `say`
//! only hands the text over a channel, so the UI thread never waits, and a
//! new utterance kills the one still speaking (only the newest of several
//! waiting is said). A missing espeak-ng is reported by [`Speaker::problem`],
//! never by a panic; the till goes on without speech.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The program speech runs through.
pub const PROGRAM: &str = "espeak-ng";
/// Words per minute: a little slower than espeak-ng's 175, for a till.
const SPEED: &str = "160";

/// The voice an utterance is said in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voice {
    Bokmal,
    English,
}

impl Voice {
    /// espeak-ng's name for the voice.
    pub fn code(self) -> &'static str {
        match self {
            Voice::Bokmal => "nb",
            Voice::English => "en",
        }
    }
}

/// Something that speaks. `say` never blocks and interrupts what is being
/// said.
pub trait Speaker: Send + Sync {
    fn say(&self, voice: Voice, text: &str);
    /// Why nothing can be heard (espeak-ng missing or failing), if so.
    fn problem(&self) -> Option<String>;
}

/// The command that says `text` (written to its stdin) in `voice`, aloud or
/// into the WAV file `wav`.
fn command(program: &str, voice: Voice, wav: Option<&Path>) -> Command {
    let mut c = Command::new(program);
    c.args(["-v", voice.code(), "-s", SPEED, "--stdin"]);
    if let Some(path) = wav {
        c.arg("-w").arg(path);
    }
    c.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn start(program: &str, voice: Voice, text: &str, wav: Option<&Path>) -> std::io::Result<Child> {
    let mut child = command(program, voice, wav).spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A child killed before it read its text is no error of ours.
        let _ = stdin.write_all(text.as_bytes());
    }
    Ok(child)
}

/// Renders `text` in `voice` into the WAV file `path` and waits for it
/// (the speech tests check what the kiosk says this way).
pub fn render_wav(voice: Voice, text: &str, path: &Path) -> std::io::Result<()> {
    let status = start(PROGRAM, voice, text, Some(path))?.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("{PROGRAM} failed: {status}")))
    }
}

/// Where espeak-ng's speech goes.
#[derive(Clone, Debug)]
enum Output {
    /// The default audio device (the headphone socket).
    Audio,
    /// One WAV file per utterance in this folder, numbered from 1.
    Files(PathBuf),
}

/// espeak-ng on a thread of its own, started with the first utterance.
pub struct Espeak {
    program: String,
    output: Output,
    worker: Mutex<Option<Sender<(Voice, String)>>>,
    problem: Arc<Mutex<Option<String>>>,
}

impl Default for Espeak {
    fn default() -> Espeak {
        Espeak::new()
    }
}

impl Espeak {
    /// Speaks aloud through espeak-ng.
    pub fn new() -> Espeak {
        Espeak::with(PROGRAM, Output::Audio)
    }

    /// Speaks through `program` instead (a missing one is reported, not
    /// fatal).
    pub fn program(program: &str) -> Espeak {
        Espeak::with(program, Output::Audio)
    }

    /// Writes each utterance to `dir/N.wav` instead of speaking it.
    pub fn writing_to(dir: &Path) -> Espeak {
        Espeak::with(PROGRAM, Output::Files(dir.to_path_buf()))
    }

    fn with(program: &str, output: Output) -> Espeak {
        let problem = (!on_path(program)).then(|| format!("{program} is not installed"));
        Espeak {
            program: program.to_string(),
            output,
            worker: Mutex::new(None),
            problem: Arc::new(Mutex::new(problem)),
        }
    }

    fn send(&self, voice: Voice, text: &str) -> Option<()> {
        let mut worker = self.worker.lock().ok()?;
        if worker.is_none() {
            let (tx, rx) = mpsc::channel();
            let (program, output, problem) = (
                self.program.clone(),
                self.output.clone(),
                Arc::clone(&self.problem),
            );
            std::thread::Builder::new()
                .name("speech".into())
                .spawn(move || run(&program, &output, &rx, &problem))
                .ok()?;
            *worker = Some(tx);
        }
        worker.as_ref()?.send((voice, text.to_string())).ok()
    }
}

impl Speaker for Espeak {
    fn say(&self, voice: Voice, text: &str) {
        if self.problem().is_some() {
            return;
        }
        if self.send(voice, text).is_none()
            && let Ok(mut p) = self.problem.lock()
        {
            *p = Some("the speech thread stopped".into());
        }
    }

    fn problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|p| p.clone())
    }
}

/// The speech thread: one child at a time, the newest utterance wins.
fn run(
    program: &str,
    output: &Output,
    rx: &Receiver<(Voice, String)>,
    problem: &Mutex<Option<String>>,
) {
    let mut speaking: Option<Child> = None;
    let mut n = 0u64;
    loop {
        let next = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(next) => Some(next),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Reap the one that finished by itself.
        if let Some(child) = speaking.as_mut()
            && !matches!(child.try_wait(), Ok(None))
        {
            speaking = None;
        }
        let Some(mut said) = next else { continue };
        while let Ok(newer) = rx.try_recv() {
            said = newer;
        }
        if let Some(mut old) = speaking.take() {
            let _ = old.kill();
            let _ = old.wait();
        }
        n += 1;
        let wav = match output {
            Output::Audio => None,
            Output::Files(dir) => Some(dir.join(format!("{n}.wav"))),
        };
        match start(program, said.0, &said.1, wav.as_deref()) {
            Ok(child) => speaking = Some(child),
            Err(e) => {
                if let Ok(mut p) = problem.lock() {
                    *p = Some(format!("{program}: {e}"));
                }
            }
        }
    }
    if let Some(mut child) = speaking {
        let _ = child.wait();
    }
}

/// Whether `program` is an executable file on PATH (or a path to one).
fn on_path(program: &str) -> bool {
    let found = |p: &Path| p.is_file();
    if program.contains('/') {
        return found(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| found(&d.join(program))))
}

/// The simulator: keeps what would have been said, in order.
#[derive(Clone, Default)]
pub struct Recorder {
    said: Arc<Mutex<Vec<(Voice, String)>>>,
}

impl Recorder {
    /// Everything said so far, and forgets it.
    pub fn take(&self) -> Vec<(Voice, String)> {
        self.said
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

impl Speaker for Recorder {
    fn say(&self, voice: Voice, text: &str) {
        if let Ok(mut s) = self.said.lock() {
            s.push((voice, text.to_string()));
        }
    }

    fn problem(&self) -> Option<String> {
        None
    }
}
