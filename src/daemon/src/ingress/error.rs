//! API errors: `{"error": {"code", "message"}}` with a fitting status.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use handover_core::Rejection;
use serde_json::json;

use crate::engine::EngineError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid(field: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{field}: {expected}"),
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "Store error.");
        match e {
            StoreError::Corrupt { .. } | StoreError::Damaged { .. } => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_corrupt",
                e.to_string(),
            ),
            _ => Self::unavailable(format!(
                "the store cannot accept writes right now ({e}); nothing was stored"
            )),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        match e {
            EngineError::NotFound(id) => Self::not_found(&format!("handover {id}")),
            EngineError::Store(s) => s.into(),
            EngineError::Stopped => Self::unavailable("the daemon is shutting down"),
            EngineError::Rejected(r) => {
                let msg = r.to_string();
                match r {
                    Rejection::HandoverDisabled => Self::new(S::CONFLICT, "handover_disabled", msg),
                    Rejection::NotCompleted => Self::new(S::CONFLICT, "not_completed", msg),
                    Rejection::NotOpen { .. } => Self::new(S::CONFLICT, "already_completed", msg),
                    Rejection::AlreadyTaken { .. } => Self::new(S::CONFLICT, "already_taken", msg),
                    Rejection::InvalidScore => Self::invalid("score", "a whole number from 1 to 5"),
                    Rejection::NoOpenHandover => Self::new(S::CONFLICT, "no_open_handover", msg),
                    Rejection::NotMember
                    | Rejection::NotMemberOrAdmin
                    | Rejection::AssigneeNotMember { .. }
                    | Rejection::NotTaken => Self::new(S::FORBIDDEN, "forbidden", msg),
                }
            }
        }
    }
}
