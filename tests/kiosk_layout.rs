//! Every screen of the assembled kiosk rendered at 1280×800 and 1024×768,
//! in Norwegian and English, with normal and large text: no text outside
//! the window, none cut by its container, no two texts on top of each
//! other (a control under another); and a notice coming or going moves
//! nothing. Texts inside a scrolling list may be scrolled out of view.

mod harness;

use harness::*;
use iced::{Rectangle, Size};
use iced_test::selector::Candidate;

/// A text as laid out: content, bounds, and the part actually visible.
#[derive(Clone, Debug)]
struct Laid {
    content: String,
    bounds: Rectangle,
    visible: Option<Rectangle>,
}

/// The texts and scroll areas of the current view at `size`.
fn layout(k: &Kiosk, size: Size) -> (Vec<Laid>, Vec<Rectangle>) {
    let mut ui = iced_test::Simulator::with_size(Default::default(), size, k.app.view());
    let mut texts = Vec::new();
    let mut scrolls = Vec::new();
    let _ = ui.find(|c: Candidate<'_>| {
        match c {
            Candidate::Text {
                content,
                bounds,
                visible_bounds,
                ..
            } if !content.trim().is_empty() => texts.push(Laid {
                content: content.to_string(),
                bounds,
                visible: visible_bounds,
            }),
            // The whole scrolled content, from the top of the viewport.
            Candidate::Scrollable {
                bounds,
                content_bounds,
                ..
            } => scrolls.push(Rectangle {
                height: bounds.height.max(content_bounds.height),
                ..bounds
            }),
            _ => {}
        }
        None::<()>
    });
    (texts, scrolls)
}

fn inside(outer: Rectangle, inner: Rectangle) -> bool {
    const E: f32 = 0.5;
    inner.x >= outer.x - E
        && inner.y >= outer.y - E
        && inner.x + inner.width <= outer.x + outer.width + E
        && inner.y + inner.height <= outer.y + outer.height + E
}

fn overlap(a: Rectangle, b: Rectangle) -> bool {
    const E: f32 = 1.0;
    a.x + E < b.x + b.width
        && b.x + E < a.x + a.width
        && a.y + E < b.y + b.height
        && b.y + E < a.y + a.height
}

/// The questions drawn over a screen: under one, only the question counts.
const OVERLAYS: [&str; 6] = [
    "Cancel the whole purchase?",
    "Avbryte hele kjøpet?",
    "Remove this line?",
    "Fjerne denne linjen?",
    "Still there?",
    "Er du der fortsatt?",
];

/// What is wrong with the current view at `size`, in words.
fn faults(k: &Kiosk, size: Size) -> Vec<String> {
    let (mut texts, scrolls) = layout(k, size);
    if let Some(top) = texts
        .iter()
        .position(|t| OVERLAYS.contains(&t.content.as_str()))
    {
        texts.drain(..top);
    }
    let window = Rectangle::new(iced::Point::ORIGIN, size);
    let scrolled = |r: Rectangle| scrolls.iter().any(|s| overlap(*s, r) || inside(*s, r));
    let mut faults = Vec::new();
    for t in &texts {
        if scrolled(t.bounds) {
            continue;
        }
        if !inside(window, t.bounds) {
            faults.push(format!(
                "`{}` lies outside the window: {:?}",
                t.content, t.bounds
            ));
        } else if t.visible.is_none_or(|v| !inside(v, t.bounds)) {
            faults.push(format!(
                "`{}` is cut: {:?} of {:?}",
                t.content, t.visible, t.bounds
            ));
        }
    }
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            if !scrolled(a.bounds) && !scrolled(b.bounds) && overlap(a.bounds, b.bounds) {
                faults.push(format!("`{}` and `{}` overlap", a.content, b.content));
            }
        }
    }
    faults
}

/// Brings a fresh kiosk to one screen; the name is for the failure message.
type Setup = fn(&mut Kiosk);

