//! The Discord bridge object: built without I/O, connected by `start`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use handover_config::DiscordConfig;
use handover_core::{BridgeEffect, Handover};
use handover_daemon::bridge::{
    BoxFuture, Bridge, BridgeContext, DeliveryError, HttpContext, Performed,
};
use handover_daemon::desk::Names;
use handover_daemon::digest::Digest;
use handover_daemon::engine::Engine;
use serenity::all::{ClientBuilder, ConnectionStage, Http, HttpBuilder, ShardManager, UserId};

use crate::calls::RelayHook;
use crate::ids;
use crate::rest::{Rest, RestLimits};

/// Discord's real API, where serenity's own base URL and rate limiter apply.
const DISCORD: &str = "https://discord.com";

/// The Discord bridge. Cheap to clone.
#[derive(Clone)]
pub struct DiscordBridge {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: DiscordConfig,
    /// REST for everything the bridge posts, with its own rate limiting.
    pub rest: Rest,
    /// The bot's own user id, from READY or `GET /users/@me`.
    pub bot_user: OnceLock<u64>,
    pub connected: AtomicBool,
    /// `server.public_url`, for file links (set when the bridge starts).
    pub public_url: OnceLock<String>,
    /// The relay webhook of each handover channel, created on first use.
    pub webhooks: Mutex<HashMap<u64, RelayHook>>,
    /// Which channels this gateway session has caught up.
    pub caught: crate::backfill::Caught,
}

/// A non-zero snowflake (serenity's ids refuse 0).
pub(crate) fn snowflake(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|n| *n != 0)
}

/// The base URL replacing Discord's, when `api_url` is not Discord's.
fn proxy(config: &DiscordConfig) -> Option<String> {
    let url = config.api_url.trim_end_matches('/');
    (!url.is_empty() && url != DISCORD).then(|| url.to_owned())
}

/// serenity's REST client for the gateway connection and interaction answers, for
/// `config.api_url`: through the proxy seam (with serenity's rate limiter off, as it
/// would bypass the proxy) unless it is Discord's.
fn http(config: &DiscordConfig) -> Http {
    let mut b = HttpBuilder::new(config.bot_token.expose());
    let url = config.api_url.trim_end_matches('/');
    if !url.is_empty() && url != DISCORD {
        b = b.proxy(url).ratelimiter_disabled(true);
    }
    if let Some(app) = snowflake(&config.application_id) {
        b = b.application_id(app.into());
    }
    b.build()
}

impl DiscordBridge {
    /// Builds the bridge from `[discord]`; no network I/O happens here.
    pub fn new(config: &DiscordConfig) -> Self {
        Self::with_limits(config, RestLimits::default())
    }

