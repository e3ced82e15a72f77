//! Helpers shared by the benchmarks: percentiles, the HTTP client, the loopback webhook
//! receiver that stands in for the AI platform, and a temporary data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The bearer token of the benchmark platform.
pub const TOKEN: &str = "bench-token-0123456789abcdef";

/// A keep-alive HTTP/1 client for loopback.
pub type Http = Client<HttpConnector, Full<Bytes>>;

pub fn http() -> Http {
    Client::builder(TokioExecutor::new()).build_http()
}

/// The value at quantile `p` (0.0–1.0) of an ascending slice (nearest rank).
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints p50/p90/p99/max of ascending millisecond values under `label`.
pub fn print_ms(label: &str, sorted_ms: &[f64]) {
    for (name, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)] {
        println!("  {label} {name:<4} {:9.2} ms", percentile(sorted_ms, p));
    }
}

/// The answer to a POST: its status, when its head arrived, and its body.
pub struct Answer {
    pub status: u16,
    /// When the response head (status line) arrived at the client.
    pub at: Instant,
    pub body: Bytes,
}

/// POSTs `body` as JSON with the platform token.
pub async fn post(client: &Http, url: &str, body: String) -> anyhow::Result<Answer> {
    call(client, hyper::Method::POST, url, body).await
}

/// GETs `url` with the platform token.
pub async fn get(client: &Http, url: &str) -> anyhow::Result<Answer> {
    call(client, hyper::Method::GET, url, String::new()).await
}

async fn call(
    client: &Http,
    method: hyper::Method,
    url: &str,
    body: String,
) -> anyhow::Result<Answer> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let resp = client.request(req).await?;
    let at = Instant::now();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(Answer { status, at, body })
}

/// Sends one message of conversation `c` (its text is also its id); when its 200 arrived.
pub async fn send_message(
    client: &Http,
    base: &str,
    c: usize,
    text: &str,
) -> anyhow::Result<Instant> {
    let body = serde_json::json!({"message_id": text.replace(' ', "-"), "text": text});
    let url = format!("{base}/v1/conversations/c{c}/messages");
    let a = post(client, &url, body.to_string()).await?;
    if a.status != 200 {
        anyhow::bail!("message answered {}", a.status);
    }
    Ok(a.at)
}

/// The start of a benchmark daemon's config: its data directory, a loopback listener
/// without rate limit, and the `bench` platform (webhook at `hook`, on `bridge`); the
/// caller appends the chat sections.
pub fn config_head(data_dir: &std::path::Path, hook: SocketAddr, bridge: &str) -> String {
    format!(
        r#"data_dir = "{dir}"
[server]
listen = "127.0.0.1:0"
rate_limit_per_second = 0
[[platforms]]
id = "bench"
token = "{TOKEN}"
webhook_url = "http://{hook}/events"
webhook_secret = "bench-secret-0123456789"
bridge = "{bridge}"
"#,
        dir = data_dir.display()
    )
}

/// The AI platform's webhook: answers 200 to everything.
pub async fn receiver() -> anyhow::Result<SocketAddr> {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// A fresh data directory under the system temp dir.
pub fn temp_dir(tag: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("handover-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Milliseconds from `from` to `to`, negative when `to` came first.
pub fn signed_ms(from: Instant, to: Instant) -> f64 {
    match to.checked_duration_since(from) {
        Some(d) => ms(d),
        None => -ms(from - to),
    }
}

/// Polls `done` every 50 ms until it reaches `want` or `stall` passes without progress;
/// returns the last count.
pub async fn settle(want: usize, stall: Duration, mut done: impl FnMut() -> usize) -> usize {
    let (mut seen, mut progress) = (0, Instant::now());
    loop {
        let now = done();
        if now >= want || (now <= seen && progress.elapsed() > stall) {
            return now;
        }
        if now > seen {
            (seen, progress) = (now, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
