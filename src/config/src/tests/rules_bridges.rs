//! Tests of the [slack] and [discord] rules (checked only when enabled) and of the
//! warnings.

use super::{MINIMAL, errs, message, ok, rejects, with};
use crate::DiscordMode;

const SLACK: &str = "[slack]\nenabled = true\nbot_token = \"xoxb-1-2-abc\"\napp_token = \"xapp-1-abc\"\nchannels = [\"C0123456789\"]\nmembers = [\"U0123456789\"]\ndigest_channel = \"C0123456789\"\n";

const DISCORD: &str = "[discord]\nenabled = true\nbot_token = \"abc.def.ghi\"\napplication_id = \"100000000000000001\"\nguild_id = \"100000000000000002\"\ncategory_id = \"100000000000000003\"\nmembers = [\"100000000000000005\"]\n";

#[test]
fn an_enabled_slack_section_is_accepted() {
    let c = ok(&with(SLACK), &[]);
    assert!(c.slack.enabled && c.slack.socket_mode());
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[test]
fn slack_rules() {
    let errors = errs(&with("[slack]\nenabled = true\n"), &[]);
    assert!(
        message(&errors, "slack.bot_token").starts_with("required when [slack] enabled = true")
    );
    assert!(
        message(&errors, "slack.app_token")
            .contains("set app_token (\"xapp-…\", Socket Mode) or signing_secret")
    );
    assert!(message(&errors, "slack.channels").starts_with("at least one channel is required"));
    assert_eq!(errors.len(), 3, "{errors}");

    let swap = |from: &str, to: &str, key: &str, needle: &str| {
        rejects(&SLACK.replace(from, to), key, needle);
    };
    swap(
        "xoxb-1-2-abc",
        "xoxp-1-2-abc",
        "slack.bot_token",
        "starting with \"xoxb-\"",
    );
    swap(
        "xapp-1-abc",
        "xoxb-1-abc",
        "slack.app_token",
        "starting with \"xapp-\"",
    );
    swap(
        "[\"C0123456789\"]",
        "[\"general\"]",
        "slack.channels[0]",
        "expected a Slack channel id such as \"C0123456789\"",
    );
    swap(
        "[\"U0123456789\"]",
        "[\"U1\", \"u2\"]",
        "slack.members[1]",
        "expected a Slack user id",
    );
    swap(
        "digest_channel = \"C0123456789\"",
        "digest_channel = \"#digest\"",
        "slack.digest_channel",
        "expected \"\" or a Slack channel id",
    );
    rejects(
        &format!("{SLACK}admins = [\"X1\"]\n"),
        "slack.admins[0]",
        "expected a Slack user id",
    );
    rejects(
        &format!("{SLACK}api_url = \"slack.com/api\"\n"),
        "slack.api_url",
        "http:// or https://",
    );
}

#[test]
fn slack_http_mode_and_both_tokens() {
    let http = SLACK.replace("app_token = \"xapp-1-abc\"", "signing_secret = \"abc123\"");
    let c = ok(&with(&http), &[]);
    assert!(!c.slack.socket_mode());

    let both = format!("{SLACK}signing_secret = \"abc123\"\n");
    let c = ok(&with(&both), &[]);
    assert!(c.slack.socket_mode());
    assert_eq!(
        c.warnings(),
        [
            "slack.app_token and slack.signing_secret are both set: Socket Mode is used and signing_secret is ignored"
        ]
    );
}

#[test]
fn a_disabled_bridge_is_only_type_checked() {
    let c = ok(
        &with(
            "[slack]\nbot_token = \"nope\"\nchannels = [\"general\"]\napi_url = \"nope\"\n[discord]\napplication_id = \"x\"\nmembers = [\"bob\"]\n",
        ),
        &[],
    );
    assert_eq!(c.slack.channels, ["general"]);
    assert_eq!(c.discord.members, ["bob"]);
}

#[test]
fn an_enabled_discord_section_is_accepted() {
    let toml = MINIMAL.replace("bridge = \"slack\"", "bridge = \"discord\"");
    let c = ok(
        &format!("{toml}\n{DISCORD}digest_channel_id = \"100000000000000009\"\n"),
        &[],
    );
    assert!(c.discord.enabled);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[test]
fn discord_rules() {
    let errors = errs(&with("[discord]\nenabled = true\n"), &[]);
    assert!(
        message(&errors, "discord.bot_token").starts_with("required when [discord] enabled = true")
    );
    assert!(message(&errors, "discord.application_id").starts_with(
        "required when [discord] enabled = true; expected a Discord id (17 to 20 digits)"
    ));
    assert!(message(&errors, "discord.guild_id").starts_with("required"));
    assert!(message(&errors, "discord.category_id").starts_with("required in mode = \"channel\""));
    assert_eq!(errors.len(), 4, "{errors}");

    let swap = |from: &str, to: &str, key: &str, needle: &str| {
        rejects(&DISCORD.replace(from, to), key, needle);
    };
    swap(
        "\"abc.def.ghi\"",
        "\"Bot abc.def.ghi\"",
        "discord.bot_token",
        "without the \"Bot \" prefix",
    );
    swap(
        "\"100000000000000001\"",
        "\"12345\"",
        "discord.application_id",
        "expected a Discord id (17 to 20 digits), got \"12345\"",
    );
    swap(
        "[\"100000000000000005\"]",
        "[\"role:1\"]",
        "discord.members[0]",
        "\"role:\" followed by a role id",
    );
    rejects(
        &format!("{DISCORD}admins = [\"role:100000000000000005\"]\n"),
        "discord.admins[0]",
        "expected a user id",
    );
    rejects(
        &format!("{DISCORD}archive_category_id = \"archive\"\n"),
        "discord.archive_category_id",
        "expected \"\" or a Discord id",
    );
    rejects(
        &format!("{DISCORD}digest_channel_id = \"x\"\n"),
        "discord.digest_channel_id",
        "expected \"\" or a Discord id",
    );
    rejects(
        &format!("{DISCORD}mode = \"forum\"\n"),
        "discord.mode",
        "expected \"channel\" or \"private_thread\", got \"forum\"",
    );
    rejects(
        &format!("{DISCORD}api_url = \"ws://x\"\n"),
        "discord.api_url",
        "http:// or https://",
    );
    rejects(
        &format!("{DISCORD}mode = \"private_thread\"\n"),
        "discord.parent_channel_id",
        "required in mode = \"private_thread\"",
    );

    let thread =
        format!("{DISCORD}mode = \"private_thread\"\nparent_channel_id = \"100000000000000007\"\n");
    assert_eq!(
        ok(&with(&thread), &[]).discord.mode,
        DiscordMode::PrivateThread
    );
}

#[test]
fn warnings_explain_what_will_not_happen() {
    // The platform goes to Slack, which is disabled.
    let c = ok(MINIMAL, &[]);
    assert_eq!(
        c.warnings(),
        [
            "platforms[0].bridge = \"slack\" but [slack] enabled = false: its handovers wait in the outbox until the Slack bridge is enabled"
        ]
    );
    // Slack enabled without members, admins or digest channel.
    let bare = SLACK
        .replace("members = [\"U0123456789\"]\n", "")
        .replace("digest_channel = \"C0123456789\"\n", "");
    let warnings = ok(&with(&bare), &[]).warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("slack.members and slack.admins are empty"));
    assert!(
        warnings[1].starts_with("digest.enabled = true but no enabled bridge has a digest channel")
    );
    let with_admin = format!("{bare}admins = [\"U0123456789\"]\n");
    let warnings = ok(&with(&with_admin), &[]).warnings();
    assert!(
        warnings[0].starts_with("slack.members is empty"),
        "{warnings:?}"
    );
}
