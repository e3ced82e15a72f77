//! Outbox entries for a chat bridge: rendered from the handover's latest stored state.

use std::sync::Arc;

use handover_core::Command;

use super::{Report, RetryPolicy, Sink};
use crate::bridge::{BoxFuture, Bridge, DeliveryError};
use crate::engine::{Engine, Target};
use crate::store::{OutboxEntry, OutboxItem};

pub struct BridgeSink {
    pub bridge: Arc<dyn Bridge>,
    pub engine: Engine,
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
                .engine
                .store()
                .handover(entry.handover)
                .map_err(|e| DeliveryError::new(e.to_string()))?
                .ok_or_else(|| {
                    DeliveryError::new(format!("{} is not in the store", entry.handover))
                })?;
            let performed = self.bridge.perform(&self.engine, &handover, effect).await?;
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
            Ok(None)
        })
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }
}
