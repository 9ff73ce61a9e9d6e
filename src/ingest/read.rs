//! Reading export files into raw text columns: discovery, decompression, BOM and encoding,
//! delimiter sniffing, and quoted multi-line records (split line by line with `memchr`, quoted
//! records by `csv_core`, the `csv` crate's parser), with the physical line of every record kept
//! for data-quality messages.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::{ArrowDataType, Column, DataFrame, DataType, FileMetadataRef, TimeZone};

use crate::error::{Error, Result};

/// Extensions read from an input folder (SPEC section 1); `.parquet.gz` only to be refused with
/// what to do (see `read_bytes`), not passed over in silence.
pub const INPUT_EXTENSIONS: [&str; 6] = [
    ".csv",
    ".csv.gz",
    ".tsv",
    ".tsv.gz",
    ".parquet",
    ".parquet.gz",
];

/// Spreadsheet workbooks: not read (snagscan reads text and Parquet), but listed so that each
/// is reported as skipped with what to do, rather than ignored silently.
pub const SPREADSHEET_EXTENSIONS: [&str; 6] =
    [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers"];

/// Lists the input files of `dir`, sorted by name: every file with an input extension, every
/// file whose name matches one of `extra` (the `file` globs of `[[mapping]]` tables, which
/// may name other extensions such as `.txt`), and every spreadsheet (see
/// [`spreadsheet_reason`]; a `.numbers` document may be a folder).
///
/// Errors: `dir` does not exist or cannot be listed.
pub fn list_inputs(dir: &Path, extra: &[String]) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
            _ => ".".to_string(),
        };
        return Err(Error::FileNotDir(dir.to_path_buf(), parent));
    }
    if !dir.is_dir() {
        return Err(Error::NoSuchDir(dir.to_path_buf()));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let input =
                has_input_extension(p) || extra.iter().any(|g| glob_match(g, &file_name_of(p)));
            (p.is_file() && input) || spreadsheet_reason(p).is_some()
        })
        .collect();
    files.sort();
    Ok(files)
}

fn file_name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Why a spreadsheet workbook (`.xlsx`, `.xls`, `.ods`, `.numbers`...) is not read, with what to
/// do instead; `None` for any other path, and for the lock file Excel keeps beside an open
/// workbook (`~$orders.xlsx`), which is no sheet.
pub fn spreadsheet_reason(p: &Path) -> Option<String> {
    let name = file_name_of(p).to_lowercase();
    if name.starts_with("~$") || !(p.is_file() || p.is_dir()) {
        return None;
    }
    let ext = SPREADSHEET_EXTENSIONS
        .iter()
        .find(|ext| name.ends_with(*ext))?;
    Some(format!(
        "a spreadsheet ({ext}), not read: export the sheet as CSV (UTF-8) into this folder"
    ))
}

fn has_input_extension(p: &Path) -> bool {
    let name = file_name_of(p).to_lowercase();
    INPUT_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// Matches a file name against a glob with `*` (any run) and `?` (one character); a pattern
/// with a `/` is matched against the file name only (its last component). Case-sensitive, as
/// file systems usually are.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern = pattern.rsplit('/').next().unwrap_or(pattern);
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic wildcard matching with backtracking to the last `*`.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

/// The physical lines of a text file whose text had to be repaired while decoding it (see
/// [`Repair`]), counted as [`RawFile::read_columns`] counts lines: a line ends at LF, CRLF or a
/// lone CR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyLines {
    /// What was repaired (Windows-1252 when no line was).
    pub repair: Repair,
    /// How many lines were repaired (0: the file decoded cleanly).
    pub count: u64,
    /// The first of them, 1-based and ascending, at most [`crate::quality::FIRST_LINES`].
    pub first: Vec<u64>,
}

/// What the lines of a [`LegacyLines`] hold, by the encoding the file was read in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Repair {
    /// Bytes that are not UTF-8, decoded as Windows-1252 (a UTF-8 or legacy file).
    #[default]
    Windows1252,
    /// UTF-16 code units that are no character (an unpaired surrogate, or an odd last byte),
    /// each replaced by U+FFFD (a UTF-16 file).
    Utf16,
}

impl LegacyLines {
    /// The lines of `text` holding the byte offsets `at` (ascending), each line counted once
    /// however many it holds; lines end as [`RawFile::read_columns`] ends them (LF, and a lone
    /// CR when the header line ends in one).
    fn at_offsets(repair: Repair, text: &str, at: &[usize]) -> LegacyLines {
        let mut lines = LegacyLines {
            repair,
            ..LegacyLines::default()
        };
        let bytes = text.as_bytes();
        let lone_cr = lone_cr_ends_lines(bytes);
        // The line at offset `from`, and the last line counted.
        let (mut line, mut from, mut last_counted) = (1u64, 0usize, 0u64);
        for &offset in at {
            line += line_breaks(bytes, from, offset, lone_cr);
            from = offset;
            if line > last_counted {
                last_counted = line;
                lines.count += 1;
                if lines.first.len() < crate::quality::FIRST_LINES {
                    lines.first.push(line);
                }
            }
        }
        lines
    }
}

/// How the fields of a text file are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// One byte (`,`, `;`, tab, `|`), with RFC 4180 quoting.
    Byte(u8),
    /// Runs of spaces or tabs, no quoting (fixed-width-like files such as CDNOW's).
    Whitespace,
}

impl Delimiter {
    /// Parses a config value: a single character, `tab`, `\t` or `whitespace`.
    pub fn from_config(s: &str) -> Option<Delimiter> {
        match s {
            "whitespace" | "space" | " " => Some(Delimiter::Whitespace),
            "tab" | "\\t" | "\t" => Some(Delimiter::Byte(b'\t')),
            _ if s.len() == 1 && s.is_ascii() => Some(Delimiter::Byte(s.as_bytes()[0])),
            _ => None,
        }
    }
}

/// The Parquet column types read as stored, without going through text: the values need no
/// parsing, and none of the text rules (slash-date order, decimal comma, currency signs)
/// applies to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedRead {
    /// Datetime (any unit, with or without a time zone) and Date, for timestamp and promise
    /// columns.
    Instants,
    /// Integers and floats, for money and number columns.
    Numbers,
    /// Text, for id and text columns: used as stored when no cell needs what the text path
    /// does to it (trimming, an empty cell as null, an id's clean-up), else read as text.
    Text,
}

/// One input file, decoded, with its header: a delimited text file, or a Parquet file whose
/// columns are cast to text so that every cell goes through the same parsers, except those
/// read as stored ([`RawFile::typed_column`]).
#[derive(Debug)]
pub struct RawFile {
    /// File name as shown to the user.
    pub name: String,
    /// Header cells as written (BOM removed, trimmed).
    pub headers: Vec<String>,
    /// The lines whose text was repaired while decoding it: bytes that were not UTF-8, decoded
    /// as Windows-1252, or in a UTF-16 file code units that are no character (none for a clean
    /// file, and for Parquet).
    pub repaired_lines: LegacyLines,
    /// True for Parquet: "lines" are row index + 2 (as if the file were a CSV with a header).
    pub is_parquet: bool,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Text {
        text: String,
        delimiter: Delimiter,
    },
    /// A Parquet file's columns as read: each one is turned into text only when a table asks
    /// for it ([`RawFile::read_columns`]), so that columns no table reads are never copied.
    Frame {
        df: DataFrame,
        /// Columns not read (name, Parquet type): a type this build cannot load.
        unreadable: Vec<(String, String)>,
        /// Times stored with a zone Polars does not take (name, zone), such as an offset off
        /// the hour (`+05:30`): read as the UTC instants they hold, their zone kept here
        /// ([`RawFile::stored_zone`]).
        zones: Vec<(String, String)>,
    },
}

