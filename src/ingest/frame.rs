//! Turns the raw text columns of one recognised file into a typed canonical frame.
//!
//! Output shape: one column per canonical column of the format (missing optional columns are
//! added as typed nulls), with dtypes by [`ValueType`]: Id/Text -> String, Timestamp ->
//! Datetime(ms, UTC), Money/Number/ReviewScore -> Float64, Bool -> Boolean, Promise -> three
//! columns (`{c}_deadline` Datetime(ms, UTC), `{c}_is_date` Boolean, `{c}_date` Date); plus the
//! provenance columns `src_file` (String) and `src_line` (UInt64).

use chrono::{DateTime, Datelike, Days, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use rayon::prelude::*;

use super::formats::{ColumnSpec, FormatSpec, Source, ValueType};
use super::read::{RawFile, TextColumn, TypedRead};
use super::value::{self, DstResolution, FileSlashOrder, IdIssue, SlashOrder};
use crate::error::{Error, Result};
use crate::quality::{DataQuality, Effect};
use crate::schema::{self as s, TableKind};

/// Settings that change how cells are read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Store time zone for naive timestamps and date promises.
    pub timezone: Tz,
    /// Forced slash-date order (config `date_order`); `Unknown` means infer per column, and for
    /// a column that cannot tell, from the other date columns of its table in the same file.
    pub slash_order: SlashOrder,
    /// Money uses a decimal comma (config `decimal_comma`).
    pub decimal_comma: bool,
    /// A chrono format for every timestamp of the file (a `[[mapping]]`'s `date_format`).
    pub date_format: Option<String>,
}

/// A typed frame read from one file, with the latest timestamp seen in it (for ordering files).
pub struct FileFrame {
    pub frame: DataFrame,
    pub latest: Option<DateTime<Utc>>,
    /// Canonical columns the file has (the others are typed nulls).
    pub read: Vec<&'static str>,
    /// Rows dropped without a data-quality count of their own, because the file's first table
    /// counted them: a Shopify line-item row without a `Name` (see [`parse_cells`]).
    pub dropped_counted_elsewhere: u64,
    /// In an orders table, the `order_id` (as read, see [`value::parse_id_str`]) of each row
    /// dropped for another required value it lacks (`placed_at`): what cites that order is
    /// counted as citing an order left out, not one missing from the orders file.
    pub dropped_order_ids: Vec<String>,
    /// The lines of the header line repeated inside the file (two exports joined with `cat`),
    /// ascending: each starts another block of the file, read as a separate export (see
    /// `ingest::split_blocks`). Empty for most files, and in a frame of one block.
    pub repeated_headers: Vec<u64>,
    /// Which block of its file the frame holds: 0 for the first (or only) one.
    pub block: u32,
    /// In a table of records spread over rows (Shopify orders), and in the line items read from
    /// the same file, the records none of whose rows carries an order field
    /// ([`ORDER_FIELD_MARKERS`]), by block and `order_id` (as read): the rest of an order whose
    /// first rows, with its total and status, are in another block or file (an export split
    /// for a spreadsheet's row limit, or its parts joined with `cat`). See
    /// `ingest::stack_kind`. Empty for most files.
    pub continued: OrderIdsByBlock,
    /// In the same tables, the `order_id` of each block's last record, by block: the order a
    /// split cut, whose rest starts the next part ([`Self::continued`]).
    pub last_records: OrderIdsByBlock,
    /// Timestamp columns (not promises) given as dates only: every value the file has in them
    /// is a bare date or a time of exactly 00:00:00 without an offset, read as the start of
    /// that day in the store time zone (a ShipStation `Ship Date`; `2025-03-07T00:00:00Z` is an
    /// instant). Their times are known to the day only, and the journeys measure waits to and
    /// from them in days (see `journey::DayPrecision`).
    pub date_only: Vec<&'static str>,
}

/// Order ids by the block of their file they are in (see [`FileFrame::continued`]).
pub type OrderIdsByBlock = Vec<(u32, String)>;

/// Reads every record of `file` into the canonical columns of `spec`: [`read_cells`], then
/// [`parse_cells`].
///
/// Rows missing a required value are dropped and counted; unusable optional values become null
/// and are counted. Errors: a required column absent from the header (with the closest header
/// as a suggestion), a malformed record, a slash-date column that cannot be read either way (its
/// own cells cannot tell, and the file's other date columns cannot either or disagree), or a
/// required column with no usable value in any row.
pub fn read_frame(
    file: &RawFile,
    spec: &FormatSpec,
    positions: &[Option<Source>],
    opts: &ReadOptions,
    dq: &mut DataQuality,
) -> Result<FileFrame> {
    let cells = read_cells(file, spec, positions)?;
    parse_cells(file, spec, cells, opts, dq)
}

/// The text cells of the columns of `spec` present in `file`, before any is parsed: once every
/// table of a file has its cells, the file's text can be released
/// ([`RawFile::release_text`]).
pub struct TableCells {
    present: Vec<(ColumnSpec, Source)>,
    raw: super::read::RawColumns,
    /// Per present column, the stored Parquet column when it is read without text
    /// ([`typed_read`]); those columns are not in `raw`.
    typed: Vec<Option<Column>>,
}

/// The cells of one column as read: text (a CSV column, a Parquet column of text or of a type
/// read through text), or a Parquet column of a type read as stored ([`TypedRead`]).
enum Cells {
    Text(TextColumn),
    Typed(Column),
}

impl Cells {
    fn text(&self) -> Option<&TextColumn> {
        match self {
            Cells::Text(t) => Some(t),
            Cells::Typed(_) => None,
        }
    }

    /// The cells as text, row by row (`None` for a stored null): a text column, or a stored
    /// text column; `None` for a stored time or number.
    fn strs(&self) -> Option<Box<dyn Iterator<Item = Option<&str>> + '_>> {
        match self {
            Cells::Text(t) => Some(Box::new(t.iter().map(Some))),
            Cells::Typed(c) => Some(Box::new(c.str().ok()?.iter())),
        }
    }

    /// Per row, whether the cell is empty (blank text, a null value).
    fn empty(&self) -> Vec<bool> {
        match self {
            Cells::Typed(c) if c.str().is_err() => {
                c.is_null().iter().map(|v| v.unwrap_or(true)).collect()
            }
            _ => self
                .strs()
                .into_iter()
                .flatten()
                .map(|v| v.is_none_or(|cell| cell.trim().is_empty()))
                .collect(),
        }
    }

    /// Cell `row` as text: a text cell, or a stored text value (`None` for a null or a
    /// stored time or number, which never equals a header).
    fn text_at(&self, row: usize) -> Option<&str> {
        match self {
            Cells::Text(t) => Some(t.get(row)),
            Cells::Typed(c) => c.str().ok()?.get(row),
        }
    }
}

/// How a column of value type `ty` may be read from a Parquet column as stored: timestamps,
/// promises, money and numbers, whose text rules (slash-date order, decimal comma, currency
/// signs) do not apply to a stored value; ids and text, used as stored when already clean.
/// Satisfaction scores and booleans always go through text, whose rules (1-5 scale,
/// `yes`/`no`) they need.
fn typed_read(ty: ValueType) -> Option<TypedRead> {
    match ty {
        ValueType::Timestamp | ValueType::Promise => Some(TypedRead::Instants),
        ValueType::Money | ValueType::Number | ValueType::ReviewScore => Some(TypedRead::Numbers),
        ValueType::Id | ValueType::Text => Some(TypedRead::Text),
        ValueType::Bool | ValueType::Satisfaction => None,
    }
}

