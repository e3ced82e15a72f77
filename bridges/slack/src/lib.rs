//! The Slack bridge: handovers as Block Kit cards in private channels, conversations in
//! their threads, agents' replies relayed to the end user. Only this crate uses
//! slack-morphism.
//!
//! Split by direction: [`inbound`] (Socket Mode callbacks → engine), [`perform`]
//! (effects → Web API calls through [`api`]), [`format`] (pure rendering) and [`ids`].

#![forbid(unsafe_code)]

mod api;
mod bridge;
mod digest;
pub mod files;
pub mod format;
mod http;
pub mod ids;
mod inbound;
mod membership;
mod perform;
pub mod signature;

pub use api::Limits;
pub use bridge::SlackBridge;
