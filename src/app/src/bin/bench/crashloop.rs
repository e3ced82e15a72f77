//! `handover-bench crashloop`: under a steady load, SIGKILL the real `handover-bridge
//! run` at random moments many times, restarting it each time, then check with the
//! emulators' records that nothing acknowledged was lost.
//!
//! In this process: the chat's emulator (Slack: Web API + Socket Mode; Discord with
//! `--discord 1`: REST + gateway), the AI platform's webhook receiver and the load. The
//! daemon is a child process on one data directory. The load: each conversation's
//! handover gets end-user messages from the AI platform (retried with the same
//! `message_id` until a 2xx), and an agent writes in the handover. After the last kill
//! the daemon runs until everything drained, and the check reads the chat and the
//! webhook's events:
//!
//! - every acknowledged end-user message is in the chat, in order, and how many appear
//!   more than once;
//! - every acknowledged agent message reached the AI platform (deduplicated by
//!   `event_id`), in order per conversation. Slack acknowledges an event when the
//!   daemon acks its envelope (until then Slack delivers it again); Discord's gateway
//!   has no ack, so there the daemon's ✅ on the message is the acknowledgement, and
//!   the messages a killed session never stored are counted apart.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use crate::common;
use crate::crashloop_chat::Chat;
use crate::footprint::{spawn, stop};

pub struct Args {
    pub kills: usize,
    pub conversations: usize,
    /// Against the Discord emulator instead of Slack's.
    pub discord: bool,
}

/// Events the AI platform received: the first arrival of each `event_id`, in order, and
/// how many requests came (repeats included).
#[derive(Default)]
struct Received {
    ids: HashSet<String>,
    events: Vec<Value>,
    requests: usize,
}

type Events = Arc<Mutex<Received>>;

