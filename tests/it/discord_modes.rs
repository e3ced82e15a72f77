//! The Discord bridge under Discord's rate limits (per-route buckets, the global
//! limit, long waits left to the outbox), in `private_thread` mode, and with a full
//! handover category: the real daemon and bridge against the Discord emulator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use handover_daemon::bridge::Bridge;
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::{DiscordBridge, RestLimits};
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig, RateLimit};
use serde_json::{Value, json};

use crate::support::*;

/// The daemon with the Discord bridge in front of an emulator.
struct Setup {
    emu: DiscordEmulator,
    bridge: DiscordBridge,
    daemon: Daemon,
    api: Api,
    webhook: Receiver,
    grace: String,
    category: String,
    archive: String,
    parent: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn start(emulator: DiscordEmulatorConfig, limits: RestLimits, mode: &str) -> Self {
        let emu = DiscordEmulator::start(emulator).await.expect("emulator");
        let grace = emu.add_user("grace");
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
members = ["{grace}"]
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
                ..Options::default()
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
            category,
            archive,
            parent,
            _dir: dir,
        }
    }

    /// Requests a handover for `conversation`; its channel (or thread) id once the
    /// header card is there.
    async fn handover(&self, conversation: &str) -> (String, String) {
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

    fn daemon_location(&self, id: &str) -> Option<String> {
        let engine = &self.daemon.engine;
        let h = engine.store().handover(id.parse().ok()?).ok()??;
        h.location?.url
    }

    async fn user_says(&self, conversation: &str, message_id: &str, text: &str) {
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
    async fn event(&self, kind: &str) -> Value {
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
    fn relayed(&self, channel: &str) -> String {
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
fn long_message(i: usize) -> String {
    format!("marker-{i:02} {}", "x".repeat(900))
}

/// Every marker appears exactly once, in order.
fn assert_in_order(text: &str, n: usize) {
    let mut at = 0;
    for i in 0..n {
        let marker = format!("marker-{i:02} ");
        assert_eq!(text.matches(&marker).count(), 1, "{marker} exactly once");
        let pos = text.find(&marker).expect("present");
        assert!(pos >= at, "{marker} in order");
        at = pos;
    }
}

fn quiet_global() -> Option<RateLimit> {
    Some(RateLimit {
        limit: 1000,
        window: Duration::from_secs(1),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_follow_the_route_buckets_without_a_single_429() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            webhook_executes: Some(RateLimit {
                limit: 3,
                window: Duration::from_millis(400),
            }),
            global: quiet_global(),
            ..DiscordEmulatorConfig::default()
        },
        RestLimits::default(),
        "channel",
    )
    .await;
    let (_, channel) = s.handover("bucket").await;
    for i in 0..24 {
        s.user_says("bucket", &format!("m{i}"), &long_message(i))
            .await;
    }
    let text = wait_for(|| {
        let t = s.relayed(&channel);
        t.contains("marker-23 ").then_some(t)
    })
    .await;
    assert_in_order(&text, 24);
    let executes = s.emu.calls_to("POST", "/webhooks/{webhook_id}/{token}");
    assert!(executes.len() > 3, "more posts than one window allows");
    assert_eq!(s.emu.rate_limited(), 0, "the bridge waited for each reset");
    assert_eq!(s.bridge.rate_limited(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_global_429s_is_waited_out_and_nothing_is_lost_or_repeated() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            messages_per_channel: None,
            webhook_executes: None,
            global: Some(RateLimit {
                limit: 4,
                window: Duration::from_millis(300),
            }),
            ..DiscordEmulatorConfig::default()
        },
        // The bridge's own global limit is out of the way: the emulator's 429s decide.
        RestLimits {
            global_per_second: 10_000,
            ..RestLimits::default()
        },
        "channel",
    )
    .await;
    let mut channels = Vec::new();
    for c in 0..3 {
        let conversation = format!("storm-{c}");
        let (_, channel) = s.handover(&conversation).await;
        channels.push((conversation, channel));
    }
    for i in 0..8 {
        for (conversation, _) in &channels {
            s.user_says(
                conversation,
                &format!("{conversation}-{i}"),
                &long_message(i),
            )
            .await;
        }
    }
    for (_, channel) in &channels {
        let text = wait_for(|| {
            let t = s.relayed(channel);
            t.contains("marker-07 ").then_some(t)
        })
        .await;
        assert_in_order(&text, 8);
    }
    assert!(s.emu.rate_limited() > 0, "the emulator did refuse calls");
    assert!(s.bridge.rate_limited() > 0, "and the bridge saw the 429s");
    let global = s
        .emu
        .calls()
        .into_iter()
        .filter(|c| c.status == 429)
        .count();
    assert_eq!(global as u64, s.emu.rate_limited());
    let metrics = s.api.get("/metrics").await.text;
    let seen = format!(
        "handover_bridge_rate_limited_total{{bridge=\"discord\"}} {}",
        s.bridge.rate_limited()
    );
    assert!(metrics.contains(&seen), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_longer_than_max_wait_is_left_to_the_outbox_and_still_delivered() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            webhook_executes: Some(RateLimit {
                limit: 1,
                window: Duration::from_millis(1200),
            }),
            global: quiet_global(),
            ..DiscordEmulatorConfig::default()
        },
        RestLimits {
            max_wait: Duration::from_millis(50),
            ..RestLimits::default()
        },
        "channel",
    )
    .await;
    let (_, channel) = s.handover("slow").await;
    let started = Instant::now();
    s.user_says("slow", "s0", "marker-00 first").await;
    wait_for(|| s.relayed(&channel).contains("marker-00 ").then_some(())).await;
    s.user_says("slow", "s1", "marker-01 second").await;
    let text = wait_for(|| {
        let t = s.relayed(&channel);
        t.contains("marker-01 ").then_some(t)
    })
    .await;
    assert_in_order(&text, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "the second post waited for the bucket's reset"
    );
    assert_eq!(s.emu.rate_limited(), 0, "known-empty buckets are not tried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_thread_mode_carries_the_conversation_and_archives_the_thread() {
    let s = Setup::start(
        DiscordEmulatorConfig::default(),
        RestLimits::default(),
        "private_thread",
    )
    .await;
    let (id, thread) = s.handover("threaded").await;
    let t = s.emu.channel(&thread).expect("thread");
    assert_eq!(t["type"], 12, "a private thread");
    assert_eq!(t["parent_id"], s.parent.as_str());
    assert!(s.emu.thread_members(&thread).contains(&s.grace));
    let header = &s.emu.messages(&thread)[0];
    assert!(
        header.json["content"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("<@{}>", s.grace)),
        "the selected member is pinged in the thread"
    );
    let card = header.json["embeds"][0]["fields"].to_string();
    for shown in [
        "Details",
        "1234",
        "Recent conversation",
        "My order arrived broken",
    ] {
        assert!(card.contains(shown), "{shown} in the card: {card}");
    }

    // The end user's message arrives in the thread, through the parent's webhook.
    s.user_says("threaded", "u1", "marker-00 hello @everyone")
        .await;
    wait_for(|| s.relayed(&thread).contains("marker-00 ").then_some(())).await;
    let relayed = s
        .emu
        .messages(&thread)
        .into_iter()
        .find(|m| m.json["webhook_id"].is_string())
        .expect("relayed");
    assert_eq!(relayed.json["author"]["username"], "Ada Lovelace");

    // Grace answers in the thread: the AI platform gets it, and it is marked delivered.
    let msg = s
        .emu
        .user_message(&s.grace, &thread, "Hi Ada, Grace here.")
        .await
        .expect("message");
    let got = s.event("agent.message").await;
    assert_eq!(got["data"]["text"], "Hi Ada, Grace here.");
    wait_for(|| {
        s.emu
            .message(&thread, &msg)
            .filter(|m| m.reactions.iter().any(|r| r == "✅"))
    })
    .await;

    // Close: the card loses its buttons, the thread is archived and locked.
    let r = s
        .api
        .post(
            &format!("/v1/handovers/{id}/end"),
            json!({"resolution": "closed"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_for(|| {
        let t = s.emu.channel(&thread)?;
        (t["thread_metadata"]["archived"] == true && t["thread_metadata"]["locked"] == true)
            .then_some(())
    })
    .await;

    // A rating after the end still shows, and the thread ends up archived again.
    let r = s
        .api
        .post(&format!("/v1/handovers/{id}/rating"), json!({"score": 5}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    wait_for(|| {
        s.emu
            .messages(&thread)
            .iter()
            .any(|m| m.json["content"].as_str().unwrap_or("").contains("5/5"))
            .then_some(())
    })
    .await;
    wait_for(|| {
        let t = s.emu.channel(&thread)?;
        (t["thread_metadata"]["archived"] == true).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_category_overflows_into_a_new_one_that_is_used_again_later() {
    let s = Setup::start(
        DiscordEmulatorConfig::default(),
        RestLimits::default(),
        "channel",
    )
    .await;
    for i in 0..50 {
        s.emu.add_channel(&format!("old-{i}"), Some(&s.category));
    }
    let (_, first) = s.handover("overflow-1").await;
    let parent = |c: &str| -> Value { s.emu.channel(c).expect("channel")["parent_id"].clone() };
    let overflow = parent(&first);
    assert_ne!(overflow, Value::String(s.category.clone()));
    let cat = s
        .emu
        .channel(overflow.as_str().expect("id"))
        .expect("category");
    assert_eq!(cat["name"], "handovers 2");
    assert_eq!(cat["type"], 4);
    let (_, second) = s.handover("overflow-2").await;
    assert_eq!(parent(&second), overflow, "the overflow category is reused");

    // A full archive category overflows the same way.
    for i in 0..50 {
        s.emu
            .add_channel(&format!("archived-{i}"), Some(&s.archive));
    }
    let r = s
        .api
        .post("/v1/handovers/H-1/end", json!({"resolution": "closed"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let archived = wait_for(|| {
        let p = parent(&first);
        (p != overflow).then_some(p)
    })
    .await;
    let cat = s
        .emu
        .channel(archived.as_str().expect("id"))
        .expect("category");
    assert_eq!(cat["name"], "archive 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_both_ways_and_expired_discord_urls_are_refreshed() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            attachment_url_ttl: Duration::from_millis(300),
            ..DiscordEmulatorConfig::default()
        },
        RestLimits::default(),
        "channel",
    )
    .await;
    let (_, channel) = s.handover("files").await;

    // The end user's file shows in the channel as its name and link.
    let r = s
        .api
        .post(
            "/v1/conversations/files/messages",
            json!({"message_id": "u-file", "text": "marker-00 see photo", "attachments": [
                {"url": "https://cdn.example.com/p/broken.jpg", "name": "broken.jpg"}
            ]}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let text = wait_for(|| {
        let t = s.relayed(&channel);
        t.contains("marker-00").then_some(t)
    })
    .await;
    assert!(
        text.contains("broken.jpg <https://cdn.example.com/p/broken.jpg>"),
        "{text}"
    );

    // Grace's file reaches the AI platform as a link the daemon serves.
    let bytes = b"%PDF-1.4 refund receipt".to_vec();
    s.emu
        .user_upload(
            &s.grace,
            &channel,
            "Here is the receipt.",
            ("refund receipt.pdf", "application/pdf", bytes.clone()),
        )
        .await
        .expect("upload");
    let msg = s.event("agent.message").await;
    let att = &msg["data"]["attachments"][0];
    assert_eq!(att["name"], "refund receipt.pdf");
    assert_eq!(att["content_type"], "application/pdf");
    let url = att["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&s.api.base), "served by the daemon: {url}");
    assert!(!url.contains(&s.emu.api_url()), "{url}");
    let path = url.trim_start_matches(&s.api.base).to_owned();
    let got = s.api.raw("GET", &path, None, vec![]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.text.as_bytes(), bytes.as_slice());
    assert_eq!(
        got.headers["content-type"], "application/pdf",
        "the file's type"
    );

    // After Discord's signed URL has expired, the link still works: it is refreshed.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = s.api.raw("GET", &path, None, vec![]).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.text.as_bytes(), bytes.as_slice());
    assert_eq!(s.emu.calls_to("POST", "/attachments/refresh-urls").len(), 1);
    assert_eq!(s.emu.downloads(), 2);

    // A guessed token gets nothing.
    let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
    assert_eq!(parts[1..3], ["discord", "files"], "{path}");
    parts[3] = "0".repeat(32);
    let guessed = s.api.raw("GET", &parts.join("/"), None, vec![]).await;
    assert_eq!(guessed.status, 404);
}
