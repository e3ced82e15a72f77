//! The Slack bridge object: built without I/O, connected by `start`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use handover_config::SlackConfig;
use handover_core::{BridgeEffect, Handover};
use handover_daemon::bridge::{
    BoxFuture, Bridge, BridgeContext, DeliveryError, HttpContext, Performed,
};
use handover_daemon::digest::Digest;

use crate::inbound::Shared;
use handover_daemon::desk::Names;
use handover_daemon::engine::Engine;

use crate::api::{Api, Limits, client};

/// The Slack bridge. Cheap to clone.
#[derive(Clone)]
pub struct SlackBridge {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: SlackConfig,
    pub api: Api,
    /// The bot's own user id, learnt from `auth.test` at start.
    pub bot_user: OnceLock<String>,
    pub connected: AtomicBool,
    /// Display names and avatars by user id (people rarely rename mid-handover).
    pub names: Mutex<HashMap<String, (String, Option<String>)>>,
    /// Downloads files from Slack for the file links.
    pub files: crate::files::FileClient,
}

impl SlackBridge {
    /// Builds the bridge from `[slack]`; no network I/O happens here.
    pub fn new(config: &SlackConfig, limits: Limits) -> Self {
        let api = Api::new(client(&config.api_url), config.bot_token.expose(), limits);
        Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                api,
                bot_user: OnceLock::new(),
                connected: AtomicBool::new(false),
                names: Mutex::default(),
                files: crate::files::client(),
            }),
        }
    }

    /// The display name and avatar of a Slack user, cached.
    pub(crate) async fn person(&self, id: &str) -> (String, Option<String>) {
        if let Some(p) = self
            .inner
            .names
            .lock()
            .ok()
            .and_then(|n| n.get(id).cloned())
        {
            return p;
        }
        match self.inner.api.user(id).await {
            Ok(p) => {
                if let Ok(mut n) = self.inner.names.lock() {
                    n.insert(id.to_owned(), p.clone());
                }
                p
            }
            Err(e) => {
                tracing::warn!(user = id, reason = %e, "Cannot look up a Slack user; showing the id.");
                (id.to_owned(), None)
            }
        }
    }

    /// Learns the bot's user id, retrying until Slack answers or `ctx` stops.
    async fn identify(&self, ctx: &BridgeContext) -> bool {
        let mut delay = Duration::from_millis(200);
        loop {
            match self.inner.api.auth_test().await {
                Ok(me) => {
                    let _ = self.inner.bot_user.set(me.user_id.0);
                    return true;
                }
                Err(e) => tracing::warn!(error = %e, "Slack auth.test failed; retrying."),
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = ctx.cancel.cancelled() => return false,
            }
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
}

impl Names for SlackBridge {
    fn digest_poster(&self) -> Option<&dyn Bridge> {
        Some(self)
    }

    fn name<'a>(&'a self, id: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move { self.person(id).await.0 })
    }
}

impl Bridge for SlackBridge {
    fn name(&self) -> &'static str {
        crate::ids::BRIDGE
    }

    fn start(&self, ctx: BridgeContext) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if !self.identify(&ctx).await {
                return;
            }
            crate::inbound::run_socket_mode(self.clone(), ctx).await;
        })
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
        !self.inner.config.digest_channel.is_empty()
    }

    fn post_digest<'a>(&'a self, d: &'a Digest) -> BoxFuture<'a, Result<String, DeliveryError>> {
        Box::pin(self.post_digest_now(d))
    }

    fn ready(&self) -> bool {
        self.inner.connected.load(Ordering::SeqCst)
    }

    /// The file links, and the Events API endpoints when Slack talks to us over HTTP
    /// instead of Socket Mode.
    fn http_routes(&self, ctx: &HttpContext) -> Option<(&'static str, axum::Router)> {
        let c = &self.inner.config;
        let shared = Shared {
            bridge: self.clone(),
            engine: ctx.engine.clone(),
            public_url: ctx.public_url.clone(),
        };
        let files = crate::files::routes(shared.clone());
        if !c.app_token.is_empty() || c.signing_secret.is_empty() {
            return Some(("/slack", files));
        }
        let events = crate::http::routes(
            shared,
            c.signing_secret.expose().to_owned(),
            ctx.max_body_bytes,
        );
        Some(("/slack", files.merge(events)))
    }
}
