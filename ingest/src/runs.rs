//! Sync runs: one row per `lmsdr sync` or `lmsdr import`, with its counts and per-URL errors.

use std::time::{Duration, Instant};

use chrono::Utc;
use lmsdr_entity::sea_orm_active_enums::{SyncRunKind, SyncRunStatus};
use lmsdr_entity::{sync_errors, sync_runs};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, IntoActiveModel, Set};
use serde::Serialize;

use crate::lock::SyncLock;

/// How often a live run records its counts and renews its lock.
const PULSE_EVERY: Duration = Duration::from_secs(10);

/// Page counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Pages read with a body (fetched with 2xx, or imported).
    pub fetched: i32,
    /// Pages that were new or changed.
    pub changed: i32,
    /// Pages the server said had not changed (HTTP 304).
    pub not_modified: i32,
    /// Pages that failed.
    pub failed: i32,
    /// Pages whose new content was held in quarantine (read, but not applied).
    pub quarantined: i32,
    /// Linked URLs that were never pages and answer 404 or 410: the site's broken links, listed
    /// among the run's errors but no failure of the run.
    pub broken_links: i32,
    /// Same-site URLs found but left unread because the run reached its page limit: the run is
    /// partial. (Reported, not stored: the run's errors say it in words.)
    pub left_unread: i32,
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
        pages_quarantined: Set(0),
        broken_links: Set(0),
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
    row.pages_quarantined = Set(counts.quarantined);
    row.broken_links = Set(counts.broken_links);
    row.update(db).await
}

/// Ok when nothing failed, nothing was held in quarantine and nothing was left unread (broken
/// links alone are no failure), failed when nothing succeeded, partial otherwise.
pub fn status_for(counts: RunCounts) -> SyncRunStatus {
    let succeeded = counts.fetched + counts.not_modified;
    match (counts.failed, counts.quarantined, succeeded) {
        (0, 0, _) if counts.left_unread == 0 => SyncRunStatus::Ok,
        (_, _, 0) if counts.quarantined == 0 => SyncRunStatus::Failed,
        _ => SyncRunStatus::Partial,
    }
}

/// Marks runs (syncs and imports) left `running` by a process that died as aborted. Call while
/// holding the sync lock, which every writing run holds: then no other run can be live.
pub async fn abort_abandoned<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let result = sync_runs::Entity::update_many()
        .col_expr(
            sync_runs::Column::Status,
            Expr::value(SyncRunStatus::Aborted),
        )
        .col_expr(sync_runs::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(sync_runs::Column::Status.eq(SyncRunStatus::Running))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Records a heartbeat and the counts so far.
pub async fn heartbeat<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    counts: RunCounts,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    sync_runs::Entity::update_many()
        .col_expr(sync_runs::Column::HeartbeatAt, Expr::value(Utc::now()))
        .col_expr(sync_runs::Column::PagesFetched, Expr::value(counts.fetched))
        .col_expr(sync_runs::Column::PagesChanged, Expr::value(counts.changed))
        .col_expr(
            sync_runs::Column::PagesNotModified,
            Expr::value(counts.not_modified),
        )
        .col_expr(sync_runs::Column::PagesFailed, Expr::value(counts.failed))
        .col_expr(
            sync_runs::Column::PagesQuarantined,
            Expr::value(counts.quarantined),
        )
        .col_expr(
            sync_runs::Column::BrokenLinks,
            Expr::value(counts.broken_links),
        )
        .filter(sync_runs::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A live run's pulse: every [`PULSE_EVERY`], its counts so far and a renewed lock, so that the
/// run is seen alive and its lease does not expire under it.
pub struct Pulse<'l> {
    run_id: i32,
    lock: Option<&'l SyncLock>,
    last: Instant,
}

impl<'l> Pulse<'l> {
    /// The pulse of a run just started.
    pub fn new(run_id: i32, lock: Option<&'l SyncLock>) -> Self {
        Self {
            run_id,
            lock,
            last: Instant::now(),
        }
    }

    /// Records the counts and renews the lock, when the last beat is old enough; fails when the
    /// lock is no longer ours.
    pub async fn beat(&mut self, db: &DatabaseConnection, counts: RunCounts) -> Result<(), DbErr> {
        if self.last.elapsed() < PULSE_EVERY {
            return Ok(());
        }
        heartbeat(db, self.run_id, counts).await?;
        if let Some(lock) = self.lock {
            lock.renew(db).await?;
        }
        self.last = Instant::now();
        Ok(())
    }
}
