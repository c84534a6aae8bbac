//! Free-text search over treatments, drugs (every name) and pages.

use async_graphql::{Context, Object, Union};
use lmsdr_entity::{drug_names, drugs, pages, treatments};
use lmsdr_ingest::extract::text::normalize_name;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::context::db;
use super::drug::Drug;
use super::error::{Result, bad_input, internal};
use super::page::Page;
use super::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use super::treatment::Treatment;

/// A search hit.
#[derive(Debug, Union)]
pub enum SearchResult {
    /// A treatment whose name matches.
    Treatment(Treatment),
    /// A drug one of whose names matches.
    Drug(Drug),
    /// A page whose title or URL matches.
    Page(Page),
}

/// The longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

/// `%text%` for LIKE, with the user's own wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Search queries.
#[derive(Debug, Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Drugs, treatments and pages matching a text (case-insensitive): drugs first.
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
    ) -> Result<Vec<SearchResult>> {
        let text = query.trim();
        if text.is_empty() {
            return Err(bad_input("`query` must not be empty"));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_input(format!(
                "`query` is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(bad_input("`first` must not be negative")),
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(super::error::coded(
                    super::error::code::PAGE_SIZE_EXCEEDED,
                    format!("`first` is {n}; the maximum is {MAX_PAGE_SIZE}"),
                ));
            }
            Some(n) => n as usize,
        };
        let db = db(ctx)?;
        let pattern = contains_pattern(text);
        let mut results = Vec::new();

        let key = normalize_name(text);
        if !key.is_empty() {
            let rows = drugs::Entity::find()
                .filter(drugs::Column::DelistedAt.is_null())
                .filter(
                    drugs::Column::Id.in_subquery(
                        Query::select()
                            .column(drug_names::Column::DrugId)
                            .from(drug_names::Entity)
                            .and_where(
                                Expr::col(drug_names::Column::NormalizedName)
                                    .like(format!("%{key}%")),
                            )
                            .to_owned(),
                    ),
                )
                .order_by_asc(drugs::Column::Slug)
                .limit(limit as u64)
                .all(db)
                .await
                .map_err(internal)?;
            results.extend(rows.into_iter().map(|d| SearchResult::Drug(Drug(d))));
        }
        let lower =
            |col: treatments::Column| Expr::expr(Func::lower(Expr::col((treatments::Entity, col))));
        let rows = treatments::Entity::find()
            .filter(treatments::Column::DelistedAt.is_null())
            .filter(lower(treatments::Column::Name).like(pattern.clone()))
            .order_by_asc(treatments::Column::Id)
            .limit(limit as u64)
            .all(db)
            .await
            .map_err(internal)?;
        results.extend(
            rows.into_iter()
                .map(|t| SearchResult::Treatment(Treatment(t))),
        );
        let page_col =
            |col: pages::Column| Expr::expr(Func::lower(Expr::col((pages::Entity, col))));
        let rows = pages::Entity::find()
            .filter(
                Condition::any()
                    .add(page_col(pages::Column::Title).like(pattern.clone()))
                    .add(page_col(pages::Column::Url).like(pattern)),
            )
            .order_by_asc(pages::Column::Url)
            .limit(limit as u64)
            .all(db)
            .await
            .map_err(internal)?;
        results.extend(rows.into_iter().map(|p| SearchResult::Page(Page(p))));
        results.truncate(limit);
        Ok(results)
    }
}
