//! Comparing a report with a baseline (`--baseline OLD.json`, `snagscan diff OLD.json NEW.json`)
//! and the `--fail-on` conditions that CI jobs use.
//!
//! Everything here is pure: two [`Digest`]s in, a [`Comparison`] out. A digest is the part of a
//! `report.json` that a comparison needs; it is read from a file (any schema version up to
//! [`SCHEMA_VERSION`]) or taken from a fresh [`Report`], so an old report never has to match
//! the current types field for field.
//!
//! Rules (documented in `docs/ci.md`):
//! - a KPI's `change` is `current - previous` (null when either is null); its `trend` is
//!   `better` / `worse` by the KPI's direction (e.g. `on_time_rate` higher is better,
//!   `fulfillment_wait_p50_h` lower is better), `changed` for volume KPIs with no good direction
//!   (orders, customers, tickets), `unchanged` within [`TOLERANCE`] (for a share, symmetric
//!   with its complement, see [`cmp_tol`]), `n/a` when a side is null; a snag's own KPI has
//!   its direction in [`SNAG_KPI_DIRECTIONS`];
//! - a snag is `new` (not in the baseline), `resolved` (in the baseline, clear now),
//!   `unmeasured` (in the baseline, now not enough data or not applicable), `worse`
//!   (impact per 30 days up, or its KPI moved the wrong way), `better` (impact down or KPI moved
//!   the right way, and nothing worse) or `unchanged`. Moves within [`TOLERANCE`] (relative), a
//!   snag KPI's moves within sampling noise ([`kpi_move_is_noise`]) and impact moves within
//!   [`IMPACT_TOLERANCE`] (relative) or under [`IMPACT_FLOOR`] currency units are not changes, so that a
//!   nightly run on a slowly growing export does not flap.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    Report, KPIS_DEFINED_BY, KPIS_OF_LOCAL_DAYS, KPIS_OF_LOCAL_HOURS, REPEAT_WINDOW_KPIS,
    SCHEMA_VERSION,
};
use crate::error::{Error, Result};

/// Relative change (of the larger magnitude; for a fraction, see [`cmp_tol`]) below which two
/// values count as equal.
pub const TOLERANCE: f64 = 0.01;
/// Impact moves smaller than this (store currency per 30 days) are not changes.
pub const IMPACT_FLOOR: f64 = 1.0;
/// Relative impact move (of the larger impact) below which a snag's impact counts as
/// unchanged: impacts are priced from counts of tickets and orders (a few dozen surplus
/// tickets on a small store), whose day-to-day noise is far above [`TOLERANCE`].
pub const IMPACT_TOLERANCE: f64 = 0.20;
/// Two-sided 5% critical value of the standard normal: a snag's KPI move with a sampling model
/// ([`kpi_move_is_noise`]) counts only when its z-score is at least this.
pub const Z_CRITICAL: f64 = 1.959964;
/// Snag KPIs that are counts (of customers, of days), whose sampling error is Poisson's.
const COUNT_KPIS: &[&str] = &["vip_at_risk (customers)", "wismo_spike_days"];
/// Snag KPIs that are rates per 100 of the check's sample (shipped orders).
const PER_100_KPIS: &[&str] = &["wismo_rate_per_100"];
/// Snag KPIs that are shares of part of their check's sample only (the late first orders'
/// repeat rate: the check counts both groups), so that sample cannot test their moves.
const PART_SAMPLE_KPIS: &[&str] = &["repeat_rate (late first order)"];

/// Rule changes a baseline's settings reveal (the start of a `changed_settings` entry), with
/// the note a comparison then gives: the KPIs they define are not compared ([`KPIS_DEFINED_BY`]),
/// and the note says why.
const RULE_CHANGES: &[(&str, &str)] = &[
    (
        "thresholds.spike_max_p ",
        "The baseline's spike test was per day (spike_max_p, a level each day was tested at); \
         this run's spike_false_alarm_rate bounds a store's chance of any false spike day, so \
         spike days are counted by another rule",
    ),
    (
        "thresholds.spike_spread_confidence none -> ",
        "The baseline's spike test took the days' spread as measured (as \
         spike_spread_confidence = 0.5 does); this run takes it at its upper bound, so spike \
         days are counted by another rule",
    ),
];

/// Which way a KPI should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// A volume: up or down is neither good nor bad by itself.
    Neutral,
}

/// Every KPI of `report.json`, in report order, with its direction.
pub const KPI_DIRECTIONS: &[(&str, Direction)] = &[
    ("orders", Direction::Neutral),
    ("orders_shipped", Direction::Neutral),
    ("orders_delivered", Direction::Neutral),
    ("customers", Direction::Neutral),
    ("revenue", Direction::HigherIsBetter),
    ("fulfillment_wait_p50_h", Direction::LowerIsBetter),
    ("fulfillment_wait_p90_h", Direction::LowerIsBetter),
    ("complete_fulfillment_wait_p50_h", Direction::LowerIsBetter),
    ("sla_breach_share", Direction::LowerIsBetter),
    ("transit_time_p50_h", Direction::LowerIsBetter),
    ("click_to_door_p50_h", Direction::LowerIsBetter),
    ("on_time_rate", Direction::HigherIsBetter),
    ("late_share", Direction::LowerIsBetter),
    ("overdue_orders", Direction::LowerIsBetter),
    ("backlog_orders", Direction::LowerIsBetter),
    ("cancel_share", Direction::LowerIsBetter),
    ("tickets", Direction::Neutral),
    ("wismo_tickets", Direction::Neutral),
    ("wismo_tickets_unshipped", Direction::Neutral),
    // A count of tickets, which grows with the store like the others (+1 of 19 on a nightly
    // run read "worse"); how well tickets link is for the data-quality section.
    ("tickets_unlinked", Direction::Neutral),
    ("wismo_rate_per_100", Direction::LowerIsBetter),
    ("wismo_share", Direction::LowerIsBetter),
    ("repeat_rate", Direction::HigherIsBetter),
    ("time_to_second_order_p50_d", Direction::LowerIsBetter),
    ("second_order_customers", Direction::Neutral),
    ("review_coverage", Direction::HigherIsBetter),
    ("review_score_mean", Direction::HigherIsBetter),
    ("csat", Direction::HigherIsBetter),
];

/// The directions of the snags' own KPIs (the `kpi` of each analyzer that is not a store KPI):
/// each measures the snag, so lower is better, except a repeat rate.
pub const SNAG_KPI_DIRECTIONS: &[(&str, Direction)] = &[
    ("fulfillment_wait_p50_h (express)", Direction::LowerIsBetter),
    (
        "hold_wait_ratio (flagged / other median order-to-ship)",
        Direction::LowerIsBetter,
    ),
    ("repeat_rate (late first order)", Direction::HigherIsBetter),
    ("top_weekday_ticket_share", Direction::LowerIsBetter),
    ("vip_at_risk (customers)", Direction::LowerIsBetter),
    (
        "weekend_wait_ratio (Fri-Sun / Mon-Thu median order-to-ship)",
        Direction::LowerIsBetter,
    ),
    ("wismo_spike_days", Direction::LowerIsBetter),
];

/// KPIs that are fractions in [0, 1] (shares and rates), compared symmetrically with their
/// complement (see [`cmp_tol`]).
const FRACTION_KPIS: &[&str] = &[
    "sla_breach_share",
    "on_time_rate",
    "late_share",
    "cancel_share",
    "wismo_share",
    "repeat_rate",
    "review_coverage",
    "repeat_rate (late first order)",
    "top_weekday_ticket_share",
];

/// The direction of a KPI (a store KPI or a snag's) by name; unknown names are neutral.
pub fn direction(kpi: &str) -> Direction {
    KPI_DIRECTIONS
        .iter()
        .chain(SNAG_KPI_DIRECTIONS)
        .find(|(k, _)| *k == kpi)
        .map(|(_, d)| *d)
        .unwrap_or(Direction::Neutral)
}

/// The part of a `report.json` a comparison reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Digest {
    pub schema_version: u32,
    pub window: DigestWindow,
    /// KPI name -> value (null when not computable).
    pub kpis: BTreeMap<String, Option<f64>>,
    pub snags: Vec<DigestSnag>,
    /// Every analyzer's verdict (absent from reports written before checks existed).
    #[serde(default)]
    pub checks: Vec<DigestCheck>,
    /// The store's time zone, in which the window's dates are shown.
    #[serde(default)]
    pub store: DigestStore,
    /// Input files no format fitted, and spreadsheet workbooks, left out of the run.
    #[serde(default)]
    pub skipped_files: Vec<DigestSkippedFile>,
    /// The repeat window the repeat rates were measured over, days (absent from reports
    /// written before it was recorded).
    #[serde(default)]
    pub repeat_window_days: Option<u32>,
    /// The thresholds, costs and playbook the report was measured with (absent from reports
    /// written before they were recorded).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestSkippedFile {
    pub file: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestStore {
    /// IANA name (`UTC` when the report does not say).
    pub timezone: String,
    /// The currency of the report's money (null with several currencies, or unknown).
    #[serde(default)]
    pub currency: Option<String>,
    /// The times given as dates only (absent from reports written before it was recorded).
    #[serde(default)]
    pub times_known_to_the_day: Vec<String>,
}

