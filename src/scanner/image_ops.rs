//! Pixel operations on greyscale frames, shared by the camera's pipeline
//! (rxing's binarisations) and the rqrr passes of `decode`: resizing, blur,
//! contrast, inversion and an adaptive threshold. No decoding here.

use image::GrayImage;

use super::clock::Clock;

/// How much darker than its surroundings (in grey levels, after a 3×3 mean) a
/// pixel must be to count as black in the adaptive pass: enough that sensor
/// noise in a flat area does not turn into speckle that glues onto the
/// finder patterns, small enough for a dim, low-contrast screen.
const ADAPTIVE_MARGIN: u64 = 12;

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
pub(crate) fn stretch_contrast(img: &GrayImage) -> Option<GrayImage> {
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
/// its whole grid) from drifting on small, blurred codes. Each output pixel
/// weighs its 2×2 source pixels by quarters per axis (edges repeated), in
/// integers, rounded half up. Looks at `clock` once per row.
pub(crate) fn double_size(img: &GrayImage, clock: &Clock) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return GrayImage::new(0, 0);
    }
    // Output coordinate 2k+1 sits a quarter past source k, 2k a quarter
    // before it (the first clamped to source 0): (first source, its weight
    // in quarters; the next source gets the rest).
    let taps = |n: usize| -> Vec<(usize, usize, u32)> {
        (0..2 * n)
            .map(|o| {
                let (k, odd) = (o / 2, o % 2 == 1);
                let (from, weight) = match (odd, k) {
                    (true, _) => (k, 3),
                    (false, 0) => (0, 4),
                    (false, _) => (k - 1, 1),
                };
                (from, (from + 1).min(n - 1), weight)
            })
            .collect()
    };
    let (xs, ys) = (taps(w), taps(h));
    let raw = img.as_raw();
    let mut out = vec![0u8; 4 * w * h];
    for (row, &(y0, y1, wy)) in out.chunks_exact_mut(2 * w).zip(&ys) {
        clock.check();
        let (top, bottom) = (&raw[y0 * w..][..w], &raw[y1 * w..][..w]);
        for (out, &(x0, x1, wx)) in row.iter_mut().zip(&xs) {
            let along = |line: &[u8]| wx * u32::from(line[x0]) + (4 - wx) * u32::from(line[x1]);
            *out = ((wy * along(top) + (4 - wy) * along(bottom) + 8) / 16) as u8;
        }
    }
    GrayImage::from_raw(2 * w as u32, 2 * h as u32, out).unwrap_or_default()
}

/// Light for dark: a light code on a dark screen becomes a dark one.
pub(crate) fn inverted(img: &GrayImage) -> GrayImage {
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
/// Looks at `clock` once per row.
pub(crate) fn adaptive_threshold(img: &GrayImage, clock: &Clock) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    // integral[(y+1)*(w+1) + (x+1)] = sum of pixels above and left of (x, y),
    // inclusive. u64: no overflow whatever the frame size.
    let stride = w + 1;
    let mut integral = vec![0u64; stride * (h + 1)];
    for (y, src) in raw.chunks_exact(w.max(1)).take(h).enumerate() {
        clock.check();
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
        clock.check();
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
    use image::Luma;

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
        let out = adaptive_threshold(&img, &Clock::unlimited());
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

    /// The bilinear double size as first written, in floats.
    fn double_size_in_floats(img: &GrayImage) -> GrayImage {
        let (w, h) = img.dimensions();
        let at = |x: u32, y: u32| f32::from(img.get_pixel(x.min(w - 1), y.min(h - 1))[0]);
        GrayImage::from_fn(w * 2, h * 2, |x, y| {
            let fx = ((x as f32 + 0.5) / 2.0 - 0.5).max(0.0);
            let fy = ((y as f32 + 0.5) / 2.0 - 0.5).max(0.0);
            let (x0, y0) = (fx as u32, fy as u32);
            let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
            let top = at(x0, y0) * (1.0 - tx) + at(x0 + 1, y0) * tx;
            let bottom = at(x0, y0 + 1) * (1.0 - tx) + at(x0 + 1, y0 + 1) * tx;
            Luma([(top * (1.0 - ty) + bottom * ty).round() as u8])
        })
    }

    #[test]
    fn double_size_in_integers_matches_bilinear_sampling_in_floats() {
        for (w, h) in [(7, 5), (64, 33), (1, 1), (2, 9), (1, 6)] {
            let img = speckled(w, h);
            assert_eq!(
                double_size(&img, &Clock::unlimited()),
                double_size_in_floats(&img),
                "{w}x{h}"
            );
        }
        assert_eq!(
            double_size(&GrayImage::new(0, 0), &Clock::unlimited()).dimensions(),
            (0, 0)
        );
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
