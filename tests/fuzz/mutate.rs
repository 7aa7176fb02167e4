//! Input generators for the fuzz harness: valid seed texts bent by a few
//! mutations (truncation, byte flips, hostile tokens in place of values,
//! repeated or missing lines), or plain arbitrary bytes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use std::sync::Arc;

/// Values that have broken parsers before: numbers at and past every
/// limit, odd units, non-ASCII, NUL, control characters, deep nesting.
pub fn tokens() -> Vec<String> {
    let mut t: Vec<String> = [
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "\"79228162514264337593543950335\"",
        "\"79228162514264337593543950335.00\"",
        "\"792281625142643375935439503.35\"",
        "\"99999999999999999999999999999999.99\"",
        "\"-0.00\"",
        "\"0.001\"",
        "\"1e28\"",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551616",
        "-1",
        "0",
        "1e309",
        "nan",
        "-inf",
        "25.5",
        "\"100000000d\"",
        "\"9223372036854775807s\"",
        "\"106751991167d\"",
        "\"99999999999999999999h\"",
        "\"1h-5m\"",
        "\"10 m\"",
        "\"10µs\"",
        "\"\"",
        "\"é\"",
        "\"🦀🦀🦀\"",
        "\"\\u0000\"",
        "\"\\u202e\"",
        "\"a\\tb\"",
        "\0",
        "\u{feff}",
        "é",
        "true",
        "[]",
        "{}",
        "'''",
        "\"\"\"",
        "0000-01-01",
        "9999-12-31T23:59:59-23:59",
        "\"+262143-12-31T23:59:59Z\"",
        "\"2026-02-30\"",
        "\"2026-11-23T11:30:00+99:00\"",
        "\n[[step]]\n",
        "\n[[product]]\n",
        "\n[settings]\n",
        "=",
        "\\",
        "\"SSN1.M.M-100001.99999999999999999999999.AAAA\"",
        "\"SSN1.C.M-1.CP-1.KAFFE.18446744073709551615.x\"",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    t.push(format!("\"{}\"", "9".repeat(400)));
    t.push(format!("\"{}\"", "é".repeat(300)));
    t.push("[".repeat(5000));
    t.push(format!("{}1{}", "[".repeat(3000), "]".repeat(3000)));
    t.push("{a=".repeat(3000));
    t
}

#[derive(Clone, Debug)]
pub enum Mutation {
    /// Cut the text at a byte (possibly inside a UTF-8 sequence).
    Truncate(Index),
    /// XOR one byte.
    Flip(Index, u8),
    /// Put a hostile token at a byte position.
    Insert(Index, Index),
    /// Replace the value after one `=` (up to the line's end) with a token.
    ReplaceValue(Index, Index),
    DuplicateLine(Index),
    DeleteLine(Index),
    /// Put raw bytes at a position.
    Bytes(Index, Vec<u8>),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), 1u8..).prop_map(|(i, b)| Mutation::Flip(i, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        5 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::ReplaceValue(a, b)),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => (any::<Index>(), vec(any::<u8>(), 1..12)).prop_map(|(i, b)| Mutation::Bytes(i, b)),
    ]
}

fn line_bounds(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

pub fn apply(seed: &[u8], mutations: &[Mutation], tokens: &[String]) -> Vec<u8> {
    let mut t = seed.to_vec();
    for m in mutations {
        match m {
            Mutation::Truncate(i) => t.truncate(i.index(t.len() + 1)),
            Mutation::Flip(i, b) => {
                if !t.is_empty() {
                    let at = i.index(t.len());
                    t[at] ^= b;
                }
            }
            Mutation::Insert(at, tok) => {
                let at = at.index(t.len() + 1);
                let tok = tokens[tok.index(tokens.len())].as_bytes();
                t.splice(at..at, tok.iter().copied());
            }
            Mutation::ReplaceValue(which, tok) => {
                let eqs: Vec<usize> = (0..t.len()).filter(|&i| t[i] == b'=').collect();
                if eqs.is_empty() {
                    continue;
                }
                let start = eqs[which.index(eqs.len())] + 1;
                let end = t[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(t.len(), |p| start + p);
                let tok = format!(" {}", tokens[tok.index(tokens.len())]);
                t.splice(start..end, tok.bytes());
            }
            Mutation::DuplicateLine(i) => {
                let lines = line_bounds(&t);
                if !lines.is_empty() {
                    let (s, e) = lines[i.index(lines.len())];
                    let copy = t[s..e].to_vec();
                    t.splice(e..e, copy);
                }
            }
            Mutation::DeleteLine(i) => {
                let lines = line_bounds(&t);
                if !lines.is_empty() {
                    let (s, e) = lines[i.index(lines.len())];
                    t.drain(s..e);
                }
            }
            Mutation::Bytes(at, bytes) => {
                let at = at.index(t.len() + 1);
                t.splice(at..at, bytes.iter().copied());
            }
        }
    }
    t
}

/// Mostly a mutated seed (0–4 mutations), sometimes arbitrary bytes.
pub fn input(seeds: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let tokens = Arc::new(tokens());
    let seeds = Arc::new(seeds);
    let n = seeds.len();
    prop_oneof![
        8 => (0..n, vec(mutation(), 0..5)).prop_map(move |(i, ms)| {
            apply(seeds[i].as_bytes(), &ms, &tokens)
        }),
        1 => vec(any::<u8>(), 0..512),
        1 => ".{0,256}".prop_map(String::into_bytes),
    ]
}

/// A text for the parsers that take `&str` (invalid UTF-8 replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
