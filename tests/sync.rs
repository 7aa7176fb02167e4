//! Till ⇄ ledger with real processes on 127.0.0.1: the `kasse ledger serve`
//! binary, two tills with their own SQLite files, the reqwest sync client.

mod common;

use common::{Server, admin, client, demo_till, free_port, now, root, serve};

use kasse::domain::AppCode;
use kasse::domain::receipt::TenderKind;
use kasse::sync::{LedgerClient, LedgerConfig, SyncError};
use kasse::till::{Outcome, PayRequest, Till};
use std::path::{Path, PathBuf};

struct TillUnderTest {
    till: Till,
    client: LedgerClient,
}

impl TillUnderTest {
    fn new(dir: &Path, id: &str, url: &str, token: &str) -> TillUnderTest {
        TillUnderTest {
            till: demo_till(dir, id),
            client: client(url, id, token, std::time::Duration::from_secs(3), 2),
        }
    }

    fn sync(&mut self) -> Result<kasse::sync::SyncReport, SyncError> {
        self.client.sync_once(self.till.store_mut(), now())
    }

    fn code(&mut self, code: AppCode) -> Outcome {
        let seed = std::fs::read_to_string(root().join("fixtures/keys/demo.seed")).expect("seed");
        let key = kasse::domain::appcode::parse_seed_hex(&seed).expect("key");
        self.till
            .present_code(&code.sign(&key), now())
            .expect("scan")
    }

    fn pay(&mut self) -> u64 {
        let req = PayRequest {
            tender: TenderKind::Card,
            cash_given: None,
            approved: true,
            reference: None,
        };
        match self.till.pay(req, now()).expect("pay") {
            Outcome::Paid { receipt, .. } => receipt.number,
            other => panic!("not paid: {other:?}"),
        }
    }
}

const EXP: u64 = 1_830_297_600;

fn setup(dir: &Path) -> (PathBuf, Server, String, String) {
    let db = dir.join("ledger.sqlite");
    admin(
        &db,
        &[
            "import",
            root()
                .join("fixtures/data/demo.toml")
                .to_str()
                .expect("utf-8"),
        ],
    );
    let a = admin(&db, &["enroll", "till-a"]);
    let b = admin(&db, &["enroll", "till-b"]);
    let server = serve(db.to_str().expect("utf-8"), free_port());
    (db, server, a, b)
}

#[test]
fn two_tills_sell_and_agree_with_the_ledger_afterwards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, token_b) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    let mut b = TillUnderTest::new(dir.path(), "till-b", &server.url, &token_b);
    let member = "M-100001";
    let before = a
        .till
        .store()
        .member(member)
        .expect("member")
        .expect("known")
        .bonus;

    // Till A: dinner by weight earns bonus. Till B: coffee with a clip, a bun with a coupon.
    assert!(matches!(
        a.code(AppCode::Member {
            member: member.into(),
            exp: EXP
        }),
        Outcome::Member { .. }
    ));
    a.till.weigh("VEKT", 612, true);
    a.pay();
    a.till.tap("KAFFE", 1);
    a.pay();
    assert!(matches!(
        b.code(AppCode::Card {
            member: member.into(),
            card: "KK-1".into(),
            exp: EXP
        }),
        Outcome::Clip { .. }
    ));
    assert!(matches!(
        b.code(AppCode::Coupon {
            member: member.into(),
            coupon: "CP-2".into(),
            sku: "BOLLE".into(),
            exp: EXP
        }),
        Outcome::Coupon { .. }
    ));
    b.pay();

    let ra = a.sync().expect("sync a");
    let rb = b.sync().expect("sync b");
    // A's two card sales go up with their payments' journal entries.
    assert_eq!((ra.uploaded, rb.uploaded), (4, 1), "every event sent once");
    assert!(ra.flags.is_empty() && rb.flags.is_empty(), "{ra:?} {rb:?}");
    // A pulls again to see B's effects; a second round sends nothing.
    let again = a.sync().expect("sync a again");
    assert_eq!(again.uploaded, 0);
    assert_eq!(a.till.store().sync_state().expect("state").queue, 0);

    let seen_a = a
        .till
        .store()
        .member(member)
        .expect("member")
        .expect("known")
        .bonus;
    let seen_b = b
        .till
        .store()
        .member(member)
        .expect("member")
        .expect("known")
        .bonus;
    assert_eq!(seen_a, seen_b, "both tills show the ledger's balance");
    assert!(
        seen_a > before,
        "bonus earned on till A is visible: {before} → {seen_a}"
    );
    let clips_a = a
        .till
        .store()
        .card("KK-1")
        .expect("card")
        .expect("known")
        .clips;
    let clips_b = b
        .till
        .store()
        .card("KK-1")
        .expect("card")
        .expect("known")
        .clips;
    assert_eq!(
        (clips_a, clips_b),
        (9, 9),
        "one clip taken, seen on both tills"
    );
    // The coupon B used is used on A too now.
    let refused = a.code(AppCode::Coupon {
        member: member.into(),
        coupon: "CP-2".into(),
        sku: "BOLLE".into(),
        exp: EXP,
    });
    assert_eq!(refused, Outcome::Refused(kasse::domain::Reason::CouponUsed));
    assert_eq!(admin(&db, &["exceptions"]), "no exceptions");
}

