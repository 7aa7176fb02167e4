//! The camera's decoder: a frame → the QR texts in it, never reading less
//! than rxing alone, and bounded in time on the frames that hold nothing.
//!
//! Stages; the first that finds a code ends the frame:
//!
//! 1. **downscaled**: frames of [`HALF_FIRST_FROM_PX`] or more at half size
//!    (2×2 box filter), read by rxing (ZXing's detector, TryHarder) over four
//!    binarisations: rxing's own local one ([`Binarize::Hybrid`], with
//!    rxing's one-code detector after its multi-code one), one global
//!    threshold ([`Binarize::Global`]: glare bands that fool the local one),
//!    our adaptive threshold ([`Binarize::Adaptive`]: dim, low-contrast
//!    screens) and a 3×3 blur first ([`Binarize::Blurred`]: moiré). The box
//!    filter averages away noise, JPEG blocks and moiré, at a quarter of the
//!    cost of the full frame. Then, up to [`BLURRED_FULL_UP_TO_PX`], the
//!    blur at full size with both detectors (grainy, dim screens whose
//!    finder patterns the grain breaks at full size and the box filter
//!    smears at half), and the global threshold at full size (in step 4 on
//!    smaller frames), which costs a fifth of rxing alone;
//! 2. **rxing alone on the full frame** ([`rxing_alone`]: `QRCodeReader`,
//!    TryHarder, `HybridBinarizer` — the very call `kasse bench qr` measures
//!    as the peer). It runs on every frame no stage before it read,
//!    **whatever the time budget**, so the pipeline reads every frame rxing
//!    alone reads, by construction (and by the test `tests/qr_superset.rs`).
//!    On a hit, rxing's multi-code detector looks once more at the same
//!    black-and-white matrix for a second code;
//! 3. **region of interest**: where the last code was (the box around its
//!    finder patterns, grown by half), while it was seen in the last
//!    [`ROI_FRAMES`] frames — a phone held to the camera barely moves;
//! 4. **full resolution** for small codes: global, then rxing's multi-code
//!    detector on stage 2's matrix (and adaptive on frames under
//!    [`HALF_FIRST_FROM_PX`], which skip step 1);
//!
//!    The detectors at half size (step 1, local binarisation) and at full
//!    size (the blurred and global passes, stage 2's matrix) **refit** a
//!    code they located but could not read (the one-code detector's
//!    first): the grid fitted to the matrix by its
//!    fixed patterns ([`refit`](super::refit), 1–3 ms; the quick fit only
//!    at half size, where the passes after it need the time), where rxing's
//!    own grid drifted off the modules of a tilted screen. The refits stop
//!    at the frame's deadline;
//! 5. **rqrr with preprocessing** ([`decode::decode_gray_within`]: plain,
//!    contrast stretch, inverted, adaptive threshold, upscale) as the last
//!    resort, first on the box around finder patterns rxing saw but could
//!    not read, then on the whole frame — on frames longer than
//!    [`RQRR_ALWAYS_UP_TO_PX`] only when such finder patterns were seen.
//!
//! The frame's time budget ([`FramePipeline::with_budget`], default
//! [`DEFAULT_BUDGET`], counted from the frame's start) bounds every stage but
//! rxing alone: the rqrr passes stop within a few thousand pixel steps of
//! the deadline (see `scanner::clock`), and an rxing pass, which cannot be
//! cut short, starts only when its expected cost (from rxing alone's time on
//! this frame, the same pass at half size, or the dearest half-size pass so
//! far) still fits. A camera
//! sends the next frame soon, and a frame that needs more is given up
//! ([`DecodeOutcome::gave_up`]) rather than finished.
//!
//! [`Order::RxingFirst`] puts rxing alone before the half-size passes
//! (`kasse bench qr --order rxing-first`): it costs rxing's full-frame time
//! on every 720p frame, and the budget then cuts the rescues (README, "QR
//! decoding").
//!
//! The order and the gates come from `kasse bench qr` (see ARCHITECTURE.md,
//! "QR decoder"). Every call into rxing and rqrr runs under
//! [`guarded`](super::panics::guarded); a panic is counted per kind in
//! [`DecodeOutcome::panics`] and the next stage runs.

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use image::GrayImage;
use rxing::common::{BitMatrix, DetectorRXingResult, GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::qrcode::detector::MultiDetector;
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::decoder::qrcode_decoder;
use rxing::qrcode::detector::Detector;
use rxing::{
    Binarizer, BinaryBitmap, DecodeHints, Exceptions, Luma8Source, Point, RXingResult, Reader,
};

use super::clock::Clock;
use super::decode::{self, Budget, DecodeError, DecodeOutcome, load_gray};
use super::image_ops::{adaptive_threshold, box_blur, half_size};
use super::panics::{PanicCounts, guarded};
use super::refit::Refit;
pub use super::region::{Region, rotated};
use super::region::{bounding_box, grown, offset, scale2};

/// Frames with a longer side of at least this are tried at half size.
pub const HALF_FIRST_FROM_PX: u32 = 600;

/// On frames with a longer side than this, the rqrr stage runs only when
/// rxing suspected a code (it found finder patterns but no code).
pub const RQRR_ALWAYS_UP_TO_PX: u32 = 1000;

/// Frames of [`HALF_FIRST_FROM_PX`] up to this get the blurred pass at
/// full size too (before rxing alone, with the refit).
pub const BLURRED_FULL_UP_TO_PX: u32 = 1000;

/// How many frames the region of the last hit is tried after the code was
/// last seen.
pub const ROI_FRAMES: u32 = 15;

/// How many located but unread codes one rxing pass refits.
const REFITS: usize = 1;

/// The time from a frame's start after which no stage but rxing alone
/// starts. Chosen with `kasse bench qr --budget-ms` (README, "QR decoding").
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(14);

/// The camera's decoder. Keeps the region of the last hit between frames;
/// one per camera.
#[derive(Debug)]
pub struct FramePipeline {
    roi: Option<(Region, u32)>,
    budget: Duration,
    order: Order,
    /// Print each stage's end time and result to stderr (`kasse bench qr
    /// --trace`).
    trace: bool,
}

/// Where rxing alone goes among the stages. Either way it runs on every
/// frame no earlier stage read, whatever the budget, so the pipeline reads
/// every frame rxing alone reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The four half-size passes first (frames of [`HALF_FIRST_FROM_PX`]
    /// or more), then rxing alone (the default: most 720p frames are read
    /// at half size in about 1 ms, where rxing alone takes 6–10 ms).
    HalfFirst,
    /// rxing alone first: whatever it reads is the answer
    /// (`kasse bench qr --order rxing-first`).
    RxingFirst,
}

