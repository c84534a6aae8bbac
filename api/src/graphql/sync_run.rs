//! Sync runs: each `lmsdr sync` or `lmsdr import`, with its counts and errors.

use async_graphql::{Context, ID, Object, SimpleObject};

use lmsdr_entity::sync_runs;
use sea_orm::{EntityTrait, IntoSimpleExpr};

use super::context::{db, load_many, loaders};
use super::enums::{SyncRunKind, SyncRunStatus};
use super::error::Result;
use super::ids::{NodeType, encode};
use super::limits;
use super::pagination::{self, Args, Keyset, SyncRunConnection};
use super::scalars::Timestamp;

/// One run.
#[derive(Debug, Clone)]
pub struct SyncRun(pub sync_runs::Model);

/// Why one URL failed in a run.
#[derive(Debug, Clone, SimpleObject)]
pub struct SyncError {
    /// The URL.
    pub url: String,
    /// What went wrong.
    pub reason: String,
    /// When.
    pub occurred_at: Timestamp,
}

/// One run of `lmsdr sync` or `lmsdr import`: when, what it read, and what failed.
#[Object]
impl SyncRun {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::SyncRun, self.0.id)
    }
    /// Sync or import.
    async fn kind(&self) -> SyncRunKind {
        self.0.kind.into()
    }
    /// Where it read from.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// How it stands or ended.
    async fn status(&self) -> SyncRunStatus {
        self.0.status.into()
    }
    /// When it started.
    async fn started_at(&self) -> Timestamp {
        Timestamp(self.0.started_at)
    }
    /// When it ended.
    async fn finished_at(&self) -> Option<Timestamp> {
        self.0.finished_at.map(Timestamp)
    }
    /// Pages read.
    async fn pages_fetched(&self) -> i32 {
        self.0.pages_fetched
    }
    /// Pages new or changed.
    async fn pages_changed(&self) -> i32 {
        self.0.pages_changed
    }
    /// Pages the server reported unchanged (HTTP 304).
    async fn pages_not_modified(&self) -> i32 {
        self.0.pages_not_modified
    }
    /// Pages that failed.
    async fn pages_failed(&self) -> i32 {
        self.0.pages_failed
    }
    /// Linked URLs that were never pages and answered 404 or 410: the site's broken links,
    /// listed among the errors but no failure of the run.
    async fn broken_links(&self) -> i32 {
        self.0.broken_links
    }
    /// Why pages failed.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn errors(&self, ctx: &Context<'_>) -> Result<Vec<SyncError>> {
        Ok(load_many(&loaders(ctx)?.errors_by_run, self.0.id)
            .await?
            .into_iter()
            .map(|e| SyncError {
                url: e.url,
                reason: e.reason,
                occurred_at: Timestamp(e.occurred_at),
            })
            .collect())
    }
}

/// Queries about sync runs.
#[derive(Debug, Default)]
pub struct SyncRunQuery;

#[Object]
impl SyncRunQuery {
    /// Runs, newest first.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start (at most 100, 20 when not given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
    ) -> Result<SyncRunConnection> {
        let keyset = Keyset {
            key: vec![
                sync_runs::Column::StartedAt.into_simple_expr(),
                sync_runs::Column::Id.into_simple_expr(),
            ],
            descending: true,
            id: sync_runs::Column::Id,
            id_of: |r: &sync_runs::Model| r.id,
            base: sync_runs::Entity::find(),
        };
        pagination::paginate(
            db(ctx)?,
            sync_runs::Entity::find(),
            keyset,
            Args::forward(first, after),
            SyncRun,
        )
        .await
        .map(Into::into)
    }
}
