//! How pushes reach the app: a Socket Mode envelope waiting for its ack, or a signed
//! HTTP POST; the echo of the app's own actions; redelivery and disconnects.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use super::events;
use super::state::{random_hex, uuid};
use super::{EmulatorError, Inner, SlackEmulator, http_push};

/// The three kinds of pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Events,
    Command,
    Interactive,
}

impl Kind {
    fn socket_type(self) -> &'static str {
        match self {
            Self::Events => "events_api",
            Self::Command => "slash_commands",
            Self::Interactive => "interactive",
        }
    }

    fn accepts_response_payload(self) -> bool {
        matches!(self, Self::Command)
    }
}

/// A payload to push to the app.
#[derive(Debug, Clone)]
pub(crate) struct Push {
    pub(crate) kind: Kind,
    pub(crate) payload: Value,
}

impl Push {
    /// Wraps an event into an event callback with a fresh `event_id`.
    pub(crate) fn event(event: Value) -> Self {
        let event_id = format!("Ev{}", random_hex(10).to_ascii_uppercase());
        Self {
            kind: Kind::Events,
            payload: events::event_callback(event, &event_id, http_push::unix_now()),
        }
    }
}

/// The last injected envelope, for [`SlackEmulator::redeliver_last`].
#[derive(Debug, Clone)]
pub(crate) struct LastEnvelope {
    kind: Kind,
    envelope_id: String,
    payload: Value,
    retry_attempt: u32,
}

fn envelope_frame(kind: Kind, envelope_id: &str, payload: &Value, retry_attempt: u32) -> String {
    events::envelope(
        kind.socket_type(),
        envelope_id,
        payload,
        kind.accepts_response_payload(),
        retry_attempt,
    )
    .to_string()
}

/// Delivers the echoes of the app's own actions, in order, without waiting for acks.
pub(crate) async fn echo_loop(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Push>) {
    while let Some(p) = rx.recv().await {
        match &inner.config.http_events {
            Some(cfg) => {
                let sent = http_push::post(
                    &inner.http,
                    cfg,
                    p.kind,
                    &p.payload,
                    0,
                    inner.config.ack_timeout,
                );
                if let Err(e) = sent.await {
                    tracing::debug!("slack emulator: echo not delivered: {e}");
                }
            }
            None => inner
                .sockets
                .fire(&envelope_frame(p.kind, &uuid(), &p.payload, 0)),
        }
    }
}

impl SlackEmulator {
    async fn deliver(&self, last: &LastEnvelope) -> Result<Value, EmulatorError> {
        let cfg = &self.inner.config;
        match &cfg.http_events {
            Some(h) => {
                http_push::post(
                    &self.inner.http,
                    h,
                    last.kind,
                    &last.payload,
                    last.retry_attempt,
                    cfg.ack_timeout,
                )
                .await
            }
            None => {
                let frame = envelope_frame(
                    last.kind,
                    &last.envelope_id,
                    &last.payload,
                    last.retry_attempt,
                );
                self.inner
                    .sockets
                    .deliver(&last.envelope_id, &frame, cfg.ack_timeout)
                    .await
            }
        }
    }

    pub(crate) async fn push_new(&self, push: Push) -> Result<Value, EmulatorError> {
        let last = LastEnvelope {
            kind: push.kind,
            envelope_id: uuid(),
            payload: push.payload,
            retry_attempt: 0,
        };
        self.inner.state().last_envelope = Some(last.clone());
        self.deliver(&last).await
    }

    /// Pushes `push`, then again (same envelope and event ids, `retry_attempt` + 1) after
    /// each failed delivery — no connection, a dropped one, no ack in time — as Slack
    /// retries an unacknowledged event; at most `attempts` times, `pause` apart. Returns
    /// the ack's payload and how many deliveries it took.
    pub(crate) async fn push_until_acked(
        &self,
        push: Push,
        attempts: u32,
        pause: std::time::Duration,
    ) -> Result<(Value, u32), EmulatorError> {
        let mut last = LastEnvelope {
            kind: push.kind,
            envelope_id: uuid(),
            payload: push.payload,
            retry_attempt: 0,
        };
        self.inner.state().last_envelope = Some(last.clone());
        loop {
            match self.deliver(&last).await {
                Ok(v) => return Ok((v, last.retry_attempt + 1)),
                Err(e) if last.retry_attempt + 1 >= attempts => return Err(e),
                Err(_) => {
                    last.retry_attempt += 1;
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// Pushes any event (wrapped in an event callback) and returns the ack payload.
    pub async fn push_event(&self, event: Value) -> Result<Value, EmulatorError> {
        self.push_new(Push::event(event)).await
    }

    /// Pushes the last injected envelope again (same `envelope_id` and `event_id`,
    /// `retry_attempt` + 1) and returns the ack payload. Echoes of the app's own posts
    /// do not count as injected.
    pub async fn redeliver_last(&self) -> Result<Value, EmulatorError> {
        let last = {
            let mut st = self.inner.state();
            let last = st
                .last_envelope
                .as_mut()
                .ok_or(EmulatorError::NothingToRedeliver)?;
            last.retry_attempt += 1;
            last.clone()
        };
        self.deliver(&last).await
    }

    /// Sends `{"type":"disconnect","reason":…}` to every connection, then closes them.
    pub async fn disconnect_all(&self, reason: &str) {
        self.inner.sockets.disconnect_all(reason).await;
    }
}
