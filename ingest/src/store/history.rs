//! Captures older than a page's current revision — an archive replayed after a sync, a saved
//! file older than what is stored. A revision's place in history is its capture time: such a
//! capture opens and closes listing intervals in the past, up to the page's next accepted
//! capture, and never changes current facts, current page fields or `last_seen_at`. Diffs and
//! summaries are against the accepted capture just before in time, so the next capture's diff
//! and summary are rewritten against the one put before it. Revision numbers stay as given.

use chrono::{DateTime, Utc};
use lmsdr_entity::{page_revisions, pages};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};

use super::facts::{ChangeSummary, Deriver, Place};
use super::listing::At;
use super::revisions::{Inserted, insert_or_hold};
use super::{Observation, PageChange, StoreError, Stored, diff, json};
use crate::extract::Document;

/// Stores a capture older than the page's current revision.
pub(super) async fn store_past<C: ConnectionTrait>(
    txn: &C,
    page: &pages::Model,
    obs: &Observation<'_>,
    raw_zstd: Vec<u8>,
) -> Result<Stored, StoreError> {
    let doc = obs.document;
    let (before, next) = neighbours(txn, page.id, obs.fetched_at).await?;
    let Some(next) = next else {
        return Err(DbErr::Custom("a past capture has no later accepted revision".into()).into());
    };
    if let Some(before) = before
        .as_ref()
        .filter(|b| b.content_hash == doc.content_hash)
    {
        // The page read the same then as the capture before: nothing new about its history.
        return Ok(Stored {
            page_id: page.id,
            revision_id: Some(before.id),
            change: PageChange::Unchanged,
            summary: ChangeSummary::default(),
            quarantine_reason: None,
        });
    }
    let revision =
        match insert_or_hold(txn, page, obs, raw_zstd, before.as_ref(), before.as_ref()).await? {
            Inserted::Held(stored) => return Ok(stored),
            Inserted::Accepted(revision) => revision,
        };
    let summary = apply_past(txn, page, &revision, &next, doc).await?;
    Ok(Stored {
        page_id: page.id,
        revision_id: Some(revision.id),
        change: PageChange::Past,
        summary,
        quarantine_reason: None,
    })
}

/// Writes a stored revision older than the page's current one into the page's history, before
/// the accepted capture `next`: its intervals, its summary, and `next`'s diff and summary
/// against it. Returns the revision's summary.
pub(super) async fn apply_past<C: ConnectionTrait>(
    txn: &C,
    page: &pages::Model,
    revision: &page_revisions::Model,
    next: &page_revisions::Model,
    doc: &Document,
) -> Result<ChangeSummary, StoreError> {
    let at = At {
        page_id: page.id,
        revision_id: revision.id,
        time: revision.fetched_at,
    };
    let next_at = At {
        page_id: page.id,
        revision_id: next.id,
        time: next.fetched_at,
    };
    let derived = Deriver::at_place(txn, at, Place::Before(next_at))
        .derive(doc)
        .await?;
    let mut row = revision.clone().into_active_model();
    row.summary = Set(Some(json(&derived.summary)?));
    row.update(txn).await?;
    let mut next_row = next.clone().into_active_model();
    next_row.diff = Set(Some(diff(revision, &next.normalized_text, next.number)));
    next_row.summary = Set(Some(json(&derived.next_summary.unwrap_or_default())?));
    next_row.update(txn).await?;
    if revision.fetched_at < page.first_seen_at {
        let mut page = page.clone().into_active_model();
        page.first_seen_at = Set(revision.fetched_at);
        page.update(txn).await?;
    }
    Ok(derived.summary)
}

/// The page's accepted captures just before (or at) and just after a moment.
pub(super) async fn neighbours<C: ConnectionTrait>(
    db: &C,
    page_id: i32,
    at: DateTime<Utc>,
) -> Result<(Option<page_revisions::Model>, Option<page_revisions::Model>), DbErr> {
    let accepted = || {
        page_revisions::Entity::find()
            .filter(page_revisions::Column::PageId.eq(page_id))
            .filter(page_revisions::Column::Quarantined.eq(false))
    };
    let before = accepted()
        .filter(page_revisions::Column::FetchedAt.lte(at))
        .order_by_desc(page_revisions::Column::FetchedAt)
        .order_by_desc(page_revisions::Column::Id)
        .one(db)
        .await?;
    let next = accepted()
        .filter(page_revisions::Column::FetchedAt.gt(at))
        .order_by_asc(page_revisions::Column::FetchedAt)
        .order_by_asc(page_revisions::Column::Id)
        .one(db)
        .await?;
    Ok((before, next))
}
