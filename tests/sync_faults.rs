//! Jepsen-style: two tills sell and sync through a fault-injecting proxy
//! (connection reset, reply dropped after the ledger committed, duplicate
//! delivery, delay past the timeout, kill -9 of the ledger mid-request).
//! Afterwards: 0 events lost, 0 duplicated, balances conserved.

mod common;

use common::{admin, client, demo_till, free_port, now, root};

use kasse::domain::receipt::TenderKind;
use kasse::domain::{AppCode, Money};
use kasse::sync::LedgerClient;
use kasse::till::{Link, Outcome, PayRequest, Till};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The ledger process; restartable on the same port and database.
struct Ledger {
    db: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Ledger {
    // Reaped in `kill` / `Drop`, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_kasse"))
            .args(["ledger", "--db"])
            .arg(&self.db)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kasse ledger serve");
        self.child = Some(child);
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the ledger did not come back on port {}", self.port);
    }

    /// kill -9 (Child::kill sends SIGKILL).
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Pass,
    Reset,
    DropReply,
    Duplicate,
    Delay,
    KillMidRequest,
}

/// Reads one HTTP message (headers + Content-Length body).
fn read_message(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    buf.extend(body);
    Some(buf)
}

fn exchange(port: u16, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", port)).ok()?;
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    server.write_all(request).ok()?;
    read_message(&mut server)
}

/// A proxy that applies the next queued fault to each connection.
fn proxy(listener: TcpListener, ledger: Arc<Mutex<Ledger>>, faults: Arc<Mutex<Vec<Fault>>>) {
    for client in listener.incoming() {
        let Ok(mut client) = client else { continue };
        let fault = faults.lock().expect("faults").pop().unwrap_or(Fault::Pass);
        let port = ledger.lock().expect("ledger").port;
        let Some(request) = read_message(&mut client) else {
            continue;
        };
        match fault {
            Fault::Pass => {
                if let Some(reply) = exchange(port, &request) {
                    let _ = client.write_all(&reply);
                }
            }
            Fault::Reset => {} // dropped: the till sees the connection close
            Fault::DropReply => {
                let _ = exchange(port, &request); // committed, but the till never hears
            }
            Fault::Duplicate => {
                let _ = exchange(port, &request);
                if let Some(reply) = exchange(port, &request) {
                    let _ = client.write_all(&reply);
                }
            }
            Fault::Delay => {
                let reply = exchange(port, &request);
                std::thread::sleep(Duration::from_millis(700)); // past the till's timeout
                if let Some(reply) = reply {
                    let _ = client.write_all(&reply);
                }
            }
            Fault::KillMidRequest => {
                let mut server = TcpStream::connect(("127.0.0.1", port)).ok();
                if let Some(s) = server.as_mut() {
                    let _ = s.write_all(&request);
                }
                std::thread::sleep(Duration::from_millis(5));
                let mut l = ledger.lock().expect("ledger");
                l.kill();
                l.start();
            }
        }
    }
}

struct T {
    till: Till,
    client: LedgerClient,
}

