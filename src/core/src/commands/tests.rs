//! Tests of the `/handover` grammar: accepted and rejected tables, edge cases.

use std::time::Duration;

use super::*;

fn slack(id: &str) -> MemberRef {
    MemberRef {
        id: id.into(),
        role: false,
    }
}

fn role(id: &str) -> MemberRef {
    MemberRef {
        id: id.into(),
        role: true,
    }
}

const SNOW: &str = "123456789012345678";

fn h(n: u64) -> Option<HandoverId> {
    Some(HandoverId(n))
}

fn days(n: u64) -> Option<Duration> {
    Some(Duration::from_secs(n * 86_400))
}

#[test]
fn accepted_inputs() {
    use HandoverCommand as C;
    let grace = slack("U0AAA");
    let table: Vec<(&str, HandoverCommand)> = vec![
        ("", C::Help),
        ("   \t\n", C::Help),
        ("help", C::Help),
        ("HELP", C::Help),
        ("help take", C::Help),
        ("/handover", C::Help),
        ("/handover help", C::Help),
        ("/HANDOVER queue", C::Queue),
        ("queue", C::Queue),
        ("  Queue  ", C::Queue),
        ("mine", C::Mine),
        ("take", C::Take { id: None }),
        ("take H-12", C::Take { id: h(12) }),
        ("take h-12", C::Take { id: h(12) }),
        ("take #H-12", C::Take { id: h(12) }),
        ("take 12", C::Take { id: h(12) }),
        ("TAKE\tH-3", C::Take { id: h(3) }),
        ("/handover take H-3", C::Take { id: h(3) }),
        (
            "assign <@U0AAA|grace>",
            C::Assign {
                id: None,
                member: grace.clone(),
            },
        ),
        (
            "assign <@U0AAA>",
            C::Assign {
                id: None,
                member: grace.clone(),
            },
        ),
        (
            "assign U0AAA",
            C::Assign {
                id: None,
                member: grace.clone(),
            },
        ),
        (
            "assign W0BBB",
            C::Assign {
                id: None,
                member: slack("W0BBB"),
            },
        ),
        (
            "assign H-4 <@U0AAA|grace>",
            C::Assign {
                id: h(4),
                member: grace.clone(),
            },
        ),
        (
            "assign <@U0AAA|grace> H-4",
            C::Assign {
                id: h(4),
                member: grace.clone(),
            },
        ),
        (
            "assign 4 U0AAA",
            C::Assign {
                id: h(4),
                member: grace.clone(),
            },
        ),
        (
            "assign <@123456789012345678>",
            C::Assign {
                id: None,
                member: slack(SNOW),
            },
        ),
        (
            "assign <@!123456789012345678>",
            C::Assign {
                id: None,
                member: slack(SNOW),
            },
        ),
        (
            "assign 123456789012345678",
            C::Assign {
                id: None,
                member: slack(SNOW),
            },
        ),
        (
            "assign H-9 <@&123456789012345678>",
            C::Assign {
                id: h(9),
                member: role(SNOW),
            },
        ),
        (
            "end",
            C::End {
                id: None,
                mode: EndChoice::Default,
            },
        ),
        (
            "end H-2",
            C::End {
                id: h(2),
                mode: EndChoice::Default,
            },
        ),
        (
            "end ai",
            C::End {
                id: None,
                mode: EndChoice::Ai,
            },
        ),
        (
            "end close",
            C::End {
                id: None,
                mode: EndChoice::Close,
            },
        ),
        (
            "End CLOSE",
            C::End {
                id: None,
                mode: EndChoice::Close,
            },
        ),
        (
            "end H-2 ai",
            C::End {
                id: h(2),
                mode: EndChoice::Ai,
            },
        ),
        (
            "end #H-2 close",
            C::End {
                id: h(2),
                mode: EndChoice::Close,
            },
        ),
        (
            "end close H-2",
            C::End {
                id: h(2),
                mode: EndChoice::Close,
            },
        ),
        ("members", C::Members(MembersCommand::List)),
        ("members list", C::Members(MembersCommand::List)),
        ("Members LIST", C::Members(MembersCommand::List)),
        (
            "members add <@U0AAA|grace>",
            C::Members(MembersCommand::Add(grace.clone())),
        ),
        (
            "members add role:123456789012345678",
            C::Members(MembersCommand::Add(role(SNOW))),
        ),
        (
            "members remove <@&42>",
            C::Members(MembersCommand::Remove(role("42"))),
        ),
        (
            "members remove U0AAA",
            C::Members(MembersCommand::Remove(grace)),
        ),
        ("enable", C::Enable),
        ("disable", C::Disable),
        ("stats", C::Stats { window: None }),
        ("stats 7d", C::Stats { window: days(7) }),
        ("stats 30d", C::Stats { window: days(30) }),
        ("stats 30D", C::Stats { window: days(30) }),
        ("stats 2w", C::Stats { window: days(14) }),
        ("stats 24h", C::Stats { window: days(1) }),
        (
            "stats 1h",
            C::Stats {
                window: Some(Duration::from_secs(3_600)),
            },
        ),
        ("stats 366d", C::Stats { window: days(366) }),
        ("stats 52w", C::Stats { window: days(364) }),
        ("digest", C::Digest),
    ];
    for (input, want) in table {
        assert_eq!(parse(input), Ok(want), "{input:?}");
    }
}

