//! The site as a whole: the navigation menu it shows, how many pages of each kind it has, and
//! its broken links — links whose target answered 404 or 410 — for the foundation's webmaster.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{LinkKind, PageKind as StoredKind, PageStatus};
use lmsdr_entity::{link_targets, links, pages};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::context::{db, load_many, loaders};
use super::enums::PageKind;
use super::error::{Result, internal};
use super::limits;
use super::links::PageLink;
use super::page::NavLink;
use super::scalars::Timestamp;

/// How many pages of one kind the site has.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageKindCount {
    /// The kind.
    pub kind: PageKind,
    /// How many stored pages are of it.
    pub count: i32,
}

/// A URL the site links to that answered 404 or 410.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct BrokenLink {
    /// The URL linked to.
    pub url: String,
    /// The status it answered with, when known (a page lmsdr held that went away may lack it).
    pub status: Option<i32>,
    /// When lmsdr last found it broken.
    pub checked_at: Option<Timestamp>,
}

#[ComplexObject]
impl BrokenLink {
    /// The links to it, with the pages they stand on.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn linked_from(&self, ctx: &Context<'_>) -> Result<Vec<PageLink>> {
        Ok(load_many(&loaders(ctx)?.links_to, self.url.clone())
            .await?
            .into_iter()
            .map(PageLink)
            .collect())
    }
}

/// The foundation's site as a whole.
#[derive(Debug, Default)]
pub struct Site;

/// The foundation's site as a whole: its menu, its kinds of pages, its broken links.
#[Object]
impl Site {
    /// The navigation menu as the site shows it: the menu most of its pages share.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn navigation(&self, ctx: &Context<'_>) -> Result<Vec<NavLink>> {
        let rows = links::Entity::find()
            .filter(links::Column::Kind.eq(LinkKind::Navigation))
            .filter(links::Column::DelistedAt.is_null())
            .order_by_asc(links::Column::PageId)
            .order_by_asc(links::Column::Position)
            .all(db(ctx)?)
            .await
            .map_err(internal)?;
        let mut menus: Vec<(i32, Vec<(String, String)>)> = Vec::new();
        for row in rows {
            match menus.last_mut() {
                Some((page, menu)) if *page == row.page_id => menu.push((row.text, row.url)),
                _ => menus.push((row.page_id, vec![(row.text, row.url)])),
            }
        }
        let mut counts: HashMap<&[(String, String)], (usize, usize)> = HashMap::new();
        for (order, (_, menu)) in menus.iter().enumerate() {
            counts.entry(menu.as_slice()).or_insert((0, order)).0 += 1;
        }
        let shared = counts
            .into_iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
            .map(|(menu, _)| menu.to_vec())
            .unwrap_or_default();
        Ok(shared
            .into_iter()
            .map(|(text, url)| NavLink { text, url })
            .collect())
    }

    /// How many stored pages there are of each kind, in the order of `PageKind`.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn page_kinds(&self, ctx: &Context<'_>) -> Result<Vec<PageKindCount>> {
        let kinds: Vec<StoredKind> = pages::Entity::find()
            .select_only()
            .column(pages::Column::Kind)
            .into_tuple()
            .all(db(ctx)?)
            .await
            .map_err(internal)?;
        let mut counts: std::collections::BTreeMap<StoredKind, i32> = Default::default();
        for kind in kinds {
            *counts.entry(kind).or_default() += 1;
        }
        Ok(counts
            .into_iter()
            .map(|(kind, count)| PageKindCount {
                kind: kind.into(),
                count,
            })
            .collect())
    }

    /// Linked URLs that answered 404 or 410 — pages that went away and pages that never
    /// existed — that some page still links to, by URL.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn broken_links(&self, ctx: &Context<'_>) -> Result<Vec<BrokenLink>> {
        let db = db(ctx)?;
        let mut broken: Vec<BrokenLink> = link_targets::Entity::find()
            .all(db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|t| BrokenLink {
                url: t.url,
                status: Some(t.http_status),
                checked_at: Some(Timestamp(t.checked_at)),
            })
            .collect();
        let gone: Vec<(String, Option<DateTime<Utc>>)> = pages::Entity::find()
            .select_only()
            .columns([pages::Column::Url, pages::Column::GoneAt])
            .filter(pages::Column::Status.eq(PageStatus::Gone))
            .into_tuple()
            .all(db)
            .await
            .map_err(internal)?;
        broken.extend(gone.into_iter().map(|(url, at)| BrokenLink {
            url,
            status: None,
            checked_at: at.map(Timestamp),
        }));
        let mut linked = BTreeSet::new();
        for chunk in broken.chunks(500) {
            let urls: Vec<String> = links::Entity::find()
                .select_only()
                .column(links::Column::Url)
                .distinct()
                .filter(links::Column::DelistedAt.is_null())
                .filter(links::Column::Url.is_in(chunk.iter().map(|b| b.url.clone())))
                .into_tuple()
                .all(db)
                .await
                .map_err(internal)?;
            linked.extend(urls);
        }
        broken.retain(|b| linked.contains(&b.url));
        broken.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(broken)
    }
}

/// The site query.
#[derive(Debug, Default)]
pub struct SiteQuery;

/// The site query.
#[Object]
impl SiteQuery {
    /// The foundation's site as a whole: its menu, its kinds of pages, its broken links.
    async fn site(&self) -> Site {
        Site
    }
}
