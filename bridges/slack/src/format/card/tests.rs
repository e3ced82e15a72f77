//! Tests of the handover card: Slack's own types accept it, text is escaped, limits hold.

use handover_core::{
    Agent, Priority, Rating, Resolution, Role, Status, Timestamp, TranscriptEntry,
};
use serde_json::Value;
use slack_morphism::prelude::*;

use super::*;
use crate::format::tests::handover;

const MIN: i64 = 60_000;

fn agent(id: &str, name: &str) -> Agent {
    Agent {
        id: id.into(),
        name: name.into(),
        platform: "slack".into(),
    }
}

fn line(role: Role, text: &str) -> TranscriptEntry {
    TranscriptEntry {
        role,
        text: text.into(),
        at: Timestamp(0),
        agent: None,
        message_id: None,
        attachments: Vec::new(),
    }
}

/// A handover in every state the card shows, with every optional part filled in.
fn every_state() -> Vec<(&'static str, Handover)> {
    let mut full = handover();
    full.summary = Some("Order 42 arrived broken.".into());
    full.priority = Priority::Urgent;
    full.user.email = Some("ada@example.com".into());
    full.metadata = [("plan", "pro"), ("order", "42")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    full.recent = vec![
        line(Role::User, "It broke"),
        line(Role::Ai, "Sorry to hear"),
    ];
    let grace = agent("U0GRACE", "Grace");
    let taken = Handover {
        status: Status::InProgress,
        assignee: Some(grace.clone()),
        taken_at: Some(Timestamp(2 * MIN)),
        ..full.clone()
    };
    let ended = |resolution, by: Option<Agent>| Handover {
        status: Status::Completed,
        resolution: Some(resolution),
        ended_at: Some(Timestamp(42 * MIN)),
        ended_by: by,
        end_reason: Some("solved".into()),
        rating: Some(Rating {
            score: 4,
            comment: Some("Quick".into()),
            at: Timestamp(50 * MIN),
        }),
        ..taken.clone()
    };
    vec![
        ("bare pending", handover()),
        ("pending", full.clone()),
        ("in progress", taken.clone()),
        (
            "returned",
            ended(Resolution::ReturnedToAi, Some(grace.clone())),
        ),
        (
            "closed",
            ended(Resolution::Closed, Some(agent("U0BOSS", "Boss"))),
        ),
        ("cancelled", ended(Resolution::Cancelled, None)),
    ]
}

fn blocks(c: &Card) -> &Vec<Value> {
    c.blocks
        .as_array()
        .unwrap_or_else(|| panic!("blocks is not an array: {c:?}"))
}

fn block<'a>(c: &'a Card, id: &str) -> Option<&'a Value> {
    blocks(c).iter().find(|b| b["block_id"] == id)
}

