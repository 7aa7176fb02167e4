//! The operated checkout, keyboard first: search by name, PLU or barcode
//! (Up/Down to choose, Enter to add), quantity, void a line, bonus on request
//! with confirmation, then pay with cash, card or Vipps.

use super::{Action, Key};
use crate::domain::{Catalog, Member, Money, Product, Sale};
use crate::ui::Element;
use crate::ui::text::kr;
use crate::ui::theme;
use crate::ui::widget::{self, Look, big, body};
use iced::widget::{button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Length};

/// The search field's id, focused whenever the register shows.
pub const SEARCH: &str = "register-search";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub search: String,
    pub selected: usize,
    pub qty: u32,
    /// A cart line picked for voiding (1-based).
    pub line: Option<usize>,
    /// Bonus asked for: the amount waiting for the cashier's confirmation.
    pub confirm_bonus: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Search(String),
    Submit,
    Up,
    Down,
    Pick(String),
    More,
    Less,
    Line(usize),
    VoidLine,
    AskBonus,
    ConfirmBonus(bool),
    Do(Action),
}

/// Products matching the search: PLU (sku) or barcode exactly first, then
/// names and PLUs containing it. At most 8.
pub fn matches<'a>(catalog: &'a Catalog, query: &str) -> Vec<&'a Product> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let mut exact: Vec<&Product> = Vec::new();
    let mut rest: Vec<&Product> = Vec::new();
    for p in catalog.products() {
        if p.sku.to_lowercase() == q || p.barcodes.iter().any(|b| b == &q) {
            exact.push(p);
        } else if p.name.to_lowercase().contains(&q) || p.sku.to_lowercase().contains(&q) {
            rest.push(p);
        }
    }
    exact.extend(rest);
    exact.truncate(8);
    exact
}

impl State {
    pub fn new() -> State {
        State {
            qty: 1,
            ..State::default()
        }
    }

    /// The cashier's keys besides the search field (which takes the
    /// typing): Up/Down pick a result, PageUp/PageDown a cart line, F2
    /// bonus (F2 again confirms, F3 declines), F4 removes the chosen line
    /// (the last one when none is chosen), F8 pay, F9 cancel the purchase,
    /// F6 a return (with an empty cart), F10 reports, F12 log out. `lines` is the cart's length.
    pub fn key(&self, key: Key, lines: usize) -> Option<Message> {
        match key {
            Key::Up => Some(Message::Up),
            Key::Down => Some(Message::Down),
            Key::PageUp if lines > 0 => Some(Message::Line(
                self.line.map_or(lines, |n| n.saturating_sub(1).max(1)),
            )),
            Key::PageDown if lines > 0 => {
                Some(Message::Line(self.line.map_or(1, |n| (n + 1).min(lines))))
            }
            Key::F(2) if self.confirm_bonus.is_some() => Some(Message::ConfirmBonus(true)),
            Key::F(3) if self.confirm_bonus.is_some() => Some(Message::ConfirmBonus(false)),
            Key::F(2) => Some(Message::AskBonus),
            Key::F(4) if self.line.is_some() => Some(Message::VoidLine),
            Key::F(4) if lines > 0 => Some(Message::Line(lines)),
            Key::F(8) if lines > 0 => Some(Message::Do(Action::Pay)),
            Key::F(9) => Some(Message::Do(Action::CancelSale)),
            Key::F(6) if lines == 0 => Some(Message::Do(Action::ShowReturns)),
            Key::F(10) => Some(Message::Do(Action::ShowReports)),
            Key::F(12) => Some(Message::Do(Action::Logout)),
            _ => None,
        }
    }

