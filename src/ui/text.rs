//! What the screens say, in Norwegian (bokmål) and English.
//!
//! Views write the English text through [`tr`]; the Norwegian is looked up
//! here. What the rooms below report comes as values, never as English
//! sentences: a payment's `Step` and `Decline`, a device's `DeviceState`, a
//! `PrinterError`, a `ReportError`; this file words each in both languages
//! (the reports word themselves: `compliance::report_text`). Tests read
//! every `tr(…, "…")` in `src/ui` and walk every typed message and a full
//! report in Norwegian, failing on a missing translation, on an English word
//! in Norwegian output and on an amount written `12.60`.

use crate::compliance::export::ReportError;
use crate::devices::printer::PrinterError;
pub use crate::domain::Lang;
use crate::domain::{Money, Reason};
use crate::payments::{Decline, ProviderError, Step};
use crate::till::{ReturnRefusal, TillError};
use crate::ui::devices::DeviceState;
use norwegian::norwegian;

mod norwegian;

/// `en` in the screen's language.
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::No => norwegian(en).unwrap_or(en),
    }
}

/// Why a provider declined, in the screen's language.
pub fn decline(lang: Lang, why: Decline) -> &'static str {
    match why {
        Decline::Refused => lang.pick("declined by the card issuer", "avvist av kortutstederen"),
        Decline::WrongPin => lang.pick("wrong PIN on the card", "feil PIN-kode på kortet"),
        Decline::CustomerDeclined => lang.pick(
            "the payment was declined in the app",
            "betalingen ble avvist i appen",
        ),
        Decline::Expired => lang.pick(
            "the payment request ran out of time",
            "betalingsforespørselen gikk ut på tid",
        ),
        Decline::Unreachable => lang.pick(
            "the terminal or Vipps cannot be reached",
            "terminalen eller Vipps svarer ikke",
        ),
        Decline::Amount => lang.pick(
            "this amount cannot be paid this way",
            "beløpet kan ikke betales på denne måten",
        ),
        Decline::Fault => lang.pick(
            "the provider gave an answer the till cannot use; nothing was taken",
            "betalingstjenesten svarte noe kassen ikke kan bruke; ingenting ble trukket",
        ),
    }
}

/// A device's state in the status bar. Names of real devices are shown as
/// they are; the device's own words (an OS error) go to the log, not here.
pub fn device(lang: Lang, state: &DeviceState) -> String {
    match state {
        DeviceState::Starting => lang.pick("starting…", "starter…").to_string(),
        DeviceState::Named(name) => name.clone(),
        DeviceState::Simulated => lang.pick("simulated (+/−)", "simulert (+/−)").to_string(),
        DeviceState::Recording => lang.pick("demo codes (F11)", "demokoder (F11)").to_string(),
        DeviceState::Missing => lang.pick("not found", "ikke funnet").to_string(),
        DeviceState::Lost => lang
            .pick("lost, reconnecting…", "mistet, kobler til igjen…")
            .to_string(),
        DeviceState::Failed => lang.pick("does not work", "virker ikke").to_string(),
        DeviceState::DecoderPanicked(n) => format!(
            "{} {n}×",
            lang.pick(
                "decoder failed (still scanning)",
                "dekoderen feilet (skanner fortsatt)"
            )
        ),
    }
}

/// Why the printer did not print, in the screen's language.
/// What the screen says for a provider's step.
pub fn step_text(step: Step) -> &'static str {
    match step {
        Step::Connecting => "Connecting to the terminal…",
        Step::PresentCard => "Insert, tap or swipe the card",
        Step::Authorising => "Authorising…",
        Step::WaitingForCustomer => "Approve the payment in the Vipps app",
        Step::Capturing => "Confirming with Vipps…",
    }
}

/// A printout that failed (`None`: the print job was lost), for the screen.
pub fn printout(lang: Lang, e: Option<&PrinterError>) -> String {
    match e {
        Some(e) => printer(lang, e),
        None => tr(lang, "Printer problem").to_string(),
    }
}