impl Default for DigestStore {
    fn default() -> Self {
        DigestStore {
            timezone: "UTC".into(),
            currency: None,
            times_known_to_the_day: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestCheck {
    pub id: String,
    /// `raised`, `clear`, `not_enough_data` or `not_applicable`.
    pub status: String,
    /// The check's sample: the orders, tickets or customers its KPI is measured over (absent
    /// from reports written before it was recorded).
    #[serde(default)]
    pub n: Option<u64>,
    pub kpi: DigestKpi,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestWindow {
    /// Null for a store without orders.
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestSnag {
    pub id: String,
    pub title: String,
    pub quadrant: String,
    /// Null when no impact term could be priced (the priced terms' sum is then 0).
    pub impact_per_30d: Option<f64>,
    /// The terms of the impact (support cost, revenue at risk), per 30 days; empty in a
    /// report that does not list them.
    #[serde(default)]
    pub impact_terms: Vec<DigestTerm>,
    pub kpi: DigestKpi,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestTerm {
    pub name: String,
    /// Null when the term could not be measured (it counts 0 in the impact).
    pub value_per_30d: Option<f64>,
}

/// The impact term priced from the tickets table ([`DigestTerm::name`]).
const SUPPORT_COST_TERM: &str = "support_cost";
/// The impact term priced with a repeat-rate drop or a cancelled value (`score::revenue_term`).
const REVENUE_AT_RISK_TERM: &str = "revenue_at_risk";

impl DigestSnag {
    /// The impact per 30 days, without its support cost when `support` (what two runs can
    /// compare when only one of them had a tickets table: the other's support cost is
    /// unmeasured, counted 0), and without its revenue at risk when `revenue` (two runs over
    /// different repeat windows price a repeat-rate drop differently).
    fn impact_without(&self, support: bool, revenue: bool) -> f64 {
        let left_out: f64 = self
            .impact_terms
            .iter()
            .filter(|t| {
                (support && t.name == SUPPORT_COST_TERM)
                    || (revenue && t.name == REVENUE_AT_RISK_TERM)
            })
            .filter_map(|t| t.value_per_30d)
            .sum();
        self.impact_per_30d.unwrap_or(0.0) - left_out
    }
}

/// Whether the impact term `name` is listed by both snags and measured in one only: counted 0
/// in the other (a repeat-rate drop not measurable in a shorter window, or a repeat-rate
/// difference not significant, say), so comparing the impacts with it would call the snag
/// worse or better for what became measurable.
fn measured_in_one(a: &DigestSnag, b: &DigestSnag, name: &str) -> bool {
    let term = |d: &DigestSnag| {
        d.impact_terms
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.value_per_30d.is_some())
    };
    matches!((term(a), term(b)), (Some(x), Some(y)) if x != y)
}

#[derive(Debug, Clone, Deserialize)]
pub struct DigestKpi {
    pub name: String,
    pub value: Option<f64>,
}

impl Digest {
    /// The digest of a report in memory.
    pub fn of(report: &Report) -> Result<Digest> {
        let value = serde_json::to_value(report).map_err(|e| Error::Output {
            path: "report.json".into(),
            message: e.to_string(),
        })?;
        serde_json::from_value(value).map_err(|e| Error::Output {
            path: "report.json".into(),
            message: e.to_string(),
        })
    }

    /// Parses a `report.json` written by this or an earlier snagscan.
    ///
    /// Errors: not JSON, not a snagscan report, or written by a newer schema version.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Digest> {
        let malformed = |line: usize, message: String| Error::Malformed {
            file: file.to_string(),
            line: line as u64,
            message,
        };
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| malformed(e.line(), format!("not valid JSON ({e})")))?;
        let version = match value.get("schema_version") {
            None => {
                return Err(malformed(
                    1,
                    "no schema_version: not a snagscan report.json (give the report.json an \
                     earlier `snagscan analyze --out` wrote)"
                        .into(),
                ))
            }
            Some(v) => v.as_u64().filter(|&v| v >= 1).ok_or_else(|| {
                malformed(
                    1,
                    format!(
                        "schema_version {v} is not one snagscan writes (a whole number from 1)"
                    ),
                )
            })?,
        };
        if version > u64::from(SCHEMA_VERSION) {
            return Err(malformed(
                1,
                format!(
                    "schema_version {version} is newer than this snagscan reads ({SCHEMA_VERSION}); \
                     upgrade snagscan"
                ),
            ));
        }
        // From the bytes again, so that an error names its line and column.
        let mut digest: Digest = serde_json::from_slice(bytes)
            .map_err(|e| malformed(e.line(), format!("not a snagscan report.json: {e}")))?;
        // Version 1 wrote 0 for a snag none of whose terms was priced: not measured, as
        // version 2 writes it (null), so a comparison does not read "0 -> not measured".
        for s in &mut digest.snags {
            if !s.impact_terms.is_empty()
                && s.impact_terms.iter().all(|t| t.value_per_30d.is_none())
            {
                s.impact_per_30d = None;
            }
        }
        Ok(digest)
    }

    /// Reads and parses a `report.json` file.
    pub fn read(path: &Path) -> Result<Digest> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Digest::parse(&bytes, &path.display().to_string())
    }
}

/// How a KPI moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trend {
    Better,
    Worse,
    /// A neutral (volume) KPI that moved.
    Changed,
    Unchanged,
    /// One side is null.
    #[serde(rename = "n/a")]
    NotComparable,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Better => "better",
            Trend::Worse => "worse",
            Trend::Changed => "changed",
            Trend::Unchanged => "unchanged",
            Trend::NotComparable => "n/a",
        }
    }
}

/// A snag's status against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnagStatus {
    New,
    Worse,
    Better,
    Unchanged,
    Resolved,
    /// In the baseline; now its analyzer had not enough data or did not apply, so whether it
    /// is resolved cannot be told.
    Unmeasured,
    /// A snag measured by a repeat rate ([`REPEAT_WINDOW_KPIS`]), in either report, when the
    /// two were measured over different repeat windows: new, worse or resolved cannot be told.
    NotComparable,
}

impl SnagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SnagStatus::New => "new",
            SnagStatus::Worse => "worse",
            SnagStatus::Better => "better",
            SnagStatus::Unchanged => "unchanged",
            SnagStatus::Resolved => "resolved",
            SnagStatus::Unmeasured => "unmeasured",
            SnagStatus::NotComparable => "not-comparable",
        }
    }
}

/// One KPI, then and now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiChange {
    pub name: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    /// `current - previous`, in the KPI's unit.
    pub change: Option<f64>,
    pub trend: Trend,
}

/// One snag, then and now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnagChange {
    pub id: String,
    pub title: String,
    pub status: SnagStatus,
    /// Null for a resolved snag.
    pub quadrant: Option<String>,
    /// Null for a new snag.
    pub previous_quadrant: Option<String>,
    pub impact_per_30d: Option<f64>,
    pub previous_impact_per_30d: Option<f64>,
    pub kpi: String,
    pub kpi_value: Option<f64>,
    pub previous_kpi_value: Option<f64>,
    /// Why an `unmeasured` snag could not be measured now (its check's status), for the
    /// reports' summaries; `report.json` has the check itself.
    #[serde(skip)]
    pub unmeasured: Option<Unmeasured>,
}

/// Why a baseline snag is [`SnagStatus::Unmeasured`] now: its check's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmeasured {
    /// `not_enough_data`: its sample is below `min_sample`.
    NotEnoughData,
    /// `not_applicable`: the inputs lack what its analyzer needs (no tickets table, say).
    NotApplicable,
}

impl Unmeasured {
    pub fn as_str(self) -> &'static str {
        match self {
            Unmeasured::NotEnoughData => "not enough data",
            Unmeasured::NotApplicable => "not applicable",
        }
    }
}

/// A comparison as JSON (`report.json.comparison`, `snagscan diff --format json`): its fields
/// and its `notes` ([`Comparison::notes`]: what is not compared, and a baseline that is not an
/// earlier run of the same store), which the text reports print above the tables.
#[derive(Serialize)]
pub struct ComparisonJson<'a> {
    #[serde(flatten)]
    comparison: &'a Comparison,
    notes: Vec<String>,
}

impl<'a> From<&'a Comparison> for ComparisonJson<'a> {
    fn from(comparison: &'a Comparison) -> Self {
        ComparisonJson {
            notes: comparison.notes(),
            comparison,
        }
    }
}

/// Serializes `report.json.comparison` with its notes (see [`ComparisonJson`]).
pub fn serialize_with_notes<S: serde::Serializer>(
    comparison: &Option<Comparison>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    comparison
        .as_ref()
        .map(ComparisonJson::from)
        .serialize(serializer)
}

/// A report compared with its baseline (`report.json.comparison`, with the notes of
/// [`ComparisonJson`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The baseline's data window (null when the baseline store had no orders).
    pub baseline_window_start: Option<String>,
    pub baseline_window_end: Option<String>,
    /// The baseline store's time zone (IANA name), for showing its window's dates (not written
    /// to report.json, which has the baseline's instants).
    #[serde(skip)]
    pub baseline_timezone: String,
    /// This run's data window and time zone, to tell a baseline that is not an earlier run of
    /// the same store (see [`Comparison::notes`]; not written to report.json, which has them).
    #[serde(skip)]
    pub current_window_start: Option<String>,
    #[serde(skip)]
    pub current_window_end: Option<String>,
    #[serde(skip)]
    pub current_timezone: String,
    /// The times either report gives as dates only (`store.times_known_to_the_day`), for the
    /// time zone note.
    #[serde(skip)]
    pub times_known_to_the_day: Vec<String>,
    pub kpis: Vec<KpiChange>,
    /// Current snags in report order, then resolved ones in baseline order.
    pub snags: Vec<SnagChange>,
    /// The repeat windows the two reports' repeat rates were measured over, days (null for a
    /// report that does not record it). When both are known and differ, the repeat rates
    /// ([`REPEAT_WINDOW_KPIS`]) are not compared (trend `n/a`, no change), nor are the snags
    /// they measure (status `not-comparable`), and other snags' impacts are compared without
    /// their revenue at risk, which is priced with a repeat-rate drop.
    pub baseline_repeat_window_days: Option<u32>,
    pub current_repeat_window_days: Option<u32>,
    /// The two reports' currencies (`store.currency`; null when a report names none). When they
    /// differ (as ISO codes, in any case), or only one is known, money is not compared: impacts
    /// (snags are judged by their KPI alone) and the revenue (trend `n/a`).
    pub baseline_currency: Option<String>,
    pub current_currency: Option<String>,
    /// The settings that differ between the two reports, `name was -> now`
    /// (`thresholds.fulfillment_sla_h 48 -> 24`); empty when the baseline does not record them.
    /// Snags and KPIs measured against them can have moved for that reason alone.
    pub changed_settings: Vec<String>,
}

impl Comparison {
    /// The baseline's and the current repeat windows, days, when both are known and differ.
    pub fn repeat_windows_differ(&self) -> Option<(u32, u32)> {
        repeat_windows_differ(
            self.baseline_repeat_window_days,
            self.current_repeat_window_days,
        )
    }

