use super::*;
use serde_json::json;

fn facts(sold: &[u32]) -> OriginalFacts {
    OriginalFacts {
        id: "s1".into(),
        date: "2026-11-23".parse().unwrap(),
        sold: sold.to_vec(),
    }
}

fn lines(l: &[(u32, u32)]) -> Vec<LineUnits> {
    l.iter()
        .map(|&(line, qty)| LineUnits { line, qty })
        .collect()
}

#[test]
fn holds_are_checked_against_sold_returned_and_held_units() {
    let taken = Units::from([(1, 1), (2, 1)]);
    let sold = facts(&[2, 1, 3]);
    type Row<'a> = (
        Option<&'a OriginalFacts>,
        &'a [(u32, u32)],
        Result<(), HoldRefusal>,
    );
    let table: [Row<'_>; 7] = [
        (Some(&sold), &[(1, 1)], Ok(())),
        (Some(&sold), &[(1, 2)], Err(HoldRefusal::AlreadyReturned)),
        (Some(&sold), &[(2, 1)], Err(HoldRefusal::AlreadyReturned)),
        (Some(&sold), &[(3, 3), (1, 1)], Ok(())),
        // A line past the sale's is no such sale, before any count.
        (Some(&sold), &[(2, 1), (4, 1)], Err(HoldRefusal::NoSuchSale)),
        (
            Some(&sold),
            &[(1, u32::MAX)],
            Err(HoldRefusal::AlreadyReturned),
        ),
        (None, &[(1, 1)], Err(HoldRefusal::NoSuchSale)),
    ];
    for (f, wanted, expected) in table {
        assert_eq!(
            check_hold(f, &taken, &lines(wanted)),
            expected,
            "{wanted:?}"
        );
    }
}

#[test]
fn a_hold_merges_repeated_lines_and_names_bad_fields() {
    let h = parse_hold(
        br#"{"id":"r1","original":{"till":"kafe-1","number":42,
             "lines":[{"line":2,"qty":1},{"line":1,"qty":1},{"line":2,"qty":4294967295}]}}"#,
    )
    .unwrap();
    assert_eq!(h.original.lines, lines(&[(1, 1), (2, u32::MAX)]));
    let items: Vec<_> = hold_items(&h).into_iter().map(|i| (i.item, i.n)).collect();
    assert_eq!(
        items,
        [
            ("kafe-1/42/1".to_string(), 1),
            ("kafe-1/42/2".to_string(), i64::from(u32::MAX))
        ]
    );
    let mut units = Units::new();
    add_held(&mut units, "kafe-1/42/", "kafe-1/42/2", 3);
    add_held(&mut units, "kafe-1/42/", "kafe-1/421/2", 3);
    assert_eq!(units, Units::from([(2, 3)]));
    let big = format!(
        r#"{{"id":"r","original":{{"till":"a","number":{},"lines":[{{"line":1,"qty":1}}]}}}}"#,
        u64::MAX
    );
    assert_eq!(
        parse_hold(big.as_bytes()).unwrap_err().field,
        "original.number"
    );
}

#[test]
fn return_bodies_keep_their_signs() {
    let body = |patch: Value| {
        let mut b = crate::ledger::wire::lunch_sale_body(1, "M-1", "1.00");
        b["bonus_earned"] = json!("-0.75");
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        parse_return("body", b)
    };
    let ok = body(
        json!({"original": {"till": "kafe-1", "number": 3, "id": "s3",
                                      "lines": [{"line": 2, "qty": 1}]}}),
    )
    .unwrap();
    let o = ok.original.unwrap();
    assert_eq!((o.id.as_deref(), o.lines), (Some("s3"), lines(&[(2, 1)])));
    assert_eq!(body(json!({})).unwrap().original, None);
    let table = [
        (json!({"bonus_used": "0.01"}), "body.bonus_used"),
        (json!({"bonus_earned": "0.75"}), "body.bonus_earned"),
        (
            json!({"original": {"till": "kafe-1", "number": 3}}),
            "body.original.lines",
        ),
        (json!({"original": 3}), "body.original"),
    ];
    for (patch, field) in table {
        assert_eq!(body(patch.clone()).unwrap_err().field, field, "{patch}");
    }
}

#[test]
fn the_bonus_a_return_may_take_back_is_the_rule_on_its_lines() {
    let catalog = crate::domain::Catalog::new(
        vec![crate::domain::Product {
            sku: "VEKT".into(),
            name: "Middag".into(),
            pricing: crate::domain::Pricing::Weighed {
                price_per_kg: Money::from_ore(18_900),
                tare_g: 0,
            },
            vat: crate::domain::VatRate::new(15).unwrap(),
            coffee: false,
            barcodes: vec![],
        }],
        vec![],
        crate::domain::Settings::default(),
    );
    let line = |sku: &str, grams: Option<u32>, amount: &str| LineIn {
        sku: sku.into(),
        qty: 1,
        grams,
        unit_price: Amount(Money::from_ore(18_900)),
        discount: Amount(Money::ZERO),
        discount_kind: None,
        discount_ref: None,
        amount: Amount(amount.parse().unwrap()),
    };
    let day = "2026-11-23".parse().unwrap();
    let allowed = |ls: &[LineIn]| bonus_back_allowed(ls, &catalog, day).map(|m| m.to_string());
    // 3 % of 24.95 for dinner by weight; nothing for the same line unweighed
    // or for a positive (not returned) amount.
    assert_eq!(
        allowed(&[line("VEKT", Some(132), "-24.95")]).as_deref(),
        Some("0.75")
    );
    assert_eq!(
        allowed(&[line("VEKT", None, "-24.95")]).as_deref(),
        Some("0.00")
    );
    assert_eq!(
        allowed(&[line("VEKT", Some(132), "24.95")]).as_deref(),
        Some("0.00")
    );
}
