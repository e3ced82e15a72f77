//! Tests of the validation rules of data_dir, [server], [[platforms]], [handover],
//! [digest] and [log], each with its keyed message.

use super::{MINIMAL, errs, message, ok, rejects, with};

#[test]
fn data_dir_must_not_be_empty() {
    let errors = errs(&format!("data_dir = \"\"\n{MINIMAL}"), &[]);
    assert!(message(&errors, "data_dir").starts_with("expected a directory path"));
}

#[test]
fn server_rules() {
    rejects(
        "[server]\nlisten = \"localhost\"\n",
        "server.listen",
        "expected an IP address and port such as \"127.0.0.1:8080\"",
    );
    rejects(
        "[server]\nmax_body_bytes = 1023\n",
        "server.max_body_bytes",
        "between 1024 (1 KiB) and 67108864 (64 MiB), got 1023",
    );
    rejects(
        "[server]\nmax_body_bytes = 67108865\n",
        "server.max_body_bytes",
        "got 67108865",
    );
    rejects(
        "[server]\nrate_limit_per_second = -1\n",
        "server.rate_limit_per_second",
        "between 0 and 4294967295",
    );
    rejects(
        "[server]\nrate_limit_burst = 0\n",
        "server.rate_limit_burst",
        "at least 1 while server.rate_limit_per_second is on",
    );
    rejects(
        "[server]\nshutdown_grace = \"500ms\"\n",
        "server.shutdown_grace",
        "between 1s and 5m, got \"500ms\"",
    );
    rejects(
        "[server]\nshutdown_grace = \"6m\"\n",
        "server.shutdown_grace",
        "between 1s and 5m",
    );
    rejects(
        "[server]\ndedupe_ttl = \"59m\"\n",
        "server.dedupe_ttl",
        "at least 1h, got \"59m\"",
    );
    ok(
        &with("[server]\nmax_body_bytes = 1024\nshutdown_grace = \"5m\"\ndedupe_ttl = \"1h\"\n"),
        &[],
    );
}

fn platform(body: &str) -> String {
    format!("[[platforms]]\n{body}\n")
}

#[test]
fn platform_required_keys() {
    let errors = errs(&platform("give_up_after = \"1h\""), &[]);
    for key in ["id", "token", "webhook_url", "webhook_secret", "bridge"] {
        let m = message(&errors, &format!("platforms[0].{key}"));
        assert!(m.starts_with("required; expected"), "{key}: {m}");
    }
    assert_eq!(errors.len(), 5, "{errors}");
}

#[test]
fn platform_value_rules() {
    let base = MINIMAL.to_owned();
    let case = |from: &str, to: &str, key: &str, needle: &str| {
        let errors = errs(&base.replace(from, to), &[]);
        let m = message(&errors, key);
        assert!(m.contains(needle), "{key}: {m:?} lacks {needle:?}");
    };
    case(
        "id = \"web\"",
        "id = \"Web Site\"",
        "platforms[0].id",
        "expected 1 to 32 characters of a-z, 0-9, _ and -",
    );
    case(
        "id = \"web\"",
        &format!("id = \"{}\"", "a".repeat(33)),
        "platforms[0].id",
        "1 to 32",
    );
    case(
        "token = \"0123456789abcdef-token\"",
        "token = \"short\"",
        "platforms[0].token",
        "at least 16 characters",
    );
    case(
        "webhook_secret = \"0123456789abcdef-secret\"",
        "webhook_secret = \"\"",
        "platforms[0].webhook_secret",
        "at least 16 characters",
    );
    case(
        "webhook_url = \"https://ai.example.com/events\"",
        "webhook_url = \"ftp://x\"",
        "platforms[0].webhook_url",
        "expected an http:// or https:// URL with a host",
    );
    case(
        "webhook_url = \"https://ai.example.com/events\"",
        "webhook_url = \"https:///path\"",
        "platforms[0].webhook_url",
        "with a host",
    );
    case(
        "bridge = \"slack\"",
        "bridge = \"teams\"",
        "platforms[0].bridge",
        "expected \"slack\" or \"discord\", got \"teams\"",
    );
    let timing = |extra: &str, key: &str, needle: &str| {
        let errors = errs(&format!("{base}{extra}\n"), &[]);
        let m = message(&errors, key);
        assert!(m.contains(needle), "{key}: {m:?} lacks {needle:?}");
    };
    timing(
        "give_up_after = \"59s\"",
        "platforms[0].give_up_after",
        "between 1m and 30d",
    );
    timing(
        "give_up_after = \"31d\"",
        "platforms[0].give_up_after",
        "between 1m and 30d",
    );
    timing(
        "retry_initial = \"5ms\"",
        "platforms[0].retry_initial",
        "between 10ms and 1h",
    );
    timing(
        "retry_initial = \"2m\"\nretry_max = \"1m\"",
        "platforms[0].retry_max",
        "at least retry_initial (2m)",
    );
    timing(
        "timeout = \"50ms\"",
        "platforms[0].timeout",
        "between 100ms and 5m",
    );
    timing(
        "timeout = \"soon\"",
        "platforms[0].timeout",
        "expected a duration such as \"5m\"",
    );
}

