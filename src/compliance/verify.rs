//! Checks the signature chain of a SAF-T Cash Register file, as an auditor would.
//!
//! For every `cashregister`, in document order, each `cashtransaction`'s
//! signed text is rebuilt from its own `transDate`, `transTime`, `nr`,
//! `transAmntIn`, `transAmntEx` and the previous transaction's `signature`
//! (`0` before the first), and its `signature` is verified against the
//! register's public key. The first link that fails is reported with the
//! register, the transaction and the line of the file, so a person can go
//! and look.
//!
//! Each register is its own chain with its own key ([`KeyRing`]): a key
//! named for a register checks that register only; otherwise the register's
//! first transaction picks, among the keys given for any register, the one
//! it was signed with, and every later link must hold under that same key.
//!
//! Pure: the file's text and the key come in as strings.

use super::sign::{FIRST_PREV_SIGNATURE, SignError, Verifier, amount_text, signed_text};
use chrono::{NaiveDate, NaiveTime};
use quick_xml::events::Event as XmlEvent;
use quick_xml::reader::Reader;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// Why a file's chain does not hold, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot use the public key: {0}")]
    Key(#[from] SignError),
    #[error("the SAF-T file is not well-formed XML (line {line}): {detail}")]
    Xml { line: usize, detail: String },
    #[error("{0}")]
    BrokenLink(Box<BrokenLink>),
    #[error(
        "no public key for register {0:?}: give one for it (--public-key {0}=FILE) or one for every register"
    )]
    NoKey(String),
    #[error("a key was given for register {0:?}, but the file has no such register")]
    UnknownRegister(String),
}

/// The public keys to verify with: some named for one register, the rest
/// for any register.
#[derive(Default)]
pub struct KeyRing {
    named: BTreeMap<String, Verifier>,
    shared: Vec<Verifier>,
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds a key (PEM) for `register`, or for any register.
    pub fn add(&mut self, register: Option<&str>, public_pem: &str) -> Result<(), VerifyError> {
        let v = Verifier::from_pem(public_pem)?;
        match register {
            Some(r) => {
                self.named.insert(r.to_string(), v);
            }
            None => self.shared.push(v),
        }
        Ok(())
    }
}

/// The first link of a register's chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "signature chain broken at register {register:?}, transaction nr {nr} \
     (transID {trans_id}, line {line} of the file): {reason}"
)]
pub struct BrokenLink {
    pub register: String,
    pub nr: String,
    pub trans_id: String,
    /// Line in the file where the `cashtransaction` starts.
    pub line: usize,
    pub reason: LinkFault,
}

