//! One SAF-T file for the organisation (issue 17): two real tills, each
//! with its own SQLite file and its own signing key, sell a day (several
//! VAT classes, cash rounding, a training sale, a copy, a voided sale and a
//! voided line, a return, an X and a Z) and sync to a real `kasse ledger
//! serve` on 127.0.0.1. Then the real binary `kasse ledger export saft`
//! writes one file: xmllint validates it against the official XSD, `kasse
//! verify saft` verifies each register with its own key, each till's
//! transactions and reports in it are exactly those of the till's own
//! `kasse export saft`, and a changed amount fails. `--till` exports one
//! till; a till whose uploads miss a transaction is refused by name and seq.
//!
//! On SQLite always, and on PostgreSQL when `KASSE_TEST_PG` is set (a fresh
//! schema per run, through the connection string's `search_path`).

#[path = "support/books.rs"]
mod books;
mod common;
use books::{return_lines, xmllint_file};

use chrono::{DateTime, Duration, FixedOffset};
use common::{cashier_till, client, free_port, root, serve};
use kasse::compliance::export;
use kasse::compliance::sign::{Signer, generate_key};
use kasse::data::Data;
use kasse::domain::receipt::TenderKind;
use kasse::store::{SaleKind, SigningKey, Store};
use kasse::till::{Outcome, PayRequest, Till};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DAY: &str = "2026-11-23";
const COMPANY: &str = "Kafé Realfag";
const ORG_NO: &str = "999999999";

fn kasse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kasse"))
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00+01:00").expect("time")
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `kasse ledger --db DB ARGS…`.
fn ledger(db: &str, args: &[&str]) -> Output {
    kasse()
        .args(["ledger", "--db", db])
        .args(args)
        .output()
        .expect("kasse ledger")
}

/// A till with its own database, its own signing key and a config for the
/// binary's own export.
struct RealTill {
    id: &'static str,
    till: Till,
    config: PathBuf,
    public: PathBuf,
}

impl RealTill {
    fn new(dir: &Path, id: &'static str) -> RealTill {
        let pem = generate_key(1024).expect("key");
        let key_file = dir.join(format!("{id}.pem"));
        std::fs::write(&key_file, &pem).expect("key file");
        let signer = Signer::from_pem(&pem, id).expect("signer");
        let public = dir.join(format!("{id}.pub.pem"));
        std::fs::write(&public, signer.public_pem()).expect("public key");
        let db = dir.join(format!("{id}.sqlite"));
        let key = SigningKey {
            public_pem: signer.public_pem().to_string(),
            signer: Box::new(signer),
            version: format!("{id}-1"),
        };
        let mut store = Store::open_with_key(&db, id, key).expect("open");
        store
            .seed(
                &Data::load(&root().join("fixtures/data/demo.toml")).expect("demo"),
                start(),
            )
            .expect("seed");
        let config = dir.join(format!("{id}.toml"));
        std::fs::write(
            &config,
            format!(
                "[till]\nid = \"{id}\"\nmode = \"cashier\"\n[store]\npath = \"{}\"\n\
                 [compliance]\nsigning_key = \"{}\"\nkey_version = \"{id}-1\"\n\
                 [company]\nname = \"{COMPANY}\"\norg_no = \"{ORG_NO}\"\n",
                db.display(),
                key_file.display()
            ),
        )
        .expect("config");
        let till = cashier_till(store, start());
        RealTill {
            id,
            till,
            config,
            public,
        }
    }

    fn pay(&mut self, tender: TenderKind, now: DateTime<FixedOffset>) -> u64 {
        let req = PayRequest {
            tender,
            cash_given: None,
            approved: true,
            reference: Some(format!("{}-ref", self.id)),
        };
        match self.till.pay(req, now).expect("pay") {
            Outcome::Paid { receipt, .. } => receipt.number,
            other => panic!("not paid: {other:?}"),
        }
    }

    /// X then Z at `at`, as the kiosk's report screen takes them.
    fn reports(&mut self, at: DateTime<FixedOffset>) {
        let catalog = self.till.catalog().clone();
        let store = self.till.store_mut();
        export::x_report(store, &catalog, at, Some("kari".into())).expect("x");
        export::z_report(
            store,
            &catalog,
            at + Duration::minutes(1),
            Some("kari".into()),
            None,
        )
        .expect("z");
    }

    fn sync(&mut self, url: &str, token: &str) {
        let c = client(url, self.id, token, std::time::Duration::from_secs(5), 500);
        let report = c
            .sync_once(self.till.store_mut(), start() + Duration::hours(10))
            .expect("sync");
        assert_eq!(
            self.till.store().sync_state().expect("state").queue,
            0,
            "{}: everything uploaded ({report:?})",
            self.id
        );
    }

