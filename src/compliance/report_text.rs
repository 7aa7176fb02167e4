//! X and Z reports as the till prints and shows them, in Norwegian or
//! English, amounts written the way the language reads them (`12,60`).
//! The stored Z text is Norwegian, the language of the books.

use super::saft::{ArticleGroup, PaymentCode, Report, ReportKind};
use crate::domain::{Lang, Money};
use rust_decimal::Decimal;

/// A report heading in `lang`.
pub fn kind_title(kind: ReportKind, lang: Lang) -> &'static str {
    match kind {
        ReportKind::X => lang.pick("X report", "X-rapport"),
        ReportKind::Z => lang.pick("Z report", "Z-rapport"),
    }
}

/// A payment code's name in `lang` (the code list's own English, or the
/// Norwegian the Skatteetaten code list uses).
pub fn payment_name(code: PaymentCode, lang: Lang) -> &'static str {
    let no = match code {
        PaymentCode::Cash => "Kontant",
        PaymentCode::DebitCard => "Debetkort",
        PaymentCode::CreditCard => "Kredittkort",
        PaymentCode::BankAccount => "Bankkonto",
        PaymentCode::GiftToken => "Gavekort",
        PaymentCode::CustomerCard => "Kundekort",
        PaymentCode::Loyalty => "Bonus, stempelkort",
        PaymentCode::BottleDeposit => "Flaskepant",
        PaymentCode::Check => "Sjekk",
        PaymentCode::CreditNote => "Tilgodelapp",
        PaymentCode::MobileApp => "Mobilbetaling",
        PaymentCode::Other => "Annet",
    };
    lang.pick(code.description(), no)
}

/// An article group's name in `lang`.
pub fn group_name(group: ArticleGroup, lang: Lang) -> &'static str {
    let no = match group {
        ArticleGroup::WithdrawalOfTreatmentServices => "Uttak av behandlingstjenester",
        ArticleGroup::WithdrawalOfTreatmentGoods => "Uttak av varer til behandling",
        ArticleGroup::Goods => "Varesalg",
        ArticleGroup::TreatmentServices => "Salg av behandlingstjenester",
        ArticleGroup::Haircut => "Salg av hårklipp",
        ArticleGroup::Food => "Mat",
        ArticleGroup::Beer => "Øl",
        ArticleGroup::Wine => "Vin",
        ArticleGroup::Liquor => "Brennevin",
        ArticleGroup::AlcopopsCider => "Rusbrus/sider",
        ArticleGroup::SoftDrinks => "Mineralvann",
        ArticleGroup::OtherDrinks => "Annen drikke (te, kaffe o.l.)",
        ArticleGroup::Tobacco => "Tobakk",
        ArticleGroup::OtherGoods => "Andre varer",
        ArticleGroup::EntranceFee => "Inngangspenger",
        ArticleGroup::FreeEntrance => "Fri inngang (medlemmer o.l.)",
        ArticleGroup::CloakroomFee => "Garderobeavgift",
        ArticleGroup::FreeCloakroom => "Fri garderobe",
        ArticleGroup::FullBoard => "Overnatting, helpensjon",
        ArticleGroup::HalfBoard => "Overnatting, halvpensjon",
        ArticleGroup::BedAndBreakfast => "Overnatting med frokost",
        ArticleGroup::Other => "Annet",
    };
    lang.pick(group.description(), no)
}

/// The words of a report, `(english, norwegian)`.
const WORDS: &[(&str, &str)] = &[
    ("Cash sales total", "Kontantsalg totalt"),
    ("Sales per article group:", "Salg per varegruppe:"),
    ("Sales per payment type:", "Salg per betalingsmiddel:"),
    ("VAT:", "MVA:"),
    ("Payments total", "Betalinger totalt"),
    ("Cash rounding", "Øreavrunding"),
    ("base", "grunnlag"),
    ("VAT", "mva"),
    ("Exempt", "Unntatt"),
    ("Copy receipts", "Kopikvitteringer"),
    ("Provisional receipts", "Foreløpige kvitteringer"),
    ("Returns", "Returer"),
    ("Discounts", "Rabatter"),
    ("Voided sales", "Annullerte salg"),
    ("Delivery receipts", "Utleveringskvitteringer"),
    ("Training receipts", "Treningskvitteringer"),
    ("Receipts", "Antall kvitteringer"),
    ("Drawer openings without sale", "Skuffåpninger uten salg"),
    ("Line corrections", "Linjekorrigeringer"),
    ("Price look-ups", "Prisforespørsler"),
    ("Grand total sales", "Grand total salg"),
    ("returns", "retur"),
    ("net", "netto"),
];

