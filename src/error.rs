//! The library's error type. Every variant that comes from an input names the file and, where it
//! can, the line and column, so that the binary can print one actionable line.

use std::path::PathBuf;

/// Errors snagscan reports to the user (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no such folder")]
    NoSuchDir(PathBuf),
    #[error("{0}: is a file; give the folder that holds the exports (here {1})")]
    FileNotDir(PathBuf, String),
    #[error("{0}: empty file (0 bytes, no header)")]
    EmptyFile(String),
    #[error("{dir}: no recognisable export (orders, shipments, tickets, reviews...); skipped: {skipped}")]
    NoInputs { dir: PathBuf, skipped: String },
    /// No input was read as orders. `found`: the files read, as `file: kind`; `skipped`: the
    /// files no format fits, as `file (reason)` joined by `; ` (empty when none was skipped),
    /// one of which is often the orders file the user meant.
    #[error(
        "{dir}: no orders file among the inputs ({found}){}; snagscan needs orders to build journeys",
        skipped_text(.skipped)
    )]
    NoOrders {
        dir: PathBuf,
        found: String,
        skipped: String,
    },
    #[error("{file}: no column '{column}' (needed for {format} {kind}){}", suggestion_text(.suggestion))]
    MissingColumn {
        file: String,
        column: String,
        format: String,
        kind: String,
        suggestion: Option<String>,
    },
    #[error("{file}, line {line}: {message}")]
    Malformed {
        file: String,
        line: u64,
        message: String,
    },
    /// A file that cannot be read at all (no line to point at: a Parquet file's structure, a
    /// column too large to hold).
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}, column '{column}': {message}")]
    Column {
        file: String,
        column: String,
        message: String,
    },
    #[error("config {file}: {message}")]
    Config { file: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("internal data-frame error: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("writing {path}: {message}")]
    Output { path: PathBuf, message: String },
}

fn skipped_text(skipped: &str) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!("; skipped: {skipped}")
    }
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(h) => format!("; did you mean '{h}'? Rename it or map it in snagscan.toml"),
        None => "; add it or map another column to it in snagscan.toml".to_string(),
    }
}

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