    /// The binary's own export of this till for the day.
    fn own_export(&self, out: &Path) -> String {
        ok(
            kasse()
                .args(["export", "saft", "--from", DAY, "--to", DAY, "--out"])
                .arg(out)
                .arg("--config")
                .arg(&self.config)
                .output()
                .expect("kasse export"),
            "kasse export saft",
        );
        std::fs::read_to_string(out).expect("own export")
    }
}

/// Till A's day: every VAT class, cash rounding, a voided line, a voided
/// sale, a copy, a training sale, a return, then X and Z.
fn day_a(t: &mut RealTill) {
    let mut now = start();
    let mut tick = || {
        now += Duration::minutes(7);
        now
    };
    t.till.login("kari", tick()).expect("login");
    t.till.tap("KAFFE", 2); // exempt
    t.till.tap("SJOKOLADE", 1); // 15 %
    t.till.tap("HANDLENETT", 1); // 25 %
    t.till.tap("AVIS", 1); // 0 %
    t.pay(TenderKind::Card, tick());
    t.till.tap("RUNDSTYKKE", 1); // 39.90 → 40 in cash
    t.pay(TenderKind::Cash, tick());
    t.till.tap("TE", 1);
    t.till.tap("BRUS", 1);
    t.till.void(2, tick()).expect("line correction");
    t.pay(TenderKind::Vipps, tick());
    t.till.tap("BAGUETTE", 1);
    t.till.cancel(tick()).expect("void sale");
    t.till.price_lookup("LATTE", tick()).expect("look-up");
    t.till.open_drawer(tick()).expect("drawer");
    t.till
        .copy_receipt(SaleKind::Sale, 1, tick())
        .expect("copy");
    t.till.set_training(true, tick()).expect("training on");
    t.till.tap("LATTE", 1);
    t.pay(TenderKind::Card, tick());
    t.till.set_training(false, tick()).expect("training off");
    return_lines(&mut t.till, 1, &[2], tick());
    t.till.tap("BOLLE", 1);
    t.pay(TenderKind::Cash, tick());
    t.reports(tick());
    t.till.logout(tick()).expect("logout");
}

/// Till B's day: food by weight, a training sale, a copy, a voided sale, X and Z.
fn day_b(t: &mut RealTill) {
    let mut now = start() + Duration::minutes(3);
    let mut tick = || {
        now += Duration::minutes(11);
        now
    };
    t.till.login("ola", tick()).expect("login");
    t.till.weigh("VEKT", 412, true);
    t.till.tap("KAFFE", 1);
    t.pay(TenderKind::Card, tick());
    t.till.set_training(true, tick()).expect("training on");
    t.till.tap("BOLLE", 2);
    t.pay(TenderKind::Cash, tick());
    t.till.set_training(false, tick()).expect("training off");
    t.till.tap("HANDLENETT", 1);
    t.till.tap("KANELSNURR", 1);
    t.pay(TenderKind::Cash, tick());
    t.till.tap("AVIS", 1);
    t.till.cancel(tick()).expect("void sale");
    t.till
        .copy_receipt(SaleKind::Sale, 2, tick())
        .expect("copy");
    t.till.tap("SJOKOLADE", 3);
    t.pay(TenderKind::Vipps, tick());
    t.reports(tick());
    t.till.logout(tick()).expect("logout");
}

/// The `<cashregister>` of `till` in a file, as text.
fn register<'a>(xml: &'a str, till: &str) -> &'a str {
    let id = format!("<registerID>{till}</registerID>");
    let at = xml
        .find(&id)
        .unwrap_or_else(|| panic!("no register {till}"));
    let start = xml[..at].rfind("<cashregister>").expect("register start");
    let end = at + xml[at..].find("</cashregister>").expect("register end");
    &xml[start..end]
}

/// Every `<tag>…</tag>` block in `text`, trimmed line by line.
fn blocks(text: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let end = i + rest[i..].find(&close).expect("closed") + close.len();
        out.push(rest[i..end].lines().map(str::trim).collect());
        rest = &rest[end..];
    }
    out
}

/// A report block without its `reportID` (the organisation's file prefixes
/// it with the till, as every till has its own Z-1).
fn without_report_id(report: &str) -> String {
    let start = report.find("<reportID>").expect("reportID");
    let end = start + report[start..].find("</reportID>").expect("end") + "</reportID>".len();
    format!("{}{}", &report[..start], &report[end..])
}

fn verify(file: &Path, keys: &[String]) -> Output {
    let mut c = kasse();
    c.args(["verify", "saft"]).arg(file);
    for k in keys {
        c.args(["--public-key", k]);
    }
    c.output().expect("kasse verify")
}

