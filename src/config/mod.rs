//! `config.toml`: the till's settings. A malformed file is refused with the
//! file, line and key, never half-read.

use crate::domain::Mode;
use crate::domain::Money;
use crate::domain::sale::OfflineLimits;
use crate::input::{InputError, Source};
use crate::payments::epayment::{DEFAULT_POLL_MS, EpaymentConfig};
use crate::payments::nexo::NexoConfig;
// The `[payment]` table is the payments room's own type; these names stay.
pub use crate::payments::{CardProvider, PaymentConfig, VippsProvider};
// Who the receipts are from is domain vocabulary; `config::Company` stays.
pub use crate::domain::Company;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub till_id: String,
    pub mode: Mode,
    pub store_path: PathBuf,
    pub seed: Option<PathBuf>,
    pub trusted_keys: Vec<String>,
    pub offline: OfflineLimits,
    pub company: Company,
    pub scale: ScaleConfig,
    pub barcode: BarcodeConfig,
    pub payment: PaymentConfig,
    pub printer: PrinterTarget,
    /// Where a receipt's QR link points (`[receipt] verify_url`, ends with
    /// `/`): `domain::receipt_link`.
    pub receipt_url: String,
    /// RSA key (1024-bit PEM) that signs every receipt, and its name.
    pub signing_key: PathBuf,
    pub key_version: String,
    pub ledger: Option<LedgerSettings>,
    pub scanner: ScannerConfig,
    pub kiosk: KioskConfig,
    /// Cashiers and attendants who may log in, with their hashed PINs.
    pub staff: Vec<StaffMember>,
    /// The file this config was read from.
    pub source: PathBuf,
}

/// `[ledger]`: where the central ledger is and this till's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerSettings {
    pub url: String,
    pub token_file: PathBuf,
    pub timeout_ms: u64,
    /// `ca_file`: a CA certificate (PEM) to trust for an HTTPS ledger whose
    /// certificate no public CA signed.
    pub ca_file: Option<PathBuf>,
}

/// `[scanner]`: the camera that reads app codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannerConfig {
    /// `auto` (first camera, else the fixture folder), `none`, a device
    /// index such as `0`, or a camera name.
    pub camera: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// The same text is reported again only after it was out of view this long.
    pub repeat_after_ms: u64,
    /// Images played as a camera when no camera is found (the demo).
    pub fixture_folder: PathBuf,
    /// The time a frame may take once rxing alone has failed on it; the
    /// decoder then gives the frame up (the next comes soon).
    pub decode_budget_ms: u64,
}

/// `[[staff]]`: who may log in. The PIN is kept only as an Argon2id hash
/// (`kasse staff hash-pin` makes one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub pin_hash: String,
}

/// Hashes a PIN for `[[staff]] pin_hash` (Argon2id, random salt, PHC string).
pub fn hash_pin(pin: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&bytes)?;
    Ok(argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)?
        .to_string())
}

/// Whether `pin` matches a stored hash; a malformed hash matches nothing.
pub fn verify_pin(hash: &str, pin: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

/// A PIN hash the till accepts: Argon2id with at least the argon2 crate's
/// default cost (memory, passes, lanes), so a leaked config does not make
/// four-digit PINs cheap to guess.
fn pin_hash_strong(hash: &str) -> Result<(), String> {
    let make = "make one with `kasse staff hash-pin`";
    let parsed = argon2::password_hash::PasswordHash::new(hash)
        .map_err(|_| format!("not a PIN hash: {make}"))?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(format!(
            "`{}` is not allowed: PIN hashes are Argon2id ({make})",
            parsed.algorithm
        ));
    }
    let params = argon2::Params::try_from(&parsed)
        .map_err(|e| format!("unreadable Argon2 parameters ({e}): {make}"))?;
    let least = argon2::Params::default();
    if params.m_cost() < least.m_cost()
        || params.t_cost() < least.t_cost()
        || params.p_cost() < least.p_cost()
    {
        return Err(format!(
            "too cheap (m={}, t={}, p={}; at least m={}, t={}, p={}): {make}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost(),
            least.m_cost(),
            least.t_cost(),
            least.p_cost()
        ));
    }
    Ok(())
}

