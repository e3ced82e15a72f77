//! Group commit: many writers share one `flush`, and each waits only for the flush
//! that covers its own write before it acknowledges anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::StoreError;

/// The shortest time between the starts of two group commits.
const MIN_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1);

/// A write's place in the commit order; durable once a flush covering it has finished.
pub type Ticket = u64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flushed {
    /// Every ticket up to here is on disk.
    upto: Ticket,
    /// The last flush that failed covered tickets up to here.
    failed_upto: Ticket,
}

pub(crate) struct Durability {
    issued: AtomicU64,
    /// Flushes done by the flusher (group commits).
    pub(crate) flushes: AtomicU64,
    kick: Notify,
    flushed: watch::Sender<Flushed>,
    write_failed: std::sync::atomic::AtomicBool,
}

impl Durability {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            issued: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            kick: Notify::new(),
            flushed: watch::Sender::new(Flushed::default()),
            write_failed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Called after a write has been applied in memory.
    pub(crate) fn issue(&self) -> Ticket {
        self.issued.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Whether the disk refuses writes: the last flush failed, or a write did (after
    /// which sled refuses every write for the rest of the process).
    pub(crate) fn failing(&self) -> bool {
        let f = *self.flushed.borrow();
        f.failed_upto > f.upto || self.write_failed.load(Ordering::Relaxed)
    }

    /// Records that a write failed in sled.
    pub(crate) fn write_failed(&self) {
        self.write_failed.store(true, Ordering::Relaxed);
    }

    /// Asks the flusher for a flush without waiting for it.
    pub(crate) fn kick(&self) {
        self.kick.notify_one();
    }

    /// Waits until `ticket` is on disk. A failed flush fails the waiters it covered.
    pub(crate) async fn wait(&self, ticket: Ticket) -> Result<(), StoreError> {
        if ticket == 0 {
            return Ok(());
        }
        if self.flushed.borrow().upto >= ticket {
            return Ok(());
        }
        let mut rx = self.flushed.subscribe();
        self.kick.notify_one();
        let state = rx
            .wait_for(|f| f.upto >= ticket || f.failed_upto >= ticket)
            .await
            .map_err(|_| StoreError::Io("the store is shutting down".into()))?;
        if state.upto >= ticket {
            Ok(())
        } else {
            Err(StoreError::Io("flushing to disk failed".into()))
        }
    }

    /// The flusher loop: one `flush` per wake-up covers every ticket issued before it.
    /// Flushes start at most every [`MIN_FLUSH_INTERVAL`], so that under load each one
    /// carries more writes (the disk, not the CPU, sets the pace of small flushes).
    /// `flush` writes everything to disk; it holds the store, so that the store (and
    /// with it sled) closes only after the flusher's last flush.
    pub(crate) async fn run<F>(self: Arc<Self>, flush: F, cancel: CancellationToken)
    where
        F: Fn() -> Result<(), StoreError> + Clone + Send + 'static,
    {
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = self.kick.notified() => {}
                () = cancel.cancelled() => break,
            }
            tokio::time::sleep_until(last + MIN_FLUSH_INTERVAL).await;
            last = tokio::time::Instant::now();
            self.flush_once(&flush).await;
        }
        // Final flush so that nothing written before shutdown is left in memory.
        self.flush_once(&flush).await;
    }

    pub(crate) async fn flush_once<F>(&self, flush: &F)
    where
        F: Fn() -> Result<(), StoreError> + Clone + Send + 'static,
    {
        let target = self.issued.load(Ordering::SeqCst);
        if target <= self.flushed.borrow().upto {
            return;
        }
        let flush = flush.clone();
        let result = match tokio::task::spawn_blocking(flush).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Io(e.to_string())),
        };
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let ok = result.is_ok();
        if let Err(e) = result {
            tracing::error!(
                ticket = target,
                error = %e,
                "Flushing the store to disk failed; writes are refused with 503 until it works again (is the disk full?)."
            );
        }
        self.flushed.send_modify(|f| {
            if ok {
                f.upto = f.upto.max(target);
            } else {
                f.failed_upto = f.failed_upto.max(target);
            }
        });
    }
}
