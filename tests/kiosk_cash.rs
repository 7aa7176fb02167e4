//! Cash at the till (issue 17, item 6), on the whole kiosk with a real
//! store and the demo data: the opening float asked at the first login,
//! a cash sale, cash in and out with a reason, an X report, the cash
//! counted before the Z with a difference; then the day's SAF-T export
//! validates against the official XSD, verifies with `kasse verify saft`,
//! and its reports' figures are the sums over the transactions and the
//! drawer's journal entries.

mod harness;

use harness::*;
use iced::keyboard::key::Named;
use kasse::compliance::export::{self, ExportSettings};
use kasse::domain::{Company, Money};
use kasse::ui::app::Screen;
use rust_decimal::Decimal;
use std::process::Command;
use std::str::FromStr;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn journal(k: &Kiosk, kind: &str) -> Vec<serde_json::Value> {
    k.app
        .till()
        .store()
        .journal_between(0, u64::MAX)
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == kind)
        .map(|j| j.detail)
        .collect()
}

fn paper(k: &Kiosk) -> String {
    match &k.app.screen {
        Screen::Reports(s) => s.shown.clone().unwrap_or_default(),
        other => panic!("not the reports screen: {}", other.name()),
    }
}

/// The texts of every `<tag>` in `xml`, as decimals.
fn amounts(xml: &str, tag: &str) -> Vec<Decimal> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .map(|rest| Decimal::from_str(&rest[..rest.find(&close).unwrap()]).unwrap())
        .collect()
}

fn sum(xml: &str, tag: &str) -> Decimal {
    amounts(xml, tag).into_iter().sum()
}

/// The transactions' cash payments: `paidAmnt` of payments of type 12001.
fn cash_paid(transactions: &str) -> Decimal {
    transactions
        .split("<payment>")
        .skip(1)
        .map(|p| &p[..p.find("</payment>").unwrap()])
        .filter(|p| p.contains("<paymentType>12001</paymentType>"))
        .map(|p| sum(p, "paidAmnt"))
        .sum()
}

/// A report line: the label, then the figure in the report's column.
/// The cash the till's transactions took.
fn cash_taken(k: &Kiosk) -> Money {
    k.app
        .till()
        .store()
        .transactions(0, u64::MAX)
        .unwrap()
        .iter()
        .flat_map(|t| t.tenders.iter())
        .filter(|t| t.kind == "cash")
        .map(|t| t.amount)
        .sum()
}

fn line(label: &str, figure: &str) -> String {
    format!("{label:<28} {figure:>17}")
}

fn kr_no(m: Money) -> String {
    kasse::domain::Lang::No.amount(m)
}

