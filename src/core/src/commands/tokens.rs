//! Single words: members, time windows, ids-to-be, and suggestions for typos.

use std::time::Duration;

use super::{MemberRef, QUOTE_MAX, SUBCOMMANDS};

/// A `stats` window: a number and `h`, `d` or `w` (`24h`, `7d`, `2w`), from 1 hour to
/// 366 days.
pub fn parse_window(word: &str) -> Option<Duration> {
    const HOUR: u64 = 3_600;
    let unit = word.chars().last()?;
    let digits = &word[..word.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let hours = match unit.to_ascii_lowercase() {
        'h' => n,
        'd' => n.checked_mul(24)?,
        'w' => n.checked_mul(24 * 7)?,
        _ => return None,
    };
    (1..=366 * 24)
        .contains(&hours)
        .then(|| Duration::from_secs(hours * HOUR))
}

/// The canonical text of a window: whole days as `Nd`, else whole hours as `Nh`
/// (rounded down, at least `1h`).
pub(super) fn window_text(d: Duration) -> String {
    let hours = (d.as_secs() / 3_600).max(1);
    if hours.is_multiple_of(24) {
        format!("{}d", hours / 24)
    } else {
        format!("{hours}h")
    }
}

/// A member token: Slack `<@U0AAA|grace>`, `<@U0AAA>`; Discord `<@123…>`, `<@!123…>`,
/// `<@&456…>` (a role); a bare Slack id (`U0AAA`), a bare Discord snowflake (17–20
/// digits) or `role:<snowflake>` as in the config.
pub fn parse_member(token: &str) -> Option<MemberRef> {
    let user = |id: &str| MemberRef {
        id: id.to_owned(),
        role: false,
    };
    if let Some(inner) = token.strip_prefix("<@").and_then(|t| t.strip_suffix('>')) {
        if let Some(role) = inner.strip_prefix('&') {
            return is_snowflake(role, 1).then(|| MemberRef {
                id: role.to_owned(),
                role: true,
            });
        }
        if let Some(nick) = inner.strip_prefix('!') {
            return is_snowflake(nick, 1).then(|| user(nick));
        }
        // Slack sends `<@U0AAA|grace>` when the command escapes its arguments.
        let id = inner.split_once('|').map_or(inner, |(id, _)| id);
        return (is_slack_id(id) || (is_snowflake(id, 1) && id.len() == inner.len()))
            .then(|| user(id));
    }
    if let Some(role) = token.strip_prefix("role:") {
        return is_snowflake(role, 17).then(|| MemberRef {
            id: role.to_owned(),
            role: true,
        });
    }
    (is_slack_id(token) || is_snowflake(token, 17)).then(|| user(token))
}

/// Uppercase letters and digits, starting with `U` or `W`, 3 to 24 characters.
fn is_slack_id(s: &str) -> bool {
    (3..=24).contains(&s.len())
        && s.starts_with(['U', 'W'])
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `min_len` to 20 ASCII digits, not starting with 0, that fit a u64.
fn is_snowflake(s: &str, min_len: usize) -> bool {
    (min_len..=20).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.starts_with('0')
        && s.parse::<u64>().is_ok()
}

/// The word as quoted in an error: at most [`QUOTE_MAX`] characters.
pub(super) fn quote(word: &str) -> String {
    match word.char_indices().nth(QUOTE_MAX) {
        Some((i, _)) => format!("{}…", &word[..i]),
        None => word.to_owned(),
    }
}

/// The closest subcommand within two edits, if any.
pub(super) fn suggest(word: &str) -> Option<&'static str> {
    let len = word.chars().count();
    if len > 9 {
        return None;
    }
    SUBCOMMANDS
        .iter()
        .map(|s| (edit_distance(word, s), *s))
        .filter(|(d, _)| *d <= 2 && *d < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, s)| s)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
