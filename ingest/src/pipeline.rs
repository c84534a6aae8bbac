//! One way in: every page — synced, imported from a file or an archive, the bundled snapshot,
//! or posted through `importPage` — goes through [`ingest`]: decode, extract and classify (off the
//! async workers), then store in one transaction. The rules of what a page may state therefore
//! hold whichever door it came through.

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_entity::{page_revisions, pages};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use url::Url;

use crate::extract::{self, Document, ExtractError, PageInput};
use crate::limits::MAX_PAGE_BYTES;
use crate::store::review::{self, ReviewError};
use crate::store::{self, Observation, StoreError, Stored};

/// A page as it arrived, with where and when it was read.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where the page lives (or lived).
    pub url: Url,
    /// Its raw bytes.
    pub bytes: Vec<u8>,
    /// The `Content-Type` it came with.
    pub content_type: Option<String>,
    /// When it was fetched or captured.
    pub fetched_at: DateTime<Utc>,
    /// The HTTP status it was served with, if fetched.
    pub http_status: Option<u16>,
    /// The `ETag` validator.
    pub etag: Option<String>,
    /// The `Last-Modified` validator.
    pub last_modified: Option<String>,
    /// Where the bytes came from.
    pub origin: RevisionOrigin,
    /// The run reading it.
    pub run_id: Option<i32>,
    /// The web archive's URL of the capture it came from, for a page read from an archive.
    pub memento_url: Option<String>,
}

impl Input {
    /// A page's bytes read from somewhere now, with nothing else known.
    pub fn new(url: Url, bytes: Vec<u8>, origin: RevisionOrigin) -> Self {
        Self {
            url,
            bytes,
            content_type: None,
            fetched_at: Utc::now(),
            http_status: None,
            etag: None,
            last_modified: None,
            origin,
            run_id: None,
            memento_url: None,
        }
    }
}

/// Why a page could not be ingested. Nothing is stored when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The page could not be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The page could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Extraction stopped without an answer (it panicked or was cancelled).
    #[error("extraction stopped: {0}")]
    Aborted(String),
    /// Extraction took longer than its budget; nothing was stored.
    #[error("extraction took longer than {}s; the page was not read", .0.as_secs_f32())]
    TooSlow(std::time::Duration),
}

/// How long extracting one page may take before it is given up. Extraction of a page at the
/// 8 MiB cap takes well under a second; a page that takes this long is hostile or broken.
pub const EXTRACT_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// A page read: the input back, and what it says.
#[derive(Debug)]
pub struct Read {
    /// The input.
    pub input: Input,
    /// The extracted page.
    pub document: Document,
}

/// A page read and stored.
#[derive(Debug)]
pub struct Ingested {
    /// What it says.
    pub document: Document,
    /// What was stored.
    pub stored: Stored,
}

/// Decodes, extracts and classifies a page on a blocking thread, so that one page can never
/// stall the async workers that serve requests, within [`EXTRACT_BUDGET`].
pub async fn read(input: Input) -> Result<Read, PipelineError> {
    read_within(input, EXTRACT_BUDGET).await
}

/// [`read`] with a budget of its own. A page over budget is an error at once; its blocking
/// thread, which cannot be interrupted, finishes on its own and its result is dropped.
pub async fn read_within(input: Input, budget: std::time::Duration) -> Result<Read, PipelineError> {
    let task = tokio::task::spawn_blocking(move || {
        let document = extract::extract(PageInput {
            url: &input.url,
            bytes: &input.bytes,
            content_type: input.content_type.as_deref(),
        });
        (input, document)
    });
    let (input, document) = tokio::time::timeout(budget, task)
        .await
        .map_err(|_| PipelineError::TooSlow(budget))?
        .map_err(|e| PipelineError::Aborted(e.to_string()))?;
    Ok(Read {
        input,
        document: document?,
    })
}

/// Reads a page and stores it in one transaction.
pub async fn ingest(db: &DatabaseConnection, input: Input) -> Result<Ingested, PipelineError> {
    store(db, read(input).await?).await
}

/// Stores a page read, in one transaction: [`ingest`]'s second half, for a caller that decides
/// on what it read first (a crawl leaves out a page that asks `noindex`).
pub async fn store(db: &DatabaseConnection, read: Read) -> Result<Ingested, PipelineError> {
    let Read { input, document } = read;
    let stored = store::store_page(
        db,
        Observation {
            document: &document,
            raw: &input.bytes,
            content_type: input.content_type.as_deref(),
            fetched_at: input.fetched_at,
            http_status: input.http_status,
            etag: input.etag.as_deref(),
            last_modified: input.last_modified.as_deref(),
            origin: input.origin,
            sync_run_id: input.run_id,
            memento_url: input.memento_url.as_deref(),
        },
    )
    .await?;
    Ok(Ingested { document, stored })
}

