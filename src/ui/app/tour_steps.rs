//! The tour's steps (scripts/screenshots.sh): what the kiosk does when the
//! tour asks for a screenshot or a measurement.

use super::*;

impl App {
    /// One tour step per few ticks: act, let the window paint, screenshot.
    pub(super) fn tour_tick(&mut self) -> Task<Message> {
        let Some(tour) = self.tour.as_mut() else {
            return Task::none();
        };
        if tour.first_frame.is_none() {
            tour.first_frame = Some(tour.started.elapsed());
        }
        if tour.shooting {
            return Task::none();
        }
        if let Some(since) = tour.measuring_frames {
            if since.elapsed() < Duration::from_secs(5) {
                return Task::none();
            }
            // Then the till at rest on the welcome screen, camera running,
            // nobody there: what it costs for hours every day.
            tour.measuring_frames = None;
            tour.resting = crate::ui::tour::cpu_time().map(|cpu| (Instant::now(), cpu));
            self.screen = Screen::Welcome;
            return Task::none();
        }
        if let Some((since, cpu)) = tour.resting {
            if since.elapsed() < Duration::from_secs(20) {
                return Task::none();
            }
            let used = crate::ui::tour::cpu_time()
                .unwrap_or(cpu)
                .saturating_sub(cpu);
            let share = used.as_secs_f64() / since.elapsed().as_secs_f64() * 100.0;
            tour.report.push(format!(
                "at rest on the welcome screen, camera running, over {} s: {share:.1} % of one core (CPU {} ms), RSS {:.1} MiB",
                since.elapsed().as_secs(),
                used.as_millis(),
                crate::ui::tour::rss_mib().unwrap_or(0.0)
            ));
            return self.tour_finish();
        }
        if let Some(name) = tour.pending.clone() {
            // Let the window paint the step before the picture is taken.
            if tour.settle > 0 {
                tour.settle -= 1;
                return Task::none();
            }
            tour.pending = None;
            tour.shooting = true;
            return iced::window::latest()
                .and_then(iced::window::screenshot)
                .map(move |shot| Message::Shot(name.clone(), shot));
        }
        if tour.next >= tour.steps.len() {
            return self.tour_measure();
        }
        let step = tour.next;
        let approve = tour.steps[step].approve;
        // A step that waits for the payment lets the provider (the demo's
        // emulator) answer, for up to about 15 s of ticks.
        if approve && self.till.tendering().is_some() && tour.waited < 60 {
            tour.waited += 1;
            return Task::none();
        }
        tour.waited = 0;
        let name = tour.steps[step].name.to_string();
        let messages = std::mem::take(&mut tour.steps[step].messages);
        tour.next += 1;
        tour.settle = 2;
        tour.pending = Some(name.clone());
        // The steps' tasks run (a provider's updates, a reservation), as
        // they would for a tap.
        let mut tasks: Vec<Task<Message>> = messages.into_iter().map(|m| self.route(m)).collect();
        if approve && let Some(t) = self.till.tendering().cloned() {
            eprintln!("kasse: tour: the provider did not answer; approving as a stand-in");
            tasks.push(self.route(Message::Terminal(
                t.intent,
                PaymentUpdate::Approved {
                    transaction_id: "TOUR-STAND-IN".into(),
                    amount: t.amount,
                },
            )));
        }
        if name == "12-still-there" {
            self.idle.prompt_until = Some(self.now + self.idle.answer_within);
        }
        Task::batch(tasks)
    }

    /// After the screens: 100 sales through the app, then frame times with
    /// the camera running.
    pub(super) fn tour_measure(&mut self) -> Task<Message> {
        let before = crate::ui::tour::rss_mib();
        let started = Instant::now();
        for _ in 0..100 {
            self.sale_for_measurement();
        }
        let took = started.elapsed();
        let sales = self.till.store().last_nr().unwrap_or(0);
        let after = crate::ui::tour::rss_mib();
        if let Some(tour) = self.tour.as_mut() {
            if let Some(first) = tour.first_frame {
                tour.report.push(format!(
                    "cold start to first frame: {} ms",
                    first.as_millis()
                ));
            }
            tour.report.push(format!(
                "100 sales through the app in {} ms (receipts so far: {sales}); RSS before {:.1} MiB, after {:.1} MiB",
                took.as_millis(),
                before.unwrap_or(0.0),
                after.unwrap_or(0.0)
            ));
            tour.measuring_frames = Some(Instant::now());
        }
        // The demo camera holds up its codes now, so the frame times are
        // taken while the scanner decodes.
        self.demo
            .codes
            .fetch_add(20, std::sync::atomic::Ordering::SeqCst);
        Task::none()
    }

    pub(super) fn sale_for_measurement(&mut self) {
        let _ = self.route(Message::Do(Action::NextCustomer));
        let _ = self.act(Action::Tap {
            sku: "KAFFE".into(),
            qty: 1,
        });
        if self.till.mode() == Mode::Cashier {
            let _ = self.act(Action::Pay);
            let _ = self.act(Action::Tender {
                kind: TenderKind::Cash,
                cash_given: None,
            });
        } else {
            let _ = self.act(Action::Pay);
            let _ = self.act(Action::Tender {
                kind: TenderKind::Card,
                cash_given: None,
            });
            if let Some(t) = self.till.tendering().cloned() {
                let _ = self.route(Message::Terminal(
                    t.intent.clone(),
                    PaymentUpdate::Approved {
                        transaction_id: format!("BENCH-{}", t.intent),
                        amount: t.amount,
                    },
                ));
            }
        }
        let _ = self.act(Action::Receipt(receipt::Choice::None));
    }

    pub(super) fn tour_finish(&mut self) -> Task<Message> {
        let Some(tour) = self.tour.as_mut() else {
            return Task::none();
        };
        if let Some((p50, p99, max, slow, n)) = tour.frame_stats() {
            tour.report.push(format!(
                "frame interval with the camera running, {n} frames over 5 s: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms, {slow} slower than 33.4 ms"
            ));
        }
        tour.report
            .push(format!("screenshots: {}", tour.saved.len()));
        let text = tour.report.join("\n") + "\n";
        eprint!("{text}");
        if let Err(e) = std::fs::write(tour.dir.join("measurements.txt"), text) {
            eprintln!("kasse: {}: {e}", tour.dir.display());
        }
        iced::exit()
    }
}
