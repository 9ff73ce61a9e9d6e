//! The report model and its exporters. Exporters are pure (`Report` in, bytes out, see
//! [`Exporter`]); [`output::Outputs`] owns the files.

pub mod charts;
pub mod compare;
pub mod csv;
pub mod html;
pub mod json;
pub mod md;
pub mod output;
pub mod table;
pub mod template;
pub mod view;

use chrono::{DateTime, Utc};

use crate::analyze::{BreakdownRow, Evidence, Stage};
use crate::error::Result;
use crate::ingest::{InputFile, SkippedFile};
use crate::metrics::{CurrencyRevenue, Kpis};
use crate::quality::QualityEntry;
use crate::score::{Effort, ImpactTerm, Quadrant};

/// Version of the `report.json` layout; bumped when a field changes.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything one analysis found (SPEC section 5, `report.json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// Wall-clock time of the run, RFC 3339 UTC; only with `--stamp` (absent otherwise, so the
    /// same inputs give byte-identical files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    pub window: Window,
    pub store: StoreInfo,
    pub inputs: Vec<InputFile>,
    pub skipped_files: Vec<SkippedFile>,
    pub kpis: Kpis,
    pub revenue_by_currency: Vec<CurrencyRevenue>,
    /// The repeat window, days (`[thresholds] repeat_window_days`), that the repeat rates were
    /// measured over: for the labels of the reports (`20-day repeat rate`), and so that a
    /// comparison does not set rates over different windows side by side.
    pub repeat_window_days: u32,
    pub settings: Settings,
    pub snags: Vec<Snag>,
    pub not_enough_data: Vec<NotEnoughData>,
    /// Every analyzer's verdict, raised or not.
    pub checks: Vec<Check>,
    pub data_quality: Vec<QualityEntry>,
    /// Series behind the HTML report's charts.
    pub charts: Charts,
    /// The comparison with `--baseline`; absent without one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "compare::serialize_with_notes"
    )]
    pub comparison: Option<compare::Comparison>,
}