#[test]
fn platform_ids_and_tokens_are_unique() {
    let toml = format!("{MINIMAL}{MINIMAL}");
    let errors = errs(&toml, &[]);
    assert_eq!(
        message(&errors, "platforms[1].id"),
        "\"web\" is already the id of platforms[0]; ids must be unique"
    );
    assert_eq!(
        message(&errors, "platforms[1].token"),
        "same token as platforms[0]; each platform needs its own token"
    );
    assert_eq!(errors.len(), 2, "{errors}");
}

#[test]
fn handover_rules() {
    rejects(
        "[handover]\nmute_ai = \"always\"\n",
        "handover.mute_ai",
        "expected \"on_take_over\" or \"on_request\", got \"always\"",
    );
    rejects(
        "[handover]\nremind_after = \"9s\"\n",
        "handover.remind_after",
        "at least 10s, got \"9s\"",
    );
    rejects(
        "[handover]\nremind_after = \"five\"\n",
        "handover.remind_after",
        "expected a duration such as \"5m\" or \"1h30m\", got \"five\"",
    );
    rejects(
        "[handover]\nremind_every = \"59s\"\n",
        "handover.remind_every",
        "at least 1m",
    );
    rejects(
        "[handover]\nnote_prefix = \"\"\n",
        "handover.note_prefix",
        "1 to 8 characters",
    );
    rejects(
        "[handover]\nnote_prefix = \"123456789\"\n",
        "handover.note_prefix",
        "1 to 8 characters",
    );
    rejects(
        "[handover]\nnote_prefix = \"/ /\"\n",
        "handover.note_prefix",
        "without spaces",
    );
    ok(
        &with(
            "[handover]\nnote_prefix = \"!note\"\nremind_after = \"10s\"\nremind_every = \"1m\"\n",
        ),
        &[],
    );
}

#[test]
fn digest_rules() {
    for bad in [
        "MON",
        "MON 9",
        "MON 24:00",
        "MON 09:60",
        "MOON 09:00",
        "MON 09:00 UTC",
        "MON 9:5",
    ] {
        rejects(
            &format!("[digest]\nschedule = \"{bad}\"\n"),
            "digest.schedule",
            "expected a day and a 24h time such as \"MON 09:00\"",
        );
    }
    for good in ["mon 09:00", "Sunday 0:05", "FRI 23:59", "wed 7:30"] {
        ok(&with(&format!("[digest]\nschedule = \"{good}\"\n")), &[]);
    }
    for bad in [
        "utc",
        "Berlin",
        "Europe/",
        "europe/berlin",
        "A/B/C/D",
        "Europe/Ber lin",
        // The right shape, but no such zone in the IANA database.
        "Mars/Olympus_Mons",
        "Europe/Atlantis",
    ] {
        rejects(
            &format!("[digest]\ntimezone = \"{bad}\"\n"),
            "digest.timezone",
            "expected \"UTC\" or an IANA time zone name",
        );
    }
    for good in [
        "UTC",
        "Europe/Berlin",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+5",
        "America/Port-au-Prince",
    ] {
        ok(&with(&format!("[digest]\ntimezone = \"{good}\"\n")), &[]);
    }
}

#[test]
fn log_rules() {
    rejects(
        "[log]\nformat = \"xml\"\n",
        "log.format",
        "expected \"pretty\" or \"json\", got \"xml\"",
    );
    rejects(
        "[log]\nlevel = \"verbose\"\n",
        "log.level",
        "expected one of trace, debug, info, warn, error, got \"verbose\"",
    );
}
