//! Returns at the ledger (README, "Returns at the ledger") over real HTTP on
//! 127.0.0.1, on SQLite and PostgreSQL (`KASSE_TEST_PG`): an original sale
//! looked up from another till, units held at most once across tills, holds
//! that lapse, `return` events that give bonus back and take earned bonus
//! back, and the flags of returns made offline — and the till's own client
//! (`LedgerClient`, blocking, on threads) for the lookup and the hold.

#![allow(dead_code)]

include!("support/ledger_harness.rs");

use kasse::sync::{LedgerClient, LedgerConfig};
use kasse::till::{Original, Reserve, Reserver, ReturnHold};
use std::time::Duration;

on_both_backends!(
    a_sale_is_found_from_another_till_and_held_once,
    holds_lapse_after_ten_minutes,
    concurrent_holds_through_the_client_only_one_wins,
    a_return_event_moves_bonus_and_confirms_its_hold,
    two_offline_returns_of_one_unit_are_flagged,
    a_return_before_its_original_is_flagged_and_counted,
    malformed_return_bodies_are_400_naming_the_field,
    the_tills_client_finds_holds_and_reports_the_ledger_down,
    a_ledger_of_schema_1_indexes_the_sales_it_has,
);

/// Till A's sale `number`: 2 coffees (line 1) and 132 g of dinner (line 2,
/// earns 0.75), paying `bonus_used` of bonus.
fn two_coffees(seq: i64, number: u64, bonus_used: &str) -> Value {
    let mut e = sale(
        seq,
        json!({
            "number": number,
            "lines": [{"sku": "KAFFE", "qty": 2, "grams": null, "unit_price": "25.00",
                       "discount": "0.00", "discount_kind": null, "discount_ref": null,
                       "amount": "50.00"},
                      {"sku": "VEKT", "qty": 1, "grams": 132, "unit_price": "189.00",
                       "discount": "0.00", "discount_kind": null, "discount_ref": null,
                       "amount": "24.95"}],
            "total": "74.95",
            "tenders": [{"kind": "card", "amount": "74.95"}],
            "bonus_used": bonus_used,
        }),
    );
    e["id"] = json!(format!("sale-a-{number}"));
    e
}

/// A `return` event (the body the till's store writes): the dinner line
/// returned, giving back `bonus_back` and taking back `earned_back`, of
/// `original` (`{"till", "number", "lines"}`, or null).
fn return_event(seq: i64, id: &str, original: Value, bonus_back: &str, earned_back: &str) -> Value {
    json!({"seq": seq, "id": id, "kind": "return", "at": AT, "offline": false, "body": {
        "number": seq, "member": "M-1",
        "lines": [{"sku": "VEKT", "qty": 1, "grams": 132, "unit_price": "189.00",
                   "discount": "0.00", "discount_kind": null, "discount_ref": null,
                   "amount": "-24.95"}],
        "total": "-24.95",
        "tenders": [{"kind": "card", "amount": "-24.95", "reference": null}],
        "rounding": "0.00",
        "vat": [{"rate": "15", "gross": "-24.95", "net": "-21.70", "vat": "-3.25"}],
        "bonus_earned": earned_back, "bonus_balance": null,
        "coupons": [], "clips": [], "bonus_used": bonus_back,
        "original": original,
    }})
}

fn original(number: u64, lines: &[(u32, u32)]) -> Value {
    json!({"till": "till-a", "number": number,
           "lines": lines.iter().map(|(l, q)| json!({"line": l, "qty": q})).collect::<Vec<_>>()})
}

fn hold_body(id: &str, number: u64, lines: &[(u32, u32)]) -> Value {
    json!({"id": id, "original": original(number, lines)})
}

const OK: (StatusCode, &str) = (StatusCode::OK, "ok");
const TAKEN: (StatusCode, &str) = (StatusCode::CONFLICT, "already_returned");
const NO_SALE: (StatusCode, &str) = (StatusCode::CONFLICT, "no_such_sale");

impl Harness {
    async fn hold(&self, till: &str, body: Value) -> (StatusCode, &'static str) {
        let (status, v) = self
            .call(till, till, "returns", Some(body.to_string()))
            .await;
        let answer = match (v["ok"].as_bool(), v["reason"].as_str()) {
            (Some(true), None) => "ok",
            (Some(false), Some("already_returned")) => "already_returned",
            (Some(false), Some("no_such_sale")) => "no_such_sale",
            _ => panic!("not a hold answer: {status} {v}"),
        };
        (status, answer)
    }

