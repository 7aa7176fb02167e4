//! The ledger in one SQLite file (WAL). One writer connection behind a mutex,
//! a few reader connections for the change feed and auth; every call runs
//! on tokio's blocking pool so the server's threads never wait on the disk.

use crate::ledger::LedgerError;
use crate::ledger::records::{EntityData, EntityKind, EntityWrite, plan_import};
use crate::ledger::returns::{self, HoldOutcome, HoldRequest, OriginalSale};
use crate::ledger::rules::{
    self, EntityState, Holds, Needs, Refusal, StoredEvent, check_batch, check_reservation,
};
use crate::ledger::storage::{
    Alarm, Change, ChangesPage, ExportSource, Flag, ImportSummary, RedeemOutcome, Storage,
    StorageFuture, TokenHash, UploadOutcome, UploadedEvent, from_millis, import_summary as summary,
    millis,
};
use crate::ledger::wire::{Event, EventKind, FlagKind, Reservation};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const SCHEMA_VERSION: i64 = 2;

const MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_no INTEGER NOT NULL
);
INSERT INTO counter (id, last_no) VALUES (1, 0);

CREATE TABLE till (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    acked_through INTEGER NOT NULL DEFAULT 0,
    enrolled_at INTEGER NOT NULL
);

CREATE TABLE event (
    till TEXT NOT NULL REFERENCES till (id),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    offline INTEGER NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL,
    flags TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (till, seq)
);

CREATE TABLE entity (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    change_no INTEGER NOT NULL UNIQUE,
    data TEXT,
    PRIMARY KEY (kind, id)
);

CREATE TABLE exception (
    id INTEGER PRIMARY KEY,
    till TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    flag TEXT NOT NULL,
    at TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);

CREATE TABLE alarm (
    id INTEGER PRIMARY KEY,
    till TEXT NOT NULL,
    seq INTEGER NOT NULL,
    detail TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);

CREATE TABLE reservation (
    till TEXT NOT NULL,
    id TEXT NOT NULL,
    digest TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (till, id)
);

CREATE TABLE reservation_item (
    till TEXT NOT NULL,
    res_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_ref TEXT NOT NULL,
    n INTEGER NOT NULL,
    amount_ore INTEGER NOT NULL,
    FOREIGN KEY (till, res_id) REFERENCES reservation (till, id) ON DELETE CASCADE
);
CREATE INDEX reservation_item_ref ON reservation_item (kind, item_ref);
CREATE INDEX reservation_item_owner ON reservation_item (till, res_id);

-- What tills uploaded and what was flagged is evidence: never changed.
CREATE TRIGGER event_no_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER exception_no_update BEFORE UPDATE ON exception
BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
CREATE TRIGGER exception_no_delete BEFORE DELETE ON exception
BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
"#,
    returns::sqlite::MIGRATION,
];

/// Reader connections kept open for reuse.
const MAX_IDLE_READERS: usize = 4;

pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the ledger file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<SqliteStorage, LedgerError> {
        let path = path.to_path_buf();
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner, LedgerError> {
            let mut writer = open_connection(&path)?;
            migrate(&mut writer, &path)?;
            Ok(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            })
        })
        .await
        .map_err(|e| LedgerError::Worker(e.to_string()))??;
        Ok(SqliteStorage {
            inner: Arc::new(inner),
        })
    }

    fn write<T, F>(&self, f: F) -> StorageFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, LedgerError> + Send + 'static,
    {
        let inner = self.inner.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut conn)
            })
            .await
            .map_err(|e| LedgerError::Worker(e.to_string()))?
        })
    }

    fn read<T, F>(&self, f: F) -> StorageFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, LedgerError> + Send + 'static,
    {
        let inner = self.inner.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let idle = inner
                    .readers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop();
                let mut conn = match idle {
                    Some(c) => c,
                    None => open_connection(&inner.path)?,
                };
                let out = f(&mut conn);
                let mut readers = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
                if readers.len() < MAX_IDLE_READERS {
                    readers.push(conn);
                }
                out
            })
            .await
            .map_err(|e| LedgerError::Worker(e.to_string()))?
        })
    }
}

