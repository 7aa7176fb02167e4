//! The `kasse` command line: thin, calls into the library.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kasse::domain::appcode::{self, AppCode};
use kasse::replay::{self, ReplayError, ReplayOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kasse",
    version,
    about = "Checkout till for student canteens and cafés"
)]
struct Cli {
    /// With no command: open the kiosk with `config.toml`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the kiosk window (the default): self-service or operated per config.
    Kiosk {
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
        /// Walk through every screen, save screenshots and measurements
        /// here, then exit (scripts/screenshots.sh runs it under Xvfb).
        #[arg(long)]
        tour: Option<PathBuf>,
    },
    /// Staff PINs: `kasse staff hash-pin 1234` prints a `pin_hash` for config.toml.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Replay a scripted checkout and print its JSON (spec/replay.md).
    Replay {
        scenario: PathBuf,
        /// Data file to use instead of the scenario's `data`.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Keep the till's SQLite database here (default: a fresh temporary one).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Decode QR codes from image files, or play a folder as a camera.
    Scan {
        images: Vec<PathBuf>,
        /// Play this folder as a camera (fixture source), each code once.
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Read this camera (device index such as 0, or part of its name);
        /// resolution and fps from the config's [scanner].
        #[arg(long)]
        camera: Option<String>,
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
        #[arg(long, default_value_t = 10)]
        fps: u32,
        /// Stop after this long (default: 5 s for --folder, never for --camera).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Make signed app QR codes (fixtures and tests only).
    Qr {
        #[command(subcommand)]
        command: QrCommand,
    },
    /// Device simulators (for the demo, tests and technicians).
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// List serial ports and cameras and what the config selects; test a device.
    Devices {
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
        #[command(subcommand)]
        command: Option<DevicesCommand>,
    },
    /// X (any time) or Z (once a day) report: printed and journaled.
    Report {
        /// x or z
        kind: String,
        /// Z only: the cash counted in the drawer (e.g. 1234,50); the
        /// report then prints expected, counted and the difference.
        #[arg(long)]
        counted: Option<String>,
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// SAF-T Cash Register export for a period.
    Export {
        #[command(flatten)]
        file: SaftFile,
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Show a completed receipt on screen; --copy makes the one allowed copy (KOPI).
    Receipt {
        number: u64,
        /// sale, return or training
        #[arg(long, default_value = "sale")]
        kind: String,
        #[arg(long)]
        copy: bool,
        /// Also write the ESC/POS bytes for the printer here.
        #[arg(long)]
        escpos: Option<PathBuf>,
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Check a SAF-T file's signature chains; names the first broken link.
    Verify {
        /// `saft` (a SAF-T file, with --public-key) or `receipt` (a receipt
        /// QR's link, checked against this till's books, with --config).
        format: String,
        /// The SAF-T file, or the receipt link.
        file: PathBuf,
        /// A public key (PEM) file, or REGISTER=FILE for one register's;
        /// repeat it for a file with several tills.
        #[arg(long)]
        public_key: Vec<String>,
        /// REGISTER=SIGNATURE: the signature of the register's transaction
        /// just before the file's first (a period after its first day).
        #[arg(long)]
        anchor: Vec<String>,
        #[arg(long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Make a new RSA signing key for the receipts' signature chain.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// The central ledger (reference server and its administration).
    Ledger {
        /// SQLite file, or postgres://user:pass@host/db
        #[arg(long, default_value = "ledger.sqlite")]
        db: String,
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Payment intents: what was asked of the card terminal or Vipps.
    Payments {
        /// Also accepted after the subcommand (`kasse payments list --config FILE`).
        #[arg(long, global = true, default_value = "config.toml")]
        config: PathBuf,
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// Sync this till with the ledger.
    Sync {
        #[arg(long, global = true, default_value = "config.toml")]
        config: PathBuf,
        #[command(subcommand)]
        command: SyncCommand,
    },
    /// Measure the till.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Hash a PIN (Argon2id) for `[[staff]] pin_hash`.
    HashPin { pin: String },
}

#[derive(Subcommand)]
enum QrCommand {
    /// Sign one app code; prints its text and optionally writes a PNG.
    Sign {
        /// Signing key file: the 32-byte Ed25519 seed as 64 hex digits.
        #[arg(long)]
        key: PathBuf,
        /// member, coupon or card.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        member: String,
        /// Coupon id (kind coupon).
        #[arg(long)]
        coupon: Option<String>,
        /// Product the coupon makes free (kind coupon).
        #[arg(long)]
        sku: Option<String>,
        /// Coffee card id (kind card).
        #[arg(long)]
        card: Option<String>,
        /// Expiry, Unix seconds.
        #[arg(long)]
        exp: u64,
        /// Write the code as a PNG here.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Synthetic phone-screen frames of signed codes (NAME.jpg + NAME.txt), for `kasse bench qr`.
    Photos {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 150)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Signing key file (the demo key by default).
        #[arg(long, default_value = "fixtures/keys/demo.seed")]
        key: PathBuf,
    },
    /// Write the demo camera folder: empty frames, then demo codes on a phone.
    CameraDemo {
        #[arg(long, default_value = "fixtures/qr/camera")]
        out: PathBuf,
        #[arg(long, default_value = "fixtures/keys/demo.seed")]
        key: PathBuf,
    },
    /// Render a manifest of codes (fixtures/qr/codes.toml) to images.
    Render {
        manifest: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// A scale that answers like the real one, from a script or from keys.
    Scale {
        /// toledo8217 or mt-sics.
        #[arg(long, default_value = "toledo8217")]
        protocol: String,
        /// Make a pty pair (needs socat) and print the till's end.
        #[arg(long, conflicts_with = "port")]
        pty: bool,
        /// Answer on this serial port instead.
        #[arg(long)]
        port: Option<PathBuf>,
        /// Script steps, e.g. "load 412g for 2s; motion 300ms; overload; garbage; silence 2s".
        #[arg(long, default_value = kasse::devices::setup::DEMO_SCRIPT)]
        script: String,
        /// Read new steps from stdin, one line each ("load 250g", "motion 1s", …; q quits).
        #[arg(long)]
        interactive: bool,
    },
    /// Vipps MobilePay's ePayment API v1, emulated on loopback (spec/payments.md).
    Vipps {
        #[arg(long, default_value = "127.0.0.1:7081")]
        listen: std::net::SocketAddr,
        /// approve | decline | delay:MS | no-reply | twice | go-away | wrong-amount
        #[arg(long, default_value = "approve")]
        mode: kasse::payments::emulator::Mode,
    },
    /// A nexo Sale-to-POI card terminal (Adyen Terminal API JSON), emulated on loopback.
    Terminal {
        #[arg(long, default_value = "127.0.0.1:7082")]
        listen: std::net::SocketAddr,
        /// approve | decline | delay:MS | no-reply | twice | go-away | wrong-amount
        #[arg(long, default_value = "approve")]
        mode: kasse::payments::emulator::Mode,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    /// Print live readings from a device.
    Test {
        /// Only `scale` for now.
        device: String,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
}

/// What a SAF-T export is asked for: the format, the days and the file.
#[derive(clap::Args)]
struct SaftFile {
    /// Only `saft`.
    format: String,
    #[arg(long)]
    from: chrono::NaiveDate,
    #[arg(long)]
    to: chrono::NaiveDate,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Serve the ledger API: HTTPS with --tls-cert and --tls-key, plain HTTP on loopback only.
    Serve {
        #[arg(long, default_value = "127.0.0.1:7070")]
        listen: String,
        /// The server's certificate chain (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM, PKCS#8, PKCS#1 or SEC1).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Load catalog, members, coupons and cards from a data file.
    Import { data: PathBuf },
    /// Enroll a till and print its new token (stored only as a hash).
    Enroll { till: String },
    /// List flags for staff (double-redeemed coupons, overdrawn cards, …).
    Exceptions,
    /// One SAF-T Cash Register file for the organisation from every till's
    /// uploads: a register per till, each on its own signature chain; its
    /// public keys are written next to it.
    Export {
        #[command(flatten)]
        file: SaftFile,
        /// Only this till (default: every enrolled till).
        #[arg(long)]
        till: Option<String>,
        /// The organisation number (9 digits) of the company the tills belong to.
        #[arg(long)]
        org_no: String,
        /// The company's name.
        #[arg(long)]
        company: String,
    },
}

#[derive(Subcommand)]
enum PaymentsCommand {
    /// Every payment intent, newest last (`--open`: only unresolved ones).
    List {
        #[arg(long)]
        open: bool,
    },
    /// Resolve the open intents with their providers and say what was done.
    Reconcile,
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Upload the outbox and pull changes once.
    Once,
    /// Queue length, cursor, last sync, and whether the ledger answers.
    Status,
    /// Keep syncing in the background (what the kiosk runs), printing status.
    Run {
        #[arg(long, default_value_t = 5)]
        every: u64,
    },
}

/// A quarter turn for `bench qr --rotate`: 0, 90, 180 or 270.
fn parse_turn(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(t @ (0 | 90 | 180 | 270)) => Ok(t),
        _ => Err(format!("`{s}`: a turn is 0, 90, 180 or 270 (degrees)")),
    }
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Decode rate and time per image of folders of QR photos (NAME.txt holds the text).
    Qr {
        dirs: Vec<PathBuf>,
        /// Also list each image some decoder missed (ours, rxing, rqrr).
        #[arg(long)]
        misses: bool,
        /// Also read each folder turned by these angles (clockwise, in
        /// memory): e.g. 90,180,270.
        #[arg(long, value_delimiter = ',', value_parser = parse_turn)]
        rotate: Vec<u32>,
        /// The pipeline's time budget per frame once rxing alone has failed.
        #[arg(long, default_value_t = kasse::scanner::pipeline::DEFAULT_BUDGET.as_millis() as u64)]
        budget_ms: u64,
        /// Where rxing alone goes: after the half-size passes (the kiosk's
        /// order) or first.
        #[arg(long, value_parser = ["half-first", "rxing-first"], default_value = "half-first")]
        order: String,
        /// Print the pipeline's stages for every image to stderr.
        #[arg(long)]
        trace: bool,
    },
    /// A till's outbox uploaded to a ledger on loopback, and the change feed pulled.
    Sync {
        /// Ledger database: a SQLite path (default: a temporary file) or postgres://…
        #[arg(long)]
        db: Option<String>,
        #[arg(long, default_value_t = 10_000)]
        sales: usize,
        #[arg(long, default_value_t = 100_000)]
        members: usize,
    },
    /// The ledger under many tills at once, idle connections and oversized
    /// bodies, on 127.0.0.1: events stored once, p99 upload latency, peak RSS.
    LedgerLoad {
        /// Ledger database: a SQLite path (default: a temporary file) or postgres://…
        #[arg(long)]
        db: Option<String>,
        #[arg(long, default_value_t = 50)]
        tills: usize,
        /// Sales each till uploads, one per request.
        #[arg(long, default_value_t = 200)]
        uploads: usize,
        #[arg(long, default_value_t = 200)]
        idle: usize,
        #[arg(long, default_value_t = 20)]
        oversized: usize,
    },
    /// What the till adds to a card payment, and recovery of open intents at start.
    Payments {
        /// Also accepted after the subcommand (`kasse payments list --config FILE`).
        #[arg(long, global = true, default_value = "config.toml")]
        config: PathBuf,
        /// Card payments to time.
        #[arg(long, default_value_t = 200)]
        sales: usize,
        /// Payments approved while the till was down, recovered at start.
        #[arg(long, default_value_t = 100)]
        intents: usize,
    },
    /// Verify the signature chain of a SAF-T export of N transactions
    /// (what `kasse verify saft` does), timed.
    SaftVerify {
        #[arg(long, default_value_t = 10_000)]
        transactions: usize,
    },
    /// Complete sales through engine + store, beside a bare rusqlite floor.
    Checkout {
        /// Number of sales per measurement.
        #[arg(long, default_value_t = 2000)]
        sales: usize,
        /// Where to put the benchmark databases (default: a temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // A closed stdout (`kasse scan … | head`) ends the program quietly, as
    // for any Unix tool, instead of panicking on the next write.
    // SAFETY: called first thing, before any thread exists; restores the
    // default disposition of one signal.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Kiosk {
        config: PathBuf::from("config.toml"),
        tour: None,
    });
    // The programs that start helpers (socat for the simulated scale) stop
    // them on SIGTERM, SIGINT and SIGHUP; before any thread exists.
    if matches!(
        command,
        Command::Kiosk { .. } | Command::Sim { .. } | Command::Devices { .. }
    ) && let Err(e) = kasse::devices::children::end_with_signals()
    {
        eprintln!("kasse: cannot watch for signals: {e}");
    }
    match command {
        Command::Kiosk { config, tour } => report(kasse::ui::run(&config, tour.as_deref())),
        Command::Staff {
            command: StaffCommand::HashPin { pin },
        } => report(
            kasse::config::hash_pin(&pin)
                .map(|h| println!("{h}"))
                .map_err(|e| anyhow::anyhow!("cannot hash the PIN: {e}")),
        ),
        Command::Replay { scenario, data, db } => {
            let opts = ReplayOptions {
                data: data.as_deref(),
                db: db.as_deref(),
            };
            match replay::run_file(&scenario, &opts) {
                Ok(doc) => match serde_json::to_string_pretty(&doc) {
                    Ok(text) => {
                        println!("{text}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("kasse replay: cannot write the JSON: {e}");
                        ExitCode::from(1)
                    }
                },
                Err(ReplayError::Input(e)) => {
                    eprintln!("{e}");
                    ExitCode::from(2)
                }
                Err(e @ (ReplayError::Till(_) | ReplayError::Providers(_))) => {
                    eprintln!("kasse replay: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Qr { command } => report(qr(command)),
        Command::Scan {
            images,
            folder,
            camera,
            config,
            fps,
            seconds,
        } => report(kasse::cli::scan(
            &images,
            folder.as_deref(),
            camera.as_deref(),
            &config,
            fps,
            seconds,
        )),
        Command::Sim {
            command:
                SimCommand::Scale {
                    protocol,
                    pty,
                    port,
                    script,
                    interactive,
                },
        } => report(kasse::cli::sim_scale(
            &protocol,
            pty,
            port.as_deref(),
            &script,
            interactive,
        )),
        Command::Sim {
            command: SimCommand::Vipps { listen, mode },
        } => report(kasse::payments::emulator::serve_vipps(listen, mode).map_err(Into::into)),
        Command::Sim {
            command: SimCommand::Terminal { listen, mode },
        } => report(kasse::payments::emulator::serve_terminal(listen, mode).map_err(Into::into)),
        Command::Devices { config, command } => report(match command {
            None => kasse::cli::devices(&config),
            Some(DevicesCommand::Test { device, seconds }) => {
                kasse::cli::devices_test(&config, &device, seconds)
            }
        }),
        Command::Report {
            kind,
            counted,
            config,
        } => report(kasse::cli::report(&config, &kind, counted.as_deref())),
        Command::Export { file, config } => report(if file.format == "saft" {
            kasse::cli::export_saft(&config, file.from, file.to, &file.out)
        } else {
            Err(anyhow::anyhow!(
                "`{}`: only `saft` can be exported",
                file.format
            ))
        }),
        Command::Verify {
            format,
            file,
            public_key,
            anchor,
            config,
        } => report(match (format.as_str(), public_key.is_empty()) {
            ("saft", false) => kasse::cli::verify_saft(&file, &public_key, &anchor),
            ("saft", true) => Err(anyhow::anyhow!("verify saft needs --public-key")),
            ("receipt", _) => kasse::cli::verify_receipt(&config, &file.to_string_lossy()),
            (other, _) => Err(anyhow::anyhow!(
                "`{other}`: saft or receipt can be verified"
            )),
        }),
        Command::Receipt {
            number,
            kind,
            copy,
            escpos,
            config,
        } => report(kasse::cli::receipt(
            &config,
            &kind,
            number,
            copy,
            escpos.as_deref(),
        )),
        Command::Keygen { out } => report(kasse::cli::keygen(&out)),
        Command::Ledger { db, command } => report(kasse::cli::ledger(
            &db,
            match &command {
                LedgerCommand::Serve {
                    listen,
                    tls_cert,
                    tls_key,
                } => kasse::cli::LedgerAction::Serve {
                    listen,
                    tls: tls_cert
                        .clone()
                        .zip(tls_key.clone())
                        .map(|(cert, key)| kasse::ledger::TlsFiles { cert, key }),
                },
                LedgerCommand::Import { data } => kasse::cli::LedgerAction::Import { data },
                LedgerCommand::Enroll { till } => kasse::cli::LedgerAction::Enroll { till },
                LedgerCommand::Exceptions => kasse::cli::LedgerAction::Exceptions,
                LedgerCommand::Export {
                    file,
                    till,
                    org_no,
                    company,
                } => {
                    if file.format != "saft" {
                        return report(Err(anyhow::anyhow!(
                            "`{}`: only `saft` can be exported",
                            file.format
                        )));
                    }
                    if org_no.len() != 9 || !org_no.bytes().all(|b| b.is_ascii_digit()) {
                        return report(Err(anyhow::anyhow!(
                            "--org-no {org_no}: an organisation number has 9 digits"
                        )));
                    }
                    kasse::cli::LedgerAction::ExportSaft(kasse::cli::LedgerSaft {
                        from: file.from,
                        to: file.to,
                        till: till.as_deref(),
                        out: &file.out,
                        company: kasse::domain::Company {
                            name: company.clone(),
                            org_no: org_no.clone(),
                        },
                    })
                }
            },
        )),
        Command::Payments { config, command } => report(match command {
            PaymentsCommand::List { open } => kasse::cli::payments_list(&config, open),
            PaymentsCommand::Reconcile => kasse::cli::payments_reconcile(&config),
        }),
        Command::Sync { config, command } => report(match command {
            SyncCommand::Once => kasse::cli::sync_once(&config),
            SyncCommand::Status => kasse::cli::sync_status(&config),
            SyncCommand::Run { every } => kasse::cli::sync_run(&config, every),
        }),
        Command::Bench { command } => report(match command {
            BenchCommand::Qr {
                dirs,
                misses,
                rotate,
                budget_ms,
                order,
                trace,
            } => kasse::bench::qr(
                &dirs,
                &kasse::bench::QrOptions {
                    misses,
                    rotations: rotate,
                    budget: std::time::Duration::from_millis(budget_ms),
                    order: if order == "rxing-first" {
                        kasse::scanner::pipeline::Order::RxingFirst
                    } else {
                        kasse::scanner::pipeline::Order::HalfFirst
                    },
                    trace,
                },
            )
            .map(|r| print!("{r}")),
            BenchCommand::LedgerLoad {
                db,
                tills,
                uploads,
                idle,
                oversized,
            } => kasse::bench::ledger_load(
                db.as_deref(),
                kasse::ledger::load::LoadOptions {
                    tills,
                    uploads,
                    idle,
                    oversized,
                    ..Default::default()
                },
            )
            .map(|r| print!("{r}")),
            BenchCommand::Sync { db, sales, members } => {
                let tmp = tempfile::tempdir();
                match (db, tmp) {
                    (Some(db), _) => kasse::bench::sync(&db, sales, members).map(|r| print!("{r}")),
                    (None, Ok(dir)) => {
                        let db = dir.path().join("ledger.sqlite").display().to_string();
                        kasse::bench::sync(&db, sales, members).map(|r| print!("{r}"))
                    }
                    (None, Err(e)) => Err(e.into()),
                }
            }
            BenchCommand::Payments {
                config,
                sales,
                intents,
            } => kasse::cli::bench_payments(&config, sales, intents),
            BenchCommand::SaftVerify { transactions } => {
                kasse::bench::saft::saft_verify(transactions).map(|r| print!("{r}"))
            }
            BenchCommand::Checkout { sales, dir } => {
                kasse::bench::checkout(sales, dir.as_deref()).map(|r| print!("{r}"))
            }
        }),
    }
}

fn report(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kasse: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn qr(command: QrCommand) -> Result<()> {
    match command {
        QrCommand::Sign {
            key,
            kind,
            member,
            coupon,
            sku,
            card,
            exp,
            png,
        } => {
            let seed = std::fs::read_to_string(&key)
                .with_context(|| format!("reading key file {}", key.display()))?;
            let signing = appcode::parse_seed_hex(&seed)
                .with_context(|| format!("key file {}", key.display()))?;
            let need = |v: Option<String>, flag: &str| {
                v.with_context(|| format!("--kind {kind} needs --{flag}"))
            };
            let code = match kind.as_str() {
                "member" => AppCode::Member { member, exp },
                "coupon" => AppCode::Coupon {
                    member,
                    coupon: need(coupon, "coupon")?,
                    sku: need(sku, "sku")?,
                    exp,
                },
                "card" => AppCode::Card {
                    member,
                    card: need(card, "card")?,
                    exp,
                },
                other => bail!("--kind `{other}`: use member, coupon or card"),
            };
            let fields: Vec<&str> = match &code {
                AppCode::Member { member, .. } => vec![member],
                AppCode::Coupon {
                    member,
                    coupon,
                    sku,
                    ..
                } => vec![member, coupon, sku],
                AppCode::Card { member, card, .. } => vec![member, card],
            };
            for field in fields {
                if !kasse::data::valid_id(field) {
                    bail!("`{field}` is not 1–32 characters of A–Z, a–z, 0–9 and -");
                }
            }
            let text = code.sign(&signing);
            println!("{text}");
            if let Some(path) = png {
                let img = kasse::qrgen::render(&text, 8)?;
                img.save(&path)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
        QrCommand::Photos {
            out,
            count,
            seed,
            key,
        } => kasse::cli::qr_photos(&out, count, seed, &key),
        QrCommand::CameraDemo { out, key } => kasse::cli::qr_camera_demo(&out, &key),
        QrCommand::Render { manifest, out } => {
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let files = kasse::qrgen::render_fixture_set(&text, &out)
                .with_context(|| format!("{}", manifest.display()))?;
            for f in files {
                println!("{}", f.display());
            }
            Ok(())
        }
    }
}
