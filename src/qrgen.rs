//! Signed app codes → QR images: flat ones for printing and screens, and
//! "photographed-looking" ones (rotated, blurred, noisy, dark surround,
//! perspective) so the scanner can be tested offline without a camera.
//!
//! Everything here is deterministic: the same text, style and seed give the
//! same pixels, so regenerating the fixtures gives identical files.

pub mod phone;

use std::collections::HashSet;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{GrayImage, ImageEncoder, Luma};
use qrcode::bits::Bits;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode, Version};
use serde::Deserialize;

/// Most bytes a byte-mode QR code holds at error-correction level M (version 40).
pub const MAX_TEXT_BYTES: usize = 2331;

/// Quiet zone around the code, in modules (the standard asks for 4).
const QUIET_ZONE: u32 = 4;

/// Largest image side `render` will produce, to keep a typo in `module_px`
/// from allocating gigabytes.
const MAX_SIDE_PX: u32 = 16_384;

/// JPEG quality for `.jpg` fixtures.
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, thiserror::Error)]
pub enum QrGenError {
    #[error(
        "text is {len} bytes, more than a QR code holds at error-correction level M \
         ({MAX_TEXT_BYTES} bytes); shorten the text"
    )]
    TooLong { len: usize },
    #[error("could not encode the text as a QR code: {0}")]
    Encode(QrError),
    #[error("module size must be at least 1 pixel (got 0)")]
    ZeroModuleSize,
    #[error(
        "a {modules}-module code at {module_px} px per module would be wider than \
         {MAX_SIDE_PX} px; use a smaller module size"
    )]
    TooLarge { modules: u32, module_px: u32 },
    #[error("unknown QR style `{0}`; expected one of: flat, rotated, blurred, noisy, dark, photo")]
    UnknownStyle(String),
    #[error("fixture manifest is not valid TOML in the expected format: {0}")]
    Manifest(#[from] toml::de::Error),
    #[error("fixture `{file}`: {reason}")]
    BadEntry { file: String, reason: String },
    #[error("fixture `{file}`: {source}")]
    Fixture {
        file: String,
        #[source]
        source: Box<QrGenError>,
    },
    #[error("could not create the output folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not encode image {}: {source}", path.display())]
    EncodeImage {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How a styled code looks, from a clean print to a phone photographed in a
/// dim canteen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Style {
    /// Black on white, nothing else.
    #[default]
    Flat,
    /// Turned about 17° on a light grey background.
    Rotated,
    /// Blurred by about a third of a module.
    Blurred,
    /// Pixel noise of ±40 levels.
    Noisy,
    /// A phone screen (grey-white code) in a near-black surround.
    Dark,
    /// Dark surround, turned 12°, mild perspective and skew, blur, noise and
    /// low contrast: what a cheap webcam sees.
    Photo,
}

impl Style {
    pub const ALL: [Style; 6] = [
        Style::Flat,
        Style::Rotated,
        Style::Blurred,
        Style::Noisy,
        Style::Dark,
        Style::Photo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Style::Flat => "flat",
            Style::Rotated => "rotated",
            Style::Blurred => "blurred",
            Style::Noisy => "noisy",
            Style::Dark => "dark",
            Style::Photo => "photo",
        }
    }
}

