//! What the sync tests share: the demo till, the ledger CLI and server, the clock.

// Each test file uses a part of it.
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset};
use kasse::data::Data;
use kasse::domain::sale::OfflineLimits;
use kasse::store::Store;
use kasse::sync::{LedgerClient, LedgerConfig};
use kasse::till::{Link, Mode, Till};
use kasse::wiring::open_demo_store;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `kasse ledger --db DB ARGS…`, which must succeed; its stdout.
pub fn admin(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["ledger", "--db"])
        .arg(db)
        .args(args)
        .output()
        .expect("kasse ledger");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Till `id`'s own SQLite file, seeded with the demo data.
pub fn demo_store(dir: &Path, id: &str) -> Store {
    let mut store = open_demo_store(&dir.join(format!("{id}.sqlite")), id).expect("open");
    store
        .seed(
            &Data::load(&root().join("fixtures/data/demo.toml")).expect("demo"),
            now(),
        )
        .expect("seed");
    store
}

/// A cashier till `id` with its own SQLite file, seeded with the demo data.
pub fn demo_till(dir: &Path, id: &str) -> Till {
    cashier_till(demo_store(dir, id), now())
}

/// A cashier till on `store`, online, last synced at `last_sync`.
pub fn cashier_till(store: Store, last_sync: DateTime<FixedOffset>) -> Till {
    Till::new(
        store,
        Mode::Cashier,
        Link {
            online: true,
            last_sync,
        },
        OfflineLimits::default(),
    )
    .expect("till")
}

/// A `kasse ledger serve` child process; killed and reaped on drop.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kasse ledger --db DB serve` on 127.0.0.1:`port`, once it answers.
// The child is reaped in `Server::drop`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn serve(db: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_kasse"))
        .args(["ledger", "--db", db, "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kasse ledger serve");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::blocking::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/v1/health", server.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the ledger did not come up on {}", server.url);
}

pub fn client(url: &str, id: &str, token: &str, timeout: Duration, batch: u32) -> LedgerClient {
    LedgerClient::new(LedgerConfig {
        url: url.into(),
        till: id.into(),
        token: token.into(),
        timeout,
        batch,
    })
    .expect("client")
}
