//! The whole handover lifecycle through the API, the engine and the test-double chat.

use std::sync::Arc;
use std::time::Duration;

use handover_core::{EndMode, HandoverId, Timestamp};
use handover_daemon::clock::{ManualClock, SystemClock};
use handover_daemon::engine::Action;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_handover_goes_from_request_to_hand_back_with_signed_events() {
    let t = TestDaemon::start("").await;
    let r = t
        .api
        .post("/v1/handovers", handover_request("conv-1"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["handover_id"], "H-1");
    assert_eq!(r.body["status"], "pending");
    assert_eq!(
        r.body["route"], "ai",
        "on_take_over: the AI still answers while pending"
    );
    let id = HandoverId(1);

    // The chat shows the card and learns where it lives.
    wait_for(|| {
        t.chat
            .names_for("H-1")
            .contains(&"announce".to_owned())
            .then_some(())
    })
    .await;
    let h = wait_for(|| {
        let h = t
            .engine()
            .store()
            .handover(id)
            .expect("read")
            .expect("exists");
        h.location.is_some().then_some(h)
    })
    .await;
    assert_eq!(h.location.expect("location").channel, "C0HANDOVER");

    // A user message while pending is relayed and the AI may still answer.
    let m = t
        .api
        .post(
            "/v1/conversations/conv-1/messages",
            json!({"message_id": "m1", "text": "hello?"}),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    assert_eq!(
        m.body,
        json!({"route": "ai", "handover_id": "H-1", "status": "pending"})
    );

    // A selected member replies in the thread: that takes it over and relays the text.
    let engine = t.engine();
    let ada = agent("UAAA", "Grace");
    let msg = Action::Message {
        message_id: "1700000001.000100".into(),
        text: "Hi, I'm Grace. Let me check.".into(),
        attachments: vec![],
    };
    engine
        .act(id, ada.clone(), vec![], msg, None)
        .await
        .expect("reply accepted");
    let note = Action::Message {
        message_id: "1700000001.000200".into(),
        text: "// customer is a VIP".into(),
        attachments: vec![],
    };
    engine
        .act(id, ada.clone(), vec![], note, None)
        .await
        .expect("note accepted");

    let m = t
        .api
        .post(
            "/v1/conversations/conv-1/messages",
            json!({"message_id": "m2", "text": "thanks"}),
        )
        .await;
    assert_eq!(
        m.body["route"], "human",
        "the AI is muted once a person took over"
    );

    engine
        .act(
            id,
            ada.clone(),
            vec![],
            Action::End {
                mode: EndMode::Default,
            },
            None,
        )
        .await
        .expect("end");
    let m = t
        .api
        .post(
            "/v1/conversations/conv-1/messages",
            json!({"message_id": "m3", "text": "bye"}),
        )
        .await;
    assert_eq!(m.body, json!({"route": "ai"}));

    let events = t.webhook.wait_delivered(3).await;
    let kinds: Vec<String> = events
        .iter()
        .map(|e| e.json()["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(kinds, ["handover.taken", "agent.message", "handover.ended"]);
    for e in &events {
        assert_eq!(e.path, "/events");
        let ts = e.headers["x-handover-timestamp"].to_str().expect("ts");
        let sig = e.headers["x-handover-signature"].to_str().expect("sig");
        assert_eq!(
            sig,
            expected_signature(SECRET, ts, &e.body),
            "signature must verify independently"
        );
        assert_eq!(
            e.headers["x-handover-event-id"].to_str().expect("id"),
            e.json()["event_id"]
        );
        assert_eq!(e.json()["handover_id"], "H-1");
        assert_eq!(e.json()["conversation_id"], "conv-1");
    }
    assert_eq!(
        events[0].json()["data"]["agent"],
        json!({"id": "UAAA", "name": "Grace", "platform": "slack"})
    );
    assert_eq!(
        events[1].json()["data"]["text"],
        "Hi, I'm Grace. Let me check."
    );
    let ended = events[2].json();
    assert_eq!(ended["data"]["resolution"], "returned_to_ai");
    let back = &ended["data"]["handback"];
    assert_eq!(back["outcome"], "returned_to_ai");
    assert_eq!(back["agent"]["id"], "UAAA");
    let roles: Vec<&str> = back["transcript"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["role"].as_str().expect("role"))
        .collect();
    assert_eq!(
        roles,
        ["user", "agent", "user"],
        "every relayed message in order, no internal note"
    );

    // The agent's message was marked delivered in the chat once the platform took it.
    wait_for(|| {
        t.chat
            .names_for("H-1")
            .contains(&"delivered".to_owned())
            .then_some(())
    })
    .await;
    let names = t.chat.names_for("H-1");
    assert_eq!(
        &names[..3],
        ["announce", "relay:user", "update_card"],
        "{names:?}"
    );
    assert!(names.contains(&"archive".to_owned()));

    // Rating after the end is stored and shown.
    let r = t
        .api
        .post(
            "/v1/handovers/H-1/rating",
            json!({"score": 5, "comment": "great"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let h = t.api.get("/v1/handovers/H-1").await;
    assert_eq!(h.body["status"], "completed");
    assert_eq!(h.body["resolution"], "returned_to_ai");
    assert_eq!(h.body["rating"], json!({"score": 5, "comment": "great"}));
    assert_eq!(h.body["assignee"]["id"], "UAAA");
    assert!(
        h.body["taken_at"].is_string()
            && h.body["first_response_at"].is_string()
            && h.body["ended_at"].is_string()
    );
    assert_eq!(h.body["location"]["bridge"], "slack");
    wait_for(|| {
        t.chat
            .names_for("H-1")
            .contains(&"rated:5".to_owned())
            .then_some(())
    })
    .await;

    // A new request for the same conversation starts a new record.
    let r = t
        .api
        .post("/v1/handovers", handover_request("conv-1"))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["handover_id"].as_str()),
        (201, Some("H-2"))
    );
    t.stop().await;
}

#[tokio::test]
async fn two_members_taking_at_once_produce_exactly_one_winner() {
    let t = TestDaemon::start("").await;
    t.api.post("/v1/handovers", handover_request("race")).await;
    let engine = t.engine();
    let mut tasks = Vec::new();
    for who in ["UAAA", "UBBB"] {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            engine
                .act(HandoverId(1), agent(who, who), vec![], Action::Take, None)
                .await
        }));
    }
    let mut ok = 0;
    let mut told = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(e) => told.push(e.to_string()),
        }
    }
    assert_eq!(ok, 1, "exactly one winner; losers told: {told:?}");
    assert!(told[0].contains("already has this handover"), "{told:?}");
    let taken = t.webhook.wait_delivered(1).await;
    assert_eq!(taken.len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn mute_on_request_mutes_the_ai_from_the_request() {
    let t = TestDaemon::start("[handover]\nmute_ai = \"on_request\"").await;
    let r = t.api.post("/v1/handovers", handover_request("c")).await;
    assert_eq!(r.body["route"], "human");
    let c = t.api.get("/v1/conversations/c").await;
    assert_eq!(c.body["route"], "human");
    assert_eq!(c.body["handover"]["status"], "pending");
    t.stop().await;
}

#[tokio::test]
async fn reminders_fire_after_remind_after_and_never_more_often_than_remind_every() {
    let clock = ManualClock::at(Timestamp(1_800_000_000_000));
    let t = TestDaemon::start_manual(
        "[handover]\nremind_after = \"5m\"\nremind_every = \"15m\"",
        clock.clone(),
    )
    .await;
    t.api.post("/v1/handovers", handover_request("slow")).await;
    let reminders = || {
        t.chat
            .names_for("H-1")
            .into_iter()
            .filter(|n| n.starts_with("remind"))
            .count()
    };
    clock.advance(Duration::from_secs(4 * 60));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(), 0, "not before remind_after");
    clock.advance(Duration::from_secs(60));
    wait_for(|| (reminders() == 1).then_some(())).await;
    clock.advance(Duration::from_secs(14 * 60));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(), 1, "not again before remind_every");
    clock.advance(Duration::from_secs(60));
    wait_for(|| (reminders() == 2).then_some(())).await;
    assert_eq!(
        t.chat.names_for("H-1").last().map(String::as_str),
        Some("remind:2")
    );

    // The schedule survives a restart: nothing early, the third one on time.
    let t = t.restart_on(Arc::new(clock.clone())).await;
    let reminders = || {
        t.chat
            .names_for("H-1")
            .into_iter()
            .filter(|n| n.starts_with("remind"))
            .count()
    };
    clock.advance(Duration::from_secs(14 * 60));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(), 0, "no reminder early after the restart");
    clock.advance(Duration::from_secs(60));
    wait_for(|| (reminders() == 1).then_some(())).await;
    assert_eq!(
        t.chat.names_for("H-1").last().map(String::as_str),
        Some("remind:3")
    );
    t.stop().await;
}