#[test]
fn one_coupon_and_the_last_clip_used_on_two_offline_tills_are_flagged_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, token_b) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    let mut b = TillUnderTest::new(dir.path(), "till-b", &server.url, &token_b);
    for t in [&mut a, &mut b] {
        let c = AppCode::Coupon {
            member: "M-100001".into(),
            coupon: "CP-1".into(),
            sku: "KAFFE".into(),
            exp: EXP,
        };
        assert!(matches!(t.code(c), Outcome::Coupon { .. }));
        t.pay();
    }
    let flags: Vec<String> = [a.sync().expect("a"), b.sync().expect("b")]
        .into_iter()
        .flat_map(|r| r.flags)
        .collect();
    assert_eq!(
        flags,
        ["coupon_double_redeemed"],
        "both sales stand, one flag"
    );
    let listed = admin(&db, &["exceptions"]);
    assert_eq!(
        listed.matches("coupon_double_redeemed").count(),
        1,
        "{listed}"
    );
}

#[test]
fn a_killed_ledger_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, _) = setup(dir.path());
    let port: u16 = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    for _ in 0..3 {
        a.till.tap("KAFFE", 1);
        a.pay();
    }
    a.sync().expect("first sync");
    drop(server); // kill the ledger
    for _ in 0..4 {
        a.till.tap("BOLLE", 1);
        a.pay(); // the till keeps selling
    }
    let err = a.sync().expect_err("the ledger is down");
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("does not answer"), "{err}");
    // Each card sale queues its payment's journal entry beside the sale.
    assert_eq!(a.till.store().sync_state().expect("state").queue, 8);

    let _server = serve(db.to_str().expect("utf-8"), port);
    let report = a.sync().expect("sync after restart");
    assert_eq!(report.uploaded, 8);
    assert_eq!(report.acked_through, 14);
    assert_eq!(a.sync().expect("again").uploaded, 0, "nothing sent twice");
    assert_eq!(a.till.store().sync_state().expect("state").queue, 0);

    // The journal and the Z report reach the ledger on the same seq.
    a.till.open_drawer(now()).expect("drawer");
    let catalog = a.till.catalog().clone();
    kasse::compliance::export::z_report(a.till.store_mut(), &catalog, now(), None, None)
        .expect("z");
    let report = a.sync().expect("sync the journal");
    assert_eq!((report.uploaded, report.acked_through), (2, 16));
    let ledger = rusqlite::Connection::open(&db).expect("ledger db");
    let kinds: Vec<(String, i64)> = ledger
        .prepare(
            "SELECT kind, COUNT(*) FROM event WHERE till = 'till-a' GROUP BY kind ORDER BY kind",
        )
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("kinds");
    assert_eq!(
        kinds,
        [
            ("journal".to_string(), 8),
            ("sale".to_string(), 7),
            ("z_report".to_string(), 1)
        ]
    );
    let z: String = ledger
        .query_row(
            "SELECT body FROM event WHERE till = 'till-a' AND kind = 'z_report'",
            [],
            |r| r.get(0),
        )
        .expect("z body");
    let z: serde_json::Value = serde_json::from_str(&z).expect("json");
    assert_eq!(
        (z["code"].as_u64(), z["number"].as_u64()),
        (Some(13009), Some(1))
    );
    assert_eq!(z["grand_sales"], "151.00", "3 coffees and 4 buns: {z}");
    assert!(
        z["report"].as_str().is_some_and(|r| r.contains("Z-1")),
        "{z}"
    );
}

