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

/// Why the order-to-ship histogram is empty: the inputs say nothing about shipping, or no
/// order has shipped, or the shipped ones have no order-to-ship time.
fn no_fulfillment(r: &Report) -> &'static str {
    match r.kpis.orders_shipped {
        None => {
            "no shipping data in the inputs (no shipments export, and no ship time or \
             fulfillment status in the orders)"
        }
        Some(0) => {
            "no order has shipped (none has a ship time, a shipment row or a fulfillment status \
             that says shipped)"
        }
        Some(_) => {
            "no shipped order has an order-to-ship time (the inputs give no ship time, or only \
             ones before placement or with a mistyped year, counted in data quality)"
        }
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
