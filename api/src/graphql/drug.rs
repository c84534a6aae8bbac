//! Drugs with their names and codes, and how treatments mention them.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{DrugNameKind as StoredKind, FactKind};
use lmsdr_entity::{drug_names, drugs, treatment_drugs};
use lmsdr_ingest::extract::text::normalize_name;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::as_of::listed;
use super::context::{db, load_many, load_one, load_ordered, loaders};
use super::enums::{DrugNameKind, Route};
use super::error::{Result, internal};
use super::ids::{NodeType, encode};
use super::page::{Provenance, source};
use super::pagination::{self, Args};
use super::regimen::Regimen;
use super::treatment::Treatment;
use super::warning::Warning;

/// A drug.
#[derive(Debug, Clone)]
pub struct Drug(pub drugs::Model);

/// One name of a drug.
#[derive(Debug, Clone, SimpleObject)]
pub struct DrugName {
    /// The name.
    pub name: String,
    /// Generic, brand, code name or abbreviation.
    pub kind: DrugNameKind,
}

impl Drug {
    async fn names_of(&self, ctx: &Context<'_>, kinds: &[StoredKind]) -> Result<Vec<String>> {
        let names = load_many(&loaders(ctx)?.names_by_drug, self.0.id).await?;
        Ok(names
            .into_iter()
            .filter(|n| kinds.contains(&n.kind))
            .map(|n| n.name)
            .collect())
    }
}