fn screens() -> Vec<(&'static str, Mode, Setup)> {
    vec![
        ("welcome", Mode::SelfService, |_| {}),
        ("shopping with a member", Mode::SelfService, |k| {
            k.scan(OLA);
            k.tap("KAFFE", 1);
        }),
        ("shopping with twelve lines", Mode::SelfService, |k| {
            k.scan(OLA);
            for sku in ["KAFFE", "SKOLEBOLLE", "KAFFE", "SKOLEBOLLE"].repeat(3) {
                k.tap(sku, 1);
            }
        }),
        ("weighing", Mode::SelfService, |k| {
            k.send(Message::Do(Action::OpenWeigh));
            k.send(Message::Scale(ScaleReport::Weight {
                grams: 412,
                stable: true,
            }));
        }),
        (
            "weighing, the plate already on the sale",
            Mode::SelfService,
            |k| {
                use kasse::ui::screen::shopping::Message as Shop;
                k.send(Message::Do(Action::OpenWeigh));
                k.send(Message::Scale(ScaleReport::Weight {
                    grams: 412,
                    stable: true,
                }));
                k.send(Message::Shopping(Shop::Weigh("VEKT".into())));
                k.send(Message::Shopping(Shop::AddWeighed));
                k.send(Message::Shopping(Shop::Weigh("VEKT".into())));
            },
        ),
        ("weighing, the scale lost", Mode::SelfService, |k| {
            k.send(Message::Do(Action::OpenWeigh));
            k.send(Message::Shopping(
                kasse::ui::screen::shopping::Message::Weigh("VEKT".into()),
            ));
            k.send(Message::Scale(ScaleReport::Status {
                text: kasse::ui::devices::DeviceState::Lost,
                ok: false,
            }));
        }),
        ("bonus question", Mode::SelfService, |k| {
            k.scan(OLA);
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Pay));
        }),
        ("payment choice", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Pay));
        }),
        ("card payment running", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Pay));
            k.send(Message::Do(Action::Tender {
                kind: kasse::domain::TenderKind::Card,
                cash_given: None,
            }));
        }),
        ("vipps code shown", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Pay));
            k.send(Message::Do(Action::Tender {
                kind: kasse::domain::TenderKind::Vipps,
                cash_given: None,
            }));
            k.provider(PaymentUpdate::ShowQr("https://qr.vipps.no/example".into()));
        }),
        ("receipt choice", Mode::SelfService, paid_by_card),
        ("receipt on screen", Mode::SelfService, |k| {
            paid_by_card(k);
            k.send(Message::Do(Action::Receipt(
                kasse::ui::screen::receipt::Choice::Print,
            )));
        }),
        ("thank you", Mode::SelfService, |k| {
            paid_by_card(k);
            k.send(Message::Do(Action::Receipt(
                kasse::ui::screen::receipt::Choice::None,
            )));
        }),
        ("still there?", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Tick(k.t0 + Duration::from_secs(61)));
        }),
        ("remove-line question", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Void(1)));
        }),
        ("cancel question", Mode::SelfService, |k| {
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::CancelSale));
        }),
        ("staff PIN", Mode::SelfService, |k| {
            k.send(Message::Do(Action::Help));
        }),
        ("staff menu", Mode::SelfService, |k| {
            k.send(Message::Do(Action::Help));
            k.send(Message::Do(Action::Pin("2580".into())));
            k.send(Message::PinChecked(Some("ola".into())));
        }),
        ("register with bonus to confirm", Mode::Cashier, |k| {
            k.pin("1234");
            k.scan(OLA);
            k.tap("SKOLEBOLLE", 3);
            k.send(Message::Register(
                kasse::ui::screen::register::Message::AskBonus,
            ));
        }),
        ("cash with bonus and rounding", Mode::Cashier, |k| {
            k.pin("1234");
            k.scan(OLA);
            k.tap("SKOLEBOLLE", 1);
            k.send(Message::Do(Action::Bonus(true)));
            k.send(Message::Do(Action::Pay));
            k.send(Message::Payment(
                kasse::ui::screen::payment::Message::Choose(kasse::domain::TenderKind::Cash),
            ));
        }),
        ("cash in training mode", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::Training(true)));
            k.tap("KAFFE", 1);
            k.send(Message::Do(Action::Pay));
            k.send(Message::Payment(
                kasse::ui::screen::payment::Message::Choose(kasse::domain::TenderKind::Cash),
            ));
        }),
        ("returns: find", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::ShowReturns));
        }),
        ("returns: choose", Mode::Cashier, |k| {
            sold_for_return(k);
        }),
        ("returns: what goes back", Mode::Cashier, |k| {
            sold_for_return(k);
            k.send(Message::Do(Action::PlanReturn(vec![(1, 1), (2, 1)])));
        }),
        (
            "returns: more cash back than the drawer holds",
            Mode::Cashier,
            |k| {
                sold_for_return(k);
                // All but kr 1 to the bank.
                let held = kasse::compliance::export::drawer_now(
                    k.app.till().store(),
                    k.app.till().catalog(),
                    at() + chrono::Duration::hours(1),
                )
                .unwrap()
                .unwrap();
                k.send(Message::Do(Action::MoveCash {
                    dir: kasse::domain::cash::Direction::Out,
                    amount: held - "1".parse().unwrap(),
                    reason: kasse::domain::cash::Reason::Bank,
                    note: String::new(),
                }));
                k.send(Message::Do(Action::ShowReturns));
                k.send(Message::Do(Action::FindReturn("1".into())));
                k.send(Message::Do(Action::PlanReturn(vec![(1, 2)])));
                let said = match &k.app.screen {
                    kasse::ui::app::Screen::Returns(s) => s.error.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                assert!(said.contains("kr 1,00"), "refused: {said}");
            },
        ),
        ("returns: returned", Mode::Cashier, |k| {
            sold_for_return(k);
            k.send(Message::Do(Action::PlanReturn(vec![(1, 2)])));
            k.send(Message::Do(Action::Refund));
        }),
        ("opening float after a Z", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::ShowReports));
            k.send(Message::Do(Action::Counted(kasse::domain::Money::ZERO)));
            k.send(Message::Do(Action::Report(
                kasse::ui::screen::reports::Kind::Z,
            )));
            k.send(Message::Do(Action::Logout));
            k.pin("1234");
            assert_eq!(k.app.screen.name(), "cash", "the float is asked");
            k.send(Message::Do(Action::Float(kasse::domain::Money::MAX)));
        }),
        ("cash out, other, refused", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::Cash(
                kasse::domain::cash::Direction::Out,
            )));
            k.send(Message::Cash(kasse::ui::screen::cash::Message::Reason(
                kasse::domain::cash::Reason::Other,
            )));
            k.send(Message::Cash(kasse::ui::screen::cash::Message::Ok));
        }),
        ("cash out, more than the drawer holds", Mode::Cashier, |k| {
            use kasse::ui::screen::cash::Message as Cash;
            k.pin("1234");
            k.send(Message::Do(Action::Cash(
                kasse::domain::cash::Direction::Out,
            )));
            for c in "99999,99".chars() {
                k.send(Message::Cash(match c {
                    ',' => Cash::Comma,
                    c => Cash::Digit(c),
                }));
            }
            k.send(Message::Cash(Cash::Ok));
        }),
        ("cash counted before Z", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::ShowReports));
            k.send(Message::Do(Action::AskZ(true)));
        }),
        ("Z asked with the count", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::ShowReports));
            k.send(Message::Do(Action::Counted(
                kasse::domain::Money::from_ore(123_450),
            )));
        }),
        ("reports", Mode::Cashier, |k| {
            k.pin("1234");
            k.send(Message::Do(Action::ShowReports));
            k.send(Message::Do(Action::Report(
                kasse::ui::screen::reports::Kind::X,
            )));
        }),
    ]
}

