//! A loopback Slack: the Web API (`/api/{method}`, JSON answers), Socket Mode (`/socket`,
//! WebSocket envelopes and acks) and signed Events API pushes, close enough to the real
//! wire protocols that the unmodified slack-morphism client works against it.
//!
//! Set the workspace up ([`SlackEmulator::add_user`], [`SlackEmulator::add_channel`]),
//! point the client at [`SlackEmulator::api_url`], act as users ([`SlackEmulator::user_message`],
//! [`SlackEmulator::click`], …) and inspect what the app did ([`SlackEmulator::calls`],
//! [`SlackEmulator::messages`], …).
//!
//! ```ignore
//! let emu = SlackEmulator::start(SlackEmulatorConfig::default()).await?;
//! emu.add_user(SlackUser::new("U1", "alice", "Alice Example"));
//! emu.add_channel("G1", "handover", true, &["UBOT", "U1"]);
//! // bridge config: slack.api_url = emu.api_url(), bot token "xoxb-emulator",
//! // app token "xapp-emulator" (Socket Mode connects via apps.connections.open)
//! assert!(emu.wait_connected(1, Duration::from_secs(5)).await);
//! let ts = emu.user_message("U1", "G1", None, "hello").await?; // after the app's ack
//! let answer = emu.slash_command("U1", "G1", "/handover", "list").await?;
//! ```
//!
//! Like real Slack, the app's own posts and edits come back to it as `message` events
//! (`bot_id` set; subtype `bot_message` with a `username`, `message_changed` for
//! `chat.update`), and [`SlackEmulator::mention`] pushes both `message` and
//! `app_mention`.

mod chat;
mod delivery;
mod events;
mod files;
mod form;
mod http_push;
mod inject;
mod payloads;
mod socket;
mod state;
mod web_api;
mod workspace;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use tokio::sync::mpsc;

pub use http_push::sign;

use state::State;

/// How the emulator is set up. Every field has a sensible default.
#[derive(Debug, Clone)]
pub struct SlackEmulatorConfig {
    /// The bot token (`xoxb-…`) every Web API method except `apps.connections.open` wants.
    pub bot_token: String,
    /// The app-level token (`xapp-…`) `apps.connections.open` wants.
    pub app_token: String,
    /// `chat.postMessage` refill rate per channel (token bucket).
    pub post_per_second: f64,
    /// `chat.postMessage` burst per channel (bucket size).
    pub post_burst: u32,
    /// The `Retry-After` header (seconds) on a 429.
    pub retry_after_secs: u64,
    /// When set, injections are POSTed (signed) to the app's Events API URLs instead of
    /// being pushed over Socket Mode.
    pub http_events: Option<HttpEvents>,
    /// How long an injection waits for the app's ack (Socket Mode) or HTTP answer.
    pub ack_timeout: Duration,
    /// Whether [`SlackEmulator::mention`] also pushes the `message` event real Slack sends
    /// (to apps subscribed to `message.*`) before the `app_mention` event.
    pub mention_also_pushes_message: bool,
}

impl Default for SlackEmulatorConfig {
    fn default() -> Self {
        Self {
            bot_token: "xoxb-emulator".to_string(),
            app_token: "xapp-emulator".to_string(),
            post_per_second: 1.0,
            post_burst: 3,
            retry_after_secs: 1,
            http_events: None,
            ack_timeout: Duration::from_secs(10),
            mention_also_pushes_message: true,
        }
    }
}

/// Where the Events API pushes go in HTTP mode.
#[derive(Debug, Clone)]
pub struct HttpEvents {
    /// E.g. `http://127.0.0.1:8080/slack`; pushes go to `{base_url}/events`,
    /// `{base_url}/commands` and `{base_url}/interactions`.
    pub base_url: String,
    /// The signing secret used for `X-Slack-Signature`.
    pub signing_secret: String,
}

/// A workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackUser {
    pub id: String,
    pub name: String,
    pub real_name: String,
    /// The avatar (`profile.image_*`); `None` gives a generated URL, as Slack does.
    pub image_url: Option<String>,
    pub is_bot: bool,
}

impl SlackUser {
    /// A human member without an avatar.
    pub fn new(id: &str, name: &str, real_name: &str) -> Self {
        Self {
            id: id.to_string(),
            name: name.to_string(),
            real_name: real_name.to_string(),
            image_url: None,
            is_bot: false,
        }
    }
}

/// One Web API call as the emulator saw it (rejected and rate-limited ones included).
/// Besides Web API methods, `upload_url`, `file_download` and `response_url` are recorded.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Query string, form and JSON body merged into one object.
    pub params: serde_json::Value,
    pub status: u16,
    pub ok: bool,
    pub error: Option<String>,
    pub at: Instant,
}

/// A stored message (root or thread reply).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub ts: String,
    /// The root's ts for a thread reply; `None` for a root.
    pub thread_ts: Option<String>,
    /// The author; `UBOT` for the app's posts (which also have `bot_id`).
    pub user: Option<String>,
    /// `B0EMULATOR` for the app's posts, `None` for users' messages.
    pub bot_id: Option<String>,
    /// The `username` override of a post (`chat:write.customize`).
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub text: String,
    /// `Null` when the message has no blocks.
    pub blocks: serde_json::Value,
    pub metadata: Option<serde_json::Value>,
    /// Reaction names added with `reactions.add`.
    pub reactions: Vec<String>,
    /// How many times `chat.update` (or a `replace_original` response) changed it.
    pub edited: u32,
    pub files: Vec<FileInfo>,
}

