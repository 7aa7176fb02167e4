//! The device commands a technician runs when installing a till.

use crate::config::Config;
use crate::devices::scale::{ScaleEvent, spawn};
use crate::devices::scale_sim::{Script, SimConfig, Simulator};
use crate::devices::setup::{self, PtyPair};
use crate::domain::scale::Protocol;
use anyhow::{Context, Result, bail};
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

mod ledger_saft;
pub use ledger_saft::LedgerSaft;

/// `kasse sim scale`: a scripted or interactive scale on a pty or a port.
pub fn sim_scale(
    protocol: &str,
    pty: bool,
    port: Option<&Path>,
    script: &str,
    interactive: bool,
) -> Result<()> {
    let protocol: Protocol = protocol.parse()?;
    let script: Script = script.parse().context("--script")?;
    let pair = if pty || port.is_none() {
        Some(PtyPair::new()?)
    } else {
        None
    };
    let sim_port = match (&pair, port) {
        (Some(p), _) => p.scale.display().to_string(),
        (None, Some(port)) => port.display().to_string(),
        (None, None) => bail!("give --pty or --port"),
    };
    let sim = Simulator::start(SimConfig::new(sim_port.clone(), protocol, script))
        .context("starting the simulator")?;
    match &pair {
        Some(p) => println!(
            "simulated {protocol} scale running; point the till at {}\n(e.g. [scale] port = \"{}\")",
            p.till.display(),
            p.till.display()
        ),
        None => println!("simulated {protocol} scale answering on {sim_port}"),
    }
    if interactive {
        println!(
            "type a step (load 412g | motion 1s | overload | underzero | garbage | silence 2s), q to quit"
        );
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if line == "q" || line == "quit" {
                break;
            }
            if line.is_empty() {
                continue;
            }
            match line.parse::<Script>() {
                Ok(s) => {
                    sim.replace_script(s);
                    println!("scale now: {line}");
                }
                Err(e) => println!("{e}"),
            }
        }
    } else {
        println!("running the script in a loop until stopped (Ctrl-C)");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    Ok(())
}

/// `kasse devices`: what is connected and what the config selects.
pub fn devices(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    println!("serial ports:");
    let ports = setup::serial_ports();
    if ports.is_empty() {
        println!("  (none found)");
    }
    for p in &ports {
        println!("  {p}");
    }
    println!("cameras:");
    let cams = setup::cameras();
    if cams.is_empty() {
        println!("  (none found: the demo plays the fixture images instead)");
    }
    for c in &cams {
        println!("  {c}");
    }
    let (scale, simulated) = config.scale.reader()?;
    println!("config {}:", config_path.display());
    println!(
        "  scale: {} on {}{}",
        scale.protocol,
        config.scale.port,
        if simulated {
            "  → not found: the simulated scale is used"
        } else {
            ""
        }
    );
    println!(
        "  barcode: {}",
        config.barcode.port.as_deref().unwrap_or("keyboard wedge")
    );
    println!("  printer: {:?}", config.printer);
    for w in config.warnings() {
        println!("  warning: {w}");
    }
    Ok(())
}

/// `kasse devices test scale`: live readings for a while.
pub fn devices_test(config_path: &Path, device: &str, seconds: u64) -> Result<()> {
    if device != "scale" {
        bail!("`{device}`: only `scale` can be tested so far");
    }
    let config = Config::load(config_path)?;
    let (reader, simulated) = config.scale.reader()?;
    let sim;
    let reader = if simulated {
        if config.scale.port == "simulated" {
            println!("scale port is `simulated`: testing against the simulated scale");
        } else {
            println!(
                "{} not found: testing against the simulated scale",
                config.scale.port
            );
        }
        sim = setup::simulated_scale(reader, setup::DEMO_SCRIPT.parse()?)?;
        sim.config.clone()
    } else {
        reader
    };
    println!(
        "reading {} ({}) for {seconds} s; Ctrl-C stops",
        reader.port, reader.protocol
    );
    let (_handle, events) = spawn(reader)?;
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(event) = events.recv_timeout(left) else {
            continue;
        };
        let t = start.elapsed().as_secs_f64();
        match event {
            ScaleEvent::Connected => println!("{t:7.2} s  connected"),
            ScaleEvent::Weight { grams, stable } => {
                println!(
                    "{t:7.2} s  {grams:>6} g  {}",
                    if stable { "STABLE" } else { "settling" }
                )
            }
            ScaleEvent::NoWeight { reading } => println!("{t:7.2} s  no weight: {reading:?}"),
            ScaleEvent::Lost { reason } => println!("{t:7.2} s  LOST: {reason}"),
        }
    }
    Ok(())
}

