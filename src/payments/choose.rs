//! Which provider takes which tender (spec/payments.md, "Providers"): the
//! simulator, or a protocol client pointed at the configured provider or —
//! for the demo, `[payment] emulators = true` without the provider's table —
//! at an in-process emulator speaking the same protocol.

use super::emulator::{self, EmulatorError, EmulatorHandle, Mode, StateFile};
use super::epayment::{Epayment, EpaymentConfig};
use super::nexo::{Nexo, NexoConfig};
use super::simulator::Simulator;
use super::{Provider, ProviderError, ProviderStatus, Running};
use crate::domain::Money;
use crate::domain::receipt::TenderKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often the demo polls the in-process Vipps emulator (the real API
/// asks for 2 s; the emulator does not mind).
const EMULATED_POLL_MS: u64 = 500;

/// `[payment]` of config.toml (and of a replay scenario): who takes each
/// tender, and the simulator's and the emulators' settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentConfig {
    /// How long a simulated (or, in the demo, emulated) customer takes.
    pub delay_ms: u64,
    /// Share of payments the simulator declines, in per mille.
    pub decline_permille: u32,
    pub timeout_ms: u64,
    /// `card`: who takes card payments.
    pub card: CardProvider,
    /// `vipps`: who takes Vipps payments.
    pub vipps: VippsProvider,
    /// `emulators`: a real provider without its table talks to an
    /// in-process emulator of its protocol (the demo).
    pub emulators: bool,
    /// `[payment.nexo]`: the card terminal.
    pub nexo: Option<NexoConfig>,
    /// `[payment.epayment]`: Vipps MobilePay's ePayment API.
    pub epayment: Option<EpaymentConfig>,
}

impl Default for PaymentConfig {
    fn default() -> PaymentConfig {
        PaymentConfig {
            delay_ms: 1500,
            decline_permille: 0,
            timeout_ms: 60_000,
            card: CardProvider::Simulator,
            vipps: VippsProvider::Simulator,
            emulators: false,
            nexo: None,
            epayment: None,
        }
    }
}

/// `[payment] card`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardProvider {
    /// The built-in simulator (demos and tests; "Demo payments").
    #[default]
    Simulator,
    /// A nexo Sale-to-POI terminal (`[payment.nexo]`).
    Nexo,
}

/// `[payment] vipps`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VippsProvider {
    /// The built-in simulator (demos and tests; "Demo payments").
    #[default]
    Simulator,
    /// Vipps MobilePay's ePayment API (`[payment.epayment]`).
    Epayment,
}

#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error("{0} is not paid through a payment provider")]
    NoProvider(&'static str),
    #[error(
        "{provider} needs a [payment.{provider}] table in the config (or `emulators = true` in [payment] for the demo)"
    )]
    NotConfigured { provider: &'static str },
}

/// The in-process emulators of the demo: a Vipps and a card terminal on
/// loopback, approving every payment after the demo delay.
///
/// Given a state file (the till's own: [`Emulators::state_beside`] its
/// database), both keep their books in it across restarts, so a payment
/// outlives a till killed mid-payment as it would at the real provider
/// (see [`StateFile`]).
pub struct Emulators {
    vipps: Arc<EmulatorHandle>,
    terminal: Arc<EmulatorHandle>,
}

impl Emulators {
    /// Both emulators (`Mode::Approve`), the customer taking `delay`, with
    /// their books only in memory.
    pub fn spawn(delay: Duration) -> Result<Emulators, EmulatorError> {
        Emulators::spawn_with_state(delay, None)
    }

    /// Both emulators (`Mode::Approve`), the customer taking `delay`; with
    /// `state`, a JSON file (created when missing) that both keep their
    /// books in, starting from what it holds.
    pub fn spawn_with_state(
        delay: Duration,
        state: Option<&Path>,
    ) -> Result<Emulators, EmulatorError> {
        let state = state.map(StateFile::open).transpose()?;
        let vipps = emulator::vipps::spawn_vipps_on(Mode::Approve, state.clone())?;
        vipps.set_delay(delay);
        let terminal = emulator::terminal::spawn_terminal_on(Mode::Approve, state)?;
        terminal.set_delay(delay);
        Ok(Emulators {
            vipps: Arc::new(vipps),
            terminal: Arc::new(terminal),
        })
    }

    /// Whether `config` asks for emulators: `emulators = true` and a real
    /// provider chosen without its table.
    pub fn wanted(config: &PaymentConfig) -> bool {
        config.emulators
            && ((config.card == CardProvider::Nexo && config.nexo.is_none())
                || (config.vipps == VippsProvider::Epayment && config.epayment.is_none()))
    }

