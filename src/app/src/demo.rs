//! `handover-bridge demo`: the whole product on this machine, no accounts. It runs the
//! daemon with a temporary data directory, the built-in Slack emulator (Web API and
//! Socket Mode on loopback) and a stand-in AI platform, plays one conversation from
//! request to rating, and prints what the end user, Slack and the AI platform saw.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use axum::http::HeaderMap;
use handover_daemon::daemon::{Daemon, Options};
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};
use handover_slack::{Limits, SlackBridge};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const TOKEN: &str = "demo-platform-token-0123456789";
const SECRET: &str = "demo-webhook-secret-0123456789";
const CHANNEL: &str = "C0HANDOVERS";
const GRACE: &str = "U0GRACE";
const ALAN: &str = "U0ALAN";
const CONVERSATION: &str = "web-chat-4711";

/// One event the stand-in AI platform received, and whether its signature verified.
struct Received {
    body: Value,
    signature_ok: bool,
}

/// The stand-in AI platform's webhook: verifies signatures and keeps the events.
async fn ai_platform() -> anyhow::Result<(SocketAddr, Arc<Mutex<Vec<Received>>>)> {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/handover-events",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let ts = header("x-handover-timestamp");
                let expected = handover_daemon::signing::sign(
                    SECRET.as_bytes(),
                    ts.parse().unwrap_or(0),
                    &body,
                );
                let signature_ok = header("x-handover-signature") == expected;
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if let Ok(mut g) = keep.lock() {
                    g.push(Received { body, signature_ok });
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, got))
}

