//! The terminal report: summary, impact/effort matrix, ranked snags, checks and data quality.

use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, Color, ContentArrangement, Table,
};

use super::compare::{Comparison, KpiChange, SnagStatus, Trend};
use super::{kpi_info, kpi_label, Exporter, Report, Snag};
use crate::analyze::Evidence;
use crate::error::Result;
use crate::score::Quadrant;

/// The terminal report. Pure like every exporter: the caller decides the width and whether to
/// colour (only on a terminal, never with NO_COLOR).
pub struct TerminalReport {
    /// Width to lay tables out in (columns).
    pub width: u16,
    /// ANSI colours in the tables.
    pub color: bool,
}

impl Exporter for TerminalReport {
    fn file_name(&self) -> &'static str {
        "report.txt"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let mut out = String::new();
        out.push_str(&summary(r));
        out.push('\n');
        out.push_str(&self.matrix(r));
        out.push('\n');
        if r.snags.is_empty() {
            out.push_str("No snag raised.\n");
        } else {
            out.push_str("Snags, ranked by impact per 30 days\n");
            out.push_str(&self.snag_table(r));
            out.push('\n');
        }
        if let Some(c) = &r.comparison {
            out.push_str(&comparison_text(
                c,
                Some(r.repeat_window_days),
                self.width,
                self.color,
            ));
            out.push('\n');
        }
        out.push_str(&checks(r));
        out.push_str(&quality(r));
        Ok(out.into_bytes())
    }
}

fn table(width: u16, color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn quadrant_color(q: Quadrant) -> Color {
    match q {
        Quadrant::StartHere => Color::Green,
        Quadrant::PlanNext => Color::Yellow,
        Quadrant::NiceToHave => Color::Cyan,
        Quadrant::HoldOff => Color::DarkGrey,
    }
}

fn status_color(s: SnagStatus) -> Color {
    match s {
        SnagStatus::New | SnagStatus::Worse => Color::Red,
        SnagStatus::Better | SnagStatus::Resolved => Color::Green,
        SnagStatus::Unchanged | SnagStatus::Unmeasured | SnagStatus::NotComparable => {
            Color::DarkGrey
        }
    }
}

fn trend_color(t: Trend) -> Option<Color> {
    match t {
        Trend::Worse => Some(Color::Red),
        Trend::Better => Some(Color::Green),
        _ => None,
    }
}

/// A KPI value in its unit (money without a currency: the comparison has none).
fn kpi_text(name: &str, v: Option<f64>) -> String {
    fmt_value(v, kpi_info(name).1)
}

/// A count, or `n/a` when it could not be measured.
fn count_text(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "n/a".into())
}

