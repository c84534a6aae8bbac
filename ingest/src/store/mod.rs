//! Storing an extracted page: one transaction per page, idempotent, upserting by natural keys.
//!
//! Unchanged content (same normalized-content hash) writes nothing new. Changed content adds a
//! revision (raw bytes compressed, normalized text, content blocks and HTML, the page's kind, a
//! unified diff against the previous revision, a summary of what was added and removed) and
//! re-derives the page's facts from it. A page whose current revision was read by an older
//! extractor (no content blocks stored) has its facts re-derived from the same revision.

mod aliases;
mod crawl;
mod facts;
mod history;
pub mod keys;
pub mod listing;
pub mod outbox;
pub mod review;
mod revisions;
pub mod versions;

pub use aliases::{aliased_page, known_aliases, record_pointers};
pub use crawl::*;

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{PageStatus, RevisionOrigin, RevisionReview};
use lmsdr_entity::{page_revisions, pages};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, IntoActiveModel, Set,
    TransactionTrait,
};
use serde::Serialize;

use aliases::Home;
use facts::Deriver;
pub use facts::{ChangeSummary, Delta, Derived, Place};
use listing::At;
use revisions::{
    Inserted, current_revision, diff, insert_or_hold, insert_revision, latest_capture, new_revision,
};

use crate::extract::{Document, READER_VERSION};

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
    /// The web archive's URL of the capture it came from.
    pub memento_url: Option<&'a str>,
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
    /// Content that would wipe or gut what the page states: kept as a quarantined revision,
    /// applied to nothing until a person accepts it.
    Quarantined,
    /// A capture older than the page's current revision: written into the page's history only.
    Past,
    /// Another URL of a stored page, serving its content: recorded as the page's alias
    /// ([`aliases`]), nothing else stored.
    Alias,
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
    /// Why the new content is held in quarantine, when it is.
    pub quarantine_reason: Option<String>,
}

/// Stores one observed page in a single transaction.
///
/// Where the capture stands in the page's history decides what it may change. A capture older
/// than the page's current revision is history only ([`history`]). A newer one is compared with
/// the current revision: the same content writes nothing (the page is seen again); content that
/// would wipe or gut what the page states is kept as a quarantined revision that applies
/// nothing ([`review`]); other content becomes the page's current revision and its facts are
/// re-derived. A change that applies writes its event to the [`outbox`] in the same transaction.
pub async fn store_page(
    db: &DatabaseConnection,
    obs: Observation<'_>,
) -> Result<Stored, StoreError> {
    let raw_zstd = zstd::encode_all(obs.raw, ZSTD_LEVEL).map_err(StoreError::Compress)?;
    let txn = db.begin().await?;
    let stored = match aliases::home(&txn, &obs).await? {
        Home::New => store_first(&txn, &obs, raw_zstd).await?,
        Home::Alias(stored) => stored,
        Home::Page(page) => match current_revision(&txn, &page).await? {
            Some(current) if obs.fetched_at < current.fetched_at => {
                history::store_past(&txn, &page, &obs, raw_zstd).await?
            }
            current => store_newest(&txn, page, current, &obs, raw_zstd).await?,
        },
    };
    if let (Some(kind), Some(revision_id)) = (outbox::announced(&stored), stored.revision_id) {
        let (page, run) = (stored.page_id, obs.sync_run_id);
        outbox::record(&txn, kind, page, revision_id, run, &stored.summary).await?;
    }
    txn.commit().await?;
    Ok(stored)
}

/// A page seen for the first time.
async fn store_first<C: ConnectionTrait>(
    txn: &C,
    obs: &Observation<'_>,
    raw_zstd: Vec<u8>,
) -> Result<Stored, StoreError> {
    let mut page = pages::ActiveModel {
        url: Set(obs.document.url.clone()),
        first_seen_at: Set(obs.fetched_at),
        last_seen_at: Set(obs.fetched_at),
        fetched_at: Set(obs.fetched_at),
        status: Set(PageStatus::Active),
        ..Default::default()
    };
    set_page_stated(&mut page, obs.document)?;
    set_page_observed(&mut page, obs);
    let page = page.insert(txn).await?;
    let revision = new_revision(obs, raw_zstd, 1, None)?;
    let revision = insert_revision(txn, page.id, revision).await?;
    let summary = apply_newest(txn, page.clone(), &revision, obs.document, None).await?;
    Ok(Stored::applied(&page, &revision, PageChange::New, summary))
}

/// A capture at least as new as the page's current revision.
async fn store_newest<C: ConnectionTrait>(
    txn: &C,
    page: pages::Model,
    current: Option<page_revisions::Model>,
    obs: &Observation<'_>,
    raw_zstd: Vec<u8>,
) -> Result<Stored, StoreError> {
    let doc = obs.document;
    let latest = latest_capture(txn, page.id).await?;
    let held = latest
        .as_ref()
        .filter(|latest| latest.quarantined && latest.review != Some(RevisionReview::Accepted));
    let same_as_current = current
        .as_ref()
        .is_some_and(|current| current.content_hash == doc.content_hash);
    if let Some(current) = current.as_ref().filter(|_| same_as_current) {
        let pending = held.is_some_and(|held| held.review.is_none());
        if !pending || obs.origin == RevisionOrigin::Reread {
            return seen_again(txn, &page, current, obs).await;
        }
        // Back to normal after a held capture: a capture of its own, so that the history shows
        // when the page returned (its facts stay listed throughout).
    } else if let Some(held) = held.filter(|held| held.content_hash == doc.content_hash) {
        // The same suspicious content again: still held. Repetition never accepts it.
        return Ok(Stored {
            page_id: page.id,
            revision_id: Some(held.id),
            change: PageChange::Quarantined,
            summary: ChangeSummary::default(),
            quarantine_reason: held.quarantine_reason.clone(),
        });
    }
    // Stored bytes read again by today's extractor are the page as it was: what they state now
    // is a correction of how it was read, not a change on the site to hold back.
    let compared = current
        .as_ref()
        .filter(|_| !same_as_current && obs.origin != RevisionOrigin::Reread);
    let revision =
        match insert_or_hold(txn, &page, obs, raw_zstd, current.as_ref(), compared).await? {
            Inserted::Held(stored) => return Ok(stored),
            Inserted::Accepted(revision) => revision,
        };
    let summary = apply_newest(txn, page.clone(), &revision, doc, Some(obs)).await?;
    Ok(Stored::applied(
        &page,
        &revision,
        PageChange::Changed,
        summary,
    ))
}

