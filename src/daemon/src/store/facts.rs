//! The store's analytics index: a [`FactTable`] over the handover records, filled from
//! them once (in the background after start) and then kept up to date by every write,
//! after its transaction has committed. Analytics read it instead of the records.

use std::sync::RwLock;

use handover_core::analytics::{Analytics, FactTable, Outcomes, Scope};
use handover_core::{Handover, Timestamp};

use super::{Store, StoreError};

/// How many records are read before they are added under the write lock.
const CHUNK: usize = 4096;

/// The index and whether it has been filled from the records.
#[derive(Default)]
pub(super) struct Facts {
    table: RwLock<FactTable>,
    built: tokio::sync::OnceCell<()>,
}

impl Facts {
    /// Records the new state of handovers a committed write changed.
    pub(super) fn record<'a>(&self, changed: impl Iterator<Item = &'a Handover>) {
        if let Ok(mut t) = self.table.write() {
            for h in changed {
                t.record(h);
            }
        }
    }
}

/// Whose handovers to count (an owned [`Scope`], to cross into a blocking task).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whose {
    All,
    Platform(String),
    Bridge(String),
}

impl Store {
    /// Fills the index from the records, once; later calls wait for the first.
    pub async fn facts_ready(&self) -> Result<(), StoreError> {
        self.inner
            .facts
            .built
            .get_or_try_init(|| async {
                let store = self.clone();
                tokio::task::spawn_blocking(move || store.build_facts())
                    .await
                    .map_err(|e| StoreError::Io(e.to_string()))?
            })
            .await
            .map(|_| ())
    }

    fn build_facts(&self) -> Result<(), StoreError> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let add = |chunk: &mut Vec<Handover>| {
            if let Ok(mut t) = self.inner.facts.table.write() {
                // A write that committed meanwhile recorded a newer state: keep it.
                for h in chunk.drain(..) {
                    t.record_if_absent(&h);
                }
            }
        };
        self.for_each_handover(|h| {
            chunk.push(h);
            if chunk.len() == CHUNK {
                add(&mut chunk);
            }
        })?;
        add(&mut chunk);
        Ok(())
    }

    /// The analytics of `whose` handovers for the window `[from, to)` (SPEC §6).
    pub async fn analytics(
        &self,
        whose: Whose,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Analytics, StoreError> {
        self.with_facts(whose, move |t, scope| t.compute(scope, from, to))
            .await
    }

    /// What became of `whose` handovers requested in each period between `bounds`.
    pub async fn outcomes(
        &self,
        whose: Whose,
        bounds: Vec<Timestamp>,
    ) -> Result<Vec<Outcomes>, StoreError> {
        let bounds: Vec<i64> = bounds.iter().map(|t| t.0).collect();
        self.with_facts(whose, move |t, scope| t.outcomes(scope, &bounds))
            .await
    }

    /// Runs `f` on the filled index, off the async threads (a large table takes
    /// milliseconds to read).
    async fn with_facts<T: Send + 'static>(
        &self,
        whose: Whose,
        f: impl FnOnce(&FactTable, Scope<'_>) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        self.facts_ready().await?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let scope = match &whose {
                Whose::All => Scope::All,
                Whose::Platform(p) => Scope::Platform(p),
                Whose::Bridge(b) => Scope::Bridge(b),
            };
            let t = store
                .inner
                .facts
                .table
                .read()
                .map_err(|_| StoreError::Io("the analytics index is poisoned".into()))?;
            Ok(f(&t, scope))
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?
    }
}
