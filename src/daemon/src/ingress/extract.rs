//! Extractors: the calling platform (bearer token, rate limit) and size-limited JSON.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;

/// One AI platform allowed to call the API.
pub struct PlatformAuth {
    pub id: String,
    pub bridge: String,
    pub token: Vec<u8>,
    pub limiter: Option<DefaultDirectRateLimiter>,
}

impl PlatformAuth {
    pub fn new(id: &str, bridge: &str, token: &str, per_second: u32, burst: u32) -> Self {
        let limiter = std::num::NonZeroU32::new(per_second).map(|rate| {
            let burst = std::num::NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            id: id.to_owned(),
            bridge: bridge.to_owned(),
            token: token.as_bytes().to_vec(),
            limiter,
        }
    }
}

/// The platform whose bearer token the request carries.
pub struct Caller(pub Arc<PlatformAuth>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("missing Authorization: Bearer <token>"))?;
        let token = header
            .as_bytes()
            .strip_prefix(b"Bearer ")
            .ok_or_else(|| unauthorized("the Authorization header must be Bearer <token>"))?;
        // Compare with every platform's token in constant time, without stopping early.
        let mut found = None;
        for p in state.platforms.iter() {
            if bool::from(p.token.as_slice().ct_eq(token)) {
                found = Some(p.clone());
            }
        }
        let p = found.ok_or_else(|| unauthorized("unknown token"))?;
        if let Some(l) = &p.limiter
            && let Err(not_until) = l.check()
        {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(ApiError {
                retry_after: Some(secs.max(1)),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests; retry later",
                )
            });
        }
        if state.stopping.is_cancelled() {
            return Err(ApiError::unavailable("the daemon is shutting down"));
        }
        Ok(Caller(p))
    }
}

/// A JSON body read up to `server.max_body_bytes`: 413 above it, 400 when it is not
/// JSON, 422 when a field has the wrong type or is missing.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.max_body_bytes;
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body is larger than {limit} bytes"),
                )
            })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    e.to_string(),
                ),
                _ => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON: {e}"),
                ),
            }
        })
    }
}
