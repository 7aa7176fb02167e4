//! Mutation fuzzing of the till's parsers, runnable on stable Rust in CI:
//! `cargo run --release --example fuzz -- [ITERATIONS]`.
//!
//! Each iteration mutates a valid seed input (bit flips, byte changes,
//! inserts, deletes, splices, truncation) or makes random bytes, and runs it
//! through one parser inside `catch_unwind`. Prints executions and crashes;
//! exits 1 on any crash.

use kasse::domain::appcode::{self, AppCode};
use kasse::domain::barcode;
use kasse::domain::scale::{FrameParser, Protocol, Reading};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(20) == 0 {
        let len = rng.below(200);
        return (0..len).map(|_| rng.next() as u8).collect();
    }
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if pos < v.len() => v[pos] ^= 1 << rng.below(8),
            1 if pos < v.len() => v[pos] = rng.next() as u8,
            2 => v.insert(pos, rng.next() as u8),
            3 if pos < v.len() => {
                v.remove(pos);
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                v.splice(pos..pos, other[from..].iter().copied().take(rng.below(16)));
            }
            5 => v.truncate(pos),
            _ if pos < v.len() => v[pos] = b"0123456789.SMCK-_ \r\n\x02?"[rng.below(22)],
            _ => {}
        }
    }
    v
}

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let key =
        appcode::parse_seed_hex("5cecbc1b67d5f330250a3f17372a6bd1b50fc9e69c7d37a06d8b5130fdb5216a")
            .unwrap_or_else(|e| panic!("demo seed: {e}"));
    let keys = vec![key.verifying_key()];
    let qr_seeds: Vec<Vec<u8>> = [
        AppCode::Member {
            member: "M-100001".into(),
            exp: 1_830_297_600,
        },
        AppCode::Coupon {
            member: "M-1".into(),
            coupon: "CP-1".into(),
            sku: "KAFFE".into(),
            exp: 1_830_297_600,
        },
        AppCode::Card {
            member: "M-2".into(),
            card: "KK-2".into(),
            exp: 9,
        },
    ]
    .iter()
    .map(|c| c.sign(&key).into_bytes())
    .collect();
    let barcode_seeds: Vec<Vec<u8>> = [
        "7038010000010",
        "2300100004129",
        "036000291452",
        "96385074",
        "ABC-1",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let toledo_seeds: Vec<Vec<u8>> = [
        &b"\x0200.412\r"[..],
        b"\x02?\x01\r",
        b"\x02?\x42\r",
        b"\x0212.345\r\x0200.000\r",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    let sics_seeds: Vec<Vec<u8>> = [
        &b"S S      0.412 kg\r\n"[..],
        b"S D     -1.250 kg\r\n",
        b"S +\r\nS -\r\nS I\r\n",
        b"ES\r\nEL\r\nS S        412 g\r\n",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    let mut rng = Rng(0x5EED);
    let mut crashes = 0u64;
    let mut accepted = [0u64; 4];
    let start = Instant::now();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..iterations {
        let target = (i % 4) as usize;
        let seeds = [&qr_seeds, &barcode_seeds, &toledo_seeds, &sics_seeds][target];
        let input = mutate(&mut rng, seeds);
        let split = rng.below(input.len() + 1);
        let result = catch_unwind(AssertUnwindSafe(|| match target {
            0 => appcode::read(&String::from_utf8_lossy(&input), &keys, 1_800_000_000).is_ok(),
            1 => barcode::classify(&String::from_utf8_lossy(&input)).is_ok(),
            _ => {
                // Frames split across two reads at a random point.
                let protocol = if target == 2 {
                    Protocol::Toledo8217
                } else {
                    Protocol::MtSics
                };
                let mut p = FrameParser::new(protocol);
                let mut readings = p.push(&input[..split]);
                readings.extend(p.push(&input[split..]));
                readings
                    .iter()
                    .any(|r| matches!(r, Ok(Reading::Weight { .. })))
            }
        }));
        match result {
            Ok(true) => accepted[target] += 1,
            Ok(false) => {}
            Err(_) => {
                crashes += 1;
                if crashes <= 5 {
                    eprintln!("crash on target {target}: {input:?}");
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz: {iterations} executions in {secs:.1} s ({:.0}/s): qr payload {} accepted, barcode {} accepted, \
         toledo8217 {} with a weight, mt-sics {} with a weight; {crashes} crashes",
        iterations as f64 / secs,
        accepted[0],
        accepted[1],
        accepted[2],
        accepted[3]
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}
