//! The hand-back record the AI platform receives when a handover ends.

use serde::Serialize;

use crate::{Agent, Handover, Resolution, Role, TranscriptEntry};

/// Who handled the handover, how it ended, and the human part of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handback {
    pub agent: Option<Agent>,
    pub outcome: Option<Resolution>,
    /// Every relayed message from request to end, in order, without internal notes.
    pub transcript: Vec<TranscriptEntry>,
}

/// Builds the hand-back of `handover` from its stored transcript (in sequence order).
pub fn handback(handover: &Handover, transcript: &[TranscriptEntry]) -> Handback {
    Handback {
        agent: handover.assignee.clone(),
        outcome: handover.resolution,
        transcript: transcript
            .iter()
            .filter(|e| e.role != Role::Note)
            .cloned()
            .collect(),
    }
}
