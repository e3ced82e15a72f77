//! Tests of the Discord emulator: every REST answer and gateway payload is deserialised
//! into serenity's own model types; the rate limiter; the gateway; and serenity's real
//! client end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e;
mod gateway;
mod interactions;
mod payloads;
mod rate;
mod rest;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serenity::model::event::{Event, GatewayEvent};

use super::{DiscordEmulator, DiscordEmulatorConfig};

pub(super) const TOKEN: &str = "emulator-bot-token";

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

/// Parses a whole dispatch frame the way serenity's shard does; fails on an event
/// serenity would drop as unknown.
pub(super) fn dispatch(name: &str, d: &Value) -> Event {
    let frame = serde_json::json!({"op": 0, "t": name, "s": 1, "d": d}).to_string();
    match serde_json::from_str::<GatewayEvent>(&frame) {
        Ok(GatewayEvent::Dispatch(1, Event::Unknown(u))) => {
            panic!("serenity would drop {name}: {u:?}")
        }
        Ok(GatewayEvent::Dispatch(1, ev)) => ev,
        Ok(_) => panic!("not a dispatch: {frame}"),
        Err(e) => panic!(
            "serenity cannot parse {name}: {e}\n{}",
            serde_json::to_string_pretty(d).unwrap()
        ),
    }
}

/// A guild with Alice and Bob, a role "agents" (Bob), a category and a channel in it.
pub(super) struct Fixture {
    pub(super) emu: DiscordEmulator,
    pub(super) alice: String,
    pub(super) bob: String,
    pub(super) agents: String,
    pub(super) category: String,
    pub(super) general: String,
}

pub(super) async fn fixture(config: DiscordEmulatorConfig) -> Fixture {
    let emu = DiscordEmulator::start(config).await.unwrap();
    let alice = emu.add_user("alice");
    let bob = emu.add_user("bob");
    let agents = emu.add_role("agents", &[&bob]);
    let category = emu.add_category("handovers");
    let general = emu.add_channel("general", Some(&category));
    Fixture {
        emu,
        alice,
        bob,
        agents,
        category,
        general,
    }
}

pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: hyper::HeaderMap,
    pub(super) body: Value,
}

impl Answer {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A REST call under `/api/v10` with `Authorization: Bot <token>` (when given).
pub(super) async fn call_as(
    emu: &DiscordEmulator,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/api/v10{path}", emu.api_url());
    let mut req = hyper::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bot {t}"));
    }
    let bytes = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            b.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    let resp = client
        .request(req.body(Full::new(Bytes::from(bytes))).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

pub(super) async fn call(
    emu: &DiscordEmulator,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    call_as(emu, Some(TOKEN), method, path, body).await
}

/// Asserts a 2xx status and returns the body.
pub(super) fn ok(a: &Answer) -> &Value {
    assert!((200..300).contains(&a.status), "{} {}", a.status, a.body);
    &a.body
}
