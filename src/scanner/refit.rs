//! A second look at a code rxing located but could not read: its grid
//! fitted to the black-and-white matrix rxing already made.
//!
//! rxing's detector places the grid from the three finder centres and an
//! alignment pattern (or a parallelogram guess without one); on a tilted
//! phone screen that grid drifts off the modules and the decoder fails.
//! [`refit`] moves the four anchor points (hill climbing, as rqrr's
//! `jiggle_perspective` does with its perspective) until the patterns every
//! QR code of that size must show — finder patterns with their separators,
//! the timing rows, the alignment patterns — agree best with the matrix,
//! then samples the grid there and hands it to rxing's decoder (whose
//! Reed–Solomon check rejects a wrong fit). About 1 ms per fit on a
//! version 7–8 code, where rqrr's own grouping and fitting took 10–40 ms
//! on the same frames (`kasse bench qr --trace`).

use rxing::common::{BitMatrix, PerspectiveTransform, Quadrilateral};
use rxing::qrcode::common::Version;
use rxing::qrcode::decoder::qrcode_decoder;
use rxing::{DecodeHints, Point};

use super::clock::Clock;

/// The fits tried, in order: hill-climbing passes (the step halves after
/// each) and how many of the first look at each module's centre alone (a
/// fifth of the cost; the rest look at five points in it). The quick fit
/// and the thorough one read different codes: of 214 codes located but
/// not read at half size (the synthetic sets and the blackbox folders at
/// every turn), the quick one read 125, the thorough one alone 121, both
/// in turn 144, in 1.4 ms a code on average.
const FITS: [Fit; 2] = [
    Fit {
        passes: 7,
        coarse_passes: 4,
    },
    Fit {
        passes: 10,
        coarse_passes: 0,
    },
];

/// How far a [`refit`] may go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refit<'c> {
    /// The frame's deadline.
    pub until: &'c Clock,
    /// The thorough fit too, after the quick one.
    pub thorough: bool,
}

/// One way of fitting the grid (see [`FITS`]).
#[derive(Clone, Copy, Debug)]
struct Fit {
    passes: u32,
    coarse_passes: u32,
}

/// The first step, in modules: rxing's anchors can be a few modules off
/// on a tilted screen.
const FIRST_STEP_MODULES: f32 = 4.0;

/// Where in a module the fit samples (its centre and four points around).
const SAMPLES: [(f32, f32); 5] = [(0.5, 0.5), (0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)];

/// A module whose colour the standard fixes: column, row, dark.
type Known = (f32, f32, bool);

/// The grid's anchors in the image: the top-left, top-right and
/// bottom-left finder centres and the bottom-right anchor (the alignment
/// pattern's centre, or the fourth corner of the finders' parallelogram).
#[derive(Clone, Copy, Debug)]
struct Anchors {
    points: [Point; 4],
    /// The bottom-right anchor's module coordinate (both axes).
    corner_at: f32,
}

/// Reads a code from `matrix` whose detection rxing made but could not
/// decode: `points` as rxing's detector gives them (bottom-left, top-left,
/// top-right finder centres, then the alignment pattern if found),
/// `dimension` its modules per side. Tries the grid anchored on the
/// alignment pattern (if any), then on the finders' parallelogram, with
/// the quick fit of [`FITS`] (and the thorough one after it when
/// `how.thorough`); stops when `how.until` has passed. The text and the
/// fitted anchors, or `None`.
pub(crate) fn refit(
    matrix: &BitMatrix,
    points: &[Point],
    dimension: u32,
    hints: &DecodeHints,
    how: Refit<'_>,
) -> Option<(String, Vec<Point>)> {
    let until = how.until;
    let fits = if how.thorough { &FITS[..] } else { &FITS[..1] };
    let [bottom_left, top_left, top_right] = [points.first()?, points.get(1)?, points.get(2)?];
    let (bottom_left, top_left, top_right) = (*bottom_left, *top_left, *top_right);
    let version = Version::getProvisionalVersionForDimension(dimension).ok()?;
    let known = known_modules(dimension, version.getAlignmentPatternCenters());
    let far = dimension as f32 - 3.5;
    let parallelogram = Point::new(
        top_right.x - top_left.x + bottom_left.x,
        top_right.y - top_left.y + bottom_left.y,
    );
    let mut starts = Vec::with_capacity(2);
    if let Some(&alignment) = points.get(3) {
        starts.push((alignment, far - 3.0));
    }
    starts.push((parallelogram, far));
    for (how, (corner, corner_at)) in fits
        .iter()
        .flat_map(|how| starts.iter().map(move |start| (how, *start)))
    {
        let start = Anchors {
            points: [top_left, top_right, bottom_left, corner],
            corner_at,
        };
        let Some(anchors) = fit(matrix, start, dimension, &known, how, until) else {
            continue;
        };
        let Some(bits) = sample(matrix, &anchors, dimension) else {
            continue;
        };
        if let Ok(read) = qrcode_decoder::decode_bitmatrix_with_hints(&bits, hints) {
            return Some((read.getText().to_string(), anchors.points.to_vec()));
        }
    }
    None
}

