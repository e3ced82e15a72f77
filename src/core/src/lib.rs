//! The handover core: the whole lifecycle of a handover as a pure state machine.
//!
//! Nothing here does I/O, reads a clock or spawns a task. Time comes in through
//! [`Ctx::now`]; a transition returns the new state and the effects to carry out
//! (events for the AI platform, posts for the chat bridge). The daemon persists the
//! state and the effects together, then performs the effects from its outbox.

#![forbid(unsafe_code)]

pub mod analytics;
pub mod commands;
mod handback;
mod ids;
mod model;
mod policy;
mod step;

pub use handback::{Handback, handback};
pub use ids::{HandoverId, ParseIdError, Timestamp};
pub use model::{
    Agent, Attachment, EndUser, Handover, Location, Priority, Rating, Resolution, Role, Route,
    Status, TranscriptEntry,
};
pub use policy::{MuteAi, Policy, route};
pub use step::{
    Actor, BridgeEffect, Command, Ctx, DeliveryOutcome, Effect, EgressEvent, EndMode, Message,
    Person, Rejection, Request, Transition, step,
};

/// How many entries of the transcript sent with a request are kept on the handover
/// (the card shows them as "recent transcript").
pub const RECENT_TRANSCRIPT: usize = 20;
