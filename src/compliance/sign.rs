//! The signature chain of SAF-T Cash Register.
//!
//! Every `cashtransaction` is signed over
//! `prevSignature;transDate;transTime;nr;transAmntIn;transAmntEx`, where
//! `prevSignature` is the previous transaction's signature on the same till
//! (`0` for the first), with RSA-SHA1 PKCS#1 v1.5 and a 1024-bit key; the
//! signature is written base64 (standard alphabet, padded). Chaining each
//! signature into the next makes a deleted, inserted or edited transaction
//! show up as the first link that no longer verifies.
//!
//! Pure apart from [`Signer::from_pem_file`], which reads the key file.
//! RSA is OpenSSL's (the `openssl` crate): constant-time and about twenty
//! times faster than a pure-Rust RSA, which matters because every sale is
//! signed inside its commit.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use sha1::Sha1;
use std::path::{Path, PathBuf};

use crate::store::{DEMO_KEY_VERSION, DEMO_SIGNING_KEY, ReceiptSigner, SignFailure, SigningKey};

/// The key size the regulation prescribes for RSA-SHA1 signatures.
pub const KEY_BITS: u32 = 1024;

// What is signed (the text of one transaction) is domain vocabulary: the
// store builds it at commit, the export and the verifier rebuild it.
pub use crate::domain::signature::{
    FIRST_PREV_SIGNATURE, amount_text, date_text, signed_text, time_text,
};

/// Why a key could not be loaded, made or used.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot read the signing key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{origin} is encrypted; the till needs the RSA private key unencrypted \
         (PEM \"BEGIN PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\"): decrypt it with \
         `openssl pkey -in FILE -out FILE.plain` and keep that file readable only by the till"
    )]
    Encrypted { origin: String },
    #[error(
        "{origin} is not an RSA private key in PEM form: expected \
         \"-----BEGIN PRIVATE KEY-----\" (PKCS#8) or \"-----BEGIN RSA PRIVATE KEY-----\" \
         (PKCS#1) ({detail})"
    )]
    NotPrivateKey { origin: String, detail: String },
    #[error(
        "{origin} holds a {bits}-bit RSA key, but SAF-T Cash Register signatures need a \
         {KEY_BITS}-bit key; generate a new one (`kasse keygen`) and give it a new keyVersion"
    )]
    WrongSize { origin: String, bits: u32 },
    #[error(
        "the public key is not an RSA public key in PEM form: expected \
         \"-----BEGIN PUBLIC KEY-----\" or \"-----BEGIN RSA PUBLIC KEY-----\" ({detail})"
    )]
    NotPublicKey { detail: String },
    #[error("cannot generate a {bits}-bit RSA key: {detail}")]
    Generate { bits: usize, detail: String },
    #[error("cannot write the key as PEM: {detail}")]
    Encode { detail: String },
    #[error("signing failed: {detail}")]
    Sign { detail: String },
}

/// Signs transactions with the till's private key.
pub struct Signer {
    key: PKey<Private>,
    /// Encoded once at load, so handing it out cannot fail.
    public_pem: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads a PKCS#8 or PKCS#1 PEM private key file; it must hold a
    /// 1024-bit RSA key.
    pub fn from_pem_file(path: &Path) -> Result<Signer, SignError> {
        let pem = std::fs::read_to_string(path).map_err(|source| SignError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Signer::from_pem(&pem, &path.display().to_string())
    }

    /// Loads a PKCS#8 or PKCS#1 PEM private key; `origin` names where it came
    /// from in error messages (a file name, a config key).
    pub fn from_pem(pem: &str, origin: &str) -> Result<Signer, SignError> {
        if pem.contains("ENCRYPTED") {
            return Err(SignError::Encrypted {
                origin: origin.to_string(),
            });
        }
        let key = PKey::private_key_from_pem(pem.as_bytes())
            .ok()
            .filter(|k| k.rsa().is_ok())
            .ok_or_else(|| SignError::NotPrivateKey {
                origin: origin.to_string(),
                detail: "no RSA private key found".into(),
            })?;
        // A damaged key can still parse, then sign receipts nobody can
        // verify: its parts must agree (RSA_check_key).
        if !key.rsa().and_then(|r| r.check_key()).unwrap_or(false) {
            return Err(SignError::NotPrivateKey {
                origin: origin.to_string(),
                detail: "the key's parts do not agree: the key is damaged".into(),
            });
        }
        let bits = key.bits();
        if bits != KEY_BITS {
            return Err(SignError::WrongSize {
                origin: origin.to_string(),
                bits,
            });
        }
        let public_pem = key
            .public_key_to_pem()
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| SignError::Encode {
                detail: "the public key".into(),
            })?;
        Ok(Signer { key, public_pem })
    }

