//! The `/v1` handlers: each validates, submits to the engine, waits for durability,
//! then answers.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use handover_core::{
    Actor, Attachment, Command, EndMode, EndUser, Handover, HandoverId, Message, Priority, Request,
    Resolution, Role, Status, TranscriptEntry, route,
};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::extract::{Caller, JsonBody};
use super::validate::{self as v, MAX_TEXT};
use crate::engine::{Accepted, Target};
use crate::metrics::inc;
use crate::views;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SpeakerRole {
    User,
    Ai,
}

#[derive(Deserialize)]
pub struct TranscriptIn {
    role: SpeakerRole,
    text: String,
    at: Option<String>,
}

#[derive(Deserialize)]
pub struct RequestBody {
    conversation_id: String,
    user: EndUser,
    reason: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    transcript: Vec<TranscriptIn>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(default)]
    priority: Priority,
}

pub async fn request(
    State(s): State<AppState>,
    Caller(p): Caller,
    JsonBody(b): JsonBody<RequestBody>,
) -> Result<Response, ApiError> {
    v::id("conversation_id", &b.conversation_id, 128)?;
    v::user(&b.user)?;
    v::text("reason", b.reason.as_deref(), 1000)?;
    v::text("summary", b.summary.as_deref(), 4000)?;
    v::metadata(&b.metadata)?;
    if b.transcript.len() > 200 {
        return Err(ApiError::invalid("transcript", "at most 200 entries"));
    }
    let now = s.engine.now();
    let mut transcript = Vec::with_capacity(b.transcript.len());
    for (i, t) in b.transcript.into_iter().enumerate() {
        v::text(&format!("transcript[{i}].text"), Some(&t.text), MAX_TEXT)?;
        let at = v::at(&format!("transcript[{i}].at"), t.at.as_deref(), now)?;
        let role = if t.role == SpeakerRole::Ai {
            Role::Ai
        } else {
            Role::User
        };
        transcript.push(TranscriptEntry {
            role,
            text: t.text,
            at,
            agent: None,
            message_id: None,
            attachments: Vec::new(),
        });
    }
    let req = Request {
        platform: p.id.clone(),
        conversation_id: b.conversation_id.clone(),
        bridge: p.bridge.clone(),
        user: b.user,
        reason: b.reason,
        summary: b.summary,
        metadata: b.metadata,
        priority: b.priority,
        transcript,
    };
    let target = Target::Conversation {
        platform: p.id.clone(),
        conversation_id: b.conversation_id,
    };
    let a = s
        .engine
        .submit_durable(target, Command::Request(req), None)
        .await?;
    let h = a
        .handover
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("no handover was created"))?;
    if a.created {
        inc(&s.metrics.handovers_requested);
        tracing::info!(handover_id = %h.id, platform = %p.id, "Handover requested.");
    }
    let status = if a.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({"handover_id": h.id, "conversation_id": h.conversation_id, "status": h.status, "route": a.route});
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct MessageBody {
    message_id: String,
    role: Option<SpeakerRole>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    attachments: Vec<Attachment>,
    at: Option<String>,
}

pub async fn message(
    State(s): State<AppState>,
    Caller(p): Caller,
    Path(conversation_id): Path<String>,
    JsonBody(b): JsonBody<MessageBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    v::id("conversation_id", &conversation_id, 128)?;
    v::id("message_id", &b.message_id, 256)?;
    v::text("text", Some(&b.text), MAX_TEXT)?;
    v::attachments("attachments", &b.attachments)?;
    if b.text.trim().is_empty() && b.attachments.is_empty() {
        return Err(ApiError::invalid(
            "text",
            "text or attachments must be present",
        ));
    }
    let at = v::at("at", b.at.as_deref(), s.engine.now())?;
    let dedupe = crate::store::keys::joined(&["msg", &p.id, &conversation_id, &b.message_id]);
    let m = Message {
        message_id: b.message_id,
        text: b.text,
        attachments: b.attachments,
        at,
    };
    let cmd = match b.role.unwrap_or(SpeakerRole::User) {
        SpeakerRole::User => Command::UserMessage(m),
        SpeakerRole::Ai => Command::AiMessage(m),
    };
    let target = Target::Conversation {
        platform: p.id.clone(),
        conversation_id,
    };
    let a = s.engine.submit_durable(target, cmd, Some(dedupe)).await?;
    inc(&s.metrics.messages_accepted);
    Ok(Json(route_body(&a)))
}

