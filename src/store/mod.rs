//! The till's local SQLite database: cache of the ledger, completed sales,
//! the append-only journal and the outbox. Opened in one place.

mod cash;
mod commit;
mod intent;
mod read;
mod returns;
mod schema;
mod seed;
mod sync;
mod upload;

pub use cash::kinds as cash_kinds;
pub use intent::{Intent, IntentState, NewIntent};
pub use read::{JournalRow, LineRow, SaleRow, TenderRowRead, ZMark};
pub use returns::{ReturnOf, ReturnUnits};
pub use sync::{Change, SyncOp, SyncState};

pub use schema::SCHEMA_VERSION;

use crate::data::Data;
use crate::domain::receipt::{Payment, Receipt};
use crate::domain::{
    Campaign, Catalog, CoffeeCard, Coupon, Member, Money, Pricing, Product, Sale, Settings, VatRate,
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path}: the database was written by a newer kasse (schema {found}, this one knows up to {supported}); upgrade kasse instead of opening it"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path}: cannot open the database: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the disk is full ({0})")]
    DiskFull(rusqlite::Error),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("the database holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("signing the receipt failed: {0}")]
    Sign(#[source] SignFailure),
    #[error("receipt {0} has already been copied once: only one copy is allowed")]
    CopyExists(u64),
    #[error("payment {id} is already {state}: its sale is not committed again")]
    IntentClosed { id: String, state: String },
    /// A return asked for more units of a line than are left to return.
    #[error("line {line} of sales receipt {number}: only {left} unit(s) are left to return")]
    AlreadyReturned { number: u64, line: usize, left: u32 },
    #[error("there is no {kind} receipt number {number}")]
    NoSuchReceipt { kind: &'static str, number: u64 },
    /// A write handed to the till's own connection failed there (or got no
    /// answer): the kiosk's sync worker writes through the till.
    #[error("the till's database: {0}")]
    Forwarded(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull(e),
            _ => StoreError::Sqlite(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A journal entry: what happened, with its SAF-T PredefinedBasicID-13 code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub at: DateTime<FixedOffset>,
    pub operator: Option<String>,
    pub code: u32,
    pub kind: &'static str,
    pub sale_id: Option<String>,
    pub detail: serde_json::Value,
}

/// SAF-T PredefinedBasicID-13 codes the till writes.
pub mod codes {
    pub const POS_START: u32 = 13001;
    pub const POS_SHUTDOWN: u32 = 13002;
    pub const LOGIN: u32 = 13003;
    pub const LOGOUT: u32 = 13004;
    pub const DRAWER_OPEN: u32 = 13005;
    pub const X_REPORT: u32 = 13008;
    pub const Z_REPORT: u32 = 13009;
    pub const SALES_RECEIPT: u32 = 13012;
    pub const RETURN_RECEIPT: u32 = 13013;
    pub const COPY_RECEIPT: u32 = 13014;
    pub const PROVISIONAL_RECEIPT: u32 = 13015;
    pub const TRAINING_RECEIPT: u32 = 13017;
    pub const MASTER_DATA: u32 = 13021;
    pub const PRICE_LOOKUP: u32 = 13022;
    pub const TRAINING_ON: u32 = 13023;
    pub const TRAINING_OFF: u32 = 13024;
    /// Cash taken out of the drawer (a pay-out: to the bank, an expense).
    pub const CASH_WITHDRAWAL: u32 = 13019;
    /// A sale voided before completion, or a line voided from the open sale.
    pub const VOID: u32 = 13028;
    /// A completed sale whose receipt was not printed (none, QR or screen).
    pub const SALE_WITHOUT_RECEIPT: u32 = 13030;
    pub const OTHER: u32 = 13999;
}

/// Which receipt series a transaction belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaleKind {
    Sale,
    Return,
    Training,
}

impl SaleKind {
    pub fn code(self) -> &'static str {
        match self {
            SaleKind::Sale => "sale",
            SaleKind::Return => "return",
            SaleKind::Training => "training",
        }
    }

    pub fn parse(s: &str) -> Option<SaleKind> {
        match s {
            "sale" => Some(SaleKind::Sale),
            "return" => Some(SaleKind::Return),
            "training" => Some(SaleKind::Training),
            _ => None,
        }
    }

    fn journal_code(self) -> u32 {
        match self {
            SaleKind::Sale => codes::SALES_RECEIPT,
            SaleKind::Return => codes::RETURN_RECEIPT,
            SaleKind::Training => codes::TRAINING_RECEIPT,
        }
    }
}

/// Signs each receipt as it is committed (the SAF-T signature chain). The
/// store needs no more of a signer than this, so storage does not depend on
/// the cryptography: `compliance::sign::Signer` is the real one.
pub trait ReceiptSigner: Send {
    /// The signature of `text`, the transaction's signed text
    /// ([`signed_text`](crate::domain::signature::signed_text)).
    fn sign(&self, text: &str) -> std::result::Result<String, SignFailure>;
}

/// Why a receipt could not be signed, in the signer's own words.
pub type SignFailure = Box<dyn std::error::Error + Send + Sync>;

/// The key that signs every receipt when it is committed, and its name.
pub struct SigningKey {
    pub signer: Box<dyn ReceiptSigner>,
    pub version: String,
    /// The public half (PEM), uploaded to the ledger once per version so an
    /// auditor of the organisation-wide SAF-T file can verify this till.
    pub public_pem: String,
}

/// The demo signing key of the fixtures: used by replay, tests and the demo
/// (`compliance::sign::demo_key` loads it). A production till names its own
/// key in config (`[compliance]`).
pub const DEMO_SIGNING_KEY: &str = include_str!("../../fixtures/keys/saft-demo.pem");
pub const DEMO_KEY_VERSION: &str = "demo-1";

/// A sale that has been paid, ready to be written.
pub struct CompletedSale<'a> {
    pub id: String,
    pub kind: SaleKind,
    /// A return's original sale id.
    pub original_sale: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub mode: &'static str,
    pub offline: bool,
    pub operator: Option<String>,
    pub sale: &'a Sale,
    pub payment: &'a Payment,
    pub bonus_earned: Money,
    pub bonus_balance: Option<Money>,
}

/// One event waiting in the outbox (spec/ledger-api.md upload format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEvent {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub at: String,
    pub offline: bool,
    /// JSON text.
    pub body: String,
}