/// One stage of [`FramePipeline::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    RxingAlone,
    Roi,
    Half(Binarize),
    Full(Binarize),
}

impl Default for FramePipeline {
    fn default() -> FramePipeline {
        FramePipeline::with_budget(DEFAULT_BUDGET)
    }
}

/// What one rxing call saw.
#[derive(Debug, Default)]
struct Seen {
    texts: Vec<String>,
    /// Bounding box of the finder patterns of the codes found, in the
    /// scanned image's pixels.
    region: Option<Region>,
    /// Finder patterns were found but no code decoded: worth a closer look.
    suspected: bool,
    /// The box around the finder patterns that did not decode.
    suspect_region: Option<Region>,
    panics: PanicCounts,
}

/// Reads a PNG or JPEG file and scans it with the camera's pipeline, every
/// stage (no time budget: a file is not a camera frame, and replay's `scan`
/// steps must read the same on every machine).
pub fn decode_file(path: &Path) -> Result<DecodeOutcome, DecodeError> {
    Ok(FramePipeline::unbounded().decode(&load_gray(path)?))
}

impl FramePipeline {
    pub fn new() -> FramePipeline {
        FramePipeline::default()
    }

    /// A pipeline whose frames get `budget` (measured from the frame's
    /// start) for the stages after rxing alone.
    pub fn with_budget(budget: Duration) -> FramePipeline {
        FramePipeline {
            roi: None,
            budget,
            order: Order::HalfFirst,
            trace: false,
        }
    }

    /// The same pipeline, printing a line per stage to stderr.
    pub fn traced(self, trace: bool) -> FramePipeline {
        FramePipeline { trace, ..self }
    }

    /// The same pipeline with rxing alone placed as `order` says.
    pub fn ordered(self, order: Order) -> FramePipeline {
        FramePipeline { order, ..self }
    }