    /// What makes the baseline unlike an earlier run of the same store, from the two data
    /// windows: a baseline whose data ends after this run's (the two given the other way
    /// round: every trend reads backwards), or windows that do not overlap (another store, or
    /// a year apart). `None` when either window is unknown.
    fn window_note(&self) -> Option<String> {
        let instant = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        };
        let (b_start, b_end) = (
            instant(&self.baseline_window_start)?,
            instant(&self.baseline_window_end)?,
        );
        let (c_start, c_end) = (
            instant(&self.current_window_start)?,
            instant(&self.current_window_end)?,
        );
        let baseline = super::view::window_dates(
            self.baseline_window_start.as_deref(),
            self.baseline_window_end.as_deref(),
            &self.baseline_timezone,
        );
        let current = super::view::window_dates(
            self.current_window_start.as_deref(),
            self.current_window_end.as_deref(),
            &self.current_timezone,
        );
        if b_end < c_start || b_start > c_end {
            Some(format!(
                "The baseline's data ({baseline}) does not overlap this run's ({current}): is it a report of another store?"
            ))
        } else if b_end > c_end {
            // Ends on the same day: their times tell them apart (the dates alone read alike).
            let (baseline, current) = if baseline == current {
                let moment =
                    |t: chrono::DateTime<chrono::FixedOffset>, tz: &str| match tz
                        .parse::<chrono_tz::Tz>()
                    {
                        Ok(zone) => t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(),
                        Err(_) => t.format("%Y-%m-%d %H:%M %:z").to_string(),
                    };
                (
                    format!("ending {}", moment(b_end, &self.baseline_timezone)),
                    format!("ending {}", moment(c_end, &self.current_timezone)),
                )
            } else {
                (baseline, current)
            };
            Some(format!(
                "The baseline's data ({baseline}) ends after this run's ({current}): is it a later report? Changes read from the baseline to this run"
            ))
        } else {
            None
        }
    }

    /// The lines saying what is not compared: the KPIs of local days when the time zones
    /// differ, the repeat rates when the windows do, money when the currencies do; and first, a
    /// baseline that is not an earlier run of the same store ([`Comparison::window_note`]).
    pub fn notes(&self) -> Vec<String> {
        let windows = self.repeat_windows_differ().map(|(was, now)| {
            format!(
                "Repeat rates not compared: the baseline measured them over {was} days, this run over {now} days"
            )
        });
        let currencies =
            currencies_differ(&self.baseline_currency, &self.current_currency).map(|(was, now)| {
                format!(
                    "Impacts and revenue not compared: the baseline is in {was}, this run in {now}"
                )
            });
        // The repeat window, when the note above already says it changed, is not named again.
        let settings: Vec<&str> = self
            .changed_settings
            .iter()
            .map(String::as_str)
            .filter(|c| windows.is_none() || !c.starts_with("thresholds.repeat_window_days "))
            .collect();
        let settings = (!settings.is_empty()).then(|| {
            format!(
                "Settings changed since the baseline ({}): snags and KPIs measured against them can have moved for that reason alone",
                settings.join(", ")
            )
        });
        // Another time zone: the KPIs of local days, dates and weekdays are not compared.
        let zones = timezones_differ(
            &self.baseline_timezone,
            &self.current_timezone,
            [
                self.baseline_window_start.as_deref(),
                self.baseline_window_end.as_deref(),
                self.current_window_start.as_deref(),
                self.current_window_end.as_deref(),
            ],
        );
        let labels = |names: &[&str]| {
            names
                .iter()
                .map(|k| super::kpi_label(k, self.current_repeat_window_days))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let zone = zones.map(|(was, now)| {
            let hours = if self.times_known_to_the_day.is_empty() {
                String::new()
            } else {
                format!(
                    "; nor, as some times are known to the day only ({}), the waits and \
                     transit times ({})",
                    self.times_known_to_the_day.join(", "),
                    labels(KPIS_OF_LOCAL_HOURS)
                )
            };
            format!(
                "Store time zone changed ({was} -> {now}): KPIs of local days, dates and weekdays \
                 are not compared ({}){hours}, nor the snags they measure",
                labels(KPIS_OF_LOCAL_DAYS)
            )
        });
        // KPIs a changed threshold defines (the repeat rates, the revenue and, across zones,
        // the KPIs of local days have notes above).
        let redefined: Vec<&str> = self
            .kpis
            .iter()
            .filter(|k| k.trend == Trend::NotComparable && k.previous.is_some())
            .filter(|k| k.current.is_some() && k.name != "revenue")
            .filter(|k| !REPEAT_WINDOW_KPIS.contains(&k.name.as_str()))
            .filter(|k| {
                let name = k.name.as_str();
                let hours = !self.times_known_to_the_day.is_empty();
                zones.is_none()
                    || !(KPIS_OF_LOCAL_DAYS.contains(&name)
                        || (hours && KPIS_OF_LOCAL_HOURS.contains(&name)))
            })
            .map(|k| k.name.as_str())
            .collect();
        let redefined = (!redefined.is_empty()).then(|| {
            format!(
                "Not compared, as a changed threshold defines them: {} (and the snags they measure)",
                labels(&redefined)
            )
        });
        // A baseline from before a change of the spike test's rule counted spike days by
        // another rule: its settings show the change (see [`RULE_CHANGES`]).
        let rule_changes = RULE_CHANGES
            .iter()
            .filter(|(setting, _)| self.changed_settings.iter().any(|c| c.starts_with(setting)))
            .map(|(_, note)| note.to_string());
        self.window_note()
            .into_iter()
            .chain(zone)
            .chain(windows)
            .chain(currencies)
            .chain(settings)
            .chain(rule_changes)
            .chain(redefined)
            .collect()
    }

    /// What follows a baseline value of `kpi` for people: its own window (` (90 d)`) when it
    /// is a repeat rate measured over another window than the current one; else nothing.
    pub fn baseline_suffix(&self, kpi: &str) -> String {
        match self.repeat_windows_differ() {
            Some((was, _)) if REPEAT_WINDOW_KPIS.contains(&kpi) => format!(" ({was} d)"),
            _ => String::new(),
        }
    }

    /// The repeat window both reports were measured over, days, for labels; `None` when
    /// either does not record it or they differ.
    pub fn repeat_window_days(&self) -> Option<u32> {
        match (
            self.baseline_repeat_window_days,
            self.current_repeat_window_days,
        ) {
            (Some(was), Some(now)) if was == now => Some(now),
            _ => None,
        }
    }

    /// The change of the snag `id`, if it is in either report.
    pub fn snag(&self, id: &str) -> Option<&SnagChange> {
        self.snags.iter().find(|s| s.id == id)
    }

    /// Number of snags with `status`.
    pub fn count(&self, status: SnagStatus) -> usize {
        self.snags.iter().filter(|s| s.status == status).count()
    }

    /// Why the `unmeasured` snags could not be measured, for the summaries: "not enough data",
    /// "not applicable" (no tickets table, say: more rows of the same export would not help),
    /// or both with their counts ("1 not enough data, 2 not applicable"); `None` without one.
    pub fn unmeasured_why(&self) -> Option<String> {
        let n = |why: Unmeasured| {
            self.snags
                .iter()
                .filter(|s| s.unmeasured == Some(why))
                .count()
        };
        let counts = [Unmeasured::NotEnoughData, Unmeasured::NotApplicable]
            .map(|why| (n(why), why.as_str()));
        match counts {
            [(0, _), (0, _)] => None,
            [(_, why), (0, _)] | [(0, _), (_, why)] => Some(why.to_string()),
            [(a, a_why), (b, b_why)] => Some(format!("{a} {a_why}, {b} {b_why}")),
        }
    }
}

/// `cur` compared with `prev`: -1 lower, 0 the same within tolerance, 1 higher. A move is a
/// change when over `tolerance` (relative) of the larger magnitude and at least `floor`; for a
/// fraction, of the larger value or of the larger complement (1 - value), whichever is
/// smaller, so that a share and its complement (on-time rate and late share) always get the
/// same verdict: 82% -> 82.75% on time is a move, as 18% -> 17.25% late is.
fn cmp_tol(prev: f64, cur: f64, tolerance: f64, floor: f64, fraction: bool) -> i8 {
    let diff = cur - prev;
    let larger = prev.abs().max(cur.abs());
    let scale = if fraction {
        larger.min(1.0 - prev.min(cur))
    } else {
        larger
    };
    if diff.abs() <= tolerance * scale || diff.abs() < floor {
        0
    } else if diff > 0.0 {
        1
    } else {
        -1
    }
}

/// True when a snag's KPI moved from `prev` (over a sample of `n_prev`) to `cur` (over
/// `n_cur`) by no more than sampling noise: the two-sided test at 5% ([`Z_CRITICAL`]) finds no
/// difference. Shares ([`FRACTION_KPIS`]): the pooled two-proportion z-test. Counts
/// ([`COUNT_KPIS`]): the difference of two Poisson counts, z = (c2 - c1) / sqrt(c1 + c2).
/// Rates per 100 ([`PER_100_KPIS`]): two Poisson rates, z = (r2 - r1) / sqrt(r (1/n1 + 1/n2)),
/// r the pooled rate. False for a KPI without such a model (medians, ratios, means;
/// [`PART_SAMPLE_KPIS`]) or with a sample unknown,
/// which [`TOLERANCE`] alone judges. Two nightly runs share most of their
/// data, so the test (of independent samples) leans towards noise: a nightly job does not
/// flap on a day's orders; a real shift shows within days, as the samples part.
fn kpi_move_is_noise(
    kpi: &str,
    prev: f64,
    n_prev: Option<u64>,
    cur: f64,
    n_cur: Option<u64>,
) -> bool {
    let z = if COUNT_KPIS.contains(&kpi) {
        let total = prev + cur;
        if total <= 0.0 {
            return true;
        }
        (cur - prev) / total.sqrt()
    } else {
        let (Some(n1), Some(n2)) = (n_prev.filter(|n| *n > 0), n_cur.filter(|n| *n > 0)) else {
            return false;
        };
        let (n1, n2) = (n1 as f64, n2 as f64);
        let inverse = 1.0 / n1 + 1.0 / n2;
        let pooled = (prev * n1 + cur * n2) / (n1 + n2);
        let variance = if FRACTION_KPIS.contains(&kpi) && !PART_SAMPLE_KPIS.contains(&kpi) {
            pooled * (1.0 - pooled) * inverse
        } else if PER_100_KPIS.contains(&kpi) {
            // Poisson: the variance of a rate per 1 is the rate / n; per 100, x 100.
            pooled * inverse * 100.0
        } else {
            return false;
        };
        // Zero (every value 0 or 1 on both sides) or NaN: no spread to measure a move against.
        if variance.is_nan() || variance <= 0.0 {
            return prev == cur;
        }
        (cur - prev) / variance.sqrt()
    };
    z.abs() < Z_CRITICAL
}

/// How `kpi` moved from `prev` to `cur`; `n/a` when either is null, or when the two runs
/// measured it by different definitions (`redefined`: another repeat window, or a threshold
/// that defines it changed, see [`redefined_kpis`]).
fn trend(kpi: &str, prev: Option<f64>, cur: Option<f64>, redefined: bool) -> Trend {
    if redefined {
        return Trend::NotComparable;
    }
    let (Some(p), Some(c)) = (prev, cur) else {
        return Trend::NotComparable;
    };
    match (
        cmp_tol(p, c, TOLERANCE, 1e-12, FRACTION_KPIS.contains(&kpi)),
        direction(kpi),
    ) {
        (0, _) => Trend::Unchanged,
        (_, Direction::Neutral) => Trend::Changed,
        (1, Direction::HigherIsBetter) | (-1, Direction::LowerIsBetter) => Trend::Better,
        _ => Trend::Worse,
    }
}

/// The leaves of two settings objects that differ, as `path was -> now` in path order
/// (`thresholds.fulfillment_sla_h 48 -> 24`, `playbook.late-delivery medium -> low`); a key on
/// one side only shows `none` on the other.
fn changed_settings(was: &serde_json::Value, now: &serde_json::Value) -> Vec<String> {
    fn leaves(v: &serde_json::Value, path: &str, out: &mut BTreeMap<String, String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(v, &p, out);
                }
            }
            serde_json::Value::String(s) => {
                out.insert(path.to_string(), s.clone());
            }
            other => {
                out.insert(path.to_string(), other.to_string());
            }
        }
    }
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    leaves(was, "", &mut a);
    leaves(now, "", &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k), b.get(k));
            (x != y).then(|| {
                let shown = |v: Option<&String>| v.map_or("none".to_string(), String::clone);
                format!("{k} {} -> {}", shown(x), shown(y))
            })
        })
        .collect()
}

/// The baseline's and the current currency for people, when their money cannot be compared:
/// both known and different as ISO 4217 codes (case-insensitive), or only one known.
fn currencies_differ(was: &Option<String>, now: &Option<String>) -> Option<(String, String)> {
    let code = |c: &Option<String>| c.as_deref().map(|c| c.trim().to_ascii_uppercase());
    let shown = |c: Option<String>| c.unwrap_or_else(|| "an unknown currency".into());
    match (code(was), code(now)) {
        (Some(a), Some(b)) if a == b => None,
        (None, None) => None,
        (a, b) => Some((shown(a), shown(b))),
    }
}

