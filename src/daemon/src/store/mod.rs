//! The store: handovers, conversation index, transcripts, dedupe keys, runtime settings
//! and the outbox, on sled. This is the only module that imports sled.
//!
//! Trees are named `<key>_<value>`; keys are big-endian (see [`keys`]). A handover step
//! is one multi-tree transaction ([`Store::apply`]); its [`Ticket`] becomes durable
//! when the group-commit flusher has flushed past it ([`Store::durable`]).

mod durability;
mod facts;
pub mod keys;
mod open;
mod outbox;
mod read;
mod seal;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_damage;
mod write;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use handover_core::{Handover, HandoverId, Timestamp, TranscriptEntry};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

pub use durability::Ticket;
pub use facts::Whose;
pub use outbox::{OutboxEntry, OutboxItem};

/// A file a bridge serves to the AI platform under an unguessable, expiring URL (a
/// chat platform's own file URLs need the bot's token).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileLink {
    /// Where the bridge fetches it (e.g. Slack's `url_private`).
    pub source: String,
    pub name: String,
    pub content_type: Option<String>,
    pub expires_at: Timestamp,
}

use durability::Durability;
use keys::*;

const SCHEMA_VERSION: &[u8] = b"1";

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "data_dir {path} is in use by another handover-bridge process{pid}; stop it, or give this one another data_dir"
    )]
    Locked { path: PathBuf, pid: String },
    #[error("cannot open the store in {path}: {detail}; nothing was changed")]
    Open { path: PathBuf, detail: String },
    #[error(
        "the store is corrupt: record {key} in {tree} cannot be read ({detail}); nothing was changed: restore from a backup (see deploy.md)"
    )]
    Corrupt {
        tree: &'static str,
        key: String,
        detail: String,
    },
    #[error("the data files in {path} are damaged: {detail}. {advice}")]
    Damaged {
        path: PathBuf,
        detail: String,
        advice: String,
    },
    #[error("the store cannot write: {0}")]
    Io(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Corruption { at, .. } => Self::Corrupt {
                tree: "sled",
                key: format!("{at:?}"),
                detail: "the data file is damaged".into(),
            },
            other => Self::Io(other.to_string()),
        }
    }
}