/// The comparison with a baseline: snag statuses and the KPIs that moved. Used by `analyze
/// --baseline` and `snagscan diff`; `repeat_window_days` labels the repeat rates ([`kpi_label`]),
/// `None` when it is not known (`diff` of reports that do not both record the same one).
pub fn comparison_text(
    c: &Comparison,
    repeat_window_days: Option<u32>,
    width: u16,
    color: bool,
) -> String {
    // The rare statuses, named only when they happened.
    let mut rare = match (c.count(SnagStatus::Unmeasured), c.unmeasured_why()) {
        (n @ 1.., Some(why)) => format!(", {n} no longer measurable ({why})"),
        _ => String::new(),
    };
    if let n @ 1.. = c.count(SnagStatus::NotComparable) {
        rare.push_str(&format!(
            ", {n} not comparable (measured by a changed definition: see below)"
        ));
    }
    let mut out = format!(
        "Compared with the baseline ({}): {} new, {} worse, {} better, {} unchanged, {} resolved{rare}\n",
        super::view::window_dates(
            c.baseline_window_start.as_deref(),
            c.baseline_window_end.as_deref(),
            &c.baseline_timezone
        ),
        c.count(SnagStatus::New),
        c.count(SnagStatus::Worse),
        c.count(SnagStatus::Better),
        c.count(SnagStatus::Unchanged),
        c.count(SnagStatus::Resolved),
    );
    for note in c.notes() {
        out.push_str(&format!("{note}\n"));
    }
    if !c.snags.is_empty() {
        let mut t = table(width, color);
        t.set_header(vec!["Snag", "Status", "Quadrant", "Impact / 30 d", "KPI"]);
        for s in &c.snags {
            let arrow = |a: Option<String>, b: Option<String>| match (a, b) {
                (Some(a), Some(b)) if a == b => b,
                (Some(a), Some(b)) => format!("{a} -> {b}"),
                (None, Some(b)) => b,
                (Some(a), None) => format!("{a} -> -"),
                (None, None) => "-".into(),
            };
            // A snag of the run without a priced term is "not measured"; "-" when not raised.
            let impact = |raised: bool, v: Option<f64>| match (raised, v) {
                (_, Some(v)) => Some(money(v, None)),
                (true, None) => Some("not measured".to_string()),
                (false, None) => None,
            };
            let label = kpi_label(&s.kpi, repeat_window_days);
            let previous = format!(
                "{}{}",
                kpi_text(&s.kpi, s.previous_kpi_value),
                c.baseline_suffix(&s.kpi)
            );
            t.add_row(vec![
                Cell::new(&s.id),
                Cell::new(s.status.as_str())
                    .fg(status_color(s.status))
                    .add_attribute(Attribute::Bold),
                Cell::new(arrow(s.previous_quadrant.clone(), s.quadrant.clone())),
                Cell::new(arrow(
                    impact(s.previous_quadrant.is_some(), s.previous_impact_per_30d),
                    impact(s.quadrant.is_some(), s.impact_per_30d),
                )),
                Cell::new(format!(
                    "{label}: {}",
                    arrow(Some(previous), Some(kpi_text(&s.kpi, s.kpi_value)))
                )),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    let moved: Vec<_> = c.kpis.iter().filter(|k| shown_as_moved(k)).collect();
    // A KPI measured both times but not compared (redefined: see the notes) is no "no change".
    let uncompared = c
        .kpis
        .iter()
        .any(|k| k.trend == Trend::NotComparable && k.previous.is_some() && k.current.is_some());
    if moved.is_empty() && uncompared {
        out.push_str("KPIs: no change beyond 1% among those compared (see the notes above)\n");
    } else if moved.is_empty() {
        out.push_str("KPIs: no change beyond 1%\n");
    } else {
        let mut t = table(width.min(100), color);
        t.set_header(vec!["KPI", "Baseline", "Now", "Change", "Trend"]);
        for k in moved {
            let label = kpi_label(&k.name, repeat_window_days);
            let unit = kpi_info(&k.name).1;
            let mut trend = Cell::new(k.trend.as_str());
            if let Some(col) = trend_color(k.trend) {
                trend = trend.fg(col);
            }
            t.add_row(vec![
                Cell::new(label),
                Cell::new(kpi_text(&k.name, k.previous)),
                Cell::new(kpi_text(&k.name, k.current)),
                Cell::new(fmt_change(
                    shown_change(k.previous, k.current, k.change, unit),
                    unit,
                )),
                trend,
            ]);
        }
        out.push_str(&format!("KPIs that moved\n{t}\n"));
    }
    out
}

/// The headline repeat rate: the share, with its sample when it is under `min_sample`
/// customers (`42.9% of 7 customers`), as repeat-dropoff then says "not enough data".
fn repeat_rate_text(r: &Report) -> String {
    let rate = fmt_value(r.kpis.repeat_rate, "share");
    let n = r
        .checks
        .iter()
        .find(|c| c.id == "repeat-dropoff")
        .and_then(|c| c.n);
    match n {
        Some(n) if r.kpis.repeat_rate.is_some() && n < r.settings.thresholds.min_sample => {
            format!("{rate} of {n} customer{}", if n == 1 { "" } else { "s" })
        }
        _ => rate,
    }
}

/// Money with thousands separators and the store currency: `1,234 BRL`.
pub fn money(v: f64, currency: Option<&str>) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    // Rounded half away from zero, then written exactly (no i64 to overflow past 9.2e18).
    let rounded = v.round() + 0.0;
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if rounded < 0.0 { "-" } else { "" };
    match currency {
        Some(c) if !c.is_empty() => format!("{sign}{grouped} {c}"),
        _ => format!("{sign}{grouped}"),
    }
}

/// The revenue as every report shows it: the `revenue` KPI in the store currency (`3,445 USD`),
/// or, when several currencies appear and the KPI is null, each currency's sum in its own
/// currency, joined by ` + ` (`10,000 JPY + 200 USD`, as in `revenue_by_currency`); `n/a` when
/// neither is known.
pub fn revenue_text(r: &Report) -> String {
    match (r.kpis.revenue, r.revenue_by_currency.as_slice()) {
        (Some(v), _) => money(v, r.store.currency.as_deref()),
        (None, several @ [_, _, ..]) => several
            .iter()
            .map(|c| match c.currency.as_str() {
                "" => format!("{} (currency unknown)", money(c.revenue, None)),
                code => money(c.revenue, Some(code)),
            })
            .collect::<Vec<_>>()
            .join(" + "),
        (None, _) => "n/a".into(),
    }
}

/// Said once where the store currency is named (the terminal's revenue, report.md's headline,
/// report.html's footer) when no currency is known: the orders name none and no `currency` is
/// configured, so every amount is shown bare.
pub const CURRENCY_UNKNOWN: &str = "currency unknown: set `currency` in snagscan.toml";

/// True when the report's amounts are in a currency it does not know (see [`CURRENCY_UNKNOWN`]):
/// a revenue, and no store currency. Several currencies are each named, so never unknown.
pub fn currency_unknown(r: &Report) -> bool {
    r.store.currency.is_none() && r.kpis.revenue.is_some()
}

/// How [`fmt_value`] writes a number of `unit` (not money or a p-value): the scale it is
/// multiplied by and its decimals (a share to a tenth of a percent, hours and days to a tenth,
/// counts to a whole, rates per 100 and points to a hundredth, other ratios to a thousandth).
fn precision(unit: &str) -> (f64, usize) {
    match unit {
        "share" => (100.0, 1),
        "hours" | "days" => (1.0, 1),
        // Tickets as the support cost's basis counts them (`22 tickets ...`), also an excess
        // over an even spread, which is fractional (21.714).
        "orders" | "count" | "tickets" => (1.0, 0),
        "per100" | "points" => (1.0, 2),
        _ => (1.0, 3),
    }
}

/// A KPI or evidence value in its unit: shares as %, hours and days with one decimal.
pub fn fmt_value(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "n/a".into(),
        Some(v) if !v.is_finite() => "n/a".into(),
        Some(v) => match unit {
            "currency" => money(v, None),
            "p-value" => crate::stats::fmt_p(v),
            _ => {
                let (scale, decimals) = precision(unit);
                let number = format!("{:.*}", decimals, v * scale);
                match unit {
                    "share" => format!("{number}%"),
                    "hours" => format!("{number} h"),
                    "days" => format!("{number} d"),
                    _ => number,
                }
            }
        },
    }
}

/// `v` rounded as [`fmt_value`] shows it in `unit`.
fn as_shown(v: f64, unit: &str) -> f64 {
    if unit == "currency" {
        // `money` rounds half away from zero.
        return v.round();
    }
    let (scale, decimals) = precision(unit);
    format!("{:.*}", decimals, v * scale)
        .parse::<f64>()
        .map_or(v, |x| x / scale)
}

/// A KPI's change as the reports show it beside its two values: the difference of the values
/// as shown ([`as_shown`]), so that a row reads `1.72 | 1.75 | +0.03` where the exact
/// difference would give `+0.04`; the exact `change` when either value is missing, and `None`
/// when the KPI is not compared.
pub fn shown_change(
    previous: Option<f64>,
    current: Option<f64>,
    change: Option<f64>,
    unit: &str,
) -> Option<f64> {
    change.map(|exact| match (previous, current) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
            as_shown(b, unit) - as_shown(a, unit)
        }
        _ => exact,
    })
}