/// Why a stored revision could not be read again.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The stored bytes or URL are damaged.
    #[error("the stored page cannot be read: {0}")]
    Damaged(String),
}

/// A stored revision's bytes, as an input to read again (origin [`RevisionOrigin::Reread`]);
/// `None` when there is no such revision.
pub async fn stored_input(
    db: &DatabaseConnection,
    revision_id: i32,
) -> Result<Option<Input>, StoredError> {
    /// Raw body, content type, HTTP status and the page's URL.
    type StoredRow = (Vec<u8>, Option<String>, Option<i32>, String);
    let row: Option<StoredRow> = page_revisions::Entity::find_by_id(revision_id)
        .select_only()
        .column(page_revisions::Column::RawBodyZstd)
        .column(page_revisions::Column::ContentType)
        .column(page_revisions::Column::HttpStatus)
        .column(pages::Column::Url)
        .inner_join(pages::Entity)
        .into_tuple()
        .one(db)
        .await?;
    let Some((raw, content_type, http_status, url)) = row else {
        return Ok(None);
    };
    let url = Url::parse(&url).map_err(|e| StoredError::Damaged(e.to_string()))?;
    let bytes = zstd::bulk::decompress(&raw, MAX_PAGE_BYTES)
        .map_err(|e| StoredError::Damaged(e.to_string()))?;
    Ok(Some(Input {
        content_type,
        http_status: http_status.and_then(|s| u16::try_from(s).ok()),
        ..Input::new(url, bytes, RevisionOrigin::Reread)
    }))
}

/// Why a quarantined revision could not be accepted. Nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// The stored revision could not be read back.
    #[error(transparent)]
    Stored(#[from] StoredError),
    /// Its bytes could not be read again.
    #[error(transparent)]
    Read(#[from] PipelineError),
    /// It is not one to accept, or could not be applied.
    #[error(transparent)]
    Review(#[from] ReviewError),
}

/// Accepts a quarantined revision on purpose: its stored bytes are read again, by the same
/// extractor every page goes through, and applied as if accepted when they were fetched.
pub async fn accept(
    db: &DatabaseConnection,
    revision_id: i32,
) -> Result<page_revisions::Model, AcceptError> {
    let input = stored_input(db, revision_id)
        .await?
        .ok_or(ReviewError::NotFound(revision_id))?;
    let read = read(input).await?;
    Ok(review::accept(db, revision_id, &read.document, Utc::now()).await?)
}

/// What [`reread_stale`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reread {
    /// Pages read again.
    pub pages: usize,
    /// Pages that could not be, with why.
    pub failed: Vec<(String, String)>,
}

/// Reads again, from their stored bytes, the pages whose latest revision was read by older
/// extraction rules ([`extract::READER_VERSION`]; or by an extractor that stored no content
/// blocks), so that what they state follows today's rules — a page that is not a treatment
/// listing stops listing treatments, a section an older extractor dropped is listed again.
/// Idempotent: a page read once is not read again.
pub async fn reread_stale(db: &DatabaseConnection) -> Result<Reread, DbErr> {
    let stale: Vec<(String, i32)> = page_revisions::Entity::find()
        .select_only()
        .column(pages::Column::Url)
        .column(page_revisions::Column::Id)
        .inner_join(pages::Entity)
        .filter(
            Condition::any()
                .add(page_revisions::Column::ContentBlocks.is_null())
                .add(page_revisions::Column::ReadBy.is_null())
                .add(page_revisions::Column::ReadBy.lt(extract::READER_VERSION)),
        )
        .filter(
            page_revisions::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .expr(page_revisions::Column::Id.max())
                    .from(page_revisions::Entity)
                    .group_by_col(page_revisions::Column::PageId)
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut report = Reread::default();
    for (url, revision_id) in stale {
        let outcome = match stored_input(db, revision_id).await {
            Ok(Some(input)) => ingest(db, input).await.map_err(|e| e.to_string()),
            Ok(None) => continue,
            Err(err) => Err(err.to_string()),
        };
        match outcome {
            Ok(_) => report.pages += 1,
            Err(reason) => {
                tracing::warn!(%url, %reason, "could not read a stored page again");
                report.failed.push((url, reason));
            }
        }
    }
    if report.pages > 0 {
        tracing::info!(
            pages = report.pages,
            "read stored pages again with the current extractor"
        );
    }
    Ok(report)
}
