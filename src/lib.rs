//! kasse: the checkout till for student canteens and cafés.
//!
//! `domain` is the pure core; `store`, `scanner` and `qrgen` are adapters;
//! `till` drives one open sale and is shared by the kiosk and `kasse replay`.

pub mod bench;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod data;
pub mod devices;
pub mod domain;
pub mod input;
pub mod ledger;
pub mod payments;
pub mod qrgen;
pub mod replay;
pub mod scanner;
pub mod store;
pub mod sync;
pub mod till;
pub mod ui;
pub mod wiring;
