//! Files agents attach in a handover channel, passed on to the end user as working
//! links, as on Slack.
//!
//! Discord's attachment URLs are signed and stop working after about a day, so the
//! bridge gives the AI platform its own URL instead: `{public_url}/discord/files/
//! {token}/{name}`, with an unguessable token that works for
//! [`file_links::LINK_TTL`]. Fetching it makes the bridge download the file from
//! Discord's CDN and stream it back; an expired Discord URL is refreshed first
//! (`POST /attachments/refresh-urls`).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use handover_core::Attachment;
use handover_daemon::engine::Engine;
use handover_daemon::file_links;
use handover_daemon::store::StoreError;

use crate::DiscordBridge;

/// Makes a durable link for each file of a message and returns them as attachments.
pub(crate) async fn attachments(
    engine: &Engine,
    public_url: &str,
    files: &[serenity::all::Attachment],
) -> Result<Vec<Attachment>, StoreError> {
    let mut out = Vec::new();
    let mut ticket = 0;
    for f in files {
        let (url, t) = file_links::make(
            engine,
            public_url,
            crate::ids::BRIDGE,
            &f.url,
            &f.filename,
            f.content_type.clone(),
        )?;
        ticket = t;
        out.push(Attachment {
            url,
            name: f.filename.clone(),
            content_type: f.content_type.clone(),
            size: Some(u64::from(f.size)),
        });
    }
    if ticket != 0 {
        engine.store().durable(ticket).await?;
    }
    Ok(out)
}

#[derive(Clone)]
struct Files {
    bridge: DiscordBridge,
    engine: Engine,
}

pub(crate) fn routes(bridge: DiscordBridge, engine: Engine) -> Router {
    Router::new()
        .route("/files/{token}/{name}", get(serve))
        .with_state(Files { bridge, engine })
}

/// Fetches `source`, refreshing the signed URL once when Discord says it has expired.
async fn fetch(bridge: &DiscordBridge, source: &str) -> Option<reqwest::Response> {
    let rest = &bridge.inner.rest;
    let first = rest.download(source).await.ok()?;
    if first.status().is_success() {
        return Some(first);
    }
    let expired = matches!(first.status().as_u16(), 403 | 404 | 410);
    if !expired {
        tracing::warn!(status = %first.status(), "Discord refused a file download.");
        return None;
    }
    let fresh = rest.refresh_urls(&[source.to_owned()]).await.ok()?;
    let url = fresh.first().filter(|u| *u != source)?;
    let again = rest.download(url).await.ok()?;
    if again.status().is_success() {
        Some(again)
    } else {
        tracing::warn!(status = %again.status(), "Discord refused a refreshed file download.");
        None
    }
}

/// Streams the file behind a link from Discord.
async fn serve(State(s): State<Files>, Path((token, _name)): Path<(String, String)>) -> Response {
    let link = match file_links::find(&s.engine, &token) {
        Ok(l) => l,
        Err(answer) => return *answer,
    };
    match fetch(&s.bridge, &link.source).await {
        Some(resp) => file_links::respond(link, Body::from_stream(resp.bytes_stream())),
        None => file_links::unavailable(),
    }
}
