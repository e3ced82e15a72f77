//! Test harness: the daemon on 127.0.0.1:0, a loopback webhook receiver, a JSON client
//! and a test double standing in for a chat platform.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use handover_core::{BridgeEffect, Handover, Location};
use handover_daemon::bridge::{BoxFuture, Bridge, BridgeContext, DeliveryError, Performed};
use handover_daemon::clock::{Clock, ManualClock, SystemClock};
use handover_daemon::daemon::{Daemon, Options};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const SECRET: &str = "webhook-secret-0123456789";
pub const OTHER_TOKEN: &str = "other-token-0123456789abcdef";

/// The config of a test daemon; `extra` is appended (e.g. a `[handover]` section).
pub fn config_toml(data_dir: &std::path::Path, webhook: SocketAddr, extra: &str) -> String {
    format!(
        r#"
data_dir = "{dir}"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 65536
shutdown_grace = "5s"
[[platforms]]
id = "web"
token = "{TOKEN}"
webhook_url = "http://{webhook}/events"
webhook_secret = "{SECRET}"
bridge = "slack"
retry_initial = "20ms"
retry_max = "200ms"
[[platforms]]
id = "other"
token = "{OTHER_TOKEN}"
webhook_url = "http://{webhook}/other"
webhook_secret = "{SECRET}-other"
bridge = "slack"
[slack]
enabled = true
bot_token = "xoxb-test"
app_token = "xapp-test"
channels = ["C0HANDOVER"]
members = ["UAAA", "UBBB"]
admins = ["UADMIN"]
{extra}
"#,
        dir = data_dir.display()
    )
}

pub fn config(toml: &str, env: &[(&str, &str)]) -> handover_config::Config {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    match handover_config::load_str(toml, env) {
        Ok(c) => c,
        Err(e) => panic!("test config invalid:\n{e}"),
    }
}

/// What the webhook receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    Fail,
    /// 429 with `Retry-After: n`.
    Limited(u64),
}

/// A request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub answered: Answer,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("event body is JSON")
    }
}

/// The AI platform's webhook endpoint, on loopback.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub answer: Arc<Mutex<Answer>>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("addr")).await
    }

    pub async fn start_on(addr: SocketAddr) -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(Mutex::new(Answer::Ok));
        let (g, a) = (got.clone(), answer.clone());
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let (g, a) = (g.clone(), a.clone());
                async move {
                    let answered = *a.lock().expect("lock");
                    g.lock().expect("lock").push(Received {
                        path: uri.path().to_owned(),
                        headers,
                        body,
                        answered,
                    });
                    let code = match answered {
                        Answer::Ok => StatusCode::OK,
                        Answer::Fail => StatusCode::INTERNAL_SERVER_ERROR,
                        Answer::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
                    };
                    let mut r = axum::response::IntoResponse::into_response(code);
                    if let Answer::Limited(secs) = answered {
                        r.headers_mut().insert("retry-after", secs.into());
                    }
                    r
                }
            },
        );
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, got, answer }
    }

    pub fn set(&self, a: Answer) {
        *self.answer.lock().expect("lock") = a;
    }

    /// Requests answered 2xx, in arrival order.
    pub fn delivered(&self) -> Vec<Received> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.answered == Answer::Ok)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `n` events were delivered.
    pub async fn wait_delivered(&self, n: usize) -> Vec<Received> {
        wait_for(|| (self.delivered().len() >= n).then(|| self.delivered())).await
    }
}

/// Polls `f` every 10 ms for up to 10 s.
pub async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1000 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 10 s");
}

/// A JSON HTTP client for the API.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub async fn raw(&self, method: &str, path: &str, token: Option<&str>, body: Vec<u8>) -> Resp {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let resp = self
            .client
            .request(req.body(Full::new(Bytes::from(body))).expect("request"))
            .await
            .expect("send");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.raw("POST", path, Some(TOKEN), body.to_string().into_bytes())
            .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.raw("GET", path, Some(TOKEN), Vec::new()).await
    }
}

/// A request body for a new handover of `conversation`.
pub fn handover_request(conversation: &str) -> Value {
    serde_json::json!({
        "conversation_id": conversation,
        "user": {"id": "end-user-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        "reason": "asks for a refund",
        "summary": "Order 1234 arrived broken.",
        "transcript": [
            {"role": "user", "text": "My order arrived broken", "at": "2026-11-23T10:00:00Z"},
            {"role": "ai", "text": "I am sorry to hear that.", "at": "2026-11-23T10:00:05Z"}
        ],
        "metadata": {"order": "1234"},
        "priority": "high"
    })
}

/// A stand-in for Slack: records the effects it is asked to show.
pub struct FakeChat {
    pub performed: Mutex<Vec<(String, BridgeEffect)>>,
    pub ctx: Mutex<Option<BridgeContext>>,
    pub up: std::sync::atomic::AtomicBool,
}

impl FakeChat {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            performed: Mutex::default(),
            ctx: Mutex::default(),
            up: true.into(),
        })
    }

    pub fn effects(&self) -> Vec<(String, BridgeEffect)> {
        self.performed.lock().expect("lock").clone()
    }

    /// Names of the effects shown for one handover, e.g. `["announce", "relay:user"]`.
    pub fn names_for(&self, id: &str) -> Vec<String> {
        self.effects()
            .into_iter()
            .filter(|(h, _)| h == id)
            .map(|(_, e)| effect_name(&e))
            .collect()
    }
}

