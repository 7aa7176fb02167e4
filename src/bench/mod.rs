//! `kasse bench checkout`: complete sales through engine + store on a real
//! file, side by side with the floor — a bare rusqlite transaction inserting
//! the same rows with the same pragmas — and the engine alone.

pub mod payments;
pub mod saft;

use crate::data::Data;
use crate::domain::receipt::{Payment, TenderKind};
use crate::domain::{
    Campaign, Catalog, Line, Member, Money, Pricing, Product, Sale, Settings, VatRate,
};
use crate::store::CompletedSale;
use crate::wiring::open_demo_store;
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, params};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Figures of one benchmark run.
pub struct CheckoutReport {
    pub sales: usize,
    /// RSA-SHA1 signature of one receipt (part of every commit), alone.
    pub sign_p50: Duration,
    pub engine_per_sec: f64,
    pub store: Latency,
    pub floor: Latency,
}

pub struct Latency {
    pub per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latency {
    fn from(mut samples: Vec<Duration>, wall: Duration) -> Latency {
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        Latency {
            per_sec: samples.len() as f64 / wall.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

impl fmt::Display for CheckoutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(
            f,
            "kasse bench checkout: {} sales each, WAL + synchronous=FULL on a real file",
            self.sales
        )?;
        writeln!(
            f,
            "{:<34} {:>10} {:>9} {:>9} {:>9}",
            "", "sales/s", "p50 ms", "p99 ms", "max ms"
        )?;
        for (name, l) in [
            ("floor (bare rusqlite, same rows)", &self.floor),
            ("kasse store (engine + commit)", &self.store),
        ] {
            writeln!(
                f,
                "{name:<34} {:>10.0} {:>9.3} {:>9.3} {:>9.3}",
                l.per_sec,
                ms(l.p50),
                ms(l.p99),
                ms(l.max)
            )?;
        }
        writeln!(
            f,
            "of which the receipt signature (RSA-SHA1, 1024 bit) alone: p50 {:.3} ms",
            ms(self.sign_p50)
        )?;
        writeln!(
            f,
            "store p99 / floor p99: {:.2} (goal ≤ 2.00)",
            ms(self.store.p99) / ms(self.floor.p99)
        )?;
        writeln!(
            f,
            "engine alone (pricing, bonus, VAT, receipt): {:.0} sales/s on one core (goal ≥ 200000)",
            self.engine_per_sec
        )
    }
}

fn money(ore: i64) -> Money {
    Money::from_ore(ore)
}

/// `n` students, `M-0` … with kr 500 bonus each.
fn bench_members(n: usize) -> Vec<Member> {
    (0..n)
        .map(|i| Member {
            id: format!("M-{i}"),
            name: format!("Student {i}"),
            student: true,
            student_until: NaiveDate::from_ymd_opt(2027, 2, 1),
            bonus: money(50_000),
        })
        .collect()
}

pub(crate) fn bench_catalog() -> Catalog {
    let vat15 = VatRate::new(15).unwrap_or_else(|| unreachable!("15 is a Norwegian rate"));
    let vat25 = VatRate::new(25).unwrap_or_else(|| unreachable!("25 is a Norwegian rate"));
    let unit = |sku: &str, price: i64, vat, coffee| Product {
        sku: sku.into(),
        name: sku.into(),
        pricing: Pricing::Unit {
            price: money(price),
        },
        vat,
        coffee,
        barcodes: vec![],
    };
    let products = vec![
        unit("KAFFE", 2500, vat15, true),
        unit("LATTE", 4200, vat15, true),
        unit("BOLLE", 2900, vat15, false),
        unit("SJOKOLADE", 2490, vat25, false),
        Product {
            sku: "VEKT".into(),
            name: "Middag etter vekt".into(),
            pricing: Pricing::Weighed {
                price_per_kg: money(18900),
                tare_g: 25,
            },
            vat: vat15,
            coffee: false,
            barcodes: vec![],
        },
    ];
    let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
    let until = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    let campaigns = vec![Campaign {
        skus: vec!["BOLLE".into()],
        rate: rust_decimal::Decimal::new(5, 2),
        from,
        until,
    }];
    Catalog::new(products, campaigns, Settings::default())
}

/// One believable canteen sale: coffee, a bun, dinner by weight, a clip-free
/// coupon-free basket paid partly with bonus.
pub(crate) fn build_sale(catalog: &Catalog, i: usize, today: NaiveDate) -> (Sale, Payment, Money) {
    let p = |sku: &str| {
        catalog
            .product(sku)
            .unwrap_or_else(|| unreachable!("bench catalog has {sku}"))
    };
    let mut sale = Sale {
        member: Some(format!("M-{}", i % 50)),
        ..Sale::default()
    };
    sale.add_line(Line::unit(
        p(if i.is_multiple_of(2) {
            "KAFFE"
        } else {
            "LATTE"
        }),
        1,
    ));
    sale.add_line(Line::unit(p("BOLLE"), 1 + (i % 3) as u32));
    sale.add_line(Line::weighed(p("VEKT"), 300 + (i % 250) as u32));
    sale.add_line(Line::unit(p("SJOKOLADE"), 1));
    // A handful of small lines: far inside the range of money.
    let earned = sale.bonus_earned(catalog, today).unwrap_or(Money::ZERO);
    let payment = Payment::plan(sale.total(), money(100 + (i % 7) as i64), TenderKind::Card);
    (sale, payment, earned)
}

pub fn checkout(sales: usize, dir: Option<&Path>) -> Result<CheckoutReport> {
    let sales = sales.max(100);
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let dir = dir.unwrap_or(tmp.path());
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let catalog = bench_catalog();
    let now: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-11-23T11:30:00+01:00").context("bench clock")?;
    let today = now.date_naive();

    // Engine alone: pricing, bonus, VAT, receipt; no store.
    let engine_n = sales * 50;
    let start = Instant::now();
    let mut check = 0u64;
    for i in 0..engine_n {
        let (sale, payment, earned) = build_sale(&catalog, i, today);
        let receipt = sale.receipt(i as u64, &payment, earned, Some(earned));
        check = check.wrapping_add(receipt.vat.len() as u64 + receipt.lines.len() as u64);
    }
    let engine_per_sec = engine_n as f64 / start.elapsed().as_secs_f64();
    std::hint::black_box(check);

    // The floor and the store, interleaved in blocks so that both see the
    // same disk weather.
    let floor_db = dir.join("floor.sqlite");
    let store_db = dir.join("store.sqlite");
    for p in [&floor_db, &store_db] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
    let mut floor = Floor::open(&floor_db)?;
    let mut store = open_demo_store(&store_db, "bench").context("opening the bench store")?;
    let members = bench_members(50);
    store.seed(
        &Data {
            catalog: catalog.clone(),
            members,
            coupons: vec![],
            cards: vec![],
        },
        now,
    )?;

    let (mut floor_t, mut store_t) = (Vec::with_capacity(sales), Vec::with_capacity(sales));
    let (mut floor_wall, mut store_wall) = (Duration::ZERO, Duration::ZERO);
    let block = 100;
    let mut i = 0;
    while i < sales {
        let end = (i + block).min(sales);
        let t0 = Instant::now();
        for k in i..end {
            let (sale, payment, earned) = build_sale(&catalog, k, today);
            let receipt = sale.receipt(k as u64 + 1, &payment, earned, Some(earned));
            let s = Instant::now();
            floor.insert(k, &receipt)?;
            floor_t.push(s.elapsed());
        }
        floor_wall += t0.elapsed();
        let t0 = Instant::now();
        for k in i..end {
            let s = Instant::now();
            let (sale, payment, earned) = build_sale(&catalog, k, today);
            let done = CompletedSale {
                id: uuid::Uuid::now_v7().simple().to_string(),
                kind: crate::store::SaleKind::Sale,
                original_sale: None,
                at: now,
                mode: "self",
                offline: false,
                operator: None,
                sale: &sale,
                payment: &payment,
                bonus_earned: earned,
                bonus_balance: Some(earned),
            };
            store.commit_sale(&done)?;
            store_t.push(s.elapsed());
        }
        store_wall += t0.elapsed();
        i = end;
    }
    let key = crate::compliance::sign::demo_key()?;
    let mut sign_t: Vec<Duration> = (0..200)
        .map(|i| {
            let s = Instant::now();
            let _ = key
                .signer
                .sign(&format!("0;2026-11-23;11:30:00;{i};77.87;67.71"));
            s.elapsed()
        })
        .collect();
    sign_t.sort_unstable();
    Ok(CheckoutReport {
        sign_p50: sign_t[sign_t.len() / 2],
        sales,
        engine_per_sec,
        store: Latency::from(store_t, store_wall),
        floor: Latency::from(floor_t, floor_wall),
    })
}

/// The same rows as a kasse sale, in plain tables: no triggers, no checks.
struct Floor {
    conn: Connection,
}

impl Floor {
    fn open(path: &Path) -> Result<Floor> {
        let conn = Connection::open(path)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(
            "CREATE TABLE sale (id TEXT PRIMARY KEY, number INTEGER, seq INTEGER, at TEXT, till TEXT, mode TEXT, member TEXT,
                 total TEXT, rounding TEXT, bonus_used TEXT, bonus_earned TEXT, offline INTEGER);
             CREATE TABLE sale_line (sale_id TEXT, line_no INTEGER, sku TEXT, name TEXT, qty INTEGER, grams INTEGER,
                 unit_price TEXT, discount TEXT, discount_kind TEXT, discount_ref TEXT, amount TEXT, vat INTEGER,
                 PRIMARY KEY (sale_id, line_no));
             CREATE TABLE tender (sale_id TEXT, pos INTEGER, kind TEXT, amount TEXT, reference TEXT, PRIMARY KEY (sale_id, pos));
             CREATE TABLE journal (id INTEGER PRIMARY KEY, at TEXT, till TEXT, operator TEXT, code INTEGER, kind TEXT, sale_id TEXT, detail TEXT);
             CREATE TABLE outbox (seq INTEGER PRIMARY KEY, id TEXT, kind TEXT, at TEXT, offline INTEGER, body TEXT);",
        )?;
        Ok(Floor { conn })
    }

    fn insert(&mut self, k: usize, receipt: &crate::domain::Receipt) -> Result<()> {
        let id = uuid::Uuid::now_v7().to_string();
        let body = serde_json::to_string(receipt)?;
        let tx = self.conn.transaction()?;
        tx.prepare_cached("INSERT INTO sale VALUES (?1, ?2, ?3, '2026-11-23T11:30:00+01:00', 'bench', 'self', ?4, ?5, '0.00', '1.00', ?6, 0)")?
            .execute(params![id, k as i64 + 1, k as i64 + 1, receipt.member, receipt.total.to_string(), receipt.bonus_earned.to_string()])?;
        for (n, l) in receipt.lines.iter().enumerate() {
            tx.prepare_cached("INSERT INTO sale_line VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9, ?10)")?.execute(params![
                id,
                n as i64 + 1,
                l.sku,
                l.name,
                l.qty,
                l.grams,
                l.unit_price.to_string(),
                l.discount.to_string(),
                l.amount.to_string(),
                l.vat.percent().unwrap_or(0)
            ])?;
        }
        for (n, t) in receipt.tenders.iter().enumerate() {
            tx.prepare_cached("INSERT INTO tender VALUES (?1, ?2, ?3, ?4, NULL)")?
                .execute(params![
                    id,
                    n as i64 + 1,
                    t.kind.code(),
                    t.amount.to_string()
                ])?;
        }
        tx.prepare_cached(
            "INSERT INTO outbox VALUES (?1, ?2, 'sale', '2026-11-23T11:30:00+01:00', 0, ?3)",
        )?
        .execute(params![k as i64 + 1, id, body])?;
        tx.prepare_cached("INSERT INTO journal (at, till, code, kind, sale_id, detail) VALUES ('2026-11-23T11:30:00+01:00', 'bench', 13012, 'sale', ?1, '{}')")?
            .execute(params![id])?;
        tx.commit()?;
        Ok(())
    }
}

/// `kasse bench sync`: a till with `sales` queued sales uploads them to a
/// ledger on loopback, then pulls `members` member records into its cache —
/// the till's real path (store outbox → reqwest → axum → storage → feed).
pub fn sync(db: &str, sales: usize, members: usize) -> Result<String> {
    use crate::ledger::Ledger;
    use crate::sync::{LedgerClient, LedgerConfig};
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let ledger = rt.block_on(Ledger::open(db))?;
    let catalog = bench_catalog();
    let people = bench_members(members);
    let data = Data {
        catalog: catalog.clone(),
        members: people,
        coupons: vec![],
        cards: vec![],
    };
    let t0 = Instant::now();
    rt.block_on(ledger.import(&data))?;
    let import = t0.elapsed();
    let till_id = format!("bench-{}", std::process::id());
    let token = rt.block_on(ledger.enroll(&till_id))?;
    let server = rt.block_on(crate::ledger::api::Server::bind("127.0.0.1:0", ledger))?;
    let addr = server.local_addr()?;
    rt.spawn(server.run());

    // The till's queue: real sales through the store.
    let now: DateTime<FixedOffset> = chrono::Local::now().fixed_offset();
    let mut store = open_demo_store(&tmp.path().join("till.sqlite"), &till_id)?;
    store.seed(
        &Data {
            catalog: catalog.clone(),
            members: vec![],
            coupons: vec![],
            cards: vec![],
        },
        now,
    )?;
    for k in 0..sales {
        let (sale, payment, earned) = build_sale(&catalog, k, now.date_naive());
        let done = CompletedSale {
            id: uuid::Uuid::now_v7().simple().to_string(),
            kind: crate::store::SaleKind::Sale,
            original_sale: None,
            at: now,
            mode: "self",
            offline: true,
            operator: None,
            sale: &sale,
            payment: &Payment {
                bonus_used: Money::ZERO,
                ..payment
            },
            bonus_earned: earned,
            bonus_balance: Some(earned),
        };
        store.commit_sale(&done)?;
    }
    let client = LedgerClient::new(LedgerConfig {
        url: format!("http://{addr}"),
        till: till_id,
        token: token.as_str().to_string(),
        timeout: Duration::from_secs(60),
        batch: 1000,
    })?;
    let t0 = Instant::now();
    let up = client.upload(&mut store, now)?;
    let upload = t0.elapsed();
    let t0 = Instant::now();
    let pulled = client.pull(&mut store, now)?;
    let pull = t0.elapsed();
    let backend = if db.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    Ok(format!(
        "kasse bench sync ({backend}, loopback):\n\
         upload {} queued sales in batches of 1000: {:.2} s ({:.0} sales/s) (goal ≤ 1 s on SQLite)\n\
         pull {} changes ({members} members) into the till's cache: {:.2} s (goal ≤ 2 s on SQLite)\n\
         (ledger import of the members, not timed by the goal: {:.2} s)\n",
        up.uploaded,
        upload.as_secs_f64(),
        up.uploaded as f64 / upload.as_secs_f64(),
        pulled,
        pull.as_secs_f64(),
        import.as_secs_f64(),
    ))
}

/// One decoder's figures on one folder.
struct QrFigures {
    correct: usize,
    times: Vec<Duration>,
}

impl QrFigures {
    fn new() -> QrFigures {
        QrFigures {
            correct: 0,
            times: Vec::new(),
        }
    }

