//! From an export folder to one typed frame per table kind (SPEC section 1).
//!
//! `detect` recognises each file by its header, `read` and `frame` parse it into canonical
//! columns, and [`load`] assembles the store: files of one kind are stacked in order of their
//! latest timestamp (then name), duplicate orders keep their latest version, test orders are
//! removed, and every customer gets a `customer_key`. Each step counts what it drops or changes
//! in the [`DataQuality`] audit.

pub mod formats;
pub mod frame;
pub mod read;
pub mod value;

use std::path::Path;

use polars::prelude::*;

use self::formats::{Detection, FormatSpec};
use self::frame::{null_columns, ReadOptions};
use self::read::TextFile;
use crate::error::{Error, Result};
use crate::quality::{DataQuality, Effect};
use crate::schema::{self as s, TableKind};

/// One input file that was read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    pub file: String,
    pub kind: TableKind,
    pub format: String,
    /// Data records read (before any row was dropped).
    pub rows: u64,
}

/// One file in the folder that was not used, with the reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

/// The store's tables in canonical shape (columns as in `formats::CANONICAL_*`, plus
/// `src_file`, `src_line`, `src_rank`). Tables whose kind had no input file are `None`, so that
/// "no reviews table" (KPI null) differs from "a reviews table with no rows" (KPI 0).
pub struct Store {
    /// Unique by `order_id`, test orders removed; adds `customer_key` (String, null when the
    /// order cannot be tied to a person) and `region` from the customers table when present.
    pub orders: DataFrame,
    pub line_items: Option<DataFrame>,
    pub shipments: Option<DataFrame>,
    pub tickets: Option<DataFrame>,
    pub reviews: Option<DataFrame>,
    pub inputs: Vec<InputFile>,
    pub skipped: Vec<SkippedFile>,
}

/// Values that are never a customer id (SPEC section 1, identity).
pub const PLACEHOLDER_IDS: [&str; 7] = ["", "0", "-", "null", "none", "guest", "n/a"];

/// Reads every input file of `dir` and assembles the store.
///
/// Errors: the folder is missing; no file is recognised; there is no orders file; a recognised
/// file is empty, malformed or misses a required column (see `frame::read_frame`).
pub fn load(dir: &Path, opts: &ReadOptions, dq: &mut DataQuality) -> Result<Store> {
    let files = read::list_inputs(dir)?;
    let mut skipped = Vec::new();
    let mut inputs = Vec::new();
    let mut by_kind: Vec<(TableKind, frame::FileFrame, String)> = Vec::new();
    for path in &files {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            skipped.push(SkippedFile {
                file: file_name(path),
                reason: "parquet input is not supported yet; export it as CSV".into(),
            });
            continue;
        }
        let text = TextFile::open(path)?;
        match formats::detect(&text.headers) {
            Detection::Unrecognised { reason } => skipped.push(SkippedFile {
                file: text.name.clone(),
                reason,
            }),
            Detection::Recognised { spec, positions } => {
                if text.decoded_from_cp1252 {
                    dq.note(
                        &text.name,
                        1,
                        "file is not UTF-8: decoded as Windows-1252",
                        Effect::Warning,
                        None,
                    );
                }
                let before = dq.total();
                let ff = frame::read_frame(&text, spec, &positions, opts, dq)?;
                let _ = before;
                let rows = count_rows(&ff.frame, &text.name, dq);
                inputs.push(InputFile {
                    file: text.name.clone(),
                    kind: spec.kind,
                    format: spec.format.to_string(),
                    rows,
                });
                let canonical = to_canonical(ff.frame, spec)?;
                by_kind.push((
                    spec.kind,
                    frame::FileFrame {
                        frame: canonical,
                        latest: ff.latest,
                    },
                    text.name,
                ));
            }
        }
    }
    if inputs.is_empty() {
        let list = skipped
            .iter()
            .map(|s| format!("{} ({})", s.file, s.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::NoInputs {
            dir: dir.to_path_buf(),
            skipped: if list.is_empty() {
                "the folder has no .csv, .tsv, .csv.gz or .parquet file".into()
            } else {
                list
            },
        });
    }
    let stack = |kind: TableKind| stack_kind(&by_kind, kind);
    let Some(orders) = stack(TableKind::Orders)? else {
        let found = inputs
            .iter()
            .map(|i| format!("{}: {}", i.file, i.kind))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::NoOrders {
            dir: dir.to_path_buf(),
            found,
        });
    };
    let customers = stack(TableKind::Customers)?;
    let payments = stack(TableKind::Payments)?;
    let orders = finish_orders(orders, customers, payments, dq)?;
    Ok(Store {
        orders,
        line_items: stack(TableKind::LineItems)?,
        shipments: stack(TableKind::Shipments)?,
        tickets: stack(TableKind::Tickets)?,
        reviews: stack(TableKind::Reviews)?,
        inputs,
        skipped,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Rows read = rows kept + rows dropped for a missing required value.
fn count_rows(frame: &DataFrame, file: &str, dq: &DataQuality) -> u64 {
    let dropped: u64 = dq
        .entries()
        .iter()
        .filter(|e| e.file == file && e.effect == Effect::RowDropped)
        .map(|e| e.count)
        .sum();
    frame.height() as u64 + dropped
}

/// The canonical spec of a kind: the column set every format of that kind is reduced to.
fn canonical_spec(kind: TableKind) -> &'static FormatSpec {
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
        let frame = to_canonical(df, canonical_spec(kind))?;
        by_kind.push((
            kind,
            frame::FileFrame {
                frame,
                latest: None,
            },
            name.to_string(),
        ));
    }
    let stack = |kind: TableKind| stack_kind(&by_kind, kind);
    let orders = stack(TableKind::Orders)?.ok_or_else(|| Error::NoOrders {
        dir: name.into(),
        found: String::new(),
    })?;
    let orders = finish_orders(
        orders,
        stack(TableKind::Customers)?,
        stack(TableKind::Payments)?,
        dq,
    )?;
    Ok(Store {
        orders,
        line_items: stack(TableKind::LineItems)?,
        shipments: stack(TableKind::Shipments)?,
        tickets: stack(TableKind::Tickets)?,
        reviews: stack(TableKind::Reviews)?,
        inputs: Vec::new(),
        skipped: Vec::new(),
    })
}