#[test]
fn a_wrong_token_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, server, _, _) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, "not-the-token");
    a.till.tap("KAFFE", 1);
    a.pay();
    let err = a.sync().expect_err("refused");
    assert!(matches!(err, SyncError::Auth(401)), "{err}");
}

#[test]
fn online_the_second_till_is_refused_at_reservation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, token_b) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    let mut b = TillUnderTest::new(dir.path(), "till-b", &server.url, &token_b);
    for (t, token, id) in [(&mut a, &token_a, "till-a"), (&mut b, &token_b, "till-b")] {
        let reserver = LedgerClient::new(LedgerConfig {
            url: server.url.clone(),
            till: id.to_string(),
            token: token.clone(),
            timeout: std::time::Duration::from_secs(3),
            batch: 500,
        })
        .expect("client");
        t.till.set_reserver(Box::new(reserver));
    }
    let coupon = || AppCode::Coupon {
        member: "M-100001".into(),
        coupon: "CP-1".into(),
        sku: "KAFFE".into(),
        exp: EXP,
    };
    assert!(matches!(a.code(coupon()), Outcome::Coupon { .. }));
    a.pay();
    // B has not heard of A's sale yet: its own cache lets the coupon on...
    assert!(matches!(b.code(coupon()), Outcome::Coupon { .. }));
    // ...but the ledger refuses the reservation, and the sale stays open.
    let req = PayRequest {
        tender: TenderKind::Card,
        cash_given: None,
        approved: true,
        reference: None,
    };
    assert_eq!(
        b.till.pay(req.clone(), now()).expect("pay"),
        Outcome::Refused(kasse::domain::Reason::CouponUsed)
    );
    assert_eq!(b.till.sale().lines.len(), 1);
    b.till.cancel(now()).expect("cancel");

    // With the ledger gone, the reservation gets no answer: B sells offline.
    drop(server);
    b.till.tap("KAFFE", 1);
    let c2 = AppCode::Card {
        member: "M-100001".into(),
        card: "KK-1".into(),
        exp: EXP,
    };
    assert!(matches!(b.code(c2), Outcome::Clip { .. }));
    assert!(matches!(
        b.till.pay(req, now()).expect("pay"),
        Outcome::Paid { .. }
    ));
    let offline: bool = b
        .till
        .store()
        .connection()
        .query_row(
            "SELECT offline FROM sale ORDER BY nr DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("sale");
    assert!(offline, "the sale is marked as made offline");
    assert_eq!(admin(&db, &["exceptions"]), "no exceptions");
}

/// A self-service kiosk (the whole `App`) on its own SQLite file, reserving
/// at the ledger through the client the product uses.
struct Kiosk {
    app: kasse::ui::App,
}

impl Kiosk {
    fn new(dir: &Path, id: &str, url: &str, token: &str) -> Kiosk {
        let store = common::demo_store(dir, id);
        let link = kasse::till::Link {
            online: true,
            last_sync: now(),
        };
        let till = Till::new(
            store,
            kasse::till::Mode::SelfService,
            link,
            kasse::domain::sale::OfflineLimits::default(),
        )
        .expect("till");
        let config = kasse::config::Config::load(&root().join("config.toml")).expect("config");
        let mut settings = kasse::ui::Settings::from_config(&config);
        settings.tap_guard = std::time::Duration::ZERO;
        let mut app = kasse::ui::App::new(till, settings, std::time::Instant::now());
        app.set_clock(now());
        app.set_reserver(std::sync::Arc::new(client(
            url,
            id,
            token,
            std::time::Duration::from_secs(3),
            500,
        )));
        Kiosk { app }
    }

