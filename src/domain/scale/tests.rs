//! The frame parsers and the stability filter, byte by byte.

use super::*;

fn w(grams: i64, stable: bool) -> Reading {
    Reading::Weight { grams, stable }
}

fn parse(protocol: Protocol, bytes: &[u8]) -> Vec<Result<Reading, Skipped>> {
    FrameParser::new(protocol).push(bytes)
}

fn readings(out: &[Result<Reading, Skipped>]) -> Vec<Reading> {
    out.iter().filter_map(|r| r.ok()).collect()
}

fn skipped(out: &[Result<Reading, Skipped>]) -> usize {
    out.iter().filter_map(|r| r.err()).map(|s| s.bytes).sum()
}

#[track_caller]
fn check(protocol: Protocol, input: &[u8], expected: &[Reading], skipped_bytes: usize) {
    let out = parse(protocol, input);
    assert_eq!(
        readings(&out),
        expected,
        "{:?}",
        String::from_utf8_lossy(input)
    );
    assert_eq!(skipped(&out), skipped_bytes, "{out:?}");
}

#[test]
fn protocol_names() {
    for p in [Protocol::Toledo8217, Protocol::MtSics] {
        assert_eq!(p.as_str().parse::<Protocol>(), Ok(p));
    }
    assert!("toledo".parse::<Protocol>().is_err());
}

#[test]
fn commands() {
    assert_eq!(poll_command(Protocol::Toledo8217), b"W");
    assert_eq!(poll_command(Protocol::MtSics), b"SIR\r\n");
    assert_eq!(settle_command(Protocol::Toledo8217), b"W");
    assert_eq!(settle_command(Protocol::MtSics), b"SI\r\nSIR\r\n");
    assert_eq!(zero_command(Protocol::Toledo8217), b"Z");
    assert_eq!(zero_command(Protocol::MtSics), b"Z\r\n");
    assert_eq!(tare_command(Protocol::Toledo8217), b"T");
    assert_eq!(tare_command(Protocol::MtSics), b"T\r\n");
}

#[test]
fn toledo_weights() {
    let t = Protocol::Toledo8217;
    check(t, b"\x0200.412\r", &[w(412, true)], 0);
    check(t, b"\x0200.000\r", &[w(0, true)], 0);
    check(t, b"\x0212.345\r", &[w(12_345, true)], 0);
    check(t, b"\x0299.999\r", &[w(99_999, true)], 0);
    // Not the spec's shape: refused, not guessed at.
    check(t, b"\x020.412\r", &[], 7);
    check(t, b"\x0200.41\r", &[], 7);
    check(t, b"\x0200.4120\r", &[], 9);
    check(t, b"\x02 0.412\r", &[], 8);
    check(t, b"\x0200,412\r", &[], 8);
    check(t, b"\x0200.412\n", &[], 8);
}

#[test]
fn toledo_every_status_bit() {
    let t = Protocol::Toledo8217;
    let table: &[(u8, Reading)] = &[
        (0b0000_0001, Reading::Motion),
        (0b0000_0010, Reading::Overload),
        (0b0000_0100, Reading::UnderZero),
        (0b0000_1000, Reading::Error(Fault::OutsideZeroRange)),
        (0b0001_0000, Reading::Busy), // centre of zero, no weight sent
        (0b0010_0000, Reading::Busy), // net, no weight sent
        (0b0100_0000, Reading::BadCommand),
        (0b0000_0000, Reading::Busy),
        (0b1000_0000, Reading::Busy), // parity bit ignored
        (0b1000_0001, Reading::Motion),
        // Priority: bad command > overload > under zero > motion > zero range.
        (0b0111_1111, Reading::BadCommand),
        (0b0011_1111, Reading::Overload),
        (0b0011_1101, Reading::UnderZero),
        (0b0011_1001, Reading::Motion),
        (0b0011_1000, Reading::Error(Fault::OutsideZeroRange)),
        (0b0011_0001, Reading::Motion), // moving net weight near zero
    ];
    for &(s, expected) in table {
        check(t, &[STX, b'?', s, CR], &[expected], 0);
    }
    // Status bytes equal to CR or STX are taken by position.
    check(t, &[STX, b'?', CR, CR], &[Reading::UnderZero], 0); // 0x0d: bits 0, 2, 3
    check(t, &[STX, b'?', STX, CR], &[Reading::Overload], 0);
    check(t, b"\x02?\x01X", &[], 4);
}