impl RawFile {
    /// Reads and decodes `path`: gzip when it ends in `.gz` or starts with gzip's magic number,
    /// Parquet when it starts with Parquet's, else delimited text (delimiter sniffed from the header unless `delimiter` is given; tab
    /// for `.tsv`).
    ///
    /// Errors: I/O failures; an empty file; a file with no header line; an unreadable Parquet file.
    pub fn open(path: &Path, delimiter: Option<Delimiter>) -> Result<RawFile> {
        let name = file_name_of(path);
        // Parquet by its magic number, whatever the file is called (a `.csv` that is Parquet);
        // a `.parquet` that is text is read as text.
        if is_parquet(path)? {
            return Self::open_parquet(path, name);
        }
        let bytes = read_bytes(path)?;
        if bytes.is_empty() {
            return Err(Error::EmptyFile(name));
        }
        let (text, repaired_lines) = decode(bytes);
        let mut text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        // A DOS end-of-file mark (Ctrl-Z, 0x1A) closing the file is not data.
        if text.ends_with('\u{1a}') {
            text.pop();
        }
        let first_line = text.lines().next().unwrap_or("");
        if first_line.trim().is_empty() {
            return Err(Error::Malformed {
                file: name,
                line: 1,
                message: "no header line".into(),
            });
        }
        let delimiter = delimiter.unwrap_or_else(|| {
            if [".tsv", ".tsv.gz"]
                .iter()
                .any(|ext| name.to_lowercase().ends_with(ext))
            {
                Delimiter::Byte(b'\t')
            } else {
                Delimiter::Byte(sniff_delimiter(first_line))
            }
        });
        let headers = match delimiter {
            Delimiter::Whitespace => first_line.split_whitespace().map(str::to_string).collect(),
            Delimiter::Byte(d) => csv::ReaderBuilder::new()
                .delimiter(d)
                .has_headers(false)
                .from_reader(first_line.as_bytes())
                .records()
                .next()
                .and_then(|r| r.ok())
                .map(|r| r.iter().map(|h| h.trim().to_string()).collect())
                .unwrap_or_default(),
        };
        if let Delimiter::Byte(d) = delimiter {
            // The header must be line 1 alone: a quote left open there would make the whole
            // file one header record (no rows, silently).
            let line_end = text.find('\n').map_or(text.len(), |i| i + 1);
            if first_line.contains('"') && QuotedRecord::new(d).read(text.as_bytes()) > line_end {
                return Err(Error::Malformed {
                    file: name,
                    line: 1,
                    message: "the header runs past its line: a quote is not closed, or a column name holds a line break".into(),
                });
            }
        }
        Ok(RawFile {
            name,
            headers,
            repaired_lines,
            is_parquet: false,
            body: Body::Text { text, delimiter },
        })
    }

