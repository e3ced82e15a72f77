//! Gateway sessions without a socket: sequence numbers, the RESUME replay, unknown
//! sessions, RECONNECT and drops; and injections without a session.

use std::time::Duration;

use serde_json::{Value, json};
use serenity::model::event::{Event, GatewayEvent};
use tokio::sync::mpsc;

use super::{call, fixture};
use crate::discord::gateway::{MESSAGE_CONTENT, Out};
use crate::discord::{DiscordEmulator, DiscordEmulatorConfig, EmulatorError};

/// The next frame as JSON; `None` for a drop.
fn frame(rx: &mut mpsc::UnboundedReceiver<Out>) -> Option<Value> {
    match rx.try_recv().expect("a frame") {
        Out::Text(t) => {
            // Every frame parses as serenity's shard parses it.
            let ev: GatewayEvent = serde_json::from_str(&t).unwrap();
            assert!(
                !matches!(ev, GatewayEvent::Dispatch(_, Event::Unknown(_))),
                "{t}"
            );
            Some(serde_json::from_str(&t).unwrap())
        }
        Out::Close(..) => panic!("unexpected close"),
        Out::Drop => None,
    }
}

#[tokio::test]
async fn sequence_numbers_and_resume_replay() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let inner = &f.emu.inner;
    let gw = &inner.gateway;
    let (tx, mut rx) = mpsc::unbounded_channel();
    gw.identify(
        inner,
        1,
        &tx,
        &json!({"token": "emulator-bot-token", "intents": MESSAGE_CONTENT}),
    );
    let ready = frame(&mut rx).unwrap();
    assert_eq!(
        (ready["t"].as_str(), ready["s"].as_u64()),
        (Some("READY"), Some(1))
    );
    let session = ready["d"]["session_id"].as_str().unwrap().to_string();
    assert_eq!(ready["d"]["resume_gateway_url"], f.emu.gateway_url());
    let guild = frame(&mut rx).unwrap();
    assert_eq!(
        (guild["t"].as_str(), guild["s"].as_u64()),
        (Some("GUILD_CREATE"), Some(2))
    );
    assert_eq!(f.emu.gateway_connections(), 1);
    gw.dispatch("RESUMED", json!({}));
    assert_eq!(frame(&mut rx).unwrap()["s"], 3);

    // Away: dispatches are logged, not sent.
    gw.detach(1);
    assert_eq!(f.emu.gateway_connections(), 0);
    gw.dispatch("RESUMED", json!({"n": 4}));
    gw.dispatch("RESUMED", json!({"n": 5}));
    assert!(rx.try_recv().is_err());

    let (tx2, mut rx2) = mpsc::unbounded_channel();
    gw.resume(
        2,
        &tx2,
        &json!({"token": "emulator-bot-token", "session_id": session, "seq": 3}),
    );
    let seqs: Vec<u64> = (0..3)
        .map(|_| frame(&mut rx2).unwrap()["s"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 5, 6]);
    assert_eq!(f.emu.resumes(), 1);
    assert_eq!(f.emu.gateway_connections(), 1);

    // An unknown session gets op 9 INVALID_SESSION (not resumable).
    let (tx3, mut rx3) = mpsc::unbounded_channel();
    gw.resume(3, &tx3, &json!({"session_id": "nope", "seq": 1}));
    assert_eq!(frame(&mut rx3).unwrap(), json!({"op": 9, "d": false}));

    f.emu.reconnect();
    assert_eq!(frame(&mut rx2).unwrap(), json!({"op": 7, "d": null}));
    f.emu.drop_connection();
    assert!(frame(&mut rx2).is_none());
}

#[tokio::test]
async fn injections_need_a_session() {
    let f = fixture(DiscordEmulatorConfig {
        ack_timeout: Duration::from_millis(50),
        ..DiscordEmulatorConfig::default()
    })
    .await;
    let e = f.emu.user_message(&f.alice, &f.general, "x").await;
    assert_eq!(e, Err(EmulatorError::NotConnected));
    let (tx, _rx) = mpsc::unbounded_channel();
    f.emu
        .inner
        .gateway
        .identify(&f.emu.inner, 1, &tx, &json!({}));
    let e = f.emu.user_message("1", &f.general, "x").await;
    assert!(matches!(e, Err(EmulatorError::NotFound(_))));
    let e = f.emu.click(&f.alice, &f.general, "1", "take").await;
    assert!(matches!(e, Err(EmulatorError::NotFound(_))));
    // Nobody answers: a timeout.
    let e = f
        .emu
        .slash_command(&f.alice, &f.general, "handover", json!([]))
        .await;
    assert_eq!(e, Err(EmulatorError::Timeout));
}

#[tokio::test]
async fn without_message_content_intent_text_arrives_empty() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let inner = &f.emu.inner;
    let (tx, mut rx) = mpsc::unbounded_channel();
    inner
        .gateway
        .identify(inner, 1, &tx, &json!({"token": "secret", "intents": 513}));
    let (tx2, mut rx2) = mpsc::unbounded_channel();
    inner.gateway.identify(
        inner,
        2,
        &tx2,
        &json!({"token": "secret", "intents": 513 | MESSAGE_CONTENT}),
    );
    for rx in [&mut rx, &mut rx2] {
        frame(rx);
        frame(rx);
    }
    let ids = f.emu.identify_payloads();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0]["token"], "<redacted>");
    assert_eq!(ids[1]["intents"], 513 | MESSAGE_CONTENT);
    f.emu
        .user_message(&f.alice, &f.general, "secret text")
        .await
        .unwrap();
    let path = format!("/channels/{}/messages", f.general);
    let a = call(&f.emu, "POST", &path, Some(json!({"content": "mine"}))).await;
    assert_eq!(a.body["author"]["id"], DiscordEmulator::BOT_USER_ID);
    let m = frame(&mut rx).unwrap();
    assert_eq!(m["d"]["content"], "");
    assert_eq!(frame(&mut rx).unwrap()["d"]["content"], "mine");
    assert_eq!(frame(&mut rx2).unwrap()["d"]["content"], "secret text");
    // Stored as sent.
    assert_eq!(f.emu.messages(&f.general)[0].json["content"], "secret text");
}