fn route_body(a: &Accepted) -> serde_json::Value {
    match a.handover.as_ref().filter(|h| h.status.is_open()) {
        Some(h) => json!({"route": a.route, "handover_id": h.id, "status": h.status}),
        None => json!({"route": a.route}),
    }
}

pub async fn conversation(
    State(s): State<AppState>,
    Caller(p): Caller,
    Path(conversation_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    v::id("conversation_id", &conversation_id, 128)?;
    let open = s.engine.store().open_handover(&p.id, &conversation_id)?;
    Ok(Json(json!({
        "conversation_id": conversation_id,
        "route": route(open.as_ref()),
        "handover": open.as_ref().map(views::handover),
    })))
}

/// The handover `id` if it belongs to the calling platform (others' are "not found").
fn owned(s: &AppState, platform: &str, id: &str) -> Result<Handover, ApiError> {
    let not_found = || ApiError::not_found(&format!("handover {id}"));
    let id: HandoverId = id.parse().map_err(|_| not_found())?;
    s.engine
        .store()
        .handover(id)?
        .filter(|h| h.platform == platform)
        .ok_or_else(not_found)
}

pub async fn get_handover(
    State(s): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(views::handover(&owned(&s, &p.id, &id)?)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    Caller(p): Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(x) => Some(
            Status::parse(x)
                .ok_or_else(|| ApiError::invalid("status", "pending, in_progress or completed"))?,
        ),
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => 50,
        Some(x) => x
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", "a number from 1 to 500"))?,
    };
    let mut before = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<HandoverId>().map_err(|_| {
            ApiError::invalid("cursor", "a next_cursor value from a previous page")
        })?),
    };
    // Other platforms' handovers are skipped; keep reading until the page is full.
    let mut items = Vec::new();
    let mut exhausted = false;
    while items.len() <= limit && !exhausted {
        let batch = s.engine.store().list(status, before, limit + 1)?;
        exhausted = batch.len() <= limit;
        for h in batch {
            before = Some(h.id);
            if h.platform == p.id && items.len() <= limit {
                items.push(h);
            }
        }
    }
    let has_more = items.len() > limit;
    items.truncate(limit);
    let next = if has_more {
        items.last().map(|h| h.id.to_string())
    } else {
        None
    };
    Ok(Json(
        json!({"items": items.iter().map(views::handover).collect::<Vec<_>>(), "next_cursor": next}),
    ))
}

#[derive(Deserialize)]
pub struct EndBody {
    resolution: Resolution,
    reason: Option<String>,
}

pub async fn end(
    State(s): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<EndBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let h = owned(&s, &p.id, &id)?;
    v::text("reason", b.reason.as_deref(), 1000)?;
    let mode = match b.resolution {
        Resolution::ReturnedToAi => EndMode::ReturnToAi,
        Resolution::Closed => EndMode::Close,
        Resolution::Cancelled => EndMode::Cancel,
    };
    let cmd = Command::End {
        by: Actor::Platform,
        mode,
        reason: b.reason,
    };
    let a = s
        .engine
        .submit_durable(Target::Handover(h.id), cmd, None)
        .await?;
    let h = a
        .handover
        .ok_or_else(|| ApiError::not_found(&format!("handover {id}")))?;
    tracing::info!(handover_id = %h.id, resolution = ?h.resolution, "Handover ended by the AI platform.");
    Ok(Json(views::handover(&h)))
}

#[derive(Deserialize)]
pub struct RatingBody {
    score: serde_json::Value,
    comment: Option<String>,
}

pub async fn rating(
    State(s): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RatingBody>,
) -> Result<StatusCode, ApiError> {
    let h = owned(&s, &p.id, &id)?;
    let score = b
        .score
        .as_u64()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| ApiError::invalid("score", "a whole number from 1 to 5"))?;
    v::text("comment", b.comment.as_deref(), 2000)?;
    let cmd = Command::Rate {
        score: score as u8,
        comment: b.comment,
    };
    s.engine
        .submit_durable(Target::Handover(h.id), cmd, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