/// A change of a KPI in its unit: `+1.2 pts` for shares, `-3.4 h`, `+12`.
pub fn fmt_change(delta: Option<f64>, unit: &str) -> String {
    let Some(d) = delta.filter(|d| d.is_finite()) else {
        return "n/a".into();
    };
    let sign = if d > 0.0 {
        "+"
    } else if d < 0.0 {
        "-"
    } else {
        "±"
    };
    let a = d.abs();
    match unit {
        "share" => format!("{sign}{:.1} pts", a * 100.0),
        "hours" => format!("{sign}{a:.1} h"),
        "days" => format!("{sign}{a:.1} d"),
        "orders" | "count" | "tickets" => format!("{sign}{a:.0}"),
        "currency" => format!("{sign}{}", money(a, None)),
        "points" | "per100" => format!("{sign}{a:.2}"),
        _ => format!("{sign}{a:.3}"),
    }
}

/// One evidence item as `name: value (n=.., 95% CI a-b)`; money in the store `currency` when
/// there is one (`23,288 USD`).
pub fn fmt_evidence(e: &Evidence, currency: Option<&str>) -> String {
    let value = match e.unit {
        "currency" if e.value.is_finite() => money(e.value, currency),
        _ => fmt_value(Some(e.value), e.unit),
    };
    let mut s = format!("{}: {value}", e.name);
    match (e.n, e.ci95) {
        (Some(n), Some([lo, hi])) => s.push_str(&format!(
            " (n={n}, 95% CI {:.1}-{:.1}%)",
            lo * 100.0,
            hi * 100.0
        )),
        (Some(n), None) => s.push_str(&format!(" (n={n})")),
        _ => {}
    }
    s
}

