//! The till's side of spec/ledger-api.md: upload the outbox, pull the change
//! feed into the cache, reserve stored value online, look up and hold an
//! original sale for a return (`returns`). Never blocks a sale for
//! longer than `timeout_ms`: an unanswered ledger means offline limits.

mod returns;

use crate::store::{Change, Store, StoreError};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the ledger at {url} does not answer: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the ledger refused the till's token (HTTP {0}): re-enroll the till")]
    Auth(u16),
    #[error(
        "the ledger holds other content for an event this till sent (HTTP 422): {0} — staff must look at it"
    )]
    Conflict(String),
    #[error("the ledger answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("the ledger's reply is not what the protocol says: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the ledger is and who this till is.
#[derive(Clone, Debug)]
pub struct LedgerConfig {
    pub url: String,
    pub till: String,
    pub token: String,
    pub timeout: Duration,
    pub batch: u32,
}

pub use crate::till::{Reservation, Reserve};

pub struct LedgerClient {
    http: reqwest::blocking::Client,
    config: LedgerConfig,
}

#[derive(serde::Serialize)]
struct WireEvent<'a> {
    seq: i64,
    id: &'a str,
    kind: &'a str,
    at: &'a str,
    offline: bool,
    body: Box<serde_json::value::RawValue>,
}

#[derive(serde::Serialize)]
struct WireBatch<'a> {
    events: Vec<WireEvent<'a>>,
}

#[derive(Deserialize)]
struct UploadReply {
    acked_through: i64,
    #[serde(default)]
    results: Vec<Value>,
}

#[derive(Deserialize)]
struct ChangesReply {
    changes: Vec<Change>,
    next: i64,
    more: bool,
    #[serde(default)]
    acked_through: i64,
}

/// What one sync round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub uploaded: usize,
    pub acked_through: i64,
    pub flags: Vec<String>,
    pub changes: usize,
}

impl LedgerClient {
    pub fn new(config: LedgerConfig) -> Result<LedgerClient, SyncError> {
        LedgerClient::with_ca(config, None)
    }

