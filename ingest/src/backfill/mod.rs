//! `lmsdr backfill`: a site's past from a web archive. Every capture under the site is listed
//! (the CDX API, resume keys followed), the distinct HTML versions of each page are fetched as
//! the archive holds them (`id_` playback), checked against the archive's digest, and go through
//! the one ingestion path oldest first, captured at their capture time. A run is recorded like an
//! import, under the same lock; a capture fetched once is never fetched again.

mod client;
mod digest;
mod ledger;
mod listing;
mod plan;
mod report;

use lmsdr_entity::sea_orm_active_enums::{CaptureOutcome, RevisionOrigin, SyncRunKind};
use sea_orm::{DatabaseConnection, DbErr};
use url::Url;

use crate::import::{self, PageFailure};
use crate::lock::{self, LockError, SyncLock};
use crate::pipeline::{self, Input};
use crate::runs::{self, Pulse};
use crate::store::PageChange;

pub use client::{ArchiveError, Politeness};
pub use digest::of as digest_of;
pub use listing::{DateRange, Flavour, requested};
pub use plan::{Capture, Listed, ListingCounts, PagePlan, captured_at, page_of};
pub use report::{BackfillReport, CaptureReport, Rejected};

use client::{ArchiveClient, Kind};
use ledger::{Entry, Ledger};

/// The Internet Archive's Wayback Machine, the default archive.
pub const DEFAULT_ARCHIVE: &str = "https://web.archive.org";

/// The most captures one backfill lists; a site with more is backfilled a period at a time.
pub const MAX_LISTED: usize = 1_000_000;

/// Fetches in a row that fail to connect after which the archive is taken to be down.
const MAX_FAILURES_IN_A_ROW: u32 = 5;

/// What to backfill, from where, and how politely.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// The archive (`https://web.archive.org`, or a pywb collection's URL).
    pub archive: Url,
    /// The site whose captures are read.
    pub site: Url,
    /// Which captures, by date.
    pub range: DateRange,
    /// List and count only: no body fetched, nothing written.
    pub dry_run: bool,
    /// The rates and waits.
    pub politeness: Politeness,
}

/// Why a backfill could not run, or stopped (per-capture problems are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The archive could not list the site's captures.
    #[error("cannot list the captures of {site} at {archive}: {reason}")]
    Listing {
        /// The archive.
        archive: String,
        /// The site.
        site: String,
        /// Why.
        reason: String,
    },
    /// Another sync, import or backfill holds the database.
    #[error("{0}")]
    Busy(String),
    /// The database failed outside any one capture.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The database stopped taking writes; what was stored before is kept.
    #[error("backfill stopped at {url}: the database cannot take writes: {source}")]
    CannotWrite {
        /// The page being stored.
        url: String,
        /// What the database said.
        source: DbErr,
    },
}

/// What a backfill tells as it goes.
pub trait Progress: Send + Sync {
    /// The listing is read: `captures` to fetch at most.
    fn listed(&self, _captures: usize) {}
    /// One capture is done (stored, skipped or rejected).
    fn capture_done(&self, _done: usize, _total: usize, _url: &str) {}
}

/// A progress sink that says nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// Backfills a site from an archive: one run under the sync lock (`database_url` is where
/// PostgreSQL's lock session connects). A dry run lists and counts, and takes no lock.
pub async fn backfill(
    db: &DatabaseConnection,
    database_url: &str,
    options: &BackfillOptions,
    progress: &dyn Progress,
) -> Result<BackfillReport, BackfillError> {
    let archive = options.archive.as_str().trim_end_matches('/').to_owned();
    let listing_error = |reason: String| BackfillError::Listing {
        archive: archive.clone(),
        site: options.site.to_string(),
        reason,
    };
    let mut client =
        ArchiveClient::new(options.politeness.clone()).map_err(|e| listing_error(e.to_string()))?;
    let (flavour, rows) = list(&mut client, options).await.map_err(listing_error)?;
    let plan = plan::plan(&options.site, rows);
    let mut report =
        BackfillReport::planned(&archive, options.site.as_str(), options.dry_run, &plan);
    progress.listed(plan.captures.len());
    if options.dry_run {
        report.requests = client.requests;
        return Ok(report);
    }
    let lock = lock::acquire(db, database_url).await.map_err(|e| match e {
        busy @ LockError::Busy(_) => BackfillError::Busy(busy.to_string()),
        LockError::Db(err) => BackfillError::Db(err),
    })?;
    let mut run = Fetching {
        db,
        options,
        flavour,
        archive: &archive,
        client,
        report,
        progress,
    };
    let result = run.locked(&plan.captures, &lock).await;
    lock.release_or_expire(db).await;
    result.map(|()| run.report)
}

