//! DataLoaders for every relation: each batches the keys of one query level into one SQL
//! statement, so the number of statements follows the query's depth, not its row count.
//! A fresh set is made per request, so nothing is cached across requests.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use lmsdr_entity::sea_orm_active_enums::LinkKind;
use lmsdr_entity::{
    drug_names, drug_relations, drugs, links, page_revisions, pages, provenance, regimen_drugs,
    regimens, sync_errors, treatment_categories, treatment_drugs, treatments, warnings,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

/// A database error, shareable between the waiters of one batch.
pub type LoadError = Arc<DbErr>;

/// Rows that have an `id`.
pub trait Keyed {
    /// The row's primary key.
    fn key(&self) -> i32;
}

macro_rules! keyed {
    ($($module:ident),*) => {$(
        impl Keyed for $module::Model {
            fn key(&self) -> i32 {
                self.id
            }
        }
    )*};
}
keyed!(
    treatment_categories,
    treatments,
    drugs,
    regimens,
    warnings,
    pages,
    provenance
);

/// Loads rows of one table by primary key.
pub struct ById<E> {
    db: DatabaseConnection,
    entity: PhantomData<E>,
}

impl<E> Loader<i32> for ById<E>
where
    E: EntityTrait,
    E::Model: Keyed + Clone + Send + Sync,
    E::Column: ColumnTrait,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, E::Model>, LoadError> {
        let id = E::Column::from_str("id")
            .map_err(|_| Arc::new(DbErr::Custom("no id column".into())))?;
        let rows = E::find()
            .filter(id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.key(), row)).collect())
    }
}

/// Loads the rows of a table grouped by a parent key, in a stated order.
pub struct Grouped<E: EntityTrait> {
    db: DatabaseConnection,
    query: fn() -> Select<E>,
    parent: E::Column,
    parent_of: fn(&E::Model) -> i32,
}

