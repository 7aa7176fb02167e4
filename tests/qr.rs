//! App QR codes end to end: `kasse qr sign --png` → rqrr decode → verify, and
//! every fixture image decodes to the text its manifest says.

use kasse::domain::appcode::{self, AppCode, CodeError};
use kasse::scanner::decode::decode_file;
use std::path::Path;
use std::process::Command;

const EXP: u64 = 1_830_297_600;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn trusted() -> Vec<ed25519_dalek::VerifyingKey> {
    vec![appcode::parse_public_key(appcode::DEMO_PUBLIC_KEY).expect("demo key")]
}

#[test]
fn sign_png_decode_verify_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = root().join("fixtures/keys/demo.seed");
    let cases: [(&[&str], AppCode); 3] = [
        (
            &["--kind", "member", "--member", "M-100001"],
            AppCode::Member {
                member: "M-100001".into(),
                exp: EXP,
            },
        ),
        (
            &[
                "--kind", "coupon", "--member", "M-100001", "--coupon", "CP-9", "--sku", "KAFFE",
            ],
            AppCode::Coupon {
                member: "M-100001".into(),
                coupon: "CP-9".into(),
                sku: "KAFFE".into(),
                exp: EXP,
            },
        ),
        (
            &["--kind", "card", "--member", "M-100002", "--card", "KK-2"],
            AppCode::Card {
                member: "M-100002".into(),
                card: "KK-2".into(),
                exp: EXP,
            },
        ),
    ];
    for (i, (args, expected)) in cases.into_iter().enumerate() {
        let png = dir.path().join(format!("code-{i}.png"));
        let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["qr", "sign", "--key"])
            .arg(&key)
            .args(args)
            .args(["--exp", &EXP.to_string(), "--png"])
            .arg(&png)
            .output()
            .expect("kasse runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let decoded = decode_file(&png).expect("png readable");
        assert_eq!(
            decoded.texts,
            vec![printed.clone()],
            "the PNG holds the printed text"
        );
        assert_eq!(
            appcode::read(&decoded.texts[0], &trusted(), 1_800_000_000),
            Ok(expected)
        );
        assert_eq!(
            appcode::read(&printed, &trusted(), EXP as i64 + 1),
            Err(CodeError::Expired)
        );
    }
}

#[test]
fn signing_refuses_bad_fields_and_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_key = dir.path().join("bad.seed");
    std::fs::write(&bad_key, "not hex").expect("write");
    let key = root().join("fixtures/keys/demo.seed");
    let runs: [(&Path, &[&str], &str); 3] = [
        (
            &bad_key,
            &["--kind", "member", "--member", "M-1"],
            "64 hex digits",
        ),
        (
            &key,
            &["--kind", "member", "--member", "M.1"],
            "not 1–32 characters",
        ),
        (&key, &["--kind", "coupon", "--member", "M-1"], "--coupon"),
    ];
    for (k, args, expect) in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["qr", "sign", "--key"])
            .arg(k)
            .args(args)
            .args(["--exp", "1"])
            .output()
            .expect("kasse runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
}

#[test]
fn every_fixture_image_decodes_to_its_manifest_text() {
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(root().join("fixtures/qr/codes.toml")).expect("manifest"),
    )
    .expect("manifest is TOML");
    let codes = manifest["code"].as_array().expect("codes");
    assert!(codes.len() >= 10);
    let mut styles = std::collections::BTreeSet::new();
    for code in codes {
        let file = code["file"].as_str().expect("file");
        let text = code["text"].as_str().expect("text");
        styles.insert(
            code.get("style")
                .and_then(|s| s.as_str())
                .unwrap_or("flat")
                .to_string(),
        );
        let decoded = decode_file(&root().join("fixtures/qr").join(file)).expect("image readable");
        assert_eq!(decoded.texts, vec![text.to_string()], "{file}");
    }
    assert!(
        styles.len() >= 5,
        "flat and photographed-looking styles: {styles:?}"
    );
    for blank in manifest["blank"].as_array().expect("blanks") {
        let file = blank["file"].as_str().expect("file");
        let decoded = decode_file(&root().join("fixtures/qr").join(file)).expect("image readable");
        assert!(decoded.texts.is_empty(), "{file} holds no code");
    }
}

#[test]
fn kasse_scan_prints_codes_and_fails_when_none_is_found() {
    let scan = |files: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kasse"))
            .arg("scan")
            .args(files.iter().map(|f| root().join("fixtures/qr").join(f)))
            .output()
            .expect("kasse runs")
    };
    let out = scan(&["member-ola.png", "no-code.png"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("SSN1.M.M-100001.") && stdout.contains("no-code.png: no code"),
        "{stdout}"
    );
    let out = scan(&["no-code.png", "no-code.jpg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no QR code found"));
}
