//! The weekly digest end to end: a daemon with both bridges against the Slack and
//! Discord emulators and a manual clock. Nothing on the first start; the week's digest
//! (text and PNG chart) at the schedule on both platforms; not again after a restart;
//! a week missed while the daemon was down posted when it starts; `/handover digest`.

use std::sync::Arc;
use std::time::Duration;

use handover_core::Timestamp;
use handover_daemon::clock::{Clock, ManualClock};
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::DiscordBridge;
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig};
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};
use handover_slack::{Limits, SlackBridge};
use serde_json::json;

use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const DIGEST: &str = "C0DIGEST";
const ADMIN: &str = "UADMIN";

struct Chats {
    slack: SlackEmulator,
    discord: DiscordEmulator,
    discord_digest: String,
    toml: String,
    _dir: tempfile::TempDir,
    _webhook: Receiver,
}

impl Chats {
    async fn start() -> Self {
        let slack = SlackEmulator::start(SlackEmulatorConfig::default())
            .await
            .expect("slack");
        slack.add_user(SlackUser::new(ADMIN, "ada", "Ada Admin"));
        slack.add_user(SlackUser::new("UGRACE", "grace", "Grace Hopper"));
        let everyone = [SlackEmulator::BOT_USER_ID, ADMIN, "UGRACE"];
        slack.add_channel("C0HANDOVER", "handovers", true, &everyone);
        slack.add_channel(DIGEST, "handover-digest", true, &everyone);
        let discord = DiscordEmulator::start(DiscordEmulatorConfig::default())
            .await
            .expect("discord");
        let category = discord.add_category("handovers");
        let discord_digest = discord.add_channel("handover-digest", None);
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
bridge = "slack"
[[platforms]]
id = "app"
token = "{OTHER_TOKEN}"
webhook_url = "http://{hook}/other"
webhook_secret = "{SECRET}"
bridge = "discord"
[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = ["C0HANDOVER"]
members = ["UGRACE"]
admins = ["{ADMIN}"]
digest_channel = "{DIGEST}"
api_url = "{slack_api}"
[discord]
enabled = true
bot_token = "emulator-bot-token"
application_id = "{app}"
guild_id = "{guild}"
category_id = "{category}"
digest_channel_id = "{discord_digest}"
api_url = "{discord_api}"
[digest]
schedule = "MON 09:00"
timezone = "Europe/Berlin"
"#,
            data = dir.path().display(),
            hook = webhook.addr,
            slack_api = slack.api_url(),
            discord_api = discord.api_url(),
            app = DiscordEmulator::APPLICATION_ID,
            guild = DiscordEmulator::GUILD_ID,
        );
        Self {
            slack,
            discord,
            discord_digest,
            toml,
            _dir: dir,
            _webhook: webhook,
        }
    }

    async fn daemon(&self, clock: &ManualClock) -> Daemon {
        let c = config(&self.toml, &[]);
        let bridges: Vec<Arc<dyn handover_daemon::bridge::Bridge>> = vec![
            Arc::new(SlackBridge::new(&c.slack, Limits::default())),
            Arc::new(DiscordBridge::new(&c.discord)),
        ];
        // After a restart in this process the previous daemon's last handles (the
        // gateway client's tasks) may hold the store a moment longer: wait for them.
        let mut tries = 0;
        let daemon = loop {
            let opts = Options {
                bridges: bridges.clone(),
                clock: Arc::new(clock.clone()),
            };
            match Daemon::start(&c, opts).await {
                Ok(d) => break d,
                Err(e) if tries < 100 && format!("{e:#}").contains("in use") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("daemon: {e:#}"),
            }
        };
        assert!(self.slack.wait_connected(1, Duration::from_secs(10)).await);
        assert!(self.discord.wait_connected(Duration::from_secs(10)).await);
        daemon
    }

    /// The digest posts so far: Slack's file shares and Discord's messages with a file.
    fn posts(&self) -> (Vec<String>, Vec<serde_json::Value>) {
        let slack = self
            .slack
            .messages(DIGEST)
            .into_iter()
            .filter(|m| !m.files.is_empty())
            .map(|m| m.text)
            .collect();
        let discord = self
            .discord
            .messages(&self.discord_digest)
            .into_iter()
            .filter(|m| m.json["attachments"][0]["url"].is_string())
            .map(|m| m.json)
            .collect();
        (slack, discord)
    }

    async fn wait_posts(&self, n: usize) -> (Vec<String>, Vec<serde_json::Value>) {
        wait_for(|| {
            let (s, d) = self.posts();
            (s.len() >= n && d.len() >= n).then_some((s, d))
        })
        .await
    }
}

