//! Writing steps: several steps share one sled transaction (group commit).
//!
//! A sled transaction seals and writes the log buffer when it commits, so one per
//! request would cost a disk write per request. The engine's committer hands over the
//! steps of many conversations at once; they commit together and share one flush.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::keys::*;
use super::{Store, StoreError, Ticket, Write, encode};

type TxResult = Result<(), ConflictableTransactionError<StoreError>>;

/// A step's values, encoded before the transaction (whose closure may run again).
struct Encoded<'a> {
    w: &'a Write<'a>,
    after: Option<Vec<u8>>,
    entries: Vec<([u8; 16], Vec<u8>)>,
    outbox: Vec<([u8; 8], Vec<u8>)>,
}

/// The transaction's view of the trees a step writes.
struct Views<'t> {
    rec: &'t TransactionalTree,
    conv: &'t TransactionalTree,
    tr: &'t TransactionalTree,
    status: &'t TransactionalTree,
    due: &'t TransactionalTree,
    loc: &'t TransactionalTree,
    out: &'t TransactionalTree,
    dd: &'t TransactionalTree,
    dx: &'t TransactionalTree,
}

impl Store {
    /// Writes one step atomically and returns the ticket to wait on before acknowledging.
    pub fn apply(&self, w: &Write<'_>) -> Result<Ticket, StoreError> {
        self.apply_many(std::slice::from_ref(w))
    }

    /// Writes several steps in one transaction: all or none. The steps must be of
    /// different handovers (the engine's shards guarantee it).
    pub fn apply_many(&self, steps: &[Write<'_>]) -> Result<Ticket, StoreError> {
        let encoded: Vec<Encoded<'_>> = steps
            .iter()
            .map(|w| self.encode_step(w))
            .collect::<Result<_, _>>()?;
        let t = &self.inner.t;
        let trees = (
            &t.handover_record,
            &t.conversation_open,
            &t.transcript_entry,
            &t.handover_status,
            &t.reminder_due,
            &t.location_handover,
            &t.outbox_entry,
            &t.dedupe_key,
            &t.dedupe_expiry,
        );
        let result = trees.transaction(
            |(rec, conv, tr, status, due, loc, out, dd, dx)| -> TxResult {
                let v = Views {
                    rec,
                    conv,
                    tr,
                    status,
                    due,
                    loc,
                    out,
                    dd,
                    dx,
                };
                for e in &encoded {
                    write_step(&v, e)?;
                }
                Ok(())
            },
        );
        match result {
            Ok(()) => {
                self.inner
                    .facts
                    .record(steps.iter().filter_map(|w| w.after));
                Ok(self.inner.durability.issue())
            }
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => {
                // sled refuses every later write too (a full disk): not ready any more.
                tracing::error!(error = %e, "The store cannot write; writes are refused with 503 until it is restarted (is the disk full?).");
                self.inner.durability.write_failed();
                Err(e.into())
            }
        }
    }

    fn encode_step<'a>(&self, w: &'a Write<'a>) -> Result<Encoded<'a>, StoreError> {
        let entries = match w.transcript {
            None => Vec::new(),
            Some((id, list)) => list
                .iter()
                .map(|e| Ok((transcript_key(id, self.next_seq()?), encode(e)?)))
                .collect::<Result<_, StoreError>>()?,
        };
        let outbox = w
            .outbox
            .iter()
            .map(|o| encode(o).map(|v| (o.seq.to_be_bytes(), v)))
            .collect::<Result<_, _>>()?;
        Ok(Encoded {
            w,
            after: w.after.map(encode).transpose()?,
            entries,
            outbox,
        })
    }
}

fn write_step(v: &Views<'_>, e: &Encoded<'_>) -> TxResult {
    let w = e.w;
    if let (Some(h), Some(json)) = (w.after, &e.after) {
        let before = w.before;
        let id = id_key(h.id);
        v.rec.insert(&id, json.as_slice())?;
        if before.map(|b| b.status) != Some(h.status) {
            if let Some(b) = before {
                v.status.remove(&status_key(b.status, b.id))?;
            }
            v.status.insert(&status_key(h.status, h.id), &[])?;
        }
        let ck = conversation_key(&h.platform, &h.conversation_id);
        if h.status.is_open() {
            v.conv.insert(ck, &id)?;
        } else if v.conv.get(&ck)?.is_some_and(|x| x.as_ref() == id) {
            v.conv.remove(ck)?;
        }
        let old_due = before.and_then(|b| b.next_reminder_at);
        if old_due != h.next_reminder_at {
            if let Some(at) = old_due {
                v.due.remove(&due_key(at, h.id))?;
            }
            if let Some(at) = h.next_reminder_at {
                v.due.insert(&due_key(at, h.id), &[])?;
            }
        }
        if let Some(l) = &h.location
            && before.and_then(|b| b.location.as_ref()) != Some(l)
        {
            v.loc.insert(
                location_key(&l.bridge, &l.channel, l.thread.as_deref()),
                &id,
            )?;
        }
    }
    for (k, val) in &e.entries {
        v.tr.insert(k, val.as_slice())?;
    }
    for (k, val) in &e.outbox {
        v.out.insert(k, val.as_slice())?;
    }
    if let Some((key, expiry)) = w.dedupe {
        v.dd.insert(key, &time_key(expiry))?;
        v.dx.insert(expiry_key(expiry, key), &[])?;
    }
    Ok(())
}
