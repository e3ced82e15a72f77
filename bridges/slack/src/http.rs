//! The Events API over HTTP (`signing_secret` without `app_token`): `POST /slack/events`,
//! `/slack/commands` and `/slack/interactions` on the API listener. The body is read
//! up to `server.max_body_bytes` and its signature checked before anything else; a
//! missing, forged or stale signature gets 401 and nothing is stored. Work is done
//! (and stored) before the 2xx, so a crash means Slack retries, and retries dedupe.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

use crate::inbound::{Shared, command_response};
use crate::signature::verify;

#[derive(Clone)]
struct HttpState {
    shared: Shared,
    secret: String,
    max_body: usize,
}

pub(crate) fn routes(shared: Shared, secret: String, max_body: usize) -> Router {
    Router::new()
        .route("/events", post(events))
        .route("/commands", post(commands))
        .route("/interactions", post(interactions))
        .with_state(HttpState {
            shared,
            secret,
            max_body,
        })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Reads the body (bounded) and checks its signature.
async fn verified(s: &HttpState, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let bytes = axum::body::to_bytes(body, s.max_body).await.map_err(|_| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is too large",
        )
    })?;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let now = s.shared.engine.now().millis().div_euclid(1000);
    verify(
        &s.secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &bytes,
        now,
    )
    .map_err(|e| {
        tracing::warn!(reason = %e, "Refused a Slack request with a bad signature.");
        error(StatusCode::UNAUTHORIZED, "bad_signature", &e.to_string())
    })?;
    Ok(bytes)
}

fn handled(result: Result<(), crate::inbound::Error>) -> Response {
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "A Slack request could not be handled; Slack will retry.");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unavailable",
                "try again",
            )
        }
    }
}

fn malformed(what: &str, e: impl std::fmt::Display) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "malformed",
        &format!("not a Slack {what}: {e}"),
    )
}

async fn events(State(s): State<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match verified(&s, &parts.headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return malformed("event", e),
    };
    if v["type"] == "url_verification" {
        return axum::Json(json!({"challenge": v["challenge"]})).into_response();
    }
    match serde_json::from_value::<SlackPushEventCallback>(v) {
        Ok(ev) => handled(s.shared.event(ev).await),
        // An authentic event this bridge has no use for: acknowledge it.
        Err(_) => StatusCode::OK.into_response(),
    }
}

async fn commands(State(s): State<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match verified(&s, &parts.headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let ev: SlackCommandEvent = match serde_urlencoded::from_bytes(&bytes) {
        Ok(ev) => ev,
        Err(e) => return malformed("slash command", e),
    };
    match s.shared.command(&ev).await {
        Ok(text) => axum::Json(command_response(text)).into_response(),
        Err(e) => handled(Err(e)),
    }
}

#[derive(serde::Deserialize)]
struct InteractionForm {
    payload: String,
}

async fn interactions(State(s): State<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match verified(&s, &parts.headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let form: InteractionForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(e) => return malformed("interaction", e),
    };
    match serde_json::from_str::<SlackInteractionEvent>(&form.payload) {
        Ok(ev) => handled(s.shared.interaction(ev).await),
        Err(e) => malformed("interaction", e),
    }
}
