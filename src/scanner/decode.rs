//! Placeholder until the decoder lands.
use std::path::Path;
pub struct DecodeOutcome {
    pub texts: Vec<String>,
    pub panics: u32,
}
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Io(String),
}
pub fn decode_file(path: &Path) -> Result<DecodeOutcome, DecodeError> {
    let img = image::open(path)
        .map_err(|e| DecodeError::Io(e.to_string()))?
        .to_luma8();
    let mut p = rqrr::PreparedImage::prepare(img);
    let texts = p
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, t)| t))
        .collect();
    Ok(DecodeOutcome { texts, panics: 0 })
}
