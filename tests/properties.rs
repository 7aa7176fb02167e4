//! Property tests of the money rules: whatever the cart, tenders add up to
//! total + rounding, VAT rows add up to the total, balances never go negative
//! and every amount has exactly two decimals.

use chrono::{DateTime, FixedOffset, NaiveDate};
use kasse::data::Data;
use kasse::domain::receipt::{Payment, TenderKind};
use kasse::domain::sale::OfflineLimits;
use kasse::domain::{AppCode, Catalog, Line, Money, Pricing, Product, Sale, Settings, VatRate};
use kasse::till::{Link, Mode, Outcome, PayRequest, Till};
use kasse::wiring::open_demo_store;
use proptest::prelude::*;
use std::path::Path;

fn product(sku: &str, ore: i64, vat: u8, coffee: bool, weighed: bool) -> Product {
    let price = Money::from_ore(ore);
    Product {
        sku: sku.into(),
        name: sku.into(),
        pricing: if weighed {
            Pricing::Weighed {
                price_per_kg: price,
                tare_g: 25,
            }
        } else {
            Pricing::Unit { price }
        },
        vat: VatRate::new(vat).expect("rate"),
        coffee,
        barcodes: vec![],
    }
}

#[derive(Clone, Debug)]
enum Act {
    Unit {
        price_ore: i64,
        vat_idx: usize,
        qty: u32,
        coffee: bool,
    },
    Weighed {
        ppk_ore: i64,
        vat_idx: usize,
        grams: u32,
    },
    Coupon(usize),
    Clip,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (1i64..50_000, 0usize..4, 1u32..5, any::<bool>())
            .prop_map(|(price_ore, vat_idx, qty, coffee)| Act::Unit { price_ore, vat_idx, qty, coffee }),
        2 => (1i64..60_000, 0usize..4, 40u32..3000).prop_map(|(ppk_ore, vat_idx, grams)| Act::Weighed { ppk_ore, vat_idx, grams }),
        1 => (0usize..8).prop_map(Act::Coupon),
        1 => Just(Act::Clip),
    ]
}

fn build(acts: &[Act]) -> (Sale, Catalog) {
    let rates = [25, 15, 12, 0];
    let mut products = Vec::new();
    let mut sale = Sale::default();
    for (i, a) in acts.iter().enumerate() {
        match *a {
            Act::Unit {
                price_ore,
                vat_idx,
                qty,
                coffee,
            } => {
                let p = product(&format!("U{i}"), price_ore, rates[vat_idx], coffee, false);
                sale.add_line(Line::unit(&p, qty));
                products.push(p);
            }
            Act::Weighed {
                ppk_ore,
                vat_idx,
                grams,
            } => {
                let p = product(&format!("W{i}"), ppk_ore, rates[vat_idx], false, true);
                sale.add_line(Line::weighed(&p, grams));
                products.push(p);
            }
            Act::Coupon(target) => {
                if let Some(p) = products.get(target % products.len().max(1)).cloned() {
                    let _ = sale.apply_coupon(&format!("CP-{i}"), &p);
                }
            }
            Act::Clip => {
                let default = product("KAFFE", 2500, 15, true, false);
                let _ = sale.apply_clip("KK-1", Some(&default));
                products.push(default);
            }
        }
    }
    let settings = Settings::default();
    (sale, Catalog::new(products, vec![], settings))
}

