//! Tests of `HANDOVER__…` environment overrides: paths, typing, lists, platform entries.

use std::path::Path;
use std::time::Duration;

use super::{MINIMAL, errs, message, ok, with};

#[test]
fn top_level_and_section_keys_are_overridden() {
    let c = ok(
        MINIMAL,
        &[
            ("HANDOVER__DATA_DIR", "/var/lib/x"),
            ("HANDOVER__SERVER__LISTEN", "127.0.0.1:9000"),
            ("HANDOVER__HANDOVER__REMIND_AFTER", "1h30m"),
            ("HANDOVER__DIGEST__SCHEDULE", "sun 23:59"),
        ],
    );
    assert_eq!(c.data_dir, Path::new("/var/lib/x"));
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(c.handover.remind_after, Duration::from_secs(5400));
    assert_eq!(c.digest.schedule.to_string(), "SUN 23:59");
}

#[test]
fn environment_wins_over_the_file() {
    let c = ok(
        &with("[server]\nlisten = \"127.0.0.1:1111\"\n"),
        &[("HANDOVER__SERVER__LISTEN", "127.0.0.1:2222")],
    );
    assert_eq!(c.server.listen.port(), 2222);
}

#[test]
fn booleans_and_numbers_are_parsed() {
    let c = ok(
        MINIMAL,
        &[
            ("HANDOVER__HANDOVER__ENABLED", "false"),
            ("HANDOVER__HANDOVER__RETURN_TO_AI", "0"),
            ("HANDOVER__SLACK__MANAGE_MEMBERSHIP", "TRUE"),
            ("HANDOVER__DIGEST__ENABLED", "off"),
            ("HANDOVER__SERVER__MAX_BODY_BYTES", "2048"),
            ("HANDOVER__SERVER__RATE_LIMIT_PER_SECOND", "5"),
            ("HANDOVER__SERVER__RATE_LIMIT_BURST", "10"),
        ],
    );
    assert!(!c.handover.enabled);
    assert!(!c.handover.return_to_ai);
    assert!(c.slack.manage_membership);
    assert!(!c.digest.enabled);
    assert_eq!(c.server.max_body_bytes, 2048);
    assert_eq!(c.server.rate_limit_per_second, 5);
    assert_eq!(c.server.rate_limit_burst, 10);
}

#[test]
fn a_bad_boolean_or_number_names_the_key_and_the_variable() {
    let errors = errs(
        MINIMAL,
        &[
            ("HANDOVER__HANDOVER__ENABLED", "maybe"),
            ("HANDOVER__SERVER__MAX_BODY_BYTES", "1MB"),
        ],
    );
    assert_eq!(errors.len(), 2, "{errors}");
    let enabled = message(&errors, "handover.enabled");
    assert!(
        enabled.contains("expected true or false, got \"maybe\""),
        "{enabled}"
    );
    assert!(enabled.contains("HANDOVER__HANDOVER__ENABLED"), "{enabled}");
    let body = message(&errors, "server.max_body_bytes");
    assert!(
        body.contains("expected a whole number, got \"1MB\""),
        "{body}"
    );
}

#[test]
fn lists_are_comma_separated() {
    let c = ok(
        MINIMAL,
        &[
            ("HANDOVER__SLACK__CHANNELS", "C1,C2"),
            ("HANDOVER__SLACK__MEMBERS", " U1 , U2 ,"),
            ("HANDOVER__SLACK__ADMINS", ""),
            (
                "HANDOVER__DISCORD__MEMBERS",
                "100000000000000005,role:100000000000000006",
            ),
        ],
    );
    assert_eq!(c.slack.channels, ["C1", "C2"]);
    assert_eq!(c.slack.members, ["U1", "U2"]);
    assert!(c.slack.admins.is_empty());
    assert_eq!(
        c.discord.members,
        ["100000000000000005", "role:100000000000000006"]
    );
}