#[test]
fn a_cashiers_day_with_float_cash_in_and_out_x_and_z_with_a_difference_exports_and_verifies() {
    let mut k = kiosk_at_opening(Mode::Cashier);
    let staff = Config::load(&root().join("config.toml")).unwrap().staff;

    // Login, keyboard alone: the float is asked before anything is sold.
    k.type_text("1234");
    k.named(Named::Enter);
    k.send(Message::PinChecked(kasse::ui::pin_owner(&staff, "1234")));
    assert_eq!(k.app.screen.name(), "cash");
    assert!(k.shows("Vekselbeholdning"));
    // Enter with nothing typed: 0 is allowed, but it must be typed.
    k.named(Named::Enter);
    assert!(k.shows("✕  Skriv et beløp i kroner, f.eks. 500 eller 500,50."));
    // An absurd amount is refused; Escape does not skip the count.
    k.type_text("250000");
    k.named(Named::Enter);
    assert!(k.shows("✕  For stort: en kasseskuff har høyst kr 100 000,00. Sjekk beløpet."));
    k.named(Named::Escape);
    assert_eq!(k.app.screen.name(), "cash");
    assert!(journal(&k, "opening_float").is_empty(), "nothing written");
    k.named(Named::Backspace);
    k.type_text("500");
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "register");
    assert_eq!(
        journal(&k, "opening_float"),
        [serde_json::json!({"amount": "500.00"})]
    );
    assert!(k.app.till().needs_float().is_ok_and(|n| !n), "asked once");

    // A cash sale: F8 pay, F7 cash, 100 handed over.
    k.type_text("2*SKOLEBOLLE");
    k.named(Named::Enter);
    k.named(Named::F8);
    k.named(Named::F7);
    k.type_text("100");
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "receipt");
    k.named(Named::F7);
    assert_eq!(k.sales(), 1);

    // F10 reports; F6 cash out 300 to the bank (the first reason).
    k.named(Named::F10);
    k.named(Named::F6);
    assert_eq!(k.app.screen.name(), "cash");
    assert!(k.shows("Uttak"));
    // The screen says what the drawer should hold; more is refused.
    let held = Money::from_ore(50_000) + cash_taken(&k);
    assert!(
        k.shows(&format!("Skuffen skal ha: {}", kasse::ui::text::kr(held))),
        "{held}"
    );
    k.type_text("5000");
    k.named(Named::Enter);
    assert!(k.shows(&format!(
        "✕  Skuffen skal bare ha {}. Sjekk beløpet.",
        kasse::ui::text::kr(held)
    )));
    assert!(journal(&k, "cash_out").is_empty(), "nothing written");
    k.named(Named::Backspace);
    k.type_text("300");
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "reports");
    assert!(
        paper(&k).contains("Uttak registrert: kr 300,00"),
        "{}",
        paper(&k)
    );
    assert!(paper(&k).contains("Til banken"));
    // Cash out 20 for "Other": refused without a note, taken with one.
    k.named(Named::F6);
    k.type_text("20");
    for _ in 0..3 {
        k.named(Named::ArrowDown);
    }
    k.named(Named::Enter);
    assert!(k.shows("✕  Skriv hvorfor i feltet under årsakene."));
    k.send(Message::Cash(kasse::ui::screen::cash::Message::Note(
        "Kaffefilter".into(),
    )));
    k.named(Named::Enter);
    assert!(paper(&k).contains("Annet – Kaffefilter"), "{}", paper(&k));
    // F5 cash in 50: change brought in.
    k.named(Named::F5);
    k.type_text("50");
    k.named(Named::Enter);
    assert!(paper(&k).contains("Innskudd registrert: kr 50,00"));
    let outs = journal(&k, "cash_out");
    assert_eq!(outs.len(), 2);
    assert_eq!(outs[0]["reason"], "bank");
    assert_eq!(outs[1]["note"], "Kaffefilter");
    assert_eq!(journal(&k, "cash_in")[0]["reason"], "change");
    // Each movement opened the drawer, journaled with it.
    assert_eq!(journal(&k, "drawer_open").len(), 4, "float, 2 out, 1 in");

    // What the drawer should hold: float + cash taken + in − out.
    let cash_taken = cash_taken(&k);
    assert!(cash_taken.is_positive());
    let expected =
        Money::from_ore(50_000) + cash_taken + Money::from_ore(5_000) - Money::from_ore(32_000);

    // X: float, pay-outs and expected cash on the paper.
    k.named(Named::F1);
    let x = paper(&k);
    assert!(x.starts_with("X-rapport"), "{x}");
    for needle in [
        "Vekselbeholdning ved start".to_string(),
        "500,00".into(),
        "Uttak:".into(),
        "Til banken".into(),
        "300,00".into(),
        "Innskudd:".into(),
        "Veksel inn".into(),
        line("Forventet kontantbeholdning", &kr_no(expected)),
    ] {
        assert!(x.contains(&needle), "X lacks {needle:?}:\n{x}");
    }

    // Z: F2 asks for the counted cash first; 10,00 kr short.
    k.named(Named::F2);
    assert_eq!(k.app.screen.name(), "cash");
    assert!(k.shows("Tell opp kontantene"));
    let counted = expected - Money::from_ore(1_000);
    k.type_text(&kr_no(counted));
    k.named(Named::Enter);
    assert_eq!(k.app.screen.name(), "reports");
    assert!(k.shows(&format!(
        "Opptalte kontanter: {}",
        kasse::ui::text::kr(counted)
    )));
    k.named(Named::Enter);
    let z = paper(&k);
    assert!(z.starts_with("Z-rapport Z-1"), "{z}");
    assert!(
        z.contains(&line("Opptalte kontanter", &kr_no(counted))),
        "{z}"
    );
    assert!(z.contains(&line("Differanse (mangler)", "-10,00")), "{z}");
    // Kept with the Z: its journal entry has the count.
    let zs = journal(&k, "z_report");
    assert_eq!(zs[0]["cash"]["difference"], "-10.00");
    assert_eq!(zs[0]["cash"]["counted"], serde_json::json!(counted));
    // The journal goes up to the ledger: the movements are in the outbox.
    let outbox = k.app.till().store().outbox_after(0, 1000).unwrap();
    let up = |kind: &str| {
        outbox
            .iter()
            .filter(|(_, k, b)| k == "journal" && b.contains(&format!("\"kind\":\"{kind}\"")))
            .count()
    };
    assert_eq!(
        (up("opening_float"), up("cash_out"), up("cash_in")),
        (1, 2, 1)
    );
    assert!(
        outbox
            .iter()
            .any(|(_, k, b)| k == "z_report" && b.contains("Differanse"))
    );

    // The day's SAF-T export.
    let store = k.app.till().store();
    let day = at().date_naive();
    let xml = export::export(
        store,
        k.app.till().catalog(),
        &ExportSettings {
            company: &Company {
                name: "Kafé Realfag".into(),
                org_no: "999999999".into(),
            },
            till: "kafe-1",
            from: day,
            to: day,
            created: at().naive_local(),
        },
    )
    .expect("export");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saft.xml");
    std::fs::write(&file, &xml).unwrap();
    let xsd =
        "/work/shared/reference/saft-cashregister/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd";
    let xsd = if Path::new(xsd).exists() {
        xsd.into()
    } else {
        root().join("fixtures/saft/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd")
    };
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint is installed");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["verify", "saft"])
        .arg(&file)
        .arg("--public-key")
        .arg(root().join("fixtures/keys/saft-demo.pub.pem"))
        .output()
        .expect("kasse");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // The reports' figures are sums over the transactions and the drawer.
    let start = xml.find("<cashtransaction>").expect("transactions");
    let transactions = &xml[start..];
    let reports: Vec<&str> = xml.split("<eventReport>").skip(1).collect();
    let zr = reports
        .iter()
        .find(|r| r.contains("<reportType>Z report</reportType>"))
        .expect("the Z report");
    let xr = reports
        .iter()
        .find(|r| r.contains("<reportType>X report</reportType>"))
        .expect("the X report");
    for r in [xr, zr] {
        let sales = sum(transactions, "transAmntIn");
        assert_eq!(amounts(r, "totalCashSaleAmnt"), [sales]);
        // Sales + rounding = payments.
        let paid = sum(transactions, "paidAmnt");
        assert_eq!(paid, sales + sum(transactions, "roundingAmnt"));
        let block = r.split("<reportPayments>").nth(1).unwrap();
        let report_paid = sum(
            &block[..block.find("</reportPayments>").unwrap()],
            "paymentAmnt",
        );
        assert_eq!(report_paid, paid);
        assert_eq!(
            amounts(r, "reportOpeningChangeFloat"),
            [Decimal::new(50000, 2)]
        );
        assert_eq!(
            amounts(r, "openingChangeFloatAmnt"),
            [Decimal::new(50000, 2)]
        );
        assert_eq!(sum(r, "payOutAmnt"), Decimal::new(32000, 2));
        assert_eq!(sum(r, "payOutNum"), Decimal::from(2));
        assert_eq!(sum(r, "payInAmnt"), Decimal::new(5000, 2));
    }
    assert_eq!(cash_paid(transactions), cash_taken.as_decimal());
    // The count has no place in the schema's report: it is in the Z
    // event's text.
    assert!(
        xml.contains("\"difference\":\"-10.00\""),
        "the count is exported"
    );
    assert!(xml.contains("<eventType>13019</eventType>"));
}

#[test]
fn a_self_service_till_has_no_drawer_and_never_asks_for_a_float() {
    let mut k = kiosk_at_opening(Mode::SelfService);
    assert!(!k.app.till().needs_float().unwrap());
    k.send(Message::Do(Action::Cash(
        kasse::domain::cash::Direction::Out,
    )));
    assert!(k.shows("✕  Denne kassen har ingen kasseskuff."));
    assert_eq!(k.app.screen.name(), "welcome");
}
