//! What the sync tests share: the demo till, the ledger CLI, the clock.

use chrono::{DateTime, FixedOffset};
use kasse::data::Data;
use kasse::domain::sale::OfflineLimits;
use kasse::store::Store;
use kasse::sync::{LedgerClient, LedgerConfig};
use kasse::till::{Link, Mode, Till};
use kasse::wiring::open_demo_store;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
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
    Till::new(
        demo_store(dir, id),
        Mode::Cashier,
        Link {
            online: true,
            last_sync: now(),
        },
        OfflineLimits::default(),
    )
    .expect("till")
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
