//! The ledger in PostgreSQL, through tokio-postgres (lighter to build than
//! sqlx: no macros, no offline query cache) with a small connection pool.
//! Same tables, same rules as the SQLite backend; batches are written with
//! `unnest` arrays, one statement per table.

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
use serde_json::Value;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::{Client, Config, IsolationLevel, NoTls, Transaction};

pub const SCHEMA_VERSION: i64 = 2;

/// Serialises schema migrations of concurrent servers (any number will do,
/// as long as it is this project's own).
const MIGRATION_LOCK: i64 = 0x6b61_7373_6501;

const MIGRATIONS: [&str; 2] = [
    include_str!("postgres/schema.sql"),
    returns::postgres::MIGRATION,
];

/// Connections held open at most.
const POOL_SIZE: usize = 8;

pub struct PgStorage {
    pool: Arc<Pool>,
}

struct Pool {
    config: Config,
    /// Host/port/database for messages (never the password).
    target: String,
    schema: Option<String>,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
}

/// A pooled connection; goes back to the pool when dropped (unless broken).
struct Conn<'a> {
    client: Option<Client>,
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Only `Drop` takes the client out.
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take()
            && !c.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(c);
        }
    }
}

impl Pool {
    async fn get(&self) -> Result<Conn<'_>, LedgerError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| LedgerError::Worker(e.to_string()))?;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let client = match idle {
            Some(c) => c,
            None => self.connect().await?,
        };
        Ok(Conn {
            client: Some(client),
            pool: self,
            _permit: permit,
        })
    }

    async fn connect(&self) -> Result<Client, LedgerError> {
        let (client, connection) =
            self.config
                .connect(NoTls)
                .await
                .map_err(|source| LedgerError::ConnectPostgres {
                    target: self.target.clone(),
                    source,
                })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("ledger: PostgreSQL connection closed: {e}");
            }
        });
        if let Some(schema) = &self.schema {
            client
                .batch_execute(&format!("SET search_path TO \"{schema}\""))
                .await?;
        }
        Ok(client)
    }
}

impl PgStorage {
    /// Connects to `url` (`postgres://user:password@host/db`) and migrates
    /// the schema in the database's default search path.
    pub async fn open(url: &str) -> Result<PgStorage, LedgerError> {
        PgStorage::open_with_schema(url, None).await
    }

    /// Like [`PgStorage::open`], inside schema `schema` (created if missing):
    /// lets tests, or several ledgers, share one database.
    pub async fn open_in_schema(url: &str, schema: &str) -> Result<PgStorage, LedgerError> {
        let ok = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(LedgerError::BadConnectionString(
                schema.to_string(),
                "a schema name is 1–63 characters of a–z, 0–9 and _".into(),
            ));
        }
        PgStorage::open_with_schema(url, Some(schema.to_string())).await
    }

    async fn open_with_schema(url: &str, schema: Option<String>) -> Result<PgStorage, LedgerError> {
        let config = Config::from_str(url)
            .map_err(|e| LedgerError::BadConnectionString(redact(url), e.to_string()))?;
        let target = describe(&config);
        let pool = Pool {
            config,
            target,
            schema: None,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(POOL_SIZE),
        };
        if let Some(s) = &schema {
            let c = pool.connect().await?;
            c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
                .await?;
        }
        let pool = Pool { schema, ..pool };
        {
            let mut conn = pool.get().await?;
            migrate(&mut conn, &pool.target).await?;
        }
        Ok(PgStorage {
            pool: Arc::new(pool),
        })
    }
}

/// The connection string with any password replaced.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default database)");
    let user = config.get_user().unwrap_or("(default user)");
    format!("{user}@{host}:{port}/{db}")
}

