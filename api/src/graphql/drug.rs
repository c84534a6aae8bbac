//! Drugs with their names and codes, and how treatments mention them.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{
    DrugNameKind as StoredKind, FactKind, Route as StoredRoute,
};
use lmsdr_entity::{drug_mentions, drug_names, drugs};
use lmsdr_ingest::extract::text::normalize_name;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, IntoSimpleExpr, QueryFilter};
use serde_json::Value;

use super::as_of::{listed, stated_at};
use super::context::{db, load_many, load_ordered, load_through, loaders};
use super::drug_mention::{DrugMention, Mentioned};
use super::enums::{DrugNameKind, Route};
use super::error::{Result, internal};
use super::ids::{NodeType, encode};
use super::limits;
use super::pagination::{self, Args, DrugConnection, DrugMentionConnection, Keyset};
use super::regimen::Regimen;
use super::relations::At;
use super::revision::{Provenance, source};
use super::scalars::Timestamp;
use super::treatment::Treatment;
use super::warning::Warning;

/// A drug, as stored, or as a listing stated it at an `asOf` moment (the third field), which its
/// relations follow.
#[derive(Debug, Clone)]
pub struct Drug(
    pub drugs::Model,
    pub Option<NamedThen>,
    pub Option<DateTime<Utc>>,
);

/// Drugs as stored, or, at an `asOf` moment, as the page stated them then (one query for all).
pub async fn drugs_at(
    ctx: &Context<'_>,
    mut rows: Vec<drugs::Model>,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<Drug>> {
    let then = stated_at(db(ctx)?, rows.iter_mut(), as_of).await?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let named = as_of.map(|_| NamedThen::read(then.get(&d.id)));
            Drug(d, named, as_of)
        })
        .collect())
}

/// What a listing called a drug and the routes it gave, at an `asOf` moment.
#[derive(Debug, Clone, Default)]
pub struct NamedThen {
    names: Option<Vec<lmsdr_ingest::extract::DrugName>>,
    routes: Option<Vec<StoredRoute>>,
}

impl NamedThen {
    /// Reads a drug's `names` and `routes` fields from its attribute history.
    fn read(fields: Option<&HashMap<String, Value>>) -> Self {
        let field = |name: &str| fields.and_then(|f| f.get(name)).cloned();
        Self {
            names: field("names").and_then(|v| serde_json::from_value(v).ok()),
            routes: field("routes").and_then(|v| serde_json::from_value(v).ok()),
        }
    }
}

/// One name of a drug.
#[derive(Debug, Clone, SimpleObject)]
pub struct DrugName {
    /// The name.
    pub name: String,
    /// Generic, brand, code name or abbreviation.
    pub kind: DrugNameKind,
}

impl Drug {
    /// A drug as stored now.
    pub fn now(row: drugs::Model) -> Self {
        Self(row, None, None)
    }

    /// The parent key of its relations ([`At::of`]).
    fn relations(&self) -> At {
        At::of(self.0.id, self.2, self.0.delisted_at)
    }

    /// Its names with their kinds: as stated at the `asOf` moment, else as stored.
    async fn all_names(&self, ctx: &Context<'_>) -> Result<Vec<(String, StoredKind)>> {
        if let Some(names) = self.1.as_ref().and_then(|then| then.names.as_ref()) {
            return Ok(names.iter().map(|n| (n.name.clone(), n.kind)).collect());
        }
        let names = load_many(&loaders(ctx)?.names_by_drug, self.0.id).await?;
        Ok(names.into_iter().map(|n| (n.name, n.kind)).collect())
    }

    async fn names_of(&self, ctx: &Context<'_>, kinds: &[StoredKind]) -> Result<Vec<String>> {
        Ok(self
            .all_names(ctx)
            .await?
            .into_iter()
            .filter(|(_, kind)| kinds.contains(kind))
            .map(|(name, _)| name)
            .collect())
    }
}

