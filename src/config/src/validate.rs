//! Owns the shared validation machinery: the error collector and small parsers for
//! durations, URLs and ids that the typed sections use.

use std::time::Duration;

use crate::error::{ConfigError, ConfigErrors};

/// Collects every problem; keys already reported as structurally broken (unknown, wrong
/// type) silence later remarks about themselves and their children.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    list: Vec<ConfigError>,
    broken: Vec<String>,
}

impl Errors {
    /// Reports a problem with `key`, unless `key` was already reported as broken.
    pub(crate) fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        if !self.is_broken(&key) {
            self.list.push(ConfigError::new(key, message));
        }
    }

    /// Reports a structural problem with `key` and silences later remarks about it.
    pub(crate) fn broken(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        self.list.push(ConfigError::new(key.clone(), message));
        self.broken.push(key);
    }

    fn is_broken(&self, key: &str) -> bool {
        self.broken.iter().any(|b| {
            key == b
                || key
                    .strip_prefix(b.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    pub(crate) fn into_errors(self) -> Option<ConfigErrors> {
        ConfigErrors::from_vec(self.list)
    }
}

/// Quotes a user-supplied (non-secret) value for a message.
pub(crate) fn quote(value: &str) -> String {
    format!("{value:?}")
}

/// A compact duration that humantime parses back: "7d", "1h30m", "250ms".
pub(crate) fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let nanos = d.subsec_nanos();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
        (u64::from(nanos / 1_000_000), "ms"),
        (u64::from(nanos / 1000 % 1000), "us"),
        (u64::from(nanos % 1000), "ns"),
    ];
    let out: String = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if out.is_empty() { "0s".to_owned() } else { out }
}

/// Parses a humantime duration and checks `min ..= max`; reports and returns `fallback`
/// when it is not valid.
pub(crate) fn duration(
    errors: &mut Errors,
    key: &str,
    raw: &str,
    min: Duration,
    max: Option<Duration>,
    fallback: Duration,
) -> Duration {
    let Ok(value) = humantime::parse_duration(raw.trim()) else {
        errors.push(
            key,
            format!(
                "expected a duration such as \"5m\" or \"1h30m\", got {}",
                quote(raw)
            ),
        );
        return fallback;
    };
    match max {
        Some(max) if value < min || value > max => {
            errors.push(
                key,
                format!(
                    "must be between {} and {}, got {}",
                    fmt_duration(min),
                    fmt_duration(max),
                    quote(raw)
                ),
            );
            fallback
        }
        None if value < min => {
            errors.push(
                key,
                format!("must be at least {}, got {}", fmt_duration(min), quote(raw)),
            );
            fallback
        }
        _ => value,
    }
}

/// Checks an integer against `min ..= max` and converts it; reports and returns
/// `fallback` when out of range.
pub(crate) fn integer<T: TryFrom<i64> + Copy>(
    errors: &mut Errors,
    key: &str,
    raw: i64,
    min: i64,
    max: i64,
    fallback: T,
) -> T {
    if raw < min || raw > max {
        errors.push(key, format!("must be between {min} and {max}, got {raw}"));
        return fallback;
    }
    T::try_from(raw).unwrap_or(fallback)
}

/// Checks that `raw` is an `http://` or `https://` URL with a host; returns it without
/// trailing slashes, or a message saying what was expected.
pub(crate) fn http_url(raw: &str) -> Result<String, String> {
    let expected = || {
        format!(
            "expected an http:// or https:// URL with a host, such as \"https://example.com/path\", got {}",
            quote(raw)
        )
    };
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(expected)?;
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(expected());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if !valid_authority(authority) {
        return Err(expected());
    }
    Ok(trim_trailing_slash(raw))
}

pub(crate) fn trim_trailing_slash(raw: &str) -> String {
    let trimmed = raw.trim_end_matches('/');
    if trimmed.ends_with(':') || trimmed.is_empty() {
        raw.to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn valid_authority(authority: &str) -> bool {
    if authority.contains('@') {
        return false;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inner, after)) = v6.split_once(']') else {
            return false;
        };
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => ("v6", Some(port)),
            None if after.is_empty() => ("v6", None),
            None => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        && !host.starts_with('.')
        && !host.starts_with('-');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
    host_ok && port_ok
}

/// Slack ids: a prefix letter from `first` followed by uppercase letters and digits.
pub(crate) fn slack_id(raw: &str, first: &[char]) -> bool {
    let mut chars = raw.chars();
    chars.next().is_some_and(|c| first.contains(&c))
        && raw.len() >= 2
        && raw.len() <= 32
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Discord snowflake: 17–20 ASCII digits.
pub(crate) fn snowflake(raw: &str) -> bool {
    (17..=20).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit())
}
