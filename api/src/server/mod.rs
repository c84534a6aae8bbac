//! The HTTP server: its state, routes and middleware. The GraphQL-over-HTTP handler and the
//! error boundary are in `graphql_http`, the WebSocket upgrade for subscriptions in `websocket`,
//! health probes and shutdown in `probes`.

mod export;
mod feed;
mod graphql_http;
mod metrics;
mod probes;
mod websocket;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::feed::ChangeHub;
use crate::graphql::{self, AppSchema};
use crate::jobs::SyncJob;
use crate::playground;
use crate::webhooks::WebhookSettings;

use export::ExportPermits;
pub use export::{EXPORT_DEADLINE, MAX_CONCURRENT_EXPORTS};
use graphql_http::graphql_handler;
pub use probes::shutdown_signal;
use probes::{healthz, readyz};
use websocket::graphql_get;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// WebSocket connections (subscriptions) one process holds at once.
pub const MAX_WEBSOCKETS: usize = 256;
/// How long WebSocket connections have to close after a shutdown signal (a client slow to read
/// its last frames); then they are cut off.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a WebSocket client has to answer a keep-alive ping.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// Server settings that are not the database.
#[derive(Clone, Default)]
pub struct ServerConfig {
    /// The admin bearer token; `None` turns mutations off.
    pub admin_token: Option<String>,
    /// Origins allowed by CORS; empty allows none.
    pub cors_origins: Vec<HeaderValue>,
    /// The sync job `triggerSync` starts; `None` leaves the mutation answering that it is off.
    pub sync: Option<SyncJob>,
    /// Whether `/metrics` is served (and metrics recorded).
    pub metrics: bool,
    /// Where webhooks may point and how long their attempts may take.
    pub webhooks: WebhookSettings,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field("cors_origins", &self.cors_origins)
            .field("sync", &self.sync)
            .field("metrics", &self.metrics)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    db: DatabaseConnection,
    schema: AppSchema,
    config: ServerConfig,
    exports: ExportPermits,
    hub: ChangeHub,
    sockets: Arc<Semaphore>,
    metrics: Option<PrometheusHandle>,
}

impl AppState {
    /// State over an open, migrated database.
    pub fn new(db: DatabaseConnection, config: ServerConfig) -> Self {
        let metrics = config.metrics.then(crate::metrics::install).flatten();
        let hub = ChangeHub::start(db.clone());
        let schema = graphql::build_schema(
            db.clone(),
            config.sync.clone(),
            hub.clone(),
            config.webhooks,
        );
        Self {
            db,
            schema,
            config,
            exports: ExportPermits::default(),
            hub,
            sockets: Arc::new(Semaphore::new(MAX_WEBSOCKETS)),
            metrics,
        }
    }

    /// The metrics handle, when metrics are on.
    pub(crate) fn metrics(&self) -> Option<&PrometheusHandle> {
        self.metrics.as_ref()
    }

    /// The hub that tells subscribers of changes; closing it ends every subscription.
    pub fn hub(&self) -> &ChangeHub {
        &self.hub
    }

    /// The database.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The permits exports stream under.
    pub(crate) fn export_permits(&self) -> &ExportPermits {
        &self.exports
    }
}

/// Serves the routes on `listener` until `shutdown` resolves; then ends every subscription and
/// returns once in-flight requests have finished and every WebSocket has said goodbye.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub().clone();
    let sockets = state.sockets.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            hub.close();
        })
        .await?;
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
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.config.cors_origins.clone()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT]);
    Router::new()
        .route("/", get(playground::page))
        .route("/playground/{name}", get(playground::asset))
        .route("/graphql", get(graphql_get).post(graphql_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .merge(export::routes())
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(cors)
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
