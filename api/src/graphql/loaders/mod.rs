//! DataLoaders for every relation: each batches the keys of one query level into one SQL
//! statement, so the number of statements follows the query's depth, not its row count.
//! A fresh set is made per request, so nothing is cached across requests.

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::{
    change_events, drug_names, drug_relations, drugs, link_targets, links, pages, provenance,
    regimen_drugs, regimens, sync_errors, sync_runs, treatment_categories, treatment_drugs,
    treatments, warnings,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};

mod generic;
mod revisions;

pub use generic::{ByKey, Grouped, Key, Keyed};
pub use revisions::{
    Audience, ReadingById, RevisionById, RevisionReading, RevisionRow, revision_select,
};

use super::relations::{At, Listed};
use super::revision_pages::{DiffById, FirstRevisions};
use super::summary::SlugNames;
use super::webhook::RecentDeliveries;

/// A database error, shareable between the waiters of one batch.
pub type LoadError = Arc<DbErr>;

/// The column naming a relation row's parent, and how to read it off a row.
type Parent<E> = (
    <E as EntityTrait>::Column,
    fn(&<E as EntityTrait>::Model) -> i32,
);

/// Every loader a request may use.
pub struct Loaders {
    /// Who the request reads for: which revisions it may see.
    pub audience: Audience,
    /// Categories by ID.
    pub category: DataLoader<ByKey<treatment_categories::Entity, i32>>,
    /// Treatments by ID.
    pub treatment: DataLoader<ByKey<treatments::Entity, i32>>,
    /// Drugs by ID.
    pub drug: DataLoader<ByKey<drugs::Entity, i32>>,
    /// Regimens by ID.
    pub regimen: DataLoader<ByKey<regimens::Entity, i32>>,
    /// Pages by ID.
    pub page: DataLoader<ByKey<pages::Entity, i32>>,
    /// Pages by URL.
    pub page_by_url: DataLoader<ByKey<pages::Entity, String>>,
    /// Linked URLs known dead, by URL.
    pub dead_target: DataLoader<ByKey<link_targets::Entity, String>>,
    /// Provenance records by ID.
    pub provenance: DataLoader<ByKey<provenance::Entity, i32>>,
    /// Revisions by ID.
    pub revision: DataLoader<RevisionById>,
    /// How revisions were read, by ID.
    pub reading: DataLoader<ReadingById>,
    /// The first revisions of pages, by page and page size.
    pub first_revisions: DataLoader<FirstRevisions>,
    /// Revisions' diffs, by revision ID.
    pub diff: DataLoader<DiffById>,
    /// A page's listed links (menu and content), by page, in order.
    pub links_by_page: DataLoader<Grouped<links::Entity>>,
    /// Listed links, by the URL they lead to.
    pub links_to: DataLoader<Grouped<links::Entity, String>>,
    /// Treatments by category, listed at a moment, in page order.
    pub treatments_by_category: DataLoader<Listed<treatments::Entity>>,
    /// All treatments (delisted too) by category, in page order.
    pub all_treatments_by_category: DataLoader<Grouped<treatments::Entity>>,
    /// Drug mentions by treatment, listed at a moment, in item order.
    pub mentions_by_treatment: DataLoader<Listed<treatment_drugs::Entity>>,
    /// Drug mentions by drug, listed at a moment.
    pub mentions_by_drug: DataLoader<Listed<treatment_drugs::Entity>>,
    /// Regimen components by regimen, listed at a moment, in order.
    pub components_by_regimen: DataLoader<Listed<regimen_drugs::Entity>>,
    /// Regimen components by drug, listed at a moment.
    pub components_by_drug: DataLoader<Listed<regimen_drugs::Entity>>,
    /// Names by drug.
    pub names_by_drug: DataLoader<Grouped<drug_names::Entity>>,
    /// Warnings by drug, listed at a moment.
    pub warnings_by_drug: DataLoader<Listed<warnings::Entity>>,
    /// Relations by the drug named first, listed at a moment.
    pub relations_by_drug: DataLoader<Listed<drug_relations::Entity>>,
    /// Relations by the drug named second, listed at a moment.
    pub relations_by_related: DataLoader<Listed<drug_relations::Entity>>,
    /// Errors by sync run.
    pub errors_by_run: DataLoader<Grouped<sync_errors::Entity>>,
    /// Sync runs by ID.
    pub sync_run: DataLoader<ByKey<sync_runs::Entity, i32>>,
    /// Change events by ID.
    pub change_event: DataLoader<ByKey<change_events::Entity, i32>>,
    /// Webhooks' recent deliveries, by webhook.
    pub recent_deliveries: DataLoader<RecentDeliveries>,
    /// Names of summarized slugs, by kind and slug.
    pub slug_name: DataLoader<SlugNames>,
}

