//! The kiosk: self-service and operated checkout in iced (one file per
//! screen under `screen/`). `kasse` with no command opens it.

pub mod app;
pub mod devices;
pub mod screen;
pub mod text;
pub mod theme;
pub mod tour;
pub mod widget;

pub use app::{App, Message, Settings, pin_owner};

pub type Element<'a, M> = iced::Element<'a, M>;

use crate::config::Config;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Opens the kiosk window and runs until it is closed.
pub fn run(config_path: &Path, tour: Option<&Path>) -> Result<()> {
    let config = Config::load(config_path)?;
    for w in config.warnings() {
        eprintln!("kasse: warning: {w}");
    }
    let mut till = crate::wiring::open_till(&config)
        .with_context(|| format!("opening the till of {}", config_path.display()))?;
    till.started(chrono::Local::now().fixed_offset())
        .context("journaling the start")?;
    let providers = crate::wiring::Providers::from_config(&config)?;
    // Payments a crash left open are resolved before the first customer.
    let recovered = crate::wiring::recover(&mut till, &providers)?;
    for r in &recovered {
        eprintln!("kasse: recovery: {r}");
    }
    let reserver: Option<Arc<dyn crate::till::Reserver>> = match &config.ledger {
        Some(_) => Some(Arc::new(crate::wiring::ledger_client(&config)?)),
        None => None,
    };
    let settings = Settings::from_config(&config);
    let size = (config.kiosk.width as f32, config.kiosk.height as f32);
    let mode = config.mode;
    let setup = devices::Setup(Arc::new(config));
    let started = Instant::now();
    let boot = move || {
        let mut app = App::new(till, settings.clone(), Instant::now());
        app.set_providers(providers.clone());
        if let Some(r) = &reserver {
            app.set_reserver(Arc::clone(r));
        }
        app.recovered(&recovered);
        app.status.ledger = setup.0.ledger.is_some();
        app.set_setup(setup.clone());
        eprintln!("kasse: window up in {} ms", started.elapsed().as_millis());
        app
    };
    match tour {
        None => window(
            boot,
            size,
            App::update,
            App::view,
            App::title,
            App::subscription,
        ),
        Some(dir) => {
            let dir = dir.to_path_buf();
            window(
                move || tour::Touring::new(boot(), tour::Tour::new(&dir, mode, started)),
                size,
                tour::Touring::update,
                tour::Touring::view,
                tour::Touring::title,
                tour::Touring::subscription,
            )
        }
    }
}

/// Runs one window of `S` (the kiosk, or the kiosk on tour) until it closes.
/// iced boots an application once: the boot is taken the first time.
fn window<S: 'static, M: Send + std::fmt::Debug + 'static>(
    boot: impl FnOnce() -> S + 'static,
    (width, height): (f32, f32),
    update: fn(&mut S, M) -> iced::Task<M>,
    view: for<'a> fn(&'a S) -> Element<'a, M>,
    title: fn(&S) -> String,
    subscription: fn(&S) -> iced::Subscription<M>,
) -> Result<()> {
    let boot = std::sync::Mutex::new(Some(boot));
    iced::application(
        move || match boot.lock().ok().and_then(|mut b| b.take()) {
            Some(make) => make(),
            None => panic!("the kiosk booted twice"),
        },
        update,
        view,
    )
    .title(title)
    .subscription(subscription)
    .theme(|_: &S| theme::theme())
    .window_size((width, height))
    // Closing the window journals the shut-down first (App::closing).
    .exit_on_close_request(false)
    .run()
    .context("the kiosk window failed")
}