fn open_connection(path: &Path) -> Result<Connection, LedgerError> {
    let err = |source| LedgerError::OpenSqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(err)?;
    // Pragmas outside any transaction: they do not work inside one.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), LedgerError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(LedgerError::NewerSchema {
            location: path.display().to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for sql in &MIGRATIONS[usize::try_from(found).unwrap_or(0)..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn enroll(&self, till: String, token: TokenHash, now: DateTime<Utc>) -> StorageFuture<'_, ()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO till (id, token_hash, acked_through, enrolled_at) VALUES (?1, ?2, 0, ?3)
                 ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at",
                params![till, token.as_slice(), millis(now)],
            )?;
            Ok(())
        })
    }

    fn till_for_token(&self, token: TokenHash) -> StorageFuture<'_, Option<(String, TokenHash)>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached("SELECT id, token_hash FROM till WHERE token_hash = ?1")?
                .query_row([token.as_slice()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .optional()?;
            row.map(|(till, hash)| {
                let hash = TokenHash::try_from(hash.as_slice())
                    .map_err(|_| LedgerError::Corrupt(format!("till {till}: token hash")))?;
                Ok((till, hash))
            })
            .transpose()
        })
    }

    fn upload(
        &self,
        till: String,
        events: Vec<Event>,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, UploadOutcome> {
        self.write(move |conn| upload(conn, &till, &events, now))
    }

    fn record_alarm(&self, alarm: Alarm) -> StorageFuture<'_, ()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO alarm (till, seq, detail, recorded_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    alarm.till,
                    alarm.seq,
                    alarm.detail,
                    millis(alarm.recorded_at)
                ],
            )?;
            Ok(())
        })
    }

    fn changes(&self, till: String, after: i64, limit: u32) -> StorageFuture<'_, ChangesPage> {
        self.read(move |conn| {
            // One read transaction: one WAL snapshot for acked_through and rows.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let acked: i64 = tx
                .prepare_cached("SELECT acked_through FROM till WHERE id = ?1")?
                .query_row([&till], |r| r.get(0))
                .optional()?
                .ok_or_else(|| LedgerError::UnknownTill(till.clone()))?;
            let mut changes = Vec::new();
            let mut more = false;
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT change_no, kind, id, data FROM entity WHERE change_no > ?1
                     ORDER BY change_no LIMIT ?2",
                )?;
                let mut rows = stmt.query(params![after, i64::from(limit) + 1])?;
                while let Some(r) = rows.next()? {
                    if changes.len() == limit as usize {
                        more = true;
                        break;
                    }
                    let kind: String = r.get(1)?;
                    let id: String = r.get(2)?;
                    changes.push(Change::from_row(r.get(0)?, &kind, &id, r.get(3)?)?);
                }
            }
            tx.commit()?;
            let next = changes.last().map_or(after, |c| c.cursor);
            Ok(ChangesPage {
                changes,
                next,
                more,
                acked_through: acked,
            })
        })
    }

    fn redeem(
        &self,
        till: String,
        request: Reservation,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, RedeemOutcome> {
        self.write(move |conn| redeem(conn, &till, &request, now))
    }

    fn original_sale(
        &self,
        till: String,
        number: u64,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, Option<OriginalSale>> {
        self.read(move |conn| returns::sqlite::original_sale(conn, &till, number, now))
    }

    fn hold_return(
        &self,
        till: String,
        request: HoldRequest,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, HoldOutcome> {
        self.write(move |conn| returns::sqlite::hold_return(conn, &till, &request, now))
    }

    fn import(&self, entities: Vec<EntityData>) -> StorageFuture<'_, ImportSummary> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut last = last_change(&tx)?;
            let mut existing = HashMap::new();
            {
                let mut stmt =
                    tx.prepare("SELECT kind, id, data FROM entity WHERE data IS NOT NULL")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let kind: String = r.get(0)?;
                    let id: String = r.get(1)?;
                    let data: String = r.get(2)?;
                    let kind = EntityKind::parse(&kind)
                        .ok_or_else(|| LedgerError::Corrupt(format!("entity kind `{kind}`")))?;
                    let value: Value = serde_json::from_str(&data).map_err(|e| {
                        LedgerError::Corrupt(format!(
                            "{kind} `{id}` has an unreadable document: {e}"
                        ))
                    })?;
                    existing.insert((kind, id), value);
                }
            }
            let incoming = entities.len();
            let writes = plan_import(&existing, entities);
            write_entities(&tx, &writes, &mut last)?;
            set_last_change(&tx, last)?;
            tx.commit()?;
            Ok(summary(incoming, &writes))
        })
    }

    fn exceptions(&self) -> StorageFuture<'_, Vec<Flag>> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT till, seq, event_id, flag, at, recorded_at FROM exception ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let flag: String = r.get(3)?;
                out.push(Flag {
                    till: r.get(0)?,
                    seq: r.get(1)?,
                    event_id: r.get(2)?,
                    flag: FlagKind::parse(&flag)
                        .ok_or_else(|| LedgerError::Corrupt(format!("flag `{flag}`")))?,
                    at: r.get(4)?,
                    recorded_at: from_millis(r.get(5)?)?,
                });
            }
            Ok(out)
        })
    }

    fn alarms(&self) -> StorageFuture<'_, Vec<Alarm>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT till, seq, detail, recorded_at FROM alarm ORDER BY id")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(Alarm {
                    till: r.get(0)?,
                    seq: r.get(1)?,
                    detail: r.get(2)?,
                    recorded_at: from_millis(r.get(3)?)?,
                });
            }
            Ok(out)
        })
    }

    fn export_source(&self, till: Option<String>) -> StorageFuture<'_, ExportSource> {
        self.read(move |conn| {
            // One read transaction: one WAL snapshot.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let mut source = ExportSource::default();
            let tills: Vec<String> = {
                let mut stmt = tx.prepare("SELECT id FROM till ORDER BY id")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if let Some(t) = &till
                && !tills.contains(t)
            {
                return Err(LedgerError::UnknownTill(t.clone()));
            }
            for t in tills
                .iter()
                .filter(|t| till.as_ref().is_none_or(|w| w == *t))
            {
                source.tills.push((t.clone(), Vec::new()));
                let mut stmt = tx.prepare_cached(
                    "SELECT seq, id, kind, at, body FROM event WHERE till = ?1 ORDER BY seq",
                )?;
                let mut rows = stmt.query([t])?;
                while let Some(r) = rows.next()? {
                    source.push(
                        t.clone(),
                        UploadedEvent {
                            seq: r.get(0)?,
                            id: r.get(1)?,
                            kind: r.get(2)?,
                            at: r.get(3)?,
                            body: r.get(4)?,
                        },
                    );
                }
            }
            let mut stmt = tx.prepare_cached(
                "SELECT id, data FROM entity WHERE kind = ?1 AND data IS NOT NULL ORDER BY id",
            )?;
            for kind in ExportSource::CATALOG_KINDS {
                let mut rows = stmt.query([kind.code()])?;
                while let Some(r) = rows.next()? {
                    source
                        .catalog
                        .push((kind.code().to_string(), r.get(0)?, r.get(1)?));
                }
            }
            Ok(source)
        })
    }
}

