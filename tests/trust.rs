//! Which QR keys the till believes (spec/qr-payloads.md): exactly the keys in
//! its config's `[qr] trusted_keys` plus the keys the ledger delivers — never
//! the published demo key unless the config lists it. The till is opened the
//! way the kiosk opens it (`kasse::wiring::open_till`) from a real config file.

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::SigningKey;
use kasse::config::Config;
use kasse::domain::{AppCode, Reason};
use kasse::till::{Outcome, Till};
use std::path::{Path, PathBuf};

const EXP: u64 = 1_830_297_600;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").expect("time")
}

fn demo_seed() -> SigningKey {
    let seed = std::fs::read_to_string(root().join("fixtures/keys/demo.seed")).expect("seed");
    kasse::domain::appcode::parse_seed_hex(&seed).expect("key")
}

/// Our own backend's key (a production deployment's).
fn backend() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn public(key: &SigningKey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

/// The demo config.toml with its `[qr] trusted_keys` replaced by `keys`, its
/// paths made absolute and its database in `dir`.
fn config(dir: &Path, keys: &[String]) -> PathBuf {
    let text = std::fs::read_to_string(root().join("config.toml")).expect("config");
    let list = keys
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("trusted_keys") {
                format!("trusted_keys = [{list}]")
            } else if l.starts_with("path = \"kasse.sqlite\"") {
                format!("path = \"{}\"", dir.join("till.sqlite").display())
            } else if l.contains("\"fixtures/") {
                l.replace("\"fixtures/", &format!("\"{}/fixtures/", root().display()))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn open(path: &Path) -> (Config, Till) {
    let config = Config::load(path).expect("config loads");
    let till = kasse::wiring::open_till(&config).expect("till opens");
    (config, till)
}

fn forged_coupon(key: &SigningKey) -> String {
    // A coupon for a member the cache has never heard of.
    AppCode::Coupon {
        member: "M-999999".into(),
        coupon: "CP-FORGED".into(),
        sku: "KAFFE".into(),
        exp: EXP,
    }
    .sign(key)
}

fn member(key: &SigningKey) -> String {
    AppCode::Member {
        member: "M-100001".into(),
        exp: EXP,
    }
    .sign(key)
}

#[test]
fn a_production_config_refuses_codes_signed_with_the_published_demo_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The demo data (seeded into the cache) lists the demo key: ignored.
    let (config, mut till) = open(&config(dir.path(), &[public(&backend())]));
    assert!(config.warnings().iter().all(|w| !w.contains("DEMO QR")));
    assert!(!kasse::ui::Settings::from_config(&config).demo_key);
    till.tap("KAFFE", 1);
    for forged in [forged_coupon(&demo_seed()), member(&demo_seed())] {
        assert_eq!(
            till.present_code(&forged, at()).expect("scan"),
            Outcome::Refused(Reason::BadSignature),
            "{forged}"
        );
    }
    assert_eq!(till.sale().total().to_string(), "25.00", "nothing changed");
    // The backend's own codes are believed.
    assert!(matches!(
        till.present_code(&member(&backend()), at()).expect("scan"),
        Outcome::Member { .. }
    ));
}

#[test]
fn the_demo_config_trusts_the_demo_key_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = kasse::domain::appcode::DEMO_PUBLIC_KEY.to_string();
    let (config, mut till) = open(&config(dir.path(), &[demo]));
    assert!(config.warnings().iter().any(|w| w.contains("DEMO QR key")));
    assert!(
        kasse::ui::Settings::from_config(&config).demo_key,
        "the status bar says DEMO"
    );
    assert!(matches!(
        till.present_code(&member(&demo_seed()), at())
            .expect("scan"),
        Outcome::Member { .. }
    ));
    assert_eq!(
        till.present_code(&member(&backend()), at()).expect("scan"),
        Outcome::Refused(Reason::BadSignature),
        "a key it was never given"
    );
}

#[test]
fn keys_the_ledger_delivers_are_trusted_after_the_next_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = config(dir.path(), &[]);
    let (_, till) = open(&path);
    let mut store = till.into_store();
    store
        .apply_changes(
            &[kasse::store::Change {
                cursor: 1,
                kind: "key".into(),
                data: serde_json::json!({"id": "backend-1", "key": public(&backend())}),
            }],
            1,
            0,
            at(),
        )
        .expect("apply");
    drop(store);
    let (_, mut till) = open(&path);
    assert!(matches!(
        till.present_code(&member(&backend()), at()).expect("scan"),
        Outcome::Member { .. }
    ));
    assert_eq!(
        till.present_code(&member(&demo_seed()), at())
            .expect("scan"),
        Outcome::Refused(Reason::BadSignature)
    );
}

