//! The outbox dispatcher: performs stored effects at least once, in order per lane
//! (conversation and sink), in parallel across lanes, with backoff and a give-up time.
//!
//! One task owns the lane queues ([`Dispatcher`]); each lane has at most one delivery in
//! flight, and each sink at most [`dispatcher::SLOTS`] lanes. An entry leaves the store
//! only after its sink accepted it, so a restart re-drives the rest.

mod bridge_sink;
mod dispatcher;
mod webhook;

use std::time::Duration;

use handover_core::{DeliveryOutcome, HandoverId};
use tokio_util::sync::CancellationToken;

use crate::bridge::{BoxFuture, DeliveryError};
use crate::clock::Clock;
use crate::metrics::{Metrics, inc};
use crate::store::{OutboxEntry, Store, Ticket};

pub use bridge_sink::{BridgeSink, coalesce};
pub use dispatcher::Dispatcher;
pub use webhook::{WebhookSink, http_client, https_connector};

/// When to retry and when to give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

impl RetryPolicy {
    /// Exponential backoff with jitter: a random delay in `[d/2, d]`,
    /// `d = min(max, initial · 2^(attempt-1))`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        let d = self.initial.saturating_mul(factor).min(self.max);
        let half = d / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

/// What one delivery did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// How many of the leading entries it performed (at least one).
    pub consumed: usize,
    pub report: Option<Report>,
}

impl Delivered {
    pub fn one(report: Option<Report>) -> Self {
        Self {
            consumed: 1,
            report,
        }
    }
}

/// Something that can perform outbox entries.
pub trait Sink: Send + Sync + 'static {
    /// Performs `entries[0]`, and may cover some of the entries after it in the same
    /// delivery (a sink that combines messages when a lane backs up); says how many.
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>>;
    fn retry(&self) -> RetryPolicy;
    /// How many of a lane's next entries one delivery may see (1: no combining).
    fn window(&self) -> usize {
        1
    }
    /// What to tell the engine when `entry` is abandoned.
    fn gave_up(&self, _entry: &OutboxEntry, _reason: &str) -> Option<Report> {
        None
    }
    /// Whether a rate-limit answer (a 429 with `Retry-After`) holds every lane of this
    /// sink until then, not only the lane that got it: one endpoint that asked its
    /// caller to slow down (the AI platform's webhook). A chat's limits are per channel,
    /// so its sinks say no.
    fn rate_limit_holds_sink(&self) -> bool {
        false
    }
}

/// What a delivery tells the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Delivery {
        handover: HandoverId,
        message_id: String,
        outcome: DeliveryOutcome,
    },
}

enum Finished {
    Done(Delivered),
    GaveUp(Option<Report>),
    /// Failed; try again after this long.
    /// Try again after `delay`; with `hold_sink`, no lane of the sink starts before.
    Retry {
        delay: Duration,
        hold_sink: bool,
    },
    Cancelled,
}

/// One attempt at the lane's first entries (after waiting until their cause is on
/// disk): done, given up, or to be retried after a delay (the lane's slot is freed
/// meanwhile).
/// What a delivery task needs besides its entries.
struct Context {
    store: Store,
    clock: std::sync::Arc<dyn Clock>,
    metrics: std::sync::Arc<Metrics>,
    cancel: CancellationToken,
}

async fn deliver(
    sink: &dyn Sink,
    window: &[OutboxEntry],
    ticket: Ticket,
    attempt: u32,
    cx: &Context,
) -> Finished {
    let (store, clock, metrics, cancel) = (&cx.store, &*cx.clock, &*cx.metrics, &cx.cancel);
    // Never perform an effect whose cause might still be lost in a crash.
    while store.durable(ticket).await.is_err() {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = cancel.cancelled() => return Finished::Cancelled,
        }
    }
    let Some(entry) = window.first() else {
        return Finished::Cancelled;
    };
    let policy = sink.retry();
    // An attempt is never cut short: one that reached the chat must be recorded.
    match sink.deliver(window).await {
        Ok(done) => {
            inc(&metrics.deliveries);
            Finished::Done(done)
        }
        Err(e) => {
            let attempt = attempt + 1;
            inc(&metrics.delivery_failures);
            if e.retry_after.is_some() {
                inc(&metrics.rate_limited_remote);
            }
            if clock.now().since(entry.created_at) >= policy.give_up_after {
                inc(&metrics.deliveries_given_up);
                tracing::error!(sink = %entry.sink, handover = %entry.handover, seq = entry.seq, reason = %e.reason, "Delivery given up.");
                return Finished::GaveUp(sink.gave_up(entry, &e.reason));
            }
            let delay = policy.delay(attempt).max(e.retry_after.unwrap_or_default());
            inc(&metrics.delivery_retries);
            tracing::warn!(sink = %entry.sink, handover = %entry.handover, attempt, retry_in_ms = delay.as_millis() as u64, reason = %e.reason, "Delivery failed; will retry.");
            Finished::Retry {
                delay,
                hold_sink: e.retry_after.is_some() && sink.rate_limit_holds_sink(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_slots;