fn summary(r: &Report) -> String {
    let k = &r.kpis;
    let tz_note = if r.store.timezone_assumed {
        " (assumed: no --timezone given)"
    } else {
        ""
    };
    let warnings: u64 = r.data_quality.iter().map(|e| e.count).sum();
    let mut s = String::new();
    match (&r.window.start, &r.window.end, r.window.days) {
        (Some(start), Some(end), Some(days)) => {
            // The data end is the latest event; said when it is not an order's (a review
            // answered weeks after the last order stretches the window and every rate per 30
            // days with it).
            let end_event = match r.store.data_end_event {
                Some(e) if e != "order placed" && e != "payment" => format!(", to the latest {e}"),
                _ => String::new(),
            };
            s.push_str(&format!(
                "snagscan report: {} to {} ({}{end_event}), times in {}{tz_note}\n",
                super::view::date_part(Some(start), &r.store.timezone),
                super::view::date_part(Some(end), &r.store.timezone),
                super::view::window_length(days),
                r.store.timezone,
            ))
        }
        _ => s.push_str("snagscan report: no orders in the inputs\n"),
    }
    let inputs: Vec<String> = r.inputs.iter().map(super::view::input_text).collect();
    s.push_str(&format!("Inputs: {}\n", inputs.join(", ")));
    for sk in &r.skipped_files {
        s.push_str(&format!("Skipped: {}: {}\n", sk.file, sk.reason));
    }
    s.push_str(&format!(
        "Orders {} | customers {} | shipped {} | delivered {} | cancelled {} | revenue {}{}\n",
        k.orders,
        count_text(k.customers),
        count_text(k.orders_shipped),
        count_text(k.orders_delivered),
        fmt_value(k.cancel_share, "share"),
        revenue_text(r),
        if currency_unknown(r) {
            format!(" ({CURRENCY_UNKNOWN})")
        } else {
            String::new()
        }
    ));
    s.push_str(&format!(
        "Order-to-ship p50 {} (p90 {}) | transit p50 {} | click-to-door p50 {} | on-time {} | overdue {}\n",
        fmt_value(k.fulfillment_wait_p50_h, "hours"),
        fmt_value(k.fulfillment_wait_p90_h, "hours"),
        fmt_value(k.transit_time_p50_h, "hours"),
        fmt_value(k.click_to_door_p50_h, "hours"),
        fmt_value(k.on_time_rate, "share"),
        count_text(k.overdue_orders)
    ));
    s.push_str(&format!(
        "Tickets {} | WISMO per 100 shipped {} | repeat rate ({} d) {} | reviews on {} of delivered, mean {}\n",
        count_text(k.tickets),
        k.wismo_rate_per_100.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into()),
        r.repeat_window_days,
        repeat_rate_text(r),
        fmt_value(k.review_coverage, "share"),
        fmt_value(k.review_score_mean, "points"),
    ));
    // Flags, not rows: a row can be counted under two reasons (an unusable placement time,
    // then the order dropped for it); a reason is one line of the audit (a file and a reason).
    let reasons = r.data_quality.len();
    s.push_str(&match warnings {
        0 => "Data quality: nothing flagged\n".to_string(),
        n => format!(
            "Data quality: {n} flagged under {reasons} reason{} (see below)\n",
            if reasons == 1 { "" } else { "s" }
        ),
    });
    s
}