pub fn printer(lang: Lang, e: &PrinterError) -> String {
    match e {
        PrinterError::Io { target, .. } => format!(
            "{} ({target})",
            lang.pick("the printer does not answer", "skriveren svarer ikke")
        ),
        PrinterError::ScreenOnly => lang
            .pick(
                "the receipt is shown on screen (no printer configured)",
                "kvitteringen vises på skjermen (ingen skriver er satt opp)",
            )
            .to_string(),
    }
}

/// Why an X or Z report was not made, in the screen's language.
pub fn report_error(lang: Lang, e: &ReportError) -> String {
    match e {
        ReportError::ZTaken(n) => format!("{} (Z-{n})", tr(lang, "Z report already made today")),
        ReportError::Store(_) | ReportError::Saft(_) | ReportError::Overflow => lang
            .pick("The report could not be made", "Rapporten kunne ikke lages")
            .to_string(),
    }
}

/// What went wrong in the till, in the screen's language; the error's own
/// words go to the log.
pub fn till_error(lang: Lang, e: &TillError) -> &'static str {
    match e {
        TillError::Store(_) | TillError::NotSaved { .. } => lang.pick(
            "the till's database could not be read or written",
            "kassens database kunne ikke leses eller skrives",
        ),
        TillError::NotStarted { .. } => lang.pick(
            "the payment was not started; nothing was charged",
            "betalingen ble ikke startet; ingenting ble trukket",
        ),
        TillError::Key(_) => lang.pick(
            "a trusted QR key in the settings is not valid",
            "en godkjent QR-nøkkel i oppsettet er ugyldig",
        ),
        TillError::Overflow => lang.pick("an amount is too large", "et beløp er for stort"),
    }
}

/// Why a return cannot go on, in the screen's language.
pub fn return_refusal(lang: Lang, r: &ReturnRefusal) -> String {
    let s = |en: &str, no: &str| lang.pick(en, no).to_string();
    match r {
        ReturnRefusal::NotCashier => s(
            "Returns are made by a cashier logged in at an operated till",
            "Returer gjøres av en innlogget kasserer på en betjent kasse",
        ),
        ReturnRefusal::Training => s(
            "No returns in training mode",
            "Ingen returer i treningsmodus",
        ),
        ReturnRefusal::SaleOpen => s(
            "Finish or cancel the open purchase first",
            "Fullfør eller avbryt det åpne kjøpet først",
        ),
        ReturnRefusal::NotAReceipt => s(
            "Not a receipt number or a receipt QR code of ours",
            "Ikke et kvitteringsnummer eller en kvitterings-QR fra oss",
        ),
        ReturnRefusal::BadSeal => s(
            "The receipt QR code does not match the books: not returned",
            "QR-koden på kvitteringen stemmer ikke med regnskapet: ikke returnert",
        ),
        ReturnRefusal::NoSuchSale => s(
            "No sale with that receipt number",
            "Fant ikke noe salg med det kvitteringsnummeret",
        ),
        ReturnRefusal::OtherTillOffline => s(
            "The sale was made at another till and the ledger does not answer: try again when online",
            "Salget ble gjort på en annen kasse og sentralen svarer ikke: prøv igjen når kassen er tilkoblet",
        ),
        ReturnRefusal::NothingChosen => s(
            "Choose what is coming back first",
            "Velg først hva som leveres tilbake",
        ),
        ReturnRefusal::ReturnedElsewhere => s(
            "Some of these units were already returned at another till: find the sale again",
            "Noe av dette er allerede returnert på en annen kasse: finn salget på nytt",
        ),
        ReturnRefusal::AlreadyReturned { line, left } => match lang {
            Lang::En => format!("Line {line}: only {left} left to return"),
            Lang::No => format!("Linje {line}: bare {left} igjen å returnere"),
        },
        ReturnRefusal::Overflow => s("An amount is too large", "Et beløp er for stort"),
        ReturnRefusal::MoreThanDrawer { back, held } => match lang {
            Lang::En => format!(
                "{} back in cash, but the drawer should hold only {}: count the drawer or put cash in first",
                kr(*back),
                kr(*held)
            ),
            Lang::No => format!(
                "{} tilbake kontant, men skuffen skal bare ha {}: tell skuffen eller legg inn kontanter først",
                kr(*back),
                kr(*held)
            ),
        },
        ReturnRefusal::Unreadable => s(
            "The till's database could not be read: nothing was returned",
            "Kassens database kunne ikke leses: ingenting ble returnert",
        ),
    }
}

