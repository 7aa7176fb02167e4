//! Norwegian cash-register compliance on a real store: a day of sales,
//! returns, voids, copies, training receipts and reports exported as SAF-T,
//! validated by xmllint against the official XSD, and its signature chain
//! verified and tampered with.

#[path = "support/books.rs"]
mod books;
use books::{member_code, return_lines, xmllint};
use chrono::{DateTime, Duration, FixedOffset};
use kasse::compliance::export::{self, ExportSettings};
use kasse::compliance::verify;
use kasse::config::Company;
use kasse::data::Data;
use kasse::domain::Money;
use kasse::domain::receipt::TenderKind;
use kasse::domain::sale::OfflineLimits;
use kasse::store::{SaleKind, Store, StoreError};
use kasse::till::{Link, Mode, Outcome, PayRequest, Till, TillError};
use kasse::wiring::open_demo_store;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00+01:00").expect("time")
}

fn till(dir: &Path) -> Till {
    let mut store = open_demo_store(&dir.join("till.sqlite"), "kafe-1").expect("open");
    store
        .seed(
            &Data::load(&root().join("fixtures/data/demo.toml")).expect("demo"),
            start(),
        )
        .expect("seed");
    Till::new(
        store,
        Mode::Cashier,
        Link {
            online: true,
            last_sync: start(),
        },
        OfflineLimits::default(),
    )
    .expect("till")
}

fn pay(till: &mut Till, tender: TenderKind, now: DateTime<FixedOffset>) -> u64 {
    let req = PayRequest {
        tender,
        cash_given: None,
        approved: true,
        reference: Some("T-1".into()),
    };
    match till.pay(req, now).expect("pay") {
        Outcome::Paid { receipt, .. } => receipt.number,
        other => panic!("not paid: {other:?}"),
    }
}

/// A day at the till with every kind of event the regulation names.
fn a_day(t: &mut Till) {
    let mut now = start();
    let mut tick = || {
        now += Duration::minutes(7);
        now
    };
    t.login("kari", tick()).expect("login");
    t.tap("KAFFE", 2); // served: exempt (SAF-T code 6)
    t.tap("SJOKOLADE", 1); // packaged food: 15 %
    t.tap("HANDLENETT", 1); // non-food: 25 %
    t.tap("AVIS", 1); // zero-rated: 0 % (code 5)
    pay(t, TenderKind::Card, tick());
    t.present_code(&member_code(), tick()).expect("member");
    t.weigh("VEKT", 412, true);
    t.answer_bonus(true, tick()).expect("bonus");
    pay(t, TenderKind::Card, tick());
    t.tap("BOLLE", 1);
    t.tap("KANELSNURR", 1);
    pay(t, TenderKind::Cash, tick()); // 53.00 → cash exact, or rounded
    t.tap("RUNDSTYKKE", 1); // 39.90 → rounds to 40
    pay(t, TenderKind::Cash, tick());
    t.tap("TE", 1);
    t.tap("BRUS", 1);
    t.void(2, tick()).expect("line correction");
    pay(t, TenderKind::Vipps, tick());
    t.tap("BAGUETTE", 1);
    t.cancel(tick()).expect("void sale");
    t.price_lookup("LATTE", tick()).expect("look-up");
    t.open_drawer(tick()).expect("drawer");
    t.copy_receipt(SaleKind::Sale, 1, tick())
        .expect("first copy");
    t.set_training(true, tick()).expect("training on");
    t.tap("LATTE", 1);
    pay(t, TenderKind::Card, tick());
    t.set_training(false, tick()).expect("training off");
    let ret = return_lines(t, 1, &[2], tick());
    assert!(ret.total.is_negative());
    t.logout(tick()).expect("logout");
}

fn company() -> Company {
    Company {
        name: "Kafé Realfag".into(),
        org_no: "999999999".into(),
    }
}

