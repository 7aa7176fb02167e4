//! Who works the till: the students themselves or a cashier. The mode decides
//! which tenders and actions the rules allow.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Students serve themselves: bonus is offered before payment, no cash.
    SelfService,
    /// A cashier operates the till: cash and voids allowed.
    Cashier,
}

impl Mode {
    /// `self` or `cashier`, as config.toml and scenarios write it.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "self" => Some(Mode::SelfService),
            "cashier" => Some(Mode::Cashier),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Mode::SelfService => "self",
            Mode::Cashier => "cashier",
        }
    }
}
