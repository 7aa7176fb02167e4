//! Every scenario in fixtures/scenarios replayed through the real binary and
//! compared with its golden JSON; bad input files exit 2 naming file, line, key.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn kasse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kasse"))
}

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Where two JSON documents differ, as `path: got X, want Y` lines.
fn differences(got: &Value, want: &Value, path: &str, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => differences(gv, wv, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: missing, want {wv}")),
                }
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}.{k}: not expected ({})", g[k]));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                out.push(format!("{path}: {} items, want {}", g.len(), w.len()));
            }
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                differences(gv, wv, &format!("{path}[{i}]"), out);
            }
        }
        _ if got != want => out.push(format!("{path}: got {got}, want {want}")),
        _ => {}
    }
}

#[test]
fn every_scenario_matches_its_golden_json() {
    let files = scenarios();
    assert!(files.len() >= 30, "only {} scenarios", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let out = kasse()
            .arg("replay")
            .arg(file)
            .output()
            .expect("kasse runs");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !out.status.success() {
            failures.push(format!(
                "{name}: exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let got: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
        let golden = file.with_extension("expected.json");
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(&golden).expect("golden file exists"))
                .expect("golden file is JSON");
        let mut diffs = Vec::new();
        differences(&got, &want, "", &mut diffs);
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n    {}", diffs.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The golden files together exercise every reason code and result of the spec.
#[test]
fn goldens_cover_every_reason_code_and_result() {
    let mut seen = std::collections::BTreeSet::new();
    for file in scenarios() {
        let want: Value = serde_json::from_str(
            &std::fs::read_to_string(file.with_extension("expected.json")).expect("golden"),
        )
        .expect("json");
        for e in want["events"].as_array().expect("events") {
            for key in ["result", "reason"] {
                if let Some(v) = e[key].as_str() {
                    seen.insert(v.to_string());
                }
            }
        }
    }
    let spec = [
        "member",
        "line",
        "coupon",
        "clip",
        "weight_refused",
        "bonus_offered",
        "bonus_used",
        "bonus_declined",
        "paid",
        "declined",
        "voided",
        "cancelled",
        "advanced",
        "refused",
        "malformed",
        "bad_signature",
        "expired",
        "wrong_member",
        "not_student",
        "coupon_used",
        "card_empty",
        "card_unknown",
        "unknown_code",
        "unknown_sku",
        "unstable_weight",
        "below_min_weight",
        "bonus_not_available",
        "no_open_sale",
        "not_allowed_in_mode",
        "unreadable_image",
        "offline_too_long",
    ];
    let missing: Vec<_> = spec.iter().filter(|s| !seen.contains(**s)).collect();
    assert!(missing.is_empty(), "no golden file shows {missing:?}");
}

/// Receipts in every golden file obey the spec's invariants.
#[test]
fn golden_receipts_add_up() {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let amount = |v: &Value| {
        let s = v.as_str().expect("amounts are strings");
        assert_eq!(
            s.split('.').nth(1).map(str::len),
            Some(2),
            "{s} has two decimals"
        );
        Decimal::from_str(s).expect("decimal")
    };
    for file in scenarios() {
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(file.with_extension("expected.json")).expect("golden"),
        )
        .expect("json");
        for r in doc["receipts"].as_array().expect("receipts") {
            let total = amount(&r["total"]);
            let lines: Decimal = r["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| amount(&l["amount"]))
                .sum();
            let tenders: Decimal = r["tenders"]
                .as_array()
                .expect("tenders")
                .iter()
                .map(|t| amount(&t["amount"]))
                .sum();
            let vat: Decimal = r["vat"]
                .as_array()
                .expect("vat")
                .iter()
                .map(|v| amount(&v["gross"]))
                .sum();
            assert_eq!(lines, total, "{}: lines = total", file.display());
            assert_eq!(
                tenders,
                total + amount(&r["rounding"]),
                "{}: tenders = total + rounding",
                file.display()
            );
            assert_eq!(vat, total, "{}: VAT gross = total", file.display());
        }
    }
}

#[test]
fn bad_input_files_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml");
    let cases = [
        (
            "bad-key.toml",
            "now = \"2026-11-23T11:30:00+01:00\"\n[[step]]\ntapp = \"KAFFE\"\n",
            ":3: key `tapp`",
        ),
        (
            "bad-syntax.toml",
            "now = \"2026-11-23T11:30:00+01:00\"\n[[step]\n",
            ":2",
        ),
        (
            "bad-pay.toml",
            "now = \"2026-11-23T11:30:00+01:00\"\n[[step]]\npay = \"iou\"\n",
            ":3: key `pay`",
        ),
        ("bad-now.toml", "now = \"soon\"\n", ":1: key `now`"),
    ];
    for (name, text, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write scenario");
        let out = kasse()
            .arg("replay")
            .arg(&path)
            .arg("--data")
            .arg(&data)
            .output()
            .expect("kasse runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: no partial JSON on stdout");
        assert!(
            stderr.contains(name) && stderr.contains(expect),
            "{name}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{name}: one line: {stderr}"
        );
    }
    // A broken data file is named too.
    let bad_data = dir.path().join("data.toml");
    std::fs::write(
        &bad_data,
        "[[product]]\nsku = \"A\"\nname = \"A\"\nprice = 12.5\nvat = \"25\"\n",
    )
    .expect("write");
    let ok = dir.path().join("ok.toml");
    std::fs::write(&ok, "now = \"2026-11-23T11:30:00+01:00\"\n").expect("write");
    let out = kasse()
        .arg("replay")
        .arg(&ok)
        .arg("--data")
        .arg(&bad_data)
        .output()
        .expect("kasse runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("data.toml:4: key `price`"), "{stderr}");
    // A missing scenario file.
    let out = kasse()
        .arg("replay")
        .arg(dir.path().join("nope.toml"))
        .output()
        .expect("kasse runs");
    assert_eq!(out.status.code(), Some(2));
    // A clock advanced past the calendar is refused, never a panic.
    let far = dir.path().join("far.toml");
    std::fs::write(
        &far,
        "now = \"2026-11-23T11:30:00+01:00\"\n\n[[step]]\nadvance = \"100000000d\"\n",
    )
    .expect("write");
    let out = kasse()
        .arg("replay")
        .arg(&far)
        .arg("--data")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml"))
        .output()
        .expect("kasse runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("advance"), "{stderr}");
}

#[test]
fn db_option_keeps_balances_and_receipt_numbers_between_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("till.sqlite");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = dir.path().join("sale.toml");
    std::fs::write(
        &scenario,
        format!(
            "data = \"{}\"\nmode = \"cashier\"\nnow = \"2026-11-23T11:30:00+01:00\"\n[[step]]\ntap = \"KAFFE\"\n[[step]]\npay = \"card\"\n",
            root.join("fixtures/data/demo.toml").display()
        ),
    )
    .expect("write");
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let out = kasse()
            .arg("replay")
            .arg(&scenario)
            .arg("--db")
            .arg(&db)
            .output()
            .expect("kasse runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        numbers.push(doc["receipts"][0]["number"].as_u64().expect("number"));
    }
    assert_eq!(
        numbers,
        [1, 2],
        "receipt numbers continue in a kept database"
    );
}