/// Lists every capture under the site, trying the Wayback CDX API, then pywb's.
async fn list(
    client: &mut ArchiveClient,
    options: &BackfillOptions,
) -> Result<(Flavour, Vec<listing::Row>), String> {
    let mut last = String::new();
    for flavour in [Flavour::Wayback, Flavour::Pywb] {
        match list_as(client, options, flavour).await {
            Ok(Some(rows)) => return Ok((flavour, rows)),
            Ok(None) => last = format!("no CDX API answers at {}", listing_path(flavour, options)),
            Err(reason) => return Err(reason),
        }
    }
    Err(last)
}

fn listing_path(flavour: Flavour, options: &BackfillOptions) -> String {
    flavour
        .listing_url(&options.archive, &options.site, &options.range, None)
        .map(|u| u[..url::Position::AfterPath].to_owned())
        .unwrap_or_default()
}

/// Every row of one flavour's listing, resume key after resume key; `None` when the archive has
/// no such API (404).
async fn list_as(
    client: &mut ArchiveClient,
    options: &BackfillOptions,
    flavour: Flavour,
) -> Result<Option<Vec<listing::Row>>, String> {
    let mut rows = Vec::new();
    let mut resume_key: Option<String> = None;
    loop {
        let url = flavour
            .listing_url(
                &options.archive,
                &options.site,
                &options.range,
                resume_key.as_deref(),
            )
            .map_err(|e| e.to_string())?;
        let answer = client
            .get(url.as_str(), Kind::Listing)
            .await
            .map_err(|e| e.to_string())?;
        match answer.status {
            200 => {}
            404 if resume_key.is_none() => return Ok(None),
            status => return Err(format!("the listing answered HTTP {status}")),
        }
        let page = flavour.parse(&answer.body)?;
        rows.extend(page.rows);
        if rows.len() > MAX_LISTED {
            return Err(format!(
                "more than {MAX_LISTED} captures; backfill a period at a time with --from and --to"
            ));
        }
        match page.resume_key {
            Some(key) if Some(&key) == resume_key.as_ref() => {
                return Err("the archive gave the same resume key twice".to_owned());
            }
            Some(key) => resume_key = Some(key),
            None => return Ok(Some(rows)),
        }
    }
}

/// One backfill fetching, under the lock.
struct Fetching<'a> {
    db: &'a DatabaseConnection,
    options: &'a BackfillOptions,
    flavour: Flavour,
    archive: &'a str,
    client: ArchiveClient,
    report: BackfillReport,
    progress: &'a dyn Progress,
}

/// What became of one capture.
enum Done {
    /// Stored through the pipeline.
    Stored(CaptureOutcome, Option<i32>, PageChange),
    /// Fetched and refused: recorded, never fetched again.
    Refused(CaptureOutcome, String),
    /// Not fetched, or not answered: fetched again by a later run.
    Failed(String),
}

