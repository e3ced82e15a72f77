//! Files agents share in a handover thread, passed on to the end user as working links.
//!
//! Slack's file URLs need the bot token, so the bridge gives the AI platform its own
//! URL instead: `{public_url}/slack/files/{token}/{name}`, with an unguessable token
//! (128 random bits) that expires after [`file_links::LINK_TTL`]. Fetching it makes the
//! bridge download the file from Slack with the bot token and stream it back.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use handover_core::Attachment;
use handover_daemon::delivery::https_connector;
use handover_daemon::file_links;
use handover_daemon::store::StoreError;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use slack_morphism::prelude::SlackFile;

use crate::inbound::Shared;

pub(crate) type FileClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

pub(crate) fn client() -> FileClient {
    Client::builder(TokioExecutor::new()).build(https_connector())
}

impl Shared {
    /// Makes a durable link for each shared file and returns them as attachments.
    pub(crate) async fn attachments(
        &self,
        files: &[SlackFile],
    ) -> Result<Vec<Attachment>, StoreError> {
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
            let content_type = f.mimetype.as_ref().map(|m| m.0.clone());
            let (url, t) = file_links::make(
                &self.engine,
                &self.public_url,
                "slack",
                source.as_str(),
                &name,
                content_type.clone(),
            )?;
            ticket = t;
            out.push(Attachment {
                url,
                name,
                content_type,
                size: None,
            });
        }
        self.engine.store().durable(ticket).await?;
        Ok(out)
    }
}

pub(crate) fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/files/{token}/{name}", get(serve))
        .with_state(shared)
}

/// Streams the file behind a link from Slack, with the bot token.
async fn serve(State(s): State<Shared>, Path((token, _name)): Path<(String, String)>) -> Response {
    let link = match file_links::find(&s.engine, &token) {
        Ok(l) => l,
        Err(answer) => return *answer,
    };
    let req = hyper::Request::get(link.source.as_str())
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", s.bridge.inner.config.bot_token.expose()),
        )
        .body(Empty::new());
    let Ok(req) = req else {
        return file_links::unavailable();
    };
    match s.bridge.inner.files.request(req).await {
        Ok(r) if r.status().is_success() => file_links::respond(link, Body::new(r.into_body())),
        Ok(r) => {
            tracing::warn!(status = %r.status(), "Slack refused a file download.");
            file_links::unavailable()
        }
        Err(e) => {
            tracing::warn!(error = %e, "Cannot reach Slack for a file download.");
            file_links::unavailable()
        }
    }
}