pub use crate::wiring::{ledger_client, open_store};

/// `kasse report x|z [--counted AMOUNT]`: prints the report and journals
/// it; a Z with the drawer's count also prints expected, counted and the
/// difference, and keeps the count with the Z (as the kiosk's count does).
pub fn report(config_path: &Path, kind: &str, counted: Option<&str>) -> Result<()> {
    use crate::compliance::export;
    let config = Config::load(config_path)?;
    // In the till's language; the stored Z text is Norwegian either way.
    let lang = crate::domain::Lang::parse(&config.kiosk.language).unwrap_or_default();
    let counted = counted
        .map(|c| {
            use crate::domain::cash::{Refusal, check};
            let said = |r| {
                anyhow::anyhow!(
                    "--counted `{c}`: {}",
                    crate::ui::text::cash_refusal(lang, r)
                )
            };
            // Typed as at the till's keypad: 1234 or 1234,50.
            let m = crate::ui::screen::payment::parse_cash(c)
                .ok_or_else(|| said(Refusal::NotAnAmount))?;
            check(m, true).map_err(said)
        })
        .transpose()?;
    let mut store = open_store(&config)?;
    let catalog = store.catalog()?;
    let now = chrono::Local::now().fixed_offset();
    let report = match kind {
        "x" | "X" if counted.is_some() => bail!("--counted belongs to the Z report"),
        "x" | "X" => export::x_report(&mut store, &catalog, now, None)?,
        "z" | "Z" => export::z_report(&mut store, &catalog, now, None, counted)?,
        other => bail!("`{other}`: a report is x or z"),
    };
    print!("{}", export::render(&report, lang));
    if let Some(count) = counted.and_then(|c| export::CashCount::new(&report, c)) {
        print!("{}", count.text(lang));
    }
    Ok(())
}

/// `kasse export saft`: the SAF-T file and, next to it, the public key.
pub fn export_saft(
    config_path: &Path,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    out: &Path,
) -> Result<()> {
    let config = Config::load(config_path)?;
    let store = open_store(&config)?;
    let catalog = store.catalog()?;
    let settings = crate::compliance::export::ExportSettings {
        company: &config.company,
        till: &config.till_id,
        from,
        to,
        created: chrono::Local::now().naive_local(),
    };
    let xml = crate::compliance::export::export(&store, &catalog, &settings)?;
    std::fs::write(out, xml).with_context(|| format!("writing {}", out.display()))?;
    let signer = crate::compliance::sign::Signer::from_pem_file(&config.signing_key)?;
    let pem = out.with_extension(format!("{}.pub.pem", config.key_version));
    std::fs::write(&pem, signer.public_pem())
        .with_context(|| format!("writing {}", pem.display()))?;
    println!(
        "wrote {} and its public key {}",
        out.display(),
        pem.display()
    );
    Ok(())
}

