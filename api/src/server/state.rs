//! What every handler can reach ([`AppState`]) and the settings it is made from.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use super::clients::PerClient;
use super::connections::ConnectionLimits;
use super::cors::CorsOrigins;
use super::documents::Documents;
use super::export::ExportPermits;
use super::persisted::PersistedQueries;
use super::response_cache::ResponseCache;
use super::{MAX_WEBSOCKETS, MAX_WEBSOCKETS_PER_CLIENT};
use crate::feed::{ChangeHub, Generation};
use crate::graphql::{self, Schemas};
use crate::jobs::SyncJob;
use crate::webhooks::WebhookSettings;

/// The response cache's size when none is given: 64 MiB.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Most query text the persisted queries (APQ) hold: 8 MiB.
const PERSISTED_BYTES: u64 = 8 * 1024 * 1024;

/// About the most parsed documents hold: 16 MiB.
const DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// Server settings that are not the database.
#[derive(Clone)]
pub struct ServerConfig {
    /// The admin bearer token; `None` turns mutations off.
    pub admin_token: Option<String>,
    /// Origins allowed by CORS.
    pub cors_origins: CorsOrigins,
    /// The sync job `triggerSync` starts; `None` leaves the mutation answering that it is off.
    pub sync: Option<SyncJob>,
    /// Whether `/metrics` is served (and metrics recorded).
    pub metrics: bool,
    /// Where webhooks may point and how long their attempts may take.
    pub webhooks: WebhookSettings,
    /// The response cache's size in bytes; `None` turns it off.
    pub cache_bytes: Option<u64>,
    /// Run only persisted queries for anonymous callers (an allow-list an admin fills).
    pub persisted_only: bool,
    /// How connections are bounded.
    pub connections: ConnectionLimits,
}

impl Default for ServerConfig {
    /// No admin token, no CORS origins, no sync job, metrics off, the response cache on.
    fn default() -> Self {
        Self {
            admin_token: None,
            cors_origins: CorsOrigins::default(),
            sync: None,
            metrics: false,
            webhooks: WebhookSettings::default(),
            cache_bytes: Some(DEFAULT_CACHE_BYTES),
            persisted_only: false,
            connections: ConnectionLimits::default(),
        }
    }
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
            .field("cache_bytes", &self.cache_bytes)
            .field("persisted_only", &self.persisted_only)
            .field("connections", &self.connections)
            .finish()
    }
}

/// Operations run at once per core. A running query holds its resolvers' futures, rows and
/// answer; a few per core keep the cores busy, and the memory of a burst of clients stays that
/// of a few queries whatever the number of connections (`just bench`, 200 connections: 143 MiB
/// resident with no bound, 73 MiB with four per core; two per core answered a third fewer).
const EXECUTIONS_PER_CORE: usize = 4;

/// Operations that may run at once in this process.
fn max_executions() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    EXECUTIONS_PER_CORE * cores
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub(super) db: DatabaseConnection,
    pub(super) schemas: Schemas,
    pub(super) config: ServerConfig,
    exports: ExportPermits,
    pub(super) hub: ChangeHub,
    pub(super) sockets: Arc<Semaphore>,
    /// WebSocket connections by client address.
    pub(super) socket_clients: PerClient,
    metrics: Option<PrometheusHandle>,
    /// Answers kept, when the cache is on.
    pub(super) cache: Option<ResponseCache>,
    /// The content generation answers are kept by.
    pub(super) generation: Generation,
    /// Queries clients persisted (APQ).
    pub(super) persisted: PersistedQueries,
    /// Parsed documents by query text.
    pub(super) documents: Documents,
    /// Operations that may run at once; the others wait their turn.
    pub(super) executions: Arc<Semaphore>,
}

impl AppState {
    /// State over an open, migrated database.
    pub fn new(db: DatabaseConnection, config: ServerConfig) -> Self {
        let metrics = config.metrics.then(crate::metrics::install).flatten();
        let hub = ChangeHub::start(db.clone());
        let schemas = graphql::build_schemas(
            db.clone(),
            config.sync.clone(),
            hub.clone(),
            config.webhooks,
        );
        Self {
            generation: Generation::new(db.clone()),
            persisted: PersistedQueries::new(PERSISTED_BYTES, config.persisted_only),
            documents: Documents::new(DOCUMENT_BYTES),
            executions: Arc::new(Semaphore::new(max_executions())),
            cache: config.cache_bytes.map(ResponseCache::new),
            db,
            schemas,
            config,
            exports: ExportPermits::default(),
            hub,
            sockets: Arc::new(Semaphore::new(MAX_WEBSOCKETS)),
            socket_clients: PerClient::new(MAX_WEBSOCKETS_PER_CLIENT),
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
