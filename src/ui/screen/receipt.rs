//! Receipt choice after payment: print it, show it as a QR code for the
//! phone, or none; the printer's progress is shown while it prints.

use super::{Action, Key};
use crate::domain::print::{Header, Marking};
use crate::domain::{Money, Receipt};
use crate::store::SaleKind;
use crate::ui::Element;
use crate::ui::theme;
use crate::ui::widget::{Look, Style, big, body, heading, title};
use iced::widget::{column, container, image, row, text};
use iced::{Alignment, Length};

/// A self-service receipt screen left alone this long goes on as "no
/// receipt" (after a print or a QR, as "Done"): the next student must not
/// meet the last one's receipt, member number and bonus balance.
pub const LEAVE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Print,
    ShowQr,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Choose,
    Printing,
    /// Printed, or the printer's problem in words.
    Printed(Result<(), String>),
    /// The receipt as a QR code: its text (`qr_text`) and the image.
    Qr {
        text: String,
        image: image::Handle,
    },
    /// No printer configured (`[printer] target = "screen"`): the receipt as
    /// it would print, on screen.
    OnScreen(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub receipt: Receipt,
    /// The receipt's series: a training receipt keeps its marking on every
    /// way it is shown (print, screen, QR).
    pub series: SaleKind,
    pub change: Option<Money>,
    pub stage: Stage,
}

/// What the receipt QR carries: a link a phone opens, sealed with the
/// receipt's signature so it can be checked (`domain::receipt_link`,
/// `kasse verify receipt URL`). None if the store has no such receipt.
pub fn qr_text(
    base: &str,
    till: &str,
    store: &crate::store::Store,
    kind: crate::store::SaleKind,
    number: u64,
) -> Option<String> {
    let (at, total, signature) = store.receipt_seal(kind, number).ok()??;
    let link = crate::domain::receipt_link::ReceiptLink {
        till: till.to_string(),
        series: kind.code().to_string(),
        number,
        at: at.naive_local(),
        total,
        seal: crate::domain::receipt_link::seal_of(&signature),
    };
    Some(link.url(base))
}

/// The cashier's keys: F5 print, F6 QR, F7 no receipt; Enter is Done
/// once the receipt is out.
pub fn key(state: &State, key: Key) -> Option<Action> {
    match (&state.stage, key) {
        (Stage::Choose, Key::F(5)) => Some(Action::Receipt(Choice::Print)),
        (Stage::Choose, Key::F(6)) => Some(Action::Receipt(Choice::ShowQr)),
        (Stage::Choose, Key::F(7)) => Some(Action::Receipt(Choice::None)),
        (Stage::Printed(_) | Stage::OnScreen(_) | Stage::Qr { .. }, Key::Enter) => {
            Some(Action::Receipt(Choice::None))
        }
        _ => None,
    }
}

/// The printed marking of a receipt series.
pub fn marking(series: SaleKind) -> Marking {
    match series {
        SaleKind::Sale => Marking::Sale,
        SaleKind::Return => Marking::Return,
        SaleKind::Training => Marking::Training,
    }
}

/// The large marking line(s) the screen shows above a receipt that is not a
/// plain sale: e.g. "Treningskvittering – IKKJE KVITTERING FOR KJØP".
pub fn banner(series: SaleKind) -> Option<String> {
    let m = marking(series);
    match m {
        Marking::Sale => None,
        _ if m.not_a_receipt() => Some(format!("{} – IKKJE KVITTERING FOR KJØP", m.title())),
        _ => Some(m.title().to_string()),
    }
}

/// The print header of a receipt of `series` (a copy keeps its marking).
pub fn header<'a>(
    series: SaleKind,
    company: &'a str,
    org_no: &'a str,
    till: &'a str,
    at: &'a str,
    copy: bool,
) -> Header<'a> {
    Header {
        company,
        org_no,
        till,
        at,
        marking: marking(series),
        copy,
    }
}

pub fn view<'a>(look: Look, state: &'a State) -> Element<'a, Action> {
    // A receipt that is not a plain sale is titled with its marking.
    let heading_text = banner(state.series).unwrap_or_else(|| look.tr("Receipt").to_string());
    let mut col = column![title(look, heading_text)]
        .spacing(22)
        .align_x(Alignment::Center);
    match &state.stage {
        Stage::Choose => {
            // The receipt screen comes only after the sale is paid and saved.
            col = col
                .push(heading(look, format!("✓  {}", look.tr("Paid and saved"))))
                .push(body(look, look.tr("Do you want a receipt?")))
                .push(
                    row([
                        (
                            look.tr("Print"),
                            Choice::Print,
                            theme::button::primary as Style,
                        ),
                        (look.tr("Show QR"), Choice::ShowQr, theme::button::primary),
                        (look.tr("No thanks"), Choice::None, theme::button::tile),
                    ]
                    .map(|(label, choice, style)| {
                        big(look, label, Some(Action::Receipt(choice)), style)
                            .width(Length::Fixed(220.0))
                            .into()
                    }))
                    .spacing(20),
                );
        }
        Stage::Printing => col = col.push(heading(look, look.tr("Printing…"))),
        Stage::Printed(result) => {
            col = col.push(match result {
                Ok(()) => heading(look, format!("✓ {}", look.tr("Printed"))),
                Err(e) => container(
                    text(format!("✕  {}: {e}", look.tr("Printer problem"))).size(look.sizes.body),
                )
                .padding(10)
                .style(theme::container::refusal)
                .into(),
            });
            col = col.push(
                big(
                    look,
                    look.tr("Done"),
                    Some(Action::Receipt(Choice::None)),
                    theme::button::success,
                )
                .width(Length::Fixed(240.0)),
            );
        }
        Stage::OnScreen(text_) => {
            col = col
                .push(
                    container(
                        iced::widget::scrollable(
                            text(text_.clone())
                                .size(look.sizes.small)
                                .font(iced::Font::MONOSPACE)
                                .wrapping(iced::widget::text::Wrapping::None),
                        )
                        .direction(iced::widget::scrollable::Direction::Both {
                            vertical: iced::widget::scrollable::Scrollbar::default(),
                            horizontal: iced::widget::scrollable::Scrollbar::default(),
                        })
                        .width(Length::Fixed(look.sizes.small * 0.62 * 48.0))
                        .height(Length::Fixed(380.0)),
                    )
                    .padding(12)
                    .style(theme::container::panel),
                )
                .push(
                    big(
                        look,
                        look.tr("Done"),
                        Some(Action::Receipt(Choice::None)),
                        theme::button::success,
                    )
                    .width(Length::Fixed(240.0)),
                );
        }
        Stage::Qr { image: handle, .. } => {
            col = col
                .push(body(look, look.tr("Scan to get your receipt")))
                .push(image(handle.clone()).width(Length::Fixed(260.0)))
                .push(
                    big(
                        look,
                        look.tr("Done"),
                        Some(Action::Receipt(Choice::None)),
                        theme::button::success,
                    )
                    .width(Length::Fixed(240.0)),
                );
        }
    }
    container(col).center(Length::Fill).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_that_is_not_a_sale_is_titled_with_its_marking() {
        assert_eq!(banner(SaleKind::Sale), None);
        assert_eq!(
            banner(SaleKind::Training).as_deref(),
            Some("Treningskvittering – IKKJE KVITTERING FOR KJØP")
        );
    }
}
