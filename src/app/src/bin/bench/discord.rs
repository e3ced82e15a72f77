//! The Discord benchmarks: the daemon with the real Discord bridge (serenity gateway,
//! the bridge's own rate-limited REST) against the in-process Discord emulator.
//!
//! - [`relay`]: relay overhead with no rate-limit waits: from the daemon's 2xx to
//!   `POST /v1/conversations/{id}/messages` until the emulator records the webhook
//!   execute that carries the message into the handover's channel.
//! - [`ratelimit`]: many conversations at once under Discord's limits (webhook executes
//!   5 per 2 s per webhook, channel messages 5 per 5 s, 50 requests/s per bot, or a
//!   lower global limit with `--global`); checks nothing is lost, duplicated or
//!   reordered, and counts the 429s.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use handover_daemon::bridge::Bridge;
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::{DiscordBridge, RestLimits};
use handover_emulators::discord::{DiscordEmulator, DiscordEmulatorConfig, RateLimit};

use crate::common::{self, Http, send_message, signed_ms};

pub struct RelayArgs {
    pub conversations: usize,
    pub messages: usize,
    pub rate: usize,
}

pub struct RateLimitArgs {
    pub conversations: usize,
    pub per_conversation: usize,
    /// The emulator's global limit per second (Discord: 50).
    pub global: usize,
}

const EXECUTE: &str = "/webhooks/{webhook_id}/{token}";

/// The `[discord]` section for the emulator: handover channels in `category`, `agent`
/// the one selected member.
pub fn section(emu: &DiscordEmulator, category: &str, agent: &str) -> String {
    format!(
        r#"[discord]
enabled = true
bot_token = "emulator-bot-token"
application_id = "{app}"
guild_id = "{guild}"
category_id = "{category}"
members = ["{agent}"]
api_url = "{api}"
"#,
        app = DiscordEmulator::APPLICATION_ID,
        guild = DiscordEmulator::GUILD_ID,
        api = emu.api_url(),
    )
}

struct World {
    emu: DiscordEmulator,
    bridge: DiscordBridge,
    daemon: Daemon,
    base: String,
    client: Http,
    dir: std::path::PathBuf,
}

impl World {
    async fn start(
        emulator: DiscordEmulatorConfig,
        limits: RestLimits,
        tag: &str,
    ) -> anyhow::Result<Self> {
        let emu = DiscordEmulator::start(emulator).await?;
        let agent = emu.add_user("agent");
        let category = emu.add_category("handovers");
        let hook = common::receiver().await?;
        let dir = common::temp_dir(tag)?;
        let toml = format!(
            "{head}{section}[log]\nlevel = \"warn\"\n",
            head = common::config_head(&dir, hook, "discord"),
            section = section(&emu, &category, &agent),
        );
        let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let bridge = DiscordBridge::with_limits(&config.discord, limits);
        let daemon = Daemon::start(
            &config,
            Options {
                bridges: vec![Arc::new(bridge.clone())],
                ..Options::default()
            },
        )
        .await?;
        if !emu.wait_connected(Duration::from_secs(10)).await {
            bail!("the Discord bridge did not connect to the emulator's gateway");
        }
        Ok(Self {
            emu,
            bridge,
            base: format!("http://{}", daemon.addr),
            daemon,
            client: common::http(),
            dir,
        })
    }