impl Fetching<'_> {
    async fn locked(&mut self, captures: &[Capture], lock: &SyncLock) -> Result<(), BackfillError> {
        let db = self.db;
        self.report.aborted_runs = runs::abort_abandoned(db).await?;
        pipeline::reread_stale(db).await?;
        let run = runs::start(db, SyncRunKind::Backfill, self.archive, false).await?;
        self.report.run_id = Some(run.id);
        let mut pulse = Pulse::new(run.id, Some(lock));
        let ledger = Ledger::load(db, self.archive).await?;
        let mut failures_in_a_row = 0;
        for (done, capture) in captures.iter().enumerate() {
            let memento_url = self.flavour.memento_url(
                &self.options.archive,
                &capture.timestamp,
                &capture.original,
            );
            if ledger.has(capture, &memento_url) {
                self.report.already_fetched += 1;
                continue;
            }
            let outcome = match self.one(capture, &memento_url, run.id).await {
                Ok(outcome) => outcome,
                Err(Stop::Archive(reason)) => {
                    runs::record_error(db, run.id, capture.page.as_str(), &reason).await?;
                    self.report.stopped = Some(reason);
                    break;
                }
                Err(Stop::Db(err)) => return Err(err),
            };
            failures_in_a_row = match &outcome {
                Done::Failed(_) => failures_in_a_row + 1,
                _ => 0,
            };
            self.settle(capture, memento_url, outcome, run.id).await?;
            pulse.beat(db, self.report.counts()).await?;
            self.progress
                .capture_done(done + 1, captures.len(), capture.page.as_str());
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW {
                let reason = format!(
                    "{failures_in_a_row} captures in a row could not be fetched; the archive seems unreachable. Run the backfill again later: it goes on where it stopped"
                );
                runs::record_error(db, run.id, self.archive, &reason).await?;
                self.report.stopped = Some(reason);
                break;
            }
        }
        self.report.requests = self.client.requests;
        runs::finish(db, run, self.report.counts()).await?;
        Ok(())
    }

    /// Fetches, checks and stores one capture.
    async fn one(
        &mut self,
        capture: &Capture,
        memento_url: &str,
        run_id: i32,
    ) -> Result<Done, Stop> {
        let playback =
            self.flavour
                .playback_url(&self.options.archive, &capture.timestamp, &capture.original);
        let answer = match self.client.get(&playback, Kind::Capture).await {
            Ok(answer) => answer,
            Err(refused @ ArchiveError::Refused { .. }) => {
                return Err(Stop::Archive(refused.to_string()));
            }
            Err(err) => return Ok(Done::Failed(format!("cannot fetch {playback}: {err}"))),
        };
        self.report.fetched += 1;
        if answer.status != 200 {
            return Ok(Done::Failed(format!(
                "the archive answered HTTP {} for {playback}",
                answer.status
            )));
        }
        let body = match digest::checked(
            capture.digest.as_deref(),
            answer.body,
            answer.content_encoding.as_deref(),
        ) {
            Ok(body) => body,
            Err(reason) => return Ok(Done::Refused(CaptureOutcome::DigestMismatch, reason)),
        };
        let input = Input {
            // The media type alone: the charset is the page's own (archives drop or rewrite it).
            content_type: Some(capture.mime.clone()).filter(|m| m.contains("html")),
            fetched_at: capture.captured_at,
            http_status: Some(200),
            run_id: Some(run_id),
            memento_url: Some(memento_url.to_owned()),
            ..Input::new(capture.page.clone(), body, RevisionOrigin::Archive)
        };
        match import::ingest(self.db, input, &mut self.report.stored).await {
            Ok(stored) => Ok(Done::Stored(
                outcome_of(stored.change),
                stored.revision_id,
                stored.change,
            )),
            Err(PageFailure::Skipped(reason)) => {
                Ok(Done::Refused(CaptureOutcome::Unreadable, reason))
            }
            Err(PageFailure::CannotWrite(source)) => Err(Stop::Db(BackfillError::CannotWrite {
                url: capture.page.to_string(),
                source,
            })),
        }
    }

    /// Records what became of a capture: in the ledger, the run and the report.
    async fn settle(
        &mut self,
        capture: &Capture,
        memento_url: String,
        done: Done,
        run_id: i32,
    ) -> Result<(), BackfillError> {
        let db = self.db;
        let entry = |outcome, reason, revision_id| Entry {
            archive: self.archive,
            capture,
            outcome,
            reason,
            revision_id,
            run_id,
        };
        let reason = match done {
            Done::Stored(outcome, revision_id, change) => {
                ledger::record(db, entry(outcome, None, revision_id)).await?;
                self.report.captures.push(CaptureReport {
                    url: capture.page.to_string(),
                    timestamp: capture.timestamp.clone(),
                    memento_url,
                    change,
                });
                return Ok(());
            }
            Done::Refused(outcome, reason) => {
                ledger::record(db, entry(outcome, Some(&reason), None)).await?;
                reason
            }
            Done::Failed(reason) => reason,
        };
        runs::record_error(db, run_id, capture.page.as_str(), &reason).await?;
        self.report.stored.count(None);
        self.report.rejected.push(Rejected {
            url: capture.page.to_string(),
            timestamp: capture.timestamp.clone(),
            reason,
        });
        Ok(())
    }
}

/// Why the run stops at a capture.
enum Stop {
    /// The archive refuses: stop politely, keep what was stored.
    Archive(String),
    /// The database cannot go on.
    Db(BackfillError),
}

/// The ledger's word for what a capture did to its page.
fn outcome_of(change: PageChange) -> CaptureOutcome {
    match change {
        PageChange::New | PageChange::Changed | PageChange::Rederived => CaptureOutcome::Stored,
        PageChange::Unchanged => CaptureOutcome::Unchanged,
        PageChange::Past => CaptureOutcome::History,
        PageChange::Quarantined => CaptureOutcome::Held,
        PageChange::Alias => CaptureOutcome::Alias,
    }
}
