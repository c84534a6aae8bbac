//! Listing intervals: which facts a page lists, since when, and until when.
//!
//! Each fact a page lists has an open interval in `fact_listings`. When a revision no longer
//! lists it, the interval is closed; when no page lists it any more, the fact itself is marked
//! delisted (never deleted). Answering "what did the site say on date D" reads these intervals.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lmsdr_entity::fact_listings;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
};

/// The table that holds facts of a kind.
pub fn table_of(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Category => "treatment_categories",
        FactKind::Treatment => "treatments",
        FactKind::Regimen => "regimens",
        FactKind::RegimenDrug => "regimen_drugs",
        FactKind::TreatmentDrug => "treatment_drugs",
        FactKind::Drug => "drugs",
        FactKind::DrugRelation => "drug_relations",
        FactKind::Warning => "warnings",
        FactKind::TrialReference => "trial_references",
        FactKind::Link => "links",
        FactKind::DrugMention => "drug_mentions",
    }
}

/// Where a page's revision stands: the page, the revision and its moment.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// The page.
    pub page_id: i32,
    /// The revision that lists (or stops listing) the facts.
    pub revision_id: i32,
    /// When that revision was observed.
    pub time: DateTime<Utc>,
}

/// What changed in one kind's listing on one page.
#[derive(Debug, Default)]
pub struct ListingChange {
    /// Facts the page now lists that it did not before.
    pub added: Vec<i32>,
    /// Facts the page no longer lists.
    pub removed: Vec<i32>,
}

/// Sets the facts of `kind` that the page lists as of `at`, opening and closing intervals, and
/// marks delisted the facts no page lists any more.
pub async fn relist<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    at: At,
    listed: &BTreeSet<i32>,
) -> Result<ListingChange, DbErr> {
    let open: BTreeSet<i32> = fact_listings::Entity::find()
        .select_only()
        .column(fact_listings::Column::FactId)
        .filter(fact_listings::Column::FactKind.eq(kind))
        .filter(fact_listings::Column::PageId.eq(at.page_id))
        .filter(fact_listings::Column::ListedUntil.is_null())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let added: Vec<i32> = listed.difference(&open).copied().collect();
    let removed: Vec<i32> = open.difference(listed).copied().collect();
    for &fact_id in &added {
        fact_listings::ActiveModel {
            fact_kind: Set(kind),
            fact_id: Set(fact_id),
            page_id: Set(at.page_id),
            listed_from: Set(at.time),
            listed_until: Set(None),
            from_revision_id: Set(at.revision_id),
            until_revision_id: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    if !removed.is_empty() {
        fact_listings::Entity::update_many()
            .col_expr(fact_listings::Column::ListedUntil, Expr::value(at.time))
            .col_expr(
                fact_listings::Column::UntilRevisionId,
                Expr::value(at.revision_id),
            )
            .filter(fact_listings::Column::FactKind.eq(kind))
            .filter(fact_listings::Column::PageId.eq(at.page_id))
            .filter(fact_listings::Column::ListedUntil.is_null())
            .filter(fact_listings::Column::FactId.is_in(removed.clone()))
            .exec(db)
            .await?;
        let still_listed: BTreeSet<i32> = fact_listings::Entity::find()
            .select_only()
            .column(fact_listings::Column::FactId)
            .filter(fact_listings::Column::FactKind.eq(kind))
            .filter(fact_listings::Column::ListedUntil.is_null())
            .filter(fact_listings::Column::FactId.is_in(removed.clone()))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let gone: Vec<i32> = removed
            .iter()
            .copied()
            .filter(|id| !still_listed.contains(id))
            .collect();
        if !gone.is_empty() {
            let stmt = Query::update()
                .table(Alias::new(table_of(kind)))
                .value(Alias::new("delisted_at"), at.time)
                .and_where(Expr::col(Alias::new("id")).is_in(gone))
                .to_owned();
            db.execute(&stmt).await?;
        }
    }
    Ok(ListingChange { added, removed })
}
