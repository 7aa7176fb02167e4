//! Pieces several screens show: buttons sized for touch, the cart, the PIN
//! pad, the notice line. Colours come from `theme`, words from `text`.

use super::Element;
use super::text::{Lang, grams, kr, tr};
use super::theme::{self, Sizes, TOUCH};
use crate::domain::sale::DiscountKind;
use crate::domain::{Member, Money, Sale};
use iced::widget::{button, column, container, row, scrollable, space, text};
use iced::{Alignment, Length};

/// What every view needs to know about the screen, besides its own state.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    pub lang: Lang,
    pub sizes: Sizes,
    /// The label of the control the keypad's focus is on ([`focus_id`]):
    /// [`big`] draws its focus ring.
    pub focus: Option<u64>,
}

/// Names a control by its label for the keypad's focus (FNV-1a).
pub fn focus_id(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Look {
    pub fn new(lang: Lang, large_text: bool) -> Look {
        Look {
            lang,
            sizes: Sizes::new(large_text),
            focus: None,
        }
    }

    pub fn tr(&self, en: &'static str) -> &'static str {
        tr(self.lang, en)
    }
}

pub type Style = fn(&iced::Theme, button::Status) -> button::Style;

/// A button at least `TOUCH` px tall; `None` disables it (and says so by its
/// grey look and by not reacting, never by colour alone: its label stays).
pub fn big<'a, M: Clone + 'a>(
    look: Look,
    label: impl Into<String>,
    on_press: Option<M>,
    style: Style,
) -> iced::widget::Button<'a, M> {
    let label = label.into();
    let focused = look.focus.is_some_and(|f| f == focus_id(&label));
    button(
        container(text(label).size(look.sizes.body))
            .center_y(Length::Fill)
            .center_x(Length::Fill),
    )
    .padding([8, 16])
    .height(Length::Fixed(TOUCH.max(look.sizes.body * 2.6)))
    .on_press_maybe(on_press)
    .style(move |t, s| {
        let mut st = style(t, s);
        // The keypad's focus ring: thick and near-black on the white page.
        if focused {
            st.border = iced::Border {
                color: theme::TEXT,
                width: 5.0,
                radius: st.border.radius,
            };
        }
        st
    })
}

pub fn title<'a, M: 'a>(look: Look, s: impl Into<String>) -> Element<'a, M> {
    text(s.into()).size(look.sizes.title).into()
}

pub fn heading<'a, M: 'a>(look: Look, s: impl Into<String>) -> Element<'a, M> {
    text(s.into()).size(look.sizes.heading).into()
}

pub fn body<'a, M: 'a>(look: Look, s: impl Into<String>) -> Element<'a, M> {
    text(s.into()).size(look.sizes.body).into()
}

/// One line of the cart as the customer reads it; free lines show 0,00 and
/// name the coupon or clip that made them free.
pub fn line_text(look: Look, line: &crate::domain::Line) -> (String, String, Option<String>) {
    let what = match line.grams {
        Some(g) => format!("{} ({})", line.name, grams(i64::from(g))),
        None if line.qty > 1 => format!("{} × {}", line.qty, line.name),
        None => line.name.clone(),
    };
    let note = line.discount.as_ref().map(|d| {
        let kind = match d.kind {
            DiscountKind::Coupon => look.tr("coupon"),
            DiscountKind::Clip => look.tr("coffee card"),
        };
        let free = if line.amount().is_zero() {
            format!("{} – ", look.tr("free"))
        } else {
            String::new()
        };
        format!("{free}{kind} {}", d.reference)
    });
    (what, kr(line.amount()), note)
}

/// The cart panel: numbered lines, member and bonus balance, running total.
pub fn cart<'a, M: Clone + 'a>(
    look: Look,
    sale: &Sale,
    member: Option<&Member>,
    on_line: Option<fn(usize) -> M>,
) -> Element<'a, M> {
    let mut lines = column![].spacing(6);
    if sale.lines.is_empty() {
        lines = lines.push(
            text(look.tr("Nothing yet: tap an item or scan a barcode.")).size(look.sizes.body),
        );
    }
    for (i, line) in sale.lines.iter().enumerate() {
        let (what, amount, note) = line_text(look, line);
        let mut left = column![text(format!("{}. {what}", i + 1)).size(look.sizes.body)];
        if let Some(note) = note {
            left = left.push(text(note).size(look.sizes.small).color(theme::MUTED));
        }
        let entry = row![left.width(Length::Fill), text(amount).size(look.sizes.body)]
            .spacing(8)
            .align_y(Alignment::Center);
        lines = lines.push(match on_line {
            Some(f) => Element::from(
                button(entry)
                    .on_press(f(i + 1))
                    .style(theme::button::tile)
                    .width(Length::Fill)
                    .padding(6),
            ),
            None => entry.into(),
        });
    }
    let mut panel = column![heading(look, look.tr("Your items"))].spacing(10);
    if let Some(m) = member {
        panel = panel.push(
            container(
                column![
                    text(format!("{}: {}", look.tr("Member"), m.name)).size(look.sizes.body),
                    text(format!("{}: {}", look.tr("Bonus balance"), kr(m.bonus)))
                        .size(look.sizes.small),
                ]
                .spacing(2),
            )
            .padding(8)
            .style(theme::container::page)
            .width(Length::Fill),
        );
    }
    // The scrollbar beside the lines, never over a price's last digit; held
    // at the bottom, so the line just added is always in sight.
    panel = panel.push(
        scrollable(lines)
            .spacing(6)
            .anchor_bottom()
            .height(Length::Fill),
    );
    panel = panel.push(total_row(look, look.tr("Total"), sale.total()));
    container(panel)
        .padding(16)
        .style(theme::container::panel)
        .height(Length::Fill)
        .into()
}

