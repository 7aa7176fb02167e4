//! The receipt as a person reads it: 42 columns on 80 mm paper, rendered as
//! plain text (screen, tests) or ESC/POS bytes (thermal printer). Pure.

use super::catalog::VatRate;
use super::money::Money;
use super::receipt::{Receipt, TenderKind};

pub const WIDTH: usize = 42;

/// The heading of a receipt (kassasystemforskrifta markings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marking {
    Sale,
    Return,
    Training,
    Provisional,
}

impl Marking {
    pub fn title(self) -> &'static str {
        match self {
            Marking::Sale => "Salgskvittering",
            Marking::Return => "Returkvittering",
            Marking::Training => "Treningskvittering",
            Marking::Provisional => "Foreløpig kvittering",
        }
    }

    /// Training and provisional receipts say they are not a receipt for a purchase.
    pub fn not_a_receipt(self) -> bool {
        matches!(self, Marking::Training | Marking::Provisional)
    }
}

/// The copy marking (kassasystemforskrifta: copies are marked "KOPI").
pub const COPY: &str = "KOPI";

pub struct Header<'a> {
    pub company: &'a str,
    pub org_no: &'a str,
    pub till: &'a str,
    /// Local date and time, e.g. "23.11.2026 11:30".
    pub at: &'a str,
    /// The receipt's series, whose marking a copy keeps too.
    pub marking: Marking,
    /// The one allowed copy: "KOPI" above the series' own marking.
    pub copy: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Style {
    pub bold: bool,
    /// Double width and height: the markings, at least 50 % larger than amounts.
    pub large: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub text: String,
    pub style: Style,
}

fn kr(m: Money) -> String {
    m.to_string().replace('.', ",")
}

fn row(text: impl Into<String>) -> Row {
    Row {
        text: text.into(),
        style: Style::default(),
    }
}

/// `left` and `right` on one line of `width`, the left cut if it must be.
fn two(left: &str, right: &str, width: usize) -> String {
    let room = width.saturating_sub(right.chars().count() + 1);
    let left: String = left.chars().take(room).collect();
    let pad = width - left.chars().count() - right.chars().count();
    format!("{left}{}{right}", " ".repeat(pad))
}

fn center(text: &str, width: usize) -> String {
    let n = text.chars().count().min(width);
    let text: String = text.chars().take(width).collect();
    format!("{}{text}", " ".repeat((width - n) / 2))
}

fn org(org_no: &str) -> String {
    let d: Vec<char> = org_no.chars().collect();
    if d.len() == 9 {
        format!(
            "{} {} {}",
            d[..3].iter().collect::<String>(),
            d[3..6].iter().collect::<String>(),
            d[6..].iter().collect::<String>()
        )
    } else {
        org_no.to_string()
    }
}

