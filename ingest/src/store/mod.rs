//! Storing an extracted page: one transaction per page, idempotent, upserting by natural keys.
//!
//! Unchanged content (same normalized-content hash) writes nothing new. Changed content adds a
//! revision (raw bytes compressed, normalized text, content blocks and HTML, the page's kind, a
//! unified diff against the previous revision, a summary of what was added and removed) and
//! re-derives the page's facts from it. A page whose current revision was read by an older
//! extractor (no content blocks stored) has its facts re-derived from the same revision.

mod crawl;
mod facts;
pub mod listing;

pub use crawl::*;

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{PageStatus, RevisionOrigin};
use lmsdr_entity::{page_revisions, pages};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;

use facts::Deriver;
pub use facts::{ChangeSummary, Delta};
use listing::At;

use crate::extract::Document;

/// zstd level for raw page bodies: fast, and HTML compresses well at it.
const ZSTD_LEVEL: i32 = 9;

/// Why a page could not be stored. Nothing is written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The raw body could not be compressed.
    #[error("cannot compress page body: {0}")]
    Compress(#[source] std::io::Error),
}

/// One observation of a page: what was read, when and how.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The extracted page.
    pub document: &'a Document,
    /// The raw bytes as received.
    pub raw: &'a [u8],
    /// The `Content-Type` it came with.
    pub content_type: Option<&'a str>,
    /// When it was fetched or captured.
    pub fetched_at: DateTime<Utc>,
    /// The HTTP status it was served with, if fetched.
    pub http_status: Option<u16>,
    /// The `ETag` validator.
    pub etag: Option<&'a str>,
    /// The `Last-Modified` validator.
    pub last_modified: Option<&'a str>,
    /// Where the bytes came from.
    pub origin: RevisionOrigin,
    /// The sync run that fetched it.
    pub sync_run_id: Option<i32>,
}

/// Whether a page was new, changed or unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageChange {
    /// First time seen.
    New,
    /// Content differs from the latest revision.
    Changed,
    /// Same content as the latest revision.
    Unchanged,
    /// Same content, read again by a newer extractor: the facts were re-derived from the same
    /// revision.
    Rederived,
}

/// The result of storing a page.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The page's ID.
    pub page_id: i32,
    /// The new revision's ID, if one was made.
    pub revision_id: Option<i32>,
    /// New, changed or unchanged.
    pub change: PageChange,
    /// What was added and removed (empty when unchanged).
    pub summary: ChangeSummary,
}