pub fn total_row<'a, M: 'a>(look: Look, label: &'static str, amount: Money) -> Element<'a, M> {
    row![
        text(label).size(look.sizes.heading).width(Length::Fill),
        text(kr(amount)).size(look.sizes.heading),
    ]
    .into()
}

/// A message above the page: a refusal (✕ on red) or a confirmation (✓ on
/// green). The sign and the words carry the meaning, the colour repeats it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub refusal: bool,
}

pub fn notice<'a, M: 'a>(look: Look, n: &Notice) -> Element<'a, M> {
    let (sign, style): (&str, fn(&iced::Theme) -> container::Style) = if n.refusal {
        ("✕", theme::container::refusal)
    } else {
        ("✓", theme::container::ok)
    };
    container(text(format!("{sign}  {}", n.text)).size(look.sizes.heading))
        .padding(12)
        .width(Length::Fill)
        .style(style)
        .into()
}

/// Digits, clear and OK, as big buttons; the entered PIN shows as dots.
pub fn pin_pad<'a, M: Clone + 'a>(
    look: Look,
    // PIN dots for the digits entered so far; None for a number shown in
    // clear elsewhere (member and line numbers are not secrets).
    dots: Option<usize>,
    digit: fn(char) -> M,
    clear: M,
    ok: M,
) -> Element<'a, M> {
    let key = |c: char| {
        big(look, c.to_string(), Some(digit(c)), theme::button::tile).width(Length::Fixed(96.0))
    };
    let rows =
        ["123", "456", "789"].map(|r| row(r.chars().map(|c| key(c).into())).spacing(10).into());
    let dots = dots.map_or_else(String::new, |n| {
        "●".repeat(n) + &"○".repeat(4usize.saturating_sub(n))
    });
    column![
        text(dots).size(look.sizes.title),
        column(rows).spacing(10),
        row![
            big(look, look.tr("Clear"), Some(clear), theme::button::danger)
                .width(Length::Fixed(96.0)),
            key('0'),
            big(look, look.tr("OK"), Some(ok), theme::button::success).width(Length::Fixed(96.0)),
        ]
        .spacing(10),
    ]
    .spacing(14)
    .align_x(Alignment::Center)
    .into()
}

/// Digits, the decimal comma and clear for an amount in kroner and øre,
/// with the caller's own row (OK, exact) under them.
pub fn amount_pad<'a, M: Clone + 'a>(
    look: Look,
    digit: fn(char) -> M,
    comma: M,
    clear: M,
    last: impl Into<Element<'a, M>>,
) -> Element<'a, M> {
    let key = |c: char| {
        big(look, c.to_string(), Some(digit(c)), theme::button::tile).width(Length::Fixed(84.0))
    };
    let rows =
        ["789", "456", "123"].map(|r| row(r.chars().map(|c| key(c).into())).spacing(8).into());
    column![
        column(rows).spacing(8),
        row![
            key('0'),
            big(look, ",", Some(comma), theme::button::tile).width(Length::Fixed(84.0)),
            big(look, look.tr("Clear"), Some(clear), theme::button::danger)
                .width(Length::Fixed(84.0)),
        ]
        .spacing(8),
        last.into(),
    ]
    .spacing(8)
    .align_x(Alignment::Center)
    .into()
}

pub fn fill<'a, M: 'a>() -> Element<'a, M> {
    space::horizontal().into()
}

/// A question over the screen: a title, a line of detail and a row of
/// answers, in a warning-coloured box on a scrim (the confirmations and
/// "still there?"). The caller makes it opaque, so nothing under it is
/// pressed.
pub fn dialog<'a, M: 'a>(
    look: Look,
    question: impl Into<String>,
    detail: impl Into<String>,
    answers: Vec<Element<'a, M>>,
) -> Element<'a, M> {
    container(
        container(
            column![
                title(look, question.into()),
                body(look, detail.into()),
                row(answers).spacing(24),
            ]
            .spacing(20)
            .align_x(Alignment::Center),
        )
        .padding(32)
        .style(theme::container::warning),
    )
    .center(Length::Fill)
    .style(theme::container::scrim)
    .into()
}
