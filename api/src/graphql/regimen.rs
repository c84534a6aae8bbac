//! Combination regimens ("Gem/Tax", "AIM").

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use lmsdr_entity::regimens;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::as_of::{all_stated, by_key, listed};
use super::context::{db, load_through, loaders};
use super::drug::{Drug, drugs_at};
use super::error::Result;
use super::ids::{NodeType, encode};
use super::limits;
use super::relations::At;
use super::revision::{Provenance, source};
use super::scalars::Timestamp;

/// A combination regimen, as stored or as stated at an `asOf` moment (the second field), which
/// its drugs follow.
#[derive(Debug, Clone)]
pub struct Regimen(pub regimens::Model, pub Option<DateTime<Utc>>);

/// A combination regimen the site lists ("Gem/Tax", "AIM"), with its drugs in order.
#[Object]
impl Regimen {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Regimen, self.0.id)
    }
    /// Stable identifier, e.g. `gem-tax`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Its name as written, e.g. "Gem/Tax".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its components as written, e.g. "Gemzar + Taxotere".
    async fn components(&self) -> &str {
        &self.0.components
    }
    /// Listed as a first-line choice.
    async fn first_line(&self) -> bool {
        self.0.first_line
    }
    /// Whether the site lists it now.
    async fn currently_listed(&self) -> bool {
        self.0.delisted_at.is_none()
    }
    /// Its drugs, in order.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn drugs(&self, ctx: &Context<'_>) -> Result<Vec<Drug>> {
        let loaders = loaders(ctx)?;
        let at = At::of(self.0.id, self.1, self.0.delisted_at);
        let rows = load_through(&loaders.components_by_regimen, at, &loaders.drug, |c| {
            c.drug_id
        })
        .await?;
        drugs_at(ctx, rows, self.1).await
    }
    /// Where it was read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// Queries about regimens.
#[derive(Debug, Default)]
pub struct RegimenQuery;

#[Object]
impl RegimenQuery {
    /// The regimens the site lists (or listed at `asOf`, as the page stated them then),
    /// first-line first.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn regimens(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC), from the listing intervals every fact keeps."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Vec<Regimen>> {
        let as_of = as_of.map(|at| at.0);
        let db = db(ctx)?;
        let query = regimens::Entity::find()
            .filter(listed(
                regimens::Column::Id,
                regimens::Column::DelistedAt,
                FactKind::Regimen,
                as_of,
            ))
            .order_by_desc(regimens::Column::FirstLine)
            .order_by_asc(regimens::Column::Id);
        let rows = all_stated(db, query, as_of).await?;
        Ok(rows.into_iter().map(|r| Regimen(r, as_of)).collect())
    }

    /// A regimen by slug (e.g. `gem-tax`), listed now or not.
    async fn regimen(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The regimen's slug, e.g. `gem-tax`.")] slug: String,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC): none if it was not listed then, else as the page stated it then."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Option<Regimen>> {
        let as_of = as_of.map(|at| at.0);
        let query =
            regimens::Entity::find().filter(regimens::Column::Slug.eq(slug.trim().to_lowercase()));
        let key = (
            regimens::Column::Id,
            regimens::Column::DelistedAt,
            FactKind::Regimen,
        );
        let rows = by_key(db(ctx)?, query, key, as_of).await?;
        Ok(rows.into_iter().next().map(|r| Regimen(r, as_of)))
    }
}