/// `kasse verify saft`: checks each register's signature chain, names the
/// first broken link. A key is `FILE` (any register) or `REGISTER=FILE`; an
/// anchor `REGISTER=SIGNATURE` is the signature a register's chain in the
/// file starts from (its transaction before the file's first).
pub fn verify_saft(file: &Path, public_keys: &[String], anchors: &[String]) -> Result<()> {
    use crate::compliance::verify;
    let xml =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut keys = verify::KeyRing::new();
    for key in public_keys {
        let (register, path) = match key.split_once('=') {
            Some((r, p)) if !Path::new(key).exists() => (Some(r), Path::new(p)),
            _ => (None, Path::new(key.as_str())),
        };
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading the public key {}", path.display()))?;
        keys.add(register, &pem)
            .with_context(|| format!("the public key {}", path.display()))?;
    }
    let mut starts = std::collections::BTreeMap::new();
    for a in anchors {
        let Some((register, signature)) = a.split_once('=') else {
            bail!("--anchor {a}: write it as REGISTER=SIGNATURE");
        };
        starts.insert(register.to_string(), signature.to_string());
    }
    match verify::verify_registers(&xml, &keys, &starts) {
        Ok(registers) => {
            let total: usize = registers.iter().map(|(_, n)| n).sum();
            let each: Vec<String> = registers.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            println!(
                "{}: signature chain intact ({total} transactions; {})",
                file.display(),
                each.join(", ")
            );
            Ok(())
        }
        Err(e) => bail!("{}: {e}", file.display()),
    }
}

/// `kasse verify receipt URL`: checks a receipt QR's link against this
/// till's books: the receipt exists, with that time and total, and the
/// link's seal is its signature's.
pub fn verify_receipt(config_path: &Path, url: &str) -> Result<()> {
    use crate::domain::receipt_link::ReceiptLink;
    let config = Config::load(config_path)?;
    let Some(link) = ReceiptLink::parse(url, &config.receipt_url) else {
        bail!("not a receipt link of this till ({}…)", config.receipt_url);
    };
    if link.till != config.till_id {
        bail!(
            "a receipt of till {}, not of this till ({})",
            link.till,
            config.till_id
        );
    }
    let store = open_store(&config)?;
    let kind = crate::store::SaleKind::parse(&link.series).context("receipt series")?;
    let Some((at, total, signature)) = store.receipt_seal(kind, link.number)? else {
        bail!(
            "no {} receipt number {} on this till",
            link.series,
            link.number
        );
    };
    if at.naive_local() != link.at || total != link.total {
        bail!(
            "receipt {} is {total} at {}, the link says {} at {}",
            link.number,
            at.naive_local(),
            link.total,
            link.at
        );
    }
    if !link.seals(&signature) {
        bail!("the link's seal is not receipt {}'s signature", link.number);
    }
    println!(
        "{} receipt {} of {}: {total} at {}, sealed by its signature",
        link.series,
        link.number,
        link.till,
        at.naive_local()
    );
    Ok(())
}

/// `kasse keygen`: a new 1024-bit RSA signing key (private PEM + public PEM).
pub fn keygen(out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} exists: refusing to overwrite a signing key",
            out.display()
        );
    }
    let pem = crate::compliance::sign::generate_key(crate::compliance::sign::KEY_BITS as usize)?;
    std::fs::write(out, &pem).with_context(|| format!("writing {}", out.display()))?;
    let signer = crate::compliance::sign::Signer::from_pem(&pem, &out.display().to_string())?;
    let public = out.with_extension("pub.pem");
    std::fs::write(&public, signer.public_pem())
        .with_context(|| format!("writing {}", public.display()))?;
    println!(
        "wrote {} (keep it secret) and {}",
        out.display(),
        public.display()
    );
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `kasse ledger serve|import|enroll|exceptions|export saft`.
pub fn ledger(db: &str, action: LedgerAction<'_>) -> Result<()> {
    use crate::ledger::Ledger;
    let rt = runtime()?;
    rt.block_on(async {
        let ledger = Ledger::open(db)
            .await
            .with_context(|| format!("opening the ledger database {db}"))?;
        match action {
            LedgerAction::Serve { listen, tls } => {
                let server = match &tls {
                    Some(files) => {
                        crate::ledger::api::Server::bind_tls(listen, ledger, files).await?
                    }
                    None => crate::ledger::api::Server::bind(listen, ledger).await?,
                };
                println!(
                    "ledger listening on {}://{} (database {db})",
                    server.scheme(),
                    server.local_addr()?
                );
                server.run().await?;
            }
            LedgerAction::Import { data } => {
                let data = crate::data::Data::load(data)?;
                let summary = ledger.import(&data).await?;
                println!(
                    "imported: {} written, {} deleted, {} unchanged",
                    summary.written, summary.deleted, summary.unchanged
                );
            }
            LedgerAction::Enroll { till } => {
                let token = ledger.enroll(till).await?;
                println!("{}", token.as_str());
                eprintln!(
                    "till {till} enrolled: give it this token now, it is stored only as a hash"
                );
            }
            LedgerAction::ExportSaft(a) => ledger_saft::export(&ledger, &a).await?,
            LedgerAction::Exceptions => {
                let flags = ledger.exceptions().await?;
                if flags.is_empty() {
                    println!("no exceptions");
                }
                for f in flags {
                    println!(
                        "{}  till {}  seq {}  {}  event {}",
                        f.at, f.till, f.seq, f.flag, f.event_id
                    );
                }
            }
        }
        Ok(())
    })
}