/// `en` in `lang`; every English word of the report is in [`WORDS`].
fn word(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::No => WORDS
            .iter()
            .find(|(e, _)| *e == en)
            .map_or(en, |(_, no)| no),
    }
}

/// The report as the till prints it, in `lang`.
pub fn render(r: &Report, lang: Lang) -> String {
    let kr = |d: Decimal| lang.amount(Money::from_decimal(d));
    let w = |en| word(lang, en);
    let mut s = format!(
        "{} {}  {} {}\n",
        kind_title(r.kind, lang),
        r.id,
        r.date.format("%d.%m.%Y"),
        r.time.format("%H:%M:%S")
    );
    s += &format!(
        "{:<28} {:>17}\n",
        w("Cash sales total"),
        kr(r.cash_sales_total)
    );
    s += w("Sales per article group:");
    s += "\n";
    for g in &r.sales_per_group {
        s += &format!(
            "  {} {:<25} {:>12}\n",
            g.group.code(),
            group_name(g.group, lang),
            kr(g.amount)
        );
    }
    s += w("Sales per payment type:");
    s += "\n";
    for p in &r.payments {
        s += &format!(
            "  {} {:<20} {:>4} {:>12}\n",
            p.code.code(),
            payment_name(p.code, lang),
            p.count,
            kr(p.amount)
        );
    }
    // Payments are the sales plus cash rounding: both stated, so the
    // report adds up on its face (sales + rounding = payments).
    let paid = r
        .payments
        .iter()
        .try_fold(Decimal::ZERO, |sum, p| sum.checked_add(p.amount));
    if let Some(paid) = paid
        && let Some(rounding) = paid.checked_sub(r.cash_sales_total)
    {
        s += &format!("{:<28} {:>17}\n", w("Payments total"), kr(paid));
        s += &format!("{:<28} {:>17}\n", w("Cash rounding"), kr(rounding));
    }
    s += w("VAT:");
    s += "\n";
    for v in &r.vat {
        // Code 6 (outside the VAT act) has no rate: its own row, no VAT.
        let exempt = crate::domain::VatRate::EXEMPT;
        let class = if v.code.as_deref() == Some(super::saft::standard_vat_code(exempt)) {
            w("Exempt").to_string()
        } else {
            format!("{:>3} %", v.rate)
        };
        s += &format!(
            "  {class:<7}  {} {:>12}  {} {:>10}\n",
            w("base"),
            kr(v.base),
            w("VAT"),
            kr(v.vat)
        );
    }
    for (name, t) in [
        ("Copy receipts", r.copies),
        ("Provisional receipts", r.provisional),
        ("Returns", r.returns),
        ("Discounts", r.discounts),
        ("Voided sales", r.voided),
        ("Delivery receipts", r.delivery),
        ("Training receipts", r.training),
    ] {
        s += &format!("{:<28} {:>4} {:>12}\n", w(name), t.count, kr(t.amount));
    }
    s += &format!("{:<28} {:>4}\n", w("Receipts"), r.receipts);
    s += &format!(
        "{:<28} {:>4}\n",
        w("Drawer openings without sale"),
        r.drawer_openings_without_sale
    );
    let lc: u64 = r.line_corrections.iter().map(|c| c.count).sum();
    let pl: u64 = r.price_look_ups.iter().map(|c| c.count).sum();
    s += &format!("{:<28} {lc:>4}\n", w("Line corrections"));
    s += &format!("{:<28} {pl:>4}\n", w("Price look-ups"));
    // The drawer: float, cash in and out, what it should hold.
    s += &super::drawer::lines(r, lang);
    // One figure a line, in the same column as the rest: a report on a
    // narrow paper (or the till's screen) never cuts a figure off.
    s += &format!(
        "{:<28} {:>17}\n",
        w("Grand total sales"),
        kr(r.grand_totals.sales)
    );
    s += &format!(
        "{:<28} {:>17}\n",
        format!("  {}", w("returns")),
        kr(r.grand_totals.returns)
    );
    s += &format!(
        "{:<28} {:>17}\n",
        format!("  {}", w("net")),
        kr(r.grand_totals.net)
    );
    s
}

/// Every English word a report can print, for the translation check.
pub fn words() -> impl Iterator<Item = (&'static str, &'static str)> {
    WORDS.iter().copied()
}