/// What puts a snag in a high-impact row, and what impact is made of, under the matrix:
/// `High impact: at least 1% of revenue per 30 days (498 USD here); impact = support cost (5.00
/// per ticket) + revenue at risk, per 30 days (each snag's terms below)`.
pub(crate) fn impact_bar(r: &Report) -> String {
    let costs = &r.settings.costs;
    let share = costs.high_impact_share * 100.0;
    let here = match (r.kpis.revenue, r.window.days) {
        (Some(revenue), Some(days)) => format!(
            " ({} here)",
            money(
                costs.high_impact_share * revenue * 30.0 / days.max(1.0),
                r.store.currency.as_deref()
            )
        ),
        _ => String::new(),
    };
    format!(
        "High impact: at least {share}% of revenue per 30 days{here}; impact = support cost ({:.2} per ticket) + revenue at risk, per 30 days (each snag's terms below)",
        costs.cost_per_ticket
    )
}

impl TerminalReport {
    fn matrix(&self, r: &Report) -> String {
        // A snag none of whose impact terms could be priced sits in a low-impact cell by the
        // rule (its impact is not shown high); the cell says so.
        let ids = |q: Quadrant| {
            let v: Vec<String> = r
                .snags
                .iter()
                .filter(|s| s.quadrant == q)
                .map(|s| match s.impact_per_30d {
                    Some(_) => s.id.to_string(),
                    None => format!("{} (not measured)", s.id),
                })
                .collect();
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join("\n")
            }
        };
        let mut t = table(self.width.min(100), self.color);
        t.set_header(vec![
            Cell::new("Impact / effort"),
            Cell::new("Low effort"),
            Cell::new("Medium / high effort"),
        ]);
        let cell = |q: Quadrant, name: &str| {
            Cell::new(format!("{name}\n{}", ids(q))).fg(quadrant_color(q))
        };
        t.add_row(vec![
            Cell::new("High impact"),
            cell(Quadrant::StartHere, "START HERE"),
            cell(Quadrant::PlanNext, "PLAN NEXT"),
        ]);
        t.add_row(vec![
            Cell::new("Low impact"),
            cell(Quadrant::NiceToHave, "NICE TO HAVE"),
            cell(Quadrant::HoldOff, "HOLD OFF"),
        ]);
        format!("{t}\n{}\n", impact_bar(r))
    }

    fn snag_table(&self, r: &Report) -> String {
        let cur = r.store.currency.as_deref();
        let mut t = table(self.width, self.color);
        let mut header = vec![
            "#",
            "Snag",
            "Evidence",
            "Impact / 30 d",
            "Effort",
            "Quadrant",
            "Automation",
        ];
        if r.comparison.is_some() {
            header.push("vs baseline");
        }
        t.set_header(header);
        for (i, s) in r.snags.iter().enumerate() {
            let mut row = vec![
                Cell::new(i + 1),
                Cell::new(format!("{}\n{}", s.id, s.title)),
                Cell::new(evidence_lines(s, cur)),
                Cell::new(impact_cell(s, cur)),
                Cell::new(format!("{:?}", s.effort).to_lowercase()),
                Cell::new(s.quadrant.as_str())
                    .fg(quadrant_color(s.quadrant))
                    .add_attribute(Attribute::Bold),
                Cell::new(s.automation),
            ];
            if let Some(c) = &r.comparison {
                let status = c.snag(s.id).map(|c| c.status).unwrap_or(SnagStatus::New);
                row.push(Cell::new(status.as_str()).fg(status_color(status)));
            }
            t.add_row(row);
        }
        format!("{t}\n")
    }
}

