//! Reading export files into raw text columns: discovery, decompression, BOM and encoding,
//! delimiter sniffing, and quoted multi-line records (the `csv` crate), with the physical line
//! of every record kept for data-quality messages.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Extensions read from an input folder (SPEC section 1).
pub const INPUT_EXTENSIONS: [&str; 4] = [".csv", ".csv.gz", ".tsv", ".parquet"];

/// Lists the input files of `dir`, sorted by name.
///
/// Errors: `dir` does not exist or cannot be listed.
pub fn list_inputs(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Err(Error::NoSuchDir(dir.to_path_buf()));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && has_input_extension(p))
        .collect();
    files.sort();
    Ok(files)
}

fn has_input_extension(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    INPUT_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// A delimited text file, decoded to UTF-8, with its header.
#[derive(Debug)]
pub struct TextFile {
    /// File name as shown to the user.
    pub name: String,
    /// Header cells as written (BOM removed, trimmed).
    pub headers: Vec<String>,
    /// Field delimiter.
    pub delimiter: u8,
    /// True when the bytes were not UTF-8 and were decoded as Windows-1252.
    pub decoded_from_cp1252: bool,
    text: String,
}

impl TextFile {
    /// Reads and decodes `path` (gzip when it ends in `.gz`).
    ///
    /// Errors: I/O failures; an empty file; a file with no header line.
    pub fn open(path: &Path) -> Result<TextFile> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = read_bytes(path)?;
        if bytes.is_empty() {
            return Err(Error::EmptyFile(name));
        }
        let (text, decoded_from_cp1252) = decode(bytes);
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.trim().is_empty() {
            return Err(Error::Malformed {
                file: name,
                line: 1,
                message: "no header line".into(),
            });
        }
        let delimiter = if name.to_lowercase().ends_with(".tsv") {
            b'\t'
        } else {
            sniff_delimiter(first_line)
        };
        let headers = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(first_line.as_bytes())
            .records()
            .next()
            .and_then(|r| r.ok())
            .map(|r| r.iter().map(|h| h.trim().to_string()).collect())
            .unwrap_or_default();
        Ok(TextFile {
            name,
            headers,
            delimiter,
            decoded_from_cp1252,
            text,
        })
    }

    /// Reads the columns at `indices` (positions in the header) of every record.
    ///
    /// Returns one `Vec` of cells per requested column and the 1-based physical line where each
    /// record starts. Quoted fields may hold delimiters, quotes and newlines (LF or CRLF).
    ///
    /// Errors: a record whose field count differs from the header's, naming its line.
    pub fn read_columns(&self, indices: &[usize]) -> Result<RawColumns> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(self.text.as_bytes());
        let mut columns: Vec<Vec<String>> = vec![Vec::new(); indices.len()];
        let mut lines = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    let message = match e.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                            "record has {len} fields where the header has {expected_len} (an unquoted delimiter or newline?)"
                        ),
                        _ => e.to_string(),
                    };
                    return Err(Error::Malformed {
                        file: self.name.clone(),
                        line,
                        message,
                    });
                }
            }
            if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
                continue; // a blank line, not a record
            }
            lines.push(record.position().map(|p| p.line()).unwrap_or(0));
            for (col, &i) in columns.iter_mut().zip(indices) {
                col.push(record.get(i).unwrap_or("").to_string());
            }
        }
        Ok(RawColumns { columns, lines })
    }
}

/// Text cells of the requested columns, and the physical line of each record.
#[derive(Debug, Default)]
pub struct RawColumns {
    pub columns: Vec<Vec<String>>,
    pub lines: Vec<u64>,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if path.to_string_lossy().to_lowercase().ends_with(".gz") && !bytes.is_empty() {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
        bytes = out;
    }
    Ok(bytes)
}

/// UTF-8 as is; anything else is decoded as Windows-1252 (the usual legacy export encoding).
fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(e.as_bytes());
            (text.into_owned(), true)
        }
    }
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

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;x\",b,c"), b',');
    }

    #[test]
    fn decodes_windows_1252() {
        let (text, legacy) = decode(b"S\xe3o Paulo".to_vec());
        assert_eq!(text, "São Paulo");
        assert!(legacy);
    }
}
