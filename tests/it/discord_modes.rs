//! The Discord bridge's modes and places: `private_thread` mode, overflow categories
//! for full handover and archive categories, and files both ways.

use std::time::Duration;

use handover_discord::RestLimits;
use handover_emulators::discord::DiscordEmulatorConfig;
use serde_json::{Value, json};

use crate::discord_support::*;
use crate::support::*;

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
