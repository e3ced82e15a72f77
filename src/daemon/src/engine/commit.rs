//! The committer: steps from all shards are written together, one sled transaction
//! per batch, so concurrent conversations share the cost of a log write and a flush.

use handover_core::{Handover, HandoverId, Timestamp, TranscriptEntry};
use tokio::sync::{mpsc, oneshot};

use crate::store::{OutboxEntry, Store, StoreError, Ticket, Write};

/// The most steps written in one transaction.
const MAX_BATCH: usize = 256;

/// A sled transaction writes the log buffer when it commits (two writes and syncs of
/// a file range), so one per step would cost a disk write per request. When the last
/// transaction is more recent than this (the daemon is busy), the committer first
/// yields a few times so that the shards already running add their steps to the batch;
/// an idle daemon commits at once.
const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_micros(1000);

/// One step's changes, owned so that it can wait in the committer's queue.
#[derive(Default)]
pub(super) struct Step {
    pub before: Option<Handover>,
    pub after: Option<Handover>,
    pub transcript: Option<(HandoverId, Vec<TranscriptEntry>)>,
    pub outbox: Vec<OutboxEntry>,
    pub dedupe: Option<(Vec<u8>, Timestamp)>,
}

impl Step {
    fn as_write(&self) -> Write<'_> {
        Write {
            before: self.before.as_ref(),
            after: self.after.as_ref(),
            transcript: self.transcript.as_ref().map(|(id, e)| (*id, e.as_slice())),
            outbox: &self.outbox,
            dedupe: self.dedupe.as_ref().map(|(k, t)| (k.as_slice(), *t)),
        }
    }
}

type Pending = (Step, oneshot::Sender<Result<Ticket, StoreError>>);

#[derive(Clone)]
pub(super) struct Committer {
    tx: mpsc::Sender<Pending>,
}

impl Committer {
    /// Starts the committer; it stops when every handle is dropped.
    pub(super) fn start(store: Store) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        (Self { tx }, tokio::spawn(run(store, rx)))
    }

    /// Writes `step` (with whatever else is waiting) and returns its ticket.
    pub(super) async fn commit(&self, step: Step) -> Result<Ticket, StoreError> {
        let (reply, rx) = oneshot::channel();
        let stopped = || StoreError::Io("the store's committer has stopped".into());
        self.tx.send((step, reply)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut last = tokio::time::Instant::now();
    while let Some(first) = rx.recv().await {
        if last.elapsed() < MIN_INTERVAL {
            for _ in 0..8 {
                tokio::task::yield_now().await;
            }
        }
        last = tokio::time::Instant::now();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let writes: Vec<Write<'_>> = batch.iter().map(|(s, _)| s.as_write()).collect();
        let result = store.apply_many(&writes);
        drop(writes);
        for (_, reply) in batch {
            let _ = reply.send(result.clone());
        }
    }
}