/// What is wrong with a link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkFault {
    /// A signed field is missing from the transaction.
    Missing { field: &'static str },
    /// A signed field cannot be read.
    Unreadable {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The signature does not verify over the rebuilt text.
    Mismatch {
        /// The text that was checked.
        signed_text: String,
        key_version: Option<String>,
        /// The previous transaction in the file, when its nr is not one less.
        gap_after: Option<String>,
        /// This is the register's first transaction in the file and was
        /// checked against `0` although its nr is not 1.
        first_not_one: bool,
    },
}

impl fmt::Display for LinkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkFault::Missing { field } => write!(f, "it has no <{field}>"),
            LinkFault::Unreadable {
                field,
                value,
                expected,
            } => write!(f, "<{field}> {value:?} cannot be read: expected {expected}"),
            LinkFault::Mismatch {
                signed_text,
                key_version,
                gap_after,
                first_not_one,
            } => {
                write!(
                    f,
                    "the signature does not match \"{signed_text}\": transDate, transTime, nr, \
                     transAmntIn, transAmntEx or the previous signature changed after signing, \
                     or the transaction was signed with another key"
                )?;
                if let Some(k) = key_version {
                    write!(f, " (keyVersion {k})")?;
                }
                if let Some(prev) = gap_after {
                    write!(
                        f,
                        "; it follows nr {prev} in the file, so a transaction in between may have been removed"
                    )?;
                }
                if *first_not_one {
                    write!(
                        f,
                        "; it is the register's first transaction in this file but not nr 1, so its \
                         predecessor is outside the export: pass that transaction's signature as the anchor"
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Verifies every register's chain from `0`; `Ok` gives how many
/// transactions were verified.
pub fn verify(xml: &str, public_pem: &str) -> Result<usize, VerifyError> {
    verify_with_anchors(xml, public_pem, &BTreeMap::new())
}

/// As [`verify`], for an export of a period that does not start at a
/// register's first transaction: `anchors` maps a `registerID` to the
/// signature of the transaction just before the export's first one.
pub fn verify_with_anchors(
    xml: &str,
    public_pem: &str,
    anchors: &BTreeMap<String, String>,
) -> Result<usize, VerifyError> {
    let mut keys = KeyRing::new();
    keys.add(None, public_pem)?;
    Ok(verify_registers(xml, &keys, anchors)?
        .iter()
        .map(|(_, n)| n)
        .sum())
}

/// Verifies every register's chain with its own key from `keys` (see the
/// module's notes); `Ok` gives each register's id and how many of its
/// transactions were verified, in document order.
pub fn verify_registers(
    xml: &str,
    keys: &KeyRing,
    anchors: &BTreeMap<String, String>,
) -> Result<Vec<(String, usize)>, VerifyError> {
    let registers = read_registers(xml)?;
    if let Some(unknown) = keys
        .named
        .keys()
        .find(|name| !registers.iter().any(|r| &r.id == *name))
    {
        return Err(VerifyError::UnknownRegister(unknown.clone()));
    }
    let mut verified = Vec::with_capacity(registers.len());
    for register in registers {
        let candidates: Vec<&Verifier> = match keys.named.get(&register.id) {
            Some(v) => vec![v],
            None => keys.shared.iter().collect(),
        };
        if candidates.is_empty() && !register.transactions.is_empty() {
            return Err(VerifyError::NoKey(register.id));
        }
        let anchor = anchors.get(&register.id).map(String::as_str);
        let n = check_chain(&candidates, &register, anchor)?;
        verified.push((register.id, n));
    }
    Ok(verified)
}

/// The signed fields of one `cashtransaction`, as text.
#[derive(Debug, Default)]
struct Transaction {
    line: usize,
    nr: Option<String>,
    trans_id: Option<String>,
    amount_in: Option<String>,
    amount_ex: Option<String>,
    date: Option<String>,
    time: Option<String>,
    signature: Option<String>,
    key_version: Option<String>,
}

impl Transaction {
    fn field(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "nr" => &mut self.nr,
            "transID" => &mut self.trans_id,
            "transAmntIn" => &mut self.amount_in,
            "transAmntEx" => &mut self.amount_ex,
            "transDate" => &mut self.date,
            "transTime" => &mut self.time,
            "signature" => &mut self.signature,
            "keyVersion" => &mut self.key_version,
            _ => return None,
        })
    }
}

#[derive(Debug, Default)]
struct Register {
    id: String,
    transactions: Vec<Transaction>,
}

/// Where a text capture goes.
enum Target {
    RegisterId,
    Field(String),
}

/// Line numbers of positions met in increasing order, counting each newline
/// once: the reader moves forward only, so the whole file costs one pass
/// (counting from the start for each transaction made `verify` quadratic).
struct Lines<'a> {
    xml: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(xml: &'a str) -> Lines<'a> {
        Lines {
            xml: xml.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The line of `pos`; a position behind the last one is counted afresh.
    fn at(&mut self, pos: u64) -> usize {
        let end = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.xml.len());
        if end < self.pos {
            (self.pos, self.line) = (0, 1);
        }
        self.line += self.xml[self.pos..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = end;
        self.line
    }
}

fn line_of(xml: &str, pos: u64) -> usize {
    let end = usize::try_from(pos).unwrap_or(usize::MAX).min(xml.len());
    xml.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Reads registers and the signed fields of their transactions, in order.
fn read_registers(xml: &str) -> Result<Vec<Register>, VerifyError> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut registers = Vec::new();
    let mut register: Option<Register> = None;
    let mut transaction: Option<Transaction> = None;
    let mut capture: Option<(Target, String)> = None;
    let mut lines = Lines::new(xml);

    let xml_error = |reader: &Reader<&[u8]>, detail: String| VerifyError::Xml {
        line: line_of(xml, reader.error_position()),
        detail,
    };

    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| xml_error(&reader, e.to_string()))?;
        match event {
            XmlEvent::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (_, "cashregister") => register = Some(Register::default()),
                    (Some("cashregister"), "registerID") => {
                        capture = Some((Target::RegisterId, String::new()));
                    }
                    (Some("cashregister"), "cashtransaction") => {
                        transaction = Some(Transaction {
                            line: lines.at(start),
                            ..Transaction::default()
                        });
                    }
                    (Some("cashtransaction"), field)
                        if transaction.as_mut().and_then(|t| t.field(field)).is_some() =>
                    {
                        capture = Some((Target::Field(field.to_string()), String::new()));
                    }
                    _ => {}
                }
                path.push(name);
            }
            XmlEvent::Text(t) => {
                if let Some((_, buf)) = capture.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
            }
            XmlEvent::CData(t) => {
                if let Some((_, buf)) = capture.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some((_, buf)) = capture.as_mut() {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string)
                        }
                        Err(e) => return Err(xml_error(&reader, e.to_string())),
                    };
                    match resolved {
                        Some(s) => buf.push_str(&s),
                        None => {
                            return Err(xml_error(&reader, format!("unknown entity &{};", &*r)));
                        }
                    }
                }
            }
            XmlEvent::End(e) => {
                let name = e.local_name().as_ref().to_string();
                path.pop();
                match name.as_str() {
                    "cashregister" => registers.extend(register.take()),
                    "cashtransaction" => {
                        if let (Some(r), Some(t)) = (register.as_mut(), transaction.take()) {
                            r.transactions.push(t);
                        }
                    }
                    _ => {
                        if let Some((target, text)) = capture.take() {
                            match target {
                                Target::RegisterId => {
                                    if let Some(r) = register.as_mut() {
                                        r.id = text;
                                    }
                                }
                                Target::Field(field) => {
                                    if let Some(slot) =
                                        transaction.as_mut().and_then(|t| t.field(&field))
                                    {
                                        *slot = Some(text);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            XmlEvent::Empty(e) => {
                // <signature/>: present but empty.
                let name = e.local_name().as_ref().to_string();
                if path.last().map(String::as_str) == Some("cashtransaction")
                    && let Some(slot) = transaction.as_mut().and_then(|t| t.field(&name))
                {
                    *slot = Some(String::new());
                }
            }
            XmlEvent::Eof => {
                if let Some(open) = path.last() {
                    return Err(VerifyError::Xml {
                        line: line_of(xml, reader.buffer_position()),
                        detail: format!("the file ends inside <{open}>; it may have been cut off"),
                    });
                }
                break;
            }
            _ => {}
        }
    }
    Ok(registers)
}

/// Verifies one register's chain; `Ok` gives the number of links checked.
/// The first link picks its key among `keys`; the rest must hold under it.
fn check_chain(
    keys: &[&Verifier],
    register: &Register,
    anchor: Option<&str>,
) -> Result<usize, VerifyError> {
    let mut keys: Vec<&Verifier> = keys.to_vec();
    let mut prev_signature = anchor.unwrap_or(FIRST_PREV_SIGNATURE).to_string();
    let mut prev_nr: Option<u64> = None;
    for (i, t) in register.transactions.iter().enumerate() {
        let broken = |reason: LinkFault| {
            VerifyError::BrokenLink(Box::new(BrokenLink {
                register: register.id.clone(),
                nr: t.nr.clone().unwrap_or_else(|| "?".to_string()),
                trans_id: t.trans_id.clone().unwrap_or_else(|| "?".to_string()),
                line: t.line,
                reason,
            }))
        };
        let get = |field: &'static str, value: &Option<String>| -> Result<String, VerifyError> {
            value
                .as_deref()
                .map(|v| v.trim().to_string())
                .ok_or_else(|| broken(LinkFault::Missing { field }))
        };
        let unreadable = |field: &'static str, value: &str, expected: &'static str| {
            broken(LinkFault::Unreadable {
                field,
                value: value.to_string(),
                expected,
            })
        };

        let nr_text = get("nr", &t.nr)?;
        let nr: u64 = nr_text
            .parse()
            .map_err(|_| unreadable("nr", &nr_text, "a whole number"))?;
        let date_text = get("transDate", &t.date)?;
        let date = NaiveDate::parse_from_str(&date_text, "%Y-%m-%d")
            .map_err(|_| unreadable("transDate", &date_text, "YYYY-MM-DD"))?;
        let time_text = get("transTime", &t.time)?;
        let time = NaiveTime::parse_from_str(&time_text, "%H:%M:%S")
            .map_err(|_| unreadable("transTime", &time_text, "HH:MM:SS"))?;
        let amount = |field: &'static str, value: &Option<String>| -> Result<String, VerifyError> {
            let text = get(field, value)?;
            let v: Decimal = text
                .parse()
                .map_err(|_| unreadable(field, &text, "an amount like 123.45"))?;
            Ok(amount_text(v))
        };
        let amount_in = amount("transAmntIn", &t.amount_in)?;
        let amount_ex = amount("transAmntEx", &t.amount_ex)?;
        let signature = get("signature", &t.signature)?;

        let text = signed_text(&prev_signature, date, time, nr, &amount_in, &amount_ex);
        match keys.iter().find(|k| k.verify(&text, &signature)) {
            Some(&key) => keys.retain(|k| std::ptr::eq(*k, key)),
            None => {
                return Err(broken(LinkFault::Mismatch {
                    signed_text: text,
                    key_version: t.key_version.clone(),
                    gap_after: prev_nr
                        .filter(|&p| p.checked_add(1) != Some(nr))
                        .map(|p| p.to_string()),
                    first_not_one: i == 0 && anchor.is_none() && nr != 1,
                }));
            }
        }
        prev_signature = signature;
        prev_nr = Some(nr);
    }
    Ok(register.transactions.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::saft::fixture::{QUIET_REGISTER, REGISTER, canteen_day, sign_all};
    use crate::compliance::saft::{self, CashTransaction};
    use crate::compliance::sign::tests::test_signer;

    /// The broken link an error reports; panics on any other error.
    fn link(err: &VerifyError) -> &BrokenLink {
        match err {
            VerifyError::BrokenLink(link) => link,
            other => panic!("expected a broken link, got: {other}"),
        }
    }

    fn day() -> (String, String) {
        let signer = test_signer();
        let xml = saft::write(&canteen_day(signer)).unwrap();
        (xml, signer.public_pem().to_string())
    }

    /// The byte range of the `n`th (0-based) `<cashtransaction>` of the file.
    fn transaction_span(xml: &str, n: usize) -> std::ops::Range<usize> {
        let start = xml.match_indices("<cashtransaction>").nth(n).unwrap().0;
        let end = start + xml[start..].find("</cashtransaction>").unwrap();
        start..end
    }

    /// Replaces the first `<field>…</field>` directly inside the `n`th
    /// transaction (not inside a ctLine) with `value`.
    fn tamper(xml: &str, n: usize, field: &str, value: impl Fn(&str) -> String) -> String {
        let span = transaction_span(xml, n);
        let tx = &xml[span.clone()];
        // Direct children come before the first ctLine or after the last.
        let open = format!("<{field}>");
        let close = format!("</{field}>");
        let at = if field == "nr" {
            tx.find(&open).unwrap()
        } else {
            tx.rfind(&open).unwrap()
        };
        let from = span.start + at + open.len();
        let to = from + xml[from..].find(&close).unwrap();
        let old = &xml[from..to];
        let new = value(old);
        assert_ne!(old, new, "tampering must change {field}");
        format!("{}{}{}", &xml[..from], new, &xml[to..])
    }

    #[test]
    fn counted_lines_match_counting_from_the_start() {
        let xml = "a\nbb\n\nccc\nd";
        let mut lines = Lines::new(xml);
        for pos in [0u64, 1, 2, 4, 5, 6, 9, 10, 11, 99, 3, 7] {
            assert_eq!(lines.at(pos), line_of(xml, pos), "at {pos}");
        }
    }

    #[test]
    fn an_untouched_export_verifies() {
        let (xml, public) = day();
        // Seven transactions on till 1, none on till 2.
        assert_eq!(verify(&xml, &public).unwrap(), 7);
    }

    #[test]
    fn changing_any_signed_field_breaks_the_chain_at_that_transaction() {
        let (xml, public) = day();
        type Change = fn(&str) -> String;
        let changes: &[(&str, Change)] = &[
            ("transDate", |_| "2025-03-09".to_string()),
            ("transTime", |old| {
                if old == "09:40:01" {
                    "09:40:02".into()
                } else {
                    "09:40:01".into()
                }
            }),
            ("nr", |old| (old.parse::<u64>().unwrap() + 100).to_string()),
            ("transAmntIn", |old| {
                let v: Decimal = old.parse().unwrap();
                amount_text(v - Decimal::ONE)
            }),
            ("transAmntEx", |old| {
                let v: Decimal = old.parse().unwrap();
                amount_text(v + Decimal::new(1, 2))
            }),
            ("signature", |old| {
                // Flip one base64 character.
                let mut s: Vec<char> = old.chars().collect();
                s[10] = if s[10] == 'A' { 'B' } else { 'A' };
                s.into_iter().collect()
            }),
        ];
        for n in 0..7 {
            for (field, change) in changes {
                let bad = tamper(&xml, n, field, change);
                let err = verify(&bad, &public).expect_err(field);
                match link(&err) {
                    BrokenLink {
                        register,
                        nr,
                        trans_id,
                        reason: LinkFault::Mismatch { .. },
                        ..
                    } => {
                        assert_eq!(register, REGISTER, "{field} of transaction {n}");
                        let expected_nr = if *field == "nr" {
                            (n + 101).to_string()
                        } else {
                            (n + 1).to_string()
                        };
                        assert_eq!(nr, &expected_nr, "{field} of transaction {n}: {err}");
                        let expected_id = ["S-1", "S-2", "S-3", "R-1", "T-1", "T-2", "S-4"][n];
                        assert_eq!(trans_id, expected_id, "{field} of transaction {n}");
                    }
                    other => panic!("{field} of transaction {n}: unexpected {other}"),
                }
            }
        }
    }

    #[test]
    fn line_and_payment_fields_are_not_signed() {
        // Only the header fields are in the chain: a ctLine's nr is not.
        let (xml, public) = day();
        let span = transaction_span(&xml, 1);
        let line_nr = span.start + xml[span.clone()].find("<ctLine>").unwrap();
        let bad =
            xml[..line_nr].to_string() + &xml[line_nr..].replacen("<nr>2</nr>", "<nr>99</nr>", 1);
        assert_eq!(verify(&bad, &public).unwrap(), 7);
    }

    #[test]
    fn a_removed_transaction_is_reported_at_the_next_one() {
        let (xml, public) = day();
        let span = transaction_span(&xml, 2);
        let end = span.end + "</cashtransaction>".len();
        let bad = format!("{}{}", &xml[..span.start], &xml[end..]);
        let err = verify(&bad, &public).unwrap_err();
        let BrokenLink { nr, reason, .. } = link(&err);
        assert_eq!(nr, "4");
        assert!(
            matches!(reason, LinkFault::Mismatch { gap_after: Some(p), .. } if p == "2"),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("follows nr 2") && msg.contains("removed"),
            "{msg}"
        );
    }

    #[test]
    fn a_partial_export_verifies_from_an_anchor() {
        let signer = test_signer();
        let mut model = canteen_day(signer);
        let till = &mut model.company.locations[0].registers[0];
        let earlier: Vec<CashTransaction> = till.transactions.drain(..3).collect();
        // Events naming the dropped receipts stay: they are journal, not chain.
        let xml = saft::write(&model).unwrap();
        let public = signer.public_pem().to_string();

        let err = verify(&xml, &public).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { nr, reason: LinkFault::Mismatch { first_not_one: true, .. }, .. } if nr == "4"),
            "{err}"
        );
        assert!(err.to_string().contains("anchor"), "{err}");

        let anchors = BTreeMap::from([(REGISTER.to_string(), earlier[2].signature.clone())]);
        assert_eq!(verify_with_anchors(&xml, &public, &anchors).unwrap(), 4);
    }

    /// The canteen day on till 1 (the test key) and the same day's
    /// transactions on till 2, signed on its own chain by `second`.
    fn two_tills(second: &crate::compliance::sign::Signer) -> String {
        let mut model = canteen_day(test_signer());
        let mut copy = model.company.locations[0].registers[0].transactions.clone();
        for t in &mut copy {
            t.trans_id = format!("K2-{}", t.trans_id);
        }
        let quiet = &mut model.company.locations[0].registers[1];
        quiet.transactions = copy;
        sign_all(quiet, second);
        saft::write(&model).unwrap()
    }

    #[test]
    fn registers_are_chained_separately() {
        let signer = test_signer();
        let xml = two_tills(signer);
        let public = signer.public_pem().to_string();
        assert_eq!(verify(&xml, &public).unwrap(), 14);

        // The second till's first transaction (8th in the file) broken: reported there.
        let bad = tamper(&xml, 7, "transTime", |_| "09:05:08".to_string());
        let err = verify(&bad, &public).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { register, nr, trans_id, .. }
                if register == QUIET_REGISTER && nr == "1" && trans_id == "K2-S-1"),
            "{err}"
        );
    }

    #[test]
    fn each_register_is_checked_with_its_own_key() {
        let signer = test_signer();
        let other = crate::compliance::sign::Signer::from_pem(
            &crate::compliance::sign::generate_key(1024).unwrap(),
            "till 2",
        )
        .unwrap();
        let xml = two_tills(&other);
        let ring = |keys: &[(Option<&str>, &str)]| {
            let mut ring = KeyRing::new();
            for (register, pem) in keys {
                ring.add(*register, pem).unwrap();
            }
            ring
        };
        let none = BTreeMap::new();
        let (one, two) = (signer.public_pem(), other.public_pem());
        let counts = |r: Vec<(String, usize)>| r.into_iter().map(|(_, n)| n).collect::<Vec<_>>();

        // Named, or picked by each register's first link among shared keys.
        let named = ring(&[(Some(REGISTER), one), (Some(QUIET_REGISTER), two)]);
        assert_eq!(
            counts(verify_registers(&xml, &named, &none).unwrap()),
            [7, 7]
        );
        let shared = ring(&[(None, two), (None, one)]);
        assert_eq!(
            counts(verify_registers(&xml, &shared, &none).unwrap()),
            [7, 7]
        );
        // One key alone cannot verify the other till's chain.
        let err = verify(&xml, one).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { register, nr, .. } if register == QUIET_REGISTER && nr == "1"),
            "{err}"
        );
        // Swapped names fail at the first register; a missing key is named.
        let swapped = ring(&[(Some(REGISTER), two), (Some(QUIET_REGISTER), one)]);
        let err = verify_registers(&xml, &swapped, &none).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { register, .. } if register == REGISTER),
            "{err}"
        );
        let half = ring(&[(Some(REGISTER), one)]);
        let err = verify_registers(&xml, &half, &none).unwrap_err();
        assert!(
            matches!(&err, VerifyError::NoKey(r) if r == QUIET_REGISTER),
            "{err}"
        );
        let typo = ring(&[(Some("kasse 9"), one), (None, two)]);
        let err = verify_registers(&xml, &typo, &none).unwrap_err();
        assert!(
            matches!(&err, VerifyError::UnknownRegister(r) if r == "kasse 9"),
            "{err}"
        );
    }

    #[test]
    fn another_key_fails_at_the_first_transaction() {
        let (xml, _) = day();
        let other = crate::compliance::sign::Signer::from_pem(
            &crate::compliance::sign::generate_key(1024).unwrap(),
            "other",
        )
        .unwrap();
        let err = verify(&xml, other.public_pem()).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { nr, .. } if nr == "1"),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("keyVersion kasse-2025-1"), "{msg}");
        assert!(msg.contains(REGISTER), "{msg}");
    }

    #[test]
    fn unreadable_and_missing_fields_are_named() {
        let (xml, public) = day();
        let bad = tamper(&xml, 2, "transDate", |_| "10.03.2025".to_string());
        let err = verify(&bad, &public).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { nr, reason: LinkFault::Unreadable { field: "transDate", .. }, .. } if nr == "3"),
            "{err}"
        );

        let span = transaction_span(&xml, 4);
        let tx = &xml[span.clone()];
        let sig_start = span.start + tx.find("<signature>").unwrap();
        let sig_end = span.start + tx.find("</signature>").unwrap() + "</signature>".len();
        let bad = format!("{}{}", &xml[..sig_start], &xml[sig_end..]);
        let err = verify(&bad, &public).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { nr, reason: LinkFault::Missing { field: "signature" }, .. } if nr == "5"),
            "{err}"
        );
        assert!(err.to_string().contains("has no <signature>"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let (xml, public) = day();
        // Cut mid-tag, or cleanly after a transaction: either way an error.
        let err = verify(&xml[..xml.len() / 2], &public).unwrap_err();
        assert!(matches!(err, VerifyError::Xml { .. }), "{err}");
        let cut = xml.match_indices("</cashtransaction>").nth(2).unwrap().0;
        let err = verify(&xml[..cut + "</cashtransaction>".len()], &public).unwrap_err();
        assert!(err.to_string().contains("cut off"), "{err}");
        let err = verify("<auditfile><cashregister></auditfile>", &public).unwrap_err();
        assert!(matches!(err, VerifyError::Xml { .. }), "{err}");
        let err = verify(
            &xml,
            "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
        )
        .unwrap_err();
        assert!(matches!(err, VerifyError::Key(_)), "{err}");
    }

    #[test]
    fn reads_the_official_example_file() {
        // Its signatures are not made with any key we have: the first link
        // must fail, at the right register and transaction, with CRLF and tabs.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/saft/example.xml");
        let xml = std::fs::read_to_string(path).unwrap();
        let err = verify(&xml, test_signer().public_pem()).unwrap_err();
        match link(&err) {
            BrokenLink {
                register,
                nr,
                trans_id,
                line,
                reason: LinkFault::Mismatch { signed_text, .. },
            } => {
                assert_eq!(register, "11.222-33.44.567");
                assert_eq!((nr.as_str(), trans_id.as_str()), ("1000", "1000"));
                assert_eq!(signed_text, "0;2020-01-01;09:00:00;1000;86.40;75.12");
                assert!(
                    xml.lines()
                        .nth(line - 1)
                        .unwrap()
                        .contains("<cashtransaction>")
                );
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn entities_in_register_ids_are_resolved() {
        let signer = test_signer();
        let mut model = canteen_day(signer);
        model.company.locations[0].registers[0].id = "Kasse <1> & 'inngang'".to_string();
        let xml = saft::write(&model).unwrap();
        assert!(xml.contains("Kasse &lt;1&gt; &amp; 'inngang'"));
        let bad = tamper(&xml, 0, "transAmntIn", |_| "0.00".to_string());
        let err = verify(&bad, signer.public_pem()).unwrap_err();
        assert!(
            matches!(link(&err), BrokenLink { register, .. } if register == "Kasse <1> & 'inngang'"),
            "{err}"
        );
    }
}
