//! Synthetic phone-screen frames: an app code as a webcam at the till sees
//! it on a phone — turned up to 30°, in perspective, out of focus, noisy,
//! with a glare band, moiré from the screen's pixel grid, low contrast, in a
//! dark or a bright room — at 640×480 or 1280×720. `kasse qr photos` writes
//! a set of them for `kasse bench qr`; the demo camera folder is made here
//! too.

use image::GrayImage;

use super::{Canvas, QrGenError, SplitMix64, blank, draw_code, encode, modules_with_quiet_zone};

/// What one frame shows; drawn from the seed by [`PhoneShot::random`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhoneShot {
    pub width: u32,
    pub height: u32,
    /// The code's side (quiet zone included) as a share of the frame height.
    pub code_share: f32,
    pub rotate_deg: f32,
    /// Perspective: how much the far edge shrinks, per axis (0 = flat on).
    pub tilt_x: f32,
    pub tilt_y: f32,
    /// Screen levels of the dark modules and the light background.
    pub dark: f32,
    pub light: f32,
    /// Surround level: near black (a dim canteen) or near white (a window).
    pub surround: f32,
    /// Focus blur, in modules.
    pub blur_modules: f32,
    pub noise: u32,
    /// Glare: brightness added at the centre of a soft diagonal band (0 = none).
    pub glare: f32,
    /// Moiré: relative amplitude of a beat pattern (0 = none).
    pub moire: f32,
}

impl PhoneShot {
    /// A random shot; even seeds are 640×480, odd ones 1280×720.
    pub fn random(seed: u64) -> PhoneShot {
        let mut rng = SplitMix64(seed ^ 0x0005_eed0_fa9e);
        let mut between = |lo: f32, hi: f32| lo + (hi - lo) * rng.unit();
        let (width, height) = if seed.is_multiple_of(2) {
            (640, 480)
        } else {
            (1280, 720)
        };
        let low_contrast = between(0.0, 1.0) < 0.3;
        let (dark, light) = if low_contrast {
            (between(60.0, 90.0), between(160.0, 200.0))
        } else {
            (between(10.0, 60.0), between(190.0, 250.0))
        };
        let bright_room = between(0.0, 1.0) < 0.35;
        let rotate_deg = between(-30.0, 30.0);
        let (tilt_x, tilt_y) = (between(-0.18, 0.18), between(-0.18, 0.18));
        // The turned, tilted code stays inside the frame (the phone is held
        // to the camera, not half out of view).
        let (sin, cos) = rotate_deg.to_radians().sin_cos();
        let fits = 0.86 / ((sin.abs() + cos.abs()) * (1.0 + tilt_x.abs().max(tilt_y.abs())));
        PhoneShot {
            width,
            height,
            code_share: between(0.42, 0.75).min(fits),
            rotate_deg,
            tilt_x,
            tilt_y,
            dark,
            light,
            surround: if bright_room {
                between(200.0, 245.0)
            } else {
                between(8.0, 45.0)
            },
            blur_modules: between(0.05, 0.25),
            noise: between(3.0, 18.0) as u32,
            glare: if between(0.0, 1.0) < 0.45 {
                between(30.0, 90.0)
            } else {
                0.0
            },
            moire: if between(0.0, 1.0) < 0.4 {
                between(0.03, 0.10)
            } else {
                0.0
            },
        }
    }
}

