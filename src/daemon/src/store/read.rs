//! Reads: records by id, conversation and location; lists; due reminders; the outbox.

use handover_core::{Handover, HandoverId, Status, Timestamp, TranscriptEntry};

use super::keys::*;
use super::{OutboxEntry, Store, StoreError, decode};

impl Store {
    pub fn handover(&self, id: HandoverId) -> Result<Option<Handover>, StoreError> {
        let key = id_key(id);
        self.inner
            .t
            .handover_record
            .get(key)?
            .map(|v| decode("handover_record", &key, &v))
            .transpose()
    }

    /// The conversation's open (pending or in progress) handover.
    pub fn open_handover(
        &self,
        platform: &str,
        conversation_id: &str,
    ) -> Result<Option<Handover>, StoreError> {
        let key = conversation_key(platform, conversation_id);
        match self.inner.t.conversation_open.get(&key)? {
            None => Ok(None),
            Some(v) => {
                let id = id_from(&v).ok_or_else(|| corrupt_index("conversation_open", &key))?;
                self.handover(id)
            }
        }
    }

    /// The handover posted at a chat location (channel and thread).
    pub fn handover_at(
        &self,
        bridge: &str,
        channel: &str,
        thread: Option<&str>,
    ) -> Result<Option<HandoverId>, StoreError> {
        let key = location_key(bridge, channel, thread);
        match self.inner.t.location_handover.get(&key)? {
            None => Ok(None),
            Some(v) => Ok(Some(
                id_from(&v).ok_or_else(|| corrupt_index("location_handover", &key))?,
            )),
        }
    }

    /// Every transcript entry of a handover, in order.
    pub fn transcript(&self, id: HandoverId) -> Result<Vec<TranscriptEntry>, StoreError> {
        self.inner
            .t
            .transcript_entry
            .scan_prefix(id_key(id))
            .map(|item| {
                let (k, v) = item?;
                decode("transcript_entry", &k, &v)
            })
            .collect()
    }

    /// A page of handovers, newest first, optionally of one status, with ids below `before`.
    pub fn list(
        &self,
        status: Option<Status>,
        before: Option<HandoverId>,
        limit: usize,
    ) -> Result<Vec<Handover>, StoreError> {
        let t = &self.inner.t;
        let upper = before.map_or(u64::MAX, |b| b.0);
        let ids: Vec<HandoverId> = match status {
            Some(s) => {
                let lo = status_key(s, HandoverId(0)).to_vec();
                let hi = status_key(s, HandoverId(upper)).to_vec();
                let range = t.handover_status.range(lo..hi).rev().take(limit);
                range
                    .map(|item| {
                        let (k, _) = item?;
                        id_from(&k[1..]).ok_or_else(|| corrupt_index("handover_status", &k))
                    })
                    .collect::<Result<_, StoreError>>()?
            }
            None => {
                let range = t
                    .handover_record
                    .range(..id_key(HandoverId(upper)).to_vec());
                range
                    .rev()
                    .take(limit)
                    .map(|item| {
                        let (k, _) = item?;
                        id_from(&k).ok_or_else(|| corrupt_index("handover_record", &k))
                    })
                    .collect::<Result<_, StoreError>>()?
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(h) = self.handover(id)? {
                out.push(h);
            }
        }
        Ok(out)
    }

    /// Calls `f` with every stored handover, in id order; stops at the first error.
    pub fn for_each_handover(&self, mut f: impl FnMut(Handover)) -> Result<(), StoreError> {
        for item in self.inner.t.handover_record.iter() {
            let (k, v) = item?;
            f(decode("handover_record", &k, &v)?);
        }
        Ok(())
    }

    /// How many handovers have `status` now.
    pub fn count_status(&self, status: Status) -> usize {
        self.inner
            .t
            .handover_status
            .scan_prefix([status_byte(status)])
            .count()
    }

    /// Handovers whose reminder is due at or before `now`, earliest first.
    pub fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<HandoverId>, StoreError> {
        let hi = due_key(now, HandoverId(u64::MAX)).to_vec();
        self.inner
            .t
            .reminder_due
            .range(..=hi)
            .take(limit)
            .map(|item| {
                let (k, _) = item?;
                id_from(&k[8..]).ok_or_else(|| corrupt_index("reminder_due", &k))
            })
            .collect()
    }

    /// Whether a dedupe key is known (and not expired).
    pub fn seen(&self, key: &[u8], now: Timestamp) -> Result<bool, StoreError> {
        Ok(self
            .inner
            .t
            .dedupe_key
            .get(key)?
            .and_then(|v| time_from(&v))
            .is_some_and(|exp| exp >= now))
    }

    /// Every outbox entry, in sequence order. Any undecodable entry is an error.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner
            .t
            .outbox_entry
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode("outbox_entry", &k, &v)
            })
            .collect()
    }

    /// One outbox entry, when it is still there.
    pub fn outbox_entry(&self, seq: u64) -> Result<Option<OutboxEntry>, StoreError> {
        let k = seq.to_be_bytes();
        match self.inner.t.outbox_entry.get(k)? {
            Some(v) => Ok(Some(decode("outbox_entry", &k, &v)?)),
            None => Ok(None),
        }
    }

    pub fn outbox_len(&self) -> usize {
        self.inner.t.outbox_entry.len()
    }
}

fn corrupt_index(tree: &'static str, key: &[u8]) -> StoreError {
    StoreError::Corrupt {
        tree,
        key: hex::encode(key),
        detail: "malformed index entry".into(),
    }
}