#[test]
fn a_day_exports_as_valid_saft_with_an_intact_signature_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = till(dir.path());
    a_day(&mut t);
    // One copy only.
    let second = t.copy_receipt(SaleKind::Sale, 1, start() + Duration::hours(5));
    assert!(
        matches!(second, Err(TillError::Store(StoreError::CopyExists(1)))),
        "{second:?}"
    );
    let catalog = t.catalog().clone();
    let at = start() + Duration::hours(6);
    let store = till_store(&mut t);
    let x = export::x_report(store, &catalog, at, Some("kari".into())).expect("x");
    let z = export::z_report(
        store,
        &catalog,
        at + Duration::minutes(1),
        Some("kari".into()),
        None,
    )
    .expect("z");
    assert_eq!(
        x.cash_sales_total, z.cash_sales_total,
        "nothing sold between X and Z"
    );
    assert!(matches!(
        export::z_report(store, &catalog, at + Duration::minutes(2), None, None),
        Err(export::ReportError::ZTaken(1))
    ));
    assert_eq!(z.copies.count, 1);
    assert_eq!(z.returns.count, 1);
    assert_eq!(z.voided.count, 1);
    assert_eq!(z.training.count, 1);
    assert_eq!(z.drawer_openings_without_sale, 1);
    assert_eq!(z.line_corrections.iter().map(|c| c.count).sum::<u64>(), 1);
    assert_eq!(z.price_look_ups.iter().map(|c| c.count).sum::<u64>(), 1);

    let settings = ExportSettings {
        company: &company(),
        till: "kafe-1",
        from: start().date_naive(),
        to: start().date_naive(),
        created: at.naive_local(),
    };
    let xml = export::export(store, &catalog, &settings).expect("export");
    let (valid, errors) = xmllint(&xml);
    assert!(valid, "xmllint refuses the export:\n{errors}");
    // Exempt lines are code 6 with no rate and no VAT; zero-rated stays 5.
    let flat: String = xml.lines().map(str::trim).collect();
    for needle in [
        "<vatCode>6</vatCode><vatAmnt>0.00</vatAmnt><vatAmntTp>C</vatAmntTp><vatBasAmnt>50.00</vatBasAmnt>",
        "<vatCode>5</vatCode><vatPerc>0.00</vatPerc><vatAmnt>0.00</vatAmnt>",
        "<vatCode>3</vatCode><vatPerc>25.00</vatPerc><vatAmnt>9.80</vatAmnt>",
        "<vatCode>31</vatCode><vatPerc>15.00</vatPerc>",
        "<standardVatCode>6</standardVatCode>",
    ] {
        assert!(flat.contains(needle), "export lacks {needle}");
    }
    // A line's or receipt's `vat` names no rate for code 6 (the report's
    // `reportCashSaleVat` must have one: 0.00 there).
    assert!(
        !flat.contains("<vatCode>6</vatCode><vatPerc>0.00</vatPerc><vatAmnt>"),
        "exempt has no rate"
    );
    assert!(flat.contains("<vatCode>6</vatCode><vatPerc>0.00</vatPerc><cashSaleAmnt>"));
    let z6 = z
        .vat
        .iter()
        .find(|v| v.code.as_deref() == Some("6"))
        .expect("Z has an exempt row");
    assert!(z6.vat.is_zero() && z6.base.is_sign_positive() && !z6.base.is_zero());
    for needle in [
        "<eventType>13009</eventType>",
        "<eventType>13028</eventType>",
        "<eventType>13014</eventType>",
        "<trainingID>true</trainingID>",
        "<transType>11006</transType>",
    ] {
        assert!(xml.contains(needle), "export lacks {needle}");
    }
    let public = std::fs::read_to_string(root().join("fixtures/keys/saft-demo.pub.pem"))
        .expect("public key");
    let n = verify::verify(&xml, &public).expect("chain intact");
    assert_eq!(n, 7, "5 sales, 1 training receipt, 1 return");

    // Change each signed field of transaction nr 3: verify fails exactly there.
    let at3 = xml.find("<nr>3</nr>").expect("nr 3");
    let end3 = at3 + xml[at3..].find("</cashtransaction>").expect("end");
    for field in [
        "transDate",
        "transTime",
        "transAmntIn",
        "transAmntEx",
        "signature",
    ] {
        let open = format!("<{field}>");
        let i = at3 + xml[at3..end3].find(&open).expect(field) + open.len();
        let mut tampered = xml.clone();
        let c = tampered.as_bytes()[i + 1];
        let replacement = if c == b'1' { "2" } else { "1" };
        tampered.replace_range(i + 1..i + 2, replacement);
        match verify::verify(&tampered, &public) {
            Err(verify::VerifyError::BrokenLink(link)) => {
                assert_eq!(link.nr, "3", "{field}: {link:?}")
            }
            other => panic!("{field} changed but verify says {other:?}"),
        }
    }
}

fn till_store(t: &mut Till) -> &mut Store {
    t.store_mut()
}