    /// `bonus` is what the member's bonus would take off now, if any.
    pub fn update(
        &mut self,
        message: Message,
        catalog: &Catalog,
        bonus: Option<Money>,
    ) -> Option<Action> {
        match message {
            Message::Search(s) => {
                self.search = s;
                self.selected = 0;
                None
            }
            Message::Up => {
                self.selected = self.selected.saturating_sub(1);
                None
            }
            Message::Down => {
                let n = matches(catalog, &self.search).len();
                if self.selected + 1 < n {
                    self.selected += 1;
                }
                None
            }
            Message::More => {
                self.qty = (self.qty + 1).min(99);
                None
            }
            Message::Less => {
                self.qty = self.qty.saturating_sub(1).max(1);
                None
            }
            Message::Pick(sku) => Some(self.add(sku)),
            Message::Submit => {
                let mut query = self.search.trim().to_string();
                // "3*kaffe": three of what follows, as tills have always read it.
                if let Some((n, rest)) = query.split_once('*')
                    && let Ok(n) = n.trim().parse::<u32>()
                    && (1..=99).contains(&n)
                {
                    self.qty = n;
                    query = rest.trim().to_string();
                    if query.is_empty() {
                        self.search.clear();
                        return None;
                    }
                }
                // A barcode typed or wedge-scanned into the field.
                if query.len() >= 7 && query.bytes().all(|b| b.is_ascii_digit()) {
                    let sku_match = catalog
                        .products()
                        .iter()
                        .any(|p| p.barcodes.contains(&query));
                    if !sku_match {
                        self.search.clear();
                        return Some(Action::Code(query));
                    }
                }
                let sku = matches(catalog, &query).get(self.selected)?.sku.clone();
                Some(self.add(sku))
            }
            Message::Line(n) => {
                self.line = (self.line != Some(n)).then_some(n);
                None
            }
            Message::VoidLine => self.line.take().map(Action::Void),
            Message::AskBonus => {
                self.confirm_bonus = bonus;
                None
            }
            Message::ConfirmBonus(yes) => {
                self.confirm_bonus = None;
                yes.then_some(Action::Bonus(true))
            }
            Message::Do(action) => Some(action),
        }
    }

    fn add(&mut self, sku: String) -> Action {
        let qty = std::mem::replace(&mut self.qty, 1);
        self.search.clear();
        self.selected = 0;
        Action::Tap { sku, qty }
    }
}

pub struct View<'a> {
    pub look: Look,
    pub sale: &'a Sale,
    pub member: Option<&'a Member>,
    pub catalog: &'a Catalog,
    pub bonus_available: bool,
}

