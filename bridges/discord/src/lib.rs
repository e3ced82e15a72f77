//! The Discord bridge: each handover is a private text channel under a category, with
//! a header card and buttons; the conversation is relayed into it, and what selected
//! members write there goes back to the end user. Only this crate uses serenity.
//!
//! Split by direction: [`inbound`] (gateway events → engine), [`perform`] (effects →
//! REST calls), [`format`] (pure rendering) and [`ids`] (locations and keys).

#![forbid(unsafe_code)]

mod bridge;
pub mod format;
pub mod ids;
mod inbound;
mod perform;

pub use bridge::DiscordBridge;