/// Why a payment provider gave no answer, in the screen's language.
pub fn provider_error(lang: Lang, e: &ProviderError) -> &'static str {
    match e {
        ProviderError::Unreachable { .. } => lang.pick(
            "the terminal or Vipps does not answer",
            "terminalen eller Vipps svarer ikke",
        ),
        ProviderError::Protocol { .. } => lang.pick(
            "the terminal or Vipps answered something unexpected",
            "terminalen eller Vipps svarte noe uventet",
        ),
    }
}

/// "second" or "seconds" after `n`.
pub fn seconds(lang: Lang, n: u64) -> &'static str {
    match (lang, n) {
        (Lang::En, 1) => "second",
        (Lang::En, _) => "seconds",
        (Lang::No, 1) => "sekund",
        (Lang::No, _) => "sekunder",
    }
}

/// Kroner with a decimal comma, as on a Norwegian receipt: `kr 25,00`.
pub fn kr(amount: Money) -> String {
    format!("kr {}", amount.to_string().replace('.', ","))
}

/// Grams as the weigh panel shows them: `412 g`, `1,250 kg`.
pub fn grams(g: i64) -> String {
    if g.abs() >= 1000 {
        format!("{},{:03} kg", g / 1000, (g % 1000).abs())
    } else {
        format!("{g} g")
    }
}

/// Why the drawer refused an amount, as the cashier reads it.
pub fn cash_refusal(lang: Lang, r: crate::domain::cash::Refusal) -> &'static str {
    use crate::domain::cash::Refusal;
    match r {
        Refusal::NotAnAmount => lang.pick(
            "Type an amount in kroner, e.g. 500 or 500,50.",
            "Skriv et beløp i kroner, f.eks. 500 eller 500,50.",
        ),
        Refusal::Zero => lang.pick("The amount cannot be 0.", "Beløpet kan ikke være 0."),
        Refusal::TooLarge => lang.pick(
            "Too large: a drawer holds at most kr 100 000,00. Check the amount.",
            "For stort: en kasseskuff har høyst kr 100 000,00. Sjekk beløpet.",
        ),
        Refusal::NoteNeeded => lang.pick(
            "Write why in the field under the reasons.",
            "Skriv hvorfor i feltet under årsakene.",
        ),
        Refusal::NoDrawer => lang.pick(
            "This till has no cash drawer.",
            "Denne kassen har ingen kasseskuff.",
        ),
        Refusal::Training => lang.pick(
            "Not in training mode: no real cash moves there.",
            "Ikke i opplæringsmodus: der flyttes ingen ekte kontanter.",
        ),
        Refusal::MoreThanHeld => lang.pick(
            "More than the drawer should hold now. Check the amount.",
            "Mer enn skuffen skal ha nå. Sjekk beløpet.",
        ),
    }
}

