//! A page's revisions — what it said at each moment — and the provenance every fact points to.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::NaiveDateTime;
use lmsdr_entity::provenance;

use super::budget;
use super::content::{self, PageContent};
use super::context::{load_one, loaders};
use super::enums::{PageKind, RevisionOrigin, RevisionReview};
use super::error::Result;
use super::ids::{NodeType, encode};
use super::limits;
use super::loaders::RevisionRow;
use super::page::Page;
use super::scalars::Timestamp;
use super::summary::RevisionSummary;

/// One revision of a page: what it said at one moment.
#[derive(Debug, Clone)]
pub struct Revision(pub RevisionRow);

/// One revision of a page: what it said at one moment, and how lmsdr read it.
#[Object]
impl Revision {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Revision, self.0.id)
    }
    /// 1 for the first revision lmsdr stored, then 2, 3 … in the order stored (an archive
    /// replayed later gets higher numbers for older captures); never changes once given.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// The "Last Edited" stamp of this revision, without a zone.
    async fn last_edited(&self) -> Option<NaiveDateTime> {
        self.0.last_edited_at
    }
    /// The stamp as written.
    async fn last_edited_text(&self) -> Option<&str> {
        self.0.last_edited_text.as_deref()
    }
    /// When it was captured — its place in the page's history: the fetch time, the web archive
    /// record's date, or the saved file's modification time (see `origin`).
    async fn fetched_at(&self) -> Timestamp {
        Timestamp(self.0.fetched_at)
    }
    /// SHA-256 of its normalized main content.
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }
    /// HTTP status it was served with, when fetched.
    async fn http_status(&self) -> Option<i32> {
        self.0.http_status
    }
    /// Where its bytes came from.
    async fn origin(&self) -> RevisionOrigin {
        self.0.origin.into()
    }
    /// The web archive's page for the capture it came from (`{archive}/web/{timestamp}/{url}`),
    /// for a revision `lmsdr backfill` read from an archive; null for live fetches and files.
    async fn memento_url(&self) -> Option<&str> {
        self.0.memento_url.as_deref()
    }
    /// Whether it is held in quarantine: stored, but applying nothing, because it would wipe or
    /// gut what the page states (a maintenance page, a page cut short, a "moved" notice). False
    /// once an admin accepts it. Held revisions are visible only with the admin token.
    async fn quarantined(&self) -> bool {
        self.0.quarantined
    }
    /// Why it was held in quarantine.
    async fn quarantine_reason(&self) -> Option<&str> {
        self.0.quarantine_reason.as_deref()
    }
    /// What became of it, if it was held: none while it waits for an admin.
    async fn review(&self) -> Option<RevisionReview> {
        self.0.review.map(Into::into)
    }
    /// When it was accepted, rejected or superseded.
    async fn reviewed_at(&self) -> Option<Timestamp> {
        self.0.reviewed_at.map(Timestamp)
    }
    /// Unified diff of the normalized text against the accepted capture just before it in time
    /// (none for the earliest).
    #[graphql(complexity = "limits::BIG_FIELD")]
    async fn diff(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let diff = load_one(&loaders(ctx)?.diff, self.0.id).await?;
        budget::charge(ctx, diff.as_ref().map_or(0, String::len))?;
        Ok(diff)
    }
    /// What this revision added and removed against the accepted capture just before it in time.
    async fn summary(&self) -> Option<RevisionSummary> {
        self.0
            .summary
            .as_ref()
            .and_then(RevisionSummary::from_stored)
    }
    /// What the page said then: its text, sanitized HTML and blocks.
    async fn content(&self, ctx: &Context<'_>) -> Result<Option<PageContent>> {
        content::of_revision(ctx, self.0.id).await
    }
    /// The kind of page it was read as.
    async fn kind(&self, ctx: &Context<'_>) -> Result<Option<PageKind>> {
        Ok(content::reading(ctx, self.0.id)
            .await?
            .and_then(|r| r.kind)
            .map(PageKind::from))
    }
    /// What the extractor reported for a person to look at, such as a possible treatment listing
    /// it did not read as one.
    async fn notices(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(content::reading(ctx, self.0.id)
            .await?
            .and_then(|r| r.notices)
            .and_then(|n| serde_json::from_value(n).ok())
            .unwrap_or_default())
    }
    /// The page.
    async fn page(&self, ctx: &Context<'_>) -> Result<Option<Page>> {
        Ok(load_one(&loaders(ctx)?.page, self.0.page_id)
            .await?
            .map(Page))
    }
}

/// Where a fact came from: the page, the revision, and the exact sentence or list item.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Provenance {
    /// The exact source sentence or list item.
    pub excerpt: String,
    /// The part of the page it stands in (a category name, "drugs", "mentions" …).
    pub section: Option<String>,
    #[graphql(skip)]
    pub page_id: i32,
    #[graphql(skip)]
    pub revision_id: i32,
}

impl From<provenance::Model> for Provenance {
    fn from(row: provenance::Model) -> Self {
        Self {
            excerpt: row.excerpt,
            section: row.section,
            page_id: row.page_id,
            revision_id: row.revision_id,
        }
    }
}

#[ComplexObject]
impl Provenance {
    /// The page.
    async fn page(&self, ctx: &Context<'_>) -> Result<Option<Page>> {
        Ok(load_one(&loaders(ctx)?.page, self.page_id).await?.map(Page))
    }
    /// The revision that states it.
    async fn revision(&self, ctx: &Context<'_>) -> Result<Option<Revision>> {
        Ok(load_one(&loaders(ctx)?.revision, self.revision_id)
            .await?
            .map(Revision))
    }
}

/// Loads a fact's provenance.
pub async fn source(ctx: &Context<'_>, provenance_id: i32) -> Result<Option<Provenance>> {
    Ok(load_one(&loaders(ctx)?.provenance, provenance_id)
        .await?
        .map(Provenance::from))
}
