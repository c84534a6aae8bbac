//! The listed facts: categories, treatments, drugs, regimens, warnings, trial references and
//! the sentences that name drugs.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{DrugNameKind, Route};
use lmsdr_entity::{
    drug_mentions, drug_names, drugs, regimen_drugs, regimens, treatment_categories,
    treatment_drugs, treatments, trial_references, warnings,
};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::export::ExportError;
use crate::export::records::{
    Category, Component, Drug, Mention, Provenance, Record, Regimen, Treatment, TrialReference,
    Warning,
};
use crate::ids::{NodeType, encode, encode_named};

use super::{CHUNK, Chunks, Reader};

impl Reader<'_> {
    pub(super) async fn categories(&self) -> Result<(), ExportError> {
        let select = treatment_categories::Entity::find();
        let id = treatment_categories::Column::Id;
        self.each_sourced(
            select,
            id,
            |c| c.id,
            |c| c.provenance_id,
            |_, category, provenance| {
                Ok(Record::Category(Category {
                    id: encode(NodeType::TreatmentCategory, category.id),
                    slug: category.slug,
                    name: category.name,
                    description: category.description,
                    position: category.position,
                    first_listed_at: category.first_listed_at,
                    delisted_at: category.delisted_at,
                    provenance,
                }))
            },
        )
        .await
    }

    pub(super) async fn treatments(&self) -> Result<(), ExportError> {
        let select = treatments::Entity::find();
        let mut chunks = Chunks::new(select, treatments::Column::Id, CHUNK, |t| t.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|t| t.provenance_id))
                .await?;
            let delisted: HashMap<i32, _> = chunk.iter().map(|t| (t.id, t.delisted_at)).collect();
            let rows = treatment_drugs::Entity::find()
                .filter(treatment_drugs::Column::TreatmentId.is_in(chunk.iter().map(|t| t.id)))
                .order_by_asc(treatment_drugs::Column::Position)
                .order_by_asc(treatment_drugs::Column::Id)
                .all(self.txn)
                .await?;
            let mut components: HashMap<i32, Vec<Component>> = HashMap::new();
            for row in rows {
                if !last_held(row.delisted_at, delisted.get(&row.treatment_id)) {
                    continue;
                }
                components
                    .entry(row.treatment_id)
                    .or_default()
                    .push(Component {
                        drug: Self::required(&self.drug_slugs, row.drug_id)?,
                        name_as_written: row.name_as_written,
                        route: row.route,
                    });
            }
            for treatment in chunk {
                self.send(Record::Treatment(Treatment {
                    id: encode(NodeType::Treatment, treatment.id),
                    slug: Self::required(&self.treatment_keys, treatment.id)?,
                    name: treatment.name,
                    category: Self::required(&self.category_slugs, treatment.category_id)?,
                    status: treatment.status,
                    first_line: treatment.first_line,
                    position: treatment.position,
                    regimen: Self::optional(&self.regimen_slugs, treatment.regimen_id)?,
                    drugs: components.remove(&treatment.id).unwrap_or_default(),
                    approval: treatment
                        .approval
                        .and_then(|a| serde_json::from_value(a).ok()),
                    trial_phase: treatment.trial_phase,
                    first_listed_at: treatment.first_listed_at,
                    delisted_at: treatment.delisted_at,
                    provenance: Self::source(&mut provenance, treatment.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn drugs(&self) -> Result<(), ExportError> {
        let select = drugs::Entity::find();
        let mut chunks = Chunks::new(select, drugs::Column::Id, CHUNK, |d| d.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let ids: Vec<i32> = chunk.iter().map(|d| d.id).collect();
            let mut provenance = self
                .provenance(chunk.iter().map(|d| d.provenance_id))
                .await?;
            let mut names: HashMap<i32, Vec<drug_names::Model>> = HashMap::new();
            for name in drug_names::Entity::find()
                .filter(drug_names::Column::DrugId.is_in(ids.clone()))
                .order_by_asc(drug_names::Column::Id)
                .all(self.txn)
                .await?
            {
                names.entry(name.drug_id).or_default().push(name);
            }
            // By their stored value, so each drug's routes come in one order every time.
            let mut routes: HashMap<i32, BTreeMap<String, Route>> = HashMap::new();
            let delisted: HashMap<i32, _> = chunk.iter().map(|d| (d.id, d.delisted_at)).collect();
            for (drug_id, route, link_delisted) in treatment_drugs::Entity::find()
                .select_only()
                .columns([
                    treatment_drugs::Column::DrugId,
                    treatment_drugs::Column::Route,
                    treatment_drugs::Column::DelistedAt,
                ])
                .filter(treatment_drugs::Column::Route.is_not_null())
                .filter(treatment_drugs::Column::DrugId.is_in(ids))
                .into_tuple::<(i32, Option<Route>, Option<DateTime<Utc>>)>()
                .all(self.txn)
                .await?
            {
                if !last_held(link_delisted, delisted.get(&drug_id)) {
                    continue;
                }
                if let Some(route) = route {
                    routes
                        .entry(drug_id)
                        .or_default()
                        .insert(route.to_value(), route);
                }
            }
            for drug in chunk {
                let names = names.remove(&drug.id).unwrap_or_default();
                let of = |kind: DrugNameKind| -> Vec<String> {
                    names
                        .iter()
                        .filter(|n| n.kind == kind)
                        .map(|n| n.name.clone())
                        .collect()
                };
                self.send(Record::Drug(Drug {
                    id: encode(NodeType::Drug, drug.id),
                    brand_names: of(DrugNameKind::Brand),
                    code_names: of(DrugNameKind::CodeName),
                    abbreviations: of(DrugNameKind::Abbreviation),
                    former_names: of(DrugNameKind::FormerName),
                    slug: drug.slug,
                    generic_name: drug.generic_name,
                    drug_class: drug.drug_class,
                    routes: routes
                        .remove(&drug.id)
                        .unwrap_or_default()
                        .into_values()
                        .collect(),
                    atc_code: drug.atc_code,
                    atc_code_previous: drug.atc_code_previous,
                    rxcui: drug.rxcui,
                    verified: drug.verified,
                    in_trial: drug.in_trial,
                    withdrawn: drug.withdrawn,
                    first_listed_at: drug.first_listed_at,
                    delisted_at: drug.delisted_at,
                    provenance: Self::source(&mut provenance, drug.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn regimens(&self) -> Result<(), ExportError> {
        let select = regimens::Entity::find();
        let mut chunks = Chunks::new(select, regimens::Column::Id, CHUNK, |r| r.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|r| r.provenance_id))
                .await?;
            let mut components: HashMap<i32, Vec<Component>> = HashMap::new();
            let delisted: HashMap<i32, _> = chunk.iter().map(|r| (r.id, r.delisted_at)).collect();
            for row in regimen_drugs::Entity::find()
                .filter(regimen_drugs::Column::RegimenId.is_in(chunk.iter().map(|r| r.id)))
                .order_by_asc(regimen_drugs::Column::Position)
                .order_by_asc(regimen_drugs::Column::Id)
                .all(self.txn)
                .await?
            {
                if !last_held(row.delisted_at, delisted.get(&row.regimen_id)) {
                    continue;
                }
                components
                    .entry(row.regimen_id)
                    .or_default()
                    .push(Component {
                        drug: Self::required(&self.drug_slugs, row.drug_id)?,
                        name_as_written: row.name_as_written,
                        route: None,
                    });
            }
            for regimen in chunk {
                self.send(Record::Regimen(Regimen {
                    id: encode(NodeType::Regimen, regimen.id),
                    slug: regimen.slug,
                    name: regimen.name,
                    components: regimen.components,
                    first_line: regimen.first_line,
                    drugs: components.remove(&regimen.id).unwrap_or_default(),
                    first_listed_at: regimen.first_listed_at,
                    delisted_at: regimen.delisted_at,
                    provenance: Self::source(&mut provenance, regimen.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn warnings(&self) -> Result<(), ExportError> {
        let select = warnings::Entity::find();
        let id = warnings::Column::Id;
        self.each_sourced(
            select,
            id,
            |w| w.id,
            |w| w.provenance_id,
            |reader, warning, provenance| {
                Ok(Record::Warning(Warning {
                    id: encode(NodeType::Warning, warning.id),
                    slug: warning.slug,
                    kind: warning.kind,
                    text: warning.text,
                    population: warning.population,
                    drug: Self::optional(&reader.drug_slugs, warning.drug_id)?,
                    category: Self::optional(&reader.category_slugs, warning.category_id)?,
                    first_listed_at: warning.first_listed_at,
                    delisted_at: warning.delisted_at,
                    provenance,
                }))
            },
        )
        .await
    }

    pub(super) async fn trial_references(&self) -> Result<(), ExportError> {
        let select = trial_references::Entity::find();
        let id = trial_references::Column::Id;
        self.each_sourced(
            select,
            id,
            |t| t.id,
            |t| t.provenance_id,
            |reader, trial, provenance| {
                Ok(Record::TrialReference(TrialReference {
                    id: encode_named("TrialReference", trial.id),
                    slug: trial.slug,
                    label: trial.label,
                    code: trial.code,
                    url: trial.url,
                    drug: Self::optional(&reader.drug_slugs, trial.drug_id)?,
                    treatment: Self::optional(&reader.treatment_keys, trial.treatment_id)?,
                    first_listed_at: trial.first_listed_at,
                    delisted_at: trial.delisted_at,
                    provenance,
                }))
            },
        )
        .await
    }

    pub(super) async fn mentions(&self) -> Result<(), ExportError> {
        let select = drug_mentions::Entity::find();
        let id = drug_mentions::Column::Id;
        self.each_sourced(
            select,
            id,
            |m| m.id,
            |m| m.provenance_id,
            |reader, mention, provenance| {
                Ok(Record::Mention(Mention {
                    id: encode_named("DrugMention", mention.id),
                    drug: Self::required(&reader.drug_slugs, mention.drug_id)?,
                    page_url: reader.url(mention.page_id)?,
                    name_as_written: mention.name_as_written,
                    sentence: mention.sentence,
                    first_listed_at: mention.first_listed_at,
                    delisted_at: mention.delisted_at,
                    provenance,
                }))
            },
        )
        .await
    }

    /// Sends a record for every current row of a table whose record needs only the row and its
    /// provenance; `key` gives a row's ID, `source` its provenance's.
    async fn each_sourced<E: EntityTrait>(
        &self,
        select: Select<E>,
        id: E::Column,
        key: fn(&E::Model) -> i32,
        source: fn(&E::Model) -> i32,
        record: impl Fn(&Self, E::Model, Provenance) -> Result<Record, ExportError> + Sync,
    ) -> Result<(), ExportError> {
        let mut chunks = Chunks::new(select, id, CHUNK, key);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self.provenance(chunk.iter().map(source)).await?;
            for row in chunk {
                let found = Self::source(&mut provenance, source(&row))?;
                self.send(record(self, row, found)?).await?;
            }
        }
        Ok(())
    }
}

/// Whether a link (a drug of a treatment or regimen) belongs to its owner as last listed: a link
/// listed now, or, for an owner that left the site, one that left with it or after.
fn last_held(
    link_delisted: Option<DateTime<Utc>>,
    owner_delisted: Option<&Option<DateTime<Utc>>>,
) -> bool {
    match (link_delisted, owner_delisted.copied().flatten()) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(link), Some(owner)) => link >= owner,
    }
}
