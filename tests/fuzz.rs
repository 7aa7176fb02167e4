//! Fuzzing by property (proptest; no libFuzzer needed on CI): every parser of
//! outside input, `kasse replay` and the ledger's HTTP API meet arbitrary and
//! structure-aware mutated input. None may panic; a file that cannot be used
//! is an error naming the file (and the line and key where it has one), exit
//! 2 for replay; the ledger answers input errors below 500.
//!
//! `KASSE_FUZZ_CASES` (default 256) sets the cases per target; the replay
//! targets that start the binary run an eighth of that.

#[path = "fuzz/checkout.rs"]
mod checkout;
#[path = "fuzz/ledger.rs"]
mod ledger;
#[path = "fuzz/mutate.rs"]
mod mutate;

use kasse::config::Config;
use kasse::data::Data;
use kasse::domain::appcode::{self, AppCode};
use kasse::input::InputError;
use kasse::replay::{Scenario, parse_duration};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

pub fn cases() -> u32 {
    std::env::var("KASSE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(256)
}

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // A found case is printed (shrunk); nothing is written into the tree.
        failure_persistence: None,
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    }
}

/// Counts outcomes per target and prints them once the target has run its
/// cases (`--nocapture` shows them): how much input got how far.
pub fn note(target: &'static str, outcome: impl Into<String>, of: u32) {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static SEEN: Mutex<BTreeMap<&'static str, BTreeMap<String, u32>>> = Mutex::new(BTreeMap::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let counts = seen.entry(target).or_default();
    *counts.entry(outcome.into()).or_default() += 1;
    if counts.values().sum::<u32>() == of {
        eprintln!("fuzz {target}: {counts:?}");
    }
}

/// A path in the target's scratch folder for what this run keeps for its
/// whole length (held by statics, which are never dropped, so a temporary
/// directory would stay in /tmp). What runs that have ended left there is
/// removed first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix("fuzz-").and_then(|r| r.split('-').next()) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path()).or_else(|_| std::fs::remove_file(e.path()));
        }
    }
    let path = dir.join(format!("fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
    path
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// Runs `f`, turning a panic into a test failure that shows the input.
pub fn no_panic<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what} panicked ({msg}) on input {input:?}")
        }
    }
}

/// What spec/replay.md asks of an unusable file: one line naming the file,
/// and the line and key whenever the fault sits at a place in the text.
pub fn check_located(e: &InputError, files: &[&Path], text: &str) {
    // The file read, or one it names (a scenario's `data`) beside it.
    let beside = |f: &Path| f.parent().is_some_and(|d| e.file.starts_with(d));
    assert!(
        files.iter().any(|f| beside(f)),
        "the error names {} instead of {files:?}: {e}",
        e.file.display()
    );
    let text = if files.iter().any(|f| e.file == *f) {
        text
    } else {
        ""
    };
    let shown = e.to_string();
    assert!(!shown.contains('\n'), "not one line: {shown:?}");
    if let Some(line) = e.line {
        let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
        assert!(
            text.is_empty() || (1..=lines).contains(&line),
            "line {line} of {lines}: {e}"
        );
        // A fault in the text names the key it sits in; only a fault above
        // every key (in a leading comment) has none to name.
        let shown_line = text.lines().nth(line - 1).unwrap_or_default();
        let key_above = text.lines().take(line).any(|l| {
            let l = l.trim_start();
            let named = l
                .split_once('=')
                .is_some_and(|(k, _)| !k.trim().trim_matches('"').is_empty());
            !l.starts_with('#') && (named || l.starts_with('['))
        });
        assert!(
            e.key.is_some() || !key_above,
            "a line but no key: {e} on {shown_line:?}"
        );
    } else {
        // Only faults of the whole file have no line: unreadable bytes or
        // one that is missing a key (which the key then names).
        let whole_file = e.message.starts_with("cannot read the file")
            || e.message.contains("is empty")
            || e.message.contains("missing field")
            || e.key.is_some();
        assert!(whole_file, "no line and no key: {e}");
    }
}

fn seeds(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| fixture(p)).collect()
}

