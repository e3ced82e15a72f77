//! Pure rendering for Discord: channel names, the card's texts, relayed lines, splitting
//! at Discord's 2,000-character limit, and member mentions.

use handover_core::{Handover, HandoverId, Role, Status, TranscriptEntry};

/// Discord's message content limit, in characters.
pub const MAX_CONTENT: usize = 2_000;
/// Discord's channel name limit.
const MAX_CHANNEL_NAME: usize = 100;
/// The name AI messages are shown under.
pub const AI_NAME: &str = "AI assistant";
pub const DELIVERED: &str = "✅";
pub const FAILED: &str = "⚠️";

/// `h-1-ada-lovelace`: the handover id and the end user's name, lowercase, dashes.
pub fn channel_name(id: HandoverId, user: &str) -> String {
    let mut out = id.to_string().to_lowercase();
    let mut dash = true;
    for c in user.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash {
                out.push('-');
                dash = false;
            }
            out.push(c);
        } else {
            dash = true;
        }
    }
    out.chars().take(MAX_CHANNEL_NAME).collect()
}

/// The status line of the card.
pub fn status_text(h: &Handover) -> String {
    match (h.status, &h.assignee) {
        (Status::Pending, _) => "Waiting for someone to take it".to_owned(),
        (Status::InProgress, Some(a)) => format!("In progress with {}", escape(&a.name)),
        (Status::InProgress, None) => "In progress".to_owned(),
        (Status::Completed, _) => match h.resolution {
            Some(r) => format!("Ended ({})", r.as_str().replace('_', " ")),
            None => "Ended".to_owned(),
        },
    }
}

