//! Issue 16: the simulator's helper processes end with the program that
//! started them. The real `kasse` binary, real socat, real signals; the
//! process table read from /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// `pid (comm) state ppid …` of every process.
fn processes() -> Vec<(u32, String, char, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let pid = stat[..open].trim().parse().unwrap_or(0);
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = rest.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        out.push((pid, comm, state, ppid));
    }
    out
}

/// The socat processes `parent` started.
fn socats_of(parent: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, comm, state, ppid)| *ppid == parent && comm == "socat" && *state != 'Z')
        .map(|(pid, ..)| pid)
        .collect()
}

/// Running (a zombie waiting for a reaper has ended).
fn alive(pid: u32) -> bool {
    processes()
        .iter()
        .any(|(p, _, state, _)| *p == pid && *state != 'Z')
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: a signal to the child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// `kasse sim scale --pty`, its stdout (kept open: it goes on printing),
/// its socat and the pty folder it printed.
fn sim_scale() -> (Child, BufReader<ChildStdout>, u32, PathBuf) {
    let mut sim = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["sim", "scale", "--pty"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(sim.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    // "simulated toledo8217 scale running; point the till at /tmp/kasse-ptyXXX/till"
    let till = PathBuf::from(first.trim().rsplit(' ').next().unwrap());
    assert!(till.exists(), "{first}");
    let socat = socats_of(sim.id());
    assert_eq!(socat.len(), 1, "one socat for the pty pair: {socat:?}");
    (sim, out, socat[0], till.parent().unwrap().to_path_buf())
}

#[test]
fn sim_scale_stopped_by_sigterm_or_sigint_leaves_no_socat_and_no_folder() {
    for (sig, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let (mut sim, _out, socat, dir) = sim_scale();
        signal(&sim, sig);
        let status = sim.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(128 + sig),
            "{name}: exits as stopped by it"
        );
        assert!(
            !alive(socat),
            "{name}: socat {socat} ended with the simulator"
        );
        assert!(!dir.exists(), "{name}: {} removed", dir.display());
    }
}

#[test]
fn sim_scale_killed_outright_still_takes_its_socat_along() {
    // SIGKILL runs no code in the simulator: the kernel's death signal
    // (PR_SET_PDEATHSIG) is what ends socat.
    let (mut sim, _out, socat, _dir) = sim_scale();
    signal(&sim, libc::SIGKILL);
    let _ = sim.wait().unwrap();
    wait_until("socat ends after kill -9", Duration::from_secs(5), || {
        !alive(socat)
    });
}

/// A display for the kiosk's window: Xvfb on a free number.
struct Display {
    xvfb: Child,
    name: String,
}

impl Display {
    fn start() -> Display {
        let n = 90 + std::process::id() % 400;
        let name = format!(":{n}");
        let xvfb = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt-get install xvfb) for the kiosk's window");
        let socket = format!("/tmp/.X11-unix/X{n}");
        wait_until("Xvfb listens", Duration::from_secs(10), || {
            Path::new(&socket).exists()
        });
        Display { xvfb, name }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

#[test]
fn the_kiosk_stopped_by_sigterm_leaves_no_socat_of_its_simulated_scale() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[till]\nid = \"kafe-9\"\nmode = \"self\"\n[store]\npath = \"{}\"\n[data]\nseed = \"{}\"\n\
             [scale]\nport = \"simulated\"\n[scanner]\ncamera = \"none\"\n\
             [compliance]\nsigning_key = \"{}\"\nkey_version = \"demo-1\"\n",
            dir.path().join("till.sqlite").display(),
            root.join("fixtures/data/demo.toml").display(),
            root.join("fixtures/keys/saft-demo.pem").display()
        ),
    )
    .unwrap();
    let runtime = dir.path().join("xdg");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let display = Display::start();
    let mut kiosk = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["kiosk", "--config"])
        .arg(&config)
        .env("DISPLAY", &display.name)
        .env("ICED_BACKEND", "tiny-skia")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut socat = Vec::new();
    wait_until(
        "the kiosk starts its simulated scale",
        Duration::from_secs(30),
        || {
            socat = socats_of(kiosk.id());
            !socat.is_empty() || kiosk.try_wait().unwrap().is_some()
        },
    );
    assert_eq!(socat.len(), 1, "the kiosk runs one socat: {socat:?}");
    signal(&kiosk, libc::SIGTERM);
    let status = kiosk.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert!(!alive(socat[0]), "socat {} ended with the kiosk", socat[0]);
    drop(display);
}
