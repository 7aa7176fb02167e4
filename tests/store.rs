//! The store on real SQLite files: one transaction per sale, an append-only
//! journal, data kept across reopening, newer schemas refused.

use chrono::{DateTime, FixedOffset};
use kasse::data::Data;
use kasse::domain::receipt::TenderKind;
use kasse::domain::sale::OfflineLimits;
use kasse::store::{SCHEMA_VERSION, Store, StoreError};
use kasse::till::{Link, Mode, Outcome, PayRequest, Till, TillError};
use kasse::wiring::open_demo_store;
use std::path::{Path, PathBuf};

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").expect("time")
}

fn demo() -> Data {
    Data::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml"))
        .expect("demo data")
}

fn till_at(path: &Path, seed: bool) -> Till {
    let mut store = open_demo_store(path, "t1").expect("open");
    if seed {
        store.seed(&demo(), now()).expect("seed");
    }
    Till::new(
        store,
        Mode::Cashier,
        Link {
            online: true,
            last_sync: now(),
        },
        OfflineLimits::default(),
    )
    .expect("till")
}

/// Rows in `table` beyond what seeding wrote (one master-data journal entry).
/// For the outbox: sale and return events (a card payment's journal entries
/// go up as `journal` events beside them).
fn count(store: &Store, table: &str) -> i64 {
    let seeded = i64::from(table == "journal");
    let filter = if table == "outbox" {
        " WHERE kind IN ('sale', 'return')"
    } else {
        ""
    };
    -seeded
        + store
            .connection()
            .query_row(&format!("SELECT COUNT(*) FROM {table}{filter}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .expect("count")
}

/// Rows a sale writes; the journal also holds the seed's master-data entry.
const SALE_TABLES: [&str; 7] = [
    "sale",
    "sale_line",
    "tender",
    "coupon_use",
    "clip_use",
    "journal",
    "outbox",
];

fn card() -> PayRequest {
    PayRequest {
        tender: TenderKind::Card,
        cash_given: None,
        approved: true,
        reference: None,
    }
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("till.sqlite")
}

#[test]
fn pragmas_are_wal_full_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_demo_store(&db(&dir), "t1").expect("open");
    let c = store.connection();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    let sync: i64 = c
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("pragma");
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    let version: u32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(
        (mode.as_str(), sync, fk, version),
        ("wal", 2, 1, SCHEMA_VERSION)
    );
}

#[test]
fn a_sale_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    assert!(matches!(till.tap("KAFFE", 2), Outcome::Line { .. }));
    // Fail the last write of the sale's transaction (the journal row comes
    // after sale, lines, tenders and outbox): nothing of the sale may remain.
    till.store()
        .connection()
        .execute_batch(
            "CREATE TEMP TRIGGER fail_journal BEFORE INSERT ON journal WHEN NEW.kind = 'sale'
             BEGIN SELECT RAISE(ABORT, 'simulated failure inside the sale transaction'); END;",
        )
        .expect("trigger");
    let err = till.pay(card(), now()).expect_err("the commit fails");
    assert!(
        matches!(
            err,
            TillError::NotSaved {
                source: StoreError::Sqlite(_),
                ..
            }
        ),
        "{err}"
    );
    for table in SALE_TABLES.iter().filter(|t| **t != "journal") {
        assert_eq!(count(till.store(), table), 0, "{table} after a failed sale");
    }
    // The approval is kept in its intent; the frozen sale completes from it
    // once the fault is gone, exactly once.
    assert_eq!(till.sale().lines.len(), 1);
    let tendering = till.tendering().cloned().expect("still paying");
    till.store()
        .connection()
        .execute_batch("DROP TRIGGER temp.fail_journal")
        .expect("drop");
    let approved = kasse::till::Answer::Approved {
        transaction_id: None,
        amount: tendering.amount,
    };
    let Outcome::Paid { receipt, .. } = till
        .payment_answer(&tendering.intent, approved.clone(), now())
        .expect("pay")
    else {
        panic!("not paid")
    };
    assert_eq!(receipt.number, 1);
    for table in ["sale", "sale_line", "tender", "outbox"] {
        assert_eq!(count(till.store(), table), 1, "{table} after the sale");
    }
    assert_eq!(
        till.payment_answer(&tendering.intent, approved, now())
            .expect("again"),
        Outcome::Refused(kasse::domain::Reason::NoOpenSale),
        "a second approval of the same intent changes nothing"
    );
    assert_eq!(count(till.store(), "sale"), 1);
}