/// The modules of a `dimension`-module code that every code shows: the
/// three finder patterns with their light separators, the two timing
/// rows, and the alignment patterns at `centres` (those not under a
/// finder pattern).
fn known_modules(dimension: u32, centres: &[u32]) -> Vec<Known> {
    let d = dimension as i32;
    let mut known = Vec::new();
    for (ox, oy) in [(0, 0), (d - 7, 0), (0, d - 7)] {
        for j in -1..8 {
            for i in -1..8 {
                let (x, y) = (ox + i, oy + j);
                if x < 0 || y < 0 || x >= d || y >= d {
                    continue;
                }
                // Rings from the centre: 3×3 dark, light, dark, light
                // separator.
                let ring = (i - 3).abs().max((j - 3).abs());
                known.push((x as f32, y as f32, ring != 2 && ring != 4));
            }
        }
    }
    for k in 8..d - 8 {
        let dark = k % 2 == 0;
        known.push((k as f32, 6.0, dark));
        known.push((6.0, k as f32, dark));
    }
    let last = centres.len().saturating_sub(1);
    for (a, &cx) in centres.iter().enumerate() {
        for (b, &cy) in centres.iter().enumerate() {
            let under_finder = (a == 0 && (b == 0 || b == last)) || (a == last && b == 0);
            if under_finder {
                continue;
            }
            for j in -2..=2i32 {
                for i in -2..=2i32 {
                    let ring = i.abs().max(j.abs());
                    let (x, y) = (cx as i32 + i, cy as i32 + j);
                    known.push((x as f32, y as f32, ring != 1));
                }
            }
        }
    }
    known
}

/// Module coordinates → image pixels for `anchors`.
fn transform(anchors: &Anchors, dimension: u32) -> Option<PerspectiveTransform> {
    let far = dimension as f32 - 3.5;
    let c = anchors.corner_at;
    let grid = Quadrilateral::new(
        Point::new(3.5, 3.5),
        Point::new(far, 3.5),
        Point::new(c, c),
        Point::new(3.5, far),
    );
    let [top_left, top_right, bottom_left, corner] = anchors.points;
    let image = Quadrilateral::new(top_left, top_right, corner, bottom_left);
    PerspectiveTransform::quadrilateralToQuadrilateral(grid, image).ok()
}

/// How well the known modules agree with `matrix` under `t`, at the
/// first `samples` of [`SAMPLES`] in each: +1 per sample of the right
/// colour, −1 per wrong one.
fn agreement(matrix: &BitMatrix, t: &PerspectiveTransform, known: &[Known], samples: usize) -> i32 {
    let mut score = 0;
    for &(x, y, dark) in known {
        for &(sx, sy) in &SAMPLES[..samples] {
            let p = t.transform_point(Point::new(x + sx, y + sy));
            if p.x < 0.0 || p.y < 0.0 {
                continue;
            }
            if let Some(v) = matrix.try_get(p.x as u32, p.y as u32) {
                score += if v == dark { 1 } else { -1 };
            }
        }
    }
    score
}

/// Moves each anchor coordinate by ± the step where that raises the
/// agreement, the step halving each pass; `None` once `until` has passed.
fn fit(
    matrix: &BitMatrix,
    start: Anchors,
    dimension: u32,
    known: &[Known],
    how: &Fit,
    until: &Clock,
) -> Option<Anchors> {
    let [top_left, top_right, ..] = start.points;
    let module = top_left.x - top_right.x;
    let module = module.hypot(top_left.y - top_right.y) / (dimension as f32 - 7.0);
    let mut anchors = start;
    let mut samples = if how.coarse_passes > 0 {
        1
    } else {
        SAMPLES.len()
    };
    let mut best = agreement(matrix, &transform(&anchors, dimension)?, known, samples);
    let mut step = module.max(0.5) * FIRST_STEP_MODULES;
    for pass in 0..how.passes {
        if pass == how.coarse_passes && samples < SAMPLES.len() {
            samples = SAMPLES.len();
            best = agreement(matrix, &transform(&anchors, dimension)?, known, samples);
        }
        for coordinate in 0..8 {
            for sign in [1.0f32, -1.0] {
                let mut trial = anchors;
                let p = &mut trial.points[coordinate / 2];
                if coordinate % 2 == 0 {
                    p.x += sign * step;
                } else {
                    p.y += sign * step;
                }
                if until.passed() {
                    return None;
                }
                let Some(t) = transform(&trial, dimension) else {
                    continue;
                };
                let score = agreement(matrix, &t, known, samples);
                if score > best {
                    best = score;
                    anchors = trial;
                    break;
                }
            }
        }
        step *= 0.5;
    }
    Some(anchors)
}

