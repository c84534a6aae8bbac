//! Warnings ("Tamoxifen has been contra-indicated for uterine LMS").

use async_graphql::{Context, ID, Object};

use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::warnings;
use sea_orm::{EntityTrait, QueryFilter, QueryOrder};

use super::as_of::{all_stated, listed};
use super::limits;
use super::scalars::Timestamp;

use super::category::TreatmentCategory;
use super::context::{db, load_one, loaders};
use super::drug::Drug;
use super::enums::WarningKind;
use super::error::Result;
use super::ids::{NodeType, encode};
use super::revision::{Provenance, source};

/// A warning the site gives.
#[derive(Debug, Clone)]
pub struct Warning(pub warnings::Model);

/// A warning the site gives, with the population it applies to and the drug it concerns.
#[Object]
impl Warning {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Warning, self.0.id)
    }
    /// Stable identifier.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Contraindication or caution.
    async fn kind(&self) -> WarningKind {
        self.0.kind.into()
    }
    /// The warning's text.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The population it applies to, e.g. "uterine LMS".
    async fn population(&self) -> Option<&str> {
        self.0.population.as_deref()
    }
    /// The drug it is about.
    async fn drug(&self, ctx: &Context<'_>) -> Result<Option<Drug>> {
        match self.0.drug_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.drug, id).await?.map(Drug::now)),
            None => Ok(None),
        }
    }
    /// The category it stands in.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<TreatmentCategory>> {
        match self.0.category_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.category, id)
                .await?
                .map(|c| TreatmentCategory(c, None))),
            None => Ok(None),
        }
    }
    /// Whether the site lists it now.
    async fn currently_listed(&self) -> bool {
        self.0.delisted_at.is_none()
    }
    /// Where it was read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// Queries about warnings.
#[derive(Debug, Default)]
pub struct WarningQuery;

#[Object]
impl WarningQuery {
    /// The warnings the site gives (or gave at `asOf`, in the words and for the populations it
    /// gave then).
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn warnings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC), from the listing intervals and the attribute history every fact keeps."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Vec<Warning>> {
        let as_of = as_of.map(|at| at.0);
        let db = db(ctx)?;
        let query = warnings::Entity::find()
            .filter(listed(
                warnings::Column::Id,
                warnings::Column::DelistedAt,
                FactKind::Warning,
                as_of,
            ))
            .order_by_asc(warnings::Column::Id);
        let rows = all_stated(db, query, as_of).await?;
        Ok(rows.into_iter().map(Warning).collect())
    }
}
