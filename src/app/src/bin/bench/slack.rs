//! The Slack benchmarks: the daemon with the real Slack bridge (slack-morphism client,
//! Socket Mode) against the in-process Slack emulator, started as in `demo.rs`.
//!
//! - [`relay`]: relay overhead with no rate-limit waits: from the daemon's 2xx to
//!   `POST /v1/conversations/{id}/messages` until the emulator records the
//!   `chat.postMessage` that carries the message into the handover's thread.
//! - [`ratelimit`]: many conversations on one handover channel under Slack's default
//!   1 post/s (burst 3) per channel; checks nothing is lost, duplicated or reordered.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use handover_daemon::daemon::{Daemon, Options};
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};
use handover_slack::{Limits, SlackBridge};
use serde_json::{Value, json};

use crate::common::{self, Http, post, send_message, signed_ms};

const CHANNEL: &str = "C0HANDOVERS";
const AGENT: &str = "U0AGENT";
const POST: &str = "chat.postMessage";

pub struct RelayArgs {
    pub conversations: usize,
    pub messages: usize,
    /// Offered load, messages per second.
    pub rate: usize,
}

pub struct RateLimitArgs {
    pub conversations: usize,
    pub per_conversation: usize,
}

/// The emulator, the daemon with the Slack bridge, and an HTTP client for the daemon.
struct World {
    slack: SlackEmulator,
    daemon: Daemon,
    base: String,
    client: Http,
    dir: PathBuf,
}

impl World {
    async fn start(
        emulator: SlackEmulatorConfig,
        limits: Limits,
        tag: &str,
    ) -> anyhow::Result<Self> {
        let slack = SlackEmulator::start(emulator).await?;
        slack.add_user(SlackUser::new(AGENT, "agent", "Bench Agent"));
        slack.add_channel(
            CHANNEL,
            "handovers",
            true,
            &[SlackEmulator::BOT_USER_ID, AGENT],
        );
        let hook = common::receiver().await?;
        let dir = common::temp_dir(tag)?;
        let toml = format!(
            r#"{head}[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = ["{CHANNEL}"]
members = ["{AGENT}"]
api_url = "{api}"
[log]
level = "warn"
"#,
            head = common::config_head(&dir, hook, "slack"),
            api = slack.api_url(),
        );
        let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let bridge = SlackBridge::new(&config.slack, limits);
        let daemon = Daemon::start(
            &config,
            Options {
                bridges: vec![Arc::new(bridge)],
                ..Options::default()
            },
        )
        .await?;
        let world = Self {
            slack,
            base: format!("http://{}", daemon.addr),
            daemon,
            client: common::http(),
            dir,
        };
        if !world.slack.wait_connected(1, Duration::from_secs(10)).await {
            world.stop().await;
            bail!("the Slack bridge did not connect to the emulator over Socket Mode");
        }
        Ok(world)
    }

