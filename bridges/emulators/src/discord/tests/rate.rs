//! The per-channel message rate limit: fixed windows, 429 with `retry_after` and the
//! `X-RateLimit-*` headers.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{call, fixture, ok};
use crate::discord::rate::Window;
use crate::discord::{DiscordEmulatorConfig, RateLimit};

#[test]
fn window_counts_and_resets() {
    let rl = RateLimit {
        limit: 2,
        window: Duration::from_secs(5),
    };
    let t0 = Instant::now();
    let mut w = Window::new(t0);
    let v = w.take(t0, rl, "b");
    assert!(v.allowed);
    assert_eq!(v.remaining, 1);
    assert!((v.reset_after - 5.0).abs() < 1e-9);
    assert!(w.take(t0 + Duration::from_secs(1), rl, "b").allowed);
    let v = w.take(t0 + Duration::from_millis(3500), rl, "b");
    assert!(!v.allowed);
    assert_eq!(v.remaining, 0);
    assert!((v.reset_after - 1.5).abs() < 1e-9);
    assert_eq!(v.body()["retry_after"], 1.5);
    assert_eq!(v.body()["global"], false);
    // A new window after five seconds.
    let v = w.take(t0 + Duration::from_secs(5), rl, "b");
    assert!(v.allowed);
    assert_eq!(v.remaining, 1);
}

#[tokio::test]
async fn limit_per_channel_with_headers() {
    let cfg = DiscordEmulatorConfig {
        messages_per_channel: Some(RateLimit {
            limit: 2,
            window: Duration::from_millis(700),
        }),
        ..DiscordEmulatorConfig::default()
    };
    let f = fixture(cfg).await;
    let other = f.emu.add_channel("other", None);
    let path = format!("/channels/{}/messages", f.general);
    let a = call(&f.emu, "POST", &path, Some(json!({"content": "1"}))).await;
    ok(&a);
    assert_eq!(a.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("1"));
    assert!(a.header("x-ratelimit-bucket").is_some());
    assert!(a.header("x-ratelimit-reset-after").is_some());
    ok(&call(&f.emu, "POST", &path, Some(json!({"content": "2"}))).await);
    let a = call(&f.emu, "POST", &path, Some(json!({"content": "3"}))).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["message"], "You are being rate limited.");
    assert_eq!(a.body["global"], false);
    let retry = a.body["retry_after"].as_f64().unwrap();
    assert!(retry > 0.0 && retry <= 0.7, "{retry}");
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(f.emu.rate_limited(), 1);
    assert_eq!(f.emu.messages(&f.general).len(), 2);
    // Other channels and other routes are not limited.
    ok(&call(
        &f.emu,
        "POST",
        &format!("/channels/{other}/messages"),
        Some(json!({"content": "x"})),
    )
    .await);
    ok(&call(&f.emu, "GET", &path, None).await);
    let statuses: Vec<u16> = f
        .emu
        .calls_to("POST", "/channels/{channel_id}/messages")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [200, 200, 429, 200]);
    tokio::time::sleep(Duration::from_secs_f64(retry)).await;
    ok(&call(&f.emu, "POST", &path, Some(json!({"content": "4"}))).await);
}
