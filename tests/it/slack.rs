//! The Slack bridge end to end: the real slack-morphism client against the Slack
//! emulator (Web API over HTTP, Socket Mode over WebSocket), with the daemon and a
//! loopback AI-platform webhook.

use std::sync::Arc;
use std::time::Duration;

use handover_core::Timestamp;
use handover_daemon::clock::{Clock, ManualClock, SystemClock};
use handover_daemon::daemon::{Daemon, Options};
use handover_emulators::slack::{HttpEvents, SlackEmulator, SlackEmulatorConfig, SlackUser};
use handover_slack::{Limits, SlackBridge};
use serde_json::json;

use crate::support::*;

pub(crate) const CHANNEL: &str = "C0HANDOVER";
pub(crate) const GRACE: &str = "U0GRACE";
pub(crate) const ALAN: &str = "U0ALAN";
pub(crate) const SAM: &str = "U0SAM";
pub(crate) const ADMIN: &str = "U0ADMIN";

/// The daemon with the real Slack bridge, the emulator and an AI-platform receiver.
pub(crate) struct World {
    pub slack: SlackEmulator,
    daemon: Option<Daemon>,
    pub api: Api,
    pub webhook: Receiver,
    _dir: tempfile::TempDir,
}

/// An emulator and bridge limits far above any test's load: no rate-limit waits.
fn unlimited() -> (SlackEmulatorConfig, Limits) {
    let emulator = SlackEmulatorConfig {
        post_per_second: 1000.0,
        post_burst: 1000,
        ..SlackEmulatorConfig::default()
    };
    let limits = Limits {
        per_channel_per_second: 1000,
        per_channel_burst: 1000,
        workspace_per_second: 1000,
    };
    (emulator, limits)
}

/// The signing secret of the Events API tests.
const SIGNING_SECRET: &str = "test-signing-secret-0123456789";