    /// Signs `text` (see [`signed_text`]): RSA-SHA1 PKCS#1 v1.5, base64.
    pub fn sign(&self, text: &str) -> Result<String, SignError> {
        let fail = |e: openssl::error::ErrorStack| SignError::Sign {
            detail: e.to_string(),
        };
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha1(), &self.key).map_err(fail)?;
        signer.update(text.as_bytes()).map_err(fail)?;
        Ok(BASE64.encode(signer.sign_to_vec().map_err(fail)?))
    }

    /// The public half as PEM (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo), to
    /// hand to an auditor next to the export.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The private key as PKCS#8 PEM, to save a freshly generated key.
    pub fn private_pem(&self) -> Result<String, SignError> {
        self.key
            .private_key_to_pem_pkcs8()
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| SignError::Encode {
                detail: "the private key".into(),
            })
    }
}

/// The store signs each receipt through its [`ReceiptSigner`] port.
impl ReceiptSigner for Signer {
    fn sign(&self, text: &str) -> Result<String, SignFailure> {
        Ok(Signer::sign(self, text)?)
    }
}

/// The demo key ([`DEMO_SIGNING_KEY`]) as the store takes it: replay, tests
/// and the demo.
pub fn demo_key() -> Result<SigningKey, SignError> {
    let signer = Signer::from_pem(DEMO_SIGNING_KEY, "the built-in demo key")?;
    Ok(SigningKey {
        public_pem: signer.public_pem().to_string(),
        signer: Box::new(signer),
        version: DEMO_KEY_VERSION.to_string(),
    })
}

/// Generates an RSA private key of `bits` bits and returns it as PKCS#8 PEM.
/// The till needs [`KEY_BITS`]; other sizes exist for tests.
pub fn generate_key(bits: usize) -> Result<String, SignError> {
    let fail = |detail: String| SignError::Generate { bits, detail };
    let size = u32::try_from(bits).map_err(|e| fail(e.to_string()))?;
    let rsa = Rsa::generate(size).map_err(|e| fail(e.to_string()))?;
    let key = PKey::from_rsa(rsa).map_err(|e| fail(e.to_string()))?;
    key.private_key_to_pem_pkcs8()
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .ok_or_else(|| SignError::Encode {
            detail: "the new key".into(),
        })
}

/// Checks signatures against a public key (parsed once, for a whole file).
#[derive(Clone, Debug)]
pub struct Verifier {
    key: PKey<Public>,
}

impl Verifier {
    /// Accepts `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(public_pem: &str) -> Result<Verifier, SignError> {
        let key = if public_pem.contains("-----BEGIN RSA PUBLIC KEY-----") {
            Rsa::public_key_from_pem_pkcs1(public_pem.as_bytes()).and_then(PKey::from_rsa)
        } else {
            PKey::public_key_from_pem(public_pem.as_bytes())
        }
        .map_err(|e| SignError::NotPublicKey {
            detail: e.to_string(),
        })?;
        if key.rsa().is_err() {
            return Err(SignError::NotPublicKey {
                detail: "not an RSA key".into(),
            });
        }
        Ok(Verifier { key })
    }

    /// True when `signature_b64` is a valid RSA-SHA1 PKCS#1 v1.5 signature of `text`.
    pub fn verify(&self, text: &str, signature_b64: &str) -> bool {
        let Ok(sig) = BASE64.decode(signature_b64.trim()) else {
            return false;
        };
        let Ok(mut verifier) = openssl::sign::Verifier::new(MessageDigest::sha1(), &self.key)
        else {
            return false;
        };
        verifier.update(text.as_bytes()).is_ok() && verifier.verify(&sig).unwrap_or(false)
    }
}

/// True when `signature_b64` is a valid signature of `text` under
/// `public_pem`; false also when the key cannot be read (use [`Verifier`]
/// to tell the two apart).
pub fn verify(public_pem: &str, text: &str, signature_b64: &str) -> bool {
    Verifier::from_pem(public_pem).is_ok_and(|v| v.verify(text, signature_b64))
}