    fn click(&mut self, label: &str) {
        let mut ui = iced_test::simulator(self.app.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no `{label}` on {}: {e:?}", self.app.screen.name()));
        for m in ui.into_messages().collect::<Vec<_>>() {
            let _ = self.app.update(m);
        }
    }

    fn shows(&mut self, label: &str) -> bool {
        iced_test::simulator(self.app.view()).find(label).is_ok()
    }

    fn scan(&mut self, code: AppCode) {
        let seed = std::fs::read_to_string(root().join("fixtures/keys/demo.seed")).expect("seed");
        let key = kasse::domain::appcode::parse_seed_hex(&seed).expect("key");
        let _ = self.app.update(kasse::ui::Message::Camera(
            kasse::ui::devices::CameraReport::Code(code.sign(&key)),
        ));
    }

    /// Does what the kiosk's reservation task does: asks the ledger off the
    /// UI thread and hands the answer back as a message.
    fn answer_reservation(&mut self, url: &str, id: &str, token: &str) -> kasse::till::Reserve {
        let reservation = self
            .app
            .till()
            .reserving()
            .expect("the kiosk asks the ledger before any payment")
            .clone();
        assert!(
            self.app.till().tendering().is_none(),
            "no provider asked yet"
        );
        let answer =
            client(url, id, token, std::time::Duration::from_secs(3), 500).reserve(&reservation);
        let _ = self
            .app
            .update(kasse::ui::Message::Reserved(answer.clone()));
        answer
    }
}

#[test]
fn two_kiosks_online_the_second_is_refused_the_coupon_before_any_payment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, server, token_a, token_b) = setup(dir.path());
    let coupon = || AppCode::Coupon {
        member: "M-100001".into(),
        coupon: "CP-1".into(),
        sku: "KAFFE".into(),
        exp: EXP,
    };
    let member = || AppCode::Member {
        member: "M-100001".into(),
        exp: EXP,
    };
    let mut answers = Vec::new();
    for (id, token) in [("till-a", &token_a), ("till-b", &token_b)] {
        let mut k = Kiosk::new(dir.path(), id, &server.url, token);
        k.scan(member());
        k.click("Kaffe\nkr 25,00");
        let _ = k
            .app
            .update(kasse::ui::Message::Do(kasse::ui::screen::Action::Tap {
                sku: "SKOLEBOLLE".into(),
                qty: 1,
            }));
        k.scan(coupon());
        assert_eq!(k.app.till().sale().total().to_string(), "32.50");
        k.click("Betal  kr 32,50");
        k.click("Nei, spar den");
        k.click("Kort");
        assert!(
            k.shows("Sjekker kuponger, klipp og bonus…"),
            "progress while the ledger answers"
        );
        let answer = k.answer_reservation(&server.url, id, token);
        let intents = k.app.till().store().intents(false).expect("intents");
        match answer {
            kasse::till::Reserve::Ok => {
                assert_eq!(intents.len(), 1, "A: the card is asked only now");
                assert!(k.app.till().tendering().is_some());
            }
            _ => {
                assert!(intents.is_empty(), "B: no payment was ever started");
                assert!(k.app.till().tendering().is_none());
                assert_eq!(k.app.till().sale().lines.len(), 2, "the sale stays open");
                assert!(
                    k.shows("✕  Denne kupongen er allerede brukt."),
                    "{:?}",
                    k.app.notice()
                );
            }
        }
        answers.push(answer);
    }
    assert_eq!(
        answers,
        [
            kasse::till::Reserve::Ok,
            kasse::till::Reserve::Refused("coupon_used".into())
        ]
    );
}

