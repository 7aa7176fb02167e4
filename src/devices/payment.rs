//! The payment terminal and Vipps simulator. It is one of the payment
//! providers, so it lives with them in `crate::payments::simulator`; these
//! paths stay for the demo and the tests.

pub use crate::payments::simulator::{Simulator, wait_final};
pub use crate::payments::{PaymentUpdate, Step};
