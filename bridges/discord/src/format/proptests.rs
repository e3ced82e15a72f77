//! Properties of Discord escaping and splitting over arbitrary text.

use proptest::prelude::*;

use super::{escape, split};

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("**bold**".to_owned()),
        Just("`code`".to_owned()),
        Just("> quote".to_owned()),
        Just("||spoiler||".to_owned()),
        Just("\\".to_owned()),
        Just("@everyone <@123> <@&456>".to_owned()),
        Just("\n".to_owned()),
        "[a-z*_~`|>\\\\ \n]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

const MARKUP: [char; 7] = ['*', '_', '~', '`', '|', '>', '\\'];

proptest! {
    #[test]
    fn every_markdown_character_is_escaped_and_nothing_else_changes(t in text()) {
        let e = escape(&t);
        let mut chars = e.chars();
        let mut back = String::new();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let next = chars.next();
                prop_assert!(next.is_some_and(|n| MARKUP.contains(&n)), "lone escape in {e:?}");
                back.extend(next);
            } else {
                prop_assert!(!MARKUP.contains(&c), "unescaped {c:?} in {e:?}");
                back.push(c);
            }
        }
        prop_assert_eq!(back, t);
    }

    #[test]
    fn split_parts_fit_and_drop_only_the_newlines_they_break_at(t in text(), max in 1usize..40) {
        let parts = split(&t, max);
        prop_assert!(!parts.is_empty());
        for p in &parts {
            prop_assert!(p.chars().count() <= max, "{p:?} longer than {max}");
        }
        let kept: usize = parts.iter().map(|p| p.chars().count()).sum();
        let dropped = t.chars().count() - kept;
        // At most one newline per break (a cut right before a newline drops it too).
        prop_assert!(dropped <= parts.len());
        prop_assert_eq!(parts.concat().replace('\n', ""), t.replace('\n', ""));
    }
}