pub enum LedgerAction<'a> {
    Serve {
        listen: &'a str,
        /// HTTPS with this certificate and key; None: plain HTTP, loopback only.
        tls: Option<crate::ledger::TlsFiles>,
    },
    Import {
        data: &'a Path,
    },
    Enroll {
        till: &'a str,
    },
    Exceptions,
    /// One SAF-T file for the organisation.
    ExportSaft(LedgerSaft<'a>),
}

/// `kasse sync once`: upload the outbox, pull changes, report.
pub fn sync_once(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let mut store = open_store(&config)?;
    let client = ledger_client(&config)?;
    let before = store.sync_state()?;
    println!(
        "syncing {} events with {} …",
        before.queue,
        config.ledger.as_ref().map_or("", |l| l.url.as_str())
    );
    let report = client.sync_once(&mut store, chrono::Local::now().fixed_offset())?;
    println!(
        "uploaded {} (ledger has everything through seq {}), {} changes pulled{}",
        report.uploaded,
        report.acked_through,
        report.changes,
        if report.flags.is_empty() {
            String::new()
        } else {
            format!(", flags: {}", report.flags.join(", "))
        }
    );
    Ok(())
}

/// `kasse sync status`: queue, cursor, last sync; online if the ledger answers.
pub fn sync_status(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let store = open_store(&config)?;
    let s = store.sync_state()?;
    let online = match &config.ledger {
        Some(l) => reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_millis(l.timeout_ms))
            .build()
            .ok()
            .and_then(|c| {
                c.get(format!("{}/v1/health", l.url.trim_end_matches('/')))
                    .send()
                    .ok()
            })
            .is_some_and(|r| r.status().is_success()),
        None => false,
    };
    println!(
        "ledger:        {}",
        if online { "online" } else { "OFFLINE" }
    );
    println!("queue:         {} events not yet acknowledged", s.queue);
    println!("acked through: seq {}", s.acked_through);
    println!("change cursor: {}", s.cursor);
    println!(
        "last sync:     {}",
        s.last_sync.map_or("never".into(), |t| t.to_rfc3339())
    );
    Ok(())
}