fn till(dir: &Path, id: &str, url: &str, token: &str) -> T {
    T {
        till: demo_till(dir, id),
        client: client(url, id, token, Duration::from_millis(400), 3),
    }
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn random_faults_lose_nothing_duplicate_nothing_and_conserve_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ledger.sqlite");
    admin(
        &db,
        &[
            "import",
            root()
                .join("fixtures/data/demo.toml")
                .to_str()
                .expect("utf-8"),
        ],
    );
    let tokens: Vec<String> = ["till-a", "till-b", "till-c"]
        .iter()
        .map(|t| admin(&db, &["enroll", t]))
        .collect();
    let ledger = Arc::new(Mutex::new(Ledger {
        db: db.clone(),
        port: free_port(),
        child: None,
    }));
    ledger.lock().expect("ledger").start();
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let faults = Arc::new(Mutex::new(Vec::new()));
    {
        let (l, f) = (Arc::clone(&ledger), Arc::clone(&faults));
        std::thread::spawn(move || proxy(listener, l, f));
    }
    let mut tills = [
        till(dir.path(), "till-a", &url, &tokens[0]),
        till(dir.path(), "till-b", &url, &tokens[1]),
    ];
    let seed = std::fs::read_to_string(root().join("fixtures/keys/demo.seed")).expect("seed");
    let key = kasse::domain::appcode::parse_seed_hex(&seed).expect("key");
    let member = "M-100005"; // a student with a balance and card KK-4
    let start_bonus = tills[0]
        .till
        .store()
        .member(member)
        .expect("m")
        .expect("known")
        .bonus;
    let start_clips = tills[0]
        .till
        .store()
        .card("KK-4")
        .expect("c")
        .expect("known")
        .clips;

    let all = [
        Fault::Pass,
        Fault::Reset,
        Fault::DropReply,
        Fault::Duplicate,
        Fault::Delay,
        Fault::KillMidRequest,
    ];
    let mut rng = Rng(0x5EED_1234);
    let (mut used, mut earned, mut clips) = (Money::ZERO, Money::ZERO, 0u32);
    let mut faults_injected = 0;
    let mut sync_errors = 0;
    for round in 0..30 {
        let t = &mut tills[(round % 2) as usize];
        let code = AppCode::Member {
            member: member.into(),
            exp: 1_830_297_600,
        }
        .sign(&key);
        t.till.present_code(&code, now()).expect("member");
        t.till.weigh("VEKT", 200 + rng.below(400) as u32, true);
        if rng.below(3) == 0 && clips < start_clips {
            let card = AppCode::Card {
                member: member.into(),
                card: "KK-4".into(),
                exp: 1_830_297_600,
            }
            .sign(&key);
            if matches!(
                t.till.present_code(&card, now()).expect("card"),
                Outcome::Clip { .. }
            ) {
                clips += 1;
            }
        }
        if rng.below(2) == 0 {
            let _ = t.till.answer_bonus(true, now()).expect("bonus");
        }
        let req = PayRequest {
            tender: TenderKind::Card,
            cash_given: None,
            approved: true,
            reference: None,
        };
        match t.till.pay(req, now()).expect("pay") {
            Outcome::Paid { receipt, .. } => {
                earned += receipt.bonus_earned;
                used += receipt
                    .tenders
                    .iter()
                    .filter(|x| x.kind == TenderKind::Bonus)
                    .map(|x| x.amount)
                    .sum();
            }
            other => panic!("round {round}: {other:?}"),
        }
        // Queue 1–3 faults for this till's sync attempt; errors are expected.
        for _ in 0..=rng.below(3) {
            faults
                .lock()
                .expect("faults")
                .push(all[rng.below(all.len() as u64) as usize]);
            faults_injected += 1;
        }
        if t.client.sync_once(t.till.store_mut(), now()).is_err() {
            sync_errors += 1;
        }
        t.till.set_link(Link {
            online: true,
            last_sync: now(),
        });
    }
    // Heal the network and let both tills catch up.
    faults.lock().expect("faults").clear();
    for t in tills.iter_mut() {
        let mut tries = 0;
        while t.till.store().sync_state().expect("state").queue > 0 {
            let _ = t.client.sync_once(t.till.store_mut(), now());
            tries += 1;
            assert!(tries < 20, "the till cannot catch up");
        }
    }
    assert!(faults_injected >= 30, "{faults_injected} faults");
    assert!(
        sync_errors >= 5,
        "the faults bite: {sync_errors} failed sync rounds"
    );
    eprintln!("{faults_injected} faults injected, {sync_errors} sync rounds failed");
    // 0 lost, 0 duplicated: the ledger holds exactly each till's outbox.
    let conn = rusqlite::Connection::open(&db).expect("ledger db");
    for t in &tills {
        let id = t.till.store().till().to_string();
        let (n, min, max): (i64, i64, i64) = conn
            .query_row(
                "SELECT COUNT(*), MIN(seq), MAX(seq) FROM event WHERE till = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("events");
        let outbox = t
            .till
            .store()
            .outbox_after(0, 10_000)
            .expect("outbox")
            .len() as i64;
        assert_eq!(
            (n, min, max),
            (outbox, 1, outbox),
            "{id}: every event once, no gaps"
        );
    }
    // Balances conserved: a third till pulls what the ledger now says.
    let mut c = till(dir.path(), "till-c", &url, &tokens[2]);
    c.client.sync_once(c.till.store_mut(), now()).expect("pull");
    let bonus = c
        .till
        .store()
        .member(member)
        .expect("m")
        .expect("known")
        .bonus;
    assert_eq!(
        bonus,
        start_bonus - used + earned,
        "bonus: start {start_bonus} − used {used} + earned {earned}"
    );
    let left = c
        .till
        .store()
        .card("KK-4")
        .expect("c")
        .expect("known")
        .clips;
    assert_eq!(left, start_clips - clips);
    // Two tills spending one balance without reservations may overdraw it:
    // the ledger flags that for staff, and flags nothing else.
    let listed = admin(&db, &["exceptions"]);
    for line in listed.lines().filter(|l| *l != "no exceptions") {
        assert!(line.contains("bonus_overdrawn"), "unexpected flag: {line}");
    }
}