#[test]
fn rejected_inputs() {
    let table: &[(&str, &[&str])] = &[
        ("tak", &["unknown subcommand \"tak\"", "did you mean take?"]),
        ("asign", &["did you mean assign?"]),
        ("membres add", &["did you mean members?"]),
        ("qeueu", &["did you mean queue?"]),
        ("ed", &["did you mean end?"]),
        (
            "frobnicate",
            &["unknown subcommand \"frobnicate\"", "try help"],
        ),
        ("x", &["unknown subcommand \"x\"", "try help"]),
        ("/handover /handover", &["unknown subcommand \"/handover\""]),
        ("assign", &["assign needs a member: assign [id] @member"]),
        (
            "assign H-3",
            &["assign needs a member: assign [id] @member"],
        ),
        (
            "assign grace",
            &["\"grace\" is not a member", "assign [id] @member"],
        ),
        ("assign @grace", &["\"@grace\" is not a member"]),
        ("assign <!channel>", &["\"<!channel>\" is not a member"]),
        ("assign <@u0aaa>", &["is not a member"]),
        ("assign <@0123>", &["is not a member"]),
        (
            "assign H-x <@U0AAA>",
            &["\"H-x\" is not a handover id", "assign [id] @member"],
        ),
        ("assign H-1 grace", &["\"grace\" is not a member"]),
        ("assign H-1 <@U0AAA> more", &["too many words after assign"]),
        ("take H-x", &["\"H-x\" is not a handover id", "take [id]"]),
        ("take H-0", &["\"H-0\" is not a handover id"]),
        ("take <@U0AAA>", &["is not a handover id"]),
        ("take H-1 H-2", &["too many words after take: take [id]"]),
        (
            "end H-1 close now",
            &["too many words after end", "end [id] [ai|close]"],
        ),
        (
            "end H-x",
            &["\"H-x\" is not a handover id", "end [id] [ai|close]"],
        ),
        ("end #x", &["\"#x\" is not a handover id"]),
        (
            "end maybe",
            &["end does not take \"maybe\"", "end [id] [ai|close]"],
        ),
        ("end ai close", &["end does not take \"close\""]),
        ("end H-1 H-2", &["end does not take \"H-2\""]),
        ("queue all", &["too many words after queue: queue"]),
        ("mine please", &["too many words after mine"]),
        ("enable now", &["too many words after enable"]),
        ("disable now", &["too many words after disable"]),
        ("digest now", &["too many words after digest"]),
        (
            "members purge",
            &[
                "members does not take \"purge\"",
                "members list|add @member|remove @member",
            ],
        ),
        (
            "members add",
            &["members add needs a member: members add @member"],
        ),
        (
            "members remove",
            &["members remove needs a member: members remove @member"],
        ),
        (
            "members add grace",
            &["\"grace\" is not a member", "members add @member"],
        ),
        (
            "members add <@U1AA> <@U2BB>",
            &["too many words after members add"],
        ),
        ("members list all", &["too many words after members list"]),
        (
            "stats 7x",
            &["\"7x\" is not a time window", "stats [7d|30d|24h|2w]"],
        ),
        ("stats 0d", &["\"0d\" is not a time window"]),
        ("stats 367d", &["is not a time window"]),
        ("stats 53w", &["is not a time window"]),
        ("stats d", &["is not a time window"]),
        ("stats -7d", &["is not a time window"]),
        ("stats 7é", &["is not a time window"]),
        ("stats 99999999999d", &["is not a time window"]),
        ("stats 7d 30d", &["too many words after stats"]),
    ];
    for (input, fragments) in table {
        let err = match parse(input) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{input:?} was accepted as {c:?}"),
        };
        for f in *fragments {
            assert!(err.contains(f), "{input:?}: {err:?} lacks {f:?}");
        }
    }
}

