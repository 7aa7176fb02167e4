//! `kasse bench ledger-load`: the ledger under many tills at once and
//! under abuse, on loopback only. N tills each upload their sales one per
//! request on a fresh connection (as a till does), while idle connections
//! sit open and oversized bodies with a valid token are pushed at it.
//! Checks that every valid event is stored exactly once (each sale earns
//! 0.75 once, so the members' bonus must grow by exactly `0.75 × sales`),
//! and reports upload latency percentiles and the process's peak RSS.

use crate::domain::Money;
use crate::ledger::bench::{Client, bench_data, member_id};
use crate::ledger::storage::Storage;
use crate::ledger::{Ledger, LedgerError, Limits, Server, SystemClock};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub tills: usize,
    /// Sales each till uploads, one per request.
    pub uploads: usize,
    pub idle: usize,
    pub oversized: usize,
    /// Bytes each oversized body announces (and sends until refused).
    pub oversized_bytes: usize,
    pub members: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            tills: 50,
            uploads: 200,
            idle: 200,
            oversized: 20,
            oversized_bytes: 31_000_000,
            members: 1000,
        }
    }
}

#[derive(Clone, Debug)]
pub struct LoadReport {
    pub backend: &'static str,
    pub options: LoadOptions,
    pub wall: Duration,
    pub stored: usize,
    pub failed: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Answers to the oversized bodies, e.g. "413 ×20".
    pub oversized: String,
    /// Idle connections the server had closed by the end.
    pub idle_closed: usize,
    pub rss_before_kib: u64,
    pub peak_rss_kib: u64,
    pub bonus_ok: bool,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "{}: {} tills × {} uploads with {} idle connections and {} oversized bodies ({} MB each) in {:.1} s",
            self.backend,
            o.tills,
            o.uploads,
            o.idle,
            o.oversized,
            o.oversized_bytes / 1_000_000,
            self.wall.as_secs_f64()
        )?;
        writeln!(
            f,
            "stored {} of {} events exactly once: {} ({} uploads failed)",
            self.stored,
            o.tills * o.uploads,
            if self.bonus_ok { "yes" } else { "NO" },
            self.failed
        )?;
        writeln!(
            f,
            "upload latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )?;
        writeln!(f, "oversized bodies answered: {}", self.oversized)?;
        writeln!(
            f,
            "idle connections closed by the ledger: {} of {}",
            self.idle_closed, o.idle
        )?;
        write!(
            f,
            "RSS: {} MiB before, peak {} MiB (whole process: server and clients)",
            self.rss_before_kib / 1024,
            self.peak_rss_kib / 1024
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `VmRSS` or `VmHWM` (peak) of this process in KiB; 0 where /proc is missing.
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the load against a fresh ledger in `storage`, served on 127.0.0.1
/// with `limits`. Use an empty database.
pub async fn load(
    storage: Arc<dyn Storage>,
    options: LoadOptions,
    limits: Limits,
) -> Result<LoadReport, LedgerError> {
    let backend = storage.backend();
    let rss_before_kib = rss_kib("VmRSS:");
    let ledger = Ledger::new(storage, Arc::new(SystemClock));
    let members = options.members.max(1);
    ledger.import(&bench_data(members)?).await?;
    let mut tokens = Vec::with_capacity(options.tills);
    for t in 0..options.tills {
        tokens.push(ledger.enroll(&format!("load-{t}")).await?.to_string());
    }
    let bonus_before = bonus_total(&ledger).await?;
    let server = Server::bind("127.0.0.1:0", ledger.clone())
        .await?
        .with_limits(limits);
    let addr = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let started = Instant::now();
    let mut idle = Vec::with_capacity(options.idle);
    for _ in 0..options.idle {
        idle.push(
            TcpStream::connect(addr)
                .await
                .map_err(|e| LedgerError::Bench(format!("idle connection: {e}")))?,
        );
    }
    let abusers: Vec<_> = (0..options.oversized)
        .map(|_| tokio::spawn(oversized(addr, tokens[0].clone(), options.oversized_bytes)))
        .collect();
    let tills: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(t, token)| tokio::spawn(till(addr, t, token.clone(), options.uploads, members)))
        .collect();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for t in tills {
        let (lat, f) = t
            .await
            .map_err(|e| LedgerError::Bench(format!("a till task: {e}")))?;
        latencies.extend(lat);
        failed += f;
    }
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for a in abusers {
        let status = a
            .await
            .map_err(|e| LedgerError::Bench(format!("an oversized body: {e}")))?;
        *answers.entry(status).or_default() += 1;
    }
    let wall = started.elapsed();
    // Past the header timeout every idle connection must have been closed.
    let wait =
        limits.header_read_timeout.saturating_sub(started.elapsed()) + Duration::from_millis(500);
    tokio::time::sleep(wait).await;
    let mut idle_closed = 0;
    for mut s in idle {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await {
            idle_closed += 1;
        }
    }
    let _ = stop.send(());
    let _ = running.await;

    let mut stored = 0;
    for t in 0..options.tills {
        stored += usize::try_from(acked(&ledger, &format!("load-{t}")).await?).unwrap_or(0);
    }
    let sales = i64::try_from(options.tills * options.uploads).unwrap_or(i64::MAX);
    let expected = Money::from_ore(75)
        .checked_times(rust_decimal::Decimal::from(sales))
        .and_then(|e| bonus_before.checked_add(e));
    let bonus_ok =
        expected == Some(bonus_total(&ledger).await?) && stored == options.tills * options.uploads;
    latencies.sort_unstable();
    let pct = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i.min(latencies.len() - 1)]
    };
    Ok(LoadReport {
        backend,
        options,
        wall,
        stored,
        failed,
        p50: pct(0.50),
        p99: pct(0.99),
        max: latencies.last().copied().unwrap_or_default(),
        oversized: answers
            .iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        idle_closed,
        rss_before_kib,
        peak_rss_kib: rss_kib("VmHWM:"),
        bonus_ok,
    })
}

