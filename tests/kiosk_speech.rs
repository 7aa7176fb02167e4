//! Speech mode (issue 19) on the assembled kiosk: what it says through a
//! full self-service purchase in both languages (a recording speaker in
//! place of espeak-ng), how it is switched on without needing it (OK held
//! for two seconds, or the welcome screen's button), that it ends with the
//! sale, the "still there?" warning, a missing espeak-ng; and the same
//! utterances rendered by espeak-ng into WAV files and measured.

mod harness;

use harness::*;
use iced::keyboard::{self, Key, key::Named};
use kasse::devices::speech::{Espeak, Recorder, Speaker, Voice, render_wav};
use kasse::ui::screen::welcome::{SPEECH_BUTTON, SPEECH_HINT};
use std::sync::Arc;

fn speaking(k: &mut Kiosk) -> Recorder {
    let rec = Recorder::default();
    k.app.set_speaker(Arc::new(rec.clone()));
    rec
}

fn enter(repeat: bool) -> keyboard::Event {
    match key_event(Key::Named(Named::Enter), None) {
        keyboard::Event::KeyPressed {
            key,
            modified_key,
            physical_key,
            location,
            modifiers,
            text,
            ..
        } => keyboard::Event::KeyPressed {
            key,
            modified_key,
            physical_key,
            location,
            modifiers,
            text,
            repeat,
        },
        other => other,
    }
}

fn enter_released() -> keyboard::Event {
    use iced::keyboard::{Location, Modifiers, key};
    keyboard::Event::KeyReleased {
        key: Key::Named(Named::Enter),
        modified_key: Key::Named(Named::Enter),
        physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
        location: Location::Standard,
        modifiers: Modifiers::default(),
    }
}

/// OK held from `start` for `held`, with the window's key repeats every
/// 100 ms, then released.
fn hold_ok(k: &mut Kiosk, start: Instant, held: Duration) {
    k.send(Message::Key(start, enter(false)));
    let mut at = start + Duration::from_millis(500);
    while at <= start + held {
        k.send(Message::Key(at, enter(true)));
        at += Duration::from_millis(100);
    }
    k.send(Message::Key(start + held, enter_released()));
}

/// Runs `step` and returns what was said during it.
fn said(rec: &Recorder, k: &mut Kiosk, step: impl FnOnce(&mut Kiosk)) -> Vec<(Voice, String)> {
    step(k);
    rec.take()
}

/// One utterance in `voice` containing each of `parts`.
#[track_caller]
fn one(got: Vec<(Voice, String)>, voice: Voice, parts: &[&str]) -> String {
    assert_eq!(got.len(), 1, "one utterance: {got:?}");
    let (v, text) = got.into_iter().next().unwrap();
    assert_eq!(v, voice, "{text}");
    for p in parts {
        assert!(text.contains(p), "{p:?} in {text:?}");
    }
    text
}

/// The screen's words of a self-service purchase in one language, and
/// what speech says for them.
struct Words {
    voice: Voice,
    weighed: &'static str,
    coffee: &'static str,
    add: &'static str,
    pay: &'static str,
    yes_bonus: &'static str,
    card: &'static str,
    no_receipt: &'static str,
    /// Said on each arrival, in order.
    welcome: &'static str,
    hello: &'static str,
    weigh: &'static str,
    added: &'static str,
    coupon: &'static str,
    bonus: &'static str,
    payment: &'static str,
    terminal: &'static str,
    present: &'static str,
    receipt: &'static str,
    thanks: &'static str,
}