/// A loopback port that was free a moment ago (for a daemon whose address the
/// emulator must know before the daemon starts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl World {
    pub(crate) async fn start(emulator: SlackEmulatorConfig, limits: Limits) -> Self {
        Self::start_on(
            emulator,
            limits,
            "127.0.0.1:0",
            "app_token = \"xapp-emulator\"",
        )
        .await
    }

    /// Slack talks to the daemon over the Events API (signed HTTP) instead of Socket Mode.
    async fn start_http() -> Self {
        let port = free_port();
        let (mut emulator, limits) = unlimited();
        emulator.http_events = Some(HttpEvents {
            base_url: format!("http://127.0.0.1:{port}/slack"),
            signing_secret: SIGNING_SECRET.into(),
        });
        let listen = format!("127.0.0.1:{port}");
        Self::start_on(
            emulator,
            limits,
            &listen,
            &format!("signing_secret = \"{SIGNING_SECRET}\""),
        )
        .await
    }

    async fn start_on(
        emulator: SlackEmulatorConfig,
        limits: Limits,
        listen: &str,
        transport: &str,
    ) -> Self {
        Self::start_clocked(emulator, limits, listen, transport, Arc::new(SystemClock)).await
    }

    async fn start_clocked(
        emulator: SlackEmulatorConfig,
        limits: Limits,
        listen: &str,
        transport: &str,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let http = emulator.http_events.is_some();
        let slack = SlackEmulator::start(emulator).await.expect("emulator");
        for (id, name) in [
            (GRACE, "Grace Hopper"),
            (ALAN, "Alan Turing"),
            (SAM, "Sam Support"),
            (ADMIN, "Ada Admin"),
        ] {
            slack.add_user(SlackUser::new(id, &name.to_lowercase(), name));
        }
        slack.add_channel(
            CHANNEL,
            "handovers",
            true,
            &[SlackEmulator::BOT_USER_ID, GRACE, ALAN, SAM, ADMIN],
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let webhook = Receiver::start().await;
        let toml = format!(
            r#"data_dir = "{dir}"
[server]
listen = "{listen}"
max_body_bytes = 65536
[[platforms]]
id = "web"
token = "{TOKEN}"
webhook_url = "http://{hook}/events"
webhook_secret = "{SECRET}"
bridge = "slack"
retry_initial = "20ms"
retry_max = "200ms"
[slack]
enabled = true
bot_token = "xoxb-emulator"
{transport}
channels = ["{CHANNEL}"]
members = ["{GRACE}", "{ALAN}"]
admins = ["{ADMIN}"]
api_url = "{api}"
"#,
            dir = dir.path().display(),
            hook = webhook.addr,
            api = slack.api_url()
        );
        let bridge = SlackBridge::new(&config(&toml, &[]).slack, limits);
        let daemon = Daemon::start(
            &config(&toml, &[]),
            Options {
                bridges: vec![Arc::new(bridge)],
                clock,
            },
        )
        .await
        .expect("daemon");
        if !http {
            assert!(
                slack.wait_connected(1, Duration::from_secs(10)).await,
                "Socket Mode connects to the emulator"
            );
        }
        let api = Api::new(daemon.addr);
        Self {
            slack,
            daemon: Some(daemon),
            api,
            webhook,
            _dir: dir,
        }
    }

    pub(crate) async fn fast() -> Self {
        let (emulator, limits) = unlimited();
        Self::start(emulator, limits).await
    }

    /// Requests a handover and returns its card's ts once posted.
    pub(crate) async fn handover(&self, conversation: &str) -> String {
        let r = self
            .api
            .post("/v1/handovers", handover_request(conversation))
            .await;
        assert!(r.status.is_success(), "{}", r.text);
        let id = r.body["handover_id"].as_str().expect("id").to_owned();
        wait_for(|| {
            self.slack
                .messages(CHANNEL)
                .into_iter()
                .find(|m| m.thread_ts.is_none() && m.text.contains(&id))
                .map(|m| m.ts)
        })
        .await
    }

    /// Sends `"{prefix} 0"`, `"{prefix} 1"`, … as the end user; returns the texts sent.
    async fn send_numbered(&self, conversation: &str, prefix: &str, n: usize) -> Vec<String> {
        let mut sent = Vec::new();
        for i in 0..n {
            let text = format!("{prefix} {i}");
            let body = json!({"message_id": format!("m{i}"), "text": text});
            let r = self
                .api
                .post(&format!("/v1/conversations/{conversation}/messages"), body)
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            sent.push(text);
        }
        sent
    }

    /// The thread's lines once `last` has arrived (combined posts carry several lines).
    async fn thread_lines_until(&self, ts: &str, last: &str) -> Vec<String> {
        let joined = wait_for(|| {
            let all = self.thread_texts(ts).join("\n");
            all.contains(last).then_some(all)
        })
        .await;
        joined.lines().map(str::to_owned).collect()
    }

    fn thread_texts(&self, ts: &str) -> Vec<String> {
        self.slack
            .thread(CHANNEL, ts)
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(d) = self.daemon.take() {
            d.shutdown().await;
        }
    }
}

