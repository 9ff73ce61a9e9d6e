//! The output manager: creates every output file before the analysis starts (so a bad `--out`
//! fails at once), then fills them from the exporters and the journey tables.
//!
//! The journey tables are the only outputs written from frames; their Polars calls live here,
//! not in the exporters.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{csv, html, json, md, Exporter, Report};
use crate::error::{Error, Result};
use crate::pipeline::Analysis;

/// File format of the per-order journeys table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum JourneysFormat {
    /// `journeys.csv`, text cells neutralised for spreadsheets.
    #[default]
    Csv,
    /// `journeys.parquet`, typed columns as built (for Polars, DuckDB, pandas).
    Parquet,
}

impl JourneysFormat {
    fn file_name(self) -> &'static str {
        match self {
            JourneysFormat::Csv => "journeys.csv",
            JourneysFormat::Parquet => "journeys.parquet",
        }
    }
}

/// The report exporters written under `--out`.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(json::JsonExporter),
        Box::new(html::HtmlReport),
        Box::new(md::MarkdownReport),
        Box::new(csv::SnagsCsv),
        Box::new(csv::KpisCsv),
        Box::new(csv::DataQualityCsv),
    ]
}

const CUSTOMERS_CSV: &str = "customers.csv";
/// Linked tickets with their WISMO verdict (a placeholder line without a tickets table).
const TICKETS_CSV: &str = "tickets.csv";
/// One row per event (PM4Py column names).
const EVENT_LOG_CSV: &str = "event_log.csv";
/// Written only with `--ocel`.
pub const OCEL_FILE: &str = "event_log.jsonocel";

/// Open output files, created up front as hidden `.NAME.partial` files and renamed into place
/// only when every output is written: a bad `--out` fails at once, and a run that fails later
/// leaves the previous run's reports untouched.
pub struct Outputs {
    dir: PathBuf,
    files: Vec<(String, File)>,
}

fn partial(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.partial"))
}

impl Drop for Outputs {
    /// Removes the partial files of a run that did not finish (nothing to do after `write`).
    fn drop(&mut self) {
        for (name, _) in &self.files {
            let _ = std::fs::remove_file(partial(&self.dir, name));
        }
    }
}

impl Outputs {
    /// Creates `dir` and every output file in it.
    ///
    /// Errors: the folder or a file cannot be created.
    pub fn create(dir: &Path, journeys: JourneysFormat, ocel: bool) -> Result<Outputs> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut files = Vec::new();
        let names = exporters()
            .iter()
            .map(|e| e.file_name().to_string())
            .chain([
                journeys.file_name().to_string(),
                CUSTOMERS_CSV.to_string(),
                TICKETS_CSV.to_string(),
                EVENT_LOG_CSV.to_string(),
            ])
            .chain(ocel.then(|| OCEL_FILE.to_string()))
            .collect::<Vec<_>>();
        for name in names {
            let path = partial(dir, &name);
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            files.push((name, f));
        }
        Ok(Outputs {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Writes every output. Returns the paths written.
    pub fn write(mut self, analysis: &mut Analysis) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        let files = std::mem::take(&mut self.files);
        // Kept for `Drop`, which removes the partial files if a write below fails.
        self.files = files
            .iter()
            .map(|(n, f)| f.try_clone().map(|f| (n.clone(), f)))
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(&self.dir, e))?;
        for (name, file) in files {
            let path = partial(&self.dir, &name);
            let _t = crate::timings::span(format!("write {name}"));
            let mut w = BufWriter::new(file);
            let io = |e: std::io::Error| Error::io(&path, e);
            match name.as_str() {
                "journeys.csv" => {
                    let mut df = spreadsheet_safe(&analysis.journeys.orders)?;
                    crate::journey::write_csv(&mut df, &mut w)?;
                }
                "journeys.parquet" => {
                    let mut df = analysis.journeys.orders.clone();
                    ParquetWriter::new(&mut w).finish(&mut df)?;
                }
                CUSTOMERS_CSV => {
                    let mut df = spreadsheet_safe(&analysis.journeys.customers)?;
                    crate::journey::write_csv(&mut df, &mut w)?;
                }
                TICKETS_CSV => match &analysis.journeys.tickets {
                    Some(t) => {
                        let mut df = spreadsheet_safe(t)?;
                        crate::journey::write_csv(&mut df, &mut w)?;
                    }
                    None => w
                        .write_all(b"no tickets table in the inputs\n")
                        .map_err(io)?,
                },
                EVENT_LOG_CSV => {
                    let events = crate::event_log::events(&analysis.journeys)?;
                    let mut df = spreadsheet_safe(&events)?;
                    crate::journey::write_csv(&mut df, &mut w)?;
                }
                OCEL_FILE => {
                    let events = crate::event_log::events(&analysis.journeys)?;
                    crate::event_log::write_ocel(
                        &analysis.journeys,
                        &analysis.store,
                        &events,
                        &mut w,
                    )?
                }
                _ => {
                    let bytes = serialize_named(&name, &analysis.report)?;
                    w.write_all(&bytes).map_err(io)?;
                }
            }
            w.flush().map_err(io)?;
            written.push(name);
        }
        // Every output is complete: move them into place together.
        let mut finals = Vec::new();
        for name in written {
            let target = self.dir.join(&name);
            std::fs::rename(partial(&self.dir, &name), &target)
                .map_err(|e| Error::io(&target, e))?;
            finals.push(target);
        }
        Ok(finals)
    }
}

