//! The `lmsdr` command line. Subcommand names and flags are a contract other tools rely on.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lmsdr_ingest::db::DEFAULT_DATABASE_URL;

use crate::telemetry::LogFormat;

mod backfill;
pub mod config;
mod export;
mod import;
mod migrate;
mod serve;
mod sync;
mod vocabulary;

/// Exit codes beyond 0 (success) that scripts and schedulers can act on.
pub mod exit {
    /// Nothing could be done.
    pub const FAILED: u8 = 1;
    /// Some pages failed; the rest were stored.
    pub const PARTIAL: u8 = 2;
    /// Another sync or import holds the database.
    pub const BUSY: u8 = 3;
    /// At least one page's new content was held in quarantine: it applies nothing until a person
    /// accepts it (`acceptRevision`) or rejects it (`rejectRevision`).
    pub const QUARANTINED: u8 = 4;
    /// The command was used wrongly: a flag, a value or the config file (EX_USAGE); nothing ran.
    pub const USAGE: u8 = 64;
}

/// `1 page`, `3 pages`: a count and its noun, in the number the count takes.
fn counted<N>(count: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if count == N::from(1) { one } else { many };
    format!("{count} {noun}")
}

/// Says another run holds the database; the exit code [`exit::BUSY`].
fn busy(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(exit::BUSY)
}

/// A progress bar on standard error when it is a terminal and the summary is not JSON.
fn terminal_bar(json: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (std::io::stderr().is_terminal() && !json).then(|| {
        let bar = indicatif::ProgressBar::new(1);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// A command that cannot run as given, and says what to give instead: exits with
/// [`exit::USAGE`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// lmsdr: normalized, traceable LMS treatment data from the LMSdr foundation's pages.
#[derive(Debug, Parser)]
#[command(
    name = "lmsdr",
    version,
    about,
    propagate_version = true,
    after_help = EXAMPLES_AND_EXIT_CODES
)]
pub struct Cli {
    /// What to do; without one, `serve`.
    #[command(subcommand)]
    command: Option<Command>,
    /// How logs are written on standard error: `text`, or `json` (one object a line).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// A TOML file of settings, below flags and environment variables (see the README).
    #[arg(long, env = "LMSDR_CONFIG", global = true)]
    config: Option<std::path::PathBuf>,
}

/// Options every subcommand takes.
#[derive(Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Database to use: sqlite://PATH?mode=rwc or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field(
                "database_url",
                &lmsdr_ingest::db::redact(&self.database_url),
            )
            .finish()
    }
}

/// The exit codes, as `--help` lists them (a macro, so that both texts below are one literal).
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0   done
  1   failed: nothing could be done (the error line says why)
  2   partial: some pages failed or were left unread, the rest were stored (import, sync, backfill)
  3   busy: another sync, import or backfill holds the database (import, sync, backfill)
  4   held: some page's new content waits in quarantine for a person (import, sync, backfill)
  64  usage: a flag, a value or the config file is wrong; nothing ran"
    };
}

/// The exit codes, as each subcommand's `--help` lists them.
const EXIT_CODES: &str = exit_codes!();

/// The examples and exit codes, as `lmsdr --help` lists them.
const EXAMPLES_AND_EXIT_CODES: &str = concat!(
    "\
Examples:
  lmsdr                                     serve the API and Playground on ./lmsdr.db
  lmsdr sync --max-pages 100 --json         read the foundation's site; a JSON summary
  lmsdr import saved/ captures.warc.gz      import saved pages and web archives
  lmsdr backfill --from 2010 --dry-run      count the site's captures in the Wayback Machine
  lmsdr export --format ndjson --out dump/  write the partner export
  lmsdr migrate status --database-url postgres://lmsdr@db.internal/lmsdr

",
    exit_codes!()
);

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API and Playground.
    #[command(after_help = EXIT_CODES)]
    Serve(serve::ServeArgs),
    /// Import saved pages (files or directories).
    #[command(after_help = EXIT_CODES)]
    Import(import::ImportArgs),
    /// Fetch the foundation's site and record what changed.
    #[command(after_help = EXIT_CODES)]
    Sync(sync::SyncArgs),
    /// Rebuild the site's history from a web archive's captures (politely; resumable).
    #[command(after_help = EXIT_CODES)]
    Backfill(backfill::BackfillArgs),
    /// Export the data for partners.
    #[command(after_help = EXIT_CODES)]
    Export(export::ExportArgs),
    /// Apply, revert or inspect database migrations.
    #[command(after_help = EXIT_CODES)]
    Migrate(migrate::MigrateArgs),
    /// Check the drug vocabulary: unique names, well-formed codes, every code confirmed.
    #[command(after_help = EXIT_CODES)]
    Vocabulary(vocabulary::VocabularyArgs),
}

impl Cli {
    /// How logs are to be written.
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// Runs the chosen subcommand; the exit code says how it went.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let command = match self.command {
            Some(command) => command,
            // `cargo run --release` with no arguments serves, with every default.
            None => Cli::try_parse_from(["lmsdr", "serve"])?
                .command
                .ok_or_else(|| anyhow::anyhow!("cannot build the default `serve` command"))?,
        };
        match command {
            Command::Serve(args) => serve::run(args).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Sync(args) => sync::run(args).await,
            Command::Backfill(args) => backfill::run(args).await,
            Command::Vocabulary(args) => vocabulary::run(&args),
            Command::Export(args) => export::run(args).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn printed_arguments_hide_the_database_password_and_the_admin_token() {
        let cli = Cli::parse_from([
            "lmsdr",
            "serve",
            "--admin-token",
            "t0ken-value",
            "--database-url",
            "postgres://lmsdr:pa55word@db.internal/lmsdr",
        ]);
        let printed = format!("{cli:?}");
        assert!(!printed.contains("t0ken-value"), "{printed}");
        assert!(!printed.contains("pa55word"), "{printed}");
        assert!(printed.contains("db.internal"), "{printed}");
    }
}
