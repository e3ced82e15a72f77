//! The Slack bridge: handovers as Block Kit cards in private channels, conversations in
//! their threads, agents' replies relayed to the end user. Only this crate uses
//! slack-morphism.

#![forbid(unsafe_code)]
