//! What the SAF-T tests share: the official schema check.

use std::path::Path;
use std::process::Command;

/// `xmllint --schema` of the official SAF-T Cash Register XSD over `xml`:
/// (valid, what xmllint said).
pub fn xmllint(xml: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("saft.xml");
    std::fs::write(&file, xml).expect("write");
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/saft/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint is installed (apt-get install libxml2-utils)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
