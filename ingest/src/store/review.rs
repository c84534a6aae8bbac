//! Quarantine: before a new revision changes any fact, it is compared with the page's current
//! accepted revision. A revision that would wipe or gut what the page states — a maintenance
//! page served with 200, a page cut short mid-list, a "moved to …" notice — is stored, visible,
//! with a reason, but applies nothing: no fact is delisted, no interval closed, no page field
//! changed. It holds until the page returns to normal (the next good revision applies as usual)
//! or a person accepts it (applied as of when it was fetched) or rejects it.
//!
//! The thresholds, chosen so that removing one or two items or adding a drug is a normal edit:
//! - a page read as a treatment listing that no longer reads as one;
//! - a section the page lists as a treatment category that is still on the page but could not be
//!   read as treatments (an extractor that cannot read a section must not delist what it held);
//! - a page listing at least [`TREATMENTS_AT_STAKE`] treatments that would keep fewer than half;
//! - a page of at least [`TEXT_AT_STAKE`] characters whose text would shrink below
//!   [`KEEP_TEXT_SHARE`] of it;
//! - a page of at least [`BLOCKS_AT_STAKE`] blocks whose content would collapse to
//!   [`COLLAPSED_BLOCKS`] or fewer.

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, PageKind, RevisionReview};
use lmsdr_entity::{fact_listings, page_revisions, pages, treatment_categories};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Set, TransactionTrait,
};

use super::listing::open_at;
use super::outbox::{self, EventKind};
use super::{StoreError, history};
use crate::extract::Document;

/// Treatments a page must list for the loss of most of them to count.
pub const TREATMENTS_AT_STAKE: u64 = 5;
/// The share of its treatments a revision must keep.
pub const KEEP_TREATMENTS_SHARE: f64 = 0.5;
/// Characters a page's text must have for its shrinking to count.
pub const TEXT_AT_STAKE: usize = 500;
/// The share of its text a revision must keep.
pub const KEEP_TEXT_SHARE: f64 = 0.4;
/// Blocks a page must have for the collapse of its content to count.
pub const BLOCKS_AT_STAKE: usize = 8;
/// Blocks or fewer that make a collapse.
pub const COLLAPSED_BLOCKS: usize = 3;

/// What the page's current accepted revision states, to compare a new one with.
#[derive(Debug, Clone)]
pub(super) struct Standing {
    kind: PageKind,
    text_chars: usize,
    blocks: Option<usize>,
    treatments: u64,
    /// The slugs of the treatment categories the page lists.
    categories: Vec<String>,
}

