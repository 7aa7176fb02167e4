//! A canteen's day on two tills, signed, for the tests of this module and of
//! `verify`.
//!
//! Invariant: the day is fixed (2025-03-10, the test key), so every test
//! that uses it sees the same model and the same XML.

use super::*;
use crate::compliance::sign::{FIRST_PREV_SIGNATURE, Signer};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

pub(crate) const KEY_VERSION: &str = "kasse-2025-1";
pub(crate) const REGISTER: &str = "Kantina Blindern kasse 1";
pub(crate) const QUIET_REGISTER: &str = "Kantina Blindern kasse 2";

pub(crate) fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
pub(crate) fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap()
}
fn day() -> NaiveDate {
    date("2025-03-10")
}

/// VAT included in a gross amount, rounded half away from zero.
fn vat_of(gross: Decimal, percent: u8) -> Decimal {
    let r = Decimal::from(percent);
    (gross * r / (Decimal::ONE_HUNDRED + r))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

fn vat_line(gross: Decimal, percent: u8) -> VatLine {
    let amount = vat_of(gross, percent);
    VatLine {
        code: standard_vat_code(crate::domain::VatRate::new(percent).unwrap()).to_string(),
        rate: Some(Decimal::from(percent)),
        amount,
        base: gross - amount,
    }
}

/// A receipt line, its numbers parsed.
struct L {
    art: &'static str,
    group: ArticleGroup,
    qty: Decimal,
    ppu: Decimal,
    amount: Decimal,
    vat: u8,
    discount: Option<(&'static str, &'static str)>,
}

fn l(
    art: &'static str,
    group: ArticleGroup,
    qty: &'static str,
    ppu: &'static str,
    amount: &'static str,
    vat: u8,
) -> L {
    L {
        art,
        group,
        qty: dec(qty),
        ppu: dec(ppu),
        amount: dec(amount),
        vat,
        discount: None,
    }
}

/// A receipt, its time parsed.
struct T {
    trans_id: &'static str,
    emp: &'static str,
    at: NaiveTime,
    lines: Vec<L>,
    pay: Vec<(PaymentCode, &'static str, Option<&'static str>)>,
    rounding: &'static str,
    training: bool,
    reference: Option<&'static str>,
    copies: u16,
}

fn t(
    trans_id: &'static str,
    emp: &'static str,
    at: &'static str,
    lines: Vec<L>,
    pay: Vec<(PaymentCode, &'static str, Option<&'static str>)>,
) -> T {
    T {
        trans_id,
        emp,
        at: time(at),
        lines,
        pay,
        rounding: "0",
        training: false,
        reference: None,
        copies: 0,
    }
}

/// Builds the transaction; VAT per rate is computed on the summed gross
/// per rate, as the till's receipt does.
fn build(nr: u64, spec: T) -> CashTransaction {
    let at = spec.at;
    let mut per_rate: std::collections::BTreeMap<u8, Decimal> = Default::default();
    let lines: Vec<CtLine> = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let gross = x.amount;
            *per_rate.entry(x.vat).or_default() += gross;
            let v = vat_line(gross, x.vat);
            let qty = x.qty;
            CtLine {
                line_id: i as u32 + 1,
                line_type: if qty.is_sign_negative() {
                    LineType::Return
                } else {
                    LineType::Sale
                },
                group: x.group,
                article: Some(x.art.to_string()),
                quantity: qty,
                amount_in: gross,
                amount_ex: v.base,
                unit_price: Some(x.ppu),
                employee: Some(spec.emp.to_string()),
                description: Some(article_name(x.art).to_string()),
                at: Some(day().and_time(at)),
                vat: Some(v),
                discounts: x
                    .discount
                    .iter()
                    .map(|(kind, amount)| Discount {
                        kind: kind.to_string(),
                        amount: dec(amount),
                        employee: None,
                    })
                    .collect(),
            }
        })
        .collect();
    let vat: Vec<VatLine> = per_rate
        .iter()
        .rev()
        .map(|(&r, &g)| vat_line(g, r))
        .collect();
    let amount_in: Decimal = lines.iter().map(|l| l.amount_in).sum();
    let amount_ex: Decimal = vat.iter().map(|v| v.base).sum();
    CashTransaction {
        nr,
        trans_id: spec.trans_id.to_string(),
        trans_type: if amount_in.is_sign_negative() {
            TransType::ReturnPayment
        } else {
            TransType::CashSale
        },
        amount_in,
        amount_ex,
        employee: Some(spec.emp.to_string()),
        period_number: Some(3),
        date: day(),
        time: at,
        reference: spec.reference.map(str::to_string),
        description: None,
        lines,
        vat,
        rounding: dec(spec.rounding),
        payments: spec
            .pay
            .iter()
            .map(|(code, amount, reference)| Payment {
                code: *code,
                amount: dec(amount),
                employee: Some(spec.emp.to_string()),
                reference: reference.map(str::to_string),
            })
            .collect(),
        signature: String::new(),
        key_version: KEY_VERSION.to_string(),
        receipts_issued: 1,
        copies_printed: spec.copies,
        provisional_printed: 0,
        delivery_printed: 0,
        void: false,
        training: spec.training,
    }
}

