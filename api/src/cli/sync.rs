//! `lmsdr sync [--source URL]`: one-shot, for cron, systemd timers and Kubernetes CronJobs.
//! Exit codes: 0 ok, 2 partial, 1 failed, 3 busy (a sync or import holds the database), 4 some page
//! held in quarantine for a person to review (whatever else failed).

use sea_orm::ActiveEnum;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::ProgressBar;
use lmsdr_entity::sea_orm_active_enums::SyncRunStatus;
use lmsdr_ingest::db;
use lmsdr_ingest::sync::{
    self, DEFAULT_SOURCE, PageReport, Progress, Scope, SyncError, SyncOptions,
};
use regex::Regex;
use url::Url;

use super::{DatabaseArgs, busy, counted, exit, terminal_bar};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The site to crawl, starting from this page.
    #[arg(long, env = "LMSDR_SYNC_SOURCE", default_value = DEFAULT_SOURCE)]
    source: Url,
    /// Most pages to fetch (at least 1); a run that stops there with pages left is partial.
    #[arg(long, env = "LMSDR_SYNC_MAX_PAGES", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_pages: u32,
    /// Most links from the start page (or a sitemap) to a page read (at least 1).
    #[arg(long, env = "LMSDR_SYNC_MAX_DEPTH", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_depth: u32,
    /// Read only URLs this regular expression matches (the whole URL; the start page aside).
    /// Repeat it for several.
    #[arg(long, env = "LMSDR_SYNC_INCLUDE", value_parser = pattern)]
    include: Vec<Regex>,
    /// Never read URLs this regular expression matches (the whole URL). Repeat it for several.
    #[arg(long, env = "LMSDR_SYNC_EXCLUDE", value_parser = pattern)]
    exclude: Vec<Regex>,
    /// Least time between two requests to one host, in milliseconds (robots.txt may ask for more).
    #[arg(long, env = "LMSDR_SYNC_DELAY_MS", default_value_t = 1000)]
    delay_ms: u64,
    /// Most requests in flight at once (1 to 32).
    #[arg(long, env = "LMSDR_SYNC_CONCURRENCY", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,
    /// Show what would change, writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// A URL pattern given on the command line, in the environment or the settings file.
fn pattern(given: &str) -> Result<Regex, String> {
    Regex::new(given).map_err(|err| format!("not a regular expression: {err}"))
}

/// A progress bar on a terminal, one log line per page otherwise.
enum Reporter {
    Bar(ProgressBar),
    Lines,
}

impl Progress for Reporter {
    fn page_done(&self, report: &PageReport, done: usize, known: usize) {
        let outcome = serde_json::to_value(&report.outcome)
            .ok()
            .and_then(|v| v.get("outcome").and_then(|o| o.as_str()).map(str::to_owned))
            .unwrap_or_default();
        match self {
            Reporter::Bar(bar) => {
                bar.set_length(known as u64);
                bar.set_position(done as u64);
                bar.set_message(format!("{outcome}: {}", report.url));
            }
            Reporter::Lines => tracing::info!(url = %report.url, outcome, done, known, "page"),
        }
    }
}

pub async fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let conn = db::connect_and_migrate(&args.db.database_url).await?;
    let mut options = SyncOptions::new(args.source);
    options.max_pages = args.max_pages as usize;
    options.scope = Scope {
        max_depth: args.max_depth as usize,
        include: args.include,
        exclude: args.exclude,
    };
    options.delay = Duration::from_millis(args.delay_ms);
    options.concurrency = usize::from(args.concurrency);
    options.dry_run = args.dry_run;
    let reporter = match terminal_bar(args.json) {
        Some(bar) => Reporter::Bar(bar),
        None => Reporter::Lines,
    };
    let outcome = sync::run(&conn, &args.db.database_url, &options, &reporter).await;
    if let Reporter::Bar(bar) = &reporter {
        bar.finish_and_clear();
    }
    let report = match outcome {
        Ok(report) => report,
        Err(SyncError::Busy(message)) => return Ok(busy(&message)),
        Err(err) => return Err(err.into()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let c = report.counts;
        let prefix = if args.dry_run {
            "dry run (nothing written): "
        } else {
            ""
        };
        println!(
            "{prefix}status {}: {} fetched, {} changed, {} not modified, {} held in quarantine, {} failed, {}",
            ActiveEnum::to_value(&report.status),
            c.fetched,
            c.changed,
            c.not_modified,
            c.quarantined,
            c.failed,
            counted(c.broken_links, "broken link", "broken links"),
        );
        for page in &report.pages {
            match &page.outcome {
                sync::PageOutcome::Failed(reason) => println!("failed  {}: {reason}", page.url),
                sync::PageOutcome::Quarantined(reason) => {
                    println!("held    {}: {reason}", page.url);
                }
                sync::PageOutcome::BrokenLink(status) => {
                    println!("broken  {}: HTTP {status}", page.url);
                }
                _ => {}
            }
            for notice in &page.notices {
                println!("notice  {}: {notice}", page.url);
            }
        }
        if report.finish_reason == sync::FinishReason::PageLimit {
            println!(
                "stopped at the page limit ({}): {} same-site URL(s) left unread; raise --max-pages to read them",
                args.max_pages, c.left_unread
            );
        }
        if report.aborted_runs > 0 {
            println!("marked {} abandoned run(s) aborted", report.aborted_runs);
        }
        if report.out_of_scope.count > 0 {
            println!(
                "out of scope: {} page(s) stored by earlier syncs are no longer synced (kept, with their history), such as {}",
                report.out_of_scope.count,
                report.out_of_scope.examples.join(", ")
            );
        }
        for (rule, skipped) in &report.skipped.0 {
            let rule = serde_json::to_value(rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            println!(
                "left out ({rule}): {}, such as {}",
                skipped.count,
                skipped.examples.join(", ")
            );
        }
    }
    Ok(match report.status {
        SyncRunStatus::Failed => ExitCode::from(exit::FAILED),
        _ if report.counts.quarantined > 0 => ExitCode::from(exit::QUARANTINED),
        SyncRunStatus::Ok => ExitCode::SUCCESS,
        SyncRunStatus::Partial => ExitCode::from(exit::PARTIAL),
        _ => ExitCode::from(exit::FAILED),
    })
}
