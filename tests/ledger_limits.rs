//! The ledger's HTTP limits and HTTPS, against a real server on 127.0.0.1
//! (SQLite): a till syncs over rustls with a certificate made here; bodies
//! are refused by size before they are read and by token before they are
//! read; a slow or idle connection is closed.

mod common;

use common::{demo_till, now, root};
use kasse::data::Data;
use kasse::domain::receipt::TenderKind;
use kasse::ledger::sqlite::SqliteStorage;
use kasse::ledger::{Ledger, Limits, ManualClock, Server, TlsFiles};
use kasse::sync::{LedgerClient, LedgerConfig};
use kasse::till::{Outcome, PayRequest};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Running {
    addr: SocketAddr,
    token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A ledger with the demo data and till `till-a` enrolled, on its own runtime.
fn start(tls: Option<TlsFiles>, limits: Limits) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let (addr, token, stop) = rt.block_on(async {
        let storage = Arc::new(SqliteStorage::open(&db).await.unwrap());
        let ledger = Ledger::new(storage, Arc::new(ManualClock::new(chrono::Utc::now())));
        ledger
            .import(&Data::load(&root().join("fixtures/data/demo.toml")).unwrap())
            .await
            .unwrap();
        let token = ledger.enroll("till-a").await.unwrap().to_string();
        let server = match &tls {
            Some(files) => Server::bind_tls("127.0.0.1:0", ledger, files)
                .await
                .unwrap(),
            None => Server::bind("127.0.0.1:0", ledger).await.unwrap(),
        }
        .with_limits(limits);
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        (addr, token, stop)
    });
    Running {
        addr,
        token,
        stop: Some(stop),
        _rt: rt,
        _dir: dir,
    }
}

#[test]
fn a_till_syncs_over_https_with_a_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let files = TlsFiles {
        cert: dir.path().join("ledger.crt"),
        key: dir.path().join("ledger.key"),
    };
    std::fs::write(&files.cert, cert.cert.pem()).unwrap();
    std::fs::write(&files.key, cert.signing_key.serialize_pem()).unwrap();
    let ledger = start(Some(files.clone()), Limits::default());

    let mut till = demo_till(dir.path(), "till-a");
    till.tap("KAFFE", 1);
    let paid = till.pay(
        PayRequest {
            tender: TenderKind::Card,
            cash_given: None,
            approved: true,
            reference: Some("T-1".into()),
        },
        now(),
    );
    assert!(matches!(paid, Ok(Outcome::Paid { .. })), "{paid:?}");
    let config = |url: String| LedgerConfig {
        url,
        till: "till-a".into(),
        token: ledger.token.clone(),
        timeout: Duration::from_secs(5),
        batch: 50,
    };
    let url = format!("https://localhost:{}", ledger.addr.port());
    // Without the CA the certificate is not trusted: nothing is sent.
    let untrusted = LedgerClient::new(config(url.clone())).unwrap();
    assert!(untrusted.sync_once(till.store_mut(), now()).is_err());
    let ca = std::fs::read(&files.cert).unwrap();
    let client = LedgerClient::with_ca(config(url), Some(&ca)).unwrap();
    // Everything in the outbox goes: the sale and the journal entries that
    // travel with it (its card payment's start).
    let queued = till.store().outbox_events(0, 1000).unwrap().len();
    let report = client.sync_once(till.store_mut(), now()).unwrap();
    assert!(queued >= 1);
    assert_eq!(
        (report.uploaded, report.acked_through),
        (queued, queued as i64)
    );
    assert!(report.changes > 0, "{report:?}");
    // Plain HTTP to the TLS port gets no answer a till would take.
    let plain = LedgerClient::new(config(format!("http://127.0.0.1:{}", ledger.addr.port())));
    assert!(plain.unwrap().sync_once(till.store_mut(), now()).is_err());
}

#[test]
fn plain_http_is_refused_off_loopback_and_tls_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let files = TlsFiles {
        cert: dir.path().join("c.pem"),
        key: dir.path().join("k.pem"),
    };
    std::fs::write(&files.cert, cert.cert.pem()).unwrap();
    std::fs::write(&files.key, cert.signing_key.serialize_pem()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let storage = Arc::new(SqliteStorage::open(&dir.path().join("l.db")).await.unwrap());
        let ledger = Ledger::new(storage, Arc::new(ManualClock::new(chrono::Utc::now())));
        let err = Server::bind("0.0.0.0:0", ledger.clone())
            .await
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("refusing to serve plain HTTP"),
            "{err}"
        );
        assert!(
            Server::bind_tls("0.0.0.0:0", ledger.clone(), &files)
                .await
                .is_ok()
        );
        let wrong_key = TlsFiles {
            key: files.cert.clone(),
            ..files.clone()
        };
        assert!(
            Server::bind_tls("127.0.0.1:0", ledger, &wrong_key)
                .await
                .is_err()
        );
    });
}

/// Sends `head` and then `body_bytes` zero bytes, returns the status line
/// (or "" when the server closed without one) and how long it took.
fn raw(addr: SocketAddr, head: &str, body_bytes: usize) -> (String, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'0'; 64 * 1024];
    let mut left = body_bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        // The server may answer and close before the body is sent: fine.
        if s.write_all(&chunk[..n]).is_err() {
            break;
        }
        left -= n;
    }
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    let status = text.lines().next().unwrap_or("").to_string();
    (status, started.elapsed())
}