/// The grid under `anchors`, one sample at each module's centre.
fn sample(matrix: &BitMatrix, anchors: &Anchors, dimension: u32) -> Option<BitMatrix> {
    let t = transform(anchors, dimension)?;
    let mut bits = BitMatrix::with_single_dimension(dimension).ok()?;
    for y in 0..dimension {
        for x in 0..dimension {
            let p = t.transform_point(Point::new(x as f32 + 0.5, y as f32 + 0.5));
            if p.x >= 0.0 && p.y >= 0.0 && matrix.try_get(p.x as u32, p.y as u32) == Some(true) {
                bits.set(x, y);
            }
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qrgen::phone::{PhoneShot, phone_frame};
    use crate::scanner::image_ops::half_size;
    use crate::scanner::pipeline::hints;
    use rxing::common::{DetectorRXingResult, HybridBinarizer};
    use rxing::multi::qrcode::detector::MultiDetector;
    use rxing::{BinaryBitmap, Luma8Source};
    use std::time::{Duration, Instant};

    const MOIRE: &str = "SSN1.C.M-509718.CP-68218.BOLLE.1830842419.5hketddQLnMcMfRYOqklRlRpxNprv3RDDp9YSzxAuHrRJz1b0Q-f4mkxbzM1v6EqKUF05EBbUP7Bnna27sIPBw";

    fn unbounded(until: &Clock) -> Refit<'_> {
        Refit {
            until,
            thorough: true,
        }
    }

    /// rxing's local binarisation of `img`.
    fn matrix(img: &image::GrayImage) -> BitMatrix {
        let source = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).unwrap();
        BinaryBitmap::new(HybridBinarizer::new(source))
            .get_black_matrix()
            .clone()
    }

    /// Frame 16 of `kasse qr photos --seed 1` (no JPEG step), a tilted
    /// screen with moiré, at half size: rxing finds its finder and
    /// alignment patterns, its grid does not decode; the refitted one
    /// does.
    #[test]
    fn a_located_code_rxing_could_not_read_is_read_on_its_refitted_grid() {
        let shot = PhoneShot::random(17);
        let half = half_size(&phone_frame(MOIRE, &shot, 17).unwrap());
        let matrix = matrix(&half);
        let hints = hints();
        let none = Clock::unlimited();
        let detections = MultiDetector::new(&matrix).detectMulti(&hints).unwrap();
        let located = detections.first().expect("rxing locates the code");
        let (points, dimension) = (located.getPoints(), located.getBits().getWidth());
        assert!(qrcode_decoder::decode_bitmatrix_with_hints(located.getBits(), &hints).is_err());
        let (text, anchors) =
            refit(&matrix, points, dimension, &hints, unbounded(&none)).expect("refitted");
        assert_eq!(text, MOIRE);
        assert_eq!(anchors.len(), 4);
        // Past the frame's deadline it gives up.
        let gone = Clock::until(Instant::now().checked_sub(Duration::from_millis(1)));
        assert_eq!(
            refit(&matrix, points, dimension, &hints, unbounded(&gone)),
            None
        );
        // The wrong size of grid finds no code there.
        assert_eq!(
            refit(&matrix, points, dimension + 4, &hints, unbounded(&none)),
            None
        );
    }

    #[test]
    fn points_that_are_no_code_read_nothing_and_never_panic() {
        let hints = hints();
        let none = Clock::unlimited();
        let flat = matrix(&image::GrayImage::from_pixel(200, 200, image::Luma([200])));
        let p = |x, y| Point::new(x, y);
        let corners = [
            p(20.0, 180.0),
            p(20.0, 20.0),
            p(180.0, 20.0),
            p(170.0, 170.0),
        ];
        for dimension in [0, 3, 21, 45, 177, 181, u32::MAX] {
            assert_eq!(
                refit(&flat, &corners, dimension, &hints, unbounded(&none)),
                None
            );
        }
        // Too few points, all points at one place, far outside the frame.
        assert_eq!(
            refit(&flat, &corners[..2], 25, &hints, unbounded(&none)),
            None
        );
        assert_eq!(
            refit(&flat, &[p(5.0, 5.0); 4], 25, &hints, unbounded(&none)),
            None
        );
        let far = [p(-1e9, 1e9), p(1e9, -1e9), p(3e9, 1.0), p(f32::NAN, 0.0)];
        assert_eq!(refit(&flat, &far, 25, &hints, unbounded(&none)), None);
    }
}
