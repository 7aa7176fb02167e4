//! Device adapters at the edge, each behind a small trait with a simulator.

pub mod payment;
pub mod printer;
