//! Random sequences of what the AI platform and agents do, against the real daemon
//! (HTTP API, engine, sled in a temp dir): after every sequence, at most one open
//! handover per conversation, the AI gate agrees with each handover's status, and no
//! accepted message or event is lost or doubled.

use std::collections::{BTreeMap, BTreeSet};

use handover_core::{EndMode, HandoverId};
use handover_daemon::engine::Action;
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

#[derive(Clone, Debug)]
enum Op {
    Request(usize),
    /// A user message; ids repeat on purpose (the platform's retries).
    UserMessage(usize, u8),
    Take(usize),
    AgentMessage(usize, u8),
    EndByPlatform(usize),
    EndByAgent(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0..3usize;
    prop_oneof![
        3 => c.clone().prop_map(Op::Request),
        4 => (c.clone(), 0..6u8).prop_map(|(c, m)| Op::UserMessage(c, m)),
        2 => c.clone().prop_map(Op::Take),
        2 => (c.clone(), 0..6u8).prop_map(|(c, m)| Op::AgentMessage(c, m)),
        1 => c.clone().prop_map(Op::EndByPlatform),
        1 => (c, any::<bool>()).prop_map(|(c, ai)| Op::EndByAgent(c, ai)),
    ]
}

/// What the test saw accepted, to compare with what the daemon did.
#[derive(Default)]
struct Seen {
    /// Per handover, the distinct user message ids accepted into it.
    user_messages: BTreeMap<String, BTreeSet<String>>,
    /// Every user message id accepted into a handover so far.
    message_ids: BTreeSet<String>,
    taken: usize,
    agent_messages: usize,
    ended: usize,
}

async fn open_handover(t: &TestDaemon, c: usize) -> Option<String> {
    let r = t.api.get(&format!("/v1/conversations/conv-{c}")).await;
    r.body["handover"]["handover_id"]
        .as_str()
        .map(str::to_owned)
}

async fn apply(t: &TestDaemon, op: &Op, seen: &mut Seen) {
    let engine = t.engine();
    let grace = || agent("UAAA", "Grace");
    match op {
        Op::Request(c) => {
            let r = t
                .api
                .post("/v1/handovers", handover_request(&format!("conv-{c}")))
                .await;
            assert!(matches!(r.status.as_u16(), 200 | 201), "{}", r.text);
        }
        Op::UserMessage(c, m) => {
            let id = format!("u-{c}-{m}");
            let r = t
                .api
                .post(
                    &format!("/v1/conversations/conv-{c}/messages"),
                    json!({"message_id": id, "text": format!("hello {id}")}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            // A repeated id is the platform's retry: ignored, even by a later handover
            // of the same conversation (ids are remembered per conversation).
            let with_handover = r.body["handover_id"].as_str();
            let first = with_handover.is_some() && seen.message_ids.insert(id.clone());
            if let Some(h) = with_handover.filter(|_| first) {
                seen.user_messages
                    .entry(h.to_owned())
                    .or_default()
                    .insert(id);
            }
        }
        Op::Take(c) | Op::AgentMessage(c, _) | Op::EndByAgent(c, _) => {
            let Some(h) = open_handover(t, *c).await else {
                return;
            };
            let id: HandoverId = h.parse().expect("id");
            let action = match op {
                Op::Take(_) => Action::Take,
                Op::AgentMessage(_, m) => Action::Message {
                    message_id: format!("a-{h}-{m}"),
                    text: "Agent here.".into(),
                    attachments: Vec::new(),
                },
                Op::EndByAgent(_, ai) => Action::End {
                    mode: if *ai {
                        EndMode::ReturnToAi
                    } else {
                        EndMode::Close
                    },
                },
                _ => return,
            };
            let dedupe = match op {
                Op::AgentMessage(_, m) => Some(format!("agent-{h}-{m}").into_bytes()),
                _ => None,
            };
            let status = |b: serde_json::Value| b["status"].as_str().unwrap_or("").to_owned();
            let before = status(t.api.get(&format!("/v1/handovers/{h}")).await.body);
            let Ok(a) = engine.act(id, grace(), vec![], action, dedupe).await else {
                return;
            };
            engine.store().durable(a.ticket).await.expect("durable");
            let after = status(t.api.get(&format!("/v1/handovers/{h}")).await.body);
            if before == "pending" && after == "in_progress" {
                seen.taken += 1;
            }
            if before != "completed" && after == "completed" {
                seen.ended += 1;
            }
            if matches!(op, Op::AgentMessage(..)) && !a.duplicate {
                seen.agent_messages += 1;
            }
        }
        Op::EndByPlatform(c) => {
            let Some(h) = open_handover(t, *c).await else {
                return;
            };
            let r = t
                .api
                .post(
                    &format!("/v1/handovers/{h}/end"),
                    json!({"resolution": "cancelled"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            seen.ended += 1;
        }
    }
}

async fn check(t: &TestDaemon, seen: &Seen) {
    // At most one open handover per conversation, and the gate agrees with it.
    let mut open_per_conversation: BTreeMap<String, usize> = BTreeMap::new();
    for status in ["pending", "in_progress"] {
        let page = t
            .api
            .get(&format!("/v1/handovers?status={status}&limit=500"))
            .await;
        for h in page.body["items"].as_array().expect("items") {
            let c = h["conversation_id"].as_str().expect("conversation");
            *open_per_conversation.entry(c.to_owned()).or_default() += 1;
        }
    }
    assert!(open_per_conversation.values().all(|n| *n == 1));
    for c in 0..3 {
        let r = t.api.get(&format!("/v1/conversations/conv-{c}")).await;
        let status = r.body["handover"]["status"].as_str();
        let want = if status == Some("in_progress") {
            "human"
        } else {
            "ai"
        };
        assert_eq!(r.body["route"], want, "{}", r.text);
    }
    // Every accepted user message is in its handover's transcript exactly once.
    let engine = t.engine();
    for (h, ids) in &seen.user_messages {
        let id: HandoverId = h.parse().expect("id");
        let transcript = engine.store().transcript(id).expect("transcript");
        for m in ids {
            let text = format!("hello {m}");
            let n = transcript.iter().filter(|e| e.text == text).count();
            assert_eq!(n, 1, "{m} in {h}");
        }
    }
    // Every event reached the AI platform once (by event id).
    let want = seen.taken + seen.agent_messages + seen.ended;
    for _ in 0..300 {
        if t.webhook.delivered().len() >= want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // A moment more, for anything beyond what was expected.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let events = t.webhook.delivered();
    let kinds = |k: &str| events.iter().filter(|e| e.json()["type"] == k).count();
    assert_eq!(kinds("handover.taken"), seen.taken);
    assert_eq!(kinds("agent.message"), seen.agent_messages);
    assert_eq!(kinds("handover.ended"), seen.ended);
    let ids: BTreeSet<String> = events
        .iter()
        .map(|e| e.json()["event_id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids.len(), events.len(), "no event delivered twice");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let t = TestDaemon::start("").await;
            let mut seen = Seen::default();
            for op in &ops {
                apply(&t, op, &mut seen).await;
            }
            check(&t, &seen).await;
            t.stop().await;
        });
    }
}
