//! `lmsdr sync`: crawl the site politely, detect what changed, keep every revision.
//!
//! From the source URL, same-site links (and `sitemap.xml`) are followed within `max_pages`;
//! off-site links are recorded by extraction but never fetched. robots.txt is obeyed (RFC 9309),
//! requests to one host are spaced by the delay, and conditional requests make an unchanged page a
//! 304 that downloads nothing and writes no revision. A page that fails keeps its stored content;
//! every error is recorded on the run. One sync runs at a time per database.

mod frontier;
mod pacer;
mod urls;

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use lmsdr_entity::sea_orm_active_enums::{PageStatus, RevisionOrigin, SyncRunKind, SyncRunStatus};
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use url::Url;

use crate::db;
use crate::fetch::robots::Robots;
use crate::fetch::{FetchConfig, FetchError, Fetched, Fetcher, Validators, sitemap};
use crate::lock;
use crate::pipeline::{self, Input, PipelineError};
use crate::runs::{self, RunCounts};
use crate::store::{self, PageChange, StoreError};
use frontier::{Frontier, MAX_LEFT_COUNTED};
use pacer::Pacer;
pub use urls::{normalize, same_site, url_forms};

/// The foundation's site, the default source.
pub const DEFAULT_SOURCE: &str = "http://www.lmsdr.org/";

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Where to start.
    pub source: Url,
    /// Most pages to fetch.
    pub max_pages: usize,
    /// Least time between two requests to one host.
    pub delay: Duration,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Show what would change without writing anything.
    pub dry_run: bool,
    /// HTTP behaviour.
    pub fetch: FetchConfig,
}