const NORWEGIAN: Words = Words {
    voice: Voice::Bokmal,
    weighed: "Mat etter vekt",
    coffee: "Kaffe",
    add: "Legg til",
    pay: "Betal",
    yes_bonus: "Ja, bruk bonus",
    card: "Kort",
    no_receipt: "Nei takk",
    welcome: "Velkommen. Skann QR-koden i appen din, eller trykk på en vare",
    hello: "Hei Ola Nordmann",
    weigh: "Vei mat. Legg maten på vekten",
    added: "Lagt til: Middag etter vekt syttisju kroner og åttisju øre. Varene dine: en vare",
    coupon: "Kupong brukt",
    bonus: "Vil du bruke studentbonusen? Du har: tolv kroner og førti øre",
    payment: "Betaling. Å betale: ",
    terminal: "Følg instruksjonene på terminalen",
    present: "Sett inn, hold mot eller dra kortet",
    receipt: "Betalt og lagret. Vil du ha kvittering?",
    thanks: "Takk! Totalt: ",
};

const ENGLISH: Words = Words {
    voice: Voice::English,
    weighed: "By weight",
    coffee: "Coffee",
    add: "Add",
    pay: "Pay",
    yes_bonus: "Yes, use bonus",
    card: "Card",
    no_receipt: "No thanks",
    welcome: "Welcome. Scan the QR code in your app, or tap an item",
    hello: "Hello Ola Nordmann",
    weigh: "Weigh food. Put the food on the scale",
    added: "Added: Middag etter vekt seventy-seven kroner and eighty-seven øre. Your items: one item",
    coupon: "Coupon used",
    bonus: "Use your student bonus? You have: twelve kroner and forty øre",
    payment: "Payment. To pay: ",
    terminal: "Follow the instructions on the terminal",
    present: "Insert, tap or swipe the card",
    receipt: "Paid and saved. Do you want a receipt?",
    thanks: "Thank you! Total: ",
};

/// A student switches speech on by holding OK, then buys weighed food and a
/// coffee with a coupon, uses the bonus and pays by card; everything the
/// kiosk said, one utterance per screen arrival, notice or step.
fn purchase(lang: &Words, english: bool) -> Vec<(Voice, String)> {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    let mut all = Vec::new();
    let mut keep = |got: Vec<(Voice, String)>, parts: &[&str]| {
        let voice = got.first().map(|g| g.0);
        let text = one(got, voice.unwrap_or(lang.voice), parts);
        eprintln!("said: {text}");
        all.push((voice.unwrap_or(lang.voice), text));
    };
    let t = k.t0;
    let on = said(&rec, &mut k, |k| hold_ok(k, t, Duration::from_secs(2)));
    assert!(k.app.speech_on(), "OK held for 2 s switches speech on");
    keep(on, &["Tale er på", "Velkommen"]);
    if english {
        let got = said(&rec, &mut k, |k| k.click("English"));
        assert_eq!(got[0].0, Voice::English);
        keep(got, &[lang.welcome]);
    }
    keep(said(&rec, &mut k, |k| k.scan(OLA)), &[lang.hello]);
    let tab = said(&rec, &mut k, |k| k.click(lang.weighed));
    assert!(tab.is_empty(), "a category tab is no new screen: {tab:?}");
    keep(
        said(&rec, &mut k, |k| {
            k.click("Middag etter vekt\nkr 189,00 per kg")
        }),
        &[lang.weigh],
    );
    let quiet = said(&rec, &mut k, |k| {
        k.send(Message::Scale(ScaleReport::Weight {
            grams: 412,
            stable: true,
        }))
    });
    assert!(quiet.is_empty(), "the scale's readings are not said");
    keep(said(&rec, &mut k, |k| k.click(lang.add)), &[lang.added]);
    assert!(said(&rec, &mut k, |k| k.click(lang.coffee)).is_empty());
    keep(
        said(&rec, &mut k, |k| k.click("Kaffe\nkr 25,00")),
        &["Kaffe"],
    );
    keep(
        said(&rec, &mut k, |k| k.scan(OLA_COFFEE_COUPON)),
        &[lang.coupon],
    );
    let total = k.app.till().sale().total();
    let pay = format!("{}  {}", lang.pay, kasse::ui::text::kr(total));
    keep(said(&rec, &mut k, |k| k.click(&pay)), &[lang.bonus]);
    let to_pay = said(&rec, &mut k, |k| k.click(lang.yes_bonus));
    let due = total - "12.40".parse().unwrap();
    let due_words = kasse::ui::app::speak::amount(k.app.lang(), due);
    keep(to_pay, &[lang.payment, &due_words]);
    keep(said(&rec, &mut k, |k| k.click(lang.card)), &[lang.terminal]);
    keep(
        said(&rec, &mut k, |k| {
            k.provider(PaymentUpdate::Progress(Step::PresentCard))
        }),
        &[lang.present],
    );
    keep(said(&rec, &mut k, |k| k.approve("T-1")), &[lang.receipt]);
    keep(
        said(&rec, &mut k, |k| k.click(lang.no_receipt)),
        &[lang.thanks],
    );
    assert_eq!(k.sales(), 1);
    // The sale ends: the welcome screen is said once more, then speech is
    // off for the next customer, in the configured language.
    keep(
        said(&rec, &mut k, |k| {
            k.send(Message::Tick(k.t0 + Duration::from_secs(10)))
        }),
        &["Velkommen"],
    );
    assert!(!k.app.speech_on(), "speech ends with the sale");
    let next = said(&rec, &mut k, |k| k.click("Kaffe"));
    assert!(next.is_empty(), "the next sale starts silent: {next:?}");
    all
}

