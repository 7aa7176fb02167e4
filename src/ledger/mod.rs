//! The central ledger: the authority for bonus, clips, coupon use, members
//! and the catalog that the tills sync with (spec/ledger-api.md).
//!
//! - `api`: the HTTP server (axum) and bearer-token auth;
//! - `wire`: request shapes and their checks, `rules`: what a batch and a
//!   reservation do, `bonus`: the check of a sale's bonus claim, `records`:
//!   the entities the feed sends — all pure;
//! - `returns`: returns across tills (an original sale looked up, units held
//!   and recorded once), pure, with each backend's SQL beside it;
//! - `storage`: the trait, with `sqlite` and `postgres` behind it;
//! - `bench`: upload and pull figures on loopback; `load`: many tills at
//!   once beside idle connections and oversized bodies;
//! - `serve`: connections, TLS and their limits.
//!
//! The admin functions the CLI calls are on [`Ledger`]: `import`, `enroll`,
//! `exceptions`, `alarms`; [`serve`] runs the server.

pub mod api;
pub mod bench;
pub mod bonus;
pub mod load;
pub mod postgres;
pub mod records;
pub mod returns;
pub mod rules;
pub mod serve;
pub mod sqlite;
pub mod storage;
pub mod wire;

pub use api::{Server, serve};
pub use bench::{BenchOptions, BenchReport, bench};
pub use serve::{Limits, TlsFiles};
pub use storage::{Alarm, ExportSource, Flag, ImportSummary, Storage, UploadedEvent};

use crate::data::Data;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: cannot open the ledger database: {source}")]
    OpenSqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{location}: the ledger database was written by a newer kasse (schema {found}, this one knows up to {supported}); upgrade kasse instead of opening it"
    )]
    NewerSchema {
        location: String,
        found: i64,
        supported: i64,
    },
    #[error("ledger database (SQLite): {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "cannot reach PostgreSQL at {target}: {source}; check that the server runs and the connection string (user, password, database)"
    )]
    ConnectPostgres {
        target: String,
        source: tokio_postgres::Error,
    },
    #[error("ledger database (PostgreSQL): {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("`{0}` is not a PostgreSQL connection string: {1}")]
    BadConnectionString(String, String),
    #[error("the ledger database holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("till `{0}` is not enrolled; enroll it first (`kasse ledger enroll {0}`)")]
    UnknownTill(String),
    #[error("`{0}` is not a till id: use 1–32 characters of a–z, 0–9 and -")]
    BadTillId(String),
    #[error(
        "refusing to serve plain HTTP on {0}: that address is reachable from other machines; give the ledger a certificate and key (--tls-cert, --tls-key) or listen on 127.0.0.1 or [::1]"
    )]
    PlainHttpNotLoopback(SocketAddr),
    #[error("`{0}` is not an address to listen on (write it like 127.0.0.1:8080): {1}")]
    BadListenAddress(String, String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the HTTP server stopped: {0}")]
    Serve(std::io::Error),
    #[error("a database worker stopped unexpectedly: {0}")]
    Worker(String),
    #[error("no random numbers from the operating system for a token: {0}")]
    Random(String),
    #[error("benchmark: {0}")]
    Bench(String),
}

/// Where "now" comes from: the system clock in production, a hand-set one in
/// tests (reservation expiry, clock skew).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A till's bearer token, shown once at enrolment.
pub struct Token(String);

impl Token {
    /// 32 random bytes, base64url.
    pub fn generate() -> Result<Token, LedgerError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| LedgerError::Random(e.to_string()))?;
        Ok(Token(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> storage::TokenHash {
        hash_token(&self.0)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

pub fn hash_token(token: &str) -> storage::TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// `[a-z0-9-]{1,32}`.
pub fn valid_till_id(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A ledger: its storage and its clock. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
}

impl Ledger {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Ledger {
        Ledger { storage, clock }
    }

    /// Opens the database a connection string names (see [`open_storage`]),
    /// with the system clock.
    pub async fn open(conn: &str) -> Result<Ledger, LedgerError> {
        Ok(Ledger::new(
            open_storage(conn).await?,
            Arc::new(SystemClock),
        ))
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Loads a data file: catalog, campaigns, members, coupons and cards,
    /// each a change in the feed.
    pub async fn import(&self, data: &Data) -> Result<ImportSummary, LedgerError> {
        self.storage.import(records::entities_from_data(data)).await
    }

    /// Enrolls `till` and returns its new token. Only the hash is stored, so
    /// print the token now: it cannot be shown again.
    pub async fn enroll(&self, till: &str) -> Result<Token, LedgerError> {
        if !valid_till_id(till) {
            return Err(LedgerError::BadTillId(till.to_string()));
        }
        let token = Token::generate()?;
        self.storage
            .enroll(till.to_string(), token.hash(), self.now())
            .await?;
        Ok(token)
    }

    /// Every flag stored for staff, oldest first.
    pub async fn exceptions(&self) -> Result<Vec<Flag>, LedgerError> {
        self.storage.exceptions().await
    }

    /// Every refused batch whose seq came again with other content.
    pub async fn alarms(&self) -> Result<Vec<Alarm>, LedgerError> {
        self.storage.alarms().await
    }
}

/// `postgres://…` or `postgresql://…` opens PostgreSQL; anything else is the
/// path of a SQLite file (created if missing).
pub async fn open_storage(conn: &str) -> Result<Arc<dyn Storage>, LedgerError> {
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStorage::open(conn).await?))
    } else {
        Ok(Arc::new(sqlite::SqliteStorage::open(conn.as_ref()).await?))
    }
}
