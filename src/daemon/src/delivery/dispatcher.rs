//! The dispatcher: one task that owns every lane's queue and decides what runs.
//!
//! - A lane (sink, conversation) has at most one delivery in flight: order is kept.
//! - A sink has at most [`SLOTS`] lanes in flight; other ready lanes wait their turn in
//!   arrival order. Ten thousand conversations backed up behind a chat's rate limit or
//!   an outage are then ten thousand short queues, not ten thousand live requests.
//! - A failed attempt frees its slot; the lane sleeps on a timer until its retry is
//!   due, so a lane that keeps failing (a deleted channel) cannot hold a slot for the
//!   day it takes to give up.
//! - A sink whose rate limit covers all its lanes (the AI platform's webhook) is held:
//!   after a 429 with `Retry-After`, none of its lanes starts before that time, and
//!   then one lane at a time until a delivery succeeds. A storm of conversations sends
//!   one request per wait, not one per conversation.
//! - Queues hold sequence numbers only; a delivery reads its entries from the store
//!   when it starts, so a long backlog costs a few bytes an entry in memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Context, Finished, Report, Sink, deliver};
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::{OutboxEntry, Store, Ticket};

/// Lanes in flight per sink.
pub const SLOTS: usize = 64;

type LaneId = (String, String);

#[derive(Default)]
struct Lane {
    /// Sequence numbers and the tickets of the steps that stored them.
    queue: VecDeque<(u64, Ticket)>,
    /// Failed attempts at the entry in front.
    attempt: u32,
    /// Waiting for a retry timer.
    sleeping: bool,
}

pub struct Dispatcher {
    pub store: Store,
    pub sinks: HashMap<String, Arc<dyn Sink>>,
    pub reports: mpsc::UnboundedSender<Report>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

/// The dispatcher's state while it runs.
#[derive(Default)]
struct State {
    lanes: HashMap<LaneId, Lane>,
    in_flight: HashSet<LaneId>,
    /// Per sink: lanes in flight, and ready lanes waiting for a slot (each once).
    running: HashMap<String, usize>,
    waiting: HashMap<String, VecDeque<LaneId>>,
    queued: HashSet<LaneId>,
    depth: HashMap<String, u64>,
    /// Sinks held after a rate-limit answer, until when.
    held: HashMap<String, tokio::time::Instant>,
    /// Sinks that run one lane at a time, from a rate-limit answer to the next success.
    cautious: HashSet<String>,
}

impl State {
    /// How many lanes of `sink` may be in flight now.
    fn slots(&self, sink: &str) -> usize {
        if self.cautious.contains(sink) {
            1
        } else {
            SLOTS
        }
    }
}

type Busy = JoinSet<(LaneId, Vec<u64>, Finished)>;
type Timers = JoinSet<LaneId>;

/// The running deliveries and the retry timers, for [`Dispatcher::start`].
struct Work<'a> {
    busy: &'a mut Busy,
    timers: &'a mut Timers,
}

fn work<'a>(busy: &'a mut Busy, timers: &'a mut Timers) -> Work<'a> {
    Work { busy, timers }
}