fn article_name(id: &str) -> &'static str {
    match id {
        "MIDDAG" => "Dagens middag",
        "KAFFE" => "Kaffe, stor",
        "BAGUETTE" => "Baguette med kylling (take away)",
        "AVIS" => "Universitas",
        "SALAT" => "Salatbar (per kg, take away)",
        "KINO" => "Filmklubb-billett",
        _ => "?",
    }
}

/// Signs the register's transactions in order, as the till does at sale time.
pub(crate) fn sign_all(reg: &mut CashRegister, signer: &Signer) {
    let mut prev = FIRST_PREV_SIGNATURE.to_string();
    for t in &mut reg.transactions {
        t.signature = signer.sign(&t.signed_text(&prev)).unwrap();
        prev = t.signature.clone();
    }
}

fn ev(
    id: u64,
    code: EventCode,
    at: &str,
    emp: Option<&str>,
    trans: Option<&str>,
    text: Option<&str>,
) -> Event {
    Event {
        id,
        code,
        trans_id: trans.map(str::to_string),
        employee: emp.map(str::to_string),
        date: day(),
        time: time(at),
        text: text.map(str::to_string),
        report: None,
    }
}

/// The day: sales at 25, 15, 12 and 0 %; bonus + card; cash with krone
/// rounding; Vipps; food by weight; a coupon discount; a voided sale
/// (13028); a return; a copy receipt; two training receipts; a drawer
/// opened without a sale; a price look-up; an X report and a Z report.
/// Till 2 only starts and runs an empty X report.
pub(crate) fn canteen_day(signer: &Signer) -> AuditFile {
    use ArticleGroup::{Food, OtherDrinks, OtherGoods};
    use PaymentCode::{Cash, DebitCard, Loyalty, MobileApp};
    let emp1 = "1001";
    let emp2 = "1002";

    let mut sales = vec![
        t(
            "S-1",
            emp1,
            "09:05:07",
            vec![
                l("MIDDAG", Food, "1", "89.00", "89.00", 25),
                l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25),
                l("BAGUETTE", Food, "1", "49.90", "49.90", 15),
            ],
            vec![
                (Loyalty, "20.00", None),
                (DebitCard, "143.90", Some("BAX 5501-000123")),
            ],
        ),
        T {
            rounding: "-0.30",
            ..t(
                "S-2",
                emp1,
                "09:40:00",
                vec![
                    L {
                        discount: Some(("coupon", "5.00")),
                        ..l("KAFFE", OtherDrinks, "2", "25.00", "45.00", 25)
                    },
                    l("AVIS", OtherGoods, "1", "32.30", "32.30", 0),
                ],
                vec![(Cash, "77.00", None)],
            )
        },
        t(
            "S-3",
            emp2,
            "11:30:12",
            vec![
                l("SALAT", Food, "0.435", "189.00", "82.22", 15),
                l("KINO", OtherGoods, "1", "100.00", "100.00", 12),
            ],
            vec![(MobileApp, "182.22", Some("Vipps 3007-XK12"))],
        ),
        T {
            reference: Some("S-1"),
            ..t(
                "R-1",
                emp2,
                "13:15:00",
                vec![l("BAGUETTE", Food, "-1", "49.90", "-49.90", 15)],
                vec![(DebitCard, "-49.90", Some("BAX 5501-000124"))],
            )
        },
        T {
            training: true,
            ..t(
                "T-1",
                emp1,
                "14:02:00",
                vec![l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25)],
                vec![(Cash, "25.00", None)],
            )
        },
        T {
            training: true,
            rounding: "0.10",
            ..t(
                "T-2",
                emp1,
                "14:05:00",
                vec![l("BAGUETTE", Food, "1", "49.90", "49.90", 15)],
                vec![(Cash, "50.00", None)],
            )
        },
        t(
            "S-4",
            emp1,
            "15:30:00",
            vec![l("KAFFE", OtherDrinks, "1", "25.00", "25.00", 25)],
            vec![(DebitCard, "25.00", Some("BAX 5501-000125"))],
        ),
    ];
    sales[0].copies = 1;
    let transactions: Vec<CashTransaction> = sales
        .into_iter()
        .enumerate()
        .map(|(i, spec)| build(i as u64 + 1, spec))
        .collect();

    use EventCode::*;
    let mut events = vec![
        ev(1, PosStart, "08:00:00", None, None, None),
        ev(2, EmployeeLogIn, "08:01:10", Some(emp1), None, None),
        ev(3, SalesReceipt, "09:05:07", Some(emp1), Some("S-1"), None),
        ev(4, SalesReceipt, "09:40:00", Some(emp1), Some("S-2"), None),
        ev(5, DrawerOpened, "09:40:00", Some(emp1), Some("S-2"), None),
        ev(
            6,
            PriceLookUp,
            "10:12:40",
            Some(emp1),
            None,
            Some("artID MIDDAG; artGroupID 04006; lineAmntIn 89.00"),
        ),
        ev(
            7,
            DrawerOpened,
            "10:30:00",
            Some(emp1),
            None,
            Some("Veksling"),
        ),
        ev(8, EmployeeLogIn, "11:00:00", Some(emp2), None, None),
        ev(9, SalesReceipt, "11:30:12", Some(emp2), Some("S-3"), None),
        ev(
            10,
            VoidReceipt,
            "12:00:31",
            Some(emp2),
            None,
            Some("Annullert salg: artID MIDDAG; qnt 1; lineAmntIn 89.00"),
        ),
        ev(
            11,
            ReturnReceipt,
            "13:15:00",
            Some(emp2),
            Some("R-1"),
            Some("Retur av S-1 <baguette> & kvittering"),
        ),
        ev(
            12,
            CopyReceipt,
            "13:20:00",
            Some(emp1),
            Some("S-1"),
            Some("KOPI"),
        ),
        ev(13, TrainingModeOn, "14:00:00", Some(emp1), None, None),
        ev(
            14,
            TrainingReceipt,
            "14:02:00",
            Some(emp1),
            Some("T-1"),
            None,
        ),
        ev(
            15,
            TrainingReceipt,
            "14:05:00",
            Some(emp1),
            Some("T-2"),
            None,
        ),
        ev(16, TrainingModeOff, "14:10:00", Some(emp1), None, None),
        ev(17, XReport, "15:00:00", Some(emp1), None, Some("X-rapport")),
        ev(18, SalesReceipt, "15:30:00", Some(emp1), Some("S-4"), None),
        ev(19, EmployeeLogOut, "16:00:00", Some(emp2), None, None),
        ev(20, ZReport, "20:00:00", Some(emp1), None, Some("Z-rapport")),
        ev(21, EmployeeLogOut, "20:01:00", Some(emp1), None, None),
        ev(22, PosShutDown, "20:02:00", None, None, None),
    ];

    let journal_extras = |id: &str, kind: ReportKind, at: &str, upto: usize| TallyInput {
        id: id.to_string(),
        kind,
        date: day(),
        time: time(at),
        transactions: &transactions[..upto],
        events: &events[..],
        opening_float: dec("1500.00"),
        grand_totals_before: GrandTotals {
            sales: dec("104233.50"),
            returns: dec("812.40"),
            net: dec("103421.10"),
        },
        voided: Tally {
            count: 1,
            amount: dec("89.00"),
        },
        price_look_ups: vec![PriceLookUps {
            group: ArticleGroup::Food,
            count: 1,
            amount: dec("89.00"),
        }],
        line_corrections: Vec::new(),
        other_corrections: Vec::new(),
    };
    let x = tally(&TallyInput {
        events: &events[..16],
        ..journal_extras("X-41", ReportKind::X, "15:00:00", 6)
    });
    let z = tally(&journal_extras(
        "Z-17",
        ReportKind::Z,
        "20:00:00",
        transactions.len(),
    ));
    events[16].report = Some(Box::new(x));
    events[19].report = Some(Box::new(z));

    let mut till = CashRegister {
        id: REGISTER.to_string(),
        description: Some("Kassa ved inngangen".to_string()),
        events,
        transactions,
    };
    sign_all(&mut till, signer);

    let quiet_x = tally(&TallyInput {
        id: "X-2-1".to_string(),
        kind: ReportKind::X,
        date: day(),
        time: time("12:00:00"),
        transactions: &[],
        events: &[],
        opening_float: Decimal::ZERO,
        grand_totals_before: GrandTotals::default(),
        voided: Tally::default(),
        price_look_ups: Vec::new(),
        line_corrections: Vec::new(),
        other_corrections: Vec::new(),
    });
    let quiet = CashRegister {
        id: QUIET_REGISTER.to_string(),
        description: None,
        events: vec![
            ev(1, PosStart, "11:59:00", None, None, None),
            Event {
                report: Some(Box::new(quiet_x)),
                ..ev(2, XReport, "12:00:00", Some(emp2), None, None)
            },
        ],
        transactions: Vec::new(),
    };

    let entered = date("2024-08-01");
    AuditFile {
        header: Header {
            fiscal_year: 2025,
            start_date: day(),
            end_date: day(),
            currency: "NOK".to_string(),
            created: date("2025-03-11").and_time(time("07:30:00")),
            software: Software {
                name: "kasse".to_string(),
                version: "0.1.0".to_string(),
                company_name: "Kantinedrift & Co AS".to_string(),
            },
            comment: Some("Utval: 2025-03-10, alle kasser".to_string()),
            user_id: Some(emp1.to_string()),
        },
        company: Company {
            org_number: "999999999".to_string(),
            name: "Studentkantina Mat & Drikke <Blindern> AS".to_string(),
            vat_registered: true,
            street_address: Some(Address {
                street: Some("Problemveien".to_string()),
                number: Some("7".to_string()),
                additional: None,
                city: "Oslo".to_string(),
                postal_code: "0313".to_string(),
                region: None,
                country: "NO".to_string(),
            }),
            postal_address: Some(Address {
                street: None,
                number: None,
                additional: Some("Postboks 1072 Blindern".to_string()),
                city: "Oslo".to_string(),
                postal_code: "0316".to_string(),
                region: None,
                country: "NO".to_string(),
            }),
            vat_codes: [25, 15, 12, 0]
                .iter()
                .map(|&r| VatCode::for_class(crate::domain::VatRate::new(r).unwrap(), entered))
                .collect(),
            periods: vec![Period {
                number: 3,
                description: Some("Mars 2025".to_string()),
                start: date("2025-03-01").and_time(time("00:00:00")),
                end: date("2025-03-31").and_time(time("23:59:59")),
            }],
            employees: vec![
                Employee {
                    id: emp1.to_string(),
                    entered: entered.and_time(time("08:00:00")),
                    first_name: Some("Kari".to_string()),
                    surname: "Nordmann".to_string(),
                    roles: vec![EmployeeRole {
                        role: "Leiar".to_string(),
                        description: Some("Kantineleiar".to_string()),
                    }],
                },
                Employee {
                    id: emp2.to_string(),
                    entered: entered.and_time(time("08:00:00")),
                    first_name: Some("Ola".to_string()),
                    surname: "Nordmann".to_string(),
                    roles: Vec::new(),
                },
            ],
            articles: [
                ("MIDDAG", Food),
                ("KAFFE", OtherDrinks),
                ("BAGUETTE", Food),
                ("AVIS", OtherGoods),
                ("SALAT", Food),
                ("KINO", OtherGoods),
            ]
            .iter()
            .map(|&(id, group)| Article {
                id: id.to_string(),
                date_of_entry: entered,
                group,
                description: article_name(id).to_string(),
            })
            .collect(),
            basics: standard_basics(),
            locations: vec![Location {
                name: Some("Kantina, Frederikkebygningen".to_string()),
                street_address: None,
                registers: vec![till, quiet],
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::sign::amount_text;
    use crate::compliance::sign::tests::test_signer;

    #[test]
    fn transactions_hold_the_day() {
        let model = canteen_day(test_signer());
        let till = &model.company.locations[0].registers[0];
        let t: Vec<_> = till
            .transactions
            .iter()
            .map(|t| (t.nr, amount_text(t.amount_in), amount_text(t.amount_ex)))
            .collect();
        assert_eq!(
            t,
            [
                (1, "163.90".into(), "134.59".into()),
                (2, "77.30".into(), "68.30".into()),
                (3, "182.22".into(), "160.79".into()),
                (4, "-49.90".into(), "-43.39".into()),
                (5, "25.00".into(), "20.00".into()),
                (6, "49.90".into(), "43.39".into()),
                (7, "25.00".into(), "20.00".into()),
            ]
        );
    }
}