#[test]
fn journal_and_sales_refuse_update_and_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    till.tap("KAFFE", 1);
    till.pay(card(), now()).expect("pay");
    let c = till.store().connection();
    for sql in [
        "UPDATE journal SET kind = 'x'",
        "DELETE FROM journal",
        "UPDATE sale SET total = '0.00'",
        "DELETE FROM sale",
        "UPDATE sale_line SET amount = '0.00'",
        "DELETE FROM sale_line",
        "UPDATE tender SET amount = '0.00'",
        "DELETE FROM tender",
        "UPDATE outbox SET body = '{}'",
        "DELETE FROM outbox",
    ] {
        let err = c.execute(sql, []).expect_err(sql);
        let text = err.to_string();
        assert!(
            text.contains("append-only") || text.contains("cannot be"),
            "{sql}: {text}"
        );
    }
    assert_eq!(count(till.store(), "journal"), 2, "payment started, sale");
}

#[test]
fn outbox_seq_is_gap_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    for _ in 0..5 {
        till.tap("KAFFE", 1);
        till.pay(card(), now()).expect("pay");
    }
    till.open_drawer(now()).expect("drawer");
    let events = till.store().outbox_after(0, 100).expect("outbox");
    let seqs: Vec<i64> = events.iter().map(|e| e.0).collect();
    // Sales and the journal share one gap-free seq: each card sale is its
    // payment's journal entry (payment_started) and the sale itself.
    assert_eq!(seqs, (1..=11).collect::<Vec<i64>>());
    let kinds: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "sale").count(), 5);
    assert_eq!(kinds.iter().filter(|k| **k == "journal").count(), 6);
    let drawer: serde_json::Value = serde_json::from_str(&events[10].2).expect("json body");
    assert_eq!(
        (drawer["code"].as_u64(), drawer["kind"].as_str()),
        (Some(13005), Some("drawer_open"))
    );
    let sale = events.iter().find(|e| e.1 == "sale").expect("a sale");
    let body: serde_json::Value = serde_json::from_str(&sale.2).expect("json body");
    for key in [
        "number",
        "lines",
        "total",
        "tenders",
        "vat",
        "coupons",
        "clips",
        "bonus_used",
    ] {
        assert!(body.get(key).is_some(), "sale body has {key}: {body}");
    }
    // A seq that skips one is refused by the database itself.
    let err = till
        .store()
        .connection()
        .execute("INSERT INTO outbox (seq, id, kind, at, offline, body) VALUES (13, 'x', 'journal', 'now', 0, '{}')", [])
        .expect_err("gap");
    assert!(err.to_string().contains("gap"), "{err}");
}

#[test]
fn reopening_keeps_sales_and_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let member = "M-100001";
    let before = {
        let till = till_at(&path, true);
        till.store()
            .member(member)
            .expect("member")
            .expect("known")
            .bonus
    };
    {
        let mut till = till_at(&path, false);
        let text = signed_member(member);
        assert!(matches!(
            till.present_code(&text, now()).expect("scan"),
            Outcome::Member { .. }
        ));
        assert!(matches!(
            till.weigh("VEKT", 500, true),
            Outcome::Line { .. }
        ));
        let Outcome::Paid { receipt, .. } = till.pay(card(), now()).expect("pay") else {
            panic!("not paid")
        };
        assert!(receipt.bonus_earned.is_positive());
    }
    let till = till_at(&path, false);
    assert_eq!(count(till.store(), "sale"), 1);
    let after = till
        .store()
        .member(member)
        .expect("member")
        .expect("known")
        .bonus;
    assert!(
        after > before,
        "bonus earned survives reopening: {before} → {after}"
    );
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    drop(open_demo_store(&path, "t1").expect("open"));
    {
        let c = rusqlite::Connection::open(&path).expect("raw open");
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
    }
    let err = match open_demo_store(&path, "t1") {
        Err(e) => e,
        Ok(_) => panic!("a newer schema must be refused"),
    };
    let text = err.to_string();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{text}");
    assert!(
        text.contains("newer kasse") && text.contains("till.sqlite"),
        "{text}"
    );
}