/// Stacks the files of one kind, ordered by latest timestamp then name, numbering them in
/// `src_rank` (UInt32) so that a later file's version of a record wins.
fn stack_kind(
    by_kind: &[(TableKind, frame::FileFrame, String)],
    kind: TableKind,
) -> Result<Option<DataFrame>> {
    let mut files: Vec<&(TableKind, frame::FileFrame, String)> =
        by_kind.iter().filter(|(k, _, _)| *k == kind).collect();
    if files.is_empty() {
        return Ok(None);
    }
    files.sort_by(|a, b| (a.1.latest, &a.2).cmp(&(b.1.latest, &b.2)));
    let frames: Vec<LazyFrame> = files
        .iter()
        .enumerate()
        .map(|(rank, (_, ff, _))| {
            ff.frame
                .clone()
                .lazy()
                .with_column(lit(rank as u32).alias(s::SRC_RANK))
        })
        .collect();
    Ok(Some(concat(frames, UnionArgs::default())?.collect()?))
}

/// Counts the rows of `df` matching `mask` in the audit, by file, with their first lines.
pub fn audit(
    df: &DataFrame,
    mask: Expr,
    reason: &str,
    effect: Effect,
    dq: &mut DataQuality,
) -> Result<u64> {
    let flagged = df
        .clone()
        .lazy()
        .filter(mask)
        .select([col(s::SRC_FILE), col(s::SRC_LINE)])
        .sort([s::SRC_FILE, s::SRC_LINE], SortMultipleOptions::default())
        .collect()?;
    let files = flagged.column(s::SRC_FILE)?.str()?.clone();
    let lines = flagged.column(s::SRC_LINE)?.u64()?.clone();
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
        start = end;
    }
    Ok(n as u64)
}

/// A string column's trimmed, lower-cased value, or null for placeholders.
fn real_id(name: &str) -> Expr {
    let v = col(name).str().strip_chars(lit(NULL)).str().to_lowercase();
    when(
        v.clone()
            .is_in(
                lit(Series::new("p".into(), PLACEHOLDER_IDS)).implode(false),
                false,
            )
            .or(v.is_null()),
    )
    .then(lit(NULL).cast(DataType::String))
    .otherwise(col(name).str().strip_chars(lit(NULL)))
}

/// Removes test orders, keeps the latest version of each order id, attaches totals from
/// payments and the customer key (SPEC section 1, identity).
fn finish_orders(
    orders: DataFrame,
    customers: Option<DataFrame>,
    payments: Option<DataFrame>,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    let is_test = col(s::TEST).fill_null(lit(false));
    audit(
        &orders,
        is_test.clone(),
        "test order (excluded everywhere)",
        Effect::RowDropped,
        dq,
    )?;
    let orders = orders
        .lazy()
        .filter(is_test.not())
        .sort([s::SRC_RANK, s::SRC_LINE], SortMultipleOptions::default())
        .with_column(
            col(s::ORDER_ID)
                .cum_count(true)
                .over([col(s::ORDER_ID)])?
                .gt(lit(1))
                .alias("_replaced"),
        )
        .collect()?;
    audit(
        &orders,
        col("_replaced"),
        "duplicate order_id: replaced by a later version",
        Effect::RowReplaced,
        dq,
    )?;
    let mut lf = orders
        .lazy()
        .filter(col("_replaced").not())
        .drop(cols(["_replaced"]));

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
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(s::TOTAL).fill_null(col("_paid_total")))
            .drop(cols(["_paid_total"]));
    }

    let person = customers.map(|c| {
        c.lazy()
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
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(s::REGION).fill_null(col("_person_region")));
    } else {
        lf = lf.with_columns([
            lit(NULL).cast(DataType::String).alias("_person"),
            lit(NULL).cast(DataType::String).alias("_person_region"),
        ]);
    }
    let email_key = col(s::EMAIL)
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase();
    let email_key = when(email_key.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(email_key);
    let orders = lf
        .with_column(
            coalesce(&[real_id("_person"), real_id(s::CUSTOMER_ID), email_key])
                .alias(s::CUSTOMER_KEY),
        )
        .drop(cols(["_person", "_person_region"]))
        .sort([s::SRC_RANK, s::SRC_LINE], SortMultipleOptions::default())
        .collect()?;
    audit(
        &orders,
        col(s::CUSTOMER_KEY).is_null(),
        "order without a customer id or email (kept in order totals, not in customer metrics)",
        Effect::Warning,
        dq,
    )?;
    Ok(orders)
}