pub fn effect_name(e: &BridgeEffect) -> String {
    match e {
        BridgeEffect::Announce => "announce".into(),
        BridgeEffect::Relay { entry } => format!("relay:{:?}", entry.role).to_lowercase(),
        BridgeEffect::UpdateCard => "update_card".into(),
        BridgeEffect::Remind { count } => format!("remind:{count}"),
        BridgeEffect::Delivery { outcome, .. } => match outcome {
            handover_core::DeliveryOutcome::Delivered => "delivered".into(),
            handover_core::DeliveryOutcome::Failed { .. } => "failed".into(),
        },
        BridgeEffect::Rated { score, .. } => format!("rated:{score}"),
        BridgeEffect::Archive => "archive".into(),
    }
}

impl Bridge for FakeChat {
    fn name(&self) -> &'static str {
        "slack"
    }

    fn start(&self, ctx: BridgeContext) -> BoxFuture<'_, ()> {
        *self.ctx.lock().expect("lock") = Some(ctx.clone());
        Box::pin(async move { ctx.cancel.cancelled().await })
    }

    fn perform<'a>(
        &'a self,
        _engine: &'a handover_daemon::engine::Engine,
        h: &'a Handover,
        e: &'a BridgeEffect,
    ) -> BoxFuture<'a, Result<Performed, DeliveryError>> {
        Box::pin(async move {
            self.performed
                .lock()
                .expect("lock")
                .push((h.id.to_string(), e.clone()));
            let location = matches!(e, BridgeEffect::Announce).then(|| Location {
                bridge: "slack".into(),
                channel: "C0HANDOVER".into(),
                thread: Some(format!("1700000000.{:06}", h.id.0)),
                url: Some(format!(
                    "https://example.slack.com/archives/C0HANDOVER/p{}",
                    h.id.0
                )),
            });
            Ok(Performed { location })
        })
    }

    fn ready(&self) -> bool {
        self.up.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A daemon in this process with a test-double chat bridge.
pub struct TestDaemon {
    pub daemon: Option<Daemon>,
    pub api: Api,
    pub chat: Arc<FakeChat>,
    pub webhook: Receiver,
    pub dir: Arc<tempfile::TempDir>,
    pub toml: String,
    pub env: Vec<(&'static str, &'static str)>,
}

impl TestDaemon {
    pub async fn start(extra: &str) -> Self {
        Self::start_env(extra, &[]).await
    }

    /// Starts with `HANDOVER__…` environment overrides.
    pub async fn start_env(extra: &str, env: &[(&'static str, &'static str)]) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
        let webhook = Receiver::start().await;
        let toml = config_toml(dir.path(), webhook.addr, extra);
        Self::start_with(dir, webhook, toml, env.to_vec(), Arc::new(SystemClock)).await
    }

    pub async fn start_with(
        dir: Arc<tempfile::TempDir>,
        webhook: Receiver,
        toml: String,
        env: Vec<(&'static str, &'static str)>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let chat = FakeChat::new();
        let opts = Options {
            clock,
            bridges: vec![chat.clone()],
        };
        let daemon = match Daemon::start(&config(&toml, &env), opts).await {
            Ok(d) => d,
            Err(e) => panic!("daemon does not start: {e:#}"),
        };
        let api = Api::new(daemon.addr);
        Self {
            daemon: Some(daemon),
            api,
            chat,
            webhook,
            dir,
            toml,
            env,
        }
    }

    /// Starts with a clock the test moves by hand.
    pub async fn start_manual(extra: &str, clock: ManualClock) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
        let webhook = Receiver::start().await;
        let toml = config_toml(dir.path(), webhook.addr, extra);
        Self::start_with(dir, webhook, toml, Vec::new(), Arc::new(clock)).await
    }

    pub fn engine(&self) -> handover_daemon::engine::Engine {
        self.daemon.as_ref().expect("running").engine.clone()
    }

    /// Stops gracefully and starts again on the same data directory.
    pub async fn restart(self) -> Self {
        self.restart_on(Arc::new(SystemClock)).await
    }

    /// Stops gracefully and starts again on the same data directory with `clock`.
    pub async fn restart_on(self, clock: Arc<dyn handover_daemon::clock::Clock>) -> Self {
        let Self {
            daemon,
            chat,
            webhook,
            dir,
            toml,
            env,
            ..
        } = self;
        if let Some(d) = daemon {
            d.shutdown().await;
        }
        // The old chat stand-in holds an engine handle (and so the store): let it go.
        drop(chat);
        Self::start_with(dir, webhook, toml, env, clock).await
    }

    pub async fn stop(mut self) {
        if let Some(d) = self.daemon.take() {
            d.shutdown().await;
        }
    }
}

/// An agent on the chat platform.
pub fn agent(id: &str, name: &str) -> handover_core::Agent {
    handover_core::Agent {
        id: id.into(),
        name: name.into(),
        platform: "slack".into(),
    }
}

/// Grace (a selected member, UAAA) takes handover `id` over, through the engine.
pub async fn grace_takes(engine: &handover_daemon::engine::Engine, id: u64) {
    engine
        .act(
            handover_core::HandoverId(id),
            agent("UAAA", "Grace"),
            vec![],
            handover_daemon::engine::Action::Take,
            None,
        )
        .await
        .expect("take");
}

/// Recomputes the webhook signature independently of the daemon's code.
pub fn expected_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}
