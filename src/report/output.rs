//! The output manager: creates every output file before the analysis starts (so a bad `--out`
//! fails at once), then fills them from the exporters and the journey tables.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{csv, json, Exporter, Report};
use crate::error::{Error, Result};
use crate::pipeline::Analysis;

/// The report exporters written under `--out`.
fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(json::JsonExporter),
        Box::new(csv::SnagsCsv),
        Box::new(csv::KpisCsv),
        Box::new(csv::DataQualityCsv),
    ]
}

/// Tables written from frames.
const TABLE_FILES: [&str; 4] = [
    "journeys.csv",
    "customers.csv",
    "tickets.csv",
    "event_log.csv",
];
/// Written only with `--ocel`.
pub const OCEL_FILE: &str = "event_log.jsonocel";

/// Open output files, created empty up front.
pub struct Outputs {
    dir: PathBuf,
    files: Vec<(String, File)>,
}

impl Outputs {
    /// Creates `dir` and every output file in it.
    ///
    /// Errors: the folder or a file cannot be created.
    pub fn create(dir: &Path, ocel: bool) -> Result<Outputs> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut files = Vec::new();
        let names = exporters()
            .iter()
            .map(|e| e.file_name().to_string())
            .chain(TABLE_FILES.iter().map(|s| s.to_string()))
            .chain(ocel.then(|| OCEL_FILE.to_string()))
            .collect::<Vec<_>>();
        for name in names {
            let path = dir.join(&name);
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            files.push((name, f));
        }
        Ok(Outputs {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Writes every output. Returns the paths written.
    pub fn write(self, analysis: &mut Analysis) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (name, file) in self.files {
            let path = self.dir.join(&name);
            let _t = crate::timings::span(format!("write {name}"));
            let mut w = BufWriter::new(file);
            let io = |e: std::io::Error| Error::io(&path, e);
            match name.as_str() {
                "journeys.csv" => crate::journey::write_csv(&mut analysis.journeys.orders, &mut w)?,
                "customers.csv" => {
                    crate::journey::write_csv(&mut analysis.journeys.customers, &mut w)?
                }
                "event_log.csv" => {
                    let mut events = {
                        let _t = crate::timings::span("event_log::events");
                        crate::event_log::events(&analysis.journeys)?
                    };
                    crate::journey::write_csv(&mut events, &mut w)?
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
                "tickets.csv" => match &mut analysis.journeys.tickets {
                    Some(t) => crate::journey::write_csv(t, &mut w)?,
                    None => w
                        .write_all(b"no tickets table in the inputs\n")
                        .map_err(io)?,
                },
                _ => {
                    let bytes = serialize_named(&name, &analysis.report)?;
                    w.write_all(&bytes).map_err(io)?;
                }
            }
            w.flush().map_err(io)?;
            written.push(path);
        }
        Ok(written)
    }
}

fn serialize_named(name: &str, report: &Report) -> Result<Vec<u8>> {
    exporters()
        .into_iter()
        .find(|e| e.file_name() == name)
        .map(|e| e.serialize(report))
        .unwrap_or_else(|| Ok(Vec::new()))
}
