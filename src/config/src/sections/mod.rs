//! Owns the typed config sections, each with the validation that turns its raw form
//! into it.

pub(crate) mod digest;
pub(crate) mod discord;
pub(crate) mod handover;
pub(crate) mod log;
pub(crate) mod platform;
pub(crate) mod server;
pub(crate) mod slack;
