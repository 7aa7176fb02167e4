//! X and Z reports counted from a till's transactions and journal.
//!
//! Invariant: [`tally`] is a pure function of its [`TallyInput`]; the same
//! transactions and journal always give the same report, so an export can
//! recompute each report exactly as it was taken.

use super::codes::{ArticleGroup, EventCode, PaymentCode};
use super::model::{
    CashTransaction, Correction, EmployeeGroupSales, EmployeePaymentTotal, Event, GrandTotals,
    GroupSales, PaymentTotal, PriceLookUps, Report, ReportKind, Tally, VatTotal,
};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

/// What an X or Z report is made from: the till's transactions and journal
/// entries since its last Z report, and the few figures only the journal's
/// details or the previous Z report know.
#[derive(Clone, Debug)]
pub struct TallyInput<'a> {
    pub id: String,
    pub kind: ReportKind,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub transactions: &'a [CashTransaction],
    pub events: &'a [Event],
    pub opening_float: Decimal,
    /// Grand totals as the last Z report left them (zero on a new till).
    pub grand_totals_before: GrandTotals,
    /// Sales voided before completion (journal 13028) and their amount.
    pub voided: Tally,
    pub price_look_ups: Vec<PriceLookUps>,
    pub line_corrections: Vec<Correction>,
    pub other_corrections: Vec<Correction>,
}

