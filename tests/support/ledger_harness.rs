// The ledger test harness, shared by tests/ledger.rs and tests/ledger_trust.rs
// through `include!`: a real server on 127.0.0.1 over SQLite or PostgreSQL.
use chrono::{DateTime, TimeDelta, Utc};
use kasse::data::Data;
use kasse::ledger::postgres::PgStorage;
use kasse::ledger::sqlite::SqliteStorage;
use kasse::ledger::wire::FlagKind;
use kasse::ledger::{Ledger, ManualClock, Server, Storage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const T0: &str = "2026-11-23T10:30:00Z";
/// One minute after T0, in the till's local time.
const AT: &str = "2026-11-23T11:31:07+01:00";

const DATA: &str = r#"
[settings]
bonus_rate = "0.03"

[[product]]
sku = "KAFFE"
name = "Kaffe"
price = "25.00"
vat = "25"
coffee = true

[[product]]
sku = "VEKT"
name = "Middag etter vekt"
price_per_kg = "189.00"
vat = "15"

[[campaign]]
skus = ["SALAT"]
rate = "0.05"
from = "2026-11-01"
until = "2026-11-30"

[[member]]
id = "M-1"
name = "Ola Nordmann"
student = true
student_until = "2027-02-01"
bonus = "12.40"

[[member]]
id = "M-2"
name = "Kari"
bonus = "0.00"

[[coupon]]
id = "CP-1"
member = "M-1"
sku = "KAFFE"
valid_until = "2026-12-31"

[[card]]
id = "KK-1"
member = "M-1"
clips = 1
"#;

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

fn t0() -> DateTime<Utc> {
    T0.parse().unwrap()
}

fn data(text: &str) -> Data {
    Data::parse(Path::new("test.toml"), text).unwrap()
}

/// The PostgreSQL URL, or None to skip; panics in CI when it is missing.
fn pg_url() -> Option<String> {
    match std::env::var("KASSE_TEST_PG") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "KASSE_TEST_PG is not set but CI is: the PostgreSQL ledger tests must run in CI \
             (start PostgreSQL and export KASSE_TEST_PG, see PG_SETUP.md)"
        ),
        _ => {
            eprintln!("skipped: set KASSE_TEST_PG=postgres://… to run the PostgreSQL ledger tests");
            None
        }
    }
}

fn unique_schema() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

struct Harness {
    base: String,
    http: reqwest::Client,
    ledger: Ledger,
    clock: Arc<ManualClock>,
    tokens: HashMap<&'static str, String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Harness {
    async fn start(backend: Backend) -> Option<Harness> {
        let mut dir = None;
        let mut pg = None;
        let storage: Arc<dyn Storage> = match backend {
            Backend::Sqlite => {
                let d = tempfile::tempdir().unwrap();
                let s = SqliteStorage::open(&d.path().join("ledger.db"))
                    .await
                    .unwrap();
                dir = Some(d);
                Arc::new(s)
            }
            Backend::Postgres => {
                let url = pg_url()?;
                let schema = unique_schema();
                let s = PgStorage::open_in_schema(&url, &schema).await.unwrap();
                pg = Some((url, schema));
                Arc::new(s)
            }
        };
        assert_eq!(
            storage.backend(),
            match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
        );
        let clock = Arc::new(ManualClock::new(t0()));
        let ledger = Ledger::new(storage, clock.clone());
        ledger.import(&data(DATA)).await.unwrap();
        let mut tokens = HashMap::new();
        for till in ["till-a", "till-b"] {
            tokens.insert(till, ledger.enroll(till).await.unwrap().to_string());
        }
        let server = Server::bind("127.0.0.1:0", ledger.clone()).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Some(Harness {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            ledger,
            clock,
            tokens,
            stop: Some(stop),
            _dir: dir,
            pg,
        })
    }

    async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((url, schema)) = &self.pg {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .unwrap();
        }
    }

    /// A request as `as_till` (its token) to `/v1/tills/{path_till}/{rest}`.
    async fn call(
        &self,
        as_till: &str,
        path_till: &str,
        rest: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let url = format!("{}/v1/tills/{path_till}/{rest}", self.base);
        let req = match body {
            Some(b) => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(b),
            None => self.http.get(url),
        };
        let req = match self.tokens.get(as_till) {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    async fn upload(&self, till: &str, events: &[Value]) -> (StatusCode, Value) {
        let body = json!({ "events": events }).to_string();
        self.call(till, till, "events", Some(body)).await
    }

    async fn redeem(&self, till: &str, body: Value) -> (StatusCode, Value) {
        self.call(till, till, "redeem", Some(body.to_string()))
            .await
    }

    async fn changes(&self, till: &str, after: i64, limit: u32) -> Value {
        let (status, v) = self
            .call(
                till,
                till,
                &format!("changes?after={after}&limit={limit}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    /// The whole feed from 0: latest data per (kind, id), deletes included.
    async fn feed(&self, till: &str) -> (BTreeMap<(String, String), Value>, Value) {
        let mut out = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = self.changes(till, after, 5000).await;
            fold(&mut out, &page);
            after = page["next"].as_i64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return (out, page);
            }
        }
    }

    async fn entity(&self, kind: &str, id: &str) -> Value {
        let (feed, _) = self.feed("till-a").await;
        feed.get(&(kind.to_string(), id.to_string()))
            .cloned()
            .unwrap_or(Value::Null)
    }

    async fn flags(&self) -> Vec<(String, i64, FlagKind)> {
        self.ledger
            .exceptions()
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.till, f.seq, f.flag))
            .collect()
    }
}

/// Applies a page to a map of (kind, id) → data, as a till's cache would.
fn fold(out: &mut BTreeMap<(String, String), Value>, page: &Value) {
    for c in page["changes"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap();
        let data = &c["data"];
        if kind == "delete" {
            let key = (
                data["kind"].as_str().unwrap().to_string(),
                data["id"].as_str().unwrap().to_string(),
            );
            out.insert(key, Value::Null);
        } else {
            let id = data
                .get("id")
                .or_else(|| data.get("sku"))
                .or_else(|| data.get("key"))
                .and_then(Value::as_str)
                .unwrap_or("settings")
                .to_string();
            out.insert((kind.to_string(), id), data.clone());
        }
    }
}

/// A `sale` event; `patch` overrides body fields.
fn sale(seq: i64, patch: Value) -> Value {
    let mut body =
        kasse::ledger::wire::lunch_sale_body(seq.unsigned_abs(), "M-1", "13.15");
    for (k, v) in patch.as_object().unwrap() {
        body[k] = v.clone();
    }
    json!({"seq": seq, "id": format!("sale-{seq}"), "kind": "sale", "at": AT,
           "offline": false, "body": body})
}

fn with_id(mut event: Value, id: &str) -> Value {
    event["id"] = json!(id);
    event
}

fn statuses(reply: &Value) -> Vec<(i64, String, Vec<String>)> {
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["seq"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn applied(seq: i64, flags: &[&str]) -> (i64, String, Vec<String>) {
    (
        seq,
        "applied".into(),
        flags.iter().map(|s| s.to_string()).collect(),
    )
}

fn duplicate(seq: i64, flags: &[&str]) -> (i64, String, Vec<String>) {
    (
        seq,
        "duplicate".into(),
        flags.iter().map(|s| s.to_string()).collect(),
    )
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await
            }
        }
    )*};
}