/// Sells `sales` card sales on `till` beside a sync worker started on
/// `store` (syncing every 1 ms), calling `serve` between sales and while
/// the outbox drains (the kiosk's UI thread). Every sale must be paid, the
/// worker must never report an error, and the ledger at `db` must hold each
/// sale once.
fn sell_beside_the_sync_worker(
    till: &mut Till,
    store: impl kasse::sync::SyncStore + 'static,
    (db, url, token): (&Path, &str, &str),
    sales: usize,
    serve: &mut dyn FnMut(&mut Till),
) {
    let status = std::sync::Arc::new(std::sync::Mutex::new(kasse::sync::SyncStatus::default()));
    let _worker = kasse::sync::spawn_worker(
        client(url, "till-a", token, std::time::Duration::from_secs(3), 5),
        store,
        std::time::Duration::from_millis(1),
        std::sync::Arc::clone(&status),
    );
    let mut errors = Vec::new();
    for n in 0..sales {
        till.tap(if n % 2 == 0 { "KAFFE" } else { "SKOLEBOLLE" }, 1);
        let req = PayRequest {
            tender: TenderKind::Card,
            cash_given: None,
            approved: true,
            reference: Some(format!("T-{n}")),
        };
        match till.pay(req, now()) {
            Ok(Outcome::Paid { .. }) => {}
            other => errors.push(format!("sale {n}: {other:?}")),
        }
        serve(till);
        if let Some(e) = status.lock().expect("status").last_error.clone() {
            errors.push(format!("worker after sale {n}: {e}"));
        }
    }
    assert_eq!(errors, Vec::<String>::new());
    // Everything reaches the ledger: the worker drains the outbox.
    let mut queue = i64::MAX;
    for _ in 0..1000 {
        serve(till);
        queue = till.store().sync_state().expect("state").queue;
        if queue == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(queue, 0, "the outbox drained while selling");
    let ledger = rusqlite::Connection::open(db).expect("ledger db");
    let received: i64 = ledger
        .query_row(
            "SELECT count(*) FROM event WHERE till = 'till-a' AND kind = 'sale'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(received, sales as i64, "every sale reached the ledger once");
}

/// `kasse sync run` beside the till: the worker on a connection of its own
/// writes there too, on the same SQLite file. No sale may be refused and the
/// worker may never report the database as locked.
#[test]
fn the_sync_worker_and_sales_share_one_database_without_refusals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, _) = setup(dir.path());
    let mut till = demo_till(dir.path(), "till-a");
    let store =
        kasse::wiring::open_demo_store(&dir.path().join("till-a.sqlite"), "till-a").expect("open");
    sell_beside_the_sync_worker(
        &mut till,
        store,
        (&db, &server.url, &token_a),
        60,
        &mut |_| {},
    );
}

/// The kiosk's arrangement, one writer per till process: the sync worker
/// reads on a read-only connection of its own and hands every write
/// (acknowledgements, the change feed) to the till's connection, which the
/// UI thread — here the test's thread — serves between sales.
#[test]
fn the_kiosks_sync_worker_writes_only_through_the_tills_connection() {
    use kasse::ui::devices::{ForwardingStore, SyncEvent};
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, _) = setup(dir.path());
    let mut till = demo_till(dir.path(), "till-a");
    let reads =
        kasse::wiring::open_demo_store(&dir.path().join("till-a.sqlite"), "till-a").expect("open");
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let store = ForwardingStore::new(reads, tx).expect("read-only connection");
    let mut writes = 0;
    sell_beside_the_sync_worker(
        &mut till,
        store,
        (&db, &server.url, &token_a),
        40,
        &mut |till: &mut Till| {
            while let Ok(event) = rx.try_recv() {
                if let SyncEvent::Write(w) = event {
                    let done = till.sync_write(&w.op);
                    assert_eq!(done, Ok(()));
                    let _ = w.reply.send(done);
                    writes += 1;
                }
            }
        },
    );
    assert!(writes > 0, "the worker's writes came to the till");
}