/// The card as a title and named fields (rendered as an embed).
pub fn card(h: &Handover) -> (String, Vec<(&'static str, String)>) {
    let title = format!("{} · {}", h.id, escape(&h.user.name));
    let mut fields = vec![("User", escape(&h.user.name))];
    if let Some(r) = h.reason.as_deref().filter(|r| !r.is_empty()) {
        fields.push(("Reason", escape(r)));
    }
    if let Some(s) = h.summary.as_deref().filter(|s| !s.is_empty()) {
        fields.push(("Summary", escape(s)));
    }
    if !h.metadata.is_empty() {
        let lines: Vec<String> = h
            .metadata
            .iter()
            .map(|(k, v)| format!("**{}:** {}", escape(k), escape(&one_line(v))))
            .collect();
        fields.push(("Details", lines.join("\n")));
    }
    if let Some(t) = recent_text(&h.recent) {
        fields.push(("Recent conversation", t));
    }
    fields.push(("Status", status_text(h)));
    if let Some(r) = &h.rating {
        fields.push(("Rating", format!("{}/5", r.score)));
    }
    // Embed field values are limited to 1,024 characters.
    for (_, v) in &mut fields {
        if v.chars().count() > 1_024 {
            *v = v.chars().take(1_021).chain("...".chars()).collect();
        }
    }
    (title, fields)
}

/// Text on one line (newlines and tabs as spaces).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The last messages before the handover, one line each (`**User:** …`,
/// `**AI:** …`), oldest first, dropping the oldest until they fit an embed field.
fn recent_text(recent: &[TranscriptEntry]) -> Option<String> {
    const LINE_MAX: usize = 200;
    let mut lines: Vec<String> = recent
        .iter()
        .filter(|e| matches!(e.role, Role::User | Role::Ai))
        .rev()
        .take(6)
        .map(|e| {
            let who = if e.role == Role::Ai { "AI" } else { "User" };
            let text: String = one_line(&e.text).chars().take(LINE_MAX).collect();
            format!("**{who}:** {}", escape(&text))
        })
        .collect();
    lines.reverse();
    while !lines.is_empty() && lines.iter().map(|l| l.chars().count() + 1).sum::<usize>() > 1_024 {
        lines.remove(0);
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// `<@id>` for users, `<@&id>` for `role:id`: the mention text, and the user and role
/// ids it may ping.
pub fn mentions(members: &[String]) -> (String, Vec<u64>, Vec<u64>) {
    let (mut text, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for m in members {
        if let Some(r) = m.strip_prefix("role:") {
            if let Some(id) = r.parse::<u64>().ok().filter(|n| *n != 0) {
                roles.push(id);
                text.push(format!("<@&{id}>"));
            }
        } else if let Some(id) = m.parse::<u64>().ok().filter(|n| *n != 0) {
            users.push(id);
            text.push(format!("<@{id}>"));
        }
    }
    (text.join(" "), users, roles)
}

/// A new handover's announcement content.
pub fn announce_text(h: &Handover, members: &[String]) -> String {
    let (who, _, _) = mentions(members);
    format!("{who} New handover {}: {}", h.id, escape(&h.user.name))
        .trim()
        .to_owned()
}

/// The reminder for a still-pending handover.
pub fn reminder_text(h: &Handover, count: u32, members: &[String]) -> String {
    let (who, _, _) = mentions(members);
    format!(
        "{who} Reminder {count}: {} is still waiting for someone.",
        h.id
    )
    .trim()
    .to_owned()
}

pub fn rating_text(score: u8, comment: Option<&str>) -> String {
    match comment.filter(|c| !c.is_empty()) {
        Some(c) => format!("The customer rated this {score}/5: {}", escape(c)),
        None => format!("The customer rated this {score}/5."),
    }
}

pub fn delivery_failed_text(reason: &str) -> String {
    format!("{FAILED} Not delivered to the customer: {}", escape(reason))
}

/// `**Name:** text` for an end-user or AI line (the name in bold, both escaped).
pub fn relay_text(entry: &TranscriptEntry, user_name: &str) -> String {
    let name = match entry.role {
        Role::Ai => AI_NAME,
        _ => user_name,
    };
    format!("**{}:** {}", escape(name), relay_body(entry))
}

/// The text of an end-user or AI line, escaped, with its attachments' links.
pub fn relay_body(entry: &TranscriptEntry) -> String {
    let mut text = escape(&entry.text);
    for a in &entry.attachments {
        text.push_str(&format!("\n{} <{}>", escape(&a.name), a.url));
    }
    text
}

/// A name a webhook may post under: 1 to 80 characters, without the words Discord
/// refuses in webhook names.
pub fn webhook_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let name = name.trim();
    if name.is_empty() || lower.contains("discord") || lower.contains("clyde") {
        return "Customer".to_owned();
    }
    name.chars().take(80).collect()
}

/// Escapes Discord markdown so end-user text shows as typed. Mentions are not escaped
/// here: `allowed_mentions` is what keeps them from pinging.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '~' | '`' | '|' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits `text` into parts of at most `max` characters, at a newline when possible.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max {
        let cut = rest[..max]
            .iter()
            .rposition(|c| *c == '\n')
            .filter(|&p| p > 0)
            .unwrap_or(max);
        parts.push(rest[..cut].iter().collect());
        let skip = usize::from(rest.get(cut) == Some(&'\n'));
        rest.drain(..cut + skip);
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.into_iter().collect());
    }
    parts
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use handover_core::Timestamp;

    fn said(role: Role, text: &str) -> TranscriptEntry {
        TranscriptEntry {
            role,
            text: text.into(),
            at: Timestamp(0),
            agent: None,
            message_id: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_recent_conversation_keeps_the_newest_lines_that_fit() {
        let recent = vec![
            said(Role::User, "first\nline"),
            said(Role::Note, "internal"),
            said(Role::Ai, "**bold** reply"),
        ];
        assert_eq!(
            recent_text(&recent).as_deref(),
            Some("**User:** first line\n**AI:** \\*\\*bold\\*\\* reply")
        );
        let long: Vec<TranscriptEntry> = (0..6)
            .map(|i| said(Role::User, &format!("{i}{}", "x".repeat(300))))
            .collect();
        let text = recent_text(&long).expect("some");
        assert!(text.chars().count() <= 1_024);
        assert!(text.contains("**User:** 5") && !text.contains("**User:** 0"));
        assert_eq!(recent_text(&[said(Role::Note, "n")]), None);
    }

    #[test]
    fn channel_names_are_slugs() {
        assert_eq!(
            channel_name(HandoverId(1), "Ada Lovelace"),
            "h-1-ada-lovelace"
        );
        assert_eq!(
            channel_name(HandoverId(12), "  Zoë  O'Neil!"),
            "h-12-zoë-o-neil"
        );
        assert_eq!(channel_name(HandoverId(3), "***"), "h-3");
        assert!(
            channel_name(HandoverId(3), &"a".repeat(300))
                .chars()
                .count()
                <= 100
        );
    }

    #[test]
    fn split_respects_the_limit_and_keeps_everything() {
        let text = format!("{}\n{}", "a".repeat(1500), "b".repeat(2500));
        let parts = split(&text, MAX_CONTENT);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_CONTENT));
        assert_eq!(parts.concat().len(), 4000);
        assert_eq!(parts[0], "a".repeat(1500));
        assert_eq!(split("", 10), vec![String::new()]);
        assert_eq!(split("héllo", 2), vec!["hé", "ll", "o"]);
    }

    #[test]
    fn mentions_of_users_and_roles() {
        let (text, users, roles) =
            mentions(&["123".to_owned(), "role:456".to_owned(), "bad".to_owned()]);
        assert_eq!(text, "<@123> <@&456>");
        assert_eq!(users, vec![123]);
        assert_eq!(roles, vec![456]);
    }

    #[test]
    fn webhook_names_are_acceptable() {
        assert_eq!(webhook_name("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(webhook_name("  "), "Customer");
        assert_eq!(webhook_name("My Discord"), "Customer");
        assert_eq!(webhook_name(&"x".repeat(100)).len(), 80);
    }

    #[test]
    fn escaping_keeps_markdown_literal() {
        assert_eq!(escape("*hi* _x_ `c`"), "\\*hi\\* \\_x\\_ \\`c\\`");
    }
}