    async fn stop(self) {
        self.daemon.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Opens the handover of conversation `c`; its id and when the 201 arrived.
    async fn open(&self, c: usize) -> anyhow::Result<(String, Instant)> {
        let body = json!({
            "conversation_id": format!("c{c}"),
            "user": {"id": format!("u{c}"), "name": format!("Bench User {c}")},
            "reason": "bench"
        });
        let url = format!("{}/v1/handovers", self.base);
        let a = post(&self.client, &url, body.to_string()).await?;
        if a.status != 201 {
            bail!("handover request answered {}", a.status);
        }
        let v: Value = serde_json::from_slice(&a.body)?;
        let id = v["handover_id"].as_str().context("no handover_id")?;
        Ok((id.to_owned(), a.at))
    }

    /// Successful `chat.postMessage` calls so far.
    fn ok_posts(&self) -> usize {
        self.slack.calls_to(POST).iter().filter(|c| c.ok).count()
    }

    /// When the emulator recorded the first successful post of each line of text (the
    /// daemon combines a backed-up conversation's messages into one post, one a line).
    fn first_posts(&self) -> HashMap<String, Instant> {
        let mut first = HashMap::new();
        for c in self.slack.calls_to(POST).into_iter().filter(|c| c.ok) {
            for line in c.params["text"].as_str().unwrap_or("").lines() {
                first.entry(line.to_owned()).or_insert(c.at);
            }
        }
        first
    }

    /// Waits until every text of `want` was posted or `stall` passed without a new one.
    async fn wait_texts(&self, want: &[String], stall: Duration) -> HashMap<String, Instant> {
        let done = || {
            let posted = self.first_posts();
            want.iter().filter(|t| posted.contains_key(*t)).count()
        };
        common::settle(want.len(), stall, done).await;
        self.first_posts()
    }

    /// Successful `chat.postMessage` calls carrying at least one of `texts`.
    fn posts_with(&self, texts: &HashSet<String>) -> usize {
        let calls = self.slack.calls_to(POST);
        let carries = |t: &str| t.lines().any(|l| texts.contains(l));
        calls
            .iter()
            .filter(|c| c.ok && carries(c.params["text"].as_str().unwrap_or("")))
            .count()
    }
}

pub async fn relay(a: RelayArgs) -> anyhow::Result<()> {
    let emulator = SlackEmulatorConfig {
        post_per_second: 1e9,
        post_burst: u32::MAX,
        ..SlackEmulatorConfig::default()
    };
    let limits = Limits {
        per_channel_per_second: 1_000_000,
        per_channel_burst: 1_000_000,
        workspace_per_second: 1_000_000,
    };
    let w = World::start(emulator, limits, "slack-relay").await?;
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
    let cards = common::settle(a.conversations, Duration::from_secs(30), || w.ok_posts()).await;
    if cards < a.conversations {
        bail!("only {cards} of {} cards were posted", a.conversations);
    }
    let period = Duration::from_secs_f64(1.0 / a.rate as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(a.messages);
    for i in 0..a.messages {
        tokio::time::sleep_until(start + period.mul_f64(i as f64)).await;
        let (client, base, c) = (w.client.clone(), w.base.clone(), i % a.conversations);
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let at = send_message(&client, &base, c, &relay_text(i)).await?;
            Ok::<_, anyhow::Error>((sent, at))
        }));
    }
    let send_window = start.elapsed();
    let mut acked = Vec::with_capacity(a.messages);
    for t in tasks {
        acked.push(t.await??);
    }
    let want: Vec<String> = (0..a.messages).map(relay_text).collect();
    let posts = w.wait_texts(&want, Duration::from_secs(10)).await;
    let relay_posts = w.posts_with(&want.iter().cloned().collect());
    let (mut overhead, mut missing, mut early) = (Vec::with_capacity(a.messages), 0, 0);
    let (mut total, mut last) = (Vec::with_capacity(a.messages), start.into_std());
    for (text, (sent, at)) in want.iter().zip(&acked) {
        match posts.get(text) {
            Some(p) => {
                let d = signed_ms(*at, *p);
                early += usize::from(d < 0.0);
                overhead.push(d);
                total.push(signed_ms(*sent, *p));
                last = last.max(*p);
            }
            None => missing += 1,
        }
    }
    overhead.sort_by(f64::total_cmp);
    total.sort_by(f64::total_cmp);
    let span = (last - start.into_std()).as_secs_f64();
    println!(
        "slack relay: {} messages across {} conversations (open handovers, one channel), offered {} msg/s, no rate-limit waits",
        a.messages, a.conversations, a.rate
    );
    println!(
        "  sent in        {:.2} s ({:.0} msg/s offered)",
        send_window.as_secs_f64(),
        a.messages as f64 / send_window.as_secs_f64()
    );
    println!(
        "  relayed        {} ({:.0} msg/s, first send to last post)",
        overhead.len(),
        overhead.len() as f64 / span.max(f64::EPSILON)
    );
    println!("  posts          {relay_posts} chat.postMessage calls carried them");
    common::print_ms("2xx -> post    ", &overhead);
    common::print_ms("request -> post", &total);
    println!("  posted before the client saw the 2xx: {early}");
    println!("  not relayed    {missing}");
    if missing > 0 {
        bail!("{missing} messages were not relayed");
    }
    Ok(())
}

