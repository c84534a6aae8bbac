//! Drugs as the page names them: the drug, its names, and how drugs relate.

use std::collections::{BTreeMap, HashMap};

use lmsdr_entity::sea_orm_active_enums::{DrugNameKind, FactKind, Route};
use lmsdr_entity::{drug_names, drug_relations, drugs, treatment_drugs};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::Deriver;
use crate::extract::text::normalize_name;
use crate::extract::{Document, DrugName};
use crate::store::versions;

/// The routes each drug is given by, as a document's treatments state them.
pub(super) fn routes_by_drug(doc: &Document) -> HashMap<String, Vec<Route>> {
    let mut routes: HashMap<String, Vec<Route>> = HashMap::new();
    let mentions = doc
        .categories
        .iter()
        .flat_map(|c| &c.treatments)
        .flat_map(|t| &t.drugs);
    for mention in mentions {
        if let Some(route) = mention.route {
            routes.entry(mention.drug.clone()).or_default().push(route);
        }
    }
    routes
}

fn doc_routes<'r>(
    routes: &'r HashMap<String, Vec<Route>>,
    slug: &str,
) -> impl Iterator<Item = Route> + 'r {
    routes.get(slug).into_iter().flatten().copied()
}

/// Routes in one order whatever order they were read in (by their stored value), each once.
fn routes_of(routes: impl Iterator<Item = Route>) -> Vec<Route> {
    let by_value: BTreeMap<String, Route> = routes.map(|r| (r.to_value(), r)).collect();
    by_value.into_values().collect()
}

impl<C: ConnectionTrait> Deriver<'_, C> {
    pub(super) async fn drug(&mut self, drug: &crate::extract::Drug) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("drugs"), &drug.source).await?;
        let existing = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq(&drug.slug))
            .one(self.db)
            .await?;
        // Whether a listing names the drug, and where it was first read, are a listing's to say:
        // a page that only mentions a known drug leaves them as they are.
        let listing_says = drug.from_listing || existing.is_none();
        let existing_id = existing.as_ref().map(|d| d.id);
        // An older capture adds no name to a drug newer captures state.
        let names_stated = self.writes_current() || existing.is_none();
        let stored = self
            .upsert(existing, |row: &mut drugs::ActiveModel| {
                row.slug = Set(drug.slug.clone());
                row.generic_name = Set(drug.generic_name.clone());
                row.drug_class = Set(drug.drug_class.clone());
                row.atc_code = Set(drug.atc_code.clone());
                row.atc_code_previous = Set(drug.atc_code_previous.clone());
                row.rxcui = Set(drug.rxcui.clone());
                row.withdrawn = Set(drug.withdrawn.clone());
                row.verified = Set(drug.verified);
                if listing_says {
                    row.in_trial = Set(drug.in_trial);
                    row.provenance_id = Set(provenance_id);
                }
            })
            .await?;
        for name in drug.names.iter().filter(|_| names_stated) {
            let normalized = normalize_name(&name.name);
            let known = drug_names::Entity::find()
                .filter(drug_names::Column::NormalizedName.eq(&normalized))
                .one(self.db)
                .await?;
            match known {
                Some(existing) if existing.drug_id != stored.id => {
                    tracing::warn!(
                        name = %name.name,
                        drug = %drug.slug,
                        "drug name already belongs to another drug; kept there"
                    );
                }
                Some(_) => {}
                None => {
                    drug_names::ActiveModel {
                        drug_id: Set(stored.id),
                        name: Set(name.name.clone()),
                        normalized_name: Set(normalized),
                        kind: Set(name.kind),
                        ..Default::default()
                    }
                    .insert(self.db)
                    .await?;
                }
            }
        }
        if drug.from_listing {
            // What a listing calls the drug and how it gives it, as of this revision.
            let stated = [
                ("names", json!(drug.names)),
                (
                    "routes",
                    json!(routes_of(doc_routes(&self.routes, &drug.slug))),
                ),
            ];
            let before = match (names_stated, existing_id) {
                (true, Some(id)) => Some(self.drug_as_stored(id).await?),
                _ => None,
            };
            self.restate(&stored, before.as_deref(), &stated).await?;
        }
        self.drug_ids.insert(drug.slug.clone(), stored.id);
        self.list(FactKind::Drug, stored.id, drug.slug.clone());
        Ok(())
    }

    /// A stored drug's names and the routes its listed treatments give, as the stored rows hold
    /// them (for a drug stored before its attribute history was kept).
    async fn drug_as_stored(&self, drug_id: i32) -> Result<Vec<versions::Field>, DbErr> {
        let names: Vec<(String, DrugNameKind)> = drug_names::Entity::find()
            .select_only()
            .columns([drug_names::Column::Name, drug_names::Column::Kind])
            .filter(drug_names::Column::DrugId.eq(drug_id))
            .order_by_asc(drug_names::Column::Id)
            .into_tuple()
            .all(self.db)
            .await?;
        let routes: Vec<Option<Route>> = treatment_drugs::Entity::find()
            .select_only()
            .column(treatment_drugs::Column::Route)
            .filter(treatment_drugs::Column::DrugId.eq(drug_id))
            .filter(treatment_drugs::Column::DelistedAt.is_null())
            .into_tuple()
            .all(self.db)
            .await?;
        let names: Vec<DrugName> = names
            .into_iter()
            .map(|(name, kind)| DrugName { name, kind })
            .collect();
        Ok(vec![
            ("names", json!(names)),
            ("routes", json!(routes_of(routes.into_iter().flatten()))),
        ])
    }

    pub(super) fn drug_id(&self, slug: &str) -> Result<i32, DbErr> {
        self.drug_ids
            .get(slug)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("document names unknown drug {slug}")))
    }

    pub(super) async fn relation(
        &mut self,
        relation: &crate::extract::DrugRelation,
    ) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("drugs"), &relation.source).await?;
        let (drug_id, related_id) = (
            self.drug_id(&relation.drug)?,
            self.drug_id(&relation.related)?,
        );
        let existing = drug_relations::Entity::find()
            .filter(drug_relations::Column::DrugId.eq(drug_id))
            .filter(drug_relations::Column::RelatedDrugId.eq(related_id))
            .filter(drug_relations::Column::Kind.eq(relation.kind))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut drug_relations::ActiveModel| {
                row.drug_id = Set(drug_id);
                row.related_drug_id = Set(related_id);
                row.kind = Set(relation.kind);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::DrugRelation, stored.id, "");
        Ok(())
    }
}
