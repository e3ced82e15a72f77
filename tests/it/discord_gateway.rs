//! The Discord bridge over a handover's life: readiness while the gateway reconnects
//! (nothing lost or doubled across the RESUME), reminders that ping the members, the
//! failed mark on an undeliverable reply, one winner for two clicks on "Take it",
//! notes, take-over on reply, End → AI, ratings and `/handover` answers.

use std::sync::Arc;
use std::time::Duration;

use handover_core::Timestamp;
use handover_daemon::bridge::Bridge;
use handover_daemon::clock::ManualClock;
use handover_discord::RestLimits;
use handover_emulators::discord::DiscordEmulatorConfig;
use serde_json::{Value, json};

use crate::discord_support::*;
use crate::support::*;

async fn setup() -> Setup {
    Setup::start(
        DiscordEmulatorConfig::default(),
        RestLimits::default(),
        "channel",
    )
    .await
}

/// The ids of the events of type `kind` the AI platform received.
fn events(s: &Setup, kind: &str) -> Vec<Value> {
    s.webhook
        .delivered()
        .into_iter()
        .map(|r| r.json())
        .filter(|e| e["type"] == kind)
        .collect()
}

fn header(s: &Setup, channel: &str) -> String {
    s.emu.messages(channel)[0].id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_resumes_an_outage_drops_readiness_and_nothing_is_doubled() {
    let s = setup().await;
    let (_, channel) = s.handover("gw").await;
    s.emu
        .user_message(&s.grace, &channel, "before the drop")
        .await
        .expect("message");
    wait_for(|| (events(&s, "agent.message").len() == 1).then_some(())).await;
    assert_eq!(s.api.raw("GET", "/readyz", None, vec![]).await.status, 200);

    // A dropped connection is resumed: the session goes on.
    s.emu.drop_connection();
    wait_for(|| (s.emu.resumes() >= 1).then_some(())).await;
    s.emu
        .user_message(&s.grace, &channel, "after the resume")
        .await
        .expect("message");
    wait_for(|| (events(&s, "agent.message").len() >= 2).then_some(())).await;

    // An outage: not ready until the gateway is back, then a new session. What Grace
    // wrote meanwhile is not replayed to the new session: the bridge backfills it.
    s.emu.start_outage();
    wait_for(|| (!s.bridge.ready()).then_some(())).await;
    assert_eq!(s.api.raw("GET", "/readyz", None, vec![]).await.status, 503);
    s.emu
        .user_message_while_away(&s.grace, &channel, "during the outage")
        .await
        .expect("message");
    s.emu.end_outage();
    for _ in 0..20 {
        if s.bridge.ready() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(s.bridge.ready(), "ready again after the outage");
    assert_eq!(s.api.raw("GET", "/readyz", None, vec![]).await.status, 200);

    wait_for(|| (events(&s, "agent.message").len() >= 3).then_some(())).await;
    s.emu
        .user_message(&s.grace, &channel, "after the outage")
        .await
        .expect("message");
    wait_for(|| (events(&s, "agent.message").len() >= 4).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts: Vec<Value> = events(&s, "agent.message")
        .iter()
        .map(|e| e["data"]["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [
            json!("before the drop"),
            json!("after the resume"),
            json!("during the outage"),
            json!("after the outage")
        ]
    );
    let during = s
        .emu
        .messages(&channel)
        .into_iter()
        .find(|m| m.json["content"] == "during the outage")
        .expect("stored");
    wait_for(|| {
        s.emu
            .message(&channel, &during.id)
            .filter(|m| m.reactions.iter().any(|r| r == "✅"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_ping_the_members_and_an_undeliverable_reply_is_marked_failed() {
    let clock = ManualClock::at(Timestamp(1_800_000_000_000));
    let s = Setup::start_clocked(
        DiscordEmulatorConfig::default(),
        RestLimits::default(),
        "channel",
        Arc::new(clock.clone()),
    )
    .await;
    let (_, channel) = s.handover("remind").await;
    clock.advance(Duration::from_secs(6 * 60));
    let reminder = wait_for(|| {
        s.emu.messages(&channel).into_iter().find(|m| {
            m.json["content"]
                .as_str()
                .unwrap_or("")
                .contains("Reminder")
        })
    })
    .await;
    let text = reminder.json["content"].as_str().unwrap_or("").to_owned();
    for who in [&s.grace, &s.alan] {
        assert!(text.contains(&format!("<@{who}>")), "{text}");
    }
    let pinged = &reminder.json["allowed_mentions"];
    assert!(pinged.is_null() || pinged.to_string().contains(&s.grace));

    // The AI platform refuses everything; after give_up_after the reply is marked.
    s.webhook.set(Answer::Fail);
    let reply = s
        .emu
        .user_message(&s.grace, &channel, "Are you still there?")
        .await
        .expect("message");
    wait_for(|| (!s.webhook.all().is_empty()).then_some(())).await;
    clock.advance(Duration::from_secs(25 * 3600));
    wait_for(|| {
        s.emu
            .message(&channel, &reply)
            .filter(|m| m.reactions.iter().any(|r| r == "⚠️"))
    })
    .await;
    wait_for(|| {
        s.emu
            .messages(&channel)
            .iter()
            .any(|m| {
                m.json["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Not delivered to the customer")
            })
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_take_wins_notes_stay_inside_and_end_to_ai_rates_and_clears_the_card() {
    let s = setup().await;
    let (id, channel) = s.handover("life").await;
    let head = header(&s, &channel);
    let take = format!("handover_take:{id}");
    let (a, b) = tokio::join!(
        s.emu.click(&s.grace, &channel, &head, &take),
        s.emu.click(&s.alan, &channel, &head, &take),
    );
    let answers = [a.expect("grace"), b.expect("alan")];
    let won = answers
        .iter()
        .filter(|x| x.to_string().contains("You have"))
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for x in &answers {
        assert_eq!(x["data"]["flags"], 64, "answered privately");
    }
    wait_for(|| (events(&s, "handover.taken").len() == 1).then_some(())).await;

    s.emu
        .user_message(&s.grace, &channel, "// refund approved")
        .await
        .expect("note");
    s.emu
        .user_message(&s.grace, &channel, "Refund is on its way.")
        .await
        .expect("reply");
    wait_for(|| (events(&s, "agent.message").len() == 1).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = events(&s, "agent.message");
    assert_eq!(sent.len(), 1, "the note stayed inside");
    assert_eq!(sent[0]["data"]["text"], "Refund is on its way.");

    let end = s
        .emu
        .click(&s.grace, &channel, &head, &format!("handover_end_ai:{id}"))
        .await
        .expect("end");
    assert!(end.to_string().contains("back with the AI"), "{end}");
    let ended = wait_for(|| events(&s, "handover.ended").into_iter().next()).await;
    assert_eq!(ended["data"]["resolution"], "returned_to_ai");
    wait_for(|| {
        let card = s.emu.message(&channel, &head)?.json;
        (card["components"].as_array().is_some_and(Vec::is_empty)
            && card.to_string().contains("Ended (returned to ai)"))
        .then_some(())
    })
    .await;
    let r = s
        .api
        .post(
            &format!("/v1/handovers/{id}/rating"),
            json!({"score": 5, "comment": "quick"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    wait_for(|| {
        s.emu
            .messages(&channel)
            .iter()
            .any(|m| m.json["content"].as_str().unwrap_or("").contains("5/5"))
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_takes_over_and_handover_commands_answer_privately() {
    let s = setup().await;
    let (id, channel) = s.handover("reply").await;
    s.emu
        .user_message(&s.alan, &channel, "Hi, Alan here.")
        .await
        .expect("reply");
    let taken = wait_for(|| events(&s, "handover.taken").into_iter().next()).await;
    assert_eq!(taken["data"]["agent"]["id"], s.alan.as_str());

    let run = |who: String, text: &'static str| {
        let s = &s;
        let channel = channel.clone();
        async move {
            let options = json!([{"name": "text", "type": 3, "value": text}]);
            let answer = s
                .emu
                .slash_command(&who, &channel, "handover", options)
                .await
                .expect("command");
            assert_eq!(answer["data"]["flags"], 64, "{text} answered privately");
            answer["data"]["content"].as_str().unwrap_or("").to_owned()
        }
    };
    let mine = run(s.alan.clone(), "mine").await;
    assert!(mine.contains(&id.to_string()), "{mine}");
    let queue = run(s.grace.clone(), "queue").await;
    assert!(queue.contains(&id.to_string()), "{queue}");
    let help = run(s.grace.clone(), "help").await;
    assert!(help.contains("take") && help.contains("stats"), "{help}");
    let refused = run(s.grace.clone(), "disable").await;
    assert!(refused.contains("admin"), "{refused}");
    let members = run(s.grace.clone(), "members list").await;
    assert!(
        members.contains(&s.grace) || members.contains("grace"),
        "{members}"
    );
}