/// A cashier's cash sale of two lines, then its return opened.
fn sold_for_return(k: &mut Kiosk) {
    k.pin("1234");
    k.tap("SKOLEBOLLE", 2);
    k.tap("KAFFE", 1);
    k.send(Message::Do(Action::Pay));
    k.send(Message::Do(Action::Tender {
        kind: kasse::domain::TenderKind::Cash,
        cash_given: Some("200".parse().unwrap()),
    }));
    k.send(Message::Do(Action::Receipt(
        kasse::ui::screen::receipt::Choice::None,
    )));
    k.send(Message::Do(Action::ShowReturns));
    k.send(Message::Do(Action::FindReturn("1".into())));
    assert!(
        matches!(&k.app.screen, kasse::ui::app::Screen::Returns(s)
            if matches!(s.stage, kasse::ui::screen::returns::Stage::Choose { .. })),
        "the sale is open for return"
    );
}

/// A member's coffee paid by card with bonus: the receipt question.
fn paid_by_card(k: &mut Kiosk) {
    k.scan(OLA);
    k.tap("KAFFE", 1);
    k.send(Message::Do(Action::Pay));
    k.send(Message::Do(Action::Bonus(true)));
    k.send(Message::Do(Action::Tender {
        kind: kasse::domain::TenderKind::Card,
        cash_given: None,
    }));
    k.approve("T-LAYOUT");
}

