//! Rectangles in frame pixels: where a code was (the region tried first on
//! the next frame), the crop around finder patterns rxing could not read,
//! and quarter turns of a frame (`kasse bench qr --rotate`).

use image::GrayImage;
use rxing::Point;

/// A rectangle in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// `img` turned clockwise by `degrees` (0, 90, 180 or 270; anything else
/// is 0): `kasse bench qr --rotate` and the superset test read every
/// folder at each quarter turn.
pub fn rotated(img: &GrayImage, degrees: u32) -> GrayImage {
    match degrees {
        90 => image::imageops::rotate90(img),
        180 => image::imageops::rotate180(img),
        270 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

/// The box around finder centres (empty → `None`); [`grown`] makes a crop
/// of it.
pub(super) fn bounding_box(points: &[Point]) -> Option<Region> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, 0f32, 0f32);
    for p in points {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    (x1 > x0 && y1 > y0 && x0 >= 0.0 && y0 >= 0.0).then_some(Region {
        x: x0 as u32,
        y: y0 as u32,
        w: (x1 - x0) as u32,
        h: (y1 - y0) as u32,
    })
}

/// `r` grown by half its size (plus a margin) on each side, within a
/// `w`×`h` frame: the finder centres' box becomes a box around the code.
pub(super) fn grown(r: Region, w: u32, h: u32) -> Region {
    let grow_x = r.w / 2 + 8;
    let grow_y = r.h / 2 + 8;
    let x = r.x.saturating_sub(grow_x);
    let y = r.y.saturating_sub(grow_y);
    let x1 = (r.x + r.w + grow_x).min(w);
    let y1 = (r.y + r.h + grow_y).min(h);
    Region {
        x,
        y,
        w: x1.saturating_sub(x),
        h: y1.saturating_sub(y),
    }
}

/// `r` moved by the corner of `by` (a crop's region back to the frame).
pub(super) fn offset(r: Region, by: Region) -> Region {
    Region {
        x: r.x + by.x,
        y: r.y + by.y,
        ..r
    }
}

/// `r` at twice the size (a half-size pass's region in the frame).
pub(super) fn scale2(r: Region) -> Region {
    Region {
        x: r.x * 2,
        y: r.y * 2,
        w: r.w * 2,
        h: r.h * 2,
    }
}
