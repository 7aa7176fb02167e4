//! The one theme: colours, text sizes and a style per widget kind. Views
//! name a style (`theme::button::primary`), never a colour. Every text colour
//! is checked against its background for WCAG contrast ≥ 4.5:1 in the tests.

use iced::{Border, Color, Shadow, Theme, color};

pub const BACKGROUND: Color = color!(0xffffff);
pub const SURFACE: Color = color!(0xeef1f5);
pub const TEXT: Color = color!(0x111827);
pub const MUTED: Color = color!(0x4b5563);
pub const PRIMARY: Color = color!(0x0b5cad);
pub const SUCCESS: Color = color!(0x146c2e);
pub const DANGER: Color = color!(0xb3261e);
pub const WARNING: Color = color!(0xffe08a);
pub const ON_STRONG: Color = color!(0xffffff);
pub const DISABLED_BG: Color = color!(0xd1d5db);
pub const DISABLED_TEXT: Color = color!(0x374151);

/// Every (text, background) pair the styles below use.
pub const PAIRS: [(&str, Color, Color); 10] = [
    ("text on background", TEXT, BACKGROUND),
    ("text on surface", TEXT, SURFACE),
    ("muted on background", MUTED, BACKGROUND),
    ("muted on surface", MUTED, SURFACE),
    ("on primary", ON_STRONG, PRIMARY),
    ("on success", ON_STRONG, SUCCESS),
    ("on danger", ON_STRONG, DANGER),
    ("text on warning", TEXT, WARNING),
    ("disabled", DISABLED_TEXT, DISABLED_BG),
    ("primary on background", PRIMARY, BACKGROUND),
];

/// Touch targets are at least this tall and wide (WCAG 2.5.5 asks 44 px).
pub const TOUCH: f32 = 56.0;

pub fn theme() -> Theme {
    Theme::custom(
        "kasse".to_string(),
        iced::theme::Palette {
            background: BACKGROUND,
            text: TEXT,
            primary: PRIMARY,
            success: SUCCESS,
            warning: WARNING,
            danger: DANGER,
        },
    )
}

/// Text sizes; large-text mode scales every one of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizes {
    pub body: f32,
    pub small: f32,
    pub heading: f32,
    pub title: f32,
    pub huge: f32,
}

impl Sizes {
    pub fn new(large_text: bool) -> Sizes {
        let k = if large_text { 1.4 } else { 1.0 };
        Sizes {
            body: 20.0 * k,
            small: 16.0 * k,
            heading: 26.0 * k,
            title: 36.0 * k,
            huge: 48.0 * k,
        }
    }
}

/// WCAG 2.x relative luminance of an sRGB colour.
pub fn luminance(c: Color) -> f32 {
    let lin = |v: f32| {
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
}

/// WCAG contrast ratio, 1 to 21.
pub fn contrast(a: Color, b: Color) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

pub mod button {
    use super::*;
    use iced::widget::button::{Status, Style};

    fn solid(bg: Color, fg: Color, status: Status) -> Style {
        let bg = match status {
            Status::Disabled => DISABLED_BG,
            Status::Hovered | Status::Pressed => Color { a: 0.9, ..bg },
            Status::Active => bg,
        };
        let fg = if status == Status::Disabled {
            DISABLED_TEXT
        } else {
            fg
        };
        Style {
            background: Some(bg.into()),
            text_color: fg,
            border: Border::default().rounded(10),
            shadow: Shadow::default(),
            snap: true,
        }
    }

    pub fn primary(_: &Theme, status: Status) -> Style {
        solid(PRIMARY, ON_STRONG, status)
    }

    pub fn success(_: &Theme, status: Status) -> Style {
        solid(SUCCESS, ON_STRONG, status)
    }

    pub fn danger(_: &Theme, status: Status) -> Style {
        solid(DANGER, ON_STRONG, status)
    }

    /// A product tile or a secondary choice: dark text on a light tile with a border.
    pub fn tile(_: &Theme, status: Status) -> Style {
        let mut s = solid(SURFACE, TEXT, status);
        s.border = Border::default().rounded(10).width(2).color(MUTED);
        if status == Status::Hovered || status == Status::Pressed {
            s.border = s.border.color(PRIMARY).width(3);
        }
        s
    }

    /// The selected entry of a list driven by the keyboard.
    pub fn selected(_: &Theme, status: Status) -> Style {
        let mut s = solid(PRIMARY, ON_STRONG, status);
        s.border = Border::default().rounded(6).width(3).color(TEXT);
        s
    }
}

pub mod container {
    use super::*;
    use iced::widget::container::Style;

    pub fn panel(_: &Theme) -> Style {
        Style {
            text_color: Some(TEXT),
            background: Some(SURFACE.into()),
            border: Border::default().rounded(12),
            ..Style::default()
        }
    }

    pub fn page(_: &Theme) -> Style {
        Style {
            text_color: Some(TEXT),
            background: Some(BACKGROUND.into()),
            ..Style::default()
        }
    }

    /// A refusal or a problem: white on red, and always with a text and a sign.
    pub fn refusal(_: &Theme) -> Style {
        Style {
            text_color: Some(ON_STRONG),
            background: Some(DANGER.into()),
            border: Border::default().rounded(10),
            ..Style::default()
        }
    }

    pub fn ok(_: &Theme) -> Style {
        Style {
            text_color: Some(ON_STRONG),
            background: Some(SUCCESS.into()),
            border: Border::default().rounded(10),
            ..Style::default()
        }
    }

    /// Training banner, warnings, the idle prompt.
    pub fn warning(_: &Theme) -> Style {
        Style {
            text_color: Some(TEXT),
            background: Some(WARNING.into()),
            border: Border::default().rounded(10).width(2).color(TEXT),
            ..Style::default()
        }
    }

    pub fn status_bar(_: &Theme) -> Style {
        Style {
            text_color: Some(ON_STRONG),
            background: Some(TEXT.into()),
            ..Style::default()
        }
    }

    /// Behind a modal: the page dimmed.
    pub fn scrim(_: &Theme) -> Style {
        Style {
            background: Some(Color { a: 0.6, ..TEXT }.into()),
            ..Style::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_colour_meets_wcag_aa() {
        for (name, fg, bg) in PAIRS {
            let c = contrast(fg, bg);
            assert!(c >= 4.5, "{name}: {c:.2}:1 is below 4.5:1");
        }
        // The status bar is the page text colour reversed.
        assert!(contrast(ON_STRONG, TEXT) >= 4.5);
    }

    #[test]
    fn contrast_is_the_wcag_formula() {
        let black = Color::BLACK;
        let white = Color::WHITE;
        assert!((contrast(black, white) - 21.0).abs() < 0.01);
        assert!((contrast(white, white) - 1.0).abs() < 0.01);
        // #767676 on white is the classic 4.54:1 boundary grey.
        let grey = color!(0x767676);
        assert!((contrast(grey, white) - 4.54).abs() < 0.02);
    }

    #[test]
    fn large_text_is_larger_everywhere() {
        let (n, l) = (Sizes::new(false), Sizes::new(true));
        assert!(l.body > n.body && l.small > n.small && l.heading > n.heading);
        assert!(l.title > n.title && l.huge > n.huge);
        const { assert!(TOUCH >= 44.0) };
    }
}
