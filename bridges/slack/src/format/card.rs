//! The handover card: the Block Kit root message of a handover's thread, re-rendered
//! from the handover's latest state whenever it changes.

use handover_core::{Handover, Priority, Resolution, Role, Status, Timestamp, TranscriptEntry};
use serde_json::{Value, json};

use super::{
    MAX_SECTION, agent_ref, clip, escape, human_duration, inline, one_line, plain, rating_text,
};

pub use crate::ids::{ACTION_CLOSE, ACTION_END_AI, ACTION_TAKE};

/// The most blocks Slack accepts in a message.
pub const MAX_BLOCKS: usize = 50;
/// How many recent transcript entries the card shows.
const RECENT_LINES: usize = 8;
/// Each transcript entry on the card is cut to this many characters.
const LINE_MAX: usize = 340;
/// The most fields Slack accepts in a section, and the most characters in each.
const MAX_FIELDS: usize = 10;
const MAX_FIELD: usize = 2_000;
/// The most characters of a header block.
const MAX_HEADER: usize = 150;

/// A rendered card: `text` is the notification fallback, `blocks` a JSON array of
/// Block Kit blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub text: String,
    pub blocks: Value,
}

/// Renders the card of `h` as of `now`. Block ids are stable (`header`, `who`,
/// `reason`, `summary`, `metadata`, `transcript`, `status`, `rating`, `actions`) so an
/// update replaces the same blocks; optional ones are left out when empty. Buttons
/// only while the handover is open: *Take over* (not once taken), *End → AI*, *Close*;
/// each carries the handover id (`H-1`) as its `value`.
pub fn card(h: &Handover, now: Timestamp) -> Card {
    let mut blocks = vec![
        json!({
            "type": "header",
            "block_id": "header",
            "text": {"type": "plain_text", "text": header_text(h), "emoji": true},
        }),
        json!({
            "type": "context",
            "block_id": "who",
            "elements": [{"type": "mrkdwn", "text": who_text(h)}],
        }),
    ];
    if let Some(reason) = non_empty(h.reason.as_deref()) {
        blocks.push(section("reason", titled("Reason", reason)));
    }
    if let Some(summary) = non_empty(h.summary.as_deref()) {
        blocks.push(section("summary", titled("Summary", summary)));
    }
    if !h.metadata.is_empty() {
        blocks.push(json!({"type": "section", "block_id": "metadata", "fields": metadata(h)}));
    }
    if let Some(t) = transcript(&h.recent) {
        blocks.push(section("transcript", t));
    }
    blocks.push(section("status", status_text(h, now)));
    if let Some(r) = &h.rating {
        blocks.push(section(
            "rating",
            rating_text(r.score, r.comment.as_deref()),
        ));
    }
    if h.status.is_open() {
        blocks.push(actions(h));
    }
    blocks.truncate(MAX_BLOCKS);
    Card {
        text: fallback_text(h, now),
        blocks: Value::Array(blocks),
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

fn section(block_id: &str, text: String) -> Value {
    json!({
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": text},
    })
}

/// `*Title*` over the escaped text, cut to fit a section.
fn titled(title: &str, text: &str) -> String {
    let head = format!("*{title}*\n");
    let room = MAX_SECTION - head.chars().count();
    format!("{head}{}", clip(&escape(text.trim()), room))
}

fn badge(p: Priority) -> Option<&'static str> {
    match p {
        Priority::Normal => None,
        Priority::High => Some("🟠 High"),
        Priority::Urgent => Some("🔴 Urgent"),
    }
}

/// `H-1 · Ada Lovelace · 🔴 Urgent` (plain text, at most 150 characters).
fn header_text(h: &Handover) -> String {
    let name = match plain(&h.user.name) {
        n if n.is_empty() => "Unnamed user".to_owned(),
        n => n,
    };
    let badge = badge(h.priority)
        .map(|b| format!(" · {b}"))
        .unwrap_or_default();
    let id = h.id.to_string();
    let room = MAX_HEADER.saturating_sub(id.chars().count() + badge.chars().count() + 3);
    // `plain` text has no entities, so `clip` cuts it anywhere.
    format!("{id} · {}{badge}", clip(&name, room))
}

/// Who and where from: user name, email, user id, platform and conversation.
fn who_text(h: &Handover) -> String {
    let mut parts = vec![format!("*{}*", inline(&h.user.name, 200))];
    if let Some(email) = non_empty(h.user.email.as_deref()) {
        parts.push(inline(email, 200));
    }
    parts.push(format!("user {}", inline(&h.user.id, 200)));
    parts.push(format!("via {}", inline(&h.platform, 100)));
    parts.push(format!("conversation {}", inline(&h.conversation_id, 200)));
    parts.join(" · ")
}

/// Metadata as section fields, escaped: at most ten (the tenth says how many more).
fn metadata(h: &Handover) -> Vec<Value> {
    let field = |text: String| json!({"type": "mrkdwn", "text": text});
    let n = h.metadata.len();
    let shown = if n > MAX_FIELDS { MAX_FIELDS - 1 } else { n };
    let mut fields: Vec<Value> = h
        .metadata
        .iter()
        .take(shown)
        .map(|(k, v)| {
            let key = match inline(k, 100) {
                k if k.is_empty() => "—".to_owned(),
                k => k,
            };
            let value = match clip(&escape(v.trim()), MAX_FIELD - key.chars().count() - 3) {
                v if v.is_empty() => "—".to_owned(),
                v => v,
            };
            field(format!("*{key}*\n{value}"))
        })
        .collect();
    if n > shown {
        fields.push(field(format!("*…*\n{} more", n - shown)));
    }
    fields
}

/// The last few messages, one line each (`*User:* …`, `*AI:* …`), oldest first,
/// dropping the oldest until the whole fits a section. Notes are not shown.
fn transcript(recent: &[TranscriptEntry]) -> Option<String> {
    const TITLE: &str = "*Recent conversation*";
    let mut lines: Vec<String> = recent
        .iter()
        .filter(|e| e.role != Role::Note)
        .rev()
        .take(RECENT_LINES)
        .map(transcript_line)
        .collect();
    lines.reverse();
    let len = |lines: &[String]| {
        TITLE.chars().count() + lines.iter().map(|l| l.chars().count() + 1).sum::<usize>()
    };
    while !lines.is_empty() && len(&lines) > MAX_SECTION {
        lines.remove(0);
    }
    (!lines.is_empty()).then(|| format!("{TITLE}\n{}", lines.join("\n")))
}

fn transcript_line(e: &TranscriptEntry) -> String {
    let who = match e.role {
        Role::User => "User".to_owned(),
        Role::Ai => "AI".to_owned(),
        Role::Agent | Role::Note => e
            .agent
            .as_ref()
            .map(|a| inline(&a.name, 60))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Agent".to_owned()),
    };
    let mut text = clip(&escape(&one_line(&e.text)), LINE_MAX);
    if !e.attachments.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("📎{}", e.attachments.len()));
    }
    format!("*{who}:* {text}")
}