/// What the sync worker hands the running till: master data from the ledger.
fn changes(changes: Vec<(&str, serde_json::Value)>, next: i64) -> kasse::store::SyncOp {
    kasse::store::SyncOp::Changes {
        changes: changes
            .into_iter()
            .enumerate()
            .map(|(i, (kind, data))| kasse::store::Change {
                cursor: i as i64 + 1,
                kind: kind.into(),
                data,
            })
            .collect(),
        next,
        acked_through: 0,
        at: at(),
    }
}

fn in_effect(till: &Till) -> usize {
    till.store()
        .journal_between(0, u64::MAX)
        .expect("journal")
        .iter()
        .filter(|j| j.kind == "master_data_in_effect")
        .count()
}

#[test]
fn prices_and_keys_from_the_ledger_take_effect_in_the_running_till_at_the_next_sale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, mut till) = open(&config(dir.path(), &[]));
    // A sale is open when the new price and our backend's key arrive.
    till.tap("KAFFE", 1);
    let arrived = changes(
        vec![
            (
                "product",
                serde_json::json!({"sku": "KAFFE", "name": "Kaffe", "price": "30.00", "vat": "15", "coffee": true, "barcodes": ["7038010000010"]}),
            ),
            (
                "key",
                serde_json::json!({"id": "backend-1", "key": public(&backend())}),
            ),
        ],
        2,
    );
    till.sync_write(&arrived)
        .expect("written by the sync worker");
    // Never mid-sale: the open sale keeps its prices and its keys.
    till.tap("KAFFE", 1);
    assert_eq!(till.sale().total().to_string(), "50.00");
    assert_eq!(
        till.present_code(&member(&backend()), at()).expect("scan"),
        Outcome::Refused(Reason::BadSignature)
    );
    assert_eq!(in_effect(&till), 0, "not in effect yet");
    till.cancel(at()).expect("cancel");
    // The next sale has them, and the journal says when they took effect.
    assert_eq!(in_effect(&till), 1);
    till.tap("KAFFE", 1);
    assert_eq!(till.sale().total().to_string(), "30.00");
    assert!(matches!(
        till.present_code(&member(&backend()), at()).expect("scan"),
        Outcome::Member { .. }
    ));
    // With no sale open, new data takes effect at once.
    till.cancel(at()).expect("cancel");
    till.sync_write(&changes(
        vec![(
            "product",
            serde_json::json!({"sku": "KAFFE", "name": "Kaffe", "price": "27.00", "vat": "15", "coffee": true, "barcodes": []}),
        )],
        3,
    ))
    .expect("written");
    assert_eq!(in_effect(&till), 2);
    till.tap("KAFFE", 1);
    assert_eq!(till.sale().total().to_string(), "27.00");
}

#[test]
fn a_till_that_never_synced_is_offline_too_long_for_stored_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = kasse::domain::appcode::DEMO_PUBLIC_KEY.to_string();
    let path = config(dir.path(), &[demo]);
    let token = dir.path().join("token");
    std::fs::write(&token, "t").expect("token");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(&format!(
        "\n[ledger]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n",
        token.display()
    ));
    std::fs::write(&path, text).expect("config");
    let (_, mut till) = open(&path);
    till.tap("KAFFE", 1);
    let coupon = AppCode::Coupon {
        member: "M-100001".into(),
        coupon: "CP-1".into(),
        sku: "KAFFE".into(),
        exp: EXP,
    }
    .sign(&demo_seed());
    assert_eq!(
        till.present_code(&coupon, at()).expect("scan"),
        Outcome::Refused(Reason::OfflineTooLong),
        "never synced: no offline credit"
    );
}
