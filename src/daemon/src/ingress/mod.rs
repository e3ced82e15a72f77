//! The HTTP API for AI platforms (SPEC §3), plus health, readiness and metrics.

mod analytics;
mod error;
mod extract;
mod handlers;
mod validate;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use extract::PlatformAuth;

use crate::bridge::Bridge;
use crate::engine::Engine;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub platforms: Arc<Vec<Arc<PlatformAuth>>>,
    pub bridges: Arc<Vec<Arc<dyn Bridge>>>,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    /// Fires when shutdown begins: new API calls get 503.
    pub stopping: CancellationToken,
}

/// The API router, with the bridges' own endpoints nested under their prefixes.
pub fn router(state: AppState, bridge_routes: Vec<(&'static str, Router)>) -> Router {
    let mut app = Router::new();
    for (prefix, routes) in bridge_routes {
        app = app.nest_service(prefix, routes);
    }
    app.route("/v1/handovers", post(handlers::request).get(handlers::list))
        .route("/v1/handovers/{handover_id}", get(handlers::get_handover))
        .route("/v1/handovers/{handover_id}/end", post(handlers::end))
        .route("/v1/handovers/{handover_id}/rating", post(handlers::rating))
        .route(
            "/v1/conversations/{conversation_id}",
            get(handlers::conversation),
        )
        .route(
            "/v1/conversations/{conversation_id}/messages",
            post(handlers::message),
        )
        .route("/v1/analytics", get(analytics::analytics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::not_found("this path") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed here",
            )
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        .with_state(state)
}

async fn count_responses(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    s.metrics.http_response(resp.status().as_u16());
    resp
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

async fn readyz(State(s): State<AppState>) -> Response {
    let bridges: serde_json::Map<String, serde_json::Value> = s
        .bridges
        .iter()
        .map(|b| (b.name().to_owned(), b.ready().into()))
        .collect();
    let all_up = s.bridges.iter().all(|b| b.ready());
    let stopping = s.stopping.is_cancelled();
    let writable = s.engine.store().writable();
    let store = if writable { "open" } else { "failing" };
    let body = json!({"store": store, "bridges": bridges, "stopping": stopping});
    if all_up && writable && !stopping {
        (
            StatusCode::OK,
            axum::Json(json!({"status": "ready", "checks": body})),
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "not_ready", "checks": body})),
        )
            .into_response()
    }
}

/// The OpenAPI document of this API (checked against the router by a test).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    let bridges: Vec<(&str, bool, u64)> = s
        .bridges
        .iter()
        .map(|b| (b.name(), b.ready(), b.rate_limited()))
        .collect();
    let text = s.metrics.render(s.engine.store(), &bridges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
