//! The `chat.postMessage` rate limiter: a burst, then 429 with `Retry-After`, per channel.

use std::time::{Duration, Instant};

use serde_json::json;
use slack_morphism::prelude as sm;

use super::{de, ok, post, workspace};
use crate::slack::SlackEmulatorConfig;
use crate::slack::state::Bucket;

#[test]
fn bucket_refills_at_the_rate_up_to_the_burst() {
    let t0 = Instant::now();
    let mut b = Bucket::new(3, t0);
    assert!(b.take(t0, 1.0, 3));
    assert!(b.take(t0, 1.0, 3));
    assert!(b.take(t0, 1.0, 3));
    assert!(!b.take(t0, 1.0, 3));
    assert!(!b.take(t0 + Duration::from_millis(900), 1.0, 3));
    assert!(b.take(t0 + Duration::from_millis(1000), 1.0, 3));
    assert!(!b.take(t0 + Duration::from_millis(1000), 1.0, 3));
    // A long pause refills to the burst only.
    let later = t0 + Duration::from_secs(60);
    assert!((0..3).all(|_| b.take(later, 1.0, 3)));
    assert!(!b.take(later, 1.0, 3));
    // Two per second.
    let mut b = Bucket::new(1, t0);
    assert!(b.take(t0, 2.0, 1));
    assert!(!b.take(t0 + Duration::from_millis(400), 2.0, 1));
    assert!(b.take(t0 + Duration::from_millis(500), 2.0, 1));
}

#[tokio::test]
async fn burst_then_429_with_retry_after_per_channel() {
    let cfg = SlackEmulatorConfig {
        post_per_second: 0.5,
        post_burst: 2,
        retry_after_secs: 7,
        ..SlackEmulatorConfig::default()
    };
    let emu = workspace(cfg).await;
    emu.add_channel("G2", "handover-2", true, &["UBOT", "U1"]);
    for i in 0..2 {
        let a = post(
            &emu,
            "chat.postMessage",
            json!({"channel": "G1", "text": format!("m{i}")}),
        )
        .await;
        ok(&a);
    }
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "too fast"}),
    )
    .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.retry_after.as_deref(), Some("7"));
    assert_eq!(a.body, json!({"ok": false, "error": "ratelimited"}));
    assert!(a.content_type.starts_with("application/json"));
    // Another channel has its own bucket.
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G2", "text": "other channel"}),
    )
    .await;
    let _: sm::SlackApiChatPostMessageResponse = de(ok(&a));
    // Other methods are not limited.
    let ts = emu.messages("G1")[0].ts.clone();
    ok(&post(
        &emu,
        "chat.update",
        json!({"channel": "G1", "ts": ts, "text": "edit"}),
    )
    .await);
    assert_eq!(emu.rate_limited(), 1);
    assert_eq!(emu.messages("G1").len(), 2);
    let limited: Vec<_> = emu
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.status == 429)
        .collect();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].error.as_deref(), Some("ratelimited"));
    assert!(!limited[0].ok);
}

#[tokio::test]
async fn slack_morphism_reports_the_retry_after() {
    let cfg = SlackEmulatorConfig {
        post_burst: 1,
        retry_after_secs: 3,
        ..SlackEmulatorConfig::default()
    };
    let emu = workspace(cfg).await;
    let client = super::e2e::client(&emu);
    let token = sm::SlackApiToken::new(super::BOT_TOKEN.into());
    let session = client.open_session(&token);
    let req = sm::SlackApiChatPostMessageRequest::new(
        "G1".into(),
        sm::SlackMessageContent::new().with_text("a".into()),
    );
    session.chat_post_message(&req).await.unwrap();
    match session.chat_post_message(&req).await {
        Err(slack_morphism::errors::SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
}
