//! The `lmsdr` binary: one error boundary around the subcommands.

use std::process::ExitCode;

use clap::Parser;
use lmsdr_api::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    lmsdr_api::telemetry::init();
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
            // One line, the whole cause chain, no backtrace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
