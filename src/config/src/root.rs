//! Owns the top-level typed `Config`: assembling it from the raw sections and the
//! non-fatal remarks about it (`warnings`).

use std::path::PathBuf;

use crate::raw::RawConfig;
use crate::sections::digest::{self, DigestConfig};
use crate::sections::discord::{self, DiscordConfig};
use crate::sections::handover::{self, HandoverConfig};
use crate::sections::log::{self, LogConfig};
use crate::sections::platform::{self, BridgeKind, PlatformConfig};
use crate::sections::server::{self, ServerConfig};
use crate::sections::slack::{self, SlackConfig};
use crate::validate::Errors;

/// The validated configuration of Handover Bridge.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the sled store lives; default "./data".
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    /// At least one.
    pub platforms: Vec<PlatformConfig>,
    pub handover: HandoverConfig,
    pub slack: SlackConfig,
    pub discord: DiscordConfig,
    pub digest: DigestConfig,
    pub log: LogConfig,
}

impl Config {
    /// Validates every section, reporting all problems to `e`.
    pub(crate) fn from_raw(raw: &RawConfig, e: &mut Errors) -> Config {
        if raw.data_dir.trim().is_empty() {
            e.push(
                "data_dir",
                "expected a directory path such as \"./data\", got \"\"",
            );
        }
        Config {
            data_dir: PathBuf::from(&raw.data_dir),
            server: server::validate(&raw.server, e),
            platforms: platform::validate_all(&raw.platforms, e),
            handover: handover::validate(&raw.handover, e),
            slack: slack::validate(&raw.slack, e),
            discord: discord::validate(&raw.discord, e),
            digest: digest::validate(&raw.digest, e),
            log: log::validate(&raw.log, e),
        }
    }

    /// The platform with this id.
    pub fn platform(&self, id: &str) -> Option<&PlatformConfig> {
        self.platforms.iter().find(|p| p.id == id)
    }

    /// Whether the section of this bridge has `enabled = true`.
    pub fn bridge_enabled(&self, bridge: BridgeKind) -> bool {
        match bridge {
            BridgeKind::Slack => self.slack.enabled,
            BridgeKind::Discord => self.discord.enabled,
        }
    }

    /// Non-fatal remarks about a valid configuration, one sentence each, for
    /// `check-config` and the start-up log.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.platforms.iter().enumerate() {
            if !self.bridge_enabled(p.bridge) {
                out.push(format!(
                    "platforms[{i}].bridge = \"{}\" but [{}] enabled = false: its handovers wait in the outbox until the {} bridge is enabled",
                    p.bridge,
                    p.bridge,
                    p.bridge.title()
                ));
            }
        }
        if self.slack.enabled
            && !self.slack.app_token.is_empty()
            && !self.slack.signing_secret.is_empty()
        {
            out.push(
                "slack.app_token and slack.signing_secret are both set: Socket Mode is used and signing_secret is ignored".to_owned(),
            );
        }
        let bridges = [
            (
                "slack",
                self.slack.enabled,
                &self.slack.members,
                &self.slack.admins,
            ),
            (
                "discord",
                self.discord.enabled,
                &self.discord.members,
                &self.discord.admins,
            ),
        ];
        for (name, enabled, members, admins) in bridges {
            if !enabled || !members.is_empty() {
                continue;
            }
            if admins.is_empty() {
                out.push(format!(
                    "{name}.members and {name}.admins are empty: nobody can take handovers or add members on {name} (unless members were added at runtime before)"
                ));
            } else {
                out.push(format!(
                    "{name}.members is empty: nobody can take handovers on {name} until an admin runs /handover members add"
                ));
            }
        }
        let slack_digest = self.slack.enabled && !self.slack.digest_channel.is_empty();
        let discord_digest = self.discord.enabled && !self.discord.digest_channel_id.is_empty();
        if self.digest.enabled
            && (self.slack.enabled || self.discord.enabled)
            && !slack_digest
            && !discord_digest
        {
            out.push(
                "digest.enabled = true but no enabled bridge has a digest channel (slack.digest_channel, discord.digest_channel_id): the weekly digest is not posted".to_owned(),
            );
        }
        out
    }
}
