//! What people do from a chat platform, shared by every bridge: `/handover` commands
//! run against the engine and the runtime settings, answered in words for the person
//! who typed them (bridges show the answer privately).

use std::time::Duration;

use handover_core::commands::{EndChoice, HandoverCommand, MemberRef, MembersCommand, USAGE};
use handover_core::{Agent, EndMode, Handover, HandoverId, Rejection, Status, Timestamp};

use crate::bridge::BoxFuture;
use crate::engine::{Action, Engine, EngineError};
use crate::store::{StoreError, Ticket, Whose};

/// The person running a command.
#[derive(Clone, Debug)]
pub struct Who {
    pub bridge: &'static str,
    pub agent: Agent,
    /// Discord roles of the person (Slack has none).
    pub roles: Vec<String>,
}

/// How a bridge names people: a display name for an id, and a mention.
pub trait Names: Send + Sync {
    fn name<'a>(&'a self, id: &'a str) -> BoxFuture<'a, String>;
    fn mention(&self, member: &MemberRef) -> String {
        member.to_string()
    }

    /// The bridge, when it can post digests (for `/handover digest`).
    fn digest_poster(&self) -> Option<&dyn crate::bridge::Bridge> {
        None
    }
}

const LIST_LIMIT: usize = 25;
const DEFAULT_STATS_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// Runs `cmd` for `who`; `here` is the handover of the thread or channel it was typed
/// in. Refusals and usage errors are answers; only a store failure is an error (the
/// bridge then leaves the platform's delivery unacknowledged, so it comes again).
pub async fn run(
    engine: &Engine,
    who: &Who,
    here: Option<HandoverId>,
    cmd: HandoverCommand,
    names: &dyn Names,
) -> Result<String, StoreError> {
    let store = engine.store();
    let settings = engine.settings();
    if cmd.admin_only()
        && !settings
            .rights(store, who.bridge, &who.agent.id, &who.roles)?
            .admin
    {
        return Ok("Only admins can do that.".to_owned());
    }
    let need_id = |id: Option<HandoverId>, verb: &str| {
        id.or(here).ok_or_else(|| {
            format!("Which handover? Use `{verb} H-12`, or run it in the handover's thread.")
        })
    };
    let text = match cmd {
        HandoverCommand::Help => USAGE.to_owned(),
        HandoverCommand::Queue => listing(engine, who, |_| true)?,
        HandoverCommand::Mine => listing(engine, who, |h| {
            h.status == Status::Pending || h.assignee.as_ref().is_some_and(|a| a.id == who.agent.id)
        })?,
        HandoverCommand::Take { id } => match need_id(id, "take") {
            Err(t) => t,
            Ok(id) => {
                act(
                    engine,
                    who,
                    id,
                    Action::Take,
                    format!("You have {id} now. Reply in its thread to answer the customer."),
                )
                .await?
            }
        },
        HandoverCommand::Assign { id, member } => match need_id(id, "assign") {
            Err(t) => t,
            Ok(id) => {
                let name = names.name(&member.id).await;
                let to = Agent {
                    id: member.id.clone(),
                    name: name.clone(),
                    platform: who.bridge.to_owned(),
                };
                let action = Action::Assign {
                    to,
                    to_roles: Vec::new(),
                };
                act(engine, who, id, action, format!("{id} is now with {name}.")).await?
            }
        },
        HandoverCommand::End { id, mode } => match need_id(id, "end") {
            Err(t) => t,
            Ok(id) => {
                let (mode, done) = match mode {
                    EndChoice::Default => (EndMode::Default, "has ended"),
                    EndChoice::Ai => (EndMode::ReturnToAi, "is back with the AI"),
                    EndChoice::Close => (EndMode::Close, "is closed"),
                };
                act(
                    engine,
                    who,
                    id,
                    Action::End { mode },
                    format!("{id} {done}."),
                )
                .await?
            }
        },
        HandoverCommand::Members(m) => {
            let (text, ticket) = members(engine, who, m, names)?;
            if let Some(t) = ticket {
                store.durable(t).await?;
            }
            text
        }
        HandoverCommand::Enable | HandoverCommand::Disable => {
            let on = matches!(cmd, HandoverCommand::Enable);
            let ticket = settings.set_enabled(store, on)?;
            store.durable(ticket).await?;
            if on {
                "Handover is enabled: the AI can hand conversations over."
            } else {
                "Handover is disabled: new requests are refused; open handovers go on."
            }
            .to_owned()
        }
        HandoverCommand::Stats { window } => {
            stats(engine, who, window.unwrap_or(DEFAULT_STATS_WINDOW)).await?
        }
        HandoverCommand::Digest => match names.digest_poster().filter(|b| b.has_digest()) {
            None => "No digest channel is configured for this chat (`slack.digest_channel` or `discord.digest_channel_id`).".to_owned(),
            Some(b) => {
                let d = crate::digest::now(engine, who.bridge).await?;
                match b.post_digest(&d).await {
                    Ok(place) => format!("Posted the digest of the last 7 days to {place}."),
                    Err(e) => format!("The digest could not be posted: {}", e.reason),
                }
            }
        },
    };
    Ok(text)
}