    fn open_parquet(path: &Path, name: String) -> Result<RawFile> {
        use polars::prelude::{ParquetReader, SerReader};
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
            return Err(Error::EmptyFile(name));
        }
        let unreadable_file = |e: polars::prelude::PolarsError| Error::File {
            file: name.clone(),
            message: format!("not a readable Parquet file: {e}"),
        };
        let mut reader = ParquetReader::new(file);
        // Polars reads no file with two columns of one name (its schema fails); a CSV with such
        // headers is read (the first one, with a warning), but a Parquet file is read by name.
        let mut names: Vec<String> = (reader.get_metadata().map_err(unreadable_file)?)
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::File {
                file: name.clone(),
                message: format!(
                    "two columns are named '{}'; rename one (Parquet columns are read by name)",
                    w[0]
                ),
            });
        }
        let schema = reader.schema().map_err(unreadable_file)?;
        // Columns of a type this build cannot read (decimals, 128-bit integers, lists,
        // structs...) are left out of the read, so that the file's other columns still load;
        // a table that needs one gets an error naming it (`read_columns`).
        let mut readable = Vec::new();
        let mut unreadable = Vec::new();
        // A time stored with a zone Polars does not take (pandas writes `+05:30` for times
        // parsed with that offset) would make Polars refuse the whole file: such columns are
        // read apart, as the instants they hold ([`read_as_utc`]), their zone kept aside.
        let mut zoned = Vec::new();
        let mut zones = Vec::new();
        for (n, field) in schema.iter() {
            if let ArrowDataType::Timestamp(_, Some(zone)) = field.dtype() {
                if TimeZone::opt_try_new(Some(zone.clone())).is_err() {
                    zoned.push(n.to_string());
                    zones.push((n.trim().to_string(), zone.to_string()));
                    continue;
                }
            }
            if readable_parquet_type(field.dtype()) {
                readable.push(n.to_string());
            } else {
                unreadable.push((n.trim().to_string(), format!("{:?}", field.dtype())));
            }
        }
        let headers: Vec<String> = schema.iter().map(|(n, _)| n.trim().to_string()).collect();
        let metadata = match zoned.is_empty() {
            true => None,
            false => Some(reader.get_metadata().map_err(unreadable_file)?.clone()),
        };
        let mut df = reader
            .with_columns(Some(readable))
            .finish()
            .map_err(unreadable_file)?;
        if let Some(metadata) = metadata {
            let times = read_as_utc(path, &metadata, zoned).map_err(unreadable_file)?;
            df.hstack_mut(times.columns()).map_err(unreadable_file)?;
        }
        Ok(RawFile {
            name,
            headers,
            repaired_lines: LegacyLines::default(),
            is_parquet: true,
            body: Body::Frame {
                df,
                unreadable,
                zones,
            },
        })
    }

    /// The zone a Parquet time column (by header) was stored with, when Polars does not take
    /// it and the column was read as UTC instants ([`read_as_utc`]).
    pub fn stored_zone(&self, header: &str) -> Option<&str> {
        let Body::Frame { zones, .. } = &self.body else {
            return None;
        };
        zones
            .iter()
            .find(|(n, _)| n == header)
            .map(|(_, z)| z.as_str())
    }

    /// The field delimiter of a text file (`None` for Parquet).
    pub fn delimiter(&self) -> Option<Delimiter> {
        match &self.body {
            Body::Text { delimiter, .. } => Some(*delimiter),
            Body::Frame { .. } => None,
        }
    }

    /// The Parquet column at header position `index` as stored, when its type is one that
    /// `want` reads without going through text (see [`TypedRead`]); `None` for a text file, a
    /// column of another type, or a header the file's frame does not hold.
    pub fn typed_column(&self, index: usize, want: TypedRead) -> Option<Column> {
        let Body::Frame { df, .. } = &self.body else {
            return None;
        };
        let header = self.headers.get(index)?;
        let c = df.columns().iter().find(|c| c.name().trim() == header)?;
        let readable = match want {
            TypedRead::Instants => matches!(c.dtype(), DataType::Datetime(..) | DataType::Date),
            TypedRead::Numbers => {
                c.dtype().is_primitive_numeric() || matches!(c.dtype(), DataType::Decimal(..))
            }
            TypedRead::Text => c.dtype() == &DataType::String,
        };
        readable.then(|| c.clone())
    }

    /// Frees the file's text once every table has its cells ([`RawFile::read_columns`]): name
    /// and header stay, and reading columns afterwards gives no records.
    pub fn release_text(&mut self) {
        self.body = match &self.body {
            Body::Text { delimiter, .. } => Body::Text {
                text: String::new(),
                delimiter: *delimiter,
            },
            Body::Frame { zones, .. } => Body::Frame {
                df: DataFrame::empty(),
                unreadable: Vec::new(),
                zones: zones.clone(),
            },
        };
    }

    /// Reads the columns at `indices` (positions in the header) of every record.
    ///
    /// Returns one [`TextColumn`] per requested column and the 1-based physical line where each
    /// record starts (Parquet: row index + 2). Quoted fields may hold delimiters, quotes and
    /// newlines (LF or CRLF).
    ///
    /// Errors: a record whose field count differs from the header's, naming its line.
    pub fn read_columns(&self, indices: &[usize]) -> Result<RawColumns> {
        match &self.body {
            Body::Frame { df, unreadable, .. } => {
                let n = df.height();
                let columns = indices
                    .iter()
                    .map(|&i| {
                        let Some(header) = self.headers.get(i) else {
                            return Ok(TextColumn::repeat("", n));
                        };
                        if let Some((_, ty)) = unreadable.iter().find(|(u, _)| u == header) {
                            return Err(unreadable_column(&self.name, header, ty));
                        }
                        let c = df.columns().iter().find(|c| c.name().trim() == header);
                        match c {
                            Some(c) => parquet_text(c, &self.name, header),
                            None => Ok(TextColumn::repeat("", n)),
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(RawColumns {
                    columns,
                    lines: (0..n as u64).map(|i| i + 2).collect(),
                })
            }
            Body::Text {
                text,
                delimiter: Delimiter::Whitespace,
            } => self.read_whitespace(text, indices),
            Body::Text {
                text,
                delimiter: Delimiter::Byte(d),
            } if !lone_cr_ends_lines(text.as_bytes()) => self.read_lines(text, *d, indices),
            Body::Text {
                text,
                delimiter: Delimiter::Byte(d),
            } => self.read_csv(text, *d, indices),
        }
    }

    fn read_whitespace(&self, text: &str, indices: &[usize]) -> Result<RawColumns> {
        let mut columns: Vec<ColumnBuilder> = indices
            .iter()
            .map(|_| ColumnBuilder::with_capacity(0, 0))
            .collect();
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.is_empty() {
                continue; // a blank line, not a record
            }
            let line_no = i as u64 + 1;
            if fields.len() != self.headers.len() {
                return Err(Error::Malformed {
                    file: self.name.clone(),
                    line: line_no,
                    message: format!(
                        "record has {} fields where the header has {} (whitespace-separated)",
                        fields.len(),
                        self.headers.len()
                    ),
                });
            }
            lines.push(line_no);
            for (col, &i) in columns.iter_mut().zip(indices) {
                col.push(fields.get(i).copied().unwrap_or("").as_bytes());
            }
        }
        Ok(RawColumns {
            columns: finish_all(columns, &self.name)?,
            lines,
        })
    }

    fn read_csv(&self, text: &str, delimiter: u8, indices: &[usize]) -> Result<RawColumns> {
        // Flexible, so that a line of spaces (one blank field) is skipped like a blank line
        // rather than refused; the field count is checked below.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        // Capacity guesses from the file size, so that the buffers rarely grow: one record per
        // ~100 bytes, and each column's share of the bytes.
        let rows_guess = text.len() / 100 + 16;
        let bytes_guess = text.len() / self.headers.len().max(1);
        let mut columns: Vec<ColumnBuilder> = indices
            .iter()
            .map(|_| ColumnBuilder::with_capacity(rows_guess, bytes_guess))
            .collect();
        let mut lines = Vec::with_capacity(rows_guess);
        // Byte records: the text is valid UTF-8 and fields split at ASCII bytes, so every field
        // is too (checked once per column in `ColumnBuilder::finish`, not per cell).
        let mut record = csv::ByteRecord::new();
        let mut counter = LineCounter::new(text);
        // Where the last record started (byte, line): the `csv` crate ends a record whose
        // quote is never closed at the end of the file, with every later line in its field.
        let mut last = None;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => {
                    if let Some((start, line)) = last {
                        let rest = text.as_bytes().get(start..).unwrap_or_default();
                        if ends_in_open_quote(rest, delimiter) {
                            return Err(unclosed_quote(&self.name, line));
                        }
                    }
                    break;
                }
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| counter.line_at(p.byte())).unwrap_or(0);
                    return Err(Error::Malformed {
                        file: self.name.clone(),
                        line,
                        message: e.to_string(),
                    });
                }
            }
            if record.len() == 1
                && record
                    .get(0)
                    .is_some_and(|c| std::str::from_utf8(c).is_ok_and(|c| c.trim().is_empty()))
            {
                // A blank line, or one of spaces: not a record, and no quote left open (as
                // `read_lines` skips it before its check).
                last = None;
                continue;
            }
            let start = record.position().map(|p| p.byte());
            let line = start.map(|b| counter.line_at(b)).unwrap_or(0);
            last = start.map(|b| (usize::try_from(b).unwrap_or(usize::MAX), line));
            if record.len() != self.headers.len() {
                // A quote left open takes the rest of the file into one field: that, not the
                // count of fields it leaves, is the error.
                let at_end =
                    usize::try_from(reader.position().byte()).is_ok_and(|b| b >= text.len());
                if let Some((start, line)) = last.filter(|_| at_end) {
                    let rest = text.as_bytes().get(start..).unwrap_or_default();
                    if ends_in_open_quote(rest, delimiter) {
                        return Err(unclosed_quote(&self.name, line));
                    }
                }
                return Err(field_count_error(
                    &self.name,
                    line,
                    record.len(),
                    self.headers.len(),
                    UNQUOTED_HINT,
                ));
            }
            lines.push(line);
            for (col, &i) in columns.iter_mut().zip(indices) {
                col.push(record.get(i).unwrap_or(b""));
            }
        }
        Ok(RawColumns {
            columns: finish_all(columns, &self.name)?,
            lines,
        })
    }

    /// Reads a file with no lone carriage return. Most records are one line without a quote:
    /// their fields are the bytes between delimiters, found with `memchr`. A line with a quote
    /// starts a record that may span lines; it is read by `csv_core`, the `csv` crate's own
    /// parser. Same columns, lines and errors as [`RawFile::read_csv`], several times faster.
    fn read_lines(&self, text: &str, delimiter: u8, indices: &[usize]) -> Result<RawColumns> {
        let bytes = text.as_bytes();
        let n_fields = self.headers.len();
        let rows_guess = text.len() / 100 + 16;
        let bytes_guess = text.len() / n_fields.max(1);
        let mut columns: Vec<ColumnBuilder> = indices
            .iter()
            .map(|_| ColumnBuilder::with_capacity(rows_guess, bytes_guess))
            .collect();
        let mut lines = Vec::with_capacity(rows_guess);
        let mut quoted = QuotedRecord::new(delimiter);
        // Field `k` of an unquoted record is `record[starts[k]..starts[k + 1] - 1]`.
        let mut starts: Vec<usize> = Vec::with_capacity(n_fields + 1);
        // `pos` is the start of physical line `line_no`.
        let mut line_no = 2u64;
        let mut pos = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
        // Whether the record read last ran to the end of the file inside a quoted field.
        let mut open_at_end = false;
        while pos < bytes.len() {
            let record_line = line_no;
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let line = &bytes[pos..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let n = if memchr::memchr(b'"', line).is_none() {
                pos = end + 1;
                line_no += 1;
                if line.is_empty() {
                    continue; // an empty line, not a record
                }
                starts.clear();
                starts.push(0);
                starts.extend(memchr::memchr_iter(delimiter, line).map(|i| i + 1));
                starts.push(line.len() + 1);
                starts.len() - 1
            } else {
                let consumed = quoted.read(&bytes[pos..]);
                open_at_end =
                    pos + consumed >= bytes.len() && ends_in_open_quote(&bytes[pos..], delimiter);
                line_no += memchr::memchr_iter(b'\n', &bytes[pos..pos + consumed]).count() as u64;
                pos += consumed;
                quoted.len()
            };
            // A record of one blank field (a line of spaces) is a blank line, as in `read_csv`.
            let blank = n == 1
                && std::str::from_utf8(if quoted.len() > 0 {
                    quoted.field(0)
                } else {
                    line
                })
                .is_ok_and(|c| c.trim().is_empty());
            if blank {
                quoted.clear();
                continue;
            }
            // A quote left open takes the rest of the file into one field: that, not the count
            // of fields it leaves, is the error.
            if open_at_end {
                return Err(unclosed_quote(&self.name, record_line));
            }
            if n != n_fields {
                // A lone CR where this file's lines end in LF: an old Mac line end, likely.
                let lone_cr = memchr::memchr(b'\r', line).is_some();
                let hint = if lone_cr {
                    "a carriage return (CR) inside the line, which is no line end in a file whose lines end in LF?"
                } else {
                    UNQUOTED_HINT
                };
                return Err(field_count_error(
                    &self.name,
                    record_line,
                    n,
                    n_fields,
                    hint,
                ));
            }
            lines.push(record_line);
            if quoted.len() > 0 {
                for (col, &i) in columns.iter_mut().zip(indices) {
                    col.push(quoted.field(i));
                }
                quoted.clear();
            } else {
                for (col, &i) in columns.iter_mut().zip(indices) {
                    col.push(&line[starts[i]..starts[i + 1] - 1]);
                }
            }
        }
        Ok(RawColumns {
            columns: finish_all(columns, &self.name)?,
            lines,
        })
    }
}