#[test]
fn errors_name_the_usage_and_cut_long_words() {
    let e = parse("take H-x").err();
    assert_eq!(e.as_ref().and_then(CommandError::usage), Some("take [id]"));
    let e = parse("nope").err();
    assert_eq!(e.as_ref().and_then(CommandError::usage), None);
    let long = "ü".repeat(500);
    let msg = parse(&long)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.chars().count() < 250, "{msg}");
    assert!(msg.contains('…'));
}

#[test]
fn usage_lists_every_subcommand() {
    for sub in SUBCOMMANDS {
        assert!(
            USAGE.lines().any(|l| l.starts_with(sub)),
            "{sub} missing from USAGE"
        );
    }
}

#[test]
fn member_tokens() {
    assert_eq!(parse_member("<@U0AAA|grace>"), Some(slack("U0AAA")));
    assert_eq!(parse_member("<@W0AAA>"), Some(slack("W0AAA")));
    assert_eq!(parse_member("<@&456>"), Some(role("456")));
    assert_eq!(
        parse_member("12345678901234567"),
        Some(slack("12345678901234567"))
    );
    for bad in [
        "",
        "<@>",
        "<@",
        "<@U0AAA",
        "U0AAA>",
        "<@X0AAA>",
        "<@U0aaa>",
        "U",
        "UX",
        "u0aaa",
        "1234567890123456",
        "123456789012345678901",
        "99999999999999999999",
        "<@&>",
        "<@&U0AAA>",
        "<@!U0AAA>",
        "<@123|x>",
        "role:42",
        "<#C0123>",
        "<!subteam^S1|@t>",
        "@here",
    ] {
        assert_eq!(parse_member(bad), None, "{bad:?}");
    }
}

#[test]
fn admin_only_commands() {
    let admin: Vec<bool> = [
        "members add U0AAA",
        "members list",
        "enable",
        "disable",
        "digest",
        "take",
    ]
    .iter()
    .map(|t| parse(t).map(|c| c.admin_only()).unwrap_or_default())
    .collect();
    assert_eq!(admin, [true, false, true, true, true, false]);
    assert_eq!(role(SNOW).config_form(), format!("role:{SNOW}"));
    assert_eq!(slack("U0AAA").config_form(), "U0AAA");
}

#[test]
fn display_is_canonical() {
    let cases = [
        ("/handover Take #h-3", "take H-3"),
        ("assign <@U0AAA|grace> 4", "assign H-4 <@U0AAA>"),
        ("end CLOSE", "end close"),
        ("end close 2", "end H-2 close"),
        ("members", "members list"),
        (
            "members add role:123456789012345678",
            "members add <@&123456789012345678>",
        ),
        ("stats 2w", "stats 14d"),
        ("stats 36h", "stats 36h"),
        ("stats 48h", "stats 2d"),
    ];
    for (input, canonical) in cases {
        let cmd = parse(input).map(|c| c.to_string());
        assert_eq!(cmd.as_deref(), Ok(canonical), "{input:?}");
    }
}

#[test]
fn huge_inputs_do_not_hang_or_panic() {
    let big_word = "a".repeat(1 << 20);
    assert!(parse(&big_word).is_err());
    let many_words = "take ".repeat(200_000);
    assert!(parse(&many_words).is_err());
    let controls: String = (0u8..32).map(char::from).collect();
    assert!(parse(&controls).is_err() || parse(&controls) == Ok(HandoverCommand::Help));
    assert!(parse(&format!("stats {}", "9".repeat(100_000))).is_err());
}
