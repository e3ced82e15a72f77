//! Loopback emulators that speak the real wire protocols of Slack (Web API JSON and
//! Socket Mode WebSocket) and Discord (REST v10 and the Gateway WebSocket), for tests,
//! the demo and benchmarks.

#![forbid(unsafe_code)]

pub mod discord;
pub mod slack;

pub use discord::DiscordEmulator;
pub use slack::SlackEmulator;