#[tokio::test]
async fn a_handover_is_a_card_whose_thread_carries_the_conversation() {
    let w = World::fast().await;
    let card_ts = w.handover("s1").await;
    let card = w.slack.message(CHANNEL, &card_ts).expect("card");
    assert!(
        card.text.contains(&format!("<@{GRACE}>")) && card.text.contains(&format!("<@{ALAN}>")),
        "members mentioned: {}",
        card.text
    );
    let blocks = card.blocks.to_string();
    assert!(
        blocks.contains("handover_take") && blocks.contains("Ada Lovelace"),
        "{blocks}"
    );

    // End-user text can neither ping nor fake a link.
    let evil = "hi <!channel> <!here> <@U0GRACE> <https://evil.example|your bank> @everyone";
    w.api
        .post(
            "/v1/conversations/s1/messages",
            json!({"message_id": "u1", "text": evil}),
        )
        .await;
    w.api
        .post(
            "/v1/conversations/s1/messages",
            json!({"message_id": "a1", "role": "ai", "text": "An AI answer"}),
        )
        .await;
    let replies =
        wait_for(|| Some(w.slack.thread(CHANNEL, &card_ts)).filter(|t| t.len() >= 2)).await;
    let user_post = &replies[0];
    assert_eq!(
        user_post.username.as_deref(),
        Some("Ada Lovelace"),
        "shown under the user's name"
    );
    for forbidden in ["<!channel>", "<!here>", "<@U0GRACE>", "<https://"] {
        assert!(
            !user_post.text.contains(forbidden),
            "{forbidden} must be escaped: {}",
            user_post.text
        );
    }
    assert!(
        user_post.text.contains("&lt;!channel&gt;"),
        "{}",
        user_post.text
    );
    assert_eq!(replies[1].username.as_deref(), Some("AI assistant"));
    w.stop().await;
}