/// `⏳ Pending · waiting 12m`, `🙋 In progress — <@U1>`, `✅ Returned to AI by <@U1>`,
/// `🔒 Closed by <@U1>`, `✖ Cancelled by the AI platform`, with the reason for ending.
fn status_text(h: &Handover, now: Timestamp) -> String {
    match h.status {
        Status::Pending => {
            let mut s = format!(
                "⏳ Pending · waiting {}",
                human_duration(now.since(h.requested_at))
            );
            if h.reminders_sent > 0 {
                s.push_str(&format!(" · reminded {}×", h.reminders_sent));
            }
            s
        }
        Status::InProgress => match &h.assignee {
            Some(a) => format!("🙋 In progress — {}", agent_ref(a)),
            None => "🙋 In progress".to_owned(),
        },
        Status::Completed => {
            let what = match h.resolution {
                Some(Resolution::ReturnedToAi) => "✅ Returned to AI",
                Some(Resolution::Closed) => "🔒 Closed",
                Some(Resolution::Cancelled) => "✖ Cancelled",
                None => "Ended",
            };
            let by = h
                .ended_by
                .as_ref()
                .map_or_else(|| "the AI platform".to_owned(), agent_ref);
            let mut s = format!("{what} by {by}");
            let handler = h.assignee.as_ref().filter(|a| {
                h.ended_by
                    .as_ref()
                    .is_none_or(|b| b.id != a.id || b.platform != a.platform)
            });
            if let Some(a) = handler {
                s.push_str(&format!(" · handled by {}", agent_ref(a)));
            }
            if let Some(end) = h.ended_at {
                s.push_str(&format!(
                    " · after {}",
                    human_duration(end.since(h.requested_at))
                ));
            }
            if let Some(reason) = non_empty(h.end_reason.as_deref()) {
                s.push_str(&format!("\n_{}_", inline(reason, 1_000)));
            }
            s
        }
    }
}

/// The notification text: `H-1 from Ada: reason · ⏳ Pending · waiting 2m` (escaped).
fn fallback_text(h: &Handover, now: Timestamp) -> String {
    let reason = non_empty(h.reason.as_deref())
        .map(|r| format!(": {}", inline(r, 200)))
        .unwrap_or_default();
    let status = status_text(h, now);
    let status = status.lines().next().unwrap_or_default();
    format!(
        "{} from {}{reason} · {status}",
        h.id,
        inline(&h.user.name, 80)
    )
}

fn button(action_id: &str, text: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": true},
        "value": value,
    });
    if let (Some(style), Some(obj)) = (style, b.as_object_mut()) {
        obj.insert("style".into(), Value::String(style.into()));
    }
    b
}

/// Take over (while pending), End → AI, Close (with a confirmation).
fn actions(h: &Handover) -> Value {
    let id = h.id.to_string();
    let mut elements = Vec::with_capacity(3);
    if h.status == Status::Pending {
        elements.push(button(ACTION_TAKE, "Take over", &id, Some("primary")));
    }
    elements.push(button(ACTION_END_AI, "End → AI", &id, None));
    let mut close = button(ACTION_CLOSE, "Close", &id, Some("danger"));
    if let Some(obj) = close.as_object_mut() {
        obj.insert(
            "confirm".into(),
            json!({
                "title": {"type": "plain_text", "text": format!("Close {id}?")},
                "text": {"type": "mrkdwn", "text": "The conversation is closed and does not go back to the AI."},
                "confirm": {"type": "plain_text", "text": "Close"},
                "deny": {"type": "plain_text", "text": "Keep open"},
            }),
        );
    }
    elements.push(close);
    json!({"type": "actions", "block_id": "actions", "elements": elements})
}

#[cfg(test)]
mod tests;
