//! Upload and pull figures for a ledger backend on loopback: a real server
//! on 127.0.0.1 and a minimal keep-alive HTTP/1.1 client (hyper), so the
//! numbers include JSON, HTTP and the database, as a till would see them.

use crate::data::Data;
use crate::domain::{Catalog, Member, Money, Pricing, Product, Settings, VatRate};
use crate::ledger::storage::Storage;
use crate::ledger::{Ledger, LedgerError, Server, SystemClock};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    /// Queued sales to upload.
    pub sales: usize,
    /// Events per upload request.
    pub batch: usize,
    /// Members imported, then pulled through the change feed.
    pub members: usize,
    /// `limit` of each changes request.
    pub page: u32,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            sales: 10_000,
            batch: 500,
            members: 100_000,
            page: 500,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BenchReport {
    pub backend: &'static str,
    pub options: BenchOptions,
    /// Admin import of the members (not over HTTP).
    pub import: Duration,
    pub upload: Duration,
    pub upload_requests: usize,
    pub pull: Duration,
    pub pulled: usize,
    pub pages: usize,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_s = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "{}: import {} members in {:.2} s",
            self.backend,
            self.options.members,
            self.import.as_secs_f64()
        )?;
        writeln!(
            f,
            "{}: upload {} sales in {} batches of {}: {:.2} s ({:.0} sales/s, {:.1} ms per batch)",
            self.backend,
            self.options.sales,
            self.upload_requests,
            self.options.batch,
            self.upload.as_secs_f64(),
            per_s(self.options.sales, self.upload),
            self.upload.as_secs_f64() * 1000.0 / self.upload_requests.max(1) as f64
        )?;
        write!(
            f,
            "{}: pull {} records in {} pages of {}: {:.2} s ({:.0} records/s)",
            self.backend,
            self.pulled,
            self.pages,
            self.options.page,
            self.pull.as_secs_f64(),
            per_s(self.pulled, self.pull)
        )
    }
}

/// Imports `members`, uploads `sales` queued sales (each earning bonus for a
/// member) in batches, then pulls the whole change feed. Use a fresh,
/// empty database: the pull counts everything in it.
pub async fn bench(
    storage: Arc<dyn Storage>,
    options: BenchOptions,
) -> Result<BenchReport, LedgerError> {
    let backend = storage.backend();
    let ledger = Ledger::new(storage, Arc::new(SystemClock));

    let started = Instant::now();
    ledger.import(&bench_data(options.members)?).await?;
    let import = started.elapsed();
    let token = ledger.enroll("bench").await?;

    let server = Server::bind("127.0.0.1:0", ledger.clone()).await?;
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let result = drive(addr, token.as_str(), options).await;
    let _ = stop.send(());
    let _ = running.await;
    let (upload, upload_requests, pull, pulled, pages) = result?;
    Ok(BenchReport {
        backend,
        options,
        import,
        upload,
        upload_requests,
        pull,
        pulled,
        pages,
    })
}

type Figures = (Duration, usize, Duration, usize, usize);

async fn drive(
    addr: std::net::SocketAddr,
    token: &str,
    o: BenchOptions,
) -> Result<Figures, LedgerError> {
    let mut client = Client::connect(addr, token).await?;
    let batches = sale_batches(o.sales, o.batch.max(1), o.members.max(1));
    let started = Instant::now();
    for body in &batches {
        let (status, _) = client
            .send(Method::POST, "/v1/tills/bench/events", Some(body.clone()))
            .await?;
        if status != StatusCode::OK {
            return Err(LedgerError::Bench(format!("upload answered {status}")));
        }
    }
    let upload = started.elapsed();

    #[derive(Deserialize)]
    struct Page {
        changes: Vec<IgnoredAny>,
        next: i64,
        more: bool,
    }
    let started = Instant::now();
    let (mut after, mut pulled, mut pages) = (0i64, 0usize, 0usize);
    loop {
        let path = format!("/v1/tills/bench/changes?after={after}&limit={}", o.page);
        let (status, body) = client.send(Method::GET, &path, None).await?;
        if status != StatusCode::OK {
            return Err(LedgerError::Bench(format!("changes answered {status}")));
        }
        let page: Page = serde_json::from_slice(&body)
            .map_err(|e| LedgerError::Bench(format!("changes reply: {e}")))?;
        pulled += page.changes.len();
        pages += 1;
        after = page.next;
        if !page.more {
            break;
        }
    }
    Ok((upload, batches.len(), started.elapsed(), pulled, pages))
}

fn bench_data(members: usize) -> Result<Data, LedgerError> {
    let coffee = Product {
        sku: "KAFFE".into(),
        name: "Kaffe".into(),
        pricing: Pricing::Unit {
            price: Money::from_ore(2500),
        },
        vat: VatRate::new(25).ok_or_else(|| LedgerError::Bench("25 % is no VAT rate".into()))?,
        coffee: true,
        barcodes: vec![],
    };
    let dinner = Product {
        sku: "VEKT".into(),
        name: "Middag".into(),
        pricing: Pricing::Weighed {
            price_per_kg: Money::from_ore(18_900),
            tare_g: 0,
        },
        vat: VatRate::new(15).ok_or_else(|| LedgerError::Bench("15 % is no VAT rate".into()))?,
        coffee: false,
        barcodes: vec![],
    };
    Ok(Data {
        catalog: Catalog::new(vec![coffee, dinner], vec![], Settings::default()),
        members: (0..members)
            .map(|i| Member {
                id: member_id(i),
                name: format!("Student {i}"),
                student: true,
                // Students through the benchmark's sale date (lunch_sale_body).
                student_until: chrono::NaiveDate::from_ymd_opt(2027, 2, 1),
                bonus: Money::from_ore(1000),
            })
            .collect(),
        coupons: vec![],
        cards: vec![],
    })
}

fn member_id(i: usize) -> String {
    format!("M-{i:06}")
}

/// Upload bodies: `sales` sales in batches of `batch`, seq from 1.
fn sale_batches(sales: usize, batch: usize, members: usize) -> Vec<Bytes> {
    let events: Vec<serde_json::Value> = (1..=sales)
        .map(|seq| {
            json!({
                "seq": seq, "id": format!("bench-sale-{seq}"), "kind": "sale",
                "at": "2026-11-23T11:31:07+01:00", "offline": true,
                "body": crate::ledger::wire::lunch_sale_body(
                    seq as u64, &member_id(seq % members), "10.75"),
            })
        })
        .collect();
    events
        .chunks(batch)
        .map(|chunk| Bytes::from(json!({"events": chunk}).to_string()))
        .collect()
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    auth: String,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr, token: &str) -> Result<Client, LedgerError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| LedgerError::Bench(format!("connect {addr}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| LedgerError::Bench(format!("HTTP handshake: {e}")))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Client {
            sender,
            auth: format!("Bearer {token}"),
        })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), LedgerError> {
        let http = |e: hyper::Error| LedgerError::Bench(format!("{path}: {e}"));
        self.sender.ready().await.map_err(http)?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("authorization", &self.auth)
            .header("content-type", "application/json")
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| LedgerError::Bench(format!("{path}: {e}")))?;
        let response = self.sender.send_request(request).await.map_err(http)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(http)?
            .to_bytes();
        Ok((status, body))
    }
}