#[test]
fn toledo_garbage_split_and_joined() {
    let t = Protocol::Toledo8217;
    let frames: &[u8] = b"\x0200.412\r\x02?\x01\r\x0201.000\r";
    let expected = [w(412, true), Reading::Motion, w(1000, true)];
    check(t, frames, &expected, 0);
    // Byte by byte.
    let mut p = FrameParser::new(t);
    let mut got = Vec::new();
    for &b in frames {
        got.extend(p.push(&[b]));
    }
    assert_eq!(readings(&got), expected);
    assert_eq!(p.buffered(), 0);
    // Garbage before, between, and a truncated frame cut by a new one.
    check(
        t,
        b"junk\x0200.412\rxx\x0200.4\x0200.413\r",
        &[w(412, true), w(413, true)],
        11,
    );
    check(t, b"\x02\x02\x0200.412\r", &[w(412, true)], 2);
    // Half a frame waits for the rest.
    let mut p = FrameParser::new(t);
    assert_eq!(p.push(b"\x0200.4"), vec![]);
    assert_eq!(p.buffered(), 5);
    assert_eq!(p.push(b"12\r"), vec![Ok(w(412, true))]);
}

#[test]
fn sics_lines() {
    let s = Protocol::MtSics;
    let table: &[(&[u8], Option<Reading>)] = &[
        (b"S S      0.412 kg\r\n", Some(w(412, true))),
        (b"S D      0.398 kg\r\n", Some(w(398, false))),
        (b"S S        412 g\r\n", Some(w(412, true))),
        (b"S S     -0.012 kg\r\n", Some(w(-12, true))),
        (b"S D        -15 g\r\n", Some(w(-15, false))),
        (b"S S      1.5 kg\r\n", Some(w(1500, true))),
        (b"S S         12 kg\r\n", Some(w(12_000, true))),
        (b"S S     +0.100 kg\r\n", None),
        (b"S S     00.100 kg\r\n", Some(w(100, true))),
        (b"S I\r\n", Some(Reading::Busy)),
        (b"S +\r\n", Some(Reading::Overload)),
        (b"S -\r\n", Some(Reading::UnderZero)),
        (b"ES\r\n", Some(Reading::BadCommand)),
        (b"ET\r\n", Some(Reading::Error(Fault::Transmission))),
        (b"EL\r\n", Some(Reading::Error(Fault::Logical))),
        // Finer than a gram: refused, never rounded.
        (b"S S     0.4125 kg\r\n", None),
        (b"S S      412.3 g\r\n", None),
        (b"S S      412.0 g\r\n", None),
        (b"S S      0.412 lb\r\n", None),
        (b"S S      0.4.2 kg\r\n", None),
        (b"S S          . kg\r\n", None),
        (b"S S       -.5 kg\r\n", None),
        (b"S S      0.412\r\n", None),
        (b"S S 0.412 kg extra\r\n", None),
        (b"S S 1234567890 g\r\n", None),
        (b"S X      0.412 kg\r\n", None),
        (b"S S      0.412 kg\n", None),
        (b"Z A\r\n", None),
        (b"\r\n", None),
    ];
    for &(line, expected) in table {
        let skipped = if expected.is_some() { 0 } else { line.len() };
        check(s, line, expected.as_slice(), skipped);
    }
}

