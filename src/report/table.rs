//! The terminal report: summary, impact/effort matrix, ranked snags, checks and data quality.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};

use super::{Exporter, Report, Snag};
use crate::analyze::Evidence;
use crate::error::Result;
use crate::score::Quadrant;

pub struct TerminalReport {
    /// Width to lay tables out in (columns).
    pub width: u16,
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
        out.push_str(&checks(r));
        out.push_str(&quality(r));
        Ok(out.into_bytes())
    }
}

fn table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

/// Money with thousands separators and the store currency: `1,234 BRL`.
pub fn money(v: f64, currency: Option<&str>) -> String {
    let rounded = v.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if rounded < 0 { "-" } else { "" };
    match currency {
        Some(c) if !c.is_empty() => format!("{sign}{grouped} {c}"),
        _ => format!("{sign}{grouped}"),
    }
}

/// A KPI or evidence value in its unit: shares as %, hours and days with one decimal.
pub fn fmt_value(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "n/a".into(),
        Some(v) if !v.is_finite() => "n/a".into(),
        Some(v) => match unit {
            "share" => format!("{:.1}%", v * 100.0),
            "hours" => format!("{v:.1} h"),
            "days" => format!("{v:.1} d"),
            "orders" => format!("{v:.0}"),
            "points" => format!("{v:.2}"),
            "currency" => money(v, None),
            _ => format!("{v:.3}"),
        },
    }
}

/// One evidence item as `name: value (n=.., 95% CI a-b)`.
pub fn fmt_evidence(e: &Evidence) -> String {
    let mut s = format!("{}: {}", e.name, fmt_value(Some(e.value), e.unit));
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
    let cur = r.store.currency.as_deref();
    let tz_note = if r.store.timezone_assumed {
        " (assumed: no --timezone given)"
    } else {
        ""
    };
    let warnings: u64 = r.data_quality.iter().map(|e| e.count).sum();
    let mut s = String::new();
    match (&r.window.start, &r.window.end, r.window.days) {
        (Some(start), Some(end), Some(days)) => s.push_str(&format!(
            "snagscan report: {} to {} ({days:.0} days), times in {}{tz_note}\n",
            &start[..10.min(start.len())],
            &end[..10.min(end.len())],
            r.store.timezone,
        )),
        _ => s.push_str("snagscan report: no orders in the inputs\n"),
    }
    let inputs: Vec<String> = r
        .inputs
        .iter()
        .map(|i| format!("{} ({} {}, {} rows)", i.file, i.format, i.kind, i.rows))
        .collect();
    s.push_str(&format!("Inputs: {}\n", inputs.join(", ")));
    for sk in &r.skipped_files {
        s.push_str(&format!("Skipped: {}: {}\n", sk.file, sk.reason));
    }
    s.push_str(&format!(
        "Orders {} | customers {} | shipped {} | delivered {} | cancelled {} | revenue {}\n",
        k.orders,
        k.customers,
        k.orders_shipped,
        k.orders_delivered,
        fmt_value(k.cancel_share, "share"),
        k.revenue.map(|v| money(v, cur)).unwrap_or_else(|| {
            if r.revenue_by_currency.len() > 1 {
                r.revenue_by_currency
                    .iter()
                    .map(|c| money(c.revenue, Some(&c.currency)))
                    .collect::<Vec<_>>()
                    .join(" + ")
            } else {
                "n/a".into()
            }
        })
    ));
    s.push_str(&format!(
        "Order-to-ship p50 {} (p90 {}) | transit p50 {} | click-to-door p50 {} | on-time {} | overdue {}\n",
        fmt_value(k.fulfillment_wait_p50_h, "hours"),
        fmt_value(k.fulfillment_wait_p90_h, "hours"),
        fmt_value(k.transit_time_p50_h, "hours"),
        fmt_value(k.click_to_door_p50_h, "hours"),
        fmt_value(k.on_time_rate, "share"),
        k.overdue_orders
    ));
    s.push_str(&format!(
        "Tickets {} | WISMO per 100 shipped {} | repeat rate (90 d) {} | reviews on {} of delivered, mean {}\n",
        k.tickets.map(|t| t.to_string()).unwrap_or_else(|| "n/a".into()),
        k.wismo_rate_per_100.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into()),
        fmt_value(k.repeat_rate, "share"),
        fmt_value(k.review_coverage, "share"),
        fmt_value(k.review_score_mean, "points"),
    ));
    s.push_str(&format!(
        "Data-quality findings: {warnings} rows (see below)\n"
    ));
    s
}