#[test]
fn bodies_are_refused_by_size_and_token_before_they_are_read() {
    let limits = Limits {
        max_body: 64 * 1024,
        ..Limits::default()
    };
    let ledger = start(None, limits);
    let post = |token: &str, len: usize| {
        format!(
            "POST /v1/tills/till-a/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        )
    };
    // 31 MB announced: refused at once, nothing of it read.
    let (status, took) = raw(ledger.addr, &post(&ledger.token, 31_000_000), 0);
    assert!(status.contains("413"), "{status}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A wrong token is refused before the body is read.
    let (status, _) = raw(ledger.addr, &post("not-a-token", 1000), 0);
    assert!(status.contains("401"), "{status}");
    // Chunked past the limit: refused once the limit is passed.
    let chunked =
        "POST /v1/tills/till-a/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer TOKEN\r\n\
                   transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .replace("TOKEN", &ledger.token);
    let mut body = String::new();
    for _ in 0..40 {
        body.push_str(&format!("1000\r\n{}\r\n", "0".repeat(4096)));
    }
    let (status, _) = raw(ledger.addr, &(chunked + &body), 0);
    assert!(status.contains("413"), "{status}");
}

#[test]
fn slow_and_idle_connections_are_closed() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let ledger = start(None, limits);
    // Idle: connects, sends nothing.
    let started = Instant::now();
    let mut idle = TcpStream::connect(ledger.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 64];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server should close, not answer");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Slowloris: half a header, then nothing.
    let (status, took) = raw(ledger.addr, "GET /v1/health HTTP/1.1\r\nhost: x\r\n", 0);
    assert!(!status.contains("200"), "{status}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A whole request still works.
    let (status, _) = raw(
        ledger.addr,
        "GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        0,
    );
    assert!(status.contains("200"), "{status}");
}

#[test]
fn a_slow_body_is_cut_off_by_the_request_timeout() {
    let limits = Limits {
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let ledger = start(None, limits);
    let started = Instant::now();
    let mut s = TcpStream::connect(ledger.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/tills/till-a/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-length: 1000\r\nconnection: close\r\n\r\n{{\"events\":",
        ledger.token
    );
    s.write_all(head.as_bytes()).unwrap();
    // The rest of the body never comes.
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_load_benchmark_stores_every_event_once() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = rt.block_on(async {
        let storage = Arc::new(SqliteStorage::open(&dir.path().join("l.db")).await.unwrap());
        let options = kasse::ledger::load::LoadOptions {
            tills: 4,
            uploads: 10,
            idle: 8,
            oversized: 2,
            oversized_bytes: 6_000_000,
            members: 10,
        };
        let limits = Limits {
            header_read_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        kasse::ledger::load::load(storage, options, limits)
            .await
            .unwrap()
    });
    assert_eq!(report.stored, 40, "{report}");
    assert!(report.bonus_ok, "{report}");
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.idle_closed, 8, "{report}");
    assert_eq!(report.oversized, "413 Payload Too Large ×2", "{report}");
    assert!(
        report.p99 >= report.p50 && report.peak_rss_kib > 0,
        "{report}"
    );
}

#[test]
fn confirmed_reservations_are_deleted_after_ten_minutes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let rows = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM reservation", [], |r| r.get(0))
            .unwrap()
    };
    rt.block_on(async {
        let storage = Arc::new(SqliteStorage::open(&db).await.unwrap());
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let ledger = Ledger::new(storage, clock.clone());
        ledger
            .import(&Data::load(&root().join("fixtures/data/demo.toml")).unwrap())
            .await
            .unwrap();
        ledger.enroll("till-a").await.unwrap();
        let hold =
            kasse::ledger::wire::parse_redeem(br#"{"id":"sale-1","coupons":["CP-X"]}"#).unwrap();
        ledger
            .storage()
            .redeem("till-a".into(), hold, ledger.now())
            .await
            .unwrap();
        let mut body = kasse::ledger::wire::lunch_sale_body(1, "M-100001", "1.00");
        body["coupons"] = serde_json::json!(["CP-X"]);
        let upload = serde_json::json!({"events": [{"seq": 1, "id": "sale-1", "kind": "sale",
            "at": ledger.now().to_rfc3339(), "offline": false, "body": body}]});
        let events = kasse::ledger::wire::parse_upload(upload.to_string().as_bytes()).unwrap();
        ledger
            .storage()
            .upload("till-a".into(), events, ledger.now())
            .await
            .unwrap();
        assert_eq!(rows(), 1, "confirmed, still within its ten minutes");
        clock.advance(chrono::TimeDelta::minutes(11));
        let other = kasse::ledger::wire::parse_redeem(br#"{"id":"sale-2"}"#).unwrap();
        ledger
            .storage()
            .redeem("till-a".into(), other, ledger.now())
            .await
            .unwrap();
    });
    // The confirmed one is gone; only the new hold is left.
    assert_eq!(rows(), 1);
    let ids: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT group_concat(id) FROM reservation", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ids, "sale-2");
}
