//! `asOf`: what the site listed at a moment, read from the listing intervals (`fact_listings`),
//! never by re-parsing. Without `asOf`, lists show what is listed now.

use chrono::{DateTime, Utc};
use lmsdr_entity::fact_listings;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, IntoSimpleExpr};

/// Fact IDs of a kind listed at `at`: `listed_from <= at < listed_until`.
pub fn listed_at(kind: FactKind, at: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .column(fact_listings::Column::FactId)
        .from(fact_listings::Entity)
        .and_where(fact_listings::Column::FactKind.eq(kind))
        .and_where(fact_listings::Column::ListedFrom.lte(at))
        .cond_where(
            Condition::any()
                .add(fact_listings::Column::ListedUntil.is_null())
                .add(Expr::col(fact_listings::Column::ListedUntil).gt(at)),
        )
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
