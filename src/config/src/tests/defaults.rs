//! Tests that the spec's defaults are applied and that files load from disk.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{MINIMAL, ok, vars};
use crate::{BridgeKind, DiscordMode, LogFormat, MuteAi, Schedule, Weekday, load};

#[test]
fn defaults_are_applied() {
    let c = ok(MINIMAL, &[]);
    assert_eq!(c.data_dir, Path::new("./data"));
    assert_eq!(
        c.server.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.server.max_body_bytes, 1_048_576);
    assert_eq!(c.server.rate_limit_per_second, 1000);
    assert_eq!(c.server.rate_limit_burst, 2000);
    assert_eq!(c.server.shutdown_grace, Duration::from_secs(10));
    assert_eq!(c.server.dedupe_ttl, Duration::from_secs(7 * 86_400));

    let p = &c.platforms[0];
    assert_eq!(p.id, "web");
    assert_eq!(p.bridge, BridgeKind::Slack);
    assert_eq!(p.give_up_after, Duration::from_secs(86_400));
    assert_eq!(p.retry_initial, Duration::from_secs(1));
    assert_eq!(p.retry_max, Duration::from_secs(300));
    assert_eq!(p.timeout, Duration::from_secs(10));

    let h = &c.handover;
    assert!(h.enabled && h.return_to_ai && h.take_over_on_reply);
    assert_eq!(h.mute_ai, MuteAi::OnTakeOver);
    assert_eq!(h.remind_after, Duration::from_secs(300));
    assert_eq!(h.remind_every, Duration::from_secs(900));
    assert_eq!(h.note_prefix, "//");

    assert!(!c.slack.enabled && !c.slack.manage_membership);
    assert!(c.slack.bot_token.is_empty() && c.slack.app_token.is_empty());
    assert!(c.slack.channels.is_empty());
    assert_eq!(c.slack.api_url, "https://slack.com/api");

    assert!(!c.discord.enabled);
    assert_eq!(c.discord.mode, DiscordMode::Channel);
    assert_eq!(c.discord.api_url, "https://discord.com");

    assert!(c.digest.enabled);
    assert_eq!(
        c.digest.schedule,
        Schedule {
            weekday: Weekday::Mon,
            hour: 9,
            minute: 0
        }
    );
    assert_eq!(c.digest.timezone, "UTC");
    assert_eq!(c.log.format, LogFormat::Pretty);
    assert_eq!(c.log.level, "info");
}

#[test]
fn explicit_values_replace_defaults() {
    let c = ok(
        &format!(
            "data_dir = \"/var/lib/hb\"\n{MINIMAL}\ngive_up_after = \"1h30m\"\nretry_initial = \"250ms\"\n\
             [server]\nlisten = \"[::]:9000\"\nrate_limit_per_second = 0\nrate_limit_burst = 0\n\
             [handover]\nmute_ai = \"on_request\"\nnote_prefix = \"#note\"\n\
             [digest]\nschedule = \"friday 17:30\"\ntimezone = \"America/Argentina/Buenos_Aires\"\n\
             [log]\nformat = \"json\"\nlevel = \"WARN\"\n"
        ),
        &[],
    );
    assert_eq!(c.data_dir, Path::new("/var/lib/hb"));
    assert_eq!(c.server.listen.port(), 9000);
    assert_eq!(c.server.rate_limit_per_second, 0);
    assert_eq!(
        c.server.rate_limit_burst, 0,
        "burst may be 0 when the limit is off"
    );
    assert_eq!(c.platforms[0].give_up_after, Duration::from_secs(5400));
    assert_eq!(c.platforms[0].retry_initial, Duration::from_millis(250));
    assert_eq!(c.handover.mute_ai, MuteAi::OnRequest);
    assert_eq!(c.digest.schedule.to_string(), "FRI 17:30");
    assert_eq!(c.log.format, LogFormat::Json);
    assert_eq!(c.log.level, "warn");
}

#[test]
fn loads_a_file_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hb.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    let c = load(Some(&path), vars(&[("HANDOVER__LOG__LEVEL", "debug")])).unwrap();
    assert_eq!(c.platforms[0].id, "web");
    assert_eq!(c.log.level, "debug");
}

#[test]
fn a_missing_file_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let errors = load(Some(&path), vars(&[])).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors.errors()[0].key, path.display().to_string());
    assert!(errors.to_string().contains("cannot read the config file"));
}

#[test]
fn no_file_means_defaults_and_environment_only() {
    let c = load(
        None,
        vars(&[
            ("HANDOVER__PLATFORMS__0__ID", "env-only"),
            ("HANDOVER__PLATFORMS__0__TOKEN", "0123456789abcdef-token"),
            (
                "HANDOVER__PLATFORMS__0__WEBHOOK_URL",
                "http://127.0.0.1:9/hook",
            ),
            (
                "HANDOVER__PLATFORMS__0__WEBHOOK_SECRET",
                "0123456789abcdef-secret",
            ),
            ("HANDOVER__PLATFORMS__0__BRIDGE", "discord"),
        ]),
    )
    .unwrap();
    assert_eq!(c.platforms.len(), 1);
    assert_eq!(c.platforms[0].id, "env-only");
    assert_eq!(c.platforms[0].bridge, BridgeKind::Discord);
    assert_eq!(c.server.max_body_bytes, 1_048_576);
}

#[test]
fn no_file_and_no_environment_asks_for_a_platform() {
    let errors = load(None, vars(&[])).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors
            .to_string()
            .starts_with("platforms: at least one [[platforms]] entry is required")
    );
}

#[test]
fn trailing_slashes_are_removed_from_api_urls() {
    let c = ok(
        &format!(
            "{MINIMAL}\n[slack]\napi_url = \"http://127.0.0.1:3000/api/\"\n[discord]\napi_url = \"http://127.0.0.1:3001//\"\n"
        ),
        &[],
    );
    assert_eq!(c.slack.api_url, "http://127.0.0.1:3000/api");
    assert_eq!(c.discord.api_url, "http://127.0.0.1:3001");
}
