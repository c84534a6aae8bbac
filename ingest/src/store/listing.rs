//! Listing intervals: which facts a page lists, since when, and until when.
//!
//! Each fact a page lists has an open interval in `fact_listings`. When a revision no longer
//! lists it, the interval is closed; when no page lists it any more, the fact itself is marked
//! delisted (never deleted). Answering "what did the site say on date D" reads these intervals.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::fact_listings;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, Set,
};

/// Listing intervals open at `at`: `listed_from <= at < listed_until` (or not closed). The one
/// rule of "listed at a moment", for `asOf` and for the review of a held capture alike.
pub fn open_at(at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(fact_listings::Column::ListedFrom.lte(at))
        .add(
            Condition::any()
                .add(fact_listings::Column::ListedUntil.is_null())
                .add(fact_listings::Column::ListedUntil.gt(at)),
        )
}

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

/// Writes, in the past, the facts of `kind` that a capture older than the page's current
/// revision lists: between `at` and the page's next accepted capture `next`, intervals are opened,
/// split or closed so that the page lists exactly `listed` over `[at, next)`; what the page lists
/// from `next` on is untouched. Returns what the capture changed against the one before it, and
/// what `next` now changes against the capture.
pub async fn relist_past<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    at: At,
    next: At,
    listed: &BTreeSet<i32>,
) -> Result<(ListingChange, ListingChange), DbErr> {
    let rows = fact_listings::Entity::find()
        .filter(fact_listings::Column::FactKind.eq(kind))
        .filter(fact_listings::Column::PageId.eq(at.page_id))
        .filter(fact_listings::Column::ListedFrom.lte(next.time))
        .all(db)
        .await?;
    let covers = |row: &fact_listings::Model, time: DateTime<Utc>| {
        row.listed_from <= time && row.listed_until.is_none_or(|until| until > time)
    };
    let before: HashMap<i32, &fact_listings::Model> = rows
        .iter()
        .filter(|row| covers(row, at.time))
        .map(|row| (row.fact_id, row))
        .collect();
    let from_next: HashMap<i32, &fact_listings::Model> = rows
        .iter()
        .filter(|row| row.listed_from == next.time && row.from_revision_id == next.revision_id)
        .map(|row| (row.fact_id, row))
        .collect();
    let at_next: BTreeSet<i32> = rows
        .iter()
        .filter(|row| covers(row, next.time))
        .map(|row| row.fact_id)
        .collect();
    let listed_before: BTreeSet<i32> = before.keys().copied().collect();
    let added: Vec<i32> = listed.difference(&listed_before).copied().collect();
    let removed: Vec<i32> = listed_before.difference(listed).copied().collect();

    for fact_id in &added {
        match from_next.get(fact_id) {
            // Listed from the next capture on: it was listed from this one already.
            Some(row) => {
                let mut row = (*row).clone().into_active_model();
                row.listed_from = Set(at.time);
                row.from_revision_id = Set(at.revision_id);
                row.update(db).await?;
            }
            None => {
                fact_listings::ActiveModel {
                    fact_kind: Set(kind),
                    fact_id: Set(*fact_id),
                    page_id: Set(at.page_id),
                    listed_from: Set(at.time),
                    listed_until: Set(Some(next.time)),
                    from_revision_id: Set(at.revision_id),
                    until_revision_id: Set(Some(next.revision_id)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    for fact_id in &removed {
        let Some(row) = before.get(fact_id) else {
            continue;
        };
        if row.listed_until.is_none_or(|until| until > next.time) {
            // Listed again from the next capture on.
            fact_listings::ActiveModel {
                fact_kind: Set(kind),
                fact_id: Set(*fact_id),
                page_id: Set(at.page_id),
                listed_from: Set(next.time),
                listed_until: Set(row.listed_until),
                from_revision_id: Set(next.revision_id),
                until_revision_id: Set(row.until_revision_id),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        let mut row = (*row).clone().into_active_model();
        row.listed_until = Set(Some(at.time));
        row.until_revision_id = Set(Some(at.revision_id));
        row.update(db).await?;
    }
    widen(db, kind, listed, at.time, next.time).await?;
    settle_delisted(db, kind, &removed).await?;
    let next_change = ListingChange {
        added: at_next.difference(listed).copied().collect(),
        removed: listed.difference(&at_next).copied().collect(),
    };
    Ok((ListingChange { added, removed }, next_change))
}

/// Sets when facts a past capture stopped listing were delisted, for those no page lists now:
/// the end of their last interval, which the capture may have moved earlier.
async fn settle_delisted<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact_ids: &[i32],
) -> Result<(), DbErr> {
    if fact_ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i32, Option<DateTime<Utc>>)> = fact_listings::Entity::find()
        .select_only()
        .columns([
            fact_listings::Column::FactId,
            fact_listings::Column::ListedUntil,
        ])
        .filter(fact_listings::Column::FactKind.eq(kind))
        .filter(fact_listings::Column::FactId.is_in(fact_ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    // Per fact: the end of its last interval, or none while one is open.
    let mut ends: HashMap<i32, Option<DateTime<Utc>>> = HashMap::new();
    for (fact_id, until) in rows {
        let end = ends.entry(fact_id).or_insert(until);
        *end = match (*end, until) {
            (Some(a), Some(b)) => Some(Ord::max(a, b)),
            _ => None,
        };
    }
    for (fact_id, end) in ends {
        let Some(end) = end else { continue };
        let stmt = Query::update()
            .table(Alias::new(table_of(kind)))
            .value(Alias::new("delisted_at"), end)
            .and_where(Expr::col(Alias::new("id")).eq(fact_id))
            .and_where(Expr::col(Alias::new("delisted_at")).is_not_null())
            .to_owned();
        db.execute(&stmt).await?;
    }
    Ok(())
}

/// Widens the listing times of facts a past capture lists: first listed no later than it, last
/// listed no earlier, and — for those no page lists now — delisted no earlier than `until`.
async fn widen<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    listed: &BTreeSet<i32>,
    at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    if listed.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = listed.iter().copied().collect();
    let col = |name: &str| Expr::col(Alias::new(name));
    let updates = [
        ("first_listed_at", at, col("first_listed_at").gt(at)),
        ("last_listed_at", at, col("last_listed_at").lt(at)),
        ("delisted_at", until, col("delisted_at").lt(until)),
    ];
    for (column, value, when) in updates {
        let stmt = Query::update()
            .table(Alias::new(table_of(kind)))
            .value(Alias::new(column), value)
            .and_where(col("id").is_in(ids.clone()))
            .and_where(when)
            .to_owned();
        db.execute(&stmt).await?;
    }
    Ok(())
}