fn two_decimals(v: &serde_json::Value, path: &str) -> Result<(), String> {
    match v {
        serde_json::Value::String(s)
            if s.parse::<rust_decimal::Decimal>().is_ok() && s.contains('.') =>
        {
            if s.split('.').nth(1).map(str::len) == Some(2) {
                Ok(())
            } else {
                Err(format!("{path}: {s}"))
            }
        }
        serde_json::Value::Object(m) => m
            .iter()
            .try_for_each(|(k, v)| two_decimals(v, &format!("{path}.{k}"))),
        serde_json::Value::Array(a) => a.iter().try_for_each(|v| two_decimals(v, path)),
        _ => Ok(()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn receipts_add_up(acts in prop::collection::vec(act(), 1..12), bonus_ore in 0i64..100_000, tender in 0usize..3) {
        let (sale, catalog) = build(&acts);
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let total = sale.total();
        prop_assert!(!total.is_negative());
        for line in &sale.lines {
            prop_assert!(!line.amount().is_negative(), "line below zero: {line:?}");
        }
        let kind = [TenderKind::Card, TenderKind::Vipps, TenderKind::Cash][tender];
        let bonus = Money::from_ore(bonus_ore).min(total);
        let payment = Payment::plan(total, bonus, kind);
        let earned = sale.bonus_earned(&catalog, today).expect("in range");
        let receipt = sale.receipt(1, &payment, earned, Some(Money::from_ore(bonus_ore) - bonus + earned));

        let tenders: Money = receipt.tenders.iter().map(|t| t.amount).sum();
        prop_assert_eq!(tenders, receipt.total + receipt.rounding);
        let lines: Money = receipt.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(lines, receipt.total);
        let gross: Money = receipt.vat.iter().map(|v| v.gross).sum();
        prop_assert_eq!(gross, receipt.total);
        for row in &receipt.vat {
            prop_assert_eq!(row.net + row.vat, row.gross);
        }
        if kind != TenderKind::Cash {
            prop_assert!(receipt.rounding.is_zero());
        } else {
            prop_assert!(receipt.rounding.as_decimal().abs() <= rust_decimal::Decimal::new(50, 2));
            for t in receipt.tenders.iter().filter(|t| t.kind == TenderKind::Cash) {
                prop_assert!(t.amount.as_decimal().fract().is_zero(), "cash in whole kroner: {}", t.amount);
            }
        }
        let json = serde_json::to_value(&receipt).expect("json");
        prop_assert!(two_decimals(&json, "receipt").is_ok(), "{:?}", two_decimals(&json, "receipt"));
    }
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").expect("time")
}

#[derive(Clone, Debug)]
enum Step {
    Tap(usize),
    Weigh(u32),
    Clip,
    Coupon(u8),
    Bonus,
    Pay(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..4).prop_map(Step::Tap),
        2 => (60u32..900).prop_map(Step::Weigh),
        2 => Just(Step::Clip),
        1 => (0u8..4).prop_map(Step::Coupon),
        2 => Just(Step::Bonus),
        3 => (0u8..3).prop_map(Step::Pay),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever a student does over many sales, the till never lets a bonus
    /// balance or a coffee card go below zero, and each paid receipt's bonus
    /// balance is what the store then reports.
    #[test]
    fn balances_never_go_negative(steps in prop::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = Data::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml")).expect("demo");
        let member = "M-100001";
        let card = data.cards.iter().find(|c| c.member == member).map(|c| c.id.clone());
        let mut store = open_demo_store(&dir.path().join("t.sqlite"), "t1").expect("open");
        store.seed(&data, now()).expect("seed");
        let mut till = Till::new(store, Mode::Cashier, Link { online: true, last_sync: now() }, OfflineLimits::default()).expect("till");
        let seed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/demo.seed")).expect("seed");
        let key = kasse::domain::appcode::parse_seed_hex(&seed).expect("key");
        let exp = 1_830_297_600;
        let skus = ["KAFFE", "BOLLE", "LATTE", "VANN"];
        for s in steps {
            match s {
                Step::Tap(i) => { till.tap(skus[i], 1); }
                Step::Weigh(g) => { till.weigh("VEKT", g, true); }
                Step::Clip => {
                    if let Some(card) = &card {
                        let text = AppCode::Card { member: member.into(), card: card.clone(), exp }.sign(&key);
                        till.present_code(&text, now()).expect("scan");
                    }
                }
                Step::Coupon(n) => {
                    let text = AppCode::Coupon { member: member.into(), coupon: format!("CP-P{n}"), sku: "KAFFE".into(), exp }.sign(&key);
                    till.present_code(&text, now()).expect("scan");
                }
                Step::Bonus => {
                    let text = AppCode::Member { member: member.into(), exp }.sign(&key);
                    till.present_code(&text, now()).expect("scan");
                    till.answer_bonus(true, now()).expect("bonus");
                }
                Step::Pay(k) => {
                    let tender = [TenderKind::Card, TenderKind::Vipps, TenderKind::Cash][usize::from(k)];
                    let out = till.pay(PayRequest { tender, cash_given: None, approved: true, reference: None }, now()).expect("pay");
                    if let Outcome::Paid { receipt, .. } = out
                        && let Some(balance) = receipt.bonus_balance
                    {
                        prop_assert!(!balance.is_negative(), "balance {balance}");
                        let seen = till.store().member(member).expect("member").map(|m| m.bonus);
                        prop_assert_eq!(seen, Some(balance));
                    }
                }
            }
            let m = till.store().member(member).expect("member").expect("known");
            prop_assert!(!m.bonus.is_negative(), "bonus {}", m.bonus);
            if let Some(card) = &card {
                let c = till.store().card(card).expect("card").expect("known");
                // u32 cannot go negative; the store saturates, so check the raw sum too.
                let used: i64 = till.store().connection()
                    .query_row("SELECT COALESCE(SUM(n), 0) FROM clip_use WHERE card = ?1", [card], |r| r.get(0))
                    .expect("sum");
                let cached = data.cards.iter().find(|x| &x.id == card).map_or(0, |x| i64::from(x.clips));
                prop_assert!(used <= cached, "used {used} of {cached} clips");
                prop_assert_eq!(i64::from(c.clips), cached - used);
            }
        }
    }
}