/// Splits the records of `file` into the text cells of the columns of `spec` found at
/// `positions`.
///
/// Errors: a required column absent from the header (with the closest header as a
/// suggestion); a malformed record.
pub fn read_cells(
    file: &RawFile,
    spec: &FormatSpec,
    positions: &[Option<Source>],
) -> Result<TableCells> {
    for (c, pos) in spec.columns.iter().zip(positions) {
        if c.required && pos.is_none() {
            return Err(Error::MissingColumn {
                file: file.name.clone(),
                column: c.headers[0].to_string(),
                format: spec.format.to_string(),
                kind: spec.kind.to_string(),
                suggestion: super::formats::suggest_missing(spec, c, &file.headers, positions),
            });
        }
    }
    let present: Vec<(ColumnSpec, Source)> = spec
        .columns
        .iter()
        .zip(positions)
        .filter_map(|(c, p)| p.clone().map(|p| (*c, p)))
        .collect();
    // A grouped (Shopify) table fills order fields down from text cells: read it all as text.
    let typed: Vec<Option<Column>> = present
        .iter()
        .map(|(c, p)| {
            let want = typed_read(c.ty).filter(|_| spec.group_by.is_none())?;
            file.typed_column(p.position()?, want)
        })
        .collect();
    let indices: Vec<usize> = present
        .iter()
        .zip(&typed)
        .filter(|(_, t)| t.is_none())
        .filter_map(|((_, p), _)| p.position())
        .collect();
    let raw = {
        let _t = crate::timings::span("read_columns");
        file.read_columns(&indices)?
    };
    Ok(TableCells {
        present,
        raw,
        typed,
    })
}

