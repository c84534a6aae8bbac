//! Revisions without their raw bodies, by ID, and how each was read.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use lmsdr_entity::page_revisions;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};

use super::LoadError;

/// A page revision without its raw body, which no query needs to read.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RevisionRow {
    /// ID.
    pub id: i32,
    /// The page.
    pub page_id: i32,
    /// 1, 2, 3 … per page.
    pub number: i32,
    /// Hash of the normalized main content.
    pub content_hash: String,
    /// The stamp as written.
    pub last_edited_text: Option<String>,
    /// The stamp as a local date-time.
    pub last_edited_at: Option<chrono::NaiveDateTime>,
    /// When observed.
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    /// HTTP status when fetched.
    pub http_status: Option<i32>,
    /// The run that fetched it.
    pub sync_run_id: Option<i32>,
    /// Where its bytes came from.
    pub origin: lmsdr_entity::sea_orm_active_enums::RevisionOrigin,
    /// What it added and removed.
    pub summary: Option<serde_json::Value>,
    /// Held in quarantine: stored, applying nothing.
    pub quarantined: bool,
    /// Why it was held.
    pub quarantine_reason: Option<String>,
    /// What a person decided about it, or what became of it.
    pub review: Option<lmsdr_entity::sea_orm_active_enums::RevisionReview>,
    /// When that was.
    pub reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The web archive's URL of the capture it came from.
    pub memento_url: Option<String>,
}

/// Who reads revisions. Held and rejected content is for admins: anonymous readers see the
/// revisions that apply (never held, or accepted) and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone: accepted revisions only.
    Public,
    /// Holders of the admin token: held, rejected and superseded revisions too.
    Admin,
}

impl Audience {
    /// `select` narrowed to the revisions this audience may read.
    pub fn visible(self, select: Select<page_revisions::Entity>) -> Select<page_revisions::Entity> {
        match self {
            Audience::Public => select.filter(page_revisions::Column::Quarantined.eq(false)),
            Audience::Admin => select,
        }
    }
}

/// Revisions this audience may read, without their raw body; finish with
/// `.into_model::<RevisionRow>()`.
pub fn revision_select(audience: Audience) -> Select<page_revisions::Entity> {
    use page_revisions::Column as C;
    let select = page_revisions::Entity::find().select_only().columns([
        C::Id,
        C::PageId,
        C::Number,
        C::ContentHash,
        C::LastEditedText,
        C::LastEditedAt,
        C::FetchedAt,
        C::HttpStatus,
        C::SyncRunId,
        C::Origin,
        C::Summary,
        C::Quarantined,
        C::QuarantineReason,
        C::Review,
        C::ReviewedAt,
        C::MementoUrl,
    ]);
    audience.visible(select)
}

/// Loads the revisions an audience may read by ID, without their raw bodies.
pub struct RevisionById {
    pub(super) db: DatabaseConnection,
    pub(super) audience: Audience,
}

impl Loader<i32> for RevisionById {
    type Value = RevisionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, RevisionRow>, LoadError> {
        let rows = revision_select(self.audience)
            .filter(page_revisions::Column::Id.is_in(keys.iter().copied()))
            .into_model::<RevisionRow>()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// How a revision was read: its kind and its content, without its raw body.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RevisionReading {
    /// ID.
    pub id: i32,
    /// The normalized text.
    pub normalized_text: String,
    /// The kind it was read as (none for revisions read before kinds existed).
    pub kind: Option<lmsdr_entity::sea_orm_active_enums::PageKind>,
    /// Why.
    pub kind_reasons: Option<serde_json::Value>,
    /// The content blocks, as JSON.
    pub content_blocks: Option<serde_json::Value>,
    /// The extractor's notices, as JSON.
    pub notices: Option<serde_json::Value>,
}

/// Loads how the revisions an audience may read were read, by ID.
pub struct ReadingById {
    pub(super) db: DatabaseConnection,
    pub(super) audience: Audience,
}

impl Loader<i32> for ReadingById {
    type Value = RevisionReading;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, RevisionReading>, LoadError> {
        use page_revisions::Column as C;
        let select = page_revisions::Entity::find().select_only().columns([
            C::Id,
            C::NormalizedText,
            C::Kind,
            C::KindReasons,
            C::ContentBlocks,
            C::Notices,
        ]);
        let rows = self
            .audience
            .visible(select)
            .filter(C::Id.is_in(keys.iter().copied()))
            .into_model::<RevisionReading>()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
