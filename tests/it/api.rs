//! Every API call and error code, idempotency, and persistence across a restart.

use handover_core::HandoverId;
use handover_daemon::engine::Action;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn requests_are_idempotent_per_conversation_and_messages_per_message_id() {
    let t = TestDaemon::start("").await;
    let a = t.api.post("/v1/handovers", handover_request("c1")).await;
    let b = t.api.post("/v1/handovers", handover_request("c1")).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 200));
    assert_eq!(a.body["handover_id"], b.body["handover_id"]);
    for _ in 0..3 {
        let m = t
            .api
            .post(
                "/v1/conversations/c1/messages",
                json!({"message_id": "same", "text": "once"}),
            )
            .await;
        assert_eq!(m.status, 200, "{}", m.text);
        assert_eq!(m.body["handover_id"], "H-1");
    }
    let m = t
        .api
        .post(
            "/v1/conversations/c1/messages",
            json!({"message_id": "ai-1", "role": "ai", "text": "mirrored"}),
        )
        .await;
    assert_eq!(m.status, 200);
    wait_for(|| (t.chat.names_for("H-1").len() >= 3).then_some(())).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        t.chat.names_for("H-1"),
        ["announce", "relay:user", "relay:ai"],
        "a repeated message_id is relayed once"
    );
    let tr = t
        .engine()
        .store()
        .transcript(HandoverId(1))
        .expect("transcript");
    assert_eq!(tr.len(), 2);
    // The same conversation id of another platform is another conversation.
    let o = t
        .api
        .raw(
            "POST",
            "/v1/handovers",
            Some(OTHER_TOKEN),
            handover_request("c1").to_string().into_bytes(),
        )
        .await;
    assert_eq!(
        (o.status.as_u16(), o.body["handover_id"].as_str()),
        (201, Some("H-2"))
    );
    t.stop().await;
}