fn at(s: &str) -> Timestamp {
    handover_daemon::clock::parse_rfc3339(s).expect("time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_digest_is_posted_once_per_week_on_both_platforms() {
    let chats = Chats::start().await;
    // Sunday noon in Berlin.
    let clock = ManualClock::at(at("2026-11-22T11:00:00Z"));
    let daemon = chats.daemon(&clock).await;
    let api = Api::new(daemon.addr);
    for c in ["d1", "d2", "d3"] {
        let r = api.post("/v1/handovers", handover_request(c)).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = api
        .post("/v1/handovers/H-1/end", json!({"resolution": "closed"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = handover_request("d4").to_string().into_bytes();
    let r = api
        .raw("POST", "/v1/handovers", Some(OTHER_TOKEN), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The first start posts nothing: no week was missed yet.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(chats.posts(), (vec![], vec![]));

    // Monday 09:00 Berlin (08:00 UTC): last week's digest, on both platforms.
    clock.advance(Duration::from_secs(21 * 3600 + 30));
    let (slack, discord) = chats.wait_posts(1).await;
    let text = &slack[0];
    assert!(
        text.contains("Handover digest · 16 Nov – 22 Nov 2026"),
        "{text}"
    );
    assert!(text.contains("Handovers: 3 (new)"), "{text}");
    assert!(text.contains("closed 1"), "{text}");
    assert!(text.contains("1. asks for a refund — 3"), "{text}");
    let file = &chats.slack.uploaded_files()[0];
    assert_eq!(file.name, "handover-digest-2026-11-23.png");
    assert!(file.bytes.starts_with(PNG));
    assert!(file.channels.contains(&DIGEST.to_owned()));
    let content = discord[0]["content"].as_str().unwrap_or("");
    assert!(content.contains("Handovers: 1 (new)"), "{content}");
    let attachment = &discord[0]["attachments"][0];
    assert_eq!(attachment["filename"], "handover-digest-2026-11-23.png");
    let bytes = chats
        .discord
        .file(attachment["id"].as_str().expect("id"))
        .expect("stored");
    assert!(bytes.starts_with(PNG));

    // A restart does not post the same week again.
    daemon.shutdown().await;
    let daemon = chats.daemon(&clock).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (slack, discord) = chats.posts();
    assert_eq!((slack.len(), discord.len()), (1, 1));

    // Down over the next schedule: that week is posted when the daemon starts.
    daemon.shutdown().await;
    clock.advance(Duration::from_secs(7 * 86_400));
    let daemon = chats.daemon(&clock).await;
    let (slack, _) = chats.wait_posts(2).await;
    assert!(
        slack[1].contains("Handover digest · 23 Nov – 29 Nov 2026"),
        "{}",
        slack[1]
    );
    assert!(slack[1].contains("Handovers: 0"), "{}", slack[1]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(chats.posts().0.len(), 2, "posted once");

    // `/handover digest`: admins only, posts the last seven days at once.
    let refused = chats
        .slack
        .slash_command("UGRACE", "C0HANDOVER", "/handover", "digest")
        .await
        .expect("command");
    assert!(refused.to_string().contains("admin"), "{refused}");
    let answer = chats
        .slack
        .slash_command(ADMIN, "C0HANDOVER", "/handover", "digest")
        .await
        .expect("command");
    assert!(
        answer.to_string().contains(&format!(
            "Posted the digest of the last 7 days to <#{DIGEST}>"
        )),
        "{answer}"
    );
    assert_eq!(chats.posts().0.len(), 3);
    let _ = clock.now();
    daemon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_answer_with_each_chats_figures_as_a_table() {
    let chats = Chats::start().await;
    let clock = ManualClock::at(at("2026-11-20T10:00:00Z"));
    let daemon = chats.daemon(&clock).await;
    let api = Api::new(daemon.addr);
    for c in ["s1", "s2"] {
        assert_eq!(
            api.post("/v1/handovers", handover_request(c)).await.status,
            201
        );
    }
    clock.advance(Duration::from_secs(600));
    let r = api
        .post(
            "/v1/handovers/H-2/end",
            json!({"resolution": "returned_to_ai"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .post("/v1/handovers/H-2/rating", json!({"score": 4}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let body = handover_request("s3").to_string().into_bytes();
    let r = api
        .raw("POST", "/v1/handovers", Some(OTHER_TOKEN), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let slack = chats
        .slack
        .slash_command("UGRACE", "C0HANDOVER", "/handover", "stats 7d")
        .await
        .expect("command")
        .to_string();
    for shown in [
        "Last 7 days",
        "Handovers 2 · pending 1",
        "back to AI 1",
        "Resolution median 10 min",
        "Rating 4.0/5 from 1",
        "4★ 1",
        "1. asks for a refund — 2",
    ] {
        assert!(slack.contains(shown), "{shown} in {slack}");
    }
    let grace = chats.discord.add_user("grace");
    let options = json!([{"name": "text", "type": 3, "value": "stats 30d"}]);
    let discord = chats
        .discord
        .slash_command(&grace, &chats.discord_digest, "handover", options)
        .await
        .expect("command");
    let content = discord["data"]["content"].as_str().unwrap_or("");
    assert!(content.contains("Last 30 days"), "{content}");
    assert!(
        content.contains("Handovers 1 · pending 1"),
        "Discord counts its own handovers: {content}"
    );
    assert_eq!(discord["data"]["flags"], 64, "ephemeral");
    daemon.shutdown().await;
}