async fn migrate(client: &mut Client, target: &str) -> Result<(), LedgerError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ledger_meta (id INT PRIMARY KEY CHECK (id = 1), schema_version BIGINT NOT NULL)",
    )
    .await?;
    let found: i64 = tx
        .query_opt("SELECT schema_version FROM ledger_meta WHERE id = 1", &[])
        .await?
        .map_or(0, |r| r.get(0));
    if found > SCHEMA_VERSION {
        return Err(LedgerError::NewerSchema {
            location: target.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        for sql in &MIGRATIONS[usize::try_from(found).unwrap_or(0)..] {
            tx.batch_execute(sql).await?;
        }
        tx.execute(
            "INSERT INTO ledger_meta (id, schema_version) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET schema_version = EXCLUDED.schema_version",
            &[&SCHEMA_VERSION],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes the change counter for the rest of the transaction: writers queue
/// here, so change numbers are handed out in commit order.
pub(super) async fn lock_counter(tx: &Transaction<'_>) -> Result<i64, LedgerError> {
    Ok(tx
        .query_one("SELECT last_no FROM counter WHERE id = 1 FOR UPDATE", &[])
        .await?
        .get(0))
}

async fn set_last_change(tx: &Transaction<'_>, last: i64) -> Result<(), LedgerError> {
    tx.execute("UPDATE counter SET last_no = $1 WHERE id = 1", &[&last])
        .await?;
    Ok(())
}

async fn write_entities(
    tx: &Transaction<'_>,
    writes: &[EntityWrite],
    last: &mut i64,
) -> Result<(), LedgerError> {
    if writes.is_empty() {
        return Ok(());
    }
    let mut kinds = Vec::with_capacity(writes.len());
    let mut ids = Vec::with_capacity(writes.len());
    let mut nos = Vec::with_capacity(writes.len());
    let mut docs = Vec::with_capacity(writes.len());
    for w in writes {
        *last += 1;
        kinds.push(w.kind.code());
        ids.push(w.id.as_str());
        nos.push(*last);
        docs.push(w.data.as_deref());
    }
    tx.execute(
        "INSERT INTO entity (kind, id, change_no, data)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
         ON CONFLICT (kind, id) DO UPDATE SET change_no = EXCLUDED.change_no, data = EXCLUDED.data",
        &[&kinds, &ids, &nos, &docs],
    )
    .await?;
    Ok(())
}

async fn load_state(tx: &Transaction<'_>, needs: &Needs) -> Result<EntityState, LedgerError> {
    let mut state = EntityState::default();
    for (kind, ids) in needs.by_kind() {
        if ids.is_empty() {
            continue;
        }
        let wanted: Vec<&str> = ids.iter().map(String::as_str).collect();
        let rows = tx
            .query(
                "SELECT id, data FROM entity WHERE kind = $1 AND id = ANY($2)",
                &[&kind.code(), &wanted],
            )
            .await?;
        let found: HashMap<String, Option<String>> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        for id in ids {
            state.load(kind, id, found.get(id).and_then(|d| d.as_deref()))?;
        }
    }
    if needs.catalog {
        for r in live_entities(tx, &Needs::CATALOG).await? {
            let kind: &str = r.get(0);
            let kind = EntityKind::parse(kind)
                .ok_or_else(|| LedgerError::Corrupt(format!("entity kind `{kind}`")))?;
            state.load(kind, r.get(1), Some(r.get(2)))?;
        }
    }
    Ok(state)
}

impl Storage for PgStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn enroll(&self, till: String, token: TokenHash, now: DateTime<Utc>) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            conn.execute(
                "INSERT INTO till (id, token_hash, acked_through, enrolled_at) VALUES ($1, $2, 0, $3)
                 ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash, enrolled_at = EXCLUDED.enrolled_at",
                &[&till, &token.as_slice(), &millis(now)],
            )
            .await?;
            Ok(())
        })
    }

    fn till_for_token(&self, token: TokenHash) -> StorageFuture<'_, Option<(String, TokenHash)>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let row = conn
                .query_opt(
                    "SELECT id, token_hash FROM till WHERE token_hash = $1",
                    &[&token.as_slice()],
                )
                .await?;
            row.map(|r| {
                let till: String = r.get(0);
                let hash: Vec<u8> = r.get(1);
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
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            upload(&mut conn, &till, &events, now).await
        })
    }

    fn record_alarm(&self, alarm: Alarm) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            conn.execute(
                "INSERT INTO alarm (till, seq, detail, recorded_at) VALUES ($1, $2, $3, $4)",
                &[
                    &alarm.till,
                    &alarm.seq,
                    &alarm.detail,
                    &millis(alarm.recorded_at),
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn changes(&self, till: String, after: i64, limit: u32) -> StorageFuture<'_, ChangesPage> {
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            // One snapshot for acked_through and the rows.
            let tx = snapshot(&mut conn).await?;
            let acked: i64 = tx
                .query_opt("SELECT acked_through FROM till WHERE id = $1", &[&till])
                .await?
                .ok_or_else(|| LedgerError::UnknownTill(till.clone()))?
                .get(0);
            let rows = tx
                .query(
                    "SELECT change_no, kind, id, data FROM entity WHERE change_no > $1
                     ORDER BY change_no LIMIT $2",
                    &[&after, &(i64::from(limit) + 1)],
                )
                .await?;
            tx.commit().await?;
            let more = rows.len() > limit as usize;
            let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
            for r in rows.iter().take(limit as usize) {
                let kind: &str = r.get(1);
                let id: &str = r.get(2);
                changes.push(Change::from_row(r.get(0), kind, id, r.get(3))?);
            }
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
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            redeem(&mut conn, &till, &request, now).await
        })
    }

    fn original_sale(
        &self,
        till: String,
        number: u64,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, Option<OriginalSale>> {
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            returns::postgres::original_sale(&mut conn, &till, number, now).await
        })
    }

    fn hold_return(
        &self,
        till: String,
        request: HoldRequest,
        now: DateTime<Utc>,
    ) -> StorageFuture<'_, HoldOutcome> {
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            returns::postgres::hold_return(&mut conn, &till, &request, now).await
        })
    }

    fn import(&self, entities: Vec<EntityData>) -> StorageFuture<'_, ImportSummary> {
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            let tx = conn.transaction().await?;
            let mut last = lock_counter(&tx).await?;
            let rows = tx
                .query(
                    "SELECT kind, id, data FROM entity WHERE data IS NOT NULL",
                    &[],
                )
                .await?;
            let mut existing = HashMap::with_capacity(rows.len());
            for r in &rows {
                let kind: &str = r.get(0);
                let id: String = r.get(1);
                let data: &str = r.get(2);
                let kind = EntityKind::parse(kind)
                    .ok_or_else(|| LedgerError::Corrupt(format!("entity kind `{kind}`")))?;
                let value: Value = serde_json::from_str(data).map_err(|e| {
                    LedgerError::Corrupt(format!("{kind} `{id}` has an unreadable document: {e}"))
                })?;
                existing.insert((kind, id), value);
            }
            let incoming = entities.len();
            let writes = plan_import(&existing, entities);
            write_entities(&tx, &writes, &mut last).await?;
            set_last_change(&tx, last).await?;
            tx.commit().await?;
            Ok(summary(incoming, &writes))
        })
    }

    fn exceptions(&self) -> StorageFuture<'_, Vec<Flag>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let rows = conn
                .query(
                    "SELECT till, seq, event_id, flag, at, recorded_at FROM exception ORDER BY id",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let flag: &str = r.get(3);
                    Ok(Flag {
                        till: r.get(0),
                        seq: r.get(1),
                        event_id: r.get(2),
                        flag: FlagKind::parse(flag)
                            .ok_or_else(|| LedgerError::Corrupt(format!("flag `{flag}`")))?,
                        at: r.get(4),
                        recorded_at: from_millis(r.get(5))?,
                    })
                })
                .collect()
        })
    }

    fn alarms(&self) -> StorageFuture<'_, Vec<Alarm>> {
        Box::pin(async move {
            let conn = self.pool.get().await?;
            let rows = conn
                .query(
                    "SELECT till, seq, detail, recorded_at FROM alarm ORDER BY id",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Alarm {
                        till: r.get(0),
                        seq: r.get(1),
                        detail: r.get(2),
                        recorded_at: from_millis(r.get(3))?,
                    })
                })
                .collect()
        })
    }

    fn export_source(&self, till: Option<String>) -> StorageFuture<'_, ExportSource> {
        Box::pin(async move {
            let mut conn = self.pool.get().await?;
            // One snapshot for tills, events and catalog.
            let tx = snapshot(&mut conn).await?;
            let tills: Vec<String> = tx
                .query("SELECT id FROM till ORDER BY id", &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if let Some(t) = &till
                && !tills.contains(t)
            {
                return Err(LedgerError::UnknownTill(t.clone()));
            }
            let mut source = ExportSource::default();
            for t in tills
                .iter()
                .filter(|t| till.as_ref().is_none_or(|w| w == *t))
            {
                source.tills.push((t.clone(), Vec::new()));
                let rows = tx
                    .query(
                        "SELECT seq, id, kind, at, body FROM event WHERE till = $1 ORDER BY seq",
                        &[t],
                    )
                    .await?;
                for r in rows {
                    source.push(
                        t.clone(),
                        UploadedEvent {
                            seq: r.get(0),
                            id: r.get(1),
                            kind: r.get(2),
                            at: r.get(3),
                            body: r.get(4),
                        },
                    );
                }
            }
            for r in live_entities(&tx, &ExportSource::CATALOG_KINDS).await? {
                source.catalog.push((r.get(0), r.get(1), r.get(2)));
            }
            tx.commit().await?;
            Ok(source)
        })
    }
}

