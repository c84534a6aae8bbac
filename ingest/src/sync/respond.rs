//! One response of the crawl: what it means, what is stored, and which links it leads to.

use chrono::Utc;
use lmsdr_entity::sea_orm_active_enums::{AliasReason, RevisionOrigin};
use sea_orm::{DatabaseConnection, DbErr};
use url::Url;

use super::frontier::Frontier;
use super::scope::{self, SkipRule};
use super::{PageOutcome, SyncOptions, normalize};
use crate::db;
use crate::extract::Document;
use crate::fetch::{FetchError, Fetched};
use crate::pipeline::{self, Input, PipelineError};
use crate::runs;
use crate::store::{self, PageChange, StoreError};

/// The run a response belongs to.
pub(super) struct Run<'a> {
    /// The database.
    pub(super) db: &'a DatabaseConnection,
    /// How the sync runs.
    pub(super) options: &'a SyncOptions,
    /// The run's ID (none for a dry run).
    pub(super) id: Option<i32>,
}

/// One response, with what was stored of its URL before.
pub(super) struct Response {
    /// The URL asked for.
    pub(super) url: Url,
    /// The page stored at it, if any.
    pub(super) known: Option<store::KnownPage>,
    /// The same-site links the stored page leads to (followed again on a 304).
    pub(super) known_links: Vec<String>,
    /// What the server answered.
    pub(super) result: Result<Fetched, FetchError>,
}

/// What a response came to.
pub(super) struct Handled {
    /// What happened to the URL.
    pub(super) outcome: PageOutcome,
    /// What the extractor reported for a person to look at.
    pub(super) notices: Vec<String>,
}

impl Run<'_> {
    /// Decides what a response means, stores it, and queues the links it leads to.
    pub(super) async fn handle(
        &self,
        response: Response,
        frontier: &mut Frontier,
    ) -> Result<Handled, DbErr> {
        let mut notices = Vec::new();
        let outcome = self.outcome(response, frontier, &mut notices).await?;
        Ok(Handled { outcome, notices })
    }

    async fn outcome(
        &self,
        response: Response,
        frontier: &mut Frontier,
        notices: &mut Vec<String>,
    ) -> Result<PageOutcome, DbErr> {
        let Response {
            url,
            known,
            known_links,
            result,
        } = response;
        let url = &url;
        let (db, options, run_id) = (self.db, self.options, self.id);
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
            frontier.push_like(url, answered.clone());
            frontier
                .pointers
                .push((url.to_string(), answered.to_string(), AliasReason::Redirect));
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
                let links = known_links.iter().filter_map(|l| Url::parse(l).ok());
                frontier.follow_urls(url, false, links);
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
                let read = match pipeline::read(input).await {
                    Ok(read) => read,
                    Err(err) => return Ok(PageOutcome::Failed(err.to_string())),
                };
                if known.is_none()
                    && let Some(canonical) = canonical_elsewhere(&read.document, url)
                {
                    // The page says it lives at another URL: that one is read and stored, and
                    // this one becomes its alias once it is.
                    frontier.push_like(url, canonical.clone());
                    frontier.pointers.push((
                        url.to_string(),
                        canonical.to_string(),
                        AliasReason::Canonical,
                    ));
                    frontier.aliased(url, canonical.clone());
                    return Ok(PageOutcome::Alias(canonical.to_string()));
                }
                frontier.follow(url, &read.document);
                if read.document.robots.noindex {
                    // Read for its links; a page of the site it is not.
                    frontier.skipped.add(SkipRule::Noindex, url);
                    return Ok(PageOutcome::Skipped(
                        "the page asks not to be indexed (noindex)".to_owned(),
                    ));
                }
                if options.dry_run {
                    let document = read.document;
                    return Ok(match known {
                        None => PageOutcome::New,
                        Some(page) if page.content_hash == document.content_hash => {
                            PageOutcome::Unchanged
                        }
                        Some(_) => PageOutcome::Changed,
                    });
                }
                let ingested = match pipeline::store(db, read).await {
                    Ok(ingested) => ingested,
                    // A database that takes no writes stops the run with its own cause.
                    Err(PipelineError::Store(StoreError::Db(err))) if db::cannot_write(&err) => {
                        return Err(err);
                    }
                    Err(err) => return Ok(PageOutcome::Failed(err.to_string())),
                };
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
}

/// The URL a page names as canonical, when it is another of the site than the one it was read
/// at.
fn canonical_elsewhere(document: &Document, url: &Url) -> Option<Url> {
    let canonical = scope::page_url(&Url::parse(document.canonical.as_deref()?).ok()?);
    (canonical != *url).then_some(canonical)
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
