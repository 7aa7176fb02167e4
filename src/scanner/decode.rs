//! Image → QR texts, with rqrr.
//!
//! A frame goes through a few passes, cheapest first, and scanning stops at
//! the first pass that finds a code:
//!
//! 1. for a large frame (longest side over 1000 px), the frame at half size;
//! 2. the frame as it is;
//! 3. contrast stretched (dim, washed-out photos);
//! 4. inverted (a light code on a dark screen);
//! 5. binarised by an adaptive threshold (uneven light);
//! 6. the same at double size (small, blurred codes), for frames up to
//!    1000 px.
//!
//! rqrr 0.11 panics on some real photos (`assertion failed: x <= i32::MAX as
//! f64` in `Perspective::map`, upstream issue #54). Every rqrr call runs under
//! [`guarded`]: a panic is counted per kind in [`DecodeOutcome::panics`]
//! (the first of each kind logged as one line, no backtrace) and the scan
//! goes on with the next grid or pass.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::{GenericImage, GenericImageView, GrayImage, ImageReader, Luma};
use rqrr::PreparedImage;

use super::clock::Clock;
use super::image_ops::{adaptive_threshold, double_size, half_size, inverted, stretch_contrast};
use super::panics::{PanicCounts, guarded, guarded_in_time};

/// Frames with a longer side than this get a first pass at half size (and no
/// double-size pass).
const DOWNSCALE_ABOVE_PX: u32 = 1000;

/// What one frame held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeOutcome {
    /// Every distinct QR text found, in the order found (a frame may hold two
    /// codes). Empty when the frame holds no readable code.
    pub texts: Vec<String>,
    /// The decoder panics caught on this frame, per kind.
    pub panics: PanicCounts,
    /// Nothing was read and the frame's time budget ran out before every
    /// stage had run: the decoder gave the frame up (the next one comes
    /// soon).
    pub gave_up: bool,
}

/// The time left for a frame's later stages: a stage that cannot be cut
/// short starts only when its expected cost still fits
/// ([`Budget::fits_for`]); the rqrr passes run against the deadline itself
/// ([`Clock`]) and stop soon after it.
#[derive(Debug)]
pub struct Budget {
    deadline: Option<Instant>,
    ran_out: bool,
    /// Print each pass to stderr (`kasse bench qr --trace`).
    pub trace: bool,
}

impl Budget {
    /// A budget that ends at `deadline`.
    pub fn new(deadline: Instant) -> Budget {
        Budget {
            deadline: Some(deadline),
            ran_out: false,
            trace: false,
        }
    }

    /// No limit: every pass runs.
    pub fn unlimited() -> Budget {
        Budget {
            deadline: None,
            ran_out: false,
            trace: false,
        }
    }

    /// Whether there is time left at all; remembers when there is not.
    pub fn left(&mut self) -> bool {
        self.fits_for(Duration::ZERO)
    }

    /// Whether a step expected to take `expected` would end before the
    /// deadline; remembers when it would not.
    pub fn fits_for(&mut self, expected: Duration) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        let fits = Instant::now() + expected < deadline;
        self.ran_out |= !fits;
        fits
    }

    /// When the time is up (`None`: never).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether some stage or pass did not run (or was cut) for lack of
    /// time.
    pub fn ran_out(&self) -> bool {
        self.ran_out
    }
}

/// Why a file could not be scanned at all.
///
/// A missing or unreadable file is [`DecodeError::Io`]; a file that reads but
/// is not a PNG/JPEG we can decode is [`DecodeError::NotAnImage`]. A good
/// image with no readable code is not an error: it is `Ok` with no texts.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read image file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an image this till can read (PNG or JPEG): {source}", path.display())]
    NotAnImage {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}

/// Reads a PNG or JPEG file as a greyscale frame.
pub fn load_gray(path: &Path) -> Result<GrayImage, DecodeError> {
    let bytes = std::fs::read(path).map_err(|source| DecodeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let not_an_image = |source| DecodeError::NotAnImage {
        path: path.to_path_buf(),
        source,
    };
    let image = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| not_an_image(image::ImageError::IoError(e)))?
        .decode()
        .map_err(not_an_image)?;
    Ok(image.to_luma8())
}

