//! Owns `[slack]`: the Slack bridge's tokens (Socket Mode or Events API), handover
//! channels, members, admins, digest channel and API base URL.

use crate::raw::RawSlack;
use crate::secret::Secret;
use crate::validate::{self, Errors, quote};

/// `[slack]`. When `enabled = false` the other keys are only type-checked.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// Default false.
    pub enabled: bool,
    /// "xoxb-…"; required when enabled.
    pub bot_token: Secret,
    /// "xapp-…" for Socket Mode, or empty.
    pub app_token: Secret,
    /// For the Events API over HTTP (used when app_token is empty), or empty.
    pub signing_secret: Secret,
    /// Private handover channel ids (C… or G…); at least one when enabled.
    pub channels: Vec<String>,
    /// Selected members' user ids (U… or W…); a seed for the runtime state.
    pub members: Vec<String>,
    /// Admins' user ids.
    pub admins: Vec<String>,
    /// Invite selected members to the handover channels and remove others. Default false.
    pub manage_membership: bool,
    /// Channel id for the weekly digest, or empty for none.
    pub digest_channel: String,
    /// Web API base URL without trailing slash; default "https://slack.com/api".
    pub api_url: String,
}

impl SlackConfig {
    /// Socket Mode is used whenever an app token is set; otherwise the Events API over HTTP.
    pub fn socket_mode(&self) -> bool {
        !self.app_token.is_empty()
    }
}

const CHANNEL_RULE: &str =
    "a Slack channel id such as \"C0123456789\" (C or G followed by uppercase letters and digits)";
const USER_RULE: &str =
    "a Slack user id such as \"U0123456789\" (U or W followed by uppercase letters and digits)";

pub(crate) fn validate(raw: &RawSlack, e: &mut Errors) -> SlackConfig {
    let config = SlackConfig {
        enabled: raw.enabled,
        bot_token: raw.bot_token.clone(),
        app_token: raw.app_token.clone(),
        signing_secret: raw.signing_secret.clone(),
        channels: raw.channels.clone(),
        members: raw.members.clone(),
        admins: raw.admins.clone(),
        manage_membership: raw.manage_membership,
        digest_channel: raw.digest_channel.clone(),
        api_url: validate::trim_trailing_slash(&raw.api_url),
    };
    if !raw.enabled {
        return config;
    }

    let bot = raw.bot_token.expose();
    if bot.is_empty() {
        e.push(
            "slack.bot_token",
            "required when [slack] enabled = true; expected the bot token starting with \"xoxb-\"",
        );
    } else if !bot.starts_with("xoxb-") {
        e.push(
            "slack.bot_token",
            "expected a bot token starting with \"xoxb-\" (the value is not shown)",
        );
    }
    let app = raw.app_token.expose();
    if !app.is_empty() && !app.starts_with("xapp-") {
        e.push(
            "slack.app_token",
            "expected an app-level token starting with \"xapp-\" for Socket Mode, or \"\" to use signing_secret (the value is not shown)",
        );
    }
    if app.is_empty() && raw.signing_secret.is_empty() {
        e.push(
            "slack.app_token",
            "required when [slack] enabled = true unless slack.signing_secret is set: set app_token (\"xapp-…\", Socket Mode) or signing_secret (Events API over HTTP)",
        );
    }

    if raw.channels.is_empty() {
        e.push(
            "slack.channels",
            format!("at least one channel is required when [slack] enabled = true; expected {CHANNEL_RULE}"),
        );
    }
    ids(
        e,
        "slack.channels",
        &raw.channels,
        &['C', 'G'],
        CHANNEL_RULE,
    );
    ids(e, "slack.members", &raw.members, &['U', 'W'], USER_RULE);
    ids(e, "slack.admins", &raw.admins, &['U', 'W'], USER_RULE);
    if !raw.digest_channel.is_empty() && !validate::slack_id(&raw.digest_channel, &['C', 'G']) {
        e.push(
            "slack.digest_channel",
            format!(
                "expected \"\" or {CHANNEL_RULE}, got {}",
                quote(&raw.digest_channel)
            ),
        );
    }
    if let Err(message) = validate::http_url(&raw.api_url) {
        e.push("slack.api_url", message);
    }
    config
}

fn ids(e: &mut Errors, key: &str, list: &[String], first: &[char], rule: &str) {
    for (i, id) in list.iter().enumerate() {
        if !validate::slack_id(id, first) {
            e.push(
                format!("{key}[{i}]"),
                format!("expected {rule}, got {}", quote(id)),
            );
        }
    }
}
