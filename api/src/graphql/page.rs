//! Pages, their edit history, navigation, and the provenance every fact points to.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDateTime, Utc};
use lmsdr_entity::{pages, provenance};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::context::{db, load_many, load_one, loaders};
use super::enums::{PageStatus, RevisionOrigin};
use super::error::{Result, internal};
use super::ids::{NodeType, encode};
use super::loaders::{RevisionRow, revision_select};
use super::pagination::{self, Args};

/// A page of the foundation's site.
#[derive(Debug, Clone)]
pub struct Page(pub pages::Model);

#[Object]
impl Page {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Page, self.0.id)
    }
    /// The page's URL.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Its title.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// The "Last Edited" stamp as a date-time without a zone, as stamped.
    async fn last_edited(&self) -> Option<NaiveDateTime> {
        self.0.last_edited_at
    }
    /// The "Last Edited" stamp as written on the page.
    async fn last_edited_text(&self) -> Option<&str> {
        self.0.last_edited_text.as_deref()
    }
    /// When lmsdr last read it.
    async fn fetched_at(&self) -> DateTime<Utc> {
        self.0.fetched_at
    }
    /// When lmsdr first saw it.
    async fn first_seen_at(&self) -> DateTime<Utc> {
        self.0.first_seen_at
    }
    /// SHA-256 of its normalized main content.
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }
    /// Active or gone.
    async fn status(&self) -> PageStatus {
        self.0.status.into()
    }
    /// The page's disclaimer.
    async fn disclaimer(&self) -> Option<&str> {
        self.0.disclaimer.as_deref()
    }
    /// Where the page's copy came from, when it is not the site itself (a reconstruction).
    async fn origin_note(&self) -> Option<&str> {
        self.0.origin_note.as_deref()
    }
    /// The navigation menu, in order.
    async fn navigation(&self, ctx: &Context<'_>) -> Result<Vec<NavLink>> {
        let links = load_many(&loaders(ctx)?.navigation_by_page, self.0.id).await?;
        Ok(links
            .into_iter()
            .map(|l| NavLink {
                text: l.text,
                url: l.url,
            })
            .collect())
    }
    /// The page's revisions, newest first.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<pagination::Page<Revision>> {
        use lmsdr_entity::page_revisions::Column as C;
        let db = db(ctx)?;
        let total = lmsdr_entity::page_revisions::Entity::find()
            .filter(C::PageId.eq(self.0.id))
            .count(db)
            .await
            .map_err(internal)? as usize;
        let window = Args::forward(first, after).window(total)?;
        let rows = revision_select()
            .filter(C::PageId.eq(self.0.id))
            .order_by_desc(C::Number)
            .offset(window.offset as u64)
            .limit(window.limit as u64)
            .into_model::<RevisionRow>()
            .all(db)
            .await
            .map_err(internal)?;
        Ok(pagination::page(
            rows.into_iter().map(Revision).collect(),
            window,
            total,
        ))
    }
}

/// A navigation menu entry.
#[derive(Debug, Clone, SimpleObject)]
pub struct NavLink {
    /// Its text.
    pub text: String,
    /// Its absolute URL.
    pub url: String,
}

/// One revision of a page: what it said at one moment.
#[derive(Debug, Clone)]
pub struct Revision(pub RevisionRow);

/// Added and removed items of one kind.
#[derive(Debug, Clone, Default, SimpleObject, serde::Deserialize)]
#[serde(default)]
pub struct Delta {
    /// Newly listed.
    pub added: Vec<String>,
    /// No longer listed.
    pub removed: Vec<String>,
}

/// What a revision added to and removed from its page.
#[derive(Debug, Clone, Default, SimpleObject, serde::Deserialize)]
#[serde(default)]
pub struct RevisionSummary {
    /// Treatments, as `category/treatment` slugs.
    pub treatments: Delta,
    /// Drugs, by slug.
    pub drugs: Delta,
    /// Regimens, by slug.
    pub regimens: Delta,
    /// Warnings, by slug.
    pub warnings: Delta,
}

#[Object]
impl Revision {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Revision, self.0.id)
    }
    /// 1 for the first revision lmsdr saw, then 2, 3 …
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
    /// When it was fetched or captured.
    async fn fetched_at(&self) -> DateTime<Utc> {
        self.0.fetched_at
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
    /// Unified diff of the normalized text against the previous revision (none for the first).
    async fn diff(&self) -> Option<&str> {
        self.0.diff.as_deref()
    }
    /// What this revision added and removed.
    async fn summary(&self) -> Option<RevisionSummary> {
        self.0
            .summary
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
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
    /// The part of the page it stands in (a category name, "drugs", …).
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

/// Queries about pages.
#[derive(Debug, Default)]
pub struct PageQuery;

#[Object]
impl PageQuery {
    /// Every page lmsdr knows, by URL.
    async fn pages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<pagination::Page<Page>> {
        let query = pages::Entity::find().order_by_asc(pages::Column::Url);
        pagination::paginate(db(ctx)?, query, Args::forward(first, after), Page).await
    }

    /// A page by its URL.
    async fn page(&self, ctx: &Context<'_>, url: String) -> Result<Option<Page>> {
        let row = pages::Entity::find()
            .filter(pages::Column::Url.eq(url))
            .one(db(ctx)?)
            .await
            .map_err(internal)?;
        Ok(row.map(Page))
    }
}