#[tokio::test]
async fn every_error_has_its_code_and_a_clear_message() {
    let t = TestDaemon::start("").await;
    let api = &t.api;
    let check = |r: &Resp, status: u16, code: &str| {
        assert_eq!(r.status.as_u16(), status, "{}", r.text);
        assert_eq!(r.body["error"]["code"], code, "{}", r.text);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            r.text
        );
    };
    let body = handover_request("e1").to_string().into_bytes();

    let r = api.raw("POST", "/v1/handovers", None, body.clone()).await;
    check(&r, 401, "unauthorized");
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    check(
        &api.raw(
            "POST",
            "/v1/handovers",
            Some("wrong-token-0123456789"),
            body.clone(),
        )
        .await,
        401,
        "unauthorized",
    );
    check(
        &api.raw("GET", "/v1/handovers", Some(""), vec![]).await,
        401,
        "unauthorized",
    );

    check(
        &api.raw("POST", "/v1/handovers", Some(TOKEN), b"{not json".to_vec())
            .await,
        400,
        "malformed_json",
    );
    check(
        &api.raw(
            "POST",
            "/v1/handovers",
            Some(TOKEN),
            vec![b'{', 0xff, 0xfe, b'}'],
        )
        .await,
        400,
        "malformed_json",
    );
    let r = api
        .post("/v1/handovers", json!({"user": {"id": "u", "name": "n"}}))
        .await;
    check(&r, 422, "invalid_field");
    assert!(r.text.contains("conversation_id"), "{}", r.text);
    check(
        &api.post(
            "/v1/handovers",
            json!({"conversation_id": 5, "user": {"id": "u", "name": "n"}}),
        )
        .await,
        422,
        "invalid_field",
    );
    let long = "x".repeat(129);
    let r = api
        .post(
            "/v1/handovers",
            json!({"conversation_id": long, "user": {"id": "u", "name": "n"}}),
        )
        .await;
    check(&r, 422, "invalid_field");
    assert!(
        r.text.contains("conversation_id: 1 to 128 characters"),
        "{}",
        r.text
    );
    check(
        &api.post(
            "/v1/handovers",
            json!({"conversation_id": "a\u{0}b", "user": {"id": "u", "name": "n"}}),
        )
        .await,
        422,
        "invalid_field",
    );
    check(
        &api.post(
            "/v1/handovers",
            json!({"conversation_id": "p", "user": {"id": "u", "name": "n"}, "priority": "asap"}),
        )
        .await,
        422,
        "invalid_field",
    );
    check(
        &api.post(
            "/v1/conversations/c/messages",
            json!({"message_id": "m", "text": ""}),
        )
        .await,
        422,
        "invalid_field",
    );
    check(
        &api.post(
            "/v1/conversations/c/messages",
            json!({"message_id": "m", "text": "t", "at": "yesterday"}),
        )
        .await,
        422,
        "invalid_field",
    );
    check(
        &api.post(
            "/v1/conversations/c/messages",
            json!({"message_id": "m", "text": "t", "role": "agent"}),
        )
        .await,
        422,
        "invalid_field",
    );

    let huge = json!({"conversation_id": "big", "user": {"id": "u", "name": "n"}, "summary": "x".repeat(70_000)});
    check(
        &api.post("/v1/handovers", huge).await,
        413,
        "payload_too_large",
    );

    check(&api.get("/v1/handovers/H-999").await, 404, "not_found");
    check(&api.get("/v1/handovers/not-an-id").await, 404, "not_found");
    check(
        &api.post("/v1/handovers/H-999/end", json!({"resolution": "closed"}))
            .await,
        404,
        "not_found",
    );
    check(
        &api.post("/v1/handovers/H-999/rating", json!({"score": 3}))
            .await,
        404,
        "not_found",
    );
    check(&api.get("/v1/nothing-here").await, 404, "not_found");
    check(
        &api.raw("DELETE", "/v1/handovers", Some(TOKEN), vec![])
            .await,
        405,
        "method_not_allowed",
    );

    assert_eq!(
        api.post("/v1/handovers", handover_request("e1"))
            .await
            .status,
        201
    );
    // Another platform cannot see or end it.
    check(
        &api.raw("GET", "/v1/handovers/H-1", Some(OTHER_TOKEN), vec![])
            .await,
        404,
        "not_found",
    );
    check(
        &api.post("/v1/handovers/H-1/rating", json!({"score": 4}))
            .await,
        409,
        "not_completed",
    );
    check(
        &api.post("/v1/handovers/H-1/rating", json!({"score": 6}))
            .await,
        422,
        "invalid_field",
    );
    check(
        &api.post("/v1/handovers/H-1/end", json!({"resolution": "finished"}))
            .await,
        422,
        "invalid_field",
    );
    check(
        &api.get("/v1/handovers?status=lost").await,
        422,
        "invalid_field",
    );
    check(
        &api.get("/v1/handovers?limit=501").await,
        422,
        "invalid_field",
    );
    check(
        &api.get("/v1/handovers?cursor=zzz").await,
        422,
        "invalid_field",
    );

    let r = api
        .post("/v1/handovers/H-1/end", json!({"resolution": "closed"}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["resolution"].as_str()),
        (200, Some("closed"))
    );
    let again = api
        .post("/v1/handovers/H-1/end", json!({"resolution": "closed"}))
        .await;
    assert_eq!(again.status, 200, "repeating the same end is idempotent");
    check(
        &api.post(
            "/v1/handovers/H-1/end",
            json!({"resolution": "returned_to_ai"}),
        )
        .await,
        409,
        "already_completed",
    );

    t.engine()
        .settings()
        .set_enabled(t.engine().store(), false)
        .expect("disable");
    check(
        &api.post("/v1/handovers", handover_request("e2")).await,
        409,
        "handover_disabled",
    );
    t.stop().await;
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let t = TestDaemon::start_env(
        "",
        &[
            ("HANDOVER__SERVER__RATE_LIMIT_PER_SECOND", "1"),
            ("HANDOVER__SERVER__RATE_LIMIT_BURST", "2"),
        ],
    )
    .await;
    let mut codes = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let r = t.api.get("/v1/conversations/x").await;
        if r.status == 429 {
            assert_eq!(r.body["error"]["code"], "rate_limited");
            retry_after = r
                .headers
                .get("retry-after")
                .map(|v| v.to_str().expect("ascii").to_owned());
        }
        codes.push(r.status.as_u16());
    }
    assert_eq!(codes, [200, 200, 429, 429]);
    assert_eq!(retry_after.as_deref(), Some("1"));
    t.stop().await;
}

