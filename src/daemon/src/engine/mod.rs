//! The engine: applies commands to handovers in order per conversation and in parallel
//! across conversations.
//!
//! Each conversation hashes to one shard task, which runs
//! `state', effects = core::step(state, command, now)` and writes the new state, its
//! transcript entries and its effects (as outbox entries) in one store transaction.
//! Callers wait for the returned ticket to be durable before they acknowledge.

mod commit;
mod events;
mod rights;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use handover_core::{
    Agent, Attachment, Command, Ctx, EndMode, Handover, HandoverId, Policy, Rejection, Route,
    route, step,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::{OutboxEntry, Store, StoreError, Ticket};

use commit::{Committer, Step};

pub use events::lane;
pub use rights::{Rights, Settings};

/// Which handover a command is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The conversation's open handover, if any.
    Conversation {
        platform: String,
        conversation_id: String,
    },
    Handover(HandoverId),
}

/// What a person did in a chat platform, before their rights are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Take,
    Assign {
        to: Agent,
        to_roles: Vec<String>,
    },
    Message {
        message_id: String,
        text: String,
        attachments: Vec<Attachment>,
    },
    End {
        mode: EndMode,
    },
}

/// A command the engine accepted.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub handover: Option<Handover>,
    pub created: bool,
    /// The command repeated a dedupe key already seen: nothing changed.
    pub duplicate: bool,
    pub route: Route,
    /// Durable once [`Store::durable`] returns for it.
    pub ticket: Ticket,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("no handover {0}")]
    NotFound(HandoverId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the daemon is shutting down")]
    Stopped,
}

enum Work {
    Command(Command),
    Act {
        by: Agent,
        roles: Vec<String>,
        action: Action,
    },
}

struct Job {
    target: Target,
    work: Work,
    dedupe: Option<Vec<u8>>,
    reply: oneshot::Sender<Result<Accepted, EngineError>>,
}

/// A cheap handle to the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    shards: Arc<Vec<mpsc::Sender<Job>>>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    policy: Policy,
    settings: Settings,
    dedupe_ttl: Duration,
    outbox: mpsc::UnboundedSender<(Vec<OutboxEntry>, Ticket)>,
}

/// Everything the engine is built from.
pub struct EngineParts {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
    pub settings: Settings,
    pub dedupe_ttl: Duration,
    /// New outbox entries go here once written (the dispatcher waits for durability).
    pub outbox: mpsc::UnboundedSender<(Vec<OutboxEntry>, Ticket)>,
    pub shards: usize,
}

