//! `GET /metrics` and the middleware that counts and times every request ([`crate::metrics`]
//! holds the recorder and what is recorded).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Middleware counting every request by route and status, and timing it.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("lmsdr_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("lmsdr_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the Prometheus text format; 404 when metrics are off.
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = state.metrics() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::gather(state.db(), handle).await,
    )
        .into_response()
}
