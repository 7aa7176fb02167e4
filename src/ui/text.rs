//! What the screens say, in Norwegian (bokmål) and English.
//!
//! Views write the English text through [`tr`]; the Norwegian is looked up
//! here. A test reads every `tr(…, "…")` in `src/ui` and fails on a text
//! without its Norwegian, so a new string cannot ship half-translated.

use crate::domain::{Money, Reason};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    No,
    En,
}

impl Lang {
    /// `no` or `en`, as config.toml writes it.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "no" => Some(Lang::No),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language: what the switch button offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::No => Lang::En,
            Lang::En => Lang::No,
        }
    }

    /// The switch button's label, in the language it switches to.
    pub fn name(self) -> &'static str {
        match self {
            Lang::No => "Norsk",
            Lang::En => "English",
        }
    }
}

/// `en` in the screen's language.
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::No => norwegian(en).unwrap_or(en),
    }
}

/// A provider's own words (a decline reason) in the screen's language where
/// they are known; otherwise as the provider wrote them.
pub fn provider(lang: Lang, said: &str) -> String {
    let known: &[(&str, &str)] = &[
        (
            "declined by the card issuer (simulated)",
            "avvist av kortutstederen (simulert)",
        ),
        ("declined by the card issuer", "avvist av kortutstederen"),
        ("insufficient funds", "ikke dekning på kontoen"),
        (
            "the terminal stopped answering",
            "terminalen sluttet å svare",
        ),
    ];
    match lang {
        Lang::En => said.to_string(),
        Lang::No => known
            .iter()
            .find(|(en, _)| *en == said)
            .map_or_else(|| said.to_string(), |(_, no)| (*no).to_string()),
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

fn norwegian(en: &str) -> Option<&'static str> {
    Some(match en {
        // Welcome and help
        "Scan the QR code in your app, or tap an item" => {
            "Skann QR-koden i appen din, eller trykk på en vare"
        }
        "Welcome" => "Velkommen",
        "Help" => "Hjelp",
        "Staff is on the way. Staff: enter your PIN." => {
            "Betjeningen kommer. Betjening: tast inn PIN-koden."
        }
        "Weigh food" => "Vei mat",
        "Start" => "Start",
        // Shopping
        "Your items" => "Varene dine",
        "Nothing yet: tap an item or scan a barcode." => {
            "Ingenting ennå: trykk på en vare eller skann en strekkode."
        }
        "Total" => "Totalt",
        "Pay" => "Betal",
        "Cancel purchase" => "Avbryt kjøpet",
        "Member" => "Medlem",
        "Bonus balance" => "Bonussaldo",
        "free" => "gratis",
        "coupon" => "kupong",
        "coffee card" => "kaffekort",
        "Coffee" => "Kaffe",
        "Food by weight" => "Mat etter vekt",
        "Counter" => "Disken",
        "Packaged" => "Pakket",
        "Weigh" => "Vei",
        "Put the food on the scale" => "Legg maten på vekten",
        "Steady" => "Stabil",
        "Moving" => "Beveger seg",
        "No weight" => "Ingen vekt",
        "Add" => "Legg til",
        "Close" => "Lukk",
        "net" => "netto",
        "minimum" => "minst",
        "per kg" => "per kg",
        "Code read" => "Kode lest",
        "Added" => "Lagt til",
        "Coupon used" => "Kupong brukt",
        "Clip used" => "Klipp brukt",
        "clips left" => "klipp igjen",
        "Hello" => "Hei",
        "Camera" => "Kamera",
        // Bonus
        "Use your student bonus?" => "Vil du bruke studentbonusen?",
        "You have" => "Du har",
        "Use" => "Bruk",
        "Yes, use bonus" => "Ja, bruk bonus",
        "No, save it" => "Nei, spar den",
        "Bonus used" => "Bonus brukt",
        // Payment
        "Payment" => "Betaling",
        "To pay" => "Å betale",
        "Card" => "Kort",
        "Vipps" => "Vipps",
        "Cash" => "Kontant",
        "Back to the cart" => "Tilbake til handlekurven",
        "Cancel payment" => "Avbryt betalingen",
        "Follow the instructions on the terminal" => "Følg instruksjonene på terminalen",
        "Scan with Vipps to pay" => "Skann med Vipps for å betale",
        "Payment declined" => "Betalingen ble avvist",
        "Payment cancelled" => "Betalingen ble avbrutt",
        "The terminal did not answer in time" => "Terminalen svarte ikke i tide",
        "Cash given" => "Kontant mottatt",
        "Change" => "Veksel",
        "Too little cash" => "For lite kontanter",
        "Rounded to whole kroner" => "Avrundet til hele kroner",
        "Connecting to the terminal…" => "Kobler til terminalen…",
        "Insert, tap or swipe the card" => "Sett inn, hold mot eller dra kortet",
        "Authorising…" => "Godkjenner…",
        "Approve the payment in the Vipps app" => "Godkjenn betalingen i Vipps-appen",
        "Confirming with Vipps…" => "Bekrefter med Vipps…",
        "Cancelling the payment…" => "Avbryter betalingen…",
        "Starting the payment…" => "Starter betalingen…",
        "The sale could not be saved" => "Kjøpet kunne ikke lagres",
        "The payment is approved and kept: nothing is charged twice. Try again, or call staff." => {
            "Betalingen er godkjent og tatt vare på: ingenting blir trukket to ganger. Prøv igjen, eller tilkall personalet."
        }
        "Try again" => "Prøv igjen",
        "Log in first" => "Logg inn først",
        "Getting the Vipps code…" => "Henter Vipps-koden…",
        "Too many wrong PINs. Try again in" => "For mange feil PIN-koder. Prøv igjen om",
        "Checking the payment with the provider…" => "Sjekker betalingen med betalingstjenesten…",
        "The payment could not be confirmed" => "Betalingen kunne ikke bekreftes",
        "Nothing is charged twice: the payment is checked again. Try again, or call staff." => {
            "Ingenting blir trukket to ganger: betalingen sjekkes på nytt. Prøv igjen, eller tilkall personalet."
        }
        "Completed after a restart, receipt" => "Fullført etter omstart, kvittering",
        "Demo payments" => "Demobetaling",
        "DEMO QR key" => "DEMO-QR-nøkkel",
        "Checking coupons, clips and bonus…" => "Sjekker kuponger, klipp og bonus…",
        "Staff: a payment was taken for the wrong amount" => {
            "Personalet: en betaling ble trukket med feil beløp"
        }
        "The payment was for the wrong amount and is being reversed" => {
            "Betalingen hadde feil beløp og blir tilbakeført"
        }
        "Nothing to pay" => "Ingenting å betale",
        "Complete" => "Fullfør",
        // Receipt and thanks
        "Receipt" => "Kvittering",
        "Do you want a receipt?" => "Vil du ha kvittering?",
        "Print" => "Skriv ut",
        "Show QR" => "Vis QR",
        "No thanks" => "Nei takk",
        "Printing…" => "Skriver ut…",
        "Printed" => "Skrevet ut",
        "Printer problem" => "Problem med skriveren",
        "Scan to get your receipt" => "Skann for å få kvitteringen",
        "Thank you!" => "Takk!",
        "Welcome back" => "Velkommen tilbake",
        "Bonus earned" => "Opptjent bonus",
        "Done" => "Ferdig",
        // Idle
        "Still there?" => "Er du der fortsatt?",
        "The purchase is cancelled in" => "Kjøpet avbrytes om",
        "seconds" => "sekunder",
        "Yes, continue" => "Ja, fortsett",
        "Cancel now" => "Avbryt nå",
        "The purchase was cancelled" => "Kjøpet ble avbrutt",
        // Staff
        "Staff" => "Betjening",
        "Wrong PIN" => "Feil PIN",
        "Enter PIN" => "Tast PIN",
        "Clear" => "Slett",
        "OK" => "OK",
        "Back" => "Tilbake",
        "Attach member" => "Legg til medlem",
        "Member number" => "Medlemsnummer",
        "Unknown member" => "Ukjent medlem",
        "Void line" => "Fjern linje",
        "Paid and saved" => "Betalt og lagret",
        "Left to pay with bonus" => "Å betale med bonus",
        "without" => "uten",
        "Rounding" => "Øreavrunding",
        "Paid with bonus" => "Betalt med bonus",
        "Paid by card" => "Betalt med kort",
        "Paid with Vipps" => "Betalt med Vipps",
        "Paid in cash" => "Betalt kontant",
        "Staff logged out" => "Ansatt logget ut",
        "The barcode was not read. Scan it again." => "Strekkoden ble ikke lest. Skann den igjen.",
        "Keys: 3* quantity · F2 bonus · F4 remove line · F8 pay · F9 cancel · F10 reports · F12 log out" => {
            "Taster: 3* antall · F2 bonus · F4 fjern linje · F8 betal · F9 avbryt · F10 rapporter · F12 logg ut"
        }
        "Keys: F5 card · F6 Vipps · F7 cash · Esc back" => {
            "Taster: F5 kort · F6 Vipps · F7 kontant · Esc tilbake"
        }
        "Keys: F1 X · F2 Z · F3 copy · Esc back" => {
            "Taster: F1 X · F2 Z · F3 kopi · Esc tilbake"
        }
        "Cancel the whole purchase?" => "Avbryte hele kjøpet?",
        "Everything in the cart is removed." => "Alt i handlekurven blir fjernet.",
        "Yes, cancel" => "Ja, avbryt",
        "No, keep shopping" => "Nei, fortsett å handle",
        "Remove this line?" => "Fjerne denne linjen?",
        "Yes, remove" => "Ja, fjern",
        "No, keep it" => "Nei, behold den",
        "Removed line" => "Fjernet linje",
        "Line number" => "Linjenummer",
        "Large text" => "Stor tekst",
        "Normal text" => "Normal tekst",
        "Log out" => "Logg ut",
        // Cashier
        "Cashier login" => "Kasserer: logg inn",
        "Search: name, PLU or barcode" => "Søk: navn, PLU eller strekkode",
        "Quantity" => "Antall",
        "Bonus on request" => "Bonus på forespørsel",
        "Use bonus" => "Bruk bonus",
        "Confirm bonus" => "Bekreft bonus",
        "Reports" => "Rapporter",
        "X report" => "X-rapport",
        "Z report (close the day)" => "Z-rapport (avslutt dagen)",
        "Close the day with a Z report? This is done once per day and cannot be undone." => {
            "Avslutte dagen med Z-rapport? Det gjøres én gang per dag og kan ikke angres."
        }
        "Run the Z report" => "Kjør Z-rapport",
        "Cancel" => "Avbryt",
        "Copy receipt" => "Kopi av kvittering",
        "Last receipt" => "Siste kvittering",
        "Training" => "Opplæring",
        "TRAINING MODE: not a real sale" => "OPPLÆRINGSMODUS: ikke et ekte salg",
        "Open drawer" => "Åpne skuffen",
        "Close the till" => "Steng kassen",
        "Cashier" => "Kasserer",
        "No such product" => "Ingen slik vare",
        "Sale cancelled" => "Kjøpet avbrutt",
        "Copy printed" => "Kopi skrevet ut",
        "Z report already made today" => "Z-rapporten er allerede tatt i dag",
        // Status bar
        "Online" => "Tilkoblet",
        "Offline" => "Frakoblet",
        "queued" => "i kø",
        "Scale" => "Vekt",
        "Scale lost" => "Mistet vekten",
        "Simulated" => "Simulert",
        "No camera" => "Ingen kamera",
        "no ledger configured" => "ingen sentral konfigurert",
        "Till error" => "Feil i kassen",
        _ => return None,
    })
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