fn scenario_seeds() -> Vec<String> {
    let dir = root().join("fixtures/scenarios");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

const DEMO_SEED: &str = "5cecbc1b67d5f330250a3f17372a6bd1b50fc9e69c7d37a06d8b5130fdb5216a";

fn signed_codes() -> Vec<String> {
    let key = appcode::parse_seed_hex(DEMO_SEED).unwrap();
    let exp = 1_798_675_200;
    [
        AppCode::Member {
            member: "M-100001".into(),
            exp,
        },
        AppCode::Coupon {
            member: "M-100001".into(),
            coupon: "CP-1".into(),
            sku: "KAFFE".into(),
            exp,
        },
        AppCode::Card {
            member: "M-100001".into(),
            card: "KK-1".into(),
            exp: u64::MAX,
        },
    ]
    .iter()
    .map(|c| c.sign(&key))
    .collect()
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn data_loader(bytes in mutate::input(seeds(&["fixtures/data/demo.toml"]))) {
        let text = mutate::text(&bytes);
        let file = Path::new("fuzz/data.toml");
        let for_till = no_panic("Data::parse_for_till", &text, || Data::parse_for_till(file, &text));
        if let Err(e) = for_till {
            check_located(&e, &[file], &text);
        }
        let r = no_panic("Data::parse", &text, || Data::parse(file, &text));
        note("data_loader", if r.is_ok() { "ok" } else { "refused" }, cases());
        if let Err(e) = r {
            check_located(&e, &[file], &text);
        }
    }

    #[test]
    fn scenario_loader(bytes in mutate::input(scenario_seeds())) {
        let text = mutate::text(&bytes);
        let file = root().join("fixtures/scenarios/fuzz.toml");
        let r = no_panic("Scenario::parse", &text, || Scenario::parse(&file, &text));
        note("scenario_loader", if r.is_ok() { "ok" } else { "refused" }, cases());
        if let Err(e) = r {
            check_located(&e, &[&file], &text);
        }
    }

    #[test]
    fn config_loader(bytes in mutate::input(seeds(&["config.toml"]))) {
        let text = mutate::text(&bytes);
        let file = root().join("fuzz-config.toml");
        let r = no_panic("Config::parse", &text, || Config::parse(&file, &text));
        note("config_loader", if r.is_ok() { "ok" } else { "refused" }, cases());
        if let Err(e) = r {
            check_located(&e, &[&file], &text);
        }
    }

    #[test]
    fn durations(text in prop_oneof![
        "[0-9]{0,30}[smhdx]{0,2}([0-9]{1,25}[smhd]){0,3}",
        ".{0,40}",
    ]) {
        // Whatever it reads, a duration stays inside chrono's range.
        let d = no_panic("parse_duration", &text, || parse_duration(&text));
        if let Some(d) = d {
            prop_assert!(d.num_milliseconds() >= 0, "{text}: {d}");
        }
    }

    #[test]
    fn qr_payloads(bytes in mutate::input(signed_codes())) {
        let text = mutate::text(&bytes);
        let keys = [appcode::parse_public_key(appcode::DEMO_PUBLIC_KEY).unwrap()];
        let signing = appcode::parse_seed_hex(DEMO_SEED).unwrap();
        let now = 1_763_884_800;
        let read = no_panic("appcode::read", &text, || appcode::read(&text, &keys, now));
        note("qr_payloads", format!("{read:?}").split(['(', ' ']).next().unwrap_or_default().to_string(), cases());
        if let Ok(code) = read {
            // Only an untouched signed code passes: the signature covers it all.
            prop_assert!(signed_codes().contains(&text), "accepted a bent code {text:?}");
            prop_assert_eq!(code.sign(&signing), text);
        }
    }

    #[test]
    fn key_parsers(bytes in mutate::input(vec![
        appcode::DEMO_PUBLIC_KEY.to_string(),
        DEMO_SEED.to_string(),
        fixture("fixtures/keys/other.seed"),
        format!("  {DEMO_SEED}\n"),
    ])) {
        let text = mutate::text(&bytes);
        if let Ok(k) = no_panic("parse_public_key", &text, || appcode::parse_public_key(&text)) {
            prop_assert_eq!(appcode::public_key_text(&k), text.trim());
        }
        if let Ok(k) = no_panic("parse_seed_hex", &text, || appcode::parse_seed_hex(&text)) {
            let hex: String = k.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
            prop_assert_eq!(hex, text.trim().to_ascii_lowercase());
        }
    }

    #[test]
    fn saft_key_parsers(bytes in mutate::input(seeds(&[
        "fixtures/keys/saft-demo.pem",
        "fixtures/keys/saft-demo.pub.pem",
    ]))) {
        use kasse::compliance::sign::{Signer, Verifier, verify};
        let text = mutate::text(&bytes);
        no_panic("Signer::from_pem", &text, || {
            if let Ok(s) = Signer::from_pem(&text, "fuzz") {
                let sig = s.sign("fuzz").unwrap();
                assert!(verify(s.public_pem(), "fuzz", &sig));
            }
        });
        no_panic("Verifier::from_pem", &text, || {
            if let Ok(v) = Verifier::from_pem(&text) {
                assert!(!v.verify("fuzz", &text));
            }
        });
    }
}
