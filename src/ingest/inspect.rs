//! `snagscan inspect DIR`: what each file was recognised as, how many rows it holds, which header
//! each canonical column came from, and, for a skipped file, why and which format it nearly was.

use std::fmt::Write as _;
use std::path::Path;

use super::formats::Source;
use super::frame::ReadOptions;
use super::mapping::Mapping;
use super::{plan_file, read, read_table, FilePlan, SkippedFile};
use crate::error::{Error, Result};
use crate::quality::{DataQuality, Effect};
use crate::schema::TableKind;

/// What `inspect` found in one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileInspection {
    pub file: String,
    /// One entry per table read from the file (Shopify: orders and line items).
    pub tables: Vec<TableInspection>,
    /// Why the file is not used, when it is not.
    pub skipped: Option<String>,
    /// The nearest format of a skipped file and the required columns it lacks.
    pub nearest: Option<String>,
    /// The error that stops `analyze` on this file, if any.
    pub error: Option<String>,
    /// Parquet: line numbers in messages are row index + 2.
    pub parquet: bool,
    /// File-level findings, as `analyze` counts them in data_quality.csv: lines repaired while
    /// decoding, and headers repeated, read under two names, or not read though they look
    /// meant for a column (`header 'paid_at' is not read: ...`), with the count when above 1.
    pub notes: Vec<String>,
}

/// One table read from a file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableInspection {
    pub kind: TableKind,
    pub format: String,
    pub rows: u64,
    /// (canonical column, where it came from: a header, `@line` or a constant).
    pub columns: Vec<(String, String)>,
    pub tracking_numbers: Option<u64>,
    /// Rows dropped / values nulled / warnings while reading this table; dropped rows include
    /// the orders `analyze` leaves out for their own values (no usable placed_at, test orders),
    /// not those it leaves out against other files (a shipment for an order not in them).
    pub dropped: u64,
    pub nulled: u64,
    pub warnings: u64,
    /// Each finding's reason and count, in `analyze`'s order.
    pub reasons: Vec<(String, u64)>,
}

/// Inspects every input file of `dir` (as `analyze` would read them, with the same mappings).
/// A broken file is reported, not raised, so that one bad file does not hide the others.
///
/// Errors: the folder is missing or cannot be listed.
pub fn inspect(
    dir: &Path,
    opts: &ReadOptions,
    mappings: &[Mapping],
) -> Result<Vec<FileInspection>> {
    let globs: Vec<String> = mappings.iter().map(|m| m.file.clone()).collect();
    let mut out = Vec::new();
    for path in read::list_inputs(dir, &globs)? {
        let name = super::file_name(&path);
        let mut fi = FileInspection {
            file: name,
            tables: Vec::new(),
            skipped: None,
            nearest: None,
            error: None,
            parquet: false,
            notes: Vec::new(),
        };
        match plan_file(&path, opts, mappings) {
            Err(e) => fi.error = Some(e.to_string()),
            Ok(FilePlan::Skipped {
                reason, nearest, ..
            }) => {
                fi.skipped = Some(reason);
                fi.nearest = nearest.map(|n| {
                    if n.missing.is_empty() {
                        format!("{} {}", n.format, n.kind)
                    } else {
                        format!("{} {} (lacks {})", n.format, n.kind, n.missing.join(", "))
                    }
                });
            }
            Ok(FilePlan::Read { raw, tables, opts }) => {
                fi.parquet = raw.is_parquet;
                fi.notes = super::file_notes(&raw, &tables)
                    .entries()
                    .into_iter()
                    .map(|e| match e.count {
                        1 => e.reason,
                        n => format!("{} ({n} lines)", e.reason),
                    })
                    .collect();
                for t in &tables {
                    let mut dq = DataQuality::default();
                    match read_table(&raw, t, &opts, &mut dq) {
                        Err(e) => {
                            fi.error = Some(e.to_string());
                            break;
                        }
                        Ok((input, ff)) => {
                            // The orders `analyze` drops for their own values once read are
                            // dropped rows here too (`analyze` is the reference).
                            if input.kind == TableKind::Orders {
                                if let Err(e) = super::audit_orders_not_kept(&ff.frame, &mut dq) {
                                    fi.error = Some(e.to_string());
                                    break;
                                }
                            }
                            let count = |effect: Effect| -> u64 {
                                dq.entries()
                                    .iter()
                                    .filter(|e| e.effect == effect)
                                    .map(|e| e.count)
                                    .sum()
                            };
                            let columns = t
                                .spec
                                .columns
                                .iter()
                                .zip(&t.positions)
                                .filter_map(|(c, p)| {
                                    let from = match p.as_ref()? {
                                        // A time column known to the day only (README,
                                        // **Date-only times**).
                                        Source::Header(i)
                                            if ff.date_only.contains(&c.canonical)
                                                && crate::journey::measured_in_days(
                                                    input.kind,
                                                    c.canonical,
                                                ) =>
                                        {
                                            format!(
                                                "'{}' (dates only: waits in whole days)",
                                                raw.headers.get(*i)?
                                            )
                                        }
                                        Source::Header(i) => {
                                            format!("'{}'", raw.headers.get(*i)?)
                                        }
                                        Source::Line => "@line (line number)".to_string(),
                                        Source::Constant(v) => format!("constant '{v}'"),
                                    };
                                    // Helper columns (`_first_reply_minutes`) show without the `_`.
                                    let name = c.canonical.trim_start_matches('_');
                                    Some((name.to_string(), from))
                                })
                                .collect();
                            fi.tables.push(TableInspection {
                                kind: input.kind,
                                format: input.format,
                                rows: input.rows,
                                columns,
                                tracking_numbers: input.tracking_numbers,
                                dropped: count(Effect::RowDropped),
                                nulled: count(Effect::ValueNulled),
                                warnings: count(Effect::Warning),
                                reasons: dq
                                    .entries()
                                    .into_iter()
                                    .map(|e| (e.reason, e.count))
                                    .collect(),
                            });
                        }
                    }
                }
            }
        }
        out.push(fi);
    }
    Ok(out)
}

