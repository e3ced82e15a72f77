//! Events to an AI platform's `webhook_url`, signed as SPEC §3 says.

use std::time::Duration;

use bytes::Bytes;
use handover_core::DeliveryOutcome;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Delivered, Report, RetryPolicy, Sink};
use crate::bridge::{BoxFuture, DeliveryError};
use crate::clock::Clock;
use crate::signing::sign;
use crate::store::{OutboxEntry, OutboxItem};

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The connector every outbound HTTP client uses: rustls with the web's root
/// certificates built in (no system store needed); `http://` allowed for loopback
/// emulators and receivers.
pub fn https_connector() -> hyper_rustls::HttpsConnector<HttpConnector> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build()
}

/// An HTTP(S) client for webhooks.
pub fn http_client() -> HttpsClient {
    Client::builder(TokioExecutor::new()).build(https_connector())
}

pub struct WebhookSink {
    pub url: hyper::Uri,
    pub secret: Vec<u8>,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub client: HttpsClient,
    pub clock: std::sync::Arc<dyn Clock>,
}

impl WebhookSink {
    async fn post(&self, event_id: &str, body: &str) -> Result<(), DeliveryError> {
        let ts = self.clock.now().millis().div_euclid(1000);
        let req = Request::post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("handover-bridge/", env!("CARGO_PKG_VERSION")),
            )
            .header("X-Handover-Event-Id", event_id)
            .header("X-Handover-Timestamp", ts.to_string())
            .header(
                "X-Handover-Signature",
                sign(&self.secret, ts, body.as_bytes()),
            )
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .map_err(|e| DeliveryError::new(format!("cannot build the request: {e}")))?;
        let resp = tokio::time::timeout(self.timeout, self.client.request(req))
            .await
            .map_err(|_| DeliveryError::new("the AI platform did not answer in time"))?
            .map_err(|e| DeliveryError::new(format!("cannot reach the AI platform: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(DeliveryError {
            reason: format!("the AI platform answered {status}"),
            retry_after,
        })
    }
}

impl Sink for WebhookSink {
    fn deliver<'a>(
        &'a self,
        entries: &'a [OutboxEntry],
    ) -> BoxFuture<'a, Result<Delivered, DeliveryError>> {
        Box::pin(async move {
            let Some(entry) = entries.first() else {
                return Ok(Delivered::one(None));
            };
            let OutboxItem::Event {
                event_id,
                kind,
                body,
            } = &entry.item
            else {
                return Ok(Delivered::one(None));
            };
            self.post(event_id, body).await?;
            Ok(Delivered::one(agent_message_id(kind, body).map(
                |message_id| Report::Delivery {
                    handover: entry.handover,
                    message_id,
                    outcome: DeliveryOutcome::Delivered,
                },
            )))
        })
    }

    fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The AI platform's 429 speaks for its whole endpoint.
    fn rate_limit_holds_sink(&self) -> bool {
        true
    }

    fn gave_up(&self, entry: &OutboxEntry, reason: &str) -> Option<Report> {
        let OutboxItem::Event { kind, body, .. } = &entry.item else {
            return None;
        };
        agent_message_id(kind, body).map(|message_id| Report::Delivery {
            handover: entry.handover,
            message_id,
            outcome: DeliveryOutcome::Failed {
                reason: format!("not delivered: {reason}"),
            },
        })
    }
}

/// The agent message id of an `agent.message` event body.
fn agent_message_id(kind: &str, body: &str) -> Option<String> {
    if kind != "agent.message" {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.pointer("/data/message_id")?.as_str().map(str::to_owned)
}
