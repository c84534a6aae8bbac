//! The change feed: every accepted change a sync, an import or a review committed, oldest first,
//! resumable from a cursor (the same cursor `GET /export/changes?after=` takes).

use async_graphql::{Context, Enum, Object};

use lmsdr_entity::change_events;
use sea_orm::{EntityTrait, IntoSimpleExpr};

use super::context::{db, load_one, loaders};
use super::error::{Result, internal};
use super::limits;
use super::page::Page;
use super::pagination::{self, Args, ChangeConnection, Keyset};
use super::revision::Revision;
use super::scalars::Timestamp;
use super::summary::RevisionSummary;
use super::sync_run::SyncRun;

/// What kind of change an event announces.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A page seen for the first time.
    New,
    /// New content on a page.
    Changed,
    /// The same content read again by a newer extractor, which changed what it states.
    Reread,
    /// A held revision a person accepted.
    Accepted,
}

impl ChangeKind {
    fn of(stored: &str) -> Self {
        match stored {
            "new" => ChangeKind::New,
            "reread" => ChangeKind::Reread,
            "accepted" => ChangeKind::Accepted,
            _ => ChangeKind::Changed,
        }
    }
}

/// One page's accepted change, as stored in the outbox.
#[derive(Debug, Clone)]
pub struct PageChange(pub change_events::Model);

/// One page's accepted change: the page, the revision that made it, and what it added and
/// removed.
#[Object]
impl PageChange {
    /// The page.
    async fn page(&self, ctx: &Context<'_>) -> Result<Page> {
        // Every event names a stored page (a foreign key); pages are never deleted.
        load_one(&loaders(ctx)?.page, self.0.page_id)
            .await?
            .map(Page)
            .ok_or_else(|| internal(format!("change event {} names no page", self.0.id)))
    }
    /// The revision that made the change.
    async fn revision(&self, ctx: &Context<'_>) -> Result<Option<Revision>> {
        Ok(load_one(&loaders(ctx)?.revision, self.0.revision_id)
            .await?
            .map(Revision))
    }
    /// What kind of change it is.
    async fn kind(&self) -> ChangeKind {
        ChangeKind::of(&self.0.kind)
    }
    /// The sync or import run that committed it; none for a person's review.
    async fn run(&self, ctx: &Context<'_>) -> Result<Option<SyncRun>> {
        let Some(run) = self.0.sync_run_id else {
            return Ok(None);
        };
        Ok(load_one(&loaders(ctx)?.sync_run, run).await?.map(SyncRun))
    }
    /// What it added and removed, by slug and name.
    async fn summary(&self) -> Result<RevisionSummary> {
        RevisionSummary::from_stored(&self.0.summary).ok_or_else(|| {
            internal(format!(
                "change event {} has no readable summary",
                self.0.id
            ))
        })
    }
    /// When it was committed.
    async fn committed_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
}

/// Queries about changes.
#[derive(Debug, Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Every accepted change, oldest first; pass the last cursor as `after` to read only what
    /// changed since.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start (at most 100, 20 when not given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
    ) -> Result<ChangeConnection> {
        let keyset = Keyset {
            key: vec![change_events::Column::Id.into_simple_expr()],
            descending: false,
            id: change_events::Column::Id,
            id_of: |e: &change_events::Model| e.id,
            base: change_events::Entity::find(),
        };
        pagination::paginate(
            db(ctx)?,
            change_events::Entity::find(),
            keyset,
            Args::forward(first, after),
            PageChange,
        )
        .await
        .map(Into::into)
    }
}
