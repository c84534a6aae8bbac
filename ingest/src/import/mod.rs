//! `lmsdr import`: saved pages from files and directories, each page in its own transaction.
//!
//! A page's URL is the base URL joined with its path relative to the directory given (or its file
//! name, for a single file). Web archives (`.warc`, `.warc.gz`) give their captures' own URLs and
//! dates, and are replayed oldest capture first. A file that is not HTML, is too large or cannot be decoded is reported
//! and skipped; the others are imported, and nothing already stored is touched by a failure.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{RevisionOrigin, SyncRunKind};
use sea_orm::{DatabaseConnection, DbErr};
use url::Url;

use crate::archive;
use crate::db;
use crate::limits::MAX_PAGE_BYTES;
use crate::lock::{self, LockError, SyncLock};
use crate::pipeline::{self, Input, PipelineError};
use crate::runs::{self, Pulse};
use crate::store::{PageChange, StoreError, Stored};

mod report;

pub use report::{EntityCounts, FileReport, ImportReport, Notice, PageTally};

/// The foundation's site, the default base for imported pages' URLs.
pub const DEFAULT_BASE_URL: &str = "http://www.lmsdr.org/";

/// File name endings taken from directories (files named on the command line are always tried).
const PAGE_EXTENSIONS: &[&str] = &["html", "htm", "php", "asp", "aspx", "shtml", "xhtml", "cfm"];

/// Why an import could not run at all (per-file problems are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A path given does not exist or cannot be read.
    #[error("cannot read {path}: {source}")]
    Path {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another sync or import holds the database.
    #[error("{0}")]
    Busy(String),
    /// The database failed outside any one page.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The database stopped taking writes (full, read-only, gone) while a page was stored; the
    /// pages stored before it are kept.
    #[error("import stopped at {url}: the database cannot take writes: {source}")]
    CannotWrite {
        /// The page being stored.
        url: String,
        /// What the database said.
        source: DbErr,
    },
}

/// Why one page was not imported.
pub(crate) enum PageFailure {
    /// A one-line reason to report; the import goes on with the next page.
    Skipped(String),
    /// The database cannot take writes: the import stops with this cause.
    CannotWrite(DbErr),
}

impl From<String> for PageFailure {
    fn from(reason: String) -> Self {
        PageFailure::Skipped(reason)
    }
}

impl From<DbErr> for PageFailure {
    fn from(err: DbErr) -> Self {
        if db::cannot_write(&err) {
            PageFailure::CannotWrite(err)
        } else {
            PageFailure::Skipped(err.to_string())
        }
    }
}

impl From<PipelineError> for PageFailure {
    fn from(err: PipelineError) -> Self {
        match err {
            PipelineError::Store(StoreError::Db(err)) => err.into(),
            other => PageFailure::Skipped(other.to_string()),
        }
    }
}

/// A page's outcome for the report, or the error that stops the import.
fn settle(
    url: &Url,
    outcome: Result<PageChange, PageFailure>,
) -> Result<Result<PageChange, String>, ImportError> {
    match outcome {
        Ok(change) => Ok(Ok(change)),
        Err(PageFailure::Skipped(reason)) => Ok(Err(reason)),
        Err(PageFailure::CannotWrite(source)) => Err(ImportError::CannotWrite {
            url: url.to_string(),
            source,
        }),
    }
}

/// Imports files and directories of saved pages, as one run under the sync lock (one sync or
/// import at a time per database; `database_url` is where PostgreSQL's lock session connects).
pub async fn import_paths(
    db: &DatabaseConnection,
    database_url: &str,
    paths: &[PathBuf],
    base_url: &Url,
) -> Result<ImportReport, ImportError> {
    let mut targets = Vec::new();
    for path in paths {
        collect(path, base_url, &mut targets)?;
    }
    let lock = lock::acquire(db, database_url).await.map_err(|e| match e {
        busy @ LockError::Busy(_) => ImportError::Busy(busy.to_string()),
        LockError::Db(err) => ImportError::Db(err),
    })?;
    let result = import_locked(db, targets, base_url, &lock).await;
    lock.release_or_expire(db).await;
    result
}

async fn import_locked(
    db: &DatabaseConnection,
    targets: Vec<(PathBuf, Url)>,
    base_url: &Url,
    lock: &SyncLock,
) -> Result<ImportReport, ImportError> {
    let (archives, targets): (Vec<_>, Vec<_>) = targets
        .into_iter()
        .partition(|(path, _)| archive::is_warc(path));
    let aborted_runs = runs::abort_abandoned(db).await?;
    pipeline::reread_stale(db).await?;
    let run = runs::start(db, SyncRunKind::Import, base_url.as_str(), false).await?;
    let mut pulse = Pulse::new(run.id, Some(lock));
    let mut report = ImportReport {
        run_id: run.id,
        aborted_runs,
        ..Default::default()
    };
    for (path, url) in targets {
        let outcome = settle(
            &url,
            import_file(db, &path, &url, run.id, &mut report).await,
        )?;
        report.record(db, run.id, path, &url, outcome).await?;
        pulse.beat(db, report.counts()).await?;
    }
    replay_archives(db, &archives, run.id, &mut report, &mut pulse).await?;
    runs::finish(db, run, report.counts()).await?;
    Ok(report)
}

