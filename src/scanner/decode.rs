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

use image::{GrayImage, ImageReader};
use rqrr::PreparedImage;

use super::image_ops::{adaptive_threshold, double_size, half_size, inverted, stretch_contrast};
use super::panics::{PanicCounts, guarded};

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

/// The time left for a frame's later stages, and what an rqrr pass has
/// cost per pixel so far on this frame (a pass starts only when its
/// expected cost still fits).
#[derive(Debug)]
pub struct Budget {
    deadline: Option<Instant>,
    /// The most a finished pass cost, in nanoseconds per pixel.
    ns_per_px: f64,
    ran_out: bool,
    /// Print each pass to stderr (`kasse bench qr --trace`).
    pub trace: bool,
}

impl Budget {
    /// A budget that ends at `deadline`.
    pub fn new(deadline: Instant) -> Budget {
        Budget {
            deadline: Some(deadline),
            ns_per_px: 0.0,
            ran_out: false,
            trace: false,
        }
    }

    /// No limit: every pass runs.
    pub fn unlimited() -> Budget {
        Budget {
            deadline: None,
            ns_per_px: 0.0,
            ran_out: false,
            trace: false,
        }
    }

    /// Whether there is time left at all; remembers when there is not.
    pub fn left(&mut self) -> bool {
        self.fits(0)
    }

    /// Whether a pass over `pixels` is expected to end before the deadline.
    fn fits(&mut self, pixels: u64) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        let expected = Duration::from_nanos((self.ns_per_px * pixels as f64) as u64);
        let fits = Instant::now() + expected < deadline;
        self.ran_out |= !fits;
        fits
    }

    /// A pass over `pixels` took `took`.
    fn spent(&mut self, pixels: u64, took: Duration) {
        if pixels > 0 {
            self.ns_per_px = self.ns_per_px.max(took.as_nanos() as f64 / pixels as f64);
        }
    }

    /// Whether some stage or pass did not run for lack of time.
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
/// [`FramePipeline`](super::pipeline::FramePipeline)): a pass starts only
/// when it is expected to end in time. Never panics.
pub fn decode_gray_within(img: &GrayImage, budget: &mut Budget) -> DecodeOutcome {
    let mut outcome = DecodeOutcome::default();
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return outcome;
    }

    let large = w.max(h) > DOWNSCALE_ABOVE_PX;
    let area = u64::from(w) * u64::from(h);
    // Each pass with the pixels rqrr works on.
    let passes: [(u64, &dyn Fn() -> Option<Pass>); 6] = [
        (area / 4, &|| large.then(|| Pass::Grey(half_size(img)))),
        (area, &|| Some(Pass::Grey(img.clone()))),
        (area, &|| stretch_contrast(img).map(Pass::Grey)),
        (area, &|| Some(Pass::Grey(inverted(img)))),
        (area, &|| Some(Pass::Binary(adaptive_threshold(img)))),
        (area * 4, &|| {
            (!large).then(|| Pass::Binary(adaptive_threshold(&double_size(img))))
        }),
    ];
    for (pass_no, (pixels, pass)) in passes.into_iter().enumerate() {
        if !budget.fits(pixels) {
            outcome.gave_up = true;
            break;
        }
        let started = Instant::now();
        let Some(pass) = pass() else { continue };
        let texts = scan(&pass, &mut outcome.panics);
        budget.spent(pixels, started.elapsed());
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

fn scan(pass: &Pass, panics: &mut PanicCounts) -> Vec<String> {
    let prepared = guarded(|| match pass {
        Pass::Grey(img) => {
            let w = img.width() as usize;
            PreparedImage::prepare_from_greyscale(w, img.height() as usize, |x, y| {
                img.as_raw()[y * w + x]
            })
        }
        Pass::Binary(img) => {
            let w = img.width() as usize;
            PreparedImage::prepare_from_bitmap(w, img.height() as usize, |x, y| {
                img.as_raw()[y * w + x] == 0
            })
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
    fn adaptive_threshold_reads_a_code_under_a_light_gradient() {
        let img = render(MEMBER, 4).unwrap();
        let shaded = GrayImage::from_fn(img.width(), img.height(), |x, y| {
            let v = f32::from(img.get_pixel(x, y)[0]);
            let light = 0.25 + 0.75 * x as f32 / img.width() as f32;
            Luma([(v * light + 30.0 * light) as u8])
        });
        assert_eq!(texts(&shaded), [MEMBER]);
        let binary = adaptive_threshold(&shaded);
        let mut panics = PanicCounts::default();
        assert_eq!(scan(&Pass::Binary(binary), &mut panics), [MEMBER]);
        assert!(panics.is_empty());
    }
}
