//! The HTTP server: every route and its middleware, and every HTTP handler. The state handlers
//! share is in `state`; GraphQL over HTTP in `graphql_http` (one operation answered in
//! `answer`), the WebSocket upgrade for subscriptions in `websocket`, the exports in `export`,
//! the change feed in `feed`, `/metrics` and request metrics in `metrics`, health probes and
//! shutdown in `probes`; connections in `connections`, per-address limits in `clients`, CORS in
//! `cors`.

mod answer;
mod clients;
mod connections;
mod cors;
mod documents;
mod export;
mod feed;
mod graphql_http;
mod memento;
mod metrics;
mod persisted;
mod playground;
mod probes;
mod response_cache;
mod state;
mod websocket;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use connections::ConnectionLimits;
pub use cors::{CorsError, CorsOrigins};
pub use export::{EXPORT_DEADLINE, MAX_CONCURRENT_EXPORTS, MAX_EXPORTS_PER_CLIENT};
use graphql_http::graphql_handler;
pub use probes::shutdown_signal;
use probes::{healthz, readyz};
pub use state::{AppState, DEFAULT_CACHE_BYTES, ServerConfig};
use websocket::graphql_get;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// WebSocket connections (subscriptions) one process holds at once.
pub const MAX_WEBSOCKETS: usize = 256;
/// WebSocket connections one client address holds at once.
pub const MAX_WEBSOCKETS_PER_CLIENT: usize = 16;
/// How long a WebSocket client has, once connected, to send `connection_init`
/// (graphql-transport-ws closes it with 4408 after that).
pub const CONNECTION_INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long WebSocket connections have to close after a shutdown signal (a client slow to read
/// its last frames); then they are cut off.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a WebSocket client has to answer a keep-alive ping.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Content-Security-Policy of every response that sets none of its own: JSON, CSV and text
/// load nothing, and no page may frame them.
pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Serves the routes on `listener` until `shutdown` resolves; then ends every subscription and
/// returns once in-flight requests have finished and every WebSocket has said goodbye.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub().clone();
    let sockets = state.sockets.clone();
    let limits = state.config.connections;
    connections::accept(listener, router(state), limits, async move {
        shutdown.await;
        hub.close();
    })
    .await;
    // WebSocket connections outlive the HTTP server: each closes once its subscriptions have
    // completed, and holds a permit until then.
    let all = u32::try_from(MAX_WEBSOCKETS).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, sockets.acquire_many(all))
        .await
        .is_err()
    {
        let open = MAX_WEBSOCKETS.saturating_sub(sockets.available_permits());
        tracing::warn!(
            open,
            "WebSocket connections still open after the grace period: cut off"
        );
    }
    Ok(())
}

/// All of lmsdr's routes with their middleware.
pub fn router(state: AppState) -> Router {
    let cors = state.config.cors_origins.layer();
    Router::new()
        .route("/", get(playground::page))
        .route("/playground/{name}", get(playground::asset))
        .route("/graphql", get(graphql_get).post(graphql_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .merge(export::routes())
        .merge(memento::routes())
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id)
        }).on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
