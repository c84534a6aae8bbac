//! Which captures of an archive were fetched already, and what became of each: a capture is
//! fetched once, whether its run finished, was killed, or ran last month.

use std::collections::HashSet;

use chrono::Utc;
use lmsdr_entity::archive_captures;
use lmsdr_entity::page_revisions;
use lmsdr_entity::sea_orm_active_enums::CaptureOutcome;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use super::plan::Capture;

/// The captures of one archive already fetched.
#[derive(Debug, Default)]
pub struct Ledger {
    captures: HashSet<(String, String)>,
    mementos: HashSet<String>,
}

impl Ledger {
    /// Reads what was fetched from `archive` before: the captures recorded, and the revisions
    /// stored from it (a run killed between storing a revision and recording its capture).
    pub async fn load(db: &DatabaseConnection, archive: &str) -> Result<Self, DbErr> {
        let captures: Vec<(String, String)> = archive_captures::Entity::find()
            .select_only()
            .column(archive_captures::Column::PageUrl)
            .column(archive_captures::Column::Timestamp)
            .filter(archive_captures::Column::Archive.eq(archive))
            .into_tuple()
            .all(db)
            .await?;
        let mementos: Vec<String> = page_revisions::Entity::find()
            .select_only()
            .column(page_revisions::Column::MementoUrl)
            .filter(page_revisions::Column::MementoUrl.starts_with(archive))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self {
            captures: captures.into_iter().collect(),
            mementos: mementos.into_iter().collect(),
        })
    }

    /// Whether a capture was fetched before.
    pub fn has(&self, capture: &Capture, memento_url: &str) -> bool {
        self.captures
            .contains(&(capture.page.to_string(), capture.timestamp.clone()))
            || self.mementos.contains(memento_url)
    }
}

/// What became of one capture fetched.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The archive.
    pub archive: &'a str,
    /// The capture.
    pub capture: &'a Capture,
    /// What became of it.
    pub outcome: CaptureOutcome,
    /// Why it was not stored, when it was not.
    pub reason: Option<&'a str>,
    /// The revision it made.
    pub revision_id: Option<i32>,
    /// The run that fetched it.
    pub run_id: i32,
}

/// Records a capture fetched (once: a capture recorded before is left as it is).
pub async fn record(db: &DatabaseConnection, entry: Entry<'_>) -> Result<(), DbErr> {
    let capture = entry.capture;
    let row = archive_captures::ActiveModel {
        archive: Set(entry.archive.to_owned()),
        page_url: Set(capture.page.to_string()),
        timestamp: Set(capture.timestamp.clone()),
        original: Set(capture.original.clone()),
        captured_at: Set(capture.captured_at),
        digest: Set(capture.digest.clone()),
        outcome: Set(entry.outcome),
        reason: Set(entry.reason.map(str::to_owned)),
        revision_id: Set(entry.revision_id),
        sync_run_id: Set(Some(entry.run_id)),
        recorded_at: Set(Utc::now()),
        ..Default::default()
    };
    archive_captures::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                archive_captures::Column::Archive,
                archive_captures::Column::PageUrl,
                archive_captures::Column::Timestamp,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