/// The error `analyze` stops with when no file of the folder is read as a table: the folder has
/// no input file, or every one was skipped ([`Error::NoInputs`], naming each skipped file with
/// its reason and nearest format). `None` when some file is read, or when some file fails (its
/// own error is listed, and `inspect` exits 2 for it).
pub fn nothing_read(dir: &Path, files: &[FileInspection]) -> Option<Error> {
    if files
        .iter()
        .any(|f| !f.tables.is_empty() || f.error.is_some())
    {
        return None;
    }
    let skipped: Vec<SkippedFile> = files
        .iter()
        .filter_map(|f| {
            let reason = f.skipped.as_ref()?;
            Some(SkippedFile {
                file: f.file.clone(),
                reason: match &f.nearest {
                    Some(n) => format!("{reason}; nearest format: {n}"),
                    None => reason.clone(),
                },
            })
        })
        .collect();
    Some(super::no_inputs(dir, &skipped))
}

/// The terminal text of an inspection.
pub fn render(files: &[FileInspection]) -> String {
    let mut t = String::new();
    if files.is_empty() {
        t.push_str(
            "no .csv, .tsv, .csv.gz, .tsv.gz or .parquet file (and no file named by a [[mapping]])\n",
        );
    }
    for f in files {
        let _ = writeln!(t, "{}", f.file);
        for tb in &f.tables {
            let _ = write!(t, "  {} ({}): {} rows", tb.kind, tb.format, tb.rows);
            if let Some(n) = tb.tracking_numbers {
                let _ = write!(t, ", {n} tracking numbers");
            }
            if f.parquet {
                t.push_str(" (Parquet: line numbers are row index + 2)");
            }
            t.push('\n');
            let width = tb.columns.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
            for (canonical, from) in &tb.columns {
                let _ = writeln!(t, "    {canonical:<width$} <- {from}");
            }
            if tb.dropped + tb.nulled + tb.warnings > 0 {
                let n = |k: u64, one: &str, many: &str| {
                    format!("{k} {}", if k == 1 { one } else { many })
                };
                let _ = writeln!(
                    t,
                    "    data quality: {} dropped, {} unusable, {} (analyze lists them in data_quality.csv)",
                    n(tb.dropped, "row", "rows"),
                    n(tb.nulled, "value", "values"),
                    n(tb.warnings, "warning", "warnings"),
                );
                for (reason, count) in &tb.reasons {
                    let _ = writeln!(t, "      {reason} x{count}");
                }
            }
        }
        for note in &f.notes {
            let _ = writeln!(t, "  note: {note}");
        }
        if let Some(reason) = &f.skipped {
            let _ = writeln!(t, "  skipped: {reason}");
            if let Some(n) = &f.nearest {
                let _ = writeln!(t, "  nearest format: {n}");
            }
        }
        if let Some(e) = &f.error {
            let _ = writeln!(t, "  error: {e}");
        }
    }
    let has_orders = files
        .iter()
        .any(|f| f.tables.iter().any(|tb| tb.kind == TableKind::Orders));
    // Some file read, none of them orders (a folder of skipped files is an error already).
    if files.iter().any(|f| !f.tables.is_empty()) && !has_orders {
        t.push_str(
            "no orders file among these: analyze needs one (orders, or an export that holds them, such as Shopify's) and stops without it\n",
        );
    }
    t
}
