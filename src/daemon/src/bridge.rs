//! The contract between the daemon and a chat bridge (Slack, Discord).
//!
//! Constructing a bridge does no I/O; [`Bridge::start`] connects and feeds what people
//! do into the [`Engine`]; [`Bridge::perform`] shows one effect. Connection trouble is
//! reported through [`Bridge::ready`], not as a returned error.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use handover_core::{BridgeEffect, Handover, Location};
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an effect or a delivery did not happen this time. It will be retried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    /// Short and safe to show to people (no message content).
    pub reason: String,
    /// The remote side asked us to wait this long (429 `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl DeliveryError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry_after: None,
        }
    }
}

/// What performing an effect produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Performed {
    /// Where the handover now lives (after [`BridgeEffect::Announce`]).
    pub location: Option<Location>,
}

/// Handles a bridge gets when it starts.
#[derive(Clone)]
pub struct BridgeContext {
    pub engine: Engine,
    pub cancel: CancellationToken,
    /// `server.public_url`: where the AI platforms reach this daemon.
    pub public_url: String,
}

pub trait Bridge: Send + Sync + 'static {
    /// `slack` or `discord`: the value of `platforms[].bridge` it serves.
    fn name(&self) -> &'static str;

    /// Connects and runs until `ctx.cancel`; inbound actions go to `ctx.engine`.
    fn start(&self, ctx: BridgeContext) -> BoxFuture<'_, ()>;

    /// Shows one effect for `handover` (its latest stored state). `engine` gives read
    /// access to settings (e.g. the selected members to mention).
    fn perform<'a>(
        &'a self,
        engine: &'a Engine,
        handover: &'a Handover,
        effect: &'a BridgeEffect,
    ) -> BoxFuture<'a, Result<Performed, DeliveryError>>;

    /// Connected and able to perform effects.
    fn ready(&self) -> bool;

    /// Whether a digest channel is configured for this bridge.
    fn has_digest(&self) -> bool {
        false
    }

    /// Posts a digest (its text and chart) to the digest channel; the returned text
    /// names where it went.
    fn post_digest<'a>(
        &'a self,
        _digest: &'a crate::digest::Digest,
    ) -> BoxFuture<'a, Result<String, DeliveryError>> {
        Box::pin(async { Err(DeliveryError::new("this bridge has no digest channel")) })
    }

    /// 429 answers the bridge waited out itself (not surfaced as delivery errors).
    fn rate_limited(&self) -> u64 {
        0
    }

    /// HTTP endpoints the bridge serves on the API listener (e.g. Slack's Events API),
    /// as a path prefix and a router. Called once, when the daemon starts.
    fn http_routes(&self, _ctx: &HttpContext) -> Option<(&'static str, axum::Router)> {
        None
    }
}

/// What a bridge's HTTP endpoints get.
#[derive(Clone)]
pub struct HttpContext {
    pub engine: Engine,
    /// `server.max_body_bytes`: read no more than this before verifying anything.
    pub max_body_bytes: usize,
    /// `server.public_url`: where the AI platforms reach this daemon.
    pub public_url: String,
}
