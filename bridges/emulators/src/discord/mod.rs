//! A loopback Discord: REST v10 (`/api/v10/...`, JSON, string snowflakes) and the
//! Gateway v10 WebSocket (`/gateway`), close enough that unmodified serenity works.
//!
//! Set the guild up ([`DiscordEmulator::add_user`], [`DiscordEmulator::add_role`],
//! [`DiscordEmulator::add_category`], [`DiscordEmulator::add_channel`]), point the bridge
//! at [`DiscordEmulator::api_url`] (serenity finds the gateway through
//! `GET /api/v10/gateway`), act as users ([`DiscordEmulator::user_message`],
//! [`DiscordEmulator::slash_command`], [`DiscordEmulator::click`]) and inspect what the
//! bot did ([`DiscordEmulator::calls`], [`DiscordEmulator::messages`], …).
//!
//! ```ignore
//! let emu = DiscordEmulator::start(DiscordEmulatorConfig::default()).await?;
//! let alice = emu.add_user("alice");
//! let general = emu.add_channel("general", None);
//! // bridge: HttpBuilder::new("emulator-bot-token").proxy(emu.api_url()).ratelimiter_disabled(true)
//! assert!(emu.wait_connected(Duration::from_secs(5)).await);
//! let mid = emu.user_message(&alice, &general, "hello").await?;
//! let answer = emu.slash_command(&alice, &general, "handover", json!([])).await?;
//! ```

mod files;
mod gateway;
mod inject;
mod payloads;
mod rate;
mod rest;
mod rest_channels;
mod rest_messages;
mod state;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{any, get};
use serde_json::Value;

pub use rate::RateLimit;

use state::State;

/// How the emulator is set up. Every field has a sensible default.
#[derive(Debug, Clone)]
pub struct DiscordEmulatorConfig {
    /// The token every REST call wants as `Authorization: Bot <token>`.
    pub bot_token: String,
    /// `POST /channels/{id}/messages` per channel; `None` disables the limit.
    pub messages_per_channel: Option<RateLimit>,
    /// `POST /webhooks/{id}/{token}` per webhook; `None` disables the limit.
    pub webhook_executes: Option<RateLimit>,
    /// Every bot-authenticated call (Discord's global limit, 50/s); a refusal is a
    /// global 429. `None` disables it.
    pub global: Option<RateLimit>,
    /// How long an attachment URL works before it must be refreshed (Discord: 24 h).
    pub attachment_url_ttl: Duration,
    /// The HELLO `heartbeat_interval`.
    pub heartbeat_interval: Duration,
    /// How long [`DiscordEmulator::slash_command`] and [`DiscordEmulator::click`] wait
    /// for the interaction callback, and injections wait for a gateway connection.
    pub ack_timeout: Duration,
}

impl Default for DiscordEmulatorConfig {
    fn default() -> Self {
        Self {
            bot_token: "emulator-bot-token".to_string(),
            messages_per_channel: Some(RateLimit {
                limit: 5,
                window: Duration::from_secs(5),
            }),
            webhook_executes: Some(RateLimit {
                limit: 5,
                window: Duration::from_secs(2),
            }),
            global: Some(RateLimit {
                limit: 50,
                window: Duration::from_secs(1),
            }),
            attachment_url_ttl: Duration::from_secs(24 * 3600),
            heartbeat_interval: Duration::from_millis(1000),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

/// One REST call as the emulator saw it (rejected and rate-limited ones included).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path after `/api/v10`, e.g. `/channels/1000000000000000100/messages`.
    pub path: String,
    /// The route template, e.g. `/channels/{channel_id}/messages`.
    pub route: String,
    pub query: Option<String>,
    /// The JSON body (`Null` when there was none or it was not JSON).
    pub body: Value,
    pub status: u16,
    pub at: Instant,
}

/// A stored message, as Discord would answer it (a serenity `Message` deserialises it).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: String,
    pub channel_id: String,
    pub json: Value,
    /// Emojis the bot reacted with.
    pub reactions: Vec<String>,
}

/// An interaction callback the bot POSTed.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub interaction_id: String,
    pub token: String,
    /// The callback `type` (4 message, 5 deferred, 6 deferred update, 7 update, 9 modal).
    pub kind: u64,
    pub data: Value,
}

/// Why an injection failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmulatorError {
    /// No gateway session became ready within the ack timeout.
    NotConnected,
    /// The bot did not POST the interaction callback in time.
    Timeout,
    /// An unknown user, channel or message.
    NotFound(String),
}

impl std::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnected => write!(f, "no gateway session"),
            Self::Timeout => write!(f, "the bot did not answer the interaction in time"),
            Self::NotFound(what) => write!(f, "not found: {what}"),
        }
    }
}

impl std::error::Error for EmulatorError {}

/// The running emulator. Cheap to clone; every clone drives the same server.
#[derive(Clone)]
pub struct DiscordEmulator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: DiscordEmulatorConfig,
    pub(crate) addr: SocketAddr,
    pub(crate) state: Mutex<State>,
    pub(crate) gateway: gateway::Gateway,
}