fn repeat_windows_differ(was: Option<u32>, now: Option<u32>) -> Option<(u32, u32)> {
    match (was, now) {
        (Some(was), Some(now)) if was != now => Some((was, now)),
        _ => None,
    }
}

/// The times either report gives as dates only (`store.times_known_to_the_day`), each once.
fn dated_times(old: &Digest, new: &Digest) -> Vec<String> {
    let mut times = old.store.times_known_to_the_day.clone();
    for t in &new.store.times_known_to_the_day {
        if !times.contains(t) {
            times.push(t.clone());
        }
    }
    times
}

/// The baseline's and the current store time zone, when they differ: their UTC offsets differ
/// at some hour of the two data windows (`windows`: RFC 3339 instants, either window's start
/// or end; a day either side), so that the same instants fall on other local days or hours.
/// Two names of one zone (`UTC` and `Etc/UTC`, `US/Eastern` and `America/New_York`) do not
/// differ. Names either cannot be read as, or without a window to compare over: by name.
fn timezones_differ<'a>(
    was: &'a str,
    now: &'a str,
    windows: [Option<&str>; 4],
) -> Option<(&'a str, &'a str)> {
    use chrono::{Offset, TimeZone};
    if was == now {
        return None;
    }
    let instants: Vec<chrono::DateTime<chrono::Utc>> = windows
        .iter()
        .flatten()
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .collect();
    let (Ok(a), Ok(b), Some(from), Some(to)) = (
        was.parse::<chrono_tz::Tz>(),
        now.parse::<chrono_tz::Tz>(),
        instants.iter().min(),
        instants.iter().max(),
    ) else {
        return Some((was, now));
    };
    let (from, to) = (
        *from - chrono::Duration::days(1),
        *to + chrono::Duration::days(1),
    );
    let offset = |zone: chrono_tz::Tz, t: chrono::DateTime<chrono::Utc>| {
        zone.offset_from_utc_datetime(&t.naive_utc()).fix()
    };
    // Hourly: zones that change their clocks at another hour differ for those hours.
    let mut t = from;
    while t <= to {
        if offset(a, t) != offset(b, t) {
            return Some((was, now));
        }
        t += chrono::Duration::hours(1);
    }
    None
}

/// The KPIs the two runs measured by different definitions: the repeat rates over different
/// repeat windows (`windows_differ`), the KPIs of local days in two time zones
/// ([`KPIS_OF_LOCAL_DAYS`]), and the KPIs a changed threshold defines ([`KPIS_DEFINED_BY`],
/// from the reports' `settings`).
fn redefined_kpis(old: &Digest, new: &Digest, windows_differ: bool) -> BTreeSet<&'static str> {
    let threshold =
        |d: &Digest, key: &str| d.settings.as_ref().map(|s| s["thresholds"][key].clone());
    let mut kpis: BTreeSet<&'static str> = BTreeSet::new();
    if windows_differ {
        kpis.extend(REPEAT_WINDOW_KPIS);
    }
    let windows = [
        old.window.start.as_deref(),
        old.window.end.as_deref(),
        new.window.start.as_deref(),
        new.window.end.as_deref(),
    ];
    if timezones_differ(&old.store.timezone, &new.store.timezone, windows).is_some() {
        kpis.extend(KPIS_OF_LOCAL_DAYS);
        if !dated_times(old, new).is_empty() {
            kpis.extend(KPIS_OF_LOCAL_HOURS);
        }
    }
    for (key, defined) in KPIS_DEFINED_BY {
        match (threshold(old, key), threshold(new, key)) {
            (Some(was), Some(now)) if was != now => kpis.extend(defined.iter()),
            _ => {}
        }
    }
    kpis
}

/// Compares `new` with the baseline `old`.
pub fn compare(old: &Digest, new: &Digest) -> Comparison {
    let differ = repeat_windows_differ(old.repeat_window_days, new.repeat_window_days).is_some();
    // Money in two currencies: impacts and the revenue are not compared (no exchange rates).
    let money_differs = currencies_differ(&old.store.currency, &new.store.currency).is_some();
    let money_kpi = |name: &str| money_differs && name == "revenue";
    // A KPI measured by two definitions, and a snag measured by it, cannot be compared.
    let redefined = redefined_kpis(old, new, differ);
    let not_comparable = |kpi: &str| redefined.contains(kpi);
    let known: BTreeSet<&str> = KPI_DIRECTIONS.iter().map(|(k, _)| *k).collect();
    let extra = old
        .kpis
        .keys()
        .chain(new.kpis.keys())
        .filter(|k| !known.contains(k.as_str()))
        .collect::<BTreeSet<_>>();
    let kpis = KPI_DIRECTIONS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| old.kpis.contains_key(*k) || new.kpis.contains_key(*k))
        .chain(extra.into_iter().map(String::as_str))
        .map(|name| {
            let previous = old.kpis.get(name).copied().flatten();
            let current = new.kpis.get(name).copied().flatten();
            KpiChange {
                name: name.to_string(),
                previous,
                current,
                change: previous
                    .zip(current)
                    .map(|(p, c)| c - p)
                    .filter(|_| !not_comparable(name))
                    .filter(|_| !money_kpi(name)),
                trend: if money_kpi(name) {
                    Trend::NotComparable
                } else {
                    trend(name, previous, current, not_comparable(name))
                },
            }
        })
        .collect();
    // A tickets table in one run only: the support cost is measured in one and counted 0 in the
    // other, so impacts compare without it (a helpdesk export added is not every snag worse).
    let has_tickets = |d: &Digest| d.kpis.get("tickets").copied().flatten().is_some();
    let tickets_differ = has_tickets(old) != has_tickets(new);
    let mut snags: Vec<SnagChange> = new
        .snags
        .iter()
        .map(|s| {
            let before = old.snags.iter().find(|o| o.id == s.id);
            let status = match before {
                _ if not_comparable(&s.kpi.name) => SnagStatus::NotComparable,
                None => SnagStatus::New,
                Some(b) => {
                    // A term measured in one run only (a tickets table in one run, a repeat-rate
                    // drop measurable in one), or over different repeat windows, is left out of
                    // both sides.
                    let support =
                        tickets_differ || money_differs || measured_in_one(b, s, SUPPORT_COST_TERM);
                    let revenue =
                        differ || money_differs || measured_in_one(b, s, REVENUE_AT_RISK_TERM);
                    let comparable = |d: &DigestSnag| d.impact_without(support, revenue);
                    let (was, now) = (comparable(b), comparable(s));
                    let impact = cmp_tol(was, now, IMPACT_TOLERANCE, IMPACT_FLOOR, false);
                    let n_of =
                        |d: &Digest| d.checks.iter().find(|c| c.id == s.id).and_then(|c| c.n);
                    let noise = match (b.kpi.value, s.kpi.value) {
                        (Some(p), Some(c)) => {
                            kpi_move_is_noise(&s.kpi.name, p, n_of(old), c, n_of(new))
                        }
                        _ => false,
                    };
                    let kpi = match trend(&s.kpi.name, b.kpi.value, s.kpi.value, false) {
                        Trend::Better | Trend::Worse if noise => Trend::Unchanged,
                        t => t,
                    };
                    if impact > 0 || kpi == Trend::Worse {
                        SnagStatus::Worse
                    } else if impact < 0 || kpi == Trend::Better {
                        SnagStatus::Better
                    } else {
                        SnagStatus::Unchanged
                    }
                }
            };
            SnagChange {
                id: s.id.clone(),
                title: s.title.clone(),
                status,
                quadrant: Some(s.quadrant.clone()),
                previous_quadrant: before.map(|b| b.quadrant.clone()),
                impact_per_30d: s.impact_per_30d,
                previous_impact_per_30d: before.and_then(|b| b.impact_per_30d),
                kpi: s.kpi.name.clone(),
                kpi_value: s.kpi.value,
                // A new snag's KPI is usually a store KPI the baseline has too.
                previous_kpi_value: match before {
                    Some(b) => b.kpi.value,
                    None => old.kpis.get(&s.kpi.name).copied().flatten(),
                },
                unmeasured: None,
            }
        })
        .collect();
    for b in &old.snags {
        if new.snags.iter().all(|s| s.id != b.id) {
            // The analyzer's own verdict now: clear means resolved, with the KPI it measured.
            let check = new.checks.iter().find(|c| c.id == b.id);
            let unmeasured = match check.map(|c| c.status.as_str()) {
                Some("not_enough_data") => Some(Unmeasured::NotEnoughData),
                Some("not_applicable") => Some(Unmeasured::NotApplicable),
                _ => None,
            }
            .filter(|_| !not_comparable(&b.kpi.name));
            let status = match unmeasured {
                _ if not_comparable(&b.kpi.name) => SnagStatus::NotComparable,
                Some(_) => SnagStatus::Unmeasured,
                None => SnagStatus::Resolved,
            };
            snags.push(SnagChange {
                id: b.id.clone(),
                title: b.title.clone(),
                status,
                quadrant: None,
                previous_quadrant: Some(b.quadrant.clone()),
                impact_per_30d: None,
                previous_impact_per_30d: b.impact_per_30d,
                kpi: b.kpi.name.clone(),
                kpi_value: check
                    .and_then(|c| c.kpi.value)
                    .or_else(|| new.kpis.get(&b.kpi.name).copied().flatten()),
                previous_kpi_value: b.kpi.value,
                unmeasured,
            });
        }
    }
    Comparison {
        baseline_window_start: old.window.start.clone(),
        baseline_window_end: old.window.end.clone(),
        baseline_timezone: old.store.timezone.clone(),
        current_window_start: new.window.start.clone(),
        current_window_end: new.window.end.clone(),
        current_timezone: new.store.timezone.clone(),
        times_known_to_the_day: dated_times(old, new),
        kpis,
        snags,
        baseline_repeat_window_days: old.repeat_window_days,
        current_repeat_window_days: new.repeat_window_days,
        baseline_currency: old.store.currency.clone(),
        current_currency: new.store.currency.clone(),
        changed_settings: match (&old.settings, &new.settings) {
            (Some(was), Some(now)) => changed_settings(was, now),
            _ => Vec::new(),
        },
    }
}

/// One condition of `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailCondition {
    /// The snag is in the start-here quadrant.
    StartHere,
    /// The snag is not in the baseline.
    New,
    /// The snag got worse since the baseline.
    Worse,
    /// An input file was skipped because no format fits it (a renamed or missing column), or
    /// because it is a spreadsheet workbook: the KPIs and checks that needed it are null or
    /// unmeasured. About the inputs, not a snag, so
    /// it stands alone (not joined with '+').
    Skipped,
}

/// One `--fail-on` value: conditions joined by `+` must all hold for the same snag
/// (`new+start-here`); repeated `--fail-on` values are alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRule {
    pub conditions: Vec<FailCondition>,
}

impl FailRule {
    /// True when the rule reads the baseline (`new` or `worse`).
    pub fn needs_baseline(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, FailCondition::New | FailCondition::Worse))
    }
}

