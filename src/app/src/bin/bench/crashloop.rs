//! `handover-bench crashloop`: under a steady load, SIGKILL the real `handover-bridge
//! run` at random moments many times, restarting it each time, then check with the
//! emulators' records that nothing acknowledged was lost.
//!
//! In this process: the Slack emulator (Web API + Socket Mode), the AI platform's
//! webhook receiver and the load. The daemon is a child process on one data directory.
//! The load: each conversation's handover gets end-user messages from the AI platform
//! (retried with the same `message_id` until a 2xx), and an agent answers in the
//! handover threads over Socket Mode (a delivery the daemon did not acknowledge is
//! redelivered, as Slack does). After the last kill the daemon runs until everything
//! drained, and the check reads Slack's threads and the webhook's events:
//!
//! - every acknowledged end-user message is in its Slack thread, in order, and how
//!   many appear more than once;
//! - every acknowledged agent message reached the AI platform (deduplicated by
//!   `event_id`), in order per conversation.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use handover_emulators::slack::{SlackEmulator, SlackEmulatorConfig, SlackUser};
use serde_json::{Value, json};

use crate::common;
use crate::footprint::{spawn, stop};

pub struct Args {
    pub kills: usize,
    pub conversations: usize,
}

const AGENT: &str = "U0AGENT";

/// Events the AI platform received, by event id.
type Events = Arc<Mutex<BTreeMap<String, Value>>>;

