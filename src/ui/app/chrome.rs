//! The window chrome around every screen: the top bar, the camera view and
//! the status bar (sync, demo payments, demo QR key, scale, camera).

use super::*;

impl App {
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
            Some(h) => image(h.clone()).height(Length::Fixed(120.0)).into(),
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
        let sync = if !s.ledger {
            format!(
                "○ {} ({}), {} {}",
                tr(lang, "Offline"),
                tr(lang, "no ledger configured"),
                s.sync.queue,
                tr(lang, "queued")
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
        let payments = if s.demo_payments {
            format!("◐ {}", tr(lang, "Demo payments"))
        } else {
            String::new()
        };
        // Anyone can sign codes with the published demo key: say so.
        let demo = if self.settings.demo_key {
            format!("◐ {}", tr(lang, "DEMO QR key"))
        } else {
            String::new()
        };
        container(
            row![
                label(sync).size(look.sizes.small),
                label(payments).size(look.sizes.small),
                label(demo).size(look.sizes.small),
                label(if s.recovered.is_empty() {
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
                })
                .size(look.sizes.small),
                label(format!(
                    "{} {}: {}",
                    mark(s.scale_ok),
                    tr(lang, "Scale"),
                    text::device(lang, &s.scale)
                ))
                .size(look.sizes.small),
                label(format!(
                    "{} {}: {}",
                    mark(s.camera_ok),
                    tr(lang, "Camera"),
                    text::device(lang, &s.camera)
                ))
                .size(look.sizes.small),
            ]
            .spacing(28),
        )
        .padding([6, 16])
        .width(Length::Fill)
        .style(theme::container::status_bar)
        .into()
    }
}
