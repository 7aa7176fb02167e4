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
    m: &str,
    o: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, QrGenError> {
    let v: toml::Table = toml::from_str(m).map_err(|e| QrGenError::Other(e.to_string()))?;
    let mut out = vec![];
    for c in v
        .get("code")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default()
    {
        let file = c.get("file").and_then(|f| f.as_str()).unwrap_or_default();
        let text = c.get("text").and_then(|f| f.as_str()).unwrap_or_default();
        let img = render(text, 6)?;
        let p = o.join(file);
        img.save(&p).map_err(|e| QrGenError::Other(e.to_string()))?;
        out.push(p);
    }
    for c in v
        .get("blank")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default()
    {
        let file = c.get("file").and_then(|f| f.as_str()).unwrap_or_default();
        let img = image::GrayImage::from_pixel(200, 200, image::Luma([128]));
        let p = o.join(file);
        img.save(&p).map_err(|e| QrGenError::Other(e.to_string()))?;
        out.push(p);
    }
    Ok(out)
}
