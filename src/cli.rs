//! Command-line interface (clap derive). Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::compare::FailRule;
use crate::report::output::JourneysFormat;

/// Find where your customers get stuck: rebuild every order's journey from store exports and
/// rank the snags (slow fulfillment, late deliveries, stockouts, review gaps...) by impact and
/// effort.
#[derive(Debug, Parser)]
#[command(name = "snagscan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze a folder of exports (orders, shipments, tickets, reviews) and report the snags.
    Analyze(AnalyzeArgs),
    /// List the analyzers: snag id, journey stage, what it looks for.
    Analyzers,
    /// Compare two report.json files (baseline first) without re-reading the exports: KPI
    /// changes and new, worse, better and resolved snags.
    Diff(DiffArgs),
    /// Show how each file of a folder is read: kind, format, rows, and the header each
    /// canonical column comes from; for a skipped file, why, and the nearest format.
    Inspect(InspectArgs),
    /// Write a synthetic store: healthy, or with the snags --inject plants (the demo data, and ground truth for tests).
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Folder holding the exports.
    pub dir: PathBuf,
    /// Config file (default: DIR/snagscan.toml when present); its [[mapping]] tables apply.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store time zone (IANA name) for timestamps without an offset.
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Number of orders.
    #[arg(long, default_value_t = 10_000)]
    pub orders: usize,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder to write orders.csv, shipments.csv, tickets.csv, reviews.csv, line_items.csv, snagscan.toml and truth.json to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// `canonical` (snagscan's own CSVs) or `shopify` (a Shopify orders export plus canonical files).
    #[arg(long, default_value = "canonical")]
    pub format: String,
    /// Snags to plant, comma-separated: express-buried, weekend-backlog, late-lane, wismo-spike,
    /// monday-surge, late-first-order-churn, stockouts, vip-at-risk, high-risk-holds.
    #[arg(long, value_delimiter = ',')]
    pub inject: Vec<String>,
    /// Write each table as Parquet instead of CSV, with the canonical format's times, dates and
    /// amounts stored typed (the other columns as text): the input of the Parquet benchmarks
    /// in docs/performance.md.
    #[arg(long)]
    pub parquet: bool,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Folder holding the exports (.csv, .tsv, .csv.gz, .parquet, and files named by a
    /// [[mapping]]); each file is recognised by its header.
    pub dir: PathBuf,
    /// Write report.html, report.md, report.json, snags.csv, kpis.csv, journeys.csv (or
    /// .parquet), customers.csv, tickets.csv, event_log.csv and data_quality.csv here. They are
    /// written as hidden .partial files and moved into place only when all are complete: a run
    /// that fails leaves the previous files as they were.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Format of the journeys table under --out.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = JourneysFormat::Csv)]
    pub journeys_format: JourneysFormat,
    /// A report.json from an earlier run: every KPI gets its previous value and change, and
    /// snags are marked new, worse, better or resolved (terminal, report.md, report.html,
    /// report.json).
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Exit with code 1 (after writing every report) when a snag is in the start-here quadrant,
    /// new since the baseline, or worse than in it. Join conditions with '+' to require all of
    /// them on one snag (new+start-here); repeat the flag for alternatives. new and worse need
    /// --baseline. `skipped` (on its own): an input file was skipped because no format fits it
    /// or it is a spreadsheet workbook (.xlsx, .ods, ...).
    #[arg(long, value_name = "CONDITION")]
    pub fail_on: Vec<FailRule>,
    /// Record the run's wall-clock time in report.json, report.md and report.html (without it,
    /// the same inputs give byte-identical files).
    #[arg(long)]
    pub stamp: bool,
    /// Config file (default: DIR/snagscan.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store time zone (IANA name, e.g. America/New_York) for timestamps without an offset and
    /// for date promises. Default UTC, stated in the report.
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Measure as of this time instead of the latest event in the data (e.g. "2024-07-05 00:00:00 -0400");
    /// orders placed and tickets opened after it are not counted. Without an offset, a time is in
    /// the store's time zone, and a bare date (2024-07-05) is the start of that day.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Also write the object-centric event log (OCEL 2.0 JSON) as event_log.jsonocel.
    #[arg(long)]
    pub ocel: bool,
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The baseline report.json (the earlier run).
    pub old: PathBuf,
    /// The report.json to compare with it.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit with code 1 when met, as for `analyze --fail-on` (start-here, new, worse, joined
    /// with '+'; skipped, about the NEW report's inputs).
    #[arg(long, value_name = "CONDITION")]
    pub fail_on: Vec<FailRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Tables for a terminal.
    Text,
    /// The comparison as JSON (the `comparison` object of report.json).
    Json,
}
