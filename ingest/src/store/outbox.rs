//! The change outbox: an event for every accepted change, written in the transaction that
//! commits the change, so that an event exists exactly when its change does — a crash between
//! the two is impossible, and a held (quarantined) revision announces nothing until a person
//! accepts it.
//!
//! Event IDs order the change feed. On PostgreSQL, where a sync and an admin's review may commit
//! at once, each event is written under a transaction-scoped advisory lock, so events commit in
//! the order of their IDs and a reader resuming after an ID never misses one committed later
//! with a smaller ID. SQLite commits one writer at a time already.

use chrono::Utc;
use lmsdr_entity::change_events;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, Set, Statement};

use super::facts::ChangeSummary;
use super::{PageChange, Stored};

/// The advisory lock key events are written under on PostgreSQL ("lmsdrEVT").
const EVENT_LOCK: i64 = 0x6c6d_7364_7245_5654;

/// What an event announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A page seen for the first time.
    New,
    /// New content on a page.
    Changed,
    /// The same content read again by a newer extractor, which changed what it states.
    Reread,
    /// A held revision a person accepted.
    Accepted,
}

impl EventKind {
    /// Its stored name (`new`, `changed`, `reread`, `accepted`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Changed => "changed",
            EventKind::Reread => "reread",
            EventKind::Accepted => "accepted",
        }
    }
}

/// The event a stored page announces: a new page, new content, or a re-read that changed what
/// the page states. A held capture, a capture of the past and a page seen again announce nothing.
pub fn announced(stored: &Stored) -> Option<EventKind> {
    match stored.change {
        PageChange::New => Some(EventKind::New),
        PageChange::Changed => Some(EventKind::Changed),
        PageChange::Rederived if stored.summary != ChangeSummary::default() => {
            Some(EventKind::Reread)
        }
        _ => None,
    }
}

/// Writes an event in the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    kind: EventKind,
    page_id: i32,
    revision_id: i32,
    sync_run_id: Option<i32>,
    summary: &ChangeSummary,
) -> Result<change_events::Model, DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [EVENT_LOCK.into()],
        ))
        .await?;
    }
    let summary = serde_json::to_value(summary).map_err(|e| DbErr::Custom(e.to_string()))?;
    change_events::ActiveModel {
        kind: Set(kind.name().to_owned()),
        page_id: Set(page_id),
        revision_id: Set(revision_id),
        sync_run_id: Set(sync_run_id),
        summary: Set(summary),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
}