/// A refusal as the customer or cashier reads it.
pub fn reason(lang: Lang, r: Reason) -> &'static str {
    match lang {
        Lang::En => r.message(),
        Lang::No => match r {
            Reason::Malformed => "Denne koden er skadet eller ikke fra studentappen.",
            Reason::BadSignature => "Denne koden er ikke ekte.",
            Reason::Expired => "Denne koden er utløpt. Oppdater den i appen.",
            Reason::WrongMember => "Denne koden tilhører et annet medlem enn det på dette kjøpet.",
            Reason::NotStudent => "Kuponger, kaffekort og bonus er bare for studenter.",
            Reason::CouponUsed => "Denne kupongen er allerede brukt.",
            Reason::CardEmpty => "Dette kaffekortet har ingen klipp igjen.",
            Reason::CardUnknown => "Kassen kjenner ikke dette kaffekortet ennå.",
            Reason::UnknownCode => "Ukjent strekkode.",
            Reason::UnknownSku => "Denne varen selges ikke her.",
            Reason::UnstableWeight => "Vent til vekten står stille.",
            Reason::BelowMinWeight => "Legg maten på vekten.",
            Reason::BonusNotAvailable => "Bonus kan ikke brukes på dette kjøpet.",
            Reason::NoOpenSale => "Det er ikke noe kjøp å gjøre det på.",
            Reason::NotAllowedInMode => "Det går ikke på denne kassen.",
            Reason::UnreadableImage => "Fant ingen QR-kode å lese.",
            Reason::OfflineTooLong => {
                "Kassen har vært frakoblet for lenge for kuponger, klipp og bonus."
            }
            Reason::NoSuchLine => "Kjøpet har ingen slik linje.",
            Reason::PaymentInProgress => "Vent til betalingen er ferdig.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every `tr(lang, "…")` literal in src/ui, found by reading the sources.
    fn texts_in_ui() -> Vec<(String, String)> {
        let mut found = Vec::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.ends_with("text.rs") {
                    continue; // this file's own examples
                }
                let src = std::fs::read_to_string(&path).unwrap();
                let mut rest = src.as_str();
                while let Some(at) = rest.find("tr(") {
                    rest = &rest[at + 3..];
                    // look.tr("text") or tr(<lang>, "text")
                    let head = rest.trim_start();
                    let after = if head.starts_with('"') {
                        head
                    } else {
                        let Some(comma) = rest.find(',') else { break };
                        rest[comma + 1..].trim_start()
                    };
                    if let Some(body) = after.strip_prefix('"')
                        && let Some(end) = body.find('"')
                    {
                        found.push((path.display().to_string(), body[..end].to_string()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_ui_text_has_its_norwegian() {
        let texts = texts_in_ui();
        assert!(
            texts.len() > 50,
            "the scan finds the views' texts: {}",
            texts.len()
        );
        let missing: Vec<_> = texts
            .iter()
            .filter(|(_, en)| norwegian(en).is_none())
            .collect();
        assert!(missing.is_empty(), "no Norwegian for: {missing:?}");
    }

    /// Words that are English and not Norwegian (so not "is", "by", "be",
    /// "still", which Norwegian has too): one of them in a Norwegian text
    /// means something was left untranslated.
    #[rustfmt::skip]
    const ENGLISH: &[&str] = &[
        "the", "and", "was", "of", "in", "with", "your", "you", "this", "payment",
        "cancelled", "declined", "simulated", "fixture", "recording", "seconds", "second",
        "report", "cash", "food", "loyalty", "stamps", "connecting", "authorising", "printer",
        "scale", "camera", "lost", "found", "error", "receipt", "sales", "returns", "starting",
        "does", "work", "cannot", "answer", "reached", "drinks", "goods", "other", "issuer",
        "card", "debit", "mobile", "phone", "apps", "vat", "copy", "voided", "training",
        "drawer", "price", "wrong", "amount", "sale", "failed", "decoder", "scanning", "shown",
        "screen", "configured", "made", "today", "could", "provider",
    ];

    /// Names and units that read the same in both languages.
    const SAME_IN_BOTH: &[&str] = &["Start", "OK", "Vipps", "per kg"];

    /// `no` (Norwegian for `en`) has no English word and differs from it.
    fn norwegian_reads_norwegian(en: &str, no: &str) -> Result<(), String> {
        if no == en && !SAME_IN_BOTH.contains(&en) {
            return Err(format!("{en:?} is not translated"));
        }
        let lower = no.to_lowercase();
        let english: Vec<&str> = lower
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| ENGLISH.contains(w))
            .collect();
        if english.is_empty() {
            Ok(())
        } else {
            Err(format!("{no:?} (for {en:?}) has English: {english:?}"))
        }
    }

    fn walk(pairs: impl IntoIterator<Item = (String, String)>) -> usize {
        let mut n = 0;
        let faults: Vec<String> = pairs
            .into_iter()
            .inspect(|_| n += 1)
            .filter_map(|(en, no)| norwegian_reads_norwegian(&en, &no).err())
            .collect();
        assert!(faults.is_empty(), "{faults:#?}");
        n
    }

    #[test]
    fn the_text_table_and_every_typed_message_read_norwegian() {
        // The views' texts, through the table.
        let table = walk(texts_in_ui().into_iter().map(|(_, en)| {
            let no = norwegian(&en).unwrap_or(&en).to_string();
            (en, no)
        }));
        assert!(table > 50, "{table}");
        // The payment providers' steps and decline kinds.
        let steps = [
            Step::Connecting,
            Step::PresentCard,
            Step::Authorising,
            Step::WaitingForCustomer,
            Step::Capturing,
        ];
        for step in steps {
            let en = step_text(step);
            assert!(norwegian(en).is_some(), "{step:?}: {en:?} has no Norwegian");
        }
        walk(steps.into_iter().map(|step| {
            let en = step_text(step);
            (en.to_string(), tr(Lang::No, en).to_string())
        }));
        walk(
            Decline::ALL
                .into_iter()
                .map(|d| (decline(Lang::En, d).into(), decline(Lang::No, d).into())),
        );
        // Devices: the status bar, the printer.
        let states = [
            DeviceState::Starting,
            DeviceState::Simulated,
            DeviceState::Recording,
            DeviceState::Missing,
            DeviceState::Lost,
            DeviceState::Failed,
            DeviceState::DecoderPanicked(3),
        ];
        walk(
            states
                .iter()
                .map(|s| (device(Lang::En, s), device(Lang::No, s))),
        );
        assert_eq!(
            device(Lang::No, &DeviceState::Named("/dev/ttyUSB0".into())),
            "/dev/ttyUSB0",
            "a real device is named as it is"
        );
        let printers = [
            PrinterError::ScreenOnly,
            PrinterError::Io {
                target: "/dev/usb/lp0".into(),
                source: std::io::Error::other("gone"),
            },
        ];
        walk(
            printers
                .iter()
                .map(|e| (printer(Lang::En, e), printer(Lang::No, e))),
        );
        // Refusals, the second Z, counting seconds.
        walk(
            Reason::ALL
                .into_iter()
                .map(|r| (reason(Lang::En, r).into(), reason(Lang::No, r).into())),
        );
        let till_errors = [
            TillError::Store(crate::store::StoreError::Corrupt("x".into())),
            TillError::NotStarted {
                sale: "s".into(),
                source: crate::store::StoreError::Corrupt("x".into()),
            },
            TillError::Overflow,
        ];
        walk(till_errors.iter().map(|e| {
            (
                till_error(Lang::En, e).into(),
                till_error(Lang::No, e).into(),
            )
        }));
        let provider_errors = [
            ProviderError::Unreachable {
                provider: "nexo",
                detail: "connection refused".into(),
            },
            ProviderError::Protocol {
                provider: "epayment",
                detail: "HTTP 418".into(),
            },
        ];
        walk(provider_errors.iter().map(|e| {
            (
                provider_error(Lang::En, e).into(),
                provider_error(Lang::No, e).into(),
            )
        }));
        let z = ReportError::ZTaken(4);
        walk([(report_error(Lang::En, &z), report_error(Lang::No, &z))]);
        assert_eq!(seconds(Lang::No, 1), "sekund");
        assert_eq!(seconds(Lang::No, 2), "sekunder");
        assert_eq!(seconds(Lang::En, 1), "second");
        // The check itself catches English.
        assert!(norwegian_reads_norwegian("Sale cancelled", "Sale cancelled").is_err());
        assert!(norwegian_reads_norwegian("Payment declined", "Betaling declined").is_err());
    }

    /// A report with every payment means and article group, and amounts
    /// with øre and thousands.
    fn full_report() -> crate::compliance::saft::Report {
        use crate::compliance::saft::{
            ArticleGroup, GroupSales, PaymentCode, PaymentTotal, ReportKind, Tally, TallyInput,
            VatTotal, tally,
        };
        use rust_decimal::Decimal;
        let mut r = tally(&TallyInput {
            id: "Z-7".into(),
            kind: ReportKind::Z,
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            time: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            transactions: &[],
            events: &[],
            opening_float: Decimal::ZERO,
            grand_totals_before: Default::default(),
            voided: Tally {
                count: 1,
                amount: Decimal::new(1260, 2),
            },
            price_look_ups: Vec::new(),
            line_corrections: Vec::new(),
            other_corrections: Vec::new(),
        });
        let amount = Decimal::new(123_460, 2);
        r.cash_sales_total = Decimal::new(1260, 2);
        r.sales_per_group = ArticleGroup::ALL
            .iter()
            .map(|&group| GroupSales {
                group,
                quantity: Decimal::ONE,
                amount,
            })
            .collect();
        r.payments = PaymentCode::ALL
            .iter()
            .map(|&code| PaymentTotal {
                code,
                count: 2,
                amount,
            })
            .collect();
        r.vat = vec![VatTotal {
            code: Some("3".into()),
            rate: Decimal::from(25),
            base: Decimal::new(1008, 2),
            vat: Decimal::new(252, 2),
        }];
        r.grand_totals.sales = amount;
        r.grand_totals.net = amount;
        r
    }

    #[test]
    fn reports_read_norwegian_with_a_decimal_comma() {
        use crate::compliance::report_text::{render, words};
        let r = full_report();
        let (no, en) = (render(&r, Lang::No), render(&r, Lang::En));
        // No amount with a decimal point in Norwegian: `\d\.\d\d`.
        let points: Vec<&str> = no
            .lines()
            .filter(|l| {
                let b = l.as_bytes();
                (1..b.len().saturating_sub(2)).any(|i| {
                    b[i] == b'.'
                        && b[i - 1].is_ascii_digit()
                        && b[i + 1].is_ascii_digit()
                        && b[i + 2].is_ascii_digit()
                        // 23.11.2026 is a date, not an amount
                        && !b.get(i + 3).is_some_and(|c| c.is_ascii_digit() || *c == b'.')
                })
            })
            .collect();
        assert!(points.is_empty(), "amounts with a point: {points:#?}");
        assert!(no.contains("12,60") && no.contains("1234,60"), "{no}");
        assert!(en.contains("12.60") && en.contains("1234.60"), "{en}");
        assert!(no.starts_with("Z-rapport Z-7  23.11.2026 20:00:00"), "{no}");
        assert!(en.starts_with("Z report Z-7"), "{en}");
        for l in no.lines() {
            norwegian_reads_norwegian("", l).unwrap();
        }
        assert!(
            no.contains("Bonus, stempelkort") && no.contains("Mat "),
            "{no}"
        );
        assert!(
            en.contains("Loyalty, stamps") && en.contains("Food "),
            "{en}"
        );
        walk(words().map(|(en, no)| (en.to_string(), no.to_string())));
        // Every line of the English report is a different line in Norwegian
        // (a heading left in English would read the same), bar the blanks.
        for (e, n) in en.lines().zip(no.lines()) {
            assert!(e != n || e.trim().is_empty(), "untranslated: {e:?}");
        }
    }

    #[test]
    fn every_drawer_refusal_reads_in_both_languages() {
        use crate::domain::cash::Refusal;
        let all = [
            Refusal::NotAnAmount,
            Refusal::Zero,
            Refusal::TooLarge,
            Refusal::NoteNeeded,
            Refusal::NoDrawer,
            Refusal::Training,
        ];
        walk(all.map(|r| {
            let (en, no) = (cash_refusal(Lang::En, r), cash_refusal(Lang::No, r));
            assert_ne!(en, no);
            (en.to_string(), no.to_string())
        }));
    }

    #[test]
    fn every_reason_reads_in_both_languages() {
        for r in Reason::ALL {
            let (no, en) = (reason(Lang::No, r), reason(Lang::En, r));
            assert!(!no.is_empty() && !en.is_empty());
            assert_ne!(no, en, "{r} is translated");
        }
        assert_eq!(
            reason(Lang::En, Reason::CouponUsed),
            "This coupon has already been used."
        );
    }

    #[test]
    fn money_and_weight_read_the_norwegian_way() {
        assert_eq!(kr(Money::from_ore(0)), "kr 0,00");
        assert_eq!(kr(Money::from_ore(6547)), "kr 65,47");
        assert_eq!(kr(Money::from_ore(-250)), "kr -2,50");
        assert_eq!(grams(412), "412 g");
        assert_eq!(grams(1250), "1,250 kg");
        assert_eq!(tr(Lang::No, "Pay"), "Betal");
        assert_eq!(tr(Lang::En, "Pay"), "Pay");
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
    }
}
