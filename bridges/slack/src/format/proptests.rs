//! Properties of escaping and splitting over arbitrary text (including markup,
//! entities, mentions and multi-byte characters).

use proptest::prelude::*;

use super::{ZWJ, escape, split};

/// Text rich in the characters that matter here.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<!channel>".to_owned()),
        Just("<@U123>".to_owned()),
        Just("@here".to_owned()),
        Just("@EveryOne".to_owned()),
        Just("&amp;".to_owned()),
        Just("<https://evil|bank>".to_owned()),
        Just("\n\n".to_owned()),
        Just(" ".to_owned()),
        "[a-z&<>@ \n]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Undoes [`escape`].
fn unescape(s: &str) -> String {
    s.replace(ZWJ, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

proptest! {
    #[test]
    fn escaped_text_has_no_markup_and_reads_the_same(t in text()) {
        let e = escape(&t);
        prop_assert!(!e.contains('<') && !e.contains('>'));
        for (i, _) in e.match_indices('&') {
            let rest = &e[i..];
            prop_assert!(
                rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;")
            );
        }
        let lower = e.to_lowercase();
        for w in ["@channel", "@here", "@everyone"] {
            prop_assert!(!lower.contains(w), "{w} stays inert in {e:?}");
        }
        prop_assert_eq!(unescape(&e), t.replace(ZWJ, ""));
    }

    #[test]
    fn split_chunks_fit_and_lose_only_whitespace(t in text(), max in 1usize..40) {
        let chunks = split(&t, max);
        let mut at = 0;
        for c in &chunks {
            prop_assert!(!c.is_empty());
            prop_assert!(c.chars().count() <= max, "{c:?} longer than {max}");
            // In order, and only whitespace between consecutive chunks.
            let found = t[at..].find(c.as_str());
            prop_assert!(found.is_some(), "{c:?} not found after {at}");
            let start = at + found.unwrap_or(0);
            prop_assert!(t[at..start].chars().all(char::is_whitespace));
            at = start + c.len();
        }
        prop_assert!(t[at..].chars().all(char::is_whitespace));
    }
}