/// Parses the cells read by [`read_cells`] from `file` (whose name and header it still uses)
/// into the canonical columns of `spec`; see [`read_frame`].
pub fn parse_cells(
    file: &RawFile,
    spec: &FormatSpec,
    cells: TableCells,
    opts: &ReadOptions,
    dq: &mut DataQuality,
) -> Result<FileFrame> {
    let TableCells {
        present,
        raw,
        typed,
    } = cells;
    let _parse = crate::timings::span("parse cells");
    let n = raw.lines.len();
    // Synthetic sources (`@line`, constants) become ordinary text cells.
    let mut from_file = raw.columns.into_iter();
    let mut cells_of: Vec<Cells> = Vec::with_capacity(present.len());
    for ((_, src), typed) in present.iter().zip(typed) {
        cells_of.push(match (typed, src) {
            (Some(column), _) => Cells::Typed(column),
            (None, Source::Header(_)) => Cells::Text(from_file.next().unwrap_or_default()),
            (None, Source::Line) => Cells::Text(TextColumn::from_cells(
                raw.lines.iter().map(u64::to_string),
            )?),
            (None, Source::Constant(v)) => Cells::Text(TextColumn::repeat(v, n)),
        });
    }
    // The header line again inside the data (two exports joined with `cat`): each such line
    // starts another block, read as a separate export; its rows' records never join the
    // earlier block's.
    let header_rows = repeated_header_rows(&present, &cells_of, &file.headers).map_err(|row| {
        Error::Malformed {
            file: file.name.clone(),
            line: raw.lines[row],
            message: "the header line is repeated here with its columns in another order or \
                      renamed (exports of another layout joined with `cat`?): the rows after it \
                      cannot be read under the first header; put each export in a file of its \
                      own"
            .into(),
        }
    })?;
    // Per column, which rows were filled down from their record's head (grouped tables only).
    let mut filled_of: Vec<Option<Vec<bool>>> = vec![None; present.len()];
    let (mut continued, mut last_records) = (Vec::new(), Vec::new());
    if let Some(key) = spec.group_by {
        if let Some(k) = present.iter().position(|(c, _)| c.canonical == key) {
            // The positions of the present columns that `pick` picks.
            let positions = |pick: &dyn Fn(usize, &ColumnSpec) -> bool| -> Vec<usize> {
                (0..present.len())
                    .filter(|&i| pick(i, &present[i].0))
                    .collect()
            };
            // A line's own value is never an order field: an empty `Lineitem requires shipping`
            // is that line's default (shippable), not its order's first line's value.
            let per_line = positions(&|_, c| PER_LINE_COLUMNS.contains(&c.canonical));
            // The record's full row is the one with its required fields (Shopify's `Created
            // at`), wherever it is among the record's rows.
            let required = positions(&|i, c| i != k && c.required);
            filled_of = fill_down(&mut cells_of, k, &required, &per_line, &header_rows)?;
            let markers = positions(&|_, c| ORDER_FIELD_MARKERS.contains(&c.canonical));
            (continued, last_records) = continued_records(&cells_of, k, &markers, &header_rows);
        }
    }

    let mut keep = vec![true; n];
    // The file's first table when this one is a further table read from the same file
    // (Shopify orders, for its line items): a row both drop for the same reason is counted once,
    // by the first table.
    let first_table = super::formats::all_formats().find(|f| {
        f.also
            .iter()
            .any(|a| (a.format, a.kind) == (spec.format, spec.kind))
    });
    let further_table = first_table.is_some();
    // Per column: `Some(required there)` when the first table reads it from the same header as
    // the same type (Shopify's `Name`, `Lineitem requires shipping`). Its cells' findings (a
    // value warned, and when both require it a row dropped for an empty cell) are counted
    // there, not again here, so that a line is counted once.
    let shared: Vec<Option<bool>> = present
        .iter()
        .map(|(c, _)| {
            first_table?
                .columns
                .iter()
                .find(|fc| fc.canonical == c.canonical && fc.headers == c.headers && fc.ty == c.ty)
                .map(|fc| fc.required)
        })
        .collect();
    let mut dropped_counted_elsewhere = 0u64;
    let mut dropped_order_ids = Vec::new();
    let order_ids = (spec.kind == TableKind::Orders)
        .then(|| present.iter().position(|(c, _)| c.canonical == s::ORDER_ID))
        .flatten();
    // A repeated header line is no record: left out of the rows, and warned once per file (by
    // its first table) at its line.
    for &row in &header_rows {
        keep[row] = false;
        if further_table {
            continue;
        }
        dq.note(
            &file.name,
            raw.lines[row],
            REPEATED_HEADER,
            Effect::Warning,
            None,
        );
    }
    // Rows without a required value are dropped before anything else is parsed (a ticket
    // without `created_at` is kept, warned: `ColumnSpec::empty_kept`); a required column empty
    // in every row is a broken file, not a file of warnings.
    for (((c, source), cells), shared) in present.iter().zip(&cells_of).zip(&shared) {
        if c.required && c.ty != ValueType::Promise {
            let counted_by_first_table = *shared == Some(true);
            let empty = cells.empty();
            let rows = keep.iter().filter(|k| **k).count();
            let filled = keep.iter().zip(&empty).filter(|(k, e)| **k && !**e).count();
            if rows > 0 && filled == 0 {
                let header = source
                    .position()
                    .and_then(|p| file.headers.get(p))
                    .map_or(c.canonical, String::as_str);
                return Err(Error::Column {
                    file: file.name.clone(),
                    column: header.to_string(),
                    message: format!(
                        "every row's {} is empty ({rows} rows); the column is required",
                        c.canonical
                    ),
                });
            }
            for (row, is_empty) in empty.into_iter().enumerate() {
                if keep[row] && is_empty && c.empty_kept {
                    // Kept with its value null, as a row whose value is unparseable is.
                    let reason = format!("no {} (row kept, its {0} unknown)", c.canonical);
                    dq.note(&file.name, raw.lines[row], &reason, Effect::Warning, None);
                } else if keep[row] && is_empty {
                    keep[row] = false;
                    let order_id = order_ids
                        .and_then(|i| cells_of.get(i)?.text_at(row))
                        .and_then(|cell| value::parse_id_str(cell).0);
                    if let Some(id) = order_id {
                        dropped_order_ids.push(id.to_string());
                    }
                    if counted_by_first_table {
                        dropped_counted_elsewhere += 1;
                        continue;
                    }
                    // A further table's row is its record only: the line's order is kept.
                    let dropped = if further_table { "line item" } else { "row" };
                    let reason = format!("no {} ({dropped} dropped)", c.canonical);
                    dq.note(
                        &file.name,
                        raw.lines[row],
                        &reason,
                        Effect::RowDropped,
                        None,
                    );
                }
            }
        }
    }

    // More amounts with a decimal comma than with a point across the money columns: the file
    // writes decimal commas, so `25.990` in another column is 25990 (a currency without cents),
    // not 25.99.
    let file_decimal_comma = value::infer_decimal_comma(
        present
            .iter()
            .zip(&cells_of)
            .filter(|((c, _), _)| c.ty == ValueType::Money)
            .filter_map(|(_, cells)| cells.text())
            .flat_map(|cells| kept(cells, &raw.lines, &keep).map(|(_, cell)| cell)),
    );
    let file_opts = ReadOptions {
        decimal_comma: opts.decimal_comma || file_decimal_comma,
        ..opts.clone()
    };
    let opts = &file_opts;
    // Slash-date order, unless the config or a date_format gives it: each date column's own
    // evidence (a part above 12), and the order the file's telling columns agree on, taken by a
    // column whose every slash date reads both ways (exports write all dates of a file alike).
    let infer_slash = opts.slash_order == SlashOrder::Unknown && opts.date_format.is_none();
    let own_slash: Vec<Option<std::result::Result<SlashOrder, String>>> = present
        .par_iter()
        .zip(cells_of.par_iter())
        .map(|((c, _), cells)| {
            let is_date = matches!(c.ty, ValueType::Timestamp | ValueType::Promise);
            let cells = cells.text().filter(|_| infer_slash && is_date)?;
            Some(value::infer_slash_order(kept(cells, &raw.lines, &keep)))
        })
        .collect();
    let file_slash = value::file_slash_order(
        own_slash
            .iter()
            .filter_map(|own| own.as_ref()?.as_ref().ok().copied()),
    );
    // Columns are parsed in parallel, each into its own audit, merged back in column order so
    // that the audit (counts, first lines, examples) is the same as a sequential read.
    let parsed: Vec<Result<ParsedColumn>> = present
        .par_iter()
        .zip(cells_of.par_iter())
        .zip(own_slash.par_iter())
        .zip(filled_of.par_iter())
        .map(|((((c, src), cells), own_slash), filled)| {
            let mut ctx = ColumnContext {
                file,
                lines: &raw.lines,
                keep: &keep,
                opts,
                file_slash,
                dq: DataQuality::default(),
                latest: None,
                date_only: false,
                filled: filled.as_deref(),
            };
            let header = match src {
                Source::Header(p) => file.headers.get(*p).cloned().unwrap_or_default(),
                Source::Line => "@line".to_string(),
                Source::Constant(v) => format!("constant '{v}'"),
            };
            let cols = ctx.parse_column(c, &header, cells, own_slash.as_ref())?;
            Ok((
                cols,
                ctx.dq,
                ctx.latest,
                ctx.date_only.then_some(c.canonical),
            ))
        })
        .collect();
    drop(cells_of);
    let mut columns: Vec<Column> = Vec::new();
    let mut latest = None;
    let mut date_only = Vec::new();
    for (result, shared) in parsed.into_iter().zip(&shared) {
        let (cols, column_dq, column_latest, column_date_only) = result?;
        if shared.is_none() {
            dq.merge(column_dq);
        }
        latest = latest.max(column_latest);
        date_only.extend(column_date_only);
        columns.extend(cols);
    }
    let kept_lines: Vec<u64> = raw
        .lines
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| *l)
        .collect();
    let height = kept_lines.len();
    columns.push(Column::new(s::SRC_LINE.into(), kept_lines));
    // One value for the whole file: kept as a scalar column (no per-row text) until a step
    // needs it spelled out row by row.
    columns.push(Column::new_scalar(
        s::SRC_FILE.into(),
        Scalar::from(PlSmallStr::from(file.name.as_str())),
        height,
    ));
    for (name, value) in spec.defaults {
        columns.push(Column::new((*name).into(), vec![*value; height]));
    }
    for c in spec
        .columns
        .iter()
        .filter(|c| !present.iter().any(|(p, _)| p.canonical == c.canonical))
    {
        columns.extend(null_columns(c, height)?);
    }
    Ok(FileFrame {
        frame: DataFrame::new(height, columns)?,
        latest,
        read: present.iter().map(|(c, _)| c.canonical).collect(),
        dropped_counted_elsewhere,
        dropped_order_ids,
        repeated_headers: header_rows.iter().map(|&row| raw.lines[row]).collect(),
        block: 0,
        date_only,
        continued,
        last_records,
    })
}

/// Data-quality reason of a header line repeated inside a file's data (two exports joined with
/// `cat`): the rows after it are read as another export, as if from a separate file.
pub const REPEATED_HEADER: &str = "header line repeated inside the file (exports joined with \
     `cat`?): the rows after it are read as another export";

/// One parsed column (a promise gives three), its audit, its latest timestamp, and its name
/// when it is a timestamp column given as dates only.
type ParsedColumn = (
    Vec<Column>,
    DataQuality,
    Option<DateTime<Utc>>,
    Option<&'static str>,
);

struct ColumnContext<'a> {
    file: &'a RawFile,
    lines: &'a [u64],
    keep: &'a [bool],
    opts: &'a ReadOptions,
    /// The slash-date order the file's date columns agree on (see [`value::file_slash_order`]).
    file_slash: FileSlashOrder,
    dq: DataQuality,
    latest: Option<DateTime<Utc>>,
    /// Set by a timestamp column (not a promise) with some value, every one a bare date or a
    /// time of exactly 00:00:00 without an offset (see [`FileFrame::date_only`]).
    date_only: bool,
    /// Per row, whether this column's cell was filled down from its record's head row
    /// ([`fill_down`]); such a cell's findings are its head's, counted once there.
    filled: Option<&'a [bool]>,
}

impl ColumnContext<'_> {
    /// Notes a finding on a row, unless the row's cell was filled down from its record's head
    /// (the head's own note counts it: one bad order field is one finding, not one per line
    /// item).
    fn note(&mut self, line: u64, reason: &str, effect: Effect, example: Option<&str>) {
        let filled = self.filled.is_some_and(|f| {
            self.lines
                .binary_search(&line)
                .is_ok_and(|row| f.get(row).copied().unwrap_or(false))
        });
        if !filled {
            self.dq.note(&self.file.name, line, reason, effect, example);
        }
    }
}

