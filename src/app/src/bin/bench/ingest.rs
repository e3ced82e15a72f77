//! `handover-bench ingest`: durable ingest. The daemon runs in this process on loopback
//! (real HTTP, real sled with flush-before-ack, a loopback webhook receiver and a chat
//! stand-in that accepts every post); one handover is opened per conversation, then N
//! concurrent clients post messages to them. Prints accepted messages per second,
//! latency percentiles and group-commit counts.

use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use handover_core::{BridgeEffect, Handover, Location};
use handover_daemon::bridge::{BoxFuture, Bridge, BridgeContext, DeliveryError, Performed};
use handover_daemon::daemon::{Daemon, Options};

use crate::common::{self, post};

pub struct Args {
    pub clients: usize,
    pub messages: usize,
    pub conversations: usize,
}

/// A chat platform that accepts every post at once (the bench measures the daemon).
struct NullChat;

impl Bridge for NullChat {
    fn name(&self) -> &'static str {
        "slack"
    }
    fn start(&self, ctx: BridgeContext) -> BoxFuture<'_, ()> {
        Box::pin(async move { ctx.cancel.cancelled().await })
    }
    fn perform<'a>(
        &'a self,
        _engine: &'a handover_daemon::engine::Engine,
        h: &'a Handover,
        e: &'a BridgeEffect,
    ) -> BoxFuture<'a, Result<Performed, DeliveryError>> {
        Box::pin(async move {
            let location = matches!(e, BridgeEffect::Announce).then(|| Location {
                bridge: "slack".into(),
                channel: "C0BENCH".into(),
                thread: Some(h.id.to_string()),
                url: None,
            });
            Ok(Performed { location })
        })
    }
    fn ready(&self) -> bool {
        true
    }
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let dir = common::temp_dir("ingest")?;
    let hook = common::receiver().await?;
    let toml = format!(
        r#"{head}[slack]
enabled = true
bot_token = "xoxb-bench"
app_token = "xapp-bench"
channels = ["C0BENCH"]
members = ["UBENCH"]
"#,
        head = common::config_head(&dir, hook, "slack")
    );
    let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let daemon = Daemon::start(
        &config,
        Options {
            bridges: vec![Arc::new(NullChat)],
            ..Options::default()
        },
    )
    .await?;
    let result = measure(&daemon, &a).await;
    daemon.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(daemon: &Daemon, a: &Args) -> anyhow::Result<()> {
    let base = format!("http://{}", daemon.addr);
    let client = common::http();

    for c in 0..a.conversations {
        let body = serde_json::json!({"conversation_id": format!("c{c}"), "user": {"id": format!("u{c}"), "name": "Bench User"}, "reason": "bench"});
        let status = post(&client, &format!("{base}/v1/handovers"), body.to_string())
            .await?
            .status;
        if status != 201 {
            bail!("handover request answered {status}");
        }
    }
    let flushes_before = daemon.engine.store().flush_count();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.clients {
        let (client, base) = (client.clone(), base.clone());
        let (n, convs, clients) = (a.messages, a.conversations, a.clients);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n / clients + 1);
            for i in (w..n).step_by(clients) {
                let body = serde_json::json!({"message_id": format!("m{i}"), "text": "I still have not received my order, can a person help?"});
                let url = format!("{base}/v1/conversations/c{}/messages", i % convs);
                let t0 = Instant::now();
                let status = post(&client, &url, body.to_string()).await?.status;
                if status != 200 {
                    bail!("message answered {status}");
                }
                lat.push(t0.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::with_capacity(a.messages);
    for t in tasks {
        lat.extend(t.await??);
    }
    let elapsed = started.elapsed();
    let flushes = daemon.engine.store().flush_count() - flushes_before;
    lat.sort();
    println!(
        "durable ingest: {} messages, {} clients, {} conversations (open handovers)",
        a.messages, a.clients, a.conversations
    );
    println!("  elapsed        {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput     {:.0} messages/s (each acknowledged after its flush)",
        a.messages as f64 / elapsed.as_secs_f64()
    );
    for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)] {
        println!(
            "  latency {name}    {:.2} ms",
            common::ms(common::percentile(&lat, p))
        );
    }
    println!(
        "  flushes        {flushes} ({:.1} messages per flush)",
        a.messages as f64 / flushes.max(1) as f64
    );
    Ok(())
}
