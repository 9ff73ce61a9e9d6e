//! The CSV exports of the report: `snags.csv`, `kpis.csv`, `data_quality.csv`.
//!
//! Every text cell goes through [`safe_text`]: text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or carriage return) are prefixed with `'` (OWASP CSV injection guidance).

use super::{Exporter, Report};
use crate::error::{Error, Result};

/// The characters that make a spreadsheet run a text cell as a formula when the cell starts with
/// one: `=`, `+`, `-`, `@`, tab, carriage return. All ASCII, so a text starts with one of them
/// exactly when its first byte is one of these bytes.
pub const FORMULA_START_BYTES: &[u8] = b"=+-@\t\r";

/// Neutralises a text cell for spreadsheets: a `'` before a cell starting with one of
/// [`FORMULA_START_BYTES`].
pub fn safe_text(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b) if FORMULA_START_BYTES.contains(b) => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// A number cell: empty for null, shortest round-trip form otherwise.
pub fn num(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn write_rows(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>> {
    let err = |e: ::csv::Error| Error::Output {
        path: name.into(),
        message: e.to_string(),
    };
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| Error::Output {
        path: name.into(),
        message: e.to_string(),
    })
}

pub struct SnagsCsv;

impl Exporter for SnagsCsv {
    fn file_name(&self) -> &'static str {
        "snags.csv"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let rows = r
            .snags
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let evidence = s
                    .evidence
                    .iter()
                    .map(|e| format!("{}={}", e.name, e.value))
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    (i + 1).to_string(),
                    safe_text(s.id),
                    safe_text(s.stage.as_str()),
                    safe_text(&s.title),
                    safe_text(s.quadrant.as_str()),
                    num(s.impact_per_30d),
                    safe_text(&format!("{:?}", s.effort).to_lowercase()),
                    s.affected_orders.to_string(),
                    s.affected_customers.to_string(),
                    safe_text(s.automation),
                    safe_text(s.kpi.name),
                    num(s.kpi.value),
                    safe_text(&evidence),
                ]
            })
            .collect();
        write_rows(
            self.file_name(),
            &[
                "rank",
                "id",
                "stage",
                "title",
                "quadrant",
                "impact_per_30d",
                "effort",
                "affected_orders",
                "affected_customers",
                "automation",
                "kpi",
                "kpi_value",
                "evidence",
            ],
            rows,
        )
    }
}

pub struct KpisCsv;

impl Exporter for KpisCsv {
    fn file_name(&self) -> &'static str {
        "kpis.csv"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let rows = kpi_pairs(r)?
            .into_iter()
            .map(|(k, v)| vec![safe_text(&k), v])
            .collect();
        write_rows(self.file_name(), &["kpi", "value"], rows)
    }
}

/// The KPIs as (name, value) pairs in report order; null values are empty strings.
pub fn kpi_pairs(r: &Report) -> Result<Vec<(String, String)>> {
    let value = serde_json::to_value(&r.kpis).map_err(|e| Error::Output {
        path: "kpis".into(),
        message: e.to_string(),
    })?;
    let serde_json::Value::Object(map) = value else {
        return Ok(Vec::new());
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, v)
        })
        .collect())
}

pub struct DataQualityCsv;

impl Exporter for DataQualityCsv {
    fn file_name(&self) -> &'static str {
        "data_quality.csv"
    }

    fn serialize(&self, r: &Report) -> Result<Vec<u8>> {
        let rows = r
            .data_quality
            .iter()
            .map(|e| {
                vec![
                    safe_text(&e.file),
                    safe_text(&e.reason),
                    safe_text(
                        &serde_json::to_value(e.effect)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    ),
                    e.count.to_string(),
                    e.first_lines
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                    safe_text(e.example.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        write_rows(
            self.file_name(),
            &[
                "file",
                "reason",
                "effect",
                "count",
                "first_lines",
                "example",
            ],
            rows,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_text("+1"), "'+1");
        assert_eq!(safe_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_text("-2+3"), "'-2+3");
        assert_eq!(safe_text("plain"), "plain");
    }
}
