//! Replay under fuzz: whole checkouts generated from their parts (prices,
//! quantities, weights, clock jumps and signed codes at and past every
//! limit), and the fixture scenarios mutated as text. In process for
//! breadth, through the `kasse` binary for the contract: exit 0 or 2, never
//! a panic, and an exit-2 message naming the file.

use crate::{cases, check_located, config, mutate, no_panic, note, root, scenario_seeds};
use kasse::domain::appcode::{self, AppCode};
use kasse::replay::{ReplayError, ReplayOptions, run_file};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::path::Path;
use std::process::Command;

/// An amount as a data or scenario file writes it: everyday, or at the edges.
fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (0u64..200_000).prop_map(|o| format!("\"{}.{:02}\"", o / 100, o % 100)),
        // At the data file's ceiling (1 000 000 000.00): the largest sums a till makes.
        2 => select(vec![
            "\"1000000000.00\"",
            "\"999999999.99\"",
            "1000000000",
            "\"0.00\"",
            "\"0.01\"",
        ]).prop_map(str::to_string),
        1 => select(vec![
            "\"1000000000.01\"",
            "\"79228162514264337593543950335\"",
            "\"792281625142643375935439503.35\"",
            "\"39614081257132168796771975167.50\"",
            "4294967295",
        ]).prop_map(str::to_string),
        1 => (any::<u64>(), 0u8..100).prop_map(|(k, o)| format!("\"{k}.{o:02}\"")),
    ]
}

fn rate() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "\"0.03\"",
            "\"0\"",
            "\"0.5\"",
            "\"0.99\"",
            "\"0.9999999999999999999999999999\"",
            "\"0.0000000000000000000000000001\"",
        ])
        .prop_map(str::to_string),
        (0u32..1000).prop_map(|p| format!("\"0.{p:03}\"")),
    ]
}

fn big_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 1u32..20,
        1 => select(vec![u32::MAX, u32::MAX - 1, 1 << 31, 1_000_000, 4_000_000]),
        1 => any::<u32>(),
    ]
}

fn data_file() -> impl Strategy<Value = String> {
    (
        (rate(), 0u32..100, amount(), amount(), amount()),
        (
            select(vec![0u32, 10, 400, u32::MAX]),
            rate(),
            amount(),
            big_u32(),
        ),
    )
        .prop_map(
            |((bonus_rate, min_grams, p1, p2, p3), (tare, camp, bonus, clips))| {
                format!(
                    r#"[settings]
bonus_rate = {bonus_rate}
min_grams = {min_grams}

[[product]]
sku = "KAFFE"
name = "Kaffe"
price = {p1}
vat = "15"
coffee = true
barcodes = ["7038010000010"]

[[product]]
sku = "VEKT"
name = "Middag etter vekt"
price_per_kg = {p2}
vat = "15"
tare_g = {tare}

[[product]]
sku = "SALAT"
name = "Salat"
price = {p3}
vat = "25"

[[campaign]]
skus = ["SALAT"]
rate = {camp}
from = "2026-11-01"
until = "2026-11-30"

[[member]]
id = "M-100001"
name = "Ola"
student = true
student_until = "2027-02-01"
bonus = {bonus}

[[coupon]]
id = "CP-1"
member = "M-100001"
sku = "KAFFE"
valid_until = "2026-12-31"

[[card]]
id = "KK-1"
member = "M-100001"
clips = {clips}
"#
                )
            },
        )
}

fn code() -> impl Strategy<Value = String> {
    let key = appcode::parse_seed_hex(crate::DEMO_SEED).unwrap();
    let member = "M-100001".to_string();
    let exp = select(vec![1_798_675_200u64, 1_700_000_000, u64::MAX]);
    prop_oneof![
        exp.clone().prop_map(move |exp| AppCode::Member {
            member: member.clone(),
            exp
        }),
        exp.clone().prop_map(|exp| AppCode::Coupon {
            member: "M-100001".into(),
            coupon: "CP-1".into(),
            sku: "KAFFE".into(),
            exp
        }),
        exp.prop_map(|exp| AppCode::Card {
            member: "M-100001".into(),
            card: "KK-1".into(),
            exp
        }),
    ]
    .prop_map(move |c| c.sign(&key))
}