/// Reads what an accepted revision states: its text and blocks, and the treatments its page
/// listed at its capture time.
pub(super) async fn standing<C: ConnectionTrait>(
    db: &C,
    page_kind: PageKind,
    current: &page_revisions::Model,
) -> Result<Standing, DbErr> {
    let at = current.fetched_at;
    let listed = |kind: FactKind| {
        fact_listings::Entity::find()
            .filter(fact_listings::Column::PageId.eq(current.page_id))
            .filter(fact_listings::Column::FactKind.eq(kind))
            .filter(open_at(at))
    };
    let treatments = listed(FactKind::Treatment).count(db).await?;
    let categories = treatment_categories::Entity::find()
        .select_only()
        .column(treatment_categories::Column::Slug)
        .filter(
            treatment_categories::Column::Id.in_subquery(
                listed(FactKind::Category)
                    .select_only()
                    .column(fact_listings::Column::FactId)
                    .into_query(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(Standing {
        kind: current.kind.unwrap_or(page_kind),
        text_chars: current.normalized_text.chars().count(),
        blocks: current
            .content_blocks
            .as_ref()
            .and_then(|b| b.as_array())
            .map(Vec::len),
        treatments,
        categories,
    })
}

/// Why a new revision must not apply before a person looks at it, if it must not.
pub(super) fn suspicion(standing: &Standing, doc: &Document) -> Option<String> {
    if standing.kind == PageKind::TreatmentListing && doc.kind != PageKind::TreatmentListing {
        return Some(format!(
            "the page no longer reads as a treatment listing (it reads as {:?}: {})",
            doc.kind,
            doc.kind_reasons.join("; ")
        ));
    }
    let unread: Vec<&str> = doc
        .left_out_categories
        .iter()
        .filter(|slug| standing.categories.contains(slug))
        .map(String::as_str)
        .collect();
    if !unread.is_empty() {
        return Some(format!(
            "section(s) the page lists now could not be read as treatments in this revision ({}); nothing is delisted until a person looks: {}",
            unread.join(", "),
            doc.notices.join("; ")
        ));
    }
    let treatments: usize = doc.categories.iter().map(|c| c.treatments.len()).sum();
    if standing.treatments >= TREATMENTS_AT_STAKE
        && (treatments as f64) < standing.treatments as f64 * KEEP_TREATMENTS_SHARE
    {
        return Some(format!(
            "the page would list {treatments} of the {} treatments it lists now",
            standing.treatments
        ));
    }
    let chars = doc.main_text.chars().count();
    if standing.text_chars >= TEXT_AT_STAKE
        && (chars as f64) < standing.text_chars as f64 * KEEP_TEXT_SHARE
    {
        return Some(format!(
            "the page's text would shrink from {} to {chars} characters",
            standing.text_chars
        ));
    }
    if let Some(blocks) = standing.blocks
        && blocks >= BLOCKS_AT_STAKE
        && doc.content.blocks.len() <= COLLAPSED_BLOCKS
    {
        return Some(format!(
            "the page's content would collapse from {blocks} blocks to {}",
            doc.content.blocks.len()
        ));
    }
    None
}

/// Marks the page's quarantined revisions still waiting for a person as superseded: a later
/// revision applied, or the page returned to what it was.
pub(super) async fn supersede_pending<C: ConnectionTrait>(
    db: &C,
    page_id: i32,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    page_revisions::Entity::update_many()
        .col_expr(
            page_revisions::Column::Review,
            Expr::value(RevisionReview::Superseded),
        )
        .col_expr(page_revisions::Column::ReviewedAt, Expr::value(at))
        .filter(page_revisions::Column::PageId.eq(page_id))
        .filter(page_revisions::Column::Quarantined.eq(true))
        .filter(page_revisions::Column::Review.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Why a person's decision about a revision could not be recorded. Nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No such revision.
    #[error("there is no revision {0}")]
    NotFound(i32),
    /// The revision applies already, or was never held.
    #[error("revision {0} is not held in quarantine")]
    NotHeld(i32),
    /// The revision was rejected: it is out of consideration.
    #[error("revision {0} was rejected and cannot be accepted")]
    Rejected(i32),
    /// The revision could not be applied.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ReviewError {
    fn from(err: DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Accepts a quarantined revision on purpose, applying it as if it had been accepted when it
/// was fetched: as the page's current revision when no accepted capture is newer, otherwise into
/// the page's history before the next one. `doc` is the revision's stored bytes read again.
pub async fn accept(
    db: &DatabaseConnection,
    revision_id: i32,
    doc: &Document,
    now: DateTime<Utc>,
) -> Result<page_revisions::Model, ReviewError> {
    let txn = db.begin().await?;
    let revision = held(&txn, revision_id).await?;
    if revision.review == Some(RevisionReview::Rejected) {
        return Err(ReviewError::Rejected(revision_id));
    }
    let page = pages::Entity::find_by_id(revision.page_id)
        .one(&txn)
        .await?
        .ok_or(ReviewError::NotFound(revision_id))?;
    let (_, next) = history::neighbours(&txn, page.id, revision.fetched_at).await?;
    let mut row = revision.into_active_model();
    row.quarantined = Set(false);
    row.review = Set(Some(RevisionReview::Accepted));
    row.reviewed_at = Set(Some(now));
    let revision = row.update(&txn).await?;
    let page_id = page.id;
    let summary = match next {
        Some(next) => history::apply_past(&txn, &page, &revision, &next, doc).await?,
        None => super::apply_newest(&txn, page, &revision, doc, None).await?,
    };
    outbox::record(
        &txn,
        EventKind::Accepted,
        page_id,
        revision_id,
        None,
        &summary,
    )
    .await?;
    let revision = page_revisions::Entity::find_by_id(revision_id)
        .one(&txn)
        .await?
        .ok_or(ReviewError::NotFound(revision_id))?;
    txn.commit().await?;
    Ok(revision)
}

/// Rejects a quarantined revision: it stays in the history, held, and is out of consideration.
/// Rejecting one already rejected changes nothing.
pub async fn reject(
    db: &DatabaseConnection,
    revision_id: i32,
    now: DateTime<Utc>,
) -> Result<page_revisions::Model, ReviewError> {
    let revision = held(db, revision_id).await?;
    if revision.review == Some(RevisionReview::Rejected) {
        return Ok(revision);
    }
    let mut row = revision.into_active_model();
    row.review = Set(Some(RevisionReview::Rejected));
    row.reviewed_at = Set(Some(now));
    Ok(row.update(db).await?)
}

/// A revision held in quarantine.
async fn held<C: ConnectionTrait>(
    db: &C,
    revision_id: i32,
) -> Result<page_revisions::Model, ReviewError> {
    let revision = page_revisions::Entity::find_by_id(revision_id)
        .one(db)
        .await?
        .ok_or(ReviewError::NotFound(revision_id))?;
    if !revision.quarantined {
        return Err(ReviewError::NotHeld(revision_id));
    }
    Ok(revision)
}