#[test]
fn sics_garbage_split_and_joined() {
    let s = Protocol::MtSics;
    let stream: &[u8] = b"S D      0.398 kg\r\nS S      0.412 kg\r\nS +\r\n";
    let expected = [w(398, false), w(412, true), Reading::Overload];
    check(s, stream, &expected, 0);
    let mut p = FrameParser::new(s);
    let mut got = Vec::new();
    for &b in stream {
        got.extend(p.push(&[b]));
    }
    assert_eq!(readings(&got), expected);
    // Starting mid-line, garbage lines between.
    check(
        s,
        b"412 kg\r\nS S      0.412 kg\r\n\xff\xfe#\nS S      0.413 kg\r\n",
        &[w(412, true), w(413, true)],
        8 + 4,
    );
    // An endless line is dropped up to its LF, the buffer stays bounded.
    let mut p = FrameParser::new(s);
    let junk = vec![b'x'; 10_000];
    let out = p.push(&junk);
    assert_eq!(readings(&out), vec![]);
    assert!(p.buffered() <= SICS_MAX_LINE);
    let out = p.push(b"S S      0.412 kg\r\nS S      0.412 kg\r\n");
    assert_eq!(
        readings(&out),
        vec![w(412, true)],
        "tail of the long line dropped"
    );
}

#[test]
fn toledo_buffer_stays_bounded() {
    let mut p = FrameParser::new(Protocol::Toledo8217);
    let junk: Vec<u8> = (0..10_000u32)
        .map(|i| b"\x0201.2?x"[i as usize % 7])
        .collect();
    p.push(&junk);
    assert!(p.buffered() < TOLEDO_WEIGHT_LEN);
}

/// Feed `(ms, reading)` pairs and collect what the filter says.
fn run(filter: &mut StabilityFilter, steps: &[(u64, Reading)]) -> Vec<Settling> {
    steps.iter().map(|(t, r)| filter.observe(*t, r)).collect()
}

use Settling::{NoWeight, Stable, Unstable};

#[test]
fn settles_only_after_stable_ms() {
    let mut f = StabilityFilter::new(300, 2);
    let got = run(
        &mut f,
        &[
            (0, w(412, true)),
            (100, w(412, true)),
            (299, w(412, true)),
            (300, w(412, true)),
            (500, w(412, true)),
        ],
    );
    assert_eq!(
        got,
        [
            Unstable { grams: 412 },
            Unstable { grams: 412 },
            Unstable { grams: 412 },
            Stable { grams: 412 },
            Stable { grams: 412 },
        ]
    );
}

#[test]
fn sway_within_tolerance_stays_stable() {
    let mut f = StabilityFilter::new(300, 2);
    let got = run(
        &mut f,
        &[
            (0, w(412, true)),
            (200, w(414, true)),
            (300, w(410, true)),
            (400, w(413, true)),
        ],
    );
    // The latest reading is delivered, as the scale displays it.
    assert_eq!(
        got,
        [
            Unstable { grams: 412 },
            Unstable { grams: 414 },
            Stable { grams: 410 },
            Stable { grams: 413 },
        ]
    );
}

#[test]
fn beyond_tolerance_restarts_the_window() {
    let mut f = StabilityFilter::new(300, 2);
    let got = run(
        &mut f,
        &[
            (0, w(412, true)),
            (300, w(412, true)),
            (400, w(415, true)),
            (600, w(415, true)),
            (700, w(416, true)),
        ],
    );
    assert_eq!(
        got,
        [
            Unstable { grams: 412 },
            Stable { grams: 412 },
            Unstable { grams: 415 },
            Unstable { grams: 415 },
            Stable { grams: 416 },
        ]
    );
}

#[test]
fn anything_but_a_stable_weight_resets() {
    for interruption in [
        w(412, false),
        Reading::Motion,
        Reading::Overload,
        Reading::UnderZero,
        Reading::Busy,
        Reading::BadCommand,
        Reading::Error(Fault::Logical),
    ] {
        let mut f = StabilityFilter::new(300, 2);
        let got = run(
            &mut f,
            &[
                (0, w(412, true)),
                (300, w(412, true)),
                (350, interruption),
                (400, w(412, true)),
                (650, w(412, true)),
                (700, w(412, true)),
            ],
        );
        let during = match interruption {
            Reading::Weight { grams, .. } => Unstable { grams },
            _ => NoWeight,
        };
        assert_eq!(
            got,
            [
                Unstable { grams: 412 },
                Stable { grams: 412 },
                during,
                Unstable { grams: 412 },
                Unstable { grams: 412 },
                Stable { grams: 412 },
            ],
            "{interruption:?}"
        );
    }
}

