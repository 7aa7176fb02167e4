//! What the kiosk takes from the config, and what its status bar shows.

use super::*;

/// What the status bar shows.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub scale: devices::DeviceState,
    pub scale_ok: bool,
    pub camera: devices::DeviceState,
    pub camera_ok: bool,
    pub sync: SyncStatus,
    pub ledger: bool,
    /// Card or Vipps go to the simulator: no money moves.
    pub demo_payments: bool,
    /// Receipts of payments completed by recovery at start: staff see them
    /// in the status bar for the whole run (a notice would be gone at the
    /// first scan).
    pub recovered: Vec<u64>,
    /// Refunds asked of a provider whose return was never saved (the till
    /// stopped in between): (sales receipt, amount, tender), until the Z.
    pub unsaved_refunds: Vec<(u64, String, String)>,
    /// Why speech mode cannot be heard (espeak-ng missing), while it is on.
    pub speech: String,
}

/// Everything the kiosk needs from the config, kept apart from the till.
#[derive(Clone, Debug)]
pub struct Settings {
    pub till_id: String,
    pub company: crate::config::Company,
    pub lang: Lang,
    pub large_text: bool,
    pub idle_after: Duration,
    pub answer_within: Duration,
    pub payment: crate::config::PaymentConfig,
    pub printer: crate::config::PrinterTarget,
    /// Where the receipt QR's link points (`[receipt] verify_url`).
    pub receipt_url: String,
    pub staff: Vec<StaffMember>,
    pub max_gap_ms: u64,
    /// The config trusts the published demo QR key: the status bar says DEMO.
    pub demo_key: bool,
    /// Taps this soon after a screen change are dropped (double taps).
    pub tap_guard: Duration,
    /// Staff at a self-service till are logged out after this long idle.
    pub staff_idle: Duration,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            till_id: c.till_id.clone(),
            company: c.company.clone(),
            lang: Lang::parse(&c.kiosk.language).unwrap_or_default(),
            large_text: c.kiosk.large_text,
            idle_after: Duration::from_secs(c.kiosk.idle_s),
            answer_within: Duration::from_secs(c.kiosk.still_there_s),
            payment: c.payment.clone(),
            printer: c.printer.clone(),
            receipt_url: c.receipt_url.clone(),
            staff: c.staff.clone(),
            max_gap_ms: c.barcode.max_gap_ms,
            demo_key: c
                .trusted_keys
                .iter()
                .any(|k| k == crate::domain::appcode::DEMO_PUBLIC_KEY),
            tap_guard: Duration::from_millis(c.kiosk.tap_guard_ms),
            staff_idle: Duration::from_secs(c.kiosk.staff_idle_s),
        }
    }
}
