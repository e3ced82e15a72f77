//! Turns a step's effects into outbox entries: signed-later webhook bodies and bridge work.

use handover_core::{Effect, EgressEvent, Handover, Timestamp, TranscriptEntry, handback};
use serde_json::json;

use crate::clock::rfc3339;
use crate::store::{OutboxEntry, OutboxItem, Store, StoreError};
use crate::views;

/// The lane of a conversation: its effects are performed in order.
pub fn lane(h: &Handover) -> String {
    format!("{}/{}", h.platform, h.conversation_id)
}

/// Builds the outbox entries for `effects` of a step on `h` at `now`. `append` are the
/// step's new transcript entries (not stored yet), needed for a hand-back.
pub fn outbox_entries(
    store: &Store,
    h: &Handover,
    effects: Vec<Effect>,
    append: &[TranscriptEntry],
    now: Timestamp,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut out = Vec::with_capacity(effects.len());
    for effect in effects {
        let (sink, item) = match effect {
            Effect::Bridge(b) => (OutboxEntry::bridge_sink(&h.bridge), OutboxItem::Bridge(b)),
            Effect::Egress(e) => (
                OutboxEntry::webhook_sink(&h.platform),
                event(store, h, e, append, now)?,
            ),
        };
        out.push(OutboxEntry {
            seq: store.next_seq()?,
            sink,
            lane: lane(h),
            handover: h.id,
            created_at: now,
            item,
        });
    }
    Ok(out)
}

fn event(
    store: &Store,
    h: &Handover,
    e: EgressEvent,
    append: &[TranscriptEntry],
    now: Timestamp,
) -> Result<OutboxItem, StoreError> {
    let (kind, data) = match e {
        EgressEvent::Taken { agent } => ("handover.taken", json!({ "agent": agent })),
        EgressEvent::Assigned {
            agent,
            previous,
            by,
        } => (
            "handover.assigned",
            json!({ "agent": agent, "previous_agent": previous, "by": by }),
        ),
        EgressEvent::AgentMessage {
            message_id,
            agent,
            text,
            attachments,
        } => (
            "agent.message",
            json!({ "message_id": message_id, "agent": agent, "text": text, "attachments": attachments }),
        ),
        EgressEvent::Ended {
            resolution,
            agent,
            reason,
        } => {
            let mut transcript = store.transcript(h.id)?;
            transcript.extend_from_slice(append);
            let back = handback(h, &transcript);
            (
                "handover.ended",
                json!({
                    "resolution": resolution,
                    "agent": agent,
                    "reason": reason,
                    "handback": views::handback(&back),
                }),
            )
        }
    };
    let event_id = format!("evt_{:032x}", rand::random::<u128>());
    let body = json!({
        "event_id": event_id,
        "type": kind,
        "occurred_at": rfc3339(now),
        "conversation_id": h.conversation_id,
        "handover_id": h.id,
        "data": data,
    });
    Ok(OutboxItem::Event {
        event_id,
        kind: kind.to_owned(),
        body: body.to_string(),
    })
}
