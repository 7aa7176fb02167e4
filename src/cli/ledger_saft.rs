//! `kasse ledger export saft`: one SAF-T file for the organisation from the
//! ledger's copy of every till's uploads, with each till's public key
//! written next to it; and the keys `kasse verify saft` is given.

use crate::compliance::org::{self, OrgSettings, TillUploads, Uploaded};
use crate::domain::Company;
use crate::ledger::Ledger;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// What `kasse ledger export saft` was asked for.
pub struct LedgerSaft<'a> {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Only this till; None: every enrolled till.
    pub till: Option<&'a str>,
    pub out: &'a Path,
    pub company: Company,
}

/// Where till `till`'s public key of `version` is written next to `out`.
pub fn key_file(out: &Path, till: &str, version: &str) -> PathBuf {
    out.with_extension(format!("{till}.{version}.pub.pem"))
}

pub async fn export(ledger: &Ledger, a: &LedgerSaft<'_>) -> Result<()> {
    if a.from > a.to {
        bail!("--from {} is after --to {}", a.from, a.to);
    }
    let source = ledger
        .storage()
        .export_source(a.till.map(str::to_string))
        .await?;
    let catalog = source.catalog()?;
    let tills: Vec<TillUploads> = source
        .tills
        .into_iter()
        .map(|(till, events)| TillUploads {
            till,
            events: events
                .into_iter()
                .map(|e| Uploaded {
                    seq: e.seq,
                    id: e.id,
                    kind: e.kind,
                    at: e.at,
                    body: e.body,
                })
                .collect(),
        })
        .collect();
    let settings = OrgSettings {
        company: &a.company,
        from: a.from,
        to: a.to,
        created: chrono::Local::now().naive_local(),
    };
    let file = org::export(&tills, &catalog, &settings)?;
    std::fs::write(a.out, &file.xml).with_context(|| format!("writing {}", a.out.display()))?;
    let counts: Vec<String> = file
        .transactions
        .iter()
        .map(|(till, n)| format!("{till} {n}"))
        .collect();
    println!(
        "wrote {}: {} registers (transactions: {})",
        a.out.display(),
        file.transactions.len(),
        counts.join(", ")
    );
    let mut verify = format!("kasse verify saft {}", a.out.display());
    for k in &file.keys {
        match &k.public_pem {
            Some(pem) => {
                let path = key_file(a.out, &k.till, &k.key_version);
                std::fs::write(&path, pem)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("till {} key {}: {}", k.till, k.key_version, path.display());
                verify.push_str(&format!(" --public-key {}={}", k.till, path.display()));
            }
            None => eprintln!(
                "till {}: its public key {} never reached the ledger; take it from the till (kasse export saft writes it)",
                k.till, k.key_version
            ),
        }
    }
    for (till, signature) in &file.anchors {
        verify.push_str(&format!(" --anchor {till}={signature}"));
    }
    println!("check it: {verify}");
    Ok(())
}
