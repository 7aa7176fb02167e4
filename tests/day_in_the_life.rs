//! A day in the life of a cashier's till, drawn at random (issue 17): an
//! opening float, sales of every VAT class paid by card, Vipps, cash and
//! bonus, returns of them in pieces, training sales, copies, voids, cash in
//! and out with a reason, X reports, and a Z with a counted drawer that is
//! off by a random amount. The
//! day's SAF-T export must validate against the official XSD and verify, and
//! the Z must equal sums over the day's transactions; no unit is returned
//! more than it was sold; the student's bonus balance is what the receipts
//! say it is.
//!
//! CI runs a fixed number of days; `KASSE_DAY_CASES=200 cargo test --test
//! day_in_the_life` runs more.

#[path = "support/books.rs"]
mod books;
use books::{member_code, xmllint};
use chrono::{DateTime, Duration, FixedOffset};
use kasse::compliance::export::{self, ExportSettings};
use kasse::compliance::verify;
use kasse::config::Company;
use kasse::data::Data;
use kasse::domain::Money;
use kasse::domain::receipt::TenderKind;
use kasse::domain::sale::OfflineLimits;
use kasse::store::SaleKind;
use kasse::till::{Answer, Link, Mode, Original, Outcome, PayRequest, Till};
use kasse::wiring::open_demo_store;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+01:00").expect("time")
}

/// Every VAT class of the demo canteen: exempt (served, some weighed), 15 %,
/// 0 % and 25 %.
const SKUS: [&str; 7] = [
    "KAFFE",
    "SJOKOLADE",
    "AVIS",
    "BOLLE",
    "RUNDSTYKKE",
    "LATTE",
    "HANDLENETT",
];

#[derive(Clone, Debug)]
enum Op {
    /// Items (sku index, qty), a weighed plate (grams), the student or not,
    /// their bonus used or not, the tender (card, Vipps, cash).
    Sale {
        items: Vec<(usize, u32)>,
        plate: Option<u32>,
        student: bool,
        bonus: bool,
        tender: usize,
    },
    /// Units back of an earlier sale (which, and how many of each line, as
    /// fractions of what is left).
    Return {
        sale: usize,
        share: Vec<u8>,
    },
    Training(usize),
    Copy(usize),
    /// A sale whose first line is voided before payment.
    Void(usize, usize),
    /// Cash put in (true) or taken out, in whole kroner, with a reason.
    Drawer(bool, u32, usize),
    X,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            prop::collection::vec((0..SKUS.len(), 1u32..4), 1..4),
            prop::option::of(150u32..700),
            any::<bool>(),
            any::<bool>(),
            0usize..3
        )
            .prop_map(|(items, plate, student, bonus, tender)| Op::Sale {
                items,
                plate,
                student,
                bonus,
                tender
            }),
        3 => (any::<usize>(), prop::collection::vec(0u8..=4, 1..5))
            .prop_map(|(sale, share)| Op::Return { sale, share }),
        1 => (0..SKUS.len()).prop_map(Op::Training),
        1 => any::<usize>().prop_map(Op::Copy),
        1 => (0..SKUS.len(), 0..SKUS.len()).prop_map(|(a, b)| Op::Void(a, b)),
        1 => (any::<bool>(), 1u32..400, 0usize..3).prop_map(|(i, kr, r)| Op::Drawer(i, kr, r)),
        1 => Just(Op::X),
    ]
}

/// What the day's receipts add up to, kept as the day goes.
#[derive(Default)]
struct Books {
    sales: Vec<u64>,
    /// Σ totals of sales and returns (returns negative), training excluded.
    net: Money,
    returned: Money,
    returns: u64,
    /// Σ tender rows of sales and returns.
    paid: Money,
    rounding: Money,
    training: u64,
    copies: u64,
    voids: u64,
    /// The opening float, cash payments (sales and returns), pay-ins and
    /// pay-outs.
    float: Money,
    cash: Money,
    put_in: Money,
    taken_out: Money,
    /// The student's bonus: − used + earned, over sales and returns.
    bonus_change: Money,
}

impl Books {
    /// What the drawer should hold.
    fn expected_cash(&self) -> Money {
        self.float + self.cash + self.put_in - self.taken_out
    }

    fn receipt(&mut self, r: &kasse::domain::Receipt, student: bool) {
        self.net += r.total;
        self.paid += r.tenders.iter().map(|t| t.amount).sum();
        self.rounding += r.rounding;
        self.cash += r
            .tenders
            .iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| t.amount)
            .sum();
        if student {
            let used: Money = r
                .tenders
                .iter()
                .filter(|t| t.kind == TenderKind::Bonus)
                .map(|t| t.amount)
                .sum();
            self.bonus_change += r.bonus_earned - used;
        }
    }
}

