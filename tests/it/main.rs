//! End-to-end tests of Handover Bridge through its real HTTP interface, with a real
//! sled store in a temporary directory and loopback receivers for the AI platform.

mod api;
mod digest;
mod discord;
mod discord_gateway;
mod discord_limits;
mod discord_modes;
mod discord_support;
mod faults;
mod lifecycle;
mod model;
mod openapi;
mod process;
mod slack;
mod slack_redelivery;
mod storms;
mod support;