/// One record read by `csv_core` (quotes, escaped quotes, quoted delimiters and newlines), the
/// way the `csv` crate reads it.
struct QuotedRecord {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    n_fields: usize,
}

impl QuotedRecord {
    fn new(delimiter: u8) -> Self {
        // Records end at LF only: a lone CR in a file whose lines end in LF or CRLF is a byte
        // of its cell (old Mac files, whose lines end in CR, go to the `csv` crate's reader).
        // A CRLF's CR is taken off the last field in `read`.
        let mut reader = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        let (mut out, mut ends) = (vec![0; 4096], vec![0; 64]);
        // A reader that has read nothing yet drops a byte-order mark at the start of its input,
        // as at the start of a file; these records are in the middle of one, where the `csv`
        // crate keeps it. An empty line (skipped, no record) marks this reader as started.
        let _ = reader.read_record(b"\n", &mut out, &mut ends);
        QuotedRecord {
            reader,
            out,
            ends,
            n_fields: 0,
        }
    }

    /// Reads the record at the start of `input` and returns the bytes it took, line end
    /// included (after a CRLF, both bytes).
    fn read(&mut self, input: &[u8]) -> usize {
        use csv_core::ReadRecordResult as R;
        // No `reset()`: it would make the reader drop a leading byte-order mark again. After a
        // record the reader is back at the start of one.
        let (mut nin, mut nout, mut nend) = (0, 0, 0);
        loop {
            // Once the input is used up, an empty input ends the record.
            let rest = &input[nin..];
            let (result, i, o, e) =
                self.reader
                    .read_record(rest, &mut self.out[nout..], &mut self.ends[nend..]);
            nin += i;
            nout += o;
            nend += e;
            match result {
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::InputEmpty if !rest.is_empty() => {}
                R::InputEmpty | R::Record | R::End => break,
            }
        }
        // `ends` are offsets into the record's whole output.
        self.n_fields = nend;
        // A CRLF line end: its CR came into the last field (after a closing quote too).
        if nin >= 2 && input[nin - 2..nin] == *b"\r\n" && nend > 0 {
            let last = &mut self.ends[nend - 1];
            if *last > 0 && self.out[*last - 1] == b'\r' {
                *last -= 1;
            }
        }
        nin
    }

    fn len(&self) -> usize {
        self.n_fields
    }

    fn clear(&mut self) {
        self.n_fields = 0;
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..self.ends[i]).unwrap_or(b"")
    }
}

/// The cells of one text column in one buffer (no allocation per cell): cell `i` is
/// `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Default, Clone)]
pub struct TextColumn {
    text: String,
    ends: Vec<u32>,
}

impl TextColumn {
    /// A column of `cells`.
    ///
    /// Errors: the cells hold more than 4 GiB of text.
    pub fn from_cells<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> Result<TextColumn> {
        let mut b = ColumnBuilder::with_capacity(0, 0);
        for c in cells {
            b.push(c.as_ref().as_bytes());
        }
        b.finish("<cells>")
    }

