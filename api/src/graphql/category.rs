//! Treatment categories, in page order.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::treatment_categories;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::as_of::{all_stated, by_key, listed, stated_at};
use super::context::{db, load_many, loaders};
use super::error::Result;
use super::ids::{NodeType, encode};
use super::limits;
use super::relations::At;
use super::revision::{Provenance, source};
use super::scalars::Timestamp;
use super::treatment::Treatment;

/// A treatment category: a lead-in paragraph and the list it introduces.
#[derive(Debug, Clone)]
pub struct TreatmentCategory(pub treatment_categories::Model, pub Option<DateTime<Utc>>);

/// A treatment category: a lead-in paragraph naming a modality and the treatments it introduces.
#[Object]
impl TreatmentCategory {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::TreatmentCategory, self.0.id)
    }
    /// Stable identifier, e.g. `chemotherapy`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name, e.g. "Chemotherapy".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The lead-in paragraph, as written.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Populations the category is scoped to, e.g. "uterine LMS".
    async fn scope(&self) -> Vec<String> {
        self.0
            .scope
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
    /// 1-based position on its page.
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
    /// When it left the site, if it did.
    async fn delisted_at(&self) -> Option<Timestamp> {
        self.0.delisted_at.map(Timestamp)
    }
    /// Its treatments in page order (delisted ones only when asked for).
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn treatments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = false,
            desc = "Include the treatments the site no longer lists."
        )]
        include_delisted: bool,
    ) -> Result<Vec<Treatment>> {
        let loaders = loaders(ctx)?;
        let mut rows = if include_delisted && self.1.is_none() {
            load_many(&loaders.all_treatments_by_category, self.0.id).await?
        } else {
            let at = At::of(self.0.id, self.1, self.0.delisted_at);
            load_many(&loaders.treatments_by_category, at).await?
        };
        stated_at(db(ctx)?, rows.iter_mut(), self.1).await?;
        Ok(rows.into_iter().map(|t| Treatment(t, self.1)).collect())
    }
    /// Where it was read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// Queries about categories.
#[derive(Debug, Default)]
pub struct CategoryQuery;

#[Object]
impl CategoryQuery {
    /// The treatment categories the site lists (or listed at `asOf`, named and described as the
    /// page did then, with the treatments listed then), in page order.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn treatment_categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC), from the listing intervals every fact keeps."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Vec<TreatmentCategory>> {
        let as_of = as_of.map(|at| at.0);
        let db = db(ctx)?;
        let query = treatment_categories::Entity::find()
            .filter(listed(
                treatment_categories::Column::Id,
                treatment_categories::Column::DelistedAt,
                FactKind::Category,
                as_of,
            ))
            .order_by_asc(treatment_categories::Column::PageId)
            .order_by_asc(treatment_categories::Column::Position);
        let rows = all_stated(db, query, as_of).await?;
        Ok(rows
            .into_iter()
            .map(|row| TreatmentCategory(row, as_of))
            .collect())
    }

    /// A treatment category by slug (e.g. `chemotherapy`), listed now or not.
    async fn treatment_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The category's slug, e.g. `chemotherapy`.")] slug: String,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC): none if it was not listed then, else as the page stated it then."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Option<TreatmentCategory>> {
        let as_of = as_of.map(|at| at.0);
        let query = treatment_categories::Entity::find()
            .filter(treatment_categories::Column::Slug.eq(slug.trim().to_lowercase()))
            .order_by_asc(treatment_categories::Column::PageId)
            .order_by_asc(treatment_categories::Column::Position);
        let key = (
            treatment_categories::Column::Id,
            treatment_categories::Column::DelistedAt,
            FactKind::Category,
        );
        let rows = by_key(db(ctx)?, query, key, as_of).await?;
        Ok(rows.into_iter().next().map(|r| TreatmentCategory(r, as_of)))
    }
}