/// A drug the site names: its names and codes, the treatments and regimens it is part of, and
/// every sentence that names it.
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
    /// Code names ("ET-743"), as the exports give them.
    async fn code_names(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.names_of(ctx, &[StoredKind::CodeName]).await
    }
    /// Abbreviations ("DTIC"), as the exports give them.
    async fn abbreviations(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.names_of(ctx, &[StoredKind::Abbreviation]).await
    }
    /// Names it went by before ("deforolimus" for ridaforolimus), as the exports give them.
    async fn former_names(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.names_of(ctx, &[StoredKind::FormerName]).await
    }
    /// Every name with its kind.
    async fn names(&self, ctx: &Context<'_>) -> Result<Vec<DrugName>> {
        Ok(self
            .all_names(ctx)
            .await?
            .into_iter()
            .map(|(name, kind)| DrugName {
                name,
                kind: kind.into(),
            })
            .collect())
    }
    /// Pharmacological class.
    async fn drug_class(&self) -> Option<&str> {
        self.0.drug_class.as_deref()
    }
    /// Routes of administration the site gives for it.
    async fn routes(&self, ctx: &Context<'_>) -> Result<Vec<Route>> {
        if let Some(routes) = self.1.as_ref().and_then(|then| then.routes.as_ref()) {
            return Ok(routes.iter().copied().map(Route::from).collect());
        }
        let mentions = load_many(&loaders(ctx)?.mentions_by_drug, self.relations()).await?;
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
    /// Whether it left the market (olaratumab after the ANNOUNCE trial); `withdrawal` says why
    /// and when.
    async fn is_withdrawn(&self) -> bool {
        self.0.withdrawn.is_some()
    }
    /// Why and when it left the market, if it did.
    async fn withdrawal(&self) -> Option<&str> {
        self.0.withdrawn.as_deref()
    }
    /// Why and when it left the market, if it did.
    #[graphql(deprecation = "A reason, not a flag: use `isWithdrawn` and `withdrawal`.")]
    async fn withdrawn(&self) -> Option<&str> {
        self.0.withdrawn.as_deref()
    }
    /// Whether the site says it is in a trial (at `asOf`, whether it said so then). A drug the
    /// site no longer lists is not said to be in one.
    async fn in_trial(&self) -> bool {
        self.0.in_trial && (self.2.is_some() || self.0.delisted_at.is_none())
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
    async fn first_listed_at(&self) -> Timestamp {
        Timestamp(self.0.first_listed_at)
    }
    /// When it left the site, if it did.
    async fn delisted_at(&self) -> Option<Timestamp> {
        self.0.delisted_at.map(Timestamp)
    }
    /// Warnings about it.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn warnings(&self, ctx: &Context<'_>) -> Result<Vec<Warning>> {
        Ok(load_many(&loaders(ctx)?.warnings_by_drug, self.relations())
            .await?
            .into_iter()
            .map(Warning)
            .collect())
    }
    /// Regimens it is part of.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn regimens(&self, ctx: &Context<'_>) -> Result<Vec<Regimen>> {
        let loaders = loaders(ctx)?;
        let mut rows = load_through(
            &loaders.components_by_drug,
            self.relations(),
            &loaders.regimen,
            |c| c.regimen_id,
        )
        .await?;
        stated_at(db(ctx)?, rows.iter_mut(), self.2).await?;
        Ok(rows.into_iter().map(|r| Regimen(r, self.2)).collect())
    }
    /// Treatments that name it.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn treatments(&self, ctx: &Context<'_>) -> Result<Vec<Treatment>> {
        let loaders = loaders(ctx)?;
        let mut rows = load_through(
            &loaders.mentions_by_drug,
            self.relations(),
            &loaders.treatment,
            |m| m.treatment_id,
        )
        .await?;
        stated_at(db(ctx)?, rows.iter_mut(), self.2).await?;
        Ok(rows.into_iter().map(|t| Treatment(t, self.2)).collect())
    }
    /// Drugs the site calls the same drug ("Temodar (temozolomide) oral, same drug as, DTIC").
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn same_drug_as(&self, ctx: &Context<'_>) -> Result<Vec<Drug>> {
        let loaders = loaders(ctx)?;
        let mut ids: BTreeSet<i32> = load_many(&loaders.relations_by_drug, self.relations())
            .await?
            .into_iter()
            .map(|r| r.related_drug_id)
            .collect();
        ids.extend(
            load_many(&loaders.relations_by_related, self.relations())
                .await?
                .into_iter()
                .map(|r| r.drug_id),
        );
        let rows = load_ordered(&loaders.drug, ids.into_iter().collect()).await?;
        drugs_at(ctx, rows, self.2).await
    }
    /// Where it was first read.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.0.provenance_id).await
    }
    /// Every page and sentence that names it — treatment listings, news, FAQs, trial pages —
    /// in the order lmsdr first read them.
    #[graphql(complexity = "limits::page_cost(first, None, child_complexity)")]
    async fn mentions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many mentions to return (at most 100, 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Return the mentions after this cursor.")] after: Option<String>,
    ) -> Result<DrugMentionConnection> {
        let query = drug_mentions::Entity::find()
            .filter(drug_mentions::Column::DrugId.eq(self.0.id))
            .filter(drug_mentions::Column::DelistedAt.is_null());
        let keyset = Keyset {
            key: vec![drug_mentions::Column::Id.into_simple_expr()],
            descending: false,
            id: drug_mentions::Column::Id,
            id_of: |m: &drug_mentions::Model| m.id,
            base: drug_mentions::Entity::find(),
        };
        pagination::paginate(db(ctx)?, query, keyset, Args::forward(first, after), |m| {
            DrugMention(Mentioned::Sentence(m))
        })
        .await
        .map(Into::into)
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
    /// Drugs by slug; with `asOf`, those the site listed then, with the names, routes and
    /// class the page gave them then.
    #[allow(clippy::too_many_arguments, reason = "each is a GraphQL argument")]
    #[graphql(complexity = "limits::page_cost(first, last, child_complexity)")]
    async fn drugs(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start (at most 100, 20 when not given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many items to return from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which drugs: by any of their names, delisted or not.")] filter: Option<
            DrugFilter,
        >,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC), from the listing intervals every fact keeps."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<DrugConnection> {
        let as_of = as_of.map(|at| at.0);
        let filter = filter.unwrap_or_default();
        let mut query = drugs::Entity::find();
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
        let keyset = Keyset {
            key: vec![
                drugs::Column::Slug.into_simple_expr(),
                drugs::Column::Id.into_simple_expr(),
            ],
            descending: false,
            id: drugs::Column::Id,
            id_of: |d: &drugs::Model| d.id,
            base: drugs::Entity::find(),
        };
        let db = db(ctx)?;
        let mut slice = pagination::paginate(db, query, keyset, args, |d| d).await?;
        let then = stated_at(db, slice.items.iter_mut().map(|(_, d)| d), as_of).await?;
        Ok(slice
            .map(|d| {
                let named = as_of.map(|_| NamedThen::read(then.get(&d.id)));
                Drug(d, named, as_of)
            })
            .into())
    }

    /// A drug by slug (its generic name, e.g. `doxorubicin`).
    async fn drug(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The drug's slug, its generic name in lowercase, e.g. `doxorubicin`.")]
        slug: String,
        #[graphql(
            desc = "Answer as the site stood at this moment (RFC 3339; a date alone, or a time without an offset, is UTC): the drug as the page stated it then, with its treatments, regimens and warnings then."
        )]
        as_of: Option<Timestamp>,
    ) -> Result<Option<Drug>> {
        let as_of = as_of.map(|at| at.0);
        let mut query =
            drugs::Entity::find().filter(drugs::Column::Slug.eq(slug.trim().to_lowercase()));
        if as_of.is_some() {
            query = query.filter(listed(
                drugs::Column::Id,
                drugs::Column::DelistedAt,
                FactKind::Drug,
                as_of,
            ));
        }
        let row = query.one(db(ctx)?).await.map_err(internal)?;
        Ok(drugs_at(ctx, row.into_iter().collect(), as_of).await?.pop())
    }
}