pub async fn ratelimit(a: RateLimitArgs) -> anyhow::Result<()> {
    let w = World::start(
        SlackEmulatorConfig::default(),
        Limits::default(),
        "slack-ratelimit",
    )
    .await?;
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
    let mut opened = Vec::with_capacity(n);
    for c in 0..n {
        opened.push(w.open(c).await?);
    }
    let mut acked = Vec::with_capacity(n * m);
    for k in 0..m {
        for c in 0..n {
            let at = send_message(&w.client, &w.base, c, &rl_text(c, k)).await?;
            acked.push((c, k, at));
        }
    }
    let want: Vec<String> = acked.iter().map(|(c, k, _)| rl_text(*c, *k)).collect();
    let posts = w.wait_texts(&want, Duration::from_secs(30)).await;
    let message_posts = w.posts_with(&want.iter().cloned().collect());
    let delivered = w.ok_posts();
    let last = posts.values().max().copied().unwrap_or(started);
    let mut latency: Vec<f64> = want
        .iter()
        .zip(&acked)
        .filter_map(|(text, (_, _, at))| posts.get(text).map(|p| signed_ms(*at, *p)))
        .collect();
    latency.sort_by(f64::total_cmp);
    let mut cards: Vec<f64> = opened
        .iter()
        .filter_map(|(id, at)| {
            let card = format!("New handover {id} from ");
            let p = posts.iter().find(|(t, _)| t.contains(&card))?.1;
            Some(signed_ms(*at, *p))
        })
        .collect();
    cards.sort_by(f64::total_cmp);
    let check = check_threads(w, &opened, m);

    println!(
        "slack rate limit: {n} conversations x {m} messages on one channel, emulator 1 post/s burst 3 (429 + Retry-After), bridge Limits::default()"
    );
    println!(
        "  posts          {delivered} delivered: {} cards, {message_posts} carrying the {} messages",
        cards.len(),
        n * m
    );
    println!("  429s served    {}", w.slack.rate_limited());
    println!(
        "  drained in     {:.1} s (first request to last post; 1 post/s after a burst of 3 needs {} s)",
        (last - started).as_secs_f64(),
        delivered.saturating_sub(3)
    );
    common::print_ms("card   ", &cards);
    common::print_ms("message", &latency);
    let verdict = format!(
        "{} lost, {} duplicated, {} reordered",
        check.lost, check.duplicated, check.reordered
    );
    println!("  messages       {verdict}");
    if check.lost + check.duplicated + check.reordered > 0 {
        bail!("{verdict}");
    }
    Ok(())
}

#[derive(Default)]
struct Check {
    lost: usize,
    duplicated: usize,
    reordered: usize,
}

/// Reads each handover's thread: expected texts missing from it, texts posted more than
/// once, and texts whose position differs from the order they were sent in.
fn check_threads(w: &World, opened: &[(String, Instant)], m: usize) -> Check {
    let mut check = Check::default();
    let roots: Vec<_> = w
        .slack
        .messages(CHANNEL)
        .into_iter()
        .filter(|r| r.thread_ts.is_none())
        .collect();
    for (c, (id, _)) in opened.iter().enumerate() {
        let prefix = format!("New handover {id} from ");
        let Some(card) = roots.iter().find(|r| r.text.contains(&prefix)) else {
            check.lost += m;
            continue;
        };
        let expected: HashMap<String, usize> = (0..m).map(|k| (rl_text(c, k), k)).collect();
        let mut seen = HashSet::new();
        let mut order = Vec::with_capacity(m);
        let thread = w.slack.thread(CHANNEL, &card.ts);
        for line in thread.iter().flat_map(|msg| msg.text.lines()) {
            if let Some(k) = expected.get(line) {
                if seen.insert(*k) {
                    order.push(*k);
                } else {
                    check.duplicated += 1;
                }
            }
        }
        check.lost += m - order.len();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        check.reordered += order.iter().zip(&sorted).filter(|(a, b)| a != b).count();
    }
    check
}
