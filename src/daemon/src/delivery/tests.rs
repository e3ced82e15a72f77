//! Dispatcher tests with a recording sink and a real store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use handover_core::{BridgeEffect, HandoverId, Timestamp};

use super::*;
use crate::clock::ManualClock;
use crate::store::{OutboxItem, Write};

/// Records what it delivered; fails each entry's first `fail_first` attempts.
struct Recorder {
    seen: Mutex<Vec<(String, u64)>>,
    attempts: Mutex<HashMap<u64, u32>>,
    fail_first: u32,
    retry_after: Option<Duration>,
    retry: RetryPolicy,
}

impl Recorder {
    fn new(fail_first: u32, give_up_after: Duration) -> Arc<Self> {
        Arc::new(Self {
            seen: Mutex::default(),
            attempts: Mutex::default(),
            fail_first,
            retry_after: None,
            retry: RetryPolicy {
                initial: Duration::from_millis(5),
                max: Duration::from_millis(20),
                give_up_after,
            },
        })
    }
}

impl Sink for Recorder {
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let entry = &entries[0];
            let n = {
                let mut a = self.attempts.lock().expect("lock");
                let n = a.entry(entry.seq).or_default();
                *n += 1;
                *n
            };
            if n <= self.fail_first {
                return Err(DeliveryError {
                    reason: "down".into(),
                    retry_after: self.retry_after,
                });
            }
            self.seen
                .lock()
                .expect("lock")
                .push((entry.lane.clone(), entry.seq));
            Ok(Delivered::one(None))
        })
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }

    fn gave_up(&self, entry: &OutboxEntry, reason: &str) -> Option<Report> {
        Some(Report::Delivery {
            handover: entry.handover,
            message_id: entry.seq.to_string(),
            outcome: DeliveryOutcome::Failed {
                reason: reason.into(),
            },
        })
    }
}

pub(super) fn entry(store: &Store, lane: &str) -> OutboxEntry {
    OutboxEntry {
        seq: store.next_seq().expect("seq"),
        sink: "test".into(),
        lane: lane.into(),
        handover: HandoverId(1),
        created_at: Timestamp(0),
        item: OutboxItem::Bridge(BridgeEffect::UpdateCard),
    }
}

pub(super) struct Harness {
    pub(super) store: Store,
    pub(super) tx: mpsc::UnboundedSender<(Vec<OutboxEntry>, Ticket)>,
    reports: mpsc::UnboundedReceiver<Report>,
    pub(super) cancel: CancellationToken,
    pub(super) task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

pub(super) fn harness(
    sink: Arc<dyn Sink>,
    clock: ManualClock,
    stored: Vec<OutboxEntry>,
    dir: tempfile::TempDir,
    store: Store,
) -> Harness {
    let (tx, rx) = mpsc::unbounded_channel();
    let (rtx, reports) = mpsc::unbounded_channel();
    let mut sinks: HashMap<String, Arc<dyn Sink>> = HashMap::new();
    sinks.insert("test".into(), sink);
    let d = Dispatcher {
        store: store.clone(),
        sinks,
        reports: rtx,
        clock: Arc::new(clock),
        metrics: Arc::default(),
    };
    let cancel = CancellationToken::new();
    store.spawn_flusher(cancel.clone());
    let task = tokio::spawn(d.run(stored, rx, cancel.clone()));
    Harness {
        store,
        tx,
        reports,
        cancel,
        task,
        _dir: dir,
    }
}

pub(super) fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("open");
    (dir, store)
}

pub(super) async fn wait_until(mut ok: impl FnMut() -> bool) {
    for _ in 0..500 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 5 s");
}

#[tokio::test]
async fn each_lane_is_delivered_in_order_despite_failures_and_then_removed() {
    let (dir, store) = new_store();
    let sink = Recorder::new(2, Duration::from_secs(3600));
    let h = harness(sink.clone(), ManualClock::default(), Vec::new(), dir, store);
    let mut sent = Vec::new();
    for i in 0..30 {
        let lane = format!("lane-{}", i % 3);
        let e = entry(&h.store, &lane);
        sent.push((lane, e.seq));
        let t = h
            .store
            .apply(&Write {
                outbox: std::slice::from_ref(&e),
                ..Write::default()
            })
            .expect("apply");
        h.tx.send((vec![e], t)).expect("send");
    }
    wait_until(|| sink.seen.lock().expect("lock").len() == 30).await;
    let seen = sink.seen.lock().expect("lock").clone();
    for lane in ["lane-0", "lane-1", "lane-2"] {
        let want: Vec<u64> = sent
            .iter()
            .filter(|(l, _)| l == lane)
            .map(|(_, s)| *s)
            .collect();
        let got: Vec<u64> = seen
            .iter()
            .filter(|(l, _)| l == lane)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(got, want, "{lane} out of order");
    }
    wait_until(|| h.store.outbox_len() == 0).await;
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}