pub struct Store {
    conn: Connection,
    till: String,
    key: SigningKey,
}

impl Store {
    /// Opens (creating if needed) the database at `path`: WAL,
    /// `synchronous=FULL`, foreign keys on, migrations applied. `key` signs
    /// every sale committed through it (the demo key:
    /// `wiring::open_demo_store`).
    pub fn open_with_key(path: &Path, till: &str, key: SigningKey) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // Pragmas outside the migration transaction: they do not work inside one.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // A checkpointed WAL shrinks back to this size, so the space a full
        // disk gets back is used again.
        conn.pragma_update(None, "journal_size_limit", 1_048_576)
            .map_err(open_err)?;
        migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            till: till.to_string(),
            key,
        })
    }

    pub fn till(&self) -> &str {
        &self.till
    }

    /// For tests that need to reach under the store (fault injection, checks).
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Products, campaigns and settings from the cache.
    pub fn catalog(&self) -> Result<Catalog> {
        let mut barcodes: std::collections::HashMap<String, Vec<String>> = Default::default();
        let mut stmt = self
            .conn
            .prepare("SELECT code, sku FROM barcode ORDER BY code")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (code, sku) = row?;
            barcodes.entry(sku).or_default().push(code);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT sku, name, price, price_per_kg, COALESCE(vat_class, CAST(vat AS TEXT)), coffee, tare_g FROM product ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })?;
        let mut products = Vec::new();
        for row in rows {
            let (sku, name, price, ppk, vat, coffee, tare_g) = row?;
            let pricing = match (price, ppk) {
                (Some(p), _) => Pricing::Unit { price: money(&p)? },
                (None, Some(p)) => Pricing::Weighed {
                    price_per_kg: money(&p)?,
                    tare_g,
                },
                (None, None) => {
                    return Err(StoreError::Corrupt(format!("product {sku} has no price")));
                }
            };
            let vat = VatRate::parse(&vat)
                .ok_or_else(|| StoreError::Corrupt(format!("product {sku}: VAT {vat}")))?;
            let barcodes = barcodes.remove(&sku).unwrap_or_default();
            products.push(Product {
                sku,
                name,
                pricing,
                vat,
                coffee,
                barcodes,
            });
        }
        let mut stmt = self
            .conn
            .prepare("SELECT skus, rate, from_date, until_date FROM campaign ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut campaigns = Vec::new();
        for row in rows {
            let (skus, rate, from, until) = row?;
            campaigns.push(Campaign {
                skus: serde_json::from_str(&skus)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                rate: decimal(&rate)?,
                from: date(&from)?,
                until: date(&until)?,
            });
        }
        let mut settings = Settings::default();
        let mut stmt = self.conn.prepare("SELECT key, value FROM setting")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (k, v) = row?;
            match k.as_str() {
                "bonus_rate" => settings.bonus_rate = decimal(&v)?,
                "coffee_default_sku" => settings.coffee_default_sku = v,
                "min_grams" => {
                    settings.min_grams = v
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("min_grams {v}")))?
                }
                "trusted_keys" => {
                    settings.trusted_keys =
                        serde_json::from_str(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?
                }
                _ => {}
            }
        }
        Ok(Catalog::new(products, campaigns, settings))
    }

    /// The QR keys the ledger delivered through the change feed.
    pub fn ledger_keys(&self) -> Result<Vec<String>> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM setting WHERE key = 'ledger_keys'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match value {
            Some(v) => serde_json::from_str(&v).map_err(|e| StoreError::Corrupt(e.to_string())),
            None => Ok(Vec::new()),
        }
    }

    /// A member as this till sees them: the cached balance plus the effects of
    /// its own sales the ledger has not acknowledged yet.
    pub fn member(&self, id: &str) -> Result<Option<Member>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT name, student, student_until, bonus, as_of_seq FROM member WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        let Some((name, student, until, bonus, acked)) = row else {
            return Ok(None);
        };
        // The ledger's balance includes this till's events up to `as_of_seq`.
        let mut balance = money(&bonus)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT bonus_used, bonus_earned FROM sale WHERE member = ?1 AND seq > ?2",
        )?;
        for row in stmt.query_map(params![id, acked], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (used, earned) = row?;
            let (used, earned) = (money(&used)?, money(&earned)?);
            balance = balance
                .checked_sub(used)
                .and_then(|b| b.checked_add(earned))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "member {id}: the bonus balance leaves the range of money; staff must correct it at the ledger"
                    ))
                })?;
        }
        Ok(Some(Member {
            id: id.to_string(),
            name,
            student,
            student_until: until.as_deref().map(date).transpose()?,
            bonus: balance,
        }))
    }

    /// A coupon from the cache (its `used` flag as the ledger last said).
    pub fn coupon(&self, id: &str) -> Result<Option<Coupon>> {
        let row = self
            .conn
            .prepare_cached("SELECT member, sku, valid_until, used FROM coupon WHERE id = ?1")?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()?;
        let Some((member, sku, valid_until, used)) = row else {
            return Ok(None);
        };
        Ok(Some(Coupon {
            id: id.to_string(),
            member,
            sku,
            valid_until: valid_until.as_deref().map(date).transpose()?,
            used,
        }))
    }

    /// Whether this till has redeemed `coupon` in a completed sale.
    pub fn coupon_redeemed_here(&self, coupon: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM coupon_use WHERE coupon = ?1")?
            .query_row([coupon], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// A coffee card with the clips left as this till sees them.
    pub fn card(&self, id: &str) -> Result<Option<CoffeeCard>> {
        let row = self
            .conn
            .prepare_cached("SELECT member, clips, as_of_seq FROM card WHERE id = ?1")?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?;
        let Some((member, clips, as_of)) = row else {
            return Ok(None);
        };
        let used: u32 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(c.n), 0) FROM clip_use c JOIN sale s ON s.id = c.sale_id
                 WHERE c.card = ?1 AND s.seq > ?2",
            )?
            .query_row(params![id, as_of], |r| r.get(0))?;
        Ok(Some(CoffeeCard {
            id: id.to_string(),
            member,
            clips: clips.saturating_sub(used),
        }))
    }

    /// Writes a completed sale — receipt, lines, tenders, coupon and clip use,
    /// journal row and outbox event — in one transaction, and returns its receipt.
    pub fn commit_sale(&mut self, done: &CompletedSale<'_>) -> Result<Receipt> {
        let written = (|| {
            let tx = write_tx(&mut self.conn)?;
            let receipt = commit::write_sale(&tx, &self.till, &self.key, done, None)?;
            tx.commit()?;
            Ok(receipt)
        })();
        self.relieve(written)
    }

    /// After a full disk: checkpoint and truncate the WAL, so that the space
    /// freed later is used (the till recovers by itself when space returns).
    fn relieve<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(StoreError::DiskFull(_)) = &result {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        result
    }

    /// Appends one journal entry (its own transaction).
    pub fn journal(&mut self, entry: &JournalEntry) -> Result<()> {
        let tx = write_tx(&mut self.conn)?;
        insert_journal(&tx, &self.till, entry)?;
        tx.commit()?;
        Ok(())
    }

    /// A completed receipt of `kind` by its number: (sale id, receipt).
    pub fn receipt(&self, kind: SaleKind, number: u64) -> Result<(String, Receipt)> {
        let row: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT id, receipt FROM sale WHERE kind = ?1 AND number = ?2")?
            .query_row(
                params![kind.code(), i64::try_from(number).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, json) = row.ok_or(StoreError::NoSuchReceipt {
            kind: kind.code(),
            number,
        })?;
        let receipt = stored_receipt(&json)?;
        Ok((id, receipt))
    }

    /// Records the one allowed copy of a receipt, with its journal entry.
    pub fn record_copy(
        &mut self,
        kind: SaleKind,
        number: u64,
        at: DateTime<FixedOffset>,
        operator: Option<String>,
    ) -> Result<Receipt> {
        let (id, receipt) = self.receipt(kind, number)?;
        let tx = write_tx(&mut self.conn)?;
        let inserted = tx
            .prepare_cached("INSERT INTO receipt_copy (sale_id, at, operator) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?
            .execute(params![id, at.to_rfc3339(), operator])?;
        if inserted == 0 {
            return Err(StoreError::CopyExists(number));
        }
        insert_journal(
            &tx,
            &self.till,
            &JournalEntry {
                at,
                operator,
                code: codes::COPY_RECEIPT,
                kind: "copy_receipt",
                sale_id: Some(id),
                detail: serde_json::json!({"number": number, "kind": kind.code(), "total": receipt.total}),
            },
        )?;
        tx.commit()?;
        Ok(receipt)
    }

    /// Number of journal rows (for status screens and tests).
    pub fn journal_len(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// Outbox events after `seq`, oldest first: `(seq, kind, body)`.
    pub fn outbox_after(&self, seq: i64, limit: u32) -> Result<Vec<(i64, String, String)>> {
        Ok(self
            .outbox_events(seq, limit)?
            .into_iter()
            .map(|e| (e.seq, e.kind, e.body))
            .collect())
    }

    /// Whole outbox events after `seq`, oldest first, for upload.
    pub fn outbox_events(&self, seq: i64, limit: u32) -> Result<Vec<OutboxEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, kind, at, offline, body FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit], |r| {
            Ok(OutboxEvent {
                seq: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                at: r.get(3)?,
                offline: r.get(4)?,
                body: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = write_tx(conn)?;
    for sql in &schema::MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Master data changed (seeded or from the ledger): journaled like any
/// other action at the till (code 13021).
fn journal_master_data(
    tx: &Transaction<'_>,
    till: &str,
    at: DateTime<FixedOffset>,
    detail: serde_json::Value,
) -> Result<()> {
    insert_journal(
        tx,
        till,
        &JournalEntry {
            at,
            operator: None,
            code: codes::MASTER_DATA,
            kind: "master_data",
            sale_id: None,
            detail,
        },
    )?;
    Ok(())
}

/// Journals `e` (and queues it for the ledger, `upload`); its journal id.
fn insert_journal(tx: &Transaction<'_>, till: &str, e: &JournalEntry) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO journal (at, till, operator, code, kind, sale_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![e.at.to_rfc3339(), till, e.operator, e.code, e.kind, e.sale_id, e.detail.to_string()])?;
    let id = tx.last_insert_rowid();
    upload::journal_event(tx, id, e)?;
    Ok(id)
}

/// A receipt as stored for copies (the JSON the replay prints).
fn stored_receipt(json: &str) -> Result<Receipt> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    crate::domain::receipt::Receipt::from_json(&v)
        .ok_or_else(|| StoreError::Corrupt("a stored receipt".into()))
}

fn money(s: &str) -> Result<Money> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("amount `{s}`")))
}

fn decimal(s: &str) -> Result<rust_decimal::Decimal> {
    rust_decimal::Decimal::from_str(s).map_err(|_| StoreError::Corrupt(format!("number `{s}`")))
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::from_str(s).map_err(|_| StoreError::Corrupt(format!("date `{s}`")))
}

/// A write transaction that takes the write lock up front (`BEGIN
/// IMMEDIATE`): a second writer waits for the busy timeout instead of failing
/// half-way with a busy snapshot.
fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}
