//! From an export folder to one typed frame per table kind (SPEC section 1).
//!
//! `detect` recognises each file by its header, `read` and `frame` parse it into canonical
//! columns, and [`load`] assembles the store: files of one kind are stacked in order of their
//! latest timestamp (then name; the parts of a split export ranked together), duplicate orders
//! keep their latest version, test orders are removed, and every customer gets a
//! `customer_key`. Each step counts what it drops or changes in the [`DataQuality`] audit.

pub mod formats;
pub mod frame;
pub mod inspect;
pub mod mapping;
pub mod read;
pub mod value;

use std::path::Path;

use polars::prelude::*;

use self::formats::{Detection, FormatSpec, NearMiss, Source};
use self::frame::{null_columns, ReadOptions};
use self::mapping::Mapping;
use self::read::{RawFile, Repair};
use crate::error::{Error, Result};
use crate::quality::{DataQuality, Effect};
use crate::schema::{self as s, TableKind};

/// One table read from an input file (a Shopify export gives two: orders and line items).
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    pub file: String,
    pub kind: TableKind,
    pub format: String,
    /// Records of this table read from the file (after folding line-item rows into orders, before
    /// any row was dropped), but for those in `continued`.
    pub rows: u64,
    /// Shipments only: tracking numbers counted (a cell may hold several, comma-joined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_numbers: Option<u64>,
    /// Orders only, when some: records that only continue an order begun in another part of a
    /// split export (its later line items, no order field: see `continued_parts`), not counted
    /// in `rows`, as they are the rest of an order counted where it begins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continued: Option<u64>,
}

/// One file in the folder that was not used, with the reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

/// The store's tables in canonical shape (columns as in `formats::CANONICAL_*`, plus
/// `src_file`, `src_line`, `src_rank`), without the columns no step after import reads (line
/// items' `product` and `unit_price`, shipments' `service` and `tracking_number`: their cells
/// are checked at import). Tables whose
/// kind had no input file are `None`, so that "no reviews table" (KPI null) differs from "a
/// reviews table with no rows" (KPI 0).
pub struct Store {
    /// Unique by `order_id`, test orders removed; adds `customer_key` (String, null when the
    /// order cannot be tied to a person) and `region` from the customers table when present.
    /// Sorted by `placed_at`, then `order_id` (ties in source order): the journeys' order, which
    /// they keep, so that their columns share these buffers instead of copying them.
    pub orders: DataFrame,
    pub line_items: Option<DataFrame>,
    /// One row per shipment (unique by order_id + tracking_number when there is one; rows
    /// without one repeated by another file kept once, see [`REPEATED_UNTRACKED_SHIPMENT`]);
    /// `order_id` rewritten to the orders' spelling when it differed only by a leading `#`.
    /// Shipments (and reviews) citing no order are kept here, counted in the audit, and left
    /// out of the journeys.
    pub shipments: Option<DataFrame>,
    /// Unique by `ticket_id` (the latest export's version wins).
    pub tickets: Option<DataFrame>,
    pub reviews: Option<DataFrame>,
    pub inputs: Vec<InputFile>,
    pub skipped: Vec<SkippedFile>,
    /// True when the import found no two orders sharing an `order_id` (so the journeys need
    /// not check again); false when it found some (replaced, or kept as scientific-notation
    /// ids), in which case the journeys check what is left.
    pub order_ids_distinct: bool,
    /// True when some orders or shipments file has a delivery-time column (even one with no
    /// value yet): only then is "0 delivered" a measurement (see `metrics`).
    pub delivery_times_read: bool,
    /// True when some orders file has a status or cancellation-time column: only then is
    /// "0 cancelled" a measurement (see `metrics`; without either, no order can be seen
    /// cancelled).
    pub cancellations_read: bool,
    /// The timestamp columns that files give as dates only (see
    /// [`frame::FileFrame::date_only`]), each with the file: their rows' times are known to the
    /// day only (the rows are those whose `src_file` is the file).
    pub date_only: Vec<DateOnlyColumn>,
    /// The ids of the orders left out of `orders` for their own values (test orders, orders
    /// without a usable placement time) that no kept order has (String): what cites them is
    /// counted under a reason that says so, not as citing an order not in the orders file.
    pub left_out_order_ids: Series,
}

/// A timestamp column that one input file gives as dates only (every value a bare date or a
/// time of exactly 00:00:00 without an offset): a ShipStation `Ship Date`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOnlyColumn {
    pub kind: TableKind,
    /// The canonical column (`shipped_at`, `delivered_at`, `placed_at`...).
    pub column: &'static str,
    /// The file, as in the `src_file` column.
    pub file: String,
}

/// The date-only columns of `tables`, once per file (the blocks of a file share them).
fn date_only_columns(tables: &[(TableKind, frame::FileFrame, String)]) -> Vec<DateOnlyColumn> {
    let mut out: Vec<DateOnlyColumn> = Vec::new();
    for (kind, ff, name) in tables {
        for &column in &ff.date_only {
            let found = DateOnlyColumn {
                kind: *kind,
                column,
                file: name.clone(),
            };
            if !out.contains(&found) {
                out.push(found);
            }
        }
    }
    out
}

/// Values that are never a customer id (SPEC section 1, identity).
pub const PLACEHOLDER_IDS: [&str; 7] = ["", "0", "-", "null", "none", "guest", "n/a"];

/// How one input file is to be read: which tables, in which format, from which columns.
pub enum FilePlan {
    Read {
        raw: RawFile,
        tables: Vec<PlannedTable>,
        opts: ReadOptions,
    },
    Skipped {
        file: String,
        reason: String,
        nearest: Option<NearMiss>,
    },
}

/// One table to read from a file.
pub struct PlannedTable {
    pub spec: &'static FormatSpec,
    /// `shopify`, `zendesk`, ... or `mapping`.
    pub format: String,
    pub positions: Vec<Option<Source>>,
}

/// Opens `path` and decides how to read it: by the first `[[mapping]]` whose glob matches the
/// file name, else by its header (SPEC section 1). A spreadsheet no mapping names is skipped
/// unopened, with a reason that says to export it as CSV.
///
/// Errors: the file cannot be read or is empty; a mapped header is missing.
pub fn plan_file(path: &Path, opts: &ReadOptions, mappings: &[Mapping]) -> Result<FilePlan> {
    let name = file_name(path);
    let mapping = mappings.iter().find(|m| m.matches(&name));
    if let Some(reason) = read::spreadsheet_reason(path) {
        // A mapping may read a text file named like a workbook (some tools write tab-separated
        // text as `.xls`), never a folder (a `.numbers` package).
        if mapping.is_none() || path.is_dir() {
            return Ok(FilePlan::Skipped {
                file: name,
                reason,
                nearest: None,
            });
        }
    }
    if let Some(m) = mapping {
        let raw = RawFile::open(path, m.delimiter)?;
        let positions = m.positions(&raw.name, &raw.headers)?;
        return Ok(FilePlan::Read {
            tables: vec![PlannedTable {
                spec: m.spec(),
                format: "mapping".into(),
                positions,
            }],
            raw,
            opts: m.read.clone(),
        });
    }
    let raw = RawFile::open(path, None)?;
    match formats::detect_file(&raw.headers, &raw.name) {
        Detection::Unrecognised { reason, nearest } => Ok(FilePlan::Skipped {
            file: raw.name,
            reason,
            nearest,
        }),
        Detection::Recognised { spec, positions } => {
            // The same columns: the positions hold.
            let spec = formats::per_item(spec, &raw.headers);
            let mut tables = vec![PlannedTable {
                spec,
                format: spec.format.to_string(),
                positions,
            }];
            let normalised: Vec<String> = raw
                .headers
                .iter()
                .map(|h| formats::normalise_header(h))
                .collect();
            for extra in spec.also {
                if let Some(positions) = formats::complete_positions(extra, &normalised) {
                    tables.push(PlannedTable {
                        spec: extra,
                        format: extra.format.to_string(),
                        positions,
                    });
                }
            }
            Ok(FilePlan::Read {
                raw,
                tables,
                opts: opts.clone(),
            })
        }
    }
}

/// Reads one planned table of a file into its canonical frame (see [`canonical_columns`]). A
/// file holding several exports (a header line repeated inside it) gives them stacked, each
/// folded on its own (see [`split_blocks`]).
///
/// Errors: see `frame::read_frame`.
pub fn read_table(
    raw: &RawFile,
    table: &PlannedTable,
    opts: &ReadOptions,
    dq: &mut DataQuality,
) -> Result<(InputFile, frame::FileFrame)> {
    let cells = frame::read_cells(raw, table.spec, &table.positions)?;
    let (input, mut blocks) = table_from_cells(raw, table, cells, opts, dq)?;
    if blocks.len() < 2 {
        if let Some(ff) = blocks.pop() {
            return Ok((input, ff));
        }
    }
    let latest = blocks.iter().filter_map(|b| b.latest).max();
    let frames: Vec<LazyFrame> = blocks.iter().map(|b| b.frame.clone().lazy()).collect();
    let frame = concat(frames, UnionArgs::default())?.collect()?;
    let mut first = blocks.swap_remove(0);
    first.frame = frame;
    first.latest = latest;
    Ok((input, first))
}

/// [`read_table`] from the cells already read from `raw` (whose text may be released): the
/// table's frame of each block of the file ([`split_blocks`]; one for most files), in order.
fn table_from_cells(
    raw: &RawFile,
    table: &PlannedTable,
    cells: frame::TableCells,
    opts: &ReadOptions,
    dq: &mut DataQuality,
) -> Result<(InputFile, Vec<frame::FileFrame>)> {
    let dropped_before = dropped_in(dq, &raw.name);
    let ff = frame::parse_cells(raw, table.spec, cells, opts, dq)?;
    let dropped = dropped_in(dq, &raw.name) - dropped_before;
    let dropped_counted_elsewhere = ff.dropped_counted_elsewhere;
    let mut blocks = split_blocks(ff)?;
    let continued = match table.spec.kind {
        TableKind::Orders => blocks.iter().map(|b| b.continued.len() as u64).sum(),
        _ => 0,
    };
    let mut height = 0;
    let mut tracking_numbers = None;
    for block in blocks.iter_mut() {
        let mut df = std::mem::take(&mut block.frame);
        if let Some(key) = table.spec.group_by {
            df = fold_records(df, key, dq)?;
        }
        if let Some(derive) = table.spec.derive {
            df = derive(df.lazy()).collect()?;
        }
        let canonical = to_canonical(df, table.spec)?;
        if table.spec.kind == TableKind::Shipments {
            audit(
                &canonical,
                col(s::TRACKING_COUNT).gt(lit(1u32)),
                "tracking_number: several tracking numbers in one cell (each counted)",
                Effect::Warning,
                dq,
            )?;
            let total = canonical
                .column(s::TRACKING_COUNT)?
                .as_materialized_series()
                .sum::<u64>()
                .unwrap_or(0);
            tracking_numbers = Some(tracking_numbers.unwrap_or(0) + total);
        }
        height += canonical.height() as u64;
        block.frame = canonical;
    }
    let input = InputFile {
        file: raw.name.clone(),
        kind: table.spec.kind,
        format: table.format.clone(),
        rows: height + dropped + dropped_counted_elsewhere - continued,
        tracking_numbers,
        continued: (continued > 0).then_some(continued),
    };
    Ok((input, blocks))
}

/// A file's parsed frame cut at its repeated header lines
/// ([`frame::FileFrame::repeated_headers`]) into one frame per block: two exports joined with
/// `cat` are read as the two files they were, each folded on its own and with its own latest
/// time (the latest non-promise timestamp of its rows; the file's is the latest of its
/// blocks'), so that an order in both takes the version further down the file with that
/// block's line items (see `stack_kind` and [`lines_of_the_latest_export`]). The file's
/// dropped-row tallies stay with the first block. A file without a repeated header is one
/// block, unchanged.
fn split_blocks(mut ff: frame::FileFrame) -> Result<Vec<frame::FileFrame>> {
    let starts = std::mem::take(&mut ff.repeated_headers);
    if starts.is_empty() {
        return Ok(vec![ff]);
    }
    // Rows are in line order: each block is a slice (no copy), from the first row after its
    // header line.
    let lines: Vec<u64> = ff
        .frame
        .column(s::SRC_LINE)?
        .u64()?
        .into_no_null_iter()
        .collect();
    debug_assert!(lines.is_sorted(), "a file's rows are read in line order");
    let row_after = |line: u64| lines.partition_point(|&l| l <= line);
    let mut blocks = Vec::with_capacity(starts.len() + 1);
    for block in 0..=starts.len() {
        let from = if block == 0 {
            0
        } else {
            row_after(starts[block - 1])
        };
        let to = starts.get(block).map_or(lines.len(), |&at| row_after(at));
        let frame = ff.frame.slice(from as i64, to - from);
        let first = block == 0;
        blocks.push(frame::FileFrame {
            latest: latest_time(&frame, None)?,
            frame,
            read: ff.read.clone(),
            dropped_counted_elsewhere: if first {
                ff.dropped_counted_elsewhere
            } else {
                0
            },
            dropped_order_ids: if first {
                std::mem::take(&mut ff.dropped_order_ids)
            } else {
                Vec::new()
            },
            repeated_headers: Vec::new(),
            block: block as u32,
            date_only: ff.date_only.clone(),
            continued: of_block(&ff.continued, block as u32),
            last_records: of_block(&ff.last_records, block as u32),
        });
    }
    Ok(blocks)
}

/// The entries of `by_block` that are of block `block`.
fn of_block(by_block: &[(u32, String)], block: u32) -> Vec<(u32, String)> {
    by_block
        .iter()
        .filter(|(b, _)| *b == block)
        .cloned()
        .collect()
}

/// The latest time in `df`'s timestamp columns (promises' deadlines left out), among those at
/// or before `cap` when one is given; `None` when there is none.
fn latest_time(
    df: &DataFrame,
    cap: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let cap_ms = cap.map(|c| c.timestamp_millis());
    let times: Vec<Expr> = df
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Datetime(_, _)))
        .filter(|c| !c.name().ends_with(s::DEADLINE_SUFFIX))
        .map(|c| {
            let t = col(c.name().clone()).cast(DataType::Int64);
            match cap_ms {
                Some(cap) => t.clone().filter(t.lt_eq(lit(cap))).max(),
                None => t.max(),
            }
        })
        .collect();
    if times.is_empty() {
        return Ok(None);
    }
    let latest = df
        .clone()
        .lazy()
        .select([polars::lazy::dsl::max_horizontal(times)?.alias("latest")])
        .collect()?;
    Ok(latest
        .column("latest")?
        .i64()?
        .get(0)
        .and_then(chrono::DateTime::from_timestamp_millis))
}

/// Rows counted as dropped for `file` so far.
fn dropped_in(dq: &DataQuality, file: &str) -> u64 {
    dq.entries()
        .iter()
        .filter(|e| e.file == file && e.effect == Effect::RowDropped)
        .map(|e| e.count)
        .sum()
}

/// The orders files' inputs with the continuations no part holds the full row of (a part of a
/// split export read without the part before) counted as orders again: they are kept as the
/// order ([`CONTINUATION_ALONE`], whose audit gives their number per file), where the inputs
/// had set them apart ([`InputFile::continued`]).
fn count_continuations_kept_as_orders(inputs: &mut [InputFile], dq: &DataQuality) {
    for input in inputs
        .iter_mut()
        .filter(|i| i.kind == TableKind::Orders && i.continued.is_some())
    {
        let alone: u64 = dq
            .entries()
            .iter()
            .filter(|e| e.file == input.file && e.reason == CONTINUATION_ALONE)
            .map(|e| e.count)
            .sum();
        let continued = input.continued.unwrap_or(0).saturating_sub(alone);
        input.rows += input.continued.unwrap_or(0) - continued;
        input.continued = (continued > 0).then_some(continued);
    }
}

