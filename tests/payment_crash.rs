//! A real till process killed (`kill -9`) in the middle of a Vipps payment
//! that the customer then approves (spec/payments.md, "Recovery"): the Vipps
//! ePayment emulator runs on 127.0.0.1, the till is the `kasse replay --db`
//! binary paying through the ePayment client. On restart the sale is
//! committed once, from the intent's snapshot, with what Vipps took; a second
//! restart changes nothing.

use kasse::domain::Money;
use kasse::payments::emulator::{Mode, spawn_vipps};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scenario(dir: &Path, url: &str, steps: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("secret"), "s3cret\n").expect("secret");
    std::fs::write(dir.join("subkey"), "sub-key\n").expect("subkey");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml");
    let text = format!(
        r#"name = "vipps, killed"
data = "{data}"
now = "2026-11-23T11:30:00+01:00"
mode = "self"

[payment]
vipps = "epayment"
timeout_ms = 30000

[payment.epayment]
base_url = "{url}"
client_id = "kasse-test"
client_secret_file = "secret"
subscription_key_file = "subkey"
merchant_serial_number = "123456"
poll_ms = 100
{steps}"#,
        data = data.display()
    );
    let path = dir.join(format!("scenario-{}.toml", steps.len()));
    std::fs::write(&path, text).expect("scenario");
    path
}

fn replay(scenario: &Path, db: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .arg("replay")
        .arg(scenario)
        .arg("--db")
        .arg(db)
        .output()
        .expect("kasse replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_till_killed_during_a_vipps_payment_commits_it_once_on_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vipps = spawn_vipps(Mode::Approve).expect("emulator");
    // The customer takes a while to approve in the app.
    vipps.set_delay(Duration::from_millis(1500));
    let db = dir.path().join("till.sqlite");
    let pay = scenario(
        dir.path(),
        vipps.url(),
        "\n[[step]]\ntap = \"KAFFE\"\n\n[[step]]\npay = \"vipps\"\n",
    );
    let mut till = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .arg("replay")
        .arg(&pay)
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kasse replay");
    // The intent is written before Vipps is asked; kill once Vipps has it.
    let mut reference = String::new();
    wait_for("the payment at Vipps", || match vipps.payments().first() {
        Some(p) => {
            reference = p.reference.clone();
            true
        }
        None => false,
    });
    till.kill().expect("kill -9");
    till.wait().expect("reaped");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM payment_intent WHERE state = 'open'"
        ),
        1
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sale"), 0);
    // Meanwhile the customer approves in the app.
    wait_for("the customer's approval", || {
        vipps
            .payment(&reference)
            .is_some_and(|p| p.state == "AUTHORIZED")
    });

    // Restart: recovery asks Vipps by reference, captures, commits once.
    let restart = scenario(dir.path(), vipps.url(), "");
    let doc = replay(&restart, &db);
    let recovered = doc["recovered"].as_array().expect("recovery reported");
    assert_eq!(recovered.len(), 1, "{doc}");
    assert!(
        recovered[0]
            .as_str()
            .is_some_and(|r| r.contains("committed late as receipt 1")),
        "{doc}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sale"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM tender WHERE kind = 'vipps' AND amount = '25.00'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM payment_intent WHERE state = 'committed'"
        ),
        1
    );
    let at_vipps = vipps.payment(&reference).expect("payment");
    assert_eq!(
        at_vipps.captured,
        Money::from_ore(2500),
        "captured once, in full"
    );

    // A second restart changes nothing.
    let doc = replay(&restart, &db);
    assert!(doc.get("recovered").is_none(), "{doc}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sale"), 1);
    assert_eq!(
        vipps.payment(&reference).expect("payment").captured,
        Money::from_ore(2500)
    );
}
