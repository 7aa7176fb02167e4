//! Camera frames and image files → QR texts.

pub mod debounce;
pub mod decode;
pub mod source;
