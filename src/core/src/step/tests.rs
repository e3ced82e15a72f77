//! Tests of the handover state machine: shared fixtures here, the state × command
//! table in `tests_table.rs`, the focused lifecycle tests in `tests_lifecycle.rs`.

use std::cell::Cell;
use std::time::Duration;

use super::*;
use crate::*;

#[path = "tests_lifecycle.rs"]
mod lifecycle;
#[path = "tests_table.rs"]
mod table;

/// The instant every fixture handover is requested at.
const T0: i64 = 1_700_000_000_000;

/// `ms` milliseconds after [`T0`].
fn at(ms: i64) -> Timestamp {
    Timestamp(T0 + ms)
}

fn agent(id: &str, name: &str) -> Agent {
    Agent {
        id: id.to_owned(),
        name: name.to_owned(),
        platform: "slack".to_owned(),
    }
}

/// Member A.
fn alice() -> Agent {
    agent("UA", "Alice")
}

/// Member B.
fn bob() -> Agent {
    agent("UB", "Bob")
}

/// Neither a member nor an admin.
fn xavier() -> Agent {
    agent("UX", "Xavier")
}

/// An admin who is not a selected member.
fn dana() -> Agent {
    agent("UD", "Dana")
}

fn member(agent: Agent) -> Person {
    Person {
        agent,
        member: true,
        admin: false,
    }
}

fn outsider(agent: Agent) -> Person {
    Person {
        agent,
        member: false,
        admin: false,
    }
}

fn admin(agent: Agent) -> Person {
    Person {
        agent,
        member: false,
        admin: true,
    }
}

fn as_member(agent: Agent) -> Actor {
    Actor::Person(member(agent))
}

fn policy(mute_ai: MuteAi) -> Policy {
    Policy {
        mute_ai,
        ..Policy::default()
    }
}

/// A request for `conversation` carrying `n` transcript entries `m0`…`m{n-1}`.
fn request(conversation: &str, n: usize) -> Request {
    let transcript = (0..n)
        .map(|i| {
            let role = if i.is_multiple_of(2) {
                Role::User
            } else {
                Role::Ai
            };
            let ago = i64::try_from(n - i).expect("small n");
            TranscriptEntry {
                role,
                text: format!("m{i}"),
                at: at(-ago),
                agent: None,
                message_id: None,
                attachments: Vec::new(),
            }
        })
        .collect();
    Request {
        platform: "web".to_owned(),
        conversation_id: conversation.to_owned(),
        bridge: "slack".to_owned(),
        user: EndUser {
            id: "u-1".to_owned(),
            name: "Uma".to_owned(),
            email: None,
            avatar_url: None,
        },
        reason: Some("wants a human".to_owned()),
        summary: None,
        metadata: BTreeMap::new(),
        priority: Priority::Normal,
        transcript,
    }
}

fn message(id: &str, text: &str, when: Timestamp) -> Message {
    Message {
        message_id: id.to_owned(),
        text: text.to_owned(),
        attachments: Vec::new(),
        at: when,
    }
}

fn take(agent: Agent) -> Command {
    Command::Take { by: member(agent) }
}

fn say(by: Person, id: &str, text: &str) -> Command {
    Command::AgentMessage {
        by,
        message_id: id.to_owned(),
        text: text.to_owned(),
        attachments: Vec::new(),
    }
}

fn end_cmd(by: Actor, mode: EndMode) -> Command {
    Command::End {
        by,
        mode,
        reason: None,
    }
}

/// One step, with `new_id` counting its calls in `calls` and numbering ids from them.
fn step_counting(
    h: Option<Handover>,
    cmd: Command,
    now: Timestamp,
    policy: &Policy,
    enabled: bool,
    calls: &Cell<u64>,
) -> Result<Transition, Rejection> {
    let ctx = Ctx {
        now,
        policy,
        enabled,
    };
    step(h, cmd, &ctx, || {
        calls.set(calls.get() + 1);
        HandoverId(calls.get())
    })
}

