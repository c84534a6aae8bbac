//! Pages: what each is and says, its links in and out, its navigation and its edit history.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::NaiveDateTime;
use lmsdr_entity::sea_orm_active_enums::LinkKind as StoredLinkKind;
use lmsdr_entity::{page_revisions, pages};
use lmsdr_ingest::store::aliased_page;
use lmsdr_ingest::sync::{DEFAULT_SOURCE, url_forms};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoSimpleExpr, QueryFilter, QueryOrder,
};
use url::Url;

use super::content::{self, PageContent};
use super::context::{db, load_many, loaders};
use super::enums::{PageKind, PageStatus};
use super::error::{Result, bad_input, internal};
use super::ids::{NodeType, encode};
use super::limits;
use super::links::{PageImage, PageLink};
use super::loaders::{RevisionRow, revision_select};
use super::pagination::{
    self, Args, Keyset, PageConnection, RevisionConnection, Slice, row_cursor,
};
use super::revision::Revision;
use super::revision_pages::RevisionsPage;
use super::scalars::Timestamp;

/// A page of the foundation's site.
#[derive(Debug, Clone)]
pub struct Page(pub pages::Model);

impl Page {
    async fn current_content(&self, ctx: &Context<'_>) -> Result<Option<PageContent>> {
        match self.0.current_revision_id {
            Some(id) => content::of_revision(ctx, id).await,
            None => {
                // Stored before pages kept their current revision: the newest one not held.
                let latest = page_revisions::Entity::find()
                    .filter(page_revisions::Column::PageId.eq(self.0.id))
                    .filter(page_revisions::Column::Quarantined.eq(false))
                    .order_by_desc(page_revisions::Column::FetchedAt)
                    .one(db(ctx)?)
                    .await
                    .map_err(internal)?;
                match latest {
                    Some(revision) => content::of_revision(ctx, revision.id).await,
                    None => Ok(None),
                }
            }
        }
    }
}

