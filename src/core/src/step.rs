//! The transition function: `step(handover, command, ctx) -> Transition | Rejection`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    Agent, Attachment, EndUser, Handover, HandoverId, Location, Policy, Priority,
    RECENT_TRANSCRIPT, Rating, Resolution, Role, Route, Status, Timestamp, TranscriptEntry, route,
};

/// What a step may read besides the handover: the clock and the settings.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub now: Timestamp,
    pub policy: &'a Policy,
    /// Runtime switch (`/handover enable|disable`): new requests are refused when off.
    pub enabled: bool,
}

/// A chat-platform user acting on a handover, with their rights at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub agent: Agent,
    /// One of the selected members.
    pub member: bool,
    pub admin: bool,
}

/// Who causes a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// The AI platform, over the HTTP API.
    Platform,
    Person(Person),
}

/// A new handover asked for by the AI platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub platform: String,
    pub conversation_id: String,
    pub bridge: String,
    pub user: EndUser,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub priority: Priority,
    pub transcript: Vec<TranscriptEntry>,
}

/// A message from the end user or the AI, as the AI platform sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub at: Timestamp,
}

/// How an `end` asks the handover to finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndMode {
    /// Back to the AI when `return_to_ai` is on, else closed.
    Default,
    ReturnToAi,
    Close,
    Cancel,
}

/// Whether an agent's message reached the end user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryOutcome {
    Delivered,
    Failed { reason: String },
}

/// Everything that can happen to a handover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// The AI platform asks for a human. The step's handover is the conversation's open one.
    Request(Request),
    /// The end user wrote. The step's handover is the conversation's open one, if any.
    UserMessage(Message),
    /// The AI answered (mirrored into the thread).
    AiMessage(Message),
    Take {
        by: Person,
    },
    Assign {
        to: Person,
        by: Actor,
    },
    /// A message written by a person in the handover's thread or channel.
    AgentMessage {
        by: Person,
        message_id: String,
        text: String,
        attachments: Vec<Attachment>,
    },
    End {
        by: Actor,
        mode: EndMode,
        reason: Option<String>,
    },
    Rate {
        score: u8,
        comment: Option<String>,
    },
    /// The scheduler's tick for a due reminder.
    Remind,
    /// The bridge posted the handover and tells where it lives.
    Posted {
        location: Location,
    },
    /// The outcome of relaying an agent message to the AI platform.
    Delivery {
        message_id: String,
        outcome: DeliveryOutcome,
    },
}

/// An event for the AI platform's webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EgressEvent {
    /// A person took it over: the AI is now muted.
    Taken { agent: Agent },
    Assigned {
        agent: Agent,
        previous: Option<Agent>,
        by: Option<Agent>,
    },
    AgentMessage {
        message_id: String,
        agent: Agent,
        text: String,
        attachments: Vec<Attachment>,
    },
    /// The hand-back is built from the stored transcript when the event is recorded.
    Ended {
        resolution: Resolution,
        agent: Option<Agent>,
        reason: Option<String>,
    },
}

/// Something the chat bridge must show. Bridges render from the handover's latest state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BridgeEffect {
    /// Post the card and notify the selected members.
    Announce,
    /// Show an end-user or AI message in the thread.
    Relay { entry: TranscriptEntry },
    /// Re-render the card (status, assignee, rating).
    UpdateCard,
    /// Re-announce a pending handover to the selected members.
    Remind { count: u32 },
    /// Mark an agent message as delivered or failed.
    Delivery {
        message_id: String,
        outcome: DeliveryOutcome,
    },
    /// Show the customer's rating.
    Rated { score: u8, comment: Option<String> },
    /// The handover ended: archive its channel or thread where the bridge does that.
    Archive,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Egress(EgressEvent),
    Bridge(BridgeEffect),
}

