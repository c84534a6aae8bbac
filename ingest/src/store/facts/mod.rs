//! Re-deriving a page's facts from a new revision: upserts by natural key, provenance records and
//! listing intervals, in the caller's transaction; the page's drug mentions and search documents
//! beside them ([`mentions`]).

mod mentions;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, LinkKind};
use lmsdr_entity::{
    drug_names, drug_relations, drugs, links, provenance, regimen_drugs, regimens,
    treatment_categories, treatment_drugs, treatments, trial_references, warnings,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::listing::{At, ListingChange, relist};
use crate::extract::text::normalize_name;
use crate::extract::{Document, DrugMention, Link};

/// What a revision added to and removed from its page, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// Treatments, as `category/treatment` slugs.
    pub treatments: Delta,
    /// Drugs, by slug.
    pub drugs: Delta,
    /// Regimens, by slug.
    pub regimens: Delta,
    /// Warnings, by slug.
    pub warnings: Delta,
}

/// Added and removed items of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// Newly listed.
    pub added: Vec<String>,
    /// No longer listed.
    pub removed: Vec<String>,
}

impl ChangeSummary {
    /// Whether nothing was added or removed.
    pub fn is_empty(&self) -> bool {
        [
            &self.treatments,
            &self.drugs,
            &self.regimens,
            &self.warnings,
        ]
        .iter()
        .all(|d| d.added.is_empty() && d.removed.is_empty())
    }
}

/// The one upsert shape of a listed fact: the stored row (or a new one, first listed now), its
/// fields set by `fill`, seen listed now and not delisted; inserted or updated.
async fn upsert_listed<A, C>(
    db: &C,
    existing: Option<<A::Entity as EntityTrait>::Model>,
    now: DateTime<Utc>,
    fill: impl FnOnce(&mut A),
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let column = |name: &str| {
        <<A::Entity as EntityTrait>::Column as std::str::FromStr>::from_str(name)
            .map_err(|_| DbErr::Custom(format!("a listed fact has no column {name}")))
    };
    let exists = existing.is_some();
    let mut row = match existing {
        Some(model) => model.into_active_model(),
        None => {
            let mut row = A::default();
            row.try_set(column("first_listed_at")?, now.into())?;
            row
        }
    };
    fill(&mut row);
    row.try_set(column("last_listed_at")?, now.into())?;
    row.try_set(column("delisted_at")?, Option::<DateTime<Utc>>::None.into())?;
    if exists {
        row.update(db).await
    } else {
        row.insert(db).await
    }
}

/// Writes one document's facts for one revision.
pub struct Deriver<'a, C> {
    db: &'a C,
    at: At,
    provenance: HashMap<String, i32>,
    drug_ids: BTreeMap<String, i32>,
    listed: BTreeMap<FactKindKey, BTreeSet<i32>>,
    labels: HashMap<(FactKindKey, i32), String>,
    /// The treatments written, for the search index: ID, name and category name.
    treatments: Vec<(i32, String, String)>,
}

/// `FactKind` as an ordered map key.
type FactKindKey = u8;

fn key(kind: FactKind) -> FactKindKey {
    kind as u8
}

const KINDS: [FactKind; 11] = [
    FactKind::Category,
    FactKind::Treatment,
    FactKind::Regimen,
    FactKind::RegimenDrug,
    FactKind::TreatmentDrug,
    FactKind::Drug,
    FactKind::DrugRelation,
    FactKind::Warning,
    FactKind::TrialReference,
    FactKind::Link,
    FactKind::DrugMention,
];

impl<'a, C: ConnectionTrait> Deriver<'a, C> {
    /// A deriver writing at a revision.
    pub fn new(db: &'a C, at: At) -> Self {
        Self {
            db,
            at,
            provenance: HashMap::new(),
            drug_ids: BTreeMap::new(),
            listed: BTreeMap::new(),
            labels: HashMap::new(),
            treatments: Vec::new(),
        }
    }

    /// A deriver writing again at a revision already derived once: its provenance records are
    /// reused, not written twice.
    pub async fn resume(db: &'a C, at: At) -> Result<Self, DbErr> {
        let mut deriver = Self::new(db, at);
        let known: Vec<(i32, String)> = provenance::Entity::find()
            .select_only()
            .columns([provenance::Column::Id, provenance::Column::Excerpt])
            .filter(provenance::Column::RevisionId.eq(at.revision_id))
            .into_tuple()
            .all(db)
            .await?;
        deriver
            .provenance
            .extend(known.into_iter().map(|(id, excerpt)| (excerpt, id)));
        Ok(deriver)
    }