    fn cell(&mut self, images: usize) -> String {
        self.times.sort_unstable();
        let at = |q: f64| {
            self.times
                .get(((self.times.len().max(1) - 1) as f64 * q).round() as usize)
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0
        };
        format!(
            "{:>4}/{:<4} {:>4.0}% {:>6.2} {:>6.2}",
            self.correct,
            images,
            // A share of images, not money.
            100.0 * self.correct as f64 / images.max(1) as f64,
            at(0.5),
            at(0.95)
        )
    }
}

/// This thread's time on a CPU so far (`CLOCK_THREAD_CPUTIME_ID`, to the
/// ns); `None` if the clock cannot be read.
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| {
        Duration::new(
            u64::try_from(ts.tv_sec).unwrap_or_default(),
            u32::try_from(ts.tv_nsec).unwrap_or_default(),
        )
    })
}

/// p95 and max of the pipeline's CPU times in ms (`-` when not measured).
fn cpu_cell(times: &mut [Duration]) -> String {
    times.sort_unstable();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    match times.last() {
        Some(max) => {
            let p95 = &times[((times.len() - 1) as f64 * 0.95).round() as usize];
            format!("{:>7.2} {:>7.2}", ms(p95), ms(max))
        }
        None => format!("{:>7} {:>7}", "-", "-"),
    }
}