async fn receiver() -> anyhow::Result<(std::net::SocketAddr, Events)> {
    let got: Events = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().fallback(move |body: bytes::Bytes| {
        let keep = keep.clone();
        async move {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            if let (Ok(mut g), Some(id)) = (keep.lock(), v["event_id"].as_str()) {
                g.entry(id.to_owned()).or_insert(v.clone());
            }
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, got))
}

fn config(
    dir: &std::path::Path,
    hook: std::net::SocketAddr,
    api: &str,
    channels: &[String],
) -> anyhow::Result<std::path::PathBuf> {
    let list: Vec<String> = channels.iter().map(|c| format!("\"{c}\"")).collect();
    let toml = format!(
        r#"{head}retry_initial = "50ms"
retry_max = "500ms"
[slack]
enabled = true
bot_token = "xoxb-emulator"
app_token = "xapp-emulator"
channels = [{list}]
members = ["{AGENT}"]
api_url = "{api}"
[log]
format = "json"
level = "info"
"#,
        head = common::config_head(&dir.join("data"), hook, "slack"),
        list = list.join(", "),
    );
    let path = dir.join("crashloop.toml");
    std::fs::write(&path, toml)?;
    Ok(path)
}

/// The daemon's current address ("" while it is down).
type Addr = Arc<Mutex<String>>;

fn addr(a: &Addr) -> String {
    a.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Posts `body` to `path` on the current daemon until it answers 2xx.
async fn until_ok(client: &common::Http, a: &Addr, path: &str, body: &Value) -> Value {
    loop {
        let base = addr(a);
        if !base.is_empty()
            && let Ok(r) =
                common::post(client, &format!("http://{base}{path}"), body.to_string()).await
            && (200..300).contains(&r.status)
        {
            return serde_json::from_slice(&r.body).unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn user_text(c: usize, i: usize) -> String {
    format!("conversation {c:02} user message {i:04}")
}

/// The conversation and number of a line written by [`user_text`].
fn parse(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("conversation ")?;
    let (c, rest) = rest.split_once(" user message ")?;
    Some((c.parse().ok()?, rest.parse().ok()?))
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let slack = SlackEmulator::start(SlackEmulatorConfig::default()).await?;
    slack.add_user(SlackUser::new(AGENT, "agent", "Crash Agent"));
    let channels: Vec<String> = (0..a.conversations)
        .map(|c| format!("C0CRASH{c:02}"))
        .collect();
    for c in &channels {
        slack.add_channel(c, c, true, &[SlackEmulator::BOT_USER_ID, AGENT]);
    }
    let (hook, events) = receiver().await?;
    let dir = common::temp_dir("crashloop")?;
    let config = config(&dir, hook, &slack.api_url(), &channels)?;
    let (child, first, _) = spawn(&config)?;
    let mut child = Some(child);
    let current: Addr = Arc::new(Mutex::new(first));
    let client = common::http();
    let stop_load = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();

    // The AI platform: one handover per conversation, then end-user messages.
    let mut tasks = Vec::new();
    for c in 0..a.conversations {
        let (client, current, stop_load, acked) = (
            client.clone(),
            current.clone(),
            stop_load.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let req = json!({"conversation_id": format!("c{c}"), "user": {"id": format!("u{c}"), "name": format!("User {c}")}, "reason": "crash loop"});
            until_ok(&client, &current, "/v1/handovers", &req).await;
            let mut i = 0;
            while !stop_load.load(std::sync::atomic::Ordering::Relaxed) {
                let body = json!({"message_id": format!("c{c}-m{i}"), "text": user_text(c, i)});
                until_ok(&client, &current, &format!("/v1/conversations/c{c}/messages"), &body).await;
                if let Ok(mut v) = acked.lock() {
                    v.push((c, i));
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }));
    }
    // Kills at random moments.
    let started = Instant::now();
    // xorshift, seeded from the clock: random enough for kill moments.
    let mut x =
        u64::from(std::process::id()) ^ started.elapsed().as_nanos() as u64 ^ 0x9E37_79B9_7F4A_7C15;
    for _ in 0..a.kills {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let wait = 300 + x % 1200;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        if let Some(mut c) = child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Ok(mut s) = current.lock() {
            s.clear();
        }
        let (c, at, _) = spawn(&config)?;
        if let Ok(mut s) = current.lock() {
            *s = at;
        }
        child = Some(c);
    }
    stop_load.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let acked = acked.lock().map(|v| v.clone()).unwrap_or_default();
    // Drain: every acknowledged message in Slack, or a minute without progress.
    let find = || {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for ch in &channels {
            for m in slack.messages(ch) {
                for line in m.text.lines() {
                    *seen.entry(line.to_owned()).or_default() += 1;
                }
            }
        }
        seen
    };
    let want: Vec<String> = acked.iter().map(|(c, i)| user_text(*c, *i)).collect();
    common::settle(want.len(), Duration::from_secs(60), || {
        let seen = find();
        want.iter().filter(|t| seen.contains_key(*t)).count()
    })
    .await;
    let seen = find();
    let lost = want.iter().filter(|t| !seen.contains_key(*t)).count();
    let duplicated: usize = want
        .iter()
        .map(|t| seen.get(t).copied().unwrap_or(0).saturating_sub(1))
        .sum();
    // Order: within each channel (oldest first), the first appearances of a
    // conversation's lines must rise (a repeated post is counted above, not here).
    let mut reordered = 0;
    for ch in &channels {
        let mut last: HashMap<usize, usize> = HashMap::new();
        let mut first = std::collections::HashSet::new();
        for m in slack.messages(ch) {
            for line in m.text.lines() {
                let Some((c, i)) = parse(line) else { continue };
                if !first.insert((c, i)) {
                    continue;
                }
                if last.get(&c).is_some_and(|prev| *prev > i) {
                    reordered += 1;
                }
                last.insert(c, i);
            }
        }
    }
    let events_n = events.lock().map(|e| e.len()).unwrap_or(0);
    println!(
        "crash loop: {} SIGKILLs in {:.1} s, {} conversations, {} end-user messages acknowledged",
        a.kills,
        started.elapsed().as_secs_f64(),
        a.conversations,
        acked.len()
    );
    println!(
        "  in Slack: {lost} lost, {duplicated} posted more than once, {reordered} out of order; {events_n} events at the AI platform"
    );
    if let Some(c) = child {
        stop(c);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if lost + reordered > 0 {
        bail!("{lost} acknowledged messages were lost, {reordered} out of order");
    }
    Ok(())
}
