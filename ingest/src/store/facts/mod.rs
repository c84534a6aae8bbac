//! Re-deriving a page's facts from a new revision: upserts by natural key, provenance records and
//! listing intervals, in the caller's transaction; the page's drug mentions and search documents
//! beside them ([`mentions`]).

mod drug_facts;
mod listing_facts;
mod mentions;
mod page_facts;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, LinkKind};
use lmsdr_entity::{drugs, provenance, regimens, warnings};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::treatment_keys;
use super::listing::{At, ListingChange, relist, relist_past};
use super::versions::{self, Stated};
use crate::extract::Document;

/// What a revision added to and removed from its page, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// Treatments, by key (`category/treatment`, [`super::keys`]).
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

/// What deriving a revision changed.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// What the revision added and removed against the capture before it.
    pub summary: ChangeSummary,
    /// For a capture in the past: what the page's next accepted capture now adds and removes
    /// against it.
    pub next_summary: Option<ChangeSummary>,
}

impl ChangeSummary {
    /// The delta of a kind the summary reports.
    fn of_kind(&mut self, kind: FactKind) -> Option<&mut Delta> {
        match kind {
            FactKind::Treatment => Some(&mut self.treatments),
            FactKind::Drug => Some(&mut self.drugs),
            FactKind::Regimen => Some(&mut self.regimens),
            FactKind::Warning => Some(&mut self.warnings),
            _ => None,
        }
    }

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

/// Where in its page's history a revision's facts are written.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    /// The page's newest accepted capture: what it states becomes current.
    Newest,
    /// A capture older than the page's current revision, before the page's next accepted capture
    /// (given): it writes listing intervals in the past and changes no current field.
    Before(At),
}

/// Writes one document's facts for one revision.
pub struct Deriver<'a, C> {
    db: &'a C,
    at: At,
    place: Place,
    provenance: HashMap<String, i32>,
    drug_ids: BTreeMap<String, i32>,
    listed: BTreeMap<FactKindKey, BTreeSet<i32>>,
    labels: HashMap<(FactKindKey, i32), String>,
    /// The treatments written, for the search index: ID, name and category name.
    treatments: Vec<(i32, String, String)>,
    /// The routes the document gives each drug by, by slug.
    routes: HashMap<String, Vec<lmsdr_entity::sea_orm_active_enums::Route>>,
}

/// The model an active model writes.
type Model<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

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
    /// A deriver writing at the page's newest accepted revision.
    pub fn new(db: &'a C, at: At) -> Self {
        Self::at_place(db, at, Place::Newest)
    }

    /// A deriver writing at a revision, wherever it stands in the page's history.
    pub fn at_place(db: &'a C, at: At, place: Place) -> Self {
        Self {
            db,
            at,
            place,
            provenance: HashMap::new(),
            drug_ids: BTreeMap::new(),
            listed: BTreeMap::new(),
            labels: HashMap::new(),
            treatments: Vec::new(),
            routes: HashMap::new(),
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

    /// The one upsert shape of a listed fact: the stored row (or a new one, first listed now), its
    /// fields set by `fill`, seen listed now and not delisted; inserted or updated, and what it
    /// states recorded in its attribute history. At an older capture a stored row is left as
    /// newer captures state it (its listing times are widened with its intervals, what the
    /// capture states goes into the history only), and a new one is delisted from the next
    /// capture on.
    async fn upsert<A>(
        &self,
        existing: Option<<A::Entity as EntityTrait>::Model>,
        fill: impl FnOnce(&mut A),
    ) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait
            + ActiveModelBehavior
            + TryIntoModel<<A::Entity as EntityTrait>::Model>
            + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + Stated,
    {
        let column = |name: &str| {
            <<A::Entity as EntityTrait>::Column as std::str::FromStr>::from_str(name)
                .map_err(|_| DbErr::Custom(format!("a listed fact has no column {name}")))
        };
        let now = self.at.time;
        match (self.place, existing) {
            (Place::Before(next), Some(model)) => {
                let mut row = model.clone().into_active_model();
                fill(&mut row);
                let stated = row.try_into_model()?.stated();
                versions::record_past(
                    self.db,
                    Model::<A>::KIND,
                    model.fact_id(),
                    &stated,
                    self.at,
                    next,
                )
                .await?;
                Ok(model)
            }
            (Place::Newest, Some(model)) => {
                let before = model.stated();
                let mut row = model.into_active_model();
                fill(&mut row);
                row.try_set(column("last_listed_at")?, now.into())?;
                row.try_set(column("delisted_at")?, Option::<DateTime<Utc>>::None.into())?;
                let stored = row.update(self.db).await?;
                self.restate(&stored, Some(&before), &stored.stated())
                    .await?;
                Ok(stored)
            }
            (place, None) => {
                let delisted = match place {
                    Place::Newest => None,
                    Place::Before(next) => Some(next.time),
                };
                let mut row = A::default();
                fill(&mut row);
                row.try_set(column("first_listed_at")?, now.into())?;
                row.try_set(column("last_listed_at")?, now.into())?;
                row.try_set(column("delisted_at")?, delisted.into())?;
                let stored = row.insert(self.db).await?;
                self.restate(&stored, None, &stored.stated()).await?;
                Ok(stored)
            }
        }
    }

    /// Records what this revision states of a fact in its attribute history; `before` is what
    /// the stored row held, none for a fact first listed now.
    async fn restate<M: Stated>(
        &self,
        fact: &M,
        before: Option<&[versions::Field]>,
        stated: &[versions::Field],
    ) -> Result<(), DbErr> {
        match self.place {
            Place::Newest => {
                let fact = (fact.fact_id(), fact.first_listed_at());
                versions::record_newest(self.db, M::KIND, fact, before, stated, self.at).await
            }
            Place::Before(next) => {
                versions::record_past(self.db, M::KIND, fact.fact_id(), stated, self.at, next).await
            }
        }
    }

    /// Whether this deriver writes what is current (not a capture in the past).
    fn writes_current(&self) -> bool {
        matches!(self.place, Place::Newest)
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
    pub async fn derive(mut self, doc: &Document) -> Result<Derived, DbErr> {
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
        self.routes = drug_facts::routes_by_drug(doc);
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
        if self.writes_current() {
            self.index(doc).await?;
        }

        let mut summary = ChangeSummary::default();
        let mut next_summary = match self.place {
            Place::Newest => None,
            Place::Before(_) => Some(ChangeSummary::default()),
        };
        for kind in KINDS {
            let ids = self.listed.remove(&key(kind)).unwrap_or_default();
            let (change, next_change) = match self.place {
                Place::Newest => (relist(self.db, kind, self.at, &ids).await?, None),
                Place::Before(next) => {
                    let (change, next_change) =
                        relist_past(self.db, kind, self.at, next, &ids).await?;
                    (change, Some(next_change))
                }
            };
            if let Some(delta) = summary.of_kind(kind) {
                *delta = self.delta(kind, change).await?;
            }
            if let (Some(next_change), Some(delta)) = (
                next_change,
                next_summary.as_mut().and_then(|s| s.of_kind(kind)),
            ) {
                *delta = Delta {
                    added: labels_of(self.db, kind, &next_change.added).await?,
                    removed: labels_of(self.db, kind, &next_change.removed).await?,
                };
            }
        }
        Ok(Derived {
            summary,
            next_summary,
        })
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
        FactKind::Treatment => treatment_keys(db, Some(ids))
            .await?
            .into_iter()
            .map(|(_, key)| key)
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
