//! `kasse bench saft-verify`: a SAF-T Cash Register export of N signed
//! transactions made through the real store and export, then timed through
//! `kasse verify saft`'s verifier — the check an auditor runs on a year of
//! a busy till.

use crate::compliance::export::{self, ExportSettings};
use crate::compliance::sign::Signer;
use crate::compliance::verify;
use crate::data::Data;
use crate::domain::Company;
use crate::store::{CompletedSale, DEMO_SIGNING_KEY, SaleKind};
use crate::wiring::open_demo_store;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as Span, FixedOffset};
use std::time::{Duration, Instant};

/// Figures of one run.
pub struct SaftVerifyReport {
    pub transactions: usize,
    pub bytes: usize,
    pub export: Duration,
    pub verify: Duration,
}

impl std::fmt::Display for SaftVerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = self.verify.as_secs_f64() * 1e6 / self.transactions.max(1) as f64;
        writeln!(
            f,
            "kasse bench saft-verify: {} signed transactions, {:.1} MB of SAF-T",
            self.transactions,
            self.bytes as f64 / 1e6
        )?;
        writeln!(f, "  export  {:>9.3} s", self.export.as_secs_f64())?;
        writeln!(
            f,
            "  verify  {:>9.3} s  ({per:.1} µs per transaction, every signature checked)",
            self.verify.as_secs_f64()
        )
    }
}

/// Makes `transactions` sales on a fresh store (one day, one till), exports
/// them and times the verification of the file's signature chain.
pub fn saft_verify(transactions: usize) -> Result<SaftVerifyReport> {
    let transactions = transactions.max(1);
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let mut store =
        open_demo_store(&dir.path().join("saft.sqlite"), "bench").context("opening the store")?;
    // Making the file is not what is measured: no fsync per sale.
    store
        .connection()
        .pragma_update(None, "synchronous", "OFF")
        .context("synchronous=OFF")?;
    let catalog = super::bench_catalog();
    let start: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-11-23T00:00:01+01:00").context("bench clock")?;
    store.seed(
        &Data {
            catalog: catalog.clone(),
            members: vec![],
            coupons: vec![],
            cards: vec![],
        },
        start,
    )?;
    // All in one day, however many: spread over its seconds.
    let step = (86_000 / transactions as i64).max(0);
    for i in 0..transactions {
        let at = start + Span::seconds(step * i as i64);
        let (sale, payment, _) = super::build_sale(&catalog, i, at.date_naive());
        let done = CompletedSale {
            id: uuid::Uuid::now_v7().simple().to_string(),
            kind: SaleKind::Sale,
            original_sale: None,
            at,
            mode: "self",
            offline: false,
            operator: None,
            sale: &sale,
            payment: &payment,
            bonus_earned: crate::domain::Money::ZERO,
            bonus_balance: None,
        };
        store.commit_sale(&done)?;
    }
    let t0 = Instant::now();
    let day = start.date_naive();
    let xml = export::export(
        &store,
        &catalog,
        &ExportSettings {
            company: &Company {
                name: "Bench".into(),
                org_no: "999999999".into(),
            },
            till: "bench",
            from: day,
            to: day,
            created: start.naive_local(),
        },
    )?;
    let export = t0.elapsed();
    let public = Signer::from_pem(DEMO_SIGNING_KEY, "the built-in demo key")?
        .public_pem()
        .to_string();
    let t0 = Instant::now();
    let verified = verify::verify(&xml, &public)?;
    let verify = t0.elapsed();
    if verified != transactions {
        bail!("verified {verified} of {transactions} transactions");
    }
    Ok(SaftVerifyReport {
        transactions,
        bytes: xml.len(),
        export,
        verify,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifies_every_transaction_it_made() {
        let r = super::saft_verify(30).unwrap();
        assert_eq!(r.transactions, 30);
        assert!(r.bytes > 30 * 500, "{} bytes", r.bytes);
        assert!(r.to_string().contains("30 signed transactions"));
    }
}
