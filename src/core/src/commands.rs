//! The `/handover` command grammar, the same on Slack and Discord (and for Slack's
//! in-thread mention commands): text in, [`HandoverCommand`] or a [`CommandError`] out.
//!
//! Words are split on whitespace; subcommand names and keywords (`ai`, `close`, `list`,
//! …) are case-insensitive; a leading `/handover` is tolerated; empty text is `help`,
//! and so is `help` followed by anything (someone asking for help gets it).
//! [`HandoverCommand`]'s `Display` prints the canonical text, which parses back to the
//! same command.

use std::fmt;
use std::time::Duration;

use crate::HandoverId;

/// A parsed `/handover` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandoverCommand {
    Help,
    /// Pending and in-progress handovers.
    Queue,
    /// In progress and assigned to me, plus every pending one ("My Handover").
    Mine,
    /// `id: None`: the handover of the thread or channel the command was given in.
    Take {
        id: Option<HandoverId>,
    },
    Assign {
        id: Option<HandoverId>,
        member: MemberRef,
    },
    End {
        id: Option<HandoverId>,
        mode: EndChoice,
    },
    Members(MembersCommand),
    Enable,
    Disable,
    /// `window: None`: the default window (the caller's choice, 7 days in the spec).
    Stats {
        window: Option<Duration>,
    },
    Digest,
}

impl HandoverCommand {
    /// Only admins may run it: changing members, enable, disable, digest.
    pub fn admin_only(&self) -> bool {
        matches!(
            self,
            HandoverCommand::Members(MembersCommand::Add(_) | MembersCommand::Remove(_))
                | HandoverCommand::Enable
                | HandoverCommand::Disable
                | HandoverCommand::Digest
        )
    }
}

/// How `end` asks to finish: `end` (back to the AI when `return_to_ai` is on, else
/// closed), `end ai`, `end close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndChoice {
    Default,
    Ai,
    Close,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembersCommand {
    List,
    Add(MemberRef),
    Remove(MemberRef),
}

/// A chat user or (Discord) role named in a command. `id` is the platform's id: a
/// Slack `U…`/`W…` id or a Discord snowflake.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemberRef {
    pub id: String,
    /// A Discord role (`<@&…>`), whose members all count.
    pub role: bool,
}

impl MemberRef {
    /// The form used in config member lists: the id, or `role:<id>` for a role.
    pub fn config_form(&self) -> String {
        if self.role {
            format!("role:{}", self.id)
        } else {
            self.id.clone()
        }
    }
}

impl fmt::Display for MemberRef {
    /// A mention: `<@U0AAA>`, `<@123…>` or `<@&456…>` for a role.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.role {
            write!(f, "<@&{}>", self.id)
        } else {
            write!(f, "<@{}>", self.id)
        }
    }
}

/// The help text: every subcommand with a one-line description.
pub const USAGE: &str = "\
/handover <subcommand>: work with handovers. Inside a handover's thread or channel, [id] is that handover.
help: show this help
queue: list the pending and in-progress handovers
mine: my handovers: in progress and assigned to me, plus every pending one
take [id]: take a handover over (the AI stops answering that user)
assign [id] @member: give a handover to another selected member
end [id] [ai|close]: end a handover: back to the AI (the default when return_to_ai is on) or close it
members list|add @member|remove @member: show or change the selected members (changes: admins)
enable: accept new handovers (admins)
disable: refuse new handovers (admins)
stats [7d|30d|24h|2w]: handover figures over a time window (default 7d)
digest: post the weekly digest now (admins)
In a Slack thread, mention the bot instead: @bot take, @bot end, @bot end close, @bot assign @member";

const U_QUEUE: &str = "queue";
const U_MINE: &str = "mine";
const U_TAKE: &str = "take [id]";
const U_ASSIGN: &str = "assign [id] @member";
const U_END: &str = "end [id] [ai|close]";
const U_MEMBERS: &str = "members list|add @member|remove @member";
const U_MEMBERS_ADD: &str = "members add @member";
const U_MEMBERS_REMOVE: &str = "members remove @member";
const U_ENABLE: &str = "enable";
const U_DISABLE: &str = "disable";
const U_STATS: &str = "stats [7d|30d|24h|2w]";
const U_DIGEST: &str = "digest";

/// Subcommand names, in the order a suggestion prefers on a tie.
const SUBCOMMANDS: [&str; 11] = [
    "help", "queue", "mine", "take", "assign", "end", "members", "enable", "disable", "stats",
    "digest",
];

/// Quoted words in errors are cut to this many characters.
const QUOTE_MAX: usize = 40;

impl fmt::Display for HandoverCommand {
    /// The canonical text, without `/handover`: `take H-3`, `end close`, `stats 7d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = |id: &Option<HandoverId>| id.map(|i| format!(" {i}")).unwrap_or_default();
        match self {
            HandoverCommand::Help => f.write_str("help"),
            HandoverCommand::Queue => f.write_str("queue"),
            HandoverCommand::Mine => f.write_str("mine"),
            HandoverCommand::Take { id: i } => write!(f, "take{}", id(i)),
            HandoverCommand::Assign { id: i, member } => write!(f, "assign{} {member}", id(i)),
            HandoverCommand::End { id: i, mode } => {
                write!(f, "end{}", id(i))?;
                match mode {
                    EndChoice::Default => Ok(()),
                    EndChoice::Ai => f.write_str(" ai"),
                    EndChoice::Close => f.write_str(" close"),
                }
            }
            HandoverCommand::Members(MembersCommand::List) => f.write_str("members list"),
            HandoverCommand::Members(MembersCommand::Add(m)) => write!(f, "members add {m}"),
            HandoverCommand::Members(MembersCommand::Remove(m)) => {
                write!(f, "members remove {m}")
            }
            HandoverCommand::Enable => f.write_str("enable"),
            HandoverCommand::Disable => f.write_str("disable"),
            HandoverCommand::Stats { window: None } => f.write_str("stats"),
            HandoverCommand::Stats { window: Some(w) } => {
                write!(f, "stats {}", tokens::window_text(*w))
            }
            HandoverCommand::Digest => f.write_str("digest"),
        }
    }
}

mod error;
mod grammar;
mod tokens;

pub use error::CommandError;
pub use grammar::parse;
pub use tokens::{parse_member, parse_window};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_props;