struct Api {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))?;
        let resp = self.client.request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "{method} {path} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Polls `f` until it returns something, for up to 10 s.
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> anyhow::Result<T> {
    for _ in 0..500 {
        if let Some(v) = f() {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("timed out waiting for {what}")
}

pub async fn run() -> anyhow::Result<()> {
    let slack = SlackEmulator::start(SlackEmulatorConfig::default()).await?;
    for (id, name, real) in [
        (GRACE, "grace", "Grace Hopper"),
        (ALAN, "alan", "Alan Turing"),
        ("U0SAM", "sam", "Sam Support"),
    ] {
        slack.add_user(SlackUser {
            id: id.into(),
            name: name.into(),
            real_name: real.into(),
            image_url: None,
            is_bot: false,
        });
    }
    slack.add_channel(
        CHANNEL,
        "handovers",
        true,
        &[SlackEmulator::BOT_USER_ID, GRACE, ALAN, "U0SAM"],
    );
    let (hook, events) = ai_platform().await?;
    let dir = std::env::temp_dir().join(format!("handover-demo-{}", std::process::id()));
    let toml = format!(
        r#"data_dir = "{dir}"
[server]
listen = "127.0.0.1:0"
[[platforms]]
id = "web"
token = "{TOKEN}"
webhook_url = "http://{hook}/handover-events"
webhook_secret = "{SECRET}"
bridge = "slack"
[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = ["{CHANNEL}"]
members = ["{GRACE}", "{ALAN}"]
admins = ["{GRACE}"]
api_url = "{api}"
[log]
level = "warn"
"#,
        dir = dir.display(),
        api = slack.api_url(),
    );
    let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bridge = SlackBridge::new(&config.slack, Limits::default());
    let daemon = Daemon::start(
        &config,
        Options {
            bridges: vec![Arc::new(bridge)],
            ..Options::default()
        },
    )
    .await?;
    let result = play(&daemon, &slack, &events).await;
    daemon.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn play(
    daemon: &Daemon,
    slack: &SlackEmulator,
    events: &Mutex<Vec<Received>>,
) -> anyhow::Result<()> {
    let api = Api {
        base: format!("http://{}", daemon.addr),
        client: Client::builder(TokioExecutor::new()).build_http(),
    };
    println!(
        "Handover Bridge demo: the daemon, a Slack emulator and a stand-in AI platform, all on loopback.\n"
    );
    if !slack.wait_connected(1, Duration::from_secs(10)).await {
        bail!("the Slack bridge did not connect to the emulator over Socket Mode");
    }
    let mut user_view = vec![
        "Ada: My order #1234 arrived broken.".to_owned(),
        "AI: I'm sorry! Could you send a photo?".to_owned(),
        "Ada: I want to talk to a person.".to_owned(),
    ];
    let step = |s: &str| println!("▶ {s}");

    step("The AI platform hands Ada's conversation over (POST /v1/handovers).");
    let r = api
        .call("POST", "/v1/handovers", Some(json!({
            "conversation_id": CONVERSATION,
            "user": {"id": "ada-77", "name": "Ada Lovelace", "email": "ada@example.com"},
            "reason": "wants a refund for a broken order",
            "summary": "Order #1234 arrived broken; the customer asks for a refund and a person.",
            "transcript": [
                {"role": "user", "text": "My order #1234 arrived broken."},
                {"role": "ai", "text": "I'm sorry! Could you send a photo?"},
                {"role": "user", "text": "I want to talk to a person."}
            ],
            "metadata": {"order": "1234", "plan": "premium"},
            "priority": "high"
        })))
        .await?;
    let id = r["handover_id"].as_str().context("handover_id")?.to_owned();
    println!("  → {id} is {} (route: {})", r["status"], r["route"]);
    let card_ts = until("the card in Slack", || {
        slack
            .messages(CHANNEL)
            .into_iter()
            .find(|m| m.thread_ts.is_none())
            .map(|m| m.ts)
    })
    .await?;

    step("Ada writes again while she waits.");
    user_view.push("Ada: Hello? Is anyone there?".into());
    let r = api
        .call(
            "POST",
            &format!("/v1/conversations/{CONVERSATION}/messages"),
            Some(json!({"message_id": "m-101", "text": "Hello? Is anyone there?"})),
        )
        .await?;
    println!("  → may the AI answer? route = {}", r["route"]);

    step("Grace presses “Take over” on the card in Slack.");
    slack
        .click(GRACE, CHANNEL, &card_ts, "handover_take", &id)
        .await?;
    until("the take-over", || {
        events.lock().ok().filter(|e| !e.is_empty()).map(|_| ())
    })
    .await?;

    step("Ada's next message goes to Grace; the AI is muted.");
    user_view.push("Ada: Here is the photo of the broken mug.".into());
    let r = api.call("POST", &format!("/v1/conversations/{CONVERSATION}/messages"), Some(json!({"message_id": "m-102", "text": "Here is the photo of the broken mug.", "attachments": [{"url": "https://cdn.example.com/u/ada/mug.jpg", "name": "mug.jpg", "content_type": "image/jpeg"}]}))).await?;
    println!("  → route = {}", r["route"]);
    until("Ada's message in the thread", || {
        slack
            .thread(CHANNEL, &card_ts)
            .iter()
            .any(|m| m.text.contains("broken mug"))
            .then_some(())
    })
    .await?;

    step("Grace replies in the thread, and leaves an internal note.");
    slack
        .user_message(
            GRACE,
            CHANNEL,
            Some(&card_ts),
            "Hi Ada, I'm Grace. So sorry about the mug! I've issued a full refund.",
        )
        .await?;
    slack
        .user_message(
            GRACE,
            CHANNEL,
            Some(&card_ts),
            "// refund approved under the premium plan policy",
        )
        .await?;
    step("Sam (not a selected member) tries to reply too.");
    slack
        .user_message("U0SAM", CHANNEL, Some(&card_ts), "I can help!")
        .await?;
    // What the AI platform shows the end user: the agent messages it receives.
    let (agent, text) = until("the agent's message at the AI platform", || {
        events.lock().ok().and_then(|e| {
            e.iter()
                .find(|r| r.body["type"] == "agent.message")
                .map(|r| {
                    let d = &r.body["data"];
                    (
                        d["agent"]["name"].as_str().unwrap_or("").to_owned(),
                        d["text"].as_str().unwrap_or("").to_owned(),
                    )
                })
        })
    })
    .await?;
    user_view.push(format!("{agent} (agent): {text}"));

    step("Grace presses “End → AI”; Ada rates the help.");
    slack
        .click(GRACE, CHANNEL, &card_ts, "handover_end_ai", &id)
        .await?;
    until("the hand-back", || {
        events.lock().ok().and_then(|e| {
            e.iter()
                .any(|r| r.body["type"] == "handover.ended")
                .then_some(())
        })
    })
    .await?;
    let r = api
        .call("GET", &format!("/v1/conversations/{CONVERSATION}"), None)
        .await?;
    println!("  → route = {} (the AI answers again)", r["route"]);
    api.call(
        "POST",
        &format!("/v1/handovers/{id}/rating"),
        Some(json!({"score": 5, "comment": "Quick and kind"})),
    )
    .await
    .ok();
    let h = api
        .call("GET", &format!("/v1/handovers/{id}"), None)
        .await?;
    until("the rating in Slack", || {
        slack
            .thread(CHANNEL, &card_ts)
            .iter()
            .any(|m| m.text.contains("5/5"))
            .then_some(())
    })
    .await
    .ok();

    println!("\n══ What the end user saw ══");
    for l in &user_view {
        println!("  {l}");
    }
    println!("\n══ What the Slack channel #handovers saw ══");
    if let Some(card) = slack.message(CHANNEL, &card_ts) {
        println!(
            "  [card, updated {} times] {}",
            card.edited,
            readable(first_line(&card.text))
        );
    }
    for m in slack.thread(CHANNEL, &card_ts) {
        let who = m
            .username
            .clone()
            .or(m.user.clone())
            .unwrap_or_else(|| "bot".into());
        let marks = if m.reactions.is_empty() {
            String::new()
        } else {
            format!("  [{}]", m.reactions.join(", "))
        };
        println!(
            "  ↳ {}: {}{marks}",
            readable(&who),
            readable(first_line(&m.text))
        );
    }
    for e in slack.ephemerals() {
        println!(
            "  (only {} saw) {}",
            readable(&e.user),
            readable(first_line(&e.text))
        );
    }
    println!("\n══ What the AI platform received ══");
    for r in events
        .lock()
        .map(|e| {
            e.iter()
                .map(|r| (r.body.clone(), r.signature_ok))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    {
        let (body, ok) = r;
        let detail = match body["type"].as_str() {
            Some("handover.taken") => format!("agent {}", body["data"]["agent"]["name"]),
            Some("agent.message") => format!("“{}”", body["data"]["text"].as_str().unwrap_or("")),
            Some("handover.ended") => format!(
                "{} — hand-back with {} messages",
                body["data"]["resolution"],
                body["data"]["handback"]["transcript"]
                    .as_array()
                    .map_or(0, Vec::len)
            ),
            _ => String::new(),
        };
        println!(
            "  {} {detail}  (signature {})",
            body["type"].as_str().unwrap_or("?"),
            if ok { "verified" } else { "INVALID" }
        );
    }
    println!(
        "\n{id}: {}, resolution {}, rating {}, assignee {}",
        h["status"], h["resolution"], h["rating"]["score"], h["assignee"]["name"]
    );
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The demo's people, by Slack id.
const PEOPLE: [(&str, &str); 4] = [
    (GRACE, "Grace Hopper"),
    (ALAN, "Alan Turing"),
    ("U0SAM", "Sam Support"),
    (SlackEmulator::BOT_USER_ID, "handover (bot)"),
];

/// Slack text as a person reads it: `<@U…>` mentions and ids shown as names.
fn readable(text: &str) -> String {
    let mut out = text.to_owned();
    for (id, name) in PEOPLE {
        out = out.replace(&format!("<@{id}>"), &format!("@{name}"));
        if out == id {
            out = name.to_owned();
        }
    }
    out
}
