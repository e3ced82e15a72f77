//! HTTP mode: pushes POSTed to the app's Events API URLs, signed like Slack
//! (`X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`).

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sha2::Sha256;

use super::delivery::Kind;
use super::{EmulatorError, HttpEvents, form};

pub(crate) type Client = HyperClient<HttpConnector, Full<Bytes>>;

pub(crate) fn client() -> Client {
    HyperClient::builder(TokioExecutor::new()).build_http()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`.
pub fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes keys of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// The path and body of a push.
pub(crate) fn request_body(kind: Kind, payload: &Value) -> (&'static str, &'static str, String) {
    match kind {
        Kind::Events => ("events", "application/json", payload.to_string()),
        Kind::Command => {
            let pairs: Vec<(String, String)> = payload
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_string),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = form::encode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            ("commands", "application/x-www-form-urlencoded", body)
        }
        Kind::Interactive => {
            let body = form::encode_pairs([("payload", payload.to_string().as_str())]);
            ("interactions", "application/x-www-form-urlencoded", body)
        }
    }
}

/// POSTs a push and returns the answer body as JSON (`{}` when empty, a JSON string when
/// it is not JSON); a non-2xx answer is an error carrying the status.
pub(crate) async fn post(
    client: &Client,
    cfg: &HttpEvents,
    kind: Kind,
    payload: &Value,
    retry_attempt: u32,
    timeout: Duration,
) -> Result<Value, EmulatorError> {
    let (path, ctype, body) = request_body(kind, payload);
    let url = format!("{}/{path}", cfg.base_url.trim_end_matches('/'));
    let ts = i64::try_from(unix_now()).unwrap_or(0);
    let signature = sign(&cfg.signing_secret, ts, body.as_bytes());
    let mut req = hyper::Request::post(url)
        .header("content-type", ctype)
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .header("user-agent", "Slackbot 1.0 (+https://api.slack.com/robots)");
    if retry_attempt > 0 {
        req = req
            .header("x-slack-retry-num", retry_attempt.to_string())
            .header("x-slack-retry-reason", "http_timeout");
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| EmulatorError::Transport(e.to_string()))?;
    let send = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| EmulatorError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| EmulatorError::Transport(e.to_string()))?
            .to_bytes();
        Ok::<_, EmulatorError>((status, String::from_utf8_lossy(&bytes).into_owned()))
    };
    let (status, text) = tokio::time::timeout(timeout, send)
        .await
        .map_err(|_| EmulatorError::Timeout)??;
    if !(200..300).contains(&status) {
        return Err(EmulatorError::Http { status, body: text });
    }
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
