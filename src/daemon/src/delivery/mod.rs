//! The outbox dispatcher: performs stored effects at least once, in order per lane
//! (conversation and sink), in parallel across lanes, with backoff and a give-up time.
//!
//! One task owns the lane queues; each lane has at most one delivery in flight. An entry
//! leaves the store only after its sink accepted it, so a restart re-drives the rest.

mod bridge_sink;
mod webhook;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use handover_core::{DeliveryOutcome, HandoverId};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bridge::{BoxFuture, DeliveryError};
use crate::clock::Clock;
use crate::metrics::{Metrics, inc};
use crate::store::{OutboxEntry, Store, Ticket};

pub use bridge_sink::{BridgeSink, coalesce};
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

type LaneId = (String, String);

enum Finished {
    Done(Delivered),
    GaveUp(Option<Report>),
    Cancelled,
}

pub struct Dispatcher {
    pub store: Store,
    pub sinks: HashMap<String, Arc<dyn Sink>>,
    pub reports: mpsc::UnboundedSender<Report>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

impl Dispatcher {
    /// Runs until `cancel`; entries already stored are picked up first. In-flight
    /// deliveries finish their current attempt; waiting retries stay in the store.
    pub async fn run(
        self,
        stored: Vec<OutboxEntry>,
        mut rx: mpsc::UnboundedReceiver<(Vec<OutboxEntry>, Ticket)>,
        cancel: CancellationToken,
    ) {
        let mut lanes: HashMap<LaneId, VecDeque<(OutboxEntry, Ticket)>> = HashMap::new();
        let mut busy: JoinSet<(LaneId, Vec<u64>, Finished)> = JoinSet::new();
        let mut in_flight: std::collections::HashSet<LaneId> = Default::default();
        for e in stored {
            lanes
                .entry((e.sink.clone(), e.lane.clone()))
                .or_default()
                .push_back((e, 0));
        }
        let ids: Vec<LaneId> = lanes.keys().cloned().collect();
        for id in ids {
            self.start(&id, &lanes, &mut busy, &mut in_flight, &cancel);
        }
        self.publish_depth(&lanes);
        loop {
            tokio::select! {
                msg = rx.recv() => {
                    let Some((entries, ticket)) = msg else { break };
                    for e in entries {
                        let id = (e.sink.clone(), e.lane.clone());
                        lanes.entry(id.clone()).or_default().push_back((e, ticket));
                        self.start(&id, &lanes, &mut busy, &mut in_flight, &cancel);
                    }
                    self.publish_depth(&lanes);
                }
                Some(done) = busy.join_next(), if !busy.is_empty() => {
                    let Ok((id, seqs, finished)) = done else { continue };
                    in_flight.remove(&id);
                    if matches!(finished, Finished::Cancelled) {
                        continue;
                    }
                    let done = self.finish(&seqs, finished);
                    if let Some(q) = lanes.get_mut(&id) {
                        q.drain(..done.min(q.len()));
                        if q.is_empty() {
                            lanes.remove(&id);
                        }
                    }
                    self.start(&id, &lanes, &mut busy, &mut in_flight, &cancel);
                    self.publish_depth(&lanes);
                }
                () = cancel.cancelled() => break,
            }
        }
        while let Some(Ok((_, seqs, finished))) = busy.join_next().await {
            if !matches!(finished, Finished::Cancelled) {
                self.finish(&seqs, finished);
            }
        }
    }

    fn start(
        &self,
        id: &LaneId,
        lanes: &HashMap<LaneId, VecDeque<(OutboxEntry, Ticket)>>,
        busy: &mut JoinSet<(LaneId, Vec<u64>, Finished)>,
        in_flight: &mut std::collections::HashSet<LaneId>,
        cancel: &CancellationToken,
    ) {
        if in_flight.contains(id) {
            return;
        }
        let Some(q) = lanes.get(id).filter(|q| !q.is_empty()) else {
            return;
        };
        // Entries for a sink that is not running wait in the store until it is.
        let Some(sink) = q
            .front()
            .and_then(|(e, _)| self.sinks.get(&e.sink))
            .cloned()
        else {
            return;
        };
        let size = sink.window().max(1);
        let ticket = q.iter().take(size).map(|(_, t)| *t).max().unwrap_or(0);
        let window: Vec<OutboxEntry> = q.iter().take(size).map(|(e, _)| e.clone()).collect();
        in_flight.insert(id.clone());
        let (store, clock, metrics, cancel, id) = (
            self.store.clone(),
            self.clock.clone(),
            self.metrics.clone(),
            cancel.clone(),
            id.clone(),
        );
        busy.spawn(async move {
            let finished =
                deliver(&*sink, &window, ticket, &store, &*clock, &metrics, &cancel).await;
            let n = match &finished {
                Finished::Done(d) => d.consumed.clamp(1, window.len()),
                _ => 1,
            };
            (id, window.iter().take(n).map(|e| e.seq).collect(), finished)
        });
    }

    /// Removes the performed entries from the store; returns how many there were.
    fn finish(&self, seqs: &[u64], finished: Finished) -> usize {
        for &seq in seqs {
            if let Err(e) = self.store.remove_outbox(seq) {
                tracing::error!(seq, error = %e, "Cannot remove a delivered outbox entry.");
            }
        }
        let report = match finished {
            Finished::Done(d) => d.report,
            Finished::GaveUp(report) => report,
            Finished::Cancelled => None,
        };
        if let Some(r) = report {
            let _ = self.reports.send(r);
        }
        seqs.len()
    }

    fn publish_depth(&self, lanes: &HashMap<LaneId, VecDeque<(OutboxEntry, Ticket)>>) {
        let mut depth: HashMap<&str, u64> = self.sinks.keys().map(|s| (s.as_str(), 0)).collect();
        for ((sink, _), q) in lanes {
            *depth.entry(sink.as_str()).or_default() += q.len() as u64;
        }
        for (sink, n) in depth {
            self.metrics.set_outbox_depth(sink, n);
        }
    }
}

async fn deliver(
    sink: &dyn Sink,
    window: &[OutboxEntry],
    ticket: Ticket,
    store: &Store,
    clock: &dyn Clock,
    metrics: &Metrics,
    cancel: &CancellationToken,
) -> Finished {
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
    let mut attempt = 0u32;
    loop {
        match sink.deliver(window).await {
            Ok(done) => {
                inc(&metrics.deliveries);
                return Finished::Done(done);
            }
            Err(e) => {
                attempt += 1;
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
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = cancel.cancelled() => return Finished::Cancelled,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
