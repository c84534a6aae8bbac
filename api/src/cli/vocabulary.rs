//! `lmsdr vocabulary check`: validates a vocabulary file (the bundled one by default).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use lmsdr_ingest::extract::vocabulary::{self, check};

use super::{DatabaseArgs, exit};

#[derive(Debug, Args)]
pub struct VocabularyArgs {
    #[command(subcommand)]
    action: Action,
    /// Taken, like every subcommand's, so that shared settings apply; the vocabulary is a file.
    #[command(flatten)]
    _db: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Validate a vocabulary file: unique names, ATC and RXCUI formats, and every code confirmed
    /// by its sources. Exit code 1 lists every problem.
    Check {
        /// The file to check (default: the vocabulary built into this binary).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

pub fn run(args: &VocabularyArgs) -> anyhow::Result<ExitCode> {
    let Action::Check { file } = &args.action;
    let (source, name) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            vocabulary::SOURCE.to_owned(),
            "the built-in vocabulary".to_owned(),
        ),
    };
    match check::check(&source) {
        Ok(summary) => {
            println!(
                "ok: {name}: {} drugs, {} categories, {} sources, {} codes, each confirmed",
                summary.drugs, summary.categories, summary.sources, summary.codes
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("{name}: {} problem(s)", problems.len());
            Ok(ExitCode::from(exit::FAILED))
        }
    }
}