    /// The bridge with other REST limits (tests and benchmarks).
    pub fn with_limits(config: &DiscordConfig, limits: RestLimits) -> Self {
        Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                rest: Rest::new(config.bot_token.expose(), proxy(config), limits),
                bot_user: OnceLock::new(),
                connected: AtomicBool::new(false),
                public_url: OnceLock::new(),
                webhooks: Mutex::default(),
                caught: crate::backfill::Caught::default(),
            }),
        }
    }

    /// The bot's user id, asking Discord when READY has not told it yet.
    pub(crate) async fn bot_user(&self) -> Result<u64, DeliveryError> {
        if let Some(id) = self.inner.bot_user.get() {
            return Ok(*id);
        }
        let me = self.inner.rest.current_user().await?;
        let _ = self.inner.bot_user.set(me.id.get());
        Ok(me.id.get())
    }

    /// Connects the gateway until `ctx.cancel`, reconnecting with a backoff (many
    /// IDENTIFYs in a day would get the token reset).
    async fn run(&self, ctx: BridgeContext) {
        let intents = crate::setup::intents();
        let mut delay = Duration::from_secs(1);
        loop {
            let handler = crate::inbound::Handler {
                bridge: self.clone(),
                engine: ctx.engine.clone(),
            };
            match ClientBuilder::new_with_http(http(&self.inner.config), intents)
                .event_handler(handler)
                .await
            {
                Ok(mut client) => {
                    // serenity asks for the gateway's URL without its rate limiter (off
                    // behind a proxy) and, when refused, falls back to Discord's own URL
                    // for good. Behind a proxy, ask through the bridge's client instead.
                    if proxy(&self.inner.config).is_some() {
                        match self.inner.rest.gateway_url().await {
                            Ok(url) => *client.ws_url.lock().await = url,
                            Err(e) => {
                                tracing::warn!(error = %e.reason, "Cannot read the gateway URL.")
                            }
                        }
                    }
                    let shards = client.shard_manager.clone();
                    let watcher = tokio::spawn(watch(shards.clone(), self.clone()));
                    let _stop_watching = AbortOnDrop(watcher);
                    tokio::select! {
                        r = client.start() => {
                            if let Err(e) = r {
                                tracing::error!(error = %e, "The Discord gateway connection ended.");
                            }
                        }
                        () = ctx.cancel.cancelled() => {
                            shards.shutdown_all().await;
                            self.inner.connected.store(false, Ordering::SeqCst);
                            return;
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "Cannot build the Discord client."),
            }
            self.inner.connected.store(false, Ordering::SeqCst);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = ctx.cancel.cancelled() => return,
            }
            delay = (delay * 2).min(Duration::from_secs(300));
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps readiness in line with the shard runners: ready while every runner is
/// connected. A quick RESUME inside a runner does not show here; a connection that
/// stays down does, since serenity then replaces the runner and there is none until
/// the new one has connected.
async fn watch(shards: Arc<ShardManager>, bridge: DiscordBridge) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        let up = {
            let runners = shards.runners.lock().await;
            !runners.is_empty()
                && runners
                    .values()
                    .all(|r| r.stage == ConnectionStage::Connected)
        };
        // READY sets it first (after registering the commands); this only follows.
        if !up || bridge.inner.bot_user.get().is_some() {
            bridge.inner.connected.store(up, Ordering::SeqCst);
        }
    }
}

impl Names for DiscordBridge {
    fn digest_poster(&self) -> Option<&dyn Bridge> {
        Some(self)
    }

    fn name<'a>(&'a self, id: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
            let Some(n) = snowflake(id) else {
                return id.to_owned();
            };
            match self.inner.rest.user(UserId::new(n)).await {
                Ok(u) => u.global_name.unwrap_or(u.name),
                Err(_) => id.to_owned(),
            }
        })
    }

    fn mention(&self, member: &handover_core::commands::MemberRef) -> String {
        if member.role {
            format!("<@&{}>", member.id)
        } else {
            format!("<@{}>", member.id)
        }
    }
}

impl Bridge for DiscordBridge {
    fn name(&self) -> &'static str {
        ids::BRIDGE
    }

    fn start(&self, ctx: BridgeContext) -> BoxFuture<'_, ()> {
        let _ = self.inner.public_url.set(ctx.public_url.clone());
        Box::pin(self.run(ctx))
    }

    fn http_routes(&self, ctx: &HttpContext) -> Option<(&'static str, axum::Router)> {
        Some((
            "/discord",
            crate::files::routes(self.clone(), ctx.engine.clone()),
        ))
    }

    fn perform<'a>(
        &'a self,
        engine: &'a Engine,
        handover: &'a Handover,
        effect: &'a BridgeEffect,
    ) -> BoxFuture<'a, Result<Performed, DeliveryError>> {
        Box::pin(self.show(engine, handover, effect))
    }

    fn has_digest(&self) -> bool {
        snowflake(&self.inner.config.digest_channel_id).is_some()
    }

    fn post_digest<'a>(&'a self, d: &'a Digest) -> BoxFuture<'a, Result<String, DeliveryError>> {
        Box::pin(self.post_digest_now(d))
    }

    /// 429 answers Discord has given the bridge's REST calls so far.
    fn rate_limited(&self) -> u64 {
        self.inner.rest.rate_limited.load(Ordering::Relaxed)
    }

    fn ready(&self) -> bool {
        self.inner.connected.load(Ordering::SeqCst)
    }
}
