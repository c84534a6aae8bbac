//! `lmsdr sync`: crawl the site politely, detect what changed, keep every revision.
//!
//! From the source URL, same-site links (and `sitemap.xml`) are followed within `max_pages`;
//! off-site links are recorded by extraction but never fetched. robots.txt is obeyed (RFC 9309),
//! requests to one host are spaced by the delay, and conditional requests make an unchanged page a
//! 304 that downloads nothing and writes no revision. A page that fails keeps its stored content;
//! every error is recorded on the run. One sync runs at a time per database.

mod frontier;
mod pacer;
mod report;
mod respond;
mod scope;
mod urls;

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use lmsdr_entity::sea_orm_active_enums::{PageStatus, SyncRunKind};
use sea_orm::{DatabaseConnection, DbErr};
use url::Url;

use crate::fetch::robots::Robots;
use crate::fetch::{FetchConfig, FetchError, Fetched, Fetcher, Validators, sitemap};
use crate::lock;
use crate::pipeline;
use crate::runs::{self, RunCounts};
use crate::store;
use frontier::{Frontier, MAX_LEFT_COUNTED};
use pacer::Pacer;
pub use report::{FinishReason, PageOutcome, PageReport, Progress, Quiet, SyncError, SyncReport};
use respond::Handled;
pub use scope::{
    DEFAULT_MAX_DEPTH, MAX_NOINDEX_CHAIN, Scope, SkipRule, SkipSummary, Skipped, page_url,
};
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
    /// The bounds and patterns the crawl keeps to (depth, `--include`, `--exclude`).
    pub scope: Scope,
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
    /// Defaults for a source: 500 pages, 10 links deep, 1 s between requests to a host, 2 in
    /// flight.
    pub fn new(source: Url) -> Self {
        Self {
            source,
            max_pages: 500,
            scope: Scope::default(),
            delay: Duration::from_secs(1),
            concurrency: 2,
            dry_run: false,
            fetch: FetchConfig::default(),
        }
    }
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
            let scope = (SkipSummary::default(), Skipped::default());
            return finish(db, run, counts, aborted_runs, pages, scope).await;
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
        options.scope.clone(),
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
    let responder = respond::Run {
        db,
        options,
        id: run_id,
    };
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
            let response = respond::Response {
                url: url.clone(),
                known,
                known_links: links,
                result,
            };
            let Handled { outcome, notices } = responder.handle(response, &mut frontier).await?;
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
        store::record_pointers(db, &frontier.pointers, Utc::now()).await?;
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
    let out_of_scope = out_of_scope(&options.scope, &known_pages);
    finish(
        db,
        run,
        counts,
        aborted_runs,
        pages,
        (frontier.skipped, out_of_scope),
    )
    .await
}

/// The pages stored by earlier syncs, not read this time, that the scope leaves out (by its
/// rules, patterns and URL forms: a depth or a chain of `noindex` pages is a matter of the
/// links found).
fn out_of_scope(
    scope: &Scope,
    unread: &std::collections::HashMap<String, store::KnownPage>,
) -> Skipped {
    let mut found = Skipped::default();
    let mut urls: Vec<&String> = unread
        .iter()
        .filter(|(_, page)| page.status == PageStatus::Active)
        .map(|(url, _)| url)
        .collect();
    urls.sort();
    for url in urls {
        // Left out by a rule, or stored under a URL form the crawl no longer reads (with a
        // tracking parameter, say).
        if let Ok(parsed) = Url::parse(url)
            && (scope.rule_for(&parsed, scope::Reach::default()).is_some()
                || page_url(&parsed) != parsed)
        {
            found.add(url);
        }
    }
    found
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
    (skipped, out_of_scope): (SkipSummary, Skipped),
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
        skipped,
        out_of_scope,
        pages,
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
