//! `asOf`: what the site listed at a moment, read from the listing intervals (`fact_listings`),
//! and what it stated of each fact then, read from the attribute history (`fact_versions`);
//! never by re-parsing. Without `asOf`, lists show what is listed now, as it is stated now.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lmsdr_entity::fact_listings;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_ingest::store::listing::open_at;
use lmsdr_ingest::store::versions::{self, Stated};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoSimpleExpr, QueryFilter, Select,
};
use serde_json::Value;

use super::error::{Result, internal};

/// Fact IDs of a kind listed at `at`: `listed_from <= at < listed_until`.
pub fn listed_at(kind: FactKind, at: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .column(fact_listings::Column::FactId)
        .from(fact_listings::Entity)
        .and_where(fact_listings::Column::FactKind.eq(kind))
        .cond_where(open_at(at))
        .to_owned()
}

/// The condition "listed now" or "listed at `as_of`" on a fact table.
pub fn listed<C>(id: C, delisted_at: C, kind: FactKind, as_of: Option<DateTime<Utc>>) -> Condition
where
    C: ColumnTrait + IntoSimpleExpr,
{
    match as_of {
        None => Condition::all().add(delisted_at.is_null()),
        Some(at) => Condition::all().add(id.in_subquery(listed_at(kind, at))),
    }
}

/// What each fact's page stated of it then, by fact and field.
pub type StatedThen = HashMap<i32, HashMap<String, Value>>;

/// Sets the rows' stated fields (names, statuses, descriptions, texts …) to what the page stated
/// at `as_of`; without it the rows stay as stored. Returns the values found, for fields kept
/// apart from the rows (a drug's names and routes).
pub async fn stated_at<'r, M: Stated + 'r>(
    db: &DatabaseConnection,
    rows: impl IntoIterator<Item = &'r mut M>,
    as_of: Option<DateTime<Utc>>,
) -> Result<StatedThen> {
    match as_of {
        None => Ok(StatedThen::new()),
        Some(at) => versions::overlay(db, rows, at).await.map_err(internal),
    }
}

/// The rows a query selects, with their stated fields as at `as_of` ([`stated_at`]).
pub async fn all_stated<E>(
    db: &DatabaseConnection,
    query: Select<E>,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Stated,
{
    let mut rows = query.all(db).await.map_err(internal)?;
    stated_at(db, &mut rows, as_of).await?;
    Ok(rows)
}

/// The rows a lookup by key selects, listed or not; at `as_of`, only those listed then, as the
/// page stated them then.
pub async fn by_key<E, C>(
    db: &DatabaseConnection,
    query: Select<E>,
    (id, delisted_at, kind): (C, C, FactKind),
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Stated,
    C: ColumnTrait + IntoSimpleExpr,
{
    let query = match as_of {
        Some(_) => query.filter(listed(id, delisted_at, kind, as_of)),
        None => query,
    };
    all_stated(db, query, as_of).await
}
