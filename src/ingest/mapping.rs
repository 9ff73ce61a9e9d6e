//! `[[mapping]]` tables of `snagscan.toml`: how to read an export that no built-in format
//! recognises. A mapping names the files it applies to (a glob on the file name, which may have
//! any extension, e.g. `.txt`), the table kind, and for each canonical column the header that
//! holds it, `"@line"` (the record's line number, a synthetic identifier) or a constant.
//!
//! ```toml
//! [[mapping]]
//! file = "CDNOW_master.txt"
//! kind = "orders"
//! delimiter = "whitespace"
//! date_format = "%Y%m%d"
//! columns = { order_id = "@line", customer_id = "customer_id", placed_at = "date", total = "dollar_value" }
//! constants = { currency = "USD" }
//! ```

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Deserialize;

use super::formats::{self, normalise_header, FormatSpec, Source};
use super::frame::ReadOptions;
use super::read::{glob_match, Delimiter};
use super::value::SlashOrder;
use crate::error::{Error, Result};
use crate::schema::TableKind;

/// The marker for "the record's line number" in `columns`.
pub const LINE_MARKER: &str = "@line";

/// A `[[mapping]]` table as written in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingTable {
    /// File name or glob (`*`, `?`), matched against the names of the files in the folder.
    pub file: String,
    /// `orders`, `line_items`, `shipments`, `tickets`, `reviews` or `customers`.
    pub kind: String,
    /// Canonical column -> header (or `"@line"`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical column -> value for every row.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// chrono format for every timestamp of the file (e.g. `%Y%m%d`, `%d.%m.%Y %H:%M`).
    pub date_format: Option<String>,
    /// Slash dates are `dd/mm/yyyy` (true) or `mm/dd/yyyy` (false).
    pub day_first: Option<bool>,
    /// A single character, `tab`, or `whitespace` (runs of spaces, no quoting).
    pub delimiter: Option<String>,
    pub decimal_comma: Option<bool>,
    /// IANA time zone for this file's naive timestamps (default: the store's).
    pub timezone: Option<String>,
}

/// A validated mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub file: String,
    pub kind: TableKind,
    /// Canonical column -> header name or `@line`.
    pub columns: BTreeMap<String, String>,
    pub constants: BTreeMap<String, String>,
    pub delimiter: Option<Delimiter>,
    /// How this file's cells are read (the store's options with this mapping's overrides).
    pub read: ReadOptions,
}

fn kind_of(name: &str) -> Option<TableKind> {
    Some(match name {
        "orders" => TableKind::Orders,
        "line_items" => TableKind::LineItems,
        "shipments" => TableKind::Shipments,
        "tickets" => TableKind::Tickets,
        "reviews" => TableKind::Reviews,
        "customers" => TableKind::Customers,
        _ => return None,
    })
}

impl MappingTable {
    /// Validates the table against the canonical columns of its kind.
    ///
    /// Errors: unknown kind, canonical column, delimiter or time zone; a column both mapped and
    /// constant.
    pub fn resolve(&self, base: &ReadOptions, config_file: &str) -> Result<Mapping> {
        let err = |message: String| Error::Config {
            file: config_file.to_string(),
            message: format!("[[mapping]] file = \"{}\": {message}", self.file),
        };
        let kind = kind_of(&self.kind).ok_or_else(|| {
            err(format!(
                "unknown kind '{}' (use orders, line_items, shipments, tickets, reviews or customers)",
                self.kind
            ))
        })?;
        let spec = super::canonical_spec(kind);
        let known: Vec<&str> = spec.columns.iter().map(|c| c.canonical).collect();
        for name in self.columns.keys().chain(self.constants.keys()) {
            if !known.contains(&name.as_str()) {
                return Err(err(format!(
                    "'{name}' is not a column of {kind} (columns: {})",
                    known.join(", ")
                )));
            }
            if self.columns.contains_key(name) && self.constants.contains_key(name) {
                return Err(err(format!("'{name}' is both mapped and a constant")));
            }
        }
        let delimiter = match &self.delimiter {
            None => None,
            Some(d) => Some(Delimiter::from_config(d).ok_or_else(|| {
                err(format!(
                    "delimiter '{d}': use one character, \"tab\" or \"whitespace\""
                ))
            })?),
        };
        let mut read = base.clone();
        if let Some(tz) = &self.timezone {
            read.timezone = tz
                .parse::<Tz>()
                .map_err(|_| err(format!("unknown time zone '{tz}'")))?;
        }
        if let Some(day_first) = self.day_first {
            read.slash_order = if day_first {
                SlashOrder::DayFirst
            } else {
                SlashOrder::MonthFirst
            };
        }
        if let Some(dc) = self.decimal_comma {
            read.decimal_comma = dc;
        }
        if let Some(f) = &self.date_format {
            // An unknown `%` directive fails every cell later, with a message that points back
            // here; said at once instead.
            let broken = chrono::format::StrftimeItems::new(f)
                .any(|item| matches!(item, chrono::format::Item::Error));
            if broken {
                return Err(err(format!(
                    "date_format '{f}' is not a chrono format (see docs/formats.md: %Y-%m-%d %H:%M:%S, %d.%m.%Y...)"
                )));
            }
            read.date_format = Some(f.clone());
        }
        Ok(Mapping {
            file: self.file.clone(),
            kind,
            columns: self.columns.clone(),
            constants: self.constants.clone(),
            delimiter,
            read,
        })
    }
}

impl Mapping {
    /// True when this mapping applies to a file of this name.
    pub fn matches(&self, file_name: &str) -> bool {
        glob_match(&self.file, file_name)
    }

    /// The canonical spec the mapped file is read into.
    pub fn spec(&self) -> &'static FormatSpec {
        super::canonical_spec(self.kind)
    }

    /// Where each canonical column comes from: the mapped header, `@line`, a constant, or (for
    /// an unmapped column) a header with the canonical name.
    ///
    /// Errors: a mapped header the file does not have (with the closest header).
    pub fn positions(&self, file: &str, headers: &[String]) -> Result<Vec<Option<Source>>> {
        let spec = self.spec();
        let normalised: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        let by_name = formats::positions_of(spec, &normalised);
        spec.columns
            .iter()
            .zip(by_name)
            .map(|(c, default)| {
                if let Some(v) = self.constants.get(c.canonical) {
                    return Ok(Some(Source::Constant(v.clone())));
                }
                let Some(header) = self.columns.get(c.canonical) else {
                    return Ok(default);
                };
                if header == LINE_MARKER {
                    return Ok(Some(Source::Line));
                }
                let exact = headers.iter().position(|h| h == header);
                let loose = || {
                    let n = normalise_header(header);
                    normalised.iter().position(|h| *h == n)
                };
                match exact.or_else(loose) {
                    Some(p) => Ok(Some(Source::Header(p))),
                    None => Err(Error::MissingColumn {
                        file: file.to_string(),
                        column: header.clone(),
                        format: "mapping".into(),
                        kind: self.kind.to_string(),
                        suggestion: formats::closest_header(header, headers),
                    }),
                }
            })
            .collect()
    }
}
