//! Reads one consistent snapshot of the database as a stream of [`Record`]s.
//!
//! The whole export runs inside one read transaction (PostgreSQL: `REPEATABLE READ READ ONLY`;
//! SQLite: a WAL read snapshot), so a sync committing meanwhile is either wholly in it or wholly
//! out. Tables are walked in keyset chunks and each record is handed to a bounded channel: memory
//! stays at one chunk whatever the database holds, and a reader that stops listening stops the
//! walk.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::{drugs, page_revisions, pages, provenance, regimens, treatment_categories};
use lmsdr_ingest::store::keys::treatment_keys;
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    IsolationLevel, QueryFilter, QuerySelect, TransactionTrait,
};
use tokio::sync::mpsc;

use super::ExportError;
use super::records::{Provenance, Record, RecordType};

mod chunks;
mod facts;
mod meta;
mod texts;

use chunks::{Chunks, id_map};
pub use meta::meta;

/// Rows read per statement for small facts.
const CHUNK: u64 = 500;
/// Rows read per statement for pages and revisions, which carry whole texts.
const TEXT_CHUNK: u64 = 50;
/// Who publishes the content.
const PUBLISHER: &str = "LeioMyoSarcoma Direct Research Foundation (LMSdr)";

/// Opens the read transaction an export runs in.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, ExportError> {
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    })
}

/// Writes the snapshot's records of the `wanted` types to `out`, the export's metadata first,
/// then each type in the order given. Stops early, without error, when `out` closes.
pub async fn read(
    txn: &DatabaseTransaction,
    wanted: &[RecordType],
    out: &mpsc::Sender<Record>,
) -> Result<(), ExportError> {
    let result = async {
        // First, so that a client holding this generation hears so before anything else is read.
        Reader::send_to(out, Record::Export(meta(txn).await?)).await?;
        Reader::new(txn, out).await?.read_all(wanted).await
    };
    match result.await {
        Err(ExportError::Closed) => Ok(()),
        other => other,
    }
}

/// Lookups every chunk needs, read once per export.
struct Reader<'a> {
    txn: &'a DatabaseTransaction,
    out: &'a mpsc::Sender<Record>,
    page_urls: HashMap<i32, String>,
    category_slugs: HashMap<i32, String>,
    /// Treatments are named by key, `category/treatment`.
    treatment_keys: HashMap<i32, String>,
    regimen_slugs: HashMap<i32, String>,
    drug_slugs: HashMap<i32, String>,
}

impl<'a> Reader<'a> {
    async fn new(
        txn: &'a DatabaseTransaction,
        out: &'a mpsc::Sender<Record>,
    ) -> Result<Self, ExportError> {
        Ok(Self {
            txn,
            out,
            page_urls: id_map::<pages::Entity>(txn, pages::Column::Id, pages::Column::Url).await?,
            category_slugs: id_map::<treatment_categories::Entity>(
                txn,
                treatment_categories::Column::Id,
                treatment_categories::Column::Slug,
            )
            .await?,
            treatment_keys: treatment_keys(txn, None).await?.into_iter().collect(),
            regimen_slugs: id_map::<regimens::Entity>(
                txn,
                regimens::Column::Id,
                regimens::Column::Slug,
            )
            .await?,
            drug_slugs: id_map::<drugs::Entity>(txn, drugs::Column::Id, drugs::Column::Slug)
                .await?,
        })
    }

    async fn send_to(out: &mpsc::Sender<Record>, record: Record) -> Result<(), ExportError> {
        out.send(record).await.map_err(|_| ExportError::Closed)
    }

    async fn send(&self, record: Record) -> Result<(), ExportError> {
        Self::send_to(self.out, record).await
    }

    async fn read_all(&self, wanted: &[RecordType]) -> Result<(), ExportError> {
        for kind in wanted {
            match kind {
                RecordType::Export => {}
                RecordType::Page => self.pages().await?,
                RecordType::Category => self.categories().await?,
                RecordType::Treatment => self.treatments().await?,
                RecordType::Drug => self.drugs().await?,
                RecordType::Regimen => self.regimens().await?,
                RecordType::Warning => self.warnings().await?,
                RecordType::TrialReference => self.trial_references().await?,
                RecordType::Mention => self.mentions().await?,
                RecordType::Revision => self.revisions().await?,
            }
        }
        Ok(())
    }

    /// A page's URL; every row names a page the snapshot holds (a foreign key).
    fn url(&self, page_id: i32) -> Result<String, ExportError> {
        Self::required(&self.page_urls, page_id)
    }

    /// The value a foreign key names, which the snapshot must hold.
    fn required(map: &HashMap<i32, String>, id: i32) -> Result<String, ExportError> {
        map.get(&id).cloned().ok_or(ExportError::Inconsistent(
            "a row names a row the snapshot lacks",
        ))
    }

    /// The value an optional foreign key names.
    fn optional(
        map: &HashMap<i32, String>,
        id: Option<i32>,
    ) -> Result<Option<String>, ExportError> {
        id.map(|id| Self::required(map, id)).transpose()
    }

    /// The provenance of a chunk's rows, by provenance ID.
    async fn provenance(
        &self,
        ids: impl IntoIterator<Item = i32>,
    ) -> Result<HashMap<i32, Provenance>, ExportError> {
        let ids: BTreeSet<i32> = ids.into_iter().collect();
        let rows = provenance::Entity::find()
            .filter(provenance::Column::Id.is_in(ids))
            .all(self.txn)
            .await?;
        type Revision = (i32, DateTime<Utc>, Option<String>);
        let revisions: HashMap<i32, Revision> = page_revisions::Entity::find()
            .select_only()
            .columns([
                page_revisions::Column::Id,
                page_revisions::Column::Number,
                page_revisions::Column::FetchedAt,
                page_revisions::Column::MementoUrl,
            ])
            .filter(page_revisions::Column::Id.is_in(rows.iter().map(|r| r.revision_id)))
            .into_tuple::<(i32, i32, DateTime<Utc>, Option<String>)>()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|(id, number, at, memento)| (id, (number, at, memento)))
            .collect();
        rows.into_iter()
            .map(|row| {
                let (revision, revision_fetched_at, memento_url) = revisions
                    .get(&row.revision_id)
                    .cloned()
                    .ok_or(ExportError::Inconsistent("provenance without its revision"))?;
                let provenance = Provenance {
                    page_url: self.url(row.page_id)?,
                    revision,
                    revision_fetched_at,
                    section: row.section,
                    excerpt: row.excerpt,
                    memento_url,
                };
                Ok((row.id, provenance))
            })
            .collect()
    }

    /// A row's provenance from a chunk's; every listed fact has one (a foreign key).
    fn source(
        provenance: &mut HashMap<i32, Provenance>,
        id: i32,
    ) -> Result<Provenance, ExportError> {
        provenance
            .get(&id)
            .cloned()
            .ok_or(ExportError::Inconsistent("a fact without its provenance"))
    }
}