pub fn view<'a>(state: &'a State, v: View<'a>) -> Element<'a, Message> {
    let look = v.look;
    let cart = widget::cart(look, v.sale, v.member, Some(Message::Line));
    let mut results = column![].spacing(4);
    for (i, p) in matches(v.catalog, &state.search).into_iter().enumerate() {
        let style: widget::Style = if i == state.selected {
            theme::button::selected
        } else {
            theme::button::tile
        };
        let price = kr(p.unit_price());
        results = results.push(
            button(
                row![
                    text(format!("{}  {}", p.sku, p.name))
                        .size(look.sizes.body)
                        .width(Length::Fill),
                    text(price).size(look.sizes.body),
                ]
                .spacing(8),
            )
            .on_press(Message::Pick(p.sku.clone()))
            .style(style)
            .padding(10)
            .width(Length::Fill),
        );
    }
    let search = text_input(look.tr("Search: name, PLU or barcode"), &state.search)
        .id(SEARCH)
        .on_input(Message::Search)
        .on_submit(Message::Submit)
        .size(look.sizes.heading)
        .padding(12);
    let qty = row![
        body(look, format!("{}: {}", look.tr("Quantity"), state.qty)),
        big(look, "−", Some(Message::Less), theme::button::tile).width(Length::Fixed(64.0)),
        big(look, "+", Some(Message::More), theme::button::tile).width(Length::Fixed(64.0)),
    ]
    .spacing(10)
    .align_y(Alignment::Center);
    let void = big(
        look,
        match state.line {
            Some(n) => format!("{} {n}", look.tr("Void line")),
            None => look.tr("Void line").to_string(),
        },
        state.line.map(|_| Message::VoidLine),
        theme::button::danger,
    )
    .width(Length::Fill);
    // The bonus confirmation takes the whole row, buttons full size, far
    // from "Cancel purchase" (a cashier once cancelled a sale by mistake).
    let corrections: Element<'a, Message> = match state.confirm_bonus {
        Some(amount) => container(
            column![
                body(
                    look,
                    format!("{} {}?", look.tr("Confirm bonus"), kr(amount))
                ),
                row![
                    big(
                        look,
                        format!("{} (F2)", look.tr("OK")),
                        Some(Message::ConfirmBonus(true)),
                        theme::button::success
                    )
                    .width(Length::Fill),
                    big(
                        look,
                        format!("{} (F3)", look.tr("Back")),
                        Some(Message::ConfirmBonus(false)),
                        theme::button::tile
                    )
                    .width(Length::Fill),
                ]
                .spacing(10),
            ]
            .spacing(8),
        )
        .padding(8)
        .width(Length::Fill)
        .style(theme::container::warning)
        .into(),
        None => row![
            void,
            big(
                look,
                look.tr("Bonus on request"),
                v.bonus_available.then_some(Message::AskBonus),
                theme::button::tile,
            )
            .width(Length::Fill)
        ]
        .spacing(10)
        .into(),
    };
    let has_lines = !v.sale.lines.is_empty();
    let right = column![
        search,
        scrollable(results).spacing(6).height(Length::Fill),
        qty,
        corrections,
        row![
            big(
                look,
                format!("{}  {}", look.tr("Pay"), kr(v.sale.total())),
                has_lines.then_some(Message::Do(Action::Pay)),
                theme::button::success
            )
            .width(Length::FillPortion(2)),
            big(
                look,
                look.tr("Cancel purchase"),
                (!v.sale.is_empty()).then_some(Message::Do(Action::CancelSale)),
                theme::button::danger
            )
            .width(Length::FillPortion(1)),
        ]
        .spacing(10),
        row![
            big(
                look,
                look.tr("Reports"),
                Some(Message::Do(Action::ShowReports)),
                theme::button::tile
            )
            .width(Length::Fill),
            big(
                look,
                look.tr("Return"),
                (!has_lines).then_some(Message::Do(Action::ShowReturns)),
                theme::button::tile
            )
            .width(Length::Fill),
            big(
                look,
                look.tr("Log out"),
                Some(Message::Do(Action::Logout)),
                theme::button::tile
            )
            .width(Length::Fill),
        ]
        .spacing(10),
        // The keys, unless the bonus confirmation (which names its own)
        // needs the room.
        if state.confirm_bonus.is_none() {
            Element::from(text(look.tr(
            "Keys: 3* quantity · F2 bonus · F4 remove line · F6 return · F8 pay · F9 cancel · F10 reports · F12 log out"
        ))
        .size(look.sizes.small)
        .color(theme::MUTED))
        } else {
            iced::widget::Space::new().into()
        },
    ]
    .spacing(12)
    .width(Length::FillPortion(3));
    row![container(cart).width(Length::FillPortion(2)), right]
        .spacing(16)
        .padding(16)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let data = crate::data::Data::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/demo.toml"),
        )
        .unwrap();
        data.catalog
    }

    #[test]
    fn search_by_name_plu_and_barcode_with_keyboard_choice() {
        let c = catalog();
        assert_eq!(matches(&c, "KAFFE")[0].sku, "KAFFE", "exact PLU first");
        assert_eq!(matches(&c, "7038010000010")[0].sku, "KAFFE");
        assert!(matches(&c, "bolle").iter().any(|p| p.sku == "SKOLEBOLLE"));
        let mut s = State::new();
        s.update(Message::Search("kaffe".into()), &c, None);
        s.update(Message::Down, &c, None);
        s.update(Message::More, &c, None);
        let second = matches(&c, "kaffe")[1].sku.clone();
        assert_eq!(
            s.update(Message::Submit, &c, None),
            Some(Action::Tap {
                sku: second,
                qty: 2
            })
        );
        assert_eq!(s.qty, 1, "quantity resets after a line");
        assert!(s.search.is_empty());
    }

    #[test]
    fn unknown_barcodes_go_to_the_till_and_voids_need_a_line() {
        let c = catalog();
        let mut s = State::new();
        s.update(Message::Search("2300100004121".into()), &c, None);
        assert_eq!(
            s.update(Message::Submit, &c, None),
            Some(Action::Code("2300100004121".into()))
        );
        assert_eq!(s.update(Message::VoidLine, &c, None), None);
        s.update(Message::Line(2), &c, None);
        assert_eq!(s.update(Message::VoidLine, &c, None), Some(Action::Void(2)));
        s.update(Message::AskBonus, &c, Some(Money::from_ore(500)));
        assert_eq!(s.confirm_bonus, Some(Money::from_ore(500)));
        assert_eq!(
            s.update(Message::ConfirmBonus(true), &c, None),
            Some(Action::Bonus(true))
        );
    }
}
