//! `handover-bridge demo`: the whole product on this machine, no accounts. It runs one
//! daemon with a temporary data directory and both chat bridges, the built-in Slack
//! emulator (Web API and Socket Mode on loopback), the built-in Discord emulator (REST
//! v10 and gateway on loopback) and a stand-in AI platform with two platform tokens.
//! It plays one conversation on Slack ([`slack`]) and one on Discord ([`discord`]),
//! and prints what the end user, the chat and the AI platform saw each time.
//!
//! This file holds what both parts share: the stand-in AI platform (its webhook, which
//! verifies signatures, and its API client), polling, and printing.

mod discord;
mod slack;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::bail;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::HeaderMap;
use handover_daemon::daemon::{Daemon, Options};
use handover_discord::DiscordBridge;
use handover_slack::{Limits, SlackBridge};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The webhook secret of both demo platforms.
const SECRET: &str = "demo-webhook-secret-0123456789";

/// One event the stand-in AI platform received, for which platform, and whether its
/// signature verified.
struct Received {
    platform: String,
    body: Value,
    signature_ok: bool,
}

/// The stand-in AI platform: a webhook per platform (`/handover-events/{platform}`)
/// that verifies signatures and keeps the events, and an API client per token.
struct AiPlatform {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl AiPlatform {
    async fn start() -> anyhow::Result<Self> {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let keep = got.clone();
        let app = axum::Router::new().route(
            "/handover-events/{platform}",
            axum::routing::post(
                move |Path(platform): Path<String>, headers: HeaderMap, body: Bytes| {
                    let keep = keep.clone();
                    async move {
                        let header = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned()
                        };
                        let ts = header("x-handover-timestamp");
                        let expected = handover_daemon::signing::sign(
                            SECRET.as_bytes(),
                            ts.parse().unwrap_or(0),
                            &body,
                        );
                        let signature_ok = header("x-handover-signature") == expected;
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        if let Ok(mut g) = keep.lock() {
                            g.push(Received {
                                platform,
                                body,
                                signature_ok,
                            });
                        }
                        "ok"
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            addr,
            got,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// The `[[platforms]]` entry of a demo platform served by `bridge`.
    fn platform_toml(&self, id: &str, token: &str, bridge: &str) -> String {
        format!(
            "[[platforms]]\nid = \"{id}\"\ntoken = \"{token}\"\n\
             webhook_url = \"http://{addr}/handover-events/{id}\"\n\
             webhook_secret = \"{SECRET}\"\nbridge = \"{bridge}\"\n",
            addr = self.addr,
        )
    }

    /// The events `platform` received so far, with their signature check.
    fn events(&self, platform: &str) -> Vec<(Value, bool)> {
        self.got
            .lock()
            .map(|g| {
                g.iter()
                    .filter(|r| r.platform == platform)
                    .map(|r| (r.body.clone(), r.signature_ok))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `platform` received an event of this type.
    fn has(&self, platform: &str, kind: &str) -> bool {
        self.events(platform).iter().any(|(b, _)| b["type"] == kind)
    }

    /// The agent's name and text of `platform`'s first `agent.message`.
    fn agent_message(&self, platform: &str) -> Option<(String, String)> {
        self.events(platform)
            .into_iter()
            .find(|(b, _)| b["type"] == "agent.message")
            .map(|(b, _)| {
                let d = &b["data"];
                (
                    d["agent"]["name"].as_str().unwrap_or("").to_owned(),
                    d["text"].as_str().unwrap_or("").to_owned(),
                )
            })
    }

    /// The API as the platform with this bearer token.
    fn api(&self, daemon: &Daemon, token: &'static str) -> Api {
        Api {
            base: format!("http://{}", daemon.addr),
            token,
            client: self.client.clone(),
        }
    }

    /// Prints what `platform` received.
    fn print(&self, platform: &str) {
        println!("\n══ What the AI platform received ({platform}) ══");
        for (body, ok) in self.events(platform) {
            let detail = match body["type"].as_str() {
                Some("handover.taken") => format!("agent {}", body["data"]["agent"]["name"]),
                Some("agent.message") => {
                    format!("“{}”", body["data"]["text"].as_str().unwrap_or(""))
                }
                Some("handover.ended") => format!(
                    "{} — hand-back with {} messages",
                    body["data"]["resolution"],
                    body["data"]["handback"]["transcript"]
                        .as_array()
                        .map_or(0, Vec::len)
                ),
                _ => String::new(),
            };
            println!(
                "  {} {detail}  (signature {})",
                body["type"].as_str().unwrap_or("?"),
                if ok { "verified" } else { "INVALID" }
            );
        }
    }
}

/// The daemon's HTTP API as one AI platform.
struct Api {
    base: String,
    token: &'static str,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))?;
        let resp = self.client.request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "{method} {path} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// After an End → AI click: waits for the hand-back at the AI platform, shows the
/// route, and rates the handover as the end user would.
async fn hand_back_and_rate(
    ai: &AiPlatform,
    api: &Api,
    platform: &str,
    conversation: &str,
    id: &str,
    rating: Value,
) -> anyhow::Result<()> {
    until("the hand-back", || {
        ai.has(platform, "handover.ended").then_some(())
    })
    .await?;
    let r = api
        .call("GET", &format!("/v1/conversations/{conversation}"), None)
        .await?;
    println!("  → route = {} (the AI answers again)", r["route"]);
    api.call("POST", &format!("/v1/handovers/{id}/rating"), Some(rating))
        .await
        .ok();
    Ok(())
}

/// Polls `f` until it returns something, for up to 10 s.
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> anyhow::Result<T> {
    for _ in 0..500 {
        if let Some(v) = f() {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("timed out waiting for {what}")
}

fn step(s: &str) {
    println!("▶ {s}");
}

fn part(title: &str) {
    println!("\n━━━━ {title} ━━━━\n");
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn print_user_view(lines: &[String]) {
    println!("\n══ What the end user saw ══");
    for l in lines {
        println!("  {l}");
    }
}

/// The handover's final state, one line.
async fn print_outcome(api: &Api, id: &str) -> anyhow::Result<()> {
    let h = api
        .call("GET", &format!("/v1/handovers/{id}"), None)
        .await?;
    println!(
        "\n{id}: {}, resolution {}, rating {}, assignee {}",
        h["status"], h["resolution"], h["rating"]["score"], h["assignee"]["name"]
    );
    Ok(())
}

pub async fn run() -> anyhow::Result<()> {
    let ai = AiPlatform::start().await?;
    let slack = slack::Stage::start().await?;
    let discord = discord::Stage::start().await?;
    let dir = std::env::temp_dir().join(format!("handover-demo-{}", std::process::id()));
    let toml = format!(
        "data_dir = \"{dir}\"\n[server]\nlisten = \"127.0.0.1:0\"\n{slack}{discord}[log]\nlevel = \"warn\"\n",
        dir = dir.display(),
        slack = slack.toml(&ai),
        discord = discord.toml(&ai),
    );
    let config = handover_config::load_str(&toml, Vec::<(String, String)>::new())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let daemon = Daemon::start(
        &config,
        Options {
            bridges: vec![
                Arc::new(SlackBridge::new(&config.slack, Limits::default())),
                Arc::new(DiscordBridge::new(&config.discord)),
            ],
            ..Options::default()
        },
    )
    .await?;
    println!(
        "Handover Bridge demo: one daemon with its Slack and Discord bridges, a Slack \
         emulator, a Discord emulator and a stand-in AI platform, all on loopback."
    );
    let result = async {
        slack.play(&daemon, &ai).await?;
        discord.play(&daemon, &ai).await
    }
    .await;
    daemon.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
