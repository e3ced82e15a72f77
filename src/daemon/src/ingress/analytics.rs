//! `GET /v1/analytics?from=&to=`: the calling platform's handover metrics (SPEC §6).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::Caller;
use crate::clock::{parse_rfc3339, rfc3339};
use crate::store::Whose;

const DEFAULT_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

#[derive(Deserialize)]
pub struct Window {
    from: Option<String>,
    to: Option<String>,
}

pub async fn analytics(
    State(s): State<AppState>,
    Caller(p): Caller,
    Query(w): Query<Window>,
) -> Result<Json<Value>, ApiError> {
    let bound = |field: &str, v: Option<&str>| match v.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_rfc3339(v).map(Some).ok_or_else(|| {
            ApiError::invalid(field, "an RFC 3339 timestamp such as 2026-01-31T00:00:00Z")
        }),
    };
    // The window is [from, to): by default it includes this very millisecond.
    let to = bound("to", w.to.as_deref())?
        .unwrap_or_else(|| s.engine.now().plus(std::time::Duration::from_millis(1)));
    let from = bound("from", w.from.as_deref())?
        .unwrap_or(handover_core::Timestamp(to.0 - DEFAULT_WINDOW_MS));
    if from >= to {
        return Err(ApiError::invalid("from", "earlier than to"));
    }
    let whose = Whose::Platform(p.id.clone());
    let a = s.engine.store().analytics(whose, from, to).await?;
    let mut body = serde_json::to_value(&a).map_err(|e| ApiError::unavailable(e.to_string()))?;
    if let Some(obj) = body.as_object_mut() {
        obj.insert("from".into(), json!(rfc3339(from)));
        obj.insert("to".into(), json!(rfc3339(to)));
    }
    Ok(Json(body))
}
