//! Discord REST calls with the bridge's own rate limiting, the same against Discord
//! and against a loopback emulator.
//!
//! Requests are serenity's [`Request`]s (routes and builders stay serenity's), sent by
//! this module's client so the answers' headers can be read: serenity's own limiter
//! cannot be used through a proxy, and without it serenity hides `retry_after` and the
//! `X-RateLimit-*` headers. What is honoured:
//!
//! - the **per-route buckets**: `X-RateLimit-Remaining` and `X-RateLimit-Reset-After`
//!   of the last answer on a route (serenity's bucket: route plus major id); a call
//!   waits for the reset when the bucket is empty;
//! - the **global limit**: at most [`RestLimits::global_per_second`] calls, and a
//!   global 429 (`"global": true` or `X-RateLimit-Global`) stops every call until it
//!   has passed;
//! - a **429**: its `retry_after` (body, then `X-RateLimit-Reset-After`, then
//!   `Retry-After`). A refused call was not carried out, so it is sent again after the
//!   wait, inside the same effect: an effect of several calls (a split message) is
//!   never half-repeated. Only when waiting would pass [`RestLimits::max_wait`] does
//!   the effect fail with the wait, for the outbox to retry it later, in order.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use handover_daemon::bridge::DeliveryError;
use serde::de::DeserializeOwned;
use serenity::http::StatusCode;
use serenity::http::{LightMethod, RatelimitingBucket, Request};

/// The bridge's own limits for Discord REST.
#[derive(Clone, Copy, Debug)]
pub struct RestLimits {
    /// Discord allows 50 requests per second per bot; stay a little under it.
    pub global_per_second: u32,
    /// The longest a call waits for a rate limit inside one effect.
    pub max_wait: Duration,
}

impl Default for RestLimits {
    fn default() -> Self {
        Self {
            global_per_second: 45,
            max_wait: Duration::from_secs(30),
        }
    }
}

/// What the last answer on a route said about its bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    limit: u32,
    remaining: u32,
    reset_at: Instant,
}

/// What a bucket is kept under: serenity's route bucket with the method, or a path
/// for the few routes serenity does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Route(LightMethod, RatelimitingBucket),
    Path(&'static str),
}

#[derive(Default)]
struct Buckets {
    routes: HashMap<Key, Bucket>,
    /// No call before this instant (a global 429).
    global_until: Option<Instant>,
}

/// The REST client: token, base URL and rate-limit state.
pub(crate) struct Rest {
    client: reqwest::Client,
    /// `Bot <token>`.
    authorization: String,
    /// The base URL replacing `https://discord.com`, when it is not Discord's.
    proxy: Option<String>,
    limits: RestLimits,
    global: DefaultDirectRateLimiter,
    buckets: Mutex<Buckets>,
    /// 429 answers received (each one retried or surfaced).
    pub(crate) rate_limited: AtomicU64,
}

fn failed(what: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::new(format!("Discord: {what}"))
}

fn header_f64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Seconds (possibly fractional) as a duration, capped at a day.
fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 86_400.0))
}

/// How long a 429 asks to wait, and whether it is the global limit.
fn retry_after(headers: &reqwest::header::HeaderMap, body: &[u8]) -> (Duration, bool) {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let global = json["global"].as_bool().unwrap_or(false)
        || headers
            .get("x-ratelimit-global")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    let wait = json["retry_after"]
        .as_f64()
        .or_else(|| header_f64(headers, "x-ratelimit-reset-after"))
        .or_else(|| header_f64(headers, "retry-after"))
        .unwrap_or(1.0);
    (secs(wait), global)
}

/// A refusal other than 429, with Discord's error code and message (never content).
fn refusal(status: StatusCode, body: &[u8]) -> DeliveryError {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match (json["code"].as_u64(), json["message"].as_str()) {
        (Some(code), Some(message)) => failed(format!("{status} (code {code}: {message})")),
        _ => failed(status),
    }
}

