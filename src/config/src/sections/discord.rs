//! Owns `[discord]`: the Discord bridge's bot, guild, handover mode (channels or private
//! threads) with their parents, members, admins, digest channel and API base URL.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::raw::RawDiscord;
use crate::secret::Secret;
use crate::validate::{self, Errors, quote};

/// `[discord]`. When `enabled = false` the other keys are only type-checked.
#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// Default false.
    pub enabled: bool,
    /// Required when enabled.
    pub bot_token: Secret,
    /// Snowflake; required when enabled.
    pub application_id: String,
    /// Snowflake; required when enabled.
    pub guild_id: String,
    /// Default `channel`.
    pub mode: DiscordMode,
    /// Category of handover channels; required in channel mode.
    pub category_id: String,
    /// Category ended handover channels move to, or empty.
    pub archive_category_id: String,
    /// Channel that holds the private threads; required in private_thread mode.
    pub parent_channel_id: String,
    /// Selected members: user ids ("123…") or role ids ("role:456…").
    pub members: Vec<String>,
    /// Admins' user ids.
    pub admins: Vec<String>,
    /// Channel id for the weekly digest, or empty for none.
    pub digest_channel_id: String,
    /// REST base URL without trailing slash; default "https://discord.com".
    pub api_url: String,
}

/// Where a handover lives on Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscordMode {
    /// A private text channel per handover (default).
    Channel,
    /// A private thread per handover in one parent channel.
    PrivateThread,
}

impl DiscordMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscordMode::Channel => "channel",
            DiscordMode::PrivateThread => "private_thread",
        }
    }
}

impl fmt::Display for DiscordMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const SNOWFLAKE: &str = "a Discord id (17 to 20 digits)";

pub(crate) fn validate(raw: &RawDiscord, e: &mut Errors) -> DiscordConfig {
    let mode = match raw.mode.as_str() {
        "channel" => DiscordMode::Channel,
        "private_thread" => DiscordMode::PrivateThread,
        other => {
            e.push(
                "discord.mode",
                format!(
                    "expected \"channel\" or \"private_thread\", got {}",
                    quote(other)
                ),
            );
            DiscordMode::Channel
        }
    };
    let config = DiscordConfig {
        enabled: raw.enabled,
        bot_token: raw.bot_token.clone(),
        application_id: raw.application_id.clone(),
        guild_id: raw.guild_id.clone(),
        mode,
        category_id: raw.category_id.clone(),
        archive_category_id: raw.archive_category_id.clone(),
        parent_channel_id: raw.parent_channel_id.clone(),
        members: raw.members.clone(),
        admins: raw.admins.clone(),
        digest_channel_id: raw.digest_channel_id.clone(),
        api_url: validate::trim_trailing_slash(&raw.api_url),
    };
    if !raw.enabled {
        return config;
    }

    let token = raw.bot_token.expose();
    if token.is_empty() {
        e.push(
            "discord.bot_token",
            "required when [discord] enabled = true; expected the bot token",
        );
    } else if token.starts_with("Bot ") {
        e.push(
            "discord.bot_token",
            "expected the bare bot token, without the \"Bot \" prefix (the value is not shown)",
        );
    } else if token.chars().any(char::is_whitespace) {
        e.push(
            "discord.bot_token",
            "expected a bot token without whitespace (the value is not shown)",
        );
    }

    required_id(
        e,
        "discord.application_id",
        &raw.application_id,
        "when [discord] enabled = true",
    );
    required_id(
        e,
        "discord.guild_id",
        &raw.guild_id,
        "when [discord] enabled = true",
    );
    match mode {
        DiscordMode::Channel => {
            required_id(
                e,
                "discord.category_id",
                &raw.category_id,
                "in mode = \"channel\"",
            );
        }
        DiscordMode::PrivateThread => required_id(
            e,
            "discord.parent_channel_id",
            &raw.parent_channel_id,
            "in mode = \"private_thread\"",
        ),
    }
    optional_id(e, "discord.archive_category_id", &raw.archive_category_id);
    optional_id(e, "discord.digest_channel_id", &raw.digest_channel_id);
    if mode == DiscordMode::Channel {
        optional_id(e, "discord.parent_channel_id", &raw.parent_channel_id);
    } else {
        optional_id(e, "discord.category_id", &raw.category_id);
    }

    for (i, member) in raw.members.iter().enumerate() {
        let ok = validate::snowflake(member.strip_prefix("role:").unwrap_or(member));
        if !ok {
            e.push(
                format!("discord.members[{i}]"),
                format!("expected a user id (17 to 20 digits) or \"role:\" followed by a role id, got {}", quote(member)),
            );
        }
    }
    for (i, admin) in raw.admins.iter().enumerate() {
        if !validate::snowflake(admin) {
            e.push(
                format!("discord.admins[{i}]"),
                format!("expected a user id (17 to 20 digits), got {}", quote(admin)),
            );
        }
    }
    if let Err(message) = validate::http_url(&raw.api_url) {
        e.push("discord.api_url", message);
    }
    config
}

fn required_id(e: &mut Errors, key: &str, value: &str, when: &str) {
    if value.is_empty() {
        e.push(key, format!("required {when}; expected {SNOWFLAKE}"));
    } else if !validate::snowflake(value) {
        e.push(key, format!("expected {SNOWFLAKE}, got {}", quote(value)));
    }
}

fn optional_id(e: &mut Errors, key: &str, value: &str) {
    if !value.is_empty() && !validate::snowflake(value) {
        e.push(
            key,
            format!("expected \"\" or {SNOWFLAKE}, got {}", quote(value)),
        );
    }
}
