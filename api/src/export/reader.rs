//! Reads one consistent snapshot of the database as a stream of [`Record`]s.
//!
//! The whole export runs inside one read transaction (PostgreSQL: `REPEATABLE READ READ ONLY`;
//! SQLite: a WAL read snapshot), so a sync committing meanwhile is either wholly in it or wholly
//! out. Tables are walked in keyset chunks and each record is handed to a bounded channel: memory
//! stays at one chunk whatever the database holds, and a reader that stops listening stops the
//! walk.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{
    DrugNameKind, RevisionOrigin, RevisionReview, Route, SyncRunKind, SyncRunStatus,
};
use lmsdr_entity::{
    drug_mentions, drug_names, drugs, fact_listings, fact_versions, page_revisions, pages,
    provenance, regimen_drugs, regimens, sync_runs, treatment_categories, treatment_drugs,
    treatments, trial_references, warnings,
};
use sea_orm::{
    AccessMode, ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, FromQueryResult, IsolationLevel, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::ExportError;
use super::records::{
    Category, Component, Disclaimer, Drug, ExportMeta, Mention, Page, Provenance, Record,
    RecordType, Regimen, Revision, Treatment, TrialReference, Warning,
};
use crate::graphql::ids::{NodeType, encode, encode_named};

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

/// The metadata of what the database holds now: what an `ETag` is computed from.
pub async fn meta(txn: &DatabaseTransaction) -> Result<ExportMeta, ExportError> {
    let urls: Vec<(String, Option<String>)> = pages::Entity::find()
        .select_only()
        .columns([pages::Column::Url, pages::Column::Disclaimer])
        .order_by_asc(pages::Column::Url)
        .into_tuple()
        .all(txn)
        .await?;
    let mut sites = BTreeSet::new();
    let mut disclaimers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (url, disclaimer) in &urls {
        if let Ok(parsed) = url::Url::parse(url) {
            sites.insert(parsed.origin().ascii_serialization());
        }
        if let Some(text) = disclaimer {
            disclaimers
                .entry(text.clone())
                .or_default()
                .push(url.clone());
        }
    }
    let last_successful_sync = sync_runs::Entity::find()
        .select_only()
        .column_as(sync_runs::Column::FinishedAt.max(), "m")
        .filter(sync_runs::Column::Kind.eq(SyncRunKind::Sync))
        .filter(sync_runs::Column::Status.eq(SyncRunStatus::Ok))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(txn)
        .await?
        .flatten();
    let (generation, last_changed_at) = generation(txn).await?;
    Ok(ExportMeta {
        publisher: PUBLISHER.to_owned(),
        sites: sites.into_iter().collect(),
        sources: urls.into_iter().map(|(url, _)| url).collect(),
        disclaimers: disclaimers
            .into_iter()
            .map(|(text, page_urls)| Disclaimer { text, page_urls })
            .collect(),
        last_successful_sync,
        last_changed_at,
        generation,
        lmsdr_version: env!("CARGO_PKG_VERSION").to_owned(),
        exported_at: Utc::now(),
    })
}

/// The content generation and when the content last changed.
///
/// Every change a sync, an import or a review commits stores a revision, opens or closes a
/// listing, records a fact's new value, marks a revision reviewed or a page gone; the
/// generation digests the counters each of those moves, so it changes exactly when content does.
async fn generation(
    txn: &DatabaseTransaction,
) -> Result<(String, Option<DateTime<Utc>>), ExportError> {
    #[derive(FromQueryResult)]
    struct Revisions {
        max_id: Option<i32>,
        reviewed: i64,
        last_fetched: Option<DateTime<Utc>>,
        last_reviewed: Option<DateTime<Utc>>,
    }
    let revisions = page_revisions::Entity::find()
        .select_only()
        .column_as(page_revisions::Column::Id.max(), "max_id")
        .column_as(page_revisions::Column::ReviewedAt.count(), "reviewed")
        .column_as(page_revisions::Column::FetchedAt.max(), "last_fetched")
        .column_as(page_revisions::Column::ReviewedAt.max(), "last_reviewed")
        .into_model::<Revisions>()
        .one(txn)
        .await?;
    let listings: Option<(Option<i32>, i64)> = fact_listings::Entity::find()
        .select_only()
        .column_as(fact_listings::Column::Id.max(), "max_id")
        .column_as(fact_listings::Column::ListedUntil.count(), "closed")
        .into_tuple()
        .one(txn)
        .await?;
    let versions: Option<(Option<i32>, i64)> = fact_versions::Entity::find()
        .select_only()
        .column_as(fact_versions::Column::Id.max(), "max_id")
        .column_as(fact_versions::Column::ValidUntil.count(), "closed")
        .into_tuple()
        .one(txn)
        .await?;
    let gone: Option<i64> = pages::Entity::find()
        .select_only()
        .column_as(pages::Column::GoneAt.count(), "gone")
        .into_tuple()
        .one(txn)
        .await?;
    let revisions = revisions.unwrap_or(Revisions {
        max_id: None,
        reviewed: 0,
        last_fetched: None,
        last_reviewed: None,
    });
    let counters = format!(
        "r{:?}.a{}.l{:?}.v{:?}.g{:?}",
        revisions.max_id, revisions.reviewed, listings, versions, gone
    );
    let digest = Sha256::digest(counters.as_bytes());
    let last_changed = revisions.last_fetched.max(revisions.last_reviewed);
    Ok((hex::encode(&digest[..12]), last_changed))
}

/// Lookups every chunk needs, read once per export.
struct Reader<'a> {
    txn: &'a DatabaseTransaction,
    out: &'a mpsc::Sender<Record>,
    page_urls: HashMap<i32, String>,
    category_slugs: HashMap<i32, String>,
    treatment_slugs: HashMap<i32, String>,
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
            treatment_slugs: id_map::<treatments::Entity>(
                txn,
                treatments::Column::Id,
                treatments::Column::Slug,
            )
            .await?,
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
        let revisions: HashMap<i32, (i32, DateTime<Utc>)> = page_revisions::Entity::find()
            .select_only()
            .columns([
                page_revisions::Column::Id,
                page_revisions::Column::Number,
                page_revisions::Column::FetchedAt,
            ])
            .filter(page_revisions::Column::Id.is_in(rows.iter().map(|r| r.revision_id)))
            .into_tuple::<(i32, i32, DateTime<Utc>)>()
            .all(self.txn)
            .await?
            .into_iter()
            .map(|(id, number, at)| (id, (number, at)))
            .collect();
        rows.into_iter()
            .map(|row| {
                let (revision, revision_fetched_at) = *revisions
                    .get(&row.revision_id)
                    .ok_or(ExportError::Inconsistent("provenance without its revision"))?;
                let provenance = Provenance {
                    page_url: self.url(row.page_id)?,
                    revision,
                    revision_fetched_at,
                    section: row.section,
                    excerpt: row.excerpt,
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

    async fn pages(&self) -> Result<(), ExportError> {
        let select = pages::Entity::find();
        let mut chunks = Chunks::new(select, pages::Column::Id, TEXT_CHUNK, |p| p.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let revision_ids = chunk.iter().filter_map(|p| p.current_revision_id);
            let texts: HashMap<i32, (i32, String)> = page_revisions::Entity::find()
                .select_only()
                .columns([
                    page_revisions::Column::Id,
                    page_revisions::Column::Number,
                    page_revisions::Column::NormalizedText,
                ])
                .filter(page_revisions::Column::Id.is_in(revision_ids))
                .into_tuple::<(i32, i32, String)>()
                .all(self.txn)
                .await?
                .into_iter()
                .map(|(id, number, text)| (id, (number, text)))
                .collect();
            for page in chunk {
                let current = page.current_revision_id.and_then(|id| texts.get(&id));
                self.send(Record::Page(Page {
                    id: encode(NodeType::Page, page.id).to_string(),
                    url: page.url,
                    title: page.title,
                    kind: page.kind,
                    status: page.status,
                    last_edited_text: page.last_edited_text,
                    last_edited_at: page.last_edited_at,
                    fetched_at: page.fetched_at,
                    first_seen_at: page.first_seen_at,
                    gone_at: page.gone_at,
                    revision: current.map(|(number, _)| *number),
                    content_hash: page.content_hash,
                    excerpt: page.excerpt,
                    disclaimer: page.disclaimer,
                    text: current.map(|(_, text)| text.clone()),
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn categories(&self) -> Result<(), ExportError> {
        let select = treatment_categories::Entity::find()
            .filter(treatment_categories::Column::DelistedAt.is_null());
        let id = treatment_categories::Column::Id;
        let mut chunks = Chunks::new(select, id, CHUNK, |c| c.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|c| c.provenance_id))
                .await?;
            for category in chunk {
                self.send(Record::Category(Category {
                    id: encode(NodeType::TreatmentCategory, category.id).to_string(),
                    slug: category.slug,
                    name: category.name,
                    description: category.description,
                    position: category.position,
                    provenance: Self::source(&mut provenance, category.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn treatments(&self) -> Result<(), ExportError> {
        let select = treatments::Entity::find().filter(treatments::Column::DelistedAt.is_null());
        let mut chunks = Chunks::new(select, treatments::Column::Id, CHUNK, |t| t.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|t| t.provenance_id))
                .await?;
            let rows = treatment_drugs::Entity::find()
                .filter(treatment_drugs::Column::DelistedAt.is_null())
                .filter(treatment_drugs::Column::TreatmentId.is_in(chunk.iter().map(|t| t.id)))
                .order_by_asc(treatment_drugs::Column::Position)
                .order_by_asc(treatment_drugs::Column::Id)
                .all(self.txn)
                .await?;
            let mut components: HashMap<i32, Vec<Component>> = HashMap::new();
            for row in rows {
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
                    id: encode(NodeType::Treatment, treatment.id).to_string(),
                    slug: treatment.slug,
                    name: treatment.name,
                    category: Self::required(&self.category_slugs, treatment.category_id)?,
                    status: treatment.status,
                    first_line: treatment.first_line,
                    position: treatment.position,
                    regimen: Self::optional(&self.regimen_slugs, treatment.regimen_id)?,
                    drugs: components.remove(&treatment.id).unwrap_or_default(),
                    provenance: Self::source(&mut provenance, treatment.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn drugs(&self) -> Result<(), ExportError> {
        let select = drugs::Entity::find().filter(drugs::Column::DelistedAt.is_null());
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
            for (drug_id, route) in treatment_drugs::Entity::find()
                .select_only()
                .columns([
                    treatment_drugs::Column::DrugId,
                    treatment_drugs::Column::Route,
                ])
                .filter(treatment_drugs::Column::DelistedAt.is_null())
                .filter(treatment_drugs::Column::Route.is_not_null())
                .filter(treatment_drugs::Column::DrugId.is_in(ids))
                .into_tuple::<(i32, Option<Route>)>()
                .all(self.txn)
                .await?
            {
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
                    id: encode(NodeType::Drug, drug.id).to_string(),
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
                    provenance: Self::source(&mut provenance, drug.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn regimens(&self) -> Result<(), ExportError> {
        let select = regimens::Entity::find().filter(regimens::Column::DelistedAt.is_null());
        let mut chunks = Chunks::new(select, regimens::Column::Id, CHUNK, |r| r.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|r| r.provenance_id))
                .await?;
            let mut components: HashMap<i32, Vec<Component>> = HashMap::new();
            for row in regimen_drugs::Entity::find()
                .filter(regimen_drugs::Column::DelistedAt.is_null())
                .filter(regimen_drugs::Column::RegimenId.is_in(chunk.iter().map(|r| r.id)))
                .order_by_asc(regimen_drugs::Column::Position)
                .order_by_asc(regimen_drugs::Column::Id)
                .all(self.txn)
                .await?
            {
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
                    id: encode(NodeType::Regimen, regimen.id).to_string(),
                    slug: regimen.slug,
                    name: regimen.name,
                    components: regimen.components,
                    first_line: regimen.first_line,
                    drugs: components.remove(&regimen.id).unwrap_or_default(),
                    provenance: Self::source(&mut provenance, regimen.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn warnings(&self) -> Result<(), ExportError> {
        let select = warnings::Entity::find().filter(warnings::Column::DelistedAt.is_null());
        let mut chunks = Chunks::new(select, warnings::Column::Id, CHUNK, |w| w.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|w| w.provenance_id))
                .await?;
            for warning in chunk {
                self.send(Record::Warning(Warning {
                    id: encode(NodeType::Warning, warning.id).to_string(),
                    slug: warning.slug,
                    kind: warning.kind,
                    text: warning.text,
                    population: warning.population,
                    drug: Self::optional(&self.drug_slugs, warning.drug_id)?,
                    category: Self::optional(&self.category_slugs, warning.category_id)?,
                    provenance: Self::source(&mut provenance, warning.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn trial_references(&self) -> Result<(), ExportError> {
        let select =
            trial_references::Entity::find().filter(trial_references::Column::DelistedAt.is_null());
        let id = trial_references::Column::Id;
        let mut chunks = Chunks::new(select, id, CHUNK, |t| t.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|t| t.provenance_id))
                .await?;
            for trial in chunk {
                self.send(Record::TrialReference(TrialReference {
                    id: encode_named("TrialReference", trial.id).to_string(),
                    slug: trial.slug,
                    label: trial.label,
                    code: trial.code,
                    url: trial.url,
                    drug: Self::optional(&self.drug_slugs, trial.drug_id)?,
                    treatment: Self::optional(&self.treatment_slugs, trial.treatment_id)?,
                    provenance: Self::source(&mut provenance, trial.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn mentions(&self) -> Result<(), ExportError> {
        let select =
            drug_mentions::Entity::find().filter(drug_mentions::Column::DelistedAt.is_null());
        let id = drug_mentions::Column::Id;
        let mut chunks = Chunks::new(select, id, CHUNK, |m| m.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let mut provenance = self
                .provenance(chunk.iter().map(|m| m.provenance_id))
                .await?;
            for mention in chunk {
                self.send(Record::Mention(Mention {
                    id: encode_named("DrugMention", mention.id).to_string(),
                    drug: Self::required(&self.drug_slugs, mention.drug_id)?,
                    page_url: self.url(mention.page_id)?,
                    name_as_written: mention.name_as_written,
                    sentence: mention.sentence,
                    provenance: Self::source(&mut provenance, mention.provenance_id)?,
                }))
                .await?;
            }
        }
        Ok(())
    }

    async fn revisions(&self) -> Result<(), ExportError> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i32,
            page_id: i32,
            number: i32,
            content_hash: String,
            fetched_at: DateTime<Utc>,
            last_edited_text: Option<String>,
            last_edited_at: Option<NaiveDateTime>,
            origin: RevisionOrigin,
            quarantined: bool,
            quarantine_reason: Option<String>,
            review: Option<RevisionReview>,
            diff: Option<String>,
        }
        use page_revisions::Column as C;
        let mut after = 0;
        loop {
            // Selected column by column: the raw bodies stay in the database.
            let chunk = page_revisions::Entity::find()
                .select_only()
                .columns([
                    C::Id,
                    C::PageId,
                    C::Number,
                    C::ContentHash,
                    C::FetchedAt,
                    C::LastEditedText,
                    C::LastEditedAt,
                    C::Origin,
                    C::Quarantined,
                    C::QuarantineReason,
                    C::Review,
                    C::Diff,
                ])
                .filter(C::Id.gt(after))
                .order_by_asc(C::Id)
                .limit(TEXT_CHUNK)
                .into_model::<Row>()
                .all(self.txn)
                .await?;
            let Some(last) = chunk.last() else {
                return Ok(());
            };
            after = last.id;
            for row in chunk {
                self.send(Record::Revision(Revision {
                    id: encode(NodeType::Revision, row.id).to_string(),
                    page_url: self.url(row.page_id)?,
                    number: row.number,
                    content_hash: row.content_hash,
                    fetched_at: row.fetched_at,
                    last_edited_text: row.last_edited_text,
                    last_edited_at: row.last_edited_at,
                    origin: row.origin,
                    quarantined: row.quarantined,
                    quarantine_reason: row.quarantine_reason,
                    review: row.review,
                    diff: row.diff,
                }))
                .await?;
            }
        }
    }
}

/// A table read in chunks of `size` rows ordered by its integer key.
struct Chunks<E: EntityTrait> {
    select: Select<E>,
    id: E::Column,
    size: u64,
    key: fn(&E::Model) -> i32,
    after: Option<i32>,
}

impl<E: EntityTrait> Chunks<E> {
    fn new(select: Select<E>, id: E::Column, size: u64, key: fn(&E::Model) -> i32) -> Self {
        Self {
            select,
            id,
            size,
            key,
            after: Some(i32::MIN),
        }
    }

    /// The next chunk; `None` after the last.
    async fn next(
        &mut self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<Vec<E::Model>>, ExportError> {
        let Some(after) = self.after else {
            return Ok(None);
        };
        let chunk = self
            .select
            .clone()
            .filter(self.id.gt(after))
            .order_by_asc(self.id)
            .limit(self.size)
            .all(txn)
            .await?;
        self.after = chunk.last().map(self.key);
        Ok(Some(chunk).filter(|c| !c.is_empty()))
    }
}

/// `id → value` for every row of a table.
async fn id_map<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    id: E::Column,
    value: E::Column,
) -> Result<HashMap<i32, String>, ExportError> {
    Ok(E::find()
        .select_only()
        .columns([id, value])
        .into_tuple::<(i32, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}
