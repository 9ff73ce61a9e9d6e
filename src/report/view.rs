//! The report as people read it: numbers formatted in their units, snags in reading order, the
//! comparison with the baseline folded in. Shared by the HTML and Markdown templates, which only
//! lay it out (and escape every string in it).

use serde::Serialize;

use super::compare::SnagStatus;
use super::table::{fmt_change, fmt_evidence, fmt_value, money, revenue_text, shown_change};
use super::{kpi_info, kpi_label, quadrant_label, Report, Snag};
use crate::ingest::formats::format_label;
use crate::ingest::InputFile;

/// Everything the templates show.
#[derive(Debug, Serialize)]
pub struct View {
    pub generated_at: Option<String>,
    pub window_start: String,
    pub window_end: String,
    /// The window's length for people: `120 days`, `1 day`, `4 h` under a day, `15 min` under
    /// an hour (see [`window_length`]).
    pub window_length: String,
    pub timezone: String,
    pub timezone_assumed: bool,
    pub as_of_source: String,
    pub currency: Option<String>,
    /// No currency is known for the amounts (see [`super::table::CURRENCY_UNKNOWN`]): the
    /// templates say so where they name the currency.
    pub currency_unknown: bool,
    /// The repeat window the repeat rates were measured over, days.
    pub repeat_window_days: u32,
    /// The handful of figures shown first.
    pub headline: Vec<Stat>,
    /// What puts a snag in a high-impact row, and what impact is made of (the terminal's line
    /// under the matrix: `High impact: at least 1% of revenue per 30 days (498 USD here); ...`).
    pub impact_rule: String,
    pub kpis: Vec<KpiRow>,
    pub has_baseline: bool,
    pub baseline_end: Option<String>,
    /// What the comparison leaves out (repeat rates over different windows, money in
    /// different currencies), sentences joined by ". ".
    pub comparison_notes: Option<String>,
    /// Counts of snag statuses against the baseline: new, worse, better, resolved.
    pub status_counts: Vec<StatusCount>,
    /// The snags in the order to act on them: by quadrant, then impact.
    pub do_first: Vec<SnagView>,
    /// The snags ranked by impact (report order); `rank` numbers the matrix points.
    pub snags: Vec<SnagView>,
    pub resolved: Vec<ResolvedView>,
    pub not_enough_data: Vec<Stat>,
    pub checks: Vec<CheckView>,
    pub inputs: Vec<InputView>,
    pub skipped: Vec<SkippedView>,
    pub data_quality: Vec<QualityView>,
    /// Sum of the data-quality counts: findings, a row counted once per reason it is flagged.
    pub data_quality_rows: u64,
}

