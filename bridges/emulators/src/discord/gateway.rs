//! Gateway v10 at `/gateway`: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and
//! ACKs, RESUME with replay after the client's sequence number, RECONNECT (op 7) and
//! abrupt drops. Every dispatch carries the session's next sequence number; sessions
//! keep a log so events sent while a client is away are replayed on RESUME.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::{Inner, payloads};

/// How many dispatches a session keeps for RESUME.
const LOG_LIMIT: usize = 1000;
/// How many sessions are kept (the oldest detached one goes first).
const SESSION_LIMIT: usize = 4;
/// The privileged MESSAGE_CONTENT intent.
pub(crate) const MESSAGE_CONTENT: u64 = 1 << 15;

pub(crate) enum Out {
    Text(String),
    Close(u16, &'static str),
    Drop,
}

struct Session {
    id: String,
    seq: u64,
    intents: u64,
    log: VecDeque<(u64, String)>,
    conn: Option<(u64, mpsc::UnboundedSender<Out>)>,
}

/// Without the MESSAGE_CONTENT intent, Discord blanks the content of messages that
/// are not the bot's own.
fn redact(name: &str, data: &Value, intents: u64) -> Option<Value> {
    let message = matches!(name, "MESSAGE_CREATE" | "MESSAGE_UPDATE");
    if !message || intents & MESSAGE_CONTENT != 0 || data["author"]["id"] == super::state::BOT {
        return None;
    }
    let mut d = data.clone();
    d["content"] = json!("");
    for k in ["embeds", "attachments", "components"] {
        d[k] = json!([]);
    }
    Some(d)
}

impl Session {
    /// Assigns the next sequence number, logs the frame and sends it if attached.
    fn dispatch(&mut self, name: &str, data: &Value) {
        self.seq += 1;
        let redacted = redact(name, data, self.intents);
        let data = redacted.as_ref().unwrap_or(data);
        let frame = json!({"op": 0, "t": name, "s": self.seq, "d": data}).to_string();
        if let Some((_, tx)) = &self.conn {
            let _ = tx.send(Out::Text(frame.clone()));
        }
        self.log.push_back((self.seq, frame));
        if self.log.len() > LOG_LIMIT {
            self.log.pop_front();
        }
    }
}

#[derive(Default)]
struct Registry {
    sessions: Vec<Session>,
    next_conn: u64,
}

/// The gateway's sessions and connections.
pub(crate) struct Gateway {
    reg: Mutex<Registry>,
    live: watch::Sender<usize>,
    identifies: AtomicU64,
    resumes: AtomicU64,
    /// Whether heartbeats are ACKed (off: a zombie connection).
    pub(crate) ack_heartbeats: AtomicBool,
    /// While set, new connections are refused (503), as during an outage.
    pub(crate) refusing: AtomicBool,
    /// Every IDENTIFY `d`, with the token replaced by `"<redacted>"`.
    pub(crate) identify_payloads: Mutex<Vec<Value>>,
}

impl Gateway {
    pub(crate) fn new() -> Self {
        Self {
            reg: Mutex::new(Registry::default()),
            live: watch::channel(0).0,
            identifies: AtomicU64::new(0),
            resumes: AtomicU64::new(0),
            ack_heartbeats: AtomicBool::new(true),
            refusing: AtomicBool::new(false),
            identify_payloads: Mutex::new(Vec::new()),
        }
    }

    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, reg: &Registry) {
        let n = reg.sessions.iter().filter(|s| s.conn.is_some()).count();
        self.live.send_replace(n);
    }

    pub(crate) fn live(&self) -> usize {
        *self.live.borrow()
    }

    pub(crate) fn identifies(&self) -> u64 {
        self.identifies.load(Ordering::Relaxed)
    }

    pub(crate) fn resumes(&self) -> u64 {
        self.resumes.load(Ordering::Relaxed)
    }