/// A page of the foundation's site: what kind of page it is, what it says, and how it links.
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
    async fn fetched_at(&self) -> Timestamp {
        Timestamp(self.0.fetched_at)
    }
    /// When lmsdr first saw it.
    async fn first_seen_at(&self) -> Timestamp {
        Timestamp(self.0.first_seen_at)
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
    /// What kind of page it is, read from what it says (never from its URL).
    async fn kind(&self) -> PageKind {
        self.0.kind.into()
    }
    /// Why it was given that kind, one plain sentence each.
    async fn kind_reasons(&self) -> Vec<String> {
        self.0
            .kind_reasons
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }
    /// Its first paragraph, shortened to a teaser.
    async fn excerpt(&self) -> Option<&str> {
        self.0.excerpt.as_deref()
    }
    /// What it says now: text, sanitized HTML and blocks.
    async fn content(&self, ctx: &Context<'_>) -> Result<Option<PageContent>> {
        self.current_content(ctx).await
    }
    /// The images of its content.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn images(&self, ctx: &Context<'_>) -> Result<Vec<PageImage>> {
        Ok(self
            .current_content(ctx)
            .await?
            .map(|content| {
                content
                    .images()
                    .map(|b| PageImage {
                        src: b.src.clone().unwrap_or_default(),
                        alt: b.alt.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
    /// The links it makes, menu first then content, each with where it leads.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only links off the site (true) or within it (false).")] external: Option<
            bool,
        >,
    ) -> Result<Vec<PageLink>> {
        Ok(load_many(&loaders(ctx)?.links_by_page, self.0.id)
            .await?
            .into_iter()
            .filter(|l| external.is_none_or(|e| l.external == e))
            .map(PageLink)
            .collect())
    }
    /// The links other pages make to it (menus included).
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn linked_from(&self, ctx: &Context<'_>) -> Result<Vec<PageLink>> {
        Ok(load_many(&loaders(ctx)?.links_to, self.0.url.clone())
            .await?
            .into_iter()
            .filter(|l| l.page_id != self.0.id)
            .map(PageLink)
            .collect())
    }
    /// The navigation menu, in order.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn navigation(&self, ctx: &Context<'_>) -> Result<Vec<NavLink>> {
        let links = load_many(&loaders(ctx)?.links_by_page, self.0.id).await?;
        Ok(links
            .into_iter()
            .filter(|l| l.kind == StoredLinkKind::Navigation)
            .map(|l| NavLink {
                text: l.text,
                url: l.url,
            })
            .collect())
    }
    /// The page's revisions, newest capture first (by `fetchedAt`, then by number). Held and
    /// rejected revisions are listed only for requests with the admin token.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many revisions to return (at most 100, 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Return the revisions after this cursor.")] after: Option<String>,
    ) -> Result<RevisionConnection> {
        use page_revisions::Column as C;
        let args = Args::forward(first, after);
        if args.after.is_none() {
            // The first page of revisions, the usual request: batched across pages.
            let limit = args.window(|_| None::<i32>)?.limit;
            let first = loaders(ctx)?
                .first_revisions
                .load_one((self.0.id, limit))
                .await
                .map_err(internal)?;
            let first = first.unwrap_or(RevisionsPage {
                rows: Vec::new(),
                has_next: false,
                total: 0,
            });
            let items = first
                .rows
                .into_iter()
                .map(|row| (row_cursor(row.id), Revision(row)))
                .collect();
            return Ok(Slice::new(items, false, first.has_next, first.total).into());
        }
        let query = revision_select(loaders(ctx)?.audience).filter(C::PageId.eq(self.0.id));
        let keyset = Keyset {
            key: vec![
                C::FetchedAt.into_simple_expr(),
                C::Number.into_simple_expr(),
                C::Id.into_simple_expr(),
            ],
            descending: true,
            id: C::Id,
            id_of: |r: &RevisionRow| r.id,
            base: page_revisions::Entity::find(),
        };
        let keyset: Keyset<page_revisions::Entity, RevisionRow> = keyset;
        pagination::paginate(db(ctx)?, query, keyset, args, Revision)
            .await
            .map(Into::into)
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

/// Queries about pages.
#[derive(Debug, Default)]
pub struct PageQuery;

/// Queries about pages.
#[Object]
impl PageQuery {
    /// Every page lmsdr knows, by URL; of one kind when asked.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn pages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many pages to return (at most 100, 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Return the pages after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only pages of this kind.")] kind: Option<PageKind>,
    ) -> Result<PageConnection> {
        let mut query = pages::Entity::find();
        if let Some(kind) = kind {
            query = query.filter(
                pages::Column::Kind.eq(lmsdr_entity::sea_orm_active_enums::PageKind::from(kind)),
            );
        }
        let keyset = Keyset {
            key: vec![
                pages::Column::Url.into_simple_expr(),
                pages::Column::Id.into_simple_expr(),
            ],
            descending: false,
            id: pages::Column::Id,
            id_of: |p: &pages::Model| p.id,
            base: pages::Entity::find(),
        };
        pagination::paginate(db(ctx)?, query, keyset, Args::forward(first, after), Page)
            .await
            .map(Into::into)
    }

    /// A page by its URL, written as a link to it would be: HTTP or HTTPS, with `www.` or
    /// without, or a path on the foundation's site (`/treatments.php`); or another URL of the
    /// page the site serves it at (`/index.php` for the home page `/`), recorded as its alias.
    async fn page(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The page's URL, e.g. `http://www.lmsdr.org/treatments.php`, `https://lmsdr.org/treatments.php` or `/treatments.php`."
        )]
        url: String,
    ) -> Result<Option<Page>> {
        let text = url.trim();
        let parsed = Url::parse(text).or_else(|_| {
            Url::parse(DEFAULT_SOURCE).and_then(|site| {
                if text.starts_with('/') {
                    site.join(text)
                } else {
                    Err(url::ParseError::RelativeUrlWithoutBase)
                }
            })
        });
        let Ok(parsed) = parsed else {
            return Err(bad_input(format!(
                "`{text}` is not a URL: give an absolute URL or a path such as `/treatments.php`"
            )));
        };
        let page = stored_page(db(ctx)?, &parsed).await.map_err(internal)?;
        Ok(page.map(Page))
    }
}

/// The page stored at a URL, written as a link to it would be (HTTP or HTTPS, with `www.` or
/// without), or the page the URL is an alias of.
pub async fn stored_page(
    db: &DatabaseConnection,
    url: &Url,
) -> std::result::Result<Option<pages::Model>, DbErr> {
    let forms = url_forms(url);
    let rows = pages::Entity::find()
        .filter(pages::Column::Url.is_in(forms.clone()))
        .all(db)
        .await?;
    // The form asked for first, then the others in the order listed.
    let row = forms
        .iter()
        .find_map(|form| rows.iter().find(|row| &row.url == form))
        .cloned();
    if row.is_some() {
        return Ok(row);
    }
    // Another URL of a stored page (`/index.php` for `/`): that page.
    Ok(aliased_page(db, &forms).await?.map(|(_, page)| page))
}