impl SyncOptions {
    /// Defaults for a source: 500 pages, 1 s between requests to a host, 2 in flight.
    pub fn new(source: Url) -> Self {
        Self {
            source,
            max_pages: 500,
            delay: Duration::from_secs(1),
            concurrency: 2,
            dry_run: false,
            fetch: FetchConfig::default(),
        }
    }
}

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
    fn count(&self, counts: &mut RunCounts) -> Option<String> {
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

/// Runs one sync.
pub async fn run(
    db: &DatabaseConnection,
    database_url: &str,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, SyncError> {
    let lock = if options.dry_run {
        None
    } else {
        Some(lock::acquire(db, database_url).await.map_err(|e| match e {
            busy @ lock::LockError::Busy(_) => SyncError::Busy(busy.to_string()),
            lock::LockError::Db(err) => SyncError::Db(err),
        })?)
    };
    let result = crawl(db, options, progress, lock.as_ref()).await;
    if let Some(lock) = lock {
        lock.release_or_expire(db).await;
    }
    result
}

async fn crawl(
    db: &DatabaseConnection,
    options: &SyncOptions,
    progress: &dyn Progress,
    lock: Option<&lock::SyncLock>,
) -> Result<SyncReport, SyncError> {
    let writing = !options.dry_run;
    let aborted_runs = if writing {
        pipeline::reread_stale(db).await?;
        runs::abort_abandoned(db).await?
    } else {
        0
    };
    let run = if writing {
        Some(runs::start(db, SyncRunKind::Sync, options.source.as_str(), false).await?)
    } else {
        None
    };
    let run_id = run.as_ref().map(|r| r.id);
    if let Some(run_id) = run_id {
        progress.started(run_id);
    }
    let fetcher = Fetcher::new(options.fetch.clone())?;
    let mut counts = RunCounts::default();
    let mut pages = Vec::new();

    let robots = match Robots::fetch(&fetcher, &options.source).await {
        Ok(robots) => robots,
        Err(reason) => {
            let robots_url = options
                .source
                .join("/robots.txt")
                .map_or_else(|_| options.source.to_string(), |u| u.to_string());
            counts.failed += 1;
            let report = PageReport {
                url: robots_url.clone(),
                outcome: PageOutcome::Failed(reason.clone()),
                notices: Vec::new(),
            };
            progress.page_done(&report, 1, 1);
            pages.push(report);
            if let Some(run_id) = run_id {
                runs::record_error(db, run_id, &robots_url, &reason).await?;
            }
            return finish(db, run, counts, aborted_runs, pages).await;
        }
    };
    let delay = robots
        .crawl_delay()
        .map(|s| Duration::from_secs_f32(s.clamp(0.0, 60.0)))
        .unwrap_or_default()
        .max(options.delay);
    let pacer = Pacer::new(delay);

    let mut frontier = Frontier::new(
        options.source.clone(),
        options.max_pages,
        store::known_aliases(db).await?,
    );
    frontier.push(options.source.clone());
    for sitemap_url in sitemap_urls(&options.source, &robots) {
        if !robots.allowed(&sitemap_url) {
            continue;
        }
        pacer.wait(&sitemap_url).await;
        if let Ok(fetched) = fetcher.get(&sitemap_url, &Validators::default()).await
            && (200..300).contains(&fetched.status)
        {
            for page in sitemap::parse(&fetched.body).pages {
                if let Ok(url) = Url::parse(&page) {
                    frontier.push(url);
                }
            }
        }
    }

    let mut known_pages = store::known_pages(db).await?;
    let mut known_links = store::internal_links(db).await?;
    let mut dead_targets = store::dead_link_targets(db).await?;
    let mut pulse = run_id.map(|id| runs::Pulse::new(id, lock));
    while !frontier.is_empty() {
        let batch = frontier.take(options.concurrency.max(1), &robots);
        if batch.is_empty() {
            break;
        }
        let batch: Vec<(Url, Option<store::KnownPage>)> = batch
            .into_iter()
            .map(|url| {
                let known = known_pages.remove(url.as_str());
                (url, known)
            })
            .collect();
        let fetched: Vec<(Url, Option<store::KnownPage>, Result<Fetched, FetchError>)> =
            futures::stream::iter(batch)
                .map(|(url, known)| {
                    let (fetcher, pacer, robots) = (&fetcher, &pacer, &robots);
                    async move {
                        let validators = known
                            .as_ref()
                            .filter(|k| k.status == PageStatus::Active)
                            .map(|k| Validators {
                                etag: k.etag.clone(),
                                last_modified: k.last_modified.clone(),
                            })
                            .unwrap_or_default();
                        pacer.wait(&url).await;
                        // Redirects only within the site, and only where robots.txt allows.
                        let scope = |target: &Url| {
                            same_site(&options.source, target) && robots.allowed(target)
                        };
                        let result = fetcher.get_within(&url, &validators, &scope).await;
                        (url, known, result)
                    }
                })
                .buffered(options.concurrency.max(1))
                .collect()
                .await;
        for (url, known, result) in fetched {
            let links = known
                .as_ref()
                .and_then(|k| known_links.remove(&k.id))
                .unwrap_or_default();
            let status = result.as_ref().map(|f| f.status).ok();
            let mut notices = Vec::new();
            let outcome = handle(
                db,
                options,
                run_id,
                &url,
                known,
                links,
                result,
                &mut frontier,
                &mut notices,
            )
            .await?;
            if writing {
                dead_target(db, run_id, &url, status, &outcome, &mut dead_targets).await?;
            }
            if let (Some(note), Some(run_id)) = (outcome.count(&mut counts), run_id) {
                runs::record_error(db, run_id, url.as_str(), &note).await?;
            }
            let report = PageReport {
                url: url.to_string(),
                outcome,
                notices,
            };
            progress.page_done(&report, frontier.done(), frontier.known());
            pages.push(report);
        }
        if frontier.confirmed.len() >= 500 {
            store::touch_pages(db, &std::mem::take(&mut frontier.confirmed), Utc::now()).await?;
        }
        if let Some(pulse) = pulse.as_mut() {
            pulse.beat(db, counts).await?;
        }
    }
    store::touch_pages(db, &frontier.confirmed, Utc::now()).await?;
    if writing {
        store::record_redirects(db, &frontier.redirects, Utc::now()).await?;
    }
    let left = frontier.left_unread(&robots);
    if left > 0 {
        counts.left_unread = i32::try_from(left).unwrap_or(i32::MAX);
        if let Some(run_id) = run_id {
            let note = format!(
                "stopped at the page limit ({}): {}{left} same-site URL(s) left unread; raise --max-pages to read them",
                options.max_pages,
                if left >= MAX_LEFT_COUNTED {
                    "at least "
                } else {
                    ""
                },
            );
            runs::record_error(db, run_id, options.source.as_str(), &note).await?;
        }
    }
    finish(db, run, counts, aborted_runs, pages).await
}

/// Keeps the site's broken links current: a URL never stored that answers 404 or 410 is recorded;
/// one that answers again is forgotten.
async fn dead_target(
    db: &DatabaseConnection,
    run_id: Option<i32>,
    url: &Url,
    status: Option<u16>,
    outcome: &PageOutcome,
    dead: &mut HashSet<String>,
) -> Result<(), DbErr> {
    match (status, outcome) {
        (_, PageOutcome::BrokenLink(status)) => {
            store::record_dead_link_target(db, url.as_str(), *status, run_id, Utc::now()).await?;
            dead.insert(url.to_string());
        }
        (Some(200..=399), _) if dead.remove(url.as_str()) => {
            store::clear_dead_link_target(db, url.as_str()).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn finish(
    db: &DatabaseConnection,
    run: Option<lmsdr_entity::sync_runs::Model>,
    counts: RunCounts,
    aborted_runs: u64,
    pages: Vec<PageReport>,
) -> Result<SyncReport, SyncError> {
    let (run_id, status) = match run {
        Some(run) => {
            let run = runs::finish(db, run, counts).await?;
            (Some(run.id), run.status)
        }
        None => (None, runs::status_for(counts)),
    };
    let finish_reason = if counts.left_unread > 0 {
        FinishReason::PageLimit
    } else {
        FinishReason::Finished
    };
    Ok(SyncReport {
        run_id,
        status,
        counts,
        finish_reason,
        aborted_runs,
        pages,
    })
}

/// Decides what a response means, stores it, and queues the links it leads to.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site, every argument distinct"
)]
async fn handle(
    db: &DatabaseConnection,
    options: &SyncOptions,
    run_id: Option<i32>,
    url: &Url,
    known: Option<store::KnownPage>,
    known_links: Vec<String>,
    result: Result<Fetched, FetchError>,
    frontier: &mut Frontier,
    notices: &mut Vec<String>,
) -> Result<PageOutcome, DbErr> {
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(FetchError::RedirectOutOfScope(target)) => {
            return Ok(PageOutcome::OffSiteRedirect(target));
        }
        Err(err) => return Ok(PageOutcome::Failed(err.to_string())),
    };
    let answered = normalize(&fetched.url);
    if answered != *url && matches!(fetched.status, 200..=299 | 404 | 410) {
        // What a page redirects to is stored under its own URL, fetched as itself.
        frontier.push(answered.clone());
        frontier
            .redirects
            .push((url.to_string(), answered.to_string()));
        return Ok(PageOutcome::Redirected(answered.to_string()));
    }
    let now = Utc::now();
    match fetched.status {
        304 => {
            let Some(page) = known else {
                return Ok(PageOutcome::Failed(
                    "HTTP 304 for a page never fetched".into(),
                ));
            };
            if !options.dry_run {
                frontier.confirmed.push(page.id);
            }
            for link in known_links {
                if let Ok(link) = Url::parse(&link) {
                    frontier.push(link);
                }
            }
            Ok(PageOutcome::NotModified)
        }
        404 | 410 => match known {
            Some(page) => {
                if !options.dry_run {
                    store::mark_gone(db, page.id, now).await?;
                }
                Ok(PageOutcome::Gone)
            }
            None => Ok(PageOutcome::BrokenLink(fetched.status)),
        },
        200..=299 => {
            if !is_html(fetched.content_type.as_deref()) {
                return Ok(PageOutcome::Skipped(format!(
                    "not HTML ({})",
                    fetched.content_type.as_deref().unwrap_or("no Content-Type")
                )));
            }
            let input = Input {
                content_type: fetched.content_type,
                fetched_at: now,
                http_status: Some(fetched.status),
                etag: fetched.etag,
                last_modified: fetched.last_modified,
                run_id,
                ..Input::new(url.clone(), fetched.body, RevisionOrigin::Sync)
            };
            if options.dry_run {
                let document = match pipeline::read(input).await {
                    Ok(read) => read.document,
                    Err(err) => return Ok(PageOutcome::Failed(err.to_string())),
                };
                frontier.follow(&document);
                return Ok(match known {
                    None => PageOutcome::New,
                    Some(page) if page.content_hash == document.content_hash => {
                        PageOutcome::Unchanged
                    }
                    Some(_) => PageOutcome::Changed,
                });
            }
            let ingested = match pipeline::ingest(db, input).await {
                Ok(ingested) => ingested,
                // A database that takes no writes stops the run with its own cause.
                Err(PipelineError::Store(StoreError::Db(err))) if db::cannot_write(&err) => {
                    return Err(err);
                }
                Err(err) => return Ok(PageOutcome::Failed(err.to_string())),
            };
            frontier.follow(&ingested.document);
            if let Some(run_id) = run_id {
                for notice in &ingested.document.notices {
                    runs::record_error(db, run_id, url.as_str(), notice).await?;
                }
            }
            let outcome = match ingested.stored.change {
                PageChange::New => PageOutcome::New,
                // A fetch is newer than what is stored, unless the clock went back.
                PageChange::Changed | PageChange::Rederived | PageChange::Past => {
                    PageOutcome::Changed
                }
                PageChange::Unchanged => PageOutcome::Unchanged,
                PageChange::Alias => {
                    let page = store::aliased_page(db, &[url.to_string()])
                        .await?
                        .map_or_else(|| url.clone(), |(_, page)| parsed_or(&page.url, url));
                    frontier.aliased(url, page.clone());
                    PageOutcome::Alias(page.to_string())
                }
                PageChange::Quarantined => PageOutcome::Quarantined(
                    ingested
                        .stored
                        .quarantine_reason
                        .clone()
                        .unwrap_or_default(),
                ),
            };
            *notices = ingested.document.notices;
            Ok(outcome)
        }
        status => Ok(PageOutcome::Failed(format!("HTTP {status}"))),
    }
}

/// A stored URL parsed, or `fallback` (a stored URL always parses).
fn parsed_or(stored: &str, fallback: &Url) -> Url {
    Url::parse(stored).unwrap_or_else(|_| fallback.clone())
}

fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|c| {
        let c = c.to_ascii_lowercase();
        c.starts_with("text/html")
            || c.starts_with("application/xhtml")
            || c.starts_with("text/plain")
    })
}

fn sitemap_urls(source: &Url, robots: &Robots) -> Vec<Url> {
    let mut urls: Vec<Url> = robots
        .sitemaps()
        .iter()
        .filter_map(|s| Url::parse(s).ok())
        .collect();
    if let Ok(default) = source.join("/sitemap.xml")
        && !urls.contains(&default)
    {
        urls.push(default);
    }
    urls.retain(|u| same_site(source, u));
    urls
}
