//! The window around every screen: the page of the screen showing, the top
//! bar, the notice slot, the camera view, the status bar (sync, demo
//! payments, demo QR key, scale, camera) and the overlays (a question,
//! "still there?").

use super::*;
use iced::widget::column;

/// The camera thumbnail's slot: 120 px high, as wide as a 16:9 frame.
const PREVIEW_HEIGHT: f32 = 120.0;
const PREVIEW_WIDTH: f32 = 214.0;

/// iced's default line height, relative to the text's size.
const TEXT_LINE_HEIGHT: f32 = 1.3;
/// The status bar's padding above and below, and between its two lines.
const STATUS_PADDING: f32 = 6.0;
const STATUS_LINE_GAP: f32 = 2.0;

impl App {
    /// How the screens look now: language, text size, the keypad's focus.
    pub(super) fn look(&self) -> Look {
        let focus = self.focus_ring();
        Look {
            focus,
            ..Look::new(self.lang, self.large_text)
        }
    }

    pub(super) fn top_bar(&self, look: Look) -> Element<'_, Message> {
        let mut bar = row![
            widget::heading(look, self.settings.company.name.clone()),
            widget::fill()
        ]
        .spacing(12)
        .padding([8, 16])
        .align_y(iced::Alignment::Center);
        if let Some(op) = self.till.operator() {
            bar = bar.push(widget::body(
                look,
                format!("{}: {op}", tr(self.lang, "Cashier")),
            ));
        }
        bar = bar.push(
            widget::big(
                look,
                self.lang.other().name(),
                Some(Message::Do(Action::Language)),
                theme::button::tile,
            )
            .width(Length::Fixed(150.0)),
        );
        if self.till.mode() == Mode::SelfService && !matches!(self.screen, Screen::Staff(_)) {
            bar = bar.push(
                widget::big(
                    look,
                    format!("? {}", tr(self.lang, "Help")),
                    Some(Message::Do(Action::Help)),
                    theme::button::primary,
                )
                .width(Length::Fixed(150.0)),
            );
        }
        bar.into()
    }

    pub(super) fn camera_view<M: 'static>(&self, look: Look) -> Element<'_, M> {
        let flash = self.flash_until.is_some();
        let picture: Element<'_, M> = match &self.preview {
            Some(h) => image(h.clone())
                .height(Length::Fixed(PREVIEW_HEIGHT))
                .into(),
            // No picture yet: what the camera is (the demo's codes wait for
            // F11), or that there is none.
            None if self.status.camera_ok => label(format!(
                "◌ {}",
                text::device(self.lang, &self.status.camera)
            ))
            .size(look.sizes.small)
            .into(),
            None => label(format!("◌ {}", tr(self.lang, "No camera")))
                .size(look.sizes.small)
                .into(),
        };
        let caption = if flash {
            format!("✓ {}", tr(self.lang, "Code read"))
        } else {
            tr(self.lang, "Scan the QR code in your app, or tap an item").to_string()
        };
        let style: fn(&iced::Theme) -> container::Style = if flash {
            theme::container::ok
        } else {
            theme::container::panel
        };
        // The picture's slot keeps its size with or without a picture, so
        // the caption stays put when the first frame comes or the camera
        // goes.
        let picture = container(picture)
            .center_x(Length::Fixed(PREVIEW_WIDTH))
            .center_y(Length::Fixed(PREVIEW_HEIGHT))
            .clip(true);
        container(
            row![picture, label(caption).size(look.sizes.body)]
                .spacing(16)
                .align_y(iced::Alignment::Center),
        )
        .padding(8)
        .width(Length::Fill)
        .style(style)
        .into()
    }

    pub(super) fn status_bar(&self, look: Look) -> Element<'_, Message> {
        let lang = self.lang;
        let s = &self.status;
        // Without a ledger the till stands alone: its own books are the
        // only ones, so it is not "offline" and no offline limits apply.
        let sync = if !s.ledger {
            format!(
                "◐ {} ({})",
                tr(lang, "Standalone"),
                tr(lang, "no ledger configured"),
            )
        } else if s.sync.online {
            format!(
                "● {}, {} {}",
                tr(lang, "Online"),
                s.sync.queue,
                tr(lang, "queued")
            )
        } else {
            format!(
                "○ {}, {} {}",
                tr(lang, "Offline"),
                s.sync.queue,
                tr(lang, "queued")
            )
        };
        let mark = |ok: bool| if ok { "●" } else { "○" };
        // A warning for staff first (the bar keeps two lines: what does not
        // fit is cut from the end), then the till's links and devices.
        let warning = if !s.unsaved_refunds.is_empty() {
            format!(
                "⚠ {}: {}",
                tr(lang, "Refund not saved, check at the provider"),
                s.unsaved_refunds
                    .iter()
                    .map(|(n, amount, tender)| format!("{n} ({tender} {amount})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if s.recovered.is_empty() {
            String::new()
        } else {
            format!(
                "⚠ {}: {}",
                tr(lang, "Completed after a restart, receipt"),
                s.recovered
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let items = [
            warning,
            sync,
            format!(
                "{} {}: {}",
                mark(s.scale_ok),
                tr(lang, "Scale"),
                text::device(lang, &s.scale)
            ),
            format!(
                "{} {}: {}",
                mark(s.camera_ok),
                tr(lang, "Camera"),
                text::device(lang, &s.camera)
            ),
            // Speech mode on without espeak-ng.
            if s.speech.is_empty() {
                String::new()
            } else {
                format!("⚠ {}", s.speech)
            },
            if s.demo_payments {
                format!("◐ {}", tr(lang, "Demo payments"))
            } else {
                String::new()
            },
            // Anyone can sign codes with the published demo key: say so.
            if self.settings.demo_key {
                format!("◐ {}", tr(lang, "DEMO QR key"))
            } else {
                String::new()
            },
        ];
        // An empty item would still take the row's spacing.
        let items = items
            .into_iter()
            .filter(|item| !item.is_empty())
            .map(|item| label(item).size(look.sizes.small).into());
        container(
            iced::widget::Row::with_children(items)
                .spacing(28)
                .wrap()
                .vertical_spacing(STATUS_LINE_GAP),
        )
        .padding([STATUS_PADDING, 16.0])
        // Two lines, whatever it says: a lost scale or camera (or a long
        // warning) does not lift the page under the finger; a third line
        // is cut rather than take the page's room.
        .height(Length::Fixed(Self::status_bar_height(look)))
        .clip(true)
        .width(Length::Fill)
        .style(theme::container::status_bar)
        .into()
    }

    /// The status bar's fixed height: two lines of small text.
    fn status_bar_height(look: Look) -> f32 {
        let line = look.sizes.small * TEXT_LINE_HEIGHT;
        2.0 * line + STATUS_LINE_GAP + 2.0 * STATUS_PADDING
    }

    pub fn view(&self) -> Element<'_, Message> {
        let look = self.look();
        let page: Element<'_, Message> = match &self.screen {
            Screen::Welcome => {
                let quick: Vec<&Product> = self
                    .till
                    .catalog()
                    .products()
                    .iter()
                    .filter(|p| p.coffee && !p.is_weighed())
                    .collect();
                let weighed = self
                    .till
                    .catalog()
                    .products()
                    .iter()
                    .any(Product::is_weighed);
                welcome::view(look, &quick, weighed).map(Message::Do)
            }
            Screen::Shopping(state) => shopping::view(
                state,
                shopping::View {
                    look,
                    sale: self.till.sale(),
                    member: self.till.member(),
                    catalog: self.till.catalog(),
                    weight: self.weight,
                    camera: self.camera_view(look),
                },
            )
            .map(Message::Shopping),
            Screen::Register(state) => register::view(
                state,
                register::View {
                    look,
                    sale: self.till.sale(),
                    member: self.till.member(),
                    catalog: self.till.catalog(),
                    bonus_available: self.bonus_offer().is_some(),
                },
            )
            .map(Message::Register),
            Screen::Bonus(state) => bonus::view(look, state).map(Message::Do),
            Screen::Payment(state) => payment::view(look, state).map(Message::Payment),
            Screen::Receipt(state) => receipt::view(look, state).map(Message::Do),
            Screen::Thanks(state) => thanks::view(look, state).map(Message::Do),
            Screen::Staff(state) => staff::view(look, state).map(Message::Staff),
            Screen::Reports(state) => {
                reports::view(look, state, self.till.is_training()).map(Message::Do)
            }
            Screen::Returns(state) => returns::view(look, state).map(Message::Returns),
            Screen::Cash(state) => screen::cash::view(look, state).map(Message::Cash),
        };
        // The low layout (a seated student's reach): the top bar goes below
        // the page and the page starts lower; only words stay up top.
        let low = self.low && self.till.mode() == Mode::SelfService;
        let mut body = if low {
            column![]
        } else {
            column![self.top_bar(look)]
        };
        if self.till.is_training() {
            body = body.push(
                container(
                    label(tr(self.lang, "TRAINING MODE: not a real sale")).size(look.sizes.heading),
                )
                .padding(8)
                .width(Length::Fill)
                .style(theme::container::warning),
            );
        }
        // The notice has a slot of its own, there or not, so nothing moves
        // under the finger when one comes or goes.
        let slot = look.sizes.heading * 1.4 + 32.0;
        let notice: Element<'_, Message> = match &self.notice {
            Some((n, _)) => container(widget::notice(look, n)).padding([4, 16]).into(),
            None => iced::widget::Space::new().into(),
        };
        body = body.push(
            container(notice)
                .height(Length::Fixed(slot))
                .width(Length::Fill)
                .clip(true),
        );
        body = if low {
            body.push(iced::widget::Space::new().height(Length::FillPortion(1)))
                .push(container(page).height(Length::FillPortion(5)))
                .push(self.top_bar(look))
        } else {
            body.push(container(page).height(Length::Fill))
        };
        body = body.push(self.status_bar(look));
        let base = container(body)
            .width(Length::Fill)
            .height(Length::Fill)
            .style(theme::container::page);
        // Overlays take every tap: nothing under them is pressed by mistake.
        let mut layers = stack![base];
        if let Some(ask) = &self.ask {
            layers = layers.push(iced::widget::opaque(
                screen::confirm::view(look, ask).map(Message::Do),
            ));
        }
        if let Some(left) = self.idle.seconds_left(self.now) {
            layers = layers.push(iced::widget::opaque(
                screen::idle::view(look, left).map(Message::Do),
            ));
        }
        layers.into()
    }
}
