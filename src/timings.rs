//! Wall-clock spans of the pipeline's steps, printed on stderr when `SNAGSCAN_TIMINGS=1`.
//!
//! A [`Span`] prints `snagscan timing: <name> <ms> ms` when it is dropped, so a step is timed by
//! holding a span for its duration: `let _t = timings::span("ingest");`. Nested spans are
//! indented by depth, and followed by the process's CPU time (user + system, all threads) spent
//! during the span, its resident memory and its peak so far (Linux, from /proc/self/stat and
//! /proc/self/status). CPU time over wall time says how well a step uses the cores. With the variable unset a span costs one relaxed atomic load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static DEPTH: AtomicUsize = AtomicUsize::new(0);

/// True when `SNAGSCAN_TIMINGS` is set to anything but `0` or an empty string.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("SNAGSCAN_TIMINGS")
            .map(|v| !v.is_empty() && v != "0")
            .unwrap_or(false)
    })
}

/// A running timer; reports on drop.
pub struct Span {
    name: Option<(String, Instant, usize, Option<f64>)>,
}

/// Starts a span named `name` (no-op unless [`enabled`]).
pub fn span(name: impl Into<String>) -> Span {
    if !enabled() {
        return Span { name: None };
    }
    let depth = DEPTH.fetch_add(1, Ordering::Relaxed);
    Span {
        name: Some((name.into(), Instant::now(), depth, cpu_seconds())),
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((name, start, depth, cpu_start)) = self.name.take() {
            DEPTH.fetch_sub(1, Ordering::Relaxed);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let cpu = match (cpu_start, cpu_seconds()) {
                (Some(a), Some(b)) => format!(" (cpu {:.0} ms)", (b - a) * 1000.0),
                _ => String::new(),
            };
            eprintln!(
                "snagscan timing: {:indent$}{name} {ms:.1} ms{cpu}{}",
                "",
                memory().unwrap_or_default(),
                indent = depth * 2
            );
        }
    }
}

/// The process's CPU time so far, seconds (user + system, all threads): fields 14 and 15 of
/// /proc/self/stat, in clock ticks of 1/100 s (the Linux USER_HZ); `None` where it cannot be read.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow its closing ')'.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `  (rss N MB, peak M MB)` from /proc/self/status; `None` where it cannot be read.
fn memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(format!(
        "  (rss {} MB, peak {} MB)",
        kb("VmRSS:")? / 1024,
        kb("VmHWM:")? / 1024
    ))
}