#[Object]
impl Drug {
    /// Global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeType::Drug, self.0.id)
    }
    /// Stable identifier (the generic name).
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// International non-proprietary name.
    async fn generic_name(&self) -> &str {
        &self.0.generic_name
    }
    /// Brand names.
    async fn brand_names(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.names_of(ctx, &[StoredKind::Brand]).await
    }
    /// Code names and abbreviations ("ET-743", "DTIC").
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.names_of(ctx, &[StoredKind::CodeName, StoredKind::Abbreviation])
            .await
    }
    /// Every name with its kind.
    async fn names(&self, ctx: &Context<'_>) -> Result<Vec<DrugName>> {
        let names = load_many(&loaders(ctx)?.names_by_drug, self.0.id).await?;
        Ok(names
            .into_iter()
            .map(|n| DrugName {
                name: n.name,
                kind: n.kind.into(),
            })
            .collect())
    }
    /// Pharmacological class.
    async fn drug_class(&self) -> Option<&str> {
        self.0.drug_class.as_deref()
    }
    /// Routes of administration the site gives for it.
    async fn routes(&self, ctx: &Context<'_>) -> Result<Vec<Route>> {
        let mentions = load_many(&loaders(ctx)?.mentions_by_drug, self.0.id).await?;
        let mut routes = Vec::new();
        for route in mentions
            .into_iter()
            .filter_map(|m| m.route)
            .map(Route::from)
        {
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
        Ok(routes)
    }
    /// WHO ATC code.
    async fn atc_code(&self) -> Option<&str> {
        self.0.atc_code.as_deref()
    }
    /// The ATC code before a reclassification.
    async fn atc_code_previous(&self) -> Option<&str> {
        self.0.atc_code_previous.as_deref()
    }
    /// RxNorm concept ID, where a source confirmed it.
    async fn rxcui(&self) -> Option<&str> {
        self.0.rxcui.as_deref()
    }
    /// Whether the site says it is in a trial.
    async fn in_trial(&self) -> bool {
        self.0.in_trial
    }
    /// Whether the curated vocabulary knows it (unverified names are kept, flagged).
    async fn verified(&self) -> bool {
        self.0.verified
    }
    /// Whether the site lists it now.
    async fn currently_listed(&self) -> bool {
        self.0.delisted_at.is_none()
    }
    /// When it was first listed.
    async fn first_listed_at(&self) -> DateTime<Utc> {
        self.0.first_listed_at
    }
    /// When it left the site, if it did.
    async fn delisted_at(&self) -> Option<DateTime<Utc>> {
        self.0.delisted_at
    }
    /// Warnings about it.
    async fn warnings(&self, ctx: &Context<'_>) -> Result<Vec<Warning>> {
        Ok(load_many(&loaders(ctx)?.warnings_by_drug, self.0.id)
            .await?
            .into_iter()
            .map(Warning)
            .collect())
    }
    /// Regimens it is part of.
    async fn regimens(&self, ctx: &Context<'_>) -> Result<Vec<Regimen>> {
        let loaders = loaders(ctx)?;
        let ids: Vec<i32> = load_many(&loaders.components_by_drug, self.0.id)
            .await?
            .into_iter()
            .map(|c| c.regimen_id)
            .collect();
        Ok(load_ordered(&loaders.regimen, ids)
            .await?
            .into_iter()
            .map(Regimen)
            .collect())
    }
    /// Treatments that name it.
    async fn treatments(&self, ctx: &Context<'_>) -> Result<Vec<Treatment>> {
        let loaders = loaders(ctx)?;
        let ids: Vec<i32> = load_many(&loaders.mentions_by_drug, self.0.id)
            .await?
            .into_iter()
            .map(|m| m.treatment_id)
            .collect();
        Ok(load_ordered(&loaders.treatment, ids)
            .await?
            .into_iter()
            .map(Treatment)
            .collect())
    }
    /// Drugs the site calls the same drug ("Temodar (temozolomide) oral, same drug as, DTIC").
    async fn same_drug_as(&self, ctx: &Context<'_>) -> Result<Vec<Drug>> {
        let loaders = loaders(ctx)?;
        let mut ids: BTreeSet<i32> = load_many(&loaders.relations_by_drug, self.0.id)
            .await?
            .into_iter()
            .map(|r| r.related_drug_id)
            .collect();
        ids.extend(
            load_many(&loaders.relations_by_related, self.0.id)
                .await?
                .into_iter()
                .map(|r| r.drug_id),
        );
        Ok(load_ordered(&loaders.drug, ids.into_iter().collect())
            .await?
            .into_iter()
            .map(Drug)
            .collect())
    }
    /// Where it was first read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// How a treatment names a drug.
#[derive(Debug, Clone)]
pub struct DrugMention(pub treatment_drugs::Model);

#[Object]
impl DrugMention {
    /// The drug.
    async fn drug(&self, ctx: &Context<'_>) -> Result<Option<Drug>> {
        Ok(load_one(&loaders(ctx)?.drug, self.0.drug_id)
            .await?
            .map(Drug))
    }
    /// The words the page used, e.g. "Adriamycin (doxorubicin)".
    async fn name_as_written(&self) -> &str {
        &self.0.name_as_written
    }
    /// The route the page gives, if any.
    async fn route(&self) -> Option<Route> {
        self.0.route.map(Route::from)
    }
    /// Where it was read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
}

/// Which drugs to list.
#[derive(Debug, Default, InputObject)]
pub struct DrugFilter {
    /// Any generic, brand or code name or abbreviation, case-insensitive; a part of one matches.
    pub name: Option<String>,
    /// Include drugs the site no longer lists.
    pub include_delisted: Option<bool>,
}

/// Queries about drugs.
#[derive(Debug, Default)]
pub struct DrugQuery;

#[Object]
impl DrugQuery {
    /// Drugs by slug; with `asOf`, those the site listed then.
    #[allow(clippy::too_many_arguments, reason = "each is a GraphQL argument")]
    async fn drugs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<DrugFilter>,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<pagination::Page<Drug>> {
        let filter = filter.unwrap_or_default();
        let mut query = drugs::Entity::find().order_by_asc(drugs::Column::Slug);
        if let Some(name) = filter.name {
            let key = normalize_name(&name);
            let pattern = format!("%{key}%");
            query = query.filter(
                drugs::Column::Id.in_subquery(
                    Query::select()
                        .column(drug_names::Column::DrugId)
                        .from(drug_names::Entity)
                        .and_where(Expr::col(drug_names::Column::NormalizedName).like(pattern))
                        .to_owned(),
                ),
            );
        }
        if as_of.is_some() || !filter.include_delisted.unwrap_or(false) {
            query = query.filter(listed(
                drugs::Column::Id,
                drugs::Column::DelistedAt,
                FactKind::Drug,
                as_of,
            ));
        }
        let args = Args {
            first,
            after,
            last,
            before,
        };
        pagination::paginate(db(ctx)?, query, args, Drug).await
    }

    /// A drug by slug (its generic name, e.g. `doxorubicin`).
    async fn drug(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Drug>> {
        let row = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq(slug.trim().to_lowercase()))
            .one(db(ctx)?)
            .await
            .map_err(internal)?;
        Ok(row.map(Drug))
    }
}