/// The receipt's rows, top to bottom.
pub fn rows(r: &Receipt, h: &Header<'_>, names: &dyn Fn(&str) -> String) -> Vec<Row> {
    let mut out = Vec::new();
    let big = |t: &str| Row {
        text: center(t, WIDTH / 2),
        style: Style {
            bold: true,
            large: true,
        },
    };
    if h.copy {
        out.push(big(COPY));
    }
    out.push(big(h.marking.title()));
    if h.marking.not_a_receipt() {
        out.push(big("IKKJE KVITTERING"));
        out.push(big("FOR KJØP"));
    }
    out.push(Row {
        text: center(h.company, WIDTH),
        style: Style {
            bold: true,
            large: false,
        },
    });
    out.push(row(center(&format!("Org.nr {} MVA", org(h.org_no)), WIDTH)));
    out.push(row(two(
        &format!("Kvittering nr {}", r.number),
        &format!("Kasse {}", h.till),
        WIDTH,
    )));
    out.push(row(h.at));
    if let Some(o) = &r.return_of {
        out.push(row(format!(
            "Retur av kvittering nr {} (kasse {})",
            o.number, o.till
        )));
    }
    if let Some(m) = &r.member {
        out.push(row(format!("Medlem {m}")));
    }
    out.push(row("-".repeat(WIDTH)));
    for l in &r.lines {
        let name = names(&l.sku);
        out.push(row(two(&name, &kr(l.amount + l.discount), WIDTH)));
        if let Some(g) = l.grams {
            out.push(row(format!(
                "  {},{:03} kg x {}/kg",
                g / 1000,
                g % 1000,
                kr(l.unit_price)
            )));
        } else if l.qty > 1 {
            out.push(row(format!("  {} x {}", l.qty, kr(l.unit_price))));
        }
        if let (Some(kind), Some(reference)) = (l.discount_kind, &l.discount_ref) {
            let what = if kind == "coupon" {
                "Kupong"
            } else {
                "Klippekort"
            };
            out.push(row(two(
                &format!("  {what} {reference}"),
                &format!("-{}", kr(l.discount)),
                WIDTH,
            )));
        }
    }
    out.push(row("-".repeat(WIDTH)));
    out.push(Row {
        text: two("TOTALT", &kr(r.total), WIDTH),
        style: Style {
            bold: true,
            large: false,
        },
    });
    for t in &r.tenders {
        let what = match t.kind {
            TenderKind::Bonus => "Studentbonus",
            TenderKind::Card => "Bankkort",
            TenderKind::Vipps => "Vipps",
            TenderKind::Cash => "Kontant",
        };
        out.push(row(two(what, &kr(t.amount), WIDTH)));
        if let Some(id) = &t.reference {
            let line = format!("  Ref. {id}");
            if line.chars().count() <= WIDTH {
                out.push(row(line));
            } else {
                // A Vipps id (36) or a long terminal id: on lines of its own,
                // never past the paper's edge.
                out.push(row("  Ref."));
                let id: Vec<char> = id.chars().collect();
                for part in id.chunks(WIDTH - 2) {
                    out.push(row(format!("  {}", part.iter().collect::<String>())));
                }
            }
        }
    }
    if !r.rounding.is_zero() {
        out.push(row(two("Øreavrunding", &kr(r.rounding), WIDTH)));
    }
    out.push(row(""));
    // A sale of 0 kr has no VAT rows, and no heading over nothing.
    if !r.vat.is_empty() {
        out.push(row(format!(
            "{:<8}{:>11}{:>11}{:>12}",
            "MVA", "Grunnlag", "MVA", "Sum"
        )));
    }
    for v in &r.vat {
        // Outside the VAT act: a row of its own, with no VAT at all.
        let (class, vat) = if v.rate == VatRate::EXEMPT_CODE {
            ("Unntatt".to_string(), "-".to_string())
        } else {
            (format!("{} %", v.rate), kr(v.vat))
        };
        out.push(row(format!(
            "{:<8}{:>11}{:>11}{:>12}",
            class,
            kr(v.net),
            vat,
            kr(v.gross)
        )));
    }
    if let Some(balance) = r.bonus_balance {
        out.push(row(""));
        out.push(row(two("Bonus opptjent", &kr(r.bonus_earned), WIDTH)));
        out.push(row(two("Bonussaldo", &kr(balance), WIDTH)));
    }
    out.push(row(""));
    out.push(row(center("Takk for handelen!", WIDTH)));
    out
}

/// Plain text, one line per row (large rows as they would look: centred).
pub fn to_text(rows: &[Row]) -> String {
    let mut s = String::new();
    for r in rows {
        if r.style.large {
            s.push_str(&center(r.text.trim(), WIDTH));
        } else {
            s.push_str(&r.text);
        }
        s.push('\n');
    }
    s
}

