//! Tests that secret values never show: Debug, Display, error messages, warnings and
//! the redacted TOML.

use super::{MINIMAL, errs, ok, vars, with};
use crate::{Secret, load_str};

const SLACK: &str = "[slack]\nenabled = true\nbot_token = \"xoxb-SLACKBOTSECRET\"\napp_token = \"xapp-SLACKAPPSECRET\"\nsigning_secret = \"SLACKSIGNINGSECRET\"\nchannels = [\"C0123456789\"]\nmembers = [\"U0123456789\"]\n[discord]\nbot_token = \"DISCORDBOTSECRET\"\n";

#[test]
fn secret_never_prints_its_value() {
    let s = Secret::new("hunter2-hunter2-hunter2");
    assert_eq!(format!("{s}"), "<redacted>");
    assert_eq!(format!("{s:?}"), "<redacted>");
    assert_eq!(format!("{s:#?}"), "<redacted>");
    assert_eq!(s.expose(), "hunter2-hunter2-hunter2");
}

#[test]
fn debug_of_the_config_hides_every_secret() {
    let c = ok(&with(SLACK), &[]);
    let debug = format!("{c:?} {c:#?}");
    for secret in [
        "0123456789abcdef-token",
        "0123456789abcdef-secret",
        "SLACKBOTSECRET",
        "SLACKAPPSECRET",
        "SLACKSIGNINGSECRET",
        "DISCORDBOTSECRET",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in Debug");
    }
    assert!(debug.contains("<redacted>"));
}

#[test]
fn redacted_toml_hides_every_secret() {
    let c = ok(&with(SLACK), &[]);
    let text = c.redacted_toml();
    for secret in [
        "0123456789abcdef-token",
        "0123456789abcdef-secret",
        "SLACKBOTSECRET",
        "SLACKAPPSECRET",
        "SLACKSIGNINGSECRET",
        "DISCORDBOTSECRET",
    ] {
        assert!(!text.contains(secret), "{secret} leaked in:\n{text}");
    }
    assert!(text.contains("token = \"<redacted>\""), "{text}");
    assert!(text.contains("signing_secret = \"<redacted>\""), "{text}");
    // Unset secrets show as empty, which tells the reader they are unset.
    let plain = ok(MINIMAL, &[]).redacted_toml();
    assert!(plain.contains("app_token = \"\""), "{plain}");
}

#[test]
fn bad_secret_values_do_not_appear_in_errors() {
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            MINIMAL.replace("0123456789abcdef-token", "TOOSHORTSECRET"),
            vec![],
        ),
        (
            MINIMAL.replace("\"0123456789abcdef-secret\"", "1234567890123456789"),
            vec![],
        ),
        (
            MINIMAL.replace("0123456789abcdef-token", " PADDEDSECRETVALUE-0001 "),
            vec![],
        ),
        (
            with(
                "[slack]\nenabled = true\nbot_token = \"xoxp-WRONGPREFIXSECRET\"\napp_token = \"XAPPWRONGSECRET\"\n",
            ),
            vec![],
        ),
        (
            with("[discord]\nenabled = true\nbot_token = \"Bot DISCORDPREFIXSECRET\"\n"),
            vec![],
        ),
        (
            MINIMAL.to_owned(),
            vec![("HANDOVER__PLATFORMS__0__TOKEN", "ENVSHORTSECRET")],
        ),
        (
            MINIMAL.to_owned(),
            vec![("HANDOVER__PLATFORMS__0__TOKN", "ENVMISSPELTSECRET")],
        ),
        (
            format!("{MINIMAL}{MINIMAL}").replacen("id = \"web\"", "id = \"two\"", 1),
            vec![],
        ),
        (
            MINIMAL.replace(
                "token = \"0123456789abcdef-token\"",
                "token = \"UNTERMINATEDSECRET",
            ),
            vec![],
        ),
    ];
    let needles = [
        "TOOSHORTSECRET",
        "1234567890123456789",
        "PADDEDSECRETVALUE",
        "WRONGPREFIXSECRET",
        "XAPPWRONGSECRET",
        "DISCORDPREFIXSECRET",
        "ENVSHORTSECRET",
        "ENVMISSPELTSECRET",
        "0123456789abcdef-token",
        "UNTERMINATEDSECRET",
    ];
    for (toml, env) in cases {
        let errors = errs(&toml, &env);
        let text = format!("{errors} {errors:?}");
        for needle in needles {
            assert!(!text.contains(needle), "{needle} leaked in:\n{text}");
        }
    }
}

#[test]
fn errors_from_a_file_do_not_echo_the_offending_line() {
    let errors = load_str("token = \"abc\n[x", vars(&[])).unwrap_err();
    assert!(!errors.to_string().contains("abc"), "{errors}");
}