/// Why a command was refused. Nothing changes when a step is rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("handover is disabled")]
    HandoverDisabled,
    #[error("the handover has ended ({resolution:?})")]
    NotOpen {
        resolution: Option<Resolution>,
        ended_by: Option<Agent>,
    },
    #[error("{} already has this handover", by.name)]
    AlreadyTaken { by: Agent },
    #[error("the handover has not ended yet")]
    NotCompleted,
    #[error("only selected members may do that")]
    NotMember,
    #[error("only selected members and admins may do that")]
    NotMemberOrAdmin,
    #[error("{} is not a selected member", to.name)]
    AssigneeNotMember { to: Agent },
    #[error("a rating is a whole number from 1 to 5")]
    InvalidScore,
    #[error("take the handover over before replying")]
    NotTaken,
    #[error("there is no open handover here")]
    NoOpenHandover,
}

/// The result of an accepted step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The handover after the step (`None`: a message of a conversation without one).
    pub handover: Option<Handover>,
    /// A handover was created by this step.
    pub created: bool,
    /// The handover record changed and must be stored.
    pub changed: bool,
    /// Transcript entries to append, in order.
    pub append: Vec<TranscriptEntry>,
    pub effects: Vec<Effect>,
    /// The AI gate after the step.
    pub route: Route,
}

/// Applies `cmd` to `handover`. For [`Command::Request`], `UserMessage` and `AiMessage`
/// `handover` is the conversation's open handover (or none); for the others it is the
/// handover the command names, and `None` gives [`Rejection::NoOpenHandover`].
/// `new_id` is called only when a handover is created.
pub fn step(
    handover: Option<Handover>,
    cmd: Command,
    ctx: &Ctx<'_>,
    new_id: impl FnOnce() -> HandoverId,
) -> Result<Transition, Rejection> {
    let mut t = Builder {
        h: handover,
        ctx,
        append: Vec::new(),
        effects: Vec::new(),
        changed: false,
    };
    match cmd {
        Command::Request(req) => match t.h {
            Some(ref h) if h.status.is_open() => {}
            _ if !ctx.enabled => return Err(Rejection::HandoverDisabled),
            _ => {
                t.h = Some(new_handover(new_id(), req, ctx));
                t.changed = true;
                t.bridge(BridgeEffect::Announce);
                let created = t.finish();
                return Ok(Transition {
                    created: true,
                    ..created
                });
            }
        },
        Command::UserMessage(m) => t.relay(Role::User, m),
        Command::AiMessage(m) => t.relay(Role::Ai, m),
        Command::Take { by } => t.take(by)?,
        Command::Assign { to, by } => t.assign(to, by)?,
        Command::AgentMessage {
            by,
            message_id,
            text,
            attachments,
        } => t.agent_message(by, message_id, text, attachments)?,
        Command::End { by, mode, reason } => t.end(by, mode, reason)?,
        Command::Rate { score, comment } => t.rate(score, comment)?,
        Command::Remind => t.remind()?,
        Command::Posted { location } => {
            let h = t.target()?;
            if h.location.as_ref() != Some(&location) {
                h.location = Some(location);
                t.changed = true;
            }
        }
        Command::Delivery {
            message_id,
            outcome,
        } => {
            t.target()?;
            t.bridge(BridgeEffect::Delivery {
                message_id,
                outcome,
            });
        }
    }
    Ok(t.finish())
}

/// The same chat user, whatever their display name is now.
fn same_person(a: &Agent, b: &Agent) -> bool {
    a.id == b.id && a.platform == b.platform
}

fn new_handover(id: HandoverId, req: Request, ctx: &Ctx<'_>) -> Handover {
    let mut recent = req.transcript;
    if recent.len() > RECENT_TRANSCRIPT {
        recent.drain(..recent.len() - RECENT_TRANSCRIPT);
    }
    Handover {
        id,
        platform: req.platform,
        conversation_id: req.conversation_id,
        bridge: req.bridge,
        status: Status::Pending,
        resolution: None,
        user: req.user,
        reason: req.reason,
        summary: req.summary,
        metadata: req.metadata,
        priority: req.priority,
        recent,
        assignee: None,
        requested_at: ctx.now,
        taken_at: None,
        first_response_at: None,
        ended_at: None,
        ended_by: None,
        end_reason: None,
        rating: None,
        location: None,
        mute_on_request: ctx.policy.mute_ai == crate::MuteAi::OnRequest,
        next_reminder_at: Some(ctx.now.plus(ctx.policy.remind_after)),
        reminders_sent: 0,
    }
}