fn serialize_named(name: &str, report: &Report) -> Result<Vec<u8>> {
    exporters()
        .into_iter()
        .find(|e| e.file_name() == name)
        .map(|e| e.serialize(report))
        .unwrap_or_else(|| Ok(Vec::new()))
}

/// The characters that make a spreadsheet read a cell as a formula (see [`csv::safe_text`]).
const FORMULA_STARTS: [&str; 6] = ["=", "+", "-", "@", "\t", "\r"];

/// `c` with a `'` before every value that a spreadsheet would run as a formula; the same rule as
/// [`csv::safe_text`], as an expression over a String column.
pub fn safe_text_expr(c: &str) -> Expr {
    let risky = FORMULA_STARTS
        .iter()
        .map(|p| col(c).str().starts_with(lit(*p)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    when(risky.fill_null(lit(false)))
        .then(concat_str([lit("'"), col(c)], "", false))
        .otherwise(col(c))
        .alias(c)
}

/// A copy of `df` whose String columns are neutralised for spreadsheets; other columns as they
/// are (numbers and dates cannot hold a formula).
pub fn spreadsheet_safe(df: &DataFrame) -> Result<DataFrame> {
    let text: Vec<Expr> = df
        .schema()
        .iter()
        .filter(|(_, dt)| **dt == DataType::String)
        .map(|(name, _)| safe_text_expr(name.as_str()))
        .collect();
    if text.is_empty() {
        return Ok(df.clone());
    }
    Ok(df.clone().lazy().with_columns(text).collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_are_neutralised_like_safe_text() {
        let df = df! {
            "order_id" => ["=HYPERLINK(\"http://x\",\"y\")", "1001", "-5", "@SUM(A1)"],
            "carrier" => [Some("+cmd"), None, Some("UPS"), Some("\tx")],
            "total" => [1.0, -2.0, 3.0, 4.0],
        }
        .unwrap();
        let out = spreadsheet_safe(&df).unwrap();
        let ids: Vec<Option<&str>> = out
            .column("order_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        let expected: Vec<String> = ["=HYPERLINK(\"http://x\",\"y\")", "1001", "-5", "@SUM(A1)"]
            .iter()
            .map(|s| csv::safe_text(s))
            .collect();
        assert_eq!(
            ids,
            expected
                .iter()
                .map(|s| Some(s.as_str()))
                .collect::<Vec<_>>()
        );
        let carriers: Vec<Option<&str>> = out
            .column("carrier")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            carriers,
            vec![Some("'+cmd"), None, Some("UPS"), Some("'\tx")]
        );
        assert_eq!(
            out.column("total").unwrap().f64().unwrap().get(1),
            Some(-2.0)
        );
    }
}
