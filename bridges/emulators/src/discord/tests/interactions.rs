//! Interaction callbacks, `@original` edits after a deferral, and follow-ups.

use serde_json::json;
use serenity::model::channel::Message;
use tokio::sync::oneshot;

use super::{call_as, de, fixture, ok};
use crate::discord::state::PendingInteraction;
use crate::discord::{DiscordEmulator, DiscordEmulatorConfig};

#[tokio::test]
async fn callback_then_original_and_followup() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    let (tx, rx) = oneshot::channel();
    f.emu.inner.state().interactions.insert(
        "1000000000000009001".to_string(),
        PendingInteraction {
            token: "tok-a".to_string(),
            channel_id: f.general.clone(),
            tx: Some(tx),
            original: None,
        },
    );
    let cb = "/interactions/1000000000000009001/tok-a/callback";
    let a = call_as(&f.emu, None, "POST", cb, Some(json!({"type": 5}))).await;
    assert_eq!(a.status, 204);
    assert_eq!(rx.await.unwrap(), json!({"type": 5}));
    let a = call_as(&f.emu, None, "POST", cb, Some(json!({"type": 5}))).await;
    assert_eq!(a.body["code"], 40060);
    let a = call_as(
        &f.emu,
        None,
        "POST",
        "/interactions/1000000000000009001/bad/callback",
        Some(json!({"type": 5})),
    )
    .await;
    assert_eq!(a.body["code"], 10062);
    let cbs = f.emu.callbacks();
    assert_eq!((cbs.len(), cbs[0].kind), (1, 5));

    // After a deferral the first @original edit creates the message, later ones edit it.
    let app = DiscordEmulator::APPLICATION_ID;
    let orig = format!("/webhooks/{app}/tok-a/messages/@original");
    let m: Message = de(ok(&call_as(
        &f.emu,
        None,
        "PATCH",
        &orig,
        Some(json!({"content": "working"})),
    )
    .await));
    assert_eq!(m.content, "working");
    let m2: Message = de(ok(&call_as(
        &f.emu,
        None,
        "PATCH",
        &orig,
        Some(json!({"content": "done"})),
    )
    .await));
    assert_eq!((m2.id, m2.content.as_str()), (m.id, "done"));
    let fu: Message = de(ok(&call_as(
        &f.emu,
        None,
        "POST",
        &format!("/webhooks/{app}/tok-a"),
        Some(json!({"content": "follow-up"})),
    )
    .await));
    assert_eq!(fu.channel_id.to_string(), f.general);
    assert_eq!(f.emu.messages(&f.general).len(), 2);
}

#[tokio::test]
async fn message_callback_posts_unless_ephemeral() {
    let f = fixture(DiscordEmulatorConfig::default()).await;
    for (id, token) in [
        ("1000000000000009002", "tok-b"),
        ("1000000000000009003", "tok-c"),
    ] {
        f.emu.inner.state().interactions.insert(
            id.to_string(),
            PendingInteraction {
                token: token.to_string(),
                channel_id: f.general.clone(),
                tx: None,
                original: None,
            },
        );
    }
    let a = call_as(
        &f.emu,
        None,
        "POST",
        "/interactions/1000000000000009002/tok-b/callback",
        Some(json!({"type": 4, "data": {"content": "seen by all"}})),
    )
    .await;
    assert_eq!(a.status, 204);
    let a = call_as(
        &f.emu,
        None,
        "POST",
        "/interactions/1000000000000009003/tok-c/callback",
        Some(json!({"type": 4, "data": {"content": "only you", "flags": 64}})),
    )
    .await;
    assert_eq!(a.status, 204);
    let msgs = f.emu.messages(&f.general);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].json["content"], "seen by all");
    let _: Message = de(&msgs[0].json);
}
