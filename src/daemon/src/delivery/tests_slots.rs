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
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
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
