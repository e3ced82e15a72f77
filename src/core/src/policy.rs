//! The handover policy from configuration, and the AI gate it drives.

use std::time::Duration;

use crate::{Handover, Route, Status};

/// When the AI stops answering the user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MuteAi {
    /// From take-over to end (the default).
    #[default]
    OnTakeOver,
    /// From the request to the end.
    OnRequest,
}

/// The `[handover]` settings the state machine follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub mute_ai: MuteAi,
    pub return_to_ai: bool,
    pub take_over_on_reply: bool,
    pub remind_after: Duration,
    pub remind_every: Duration,
    pub note_prefix: String,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            mute_ai: MuteAi::OnTakeOver,
            return_to_ai: true,
            take_over_on_reply: true,
            remind_after: Duration::from_secs(5 * 60),
            remind_every: Duration::from_secs(15 * 60),
            note_prefix: "//".to_owned(),
        }
    }
}

/// The AI gate: may the AI answer a conversation whose open handover is `open`?
pub fn route(open: Option<&Handover>) -> Route {
    match open {
        Some(h) if h.status == Status::InProgress => Route::Human,
        Some(h) if h.status == Status::Pending && h.mute_on_request => Route::Human,
        _ => Route::Ai,
    }
}
