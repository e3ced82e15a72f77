//! Tests of Slack text helpers: escaping, splitting, the short messages.

use std::collections::BTreeMap;
use std::time::Duration;

use handover_core::{
    Attachment, EndUser, Handover, HandoverId, Priority, Role, Status, Timestamp, TranscriptEntry,
};

use super::*;

/// No Slack control sequence survives: no `<` or `>` at all, and no bare broadcast.
fn assert_inert(out: &str) {
    assert!(!out.contains('<') && !out.contains('>'), "{out:?}");
    for word in ["@channel", "@here", "@everyone"] {
        assert!(!out.to_lowercase().contains(word), "{out:?} has {word}");
    }
}

#[test]
fn escape_neutralises_every_injection_form() {
    let cases = [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U0AAA>", "&lt;@U0AAA&gt;"),
        ("<@U0AAA|grace>", "&lt;@U0AAA|grace&gt;"),
        ("<#C0123|general>", "&lt;#C0123|general&gt;"),
        ("<!subteam^S0123|@team>", "&lt;!subteam^S0123|@team&gt;"),
        (
            "<https://evil.example|bank>",
            "&lt;https://evil.example|bank&gt;",
        ),
        ("<mailto:a@b.c|support>", "&lt;mailto:a@b.c|support&gt;"),
        ("<!date^1^{date}|x>", "&lt;!date^1^{date}|x&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
        ("a > b < c", "a &gt; b &lt; c"),
        ("@channel", "@\u{200D}channel"),
        ("hi @here!", "hi @\u{200D}here!"),
        ("@EVERYONE", "@\u{200D}EVERYONE"),
        ("@Channel @Here", "@\u{200D}Channel @\u{200D}Here"),
        ("mail me @ home, a@b.c", "mail me @ home, a@b.c"),
        ("@chan", "@chan"),
        ("", ""),
        ("ünïcödé 🎉", "ünïcödé 🎉"),
    ];
    for (input, want) in cases {
        let out = escape(input);
        assert_eq!(out, want, "{input:?}");
        assert_inert(&out);
    }
}

#[test]
fn escaped_text_decodes_back_to_the_input() {
    for s in ["<!channel> & <@U1>", "&amp;", "@here <x>", "plain"] {
        let decoded = escape(s)
            .replace('\u{200D}', "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert_eq!(decoded, s);
    }
}

#[test]
fn plain_text_uses_look_alikes() {
    assert_eq!(plain("Tom & <Jerry>\n\tx"), "Tom ＆ ‹Jerry› x");
    assert_inert(&plain("<!channel>"));
}

/// Checks the split rule: chunks in order, each at most `max` chars and non-empty, and
/// only whitespace between (and after) them.
fn assert_split_rule(text: &str, max: usize) -> Vec<String> {
    let chunks = split(text, max);
    let mut rest = text;
    for (n, c) in chunks.iter().enumerate() {
        assert!(!c.is_empty(), "empty chunk in {chunks:?}");
        assert!(c.chars().count() <= max.max(1), "chunk too long: {c:?}");
        let gap = rest.find(c.as_str()).unwrap_or(usize::MAX);
        assert!(gap != usize::MAX, "chunk {c:?} not found in order");
        assert!(
            rest[..gap].chars().all(char::is_whitespace) && (n > 0 || gap == 0),
            "dropped non-whitespace {:?} before {c:?}",
            &rest[..gap]
        );
        rest = &rest[gap + c.len()..];
    }
    assert!(rest.chars().all(char::is_whitespace), "lost tail {rest:?}");
    chunks
}

#[test]
fn split_prefers_paragraphs_then_lines_then_spaces() {
    let text = "one two three\n\nfour five\nsix seven eight";
    assert_eq!(
        assert_split_rule(text, 20),
        ["one two three", "four five\nsix seven", "eight"]
    );
    // With room for both paragraphs' start, the late line break wins over the early
    // paragraph break.
    assert_eq!(
        assert_split_rule(text, 30),
        ["one two three\n\nfour five", "six seven eight"]
    );
    assert_eq!(
        assert_split_rule("aaaa bbbb\ncccc dddd", 15),
        ["aaaa bbbb", "cccc dddd"]
    );
    assert_eq!(
        assert_split_rule("aaaa bbbb cccc", 11),
        ["aaaa bbbb", "cccc"]
    );
    // A break exactly at the limit.
    assert_eq!(assert_split_rule("abcde fghij", 5), ["abcde", "fghij"]);
    // An early paragraph break loses to a late line break.
    let early = format!("ab\n\n{}\n{}", "c".repeat(20), "d".repeat(5));
    assert_eq!(
        assert_split_rule(&early, 26),
        ["ab\n\n".to_owned() + &"c".repeat(20), "d".repeat(5)]
    );
}

#[test]
fn split_cuts_long_words_between_characters() {
    assert_eq!(assert_split_rule("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    let multi = "ééééé🎉🎉🎉日本語";
    let chunks = assert_split_rule(multi, 3);
    assert_eq!(chunks, ["ééé", "éé🎉", "🎉🎉日", "本語"]);
    assert_eq!(chunks.concat(), multi);
    let mixed = format!("short {} end", "x".repeat(12));
    assert_eq!(
        assert_split_rule(&mixed, 5),
        ["short", "xxxxx", "xxxxx", "xx", "end"]
    );
}

#[test]
fn split_edge_cases() {
    assert!(split("", 10).is_empty());
    assert_eq!(split("fits", 10), ["fits"]);
    assert_eq!(split("fits", 4), ["fits"]);
    assert_eq!(assert_split_rule("abc", 0), ["a", "b", "c"]);
    assert_eq!(assert_split_rule("   ", 1), [" ", " ", " "]);
    assert_eq!(assert_split_rule("  lead  ", 4), ["  le", "ad  "]);
    assert_eq!(assert_split_rule("word       ", 5), ["word"]);
    assert_eq!(assert_split_rule("a\n\n\n\nb", 2), ["a", "b"]);
    assert_eq!(assert_split_rule("ab \n\n cd", 3), ["ab", "cd"]);
}

#[test]
fn split_keeps_every_character_of_generated_texts() {
    // A deterministic pseudo-random mix of words, spaces, line and paragraph breaks.
    let pieces = [
        "lorem", "ipsum", " ", "\n", "\n\n", "ü", "日本", "🎉", "  ", "x",
    ];
    let mut seed = 7u64;
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..(seed % 60) {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
        }
        for max in [1, 2, 3, 7, 16, 100] {
            let chunks = assert_split_rule(&text, max);
            let squeeze = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(squeeze(&chunks.concat()), squeeze(&text));
        }
    }
}

#[test]
fn split_respects_slack_limits() {
    let text = "word ".repeat(20_000);
    let chunks = assert_split_rule(&text, MAX_TEXT);
    assert_eq!(chunks.len(), 3);
    assert!(
        chunks[..2]
            .iter()
            .all(|c| !c.ends_with(' ') && c.chars().count() > 39_990)
    );
    assert_eq!(MAX_SECTION, 3_000);
}

#[test]
fn split_is_linear_on_whitespace_only_text() {
    let text = " ".repeat(200_000);
    let chunks = split(&text, MAX_TEXT);
    assert_eq!(chunks.len(), 5);
    assert_eq!(chunks.concat(), text);
}

#[test]
fn clip_never_cuts_an_entity() {
    assert_eq!(clip("abcdef", 4), "abc…");
    assert_eq!(clip("abc", 3), "abc");
    assert_eq!(clip("ab&amp;cd", 4), "ab…");
    assert_eq!(clip("ab&amp;cd", 8), "ab&amp;…");
    assert_eq!(clip("日本語です", 3), "日本…");
}

#[test]
fn durations_read_naturally() {
    let m = |n: u64| Duration::from_secs(n * 60);
    assert_eq!(human_duration(Duration::from_secs(59)), "<1m");
    assert_eq!(human_duration(m(12)), "12m");
    assert_eq!(human_duration(m(60)), "1h");
    assert_eq!(human_duration(m(185)), "3h 5m");
    assert_eq!(human_duration(m(2 * 1440)), "2d");
    assert_eq!(human_duration(m(2 * 1440 + 250)), "2d 4h");
}

fn entry(text: &str, attachments: Vec<Attachment>) -> TranscriptEntry {
    TranscriptEntry {
        role: Role::User,
        text: text.into(),
        at: Timestamp(0),
        agent: None,
        message_id: None,
        attachments,
    }
}

fn attachment(url: &str, name: &str) -> Attachment {
    Attachment {
        url: url.into(),
        name: name.into(),
        content_type: None,
        size: None,
    }
}

#[test]
fn relay_text_escapes_text_and_builds_safe_links() {
    let e = entry(
        "<!channel> see <https://evil|bank> & @here",
        vec![
            attachment("https://files.example/a.png?x=1&y=2", "<@U0AAA> photo|x"),
            attachment("https://files.example/b c|d>e", "b.pdf"),
            attachment("javascript:alert(1)", "click <me>"),
            attachment("HTTP://UPPER.example/z", ""),
        ],
    );
    let out = relay_text(&e);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "&lt;!channel&gt; see &lt;https://evil|bank&gt; &amp; @\u{200D}here",
            "📎 <https://files.example/a.png?x=1&amp;y=2|&lt;@U0AAA&gt; photo|x>",
            "📎 <https://files.example/b%20c%7Cd%3Ee|b.pdf>",
            "📎 click &lt;me&gt; (javascript:alert(1))",
            "📎 <HTTP://UPPER.example/z|attachment>",
        ]
    );
    // The only `<` in the output open the links the bridge made.
    assert_eq!(out.matches('<').count(), 3);
    assert_eq!(relay_text(&entry("  ", vec![])), "_(empty message)_");
    assert_eq!(
        relay_text(&entry("line 1\nline 2", vec![])),
        "line 1\nline 2"
    );
}

#[test]
fn mentions_skip_discord_entries_and_junk() {
    let members: Vec<String> = [
        "U0AAA",
        "role:123456789012345678",
        "W0BBB",
        "123456789012345678",
        "<!channel>",
        "u0ccc",
        "",
    ]
    .map(String::from)
    .into();
    assert_eq!(mentions(&members), "<@U0AAA> <@W0BBB>");
    assert_eq!(mentions(&[]), "");
}

pub(super) fn handover() -> Handover {
    Handover {
        id: HandoverId(1),
        platform: "web".into(),
        conversation_id: "conv-1".into(),
        bridge: "slack".into(),
        status: Status::Pending,
        resolution: None,
        user: EndUser {
            id: "u-1".into(),
            name: "Ada".into(),
            email: None,
            avatar_url: None,
        },
        reason: Some("wants a refund".into()),
        summary: None,
        metadata: BTreeMap::new(),
        priority: Priority::Normal,
        recent: Vec::new(),
        assignee: None,
        requested_at: Timestamp(0),
        taken_at: None,
        first_response_at: None,
        ended_at: None,
        ended_by: None,
        end_reason: None,
        rating: None,
        location: None,
        mute_on_request: false,
        next_reminder_at: None,
        reminders_sent: 0,
    }
}

#[test]
fn announce_and_reminder_texts() {
    let members = vec!["U1AA".to_owned(), "U2BB".to_owned(), "role:42".to_owned()];
    let mut h = handover();
    assert_eq!(
        announce_text(&h, &members),
        "<@U1AA> <@U2BB> New handover H-1 from Ada: wants a refund"
    );
    assert_eq!(
        announce_text(&h, &[]),
        "New handover H-1 from Ada: wants a refund"
    );
    let now = Timestamp(20 * 60_000);
    assert_eq!(
        reminder_text(&h, 2, &members, now),
        "<@U1AA> <@U2BB> Reminder 2: H-1 from Ada has been waiting 20m: wants a refund"
    );
    h.reason = None;
    h.user.name = "<!here> Eve & @everyone".into();
    let out = announce_text(&h, &[]);
    assert_eq!(
        out,
        "New handover H-1 from &lt;!here&gt; Eve &amp; @\u{200D}everyone"
    );
    assert_inert(&out);
    h.reason = Some("<@U0BOSS> call me\nnow".into());
    assert_inert(&reminder_text(&h, 1, &[], now));
}

#[test]
fn delivery_and_rating_texts() {
    assert_eq!(
        delivery_failed_text("webhook answered 500 <!channel>"),
        "⚠️ Not delivered to the user: webhook answered 500 &lt;!channel&gt;"
    );
    assert_eq!(delivery_failed_text(""), "⚠️ Not delivered to the user.");
    assert_eq!(rating_text(4, None), "Customer rating: ★★★★☆ 4/5");
    assert_eq!(
        rating_text(5, Some("Great <@U1>!")),
        "Customer rating: ★★★★★ 5/5 — “Great &lt;@U1&gt;!”"
    );
    assert_eq!(rating_text(9, Some("  ")), "Customer rating: ★★★★★ 9/5");
    assert_eq!(DELIVERED, "white_check_mark");
    assert_eq!(FAILED, "warning");
}

#[test]
fn strip_bot_mention_variants() {
    assert_eq!(strip_bot_mention("<@UBOT> take", "UBOT"), "take");
    assert_eq!(
        strip_bot_mention("  <@UBOT>   end close ", "UBOT"),
        "end close "
    );
    assert_eq!(
        strip_bot_mention("<@UBOT|handover> assign <@U1>", "UBOT"),
        "assign <@U1>"
    );
    assert_eq!(strip_bot_mention("<@UBOT>", "UBOT"), "");
    assert_eq!(strip_bot_mention("<@UBOTX> take", "UBOT"), "<@UBOTX> take");
    assert_eq!(strip_bot_mention("take <@UBOT>", "UBOT"), "take <@UBOT>");
    assert_eq!(
        strip_bot_mention("<@UOTHER> take", "UBOT"),
        "<@UOTHER> take"
    );
    assert_eq!(strip_bot_mention("<@> take", ""), "<@> take");
    assert_eq!(strip_bot_mention("<@UBOT", "UBOT"), "<@UBOT");
}