    async fn stop(self) {
        self.daemon.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    async fn open(&self, c: usize) -> anyhow::Result<()> {
        let body = serde_json::json!({
            "conversation_id": format!("c{c}"),
            "user": {"id": format!("u{c}"), "name": format!("Bench User {c}")},
            "reason": "bench"
        });
        let a = common::post(
            &self.client,
            &format!("{}/v1/handovers", self.base),
            body.to_string(),
        )
        .await?;
        if a.status != 201 {
            bail!("handover request answered {}", a.status);
        }
        Ok(())
    }

    /// Header cards posted so far (one per handover channel).
    fn cards(&self) -> usize {
        self.emu
            .calls_to("POST", "/channels/{channel_id}/messages")
            .iter()
            .filter(|c| c.status == 200 && c.body["components"].is_array())
            .count()
    }

    /// When each line of text was first relayed, and how many times in all.
    fn relayed(&self) -> (HashMap<String, Instant>, HashMap<String, usize>) {
        let (mut first, mut count) = (HashMap::new(), HashMap::new());
        for c in self.emu.calls_to("POST", EXECUTE) {
            if c.status != 200 {
                continue;
            }
            for line in c.body["content"].as_str().unwrap_or("").lines() {
                first.entry(line.to_owned()).or_insert(c.at);
                *count.entry(line.to_owned()).or_insert(0) += 1;
            }
        }
        (first, count)
    }

    async fn wait_texts(&self, want: &[String], stall: Duration) -> HashMap<String, Instant> {
        common::settle(want.len(), stall, || {
            let (first, _) = self.relayed();
            want.iter().filter(|t| first.contains_key(*t)).count()
        })
        .await;
        self.relayed().0
    }
}

fn unlimited() -> DiscordEmulatorConfig {
    DiscordEmulatorConfig {
        messages_per_channel: None,
        webhook_executes: None,
        global: None,
        ..DiscordEmulatorConfig::default()
    }
}

pub async fn relay(a: RelayArgs) -> anyhow::Result<()> {
    let limits = RestLimits {
        global_per_second: 1_000_000,
        ..RestLimits::default()
    };
    let w = World::start(unlimited(), limits, "discord-relay").await?;
    let result = relay_on(&w, &a).await;
    w.stop().await;
    result
}

fn relay_text(i: usize) -> String {
    format!("relay bench message {i:07}")
}

async fn relay_on(w: &World, a: &RelayArgs) -> anyhow::Result<()> {
    for c in 0..a.conversations {
        w.open(c).await?;
    }
    let cards = common::settle(a.conversations, Duration::from_secs(60), || w.cards()).await;
    if cards < a.conversations {
        bail!(
            "only {cards} of {} handover channels got their card",
            a.conversations
        );
    }
    let period = Duration::from_secs_f64(1.0 / a.rate as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(a.messages);
    for i in 0..a.messages {
        tokio::time::sleep_until(start + period.mul_f64(i as f64)).await;
        let (client, base, c) = (w.client.clone(), w.base.clone(), i % a.conversations);
        tasks.push(tokio::spawn(async move {
            send_message(&client, &base, c, &relay_text(i)).await
        }));
    }
    let mut acked = Vec::with_capacity(a.messages);
    for t in tasks {
        acked.push(t.await??);
    }
    let want: Vec<String> = (0..a.messages).map(relay_text).collect();
    let posts = w.wait_texts(&want, Duration::from_secs(10)).await;
    let mut overhead: Vec<f64> = want
        .iter()
        .zip(&acked)
        .filter_map(|(t, at)| posts.get(t).map(|p| signed_ms(*at, *p)))
        .collect();
    overhead.sort_by(f64::total_cmp);
    let missing = a.messages - overhead.len();
    println!(
        "discord relay: {} messages across {} conversations (a channel each), offered {} msg/s, no rate-limit waits",
        a.messages, a.conversations, a.rate
    );
    println!(
        "  webhook executes  {}",
        w.emu.calls_to("POST", EXECUTE).len()
    );
    common::print_ms("2xx -> execute", &overhead);
    println!("  not relayed    {missing}");
    if missing > 0 {
        bail!("{missing} messages were not relayed");
    }
    Ok(())
}

pub async fn ratelimit(a: RateLimitArgs) -> anyhow::Result<()> {
    let global = u32::try_from(a.global).unwrap_or(u32::MAX);
    let emulator = DiscordEmulatorConfig {
        global: Some(RateLimit {
            limit: global,
            window: Duration::from_secs(1),
        }),
        ..DiscordEmulatorConfig::default()
    };
    // The bridge keeps to 45/s; with a lower emulator limit it goes faster than allowed,
    // so that real global 429s happen.
    let limits = RestLimits {
        global_per_second: if global < 50 { 100 } else { 45 },
        ..RestLimits::default()
    };
    let w = World::start(emulator, limits, "discord-ratelimit").await?;
    let result = ratelimit_on(&w, &a).await;
    w.stop().await;
    result
}

fn rl_text(c: usize, k: usize) -> String {
    format!("conversation {c:04} message {k:03}")
}

async fn ratelimit_on(w: &World, a: &RateLimitArgs) -> anyhow::Result<()> {
    let (n, m) = (a.conversations, a.per_conversation);
    let started = Instant::now();
    for c in 0..n {
        w.open(c).await?;
    }
    let mut acked = Vec::with_capacity(n * m);
    for k in 0..m {
        for c in 0..n {
            acked.push(send_message(&w.client, &w.base, c, &rl_text(c, k)).await?);
        }
    }
    let want: Vec<String> = (0..m)
        .flat_map(|k| (0..n).map(move |c| rl_text(c, k)))
        .collect();
    let posts = w.wait_texts(&want, Duration::from_secs(60)).await;
    let (_, count) = w.relayed();
    let last = posts.values().max().copied().unwrap_or(started);
    let mut latency: Vec<f64> = want
        .iter()
        .zip(&acked)
        .filter_map(|(t, at)| posts.get(t).map(|p| signed_ms(*at, *p)))
        .collect();
    latency.sort_by(f64::total_cmp);
    let lost = want.iter().filter(|t| !posts.contains_key(*t)).count();
    let duplicated: usize = want
        .iter()
        .map(|t| count.get(t).copied().unwrap_or(0).saturating_sub(1))
        .sum();
    // Per conversation, the first-relay times must follow the sending order.
    let reordered = (0..n)
        .map(|c| {
            let times: Vec<Instant> = (0..m)
                .filter_map(|k| posts.get(&rl_text(c, k)).copied())
                .collect();
            times.windows(2).filter(|w| w[1] < w[0]).count()
        })
        .sum::<usize>();
    println!(
        "discord rate limit: {n} conversations x {m} messages; emulator: webhook 5/2 s, channel messages 5/5 s, global {}/s",
        a.global
    );
    println!(
        "  webhook executes {} · 429s served {} · 429s the bridge waited out {}",
        w.emu.calls_to("POST", EXECUTE).len(),
        w.emu.rate_limited(),
        w.bridge.rate_limited()
    );
    println!(
        "  drained in     {:.1} s (first request to last relay)",
        (last - started).as_secs_f64()
    );
    common::print_ms("message", &latency);
    let verdict = format!("{lost} lost, {duplicated} duplicated, {reordered} reordered");
    println!("  messages       {verdict}");
    if lost + duplicated + reordered > 0 {
        bail!("{verdict}");
    }
    Ok(())
}
