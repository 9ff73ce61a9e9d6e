//! `report.md`: the report for a CI job summary (`$GITHUB_STEP_SUMMARY`) or a PR comment: the
//! headline, the ranked snags with their status against the baseline, then folded away (`<details>`)
//! each snag's evidence, impact terms and breakdown, and the KPIs.
//! Every string from the data is Markdown-escaped by the template environment.

use minijinja::{context, Value};

use super::{template, view, Exporter, Report};
use crate::error::Result;

pub struct MarkdownReport;

const TEMPLATE: &str = include_str!("templates/report.md");

impl Exporter for MarkdownReport {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let v = view::build(r);
        let start_here = v
            .snags
            .iter()
            .filter(|s| s.quadrant == "start-here")
            .count();
        let ctx = context! {
            v => Value::from(minijinja::value::Serde(&v)),
            start_here => start_here,
        };
        template::render(self.file_name(), TEMPLATE, ctx)
    }
}
