//! Camera frames and image files → QR texts: frame sources (a camera, a
//! folder of images), the decoder pipeline, the debounce, and the scanner
//! worker that runs them off the UI thread.

mod clock;
pub mod debounce;
pub mod decode;
mod image_ops;
pub mod panics;
pub mod pipeline;
mod refit;
mod region;
pub mod source;
pub mod worker;
