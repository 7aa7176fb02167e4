//! The two languages the till speaks, and numbers written the way each
//! reads them. Pure: the screens and the reports both use it.

use super::money::Money;

/// Norwegian (bokmål) or English.
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

    /// An amount with two decimals: `12,60` in Norwegian (decimal comma,
    /// as on the receipt), `12.60` in English.
    pub fn amount(self, m: Money) -> String {
        let s = m.to_string();
        match self {
            Lang::No => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// The `(english, norwegian)` pair in this language.
    pub fn pick<'a>(self, en: &'a str, no: &'a str) -> &'a str {
        match self {
            Lang::No => no,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_the_way_each_language_writes_them() {
        for (ore, no, en) in [
            (1260, "12,60", "12.60"),
            (0, "0,00", "0.00"),
            (-250, "-2,50", "-2.50"),
            (123_456_789, "1234567,89", "1234567.89"),
        ] {
            assert_eq!(Lang::No.amount(Money::from_ore(ore)), no);
            assert_eq!(Lang::En.amount(Money::from_ore(ore)), en);
        }
        assert_eq!(Lang::parse("no"), Some(Lang::No));
        assert_eq!(Lang::parse("nn"), None);
        assert_eq!(Lang::No.other(), Lang::En);
        assert_eq!(Lang::En.pick("Cash", "Kontant"), "Cash");
    }
}