impl Stored {
    /// A revision that was applied.
    fn applied(
        page: &pages::Model,
        revision: &page_revisions::Model,
        change: PageChange,
        summary: ChangeSummary,
    ) -> Self {
        Self {
            page_id: page.id,
            revision_id: Some(revision.id),
            change,
            summary,
            quarantine_reason: None,
        }
    }
}

/// Makes a stored revision the page's current one, as of its capture time: the page's fields
/// follow it (and, when it was just observed, the page's life on the site), its facts are
/// derived, and the quarantined revisions still waiting before it are superseded. Returns what
/// it added and removed, also stored as the revision's summary.
pub(crate) async fn apply_newest<C: ConnectionTrait>(
    txn: &C,
    page: pages::Model,
    revision: &page_revisions::Model,
    doc: &Document,
    observed: Option<&Observation<'_>>,
) -> Result<ChangeSummary, StoreError> {
    let page_id = page.id;
    let mut row = page.into_active_model();
    set_page_stated(&mut row, doc)?;
    if let Some(obs) = observed {
        set_page_observed(&mut row, obs);
    }
    row.current_revision_id = Set(Some(revision.id));
    row.update(txn).await?;
    review::supersede_pending(txn, page_id, revision.fetched_at).await?;
    let at = At {
        page_id,
        revision_id: revision.id,
        time: revision.fetched_at,
    };
    let summary = Deriver::new(txn, at).derive(doc).await?.summary;
    let mut revision = revision.clone().into_active_model();
    revision.summary = Set(Some(json(&summary)?));
    revision.update(txn).await?;
    Ok(summary)
}

/// The page's accepted content seen again: it is still there; a revision read by an older
/// extractor has its facts re-derived from it.
async fn seen_again<C: ConnectionTrait>(
    txn: &C,
    page: &pages::Model,
    current: &page_revisions::Model,
    obs: &Observation<'_>,
) -> Result<Stored, StoreError> {
    let doc = obs.document;
    let observed = obs.origin != RevisionOrigin::Reread;
    let rederive = read_by_older_rules(current);
    let seen = observed && (obs.origin == RevisionOrigin::Sync || page.status == PageStatus::Gone);
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
            row.current_revision_id = Set(Some(current.id));
        }
        row.update(txn).await?;
    }
    let mut summary = ChangeSummary::default();
    if rederive {
        let mut revision = current.clone().into_active_model();
        set_revision_reading(&mut revision, doc)?;
        revision.update(txn).await?;
        let at = At {
            page_id: page.id,
            revision_id: current.id,
            time: obs.fetched_at,
        };
        summary = Deriver::resume(txn, at).await?.derive(doc).await?.summary;
    }
    Ok(Stored {
        page_id: page.id,
        revision_id: rederive.then_some(current.id),
        change: if rederive {
            PageChange::Rederived
        } else {
            PageChange::Unchanged
        },
        summary,
        quarantine_reason: None,
    })
}

/// The page's fields its current revision states.
fn set_page_stated(page: &mut pages::ActiveModel, doc: &Document) -> Result<(), DbErr> {
    page.title = Set(doc.title.clone());
    page.last_edited_text = Set(doc.last_edited.as_ref().map(|s| s.text.clone()));
    page.last_edited_at = Set(doc.last_edited.as_ref().and_then(|s| s.at));
    page.content_hash = Set(doc.content_hash.clone());
    page.disclaimer = Set(doc.disclaimer.clone());
    page.origin_note = Set(doc.origin_note.clone());
    set_page_reading(page, doc)
}

/// The page's life on the site, from a capture just observed. Stored bytes read again say
/// nothing new about it.
fn set_page_observed(page: &mut pages::ActiveModel, obs: &Observation<'_>) {
    if obs.origin == RevisionOrigin::Reread {
        return;
    }
    page.etag = Set(obs.etag.map(str::to_owned));
    page.last_modified = Set(obs.last_modified.map(str::to_owned));
    page.status = Set(PageStatus::Active);
    page.last_seen_at = Set(obs.fetched_at);
    page.fetched_at = Set(obs.fetched_at);
    page.gone_at = Set(None);
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
/// Whether a revision was read by an older version of the extraction rules than this one (or
/// before its reading was stored at all).
pub fn read_by_older_rules(revision: &page_revisions::Model) -> bool {
    revision.content_blocks.is_none() || revision.read_by.is_none_or(|v| v < READER_VERSION)
}

fn set_revision_reading(
    revision: &mut page_revisions::ActiveModel,
    doc: &Document,
) -> Result<(), DbErr> {
    revision.kind = Set(Some(doc.kind));
    revision.kind_reasons = Set(Some(json(&doc.kind_reasons)?));
    revision.content_blocks = Set(Some(json(&doc.content.blocks)?));
    revision.notices = Set(Some(json(&doc.notices)?));
    revision.read_by = Set(Some(READER_VERSION));
    Ok(())
}