/// The labelled images of a folder (`NAME.png|jpg|jpeg` beside `NAME.txt`),
/// in name order, with their expected text.
fn labelled_images(dir: &Path) -> Result<Vec<(std::path::PathBuf, String)>> {
    let mut images: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "png" || e == "jpg" || e == "jpeg")
        })
        .collect();
    images.sort();
    Ok(images
        .into_iter()
        .filter_map(|img| {
            let expected = std::fs::read_to_string(img.with_extension("txt")).ok()?;
            Some((img, expected.trim_end().to_string()))
        })
        .collect())
}

/// `kasse bench qr`'s options besides the folders.
pub struct QrOptions {
    /// List each image some decoder missed.
    pub misses: bool,
    /// Quarter turns to read each folder at besides 0°.
    pub rotations: Vec<u32>,
    /// The pipeline's time budget per frame.
    pub budget: Duration,
    /// Where rxing alone goes in the pipeline.
    pub order: crate::scanner::pipeline::Order,
    /// The pipeline's per-stage trace on stderr, per image.
    pub trace: bool,
}

/// `kasse bench qr DIR… [--rotate 90,180,270] [--budget-ms N]`: for each
/// folder of labelled images (`NAME.png` or `.jpg` beside `NAME.txt`) and
/// each rotation (0° always, then each asked for, turned in memory), the
/// decode rate (found and correct / total) and the time per frame (median,
/// p95; the image already in memory as grey) of the till's pipeline (with
/// `budget` per frame), of rxing alone and of rqrr with preprocessing
/// alone, in the same run on one thread; then how many images rxing alone
/// read that the pipeline missed (0 by construction), how many frames the
/// pipeline gave up for time, and the decoder panics caught.
pub fn qr(dirs: &[std::path::PathBuf], options: &QrOptions) -> Result<String> {
    let QrOptions {
        misses,
        ref rotations,
        budget,
        order,
        trace,
    } = *options;
    use crate::scanner::{decode, panics::PanicCounts, pipeline};
    let mut out = format!(
        "kasse bench qr: rate = found and correct / total; times per frame in ms (median p95), one thread; \
         pipeline budget {} ms, {order:?}\n",
        budget.as_millis()
    );
    out += &format!(
        "{:<24} {:>4} {:>5} | {:^29} {:^15} | {:^29} | {:^29} | {:>6} {:>7} {:>6}\n",
        "folder",
        "rot",
        "px",
        "kasse (pipeline)",
        "cpu p95 max",
        "rxing alone (TryHarder)",
        "rqrr + preprocessing",
        "lost",
        "gave up",
        "panics"
    );
    let mut turns = vec![0u32];
    turns.extend(rotations.iter().copied().filter(|r| *r != 0));
    let mut all_panics = PanicCounts::default();
    for dir in dirs {
        let images = labelled_images(dir)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        let frames: Vec<image::GrayImage> = images
            .iter()
            .map(|(img, _)| decode::load_gray(img))
            .collect::<Result<_, _>>()?;
        for &turn in &turns {
            let (mut ours, mut rxing, mut rqrr) =
                (QrFigures::new(), QrFigures::new(), QrFigures::new());
            // The pipeline's CPU time per frame (this thread's clock):
            // what the frame cost, without the time other processes had
            // the core.
            let mut ours_cpu: Vec<Duration> = Vec::new();
            let (mut longest, mut lost, mut gave_up) = (0u32, 0usize, 0usize);
            let mut panics = PanicCounts::default();
            for ((img, expected), frame) in images.iter().zip(&frames) {
                let frame = pipeline::rotated(frame, turn);
                longest = longest.max(frame.width().max(frame.height()));
                let runs: [(&mut QrFigures, &dyn Fn() -> decode::DecodeOutcome); 3] = [
                    (&mut ours, &|| {
                        if trace {
                            eprintln!("{} {turn}°", img.display());
                        }
                        pipeline::FramePipeline::with_budget(budget)
                            .ordered(order)
                            .traced(trace)
                            .decode(&frame)
                    }),
                    (&mut rxing, &|| pipeline::rxing_alone(&frame)),
                    (&mut rqrr, &|| decode::decode_gray(&frame)),
                ];
                let mut line = String::new();
                let mut read = [false; 3];
                for (i, (figures, run)) in runs.into_iter().enumerate() {
                    let (t, cpu) = (Instant::now(), thread_cpu());
                    let found = std::hint::black_box(run());
                    let took = t.elapsed();
                    if i == 0
                        && let (Some(before), Some(after)) = (cpu, thread_cpu())
                    {
                        ours_cpu.push(after.saturating_sub(before));
                    }
                    figures.times.push(took);
                    panics.merge(&found.panics);
                    if i == 0 && found.gave_up {
                        gave_up += 1;
                    }
                    read[i] = found.texts.iter().any(|f| f.trim_end() == expected);
                    if read[i] {
                        figures.correct += 1;
                    }
                    line += &format!(
                        " {} {:6.2} ms",
                        if read[i] { "ok  " } else { "MISS" },
                        took.as_secs_f64() * 1000.0
                    );
                }
                if read[1] && !read[0] {
                    lost += 1;
                }
                if misses && line.contains("MISS") {
                    out += &format!("  {:<40} {turn:>3}°{line}\n", img.display());
                }
            }
            out += &format!(
                "{name:<24} {turn:>3}° {longest:>5} | {} {} | {} | {} | {lost:>6} {gave_up:>7} {:>6}\n",
                ours.cell(images.len()),
                cpu_cell(&mut ours_cpu),
                rxing.cell(images.len()),
                rqrr.cell(images.len()),
                panics.total()
            );
            all_panics.merge(&panics);
        }
    }
    out += &format!("decoder panics (caught): {all_panics}\n");
    Ok(out)
}