/// A unit sold once comes back once, at one till or two: till B returns a
/// coffee of till A's sale through the ledger (looked up, held, uploaded);
/// till A then sees it returned and may return only the other coffee; a
/// hold for a unit another till holds is refused before any money moves.
#[test]
fn a_unit_sold_at_one_till_is_returned_once_across_two_tills() {
    use kasse::till::{Original, Reserve, ReturnRefusal};
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, server, token_a, token_b) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    let mut b = TillUnderTest::new(dir.path(), "till-b", &server.url, &token_b);
    a.till.login("kari", now()).expect("login");
    b.till.login("ola", now()).expect("login");
    a.till.tap("KAFFE", 2);
    let number = a.pay();
    a.sync().expect("sync a");

    // Till B: A's sale from the ledger; one coffee back, in cash (A's card
    // payment cannot be refunded from B's terminal).
    let Original::Found(sale) = b.client.original("till-a", number) else {
        panic!("till B finds A's sale")
    };
    let of = b
        .till
        .returnable("till-a", number, None, Original::Found(sale))
        .expect("returnable at B");
    let plan = b.till.plan_return(&of, &[(1, 1)]).expect("plan");
    assert_eq!(plan.tender, Some(TenderKind::Cash));
    let id_b = uuid::Uuid::now_v7().simple().to_string();
    assert_eq!(b.client.hold_return(&plan.hold(&id_b)), Reserve::Ok);
    // While B holds it, the ledger counts the hold: A sees one coffee left.
    let of_a = a
        .till
        .returnable("till-a", number, None, a.client.original("till-a", number))
        .expect("returnable at A");
    assert_eq!(of_a.lines[0].left(), 1, "B's hold counts");
    // A's own books alone (as if it had looked offline) say two; the hold
    // for both is refused before any money moves.
    let of_a = a
        .till
        .returnable("till-a", number, None, Original::Unreachable)
        .expect("returnable at A");
    let both = a
        .till
        .plan_return(&of_a, &[(1, 2)])
        .expect("A's stale view");
    let id_a = uuid::Uuid::now_v7().simple().to_string();
    assert_eq!(
        a.client.hold_return(&both.hold(&id_a)),
        Reserve::Refused("already_returned".into())
    );
    b.till
        .commit_return(&id_b, &plan, None, now())
        .expect("B's return");
    b.sync().expect("sync b");

    // Till A: the ledger counts B's return; one coffee is left.
    let of_a = a
        .till
        .returnable("till-a", number, None, a.client.original("till-a", number))
        .expect("returnable at A");
    assert_eq!(of_a.lines[0].left(), 1);
    assert_eq!(
        a.till.plan_return(&of_a, &[(1, 2)]),
        Err(ReturnRefusal::AlreadyReturned { line: 1, left: 1 })
    );
    let last = a
        .till
        .plan_return(&of_a, &[(1, 1)])
        .expect("the other coffee");
    let id = uuid::Uuid::now_v7().simple().to_string();
    assert_eq!(a.client.hold_return(&last.hold(&id)), Reserve::Ok);
    a.till
        .commit_return(&id, &last, None, now())
        .expect("A's return");
    a.sync().expect("sync a");

    // Nothing is left anywhere.
    let Original::Found(sale) = b.client.original("till-a", number) else {
        panic!("found")
    };
    assert_eq!(sale.returned, vec![(1, 2)]);
    let of = b
        .till
        .returnable("till-a", number, None, Original::Found(sale))
        .expect("returnable");
    assert_eq!(
        b.till.plan_return(&of, &[(1, 1)]),
        Err(ReturnRefusal::AlreadyReturned { line: 1, left: 0 })
    );
    let flags = admin(&_db, &["exceptions"]);
    assert!(!flags.contains("return_exceeds_sale"), "{flags}");
}

/// Issue 17, item 6: the opening float and cash in and out go up with the
/// journal, each with the drawer opening it took.
#[test]
fn the_drawers_float_and_cash_movements_reach_the_ledger() {
    use kasse::domain::Money;
    use kasse::domain::cash::{Direction, Reason};
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, server, token_a, _) = setup(dir.path());
    let mut a = TillUnderTest::new(dir.path(), "till-a", &server.url, &token_a);
    a.till
        .record_float(Money::from_ore(50_000), now())
        .expect("float");
    a.till
        .move_cash(
            Direction::Out,
            Money::from_ore(30_000),
            (Reason::Bank, ""),
            Some(Money::from_ore(50_000)),
            now(),
        )
        .expect("out");
    a.till
        .move_cash(
            Direction::In,
            Money::from_ore(5_000),
            (Reason::Change, ""),
            None,
            now(),
        )
        .expect("in");
    a.sync().expect("sync");
    let ledger = rusqlite::Connection::open(&db).expect("ledger db");
    let bodies: Vec<serde_json::Value> = ledger
        .prepare("SELECT body FROM event WHERE till = 'till-a' AND kind = 'journal' ORDER BY seq")
        .expect("query")
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|b| serde_json::from_str(&b.expect("body")).expect("json"))
        .collect();
    let entries: Vec<(u64, &str, &serde_json::Value)> = bodies
        .iter()
        .filter(|b| b["kind"] != "master_data")
        .map(|b| {
            (
                b["code"].as_u64().expect("code"),
                b["kind"].as_str().expect("kind"),
                &b["detail"],
            )
        })
        .collect();
    let drawer = serde_json::json!({"for": "opening_float"});
    assert_eq!(entries[0], (13005, "drawer_open", &drawer));
    assert_eq!(entries[1].0, 13999);
    assert_eq!(entries[1].2["amount"], "500.00");
    assert_eq!((entries[3].0, entries[3].1), (13019, "cash_out"));
    assert_eq!(entries[3].2["reason"], "bank");
    assert_eq!((entries[5].0, entries[5].1), (13999, "cash_in"));
    assert_eq!(entries[5].2["amount"], "50.00");
    assert_eq!(entries.len(), 6, "{entries:?}");
}
