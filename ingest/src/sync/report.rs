//! What a sync says of itself: each URL's outcome, the run's counts and why it stopped.

use lmsdr_entity::sea_orm_active_enums::SyncRunStatus;
use sea_orm::DbErr;
use serde::Serialize;

use super::scope::{SkipSummary, Skipped};

use crate::fetch::FetchError;
use crate::runs::RunCounts;

/// What happened to one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum PageOutcome {
    /// First time seen (stored, or would be in a dry run).
    New,
    /// Content changed: a new revision.
    Changed,
    /// Fetched; same content as stored.
    Unchanged,
    /// HTTP 304: nothing downloaded.
    NotModified,
    /// HTTP 404/410 for a page seen before: marked gone.
    Gone,
    /// HTTP 404/410 for a linked URL never stored: one of the site's broken links, listed on
    /// the run and in `site { brokenLinks }`, no failure of the run.
    BrokenLink(u16),
    /// Not an HTML page; not stored.
    Skipped(String),
    /// Redirected within the site: the target is queued and stored under its own URL, which
    /// this URL becomes an alias of.
    Redirected(String),
    /// Serves the content of the stored page at the URL given: recorded as that page's alias,
    /// stored once, and not counted against the page limit.
    Alias(String),
    /// Redirected off the site (or where robots.txt disallows): recorded on the run, never
    /// fetched.
    OffSiteRedirect(String),
    /// Fetched, but the new content would wipe or gut what the page states: stored as a
    /// quarantined revision that applies nothing, for the reason given.
    Quarantined(String),
    /// Failed; the stored page, if any, is untouched.
    Failed(String),
}

impl PageOutcome {
    /// Counts the outcome on the run; returns the line it puts among the run's errors, if any.
    pub(super) fn count(&self, counts: &mut RunCounts) -> Option<String> {
        match self {
            PageOutcome::New | PageOutcome::Changed => {
                counts.fetched += 1;
                counts.changed += 1;
                None
            }
            PageOutcome::Unchanged
            | PageOutcome::Skipped(_)
            | PageOutcome::Redirected(_)
            | PageOutcome::Alias(_) => {
                counts.fetched += 1;
                None
            }
            PageOutcome::NotModified => {
                counts.not_modified += 1;
                None
            }
            PageOutcome::Gone => None,
            PageOutcome::OffSiteRedirect(target) => {
                counts.fetched += 1;
                Some(format!(
                    "redirects to {target}, off the site or disallowed by robots.txt; not followed"
                ))
            }
            PageOutcome::Quarantined(reason) => {
                counts.fetched += 1;
                counts.quarantined += 1;
                Some(format!("held in quarantine: {reason}"))
            }
            PageOutcome::BrokenLink(status) => {
                counts.broken_links += 1;
                Some(format!("broken link: HTTP {status}"))
            }
            PageOutcome::Failed(reason) => {
                counts.failed += 1;
                Some(reason.clone())
            }
        }
    }
}

/// One URL's line in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageReport {
    /// The URL.
    pub url: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: PageOutcome,
    /// What the extractor reported for a person to look at (a possible treatment listing not
    /// read as one, a section of a listing left out); also recorded among the run's errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// The summary of a sync.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The run's ID (none for a dry run).
    pub run_id: Option<i32>,
    /// ok, partial or failed.
    pub status: SyncRunStatus,
    /// Page counts.
    pub counts: RunCounts,
    /// Why it stopped: it read every page it found, or reached its page limit.
    pub finish_reason: FinishReason,
    /// Runs found abandoned and marked aborted.
    pub aborted_runs: u64,
    /// What the crawl's scope left out, by rule: how many, and a few examples.
    pub skipped: SkipSummary,
    /// Pages stored by earlier syncs that the scope now leaves out: kept, with their history,
    /// but no longer synced.
    pub out_of_scope: Skipped,
    /// One entry per URL.
    pub pages: Vec<PageReport>,
}

/// Why a sync stopped (as Scrapy's `finish_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Every page found was read (or robots.txt stopped the run before it began).
    Finished,
    /// The page limit (`--max-pages`) was reached with same-site URLs left unread.
    PageLimit,
}

/// Why a sync could not run.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another sync holds the database.
    #[error("{0}")]
    Busy(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The HTTP client could not be set up.
    #[error("{0}")]
    Fetch(#[from] FetchError),
}

/// Told about each page as the sync goes.
pub trait Progress: Send + Sync {
    /// The run was recorded and is under way.
    fn started(&self, _run_id: i32) {}

    /// One URL is done; `done` of `known` URLs so far.
    fn page_done(&self, report: &PageReport, done: usize, known: usize);
}

/// A progress sink that says nothing.
#[derive(Debug, Clone, Copy)]
pub struct Quiet;

impl Progress for Quiet {
    fn page_done(&self, _: &PageReport, _: usize, _: usize) {}
}
