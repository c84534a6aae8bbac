//! `lmsdr serve [--bind HOST:PORT]`.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use lmsdr_ingest::{bundled, db};

use super::DatabaseArgs;
use crate::server::{self, AppState};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    #[command(flatten)]
    db: DatabaseArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let conn = db::connect_and_migrate(&args.db.database_url).await?;
    if let Some(stored) = bundled::load_if_empty(&conn).await? {
        tracing::info!(
            page_id = stored.page_id,
            "empty database: loaded the bundled treatments page ({})",
            bundled::TREATMENTS_URL
        );
    }
    let state = AppState::new(conn);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    tracing::info!(
        "serving the GraphQL API on http://{}/graphql and the Playground on http://{}/",
        args.bind,
        args.bind
    );
    axum::serve(listener, server::router(state))
        .with_graceful_shutdown(server::shutdown_signal())
        .await
        .context("server error")?;
    tracing::info!("shut down");
    Ok(ExitCode::SUCCESS)
}
