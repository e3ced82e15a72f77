//! Outbox records: effects stored with the step that caused them, performed later.

use handover_core::{BridgeEffect, HandoverId, Timestamp};
use serde::{Deserialize, Serialize};

/// One effect waiting to be performed by its sink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Global, monotonic: the order of entries within a lane.
    pub seq: u64,
    /// Who performs it: `webhook:<platform id>` or `bridge:<slack|discord>`.
    pub sink: String,
    /// Entries of one lane (a conversation) are performed strictly in order.
    pub lane: String,
    pub handover: HandoverId,
    pub created_at: Timestamp,
    pub item: OutboxItem,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxItem {
    /// An event for the AI platform: the exact body to send, so retries are identical.
    Event {
        event_id: String,
        kind: String,
        body: String,
    },
    Bridge(BridgeEffect),
}

impl OutboxEntry {
    pub fn webhook_sink(platform: &str) -> String {
        format!("webhook:{platform}")
    }

    pub fn bridge_sink(bridge: &str) -> String {
        format!("bridge:{bridge}")
    }
}