#[tokio::test]
async fn replies_by_members_reach_the_user_and_are_marked_others_are_told() {
    let w = World::fast().await;
    let card_ts = w.handover("s2").await;
    // The first reply takes the handover over (take_over_on_reply).
    let ts = w
        .slack
        .user_message(GRACE, CHANNEL, Some(&card_ts), "Hello, I am Grace")
        .await
        .expect("reply");
    let events = w.webhook.wait_delivered(2).await;
    let kinds: Vec<String> = events
        .iter()
        .map(|e| e.json()["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(kinds, ["handover.taken", "agent.message"]);
    assert_eq!(events[1].json()["data"]["text"], "Hello, I am Grace");
    assert_eq!(events[1].json()["data"]["agent"]["name"], "Grace Hopper");
    wait_for(|| {
        w.slack
            .message(CHANNEL, &ts)
            .filter(|m| m.reactions.contains(&"white_check_mark".to_owned()))
    })
    .await;

    // An internal note stays internal; a non-member's reply is not relayed and they are told.
    w.slack
        .user_message(GRACE, CHANNEL, Some(&card_ts), "// VIP customer")
        .await
        .expect("note");
    w.slack
        .user_message(SAM, CHANNEL, Some(&card_ts), "let me answer")
        .await
        .expect("sam");
    let told = wait_for(|| w.slack.ephemerals().into_iter().find(|e| e.user == SAM)).await;
    assert!(
        told.text.contains("Only the selected members"),
        "{}",
        told.text
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        w.webhook.delivered().len(),
        2,
        "neither the note nor Sam's reply reached the AI platform"
    );

    // The bot's own posts come back as events and are ignored (no loop, no relays).
    let bot_posts = w.slack.calls_to("chat.postMessage").len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.slack.calls_to("chat.postMessage").len(), bot_posts);
    w.stop().await;
}

#[tokio::test]
async fn buttons_take_and_end_and_a_second_taker_is_told_who_has_it() {
    let w = World::fast().await;
    let card_ts = w.handover("s3").await;
    let (a, b) = tokio::join!(
        w.slack
            .click(GRACE, CHANNEL, &card_ts, "handover_take", "H-1"),
        w.slack
            .click(ALAN, CHANNEL, &card_ts, "handover_take", "H-1"),
    );
    a.expect("grace click acked");
    b.expect("alan click acked");
    let taken = w.webhook.wait_delivered(1).await;
    let winner = taken[0].json()["data"]["agent"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let loser = if winner == GRACE { ALAN } else { GRACE };
    let told = wait_for(|| {
        w.slack
            .ephemerals()
            .into_iter()
            .find(|e| e.user == loser && e.text.contains("already has"))
    })
    .await;
    assert!(told.text.contains("H-1"), "{}", told.text);

    w.slack
        .click(&winner, CHANNEL, &card_ts, "handover_end_ai", "H-1")
        .await
        .expect("end");
    let events = w.webhook.wait_delivered(2).await;
    assert_eq!(events[1].json()["type"], "handover.ended");
    assert_eq!(events[1].json()["data"]["resolution"], "returned_to_ai");
    let card = wait_for(|| {
        w.slack
            .message(CHANNEL, &card_ts)
            .filter(|c| !c.blocks.to_string().contains("handover_end_ai"))
    })
    .await;
    assert!(card.edited >= 2, "the card follows every status change");
    w.stop().await;
}

#[tokio::test]
async fn slash_commands_and_mentions_answer_privately_with_permissions() {
    let w = World::fast().await;
    let card_ts = w.handover("s4").await;
    let help = w
        .slack
        .slash_command(GRACE, CHANNEL, "/handover", "help")
        .await
        .expect("help");
    assert_eq!(help["response_type"], "ephemeral");
    assert!(
        help["text"].as_str().is_some_and(|t| t.contains("take")),
        "{help}"
    );
    let queue = w
        .slack
        .slash_command(GRACE, CHANNEL, "/handover", "queue")
        .await
        .expect("queue");
    assert!(
        queue["text"]
            .as_str()
            .is_some_and(|t| t.contains("H-1") && t.contains("Ada Lovelace")),
        "{queue}"
    );

    let denied = w
        .slack
        .slash_command(
            GRACE,
            CHANNEL,
            "/handover",
            &format!("members add <@{SAM}|sam>"),
        )
        .await
        .expect("denied");
    assert!(
        denied["text"]
            .as_str()
            .is_some_and(|t| t.contains("Only admins")),
        "{denied}"
    );
    let added = w
        .slack
        .slash_command(
            ADMIN,
            CHANNEL,
            "/handover",
            &format!("members add <@{SAM}|sam>"),
        )
        .await
        .expect("added");
    assert!(
        added["text"]
            .as_str()
            .is_some_and(|t| t.contains("now a selected member")),
        "{added}"
    );
    let typo = w
        .slack
        .slash_command(GRACE, CHANNEL, "/handover", "tak H-1")
        .await
        .expect("typo");
    assert!(
        typo["text"].as_str().is_some_and(|t| t.contains("take")),
        "{typo}"
    );

    // In the thread, by mention: Sam (now a member) takes it.
    w.slack
        .mention(SAM, CHANNEL, Some(&card_ts), "<@UBOT> take")
        .await
        .expect("mention");
    let taken = w.webhook.wait_delivered(1).await;
    assert_eq!(taken[0].json()["data"]["agent"]["id"], SAM);
    let ok = wait_for(|| {
        w.slack
            .ephemerals()
            .into_iter()
            .find(|e| e.user == SAM && e.text.contains("You have H-1"))
    })
    .await;
    assert_eq!(ok.thread_ts.as_deref(), Some(card_ts.as_str()));

    w.slack
        .slash_command(ADMIN, CHANNEL, "/handover", "disable")
        .await
        .expect("disable");
    let r = w.api.post("/v1/handovers", handover_request("s4-b")).await;
    assert_eq!(r.body["error"]["code"], "handover_disabled");
    w.stop().await;
}

#[tokio::test]
async fn slacks_rate_limit_delays_posts_but_loses_and_reorders_nothing() {
    // The emulator is stricter than the bridge's own guard, so Slack's 429s happen.
    let emulator = SlackEmulatorConfig {
        post_per_second: 2.0,
        post_burst: 2,
        retry_after_secs: 1,
        ..SlackEmulatorConfig::default()
    };
    let w = World::start(
        emulator,
        Limits {
            per_channel_per_second: 50,
            per_channel_burst: 50,
            workspace_per_second: 50,
        },
    )
    .await;
    let card_ts = w.handover("s5").await;
    let sent = w.send_numbered("s5", "message", 6).await;
    // Posts that waited may carry several messages (combined): compare line by line.
    let lines = w.thread_lines_until(&card_ts, "message 5").await;
    assert_eq!(lines, sent, "all delivered, once, in order");
    assert!(
        w.slack.rate_limited() > 0,
        "the emulator answered 429 at least once"
    );
    w.stop().await;
}

#[tokio::test]
async fn the_events_api_over_http_verifies_signatures_before_storing_anything() {
    let w = World::start_http().await;
    let card_ts = w.handover("h1").await;
    // Signed pushes from the emulator: a reply, a button, a slash command.
    w.slack
        .user_message(GRACE, CHANNEL, Some(&card_ts), "Hello over HTTP")
        .await
        .expect("reply");
    let events = w.webhook.wait_delivered(2).await;
    assert_eq!(events[1].json()["data"]["text"], "Hello over HTTP");
    let help = w
        .slack
        .slash_command(GRACE, CHANNEL, "/handover", "queue")
        .await
        .expect("command");
    assert!(
        help["text"].as_str().is_some_and(|t| t.contains("H-1")),
        "{help}"
    );

    // Unsigned, forged, stale and future requests: 401, and nothing happens.
    let body = serde_json::json!({
        "token": "x", "team_id": "T0EMULATOR", "api_app_id": "A0EMULATOR", "type": "event_callback",
        "event_id": "Ev0FORGED", "event_time": 1,
        "event": {"type": "message", "channel": CHANNEL, "user": GRACE, "text": "forged!", "ts": "1999999999.000001", "thread_ts": card_ts, "event_ts": "1999999999.000001", "channel_type": "group"}
    })
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signed = |ts: i64, secret: &str| {
        (
            ts.to_string(),
            handover_emulators::slack::sign(secret, ts, body.as_bytes()),
        )
    };
    let cases = [
        ("missing", None),
        ("forged", Some(signed(now, "not-the-secret"))),
        ("stale", Some(signed(now - 600, SIGNING_SECRET))),
        ("future", Some(signed(now + 600, SIGNING_SECRET))),
    ];
    for (name, headers) in cases {
        let mut req = hyper::Request::post(format!("{}/slack/events", w.api.base))
            .header("content-type", "application/json");
        if let Some((ts, sig)) = headers {
            req = req
                .header("x-slack-request-timestamp", ts)
                .header("x-slack-signature", sig);
        }
        let status = send(req, body.clone()).await;
        assert_eq!(status, 401, "{name} signature must be refused");
    }
    let oversized = "x".repeat(70_000);
    let (ts, sig) = signed(now, SIGNING_SECRET);
    let req = hyper::Request::post(format!("{}/slack/events", w.api.base))
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", sig);
    assert_eq!(send(req, oversized).await, 413);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        w.webhook.delivered().len(),
        2,
        "nothing forged reached the AI platform"
    );

    // A correctly signed retry of an event already handled is acknowledged and ignored.
    let ts = now.to_string();
    let replay = body
        .replace("forged!", "once only")
        .replace("Ev0FORGED", "Ev0REPLAY");
    let sig_replay = handover_emulators::slack::sign(SIGNING_SECRET, now, replay.as_bytes());
    for retry in 0..2 {
        let req = hyper::Request::post(format!("{}/slack/events", w.api.base))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", ts.clone())
            .header("x-slack-signature", sig_replay.clone())
            .header("x-slack-retry-num", retry.to_string());
        assert_eq!(send(req, replay.clone()).await, 200);
    }
    let got = w.webhook.wait_delivered(3).await;
    assert_eq!(got[2].json()["data"]["text"], "once only");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        w.webhook.delivered().len(),
        3,
        "the retried event was relayed once"
    );
    w.stop().await;
}

