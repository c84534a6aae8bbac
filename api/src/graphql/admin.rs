//! Admin mutations, open only to a bearer token equal to `LMSDR_ADMIN_TOKEN`. Without a
//! configured token, mutations are off and say so.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::Utc;
use lmsdr_entity::page_revisions;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, AcceptError, Input, PipelineError};
use lmsdr_ingest::store::PageChange;
use lmsdr_ingest::store::review::{self, ReviewError};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use url::Url;

use super::context::db;
use super::enums::PageKind;
use super::error::{Result, bad_input, code, coded, internal};
use super::ids::{NodeType, decode, encode};
use super::loaders::{Audience, RevisionRow, revision_select};
use super::page::Page;
use super::revision::Revision;
use crate::jobs::{StartError, SyncJob};

/// What the request's credentials allow, decided by the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAccess {
    /// The server has no admin token: mutations are off.
    Disabled,
    /// No token, or the wrong one.
    Denied,
    /// The right token.
    Granted,
}

impl AdminAccess {
    /// Whose revisions the request may read: held and rejected ones need the admin token.
    pub fn audience(self) -> Audience {
        match self {
            AdminAccess::Granted => Audience::Admin,
            AdminAccess::Disabled | AdminAccess::Denied => Audience::Public,
        }
    }
}

/// Fails unless the request carries the admin token.
pub(super) fn require_admin(ctx: &Context<'_>) -> Result<()> {
    match ctx
        .data_opt::<AdminAccess>()
        .copied()
        .unwrap_or(AdminAccess::Disabled)
    {
        AdminAccess::Granted => Ok(()),
        AdminAccess::Denied => Err(coded(
            code::UNAUTHORIZED,
            "this mutation needs the admin token: send `Authorization: Bearer <token>`",
        )),
        AdminAccess::Disabled => Err(coded(
            code::MUTATIONS_DISABLED,
            "mutations are disabled on this server: start it with LMSDR_ADMIN_TOKEN set",
        )),
    }
}

/// Whether an imported page was new, changed or unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "PageChange")]
pub enum ImportChange {
    /// First time seen.
    New,
    /// Content changed: a new revision was made.
    Changed,
    /// Same content as before: nothing was written.
    Unchanged,
    /// Same content, read again by a newer extractor: its facts were re-derived.
    Rederived,
    /// The content would wipe or gut what the page states: stored as a quarantined revision
    /// that applies nothing until `acceptRevision`.
    Quarantined,
    /// Older than the page's current revision: written into its history only.
    Past,
    /// The content of a stored page under another URL: that URL was recorded as the page's
    /// alias, nothing else stored (`page` is the stored page).
    Alias,
}

/// The result of `importPage`.
#[derive(Debug, SimpleObject)]
pub struct ImportResult {
    /// The page as stored.
    pub page: Option<Page>,
    /// New, changed or unchanged.
    pub change: ImportChange,
    /// Drug-like names the vocabulary lacks, stored unverified.
    pub unverified_names: Vec<String>,
    /// The kind of page it was read as.
    pub kind: PageKind,
    /// What the extractor reported for a person to look at.
    pub notices: Vec<String>,
}

/// Admin mutations on content and syncs.
#[derive(Debug, Default)]
pub struct ContentMutation;

/// Admin operations; each needs `Authorization: Bearer <admin token>`.
#[Object]
impl ContentMutation {
    /// Starts a sync of the site in the background (admin only) and returns the run's ID; follow
    /// it with `node(id:)` or `syncRuns`. Fails with `SYNC_BUSY` while another sync runs.
    async fn trigger_sync(&self, ctx: &Context<'_>) -> Result<ID> {
        require_admin(ctx)?;
        let job = ctx.data_opt::<SyncJob>().ok_or_else(|| {
            coded(
                code::MUTATIONS_DISABLED,
                "syncing is not configured on this server",
            )
        })?;
        match job.start().await {
            Ok(run_id) => Ok(encode(NodeType::SyncRun, run_id)),
            Err(StartError::Busy(message)) => Err(coded(code::SYNC_BUSY, message)),
            Err(err) => Err(internal(err)),
        }
    }

    /// Stores a page's HTML as if fetched from `url` (admin only): the same extraction, history
    /// and provenance as `lmsdr import`.
    async fn import_page(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The absolute URL the page lives at.")] url: String,
        #[graphql(desc = "The page's HTML.")] html: String,
    ) -> Result<ImportResult> {
        require_admin(ctx)?;
        let url = Url::parse(&url).map_err(|e| bad_input(format!("`url` is not a URL: {e}")))?;
        let input = Input {
            content_type: Some("text/html; charset=utf-8".to_owned()),
            ..Input::new(url, html.into_bytes(), RevisionOrigin::Import)
        };
        let db = db(ctx)?;
        let ingested = pipeline::ingest(db, input).await.map_err(|e| match e {
            PipelineError::Extract(e) => bad_input(e.to_string()),
            e @ PipelineError::TooSlow(_) => bad_input(e.to_string()),
            other => internal(other),
        })?;
        let page = lmsdr_entity::pages::Entity::find_by_id(ingested.stored.page_id)
            .one(db)
            .await
            .map_err(internal)?;
        let document = ingested.document;
        Ok(ImportResult {
            page: page.map(Page),
            change: ingested.stored.change.into(),
            unverified_names: document.unverified_names,
            kind: document.kind.into(),
            notices: document.notices,
        })
    }

    /// Accepts a revision held in quarantine, on purpose (admin only): its stored bytes are read
    /// again and applied as if accepted when fetched — as the page's current revision when
    /// nothing newer was accepted, otherwise into the page's history before the next accepted
    /// capture. Fails with `BAD_USER_INPUT` for a revision that is not held or was rejected.
    async fn accept_revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The held revision's ID.")] id: ID,
    ) -> Result<Revision> {
        require_admin(ctx)?;
        let revision_id = revision_id(&id)?;
        let db = db(ctx)?;
        pipeline::accept(db, revision_id)
            .await
            .map_err(|e| match e {
                AcceptError::Review(ReviewError::Store(e)) => internal(e),
                AcceptError::Review(e) => bad_input(e.to_string()),
                other => internal(other),
            })?;
        reviewed(db, revision_id).await
    }

    /// Rejects a revision held in quarantine (admin only): it stays in the page's history, held
    /// and out of consideration; repetition of the same content stays held too.
    async fn reject_revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The held revision's ID.")] id: ID,
    ) -> Result<Revision> {
        require_admin(ctx)?;
        let revision_id = revision_id(&id)?;
        let db = db(ctx)?;
        review::reject(db, revision_id, Utc::now())
            .await
            .map_err(|e| match e {
                ReviewError::Store(e) => internal(e),
                e => bad_input(e.to_string()),
            })?;
        reviewed(db, revision_id).await
    }
}

/// The row ID of a revision's global ID.
fn revision_id(id: &ID) -> Result<i32> {
    match decode(id)? {
        (NodeType::Revision, id) => Ok(id),
        _ => Err(bad_input(format!(
            "`{}` is not a revision's ID",
            id.as_str()
        ))),
    }
}

/// A revision as stored after a review.
async fn reviewed(db: &DatabaseConnection, revision_id: i32) -> Result<Revision> {
    revision_select(Audience::Admin)
        .filter(page_revisions::Column::Id.eq(revision_id))
        .into_model::<RevisionRow>()
        .one(db)
        .await
        .map_err(internal)?
        .map(Revision)
        .ok_or_else(|| internal(format!("revision {revision_id} vanished after its review")))
}
