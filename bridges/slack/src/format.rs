//! Slack text: escaping end-user text, splitting long messages, the handover card and
//! the short messages the bridge posts. Pure functions, no I/O.
//!
//! The rule everywhere: text that came from outside (end user, AI platform, agents'
//! names) goes through [`escape`] before it reaches a `mrkdwn` field, and through
//! [`plain`] before it reaches a `plain_text` field. Only links and mentions the bridge
//! builds itself (`<@U…>` of selected members, attachment links) are left active.

use std::ops::Range;
use std::time::Duration;

use handover_core::{Agent, Handover, TranscriptEntry};

use crate::ids::BRIDGE;

mod card;

pub use card::{Card, MAX_BLOCKS, card};

/// The most characters Slack accepts in a message's `text`.
pub const MAX_TEXT: usize = 40_000;
/// The most characters Slack accepts in a section block's text.
pub const MAX_SECTION: usize = 3_000;

/// Reaction name marking an agent message delivered to the end user.
pub const DELIVERED: &str = "white_check_mark";
/// Reaction name marking an agent message that could not be delivered.
pub const FAILED: &str = "warning";

/// U+200D ZERO WIDTH JOINER, put between `@` and `channel`/`here`/`everyone`.
const ZWJ: char = '\u{200D}';

/// Escapes text for a `mrkdwn` field or a message's `text`, so it shows as written and
/// can do nothing else.
///
/// `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`, as Slack requires: with them
/// gone, no `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`, `<#C…>`,
/// `<!subteam^…>` or `<https://evil|bank>` can be formed, so end-user text can neither
/// ping nor show a link under a fake label.
///
/// Bare `@channel`, `@here` and `@everyone` (any case) get a zero-width joiner after
/// the `@`. The bridge posts with `link_names` off, where those words are inert anyway;
/// this is defence in depth in case `link_names` is ever turned on (by a change here, an
/// app setting or a future Slack default), which would make them broadcast pings.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => {
                out.push('@');
                if is_broadcast(&text[i + 1..]) {
                    out.push(ZWJ);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `rest` (the text after an `@`) starts with a broadcast keyword.
fn is_broadcast(rest: &str) -> bool {
    ["channel", "here", "everyone"].iter().any(|w| {
        rest.get(..w.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(w))
    })
}

/// Outside text for a `plain_text` field (header, button). Slack never parses mentions
/// or links there, and whether it decodes entities there is not specified, so instead of
/// entities `&`, `<` and `>` become look-alikes (`＆`, `‹`, `›`): the text reads the same
/// and cannot be mistaken for markup anywhere it is copied to. Control characters and
/// runs of whitespace become one space; broadcasts get the joiner as in [`escape`].
pub fn plain(text: &str) -> String {
    let mut mapped = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        mapped.push(match c {
            '&' => '＆',
            '<' => '‹',
            '>' => '›',
            c if c.is_control() => ' ',
            c => c,
        });
        if c == '@' && is_broadcast(&text[i + 1..]) {
            mapped.push(ZWJ);
        }
    }
    one_line(&mapped)
}

/// Splits `text` into chunks of at most `max_chars` characters (a `max_chars` of 0
/// counts as 1), for Slack's message length limits.
///
/// Where a chunk ends, by preference: at a paragraph break (`\n\n`) in the second half
/// of the chunk, else a line break there, else any whitespace there, else the last
/// whitespace anywhere; only a chunk with no whitespace to break at is cut mid-word
/// (between two characters, never inside one).
///
/// What is dropped: at each break, the run of whitespace around the break point (up to
/// the end of the text if only whitespace follows); nothing else. So putting that
/// whitespace back between the chunks gives `text` exactly, in order. Chunks are never
/// empty; empty text gives no chunks.
pub fn split(text: &str, max_chars: usize) -> Vec<String> {
    spans(text, max_chars)
        .into_iter()
        .map(|r| text[r].to_owned())
        .collect()
}