/// Each screen of `mode` (any mode when None), in each language and text
/// size, brought about on a fresh kiosk; `check` gets the kiosk and the
/// combination's name ("screen (no, large text)").
fn each_combination(mode: Option<Mode>, mut check: impl FnMut(&mut Kiosk, &str)) {
    for (name, screen_mode, setup) in screens() {
        if mode.is_some_and(|m| m != screen_mode) {
            continue;
        }
        for english in [false, true] {
            for large in [false, true] {
                let mut k = kiosk(screen_mode);
                if english {
                    k.send(Message::Do(Action::Language));
                }
                if large {
                    k.send(Message::Do(Action::LargeText));
                }
                setup(&mut k);
                let combo = format!(
                    "{name} ({}, {})",
                    if english { "en" } else { "no" },
                    if large { "large text" } else { "normal text" }
                );
                check(&mut k, &combo);
            }
        }
    }
}

#[test]
fn every_screen_fits_both_window_sizes_in_both_languages_and_large_text() {
    let sizes = [Size::new(1280.0, 800.0), Size::new(1024.0, 768.0)];
    let mut all = Vec::new();
    each_combination(None, |k, combo| {
        for size in sizes {
            for fault in faults(k, size) {
                all.push(format!("{combo} {}×{}: {fault}", size.width, size.height));
            }
        }
    });
    assert!(all.is_empty(), "{} faults:\n{}", all.len(), all.join("\n"));
}

#[test]
fn in_the_low_layout_every_self_service_control_is_within_a_seated_reach_and_fits() {
    let size = Size::new(1280.0, 800.0);
    let mut all = Vec::new();
    each_combination(Some(Mode::SelfService), |k, combo| {
        k.app.low = true;
        for fault in faults(k, size) {
            all.push(format!("{combo}: {fault}"));
        }
        // Every control the keypad reaches — every button of the screen —
        // starts below the top fifth of the window.
        let (texts, _) = layout(k, size);
        for label in k.app.focused_labels() {
            if let Some(t) = texts.iter().find(|t| t.content == label)
                && t.bounds.y < size.height / 5.0
            {
                all.push(format!(
                    "{combo}: `{label}` out of reach at y {}",
                    t.bounds.y
                ));
            }
        }
    });
    assert!(all.is_empty(), "{} faults:\n{}", all.len(), all.join("\n"));
    // The check can fail: in the usual layout the language switch is up top.
    let k = kiosk(Mode::SelfService);
    let (texts, _) = layout(&k, size);
    let english = texts
        .iter()
        .find(|t| t.content == "English")
        .expect("the switch");
    assert!(english.bounds.y < size.height / 5.0);
}