/// Scans one greyscale frame for QR codes with rqrr and its preprocessing
/// passes alone, every pass (`kasse bench qr`'s rqrr column). Never panics.
pub fn decode_gray(img: &GrayImage) -> DecodeOutcome {
    decode_gray_within(img, &mut Budget::unlimited())
}

/// [`decode_gray`] within `budget` (the fallback stage of
/// [`FramePipeline`](super::pipeline::FramePipeline)): passes start while
/// there is time, and the one running at the deadline stops within a few
/// thousand pixel steps ([`Clock`]). Never panics.
pub fn decode_gray_within(img: &GrayImage, budget: &mut Budget) -> DecodeOutcome {
    let mut outcome = DecodeOutcome::default();
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return outcome;
    }

    let large = w.max(h) > DOWNSCALE_ABOVE_PX;
    let clock = Clock::until(budget.deadline);
    type MakePass<'a> = &'a dyn Fn(&Clock) -> Option<Pass>;
    let passes: [MakePass; 6] = [
        &|_| large.then(|| Pass::Grey(half_size(img))),
        &|_| Some(Pass::Grey(img.clone())),
        &|_| stretch_contrast(img).map(Pass::Grey),
        &|_| Some(Pass::Grey(inverted(img))),
        &|clock| Some(Pass::Binary(adaptive_threshold(img, clock))),
        &|clock| {
            (!large).then(|| Pass::Binary(adaptive_threshold(&double_size(img, clock), clock)))
        },
    ];
    for (pass_no, pass) in passes.into_iter().enumerate() {
        if !budget.left() {
            outcome.gave_up = true;
            break;
        }
        let started = Instant::now();
        let panics = &mut outcome.panics;
        let ran = guarded_in_time(|| pass(&clock).map(|pass| scan(pass, &clock, panics)));
        let texts = match ran {
            Ok(Some(Some(texts))) => texts,
            // Not a pass for this frame.
            Ok(Some(None)) => continue,
            Ok(None) => {
                budget.ran_out = true;
                outcome.gave_up = true;
                if budget.trace {
                    eprintln!("  rqrr pass {pass_no} on {w}×{h}: out of time");
                }
                break;
            }
            Err(panic) => {
                outcome.panics.add(&panic);
                Vec::new()
            }
        };
        if budget.trace {
            eprintln!(
                "  rqrr pass {pass_no} on {w}×{h}: {} in {:.2} ms",
                if texts.is_empty() { "nothing" } else { "read" },
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        if !texts.is_empty() {
            for text in texts {
                if !outcome.texts.contains(&text) {
                    outcome.texts.push(text);
                }
            }
            break;
        }
    }
    outcome
}

/// One version of the frame handed to rqrr.
enum Pass {
    /// rqrr thresholds it itself.
    Grey(GrayImage),
    /// Already black (0) and white (255); rqrr takes it as is.
    Binary(GrayImage),
}

/// rqrr's image: the frame and its clock, ticked on every pixel access
/// (rqrr takes any `image::GenericImage` of grey pixels), so each of rqrr's
/// steps stops soon after the deadline.
#[derive(Clone)]
struct TimedPixels<'c> {
    img: GrayImage,
    clock: &'c Clock,
}

impl GenericImageView for TimedPixels<'_> {
    type Pixel = Luma<u8>;

    fn dimensions(&self) -> (u32, u32) {
        self.img.dimensions()
    }

    fn get_pixel(&self, x: u32, y: u32) -> Luma<u8> {
        self.clock.tick();
        *self.img.get_pixel(x, y)
    }
}

impl GenericImage for TimedPixels<'_> {
    fn get_pixel_mut(&mut self, x: u32, y: u32) -> &mut Luma<u8> {
        self.clock.tick();
        self.img.get_pixel_mut(x, y)
    }

    fn put_pixel(&mut self, x: u32, y: u32, pixel: Luma<u8>) {
        self.clock.tick();
        self.img.put_pixel(x, y, pixel);
    }

    fn blend_pixel(&mut self, x: u32, y: u32, pixel: Luma<u8>) {
        self.put_pixel(x, y, pixel);
    }
}