#[test]
fn a_coupon_redeemed_here_stays_used_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    let coupon = signed_coupon("M-100001", "CP-T1", "KAFFE");
    {
        let mut till = till_at(&path, true);
        assert!(matches!(
            till.present_code(&coupon, now()).expect("scan"),
            Outcome::Coupon { .. }
        ));
        till.pay(card(), now()).expect("pay");
    }
    let mut till = till_at(&path, false);
    assert_eq!(
        till.present_code(&coupon, now()).expect("scan"),
        Outcome::Refused(kasse::domain::Reason::CouponUsed)
    );
}

fn demo_key() -> ed25519_dalek::SigningKey {
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/demo.seed"),
    )
    .expect("demo seed");
    kasse::domain::appcode::parse_seed_hex(&seed).expect("seed")
}

fn signed_member(member: &str) -> String {
    kasse::domain::AppCode::Member {
        member: member.into(),
        exp: 1_830_297_600,
    }
    .sign(&demo_key())
}

fn signed_coupon(member: &str, coupon: &str, sku: &str) -> String {
    kasse::domain::AppCode::Coupon {
        member: member.into(),
        coupon: coupon.into(),
        sku: sku.into(),
        exp: 1_830_297_600,
    }
    .sign(&demo_key())
}

#[test]
fn the_terminal_transaction_id_reaches_receipt_and_store() {
    use kasse::devices::payment::{PaymentUpdate, Simulator, wait_final};
    use kasse::payments::Provider;
    use kasse::till::Answer;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    till.tap("LATTE", 1);
    let config = kasse::config::PaymentConfig {
        delay_ms: 10,
        decline_permille: 0,
        timeout_ms: 5000,
        ..Default::default()
    };
    let terminal = Simulator::new(TenderKind::Card, config);
    let Outcome::Tendering { intent, amount, .. } = till
        .begin_payment(TenderKind::Card, None, terminal.name(), now())
        .expect("begin")
    else {
        panic!("a card payment goes to the terminal")
    };
    assert_eq!(amount, till.sale().total());
    let running = terminal.start(amount, &intent, "test");
    let PaymentUpdate::Approved {
        transaction_id,
        amount: approved,
    } = wait_final(&running.updates, std::time::Duration::from_secs(10), |_| {})
    else {
        panic!("the simulator approves")
    };
    let answer = Answer::Approved {
        transaction_id: Some(transaction_id.clone()),
        amount: approved,
    };
    let Outcome::Paid { receipt, .. } = till.payment_answer(&intent, answer, now()).expect("pay")
    else {
        panic!("not paid")
    };
    assert_eq!(
        receipt.tenders[0].reference.as_deref(),
        Some(transaction_id.as_str())
    );
    let stored: String = till
        .store()
        .connection()
        .query_row("SELECT reference FROM tender", [], |r| r.get(0))
        .expect("tender row");
    assert_eq!(stored, transaction_id);
    let text = kasse::domain::print::to_text(&kasse::domain::print::rows(
        &receipt,
        &kasse::domain::print::Header {
            company: "Kafé",
            org_no: "999999999",
            till: "t1",
            at: "23.11.2026 11:30",
            marking: kasse::domain::print::Marking::Sale,
            copy: false,
        },
        &|sku| sku.to_string(),
    ));
    assert!(text.contains(&transaction_id), "{text}");
}

#[test]
fn a_declined_card_leaves_the_sale_open_and_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    till.tap("LATTE", 1);
    let before = till.sale().clone();
    let req = PayRequest {
        tender: TenderKind::Card,
        cash_given: None,
        approved: false,
        reference: None,
    };
    assert_eq!(
        till.pay(req, now()).expect("pay"),
        Outcome::Declined {
            tender: TenderKind::Card
        }
    );
    assert_eq!(till.sale(), &before);
    for table in SALE_TABLES.iter().filter(|t| **t != "journal") {
        assert_eq!(count(till.store(), table), 0, "{table}");
    }
    let journaled: Vec<String> = till
        .store()
        .connection()
        .prepare("SELECT kind FROM journal ORDER BY id")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        journaled,
        ["master_data", "payment_started", "payment_declined"]
    );
}

