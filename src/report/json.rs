//! `report.json`: the versioned, machine-readable report.

use super::{Exporter, Report};
use crate::error::{Error, Result};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "report.json"
    }

    fn serialize(&self, report: &Report) -> Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(report).map_err(|e| Error::Output {
            path: self.file_name().into(),
            message: e.to_string(),
        })?;
        out.push(b'\n');
        Ok(out)
    }
}