#[test]
fn a_notice_coming_and_going_moves_nothing() {
    let size = Size::new(1280.0, 800.0);
    let mut k = kiosk(Mode::SelfService);
    k.scan(OLA);
    k.send(Message::Tick(k.t0 + Duration::from_secs(30)));
    let (before, _) = layout(&k, size);
    // A tap: the line and its notice ("✓  Kaffe …").
    k.click("Kaffe\nkr 25,00");
    let (during, _) = layout(&k, size);
    k.send(Message::Tick(k.t0 + Duration::from_secs(60)));
    let (after, _) = layout(&k, size);
    let place = |texts: &[Laid], content: &str| {
        texts
            .iter()
            .find(|t| t.content == content)
            .map(|t| (t.bounds.x, t.bounds.y))
    };
    let mut checked = 0;
    for t in &before {
        // The cart and the totals change with the sale; every control stays.
        if t.content.contains("kr ") && !t.content.contains('\n') {
            continue;
        }
        let here = Some((t.bounds.x, t.bounds.y));
        // What the sale itself replaced ("Nothing yet…") is not a control.
        let (Some(d), Some(a)) = (place(&during, &t.content), place(&after, &t.content)) else {
            continue;
        };
        assert_eq!(Some(d), here, "`{}` moved when the notice came", t.content);
        assert_eq!(Some(a), here, "`{}` moved when the notice went", t.content);
        checked += 1;
    }
    assert!(
        checked > 10,
        "the shopping screen's controls were compared ({checked})"
    );
}

/// Twenty taps: the cart shows the line just added, not the first ones
/// (found by hand: the newest lines were below the panel's edge).
#[test]
fn the_cart_keeps_the_newest_line_in_sight() {
    let mut k = kiosk(Mode::SelfService);
    for _ in 0..20 {
        for sku in ["KAFFE", "ESPRESSO"] {
            k.tap(sku, 1);
        }
    }
    assert_eq!(k.app.till().sale().lines.len(), 40);
    let (texts, _) = layout(&k, Size::new(1280.0, 800.0));
    // Whole in sight (a scrolled text's visible part is where it is drawn).
    let seen = |prefix: &str| {
        texts.iter().any(|t| {
            t.content.starts_with(prefix)
                && t.visible.is_some_and(|v| v.height >= t.bounds.height - 0.5)
        })
    };
    assert!(seen("40. "), "the newest line is in sight");
    assert!(!seen("1. "), "the first has scrolled away");
}

/// A scale or camera lost mid-sale moves nothing on any screen of either
/// mode, and every text still fits: the status bar keeps
/// its height (found by hand: it grew a line and lifted the page).
#[test]
fn a_device_lost_or_back_moves_nothing_and_everything_still_fits() {
    use kasse::ui::devices::DeviceState;
    let sizes = [Size::new(1280.0, 800.0), Size::new(1024.0, 768.0)];
    let status_item = |t: &Laid| {
        ["● ", "○ ", "◐ ", "⚠ "]
            .iter()
            .any(|m| t.content.starts_with(m))
    };
    let mut all = Vec::new();
    let mut compared = 0;
    each_combination(None, |k, combo| {
        let before: Vec<_> = sizes.iter().map(|s| layout(k, *s).0).collect();
        k.send(Message::Scale(ScaleReport::Status {
            text: DeviceState::Lost,
            ok: false,
        }));
        k.send(Message::Camera(CameraReport::Status {
            text: DeviceState::Lost,
            ok: false,
        }));
        for (size, before) in sizes.iter().zip(&before) {
            let (lost, _) = layout(k, *size);
            for fault in faults(k, *size) {
                all.push(format!("{combo} {}×{}: {fault}", size.width, size.height));
            }
            // The n-th text of each content before and after.
            let nth = |texts: &[Laid], i: usize| {
                let t = &texts[i];
                texts[..i].iter().filter(|o| o.content == t.content).count()
            };
            for (i, t) in before.iter().enumerate() {
                if status_item(t) {
                    continue;
                }
                let n = nth(before, i);
                let Some(now) = lost.iter().filter(|l| l.content == t.content).nth(n) else {
                    continue;
                };
                compared += 1;
                if (now.bounds.x, now.bounds.y) != (t.bounds.x, t.bounds.y) {
                    all.push(format!(
                        "{combo} {}×{}: `{}` moved from {:?} to {:?}",
                        size.width, size.height, t.content, t.bounds, now.bounds
                    ));
                }
            }
        }
    });
    assert!(compared > 100, "texts compared: {compared}");
    assert!(all.is_empty(), "{} faults:\n{}", all.len(), all.join("\n"));
}