#[tokio::test]
async fn an_agent_message_the_platform_never_accepts_is_marked_failed_after_give_up() {
    let clock = ManualClock::at(Timestamp(1_800_000_000_000));
    let t = TestDaemon::start_manual("", clock.clone()).await;
    t.webhook.set(Answer::Fail);
    t.api.post("/v1/handovers", handover_request("down")).await;
    let msg = Action::Message {
        message_id: "s1".into(),
        text: "hello".into(),
        attachments: vec![],
    };
    t.engine()
        .act(HandoverId(1), agent("UAAA", "Grace"), vec![], msg, None)
        .await
        .expect("accepted");
    wait_for(|| (t.webhook.all().len() >= 3).then_some(())).await;
    assert!(
        !t.chat
            .names_for("H-1")
            .iter()
            .any(|n| n == "failed" || n == "delivered")
    );
    clock.advance(Duration::from_secs(25 * 3600));
    wait_for(|| {
        t.chat
            .names_for("H-1")
            .contains(&"failed".to_owned())
            .then_some(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn messages_keep_their_order_per_conversation_while_conversations_run_in_parallel() {
    let t = TestDaemon::start("").await;
    const CONVERSATIONS: usize = 8;
    const MESSAGES: usize = 40;
    for c in 0..CONVERSATIONS {
        let r = t
            .api
            .post("/v1/handovers", handover_request(&format!("order-{c}")))
            .await;
        assert_eq!(r.status, 201);
    }
    let mut writers = Vec::new();
    for c in 0..CONVERSATIONS {
        let api = t.api.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..MESSAGES {
                let body = json!({"message_id": format!("m{i}"), "text": i.to_string()});
                let r = api
                    .post(&format!("/v1/conversations/order-{c}/messages"), body)
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let want: Vec<String> = (0..MESSAGES).map(|i| i.to_string()).collect();
    for c in 0..CONVERSATIONS {
        let id = HandoverId(c as u64 + 1);
        let stored: Vec<String> = t
            .engine()
            .store()
            .transcript(id)
            .expect("transcript")
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(stored, want, "stored transcript of {id} in order");
        let relayed = wait_for(|| {
            let texts: Vec<String> = t
                .chat
                .effects()
                .into_iter()
                .filter(|(h, _)| *h == id.to_string())
                .filter_map(|(_, e)| match e {
                    handover_core::BridgeEffect::Relay { entry } => Some(entry.text),
                    _ => None,
                })
                .collect();
            (texts.len() == MESSAGES).then_some(texts)
        })
        .await;
        assert_eq!(relayed, want, "relayed to the chat of {id} in order");
    }
    t.stop().await;
}

/// Copies the directory `from` into `to`, recursively.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// deploy.md's backup: a copy of the data directory taken while the daemon is stopped
/// holds everything — handovers, transcripts, pending deliveries and settings.
#[tokio::test]
async fn a_copy_of_the_stopped_data_directory_restores_everything() {
    let t = TestDaemon::start("").await;
    t.webhook.set(Answer::Fail);
    t.api.post("/v1/handovers", handover_request("kept")).await;
    let r = t
        .api
        .post(
            "/v1/conversations/kept/messages",
            json!({"message_id": "m1", "text": "still here?"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    grace_takes(&t.engine(), 1).await;
    let engine = t.engine();
    let ticket = engine
        .settings()
        .set_enabled(engine.store(), false)
        .expect("disable");
    engine.store().durable(ticket).await.expect("durable");
    wait_for(|| (!t.webhook.all().is_empty()).then_some(())).await;
    let (webhook, dir) = (t.webhook.clone(), t.dir.clone());
    t.stop().await;

    let backup = Arc::new(tempfile::tempdir().expect("tempdir"));
    copy_dir(dir.path(), backup.path());
    webhook.set(Answer::Ok);
    let toml = config_toml(backup.path(), webhook.addr, "");
    let r = TestDaemon::start_with(backup, webhook, toml, Vec::new(), Arc::new(SystemClock)).await;
    let h = r.api.get("/v1/handovers/H-1").await;
    assert_eq!(h.body["status"], "in_progress", "{}", h.text);
    let transcript = r.engine().store().transcript(HandoverId(1)).expect("read");
    assert!(transcript.iter().any(|e| e.text == "still here?"));
    // The pending handover.taken event is delivered from the copy.
    let taken = wait_for(|| {
        r.webhook
            .delivered()
            .into_iter()
            .find(|e| e.json()["type"] == "handover.taken")
    })
    .await;
    assert_eq!(taken.json()["handover_id"], "H-1");
    // The setting came along: handover is still disabled.
    let refused = r.api.post("/v1/handovers", handover_request("new")).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    r.stop().await;
}

/// Two members ending the same handover at once (one to the AI, one closing it): one
/// end happens, the other is told it already ended, and one `handover.ended` goes out.
#[tokio::test]
async fn two_members_ending_at_once_end_it_once() {
    let t = TestDaemon::start("").await;
    t.api
        .post("/v1/handovers", handover_request("end-race"))
        .await;
    let engine = t.engine();
    engine
        .act(
            HandoverId(1),
            agent("UAAA", "A"),
            vec![],
            Action::Take,
            None,
        )
        .await
        .expect("take");
    let mut tasks = Vec::new();
    for (who, mode) in [("UAAA", EndMode::ReturnToAi), ("UBBB", EndMode::Close)] {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            engine
                .act(
                    HandoverId(1),
                    agent(who, who),
                    vec![],
                    Action::End { mode },
                    None,
                )
                .await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(
            task.await
                .expect("task")
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    wait_for(|| {
        let ended = t
            .webhook
            .delivered()
            .iter()
            .filter(|e| e.json()["type"] == "handover.ended")
            .count();
        (ended == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ended = t
        .webhook
        .delivered()
        .iter()
        .filter(|e| e.json()["type"] == "handover.ended")
        .count();
    assert_eq!(ended, 1);
    t.stop().await;
}

/// The AI platform's webhook down for hours, then back: every event arrives, in order,
/// none abandoned (give_up_after is 24 h).
#[tokio::test]
async fn a_webhook_down_for_hours_gets_every_event_in_order_when_it_is_back() {
    let clock = ManualClock::at(Timestamp(1_800_000_000_000));
    let t = TestDaemon::start_manual("", clock.clone()).await;
    t.webhook.set(Answer::Fail);
    t.api
        .post("/v1/handovers", handover_request("outage"))
        .await;
    let engine = t.engine();
    engine
        .act(
            HandoverId(1),
            agent("UAAA", "A"),
            vec![],
            Action::Take,
            None,
        )
        .await
        .expect("take");
    for i in 0..5 {
        let msg = Action::Message {
            message_id: format!("s{i}"),
            text: format!("reply {i}"),
            attachments: vec![],
        };
        engine
            .act(HandoverId(1), agent("UAAA", "A"), vec![], msg, None)
            .await
            .expect("reply");
    }
    wait_for(|| (t.webhook.all().len() >= 3).then_some(())).await;
    for _ in 0..6 {
        clock.advance(Duration::from_secs(3600));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(t.webhook.delivered().is_empty());
    t.webhook.set(Answer::Ok);
    let got = t.webhook.wait_delivered(6).await;
    let kinds: Vec<String> = got
        .iter()
        .map(|e| {
            let j = e.json();
            format!(
                "{} {}",
                j["type"].as_str().unwrap_or(""),
                j["data"]["text"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "handover.taken ",
            "agent.message reply 0",
            "agent.message reply 1",
            "agent.message reply 2",
            "agent.message reply 3",
            "agent.message reply 4"
        ]
    );
    assert!(!t.chat.names_for("H-1").contains(&"failed".to_owned()));
    t.stop().await;
}