fn sku() -> impl Strategy<Value = &'static str> {
    select(vec!["KAFFE", "VEKT", "SALAT", "NOPE"])
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec!["10m", "25h", "1h30m", "3d", "400d"]).prop_map(str::to_string),
        1 => select(vec![
            "100000000d",
            "106751991167d",
            "106751991d",
            "2920000d",
            "9223372036854775807s",
            "99999999999999999999s",
        ])
        .prop_map(str::to_string),
        1 => (any::<u32>(), select(vec!['s', 'm', 'h', 'd'])).prop_map(|(n, u)| format!("{n}{u}")),
    ]
}

fn step() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (sku(), big_u32()).prop_map(|(s, q)| format!("tap = \"{s}\"\nqty = {q}")),
        3 => (sku(), prop_oneof![3 => 0u32..2000, 1 => any::<u32>()], any::<bool>())
            .prop_map(|(s, g, st)| format!("weigh = \"{s}\"\ngrams = {g}\nstable = {st}")),
        3 => code().prop_map(|c| format!("qr = \"{c}\"")),
        1 => select(vec!["7038010000010", "0000000000000", "SSN1.", ""])
            .prop_map(|b| format!("barcode = \"{b}\"")),
        2 => any::<bool>().prop_map(|a| format!("bonus = \"{}\"", if a { "accept" } else { "decline" })),
        3 => (select(vec!["card", "vipps", "cash"]), any::<bool>()).prop_map(|(t, d)| {
            format!("pay = \"{t}\"\ndeclined = {d}")
        }),
        1 => amount().prop_map(|a| format!("pay = \"cash\"\ncash_given = {a}")),
        1 => prop_oneof![0u32..4, Just(u32::MAX)].prop_map(|n| format!("void = {n}")),
        1 => Just("cancel = true".to_string()),
        2 => duration().prop_map(|d| format!("advance = \"{d}\"")),
    ]
}

/// A scenario whose data file sits beside it as `data.toml`.
fn scenario_file() -> impl Strategy<Value = String> {
    (
        select(vec!["self", "cashier"]),
        select(vec![
            "2026-11-23T11:30:00+01:00",
            "9999-12-31T23:00:00+01:00",
            "0000-01-01T00:00:00Z",
            "2026-11-23T11:30:00-23:59",
        ]),
        any::<bool>(),
        vec(step(), 0..16),
    )
        .prop_map(|(mode, now, offline, steps)| {
            let mut s = format!(
                "name = \"fuzz\"\ndata = \"data.toml\"\nmode = \"{mode}\"\nnow = \"{now}\"\noffline = {offline}\n"
            );
            for step in steps {
                s.push_str("\n[[step]]\n");
                s.push_str(&step);
                s.push('\n');
            }
            s
        })
}

/// Replay in process: a document with one event per step, or an input error
/// that names the scenario or the data file; never a till failure or a panic.
fn replay_in_process(target: &'static str, dir: &Path, scenario: &str, data: &[u8]) {
    let scen = dir.join("scenario.toml");
    let data_path = dir.join("data.toml");
    std::fs::write(&scen, scenario).unwrap();
    std::fs::write(&data_path, data).unwrap();
    let opts = ReplayOptions {
        data: None,
        db: None,
    };
    match no_panic("replay", scenario, || run_file(&scen, &opts)) {
        Ok(doc) => {
            let paid = doc["receipts"].as_array().map_or(0, Vec::len);
            note(target, if paid > 0 { "ran, paid" } else { "ran" }, cases());
            let steps = scenario.matches("[[step]]").count();
            let events = doc["events"].as_array().map_or(0, Vec::len);
            assert_eq!(events, steps, "one event per step: {doc}");
        }
        Err(ReplayError::Input(e)) => {
            let key: Option<String> = e.key.as_ref().map(|k| k.chars().take(12).collect());
            note(target, format!("exit 2 on key {key:?}"), cases());
            let text = if e.file == data_path {
                mutate::text(data)
            } else {
                scenario.to_string()
            };
            check_located(&e, &[&scen, &data_path], &text);
        }
        Err(e) => panic!("replay failed as a till (exit 1): {e}\non {scenario}"),
    }
}