    /// `returned` of sale `number` of till A, as till B sees it.
    async fn returned(&self, number: u64) -> Value {
        let (status, v) = self
            .call("till-b", "till-b", &format!("sales/till-a/{number}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["returned"].clone()
    }

    /// What the till's client needs to reach this ledger as `till`; the
    /// blocking client is made and dropped off the async runtime.
    fn client_config(&self, till: &str) -> (String, String, String) {
        (
            self.base.clone(),
            till.to_string(),
            self.tokens[till].clone(),
        )
    }
}

fn client_at((url, till, token): (String, String, String)) -> LedgerClient {
    LedgerClient::new(LedgerConfig {
        url,
        till,
        token,
        timeout: Duration::from_secs(5),
        batch: 100,
    })
    .unwrap()
}

fn units(lines: &[(u32, u32)]) -> Value {
    lines
        .iter()
        .map(|(l, q)| json!({"line": l, "qty": q}))
        .collect()
}

async fn a_sale_is_found_from_another_till_and_held_once(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let sold = two_coffees(1, 42, "0.00");
    let (status, reply) = h.upload("till-a", std::slice::from_ref(&sold)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    // Till B looks up till A's sale 42.
    let (status, v) = h.call("till-b", "till-b", "sales/till-a/42", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"id": "sale-a-42", "till": "till-a", "number": 42, "at": AT,
               "sale": sold["body"], "returned": []})
    );
    for missing in ["sales/till-a/41", "sales/till-b/42", "sales/nobody/1"] {
        let (status, v) = h.call("till-b", "till-b", missing, None).await;
        assert_eq!(
            (status, v),
            (StatusCode::NOT_FOUND, json!({"error": "no_such_sale"})),
            "{missing}"
        );
    }
    // Same auth as the other till paths: B's token, B's path.
    let (status, _) = h.call("till-b", "till-a", "sales/till-a/42", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h.call("nobody", "till-b", "sales/till-a/42", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // B holds one of the two coffees.
    let b1 = hold_body("ret-b1", 42, &[(1, 1)]);
    assert_eq!(h.hold("till-b", b1.clone()).await, OK);
    assert_eq!(h.returned(42).await, units(&[(1, 1)]));
    // A cannot hold both: one is held.
    assert_eq!(
        h.hold("till-a", hold_body("ret-a1", 42, &[(1, 2)])).await,
        TAKEN
    );
    // B's retry (the reply was lost) is the same hold, not a second one.
    assert_eq!(h.hold("till-b", b1).await, OK);
    assert_eq!(h.returned(42).await, units(&[(1, 1)]));
    // The other coffee and the dinner are free; a line the sale has not is no sale.
    assert_eq!(
        h.hold("till-a", hold_body("ret-a1", 42, &[(1, 1), (2, 1)]))
            .await,
        OK
    );
    assert_eq!(h.returned(42).await, units(&[(1, 2), (2, 1)]));
    assert_eq!(
        h.hold("till-a", hold_body("ret-a2", 42, &[(1, 1)])).await,
        TAKEN
    );
    assert_eq!(
        h.hold("till-a", hold_body("ret-a3", 42, &[(3, 1)])).await,
        NO_SALE
    );
    assert_eq!(
        h.hold("till-a", hold_body("ret-a4", 43, &[(1, 1)])).await,
        NO_SALE
    );
    // A hold of the same id with another body replaces it.
    assert_eq!(
        h.hold("till-a", hold_body("ret-a1", 42, &[(2, 1)])).await,
        OK
    );
    assert_eq!(h.returned(42).await, units(&[(1, 1), (2, 1)]));
    h.finish().await;
}

async fn holds_lapse_after_ten_minutes(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    h.upload("till-a", &[two_coffees(1, 1, "0.00")]).await;
    let both = hold_body("ret-b", 1, &[(1, 2)]);
    assert_eq!(h.hold("till-b", both.clone()).await, OK);
    h.clock
        .advance(TimeDelta::minutes(10) - TimeDelta::seconds(1));
    assert_eq!(
        h.hold("till-a", hold_body("ret-a", 1, &[(1, 1)])).await,
        TAKEN
    );
    assert_eq!(h.returned(1).await, units(&[(1, 2)]));
    h.clock.advance(TimeDelta::seconds(1));
    // B never completed its return: the hold has lapsed.
    assert_eq!(h.returned(1).await, units(&[]));
    assert_eq!(h.hold("till-a", hold_body("ret-a", 1, &[(1, 1)])).await, OK);
    // B's late retry is judged afresh and now loses.
    assert_eq!(h.hold("till-b", both).await, TAKEN);
    h.finish().await;
}

async fn concurrent_holds_through_the_client_only_one_wins(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    h.upload("till-a", &[two_coffees(1, 1, "0.00")]).await;
    let configs = [h.client_config("till-a"), h.client_config("till-b")];
    let answers = tokio::task::spawn_blocking(move || {
        let clients: Vec<Arc<LedgerClient>> = configs
            .into_iter()
            .map(|c| Arc::new(client_at(c)))
            .collect();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let client = clients[i % 2].clone();
                std::thread::spawn(move || {
                    let reserver: &dyn Reserver = client.as_ref();
                    reserver.hold_return(&ReturnHold {
                        id: format!("ret-{i}"),
                        till: "till-a".into(),
                        number: 1,
                        lines: vec![(1, 2)],
                    })
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let won = answers.iter().filter(|a| **a == Reserve::Ok).count();
    let lost = answers
        .iter()
        .filter(|a| **a == Reserve::Refused("already_returned".into()))
        .count();
    assert_eq!((won, lost), (1, 7), "{answers:?}");
    assert_eq!(h.returned(1).await, units(&[(1, 2)]));
    h.finish().await;
}

async fn a_return_event_moves_bonus_and_confirms_its_hold(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    // 12.40 − 2.00 spent + 0.75 earned.
    h.upload("till-a", &[two_coffees(1, 1, "2.00")]).await;
    assert_eq!(h.entity("member", "M-1").await["bonus"], "11.15");
    assert_eq!(h.hold("till-b", hold_body("ret-1", 1, &[(2, 1)])).await, OK);
    let ret = return_event(1, "ret-1", original(1, &[(2, 1)]), "-2.00", "-0.75");
    let (status, reply) = h.upload("till-b", std::slice::from_ref(&ret)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(statuses(&reply), [applied(1, &[])]);
    // The bonus spent comes back, the bonus earned on the dinner goes.
    assert_eq!(h.entity("member", "M-1").await["bonus"], "12.40");
    // Counted once: the event confirmed the hold of the same id.
    assert_eq!(h.returned(1).await, units(&[(2, 1)]));
    assert_eq!(h.hold("till-b", hold_body("ret-1", 1, &[(2, 1)])).await, OK);
    assert_eq!(
        h.hold("till-a", hold_body("ret-2", 1, &[(2, 1)])).await,
        TAKEN
    );
    // Long after, the hold row is gone but the units stay returned, and the
    // return's own retry still gets its answer.
    h.clock.advance(TimeDelta::hours(1));
    assert_eq!(h.returned(1).await, units(&[(2, 1)]));
    assert_eq!(h.hold("till-b", hold_body("ret-1", 1, &[(2, 1)])).await, OK);
    assert_eq!(
        h.hold("till-a", hold_body("ret-2", 1, &[(2, 1)])).await,
        TAKEN
    );
    // Uploading the event again changes nothing.
    let (_, reply) = h.upload("till-b", &[ret]).await;
    assert_eq!(statuses(&reply), [duplicate(1, &[])]);
    assert_eq!(h.entity("member", "M-1").await["bonus"], "12.40");
    assert_eq!(h.returned(1).await, units(&[(2, 1)]));

    // A till that takes back more than the dinner earned: flagged, and only
    // what the rule gives (0.75) is taken; a coffee earns nothing back.
    let greedy = return_event(2, "ret-3", original(1, &[(1, 1)]), "0.00", "-5.00");
    let (_, reply) = h.upload("till-b", &[greedy]).await;
    assert_eq!(statuses(&reply), [applied(2, &["bonus_claim_mismatch"])]);
    assert_eq!(h.entity("member", "M-1").await["bonus"], "11.65");
    // An old return without its original: bonus effects, no unit accounting.
    let old = return_event(3, "ret-4", Value::Null, "-1.00", "0.00");
    let (_, reply) = h.upload("till-b", &[old]).await;
    assert_eq!(statuses(&reply), [applied(3, &[])]);
    assert_eq!(h.entity("member", "M-1").await["bonus"], "12.65");
    assert_eq!(h.returned(1).await, units(&[(1, 1), (2, 1)]));
    assert_eq!(
        h.flags().await,
        [("till-b".to_string(), 2, FlagKind::BonusClaimMismatch)]
    );
    h.finish().await;
}

async fn two_offline_returns_of_one_unit_are_flagged(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    h.upload("till-a", &[two_coffees(1, 1, "0.00")]).await;
    // Both tills were offline and each returned the one dinner.
    let mut a = return_event(2, "ret-a", original(1, &[(2, 1)]), "0.00", "-0.75");
    a["offline"] = json!(true);
    let mut b2 = return_event(1, "ret-b", original(1, &[(2, 1)]), "0.00", "-0.75");
    b2["offline"] = json!(true);
    let (_, reply) = h.upload("till-a", &[a]).await;
    assert_eq!(statuses(&reply), [applied(2, &[])]);
    let (_, reply) = h.upload("till-b", &[b2]).await;
    assert_eq!(statuses(&reply), [applied(1, &["return_exceeds_sale"])]);
    assert_eq!(
        h.flags().await,
        [("till-b".to_string(), 1, FlagKind::ReturnExceedsSale)]
    );
    // Both returns happened: both units are counted, the bonus taken twice.
    assert_eq!(h.returned(1).await, units(&[(2, 2)]));
    assert_eq!(h.entity("member", "M-1").await["bonus"], "11.65");
    h.finish().await;
}

async fn a_return_before_its_original_is_flagged_and_counted(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    // Till A sold offline and has not uploaded yet; B returned the dinner.
    let ret = return_event(1, "ret-b", original(7, &[(2, 1)]), "0.00", "-0.75");
    let (_, reply) = h.upload("till-b", &[ret]).await;
    assert_eq!(statuses(&reply), [applied(1, &["unknown_original"])]);
    let (status, _) = h.call("till-b", "till-b", "sales/till-a/7", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A's sale arrives: the units B returned are already counted against it.
    h.upload("till-a", &[two_coffees(1, 7, "0.00")]).await;
    assert_eq!(h.returned(7).await, units(&[(2, 1)]));
    assert_eq!(
        h.hold("till-a", hold_body("ret-a", 7, &[(2, 1)])).await,
        TAKEN
    );
    assert_eq!(h.hold("till-a", hold_body("ret-a", 7, &[(1, 2)])).await, OK);
    // A sale and its return in one batch of one till: found, not flagged.
    let (_, reply) = h
        .upload(
            "till-a",
            &[
                two_coffees(2, 8, "0.00"),
                return_event(3, "ret-a8", original(8, &[(2, 1)]), "0.00", "-0.75"),
            ],
        )
        .await;
    assert_eq!(statuses(&reply), [applied(2, &[]), applied(3, &[])]);
    assert_eq!(h.returned(8).await, units(&[(2, 1)]));
    h.finish().await;
}

async fn malformed_return_bodies_are_400_naming_the_field(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let holds = [
        (json!({"original": original(1, &[(1, 1)])}), "id"),
        (json!({"id": "", "original": original(1, &[(1, 1)])}), "id"),
        (json!({"id": "r"}), "original"),
        (
            json!({"id": "r", "original": {"till": "KAFE 1", "number": 1, "lines": units(&[(1, 1)])}}),
            "original.till",
        ),
        (
            json!({"id": "r", "original": {"till": "till-a", "number": "1", "lines": units(&[(1, 1)])}}),
            "original.number",
        ),
        (
            json!({"id": "r", "original": {"till": "till-a", "number": 1}}),
            "original.lines",
        ),
        (
            json!({"id": "r", "original": original(1, &[])}),
            "original.lines",
        ),
        (
            json!({"id": "r", "original": original(1, &[(0, 1)])}),
            "original.lines[0].line",
        ),
        (
            json!({"id": "r", "original": original(1, &[(1, 1), (2, 0)])}),
            "original.lines[1].qty",
        ),
        (
            json!({"id": "r", "original": {"till": "till-a", "number": 1,
                                        "lines": [{"line": 1, "qty": -1}]}}),
            "original.lines[0].qty",
        ),
    ];
    for (body, field) in holds {
        let (status, v) = h
            .call("till-a", "till-a", "returns", Some(body.to_string()))
            .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {v}"
        );
    }
    let (status, v) = h
        .call("till-a", "till-a", "returns", Some("{not json".into()))
        .await;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body"))
    );
    let (status, v) = h.call("till-a", "till-a", "sales/till-a/x1", None).await;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("number"))
    );

    let ret = || return_event(1, "ret", original(1, &[(1, 1)]), "0.00", "0.00");
    let mut gives_bonus = ret();
    gives_bonus["body"]["bonus_used"] = json!("1.00");
    let mut earns_bonus = ret();
    earns_bonus["body"]["bonus_earned"] = json!("0.75");
    let mut bad_line = ret();
    bad_line["body"]["original"]["lines"][0]["line"] = json!(0);
    let mut bad_till = ret();
    bad_till["body"]["original"]["till"] = json!(7);
    let mut no_total = ret();
    no_total["body"].as_object_mut().unwrap().remove("total");
    let events = [
        (gives_bonus, "events[0].body.bonus_used"),
        (earns_bonus, "events[0].body.bonus_earned"),
        (bad_line, "events[0].body.original.lines[0].line"),
        (bad_till, "events[0].body.original.till"),
        (no_total, "events[0].body.total"),
    ];
    for (event, field) in events {
        let (status, v) = h.upload("till-b", std::slice::from_ref(&event)).await;
        assert_eq!(
            (status, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{v}"
        );
    }
    // Nothing of them was stored.
    let (_, reply) = h.upload("till-b", &[]).await;
    assert_eq!(reply["acked_through"], 0);
    h.finish().await;
}

async fn the_tills_client_finds_holds_and_reports_the_ledger_down(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    h.upload("till-a", &[two_coffees(1, 42, "2.00")]).await;
    let config = h.client_config("till-b");
    // Nothing listens on this port: the ledger is down.
    let down_url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let answers = tokio::task::spawn_blocking(move || {
        let down = client_at((down_url, config.1.clone(), config.2.clone()));
        let client = client_at(config);
        let hold = |id: &str, lines: Vec<(usize, u32)>| ReturnHold {
            id: id.into(),
            till: "till-a".into(),
            number: 42,
            lines,
        };
        let r: &dyn Reserver = &client;
        let first = r.hold_return(&hold("ret-1", vec![(1, 1)]));
        let found = r.original("till-a", 42);
        let again = r.hold_return(&hold("ret-2", vec![(1, 2)]));
        let missing = r.original("till-a", 41);
        let d: &dyn Reserver = &down;
        let offline = (
            d.original("till-a", 42),
            d.hold_return(&hold("ret-3", vec![(1, 1)])),
        );
        (first, found, again, missing, offline)
    })
    .await
    .unwrap();
    let (first, found, again, missing, offline) = answers;
    assert_eq!(first, Reserve::Ok);
    let Original::Found(sale) = found else {
        panic!("{found:?}")
    };
    assert_eq!(
        (sale.id.as_str(), sale.till.as_str(), sale.number),
        ("sale-a-42", "till-a", 42)
    );
    assert_eq!(sale.at.to_rfc3339(), AT);
    assert_eq!(sale.bonus_used.to_string(), "2.00");
    assert_eq!(sale.returned, [(1, 1)]);
    let lines: Vec<_> = sale
        .receipt
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.qty, l.grams, l.amount.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("KAFFE", 2, None, "50.00".to_string()),
            ("VEKT", 1, Some(132), "24.95".to_string())
        ]
    );
    assert_eq!(sale.receipt.total.to_string(), "74.95");
    assert_eq!(again, Reserve::Refused("already_returned".into()));
    assert_eq!(missing, Original::NotFound);
    assert_eq!(offline, (Original::Unreachable, Reserve::Unreachable));
    h.finish().await;
}

async fn a_ledger_of_schema_1_indexes_the_sales_it_has(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    h.upload(
        "till-a",
        &[two_coffees(1, 5, "0.00"), two_coffees(2, 6, "0.00")],
    )
    .await;
    // Back to schema 1 (no sale index, no returned units), then reopened.
    let downgrade = "DROP TABLE sale_index; DROP TABLE return_unit;";
    let storage: Arc<dyn Storage> = match b {
        Backend::Sqlite => {
            let path = h._dir.as_ref().unwrap().path().join("ledger.db");
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(&format!("{downgrade} PRAGMA user_version = 1;"))
                .unwrap();
            drop(c);
            Arc::new(SqliteStorage::open(&path).await.unwrap())
        }
        Backend::Postgres => {
            let (url, schema) = h.pg.clone().unwrap();
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!(
                    "SET search_path TO \"{schema}\"; {downgrade}
                     UPDATE ledger_meta SET schema_version = 1;"
                ))
                .await
                .unwrap();
            Arc::new(PgStorage::open_in_schema(&url, &schema).await.unwrap())
        }
    };
    for (number, id) in [(5, "sale-a-5"), (6, "sale-a-6")] {
        let found = storage
            .original_sale("till-a".into(), number, t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id.as_str(), found.at.as_str()), (id, AT));
    }
    assert_eq!(
        storage
            .original_sale("till-a".into(), 7, t0())
            .await
            .unwrap(),
        None
    );
    h.finish().await;
}