fn pay(
    t: &mut Till,
    tender: TenderKind,
    now: DateTime<FixedOffset>,
) -> Option<kasse::domain::Receipt> {
    match tender {
        TenderKind::Cash => match t
            .pay(
                PayRequest {
                    tender,
                    cash_given: None,
                    approved: true,
                    reference: None,
                },
                now,
            )
            .expect("pay")
        {
            Outcome::Paid { receipt, .. } => Some(*receipt),
            other => panic!("cash not paid: {other:?}"),
        },
        _ => match t
            .begin_payment(tender, None, "simulator", now)
            .expect("tender")
        {
            Outcome::Tendering { intent, amount, .. } => match t
                .payment_answer(
                    &intent,
                    Answer::Approved {
                        transaction_id: Some(format!("T-{intent}")),
                        amount,
                    },
                    now,
                )
                .expect("answer")
            {
                Outcome::Paid { receipt, .. } => Some(*receipt),
                other => panic!("not paid: {other:?}"),
            },
            // Bonus took it all: nothing left for a provider.
            Outcome::Paid { receipt, .. } => Some(*receipt),
            other => panic!("no payment: {other:?}"),
        },
    }
}

fn day(ops: &[Op], float: u32, off: i64) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open_demo_store(&dir.path().join("till.sqlite"), "kafe-1").expect("open");
    store
        .seed(
            &Data::load(&root().join("fixtures/data/demo.toml")).expect("demo"),
            start(),
        )
        .expect("seed");
    let link = Link {
        online: true,
        last_sync: start(),
    };
    let mut t = Till::new(store, Mode::Cashier, link, OfflineLimits::default()).expect("till");
    let bonus_before = t.store().member("M-100001").unwrap().unwrap().bonus;
    let mut now = start();
    t.login("kari", now).expect("login");
    prop_assert!(
        t.needs_float().expect("float?"),
        "a new day asks for the float"
    );
    let float = Money::from_ore(i64::from(float) * 100);
    t.record_float(float, now).expect("float");
    let mut books = Books {
        float,
        ..Books::default()
    };
    let mut student_sales: Vec<u64> = Vec::new();
    let mut xs = 0;
    for op in ops {
        now += Duration::minutes(2);
        match op {
            Op::Sale {
                items,
                plate,
                student,
                bonus,
                tender,
            } => {
                if *student {
                    t.present_code(&member_code(), now).expect("member");
                }
                for (sku, qty) in items {
                    t.tap(SKUS[*sku], *qty);
                }
                if let Some(g) = plate {
                    t.weigh("VEKT", *g, true);
                }
                if *student && *bonus {
                    t.answer_bonus(true, now).expect("bonus");
                }
                let tender = [TenderKind::Card, TenderKind::Vipps, TenderKind::Cash][*tender];
                if let Some(r) = pay(&mut t, tender, now) {
                    books.receipt(&r, *student);
                    books.sales.push(r.number);
                    if *student {
                        student_sales.push(r.number);
                    }
                }
            }
            Op::Return { sale, share } => {
                if books.sales.is_empty() {
                    continue;
                }
                let number = books.sales[sale % books.sales.len()];
                let of = t
                    .returnable("kafe-1", number, None, Original::Unreachable)
                    .expect("the sale");
                let units: Vec<(usize, u32)> = of
                    .lines
                    .iter()
                    .zip(share.iter().cycle())
                    .map(|(l, s)| (l.line, l.left() * u32::from(*s) / 4))
                    .filter(|(_, q)| *q > 0)
                    .collect();
                let Ok(plan) = t.plan_return(&of, &units) else {
                    continue;
                };
                prop_assert_eq!(
                    plan.bonus_back + plan.money_back - plan.rounding,
                    plan.amount
                );
                let id = uuid::Uuid::now_v7().simple().to_string();
                let r = t.commit_return(&id, &plan, None, now).expect("return");
                books.receipt(&r, student_sales.contains(&number));
                books.returned -= r.total;
                books.returns += 1;
            }
            Op::Training(sku) => {
                t.set_training(true, now).expect("training on");
                t.tap(SKUS[*sku], 1);
                pay(&mut t, TenderKind::Cash, now);
                t.set_training(false, now).expect("training off");
                books.training += 1;
            }
            Op::Copy(sale) => {
                if books.sales.is_empty() {
                    continue;
                }
                let number = books.sales[sale % books.sales.len()];
                if t.copy_receipt(SaleKind::Sale, number, now).is_ok() {
                    books.copies += 1;
                }
            }
            Op::Void(a, b) => {
                t.tap(SKUS[*a], 1);
                t.tap(SKUS[*b], 1);
                t.void(1, now).expect("void");
                books.voids += 1;
                let r = pay(&mut t, TenderKind::Card, now).expect("paid");
                books.receipt(&r, false);
                books.sales.push(r.number);
            }
            Op::Drawer(put_in, kr, reason) => {
                use kasse::domain::cash::{Direction, Reason, Refusal};
                use kasse::till::CashError;
                let dir = if *put_in {
                    Direction::In
                } else {
                    Direction::Out
                };
                let reason = Reason::offered(dir)[reason % Reason::offered(dir).len()];
                let amount = Money::from_ore(i64::from(*kr) * 100);
                let catalog = t.catalog().clone();
                let held = export::drawer_now(t.store(), &catalog, now).expect("drawer");
                let expected = books.expected_cash();
                assert_eq!(held, Some(expected), "the drawer as the till counts it");
                let moved = t.move_cash(dir, amount, (reason, "kaffefilter"), held, now);
                if !*put_in && amount > expected {
                    assert!(
                        matches!(moved, Err(CashError::Refused(Refusal::MoreThanHeld))),
                        "{amount} out of a drawer holding {expected}: {moved:?}"
                    );
                    continue;
                }
                moved.expect("cash moved");
                if *put_in {
                    books.put_in += amount;
                } else {
                    books.taken_out += amount;
                }
            }
            Op::X => {
                let catalog = t.catalog().clone();
                let x =
                    export::x_report(t.store_mut(), &catalog, now, Some("kari".into())).expect("x");
                prop_assert_eq!(x.cash_sales_total, books.net.as_decimal());
                xs += 1;
            }
        }
    }
    // No unit returned more than it was sold.
    for &number in &books.sales {
        let (_, sold) = t.store().receipt(SaleKind::Sale, number).expect("sale");
        for (line, qty) in t
            .store()
            .returned_units("kafe-1", number)
            .expect("returned")
        {
            prop_assert!(qty <= sold.lines[line - 1].qty, "sale {number} line {line}");
        }
    }
    // The student's balance is what the receipts say.
    let bonus_after = t.store().member("M-100001").unwrap().unwrap().bonus;
    prop_assert_eq!(bonus_after, bonus_before + books.bonus_change);

    now += Duration::minutes(5);
    let catalog = t.catalog().clone();
    // The drawer is counted off by `off` øre.
    let expected = books.expected_cash();
    let counted = expected + Money::from_ore(off);
    let z = export::z_report(
        t.store_mut(),
        &catalog,
        now,
        Some("kari".into()),
        Some(counted),
    )
    .expect("z");
    prop_assert_eq!(z.opening_float, float.as_decimal());
    let sum = |rows: &[kasse::compliance::saft::Correction]| -> Decimal {
        rows.iter().map(|c| c.amount).sum()
    };
    prop_assert_eq!(sum(&z.pay_ins), books.put_in.as_decimal());
    prop_assert_eq!(sum(&z.pay_outs), books.taken_out.as_decimal());
    let count = kasse::compliance::drawer::CashCount::new(&z, counted).expect("count");
    prop_assert_eq!(count.expected, expected);
    prop_assert_eq!(count.difference, Money::from_ore(off));
    prop_assert_eq!(z.cash_sales_total, books.net.as_decimal());
    let paid: Decimal = z.payments.iter().map(|p| p.amount).sum();
    prop_assert_eq!(paid, books.paid.as_decimal());
    prop_assert_eq!(
        paid,
        (books.net + books.rounding).as_decimal(),
        "sales + rounding = payments"
    );
    prop_assert_eq!(z.returns.count, books.returns);
    prop_assert_eq!(z.returns.amount, books.returned.as_decimal());
    prop_assert_eq!(z.training.count, books.training);
    prop_assert_eq!(z.copies.count, books.copies);
    prop_assert_eq!(
        z.line_corrections.iter().map(|c| c.count).sum::<u64>(),
        books.voids
    );
    prop_assert_eq!(z.receipts, books.sales.len() as u64);
    prop_assert_eq!(z.grand_totals.net, books.net.as_decimal());
    let vat_total: Decimal = z.vat.iter().map(|v| v.base + v.vat).sum();
    prop_assert_eq!(vat_total, books.net.as_decimal());

    let company = Company {
        name: "Kafé Realfag".into(),
        org_no: "999999999".into(),
    };
    let settings = ExportSettings {
        company: &company,
        till: "kafe-1",
        from: start().date_naive(),
        to: start().date_naive(),
        created: now.naive_local(),
    };
    let xml = export::export(t.store(), &catalog, &settings).expect("export");
    let (valid, errors) = xmllint(&xml);
    prop_assert!(valid, "xmllint refuses the day's export:\n{}", errors);
    let public =
        std::fs::read_to_string(root().join("fixtures/keys/saft-demo.pub.pem")).expect("pem");
    let n = verify::verify(&xml, &public).expect("the chain verifies");
    prop_assert_eq!(
        n as u64,
        books.sales.len() as u64 + books.returns + books.training
    );
    prop_assert!(
        xs == 0 || xml.contains("<eventType>13008</eventType>"),
        "X reports are events"
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("KASSE_DAY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_random_day_exports_valid_verified_books_whose_z_equals_its_transactions(
        ops in prop::collection::vec(op(), 5..40),
        float in 0u32..2000,
        off in -5000i64..5000,
    ) {
        day(&ops, float, off)?;
    }
}