fn last_change(tx: &Transaction<'_>) -> Result<i64, LedgerError> {
    Ok(tx
        .prepare_cached("SELECT last_no FROM counter WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

fn set_last_change(tx: &Transaction<'_>, last: i64) -> Result<(), LedgerError> {
    tx.prepare_cached("UPDATE counter SET last_no = ?1 WHERE id = 1")?
        .execute([last])?;
    Ok(())
}

/// Writes entities with fresh change numbers after `last`.
fn write_entities(
    tx: &Transaction<'_>,
    writes: &[EntityWrite],
    last: &mut i64,
) -> Result<(), LedgerError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO entity (kind, id, change_no, data) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, id) DO UPDATE SET change_no = excluded.change_no, data = excluded.data",
    )?;
    for w in writes {
        *last += 1;
        stmt.execute(params![w.kind.code(), w.id, *last, w.data])?;
    }
    Ok(())
}

pub(super) fn load_state(tx: &Transaction<'_>, needs: &Needs) -> Result<EntityState, LedgerError> {
    let mut state = EntityState::default();
    let mut stmt = tx.prepare_cached("SELECT data FROM entity WHERE kind = ?1 AND id = ?2")?;
    for (kind, id) in needs.keys() {
        let data: Option<String> = stmt
            .query_row(params![kind.code(), id], |r| r.get(0))
            .optional()?
            .flatten();
        state.load(kind, id, data.as_deref())?;
    }
    if needs.catalog {
        let mut stmt = tx.prepare_cached(
            "SELECT id, data FROM entity WHERE kind = ?1 AND data IS NOT NULL ORDER BY id",
        )?;
        for kind in Needs::CATALOG {
            let mut rows = stmt.query([kind.code()])?;
            while let Some(r) = rows.next()? {
                let (id, data): (String, String) = (r.get(0)?, r.get(1)?);
                state.load(kind, &id, Some(&data))?;
            }
        }
    }
    Ok(state)
}

