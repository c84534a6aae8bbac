//! The sync job run inside `lmsdr serve`: on a schedule (`--sync-every`, with jitter) and on
//! demand (the admin mutation `triggerSync`). The same job as `lmsdr sync`, lock included.

use std::sync::Mutex;
use std::time::Duration;

use lmsdr_ingest::sync::{self, PageReport, Progress, SyncError, SyncOptions};
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

/// A sync that can be started from inside the server.
#[derive(Clone)]
pub struct SyncJob {
    db: DatabaseConnection,
    database_url: String,
    options: SyncOptions,
}

impl std::fmt::Debug for SyncJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncJob")
            .field(
                "database_url",
                &lmsdr_ingest::db::redact(&self.database_url),
            )
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Why a sync could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Another sync holds the database.
    #[error("{0}")]
    Busy(String),
    /// It failed before recording a run.
    #[error("the sync failed to start: {0}")]
    Failed(String),
}

/// Passes the run's ID back as soon as the run is recorded.
struct Started(Mutex<Option<oneshot::Sender<i32>>>);

impl Progress for Started {
    fn started(&self, run_id: i32) {
        let sender = self.0.lock().ok().and_then(|mut s| s.take());
        if let Some(sender) = sender {
            let _ = sender.send(run_id);
        }
    }

    fn page_done(&self, report: &PageReport, done: usize, known: usize) {
        tracing::debug!(url = %report.url, done, known, "sync page");
    }
}

impl SyncJob {
    /// A job over a database (its URL is needed for the PostgreSQL lock's own session).
    pub fn new(db: DatabaseConnection, database_url: String, options: SyncOptions) -> Self {
        Self {
            db,
            database_url,
            options,
        }
    }

    /// Starts a sync in the background and returns its run ID once it is recorded.
    pub async fn start(&self) -> Result<i32, StartError> {
        let (sender, receiver) = oneshot::channel();
        let job = self.clone();
        let task = tokio::spawn(async move {
            let progress = Started(Mutex::new(Some(sender)));
            let result = sync::run(&job.db, &job.database_url, &job.options, &progress).await;
            log_outcome(&result);
            result
        });
        match receiver.await {
            Ok(run_id) => Ok(run_id),
            // The sender was dropped without a run ID: the task ended before recording a run.
            Err(_) => match task.await {
                Ok(Err(SyncError::Busy(message))) => Err(StartError::Busy(message)),
                Ok(Err(err)) => Err(StartError::Failed(err.to_string())),
                Ok(Ok(_)) => Err(StartError::Failed("no run was recorded".to_owned())),
                Err(err) => Err(StartError::Failed(err.to_string())),
            },
        }
    }

    /// Runs the job every `every`, give or take a tenth (jitter keeps replicas' timers apart).
    pub fn schedule(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let spread = every.mul_f64(0.2 * fastrand::f64());
                tokio::time::sleep(every.mul_f64(0.9).saturating_add(spread)).await;
                let progress = Started(Mutex::new(None));
                let result =
                    sync::run(&self.db, &self.database_url, &self.options, &progress).await;
                log_outcome(&result);
            }
        })
    }
}

fn log_outcome(result: &Result<sync::SyncReport, SyncError>) {
    match result {
        Ok(report) => tracing::info!(
            run_id = report.run_id,
            status = ?report.status,
            fetched = report.counts.fetched,
            changed = report.counts.changed,
            not_modified = report.counts.not_modified,
            failed = report.counts.failed,
            "sync finished"
        ),
        Err(SyncError::Busy(message)) => tracing::info!("scheduled sync skipped: {message}"),
        Err(err) => tracing::error!(error = %err, "sync failed"),
    }
}
