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
//! `catch_unwind`; a panic is counted in [`DecodeOutcome::panics`] and the
//! scan goes on with the next grid or pass. No panic hook is installed (the
//! hook is process-wide), so the panic message still shows on stderr.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use image::{GrayImage, ImageReader, Luma};
use rqrr::PreparedImage;

/// How much darker than its surroundings (in grey levels, after a 3×3 mean) a
/// pixel must be to count as black in the adaptive pass: enough that sensor
/// noise in a flat area does not turn into speckle that glues onto the
/// finder patterns, small enough for a dim, low-contrast screen.
const ADAPTIVE_MARGIN: u64 = 12;

/// Frames with a longer side than this get a first pass at half size (and no
/// double-size pass).
const DOWNSCALE_ABOVE_PX: u32 = 1000;

/// What one frame held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeOutcome {
    /// Every distinct QR text found, in the order found (a frame may hold two
    /// codes). Empty when the frame holds no readable code.
    pub texts: Vec<String>,
    /// How many times rqrr panicked on this frame (each panic was caught).
    pub panics: u32,
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

/// Reads `path` and scans it with the camera's pipeline
/// ([`FramePipeline`](super::pipeline::FramePipeline)).
pub fn decode_file(path: &Path) -> Result<DecodeOutcome, DecodeError> {
    Ok(super::pipeline::FramePipeline::new().decode(&load_gray(path)?))
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
/// passes alone (the fallback stage of [`FramePipeline`]). Never panics.
pub fn decode_gray(img: &GrayImage) -> DecodeOutcome {
    let mut outcome = DecodeOutcome::default();
    if img.width() == 0 || img.height() == 0 {
        return outcome;
    }

    let large = img.width().max(img.height()) > DOWNSCALE_ABOVE_PX;
    let passes: [&dyn Fn() -> Option<Pass>; 6] = [
        &|| large.then(|| Pass::Grey(half_size(img))),
        &|| Some(Pass::Grey(img.clone())),
        &|| stretch_contrast(img).map(Pass::Grey),
        &|| Some(Pass::Grey(inverted(img))),
        &|| Some(Pass::Binary(adaptive_threshold(img))),
        &|| (!large).then(|| Pass::Binary(adaptive_threshold(&double_size(img)))),
    ];
    for pass in passes {
        let Some(pass) = pass() else { continue };
        let texts = scan(&pass, &mut outcome.panics);
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

fn scan(pass: &Pass, panics: &mut u32) -> Vec<String> {
    let prepared = catch_unwind(|| match pass {
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
    let Ok(mut prepared) = prepared else {
        *panics += 1;
        return Vec::new();
    };

    let prepared = &mut prepared;
    // Moving the borrow into the closure makes it FnOnce, so the grids (which
    // borrow the prepared image) may leave it.
    let detect = move || {
        let prepared = prepared;
        prepared.detect_grids()
    };
    let Ok(grids) = catch_unwind(AssertUnwindSafe(detect)) else {
        *panics += 1;
        return Vec::new();
    };
    let mut texts = Vec::new();
    for grid in grids {
        // A grid that panics or does not decode is skipped; the others in
        // the same frame may still be good.
        match catch_unwind(AssertUnwindSafe(|| grid.decode())) {
            Ok(Ok((_meta, text))) => texts.push(text),
            Ok(Err(_)) => {}
            Err(_) => *panics += 1,
        }
    }
    texts
}

/// Half size by averaging 2×2 blocks (a box filter keeps thin modules). An
/// odd last row or column is paired with itself.
pub(crate) fn half_size(img: &GrayImage) -> GrayImage {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (w, h) = ((sw / 2).max(1), (sh / 2).max(1));
    if sw == 0 || sh == 0 {
        return GrayImage::new(0, 0);
    }
    let raw = img.as_raw();
    let mut out = vec![0u8; w * h];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let top = &raw[(2 * y).min(sh - 1) * sw..][..sw];
        let bottom = &raw[(2 * y + 1).min(sh - 1) * sw..][..sw];
        for (x, out) in row.iter_mut().enumerate() {
            let (x0, x1) = (2 * x, (2 * x + 1).min(sw - 1));
            let sum = u32::from(top[x0])
                + u32::from(top[x1])
                + u32::from(bottom[x0])
                + u32::from(bottom[x1]);
            *out = ((sum + 2) / 4) as u8;
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_default()
}

/// A 3×3 box blur (mean of each pixel's neighbourhood, edges repeated).
pub(crate) fn box_blur(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return img.clone();
    }
    let raw = img.as_raw();
    // Sums of three pixels along each row, then of three such sums down.
    let mut rows = vec![0u16; w * h];
    for (src, out) in raw.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        for (x, out) in out.iter_mut().enumerate() {
            let (left, right) = (src[x.saturating_sub(1)], src[(x + 1).min(w - 1)]);
            *out = u16::from(left) + u16::from(src[x]) + u16::from(right);
        }
    }
    let mut out = vec![0u8; w * h];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let line = |y: usize| &rows[y * w..(y + 1) * w];
        let (above, here, below) = (line(y.saturating_sub(1)), line(y), line((y + 1).min(h - 1)));
        for (x, out) in row.iter_mut().enumerate() {
            let sum = u32::from(above[x]) + u32::from(here[x]) + u32::from(below[x]);
            *out = ((sum + 4) / 9) as u8;
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_default()
}

/// Stretches the 1st–99th percentile of grey levels to 0–255. `None` when the
/// frame is (almost) one flat level, where stretching would only amplify noise.
fn stretch_contrast(img: &GrayImage) -> Option<GrayImage> {
    let mut histogram = [0u64; 256];
    for p in img.pixels() {
        histogram[usize::from(p[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let cut = total / 100;
    let level_at = |target: u64| {
        let mut seen = 0;
        histogram
            .iter()
            .position(|&n| {
                seen += n;
                seen > target
            })
            .unwrap_or(255)
    };
    let (lo, hi) = (level_at(cut), level_at(total - cut - 1));
    if hi <= lo + 8 {
        return None;
    }
    let (lo, span) = (lo as u32, (hi - lo) as u32);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        let v = u32::from(p[0]).saturating_sub(lo) * 255 / span;
        p[0] = v.min(255) as u8;
    }
    Some(out)
}

/// Double size with bilinear sampling: the threshold then places module
/// edges to half a pixel, which keeps rqrr's finder-corner estimate (and so
/// its whole grid) from drifting on small, blurred codes.
fn double_size(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let at = |x: u32, y: u32| f32::from(img.get_pixel(x.min(w - 1), y.min(h - 1))[0]);
    GrayImage::from_fn(w * 2, h * 2, |x, y| {
        // Centre of the output pixel in source pixel coordinates.
        let fx = ((x as f32 + 0.5) / 2.0 - 0.5).max(0.0);
        let fy = ((y as f32 + 0.5) / 2.0 - 0.5).max(0.0);
        let (x0, y0) = (fx as u32, fy as u32);
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let top = at(x0, y0) * (1.0 - tx) + at(x0 + 1, y0) * tx;
        let bottom = at(x0, y0 + 1) * (1.0 - tx) + at(x0 + 1, y0 + 1) * tx;
        Luma([(top * (1.0 - ty) + bottom * ty).round() as u8])
    })
}

fn inverted(img: &GrayImage) -> GrayImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p[0] = 255 - p[0];
    }
    out
}

/// Black (0) where a pixel's 3×3 neighbourhood is darker than the mean of a
/// larger window around it (about 1/16 of the frame) by a small margin,
/// white (255) elsewhere. Both means come from one integral image; the 3×3
/// mean keeps sensor noise from fraying the module edges. About 1 ms for a
/// 640×360 frame (release), so the camera pipeline can afford it per frame.
pub(crate) fn adaptive_threshold(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    // integral[(y+1)*(w+1) + (x+1)] = sum of pixels above and left of (x, y),
    // inclusive. u64: no overflow whatever the frame size.
    let stride = w + 1;
    let mut integral = vec![0u64; stride * (h + 1)];
    for (y, src) in raw.chunks_exact(w.max(1)).take(h).enumerate() {
        let (above, here) = integral.split_at_mut((y + 1) * stride);
        let above = &above[y * stride..];
        let mut row = 0u64;
        for (x, &v) in src.iter().enumerate() {
            row += u64::from(v);
            here[x + 1] = above[x + 1] + row;
        }
    }
    let radius = (w.max(h) / 32).max(15);
    let mut out = vec![255u8; w * h];
    for (y, row) in out.chunks_exact_mut(w.max(1)).take(h).enumerate() {
        // The rows of the integral image that bound both windows.
        let line = |y: usize| &integral[y * stride..(y + 1) * stride];
        let (ly0, ly1) = (y.saturating_sub(1), (y + 2).min(h));
        let (ay0, ay1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        let (l0, l1, a0, a1) = (line(ly0), line(ly1), line(ay0), line(ay1));
        for (x, out) in row.iter_mut().enumerate() {
            let (lx0, lx1) = (x.saturating_sub(1), (x + 2).min(w));
            let (ax0, ax1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let local = l1[lx1] + l0[lx0] - l0[lx1] - l1[lx0];
            let n_local = ((lx1 - lx0) * (ly1 - ly0)) as u64;
            let around = a1[ax1] + a0[ax0] - a0[ax1] - a1[ax0];
            let n_around = ((ax1 - ax0) * (ay1 - ay0)) as u64;
            // local/n_local + margin < around/n_around, in integers.
            if (local + ADAPTIVE_MARGIN * n_local) * n_around < around * n_local {
                *out = 0;
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qrgen::{Style, render, render_styled};

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
        let mut panics = 0;
        assert_eq!(scan(&Pass::Binary(binary), &mut panics), [MEMBER]);
        assert_eq!(panics, 0);
    }

    /// A noisy test frame of odd size (pseudo-random, fixed seed).
    fn speckled(w: u32, h: u32) -> GrayImage {
        let mut state = 0x2545_f491_u32;
        GrayImage::from_fn(w, h, |x, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            Luma([((state >> 24) as u8 / 2).wrapping_add((x * 3) as u8 / 2)])
        })
    }

    #[test]
    fn half_size_averages_each_2x2_block_and_pairs_an_odd_edge_with_itself() {
        for (w, h) in [(7, 5), (64, 33), (1, 1), (2, 9)] {
            let img = speckled(w, h);
            let half = half_size(&img);
            assert_eq!(half.dimensions(), ((w / 2).max(1), (h / 2).max(1)));
            for (x, y, p) in half.enumerate_pixels() {
                let at = |dx: u32, dy: u32| {
                    u32::from(img.get_pixel((2 * x + dx).min(w - 1), (2 * y + dy).min(h - 1))[0])
                };
                let sum = at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1);
                assert_eq!(u32::from(p[0]), (sum + 2) / 4, "{w}x{h} at {x},{y}");
            }
        }
    }

    #[test]
    fn adaptive_threshold_matches_the_window_means_pixel_by_pixel() {
        let img = speckled(97, 61);
        let out = adaptive_threshold(&img);
        let (w, h) = (97i64, 61i64);
        let radius = 15i64;
        let mean = |cx: i64, cy: i64, r: i64| {
            let (mut sum, mut n) = (0f64, 0f64);
            for y in (cy - r).max(0)..(cy + r + 1).min(h) {
                for x in (cx - r).max(0)..(cx + r + 1).min(w) {
                    sum += f64::from(img.get_pixel(x as u32, y as u32)[0]);
                    n += 1.0;
                }
            }
            sum / n
        };
        let mut black = 0;
        for (x, y, p) in out.enumerate_pixels() {
            let (x, y) = (i64::from(x), i64::from(y));
            let expect_black = mean(x, y, 1) + (ADAPTIVE_MARGIN as f64) < mean(x, y, radius);
            assert_eq!(p[0] == 0, expect_black, "at {x},{y}");
            assert!(p[0] == 0 || p[0] == 255);
            black += usize::from(expect_black);
        }
        // The frame is noisy enough that both colours occur.
        assert!(black > 100 && black < 97 * 61 - 100, "{black}");
    }

    #[test]
    fn box_blur_is_the_mean_of_each_3x3_neighbourhood_with_edges_repeated() {
        for (w, h) in [(9, 7), (1, 1), (1, 4), (5, 1)] {
            let img = speckled(w, h);
            let blurred = box_blur(&img);
            for (x, y, p) in blurred.enumerate_pixels() {
                let mut sum = 0u32;
                for dy in [-1i64, 0, 1] {
                    for dx in [-1i64, 0, 1] {
                        let sx = (i64::from(x) + dx).clamp(0, i64::from(w) - 1) as u32;
                        let sy = (i64::from(y) + dy).clamp(0, i64::from(h) - 1) as u32;
                        sum += u32::from(img.get_pixel(sx, sy)[0]);
                    }
                }
                assert_eq!(u32::from(p[0]), (sum + 4) / 9, "{w}x{h} at {x},{y}");
            }
        }
    }
}
