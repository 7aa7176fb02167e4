//! The one trait both ledger databases implement. Each method is one
//! transaction; the rules inside it come from `ledger::rules`, so SQLite and
//! PostgreSQL differ only in SQL.
//!
//! Every writing transaction first takes the single-row change counter
//! (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SELECT … FOR UPDATE`), so writers
//! are serialised and change numbers are handed out in commit order: a reader
//! that has seen change N has seen every change below N.

use crate::ledger::LedgerError;
use crate::ledger::records::{EntityData, EntityKind, EntityWrite};
use crate::ledger::returns::{HoldOutcome, HoldRequest, OriginalSale};
use crate::ledger::rules::ReservationRefusal;
use crate::ledger::wire::{Event, EventResult, FlagKind, Reservation};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the trait can be used as `Arc<dyn Storage>`.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// SHA-256 of a till's bearer token; the token itself is never stored.
pub type TokenHash = [u8; 32];

pub trait Storage: Send + Sync + 'static {
    /// "sqlite" or "postgres", for messages and benchmark reports.
    fn backend(&self) -> &'static str;

    /// Enrolls `till` (or replaces its token); keeps its events and `acked_through`.
    fn enroll(&self, till: String, token: TokenHash, now: DateTime<Utc>) -> StorageFuture<'_, ()>;

    /// The till whose token hashes to `token`, with the stored hash.
    fn till_for_token(&self, token: TokenHash) -> StorageFuture<'_, Option<(String, TokenHash)>>;

    /// Applies a checked batch (seq order, gap-free) in one transaction.
    fn upload(
        &self,
        till: String,
        events: Vec<Event>,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, UploadOutcome>;

    /// Logs a refused batch whose seq came again with other content.
    fn record_alarm(&self, alarm: Alarm) -> StorageFuture<'_, ()>;

    /// Changes after `after`, at most `limit`, read in one snapshot together
    /// with the till's `acked_through`.
    fn changes(&self, till: String, after: i64, limit: u32) -> StorageFuture<'_, ChangesPage>;

    /// Grants or refuses a reservation (idempotent by `request.id` per till).
    fn redeem(
        &self,
        till: String,
        request: Reservation,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, RedeemOutcome>;

    /// Sale `number` of `till`, with the units returned and held of it
    /// (holds live at `now`).
    fn original_sale(
        &self,
        till: String,
        number: u64,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, Option<OriginalSale>>;

    /// Grants or refuses a hold on units to return (idempotent by
    /// `request.id` per till; in the reservations' tables).
    fn hold_return(
        &self,
        till: String,
        request: HoldRequest,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, HoldOutcome>;

    /// Loads a data file's entities (see `records::plan_import`).
    fn import(&self, entities: Vec<EntityData>) -> StorageFuture<'_, ImportSummary>;

    /// Every stored flag, oldest first.
    fn exceptions(&self) -> StorageFuture<'_, Vec<Flag>>;

    /// Every content-mismatch alarm, oldest first.
    fn alarms(&self) -> StorageFuture<'_, Vec<Alarm>>;

    /// Every enrolled till (only `till` when given; unknown: `UnknownTill`)
    /// with all its stored events in seq order, and the catalog's entities,
    /// read in one snapshot: what an organisation-wide SAF-T export is made of.
    fn export_source(&self, till: Option<String>) -> StorageFuture<'_, ExportSource>;
}

/// One stored event, as the till sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedEvent {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    /// As the till wrote it.
    pub at: String,
    pub body: String,
}

/// Tills and their events, and the catalog, for an export.
#[derive(Clone, Debug, Default)]
pub struct ExportSource {
    /// Till id and its events in seq order, tills in id order.
    pub tills: Vec<(String, Vec<UploadedEvent>)>,
    /// Product, campaign and settings documents: (kind, id, data).
    pub catalog: Vec<(String, String, String)>,
}

impl ExportSource {
    /// The catalog as the tills know it from the change feed.
    pub fn catalog(&self) -> Result<crate::domain::Catalog, LedgerError> {
        let mut state = crate::ledger::rules::EntityState::default();
        for (kind, id, data) in &self.catalog {
            let k = EntityKind::parse(kind)
                .ok_or_else(|| LedgerError::Corrupt(format!("entity kind `{kind}`")))?;
            state.load(k, id, Some(data))?;
        }
        Ok(state.catalog().clone())
    }

    /// The entity kinds the catalog is made of.
    pub const CATALOG_KINDS: [EntityKind; 3] = [
        EntityKind::Product,
        EntityKind::Campaign,
        EntityKind::Settings,
    ];

    /// Adds one event row of `till` (rows come in till, seq order).
    pub fn push(&mut self, till: String, event: UploadedEvent) {
        match self.tills.last_mut() {
            Some((t, events)) if *t == till => events.push(event),
            _ => self.tills.push((till, vec![event])),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    Applied {
        acked_through: i64,
        results: Vec<EventResult>,
    },
    Gap {
        expected: i64,
    },
    Mismatch {
        seq: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedeemOutcome {
    Granted,
    Refused(ReservationRefusal),
}

/// One entry of the change feed.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub cursor: i64,
    /// An entity kind, or "delete".
    pub kind: &'static str,
    pub data: Box<RawValue>,
}

impl Change {
    /// A feed entry from a stored row; `data` None is a deletion.
    pub fn from_row(
        cursor: i64,
        kind: &str,
        id: &str,
        data: Option<String>,
    ) -> Result<Change, LedgerError> {
        let k = EntityKind::parse(kind)
            .ok_or_else(|| LedgerError::Corrupt(format!("change {cursor} has kind `{kind}`")))?;
        let (kind, text) = match data {
            Some(text) => (k.code(), text),
            None => (
                "delete",
                serde_json::json!({"kind": k.code(), "id": id}).to_string(),
            ),
        };
        let data = RawValue::from_string(text)
            .map_err(|e| LedgerError::Corrupt(format!("change {cursor}: {e}")))?;
        Ok(Change { cursor, kind, data })
    }
}

#[derive(Clone, Debug)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// The cursor to ask after next time (the last change here, or `after`).
    pub next: i64,
    pub more: bool,
    /// The till's last stored seq in the same snapshot: every balance in this
    /// page includes the effects of its events up to here.
    pub acked_through: i64,
}

/// A conflict stored for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub till: String,
    pub seq: i64,
    pub event_id: String,
    pub flag: FlagKind,
    /// The event's own time, as the till wrote it.
    pub at: String,
    #[serde(serialize_with = "rfc3339")]
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alarm {
    pub till: String,
    pub seq: i64,
    pub detail: String,
    #[serde(serialize_with = "rfc3339")]
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Entities written (new or changed).
    pub written: usize,
    /// Catalog entities the file no longer has.
    pub deleted: usize,
    /// Entities of the file not written: already as the file has them, or
    /// catalog entries of a file without products (see `records::plan_import`).
    pub unchanged: usize,
}

/// Milliseconds since 1970 as the databases store times.
pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> Result<DateTime<Utc>, LedgerError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| LedgerError::Corrupt(format!("time {ms} ms is out of range")))
}

/// What an import did, from its planned writes.
pub fn import_summary(incoming: usize, writes: &[EntityWrite]) -> ImportSummary {
    let deleted = writes.iter().filter(|w| w.data.is_none()).count();
    let written = writes.len() - deleted;
    ImportSummary {
        written,
        deleted,
        unchanged: incoming.saturating_sub(written),
    }
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}