/// One till: `uploads` sales, one per request, each on a fresh connection.
async fn till(
    addr: SocketAddr,
    t: usize,
    token: String,
    uploads: usize,
    members: usize,
) -> (Vec<Duration>, usize) {
    let path = format!("/v1/tills/load-{t}/events");
    let mut latencies = Vec::with_capacity(uploads);
    let mut failed = 0;
    let mut seq = 1;
    while seq <= uploads {
        let body = json!({"events": [{
            "seq": seq, "id": format!("load-{t}-{seq}"), "kind": "sale",
            "at": "2026-11-23T11:31:07+01:00", "offline": false,
            "body": crate::ledger::wire::lunch_sale_body(
                seq as u64, &member_id((t * uploads + seq) % members), "10.75"),
        }]});
        let started = Instant::now();
        let sent = async {
            let mut c = Client::connect(addr, &token).await?;
            c.send(Method::POST, &path, Some(Bytes::from(body.to_string())))
                .await
        }
        .await;
        latencies.push(started.elapsed());
        match sent {
            Ok((StatusCode::OK, _)) => seq += 1,
            // Refused under load (408) or a dropped connection: the till
            // sends the same event again, as its outbox would.
            _ => {
                failed += 1;
                if failed > uploads * 10 {
                    break;
                }
            }
        }
    }
    (latencies, failed)
}

/// A valid token and a body far past the limit, streamed until refused.
async fn oversized(addr: SocketAddr, token: String, bytes: usize) -> String {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return "no connection".into();
    };
    let head = format!(
        "POST /v1/tills/load-0/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {bytes}\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).await.is_err() {
        return "closed".into();
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut left = bytes;
    let mut reply = Vec::new();
    while left > 0 {
        let n = left.min(chunk.len());
        if s.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        left -= n;
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut reply)).await;
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .map_or("no answer".into(), |l| {
            l.trim_start_matches("HTTP/1.1 ").to_string()
        })
}

async fn acked(ledger: &Ledger, till: &str) -> Result<i64, LedgerError> {
    Ok(ledger
        .storage()
        .changes(till.to_string(), i64::MAX - 1, 1)
        .await?
        .acked_through)
}

/// The sum of every member's bonus, read through the change feed.
async fn bonus_total(ledger: &Ledger) -> Result<Money, LedgerError> {
    let mut latest = std::collections::HashMap::<String, Money>::new();
    let mut after = 0;
    loop {
        let page = ledger
            .storage()
            .changes("load-0".to_string(), after, 5000)
            .await?;
        for c in &page.changes {
            if c.kind == "member" {
                let v: Value = serde_json::from_str(c.data.get())
                    .map_err(|e| LedgerError::Bench(format!("member document: {e}")))?;
                let bonus = v["bonus"]
                    .as_str()
                    .and_then(|b| b.parse::<Money>().ok())
                    .ok_or_else(|| LedgerError::Bench(format!("member bonus in {v}")))?;
                latest.insert(v["id"].as_str().unwrap_or("").to_string(), bonus);
            }
        }
        after = page.next;
        if !page.more {
            break;
        }
    }
    latest
        .values()
        .try_fold(Money::ZERO, |sum, b| sum.checked_add(*b))
        .ok_or_else(|| LedgerError::Bench("bonus sum out of range".into()))
}