    /// `n` copies of `cell`.
    pub fn repeat(cell: &str, n: usize) -> TextColumn {
        TextColumn {
            text: cell.repeat(n),
            ends: (1..=n)
                .map(|i| u32::try_from(i * cell.len()).unwrap_or(u32::MAX))
                .collect(),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i` (empty when out of range).
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        self.text.get(start..end).unwrap_or("")
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&e| {
            let end = e as usize;
            let cell = self.text.get(start..end).unwrap_or("");
            start = end;
            cell
        })
    }
}

impl TextColumn {
    /// A Parquet column's cells ([`parquet_text`]).
    ///
    /// Errors: the column cannot be cast to text, or holds more than 4 GiB of it.
    pub fn from_parquet(c: &Column, file: &str, header: &str) -> Result<TextColumn> {
        parquet_text(c, file, header)
    }
}

/// A Parquet column as text, nulls as empty cells: cast to String (numbers and times as Polars
/// writes them) and copied into one buffer, so that every cell goes through the same parsers as
/// a CSV cell.
///
/// Errors: the column holds more than 4 GiB of text.
fn parquet_text(c: &Column, file: &str, header: &str) -> Result<TextColumn> {
    let text = c
        .cast(&DataType::String)
        .map_err(|_| unreadable_column(file, header, &format!("{:?}", c.dtype())))?;
    let ca = text.str()?;
    let mut col = ColumnBuilder::with_capacity(ca.len(), 0);
    let has_nulls = ca.null_count() > 0;
    for arr in ca.downcast_iter() {
        if has_nulls {
            arr.iter()
                .for_each(|v| col.push(v.unwrap_or("").as_bytes()));
        } else {
            arr.values_iter().for_each(|v| col.push(v.as_bytes()));
        }
    }
    col.finish(file)
}

/// Reads the columns `names` of the Parquet file at `path` (whose metadata is `metadata`) from
/// their Parquet types alone, without the Arrow schema that pyarrow and Polars store beside
/// them: a time stored with a zone is then a time adjusted to UTC, read whatever its zone.
fn read_as_utc(
    path: &Path,
    metadata: &FileMetadataRef,
    names: Vec<String>,
) -> polars::prelude::PolarsResult<DataFrame> {
    use polars::prelude::{ParquetReader, SerReader};
    let mut metadata = metadata.as_ref().clone();
    if let Some(pairs) = metadata.key_value_metadata.as_mut() {
        pairs.retain(|pair| pair.key != "ARROW:schema");
    }
    let mut reader = ParquetReader::new(std::fs::File::open(path)?);
    reader.set_metadata(std::sync::Arc::new(metadata));
    reader.with_columns(Some(names)).finish()
}

/// Whether this build reads a Parquet column of type `t` (numbers, decimals up to 128 bits,
/// booleans, text, binary, dates, timestamps, durations, and dictionary-encoded text); the
/// others are left unread.
/// UInt8 and UInt16 are not read: this build of Polars has no such types, and reading one
/// fails the whole file.
fn readable_parquet_type(t: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    match t {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Decimal(..)
        | A::Timestamp(..)
        | A::Date32
        | A::Date64
        | A::Duration(_)
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Binary
        | A::LargeBinary
        | A::BinaryView => true,
        A::Dictionary(_, values, _) => {
            matches!(values.as_ref(), A::Utf8 | A::LargeUtf8 | A::Utf8View)
        }
        _ => false,
    }
}

/// The error for a Parquet column that a table needs but that cannot be read as text.
fn unreadable_column(file: &str, header: &str, ty: &str) -> Error {
    Error::Column {
        file: file.to_string(),
        column: header.to_string(),
        message: format!(
            "a Parquet column of type {ty} cannot be read; export it as text, a timestamp, or an Int64 or Float64 number"
        ),
    }
}

/// Appends cells to a [`TextColumn`].
struct ColumnBuilder {
    bytes: Vec<u8>,
    ends: Vec<u32>,
    too_big: bool,
}

impl ColumnBuilder {
    fn with_capacity(cells: usize, bytes: usize) -> Self {
        ColumnBuilder {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(cells),
            too_big: false,
        }
    }

    fn push(&mut self, cell: &[u8]) {
        self.bytes.extend_from_slice(cell);
        match u32::try_from(self.bytes.len()) {
            Ok(end) => self.ends.push(end),
            Err(_) => {
                self.too_big = true;
                self.ends.push(u32::MAX);
            }
        }
    }

    fn finish(self, file: &str) -> Result<TextColumn> {
        let malformed = |message: &str| Error::File {
            file: file.to_string(),
            message: message.to_string(),
        };
        if self.too_big {
            return Err(malformed(
                "a column holds more than 4 GiB of text; split the file",
            ));
        }
        // Not shrunk: a column lives only until its cells are parsed, and the unused capacity
        // was never touched (no memory is resident for it), while shrinking copies the column.
        let (bytes, ends) = (self.bytes, self.ends);
        let text = String::from_utf8(bytes)
            .map_err(|_| malformed("a field is not valid UTF-8 after decoding"))?;
        Ok(TextColumn { text, ends })
    }
}

fn finish_all(columns: Vec<ColumnBuilder>, file: &str) -> Result<Vec<TextColumn>> {
    columns.into_iter().map(|c| c.finish(file)).collect()
}

/// Physical line numbers from byte offsets. The `csv` crate's own line count lags by one after
/// a CRLF terminator (it ends the record at `\r` and counts the `\n` with the next record), so
/// lines are counted here: the record starts at the first byte after any CR/LF at its offset.
/// A line ends at LF or CRLF, and at a lone CR in a file whose lines end so (old Mac files,
/// see [`lone_cr_ends_lines`]); a lone CR inside a cell of an LF file is no line end, as no
/// editor shows one there.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
    lone_cr_ends_lines: bool,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            lone_cr_ends_lines: lone_cr_ends_lines(text.as_bytes()),
        }
    }

    /// The 1-based line of the record starting at `byte` (offsets must not decrease).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.pos {
            self.line += line_breaks(self.bytes, self.pos, start, self.lone_cr_ends_lines);
            self.pos = start;
        }
        self.line
    }
}

/// Line ends in `bytes[from..to]`: each LF, and with `lone_cr` each CR not followed by an LF
/// (looked up past `to`, so that a CRLF is one line end wherever the range ends).
fn line_breaks(bytes: &[u8], from: usize, to: usize, lone_cr: bool) -> u64 {
    let Some(range) = bytes.get(from..to) else {
        return 0;
    };
    let lf = memchr::memchr_iter(b'\n', range).count();
    if !lone_cr {
        return lf as u64;
    }
    let lone_cr = memchr::memchr_iter(b'\r', range)
        .filter(|&i| bytes.get(from + i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

/// Whether the lines of a text end at a lone CR (old Mac files): its first line (the header)
/// does. A file whose header ends in LF or CRLF counts its lines by LF alone.
fn lone_cr_ends_lines(bytes: &[u8]) -> bool {
    memchr::memchr2(b'\r', b'\n', bytes)
        .is_some_and(|i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Whether `record` (a record's bytes to the end of the file) ends inside a quoted field: a
/// field that starts with a quote and whose closing quote never comes (RFC 4180: a quote
/// inside a quoted field is doubled; one inside an unquoted field is a plain character).
fn ends_in_open_quote(record: &[u8], delimiter: u8) -> bool {
    let (mut at_field_start, mut quoted, mut i) = (true, false, 0);
    while i < record.len() {
        let b = record[i];
        if quoted {
            if b == b'"' {
                if record.get(i + 1) == Some(&b'"') {
                    i += 1; // an escaped quote
                } else {
                    quoted = false;
                }
            }
        } else if at_field_start && b == b'"' {
            quoted = true;
            at_field_start = false;
        } else {
            at_field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    quoted
}

/// The usual cause of a record with more or fewer fields than its header.
const UNQUOTED_HINT: &str = "an unquoted delimiter or newline?";

/// The error for the record at `line` with `n` fields where the header has `expected`, with
/// `hint`, a likely cause.
fn field_count_error(file: &str, line: u64, n: usize, expected: usize, hint: &str) -> Error {
    Error::Malformed {
        file: file.to_string(),
        line,
        message: format!("record has {n} fields where the header has {expected} ({hint})"),
    }
}

/// The error for a quoted field, starting in the record at `line`, whose closing quote is
/// missing: every later line of the file would be read into it.
fn unclosed_quote(file: &str, line: u64) -> Error {
    Error::Malformed {
        file: file.to_string(),
        line,
        message: "a quoted field is not closed by the end of the file (a closing quote is \
                  missing): every later line would be read into it"
            .into(),
    }
}

/// Text cells of the requested columns, and the physical line of each record.
#[derive(Debug, Default)]
pub struct RawColumns {
    pub columns: Vec<TextColumn>,
    pub lines: Vec<u64>,
}

/// Whether the file at `path` starts with Parquet's magic number `PAR1` (a text export never
/// does: no header starts so).
fn is_parquet(path: &Path) -> Result<bool> {
    let mut head = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(read == head.len() && &head == b"PAR1")
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    // Gzip by its name or by its magic number (1f 8b: a compressed export saved as `.csv`; no
    // text starts with these two bytes, 8b being no first byte of a UTF-8 character).
    let gzip_name = path.to_string_lossy().to_lowercase().ends_with(".gz");
    if (gzip_name && !bytes.is_empty()) || bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
        bytes = out;
        // A Parquet file compressed whole (Parquet compresses its own columns): its binary
        // would otherwise be read as a header that matches no export.
        if bytes.starts_with(b"PAR1") {
            let file = file_name_of(path);
            let stem = file.split('.').next().unwrap_or("orders");
            let plain = path.with_file_name(format!("{stem}_plain.parquet"));
            let message = format!(
                "a Parquet file compressed with gzip: decompress it into a new .parquet file \
                 (gunzip -c '{}' > '{}') and move this one out of the folder; Parquet compresses \
                 its own columns",
                path.display(),
                plain.display()
            );
            return Err(Error::File { file, message });
        }
    }
    Ok(bytes)
}

/// UTF-16 written without a byte-order mark (some exporters do): the file's first characters
/// (its header, ASCII) each take two bytes, one of them NUL, always on the same side. No text
/// file in another encoding holds NUL bytes, so the pattern over the first 32 characters is
/// taken as the encoding.
fn utf16_without_mark(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = bytes.get(..bytes.len().min(64) & !1)?;
    if head.len() < 4 {
        return None;
    }
    let (even_nul, odd_nul) = head.chunks_exact(2).fold((0, 0), |(e, o), pair| {
        (e + usize::from(pair[0] == 0), o + usize::from(pair[1] == 0))
    });
    let pairs = head.len() / 2;
    match (even_nul, odd_nul) {
        (0, o) if o == pairs => Some(encoding_rs::UTF_16LE),
        (e, 0) if e == pairs => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// UTF-8 as is; UTF-16 with its byte-order mark (Excel's "Unicode text", some helpdesks), or
/// without one ([`utf16_without_mark`]), decoded as such ([`decode_utf16`]); otherwise the
/// valid UTF-8 runs are kept and only the bytes that are not UTF-8 are decoded as Windows-1252
/// (the usual legacy export encoding). The lines repaired either way are the second value. A
/// wholly Windows-1252 file reads the same either way, and a UTF-8 file with a few legacy bytes
/// (rows pasted from another export) keeps its `josé` as `josé` rather than `josÃ©`, which would
/// split a customer in two.
fn decode(bytes: Vec<u8>) -> (String, LegacyLines) {
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(encoding_rs::UTF_16LE),
        Some([0xFE, 0xFF]) => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        // The mark is not text.
        return decode_utf16(bytes.get(2..).unwrap_or_default(), encoding);
    }
    if let Some(encoding) = utf16_without_mark(&bytes) {
        return decode_utf16(&bytes, encoding);
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, LegacyLines::default()),
        Err(e) => {
            let bytes = e.into_bytes();
            let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
            let mut rest = bytes.as_slice();
            // Where each run of legacy bytes starts in `text`.
            let mut legacy_at = Vec::new();
            loop {
                match std::str::from_utf8(rest) {
                    Ok(valid) => {
                        text.push_str(valid);
                        break;
                    }
                    Err(e) => {
                        let (valid, after) = rest.split_at(e.valid_up_to());
                        text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                        legacy_at.push(text.len());
                        let bad = e.error_len().unwrap_or(after.len());
                        let (legacy, _, _) = encoding_rs::WINDOWS_1252.decode(&after[..bad]);
                        text.push_str(&legacy);
                        rest = &after[bad..];
                    }
                }
            }
            let lines = LegacyLines::at_offsets(Repair::Windows1252, &text, &legacy_at);
            (text, lines)
        }
    }
}

/// `bytes` (without a byte-order mark) decoded as UTF-16 in `encoding`'s byte order
/// (`UTF_16BE`, else little-endian): each code unit that is no character (a surrogate without
/// its pair, or an odd last byte) becomes U+FFFD, which no rule reads as data, and its line is
/// counted in the second value ([`Repair::Utf16`]), so that a damaged cell is not taken for
/// the export's own text silently.
fn decode_utf16(bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> (String, LegacyLines) {
    let big_endian = encoding == encoding_rs::UTF_16BE;
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut text = String::with_capacity(bytes.len());
    // Where each replacement character is in `text`.
    let mut replaced_at = Vec::new();
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or_else(|_| {
            replaced_at.push(text.len());
            char::REPLACEMENT_CHARACTER
        });
        text.push(c);
    }
    if bytes.len() % 2 == 1 {
        replaced_at.push(text.len());
        // On a line of its own (after the last line end: a truncated download), the byte is
        // no record, only counted; within a record, its cell shows it.
        if !text.ends_with('\n') {
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let lines = if replaced_at.is_empty() {
        LegacyLines::default()
    } else {
        LegacyLines::at_offsets(Repair::Utf16, &text, &replaced_at)
    };
    (text, lines)
}

/// The most frequent of `,`, `;` and tab outside quotes in the header line.
fn sniff_delimiter(header: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for b in header.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{IntoColumn, NewChunkedArray, StringChunked};

    #[test]
    fn parquet_columns_become_cells() {
        // Two chunks and a null: the cells are the values in order, the null an empty cell.
        let mut ca = StringChunked::from_iter_options("c".into(), [Some("a"), None].into_iter());
        ca.append(&StringChunked::from_iter_options(
            "c".into(),
            [Some("a long value past twelve bytes")].into_iter(),
        ))
        .unwrap();
        let cells = parquet_text(&ca.into_column(), "f.parquet", "c").unwrap();
        assert_eq!(
            cells.iter().collect::<Vec<_>>(),
            ["a", "", "a long value past twelve bytes"]
        );
        // A typed column is read as Polars writes it as text.
        let typed = Column::new("n".into(), [Some(2.5f64), None]);
        let cells = parquet_text(&typed, "f.parquet", "n").unwrap();
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["2.5", ""]);
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;x\",b,c"), b',');
    }

    #[test]
    fn counts_physical_lines_with_lf_and_crlf() {
        for text in [
            "a,b\n1,\"x\ny\"\n2,z\n\n3,w\n",
            "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n\r\n3,w\r\n",
        ] {
            let f = RawFile {
                name: "t.csv".into(),
                headers: vec!["a".into(), "b".into()],
                repaired_lines: LegacyLines::default(),
                is_parquet: false,
                body: Body::Text {
                    text: text.into(),
                    delimiter: Delimiter::Byte(b','),
                },
            };
            let raw = f.read_columns(&[0]).unwrap();
            assert_eq!(raw.lines, vec![2, 4, 6], "{text:?}");
        }
    }

    /// Old Mac files end lines with a lone CR: each one is a line, as LF and CRLF are (all
    /// records were at line 1), also inside a quoted field and in a file that mixes endings.
    #[test]
    fn counts_physical_lines_with_lone_carriage_returns() {
        for text in [
            "a,b\r1,\"x\ry\"\r2,z\r\r3,w\r",
            "a,b\r1,\"x\r\ny\"\n2,z\r\n\r3,w",
        ] {
            let f = raw(text, 2);
            let raw = f.read_columns(&[0]).unwrap();
            assert_eq!(raw.lines, vec![2, 4, 6], "{text:?}");
        }
        // In a file whose lines end in LF (or CRLF), a lone CR inside a cell is no line end.
        for text in [
            "a,b\n1,\"x\ry\"\n2,z\n3,w\n",
            "a,b\r\n1,\"x\ry\"\r\n2,z\r\n3,w",
        ] {
            let f = raw(text, 2);
            let raw = f.read_columns(&[0]).unwrap();
            assert_eq!(raw.lines, vec![2, 3, 4], "{text:?}");
        }
        // An error names its line too: the record `4` (one field) is on line 5.
        let e = raw("a,b\r1,2\r\r3,4\r4\r", 2)
            .read_columns(&[0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv, line 5:"), "{e}");
    }

    fn raw(text: &str, n_fields: usize) -> RawFile {
        RawFile {
            name: "t.csv".into(),
            headers: (0..n_fields).map(|i| format!("h{i}")).collect(),
            repaired_lines: LegacyLines::default(),
            is_parquet: false,
            body: Body::Text {
                text: text.into(),
                delimiter: Delimiter::Byte(b','),
            },
        }
    }

    fn cells(raw: &Result<RawColumns>) -> Cells {
        match raw {
            Ok(r) => Ok((
                r.columns
                    .iter()
                    .map(|c| c.iter().map(str::to_string).collect())
                    .collect(),
                r.lines.clone(),
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    type Cells = std::result::Result<(Vec<Vec<String>>, Vec<u64>), String>;

    /// Reads columns `indices` of `text` (`n_fields` columns) with the line reader, checks that
    /// the `csv` crate's reader gives the same cells, lines or error, and returns them.
    fn read_both(text: &str, n_fields: usize, indices: &[usize]) -> Cells {
        let f = raw(text, n_fields);
        let fast = cells(&f.read_lines(text, b',', indices));
        assert_eq!(fast, cells(&f.read_csv(text, b',', indices)), "{text:?}");
        fast
    }

    #[test]
    fn unquoted_files_split_like_the_csv_parser() {
        let text = "a,b,c\r\n1,,x y\r\n\r\n\n2,3,4\n,,\n5,6,7";
        let (columns, lines) = read_both(text, 3, &[2, 0]).unwrap();
        assert_eq!(columns[0], ["x y", "4", "", "7"]);
        assert_eq!(columns[1], ["1", "2", "", "5"]);
        assert_eq!(lines, [2, 5, 6, 7]);
        // A record with a missing field: the same error, naming the line.
        let e = read_both("a,b\n1,2\n3\n", 2, &[0]).unwrap_err();
        assert!(
            e.contains("line 3: record has 1 fields where the header has 2"),
            "{e}"
        );
        // In a one-column file a line of spaces is a blank line.
        assert_eq!(read_both("a\n1\n  \n2\n", 1, &[0]).unwrap().1, [2, 4]);
    }

    /// A line of spaces or tabs is a blank line in any file, not a record of one field (which
    /// refused the whole file), for both readers; a line of delimiters is a record of empty
    /// cells, as before.
    #[test]
    fn a_line_of_spaces_is_a_blank_line() {
        let text = "a,b\n1,2\n   \n\t\n3,4\n ,\n5,6\n  ";
        let (columns, lines) = read_both(text, 2, &[0, 1]).unwrap();
        assert_eq!(columns[0], ["1", "3", " ", "5"]);
        assert_eq!(columns[1], ["2", "4", "", "6"]);
        assert_eq!(lines, [2, 5, 6, 7]);
        // With a CRLF, after a quoted record, and in a lone-CR file (the `csv` crate's reader).
        let text = "a,b\r\n\"1\",2\r\n  \r\n3,4\r\n";
        assert_eq!(read_both(text, 2, &[0]).unwrap().1, [2, 4]);
        let f = raw("a,b\r1,2\r  \r3,4\r", 2);
        assert_eq!(f.read_columns(&[0]).unwrap().lines, [2, 4]);
    }

    #[test]
    fn quoted_records_split_like_the_csv_parser() {
        let text = "a,b,c\n1,\"x,\ny\"\"z\",3\r\n\r\n4,\"\",\"5\"\n6,7,8";
        let (columns, lines) = read_both(text, 3, &[1, 2]).unwrap();
        assert_eq!(columns[0], ["x,\ny\"z", "", "7"]);
        assert_eq!(columns[1], ["3", "5", "8"]);
        assert_eq!(lines, [2, 5, 6]);
    }

    #[test]
    fn byte_order_marks_and_unicode_blanks_are_read_like_the_csv_parser() {
        // A byte-order mark inside the file is data (the `csv` crate drops it at byte 0 only),
        // on a quoted line as on a plain one.
        let text = "a,b\n\u{feff}1,\"x\"\n\u{feff}2,y\n\u{feff}\"3\",z\n";
        let (columns, _) = read_both(text, 2, &[0, 1]).unwrap();
        assert_eq!(columns[0], ["\u{feff}1", "\u{feff}2", "\u{feff}\"3\""]);
        // In a one-column file a line of Unicode spaces (no-break, ideographic) is blank.
        let text = "a\n1\n\u{a0}\n\u{3000}\n\"\u{a0}\"\n2\n";
        assert_eq!(read_both(text, 1, &[0]).unwrap().1, [2, 6]);
    }

    #[test]
    fn a_header_running_past_its_line_is_an_error_naming_line_1() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "order_id,placed_at,\"total\n1,2024-01-01T00:00:00Z,5\n",
            "order_id,placed_at,\"to\ntal\"\n1,2024-01-01T00:00:00Z,5\n",
        ] {
            let path = dir.path().join("orders.csv");
            std::fs::write(&path, text).unwrap();
            let e = RawFile::open(&path, None).unwrap_err().to_string();
            assert!(
                e.contains("orders.csv, line 1") && e.contains("header"),
                "{e}"
            );
        }
        // Quotes closed on line 1 are fine.
        let path = dir.path().join("ok.csv");
        std::fs::write(&path, "\"order_id\",\"a,b\"\n1,2\n").unwrap();
        let f = RawFile::open(&path, None).unwrap();
        assert_eq!(f.headers, ["order_id", "a,b"]);
        assert_eq!(cells(&f.read_columns(&[1])).unwrap().0[0], ["2"]);
    }

    /// Only files whose lines end in a lone CR (old Mac) go to the `csv` crate's reader; a
    /// stray CR in a file of LF or CRLF lines does not make it one.
    #[test]
    fn only_lone_carriage_return_lines_need_the_csv_reader() {
        assert!(lone_cr_ends_lines(b"a,b\r1,2\r"));
        assert!(lone_cr_ends_lines(b"a,b\r1,2\n"));
        assert!(!lone_cr_ends_lines(b"a,b\r\n1,2\r\n"));
        assert!(!lone_cr_ends_lines(b"a,b\n\"x\ry\",2\r3,4\n"));
        assert!(!lone_cr_ends_lines(b"a,b"));
    }

    /// A lone CR inside a line of an LF or CRLF file, in a quoted or an unquoted cell, is a
    /// byte of that cell: no record ends there and no line is counted (the `csv` crate ended a
    /// record at it: two records on one line, or a refused file); a CRLF's CR is no byte of
    /// the last cell, after a closing quote too.
    #[test]
    fn a_stray_carriage_return_stays_in_its_cell() {
        for text in [
            "a,b\n1,x\ry\n2,\"p\rq\"\n3,\"z\" \r w\n",
            "a,b\r\n1,x\ry\r\n2,\"p\rq\"\r\n3,\"z\" \r w\r\n",
        ] {
            let (cols, lines) = cells(&raw(text, 2).read_columns(&[0, 1])).unwrap();
            assert_eq!(lines, vec![2, 3, 4], "{text:?}");
            assert_eq!(cols[0], ["1", "2", "3"], "{text:?}");
            // After a closing quote the rest of the cell is read on, as the `csv` crate does.
            assert_eq!(cols[1], ["x\ry", "p\rq", "z \r w"], "{text:?}");
        }
        let (cols, _) = cells(&raw("a,b\r\n1,\"q\"\r\n", 2).read_columns(&[1])).unwrap();
        assert_eq!(cols[0], ["q"]);
        // Two records joined by a lone CR in an LF file: an error naming the line and the CR.
        let e = cells(&raw("a,b\n1,2\r3,4\n", 2).read_columns(&[0])).unwrap_err();
        assert!(
            e.contains("t.csv, line 2: record has 3 fields where the header has 2 (a carriage return (CR) inside the line"),
            "{e}"
        );
    }

    /// A quote never closed runs a record to the end of the file: an error naming the line
    /// the record starts on (every later row was read into its last cell, silently), in both
    /// readers. Quotes inside an unquoted cell and doubled quotes are not openings.
    #[test]
    fn an_unclosed_quote_at_the_end_of_the_file_is_an_error() {
        // The last two: the open quote leaves the record short of fields (it was reported as a
        // record with 1 field where the header has 2).
        for (text, n) in [
            ("a,b\n1,ok\n2,\"unterminated\n3,x\n4,y\n", 2),
            ("a,b\r1,ok\r2,\"unterminated\r3,x\r4,y\r", 2),
            ("a,b,c\n1,ok,z\n\"2,unterminated\n3,x,z\n", 3),
            ("a,b,c\r1,ok,z\r\"2,unterminated\r3,x,z\r", 3),
        ] {
            let e = raw(text, n).read_columns(&[0, 1]).unwrap_err().to_string();
            assert!(
                e.contains("t.csv, line 3: a quoted field is not closed by the end of the file"),
                "{text:?}: {e}"
            );
        }
        for text in [
            "a,b\n1,12\" TV\n",
            "a,b\n1,\"say \"\"hi\"\"\"\n",
            "a,b\n1,\"x\ny\"",
            "a,b\r1,12\" TV\r",
        ] {
            assert!(raw(text, 2).read_columns(&[0, 1]).is_ok(), "{text:?}");
        }
        assert!(ends_in_open_quote(b"1,\"a\"\"b\n", b','));
        assert!(!ends_in_open_quote(b"1,\"a\"\"b\"\n", b','));
        assert!(!ends_in_open_quote(b"1,a\"b\n", b','));
    }

    proptest::proptest! {
        /// Any text without a lone `\\r` splits into the same cells, lines and errors by both\n        /// readers.
        #[test]
        fn line_reader_agrees_with_the_csv_reader(
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(","), proptest::strategy::Just("\n"),
                    proptest::strategy::Just("\r\n"), proptest::strategy::Just(" "),
                    proptest::strategy::Just("\t"), proptest::strategy::Just("x"),
                    proptest::strategy::Just("é"), proptest::strategy::Just("\""),
                    proptest::strategy::Just("\u{feff}"), proptest::strategy::Just("\u{a0}"),
                ],
                0..60,
            ),
            n_fields in 1usize..4,
        ) {
            let header: Vec<String> = (0..n_fields).map(|i| format!("h{i}")).collect();
            let text = format!("{}\n{}", header.join(","), body.concat());
            let f = raw(&text, n_fields);
            let indices = [n_fields - 1, 0];
            proptest::prop_assert_eq!(
                cells(&f.read_lines(&text, b',', &indices)),
                cells(&f.read_csv(&text, b',', &indices))
            );
        }
    }

    #[test]
    fn globs_match_file_names() {
        assert!(glob_match("CDNOW_master.txt", "CDNOW_master.txt"));
        assert!(glob_match("*.txt", "CDNOW_master.txt"));
        assert!(glob_match("data/orders_*.csv", "orders_2024.csv"));
        assert!(glob_match("ord?rs.csv", "orders.csv"));
        assert!(!glob_match("*.csv", "orders.csv.gz"));
        assert!(!glob_match("orders.csv", "orders.csv.bak"));
    }

    /// UTF-16 without a byte-order mark is told by the NUL half of each ASCII character of the
    /// header (such a file was skipped, its header shown as `o r d e r _ i d`); a UTF-8 file,
    /// or one too short to tell, is not taken for it.
    #[test]
    fn decodes_utf_16_without_its_mark() {
        let text = "order_id,placed_at\nA-1,2024-05-01\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(le).0, text);
        assert_eq!(decode(be).0, text);
        assert_eq!(decode(text.as_bytes().to_vec()).0, text);
        assert_eq!(decode(b"a\0".to_vec()).0, "a\0");
    }

    #[test]
    fn decodes_utf_16_with_its_mark() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "order_id\tplaced_at\nJosé\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(
            decode(le),
            (
                "order_id\tplaced_at\nJosé\n".to_string(),
                LegacyLines::default()
            )
        );
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("São".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(be), ("São".to_string(), LegacyLines::default()));
    }

    /// A UTF-16 code unit that is no character (a low surrogate alone, a high one followed by
    /// no low one, an odd last byte) is read as U+FFFD and its line counted, once however many
    /// it holds, as Windows-1252 lines are; it became U+FFFD silently.
    #[test]
    fn names_the_lines_that_hold_invalid_utf_16() {
        // Line 3 holds a lone low surrogate, line 5 two lone high ones, one at its very end
        // (before the CRLF); line 4 a valid pair (an emoji).
        let units = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        let mut text: Vec<u16> = units("order_id,customer_name,placed_at\r\nA,x\r\nB,");
        text.push(0xDC00);
        text.extend(units("y\r\nC,\u{1F600}\r\nD,"));
        text.push(0xD800);
        text.extend(units("z"));
        text.push(0xD801);
        text.extend(units("\r\nE,w\r\n"));
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.iter().flat_map(|u| u.to_le_bytes()))
            .collect();
        let expected =
            "order_id,customer_name,placed_at\r\nA,x\r\nB,\u{FFFD}y\r\nC,\u{1F600}\r\nD,\u{FFFD}z\u{FFFD}\r\nE,w\r\n";
        let lines = LegacyLines {
            repair: Repair::Utf16,
            count: 2,
            first: vec![3, 5],
        };
        assert_eq!(decode(le), (expected.to_string(), lines.clone()));
        // The same without a mark (its first 32 characters, the header's, ASCII), big-endian.
        let be: Vec<u8> = text.iter().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(be), (expected.to_string(), lines));
        // An odd last byte (a file cut short) is counted at its line, the third; on a line of
        // its own it is no record (a record of one field, U+FFFD, stopped the read), within a
        // record its cell shows it.
        let cut = |text: &str| {
            let mut bytes: Vec<u8> = units(text).iter().flat_map(|u| u.to_le_bytes()).collect();
            bytes.push(b'B');
            decode(bytes)
        };
        let third = LegacyLines {
            repair: Repair::Utf16,
            count: 1,
            first: vec![3],
        };
        assert_eq!(
            cut("id,name\nA,x\n"),
            ("id,name\nA,x\n".to_string(), third.clone())
        );
        assert_eq!(
            cut("id,name\nA,x\nB,"),
            ("id,name\nA,x\nB,\u{FFFD}".to_string(), third)
        );
    }

    #[test]
    fn decodes_windows_1252() {
        let (text, legacy) = decode(b"S\xe3o Paulo".to_vec());
        assert_eq!(text, "São Paulo");
        assert_eq!(
            legacy,
            LegacyLines {
                repair: Repair::Windows1252,
                count: 1,
                first: vec![1]
            }
        );
        // UTF-8 `José` with one legacy `ã` (0xE3) and a legacy euro sign at the end.
        let mixed = [&b"Jos\xc3\xa9,S\xe3o,"[..], "Müller".as_bytes(), b"\x80"].concat();
        assert_eq!(decode(mixed).0, "José,São,Müller€");
    }

    /// The lines holding legacy bytes are the physical lines (LF, CRLF or lone CR, as records
    /// are numbered), each counted once however many such bytes it holds; the first five kept.
    #[test]
    fn names_the_lines_that_hold_windows_1252_bytes() {
        // Line 2 holds two legacy runs, line 3 none (UTF-8 `é`), line 4 one at its very start,
        // right after a CRLF; line 6 holds a lone CR before its legacy byte: in a file whose
        // lines end in LF, no line end.
        let text = b"id,name\nS\xe3o,Jo\xe3o\r\nJos\xc3\xa9,x\r\n\xc9mile,y\n\nz,w\r\xe9\n";
        let (decoded, lines) = decode(text.to_vec());
        assert!(
            decoded.starts_with("id,name\nSão,João\r\nJosé"),
            "{decoded}"
        );
        assert_eq!(
            lines,
            LegacyLines {
                repair: Repair::Windows1252,
                count: 3,
                first: vec![2, 4, 6]
            }
        );
        // An old Mac file: its lone CRs end lines.
        let (_, lines) = decode(b"id,name\rS\xe3o,x\rJo,y\rz,\xe9\r".to_vec());
        assert_eq!(
            lines,
            LegacyLines {
                repair: Repair::Windows1252,
                count: 2,
                first: vec![2, 4]
            }
        );
        // Seven lines with a legacy byte: all counted, the first five named.
        let many: Vec<u8> = (0..7).flat_map(|_| b"caf\xe9\n".to_vec()).collect();
        let (_, lines) = decode([&b"name\n"[..], &many].concat());
        assert_eq!(
            lines,
            LegacyLines {
                repair: Repair::Windows1252,
                count: 7,
                first: vec![2, 3, 4, 5, 6]
            }
        );
    }
}