#[tokio::test]
async fn handovers_list_in_pages_newest_first_filtered_by_status() {
    let t = TestDaemon::start("").await;
    for i in 0..5 {
        assert_eq!(
            t.api
                .post("/v1/handovers", handover_request(&format!("l{i}")))
                .await
                .status,
            201
        );
    }
    t.api
        .raw(
            "POST",
            "/v1/handovers",
            Some(OTHER_TOKEN),
            handover_request("foreign").to_string().into_bytes(),
        )
        .await;
    t.api
        .post("/v1/handovers/H-2/end", json!({"resolution": "cancelled"}))
        .await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = t
            .api
            .get(&format!("/v1/handovers?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|h| h["handover_id"].as_str().expect("id").to_owned()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["H-5", "H-4", "H-3", "H-2", "H-1"],
        "own handovers only, newest first"
    );
    let pending = t.api.get("/v1/handovers?status=pending").await;
    let ids: Vec<&str> = pending.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| h["handover_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["H-5", "H-4", "H-3", "H-1"]);
    assert_eq!(pending.body["next_cursor"], serde_json::Value::Null);
    t.stop().await;
}

#[tokio::test]
async fn state_and_undelivered_events_survive_a_restart() {
    let t = TestDaemon::start("").await;
    t.webhook.set(Answer::Fail);
    t.api.post("/v1/handovers", handover_request("keep")).await;
    grace_takes(&t.engine(), 1).await;
    let first_try = wait_for(|| t.webhook.all().first().cloned()).await;
    let t = t.restart().await;
    t.webhook.set(Answer::Ok);
    let got = t.webhook.wait_delivered(1).await;
    assert_eq!(got[0].json()["event_id"], first_try.json()["event_id"]);
    assert_eq!(got[0].json()["type"], "handover.taken");
    let c = t.api.get("/v1/conversations/keep").await;
    assert_eq!(c.body["route"], "human");
    assert_eq!(c.body["handover"]["status"], "in_progress");
    // Ids keep counting after a restart.
    let r = t.api.post("/v1/handovers", handover_request("next")).await;
    assert_eq!(r.body["handover_id"], "H-2");
    t.stop().await;
}

#[tokio::test]
async fn a_webhook_429_is_retried_after_its_retry_after() {
    let t = TestDaemon::start("").await;
    t.webhook.set(Answer::Limited(1));
    t.api
        .post("/v1/handovers", handover_request("limited"))
        .await;
    grace_takes(&t.engine(), 1).await;
    let first = wait_for(|| t.webhook.all().first().cloned()).await;
    let at = std::time::Instant::now();
    t.webhook.set(Answer::Ok);
    t.webhook.wait_delivered(1).await;
    assert!(
        at.elapsed() >= std::time::Duration::from_millis(900),
        "waited {:?}",
        at.elapsed()
    );
    assert_eq!(
        t.webhook.all().len(),
        2,
        "one refused try, one delivery: {first:?}"
    );
    let m = t.api.raw("GET", "/metrics", None, vec![]).await.text;
    for counted in [
        "handover_remote_rate_limited_total 1",
        "handover_delivery_failures_total 1",
        "handover_delivery_retries_total 1",
    ] {
        assert!(m.contains(counted), "{counted} in {m}");
    }
    t.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let t = TestDaemon::start("").await;
    assert_eq!(
        t.api.raw("GET", "/healthz", None, vec![]).await.body["status"],
        "ok"
    );
    let r = t.api.raw("GET", "/readyz", None, vec![]).await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("ready"))
    );
    t.chat.up.store(false, std::sync::atomic::Ordering::SeqCst);
    let r = t.api.raw("GET", "/readyz", None, vec![]).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["checks"]["bridges"]["slack"], false);
    t.api.post("/v1/handovers", handover_request("m")).await;
    let m = t.api.raw("GET", "/metrics", None, vec![]).await;
    assert!(
        m.text.contains("handover_handovers{status=\"pending\"} 1"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("# TYPE handover_outbox_depth gauge"),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("handover_http_responses_total{code=\"201\"} 1"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("handover_bridge_up{bridge=\"slack\"} 0"),
        "{}",
        m.text
    );
    t.stop().await;
}

#[tokio::test]
async fn analytics_reports_the_calling_platforms_handovers() {
    let t = TestDaemon::start("").await;
    for c in ["a1", "a2", "a3"] {
        t.api.post("/v1/handovers", handover_request(c)).await;
    }
    t.api
        .raw(
            "POST",
            "/v1/handovers",
            Some(OTHER_TOKEN),
            handover_request("x").to_string().into_bytes(),
        )
        .await;
    let engine = t.engine();
    let grace = agent("UAAA", "Grace");
    let reply = Action::Message {
        message_id: "s1".into(),
        text: "On it".into(),
        attachments: vec![],
    };
    engine
        .act(HandoverId(1), grace.clone(), vec![], reply, None)
        .await
        .expect("reply");
    engine
        .act(
            HandoverId(1),
            grace.clone(),
            vec![],
            Action::End {
                mode: handover_core::EndMode::Close,
            },
            None,
        )
        .await
        .expect("end");
    t.api
        .post("/v1/handovers/H-1/rating", json!({"score": 4}))
        .await;
    engine
        .act(HandoverId(2), grace, vec![], Action::Take, None)
        .await
        .expect("take");

    let a = t.api.get("/v1/analytics").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["total"], 3,
        "the other platform's handover is not counted"
    );
    assert_eq!(
        (a.body["pending"].as_u64(), a.body["in_progress"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        a.body["completed"],
        json!({"total": 1, "returned_to_ai": 0, "closed": 1, "cancelled": 0})
    );
    assert_eq!(a.body["rating"]["average"], 4.0);
    assert_eq!(a.body["rating"]["distribution"]["4"], 1);
    assert!(a.body["time_to_take_over"]["median_s"].is_number());
    assert_eq!(a.body["agents"][0]["id"], "UAAA");
    assert_eq!(a.body["agents"][0]["taken"], 2);
    assert_eq!(
        a.body["reasons"],
        json!([{"reason": "asks for a refund", "count": 3}])
    );
    assert!(a.body["from"].is_string() && a.body["to"].is_string());

    let empty = t
        .api
        .get("/v1/analytics?from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z")
        .await;
    assert_eq!(empty.body["total"], 0);
    assert_eq!(empty.body["rating"]["average"], serde_json::Value::Null);
    let bad = t.api.get("/v1/analytics?from=last-week").await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["error"]["code"].as_str()),
        (422, Some("invalid_field"))
    );
    let backwards = t
        .api
        .get("/v1/analytics?from=2021-01-01T00:00:00Z&to=2020-01-01T00:00:00Z")
        .await;
    assert_eq!(backwards.status, 422);
    t.stop().await;
}
