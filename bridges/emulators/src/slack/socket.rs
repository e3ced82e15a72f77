//! Socket Mode: `GET /socket?ticket=…` upgrades to a WebSocket that gets `hello`,
//! envelopes and `disconnect`; the app's acks are matched by `envelope_id`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::{EmulatorError, Inner, events};

enum Out {
    Text(String),
    Close,
}

struct Conn {
    id: u64,
    tx: mpsc::UnboundedSender<Out>,
}

struct Pending {
    conn: u64,
    tx: oneshot::Sender<Value>,
}

#[derive(Default)]
struct Registry {
    conns: Vec<Conn>,
    next_id: u64,
    round_robin: usize,
    pending: HashMap<String, Pending>,
}

/// The live connections and the envelopes waiting for an ack.
pub(crate) struct Sockets {
    reg: Mutex<Registry>,
    count: watch::Sender<usize>,
}

impl Sockets {
    pub(crate) fn new() -> Self {
        Self {
            reg: Mutex::new(Registry::default()),
            count: watch::channel(0).0,
        }
    }

    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn count(&self) -> usize {
        *self.count.borrow()
    }

    pub(crate) async fn wait_count(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.count.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn publish(&self, reg: &Registry) {
        self.count.send_replace(reg.conns.len());
    }

    /// Sends `frame` to one live connection; with `ack`, registers the envelope first.
    fn send(&self, frame: &str, ack: Option<(&str, oneshot::Sender<Value>)>) -> bool {
        let mut reg = self.reg();
        while !reg.conns.is_empty() {
            let i = reg.round_robin % reg.conns.len();
            reg.round_robin = reg.round_robin.wrapping_add(1);
            let (id, ok) = {
                let c = &reg.conns[i];
                (c.id, c.tx.send(Out::Text(frame.to_string())).is_ok())
            };
            if ok {
                if let Some((envelope_id, tx)) = ack {
                    reg.pending
                        .insert(envelope_id.to_string(), Pending { conn: id, tx });
                }
                return true;
            }
            reg.conns.remove(i);
            self.publish(&reg);
        }
        false
    }

    /// Sends without waiting (the echo of the app's own actions); dropped when nobody
    /// is connected.
    pub(crate) fn fire(&self, frame: &str) {
        self.send(frame, None);
    }

    /// Sends an envelope and waits for its ack (the ack's `payload`, or `{}`).
    pub(crate) async fn deliver(
        &self,
        envelope_id: &str,
        frame: &str,
        timeout: Duration,
    ) -> Result<Value, EmulatorError> {
        let deadline = Instant::now() + timeout;
        let rx = loop {
            let (tx, rx) = oneshot::channel();
            if self.send(frame, Some((envelope_id, tx))) {
                break rx;
            }
            let mut watch = self.count.subscribe();
            let appeared = tokio::time::timeout_at(deadline, watch.wait_for(|c| *c > 0)).await;
            if !matches!(appeared, Ok(Ok(_))) {
                return Err(EmulatorError::NotConnected);
            }
        };
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(EmulatorError::Disconnected),
            Err(_) => {
                self.reg().pending.remove(envelope_id);
                Err(EmulatorError::Timeout)
            }
        }
    }

    /// Sends `disconnect` to every connection, closes them, and waits (up to 2 s) until
    /// they are gone.
    pub(crate) async fn disconnect_all(&self, reason: &str) {
        let frame = events::disconnect(reason).to_string();
        let ids: Vec<u64> = {
            let reg = self.reg();
            for c in &reg.conns {
                let _ = c.tx.send(Out::Text(frame.clone()));
                let _ = c.tx.send(Out::Close);
            }
            reg.conns.iter().map(|c| c.id).collect()
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut watch = self.count.subscribe();
        loop {
            if !self.reg().conns.iter().any(|c| ids.contains(&c.id)) {
                return;
            }
            if tokio::time::timeout_at(deadline, watch.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Adds a connection and queues its `hello` before anything else can be sent to it.
    fn register(&self, started: &str) -> (u64, mpsc::UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut reg = self.reg();
        reg.next_id += 1;
        let id = reg.next_id;
        let hello = events::hello(reg.conns.len() + 1, started).to_string();
        let _ = tx.send(Out::Text(hello));
        reg.conns.push(Conn { id, tx });
        self.publish(&reg);
        (id, rx)
    }

    fn unregister(&self, id: u64) {
        let mut reg = self.reg();
        reg.conns.retain(|c| c.id != id);
        reg.pending.retain(|_, p| p.conn != id);
        self.publish(&reg);
    }

    fn ack(&self, text: &str) {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let Some(id) = v.get("envelope_id").and_then(Value::as_str) else {
            return;
        };
        let pending = self.reg().pending.remove(id);
        if let Some(p) = pending {
            let payload = v.get("payload").cloned().unwrap_or_else(|| json!({}));
            let _ = p.tx.send(payload);
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct SocketQuery {
    ticket: Option<String>,
}

/// `GET /socket?ticket=…`: the tickets come from `apps.connections.open`, one use each.
pub(crate) async fn upgrade(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<SocketQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let valid = q
        .ticket
        .as_ref()
        .is_some_and(|t| inner.state().tickets.remove(t));
    if !valid {
        return (StatusCode::UNAUTHORIZED, "invalid ticket").into_response();
    }
    ws.on_upgrade(move |socket| run(inner, socket))
}

async fn run(inner: Arc<Inner>, mut socket: WebSocket) {
    let sockets = &inner.sockets;
    let (id, mut rx) = sockets.register(&inner.started);
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(t))) => sockets.ack(t.as_str()),
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {} // pings are answered by the WebSocket layer
            },
            out = rx.recv() => match out {
                Some(Out::Text(s)) => {
                    if socket.send(WsMessage::Text(s.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = socket.send(WsMessage::Close(None)).await;
                    break;
                }
            },
        }
    }
    sockets.unregister(id);
}