impl TerminalReport {
    fn matrix(&self, r: &Report) -> String {
        let ids = |q: Quadrant| {
            let v: Vec<&str> = r
                .snags
                .iter()
                .filter(|s| s.quadrant == q)
                .map(|s| s.id)
                .collect();
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join("\n")
            }
        };
        let mut t = table(self.width.min(100));
        t.set_header(vec![
            Cell::new("Impact / effort"),
            Cell::new("Low effort"),
            Cell::new("Medium / high effort"),
        ]);
        t.add_row(vec![
            Cell::new("High impact"),
            Cell::new(format!("START HERE\n{}", ids(Quadrant::StartHere))),
            Cell::new(format!("PLAN NEXT\n{}", ids(Quadrant::PlanNext))),
        ]);
        t.add_row(vec![
            Cell::new("Low impact"),
            Cell::new(format!("NICE TO HAVE\n{}", ids(Quadrant::NiceToHave))),
            Cell::new(format!("HOLD OFF\n{}", ids(Quadrant::HoldOff))),
        ]);
        format!("{t}\n")
    }

    fn snag_table(&self, r: &Report) -> String {
        let cur = r.store.currency.as_deref();
        let mut t = table(self.width);
        t.set_header(vec![
            "#",
            "Snag",
            "Evidence",
            "Impact / 30 d",
            "Effort",
            "Quadrant",
            "Automation",
        ]);
        for (i, s) in r.snags.iter().enumerate() {
            t.add_row(vec![
                Cell::new(i + 1),
                Cell::new(format!("{}\n{}", s.id, s.title)),
                Cell::new(evidence_lines(s)),
                Cell::new(impact_cell(s, cur)),
                Cell::new(format!("{:?}", s.effort).to_lowercase()),
                Cell::new(s.quadrant.as_str()),
                Cell::new(s.automation),
            ]);
        }
        format!("{t}\n")
    }
}

fn evidence_lines(s: &Snag) -> String {
    let mut lines: Vec<String> = s.evidence.iter().map(fmt_evidence).collect();
    lines.push(format!(
        "affected: {} orders, {} customers",
        s.affected_orders, s.affected_customers
    ));
    if !s.breakdown.is_empty() {
        let worst: Vec<String> = s
            .breakdown
            .iter()
            .take(3)
            .map(|b| format!("{} {:.0}% of {}", b.label, b.share * 100.0, b.n))
            .collect();
        lines.push(format!("worst: {}", worst.join(", ")));
    }
    lines.join("\n")
}

fn impact_cell(s: &Snag, cur: Option<&str>) -> String {
    let mut lines = vec![money(s.impact_per_30d, cur)];
    for term in &s.impact_terms {
        match term.value_per_30d {
            Some(v) => lines.push(format!("{}: {}", term.name, money(v, None))),
            None => lines.push(format!("{}: not measured", term.name)),
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

fn quality(r: &Report) -> String {
    if r.data_quality.is_empty() {
        return "Data quality: no row dropped, changed or excluded.\n".into();
    }
    let mut s = String::from("Data quality (rows dropped, changed or excluded; first lines):\n");
    for e in &r.data_quality {
        let lines: Vec<String> = e.first_lines.iter().map(u64::to_string).collect();
        s.push_str(&format!(
            "  {}: {} x{} (lines {})\n",
            e.file,
            e.reason,
            e.count,
            lines.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.4, Some("BRL")), "1,234,567 BRL");
        assert_eq!(money(-950.0, None), "-950");
        assert_eq!(money(0.4, None), "0");
    }
}
