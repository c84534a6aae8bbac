//! Liveness and readiness probes, and the shutdown signal.

use std::time::Duration;

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use lmsdr_migration::{Migrator, MigratorTrait};

/// How long `/readyz` waits for a database connection (probes time out after a few seconds).
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and no migration is pending.
pub(super) async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // A pool retries a refused connection for its whole acquire timeout; a readiness probe
    // wants its answer sooner than that.
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
        }
        Err(_) => {
            tracing::warn!("readiness: no database connection within {READY_TIMEOUT:?}");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
        }
    }
    match Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: cannot read migrations");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot read migration status",
            )
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so that in-flight requests finish before exit.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
