//! Signed app codes (spec/qr-payloads.md): parse, verify, sign.
//!
//! ```text
//! member       SSN1.M.<member>.<exp>.<sig>
//! coupon       SSN1.C.<member>.<coupon>.<sku>.<exp>.<sig>
//! coffee card  SSN1.K.<member>.<card>.<exp>.<sig>
//! ```
//! Fields are not trusted before the signature checks out: `read` checks the
//! grammar, then the signature, then the expiry, and only then returns values.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Prefix of every app code; other text is a product barcode.
pub const PREFIX: &str = "SSN1.";

/// The demo key of the fixtures (spec/qr-payloads.md). Never trusted in production.
pub const DEMO_PUBLIC_KEY: &str = "ts52GlVUWWXP-szEDveSILg_nCW4SBbZqauxHo0uhLQ";

const SIG_LEN: usize = 86;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppCode {
    Member {
        member: String,
        exp: u64,
    },
    Coupon {
        member: String,
        coupon: String,
        sku: String,
        exp: u64,
    },
    Card {
        member: String,
        card: String,
        exp: u64,
    },
}

impl AppCode {
    pub fn member(&self) -> &str {
        match self {
            AppCode::Member { member, .. }
            | AppCode::Coupon { member, .. }
            | AppCode::Card { member, .. } => member,
        }
    }

    pub fn exp(&self) -> u64 {
        match self {
            AppCode::Member { exp, .. }
            | AppCode::Coupon { exp, .. }
            | AppCode::Card { exp, .. } => *exp,
        }
    }

    /// The signed part: everything before the signature's `.`.
    pub fn payload(&self) -> String {
        match self {
            AppCode::Member { member, exp } => format!("SSN1.M.{member}.{exp}"),
            AppCode::Coupon {
                member,
                coupon,
                sku,
                exp,
            } => format!("SSN1.C.{member}.{coupon}.{sku}.{exp}"),
            AppCode::Card { member, card, exp } => format!("SSN1.K.{member}.{card}.{exp}"),
        }
    }

    /// The full QR text signed with `key`.
    pub fn sign(&self, key: &SigningKey) -> String {
        let payload = self.payload();
        let sig = key.sign(payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }
}

/// Why an app code was refused before any cache lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("malformed app code")]
    Malformed,
    #[error("signature does not verify under any trusted key")]
    BadSignature,
    #[error("code has expired")]
    Expired,
}

/// Whether a scanned text claims to be an app code at all.
pub fn is_app_code(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// Parse and verify a scanned text that starts with `SSN1.`.
pub fn read(text: &str, keys: &[VerifyingKey], now_unix: i64) -> Result<AppCode, CodeError> {
    let (payload, sig_text) = text.rsplit_once('.').ok_or(CodeError::Malformed)?;
    let fields: Vec<&str> = payload.split('.').collect();
    let code = match fields.as_slice() {
        ["SSN1", "M", member, exp] => AppCode::Member {
            member: id(member)?,
            exp: expiry(exp)?,
        },
        ["SSN1", "C", member, coupon, sku, exp] => AppCode::Coupon {
            member: id(member)?,
            coupon: id(coupon)?,
            sku: id(sku)?,
            exp: expiry(exp)?,
        },
        ["SSN1", "K", member, card, exp] => AppCode::Card {
            member: id(member)?,
            card: id(card)?,
            exp: expiry(exp)?,
        },
        _ => return Err(CodeError::Malformed),
    };
    if sig_text.len() != SIG_LEN || !sig_text.bytes().all(is_base64url) {
        return Err(CodeError::Malformed);
    }
    // Right length and alphabet but not canonical base64: a wrong signature,
    // not a grammar error.
    let sig_bytes: [u8; 64] = URL_SAFE_NO_PAD
        .decode(sig_text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CodeError::BadSignature)?;
    let sig = Signature::from_bytes(&sig_bytes);
    if !keys
        .iter()
        .any(|k| k.verify_strict(payload.as_bytes(), &sig).is_ok())
    {
        return Err(CodeError::BadSignature);
    }
    if i128::from(now_unix) > i128::from(code.exp()) {
        return Err(CodeError::Expired);
    }
    Ok(code)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn id(field: &str) -> Result<String, CodeError> {
    let ok = (1..=32).contains(&field.len())
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(field.to_string())
    } else {
        Err(CodeError::Malformed)
    }
}

fn expiry(field: &str) -> Result<u64, CodeError> {
    let digits = !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = field.len() > 1 && field.starts_with('0');
    if !digits || leading_zero {
        return Err(CodeError::Malformed);
    }
    field.parse().map_err(|_| CodeError::Malformed)
}

/// Why a configured key or key file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("`{0}` is not base64url of a 32-byte Ed25519 public key")]
    BadPublicKey(String),
    #[error("a signing key is 64 hex digits (the 32-byte seed)")]
    BadSeed,
}

pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let bad = || KeyError::BadPublicKey(text.to_string());
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

/// A signing key from its seed as 64 hex digits (the fixtures' key file
/// format); other text, non-ASCII included, is `BadSeed`.
pub fn parse_seed_hex(text: &str) -> Result<SigningKey, KeyError> {
    let t = text.trim();
    // Hex digits only: `from_str_radix` alone would take "+3" as a byte.
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::BadSeed);
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|_| KeyError::BadSeed)?;
    }
    Ok(SigningKey::from_bytes(&seed))
}

pub fn public_key_text(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEMO_SEED: &str = "5cecbc1b67d5f330250a3f17372a6bd1b50fc9e69c7d37a06d8b5130fdb5216a";
    const SPEC_EXAMPLE: &str = "SSN1.M.M-100001.1763884800.H0yCsvPYSIYwOGOjRYiKDcfIjssi2OkX5740NqlrcrXbtWXxAn-3JAhbXV_qMEpLDDJZt1PCgmhbn7c-9LmzDw";
    const BEFORE: i64 = 1_763_884_800; // exactly at expiry: not yet past it

    fn keys() -> Vec<VerifyingKey> {
        vec![parse_public_key(DEMO_PUBLIC_KEY).unwrap()]
    }

    fn demo() -> SigningKey {
        parse_seed_hex(DEMO_SEED).unwrap()
    }

    #[test]
    fn a_seed_with_non_ascii_text_is_refused_not_a_panic() {
        // 64 bytes, but "é" straddles a hex pair's byte boundary.
        let text = format!("é{}", "0".repeat(62));
        assert_eq!(text.len(), 64);
        assert!(matches!(parse_seed_hex(&text), Err(KeyError::BadSeed)));
    }

    #[test]
    fn a_seed_is_hex_digits_only() {
        // `u8::from_str_radix("+3", 16)` is Ok(3): a sign is no hex digit.
        let signed = format!("+3{}", &DEMO_SEED[2..]);
        assert!(matches!(parse_seed_hex(&signed), Err(KeyError::BadSeed)));
        assert!(parse_seed_hex(&DEMO_SEED.to_ascii_uppercase()).is_ok());
    }

    #[test]
    fn demo_seed_gives_demo_public_key() {
        assert_eq!(public_key_text(&demo().verifying_key()), DEMO_PUBLIC_KEY);
    }

    #[test]
    fn spec_example_verifies_and_signing_reproduces_it() {
        let code = read(SPEC_EXAMPLE, &keys(), BEFORE).unwrap();
        assert_eq!(
            code,
            AppCode::Member {
                member: "M-100001".into(),
                exp: 1_763_884_800
            }
        );
        assert_eq!(code.sign(&demo()), SPEC_EXAMPLE);
        assert_eq!(
            read(SPEC_EXAMPLE, &keys(), BEFORE + 1),
            Err(CodeError::Expired)
        );
    }

    #[test]
    fn every_kind_round_trips() {
        let codes = [
            AppCode::Member {
                member: "M-1".into(),
                exp: 2_000_000_000,
            },
            AppCode::Coupon {
                member: "M-1".into(),
                coupon: "CP-1".into(),
                sku: "KAFFE".into(),
                exp: 2_000_000_000,
            },
            AppCode::Card {
                member: "M-1".into(),
                card: "KK-1".into(),
                exp: 2_000_000_000,
            },
        ];
        for code in codes {
            let text = code.sign(&demo());
            assert_eq!(read(&text, &keys(), BEFORE), Ok(code));
        }
    }

    #[test]
    fn refusals() {
        let good = AppCode::Coupon {
            member: "M-1".into(),
            coupon: "CP-1".into(),
            sku: "KAFFE".into(),
            exp: 2_000_000_000,
        }
        .sign(&demo());
        let other_key = SigningKey::from_bytes(&[7u8; 32]);
        let forged = AppCode::Member {
            member: "M-1".into(),
            exp: 2_000_000_000,
        }
        .sign(&other_key);
        let tampered = good.replace("CP-1", "CP-2");
        let sig = good.rsplit_once('.').unwrap().1;
        let table: Vec<(String, Result<(), CodeError>)> = vec![
            (good.clone(), Ok(())),
            (forged, Err(CodeError::BadSignature)),
            (tampered, Err(CodeError::BadSignature)),
            ("SSN1.".into(), Err(CodeError::Malformed)),
            (
                "SSN1.X.M-1.2000000000.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                "SSN1.M.M_1.2000000000.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                "SSN1.M.M-1.02000000000.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                "SSN1.M.M-1.+2000000000.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                "SSN1.M.M-1.99999999999999999999999.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                "SSN1.M..2000000000.".to_string() + sig,
                Err(CodeError::Malformed),
            ),
            (
                format!("SSN1.M.{}.2000000000.{sig}", "A".repeat(33)),
                Err(CodeError::Malformed),
            ),
            (
                good[..good.len() - 1].to_string(),
                Err(CodeError::Malformed),
            ),
            (good.clone() + "=", Err(CodeError::Malformed)),
            (good.replace('.', ".."), Err(CodeError::Malformed)),
        ];
        for (text, expected) in table {
            assert_eq!(read(&text, &keys(), BEFORE).map(|_| ()), expected, "{text}");
        }
        // The right key missing from the trusted list is a bad signature too.
        let only_other = vec![other_key.verifying_key()];
        assert_eq!(
            read(&good, &only_other, BEFORE),
            Err(CodeError::BadSignature)
        );
        assert_eq!(read(&good, &[], BEFORE), Err(CodeError::BadSignature));
    }

    #[test]
    fn key_parsing_refuses_garbage() {
        assert!(parse_public_key("nope").is_err());
        assert!(parse_public_key("AAAA").is_err());
        assert!(parse_seed_hex("12").is_err());
        assert!(parse_seed_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn thousand_random_strings_never_panic() {
        // Deterministic pseudo-random texts, many starting with the prefix.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet = b"SSN1.MCK-_0123456789abcdefXYZ.=+/ \xc3";
        for i in 0..1000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 160) as usize;
            let mut bytes: Vec<u8> = if i % 2 == 0 {
                PREFIX.as_bytes().to_vec()
            } else {
                vec![]
            };
            let mut s = state;
            for _ in 0..len {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                bytes.push(alphabet[(s >> 33) as usize % alphabet.len()]);
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = read(&text, &keys(), BEFORE);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics_and_never_verifies(text in ".{0,200}") {
            let r = read(&text, &keys(), BEFORE);
            prop_assert!(r.is_err());
        }

        #[test]
        fn arbitrary_fields_round_trip_or_are_malformed(member in "[A-Za-z0-9-]{1,32}", exp in 0u64..u64::MAX) {
            let code = AppCode::Member { member, exp };
            let text = code.sign(&demo());
            prop_assert_eq!(read(&text, &keys(), 0), Ok(code));
        }
    }
}
