//! Device adapters at the edge, each behind a small trait with a simulator.

pub mod barcode;
pub mod children;
pub mod payment;
pub mod printer;
pub mod scale;
pub mod scale_sim;
pub mod setup;
pub mod speech;