/// The HMAC-SHA1 variant the standard also allows (128-bit key), base64.
pub fn hmac_sha1_signature(key: &[u8], text: &str) -> String {
    // HMAC takes keys of any length (longer ones are hashed), so this never fails;
    // an empty MAC would make every comparison fail rather than panic.
    match <Hmac<Sha1> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};
    use std::sync::OnceLock;

    /// One generated 1024-bit key per test binary: key generation is slow.
    pub(crate) fn test_signer() -> &'static Signer {
        static KEY: OnceLock<String> = OnceLock::new();
        static SIGNER: OnceLock<Signer> = OnceLock::new();
        SIGNER.get_or_init(|| {
            let pem = KEY.get_or_init(|| generate_key(1024).unwrap());
            Signer::from_pem(pem, "test key").unwrap()
        })
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap()
    }

    #[test]
    fn hmac_test_vector_from_skatteetaten() {
        let text = signed_text("0", d("2016-11-24"), t("10:39:00"), 2, "1.00", "0.96");
        assert_eq!(text, "0;2016-11-24;10:39:00;2;1.00;0.96");
        assert_eq!(
            hmac_sha1_signature(b"SkatteetatenSign", &text),
            "iHh68DWCU3G42eL/7vOGUMSkvMM="
        );
    }

    #[test]
    fn sign_then_verify_round_trip() {
        let signer = test_signer();
        let public = signer.public_pem();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let text = signed_text("0", d("2025-03-10"), t("09:05:07"), 1, "163.90", "134.59");
        let sig = signer.sign(&text).unwrap();
        // 1024-bit RSA: 128 bytes, 172 base64 characters.
        assert_eq!(sig.len(), 172);
        // PKCS#1 v1.5 is deterministic.
        assert_eq!(signer.sign(&text).unwrap(), sig);
        assert!(verify(public, &text, &sig));
        let other = signed_text("0", d("2025-03-10"), t("09:05:08"), 1, "163.90", "134.59");
        assert!(!verify(public, &other, &sig));
        assert!(!verify(public, &text, "not base64!"));
        assert!(!verify("not a key", &text, &sig));
    }

    #[test]
    fn pkcs1_and_pkcs8_keys_load_alike() {
        let pkcs8 = test_signer().private_pem().unwrap();
        let key = PKey::private_key_from_pem(pkcs8.as_bytes()).unwrap();
        let rsa = key.rsa().unwrap();
        let pkcs1 = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let a = Signer::from_pem(&pkcs8, "a.pem").unwrap();
        let b = Signer::from_pem(&pkcs1, "b.pem").unwrap();
        assert_eq!(a.sign("x").unwrap(), b.sign("x").unwrap());
        // A PKCS#1 public key verifies too.
        let pub1 = String::from_utf8(rsa.public_key_to_pem_pkcs1().unwrap()).unwrap();
        assert!(verify(&pub1, "x", &a.sign("x").unwrap()));
    }

    #[test]
    fn a_damaged_key_is_refused_not_used() {
        // Parses as RSA, but its private exponent does not fit its modulus:
        // every receipt it signed would fail verification.
        let pem = test_signer().private_pem().unwrap();
        let rsa = PKey::private_key_from_pem(pem.as_bytes())
            .unwrap()
            .rsa()
            .unwrap();
        let one = openssl::bn::BigNum::from_u32(1).unwrap();
        let mut d = openssl::bn::BigNum::new().unwrap();
        d.checked_add(rsa.d(), &one).unwrap();
        let c = |b: &openssl::bn::BigNumRef| b.to_owned().unwrap();
        let damaged = Rsa::from_private_components(
            c(rsa.n()),
            c(rsa.e()),
            d,
            c(rsa.p().unwrap()),
            c(rsa.q().unwrap()),
            c(rsa.dmp1().unwrap()),
            c(rsa.dmq1().unwrap()),
            c(rsa.iqmp().unwrap()),
        )
        .unwrap();
        let damaged = String::from_utf8(damaged.private_key_to_pem().unwrap()).unwrap();
        let err = Signer::from_pem(&damaged, "damaged.pem").err().unwrap();
        assert!(err.to_string().contains("damaged.pem"), "{err}");
    }

    #[test]
    fn key_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = Signer::from_pem_file(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");

        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        let err = Signer::from_pem_file(&junk).unwrap_err().to_string();
        assert!(
            err.contains("junk.pem") && err.contains("BEGIN PRIVATE KEY"),
            "{err}"
        );

        let big = dir.path().join("big.pem");
        std::fs::write(&big, generate_key(2048).unwrap()).unwrap();
        let err = Signer::from_pem_file(&big).unwrap_err();
        assert!(
            matches!(err, SignError::WrongSize { bits: 2048, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("big.pem") && msg.contains("1024-bit"), "{msg}");

        let enc = dir.path().join("enc.pem");
        std::fs::write(&enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").unwrap();
        let err = Signer::from_pem_file(&enc).unwrap_err();
        assert!(matches!(err, SignError::Encrypted { .. }), "{err}");
        assert!(err.to_string().contains("enc.pem"));

        let ok = dir.path().join("till.pem");
        std::fs::write(&ok, test_signer().private_pem().unwrap()).unwrap();
        assert!(Signer::from_pem_file(&ok).is_ok());
    }

    #[test]
    fn debug_does_not_print_the_key() {
        assert_eq!(format!("{:?}", test_signer()), "Signer { .. }");
    }

    /// A throwaway key made by `openssl genrsa -traditional 1024` and the
    /// signature `openssl dgst -sha1 -sign` made over the spec's test text:
    /// ours must be byte-identical (PKCS#1 v1.5 is deterministic), so
    /// auditors' tools that use OpenSSL agree with the till.
    const OPENSSL_TEST_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIICXQIBAAKBgQC4/a87yeJ50Q0aXZLOkD9x+zsbguhBbV+e4+AdFM2tBXoQrVAk\n\
zqyLS8b1dxxSUTmNkNAbkbsGHEVIXG57j8/nwK6+Kx5/rLDNIrG5ntM9ofb6zIL2\n\
HPrI6JQv3AH2eyDCuC+2c5ej8tRZQBlJSPEGUqpBY79V2zjjcXAiRtlfCwIDAQAB\n\
AoGBAIkeOIIHnWAPzTeKvmNv1iclQeWdfYvphyPd4mOL5PvngFfWLv5pVsmVLG8L\n\
j6mQXSmKekbFGSxpTg1ZvebGbSImTLN9jQqPZv9P1co7hltcs/UM0ESi+ZvSciVb\n\
aKS3DTv5o3MFIO6kWqUe1zK1YL1Uvivk2Me7b9YkxwuNyQjBAkEA6s0j8PYh8d0O\n\
weTO6HzfyPno7DPilVCW+nzdrxNwbjV/3Agrpl1n3+AExxfSUI8XGD9Wy49wwt+L\n\
7/dFQmw/awJBAMmxTIPBZo3/aYmcVR9Cd70dKlMqoG/+/CDk10LBNi961MlX+aMN\n\
Uzfii+pl9d5QmmEAdvHQv2BvIVEI4o6TZuECQCjlmEgFJv5wqXxeNSfLcFMaLFbP\n\
5rxpMBLrItW2xhN8IAwcJDYy+L/Gzi47WPeNJNGlXqHQFyzqMP6YDCk4n4cCQD52\n\
+7R+jE2EAeKNmUtSIZVfWAFj3UZyWRGy7fwNrMNtrkMhTP4znUdckWqp40jT+8v5\n\
Ad2IggzSviXDs67mdeECQQDNoyq/JMrQkRFzMg6hejLbBHVQF0snMy9D35t1Kj++\n\
MEhTziv8RvPQJdato+ZybkwtHJ6wXRFI/2s+dzY983P1\n\
-----END RSA PRIVATE KEY-----";
    const OPENSSL_TEST_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\n\
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4/a87yeJ50Q0aXZLOkD9x+zsb\n\
guhBbV+e4+AdFM2tBXoQrVAkzqyLS8b1dxxSUTmNkNAbkbsGHEVIXG57j8/nwK6+\n\
Kx5/rLDNIrG5ntM9ofb6zIL2HPrI6JQv3AH2eyDCuC+2c5ej8tRZQBlJSPEGUqpB\n\
Y79V2zjjcXAiRtlfCwIDAQAB\n\
-----END PUBLIC KEY-----";
    const OPENSSL_SIGNATURE: &str = "RWDioMR2TeoXHcg7UUmSET8BnBvVsjwZ08LGj+0MHHsx0991AFfJziMIOoRzLjoI14yYWr8kfqOSbbXZZohhnsNHY197an+rqjudJHBo7tCJqozJyxkxDT3iYiaK9l0jE6XFmJjcuTRBK+CEESLX1cMd/52RNysfN2oPCAhlMSs=";

    #[test]
    fn signatures_match_openssl() {
        let text = "0;2016-11-24;10:39:00;2;1.00;0.96";
        let signer = Signer::from_pem(OPENSSL_TEST_KEY, "openssl key").unwrap();
        assert_eq!(signer.sign(text).unwrap(), OPENSSL_SIGNATURE);
        assert!(verify(OPENSSL_TEST_PUBLIC, text, OPENSSL_SIGNATURE));
        assert_eq!(signer.public_pem().trim(), OPENSSL_TEST_PUBLIC);
    }
}