/// How many snags have one status against the baseline.
#[derive(Debug, Serialize)]
pub struct StatusCount {
    /// The status (`unmeasured`...), also the badge's class.
    pub label: &'static str,
    pub value: usize,
    /// Why: for `unmeasured`, "not enough data", "not applicable" or both with counts.
    pub why: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Stat {
    pub label: String,
    pub value: String,
    /// Change since the baseline, when it moved.
    pub delta: Option<String>,
    /// better, worse or changed.
    pub trend: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct KpiRow {
    pub name: String,
    pub label: String,
    pub value: String,
    pub previous: Option<String>,
    pub change: Option<String>,
    /// better, worse, changed, unchanged, n/a (with a baseline).
    pub trend: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct SnagView {
    pub rank: usize,
    pub id: String,
    pub stage: &'static str,
    pub title: String,
    pub quadrant: &'static str,
    pub quadrant_label: &'static str,
    pub impact: String,
    pub high_impact: bool,
    pub effort: &'static str,
    pub affected: String,
    pub evidence: Vec<String>,
    pub terms: Vec<TermView>,
    pub breakdown: Vec<BreakdownView>,
    /// What the breakdown's `affected` counts, for its column: `Affected`, or what the analyzer
    /// names (`Reviews scored 1-2`, see [`crate::analyze::breakdown_counts`]).
    pub breakdown_counts: String,
    pub automation: String,
    pub kpi_name: String,
    pub kpi_label: String,
    pub kpi_value: String,
    /// Status against the baseline: new, worse, better, unchanged.
    pub status: Option<&'static str>,
    pub previous_impact: Option<String>,
    pub previous_kpi_value: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TermView {
    pub name: String,
    pub value: String,
    pub basis: String,
}

#[derive(Debug, Serialize)]
pub struct BreakdownView {
    pub label: String,
    pub share: String,
    pub affected: u64,
    pub n: u64,
}

#[derive(Debug, Serialize)]
pub struct ResolvedView {
    pub id: String,
    pub title: String,
    pub previous_impact: String,
    pub previous_quadrant: &'static str,
    /// The analyzer's KPI, labelled: its baseline value, then the value measured now.
    pub kpi_change: String,
}

#[derive(Debug, Serialize)]
pub struct CheckView {
    pub id: String,
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct InputView {
    /// As the terminal and report.md list it ([`input_text`]).
    pub text: String,
    pub file: String,
    pub kind: String,
    pub format: String,
    pub rows: u64,
}

#[derive(Debug, Serialize)]
pub struct SkippedView {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct QualityView {
    pub file: String,
    pub reason: String,
    pub effect: String,
    pub count: u64,
    pub lines: String,
    pub example: Option<String>,
}

fn quadrant_str(q: &str) -> &'static str {
    match q {
        "start-here" => "start-here",
        "plan-next" => "plan-next",
        "nice-to-have" => "nice-to-have",
        _ => "hold-off",
    }
}

/// Builds the view of `r`.
pub fn build(r: &Report) -> View {
    let cur = r.store.currency.as_deref();
    let cmp = r.comparison.as_ref();
    let kpi_map = kpi_values(r);
    let window = Some(r.repeat_window_days);
    let kpi_text = |name: &str, v: Option<f64>| {
        let (_, unit) = kpi_info(name);
        match unit {
            "currency" => v.map(|v| money(v, cur)).unwrap_or_else(|| "n/a".into()),
            _ => fmt_value(v, unit),
        }
    };
    let kpis: Vec<KpiRow> = kpi_map
        .iter()
        .map(|(name, value)| {
            let (_, unit) = kpi_info(name);
            let change = cmp.and_then(|c| c.kpis.iter().find(|k| &k.name == name));
            KpiRow {
                name: name.clone(),
                label: kpi_label(name, window),
                // Revenue in several currencies is null, its sums are shown per currency.
                value: if name == "revenue" {
                    revenue_text(r)
                } else {
                    kpi_text(name, *value)
                },
                previous: change.map(|k| {
                    let suffix = cmp.map(|c| c.baseline_suffix(name)).unwrap_or_default();
                    format!("{}{suffix}", kpi_text(name, k.previous))
                }),
                change: change
                    .map(|c| fmt_change(shown_change(c.previous, c.current, c.change, unit), unit)),
                trend: change.map(|c| c.trend.as_str()),
            }
        })
        .collect();
    let headline_keys = [
        "orders",
        "customers",
        "revenue",
        "fulfillment_wait_p50_h",
        "on_time_rate",
        "wismo_rate_per_100",
        "repeat_rate",
    ];
    let headline = headline_keys
        .iter()
        .filter_map(|k| kpis.iter().find(|row| row.name == *k))
        .map(|row| {
            let moved = !matches!(row.trend, None | Some("unchanged") | Some("n/a"));
            Stat {
                label: row.label.clone(),
                value: row.value.clone(),
                delta: row.change.clone().filter(|_| moved),
                trend: row.trend.filter(|_| moved),
            }
        })
        .collect();
    let snags: Vec<SnagView> = r
        .snags
        .iter()
        .enumerate()
        .map(|(i, s)| snag_view(i + 1, s, r, &kpi_text))
        .collect();
    let mut do_first: Vec<SnagView> = r
        .snags
        .iter()
        .enumerate()
        .map(|(i, s)| snag_view(i + 1, s, r, &kpi_text))
        .collect();
    do_first.sort_by_key(|s| (quadrant_order(s.quadrant), s.rank));
    let resolved = cmp
        .map(|c| {
            c.snags
                .iter()
                .filter(|s| s.status == SnagStatus::Resolved)
                .map(|s| ResolvedView {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    previous_impact: s
                        .previous_impact_per_30d
                        .map_or_else(|| "not measured".into(), |v| money(v, cur)),
                    previous_quadrant: quadrant_label(s.previous_quadrant.as_deref().unwrap_or("")),
                    kpi_change: format!(
                        "{}: {}, now {}",
                        kpi_label(&s.kpi, window),
                        kpi_text(&s.kpi, s.previous_kpi_value),
                        kpi_text(&s.kpi, s.kpi_value)
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    let status_counts = cmp
        .map(|c| {
            [
                SnagStatus::New,
                SnagStatus::Worse,
                SnagStatus::Better,
                SnagStatus::Unchanged,
                SnagStatus::Resolved,
                SnagStatus::Unmeasured,
                SnagStatus::NotComparable,
            ]
            .iter()
            // "unmeasured" and "not-comparable" only when they happened: they are rare and
            // need no zero.
            .filter(|st| {
                !matches!(st, SnagStatus::Unmeasured | SnagStatus::NotComparable)
                    || c.count(**st) > 0
            })
            .map(|st| StatusCount {
                label: st.as_str(),
                value: c.count(*st),
                why: c.unmeasured_why().filter(|_| *st == SnagStatus::Unmeasured),
            })
            .collect()
        })
        .unwrap_or_default();
    View {
        generated_at: r.generated_at.clone(),
        window_start: date_part(r.window.start.as_deref(), &r.store.timezone),
        window_end: date_part(r.window.end.as_deref(), &r.store.timezone),
        window_length: window_length(r.window.days.unwrap_or(0.0)),
        timezone: r.store.timezone.clone(),
        timezone_assumed: r.store.timezone_assumed,
        as_of_source: r.store.as_of_source.to_string(),
        currency: r.store.currency.clone(),
        currency_unknown: super::table::currency_unknown(r),
        repeat_window_days: r.repeat_window_days,
        headline,
        impact_rule: super::table::impact_bar(r),
        kpis,
        has_baseline: cmp.is_some(),
        baseline_end: cmp
            .map(|c| date_part(c.baseline_window_end.as_deref(), &c.baseline_timezone)),
        comparison_notes: cmp.map(|c| c.notes().join(". ")).filter(|n| !n.is_empty()),
        status_counts,
        do_first,
        snags,
        resolved,
        not_enough_data: r
            .not_enough_data
            .iter()
            .map(|n| Stat {
                label: n.id.to_string(),
                value: n.n.to_string(),
                delta: None,
                trend: None,
            })
            .collect(),
        checks: r
            .checks
            .iter()
            .map(|c| CheckView {
                id: c.id.to_string(),
                status: c.status.replace('_', " "),
                detail: match (c.status, c.n, &c.note) {
                    (_, _, Some(note)) => note.clone(),
                    ("not_enough_data", Some(n), _) => format!("n={n}"),
                    (_, _, _) => {
                        let label = kpi_label(c.kpi.name, window);
                        format!("{label}: {}", kpi_text(c.kpi.name, c.kpi.value))
                    }
                },
            })
            .collect(),
        inputs: r
            .inputs
            .iter()
            .map(|i| InputView {
                text: input_text(i),
                file: i.file.clone(),
                kind: enum_str(&i.kind),
                format: i.format.clone(),
                rows: i.rows,
            })
            .collect(),
        skipped: r
            .skipped_files
            .iter()
            .map(|s| SkippedView {
                file: s.file.clone(),
                reason: s.reason.clone(),
            })
            .collect(),
        data_quality: r
            .data_quality
            .iter()
            .map(|e| QualityView {
                file: e.file.clone(),
                reason: e.reason.clone(),
                effect: enum_str(&e.effect).replace('_', " "),
                count: e.count,
                lines: e
                    .first_lines
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                example: e.example.clone(),
            })
            .collect(),
        data_quality_rows: r.data_quality.iter().map(|e| e.count).sum(),
    }
}

/// The local date, in the store time zone `tz` (an IANA name), of an RFC 3339 instant: the
/// report says its times are in that zone. `n/a` without an instant (a store with no orders);
/// the instant's own date when `tz` is not a known zone.
pub fn date_part(instant: Option<&str>, tz: &str) -> String {
    let Some(text) = instant else {
        return "n/a".into();
    };
    match (
        chrono::DateTime::parse_from_rfc3339(text),
        tz.parse::<chrono_tz::Tz>(),
    ) {
        (Ok(t), Ok(zone)) => t.with_timezone(&zone).format("%Y-%m-%d").to_string(),
        _ => text.chars().take(10).collect(),
    }
}

/// A data window's dates in `tz`, as the comparison texts give it: `2025-03-02 to 2025-06-30`
/// (`n/a` for an end not known).
pub fn window_dates(start: Option<&str>, end: Option<&str>, tz: &str) -> String {
    format!("{} to {}", date_part(start, tz), date_part(end, tz))
}

/// A file read, as the terminal and report.md list it: `orders.csv (orders, 3000 rows)`, with
/// the format when it is not snagscan's own (`format_label`); a format of one row per line
/// item counts the orders its rows fold into (`orders_export_1.csv (Shopify orders, 51
/// orders)`, beside `orders_export_1.csv (Shopify line items, 121 rows)`); so does a format
/// that can have one (WooCommerce: a row per order, or one per product folded). A part of a split
/// export that starts with the rest of an order begun in the part before says so (`51 orders and
/// the rest of 1 order begun in another part`).
pub fn input_text(i: &InputFile) -> String {
    let kind = i.kind.as_str().replace('_', " ");
    let what = match format_label(&i.format) {
        Some(format) => format!("{format} {kind}"),
        None => kind,
    };
    // A format with one row per line item folds its rows into orders: `rows` counts those.
    let folded = crate::ingest::formats::all_formats()
        .any(|f| f.format == i.format && f.kind == i.kind && f.group_by.is_some());
    let rows = match (folded, i.rows) {
        (true, 1) => "order",
        (true, _) => "orders",
        (false, 1) => "row",
        (false, _) => "rows",
    };
    let continued = match i.continued {
        Some(1) => " and the rest of 1 order begun in another part".to_string(),
        Some(n) => format!(" and the rest of {n} orders begun in other parts"),
        None => String::new(),
    };
    format!("{} ({what}, {} {rows}{continued})", i.file, i.rows)
}

/// The length of a data window of `days` (fractional) as the reports write it: whole days
/// (`740 days`, `1 day`), or, under a day, whole hours (`4 h` for 0.1689 days), and under an
/// hour whole minutes (`15 min`), so a window of a few hours never reads `0 days`.
pub fn window_length(days: f64) -> String {
    let hours = days * 24.0;
    if hours < 1.0 {
        format!("{:.0} min", (hours * 60.0).max(0.0))
    } else if days < 1.0 {
        format!("{hours:.0} h")
    } else if days.round() == 1.0 {
        "1 day".into()
    } else {
        format!("{days:.0} days")
    }
}

fn quadrant_order(q: &str) -> u8 {
    match q {
        "start-here" => 0,
        "plan-next" => 1,
        "nice-to-have" => 2,
        _ => 3,
    }
}

/// The serde name of a unit enum (`orders`, `row_dropped`).
fn enum_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The KPIs as (name, value) in report order.
fn kpi_values(r: &Report) -> Vec<(String, Option<f64>)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&r.kpis) else {
        return Vec::new();
    };
    let known = super::KPI_INFO.iter().map(|(k, _, _)| *k);
    let mut out: Vec<(String, Option<f64>)> = known
        .filter_map(|k| map.get(k).map(|v| (k.to_string(), v.as_f64())))
        .collect();
    for (k, v) in &map {
        if !out.iter().any(|(n, _)| n == k) {
            out.push((k.clone(), v.as_f64()));
        }
    }
    out
}

/// A snag's impact per 30 days, or `not measured` when none of its terms could be priced
/// (e.g. no tickets table and too few customers to measure a repeat-rate drop).
pub fn impact_text(s: &Snag, cur: Option<&str>) -> String {
    match s.impact_per_30d {
        Some(v) => money(v, cur),
        None => "not measured".into(),
    }
}

fn snag_view(
    rank: usize,
    s: &Snag,
    r: &Report,
    kpi_text: &dyn Fn(&str, Option<f64>) -> String,
) -> SnagView {
    let cur = r.store.currency.as_deref();
    let change = r.comparison.as_ref().and_then(|c| c.snag(s.id));
    SnagView {
        rank,
        id: s.id.to_string(),
        stage: s.stage.as_str(),
        title: s.title.clone(),
        quadrant: quadrant_str(s.quadrant.as_str()),
        quadrant_label: quadrant_label(s.quadrant.as_str()),
        impact: impact_text(s, cur),
        high_impact: s.high_impact,
        effort: match s.effort {
            crate::score::Effort::Low => "low",
            crate::score::Effort::Medium => "medium",
            crate::score::Effort::High => "high",
        },
        affected: format!(
            "{} orders, {} customers",
            s.affected_orders, s.affected_customers
        ),
        evidence: s.evidence.iter().map(|e| fmt_evidence(e, cur)).collect(),
        terms: s
            .impact_terms
            .iter()
            .map(|t| TermView {
                name: t.name.replace('_', " "),
                value: t
                    .value_per_30d
                    .map(|v| money(v, cur))
                    .unwrap_or_else(|| t.unpriced_text().into()),
                // Without the value's own words: "not applicable: <why>" shows the why.
                basis: t
                    .basis
                    .strip_prefix(t.unpriced_text())
                    .map_or(t.basis.as_str(), |why| why.trim_start_matches(": "))
                    .to_string(),
            })
            .collect(),
        breakdown: s
            .breakdown
            .iter()
            .map(|b| BreakdownView {
                label: b.label.clone(),
                share: format!("{:.1}%", b.share * 100.0),
                affected: b.affected,
                n: b.n,
            })
            .collect(),
        breakdown_counts: crate::analyze::breakdown_counts(s.id)
            .map(|c| super::template::sentence(c.to_string()))
            .unwrap_or_else(|| "Affected".into()),
        automation: s.automation.to_string(),
        kpi_name: s.kpi.name.to_string(),
        kpi_label: kpi_label(s.kpi.name, Some(r.repeat_window_days)),
        kpi_value: kpi_text(s.kpi.name, s.kpi.value),
        status: change.map(|c| c.status.as_str()),
        previous_impact: change.filter(|c| c.previous_quadrant.is_some()).map(|c| {
            c.previous_impact_per_30d
                .map_or_else(|| "not measured".into(), |v| money(v, cur))
        }),
        previous_kpi_value: change
            .filter(|c| c.previous_kpi_value.is_some())
            .map(|c| kpi_text(s.kpi.name, c.previous_kpi_value))
            .map(|v| {
                let suffix = r
                    .comparison
                    .as_ref()
                    .map(|c| c.baseline_suffix(s.kpi.name))
                    .unwrap_or_default();
                format!("{v}{suffix}")
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::{date_part, window_length};

    #[test]
    fn a_window_under_a_day_is_told_in_hours() {
        assert_eq!(window_length(0.168_75), "4 h");
        assert_eq!(window_length(0.01), "14 min");
        assert_eq!(window_length(0.0), "0 min");
        assert_eq!(window_length(1.2), "1 day");
        assert_eq!(window_length(119.94), "120 days");
    }

    #[test]
    fn window_dates_are_local_to_the_store() {
        // 01:17 UTC on 3 March is the evening of 2 March in New York.
        let t = Some("2025-03-03T01:17:23Z");
        assert_eq!(date_part(t, "America/New_York"), "2025-03-02");
        assert_eq!(date_part(t, "UTC"), "2025-03-03");
        assert_eq!(date_part(t, "Not/A_Zone"), "2025-03-03");
        assert_eq!(date_part(None, "UTC"), "n/a");
    }
}