#[test]
fn a_full_purchase_is_spoken_in_norwegian() {
    let all = purchase(&NORWEGIAN, false);
    assert_eq!(all.len(), 13);
    assert!(all.iter().all(|(v, _)| *v == Voice::Bokmal));
    assert!(
        all.iter().all(|(_, t)| !t.contains("kr ")),
        "amounts in words: {all:?}"
    );
}

#[test]
fn a_full_purchase_is_spoken_in_english() {
    let all = purchase(&ENGLISH, true);
    assert_eq!(all.len(), 14);
    // Switched on in the configured language, then English until the sale
    // ends and the next customer's welcome is in the configured one again.
    assert!(all[1..13].iter().all(|(v, _)| *v == Voice::English));
    assert_eq!(all[13].0, Voice::Bokmal);
    assert!(all.iter().all(|(_, t)| !t.contains("kr ")), "{all:?}");
}

#[test]
fn speech_is_switched_by_the_welcome_button_and_not_by_a_short_press() {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    assert!(k.shows(SPEECH_HINT), "the welcome screen says how, in both");
    let t = k.t0;
    hold_ok(&mut k, t, Duration::from_millis(1500));
    assert!(!k.app.speech_on(), "1.5 s is no hold");
    // A keypad that sends no repeats: the release tells the time held.
    k.send(Message::Key(t + Duration::from_secs(5), enter(false)));
    k.send(Message::Key(t + Duration::from_secs(7), enter_released()));
    assert!(k.app.speech_on());
    assert_eq!(rec.take().len(), 1);
    k.click(SPEECH_BUTTON);
    assert!(!k.app.speech_on());
    one(rec.take(), Voice::Bokmal, &["Tale er av"]);
    k.click(SPEECH_BUTTON);
    assert!(k.app.speech_on());
    one(rec.take(), Voice::Bokmal, &["Tale er på", "Velkommen"]);
    // Cancelling the sale ends speech mode too, after saying so.
    k.click("Kaffe");
    rec.take();
    k.click("Avbryt kjøpet");
    one(rec.take(), Voice::Bokmal, &["Avbryte hele kjøpet?"]);
    k.click("Ja, avbryt");
    one(rec.take(), Voice::Bokmal, &["Kjøpet avbrutt", "Velkommen"]);
    assert!(!k.app.speech_on());
}