/// Every live entity of `kinds`: (kind, id, data) rows in kind, id order.
async fn live_entities(
    tx: &Transaction<'_>,
    kinds: &[EntityKind],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
    tx.query(
        "SELECT kind, id, data FROM entity WHERE kind = ANY($1) AND data IS NOT NULL
         ORDER BY kind, id",
        &[&kinds],
    )
    .await
}

/// A read-only transaction that sees one snapshot throughout.
async fn snapshot(client: &mut Client) -> Result<Transaction<'_>, tokio_postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
}

async fn upload(
    client: &mut Client,
    till: &str,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<UploadOutcome, LedgerError> {
    let tx = client.transaction().await?;
    let mut last = lock_counter(&tx).await?;
    let acked: i64 = tx
        .query_opt("SELECT acked_through FROM till WHERE id = $1", &[&till])
        .await?
        .ok_or_else(|| LedgerError::UnknownTill(till.to_string()))?
        .get(0);
    let seqs = rules::stored_seqs(acked, events);
    let mut stored = HashMap::new();
    if !seqs.is_empty() {
        let rows = tx
            .query(
                "SELECT seq, digest, flags FROM event WHERE till = $1 AND seq = ANY($2)",
                &[&till, &seqs],
            )
            .await?;
        for r in rows {
            let flags = rules::parse_flags(r.get(2))?;
            stored.insert(
                r.get::<_, i64>(0),
                StoredEvent {
                    digest: r.get(1),
                    flags,
                },
            );
        }
    }
    let check = match check_batch(acked, events, &stored) {
        Ok(c) => c,
        Err(Refusal::Gap { expected }) => return Ok(UploadOutcome::Gap { expected }),
        Err(Refusal::Mismatch { seq }) => return Ok(UploadOutcome::Mismatch { seq }),
    };
    let new = &events[check.first_new..];
    let mut state = load_state(&tx, &Needs::of_events(new)).await?;
    returns::postgres::load(&tx, &mut state.returns, till, new).await?;
    let received = millis(now);
    let mut applied = Vec::with_capacity(new.len());
    let (mut f_seq, mut f_id, mut f_flag, mut f_at) = (vec![], vec![], vec![], vec![]);
    let mut sale_ids = vec![];
    for e in new {
        let flags = rules::apply_event(&mut state, e, now);
        for f in &flags {
            f_seq.push(e.seq);
            f_id.push(e.id.as_str());
            f_flag.push(f.code());
            f_at.push(e.at_text.as_str());
        }
        if matches!(e.kind, EventKind::Sale | EventKind::Return) {
            sale_ids.push(e.id.as_str());
        }
        applied.push((e.seq, flags));
    }
    if !new.is_empty() {
        let seqs: Vec<i64> = new.iter().map(|e| e.seq).collect();
        let ids: Vec<&str> = new.iter().map(|e| e.id.as_str()).collect();
        let kinds: Vec<&str> = new.iter().map(|e| e.kind.code()).collect();
        let ats: Vec<&str> = new.iter().map(|e| e.at_text.as_str()).collect();
        let offline: Vec<bool> = new.iter().map(|e| e.offline).collect();
        let bodies: Vec<&str> = new.iter().map(|e| e.body.as_str()).collect();
        let digests: Vec<&str> = new.iter().map(|e| e.digest.as_str()).collect();
        let flags: Vec<String> = applied.iter().map(|(_, f)| rules::flags_text(f)).collect();
        tx.execute(
            "INSERT INTO event (till, seq, id, kind, at, offline, body, digest, flags, received_at)
             SELECT $1, u.seq, u.id, u.kind, u.at, u.offline, u.body, u.digest, u.flags, $2
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bool[],
                         $8::text[], $9::text[], $10::text[])
                  AS u(seq, id, kind, at, offline, body, digest, flags)",
            &[
                &till, &received, &seqs, &ids, &kinds, &ats, &offline, &bodies, &digests, &flags,
            ],
        )
        .await?;
    }
    if !f_seq.is_empty() {
        tx.execute(
            "INSERT INTO exception (till, seq, event_id, flag, at, recorded_at)
             SELECT $1, u.seq, u.id, u.flag, u.at, $2
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS u(seq, id, flag, at)",
            &[&till, &received, &f_seq, &f_id, &f_flag, &f_at],
        )
        .await?;
    }
    if !sale_ids.is_empty() {
        tx.execute(
            "UPDATE reservation SET confirmed = TRUE WHERE till = $1 AND id = ANY($2)",
            &[&till, &sale_ids],
        )
        .await?;
    }
    write_entities(&tx, &state.writes(), &mut last).await?;
    returns::postgres::write(&tx, till, &state.returns).await?;
    let acked_through = new.last().map_or(acked, |e| e.seq);
    tx.execute(
        "UPDATE till SET acked_through = $1 WHERE id = $2",
        &[&acked_through, &till],
    )
    .await?;
    set_last_change(&tx, last).await?;
    tx.commit().await?;
    Ok(UploadOutcome::Applied {
        acked_through,
        results: rules::results(check, applied),
    })
}

