//! `handover-bench`: measures the daemon on this machine and prints figures. Every
//! subcommand runs the daemon in this process on loopback; see BENCHMARKS.md.
//!
//! - `ingest [--clients N] [--messages N] [--conversations N]`: durable ingest
//!   (flush-before-ack) with a chat stand-in that accepts every post.
//! - `slack-relay [--conversations N] [--messages N] [--rate N]`: the time from the
//!   daemon's 2xx to a message until the Slack emulator receives its `chat.postMessage`,
//!   at a steady offered load and with no rate-limit waits.
//! - `slack-ratelimit [--conversations N] [--messages-per-conversation N]`: many
//!   conversations on one handover channel under Slack's ~1 post/s per channel limit;
//!   fails when a message is lost, duplicated or reordered.
//! - `discord-relay [--conversations N] [--messages N] [--rate N]` and
//!   `discord-ratelimit [--conversations N] [--messages-per-conversation N] [--global N]`:
//!   the same for the Discord bridge (see `discord.rs`).
//! - `analytics [--handovers N] [--days N] [--queries N]`: `GET /v1/analytics` for a
//!   30-day window over a store of N handovers, after a restart.
//! - `crashloop [--kills N] [--conversations N] [--discord 1]`: SIGKILLs the real
//!   daemon under load (Slack, or Discord with `--discord 1`)
//!   and checks that nothing acknowledged was lost (see `crashloop.rs`).
//! - `memory [--open N] [--messages N]`: the RSS of `handover-bridge run` holding N open
//!   handovers.
//! - `startup [--handovers N] [--runs N]`: how fast `handover-bridge run` starts on a
//!   store of N handovers.

#![forbid(unsafe_code)]

mod analytics;
mod common;
mod crashloop;
mod crashloop_chat;
mod discord;
mod footprint;
mod ingest;
mod slack;

use std::collections::HashMap;

use anyhow::{Context as _, bail};

const USAGE: &str = "usage:
  handover-bench ingest [--clients N] [--messages N] [--conversations N]
  handover-bench slack-relay [--conversations N] [--messages N] [--rate N]
  handover-bench slack-ratelimit [--conversations N] [--messages-per-conversation N]
  handover-bench discord-relay [--conversations N] [--messages N] [--rate N]
  handover-bench discord-ratelimit [--conversations N] [--messages-per-conversation N] [--global N]
  handover-bench analytics [--handovers N] [--days N] [--queries N]
  handover-bench crashloop [--kills N] [--conversations N] [--discord 1]
  handover-bench memory [--open N] [--messages N]
  handover-bench startup [--handovers N] [--runs N]";

/// `--flag N` pairs; only the `known` flags are accepted, every value is at least 1.
struct Flags(HashMap<String, usize>);

impl Flags {
    fn parse(mut it: impl Iterator<Item = String>, known: &[&str]) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        while let Some(flag) = it.next() {
            if !known.contains(&flag.as_str()) {
                bail!("unknown flag {flag}\n{USAGE}");
            }
            let v: usize = it
                .next()
                .with_context(|| format!("{flag} needs a number"))?
                .parse()
                .with_context(|| format!("{flag} needs a number"))?;
            map.insert(flag, v.max(1));
        }
        Ok(Self(map))
    }

    fn get(&self, flag: &str, default: usize) -> usize {
        self.0.get(flag).copied().unwrap_or(default)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut it = std::env::args().skip(1);
    let command = it.next().unwrap_or_default();
    match command.as_str() {
        "ingest" => {
            let f = Flags::parse(it, &["--clients", "--messages", "--conversations"])?;
            ingest::run(ingest::Args {
                clients: f.get("--clients", 64),
                messages: f.get("--messages", 50_000),
                conversations: f.get("--conversations", 500),
            })
            .await
        }
        "slack-relay" => {
            let f = Flags::parse(it, &["--conversations", "--messages", "--rate"])?;
            slack::relay(slack::RelayArgs {
                conversations: f.get("--conversations", 500),
                messages: f.get("--messages", 10_000),
                rate: f.get("--rate", 500),
            })
            .await
        }
        "slack-ratelimit" => {
            let f = Flags::parse(it, &["--conversations", "--messages-per-conversation"])?;
            slack::ratelimit(slack::RateLimitArgs {
                conversations: f.get("--conversations", 10),
                per_conversation: f.get("--messages-per-conversation", 3),
            })
            .await
        }
        "analytics" => {
            let f = Flags::parse(it, &["--handovers", "--days", "--queries"])?;
            analytics::run(analytics::Args {
                handovers: f.get("--handovers", 1_000_000),
                days: f.get("--days", 60),
                queries: f.get("--queries", 20),
            })
            .await
        }
        "discord-relay" => {
            let f = Flags::parse(it, &["--conversations", "--messages", "--rate"])?;
            discord::relay(discord::RelayArgs {
                conversations: f.get("--conversations", 500),
                messages: f.get("--messages", 10_000),
                rate: f.get("--rate", 500),
            })
            .await
        }
        "discord-ratelimit" => {
            let f = Flags::parse(
                it,
                &["--conversations", "--messages-per-conversation", "--global"],
            )?;
            discord::ratelimit(discord::RateLimitArgs {
                conversations: f.get("--conversations", 10),
                per_conversation: f.get("--messages-per-conversation", 20),
                global: f.get("--global", 50),
            })
            .await
        }
        "crashloop" => {
            let f = Flags::parse(it, &["--kills", "--conversations", "--discord"])?;
            crashloop::run(crashloop::Args {
                kills: f.get("--kills", 20),
                conversations: f.get("--conversations", 8),
                discord: f.get("--discord", 0) == 1,
            })
            .await
        }
        "memory" => {
            let f = Flags::parse(it, &["--open", "--messages"])?;
            footprint::memory(footprint::MemoryArgs {
                open: f.get("--open", 10_000),
                messages: f.get("--messages", 3),
            })
            .await
        }
        "startup" => {
            let f = Flags::parse(it, &["--handovers", "--runs"])?;
            footprint::startup(footprint::StartupArgs {
                handovers: f.get("--handovers", 100_000),
                runs: f.get("--runs", 5),
            })
            .await
        }
        _ => bail!("{USAGE}"),
    }
}