/// The byte ranges of [`split`]'s chunks.
fn spans(text: &str, max_chars: usize) -> Vec<Range<usize>> {
    let max = max_chars.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        // `end`: the byte offset just after the first `max` characters.
        let Some((end, _)) = rest.char_indices().nth(max) else {
            out.push(start..text.len());
            break;
        };
        let (cut, next) = match break_point(rest, end) {
            Some(p) => {
                let chunk_end = rest[..p].trim_end().len();
                let resume = rest.len() - rest[p..].trim_start().len();
                (chunk_end, resume)
            }
            None => (end, end),
        };
        out.push(start..start + cut);
        start += next;
    }
    out
}

/// The best place at or before byte `end` of `rest` to break at (see [`split`]): the
/// start of a whitespace character, never one that would leave the chunk before it
/// empty or all whitespace.
fn break_point(rest: &str, end: usize) -> Option<usize> {
    let (mut para, mut line, mut space) = (None, None, None);
    let mut seen_text = false;
    let candidates = rest[..end]
        .char_indices()
        .chain(rest[end..].chars().next().map(|c| (end, c)));
    for (i, c) in candidates {
        if !c.is_whitespace() {
            seen_text = true;
            continue;
        }
        if !seen_text {
            continue;
        }
        if rest[i..].starts_with("\n\n") {
            para = Some(i);
        } else if c == '\n' {
            line = Some(i);
        } else {
            space = Some(i);
        }
    }
    let late = |p: Option<usize>| p.filter(|&p| p >= end / 2);
    late(para)
        .or(late(line))
        .or(late(space))
        .or(para.max(line).max(space))
}

/// Whitespace runs (including line breaks) collapsed to one space, ends trimmed.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of already-escaped text, ending in `…` when cut, and never
/// cut inside an entity such as `&amp;`.
pub(crate) fn clip(escaped: &str, max: usize) -> String {
    let Some((cut, _)) = escaped.char_indices().nth(max) else {
        return escaped.to_owned();
    };
    let keep = max.saturating_sub(1);
    let mut end = escaped.char_indices().nth(keep).map_or(cut, |(i, _)| i);
    if let Some(amp) = escaped[..end]
        .rfind('&')
        .filter(|&amp| !escaped[amp..end].contains(';'))
    {
        end = amp;
    }
    format!("{}…", &escaped[..end])
}

/// Outside text, escaped, on one line, at most `max` characters.
pub(crate) fn inline(text: &str, max: usize) -> String {
    clip(&escape(&one_line(text)), max)
}

