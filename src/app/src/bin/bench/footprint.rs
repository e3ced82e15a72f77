//! `handover-bench memory` and `handover-bench startup`: what the daemon costs to keep
//! handovers open, and how fast it starts on a large store.
//!
//! - memory: the real `handover-bridge run` binary as a child process (so its RSS is
//!   the daemon's alone), with the Slack bridge on and `api_url` pointed at an address
//!   nothing listens on: posts wait in the outbox, the worst case for memory. N
//!   handovers are opened (each with a few messages) over HTTP, then the child's VmRSS
//!   and VmHWM are read from /proc.
//! - startup: a store is filled with N handovers (as in `analytics`), then the real
//!   binary is started on it K times; the figure is the time from spawn to the
//!   "listening" log line and to the first 200 of `GET /healthz`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use handover_daemon::clock::{Clock, SystemClock};

use crate::common::{self, post};

pub struct MemoryArgs {
    pub open: usize,
    pub messages: usize,
}

pub struct StartupArgs {
    pub handovers: usize,
    pub runs: usize,
}

/// The `handover-bridge` binary next to this one.
fn binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("handover-bridge");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release)",
            bin.display()
        );
    }
    Ok(bin)
}

fn config(dir: &std::path::Path, hook: std::net::SocketAddr) -> anyhow::Result<std::path::PathBuf> {
    let toml = format!(
        r#"{head}[slack]
enabled = true
bot_token = "xoxb-bench"
app_token = "xapp-bench"
channels = ["C0BENCH"]
api_url = "http://127.0.0.1:9/api"
[log]
format = "json"
level = "info"
"#,
        head = common::config_head(&dir.join("data"), hook, "slack")
    );
    let path = dir.join("bench.toml");
    std::fs::write(&path, toml)?;
    Ok(path)
}

/// Starts the daemon; returns it with its address once it logs that it listens.
pub(crate) fn spawn(config: &std::path::Path) -> anyhow::Result<(Child, String, Duration)> {
    let started = Instant::now();
    let mut child = Command::new(binary()?)
        .args(["run", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(addr) = v.pointer("/fields/addr").and_then(|a| a.as_str()) {
                let _ = tx.send((addr.to_owned(), started.elapsed()));
            }
        }
    });
    let (addr, at) = rx
        .recv_timeout(Duration::from_secs(60))
        .context("the daemon did not report its address")?;
    Ok((child, addr, at))
}

fn proc_kib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0.0)
}

pub(crate) fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

pub async fn memory(a: MemoryArgs) -> anyhow::Result<()> {
    let dir = common::temp_dir("memory")?;
    let hook = common::receiver().await?;
    let (child, addr, _) = spawn(&config(&dir, hook)?)?;
    let pid = child.id();
    let idle = proc_kib(pid, "VmRSS:");
    let client = common::http();
    let base = format!("http://{addr}");
    for c in 0..a.open {
        let body = serde_json::json!({"conversation_id": format!("c{c}"), "user": {"id": format!("u{c}"), "name": "Bench User"}, "reason": "bench", "summary": "A customer who wants a person."});
        let status = post(&client, &format!("{base}/v1/handovers"), body.to_string())
            .await?
            .status;
        if status != 201 {
            bail!("handover request answered {status}");
        }
        for m in 0..a.messages {
            let body = serde_json::json!({"message_id": format!("m{c}-{m}"), "text": "I still have not received my order, can a person help?"});
            let url = format!("{base}/v1/conversations/c{c}/messages");
            post(&client, &url, body.to_string()).await?;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = proc_kib(pid, "VmRSS:");
    let hwm = proc_kib(pid, "VmHWM:");
    println!(
        "{} open handovers, {} messages each, outbox waiting (chat unreachable)",
        a.open, a.messages
    );
    println!(
        "  daemon RSS idle {:.1} MiB · with the handovers {:.1} MiB · peak {:.1} MiB",
        idle / 1024.0,
        rss / 1024.0,
        hwm / 1024.0
    );
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

pub async fn startup(a: StartupArgs) -> anyhow::Result<()> {
    let dir = common::temp_dir("startup")?;
    let hook = common::receiver().await?;
    let config = config(&dir, hook)?;
    let now = SystemClock.now().0;
    crate::analytics::fill(&dir.join("data"), a.handovers, 60, now).await?;
    let client = common::http();
    let mut listening = Vec::new();
    let mut healthy = Vec::new();
    for _ in 0..a.runs {
        let started = Instant::now();
        let (child, addr, at) = spawn(&config)?;
        loop {
            let req = hyper::Request::get(format!("http://{addr}/healthz"))
                .body(http_body_util::Full::new(bytes::Bytes::new()))?;
            if client
                .request(req)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        healthy.push(common::ms(started.elapsed()));
        listening.push(common::ms(at));
        stop(child);
    }
    listening.sort_by(f64::total_cmp);
    healthy.sort_by(f64::total_cmp);
    let db_bytes = std::fs::metadata(dir.join("data/sled/db")).map_or(0, |m| m.len());
    println!(
        "start-up of handover-bridge run on a store of {} handovers ({:.0} MiB of data files, checked against the seal at each start), {} runs",
        a.handovers,
        db_bytes as f64 / 1048576.0,
        a.runs
    );
    common::print_ms("spawn → listening", &listening);
    common::print_ms("spawn → /healthz 200", &healthy);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
