//! Self-service shopping: the cart on the left; product buttons by category,
//! the weigh panel and the camera thumbnail on the right.

use super::Action;
use crate::domain::{Catalog, Member, Pricing, Product, Sale};
use crate::ui::Element;
use crate::ui::text::{grams, kr};
use crate::ui::theme;
use crate::ui::widget::{self, Look, big, body, heading};
use iced::widget::{column, container, row, scrollable, text};
use iced::{Alignment, Length};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Category {
    #[default]
    Coffee,
    Counter,
    Weighed,
    Packaged,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Coffee,
        Category::Counter,
        Category::Weighed,
        Category::Packaged,
    ];

    pub fn of(p: &Product) -> Category {
        if p.is_weighed() {
            Category::Weighed
        } else if p.coffee {
            Category::Coffee
        } else if p.barcodes.is_empty() {
            Category::Counter
        } else {
            Category::Packaged
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Coffee => "Coffee",
            Category::Counter => "Counter",
            Category::Weighed => "By weight",
            Category::Packaged => "Packaged",
        }
    }
}

/// The scale as the weigh panel shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Weight {
    /// Gross grams, when the scale gives a weight.
    pub grams: Option<i64>,
    pub stable: bool,
    /// The food on the scale is already on the sale: it must come off (a
    /// reading below the minimum) before the next weighing is added, so a
    /// plate is never paid for twice.
    pub taken: bool,
    /// The scale is lost (a pulled cable, no answer): the panel says so.
    pub lost: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub category: Category,
    /// The weighed product being weighed, while the panel is open.
    pub weighing: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Category(Category),
    Weigh(String),
    CloseWeigh,
    AddWeighed,
    Do(Action),
}

/// The net weight `Add` would put on the sale, when it may.
pub fn addable(product: &Product, weight: Weight, min_grams: u32) -> Option<u32> {
    let Pricing::Weighed { tare_g, .. } = product.pricing else {
        return None;
    };
    let gross = u32::try_from(weight.grams?).ok()?;
    let net = gross.saturating_sub(tare_g);
    (weight.stable && !weight.taken && net >= min_grams).then_some(gross)
}

impl State {
    pub fn update(
        &mut self,
        message: Message,
        catalog: &Catalog,
        weight: Weight,
    ) -> Option<Action> {
        match message {
            // Another tab leaves the weighing: its products show at once.
            Message::Category(c) => {
                self.category = c;
                self.weighing = None;
                None
            }
            Message::Weigh(sku) => {
                self.weighing = Some(sku);
                None
            }
            Message::CloseWeigh => {
                self.weighing = None;
                None
            }
            Message::AddWeighed => {
                let sku = self.weighing.clone()?;
                let product = catalog.product(&sku)?;
                let gross = addable(product, weight, catalog.settings.min_grams)?;
                self.weighing = None;
                Some(Action::Weigh { sku, grams: gross })
            }
            Message::Do(action) => Some(action),
        }
    }
}

pub struct View<'a> {
    pub look: Look,
    pub sale: &'a Sale,
    pub member: Option<&'a Member>,
    pub catalog: &'a Catalog,
    pub weight: Weight,
    pub camera: Element<'a, Message>,
}

fn remove(line: usize) -> Message {
    Message::Do(Action::Void(line))
}

pub fn view<'a>(state: &'a State, v: View<'a>) -> Element<'a, Message> {
    let look = v.look;
    // A student removes a line they added by tapping it (asked first).
    let cart = widget::cart(look, v.sale, v.member, Some(remove));
    let pay = big(
        look,
        format!("{}  {}", look.tr("Pay"), kr(v.sale.total())),
        (!v.sale.lines.is_empty()).then_some(Message::Do(Action::Pay)),
        theme::button::success,
    )
    .width(Length::Fill);
    let cancel = big(
        look,
        look.tr("Cancel purchase"),
        (!v.sale.is_empty()).then_some(Message::Do(Action::CancelSale)),
        theme::button::danger,
    )
    .width(Length::Fill);
    let left = column![cart, pay, cancel]
        .spacing(12)
        .width(Length::FillPortion(2));

    let tabs = row(Category::ALL.map(|c| {
        let style: widget::Style = if c == state.category {
            theme::button::selected
        } else {
            theme::button::tile
        };
        big(look, look.tr(c.label()), Some(Message::Category(c)), style)
            .width(Length::Fill)
            .into()
    }))
    .spacing(8);
    // While food is weighed the panel takes the camera's room too: in large
    // text both did not fit 1024×768.
    let side = match &state.weighing {
        Some(sku) => column![
            tabs,
            container(weigh_panel(look, v.catalog, sku, v.weight)).height(Length::Fill)
        ],
        None => column![
            tabs,
            container(products(look, v.catalog, state.category)).height(Length::Fill),
            v.camera,
        ],
    }
    .spacing(12)
    .width(Length::FillPortion(3));
    row![left, side].spacing(16).padding(16).into()
}

