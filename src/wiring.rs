//! Opening a till from its config, in one place for the kiosk and the
//! command line: the store with its signing key (seeded when new), the till
//! on it, the ledger client, the payment providers, and recovery of the
//! payments a crash left open (spec/payments.md).

use crate::compliance::sign;
use crate::config::Config;
use crate::domain::TenderKind;
use crate::payments::Provider;
use crate::payments::recover::{self, Resolved};
use crate::store::{Intent, SigningKey, Store, StoreError};
use crate::till::{Link, Till};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::sync::Arc;

/// The till's database, opened with its signing key and seeded with the
/// configured data file when it has no products yet (the demo).
pub fn open_store(config: &Config) -> Result<Store> {
    let signer = sign::Signer::from_pem_file(&config.signing_key)?;
    let key = SigningKey {
        public_pem: signer.public_pem().to_string(),
        signer: Box::new(signer),
        version: config.key_version.clone(),
    };
    let mut store = Store::open_with_key(&config.store_path, &config.till_id, key)?;
    if store.catalog()?.products().is_empty()
        && let Some(seed) = &config.seed
    {
        store.seed(
            &crate::data::Data::load_for_till(seed)?,
            chrono::Local::now().fixed_offset(),
        )?;
    }
    Ok(store)
}

/// A till database signed with the built-in demo key (replay, tests, the
/// benchmarks): [`Store::open_with_key`] with [`sign::demo_key`].
pub fn open_demo_store(path: &Path, till: &str) -> Result<Store, StoreError> {
    let key = sign::demo_key().map_err(|e| StoreError::Sign(Box::new(e)))?;
    Store::open_with_key(path, till, key)
}

/// The till a config describes, on its own database.
pub fn open_till(config: &Config) -> Result<Till> {
    let store = open_store(config)?;
    // No ledger configured (the demo): a till on its own cache, online as far
    // as the offline limits go, as replay runs. With a ledger the sync
    // worker's status decides, and a till that has never synced is offline
    // since forever (its offline limits apply in full).
    let last_sync = match store.sync_state()?.last_sync {
        Some(t) => t,
        None if config.ledger.is_some() => Link::never(),
        None => chrono::Local::now().fixed_offset(),
    };
    let link = Link {
        online: config.ledger.is_none(),
        last_sync,
    };
    // Trust exactly the config's keys and the ledger's, never the keys a
    // data file seeded (spec/qr-payloads.md).
    let mut till = Till::new(store, config.mode, link, config.offline)?;
    till.trust_config_and_ledger_keys(&config.trusted_keys)?;
    Ok(till)
}

/// The client of the central ledger in `[ledger]`.
pub fn ledger_client(config: &Config) -> Result<crate::sync::LedgerClient> {
    let Some(l) = &config.ledger else {
        bail!(
            "{}: no [ledger] section (url, token_file)",
            config.source.display()
        );
    };
    let token = std::fs::read_to_string(&l.token_file)
        .with_context(|| format!("reading the till's token from {}", l.token_file.display()))?
        .trim()
        .to_string();
    let ca = l
        .ca_file
        .as_ref()
        .map(|f| {
            std::fs::read(f)
                .with_context(|| format!("reading the ledger's CA certificate {}", f.display()))
        })
        .transpose()?;
    Ok(crate::sync::LedgerClient::with_ca(
        crate::sync::LedgerConfig {
            url: l.url.clone(),
            till: config.till_id.clone(),
            token,
            timeout: std::time::Duration::from_millis(l.timeout_ms),
            batch: 500,
        },
        ca.as_deref(),
    )?)
}

/// The payment providers of a till, per tender.
#[derive(Clone)]
pub struct Providers {
    pub card: Arc<dyn Provider>,
    pub vipps: Arc<dyn Provider>,
    /// Some tender talks to an in-process emulator (the demo).
    pub emulated: bool,
}

impl Providers {
    /// The simulators of `[payment]` (demo and tests).
    pub fn simulated(config: &crate::config::PaymentConfig) -> Providers {
        use crate::payments::simulator::Simulator;
        Providers {
            card: Arc::new(Simulator::new(TenderKind::Card, config.clone())),
            vipps: Arc::new(Simulator::new(TenderKind::Vipps, config.clone())),
            emulated: false,
        }
    }

    /// The configured providers (`[payment]`): the protocol clients, pointed
    /// at in-process emulators when the demo asks for them, which keep their
    /// payments beside the till's database (`<store_path>.emulators.json`).
    pub fn from_config(config: &Config) -> Result<Providers> {
        let state = crate::payments::Emulators::state_beside(&config.store_path);
        Providers::from_payment(&config.payment, Some(&state))
    }

    /// The providers `[payment]` chooses (config.toml or a replay scenario).
    /// In-process emulators (the demo) keep their books in the JSON file
    /// `state` when given, so a payment outlives a restart of the till as it
    /// does at the real provider (`Emulators::state_beside` the till's
    /// database); without it they keep them in memory. Real providers
    /// ignore it.
    pub fn from_payment(
        payment: &crate::config::PaymentConfig,
        state: Option<&std::path::Path>,
    ) -> Result<Providers> {
        use crate::payments::{Emulators, provider};
        let emulators = Emulators::for_config(payment, state)
            .context("starting the demo's payment emulators on 127.0.0.1")?;
        Ok(Providers {
            card: provider(TenderKind::Card, payment, emulators.as_ref())?,
            vipps: provider(TenderKind::Vipps, payment, emulators.as_ref())?,
            emulated: emulators.is_some(),
        })
    }

    pub fn for_tender(&self, kind: TenderKind) -> Option<&Arc<dyn Provider>> {
        match kind {
            TenderKind::Card => Some(&self.card),
            TenderKind::Vipps => Some(&self.vipps),
            TenderKind::Cash | TenderKind::Bonus => None,
        }
    }

    /// The provider that took `intent`, if it is still the configured one.
    pub fn for_intent(&self, intent: &Intent) -> Option<Arc<dyn Provider>> {
        self.for_tender(intent.tender)
            .filter(|p| p.name() == intent.provider)
            .cloned()
    }

    /// True when no real money moves for some tender: the simulator or an
    /// emulator takes it (the status bar says "Demo payments").
    pub fn demo(&self) -> bool {
        self.emulated
            || [&self.card, &self.vipps]
                .iter()
                .any(|p| p.name() == "simulator")
    }
}

/// Resolves the payments a crash left open, asking their providers.
pub fn recover(till: &mut Till, providers: &Providers) -> Result<Vec<Resolved>> {
    let lookup = |intent: &Intent| providers.for_intent(intent);
    Ok(recover::recover(
        till,
        &lookup,
        chrono::Local::now().fixed_offset(),
    )?)
}