/// One rqrr pass. Runs inside `guarded_in_time` when `clock` has a
/// deadline: past it, the pass unwinds.
fn scan(pass: Pass, clock: &Clock, panics: &mut PanicCounts) -> Vec<String> {
    let prepared = guarded(|| {
        let (mut img, binary) = match pass {
            Pass::Grey(img) => (img, false),
            Pass::Binary(img) => (img, true),
        };
        if binary {
            // rqrr's own colours: 1 black, 0 white.
            for p in img.iter_mut() {
                *p = u8::from(*p == 0);
            }
        }
        let buffer = TimedPixels { img, clock };
        if binary {
            PreparedImage::without_preparation(buffer)
        } else {
            PreparedImage::prepare(buffer)
        }
    });
    let mut prepared = match prepared {
        Ok(prepared) => prepared,
        Err(panic) => {
            panics.add(&panic);
            return Vec::new();
        }
    };

    let prepared = &mut prepared;
    // Moving the borrow into the closure makes it FnOnce, so the grids (which
    // borrow the prepared image) may leave it.
    let detect = move || {
        let prepared = prepared;
        prepared.detect_grids()
    };
    let grids = match guarded(detect) {
        Ok(grids) => grids,
        Err(panic) => {
            panics.add(&panic);
            return Vec::new();
        }
    };
    let mut texts = Vec::new();
    for grid in grids {
        // A grid that panics or does not decode is skipped; the others in
        // the same frame may still be good.
        match guarded(|| grid.decode()) {
            Ok(Ok((_meta, text))) => texts.push(text),
            Ok(Err(_)) => {}
            Err(panic) => panics.add(&panic),
        }
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qrgen::{Style, render, render_styled};
    use image::Luma;

    const MEMBER: &str = "SSN1.M.M-100001.1763884800.H0yCsvPYSIYwOGOjRYiKDcfIjssi2OkX5740NqlrcrXbtWXxAn-3JAhbXV_qMEpLDDJZt1PCgmhbn7c-9LmzDw";
    const COUPON: &str = "SSN1.C.M-100001.CP-2025-0042.KAFFE-STOR.1830297600.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn texts(img: &GrayImage) -> Vec<String> {
        decode_gray(img).texts
    }

    #[test]
    fn every_style_decodes() {
        for text in [MEMBER, COUPON, "7038010001234"] {
            for style in Style::ALL {
                for seed in [0, 1, 0xdead_beef] {
                    let img = render_styled(text, style, seed).unwrap();
                    assert_eq!(texts(&img), [text], "{style} seed {seed} for {text}");
                }
            }
        }
    }

    #[test]
    fn flat_render_decodes_at_small_and_large_modules() {
        for module_px in [2, 4, 12] {
            assert_eq!(texts(&render(MEMBER, module_px).unwrap()), [MEMBER]);
        }
    }

    #[test]
    fn large_frame_decodes_via_the_half_size_pass() {
        let img = render(COUPON, 24).unwrap();
        assert!(img.width() > DOWNSCALE_ABOVE_PX);
        assert_eq!(texts(&img), [COUPON]);
    }

    #[test]
    fn inverted_code_decodes() {
        let img = inverted(&render(MEMBER, 4).unwrap());
        // Embedded in a light frame, as a dark-mode phone screen would be.
        let mut frame = GrayImage::from_pixel(img.width() + 80, img.height() + 80, Luma([235]));
        image::imageops::replace(&mut frame, &img, 40, 40);
        assert_eq!(texts(&frame), [MEMBER]);
        assert_eq!(texts(&img), [MEMBER]);
    }

    #[test]
    fn two_codes_side_by_side_are_both_found() {
        let a = render(MEMBER, 4).unwrap();
        let b = render(COUPON, 4).unwrap();
        let mut frame = GrayImage::from_pixel(
            a.width() + b.width(),
            a.height().max(b.height()),
            Luma([255]),
        );
        image::imageops::replace(&mut frame, &a, 0, 0);
        image::imageops::replace(&mut frame, &b, i64::from(a.width()), 0);
        let mut found = texts(&frame);
        found.sort();
        assert_eq!(found, [COUPON, MEMBER]);
    }

    #[test]
    fn same_code_twice_is_reported_once() {
        let a = render(MEMBER, 4).unwrap();
        let mut frame = GrayImage::from_pixel(a.width() * 2, a.height(), Luma([255]));
        image::imageops::replace(&mut frame, &a, 0, 0);
        image::imageops::replace(&mut frame, &a, i64::from(a.width()), 0);
        assert_eq!(texts(&frame), [MEMBER]);
    }

    #[test]
    fn frames_without_a_code_find_nothing() {
        let frames = [
            GrayImage::from_pixel(640, 480, Luma([128])),
            GrayImage::from_fn(640, 480, |x, y| Luma([((x + y) / 5 % 256) as u8])),
            GrayImage::from_fn(300, 200, |x, _| {
                Luma([if x / 7 % 2 == 0 { 20 } else { 230 }])
            }),
        ];
        for frame in &frames {
            assert_eq!(decode_gray(frame), DecodeOutcome::default());
        }
    }

    #[test]
    fn tiny_and_empty_frames_never_panic() {
        for (w, h) in [
            (0, 0),
            (0, 10),
            (10, 0),
            (1, 1),
            (1, 500),
            (500, 1),
            (2, 2),
            (3, 7),
        ] {
            for v in [0, 255] {
                let outcome = decode_gray(&GrayImage::from_pixel(w, h, Luma([v])));
                assert_eq!(outcome, DecodeOutcome::default(), "{w}x{h}");
            }
        }
    }

    #[test]
    fn a_cropped_code_finds_nothing_and_does_not_panic() {
        let img = render(MEMBER, 4).unwrap();
        let crop = image::imageops::crop_imm(&img, 0, 0, img.width() / 2, img.height()).to_image();
        assert!(texts(&crop).is_empty());
    }

    #[test]
    fn an_rqrr_pass_past_its_deadline_stops_without_a_panic_counted() {
        let code = render(MEMBER, 4).unwrap();
        let unlimited = Clock::unlimited();
        let mut panics = PanicCounts::default();
        let pass = || Pass::Grey(code.clone());
        assert_eq!(scan(pass(), &unlimited, &mut panics), [MEMBER]);
        // A deadline already gone: rqrr's first few thousand pixel steps
        // end the pass, and so do the preprocessing passes' first rows.
        let gone = Clock::until(Instant::now().checked_sub(Duration::from_millis(1)));
        assert_eq!(
            guarded_in_time(|| scan(pass(), &gone, &mut panics)),
            Ok(None)
        );
        assert_eq!(
            guarded_in_time(|| adaptive_threshold(&code, &gone)),
            Ok(None)
        );
        assert_eq!(guarded_in_time(|| double_size(&code, &gone)), Ok(None));
        assert!(panics.is_empty(), "{panics}");
        // decode_gray_within gives the frame up rather than reading it late.
        let mut budget = Budget::new(Instant::now());
        let outcome = decode_gray_within(&code, &mut budget);
        assert!(outcome.texts.is_empty() && outcome.gave_up, "{outcome:?}");
        assert!(budget.ran_out());
    }

    #[test]
    fn adaptive_threshold_reads_a_code_under_a_light_gradient() {
        let img = render(MEMBER, 4).unwrap();
        let shaded = GrayImage::from_fn(img.width(), img.height(), |x, y| {
            let v = f32::from(img.get_pixel(x, y)[0]);
            let light = 0.25 + 0.75 * x as f32 / img.width() as f32;
            Luma([(v * light + 30.0 * light) as u8])
        });
        assert_eq!(texts(&shaded), [MEMBER]);
        let binary = adaptive_threshold(&shaded, &Clock::unlimited());
        let mut panics = PanicCounts::default();
        assert_eq!(
            scan(Pass::Binary(binary), &Clock::unlimited(), &mut panics),
            [MEMBER]
        );
        assert!(panics.is_empty());
    }
}