async fn send(req: hyper::http::request::Builder, body: String) -> u16 {
    use hyper_util::client::legacy::Client;
    let client: Client<_, http_body_util::Full<axum::body::Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let resp = client
        .request(
            req.body(http_body_util::Full::new(body.into()))
                .expect("request"),
        )
        .await
        .expect("send");
    resp.status().as_u16()
}

#[tokio::test]
async fn when_a_conversation_backs_up_its_user_messages_are_combined_in_order() {
    // One post per second and no burst: the card and the first message use the first
    // seconds, and the rest queue up behind them.
    let emulator = SlackEmulatorConfig {
        post_per_second: 1.0,
        post_burst: 1,
        ..SlackEmulatorConfig::default()
    };
    let w = World::start(
        emulator,
        Limits {
            per_channel_per_second: 1,
            per_channel_burst: 1,
            workspace_per_second: 50,
        },
    )
    .await;
    let card_ts = w.handover("c1").await;
    let sent = w.send_numbered("c1", "part", 6).await;
    let lines = w.thread_lines_until(&card_ts, "part 5").await;
    assert_eq!(lines, sent, "every message, once, in order");
    let posts = w.thread_texts(&card_ts).len();
    assert!(
        posts < 6,
        "backed-up messages were combined into fewer posts ({posts})"
    );
    w.stop().await;
}