fn evidence_lines(s: &Snag, currency: Option<&str>) -> String {
    let mut lines: Vec<String> = s
        .evidence
        .iter()
        .map(|e| fmt_evidence(e, currency))
        .collect();
    lines.push(format!(
        "affected: {} orders, {} customers",
        s.affected_orders, s.affected_customers
    ));
    if !s.breakdown.is_empty() {
        // Every row, in the analyzer's order, as the other reports list them: a ranking is
        // worst first (lanes by late share, SKUs by cancelled orders), a split is whole in its
        // own order (weekdays by calendar, delivery states by lifecycle), so no cut or re-sort
        // here would suit both.
        let rows: Vec<String> = s
            .breakdown
            .iter()
            // The count as well as the share, as the HTML shows them: a ranking by count
            // (SKUs by cancelled orders) reads in order only with its counts.
            .map(|b| {
                format!(
                    "{} {} of {} ({:.0}%)",
                    b.label,
                    b.affected,
                    b.n,
                    b.share * 100.0
                )
            })
            .collect();
        // What the rows count, when it is not what the snag affects (review-gap's low scores).
        let counts = crate::analyze::breakdown_counts(s.id)
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        lines.push(format!("breakdown{counts}: {}", rows.join(", ")));
    }
    lines.join("\n")
}

fn impact_cell(s: &Snag, cur: Option<&str>) -> String {
    // As report.md and report.html write it: `not measured` when no term could be priced.
    let mut lines = vec![super::view::impact_text(s, cur)];
    for term in &s.impact_terms {
        match term.value_per_30d {
            Some(v) => lines.push(format!("{}: {}", term.name, money(v, None))),
            None => lines.push(format!("{}: {}", term.name, term.unpriced_text())),
        }
    }
    lines.join("\n")
}

fn checks(r: &Report) -> String {
    let mut s = String::from("Checks: ");
    let items: Vec<String> = r
        .checks
        .iter()
        .map(|c| match (c.status, c.n, &c.note) {
            ("not_enough_data", Some(n), _) => format!("{} not enough data (n={n})", c.id),
            ("not_applicable", _, Some(why)) => format!("{} n/a ({why})", c.id),
            (status, _, _) => format!("{} {status}", c.id),
        })
        .collect();
    s.push_str(&items.join("; "));
    s.push('\n');
    s
}

/// A KPI for the "KPIs that moved" table: it changed beyond the tolerance, or it became
/// measurable or stopped being so (a value on one side only, trend `n/a`).
fn shown_as_moved(k: &KpiChange) -> bool {
    match k.trend {
        Trend::Unchanged => false,
        Trend::NotComparable => k.previous.is_some() != k.current.is_some(),
        _ => true,
    }
}

fn quality(r: &Report) -> String {
    if r.data_quality.is_empty() {
        return "Data quality: no row dropped, changed or excluded.\n".into();
    }
    let mut s = String::from("Data quality (rows dropped, changed or excluded; first lines):\n");
    for e in &r.data_quality {
        let at = lines_text(&e.first_lines, e.count);
        s.push_str(&format!("  {}: {} x{}{at}\n", e.file, e.reason, e.count));
    }
    s
}

