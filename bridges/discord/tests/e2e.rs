//! The Discord bridge end to end: serenity against the Discord emulator (REST and
//! gateway), with the daemon and a loopback AI-platform webhook.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::DiscordBridge;
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789abcdef";
const SECRET: &str = "webhook-secret-0123456789";

/// Polls `f` every 20 ms for up to 15 s.
async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..750 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not reached within 15 s: {what}");
}

/// The AI platform's webhook: records every POSTed event body.
async fn receiver() -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let g = g.clone();
        async move {
            let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
            g.lock().expect("lock").push(v);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, got)
}

async fn post(daemon: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::builder()
        .method("POST")
        .uri(format!("http://{daemon}{path}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let resp = client.request(req).await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn kinds(events: &Arc<Mutex<Vec<Value>>>) -> Vec<String> {
    events
        .lock()
        .expect("lock")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_is_a_private_channel_that_carries_the_conversation() {
    let emu = DiscordEmulator::start(DiscordEmulatorConfig {
        messages_per_channel: None,
        ..DiscordEmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let grace = emu.add_user("grace");
    let mallory = emu.add_user("mallory");
    let category = emu.add_category("handovers");
    let archive = emu.add_category("archive");
    let (hook, events) = receiver().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        r#"data_dir = "{dir}"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 65536
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
category_id = "{category}"
archive_category_id = "{archive}"
members = ["{grace}"]
api_url = "{api}"
"#,
        dir = dir.path().display(),
        app = DiscordEmulator::APPLICATION_ID,
        guild = DiscordEmulator::GUILD_ID,
        api = emu.api_url(),
    );
    let config = match handover_config::load_str(&toml, Vec::new()) {
        Ok(c) => c,
        Err(e) => panic!("test config invalid:\n{e}"),
    };
    let bridge = DiscordBridge::new(&config.discord);
    let daemon = Daemon::start(
        &config,
        Options {
            bridges: vec![Arc::new(bridge)],
            ..Options::default()
        },
    )
    .await
    .expect("daemon");
    assert!(emu.wait_connected(Duration::from_secs(10)).await);
    let api = daemon.addr;

    // A handover request makes a private channel with the card.
    let request = json!({
        "conversation_id": "c1",
        "user": {"id": "end-user-1", "name": "Ada Lovelace"},
        "reason": "asks for a refund",
        "summary": "Order 1234 arrived broken.",
        "transcript": [],
    });
    let (status, body) = post(api, "/v1/handovers", request).await;
    assert!((200..300).contains(&status), "{body}");
    let channel = wait_for("the handover channel", || {
        emu.channels()
            .into_iter()
            .find(|c| c["name"] == "h-1-ada-lovelace")
    })
    .await;
    assert_eq!(channel["parent_id"], category.as_str());
    let cid = channel["id"].as_str().expect("id").to_owned();
    let overwrites = channel["permission_overwrites"]
        .as_array()
        .expect("overwrites")
        .clone();
    let find = |id: &str| overwrites.iter().find(|o| o["id"] == id).cloned();
    let everyone = find(DiscordEmulator::EVERYONE_ROLE_ID).expect("@everyone overwrite");
    assert_eq!(
        everyone["deny"].as_str().map(|d| d.parse::<u64>().ok()),
        Some(Some(1 << 10))
    );
    let view = |o: Value| {
        o["allow"]
            .as_str()
            .and_then(|a| a.parse::<u64>().ok())
            .unwrap_or(0)
            & (1 << 10)
    };
    assert_ne!(view(find(&grace).expect("member overwrite")), 0);
    assert_ne!(
        view(find(DiscordEmulator::BOT_USER_ID).expect("bot overwrite")),
        0
    );
    assert!(find(&mallory).is_none());
    let header = wait_for("the header", || emu.messages(&cid).into_iter().next()).await;
    let hjson = header.json.to_string();
    assert!(hjson.contains("handover_take:H-1"), "{hjson}");
    assert!(hjson.contains("handover_close:H-1"), "{hjson}");
    assert!(hjson.contains(&format!("<@{grace}>")), "{hjson}");

    // End-user text can ping nobody.
    let text = format!(
        "@everyone @here <@{grace}> <@&{}> help",
        DiscordEmulator::GUILD_ID
    );
    let (status, body) = post(
        api,
        "/v1/conversations/c1/messages",
        json!({"message_id": "u1", "text": text}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    wait_for("the relayed message", || {
        emu.messages(&cid).into_iter().find(|m| {
            m.json["content"]
                .as_str()
                .is_some_and(|c| c.contains("help"))
        })
    })
    .await;
    let relayed = emu
        .calls_to("POST", "/webhooks/{webhook_id}/{token}")
        .into_iter()
        .find(|c| {
            c.body["content"]
                .as_str()
                .is_some_and(|t| t.contains("help"))
        })
        .expect("relay call through the webhook");
    assert_eq!(relayed.body["username"], "Ada Lovelace");
    assert_eq!(
        relayed.body["allowed_mentions"]["parse"],
        json!([]),
        "{}",
        relayed.body
    );
    assert_eq!(relayed.body["allowed_mentions"]["users"], json!([]));
    assert_eq!(relayed.body["allowed_mentions"]["roles"], json!([]));
    assert_eq!(
        emu.calls_to("POST", "/channels/{channel_id}/webhooks")
            .len(),
        1
    );

    // Long text is split at 2,000 characters.
    let long = "x".repeat(4_500);
    let (status, _) = post(
        api,
        "/v1/conversations/c1/messages",
        json!({"message_id": "u2", "text": long}),
    )
    .await;
    assert_eq!(status, 200);
    let parts = wait_for("the split message", || {
        let parts: Vec<usize> = emu
            .calls_to("POST", "/webhooks/{webhook_id}/{token}")
            .iter()
            .filter_map(|c| c.body["content"].as_str())
            .filter(|t| t.starts_with('x'))
            .map(|t| t.chars().count())
            .collect();
        (parts.iter().sum::<usize>() == 4_500).then_some(parts)
    })
    .await;
    assert_eq!(parts, [2_000, 2_000, 500]);

    // A non-member's message is not relayed.
    emu.user_message(&mallory, &cid, "let me in")
        .await
        .expect("inject");
    wait_for("the refusal", || {
        emu.messages(&cid).into_iter().find(|m| {
            m.json["content"]
                .as_str()
                .is_some_and(|c| c.starts_with(&format!("<@{mallory}>")))
        })
    })
    .await;
    let refusal = emu
        .calls_to("POST", "/channels/{channel_id}/messages")
        .into_iter()
        .find(|c| {
            c.body["content"]
                .as_str()
                .is_some_and(|t| t.starts_with(&format!("<@{mallory}>")))
        })
        .expect("refusal call");
    assert_eq!(refusal.body["allowed_mentions"]["users"], json!([mallory]));
    assert!(kinds(&events).is_empty(), "{:?}", kinds(&events));

    // The selected member answers: taken, and the message goes to the platform.
    let reply = emu
        .user_message(&grace, &cid, "Hi Ada, I am on it")
        .await
        .expect("inject");
    wait_for("taken and agent.message", || {
        (kinds(&events) == ["handover.taken", "agent.message"]).then_some(())
    })
    .await;
    let message = events.lock().expect("lock")[1].clone();
    assert!(
        message.to_string().contains("Hi Ada, I am on it"),
        "{message}"
    );

    wait_for("the delivered mark", || {
        emu.message(&cid, &reply)
            .filter(|m| m.reactions.iter().any(|r| r == "✅"))
    })
    .await;
    wait_for("the card without its Take button", || {
        let card = emu.message(&cid, &header.id)?.json.to_string();
        (!card.contains("handover_take:H-1") && card.contains("In progress")).then_some(())
    })
    .await;

    // `/handover` answers privately and knows the channel's handover.
    assert!(emu.commands().iter().any(|c| c["name"] == "handover"));
    let answer = emu
        .slash_command(
            &grace,
            &cid,
            "handover",
            json!([{"name": "text", "type": 3, "value": "help"}]),
        )
        .await
        .expect("slash command");
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    assert!(!answer["data"]["content"].as_str().unwrap_or("").is_empty());

    // The close button ends it.
    let answer = emu
        .click(&grace, &cid, &header.id, "handover_close:H-1")
        .await
        .expect("click");
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    wait_for("handover.ended", || {
        kinds(&events)
            .contains(&"handover.ended".to_owned())
            .then_some(())
    })
    .await;
    wait_for("the channel in the archive", || {
        (emu.channel(&cid)?["parent_id"] == archive.as_str()).then_some(())
    })
    .await;
    daemon.shutdown().await;
}