/// Draws `text` as the phone in `shot` shows it; `seed` drives the noise and
/// where glare and moiré fall.
pub fn phone_frame(text: &str, shot: &PhoneShot, seed: u64) -> Result<GrayImage, QrGenError> {
    let code = encode(text)?;
    let modules = modules_with_quiet_zone(&code);
    let mut rng = SplitMix64(seed);
    let (w, h) = (shot.width, shot.height);
    let side_px = shot.code_share * h as f32;
    // Draw the screen at a module size of at least 4 px, then let the warp
    // scale it to the frame: that keeps the modules' edges smooth.
    let module_px = ((side_px / modules as f32).ceil() as u32).max(4);
    let code_img = draw_code(&code, module_px, shot.dark as u8, shot.light as u8);
    // The screen around the code (the app's white card) and the phone's black bezel.
    let card = Canvas::from_gray(&code_img).padded(module_px * 3, shot.light);
    let phone = card.padded(module_px * 2, 12.0);
    let (pw, ph) = (phone.w as f32, phone.h as f32);
    let scale = side_px / (modules * module_px) as f32;

    let mut out = Canvas::filled(w, h, shot.surround);
    // Uneven room light on the surround.
    for y in 0..h {
        for x in 0..w {
            let shade = 1.0 - 0.25 * (x as f32 / w as f32) * rng_free_wave(y, h);
            out.set(x, y, shot.surround * shade);
        }
    }
    // Off centre, as far as the code still fits in the frame.
    let (sin, cos) = shot.rotate_deg.to_radians().sin_cos();
    let reach = side_px * (sin.abs() + cos.abs()) / 2.0 * 1.1;
    let room_x = (w as f32 / 2.0 - reach).max(0.0);
    let room_y = (h as f32 / 2.0 - reach).max(0.0);
    let (cx, cy) = (
        w as f32 / 2.0 + (rng.unit() - 0.5) * 2.0 * room_x.min(0.2 * w as f32),
        h as f32 / 2.0 + (rng.unit() - 0.5) * 2.0 * room_y,
    );
    let (kx, ky) = (shot.tilt_x / side_px, shot.tilt_y / side_px);
    out.warp_from(&phone, |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        let (rx, ry) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        // A projective map: the far side of the tilted phone looks smaller.
        let den = 1.0 - kx * rx - ky * ry;
        if den < 0.2 {
            return None;
        }
        Some((rx / den / scale + pw / 2.0, ry / den / scale + ph / 2.0))
    });

    out.blur((shot.blur_modules * module_px as f32 * scale).max(0.6));

    if shot.moire > 0.0 {
        // Two gratings a few percent apart in frequency: the beat is the
        // slow banding a camera sees on an LCD.
        let angle = rng.unit() * std::f32::consts::PI;
        let (s, c) = angle.sin_cos();
        let period = 2.2 + rng.unit() * 2.0;
        let f1 = std::f32::consts::TAU / period;
        let f2 = f1 * (1.03 + rng.unit() * 0.04);
        for y in 0..h {
            for x in 0..w {
                let t = x as f32 * c + y as f32 * s;
                let wave = (f1 * t).sin() * (f2 * t).sin();
                let v = out.get(x, y) * (1.0 + shot.moire * wave);
                out.set(x, y, v);
            }
        }
    }

    if shot.glare > 0.0 {
        // A soft diagonal band through a random point near the code.
        let angle = rng.unit() * std::f32::consts::PI;
        let (s, c) = angle.sin_cos();
        let (gx, gy) = (
            cx + (rng.unit() - 0.5) * side_px,
            cy + (rng.unit() - 0.5) * side_px,
        );
        let width = (0.05 + rng.unit() * 0.1) * w as f32;
        for y in 0..h {
            for x in 0..w {
                let d = (x as f32 - gx) * c + (y as f32 - gy) * s;
                let g = shot.glare * (-(d * d) / (2.0 * width * width)).exp();
                let v = out.get(x, y) + g;
                out.set(x, y, v.min(255.0));
            }
        }
    }

    out.add_noise(&mut rng, shot.noise);
    Ok(out.to_gray())
}

/// A slow vertical variation of the room light, 0.5–1.
fn rng_free_wave(y: u32, h: u32) -> f32 {
    0.75 + 0.25 * (y as f32 / h as f32 * std::f32::consts::PI).cos()
}

/// The demo camera: `blanks` frames without a code, then each text in turn
/// on a phone for `frames_each` frames, each followed by `blanks` empty
/// frames (the phone taken away), all 640×480. Returns (file stem, frame).
pub fn camera_demo(
    texts: &[&str],
    blanks: usize,
    frames_each: usize,
) -> Result<Vec<(String, GrayImage)>, QrGenError> {
    let mut frames = Vec::new();
    let mut n = 0usize;
    let mut push = |frames: &mut Vec<(String, GrayImage)>, what: &str, img: GrayImage| {
        frames.push((format!("{n:03}-{what}"), img));
        n += 1;
    };
    for i in 0..blanks {
        push(&mut frames, "empty", blank(100 + i as u64));
    }
    for (t, text) in texts.iter().enumerate() {
        for f in 0..frames_each {
            // The phone moves a little between frames: a few degrees.
            let shot = PhoneShot {
                width: 640,
                height: 480,
                code_share: 0.62 + 0.02 * f as f32,
                rotate_deg: -6.0 + 3.0 * f as f32,
                tilt_x: 0.06,
                tilt_y: -0.04,
                dark: 25.0,
                light: 225.0,
                surround: 30.0,
                blur_modules: 0.12,
                noise: 4,
                glare: 0.0,
                moire: 0.0,
            };
            let img = phone_frame(text, &shot, (t * 100 + f) as u64)?;
            push(&mut frames, "code", img);
        }
        for i in 0..blanks {
            push(&mut frames, "empty", blank(200 + (t * 10 + i) as u64));
        }
    }
    Ok(frames)
}

/// Writes `image` as a JPEG (quality 85, as a webcam's MJPEG) to `path`.
pub fn write_jpeg(image: &GrayImage, path: &std::path::Path) -> Result<(), QrGenError> {
    let bytes = super::encode_image(image, super::FileFormat::Jpeg).map_err(|source| {
        QrGenError::EncodeImage {
            path: path.to_path_buf(),
            source,
        }
    })?;
    std::fs::write(path, bytes).map_err(|source| QrGenError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a labelled set for `kasse bench qr`: for each text `i`,
/// `phone-NNN-WxH.jpg` drawn from `PhoneShot::random(seed + i)` and
/// `phone-NNN-WxH.txt` holding the text. Returns the image paths.
pub fn write_photo_set(
    texts: &[String],
    seed: u64,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, QrGenError> {
    std::fs::create_dir_all(out_dir).map_err(|source| QrGenError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let shot_seed = seed.wrapping_add(i as u64);
        let shot = PhoneShot::random(shot_seed);
        let img = phone_frame(text, &shot, shot_seed)?;
        let stem = format!("phone-{i:03}-{}x{}", shot.width, shot.height);
        let path = out_dir.join(format!("{stem}.jpg"));
        write_jpeg(&img, &path)?;
        let label = out_dir.join(format!("{stem}.txt"));
        std::fs::write(&label, format!("{text}\n")).map_err(|source| QrGenError::Write {
            path: label.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