/// The catalogue of trees.
struct Trees {
    handover_record: sled::Tree,
    conversation_open: sled::Tree,
    transcript_entry: sled::Tree,
    handover_status: sled::Tree,
    reminder_due: sled::Tree,
    location_handover: sled::Tree,
    outbox_entry: sled::Tree,
    dedupe_key: sled::Tree,
    dedupe_expiry: sled::Tree,
    setting_value: sled::Tree,
    /// Unguessable token → a file a bridge serves for a while (see [`FileLink`]).
    link_file: sled::Tree,
    meta: sled::Tree,
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// Fields drop in this order: sled closes (flushing) with the last of `db` and `t`, then
/// the seal is written, then the lock is released.
struct Inner {
    db: sled::Db,
    t: Trees,
    durability: Arc<Durability>,
    facts: facts::Facts,
    mark: seal::Mark,
    _seal: seal::Sealer,
    _lock: File,
}

/// One handover step's changes, written atomically by [`Store::apply`].
#[derive(Default)]
pub struct Write<'a> {
    /// The record before the step (for the indexes).
    pub before: Option<&'a Handover>,
    /// The record after the step, when it changed.
    pub after: Option<&'a Handover>,
    /// New transcript entries of a handover, in order.
    pub transcript: Option<(HandoverId, &'a [TranscriptEntry])>,
    pub outbox: &'a [OutboxEntry],
    /// A dedupe key to remember until the given expiry.
    pub dedupe: Option<(&'a [u8], Timestamp)>,
}

impl Store {
    /// Opens (or creates) the store in `data_dir`, refusing when another process holds it
    /// and, with nothing written, when its files are damaged (see [`seal`]).
    pub fn open(data_dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let open::Opened { lock, db, had_data } = open::open(data_dir, cache_bytes)?;
        let open_err = |detail: String| StoreError::Open {
            path: data_dir.to_owned(),
            detail,
        };
        let tree = |name: &str| db.open_tree(name).map_err(|e| open_err(e.to_string()));
        let t = Trees {
            handover_record: tree("handover_record")?,
            conversation_open: tree("conversation_open")?,
            transcript_entry: tree("transcript_entry")?,
            handover_status: tree("handover_status")?,
            reminder_due: tree("reminder_due")?,
            location_handover: tree("location_handover")?,
            outbox_entry: tree("outbox_entry")?,
            dedupe_key: tree("dedupe_key")?,
            dedupe_expiry: tree("dedupe_expiry")?,
            setting_value: tree("setting_value")?,
            link_file: tree("link_file")?,
            meta: tree("meta")?,
        };
        match t.meta.get("schema")? {
            None if had_data => {
                return Err(seal::recovered_damaged(
                    data_dir,
                    "sled/db holds data, but sled found no Handover Bridge records in it".into(),
                ));
            }
            None => {
                t.meta.insert("schema", SCHEMA_VERSION)?;
                db.flush()?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION => {}
            Some(v) => {
                return Err(open_err(format!(
                    "it was written by a newer version (schema {}); upgrade handover-bridge",
                    String::from_utf8_lossy(&v)
                )));
            }
        }
        let next_id = counter(&t.meta)?;
        if let Some(marked) = seal::read_mark(data_dir).filter(|m| *m > next_id) {
            return Err(seal::recovered_damaged(
                data_dir,
                format!(
                    "handover ids up to H-{marked} were stored, but sled recovered only up to H-{next_id}"
                ),
            ));
        }
        let durability = Durability::new();
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                t,
                durability,
                facts: facts::Facts::default(),
                mark: seal::Mark::new(data_dir, next_id),
                _seal: seal::Sealer {
                    data_dir: data_dir.to_owned(),
                },
                _lock: lock,
            }),
        })
    }

    /// Runs the group-commit flusher until `cancel`, then flushes once more.
    pub fn spawn_flusher(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let d = self.inner.durability.clone();
        let store = self.clone();
        tokio::spawn(d.run(move || store.flush_now(), cancel))
    }

    /// Waits until the write that returned `ticket` is on disk.
    pub async fn durable(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.inner.durability.wait(ticket).await
    }

    /// Whether writes reach the disk (false after a failed flush, e.g. a full disk).
    pub fn writable(&self) -> bool {
        !self.inner.durability.failing()
    }

    /// How many group commits (flushes) the flusher has done.
    pub fn flush_count(&self) -> u64 {
        self.inner
            .durability
            .flushes
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Flushes everything now (used at shutdown and by tools).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.flush_now())
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?
    }

    /// Flushes everything, blocking. Callers hold the store, never a sled handle of
    /// their own, so that the store's last handle closes sled (see [`seal`]).
    fn flush_now(&self) -> Result<(), StoreError> {
        let next_id = counter(&self.inner.t.meta)?;
        self.inner.db.flush()?;
        self.inner.mark.after_flush(next_id);
        Ok(())
    }

    /// Allocates the next handover id. Ids are never reused: the counter only grows,
    /// and a record is stored after the counter that named it.
    pub fn next_handover_id(&self) -> Result<HandoverId, StoreError> {
        let next = self
            .inner
            .t
            .meta
            .update_and_fetch("next_handover_id", |old| {
                let n = old
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
                Some(n.saturating_add(1).to_be_bytes().to_vec())
            })?;
        next.and_then(|b| id_from(&b))
            .ok_or_else(|| StoreError::Corrupt {
                tree: "meta",
                key: "next_handover_id".into(),
                detail: "not an 8-byte counter".into(),
            })
    }

    /// A fresh sequence number for an outbox entry (monotonic, never reused).
    pub fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.generate_id()?)
    }

    /// A ticket covering every write made so far, without writing anything.
    pub fn ticket(&self) -> Ticket {
        self.inner.durability.issue()
    }

    /// Stores a runtime setting (enabled, selected members) and returns its ticket.
    pub fn put_setting<T: Serialize>(&self, name: &str, value: &T) -> Result<Ticket, StoreError> {
        self.inner.t.setting_value.insert(name, encode(value)?)?;
        Ok(self.inner.durability.issue())
    }

    pub fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StoreError> {
        self.inner
            .t
            .setting_value
            .get(name)?
            .map(|v| decode("setting_value", name.as_bytes(), &v))
            .transpose()
    }

    /// Remembers a file link (durable once the ticket is).
    pub fn put_link(&self, token: &str, link: &FileLink) -> Result<Ticket, StoreError> {
        self.inner.t.link_file.insert(token, encode(link)?)?;
        Ok(self.inner.durability.issue())
    }

    /// The file behind `token`, unless unknown or expired at `now`.
    pub fn link(&self, token: &str, now: Timestamp) -> Result<Option<FileLink>, StoreError> {
        let Some(v) = self.inner.t.link_file.get(token)? else {
            return Ok(None);
        };
        let link: FileLink = decode("link_file", token.as_bytes(), &v)?;
        Ok((link.expires_at > now).then_some(link))
    }

    /// Deletes expired file links; returns how many.
    pub fn sweep_links(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.inner.t.link_file.iter() {
            let (k, v) = item?;
            let expired =
                decode::<FileLink>("link_file", &k, &v).map_or(true, |l| l.expires_at <= now);
            if expired {
                self.inner.t.link_file.remove(&k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes a delivered outbox entry. Not flushed on its own: after a crash the entry
    /// may be delivered again, which receivers dedupe (at least once).
    pub fn remove_outbox(&self, seq: u64) -> Result<(), StoreError> {
        self.inner.t.outbox_entry.remove(seq.to_be_bytes())?;
        Ok(())
    }

    /// Removes performed entries and has the removal flushed at once (not with sled's
    /// periodic flush, up to 500 ms later), so that a crash right after a delivery
    /// performs it again only within the milliseconds of that flush.
    pub fn remove_outbox_now(&self, seqs: &[u64]) -> Result<(), StoreError> {
        for &seq in seqs {
            self.remove_outbox(seq)?;
        }
        self.inner.durability.issue();
        self.inner.durability.kick();
        Ok(())
    }

    /// Deletes dedupe keys that expired before `now`; returns how many.
    pub fn sweep_dedupe(&self, now: Timestamp) -> Result<usize, StoreError> {
        let t = &self.inner.t;
        let mut n = 0;
        for item in t.dedupe_expiry.range(..time_key(now).to_vec()) {
            let (k, _) = item?;
            let key = &k[8..];
            let still = t.dedupe_key.get(key)?.and_then(|v| time_from(&v));
            if still.is_some_and(|at| at < now) {
                t.dedupe_key.remove(key)?;
            }
            t.dedupe_expiry.remove(&k)?;
            n += 1;
        }
        Ok(n)
    }
}

/// The last handover id allocated (0 before the first).
fn counter(meta: &sled::Tree) -> Result<u64, StoreError> {
    Ok(meta
        .get("next_handover_id")?
        .and_then(|b| id_from(&b))
        .map_or(0, |id| id.0))
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Io(format!("cannot encode a record: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    v: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        tree,
        key: hex::encode(key),
        detail: e.to_string(),
    })
}
