//! Every Web API answer deserialises into slack-morphism's response type; errors,
//! tokens and parameter encodings behave like Slack.

use serde_json::{Value, json};
use slack_morphism::prelude as sm;

use super::{BOT_TOKEN, de, err, ok, post, request, workspace};
use crate::slack::{Message, SlackEmulatorConfig};

#[tokio::test]
async fn auth_test_and_connections_open() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let a = post(&emu, "auth.test", json!({})).await;
    let r: sm::SlackApiAuthTestResponse = de(ok(&a));
    assert_eq!(r.user_id.0, "UBOT");
    assert_eq!(r.team_id.0, "T0EMULATOR");
    assert_eq!(r.bot_id.unwrap().0, "B0EMULATOR");
    assert_eq!(r.user.as_deref(), Some("handover-bot"));
    let a = post(&emu, "api.test", json!({"foo": "bar"})).await;
    let _: sm::SlackApiTestResponse = de(ok(&a));
    assert_eq!(a.body["args"]["foo"], "bar");

    // apps.connections.open wants the app token.
    err(
        &post(&emu, "apps.connections.open", json!({})).await,
        "not_allowed_token_type",
    );
    let url = format!("{}/apps.connections.open", emu.api_url());
    let a = request(
        "POST",
        &url,
        &[("authorization", "Bearer xapp-emulator")],
        vec![],
    )
    .await;
    let r: sm::SlackApiAppsConnectionOpenResponse = de(ok(&a));
    let ws = r.url.0.to_string();
    assert!(
        ws.starts_with(&format!("ws://{}/socket?ticket=", emu.addr())),
        "{ws}"
    );
    // …and the app token is refused elsewhere.
    let url = format!("{}/auth.test", emu.api_url());
    let a = request(
        "POST",
        &url,
        &[("authorization", "Bearer xapp-emulator")],
        vec![],
    )
    .await;
    err(&a, "not_allowed_token_type");
}

#[tokio::test]
async fn tokens_methods_and_encodings() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let url = format!("{}/auth.test", emu.api_url());
    err(&request("POST", &url, &[], vec![]).await, "not_authed");
    let a = request(
        "POST",
        &url,
        &[("authorization", "Bearer xoxb-wrong")],
        vec![],
    )
    .await;
    err(&a, "invalid_auth");
    err(&post(&emu, "chat.nope", json!({})).await, "unknown_method");
    // The token as a form parameter, and a form body.
    let url = format!("{}/chat.postMessage", emu.api_url());
    let form = format!("token={BOT_TOKEN}&channel=G1&text=hello+form%21");
    let ctype = ("content-type", "application/x-www-form-urlencoded");
    let a = request("POST", &url, &[ctype], form.into_bytes()).await;
    let r: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    assert_eq!(emu.message("G1", &r.ts.0).unwrap().text, "hello form!");
    // The token in the query string, form-encoded blocks.
    let blocks = r#"[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]"#;
    let q = format!(
        "token={BOT_TOKEN}&channel=G1&blocks={}",
        crate::slack::form::encode(blocks)
    );
    let a = request("GET", &format!("{url}?{q}"), &[], vec![]).await;
    let r: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    assert_eq!(
        emu.message("G1", &r.ts.0).unwrap().blocks[0]["type"],
        "section"
    );
    // Broken JSON.
    let auth = format!("Bearer {BOT_TOKEN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    err(
        &request("POST", &url, &headers, b"{nope".to_vec()).await,
        "invalid_json",
    );
    // Every call is recorded, rejected ones too.
    let calls = emu.calls();
    assert_eq!(calls.len(), 6);
    assert_eq!(calls[0].error.as_deref(), Some("not_authed"));
    assert!(!calls[2].ok && calls[2].method == "chat.nope");
    assert_eq!(emu.calls_to("chat.postMessage").len(), 3);
    assert_eq!(emu.calls_to("chat.postMessage")[0].params["channel"], "G1");
}

