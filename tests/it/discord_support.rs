//! The Discord end-to-end harness: the real daemon and Discord bridge against the
//! Discord emulator, with an AI-platform webhook receiver, and helpers to read what
//! reached the channels.

use std::sync::Arc;
use std::time::Duration;

use handover_daemon::clock::{Clock, SystemClock};
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::{DiscordBridge, RestLimits};
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig, RateLimit};
use serde_json::{Value, json};

use crate::support::*;

/// The daemon with the Discord bridge in front of an emulator.
pub struct Setup {
    pub emu: DiscordEmulator,
    pub bridge: DiscordBridge,
    pub daemon: Daemon,
    pub api: Api,
    pub webhook: Receiver,
    pub grace: String,
    pub alan: String,
    pub category: String,
    pub archive: String,
    pub parent: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    pub async fn start(emulator: DiscordEmulatorConfig, limits: RestLimits, mode: &str) -> Self {
        Self::start_clocked(emulator, limits, mode, Arc::new(SystemClock)).await
    }

    /// [`Setup::start`] on `clock` (reminders and give-up times follow it).
    pub async fn start_clocked(
        emulator: DiscordEmulatorConfig,
        limits: RestLimits,
        mode: &str,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let emu = DiscordEmulator::start(emulator).await.expect("emulator");
        let grace = emu.add_user("grace");
        let alan = emu.add_user("alan");
        let category = emu.add_category("handovers");
        let archive = emu.add_category("archive");
        let parent = emu.add_channel("support", None);
        let dir = tempfile::tempdir().expect("tempdir");
        let webhook = Receiver::start().await;
        let toml = format!(
            r#"data_dir = "{data}"
[server]
listen = "127.0.0.1:0"
[[platforms]]
id = "web"
token = "{TOKEN}"
webhook_url = "http://{hook}/events"
webhook_secret = "{SECRET}"
bridge = "discord"
retry_initial = "20ms"
retry_max = "200ms"
[discord]
enabled = true
bot_token = "emulator-bot-token"
application_id = "{app}"
guild_id = "{guild}"
mode = "{mode}"
category_id = "{category}"
archive_category_id = "{archive}"
parent_channel_id = "{parent}"
members = ["{grace}", "{alan}"]
api_url = "{api}"
"#,
            data = dir.path().display(),
            hook = webhook.addr,
            app = DiscordEmulator::APPLICATION_ID,
            guild = DiscordEmulator::GUILD_ID,
            api = emu.api_url(),
        );
        let config = config(&toml, &[]);
        let bridge = DiscordBridge::with_limits(&config.discord, limits);
        let daemon = Daemon::start(
            &config,
            Options {
                bridges: vec![Arc::new(bridge.clone())],
                clock,
            },
        )
        .await
        .expect("daemon");
        assert!(emu.wait_connected(Duration::from_secs(10)).await);
        let api = Api::new(daemon.addr);
        Self {
            emu,
            bridge,
            daemon,
            api,
            webhook,
            grace,
            alan,
            category,
            archive,
            parent,
            _dir: dir,
        }
    }

    /// Requests a handover for `conversation`; its channel (or thread) id once the
    /// header card is there.
    pub async fn handover(&self, conversation: &str) -> (String, String) {
        let r = self
            .api
            .post("/v1/handovers", handover_request(conversation))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["handover_id"].as_str().expect("id").to_owned();
        let channel = wait_for(|| {
            let url = self.daemon_location(&id)?;
            let parts: Vec<&str> = url.rsplit('/').collect();
            Some(parts.get(1)?.to_string())
        })
        .await;
        (id, channel)
    }

    pub fn daemon_location(&self, id: &str) -> Option<String> {
        let engine = &self.daemon.engine;
        let h = engine.store().handover(id.parse().ok()?).ok()??;
        h.location?.url
    }

    pub async fn user_says(&self, conversation: &str, message_id: &str, text: &str) {
        let r = self
            .api
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                json!({"message_id": message_id, "role": "user", "text": text}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
    }

    /// The first event of type `kind` the AI platform received.
    pub async fn event(&self, kind: &str) -> Value {
        wait_for(|| {
            self.webhook
                .delivered()
                .into_iter()
                .map(|r| r.json())
                .find(|e| e["type"] == kind)
        })
        .await
    }

    /// The text the relay webhook posted in `channel`, in order.
    pub fn relayed(&self, channel: &str) -> String {
        self.emu
            .messages(channel)
            .iter()
            .filter(|m| m.json["webhook_id"].is_string())
            .map(|m| m.json["content"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `marker-07 ` followed by filler, so that a few messages fill a Discord post.
pub fn long_message(i: usize) -> String {
    format!("marker-{i:02} {}", "x".repeat(900))
}

/// Every marker appears exactly once, in order.
pub fn assert_in_order(text: &str, n: usize) {
    let mut at = 0;
    for i in 0..n {
        let marker = format!("marker-{i:02} ");
        assert_eq!(text.matches(&marker).count(), 1, "{marker} exactly once");
        let pos = text.find(&marker).expect("present");
        assert!(pos >= at, "{marker} in order");
        at = pos;
    }
}

pub fn quiet_global() -> Option<RateLimit> {
    Some(RateLimit {
        limit: 1000,
        window: Duration::from_secs(1),
    })
}
