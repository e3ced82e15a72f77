//! Why a `/handover` command was not understood, with the usage of the subcommand.

use std::fmt;

use super::{SUBCOMMANDS, U_STATS};

/// Why a command was not understood. `Display` says what is wrong, then the usage of
/// that subcommand after a colon. Quoted words are the user's own text (cut to 40
/// characters): escape the message where the platform needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// The first word is not a subcommand; `suggestion` is a close one.
    UnknownSubcommand {
        word: String,
        suggestion: Option<&'static str>,
    },
    /// `assign` or `members add|remove` without a member.
    MissingMember {
        sub: &'static str,
        usage: &'static str,
    },
    NotAMember {
        word: String,
        usage: &'static str,
    },
    NotAnId {
        word: String,
        usage: &'static str,
    },
    TooManyWords {
        sub: &'static str,
        usage: &'static str,
    },
    NotAWindow {
        word: String,
    },
    /// A word that has no place there (`end maybe`, `members purge`, `end ai close`).
    UnexpectedWord {
        sub: &'static str,
        word: String,
        usage: &'static str,
    },
}

impl CommandError {
    /// The usage line of the subcommand concerned (none for an unknown subcommand).
    pub fn usage(&self) -> Option<&'static str> {
        match self {
            CommandError::UnknownSubcommand { .. } => None,
            CommandError::NotAWindow { .. } => Some(U_STATS),
            CommandError::MissingMember { usage, .. }
            | CommandError::NotAMember { usage, .. }
            | CommandError::NotAnId { usage, .. }
            | CommandError::TooManyWords { usage, .. }
            | CommandError::UnexpectedWord { usage, .. } => Some(usage),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownSubcommand { word, suggestion } => match suggestion {
                Some(s) => write!(f, "unknown subcommand \"{word}\": did you mean {s}?"),
                None => write!(
                    f,
                    "unknown subcommand \"{word}\": try help (subcommands: {})",
                    SUBCOMMANDS.join(", ")
                ),
            },
            CommandError::MissingMember { sub, usage } => {
                write!(f, "{sub} needs a member: {usage}")
            }
            CommandError::NotAMember { word, usage } => write!(
                f,
                "\"{word}\" is not a member: mention them (@name) or give their id: {usage}"
            ),
            CommandError::NotAnId { word, usage } => {
                write!(f, "\"{word}\" is not a handover id (like H-12): {usage}")
            }
            CommandError::TooManyWords { sub, usage } => {
                write!(f, "too many words after {sub}: {usage}")
            }
            CommandError::NotAWindow { word } => write!(
                f,
                "\"{word}\" is not a time window (a number and h, d or w, from 1h to 366d): {U_STATS}"
            ),
            CommandError::UnexpectedWord { sub, word, usage } => {
                write!(f, "{sub} does not take \"{word}\": {usage}")
            }
        }
    }
}

impl std::error::Error for CommandError {}
