//! What the tests of the books share: the official SAF-T schema check, a
//! student's signed member code and a return of whole lines at a till.
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset};
use kasse::domain::{AppCode, Receipt};
use kasse::till::{Original, Till};
use std::path::Path;
use std::process::Command;

/// `xmllint --schema` of the official SAF-T Cash Register XSD over the file
/// `file`: (valid, what xmllint said).
pub fn xmllint_file(file: &Path) -> (bool, String) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/saft/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(file)
        .output()
        .expect("xmllint is installed (apt-get install libxml2-utils)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`xmllint_file`] over `xml`.
pub fn xmllint(xml: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("saft.xml");
    std::fs::write(&file, xml).expect("write");
    xmllint_file(&file)
}

/// Returns every unit left of `lines` (1-based) of this till's sales
/// receipt `number`, the money back the way it was paid.
pub fn return_lines(
    till: &mut Till,
    number: u64,
    lines: &[usize],
    now: DateTime<FixedOffset>,
) -> Receipt {
    let id = till.store().till().to_string();
    let of = till
        .returnable(&id, number, None, Original::Unreachable)
        .expect("the sale");
    let units: Vec<(usize, u32)> = lines.iter().map(|&n| (n, of.lines[n - 1].left())).collect();
    let plan = till.plan_return(&of, &units).expect("plan");
    till.commit_return(&uuid::Uuid::now_v7().simple().to_string(), &plan, None, now)
        .expect("return")
}

/// Ola's member code (a student), signed with the demo key.
pub fn member_code() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = std::fs::read_to_string(root.join("fixtures/keys/demo.seed")).expect("seed");
    let key = kasse::domain::appcode::parse_seed_hex(&seed).expect("key");
    AppCode::Member {
        member: "M-100001".into(),
        exp: 1_830_297_600,
    }
    .sign(&key)
}