/// Rows whose every cell read from the file's header equals that header (trimmed, a byte-order
/// mark ignored: the second file's own; letter case ignored, as when the file's format was
/// recognised): the header line repeated inside the data. The first third of the columns read
/// (plus one) are scanned; the others are compared only on the rows where one of them holds a
/// header name.
///
/// Errors (as the row, 0-based): the first other row at least two thirds of whose such cells
/// (and at least two) are header names of the file: the header repeated with its columns in
/// another order, or some of them renamed (an export of another layout joined with `cat`),
/// under which the rows after it cannot be read. A data row holds a value in most of its
/// columns, not their names (an empty cell is no name).
fn repeated_header_rows(
    present: &[(ColumnSpec, Source)],
    cells_of: &[Cells],
    headers: &[String],
) -> std::result::Result<Vec<usize>, usize> {
    let from_header: Vec<(&Cells, &str)> = present
        .iter()
        .zip(cells_of)
        .filter_map(|((_, src), cells)| match src {
            Source::Header(p) => headers.get(*p).map(|h| (cells, bare(h))),
            _ => None,
        })
        .collect();
    if from_header.is_empty() {
        return Ok(Vec::new());
    }
    let same = |v: &str, header: &str| v.len() == header.len() && v.eq_ignore_ascii_case(header);
    // An empty cell is no header name, though a header may have an unnamed column (a pandas
    // index, a spreadsheet's trailing comma): a row empty in the columns read is not a header.
    let names: Vec<&str> = headers
        .iter()
        .map(|h| bare(h))
        .filter(|h| !h.is_empty())
        .collect();
    // The lengths of the names (those under 128 bytes), so that most cells are told apart from
    // every name by their length alone.
    let lengths = names
        .iter()
        .filter(|h| h.len() < 128)
        .fold(0u128, |m, h| m | 1 << h.len());
    let is_header_name = |cell: Option<&str>| {
        cell.map(bare).is_some_and(|v| {
            (v.len() >= 128 || lengths & (1 << v.len()) != 0) && names.iter().any(|h| same(v, h))
        })
    };
    // A row is refused when at least two thirds of its cells are header names, so at most a
    // third are not: one of the first third (plus one) of the columns holds a name. Only rows
    // with a name there are looked at further, so a file without a repeated header costs one
    // pass over those columns.
    let scanned = from_header.len() / 3 + 1;
    let mut candidates: Vec<usize> = Vec::new();
    for (cells, _) in from_header.iter().take(scanned) {
        if let Some(cells) = cells.strs() {
            candidates.extend(
                cells
                    .enumerate()
                    .filter(|(_, cell)| is_header_name(*cell))
                    .map(|(row, _)| row),
            );
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut rows = Vec::new();
    for row in candidates {
        if from_header
            .iter()
            .all(|(c, h)| c.text_at(row).is_some_and(|v| same(bare(v), h)))
        {
            rows.push(row);
        } else {
            let names = from_header
                .iter()
                .filter(|(c, _)| is_header_name(c.text_at(row)))
                .count();
            if names >= 2 && names * 3 >= from_header.len() * 2 {
                return Err(row);
            }
        }
    }
    Ok(rows)
}

fn bare(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// The kept rows of a column, with their lines.
fn kept<'c>(
    cells: &'c TextColumn,
    lines: &'c [u64],
    keep: &'c [bool],
) -> impl Iterator<Item = (u64, &'c str)> + 'c {
    cells
        .iter()
        .zip(lines)
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|((c, l), _)| (*l, c))
}

impl<'a> ColumnContext<'a> {
    fn kept<'c>(&self, cells: &'c TextColumn) -> impl Iterator<Item = (u64, &'c str)> + 'c
    where
        'a: 'c,
    {
        kept(cells, self.lines, self.keep)
    }

    /// The kept rows of a text column, as number cells for [`ColumnContext::parsed`].
    fn number_cells<'c>(
        &self,
        cells: &'c TextColumn,
    ) -> impl Iterator<Item = (u64, NumberCell<'c>)> + 'c
    where
        'a: 'c,
    {
        self.kept(cells)
            .map(|(line, cell)| (line, NumberCell::Text(cell)))
    }

    /// Warns the cells of a money column whose reading the convention decides (`2,500`), when
    /// the column shows both a decimal point and a decimal comma beyond doubt (`12.50` and
    /// `32,63`, each read as written; `point` and `comma` are the lines of the first of each):
    /// which one such a cell follows cannot be told, so the column's reading (`decimal_comma`:
    /// the comma, as most of its cells show, or configured) is taken and the cells are counted.
    fn mixed_decimals(
        &mut self,
        c: &ColumnSpec,
        cells: &TextColumn,
        (point, comma): (u64, u64),
        decimal_comma: bool,
    ) {
        let ambiguous = value::ambiguous_separators(self.kept(cells));
        if ambiguous.is_empty() {
            return;
        }
        let reading = match decimal_comma {
            true => "the comma, as most of the column's amounts (2,500 as 2.5, 2.500 as 2500)",
            false => "the point, as most of the column's amounts (2,500 as 2500, 2.500 as 2.5)",
        };
        let reason = format!(
            "{}: the column writes decimals with a point (line {point}) and with a comma (line \
             {comma}): a cell either could have written is read with {reading}",
            c.canonical
        );
        for (line, cell) in ambiguous {
            self.note(line, &reason, Effect::Warning, Some(cell));
        }
    }

    fn bad_value(&mut self, c: &ColumnSpec, line: u64, cell: &str, why: &str) {
        // One reason per kind of problem, not per value: the value is the example.
        let reason = format!("unparseable {} ({})", c.canonical, without_value(why));
        self.note(line, &reason, Effect::ValueNulled, Some(cell));
    }

    /// Parses one column; `own_slash` is the slash-date order inferred from its own cells (a
    /// date column, when neither the config nor a date_format gives the order), else `None`.
    fn parse_column(
        &mut self,
        c: &ColumnSpec,
        header: &str,
        cells: &Cells,
        own_slash: Option<&std::result::Result<SlashOrder, String>>,
    ) -> Result<Vec<Column>> {
        let cells = match cells {
            Cells::Text(t) => t,
            Cells::Typed(stored) => return self.parse_typed(c, header, stored),
        };
        let name = c.canonical;
        let cols = match c.ty {
            ValueType::Id => vec![self.ids(c, cells)],
            ValueType::Text => {
                let v = self.kept(cells).map(|(_, cell)| {
                    let t = cell.trim();
                    (!t.is_empty()).then_some(t)
                });
                vec![StringChunked::from_iter_options(name.into(), v).into_column()]
            }
            ValueType::Money => {
                let evidence = value::decimal_evidence(self.kept(cells));
                let dc = self.opts.decimal_comma || evidence.decimal_comma();
                if let Some(lines) = evidence.mixed() {
                    self.mixed_decimals(c, cells, lines, dc);
                }
                let cells = self.number_cells(cells);
                vec![self.parsed(c, header, cells, |cell| value::parse_money(cell, dc))?]
            }
            ValueType::Number => {
                let dc = self.opts.decimal_comma;
                let cells = self.number_cells(cells);
                vec![self.parsed(c, header, cells, |cell| value::parse_quantity(cell, dc))?]
            }
            ValueType::ReviewScore => {
                let dc = self.opts.decimal_comma;
                let cells = self.number_cells(cells);
                vec![self.parsed(c, header, cells, |cell| value::parse_review_score(cell, dc))?]
            }
            ValueType::Satisfaction => {
                let cells = self.number_cells(cells);
                vec![self.parsed(c, header, cells, value::parse_satisfaction)?]
            }
            ValueType::Bool => {
                let mut out = Vec::with_capacity(cells.len());
                for (line, cell) in self.kept(cells) {
                    out.push(value::parse_bool(cell).unwrap_or_else(|why| {
                        self.bad_value(c, line, cell, &why);
                        None
                    }));
                }
                vec![Column::new(name.into(), out)]
            }
            ValueType::Timestamp | ValueType::Promise => {
                self.timestamps(c, header, cells, own_slash)?
            }
        };
        Ok(cols)
    }

    fn ids(&mut self, c: &ColumnSpec, cells: &TextColumn) -> Column {
        let mut out: Vec<Option<&str>> = Vec::with_capacity(cells.len());
        for (line, cell) in self.kept(cells) {
            let (id, issue) = value::parse_id_str(cell);
            let what = issue.map(|i| match i {
                IdIssue::QuotePrefixed => "leading ' removed",
                // Digits were lost: a customer is then known by the e-mail (ingest::person_id).
                IdIssue::ScientificNotation if c.canonical == s::CUSTOMER_ID => {
                    "mangled into scientific notation by a spreadsheet (kept as written; the \
                     customer is known by the one intact id in its range that the e-mail's other \
                     orders carry, else by the e-mail, if given)"
                }
                IdIssue::ScientificNotation => {
                    "mangled into scientific notation by a spreadsheet (kept as written)"
                }
                IdIssue::DecimalZero => "whole number written as a decimal (1004.0 read as 1004)",
            });
            if let Some(what) = what {
                let reason = format!("{}: {what}", c.canonical);
                self.dq
                    .note(&self.file.name, line, &reason, Effect::Warning, Some(cell));
            }
            out.push(id);
        }
        StringChunked::from_iter_options(c.canonical.into(), out.into_iter()).into_column()
    }

    /// Parses the kept rows `cells` of a number column: a stored number is taken as it is when
    /// finite, for an amount within [`value::MAX_AMOUNT`] and for a review score on
    /// [`value::REVIEW_SCALE`] (no text rule applies to it), and otherwise given to `parse` as
    /// text, so that `NaN`, `inf`, `1e22` and a score of 6 get the text path's reason.
    fn parsed<'c>(
        &mut self,
        c: &ColumnSpec,
        header: &str,
        cells: impl Iterator<Item = (u64, NumberCell<'c>)>,
        parse: impl Fn(&str) -> std::result::Result<Option<f64>, String>,
    ) -> Result<Column> {
        let mut out = Vec::with_capacity(self.keep.len());
        let (mut good, mut bad) = (0usize, 0usize);
        for (line, cell) in cells {
            let stored_text;
            let (cell, parsed) = match cell {
                NumberCell::Text(cell) => (cell, parse(cell)),
                // An amount too large goes to `parse` too, for its reason.
                NumberCell::Stored(Some(v))
                    if v.is_finite()
                        && (c.ty != ValueType::Money || v.abs() <= value::MAX_AMOUNT)
                        && (c.ty != ValueType::ReviewScore || value::REVIEW_SCALE.contains(&v)) =>
                {
                    ("", Ok(Some(v)))
                }
                NumberCell::Stored(None) => ("", Ok(None)),
                NumberCell::Stored(Some(v)) => {
                    stored_text = v.to_string();
                    (stored_text.as_str(), parse(&stored_text))
                }
            };
            match parsed {
                Ok(v) => {
                    good += usize::from(v.is_some());
                    out.push(v);
                }
                Err(why) => {
                    bad += 1;
                    self.bad_value(c, line, cell, &why);
                    out.push(UNREADABLE_AS_NAN.contains(&c.canonical).then_some(f64::NAN));
                }
            }
        }
        self.require_some(c, header, good, bad)?;
        Ok(Column::new(c.canonical.into(), out))
    }

    /// Parses a Parquet column read as stored ([`typed_read`]): numbers and times, and text
    /// that needs none of the text path's clean-up (else read as text).
    fn parse_typed(
        &mut self,
        c: &ColumnSpec,
        header: &str,
        stored: &Column,
    ) -> Result<Vec<Column>> {
        match c.ty {
            ValueType::Id | ValueType::Text => match self.clean_text(c, stored)? {
                Some(column) => Ok(vec![column]),
                None => {
                    let cells = TextColumn::from_parquet(stored, &self.file.name, header)?;
                    self.parse_column(c, header, &Cells::Text(cells), None)
                }
            },
            ValueType::Timestamp | ValueType::Promise => {
                let zone = self.file.stored_zone(header);
                let stamps = typed_stamps(stored, self.opts.timezone, zone).map_err(|message| {
                    Error::Column {
                        file: self.file.name.clone(),
                        column: header.to_string(),
                        message,
                    }
                })?;
                let rows = stamps
                    .zip(self.lines)
                    .zip(self.keep)
                    .filter(|(_, k)| **k)
                    .map(|((stored, line), _)| match stored {
                        Some((written, stamp)) => (*line, written, stamp),
                        None => (*line, StampCell::Stored(None), Ok(None)),
                    });
                self.stamp_columns(c, header, None, rows)
            }
            _ => {
                // A float32 is the decimal it was written as (12.99, as its text reads), not
                // its binary value widened (12.989999771118164).
                let numbers = match stored.f32() {
                    Ok(f) => f
                        .iter()
                        .map(|v| v.map(|v| v.to_string().parse().unwrap_or(f64::from(v))))
                        .collect::<Float64Chunked>()
                        .into_column(),
                    Err(_) => stored.cast(&DataType::Float64)?,
                };
                let rows = numbers
                    .f64()?
                    .iter()
                    .zip(self.lines)
                    .zip(self.keep)
                    .filter(|(_, k)| **k)
                    .map(|((v, line), _)| (*line, NumberCell::Stored(v)));
                let column = match c.ty {
                    ValueType::Money => {
                        self.parsed(c, header, rows, |cell| value::parse_money(cell, false))?
                    }
                    ValueType::ReviewScore => self.parsed(c, header, rows, |cell| {
                        value::parse_review_score(cell, false)
                    })?,
                    _ => self.parsed(c, header, rows, value::parse_number)?,
                };
                Ok(vec![column])
            }
        }
    }

    /// The kept rows of a stored text column as they are, when the text path would leave every
    /// value unchanged: no blank value, none to trim, and for an id none of
    /// [`value::parse_id_str`]'s clean-ups or warnings. `None` when some value needs one.
    fn clean_text(&self, c: &ColumnSpec, stored: &Column) -> Result<Option<Column>> {
        let text = stored.str()?;
        let unchanged = |cell: &str| match c.ty {
            ValueType::Id => {
                matches!(value::parse_id_str(cell), (Some(id), None) if id.len() == cell.len())
            }
            _ => !cell.is_empty() && cell.trim().len() == cell.len(),
        };
        if !text.iter().all(|v| v.is_none_or(unchanged)) {
            return Ok(None);
        }
        let column = if self.keep.iter().all(|k| *k) {
            stored.clone()
        } else {
            let keep = BooleanChunked::from_slice("keep".into(), self.keep);
            stored.filter(&keep)?
        };
        Ok(Some(column.with_name(c.canonical.into())))
    }

    /// A required column whose every value is unusable is an error, not a file of warnings.
    fn require_some(&self, c: &ColumnSpec, header: &str, good: usize, bad: usize) -> Result<()> {
        if c.required && good == 0 && bad > 0 {
            // The first value refused, with its reason (noted by `bad_value`).
            let refused = format!("unparseable {} (", c.canonical);
            let first = self
                .dq
                .entries()
                .into_iter()
                .filter(|e| e.file == self.file.name && e.reason.starts_with(&refused))
                .filter_map(|e| {
                    let why = e.reason[refused.len()..].strip_suffix(')')?.to_string();
                    Some((*e.first_lines.first()?, e.example?, why))
                })
                .min_by_key(|(line, _, _)| *line);
            let first = match first {
                Some((line, value, why)) => {
                    // The setting that could make such a value readable, if any.
                    let hint = match c.ty {
                        ValueType::Timestamp | ValueType::Promise => {
                            "; if the file writes its dates another way, set `date_format` in \
                             a [[mapping]] (docs/formats.md)"
                        }
                        ValueType::Money | ValueType::Number | ValueType::ReviewScore
                            if value.contains(',') =>
                        {
                            "; if the file writes decimals with a comma, set `decimal_comma`"
                        }
                        _ => "",
                    };
                    format!(" (line {line}: '{value}' {why}{hint})")
                }
                None => String::new(),
            };
            return Err(Error::Column {
                file: self.file.name.clone(),
                column: header.to_string(),
                message: format!("no row has a usable {} value{first}", c.canonical),
            });
        }
        Ok(())
    }

    /// Parses a timestamp or promise column. Slash dates are read in the configured order, else
    /// in the column's own (`own_slash`), else, when every slash date of the column reads both
    /// ways, in the order of the file's other date columns (each such row warned).
    ///
    /// Errors: the column is day-first in some rows and month-first in others; it cannot tell
    /// its order and neither can the file (or the file's columns disagree); a required column
    /// with no usable value.
    fn timestamps(
        &mut self,
        c: &ColumnSpec,
        header: &str,
        cells: &TextColumn,
        own_slash: Option<&std::result::Result<SlashOrder, String>>,
    ) -> Result<Vec<Column>> {
        let column_error = |message: String| Error::Column {
            file: self.file.name.clone(),
            column: header.to_string(),
            message,
        };
        // Set when the order is the file's: the rows it decided are warned.
        let mut from_file = None;
        let slash = match own_slash {
            None => self.opts.slash_order,
            Some(Err(m)) => return Err(column_error(m.clone())),
            Some(Ok(SlashOrder::Unknown)) => {
                let ambiguous = self
                    .kept(cells)
                    .find(|(_, cell)| value::is_ambiguous_slash_date(cell));
                match (ambiguous, self.file_slash) {
                    (None, _) => SlashOrder::Unknown,
                    (Some(_), FileSlashOrder::Agreed(order)) => {
                        from_file = Some(format!(
                            "{}: slash dates read {} like the file's other date columns",
                            c.canonical,
                            if order == SlashOrder::DayFirst {
                                "day-first"
                            } else {
                                "month-first"
                            }
                        ));
                        order
                    }
                    (Some((_, example)), file) => {
                        let others = if file == FileSlashOrder::Conflicting {
                            "and the file's other date columns disagree"
                        } else {
                            "nor in the file's other date columns"
                        };
                        return Err(column_error(format!(
                            "slash dates such as '{}' could be day-first or month-first (no day above 12 in this column, {others}); set date_order = \"day-first\" or \"month-first\" in snagscan.toml (day_first in a [[mapping]])",
                            example.trim()
                        )));
                    }
                }
            }
            Some(Ok(order)) => *order,
        };
        let tz = self.opts.timezone;
        let fmt = self.opts.date_format.clone();
        let rows = self.kept(cells).map(|(line, cell)| {
            let parsed = value::parse_timestamp_with(cell, tz, slash, fmt.as_deref());
            (line, StampCell::Text(cell), parsed)
        });
        self.stamp_columns(c, header, from_file.as_deref(), rows)
    }

    /// The timestamp column (a promise: its three columns) of the kept rows `rows`, each with
    /// its line, its cell and its parsed stamp. Warned: DST resolutions, and with `from_file`
    /// (the reason) the slash dates read in the order of the file's other date columns;
    /// unusable values are counted.
    ///
    /// Errors: a required column with no usable value.
    fn stamp_columns<'c>(
        &mut self,
        c: &ColumnSpec,
        header: &str,
        from_file: Option<&str>,
        rows: impl Iterator<Item = (u64, StampCell<'c>, StampResult)>,
    ) -> Result<Vec<Column>> {
        let tz = self.opts.timezone;
        let n = self.keep.len();
        let (mut instants, mut is_date, mut dates) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut good, mut bad, mut written_dates) = (0usize, 0usize, 0usize);
        for (line, cell, parsed) in rows {
            match parsed {
                Ok(Some(stamp)) => {
                    good += 1;
                    // A date as written: a bare date or a naive midnight, read as the start of
                    // that day in the store zone (a midnight with an offset is an instant).
                    // Promises have their own date rule and are not counted.
                    written_dates += usize::from(
                        c.ty == ValueType::Timestamp
                            && stamp.date_like
                            && stamp.local
                            && stamp.instant == value::start_of_local_day(stamp.written_date, tz),
                    );
                    if let (Some(reason), StampCell::Text(cell)) = (from_file, &cell) {
                        if value::is_ambiguous_slash_date(cell) {
                            self.note(line, reason, Effect::Warning, Some(cell));
                        }
                    }
                    // A date has no time of day to have fallen in a gap: its day starts when the
                    // clocks start it (Santiago's 2024-09-08 at 01:00), and nothing is warned.
                    if let Some(dst) = stamp.dst.filter(|_| !stamp.date_like) {
                        let reason = match dst {
                            DstResolution::Nonexistent => format!(
                                "{}: local time in a DST gap (moved forward by the gap)",
                                c.canonical
                            ),
                            DstResolution::Ambiguous => format!(
                                "{}: ambiguous local time at a DST change (earlier instant taken)",
                                c.canonical
                            ),
                        };
                        let cell = cell.text();
                        self.note(line, &reason, Effect::Warning, Some(&cell));
                    }
                    if c.ty == ValueType::Promise {
                        // A date promise is met until the end of that local day (SPEC section 1).
                        let deadline = if stamp.date_like {
                            let next = stamp
                                .written_date
                                .checked_add_days(Days::new(1))
                                .unwrap_or(stamp.written_date);
                            value::start_of_local_day(next, tz)
                        } else {
                            stamp.instant
                        };
                        instants.push(Some(deadline.timestamp_millis()));
                        is_date.push(Some(stamp.date_like));
                        dates.push(
                            stamp.date_like.then(|| {
                                stamp.written_date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
                            }),
                        );
                    } else {
                        self.latest = self.latest.max(Some(stamp.instant));
                        instants.push(Some(stamp.instant.timestamp_millis()));
                    }
                }
                Ok(None) => {
                    instants.push(None);
                    is_date.push(None);
                    dates.push(None);
                }
                Err(why) => {
                    bad += 1;
                    self.bad_value(c, line, &cell.text(), &why);
                    instants.push(None);
                    is_date.push(None);
                    dates.push(None);
                }
            }
        }
        self.require_some(c, header, good, bad)?;
        self.date_only = c.ty == ValueType::Timestamp && good > 0 && written_dates == good;
        let name = c.canonical;
        if c.ty == ValueType::Promise {
            Ok(vec![
                datetime_column(&format!("{name}{}", s::DEADLINE_SUFFIX), instants)?,
                Column::new(format!("{name}{}", s::IS_DATE_SUFFIX).into(), is_date),
                Column::new(format!("{name}{}", s::DATE_SUFFIX).into(), dates)
                    .cast(&DataType::Date)?,
            ])
        } else {
            Ok(vec![datetime_column(name, instants)?])
        }
    }
}

/// A timestamp cell parsed: a stamp, an empty cell, or the reason it is not a timestamp.
type StampResult = std::result::Result<Option<value::Stamp>, String>;

/// A number column's cell: text to parse, or a value stored as a number (null: empty).
enum NumberCell<'c> {
    Text(&'c str),
    Stored(Option<f64>),
}

/// A timestamp column's cell: text, the wall time a stored timestamp was written with (for the
/// examples of warnings; null: empty), a stored date, or a stored value outside the range of
/// times, as its number.
enum StampCell<'c> {
    Text(&'c str),
    Stored(Option<chrono::NaiveDateTime>),
    StoredDate(chrono::NaiveDate),
    Number(i64),
}

impl StampCell<'_> {
    /// The cell as shown in a warning's example.
    fn text(&self) -> String {
        match self {
            StampCell::Text(cell) => (*cell).to_string(),
            StampCell::Stored(Some(t)) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            StampCell::Stored(None) => String::new(),
            StampCell::StoredDate(d) => d.format("%Y-%m-%d").to_string(),
            StampCell::Number(v) => v.to_string(),
        }
    }
}