impl std::fmt::Display for FailRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self
            .conditions
            .iter()
            .map(|c| match c {
                FailCondition::StartHere => "start-here",
                FailCondition::New => "new",
                FailCondition::Worse => "worse",
                FailCondition::Skipped => "skipped",
            })
            .collect();
        f.write_str(&parts.join("+"))
    }
}

impl FromStr for FailRule {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let conditions = s
            .split('+')
            .map(|part| match part.trim() {
                "start-here" => Ok(FailCondition::StartHere),
                "new" => Ok(FailCondition::New),
                "worse" => Ok(FailCondition::Worse),
                "skipped" => Ok(FailCondition::Skipped),
                other => Err(format!(
                    "unknown condition '{other}': use start-here, new, worse or skipped, or join \
                     start-here, new and worse with '+' (new+start-here)"
                )),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if conditions.len() > 1 && conditions.contains(&FailCondition::Skipped) {
            return Err(
                "skipped is about the inputs, not a snag: give it as a --fail-on of its own".into(),
            );
        }
        Ok(FailRule { conditions })
    }
}

/// A `--fail-on` rule that was met, with the snags that met it (for `skipped`, the files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailHit {
    pub rule: String,
    pub snags: Vec<String>,
}

/// The rules met by the current snags (`current`), given the comparison when there is a
/// baseline. A rule that needs a baseline is never met without one (the caller rejects that
/// combination before the analysis).
pub fn fail_hits(
    rules: &[FailRule],
    current: &Digest,
    comparison: Option<&Comparison>,
) -> Vec<FailHit> {
    rules
        .iter()
        .filter_map(|rule| {
            if rule.conditions == [FailCondition::Skipped] {
                let files: Vec<String> = current
                    .skipped_files
                    .iter()
                    .map(|f| f.file.clone())
                    .collect();
                return (!files.is_empty()).then(|| FailHit {
                    rule: rule.to_string(),
                    snags: files,
                });
            }
            let snags: Vec<String> = current
                .snags
                .iter()
                .filter(|s| {
                    let status = comparison.and_then(|c| c.snag(&s.id)).map(|c| c.status);
                    rule.conditions.iter().all(|c| match c {
                        FailCondition::StartHere => s.quadrant == "start-here",
                        FailCondition::New => status == Some(SnagStatus::New),
                        FailCondition::Worse => status == Some(SnagStatus::Worse),
                        // Only alone (refused with '+' when parsed), handled above.
                        FailCondition::Skipped => false,
                    })
                })
                .map(|s| s.id.clone())
                .collect();
            (!snags.is_empty()).then(|| FailHit {
                rule: rule.to_string(),
                snags,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snag(id: &str, quadrant: &str, impact: f64, kpi: &str, value: f64) -> DigestSnag {
        DigestSnag {
            id: id.into(),
            title: format!("{id} title"),
            quadrant: quadrant.into(),
            impact_per_30d: Some(impact),
            impact_terms: vec![DigestTerm {
                name: "revenue_at_risk".into(),
                value_per_30d: Some(impact),
            }],
            kpi: DigestKpi {
                name: kpi.into(),
                value: Some(value),
            },
        }
    }

    /// late-delivery with its two impact terms (`None`: not measured, counted 0), its impact
    /// their sum, and its on-time rate.
    fn late_delivery(support: Option<f64>, revenue: Option<f64>, on_time: f64) -> DigestSnag {
        let mut s = snag(
            "late-delivery",
            "hold-off",
            support.unwrap_or(0.0) + revenue.unwrap_or(0.0),
            "on_time_rate",
            on_time,
        );
        s.impact_terms = vec![
            DigestTerm {
                name: SUPPORT_COST_TERM.into(),
                value_per_30d: support,
            },
            DigestTerm {
                name: REVENUE_AT_RISK_TERM.into(),
                value_per_30d: revenue,
            },
        ];
        s
    }

    fn digest(kpis: &[(&str, Option<f64>)], snags: Vec<DigestSnag>) -> Digest {
        Digest {
            schema_version: 1,
            window: DigestWindow {
                start: Some("2024-01-01T00:00:00Z".into()),
                end: Some("2024-03-01T00:00:00Z".into()),
            },
            kpis: kpis.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            snags,
            checks: Vec::new(),
            store: DigestStore::default(),
            skipped_files: Vec::new(),
            repeat_window_days: Some(90),
            settings: None,
        }
    }

    /// A baseline is an earlier run of the same store: one whose data ends after this run's (the
    /// two reports given the other way round) or does not overlap it (another store) is said,
    /// first among the notes; an earlier, overlapping or adjacent window is not.
    #[test]
    fn a_baseline_that_is_not_an_earlier_run_is_said() {
        let with_window = |start: &str, end: &str| {
            let mut d = digest(&[], Vec::new());
            d.window = DigestWindow {
                start: Some(start.into()),
                end: Some(end.into()),
            };
            d
        };
        let run = with_window("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z");
        let earlier = with_window("2024-01-01T00:00:00Z", "2024-02-20T00:00:00Z");
        assert!(compare(&earlier, &run).notes().is_empty());
        let later = with_window("2024-01-01T00:00:00Z", "2024-03-09T00:00:00Z");
        assert_eq!(
            compare(&later, &run).notes(),
            ["The baseline's data (2024-01-01 to 2024-03-09) ends after this run's (2024-01-01 to \
              2024-03-01): is it a later report? Changes read from the baseline to this run"]
        );
        // The JSON of `diff --format json` and report.json carries the notes beside the fields.
        let swapped = compare(&later, &run);
        let json = serde_json::to_value(ComparisonJson::from(&swapped)).unwrap();
        assert_eq!(json["notes"], serde_json::json!(swapped.notes()));
        assert_eq!(json["baseline_window_end"], "2024-03-09T00:00:00Z");
        assert!(json["kpis"].is_array());
        // Ends minutes apart on one day: the dates read alike, so the times are given.
        let minutes_later = with_window("2024-01-01T00:00:00Z", "2024-03-01T00:04:36Z");
        assert_eq!(
            compare(&minutes_later, &run).notes(),
            [
                "The baseline's data (ending 2024-03-01 00:04) ends after this run's (ending \
              2024-03-01 00:00): is it a later report? Changes read from the baseline to this run"
            ]
        );
        let other = with_window("2023-01-01T00:00:00Z", "2023-06-30T00:00:00Z");
        assert_eq!(
            compare(&other, &run).notes(),
            [
                "The baseline's data (2023-01-01 to 2023-06-30) does not overlap this run's \
              (2024-01-01 to 2024-03-01): is it a report of another store?"
            ]
        );
        let unknown = DigestWindow {
            start: None,
            end: None,
        };
        let mut empty = digest(&[], Vec::new());
        empty.window = unknown;
        assert!(compare(&empty, &run).notes().is_empty());
    }

    /// Repeat rates measured over different repeat windows (a baseline with
    /// `repeat_window_days` 90, a run with 20) are not compared: the 20-day rate is lower by
    /// definition, not because customers come back less. Other KPIs still are, and a window
    /// unknown on one side (a baseline written before it was recorded) compares as before.
    #[test]
    fn repeat_rates_over_different_windows_are_not_compared() {
        // late-delivery's revenue at risk is priced with a repeat-rate drop over the window:
        // 300 -> 20 as the window goes from 90 to 20 days, with its support cost unchanged.
        let late = |revenue: f64| late_delivery(Some(50.0), Some(revenue), 0.9);
        let old = digest(
            &[("repeat_rate", Some(0.30)), ("on_time_rate", Some(0.90))],
            vec![
                snag("repeat-dropoff", "plan-next", 100.0, "repeat_rate", 0.20),
                late(300.0),
                snag(
                    "late-first-order-churn",
                    "hold-off",
                    10.0,
                    "repeat_rate (late first order)",
                    0.1,
                ),
            ],
        );
        let mut new = digest(
            &[("repeat_rate", Some(0.12)), ("on_time_rate", Some(0.90))],
            vec![
                snag("repeat-dropoff", "plan-next", 400.0, "repeat_rate", 0.12),
                late(20.0),
            ],
        );
        new.repeat_window_days = Some(20);
        let c = compare(&old, &new);
        let t = |c: &Comparison, name: &str| {
            c.kpis
                .iter()
                .find(|k| k.name == name)
                .map(|k| (k.trend, k.change))
        };
        let st = |c: &Comparison, id: &str| c.snag(id).map(|s| s.status);
        assert_eq!(t(&c, "repeat_rate"), Some((Trend::NotComparable, None)));
        assert_eq!(t(&c, "on_time_rate"), Some((Trend::Unchanged, Some(0.0))));
        assert_eq!(st(&c, "repeat-dropoff"), Some(SnagStatus::NotComparable));
        assert_eq!(
            st(&c, "late-first-order-churn"),
            Some(SnagStatus::NotComparable)
        );
        // Its support cost alone is compared: unchanged, not better.
        assert_eq!(st(&c, "late-delivery"), Some(SnagStatus::Unchanged));
        assert_eq!(
            (c.repeat_windows_differ(), c.repeat_window_days()),
            (Some((90, 20)), None)
        );
        for rule in ["worse", "new"] {
            let rules = [FailRule::from_str(rule).unwrap()];
            assert!(fail_hits(&rules, &new, Some(&c)).is_empty(), "{rule}");
        }
        // The same window: compared, and named for the labels.
        new.repeat_window_days = Some(90);
        let c = compare(&old, &new);
        assert_eq!(t(&c, "repeat_rate").map(|t| t.0), Some(Trend::Worse));
        assert_eq!(st(&c, "repeat-dropoff"), Some(SnagStatus::Worse));
        assert_eq!(st(&c, "late-delivery"), Some(SnagStatus::Better));
        assert_eq!(st(&c, "late-first-order-churn"), Some(SnagStatus::Resolved));
        assert_eq!(
            (c.repeat_windows_differ(), c.repeat_window_days()),
            (None, Some(90))
        );
        // A baseline that does not record its window: compared, as before.
        let mut unknown = old.clone();
        unknown.repeat_window_days = None;
        new.repeat_window_days = Some(20);
        let c = compare(&unknown, &new);
        assert_eq!(t(&c, "repeat_rate").map(|t| t.0), Some(Trend::Worse));
        assert_eq!(
            (c.repeat_windows_differ(), c.repeat_window_days()),
            (None, None)
        );
    }

    /// A tickets export added since the baseline prices a support cost the baseline counted 0:
    /// a snag whose revenue at risk and KPI did not move is unchanged, not worse; between two
    /// runs with tickets a rise of the support cost is worse.
    #[test]
    fn a_tickets_table_added_does_not_make_snags_worse() {
        let with_support =
            |support: f64| late_delivery((support > 0.0).then_some(support), Some(500.0), 0.9);
        let no_tickets = digest(&[("tickets", None)], vec![with_support(0.0)]);
        let tickets = digest(&[("tickets", Some(40.0))], vec![with_support(120.0)]);
        let st =
            |old: &Digest, new: &Digest| compare(old, new).snag("late-delivery").map(|s| s.status);
        assert_eq!(st(&no_tickets, &tickets), Some(SnagStatus::Unchanged));
        assert_eq!(st(&tickets, &no_tickets), Some(SnagStatus::Unchanged));
        let more_tickets = digest(&[("tickets", Some(80.0))], vec![with_support(400.0)]);
        assert_eq!(st(&tickets, &more_tickets), Some(SnagStatus::Worse));
    }

    /// A revenue at risk not measurable in the baseline (too few customers old enough for the
    /// repeat window in a shorter run) and measured now: the snag is judged by its support cost
    /// and KPI, so better when its KPI improved, not worse for 390 newly priced; a support cost
    /// that rose as well is still worse.
    #[test]
    fn a_term_measured_in_one_run_only_is_left_out_of_both() {
        let priced = |support: f64, revenue: Option<f64>, on_time: f64| {
            late_delivery(Some(support), revenue, on_time)
        };
        let tickets = [("tickets", Some(40.0))];
        let st = |old: DigestSnag, new: DigestSnag| {
            let (old, new) = (digest(&tickets, vec![old]), digest(&tickets, vec![new]));
            compare(&old, &new).snag("late-delivery").map(|s| s.status)
        };
        assert_eq!(
            st(priced(55.0, None, 0.806), priced(55.0, Some(390.0), 0.824)),
            Some(SnagStatus::Better)
        );
        assert_eq!(
            st(priced(55.0, Some(390.0), 0.824), priced(55.0, None, 0.824)),
            Some(SnagStatus::Unchanged)
        );
        assert_eq!(
            st(priced(55.0, None, 0.824), priced(71.0, Some(390.0), 0.824)),
            Some(SnagStatus::Worse)
        );
    }

    /// Two runs whose late customers' repeat rates differ by chance are compared alike
    /// whichever way the chance leaned: the baseline's difference is unpriced, a rise as a
    /// drop, so its revenue at risk is left out of both impacts against a run that prices a
    /// real drop. Priced 0, a rise made late-delivery worse (55 -> 1,255) where a drop made
    /// it better, on the same on-time rate and support cost.
    #[test]
    fn a_chance_repeat_rate_difference_compares_alike_either_way() {
        use crate::analyze::{Finding, ImpactBasis, RepeatDrop, Tickets, ANALYZERS};
        use crate::score::{score, ScoringBase};
        // late-delivery's revenue at risk as scoring prices it, over 30 days: `k` of 100 late
        // first-order customers repeat against 100 of 400 others (25%), all 100 affected, at
        // a mean repeat order of 80.00.
        let revenue = |k: u64| {
            let finding = Finding {
                n: 500,
                title: String::new(),
                evidence: vec![],
                breakdown: vec![],
                affected_orders: 100,
                affected_customers: 100,
                kpi_value: None,
                impact: ImpactBasis {
                    tickets: Tickets::NotApplicable,
                    lost_revenue: None,
                    repeat_drop: RepeatDrop::Measured {
                        affected_rate: k as f64 / 100.0,
                        others_rate: 0.25,
                        affected: 100,
                        others: 400,
                    },
                },
            };
            let base = ScoringBase {
                window_days: 30.0,
                revenue_per_30d: Some(100_000.0),
                mean_repeat_order_value: Some(80.0),
                repeat_orders: 500,
                min_sample: 30,
                significance: 0.05,
                repeat_window_days: 90,
            };
            let late_delivery = ANALYZERS.iter().find(|a| a.id == "late-delivery").unwrap();
            let s = score(
                late_delivery,
                &finding,
                &base,
                &crate::config::Costs::default(),
                &BTreeMap::new(),
            );
            s.terms[1].value_per_30d
        };
        // 10 of 100 vs 100 of 400: z = -0.15 / 0.0463 = -3.24, p = 0.0012: priced 100
        // customers x 15 pts x 80.00 = 1,200.
        let now = revenue(10).unwrap();
        assert!((now - 1200.0).abs() < 1e-9, "{now}");
        // 30 and 20 of 100: z = +1.02 and -1.02, p = 0.31 both ways: not priced.
        let (leaned_up, leaned_down) = (revenue(30), revenue(20));
        assert_eq!((leaned_up, leaned_down), (None, None));
        let tickets = [("tickets", Some(40.0))];
        let current = digest(&tickets, vec![late_delivery(Some(55.0), Some(now), 0.84)]);
        let st = |baseline_revenue: Option<f64>| {
            let old = digest(
                &tickets,
                vec![late_delivery(Some(55.0), baseline_revenue, 0.80)],
            );
            compare(&old, &current)
                .snag("late-delivery")
                .unwrap()
                .status
        };
        assert_eq!(st(leaned_up), SnagStatus::Better);
        assert_eq!(st(leaned_down), SnagStatus::Better);
        // What the rise priced 0 read as: the 1,200 compared with nothing.
        assert_eq!(st(Some(0.0)), SnagStatus::Worse);
    }

    /// A baseline in another currency: impacts and revenue are not compared (no exchange
    /// rates), so a snag is judged by its KPI alone and the revenue's trend is `n/a`; the note
    /// says so. The same currency, or one unknown, compares as before.
    #[test]
    fn money_in_different_currencies_is_not_compared() {
        let in_currency = |currency: Option<&str>, impact: f64, on_time: f64| {
            let mut d = digest(
                &[("revenue", Some(1000.0 + impact))],
                vec![snag(
                    "late-delivery",
                    "hold-off",
                    impact,
                    "on_time_rate",
                    on_time,
                )],
            );
            d.store.currency = currency.map(str::to_string);
            d
        };
        let c = compare(
            &in_currency(Some("EUR"), 100.0, 0.9),
            &in_currency(Some("USD"), 500.0, 0.9),
        );
        assert_eq!(
            c.snag("late-delivery").map(|s| s.status),
            Some(SnagStatus::Unchanged)
        );
        let revenue = c.kpis.iter().find(|k| k.name == "revenue").unwrap();
        assert_eq!(
            (revenue.trend, revenue.change),
            (Trend::NotComparable, None)
        );
        assert_eq!(
            c.notes(),
            ["Impacts and revenue not compared: the baseline is in EUR, this run in USD"]
        );
        let c = compare(
            &in_currency(Some("EUR"), 100.0, 0.9),
            &in_currency(Some("USD"), 100.0, 0.8),
        );
        assert_eq!(
            c.snag("late-delivery").map(|s| s.status),
            Some(SnagStatus::Worse)
        );
        let c = compare(
            &in_currency(None, 100.0, 0.9),
            &in_currency(Some("EUR"), 500.0, 0.9),
        );
        assert_eq!(
            c.snag("late-delivery").map(|s| s.status),
            Some(SnagStatus::Unchanged)
        );
        assert_eq!(
            c.notes(),
            ["Impacts and revenue not compared: the baseline is in an unknown currency, this run in EUR"]
        );
        for (was, now) in [
            (Some("USD"), Some("USD")),
            (Some(" usd"), Some("USD")),
            (None, None),
        ] {
            let c = compare(&in_currency(was, 100.0, 0.9), &in_currency(now, 500.0, 0.9));
            assert_eq!(
                c.snag("late-delivery").map(|s| s.status),
                Some(SnagStatus::Worse)
            );
            assert!(c.notes().is_empty());
        }
    }

    /// A threshold or cost changed since the baseline is named in the notes (`slow-fulfillment`
    /// can turn worse for a stricter SLA alone); a baseline without settings names none.
    #[test]
    fn changed_settings_are_named() {
        let with = |sla: f64, cost: f64| {
            let mut d = digest(&[], vec![]);
            d.settings = Some(serde_json::json!({
                "thresholds": {"fulfillment_sla_h": sla, "min_sample": 30},
                "costs": {"cost_per_ticket": cost},
                "playbook": {}
            }));
            d
        };
        let c = compare(&with(48.0, 5.0), &with(24.0, 10.0));
        assert_eq!(
            c.changed_settings,
            [
                "costs.cost_per_ticket 5.0 -> 10.0",
                "thresholds.fulfillment_sla_h 48.0 -> 24.0"
            ]
        );
        assert!(c.notes()[0].starts_with(
            "Settings changed since the baseline (costs.cost_per_ticket 5.0 -> 10.0, "
        ));
        assert!(compare(&with(48.0, 5.0), &with(48.0, 5.0))
            .changed_settings
            .is_empty());
        assert!(compare(&digest(&[], vec![]), &with(24.0, 5.0))
            .notes()
            .is_empty());
    }

    /// The same orders run in another time zone give other shares of on-time deliveries (a date
    /// promise is due by the end of its local day), so a baseline of another zone compares none
    /// of the KPIs of local days, and late-delivery is not comparable (it read "worse", failing
    /// `--fail-on worse` on the same data); a KPI of hours (the SLA breach share) is compared.
    #[test]
    fn a_baseline_in_another_time_zone_compares_no_kpi_of_local_days() {
        let with = |tz: &str, on_time: f64| {
            let mut d = digest(
                &[
                    ("on_time_rate", Some(on_time)),
                    ("sla_breach_share", Some(0.2)),
                ],
                vec![snag(
                    "late-delivery",
                    "hold-off",
                    100.0,
                    "on_time_rate",
                    on_time,
                )],
            );
            d.store.timezone = tz.into();
            d
        };
        let c = compare(&with("Asia/Tokyo", 0.693), &with("America/New_York", 0.831));
        let kpi = |name: &str| {
            let k = c.kpis.iter().find(|k| k.name == name).unwrap();
            (k.trend, k.change)
        };
        assert_eq!(kpi("on_time_rate"), (Trend::NotComparable, None));
        assert_eq!(kpi("sla_breach_share"), (Trend::Unchanged, Some(0.0)));
        assert_eq!(
            c.snag("late-delivery").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
        let notes = c.notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with(
                "Store time zone changed (Asia/Tokyo -> America/New_York): KPIs of local days, \
                 dates and weekdays are not compared (On-time rate, Late share,"
            ),
            "{notes:?}"
        );
        // The same zone, by one name or two (an alias, or a zone whose clock agrees over the
        // windows, 2024-01-01 to 03-01, a day either side): compared, and the rise in on-time
        // deliveries is better. A zone that differs only in summer (London and UTC agree in
        // winter) is another zone once the windows reach its summer time.
        for (was, now) in [
            ("Asia/Tokyo", "Asia/Tokyo"),
            ("UTC", "Etc/UTC"),
            ("US/Eastern", "America/New_York"),
            ("Europe/London", "UTC"),
        ] {
            let c = compare(&with(was, 0.693), &with(now, 0.831));
            assert_eq!(
                c.kpis
                    .iter()
                    .find(|k| k.name == "on_time_rate")
                    .unwrap()
                    .trend,
                Trend::Better,
                "{was} {now}"
            );
            assert!(c.notes().is_empty());
        }
        // Ship dates known to the day only are the start of their local day: the zone moves
        // the waits from them too, and the SLA breach share is not compared either.
        let mut dated = with("America/New_York", 0.831);
        dated.store.times_known_to_the_day = vec!["shipped_at (shipments.csv)".into()];
        let c = compare(&with("Asia/Tokyo", 0.693), &dated);
        assert_eq!(
            c.kpis
                .iter()
                .find(|k| k.name == "sla_breach_share")
                .map(|k| (k.trend, k.change)),
            Some((Trend::NotComparable, None))
        );
        let notes = c.notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains(
                "; nor, as some times are known to the day only (shipped_at (shipments.csv)), \
                 the waits and transit times (Order-to-ship p50, Order-to-ship p90,"
            ),
            "{notes:?}"
        );
        let mut summer = with("Europe/London", 0.693);
        summer.window.end = Some("2024-04-01T00:00:00Z".into());
        let c = compare(&summer, &with("UTC", 0.831));
        assert_eq!(
            c.snag("late-delivery").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
    }

    /// A stricter SLA redefines the share over it: the KPI has no change or trend, and
    /// slow-fulfillment, measured by it, is not comparable, so `--fail-on worse` ignores it
    /// (it was "worse", +30.6 pts, on the same orders). A threshold that only judges a KPI
    /// (slow_fulfillment_share) leaves it compared.
    #[test]
    fn a_threshold_that_defines_a_kpi_makes_it_not_comparable() {
        let with = |sla: f64, share: f64, breach: f64| {
            let mut d = digest(
                &[
                    ("sla_breach_share", Some(breach)),
                    ("on_time_rate", Some(0.9)),
                ],
                vec![snag(
                    "slow-fulfillment",
                    "hold-off",
                    50.0,
                    "sla_breach_share",
                    breach,
                )],
            );
            d.settings = Some(serde_json::json!({
                "thresholds": {"fulfillment_sla_h": sla, "slow_fulfillment_share": share},
            }));
            d
        };
        let c = compare(&with(48.0, 0.1, 0.19), &with(24.0, 0.1, 0.497));
        let kpi = |c: &Comparison, name: &str| {
            let k = c.kpis.iter().find(|k| k.name == name).unwrap();
            (k.trend, k.change)
        };
        assert_eq!(kpi(&c, "sla_breach_share"), (Trend::NotComparable, None));
        assert_eq!(kpi(&c, "on_time_rate"), (Trend::Unchanged, Some(0.0)));
        assert_eq!(
            c.snag("slow-fulfillment").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
        assert_eq!(
            c.notes()[1],
            "Not compared, as a changed threshold defines them: Shipped over the SLA (and the snags they measure)"
        );
        let text = crate::report::table::comparison_text(&c, None, 120, false);
        assert!(
            text.ends_with(
                "KPIs: no change beyond 1% among those compared (see the notes above)\n"
            ),
            "{text}"
        );
        let c = compare(&with(48.0, 0.1, 0.19), &with(48.0, 0.05, 0.25));
        assert_eq!(kpi(&c, "sla_breach_share").0, Trend::Worse);
        assert_eq!(
            c.snag("slow-fulfillment").map(|s| s.status),
            Some(SnagStatus::Worse)
        );
    }

    /// A report whose wismo-spike snag found `days` spike days, run with `thresholds`.
    fn spike_digest(thresholds: serde_json::Value, days: f64) -> Digest {
        let mut d = digest(
            &[("wismo_spike_days", Some(days))],
            vec![snag(
                "wismo-spike",
                "nice-to-have",
                10.0,
                "wismo_spike_days",
                days,
            )],
        );
        d.settings = Some(serde_json::json!({ "thresholds": thresholds }));
        d
    }

    /// A baseline made before `spike_false_alarm_rate` recorded `spike_max_p`, a per-day level:
    /// the spike days were counted by another rule, so wismo-spike is not compared (it would
    /// read "better" or "resolved" by the rule's change alone).
    #[test]
    fn a_baseline_with_the_per_day_spike_level_is_not_compared_on_spike_days() {
        let old = spike_digest(serde_json::json!({"spike_max_p": 0.005}), 4.0);
        let new = spike_digest(serde_json::json!({"spike_false_alarm_rate": 0.05}), 2.0);
        let c = compare(&old, &new);
        assert_eq!(
            c.snag("wismo-spike").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
        let k = c
            .kpis
            .iter()
            .find(|k| k.name == "wismo_spike_days")
            .unwrap();
        assert_eq!((k.trend, k.change), (Trend::NotComparable, None));
        assert!(
            c.notes()
                .iter()
                .any(|n| n.starts_with("The baseline's spike test was per day (spike_max_p")),
            "{:?}",
            c.notes()
        );
    }

    /// A baseline made before the spread's upper bound recorded no `spike_spread_confidence`:
    /// its spike test took the spread as measured, so its spike days are not compared, and a
    /// note says why.
    #[test]
    fn a_baseline_without_the_spread_confidence_is_not_compared_on_spike_days() {
        let rate = serde_json::json!({"spike_false_alarm_rate": 0.05});
        let bounded =
            serde_json::json!({"spike_false_alarm_rate": 0.05, "spike_spread_confidence": 0.95});
        let c = compare(
            &spike_digest(rate, 3.0),
            &spike_digest(bounded.clone(), 2.0),
        );
        assert_eq!(
            c.snag("wismo-spike").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
        assert!(
            c.notes()
                .iter()
                .any(|n| n
                    .starts_with("The baseline's spike test took the days' spread as measured")),
            "{:?}",
            c.notes()
        );
        // Two runs with the same confidence are compared.
        let c = compare(
            &spike_digest(bounded.clone(), 3.0),
            &spike_digest(bounded, 2.0),
        );
        assert_ne!(
            c.snag("wismo-spike").map(|s| s.status),
            Some(SnagStatus::NotComparable)
        );
    }

    /// A changed repeat window is told once, by its own note (was: named again among the
    /// changed settings); it stays in `changed_settings`.
    #[test]
    fn a_changed_repeat_window_is_told_once() {
        let with = |days: u32, sla: f64| {
            let mut d = digest(&[], vec![]);
            d.repeat_window_days = Some(days);
            d.settings = Some(serde_json::json!({
                "thresholds": {"repeat_window_days": days, "fulfillment_sla_h": sla},
            }));
            d
        };
        let c = compare(&with(90, 48.0), &with(60, 48.0));
        assert_eq!(
            c.changed_settings,
            ["thresholds.repeat_window_days 90 -> 60"]
        );
        assert_eq!(
            c.notes(),
            ["Repeat rates not compared: the baseline measured them over 90 days, this run over 60 days"]
        );
        let c = compare(&with(90, 48.0), &with(60, 24.0));
        assert_eq!(
            c.notes()[1],
            "Settings changed since the baseline (thresholds.fulfillment_sla_h 48.0 -> 24.0): snags and KPIs measured against them can have moved for that reason alone"
        );
    }

    #[test]
    fn every_snag_kpi_has_a_direction() {
        for a in crate::analyze::ANALYZERS {
            assert_ne!(direction(a.kpi), Direction::Neutral, "{}", a.id);
        }
        // A ratio that rose by 23% is worse, not unchanged.
        assert_eq!(
            trend(
                "hold_wait_ratio (flagged / other median order-to-ship)",
                Some(2.996),
                Some(3.699),
                false
            ),
            Trend::Worse
        );
        assert_eq!(
            trend(
                "repeat_rate (late first order)",
                Some(0.10),
                Some(0.12),
                false
            ),
            Trend::Better
        );
    }

    #[test]
    fn a_share_and_its_complement_get_the_same_verdict() {
        // +0.75 pts on time is -0.75 pts late: both better (tolerance 1% of 18%, 0.18 pts).
        assert_eq!(
            trend("on_time_rate", Some(0.82), Some(0.8275), false),
            Trend::Better
        );
        assert_eq!(
            trend("late_share", Some(0.18), Some(0.1725), false),
            Trend::Better
        );
        // +0.1 pts: within 0.18 pts, unchanged both ways.
        assert_eq!(
            trend("on_time_rate", Some(0.82), Some(0.821), false),
            Trend::Unchanged
        );
        assert_eq!(
            trend("late_share", Some(0.18), Some(0.179), false),
            Trend::Unchanged
        );
        // A count keeps the plain relative tolerance: 1000 -> 1009 is within 1%.
        assert_eq!(
            trend("overdue_orders", Some(1000.0), Some(1009.0), false),
            Trend::Unchanged
        );
    }

    #[test]
    fn kpi_trends_follow_direction_and_tolerance() {
        let old = digest(
            &[
                ("on_time_rate", Some(0.90)),
                ("fulfillment_wait_p50_h", Some(30.0)),
                ("orders", Some(100.0)),
                ("csat", None),
                ("repeat_rate", Some(0.2)),
                ("tickets_unlinked", Some(19.0)),
                ("backlog_orders", Some(70.0)),
            ],
            vec![],
        );
        let new = digest(
            &[
                ("on_time_rate", Some(0.85)),
                ("fulfillment_wait_p50_h", Some(20.0)),
                ("orders", Some(120.0)),
                ("csat", Some(4.0)),
                ("repeat_rate", Some(0.2001)),
                ("tickets_unlinked", Some(20.0)),
                ("backlog_orders", Some(32.0)),
            ],
            vec![],
        );
        let c = compare(&old, &new);
        let t = |n: &str| c.kpis.iter().find(|k| k.name == n).map(|k| k.trend);
        assert_eq!(t("on_time_rate"), Some(Trend::Worse));
        assert_eq!(t("fulfillment_wait_p50_h"), Some(Trend::Better));
        assert_eq!(t("orders"), Some(Trend::Changed));
        assert_eq!(t("csat"), Some(Trend::NotComparable));
        assert_eq!(t("repeat_rate"), Some(Trend::Unchanged));
        // Tickets linked to no order are a count of tickets, which grows with the store (it read
        // "worse" at +1 of 19); orders waiting are fewer, better.
        assert_eq!(t("tickets_unlinked"), Some(Trend::Changed));
        assert_eq!(t("backlog_orders"), Some(Trend::Better));
        let on_time = c.kpis.iter().find(|k| k.name == "on_time_rate");
        assert!((on_time.and_then(|k| k.change).unwrap_or(0.0) + 0.05).abs() < 1e-12);
        // Report order, not alphabetical.
        assert_eq!(c.kpis[0].name, "orders");
    }

    #[test]
    fn a_snag_not_raised_for_want_of_data_is_not_resolved() {
        let old = digest(
            &[],
            vec![
                snag("monday-surge", "plan-next", 300.0, "monday_ratio", 2.1),
                snag(
                    "express-buried",
                    "start-here",
                    900.0,
                    "fulfillment_wait_p50_h (express)",
                    20.156,
                ),
            ],
        );
        let mut new = digest(&[], vec![]);
        let check = |id: &str, status: &str, kpi: &str, value: Option<f64>| DigestCheck {
            id: id.into(),
            status: status.into(),
            n: None,
            kpi: DigestKpi {
                name: kpi.into(),
                value,
            },
        };
        new.checks = vec![
            check("monday-surge", "not_enough_data", "monday_ratio", None),
            check(
                "express-buried",
                "clear",
                "fulfillment_wait_p50_h (express)",
                Some(9.01),
            ),
        ];
        let c = compare(&old, &new);
        let monday = c.snag("monday-surge").map(|s| (s.status, s.kpi_value));
        assert_eq!(monday, Some((SnagStatus::Unmeasured, None)));
        let express = c.snag("express-buried").map(|s| (s.status, s.kpi_value));
        assert_eq!(express, Some((SnagStatus::Resolved, Some(9.01))));
        assert_eq!(c.count(SnagStatus::Resolved), 1);
    }

    /// An unmeasured snag says why, in every summary: its check had not enough data (a
    /// sample below `min_sample`) or was not applicable (no tickets table: more rows would
    /// not help), with counts when both occur. Every one was "not enough data" before.
    #[test]
    fn unmeasured_snags_say_why() {
        let old = digest(
            &[],
            vec![
                snag("monday-surge", "nice-to-have", 28.0, "monday_ratio", 1.9),
                snag(
                    "wismo-load",
                    "nice-to-have",
                    76.0,
                    "wismo_rate_per_100",
                    2.3,
                ),
                snag("wismo-spike", "nice-to-have", 26.0, "wismo_spike_days", 2.0),
            ],
        );
        let check = |id: &str, status: &str| DigestCheck {
            id: id.into(),
            status: status.into(),
            n: None,
            kpi: DigestKpi {
                name: String::new(),
                value: None,
            },
        };
        let summary = |monday: &str| {
            let mut new = digest(&[], vec![]);
            new.checks = vec![
                check("monday-surge", monday),
                check("wismo-load", "not_applicable"),
                check("wismo-spike", "not_applicable"),
            ];
            let c = compare(&old, &new);
            assert_eq!(c.count(SnagStatus::Unmeasured), 3);
            let text = super::super::table::comparison_text(&c, Some(90), 120, false);
            let first = text.lines().next().unwrap().to_string();
            (c.unmeasured_why(), first)
        };
        let (why, first) = summary("not_enough_data");
        assert_eq!(why.as_deref(), Some("1 not enough data, 2 not applicable"));
        assert_eq!(
            first,
            "Compared with the baseline (2024-01-01 to 2024-03-01): 0 new, 0 worse, 0 better, \
             0 unchanged, 0 resolved, 3 no longer measurable (1 not enough data, 2 not applicable)"
        );
        let (why, first) = summary("not_applicable");
        assert_eq!(why.as_deref(), Some("not applicable"));
        assert!(
            first.ends_with(", 0 resolved, 3 no longer measurable (not applicable)"),
            "{first}"
        );
        // Nothing unmeasured: no reason, and the summary does not name the status.
        let c = compare(&old, &old);
        assert_eq!(c.unmeasured_why(), None);
        let text = super::super::table::comparison_text(&c, Some(90), 120, false);
        assert!(text.starts_with("Compared with the baseline (2024-01-01 to 2024-03-01): 0 new, 0 worse, 0 better, 3 unchanged, 0 resolved\n"), "{text}");
    }

    /// A snag's KPI move within sampling noise is no change, so a nightly job over a store
    /// that grows by a day does not flap (values from such a store: 131 -> 136 VIPs at risk,
    /// an on-time rate 81.59% -> 81.00% over about 4,400 delivered orders); a real shift is a
    /// change (z worked out by hand: 131 -> 170 VIPs, z = 39 / sqrt(301) = 2.25; on time
    /// 81.59% -> 79.59%, z = -2.38; WISMO 1.75 -> 2.5 per 100 shipped, z = 2.42). Without the
    /// samples (a baseline written before checks recorded them), 1% alone judges. An impact
    /// moves only by more than 20%.
    #[test]
    fn moves_within_sampling_noise_are_unchanged() {
        let run = |id: &str, kpi: &str, value: f64, n: u64, impact: f64| {
            let mut d = digest(&[], vec![snag(id, "plan-next", impact, kpi, value)]);
            d.checks = vec![DigestCheck {
                id: id.into(),
                status: "raised".into(),
                n: Some(n),
                kpi: DigestKpi {
                    name: kpi.into(),
                    value: Some(value),
                },
            }];
            d
        };
        let st = |old: &Digest, new: &Digest, id: &str| compare(old, new).snag(id).unwrap().status;
        let vip = |count: f64, impact: f64| {
            run("vip-at-risk", "vip_at_risk (customers)", count, 197, impact)
        };
        assert_eq!(
            st(&vip(131.0, 9044.0), &vip(136.0, 9271.0), "vip-at-risk"),
            SnagStatus::Unchanged
        );
        assert_eq!(
            st(&vip(131.0, 9044.0), &vip(170.0, 9271.0), "vip-at-risk"),
            SnagStatus::Worse
        );
        assert_eq!(
            st(&vip(131.0, 9044.0), &vip(131.0, 11500.0), "vip-at-risk"),
            SnagStatus::Worse
        );
        let on_time = |rate: f64, n: u64| run("late-delivery", "on_time_rate", rate, n, 74.0);
        assert_eq!(
            st(
                &on_time(0.8159, 4400),
                &on_time(0.8100, 4450),
                "late-delivery"
            ),
            SnagStatus::Unchanged
        );
        assert_eq!(
            st(
                &on_time(0.8159, 4400),
                &on_time(0.7959, 4450),
                "late-delivery"
            ),
            SnagStatus::Worse
        );
        let mut unknown = on_time(0.8159, 4400);
        unknown.checks.clear();
        assert_eq!(
            st(&unknown, &on_time(0.8100, 4450), "late-delivery"),
            SnagStatus::Worse
        );
        let wismo = |rate: f64, n: u64| run("wismo-load", "wismo_rate_per_100", rate, n, 72.0);
        assert_eq!(
            st(&wismo(1.75, 4400), &wismo(2.0, 4450), "wismo-load"),
            SnagStatus::Unchanged
        );
        assert_eq!(
            st(&wismo(1.75, 4400), &wismo(2.5, 4450), "wismo-load"),
            SnagStatus::Worse
        );
        assert_eq!(
            st(&wismo(2.5, 4450), &wismo(1.75, 4400), "wismo-load"),
            SnagStatus::Better
        );
    }

    #[test]
    fn snag_statuses() {
        let old = digest(
            &[],
            vec![
                snag(
                    "slow-fulfillment",
                    "nice-to-have",
                    100.0,
                    "sla_breach_share",
                    0.2,
                ),
                snag("late-delivery", "hold-off", 500.0, "on_time_rate", 0.9),
                snag("review-gap", "nice-to-have", 50.0, "review_score_mean", 4.0),
                snag(
                    "stockout-cancellations",
                    "start-here",
                    900.0,
                    "cancel_share",
                    0.05,
                ),
            ],
        );
        let new = digest(
            &[],
            vec![
                // Impact the same, KPI worse.
                snag(
                    "slow-fulfillment",
                    "nice-to-have",
                    100.0,
                    "sla_breach_share",
                    0.3,
                ),
                // Impact down by more than IMPACT_TOLERANCE.
                snag("late-delivery", "hold-off", 350.0, "on_time_rate", 0.9),
                // Within tolerance.
                snag(
                    "review-gap",
                    "nice-to-have",
                    50.2,
                    "review_score_mean",
                    4.001,
                ),
                snag("wismo-load", "start-here", 80.0, "wismo_rate_per_100", 2.0),
            ],
        );
        let c = compare(&old, &new);
        let st = |id: &str| c.snag(id).map(|s| s.status);
        assert_eq!(st("slow-fulfillment"), Some(SnagStatus::Worse));
        assert_eq!(st("late-delivery"), Some(SnagStatus::Better));
        assert_eq!(st("review-gap"), Some(SnagStatus::Unchanged));
        assert_eq!(st("wismo-load"), Some(SnagStatus::New));
        assert_eq!(st("stockout-cancellations"), Some(SnagStatus::Resolved));
        // Resolved snags show the KPI their analyzer measured now, not a store KPI of that name.
        assert_eq!(
            c.snag("stockout-cancellations").and_then(|s| s.kpi_value),
            None
        );
        assert_eq!(
            c.snags.last().map(|s| s.id.as_str()),
            Some("stockout-cancellations")
        );
    }

    #[test]
    fn fail_rules_parse_and_combine() {
        let rule: FailRule = "new+start-here".parse().unwrap();
        assert_eq!(
            rule.conditions,
            vec![FailCondition::New, FailCondition::StartHere]
        );
        assert!(rule.needs_baseline());
        assert!("start-here"
            .parse::<FailRule>()
            .is_ok_and(|r| !r.needs_baseline()));
        assert!("bogus".parse::<FailRule>().is_err());

        let old = digest(&[], vec![snag("a", "start-here", 10.0, "x", 1.0)]);
        let new = digest(
            &[],
            vec![
                snag("a", "start-here", 10.0, "x", 1.0),
                snag("b", "hold-off", 10.0, "x", 1.0),
            ],
        );
        let c = compare(&old, &new);
        let rules: Vec<FailRule> = ["start-here", "new", "new+start-here", "worse"]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let hits = fail_hits(&rules, &new, Some(&c));
        assert_eq!(
            hits,
            vec![
                FailHit {
                    rule: "start-here".into(),
                    snags: vec!["a".into()]
                },
                FailHit {
                    rule: "new".into(),
                    snags: vec!["b".into()]
                },
            ]
        );
    }

    /// `skipped` is met by a run that left an input file out, names the files, needs no
    /// baseline, and is refused joined to a snag condition.
    #[test]
    fn fail_on_skipped_names_the_skipped_files() {
        let rule: FailRule = "skipped".parse().unwrap();
        assert!(!rule.needs_baseline());
        let err = "new+skipped".parse::<FailRule>().unwrap_err();
        assert!(err.contains("of its own"), "{err}");
        let clean = digest(&[], vec![snag("a", "start-here", 10.0, "x", 1.0)]);
        assert_eq!(fail_hits(std::slice::from_ref(&rule), &clean, None), vec![]);
        let mut broken = clean.clone();
        broken.skipped_files = vec![
            DigestSkippedFile {
                file: "shipments.csv".into(),
            },
            DigestSkippedFile {
                file: "returns.csv".into(),
            },
        ];
        assert_eq!(
            fail_hits(&[rule], &broken, None),
            vec![FailHit {
                rule: "skipped".into(),
                snags: vec!["shipments.csv".into(), "returns.csv".into()]
            }]
        );
    }

    #[test]
    fn parse_rejects_non_reports_and_newer_schemas() {
        let err = Digest::parse(b"{\"a\":1}", "old.json").unwrap_err();
        assert!(err.to_string().contains("no schema_version"), "{err}");
        for version in ["\"1\"", "0", "1.5"] {
            let text = format!("{{\"schema_version\": {version}}}");
            let err = Digest::parse(text.as_bytes(), "old.json").unwrap_err();
            assert!(
                err.to_string().contains(&format!(
                    "schema_version {version} is not one snagscan writes"
                )),
                "{err}"
            );
        }
        // A field of the wrong type is named with its line (the fourth).
        let text = b"{\n  \"schema_version\": 1,\n  \"window\": {\"start\": null, \"end\": null},\n  \"kpis\": {\"orders\": \"many\"},\n  \"snags\": []\n}";
        let err = Digest::parse(text, "old.json").unwrap_err().to_string();
        assert!(err.starts_with("old.json, line 4: "), "{err}");
        assert!(err.contains("invalid type: string \"many\""), "{err}");
        let err = Digest::parse(b"{\"schema_version\": 99}", "old.json").unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        let err = Digest::parse(b"not json", "old.json").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