#[test]
fn platform_entries_are_overridden_by_index() {
    let toml = format!(
        "{MINIMAL}\n[[platforms]]\nid = \"app\"\ntoken = \"fedcba9876543210-token\"\n\
         webhook_url = \"https://app.example.com/e\"\nwebhook_secret = \"fedcba9876543210-secret\"\nbridge = \"discord\"\n"
    );
    let c = ok(
        &toml,
        &[
            (
                "HANDOVER__PLATFORMS__0__TOKEN",
                "a-token-from-the-environment",
            ),
            ("HANDOVER__PLATFORMS__0__GIVE_UP_AFTER", "2h"),
            (
                "HANDOVER__PLATFORMS__1__WEBHOOK_URL",
                "http://10.0.0.1:8000/hook",
            ),
        ],
    );
    assert_eq!(c.platforms.len(), 2);
    assert_eq!(
        c.platforms[0].token.expose(),
        "a-token-from-the-environment"
    );
    assert_eq!(c.platforms[0].id, "web", "other keys of the entry are kept");
    assert_eq!(c.platforms[0].give_up_after, Duration::from_secs(7200));
    assert_eq!(c.platforms[1].webhook_url, "http://10.0.0.1:8000/hook");
    assert_eq!(c.platforms[1].id, "app");
}

#[test]
fn a_platform_index_past_the_end_leaves_a_gap_that_is_reported() {
    let errors = errs(MINIMAL, &[("HANDOVER__PLATFORMS__2__ID", "late")]);
    let gap = message(&errors, "platforms[1]");
    assert!(gap.contains("missing entry"), "{gap}");
    // The new entry itself is reported as incomplete, key by key.
    assert!(message(&errors, "platforms[2].token").starts_with("required"));
}

#[test]
fn unrelated_variables_are_ignored() {
    ok(
        MINIMAL,
        &[
            ("PATH", "/bin"),
            ("HANDOVER_SERVER__LISTEN", "nonsense"),
            ("handover__server__listen", "nonsense"),
            ("XHANDOVER__SERVER__LISTEN", "nonsense"),
        ],
    );
}

#[test]
fn unknown_variables_are_errors_naming_the_key() {
    let errors = errs(
        MINIMAL,
        &[
            ("HANDOVER__SERVER__LISEN", "127.0.0.1:1"),
            ("HANDOVER__SERVR__LISTEN", "127.0.0.1:1"),
            ("HANDOVER__PLATFORMS__0__TOKN", "x"),
        ],
    );
    assert_eq!(errors.len(), 3, "{errors}");
    let lisen = message(&errors, "server.lisen");
    assert!(
        lisen.starts_with(
            "unknown key (did you mean \"listen\"?); expected one of listen, max_body_bytes"
        ),
        "{lisen}"
    );
    assert!(lisen.contains("HANDOVER__SERVER__LISEN"), "{lisen}");
    assert!(message(&errors, "servr").contains("did you mean \"server\""));
    assert!(message(&errors, "platforms[0].tokn").contains("did you mean \"token\""));
}

#[test]
fn malformed_variable_names_are_explained() {
    let errors = errs(
        MINIMAL,
        &[
            ("HANDOVER__SERVER", "x"),
            ("HANDOVER__PLATFORMS__TOKEN", "x"),
            ("HANDOVER__PLATFORMS__X__TOKEN", "x"),
            ("HANDOVER__DATA_DIR__X", "x"),
            ("HANDOVER__SERVER____LISTEN", "x"),
            ("HANDOVER__A__B__C__D", "x"),
        ],
    );
    assert!(message(&errors, "server").contains("HANDOVER__SERVER__LISTEN"));
    assert!(message(&errors, "platforms.token").contains("HANDOVER__PLATFORMS__0__TOKEN"));
    assert!(message(&errors, "platforms[x]").contains("expected an entry index"));
    assert!(message(&errors, "data_dir").contains("is not a section"));
    assert!(message(&errors, "HANDOVER__SERVER____LISTEN").contains("malformed"));
    assert!(message(&errors, "a.b.c.d").contains("too many parts"));
    assert_eq!(errors.len(), 6, "{errors}");
}

#[test]
fn process_environment_is_read() {
    // Only checks that the convenience wrapper works; the test process sets no
    // HANDOVER__ variables of its own.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hb.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    if std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("HANDOVER__")) {
        return;
    }
    let c = crate::load_from_process_env(Some(&path)).unwrap();
    assert_eq!(c.platforms[0].id, "web");
}
