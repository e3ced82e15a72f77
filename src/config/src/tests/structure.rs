//! Tests of structural errors: unknown keys and wrong types are keyed, all are reported
//! at once, and serde/config-rs messages are turned into keyed messages too.

use super::{MINIMAL, errs, message, with};
use crate::load::raw_from_tree;

#[test]
fn unknown_top_level_key_is_named() {
    let errors = errs(&format!("dat_dir = \"x\"\n{MINIMAL}"), &[]);
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!(
        errors.to_string(),
        "dat_dir: unknown key (did you mean \"data_dir\"?); expected one of data_dir, server, platforms, handover, slack, discord, digest, log"
    );
}

#[test]
fn unknown_section_is_named() {
    let errors = errs(&with("[metrics]\nenabled = true\n"), &[]);
    assert!(message(&errors, "metrics").starts_with("unknown key; expected one of data_dir"));
}

#[test]
fn unknown_key_inside_a_section_is_named() {
    let errors = errs(&with("[server]\nlisen = \"127.0.0.1:1\"\n"), &[]);
    assert_eq!(
        errors.to_string(),
        "server.lisen: unknown key (did you mean \"listen\"?); expected one of listen, max_body_bytes, rate_limit_per_second, rate_limit_burst, shutdown_grace, dedupe_ttl, public_url"
    );
}

#[test]
fn unknown_key_inside_the_second_platform_is_named() {
    let toml = format!(
        "{MINIMAL}\n[[platforms]]\nid = \"app\"\ntoken = \"fedcba9876543210-token\"\nwebhook_url = \"https://x.example\"\n\
         webhook_secret = \"fedcba9876543210-secret\"\nbridge = \"slack\"\nwebhook = \"https://y.example\"\n"
    );
    let errors = errs(&toml, &[]);
    assert_eq!(errors.len(), 1, "{errors}");
    let m = message(&errors, "platforms[1].webhook");
    assert!(m.starts_with("unknown key"), "{m}");
    assert!(
        m.contains("expected one of id, token, webhook_url, webhook_secret, bridge"),
        "{m}"
    );
}

#[test]
fn wrong_types_are_named_with_what_was_expected() {
    let errors = errs(
        &with(
            "[server]\nmax_body_bytes = \"big\"\nlisten = 8080\n[handover]\nenabled = \"yes\"\nremind_after = 5\n\
             [slack]\nchannels = \"C0123456789\"\nmembers = [\"U1\", 2]\n[digest]\nenabled = 1.5\n",
        ),
        &[],
    );
    assert_eq!(
        message(&errors, "server.max_body_bytes"),
        "expected a whole number, got the string \"big\""
    );
    assert_eq!(
        message(&errors, "server.listen"),
        "expected a string, got the number 8080"
    );
    assert_eq!(
        message(&errors, "handover.enabled"),
        "expected true or false, got the string \"yes\""
    );
    assert!(message(&errors, "handover.remind_after").starts_with("expected a duration string"));
    assert!(message(&errors, "slack.channels").starts_with("expected a list of strings"));
    assert_eq!(
        message(&errors, "slack.members[1]"),
        "expected a string, got the number 2"
    );
    assert_eq!(
        message(&errors, "digest.enabled"),
        "expected true or false, got the number 1.5"
    );
    assert_eq!(errors.len(), 7, "{errors}");
}

#[test]
fn a_section_of_the_wrong_shape_is_named() {
    let errors = errs("server = 5\nplatforms = { id = \"web\" }\n", &[]);
    assert!(message(&errors, "server").starts_with("expected a [server] table"));
    assert!(message(&errors, "platforms").starts_with("expected a list of [[platforms]] tables"));
    let errors = errs("platforms = [1]\n", &[]);
    assert!(message(&errors, "platforms[0]").starts_with("expected a [[platforms]] table"));
}

#[test]
fn a_wrongly_typed_required_key_is_not_also_reported_missing() {
    let toml = MINIMAL.replace("bridge = \"slack\"", "bridge = true");
    let errors = errs(&toml, &[]);
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!(
        message(&errors, "platforms[0].bridge"),
        "expected a string, got the boolean true"
    );
}

#[test]
fn all_problems_are_reported_at_once_one_line_each() {
    let toml = format!(
        "surprise = 1\n{MINIMAL}\n[server]\nlisen = 1\nmax_body_bytes = 10\n\
         [handover]\nremind_after = \"five\"\nnote_prefix = \"\"\n[log]\nlevel = \"loud\"\n"
    );
    let errors = errs(&toml, &[("HANDOVER__DIGEST__SCHEDULE", "someday")]);
    let text = errors.to_string();
    assert_eq!(text.lines().count(), errors.len());
    for key in [
        "surprise",
        "server.lisen",
        "server.max_body_bytes",
        "handover.remind_after",
        "handover.note_prefix",
        "log.level",
        "digest.schedule",
    ] {
        assert!(errors.get(key).is_some(), "no error for {key} in:\n{text}");
    }
    assert_eq!(errors.len(), 7, "{text}");
    assert!(text.contains(
        "handover.remind_after: expected a duration such as \"5m\" or \"1h30m\", got \"five\""
    ));
}

#[test]
fn toml_syntax_errors_name_the_source_and_line() {
    let errors = errs("[server\nlisten = 1\n", &[]);
    assert_eq!(errors.len(), 1);
    let e = &errors.errors()[0];
    assert_eq!(e.key, "<config>");
    assert!(
        e.message.starts_with("not valid TOML: line 1"),
        "{}",
        e.message
    );
}

/// Without the structural check, serde (`deny_unknown_fields`) and config-rs report only
/// the first problem and name the parent; the fallback still names the full key.
#[test]
fn serde_unknown_field_errors_are_keyed() {
    let tree = |toml: &str| {
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .unwrap()
            .cache
    };
    let (key, msg) = raw_from_tree(tree("[server]\nlisen = 1\n")).unwrap_err();
    assert_eq!(key, "server.lisen");
    assert!(
        msg.starts_with("unknown key (did you mean \"listen\"?); expected one of listen"),
        "{msg}"
    );

    let (key, msg) = raw_from_tree(tree("bogus = 1\n")).unwrap_err();
    assert_eq!(key, "bogus");
    assert!(msg.contains("expected one of data_dir, server"), "{msg}");

    let (key, msg) = raw_from_tree(tree(
        "[[platforms]]\nid = \"a\"\n[[platforms]]\nidd = \"b\"\n",
    ))
    .unwrap_err();
    assert_eq!(key, "platforms[1].idd");
    assert!(msg.contains("did you mean \"id\""), "{msg}");

    let (key, msg) =
        raw_from_tree(tree("[server]\nmax_body_bytes = \"a-secret-value\"\n")).unwrap_err();
    assert_eq!(key, "server.max_body_bytes");
    assert!(msg.starts_with("expected"), "{msg}");
    assert!(!msg.contains("a-secret-value"), "{msg}");
}