impl std::fmt::Debug for DiscordEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordEmulator")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }
}

impl DiscordEmulator {
    pub const GUILD_ID: &'static str = "1000000000000000001";
    /// The bot user; also the application id, as for real bots.
    pub const BOT_USER_ID: &'static str = "1000000000000000002";
    pub const APPLICATION_ID: &'static str = Self::BOT_USER_ID;
    pub const BOT_NAME: &'static str = "handover-bot";
    /// The `@everyone` role has the guild's id.
    pub const EVERYONE_ROLE_ID: &'static str = Self::GUILD_ID;

    /// Binds `127.0.0.1:0` and serves until the runtime stops.
    pub async fn start(config: DiscordEmulatorConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            config,
            addr,
            state: Mutex::new(State::new()),
            gateway: gateway::Gateway::new(),
        });
        let app = Router::new()
            .route("/api/v10/{*rest}", any(rest::api))
            .route("/gateway", get(gateway::upgrade))
            .route("/attachments/{channel}/{id}/{name}", get(files::download))
            .with_state(inner.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("discord emulator server stopped: {e}");
            }
        });
        Ok(Self { inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT` (REST lives under `/api/v10`); serenity's `proxy`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// `ws://127.0.0.1:PORT/gateway`, as `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        self.inner.gateway_url()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.state().calls.clone()
    }

    /// Calls with this method whose route template (`/channels/{channel_id}/messages`)
    /// or concrete path equals `route`.
    pub fn calls_to(&self, method: &str, route: &str) -> Vec<Call> {
        let st = self.inner.state();
        st.calls
            .iter()
            .filter(|c| {
                c.method.eq_ignore_ascii_case(method) && (c.route == route || c.path == route)
            })
            .cloned()
            .collect()
    }

    /// How many 429s were served.
    pub fn rate_limited(&self) -> u64 {
        self.inner.state().rate_limited
    }

    /// The channel's messages in id order.
    pub fn messages(&self, channel_id: &str) -> Vec<StoredMessage> {
        self.inner.state().channel_messages(channel_id)
    }

    pub fn message(&self, channel_id: &str, message_id: &str) -> Option<StoredMessage> {
        self.inner
            .state()
            .messages
            .get(message_id)
            .filter(|m| m.channel_id == channel_id)
            .cloned()
    }

    /// The channel (or thread) object as `GET /channels/{id}` answers it.
    pub fn channel(&self, channel_id: &str) -> Option<Value> {
        let st = self.inner.state();
        st.channels.get(channel_id).map(|c| st.channel_json(c))
    }

    /// Every guild channel and thread, as JSON objects.
    pub fn channels(&self) -> Vec<Value> {
        let st = self.inner.state();
        st.channels.values().map(|c| st.channel_json(c)).collect()
    }

    /// Members added to a thread with `PUT /channels/{id}/thread-members/{user}`.
    pub fn thread_members(&self, thread_id: &str) -> Vec<String> {
        let st = self.inner.state();
        st.channels
            .get(thread_id)
            .map(|c| c.thread_members.clone())
            .unwrap_or_default()
    }

    /// The application commands of the last bulk overwrite.
    pub fn commands(&self) -> Vec<Value> {
        self.inner.state().commands.clone()
    }

    /// Every interaction callback, in order.
    pub fn callbacks(&self) -> Vec<Callback> {
        self.inner.state().callbacks.clone()
    }

    /// Live gateway connections that got READY (or RESUMED).
    pub fn gateway_connections(&self) -> usize {
        self.inner.gateway.live()
    }

    /// How many IDENTIFYs and RESUMEs the gateway saw.
    pub fn identifies(&self) -> u64 {
        self.inner.gateway.identifies()
    }

    pub fn resumes(&self) -> u64 {
        self.inner.gateway.resumes()
    }

    /// Waits until a gateway connection is live.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        self.inner.gateway.wait_live(1, timeout).await
    }

    /// Every IDENTIFY payload (`d`, token redacted): intents, shard, properties.
    pub fn identify_payloads(&self) -> Vec<Value> {
        self.inner
            .gateway
            .identify_payloads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether heartbeats get op 11 ACKs (default true); off makes the connection a
    /// zombie, which a client should detect and RESUME.
    pub fn set_heartbeat_acks(&self, on: bool) {
        self.inner
            .gateway
            .ack_heartbeats
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sends op 7 RECONNECT on every connection (the client should RESUME).
    pub fn reconnect(&self) {
        self.inner.gateway.reconnect();
    }

    /// Drops every gateway connection without a close frame.
    pub fn drop_connection(&self) {
        self.inner.gateway.drop_all();
    }

    /// An outage: drops every gateway connection and refuses new ones (503) until
    /// [`DiscordEmulator::end_outage`].
    pub fn start_outage(&self) {
        self.inner.gateway.refusing.store(true, Ordering::Relaxed);
        self.inner.gateway.drop_all();
    }

    pub fn end_outage(&self) {
        self.inner.gateway.refusing.store(false, Ordering::Relaxed);
    }
}