    fn list(&mut self, kind: FactKind, id: i32, label: impl Into<String>) {
        self.listed.entry(key(kind)).or_default().insert(id);
        self.labels.insert((key(kind), id), label.into());
    }

    /// The provenance record of an excerpt in this revision.
    async fn source(&mut self, section: Option<&str>, excerpt: &str) -> Result<i32, DbErr> {
        if let Some(&id) = self.provenance.get(excerpt) {
            return Ok(id);
        }
        let hash = hex::encode(Sha256::digest(excerpt.as_bytes()));
        let row = provenance::ActiveModel {
            page_id: Set(self.at.page_id),
            revision_id: Set(self.at.revision_id),
            section: Set(section.map(str::to_owned)),
            excerpt: Set(excerpt.to_owned()),
            excerpt_hash: Set(hash),
            ..Default::default()
        }
        .insert(self.db)
        .await?;
        self.provenance.insert(excerpt.to_owned(), row.id);
        Ok(row.id)
    }

    /// Writes every fact of the document and updates listings; returns what changed.
    pub async fn derive(mut self, doc: &Document) -> Result<ChangeSummary, DbErr> {
        // Excerpts are recorded once per revision: register the page's own sections first, so an
        // item that also introduces a drug keeps its category as its section.
        for category in &doc.categories {
            self.source(Some(&category.name), &category.source).await?;
            for treatment in &category.treatments {
                self.source(Some(&category.name), &treatment.source).await?;
            }
            for warning in doc
                .warnings
                .iter()
                .filter(|w| w.category.as_ref() == Some(&category.slug))
            {
                self.source(Some(&category.name), &warning.source).await?;
            }
        }
        for drug in &doc.drugs {
            self.drug(drug).await?;
        }
        for regimen in &doc.regimens {
            self.regimen(regimen).await?;
        }
        for category in &doc.categories {
            self.category(category).await?;
        }
        for relation in &doc.drug_relations {
            self.relation(relation).await?;
        }
        for warning in &doc.warnings {
            self.warning(warning).await?;
        }
        for trial in &doc.trials {
            self.trial(trial).await?;
        }
        for (position, link) in doc.navigation.iter().enumerate() {
            self.link(LinkKind::Navigation, position, link).await?;
        }
        for (position, link) in doc.links.iter().enumerate() {
            self.link(LinkKind::Content, position, link).await?;
        }
        for mention in &doc.mentions {
            self.mention(mention).await?;
        }
        self.index(doc).await?;

        let mut summary = ChangeSummary::default();
        for kind in KINDS {
            let ids = self.listed.remove(&key(kind)).unwrap_or_default();
            let change = relist(self.db, kind, self.at, &ids).await?;
            let delta = match kind {
                FactKind::Treatment => &mut summary.treatments,
                FactKind::Drug => &mut summary.drugs,
                FactKind::Regimen => &mut summary.regimens,
                FactKind::Warning => &mut summary.warnings,
                _ => continue,
            };
            *delta = self.delta(kind, change).await?;
        }
        Ok(summary)
    }

    async fn delta(&self, kind: FactKind, change: ListingChange) -> Result<Delta, DbErr> {
        let added = change
            .added
            .iter()
            .filter_map(|id| self.labels.get(&(key(kind), *id)).cloned())
            .collect();
        let removed = labels_of(self.db, kind, &change.removed).await?;
        Ok(Delta { added, removed })
    }

