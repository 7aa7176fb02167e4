//! Placeholder until the renderer lands.
#[derive(Debug, thiserror::Error)]
pub enum QrGenError {
    #[error("{0}")]
    Other(String),
}
pub fn render(text: &str, module_px: u32) -> Result<image::GrayImage, QrGenError> {
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| QrGenError::Other(e.to_string()))?;
    Ok(code
        .render::<image::Luma<u8>>()
        .module_dimensions(module_px, module_px)
        .build())
}
pub fn render_fixture_set(
    _m: &str,
    _o: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, QrGenError> {
    Ok(vec![])
}
