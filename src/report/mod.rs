//! The report model and its exporters. Exporters are pure (`Report` in, bytes out, see
//! [`Exporter`]); [`output::Outputs`] owns the files.

pub mod csv;
pub mod json;
pub mod output;
pub mod table;

use chrono::{DateTime, Utc};

use crate::analyze::{BreakdownRow, Evidence, Stage};
use crate::error::Result;
use crate::ingest::{InputFile, SkippedFile};
use crate::metrics::{CurrencyRevenue, Kpis};
use crate::quality::QualityEntry;
use crate::score::{Effort, ImpactTerm, Quadrant};

/// Version of the `report.json` layout; bumped when a field changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one analysis found (SPEC section 5, `report.json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub window: Window,
    pub store: StoreInfo,
    pub inputs: Vec<InputFile>,
    pub skipped_files: Vec<SkippedFile>,
    pub kpis: Kpis,
    pub revenue_by_currency: Vec<CurrencyRevenue>,
    pub snags: Vec<Snag>,
    pub not_enough_data: Vec<NotEnoughData>,
    /// Every analyzer's verdict, raised or not.
    pub checks: Vec<Check>,
    pub data_quality: Vec<QualityEntry>,
}

/// The data window: first order placed to the as-of time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Window {
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    /// Days, fractional.
    pub days: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreInfo {
    pub timezone: String,
    /// True when no time zone was configured and UTC was assumed.
    pub timezone_assumed: bool,
    pub currency: Option<String>,
    pub as_of_source: &'static str,
}

/// A raised, scored snag.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snag {
    pub id: &'static str,
    pub stage: Stage,
    pub title: String,
    pub quadrant: Quadrant,
    /// Store currency per 30 days.
    pub impact_per_30d: f64,
    pub impact_terms: Vec<ImpactTerm>,
    pub high_impact: bool,
    pub effort: Effort,
    pub affected_orders: u64,
    pub affected_customers: u64,
    pub evidence: Vec<Evidence>,
    pub breakdown: Vec<BreakdownRow>,
    pub automation: &'static str,
    pub kpi: KpiRef,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct KpiRef {
    pub name: &'static str,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NotEnoughData {
    pub id: &'static str,
    pub n: u64,
}

/// One analyzer's verdict: `raised`, `clear`, `not_enough_data` or `not_applicable`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub id: &'static str,
    pub stage: Stage,
    pub status: &'static str,
    pub n: Option<u64>,
    pub kpi: KpiRef,
    pub note: Option<String>,
}

/// A pure report serializer (hyperfine's exporter shape).
pub trait Exporter {
    /// File name written under `--out`.
    fn file_name(&self) -> &'static str;
    fn serialize(&self, report: &Report) -> Result<Vec<u8>>;
}

/// RFC 3339 UTC with seconds: `2018-10-17T17:30:18Z`.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