    async fn drug(&mut self, drug: &crate::extract::Drug) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("drugs"), &drug.source).await?;
        let existing = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq(&drug.slug))
            .one(self.db)
            .await?;
        // Whether a listing names the drug, and where it was first read, are a listing's to say:
        // a page that only mentions a known drug leaves them as they are.
        let listing_says = drug.from_listing || existing.is_none();
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut drugs::ActiveModel| {
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
            },
        )
        .await?;
        for name in &drug.names {
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
        self.drug_ids.insert(drug.slug.clone(), stored.id);
        self.list(FactKind::Drug, stored.id, drug.slug.clone());
        Ok(())
    }

    fn drug_id(&self, slug: &str) -> Result<i32, DbErr> {
        self.drug_ids
            .get(slug)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("document names unknown drug {slug}")))
    }

    async fn regimen(&mut self, regimen: &crate::extract::Regimen) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("regimens"), &regimen.source).await?;
        let existing = regimens::Entity::find()
            .filter(regimens::Column::Slug.eq(&regimen.slug))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut regimens::ActiveModel| {
                row.slug = Set(regimen.slug.clone());
                row.name = Set(regimen.name.clone());
                row.components = Set(regimen.components.clone());
                row.first_line = Set(regimen.first_line);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::Regimen, stored.id, regimen.slug.clone());
        for (position, mention) in regimen.drugs.iter().enumerate() {
            let drug_id = self.drug_id(&mention.drug)?;
            let existing = regimen_drugs::Entity::find()
                .filter(regimen_drugs::Column::RegimenId.eq(stored.id))
                .filter(regimen_drugs::Column::DrugId.eq(drug_id))
                .one(self.db)
                .await?;
            let link = upsert_listed(
                self.db,
                existing,
                self.at.time,
                |link: &mut regimen_drugs::ActiveModel| {
                    link.regimen_id = Set(stored.id);
                    link.drug_id = Set(drug_id);
                    link.position = Set(position as i32 + 1);
                    link.name_as_written = Set(mention.name_as_written.clone());
                    link.provenance_id = Set(provenance_id);
                },
            )
            .await?;
            self.list(FactKind::RegimenDrug, link.id, "");
        }
        Ok(())
    }

    async fn category(&mut self, category: &crate::extract::Category) -> Result<(), DbErr> {
        let section = category.name.clone();
        let provenance_id = self.source(Some(&section), &category.source).await?;
        let existing = treatment_categories::Entity::find()
            .filter(treatment_categories::Column::Slug.eq(&category.slug))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut treatment_categories::ActiveModel| {
                row.slug = Set(category.slug.clone());
                row.name = Set(category.name.clone());
                row.description = Set(category.description.clone());
                row.scope =
                    Set((!category.scope.is_empty()).then(|| serde_json::json!(category.scope)));
                row.position = Set(category.position);
                row.page_id = Set(self.at.page_id);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::Category, stored.id, category.slug.clone());

        for treatment in &category.treatments {
            let provenance_id = self.source(Some(&section), &treatment.source).await?;
            let regimen_id = match &treatment.regimen {
                Some(slug) => regimens::Entity::find()
                    .filter(regimens::Column::Slug.eq(slug))
                    .one(self.db)
                    .await?
                    .map(|r| r.id),
                None => None,
            };
            let existing = treatments::Entity::find()
                .filter(treatments::Column::CategoryId.eq(stored.id))
                .filter(treatments::Column::Slug.eq(&treatment.slug))
                .one(self.db)
                .await?;
            let stored_treatment = upsert_listed(
                self.db,
                existing,
                self.at.time,
                |row: &mut treatments::ActiveModel| {
                    row.category_id = Set(stored.id);
                    row.slug = Set(treatment.slug.clone());
                    row.name = Set(treatment.name.clone());
                    row.status = Set(treatment.status);
                    row.first_line = Set(treatment.first_line);
                    row.position = Set(treatment.position);
                    row.regimen_id = Set(regimen_id);
                    row.provenance_id = Set(provenance_id);
                },
            )
            .await?;
            self.treatments.push((
                stored_treatment.id,
                treatment.name.clone(),
                category.name.clone(),
            ));
            self.list(
                FactKind::Treatment,
                stored_treatment.id,
                format!("{}/{}", category.slug, treatment.slug),
            );
            for (position, mention) in treatment.drugs.iter().enumerate() {
                self.treatment_drug(stored_treatment.id, position, mention, provenance_id)
                    .await?;
            }
        }
        Ok(())
    }

    async fn treatment_drug(
        &mut self,
        treatment_id: i32,
        position: usize,
        mention: &DrugMention,
        provenance_id: i32,
    ) -> Result<(), DbErr> {
        let drug_id = self.drug_id(&mention.drug)?;
        let existing = treatment_drugs::Entity::find()
            .filter(treatment_drugs::Column::TreatmentId.eq(treatment_id))
            .filter(treatment_drugs::Column::DrugId.eq(drug_id))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut treatment_drugs::ActiveModel| {
                row.treatment_id = Set(treatment_id);
                row.drug_id = Set(drug_id);
                row.position = Set(position as i32 + 1);
                row.name_as_written = Set(mention.name_as_written.clone());
                row.route = Set(mention.route);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::TreatmentDrug, stored.id, "");
        Ok(())
    }

    async fn relation(&mut self, relation: &crate::extract::DrugRelation) -> Result<(), DbErr> {
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
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut drug_relations::ActiveModel| {
                row.drug_id = Set(drug_id);
                row.related_drug_id = Set(related_id);
                row.kind = Set(relation.kind);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::DrugRelation, stored.id, "");
        Ok(())
    }

    async fn warning(&mut self, warning: &crate::extract::Warning) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("warnings"), &warning.source).await?;
        let drug_id = warning
            .drug
            .as_deref()
            .map(|s| self.drug_id(s))
            .transpose()?;
        let category_id = match &warning.category {
            Some(slug) => treatment_categories::Entity::find()
                .filter(treatment_categories::Column::Slug.eq(slug))
                .one(self.db)
                .await?
                .map(|c| c.id),
            None => None,
        };
        let existing = warnings::Entity::find()
            .filter(warnings::Column::Slug.eq(&warning.slug))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut warnings::ActiveModel| {
                row.slug = Set(warning.slug.clone());
                row.kind = Set(warning.kind);
                row.text = Set(warning.text.clone());
                row.population = Set(warning.population.clone());
                row.drug_id = Set(drug_id);
                row.category_id = Set(category_id);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::Warning, stored.id, warning.slug.clone());
        Ok(())
    }

    async fn trial(&mut self, trial: &crate::extract::TrialReference) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("trials"), &trial.source).await?;
        let drug_id = trial.drug.as_deref().map(|s| self.drug_id(s)).transpose()?;
        let treatment_id = match &trial.treatment {
            Some((category, treatment)) => treatments::Entity::find()
                .inner_join(treatment_categories::Entity)
                .filter(treatment_categories::Column::Slug.eq(category))
                .filter(treatments::Column::Slug.eq(treatment))
                .one(self.db)
                .await?
                .map(|t| t.id),
            None => None,
        };
        let existing = trial_references::Entity::find()
            .filter(trial_references::Column::Slug.eq(&trial.slug))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut trial_references::ActiveModel| {
                row.slug = Set(trial.slug.clone());
                row.label = Set(trial.label.clone());
                row.code = Set(trial.code.clone());
                row.drug_id = Set(drug_id);
                row.treatment_id = Set(treatment_id);
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::TrialReference, stored.id, trial.slug.clone());
        Ok(())
    }

    async fn link(&mut self, kind: LinkKind, position: usize, link: &Link) -> Result<(), DbErr> {
        let provenance_id = match &link.context {
            Some(context) => Some(self.source(Some("links"), context).await?),
            None => None,
        };
        let existing = links::Entity::find()
            .filter(links::Column::PageId.eq(self.at.page_id))
            .filter(links::Column::Kind.eq(kind))
            .filter(links::Column::Url.eq(&link.url))
            .filter(links::Column::Text.eq(&link.text))
            .one(self.db)
            .await?;
        let stored = upsert_listed(
            self.db,
            existing,
            self.at.time,
            |row: &mut links::ActiveModel| {
                row.page_id = Set(self.at.page_id);
                row.kind = Set(kind);
                row.position = Set(position as i32 + 1);
                row.text = Set(link.text.clone());
                row.url = Set(link.url.clone());
                row.external = Set(link.external);
                row.context = Set(link.context.clone());
                row.provenance_id = Set(provenance_id);
            },
        )
        .await?;
        self.list(FactKind::Link, stored.id, "");
        Ok(())
    }
}