/// Stores one observed page in a single transaction.
pub async fn store_page(
    db: &DatabaseConnection,
    obs: Observation<'_>,
) -> Result<Stored, StoreError> {
    let raw_zstd = zstd::encode_all(obs.raw, ZSTD_LEVEL).map_err(StoreError::Compress)?;
    let doc = obs.document;
    // Stored bytes read again say nothing new about the page's life on the site.
    let observed = obs.origin != RevisionOrigin::Reread;
    let txn = db.begin().await?;
    let existing = pages::Entity::find()
        .filter(pages::Column::Url.eq(&doc.url))
        .one(&txn)
        .await?;
    let previous = match &existing {
        Some(page) => {
            page_revisions::Entity::find()
                .filter(page_revisions::Column::PageId.eq(page.id))
                .order_by_desc(page_revisions::Column::Number)
                .one(&txn)
                .await?
        }
        None => None,
    };

    if let (Some(page), Some(latest)) = (&existing, &previous)
        && latest.content_hash == doc.content_hash
    {
        let page_id = page.id;
        let rederive = latest.content_blocks.is_none();
        let seen =
            observed && (obs.origin == RevisionOrigin::Sync || page.status == PageStatus::Gone);
        if rederive || seen {
            let mut row = page.clone().into_active_model();
            if seen {
                row.last_seen_at = Set(obs.fetched_at.max(page.last_seen_at));
                row.fetched_at = Set(obs.fetched_at);
                row.status = Set(PageStatus::Active);
                row.gone_at = Set(None);
                if obs.etag.is_some() || obs.last_modified.is_some() {
                    row.etag = Set(obs.etag.map(str::to_owned));
                    row.last_modified = Set(obs.last_modified.map(str::to_owned));
                }
            }
            if rederive {
                set_page_reading(&mut row, doc)?;
                row.current_revision_id = Set(Some(latest.id));
            }
            row.update(&txn).await?;
        }
        let mut summary = ChangeSummary::default();
        if rederive {
            let mut revision = latest.clone().into_active_model();
            set_revision_reading(&mut revision, doc)?;
            revision.update(&txn).await?;
            let at = At {
                page_id,
                revision_id: latest.id,
                time: obs.fetched_at,
            };
            summary = Deriver::resume(&txn, at).await?.derive(doc).await?;
        }
        txn.commit().await?;
        return Ok(Stored {
            page_id,
            revision_id: rederive.then_some(latest.id),
            change: if rederive {
                PageChange::Rederived
            } else {
                PageChange::Unchanged
            },
            summary,
        });
    }

    let change = if existing.is_some() {
        PageChange::Changed
    } else {
        PageChange::New
    };
    let stamp_text = doc.last_edited.as_ref().map(|s| s.text.clone());
    let stamp_at = doc.last_edited.as_ref().and_then(|s| s.at);
    let mut page = existing.clone().map_or_else(
        || pages::ActiveModel {
            url: Set(doc.url.clone()),
            first_seen_at: Set(obs.fetched_at),
            ..Default::default()
        },
        IntoActiveModel::into_active_model,
    );
    page.title = Set(doc.title.clone());
    page.last_edited_text = Set(stamp_text.clone());
    page.last_edited_at = Set(stamp_at);
    page.content_hash = Set(doc.content_hash.clone());
    page.disclaimer = Set(doc.disclaimer.clone());
    page.origin_note = Set(doc.origin_note.clone());
    if observed || existing.is_none() {
        page.etag = Set(obs.etag.map(str::to_owned));
        page.last_modified = Set(obs.last_modified.map(str::to_owned));
        page.status = Set(PageStatus::Active);
        page.last_seen_at = Set(obs.fetched_at);
        page.fetched_at = Set(obs.fetched_at);
        page.gone_at = Set(None);
    }
    set_page_reading(&mut page, doc)?;
    let page = if existing.is_some() {
        page.update(&txn).await?
    } else {
        page.insert(&txn).await?
    };

    let number = previous.as_ref().map_or(1, |p| p.number + 1);
    let diff = previous.as_ref().map(|p| {
        similar::TextDiff::from_lines(&p.normalized_text, &doc.main_text)
            .unified_diff()
            .context_radius(2)
            .header(
                &format!("revision {}", p.number),
                &format!("revision {number}"),
            )
            .to_string()
    });
    let mut revision = page_revisions::ActiveModel {
        page_id: Set(page.id),
        number: Set(number),
        content_hash: Set(doc.content_hash.clone()),
        last_edited_text: Set(stamp_text),
        last_edited_at: Set(stamp_at),
        fetched_at: Set(obs.fetched_at),
        http_status: Set(obs.http_status.map(i32::from)),
        sync_run_id: Set(obs.sync_run_id),
        origin: Set(obs.origin),
        content_type: Set(obs.content_type.map(str::to_owned)),
        encoding: Set(doc.encoding.clone()),
        raw_body_zstd: Set(raw_zstd),
        normalized_text: Set(doc.main_text.clone()),
        diff: Set(diff),
        summary: Set(None),
        ..Default::default()
    };
    set_revision_reading(&mut revision, doc)?;
    let revision = revision.insert(&txn).await?;
    let mut current = page.clone().into_active_model();
    current.current_revision_id = Set(Some(revision.id));
    current.update(&txn).await?;

    let at = At {
        page_id: page.id,
        revision_id: revision.id,
        time: obs.fetched_at,
    };
    let summary = Deriver::new(&txn, at).derive(doc).await?;
    let mut revision = revision.into_active_model();
    revision.summary = Set(Some(json(&summary)?));
    let revision = revision.update(&txn).await?;
    txn.commit().await?;
    Ok(Stored {
        page_id: page.id,
        revision_id: Some(revision.id),
        change,
        summary,
    })
}

/// A value as JSON for a JSON column.
fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(value).map_err(|e| DbErr::Custom(e.to_string()))
}

/// The page's fields that follow from how its current revision was read.
fn set_page_reading(page: &mut pages::ActiveModel, doc: &Document) -> Result<(), DbErr> {
    page.kind = Set(doc.kind);
    page.kind_reasons = Set(Some(json(&doc.kind_reasons)?));
    page.excerpt = Set(doc.excerpt.clone());
    Ok(())
}

/// How a revision was read: its kind, content and the extractor's notices.
fn set_revision_reading(
    revision: &mut page_revisions::ActiveModel,
    doc: &Document,
) -> Result<(), DbErr> {
    revision.kind = Set(Some(doc.kind));
    revision.kind_reasons = Set(Some(json(&doc.kind_reasons)?));
    revision.content_blocks = Set(Some(json(&doc.content.blocks)?));
    revision.notices = Set(Some(json(&doc.notices)?));
    Ok(())
}