/// Counts an X or Z report.
///
/// Training and void transactions count only as such; a return is a
/// transaction with a negative total. `cash_sales_total` is sales less
/// returns incl. VAT (what the official example shows); per-group and
/// per-payment rows are net of returns; VAT rows give the amount excl. VAT
/// per rate; return, copy, provisional and delivery amounts are positive.
/// Copies (13014), provisional (13015) and delivery (13016) receipts are
/// counted from the journal and valued by the transaction they name; drawer
/// openings without sale are 13005 entries that name no transaction.
pub fn tally(input: &TallyInput) -> Report {
    use std::collections::BTreeMap;

    let counted = |t: &&CashTransaction| !t.training && !t.void;
    let is_return = |t: &CashTransaction| t.amount_in.is_sign_negative() && !t.amount_in.is_zero();

    let mut groups: BTreeMap<ArticleGroup, (Decimal, Decimal)> = BTreeMap::new();
    let mut emp_groups: BTreeMap<(String, ArticleGroup), (Decimal, Decimal)> = BTreeMap::new();
    let mut payments: BTreeMap<PaymentCode, (u64, Decimal)> = BTreeMap::new();
    let mut emp_payments: BTreeMap<(String, PaymentCode), (u64, Decimal)> = BTreeMap::new();
    let mut vat: BTreeMap<(String, Decimal), (Decimal, Decimal)> = BTreeMap::new();
    let (mut sales, mut returns, mut discounts, mut training) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );

    for t in input.transactions.iter().filter(|t| t.training) {
        training.count += 1;
        training.amount += t.amount_in;
    }
    for t in input.transactions.iter().filter(counted) {
        if is_return(t) {
            returns.count += 1;
            returns.amount -= t.amount_in;
        } else {
            sales.count += 1;
            sales.amount += t.amount_in;
        }
        for l in &t.lines {
            let g = groups.entry(l.group).or_default();
            g.0 += l.quantity;
            g.1 += l.amount_in;
            if let Some(emp) = l.employee.as_ref().or(t.employee.as_ref()) {
                let g = emp_groups.entry((emp.clone(), l.group)).or_default();
                g.0 += l.quantity;
                g.1 += l.amount_in;
            }
            for d in &l.discounts {
                discounts.count += 1;
                discounts.amount += d.amount;
            }
        }
        for p in &t.payments {
            let e = payments.entry(p.code).or_default();
            e.0 += 1;
            e.1 += p.amount;
            if let Some(emp) = p.employee.as_ref().or(t.employee.as_ref()) {
                let e = emp_payments.entry((emp.clone(), p.code)).or_default();
                e.0 += 1;
                e.1 += p.amount;
            }
        }
        for v in &t.vat {
            // Exempt (code 6) has no rate; the report's `vatPerc` is then 0.
            let rate = v.rate.unwrap_or_default().normalize();
            let e = vat.entry((v.code.clone(), rate)).or_default();
            e.0 += v.base;
            e.1 += v.amount;
        }
    }

    let receipt_amount = |trans_id: Option<&String>| -> Decimal {
        trans_id
            .and_then(|id| input.transactions.iter().find(|t| &t.trans_id == id))
            .map_or(Decimal::ZERO, |t| t.amount_in.abs())
    };
    let journal = |code: EventCode| -> Tally {
        input
            .events
            .iter()
            .filter(|e| e.code == code)
            .fold(Tally::default(), |acc, e| Tally {
                count: acc.count + 1,
                amount: acc.amount + receipt_amount(e.trans_id.as_ref()),
            })
    };
    let drawer_openings_without_sale = input
        .events
        .iter()
        .filter(|e| e.code == EventCode::DrawerOpened && e.trans_id.is_none())
        .count() as u64;

    let before = input.grand_totals_before;
    let grand_sales = before.sales + sales.amount;
    let grand_returns = before.returns + returns.amount;

    Report {
        id: input.id.clone(),
        kind: input.kind,
        date: input.date,
        time: input.time,
        cash_sales_total: sales.amount - returns.amount,
        sales_per_group: groups
            .into_iter()
            .map(|(group, (quantity, amount))| GroupSales {
                group,
                quantity,
                amount,
            })
            .collect(),
        sales_per_group_and_employee: emp_groups
            .into_iter()
            .map(
                |((employee, group), (quantity, amount))| EmployeeGroupSales {
                    employee,
                    group,
                    quantity,
                    amount,
                },
            )
            .collect(),
        payments: payments
            .into_iter()
            .map(|(code, (count, amount))| PaymentTotal {
                code,
                count,
                amount,
            })
            .collect(),
        payments_per_employee: emp_payments
            .into_iter()
            .map(|((employee, code), (count, amount))| EmployeePaymentTotal {
                employee,
                code,
                count,
                amount,
            })
            .collect(),
        tips: None,
        vat: vat
            .into_iter()
            .map(|((code, rate), (base, vat))| VatTotal {
                code: Some(code),
                rate,
                base,
                vat,
            })
            .collect(),
        opening_float: input.opening_float,
        opening_float_per_employee: Vec::new(),
        receipts: sales.count,
        drawer_openings_without_sale,
        copies: journal(EventCode::CopyReceipt),
        provisional: journal(EventCode::ProvisionalReceipt),
        returns,
        discounts,
        voided: input.voided,
        line_corrections: input.line_corrections.clone(),
        price_look_ups: input.price_look_ups.clone(),
        other_corrections: input.other_corrections.clone(),
        delivery: journal(EventCode::DeliveryReceipt),
        training,
        credit_sales: None,
        credit_memos: None,
        pay_ins: Vec::new(),
        pay_outs: Vec::new(),
        grand_totals: GrandTotals {
            sales: grand_sales,
            returns: grand_returns,
            net: grand_sales - grand_returns,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::saft::fixture::{canteen_day, dec};
    use crate::compliance::saft::xml::quantity_text;
    use crate::compliance::sign::amount_text;
    use crate::compliance::sign::tests::test_signer;

    #[test]
    fn reports_count_the_day() {
        let model = canteen_day(test_signer());
        let till = &model.company.locations[0].registers[0];
        let report = |code| {
            till.events
                .iter()
                .find(|e| e.code == code)
                .and_then(|e| e.report.as_deref())
                .unwrap()
        };
        let x = report(EventCode::XReport);
        let z = report(EventCode::ZReport);

        // Sales 163.90 + 77.30 + 182.22, less the 49.90 return; training left out.
        assert_eq!(amount_text(x.cash_sales_total), "373.52");
        assert_eq!(x.receipts, 3);
        assert_eq!(
            x.returns,
            Tally {
                count: 1,
                amount: dec("49.90")
            }
        );
        assert_eq!(
            x.training,
            Tally {
                count: 2,
                amount: dec("74.90")
            }
        );
        assert_eq!(
            x.copies,
            Tally {
                count: 1,
                amount: dec("163.90")
            }
        );
        assert_eq!(
            x.discounts,
            Tally {
                count: 1,
                amount: dec("5.00")
            }
        );
        assert_eq!(x.voided.count, 1);
        assert_eq!(x.drawer_openings_without_sale, 1);
        let groups: Vec<_> = x
            .sales_per_group
            .iter()
            .map(|g| {
                (
                    g.group.code(),
                    quantity_text(g.quantity),
                    amount_text(g.amount),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("04006", "1.435".into(), "171.22".into()),
                ("04012", "3".into(), "70.00".into()),
                ("04014", "2".into(), "132.30".into()),
            ]
        );
        let pays: Vec<_> = x
            .payments
            .iter()
            .map(|p| (p.code.code(), p.count, amount_text(p.amount)))
            .collect();
        assert_eq!(
            pays,
            [
                ("12001", 1, "77.00".into()),
                ("12002", 2, "94.00".into()),
                ("12007", 1, "20.00".into()),
                ("12011", 1, "182.22".into()),
            ]
        );
        // Payments are the sales total plus cash rounding.
        let paid: Decimal = x.payments.iter().map(|p| p.amount).sum();
        assert_eq!(amount_text(paid), "373.22");
        let vat: Vec<_> = x
            .vat
            .iter()
            .map(|v| {
                (
                    v.code.clone().unwrap(),
                    amount_text(v.base),
                    amount_text(v.vat),
                )
            })
            .collect();
        assert_eq!(
            vat,
            [
                ("3".into(), "127.20".into(), "31.80".into()),
                ("31".into(), "71.50".into(), "10.72".into()),
                ("33".into(), "89.29".into(), "10.71".into()),
                ("5".into(), "32.30".into(), "0.00".into()),
            ]
        );
        assert_eq!(
            amount_text(x.grand_totals.net),
            amount_text(dec("103421.10") + dec("373.52"))
        );

        // Z adds the 25.00 sale after the X report.
        assert_eq!(amount_text(z.cash_sales_total), "398.52");
        assert_eq!(z.receipts, 4);
        assert_eq!(amount_text(z.grand_totals.sales), "104681.92");
        assert_eq!(amount_text(z.grand_totals.returns), "862.30");
        assert_eq!(amount_text(z.grand_totals.net), "103819.62");
    }
}
