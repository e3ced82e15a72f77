//! Slack delivers an event again when it saw no ack in time (Socket Mode: the same
//! `envelope_id`, `retry_attempt` + 1). Each repeat is acknowledged and does nothing.

use std::time::Duration;

use crate::slack::{CHANNEL, GRACE, World};

#[tokio::test]
async fn repeated_socket_mode_envelopes_are_acknowledged_and_handled_once() {
    let w = World::fast().await;
    let card_ts = w.handover("again").await;

    // A reply, delivered three times.
    let ts = w
        .slack
        .user_message(GRACE, CHANNEL, Some(&card_ts), "say it once")
        .await
        .expect("reply");
    w.webhook.wait_delivered(2).await;
    for _ in 0..2 {
        w.slack.redeliver_last().await.expect("the repeat is acked");
    }
    // A click on End, delivered twice.
    w.slack
        .click(GRACE, CHANNEL, &card_ts, "handover_end_ai", "H-1")
        .await
        .expect("end");
    w.slack.redeliver_last().await.expect("the repeat is acked");
    w.webhook.wait_delivered(3).await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    let kinds: Vec<String> = w
        .webhook
        .delivered()
        .iter()
        .map(|e| e.json()["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["handover.taken", "agent.message", "handover.ended"],
        "each once"
    );
    let reply = w.slack.message(CHANNEL, &ts).expect("reply");
    assert_eq!(reply.reactions, ["white_check_mark"], "marked once");
    let closing: Vec<String> = w
        .slack
        .thread(CHANNEL, &card_ts)
        .into_iter()
        .filter(|m| m.text.contains("ended"))
        .map(|m| m.text)
        .collect();
    assert!(closing.len() <= 1, "one closing line at most: {closing:?}");
    w.stop().await;
}