#[tokio::test]
async fn post_message_threads_and_errors() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let meta = json!({"event_type": "handover", "event_payload": {"id": "h1"}});
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}]);
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "root", "blocks": blocks, "metadata": meta}),
    )
    .await;
    let root: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    assert_eq!(root.channel.0, "G1");
    assert_eq!(root.message.origin.ts, root.ts);
    let root_ts = root.ts.0.clone();
    let reply = json!({"channel": "G1", "text": "reply", "thread_ts": root_ts, "username": "Eve (end user)", "icon_url": "https://example.com/eve.png", "unfurl_links": false, "link_names": false});
    let a = post(&emu, "chat.postMessage", reply).await;
    let r: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    assert_eq!(r.message.origin.thread_ts.as_ref().unwrap().0, root_ts);
    assert_eq!(r.message.sender.username.as_deref(), Some("Eve (end user)"));
    assert!(r.ts.0 > root_ts, "ts strictly increasing");
    // A reply to a reply joins the root's thread.
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "r2", "thread_ts": r.ts.0}),
    )
    .await;
    let r2: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    assert_eq!(r2.message.origin.thread_ts.unwrap().0, root_ts);

    let stored: Message = emu.message("G1", &root_ts).unwrap();
    assert_eq!(stored.metadata.unwrap()["event_payload"]["id"], "h1");
    assert_eq!(stored.bot_id.as_deref(), Some("B0EMULATOR"));
    let thread = emu.thread("G1", &root_ts);
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0].username.as_deref(), Some("Eve (end user)"));
    assert_eq!(
        thread[0].icon_url.as_deref(),
        Some("https://example.com/eve.png")
    );
    assert_eq!(emu.messages("G1").len(), 3);

    err(
        &post(
            &emu,
            "chat.postMessage",
            json!({"channel": "C404", "text": "x"}),
        )
        .await,
        "channel_not_found",
    );
    err(
        &post(
            &emu,
            "chat.postMessage",
            json!({"channel": "C2", "text": "x"}),
        )
        .await,
        "not_in_channel",
    );
    err(
        &post(&emu, "chat.postMessage", json!({"channel": "G1"})).await,
        "no_text",
    );
    let long = "x".repeat(40_001);
    err(
        &post(
            &emu,
            "chat.postMessage",
            json!({"channel": "G1", "text": long}),
        )
        .await,
        "msg_too_long",
    );
    let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    err(
        &post(
            &emu,
            "chat.postMessage",
            json!({"channel": "G1", "text": "x", "blocks": many}),
        )
        .await,
        "invalid_blocks",
    );
}

#[tokio::test]
async fn update_ephemeral_reactions() {
    let emu = workspace(SlackEmulatorConfig::default()).await;
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "card v1"}),
    )
    .await;
    let ts = a.body["ts"].as_str().unwrap().to_string();
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "card v2"}}]);
    let a = post(
        &emu,
        "chat.update",
        json!({"channel": "G1", "ts": ts, "text": "card v2", "blocks": blocks}),
    )
    .await;
    let r: sm::SlackApiChatUpdateResponse = de(ok(&a));
    assert_eq!(r.ts.0, ts);
    assert_eq!(r.message.content.text.as_deref(), Some("card v2"));
    let m = emu.message("G1", &ts).unwrap();
    assert_eq!((m.edited, m.text.as_str()), (1, "card v2"));
    err(
        &post(
            &emu,
            "chat.update",
            json!({"channel": "G1", "ts": "1.000001", "text": "x"}),
        )
        .await,
        "message_not_found",
    );
    // A user's message cannot be updated by the bot.
    let user_ts = emu.inner.state().next_ts();
    emu.inner.state().store(
        "G1",
        Message {
            ts: user_ts.clone(),
            user: Some("U1".into()),
            bot_id: None,
            ..m
        },
    );
    err(
        &post(
            &emu,
            "chat.update",
            json!({"channel": "G1", "ts": user_ts, "text": "x"}),
        )
        .await,
        "cant_update_message",
    );

    let a = post(
        &emu,
        "chat.postEphemeral",
        json!({"channel": "G1", "user": "U2", "text": "only you", "thread_ts": ts}),
    )
    .await;
    let _: sm::SlackApiChatPostEphemeralResponse = de(ok(&a));
    assert!(a.body["message_ts"].is_string());
    let e = emu.ephemerals();
    assert_eq!(
        (
            e[0].user.as_str(),
            e[0].text.as_str(),
            e[0].thread_ts.as_deref()
        ),
        ("U2", "only you", Some(ts.as_str()))
    );
    err(
        &post(
            &emu,
            "chat.postEphemeral",
            json!({"channel": "G1", "user": "U3", "text": "x"}),
        )
        .await,
        "user_not_in_channel",
    );
    err(
        &post(
            &emu,
            "chat.postEphemeral",
            json!({"channel": "G1", "user": "U9", "text": "x"}),
        )
        .await,
        "user_not_found",
    );

    let a = post(
        &emu,
        "reactions.add",
        json!({"channel": "G1", "timestamp": user_ts, "name": "white_check_mark"}),
    )
    .await;
    let _: sm::SlackApiReactionsAddResponse = de(ok(&a));
    err(
        &post(
            &emu,
            "reactions.add",
            json!({"channel": "G1", "timestamp": user_ts, "name": "white_check_mark"}),
        )
        .await,
        "already_reacted",
    );
    err(
        &post(
            &emu,
            "reactions.add",
            json!({"channel": "G1", "timestamp": "9.000009", "name": "x"}),
        )
        .await,
        "message_not_found",
    );
    assert_eq!(
        emu.message("G1", &user_ts).unwrap().reactions,
        vec!["white_check_mark".to_string()]
    );
}