    /// A pipeline that runs every stage on every frame (files, tests).
    pub fn unbounded() -> FramePipeline {
        FramePipeline::with_budget(Duration::MAX)
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Scans one frame. Never panics.
    pub fn decode(&mut self, img: &GrayImage) -> DecodeOutcome {
        let started = Instant::now();
        let mut outcome = DecodeOutcome::default();
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return outcome;
        }
        let Some(mut full) = bitmap(img) else {
            return outcome;
        };
        let mut budget = started
            .checked_add(self.budget)
            .map_or_else(Budget::unlimited, Budget::new);
        let trace = self.trace;
        budget.trace = trace;

        let global_first = self.global_first(w, h);
        let stages = self.stages(w, h);

        let mut half: Option<GrayImage> = None;
        let mut suspected = w.max(h) <= RQRR_ALWAYS_UP_TO_PX;
        let mut suspect: Option<Region> = None;
        // What the rxing stages cost on this frame: an rxing call cannot be
        // cut short, so each starts only when it is expected to end in time.
        let (mut half_took, mut alone_took) = (Duration::ZERO, Duration::ZERO);
        let (mut half_global_took, mut half_blurred_took) = (Duration::ZERO, Duration::ZERO);
        // The refits stop at the frame's deadline; at half size only the
        // quick fit (the passes after it need the time).
        let until = Clock::until(budget.deadline());
        let quick = Refit {
            until: &until,
            thorough: false,
        };
        let thorough = Refit {
            thorough: true,
            ..quick
        };
        for stage in stages {
            // rxing alone always runs (unless a code was read before it):
            // the pipeline reads whatever it reads.
            let expected = match stage {
                Stage::RxingAlone => None,
                Stage::Roi => Some(Duration::ZERO),
                Stage::Half(_) => Some(half_took),
                // Relative to rxing alone on the same frame (`kasse bench
                // qr --trace`, 720p phone frames: the global pass took at
                // most 0.8 of it, 0.72 at the 90th percentile; the
                // multi-code search on its matrix 0.5 and 0.48; our adaptive
                // threshold on small frames up to 25 times, about 1 ms).
                Stage::Full(Binarize::Hybrid) => Some(alone_took / 2),
                // Before rxing alone: four times the same pass at half
                // size (720p phone frames: 1.2–2.4 ms, 2–4 times the
                // half-size pass).
                Stage::Full(Binarize::Global) if global_first => Some(half_global_took * 4),
                Stage::Full(Binarize::Global) => Some(alone_took * 3 / 4),
                // Before rxing alone: four times the same pass at half
                // size, as the global one.
                Stage::Full(Binarize::Blurred) => Some(half_blurred_took * 4),
                Stage::Full(_) => Some(alone_took * 2),
            };
            if expected.is_some_and(|expected| !budget.fits_for(expected)) {
                outcome.gave_up = true;
                continue;
            }
            let stage_started = Instant::now();
            let (seen, at_half) = match stage {
                Stage::RxingAlone => (rxing_first(&mut full), false),
                Stage::Roi => {
                    let Some((roi, age)) = self.roi.take() else {
                        continue;
                    };
                    if age + 1 < ROI_FRAMES {
                        self.roi = Some((roi, age + 1));
                    }
                    let crop =
                        image::imageops::crop_imm(img, roi.x, roi.y, roi.w, roi.h).to_image();
                    let mut seen = rxing_read(&crop, Binarize::Hybrid, false);
                    seen.region = seen.region.map(|r| offset(r, roi));
                    seen.suspect_region = None;
                    (seen, false)
                }
                Stage::Half(binarize) => {
                    let half = half.get_or_insert_with(|| half_size(img));
                    // rxing's one-code detector also gets a look at the
                    // local binarisation: it picks finder patterns
                    // differently and reads some frames the multi-code
                    // detector misses.
                    // It also refits a code it located but could not
                    // read (`scanner::refit`), before rxing alone.
                    let hybrid = binarize == Binarize::Hybrid;
                    (
                        rxing_read_refit(half, binarize, hybrid, hybrid.then_some(quick)),
                        true,
                    )
                }
                // rxing alone's matrix, the multi-code detector this time,
                // refitting a code it located but could not read.
                Stage::Full(Binarize::Hybrid) => {
                    (rxing_on_matrix(&full, false, Some(thorough)), false)
                }
                // The global threshold refits too; the blurred frame gets
                // both detectors, and both refit.
                Stage::Full(binarize @ (Binarize::Global | Binarize::Blurred)) => {
                    let one_code = binarize == Binarize::Blurred;
                    (
                        rxing_read_refit(img, binarize, one_code, Some(thorough)),
                        false,
                    )
                }
                Stage::Full(binarize) => (rxing_read(img, binarize, false), false),
            };
            let took = stage_started.elapsed();
            match stage {
                Stage::RxingAlone => alone_took = took,
                Stage::Half(binarize) => {
                    half_took = half_took.max(took);
                    match binarize {
                        Binarize::Global => half_global_took = took,
                        Binarize::Blurred => half_blurred_took = took,
                        _ => {}
                    }
                }
                _ => {}
            }
            outcome.panics.merge(&seen.panics);
            if trace {
                eprintln!(
                    "  {stage:?}: {} at {:.2} ms",
                    if seen.texts.is_empty() {
                        "nothing"
                    } else {
                        "read"
                    },
                    started.elapsed().as_secs_f64() * 1000.0,
                );
            }
            let up = |r: Region| if at_half { scale2(r) } else { r };
            suspected |= seen.suspected;
            suspect = suspect.or(seen.suspect_region.map(up));
            if seen.texts.is_empty() {
                continue;
            }
            self.remember(seen.region.map(up), w, h);
            outcome.texts = seen.texts;
            // Read: nothing was given up (stages skipped before rxing
            // alone in the half-first order do not count).
            outcome.gave_up = false;
            // A half-size read that also saw finder patterns it could not
            // read (a second code): the full frame gets a look too, if it
            // fits (four times the half-size pass's pixels).
            if seen.suspected && at_half && budget.fits_for(took * 4) {
                let more = rxing_on_matrix(&full, false, None);
                outcome.panics.merge(&more.panics);
                for text in more.texts {
                    if !outcome.texts.contains(&text) {
                        outcome.texts.push(text);
                    }
                }
            }
            return outcome;
        }

        // rqrr and its preprocessing passes: first on the code rxing
        // suspected (a crop is a fraction of the frame's cost), then on the
        // whole frame — unless the crop was most of it already.
        let frame_area = u64::from(w) * u64::from(h);
        let crop = suspect.map(|r| grown(r, w, h));
        if let Some(r) = crop {
            let crop = image::imageops::crop_imm(img, r.x, r.y, r.w, r.h).to_image();
            let rqrr = decode::decode_gray_within(&crop, &mut budget);
            outcome.panics.merge(&rqrr.panics);
            if !rqrr.texts.is_empty() {
                outcome.texts = rqrr.texts;
                return outcome;
            }
        }
        let crop_was_most = crop.is_some_and(|r| u64::from(r.w) * u64::from(r.h) * 2 >= frame_area);
        if suspected && !crop_was_most {
            let rqrr = decode::decode_gray_within(img, &mut budget);
            outcome.panics.merge(&rqrr.panics);
            outcome.texts = rqrr.texts;
        }
        outcome.gave_up = outcome.texts.is_empty() && budget.ran_out();
        outcome
    }

