//! Owns the raw, serde-facing shape of the config: every key as written, defaults from
//! the spec filled in, nothing validated yet. Unknown keys are refused.

use serde::Deserialize;

use crate::secret::Secret;

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub data_dir: String,
    pub server: RawServer,
    pub platforms: Vec<RawPlatform>,
    pub handover: RawHandover,
    pub slack: RawSlack,
    pub discord: RawDiscord,
    pub digest: RawDigest,
    pub log: RawLog,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            data_dir: "./data".into(),
            server: RawServer::default(),
            platforms: Vec::new(),
            handover: RawHandover::default(),
            slack: RawSlack::default(),
            discord: RawDiscord::default(),
            digest: RawDigest::default(),
            log: RawLog::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawServer {
    pub listen: String,
    pub max_body_bytes: i64,
    pub rate_limit_per_second: i64,
    pub rate_limit_burst: i64,
    pub shutdown_grace: String,
    pub dedupe_ttl: String,
    pub public_url: String,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 1_048_576,
            rate_limit_per_second: 1000,
            rate_limit_burst: 2000,
            shutdown_grace: "10s".into(),
            dedupe_ttl: "7d".into(),
            public_url: String::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawPlatform {
    pub id: Option<String>,
    pub token: Option<Secret>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<Secret>,
    pub bridge: Option<String>,
    pub give_up_after: String,
    pub retry_initial: String,
    pub retry_max: String,
    pub timeout: String,
}

impl Default for RawPlatform {
    fn default() -> Self {
        Self {
            id: None,
            token: None,
            webhook_url: None,
            webhook_secret: None,
            bridge: None,
            give_up_after: "24h".into(),
            retry_initial: "1s".into(),
            retry_max: "5m".into(),
            timeout: "10s".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawHandover {
    pub enabled: bool,
    pub mute_ai: String,
    pub return_to_ai: bool,
    pub take_over_on_reply: bool,
    pub remind_after: String,
    pub remind_every: String,
    pub note_prefix: String,
}

impl Default for RawHandover {
    fn default() -> Self {
        Self {
            enabled: true,
            mute_ai: "on_take_over".into(),
            return_to_ai: true,
            take_over_on_reply: true,
            remind_after: "5m".into(),
            remind_every: "15m".into(),
            note_prefix: "//".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawSlack {
    pub enabled: bool,
    pub bot_token: Secret,
    pub app_token: Secret,
    pub signing_secret: Secret,
    pub channels: Vec<String>,
    pub members: Vec<String>,
    pub admins: Vec<String>,
    pub manage_membership: bool,
    pub digest_channel: String,
    pub api_url: String,
}

impl Default for RawSlack {
    fn default() -> Self {
        Self {
            enabled: false,
            bot_token: Secret::default(),
            app_token: Secret::default(),
            signing_secret: Secret::default(),
            channels: Vec::new(),
            members: Vec::new(),
            admins: Vec::new(),
            manage_membership: false,
            digest_channel: String::new(),
            api_url: "https://slack.com/api".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawDiscord {
    pub enabled: bool,
    pub bot_token: Secret,
    pub application_id: String,
    pub guild_id: String,
    pub mode: String,
    pub category_id: String,
    pub archive_category_id: String,
    pub parent_channel_id: String,
    pub members: Vec<String>,
    pub admins: Vec<String>,
    pub digest_channel_id: String,
    pub api_url: String,
}

impl Default for RawDiscord {
    fn default() -> Self {
        Self {
            enabled: false,
            bot_token: Secret::default(),
            application_id: String::new(),
            guild_id: String::new(),
            mode: "channel".into(),
            category_id: String::new(),
            archive_category_id: String::new(),
            parent_channel_id: String::new(),
            members: Vec::new(),
            admins: Vec::new(),
            digest_channel_id: String::new(),
            api_url: "https://discord.com".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawDigest {
    pub enabled: bool,
    pub schedule: String,
    pub timezone: String,
}

impl Default for RawDigest {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "MON 09:00".into(),
            timezone: "UTC".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawLog {
    pub format: String,
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            level: "info".into(),
        }
    }
}