    /// Like [`LedgerClient::new`], also trusting the CA certificate(s) in
    /// `ca_pem` (PEM) for an HTTPS ledger: `[ledger] ca_file`, for a ledger
    /// whose certificate no public CA signed.
    pub fn with_ca(config: LedgerConfig, ca_pem: Option<&[u8]>) -> Result<LedgerClient, SyncError> {
        let failed = |detail: String| SyncError::Unreachable {
            url: config.url.clone(),
            detail,
        };
        // A fresh connection per request: a till syncs every few seconds, and
        // no pooled connection is left half-dead after a network fault.
        let mut builder = reqwest::blocking::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(config.timeout)
            .connect_timeout(config.timeout);
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| failed(format!("the ledger CA file is not PEM: {e}")))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let http = builder.build().map_err(|e| failed(e.to_string()))?;
        Ok(LedgerClient { http, config })
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/v1/tills/{}/{path}",
            self.config.url.trim_end_matches('/'),
            self.config.till
        )
    }

    fn unreachable(&self, e: reqwest::Error) -> SyncError {
        SyncError::Unreachable {
            url: self.config.url.clone(),
            detail: e.to_string(),
        }
    }

    /// Sends the outbox in batches until the ledger has everything.
    pub fn upload(
        &self,
        store: &mut impl SyncStore,
        now: DateTime<FixedOffset>,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let mut from = store.sync_state()?.acked_through;
        loop {
            let events = store.outbox_events(from, self.config.batch)?;
            if events.is_empty() {
                report.acked_through = store.sync_state()?.acked_through;
                return Ok(report);
            }
            let mut batch = Vec::with_capacity(events.len());
            for e in &events {
                // The stored body is sent as it is, not parsed and re-written.
                let body = serde_json::value::RawValue::from_string(e.body.clone())
                    .map_err(|x| SyncError::Protocol(x.to_string()))?;
                batch.push(WireEvent {
                    seq: e.seq,
                    id: &e.id,
                    kind: &e.kind,
                    at: &e.at,
                    offline: e.offline,
                    body,
                });
            }
            let resp = self
                .http
                .post(self.url("events"))
                .bearer_auth(&self.config.token)
                .json(&WireBatch { events: batch })
                .send()
                .map_err(|e| self.unreachable(e))?;
            let status = resp.status().as_u16();
            let text = resp.text().map_err(|e| self.unreachable(e))?;
            match status {
                200 => {
                    let reply: UploadReply = serde_json::from_str(&text)
                        .map_err(|e| SyncError::Protocol(e.to_string()))?;
                    for r in &reply.results {
                        for f in r["flags"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            report.flags.push(f.to_string());
                        }
                    }
                    report.uploaded += events.len();
                    store.set_acked(reply.acked_through, now)?;
                    if reply.acked_through <= from {
                        return Err(SyncError::Protocol(format!(
                            "acked_through {} did not move past {from}",
                            reply.acked_through
                        )));
                    }
                    from = reply.acked_through;
                }
                409 => {
                    // A gap: the ledger wants an earlier seq; resend from there.
                    let v: Value = serde_json::from_str(&text)
                        .map_err(|e| SyncError::Protocol(e.to_string()))?;
                    let expected = v["expected_seq"]
                        .as_i64()
                        .ok_or_else(|| SyncError::Protocol(text.clone()))?;
                    if expected - 1 == from {
                        return Err(SyncError::Protocol(format!(
                            "409 expecting {expected}, which is what was sent"
                        )));
                    }
                    store.set_acked(expected - 1, now)?;
                    from = expected - 1;
                }
                401 | 403 => return Err(SyncError::Auth(status)),
                422 => return Err(SyncError::Conflict(text)),
                _ => return Err(SyncError::Http { status, body: text }),
            }
        }
    }

    /// Pulls the change feed into the cache, a page per transaction.
    pub fn pull(
        &self,
        store: &mut impl SyncStore,
        now: DateTime<FixedOffset>,
    ) -> Result<usize, SyncError> {
        let mut total = 0;
        loop {
            let cursor = store.sync_state()?.cursor;
            let resp = self
                .http
                .get(self.url("changes"))
                .query(&[("after", cursor.to_string()), ("limit", "500".to_string())])
                .bearer_auth(&self.config.token)
                .send()
                .map_err(|e| self.unreachable(e))?;
            let status = resp.status().as_u16();
            let text = resp.text().map_err(|e| self.unreachable(e))?;
            match status {
                200 => {}
                401 | 403 => return Err(SyncError::Auth(status)),
                _ => return Err(SyncError::Http { status, body: text }),
            }
            let page: ChangesReply =
                serde_json::from_str(&text).map_err(|e| SyncError::Protocol(e.to_string()))?;
            total += page.changes.len();
            store.apply_changes(&page.changes, page.next, page.acked_through, now)?;
            if !page.more {
                return Ok(total);
            }
        }
    }

    /// Upload, then pull.
    pub fn sync_once(
        &self,
        store: &mut impl SyncStore,
        now: DateTime<FixedOffset>,
    ) -> Result<SyncReport, SyncError> {
        let mut report = self.upload(store, now)?;
        report.changes = self.pull(store, now)?;
        Ok(report)
    }

    /// Reserves stored value before a sale that uses it completes.
    pub fn reserve(&self, r: &Reservation) -> Reserve {
        let body = json!({
            "id": r.id,
            "coupons": r.coupons,
            "clips": r.clips.iter().map(|(card, n)| json!({"card": card, "n": n})).collect::<Vec<_>>(),
            "bonus": r.bonus.as_ref().map(|(member, amount)| json!({"member": member, "amount": amount})),
        });
        self.hold("redeem", &body)
    }

    /// Posts a hold (`redeem`, `returns`): 200 ok, 409 refused with its
    /// reason; anything else, or no answer, is no usable answer: the
    /// offline rules decide.
    pub(crate) fn hold(&self, path: &str, body: &Value) -> Reserve {
        let Ok(resp) = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.config.token)
            .json(body)
            .send()
        else {
            return Reserve::Unreachable;
        };
        let status = resp.status().as_u16();
        let v: Value = resp.json().unwrap_or(Value::Null);
        match status {
            200 if v["ok"] == json!(true) => Reserve::Ok,
            409 => Reserve::Refused(v["reason"].as_str().unwrap_or("refused").to_string()),
            _ => Reserve::Unreachable,
        }
    }
}

