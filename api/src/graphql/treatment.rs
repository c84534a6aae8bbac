//! Treatments: the list items of each category.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::{treatment_categories, treatments};
use lmsdr_ingest::store::keys::{split_treatment_key, treatment_key};
use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoIden};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, IntoSimpleExpr, QueryFilter, QuerySelect, RelationTrait,
};

use super::as_of::{all_stated, by_key, listed, stated_at};
use super::category::TreatmentCategory;
use super::context::{db, load_many, load_one, load_through, loaders};
use super::drug::{Drug, drugs_at};
use super::drug_mention::{DrugMention, Mentioned};
use super::enums::TreatmentStatus;
use super::error::{Result, bad_input, internal};
use super::ids::{NodeType, encode};
use super::limits;
use super::pagination::{self, Args, Keyset, TreatmentConnection};
use super::regimen::Regimen;
use super::relations::At;
use super::revision::{Provenance, source};
use super::scalars::Timestamp;

/// One treatment, as a list item of its category, as stored or as stated at an `asOf` moment
/// (the second field), which its relations follow.
#[derive(Debug, Clone)]
pub struct Treatment(pub treatments::Model, pub Option<DateTime<Utc>>);

impl Treatment {
    /// The parent key of its relations ([`At::of`]).
    fn relations(&self) -> At {
        At::of(self.0.id, self.1, self.0.delisted_at)
    }
}

/// One treatment: a list item of a treatment category, with its status, drugs and source.
#[Object]
impl Treatment {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Treatment, self.0.id)
    }
    /// Stable key, `category/treatment` (e.g. `chemotherapy/pazopanib`): a treatment's own slug
    /// is unique only within its category. The same key as the change feed's and every export's.
    async fn slug(&self, ctx: &Context<'_>) -> Result<String> {
        let category = load_one(&loaders(ctx)?.category, self.0.category_id)
            .await?
            .ok_or_else(|| internal(format!("treatment {} has no category", self.0.id)))?;
        Ok(treatment_key(&category.slug, &self.0.slug))
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its category.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<TreatmentCategory>> {
        Ok(load_one(&loaders(ctx)?.category, self.0.category_id)
            .await?
            .map(|c| TreatmentCategory(c, None)))
    }
    /// Standard, in trial or investigational.
    async fn status(&self) -> TreatmentStatus {
        self.0.status.into()
    }
    /// Listed as a first-line choice.
    async fn first_line(&self) -> bool {
        self.0.first_line
    }
    /// 1-based position within its category.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Whether the site lists it now.
    async fn currently_listed(&self) -> bool {
        self.0.delisted_at.is_none()
    }
    /// When it was first listed.
    async fn first_listed_at(&self) -> Timestamp {
        Timestamp(self.0.first_listed_at)
    }
    /// When it was last seen listed.
    async fn last_listed_at(&self) -> Timestamp {
        Timestamp(self.0.last_listed_at)
    }
    /// When it left the site, if it did.
    async fn delisted_at(&self) -> Option<Timestamp> {
        self.0.delisted_at.map(Timestamp)
    }
    /// The approval its item states ("approved by the FDA in October 2015"): who approved it and
    /// when, as the page stated it (at `asOf`, as it stated it then).
    async fn approval(&self) -> Option<Approval> {
        let value = self.0.approval.clone()?;
        serde_json::from_value::<lmsdr_ingest::extract::Approval>(value)
            .ok()
            .map(|a| Approval {
                by: a.by,
                on: a.on,
                text: a.text,
            })
    }
    /// The phase of the trial its item names: `1`, `2`, `3`, `4`, or a span such as `1/2` (at
    /// `asOf`, as the page stated it then).
    async fn trial_phase(&self) -> Option<&str> {
        self.0.trial_phase.as_deref()
    }
    /// The drugs it names, in order.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn drugs(&self, ctx: &Context<'_>) -> Result<Vec<Drug>> {
        let loaders = loaders(ctx)?;
        let rows = load_through(
            &loaders.mentions_by_treatment,
            self.relations(),
            &loaders.drug,
            |m| m.drug_id,
        )
        .await?;
        drugs_at(ctx, rows, self.1).await
    }
    /// How it names each drug: the words used and the route given.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn drug_mentions(&self, ctx: &Context<'_>) -> Result<Vec<DrugMention>> {
        let mentions = load_many(&loaders(ctx)?.mentions_by_treatment, self.relations()).await?;
        Ok(mentions
            .into_iter()
            .map(|m| DrugMention(Mentioned::Treatment(m)))
            .collect())
    }
    /// The combination regimen it is, if it is one.
    async fn regimen(&self, ctx: &Context<'_>) -> Result<Option<Regimen>> {
        match self.0.regimen_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.regimen, id)
                .await?
                .map(|r| Regimen(r, self.1))),
            None => Ok(None),
        }
    }
    /// Where it was read: page, revision and the list item.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// An approval a treatment's item states.
#[derive(Debug, Clone, SimpleObject)]
pub struct Approval {
    /// The body that approved it, as the page names it ("FDA"), if it names one.
    pub by: Option<String>,
    /// When, as precisely as the page says: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub on: Option<String>,
    /// The words that state it ("approved by the FDA in October 2015").
    pub text: String,
}

