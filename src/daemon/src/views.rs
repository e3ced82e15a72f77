//! JSON shapes of the HTTP API and the webhook events (SPEC §3): timestamps as RFC 3339.

use handover_core::{
    Agent, Attachment, Handback, Handover, Location, Role, TranscriptEntry, route,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::rfc3339;

/// A handover as the API shows it.
pub fn handover(h: &Handover) -> Value {
    let ts = |t: Option<handover_core::Timestamp>| t.map(rfc3339);
    json!({
        "handover_id": h.id,
        "conversation_id": h.conversation_id,
        "platform": h.platform,
        "status": h.status,
        "resolution": h.resolution,
        "route": route(h.status.is_open().then_some(h)),
        "user": h.user,
        "reason": h.reason,
        "summary": h.summary,
        "metadata": h.metadata,
        "priority": h.priority,
        "assignee": h.assignee,
        "requested_at": rfc3339(h.requested_at),
        "taken_at": ts(h.taken_at),
        "first_response_at": ts(h.first_response_at),
        "ended_at": ts(h.ended_at),
        "ended_by": h.ended_by,
        "end_reason": h.end_reason,
        "rating": h.rating.as_ref().map(|r| json!({"score": r.score, "comment": r.comment})),
        "location": h.location.as_ref().map(location),
    })
}

fn location(l: &Location) -> Value {
    json!({"bridge": l.bridge, "channel": l.channel, "thread": l.thread, "url": l.url})
}

/// A transcript entry as events show it.
#[derive(Serialize)]
pub struct Entry<'a> {
    pub role: Role,
    pub text: &'a str,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<&'a Agent>,
    #[serde(skip_serializing_if = "<[Attachment]>::is_empty")]
    pub attachments: &'a [Attachment],
}

impl<'a> From<&'a TranscriptEntry> for Entry<'a> {
    fn from(e: &'a TranscriptEntry) -> Self {
        Self {
            role: e.role,
            text: &e.text,
            at: rfc3339(e.at),
            agent: e.agent.as_ref(),
            attachments: &e.attachments,
        }
    }
}

pub fn handback(h: &Handback) -> Value {
    let transcript: Vec<Entry<'_>> = h.transcript.iter().map(Entry::from).collect();
    json!({"agent": h.agent, "outcome": h.outcome, "transcript": transcript})
}