/// Wakes lane `id` at `at`.
fn wake(timers: &mut Timers, id: LaneId, at: tokio::time::Instant) {
    timers.spawn(async move {
        tokio::time::sleep_until(at).await;
        id
    });
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
        let mut st = State::default();
        let mut busy: Busy = JoinSet::new();
        let mut timers: Timers = JoinSet::new();
        for sink in self.sinks.keys() {
            st.depth.insert(sink.clone(), 0);
        }
        let mut ids = Vec::new();
        for e in stored {
            ids.push(st.push(e, 0));
        }
        for id in ids {
            self.start(&id, &mut st, &mut work(&mut busy, &mut timers), &cancel);
        }
        self.publish_depth(&st);
        loop {
            tokio::select! {
                msg = rx.recv() => {
                    let Some((entries, ticket)) = msg else { break };
                    for e in entries {
                        let id = st.push(e, ticket);
                        self.start(&id, &mut st, &mut work(&mut busy, &mut timers), &cancel);
                    }
                    self.publish_depth(&st);
                }
                Some(done) = busy.join_next(), if !busy.is_empty() => {
                    let Ok((id, seqs, finished)) = done else { continue };
                    st.in_flight.remove(&id);
                    if let Some(n) = st.running.get_mut(&id.0) {
                        *n = n.saturating_sub(1);
                    }
                    match finished {
                        Finished::Cancelled => continue,
                        Finished::Retry { delay, hold_sink } => {
                            if let Some(lane) = st.lanes.get_mut(&id) {
                                lane.attempt += 1;
                                lane.sleeping = true;
                            }
                            let at = tokio::time::Instant::now() + delay;
                            if hold_sink {
                                let until = st.held.entry(id.0.clone()).or_insert(at);
                                *until = (*until).max(at);
                                st.cautious.insert(id.0.clone());
                            }
                            wake(&mut timers, id.clone(), at);
                        }
                        done => {
                            if matches!(done, Finished::Done(_)) {
                                st.cautious.remove(&id.0);
                            }
                            let n = self.finish(&seqs, done);
                            st.drain(&id, n);
                            self.start(&id, &mut st, &mut work(&mut busy, &mut timers), &cancel);
                        }
                    }
                    self.next_waiting(&id.0, &mut st, &mut work(&mut busy, &mut timers), &cancel);
                    self.publish_depth(&st);
                }
                Some(woke) = timers.join_next(), if !timers.is_empty() => {
                    let Ok(id) = woke else { continue };
                    if let Some(lane) = st.lanes.get_mut(&id) {
                        lane.sleeping = false;
                    }
                    self.start(&id, &mut st, &mut work(&mut busy, &mut timers), &cancel);
                }
                () = cancel.cancelled() => break,
            }
        }
        while let Some(Ok((_, seqs, finished))) = busy.join_next().await {
            if matches!(finished, Finished::Done(_) | Finished::GaveUp(_)) {
                self.finish(&seqs, finished);
            }
        }
    }

    /// Starts `id` if it has work, is not in flight or asleep, its sink is not held and
    /// has a free slot; a held sink's lane sleeps until the hold ends; otherwise the lane
    /// is queued for a slot (once).
    fn start(&self, id: &LaneId, st: &mut State, work: &mut Work<'_>, cancel: &CancellationToken) {
        if st.in_flight.contains(id) {
            return;
        }
        let held = st
            .held
            .get(&id.0)
            .copied()
            .filter(|until| *until > tokio::time::Instant::now());
        let slots = st.slots(&id.0);
        let Some(lane) = st
            .lanes
            .get_mut(id)
            .filter(|l| !l.queue.is_empty() && !l.sleeping)
        else {
            return;
        };
        if let Some(until) = held {
            lane.sleeping = true;
            wake(work.timers, id.clone(), until);
            return;
        }
        let busy = &mut *work.busy;
        // Entries for a sink that is not running wait in the store until it is.
        let Some(sink) = self.sinks.get(&id.0).cloned() else {
            return;
        };
        let running = st.running.get(&id.0).copied().unwrap_or(0);
        if running >= slots {
            if st.queued.insert(id.clone()) {
                st.waiting
                    .entry(id.0.clone())
                    .or_default()
                    .push_back(id.clone());
            }
            return;
        }
        let size = sink.window().max(1);
        let ticket = lane
            .queue
            .iter()
            .take(size)
            .map(|(_, t)| *t)
            .max()
            .unwrap_or(0);
        let seqs: Vec<u64> = lane.queue.iter().take(size).map(|(s, _)| *s).collect();
        let attempt = lane.attempt;
        st.in_flight.insert(id.clone());
        *st.running.entry(id.0.clone()).or_default() += 1;
        let cx = Context {
            store: self.store.clone(),
            clock: self.clock.clone(),
            metrics: self.metrics.clone(),
            cancel: cancel.clone(),
        };
        let id = id.clone();
        busy.spawn(async move {
            let window = match load(&cx.store, &seqs) {
                Ok(w) if !w.is_empty() => w,
                Ok(_) => {
                    // Gone from the store (removed by a delivery before a restart).
                    return (
                        id,
                        seqs.into_iter().take(1).collect(),
                        Finished::Done(Default::default()),
                    );
                }
                Err(e) => {
                    tracing::error!(error = %e, "Cannot read the outbox.");
                    let retry = Finished::Retry {
                        delay: Duration::from_secs(1),
                        hold_sink: false,
                    };
                    return (id, Vec::new(), retry);
                }
            };
            let finished = deliver(&*sink, &window, ticket, attempt, &cx).await;
            let n = match &finished {
                Finished::Done(d) => d.consumed.clamp(1, window.len()),
                _ => 1,
            };
            let seqs: Vec<u64> = window.iter().take(n).map(|e| e.seq).collect();
            if matches!(finished, Finished::Done(_) | Finished::GaveUp(_))
                && let Err(e) = cx.store.remove_outbox_now(&seqs)
            {
                tracing::error!(error = %e, "Cannot remove delivered outbox entries.");
            }
            (id, seqs, finished)
        });
    }

    /// Gives `sink`'s free slots to the lanes waiting for one, in arrival order.
    fn next_waiting(
        &self,
        sink: &str,
        st: &mut State,
        work: &mut Work<'_>,
        cancel: &CancellationToken,
    ) {
        while st.running.get(sink).copied().unwrap_or(0) < st.slots(sink) {
            let Some(id) = st.waiting.get_mut(sink).and_then(VecDeque::pop_front) else {
                return;
            };
            st.queued.remove(&id);
            self.start(&id, st, work, cancel);
        }
    }

    /// Passes on what a finished delivery reports (its entries were removed from the
    /// store by the delivery task); returns how many entries it performed.
    fn finish(&self, seqs: &[u64], finished: Finished) -> usize {
        let report = match finished {
            Finished::Done(d) => d.report,
            Finished::GaveUp(report) => report,
            Finished::Retry { .. } | Finished::Cancelled => None,
        };
        if let Some(r) = report {
            let _ = self.reports.send(r);
        }
        seqs.len()
    }

    fn publish_depth(&self, st: &State) {
        for (sink, n) in &st.depth {
            self.metrics.set_outbox_depth(sink, *n);
        }
    }
}

