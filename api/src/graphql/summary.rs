//! What a revision or a change added and removed, by slug, with each slug's name.

use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, SimpleObject};
use sea_orm::DatabaseConnection;

use super::context::loaders;
use super::error::{Result, internal};
use super::loaders::LoadError;
use crate::feed::Names;

/// The kinds a summary lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Treatments.
    #[default]
    Treatments,
    /// Drugs.
    Drugs,
    /// Regimens.
    Regimens,
    /// Warnings.
    Warnings,
}

impl Kind {
    /// Its key in a stored summary.
    fn key(self) -> &'static str {
        match self {
            Kind::Treatments => "treatments",
            Kind::Drugs => "drugs",
            Kind::Regimens => "regimens",
            Kind::Warnings => "warnings",
        }
    }
}

/// A slug and the name it stands for.
#[derive(Debug, Clone, SimpleObject)]
pub struct SlugName {
    /// The slug, as in `added` or `removed`.
    pub slug: String,
    /// A drug's generic name, a treatment's or regimen's name, a warning's text.
    pub name: String,
}

/// Added and removed items of one kind.
#[derive(Debug, Clone, Default, SimpleObject, serde::Deserialize)]
#[serde(default)]
#[graphql(complex)]
pub struct Delta {
    /// Newly listed.
    pub added: Vec<String>,
    /// No longer listed.
    pub removed: Vec<String>,
    /// The kind.
    #[serde(skip)]
    #[graphql(skip)]
    kind: Kind,
}

#[ComplexObject]
impl Delta {
    /// The name of each slug added or removed (delisted items keep theirs).
    async fn names(&self, ctx: &Context<'_>) -> Result<Vec<SlugName>> {
        let keys: Vec<(Kind, String)> = self
            .added
            .iter()
            .chain(&self.removed)
            .map(|slug| (self.kind, slug.clone()))
            .collect();
        let found = loaders(ctx)?
            .slug_name
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
        Ok(keys
            .into_iter()
            .filter_map(|key| {
                found.get(&key).map(|name| SlugName {
                    slug: key.1,
                    name: name.clone(),
                })
            })
            .collect())
    }
}

/// What a revision added to and removed from its page.
#[derive(Debug, Clone, Default, SimpleObject, serde::Deserialize)]
#[serde(default)]
pub struct RevisionSummary {
    /// Treatments, as `category/treatment` slugs.
    pub treatments: Delta,
    /// Drugs, by slug.
    pub drugs: Delta,
    /// Regimens, by slug.
    pub regimens: Delta,
    /// Warnings, by slug.
    pub warnings: Delta,
}

impl RevisionSummary {
    /// A summary as stored; `None` when it does not read as one.
    pub fn from_stored(stored: &serde_json::Value) -> Option<Self> {
        let mut summary: Self = serde_json::from_value(stored.clone()).ok()?;
        summary.treatments.kind = Kind::Treatments;
        summary.drugs.kind = Kind::Drugs;
        summary.regimens.kind = Kind::Regimens;
        summary.warnings.kind = Kind::Warnings;
        Some(summary)
    }
}

/// Names by kind and slug, for every summary of a request at once.
pub struct SlugNames {
    /// The connection.
    pub db: DatabaseConnection,
}

impl Loader<(Kind, String)> for SlugNames {
    type Value = String;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Kind, String)],
    ) -> std::result::Result<HashMap<(Kind, String), String>, LoadError> {
        let mut slugs: HashMap<&'static str, HashSet<String>> = HashMap::new();
        for (kind, slug) in keys {
            slugs.entry(kind.key()).or_default().insert(slug.clone());
        }
        let names = Names::of_slugs(&self.db, &slugs).await?;
        Ok(keys
            .iter()
            .filter_map(|(kind, slug)| {
                names
                    .get(kind.key(), slug)
                    .map(|name| ((*kind, slug.clone()), name.to_owned()))
            })
            .collect())
    }
}