/// ` (line 4)`, ` (lines 2, 7)`, or ` (lines 2, 7, ...)` when `count` rows were flagged and
/// only the first lines are kept; empty for a finding about no line (a config setting).
fn lines_text(first_lines: &[u64], count: u64) -> String {
    let lines: Vec<String> = first_lines.iter().map(u64::to_string).collect();
    match lines.as_slice() {
        [] => String::new(),
        [one] if count == 1 => format!(" (line {one})"),
        some if count > some.len() as u64 => format!(" (lines {}, ...)", some.join(", ")),
        many => format!(" (lines {})", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six test orders with five first lines kept read "lines ..., ...", not as five rows.
    #[test]
    fn the_first_lines_say_when_more_follow() {
        assert_eq!(lines_text(&[4], 1), " (line 4)");
        assert_eq!(lines_text(&[2, 7], 2), " (lines 2, 7)");
        assert_eq!(lines_text(&[4], 3), " (lines 4, ...)");
        assert_eq!(
            lines_text(&[328, 845, 1369, 1454, 1869], 6),
            " (lines 328, 845, 1369, 1454, 1869, ...)"
        );
        assert_eq!(lines_text(&[], 2), "");
    }

    #[test]
    fn a_kpi_that_becomes_measurable_is_shown_as_moved() {
        let k = |previous: Option<f64>, current: Option<f64>, trend: Trend| KpiChange {
            name: "repeat_rate".into(),
            previous,
            current,
            change: previous.zip(current).map(|(p, c)| c - p),
            trend,
        };
        assert!(shown_as_moved(&k(None, Some(0.267), Trend::NotComparable)));
        assert!(shown_as_moved(&k(Some(0.267), None, Trend::NotComparable)));
        assert!(!shown_as_moved(&k(None, None, Trend::NotComparable)));
        assert!(!shown_as_moved(&k(Some(0.2), Some(0.2), Trend::Unchanged)));
        assert!(shown_as_moved(&k(Some(0.2), Some(0.3), Trend::Better)));
    }

    /// The Change column is the difference of the values as shown: 1.715 -> 1.754 WISMO per
    /// 100 reads 1.72 | 1.75, so +0.03 (the exact +0.039 read +0.04); a share 12.34% -> 13.46%
    /// reads 12.3% | 13.5%, so +1.2 pts (exact 1.12 read +1.1). Without a baseline value the
    /// exact change stands, and a KPI not compared has none.
    #[test]
    fn the_change_column_is_the_difference_of_the_values_shown() {
        let per100 = shown_change(Some(1.715), Some(1.754), Some(1.754 - 1.715), "per100");
        assert_eq!(fmt_change(Some(1.754 - 1.715), "per100"), "+0.04");
        assert_eq!(fmt_change(per100, "per100"), "+0.03");
        let share = shown_change(Some(0.1234), Some(0.1346), Some(0.1346 - 0.1234), "share");
        assert_eq!(fmt_change(share, "share"), "+1.2 pts");
        for (v, unit) in [
            (1.715, "per100"),
            (0.1234, "share"),
            (47.25, "hours"),
            (1234.5, "currency"),
            (0.12345, "ratio"),
            (12.5, "count"),
        ] {
            assert_eq!(
                fmt_value(Some(as_shown(v, unit)), unit),
                fmt_value(Some(v), unit)
            );
        }
        assert_eq!(shown_change(None, Some(2.0), Some(2.0), "count"), Some(2.0));
        assert_eq!(shown_change(Some(1.0), Some(2.0), None, "count"), None);
    }

    /// A p-value in the evidence is written as the title writes it (`p = 6.0e-5`), never
    /// rounded to `0.000`.
    #[test]
    fn evidence_p_values_use_the_title_format() {
        let p = Evidence::new("p (two-sided)", 6.0e-5, "p-value");
        assert_eq!(fmt_evidence(&p, None), "p (two-sided): 6.0e-5");
        let poisson = Evidence::new("chance of as many tickets", 0.0012, "p-value");
        assert_eq!(
            fmt_evidence(&poisson, None),
            "chance of as many tickets: 0.0012"
        );
        let p = Evidence::new("p (two-sided)", 0.384, "p-value");
        assert_eq!(fmt_evidence(&p, None), "p (two-sided): 0.38");
    }

    /// Tickets are shown whole, as the support cost's basis counts them ("22 tickets above an
    /// even spread"); report.json keeps monday-surge's 21.714.
    #[test]
    fn evidence_tickets_are_whole() {
        let excess = Evidence::new(
            "tickets above an even seventh",
            44.0 - 156.0 / 7.0,
            "tickets",
        );
        assert_eq!(
            fmt_evidence(&excess, None),
            "tickets above an even seventh: 22"
        );
        let spike = Evidence::new("WISMO tickets on spike days", 12.0, "tickets");
        assert_eq!(
            fmt_evidence(&spike, None),
            "WISMO tickets on spike days: 12"
        );
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.4, Some("BRL")), "1,234,567 BRL");
        assert_eq!(money(-950.0, None), "-950");
        assert_eq!(money(0.4, None), "0");
        assert_eq!(money(-0.4, None), "0");
        assert_eq!(money(2.5, None), "3");
        assert_eq!(money(1.2e19, None), "12,000,000,000,000,000,000");
        assert_eq!(money(f64::INFINITY, None), "n/a");
    }
}