/// `[kiosk]`: the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KioskConfig {
    /// `no` or `en`: the language a sale starts in.
    pub language: String,
    /// Seconds without input before "Still there?".
    pub idle_s: u64,
    /// Seconds the "Still there?" prompt waits (at least 20, WCAG 2.2.1).
    pub still_there_s: u64,
    pub large_text: bool,
    /// Window size in logical pixels.
    pub width: u32,
    pub height: u32,
    /// Taps this soon after a screen change are dropped (double taps).
    pub tap_guard_ms: u64,
    /// Staff called to a self-service till are logged out after this long
    /// without input (journaled).
    pub staff_idle_s: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleConfig {
    /// A serial port path, or `simulated`.
    pub port: String,
    pub protocol: String,
    pub poll_ms: u64,
    pub stable_ms: u64,
    pub stable_tolerance_g: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarcodeConfig {
    pub max_gap_ms: u64,
    /// A serial (USB CDC) scanner, read line by line; None for a keyboard wedge.
    pub port: Option<String>,
}

/// Where receipts are printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterTarget {
    /// Shown on screen only.
    Screen,
    /// Appended to a file (ESC/POS bytes), for the demo and tests.
    File(PathBuf),
    /// A USB printer device file such as /dev/usb/lp0.
    Device(PathBuf),
    /// A serial port at a baud rate.
    Serial { port: String, baud: u32 },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    till: RawTill,
    store: Option<RawStore>,
    data: Option<RawData>,
    qr: Option<RawQr>,
    offline: Option<RawOffline>,
    company: Option<RawCompany>,
    scale: Option<RawScale>,
    barcode: Option<RawBarcode>,
    payment: Option<RawPayment>,
    printer: Option<RawPrinter>,
    receipt: Option<RawReceipt>,
    compliance: Option<RawCompliance>,
    ledger: Option<RawLedger>,
    scanner: Option<RawScanner>,
    kiosk: Option<RawKiosk>,
    #[serde(default)]
    staff: Vec<RawStaff>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    id: String,
    name: String,
    pin_hash: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScanner {
    camera: Option<Spanned<Value>>,
    width: Option<u32>,
    height: Option<u32>,
    fps: Option<Spanned<u32>>,
    repeat_after_ms: Option<u64>,
    decode_budget_ms: Option<Spanned<u64>>,
    fixture_folder: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKiosk {
    language: Option<Spanned<String>>,
    idle_s: Option<u64>,
    still_there_s: Option<Spanned<u64>>,
    large_text: Option<bool>,
    width: Option<u32>,
    height: Option<u32>,
    tap_guard_ms: Option<u64>,
    staff_idle_s: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLedger {
    url: Spanned<String>,
    token_file: String,
    timeout_ms: Option<u64>,
    ca_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompliance {
    signing_key: String,
    key_version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTill {
    id: Spanned<String>,
    mode: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    seed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQr {
    trusted_keys: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffline {
    max_hours: Option<u32>,
    max_bonus_per_sale: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompany {
    name: String,
    org_no: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    port: Option<String>,
    protocol: Option<Spanned<String>>,
    poll_ms: Option<u64>,
    stable_ms: Option<u64>,
    stable_tolerance_g: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBarcode {
    max_gap_ms: Option<u64>,
    port: Option<String>,
}

/// `[payment]` as written (config.toml, or a replay scenario's table).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayment {
    delay_ms: Option<u64>,
    decline_permille: Option<Spanned<u32>>,
    timeout_ms: Option<u64>,
    card: Option<Spanned<String>>,
    vipps: Option<Spanned<String>>,
    emulators: Option<bool>,
    nexo: Option<RawNexo>,
    epayment: Option<RawEpayment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNexo {
    url: Spanned<String>,
    sale_id: Spanned<String>,
    poi_id: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEpayment {
    base_url: Spanned<String>,
    client_id: Spanned<String>,
    client_secret_file: Spanned<String>,
    subscription_key_file: Spanned<String>,
    merchant_serial_number: Spanned<String>,
    poll_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceipt {
    verify_url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinter {
    target: Spanned<String>,
    baud: Option<u32>,
}

/// An `https://` URL, or plain `http://` to this machine only — decided on
/// the parsed host (so `http://localhost@elsewhere` is not "local"), never on
/// a prefix of the text; no user name or password in it.
pub fn secure_or_local(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" => !host.is_empty(),
        "http" => {
            host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

/// `[payment]`, checked; the simulators' defaults when it is missing.
pub(crate) fn payment(
    src: &Source,
    dir: &Path,
    p: Option<RawPayment>,
) -> Result<PaymentConfig, InputError> {
    let decline = p.as_ref().and_then(|p| p.decline_permille.clone());
    if let Some(d) = &decline
        && *d.get_ref() > 1000
    {
        return Err(src.error(d.span(), "decline_permille", "per mille: 0 to 1000"));
    }
    let mut payment = PaymentConfig {
        delay_ms: p.as_ref().and_then(|p| p.delay_ms).unwrap_or(1500),
        decline_permille: decline.map_or(0, Spanned::into_inner),
        timeout_ms: p.as_ref().and_then(|p| p.timeout_ms).unwrap_or(60_000),
        ..PaymentConfig::default()
    };
    if let Some(p) = p {
        payment_providers(src, dir, p, &mut payment)?;
    }
    Ok(payment)
}

/// `[payment] card`, `vipps`, `emulators` and the providers' tables.
fn payment_providers(
    src: &Source,
    dir: &Path,
    p: RawPayment,
    into: &mut PaymentConfig,
) -> Result<(), InputError> {
    if let Some(c) = &p.card {
        into.card = match c.get_ref().as_str() {
            "simulator" => CardProvider::Simulator,
            "nexo" => CardProvider::Nexo,
            other => {
                return Err(src.error(
                    c.span(),
                    "card",
                    format!("`{other}` is not a card provider: simulator or nexo"),
                ));
            }
        };
    }
    if let Some(v) = &p.vipps {
        into.vipps = match v.get_ref().as_str() {
            "simulator" => VippsProvider::Simulator,
            "epayment" => VippsProvider::Epayment,
            other => {
                return Err(src.error(
                    v.span(),
                    "vipps",
                    format!("`{other}` is not a Vipps provider: simulator or epayment"),
                ));
            }
        };
    }
    into.emulators = p.emulators.unwrap_or(false);
    if let Some(n) = p.nexo {
        let url = n.url.get_ref().trim();
        let parsed = reqwest::Url::parse(url).ok();
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || parsed.as_ref().and_then(|u| u.host_str()).is_none()
        {
            return Err(src.error(
                n.url.span(),
                "url",
                "the terminal's endpoint, e.g. \"https://192.168.1.20:8443/nexo\"",
            ));
        }
        for (value, key) in [(&n.sale_id, "sale_id"), (&n.poi_id, "poi_id")] {
            let v = value.get_ref();
            if v.is_empty() || v.chars().any(char::is_whitespace) {
                return Err(src.error(value.span(), key, "a name without spaces"));
            }
        }
        into.nexo = Some(NexoConfig {
            url: url.to_string(),
            sale_id: n.sale_id.into_inner(),
            poi_id: n.poi_id.into_inner(),
            timeout_ms: into.timeout_ms,
        });
    }
    if let Some(e) = p.epayment {
        let url = e.base_url.get_ref().trim().trim_end_matches('/');
        if !secure_or_local(url) {
            return Err(src.error(
                e.base_url.span(),
                "base_url",
                "https://api.vipps.no or https://apitest.vipps.no (plain http only to this machine)",
            ));
        }
        if e.client_id.get_ref().trim().is_empty() {
            return Err(src.error(e.client_id.span(), "client_id", "the API key's client_id"));
        }
        let msn = e.merchant_serial_number.get_ref();
        if !(4..=6).contains(&msn.len()) || !msn.bytes().all(|b| b.is_ascii_digit()) {
            return Err(src.error(
                e.merchant_serial_number.span(),
                "merchant_serial_number",
                "the sales unit's MSN: 4 to 6 digits, as a string",
            ));
        }
        let secret = |file: &Spanned<String>, key: &str| {
            let path = dir.join(file.get_ref());
            match std::fs::read_to_string(&path) {
                Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
                Ok(_) => Err(src.error(file.span(), key, format!("{} is empty", path.display()))),
                Err(err) => Err(src.error(
                    file.span(),
                    key,
                    format!("cannot read {}: {err}", path.display()),
                )),
            }
        };
        let client_secret = secret(&e.client_secret_file, "client_secret_file")?;
        let subscription_key = secret(&e.subscription_key_file, "subscription_key_file")?;
        if let Some(poll) = &e.poll_ms
            && *poll.get_ref() == 0
        {
            return Err(src.error(
                poll.span(),
                "poll_ms",
                "milliseconds, at least 1 (2000 advised)",
            ));
        }
        into.epayment = Some(EpaymentConfig {
            base_url: url.to_string(),
            client_id: e.client_id.into_inner(),
            client_secret,
            subscription_key,
            merchant_serial_number: msn.clone(),
            poll_ms: e.poll_ms.map_or(DEFAULT_POLL_MS, Spanned::into_inner),
            timeout_ms: into.timeout_ms,
        });
    }
    let table_missing = |span: Option<std::ops::Range<usize>>, key: &str, table: &str| {
        let message =
            format!("needs a [payment.{table}] table (or `emulators = true` for the demo)");
        match span {
            Some(span) => src.error(span, key, message),
            None => src.file_error(message),
        }
    };
    if into.card == CardProvider::Nexo && into.nexo.is_none() && !into.emulators {
        return Err(table_missing(
            p.card.as_ref().map(Spanned::span),
            "card",
            "nexo",
        ));
    }
    if into.vipps == VippsProvider::Epayment && into.epayment.is_none() && !into.emulators {
        return Err(table_missing(
            p.vipps.as_ref().map(Spanned::span),
            "vipps",
            "epayment",
        ));
    }
    Ok(())
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, InputError> {
        let text = Source::read(path)?;
        Config::parse(path, &text)
    }

    /// Relative paths in the file are relative to the file's folder.
    pub fn parse(path: &Path, text: &str) -> Result<Config, InputError> {
        let src = Source { file: path, text };
        let raw: Raw = src.parse()?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let id = raw.till.id.get_ref();
        let id_ok = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(src.error(
                raw.till.id.span(),
                "id",
                "a till id is 1–32 characters of a–z, 0–9 and -",
            ));
        }
        let mode = src.mode(raw.till.mode.as_ref())?;
        let trusted_keys = match raw.qr {
            Some(qr) => {
                for k in &qr.trusted_keys {
                    crate::domain::appcode::parse_public_key(k.get_ref())
                        .map_err(|e| src.error(k.span(), "trusted_keys", e.to_string()))?;
                }
                qr.trusted_keys
                    .into_iter()
                    .map(Spanned::into_inner)
                    .collect()
            }
            None => Vec::new(),
        };
        let mut offline = OfflineLimits::default();
        if let Some(o) = raw.offline {
            if let Some(h) = o.max_hours {
                offline.max_hours = h;
            }
            if let Some(b) = &o.max_bonus_per_sale {
                offline.max_bonus_per_sale = src.money(b, "max_bonus_per_sale")?;
            }
        }
        let company = match raw.company {
            Some(c) => {
                let digits = c
                    .org_no
                    .get_ref()
                    .chars()
                    .filter(|ch| !ch.is_whitespace())
                    .collect::<String>();
                if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(src.error(
                        c.org_no.span(),
                        "org_no",
                        "an organisation number has 9 digits",
                    ));
                }
                Company {
                    name: c.name,
                    org_no: digits,
                }
            }
            None => Company {
                name: "Studentkafeen".into(),
                org_no: "999999999".into(),
            },
        };
        let scale = {
            let s = raw.scale;
            let protocol = s.as_ref().and_then(|s| s.protocol.clone());
            if let Some(p) = &protocol
                && !["toledo8217", "mt-sics"].contains(&p.get_ref().as_str())
            {
                return Err(src.error(
                    p.span(),
                    "protocol",
                    format!("`{}` is not toledo8217 or mt-sics", p.get_ref()),
                ));
            }
            ScaleConfig {
                port: s
                    .as_ref()
                    .and_then(|s| s.port.clone())
                    .unwrap_or_else(|| "simulated".into()),
                protocol: protocol.map_or_else(|| "toledo8217".into(), Spanned::into_inner),
                poll_ms: s.as_ref().and_then(|s| s.poll_ms).unwrap_or(200),
                stable_ms: s.as_ref().and_then(|s| s.stable_ms).unwrap_or(300),
                stable_tolerance_g: s.as_ref().and_then(|s| s.stable_tolerance_g).unwrap_or(2),
            }
        };
        let barcode = BarcodeConfig {
            max_gap_ms: raw
                .barcode
                .as_ref()
                .and_then(|b| b.max_gap_ms)
                .unwrap_or(30),
            port: raw.barcode.and_then(|b| b.port),
        };
        let payment = payment(&src, dir, raw.payment)?;
        let ledger = match raw.ledger {
            Some(l) => {
                let url = l.url.get_ref();
                if !secure_or_local(url) {
                    return Err(src.error(
                        l.url.span(),
                        "url",
                        "use https:// (plain http only to a ledger on this machine)",
                    ));
                }
                Some(LedgerSettings {
                    url: url.clone(),
                    token_file: dir.join(l.token_file),
                    timeout_ms: l.timeout_ms.unwrap_or(2000),
                    ca_file: l.ca_file.map(|f| dir.join(f)),
                })
            }
            None => None,
        };
        let receipt_url = match raw.receipt {
            None => crate::domain::receipt_link::DEMO_BASE.to_string(),
            Some(r) => {
                let url = r.verify_url.get_ref();
                if !secure_or_local(url) || !url.ends_with('/') || url.contains(['?', '#']) {
                    return Err(src.error(
                        r.verify_url.span(),
                        "verify_url",
                        "an https:// address ending with `/`, e.g. https://kvittering.example.com/r/",
                    ));
                }
                url.clone()
            }
        };
        let printer = match raw.printer {
            None => PrinterTarget::Screen,
            Some(p) => {
                let t = p.target.get_ref();
                if t == "screen" {
                    PrinterTarget::Screen
                } else if let Some(f) = t.strip_prefix("file:") {
                    PrinterTarget::File(dir.join(f))
                } else if let Some(port) = t.strip_prefix("serial:") {
                    PrinterTarget::Serial {
                        port: port.to_string(),
                        baud: p.baud.unwrap_or(19_200),
                    }
                } else if t.starts_with("/dev/") {
                    PrinterTarget::Device(PathBuf::from(t))
                } else {
                    return Err(src.error(
                        p.target.span(),
                        "target",
                        format!("`{t}`: use screen, file:PATH, serial:PORT or a /dev/ device file"),
                    ));
                }
            }
        };
        let scanner = {
            let s = raw.scanner;
            let camera = match s.as_ref().and_then(|s| s.camera.as_ref()) {
                None => "auto".to_string(),
                Some(c) => match c.get_ref() {
                    Value::String(t) if !t.trim().is_empty() => t.trim().to_string(),
                    Value::Integer(i) if *i >= 0 => i.to_string(),
                    _ => {
                        return Err(src.error(
                            c.span(),
                            "camera",
                            "use \"auto\", \"none\", a device index (0) or a camera name",
                        ));
                    }
                },
            };
            let budget = s.as_ref().and_then(|s| s.decode_budget_ms.clone());
            if let Some(b) = &budget
                && !(1..=1000).contains(b.get_ref())
            {
                return Err(src.error(
                    b.span(),
                    "decode_budget_ms",
                    "milliseconds per frame: 1 to 1000",
                ));
            }
            let fps = s.as_ref().and_then(|s| s.fps.clone());
            if let Some(f) = &fps
                && !(1..=120).contains(f.get_ref())
            {
                return Err(src.error(f.span(), "fps", "frames per second: 1 to 120"));
            }
            ScannerConfig {
                camera,
                width: s.as_ref().and_then(|s| s.width).unwrap_or(1280),
                height: s.as_ref().and_then(|s| s.height).unwrap_or(720),
                fps: fps.map_or(15, Spanned::into_inner),
                repeat_after_ms: s.as_ref().and_then(|s| s.repeat_after_ms).unwrap_or(1500),
                decode_budget_ms: budget.map_or(
                    crate::scanner::pipeline::DEFAULT_BUDGET.as_millis() as u64,
                    Spanned::into_inner,
                ),
                fixture_folder: dir.join(
                    s.and_then(|s| s.fixture_folder)
                        .unwrap_or_else(|| "fixtures/qr/camera".into()),
                ),
            }
        };
        let kiosk = {
            let k = raw.kiosk;
            let language = k.as_ref().and_then(|k| k.language.clone());
            if let Some(l) = &language
                && !["no", "en"].contains(&l.get_ref().as_str())
            {
                return Err(src.error(l.span(), "language", "`no` or `en`"));
            }
            let still = k.as_ref().and_then(|k| k.still_there_s.clone());
            if let Some(st) = &still
                && *st.get_ref() < 20
            {
                return Err(src.error(
                    st.span(),
                    "still_there_s",
                    "give at least 20 seconds to answer (WCAG 2.2.1)",
                ));
            }
            KioskConfig {
                language: language.map_or_else(|| "no".into(), Spanned::into_inner),
                idle_s: k.as_ref().and_then(|k| k.idle_s).unwrap_or(60),
                still_there_s: still.map_or(30, Spanned::into_inner),
                large_text: k.as_ref().and_then(|k| k.large_text).unwrap_or(false),
                width: k.as_ref().and_then(|k| k.width).unwrap_or(1280),
                height: k.as_ref().and_then(|k| k.height).unwrap_or(800),
                tap_guard_ms: k.as_ref().and_then(|k| k.tap_guard_ms).unwrap_or(400),
                staff_idle_s: k.as_ref().and_then(|k| k.staff_idle_s).unwrap_or(120),
            }
        };
        let mut staff = Vec::with_capacity(raw.staff.len());
        for s in raw.staff {
            if let Err(why) = pin_hash_strong(s.pin_hash.get_ref()) {
                return Err(src.error(s.pin_hash.span(), "pin_hash", why));
            }
            staff.push(StaffMember {
                id: s.id,
                name: s.name,
                pin_hash: s.pin_hash.into_inner(),
            });
        }
        Ok(Config {
            till_id: id.clone(),
            mode,
            store_path: dir.join(raw.store.map_or_else(|| "kasse.sqlite".into(), |s| s.path)),
            seed: raw.data.and_then(|d| d.seed).map(|s| dir.join(s)),
            trusted_keys,
            offline,
            company,
            scale,
            barcode,
            payment,
            printer,
            receipt_url,
            signing_key: raw.compliance.as_ref().map_or_else(
                || dir.join("fixtures/keys/saft-demo.pem"),
                |c| dir.join(&c.signing_key),
            ),
            key_version: raw.compliance.map_or_else(
                || crate::store::DEMO_KEY_VERSION.to_string(),
                |c| c.key_version,
            ),
            ledger,
            scanner,
            kiosk,
            staff,
            source: path.to_path_buf(),
        })
    }

    /// The demo key must never be trusted by a production till: say so at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self
            .trusted_keys
            .iter()
            .any(|k| k == crate::domain::appcode::DEMO_PUBLIC_KEY)
        {
            w.push(
                "config trusts the DEMO QR key: fine for the demo, never in production".to_string(),
            );
        }
        if self.signing_key.ends_with("fixtures/keys/saft-demo.pem") {
            w.push("receipts are signed with the DEMO key: a production till needs its own ([compliance] signing_key)".into());
        }
        if self.offline.max_bonus_per_sale > Money::from_ore(100_000) {
            w.push(format!(
                "offline.max_bonus_per_sale is {}: unusually high",
                self.offline.max_bonus_per_sale
            ));
        }
        w
    }
}

#[cfg(test)]
mod tests;