    /// Whether the half-size passes and the full-size global one come
    /// before rxing alone (the half-first order, frames of
    /// [`HALF_FIRST_FROM_PX`] or more).
    fn global_first(&self, w: u32, h: u32) -> bool {
        self.order == Order::HalfFirst && w.max(h) >= HALF_FIRST_FROM_PX
    }

    /// The stages a `w`×`h` frame goes through, in order (the rqrr stage
    /// after them).
    fn stages(&self, w: u32, h: u32) -> Vec<Stage> {
        let large = w.max(h) >= HALF_FIRST_FROM_PX;
        let half_stages = [
            Binarize::Hybrid,
            Binarize::Global,
            Binarize::Adaptive,
            Binarize::Blurred,
        ]
        .map(Stage::Half);
        let mut stages: Vec<Stage> = Vec::with_capacity(10);
        // Half first: the global threshold at full size comes before rxing
        // alone too (it reads about half as many of the frames the
        // half-size passes miss, at a fifth of rxing alone's cost).
        let global_first = self.global_first(w, h);
        if global_first {
            stages.extend(half_stages);
            // Up to 1000 px the 3×3 blur at full size too: grainy, dim
            // screens whose finder patterns the noise breaks at full size
            // and the box filter smears at half.
            if w.max(h) <= BLURRED_FULL_UP_TO_PX {
                stages.push(Stage::Full(Binarize::Blurred));
            }
            stages.push(Stage::Full(Binarize::Global));
        }
        stages.extend([Stage::RxingAlone, Stage::Roi]);
        if self.order == Order::RxingFirst && large {
            stages.extend(half_stages);
        }
        if !global_first {
            stages.push(Stage::Full(Binarize::Global));
        }
        stages.push(Stage::Full(Binarize::Hybrid));
        if !large {
            stages.push(Stage::Full(Binarize::Adaptive));
        }
        stages
    }

    /// The region to try first next frame: the hit grown by half its size on
    /// each side, if that is clearly smaller than the frame.
    fn remember(&mut self, hit: Option<Region>, w: u32, h: u32) {
        self.roi = hit.and_then(|r| {
            let roi = grown(r, w, h);
            let small_enough =
                u64::from(roi.w) * u64::from(roi.h) * 2 < u64::from(w) * u64::from(h);
            (roi.w > 20 && roi.h > 20 && small_enough).then_some((roi, 0))
        });
    }

    /// The region tried after stage 1 on the next frame (for tests and the
    /// preview).
    pub fn region_of_interest(&self) -> Option<Region> {
        self.roi.map(|(r, _)| r)
    }
}

pub(super) fn hints() -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some([rxing::BarcodeFormat::QR_CODE].into_iter().collect()),
        ..DecodeHints::default()
    }
}

fn source(img: &GrayImage) -> Option<Luma8Source<'_>> {
    Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).ok()
}

fn bitmap(img: &GrayImage) -> Option<BinaryBitmap<HybridBinarizer<Luma8Source<'_>>>> {
    Some(BinaryBitmap::new(HybridBinarizer::new(source(img)?)))
}

/// How a stage turns grey into black and white before rxing's detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binarize {
    /// rxing's `HybridBinarizer`: a threshold per 8×8 block from its 5×5
    /// neighbourhood of blocks. The best single choice; fooled by glare
    /// bands and moiré.
    Hybrid,
    /// rxing's `GlobalHistogramBinarizer`: one threshold for each row (and
    /// for the whole frame when detecting) from the histogram's valley.
    Global,
    /// [`adaptive_threshold`] (a 3×3 mean against a 1/16-frame
    /// window), then read as is.
    Adaptive,
    /// A 3×3 box blur, then `HybridBinarizer`: smooths moiré and JPEG
    /// blocks that break the finder patterns' 1:1:3:1:1 runs.
    Blurred,
}

/// rxing's QR detector for every code in the frame (TryHarder), then its
/// decoder on each: like rxing's `QRCodeMultiReader`, but it also tells
/// whether some finder-pattern triple did not decode (a code suspected).
#[cfg(test)]
fn rxing_multi(img: &GrayImage, binarize: Binarize) -> Seen {
    rxing_read(img, binarize, false)
}

/// [`rxing_multi`], and with `one_code` rxing's one-code detector on the
/// same black-and-white matrix when the multi-code one read nothing.
fn rxing_read(img: &GrayImage, binarize: Binarize, one_code: bool) -> Seen {
    rxing_read_refit(img, binarize, one_code, None)
}

/// [`rxing_read`], and with `refit` a [`refit`](super::refit::refit) of
/// each code located but not read.
fn rxing_read_refit(
    img: &GrayImage,
    binarize: Binarize,
    one_code: bool,
    refit: Option<Refit<'_>>,
) -> Seen {
    let prepared = match binarize {
        Binarize::Hybrid | Binarize::Global => Cow::Borrowed(img),
        Binarize::Adaptive => Cow::Owned(adaptive_threshold(img, &Clock::unlimited())),
        Binarize::Blurred => Cow::Owned(box_blur(img)),
    };
    let Some(source) = source(&prepared) else {
        return Seen::default();
    };
    match binarize {
        Binarize::Hybrid | Binarize::Blurred => {
            rxing_detect(HybridBinarizer::new(source), one_code, refit)
        }
        // The adaptive threshold is already black and white: any global
        // level between them reads it as is.
        Binarize::Global | Binarize::Adaptive => {
            rxing_detect(GlobalHistogramBinarizer::new(source), one_code, refit)
        }
    }
}

