//! `handover-bench analytics`: `GET /v1/analytics` for a 30-day window over a store
//! holding many handovers. The store is filled first (records written straight through
//! the store, as the engine writes them), closed, and opened again by a daemon, as
//! after a restart; the figures are the daemon's start, the first answer (which waits
//! for the analytics index to be filled from the records), then repeated answers.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::bail;
use handover_core::{
    Agent, EndUser, Handover, HandoverId, Priority, Rating, Resolution, Status, Timestamp,
};
use handover_daemon::clock::{Clock, SystemClock};
use handover_daemon::daemon::{Daemon, Options};
use handover_daemon::store::{Store, Write};

use crate::common::{self, TOKEN};

pub struct Args {
    pub handovers: usize,
    /// Days the requests are spread over (ending now).
    pub days: usize,
    pub queries: usize,
}

const AGENTS: [&str; 8] = [
    "grace", "alan", "ada", "edsger", "barbara", "donald", "frances", "ken",
];

/// A pseudo-random but repeatable number for handover `i` and purpose `salt`.
fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// Handover `i` of `n`, requested at an even spread over the last `span_ms`.
fn handover(i: u64, n: u64, now: i64, span_ms: i64) -> Handover {
    let requested = now - span_ms + (span_ms / n as i64) * i as i64;
    let minute = 60_000;
    let open = i + n / 50 >= n; // the newest 2% are still open
    let agent = Agent {
        id: format!("U{}", mix(i, 1) % 8),
        name: AGENTS[(mix(i, 1) % 8) as usize].to_owned(),
        platform: "slack".into(),
    };
    let taken = requested + (1 + mix(i, 2) % 30) as i64 * minute;
    let first = taken + (1 + mix(i, 3) % 10) as i64 * minute;
    let ended = first + (5 + mix(i, 4) % 120) as i64 * minute;
    let (status, resolution) = match (open, mix(i, 5) % 10) {
        (true, 0..=4) => (Status::Pending, None),
        (true, _) => (Status::InProgress, None),
        (false, 0..=5) => (Status::Completed, Some(Resolution::ReturnedToAi)),
        (false, 6..=8) => (Status::Completed, Some(Resolution::Closed)),
        (false, _) => (Status::Completed, Some(Resolution::Cancelled)),
    };
    let taken_at = (status != Status::Pending).then_some(Timestamp(taken));
    let done = status == Status::Completed;
    Handover {
        id: HandoverId(i + 1),
        platform: "bench".into(),
        conversation_id: format!("c{i}"),
        bridge: "slack".into(),
        status,
        resolution,
        user: EndUser {
            id: format!("u{i}"),
            name: "End User".into(),
            email: None,
            avatar_url: None,
        },
        // Skewed: low-numbered reasons are the common ones.
        reason: Some(format!("reason {}", (mix(i, 6) % 40).min(mix(i, 7) % 40))),
        summary: None,
        metadata: BTreeMap::new(),
        priority: Priority::Normal,
        recent: Vec::new(),
        assignee: taken_at.map(|_| agent),
        requested_at: Timestamp(requested),
        taken_at,
        first_response_at: taken_at.map(|_| Timestamp(first)),
        ended_at: done.then_some(Timestamp(ended)),
        ended_by: None,
        end_reason: None,
        rating: (done && mix(i, 8) % 10 < 4).then(|| Rating {
            score: 1 + (mix(i, 9) % 5) as u8,
            comment: None,
            at: Timestamp(ended),
        }),
        location: None,
        mute_on_request: false,
        next_reminder_at: None,
        reminders_sent: 0,
    }
}

/// Writes `handovers` handovers spread over the `days` before `now` into a store in
/// `dir`, then closes it.
pub async fn fill(
    dir: &std::path::Path,
    handovers: usize,
    days: usize,
    now: i64,
) -> anyhow::Result<()> {
    let store = Store::open(dir, 64 << 20)?;
    let n = handovers as u64;
    let span = days as i64 * 86_400_000;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        batch.push(handover(i, n, now, span));
        if batch.len() == 1000 || i + 1 == n {
            let writes: Vec<Write<'_>> = batch
                .iter()
                .map(|h| Write {
                    after: Some(h),
                    ..Write::default()
                })
                .collect();
            store.apply_many(&writes)?;
            batch.clear();
        }
    }
    store.flush().await?;
    println!(
        "filled the store with {n} handovers over {days} days in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let dir = common::temp_dir("analytics")?;
    let now = SystemClock.now().0;
    fill(&dir, a.handovers, a.days, now).await?;
    let hook = common::receiver().await?;
    let toml = format!(
        r#"{head}[slack]
enabled = true
bot_token = "xoxb-bench"
app_token = "xapp-bench"
channels = ["C0BENCH"]
"#,
        head = common::config_head(&dir, hook, "slack")
    );
    let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let daemon = Daemon::start(&config, Options::default()).await?;
    let start_ms = common::ms(started.elapsed());
    let client = common::http();
    let from = handover_daemon::clock::rfc3339(Timestamp(now - 30 * 86_400_000));
    let to = handover_daemon::clock::rfc3339(Timestamp(now));
    let url = format!("http://{}/v1/analytics?from={from}&to={to}", daemon.addr);
    let get = || async {
        let req = hyper::Request::get(&url)
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(http_body_util::Full::new(bytes::Bytes::new()))?;
        let t = Instant::now();
        let resp = client.request(req).await?;
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await?
            .to_bytes();
        if !status.is_success() {
            bail!("analytics answered {status}");
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        Ok::<_, anyhow::Error>((t.elapsed(), v))
    };
    let (first, v) = get().await?;
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..a.queries {
        times.push(common::ms(get().await?.0));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "daemon start {start_ms:.1} ms; first answer (fills the index) {:.0} ms; RSS {:.0} MiB",
        common::ms(first),
        rss_mib()
    );
    println!(
        "30-day window: total {} · completed {} · pending {} · in progress {} · {} agents · {} reasons",
        v["total"],
        v["completed"]["total"],
        v["pending"],
        v["in_progress"],
        v["agents"].as_array().map_or(0, Vec::len),
        v["reasons"].as_array().map_or(0, Vec::len)
    );
    common::print_ms(&format!("GET /v1/analytics ×{}", a.queries), &times);
    daemon.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