#[test]
fn the_still_there_warning_is_spoken_and_any_key_gives_more_time() {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    k.click(SPEECH_BUTTON);
    k.click("Kaffe");
    rec.take();
    let s = Duration::from_secs;
    k.send(Message::Tick(k.t0 + s(60)));
    assert!(k.shows("Er du der fortsatt?"));
    one(
        rec.take(),
        Voice::Bokmal,
        &["Er du der fortsatt? Kjøpet avbrytes om tretti sekunder. Trykk på en tast"],
    );
    k.send(Message::Key(
        k.t0 + s(61),
        key_event(Key::Named(Named::Escape), None),
    ));
    assert!(!k.shows("Er du der fortsatt?"), "any key gives more time");
    k.send(Message::Tick(k.t0 + s(100)));
    assert_eq!(k.total(), "25.00", "the sale goes on");
    // A refusal is said as it is shown.
    let sig = OLA.rsplit('.').next().unwrap();
    k.scan(&format!("SSN1.M.M-100002.1830297600.{sig}"));
    one(rec.take(), Voice::Bokmal, &["Denne koden er ikke ekte."]);
}

#[test]
fn without_espeak_ng_speech_mode_says_so_and_the_till_keeps_selling() {
    let mut k = kiosk(Mode::SelfService);
    k.app
        .set_speaker(Arc::new(Espeak::program("kasse-test-no-such-espeak-ng")));
    k.click(SPEECH_BUTTON);
    assert!(k.app.speech_on());
    assert!(
        k.shows("⚠ Tale virker ikke: kasse-test-no-such-espeak-ng is not installed"),
        "{}",
        k.app.status.speech
    );
    k.click("Kaffe");
    assert_eq!(k.total(), "25.00");
}

/// A WAV file's seconds of audio and its loudest sample (16-bit PCM).
fn measure(path: &Path) -> (f64, i16) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"RIFF", "{}", path.display());
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
        + 8;
    let samples: Vec<i16> = bytes[data..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let peak = samples
        .iter()
        .map(|s| s.saturating_abs())
        .max()
        .unwrap_or(0);
    (samples.len() as f64 / f64::from(rate), peak)
}

#[test]
fn every_utterance_of_a_purchase_renders_to_plausible_audio() {
    let dir = tempfile::tempdir().unwrap();
    for (words, english) in [(&NORWEGIAN, false), (&ENGLISH, true)] {
        let all = purchase(words, english);
        for (i, (voice, text)) in all.iter().enumerate() {
            let path = dir.path().join(format!("{english}-{i}.wav"));
            render_wav(*voice, text, &path).unwrap();
            let (seconds, peak) = measure(&path);
            // espeak-ng at 160 words a minute: 8 to 25 characters a second.
            let chars = text.chars().count() as f64;
            assert!(
                seconds > chars / 25.0 && seconds < chars / 8.0 + 1.0,
                "{seconds:.2} s for {chars} characters: {text:?}"
            );
            assert!(peak > 3000, "not silent: peak {peak} in {text:?}");
        }
    }
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 13 + 14, "one file per utterance");
}