#[tokio::test]
async fn with_manage_membership_the_handover_channel_follows_the_selected_members() {
    let (emulator, limits) = unlimited();
    let transport = "app_token = \"xapp-emulator\"\nmanage_membership = true";
    let w = World::start_on(emulator, limits, "127.0.0.1:0", transport).await;
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // The channel started with Sam and the admin, who are not selected, and without Alan.
    wait_for(|| {
        (sorted(w.slack.members(CHANNEL)) == [ALAN, GRACE, SlackEmulator::BOT_USER_ID])
            .then_some(())
    })
    .await;
    w.slack.add_channel(
        "C0OFFICE",
        "office",
        false,
        &[SlackEmulator::BOT_USER_ID, ADMIN, SAM],
    );
    let r = w
        .slack
        .slash_command(
            ADMIN,
            "C0OFFICE",
            "/handover",
            &format!("members add <@{SAM}|sam>"),
        )
        .await
        .expect("add");
    assert!(
        r["text"]
            .as_str()
            .is_some_and(|t| t.contains("now a selected member")),
        "{r}"
    );
    wait_for(|| {
        w.slack
            .members(CHANNEL)
            .contains(&SAM.to_owned())
            .then_some(())
    })
    .await;
    w.slack
        .slash_command(
            ADMIN,
            "C0OFFICE",
            "/handover",
            &format!("members remove <@{GRACE}>"),
        )
        .await
        .expect("remove");
    wait_for(|| (!w.slack.members(CHANNEL).contains(&GRACE.to_owned())).then_some(())).await;
    w.stop().await;
}