#[tokio::test]
async fn stored_entries_are_delivered_after_a_restart() {
    let (dir, store) = new_store();
    let stored: Vec<OutboxEntry> = (0..5).map(|_| entry(&store, "lane")).collect();
    store
        .apply(&Write {
            outbox: &stored,
            ..Write::default()
        })
        .expect("apply");
    let sink = Recorder::new(0, Duration::from_secs(3600));
    let h = harness(
        sink.clone(),
        ManualClock::default(),
        stored.clone(),
        dir,
        store,
    );
    wait_until(|| sink.seen.lock().expect("lock").len() == 5).await;
    let seqs: Vec<u64> = sink
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(seqs, stored.iter().map(|e| e.seq).collect::<Vec<_>>());
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}

#[tokio::test]
async fn an_entry_is_given_up_after_the_limit_and_reported_not_dropped_silently() {
    let (dir, store) = new_store();
    let clock = ManualClock::at(Timestamp(0));
    let sink = Recorder::new(u32::MAX, Duration::from_secs(60));
    let mut h = harness(sink.clone(), clock.clone(), Vec::new(), dir, store);
    let e = entry(&h.store, "lane");
    let t = h
        .store
        .apply(&Write {
            outbox: std::slice::from_ref(&e),
            ..Write::default()
        })
        .expect("apply");
    h.tx.send((vec![e.clone()], t)).expect("send");
    wait_until(|| {
        sink.attempts
            .lock()
            .expect("lock")
            .get(&e.seq)
            .copied()
            .unwrap_or(0)
            >= 2
    })
    .await;
    assert!(
        h.reports.try_recv().is_err(),
        "nothing is reported before the limit"
    );
    clock.advance(Duration::from_secs(61));
    let report = tokio::time::timeout(Duration::from_secs(5), h.reports.recv())
        .await
        .expect("in time");
    assert!(
        matches!(
            report,
            Some(Report::Delivery {
                outcome: DeliveryOutcome::Failed { .. },
                ..
            })
        ),
        "{report:?}"
    );
    wait_until(|| h.store.outbox_len() == 0).await;
    h.cancel.cancel();
    h.task.await.expect("dispatcher");
}

#[test]
fn backoff_grows_exponentially_within_its_cap_with_jitter() {
    let p = RetryPolicy {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(60),
        give_up_after: Duration::MAX,
    };
    for attempt in 1..=20u32 {
        let full = Duration::from_secs(1)
            .saturating_mul(2u32.saturating_pow(attempt - 1))
            .min(p.max);
        for _ in 0..20 {
            let d = p.delay(attempt);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}

fn relay(
    store: &Store,
    lane: &str,
    handover: u64,
    role: handover_core::Role,
    text: &str,
) -> OutboxEntry {
    let entry = handover_core::TranscriptEntry {
        role,
        text: text.into(),
        at: Timestamp(0),
        agent: None,
        message_id: None,
        attachments: Vec::new(),
    };
    OutboxEntry {
        handover: HandoverId(handover),
        item: OutboxItem::Bridge(BridgeEffect::Relay { entry }),
        ..entry_for(store, lane)
    }
}

fn entry_for(store: &Store, lane: &str) -> OutboxEntry {
    entry(store, lane)
}

#[test]
fn consecutive_user_messages_of_one_handover_are_combined_and_nothing_else() {
    use handover_core::Role::{Ai, User};
    let (_dir, store) = new_store();
    let q = vec![
        relay(&store, "l", 1, User, "one"),
        relay(&store, "l", 1, User, "two"),
        relay(&store, "l", 1, User, "three"),
        relay(&store, "l", 1, Ai, "ai answer"),
        relay(&store, "l", 1, User, "four"),
    ];
    let (n, combined) = coalesce(&q).expect("combined");
    assert_eq!(n, 3, "stops at the AI message");
    assert_eq!(combined.text, "one\ntwo\nthree");
    assert_eq!(coalesce(&q[3..]), None, "an AI message is never combined");
    assert_eq!(coalesce(&q[4..]), None, "a lone message is posted as it is");
    let other = vec![
        relay(&store, "l", 1, User, "a"),
        relay(&store, "l", 2, User, "b"),
    ];
    assert_eq!(coalesce(&other), None, "never across handovers");
    let long = "x".repeat(2_999);
    let big = vec![
        relay(&store, "l", 1, User, &long),
        relay(&store, "l", 1, User, "y"),
    ];
    assert_eq!(
        coalesce(&big),
        None,
        "a combined post stays under its size limit"
    );
}