/// Per row of a Parquet column stored as Datetime or Date: the wall time it was written with
/// (as a [`StampCell`]) and its stamp (`None` for a null). A time with a zone is an instant, its
/// written time that instant in its zone; a time without a zone and a date (at midnight) are
/// wall times in the store's zone `tz` ([`value::stamp_from_instant`],
/// [`value::stamp_from_wall_time`]). A value outside the years 0 to 9999 (those a text cell can
/// hold) is refused as out of range, before any zone could shift it past chrono's range.
/// `stored_zone` is the zone of a time Polars read as UTC instants because it does not take
/// that zone ([`RawFile::stored_zone`](super::read::RawFile::stored_zone)).
///
/// Errors: a zone name that is not an IANA time zone or a fixed offset.
fn typed_stamps<'a>(
    stored: &'a Column,
    tz: Tz,
    stored_zone: Option<&str>,
) -> std::result::Result<StoredStamps<'a>, String> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    let in_range = |d: NaiveDate| (0..=9999).contains(&d.year());
    let out_of_range = move |v: i64| {
        (
            StampCell::Number(v),
            Err(format!("'{v}' is out of the range of timestamps")),
        )
    };
    match stored.dtype() {
        DataType::Date => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            let days = stored.date().map_err(|e| e.to_string())?;
            Ok(Box::new(days.physical().iter().map(move |d| {
                let d = i64::from(d?);
                let date = epoch
                    .checked_add_signed(chrono::Duration::days(d))
                    .filter(|date| in_range(*date));
                let Some(date) = date else {
                    return Some(out_of_range(d));
                };
                let wall = date.and_time(NaiveTime::MIN);
                Some((
                    StampCell::StoredDate(date),
                    value::stamp_from_wall_time(wall, tz).map(Some),
                ))
            })))
        }
        DataType::Datetime(unit, zone) => {
            let unit = *unit;
            let zone = stored_zone.or(zone.as_ref().map(|z| z.as_str()));
            let to_utc = move |v: i64| -> Option<DateTime<Utc>> {
                match unit {
                    TimeUnit::Nanoseconds => Some(DateTime::from_timestamp_nanos(v)),
                    TimeUnit::Microseconds => DateTime::from_timestamp_micros(v),
                    TimeUnit::Milliseconds => DateTime::from_timestamp_millis(v),
                }
            };
            // With a zone: the zone's wall time of the instant. Without: the stored wall time.
            let wall: Box<dyn Fn(DateTime<Utc>) -> NaiveDateTime> = match zone {
                None => Box::new(|t| t.naive_utc()),
                // RFC 3339's `Z` and a lower-case `utc`, as some writers store UTC.
                Some(z) if z.eq_ignore_ascii_case("z") || z.eq_ignore_ascii_case("utc") => {
                    Box::new(|t| t.naive_utc())
                }
                Some(z) => match (z.parse::<Tz>(), z.parse::<chrono::FixedOffset>()) {
                    (Ok(zone), _) => Box::new(move |t| t.with_timezone(&zone).naive_local()),
                    (_, Ok(offset)) => Box::new(move |t| t.with_timezone(&offset).naive_local()),
                    _ => return Err(format!("the stored time zone '{z}' is not known")),
                },
            };
            let zoned = zone.is_some();
            let values = stored.datetime().map_err(|e| e.to_string())?;
            Ok(Box::new(values.physical().iter().map(move |v| {
                let v = v?;
                let Some(t) = to_utc(v).filter(|t| in_range(t.date_naive())) else {
                    return Some(out_of_range(v));
                };
                let written = wall(t);
                let stamp = if zoned {
                    value::stamp_from_instant(t, written)
                } else {
                    value::stamp_from_wall_time(written, tz)
                };
                Some((StampCell::Stored(Some(written)), stamp.map(Some)))
            })))
        }
        other => Err(format!("a column of type {other} is not a time")),
    }
}

