//! Owns `[[platforms]]`: one entry per AI platform (or tenant) with its API token,
//! webhook target and secret, bridge, and webhook delivery timings.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::raw::RawPlatform;
use crate::secret::Secret;
use crate::validate::{self, Errors, fmt_duration, quote};

/// One `[[platforms]]` entry.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// 1–32 chars of `[a-z0-9_-]`, unique.
    pub id: String,
    /// Bearer token the platform calls the API with; >= 16 chars, unique.
    pub token: Secret,
    /// Where events are POSTed; http(s) URL.
    pub webhook_url: String,
    /// Key of the HMAC-SHA256 signature of events; >= 16 chars.
    pub webhook_secret: Secret,
    /// Where this platform's handovers go.
    pub bridge: BridgeKind,
    /// An event not delivered by then is marked undelivered; 1m ..= 30d, default 24h.
    pub give_up_after: Duration,
    /// First retry delay of webhook delivery; 10ms ..= 1h, default 1s.
    pub retry_initial: Duration,
    /// Cap of the exponential backoff; >= retry_initial, default 5m.
    pub retry_max: Duration,
    /// Per webhook request; 100ms ..= 5m, default 10s.
    pub timeout: Duration,
}

/// The chat bridge a platform's handovers go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BridgeKind {
    Slack,
    Discord,
}

impl BridgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BridgeKind::Slack => "slack",
            BridgeKind::Discord => "discord",
        }
    }

    /// "Slack" / "Discord", for sentences.
    pub fn title(self) -> &'static str {
        match self {
            BridgeKind::Slack => "Slack",
            BridgeKind::Discord => "Discord",
        }
    }
}

impl fmt::Display for BridgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const ID_RULE: &str = "1 to 32 characters of a-z, 0-9, _ and -, such as \"web\"";
const MIN_SECRET: usize = 16;

/// Validates every entry, then the rules across entries (unique ids and tokens).
pub(crate) fn validate_all(raws: &[RawPlatform], e: &mut Errors) -> Vec<PlatformConfig> {
    if raws.is_empty() {
        e.push(
            "platforms",
            "at least one [[platforms]] entry is required (id, token, webhook_url, webhook_secret, bridge)",
        );
    }
    let platforms: Vec<PlatformConfig> = raws
        .iter()
        .enumerate()
        .map(|(i, raw)| validate(i, raw, e))
        .collect();
    for (i, p) in platforms.iter().enumerate() {
        let earlier = &platforms[..i];
        if !p.id.is_empty()
            && let Some(j) = earlier.iter().position(|q| q.id == p.id)
        {
            e.push(
                format!("platforms[{i}].id"),
                format!(
                    "{} is already the id of platforms[{j}]; ids must be unique",
                    quote(&p.id)
                ),
            );
        }
        if !p.token.is_empty()
            && let Some(j) = earlier
                .iter()
                .position(|q| q.token.expose() == p.token.expose())
        {
            e.push(
                format!("platforms[{i}].token"),
                format!("same token as platforms[{j}]; each platform needs its own token"),
            );
        }
    }
    platforms
}

fn validate(i: usize, raw: &RawPlatform, e: &mut Errors) -> PlatformConfig {
    let key = |name: &str| format!("platforms[{i}].{name}");

    let id = raw.id.clone().unwrap_or_default();
    match &raw.id {
        None => e.push(key("id"), format!("required; expected {ID_RULE}")),
        Some(id) if !valid_id(id) => {
            e.push(key("id"), format!("expected {ID_RULE}, got {}", quote(id)));
        }
        Some(_) => {}
    }

    let token = secret(
        e,
        &key("token"),
        raw.token.as_ref(),
        "the bearer token this platform calls the API with",
    );
    let webhook_secret = secret(
        e,
        &key("webhook_secret"),
        raw.webhook_secret.as_ref(),
        "the secret that signs events sent to webhook_url",
    );

    let webhook_url = match &raw.webhook_url {
        None => {
            e.push(
                key("webhook_url"),
                "required; expected the http:// or https:// URL that receives handover events",
            );
            String::new()
        }
        Some(url) => validate::http_url(url).unwrap_or_else(|message| {
            e.push(key("webhook_url"), message);
            url.clone()
        }),
    };

    let bridge = match raw.bridge.as_deref() {
        Some("slack") => BridgeKind::Slack,
        Some("discord") => BridgeKind::Discord,
        None => {
            e.push(key("bridge"), "required; expected \"slack\" or \"discord\"");
            BridgeKind::Slack
        }
        Some(other) => {
            e.push(
                key("bridge"),
                format!("expected \"slack\" or \"discord\", got {}", quote(other)),
            );
            BridgeKind::Slack
        }
    };

    let ms = Duration::from_millis;
    let s = Duration::from_secs;
    let give_up_after = validate::duration(
        e,
        &key("give_up_after"),
        &raw.give_up_after,
        s(60),
        Some(s(30 * 86_400)),
        s(86_400),
    );
    let retry_initial = validate::duration(
        e,
        &key("retry_initial"),
        &raw.retry_initial,
        ms(10),
        Some(s(3600)),
        s(1),
    );
    let retry_max = validate::duration(e, &key("retry_max"), &raw.retry_max, ms(10), None, s(300));
    if retry_max < retry_initial {
        e.push(
            key("retry_max"),
            format!(
                "must be at least retry_initial ({}), got {}",
                fmt_duration(retry_initial),
                quote(&raw.retry_max)
            ),
        );
    }
    let timeout = validate::duration(
        e,
        &key("timeout"),
        &raw.timeout,
        ms(100),
        Some(s(300)),
        s(10),
    );

    PlatformConfig {
        id,
        token,
        webhook_url,
        webhook_secret,
        bridge,
        give_up_after,
        retry_initial,
        retry_max,
        timeout,
    }
}

fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A required secret of at least 16 characters; messages never contain its value.
fn secret(e: &mut Errors, key: &str, raw: Option<&Secret>, what: &str) -> Secret {
    match raw {
        None => e.push(
            key,
            format!("required; expected {what}, at least {MIN_SECRET} characters"),
        ),
        Some(s) if s.expose().chars().count() < MIN_SECRET => e.push(
            key,
            format!(
                "too short; expected at least {MIN_SECRET} characters (the value is not shown)"
            ),
        ),
        Some(s) if s.expose().trim() != s.expose() => e.push(
            key,
            "starts or ends with whitespace, probably by mistake (the value is not shown)",
        ),
        Some(_) => {}
    }
    raw.cloned().unwrap_or_default()
}