/// The step under construction.
struct Builder<'c> {
    h: Option<Handover>,
    ctx: &'c Ctx<'c>,
    append: Vec<TranscriptEntry>,
    effects: Vec<Effect>,
    changed: bool,
}

impl Builder<'_> {
    fn finish(self) -> Transition {
        let route = route(self.h.as_ref());
        Transition {
            handover: self.h,
            created: false,
            changed: self.changed,
            append: self.append,
            effects: self.effects,
            route,
        }
    }

    fn target(&mut self) -> Result<&mut Handover, Rejection> {
        self.h.as_mut().ok_or(Rejection::NoOpenHandover)
    }

    /// The target, which must still be open.
    fn open(&mut self) -> Result<&mut Handover, Rejection> {
        let h = self.target()?;
        if h.status.is_open() {
            Ok(h)
        } else {
            Err(Rejection::NotOpen {
                resolution: h.resolution,
                ended_by: h.ended_by.clone(),
            })
        }
    }

    fn bridge(&mut self, e: BridgeEffect) {
        self.effects.push(Effect::Bridge(e));
    }

    fn egress(&mut self, e: EgressEvent) {
        self.effects.push(Effect::Egress(e));
    }

    /// A transcript entry to store; it does not change the handover record.
    fn record(&mut self, entry: TranscriptEntry) {
        self.append.push(entry);
    }

    /// An end-user or AI message: recorded and shown while a handover is open.
    fn relay(&mut self, role: Role, m: Message) {
        if self.h.as_ref().is_none_or(|h| !h.status.is_open()) {
            return;
        }
        let entry = TranscriptEntry {
            role,
            text: m.text,
            at: m.at,
            agent: None,
            message_id: Some(m.message_id),
            attachments: m.attachments,
        };
        self.record(entry.clone());
        self.bridge(BridgeEffect::Relay { entry });
    }

    /// Pending → in progress with `agent` as assignee.
    fn start(&mut self, agent: &Agent) {
        let now = self.ctx.now;
        if let Some(h) = self.h.as_mut() {
            h.status = Status::InProgress;
            h.assignee = Some(agent.clone());
            h.taken_at = Some(now);
            h.next_reminder_at = None;
            self.changed = true;
        }
        self.egress(EgressEvent::Taken {
            agent: agent.clone(),
        });
    }

    fn take(&mut self, by: Person) -> Result<(), Rejection> {
        let h = self.open()?;
        if !by.member {
            return Err(Rejection::NotMember);
        }
        match &h.assignee {
            Some(a) if same_person(a, &by.agent) => return Ok(()),
            Some(a) => return Err(Rejection::AlreadyTaken { by: a.clone() }),
            None => {}
        }
        self.start(&by.agent);
        self.bridge(BridgeEffect::UpdateCard);
        Ok(())
    }

    fn assign(&mut self, to: Person, by: Actor) -> Result<(), Rejection> {
        let h = self.open()?;
        let by_agent = match by {
            Actor::Platform => None,
            Actor::Person(p) if p.member || p.admin => Some(p.agent),
            Actor::Person(_) => return Err(Rejection::NotMemberOrAdmin),
        };
        if !to.member {
            return Err(Rejection::AssigneeNotMember { to: to.agent });
        }
        let previous = h.assignee.clone();
        if previous.as_ref().is_some_and(|a| same_person(a, &to.agent)) {
            return Ok(());
        }
        if h.status == Status::Pending {
            self.start(&to.agent);
        } else if let Some(h) = self.h.as_mut() {
            h.assignee = Some(to.agent.clone());
            self.changed = true;
        }
        self.egress(EgressEvent::Assigned {
            agent: to.agent,
            previous,
            by: by_agent,
        });
        self.bridge(BridgeEffect::UpdateCard);
        Ok(())
    }

    fn agent_message(
        &mut self,
        by: Person,
        message_id: String,
        text: String,
        attachments: Vec<Attachment>,
    ) -> Result<(), Rejection> {
        let prefix = self.ctx.policy.note_prefix.clone();
        let now = self.ctx.now;
        let h = self.open()?;
        if !by.member {
            return Err(Rejection::NotMember);
        }
        if let Some(note) = text.strip_prefix(prefix.as_str()) {
            self.record(TranscriptEntry {
                role: Role::Note,
                text: note.trim_start().to_owned(),
                at: now,
                agent: Some(by.agent),
                message_id: Some(message_id),
                attachments,
            });
            return Ok(());
        }
        if h.status == Status::Pending {
            if !self.ctx.policy.take_over_on_reply {
                return Err(Rejection::NotTaken);
            }
            self.start(&by.agent);
            self.bridge(BridgeEffect::UpdateCard);
        }
        if let Some(h) = self.h.as_mut()
            && h.first_response_at.is_none()
        {
            h.first_response_at = Some(now);
            self.changed = true;
        }
        self.record(TranscriptEntry {
            role: Role::Agent,
            text: text.clone(),
            at: now,
            agent: Some(by.agent.clone()),
            message_id: Some(message_id.clone()),
            attachments: attachments.clone(),
        });
        self.egress(EgressEvent::AgentMessage {
            message_id,
            agent: by.agent,
            text,
            attachments,
        });
        Ok(())
    }

    fn end(&mut self, by: Actor, mode: EndMode, reason: Option<String>) -> Result<(), Rejection> {
        let resolution = match mode {
            EndMode::Default if self.ctx.policy.return_to_ai => Resolution::ReturnedToAi,
            EndMode::Default | EndMode::Close => Resolution::Closed,
            EndMode::ReturnToAi => Resolution::ReturnedToAi,
            EndMode::Cancel => Resolution::Cancelled,
        };
        let now = self.ctx.now;
        let h = self.target()?;
        // The platform repeating its own end (e.g. a retried request) is not an error.
        if by == Actor::Platform
            && h.status == Status::Completed
            && h.resolution == Some(resolution)
        {
            return Ok(());
        }
        let h = self.open()?;
        let ended_by = match by {
            Actor::Platform => None,
            Actor::Person(p) if p.member => Some(p.agent),
            Actor::Person(_) => return Err(Rejection::NotMember),
        };
        h.status = Status::Completed;
        h.resolution = Some(resolution);
        h.ended_at = Some(now);
        h.ended_by = ended_by;
        h.end_reason = reason.clone();
        h.next_reminder_at = None;
        let agent = h.assignee.clone();
        self.changed = true;
        self.egress(EgressEvent::Ended {
            resolution,
            agent,
            reason,
        });
        self.bridge(BridgeEffect::UpdateCard);
        self.bridge(BridgeEffect::Archive);
        Ok(())
    }

    fn rate(&mut self, score: u8, comment: Option<String>) -> Result<(), Rejection> {
        let now = self.ctx.now;
        let h = self.target()?;
        if !(1..=5).contains(&score) {
            return Err(Rejection::InvalidScore);
        }
        if h.status != Status::Completed {
            return Err(Rejection::NotCompleted);
        }
        h.rating = Some(Rating {
            score,
            comment: comment.clone(),
            at: now,
        });
        self.changed = true;
        self.bridge(BridgeEffect::Rated { score, comment });
        self.bridge(BridgeEffect::UpdateCard);
        Ok(())
    }

    /// A reminder fires only for a pending handover whose reminder is due; the next one
    /// is due `remind_every` later, so reminders never come more often.
    fn remind(&mut self) -> Result<(), Rejection> {
        let now = self.ctx.now;
        let every = self.ctx.policy.remind_every;
        let h = self.target()?;
        let due = h.status == Status::Pending && h.next_reminder_at.is_some_and(|at| at <= now);
        if !due {
            return Ok(());
        }
        h.reminders_sent = h.reminders_sent.saturating_add(1);
        h.next_reminder_at = Some(now.plus(every));
        let count = h.reminders_sent;
        self.changed = true;
        self.bridge(BridgeEffect::Remind { count });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
