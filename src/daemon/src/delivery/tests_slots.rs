//! The dispatcher's slots: a sink never has more than [`SLOTS`] lanes in flight, and a
//! lane that keeps failing frees its slot while it waits to retry.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::dispatcher::SLOTS;
use super::tests::{entry, harness, new_store, wait_until};
use super::*;
use crate::clock::ManualClock;
use crate::store::Write;

/// Takes 5 ms, counted in `now` meanwhile; returns how many were in flight with it.
async fn in_flight(now: &AtomicUsize) -> usize {
    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(5)).await;
    now.fetch_sub(1, Ordering::SeqCst);
    n
}

/// Counts deliveries in flight; lanes named `stuck-…` always fail (retry in 30 s).
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
    done: Mutex<Vec<String>>,
}

impl Sink for Gauge {
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let n = in_flight(&self.now).await;
            self.most.fetch_max(n, Ordering::SeqCst);
            let lane = &entries[0].lane;
            if lane.starts_with("stuck-") {
                return Err(DeliveryError {
                    reason: "channel deleted".into(),
                    retry_after: Some(Duration::from_secs(30)),
                });
            }
            self.done.lock().expect("lock").push(lane.clone());
            Ok(Delivered::one(None))
        })
    }

    fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            give_up_after: Duration::from_secs(86_400),
        }
    }
}

async fn send(h: &super::tests::Harness, lanes: impl Iterator<Item = String>) {
    for lane in lanes {
        let e = entry(&h.store, &lane);
        let t = h
            .store
            .apply(&Write {
                outbox: std::slice::from_ref(&e),
                ..Write::default()
            })
            .expect("apply");
        h.tx.send((vec![e], t)).expect("send");
    }
}

#[tokio::test]
async fn a_sink_has_at_most_its_slots_in_flight() {
    let (dir, store) = new_store();
    let sink = Arc::new(Gauge::default());
    let h = harness(sink.clone(), ManualClock::default(), Vec::new(), dir, store);
    send(&h, (0..500).map(|i| format!("lane-{i}"))).await;
    wait_until(|| sink.done.lock().expect("lock").len() == 500).await;
    let most = sink.most.load(Ordering::SeqCst);
    assert!(most <= SLOTS, "{most} in flight");
    assert!(most > SLOTS / 2, "lanes do run in parallel: {most}");
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}

#[tokio::test]
async fn lanes_that_keep_failing_do_not_hold_the_slots() {
    let (dir, store) = new_store();
    let sink = Arc::new(Gauge::default());
    let h = harness(sink.clone(), ManualClock::default(), Vec::new(), dir, store);
    // More failing lanes than slots, then healthy ones behind them.
    send(&h, (0..SLOTS * 2).map(|i| format!("stuck-{i}"))).await;
    send(&h, (0..100).map(|i| format!("lane-{i}"))).await;
    wait_until(|| sink.done.lock().expect("lock").len() == 100).await;
    assert_eq!(h.store.outbox_len(), SLOTS * 2, "the failing ones wait");
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}

/// An endpoint that answers 429 (`Retry-After` 300 ms) until `open_at`, then accepts;
/// its limit covers all lanes, as the AI platform's webhook's does.
struct Limited {
    open_at: tokio::time::Instant,
    refused: AtomicUsize,
    now: AtomicUsize,
    most_while_cautious: AtomicUsize,
    done: Mutex<Vec<String>>,
}

impl Sink for Limited {
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let n = in_flight(&self.now).await;
            if tokio::time::Instant::now() < self.open_at {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return Err(DeliveryError {
                    reason: "429 Too Many Requests".into(),
                    retry_after: Some(Duration::from_millis(300)),
                });
            }
            if self.done.lock().expect("lock").is_empty() {
                // The first success: everything before it ran under the hold.
                self.most_while_cautious.fetch_max(n, Ordering::SeqCst);
            }
            self.done
                .lock()
                .expect("lock")
                .push(entries[0].lane.clone());
            Ok(Delivered::one(None))
        })
    }

    fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            give_up_after: Duration::from_secs(86_400),
        }
    }

    fn rate_limit_holds_sink(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_rate_limited_endpoint_is_held_then_probed_by_one_lane_not_stormed() {
    let (dir, store) = new_store();
    let sink = Arc::new(Limited {
        open_at: tokio::time::Instant::now() + Duration::from_millis(800),
        refused: AtomicUsize::new(0),
        now: AtomicUsize::new(0),
        most_while_cautious: AtomicUsize::new(0),
        done: Mutex::default(),
    });
    let h = harness(sink.clone(), ManualClock::default(), Vec::new(), dir, store);
    send(&h, (0..40).map(|i| format!("lane-{i}"))).await;
    wait_until(|| sink.done.lock().expect("lock").len() == 40).await;
    // The first wave (in flight before the first 429 came back) is refused; then one
    // probe per Retry-After, not 40 retries each time.
    let refused = sink.refused.load(Ordering::SeqCst);
    assert!(refused <= 40 + 4, "{refused} requests refused");
    assert_eq!(
        sink.most_while_cautious.load(Ordering::SeqCst),
        1,
        "the first success came from a lone probe"
    );
    let mut done = sink.done.lock().expect("lock").clone();
    done.sort();
    done.dedup();
    assert_eq!(done.len(), 40, "every lane delivered once");
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}
