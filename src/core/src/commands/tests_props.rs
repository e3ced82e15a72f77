//! Properties of the `/handover` grammar: no panics on any input, canonical round trips.

use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn member_strategy() -> impl Strategy<Value = MemberRef> {
    prop_oneof![
        "[UW][A-Z0-9]{2,12}".prop_map(|id| MemberRef { id, role: false }),
        ("[1-9][0-9]{16,18}", any::<bool>()).prop_map(|(id, role)| MemberRef { id, role }),
    ]
}

fn id_strategy() -> impl Strategy<Value = Option<HandoverId>> {
    proptest::option::of((1..=u64::MAX).prop_map(HandoverId))
}

fn command_strategy() -> impl Strategy<Value = HandoverCommand> {
    use HandoverCommand as C;
    let end_choice = prop_oneof![
        Just(EndChoice::Default),
        Just(EndChoice::Ai),
        Just(EndChoice::Close)
    ];
    prop_oneof![
        Just(C::Help),
        Just(C::Queue),
        Just(C::Mine),
        Just(C::Enable),
        Just(C::Disable),
        Just(C::Digest),
        id_strategy().prop_map(|id| C::Take { id }),
        (id_strategy(), member_strategy()).prop_map(|(id, member)| C::Assign { id, member }),
        (id_strategy(), end_choice).prop_map(|(id, mode)| C::End { id, mode }),
        Just(C::Members(MembersCommand::List)),
        member_strategy().prop_map(|m| C::Members(MembersCommand::Add(m))),
        member_strategy().prop_map(|m| C::Members(MembersCommand::Remove(m))),
        proptest::option::of(1u64..=366 * 24).prop_map(|h| C::Stats {
            window: h.map(|h| Duration::from_secs(h * 3_600))
        }),
    ]
}

/// Words the grammar knows, to steer random input into the deeper branches.
fn word_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "/handover",
            "help",
            "take",
            "assign",
            "end",
            "ai",
            "close",
            "members",
            "add",
            "remove",
            "list",
            "stats",
            "7d",
            "H-1",
            "#H-2",
            "h-",
            "<@U0AAA|g>",
            "<@&1>",
            "<@!",
            "role:",
            "ü",
            "\u{0}",
            "\u{202e}",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        "\\PC{0,12}",
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_anything(s in any::<String>()) {
        let _ = parse(&s).map(|c| c.to_string()).map_err(|e| e.to_string());
    }

    #[test]
    fn parse_never_panics_on_near_commands(words in prop::collection::vec(word_strategy(), 0..6),
                                           seps in prop::collection::vec("[ \t\n\u{a0}\u{3000}]{1,3}", 6)) {
        let mut text = String::new();
        for (w, s) in words.iter().zip(&seps) {
            text.push_str(w);
            text.push_str(s);
        }
        if let Ok(cmd) = parse(&text) {
            // Whatever is accepted has a canonical form that means the same.
            prop_assert_eq!(parse(&cmd.to_string()), Ok(cmd));
        }
    }

    #[test]
    fn round_trip(cmd in command_strategy()) {
        prop_assert_eq!(parse(&cmd.to_string()), Ok(cmd.clone()));
        prop_assert_eq!(parse(&format!("/handover  {cmd}\n")), Ok(cmd));
    }

    #[test]
    fn member_tokens_round_trip(m in member_strategy()) {
        prop_assert_eq!(parse_member(&m.to_string()), Some(m));
    }
}
