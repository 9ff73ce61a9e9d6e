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
    no_transparent_huge_pages();
    let cli = snagscan::cli::Cli::parse();
    match snagscan::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("snagscan: {e}");
            ExitCode::from(2)
        }
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks for them on its arenas, and
/// the kernel then zeroes 2 MiB on the first touch of each: at 1M orders that was a third of
/// the system time (3 s of CPU) for no gain (see docs/performance.md). Best effort: on other
/// systems, or if the kernel refuses, nothing changes.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
