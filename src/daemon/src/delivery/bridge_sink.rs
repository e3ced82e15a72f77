//! Outbox entries for a chat bridge: rendered from the handover's latest stored state.

use std::sync::Arc;

use super::{Report, RetryPolicy, Sink};
use crate::bridge::{BoxFuture, Bridge, DeliveryError};
use crate::store::{OutboxEntry, OutboxItem, Store};

pub struct BridgeSink {
    pub bridge: Arc<dyn Bridge>,
    pub store: Store,
    pub retry: RetryPolicy,
}

impl Sink for BridgeSink {
    fn deliver<'a>(
        &'a self,
        entry: &'a OutboxEntry,
    ) -> BoxFuture<'a, Result<Option<Report>, DeliveryError>> {
        Box::pin(async move {
            let OutboxItem::Bridge(effect) = &entry.item else {
                return Ok(None);
            };
            let handover = self
                .store
                .handover(entry.handover)
                .map_err(|e| DeliveryError::new(e.to_string()))?
                .ok_or_else(|| {
                    DeliveryError::new(format!("{} is not in the store", entry.handover))
                })?;
            let performed = self.bridge.perform(&handover, effect).await?;
            Ok(performed.location.map(|location| Report::Posted {
                handover: handover.id,
                location,
            }))
        })
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }
}
