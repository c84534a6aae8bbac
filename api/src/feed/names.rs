//! Names for what a change summary lists by slug, so that a partner reading the change feed or
//! a webhook delivery can show "Gemcitabine" without a second request: a drug's generic name, a
//! regimen's and a treatment's name, a warning's text. Delisted rows keep their names, so what a
//! change removed is named too.

use std::collections::{HashMap, HashSet};

use lmsdr_entity::{drugs, regimens, treatment_categories, treatments, warnings};
use lmsdr_ingest::store::keys::{split_treatment_key, treatment_key};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use serde_json::{Map, Value};

/// The kinds a summary lists.
const KINDS: [&str; 4] = ["treatments", "drugs", "regimens", "warnings"];

/// `(slug, name)` of a table's rows with the given slugs; nothing asked, no query.
async fn by_slug<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    slug: E::Column,
    name: E::Column,
    slugs: HashSet<String>,
) -> Result<Vec<(String, String)>, DbErr> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    E::find()
        .select_only()
        .columns([slug, name])
        .filter(slug.is_in(slugs))
        .into_tuple()
        .all(db)
        .await
}

/// Names by kind and slug.
#[derive(Debug, Default)]
pub struct Names(HashMap<(&'static str, String), String>);

impl Names {
    /// The names of everything the summaries list, in one query per kind.
    pub async fn of<C: ConnectionTrait>(db: &C, summaries: &[&Value]) -> Result<Self, DbErr> {
        let mut slugs: HashMap<&'static str, HashSet<String>> = HashMap::new();
        for summary in summaries {
            for kind in KINDS {
                for side in ["added", "removed"] {
                    let listed = summary[kind][side].as_array().into_iter().flatten();
                    slugs
                        .entry(kind)
                        .or_default()
                        .extend(listed.filter_map(Value::as_str).map(str::to_owned));
                }
            }
        }
        Self::of_slugs(db, &slugs).await
    }

    /// The names of the given slugs, by kind (`drugs`, …), in one query per kind.
    pub async fn of_slugs<C: ConnectionTrait>(
        db: &C,
        slugs: &HashMap<&'static str, HashSet<String>>,
    ) -> Result<Self, DbErr> {
        let mut names = HashMap::new();
        let mut put = |kind: &'static str, rows: Vec<(String, String)>| {
            names.extend(rows.into_iter().map(|(slug, name)| ((kind, slug), name)));
        };
        let wanted = |kind: &str| slugs.get(kind).cloned().unwrap_or_default();
        put(
            "drugs",
            by_slug::<drugs::Entity, _>(
                db,
                drugs::Column::Slug,
                drugs::Column::GenericName,
                wanted("drugs"),
            )
            .await?,
        );
        put(
            "regimens",
            by_slug::<regimens::Entity, _>(
                db,
                regimens::Column::Slug,
                regimens::Column::Name,
                wanted("regimens"),
            )
            .await?,
        );
        put(
            "warnings",
            by_slug::<warnings::Entity, _>(
                db,
                warnings::Column::Slug,
                warnings::Column::Text,
                wanted("warnings"),
            )
            .await?,
        );
        // Treatments are listed by key, `category/treatment`.
        let treatment_slugs: HashSet<String> = wanted("treatments")
            .iter()
            .map(|key| split_treatment_key(key).1.to_owned())
            .collect();
        if !treatment_slugs.is_empty() {
            let rows: Vec<(String, String, String)> = treatments::Entity::find()
                .select_only()
                .column(treatment_categories::Column::Slug)
                .columns([treatments::Column::Slug, treatments::Column::Name])
                .join(
                    JoinType::InnerJoin,
                    treatments::Relation::TreatmentCategories.def(),
                )
                .filter(treatments::Column::Slug.is_in(treatment_slugs))
                .into_tuple()
                .all(db)
                .await?;
            put(
                "treatments",
                rows.into_iter()
                    .map(|(category, slug, name)| (treatment_key(&category, &slug), name))
                    .collect(),
            );
        }
        Ok(Self(names))
    }

    /// The name of one slug of a kind.
    pub fn get(&self, kind: &'static str, slug: &str) -> Option<&str> {
        self.0.get(&(kind, slug.to_owned())).map(String::as_str)
    }

    /// The summary with a `names` object (slug to name) beside each kind's `added` and `removed`.
    pub fn annotate(&self, summary: &Value) -> Value {
        let mut out = summary.clone();
        for kind in KINDS {
            let Some(delta) = out.get_mut(kind).and_then(Value::as_object_mut) else {
                continue;
            };
            let mut named = Map::new();
            for side in ["added", "removed"] {
                for slug in delta
                    .get(side)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some(name) = self.0.get(&(kind, slug.to_owned())) {
                        named.insert(slug.to_owned(), Value::String(name.clone()));
                    }
                }
            }
            delta.insert("names".to_owned(), Value::Object(named));
        }
        out
    }
}
