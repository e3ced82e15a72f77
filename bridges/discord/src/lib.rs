//! The Discord bridge: each handover is a private text channel under a category (or a
//! private thread in one channel), with a header card and buttons; the conversation is
//! relayed into it, and what selected members write there goes back to the end user.
//! Only this crate uses serenity.
//!
//! Split by direction: [`inbound`] (gateway events → engine), [`perform`] and
//! [`place`] (effects → REST calls), [`calls`] over [`rest`] (serenity's routes sent
//! with the bridge's own rate limiting), [`files`] (file links), [`format`] (pure
//! rendering), [`ids`] (locations and keys) and [`setup`] (permissions, intents and
//! the invite URL).

#![forbid(unsafe_code)]

mod backfill;
mod bridge;
mod calls;
mod digest;
mod files;
pub mod format;
pub mod ids;
mod inbound;
mod perform;
mod place;
mod rest;
pub mod setup;

pub use bridge::DiscordBridge;
pub use rest::RestLimits;
