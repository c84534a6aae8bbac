//! The `lmsdr` binary: one error boundary around the subcommands.

use std::process::ExitCode;

use lmsdr_api::cli::config::{self, CliError};
use lmsdr_api::cli::{UsageError, exit};

/// mimalloc rather than the system allocator: parsing and extraction make many small, short-lived
/// allocations, which it serves faster and with less fragmentation (see `just bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A `.env` in the working directory sets what the environment leaves unset (below flags and
    // the environment, above a config file). None is fine; one that cannot be read is not.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(err) if err.not_found() => {}
        Err(err) => {
            eprintln!("error: .env: {err}");
            return ExitCode::from(exit::USAGE);
        }
    }
    let cli = match config::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        // `--help` and `--version` print and exit 0.
        Err(CliError::Args(err)) if !err.use_stderr() => err.exit(),
        Err(CliError::Args(err)) => {
            // Printing to a closed standard error has no one left to tell.
            let _ = err.print();
            return ExitCode::from(exit::USAGE);
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(exit::USAGE);
        }
    };
    lmsdr_api::telemetry::init(cli.log_format());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The error and its causes on one line, without a backtrace. A cause whose text its parent
/// message already includes is not repeated.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}
