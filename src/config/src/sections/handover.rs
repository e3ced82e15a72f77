//! Owns `[handover]`: whether handover is on, when the AI is muted, reminders, note prefix.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::raw::RawHandover;
use crate::validate::{self, Errors, quote};

/// `[handover]`. `enabled` only seeds the runtime state kept in the store.
#[derive(Debug, Clone)]
pub struct HandoverConfig {
    /// Default true.
    pub enabled: bool,
    /// Default `on_take_over`.
    pub mute_ai: MuteAi,
    /// `end` returns the conversation to the AI (true, default) or closes it.
    pub return_to_ai: bool,
    /// A selected member's thread reply takes the handover over. Default true.
    pub take_over_on_reply: bool,
    /// First reminder of an untaken handover; >= 10s, default 5m.
    pub remind_after: Duration,
    /// Interval of further reminders; >= 1m, default 15m.
    pub remind_every: Duration,
    /// Replies starting with this are internal notes; 1–8 chars, no whitespace. Default "//".
    pub note_prefix: String,
}

/// When the AI is muted for a conversation with an open handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MuteAi {
    /// From take-over to end (default).
    OnTakeOver,
    /// From the request to end.
    OnRequest,
}

impl MuteAi {
    pub fn as_str(self) -> &'static str {
        match self {
            MuteAi::OnTakeOver => "on_take_over",
            MuteAi::OnRequest => "on_request",
        }
    }
}

impl fmt::Display for MuteAi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) fn validate(raw: &RawHandover, e: &mut Errors) -> HandoverConfig {
    let mute_ai = match raw.mute_ai.as_str() {
        "on_take_over" => MuteAi::OnTakeOver,
        "on_request" => MuteAi::OnRequest,
        other => {
            e.push(
                "handover.mute_ai",
                format!(
                    "expected \"on_take_over\" or \"on_request\", got {}",
                    quote(other)
                ),
            );
            MuteAi::OnTakeOver
        }
    };
    let remind_after = validate::duration(
        e,
        "handover.remind_after",
        &raw.remind_after,
        Duration::from_secs(10),
        None,
        Duration::from_secs(5 * 60),
    );
    let remind_every = validate::duration(
        e,
        "handover.remind_every",
        &raw.remind_every,
        Duration::from_secs(60),
        None,
        Duration::from_secs(15 * 60),
    );
    let len = raw.note_prefix.chars().count();
    if !(1..=8).contains(&len) || raw.note_prefix.chars().any(char::is_whitespace) {
        e.push(
            "handover.note_prefix",
            format!(
                "expected 1 to 8 characters without spaces, such as \"//\", got {}",
                quote(&raw.note_prefix)
            ),
        );
    }
    HandoverConfig {
        enabled: raw.enabled,
        mute_ai,
        return_to_ai: raw.return_to_ai,
        take_over_on_reply: raw.take_over_on_reply,
        remind_after,
        remind_every,
        note_prefix: raw.note_prefix.clone(),
    }
}
