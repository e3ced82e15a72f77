//! Tests of the Slack emulator: every Web API answer and every pushed payload is
//! deserialised into slack-morphism's own types; the rate limiter; HTTP mode; and the
//! real slack-morphism client (Web API and Socket Mode) end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod answers;
mod e2e;
mod http_mode;
mod payloads;
mod rate;
mod socket;
mod workspace;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{SlackEmulator, SlackEmulatorConfig, SlackUser};

pub(super) const BOT_TOKEN: &str = "xoxb-emulator";

/// Deserialises `v` into `T`, failing with the error and the JSON.
pub(super) fn de<T: DeserializeOwned>(v: &Value) -> T {
    match serde_json::from_value(v.clone()) {
        Ok(t) => t,
        Err(e) => panic!(
            "does not deserialise into {}: {e}\n{}",
            std::any::type_name::<T>(),
            serde_json::to_string_pretty(v).unwrap()
        ),
    }
}

/// An emulator with users U1 (Alice), U2 (Bob), U3 (Carol) and channels G1 (private:
/// bot, U1, U2), C2 (public: U1 only, no bot) and G3 (private: U1, no bot).
pub(super) async fn workspace(config: SlackEmulatorConfig) -> SlackEmulator {
    let emu = SlackEmulator::start(config).await.unwrap();
    let mut alice = SlackUser::new("U1", "alice", "Alice Example");
    alice.image_url = Some("https://example.com/alice.png".to_string());
    emu.add_user(alice);
    emu.add_user(SlackUser::new("U2", "bob", "Bob Example"));
    emu.add_user(SlackUser::new("U3", "carol", "Carol Example"));
    emu.add_channel("G1", "handover", true, &["UBOT", "U1", "U2"]);
    emu.add_channel("C2", "general", false, &["U1"]);
    emu.add_channel("G3", "secret", true, &["U1"]);
    emu
}

pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) retry_after: Option<String>,
    pub(super) content_type: String,
    pub(super) body: Value,
    pub(super) raw: Bytes,
}

/// A raw HTTP request to the emulator.
pub(super) async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let client = super::http_push::client();
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = header("retry-after");
    let content_type = header("content-type").unwrap_or_default();
    let raw = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        content_type,
        body,
        raw,
    }
}

/// `POST /api/{method}` with a JSON body and the bot token, like slack-morphism.
pub(super) async fn post(emu: &SlackEmulator, method: &str, body: Value) -> Answer {
    let url = format!("{}/{method}", emu.api_url());
    let auth = format!("Bearer {BOT_TOKEN}");
    request(
        "POST",
        &url,
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/json; charset=utf-8"),
        ],
        body.to_string().into_bytes(),
    )
    .await
}

/// `GET /api/{method}?query` with the bot token, like slack-morphism's read methods.
pub(super) async fn get(emu: &SlackEmulator, method: &str, query: &str) -> Answer {
    let url = format!("{}/{method}?{query}", emu.api_url());
    let auth = format!("Bearer {BOT_TOKEN}");
    request("GET", &url, &[("authorization", auth.as_str())], Vec::new()).await
}

/// Asserts `{"ok":true}` and returns the body.
pub(super) fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["ok"], true, "{}", a.body);
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    &a.body
}

/// Asserts `{"ok":false,"error":code}`.
pub(super) fn err(a: &Answer, code: &str) {
    assert_eq!(a.body["ok"], false, "{}", a.body);
    assert_eq!(a.body["error"], code, "{}", a.body);
}
