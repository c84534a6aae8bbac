//! Revisions for many pages at once: the first page of each page's revisions (newest capture
//! first) in two statements whatever the number of pages — their sort keys, then the rows
//! chosen — and a revision's diff, the largest text it has, only when asked for.

use std::collections::{BTreeSet, HashMap};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use lmsdr_entity::page_revisions;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::loaders::{Audience, LoadError, RevisionRow, revision_select};

/// The first `limit` revisions of a page: the key [`FirstRevisions`] loads by.
pub type FirstOf = (i32, usize);

/// The first revisions of one page, and what the whole list holds.
#[derive(Debug, Clone)]
pub struct RevisionsPage {
    /// Newest capture first.
    pub rows: Vec<RevisionRow>,
    /// Whether more follow.
    pub has_next: bool,
    /// How many revisions the page has.
    pub total: i64,
}

/// Loads the first revisions of pages an audience may read, by page and page size.
pub struct FirstRevisions {
    /// The database.
    pub db: DatabaseConnection,
    /// Who reads them.
    pub audience: Audience,
}

impl Loader<FirstOf> for FirstRevisions {
    type Value = RevisionsPage;
    type Error = LoadError;

    async fn load(&self, keys: &[FirstOf]) -> Result<HashMap<FirstOf, RevisionsPage>, LoadError> {
        use page_revisions::Column as C;
        let pages: BTreeSet<i32> = keys.iter().map(|(page, _)| *page).collect();
        let select = page_revisions::Entity::find().select_only().columns([
            C::Id,
            C::PageId,
            C::FetchedAt,
            C::Number,
        ]);
        let sort_keys: Vec<(i32, i32, DateTime<Utc>, i32)> = self
            .audience
            .visible(select)
            .filter(C::PageId.is_in(pages))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut by_page: HashMap<i32, Vec<(DateTime<Utc>, i32, i32)>> = HashMap::new();
        for (id, page, fetched_at, number) in sort_keys {
            by_page
                .entry(page)
                .or_default()
                .push((fetched_at, number, id));
        }
        for revisions in by_page.values_mut() {
            // The order `Page.revisions` pages in: fetchedAt, number, ID, all descending.
            revisions.sort_unstable_by(|a, b| b.cmp(a));
        }
        let chosen = |page: i32, limit: usize| {
            by_page
                .get(&page)
                .into_iter()
                .flatten()
                .take(limit)
                .map(|(_, _, id)| *id)
        };
        let wanted: BTreeSet<i32> = keys
            .iter()
            .flat_map(|(page, limit)| chosen(*page, *limit))
            .collect();
        let rows: HashMap<i32, RevisionRow> = revision_select(self.audience)
            .filter(C::Id.is_in(wanted))
            .into_model::<RevisionRow>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        Ok(keys
            .iter()
            .map(|&(page, limit)| {
                let total = by_page.get(&page).map_or(0, Vec::len);
                let first = RevisionsPage {
                    rows: chosen(page, limit)
                        .filter_map(|id| rows.get(&id).cloned())
                        .collect(),
                    has_next: total > limit,
                    total: total as i64,
                };
                ((page, limit), first)
            })
            .collect())
    }
}

/// Loads the diffs of revisions an audience may read, by revision ID.
pub struct DiffById {
    /// The database.
    pub db: DatabaseConnection,
    /// Who reads them.
    pub audience: Audience,
}

impl Loader<i32> for DiffById {
    type Value = String;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, String>, LoadError> {
        use page_revisions::Column as C;
        let select = page_revisions::Entity::find()
            .select_only()
            .columns([C::Id, C::Diff]);
        let diffs: Vec<(i32, Option<String>)> = self
            .audience
            .visible(select)
            .filter(C::Id.is_in(keys.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(diffs
            .into_iter()
            .filter_map(|(id, diff)| Some((id, diff?)))
            .collect())
    }
}
