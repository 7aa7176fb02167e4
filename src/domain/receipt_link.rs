//! What the receipt QR carries: a link a phone opens, which also lets
//! anyone holding the till's books check the receipt. Pure.
//!
//! `{base}{till}/{series}/{number}?t={YYYYMMDDTHHMMSS}&a={amount}&s={seal}`,
//! e.g. `https://kvittering.example.com/r/kafe-1/sale/42?t=20261123T113000&a=25.00&s=Jx9…`:
//! the till, the receipt series (`sale`, `return`, `training` — a training
//! receipt says so in its own link) and number, when, the total, and the
//! seal: the first [`SEAL_LEN`] characters of the receipt's RSA signature
//! (the one the SAF-T export carries), URL-safe. Without the signing key a
//! seal cannot be made up; with the export or the till's database anyone
//! can check it ([`ReceiptLink::seals`]).

use super::money::Money;
use chrono::NaiveDateTime;

/// Characters of the signature in a link: 96 bits, short enough for a
/// small QR code, far too many to guess.
pub const SEAL_LEN: usize = 16;

/// The demo's base URL; a till sets its own with `[receipt] verify_url`.
pub const DEMO_BASE: &str = "https://kvittering.example.com/r/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLink {
    pub till: String,
    /// `sale`, `return` or `training`.
    pub series: String,
    pub number: u64,
    pub at: NaiveDateTime,
    pub total: Money,
    pub seal: String,
}

/// The seal of a signature: its first characters in the URL-safe alphabet.
pub fn seal_of(signature: &str) -> String {
    signature
        .chars()
        .filter(|c| *c != '=')
        .take(SEAL_LEN)
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect()
}

impl ReceiptLink {
    /// The link under `base` (which ends with `/`).
    pub fn url(&self, base: &str) -> String {
        format!(
            "{base}{}/{}/{}?t={}&a={}&s={}",
            self.till,
            self.series,
            self.number,
            self.at.format("%Y%m%dT%H%M%S"),
            self.total,
            self.seal
        )
    }

    /// Reads a link made under `base`; None for anything else.
    pub fn parse(url: &str, base: &str) -> Option<ReceiptLink> {
        let rest = url.strip_prefix(base)?;
        let (path, query) = rest.split_once('?')?;
        let mut parts = path.split('/');
        let (till, series, number) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || till.is_empty() {
            return None;
        }
        if !matches!(series, "sale" | "return" | "training") {
            return None;
        }
        let (mut at, mut total, mut seal) = (None, None, None);
        for pair in query.split('&') {
            match pair.split_once('=')? {
                ("t", v) => at = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok(),
                ("a", v) => total = v.parse::<Money>().ok(),
                ("s", v) => seal = Some(v.to_string()),
                _ => return None,
            }
        }
        let seal = seal.filter(|s| s.len() == SEAL_LEN)?;
        Some(ReceiptLink {
            till: till.to_string(),
            series: series.to_string(),
            number: number.parse().ok()?,
            at: at?,
            total: total?,
            seal,
        })
    }

    /// Whether this link is sealed by `signature`, the receipt's signature
    /// as the books hold it.
    pub fn seals(&self, signature: &str) -> bool {
        let seal = seal_of(signature);
        seal.len() == SEAL_LEN && seal == self.seal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNATURE: &str = "Jx9+q/Zk3LmN0pQrStUvWxYz0123456789abcdefABCDEF==";

    fn link() -> ReceiptLink {
        ReceiptLink {
            till: "kafe-1".into(),
            series: "sale".into(),
            number: 42,
            at: NaiveDateTime::parse_from_str("2026-11-23 11:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
            total: Money::from_ore(2500),
            seal: seal_of(SIGNATURE),
        }
    }

    #[test]
    fn a_link_reads_back_and_is_checked_against_the_signature() {
        let url = link().url(DEMO_BASE);
        assert_eq!(
            url,
            "https://kvittering.example.com/r/kafe-1/sale/42?t=20261123T113000&a=25.00&s=Jx9-q_Zk3LmN0pQr"
        );
        let back = ReceiptLink::parse(&url, DEMO_BASE).unwrap();
        assert_eq!(back, link());
        assert!(back.seals(SIGNATURE));
        assert!(!back.seals("Kx9+q/Zk3LmN0pQrStUvWxYz"), "another signature");
        assert!(!back.seals("Jx9"), "a short signature seals nothing");
    }

    #[test]
    fn anything_else_is_not_a_receipt_link() {
        let url = link().url(DEMO_BASE);
        for bad in [
            url.replace(
                "https://kvittering.example.com/r/",
                "https://evil.example/r/",
            ),
            url.replace("/sale/", "/gift/"),
            url.replace("/42?", "/x?"),
            url.replace("&s=Jx9-q_Zk3LmN0pQr", "&s=Jx9"),
            url.replace("a=25.00", "a=lots"),
            url.replace("t=20261123T113000", "t=yesterday"),
            format!("{url}&x=1"),
            "kasse:receipt:kafe-1:42:25.00".to_string(),
        ] {
            assert_eq!(ReceiptLink::parse(&bad, DEMO_BASE), None, "{bad}");
        }
    }
}
