//! Partner exports: the whole content in JSON, NDJSON, CSV, JSON-LD and FHIR, from one
//! consistent snapshot, streamed.
//!
//! [`Export::start`] opens the snapshot on a task of its own and hands its [`Record`]s over a
//! bounded channel; an [`Encoder`] turns them into one format's bytes. The CLI writes those bytes
//! to files, the HTTP endpoints stream them as response bodies.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub mod csv;
pub mod fhir;
mod json;
mod jsonld;
pub mod reader;
mod record_type;
pub mod records;

pub use fhir::FhirEncoder;
pub use json::{JsonEncoder, NdjsonEncoder};
pub use jsonld::JsonLdEncoder;
use records::{ExportMeta, Record, RecordType};

/// Records in flight between the snapshot reader and the encoder.
const CHANNEL: usize = 32;
/// Bytes gathered before a chunk of a streamed body is sent.
const CHUNK_BYTES: usize = 64 * 1024;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database failed.
    #[error("the database failed while exporting: {0}")]
    Database(#[from] DbErr),
    /// A record could not be encoded.
    #[error("a record could not be encoded: {0}")]
    Encode(String),
    /// The stored data breaks a rule the schema promises.
    #[error("the stored data is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// The reader stopped (its task panicked or was cancelled).
    #[error("the export reader stopped unexpectedly")]
    ReaderStopped,
    /// The client took longer than an export may stream.
    #[error("the export took longer than it may stream")]
    TooSlow,
    /// Whoever consumed the records went away; not an error worth reporting.
    #[error("the export was abandoned")]
    Closed,
}

impl From<serde_json::Error> for ExportError {
    fn from(err: serde_json::Error) -> Self {
        ExportError::Encode(err.to_string())
    }
}

/// The formats an export is written in (contract names for `--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document.
    Json,
    /// One JSON record per line.
    Ndjson,
    /// One CSV file per entity.
    Csv,
    /// JSON-LD with schema.org terms.
    Jsonld,
    /// An HL7 FHIR R4 `Bundle`.
    Fhir,
}

/// Turns records, in export order, into a format's bytes.
pub trait Encoder: Send {
    /// Appends one record; records of a type the format leaves out are ignored.
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError>;
    /// Appends what closes the output.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError>;
}

/// An export under way: its metadata, read first, and the rest of its records to come.
pub struct Export {
    meta: ExportMeta,
    records: mpsc::Receiver<Record>,
    reader: JoinHandle<Result<(), ExportError>>,
}

impl Export {
    /// Opens a snapshot and starts reading the `wanted` record types from it, in that order;
    /// returns once the metadata is read.
    pub async fn start(
        db: DatabaseConnection,
        wanted: Vec<RecordType>,
    ) -> Result<Export, ExportError> {
        let (sender, mut records) = mpsc::channel(CHANNEL);
        let mut reader = tokio::spawn(async move {
            let txn = reader::begin(&db).await?;
            let result = reader::read(&txn, &wanted, &sender).await;
            // Read only: rolling back ends the snapshot without writing anything.
            if let Err(err) = txn.rollback().await {
                tracing::debug!(error = %err, "ending an export's read transaction");
            }
            result
        });
        match records.recv().await {
            Some(Record::Export(meta)) => Ok(Export {
                meta,
                records,
                reader,
            }),
            Some(_) => Err(ExportError::Inconsistent(
                "an export must start with its metadata",
            )),
            None => Err(finished(&mut reader)
                .await
                .err()
                .unwrap_or(ExportError::ReaderStopped)),
        }
    }

    /// The export's metadata.
    pub fn meta(&self) -> &ExportMeta {
        &self.meta
    }

    /// The next record after the metadata; `None` when the snapshot is read. A failure of the
    /// reader is the error.
    pub async fn next(&mut self) -> Result<Option<Record>, ExportError> {
        match self.records.recv().await {
            Some(record) => Ok(Some(record)),
            None => finished(&mut self.reader).await.map(|()| None),
        }
    }

    /// The export encoded, as a stream of chunks of about 64 KiB; an error ends it, and so does
    /// the `deadline` (counted from now) passing before the last chunk.
    pub fn into_stream(
        self,
        encoder: Box<dyn Encoder>,
        deadline: Duration,
    ) -> impl Stream<Item = Result<Bytes, ExportError>> + Send {
        let first = Record::Export(self.meta.clone());
        let deadline = Instant::now() + deadline;
        futures::stream::try_unfold(
            (self, encoder, Some(first), false),
            move |(mut export, mut encoder, mut first, done)| async move {
                if done {
                    return Ok(None);
                }
                if Instant::now() > deadline {
                    return Err(ExportError::TooSlow);
                }
                let mut out = Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4);
                if let Some(first) = first.take() {
                    encoder.record(&first, &mut out)?;
                }
                while out.len() < CHUNK_BYTES {
                    match export.next().await? {
                        Some(record) => encoder.record(&record, &mut out)?,
                        None => {
                            encoder.finish(&mut out)?;
                            return Ok(Some((Bytes::from(out), (export, encoder, None, true))));
                        }
                    }
                }
                Ok(Some((Bytes::from(out), (export, encoder, None, false))))
            },
        )
    }
}

async fn finished(reader: &mut JoinHandle<Result<(), ExportError>>) -> Result<(), ExportError> {
    match reader.await {
        Ok(result) => result,
        Err(_) => Err(ExportError::ReaderStopped),
    }
}

/// Every record type, in the JSON document's order.
pub fn all_types() -> Vec<RecordType> {
    RecordType::ALL.to_vec()
}

/// The record types a format writes, in the order its encoder needs them.
pub fn order_of(format: Format) -> Vec<RecordType> {
    match format {
        Format::Json | Format::Ndjson | Format::Csv => all_types(),
        // Warnings before the therapies and drugs they attach to; pages last, once what they
        // are about is known.
        Format::Jsonld => vec![
            RecordType::Export,
            RecordType::Warning,
            RecordType::Category,
            RecordType::Treatment,
            RecordType::Regimen,
            RecordType::Drug,
            RecordType::TrialReference,
            RecordType::Mention,
            RecordType::Page,
        ],
        // Pages first: provenance points at them; drugs before the regimens that name them.
        Format::Fhir => vec![
            RecordType::Export,
            RecordType::Page,
            RecordType::Drug,
            RecordType::Regimen,
        ],
    }
}
