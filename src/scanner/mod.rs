//! Camera frames and image files → QR texts.

pub mod decode;
