//! HTTP mode: signed pushes to a recording app, checked with slack-morphism's own
//! signature verifier and types; `response_url`; the signing helper.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post as axum_post;
use serde_json::{Value, json};
use slack_morphism::prelude as sm;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

use super::{de, ok, post, request, workspace};
use crate::slack::form;
use crate::slack::{EmulatorError, HttpEvents, SlackEmulatorConfig, sign};

const SECRET: &str = "emulator-signing-secret";

#[derive(Clone, Debug)]
struct Got {
    path: String,
    headers: HeaderMap,
    body: String,
}

type Log = Arc<Mutex<Vec<Got>>>;

async fn app(
    State(log): State<Log>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8(body.to_vec()).unwrap();
    let verifier = SlackEventSignatureVerifier::new(&sm::SlackSigningSecret::new(SECRET.into()));
    let hash = headers["x-slack-signature"].to_str().unwrap();
    let ts = headers["x-slack-request-timestamp"].to_str().unwrap();
    if verifier.verify(hash, &body, ts).is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    log.lock().unwrap().push(Got {
        path: path.clone(),
        headers,
        body: body.clone(),
    });
    match path.as_str() {
        "commands" if body.contains("text=fail") => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        "commands" => {
            axum::Json(json!({"response_type": "ephemeral", "text": "noted"})).into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}

async fn start_app() -> (String, Log) {
    let log: Log = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slack", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/slack/{path}", axum_post(app))
        .with_state(log.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, log)
}

fn form_json(body: &str) -> Value {
    Value::Object(
        form::parse(body)
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect(),
    )
}

async fn wait_for(log: &Log, n: usize) -> Vec<Got> {
    for _ in 0..100 {
        let got = log.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("only {} pushes arrived", log.lock().unwrap().len());
}

#[test]
fn sign_matches_slacks_documented_example() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        sign(
            "8f742231b10e8888abcd99yyyzzz85a5",
            1531420618,
            body.as_bytes()
        ),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}

#[tokio::test]
async fn signed_pushes_to_the_events_api() {
    let (base_url, log) = start_app().await;
    let cfg = SlackEmulatorConfig {
        http_events: Some(HttpEvents {
            base_url,
            signing_secret: SECRET.to_string(),
        }),
        ..SlackEmulatorConfig::default()
    };
    let emu = workspace(cfg).await;

    // A user message → POST /events with a JSON event callback.
    let ts = emu
        .user_message("U1", "G1", None, "I need a human")
        .await
        .unwrap();
    let got = wait_for(&log, 1).await;
    assert_eq!(got[0].path, "events");
    assert!(
        got[0].headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    let sm::SlackPushEvent::EventCallback(cb) = de::<sm::SlackPushEvent>(&body) else {
        panic!()
    };
    let sm::SlackEventCallbackBody::Message(m) = cb.event else {
        panic!("{body}")
    };
    assert_eq!(m.origin.ts.0, ts);
    assert_eq!(emu.message("G1", &ts).unwrap().user.as_deref(), Some("U1"));

    // Redelivery: same event_id, retry headers.
    assert_eq!(emu.redeliver_last().await.unwrap(), json!({}));
    let got = wait_for(&log, 2).await;
    assert_eq!(got[1].headers["x-slack-retry-num"], "1");
    let again: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(again["event_id"], body["event_id"]);

    // A slash command → POST /commands, form fields; the answer comes back.
    let answer = emu
        .slash_command("U1", "G1", "/handover", "list")
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"response_type": "ephemeral", "text": "noted"})
    );
    let got = wait_for(&log, 3).await;
    assert_eq!(got[2].path, "commands");
    let cmd: sm::SlackCommandEvent = de(&form_json(&got[2].body));
    assert_eq!(
        (cmd.command.0.as_str(), cmd.text.as_deref()),
        ("/handover", Some("list"))
    );
    // Its response_url takes a later ephemeral answer.
    let r = request(
        "POST",
        cmd.response_url.0.as_str(),
        &[("content-type", "application/json")],
        br#"{"text":"later"}"#.to_vec(),
    )
    .await;
    assert_eq!(r.body["ok"], true);
    assert_eq!(emu.ephemerals()[0].text, "later");
    let err = emu
        .slash_command("U1", "G1", "/handover", "fail")
        .await
        .unwrap_err();
    assert!(
        matches!(err, EmulatorError::Http { status: 500, .. }),
        "{err:?}"
    );

    // The app's own post comes back as an event (the app must ignore it).
    let card = json!([{"type": "actions", "block_id": "b", "elements": [{"type": "button", "action_id": "take", "text": {"type": "plain_text", "text": "Take over"}, "value": "h1"}]}]);
    let a = post(
        &emu,
        "chat.postMessage",
        json!({"channel": "G1", "text": "card", "blocks": card, "thread_ts": ts}),
    )
    .await;
    let card_ts = ok(&a)["ts"].as_str().unwrap().to_string();
    let got = wait_for(&log, 5).await;
    let echo: Value = serde_json::from_str(&got[4].body).unwrap();
    assert_eq!(echo["event"]["bot_id"], "B0EMULATOR");

    // A click → POST /interactions, `payload=<json>`.
    assert_eq!(
        emu.click("U2", "G1", &card_ts, "take", "h1").await.unwrap(),
        json!({})
    );
    let got = wait_for(&log, 6).await;
    assert_eq!(got[5].path, "interactions");
    let payload: Value =
        serde_json::from_str(form_json(&got[5].body)["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["container"]["thread_ts"], ts.as_str());
    let sm::SlackInteractionEvent::BlockActions(ev) = de::<sm::SlackInteractionEvent>(&payload)
    else {
        panic!()
    };
    assert_eq!(ev.message.unwrap().origin.ts.0, card_ts);
    // replace_original through the click's response_url.
    let url = ev.response_url.unwrap().0.to_string();
    let r = request(
        "POST",
        &url,
        &[("content-type", "application/json")],
        br#"{"replace_original":true,"text":"taken"}"#.to_vec(),
    )
    .await;
    assert_eq!(r.body["ok"], true);
    assert_eq!(emu.message("G1", &card_ts).unwrap().text, "taken");
    assert!(matches!(
        emu.click("U2", "G1", &card_ts, "nope", "x").await,
        Err(EmulatorError::NotFound(_))
    ));

    // A user uploads a file.
    let file_ts = emu
        .user_upload("U1", "G1", Some(&ts), "shot.png", vec![9, 9])
        .await
        .unwrap();
    let got = wait_for(&log, 7).await;
    let body: Value = serde_json::from_str(&got[6].body).unwrap();
    assert_eq!(body["event"]["subtype"], "file_share");
    let url = body["event"]["files"][0]["url_private"].as_str().unwrap();
    let d = request(
        "GET",
        url,
        &[("authorization", "Bearer xoxb-emulator")],
        vec![],
    )
    .await;
    assert_eq!(&d.raw[..], &[9, 9]);
    assert_eq!(
        emu.thread("G1", &ts)
            .iter()
            .filter(|m| m.ts == file_ts)
            .count(),
        1
    );

    // Unknown users and channels are refused before anything is pushed.
    assert!(matches!(
        emu.user_message("U3", "G1", None, "x").await,
        Err(EmulatorError::NotFound(_))
    ));
    assert!(matches!(
        emu.user_message("U1", "G404", None, "x").await,
        Err(EmulatorError::NotFound(_))
    ));
}
