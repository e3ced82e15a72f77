//! The Discord bridge under Discord's rate limits: per-route buckets followed without a
//! 429, a storm of global 429s waited out, and a long wait left to the outbox.

use std::time::{Duration, Instant};

use handover_daemon::bridge::Bridge;
use handover_discord::RestLimits;
use handover_emulators::discord::{DiscordEmulatorConfig, RateLimit};

use crate::discord_support::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_follow_the_route_buckets_without_a_single_429() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            webhook_executes: Some(RateLimit {
                limit: 3,
                window: Duration::from_millis(400),
            }),
            global: quiet_global(),
            ..DiscordEmulatorConfig::default()
        },
        RestLimits::default(),
        "channel",
    )
    .await;
    let (_, channel) = s.handover("bucket").await;
    for i in 0..24 {
        s.user_says("bucket", &format!("m{i}"), &long_message(i))
            .await;
    }
    let text = wait_for(|| {
        let t = s.relayed(&channel);
        t.contains("marker-23 ").then_some(t)
    })
    .await;
    assert_in_order(&text, 24);
    let executes = s.emu.calls_to("POST", "/webhooks/{webhook_id}/{token}");
    assert!(executes.len() > 3, "more posts than one window allows");
    assert_eq!(s.emu.rate_limited(), 0, "the bridge waited for each reset");
    assert_eq!(s.bridge.rate_limited(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_global_429s_is_waited_out_and_nothing_is_lost_or_repeated() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            messages_per_channel: None,
            webhook_executes: None,
            global: Some(RateLimit {
                limit: 4,
                window: Duration::from_millis(300),
            }),
            ..DiscordEmulatorConfig::default()
        },
        // The bridge's own global limit is out of the way: the emulator's 429s decide.
        RestLimits {
            global_per_second: 10_000,
            ..RestLimits::default()
        },
        "channel",
    )
    .await;
    let mut channels = Vec::new();
    for c in 0..3 {
        let conversation = format!("storm-{c}");
        let (_, channel) = s.handover(&conversation).await;
        channels.push((conversation, channel));
    }
    for i in 0..8 {
        for (conversation, _) in &channels {
            s.user_says(
                conversation,
                &format!("{conversation}-{i}"),
                &long_message(i),
            )
            .await;
        }
    }
    for (_, channel) in &channels {
        let text = wait_for(|| {
            let t = s.relayed(channel);
            t.contains("marker-07 ").then_some(t)
        })
        .await;
        assert_in_order(&text, 8);
    }
    assert!(s.emu.rate_limited() > 0, "the emulator did refuse calls");
    assert!(s.bridge.rate_limited() > 0, "and the bridge saw the 429s");
    let global = s
        .emu
        .calls()
        .into_iter()
        .filter(|c| c.status == 429)
        .count();
    assert_eq!(global as u64, s.emu.rate_limited());
    let metrics = s.api.get("/metrics").await.text;
    let seen = format!(
        "handover_bridge_rate_limited_total{{bridge=\"discord\"}} {}",
        s.bridge.rate_limited()
    );
    assert!(metrics.contains(&seen), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_longer_than_max_wait_is_left_to_the_outbox_and_still_delivered() {
    let s = Setup::start(
        DiscordEmulatorConfig {
            webhook_executes: Some(RateLimit {
                limit: 1,
                window: Duration::from_millis(1200),
            }),
            global: quiet_global(),
            ..DiscordEmulatorConfig::default()
        },
        RestLimits {
            max_wait: Duration::from_millis(50),
            ..RestLimits::default()
        },
        "channel",
    )
    .await;
    let (_, channel) = s.handover("slow").await;
    let started = Instant::now();
    s.user_says("slow", "s0", "marker-00 first").await;
    wait_for(|| s.relayed(&channel).contains("marker-00 ").then_some(())).await;
    s.user_says("slow", "s1", "marker-01 second").await;
    let text = wait_for(|| {
        let t = s.relayed(&channel);
        t.contains("marker-01 ").then_some(t)
    })
    .await;
    assert_in_order(&text, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "the second post waited for the bucket's reset"
    );
    assert_eq!(s.emu.rate_limited(), 0, "known-empty buckets are not tried");
}