#[test]
fn the_espeak_speaker_writes_each_utterance_and_a_new_one_interrupts() {
    let dir = tempfile::tempdir().unwrap();
    let speaker = Espeak::writing_to(dir.path());
    assert_eq!(speaker.problem(), None, "espeak-ng is installed");
    // espeak-ng writes the RIFF size when it closes the file.
    let complete = |n: usize| {
        let path = dir.path().join(format!("{n}.wav"));
        std::fs::read(&path).ok().is_some_and(|b| {
            b.len() > 44 && u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize == b.len() - 8
        })
    };
    let done = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !complete(n) {
            assert!(Instant::now() < deadline, "{n}.wav never completed");
            std::thread::sleep(Duration::from_millis(20));
        }
        dir.path().join(format!("{n}.wav"))
    };
    speaker.say(Voice::Bokmal, "Tjueni kroner og femti øre.");
    let (nb, _) = measure(&done(1));
    speaker.say(Voice::English, "Twenty-nine kroner and fifty øre.");
    let (en, _) = measure(&done(2));
    assert!(nb > 1.0 && en > 1.0, "{nb} {en}");
    // A long text, then at once a short one: the long one is cut off (or
    // never started), the short one is said whole.
    let long = "Velkommen til kantina. ".repeat(200);
    speaker.say(Voice::Bokmal, &long);
    speaker.say(Voice::Bokmal, "Hei.");
    // The short one is 4.wav, or 3.wav when the long one was never started.
    let deadline = Instant::now() + Duration::from_secs(20);
    let last = loop {
        if complete(4) {
            break 4;
        }
        if complete(3) && measure(&done(3)).0 < 2.0 {
            break 3;
        }
        assert!(Instant::now() < deadline, "the short utterance never came");
        std::thread::sleep(Duration::from_millis(20));
    };
    let (short, peak) = measure(&done(last));
    assert!(short > 0.2 && short < 2.0 && peak > 3000, "{short} {peak}");
    let full = dir.path().join("full.wav");
    render_wav(Voice::Bokmal, &long, &full).unwrap();
    let (whole, _) = measure(&full);
    assert!(whole > 60.0, "{whole}");
    if last == 4 {
        let cut = std::fs::read(dir.path().join("3.wav")).map_or(0, |b| b.len());
        let whole_len = std::fs::metadata(&full).unwrap().len() as usize;
        assert!(cut < whole_len, "interrupted: {cut} of {whole_len} bytes");
    }
}

/// A key pressed and released (OK presses the focused control on release).
fn arrow(k: &mut Kiosk, named: Named) {
    k.send(Message::Key(
        Instant::now(),
        key_event(Key::Named(named), None),
    ));
    if named == Named::Enter {
        k.send(Message::Key(Instant::now(), enter_released()));
    }
}

#[test]
fn the_keypad_moves_a_spoken_focus_and_ok_presses_it_through_to_payment() {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    k.click(SPEECH_BUTTON);
    rec.take();
    assert_eq!(k.app.focused(), None, "no focus until an arrow is pressed");
    arrow(&mut k, Named::ArrowDown);
    assert_eq!(k.app.focused().as_deref(), Some("English"));
    one(rec.take(), Voice::Bokmal, &["English"]);
    arrow(&mut k, Named::ArrowDown);
    one(rec.take(), Voice::Bokmal, &["Hjelp"]);
    arrow(&mut k, Named::ArrowRight);
    let first = k.app.focused().unwrap();
    one(rec.take(), Voice::Bokmal, &[&first]);
    // Up wraps round to the last control, the low-layout switch.
    arrow(&mut k, Named::ArrowUp);
    arrow(&mut k, Named::ArrowUp);
    arrow(&mut k, Named::ArrowUp);
    assert_eq!(
        k.app.focused().as_deref(),
        Some(kasse::ui::screen::welcome::LOW_BUTTON)
    );
    rec.take();
    arrow(&mut k, Named::ArrowDown);
    arrow(&mut k, Named::ArrowDown);
    arrow(&mut k, Named::ArrowDown);
    assert_eq!(k.app.focused().as_deref(), Some(first.as_str()));
    rec.take();
    // OK presses the focused item: it is added, the cart arrives, the
    // focus starts over.
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "shopping");
    assert_eq!(k.app.till().sale().lines.len(), 1);
    one(
        rec.take(),
        Voice::Bokmal,
        &["Lagt til", "Varene dine: en vare"],
    );
    assert_eq!(k.app.focused(), None);
    // Language, Help, then Pay.
    for _ in 0..3 {
        arrow(&mut k, Named::ArrowDown);
    }
    let pay = k.app.focused().unwrap();
    assert!(pay.starts_with("Betal  kr "), "{pay}");
    let moves = rec.take();
    assert_eq!(moves.len(), 3, "one utterance per move: {moves:?}");
    assert_eq!(moves[2].1, "Betal  tjuefem kroner.", "the amount in words");
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "payment");
    one(rec.take(), Voice::Bokmal, &["Betaling. Å betale:"]);
}

