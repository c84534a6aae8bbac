//! A page's links — menu and content, with their text — and where each leads: to a stored page,
//! to a page known to be gone or never to have existed, or off the site.

use async_graphql::{Context, Enum, Object, SimpleObject};
use lmsdr_entity::links;
use lmsdr_entity::sea_orm_active_enums::{LinkKind as StoredKind, PageStatus};

use super::context::{load_one, loaders};
use super::error::Result;
use super::page::Page;

/// Where on a page a link stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// In the navigation menu.
    Navigation,
    /// In the main content.
    Content,
}

impl From<StoredKind> for LinkKind {
    fn from(kind: StoredKind) -> Self {
        match kind {
            StoredKind::Navigation => LinkKind::Navigation,
            StoredKind::Content => LinkKind::Content,
        }
    }
}

/// A link a page makes.
#[derive(Debug, Clone)]
pub struct PageLink(pub links::Model);

/// A link a page makes: its text, where it stands and where it leads.
#[Object]
impl PageLink {
    /// Its text as shown.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Its absolute URL.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Whether it leads off the foundation's site.
    async fn external(&self) -> bool {
        self.0.external
    }
    /// In the menu or in the content.
    async fn kind(&self) -> LinkKind {
        self.0.kind.into()
    }
    /// The sentence it stands in (content links).
    async fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }
    /// The page it stands on.
    async fn page(&self, ctx: &Context<'_>) -> Result<Option<Page>> {
        Ok(load_one(&loaders(ctx)?.page, self.0.page_id)
            .await?
            .map(Page))
    }
    /// The stored page it leads to, if lmsdr holds it.
    async fn target(&self, ctx: &Context<'_>) -> Result<Option<Page>> {
        Ok(load_one(&loaders(ctx)?.page_by_url, self.0.url.clone())
            .await?
            .map(Page))
    }
    /// Whether it leads to a page lmsdr holds.
    async fn target_stored(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(load_one(&loaders(ctx)?.page_by_url, self.0.url.clone())
            .await?
            .is_some())
    }
    /// Whether its target answered 404 or 410 when last fetched (a page gone, or one that never
    /// existed).
    async fn broken(&self, ctx: &Context<'_>) -> Result<bool> {
        let loaders = loaders(ctx)?;
        let gone = load_one(&loaders.page_by_url, self.0.url.clone())
            .await?
            .is_some_and(|p| p.status == PageStatus::Gone);
        Ok(gone
            || load_one(&loaders.dead_target, self.0.url.clone())
                .await?
                .is_some())
    }
}

/// An image of a page's content.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageImage {
    /// Its absolute URL.
    pub src: String,
    /// Its alternative text, if it has one.
    pub alt: Option<String>,
}
