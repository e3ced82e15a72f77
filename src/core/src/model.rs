//! The handover record and the values it is made of.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{HandoverId, Timestamp};

/// Where a handover is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a human.
    Pending,
    /// A selected member took it over.
    InProgress,
    /// Ended; see [`Resolution`].
    Completed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Pending, Status::InProgress, Status::Completed];

    /// Pending or in progress.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Completed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// How a completed handover ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    ReturnedToAi,
    Closed,
    /// The AI platform withdrew it (e.g. the user left).
    Cancelled,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::ReturnedToAi => "returned_to_ai",
            Resolution::Closed => "closed",
            Resolution::Cancelled => "cancelled",
        }
    }
}

/// The answer to "may the AI reply?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// A human handles the conversation: the AI must not reply.
    Human,
    Ai,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
    High,
    Urgent,
}

/// The person talking to the AI on the platform's website or app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndUser {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// A team member on a chat platform.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Agent {
    /// The chat platform's user id (Slack `U…`, Discord snowflake).
    pub id: String,
    pub name: String,
    /// The bridge the agent works in: `slack` or `discord`.
    pub platform: String,
}

/// Where a handover lives in the chat platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub bridge: String,
    pub channel: String,
    pub thread: Option<String>,
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub score: u8,
    pub comment: Option<String>,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Ai,
    Agent,
    /// An agent's internal note: kept in the record, never relayed or handed back.
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub url: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// One message of a handover's conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    pub role: Role,
    pub text: String,
    pub at: Timestamp,
    /// The agent who wrote it (agent messages and notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
    /// The id the message has on its platform (AI platform `message_id`, Slack `ts`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A handover: one request of one conversation for a human, from request to end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub id: HandoverId,
    /// The AI platform's configured id.
    pub platform: String,
    pub conversation_id: String,
    /// The chat bridge it is carried to: `slack` or `discord`.
    pub bridge: String,
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub user: EndUser,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub priority: Priority,
    /// The last [`crate::RECENT_TRANSCRIPT`] messages the AI platform sent with the request.
    pub recent: Vec<TranscriptEntry>,
    pub assignee: Option<Agent>,
    pub requested_at: Timestamp,
    pub taken_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Who ended it: an agent, or the AI platform.
    pub ended_by: Option<Agent>,
    pub end_reason: Option<String>,
    pub rating: Option<Rating>,
    pub location: Option<Location>,
    /// Whether the AI was muted from the request on (the `mute_ai` policy when it arrived).
    pub mute_on_request: bool,
    /// When the next reminder is due, while pending.
    pub next_reminder_at: Option<Timestamp>,
    pub reminders_sent: u32,
}