impl Engine {
    /// Starts the shard tasks; they stop when `cancel` fires, after the queued jobs.
    pub fn start(
        parts: EngineParts,
        cancel: CancellationToken,
    ) -> (Self, Vec<tokio::task::JoinHandle<()>>) {
        let inner = Arc::new(Inner {
            store: parts.store,
            clock: parts.clock,
            policy: parts.policy,
            settings: parts.settings,
            dedupe_ttl: parts.dedupe_ttl,
            outbox: parts.outbox,
        });
        // Only the shards hold the committer: it finishes after the last of them.
        let (committer, committer_task) = Committer::start(inner.store.clone());
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..parts.shards.max(1) {
            let (tx, rx) = mpsc::channel::<Job>(1024);
            senders.push(tx);
            tasks.push(tokio::spawn(shard(
                inner.clone(),
                committer.clone(),
                rx,
                cancel.clone(),
            )));
        }
        drop(committer);
        tasks.push(committer_task);
        (
            Self {
                inner,
                shards: Arc::new(senders),
            },
            tasks,
        )
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn now(&self) -> handover_core::Timestamp {
        self.inner.clock.now()
    }

    /// Applies a core command to `target`, once per `dedupe` key.
    pub async fn submit(
        &self,
        target: Target,
        cmd: Command,
        dedupe: Option<Vec<u8>>,
    ) -> Result<Accepted, EngineError> {
        self.send(target, Work::Command(cmd), dedupe).await
    }

    /// Applies what a person did in a chat platform to a handover; their rights come
    /// from the runtime settings at that moment.
    pub async fn act(
        &self,
        id: HandoverId,
        by: Agent,
        roles: Vec<String>,
        action: Action,
        dedupe: Option<Vec<u8>>,
    ) -> Result<Accepted, EngineError> {
        self.send(
            Target::Handover(id),
            Work::Act { by, roles, action },
            dedupe,
        )
        .await
    }

    /// [`Engine::submit`], then waits until the result is on disk.
    pub async fn submit_durable(
        &self,
        target: Target,
        cmd: Command,
        dedupe: Option<Vec<u8>>,
    ) -> Result<Accepted, EngineError> {
        let accepted = self.submit(target, cmd, dedupe).await?;
        self.inner.store.durable(accepted.ticket).await?;
        Ok(accepted)
    }

    async fn send(
        &self,
        target: Target,
        work: Work,
        dedupe: Option<Vec<u8>>,
    ) -> Result<Accepted, EngineError> {
        let key = match &target {
            Target::Conversation {
                platform,
                conversation_id,
            } => (platform.clone(), conversation_id.clone()),
            Target::Handover(id) => {
                let h = self
                    .inner
                    .store
                    .handover(*id)?
                    .ok_or(EngineError::NotFound(*id))?;
                (h.platform, h.conversation_id)
            }
        };
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let shard = (hasher.finish() % self.shards.len() as u64) as usize;
        let (reply, rx) = oneshot::channel();
        self.shards[shard]
            .send(Job {
                target,
                work,
                dedupe,
                reply,
            })
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }
}

async fn shard(
    inner: Arc<Inner>,
    committer: Committer,
    mut rx: mpsc::Receiver<Job>,
    cancel: CancellationToken,
) {
    loop {
        let job = tokio::select! {
            job = rx.recv() => job,
            () = cancel.cancelled() => break,
        };
        let Some(job) = job else { return };
        let result = inner
            .process(&committer, job.target, job.work, job.dedupe)
            .await;
        let _ = job.reply.send(result);
    }
    // Finish what was queued before the stop.
    rx.close();
    while let Some(job) = rx.recv().await {
        let result = inner
            .process(&committer, job.target, job.work, job.dedupe)
            .await;
        let _ = job.reply.send(result);
    }
}

impl Inner {
    async fn process(
        &self,
        committer: &Committer,
        target: Target,
        work: Work,
        dedupe: Option<Vec<u8>>,
    ) -> Result<Accepted, EngineError> {
        let store = &self.store;
        let now = self.clock.now();
        let before = match &target {
            Target::Conversation {
                platform,
                conversation_id,
            } => store.open_handover(platform, conversation_id)?,
            Target::Handover(id) => Some(store.handover(*id)?.ok_or(EngineError::NotFound(*id))?),
        };
        if let Some(key) = &dedupe
            && store.seen(key, now)?
        {
            // A fresh ticket covers the original write, which may not be flushed yet.
            let ticket = store.ticket();
            let route = route(before.as_ref().filter(|h| h.status.is_open()));
            return Ok(Accepted {
                handover: before,
                created: false,
                duplicate: true,
                route,
                ticket,
            });
        }
        let cmd = match work {
            Work::Command(cmd) => cmd,
            Work::Act { by, roles, action } => {
                let bridge = before
                    .as_ref()
                    .map(|h| h.bridge.clone())
                    .unwrap_or_default();
                self.settings.command(store, &bridge, by, &roles, action)?
            }
        };
        let ctx = Ctx {
            now,
            policy: &self.policy,
            enabled: self.settings.enabled(store)?,
        };
        let mut id_error = None;
        let t = step(before.clone(), cmd, &ctx, || {
            store.next_handover_id().unwrap_or_else(|e| {
                id_error = Some(e);
                HandoverId(0)
            })
        })?;
        if let Some(e) = id_error {
            return Err(e.into());
        }
        if t.handover.is_none() && t.effects.is_empty() && !t.changed {
            // A message of a conversation without a handover: nothing to store.
            return Ok(Accepted {
                handover: None,
                created: false,
                duplicate: false,
                route: t.route,
                ticket: 0,
            });
        }
        let outbox = match &t.handover {
            Some(h) => events::outbox_entries(store, h, t.effects, &t.append, now)?,
            None => Vec::new(),
        };
        let step = Step {
            after: t.handover.clone().filter(|_| t.changed),
            transcript: t.handover.as_ref().map(|h| (h.id, t.append)),
            outbox: outbox.clone(),
            dedupe: dedupe.map(|k| (k, now.plus(self.dedupe_ttl))),
            before,
        };
        let ticket = committer.commit(step).await?;
        if !outbox.is_empty() {
            let _ = self.outbox.send((outbox, ticket));
        }
        Ok(Accepted {
            handover: t.handover,
            created: t.created,
            duplicate: false,
            route: t.route,
            ticket,
        })
    }
}
