//! The subcommands' argument grammar: which words go where.

use super::tokens::{parse_member, parse_window, quote, suggest};
use super::*;

/// Parses the text of a `/handover` command, or of a mention command without the
/// mention.
pub fn parse(text: &str) -> Result<HandoverCommand, CommandError> {
    let mut words = text.split_whitespace().peekable();
    if words
        .peek()
        .is_some_and(|w| w.eq_ignore_ascii_case("/handover"))
    {
        words.next();
    }
    let Some(first) = words.next() else {
        return Ok(HandoverCommand::Help);
    };
    let args: Vec<&str> = words.collect();
    let name = first.to_lowercase();
    match name.as_str() {
        "help" => Ok(HandoverCommand::Help),
        "queue" => bare(&args, "queue", U_QUEUE, HandoverCommand::Queue),
        "mine" => bare(&args, "mine", U_MINE, HandoverCommand::Mine),
        "enable" => bare(&args, "enable", U_ENABLE, HandoverCommand::Enable),
        "disable" => bare(&args, "disable", U_DISABLE, HandoverCommand::Disable),
        "digest" => bare(&args, "digest", U_DIGEST, HandoverCommand::Digest),
        "take" => match args.as_slice() {
            [] => Ok(HandoverCommand::Take { id: None }),
            [id] => Ok(HandoverCommand::Take {
                id: Some(id_arg(id, U_TAKE)?),
            }),
            _ => Err(too_many("take", U_TAKE)),
        },
        "assign" => parse_assign(&args),
        "end" => parse_end(&args),
        "members" => parse_members(&args),
        "stats" => match args.as_slice() {
            [] => Ok(HandoverCommand::Stats { window: None }),
            [w] => parse_window(w)
                .map(|d| HandoverCommand::Stats { window: Some(d) })
                .ok_or_else(|| CommandError::NotAWindow { word: quote(w) }),
            _ => Err(too_many("stats", U_STATS)),
        },
        _ => Err(CommandError::UnknownSubcommand {
            word: quote(first),
            suggestion: suggest(&name),
        }),
    }
}

fn bare(
    args: &[&str],
    sub: &'static str,
    usage: &'static str,
    cmd: HandoverCommand,
) -> Result<HandoverCommand, CommandError> {
    if args.is_empty() {
        Ok(cmd)
    } else {
        Err(too_many(sub, usage))
    }
}

fn too_many(sub: &'static str, usage: &'static str) -> CommandError {
    CommandError::TooManyWords { sub, usage }
}

fn id_arg(word: &str, usage: &'static str) -> Result<HandoverId, CommandError> {
    word.parse().map_err(|_| CommandError::NotAnId {
        word: quote(word),
        usage,
    })
}

fn member_arg(word: &str, usage: &'static str) -> Result<MemberRef, CommandError> {
    parse_member(word).ok_or_else(|| CommandError::NotAMember {
        word: quote(word),
        usage,
    })
}

/// `assign @member`, `assign <id> @member`, and (tolerated) `assign @member <id>`.
fn parse_assign(args: &[&str]) -> Result<HandoverCommand, CommandError> {
    match args {
        [] => Err(CommandError::MissingMember {
            sub: "assign",
            usage: U_ASSIGN,
        }),
        [one] => match parse_member(one) {
            Some(member) => Ok(HandoverCommand::Assign { id: None, member }),
            // An id alone: the member is what is missing.
            None if one.parse::<HandoverId>().is_ok() => Err(CommandError::MissingMember {
                sub: "assign",
                usage: U_ASSIGN,
            }),
            None => Err(CommandError::NotAMember {
                word: quote(one),
                usage: U_ASSIGN,
            }),
        },
        [a, b] => {
            if let (Ok(id), Some(member)) = (a.parse::<HandoverId>(), parse_member(b)) {
                return Ok(HandoverCommand::Assign {
                    id: Some(id),
                    member,
                });
            }
            if let (Some(member), Ok(id)) = (parse_member(a), b.parse::<HandoverId>()) {
                return Ok(HandoverCommand::Assign {
                    id: Some(id),
                    member,
                });
            }
            let id = id_arg(a, U_ASSIGN)?;
            let member = member_arg(b, U_ASSIGN)?;
            Ok(HandoverCommand::Assign {
                id: Some(id),
                member,
            })
        }
        _ => Err(too_many("assign", U_ASSIGN)),
    }
}

/// `end`, `end <id>`, `end ai|close`, `end <id> ai|close` (either order).
fn parse_end(args: &[&str]) -> Result<HandoverCommand, CommandError> {
    if args.len() > 2 {
        return Err(too_many("end", U_END));
    }
    let mut id = None;
    let mut mode = None;
    for word in args {
        let choice = match word.to_ascii_lowercase().as_str() {
            "ai" => Some(EndChoice::Ai),
            "close" => Some(EndChoice::Close),
            _ => None,
        };
        match choice {
            Some(c) if mode.is_none() => mode = Some(c),
            Some(_) => {
                return Err(CommandError::UnexpectedWord {
                    sub: "end",
                    word: quote(word),
                    usage: U_END,
                });
            }
            None if id.is_none() => match word.parse::<HandoverId>() {
                Ok(parsed) => id = Some(parsed),
                Err(_) if looks_like_id(word) => {
                    return Err(CommandError::NotAnId {
                        word: quote(word),
                        usage: U_END,
                    });
                }
                Err(_) => {
                    return Err(CommandError::UnexpectedWord {
                        sub: "end",
                        word: quote(word),
                        usage: U_END,
                    });
                }
            },
            None => {
                return Err(CommandError::UnexpectedWord {
                    sub: "end",
                    word: quote(word),
                    usage: U_END,
                });
            }
        }
    }
    Ok(HandoverCommand::End {
        id,
        mode: mode.unwrap_or(EndChoice::Default),
    })
}

/// Whether a word was probably meant as a handover id (`H-x`, `#3`, `12a`).
fn looks_like_id(word: &str) -> bool {
    let w = word.strip_prefix('#').unwrap_or(word);
    (w.len() >= 2 && w.as_bytes()[..2].eq_ignore_ascii_case(b"h-"))
        || w.starts_with(|c: char| c.is_ascii_digit())
        || word.starts_with('#')
}

/// `members` (= list), `members list`, `members add @m`, `members remove @m`.
fn parse_members(args: &[&str]) -> Result<HandoverCommand, CommandError> {
    let Some((verb, rest)) = args.split_first() else {
        return Ok(HandoverCommand::Members(MembersCommand::List));
    };
    let (sub, usage) = match verb.to_ascii_lowercase().as_str() {
        "list" => {
            return bare(
                rest,
                "members list",
                U_MEMBERS,
                HandoverCommand::Members(MembersCommand::List),
            );
        }
        "add" => ("members add", U_MEMBERS_ADD),
        "remove" => ("members remove", U_MEMBERS_REMOVE),
        _ => {
            return Err(CommandError::UnexpectedWord {
                sub: "members",
                word: quote(verb),
                usage: U_MEMBERS,
            });
        }
    };
    let member = match rest {
        [] => return Err(CommandError::MissingMember { sub, usage }),
        [m] => member_arg(m, usage)?,
        _ => return Err(too_many(sub, usage)),
    };
    Ok(HandoverCommand::Members(if sub == "members add" {
        MembersCommand::Add(member)
    } else {
        MembersCommand::Remove(member)
    }))
}
