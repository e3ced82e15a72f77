//! Files agents share in a handover thread, passed on to the end user as working links.
//!
//! Slack's file URLs need the bot token, so the bridge gives the AI platform its own
//! URL instead: `{public_url}/slack/files/{token}/{name}`, with an unguessable token
//! (128 random bits) that expires after [`LINK_TTL`]. Fetching it makes the bridge
//! download the file from Slack with the bot token and stream it back.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use handover_core::Attachment;
use handover_daemon::delivery::https_connector;
use handover_daemon::store::{FileLink, StoreError};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use slack_morphism::prelude::SlackFile;

use crate::inbound::Shared;

/// How long a file link works.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub(crate) type FileClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

pub(crate) fn client() -> FileClient {
    Client::builder(TokioExecutor::new()).build(https_connector())
}

/// The link's path segment for a file name (letters, digits, `.-_` kept).
fn url_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

impl Shared {
    /// Makes a durable link for each shared file and returns them as attachments.
    pub(crate) async fn attachments(
        &self,
        files: &[SlackFile],
    ) -> Result<Vec<Attachment>, StoreError> {
        let store = self.engine.store();
        let mut out = Vec::new();
        let mut ticket = 0;
        for f in files {
            let Some(source) = f.url_private_download.as_ref().or(f.url_private.as_ref()) else {
                continue;
            };
            let name = f
                .name
                .clone()
                .or(f.title.clone())
                .unwrap_or_else(|| "file".to_owned());
            let token = format!("{:032x}", rand::random::<u128>());
            let link = FileLink {
                source: source.to_string(),
                name: name.clone(),
                content_type: f.mimetype.as_ref().map(|m| m.0.clone()),
                expires_at: self.engine.now().plus(LINK_TTL),
            };
            ticket = store.put_link(&token, &link)?;
            out.push(Attachment {
                url: format!(
                    "{}/slack/files/{token}/{}",
                    self.public_url,
                    url_name(&name)
                ),
                name,
                content_type: link.content_type,
                size: None,
            });
        }
        store.durable(ticket).await?;
        Ok(out)
    }
}

pub(crate) fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/files/{token}/{name}", get(serve))
        .with_state(shared)
}

fn status(code: StatusCode, text: &'static str) -> Response {
    (code, text).into_response()
}

/// Streams the file behind a link from Slack, with the bot token.
async fn serve(State(s): State<Shared>, Path((token, _name)): Path<(String, String)>) -> Response {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return status(StatusCode::NOT_FOUND, "no such file");
    }
    let link = match s.engine.store().link(&token, s.engine.now()) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return status(
                StatusCode::NOT_FOUND,
                "no such file, or the link has expired",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "Cannot read a file link.");
            return status(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };
    let req = hyper::Request::get(link.source.as_str())
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", s.bridge.inner.config.bot_token.expose()),
        )
        .body(Empty::new());
    let Ok(req) = req else {
        return status(StatusCode::BAD_GATEWAY, "bad file address");
    };
    let resp = match s.bridge.inner.files.request(req).await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            tracing::warn!(status = %r.status(), "Slack refused a file download.");
            return status(StatusCode::BAD_GATEWAY, "the file could not be fetched");
        }
        Err(e) => {
            tracing::warn!(error = %e, "Cannot reach Slack for a file download.");
            return status(StatusCode::BAD_GATEWAY, "the file could not be fetched");
        }
    };
    let content_type = link
        .content_type
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let disposition = format!("attachment; filename=\"{}\"", url_name(&link.name));
    let mut out = Response::new(Body::new(resp.into_body()));
    if let Ok(v) = content_type.parse() {
        out.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = disposition.parse() {
        out.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    out
}