#[test]
fn cli_export_and_verify_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[till]\nid = \"kafe-9\"\nmode = \"cashier\"\n[data]\nseed = \"{}\"\n[compliance]\nsigning_key = \"{}\"\nkey_version = \"demo-1\"\n",
            root().join("fixtures/data/demo.toml").display(),
            root().join("fixtures/keys/saft-demo.pem").display()
        ),
    )
    .expect("config");
    let kasse = || Command::new(env!("CARGO_BIN_EXE_kasse"));
    // An empty day still exports and validates; X then Z via the CLI.
    let out = kasse()
        .args(["report", "x", "--config"])
        .arg(&config)
        .output()
        .expect("kasse");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Norwegian by default: headings, amounts with a decimal comma.
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.starts_with("X-rapport X-"), "{printed}");
    assert!(printed.contains("Kontantsalg totalt"), "{printed}");
    assert!(
        printed.contains("0,00") && !printed.contains("0.00"),
        "{printed}"
    );
    let today = chrono::Local::now().date_naive().to_string();
    let file = dir.path().join("saft.xml");
    let out = kasse()
        .args(["export", "saft", "--from", &today, "--to", &today, "--out"])
        .arg(&file)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("kasse");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (valid, errors) = xmllint(&std::fs::read_to_string(&file).expect("xml"));
    assert!(valid, "{errors}");
    let out = kasse()
        .args(["verify", "saft"])
        .arg(&file)
        .arg("--public-key")
        .arg(dir.path().join("saft.demo-1.pub.pem"))
        .output()
        .expect("kasse");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The Z with the drawer's count: a bad count and a count on an X are
    // refused before anything is journaled; a good one prints the difference.
    let run = |args: &[&str]| {
        kasse()
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("kasse")
    };
    for (args, said) in [
        (&["report", "z", "--counted=-3"][..], "Skriv et beløp"),
        (&["report", "z", "--counted", "1,005"][..], "Skriv et beløp"),
        (&["report", "x", "--counted", "5"][..], "belongs to the Z"),
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
    let out = run(&["report", "z", "--counted", "12,50"]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.starts_with("Z-rapport"), "{printed}");
    for needle in ["Opptalte kontanter", "12,50", "Differanse (over)"] {
        assert!(printed.contains(needle), "{needle}: {printed}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Z totals equal the sums over the day's stored transactions.
    #[test]
    fn z_totals_equal_the_sums_of_the_day(sales in prop::collection::vec((0usize..7, 1u32..4, 0usize..3), 1..15)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = till(dir.path());
        // Every VAT class of the demo canteen: exempt (served), 15 %, 0 %, 25 %.
        let skus = ["KAFFE", "SJOKOLADE", "AVIS", "BOLLE", "RUNDSTYKKE", "LATTE", "HANDLENETT"];
        let mut now = start();
        let mut expected_total = Money::ZERO;
        let mut expected_paid = Money::ZERO;
        // Per SAF-T standard VAT code: (gross, VAT) summed over the receipts' rows.
        let mut expected_vat: std::collections::BTreeMap<&str, (Decimal, Decimal)> = Default::default();
        for (sku, qty, tender) in &sales {
            now += Duration::minutes(3);
            t.tap(skus[*sku], *qty);
            let tender = [TenderKind::Card, TenderKind::Cash, TenderKind::Vipps][*tender];
            let req = PayRequest { tender, cash_given: None, approved: true, reference: None };
            if let Outcome::Paid { receipt, .. } = t.pay(req, now).expect("pay") {
                expected_total += receipt.total;
                expected_paid += receipt.tenders.iter().map(|x| x.amount).sum();
                for row in &receipt.vat {
                    let code = match row.rate.as_str() {
                        "25" => "3",
                        "15" => "31",
                        "0" => "5",
                        "exempt" => "6",
                        other => panic!("unexpected VAT row {other}"),
                    };
                    let e = expected_vat.entry(code).or_default();
                    e.0 += row.gross.as_decimal();
                    e.1 += row.vat.as_decimal();
                }
            }
        }
        let catalog = t.catalog().clone();
        let z = export::z_report(t.store_mut(), &catalog, now + Duration::minutes(1), None, None).expect("z");
        prop_assert_eq!(z.cash_sales_total, expected_total.as_decimal());
        let paid: Decimal = z.payments.iter().map(|p| p.amount).sum();
        prop_assert_eq!(paid, expected_paid.as_decimal());
        prop_assert_eq!(z.receipts, sales.len() as u64);
        let vat_total: Decimal = z.vat.iter().map(|v| v.base + v.vat).sum();
        prop_assert_eq!(vat_total, expected_total.as_decimal());
        let z_vat: std::collections::BTreeMap<&str, (Decimal, Decimal)> = z
            .vat
            .iter()
            .map(|v| (v.code.as_deref().unwrap_or("?"), (v.base + v.vat, v.vat)))
            .collect();
        prop_assert_eq!(z_vat, expected_vat.clone());
        // Exempt (code 6) has no VAT: zero-rated stays code 5.
        if let Some((_, vat)) = expected_vat.get("6") {
            prop_assert!(vat.is_zero());
        }
        prop_assert_eq!(z.grand_totals.sales, expected_total.as_decimal());
    }
}

#[test]
fn receipts_show_on_screen_and_allow_one_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[till]\nid = \"kafe-9\"\n[company]\nname = \"Kafé Realfag\"\norg_no = \"999 999 999\"\n[compliance]\nsigning_key = \"{}\"\nkey_version = \"demo-1\"\n",
            root().join("fixtures/keys/saft-demo.pem").display()
        ),
    )
    .expect("config");
    let kasse = || Command::new(env!("CARGO_BIN_EXE_kasse"));
    let out = kasse()
        .arg("replay")
        .arg(root().join("fixtures/scenarios/02-vat-three-rates.toml"))
        .arg("--db")
        .arg(dir.path().join("kasse.sqlite"))
        .output()
        .expect("replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = |extra: &[&str]| {
        kasse()
            .args(["receipt", "1", "--config"])
            .arg(&config)
            .args(extra)
            .output()
            .expect("kasse")
    };
    let out = show(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("Salgskvittering")
            && text.contains("Org.nr 999 999 999 MVA"),
        "{text}"
    );
    let escpos = dir.path().join("copy.bin");
    let out = show(&["--copy", "--escpos", escpos.to_str().expect("utf-8")]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("KOPI"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(&escpos)
            .expect("bytes")
            .ends_with(&[0x1D, b'V', 66, 0])
    );
    let out = show(&["--copy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only one copy"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 16: the receipt QR is a link a phone opens, and `kasse verify
/// receipt` checks it against the till's books; a changed amount, another
/// receipt's seal or a receipt that does not exist is refused.
#[test]
fn a_receipt_link_opens_on_a_phone_and_is_verified_against_the_books() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = till(dir.path());
    t.tap("KAFFE", 1);
    let first = pay(&mut t, TenderKind::Card, start());
    t.tap("BOLLE", 2);
    let second = pay(&mut t, TenderKind::Card, start() + Duration::minutes(1));
    let base = "https://kvittering.sio.no/r/";
    let link = |n| {
        kasse::ui::screen::receipt::qr_text(base, "kafe-1", t.store(), SaleKind::Sale, n)
            .expect("a stored receipt has a link")
    };
    let (url, other) = (link(first), link(second));
    assert!(
        url.starts_with("https://kvittering.sio.no/r/kafe-1/sale/1?t=20261123T100000&a=25.00&s="),
        "{url}"
    );
    let stored = &t.store().transactions(0, u64::MAX).expect("rows")[0];
    let parsed = kasse::domain::receipt_link::ReceiptLink::parse(&url, base).expect("parses");
    assert!(
        parsed.seals(&stored.signature),
        "sealed by the stored signature"
    );
    assert_eq!(
        kasse::ui::screen::receipt::qr_text(base, "kafe-1", t.store(), SaleKind::Sale, 99),
        None
    );
    drop(t);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[till]\nid = \"kafe-1\"\nmode = \"cashier\"\n[store]\npath = \"till.sqlite\"\n\
             [receipt]\nverify_url = \"{base}\"\n\
             [compliance]\nsigning_key = \"{}\"\nkey_version = \"demo-1\"\n",
            root().join("fixtures/keys/saft-demo.pem").display()
        ),
    )
    .expect("config");
    let verify = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["verify", "receipt", url, "--config"])
            .arg(&config)
            .output()
            .expect("kasse")
    };
    let out = verify(&url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "sale receipt 1 of kafe-1: 25.00 at 2026-11-23 10:00:00, sealed by its signature"
    );
    let other_seal = other.rsplit("s=").next().expect("seal");
    let own_seal = url.rsplit("s=").next().expect("seal");
    for (bad, why) in [
        (url.replace("a=25.00", "a=2.50"), "the link says 2.50"),
        (
            url.replace(own_seal, other_seal),
            "not receipt 1's signature",
        ),
        (
            url.replace("/sale/1?", "/sale/7?"),
            "no sale receipt number 7",
        ),
        (
            url.replace("/kafe-1/", "/kafe-2/"),
            "a receipt of till kafe-2",
        ),
        (
            "kasse:receipt:kafe-1:1:25.00".to_string(),
            "not a receipt link",
        ),
    ] {
        let out = verify(&bad);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(why), "{bad}: {err}");
    }
}