/// A Slack user or workspace id: `U…`/`W…`, uppercase letters and digits.
pub(crate) fn is_slack_user_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id.starts_with(['U', 'W'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An agent as shown in Slack: a mention of a Slack user, else their escaped name.
pub(crate) fn agent_ref(agent: &Agent) -> String {
    if agent.platform == BRIDGE && is_slack_user_id(&agent.id) {
        format!("<@{}>", agent.id)
    } else {
        inline(&agent.name, 80)
    }
}

/// A duration as people read it: `<1m`, `12m`, `3h 5m`, `2d 4h`.
pub fn human_duration(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    let (days, hours, mins) = (mins / 1_440, mins / 60 % 24, mins % 60);
    match (days, hours, mins) {
        (0, 0, 0) => "<1m".to_owned(),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// An end-user or AI message for the thread: the escaped text, then each attachment as
/// a link `<url|name>` the bridge builds (only for `http(s)` URLs; any other URL is
/// shown as inert text).
pub fn relay_text(entry: &TranscriptEntry) -> String {
    let mut lines = Vec::with_capacity(1 + entry.attachments.len());
    if !entry.text.trim().is_empty() {
        lines.push(escape(&entry.text));
    }
    for a in &entry.attachments {
        let name = if a.name.trim().is_empty() {
            "attachment".to_owned()
        } else {
            inline(&a.name, 200)
        };
        lines.push(match link_url(&a.url) {
            Some(url) => format!("📎 <{url}|{name}>"),
            None => format!("📎 {name} ({})", inline(&a.url, 500)),
        });
    }
    if lines.is_empty() {
        return "_(empty message)_".to_owned();
    }
    lines.join("\n")
}

/// A URL made safe to put inside `<…|…>`: `http(s)` only, with the characters that
/// would end or split the link percent-encoded and `&` escaped.
fn link_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '|' => out.push_str("%7C"),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Mentions of the selected members that are Slack users: `<@U1> <@U2>`. Discord-style
/// entries (`role:…`, snowflakes) and anything else are left out.
pub fn mentions(members: &[String]) -> String {
    members
        .iter()
        .filter(|m| is_slack_user_id(m))
        .map(|m| format!("<@{m}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `mentions` then `text`, without a leading space when there is no one to mention.
fn with_mentions(members: &[String], text: String) -> String {
    let m = mentions(members);
    if m.is_empty() {
        text
    } else {
        format!("{m} {text}")
    }
}

/// The user's name for one-line texts.
fn user_name(h: &Handover) -> String {
    match inline(&h.user.name, 80) {
        n if n.is_empty() => "an unnamed user".to_owned(),
        n => n,
    }
}

/// ": reason" when there is a reason.
fn reason_suffix(h: &Handover) -> String {
    match h.reason.as_deref().map(|r| inline(r, 300)) {
        Some(r) if !r.is_empty() => format!(": {r}"),
        _ => String::new(),
    }
}

/// The message that posts the card: `<@U1> <@U2> New handover H-1 from Ada: reason`.
pub fn announce_text(h: &Handover, members: &[String]) -> String {
    with_mentions(
        members,
        format!(
            "New handover {} from {}{}",
            h.id,
            user_name(h),
            reason_suffix(h)
        ),
    )
}

/// A reminder in the thread of a pending handover:
/// `<@U1> Reminder 2: H-1 from Ada has been waiting 20m: reason`.
pub fn reminder_text(
    h: &Handover,
    count: u32,
    members: &[String],
    now: handover_core::Timestamp,
) -> String {
    with_mentions(
        members,
        format!(
            "Reminder {count}: {} from {} has been waiting {}{}",
            h.id,
            user_name(h),
            human_duration(now.since(h.requested_at)),
            reason_suffix(h)
        ),
    )
}

/// Posted in the thread next to the [`FAILED`] reaction.
pub fn delivery_failed_text(reason: &str) -> String {
    match inline(reason, 500) {
        r if r.is_empty() => "⚠️ Not delivered to the user.".to_owned(),
        r => format!("⚠️ Not delivered to the user: {r}"),
    }
}

/// `★★★★☆ 4/5` for a score (clamped to 0..=5 for the stars).
pub(crate) fn stars(score: u8) -> String {
    let full = usize::from(score.min(5));
    format!("{}{} {score}/5", "★".repeat(full), "☆".repeat(5 - full))
}

/// The customer's rating: `Customer rating: ★★★★☆ 4/5 — “Quick and kind”`.
pub fn rating_text(score: u8, comment: Option<&str>) -> String {
    let comment = comment.map(|c| inline(c, 1_000)).unwrap_or_default();
    if comment.is_empty() {
        format!("Customer rating: {}", stars(score))
    } else {
        format!("Customer rating: {} — “{comment}”", stars(score))
    }
}

/// The command text of an in-thread mention: `<@UBOT> end close` → `end close`.
/// Removes one leading mention of the bot (`<@UBOT>` or `<@UBOT|name>`) and the
/// whitespace around it; text that does not start with it is returned unchanged.
pub fn strip_bot_mention<'a>(text: &'a str, bot_user_id: &str) -> &'a str {
    if bot_user_id.is_empty() {
        return text;
    }
    let Some(rest) = text
        .trim_start()
        .strip_prefix("<@")
        .and_then(|r| r.strip_prefix(bot_user_id))
    else {
        return text;
    };
    let after = if let Some(r) = rest.strip_prefix('>') {
        r
    } else if let Some((_, r)) = rest.strip_prefix('|').and_then(|r| r.split_once('>')) {
        r
    } else {
        return text;
    };
    after.trim_start()
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