    /// The emulators `config` asks for, started (demo delay `delay_ms`),
    /// keeping their books in the JSON file `state` when given (see
    /// [`Emulators::spawn_with_state`]).
    pub fn for_config(
        config: &PaymentConfig,
        state: Option<&Path>,
    ) -> Result<Option<Emulators>, EmulatorError> {
        if Emulators::wanted(config) {
            Emulators::spawn_with_state(Duration::from_millis(config.delay_ms), state).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The emulators' state file of the till database `db`: beside it,
    /// `<db>.emulators.json` (`kasse.sqlite` → `kasse.sqlite.emulators.json`).
    pub fn state_beside(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".emulators.json");
        PathBuf::from(name)
    }

    pub fn vipps(&self) -> &EmulatorHandle {
        &self.vipps
    }

    pub fn terminal(&self) -> &EmulatorHandle {
        &self.terminal
    }

    /// A `[payment.nexo]` for the emulated terminal.
    pub fn nexo_config(&self, timeout_ms: u64) -> NexoConfig {
        NexoConfig {
            url: self.terminal.url().to_string(),
            sale_id: "kasse-demo".into(),
            poi_id: emulator::terminal::POIID.into(),
            timeout_ms,
        }
    }

    /// A `[payment.epayment]` for the emulated Vipps (demo keys).
    pub fn epayment_config(&self, timeout_ms: u64) -> EpaymentConfig {
        EpaymentConfig {
            base_url: self.vipps.url().to_string(),
            client_id: "kasse-demo".into(),
            client_secret: "demo-client-secret".into(),
            subscription_key: "demo-subscription-key".into(),
            merchant_serial_number: "123456".into(),
            poll_ms: EMULATED_POLL_MS,
            timeout_ms,
        }
    }
}

/// A provider against an emulator keeps the emulator running while it lives.
struct Emulated<P> {
    provider: P,
    _emulator: Arc<EmulatorHandle>,
}

impl<P: Provider> Provider for Emulated<P> {
    fn name(&self) -> &'static str {
        self.provider.name()
    }

    fn start(&self, amount: Money, reference: &str, description: &str) -> Running {
        self.provider.start(amount, reference, description)
    }

    fn status(&self, reference: &str) -> Result<ProviderStatus, ProviderError> {
        self.provider.status(reference)
    }

    fn reverse(&self, reference: &str, amount: Money) -> Result<(), ProviderError> {
        self.provider.reverse(reference, amount)
    }

    fn refund(&self, reference: &str, amount: Money) -> Result<Option<String>, ProviderError> {
        self.provider.refund(reference, amount)
    }
}

/// The provider `[payment]` configures for `kind` (card or Vipps). A real
/// provider without its table is pointed at `emulators` when given.
pub fn provider(
    kind: TenderKind,
    config: &PaymentConfig,
    emulators: Option<&Emulators>,
) -> Result<Arc<dyn Provider>, ChooseError> {
    match kind {
        TenderKind::Card => match (config.card, &config.nexo, emulators) {
            (CardProvider::Simulator, _, _) => {
                Ok(Arc::new(Simulator::new(TenderKind::Card, config.clone())))
            }
            (CardProvider::Nexo, Some(nexo), _) => Ok(Arc::new(Nexo::new(nexo.clone()))),
            (CardProvider::Nexo, None, Some(e)) => Ok(Arc::new(Emulated {
                provider: Nexo::new(e.nexo_config(config.timeout_ms)),
                _emulator: Arc::clone(&e.terminal),
            })),
            (CardProvider::Nexo, None, None) => {
                Err(ChooseError::NotConfigured { provider: "nexo" })
            }
        },
        TenderKind::Vipps => match (config.vipps, &config.epayment, emulators) {
            (VippsProvider::Simulator, _, _) => {
                Ok(Arc::new(Simulator::new(TenderKind::Vipps, config.clone())))
            }
            (VippsProvider::Epayment, Some(epayment), _) => {
                Ok(Arc::new(Epayment::new(epayment.clone())))
            }
            (VippsProvider::Epayment, None, Some(e)) => Ok(Arc::new(Emulated {
                provider: Epayment::new(e.epayment_config(config.timeout_ms)),
                _emulator: Arc::clone(&e.vipps),
            })),
            (VippsProvider::Epayment, None, None) => Err(ChooseError::NotConfigured {
                provider: "epayment",
            }),
        },
        TenderKind::Cash => Err(ChooseError::NoProvider("cash")),
        TenderKind::Bonus => Err(ChooseError::NoProvider("bonus")),
    }
}