/// Per row of a stored time column: `None` for a null, else the cell it was written as (its
/// wall time, or the number of a value out of range) and its stamp ([`typed_stamps`]).
type StoredStamps<'a> = Box<dyn Iterator<Item = Option<(StampCell<'static>, StampResult)>> + 'a>;

/// Number columns whose unreadable values (counted as unparseable) are kept as NaN instead of
/// null, for the journeys to tell a value given but unreadable from an empty cell: an empty
/// refund is no refund, an unreadable one leaves the order's net revenue unknown
/// (`journey::final_columns`), never a refund of 0. No other step reads the NaN: the journeys
/// turn it into null.
pub const UNREADABLE_AS_NAN: &[&str] = &[s::REFUNDED];

/// Canonical columns of a grouped (Shopify) orders table that hold each line's own value, not an
/// order field: never filled down from the order's first row (see `fold_records`).
const PER_LINE_COLUMNS: &[&str] = &[s::REQUIRES_SHIPPING];

/// Whether column `c` of a grouped table (read all as text, `read_cells`) has a value in `row`.
fn filled_at(columns: &[Cells], c: usize, row: usize) -> bool {
    columns
        .get(c)
        .and_then(|cells| cells.text_at(row))
        .is_some_and(|v| !v.trim().is_empty())
}