/// ESC/POS: init, Nordic code page, bold and double size where styled, cut.
pub fn to_escpos(rows: &[Row]) -> Vec<u8> {
    const ESC: u8 = 0x1B;
    const GS: u8 = 0x1D;
    let mut b = vec![ESC, b'@', ESC, b't', 5]; // init; code page PC865 (Nordic)
    let mut style = Style::default();
    for r in rows {
        if r.style.bold != style.bold {
            b.extend([ESC, b'E', u8::from(r.style.bold)]);
        }
        if r.style.large != style.large {
            b.extend([GS, b'!', if r.style.large { 0x11 } else { 0x00 }]);
        }
        style = r.style;
        b.extend(cp865(&r.text));
        b.push(b'\n');
    }
    b.extend([ESC, b'E', 0, GS, b'!', 0]);
    b.extend([b'\n', b'\n', b'\n', GS, b'V', 66, 0]); // feed and cut
    b
}

/// Encodes text for code page 865 (Nordic); what it cannot show becomes `?`.
pub fn cp865(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            'æ' => 0x91,
            'Æ' => 0x92,
            'ø' => 0x9B,
            'Ø' => 0x9D,
            'å' => 0x86,
            'Å' => 0x8F,
            'é' => 0x82,
            'è' => 0x8A,
            'ü' => 0x81,
            'ö' => 0x94,
            'ä' => 0x84,
            'Ä' => 0x8E,
            'Ö' => 0x99,
            '–' | '—' => b'-',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VatRate;
    use crate::domain::receipt::{ReceiptLine, TenderRow, VatRow};

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn receipt() -> Receipt {
        Receipt {
            number: 7,
            member: Some("M-100001".into()),
            lines: vec![
                ReceiptLine {
                    sku: "KAFFE".into(),
                    name: "Kaffe".into(),
                    qty: 1,
                    grams: None,
                    unit_price: m("25.00"),
                    discount: m("25.00"),
                    discount_kind: Some("coupon"),
                    discount_ref: Some("CP-1".into()),
                    amount: m("0.00"),
                    vat: VatRate::new(15).unwrap(),
                },
                ReceiptLine {
                    sku: "VEKT".into(),
                    name: "Middag etter vekt".into(),
                    qty: 1,
                    grams: Some(412),
                    unit_price: m("189.00"),
                    discount: m("0.00"),
                    discount_kind: None,
                    discount_ref: None,
                    amount: m("77.87"),
                    vat: VatRate::new(15).unwrap(),
                },
            ],
            total: m("77.87"),
            tenders: vec![
                TenderRow {
                    kind: TenderKind::Bonus,
                    amount: m("12.40"),
                    reference: None,
                },
                TenderRow {
                    kind: TenderKind::Card,
                    amount: m("65.47"),
                    reference: Some("SIM-000001-S1".into()),
                },
            ],
            rounding: m("0.00"),
            vat: vec![VatRow {
                rate: "15".into(),
                gross: m("77.87"),
                net: m("67.71"),
                vat: m("10.16"),
            }],
            bonus_earned: m("2.34"),
            bonus_balance: Some(m("2.34")),
            return_of: None,
        }
    }

    fn header(marking: Marking) -> Header<'static> {
        Header {
            company: "Kafé Realfag",
            org_no: "999999999",
            till: "kafe-1",
            at: "23.11.2026 11:30",
            marking,
            copy: false,
        }
    }

    fn names(sku: &str) -> String {
        match sku {
            "KAFFE" => "Kaffe".into(),
            _ => "Middag etter vekt".into(),
        }
    }

    #[test]
    fn text_has_every_required_part_in_42_columns() {
        let text = to_text(&rows(&receipt(), &header(Marking::Sale), &names));
        for needle in [
            "Salgskvittering",
            "Org.nr 999 999 999 MVA",
            "Kvittering nr 7",
            "Kasse kafe-1",
            "23.11.2026 11:30",
            "Kupong CP-1",
            "0,412 kg x 189,00/kg",
            "Ref. SIM-000001-S1",
            "10,16",
            "67,71",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("TOTALT") && l.ends_with("77,87")),
            "{text}"
        );
    }

    #[test]
    fn a_receipt_of_0_kr_has_no_vat_heading_over_nothing() {
        let mut r = receipt();
        r.vat.clear();
        let text = to_text(&rows(&r, &header(Marking::Sale), &names));
        assert!(!text.contains("Grunnlag"), "{text}");
        let full = to_text(&rows(&receipt(), &header(Marking::Sale), &names));
        assert!(full.contains("Grunnlag"), "{full}");
    }

    #[test]
    fn a_long_payment_reference_stays_within_42_columns_and_whole() {
        let mut r = receipt();
        let vipps = "4c1f0a5e-9d0b-4c57-8a3e-2f6d1b7e9a10";
        let terminal = "EMU0001-0123456789-0123456789-0123456789-0123456789";
        r.tenders[0].reference = Some(vipps.into());
        let mut second = r.tenders[0].clone();
        second.reference = Some(terminal.into());
        r.tenders.push(second);
        let text = to_text(&rows(&r, &header(Marking::Sale), &names));
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
        }
        let joined: String = text.lines().map(str::trim).collect();
        assert!(joined.contains(&format!("Ref.{vipps}")), "{text}");
        assert!(joined.contains(&format!("Ref.{terminal}")), "{text}");
    }

    #[test]
    fn an_exempt_row_says_unntatt_with_no_vat() {
        let mut r = receipt();
        r.vat.push(VatRow {
            rate: "exempt".into(),
            gross: m("25.00"),
            net: m("25.00"),
            vat: m("0.00"),
        });
        let text = to_text(&rows(&r, &header(Marking::Sale), &names));
        let rows: Vec<_> = text
            .lines()
            .filter(|l| l.contains(" %") || l.starts_with("Unntatt"))
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0].starts_with("15 %"), "{text}");
        let exempt: Vec<_> = rows[1].split_whitespace().collect();
        assert_eq!(exempt, ["Unntatt", "25,00", "-", "25,00"], "{text}");
    }

    #[test]
    fn training_and_provisional_say_not_a_receipt_in_large_type() {
        for marking in [Marking::Training, Marking::Provisional] {
            let rows = rows(&receipt(), &header(marking), &names);
            let large: Vec<_> = rows
                .iter()
                .filter(|r| r.style.large)
                .map(|r| r.text.trim().to_string())
                .collect();
            assert_eq!(large, [marking.title(), "IKKJE KVITTERING", "FOR KJØP"]);
        }
    }

    #[test]
    fn a_copy_keeps_its_series_marking_under_kopi() {
        for (marking, want) in [
            (Marking::Sale, vec!["KOPI", "Salgskvittering"]),
            (Marking::Return, vec!["KOPI", "Returkvittering"]),
            (
                Marking::Training,
                vec!["KOPI", "Treningskvittering", "IKKJE KVITTERING", "FOR KJØP"],
            ),
        ] {
            let h = Header {
                copy: true,
                ..header(marking)
            };
            let large: Vec<_> = rows(&receipt(), &h, &names)
                .iter()
                .filter(|r| r.style.large)
                .map(|r| r.text.trim().to_string())
                .collect();
            assert_eq!(large, want);
        }
    }

    #[test]
    fn escpos_bytes() {
        let rows = rows(&receipt(), &header(Marking::Sale), &names);
        let b = to_escpos(&rows);
        assert!(b.starts_with(&[0x1B, b'@', 0x1B, b't', 5]));
        assert!(b.ends_with(&[0x1D, b'V', 66, 0]));
        assert!(
            b.windows(3).any(|w| w == [0x1D, b'!', 0x11]),
            "double size for the marking"
        );
        assert!(b.windows(3).any(|w| w == [0x1B, b'E', 1]), "bold");
        assert_eq!(cp865("Kafé Øl å"), b"Kaf\x82 \x9Dl \x86");
        assert_eq!(cp865("€"), b"?");
    }
}
