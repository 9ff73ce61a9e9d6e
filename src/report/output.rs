//! The output manager: creates every output file before the analysis starts (so a bad `--out`
//! fails at once), then fills them from the exporters and the journey tables.
//!
//! The journey tables are the only outputs written from frames; their Polars calls live here,
//! not in the exporters.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{csv, html, json, md, Exporter, Report};
use crate::error::{Error, Result};
use crate::journey::{date_text, instant_text};
use crate::pipeline::Built;
use crate::schema as s;

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

/// The files a run writes under `--out`, in file order: the reports, the journeys table in
/// `journeys` format, the other per-order tables, and the OCEL log when `ocel`.
fn output_names(journeys: JourneysFormat, ocel: bool) -> Vec<String> {
    exporters()
        .iter()
        .map(|e| e.file_name().to_string())
        .chain([
            journeys.file_name().to_string(),
            CUSTOMERS_CSV.to_string(),
            TICKETS_CSV.to_string(),
            EVENT_LOG_CSV.to_string(),
        ])
        .chain(ocel.then(|| OCEL_FILE.to_string()))
        .collect()
}

/// Every file name a run can write under `--out`, whichever options it was given (both
/// journeys formats, the OCEL log): the files snagscan owns in that folder.
pub fn owned_names() -> Vec<String> {
    let mut names = Vec::new();
    for format in <JourneysFormat as clap::ValueEnum>::value_variants() {
        for name in output_names(*format, true) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Removes from `dir` the files snagscan owns ([`owned_names`]) that are not in `written`: the
/// outputs of an earlier run into the same folder with other options (the other journeys
/// format, an OCEL log without `--ocel`), which would otherwise sit beside this run's files as
/// if they were its own. No other file is touched; a name not there, or a folder of that name
/// (a partitioned `journeys.parquet` of the user's), is left alone.
///
/// Errors: an owned file that is there and cannot be removed.
fn remove_stale(dir: &Path, written: &[String]) -> Result<()> {
    for name in owned_names() {
        if !written.contains(&name) {
            remove_file_if_there(&dir.join(&name))?;
        }
    }
    Ok(())
}

/// Removes the file at `path`; nothing when there is none, or when it is a folder (never ours).
///
/// Errors: the file is there and cannot be removed.
fn remove_file_if_there(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => std::fs::remove_file(path).map_err(|e| Error::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Open output files, created up front as hidden `.NAME.partial` files and renamed into place
/// only when every output is written: a bad `--out` fails at once, and a run that fails later
/// leaves the previous run's reports untouched. Runs into one folder take turns: each holds the
/// folder's lock file ([`LOCK_FILE`]) from [`Outputs::create`] to the end of
/// [`Outputs::write`], so that two runs (overlapping cron jobs) never write into each other's
/// files, and the folder always holds one run's complete set.
pub struct Outputs {
    dir: PathBuf,
    files: Vec<(String, File)>,
    /// The locked lock file; the lock goes with it.
    _lock: File,
}

/// The lock file under `--out` (empty; it stays, as removing it would race a waiting run).
pub const LOCK_FILE: &str = ".snagscan.lock";

/// Present while a run moves its files into place: a run that finds it was killed there, so
/// the earlier files set aside (`.NAME.previous`) are the last complete set and are put back.
const PUBLISHING_FILE: &str = ".snagscan.publishing";

/// Opens and locks `dir`'s lock file, waiting for another run that holds it (saying so on a
/// terminal). Opened read-only when it belongs to another user who ran first: a shared lock
/// needs no write permission.
fn lock(dir: &Path) -> Result<File> {
    use std::io::IsTerminal;
    let path = dir.join(LOCK_FILE);
    let file = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            File::open(&path).map_err(|_| Error::io(&path, e))?
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "snagscan: waiting for another run writing to {}",
                    dir.display()
                );
            }
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(file)
}

/// Puts back what a run killed while moving its files into place set aside (its marker is
/// there), so the folder holds the earlier complete set; then removes what any killed run left
/// (partial files, files set aside, the marker).
///
/// Errors: a leftover that is there and cannot be moved or removed.
fn recover(dir: &Path) -> Result<()> {
    let marker = dir.join(PUBLISHING_FILE);
    if marker.exists() {
        for name in owned_names() {
            let kept = previous(dir, &name);
            if kept.is_file() {
                let target = dir.join(&name);
                std::fs::rename(&kept, &target).map_err(|e| Error::io(&target, e))?;
            }
        }
    }
    for name in owned_names() {
        remove_file_if_there(&partial(dir, &name))?;
        remove_file_if_there(&previous(dir, &name))?;
    }
    remove_file_if_there(&marker)
}

fn partial(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.partial"))
}

/// Where an earlier run's file is kept while this run's files move into place.
fn previous(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.previous"))
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
    /// Creates `dir`, waits for its lock (another run writing there), recovers from a run
    /// killed before it finished ([`recover`]), and creates every output file.
    ///
    /// Errors: the folder, its lock or a file cannot be created; an output's name is taken by a
    /// folder.
    pub fn create(dir: &Path, journeys: JourneysFormat, ocel: bool) -> Result<Outputs> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = lock(dir)?;
        recover(dir)?;
        let names = output_names(journeys, ocel);
        if let Some(taken) = names.iter().map(|n| dir.join(n)).find(|p| p.is_dir()) {
            return Err(Error::Output {
                path: taken,
                message: "is a folder: snagscan writes a file of that name here".into(),
            });
        }
        let mut files = Vec::new();
        for name in names {
            let path = partial(dir, &name);
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            files.push((name, f));
        }
        Ok(Outputs {
            dir: dir.to_path_buf(),
            files,
            _lock: lock,
        })
    }

    /// Writes every output. The per-order tables (journeys, customers, tickets, event log) are
    /// written from `built` on threads of their own while `report` computes the report on this
    /// one (the two take about as long at 1M orders); the report files follow. Once every file
    /// is in place, the files of an earlier run that this one does not write are removed (see
    /// [`owned_names`]). Returns the report and the paths written.
    ///
    /// Errors: `report`'s error first (the tables written meanwhile are removed), else the first
    /// output that fails, in file order, as a sequential write would report it; then an earlier
    /// run's output that cannot be removed.
    pub fn write(
        mut self,
        built: &Built,
        report: impl FnOnce() -> Result<Report>,
    ) -> Result<(Report, Vec<PathBuf>)> {
        let files = std::mem::take(&mut self.files);
        // Kept for `Drop`, which removes the partial files if a write below fails.
        self.files = files
            .iter()
            .map(|(n, f)| f.try_clone().map(|f| (n.clone(), f)))
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(&self.dir, e))?;
        let dir = self.dir.as_path();
        let (report, results) = std::thread::scope(|scope| {
            let mut tables = Vec::new();
            let mut reports = Vec::new();
            for (name, file) in files {
                if is_report_file(&name) {
                    reports.push((name, file));
                } else {
                    let thread_name = name.clone();
                    let handle =
                        scope.spawn(move || write_table_file(dir, &thread_name, file, built));
                    tables.push((name, handle));
                }
            }
            let report = report();
            let mut results: Vec<(String, Result<()>)> = match &report {
                Ok(r) => reports
                    .into_iter()
                    .map(|(name, file)| {
                        let result = write_report_file(dir, &name, file, r);
                        (name, result)
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            results.extend(tables.into_iter().map(|(name, handle)| {
                let result = handle.join().unwrap_or_else(|_| {
                    Err(Error::Output {
                        path: name.clone().into(),
                        message: "the writer stopped unexpectedly".into(),
                    })
                });
                (name, result)
            }));
            (report, results)
        });
        let report = report?;
        let mut written = Vec::new();
        for (name, result) in results {
            result?;
            written.push(name);
        }
        let finals = publish(&self.dir, &written)?;
        // Only now, with this run's files in place, an earlier run's outputs that this one
        // does not write go: a failed run leaves the previous run's files as they were.
        remove_stale(&self.dir, &written)?;
        Ok((report, finals))
    }
}

/// Moves the complete outputs `names` into place under `dir`, keeping each earlier file aside
/// until all are in: if one move fails, the ones made are undone (this run's files go back to
/// their partial names, the earlier files return), so the folder holds the earlier run's set
/// or this run's, never a mix. Returns the paths written.
///
/// Errors: the first move that fails (after the undo).
fn publish(dir: &Path, names: &[String]) -> Result<Vec<PathBuf>> {
    let marker = dir.join(PUBLISHING_FILE);
    File::create(&marker).map_err(|e| Error::io(&marker, e))?;
    // Per name: whether an earlier file was set aside, and whether this run's file is in place.
    let mut done: Vec<(&String, bool, bool)> = Vec::new();
    let mut failure = None;
    for name in names {
        let target = dir.join(name);
        // A folder made there since the run began is not set aside (it is not ours).
        if target.is_dir() {
            failure = Some(Error::Output {
                path: target,
                message: "is a folder: snagscan writes a file of that name here".into(),
            });
            break;
        }
        let set_aside = match std::fs::rename(&target, previous(dir, name)) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                failure = Some(Error::io(&target, e));
                break;
            }
        };
        let placed = std::fs::rename(partial(dir, name), &target);
        done.push((name, set_aside, placed.is_ok()));
        if let Err(e) = placed {
            failure = Some(Error::io(&target, e));
            break;
        }
    }
    if let Some(e) = failure {
        for &(name, set_aside, placed) in done.iter().rev() {
            // Best effort: the error reported is the move that failed.
            if placed {
                let _ = std::fs::rename(dir.join(name), partial(dir, name));
            }
            if set_aside {
                let _ = std::fs::rename(previous(dir, name), dir.join(name));
            }
        }
        let _ = std::fs::remove_file(&marker);
        return Err(e);
    }
    // Every file is in place: from here a killed run leaves a complete set.
    std::fs::remove_file(&marker).map_err(|e| Error::io(&marker, e))?;
    for name in names {
        // A hidden leftover at worst, removed by the next run.
        let _ = std::fs::remove_file(previous(dir, name));
    }
    Ok(names.iter().map(|n| dir.join(n)).collect())
}

/// Whether `name` is written by an exporter from the [`Report`] (else it is a per-order table).
fn is_report_file(name: &str) -> bool {
    exporters().iter().any(|e| e.file_name() == name)
}

/// Writes the per-order table `name` of `built` into `file` (its partial file under `dir`).
fn write_table_file(dir: &Path, name: &str, file: File, built: &Built) -> Result<()> {
    let path = partial(dir, name);
    let _t = crate::timings::span(format!("write {name}"));
    let mut w = BufWriter::new(file);
    let io = |e: std::io::Error| Error::io(&path, e);
    let journeys = &built.journeys;
    match name {
        "journeys.csv" => write_table(&written(&journeys.orders)?, &mut w, true)?,
        "journeys.parquet" => {
            let mut df = written(&journeys.orders)?;
            ParquetWriter::new(&mut w).finish(&mut df)?;
        }
        CUSTOMERS_CSV => write_table(&written(&journeys.customers)?, &mut w, true)?,
        TICKETS_CSV => match &journeys.tickets {
            Some(t) => write_table(&satisfied_column(t)?, &mut w, true)?,
            None => w
                .write_all(b"no tickets table in the inputs\n")
                .map_err(io)?,
        },
        EVENT_LOG_CSV => crate::event_log::write_csv(journeys, &mut w)?,
        OCEL_FILE => {
            let events = crate::event_log::events(journeys)?;
            crate::event_log::write_ocel(journeys, &built.store, &events, &mut w)?
        }
        _ => {
            return Err(Error::Output {
                path,
                message: "no writer for this output".into(),
            })
        }
    }
    w.flush().map_err(io)
}

/// The columns of a journeys table that are written: all but the internal
/// [`crate::journey::CUSTOMER_INDEX`] (the other columns are shared, not copied).
fn written(df: &DataFrame) -> Result<DataFrame> {
    Ok(match df.column(crate::journey::CUSTOMER_INDEX) {
        Ok(_) => df.drop(crate::journey::CUSTOMER_INDEX)?,
        Err(_) => df.clone(),
    })
}

/// Writes the report file `name` into `file` (its partial file under `dir`).
fn write_report_file(dir: &Path, name: &str, file: File, report: &Report) -> Result<()> {
    let path = partial(dir, name);
    let _t = crate::timings::span(format!("write {name}"));
    let mut w = BufWriter::new(file);
    let io = |e: std::io::Error| Error::io(&path, e);
    let bytes = serialize_named(name, report)?;
    w.write_all(&bytes).map_err(io)?;
    w.flush().map_err(io)
}

fn serialize_named(name: &str, report: &Report) -> Result<Vec<u8>> {
    exporters()
        .into_iter()
        .find(|e| e.file_name() == name)
        .map(|e| e.serialize(report))
        .unwrap_or_else(|| Ok(Vec::new()))
}

/// The tickets with their CSAT rating as `satisfied` (Boolean: a good rating, or 4-5 on the
/// 1-5 scale; empty when unrated) instead of the 0/1 number it is kept as for the `csat` KPI,
/// which a reader of tickets.csv would take for the score itself.
fn satisfied_column(tickets: &DataFrame) -> Result<DataFrame> {
    if tickets.column(s::CSAT).is_err() {
        return Ok(tickets.clone());
    }
    Ok(tickets
        .clone()
        .lazy()
        .with_column(col(s::CSAT).gt(lit(0.5)).alias(s::CSAT))
        .rename([s::CSAT], ["satisfied"], true)
        .collect()?)
}

/// True where a value of String column `c` would be run as a formula by a spreadsheet (null:
/// false): one anchored pattern, `^[...]` over [`csv::FORMULA_START_BYTES`], a single pass over
/// the column instead of one `starts_with` per character.
fn formula_like(c: &str) -> Expr {
    let class: String = csv::FORMULA_START_BYTES
        .iter()
        .map(|&b| regex::escape(char::from(b).encode_utf8(&mut [0; 4])))
        .collect();
    col(c)
        .str()
        .contains(lit(format!("^[{class}]")), true)
        .fill_null(lit(false))
}

/// Whether a value of `ca` may be run as a formula by a spreadsheet (the rule of
/// [`formula_like`]). Reads each value's first byte from its Arrow string view, which keeps the
/// first four bytes of every value inline, so the string data is not touched: a batch of the
/// event log (300k values per column) is checked in well under a millisecond, where the
/// anchored regex ran a search per value.
///
/// A null slot's view is not looked behind: should one hold such a byte, the column is merely
/// rewritten by [`safe_text_expr`], which leaves nulls as they are.
fn any_formula_like(ca: &StringChunked) -> bool {
    ca.downcast_iter().any(|arr| {
        arr.views().iter().any(|view| {
            view.length > 0 && csv::FORMULA_START_BYTES.contains(&view.prefix.to_le_bytes()[0])
        })
    })
}

/// `c` with a `'` before every value that a spreadsheet would run as a formula; the same rule as
/// [`csv::safe_text`], as an expression over a String column.
pub fn safe_text_expr(c: &str) -> Expr {
    when(formula_like(c))
        .then(concat_str([lit("'"), col(c)], "", false))
        .otherwise(col(c))
        .alias(c)
}

/// A copy of `df` whose String columns are neutralised for spreadsheets; other columns as they
/// are (numbers and dates cannot hold a formula). Only the columns that hold such a value are
/// rewritten (found by [`any_formula_like`]), so a clean table is not copied.
pub fn spreadsheet_safe(df: &DataFrame) -> Result<DataFrame> {
    let mut rewrite = Vec::new();
    for c in df.columns() {
        if c.dtype() == &DataType::String && any_formula_like(c.str()?) {
            rewrite.push(safe_text_expr(c.name()));
        }
    }
    if rewrite.is_empty() {
        return Ok(df.clone());
    }
    Ok(df.clone().lazy().with_columns(rewrite).collect()?)
}

/// Rows per batch of [`write_table`]: each batch is neutralised, formatted and written before
/// the next one is made, so the text copies of a table never exist whole.
pub const CSV_BATCH_ROWS: usize = 1 << 16;

/// Writes a table as CSV: text cells neutralised for spreadsheets ([`spreadsheet_safe`]),
/// timestamps as RFC 3339 UTC (`2018-07-29T13:54:51Z`), dates as `YYYY-MM-DD`, nulls as empty
/// cells; the header line only when `header` (a table written in parts has one header).
///
/// Rows are written in batches of [`CSV_BATCH_ROWS`] whose UTC millisecond timestamps and dates
/// are first turned into text by [`instant_text`] / [`date_text`] (chrono's `strftime` re-reads
/// its format string for every value, which made formatting the largest cost of writing a
/// 1M-row table); the bytes are those of Polars' writer with the formats above. Other datetime
/// columns are left to it.
///
/// Errors: the writer fails.
pub fn write_table(df: &DataFrame, w: &mut impl Write, header: bool) -> Result<()> {
    let height = df.height();
    let mut offset = 0usize;
    loop {
        let len = CSV_BATCH_ROWS.min(height - offset);
        let mut batch = times_as_text(&spreadsheet_safe(&df.slice(offset as i64, len))?)?;
        CsvWriter::new(&mut *w)
            .include_header(header && offset == 0)
            .with_datetime_format(Some("%Y-%m-%dT%H:%M:%SZ".into()))
            .with_date_format(Some("%Y-%m-%d".into()))
            .finish(&mut batch)?;
        offset += len;
        if offset >= height {
            return Ok(());
        }
    }
}

/// `df` with its UTC millisecond datetime columns and its date columns as text, formatted in
/// parallel (one column per task).
fn times_as_text(df: &DataFrame) -> Result<DataFrame> {
    use rayon::prelude::*;
    let columns: Vec<Result<Column>> = df
        .columns()
        .par_iter()
        .map(|c| -> Result<Column> {
            Ok(match c.dtype() {
                DataType::Datetime(TimeUnit::Milliseconds, tz)
                    if tz.as_ref().is_none_or(|z| *z == TimeZone::UTC) =>
                {
                    let ms = c.cast(&DataType::Int64)?;
                    text_column(c.name(), ms.i64()?.iter(), instant_text)
                }
                DataType::Date => {
                    let days = c.cast(&DataType::Int32)?;
                    text_column(c.name(), days.i32()?.iter(), date_text)
                }
                _ => c.clone(),
            })
        })
        .collect();
    Ok(DataFrame::new(
        df.height(),
        columns.into_iter().collect::<Result<Vec<_>>>()?,
    )?)
}

/// A text column of `values` formatted by `format` (nulls stay null), one buffer reused.
fn text_column<T>(
    name: &PlSmallStr,
    values: impl Iterator<Item = Option<T>>,
    format: fn(T, &mut String),
) -> Column {
    let (n, _) = values.size_hint();
    let mut out = StringChunkedBuilder::new(name.clone(), n);
    let mut buf = String::with_capacity(24);
    for v in values {
        match v {
            Some(v) => {
                buf.clear();
                format(v, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    out.finish().into_column()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A move into place that fails undoes the ones made: the earlier files are back under
    /// their names, this run's files under their partial names (for `Drop` to remove).
    #[test]
    fn a_failed_publish_leaves_the_earlier_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let names = ["a.csv".to_string(), "b.csv".to_string()];
        std::fs::write(d.join("a.csv"), "old a").unwrap();
        std::fs::write(d.join("b.csv"), "old b").unwrap();
        std::fs::write(partial(d, "a.csv"), "new a").unwrap();
        // b's partial file is missing: its move fails after a's was made.
        assert!(publish(d, &names).is_err());
        assert_eq!(std::fs::read_to_string(d.join("a.csv")).unwrap(), "old a");
        assert_eq!(std::fs::read_to_string(d.join("b.csv")).unwrap(), "old b");
        assert_eq!(
            std::fs::read_to_string(partial(d, "a.csv")).unwrap(),
            "new a"
        );
        assert!(!previous(d, "a.csv").exists() && !previous(d, "b.csv").exists());

        std::fs::write(partial(d, "b.csv"), "new b").unwrap();
        let written = publish(d, &names).unwrap();
        assert_eq!(written, [d.join("a.csv"), d.join("b.csv")]);
        assert_eq!(std::fs::read_to_string(d.join("a.csv")).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(d.join("b.csv")).unwrap(), "new b");
        assert!(!previous(d, "a.csv").exists() && !partial(d, "b.csv").exists());
    }

    /// A run killed while moving its files into place (its marker left) is undone by the next:
    /// the files it set aside come back, so the folder holds the earlier complete set. Killed
    /// after its last move (no marker), its set is complete: what it set aside goes. A folder
    /// at an owned name is never removed.
    #[test]
    fn a_run_killed_while_publishing_is_undone_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |p: PathBuf, s: &str| std::fs::write(p, s).unwrap();
        let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();
        // Killed after moving report.json, before report.html.
        write(d.join(PUBLISHING_FILE), "");
        write(d.join("report.json"), "new json");
        write(previous(d, "report.json"), "old json");
        write(d.join("report.html"), "old html");
        write(partial(d, "report.html"), "new html");
        recover(d).unwrap();
        assert_eq!(
            (read("report.json"), read("report.html")),
            ("old json".into(), "old html".into())
        );
        let hidden: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
        // Killed while removing what it set aside: its set stays.
        write(previous(d, "report.json"), "older json");
        recover(d).unwrap();
        assert_eq!(read("report.json"), "old json");
        assert!(!previous(d, "report.json").exists());
        std::fs::create_dir(d.join("journeys.parquet")).unwrap();
        remove_stale(d, &["report.json".to_string()]).unwrap();
        assert!(d.join("journeys.parquet").is_dir());
    }

    /// The view check agrees with the regex rule on inline (up to 12 bytes) and buffered
    /// values, multi-byte first characters and nulls, and sees only the rows of a slice.
    #[test]
    fn formula_like_values_are_found_from_their_views() {
        let found = |values: &[Option<&str>]| {
            let ca = StringChunked::from_iter_options("c".into(), values.iter().copied());
            any_formula_like(&ca)
        };
        assert!(!found(&[
            Some("1001"),
            None,
            Some(""),
            Some("a=b"),
            Some("ébc")
        ]));
        assert!(found(&[Some("1001"), Some("=1+1")]));
        assert!(found(&[
            Some("a long value past twelve bytes"),
            Some("-a long negative value")
        ]));
        assert!(found(&[Some("\tx")]));
        assert!(found(&[Some("\r")]));
        assert!(found(&[Some("@SUM(A1:A9) and more text")]));
        assert!(!found(&[Some("plus+ only inside")]));
        // Every ASCII first byte, in a value kept inside its view and in a longer one.
        for b in 0u8..128 {
            for v in [
                format!("{}x", b as char),
                format!("{}rest of a value", b as char),
            ] {
                assert_eq!(
                    found(&[Some(v.as_str())]),
                    csv::safe_text(&v) != v,
                    "value {v:?}"
                );
            }
        }
        // A slice sees its own rows only: the formula-like value is outside it.
        let df = df! { "c" => ["=1", "1002", "a value longer than twelve", "1004"] }.unwrap();
        let slice = df.slice(1, 3);
        assert!(!any_formula_like(slice.column("c").unwrap().str().unwrap()));
        let out = spreadsheet_safe(&slice).unwrap();
        assert!(out.equals_missing(&slice));
        let out = spreadsheet_safe(&df.slice(0, 2)).unwrap();
        let got: Vec<Option<&str>> = out.column("c").unwrap().str().unwrap().iter().collect();
        assert_eq!(got, vec![Some("'=1"), Some("1002")]);
    }

    #[test]
    fn text_columns_are_neutralised_like_safe_text() {
        let df = df! {
            "order_id" => ["=HYPERLINK(\"http://x\",\"y\")", "1001", "-5", "@SUM(A1)", "\rA", "a=b"],
            "carrier" => [Some("+cmd"), None, Some("UPS"), Some("\tx"), Some("a+b"), Some("\r")],
            "total" => [1.0, -2.0, 3.0, 4.0, 5.0, 6.0],
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
        let expected: Vec<String> = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "1001",
            "-5",
            "@SUM(A1)",
            "\rA",
            "a=b",
        ]
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
            vec![
                Some("'+cmd"),
                None,
                Some("UPS"),
                Some("'\tx"),
                Some("a+b"),
                Some("'\r")
            ]
        );
        assert_eq!(
            out.column("total").unwrap().f64().unwrap().get(1),
            Some(-2.0)
        );
    }
}
