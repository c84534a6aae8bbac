//! Admin mutations, open only to a bearer token equal to `LMSDR_ADMIN_TOKEN`. Without a
//! configured token, mutations are off and say so.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::Utc;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::extract::{self, PageInput};
use lmsdr_ingest::store::{self, Observation, PageChange};
use sea_orm::EntityTrait;
use url::Url;

use super::context::db;
use super::error::{Result, bad_input, code, coded, internal};
use super::ids::{NodeType, encode};
use super::page::Page;
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

fn require_admin(ctx: &Context<'_>) -> Result<()> {
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
pub enum ImportChange {
    /// First time seen.
    New,
    /// Content changed: a new revision was made.
    Changed,
    /// Same content as before: nothing was written.
    Unchanged,
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
}

/// The mutation root.
#[derive(Debug, Default)]
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
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
        url: String,
        html: String,
    ) -> Result<ImportResult> {
        require_admin(ctx)?;
        let url = Url::parse(&url).map_err(|e| bad_input(format!("`url` is not a URL: {e}")))?;
        let document = extract::extract(PageInput {
            url: &url,
            bytes: html.as_bytes(),
            content_type: Some("text/html; charset=utf-8"),
        })
        .map_err(|e| bad_input(e.to_string()))?;
        let db = db(ctx)?;
        let stored = store::store_page(
            db,
            Observation {
                document: &document,
                raw: html.as_bytes(),
                content_type: Some("text/html; charset=utf-8"),
                fetched_at: Utc::now(),
                http_status: None,
                etag: None,
                last_modified: None,
                origin: RevisionOrigin::Import,
                sync_run_id: None,
            },
        )
        .await
        .map_err(internal)?;
        let page = lmsdr_entity::pages::Entity::find_by_id(stored.page_id)
            .one(db)
            .await
            .map_err(internal)?;
        Ok(ImportResult {
            page: page.map(Page),
            change: match stored.change {
                PageChange::New => ImportChange::New,
                PageChange::Changed => ImportChange::Changed,
                PageChange::Unchanged => ImportChange::Unchanged,
            },
            unverified_names: document.unverified_names,
        })
    }
}