async fn act(
    engine: &Engine,
    who: &Who,
    id: HandoverId,
    action: Action,
    ok: String,
) -> Result<String, StoreError> {
    match engine
        .act(id, who.agent.clone(), who.roles.clone(), action, None)
        .await
    {
        Ok(a) => {
            engine.store().durable(a.ticket).await?;
            Ok(ok)
        }
        Err(e) => answer_error(id, e),
    }
}

/// The words for a failed action, or the store error to pass on.
pub fn answer_error(id: HandoverId, e: EngineError) -> Result<String, StoreError> {
    match e {
        EngineError::Rejected(r) => Ok(refusal(id, &r)),
        EngineError::NotFound(_) => Ok(format!("{id} does not exist.")),
        EngineError::Store(s) => Err(s),
        EngineError::Stopped => Err(StoreError::Io("the daemon is shutting down".into())),
    }
}

/// Why something was refused, for the person who tried.
pub fn refusal(id: HandoverId, r: &Rejection) -> String {
    match r {
        Rejection::NotMember => format!(
            "Only the selected members can do that on {id}; nothing was sent to the customer."
        ),
        Rejection::NotMemberOrAdmin => {
            format!("Only selected members and admins can do that on {id}.")
        }
        Rejection::AlreadyTaken { by } => format!("{} already has {id}.", by.name),
        Rejection::NotOpen {
            ended_by: Some(a), ..
        } => format!("{id} was already ended by {}; nothing was sent.", a.name),
        Rejection::NotOpen { .. } => format!("{id} has already ended; nothing was sent."),
        Rejection::NotTaken => {
            format!("Take {id} over first (the Take over button or `take`), then reply.")
        }
        Rejection::AssigneeNotMember { to } => format!("{} is not a selected member.", to.name),
        other => format!("{id}: {other}."),
    }
}

fn listing(
    engine: &Engine,
    who: &Who,
    keep: impl Fn(&Handover) -> bool,
) -> Result<String, StoreError> {
    let store = engine.store();
    let mut open = store.list(Some(Status::Pending), None, LIST_LIMIT)?;
    open.extend(store.list(Some(Status::InProgress), None, LIST_LIMIT)?);
    open.retain(|h| h.bridge == who.bridge && keep(h));
    if open.is_empty() {
        return Ok("No open handovers.".to_owned());
    }
    open.sort_by_key(|h| h.id);
    let now = engine.now();
    let lines: Vec<String> = open.iter().map(|h| line(h, now)).collect();
    Ok(lines.join("\n"))
}

fn line(h: &Handover, now: Timestamp) -> String {
    let mins = now.since(h.requested_at).as_secs() / 60;
    let state = match &h.assignee {
        Some(a) if h.status == Status::InProgress => format!("with {}", a.name),
        _ => format!("waiting {mins} min"),
    };
    let reason = h.reason.as_deref().unwrap_or("no reason given");
    format!("{} · {state} · {} — {reason}", h.id, h.user.name)
}

/// Lists or changes the selected members; returns the answer and the write's ticket.
fn members(
    engine: &Engine,
    who: &Who,
    m: MembersCommand,
    names: &dyn Names,
) -> Result<(String, Option<Ticket>), StoreError> {
    let store = engine.store();
    let settings = engine.settings();
    let mut list = settings.members(store, who.bridge)?;
    let mut ticket = None;
    let text = match m {
        MembersCommand::List if list.is_empty() => "No selected members yet.".to_owned(),
        MembersCommand::List => {
            let shown: Vec<String> = list
                .iter()
                .map(|m| {
                    let r = m.strip_prefix("role:").map_or(
                        MemberRef {
                            id: m.clone(),
                            role: false,
                        },
                        |id| MemberRef {
                            id: id.to_owned(),
                            role: true,
                        },
                    );
                    names.mention(&r)
                })
                .collect();
            format!("Selected members: {}", shown.join(", "))
        }
        MembersCommand::Add(r) => {
            let entry = r.config_form();
            if list.contains(&entry) {
                format!("{} is already a selected member.", names.mention(&r))
            } else {
                list.push(entry);
                ticket = Some(settings.set_members(store, who.bridge, &list)?);
                format!("{} is now a selected member.", names.mention(&r))
            }
        }
        MembersCommand::Remove(r) => {
            let entry = r.config_form();
            let before = list.len();
            list.retain(|m| *m != entry);
            if list.len() == before {
                format!("{} was not a selected member.", names.mention(&r))
            } else {
                ticket = Some(settings.set_members(store, who.bridge, &list)?);
                format!("{} is no longer a selected member.", names.mention(&r))
            }
        }
    };
    Ok((text, ticket))
}

async fn stats(engine: &Engine, who: &Who, window: Duration) -> Result<String, StoreError> {
    // [from, to) up to and including this millisecond.
    let to = engine.now().plus(Duration::from_millis(1));
    let from = Timestamp(to.0 - i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let whose = Whose::Bridge(who.bridge.to_owned());
    let a = engine.store().analytics(whose, from, to).await?;
    let days = window.as_secs() / 86_400;
    Ok(crate::digest::stats_text(&format!("Last {days} days"), &a))
}