#[tokio::test]
async fn a_file_an_agent_shares_reaches_the_user_as_a_working_expiring_link() {
    let w = World::fast().await;
    let card_ts = w.handover("f1").await;
    let bytes = b"%PDF-1.4 refund receipt".to_vec();
    w.slack
        .user_upload(
            GRACE,
            CHANNEL,
            Some(&card_ts),
            "refund receipt.pdf",
            bytes.clone(),
        )
        .await
        .expect("upload");
    let events = w.webhook.wait_delivered(2).await;
    let msg = events[1].json();
    assert_eq!(msg["type"], "agent.message");
    let att = &msg["data"]["attachments"][0];
    assert_eq!(att["name"], "refund receipt.pdf");
    let url = att["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&w.api.base), "served by the daemon: {url}");
    assert!(
        !url.contains("xoxb") && !url.contains(&w.slack.api_url()),
        "{url}"
    );

    // Anyone with the link gets the file (no Slack token needed); a guessed token does not.
    let path = url.trim_start_matches(&w.api.base).to_owned();
    let got = w.api.raw("GET", &path, None, vec![]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.text.as_bytes(), bytes.as_slice());
    let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
    assert_eq!(parts[1..3], ["slack", "files"], "{path}");
    parts[3] = "0".repeat(32);
    let guessed = w.api.raw("GET", &parts.join("/"), None, vec![]).await;
    assert_eq!(
        (guessed.status.as_u16(), guessed.text.as_str()),
        (404, "no such file, or the link has expired")
    );
    w.stop().await;
}

#[tokio::test]
async fn reminders_mention_the_members_and_undeliverable_replies_are_marked_failed() {
    let clock = ManualClock::at(Timestamp(1_800_000_000_000));
    let (emulator, limits) = unlimited();
    let w = World::start_clocked(
        emulator,
        limits,
        "127.0.0.1:0",
        "app_token = \"xapp-emulator\"",
        Arc::new(clock.clone()),
    )
    .await;
    let card_ts = w.handover("r1").await;
    clock.advance(Duration::from_secs(6 * 60));
    let reminder = wait_for(|| {
        w.slack
            .thread(CHANNEL, &card_ts)
            .into_iter()
            .find(|m| m.text.contains("H-1"))
    })
    .await;
    assert!(
        reminder.text.contains(&format!("<@{GRACE}>"))
            && reminder.text.contains(&format!("<@{ALAN}>")),
        "{}",
        reminder.text
    );

    // The AI platform refuses everything; after give_up_after the reply is marked failed.
    w.webhook.set(Answer::Fail);
    let ts = w
        .slack
        .user_message(GRACE, CHANNEL, Some(&card_ts), "Are you still there?")
        .await
        .expect("reply");
    wait_for(|| (w.webhook.all().len() >= 2).then_some(())).await;
    clock.advance(Duration::from_secs(25 * 3600));
    let marked = wait_for(|| {
        w.slack
            .message(CHANNEL, &ts)
            .filter(|m| m.reactions.contains(&"warning".to_owned()))
    })
    .await;
    assert!(!marked.reactions.contains(&"white_check_mark".to_owned()));
    let why = wait_for(|| {
        w.slack
            .thread(CHANNEL, &card_ts)
            .into_iter()
            .find(|m| m.text.contains("not delivered"))
    })
    .await;
    assert!(
        why.text.contains("AI platform"),
        "a short reason: {}",
        why.text
    );
    w.stop().await;
}

#[tokio::test]
async fn in_thread_mentions_assign_and_end_and_mine_lists_my_handovers() {
    let w = World::fast().await;
    let card_ts = w.handover("m1").await;
    w.slack
        .mention(
            GRACE,
            CHANNEL,
            Some(&card_ts),
            &format!("<@UBOT> assign <@{ALAN}|alan>"),
        )
        .await
        .expect("assign");
    let events = w.webhook.wait_delivered(2).await;
    let kinds: Vec<String> = events
        .iter()
        .map(|e| e.json()["type"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(kinds, ["handover.taken", "handover.assigned"]);
    assert_eq!(events[1].json()["data"]["agent"]["name"], "Alan Turing");
    let mine = w
        .slack
        .slash_command(ALAN, CHANNEL, "/handover", "mine")
        .await
        .expect("mine");
    assert!(
        mine["text"]
            .as_str()
            .is_some_and(|t| t.contains("H-1") && t.contains("with Alan Turing")),
        "{mine}"
    );
    w.slack
        .mention(ALAN, CHANNEL, Some(&card_ts), "<@UBOT> end close")
        .await
        .expect("end");
    let events = w.webhook.wait_delivered(3).await;
    assert_eq!(events[2].json()["data"]["resolution"], "closed");
    let queue = w
        .slack
        .slash_command(GRACE, CHANNEL, "/handover", "queue")
        .await
        .expect("queue");
    assert_eq!(queue["text"], "No open handovers.");
    w.stop().await;
}