/// How long a DataLoader waits for more keys before it loads a batch: none. The resolvers of
/// one level register their keys in one poll of the request's task, before the batch task
/// runs; a wait would only add a timer per batch (`just bench`: 8% more queries a second, the
/// same statements per query).
const BATCH_DELAY: std::time::Duration = std::time::Duration::ZERO;

/// A DataLoader for `loader`, batching on Tokio's tasks and timer.
fn batched<T>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_DELAY)
}

impl Loaders {
    /// A fresh set over a connection, for an audience.
    pub fn new(db: &DatabaseConnection, audience: Audience) -> Self {
        fn by_key<E: EntityTrait, K: Key>(
            db: &DatabaseConnection,
            column: E::Column,
            key_of: fn(&E::Model) -> K,
        ) -> DataLoader<ByKey<E, K>>
        where
            ByKey<E, K>: Loader<K>,
        {
            batched(ByKey {
                db: db.clone(),
                column,
                key_of,
            })
        }
        fn by_id<E: EntityTrait>(
            db: &DatabaseConnection,
            id: E::Column,
        ) -> DataLoader<ByKey<E, i32>>
        where
            E::Model: Keyed,
            ByKey<E, i32>: Loader<i32>,
        {
            by_key(db, id, |row: &E::Model| row.key())
        }
        fn grouped<E: EntityTrait, K: Key>(
            db: &DatabaseConnection,
            query: fn() -> Select<E>,
            parent: E::Column,
            parent_of: fn(&E::Model) -> K,
        ) -> DataLoader<Grouped<E, K>>
        where
            Grouped<E, K>: Loader<K>,
        {
            batched(Grouped {
                db: db.clone(),
                query,
                parent,
                parent_of,
            })
        }
        fn listed<E: EntityTrait>(
            db: &DatabaseConnection,
            kind: FactKind,
            query: fn() -> Select<E>,
            (parent, parent_of): Parent<E>,
            (id, delisted_at): (E::Column, E::Column),
        ) -> DataLoader<Listed<E>>
        where
            Listed<E>: Loader<At>,
        {
            batched(Listed {
                db: db.clone(),
                kind,
                query,
                parent,
                parent_of,
                id,
                delisted_at,
            })
        }
        Self {
            audience,
            category: by_id(db, treatment_categories::Column::Id),
            treatment: by_id(db, treatments::Column::Id),
            drug: by_id(db, drugs::Column::Id),
            regimen: by_id(db, regimens::Column::Id),
            page: by_id(db, pages::Column::Id),
            sync_run: by_id(db, sync_runs::Column::Id),
            change_event: by_id(db, change_events::Column::Id),
            recent_deliveries: batched(RecentDeliveries { db: db.clone() }),
            slug_name: batched(SlugNames { db: db.clone() }),
            page_by_url: by_key(db, pages::Column::Url, |p: &pages::Model| p.url.clone()),
            dead_target: by_key(db, link_targets::Column::Url, |t: &link_targets::Model| {
                t.url.clone()
            }),
            provenance: by_id(db, provenance::Column::Id),
            revision: batched(RevisionById {
                db: db.clone(),
                audience,
            }),
            reading: batched(ReadingById {
                db: db.clone(),
                audience,
            }),
            first_revisions: batched(FirstRevisions {
                db: db.clone(),
                audience,
            }),
            diff: batched(DiffById {
                db: db.clone(),
                audience,
            }),
            links_by_page: grouped(
                db,
                || {
                    links::Entity::find()
                        .filter(links::Column::DelistedAt.is_null())
                        .order_by_asc(links::Column::Kind)
                        .order_by_asc(links::Column::Position)
                },
                links::Column::PageId,
                |l| l.page_id,
            ),
            links_to: grouped(
                db,
                || {
                    links::Entity::find()
                        .filter(links::Column::DelistedAt.is_null())
                        .order_by_asc(links::Column::PageId)
                        .order_by_asc(links::Column::Kind)
                        .order_by_asc(links::Column::Position)
                },
                links::Column::Url,
                |l| l.url.clone(),
            ),
            treatments_by_category: listed(
                db,
                FactKind::Treatment,
                || treatments::Entity::find().order_by_asc(treatments::Column::Position),
                (treatments::Column::CategoryId, |t: &treatments::Model| {
                    t.category_id
                }),
                (treatments::Column::Id, treatments::Column::DelistedAt),
            ),
            all_treatments_by_category: grouped(
                db,
                || treatments::Entity::find().order_by_asc(treatments::Column::Position),
                treatments::Column::CategoryId,
                |t| t.category_id,
            ),
            mentions_by_treatment: listed(
                db,
                FactKind::TreatmentDrug,
                || treatment_drugs::Entity::find().order_by_asc(treatment_drugs::Column::Position),
                (
                    treatment_drugs::Column::TreatmentId,
                    |m: &treatment_drugs::Model| m.treatment_id,
                ),
                (
                    treatment_drugs::Column::Id,
                    treatment_drugs::Column::DelistedAt,
                ),
            ),
            mentions_by_drug: listed(
                db,
                FactKind::TreatmentDrug,
                || treatment_drugs::Entity::find().order_by_asc(treatment_drugs::Column::Id),
                (
                    treatment_drugs::Column::DrugId,
                    |m: &treatment_drugs::Model| m.drug_id,
                ),
                (
                    treatment_drugs::Column::Id,
                    treatment_drugs::Column::DelistedAt,
                ),
            ),
            components_by_regimen: listed(
                db,
                FactKind::RegimenDrug,
                || regimen_drugs::Entity::find().order_by_asc(regimen_drugs::Column::Position),
                (
                    regimen_drugs::Column::RegimenId,
                    |c: &regimen_drugs::Model| c.regimen_id,
                ),
                (regimen_drugs::Column::Id, regimen_drugs::Column::DelistedAt),
            ),
            components_by_drug: listed(
                db,
                FactKind::RegimenDrug,
                || regimen_drugs::Entity::find().order_by_asc(regimen_drugs::Column::RegimenId),
                (regimen_drugs::Column::DrugId, |c: &regimen_drugs::Model| {
                    c.drug_id
                }),
                (regimen_drugs::Column::Id, regimen_drugs::Column::DelistedAt),
            ),
            names_by_drug: grouped(
                db,
                || drug_names::Entity::find().order_by_asc(drug_names::Column::Id),
                drug_names::Column::DrugId,
                |n| n.drug_id,
            ),
            warnings_by_drug: listed(
                db,
                FactKind::Warning,
                || warnings::Entity::find().order_by_asc(warnings::Column::Id),
                (warnings::Column::DrugId, |w: &warnings::Model| {
                    w.drug_id.unwrap_or_default()
                }),
                (warnings::Column::Id, warnings::Column::DelistedAt),
            ),
            relations_by_drug: listed(
                db,
                FactKind::DrugRelation,
                || drug_relations::Entity::find().order_by_asc(drug_relations::Column::Id),
                (
                    drug_relations::Column::DrugId,
                    |r: &drug_relations::Model| r.drug_id,
                ),
                (
                    drug_relations::Column::Id,
                    drug_relations::Column::DelistedAt,
                ),
            ),
            relations_by_related: listed(
                db,
                FactKind::DrugRelation,
                || drug_relations::Entity::find().order_by_asc(drug_relations::Column::Id),
                (
                    drug_relations::Column::RelatedDrugId,
                    |r: &drug_relations::Model| r.related_drug_id,
                ),
                (
                    drug_relations::Column::Id,
                    drug_relations::Column::DelistedAt,
                ),
            ),
            errors_by_run: grouped(
                db,
                || sync_errors::Entity::find().order_by_asc(sync_errors::Column::Id),
                sync_errors::Column::SyncRunId,
                |e| e.sync_run_id,
            ),
        }
    }
}
