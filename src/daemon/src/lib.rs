//! Handover Bridge, the daemon: store, engine, HTTP ingress, egress and supervision
//! around the pure [`handover_core`] state machine.

#![forbid(unsafe_code)]

pub mod bridge;
pub mod clock;
pub mod daemon;
pub mod delivery;
pub mod desk;
pub mod digest;
pub mod engine;
pub mod file_links;
pub mod ingress;
pub mod metrics;
pub mod scheduler;
pub mod signing;
pub mod store;
pub mod views;