/// Canonical columns that only an order's full row carries in an export of records spread
/// over rows: Shopify writes `Financial Status`, `Total`, `Currency` and `Id` on the order's
/// full row and leaves them empty on its other line-item rows, so a record with none of them
/// (while the file has some of these columns) is the rest of an order begun elsewhere.
pub const ORDER_FIELD_MARKERS: &[&str] = &[s::STATUS, s::TOTAL, s::CURRENCY, "shopify_id"];

/// The records of `columns` (keyed by column `key`, within the blocks `header_rows` delimit)
/// none of whose rows has a value in any of the columns `markers`, by block and key as read
/// ([`value::parse_id_str`]), in the order they first appear; and the key of each block's last
/// row. None when `markers` is empty.
fn continued_records(
    columns: &[Cells],
    key: usize,
    markers: &[usize],
    header_rows: &[usize],
) -> (OrderIdsByBlock, OrderIdsByBlock) {
    let Some(keys) = columns.get(key).and_then(Cells::text) else {
        return (Vec::new(), Vec::new());
    };
    if markers.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let id = |k: &str| value::parse_id_str(k).0.map(str::to_string);
    let mut last_records: Vec<(u32, String)> = Vec::new();
    let carries = |row: usize| markers.iter().any(|&c| filled_at(columns, c, row));
    let mut records: Vec<((u32, &str), bool)> = Vec::new();
    let mut index: std::collections::HashMap<(u32, &str), usize> = std::collections::HashMap::new();
    for (row, k) in keys.iter().enumerate() {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        let block = header_rows.partition_point(|&h| h <= row) as u32;
        match last_records.last_mut() {
            Some((b, last)) if *b == block => {
                if last != k {
                    *last = k.to_string();
                }
            }
            _ => last_records.push((block, k.to_string())),
        }
        let i = *index.entry((block, k)).or_insert_with(|| {
            records.push(((block, k), false));
            records.len() - 1
        });
        if !records[i].1 && carries(row) {
            records[i].1 = true;
        }
    }
    let continued = records
        .into_iter()
        .filter(|(_, carries)| !carries)
        .filter_map(|((block, k), _)| id(k).map(|id| (block, id)))
        .collect();
    let last_records = last_records
        .into_iter()
        .filter_map(|(block, k)| id(&k).map(|id| (block, id)))
        .collect();
    (continued, last_records)
}