/// An ephemeral message: a `chat.postEphemeral` call or a `response_url` post.
#[derive(Debug, Clone, PartialEq)]
pub struct Ephemeral {
    pub channel: String,
    pub user: String,
    pub text: String,
    pub blocks: serde_json::Value,
    pub thread_ts: Option<String>,
}

/// A file known to the emulator.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub mimetype: String,
    pub size: usize,
    pub user: Option<String>,
    /// Served by the emulator; needs `Authorization: Bearer <bot token>`.
    pub url_private: String,
    /// Channels the file was shared in.
    pub channels: Vec<String>,
    pub bytes: Vec<u8>,
}

/// Why an injection failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmulatorError {
    /// No Socket Mode connection appeared within the ack timeout.
    NotConnected,
    /// The app did not ack (Socket Mode) or answer (HTTP) within the ack timeout.
    Timeout,
    /// The Socket Mode connection closed before the ack.
    Disconnected,
    /// HTTP mode: the app answered with a non-2xx status.
    Http { status: u16, body: String },
    /// HTTP mode: the request could not be sent.
    Transport(String),
    /// An unknown user, channel, message, thread or action.
    NotFound(String),
    /// [`SlackEmulator::redeliver_last`] without a previous injection.
    NothingToRedeliver,
}

impl std::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnected => write!(f, "no Socket Mode connection"),
            Self::Timeout => write!(f, "the app did not acknowledge in time"),
            Self::Disconnected => write!(f, "the connection closed before the ack"),
            Self::Http { status, body } => write!(f, "the app answered HTTP {status}: {body}"),
            Self::Transport(e) => write!(f, "could not reach the app: {e}"),
            Self::NotFound(what) => write!(f, "not found: {what}"),
            Self::NothingToRedeliver => write!(f, "nothing was pushed yet"),
        }
    }
}

impl std::error::Error for EmulatorError {}

/// The running emulator. Cheap to clone; every clone drives the same server.
#[derive(Clone)]
pub struct SlackEmulator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: SlackEmulatorConfig,
    pub(crate) addr: SocketAddr,
    pub(crate) state: Mutex<State>,
    pub(crate) sockets: socket::Sockets,
    pub(crate) echo_tx: mpsc::UnboundedSender<delivery::Push>,
    pub(crate) http: http_push::Client,
    pub(crate) started: String,
}

impl std::fmt::Debug for SlackEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackEmulator")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl SlackEmulator {
    pub const BOT_USER_ID: &'static str = "UBOT";
    pub const BOT_ID: &'static str = "B0EMULATOR";
    pub const BOT_NAME: &'static str = "handover-bot";
    pub const TEAM_ID: &'static str = "T0EMULATOR";
    pub const APP_ID: &'static str = "A0EMULATOR";

    /// Binds `127.0.0.1:0` and serves until the runtime stops.
    pub async fn start(config: SlackEmulatorConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (echo_tx, echo_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            config,
            addr,
            state: Mutex::new(State::new()),
            sockets: socket::Sockets::new(),
            echo_tx,
            http: http_push::client(),
            started: http_push::unix_now().to_string(),
        });
        let app = Router::new()
            .route("/api/{method}", any(web_api::api))
            .route("/socket", get(socket::upgrade))
            .route(
                "/upload/{file_id}",
                post(files::upload).layer(DefaultBodyLimit::max(256 << 20)),
            )
            .route("/files/{file_id}/{name}", get(files::download))
            .route("/response/{id}", post(web_api::response_url))
            .with_state(inner.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("slack emulator server stopped: {e}");
            }
        });
        tokio::spawn(delivery::echo_loop(inner.clone(), echo_rx));
        Ok(Self { inner })
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT/api`, no trailing slash.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.inner.base_url())
    }

    /// Adds or replaces a workspace member.
    pub fn add_user(&self, user: SlackUser) {
        self.inner.state().users.insert(user.id.clone(), user);
    }

    /// Adds or replaces a channel; `members` may include [`Self::BOT_USER_ID`].
    pub fn add_channel(&self, id: &str, name: &str, private: bool, members: &[&str]) {
        self.inner.state().add_channel(id, name, private, members);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.state().calls.clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let st = self.inner.state();
        st.calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Every stored message of the channel (roots and replies) in ts order.
    pub fn messages(&self, channel: &str) -> Vec<Message> {
        let st = self.inner.state();
        st.messages
            .get(channel)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The replies of a thread (without the root) in ts order.
    pub fn thread(&self, channel: &str, thread_ts: &str) -> Vec<Message> {
        self.messages(channel)
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(thread_ts) && m.ts != thread_ts)
            .collect()
    }

    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.inner.state().message(channel, ts).cloned()
    }

    pub fn ephemerals(&self) -> Vec<Ephemeral> {
        self.inner.state().ephemerals.clone()
    }

    pub fn members(&self, channel: &str) -> Vec<String> {
        let st = self.inner.state();
        st.channels
            .get(channel)
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }

    /// How many 429s were served.
    pub fn rate_limited(&self) -> u64 {
        self.inner.state().rate_limited
    }

    /// Files uploaded through the Web API (`files.getUploadURLExternal` …), in order.
    pub fn uploaded_files(&self) -> Vec<FileInfo> {
        let st = self.inner.state();
        st.files
            .iter()
            .filter(|f| f.via_api)
            .map(|f| f.info.clone())
            .collect()
    }

    /// Live Socket Mode connections.
    pub fn socket_connections(&self) -> usize {
        self.inner.sockets.count()
    }

    /// Waits until at least `n` Socket Mode connections are live.
    pub async fn wait_connected(&self, n: usize, timeout: Duration) -> bool {
        self.inner.sockets.wait_count(n, timeout).await
    }
}