/// Near-black pixels (the focus ring's colour) on the row through the
/// middle of `label`, between the left edge of its button and the text.
fn ring_pixels(k: &Kiosk, label: &str, dir: &Path, name: &str) -> usize {
    use iced_test::selector::Candidate;
    let size = iced::Size::new(1280.0, 800.0);
    let mut ui = iced_test::Simulator::with_size(Default::default(), size, k.app.view());
    let bounds = ui
        .find(|c: Candidate<'_>| match c {
            Candidate::Text {
                content, bounds, ..
            } if content == label => Some(bounds),
            _ => None,
        })
        .unwrap();
    let snap = ui.snapshot(&kasse::ui::theme::theme()).unwrap();
    assert!(snap.matches_image(dir.join(name)).unwrap());
    let png = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .unwrap();
    let img = image::open(png).unwrap().to_rgba8();
    let scale = img.width() as f32 / size.width;
    let y = ((bounds.y + bounds.height / 2.0) * scale) as u32;
    let right = (bounds.x * scale) as u32;
    // The button is 150 px wide; the text centred in it.
    let left = right.saturating_sub((75.0 * scale) as u32);
    (left..right)
        .filter(|&x| img.get_pixel(x, y).0[..3].iter().all(|&c| c < 50))
        .count()
}

#[test]
fn the_focus_ring_is_drawn_on_the_focused_control_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = kiosk(Mode::SelfService);
    let before = ring_pixels(&k, "English", dir.path(), "before");
    arrow(&mut k, Named::ArrowDown);
    assert_eq!(k.app.focused().as_deref(), Some("English"));
    let focused = ring_pixels(&k, "English", dir.path(), "focused");
    eprintln!("ring pixels: before {before}, focused {focused}");
    assert_eq!(before, 0, "no ring before the keypad is used");
    assert!(focused >= 3, "a ring of near-black pixels: {focused}");
    // Without speech the keypad works the same, silently.
    arrow(&mut k, Named::ArrowDown);
    arrow(&mut k, Named::ArrowDown);
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.till().sale().lines.len(), 1);
}

#[test]
fn holding_ok_on_a_focused_control_switches_speech_and_presses_nothing() {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    for _ in 0..3 {
        arrow(&mut k, Named::ArrowDown);
    }
    let item = k.app.focused().unwrap();
    assert_ne!(item, "English");
    let t = Instant::now();
    hold_ok(&mut k, t, Duration::from_secs(2));
    assert!(k.app.speech_on());
    assert!(k.app.till().sale().is_empty(), "{item} was not pressed");
    one(rec.take(), Voice::Bokmal, &["Tale er på"]);
    // A short OK presses it.
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.till().sale().lines.len(), 1);
}

/// Arrow Down until the focus is on `label` (at most once round the screen).
fn focus_on(k: &mut Kiosk, label: &str) {
    for _ in 0..40 {
        if k.app.focused().as_deref() == Some(label) {
            return;
        }
        arrow(k, Named::ArrowDown);
    }
    panic!(
        "no `{label}` for the keypad on the {} screen (focus: {:?})",
        k.app.screen.name(),
        k.app.focused()
    );
}