/// What the status bar and `kasse sync status` show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub online: bool,
    pub queue: i64,
    pub last_sync: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
}

/// Retry delay after `failures` failed rounds: 1 s doubling to 60 s, ±25 % jitter.
pub fn backoff(failures: u32, jitter_seed: u64) -> Duration {
    let base_ms = 1000u64.saturating_mul(1 << failures.min(6)).min(60_000);
    let mut x = jitter_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    let spread = base_ms / 2;
    Duration::from_millis(base_ms - base_ms / 4 + x % (spread + 1))
}

/// The background worker: syncs every `every`, backing off while the ledger
/// is away; its status is shared with the UI.
pub fn spawn_worker(
    client: LedgerClient,
    mut store: impl SyncStore + 'static,
    every: Duration,
    status: Arc<Mutex<SyncStatus>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut failures = 0u32;
        loop {
            let now = chrono::Local::now().fixed_offset();
            let result = client.sync_once(&mut store, now);
            let state = store.sync_state().ok();
            if let Ok(mut s) = status.lock() {
                s.online = result.is_ok();
                s.queue = state.as_ref().map_or(s.queue, |st| st.queue);
                s.last_sync = state.and_then(|st| st.last_sync);
                s.last_error = result.as_ref().err().map(ToString::to_string);
            }
            let wait = match result {
                Ok(_) => {
                    failures = 0;
                    every
                }
                Err(_) => {
                    failures += 1;
                    backoff(failures, now.timestamp_subsec_nanos().into())
                }
            };
            std::thread::sleep(wait);
        }
    })
}

/// What sync needs of the till's database. `Store` is one; the kiosk's
/// worker uses one that reads on its own connection and hands every write to
/// the till's connection (one writer per till process).
pub trait SyncStore: Send {
    fn sync_state(&self) -> Result<crate::store::SyncState, StoreError>;
    fn outbox_events(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<crate::store::OutboxEvent>, StoreError>;
    fn set_acked(&mut self, seq: i64, at: DateTime<FixedOffset>) -> Result<(), StoreError>;
    fn apply_changes(
        &mut self,
        changes: &[crate::store::Change],
        next: i64,
        acked_through: i64,
        at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError>;
}

impl SyncStore for Store {
    fn sync_state(&self) -> Result<crate::store::SyncState, StoreError> {
        Store::sync_state(self)
    }

    fn outbox_events(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<crate::store::OutboxEvent>, StoreError> {
        Store::outbox_events(self, seq, limit)
    }

    fn set_acked(&mut self, seq: i64, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        Store::set_acked(self, seq, at)
    }

    fn apply_changes(
        &mut self,
        changes: &[crate::store::Change],
        next: i64,
        acked_through: i64,
        at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        Store::apply_changes(self, changes, next, acked_through, at)
    }
}

impl crate::till::Reserver for LedgerClient {
    fn reserve(&self, reservation: &Reservation) -> Reserve {
        LedgerClient::reserve(self, reservation)
    }

    fn original(&self, till: &str, number: u64) -> crate::till::Original {
        LedgerClient::original(self, till, number)
    }

    fn hold_return(&self, hold: &crate::till::ReturnHold) -> Reserve {
        LedgerClient::hold_return(self, hold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let ms = |f, s| backoff(f, s).as_millis();
        assert!((1500..=3000).contains(&ms(1, 1)), "{}", ms(1, 1));
        assert!((45_000..=90_000).contains(&ms(20, 7)));
        let spread: std::collections::BTreeSet<_> = (0..50).map(|s| ms(3, s)).collect();
        assert!(spread.len() > 10, "jitter spreads retries: {spread:?}");
    }
}