/// The entries `seqs` from the store, in order, up to the first one missing.
fn load(store: &Store, seqs: &[u64]) -> Result<Vec<OutboxEntry>, crate::store::StoreError> {
    let mut out = Vec::with_capacity(seqs.len());
    for &s in seqs {
        match store.outbox_entry(s)? {
            Some(e) => out.push(e),
            None => break,
        }
    }
    Ok(out)
}

impl State {
    /// Queues `e` on its lane (by sequence number); returns the lane.
    fn push(&mut self, e: OutboxEntry, ticket: Ticket) -> LaneId {
        let id = (e.sink, e.lane);
        *self.depth.entry(id.0.clone()).or_default() += 1;
        self.lanes
            .entry(id.clone())
            .or_default()
            .queue
            .push_back((e.seq, ticket));
        id
    }

    /// Drops the first `n` entries of lane `id` (delivered or given up).
    fn drain(&mut self, id: &LaneId, n: usize) {
        let Some(lane) = self.lanes.get_mut(id) else {
            return;
        };
        let n = n.min(lane.queue.len());
        lane.queue.drain(..n);
        lane.attempt = 0;
        if let Some(d) = self.depth.get_mut(&id.0) {
            *d = d.saturating_sub(n as u64);
        }
        if lane.queue.is_empty() {
            self.lanes.remove(id);
        }
    }
}
