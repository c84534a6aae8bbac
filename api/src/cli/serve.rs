//! `lmsdr serve [--bind HOST:PORT]`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lmsdr_ingest::sync::{DEFAULT_SOURCE, SyncOptions};
use lmsdr_ingest::{bundled, db};
use url::Url;

use super::DatabaseArgs;

use crate::jobs::SyncJob;
use crate::server::{self, AppState, ConnectionLimits, CorsOrigins, ServerConfig};
use crate::webhooks::{Dispatcher, WebhookSettings};

/// A feature turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// The admin token as given: printed redacted.
#[derive(Clone)]
struct Token(String);

impl std::str::FromStr for Token {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LMSDR_BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    /// Bearer token that admin mutations require; without it, mutations are off.
    #[arg(long, env = "LMSDR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<Token>,
    /// Origins allowed to call the API from a browser (CORS), comma-separated
    /// (`https://host[:port]`), or `*` for any.
    #[arg(
        long = "cors-origin",
        env = "LMSDR_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Run a sync in-process this often (e.g. `6h`, `30m`), with jitter.
    #[arg(long, env = "LMSDR_SYNC_EVERY", value_parser = humantime::parse_duration)]
    sync_every: Option<Duration>,
    /// The site syncs (scheduled or `triggerSync`) crawl.
    #[arg(long, env = "LMSDR_SYNC_SOURCE", default_value = DEFAULT_SOURCE)]
    sync_source: Url,
    /// Prometheus metrics at `/metrics`: `on` or `off`.
    #[arg(long, env = "LMSDR_METRICS", value_enum, default_value_t = Switch::On)]
    metrics: Switch,
    /// GraphQL operation names kept as metric labels, comma-separated; others count as
    /// `other`. Without it, the first 100 names seen are kept, which any client can fill.
    #[arg(
        long = "metrics-operations",
        env = "LMSDR_METRICS_OPERATIONS",
        value_delimiter = ','
    )]
    metrics_operations: Vec<String>,
    /// Allow webhooks to loopback and private addresses (for partners on the same network).
    #[arg(long, env = "LMSDR_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
    /// How long one webhook delivery attempt may take (e.g. `10s`).
    #[arg(long, env = "LMSDR_WEBHOOK_TIMEOUT", value_parser = humantime::parse_duration, default_value = "10s")]
    webhook_timeout: Duration,
    /// The response cache: `on` or `off`.
    #[arg(long, env = "LMSDR_CACHE", value_enum, default_value_t = Switch::On)]
    cache: Switch,
    /// Most the response cache holds, in MiB.
    #[arg(long, env = "LMSDR_CACHE_SIZE", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    cache_size: u64,
    /// Run only persisted queries (APQ) for callers without the admin token, and
    /// introspection; only the admin persists new ones.
    #[arg(long, env = "LMSDR_PERSISTED_ONLY")]
    persisted_only: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let cors_origins = CorsOrigins::parse(&args.cors_origins)?;
    crate::metrics::label_only(
        args.metrics_operations
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty()),
    );
    let mut conn = db::connect_and_migrate(&args.db.database_url).await?;
    if args.metrics == Switch::On {
        conn.set_metric_callback(|_| crate::metrics::db_statement());
    }
    if let Some(stored) = bundled::load_if_empty(&conn).await? {
        tracing::info!(
            page_id = stored.page_id,
            "empty database: loaded the bundled treatments page ({})",
            bundled::TREATMENTS_URL
        );
    }
    // Pages stored by an older lmsdr are read again, so that they state what today's rules allow.
    lmsdr_ingest::pipeline::reread_stale(&conn).await?;
    let admin_token = args
        .admin_token
        .map(|t| t.0)
        .filter(|t| !t.trim().is_empty());
    if admin_token.is_none() {
        tracing::info!("no LMSDR_ADMIN_TOKEN: mutations are disabled");
    }
    let sync = SyncJob::new(
        conn.clone(),
        args.db.database_url.clone(),
        SyncOptions::new(args.sync_source),
    );
    if let Some(every) = args.sync_every {
        tracing::info!(every = %humantime::format_duration(every), "scheduled syncs on");
        sync.clone().schedule(every);
    }
    let webhooks = WebhookSettings {
        allow_private: args.webhook_allow_private,
        timeout: args.webhook_timeout,
    };
    Dispatcher::new(conn.clone(), webhooks)
        .context("cannot build the webhook client")?
        .start();
    let state = AppState::new(
        conn,
        ServerConfig {
            admin_token,
            cors_origins,
            sync: Some(sync),
            metrics: args.metrics == Switch::On,
            webhooks,
            cache_bytes: (args.cache == Switch::On).then_some(args.cache_size * 1024 * 1024),
            persisted_only: args.persisted_only,
            connections: ConnectionLimits::default(),
        },
    );
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    tracing::info!(
        "serving the GraphQL API on http://{}/graphql and the Playground on http://{}/",
        args.bind,
        args.bind
    );
    server::serve(listener, state, server::shutdown_signal())
        .await
        .context("server error")?;
    tracing::info!("shut down");
    Ok(ExitCode::SUCCESS)
}
