//! Per-route rate limits: fixed windows per bucket key, answered with Discord's
//! `X-RateLimit-*` headers and, when exhausted, a 429 with `retry_after`.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// `limit` requests per `window` and bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

/// One bucket's current window.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    start: Instant,
    used: u32,
}

/// What a bucket says about one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Seconds until the window resets.
    pub(crate) reset_after: f64,
    pub(crate) bucket: String,
    /// Refused by the bot-wide limit rather than a route's.
    pub(crate) global: bool,
}

impl Window {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            start: now,
            used: 0,
        }
    }

    /// Counts one request against `rl` (a new window starts when the old one is over).
    pub(crate) fn take(&mut self, now: Instant, rl: RateLimit, bucket: &str) -> Verdict {
        if now.saturating_duration_since(self.start) >= rl.window {
            self.start = now;
            self.used = 0;
        }
        let reset_after = rl
            .window
            .saturating_sub(now.saturating_duration_since(self.start))
            .as_secs_f64();
        let allowed = self.used < rl.limit;
        if allowed {
            self.used += 1;
        }
        Verdict {
            allowed,
            limit: rl.limit,
            remaining: rl.limit.saturating_sub(self.used),
            reset_after: (reset_after * 1000.0).ceil() / 1000.0,
            bucket: bucket.to_string(),
            global: false,
        }
    }
}

impl Verdict {
    /// The 429 body.
    pub(crate) fn body(&self) -> Value {
        json!({
            "message": "You are being rate limited.",
            "retry_after": self.reset_after,
            "global": self.global,
        })
    }

    /// The `X-RateLimit-*` headers (and `Retry-After` when refused).
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set(
            "x-ratelimit-reset-after",
            format!("{:.3}", self.reset_after),
        );
        set("x-ratelimit-bucket", self.bucket.clone());
        if !self.allowed {
            set(
                "retry-after",
                format!("{}", self.reset_after.ceil().max(1.0)),
            );
            let scope = if self.global { "global" } else { "user" };
            set("x-ratelimit-scope", scope.to_string());
            if self.global {
                set("x-ratelimit-global", "true".to_string());
            }
        }
    }
}
