//! Issue 15 against a real ledger server on 127.0.0.1, on SQLite and
//! PostgreSQL: a till cannot credit bonus its sale did not earn, an amount
//! past the range of money is flagged (never a panic or a 500), and a
//! poisoned event does not stop that till's sync nor another till's.
#![allow(dead_code, unused_imports)]

include!("support/ledger_harness.rs");

on_both_backends!(
    forged_bonus_is_flagged_and_sync_goes_on,
    clip_counts_never_wrap,
);

/// The numbers: `Decimal::MAX` as an amount, and the largest amount
/// with two decimals.
const DECIMAL_MAX: &str = "79228162514264337593543950335.00";
const MONEY_MAX: &str = "792281625142643375935439503.35";

async fn forged_bonus_is_flagged_and_sync_goes_on(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    // The balance at the very edge of the range, as a data file may set it.
    h.ledger
        .import(&data(&format!(
            "[[member]]\nid = \"M-9\"\nname = \"Edge\"\nstudent = true\n\
             student_until = \"2027-02-01\"\nbonus = \"{MONEY_MAX}\"\n"
        )))
        .await
        .unwrap();
    let huge_line = json!({"sku": "VEKT", "qty": 1, "grams": 1000, "unit_price": MONEY_MAX,
                           "discount": "0.00", "discount_kind": null, "discount_ref": null,
                           "amount": MONEY_MAX});
    let events = [
        sale(1, json!({"bonus_earned": DECIMAL_MAX})),
        sale(2, json!({"bonus_earned": MONEY_MAX})),
        // Earns 0.75 by the rules, but M-9 has no room for it.
        sale(3, json!({"member": "M-9"})),
        // Its own lines sum past the range.
        sale(
            4,
            json!({"lines": [huge_line, huge_line], "bonus_earned": "0.00"}),
        ),
        sale(
            5,
            json!({"bonus_used": DECIMAL_MAX, "bonus_earned": "0.75"}),
        ),
    ];
    let (status, reply) = h.upload("till-a", &events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        statuses(&reply),
        [
            applied(1, &["bonus_claim_mismatch"]),
            applied(2, &["bonus_claim_mismatch"]),
            applied(3, &["amount_overflow"]),
            applied(4, &["amount_overflow"]),
            applied(5, &["bonus_overdrawn", "amount_overflow"]),
        ]
    );
    // Only what the rules allow was credited: 12.40 + 0.75 + 0.75.
    assert_eq!(h.entity("member", "M-1").await["bonus"], "13.90");
    assert_eq!(h.entity("member", "M-9").await["bonus"], MONEY_MAX);

    // The till's queue goes on, and so does another till's.
    let (status, reply) = h.upload("till-a", &[sale(6, json!({}))]).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(statuses(&reply), [applied(6, &[])]);
    let (status, reply) = h.upload("till-b", &[sale(1, json!({}))]).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(statuses(&reply), [applied(1, &[])]);
    assert_eq!(h.entity("member", "M-1").await["bonus"], "15.40");

    // Reserving the forged amounts is refused with a reason.
    for amount in [DECIMAL_MAX, MONEY_MAX] {
        let (status, reply) = h
            .redeem(
                "till-b",
                json!({"id": format!("r-{amount}"), "bonus": {"member": "M-9", "amount": amount}}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{reply}");
        assert_eq!(reply["reason"], "bonus_insufficient");
    }
    let flags: Vec<FlagKind> = h.flags().await.into_iter().map(|f| f.2).collect();
    assert_eq!(
        flags,
        [
            FlagKind::BonusClaimMismatch,
            FlagKind::BonusClaimMismatch,
            FlagKind::AmountOverflow,
            FlagKind::AmountOverflow,
            FlagKind::BonusOverdrawn,
            FlagKind::AmountOverflow,
        ]
    );
    h.finish().await;
}

async fn clip_counts_never_wrap(b: Backend) {
    let Some(h) = Harness::start(b).await else {
        return;
    };
    // KK-1 has one clip. 4294967295 + 2 wraps to 1 in a u32: it must not.
    let cases = [
        json!([{"card": "KK-1", "n": 4294967295u32}, {"card": "KK-1", "n": 2}]),
        json!([{"card": "KK-1", "n": 4294967295u32}]),
        json!([{"card": "KK-1", "n": 2147483648u32}, {"card": "KK-1", "n": 2147483648u32}]),
    ];
    for (i, clips) in cases.iter().enumerate() {
        let (status, reply) = h
            .redeem("till-a", json!({"id": format!("wrap-{i}"), "clips": clips}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{clips}: {reply}");
        assert_eq!(reply["reason"], "card_empty", "{clips}");
    }
    // The one real clip is still there to reserve.
    let (status, reply) = h
        .redeem(
            "till-a",
            json!({"id": "ok", "clips": [{"card": "KK-1", "n": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // A sale taking u32::MAX clips is flagged, the card stays at zero, and
    // the next upload goes through.
    let (status, reply) = h
        .upload(
            "till-a",
            &[
                sale(1, json!({"clips": [{"card": "KK-1", "n": 4294967295u32}]})),
                sale(2, json!({})),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        statuses(&reply),
        [applied(1, &["card_overdrawn"]), applied(2, &[])]
    );
    assert_eq!(h.entity("card", "KK-1").await["clips"], 0);
    h.finish().await;
}
