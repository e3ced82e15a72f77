//! Outbox entries for a chat bridge: rendered from the handover's latest stored state.
//! When a conversation's lane backs up (the chat platform is rate limiting), the
//! end-user messages waiting next to each other are combined into one post.

use std::sync::Arc;

use handover_core::{BridgeEffect, Command, Role, TranscriptEntry};

use super::{Delivered, RetryPolicy, Sink};
use crate::bridge::{BoxFuture, Bridge, DeliveryError};
use crate::engine::{Engine, Target};
use crate::store::{OutboxEntry, OutboxItem};

/// The longest text a combined post may reach (single messages are never cut here).
const COMBINED_MAX_CHARS: usize = 3_000;

pub struct BridgeSink {
    pub bridge: Arc<dyn Bridge>,
    pub engine: Engine,
    pub retry: RetryPolicy,
}

/// The end-user message an entry relays, if it is one.
fn user_relay(e: &OutboxEntry) -> Option<&TranscriptEntry> {
    match &e.item {
        OutboxItem::Bridge(BridgeEffect::Relay { entry }) if entry.role == Role::User => {
            Some(entry)
        }
        _ => None,
    }
}

/// Combines the consecutive end-user messages at the head of `entries` (same
/// handover) into one; returns how many it took and the combined message, or `None`
/// when there is nothing to combine.
pub fn coalesce(entries: &[OutboxEntry]) -> Option<(usize, TranscriptEntry)> {
    let first = entries.first()?;
    let mut combined = user_relay(first)?.clone();
    let mut taken = 1;
    for e in &entries[1..] {
        let Some(next) = user_relay(e).filter(|_| e.handover == first.handover) else {
            break;
        };
        if combined.text.chars().count() + 1 + next.text.chars().count() > COMBINED_MAX_CHARS {
            break;
        }
        combined.text.push('\n');
        combined.text.push_str(&next.text);
        combined
            .attachments
            .extend(next.attachments.iter().cloned());
        combined.at = next.at;
        taken += 1;
    }
    (taken > 1).then_some((taken, combined))
}

impl Sink for BridgeSink {
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let Some(entry) = entries.first() else {
                return Ok(Delivered::one(None));
            };
            let OutboxItem::Bridge(effect) = &entry.item else {
                return Ok(Delivered::one(None));
            };
            let handover = self
                .engine
                .store()
                .handover(entry.handover)
                .map_err(|e| DeliveryError::new(e.to_string()))?
                .ok_or_else(|| {
                    DeliveryError::new(format!("{} is not in the store", entry.handover))
                })?;
            let combined = coalesce(entries);
            let (consumed, performed) = match &combined {
                Some((n, message)) => {
                    let effect = BridgeEffect::Relay {
                        entry: message.clone(),
                    };
                    (
                        *n,
                        self.bridge
                            .perform(&self.engine, &handover, &effect)
                            .await?,
                    )
                }
                None => (
                    1,
                    self.bridge.perform(&self.engine, &handover, effect).await?,
                ),
            };
            // Record where it lives before the lane's next effect, which may need it.
            if let Some(location) = performed.location {
                let cmd = Command::Posted { location };
                let accepted = self
                    .engine
                    .submit(Target::Handover(handover.id), cmd, None)
                    .await
                    .map_err(|e| DeliveryError::new(format!("cannot record the post: {e}")))?;
                self.engine
                    .store()
                    .durable(accepted.ticket)
                    .await
                    .map_err(|e| DeliveryError::new(e.to_string()))?;
            }
            Ok(Delivered {
                consumed,
                report: None,
            })
        })
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Enough to catch up a backed-up conversation in a few posts.
    fn window(&self) -> usize {
        16
    }

    /// A chat's 429 that reaches the outbox holds the whole bridge: Slack's may be for
    /// the workspace (its posting limit is unpublished) and calling on risks the app
    /// being disabled; Discord's reach the outbox only when longer than `max_wait`,
    /// which in practice is the global limit. The bridge then probes with one lane.
    fn rate_limit_holds_sink(&self) -> bool {
        true
    }
}