fn products<'a>(look: Look, catalog: &Catalog, category: Category) -> Element<'a, Message> {
    let items: Vec<&Product> = catalog
        .products()
        .iter()
        .filter(|p| Category::of(p) == category)
        .collect();
    let mut grid = column![].spacing(10);
    for chunk in items.chunks(3) {
        let mut r = row![].spacing(10);
        for p in chunk {
            let (price, msg) = match p.pricing {
                Pricing::Unit { price } => (
                    kr(price),
                    Message::Do(Action::Tap {
                        sku: p.sku.clone(),
                        qty: 1,
                    }),
                ),
                Pricing::Weighed { price_per_kg, .. } => (
                    format!("{} {}", kr(price_per_kg), look.tr("per kg")),
                    Message::Weigh(p.sku.clone()),
                ),
            };
            r = r.push(
                big(
                    look,
                    format!("{}\n{price}", p.name),
                    Some(msg),
                    theme::button::tile,
                )
                .width(Length::FillPortion(1))
                .height(Length::Fixed(96.0_f32.max(look.sizes.body * 4.4))),
            );
        }
        for _ in chunk.len()..3 {
            r = r.push(widget::fill::<Message>());
        }
        grid = grid.push(r);
    }
    scrollable(grid).spacing(6).height(Length::Fill).into()
}

fn weigh_panel<'a>(
    look: Look,
    catalog: &Catalog,
    sku: &str,
    weight: Weight,
) -> Element<'a, Message> {
    let Some(product) = catalog.product(sku) else {
        return body(look, look.tr("No such product"));
    };
    let (tare, per_kg) = match product.pricing {
        Pricing::Weighed {
            tare_g,
            price_per_kg,
        } => (tare_g, price_per_kg),
        Pricing::Unit { price } => (0, price),
    };
    let min = catalog.settings.min_grams;
    let reading = match weight.grams {
        Some(g) => {
            let net = (g - i64::from(tare)).max(0);
            let state = if weight.stable {
                format!("■ {}", look.tr("Steady"))
            } else {
                format!("≈ {}", look.tr("Moving"))
            };
            row![
                text(grams(net)).size(look.sizes.huge),
                body(look, format!("{} ({})", state, look.tr("net"))),
            ]
        }
        None if weight.lost => row![
            text("– g").size(look.sizes.huge),
            body(
                look,
                format!("✕ {}", look.tr("The scale is not answering: ask staff"))
            ),
        ],
        None => row![
            text("– g").size(look.sizes.huge),
            body(look, format!("○ {}", look.tr("No weight"))),
        ],
    };
    let add = addable(product, weight, min).map(|_| Message::AddWeighed);
    container(
        column![
            heading(look, format!("{}: {}", look.tr("Weigh"), product.name)),
            body(
                look,
                format!(
                    "{} {}  ·  {} {}",
                    kr(per_kg),
                    look.tr("per kg"),
                    look.tr("minimum"),
                    grams(i64::from(min))
                )
            ),
            body(
                look,
                if weight.taken {
                    look.tr("Take the food off the scale before weighing the next")
                } else {
                    look.tr("Put the food on the scale")
                }
            ),
            reading.spacing(16).align_y(Alignment::Center),
            row![
                big(look, look.tr("Add"), add, theme::button::success).width(Length::Fill),
                big(
                    look,
                    look.tr("Close"),
                    Some(Message::CloseWeigh),
                    theme::button::tile
                )
                .width(Length::Fill),
            ]
            .spacing(12),
        ]
        .spacing(14)
        .align_x(Alignment::Center),
    )
    .padding(20)
    .style(theme::container::panel)
    .width(Length::Fill)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, VatRate};

    fn salad(tare_g: u32) -> Product {
        Product {
            sku: "SALATBAR".into(),
            name: "Salatbar".into(),
            pricing: Pricing::Weighed {
                price_per_kg: Money::from_ore(15_900),
                tare_g,
            },
            vat: VatRate::new(15).unwrap(),
            coffee: false,
            barcodes: vec![],
        }
    }

    #[test]
    fn add_only_on_a_stable_net_weight_above_the_minimum() {
        let p = salad(20);
        let w = |grams: i64, stable| Weight {
            grams: Some(grams),
            stable,
            taken: false,
            lost: false,
        };
        assert_eq!(addable(&p, w(412, true), 40), Some(412));
        assert_eq!(addable(&p, w(412, false), 40), None, "moving");
        assert_eq!(addable(&p, w(59, true), 40), None, "39 g net is below 40");
        assert_eq!(addable(&p, w(60, true), 40), Some(60));
        assert_eq!(addable(&p, w(-5, true), 40), None, "under zero");
        assert_eq!(addable(&p, Weight::default(), 40), None, "no weight");
        let taken = Weight {
            taken: true,
            ..w(412, true)
        };
        assert_eq!(addable(&p, taken, 40), None, "already on the sale");
    }
}
