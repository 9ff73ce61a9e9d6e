//! `report.html`: one self-contained page (inline CSS and SVG, no script, font, image or link to
//! fetch) that opens from a file share or an e-mail attachment and prints cleanly.
//!
//! The page is a minijinja template with HTML auto-escaping, so every string from the data
//! (titles, lane labels, file names, examples) is escaped; only the SVG charts, which plotters
//! escapes itself, are inserted as safe.

use minijinja::{context, Value};

use super::{charts, template, view, Exporter, Report};
use crate::error::Result;

pub struct HtmlReport;

const TEMPLATE: &str = include_str!("templates/report.html");

impl Exporter for HtmlReport {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let v = view::build(r);
        let svg = |s: Option<String>| s.map(Value::from_safe_string);
        let ctx = context! {
            version => env!("CARGO_PKG_VERSION"),
            v => Value::from(minijinja::value::Serde(&v)),
            matrix_svg => svg(charts::matrix(r)?),
            matrix_note => "no snag raised: every check is clear or lacked data",
            fulfillment_svg => svg(charts::fulfillment(&r.charts)?),
            fulfillment_note => no_fulfillment(r),
            wismo_svg => svg(charts::wismo_daily(&r.charts)?),
            wismo_note => no_wismo(r),
            cohorts_svg => svg(charts::cohorts(&r.charts)?),
            cohorts_note => no_cohorts(r),
            repeat_svg => svg(charts::repeat_by_experience(&r.charts)?),
            repeat_note => no_repeat(r),
            repeat_window_days => r.repeat_window_days,
        };
        template::render(self.file_name(), TEMPLATE, ctx)
    }
}

fn no_fulfillment(r: &Report) -> &'static str {
    if r.kpis.orders_shipped.unwrap_or(0) == 0 {
        "no order has a ship time (no shipments export and no fulfilled_at in the orders)"
    } else {
        "no order-to-ship time could be measured"
    }
}

fn no_wismo(r: &Report) -> &'static str {
    match (r.kpis.tickets, r.kpis.wismo_tickets) {
        (None, _) => "no tickets export among the inputs",
        (Some(0), _) => "the tickets export has no tickets",
        (_, Some(0)) => "no ticket asks where an order is",
        _ => "the daily WISMO series was not computed for these inputs",
    }
}

fn no_cohorts(r: &Report) -> &'static str {
    if r.kpis.customers.unwrap_or(0) == 0 {
        "no customer id or e-mail links orders to customers"
    } else {
        "the cohort series was not computed for these inputs"
    }
}

fn no_repeat(r: &Report) -> String {
    if r.kpis.repeat_rate.is_none() {
        format!(
            "no customer's first order is at least {} days before the data end",
            r.repeat_window_days
        )
    } else {
        "repeat rates by first-order experience were not computed for these inputs".into()
    }
}