/// Display labels of removed facts, read back from their tables.
async fn labels_of<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    ids: &[i32],
) -> Result<Vec<String>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = ids.to_vec();
    Ok(match kind {
        FactKind::Drug => {
            slugs_of::<_, drugs::Entity>(db, drugs::Column::Slug, drugs::Column::Id, ids).await?
        }
        FactKind::Regimen => {
            slugs_of::<_, regimens::Entity>(db, regimens::Column::Slug, regimens::Column::Id, ids)
                .await?
        }
        FactKind::Warning => {
            slugs_of::<_, warnings::Entity>(db, warnings::Column::Slug, warnings::Column::Id, ids)
                .await?
        }
        FactKind::Treatment => treatments::Entity::find()
            .find_also_related(treatment_categories::Entity)
            .filter(treatments::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|(t, c)| format!("{}/{}", c.map(|c| c.slug).unwrap_or_default(), t.slug))
            .collect(),
        _ => Vec::new(),
    })
}

/// The slugs of rows of one table, by ID.
async fn slugs_of<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    slug: E::Column,
    id: E::Column,
    ids: Vec<i32>,
) -> Result<Vec<String>, DbErr> {
    E::find()
        .select_only()
        .column(slug)
        .filter(id.is_in(ids))
        .into_tuple::<String>()
        .all(db)
        .await
}