fn export_org(db: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "export",
        "saft",
        "--from",
        DAY,
        "--to",
        DAY,
        "--org-no",
        ORG_NO,
        "--company",
        COMPANY,
        "--out",
    ];
    let out = out.to_str().expect("utf-8");
    args.push(out);
    args.extend_from_slice(extra);
    ledger(db, &args)
}

/// Till C's real outbox as an older kasse would have sent it: without its
/// training receipt (seqs after it one lower), posted to the ledger.
fn upload_without_training(url: &str, token: &str, store: &Store) {
    let mut events = Vec::new();
    let mut seq = 0;
    for e in store.outbox_events(0, 1000).expect("outbox") {
        let body: Value = serde_json::from_str(&e.body).expect("body");
        if e.kind == "journal" && body["code"] == 13017 {
            continue;
        }
        seq += 1;
        events.push(json!({"seq": seq, "id": e.id, "kind": e.kind, "at": e.at,
                           "offline": e.offline, "body": body}));
    }
    let reply = reqwest::blocking::Client::new()
        .post(format!("{url}/v1/tills/till-c/events"))
        .bearer_auth(token)
        .json(&json!({ "events": events }))
        .send()
        .expect("upload");
    assert!(reply.status().is_success(), "{:?}", reply.text());
}

fn organisation_file(db: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = root().join("fixtures/data/demo.toml");
    ok(
        ledger(db, &["import", demo.to_str().expect("utf-8")]),
        "import",
    );
    let token = |till: &str| {
        ok(ledger(db, &["enroll", till]), "enroll")
            .trim()
            .to_string()
    };
    let (token_a, token_b, token_c) = (token("till-a"), token("till-b"), token("till-c"));
    let server = serve(db, free_port());

    let mut a = RealTill::new(dir.path(), "till-a");
    let mut b = RealTill::new(dir.path(), "till-b");
    day_a(&mut a);
    day_b(&mut b);
    a.sync(&server.url, &token_a);
    b.sync(&server.url, &token_b);

    // Till C holds back (not uploaded yet): the organisation's file has
    // tills A and B, and C's empty register.
    let file = dir.path().join("org.xml");
    let printed = ok(export_org(db, &file, &[]), "ledger export saft");
    assert!(
        printed.contains("till-a 6, till-b 4, till-c 0"),
        "{printed}"
    );
    let (valid, errors) = xmllint_file(&file);
    assert!(valid, "xmllint refuses the organisation's file:\n{errors}");
    let xml = std::fs::read_to_string(&file).expect("org file");
    assert_eq!(xml.matches("<cashregister>").count(), 3);
    assert_eq!(
        xml.matches("<companyIdent>").count(),
        1 + 4,
        "one company, four reports"
    );

    // The keys the ledger was sent, next to the file: each verifies its till.
    let key = |till: &str| {
        let path = dir.path().join(format!("org.{till}.{till}-1.pub.pem"));
        assert_eq!(
            std::fs::read_to_string(&path).expect("key written"),
            std::fs::read_to_string(dir.path().join(format!("{till}.pub.pem"))).expect("own"),
            "{till}'s uploaded key is its own"
        );
        format!("{till}={}", path.display())
    };
    let keys = [key("till-a"), key("till-b")];
    let said = ok(verify(&file, &keys), "verify with named keys");
    assert!(
        said.contains("10 transactions") && said.contains("till-a: 6"),
        "{said}"
    );
    // Unnamed, each register takes the key its first transaction was signed with.
    let unnamed = [
        a.public.display().to_string(),
        b.public.display().to_string(),
    ];
    ok(verify(&file, &unnamed), "verify with unnamed keys");
    // One till's key for the other's register: refused at its first transaction.
    let swapped = [
        format!("till-a={}", b.public.display()),
        format!("till-b={}", a.public.display()),
    ];
    let out = verify(&file, &swapped);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("\"till-a\", transaction nr 1"),
        "{err}"
    );

    // Each till's transactions and reports are exactly its own export's.
    for t in [&a, &b] {
        let own = t.own_export(&dir.path().join(format!("{}.xml", t.id)));
        let ours = register(&xml, t.id);
        let theirs = register(&own, t.id);
        let (mine, own_tx) = (
            blocks(ours, "cashtransaction"),
            blocks(theirs, "cashtransaction"),
        );
        assert!(!mine.is_empty());
        assert_eq!(
            mine, own_tx,
            "{}: transactions as the till wrote them",
            t.id
        );
        let reports = |r: &str| -> Vec<String> {
            blocks(r, "eventReport")
                .iter()
                .map(|b| without_report_id(b))
                .collect()
        };
        assert_eq!(reports(ours).len(), 2, "{}: an X and a Z", t.id);
        assert_eq!(reports(ours), reports(theirs), "{}: X and Z as taken", t.id);
        assert!(ours.contains(&format!("<reportID>{}:Z-1</reportID>", t.id)));
    }
    assert!(register(&xml, "till-a").contains("<trainingID>true</trainingID>"));
    assert!(register(&xml, "till-b").contains("<trainingID>true</trainingID>"));
    assert!(register(&xml, "till-a").contains("<transType>11006</transType>"));

    // One amount changed: verification fails at that register and nr.
    let b_start = xml.find("<registerID>till-b</registerID>").expect("till-b");
    let at = b_start + xml[b_start..].find("<nr>2</nr>").expect("nr 2");
    let amount = at + xml[at..].find("<transAmntIn>").expect("amount") + "<transAmntIn>".len();
    let mut tampered = xml.clone();
    let digit = if &xml[amount..=amount] == "1" {
        "2"
    } else {
        "1"
    };
    tampered.replace_range(amount..=amount, digit);
    let bad = dir.path().join("tampered.xml");
    std::fs::write(&bad, &tampered).expect("tampered");
    let out = verify(&bad, &keys);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("\"till-b\", transaction nr 2"),
        "{err}"
    );

    // --till: one register.
    let only_b = dir.path().join("b-only.xml");
    let printed = ok(export_org(db, &only_b, &["--till", "till-b"]), "--till");
    assert!(
        printed.contains("1 registers (transactions: till-b 4)"),
        "{printed}"
    );
    let xml_b = std::fs::read_to_string(&only_b).expect("b-only");
    assert!(!xml_b.contains("till-a") && xml_b.matches("<cashregister>").count() == 1);
    assert!(xmllint_file(&only_b).0);
    ok(verify(&only_b, &[key("till-b")]), "verify --till file");
    let out = export_org(db, &dir.path().join("x.xml"), &["--till", "till-x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("till-x"), "{err}");

    // The next day's file starts till A's chain at its nr 7: the ledger
    // names the signature it starts from, and verification needs it.
    a.till.tap("KAFFE", 1);
    a.pay(TenderKind::Card, start() + Duration::days(1));
    a.sync(&server.url, &token_a);
    let next = dir.path().join("next.xml");
    let printed = ok(
        ledger(
            db,
            &[
                "export",
                "saft",
                "--from",
                "2026-11-24",
                "--to",
                "2026-11-24",
                "--org-no",
                ORG_NO,
                "--company",
                COMPANY,
                "--till",
                "till-a",
                "--out",
                next.to_str().expect("utf-8"),
            ],
        ),
        "next day",
    );
    let anchor = printed
        .split_whitespace()
        .skip_while(|w| *w != "--anchor")
        .nth(1)
        .unwrap_or_else(|| panic!("no anchor in {printed}"))
        .to_string();
    let out = verify(&next, &[key("till-a")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("anchor"), "{err}");
    let mut c = kasse();
    c.args(["verify", "saft"]).arg(&next);
    c.args(["--public-key", &key("till-a"), "--anchor", &anchor]);
    let said = ok(c.output().expect("kasse verify"), "verify with the anchor");
    assert!(said.contains("till-a: 1"), "{said}");

    // Till C uploads as an older kasse did, without its training receipt:
    // the organisation's file is refused, naming the till and the seqs.
    let mut c = RealTill::new(dir.path(), "till-c");
    day_b(&mut c);
    upload_without_training(&server.url, &token_c, c.till.store());
    let refused = dir.path().join("refused.xml");
    let out = export_org(db, &refused, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a hole must be refused");
    assert!(
        err.contains("till till-c: transaction nr 2 is not among its uploads")
            && err.contains("the next there is nr 3, uploaded with seq"),
        "{err}"
    );
    assert!(!refused.exists(), "no file with a silent hole");
    // The other tills still export.
    ok(
        export_org(db, &refused, &["--till", "till-a"]),
        "--till till-a",
    );
}

#[test]
fn organisation_file_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ledger.sqlite");
    organisation_file(db.to_str().expect("utf-8"));
}

#[test]
fn organisation_file_on_postgres() {
    let url = match std::env::var("KASSE_TEST_PG") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("KASSE_TEST_PG is not set but CI is: the PostgreSQL ledger tests must run in CI")
        }
        _ => {
            eprintln!("skipped: set KASSE_TEST_PG=postgres://… to run on PostgreSQL");
            return;
        }
    };
    let schema = format!(
        "orgsaft_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let admin = |sql: String| {
        rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL");
            tokio::spawn(conn);
            c.batch_execute(&sql).await.expect("sql");
        })
    };
    admin(format!("CREATE SCHEMA \"{schema}\""));
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let run = std::panic::catch_unwind(|| organisation_file(&db));
    admin(format!("DROP SCHEMA \"{schema}\" CASCADE"));
    if let Err(e) = run {
        std::panic::resume_unwind(e);
    }
}