async fn redeem(
    client: &mut Client,
    till: &str,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<RedeemOutcome, LedgerError> {
    let tx = client.transaction().await?;
    // Reservations queue on the counter too, so two tills cannot both see a
    // coupon free.
    lock_counter(&tx).await?;
    let now_ms = millis(now);
    if held_already(&tx, till, &r.id, &r.digest, now_ms).await? {
        tx.commit().await?;
        return Ok(RedeemOutcome::Granted);
    }
    let needs = Needs::of_reservation(r);
    let state = load_state(&tx, &needs).await?;
    let coupons: Vec<&str> = needs.coupons.iter().map(String::as_str).collect();
    let cards: Vec<&str> = needs.cards.iter().map(String::as_str).collect();
    let members: Vec<&str> = needs.members.iter().map(String::as_str).collect();
    let rows = tx
        .query(
            "SELECT i.kind, i.item_ref, SUM(i.n)::BIGINT, SUM(i.amount_ore)::BIGINT
             FROM reservation_item i JOIN reservation r ON r.till = i.till AND r.id = i.res_id
             WHERE r.confirmed = FALSE AND r.expires_at > $1 AND NOT (r.till = $2 AND r.id = $3)
               AND ((i.kind = $4 AND i.item_ref = ANY($5))
                 OR (i.kind = $6 AND i.item_ref = ANY($7))
                 OR (i.kind = $8 AND i.item_ref = ANY($9)))
             GROUP BY i.kind, i.item_ref",
            &[
                &now_ms,
                &till,
                &r.id,
                &rules::HOLD_COUPON,
                &coupons,
                &rules::HOLD_CARD,
                &cards,
                &rules::HOLD_BONUS,
                &members,
            ],
        )
        .await?;
    let mut holds = Holds::default();
    for row in rows {
        holds.add(row.get(0), row.get(1), row.get(2), row.get(3));
    }
    if let Err(refusal) = check_reservation(&state, &holds, r) {
        return Ok(RedeemOutcome::Refused(refusal));
    }
    put_hold(&tx, till, &r.id, &r.digest, now, &rules::hold_items(r)).await?;
    tx.commit().await?;
    Ok(RedeemOutcome::Granted)
}

/// Drops lapsed holds (confirmed ones too: their event is applied, so the
/// table stays small; a retry after that is judged afresh), then says
/// whether `id` of `till` is held with this body already, or confirmed.
pub(super) async fn held_already(
    tx: &Transaction<'_>,
    till: &str,
    id: &str,
    digest: &str,
    now_ms: i64,
) -> Result<bool, LedgerError> {
    tx.execute("DELETE FROM reservation WHERE expires_at <= $1", &[&now_ms])
        .await?;
    let existing = tx
        .query_opt(
            "SELECT digest, confirmed FROM reservation WHERE till = $1 AND id = $2",
            &[&till, &id],
        )
        .await?;
    Ok(existing.is_some_and(|row| row.get::<_, bool>(1) || row.get::<_, &str>(0) == digest))
}

/// Stores a granted hold (replacing one of the same id with another body)
/// for [`rules::RESERVATION_TTL`].
pub(super) async fn put_hold(
    tx: &Transaction<'_>,
    till: &str,
    id: &str,
    digest: &str,
    now: DateTime<Utc>,
    items: &[rules::HoldItem],
) -> Result<(), LedgerError> {
    tx.execute(
        "DELETE FROM reservation WHERE till = $1 AND id = $2",
        &[&till, &id],
    )
    .await?;
    tx.execute(
        "INSERT INTO reservation (till, id, digest, expires_at, confirmed) VALUES ($1, $2, $3, $4, FALSE)",
        &[&till, &id, &digest, &millis(now + rules::RESERVATION_TTL)],
    )
    .await?;
    if !items.is_empty() {
        let kinds: Vec<&str> = items.iter().map(|h| h.kind).collect();
        let refs: Vec<&str> = items.iter().map(|h| h.item.as_str()).collect();
        let ns: Vec<i64> = items.iter().map(|h| h.n).collect();
        let ores: Vec<i64> = items.iter().map(|h| h.ore).collect();
        tx.execute(
            "INSERT INTO reservation_item (till, res_id, kind, item_ref, n, amount_ore)
             SELECT $1, $2, u.kind, u.item_ref, u.n, u.ore
             FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS u(kind, item_ref, n, ore)",
            &[&till, &id, &kinds, &refs, &ns, &ores],
        )
        .await?;
    }
    Ok(())
}