/// Which treatments to list.
#[derive(Debug, Default, InputObject)]
pub struct TreatmentFilter {
    /// A category's slug or name (case-insensitive).
    pub category: Option<String>,
    /// Only treatments of this status.
    pub status: Option<TreatmentStatus>,
    /// Include treatments the site no longer lists.
    pub include_delisted: Option<bool>,
}

/// Queries about treatments.
#[derive(Debug, Default)]
pub struct TreatmentQuery;

#[Object]
impl TreatmentQuery {
    /// Treatments in page order (category, then position); with `asOf`, those listed then, with
    /// the names and statuses the page gave them then.
    #[allow(clippy::too_many_arguments, reason = "each is a GraphQL argument")]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn treatments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start (at most 100, 20 when not given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many items to return from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which treatments: by category, status, delisted or not.")] filter: Option<
            TreatmentFilter,
        >,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC), from the listing intervals every fact keeps."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<TreatmentConnection> {
        let as_of = as_of.map(|at| at.0);
        let filter = filter.unwrap_or_default();
        let joined = || {
            treatments::Entity::find().join(
                sea_orm::JoinType::InnerJoin,
                treatments::Relation::TreatmentCategories.def(),
            )
        };
        let mut query = joined();
        if let Some(category) = filter.category {
            let wanted = category.trim().to_lowercase();
            query = query.filter(
                Condition::any()
                    .add(treatment_categories::Column::Slug.eq(wanted.clone()))
                    .add(
                        Expr::expr(Func::lower(Expr::col((
                            treatment_categories::Entity,
                            treatment_categories::Column::Name,
                        ))))
                        .eq(wanted),
                    ),
            );
        }
        let db = db(ctx)?;
        if let Some(status) = filter.status {
            let wanted = lmsdr_entity::sea_orm_active_enums::TreatmentStatus::from(status);
            query = match as_of {
                None => query.filter(treatments::Column::Status.eq(wanted)),
                Some(at) => {
                    // The status the page gave then, which the stored row may no longer hold.
                    let listed_then = treatments::Entity::find().filter(listed(
                        treatments::Column::Id,
                        treatments::Column::DelistedAt,
                        FactKind::Treatment,
                        Some(at),
                    ));
                    let then = all_stated(db, listed_then, Some(at)).await?;
                    let ids: Vec<i32> = then
                        .iter()
                        .filter(|t| t.status == wanted)
                        .map(|t| t.id)
                        .collect();
                    query.filter(treatments::Column::Id.is_in(ids))
                }
            };
        }
        if as_of.is_some() || !filter.include_delisted.unwrap_or(false) {
            query = query.filter(listed(
                treatments::Column::Id,
                treatments::Column::DelistedAt,
                FactKind::Treatment,
                as_of,
            ));
        }
        let args = Args {
            first,
            after,
            last,
            before,
        };
        let column = |table, column| Expr::col((table, column)).into_simple_expr();
        let keyset = Keyset {
            // Page order: the category's page and place, then the treatment's place in it.
            key: vec![
                column(
                    treatment_categories::Entity.into_iden(),
                    treatment_categories::Column::PageId.into_iden(),
                ),
                column(
                    treatment_categories::Entity.into_iden(),
                    treatment_categories::Column::Position.into_iden(),
                ),
                column(
                    treatments::Entity.into_iden(),
                    treatments::Column::Position.into_iden(),
                ),
                column(
                    treatments::Entity.into_iden(),
                    treatments::Column::Id.into_iden(),
                ),
            ],
            descending: false,
            id: treatments::Column::Id,
            id_of: |t: &treatments::Model| t.id,
            base: joined(),
        };
        let mut slice = pagination::paginate(db, query, keyset, args, |t| t).await?;
        stated_at(db, slice.items.iter_mut().map(|(_, t)| t), as_of).await?;
        Ok(slice.map(|t| Treatment(t, as_of)).into())
    }

    /// A treatment by its key, `category/slug` (e.g. `chemotherapy/pazopanib`, as the change
    /// feed names it), or by its slug alone when only one category holds it; listed now or not.
    async fn treatment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "`category/slug`, e.g. `chemotherapy/pazopanib`; or the slug alone when only one category holds it."
        )]
        slug: String,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC): none if it was not listed then, else as the page stated it then."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Option<Treatment>> {
        let as_of = as_of.map(|at| at.0);
        let key = slug.trim().to_lowercase();
        let (category, item) = split_treatment_key(&key);
        let mut query = treatments::Entity::find()
            .join(
                sea_orm::JoinType::InnerJoin,
                treatments::Relation::TreatmentCategories.def(),
            )
            .filter(treatments::Column::Slug.eq(item));
        if let Some(category) = category {
            query = query.filter(treatment_categories::Column::Slug.eq(category));
        }
        let key = (
            treatments::Column::Id,
            treatments::Column::DelistedAt,
            FactKind::Treatment,
        );
        let rows = by_key(db(ctx)?, query, key, as_of).await?;
        if rows.len() > 1 {
            return Err(bad_input(format!(
                "`{item}` names a treatment in {} categories: ask for `category/{item}`",
                rows.len()
            )));
        }
        Ok(rows.into_iter().next().map(|t| Treatment(t, as_of)))
    }
}