/// Data for the charts (HTML report); empty vectors when the inputs cannot give them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Charts {
    /// Order-to-ship histogram by shipping tier (`express` / `standard`).
    pub fulfillment_hist: Vec<HistogramBin>,
    /// The fulfillment SLA line, hours.
    pub fulfillment_sla_h: f64,
    /// WISMO tickets per local day, with spikes marked.
    pub wismo_daily: Vec<DailyCount>,
    /// Monthly cohorts by first order: share of the cohort ordering again in month N after.
    pub cohorts: Vec<CohortRow>,
    /// Repeat rate over the repeat window by first-order experience (on time vs late, WISMO,
    /// low review).
    pub repeat_by_experience: Vec<RateGroup>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistogramBin {
    pub tier: String,
    /// Bin edges, hours; `upper_h` is null for the open last bin.
    pub lower_h: f64,
    pub upper_h: Option<f64>,
    pub orders: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DailyCount {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    pub tickets: u64,
    pub spike: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CohortRow {
    /// Month of first order, `YYYY-MM`.
    pub cohort: String,
    pub customers: u64,
    /// Index N = month N after the cohort month (0 = the cohort month itself); null where the
    /// month is after the data end.
    pub retention: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RateGroup {
    pub label: String,
    pub n: u64,
    pub k: u64,
    pub rate: Option<f64>,
    /// Wilson 95% interval.
    pub ci95: Option<[f64; 2]>,
}

/// The data window: first order placed to the as-of time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Window {
    /// RFC 3339, UTC; null when the store has no orders.
    pub start: Option<String>,
    pub end: Option<String>,
    /// Days, fractional.
    pub days: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreInfo {
    pub timezone: String,
    /// True when no time zone was configured and UTC was assumed.
    pub timezone_assumed: bool,
    pub currency: Option<String>,
    /// What set the data end: `--as-of`, or `latest event in the data (review)` with the kind
    /// of that event.
    pub as_of_source: String,
    /// The config file the run read (`--config`, else `DIR/snagscan.toml`); null without one.
    pub config: Option<String>,
    /// The times the inputs give as dates only, as `column (file)` (`shipped_at
    /// (shipments.csv)`): known to the day, they are the start of that local day, so the store
    /// time zone moves the waits measured from them (see [`KPIS_OF_LOCAL_HOURS`]).
    pub times_known_to_the_day: Vec<String>,
    /// The kind of event that set the data end (`review`...; `journey::Journeys::data_end_event`),
    /// `None` with `--as-of`: for the terminal, which names it when it is not an order's own
    /// placement or payment (report.json has it in `as_of_source`).
    #[serde(skip)]
    pub data_end_event: Option<&'static str>,
}

/// The settings a run measured and priced with: `thresholds` and `costs` as configured (every
/// key, defaults included) and the `playbook` efforts the config overrides. A comparison says
/// which of them changed since its baseline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settings {
    pub thresholds: crate::config::Thresholds,
    pub costs: crate::config::Costs,
    pub playbook: std::collections::BTreeMap<String, Effort>,
}

/// A raised, scored snag.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snag {
    pub id: &'static str,
    pub stage: Stage,
    pub title: String,
    pub quadrant: Quadrant,
    /// Store currency per 30 days: the sum of the priced [`Snag::impact_terms`]; `None` (null)
    /// when none could be priced, which is no measured 0.
    pub impact_per_30d: Option<f64>,
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
    /// Sample size the analyzer measured (orders, tickets, customers or days, by analyzer):
    /// set for `raised`, `clear` and `not_enough_data`; `None` for `not_applicable`.
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

/// Each KPI of `report.json` with a label for people and its unit (as in [`table::fmt_value`]:
/// `share`, `hours`, `days`, `count`, `currency`, `points`, `per100`).
pub const KPI_INFO: &[(&str, &str, &str)] = &[
    ("orders", "Orders", "count"),
    ("orders_shipped", "Orders shipped", "count"),
    ("orders_delivered", "Orders delivered", "count"),
    ("customers", "Customers", "count"),
    ("revenue", "Revenue", "currency"),
    ("fulfillment_wait_p50_h", "Order-to-ship p50", "hours"),
    ("fulfillment_wait_p90_h", "Order-to-ship p90", "hours"),
    (
        "complete_fulfillment_wait_p50_h",
        "Order-to-complete-fulfillment p50",
        "hours",
    ),
    ("sla_breach_share", "Shipped over the SLA", "share"),
    ("transit_time_p50_h", "Transit p50", "hours"),
    ("click_to_door_p50_h", "Click-to-door p50", "hours"),
    ("on_time_rate", "On-time rate", "share"),
    ("late_share", "Late share", "share"),
    ("overdue_orders", "Overdue orders", "count"),
    ("backlog_orders", "Backlog (unshipped or partial)", "count"),
    ("cancel_share", "Cancelled share", "share"),
    ("tickets", "Tickets", "count"),
    ("wismo_tickets", "WISMO tickets", "count"),
    (
        "wismo_tickets_unshipped",
        "WISMO tickets before shipping",
        "count",
    ),
    ("tickets_unlinked", "Tickets linked to no order", "count"),
    ("wismo_rate_per_100", "WISMO per 100 shipped", "per100"),
    ("wismo_share", "WISMO share of tickets", "share"),
    ("repeat_rate", "Repeat rate", "share"),
    (
        "time_to_second_order_p50_d",
        "Time to 2nd order p50",
        "days",
    ),
    (
        "second_order_customers",
        "Customers with a 2nd order",
        "count",
    ),
    ("review_coverage", "Review coverage", "share"),
    ("review_score_mean", "Mean review score", "points"),
    ("csat", "CSAT (share satisfied)", "share"),
    // Outcome KPIs of analyzers that are not store KPIs.
    (
        "fulfillment_wait_p50_h (express)",
        "Express order-to-ship p50",
        "hours",
    ),
    (
        "hold_wait_ratio (flagged / other median order-to-ship)",
        "Held vs other orders' order-to-ship (median ratio)",
        "ratio",
    ),
    (
        "weekend_wait_ratio (Fri-Sun / Mon-Thu median order-to-ship)",
        "Weekend vs weekday order-to-ship (median ratio)",
        "ratio",
    ),
    (
        "repeat_rate (late first order)",
        "Repeat rate after a late first order",
        "share",
    ),
    (
        "vip_at_risk (customers)",
        "VIP customers at risk (all VIPs)",
        "count",
    ),
    ("wismo_spike_days", "WISMO spike days", "count"),
    (
        "top_weekday_ticket_share",
        "Busiest weekday's ticket share",
        "share",
    ),
];

/// Label and unit of a KPI; unknown names are shown as they are, unit `ratio` (3 decimals).
/// The label of a KPI measured over the repeat window does not name the window: reports show
/// [`kpi_label`].
pub fn kpi_info(name: &str) -> (&str, &'static str) {
    KPI_INFO
        .iter()
        .find(|(k, _, _)| *k == name)
        .map(|(_, label, unit)| (*label, *unit))
        .unwrap_or((name, "ratio"))
}

/// The KPIs measured over the repeat window (`[thresholds] repeat_window_days`).
pub const REPEAT_WINDOW_KPIS: &[&str] = &["repeat_rate", "repeat_rate (late first order)"];

/// The KPIs the store's time zone defines (`[read] timezone`, `--timezone`): they count local
/// days, dates or weekdays. A date promise is due by the end of its local day (on-time and late
/// shares, overdue orders, and the late first orders' repeat rate); spike days are local days;
/// the busiest weekday's ticket share and the weekend wait ratio split by local weekday. Run in
/// another zone, the same orders give other values (on-time 69% in Asia/Tokyo, 83% in
/// America/New_York on one store), so a comparison across zones compares none of them.
pub const KPIS_OF_LOCAL_DAYS: &[&str] = &[
    "on_time_rate",
    "late_share",
    "overdue_orders",
    "repeat_rate (late first order)",
    "wismo_spike_days",
    "top_weekday_ticket_share",
    "weekend_wait_ratio (Fri-Sun / Mon-Thu median order-to-ship)",
];

/// The KPIs of waits and transit times, which the store time zone moves when some of their
/// times are known to the day only ([`StoreInfo::times_known_to_the_day`]): such a time is the
/// start of its local day, so a ship date read in Asia/Tokyo is 13 or 14 hours before the same
/// date read in America/New_York, and an order-to-ship time of 24 h became 0 h. A comparison
/// across zones leaves them out then, beside [`KPIS_OF_LOCAL_DAYS`].
pub const KPIS_OF_LOCAL_HOURS: &[&str] = &[
    "fulfillment_wait_p50_h",
    "fulfillment_wait_p90_h",
    "complete_fulfillment_wait_p50_h",
    "sla_breach_share",
    "transit_time_p50_h",
    "click_to_door_p50_h",
    "fulfillment_wait_p50_h (express)",
    "hold_wait_ratio (flagged / other median order-to-ship)",
];

/// The KPIs each threshold defines, not only judges (`[thresholds]` keys): with the threshold
/// changed since a baseline the KPI measures something else (the share over a 24 h SLA is not
/// the share over a 48 h one), so a comparison neither gives its change nor calls its snag
/// worse or better. The repeat window's are [`REPEAT_WINDOW_KPIS`], compared by the windows
/// the reports record.
pub const KPIS_DEFINED_BY: &[(&str, &[&str])] = &[
    ("fulfillment_sla_h", &["sla_breach_share"]),
    ("spike_z", &["wismo_spike_days"]),
    ("spike_min_tickets", &["wismo_spike_days"]),
    ("spike_false_alarm_rate", &["wismo_spike_days"]),
    // Absent from reports made before the spread was taken at its upper bound (0.5 then).
    ("spike_spread_confidence", &["wismo_spike_days"]),
    // The per-day level of reports made before `spike_false_alarm_rate` replaced it.
    ("spike_max_p", &["wismo_spike_days"]),
    ("vip_top_share", &["vip_at_risk (customers)"]),
    ("vip_gap_multiple", &["vip_at_risk (customers)"]),
    ("vip_min_orders", &["vip_at_risk (customers)"]),
];

/// The label of a KPI for people: [`kpi_info`]'s, led by the repeat window for a KPI measured
/// over it (`20-day repeat rate` with `repeat_window_days` 20). Without a known window
/// (`snagscan diff` of two saved reports) the label names none: `Repeat rate`.
pub fn kpi_label(name: &str, repeat_window_days: Option<u32>) -> String {
    let (label, _) = kpi_info(name);
    match repeat_window_days {
        Some(days) if REPEAT_WINDOW_KPIS.contains(&name) => {
            let mut chars = label.chars();
            let rest: String = chars
                .next()
                .map(|first| first.to_lowercase().chain(chars).collect())
                .unwrap_or_default();
            format!("{days}-day {rest}")
        }
        _ => label.to_string(),
    }
}

/// The label of a quadrant for people: `Start here`.
pub fn quadrant_label(q: &str) -> &'static str {
    match q {
        "start-here" => "Start here",
        "plan-next" => "Plan next",
        "nice-to-have" => "Nice to have",
        "hold-off" => "Hold off",
        _ => "Unplaced",
    }
}

#[cfg(test)]
mod tests {
    use super::kpi_label;

    #[test]
    fn repeat_rate_labels_name_the_window() {
        assert_eq!(kpi_label("repeat_rate", Some(20)), "20-day repeat rate");
        assert_eq!(
            kpi_label("repeat_rate (late first order)", Some(45)),
            "45-day repeat rate after a late first order"
        );
        assert_eq!(kpi_label("repeat_rate", None), "Repeat rate");
        assert_eq!(kpi_label("on_time_rate", Some(20)), "On-time rate");
        assert_eq!(kpi_label("unknown_kpi", Some(20)), "unknown_kpi");
    }
}