/// Replays the HTML responses captured in web archives, oldest capture first, so that each page's
/// edit history is rebuilt in the order it happened.
async fn replay_archives(
    db: &DatabaseConnection,
    archives: &[(PathBuf, Url)],
    run_id: i32,
    report: &mut ImportReport,
    pulse: &mut Pulse<'_>,
) -> Result<(), ImportError> {
    let mut captures = Vec::new();
    for (path, url) in archives {
        let reading = path.clone();
        let read = tokio::task::spawn_blocking(move || archive::read(&reading))
            .await
            .unwrap_or_else(|_| Err("the WARC reader failed".to_owned()));
        match read {
            Ok(found) => {
                for reason in found.skipped {
                    runs::record_error(db, run_id, url.as_str(), &reason).await?;
                    report.pages.notices.push(Notice {
                        url: url.to_string(),
                        notice: reason,
                    });
                }
                captures.extend(found.captures.into_iter().map(|c| (path.clone(), c)));
            }
            Err(reason) => {
                report
                    .record(db, run_id, path.clone(), url, Err(reason))
                    .await?;
            }
        }
    }
    captures.retain(|(_, c)| {
        c.status == 200 && c.content_type.as_deref().is_none_or(|t| t.contains("html"))
    });
    captures.sort_by_key(|(_, c)| c.captured_at);
    for (path, capture) in captures {
        let url = capture.url.clone();
        let input = Input {
            content_type: capture.content_type,
            fetched_at: capture.captured_at,
            http_status: Some(capture.status),
            run_id: Some(run_id),
            ..Input::new(capture.url, capture.body, RevisionOrigin::Archive)
        };
        let stored = ingest(db, input, &mut report.pages).await;
        let outcome = settle(&url, stored.map(|s| s.change))?;
        report.record(db, run_id, path, &url, outcome).await?;
        pulse.beat(db, report.counts()).await?;
    }
    Ok(())
}

/// Ingests one page, adding its facts, kind and notices to the tally (and its notices to the
/// run's errors).
pub(crate) async fn ingest(
    db: &DatabaseConnection,
    input: Input,
    report: &mut PageTally,
) -> Result<Stored, PageFailure> {
    let run_id = input.run_id;
    let ingested = pipeline::ingest(db, input).await?;
    let document = &ingested.document;
    report.entities.add(document);
    report
        .unverified_names
        .extend(document.unverified_names.iter().cloned());
    *report.kinds.entry(document.kind).or_default() += 1;
    for notice in &document.notices {
        if let Some(run_id) = run_id {
            runs::record_error(db, run_id, &document.url, notice).await?;
        }
        report.notices.push(Notice {
            url: document.url.clone(),
            notice: notice.clone(),
        });
    }
    if let Some(reason) = &ingested.stored.quarantine_reason {
        if let Some(run_id) = run_id {
            let error = format!("held in quarantine: {reason}");
            runs::record_error(db, run_id, &document.url, &error).await?;
        }
        report.quarantined.push(Notice {
            url: document.url.clone(),
            notice: reason.clone(),
        });
    }
    Ok(ingested.stored)
}

/// Reads, extracts and stores one file.
async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    url: &Url,
    run_id: i32,
    report: &mut ImportReport,
) -> Result<PageChange, PageFailure> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if metadata.len() > MAX_PAGE_BYTES as u64 {
        return Err(format!(
            "page is too large: {} bytes, the limit is {MAX_PAGE_BYTES}",
            metadata.len()
        )
        .into());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    let fetched_at: DateTime<Utc> = metadata
        .modified()
        .map(DateTime::from)
        .unwrap_or_else(|_| Utc::now());
    let input = Input {
        fetched_at,
        run_id: Some(run_id),
        ..Input::new(url.clone(), bytes, RevisionOrigin::Import)
    };
    Ok(ingest(db, input, &mut report.pages).await?.change)
}

/// Lists the pages under a path with the URL each is stored under.
fn collect(path: &Path, base: &Url, out: &mut Vec<(PathBuf, Url)>) -> Result<(), ImportError> {
    let metadata = std::fs::metadata(path).map_err(|source| ImportError::Path {
        path: path.to_owned(),
        source,
    })?;
    if metadata.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((path.to_owned(), join(base, &name)));
        return Ok(());
    }
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.map_err(|e| ImportError::Path {
            path: e.path().map_or_else(|| path.to_owned(), Path::to_owned),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() || !is_page_file(entry.path()) {
            continue;
        }
        let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        found.push((entry.path().to_owned(), join(base, &relative)));
    }
    out.extend(found);
    Ok(())
}

fn is_page_file(path: &Path) -> bool {
    archive::is_warc(path)
        || path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_none_or(|e| PAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Joins a relative path onto the base URL, percent-encoding what needs it.
fn join(base: &Url, relative: &str) -> Url {
    let mut url = base.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let mut joined = url.clone();
    if let Ok(mut segments) = joined.path_segments_mut() {
        segments.pop_if_empty();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            segments.push(part);
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_relative_paths() {
        let base = Url::parse("http://www.lmsdr.org/").expect("url");
        assert_eq!(
            join(&base, "treatments.php").as_str(),
            "http://www.lmsdr.org/treatments.php"
        );
        assert_eq!(
            join(&base, "news/2012 08.html").as_str(),
            "http://www.lmsdr.org/news/2012%2008.html"
        );
        let nested = Url::parse("http://example.org/archive").expect("url");
        assert_eq!(
            join(&nested, "a.html").as_str(),
            "http://example.org/archive/a.html"
        );
    }
}