/// Shopify-style records spread over several rows: every empty cell of a row takes the value
/// of its record's head, the first row with the same key in column `key` whose `required`
/// columns are all filled (order fields are only on an order's full row, which is usually, but
/// not always, its first: line-item rows may come before it), else the record's first row;
/// except in the columns `per_line`. Rows without a key are left alone. A record none of whose
/// rows has its required values keeps them empty, so that each of its rows is dropped and
/// counted as before.
///
/// A record never spans a repeated header line (`header_rows`, ascending): the rows after one
/// are another export's, whose own rows give its records' values.
///
/// Returns, per column, the rows whose cell was filled (`None` for a column with none).
///
/// Errors: a rebuilt column exceeds 4 GiB of text.
fn fill_down(
    columns: &mut [Cells],
    key: usize,
    required: &[usize],
    per_line: &[usize],
    header_rows: &[usize],
) -> Result<Vec<Option<Vec<bool>>>> {
    let mut filled_rows = vec![None; columns.len()];
    // The head of each key; heads are never filled themselves, so reading the original cells
    // of a head is the same as filling row by row.
    let heads: Vec<usize> = {
        let Some(keys) = columns.get(key).and_then(Cells::text) else {
            return Ok(filled_rows);
        };
        // Per row, its block: the number of repeated header lines before it.
        let block = |row: usize| header_rows.partition_point(|&h| h <= row);
        let full = |row: usize| required.iter().all(|&c| filled_at(columns, c, row));
        // Per key: its first row, and its first full row once one is seen.
        let mut head: std::collections::HashMap<(usize, &str), (usize, Option<usize>)> =
            std::collections::HashMap::new();
        for (row, k) in keys.iter().enumerate() {
            let k = k.trim();
            if k.is_empty() {
                continue;
            }
            let (_, first_full) = head.entry((block(row), k)).or_insert((row, None));
            if first_full.is_none() && full(row) {
                *first_full = Some(row);
            }
        }
        keys.iter()
            .enumerate()
            .map(|(row, k)| match head.get(&(block(row), k.trim())) {
                Some(&(first, first_full)) => first_full.unwrap_or(first),
                None => row,
            })
            .collect()
    };
    if heads.iter().enumerate().all(|(row, head)| row == *head) {
        return Ok(filled_rows);
    }
    for (ci, col) in columns.iter_mut().enumerate() {
        // A grouped table is read all as text (`read_cells`).
        let Cells::Text(col) = col else {
            continue;
        };
        if ci == key || per_line.contains(&ci) {
            continue;
        }
        let is_filled: Vec<bool> = heads
            .iter()
            .enumerate()
            .map(|(row, &head)| {
                head != row && col.get(row).trim().is_empty() && !col.get(head).trim().is_empty()
            })
            .collect();
        if !is_filled.contains(&true) {
            continue;
        }
        let filled = TextColumn::from_cells(
            heads
                .iter()
                .zip(&is_filled)
                .enumerate()
                .map(|(row, (&head, &fill))| if fill { col.get(head) } else { col.get(row) }),
        )?;
        *col = filled;
        filled_rows[ci] = Some(is_filled);
    }
    Ok(filled_rows)
}

/// A parser's reason without the quoted value it starts with (`'N/A' is not an amount` ->
/// `is not an amount`), so that findings group by problem; the value is kept as the example.
fn without_value(why: &str) -> &str {
    if let Some(rest) = why.strip_prefix('\'') {
        if let Some(end) = rest.find('\'') {
            return rest[end + 1..].trim_start_matches(':').trim();
        }
    }
    why
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The dtype of every timestamp column: milliseconds, UTC.
pub fn utc_ms() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

fn datetime_column(name: &str, millis: Vec<Option<i64>>) -> Result<Column> {
    Ok(Column::new(name.into(), millis).cast(&utc_ms())?)
}

/// Typed all-null columns for a canonical column the file does not have.
pub fn null_columns(c: &ColumnSpec, height: usize) -> Result<Vec<Column>> {
    let name = c.canonical;
    let col = |n: String, dt: DataType| Column::full_null(n.into(), height, &dt);
    Ok(match c.ty {
        ValueType::Id | ValueType::Text => vec![col(name.into(), DataType::String)],
        ValueType::Money | ValueType::Number | ValueType::ReviewScore | ValueType::Satisfaction => {
            vec![col(name.into(), DataType::Float64)]
        }
        ValueType::Bool => vec![col(name.into(), DataType::Boolean)],
        ValueType::Timestamp => vec![col(name.into(), utc_ms())],
        ValueType::Promise => vec![
            col(format!("{name}{}", s::DEADLINE_SUFFIX), utc_ms()),
            col(format!("{name}{}", s::IS_DATE_SUFFIX), DataType::Boolean),
            col(format!("{name}{}", s::DATE_SUFFIX), DataType::Date),
        ],
    })
}