    pub(crate) async fn wait_live(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.live.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Sends a dispatch to every session (logged for sessions that are away).
    pub(crate) fn dispatch(&self, name: &str, data: Value) {
        let mut reg = self.reg();
        for s in &mut reg.sessions {
            s.dispatch(name, &data);
        }
    }

    fn send_all(&self, make: impl Fn() -> Out) {
        let reg = self.reg();
        for (_, tx) in reg.sessions.iter().filter_map(|s| s.conn.as_ref()) {
            let _ = tx.send(make());
        }
    }

    pub(crate) fn reconnect(&self) {
        self.send_all(|| Out::Text(json!({"op": 7, "d": null}).to_string()));
    }

    pub(crate) fn drop_all(&self) {
        self.send_all(|| Out::Drop);
    }

    /// A new session after IDENTIFY (`d`): READY, then GUILD_CREATE.
    pub(crate) fn identify(
        &self,
        inner: &Inner,
        conn: u64,
        tx: &mpsc::UnboundedSender<Out>,
        d: &Value,
    ) {
        self.identifies.fetch_add(1, Ordering::Relaxed);
        let mut recorded = d.clone();
        if recorded.get("token").is_some() {
            recorded["token"] = json!("<redacted>");
        }
        self.identify_payloads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(recorded);
        let id = format!("{:032x}", rand::random::<u128>());
        let (ready, guild) = {
            let st = inner.state();
            (
                payloads::ready(&st, &id, &inner.gateway_url()),
                payloads::guild_create(&st),
            )
        };
        let mut reg = self.reg();
        while reg.sessions.len() >= SESSION_LIMIT {
            let i = reg
                .sessions
                .iter()
                .position(|s| s.conn.is_none())
                .unwrap_or(0);
            reg.sessions.remove(i);
        }
        let mut s = Session {
            id,
            seq: 0,
            intents: d["intents"].as_u64().unwrap_or(0),
            log: VecDeque::new(),
            conn: Some((conn, tx.clone())),
        };
        s.dispatch("READY", &ready);
        s.dispatch("GUILD_CREATE", &guild);
        reg.sessions.push(s);
        self.publish(&reg);
    }

    /// RESUME: replays what the client missed, then RESUMED; op 9 if unknown.
    pub(crate) fn resume(&self, conn: u64, tx: &mpsc::UnboundedSender<Out>, d: &Value) {
        let session_id = d["session_id"].as_str().unwrap_or_default();
        let after = d["seq"].as_u64().unwrap_or(0);
        let mut reg = self.reg();
        let Some(s) = reg.sessions.iter_mut().find(|s| s.id == session_id) else {
            let _ = tx.send(Out::Text(json!({"op": 9, "d": false}).to_string()));
            return;
        };
        self.resumes.fetch_add(1, Ordering::Relaxed);
        if let Some((_, old)) = s.conn.take() {
            let _ = old.send(Out::Drop);
        }
        for (_, frame) in s.log.iter().filter(|(seq, _)| *seq > after) {
            let _ = tx.send(Out::Text(frame.clone()));
        }
        s.conn = Some((conn, tx.clone()));
        s.dispatch("RESUMED", &json!({}));
        self.publish(&reg);
    }

    pub(crate) fn detach(&self, conn: u64) {
        let mut reg = self.reg();
        for s in &mut reg.sessions {
            if s.conn.as_ref().is_some_and(|(c, _)| *c == conn) {
                s.conn = None;
            }
        }
        self.publish(&reg);
    }
}

pub(crate) async fn upgrade(State(inner): State<Arc<Inner>>, ws: WebSocketUpgrade) -> Response {
    if inner.gateway.refusing.load(Ordering::Relaxed) {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    ws.on_upgrade(move |socket| run(inner, socket))
}

async fn run(inner: Arc<Inner>, mut socket: WebSocket) {
    let gw = &inner.gateway;
    let conn = {
        let mut reg = gw.reg();
        reg.next_conn += 1;
        reg.next_conn
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let interval = u64::try_from(inner.config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX);
    let hello = json!({"op": 10, "d": {"heartbeat_interval": interval}}).to_string();
    if socket.send(WsMessage::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(t))) => t.to_string(),
                    Some(Ok(WsMessage::Binary(_) | WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    let _ = tx.send(Out::Close(4002, "Decode error"));
                    continue;
                };
                match frame["op"].as_u64() {
                    Some(1) if gw.ack_heartbeats.load(Ordering::Relaxed) => {
                        let _ = tx.send(Out::Text(json!({"op": 11}).to_string()));
                    }
                    Some(2) => {
                        let token = frame["d"]["token"].as_str().unwrap_or_default();
                        if token.trim_start_matches("Bot ") == inner.config.bot_token {
                            gw.identify(&inner, conn, &tx, &frame["d"]);
                        } else {
                            let _ = tx.send(Out::Close(4004, "Authentication failed."));
                        }
                    }
                    Some(6) => gw.resume(conn, &tx, &frame["d"]),
                    _ => {}
                }
            }
            out = rx.recv() => {
                let msg = match out {
                    Some(Out::Text(t)) => WsMessage::Text(t.into()),
                    Some(Out::Close(code, reason)) => WsMessage::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })),
                    Some(Out::Drop) | None => break,
                };
                let closing = matches!(msg, WsMessage::Close(_));
                if socket.send(msg).await.is_err() || closing {
                    break;
                }
            }
        }
    }
    gw.detach(conn);
}