/// Number of tracking numbers in a `tracking_number` cell: comma-, semicolon- or
/// space-separated parts (UInt32; 0 when empty).
fn tracking_count() -> Expr {
    col(s::TRACKING_NUMBER)
        .str()
        .count_matches(lit(r"[^,;\s]+"), false)
        .cast(DataType::UInt32)
        .fill_null(lit(0u32))
        .alias(s::TRACKING_COUNT)
}

/// Folds rows sharing `key` into one (Shopify line-item rows into their order): each order
/// field's first value given on the order's rows (the first row's, unless it is empty there and
/// given on a later row: a refund on a line-item row), except booleans, which are true when any
/// row is. An order requires shipping when any of its lines does, and a line whose
/// `requires_shipping` is empty does (the default): false only when every line says false.
/// A row giving an order field a value other than the one read is counted in `dq`
/// ([`ORDER_FIELD_DIFFERS`], at that row's line, the fields whose value is ignored as example);
/// e-mails and currencies differing only in letter case are the same value.
fn fold_records(df: DataFrame, key: &str, dq: &mut DataQuality) -> Result<DataFrame> {
    let mut aggs = Vec::new();
    let mut ignored = Vec::new();
    for (name, dt) in df.schema().iter() {
        let c = col(name.clone());
        if name.as_str() == key {
            continue;
        } else if name.as_str() == s::REQUIRES_SHIPPING {
            aggs.push(c.fill_null(lit(true)).max());
        } else if *dt == DataType::Boolean {
            aggs.push(c.max());
        } else if [s::SRC_FILE, s::SRC_LINE].contains(&name.as_str()) {
            aggs.push(c.first());
        } else {
            aggs.push(c.clone().drop_nulls().first());
            // A row's own value that is not the one read (an unreadable amount, NaN, is the
            // same as another NaN): the field's name.
            let read = c.clone().drop_nulls().first().over([col(key)])?;
            // E-mail addresses and currency codes are read without regard to letter case
            // (customer keys, ISO 4217): `A@x.com` beside `a@x.com` is one value.
            let mut differs = if [s::EMAIL, s::CURRENCY].contains(&name.as_str()) {
                c.clone()
                    .str()
                    .to_lowercase()
                    .neq(read.clone().str().to_lowercase())
            } else {
                c.clone().neq(read.clone())
            }
            .fill_null(lit(false));
            if dt.is_float() {
                differs = differs.and(c.clone().is_nan().and(read.is_nan()).not());
            }
            ignored.push(
                when(differs)
                    .then(lit(name.to_string()))
                    .otherwise(lit(NULL).cast(DataType::String)),
            );
        }
    }
    let order: Vec<Expr> = df
        .get_column_names()
        .iter()
        .map(|n| col(n.as_str()))
        .collect();
    if !ignored.is_empty() {
        const IGNORED: &str = "_ignored_fields";
        let rows = df
            .clone()
            .lazy()
            .select([
                col(s::SRC_FILE),
                col(s::SRC_LINE),
                concat_str(ignored, ", ", true).alias(IGNORED),
            ])
            .collect()?;
        audit_with_example(
            &rows,
            col(IGNORED).neq(lit("")).fill_null(lit(false)),
            Some(IGNORED),
            ORDER_FIELD_DIFFERS,
            Effect::Warning,
            dq,
        )?;
    }
    let folded = df
        .lazy()
        .group_by_stable([col(key)])
        .agg(aggs)
        .select(order)
        .collect()?;
    Ok(folded)
}

/// Data-quality reason of a row of an order (Shopify: one row per line item) that gives an
/// order field another value than the order's first row giving it; counted at that row's line,
/// the example names the fields.
pub const ORDER_FIELD_DIFFERS: &str =
    "order field with different values on the order's rows (the first is read)";

/// What reading one input file gave.
enum FileRead {
    Skipped(SkippedFile),
    Tables {
        /// Per table, its frame of each block of the file (see [`split_blocks`]).
        tables: Vec<(InputFile, TableKind, Vec<frame::FileFrame>, String)>,
        audit: DataQuality,
    },
}

/// Plans and reads one input file with its own audit.
fn read_file(path: &Path, opts: &ReadOptions, mappings: &[Mapping]) -> Result<FileRead> {
    let _t = crate::timings::span(format!("read {}", file_name(path)));
    let plan = {
        let _t = crate::timings::span("open");
        plan_file(path, opts, mappings)?
    };
    match plan {
        FilePlan::Skipped {
            file,
            reason,
            nearest,
        } => Ok(FileRead::Skipped(SkippedFile {
            file,
            reason: match nearest {
                Some(n) if !n.missing.is_empty() => format!(
                    "{reason}; nearest format: {} {} (lacks {})",
                    n.format,
                    n.kind,
                    n.missing.join(", ")
                ),
                _ => reason,
            },
        })),
        FilePlan::Read {
            mut raw,
            tables,
            opts,
        } => {
            let mut audit = file_notes(&raw, &tables);
            // Every table's cells first, then the file's text is freed before any is parsed
            // (the text, the cells and the parsed columns need not all be held at once).
            let cells = tables
                .iter()
                .map(|t| frame::read_cells(&raw, t.spec, &t.positions))
                .collect::<Result<Vec<_>>>()?;
            raw.release_text();
            let mut read = Vec::with_capacity(tables.len());
            for (table, cells) in tables.iter().zip(cells) {
                let _t = crate::timings::span(format!("table {}", table.spec.kind));
                let (input, blocks) = table_from_cells(&raw, table, cells, &opts, &mut audit)?;
                read.push((input, table.spec.kind, blocks, raw.name.clone()));
            }
            share_continued(&mut read);
            Ok(FileRead::Tables {
                tables: read,
                audit,
            })
        }
    }
}

/// Gives the line items read from a file the orders records of the same file that continue an
/// order begun in another block or file, and the last record of each block
/// ([`frame::FileFrame::continued`], [`frame::FileFrame::last_records`]), block by block: a
/// line-item row does not show whether its order's full row is in its part of the export.
fn share_continued(tables: &mut [(InputFile, TableKind, Vec<frame::FileFrame>, String)]) {
    let Some(orders) = tables
        .iter()
        .find(|(_, kind, blocks, _)| {
            *kind == TableKind::Orders && blocks.iter().any(|b| !b.last_records.is_empty())
        })
        .map(|(_, _, blocks, _)| {
            blocks
                .iter()
                .map(|b| (b.block, b.continued.clone(), b.last_records.clone()))
                .collect::<Vec<_>>()
        })
    else {
        return;
    };
    for (_, kind, blocks, _) in tables.iter_mut() {
        if *kind != TableKind::LineItems {
            continue;
        }
        for b in blocks.iter_mut() {
            if let Some((_, continued, last)) = orders.iter().find(|(block, ..)| *block == b.block)
            {
                b.continued = continued.clone();
                b.last_records = last.clone();
            }
        }
    }
}

/// The file-level findings of a file about to be read as `tables`: lines repaired while
/// decoding (Windows-1252 bytes, invalid UTF-16), and headers repeated, read under two names,
/// or not read though they look meant for a column. `analyze` counts them in its audit;
/// `inspect` lists them under the file.
pub(crate) fn file_notes(raw: &RawFile, tables: &[PlannedTable]) -> DataQuality {
    let mut audit = DataQuality::default();
    let repaired = &raw.repaired_lines;
    if repaired.count > 0 {
        let reason = match repaired.repair {
            Repair::Windows1252 => CP1252_REASON,
            Repair::Utf16 => UTF16_REASON,
        };
        audit.note_many(
            &raw.name,
            reason,
            Effect::Warning,
            repaired.count,
            &repaired.first,
        );
    }
    note_duplicate_headers(raw, tables, &mut audit);
    note_alias_headers(raw, tables, &mut audit);
    note_misspelt_headers(raw, tables, &mut audit);
    audit
}

/// The data-quality reason for the lines of a file that hold bytes that are not UTF-8 (one
/// count per line, named by its physical line).
const CP1252_REASON: &str =
    "line not all UTF-8: the bytes that are not were decoded as Windows-1252";

/// The data-quality reason for the lines of a UTF-16 file that hold code units that are no
/// character (a surrogate without its pair, an odd last byte), counted like [`CP1252_REASON`].
const UTF16_REASON: &str =
    "line not valid UTF-16: a code unit that is no character (an unpaired surrogate, or an odd last byte) was read as U+FFFD";

/// Warns once per file about each header that a table reads and that appears more than once
/// (after normalisation, e.g. `Email` and `email `): which column is read, so that the user
/// knows the others were ignored.
fn note_duplicate_headers(raw: &RawFile, tables: &[PlannedTable], audit: &mut DataQuality) {
    let normalised: Vec<String> = raw
        .headers
        .iter()
        .map(|h| formats::normalise_header(h))
        .collect();
    let mut used: Vec<usize> = tables
        .iter()
        .flat_map(|t| t.positions.iter().flatten().filter_map(Source::position))
        .collect();
    used.sort_unstable();
    used.dedup();
    for p in used {
        let (Some(header), Some(name)) = (raw.headers.get(p), normalised.get(p)) else {
            continue;
        };
        let same: Vec<String> = (0..normalised.len())
            .filter(|&i| normalised[i] == *name)
            .map(|i| (i + 1).to_string())
            .collect();
        if same.len() > 1 {
            let reason = format!(
                "header '{}' appears in columns {}: column {} is read, the others are ignored",
                header,
                same.join(", "),
                p + 1
            );
            audit.note(&raw.name, 1, &reason, Effect::Warning, None);
        }
    }
}

/// Warns once per file about each column a table reads from one header while other headers of
/// the file are other names of that column in its format (`cancelled_at` and `canceled_at`,
/// `cancel_reason` and `cancellation_reason`) or its canonical name (a WooCommerce export's
/// `paid_at` beside its `paid_date`): the first name in the format's list is read and the others
/// ignored, which the user should know when they hold different values. A header repeated under
/// the same name is [`note_duplicate_headers`]'s, and a header some table reads is never called
/// ignored; sources read in order of preference (Shopify's shipping, else billing province) are
/// not warned.
fn note_alias_headers(raw: &RawFile, tables: &[PlannedTable], audit: &mut DataQuality) {
    let normalised: Vec<String> = raw
        .headers
        .iter()
        .map(|h| formats::normalise_header(h))
        .collect();
    let used: Vec<usize> = tables
        .iter()
        .flat_map(|t| t.positions.iter().flatten().filter_map(Source::position))
        .collect();
    let mut warned: Vec<usize> = Vec::new();
    for table in tables {
        for (c, pos) in table.spec.columns.iter().zip(&table.positions) {
            let Some(read) = pos.as_ref().and_then(Source::position) else {
                continue;
            };
            let Some(read_name) = normalised.get(read) else {
                continue;
            };
            if warned.contains(&read) || formats::reads_in_preference(table.spec, c.canonical) {
                continue;
            }
            let aliases: Vec<String> = c
                .headers
                .iter()
                .copied()
                .chain([c.canonical])
                .map(formats::normalise_header)
                .collect();
            let others: Vec<usize> = (0..normalised.len())
                .filter(|&i| {
                    normalised[i] != *read_name
                        && aliases.contains(&normalised[i])
                        && !used.contains(&i)
                })
                .collect();
            if others.is_empty() {
                continue;
            }
            warned.push(read);
            let mut all: Vec<usize> = others;
            all.push(read);
            all.sort_unstable();
            let named: Vec<String> = all
                .iter()
                .map(|&i| format!("'{}' (column {})", raw.headers[i], i + 1))
                .collect();
            let Some((last, first)) = named.split_last() else {
                continue;
            };
            let (verb, rest) = if first.len() == 1 {
                ("both give", "the other is")
            } else {
                ("all give", "the others are")
            };
            let reason = format!(
                "headers {} and {last} {verb} {}: column {} is read, {rest} ignored",
                first.join(", "),
                c.canonical,
                read + 1
            );
            audit.note(&raw.name, 1, &reason, Effect::Warning, None);
        }
    }
}

/// Warns once per file about each header that no table reads and that is one typing slip from
/// a name an optional column of its format is read under (`subjet` for `subject`,
/// `delivred_at` for `delivered_at`), or is the canonical name of an optional column the format
/// reads under names of its own only (`paid_at` in a WooCommerce export, which reads
/// `paid_date`): that column is then missing from the analysis, so the KPIs built on it change
/// or go empty, while a missing required column is an error. A slip is one edit (insert,
/// delete, substitute or swap two neighbours; two in a name of eight or more characters)
/// between the normalised names. In a name of under six characters one substituted letter is
/// not a slip: it makes other words (`text` for `test`, `note` for `nose`), while a dropped,
/// doubled or swapped letter (`tst`, `tesst`, `tset`) still is.
fn note_misspelt_headers(raw: &RawFile, tables: &[PlannedTable], audit: &mut DataQuality) {
    let used: Vec<usize> = tables
        .iter()
        .flat_map(|t| t.positions.iter().flatten().filter_map(Source::position))
        .collect();
    for (p, header) in raw.headers.iter().enumerate() {
        if used.contains(&p) {
            continue;
        }
        let name = formats::normalise_header(header);
        let slip = |wanted: &str| {
            let wanted = formats::normalise_header(wanted);
            let allowed = if wanted.chars().count() >= 8 { 2 } else { 1 };
            let substituted =
                wanted.chars().count() < 6 && strsim::hamming(&wanted, &name) == Ok(1);
            wanted != name
                && wanted.chars().count() >= 4
                && !substituted
                && strsim::damerau_levenshtein(&wanted, &name) <= allowed
        };
        // The canonical name of a column the format reads under names of its own (a
        // WooCommerce export's `paid_at`, where it reads `paid_date`), else a slip.
        let meant = tables.iter().find_map(|t| {
            t.spec
                .columns
                .iter()
                .zip(&t.positions)
                .filter(|(c, pos)| !c.required && pos.is_none())
                .find_map(|(c, _)| {
                    if formats::normalise_header(c.canonical) == name {
                        return Some((t.spec, c.headers[0], c.canonical, true));
                    }
                    c.headers
                        .iter()
                        .find(|h| slip(h))
                        .map(|h| (t.spec, *h, c.canonical, false))
                })
        });
        // An orders file without its total column, and a header with "total" in it (`Total
        // Price`, `Grand Total`, `Subtotal`): revenue is not measured, so it is named.
        let meant = meant.or_else(|| {
            name.split(|c: char| !c.is_alphanumeric())
                .any(|word| word == "total" || word == "subtotal")
                .then(|| {
                    tables.iter().find_map(|t| {
                        t.spec
                            .columns
                            .iter()
                            .zip(&t.positions)
                            .find(|(c, pos)| c.canonical == s::TOTAL && pos.is_none())
                            .map(|(c, _)| (t.spec, c.headers[0], c.canonical, false))
                    })
                })
                .flatten()
        });
        let reason = match meant {
            Some((_, wanted, canonical, false)) if canonical == s::TOTAL => format!(
                "header '{header}' is not read: if it holds the order's total, rename it '{wanted}' (column total is missing, so revenue and revenue at risk are not measured)"
            ),
            Some((spec, wanted, canonical, true)) => format!(
                "header '{header}' is not read: {} {} take {canonical} from '{wanted}'; rename it (column {canonical} is missing)",
                spec.format, spec.kind
            ),
            Some((_, wanted, canonical, false)) => format!(
                "header '{header}' is not read: if it means '{wanted}', rename it (column {canonical} is missing)"
            ),
            None => continue,
        };
        audit.note(&raw.name, 1, &reason, Effect::Warning, None);
    }
}

