//! Loopback emulators that speak the real wire protocols of Slack (Web API JSON and
//! Socket Mode WebSocket) and, later, Discord, for tests, the demo and benchmarks.

#![forbid(unsafe_code)]

pub mod slack;

pub use slack::SlackEmulator;