async fn receiver() -> anyhow::Result<(std::net::SocketAddr, Events)> {
    let got: Events = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().fallback(move |body: bytes::Bytes| {
        let keep = keep.clone();
        async move {
            let v: Value = serde_json::from_slice(&body).unwrap_or_default();
            if let (Ok(mut g), Some(id)) = (keep.lock(), v["event_id"].as_str()) {
                g.requests += 1;
                if g.ids.insert(id.to_owned()) {
                    g.events.push(v.clone());
                }
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
    chat: &Chat,
    section: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let toml = format!(
        "{head}retry_initial = \"50ms\"\nretry_max = \"500ms\"\n{section}[log]\nformat = \"json\"\nlevel = \"info\"\n",
        head = common::config_head(&dir.join("data"), hook, chat.name()),
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

fn agent_text(c: usize, i: usize) -> String {
    format!("conversation {c:02} agent reply {i:04}")
}

/// (conversation, number) of each acknowledged message, in the order of the acks.
type Acked = Arc<Mutex<Vec<(usize, usize)>>>;

/// Agent replies that Slack had to deliver more than once before the ack.
static REDELIVERED: AtomicUsize = AtomicUsize::new(0);
/// Agent messages written (Slack: acknowledged; Discord: taken by a gateway session).
static WRITTEN: AtomicUsize = AtomicUsize::new(0);

/// The agent of conversation `c`: once handover `id` is posted, writes in it every
/// 200 ms. Slack delivers each reply until the daemon acknowledges it (the same event
/// again, as Slack retries), and an acknowledged reply counts at once; Discord's are
/// counted at the end, by the daemon's ✅.
async fn agent(
    chat: Chat,
    client: common::Http,
    current: Addr,
    (c, id): (usize, String),
    stop: Arc<AtomicBool>,
    acked: Acked,
) {
    let (channel, thread) = loop {
        let base = addr(&current);
        if !base.is_empty()
            && let Ok(a) = common::get(&client, &format!("http://{base}/v1/handovers/{id}")).await
            && let Ok(v) = serde_json::from_slice::<Value>(&a.body)
            && let Some(ch) = v["location"]["channel"].as_str()
        {
            break (
                ch.to_owned(),
                v["location"]["thread"].as_str().map(str::to_owned),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let slack = matches!(chat, Chat::Slack { .. });
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let text = agent_text(c, i);
        if let Some(deliveries) = chat.agent_says(&channel, thread.as_deref(), &text).await {
            WRITTEN.fetch_add(1, Ordering::Relaxed);
            if deliveries > 1 {
                REDELIVERED.fetch_add(1, Ordering::Relaxed);
            }
            if slack && let Ok(mut v) = acked.lock() {
                v.push((c, i));
            }
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The conversation and number of a line written by [`agent_text`].
fn parse_agent(line: &str) -> Option<(usize, usize)> {
    let (c, i) = line
        .strip_prefix("conversation ")?
        .split_once(" agent reply ")?;
    Some((c.parse().ok()?, i.parse().ok()?))
}

/// What the AI platform got of the acknowledged agent replies: how many are missing,
/// how many came more than once (under different event ids, which no receiver could
/// dedupe), and how many arrived out of order within their conversation.
fn check_agent_replies(events: &[Value], acked: &[(usize, usize)]) -> (usize, usize, usize) {
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut last: HashMap<usize, usize> = HashMap::new();
    let mut reordered = 0;
    for e in events.iter().filter(|e| e["type"] == "agent.message") {
        let text = e["data"]["text"].as_str().unwrap_or_default();
        let n = count.entry(text.to_owned()).or_default();
        *n += 1;
        let Some((c, i)) = parse_agent(text) else {
            continue;
        };
        if *n == 1 {
            if let Some(prev) = last.get(&c).filter(|prev| **prev > i) {
                eprintln!("  out of order: conversation {c} reply {i} after reply {prev}");
                reordered += 1;
            }
            last.insert(c, i);
        }
    }
    let lost = acked
        .iter()
        .filter(|(c, i)| !count.contains_key(&agent_text(*c, *i)))
        .count();
    let doubled = count.values().map(|n| n - 1).sum();
    (lost, doubled, reordered)
}

/// The conversation and number of a line written by [`user_text`].
fn parse(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("conversation ")?;
    let (c, rest) = rest.split_once(" user message ")?;
    Some((c.parse().ok()?, rest.parse().ok()?))
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let (chat, section) = Chat::start(a.discord, a.conversations).await?;
    let (hook, events) = receiver().await?;
    let dir = common::temp_dir("crashloop")?;
    let config = config(&dir, hook, &chat, &section)?;
    let (child, first, _) = spawn(&config)?;
    let mut child = Some(child);
    let current: Addr = Arc::new(Mutex::new(first));
    let client = common::http();
    let stop_load = Arc::new(AtomicBool::new(false));
    let acked: Acked = Arc::default();
    let agent_acked: Acked = Arc::default();

    // The AI platform: one handover per conversation, then end-user messages; and each
    // handover's agent replying in its thread.
    let mut tasks = Vec::new();
    for c in 0..a.conversations {
        let (client, current, stop_load, acked) = (
            client.clone(),
            current.clone(),
            stop_load.clone(),
            acked.clone(),
        );
        let (chat, agent_acked) = (chat.clone(), agent_acked.clone());
        tasks.push(tokio::spawn(async move {
            let req = json!({"conversation_id": format!("c{c}"), "user": {"id": format!("u{c}"), "name": format!("User {c}")}, "reason": "crash loop"});
            let made = until_ok(&client, &current, "/v1/handovers", &req).await;
            let id = made["handover_id"].as_str().unwrap_or_default().to_owned();
            let agent = tokio::spawn(agent(
                chat,
                client.clone(),
                current.clone(),
                (c, id),
                stop_load.clone(),
                agent_acked,
            ));
            let mut i = 0;
            while !stop_load.load(Ordering::Relaxed) {
                let body = json!({"message_id": format!("c{c}-m{i}"), "text": user_text(c, i)});
                until_ok(&client, &current, &format!("/v1/conversations/c{c}/messages"), &body).await;
                if let Ok(mut v) = acked.lock() {
                    v.push((c, i));
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            let _ = agent.await;
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
    stop_load.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let acked = acked.lock().map(|v| v.clone()).unwrap_or_default();
    // Drain: every acknowledged message in Slack, or a minute without progress.
    let find = || {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for texts in chat.texts() {
            for line in texts.iter().flat_map(|t| t.lines()) {
                *seen.entry(line.to_owned()).or_default() += 1;
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
    for texts in chat.texts() {
        let mut last: HashMap<usize, usize> = HashMap::new();
        let mut first = std::collections::HashSet::new();
        for text in &texts {
            for line in text.lines() {
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
    // The other way: every acknowledged agent reply at the AI platform. On Discord the
    // daemon's ✅ is the acknowledgement; wait until the marks stop changing.
    if chat.confirmed().is_some() {
        let written = WRITTEN.load(Ordering::Relaxed);
        common::settle(written, Duration::from_secs(15), || {
            chat.confirmed().map_or(0, |v| v.len())
        })
        .await;
    }
    let agent_acked = match chat.confirmed() {
        Some(marked) => marked.iter().filter_map(|t| parse_agent(t)).collect(),
        None => agent_acked.lock().map(|v| v.clone()).unwrap_or_default(),
    };
    let events_now = || events.lock().map(|e| e.events.clone()).unwrap_or_default();
    let requests = || events.lock().map(|e| e.requests).unwrap_or_default();
    common::settle(agent_acked.len(), Duration::from_secs(60), || {
        let (lost, _, _) = check_agent_replies(&events_now(), &agent_acked);
        agent_acked.len() - lost
    })
    .await;
    let events_now = events_now();
    let (agent_lost, agent_doubled, agent_reordered) =
        check_agent_replies(&events_now, &agent_acked);
    println!(
        "crash loop on {}: {} SIGKILLs in {:.1} s, {} conversations, {} end-user messages and {} agent replies acknowledged",
        chat.name(),
        a.kills,
        started.elapsed().as_secs_f64(),
        a.conversations,
        acked.len(),
        agent_acked.len()
    );
    println!(
        "  end-user messages in {}: {lost} lost, {duplicated} posted more than once, {reordered} out of order",
        chat.name()
    );
    println!(
        "  agent replies at the AI platform: {agent_lost} lost, {agent_doubled} more than once under another event_id, {agent_reordered} out of order"
    );
    let written = WRITTEN.load(Ordering::Relaxed);
    match chat {
        Chat::Slack { .. } => println!(
            "  ({} agent replies were delivered by Slack more than once before the ack; the webhook got {} requests for {} distinct events)",
            REDELIVERED.load(Ordering::Relaxed),
            requests(),
            events_now.len()
        ),
        Chat::Discord { .. } => println!(
            "  ({written} agent messages reached a gateway session, {} reached the AI platform, {} were marked ✅; a message a session got just before its kill is not stored, and Discord does not replay it to the next session; the webhook got {} requests for {} distinct events)",
            events_now
                .iter()
                .filter(|e| e["type"] == "agent.message")
                .count(),
            agent_acked.len(),
            requests(),
            events_now.len()
        ),
    }
    if let Some(c) = child {
        stop(c);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if lost + reordered + agent_lost + agent_reordered > 0 {
        bail!(
            "lost or out of order: {lost} + {reordered} end-user messages, {agent_lost} + {agent_reordered} agent replies"
        );
    }
    Ok(())
}