impl Rest {
    pub(crate) fn new(bot_token: &str, proxy: Option<String>, limits: RestLimits) -> Self {
        let per_second = NonZeroU32::new(limits.global_per_second).unwrap_or(NonZeroU32::MIN);
        Self {
            client: reqwest::Client::new(),
            authorization: format!("Bot {}", bot_token.trim_start_matches("Bot ")),
            proxy,
            limits,
            // Short bursts only: Discord counts in fixed one-second windows, so a full
            // second's burst at the end of one window would overrun the next.
            global: RateLimiter::direct(Quota::per_second(per_second).allow_burst(
                NonZeroU32::new(limits.global_per_second / 5).unwrap_or(NonZeroU32::MIN),
            )),
            buckets: Mutex::default(),
            rate_limited: AtomicU64::new(0),
        }
    }

    /// Sends `req` and decodes the answer.
    pub(crate) async fn fire<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
    ) -> Result<T, DeliveryError> {
        let body = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| failed(format!("unexpected answer: {e}")))
    }

    /// Sends `req` within the rate limits; the body of a 2xx answer.
    pub(crate) async fn send(&self, req: Request<'_>) -> Result<Vec<u8>, DeliveryError> {
        let key = Key::Route(*req.method_ref(), req.route_ref().ratelimiting_bucket());
        self.exchange(key, || {
            req.clone()
                .build(&self.client, &self.authorization, self.proxy.as_deref())
                .map_err(failed)?
                .build()
                .map_err(failed)
        })
        .await
    }

    /// `POST /attachments/refresh-urls` (a route serenity does not know): fresh
    /// signed URLs for attachment URLs that have expired, in the same order.
    pub(crate) async fn refresh_urls(&self, urls: &[String]) -> Result<Vec<String>, DeliveryError> {
        let base = self.proxy.as_deref().unwrap_or("https://discord.com");
        let url = format!("{base}/api/v10/attachments/refresh-urls");
        let body = serde_json::json!({ "attachment_urls": urls }).to_string();
        let answer = self
            .exchange(Key::Path("attachments/refresh-urls"), || {
                self.client
                    .post(&url)
                    .header("authorization", &self.authorization)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .build()
                    .map_err(failed)
            })
            .await?;
        let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
        let refreshed = json["refreshed_urls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(urls
            .iter()
            .map(|u| {
                refreshed
                    .iter()
                    .find(|r| r["original"].as_str() == Some(u))
                    .and_then(|r| r["refreshed"].as_str())
                    .unwrap_or(u)
                    .to_owned()
            })
            .collect())
    }

    /// A plain GET (Discord's CDN: no token, no API rate limits).
    pub(crate) async fn download(&self, url: &str) -> Result<reqwest::Response, DeliveryError> {
        self.client.get(url).send().await.map_err(failed)
    }

    /// Sends what `build` makes until it is not refused with a 429, waiting as told.
    async fn exchange(
        &self,
        key: Key,
        build: impl Fn() -> Result<reqwest::Request, DeliveryError>,
    ) -> Result<Vec<u8>, DeliveryError> {
        let started = Instant::now();
        loop {
            self.wait_turn(key, started).await?;
            let resp = self.client.execute(build()?).await.map_err(failed)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(failed)?.to_vec();
            self.learn(key, &headers);
            if status != StatusCode::TOO_MANY_REQUESTS {
                return if status.is_success() {
                    Ok(body)
                } else {
                    Err(refusal(status, &body))
                };
            }
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            let (wait, global) = retry_after(&headers, &body);
            self.hold(key, wait, global);
            tracing::debug!(?wait, global, "Discord answered 429; waiting.");
        }
    }

    /// Waits until the global limit and the route's bucket allow a call, then takes
    /// one from the bucket. Fails when the wait would pass `max_wait` since `started`.
    async fn wait_turn(&self, key: Key, started: Instant) -> Result<(), DeliveryError> {
        loop {
            let now = Instant::now();
            let wait = {
                let mut b = self
                    .buckets
                    .lock()
                    .map_err(|_| failed("limiter poisoned"))?;
                let global = b.global_until.map_or(Duration::ZERO, |t| t - now);
                let route = match b.routes.get_mut(&key) {
                    Some(r) if r.remaining > 0 => {
                        r.remaining -= 1;
                        Duration::ZERO
                    }
                    Some(r) if r.reset_at > now => r.reset_at - now,
                    Some(r) => {
                        // A new window: as many calls as the last limit said.
                        r.remaining = r.limit.saturating_sub(1);
                        r.reset_at = now + Duration::from_secs(1);
                        Duration::ZERO
                    }
                    None => Duration::ZERO,
                };
                global.max(route)
            };
            if wait.is_zero() {
                break;
            }
            if started.elapsed() + wait > self.limits.max_wait {
                return Err(DeliveryError {
                    reason: "Discord rate limit".into(),
                    retry_after: Some(wait),
                });
            }
            tokio::time::sleep(wait).await;
        }
        self.global.until_ready().await;
        Ok(())
    }

    /// Records the bucket state an answer's `X-RateLimit-*` headers give.
    fn learn(&self, key: Key, headers: &reqwest::header::HeaderMap) {
        let (Some(remaining), Some(reset_after)) = (
            header_f64(headers, "x-ratelimit-remaining"),
            header_f64(headers, "x-ratelimit-reset-after"),
        ) else {
            return;
        };
        let limit = header_f64(headers, "x-ratelimit-limit").unwrap_or(remaining + 1.0);
        if let Ok(mut b) = self.buckets.lock() {
            // The answer is newer than the reservation made before sending.
            b.routes.insert(
                key,
                Bucket {
                    limit: limit as u32,
                    remaining: remaining as u32,
                    reset_at: Instant::now() + secs(reset_after),
                },
            );
        }
    }

    /// After a 429: no call on the route (or at all, when global) for `wait`.
    fn hold(&self, key: Key, wait: Duration, global: bool) {
        let until = Instant::now() + wait;
        if let Ok(mut b) = self.buckets.lock() {
            if global {
                b.global_until = Some(b.global_until.map_or(until, |t| t.max(until)));
            } else {
                let entry = b.routes.entry(key).or_insert(Bucket {
                    limit: 1,
                    remaining: 0,
                    reset_at: until,
                });
                entry.remaining = 0;
                entry.reset_at = entry.reset_at.max(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn the_body_retry_after_wins_then_the_headers() {
        let h = headers(&[("x-ratelimit-reset-after", "2.5"), ("retry-after", "3")]);
        let body =
            br#"{"message":"You are being rate limited.","retry_after":0.64,"global":false}"#;
        assert_eq!(retry_after(&h, body), (Duration::from_millis(640), false));
        assert_eq!(retry_after(&h, b"{}"), (Duration::from_millis(2500), false));
        let only_retry = headers(&[("retry-after", "3")]);
        assert_eq!(
            retry_after(&only_retry, b""),
            (Duration::from_secs(3), false)
        );
        assert_eq!(
            retry_after(&HeaderMap::new(), b""),
            (Duration::from_secs(1), false)
        );
    }

    #[test]
    fn a_global_429_is_recognised_by_body_or_header() {
        let body = br#"{"retry_after":1.0,"global":true}"#;
        assert!(retry_after(&HeaderMap::new(), body).1);
        let h = headers(&[("x-ratelimit-global", "true")]);
        assert!(retry_after(&h, br#"{"retry_after":1.0}"#).1);
    }

    #[test]
    fn nonsense_waits_are_bounded() {
        let h = headers(&[("retry-after", "-5")]);
        assert_eq!(retry_after(&h, b""), (Duration::from_secs(1), false));
        let body = br#"{"retry_after":1e300}"#;
        assert_eq!(
            retry_after(&HeaderMap::new(), body).0,
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn refusals_name_discords_code_and_message() {
        let e = refusal(
            StatusCode::FORBIDDEN,
            br#"{"code":50013,"message":"Missing Permissions"}"#,
        );
        assert!(e.reason.contains("50013") && e.reason.contains("Missing Permissions"));
        assert!(
            refusal(StatusCode::BAD_GATEWAY, b"<html>")
                .reason
                .contains("502")
        );
    }
}
