//! The `snagscan` binary: parse arguments, run, map errors to exit codes
//! (0 success, 1 a `--fail-on` condition met, 2 an error).

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: Polars allocates and frees many short-lived
/// buffers from several threads, where glibc's malloc spends much time returning memory to
/// the kernel and faulting it back in (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