/// One step with handover enabled (a created handover is `H-1`).
fn step_at(
    h: Option<Handover>,
    cmd: Command,
    now: Timestamp,
    policy: &Policy,
) -> Result<Transition, Rejection> {
    step_counting(h, cmd, now, policy, true, &Cell::new(0))
}

/// The handover after an accepted step.
fn handover_of(t: Result<Transition, Rejection>, why: &str) -> Handover {
    t.unwrap_or_else(|e| panic!("{why}: rejected: {e:?}"))
        .handover
        .unwrap_or_else(|| panic!("{why}: no handover"))
}

/// A pending handover of `conv-1`, requested at [`T0`].
fn new_pending(policy: &Policy) -> Handover {
    handover_of(
        step_at(None, Command::Request(request("conv-1", 3)), at(0), policy),
        "request",
    )
}

/// [`new_pending`] taken over by Alice 1 s later.
fn taken_by_alice(policy: &Policy) -> Handover {
    handover_of(
        step_at(Some(new_pending(policy)), take(alice()), at(1_000), policy),
        "take",
    )
}

/// `h` ended by `by` with `mode` 2 s after [`T0`].
fn ended(h: Handover, by: Actor, mode: EndMode, policy: &Policy) -> Handover {
    handover_of(
        step_at(Some(h), end_cmd(by, mode), at(2_000), policy),
        "end",
    )
}

/// Short names of effects, in order: `egress:taken`, `bridge:update_card`, …
fn kinds(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Egress(EgressEvent::Taken { .. }) => "egress:taken",
            Effect::Egress(EgressEvent::Assigned { .. }) => "egress:assigned",
            Effect::Egress(EgressEvent::AgentMessage { .. }) => "egress:agent_message",
            Effect::Egress(EgressEvent::Ended { .. }) => "egress:ended",
            Effect::Bridge(BridgeEffect::Announce) => "bridge:announce",
            Effect::Bridge(BridgeEffect::Relay { .. }) => "bridge:relay",
            Effect::Bridge(BridgeEffect::UpdateCard) => "bridge:update_card",
            Effect::Bridge(BridgeEffect::Remind { .. }) => "bridge:remind",
            Effect::Bridge(BridgeEffect::Delivery { .. }) => "bridge:delivery",
            Effect::Bridge(BridgeEffect::Rated { .. }) => "bridge:rated",
            Effect::Bridge(BridgeEffect::Archive) => "bridge:archive",
        })
        .collect()
}

fn roles(entries: &[TranscriptEntry]) -> Vec<Role> {
    entries.iter().map(|e| e.role).collect()
}

/// `status/resolution/assignee`, e.g. `in_progress/-/UA`, `completed/closed/UA`.
fn describe(h: Option<&Handover>) -> String {
    match h {
        None => "none".to_owned(),
        Some(h) => format!(
            "{}/{}/{}",
            h.status.as_str(),
            h.resolution.map_or("-", Resolution::as_str),
            h.assignee.as_ref().map_or("-", |a| a.id.as_str())
        ),
    }
}

#[test]
fn effect_names_cover_every_kind() {
    let p = Policy::default();
    let h = new_pending(&p);
    let t = step_at(Some(h), say(member(alice()), "s1", "hi"), at(10), &p).expect("reply");
    assert_eq!(
        kinds(&t.effects),
        ["egress:taken", "bridge:update_card", "egress:agent_message"]
    );
    assert_eq!(roles(&t.append), [Role::Agent]);
    assert_eq!(describe(t.handover.as_ref()), "in_progress/-/UA");
    assert_eq!(
        Duration::from_millis(300_000),
        p.remind_after,
        "fixtures assume the default 5 min"
    );
    assert_eq!(
        Duration::from_millis(900_000),
        p.remind_every,
        "fixtures assume the default 15 min"
    );
}
