//! The `snagscan` binary: parse arguments, run, map errors to exit codes
//! (0 success, 1 a `--fail-on` condition met, 2 an error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = snagscan::cli::Cli::parse();
    match snagscan::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("snagscan: {e}");
            ExitCode::from(2)
        }
    }
}