impl FromStr for Style {
    type Err = QrGenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Style::ALL
            .into_iter()
            .find(|style| style.as_str() == s)
            .ok_or_else(|| QrGenError::UnknownStyle(s.to_owned()))
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Renders `text` as a byte-mode QR code (error-correction level M), black
/// modules on white, with a 4-module quiet zone, `module_px` pixels per module.
pub fn render(text: &str, module_px: u32) -> Result<GrayImage, QrGenError> {
    if module_px == 0 {
        return Err(QrGenError::ZeroModuleSize);
    }
    let code = encode(text)?;
    check_size(&code, module_px)?;
    Ok(draw_code(&code, module_px, 0, 255))
}

/// Renders `text` so it looks like `style`; `seed` drives the noise, so the
/// same inputs always give the same pixels. Flat, blurred and noisy codes are
/// about 360 px wide, rotated ones a little bigger; dark and photo frames are
/// 640×480 like a webcam's.
pub fn render_styled(text: &str, style: Style, seed: u64) -> Result<GrayImage, QrGenError> {
    let code = encode(text)?;
    let modules = modules_with_quiet_zone(&code);
    let mut rng = SplitMix64(seed);
    let image = match style {
        Style::Flat => draw_code(&code, module_px_for(modules, 360, 8), 0, 255),
        Style::Rotated => {
            let src = Canvas::from_gray(&draw_code(&code, module_px_for(modules, 360, 8), 0, 255));
            rotated(&src, 17.0, 200.0).to_gray()
        }
        Style::Blurred => {
            let module_px = module_px_for(modules, 360, 8);
            let src = Canvas::from_gray(&draw_code(&code, module_px, 0, 255));
            // A margin of the same white, so the blur does not eat the quiet zone.
            let mut c = src.padded(module_px * 2, 255.0);
            c.blur(module_px as f32 / 3.0);
            c.to_gray()
        }
        Style::Noisy => {
            let mut c =
                Canvas::from_gray(&draw_code(&code, module_px_for(modules, 360, 8), 0, 255));
            c.add_noise(&mut rng, 40);
            c.to_gray()
        }
        Style::Dark => {
            let src = draw_code(&code, module_px_for(modules, 400, 8), 30, 228);
            let mut c = Canvas::filled(640, 480, 16.0);
            c.paste_centered(&Canvas::from_gray(&src));
            c.to_gray()
        }
        Style::Photo => photo(&code, modules, &mut rng).to_gray(),
    };
    Ok(image)
}

/// Reads a fixture manifest (such as `fixtures/qr/codes.toml`) and writes
/// every image it lists into `out_dir`, creating the folder if needed. Each
/// file's noise seed comes from its name, so regenerating gives identical
/// bytes. Returns the written paths, codes first, in manifest order. Nothing
/// is written when any entry is bad.
///
/// ```toml
/// [[code]]
/// file = "member-ola.png"   # .png, or .jpg/.jpeg (JPEG quality 85)
/// text = "SSN1.M.…"
/// style = "flat"            # optional, default flat
///
/// [[blank]]
/// file = "no-code.png"      # an image with no QR code in it
/// ```
///
/// Keys this function does not know are ignored, so the manifest can carry
/// notes for other tools (such as the expected scan result).
pub fn render_fixture_set(manifest_toml: &str, out_dir: &Path) -> Result<Vec<PathBuf>, QrGenError> {
    let manifest: Manifest = toml::from_str(manifest_toml)?;

    // Check every entry before writing anything, so a bad manifest leaves the
    // folder untouched.
    let mut seen = HashSet::new();
    let mut jobs = Vec::new();
    for entry in &manifest.code {
        let format = check_file_name(&entry.file, &mut seen)?;
        let style = match &entry.style {
            Some(name) => name.parse::<Style>().map_err(|e| wrap(&entry.file, e))?,
            None => Style::Flat,
        };
        // Encode now so a too-long text is reported before any file is written.
        encode(&entry.text).map_err(|e| wrap(&entry.file, e))?;
        jobs.push((
            entry.file.as_str(),
            format,
            Some((entry.text.as_str(), style)),
        ));
    }
    for entry in &manifest.blank {
        let format = check_file_name(&entry.file, &mut seen)?;
        jobs.push((entry.file.as_str(), format, None));
    }

    std::fs::create_dir_all(out_dir).map_err(|source| QrGenError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;

    let mut written = Vec::with_capacity(jobs.len());
    for (file, format, code) in jobs {
        let seed = seed_for(file);
        let image = match code {
            Some((text, style)) => render_styled(text, style, seed).map_err(|e| wrap(file, e))?,
            None => blank(seed),
        };
        let path = out_dir.join(file);
        let bytes = encode_image(&image, format).map_err(|source| QrGenError::EncodeImage {
            path: path.clone(),
            source,
        })?;
        std::fs::write(&path, bytes).map_err(|source| QrGenError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------
// Manifest

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    code: Vec<CodeEntry>,
    #[serde(default)]
    blank: Vec<BlankEntry>,
}

#[derive(Debug, Deserialize)]
struct CodeEntry {
    file: String,
    text: String,
    style: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BlankEntry {
    file: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Png,
    Jpeg,
}

fn wrap(file: &str, source: QrGenError) -> QrGenError {
    QrGenError::Fixture {
        file: file.to_owned(),
        source: Box::new(source),
    }
}

fn check_file_name<'a>(
    file: &'a str,
    seen: &mut HashSet<&'a str>,
) -> Result<FileFormat, QrGenError> {
    let bad = |reason: &str| QrGenError::BadEntry {
        file: file.to_owned(),
        reason: reason.to_owned(),
    };
    let plain = !file.is_empty()
        && !file.starts_with('.')
        && !file.contains(['/', '\\'])
        && Path::new(file).file_name().is_some_and(|name| name == file);
    if !plain {
        return Err(bad(
            "`file` must be a plain file name inside the output folder, with no folders or `..`",
        ));
    }
    let ext = Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match ext.as_deref() {
        Some("png") => FileFormat::Png,
        Some("jpg" | "jpeg") => FileFormat::Jpeg,
        _ => return Err(bad("`file` must end in .png, .jpg or .jpeg")),
    };
    if !seen.insert(file) {
        return Err(bad("listed more than once in the manifest"));
    }
    Ok(format)
}

/// FNV-1a of the file name: a stable seed, so one fixture's noise does not
/// change when others are added to the manifest.
fn seed_for(file: &str) -> u64 {
    file.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn encode_image(image: &GrayImage, format: FileFormat) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Cursor::new(Vec::new());
    let (w, h) = image.dimensions();
    match format {
        FileFormat::Png => PngEncoder::new(&mut out).write_image(
            image.as_raw(),
            w,
            h,
            image::ExtendedColorType::L8,
        )?,
        FileFormat::Jpeg => JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            image.as_raw(),
            w,
            h,
            image::ExtendedColorType::L8,
        )?,
    }
    Ok(out.into_inner())
}

// ---------------------------------------------------------------------------
// Encoding and drawing

/// Byte mode always (the app codes are ASCII and the spec says byte mode), in
/// the smallest version that holds the text at level M.
fn encode(text: &str) -> Result<QrCode, QrGenError> {
    let data = text.as_bytes();
    if data.len() > MAX_TEXT_BYTES {
        return Err(QrGenError::TooLong { len: data.len() });
    }
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        let fits = bits
            .push_byte_data(data)
            .and_then(|()| bits.push_terminator(EcLevel::M));
        match fits {
            Ok(()) => return QrCode::with_bits(bits, EcLevel::M).map_err(QrGenError::Encode),
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(QrGenError::Encode(e)),
        }
    }
    Err(QrGenError::TooLong { len: data.len() })
}

fn modules_with_quiet_zone(code: &QrCode) -> u32 {
    // A QR code is at most 177 modules wide, so this never truncates.
    code.width() as u32 + 2 * QUIET_ZONE
}

/// The module size that makes the code about `target_px` wide, at least 2 px.
fn module_px_for(modules: u32, target_px: u32, max_px: u32) -> u32 {
    (target_px / modules.max(1)).clamp(2, max_px)
}

fn draw_code(code: &QrCode, module_px: u32, dark: u8, light: u8) -> GrayImage {
    let width = code.width();
    let modules = modules_with_quiet_zone(code);
    let side = modules.saturating_mul(module_px);
    let colors = code.to_colors();
    GrayImage::from_fn(side, side, |x, y| {
        let mx = (x / module_px) as usize;
        let my = (y / module_px) as usize;
        let q = QUIET_ZONE as usize;
        let is_dark = mx >= q
            && my >= q
            && mx - q < width
            && my - q < width
            && colors[(my - q) * width + (mx - q)] == Color::Dark;
        Luma([if is_dark { dark } else { light }])
    })
}

/// Checks the size before `draw_code` allocates it.
fn check_size(code: &QrCode, module_px: u32) -> Result<(), QrGenError> {
    let modules = modules_with_quiet_zone(code);
    match modules.checked_mul(module_px) {
        Some(side) if side <= MAX_SIDE_PX => Ok(()),
        _ => Err(QrGenError::TooLarge { modules, module_px }),
    }
}

// ---------------------------------------------------------------------------
// Image effects, by hand: a float canvas with bilinear sampling, blur, noise.

/// SplitMix64: tiny, fast and good enough for pixel noise; fully determined by
/// its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `-amp..=amp`.
    fn offset(&mut self, amp: u32) -> f32 {
        let span = 2 * u64::from(amp) + 1;
        (self.next_u64() % span) as f32 - amp as f32
    }

    /// A uniform float in `0..1`.
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[derive(Clone)]
struct Canvas {
    w: u32,
    h: u32,
    px: Vec<f32>,
}

impl Canvas {
    fn filled(w: u32, h: u32, value: f32) -> Self {
        Canvas {
            w,
            h,
            px: vec![value; w as usize * h as usize],
        }
    }

    fn from_gray(img: &GrayImage) -> Self {
        Canvas {
            w: img.width(),
            h: img.height(),
            px: img.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    fn to_gray(&self) -> GrayImage {
        let raw = self
            .px
            .iter()
            .map(|&v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        // The buffer length is w*h by construction; fall back to an empty
        // image rather than panic if that were ever not so.
        GrayImage::from_raw(self.w, self.h, raw).unwrap_or_default()
    }

    fn get(&self, x: u32, y: u32) -> f32 {
        self.px[y as usize * self.w as usize + x as usize]
    }

    fn set(&mut self, x: u32, y: u32, v: f32) {
        let i = y as usize * self.w as usize + x as usize;
        self.px[i] = v;
    }

    /// Bilinear sample at (x, y) in pixel-centre coordinates; `None` outside.
    fn sample(&self, x: f32, y: f32) -> Option<f32> {
        let (fx, fy) = (x - 0.5, y - 0.5);
        if !(fx > -0.5 && fy > -0.5 && fx < self.w as f32 - 0.5 && fy < self.h as f32 - 0.5) {
            return None;
        }
        let x0 = fx.floor().max(0.0) as u32;
        let y0 = fy.floor().max(0.0) as u32;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let tx = (fx - x0 as f32).clamp(0.0, 1.0);
        let ty = (fy - y0 as f32).clamp(0.0, 1.0);
        let top = self.get(x0, y0) * (1.0 - tx) + self.get(x1, y0) * tx;
        let bottom = self.get(x0, y1) * (1.0 - tx) + self.get(x1, y1) * tx;
        Some(top * (1.0 - ty) + bottom * ty)
    }

    fn padded(&self, margin: u32, value: f32) -> Canvas {
        let mut out = Canvas::filled(self.w + 2 * margin, self.h + 2 * margin, value);
        out.paste(self, margin, margin);
        out
    }

    fn paste(&mut self, src: &Canvas, left: u32, top: u32) {
        for y in 0..src.h.min(self.h.saturating_sub(top)) {
            for x in 0..src.w.min(self.w.saturating_sub(left)) {
                self.set(left + x, top + y, src.get(x, y));
            }
        }
    }

    fn paste_centered(&mut self, src: &Canvas) {
        let left = self.w.saturating_sub(src.w) / 2;
        let top = self.h.saturating_sub(src.h) / 2;
        self.paste(src, left, top);
    }

    /// Separable gaussian blur; edges repeat the border pixel.
    fn blur(&mut self, sigma: f32) {
        if sigma < 0.1 || self.px.is_empty() {
            return;
        }
        let radius = (sigma * 3.0).ceil() as i64;
        let mut kernel: Vec<f32> = (-radius..=radius)
            .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = kernel.iter().sum();
        kernel.iter_mut().for_each(|k| *k /= sum);

        let (w, h) = (self.w as i64, self.h as i64);
        let mut tmp = vec![0.0f32; self.px.len()];
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0.0;
                for (k, i) in kernel.iter().zip(-radius..=radius) {
                    let sx = (x + i).clamp(0, w - 1);
                    acc += k * self.px[(y * w + sx) as usize];
                }
                tmp[(y * w + x) as usize] = acc;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0.0;
                for (k, i) in kernel.iter().zip(-radius..=radius) {
                    let sy = (y + i).clamp(0, h - 1);
                    acc += k * tmp[(sy * w + x) as usize];
                }
                self.px[(y * w + x) as usize] = acc;
            }
        }
    }

    fn add_noise(&mut self, rng: &mut SplitMix64, amp: u32) {
        for v in &mut self.px {
            *v += rng.offset(amp);
        }
    }

    /// Fills every output pixel from `map(out_x, out_y) -> source point`,
    /// using `background` where the map falls outside the source.
    fn warp_from(&mut self, src: &Canvas, map: impl Fn(f32, f32) -> Option<(f32, f32)>) {
        for y in 0..self.h {
            for x in 0..self.w {
                let value =
                    map(x as f32 + 0.5, y as f32 + 0.5).and_then(|(sx, sy)| src.sample(sx, sy));
                if let Some(v) = value {
                    self.set(x, y, v);
                }
            }
        }
    }
}

/// `src` turned by `degrees` on a canvas big enough to hold it, on `background`.
fn rotated(src: &Canvas, degrees: f32, background: f32) -> Canvas {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (sw, sh) = (src.w as f32, src.h as f32);
    let margin = 24.0;
    let w = (sw * cos.abs() + sh * sin.abs() + 2.0 * margin).ceil() as u32;
    let h = (sw * sin.abs() + sh * cos.abs() + 2.0 * margin).ceil() as u32;
    let mut out = Canvas::filled(w, h, background);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    out.warp_from(src, |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        // Inverse rotation: from the output back into the source.
        Some((
            dx * cos + dy * sin + sw / 2.0,
            -dx * sin + dy * cos + sh / 2.0,
        ))
    });
    out
}

/// A phone held up to a cheap webcam in a dim room.
fn photo(code: &QrCode, modules: u32, rng: &mut SplitMix64) -> Canvas {
    // The code (with its quiet zone) spans about `target` px of the frame,
    // whatever its version, like a phone held at a fixed distance.
    let target = 370.0f32;
    let module_px = (target as u32 / modules).max(1);
    // The phone screen: low contrast, slightly grey-white.
    let src = Canvas::from_gray(&draw_code(code, module_px, 70, 200));
    let (sw, sh) = (src.w as f32, src.h as f32);
    let scale = (target / sw).max(1.0);

    let (w, h) = (640u32, 480u32);
    let mut out = Canvas::filled(w, h, 20.0);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = 12f32.to_radians().sin_cos();
    // Keystone: the top of the phone leans towards the camera, so the top
    // edge looks wider than the bottom one.
    let keystone = 0.08 / (sh * scale);
    let skew = 0.03;
    out.warp_from(&src, |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        let (rx, ry) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        let den = 1.0 - keystone * ry;
        if den < 0.2 {
            return None;
        }
        let (px, py) = (rx / den / scale, ry / den / scale);
        Some((px + skew * py + sw / 2.0, py + sh / 2.0))
    });

    // Focus blur in camera pixels, at least a pixel, about a fifth of a module.
    out.blur((module_px as f32 * scale * 0.18).max(1.0));
    // Uneven light: brighter towards the top left.
    let (gx, gy) = (rng.unit() * 0.1, rng.unit() * 0.1);
    for y in 0..h {
        for x in 0..w {
            let shade = 1.0 - 0.12 * (x as f32 / w as f32) - gx * (y as f32 / h as f32) + gy * 0.5;
            let v = out.get(x, y) * shade;
            out.set(x, y, v);
        }
    }
    out.add_noise(rng, 16);
    out
}

/// A frame with no QR code in it: a grey gradient with a few soft shapes and
/// stripes, something like a tray or a sleeve in front of the camera.
fn blank(seed: u64) -> GrayImage {
    let mut rng = SplitMix64(seed);
    let (w, h) = (640u32, 480u32);
    let mut c = Canvas::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            c.set(x, y, 70.0 + 120.0 * (x + y) as f32 / (w + h) as f32);
        }
    }
    for _ in 0..6 {
        let cx = rng.unit() * w as f32;
        let cy = rng.unit() * h as f32;
        let r = 20.0 + rng.unit() * 70.0;
        let value = 30.0 + rng.unit() * 200.0;
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                if dx * dx + dy * dy <= r * r {
                    c.set(x, y, value);
                }
            }
        }
    }
    // A few bars, like text on a label, at different widths so they never
    // line up into the 1:1:3:1:1 of a finder pattern.
    let top = (rng.unit() * (h as f32 - 80.0)) as u32;
    for (i, bar_w) in [3u32, 9, 5, 14, 4].into_iter().enumerate() {
        let left = 40 + i as u32 * 30;
        for y in top..top + 60 {
            for x in left..left + bar_w {
                c.set(x, y, 25.0);
            }
        }
    }
    c.blur(1.2);
    c.add_noise(&mut rng, 8);
    c.to_gray()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: &str = "SSN1.M.M-100001.1763884800.H0yCsvPYSIYwOGOjRYiKDcfIjssi2OkX5740NqlrcrXbtWXxAn-3JAhbXV_qMEpLDDJZt1PCgmhbn7c-9LmzDw";

    #[test]
    fn style_names_round_trip() {
        for style in Style::ALL {
            assert_eq!(style.as_str().parse::<Style>().ok(), Some(style));
        }
        let err = "Photo".parse::<Style>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unknown QR style `Photo`; expected one of: flat, rotated, blurred, noisy, dark, photo"
            )
        );
    }

    #[test]
    fn render_has_quiet_zone_and_byte_mode_size() {
        let img = render(MEMBER, 3).unwrap();
        // 113 bytes in byte mode at level M needs version 7: 45 modules + 8 quiet.
        assert_eq!(img.dimensions(), (53 * 3, 53 * 3));
        for i in 0..12 {
            assert_eq!(img.get_pixel(i, i)[0], 255, "quiet zone at {i}");
        }
        // Top-left finder pattern starts right after the quiet zone.
        assert_eq!(img.get_pixel(12, 12)[0], 0);
    }

    #[test]
    fn render_refuses_bad_sizes() {
        assert!(matches!(render("x", 0), Err(QrGenError::ZeroModuleSize)));
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        assert!(matches!(render(&long, 1), Err(QrGenError::TooLong { .. })));
        assert!(render(&"x".repeat(MAX_TEXT_BYTES), 1).is_ok());
        let code = encode("x").unwrap();
        assert!(matches!(
            check_size(&code, 10_000),
            Err(QrGenError::TooLarge { .. })
        ));
    }

    #[test]
    fn styled_is_deterministic() {
        for style in Style::ALL {
            let a = render_styled(MEMBER, style, 7).unwrap();
            let b = render_styled(MEMBER, style, 7).unwrap();
            assert!(a == b, "{style} differs between runs");
        }
        let a = render_styled(MEMBER, Style::Noisy, 1).unwrap();
        let b = render_styled(MEMBER, Style::Noisy, 2).unwrap();
        assert!(a != b, "seed should change the noise");
    }

    #[test]
    fn dark_and_photo_are_camera_sized() {
        for style in [Style::Dark, Style::Photo] {
            let img = render_styled(MEMBER, style, 1).unwrap();
            assert_eq!(img.dimensions(), (640, 480), "{style}");
            assert!(
                img.get_pixel(2, 2)[0] < 40,
                "{style} surround should be near black"
            );
        }
    }

    #[test]
    fn manifest_errors_name_the_entry() {
        let dir = std::env::temp_dir().join("qrgen-manifest-errors");
        let check = |toml: &str, expected: &str| {
            let err = render_fixture_set(toml, &dir)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        };
        check(
            "[[code]]\nfile = \"a.gif\"\ntext = \"x\"\n",
            "fixture `a.gif`: `file` must end in .png",
        );
        check(
            "[[code]]\nfile = \"../a.png\"\ntext = \"x\"\n",
            "plain file name",
        );
        check(
            "[[code]]\nfile = \"a.png\"\ntext = \"x\"\nstyle = \"wobbly\"\n",
            "unknown QR style `wobbly`",
        );
        check(
            "[[code]]\nfile = \"a.png\"\ntext = \"x\"\n[[blank]]\nfile = \"a.png\"\n",
            "more than once",
        );
        check("[[code]]\nfile = \"a.png\"\n", "missing field `text`");
    }

    #[test]
    fn fixture_set_is_written_identically_twice() {
        let dir = std::env::temp_dir().join(format!("qrgen-fixtures-{}", std::process::id()));
        let toml = format!(
            "[[code]]\nfile = \"m.png\"\ntext = \"{MEMBER}\"\nstyle = \"photo\"\nexpect = \"expired\"\n\
             [[code]]\nfile = \"m.jpg\"\ntext = \"{MEMBER}\"\n[[blank]]\nfile = \"none.png\"\n"
        );
        let first = render_fixture_set(&toml, &dir).unwrap();
        let bytes: Vec<Vec<u8>> = first.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let second = render_fixture_set(&toml, &dir).unwrap();
        assert_eq!(first, second);
        for (path, old) in second.iter().zip(&bytes) {
            assert!(
                std::fs::read(path).unwrap() == *old,
                "{} changed",
                path.display()
            );
        }
        assert_eq!(
            first
                .iter()
                .map(|p| p.file_name().unwrap().to_str().unwrap())
                .collect::<Vec<_>>(),
            ["m.png", "m.jpg", "none.png"]
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