#[test]
fn a_full_disk_refuses_the_sale_clearly_and_keeps_it_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    till.tap("KAFFE", 1);
    till.pay(card(), now()).expect("first sale fits");
    // SQLite reports SQLITE_FULL when the file may not grow: the same error as a full disk.
    let pages: i64 = till
        .store()
        .connection()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("pages");
    till.store()
        .connection()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("limit");
    let mut result = Ok(Outcome::Cancelled);
    for _ in 0..200 {
        till.tap("BAGUETTE", 3);
        result = till.pay(card(), now());
        if result.is_err() {
            break;
        }
    }
    let err = result.expect_err("the database fills up");
    assert!(
        matches!(
            &err,
            TillError::NotStarted {
                source: StoreError::DiskFull(_),
                ..
            } | TillError::NotSaved {
                source: StoreError::DiskFull(_),
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("the disk is full"), "{text}");
    let sale_id = match &err {
        TillError::NotStarted { sale, .. } | TillError::NotSaved { sale, .. } => sale.clone(),
        _ => unreachable!(),
    };
    assert!(text.contains(&sale_id), "names the sale: {text}");
    assert!(
        !till.sale().lines.is_empty(),
        "the sale stays open on screen"
    );
    let sales = count(till.store(), "sale");
    assert_eq!(count(till.store(), "outbox"), sales, "no half-written sale");
    let sale_rows: i64 = till
        .store()
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE kind = 'sale'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(sale_rows, sales);
}

#[test]
fn vat_classes_survive_the_store_and_old_rows_read_as_their_rate() {
    use kasse::domain::VatRate;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db(&dir);
    {
        let mut till = till_at(&path, true);
        till.tap("KAFFE", 1); // exempt
        till.tap("HANDLENETT", 1); // 25 %
        let Outcome::Paid { receipt, .. } = till.pay(card(), now()).expect("pay") else {
            panic!("not paid")
        };
        let rates: Vec<_> = receipt.vat.iter().map(|v| v.rate.as_str()).collect();
        assert_eq!(rates, ["25", "exempt"]);
    }
    let till = till_at(&path, false);
    let catalog = till.store().catalog().expect("catalog");
    assert_eq!(
        catalog.product("KAFFE").expect("KAFFE").vat,
        VatRate::EXEMPT
    );
    let rows = till.store().transactions(0, u64::MAX).expect("rows");
    let classes: Vec<_> = rows[0].lines.iter().map(|l| l.vat).collect();
    assert_eq!(classes, [VatRate::EXEMPT, VatRate::new(25).expect("25")]);
    // A row from before VAT classes (no `vat_class`) is read as its rate.
    till.store()
        .connection()
        .execute(
            "INSERT INTO product (sku, name, price, vat) VALUES ('OLD', 'Old', '10.00', 15)",
            [],
        )
        .expect("old row");
    let catalog = till.store().catalog().expect("catalog");
    assert_eq!(
        catalog.product("OLD").expect("OLD").vat,
        VatRate::new(15).expect("15")
    );
    // The ledger's feed names the class as the data file does.
    let mut store = till.into_store();
    let product = |sku: &str, vat: &str| kasse::store::Change {
        cursor: 1,
        kind: "product".into(),
        data: serde_json::json!({"sku": sku, "name": sku, "price": "30.00", "vat": vat,
                                 "coffee": false, "barcodes": []}),
    };
    store
        .apply_changes(
            &[product("GROT", "exempt"), product("BRUS", "25")],
            1,
            0,
            now(),
        )
        .expect("apply");
    let catalog = store.catalog().expect("catalog");
    assert_eq!(catalog.product("GROT").expect("GROT").vat, VatRate::EXEMPT);
    assert_eq!(
        catalog.product("BRUS").expect("BRUS").vat,
        VatRate::new(25).expect("25")
    );
    assert!(
        store
            .apply_changes(&[product("X", "unntatt")], 2, 0, now())
            .is_err(),
        "an unknown class is refused"
    );
}

#[test]
fn the_application_start_is_journaled_as_13001() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut till = till_at(&db(&dir), true);
    till.started(now()).expect("start");
    let rows = till.store().journal_between(0, u64::MAX).expect("journal");
    let start = rows.last().expect("an entry");
    assert_eq!(
        (start.code, start.kind.as_str()),
        (13001, "application_start")
    );
    assert_eq!(start.detail["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(start.detail["mode"], "cashier");
}
