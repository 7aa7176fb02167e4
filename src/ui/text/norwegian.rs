//! The Norwegian (bokmål) words of the screens, by their English text:
//! `tr` looks them up; a text missing here is caught by the tests of
//! `ui::text`.

pub(super) fn norwegian(en: &str) -> Option<&'static str> {
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
        "By weight" => "Mat etter vekt",
        "Counter" => "Disken",
        "Packaged" => "Pakket",
        "Weigh" => "Vei",
        "Put the food on the scale" => "Legg maten på vekten",
        "The scale is not answering: ask staff" => "Vekten svarer ikke: spør betjeningen",
        "Take the food off the scale before weighing the next" => {
            "Ta maten av vekten før du veier den neste"
        }
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
        "Keys: 3* quantity · F2 bonus · F4 remove line · F6 return · F8 pay · F9 cancel · F10 reports · F12 log out" => {
            "Taster: 3* antall · F2 bonus · F4 fjern linje · F6 retur · F8 betal · F9 avbryt · F10 rapporter · F12 logg ut"
        }
        // Returns (the cashier's)
        "Return" => "Retur",
        "Type the receipt number and press Enter, or scan the receipt's QR code." => {
            "Skriv kvitteringsnummeret og trykk Enter, eller skann QR-koden på kvitteringen."
        }
        "Receipt number" => "Kvitteringsnummer",
        "Find the sale" => "Finn salget",
        "Looking up the sale…" => "Slår opp salget …",
        "back" => "retur",
        "Sales receipt" => "Salgskvittering",
        "Tap a line (or press its number) once per unit going back." => {
            "Trykk på en linje (eller tallet) én gang per enhet som leveres tilbake."
        }
        "All" => "Alle",
        "Go on" => "Videre",
        "Back in all" => "Tilbake i alt",
        "Bonus back to the student" => "Bonus tilbake til studenten",
        "Bonus earned on these lines, taken back" => {
            "Bonus opptjent på disse linjene, trukket tilbake"
        }
        "to the card" => "tilbake til kortet",
        "to Vipps" => "tilbake til Vipps",
        "in cash from the drawer" => "kontant fra skuffen",
        "Refund" => "Betal tilbake",
        "Save the return again" => "Lagre returen på nytt",
        "Refunding… wait until it is finished." => "Betaler tilbake … vent til det er ferdig.",
        "✓ Returned and saved" => "✓ Returnert og lagret",
        "Returned and saved" => "Returnert og lagret",
        "Refund not saved, check at the provider" => {
            "Tilbakebetaling ikke lagret, sjekk hos leverandøren"
        }
        "Keys: Enter go on · 1–9 line · F8 all · Escape back" => {
            "Taster: Enter videre · 1–9 linje · F8 alle · Esc tilbake"
        }
        "The refund was refused; nothing was returned" => {
            "Tilbakebetalingen ble avvist; ingenting ble returnert"
        }
        "Keys: F5 card · F6 Vipps · F7 cash · Esc back" => {
            "Taster: F5 kort · F6 Vipps · F7 kontant · Esc tilbake"
        }
        "Keys: F1 X · F2 Z · F3 copy · F5 cash in · F6 cash out · Esc back" => {
            "Taster: F1 X · F2 Z · F3 kopi · F5 innskudd · F6 uttak · Esc tilbake"
        }
        // The drawer
        "Opening float" => "Vekselbeholdning",
        "Count the cash in the drawer and type the amount (0 if it is empty)." => {
            "Tell kontantene i skuffen og skriv beløpet (0 hvis den er tom)."
        }
        "Cash in" => "Innskudd",
        "Cash out" => "Uttak",
        "Type the amount put into the drawer and choose why." => {
            "Skriv beløpet som legges i skuffen, og velg hvorfor."
        }
        "Type the amount taken out of the drawer and choose why." => {
            "Skriv beløpet som tas ut av skuffen, og velg hvorfor."
        }
        "Count the cash" => "Tell opp kontantene",
        "Count all the cash in the drawer and type the amount. Then the Z report." => {
            "Tell alle kontantene i skuffen og skriv beløpet. Så kommer Z-rapporten."
        }
        "Amount" => "Beløp",
        "Why? (required for Other)" => "Hvorfor? (må fylles ut for Annet)",
        "Keys: digits and , amount · ↑↓ reason · Enter OK · Esc back" => {
            "Taster: sifre og , beløp · ↑↓ årsak · Enter OK · Esc tilbake"
        }
        "Keys: digits and , amount · Enter OK" => "Taster: sifre og , beløp · Enter OK",
        "Keys: digits and , amount · Enter OK · Esc back" => {
            "Taster: sifre og , beløp · Enter OK · Esc tilbake"
        }
        "Reason" => "Årsak",
        "Opening float recorded" => "Vekselbeholdning registrert",
        "Cash in recorded" => "Innskudd registrert",
        "Cash out recorded" => "Uttak registrert",
        "Cash counted" => "Opptalte kontanter",
        "The drawer should hold" => "Skuffen skal ha",
        "The drawer should hold only" => "Skuffen skal bare ha",
        "Check the amount." => "Sjekk beløpet.",
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
        "Standalone" => "Frittstående",
        "unknown member: no student offers" => "ukjent medlem: ingen studenttilbud",
        "not a student now: no student offers" => "ikke student nå: ingen studenttilbud",
        "Till error" => "Feil i kassen",
        _ => return None,
    })
}
