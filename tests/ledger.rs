//! The ledger over real HTTP on 127.0.0.1, against SQLite (a temp file) and
//! PostgreSQL (a fresh schema per test in the database `KASSE_TEST_PG` names).
//! Every scenario runs on both backends with the same assertions.
//!
//! Without `KASSE_TEST_PG` the PostgreSQL half is skipped locally, and fails
//! when `CI` is set: CI must exercise both backends.

include!("support/ledger_harness.rs");

on_both_backends!(
    reupload_is_idempotent,
    gap_is_409_with_expected_seq,
    other_content_for_a_stored_seq_is_422,
    overlapping_batches_are_duplicates_then_applied,
    coupon_used_by_two_tills_is_flagged_once,
    last_clip_used_twice_is_flagged_once,
    member_bonus_and_clock_flags,
    reservation_conflicts_while_online,
    reservations_expire_after_ten_minutes,
    feed_never_skips_with_concurrent_writers,
    feed_carries_the_data_file_and_acked_balances,
    tokens_401_and_other_tills_403,
    malformed_bodies_are_400_naming_the_field,
);

async fn reupload_is_idempotent(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let batch = [sale(1, json!({})), sale(2, json!({}))];
    let (status, reply) = h.upload("till-a", &batch).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["acked_through"], 2);
    assert!(
        reply["server_time"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-23T10:30:00")
    );
    assert_eq!(statuses(&reply), [applied(1, &[]), applied(2, &[])]);

    // The reply was lost; the till sends the same batch again.
    let (status, reply) = h.upload("till-a", &batch).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["acked_through"], 2);
    assert_eq!(statuses(&reply), [duplicate(1, &[]), duplicate(2, &[])]);

    // Bonus earned once per sale, not once per delivery: 12.40 + 2 × 0.75.
    assert_eq!(h.entity("member", "M-1").await["bonus"], "13.90");
    assert!(h.flags().await.is_empty());
    // An empty batch answers where the till stands.
    let (status, reply) = h.upload("till-a", &[]).await;
    assert_eq!(
        (status, reply["acked_through"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    h.finish().await;
}

async fn gap_is_409_with_expected_seq(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let (status, reply) = h.upload("till-a", &[sale(3, json!({}))]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reply, json!({"expected_seq": 1}));

    let (status, _) = h.upload("till-a", &[sale(1, json!({}))]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, reply) = h
        .upload("till-a", &[sale(3, json!({})), sale(4, json!({}))])
        .await;
    assert_eq!(
        (status, reply),
        (StatusCode::CONFLICT, json!({"expected_seq": 2}))
    );
    // The till resends from 2.
    let (status, reply) = h
        .upload(
            "till-a",
            &[sale(2, json!({})), sale(3, json!({})), sale(4, json!({}))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["acked_through"], 4);
    assert_eq!(h.entity("member", "M-1").await["bonus"], "15.40");
    h.finish().await;
}

async fn other_content_for_a_stored_seq_is_422(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let (status, _) = h.upload("till-a", &[sale(1, json!({}))]).await;
    assert_eq!(status, StatusCode::OK);
    // Seq 1 again, other content, with a new seq 2 in the same batch.
    let changed = sale(1, json!({"total": "26.00"}));
    let (status, reply) = h
        .upload(
            "till-a",
            &[changed, sale(2, json!({"bonus_earned": "5.00"}))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(reply["seq"], 1);
    // The whole batch was refused: seq 2 had no effect.
    let (status, reply) = h.upload("till-a", &[]).await;
    assert_eq!(
        (status, reply["acked_through"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(h.entity("member", "M-1").await["bonus"], "13.15");
    let alarms = h.ledger.alarms().await.unwrap();
    assert_eq!(
        alarms
            .iter()
            .map(|a| (a.till.as_str(), a.seq))
            .collect::<Vec<_>>(),
        [("till-a", 1)]
    );
    // Key order is not content: the same event with keys reordered is a duplicate.
    let original = sale(1, json!({}));
    let mut reordered = serde_json::Map::new();
    for k in ["body", "offline", "at", "kind", "id", "seq"] {
        reordered.insert(k.to_string(), original[k].clone());
    }
    let (status, reply) = h.upload("till-a", &[Value::Object(reordered)]).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(statuses(&reply), [duplicate(1, &[])]);
    h.finish().await;
}

async fn overlapping_batches_are_duplicates_then_applied(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    // Seq 2 comes from a till whose clock runs 20 minutes fast.
    let fast = {
        let mut e = sale(2, json!({}));
        e["at"] = json!("2026-11-23T11:50:00+01:00");
        e
    };
    let (status, reply) = h
        .upload(
            "till-a",
            &[sale(1, json!({})), fast.clone(), sale(3, json!({}))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        statuses(&reply),
        [
            applied(1, &[]),
            applied(2, &["clock_skew"]),
            applied(3, &[])
        ]
    );
    // Delivered again in a later, overlapping batch, in another order.
    let (status, reply) = h
        .upload("till-a", &[sale(4, json!({})), sale(3, json!({})), fast])
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["acked_through"], 4);
    assert_eq!(
        statuses(&reply),
        [
            duplicate(2, &["clock_skew"]),
            duplicate(3, &[]),
            applied(4, &[])
        ]
    );
    assert_eq!(h.entity("member", "M-1").await["bonus"], "15.40");
    // A clock_skew flag is stored once.
    assert_eq!(
        h.flags().await,
        [("till-a".to_string(), 2, FlagKind::ClockSkew)]
    );
    h.finish().await;
}

async fn coupon_used_by_two_tills_is_flagged_once(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let use_coupon = json!({"coupons": ["CP-1"], "total": "0.00", "tenders": []});
    // Both tills were offline and took the same coupon.
    let (status, reply) = h.upload("till-a", &[sale(1, use_coupon.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&reply), [applied(1, &[])]);
    let (status, reply) = h.upload("till-b", &[sale(1, use_coupon.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&reply), [applied(1, &["coupon_double_redeemed"])]);
    // A redelivery does not flag again.
    let (_, reply) = h.upload("till-b", &[sale(1, use_coupon)]).await;
    assert_eq!(
        statuses(&reply),
        [duplicate(1, &["coupon_double_redeemed"])]
    );
    assert_eq!(
        h.flags().await,
        [("till-b".to_string(), 1, FlagKind::CouponDoubleRedeemed)]
    );
    let exc = h.ledger.exceptions().await.unwrap();
    assert_eq!(
        (exc[0].event_id.as_str(), exc[0].at.as_str()),
        ("sale-1", AT)
    );
    assert_eq!(h.entity("coupon", "CP-1").await["used"], true);
    h.finish().await;
}

async fn last_clip_used_twice_is_flagged_once(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let clip = json!({"clips": [{"card": "KK-1", "n": 1}], "total": "0.00", "tenders": []});
    let (_, reply) = h.upload("till-a", &[sale(1, clip.clone())]).await;
    assert_eq!(statuses(&reply), [applied(1, &[])]);
    assert_eq!(h.entity("card", "KK-1").await["clips"], 0);
    let (_, reply) = h.upload("till-b", &[sale(1, clip.clone())]).await;
    assert_eq!(statuses(&reply), [applied(1, &["card_overdrawn"])]);
    assert_eq!(
        h.flags().await,
        [("till-b".to_string(), 1, FlagKind::CardOverdrawn)]
    );
    assert_eq!(h.entity("card", "KK-1").await["clips"], 0);
    h.finish().await;
}

async fn member_bonus_and_clock_flags(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let mut skewed = sale(3, json!({}));
    skewed["at"] = json!("2026-11-23T10:40:01Z"); // 10 min 1 s ahead
    let journal = json!({"seq": 4, "id": "j-4", "kind": "journal", "at": AT, "offline": false,
                         "body": {"code": 13999, "what": "drawer open"}});
    let events = [
        sale(1, json!({"member": "M-404"})),
        sale(
            2,
            json!({"bonus_used": "20.00", "bonus_earned": "0.00", "lines": []}),
        ),
        skewed,
        journal,
    ];
    let (status, reply) = h.upload("till-a", &events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        statuses(&reply),
        [
            applied(1, &["unknown_member"]),
            applied(2, &["bonus_overdrawn"]),
            applied(3, &["clock_skew"]),
            applied(4, &[]),
        ]
    );
    // The sale happened: the balance is charged, below zero. 12.40 − 20.00 + 0.75.
    assert_eq!(h.entity("member", "M-1").await["bonus"], "-6.85");
    assert_eq!(
        h.flags().await,
        [
            ("till-a".to_string(), 1, FlagKind::UnknownMember),
            ("till-a".to_string(), 2, FlagKind::BonusOverdrawn),
            ("till-a".to_string(), 3, FlagKind::ClockSkew),
        ]
    );
    h.finish().await;
}

async fn reservation_conflicts_while_online(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let ok = json!({"ok": true});
    let a1 = json!({"id": "sale-a1", "coupons": ["CP-1"]});
    assert_eq!(
        h.redeem("till-a", a1.clone()).await,
        (StatusCode::OK, ok.clone())
    );
    // Idempotent by id.
    assert_eq!(h.redeem("till-a", a1).await, (StatusCode::OK, ok.clone()));
    let refused = |reason: &str| (StatusCode::CONFLICT, json!({"ok": false, "reason": reason}));
    assert_eq!(
        h.redeem("till-b", json!({"id": "sale-b1", "coupons": ["CP-1"]}))
            .await,
        refused("coupon_used")
    );
    // The last clip.
    assert_eq!(
        h.redeem(
            "till-a",
            json!({"id": "sale-a2", "clips": [{"card": "KK-1", "n": 1}]})
        )
        .await,
        (StatusCode::OK, ok.clone())
    );
    assert_eq!(
        h.redeem(
            "till-b",
            json!({"id": "sale-b2", "clips": [{"card": "KK-1", "n": 1}]})
        )
        .await,
        refused("card_empty")
    );
    // Bonus: 12.40, of which 10.00 held by till-a.
    assert_eq!(
        h.redeem(
            "till-a",
            json!({"id": "sale-a3", "bonus": {"member": "M-1", "amount": "10.00"}})
        )
        .await,
        (StatusCode::OK, ok.clone())
    );
    assert_eq!(
        h.redeem(
            "till-b",
            json!({"id": "sale-b3", "bonus": {"member": "M-1", "amount": "2.41"}})
        )
        .await,
        refused("bonus_insufficient")
    );
    assert_eq!(
        h.redeem(
            "till-b",
            json!({"id": "sale-b4", "bonus": {"member": "M-1", "amount": "2.40"}})
        )
        .await,
        (StatusCode::OK, ok.clone())
    );
    // Till A completes sale-a1: the hold becomes a use; a retry still says ok.
    let done = with_id(sale(1, json!({"coupons": ["CP-1"]})), "sale-a1");
    let (status, reply) = h.upload("till-a", &[done]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&reply), [applied(1, &[])]);
    assert_eq!(
        h.redeem("till-a", json!({"id": "sale-a1", "coupons": ["CP-1"]}))
            .await,
        (StatusCode::OK, ok)
    );
    assert_eq!(
        h.redeem("till-b", json!({"id": "sale-b5", "coupons": ["CP-1"]}))
            .await,
        refused("coupon_used")
    );
    h.finish().await;
}

async fn reservations_expire_after_ten_minutes(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let ok = (StatusCode::OK, json!({"ok": true}));
    let used = (
        StatusCode::CONFLICT,
        json!({"ok": false, "reason": "coupon_used"}),
    );
    let a = json!({"id": "sale-a", "coupons": ["CP-1"]});
    let b2 = json!({"id": "sale-b", "coupons": ["CP-1"]});
    assert_eq!(h.redeem("till-a", a.clone()).await, ok);
    h.clock
        .advance(TimeDelta::minutes(10) - TimeDelta::seconds(1));
    assert_eq!(h.redeem("till-b", b2.clone()).await, used);
    h.clock.advance(TimeDelta::seconds(1));
    // Till A never completed its sale: the hold has lapsed.
    assert_eq!(h.redeem("till-b", b2).await, ok);
    // Till A's retry is judged afresh, and now loses.
    assert_eq!(h.redeem("till-a", a).await, used);
    h.finish().await;
}

async fn feed_never_skips_with_concurrent_writers(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let h = Arc::new(h);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Writers: three admins importing new members in small files, and both
    // tills uploading sales that move balances, all at once.
    let mut writers = Vec::new();
    for w in 0..3 {
        let ledger = h.ledger.clone();
        writers.push(tokio::spawn(async move {
            for round in 0..15 {
                let mut text = String::new();
                for i in 0..4 {
                    text.push_str(&format!(
                        "[[member]]\nid = \"W{w}-{round}-{i}\"\nname = \"n\"\nbonus = \"1.00\"\n"
                    ));
                }
                ledger.import(&data(&text)).await.unwrap();
            }
        }));
    }
    for till in ["till-a", "till-b"] {
        let h = h.clone();
        writers.push(tokio::spawn(async move {
            for seq in 1..=20 {
                let (status, reply) = h.upload(till, &[sale(seq, json!({}))]).await;
                assert_eq!(status, StatusCode::OK, "{reply}");
            }
        }));
    }
    // The reader: small pages, as fast as it can, until the writers are done
    // and it has caught up.
    let reader = {
        let (h, done) = (h.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = BTreeMap::new();
            let (mut after, mut pages) = (0i64, 0);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = h.changes("till-a", after, 7).await;
                let cursors: Vec<i64> = page["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["cursor"].as_i64().unwrap())
                    .collect();
                assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
                assert!(cursors.iter().all(|&c| c > after));
                fold(&mut seen, &page);
                after = page["next"].as_i64().unwrap();
                pages += 1;
                if finished && !page["more"].as_bool().unwrap() {
                    return (seen, pages);
                }
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pages) = reader.await.unwrap();
    assert!(pages > 10, "the reader should have paged during the writes");
    // A reader that skipped a change would miss an imported member for good.
    let (all, last) = h.feed("till-a").await;
    assert_eq!(seen.len(), all.len());
    assert_eq!(seen, all);
    let members = all.keys().filter(|(k, _)| k == "member").count();
    assert_eq!(members, 2 + 3 * 15 * 4);
    // Both tills' 20 sales are in M-1's balance: 12.40 + 40 × 0.75.
    assert_eq!(all[&("member".into(), "M-1".into())]["bonus"], "42.40");
    assert_eq!(last["acked_through"], 20);
    match Arc::try_unwrap(h) {
        Ok(h) => h.finish().await,
        Err(_) => panic!("harness still shared"),
    }
}

async fn feed_carries_the_data_file_and_acked_balances(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let (all, last) = h.feed("till-a").await;
    assert_eq!(last["acked_through"], 0);
    assert!(last["server_time"].is_string());
    let kinds: std::collections::BTreeSet<&str> = all.keys().map(|(k, _)| k.as_str()).collect();
    // The data file lists no QR keys: the ledger delivers none (the demo key
    // is never trusted by default).
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "campaign", "card", "coupon", "member", "product", "settings"
        ]
    );
    let get = |k: &str, id: &str| all[&(k.to_string(), id.to_string())].clone();
    assert_eq!(
        get("member", "M-1"),
        json!({"id": "M-1", "name": "Ola Nordmann", "student": true,
               "student_until": "2027-02-01", "bonus": "12.40"})
    );
    assert_eq!(
        get("product", "VEKT"),
        json!({"sku": "VEKT", "name": "Middag etter vekt", "price_per_kg": "189.00",
               "tare_g": 0, "vat": "15", "coffee": false, "barcodes": []})
    );
    assert_eq!(
        get("coupon", "CP-1"),
        json!({"id": "CP-1", "member": "M-1", "sku": "KAFFE",
               "valid_until": "2026-12-31", "used": false})
    );
    assert_eq!(
        get("card", "KK-1"),
        json!({"id": "KK-1", "member": "M-1", "clips": 1})
    );
    assert_eq!(
        get("settings", "settings"),
        json!({"bonus_rate": "0.03", "coffee_default_sku": "KAFFE", "min_grams": 40})
    );
    let campaign = all.iter().find(|((k, _), _)| k == "campaign").unwrap().1;
    assert_eq!(campaign["skus"], json!(["SALAT"]));
    assert_eq!(campaign["rate"], "0.05");
    let cursor = last["next"].as_i64().unwrap();

    // A sale on till A: the next page has M-1 with it, and says so.
    let (status, _) = h.upload("till-a", &[sale(1, json!({}))]).await;
    assert_eq!(status, StatusCode::OK);
    let page = h.changes("till-a", cursor, 500).await;
    assert_eq!(page["acked_through"], 1);
    assert_eq!(page["changes"][0]["kind"], "member");
    assert_eq!(page["changes"][0]["data"]["bonus"], "13.15");
    assert_eq!(page["more"], false);
    // Till B sees the same balance, with its own acked_through.
    let page_b = h.changes("till-b", cursor, 500).await;
    assert_eq!(page_b["acked_through"], 0);
    assert_eq!(page_b["changes"][0]["data"]["bonus"], "13.15");
    // Nothing new: an empty page that keeps the cursor.
    let next = page["next"].as_i64().unwrap();
    let empty = h.changes("till-a", next, 500).await;
    assert_eq!(
        (
            empty["changes"].clone(),
            empty["next"].as_i64(),
            empty["more"].clone()
        ),
        (json!([]), Some(next), json!(false))
    );

    // The catalog is re-imported without VEKT: a delete; the rest is unchanged
    // and is not sent again; the bonus earned is kept.
    let summary = h
        .ledger
        .import(&data(&DATA.replace(
            "[[product]]\nsku = \"VEKT\"\nname = \"Middag etter vekt\"\nprice_per_kg = \"189.00\"\nvat = \"15\"\n",
            "",
        )))
        .await
        .unwrap();
    assert_eq!((summary.written, summary.deleted), (0, 1));
    let page = h.changes("till-a", next, 500).await;
    assert_eq!(
        page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["kind"].clone(), c["data"].clone()))
            .collect::<Vec<_>>(),
        [(json!("delete"), json!({"kind": "product", "id": "VEKT"}))]
    );
    assert_eq!(h.entity("member", "M-1").await["bonus"], "13.15");
    h.finish().await;
}

async fn tokens_401_and_other_tills_403(b: Backend) {
    let Some(mut h) = Harness::start(b).await else {
        return;
    };
    let health: Value = h
        .http
        .get(format!("{}/v1/health", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["server_time"].is_string());

    let no_token = h.call("nobody", "till-a", "changes", None).await;
    assert_eq!(no_token.0, StatusCode::UNAUTHORIZED, "{}", no_token.1);
    h.tokens.insert("forger", "x".repeat(43));
    assert_eq!(
        h.call("forger", "till-a", "changes", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let basic = h
        .http
        .get(format!("{}/v1/tills/till-a/changes", h.base))
        .header("authorization", format!("Basic {}", h.tokens["till-a"]))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    // Till A's token on till B's paths.
    for (rest, body) in [
        ("changes", None),
        ("events", Some(json!({"events": []}).to_string())),
        ("redeem", Some(json!({"id": "x"}).to_string())),
    ] {
        let (status, v) = h.call("till-a", "till-b", rest, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{rest}: {v}");
    }
    assert_eq!(
        h.call("till-a", "till-a", "changes", None).await.0,
        StatusCode::OK
    );
    // Re-enrolment replaces the token.
    let old = h.tokens["till-a"].clone();
    let new = h.ledger.enroll("till-a").await.unwrap().to_string();
    assert_ne!(old, new);
    assert_eq!(
        h.call("till-a", "till-a", "changes", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    h.tokens.insert("till-a", new);
    assert_eq!(
        h.call("till-a", "till-a", "changes", None).await.0,
        StatusCode::OK
    );
    assert!(h.ledger.enroll("Till A").await.is_err());
    h.finish().await;
}

async fn malformed_bodies_are_400_naming_the_field(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    let mut no_seq = sale(1, json!({}));
    no_seq.as_object_mut().unwrap().remove("seq");
    let table = [
        (
            "events",
            json!({"events": [no_seq]}).to_string(),
            "events[0].seq",
        ),
        (
            "events",
            json!({"events": [sale(1, json!({"bonus_used": 12.4}))]}).to_string(),
            "events[0].body.bonus_used",
        ),
        (
            "events",
            json!({"events": [sale(1, json!({"clips": [{"card": "KK-1"}]}))]}).to_string(),
            "events[0].body.clips[0].n",
        ),
        ("events", json!({"event": []}).to_string(), "events"),
        ("events", "{\"events\": [".to_string(), "body"),
        ("redeem", json!({"coupons": ["CP-1"]}).to_string(), "id"),
        (
            "redeem",
            json!({"id": "s", "bonus": {"member": "M-1", "amount": "1"}}).to_string(),
            "bonus.amount",
        ),
    ];
    for (rest, body, field) in table {
        let (status, v) = h.call("till-a", "till-a", rest, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["field"], field, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(field), "{v}");
    }
    for (query, field) in [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
    ] {
        let (status, v) = h
            .call("till-a", "till-a", &format!("changes?{query}"), None)
            .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field))
        );
    }
    // Nothing was stored by the refused requests.
    let (_, reply) = h.upload("till-a", &[]).await;
    assert_eq!(reply["acked_through"], 0);
    h.finish().await;
}

#[tokio::test]
async fn plain_http_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(&dir.path().join("l.db")).await.unwrap());
    let ledger = Ledger::new(storage, Arc::new(ManualClock::new(t0())));
    let err = Server::bind("0.0.0.0:0", ledger.clone())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("refusing to serve plain HTTP on 0.0.0.0"),
        "{err}"
    );
    assert!(Server::bind("localhost:0", ledger).await.is_ok());
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    drop(SqliteStorage::open(&path).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStorage::open(&path).await.err().unwrap().to_string();
    assert!(err.contains("newer kasse"), "{err}");
}