/// `kasse receipt N`: shows a completed receipt on screen; `--copy` makes
/// the one allowed copy (marked KOPI, journaled), `--escpos` writes its bytes.
pub fn receipt(
    config_path: &Path,
    kind: &str,
    number: u64,
    copy: bool,
    escpos: Option<&Path>,
) -> Result<()> {
    use crate::domain::print::{self, Header, Marking};
    use crate::store::SaleKind;
    let config = Config::load(config_path)?;
    let mut store = open_store(&config)?;
    let catalog = store.catalog()?;
    let kind =
        SaleKind::parse(kind).with_context(|| format!("`{kind}`: sale, return or training"))?;
    let receipt = if copy {
        store.record_copy(kind, number, chrono::Local::now().fixed_offset(), None)?
    } else {
        store.receipt(kind, number)?.1
    };
    // A copy keeps its series' marking (a training copy is still not a receipt).
    let marking = match kind {
        SaleKind::Sale => Marking::Sale,
        SaleKind::Return => Marking::Return,
        SaleKind::Training => Marking::Training,
    };
    let made = store
        .receipt_time(kind, number)?
        .unwrap_or_else(|| chrono::Local::now().fixed_offset());
    let at = made.format("%d.%m.%Y %H:%M").to_string();
    let header = Header {
        company: &config.company.name,
        org_no: &config.company.org_no,
        till: &config.till_id,
        at: &at,
        marking,
        copy,
    };
    let names = |sku: &str| {
        catalog
            .product(sku)
            .map_or_else(|| sku.to_string(), |p| p.name.clone())
    };
    let rows = print::rows(&receipt, &header, &names);
    print!("{}", print::to_text(&rows));
    if let Some(path) = escpos {
        std::fs::write(path, print::to_escpos(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `kasse sync run`: the background mode — sync every few seconds, back off
/// with jitter while the ledger is away, print status changes.
pub fn sync_run(config_path: &Path, every_s: u64) -> Result<()> {
    use crate::sync::{SyncStatus, spawn_worker};
    use std::sync::{Arc, Mutex};
    let config = Config::load(config_path)?;
    let store = open_store(&config)?;
    let client = ledger_client(&config)?;
    let status = Arc::new(Mutex::new(SyncStatus::default()));
    let _worker = spawn_worker(
        client,
        store,
        Duration::from_secs(every_s.max(1)),
        Arc::clone(&status),
    );
    let mut last = None;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = status.lock().map(|s| s.clone()).unwrap_or_default();
        if last.as_ref() != Some(&now) {
            println!(
                "{}  {}  queue {}  last sync {}{}",
                chrono::Local::now().format("%H:%M:%S"),
                if now.online { "online " } else { "OFFLINE" },
                now.queue,
                now.last_sync
                    .map_or("never".into(), |t| t.format("%H:%M:%S").to_string()),
                now.last_error
                    .as_ref()
                    .map_or(String::new(), |e| format!("  ({e})"))
            );
            last = Some(now);
        }
    }
}

/// `kasse scan IMAGE…`: decodes files, prints each code with its decode
/// time; fails (exit 1) when no image held a code.
/// `kasse scan --folder DIR`: plays a folder as a camera through the scanner
/// worker (each code once, debounced). `kasse scan --camera 0|NAME` reads a
/// real camera the same way, printing each code with its latency from
/// capture; fails (exit 1) with the reason when there is no such camera.
pub fn scan(
    images: &[std::path::PathBuf],
    folder: Option<&Path>,
    camera: Option<&str>,
    config_path: &Path,
    fps: u32,
    seconds: Option<u64>,
) -> Result<()> {
    use crate::scanner::{decode, pipeline::FramePipeline, source::FixtureSource, worker};
    let mut found = 0;
    // Files are read in full (no time budget); the camera's frames below
    // get the config's budget.
    let mut pipeline = FramePipeline::unbounded();
    let mut panics = crate::scanner::panics::PanicCounts::default();
    for path in images {
        let frame = decode::load_gray(path)?;
        let t = Instant::now();
        let out = pipeline.decode(&frame);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if out.texts.is_empty() {
            println!("{}: no code ({ms:.1} ms)", path.display());
        }
        for text in &out.texts {
            found += 1;
            println!("{}: {text} ({ms:.1} ms)", path.display());
        }
        panics.merge(&out.panics);
    }
    if !images.is_empty() {
        // Each kind was logged once as it first happened; the count is here.
        println!("decoder panics (caught): {panics}");
    }
    if !images.is_empty() && found == 0 {
        bail!("no QR code found");
    }

    // The config's [scanner] section, when there is a config to read.
    let mut config = Config::load(config_path)
        .map(|c| c.scanner)
        .unwrap_or_else(|_| crate::config::ScannerConfig {
            camera: "auto".into(),
            width: 1280,
            height: 720,
            fps: 15,
            repeat_after_ms: 1500,
            fixture_folder: "fixtures/qr/camera".into(),
            decode_budget_ms: crate::scanner::pipeline::DEFAULT_BUDGET.as_millis() as u64,
        });
    let scanner = match (folder, camera) {
        (Some(dir), _) => {
            let source = FixtureSource::from_folder(dir, fps)?;
            worker::Scanner::with_source(
                Box::new(source),
                config.repeat_after_ms,
                Box::new(FramePipeline::with_budget(Duration::from_millis(
                    config.decode_budget_ms,
                ))),
            )
        }
        (None, Some(camera)) => {
            config.camera = camera.to_string();
            worker::Scanner::start(&config)
        }
        (None, None) => {
            if images.is_empty() {
                bail!("give image files, --folder DIR or --camera INDEX|NAME");
            }
            return Ok(());
        }
    };
    let limit = seconds.or(folder.map(|_| 5)).map(Duration::from_secs);
    let start = Instant::now();
    let mut connected = false;
    let mut codes = 0usize;
    loop {
        let left = match limit {
            Some(limit) => match limit.checked_sub(start.elapsed()) {
                Some(left) => left,
                None => break,
            },
            None => Duration::from_secs(3600),
        };
        let event = match scanner.events().recv_timeout(left) {
            Ok(event) => event,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        match event {
            worker::ScanEvent::Status(status) => match status {
                worker::CameraStatus::Missing { .. } | worker::CameraStatus::Lost { .. }
                    if !connected =>
                {
                    bail!("{status}");
                }
                worker::CameraStatus::Connected { .. } | worker::CameraStatus::Fixture { .. } => {
                    connected = true;
                    eprintln!("{status}");
                }
                _ => eprintln!("{status}"),
            },
            worker::ScanEvent::Code { text, latency_ms } => {
                codes += 1;
                println!(
                    "{:7.2} s  {text}  ({latency_ms:.1} ms)",
                    start.elapsed().as_secs_f64()
                );
            }
            // Each kind is logged once where it happens; the summary below
            // has the counts.
            worker::ScanEvent::DecoderPanicked { .. } => {}
            worker::ScanEvent::Preview(_) => {}
        }
    }
    let stats = scanner.stats();
    println!(
        "frames decoded: {}, given up (time budget): {}, dropped: {}, decoder panics (caught): {}",
        stats.frames, stats.gave_up, stats.dropped, stats.panics
    );
    if folder.is_some() && codes == 0 {
        bail!("no QR code found");
    }
    Ok(())
}

fn signing_key(key: &Path) -> Result<ed25519_dalek::SigningKey> {
    let seed = std::fs::read_to_string(key)
        .with_context(|| format!("reading key file {}", key.display()))?;
    crate::domain::appcode::parse_seed_hex(&seed)
        .with_context(|| format!("key file {}", key.display()))
}

/// `count` signed app codes of all three kinds with made-up ids, the same
/// for the same `seed`.
pub fn sample_codes(key: &ed25519_dalek::SigningKey, count: usize, seed: u64) -> Vec<String> {
    use crate::domain::appcode::AppCode;
    const SKUS: [&str; 5] = ["KAFFE", "LATTE", "BOLLE", "TE", "SJOKOLADE"];
    let mut state = seed;
    let mut next = move || {
        // SplitMix64 step: enough to vary ids.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|i| {
            let member = format!("M-{}", 100_000 + next() % 900_000);
            let exp = 1_830_297_600 + next() % 1_000_000;
            let code = match i % 3 {
                0 => AppCode::Member { member, exp },
                1 => AppCode::Coupon {
                    member,
                    coupon: format!("CP-{}", next() % 100_000),
                    sku: SKUS[(next() % SKUS.len() as u64) as usize].to_string(),
                    exp,
                },
                _ => AppCode::Card {
                    member,
                    card: format!("KK-{}", next() % 10_000),
                    exp,
                },
            };
            code.sign(key)
        })
        .collect()
}

/// `kasse qr photos`: a labelled synthetic phone-screen set for `kasse bench qr`.
pub fn qr_photos(out: &Path, count: usize, seed: u64, key: &Path) -> Result<()> {
    let texts = sample_codes(&signing_key(key)?, count, seed);
    let files = crate::qrgen::phone::write_photo_set(&texts, seed, out)?;
    println!(
        "wrote {} phone-screen frames to {}",
        files.len(),
        out.display()
    );
    Ok(())
}

/// `kasse qr camera-demo`: the demo camera folder (empty frames, then Ola's
/// member code, then her coffee card, each taken away again).
pub fn qr_camera_demo(out: &Path, key: &Path) -> Result<()> {
    use crate::domain::appcode::AppCode;
    let key = signing_key(key)?;
    let member = AppCode::Member {
        member: "M-100001".into(),
        exp: 1_830_297_600,
    }
    .sign(&key);
    let card = AppCode::Card {
        member: "M-100001".into(),
        card: "KK-1".into(),
        exp: 1_830_297_600,
    }
    .sign(&key);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let frames = crate::qrgen::phone::camera_demo(&[&member, &card], 3, 3)?;
    for (stem, img) in frames {
        let path = out.join(format!("{stem}.jpg"));
        crate::qrgen::phone::write_jpeg(&img, &path)?;
        println!("{}", path.display());
    }
    Ok(())
}

/// `kasse payments list [--open]`: the payment intents of this till.
pub fn payments_list(config_path: &Path, open_only: bool) -> Result<()> {
    let config = Config::load(config_path)?;
    let store = open_store(&config)?;
    let intents = store.intents(open_only)?;
    if intents.is_empty() {
        println!("no {}payment intents", if open_only { "open " } else { "" });
        return Ok(());
    }
    println!(
        "{:<32}  {:<16}  {:<6}  {:>10}  {:<10}  {:<25}  transaction",
        "intent", "state", "tender", "amount", "provider", "created"
    );
    for i in intents {
        println!(
            "{:<32}  {:<16}  {:<6}  {:>10}  {:<10}  {:<25}  {}{}",
            i.id,
            i.state.code(),
            i.tender.code(),
            i.amount.to_string(),
            i.provider,
            i.created_at,
            i.transaction_id.as_deref().unwrap_or("-"),
            i.note.map(|n| format!("  ({n})")).unwrap_or_default(),
        );
    }
    Ok(())
}

/// `kasse payments reconcile`: resolves the open intents with their
/// providers (as every start does) and says what it did.
pub fn payments_reconcile(config_path: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let mut till = crate::wiring::open_till(&config)?;
    let providers = crate::wiring::Providers::from_config(&config)?;
    let done = crate::wiring::recover(&mut till, &providers)?;
    if done.is_empty() {
        println!("no open payments: nothing to do");
    }
    for r in &done {
        println!("{r}");
    }
    let left = done
        .iter()
        .filter(|r| {
            matches!(
                r.resolution,
                crate::payments::recover::Resolution::LeftOpen { .. }
            )
        })
        .count();
    if left > 0 {
        bail!(
            "{left} payment(s) could not be resolved yet; run this again when the provider answers"
        );
    }
    Ok(())
}

/// `kasse bench payments`: against the providers the config chooses (the
/// demo: the nexo client against its emulator), with no customer delay.
pub fn bench_payments(config_path: &Path, sales: usize, intents: usize) -> Result<()> {
    let config = Config::load(config_path)?;
    // The configured providers, without the demo's pretend customer delay.
    let mut payment = config.payment.clone();
    payment.delay_ms = 0;
    payment.decline_permille = 0;
    let providers = crate::wiring::Providers::from_payment(&payment, None)?;
    let dir = tempfile::tempdir().context("a temporary folder")?;
    let report = crate::bench::payments::payments(&providers, sales, intents, dir.path())?;
    print!("{report}");
    Ok(())
}
