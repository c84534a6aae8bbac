//! Sync runs: one row per `lmsdr sync` or `lmsdr import`, with its counts and per-URL errors.

use chrono::Utc;
use lmsdr_entity::sea_orm_active_enums::{SyncRunKind, SyncRunStatus};
use lmsdr_entity::{sync_errors, sync_runs};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, IntoActiveModel, Set};
use serde::Serialize;

/// Page counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    /// Pages read (fetched or imported).
    pub fetched: i32,
    /// Pages that were new or changed.
    pub changed: i32,
    /// Pages the server said had not changed (HTTP 304).
    pub not_modified: i32,
    /// Pages that failed.
    pub failed: i32,
}

/// Opens a run.
pub async fn start<C: ConnectionTrait>(
    db: &C,
    kind: SyncRunKind,
    source: &str,
    dry_run: bool,
) -> Result<sync_runs::Model, DbErr> {
    let now = Utc::now();
    sync_runs::ActiveModel {
        kind: Set(kind),
        source: Set(source.to_owned()),
        status: Set(SyncRunStatus::Running),
        dry_run: Set(dry_run),
        started_at: Set(now),
        finished_at: Set(None),
        heartbeat_at: Set(Some(now)),
        pages_fetched: Set(0),
        pages_changed: Set(0),
        pages_not_modified: Set(0),
        pages_failed: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Records why one URL failed.
pub async fn record_error<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    url: &str,
    reason: &str,
) -> Result<(), DbErr> {
    sync_errors::ActiveModel {
        sync_run_id: Set(run_id),
        url: Set(url.to_owned()),
        reason: Set(reason.to_owned()),
        occurred_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Closes a run with its counts; the status follows from them.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    run: sync_runs::Model,
    counts: RunCounts,
) -> Result<sync_runs::Model, DbErr> {
    let status = status_for(counts);
    let mut row = run.into_active_model();
    row.status = Set(status);
    row.finished_at = Set(Some(Utc::now()));
    row.pages_fetched = Set(counts.fetched);
    row.pages_changed = Set(counts.changed);
    row.pages_not_modified = Set(counts.not_modified);
    row.pages_failed = Set(counts.failed);
    row.update(db).await
}

/// Ok when nothing failed, failed when nothing succeeded, partial otherwise.
pub fn status_for(counts: RunCounts) -> SyncRunStatus {
    let succeeded = counts.fetched + counts.not_modified - counts.failed;
    match (counts.failed, succeeded) {
        (0, _) => SyncRunStatus::Ok,
        (_, s) if s <= 0 => SyncRunStatus::Failed,
        _ => SyncRunStatus::Partial,
    }
}