/// The full frame under rxing's local binarisation: stage 1's bitmap.
type FullFrame<'a> = BinaryBitmap<HybridBinarizer<Luma8Source<'a>>>;

fn rxing_detect<B: Binarizer>(binarizer: B, one_code: bool, refit: Option<Refit<'_>>) -> Seen {
    detect_on(
        BinaryBitmap::new(binarizer).get_black_matrix(),
        one_code,
        refit,
    )
}

/// rxing's multi-code detector (and with `one_code` its one-code detector
/// when that read nothing) on the black-and-white matrix already computed
/// for `full` by stage 1.
fn rxing_on_matrix(full: &FullFrame<'_>, one_code: bool, refit: Option<Refit<'_>>) -> Seen {
    detect_on(full.get_black_matrix(), one_code, refit)
}

fn detect_on(matrix: &BitMatrix, one_code: bool, refit: Option<Refit<'_>>) -> Seen {
    let mut seen = Seen::default();
    let hints = hints();
    let result = guarded(|| {
        let mut decoded: Vec<(String, Vec<Point>)> = Vec::new();
        let mut failed: Vec<Point> = Vec::new();
        let mut unread: Vec<(Vec<Point>, u32)> = Vec::new();
        // NotFound (no finder patterns at all) is no error here: the
        // one-code detector may still find some.
        let detections = match MultiDetector::new(matrix).detectMulti(&hints) {
            Ok(found) => found,
            Err(Exceptions::NotFoundException(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        for d in &detections {
            match qrcode_decoder::decode_bitmatrix_with_hints(d.getBits(), &hints) {
                Ok(r) => decoded.push((r.getText().to_string(), d.getPoints().to_vec())),
                Err(_) => {
                    failed.extend_from_slice(d.getPoints());
                    unread.push((d.getPoints().to_vec(), d.getBits().getWidth()));
                }
            }
        }
        // rxing's one-code detector (TryHarder) picks its finder patterns
        // differently and reads some frames the multi-code one misses; a
        // code it locates but cannot read is refitted first.
        let mut refits = REFITS;
        if one_code
            && decoded.is_empty()
            && let Ok(d) = Detector::new(matrix).detect_with_hints(&hints)
        {
            match qrcode_decoder::decode_bitmatrix_with_hints(d.getBits(), &hints) {
                Ok(r) => decoded.push((r.getText().to_string(), d.getPoints().to_vec())),
                Err(_) => {
                    failed.extend_from_slice(d.getPoints());
                    if !unread.iter().any(|(points, _)| points == d.getPoints()) {
                        unread.insert(0, (d.getPoints().to_vec(), d.getBits().getWidth()));
                        refits += 1;
                    }
                }
            }
        }
        // A code located but not read: its grid fitted to the matrix
        // (`refit`), for the first [`REFITS`] such codes (and the one-code
        // detector's).
        if let Some(how) = refit
            && decoded.is_empty()
        {
            for (points, dimension) in unread.iter().take(refits) {
                if let Some(read) = super::refit::refit(matrix, points, *dimension, &hints, how) {
                    decoded.push(read);
                    break;
                }
            }
        }
        Ok::<_, Exceptions>((decoded, failed))
    });
    match result {
        Ok(Ok((decoded, failed))) => {
            seen.suspected = !failed.is_empty();
            seen.suspect_region = bounding_box(&failed);
            let mut points = Vec::new();
            for (text, found_at) in decoded {
                if !seen.texts.contains(&text) {
                    seen.texts.push(text);
                }
                points.extend(found_at);
            }
            seen.region = bounding_box(&points);
        }
        // No finder patterns at all (NotFound), or a broken frame.
        Ok(Err(_)) => {}
        Err(panic) => seen.panics.add(&panic),
    }
    seen
}

/// The one call that is "rxing alone": `QRCodeReader`, TryHarder, on
/// `HybridBinarizer`. Both [`rxing_alone`] (the bench's peer) and the
/// pipeline's stage 1 make it, so the pipeline reads what it reads.
fn rxing_reader(full: &mut FullFrame<'_>, panics: &mut PanicCounts) -> Option<RXingResult> {
    match guarded(|| QRCodeReader::new().decode_with_hints(full, &hints())) {
        Ok(Ok(result)) => Some(result),
        Ok(Err(_)) => None,
        Err(panic) => {
            panics.add(&panic);
            None
        }
    }
}

/// Stage 1: [`rxing_reader`]; on a hit, rxing's multi-code detector on the
/// same black-and-white matrix adds any other code in the frame.
fn rxing_first(full: &mut FullFrame<'_>) -> Seen {
    let mut seen = Seen::default();
    let Some(result) = rxing_reader(full, &mut seen.panics) else {
        return seen;
    };
    seen.texts.push(result.getText().to_string());
    seen.region = bounding_box(result.getPoints());
    let more = rxing_on_matrix(full, false, None);
    seen.panics.merge(&more.panics);
    for text in more.texts {
        if !seen.texts.contains(&text) {
            seen.texts.push(text);
        }
    }
    seen
}

/// rxing alone, as an application would call it for one QR code
/// (`QRCodeReader`, TryHarder): the peer in `kasse bench qr`, and the
/// pipeline's stage 1.
pub fn rxing_alone(img: &GrayImage) -> DecodeOutcome {
    let mut outcome = DecodeOutcome::default();
    if let Some(mut full) = bitmap(img)
        && let Some(result) = rxing_reader(&mut full, &mut outcome.panics)
    {
        outcome.texts.push(result.getText().to_string());
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qrgen::render;
    use image::{Luma, imageops};

    const MEMBER: &str = "SSN1.M.M-100001.1763884800.H0yCsvPYSIYwOGOjRYiKDcfIjssi2OkX5740NqlrcrXbtWXxAn-3JAhbXV_qMEpLDDJZt1PCgmhbn7c-9LmzDw";
    const CARD: &str = "SSN1.K.M-100001.KK-1.1830297600.b4c1iGHql1_aCdeXN_EhLfD-4xDMBg_WVouULLOkbN9TQTbSIl9VXzkiJjJR4mPjsd0WrYXXrHNVrVk1VEHxBg";

    /// `code` pasted into a `w`×`h` frame of `surround` at (x, y).
    fn framed(code: &GrayImage, w: u32, h: u32, surround: u8, x: i64, y: i64) -> GrayImage {
        let mut frame = GrayImage::from_pixel(w, h, Luma([surround]));
        imageops::replace(&mut frame, code, x, y);
        frame
    }

    fn rotate(img: &GrayImage, degrees: f32, background: u8) -> GrayImage {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (w, h) = img.dimensions();
        let side = ((w.max(h) as f32) * 1.5) as u32;
        let c = side as f32 / 2.0;
        GrayImage::from_fn(side, side, |x, y| {
            let (dx, dy) = (x as f32 - c, y as f32 - c);
            let sx = dx * cos + dy * sin + w as f32 / 2.0;
            let sy = -dx * sin + dy * cos + h as f32 / 2.0;
            if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
                *img.get_pixel(sx as u32, sy as u32)
            } else {
                Luma([background])
            }
        })
    }

    #[test]
    fn a_code_in_a_720p_frame_is_found_and_its_region_remembered() {
        let code = render(MEMBER, 5).unwrap();
        let frame = framed(&code, 1280, 720, 40, 700, 150);
        let mut pipeline = FramePipeline::unbounded();
        assert_eq!(pipeline.decode(&frame).texts, [MEMBER]);
        let roi = pipeline
            .region_of_interest()
            .expect("the hit is remembered");
        // The region holds the code and is much smaller than the frame.
        assert!(
            roi.x <= 700 + 20 && roi.x + roi.w >= 700 + code.width() - 20,
            "{roi:?}"
        );
        assert!(roi.w < 1280 / 2, "{roi:?}");
        // The next frame is read from the region alone.
        assert_eq!(pipeline.decode(&frame).texts, [MEMBER]);
        // The code gone: the region is kept a while, then forgotten.
        let empty = GrayImage::from_pixel(1280, 720, Luma([40]));
        for _ in 0..ROI_FRAMES {
            assert!(pipeline.decode(&empty).texts.is_empty());
        }
        assert_eq!(pipeline.region_of_interest(), None);
    }

    #[test]
    fn the_code_moving_out_of_the_region_is_still_found() {
        let code = render(CARD, 5).unwrap();
        let mut pipeline = FramePipeline::unbounded();
        let here = framed(&code, 1280, 720, 40, 40, 40);
        let there = framed(&code, 1280, 720, 40, 800, 200);
        assert_eq!(pipeline.decode(&here).texts, [CARD]);
        assert_eq!(pipeline.decode(&there).texts, [CARD]);
    }

    #[test]
    fn inverted_and_rotated_codes_decode() {
        let code = render(MEMBER, 4).unwrap();
        let mut inverted = code.clone();
        for p in inverted.pixels_mut() {
            p[0] = 255 - p[0];
        }
        // A dark-mode screen: light modules on black, in a dim room.
        let dark_mode = framed(&inverted, 640, 480, 30, 100, 40);
        assert_eq!(
            FramePipeline::unbounded().decode(&dark_mode).texts,
            [MEMBER]
        );
        for degrees in [-30.0, 12.0, 30.0, 45.0, 90.0, 180.0] {
            let turned = rotate(&code, degrees, 255);
            assert_eq!(
                FramePipeline::unbounded().decode(&turned).texts,
                [MEMBER],
                "{degrees}°"
            );
        }
    }

    #[test]
    fn two_codes_in_one_frame_are_both_found() {
        // 4 px modules at 640×480 (a phone at the till; rqrr alone reads
        // 3 px, but the half-size pass that comes first then reads only one
        // of the two and stops); at 1280×720 the same codes at the same
        // distance are bigger.
        for (w, h, module_px) in [(640, 480, 4), (1280, 720, 6)] {
            let a = render(MEMBER, module_px).unwrap();
            let b = render(CARD, module_px).unwrap();
            let mut frame = GrayImage::from_pixel(w, h, Luma([235]));
            imageops::replace(&mut frame, &a, 10, 10);
            imageops::replace(&mut frame, &b, i64::from(w - b.width() - 10), 20);
            let mut found = FramePipeline::unbounded().decode(&frame).texts;
            found.sort();
            assert_eq!(found, [CARD, MEMBER], "{w}x{h}");
        }
    }

    #[test]
    fn frames_without_a_code_find_nothing() {
        for (w, h) in [(640, 480), (1280, 720), (1, 1), (0, 0)] {
            let flat = GrayImage::from_pixel(w, h, Luma([128]));
            let stripes = GrayImage::from_fn(w, h, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]));
            for frame in [flat, stripes] {
                assert_eq!(
                    FramePipeline::unbounded().decode(&frame),
                    DecodeOutcome::default(),
                    "{w}x{h}"
                );
            }
        }
    }

    #[test]
    fn rxing_alone_reads_a_flat_code_and_nothing_from_noise() {
        assert_eq!(rxing_alone(&render(CARD, 4).unwrap()).texts, [CARD]);
        assert!(
            rxing_alone(&GrayImage::from_pixel(64, 64, Luma([9])))
                .texts
                .is_empty()
        );
        assert!(rxing_alone(&GrayImage::new(0, 0)).texts.is_empty());
    }

    /// Frame `index` of `kasse qr photos --seed SEED` (no JPEG step).
    fn hard_frame(seed: u64, index: u64, text: &str) -> GrayImage {
        let seed = seed + index;
        let shot = crate::qrgen::phone::PhoneShot::random(seed);
        assert_eq!((shot.width, shot.height), (1280, 720));
        crate::qrgen::phone::phone_frame(text, &shot, seed).unwrap()
    }

    #[test]
    fn each_stage_reads_a_phone_frame_that_the_stages_before_it_miss() {
        const GLARE: &str = "SSN1.K.M-176447.KK-4614.1830415665.DvKub99xpw03JTRnj3j5_DwRb4s5EYWbK705sN1D7834fzqAWevq_LM7DqaDzKzmQqWsKytL4jDgMpBN6aRICw";
        const DIM: &str = "SSN1.C.M-406079.CP-3980.TE.1831068363.xYaGJOW_DmRnmyFJWhswkV45VGCh3M7AjOd6qPATqhqFcRbr3EnszbDiMn-EwYjvRfY38DPiwRzsgLFCdrpBBg";
        const MOIRE: &str = "SSN1.C.M-509718.CP-68218.BOLLE.1830842419.5hketddQLnMcMfRYOqklRlRpxNprv3RDDp9YSzxAuHrRJz1b0Q-f4mkxbzM1v6EqKUF05EBbUP7Bnna27sIPBw";
        let reads = |img: &GrayImage, b: Binarize| rxing_multi(img, b).texts;
        for (index, text, rescued_by) in [
            (50, GLARE, Some(Binarize::Global)),
            (124, DIM, Some(Binarize::Adaptive)),
            (16, MOIRE, None),
        ] {
            let frame = hard_frame(1, index, text);
            let half = half_size(&frame);
            assert!(reads(&half, Binarize::Hybrid).is_empty(), "{index}");
            assert!(reads(&frame, Binarize::Hybrid).is_empty(), "{index}");
            match rescued_by {
                Some(b) => assert_eq!(reads(&half, b), [text], "{index}"),
                // Only rqrr, on the box around the finder patterns rxing saw.
                None => {
                    for b in [Binarize::Global, Binarize::Adaptive] {
                        assert!(reads(&half, b).is_empty(), "{index}");
                        assert!(reads(&frame, b).is_empty(), "{index}");
                    }
                }
            }
            assert_eq!(
                FramePipeline::unbounded().decode(&frame).texts,
                [text],
                "{index}"
            );
        }
    }

    /// Seed-1000 frames the local binarisation misses at both sizes: the
    /// 12th is read only by the one-code detector, the 68th only after the
    /// blur.
    #[test]
    fn the_one_code_detector_and_the_blur_each_read_a_frame_no_other_pass_reads() {
        const ONE_CODE: &str = "SSN1.K.M-920902.KK-3054.1831041465.nJFI11uIELW5hwfSQDgrs15ANOBUZ_zq0n1ZI-jxK2haIGoqVa_NwUzl58Kx52pTK9btqbjqG_JLlIEvJLPsAQ";
        const BLUR: &str = "SSN1.C.M-977829.CP-99767.SJOKOLADE.1830918117.9W58hmRkHTrPTCa-93lCLHkR73qudv30MsG8_E20MwwWBaNsLKtyYpAMCOiz8yaIPsZSSZaGnT85XM-PmzOaAg";
        let all = [
            Binarize::Hybrid,
            Binarize::Global,
            Binarize::Adaptive,
            Binarize::Blurred,
        ];

        let frame = hard_frame(1000, 11, ONE_CODE);
        let half = half_size(&frame);
        for b in all {
            assert!(rxing_multi(&half, b).texts.is_empty(), "{b:?}");
        }
        // The full-size passes a 720p frame gets.
        for b in [Binarize::Global, Binarize::Hybrid] {
            assert!(rxing_multi(&frame, b).texts.is_empty(), "{b:?}");
        }
        assert_eq!(rxing_read(&half, Binarize::Hybrid, true).texts, [ONE_CODE]);
        assert_eq!(FramePipeline::unbounded().decode(&frame).texts, [ONE_CODE]);

        let frame = hard_frame(1000, 67, BLUR);
        let half = half_size(&frame);
        for b in [Binarize::Hybrid, Binarize::Global, Binarize::Adaptive] {
            assert!(rxing_read(&half, b, true).texts.is_empty(), "{b:?}");
        }
        for b in [Binarize::Global, Binarize::Hybrid] {
            assert!(rxing_multi(&frame, b).texts.is_empty(), "{b:?}");
        }
        assert_eq!(rxing_multi(&half, Binarize::Blurred).texts, [BLUR]);
        assert_eq!(FramePipeline::unbounded().decode(&frame).texts, [BLUR]);
    }

    /// A grainy, dim phone screen (`fixtures/qr/hard/`, frame 148 of
    /// `kasse qr photos --seed 1000`): the grain breaks the finder
    /// patterns' runs at full size, the half-size box filter smears them,
    /// and rxing alone does not locate it. Blurred at full size, rxing's
    /// one-code detector locates it and the refit reads it; the multi-code
    /// detector's grid does not. A 640×480 frame gets that pass before rxing
    /// alone, a 720p one (costlier, and read at half size) does not.
    #[test]
    fn a_grainy_dim_screen_is_read_blurred_at_full_size_by_the_one_code_detector() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qr/hard");
        let frame = load_gray(&dir.join("grainy-dim-640x480.jpg")).unwrap();
        let text = std::fs::read_to_string(dir.join("grainy-dim-640x480.txt")).unwrap();
        let text = text.trim();
        assert!(rxing_alone(&frame).texts.is_empty());
        let half = half_size(&frame);
        let clock = Clock::unlimited();
        let how = Refit {
            until: &clock,
            thorough: true,
        };
        for b in [
            Binarize::Hybrid,
            Binarize::Global,
            Binarize::Adaptive,
            Binarize::Blurred,
        ] {
            let seen = rxing_read_refit(&half, b, true, Some(how));
            assert!(seen.texts.is_empty(), "{b:?}");
        }
        let multi_only = rxing_read_refit(&frame, Binarize::Blurred, false, Some(how));
        assert!(multi_only.texts.is_empty());
        let seen = rxing_read_refit(&frame, Binarize::Blurred, true, Some(how));
        assert_eq!(seen.texts, [text]);

        let before_alone = |w, h| {
            let stages = FramePipeline::new().stages(w, h);
            let alone = stages.iter().position(|s| *s == Stage::RxingAlone);
            let blurred = stages
                .iter()
                .position(|s| *s == Stage::Full(Binarize::Blurred));
            blurred.zip(alone).is_some_and(|(b, a)| b < a)
        };
        assert!(before_alone(640, 480));
        assert!(before_alone(480, 640));
        assert!(!before_alone(1280, 720));
        assert!(!before_alone(320, 240));
    }

    #[test]
    fn out_of_time_the_frame_is_given_up_but_rxing_alone_still_runs() {
        const GLARE: &str = "SSN1.K.M-176447.KK-4614.1830415665.DvKub99xpw03JTRnj3j5_DwRb4s5EYWbK705sN1D7834fzqAWevq_LM7DqaDzKzmQqWsKytL4jDgMpBN6aRICw";
        // rxing alone cannot read it; a later stage can.
        let hard = hard_frame(1, 50, GLARE);
        assert!(rxing_alone(&hard).texts.is_empty());
        let easy = framed(&render(CARD, 5).unwrap(), 1280, 720, 40, 300, 100);
        for order in [Order::RxingFirst, Order::HalfFirst] {
            let all = FramePipeline::unbounded().ordered(order).decode(&hard);
            assert_eq!(all.texts, [GLARE], "{order:?}");
            assert!(!all.gave_up);
            let mut no_time = FramePipeline::with_budget(Duration::ZERO).ordered(order);
            let out = no_time.decode(&hard);
            assert!(out.texts.is_empty() && out.gave_up, "{order:?}: {out:?}");
            let out = no_time.decode(&easy);
            assert_eq!(out.texts, [CARD], "{order:?}");
            assert!(!out.gave_up);
        }
    }

    #[test]
    fn decode_file_tells_missing_from_not_an_image() {
        let dir = std::env::temp_dir().join(format!("kasse-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let missing = dir.join("missing.png");
        let err = decode_file(&missing).unwrap_err();
        assert!(matches!(err, DecodeError::Io { .. }));
        assert!(err.to_string().contains("missing.png"), "{err}");

        let text = dir.join("notes.png");
        std::fs::write(&text, "not a picture").unwrap();
        let err = decode_file(&text).unwrap_err();
        assert!(matches!(err, DecodeError::NotAnImage { .. }), "{err}");
        assert!(err.to_string().contains("notes.png"), "{err}");

        let good = dir.join("member.png");
        render(MEMBER, 4).unwrap().save(&good).unwrap();
        assert_eq!(decode_file(&good).unwrap().texts, [MEMBER]);

        std::fs::remove_dir_all(&dir).ok();
    }
}
