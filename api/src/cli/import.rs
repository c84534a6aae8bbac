//! `lmsdr import [--base-url URL] [--json] PATH...`: one run, under the same lock as `lmsdr sync`.
//! Exit codes: 0 ok, 2 some files failed, 1 every file failed, 3 busy (a sync or import holds the
//! database), 4 some page held in quarantine for a person to review.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use lmsdr_ingest::import::{self, DEFAULT_BASE_URL, ImportError, ImportReport};
use lmsdr_ingest::{db, store::PageChange};
use url::Url;

use super::{DatabaseArgs, busy, counted, exit};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories of saved pages.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The URL the given directories (or files) stood at on the site.
    #[arg(long, default_value = DEFAULT_BASE_URL)]
    base_url: Url,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let conn = db::connect_and_migrate(&args.db.database_url).await?;
    let outcome =
        import::import_paths(&conn, &args.db.database_url, &args.paths, &args.base_url).await;
    let report = match outcome {
        Ok(report) => report,
        Err(ImportError::Busy(message)) => return Ok(busy(&message)),
        Err(err) => return Err(err.into()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(match (report.pages.pages_failed, report.files.len()) {
        (failed, total) if failed == total && total > 0 => ExitCode::from(exit::FAILED),
        _ if report.pages.pages_quarantined > 0 => ExitCode::from(exit::QUARANTINED),
        (0, _) => ExitCode::SUCCESS,
        _ => ExitCode::from(exit::PARTIAL),
    })
}

fn print_summary(report: &ImportReport) {
    for file in &report.files {
        match (&file.change, &file.error) {
            (Some(change), _) => {
                let what = match change {
                    PageChange::New => "new",
                    PageChange::Changed => "changed",
                    PageChange::Unchanged => "unchanged",
                    PageChange::Rederived => "re-read",
                    PageChange::Quarantined => "held",
                    PageChange::Past => "history",
                    PageChange::Alias => "alias",
                };
                println!("{what:<10} {} ({})", file.url, file.path.display());
            }
            (None, Some(error)) => println!("failed     {}: {error}", file.path.display()),
            (None, None) => {}
        }
    }
    let e = &report.pages.entities;
    println!(
        "pages: {} new, {} changed, {} unchanged, {} older (history only), {} other URLs of stored pages, {} held in quarantine, {} failed",
        report.pages.pages_new,
        report.pages.pages_changed,
        report.pages.pages_unchanged,
        report.pages.pages_past,
        report.pages.pages_aliased,
        report.pages.pages_quarantined,
        report.pages.pages_failed
    );
    println!(
        "entities: {}, {}, {}, {}, {}, {}",
        counted(e.categories, "category", "categories"),
        counted(e.treatments, "treatment", "treatments"),
        counted(e.drugs, "drug", "drugs"),
        counted(e.regimens, "regimen", "regimens"),
        counted(e.warnings, "warning", "warnings"),
        counted(e.trials, "trial reference", "trial references"),
    );
    if report.aborted_runs > 0 {
        println!("marked {} abandoned run(s) aborted", report.aborted_runs);
    }
    if report.pages.unverified_names.is_empty() {
        println!("unverified names: none");
    } else {
        let names: Vec<_> = report
            .pages
            .unverified_names
            .iter()
            .map(String::as_str)
            .collect();
        println!("unverified names: {}", names.join(", "));
    }
    let kinds: Vec<String> = report
        .pages
        .kinds
        .iter()
        .map(|(kind, n)| {
            format!(
                "{n} {}",
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )
        })
        .collect();
    println!(
        "page kinds: {}",
        if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join(", ")
        }
    );
    for notice in &report.pages.notices {
        println!("notice     {}: {}", notice.url, notice.notice);
    }
    for held in &report.pages.quarantined {
        println!("held       {}: {}", held.url, held.notice);
    }
}
