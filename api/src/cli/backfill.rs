//! `lmsdr backfill [--archive URL] [--site URL] [--from DATE] [--to DATE] [--dry-run] [--json]`:
//! the site's past from a web archive, as one run under the same lock as `lmsdr sync`.
//! Exit codes as `import`: 0 ok, 2 some captures failed (or the archive stopped the run),
//! 1 nothing could be stored, 3 busy, 4 some capture held in quarantine for a person to review.

use std::process::ExitCode;

use clap::Args;
use indicatif::ProgressBar;
use lmsdr_ingest::backfill::{
    self, BackfillError, BackfillOptions, BackfillReport, DEFAULT_ARCHIVE, DateRange, Politeness,
    Progress,
};
use lmsdr_ingest::db;
use lmsdr_ingest::store::PageChange;
use lmsdr_ingest::sync::DEFAULT_SOURCE;
use url::Url;

use super::{DatabaseArgs, UsageError, busy, counted, exit, terminal_bar};

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The web archive: the Wayback Machine, an archive with its CDX API, or a pywb collection.
    #[arg(long, env = "LMSDR_BACKFILL_ARCHIVE", default_value = DEFAULT_ARCHIVE)]
    archive: Url,
    /// The site whose captures are read (every page under it).
    #[arg(long, env = "LMSDR_SYNC_SOURCE", default_value = DEFAULT_SOURCE)]
    site: Url,
    /// The earliest captures to read: YYYY, YYYYMM or YYYYMMDD.
    #[arg(long, value_parser = DateRange::check)]
    from: Option<String>,
    /// The latest captures to read: YYYY, YYYYMM or YYYYMMDD.
    #[arg(long, value_parser = DateRange::check)]
    to: Option<String>,
    /// Most listing requests a minute (the Internet Archive asks for at most 24).
    #[arg(long, env = "LMSDR_BACKFILL_LISTINGS_PER_MINUTE", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..))]
    listings_per_minute: u32,
    /// Most capture fetches a second (the Internet Archive allows 8).
    #[arg(long, env = "LMSDR_BACKFILL_FETCHES_PER_SECOND", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..))]
    fetches_per_second: u32,
    /// List and count pages, captures and versions, fetching no body and writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// A progress bar on a terminal, one log line per capture otherwise.
struct Reporter(Option<ProgressBar>);

impl Progress for Reporter {
    fn listed(&self, captures: usize) {
        match &self.0 {
            Some(bar) => bar.set_length(captures as u64),
            None => tracing::info!(captures, "listed the archive's captures"),
        }
    }

    fn capture_done(&self, done: usize, total: usize, url: &str) {
        match &self.0 {
            Some(bar) => {
                bar.set_position(done as u64);
                bar.set_message(url.to_owned());
            }
            None => tracing::info!(url, done, total, "capture"),
        }
    }
}

pub async fn run(args: BackfillArgs) -> anyhow::Result<ExitCode> {
    if let (Some(from), Some(to)) = (&args.from, &args.to)
        && from > to
    {
        return Err(UsageError(format!("--from {from} is after --to {to}")).into());
    }
    let conn = db::connect_and_migrate(&args.db.database_url).await?;
    let options = BackfillOptions {
        archive: args.archive,
        site: args.site,
        range: DateRange {
            from: args.from,
            to: args.to,
        },
        dry_run: args.dry_run,
        politeness: Politeness {
            listings_per_minute: args.listings_per_minute,
            fetches_per_second: args.fetches_per_second,
            ..Politeness::default()
        },
    };
    let reporter = Reporter(terminal_bar(args.json));
    let outcome = backfill::backfill(&conn, &args.db.database_url, &options, &reporter).await;
    if let Some(bar) = &reporter.0 {
        bar.finish_and_clear();
    }
    let report = match outcome {
        Ok(report) => report,
        Err(BackfillError::Busy(message)) => return Ok(busy(&message)),
        Err(err) => return Err(err.into()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.dry_run {
        print_plan(&report);
    } else {
        print_summary(&report);
    }
    if let Some(reason) = &report.stopped {
        eprintln!("stopped: {reason}");
    }
    let tried = report.captures.len() + report.rejected.len();
    Ok(match report.stored.pages_failed {
        failed if failed > 0 && failed == tried && report.captures.is_empty() => {
            ExitCode::from(exit::FAILED)
        }
        _ if report.stored.pages_quarantined > 0 => ExitCode::from(exit::QUARANTINED),
        0 if report.stopped.is_none() => ExitCode::SUCCESS,
        _ => ExitCode::from(exit::PARTIAL),
    })
}

/// `--dry-run`: each page with its captures and versions, then the totals.
fn print_plan(report: &BackfillReport) {
    for (url, page) in &report.pages {
        println!(
            "{url}: {}, {}",
            counted(page.captures, "capture", "captures"),
            counted(page.versions, "version", "versions")
        );
    }
    println!(
        "dry run (nothing fetched or written): {}, {} listed, {} distinct",
        counted(report.pages.len(), "page", "pages"),
        counted(report.listing.listed, "capture", "captures"),
        counted(report.versions, "version", "versions"),
    );
}

fn print_summary(report: &BackfillReport) {
    for capture in &report.captures {
        let what = match capture.change {
            PageChange::New => "new",
            PageChange::Changed | PageChange::Rederived => "changed",
            PageChange::Unchanged => "unchanged",
            PageChange::Quarantined => "held",
            PageChange::Past => "history",
            PageChange::Alias => "alias",
        };
        println!("{what:<10} {} {}", capture.timestamp, capture.url);
    }
    for rejected in &report.rejected {
        println!(
            "failed     {} {}: {}",
            rejected.timestamp, rejected.url, rejected.reason
        );
    }
    for listed in report.redirects.iter().chain(&report.errors) {
        println!(
            "reported   {} {}: captured with HTTP {}, not stored",
            listed.timestamp, listed.url, listed.status
        );
    }
    let l = &report.listing;
    println!(
        "captures: {} listed, {} distinct versions, {} fetched before, {} fetched now; left aside: {} duplicate, {} revisit, {} same as the previous, {} not HTML, {} redirect, {} error",
        l.listed,
        report.versions,
        report.already_fetched,
        report.fetched,
        l.duplicates,
        l.revisits,
        l.same_digest,
        l.not_html,
        report.redirects.len(),
        report.errors.len(),
    );
    let p = &report.stored;
    println!(
        "pages: {} new, {} changed, {} unchanged, {} older (history only), {} held in quarantine, {} failed",
        p.pages_new,
        p.pages_changed,
        p.pages_unchanged,
        p.pages_past,
        p.pages_quarantined,
        p.pages_failed
    );
    if report.aborted_runs > 0 {
        println!("marked {} abandoned run(s) aborted", report.aborted_runs);
    }
    for held in &report.stored.quarantined {
        println!("held       {}: {}", held.url, held.notice);
    }
}
