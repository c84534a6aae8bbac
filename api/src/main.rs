//! The `lmsdr` binary: one error boundary around the subcommands.

use std::process::ExitCode;

use lmsdr_api::cli::config::{self, CliError};

/// mimalloc rather than the system allocator: parsing and extraction make many small, short-lived
/// allocations, which it serves faster and with less fragmentation (see `just bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match config::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(CliError::Args(err)) => err.exit(),
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
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
            ExitCode::FAILURE
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