fn text_of(c: &Card, id: &str) -> String {
    block(c, id)
        .and_then(|b| b["text"]["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn action_ids(c: &Card) -> Vec<String> {
    block(c, "actions")
        .and_then(|b| b["elements"].as_array())
        .map(|els| {
            els.iter()
                .filter_map(|e| e["action_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn slack_morphism_accepts_the_card_in_every_state() {
    for (name, h) in every_state() {
        let c = card(&h, Timestamp(45 * MIN));
        let parsed: Vec<SlackBlock> =
            serde_json::from_value(c.blocks.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.len(), blocks(&c).len(), "{name}");
        for b in &parsed {
            assert!(
                !matches!(b, SlackBlock::Unknown(_)),
                "{name}: not a known block: {b:?}"
            );
        }
        // And it serializes back to what we produced (nothing was dropped or renamed).
        let again = serde_json::to_value(&parsed).unwrap_or_default();
        assert_eq!(again, c.blocks, "{name}");
        assert!(parsed.len() <= MAX_BLOCKS);
        assert!(!c.text.is_empty());
    }
}

#[test]
fn status_lines_and_buttons_follow_the_state() {
    let now = Timestamp(45 * MIN);
    let want = [
        (
            "bare pending",
            "⏳ Pending · waiting 45m",
            vec!["handover_take", "handover_end_ai", "handover_close"],
        ),
        (
            "pending",
            "⏳ Pending · waiting 45m",
            vec!["handover_take", "handover_end_ai", "handover_close"],
        ),
        (
            "in progress",
            "🙋 In progress — <@U0GRACE>",
            vec!["handover_end_ai", "handover_close"],
        ),
        (
            "returned",
            "✅ Returned to AI by <@U0GRACE> · after 42m\n_solved_",
            vec![],
        ),
        (
            "closed",
            "🔒 Closed by <@U0BOSS> · handled by <@U0GRACE> · after 42m\n_solved_",
            vec![],
        ),
        (
            "cancelled",
            "✖ Cancelled by the AI platform · handled by <@U0GRACE> · after 42m\n_solved_",
            vec![],
        ),
    ];
    for ((name, h), (wname, status, actions)) in every_state().into_iter().zip(want) {
        assert_eq!(name, wname);
        let c = card(&h, now);
        assert_eq!(text_of(&c, "status"), status, "{name}");
        assert_eq!(action_ids(&c), actions, "{name}");
        let rated = h.rating.is_some();
        assert_eq!(
            text_of(&c, "rating").contains("★★★★☆ 4/5 — “Quick”"),
            rated,
            "{name}"
        );
    }
}

#[test]
fn buttons_carry_the_id_and_styles() {
    let c = card(&handover(), Timestamp(0));
    let actions = block(&c, "actions")
        .map(|b| b["elements"].clone())
        .unwrap_or_default();
    assert_eq!(actions[0]["text"]["text"], "Take over");
    assert_eq!(actions[0]["style"], "primary");
    assert_eq!(actions[1]["text"]["text"], "End → AI");
    assert!(actions[1].get("style").is_none());
    assert_eq!(actions[2]["text"]["text"], "Close");
    assert_eq!(actions[2]["style"], "danger");
    for b in actions.as_array().into_iter().flatten() {
        assert_eq!(b["value"], "H-1");
    }
}

#[test]
fn block_ids_are_stable_and_in_order() {
    let (_, h) = every_state().swap_remove(2);
    let ids: Vec<String> = blocks(&card(&h, Timestamp(0)))
        .iter()
        .filter_map(|b| b["block_id"].as_str().map(String::from))
        .collect();
    assert_eq!(
        ids,
        [
            "header",
            "who",
            "reason",
            "summary",
            "metadata",
            "transcript",
            "status",
            "actions"
        ]
    );
    let again: Vec<Value> = blocks(&card(&h, Timestamp(99 * MIN))).clone();
    assert_eq!(again.len(), ids.len());
}

#[test]
fn header_shows_id_name_and_priority() {
    let (_, h) = every_state().swap_remove(1);
    assert_eq!(
        text_of(&card(&h, Timestamp(0)), "header"),
        "H-1 · Ada · 🔴 Urgent"
    );
    let mut h = handover();
    assert_eq!(text_of(&card(&h, Timestamp(0)), "header"), "H-1 · Ada");
    h.priority = Priority::High;
    h.user.name = "N".repeat(500);
    let header = text_of(&card(&h, Timestamp(0)), "header");
    assert!(header.chars().count() <= 150, "{header}");
    assert!(header.ends_with("… · 🟠 High"), "{header}");
}

#[test]
fn end_user_text_is_escaped_everywhere() {
    let evil = "<!channel> <@U0BOSS> <https://evil.example|bank> @here &";
    let mut h = handover();
    h.user.name = evil.into();
    h.user.email = Some(evil.into());
    h.user.id = evil.into();
    h.conversation_id = evil.into();
    h.reason = Some(evil.into());
    h.summary = Some(evil.into());
    h.metadata = [(evil.to_owned(), evil.to_owned())].into();
    h.recent = vec![line(Role::User, evil), line(Role::Ai, evil)];
    h.status = Status::Completed;
    h.resolution = Some(Resolution::Closed);
    h.ended_by = Some(Agent {
        id: evil.into(),
        name: evil.into(),
        platform: "slack".into(),
    });
    h.end_reason = Some(evil.into());
    h.rating = Some(Rating {
        score: 1,
        comment: Some(evil.into()),
        at: Timestamp(0),
    });
    let c = card(&h, Timestamp(0));
    let all = format!("{}{}", c.text, c.blocks);
    for bad in ["<!", "<@", "<http", "@here", "|bank>"] {
        assert!(!all.contains(bad), "{bad:?} in {all}");
    }
    assert!(text_of(&c, "reason").contains("&lt;!channel&gt;"));
    assert!(text_of(&c, "header").contains("‹!channel›"));
}

#[test]
fn metadata_shows_at_most_ten_fields() {
    let mut h = handover();
    h.metadata = (0..25)
        .map(|i| (format!("k{i:02}"), format!("v{i}")))
        .collect();
    let c = card(&h, Timestamp(0));
    let fields = block(&c, "metadata")
        .and_then(|b| b["fields"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(fields.len(), 10);
    assert_eq!(fields[0]["text"], "*k00*\nv0");
    assert_eq!(fields[9]["text"], "*…*\n16 more");
    h.metadata = (0..10)
        .map(|i| (format!("k{i}"), "x".repeat(5_000)))
        .collect();
    let c = card(&h, Timestamp(0));
    let fields = block(&c, "metadata")
        .and_then(|b| b["fields"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(fields.len(), 10);
    for f in fields {
        assert!(
            f["text"]
                .as_str()
                .is_some_and(|t| t.chars().count() <= 2_000)
        );
    }
}

#[test]
fn transcript_shows_the_last_lines_within_a_section() {
    let mut h = handover();
    h.recent = (0..20)
        .map(|i| {
            line(
                if i % 2 == 0 { Role::User } else { Role::Ai },
                &format!("message {i}\nsecond line"),
            )
        })
        .collect();
    let t = text_of(&card(&h, Timestamp(0)), "transcript");
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "*Recent conversation*");
    assert_eq!(lines[1], "*User:* message 12 second line");
    assert_eq!(lines[8], "*AI:* message 19 second line");
    assert_eq!(lines.len(), 9);

    h.recent = (0..20)
        .map(|_| line(Role::User, &"&".repeat(2_000)))
        .collect();
    let c = card(&h, Timestamp(0));
    let t = text_of(&c, "transcript");
    assert!(t.chars().count() <= MAX_SECTION, "{}", t.chars().count());
    assert!(
        t.lines().skip(1).all(|l| l.ends_with("&amp;…")),
        "an entity was cut"
    );

    h.recent = vec![line(Role::Note, "internal")];
    assert!(block(&card(&h, Timestamp(0)), "transcript").is_none());
}

#[test]
fn long_texts_fit_their_blocks() {
    let mut h = handover();
    h.reason = Some("<".repeat(10_000));
    h.summary = Some("word ".repeat(5_000));
    let c = card(&h, Timestamp(0));
    for b in blocks(&c) {
        if let Some(t) = b["text"]["text"].as_str() {
            assert!(
                t.chars().count() <= MAX_SECTION,
                "{} too long",
                b["block_id"]
            );
        }
    }
    assert!(text_of(&c, "reason").starts_with("*Reason*\n&lt;"));
    assert!(c.text.chars().count() < 500);
}

#[test]
fn fallback_text_names_the_handover() {
    let c = card(&handover(), Timestamp(3 * MIN));
    assert_eq!(
        c.text,
        "H-1 from Ada: wants a refund · ⏳ Pending · waiting 3m"
    );
}