#[test]
fn reset_and_zero_stable_ms() {
    let mut f = StabilityFilter::new(0, 0);
    assert_eq!(f.observe(5, &w(7, true)), Stable { grams: 7 });
    assert_eq!(f.observe(6, &w(8, true)), Stable { grams: 8 });
    let mut f = StabilityFilter::new(300, 2);
    f.observe(0, &w(412, true));
    f.reset();
    assert_eq!(f.observe(300, &w(412, true)), Unstable { grams: 412 });
    // A clock that steps back does not settle early.
    assert_eq!(f.observe(100, &w(412, true)), Unstable { grams: 412 });
}

#[test]
fn settles_at_the_end_of_an_open_window() {
    let mut f = StabilityFilter::new(300, 2);
    assert_eq!(f.settles_at(), None);
    f.observe(0, &w(412, true));
    assert_eq!(f.settles_at(), Some(300));
    // Sway within tolerance keeps the window and its end.
    f.observe(120, &w(413, true));
    assert_eq!(f.settles_at(), Some(300));
    // A reading exactly at the end settles it: nothing left to wait for.
    assert_eq!(f.observe(300, &w(412, true)), Stable { grams: 412 });
    assert_eq!(f.settles_at(), None);
    // Beyond tolerance: a new window, a new end.
    f.observe(400, &w(420, true));
    assert_eq!(f.settles_at(), Some(700));
    // Anything but a stable weight closes it.
    f.observe(450, &w(420, false));
    assert_eq!(f.settles_at(), None);
    f.observe(500, &w(420, true));
    f.observe(550, &Reading::Motion);
    assert_eq!(f.settles_at(), None);
    f.observe(600, &w(420, true));
    f.reset();
    assert_eq!(f.settles_at(), None);
    // A window that never ends in this clock says so rather than wrap.
    let mut f = StabilityFilter::new(u64::MAX, 2);
    f.observe(5, &w(1, true));
    assert_eq!(f.settles_at(), Some(u64::MAX));
    // No window to wait for when stable at once.
    let mut f = StabilityFilter::new(0, 2);
    f.observe(5, &w(1, true));
    assert_eq!(f.settles_at(), None);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Bytes that make up frames of both protocols, so random bytes
    /// between frames often look almost valid.
    fn frame_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(b"\x02\r\n0123456789.?-+ SDIEkgTZ".to_vec()),
            1 => any::<u8>(),
        ]
    }

    fn protocol() -> impl Strategy<Value = Protocol> {
        prop_oneof![Just(Protocol::Toledo8217), Just(Protocol::MtSics)]
    }

    /// How the digits of `grams` (sign aside) can be written on the wire.
    fn forms(grams: i64) -> Vec<String> {
        let g = grams.unsigned_abs();
        let (int, frac) = (g / 1000, g % 1000);
        let mut forms = vec![format!("{g} g"), format!("{int}.{frac:03} kg")];
        if frac % 10 == 0 {
            forms.push(format!("{int}.{:02} kg", frac / 10));
        }
        if frac % 100 == 0 {
            forms.push(format!("{int}.{} kg", frac / 100));
        }
        if frac == 0 {
            forms.push(format!("{int} kg"));
        }
        forms
    }

    /// A frame as a scale would send it. 8217 weights are never negative
    /// and always stable; MT-SICS values come in kg or in g.
    fn frame(protocol: Protocol, grams: i64, stable: bool, in_g: bool) -> (Vec<u8>, Reading) {
        match protocol {
            Protocol::Toledo8217 => {
                let g = grams.unsigned_abs() % 100_000;
                let bytes = format!("\x02{:02}.{:03}\r", g / 1000, g % 1000).into_bytes();
                (bytes, w(g as i64, true))
            }
            Protocol::MtSics => {
                let tag = if stable { 'S' } else { 'D' };
                let sign = if grams < 0 { "-" } else { "" };
                let g = grams.unsigned_abs();
                let (value, unit) = if in_g {
                    (format!("{sign}{g}"), "g")
                } else {
                    (format!("{sign}{}.{:03}", g / 1000, g % 1000), "kg")
                };
                let bytes = format!("S {tag} {value:>10} {unit}\r\n").into_bytes();
                (bytes, w(grams, stable))
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Piece {
        Frame {
            grams: i64,
            stable: bool,
            in_g: bool,
        },
        /// The first bytes of a frame, never all of it.
        Truncated { grams: i64, keep: usize },
        /// Bytes that cannot end or start a frame.
        Junk(Vec<u8>),
        /// Anything, delimiters included.
        Noise(Vec<u8>),
    }

    fn piece(noise: bool) -> impl Strategy<Value = Piece> {
        let junk = prop::collection::vec(
            any::<u8>().prop_filter("no delimiters", |b| ![STX, CR, LF].contains(b)),
            1..12,
        );
        let noise_weight = if noise { 1 } else { 0 };
        prop_oneof![
            4 => (-999i64..99_999, any::<bool>(), any::<bool>())
                .prop_map(|(grams, stable, in_g)| Piece::Frame { grams, stable, in_g }),
            1 => (-999i64..99_999, 1usize..16).prop_map(|(grams, keep)| Piece::Truncated { grams, keep }),
            1 => junk.prop_map(Piece::Junk),
            noise_weight => prop::collection::vec(frame_byte(), 1..12).prop_map(Piece::Noise),
        ]
    }

    /// The stream's bytes, and the readings of its whole frames.
    fn render(p: Protocol, pieces: &[Piece]) -> (Vec<u8>, Vec<Reading>) {
        let mut bytes = Vec::new();
        let mut sent = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Frame {
                    grams,
                    stable,
                    in_g,
                } => {
                    let (f, r) = frame(p, *grams, *stable, *in_g);
                    bytes.extend(f);
                    sent.push(r);
                }
                Piece::Truncated { grams, keep } => {
                    let (f, _) = frame(p, *grams, true, false);
                    bytes.extend(&f[..(*keep).min(f.len() - 1)]);
                }
                Piece::Junk(j) | Piece::Noise(j) => bytes.extend(j),
            }
        }
        (bytes, sent)
    }

    fn chunked(p: &mut FrameParser, bytes: &[u8], cuts: &[usize]) -> Vec<Result<Reading, Skipped>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = Vec::new();
        let mut at = 0;
        for c in cuts.into_iter().chain([bytes.len()]) {
            out.extend(p.push(&bytes[at..c]));
            at = c;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_and_stays_bounded(p in protocol(), bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let mut parser = FrameParser::new(p);
            let out = parser.push(&bytes);
            prop_assert!(parser.buffered() <= SICS_MAX_LINE);
            prop_assert!(skipped(&out) <= bytes.len());
        }

        /// Never a weight that is not written in the input.
        #[test]
        fn weights_come_from_the_input(
            p in protocol(),
            pieces in prop::collection::vec(piece(true), 0..40),
        ) {
            let (bytes, _) = render(p, &pieces);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // MT-SICS pads the value with spaces; compare with runs of
            // spaces squeezed to one.
            let squeezed = text.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            for r in readings(&FrameParser::new(p).push(&bytes)) {
                if let Reading::Weight { grams, .. } = r {
                    match p {
                        Protocol::Toledo8217 => {
                            let form = format!("\x02{:02}.{:03}\r", grams / 1000, grams % 1000);
                            prop_assert!(text.contains(&form), "{grams} g not in {text:?}");
                        }
                        Protocol::MtSics => {
                            // Leading zeros may pad the value: look for
                            // the digits and the unit, and a minus sign.
                            prop_assert!(
                                forms(grams).iter().any(|f| squeezed.contains(&format!("{f}\r\n"))),
                                "{grams} g not in {text:?}"
                            );
                            prop_assert!(grams >= 0 || text.contains('-'));
                        }
                    }
                }
            }
        }

        #[test]
        fn chunking_does_not_matter(
            p in protocol(),
            pieces in prop::collection::vec(piece(true), 0..40),
            cuts in prop::collection::vec(any::<usize>(), 0..40),
        ) {
            let (bytes, _) = render(p, &pieces);
            let whole = FrameParser::new(p).push(&bytes);
            let split = chunked(&mut FrameParser::new(p), &bytes, &cuts);
            prop_assert_eq!(readings(&whole), readings(&split));
            prop_assert_eq!(skipped(&whole), skipped(&split));
            // Byte by byte, too.
            let mut parser = FrameParser::new(p);
            let single: Vec<_> = bytes.iter().flat_map(|b| parser.push(&[*b])).collect();
            prop_assert_eq!(readings(&whole), readings(&single));
        }

        #[test]
        fn frames_among_junk_are_found_and_nothing_else(
            p in protocol(),
            pieces in prop::collection::vec(piece(false), 0..40),
            cuts in prop::collection::vec(any::<usize>(), 0..20),
        ) {
            let (bytes, sent) = render(p, &pieces);
            let got = readings(&chunked(&mut FrameParser::new(p), &bytes, &cuts));
            // Every reading was sent, in order; none invented.
            let mut rest = sent.iter();
            for r in &got {
                prop_assert!(rest.any(|s| s == r), "{r:?} not sent: {sent:?}");
            }
            // 8217 frames resync on STX, so junk never costs a frame;
            // MT-SICS loses only the line junk or a cut frame ran into.
            if p == Protocol::Toledo8217 {
                prop_assert_eq!(&got, &sent);
            }
        }

        /// The filter never calls a weight stable unless the scale said
        /// stable for the last `stable_ms`, within tolerance of the window's
        /// first reading.
        #[test]
        fn stable_means_stable(
            stable_ms in 0u64..500,
            tol in 0u32..5,
            steps in prop::collection::vec(
                (0u64..150, prop_oneof![
                    6 => (400i64..410, any::<bool>()).prop_map(|(g, s)| w(g, s)),
                    1 => Just(Reading::Motion),
                    1 => Just(Reading::Overload),
                ]),
                0..80,
            ),
        ) {
            let mut f = StabilityFilter::new(stable_ms, tol);
            let mut now = 0u64;
            let mut seen: Vec<(u64, Reading)> = Vec::new();
            for (dt, r) in steps {
                now += dt;
                seen.push((now, r));
                let settling = f.observe(now, &r);
                // A window is pending exactly when a stable reading was
                // not yet enough, and it ends after now.
                let pending = matches!(settling, Settling::Unstable { .. })
                    && matches!(r, Reading::Weight { stable: true, .. });
                prop_assert_eq!(f.settles_at().is_some(), pending);
                if let Some(end) = f.settles_at() {
                    prop_assert!(end > now);
                    prop_assert!(end - now <= stable_ms);
                }
                if let Settling::Stable { grams } = settling {
                    prop_assert_eq!(r, w(grams, true));
                    // Some reading at least stable_ms ago starts a run of
                    // stable readings up to now, all within tolerance of it.
                    let ok = seen.iter().enumerate().any(|(i, &(t0, r0))| {
                        let Reading::Weight { grams: g0, stable: true } = r0 else { return false };
                        now - t0 >= stable_ms
                            && seen[i..].iter().all(|&(_, r)| matches!(r,
                                Reading::Weight { grams, stable: true } if grams.abs_diff(g0) <= u64::from(tol)))
                    });
                    prop_assert!(ok, "stable {grams} g without evidence: {seen:?}");
                }
            }
        }
    }
}
