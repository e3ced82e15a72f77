//! Owns `[server]`: the HTTP listener, body and rate limits, shutdown grace, dedupe window.

use std::net::SocketAddr;
use std::time::Duration;

use crate::raw::RawServer;
use crate::validate::{self, Errors, quote};

/// `[server]`: the listener the AI platforms (and Slack over HTTP) call.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Largest accepted request body; 1 KiB ..= 64 MiB, default 1 MiB.
    pub max_body_bytes: usize,
    /// Requests per second per platform token; 0 = unlimited. Default 1000.
    pub rate_limit_per_second: u32,
    /// Burst above the rate; >= 1 when the limit is on. Default 2000.
    pub rate_limit_burst: u32,
    /// Time to drain on shutdown; 1s ..= 5m, default 10s.
    pub shutdown_grace: Duration,
    /// How long message ids are remembered to drop repeats; >= 1h, default 7d.
    pub dedupe_ttl: Duration,
    /// The base URL at which AI platforms reach this listener (file links are built on
    /// it), without a trailing slash. `None`: `http://` and the address actually bound.
    pub public_url: Option<String>,
}

const KIB: i64 = 1024;
const MIB: i64 = 1024 * 1024;

pub(crate) fn validate(raw: &RawServer, e: &mut Errors) -> ServerConfig {
    let listen = raw.listen.trim().parse().unwrap_or_else(|_| {
        e.push(
            "server.listen",
            format!(
                "expected an IP address and port such as \"127.0.0.1:8080\" or \"[::]:8080\", got {}",
                quote(&raw.listen)
            ),
        );
        SocketAddr::from(([127, 0, 0, 1], 8080))
    });

    let max_body_bytes = if (KIB..=64 * MIB).contains(&raw.max_body_bytes) {
        usize::try_from(raw.max_body_bytes).unwrap_or(1_048_576)
    } else {
        e.push(
            "server.max_body_bytes",
            format!(
                "must be between 1024 (1 KiB) and 67108864 (64 MiB), got {}",
                raw.max_body_bytes
            ),
        );
        1_048_576
    };

    let max_u32 = i64::from(u32::MAX);
    let rate_limit_per_second = validate::integer(
        e,
        "server.rate_limit_per_second",
        raw.rate_limit_per_second,
        0,
        max_u32,
        1000,
    );
    let rate_limit_burst = if rate_limit_per_second > 0 && raw.rate_limit_burst < 1 {
        e.push(
            "server.rate_limit_burst",
            format!(
                "must be at least 1 while server.rate_limit_per_second is on (set rate_limit_per_second = 0 to turn the limit off), got {}",
                raw.rate_limit_burst
            ),
        );
        2000
    } else {
        validate::integer(
            e,
            "server.rate_limit_burst",
            raw.rate_limit_burst,
            0,
            max_u32,
            2000,
        )
    };

    let shutdown_grace = validate::duration(
        e,
        "server.shutdown_grace",
        &raw.shutdown_grace,
        Duration::from_secs(1),
        Some(Duration::from_secs(5 * 60)),
        Duration::from_secs(10),
    );
    let dedupe_ttl = validate::duration(
        e,
        "server.dedupe_ttl",
        &raw.dedupe_ttl,
        Duration::from_secs(3600),
        None,
        Duration::from_secs(7 * 86_400),
    );

    let public_url = if raw.public_url.trim().is_empty() {
        None
    } else {
        validate::http_url(&raw.public_url)
            .map_err(|m| e.push("server.public_url", m))
            .ok()
    };

    ServerConfig {
        public_url,
        listen,
        max_body_bytes,
        rate_limit_per_second,
        rate_limit_burst,
        shutdown_grace,
        dedupe_ttl,
    }
}