fn upload(
    conn: &mut Connection,
    till: &str,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<UploadOutcome, LedgerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut last = last_change(&tx)?;
    let acked: i64 = tx
        .prepare_cached("SELECT acked_through FROM till WHERE id = ?1")?
        .query_row([till], |r| r.get(0))
        .optional()?
        .ok_or_else(|| LedgerError::UnknownTill(till.to_string()))?;
    let mut stored = HashMap::new();
    {
        let mut stmt =
            tx.prepare_cached("SELECT digest, flags FROM event WHERE till = ?1 AND seq = ?2")?;
        for seq in rules::stored_seqs(acked, events) {
            let row = stmt
                .query_row(params![till, seq], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?;
            if let Some((digest, flags)) = row {
                let flags = rules::parse_flags(&flags)?;
                stored.insert(seq, StoredEvent { digest, flags });
            }
        }
    }
    let check = match check_batch(acked, events, &stored) {
        Ok(c) => c,
        Err(Refusal::Gap { expected }) => return Ok(UploadOutcome::Gap { expected }),
        Err(Refusal::Mismatch { seq }) => return Ok(UploadOutcome::Mismatch { seq }),
    };
    let new = &events[check.first_new..];
    let mut state = load_state(&tx, &Needs::of_events(new))?;
    returns::sqlite::load(&tx, &mut state.returns, till, new)?;
    let received = millis(now);
    let mut applied = Vec::with_capacity(new.len());
    {
        let mut insert_event = tx.prepare_cached(
            "INSERT INTO event (till, seq, id, kind, at, offline, body, digest, flags, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut insert_flag = tx.prepare_cached(
            "INSERT INTO exception (till, seq, event_id, flag, at, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut confirm =
            tx.prepare_cached("UPDATE reservation SET confirmed = 1 WHERE till = ?1 AND id = ?2")?;
        for e in new {
            let flags = rules::apply_event(&mut state, e, now);
            insert_event.execute(params![
                till,
                e.seq,
                e.id,
                e.kind.code(),
                e.at_text,
                e.offline,
                e.body,
                e.digest,
                rules::flags_text(&flags),
                received,
            ])?;
            for f in &flags {
                insert_flag.execute(params![till, e.seq, e.id, f.code(), e.at_text, received])?;
            }
            if matches!(e.kind, EventKind::Sale | EventKind::Return) {
                confirm.execute(params![till, e.id])?;
            }
            applied.push((e.seq, flags));
        }
    }
    write_entities(&tx, &state.writes(), &mut last)?;
    returns::sqlite::write(&tx, till, &state.returns)?;
    let acked_through = new.last().map_or(acked, |e| e.seq);
    tx.prepare_cached("UPDATE till SET acked_through = ?1 WHERE id = ?2")?
        .execute(params![acked_through, till])?;
    set_last_change(&tx, last)?;
    tx.commit()?;
    Ok(UploadOutcome::Applied {
        acked_through,
        results: rules::results(check, applied),
    })
}

fn redeem(
    conn: &mut Connection,
    till: &str,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<RedeemOutcome, LedgerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_ms = millis(now);
    if held_already(&tx, till, &r.id, &r.digest, now_ms)? {
        tx.commit()?;
        return Ok(RedeemOutcome::Granted);
    }
    let needs = Needs::of_reservation(r);
    let state = load_state(&tx, &needs)?;
    let mut holds = Holds::default();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT COALESCE(SUM(i.n), 0), COALESCE(SUM(i.amount_ore), 0)
             FROM reservation_item i JOIN reservation r ON r.till = i.till AND r.id = i.res_id
             WHERE i.kind = ?1 AND i.item_ref = ?2 AND r.confirmed = 0 AND r.expires_at > ?3
               AND NOT (r.till = ?4 AND r.id = ?5)",
        )?;
        let wanted = needs
            .coupons
            .iter()
            .map(|c| (rules::HOLD_COUPON, c))
            .chain(needs.cards.iter().map(|c| (rules::HOLD_CARD, c)))
            .chain(needs.members.iter().map(|m| (rules::HOLD_BONUS, m)));
        for (kind, item) in wanted {
            let (n, ore): (i64, i64) = stmt
                .query_row(params![kind, item, now_ms, till, r.id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?;
            holds.add(kind, item.clone(), n, ore);
        }
    }
    if let Err(refusal) = check_reservation(&state, &holds, r) {
        return Ok(RedeemOutcome::Refused(refusal));
    }
    put_hold(&tx, till, &r.id, &r.digest, now, &rules::hold_items(r))?;
    tx.commit()?;
    Ok(RedeemOutcome::Granted)
}

/// Drops lapsed holds (confirmed ones too: their event is applied, so the
/// table stays small; a retry after that is judged afresh), then says
/// whether `id` of `till` is held with this body already, or confirmed.
pub(super) fn held_already(
    tx: &Transaction<'_>,
    till: &str,
    id: &str,
    digest: &str,
    now_ms: i64,
) -> Result<bool, LedgerError> {
    tx.prepare_cached("DELETE FROM reservation WHERE expires_at <= ?1")?
        .execute([now_ms])?;
    let existing: Option<(String, bool)> = tx
        .prepare_cached("SELECT digest, confirmed FROM reservation WHERE till = ?1 AND id = ?2")?
        .query_row(params![till, id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(existing.is_some_and(|(d, confirmed)| confirmed || d == digest))
}

/// Stores a granted hold (replacing one of the same id with another body)
/// for [`rules::RESERVATION_TTL`].
pub(super) fn put_hold(
    tx: &Transaction<'_>,
    till: &str,
    id: &str,
    digest: &str,
    now: DateTime<Utc>,
    items: &[rules::HoldItem],
) -> Result<(), LedgerError> {
    tx.prepare_cached("DELETE FROM reservation WHERE till = ?1 AND id = ?2")?
        .execute(params![till, id])?;
    tx.prepare_cached(
        "INSERT INTO reservation (till, id, digest, expires_at, confirmed) VALUES (?1, ?2, ?3, ?4, 0)",
    )?
    .execute(params![
        till,
        id,
        digest,
        millis(now + rules::RESERVATION_TTL)
    ])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO reservation_item (till, res_id, kind, item_ref, n, amount_ore)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for h in items {
        stmt.execute(params![till, id, h.kind, h.item, h.n, h.ore])?;
    }
    Ok(())
}