/// `kasse bench ledger-load`: many tills at once against a ledger on
/// 127.0.0.1 (a temporary SQLite file unless `db` names one), beside idle
/// connections and oversized bodies, with the product's limits.
pub fn ledger_load(db: Option<&str>, options: crate::ledger::load::LoadOptions) -> Result<String> {
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let path = tmp.path().join("ledger.sqlite").display().to_string();
    let db = db.unwrap_or(&path);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let storage = crate::ledger::open_storage(db).await?;
        crate::ledger::load::load(storage, options, crate::ledger::Limits::default()).await
    })?;
    Ok(format!("{report}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::pipeline::{DEFAULT_BUDGET, Order};

    #[test]
    fn bench_qr_counts_reads_and_reports_the_pipelines_cpu_time() {
        const TEXT: &str = "SSN1.M.M-100001.1763884800.H0yCsvPYSIYwOGOjRYiKDcfIjssi2OkX5740NqlrcrXbtWXxAn-3JAhbXV_qMEpLDDJZt1PCgmhbn7c-9LmzDw";
        let dir = tempfile::tempdir().unwrap();
        crate::qrgen::render(TEXT, 4)
            .unwrap()
            .save(dir.path().join("a.png"))
            .unwrap();
        std::fs::write(dir.path().join("a.txt"), TEXT).unwrap();
        image::GrayImage::from_pixel(64, 64, image::Luma([200]))
            .save(dir.path().join("b.png"))
            .unwrap();
        std::fs::write(dir.path().join("b.txt"), TEXT).unwrap();
        let options = QrOptions {
            misses: false,
            rotations: vec![90],
            budget: DEFAULT_BUDGET,
            order: Order::HalfFirst,
            trace: false,
        };
        let out = qr(&[dir.path().to_path_buf()], &options).unwrap();
        let rows: Vec<&str> = out.lines().filter(|l| l.contains(" | ")).skip(1).collect();
        assert_eq!(rows.len(), 2, "{out}");
        for row in rows {
            let cells: Vec<&str> = row.split(" | ").collect();
            let ours: Vec<&str> = cells[1].split_whitespace().collect();
            // read, share, median, p95, then the CPU p95 and max.
            assert_eq!(ours[0], "1/2", "{row}");
            assert_eq!(ours.len(), 6, "{row}");
            let cpu_max: f64 = ours[5].parse().unwrap();
            assert!(cpu_max > 0.0, "{row}");
            // lost, gave up, panics.
            assert!(cells[4].trim().starts_with("0 "), "{row}");
        }
    }
}