/// Reads `files` on as many threads as rayon has (largest file first, so that the longest
/// read starts at once); results in the order of `files`. At most one file per thread is in
/// memory as raw text at a time.
fn read_files(
    files: &[std::path::PathBuf],
    opts: &ReadOptions,
    mappings: &[Mapping],
) -> Vec<Result<FileRead>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let mut order: Vec<usize> = (0..files.len()).collect();
    let size = |i: usize| std::fs::metadata(&files[i]).map(|m| m.len()).unwrap_or(0);
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let results: Vec<Mutex<Option<Result<FileRead>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let r = read_file(&files[i], opts, mappings);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .zip(files)
        .map(|(slot, path)| {
            slot.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(Error::io(
                    path,
                    std::io::Error::other("reader thread failed"),
                ))
            })
        })
        .collect()
}

/// The skipped files as `file (reason)`, joined by `; ` (empty when there are none): the text
/// the errors for a folder without inputs or without orders name them with.
fn skipped_list(skipped: &[SkippedFile]) -> String {
    skipped
        .iter()
        .map(|s| format!("{} ({})", s.file, s.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The error for a folder none of whose files is read as a table: [`Error::NoInputs`], naming
/// the `skipped` files and why, or saying that the folder has no input file at all.
pub(crate) fn no_inputs(dir: &Path, skipped: &[SkippedFile]) -> Error {
    let list = skipped_list(skipped);
    Error::NoInputs {
        dir: dir.to_path_buf(),
        skipped: if list.is_empty() {
            "the folder has no .csv, .tsv, .csv.gz, .tsv.gz or .parquet file".into()
        } else {
            list
        },
    }
}

/// Reads every input file of `dir` and assembles the store.
///
/// `mappings` are the validated `[[mapping]]` tables of the config. Errors: the folder is
/// missing; no file is recognised; there is no orders file; a recognised file is empty,
/// malformed or misses a required column (see `frame::read_frame`).
pub fn load(
    dir: &Path,
    opts: &ReadOptions,
    mappings: &[Mapping],
    dq: &mut DataQuality,
) -> Result<Store> {
    let globs: Vec<String> = mappings.iter().map(|m| m.file.clone()).collect();
    let files = read::list_inputs(dir, &globs)?;
    let mut skipped = Vec::new();
    let mut inputs = Vec::new();
    let mut by_kind: Vec<(TableKind, frame::FileFrame, String)> = Vec::new();
    // Files are read in parallel, each into its own audit; results are taken in file order
    // (the first error in that order wins), so the outcome is the same as a sequential read.
    for result in read_files(&files, opts, mappings) {
        match result? {
            FileRead::Skipped(s) => skipped.push(s),
            FileRead::Tables { tables, audit } => {
                dq.merge(audit);
                for (input, kind, blocks, name) in tables {
                    for ff in blocks {
                        by_kind.push((kind, ff, name.clone()));
                    }
                    inputs.push(input);
                }
            }
        }
    }
    if inputs.is_empty() {
        return Err(no_inputs(dir, &skipped));
    }
    let _t = crate::timings::span("stack, dedup, customer keys");
    let delivery_times_read = delivery_times_read(&by_kind);
    let date_only = date_only_columns(&by_kind);
    let cancellations_read = cancellations_read(&by_kind);
    let dropped_order_ids = dropped_order_ids(&mut by_kind);
    plausible_latest(&mut by_kind)?;
    lines_dated_by_their_orders(&mut by_kind);
    // The file and block of each rank of the orders and of the line items.
    let mut ranked: Vec<(TableKind, FileRanks)> = Vec::new();
    let mut stack = |kind: TableKind| -> Result<Option<DataFrame>> {
        Ok(stack_ranked(&mut by_kind, kind)?.map(|(df, files)| {
            ranked.push((kind, files));
            df
        }))
    };
    let Some(orders) = stack(TableKind::Orders)? else {
        let found = inputs
            .iter()
            .map(|i| format!("{}: {}", i.file, i.kind))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::NoOrders {
            dir: dir.to_path_buf(),
            found,
            skipped: skipped_list(&skipped),
        });
    };
    let customers = stack(TableKind::Customers)?;
    let payments = stack(TableKind::Payments)?;
    let (orders, order_ids_distinct, left_out) = {
        let _t = crate::timings::span("finish orders (tests, duplicates, customer key)");
        finish_orders(
            orders,
            customers,
            payments,
            dropped_order_ids,
            &per_order_id_files(&inputs),
            dq,
        )?
    };
    count_continuations_kept_as_orders(&mut inputs, dq);
    let known = orders.column(s::ORDER_ID)?.as_materialized_series().clone();
    // The four tables that cite orders are independent from here: each one's references are
    // reconciled (and its duplicates replaced) in parallel, with an audit of its own, merged
    // in the order a sequential run would note them.
    let citing = [
        (
            TableKind::Shipments,
            stack(TableKind::Shipments)?,
            Some(&SHIPMENT_VERSIONS),
        ),
        (
            TableKind::Tickets,
            stack(TableKind::Tickets)?,
            Some(&TICKET_VERSIONS),
        ),
        (TableKind::LineItems, stack(TableKind::LineItems)?, None),
        (
            TableKind::Reviews,
            link_reviews_by_email(
                stack(TableKind::Reviews)?,
                &orders,
                &date_only,
                opts.timezone,
                dq,
            )?,
            None,
        ),
    ];
    let won = winning_exports(&orders, &ranked)?;
    let cites_known = {
        let _t = crate::timings::span("references to known orders");
        cites_known_orders(citing.iter().map(|(_, df, _)| df.as_ref()), &known)?
    };
    let finished = {
        use rayon::prelude::*;
        citing
            .into_par_iter()
            .zip(cites_known)
            .map(|((kind, df, latest_by), cites)| {
                finish_citing(
                    kind,
                    df,
                    cites.as_ref(),
                    &orders,
                    &left_out,
                    latest_by,
                    won.as_ref(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut tables = Vec::with_capacity(finished.len());
    for result in finished {
        let (df, audit) = result?;
        dq.merge(audit);
        tables.push(df);
    }
    let [shipments, tickets, line_items, reviews]: [Option<DataFrame>; 4] = tables
        .try_into()
        .map_err(|_| Error::Polars(polars_err!(ComputeError: "a table citing orders was lost")))?;
    Ok(Store {
        orders,
        line_items,
        shipments,
        tickets,
        reviews,
        inputs,
        skipped,
        order_ids_distinct,
        delivery_times_read,
        cancellations_read,
        date_only,
        left_out_order_ids: left_out,
    })
}

/// Reason of a review without an order id linked by its reviewer's e-mail.
const REVIEW_LINKED_BY_EMAIL: &str =
    "review without an order id: linked by e-mail to the reviewer's latest order placed before it";
/// Reason of a review without an order id that no order of its reviewer precedes.
const REVIEW_NOT_LINKED: &str =
    "review without an order id and no order of its reviewer placed before it (row dropped)";

/// `reviews` with each review that has no order id (a review app's export that names the
/// reviewer, Judge.me's) linked to its reviewer's latest order placed at or before the review,
/// matched by e-mail (trimmed, lower-cased), as a ticket without an order reference is (SPEC
/// section 3). Linked reviews are warned under [`REVIEW_LINKED_BY_EMAIL`]; the others (no such
/// order, or no review time) are dropped and counted under [`REVIEW_NOT_LINKED`]. Reviews with
/// an order id are as they were; with no e-mail at all the table is returned as it is. A review
/// time known to the day only (a file whose every `review_date` is a date, see `date_only`)
/// follows the orders placed on or before that local day in `tz`.
///
/// Errors: a Polars error.
fn link_reviews_by_email(
    reviews: Option<DataFrame>,
    orders: &DataFrame,
    date_only: &[DateOnlyColumn],
    tz: chrono_tz::Tz,
    dq: &mut DataQuality,
) -> Result<Option<DataFrame>> {
    let Some(df) = reviews else {
        return Ok(None);
    };
    if df.column(s::EMAIL)?.null_count() == df.height() {
        return Ok(Some(df));
    }
    use crate::support::email_key;
    let df = df.lazy().with_row_index("_review", None).collect()?;
    let unlinked = df
        .clone()
        .lazy()
        .filter(col(s::ORDER_ID).is_null().and(col(s::EMAIL).is_not_null()))
        .select([
            col("_review"),
            email_key(col(s::EMAIL)).alias("_email"),
            col(s::CREATED_AT),
            col(s::SRC_FILE),
        ]);
    let dated_files: Vec<&str> = date_only
        .iter()
        .filter(|d| d.kind == TableKind::Reviews && d.column == s::CREATED_AT)
        .map(|d| d.file.as_str())
        .collect();
    let placed_before = if dated_files.is_empty() {
        col("_placed").lt_eq(col(s::CREATED_AT))
    } else {
        let dated = col(s::SRC_FILE).is_in(
            lit(Series::new("files".into(), dated_files)).implode(false),
            false,
        );
        when(dated)
            .then(col("_placed").lt(crate::journey::next_local_midnight(col(s::CREATED_AT), tz)))
            .otherwise(col("_placed").lt_eq(col(s::CREATED_AT)))
    };
    let orders_by_email = orders.clone().lazy().select([
        col(s::ORDER_ID).alias("_by_email"),
        email_key(col(s::EMAIL)).alias("_email"),
        col(s::PLACED_AT).alias("_placed"),
    ]);
    let by_email =
        crate::support::latest_order_by_email(unlinked, orders_by_email, "_review", placed_before);
    let linked = df
        .lazy()
        .join(
            by_email,
            [col("_review")],
            [col("_review")],
            JoinArgs::new(JoinType::Left),
        )
        .sort(["_review"], SortMultipleOptions::default())
        .with_column(coalesce(&[col(s::ORDER_ID), col("_by_email")]).alias(s::ORDER_ID))
        .collect()?;
    audit(
        &linked,
        col("_by_email").is_not_null(),
        REVIEW_LINKED_BY_EMAIL,
        Effect::Warning,
        dq,
    )?;
    audit(
        &linked,
        col(s::ORDER_ID).is_null(),
        REVIEW_NOT_LINKED,
        Effect::RowDropped,
        dq,
    )?;
    Ok(Some(
        linked
            .lazy()
            .filter(col(s::ORDER_ID).is_not_null())
            .drop(cols(["_review", "_by_email"]))
            .collect()?,
    ))
}

/// For each table (`None` for a kind with no file), whether each row's `order_id` is one of the
/// `known` order ids (Boolean, null where the reference is): one membership test over all the
/// tables' references (in two halves on two threads), not one per table.
fn cites_known_orders<'a>(
    tables: impl Iterator<Item = Option<&'a DataFrame>>,
    known: &Series,
) -> Result<Vec<Option<BooleanChunked>>> {
    let tables: Vec<Option<&DataFrame>> = tables.collect();
    let mut all: Option<Series> = None;
    for df in tables.iter().flatten() {
        let refs = df.column(s::ORDER_ID)?.as_materialized_series();
        match &mut all {
            None => all = Some(refs.clone()),
            Some(a) => {
                a.append(refs)?;
            }
        }
    }
    let Some(all) = all else {
        return Ok(tables.iter().map(|_| None).collect());
    };
    let known = known.implode()?.into_series();
    // Two halves probed on two threads (each builds the set of known ids: building it is the
    // smaller part, probing 3M references the larger).
    let half = all.len() / 2;
    let (head, tail) = (all.slice(0, half), all.slice(half as i64, all.len() - half));
    let (head, tail) = rayon::join(
        || polars::prelude::is_in(&head, &known, false),
        || polars::prelude::is_in(&tail, &known, false),
    );
    let mut cites = head?;
    cites.append(&tail?)?;
    let mut offset = 0i64;
    Ok(tables
        .iter()
        .map(|t| {
            t.map(|df| {
                let part = cites.slice(offset, df.height());
                offset += df.height() as i64;
                part
            })
        })
        .collect())
}

/// A table of `kind` that cites orders, finished: its order references reconciled with the
/// ids of the `orders` (`cites_known`: whether each row's reference is one, from
/// [`cites_known_orders`]), then (with `latest_by`) its latest version of each record kept (see
/// [`keep_latest`]), then for line items each order's lines of one export (see
/// [`lines_of_the_latest_export`]; `won` from [`winning_exports`]), then its rows citing no
/// known order counted (see [`unknown_order_reason`]; those citing an order
/// `left_out` of the orders, a test order or one without a usable placement time, under a
/// reason that says so). Returns the table and the audit of these steps.
fn finish_citing(
    kind: TableKind,
    df: Option<DataFrame>,
    cites_known: Option<&BooleanChunked>,
    orders: &DataFrame,
    left_out: &Series,
    latest_by: Option<&LatestBy>,
    won: Option<&DataFrame>,
) -> Result<(Option<DataFrame>, DataQuality)> {
    let mut dq = DataQuality::default();
    let Some(df) = df else {
        return Ok((None, dq));
    };
    let cites_known = cites_known.ok_or_else(|| {
        Error::Polars(polars_err!(ComputeError: "a {} table has no order check", kind))
    })?;
    let (df, unknown) = {
        let _t = crate::timings::span("order references");
        let known = orders.column(s::ORDER_ID)?.as_materialized_series();
        reconcile_order_refs(df, cites_known, known, &mut dq)?
    };
    let df = if kind == TableKind::Shipments {
        tracking_numbers_in_one_case(df)?
    } else {
        df
    };
    let mut df = match latest_by {
        Some(by) => keep_latest(df, by, &mut dq)?,
        None => df,
    };
    if kind == TableKind::LineItems {
        df = lines_of_the_latest_export(df, won, &mut dq)?;
    }
    if kind == TableKind::Shipments {
        df = merge_repeated_untracked(df, &mut dq)?;
        // Only the replacement of duplicate shipments reads them (see `unread_after_import`).
        df = df.drop(s::TRACKING_NUMBER)?;
    }
    if let (Some((reason, left_out_reason)), Some(unknown)) = (unknown_order_reason(kind), unknown)
    {
        let cites = |ids: Series| col(s::ORDER_ID).is_in(lit(ids).implode(false), false);
        let left_out = cites(left_out.clone());
        audit(
            &df,
            cites(unknown.clone()).and(left_out.clone().not()),
            reason,
            Effect::RowDropped,
            &mut dq,
        )?;
        audit(
            &df,
            cites(unknown).and(left_out),
            left_out_reason,
            Effect::RowDropped,
            &mut dq,
        )?;
    }
    Ok((Some(df), dq))
}

/// Reason of a line item left out because a later export lists its order's lines.
const LINES_REPLACED: &str =
    "line item of an order whose lines a later export also lists: replaced by that export's lines";

/// Each order's line items from one export: the one whose version of the order won (`won`, from
/// [`winning_exports`]: a Shopify export's lines are read from the same file as its orders),
/// else (lines from files of their own) the latest file (see [`stack_kind`]) that lists lines
/// for it. Line items have no id, so overlapping exports of one order (a Shopify order in the
/// May and the June export, the later one fulfilled) used to add up, giving the order the units
/// of both; the lines left out are counted under [`LINES_REPLACED`]. Lines of different orders
/// in different files are all kept. Only runs when the lines come from several files.
fn lines_of_the_latest_export(
    df: DataFrame,
    won: Option<&DataFrame>,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    let df = continued_lines_with_their_orders(df, dq)?;
    if df.column(s::SRC_RANK)?.n_unique()? < 2 {
        return Ok(df);
    }
    let order = || [col(s::ORDER_ID)];
    let latest = col(s::SRC_RANK).lt(col(s::SRC_RANK).max().over(order())?);
    let (df, replaced) = match won {
        None => (df, latest),
        Some(won) => {
            let df = df
                .lazy()
                .join(
                    won.clone().lazy(),
                    [col(s::ORDER_ID)],
                    [col(s::ORDER_ID)],
                    crate::journey::left_join_keeping_order(),
                )
                .collect()?;
            let of_winner = col(s::SRC_RANK).eq(col(WON_RANK)).fill_null(lit(false));
            let winner_listed = of_winner.clone().any(true).over(order())?;
            let replaced = when(winner_listed).then(of_winner.not()).otherwise(latest);
            (df, replaced)
        }
    };
    let dropped = audit(
        &df,
        replaced.clone(),
        LINES_REPLACED,
        Effect::RowDropped,
        dq,
    )?;
    let df = match (dropped, won) {
        (0, None) => return Ok(df),
        (0, Some(_)) => df.lazy(),
        _ => df.lazy().filter(replaced.not()),
    };
    Ok(df.drop(cols([WON_RANK])).collect()?)
}

/// Column of [`winning_exports`]: the `src_rank` among the line items of the file (and block)
/// whose version of the order won (UInt32, null when that file has no line items).
const WON_RANK: &str = "_won_rank";

/// Each order's winning version's export among the line items' files: `order_id` (String) and
/// [`WON_RANK`], for the orders whose winning file also holds line items (a Shopify export),
/// one row per order id (ids kept more than once are left out).
/// `ranked` gives each kind's file name and block by rank (see [`stack_ranked`]). `None` unless
/// the line items come from several files.
fn winning_exports(
    orders: &DataFrame,
    ranked: &[(TableKind, FileRanks)],
) -> Result<Option<DataFrame>> {
    let files_of = |kind: TableKind| ranked.iter().find(|(k, _)| *k == kind).map(|(_, f)| f);
    let (Some(order_files), Some(line_files)) =
        (files_of(TableKind::Orders), files_of(TableKind::LineItems))
    else {
        return Ok(None);
    };
    if line_files.len() < 2 {
        return Ok(None);
    }
    let (order_ranks, line_ranks): (Vec<u32>, Vec<u32>) = order_files
        .iter()
        .enumerate()
        .filter_map(|(order_rank, file)| {
            let line_rank = line_files.iter().position(|f| f == file)?;
            Some((order_rank as u32, line_rank as u32))
        })
        .unzip();
    let ranks = DataFrame::new(
        order_ranks.len(),
        vec![
            Column::new(s::SRC_RANK.into(), order_ranks),
            Column::new(WON_RANK.into(), line_ranks),
        ],
    )?;
    Ok(Some(
        orders
            .clone()
            .lazy()
            .select([col(s::ORDER_ID), col(s::SRC_RANK)])
            // Orders sharing a scientific-notation id are all kept: none of them says whose lines
            // are whose.
            .filter(col(s::ORDER_ID).is_unique())
            .join(
                ranks.lazy(),
                [col(s::SRC_RANK)],
                [col(s::SRC_RANK)],
                JoinArgs::new(JoinType::Inner),
            )
            .select([col(s::ORDER_ID), col(WON_RANK)])
            .collect()?,
    ))
}

/// Reason of the line items of a record that continues an order begun in another part of the
/// export.
const CONTINUED_LINES: &str = "line item continuing an order begun in another part of the \
     export (a file split, or parts joined with `cat`): read with that part's lines";

/// The line items with the rows of records that continue an order begun in another part of the
/// export ([`CONTINUES`]) ranked as that part's (`src_rank` = [`PART_RANK`], see
/// [`continued_parts`]), so that a split export's lines of one order are one export's again and
/// [`lines_of_the_latest_export`] keeps or replaces them together; before, the continuation's
/// lines, ranked apart, replaced the order's first lines. A continuation without such a part
/// keeps its rank. Without [`CONTINUES`], `df` as it is.
fn continued_lines_with_their_orders(df: DataFrame, dq: &mut DataQuality) -> Result<DataFrame> {
    if df.column(CONTINUES).is_err() {
        return Ok(df);
    }
    audit(&df, col(CONTINUES), CONTINUED_LINES, Effect::Warning, dq)?;
    Ok(df
        .lazy()
        .with_column(coalesce(&[col(PART_RANK), col(s::SRC_RANK)]).alias(s::SRC_RANK))
        .drop(cols([PART_RANK, CONTINUES]))
        .collect()?)
}

/// The audit reasons of a row of `kind` citing an order not in the orders table, and citing an
/// order left out of it (a test order, or one without a usable placement time), for the kinds
/// whose such rows the journeys leave out (shipments and reviews: they describe an order).
/// Line items and tickets are not counted here: tickets link by reference or e-mail (see
/// `support::link`), and line items only feed per-order sums.
fn unknown_order_reason(kind: TableKind) -> Option<(&'static str, &'static str)> {
    match kind {
        TableKind::Shipments => Some((
            "shipment for an order not in the orders file",
            "shipment for a test order or an order without a usable placed_at (left out with it)",
        )),
        TableKind::Reviews => Some((
            "review for an order not in the orders file",
            "review for a test order or an order without a usable placed_at (left out with it)",
        )),
        _ => None,
    }
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The canonical spec of a kind: the column set every format of that kind is reduced to.
pub fn canonical_spec(kind: TableKind) -> &'static FormatSpec {
    match kind {
        TableKind::Orders => &formats::CANONICAL_ORDERS,
        TableKind::LineItems => &formats::CANONICAL_LINE_ITEMS,
        TableKind::Shipments => &formats::CANONICAL_SHIPMENTS,
        TableKind::Tickets => &formats::CANONICAL_TICKETS,
        TableKind::Reviews => &formats::CANONICAL_REVIEWS,
        TableKind::Customers => &formats::CANONICAL_CUSTOMERS,
        TableKind::Payments => &formats::OLIST_PAYMENTS,
    }
}

/// Canonical column names of a kind, promise columns expanded, provenance last.
pub fn canonical_columns(kind: TableKind) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in canonical_spec(kind).columns {
        if c.ty == formats::ValueType::Promise {
            for suffix in [s::DEADLINE_SUFFIX, s::IS_DATE_SUFFIX, s::DATE_SUFFIX] {
                names.push(format!("{}{suffix}", c.canonical));
            }
        } else {
            names.push(c.canonical.to_string());
        }
    }
    if kind == TableKind::Shipments {
        names.push(s::TRACKING_COUNT.to_string());
    }
    names.extend([s::SRC_FILE.to_string(), s::SRC_LINE.to_string()]);
    names
}

/// Reduces a format's frame to the canonical columns of its kind (adding typed nulls).
fn to_canonical(mut df: DataFrame, spec: &FormatSpec) -> Result<DataFrame> {
    let canon = canonical_spec(spec.kind);
    let height = df.height();
    for c in canon.columns {
        if df.column(c.canonical).is_err()
            && df
                .column(&format!("{}{}", c.canonical, s::DEADLINE_SUFFIX))
                .is_err()
        {
            for col in null_columns(c, height)? {
                df.with_column(col)?;
            }
        }
    }
    if spec.kind == TableKind::Shipments {
        df = df.lazy().with_column(tracking_count()).collect()?;
    }
    Ok(df.select(canonical_columns(spec.kind))?)
}

/// Builds a store from in-memory frames (tests, benchmarks, embedding): each frame is reduced
/// to its kind's canonical columns (missing ones added as typed nulls; promise columns must be
/// given in their expanded `_deadline`/`_is_date`/`_date` form), numbered as one file
/// `name`, and orders are finished as in [`load`] (test orders, duplicates, customer key).
///
/// Errors: a frame lacks `src_line` or has a column of the wrong type.
pub fn store_from_frames(
    name: &str,
    tables: Vec<(TableKind, DataFrame)>,
    dq: &mut DataQuality,
) -> Result<Store> {
    let mut by_kind = Vec::new();
    for (kind, df) in tables {
        let height = df.height();
        let mut df = df;
        if df.column(s::SRC_FILE).is_err() {
            df.with_column(Column::new(s::SRC_FILE.into(), vec![name; height]))?;
        }
        let read = canonical_spec(kind)
            .columns
            .iter()
            .map(|c| c.canonical)
            .filter(|c| df.column(c).is_ok())
            .collect();
        let frame = to_canonical(df, canonical_spec(kind))?;
        by_kind.push((
            kind,
            frame::FileFrame {
                frame,
                latest: None,
                read,
                dropped_counted_elsewhere: 0,
                dropped_order_ids: Vec::new(),
                repeated_headers: Vec::new(),
                block: 0,
                date_only: Vec::new(),
                continued: Vec::new(),
                last_records: Vec::new(),
            },
            name.to_string(),
        ));
    }
    let delivery_times_read = delivery_times_read(&by_kind);
    let cancellations_read = cancellations_read(&by_kind);
    let mut stack = |kind: TableKind| stack_kind(&mut by_kind, kind);
    let orders = stack(TableKind::Orders)?.ok_or_else(|| Error::NoOrders {
        dir: name.into(),
        found: String::new(),
        skipped: String::new(),
    })?;
    let (orders, order_ids_distinct, left_out_order_ids) = finish_orders(
        orders,
        stack(TableKind::Customers)?,
        stack(TableKind::Payments)?,
        Vec::new(),
        &[],
        dq,
    )?;
    let known = orders.column(s::ORDER_ID)?.as_materialized_series().clone();
    let mut counted = |kind: TableKind, df: Option<DataFrame>| -> Result<Option<DataFrame>> {
        if let (Some(df), Some((reason, _))) = (&df, unknown_order_reason(kind)) {
            audit(
                df,
                col(s::ORDER_ID)
                    .is_in(lit(known.clone()).implode(false), false)
                    .not(),
                reason,
                Effect::RowDropped,
                dq,
            )?;
        }
        Ok(df)
    };
    let shipments = counted(TableKind::Shipments, stack(TableKind::Shipments)?)?
        .map(|df| df.drop(s::TRACKING_NUMBER))
        .transpose()?;
    let reviews = counted(TableKind::Reviews, stack(TableKind::Reviews)?)?;
    Ok(Store {
        orders,
        line_items: stack(TableKind::LineItems)?,
        shipments,
        tickets: stack(TableKind::Tickets)?,
        reviews,
        inputs: Vec::new(),
        skipped: Vec::new(),
        order_ids_distinct,
        delivery_times_read,
        cancellations_read,
        date_only: Vec::new(),
        left_out_order_ids,
    })
}

/// Whether some orders file has a column that can mark an order cancelled (`status`,
/// `cancelled_at`), even one with no value.
fn cancellations_read(tables: &[(TableKind, frame::FileFrame, String)]) -> bool {
    tables.iter().any(|(kind, ff, _)| {
        *kind == TableKind::Orders
            && (ff.read.contains(&s::STATUS) || ff.read.contains(&s::CANCELLED_AT))
    })
}

/// Whether some orders or shipments table among `tables` has a `delivered_at` column.
fn delivery_times_read(tables: &[(TableKind, frame::FileFrame, String)]) -> bool {
    tables.iter().any(|(kind, ff, _)| {
        matches!(kind, TableKind::Orders | TableKind::Shipments)
            && ff.read.contains(&s::DELIVERED_AT)
    })
}

/// The orders files whose format's `customer_id` is one per order, not per person (Olist's;
/// SPEC section 1: its person is the customers file's `customer_unique_id`).
fn per_order_id_files(inputs: &[InputFile]) -> Vec<String> {
    inputs
        .iter()
        .filter(|i| i.kind == TableKind::Orders && i.format == formats::OLIST_ORDERS.format)
        .map(|i| i.file.clone())
        .collect()
}

/// Leaves a mistyped year out of the latest timestamps that order the files of one kind (see
/// [`stack_kind`]): an event after [`crate::journey::latest_plausible`] (365 days after the
/// 99th percentile of every orders file's placement times) says nothing of when a file was
/// exported, and one `2204` in an older export would otherwise make its stale rows replace the
/// newer export's. Such a file's latest becomes that of its plausible times (`None` when it
/// has none). Only kinds read from several files are looked at.
fn plausible_latest(by_kind: &mut [(TableKind, frame::FileFrame, String)]) -> Result<()> {
    let files_of = |kind: TableKind| by_kind.iter().filter(|(k, _, _)| *k == kind).count();
    let several: Vec<TableKind> = by_kind
        .iter()
        .map(|(k, _, _)| *k)
        .filter(|k| files_of(*k) > 1)
        .collect();
    if several.is_empty() {
        return Ok(());
    }
    let placed: Vec<LazyFrame> = by_kind
        .iter()
        .filter(|(k, _, _)| *k == TableKind::Orders)
        .map(|(_, ff, _)| ff.frame.clone().lazy().select([col(s::PLACED_AT)]))
        .collect();
    if placed.is_empty() {
        return Ok(());
    }
    let placed = concat(placed, UnionArgs::default())?.collect()?;
    let Some(cap) = crate::journey::latest_plausible(&placed)? else {
        return Ok(());
    };
    for (kind, ff, _) in by_kind.iter_mut() {
        if !several.contains(kind) || ff.latest.is_none_or(|t| t <= cap) {
            continue;
        }
        ff.latest = latest_time(&ff.frame, Some(cap))?;
    }
    Ok(())
}

/// Line items read from the same file as orders (a Shopify export) take that file's latest
/// time (that block's, for a file of several exports: see [`split_blocks`]), which line items (without times of their own) lack: so that their files are ordered
/// as the orders' are, and an order's lines come from the export whose version of the order
/// won (see [`lines_of_the_latest_export`]).
fn lines_dated_by_their_orders(by_kind: &mut [(TableKind, frame::FileFrame, String)]) {
    let orders_latest: Vec<(String, u32, Option<chrono::DateTime<chrono::Utc>>)> = by_kind
        .iter()
        .filter(|(k, _, _)| *k == TableKind::Orders)
        .map(|(_, ff, name)| (name.clone(), ff.block, ff.latest))
        .collect();
    for (kind, ff, name) in by_kind.iter_mut() {
        if *kind != TableKind::LineItems || ff.latest.is_some() {
            continue;
        }
        let same_export = |(n, b, _): &&(String, u32, _)| n == name && *b == ff.block;
        if let Some((_, _, latest)) = orders_latest.iter().find(same_export) {
            ff.latest = *latest;
        }
    }
}

/// The ids of the orders rows dropped while their files were read for a required value they
/// lack (see [`frame::FileFrame::dropped_order_ids`]), taken out of the orders files' frames.
fn dropped_order_ids(by_kind: &mut [(TableKind, frame::FileFrame, String)]) -> Vec<String> {
    by_kind
        .iter_mut()
        .filter(|(kind, _, _)| *kind == TableKind::Orders)
        .flat_map(|(_, ff, _)| std::mem::take(&mut ff.dropped_order_ids))
        .collect()
}

/// Column (Boolean) of a stacked orders or line-items table, present only when some file's
/// records continue an order begun in another block or file ([`frame::FileFrame::continued`]):
/// true on their rows. Read and dropped by [`fold_continuations`] (orders) and
/// [`continued_lines_with_their_orders`] (line items).
const CONTINUES: &str = "_continues";

/// Column (UInt32) beside [`CONTINUES`]: the `src_rank` of the part of the export holding the
/// order's full row that a continuation's rows belong with (see [`continued_parts`]; null when
/// no part holds it).
const PART_RANK: &str = "_part_rank";

/// A record continuing an order begun elsewhere ([`continued_parts`]): its file's rank, its
/// order id, and the rank of the part it goes with (none found: `None`).
type ContinuedPart = (usize, String, Option<u32>);

/// For the files of one kind, in rank order, the records that continue an order begun in
/// another part of the export ([`frame::FileFrame::continued`]), each with its file's rank, its
/// order id and the rank of the part that holds the order's full row with which its lines go.
/// `None` when no file has such a record (most stores).
///
/// Each continuation is matched with one part holding the same order, whole or continued, and
/// each part with at most one continuation of an order (the same export downloaded twice and
/// split alike has two rests of the cut order, one for each first part), best pairs first: a
/// part whose last record is the order (a split cuts an order at the end of one part and the
/// start of the next), then a part whose name the continuation's follows ([`next_part_at`]:
/// `orders_2025-07-01_2.csv` after `orders_2025-07-01_1.csv`, `xab` after `xaa`), then a part
/// with the order's full row before one with only more of its lines, then the same file (parts
/// joined with `cat`), then the file name most alike (the longest common start plus end:
/// `orders_export_2 (1).csv` goes with `orders_export_1 (1).csv`), then the same place in the
/// order of exports (the k-th rest of the order by rank with its k-th full row: an earlier and
/// a later export cut at the same order, under names that do not pair them), then the nearest
/// in rank, the earlier on a tie. A continuation matched with another continuation (an order
/// over three parts or more) goes on to that one's part, up to the full row.
fn continued_parts(
    files: &[(TableKind, frame::FileFrame, String)],
) -> Result<Option<Vec<ContinuedPart>>> {
    use std::collections::{HashMap, HashSet};
    if files.iter().all(|(_, ff, _)| ff.continued.is_empty()) {
        return Ok(None);
    }
    let continued: Vec<(usize, &str)> = files
        .iter()
        .enumerate()
        .flat_map(|(rank, (_, ff, _))| ff.continued.iter().map(move |(_, id)| (rank, id.as_str())))
        .collect();
    // Per part, which of the continued orders it holds (a whole record or a continuation).
    let ids: HashSet<&str> = continued.iter().map(|(_, id)| *id).collect();
    let wanted = Series::new("ids".into(), ids.iter().copied().collect::<Vec<_>>());
    let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
    for (rank, (_, ff, _)) in files.iter().enumerate() {
        let held = ff
            .frame
            .clone()
            .lazy()
            .select([col(s::ORDER_ID)])
            .filter(col(s::ORDER_ID).is_in(lit(wanted.clone()).implode(false), false))
            .unique(None, UniqueKeepStrategy::Any)
            .collect()?;
        for id in held.column(s::ORDER_ID)?.str()?.iter().flatten() {
            if let Some(&id) = ids.get(id) {
                holders.entry(id).or_default().push(rank);
            }
        }
    }
    let similarity = |a: &str, b: &str| {
        let start = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let end = a
            .chars()
            .rev()
            .zip(b.chars().rev())
            .take_while(|(x, y)| x == y)
            .count();
        (start + end).min(a.chars().count().min(b.chars().count()))
    };
    let is_continuation: HashSet<(usize, &str)> = continued.iter().copied().collect();
    // The place of a part among the parts holding one order that are alike (its rests, or its
    // full rows), in rank order: an earlier export's rest goes with the earlier export's full
    // row, whatever the ranks between them (files are ranked by their latest times, and an
    // earlier export's last part can rank above a later export's first).
    let place = |rank: usize, id: &str| {
        let rest = is_continuation.contains(&(rank, id));
        holders.get(id).map_or(0, |ranks| {
            ranks
                .iter()
                .filter(|&&p| is_continuation.contains(&(p, id)) == rest)
                .take_while(|&&p| p != rank)
                .count()
        })
    };
    // Every (continuation, part) pair of one order, best first; then matched one to one.
    let mut pairs = Vec::new();
    for &(rank, id) in &continued {
        let name = &files[rank].2;
        for &part in holders.get(id).map(Vec::as_slice).unwrap_or_default() {
            if part == rank {
                continue;
            }
            let (_, other, other_name) = &files[part];
            let ends_with = other.last_records.iter().any(|(_, last)| last == id);
            let key = (
                !ends_with,
                std::cmp::Reverse(next_part_at(other_name, name)),
                is_continuation.contains(&(part, id)),
                other_name != name,
                std::cmp::Reverse(similarity(other_name, name)),
                place(part, id).abs_diff(place(rank, id)),
                part.abs_diff(rank),
                part,
            );
            pairs.push((key, rank, id, part));
        }
    }
    pairs.sort();
    let mut matched: HashMap<(usize, &str), usize> = HashMap::new();
    let mut taken: HashSet<(usize, &str)> = HashSet::new();
    // Whether following the matches from `part` comes back to `rank` (a cycle of rests).
    let leads_to = |matched: &HashMap<(usize, &str), usize>, mut part: usize, rank: usize, id| {
        for _ in 0..=files.len() {
            if part == rank {
                return true;
            }
            match matched.get(&(part, id)) {
                Some(&next) => part = next,
                None => return false,
            }
        }
        true
    };
    for (_, rank, id, part) in &pairs {
        if matched.contains_key(&(*rank, *id))
            || taken.contains(&(*part, *id))
            || leads_to(&matched, *part, *rank, *id)
        {
            continue;
        }
        matched.insert((*rank, *id), *part);
        taken.insert((*part, *id));
    }
    // A rest left without a part (more rests than parts: never in a split) takes its best part
    // with a full row, shared.
    for (_, rank, id, part) in &pairs {
        if !matched.contains_key(&(*rank, *id)) && !is_continuation.contains(&(*part, *id)) {
            matched.insert((*rank, *id), *part);
        }
    }
    Ok(Some(
        continued
            .iter()
            .map(|&(rank, id)| {
                // Along the rests matched with each other, to the part with the full row
                // (matches make no cycle).
                let mut part = matched.get(&(rank, id)).copied();
                for _ in 0..=files.len() {
                    match part {
                        Some(p) if is_continuation.contains(&(p, id)) => {
                            part = matched.get(&(p, id)).copied();
                        }
                        _ => break,
                    }
                }
                (rank, id.to_string(), part.map(|p| p as u32))
            })
            .collect(),
    ))
}

/// Whether the file name `next` is the one after `name` in a numbering of parts: the names
/// (extension included) split into runs of digits, of letters and of other characters differ in
/// exactly one run, and there `next`'s is the successor of `name`'s (a number plus one,
/// `split`'s letters `aa`, `ab`... `az`, `ba`). Returns that run's position (a later run is the
/// likelier part number: `orders_2025-05-02_1` follows `orders_2025-05-01_1` in its day, and
/// `orders_2025-05-01_2` follows it in its last number), or `None`.
fn next_part_at(name: &str, next: &str) -> Option<usize> {
    fn runs(name: &str) -> Vec<&str> {
        let class = |c: char| (c.is_ascii_digit(), c.is_alphabetic());
        let mut runs = Vec::new();
        let mut start = 0;
        for (i, c) in name.char_indices().skip(1) {
            let prev = name[..i].chars().next_back().map(class);
            if prev != Some(class(c)) {
                runs.push(&name[start..i]);
                start = i;
            }
        }
        runs.push(&name[start..]);
        runs
    }
    fn successor(run: &str, next: &str) -> bool {
        if run.bytes().all(|b| b.is_ascii_digit()) {
            return match (run.parse::<u64>(), next.parse::<u64>()) {
                (Ok(a), Ok(b)) => a.checked_add(1) == Some(b),
                _ => false,
            };
        }
        // Letters counted in base 26 from the end, as `split` names its parts.
        let (run, next) = (run.to_ascii_lowercase(), next.to_ascii_lowercase());
        if run.len() != next.len() || !run.bytes().all(|b| b.is_ascii_lowercase()) {
            return false;
        }
        let mut bytes = run.into_bytes();
        for b in bytes.iter_mut().rev() {
            if *b == b'z' {
                *b = b'a';
            } else {
                *b += 1;
                return bytes == next.as_bytes();
            }
        }
        false
    }
    let (a, b) = (runs(name), runs(next));
    if a.len() != b.len() {
        return None;
    }
    let mut differing = a.iter().zip(&b).enumerate().filter(|(_, (x, y))| x != y);
    match (differing.next(), differing.next()) {
        (Some((at, (x, y))), None) if successor(x, y) => Some(at),
        _ => None,
    }
}

/// The latest timestamp of the export each file of one kind belongs to, by file name: the
/// latest of its parts when the file is one part of an export split into several files, else
/// its own (`file_latest`). Files are parts of one export when their names follow one another
/// in a numbering ([`next_part_at`]: `orders_export_1.csv`, `orders_export_2.csv`; `xaa`, `xab`)
/// and no two files of the series share more than one record (the order a split cut; by the
/// kind's id: order id, tracking number, ticket id), where two exports of one store overlap: a
/// series holding two exports (an earlier export numbered on after a later one, `_3` after
/// `_2`, or the two interleaved) is left as separate files. So a split export's
/// parts rank together: a part of a later export holding older orders, without a later time of
/// its own (a refund carries none), no longer ranks below an earlier export.
fn parts_of_one_export(
    files: &[(TableKind, frame::FileFrame, String)],
    kind: TableKind,
    file_latest: &std::collections::HashMap<String, Option<chrono::DateTime<chrono::Utc>>>,
) -> Result<std::collections::HashMap<String, Option<chrono::DateTime<chrono::Utc>>>> {
    let mut names: Vec<&String> = file_latest.keys().collect();
    names.sort();
    // Each name's export, by index: the first name of its series when the series is one
    // export's parts, else its own.
    let mut export: Vec<usize> = (0..names.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let id = match kind {
        TableKind::Orders | TableKind::LineItems => Some(s::ORDER_ID),
        TableKind::Shipments => Some(s::TRACKING_NUMBER),
        TableKind::Tickets => Some(s::TICKET_ID),
        _ => None,
    };
    if let Some(id) = id.filter(|_| names.len() > 1) {
        let ids_of = |name: &str| -> Result<Series> {
            let frames: Vec<LazyFrame> = files
                .iter()
                .filter(|(_, ff, n)| n == name && ff.frame.column(id).is_ok())
                .map(|(_, ff, _)| ff.frame.clone().lazy().select([col(id)]))
                .collect();
            if frames.is_empty() {
                return Ok(Series::new_empty(id.into(), &DataType::String));
            }
            Ok(concat(frames, UnionArgs::default())?
                .select([col(id).drop_nulls().unique()])
                .collect()?
                .column(id)?
                .as_materialized_series()
                .clone())
        };
        let mut ids: std::collections::HashMap<usize, Series> = std::collections::HashMap::new();
        let mut shared = |a: usize, b: usize| -> Result<u32> {
            for i in [a, b] {
                if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(i) {
                    e.insert(ids_of(names[i])?);
                }
            }
            let (ids_a, ids_b) = (ids[&a].clone(), ids[&b].clone());
            Ok(DataFrame::new(ids_b.len(), vec![ids_b.into_column()])?
                .lazy()
                .select([col(id)
                    .is_in(lit(ids_a).implode(false), false)
                    .cast(DataType::UInt32)
                    .sum()
                    .alias("_shared")])
                .collect()?
                .column("_shared")?
                .u32()?
                .get(0)
                .unwrap_or(0))
        };
        // Names numbered in one series...
        let mut series: Vec<usize> = (0..names.len()).collect();
        for a in 0..names.len() {
            for b in 0..names.len() {
                if a != b && next_part_at(names[a], names[b]).is_some() {
                    let (ra, rb) = (root(&mut series, a), root(&mut series, b));
                    series[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        // ...are one export's parts when no two of them share more than the order a split cut;
        // two exports share many (an earlier export numbered on after a later one, or the two
        // interleaved: then no part of the series is taken for another's, as pairing some
        // could rank an earlier export's part with a later one's).
        for r in 0..names.len() {
            let members: Vec<usize> = (0..names.len())
                .filter(|&i| root(&mut series, i) == r)
                .collect();
            if members.len() < 2 {
                continue;
            }
            let mut apart = true;
            'pairs: for (k, &x) in members.iter().enumerate() {
                for &y in &members[k + 1..] {
                    if shared(x, y)? > 1 {
                        apart = false;
                        break 'pairs;
                    }
                }
            }
            if apart {
                for &m in &members {
                    export[m] = r;
                }
            }
        }
    }
    let mut latest_of_group: std::collections::HashMap<
        usize,
        Option<chrono::DateTime<chrono::Utc>>,
    > = std::collections::HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let l = latest_of_group.entry(export[i]).or_insert(None);
        *l = (*l).max(file_latest[*name]);
    }
    Ok(names
        .iter()
        .enumerate()
        .map(|(i, name)| ((*name).clone(), latest_of_group[&export[i]]))
        .collect())
}

/// Stacks the files of one kind, ordered by their export's latest timestamp (a split export's
/// parts share it, see [`parts_of_one_export`]), then their own (a plausible one, see
/// [`plausible_latest`]), then name, then block within a file ([`split_blocks`]: each block is
/// an export of its own), numbering them in `src_rank` (UInt32) so that a later
/// file's version of a record wins. When a file's orders continue an order begun elsewhere,
/// the stacked table marks their rows in [`CONTINUES`].
///
/// The blocks of one file are ordered by the file's latest timestamp (the latest of its
/// blocks), so they stay together and in file order: within a file a later row wins (SPEC
/// section 1), even when its block has no later time (a refund, which carries none, re-exported
/// at the end of the file lost to the earlier row when blocks were ranked by their own times).
///
/// The files of `kind` are taken out of `by_kind`, so that the stacked table holds the only
/// reference to their columns and the steps after can free them.
fn stack_kind(
    by_kind: &mut Vec<(TableKind, frame::FileFrame, String)>,
    kind: TableKind,
) -> Result<Option<DataFrame>> {
    Ok(stack_ranked(by_kind, kind)?.map(|(df, _)| df))
}

/// The file name and block of each `src_rank` of a stacked table, indexed by rank.
type FileRanks = Vec<(String, u32)>;

/// [`stack_kind`], with the file name and block of each `src_rank`.
fn stack_ranked(
    by_kind: &mut Vec<(TableKind, frame::FileFrame, String)>,
    kind: TableKind,
) -> Result<Option<(DataFrame, FileRanks)>> {
    let (mut files, rest): (Vec<_>, Vec<_>) = std::mem::take(by_kind)
        .into_iter()
        .partition(|(k, _, _)| *k == kind);
    *by_kind = rest;
    if files.is_empty() {
        return Ok(None);
    }
    let mut file_latest: std::collections::HashMap<String, Option<chrono::DateTime<chrono::Utc>>> =
        std::collections::HashMap::new();
    for (_, ff, name) in &files {
        let latest = file_latest.entry(name.clone()).or_insert(ff.latest);
        *latest = (*latest).max(ff.latest);
    }
    let export_latest = parts_of_one_export(&files, kind, &file_latest)?;
    files.sort_by(|a, b| {
        (export_latest[&a.2], file_latest[&a.2], &a.2, a.1.block).cmp(&(
            export_latest[&b.2],
            file_latest[&b.2],
            &b.2,
            b.1.block,
        ))
    });
    // Per file, its continuations' order ids and the ranks of the parts they continue.
    let continued: Option<Vec<DataFrame>> = match continued_parts(&files)? {
        None => None,
        Some(parts) => Some(
            (0..files.len())
                .map(|rank| {
                    let (ids, part): (Vec<&str>, Vec<Option<u32>>) = parts
                        .iter()
                        .filter(|(r, _, _)| *r == rank)
                        .map(|(_, id, part)| (id.as_str(), *part))
                        .unzip();
                    let height = ids.len();
                    DataFrame::new(
                        height,
                        vec![
                            Column::new(s::ORDER_ID.into(), ids),
                            Column::new(PART_RANK.into(), part),
                            Column::new(CONTINUES.into(), vec![true; height]),
                        ],
                    )
                })
                .collect::<PolarsResult<_>>()?,
        ),
    };
    let ranked: Vec<(String, u32)> = files
        .iter()
        .map(|(_, ff, name)| (name.clone(), ff.block))
        .collect();
    let frames: Vec<LazyFrame> = files
        .into_iter()
        .enumerate()
        .map(|(rank, (_, ff, _))| {
            let lf = ff
                .frame
                .lazy()
                .with_column(lit(rank as u32).alias(s::SRC_RANK));
            match &continued {
                None => lf,
                Some(continued) => lf
                    .join(
                        continued[rank].clone().lazy(),
                        [col(s::ORDER_ID)],
                        [col(s::ORDER_ID)],
                        crate::journey::left_join_keeping_order(),
                    )
                    .with_column(col(CONTINUES).fill_null(lit(false))),
            }
        })
        .collect();
    let stacked = concat(frames, UnionArgs::default())?;
    let unread = unread_after_import(kind);
    let stacked = if unread.is_empty() {
        stacked.collect()?
    } else {
        stacked.drop(cols(unread.iter().copied())).collect()?
    };
    Ok(Some((stacked, ranked)))
}

/// Canonical columns of `kind` that are read and checked (their cells' problems counted in the
/// audit) but that no step after import uses, so the store does not keep them: a line item's
/// product name and unit price, a shipment's service and its count of tracking numbers (the
/// count is audited when the file is read). Shipments' tracking numbers are kept until
/// duplicates are replaced ([`finish_citing`]).
fn unread_after_import(kind: TableKind) -> &'static [&'static str] {
    match kind {
        TableKind::LineItems => &[s::PRODUCT, s::UNIT_PRICE],
        TableKind::Shipments => &[s::SERVICE, s::TRACKING_COUNT],
        _ => &[],
    }
}

/// Counts the rows of `df` matching `mask` in the audit, by file, with their first lines.
pub fn audit(
    df: &DataFrame,
    mask: Expr,
    reason: &str,
    effect: Effect,
    dq: &mut DataQuality,
) -> Result<u64> {
    audit_with_example(df, mask, None, reason, effect, dq)
}

/// [`audit`], with the value of String column `example` in the first flagged row of each file
/// as the finding's example (the value the reason is about).
pub fn audit_with_example(
    df: &DataFrame,
    mask: Expr,
    example: Option<&str>,
    reason: &str,
    effect: Effect,
    dq: &mut DataQuality,
) -> Result<u64> {
    let example_col = match example {
        Some(c) => col(c).cast(DataType::String).alias("_example"),
        None => lit(NULL).cast(DataType::String).alias("_example"),
    };
    let flagged = df
        .clone()
        .lazy()
        .filter(mask)
        .select([col(s::SRC_FILE), col(s::SRC_LINE), example_col])
        .sort([s::SRC_FILE, s::SRC_LINE], SortMultipleOptions::default())
        .collect()?;
    let files = flagged.column(s::SRC_FILE)?.str()?.clone();
    let lines = flagged.column(s::SRC_LINE)?.u64()?.clone();
    let examples = flagged.column("_example")?.str()?.clone();
    let mut start = 0;
    let n = flagged.height();
    while start < n {
        let file = files.get(start).unwrap_or("");
        let end = (start..n)
            .find(|&i| files.get(i).unwrap_or("") != file)
            .unwrap_or(n);
        let first: Vec<u64> = (start..end.min(start + crate::quality::FIRST_LINES))
            .filter_map(|i| lines.get(i))
            .collect();
        dq.note_many(file, reason, effect, (end - start) as u64, &first);
        if let Some(value) = examples.get(start) {
            dq.note_example(file, reason, value);
        }
        start = end;
    }
    Ok(n as u64)
}

/// A currency cell as its code (String): trimmed and upper-cased (ISO 4217 codes are
/// case-insensitive, `usd` is `USD`); null when empty.
pub fn currency_code(cell: Expr) -> Expr {
    let code = cell.str().strip_chars(lit(NULL)).str().to_uppercase();
    when(code.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(code)
}

/// True when every currency cell is already as [`currency_code`] writes it: non-empty, without
/// surrounding spaces or lower-case letters (nulls aside). A check over the values, not
/// work on them: [`currency_code`] is then the identity and is skipped.
fn are_codes(ca: &StringChunked) -> bool {
    ca.iter().flatten().all(|v| {
        let lower = if v.is_ascii() {
            v.bytes().any(|b| b.is_ascii_lowercase())
        } else {
            v.chars().any(char::is_lowercase)
        };
        !v.is_empty()
            && !lower
            && !v.starts_with(char::is_whitespace)
            && !v.ends_with(char::is_whitespace)
    })
}

/// `orders` (a store's orders, currencies already codes: see [`currency_code`]) with each empty
/// `currency` given the store's currency when it is known, every such order counted in `dq` by
/// file with its lines (Effect::Warning):
/// - when the orders name no currency at all (an export without a currency column), the
///   `configured` one (`currency` in `snagscan.toml`, a code), silently: that is what the
///   setting is for; without one they stay empty;
/// - when every order that names a currency names the same one, that one (the orders' own
///   currency wins over a configured one that differs, which the report lists apart);
/// - when they name several, the `configured` one; without one the currency stays unknown
///   (empty), and the order's revenue is listed apart from every currency's.
///
/// Errors: `orders` has no `currency` column (String) or no provenance columns.
pub fn fill_empty_currencies(
    orders: DataFrame,
    configured: Option<&str>,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    if orders.column(s::CURRENCY)?.null_count() == 0 {
        return Ok(orders);
    }
    let named = orders
        .clone()
        .lazy()
        .select([col(s::CURRENCY)
            .drop_nulls()
            .unique()
            .sort(SortOptions::default())])
        .collect()?;
    // The distinct currencies (a handful of values), not the orders.
    let named: Vec<String> = named
        .column(s::CURRENCY)?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let list = |codes: &[String]| match codes.len() {
        0..=6 => codes.join(", "),
        n => format!("{}, ... ({n} in all)", codes[..5].join(", ")),
    };
    let (fill, reason) = match (named.as_slice(), configured) {
        ([], None) => return Ok(orders),
        ([], Some(c)) => (Some(c.to_string()), None),
        ([one], Some(c)) if one == c => (
            Some(one.clone()),
            Some(format!(
                "empty currency: {one} assumed (the configured currency, and that of every order that names one)"
            )),
        ),
        ([one], _) => (
            Some(one.clone()),
            Some(format!(
                "empty currency: {one} assumed (every order that names a currency is in {one})"
            )),
        ),
        (several, Some(c)) => (
            Some(c.to_string()),
            Some(format!(
                "empty currency: {c} assumed (the configured currency; the orders are in {})",
                list(several)
            )),
        ),
        (several, None) => (
            None,
            Some(format!(
                "empty currency while the orders are in several ({}): left unknown, its revenue listed apart",
                list(several)
            )),
        ),
    };
    if let Some(reason) = reason {
        audit(
            &orders,
            col(s::CURRENCY).is_null(),
            &reason,
            Effect::Warning,
            dq,
        )?;
    }
    Ok(match fill {
        Some(code) => orders
            .lazy()
            .with_column(col(s::CURRENCY).fill_null(lit(code)))
            .collect()?,
        None => orders,
    })
}

/// A string column's trimmed value, or null for a placeholder ([`PLACEHOLDER_IDS`], in any
/// letter case: `Guest`, `N/A`, `NULL`).
///
/// The trimmed values are looked up among every ASCII letter-case spelling of the placeholders
/// ([`placeholder_spellings`]) instead of being lower-cased first (a string copy of every id):
/// the same verdict, since the only characters outside ASCII that lower-case to an ASCII letter
/// are the Kelvin sign (`k`) and the capital I with dot (`i` and a combining dot), and no
/// placeholder has a `k` or an `i`.
fn real_id(name: &str) -> Expr {
    let v = col(name).str().strip_chars(lit(NULL));
    when(
        v.clone()
            .is_in(lit(placeholder_spellings()).implode(false), false)
            .or(v.clone().is_null()),
    )
    .then(lit(NULL).cast(DataType::String))
    .otherwise(v)
}

/// The orders without a customer key keyed by their e-mail (`email_key`), but those whose
/// customer id is mangled into scientific notation ([`person_id`]) whose e-mail's other orders
/// carry one intact id (or customers-table person) in the range the mangled id stands for
/// ([`within_mangled_range`]): keyed by that, as one person's orders are, when some rows of a
/// re-saved export were mangled and others not (they were two customers). An e-mail on orders
/// of several ids names none of them.
fn by_email(orders: DataFrame, email_key: Expr) -> Result<DataFrame> {
    const EMAIL: &str = "_email_key";
    let mangled = scientific_id(s::CUSTOMER_ID).and(col(s::CUSTOMER_KEY).is_null());
    let any_mangled = orders
        .clone()
        .lazy()
        .filter(col(s::CUSTOMER_KEY).is_null())
        .select([scientific_id(s::CUSTOMER_ID).any(true).alias("_any")])
        .collect()?
        .column("_any")?
        .bool()?
        .get(0)
        .unwrap_or(false);
    let lf = orders.lazy().with_column(email_key.alias(EMAIL));
    let by_email = coalesce(&[col(s::CUSTOMER_KEY), col(EMAIL)]);
    let lf = if any_mangled {
        let named = lf
            .clone()
            .filter(
                col(s::CUSTOMER_KEY)
                    .is_not_null()
                    .and(col(EMAIL).is_not_null()),
            )
            .group_by([col(EMAIL)])
            .agg([
                col(s::CUSTOMER_KEY).first().alias("_named"),
                col(s::CUSTOMER_KEY).n_unique().alias("_ids"),
            ])
            .filter(col("_ids").eq(lit(1u32)));
        lf.join(
            named,
            [col(EMAIL)],
            [col(EMAIL)],
            crate::journey::left_join_keeping_order(),
        )
        .with_column(
            when(mangled.clone().and(within_mangled_range(col("_named"))))
                .then(col("_named"))
                .when(mangled)
                .then(col(EMAIL))
                .otherwise(by_email)
                .alias(s::CUSTOMER_KEY),
        )
        .drop(cols(["_named", "_ids"]))
    } else {
        lf.with_column(by_email.alias(s::CUSTOMER_KEY))
    };
    Ok(lf.drop(cols([EMAIL])).collect()?)
}

/// Whether the number `id` (a String column, or null) lies in the range the row's
/// scientific-notation `customer_id` stands for: `5.50E+12` is every id from 5,495,000,000,000
/// to 5,505,000,000,000 (the last decimal shown, plus or minus half of it). False when either
/// is not a number.
fn within_mangled_range(id: Expr) -> Expr {
    let written = || col(s::CUSTOMER_ID).str();
    let mantissa = written()
        .extract(lit(r"^([0-9]+(?:[.,][0-9]+)?)[eE]"), 1)
        .str()
        .replace_all(lit(","), lit("."), true)
        .cast(DataType::Float64);
    let decimals = written()
        .extract(lit(r"^[0-9]+[.,]([0-9]+)[eE]"), 1)
        .str()
        .len_chars()
        .fill_null(lit(0u32))
        .cast(DataType::Float64);
    let exponent = written()
        .extract(lit(r"[eE]\+?([0-9]+)$"), 1)
        .cast(DataType::Float64);
    let value = mantissa * lit(10f64).pow(exponent.clone());
    let half = lit(0.5) * lit(10f64).pow(exponent - decimals);
    (id.cast(DataType::Float64) - value)
        .abs()
        .lt_eq(half)
        .fill_null(lit(false))
}

/// A customer id that can key a customer: [`real_id`], and null for a spreadsheet's
/// scientific-notation rendering ([`scientific_id`]: `5.50E+12` stands for every id from
/// 5,495,000,000,000 to 5,504,999,999,999, so keyed by it, different customers would be one),
/// which leaves the order to the e-mail's key.
fn person_id(name: &str) -> Expr {
    when(scientific_id(name))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(real_id(name))
}

/// Every ASCII letter-case spelling of [`PLACEHOLDER_IDS`] (`guest`, `Guest`, ... `GUEST`).
fn placeholder_spellings() -> Series {
    let mut spellings = Vec::new();
    for placeholder in PLACEHOLDER_IDS {
        let letters = placeholder
            .chars()
            .filter(char::is_ascii_alphabetic)
            .count();
        for upper in 0..1u32 << letters {
            let mut letter = 0;
            let spelling: String = placeholder
                .chars()
                .map(|c| {
                    if !c.is_ascii_alphabetic() {
                        return c;
                    }
                    letter += 1;
                    if upper >> (letter - 1) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            spellings.push(spelling);
        }
    }
    Series::new("placeholders".into(), spellings)
}

/// An order reference that matches no order but would with a leading `#` added or removed
/// (`9101` in a tracking export for Shopify's `#9101`) is rewritten to the orders' spelling and
/// counted. An exact match always wins (`cites_known`: whether each row's reference is one of
/// the `known` ids as written). Returns the table and the distinct references that still
/// match no order (String; None when there is none), which the caller counts.
fn reconcile_order_refs(
    df: DataFrame,
    cites_known: &BooleanChunked,
    known: &Series,
    dq: &mut DataQuality,
) -> Result<(DataFrame, Option<Series>)> {
    let id = col(s::ORDER_ID);
    let known_ids = known;
    let known = || lit(known_ids.clone()).implode(false);
    // The references that match no order as written, once each: usually none, and a few test
    // or deleted orders otherwise, so the rewrite below runs on them rather than on every row.
    // (A null reference has a null `cites_known`, which the filter drops.)
    let unmatched = df
        .select([s::ORDER_ID])?
        .filter(&!cites_known)?
        .lazy()
        .select([id.clone().unique()])
        .collect()?;
    if unmatched.height() == 0 {
        return Ok((df, None));
    }
    let hashed = concat_str([lit("#"), id.clone()], "", false);
    let bare = id.clone().str().strip_prefix(lit("#"));
    let fixed = when(hashed.clone().is_in(known(), false))
        .then(hashed)
        .when(bare.clone().is_in(known(), false))
        .then(bare)
        .otherwise(id.clone());
    let fixes = unmatched
        .lazy()
        .with_column(fixed.alias("_order_ref"))
        .collect()?;
    let fixes = by_order_key(fixes, known_ids)?;
    let still_unknown = fixes
        .clone()
        .lazy()
        .filter(col("_order_ref").eq(id.clone()))
        .select([id.clone()])
        .collect()?;
    let unknown = (still_unknown.height() > 0)
        .then(|| {
            still_unknown
                .column(s::ORDER_ID)
                .map(|c| c.as_materialized_series().clone())
        })
        .transpose()?;
    let rewrites = fixes
        .lazy()
        .filter(col("_order_ref").neq(id.clone()))
        .collect()?;
    if rewrites.height() == 0 {
        return Ok((df, unknown));
    }
    let df = df
        .lazy()
        .join(
            rewrites.lazy(),
            [id.clone()],
            [id.clone()],
            crate::journey::left_join_keeping_order(),
        )
        .with_column(col("_order_ref").fill_null(id.clone()))
        .collect()?;
    let differs_by_hash = col(s::ORDER_ID)
        .str()
        .strip_prefix(lit("#"))
        .eq(col("_order_ref").str().strip_prefix(lit("#")));
    audit(
        &df,
        col("_order_ref")
            .neq(col(s::ORDER_ID))
            .and(differs_by_hash.clone()),
        "order_id matched to an order after adding or removing a leading '#'",
        Effect::Warning,
        dq,
    )?;
    audit_with_example(
        &df,
        col("_order_ref")
            .neq(col(s::ORDER_ID))
            .and(differs_by_hash.not()),
        Some(s::ORDER_ID),
        "order_id matched to the one order it differs from only in case or spaces",
        Effect::Warning,
        dq,
    )?;
    let df = df
        .lazy()
        .with_column(col("_order_ref").alias(s::ORDER_ID))
        .drop(cols(["_order_ref"]))
        .collect()?;
    Ok((df, unknown))
}

/// `fixes` (distinct unmatched references `order_id` and their `_order_ref`) with each reference
/// still matching no order rewritten to the one known order whose key it shares
/// ([`crate::support::order_key`]: no leading `#`, spaces or case), as tickets are linked: `xy-9`
/// in a tracking export for the order `XY-9`. A key that two known orders share (`ABC-1` and
/// `abc-1`) is ambiguous and rewrites nothing. Only the orders whose key is among the
/// references' are keyed; when the ids are already their own keys (ASCII, no upper case, no
/// `#` or surrounding space), no id is rewritten to find them.
fn by_order_key(fixes: DataFrame, known: &Series) -> Result<DataFrame> {
    use crate::support::{is_normalised, order_key};
    let id = col(s::ORDER_ID);
    let keys = fixes
        .clone()
        .lazy()
        .filter(col("_order_ref").eq(id.clone()))
        .select([order_key(id.clone()).alias("_key")])
        .collect()?;
    if keys.height() == 0 {
        return Ok(fixes);
    }
    let known_key = if is_normalised(known.str()?, true) {
        col("_known")
    } else {
        order_key(col("_known"))
    };
    let known = DataFrame::new(
        known.len(),
        vec![known.clone().with_name("_known".into()).into_column()],
    )?;
    let by_key = crate::journey::among(
        known.lazy().with_column(known_key.alias("_key")),
        "_key",
        keys.column("_key")?,
    )?
    .group_by([col("_key")])
    .agg([col("_known").first(), len().alias("_n")])
    .filter(col("_n").eq(lit(1u32)))
    .select([col("_key"), col("_known")]);
    Ok(fixes
        .lazy()
        .with_column(order_key(id.clone()).alias("_key"))
        .join(
            by_key,
            [col("_key")],
            [col("_key")],
            crate::journey::left_join_keeping_order(),
        )
        .with_column(
            when(
                col("_order_ref")
                    .eq(id.clone())
                    .and(col("_known").is_not_null()),
            )
            .then(col("_known"))
            .otherwise(col("_order_ref"))
            .alias("_order_ref"),
        )
        .select([id, col("_order_ref")])
        .collect()?)
}

/// A spreadsheet's scientific-notation rendering of a long number (`9.4001E+21`): digits were
/// lost, so two such ids are never taken for the same record.
fn scientific_id(name: &str) -> Expr {
    col(name)
        .str()
        .contains(lit(r"^[0-9]+([.,][0-9]+)?[eE]\+[0-9]+$"), false)
        .fill_null(lit(false))
}

/// How the versions of one record in overlapping exports are found (see [`keep_latest`]).
struct LatestBy {
    /// The columns that identify the record.
    keys: &'static [&'static str],
    /// The audit reason of a replaced version.
    reason: &'static str,
}

/// An order's versions: by `order_id`.
const ORDER_VERSIONS: LatestBy = LatestBy {
    keys: &[s::ORDER_ID],
    reason: "duplicate order_id: replaced by a later version",
};

/// A shipment's versions: by order and tracking number.
const SHIPMENT_VERSIONS: LatestBy = LatestBy {
    keys: &[s::ORDER_ID, s::TRACKING_NUMBER],
    reason: "duplicate shipment (same order and tracking number): replaced by a later version",
};

/// A ticket's versions: by `ticket_id`.
const TICKET_VERSIONS: LatestBy = LatestBy {
    keys: &[s::TICKET_ID],
    reason: "duplicate ticket_id: replaced by a later version",
};

/// The latest version (file rank, then line: see [`stack_kind`], whose ranks put the parts of
/// one split export together) of each record of `df` (see [`LatestBy`]); rows with a null or
/// scientific-notation key are all kept. Replaced rows are counted under `by.reason`. The
/// result is in source order.
fn keep_latest(df: DataFrame, by: &LatestBy, dq: &mut DataQuality) -> Result<DataFrame> {
    let _t = crate::timings::span(format!("latest versions by {}", by.keys.join(", ")));
    let mut unkeyed = lit(false);
    for k in by.keys {
        unkeyed = unkeyed.or(col(*k).is_null()).or(scientific_id(k));
    }
    let key_cols: Vec<Expr> = by.keys.iter().map(|k| col(*k)).collect();
    let sorted = in_source_order(&df)?;
    if all_distinct(&df, by.keys)? {
        return Ok(by_source(df.lazy(), sorted).collect()?); // nothing to replace
    }
    // Counted from the end: the last version of a key has count 1, earlier ones are replaced.
    let df = by_source(df.lazy(), sorted)
        .with_column(
            unkeyed
                .not()
                .and(col(by.keys[0]).cum_count(true).over(key_cols)?.gt(lit(1)))
                .alias("_replaced"),
        )
        .collect()?;
    audit(&df, col("_replaced"), by.reason, Effect::RowReplaced, dq)?;
    Ok(df
        .lazy()
        .filter(col("_replaced").not())
        .drop(cols(["_replaced"]))
        .collect()?)
}

/// Shipments from several files with their tracking numbers upper-cased, so that one parcel
/// exported as `1zabc002` by one tool and `1ZABC002` by another is one shipment (carriers' tracking
/// numbers are case-insensitive). One file is left as it is: its rows are one export's spelling.
/// Only the replacement of duplicates reads the tracking numbers (they are dropped after it).
fn tracking_numbers_in_one_case(df: DataFrame) -> Result<DataFrame> {
    if from_one_file(&df)? {
        return Ok(df);
    }
    Ok(df
        .lazy()
        .with_column(col(s::TRACKING_NUMBER).str().to_uppercase())
        .collect()?)
}

/// True when every row of `df` comes from one file (one `src_rank`).
fn from_one_file(df: &DataFrame) -> Result<bool> {
    let ranks = df.column(s::SRC_RANK)?.as_materialized_series();
    Ok(ranks.min::<u32>()? == ranks.max::<u32>()?)
}

/// The audit reason of a shipment row without a tracking number that a later export repeats (a
/// later file, or a later block of a file joined with `cat`).
pub const REPEATED_UNTRACKED_SHIPMENT: &str = "duplicate shipment without a tracking number \
     (same order, carrier and ship time in a later export): replaced by a later version";

/// Shipments without a tracking number repeated by overlapping exports, kept once. Rows of
/// different files (`src_rank`) with no tracking number whose order, carrier (ignoring case)
/// and shipped_at are equal (a value missing in both counts as equal) are one shipment, whatever
/// their status and delivery time (a parcel in transit in an earlier export is delivered in a
/// later one): the latest file's row is kept, the others are counted under
/// [`REPEATED_UNTRACKED_SHIPMENT`] (`RowReplaced`). Rows repeated within one file stay separate
/// shipments (several parcels alike): the k-th such row of one file is the same shipment as the
/// k-th of another, so an order keeps as many as the file that lists the most. Rows with a
/// tracking number ([`keep_latest`] handles them), or a missing or scientific-notation order
/// reference, are never merged here. `df` and the result are in source order.
fn merge_repeated_untracked(df: DataFrame, dq: &mut DataQuality) -> Result<DataFrame> {
    let untracked_rows = df.column(s::TRACKING_NUMBER)?.null_count();
    if untracked_rows == 0 || from_one_file(&df)? {
        return Ok(df); // one file, or every row tracked: nothing to merge here
    }
    let untracked = col(s::TRACKING_NUMBER)
        .is_null()
        .and(col(s::ORDER_ID).is_not_null())
        .and(scientific_id(s::ORDER_ID).not());
    let same: Vec<Expr> = [s::ORDER_ID, "_carrier", s::SHIPPED_AT, "_untracked"]
        .into_iter()
        .map(col)
        .collect();
    let in_file: Vec<Expr> = same.iter().cloned().chain([col(s::SRC_RANK)]).collect();
    let across: Vec<Expr> = same.into_iter().chain([col("_occurrence")]).collect();
    let sorted = in_source_order(&df)?;
    let df = by_source(df.lazy(), sorted)
        .with_columns([
            untracked.alias("_untracked"),
            col(s::CARRIER).str().to_lowercase().alias("_carrier"),
        ])
        // The k-th row of these values in its file (k = 1, 2, ...)...
        .with_column(
            col(s::SRC_LINE)
                .cum_count(false)
                .over(in_file)?
                .alias("_occurrence"),
        )
        // ...is replaced by the k-th of a later file (counted from the end: the last has 1).
        .with_column(
            col("_untracked")
                .and(col(s::SRC_LINE).cum_count(true).over(across)?.gt(lit(1)))
                .alias("_replaced"),
        )
        .collect()?;
    audit(
        &df,
        col("_replaced"),
        REPEATED_UNTRACKED_SHIPMENT,
        Effect::RowReplaced,
        dq,
    )?;
    Ok(df
        .lazy()
        .filter(col("_replaced").not())
        .drop(cols(["_untracked", "_carrier", "_occurrence", "_replaced"]))
        .collect()?)
}

/// True when rows are in strictly increasing (`src_rank`, `src_line`) order, so that sorting
/// by them would change nothing. A check of order over two integer columns, not work on rows.
fn in_source_order(df: &DataFrame) -> Result<bool> {
    let ranks = df.column(s::SRC_RANK)?.cast(&DataType::Int64)?;
    let lines = df.column(s::SRC_LINE)?.cast(&DataType::Int64)?;
    let (ranks, lines) = (ranks.i64()?, lines.i64()?);
    let mut prev: Option<(i64, i64)> = None;
    for (r, l) in ranks.iter().zip(lines.iter()) {
        let (Some(r), Some(l)) = (r, l) else {
            return Ok(false);
        };
        if prev.is_some_and(|p| p >= (r, l)) {
            return Ok(false);
        }
        prev = Some((r, l));
    }
    Ok(true)
}

/// `lf` sorted by source (file rank, then line), unless it is known to be already.
fn by_source(lf: LazyFrame, already_sorted: bool) -> LazyFrame {
    if already_sorted {
        lf
    } else {
        lf.sort([s::SRC_RANK, s::SRC_LINE], SortMultipleOptions::default())
    }
}

/// True when no two rows share all of `keys` (nulls count as a value): one hash pass, cheaper
/// than the window that finds which rows are replaced. Keys are joined with a unit separator;
/// two different key tuples that join to the same text only make this say false, never true.
pub(crate) fn all_distinct(df: &DataFrame, keys: &[&str]) -> Result<bool> {
    let key = match keys {
        [one] => col(*one),
        _ => concat_str(
            keys.iter().map(|k| col(*k)).collect::<Vec<_>>(),
            "\u{1f}",
            false,
        ),
    };
    let n = df
        .clone()
        .lazy()
        .select([key.n_unique().cast(DataType::UInt64).alias("n")])
        .collect()?;
    Ok(n.column("n")?.u64()?.get(0) == Some(df.height() as u64))
}

/// A test order: the `test` column is true, or `test` is one of its comma-separated tags (Shopify
/// has no test column; stores tag test orders `test`).
fn is_test_order() -> Expr {
    col(s::TEST)
        .fill_null(lit(false))
        .or(crate::support::matches(
            col(s::TAGS),
            r"(?i)(^|,)\s*test\s*(,|$)",
        ))
}

/// `orders` sorted by `placed_at`, then `order_id` (the journeys' order, see `Store::orders`);
/// stable, so that rows sharing both keys (scientific-notation ids, never replaced) stay in
/// source order.
///
/// The permutation is found on the two keys alone, and the columns are then moved into it one
/// at a time, each source column freed once its copy exists: a sort of the whole frame would
/// hold both copies of every column at once.
pub(crate) fn in_journey_order(orders: DataFrame) -> Result<DataFrame> {
    use rayon::prelude::*;
    let order = orders
        .select([s::PLACED_AT, s::ORDER_ID])?
        .lazy()
        .with_row_index("_row", None)
        .sort(
            [s::PLACED_AT, s::ORDER_ID],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select([col("_row")])
        .collect()?;
    let rows = order.column("_row")?.idx()?;
    let height = orders.height();
    let columns = orders
        .into_columns()
        .into_par_iter()
        .map(|c| c.take(rows))
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(DataFrame::new(height, columns)?)
}

/// True when `orders` already are in the journeys' order: `placed_at` never decreases, and
/// `order_id` never decreases within one `placed_at` (nulls first, as the sort puts them).
pub(crate) fn is_in_journey_order(orders: &DataFrame) -> Result<bool> {
    let placed = || col(s::PLACED_AT);
    let id = || col(s::ORDER_ID);
    let before = |e: Expr| e.shift(lit(1));
    let placed_back = placed()
        .lt(before(placed()))
        .or(placed().is_null().and(before(placed()).is_not_null()));
    let id_back = placed().eq_missing(before(placed())).and(
        id().lt(before(id()))
            .or(id().is_null().and(before(id()).is_not_null())),
    );
    let out = orders
        .clone()
        .lazy()
        .select([placed_back
            .or(id_back)
            .fill_null(lit(false))
            .any(true)
            .alias("back")])
        .collect()?;
    Ok(out.column("back")?.bool()?.get(0) == Some(false))
}

/// Counts in `dq` the rows of an orders table that are dropped for their own values once read
/// (SPEC section 1): an order without a usable placed_at (its value could not be read), then,
/// among the others, a test order. Returns how many of each. [`finish_orders`] drops them;
/// `inspect` counts them the same way, so that both give a file the same dropped rows.
///
/// Errors: `orders` lacks a canonical orders column.
pub(crate) fn audit_orders_not_kept(
    orders: &DataFrame,
    dq: &mut DataQuality,
) -> Result<(u64, u64)> {
    let unplaced = audit(
        orders,
        col(s::PLACED_AT).is_null(),
        "order without a usable placed_at (row dropped)",
        Effect::RowDropped,
        dq,
    )?;
    let tests = audit(
        orders,
        col(s::PLACED_AT).is_not_null().and(is_test_order()),
        "test order (excluded everywhere)",
        Effect::RowDropped,
        dq,
    )?;
    Ok((unplaced, tests))
}

/// Reason of an orders record that continues an order whose full row another part of the
/// export holds: its line items are read with that part's.
const CONTINUATION_FOLDED: &str = "rows continuing an order begun in another part of the \
     export (a file split, or parts joined with `cat`): read as part of that order, its line \
     items with the order's";

/// Reason of an orders record that continues an order whose full row no file read holds.
const CONTINUATION_ALONE: &str = "rows continuing an order whose first rows (total, status) \
     are in no file read: kept as the order, its total and status unknown";

/// The orders without the records that only continue an order ([`CONTINUES`]: no order field
/// on any of their rows) when another file or block holds the order's full row: such a record
/// is the rest of that order (an export split at a spreadsheet's row limit, or its parts joined
/// with `cat`), not a later version of it, and replaced it with empty fields (total, status,
/// payment) before. Its line items join the order's in [`lines_of_the_latest_export`]. A
/// continuation whose order has no full row anywhere is kept as the order, warned. Without
/// [`CONTINUES`], `orders` as they are.
fn fold_continuations(orders: DataFrame, dq: &mut DataQuality) -> Result<DataFrame> {
    if orders.column(CONTINUES).is_err() {
        return Ok(orders);
    }
    let full_ids = orders
        .clone()
        .lazy()
        .filter(col(CONTINUES).not())
        .select([col(s::ORDER_ID)])
        .collect()?
        .column(s::ORDER_ID)?
        .as_materialized_series()
        .clone();
    let has_full = col(s::ORDER_ID).is_in(lit(full_ids).implode(false), false);
    let folded = col(CONTINUES).and(has_full.clone());
    audit(
        &orders,
        folded.clone(),
        CONTINUATION_FOLDED,
        Effect::RowReplaced,
        dq,
    )?;
    audit(
        &orders,
        col(CONTINUES).and(has_full.not()),
        CONTINUATION_ALONE,
        Effect::Warning,
        dq,
    )?;
    Ok(orders
        .lazy()
        .filter(folded.not())
        .drop(cols([CONTINUES, PART_RANK]))
        .collect()?)
}

/// Removes test orders, keeps the latest version of each order id, attaches totals from
/// payments and the customer key (SPEC section 1, identity). Returns the orders in the
/// journeys' order, whether no two of them shared an order id before any was replaced (then
/// none does after), and the ids of the orders left out (test orders, orders without a usable
/// placement time; String, empty when none is) that no kept order has. `dropped_ids` are the
/// ids of orders rows already dropped while read (no `placed_at` at all), left out as well.
/// The orders of `per_order_id_files` (Olist's, whose `customer_id` is one per order) are never
/// keyed by that id: by the customers table's person, else the e-mail, else not at all.
fn finish_orders(
    orders: DataFrame,
    customers: Option<DataFrame>,
    payments: Option<DataFrame>,
    dropped_ids: Vec<String>,
    per_order_id_files: &[String],
    dq: &mut DataQuality,
) -> Result<(DataFrame, bool, Series)> {
    let orders = fold_continuations(orders, dq)?;
    // The filters below copy every column; they run only when they drop a row.
    let (unplaced, tests) = audit_orders_not_kept(&orders, dq)?;
    let mut left_out: Vec<LazyFrame> = Vec::new();
    if unplaced + tests > 0 {
        left_out.push(
            orders
                .clone()
                .lazy()
                .filter(
                    col(s::PLACED_AT)
                        .is_null()
                        .or(is_test_order().fill_null(lit(false))),
                )
                .select([col(s::ORDER_ID).drop_nulls()]),
        );
    }
    if !dropped_ids.is_empty() {
        left_out.push(df!(s::ORDER_ID => dropped_ids)?.lazy());
    }
    let left_out = match left_out.is_empty() {
        true => None,
        false => Some(
            concat(left_out, UnionArgs::default())?
                .select([col(s::ORDER_ID).unique_stable()])
                .collect()?,
        ),
    };
    let orders = if unplaced == 0 {
        orders
    } else {
        orders
            .lazy()
            .filter(col(s::PLACED_AT).is_not_null())
            .collect()?
    };
    // Currencies already written as codes (the usual export) are not rewritten.
    let currencies_are_codes = are_codes(orders.column(s::CURRENCY)?.str()?);
    let is_test = is_test_order();
    let sorted = in_source_order(&orders)?;
    let orders = match (tests, sorted) {
        (0, true) => orders,
        (0, false) => by_source(orders.lazy(), false).collect()?,
        _ => by_source(orders.lazy().filter(is_test.not()), sorted).collect()?,
    };
    // The joins below add no row (their right sides are one row per key), so ids distinct
    // here are distinct in the result.
    let ids_distinct = all_distinct(&orders, &[s::ORDER_ID])?;
    let mut lf = if ids_distinct {
        orders.lazy() // no order to replace
    } else {
        keep_latest(orders, &ORDER_VERSIONS, dq)?.lazy()
    };

    // ISO 4217 codes are case-insensitive: `usd`, ` USD ` and `USD` are one currency.
    if !currencies_are_codes {
        lf = lf.with_column(currency_code(col(s::CURRENCY)).alias(s::CURRENCY));
    }

    if let Some(p) = payments {
        let totals = p
            .lazy()
            .group_by([col(s::ORDER_ID)])
            .agg([col(s::PAYMENT_VALUE).sum().alias("_paid_total")]);
        lf = lf
            .join(
                totals,
                [col(s::ORDER_ID)],
                [col(s::ORDER_ID)],
                crate::journey::left_join_keeping_order(),
            )
            .with_column(col(s::TOTAL).fill_null(col("_paid_total")))
            .drop(cols(["_paid_total"]));
    }

    let person = customers.map(|c| {
        c.lazy()
            // A customer id in scientific notation stands for many ids (see `person_id`): it
            // names no one in the customers table either.
            .filter(scientific_id(s::CUSTOMER_ID).not())
            .sort([s::SRC_RANK, s::SRC_LINE], SortMultipleOptions::default())
            .group_by([col(s::CUSTOMER_ID)])
            .agg([
                col(s::CUSTOMER_KEY).last().alias("_person"),
                col(s::REGION).last().alias("_person_region"),
            ])
    });
    if let Some(person) = person {
        lf = lf
            .join(
                person,
                [col(s::CUSTOMER_ID)],
                [col(s::CUSTOMER_ID)],
                crate::journey::left_join_keeping_order(),
            )
            .with_column(col(s::REGION).fill_null(col("_person_region")));
    } else {
        lf = lf.with_columns([
            lit(NULL).cast(DataType::String).alias("_person"),
            lit(NULL).cast(DataType::String).alias("_person_region"),
        ]);
    }
    let email_key = crate::support::email_key(col(s::EMAIL));
    let email_key = when(email_key.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(email_key);
    // The customers table's person, else a real customer id, else the e-mail. The e-mail keys
    // (trimmed and lower-cased: a string copy of every row) are worked out only when some
    // order has neither id; coalescing in two steps gives the same key.
    // Olist's customer_id is one per order: keying by it would make every customer a one-time
    // buyer (a repeat rate of 0 that nothing measured).
    let per_order_id = (!per_order_id_files.is_empty()).then(|| {
        let files = Series::new("files".into(), per_order_id_files);
        col(s::SRC_FILE).is_in(lit(files).implode(false), false)
    });
    let customer_id = match &per_order_id {
        Some(per_order) => when(per_order.clone())
            .then(lit(NULL).cast(DataType::String))
            .otherwise(person_id(s::CUSTOMER_ID)),
        None => person_id(s::CUSTOMER_ID),
    };
    let orders = lf
        .with_column(coalesce(&[person_id("_person"), customer_id]).alias(s::CUSTOMER_KEY))
        .drop(cols(["_person", "_person_region"]))
        .collect()?;
    let orders = if orders.column(s::CUSTOMER_KEY)?.null_count() == 0 {
        orders
    } else {
        by_email(orders, email_key)?
    };
    let orders = in_journey_order(orders)?;
    let unknown = col(s::CUSTOMER_KEY).is_null();
    let per_order_id = per_order_id.unwrap_or(lit(false));
    audit(
        &orders,
        unknown.clone().and(per_order_id.clone().not()),
        "order without a customer id or email (kept in order totals, not in customer metrics)",
        Effect::Warning,
        dq,
    )?;
    audit(
        &orders,
        unknown.and(per_order_id),
        "order whose customer_id is one per order (Olist) and not in a customers file \
         (olist_customers_dataset.csv, customer_unique_id): customer not known (kept in order \
         totals, not in customer metrics)",
        Effect::Warning,
        dq,
    )?;
    // An id left out in one version and kept in another is the kept order's.
    let left_out = match left_out {
        Some(ids) => {
            let kept = orders.column(s::ORDER_ID)?.as_materialized_series().clone();
            let ids = ids
                .lazy()
                .filter(
                    col(s::ORDER_ID)
                        .is_in(lit(kept).implode(false), false)
                        .not(),
                )
                .collect()?;
            ids.column(s::ORDER_ID)?.as_materialized_series().clone()
        }
        None => Series::new_empty(s::ORDER_ID.into(), &DataType::String),
    };
    Ok((orders, ids_distinct, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check that skips rewriting currencies agrees with [`currency_code`]: a column is
    /// codes exactly when rewriting it would change nothing.
    #[test]
    fn currencies_are_codes_when_rewriting_changes_nothing() {
        for (cells, codes) in [
            (vec![Some("USD"), None, Some("EUR"), Some("€")], true),
            (vec![Some("usd")], false),
            (vec![Some(" USD")], false),
            (vec![Some("USD\t")], false),
            (vec![Some("")], false),
            (vec![Some("zł")], false),
        ] {
            let ca = StringChunked::new("c".into(), &cells);
            assert_eq!(are_codes(&ca), codes, "{cells:?}");
            let df = DataFrame::new(cells.len(), vec![ca.clone().into_column()]).unwrap();
            let rewritten = df
                .lazy()
                .select([currency_code(col("c")).alias("c")])
                .collect()
                .unwrap();
            let same = rewritten
                .column("c")
                .unwrap()
                .str()
                .unwrap()
                .equal_missing(&ca)
                .all();
            assert_eq!(same, codes, "{cells:?}");
        }
    }

    /// `real_id` gives what trimming, lower-casing and looking up [`PLACEHOLDER_IDS`] gives,
    /// on placeholders in several letter cases and on characters outside ASCII whose lower case
    /// is or contains an ASCII letter (Kelvin sign, capital I with dot) or that look like them
    /// (full-width letters).
    #[test]
    fn real_ids_match_lower_cased_placeholder_lookup() {
        let values = [
            Some("C001"),
            Some(" guest "),
            Some("GUEST"),
            Some("GuEsT"),
            Some("guest1"),
            Some("N/A"),
            Some("n/A"),
            Some("NULL"),
            Some("None"),
            Some("0"),
            Some("00"),
            Some("-"),
            Some(" - "),
            Some(""),
            Some("   "),
            Some("\u{212A}"),
            Some("\u{0130}"),
            Some("\u{FF27}\u{FF35}\u{FF25}\u{FF33}\u{FF34}"),
            Some("\u{00A0}guest\u{2003}"),
            Some("n\u{00E1}"),
            None,
        ];
        let df = df! { "id" => values }.unwrap();
        let got = df
            .clone()
            .lazy()
            .select([real_id("id").alias("id")])
            .collect()
            .unwrap();
        let got: Vec<Option<String>> = got
            .column("id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        let expected: Vec<Option<String>> = values
            .iter()
            .map(|v| {
                let t = (*v)?.trim();
                (!PLACEHOLDER_IDS.contains(&t.to_lowercase().as_str())).then(|| t.to_string())
            })
            .collect();
        assert_eq!(got, expected);
        assert_eq!(got[0].as_deref(), Some("C001"));
        assert_eq!(got[1], None);
        assert_eq!(got[4].as_deref(), Some("guest1"));
        assert_eq!(placeholder_spellings().len(), 3 + 16 + 16 + 32 + 4);
    }

    fn orders(placed_ms: &[i64], ids: &[&str], lines: &[u64]) -> DataFrame {
        let placed = Series::new(s::PLACED_AT.into(), placed_ms)
            .cast(&frame::utc_ms())
            .unwrap();
        df!(
            s::PLACED_AT => placed,
            s::ORDER_ID => ids,
            s::SRC_LINE => lines,
        )
        .unwrap()
    }

    #[test]
    fn orders_sort_by_placement_then_id_keeping_ties_in_source_order() {
        // Two rows share placed_at and a scientific-notation id (never replaced): they keep
        // their source lines 4 then 6.
        let df = orders(
            &[2_000, 1_000, 2_000, 2_000, 2_000],
            &["b", "z", "9.4E+21", "a", "9.4E+21"],
            &[2, 3, 4, 5, 6],
        );
        assert!(!is_in_journey_order(&df).unwrap());
        let sorted = in_journey_order(df).unwrap();
        let ids: Vec<Option<&str>> = sorted
            .column(s::ORDER_ID)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            ids,
            ["z", "9.4E+21", "9.4E+21", "a", "b"].map(Some).to_vec()
        );
        let lines: Vec<u64> = sorted
            .column(s::SRC_LINE)
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(lines, [3, 4, 6, 5, 2]);
        assert!(is_in_journey_order(&sorted).unwrap());
    }

    #[test]
    fn untracked_shipments_merge_across_files_only_when_untracked_and_keyed() {
        // Pairs of rows alike but for the file: A untracked and undelivered in both (merged: a
        // value missing in both is equal); B tracked in the earlier file only; a
        // scientific-notation order id (digits lost, never merged).
        let instants = |name: &str, v: [Option<i64>; 3]| {
            Series::new(name.into(), [v, v].concat())
                .cast(&frame::utc_ms())
                .unwrap()
        };
        let df = df!(
            s::ORDER_ID => ["A", "B", "9.4E+21", "A", "B", "9.4E+21"],
            s::TRACKING_NUMBER => [None, Some("1Z1"), None, None, None, None],
            s::CARRIER => ["ups"; 6],
            s::SERVICE => [None::<&str>; 6],
            s::STATUS => [None::<&str>; 6],
            s::SHIPPED_AT => instants(s::SHIPPED_AT, [Some(1_000), Some(2_000), Some(3_000)]),
            s::DELIVERED_AT => instants(s::DELIVERED_AT, [None; 3]),
            s::SRC_FILE => ["jan.csv", "jan.csv", "jan.csv", "feb.csv", "feb.csv", "feb.csv"],
            s::SRC_LINE => [2u64, 3, 4, 2, 3, 4],
            s::SRC_RANK => [0u32, 0, 0, 1, 1, 1],
        )
        .unwrap();
        let mut dq = DataQuality::default();
        let kept = merge_repeated_untracked(df, &mut dq).unwrap();
        let files: Vec<Option<&str>> = kept
            .column(s::SRC_FILE)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        let lines: Vec<Option<u64>> = kept
            .column(s::SRC_LINE)
            .unwrap()
            .u64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            files.into_iter().zip(lines).collect::<Vec<_>>(),
            [
                ("jan.csv", 3),
                ("jan.csv", 4),
                ("feb.csv", 2),
                ("feb.csv", 3),
                ("feb.csv", 4)
            ]
            .map(|(f, l)| (Some(f), Some(l)))
            .to_vec()
        );
        let e = dq.entries();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (
                e[0].reason.as_str(),
                e[0].file.as_str(),
                e[0].count,
                e[0].first_lines.clone()
            ),
            (REPEATED_UNTRACKED_SHIPMENT, "jan.csv", 1, vec![2])
        );
        assert_eq!(e[0].effect, Effect::RowReplaced);
    }

    #[test]
    fn an_id_out_of_order_within_one_instant_is_not_in_journey_order() {
        let df = orders(&[1_000, 1_000, 2_000], &["b", "a", "c"], &[2, 3, 4]);
        assert!(!is_in_journey_order(&df).unwrap());
        let df = orders(&[1_000, 1_000, 2_000], &["a", "b", "a"], &[2, 3, 4]);
        assert!(is_in_journey_order(&df).unwrap());
    }

    /// The part a split export's file follows, by its name: one run differs, by one.
    #[test]
    fn a_part_follows_the_part_numbered_one_before_it() {
        let next = next_part_at;
        assert_eq!(next("orders_export_1.csv", "orders_export_2.csv"), Some(4));
        assert_eq!(
            next("orders_export_1 (1).csv", "orders_export_2 (1).csv"),
            Some(4)
        );
        assert_eq!(next("orders_export_9.csv", "orders_export_10.csv"), Some(4));
        assert_eq!(next("part_09.csv", "part_10.csv"), Some(2));
        assert_eq!(next("xaa", "xab"), Some(0));
        assert_eq!(next("xaz", "xba"), Some(0));
        // The day and the part number each follow; the part number is the later run.
        assert_eq!(next("o_2025-05-01_1.csv", "o_2025-05-01_2.csv"), Some(8));
        assert_eq!(next("o_2025-05-01_1.csv", "o_2025-05-02_1.csv"), Some(6));
        // Not one after the other, two runs differ, or the copy differs.
        assert_eq!(next("orders_export_2.csv", "orders_export_1.csv"), None);
        assert_eq!(next("orders_export_1.csv", "orders_export_3.csv"), None);
        assert_eq!(next("o_2025-05-01_1.csv", "o_2025-07-01_2.csv"), None);
        assert_eq!(next("orders_export_1.csv", "orders_export_2 (1).csv"), None);
        assert_eq!(next("xaz", "xaa"), None);
        assert_eq!(next("xzz", "yaa"), Some(0));
        assert_eq!(next("zz", "aa"), None);
        assert_eq!(next("may.csv", "jun.csv"), None);
        assert_eq!(next("orders.csv", "orders.csv"), None);
    }
}