/// A whole self-service purchase with nothing but the arrows and OK (and
/// the student's phone held to the camera): member, coupon, weighed food,
/// bonus, card, no receipt, done — in `english` or Norwegian.
fn keypad_purchase(english: bool) {
    let mut k = kiosk(Mode::SelfService);
    let t = |no: &'static str, en: &'static str| if english { en } else { no };
    if english {
        focus_on(&mut k, "English");
        arrow(&mut k, Named::Enter);
    }
    k.scan(OLA);
    k.scan(OLA_COFFEE_COUPON);
    assert_eq!(k.app.screen.name(), "shopping");
    focus_on(&mut k, "Kaffe\nkr 25,00");
    arrow(&mut k, Named::Enter);
    focus_on(&mut k, t("Mat etter vekt", "By weight"));
    arrow(&mut k, Named::Enter);
    let weighed = k
        .app
        .till()
        .catalog()
        .products()
        .iter()
        .find(|p| p.is_weighed())
        .map(|p| p.name.clone())
        .expect("a weighed product");
    let tile = k
        .app
        .focused_labels()
        .into_iter()
        .find(|l| l.starts_with(&format!("{weighed}\n")));
    focus_on(&mut k, &tile.expect("the weighed product's tile"));
    arrow(&mut k, Named::Enter);
    k.send(Message::Scale(ScaleReport::Weight {
        grams: 412,
        stable: true,
    }));
    focus_on(&mut k, t("Legg til", "Add"));
    arrow(&mut k, Named::Enter);
    let lines = &k.app.till().sale().lines;
    assert!(
        lines.iter().any(|l| l.grams.is_some()),
        "the dish is weighed"
    );
    assert!(
        lines.iter().any(|l| l.discount.is_some()),
        "the coupon took its coffee"
    );
    let pay = format!(
        "{}  {}",
        t("Betal", "Pay"),
        kasse::ui::text::kr(k.app.till().sale().total())
    );
    focus_on(&mut k, &pay);
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "bonus");
    focus_on(&mut k, t("Ja, bruk bonus", "Yes, use bonus"));
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "payment");
    focus_on(&mut k, t("Kort", "Card"));
    arrow(&mut k, Named::Enter);
    k.approve("T-KEYPAD");
    assert_eq!(k.app.screen.name(), "receipt");
    focus_on(&mut k, t("Nei takk", "No thanks"));
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "thanks");
    focus_on(&mut k, t("Ferdig", "Done"));
    arrow(&mut k, Named::Enter);
    assert_eq!(k.app.screen.name(), "welcome");
    let sales = k.app.till().store().transactions(0, u64::MAX).unwrap();
    assert_eq!(sales.len(), 1);
    let s = &sales[0];
    assert!(
        s.tenders.iter().any(|t| t.kind == "bonus") && s.tenders.iter().any(|t| t.kind == "card"),
        "bonus and card: {:?}",
        s.tenders.iter().map(|t| t.kind.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn a_whole_purchase_with_the_arrows_and_ok_alone_in_norwegian() {
    keypad_purchase(false);
}

#[test]
fn a_whole_purchase_with_the_arrows_and_ok_alone_in_english() {
    keypad_purchase(true);
}

#[test]
fn back_goes_back_a_step_from_the_weigh_panel_and_the_bonus_question() {
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    k.send(Message::Do(Action::OpenWeigh));
    assert!(matches!(&k.app.screen, kasse::ui::app::Screen::Shopping(s) if s.weighing.is_some()));
    arrow(&mut k, Named::Escape);
    assert!(matches!(&k.app.screen, kasse::ui::app::Screen::Shopping(s) if s.weighing.is_none()));
    k.tap("KAFFE", 1);
    k.send(Message::Do(Action::Pay));
    assert_eq!(k.app.screen.name(), "bonus");
    arrow(&mut k, Named::Escape);
    assert_eq!(k.app.screen.name(), "shopping");
    assert_eq!(
        k.app.till().sale().lines.len(),
        1,
        "nothing lost going back"
    );
}

#[test]
fn with_speech_off_the_still_there_warning_alone_is_said_aloud() {
    let mut k = kiosk(Mode::SelfService);
    let rec = speaking(&mut k);
    k.click("Kaffe");
    assert!(rec.take().is_empty(), "speech off: a tap says nothing");
    k.send(Message::Tick(k.t0 + Duration::from_secs(60)));
    assert!(k.shows("Er du der fortsatt?"), "shown");
    let said = rec.take();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].1.starts_with("Er du der fortsatt?"), "{said:?}");
    assert!(!k.app.speech_on(), "and speech mode stays off");
}