/// The `kasse` binary under test, hard-linked once per run into the target
/// directory's scratch folder: a target directory shared with other builds
/// may replace the original while the run goes on, and the link keeps this
/// one.
fn kasse_binary() -> &'static Path {
    static LINK: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    LINK.get_or_init(|| {
        let path = crate::scratch("kasse");
        let bin = env!("CARGO_BIN_EXE_kasse");
        std::fs::hard_link(bin, &path)
            .or_else(|_| std::fs::copy(bin, &path).map(drop))
            .unwrap();
        path
    })
}

/// The contract through the binary: exit 0 with one JSON document, or exit 2
/// with one line on stderr that starts with the file's name.
fn replay_binary(target: &'static str, dir: &Path, scenario: &Path, data: &Path) {
    let out = Command::new(kasse_binary())
        .arg("replay")
        .arg(scenario)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let input = std::fs::read(scenario).unwrap_or_default();
    let input = mutate::text(&input);
    note(
        target,
        format!("exit {:?}", out.status.code()),
        (cases() / 8).max(8),
    );
    match out.status.code() {
        Some(0) => {
            let doc: serde_json::Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("exit 0 but not one JSON document ({e}) for {input}"));
            assert!(doc["events"].is_array(), "{doc}");
        }
        Some(2) => {
            assert!(
                stdout.is_empty(),
                "exit 2 after a partial document: {stdout}"
            );
            let line = stderr.trim_end();
            assert!(!line.contains('\n'), "more than one line: {stderr}");
            // The scenario, its data file, or another file it names there.
            let names = [scenario, data].map(|p| p.display().to_string());
            assert!(
                names.iter().any(|n| line.starts_with(n.as_str()))
                    || line.starts_with(&dir.display().to_string()),
                "stderr does not start with the file: {line}"
            );
        }
        code => panic!("kasse replay exited {code:?} (stderr: {stderr}) on:\n{input}"),
    }
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn replay_generated_checkouts(scenario in scenario_file(), data in data_file()) {
        let dir = tempfile::tempdir().unwrap();
        replay_in_process("replay_generated_checkouts", dir.path(), &scenario, data.as_bytes());
    }

    #[test]
    fn replay_mutated_data(
        data in mutate::input(vec![crate::fixture("fixtures/data/demo.toml")]),
        scenario in scenario_file(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        replay_in_process("replay_mutated_data", dir.path(), &scenario, &data);
    }
}

proptest! {
    #![proptest_config(config((cases() / 8).max(8)))]

    #[test]
    fn replay_binary_generated(scenario in scenario_file(), data in data_file()) {
        let dir = tempfile::tempdir().unwrap();
        let scen = dir.path().join("scenario.toml");
        let data_path = dir.path().join("data.toml");
        std::fs::write(&scen, scenario).unwrap();
        std::fs::write(&data_path, data).unwrap();
        replay_binary("replay_binary_generated", dir.path(), &scen, &data_path);
    }

    /// The fixture scenarios, bent as text, beside a bent or intact demo data
    /// file in the fixtures' layout (images stay reachable through a link).
    #[test]
    fn replay_binary_mutated(
        which in 0usize..1000,
        scen_ms in vec(mutate::mutation(), 0..4),
        data_ms in vec(mutate::mutation(), 0..2),
    ) {
        let seeds: Vec<String> = scenario_seeds()
            .into_iter()
            .filter(|s| !s.contains("[payment"))
            .collect();
        let tokens = mutate::tokens();
        let seed = &seeds[which % seeds.len()];
        let dir = tempfile::tempdir().unwrap();
        for sub in ["scenarios", "data"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::os::unix::fs::symlink(root().join("fixtures/qr"), dir.path().join("qr")).unwrap();
        let scen = dir.path().join("scenarios/fuzz.toml");
        let data_path = dir.path().join("data/demo.toml");
        std::fs::write(&scen, mutate::apply(seed.as_bytes(), &scen_ms, &tokens)).unwrap();
        let demo = crate::fixture("fixtures/data/demo.toml");
        std::fs::write(&data_path, mutate::apply(demo.as_bytes(), &data_ms, &tokens)).unwrap();
        // The scenario names its data as ../data/demo.toml: the file above.
        replay_binary("replay_binary_mutated", dir.path(), &scen, &dir.path().join("scenarios/../data/demo.toml"));
    }
}