impl<E> Loader<i32> for Grouped<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<E::Model>>, LoadError> {
        let rows = (self.query)()
            .filter(self.parent.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i32, Vec<E::Model>> = HashMap::new();
        for row in rows {
            grouped.entry((self.parent_of)(&row)).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// A page revision without its raw body, which no query needs to read.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RevisionRow {
    /// ID.
    pub id: i32,
    /// The page.
    pub page_id: i32,
    /// 1, 2, 3 … per page.
    pub number: i32,
    /// Hash of the normalized main content.
    pub content_hash: String,
    /// The stamp as written.
    pub last_edited_text: Option<String>,
    /// The stamp as a local date-time.
    pub last_edited_at: Option<chrono::NaiveDateTime>,
    /// When observed.
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    /// HTTP status when fetched.
    pub http_status: Option<i32>,
    /// The run that fetched it.
    pub sync_run_id: Option<i32>,
    /// Where its bytes came from.
    pub origin: lmsdr_entity::sea_orm_active_enums::RevisionOrigin,
    /// Unified diff against the previous revision.
    pub diff: Option<String>,
    /// What it added and removed.
    pub summary: Option<serde_json::Value>,
}

/// Revisions without their raw body; finish with `.into_model::<RevisionRow>()`.
pub fn revision_select() -> Select<page_revisions::Entity> {
    use page_revisions::Column as C;
    page_revisions::Entity::find().select_only().columns([
        C::Id,
        C::PageId,
        C::Number,
        C::ContentHash,
        C::LastEditedText,
        C::LastEditedAt,
        C::FetchedAt,
        C::HttpStatus,
        C::SyncRunId,
        C::Origin,
        C::Diff,
        C::Summary,
    ])
}

/// Loads revisions by ID, without their raw bodies.
pub struct RevisionById {
    db: DatabaseConnection,
}

impl Loader<i32> for RevisionById {
    type Value = RevisionRow;
    type Error = LoadError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, RevisionRow>, LoadError> {
        let rows = revision_select()
            .filter(page_revisions::Column::Id.is_in(keys.iter().copied()))
            .into_model::<RevisionRow>()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Every loader a request may use.
pub struct Loaders {
    /// Categories by ID.
    pub category: DataLoader<ById<treatment_categories::Entity>>,
    /// Treatments by ID.
    pub treatment: DataLoader<ById<treatments::Entity>>,
    /// Drugs by ID.
    pub drug: DataLoader<ById<drugs::Entity>>,
    /// Regimens by ID.
    pub regimen: DataLoader<ById<regimens::Entity>>,
    /// Pages by ID.
    pub page: DataLoader<ById<pages::Entity>>,
    /// Provenance records by ID.
    pub provenance: DataLoader<ById<provenance::Entity>>,
    /// Revisions by ID.
    pub revision: DataLoader<RevisionById>,
    /// Listed treatments by category, in page order.
    pub treatments_by_category: DataLoader<Grouped<treatments::Entity>>,
    /// All treatments (delisted too) by category, in page order.
    pub all_treatments_by_category: DataLoader<Grouped<treatments::Entity>>,
    /// Drug mentions by treatment, in item order.
    pub mentions_by_treatment: DataLoader<Grouped<treatment_drugs::Entity>>,
    /// Drug mentions by drug.
    pub mentions_by_drug: DataLoader<Grouped<treatment_drugs::Entity>>,
    /// Regimen components by regimen, in order.
    pub components_by_regimen: DataLoader<Grouped<regimen_drugs::Entity>>,
    /// Regimen components by drug.
    pub components_by_drug: DataLoader<Grouped<regimen_drugs::Entity>>,
    /// Names by drug.
    pub names_by_drug: DataLoader<Grouped<drug_names::Entity>>,
    /// Listed warnings by drug.
    pub warnings_by_drug: DataLoader<Grouped<warnings::Entity>>,
    /// Listed relations by the drug named first.
    pub relations_by_drug: DataLoader<Grouped<drug_relations::Entity>>,
    /// Listed relations by the drug named second.
    pub relations_by_related: DataLoader<Grouped<drug_relations::Entity>>,
    /// Navigation links by page, in menu order.
    pub navigation_by_page: DataLoader<Grouped<links::Entity>>,
    /// Errors by sync run.
    pub errors_by_run: DataLoader<Grouped<sync_errors::Entity>>,
}

impl Loaders {
    /// A fresh set over a connection.
    pub fn new(db: &DatabaseConnection) -> Self {
        fn by_id<E: EntityTrait>(db: &DatabaseConnection) -> DataLoader<ById<E>>
        where
            ById<E>: Loader<i32>,
        {
            DataLoader::new(
                ById {
                    db: db.clone(),
                    entity: PhantomData,
                },
                tokio::spawn,
            )
        }
        fn grouped<E: EntityTrait>(
            db: &DatabaseConnection,
            query: fn() -> Select<E>,
            parent: E::Column,
            parent_of: fn(&E::Model) -> i32,
        ) -> DataLoader<Grouped<E>>
        where
            Grouped<E>: Loader<i32>,
        {
            DataLoader::new(
                Grouped {
                    db: db.clone(),
                    query,
                    parent,
                    parent_of,
                },
                tokio::spawn,
            )
        }
        Self {
            category: by_id(db),
            treatment: by_id(db),
            drug: by_id(db),
            regimen: by_id(db),
            page: by_id(db),
            provenance: by_id(db),
            revision: DataLoader::new(RevisionById { db: db.clone() }, tokio::spawn),
            treatments_by_category: grouped(
                db,
                || {
                    treatments::Entity::find()
                        .filter(treatments::Column::DelistedAt.is_null())
                        .order_by_asc(treatments::Column::Position)
                },
                treatments::Column::CategoryId,
                |t| t.category_id,
            ),
            all_treatments_by_category: grouped(
                db,
                || treatments::Entity::find().order_by_asc(treatments::Column::Position),
                treatments::Column::CategoryId,
                |t| t.category_id,
            ),
            mentions_by_treatment: grouped(
                db,
                || {
                    treatment_drugs::Entity::find()
                        .filter(treatment_drugs::Column::DelistedAt.is_null())
                        .order_by_asc(treatment_drugs::Column::Position)
                },
                treatment_drugs::Column::TreatmentId,
                |m| m.treatment_id,
            ),
            mentions_by_drug: grouped(
                db,
                || {
                    treatment_drugs::Entity::find()
                        .filter(treatment_drugs::Column::DelistedAt.is_null())
                        .order_by_asc(treatment_drugs::Column::Id)
                },
                treatment_drugs::Column::DrugId,
                |m| m.drug_id,
            ),
            components_by_regimen: grouped(
                db,
                || {
                    regimen_drugs::Entity::find()
                        .filter(regimen_drugs::Column::DelistedAt.is_null())
                        .order_by_asc(regimen_drugs::Column::Position)
                },
                regimen_drugs::Column::RegimenId,
                |c| c.regimen_id,
            ),
            components_by_drug: grouped(
                db,
                || {
                    regimen_drugs::Entity::find()
                        .filter(regimen_drugs::Column::DelistedAt.is_null())
                        .order_by_asc(regimen_drugs::Column::RegimenId)
                },
                regimen_drugs::Column::DrugId,
                |c| c.drug_id,
            ),
            names_by_drug: grouped(
                db,
                || drug_names::Entity::find().order_by_asc(drug_names::Column::Id),
                drug_names::Column::DrugId,
                |n| n.drug_id,
            ),
            warnings_by_drug: grouped(
                db,
                || {
                    warnings::Entity::find()
                        .filter(warnings::Column::DelistedAt.is_null())
                        .order_by_asc(warnings::Column::Id)
                },
                warnings::Column::DrugId,
                |w| w.drug_id.unwrap_or_default(),
            ),
            relations_by_drug: grouped(
                db,
                || {
                    drug_relations::Entity::find()
                        .filter(drug_relations::Column::DelistedAt.is_null())
                        .order_by_asc(drug_relations::Column::Id)
                },
                drug_relations::Column::DrugId,
                |r| r.drug_id,
            ),
            relations_by_related: grouped(
                db,
                || {
                    drug_relations::Entity::find()
                        .filter(drug_relations::Column::DelistedAt.is_null())
                        .order_by_asc(drug_relations::Column::Id)
                },
                drug_relations::Column::RelatedDrugId,
                |r| r.related_drug_id,
            ),
            navigation_by_page: grouped(
                db,
                || {
                    links::Entity::find()
                        .filter(links::Column::Kind.eq(LinkKind::Navigation))
                        .filter(links::Column::DelistedAt.is_null())
                        .order_by_asc(links::Column::Position)
                },
                links::Column::PageId,
                |l| l.page_id,
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
