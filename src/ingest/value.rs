//! Cell parsers for the value types found in exports: timestamps, promises, money, identifiers,
//! booleans and counts. Each returns `Ok(None)` for an empty cell, `Ok(Some(v))` for a value and
//! `Err(reason)` for a cell that holds something unusable (the caller counts it with file and line).

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;

/// How to read `a/b/yyyy` dates, decided per column (see [`infer_slash_order`]) or, for a column
/// that cannot tell, by its file's other date columns (see [`file_slash_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlashOrder {
    /// `dd/mm/yyyy`.
    DayFirst,
    /// `mm/dd/yyyy`.
    MonthFirst,
    /// No slash dates seen, or the file cannot tell: slash dates are refused.
    #[default]
    Unknown,
}

/// A parsed timestamp cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The UTC instant. A bare date is the start of that day in the store time zone.
    pub instant: DateTime<Utc>,
    /// The calendar date as written in the cell.
    pub written_date: NaiveDate,
    /// True for a bare date or a time of exactly 00:00:00 (a date promise, SPEC section 1).
    pub date_like: bool,
    /// True when written without an offset (a bare date or a naive time, read in the store
    /// time zone); false for `Z`, `+01:00`... and for a stored instant with a zone.
    pub local: bool,
    /// Set when a naive local time fell in a DST gap or overlap and was resolved by the SPEC rule.
    pub dst: Option<DstResolution>,
}

/// How a naive local time that does not exist once was resolved (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstResolution {
    /// In a spring-forward gap: moved forward by the gap.
    Nonexistent,
    /// In a fall-back overlap: the earlier instant was taken.
    Ambiguous,
}

/// Parses a timestamp cell (SPEC section 1): ISO 8601 with `T` or a space, optional fractional
/// seconds, an offset `Z`, `+hh:mm`, `+hhmm`, ` -hhmm` or a trailing ` UTC`; a bare date; or a
/// slash date read in `slash` order. `T` and `Z` may be lower case (`2024-05-01t10:00:00z`), as
/// RFC 3339 (section 5.6) allows. Times without an offset are read in `tz`.
///
/// Errors: the reason the cell is not a timestamp (Excel serial numbers and zero dates included).
pub fn parse_timestamp(cell: &str, tz: Tz, slash: SlashOrder) -> Result<Option<Stamp>, String> {
    let s = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(stamp) = parse_timestamp_fast(s, tz) {
        return Ok(Some(stamp));
    }
    let (date_part, rest) = split_date(s);
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    // A number followed by words (`2 March 2025`) is no serial number: the date is written
    // another way.
    let date = parse_date(date_part, slash).map_err(|e| {
        if rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit()) {
            e
        } else {
            format!("'{s}' is not a timestamp")
        }
    })?;
    let (time, offset) = if rest.is_empty() {
        (NaiveTime::MIN, None)
    } else {
        parse_time_and_offset(rest).ok_or_else(|| format!("'{s}' is not a timestamp"))?
    };
    let date_like = time == NaiveTime::MIN;
    let naive = NaiveDateTime::new(date, time);
    let (instant, dst) = match offset {
        Some(off) => match off.from_local_datetime(&naive) {
            LocalResult::Single(t) => (t.with_timezone(&Utc), None),
            _ => return Err(format!("'{s}' has an invalid offset")),
        },
        None => local_to_utc(naive, tz),
    };
    Ok(Some(Stamp {
        instant,
        written_date: date,
        date_like,
        local: offset.is_none(),
        dst,
    }))
}

/// The common shapes of a timestamp cell, read without chrono's format parser: `YYYY-MM-DD`,
/// `YYYY-MM-DD[Tt ]HH:MM:SS` (naive, read in `tz`), the same with `Z`, `z` or `+HH:MM`/`-HH:MM`.
/// Returns `None` for anything else, or for any value the general parser might judge
/// differently (years before 1970, impossible dates, leap seconds): the caller then falls back
/// to the general path, so that both give the same stamp or the same error.
fn parse_timestamp_fast(s: &str, tz: Tz) -> Option<Stamp> {
    let b = s.as_bytes();
    let digits = |from: usize, to: usize| -> Option<u32> {
        let mut v = 0u32;
        for &c in b.get(from..to)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(0, 4)?;
    if year < 1970 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, digits(5, 7)?, digits(8, 10)?)?;
    if b.len() == 10 {
        let (instant, dst) = local_to_utc_fast(date.and_time(NaiveTime::MIN), tz);
        return Some(Stamp {
            instant,
            written_date: date,
            date_like: true,
            local: true,
            dst,
        });
    }
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let time = NaiveTime::from_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)?;
    let naive = NaiveDateTime::new(date, time);
    let (instant, dst) = match &b[19..] {
        [] => local_to_utc_fast(naive, tz),
        [b'Z' | b'z'] => (naive.and_utc(), None),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(20, 22)?, digits(23, 25)?);
            if h > 18 || m > 59 {
                return None;
            }
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            let off = FixedOffset::east_opt(if *sign == b'-' { -secs } else { secs })?;
            match off.from_local_datetime(&naive) {
                LocalResult::Single(t) => (t.with_timezone(&Utc), None),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Stamp {
        instant,
        written_date: date,
        date_like: time == NaiveTime::MIN,
        local: b.len() == 19,
        dst,
    })
}

/// [`local_to_utc`], without the zone lookup for UTC.
fn local_to_utc_fast(naive: NaiveDateTime, tz: Tz) -> (DateTime<Utc>, Option<DstResolution>) {
    if tz == Tz::UTC {
        (naive.and_utc(), None)
    } else {
        local_to_utc(naive, tz)
    }
}

/// The reason of a time written as Unix epoch milliseconds (a number of twelve digits or more),
/// after the value.
const EPOCH_MILLISECONDS: &str = "looks like Unix epoch milliseconds, not a date; date_format \
     = \"%s\" reads epoch seconds only: convert the column to seconds or to dates";

/// Parses a timestamp cell with an explicit chrono `format` (a `[[mapping]]`'s `date_format`),
/// falling back to [`parse_timestamp`] when no format is given. The format may describe a date
/// (`%Y%m%d`), a naive date-time (read in `tz`) or a date-time with an offset (`%z`).
///
/// Errors: the cell does not match the format, or is a zero/placeholder date.
pub fn parse_timestamp_with(
    cell: &str,
    tz: Tz,
    slash: SlashOrder,
    format: Option<&str>,
) -> Result<Option<Stamp>, String> {
    let Some(fmt) = format else {
        return parse_timestamp(cell, tz, slash);
    };
    let s = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    if s.is_empty() {
        return Ok(None);
    }
    // `%s` reads seconds: twelve digits or more are milliseconds (or finer), which it would
    // read as a year past 33,000.
    if fmt.contains("%s")
        && s.trim_start_matches(['-', '+']).len() >= 12
        && s.parse::<i64>().is_ok()
    {
        return Err(format!("'{s}' {EPOCH_MILLISECONDS}"));
    }
    let stamp = if let Ok(t) = DateTime::parse_from_str(s, fmt) {
        let naive = t.naive_local();
        Stamp {
            instant: t.with_timezone(&Utc),
            written_date: naive.date(),
            date_like: naive.time() == NaiveTime::MIN,
            local: false,
            dst: None,
        }
    } else if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
        let (instant, dst) = local_to_utc(naive, tz);
        Stamp {
            instant,
            written_date: naive.date(),
            date_like: naive.time() == NaiveTime::MIN,
            local: true,
            dst,
        }
    } else if let Ok(date) = NaiveDate::parse_from_str(s, fmt) {
        let (instant, dst) = local_to_utc(date.and_time(NaiveTime::MIN), tz);
        Stamp {
            instant,
            written_date: date,
            date_like: true,
            local: true,
            dst,
        }
    } else {
        return Err(format!("'{s}' does not match date_format '{fmt}'"));
    };
    if stamp.written_date.year_ok() {
        Ok(Some(stamp))
    } else {
        Err(format!("'{s}' is a zero or placeholder date"))
    }
}

/// The stamp of a stored instant (a typed Parquet timestamp with a time zone): `written` is
/// its wall time in that zone, which gives the written date and whether it is date-like, as
/// the text of a cell with an offset does.
///
/// Errors: a written year before 1970, as [`parse_timestamp`] reports it (a zero or
/// placeholder date).
pub fn stamp_from_instant(instant: DateTime<Utc>, written: NaiveDateTime) -> Result<Stamp, String> {
    check_written_year(written.date())?;
    Ok(Stamp {
        instant,
        written_date: written.date(),
        date_like: written.time() == NaiveTime::MIN,
        local: false,
        dst: None,
    })
}

/// The stamp of a stored wall time (a typed Parquet timestamp without a time zone, or a date
/// at midnight): read in `tz`, DST gaps and overlaps resolved, as a naive text cell is.
///
/// Errors: a year before 1970, as [`parse_timestamp`] reports it.
pub fn stamp_from_wall_time(naive: NaiveDateTime, tz: Tz) -> Result<Stamp, String> {
    check_written_year(naive.date())?;
    let (instant, dst) = local_to_utc_fast(naive, tz);
    Ok(Stamp {
        instant,
        written_date: naive.date(),
        date_like: naive.time() == NaiveTime::MIN,
        local: true,
        dst,
    })
}

fn check_written_year(date: NaiveDate) -> Result<(), String> {
    if date.year_ok() {
        Ok(())
    } else {
        Err(format!("'{date}' is a zero or placeholder date"))
    }
}

/// Reads a naive local time in `tz`: a time in a DST gap moves forward by the gap, an ambiguous
/// one takes the earlier instant (SPEC section 1).
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> (DateTime<Utc>, Option<DstResolution>) {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => (t.with_timezone(&Utc), None),
        LocalResult::Ambiguous(early, _) => {
            (early.with_timezone(&Utc), Some(DstResolution::Ambiguous))
        }
        LocalResult::None => {
            // The offset in force just before the gap, applied to the wall time, lands the
            // instant after the gap by exactly the gap's length.
            let before = tz
                .offset_from_utc_datetime(&(naive - Duration::hours(6)))
                .fix();
            let t = naive - Duration::seconds(i64::from(before.local_minus_utc()));
            (Utc.from_utc_datetime(&t), Some(DstResolution::Nonexistent))
        }
    }
}

/// The UTC instant at which local date `d` starts in `tz`.
pub fn start_of_local_day(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_utc(d.and_time(NaiveTime::MIN), tz).0
}

/// Splits a cell at the first `T` or space, or a lower-case `t` after a digit (RFC 3339's
/// `2024-05-01t10:00`; not the `t` of a word such as `yesterday`, reported whole).
fn split_date(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let end = b
        .iter()
        .enumerate()
        .position(|(i, &c)| {
            c == b'T' || c == b' ' || (c == b't' && i > 0 && b[i - 1].is_ascii_digit())
        })
        .unwrap_or(s.len());
    s.split_at(end)
}

fn parse_date(d: &str, slash: SlashOrder) -> Result<NaiveDate, String> {
    if d.contains('/') {
        return parse_slash_date(d, slash);
    }
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        // Compact YYYYMMDD (CDNOW and many ERP exports).
        return NaiveDate::parse_from_str(d, "%Y%m%d").map_err(|_| format!("'{d}' is not a date"));
    }
    if !d.contains('-') && d.parse::<f64>().is_ok() {
        // Serial numbers count days from 1899-12-30 (45,000 in 2023, 2,958,465 on 9999-12-31);
        // nine digits or more before the point are seconds (or milliseconds) since 1970.
        let whole = d.split('.').next().unwrap_or(d).trim_start_matches('+');
        if whole.len() >= 12 {
            return Err(format!("'{d}' {EPOCH_MILLISECONDS}"));
        }
        if whole.len() >= 9 {
            return Err(format!(
                "'{d}' looks like a Unix epoch time (seconds or milliseconds since 1970), not a \
                 date; a [[mapping]] with date_format = \"%s\" reads epoch seconds"
            ));
        }
        return Err(format!(
            "'{d}' looks like a spreadsheet serial number, not a date"
        ));
    }
    if d.starts_with("0000") {
        return Err(format!("'{d}' is a zero or placeholder date"));
    }
    match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
        Ok(date) if date.year_ok() => Ok(date),
        Ok(_) => Err(format!("'{d}' is a zero or placeholder date")),
        Err(_) => Err(format!("'{d}' is not a date")),
    }
}

trait YearOk {
    fn year_ok(&self) -> bool;
}
impl YearOk for NaiveDate {
    /// Dates before 1970 in an order export are spreadsheet zero dates (1899-12-30, 1900-01-00).
    fn year_ok(&self) -> bool {
        use chrono::Datelike;
        self.year() >= 1970
    }
}

fn parse_slash_date(d: &str, slash: SlashOrder) -> Result<NaiveDate, String> {
    let parts: Vec<&str> = d.split('/').collect();
    let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
    let (Some(n), 3) = (nums, parts.len()) else {
        return Err(format!("'{d}' is not a date"));
    };
    let ymd = |y: u32, m: u32, day: u32| {
        let y = if y < 100 { y + 2000 } else { y };
        i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, day))
    };
    let date = if parts[0].len() == 4 {
        ymd(n[0], n[1], n[2])
    } else {
        let day_first = ymd(n[2], n[1], n[0]);
        let month_first = ymd(n[2], n[0], n[1]);
        match slash {
            SlashOrder::DayFirst => day_first,
            SlashOrder::MonthFirst => month_first,
            // A date impossible either way (`1/0/1900`) is invalid, whatever the order.
            SlashOrder::Unknown if day_first.is_none() && month_first.is_none() => None,
            SlashOrder::Unknown => {
                let day_first = parse_slash_date(d, SlashOrder::DayFirst);
                let month_first = parse_slash_date(d, SlashOrder::MonthFirst);
                return match (day_first, month_first) {
                    (Ok(a), Ok(b)) if a == b => Ok(a),
                    (Ok(_), Ok(_)) => Err(format!(
                        "'{d}': day-first or month-first cannot be told from this column; set date_order in snagscan.toml"
                    )),
                    (Ok(a), Err(_)) | (Err(_), Ok(a)) => Ok(a),
                    (Err(e), Err(_)) => Err(e),
                };
            }
        }
    };
    match date {
        None => Err(format!("'{d}' is not a valid date")),
        Some(date) if date.year_ok() => Ok(date),
        Some(_) => Err(format!("'{d}' is a zero or placeholder date")),
    }
}

/// Decides `dd/mm` or `mm/dd` for a column of cells (each with its line): a first part above
/// 12 means day-first, a second part above 12 month-first. Errors when the column holds both
/// (it is not one format), naming the first line and cell of each.
pub fn infer_slash_order<'a>(
    cells: impl Iterator<Item = (u64, &'a str)>,
) -> Result<SlashOrder, String> {
    // The first line and cell of each order.
    let mut day_first: Option<(u64, &str)> = None;
    let mut month_first: Option<(u64, &str)> = None;
    for (line, cell) in cells {
        if !cell.contains('/') {
            continue; // not a slash date (the common case: no allocation)
        }
        let d = cell.trim().split([' ', 'T']).next().unwrap_or("");
        let parts: Vec<&str> = d.split('/').collect();
        if parts.len() != 3 || parts[0].len() == 4 {
            continue;
        }
        let a = parts[0].parse::<u32>().unwrap_or(0);
        let b = parts[1].parse::<u32>().unwrap_or(0);
        if a > 12 && b <= 12 && day_first.is_none() {
            day_first = Some((line, cell.trim()));
        }
        if b > 12 && a <= 12 && month_first.is_none() {
            month_first = Some((line, cell.trim()));
        }
    }
    match (day_first, month_first) {
        (Some((day_line, day)), Some((month_line, month))) => Err(format!(
            "slash dates are day-first in some rows (line {day_line}: '{day}') and month-first \
             in others (line {month_line}: '{month}')"
        )),
        (Some(_), None) => Ok(SlashOrder::DayFirst),
        (None, Some(_)) => Ok(SlashOrder::MonthFirst),
        (None, None) => Ok(SlashOrder::Unknown),
    }
}

/// What the date columns of one table of a file say together about its slash-date order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSlashOrder {
    /// No column tells the order by its own cells.
    Unknown,
    /// Every column that tells says this order (day-first or month-first).
    Agreed(SlashOrder),
    /// One column is day-first and another month-first: the file is no single format.
    Conflicting,
}

/// Combines the orders inferred per column ([`infer_slash_order`]) into the order of their file:
/// exports write every date of a file the same way, so a column whose slash dates all read both
/// ways (`01/03/2024`) can be read like a column of the same file that shows a part above 12
/// (`13/02/2024`). Columns that cannot tell (`Unknown`) are no evidence.
pub fn file_slash_order(columns: impl IntoIterator<Item = SlashOrder>) -> FileSlashOrder {
    let mut file = FileSlashOrder::Unknown;
    for order in columns {
        file = match (file, order) {
            (_, SlashOrder::Unknown) => file,
            (FileSlashOrder::Unknown, _) => FileSlashOrder::Agreed(order),
            (FileSlashOrder::Agreed(seen), _) if seen == order => file,
            _ => return FileSlashOrder::Conflicting,
        };
    }
    file
}

/// True for an `a/b/yyyy` cell that is a real date read either way (both parts 1-12), so that
/// only the column's other rows or the config can tell. `1/0/1900` is not: it is no date at all.
pub fn is_ambiguous_slash_date(cell: &str) -> bool {
    if !cell.contains('/') {
        return false;
    }
    let d = cell.trim().split([' ', 'T']).next().unwrap_or("");
    if d.split('/').next().is_some_and(|p| p.len() == 4) {
        return false;
    }
    match (
        parse_slash_date(d, SlashOrder::DayFirst),
        parse_slash_date(d, SlashOrder::MonthFirst),
    ) {
        (Ok(a), Ok(b)) => a != b,
        _ => false,
    }
}

fn parse_time_and_offset(rest: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    let rest = rest.trim();
    let (time_str, offset) = if let Some(t) = rest
        .strip_suffix("UTC")
        .or_else(|| rest.strip_suffix(['Z', 'z']))
    {
        (t.trim_end(), Some(FixedOffset::east_opt(0)?))
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        (rest[..pos].trim_end(), Some(parse_offset(&rest[pos..])?))
    } else {
        (rest, None)
    };
    // 24-hour clock, else a 12-hour one with AM/PM (US exports: `2/13/2024 10:00 PM`).
    let time = [
        "%H:%M:%S%.f",
        "%H:%M",
        "%I:%M:%S %p",
        "%I:%M %p",
        "%I:%M:%S%p",
        "%I:%M%p",
    ]
    .iter()
    .find_map(|f| NaiveTime::parse_from_str(time_str, f).ok())?;
    Some((time, offset))
}

/// `+hh:mm`, `+hhmm` or `+hh`.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Parses a money cell: currency symbols and codes, spaces (also non-breaking), thousands
/// separators, decimal commas and accounting negatives `(12.00)` are understood, and so is the
/// scientific notation programs write for large and small floats (`1e3`, `-1.5E+02`, a Parquet
/// float `1e-7`: the whole cell, see [`scientific`]), whose point is a decimal point even with
/// `decimal_comma`.
///
/// With only commas present, a comma followed by exactly three digits is a thousands separator
/// (`1,050` = 1050) unless `decimal_comma` is set; any other comma is a decimal comma (`12,50`).
/// A zero amount is 0 whatever its sign (`-0.00`, `(0.00)` are 0, not -0).
///
/// Errors: the cell is not an amount (`N/A`, text).
pub fn parse_money(cell: &str, decimal_comma: bool) -> Result<Option<f64>, String> {
    // Adding +0 turns -0 into +0 and leaves every other value as it is (IEEE 754).
    match signed_money(cell, decimal_comma)? {
        Some(v) => Ok(Some(within_amount_range(v, cell.trim())? + 0.0)),
        None => Ok(None),
    }
}

/// The largest size an amount may have: 10^15 (a quadrillion in any currency, beyond any
/// order; also where f64 stops holding every cent). A cell larger is another field read as
/// money (a 22-digit tracking number in a shifted column), or a run of digits that overflows to
/// infinity, never an order's value; summed, it would swamp the revenue. (`999999999999999.99`
/// is 10^15 as f64, so the limit itself is allowed.)
pub const MAX_AMOUNT: f64 = 1e15;

/// `v` when it is finite and at most [`MAX_AMOUNT`] in size.
///
/// Errors: it is not (`shown` is the cell as read, for the message).
pub fn within_amount_range(v: f64, shown: &str) -> Result<f64, String> {
    if v.is_finite() && v.abs() <= MAX_AMOUNT {
        return Ok(v);
    }
    let shown: String = match shown.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &shown[..cut]),
        None => shown.to_string(),
    };
    Err(format!(
        "'{shown}' is too large to be an amount: over 10^15, another field read as money?"
    ))
}

/// [`parse_money`] with the sign of a zero kept.
fn signed_money(cell: &str, decimal_comma: bool) -> Result<Option<f64>, String> {
    let s = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    if s.is_empty() {
        return Ok(None);
    }
    // An explicit plus sign (`+12`, `+$5.00`) is the amount itself; `+-3` stays refused.
    let s = match s.strip_prefix('+') {
        Some(rest) if !rest.starts_with(['+', '-']) && !rest.is_empty() => rest,
        _ => s,
    };
    if let Some(v) = plain_decimal(s) {
        // `-?digits(.digits)?`: read as written, as the general path below does (a single dot
        // is a decimal point unless decimal_comma reads `1.234` as thousands).
        if !(decimal_comma && s.len() - s.find('.').unwrap_or(s.len()) == 4) {
            return Ok(Some(v));
        }
    }
    if let Some(v) = scientific(s) {
        return Ok(Some(v));
    }
    let whole = without_dash_cents(s);
    let s = whole.as_str();
    let negative = match sign(s) {
        Some(negative) => negative,
        None => return Err(format!("'{s}' is not an amount")),
    };
    let kept: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let junk = s
        .chars()
        .filter(|c| {
            !(c.is_ascii_digit()
                || matches!(c, '.' | ',' | '-' | '(' | ')' | '\'')
                || c.is_whitespace()
                || *c == '\u{a0}'
                || *c == '\u{202f}')
        })
        .collect::<String>();
    let junk_ok = junk.is_empty() || is_currency_marker(&junk);
    if kept.is_empty() || !junk_ok || !kept.bytes().any(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not an amount"));
    }
    let normalised = normalise_separators(&kept, decimal_comma)
        .ok_or_else(|| format!("'{s}' is not an amount"))?;
    let v: f64 = normalised
        .parse()
        .map_err(|_| format!("'{s}' is not an amount"))?;
    Ok(Some(if negative { -v } else { v }))
}

/// `s` with `00` for a dash written for no cents after a whole amount (`5,-`, `5,--`, `CHF 5.-`,
/// `12,– €`: German and Swiss price notation), which would read as a trailing minus sign.
fn without_dash_cents(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if !matches!(c, ',' | '.') || i == 0 || !chars[i - 1].is_ascii_digit() {
            continue;
        }
        let dashes = chars[i + 1..]
            .iter()
            .take_while(|d| matches!(d, '-' | '\u{2013}' | '\u{2014}'))
            .count();
        let after = chars.get(i + 1 + dashes);
        if (1..=2).contains(&dashes) && after.is_none_or(|a| !a.is_ascii_digit()) {
            // The separator stays, with no cents: `1.234,-` is 1.234,00 (1234), not 1.234.
            return chars[..=i]
                .iter()
                .chain(&['0', '0'])
                .chain(&chars[i + 1 + dashes..])
                .collect();
        }
    }
    s.to_string()
}

/// Whether a money cell is negative: wrapped in parentheses (accounting), or with one minus
/// sign before or after the number (`-$10`, `$-10`, `10.00-`). `None` when its signs say no
/// amount: two minus signs (`--10`), a minus with parentheses (`(-10)`, `-(10)`), parentheses
/// that do not wrap the cell, or a minus between two digits (`12-34`, a date `2024-05-01`).
fn sign(s: &str) -> Option<bool> {
    let wrapped = s.len() >= 2 && s.starts_with('(') && s.ends_with(')');
    let inner = if wrapped { &s[1..s.len() - 1] } else { s };
    let b = inner.as_bytes();
    let minus: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b'-').collect();
    // A minus inside the number: between two digits (`12-34`), or beside a separator between
    // digits (`12,-34`, `12-,34`, `5.-5`).
    let digit_at = |i: Option<usize>| i.and_then(|i| b.get(i)).is_some_and(u8::is_ascii_digit);
    let separator_at = |i: Option<usize>| {
        i.and_then(|i| b.get(i))
            .is_some_and(|c| matches!(c, b',' | b'.'))
    };
    let between_digits = |i: usize| {
        let (before, after) = (i.checked_sub(1), i.checked_add(1));
        let before2 = i.checked_sub(2);
        let after2 = i.checked_add(2);
        (digit_at(before) && digit_at(after))
            || (separator_at(before) && digit_at(before2) && digit_at(after))
            || (digit_at(before) && separator_at(after) && digit_at(after2))
    };
    if inner.contains(['(', ')'])
        || minus.len() > 1
        || (wrapped && !minus.is_empty())
        || minus.iter().any(|&i| between_digits(i))
    {
        return None;
    }
    Some(wrapped || !minus.is_empty())
}

/// Which decimal separator one money cell shows beyond doubt: the last of `.` and `,` when both
/// appear (`1.234,50`, `1,234.50`), else a lone separator followed by other than three digits
/// (`12,50`, `12.5`). `None` when the cell cannot tell (`2.500`, `1,050`, `12`), and for
/// scientific notation (`1.5E+02`): a program's notation, written with a point in every locale,
/// it says nothing of how the file writes its amounts.
fn decimal_separator(cell: &str) -> Option<u8> {
    let b = cell.as_bytes();
    let last = b.iter().rposition(|&c| c == b'.' || c == b',')?;
    if scientific(cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')).is_some() {
        return None;
    }
    let sep = b[last];
    let other = if sep == b'.' { b',' } else { b'.' };
    if b[..last].contains(&other) {
        return Some(sep);
    }
    let digits_after = b[last + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (digits_after != 3).then_some(sep)
}

/// What a money column's cells show of its decimal separator (see [`decimal_evidence`]).
#[derive(Debug, Default)]
pub struct DecimalEvidence {
    /// Cells showing a decimal point beyond doubt (`12.50`), and the line of the first.
    pub points: usize,
    pub point_line: Option<u64>,
    /// Cells showing a decimal comma beyond doubt (`32,63`, `1.234,50`), and the line of the
    /// first.
    pub commas: usize,
    pub comma_line: Option<u64>,
}

impl DecimalEvidence {
    /// True when the column writes decimals with a comma: more cells show a decimal comma
    /// beyond doubt than a decimal point (scientific notation, `1.5E+02`, casts no vote either
    /// way; a tie reads the point). In such a column a dot followed by three digits is a
    /// thousands separator (`2.500` = 2500), as in the rest of the file, not a decimal point;
    /// [`parse_money`] reads it so with `decimal_comma`, and still reads a cell that shows a
    /// point beyond doubt (`12.50`) as written. So one hand-typed `12.50` among hundreds of
    /// comma amounts no longer turns the column's `2.500` into 2.5 (a column with both is
    /// warned, see [`ambiguous_separators`]).
    pub fn decimal_comma(&self) -> bool {
        self.commas > self.points
    }

    /// The lines of the first decimal point and the first decimal comma, when the column shows
    /// both.
    pub fn mixed(&self) -> Option<(u64, u64)> {
        self.point_line.zip(self.comma_line)
    }
}

/// The [`DecimalEvidence`] of a money column's cells, as (line, cell): one pass.
pub fn decimal_evidence<'a>(cells: impl Iterator<Item = (u64, &'a str)>) -> DecimalEvidence {
    let mut e = DecimalEvidence::default();
    for (line, cell) in cells {
        match decimal_separator(cell) {
            Some(b'.') => {
                e.points += 1;
                e.point_line = e.point_line.or(Some(line));
            }
            Some(_) => {
                e.commas += 1;
                e.comma_line = e.comma_line.or(Some(line));
            }
            None => {}
        }
    }
    e
}

/// [`DecimalEvidence::decimal_comma`] of a money column's cells.
pub fn infer_decimal_comma<'a>(cells: impl Iterator<Item = &'a str>) -> bool {
    decimal_evidence(cells.map(|cell| (0, cell))).decimal_comma()
}

/// The cells, as (line, cell), whose reading the decimal convention decides (`2,500`, `2.500`:
/// a separator followed by three digits; not scientific notation).
pub fn ambiguous_separators<'a>(
    cells: impl Iterator<Item = (u64, &'a str)>,
) -> Vec<(u64, &'a str)> {
    cells
        .filter(|(_, cell)| {
            cell.contains(['.', ','])
                && decimal_separator(cell).is_none()
                && scientific(cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}'))
                    .is_none()
        })
        .collect()
}

/// `-?[0-9]+(\.[0-9]+)?` parsed as f64; `None` for any other shape.
fn plain_decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if all_digits(int) && frac.is_none_or(all_digits) {
        s.parse().ok()
    } else {
        None
    }
}

/// `-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+` (`1e3`, `1.5E+02`, `-2.5e-7`), the scientific notation
/// of programs (Rust, Python, Polars, spreadsheets), parsed as f64 (infinite beyond its range,
/// `1e400`, which [`within_amount_range`] refuses as too large); `None` for any other shape.
fn scientific(s: &str) -> Option<f64> {
    let (mantissa, exponent) = s.split_once(['e', 'E'])?;
    let mantissa = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if all_digits(int) && frac.is_none_or(all_digits) && all_digits(exponent) {
        s.parse::<f64>().ok()
    } else {
        None
    }
}

fn is_currency_marker(junk: &str) -> bool {
    let j = junk.trim();
    matches!(
        j,
        "$" | "€"
            | "£"
            | "¥"
            | "₹"
            | "R$"
            | "A$"
            | "C$"
            | "US$"
            | "kr"
            | "zł"
            | "CHF"
            | "₺"
            | "₽"
            | "₩"
    ) || (j.len() == 3 && j.chars().all(|c| c.is_ascii_uppercase()))
}

/// Rewrites digits with `.`/`,` into a plain decimal number string.
fn normalise_separators(s: &str, decimal_comma: bool) -> Option<String> {
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(d), None) => {
            // `1.234.567` is a thousands-dotted number, `12.50` a decimal.
            if s.matches('.').count() > 1 || (decimal_comma && s.len() - d == 4) {
                None
            } else {
                Some(d)
            }
        }
        (None, Some(c)) => {
            let thousands_like = s.matches(',').count() > 1 || s.len() - c == 4;
            if thousands_like && !decimal_comma {
                None
            } else {
                Some(c)
            }
        }
        (None, None) => None,
    };
    // The separators left of the decimal one group thousands: `12.34.56` or `1,2,3` is no
    // amount, not 123456 or 123. Groups of three (`1,234,567`), or India's lakh grouping
    // (`1,23,45,678`), the first of one to three digits; nothing but digits after the decimal.
    let (whole, fraction) = match decimal {
        Some(d) => (&s[..d], &s[d + 1..]),
        None => (s, ""),
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || !thousands_grouped(whole) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.char_indices() {
        if ch.is_ascii_digit() {
            out.push(ch);
        } else if Some(i) == decimal {
            out.push('.');
        }
    }
    if out.is_empty() || out == "." {
        None
    } else {
        Some(out)
    }
}

/// Whether the digits of `whole` (an amount's part before its decimal separator) are grouped
/// as thousands are: one group, or a first group of one to three digits followed by groups of
/// three, or by groups of two and a last of three (India's lakh and crore).
fn thousands_grouped(whole: &str) -> bool {
    let groups: Vec<usize> = whole.split(['.', ',']).map(str::len).collect();
    let Some((first, rest)) = groups.split_first() else {
        return true;
    };
    if rest.is_empty() {
        return true;
    }
    let western = rest.iter().all(|&g| g == 3);
    let lakh = rest
        .split_last()
        .is_some_and(|(&last, middle)| last == 3 && middle.iter().all(|&g| g == 2));
    (1..=3).contains(first) && (western || lakh)
}

/// How an identifier cell was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdIssue {
    /// A leading `'` (spreadsheet "keep as text" marker) was removed.
    QuotePrefixed,
    /// The cell looks like a spreadsheet's scientific-notation rendering of a long number
    /// (`9.4001E+21`): digits are lost, so it is kept as written and flagged.
    ScientificNotation,
    /// A whole number written as a decimal (`1004.0`), as spreadsheets and pandas write an id
    /// column they took for numbers: read as the whole number (`1004`) and flagged.
    DecimalZero,
}

/// Parses an identifier: kept as text (leading zeros stay), trimmed, a leading `'` removed, a
/// zero decimal part of a whole number (`1004.0`) removed.
pub fn parse_id(cell: &str) -> (Option<String>, Option<IdIssue>) {
    let (id, issue) = parse_id_str(cell);
    (id.map(str::to_string), issue)
}

/// [`parse_id`] without copying: the identifier is a slice of `cell`.
pub fn parse_id_str(cell: &str) -> (Option<&str>, Option<IdIssue>) {
    let s = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    if s.is_empty() {
        return (None, None);
    }
    if let Some(rest) = s.strip_prefix('\'') {
        return (Some(rest), Some(IdIssue::QuotePrefixed));
    }
    if let Some((whole, fraction)) = s.split_once('.') {
        let digits = |t: &str, ok: fn(&u8) -> bool| !t.is_empty() && t.as_bytes().iter().all(ok);
        if digits(whole, u8::is_ascii_digit) && digits(fraction, |b| *b == b'0') {
            return (Some(whole), Some(IdIssue::DecimalZero));
        }
    }
    let issue = is_scientific(s).then_some(IdIssue::ScientificNotation);
    (Some(s), issue)
}

fn is_scientific(s: &str) -> bool {
    if !s.bytes().any(|b| b == b'e' || b == b'E') {
        return false;
    }
    let upper = s.to_ascii_uppercase();
    match upper.split_once("E+") {
        Some((m, e)) => {
            !m.is_empty()
                && m.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
                && !e.is_empty()
                && e.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Parses a boolean cell: true/false, yes/no, y/n, t/f, 1/0 in any case.
pub fn parse_bool(cell: &str) -> Result<Option<bool>, String> {
    match cell {
        "true" => return Ok(Some(true)),
        "false" => return Ok(Some(false)),
        "" => return Ok(None),
        _ => {}
    }
    match cell.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "y" | "t" | "1" => Ok(Some(true)),
        "false" | "no" | "n" | "f" | "0" => Ok(Some(false)),
        other => Err(format!("'{other}' is not true or false")),
    }
}

/// Parses a ticket's satisfaction rating into 1.0 (satisfied) or 0.0 (not): Zendesk's
/// `Good`/`Bad` (also `Good, I'm satisfied`), `satisfied`/`unsatisfied`, or a 1-5 survey score
/// (4 and 5 are satisfied, the usual CSAT definition). Numbers are always read on the 1-5
/// scale, because a bare `1` cannot be told apart from "satisfied" on a 0/1 scale: a binary
/// rating must be written as text (good/bad, satisfied/unsatisfied). `Offered`, `Unoffered` and
/// empty cells are no rating.
///
/// Errors: any other text.
pub fn parse_satisfaction(cell: &str) -> Result<Option<f64>, String> {
    let v = cell.trim().to_ascii_lowercase();
    if v.is_empty() || v.starts_with("offered") || v.starts_with("unoffered") || v == "n/a" {
        return Ok(None);
    }
    if v.starts_with("good") || v == "satisfied" || v == "positive" {
        return Ok(Some(1.0));
    }
    if v.starts_with("bad") || v == "unsatisfied" || v == "dissatisfied" || v == "negative" {
        return Ok(Some(0.0));
    }
    match parse_number(&v)? {
        Some(x) if (1.0..=5.0).contains(&x) => Ok(Some(if x >= 4.0 { 1.0 } else { 0.0 })),
        Some(x) => Err(format!(
            "'{x}' is not a satisfaction rating (a 1-5 score, or good/bad)"
        )),
        None => Ok(None),
    }
}

/// Parses a number cell (quantities, scores): plain decimal, decimal comma accepted, and
/// scientific notation (`1e3`, `1.5E+02`) as Rust reads floats.
///
/// Errors: the cell is not a finite number.
pub fn parse_number(cell: &str) -> Result<Option<f64>, String> {
    let s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if !s.contains(',') {
        return s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| format!("'{s}' is not a number"));
    }
    s.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| format!("'{s}' is not a number"))
}

/// Parses a number cell (quantities, review scores) of a file whose decimal separator is a comma when `decimal_comma`
/// (configured, or inferred from the file's amounts): as [`parse_number`], except that a comma
/// is read as in an amount ([`parse_money`]'s separator rules), so that in a decimal-point file
/// `1,234` and `1,234,567` are thousands (1234, 1234567), while `2,5` and `1.234,5` are decimal
/// commas; in a decimal-comma file `1,234` is 1.234.
///
/// Errors: the cell is not a finite number.
pub fn parse_quantity(cell: &str, decimal_comma: bool) -> Result<Option<f64>, String> {
    let s = cell.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let separated = |b: u8| b.is_ascii_digit() || b == b',' || b == b'.';
    if !digits.contains(',') || !digits.bytes().all(separated) {
        return parse_number(cell);
    }
    let v: f64 = normalise_separators(digits, decimal_comma)
        .and_then(|n| n.parse().ok())
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("'{s}' is not a number"))?;
    Ok(Some(if negative { -v } else { v }))
}

/// The scale of a review score: 1 to 5 (stars; Olist's `review_score` too).
pub const REVIEW_SCALE: std::ops::RangeInclusive<f64> = 1.0..=5.0;

/// Parses a review score: a number read as [`parse_quantity`] reads it, on the 1-5 scale
/// ([`REVIEW_SCALE`]).
///
/// Errors: the cell is not a finite number, or one outside the scale (a 0, a 6, a score out of
/// 10).
pub fn parse_review_score(cell: &str, decimal_comma: bool) -> Result<Option<f64>, String> {
    match parse_quantity(cell, decimal_comma)? {
        Some(x) if !REVIEW_SCALE.contains(&x) => Err(format!(
            "'{}' is not a review score on the 1-5 scale",
            cell.trim()
        )),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_that_do_not_group_thousands_are_not_amounts() {
        for cell in [
            "12.34.56",
            "1.2.3",
            "1,2,3",
            "99.99.99",
            "1.234.5",
            "1,2345.00",
            "1.5,5.5",
        ] {
            assert!(parse_money(cell, false).is_err(), "{cell}");
        }
        let read = [
            ("1,234,567.89", false, 1_234_567.89),
            ("1.234.567,89", true, 1_234_567.89),
            ("1,23,456.50", false, 123_456.5),
            ("1.234,50", false, 1234.5),
            ("12,50", false, 12.5),
            ("2.500", true, 2500.0),
        ];
        for (cell, dc, want) in read {
            assert_eq!(parse_money(cell, dc), Ok(Some(want)), "{cell}");
        }
    }

    #[test]
    fn quantities_read_commas_by_the_file_decimal_separator() {
        let cases: &[(&str, bool, Option<f64>)] = &[
            ("1,234", false, Some(1234.0)),
            ("1,234,567", false, Some(1_234_567.0)),
            ("-1,000", false, Some(-1000.0)),
            ("2,5", false, Some(2.5)),
            ("1.234,5", false, Some(1234.5)),
            ("1,234", true, Some(1.234)),
            ("1,5e3", false, Some(1500.0)),
            ("12", true, Some(12.0)),
            ("", false, None),
        ];
        for &(cell, dc, want) in cases {
            assert_eq!(
                parse_quantity(cell, dc),
                Ok(want),
                "{cell} (decimal comma {dc})"
            );
        }
        assert!(parse_quantity("1,2x", false).is_err());
        assert!(parse_quantity(",", false).is_err());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ts(s: &str, tz: Tz) -> Stamp {
        parse_timestamp(s, tz, SlashOrder::Unknown)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn offsets_are_converted_not_relabelled() {
        // Field case 04: 22:30 -0500 is 03:30Z the next day.
        assert_eq!(
            ts("2024-03-09 22:30:00 -0500", Tz::UTC).instant,
            utc("2024-03-10T03:30:00Z")
        );
        assert_eq!(
            ts("2024-03-10T09:30:00-04:00", Tz::UTC).instant,
            utc("2024-03-10T13:30:00Z")
        );
        assert_eq!(
            ts("2024-03-10T20:00:00Z", Tz::UTC).instant,
            utc("2024-03-10T20:00:00Z")
        );
        assert_eq!(
            ts("2024-03-10 20:00:00 UTC", Tz::UTC).instant,
            utc("2024-03-10T20:00:00Z")
        );
        assert_eq!(
            ts("2024-03-10T20:00:00.250+0100", Tz::UTC).instant,
            utc("2024-03-10T19:00:00.250Z")
        );
    }

    /// RFC 3339 (section 5.6) allows `t` and `z` in lower case: `z` is UTC, never the store
    /// zone, by the fast path (whole seconds) and the general one (fractions, no seconds).
    #[test]
    fn lower_case_t_and_z_are_read() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // `t` with `z`, an offset, or naive (read in the store zone, EDT = UTC-4).
        for (cell, instant) in [
            ("2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
            ("2024-05-01t10:00:00.250z", "2024-05-01T10:00:00.250Z"),
            ("2024-05-01t10:00z", "2024-05-01T10:00:00Z"),
            ("2024-05-01 10:00:00z", "2024-05-01T10:00:00Z"),
            ("2024-05-01t12:00:00+02:00", "2024-05-01T10:00:00Z"),
            ("2024-05-01t12:00:00.5+0200", "2024-05-01T10:00:00.500Z"),
            ("2024-05-01t06:00:00", "2024-05-01T10:00:00Z"),
        ] {
            assert_eq!(ts(cell, ny).instant, utc(instant), "{cell}");
        }
        // A word is still reported whole, not cut at its `t`.
        assert_eq!(
            parse_timestamp("yesterday", Tz::UTC, SlashOrder::Unknown),
            Err("'yesterday' is not a date".to_string())
        );
    }

    #[test]
    fn naive_times_are_read_in_the_store_zone() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            ts("2024-01-15 10:00:00", ny).instant,
            utc("2024-01-15T15:00:00Z")
        );
        // Spring forward: 02:30 does not exist, moved forward by the 1 h gap to 03:30 EDT.
        let gap = ts("2024-03-10 02:30:00", ny);
        assert_eq!(gap.instant, utc("2024-03-10T07:30:00Z"));
        assert_eq!(gap.dst, Some(DstResolution::Nonexistent));
        // Fall back: 01:30 happens twice; the earlier (EDT) instant is taken.
        let amb = ts("2024-11-03 01:30:00", ny);
        assert_eq!(amb.instant, utc("2024-11-03T05:30:00Z"));
        assert_eq!(amb.dst, Some(DstResolution::Ambiguous));
    }

    #[test]
    fn date_promises_are_date_like() {
        let denver: Tz = "America/Denver".parse().unwrap();
        let d = ts("2024-08-09", denver);
        assert!(d.date_like);
        assert_eq!(d.written_date, NaiveDate::from_ymd_opt(2024, 8, 9).unwrap());
        assert_eq!(d.instant, utc("2024-08-09T06:00:00Z"));
        assert!(ts("2018-09-03 00:00:00", Tz::UTC).date_like);
        assert!(!ts("2018-09-03 00:00:01", Tz::UTC).date_like);
    }

    #[test]
    fn zero_dates_and_serials_are_rejected() {
        // Field case 15: Excel's rendering of a zero date.
        assert!(parse_timestamp("1/0/1900", Tz::UTC, SlashOrder::MonthFirst).is_err());
        assert_eq!(
            parse_timestamp("1/0/1900", Tz::UTC, SlashOrder::Unknown),
            Err("'1/0/1900' is not a valid date".to_string())
        );
        assert!(parse_timestamp("0000-00-00 00:00:00", Tz::UTC, SlashOrder::Unknown).is_err());
        assert_eq!(
            parse_timestamp("45123.5", Tz::UTC, SlashOrder::Unknown),
            Err("'45123.5' looks like a spreadsheet serial number, not a date".to_string())
        );
        // Unix epoch seconds and milliseconds are no serial numbers (days since 1899), and
        // `%s` reads seconds only (milliseconds gave the year 56135).
        let err = parse_timestamp("1709287200", Tz::UTC, SlashOrder::Unknown).unwrap_err();
        assert!(err.contains("looks like a Unix epoch time"), "{err}");
        assert!(err.contains("date_format = \"%s\""), "{err}");
        let seconds = parse_timestamp_with("1709287200", Tz::UTC, SlashOrder::Unknown, Some("%s"));
        assert_eq!(
            seconds.unwrap().unwrap().instant,
            utc("2024-03-01T10:00:00Z")
        );
        for ms in [
            parse_timestamp("1736907512000", Tz::UTC, SlashOrder::Unknown),
            parse_timestamp_with("1736907512000", Tz::UTC, SlashOrder::Unknown, Some("%s")),
        ] {
            let err = ms.unwrap_err();
            assert!(err.contains("looks like Unix epoch milliseconds"), "{err}");
        }
        assert!(parse_timestamp("yesterday", Tz::UTC, SlashOrder::Unknown).is_err());
        assert_eq!(
            parse_timestamp("  ", Tz::UTC, SlashOrder::Unknown),
            Ok(None)
        );
    }

    #[test]
    fn slash_order_is_inferred_per_column() {
        let lines = |cells: &'static [&'static str]| (2u64..).zip(cells.iter().copied());
        assert_eq!(
            infer_slash_order(lines(&["13/02/2024", "01/03/2024"])),
            Ok(SlashOrder::DayFirst)
        );
        assert_eq!(
            infer_slash_order(lines(&["02/13/2024", "01/03/2024"])),
            Ok(SlashOrder::MonthFirst)
        );
        assert_eq!(
            infer_slash_order(lines(&["02/03/2024"])),
            Ok(SlashOrder::Unknown)
        );
        // Both: the first line of each is named, for the user to find them.
        assert_eq!(
            infer_slash_order(lines(&[
                "01/03/2024",
                "13/02/2024",
                "02/13/2024 10:00",
                "14/02/2024"
            ])),
            Err(
                "slash dates are day-first in some rows (line 3: '13/02/2024') and month-first \
                 in others (line 4: '02/13/2024 10:00')"
                    .to_string()
            )
        );
        let d = parse_timestamp("13/02/2024 10:00", Tz::UTC, SlashOrder::DayFirst)
            .unwrap()
            .unwrap();
        assert_eq!(d.instant, utc("2024-02-13T10:00:00Z"));
    }

    /// A column that cannot tell takes the order its file's other date columns agree on; when
    /// they disagree, or none tells, the file has no order.
    #[test]
    fn slash_order_of_a_file_is_what_its_telling_columns_agree_on() {
        use SlashOrder::{DayFirst, MonthFirst, Unknown};
        assert_eq!(file_slash_order([]), FileSlashOrder::Unknown);
        assert_eq!(
            file_slash_order([Unknown, Unknown]),
            FileSlashOrder::Unknown
        );
        assert_eq!(
            file_slash_order([Unknown, DayFirst, Unknown, DayFirst]),
            FileSlashOrder::Agreed(DayFirst)
        );
        assert_eq!(
            file_slash_order([MonthFirst, Unknown]),
            FileSlashOrder::Agreed(MonthFirst)
        );
        assert_eq!(
            file_slash_order([DayFirst, Unknown, MonthFirst]),
            FileSlashOrder::Conflicting
        );
        assert_eq!(
            file_slash_order([MonthFirst, DayFirst, MonthFirst]),
            FileSlashOrder::Conflicting
        );
    }

    /// The convention of a money column is read from the cells that show it (`32,63`), so
    /// that an ambiguous `2.500` among them is 2500, not 2.5; a single decimal point anywhere,
    /// or no telling cell at all, keeps the point reading.
    /// US exports write a 12-hour clock: `10:00 PM` is 22:00, `12:05 am` is 00:05.
    #[test]
    fn twelve_hour_times_are_read() {
        let tz = Tz::UTC;
        let at = |cell: &str| {
            parse_timestamp(cell, tz, SlashOrder::MonthFirst)
                .unwrap()
                .unwrap()
                .instant
        };
        assert_eq!(at("2/13/2024 10:00 PM"), utc("2024-02-13T22:00:00Z"));
        assert_eq!(at("2024-02-13 12:05 am"), utc("2024-02-13T00:05:00Z"));
        assert_eq!(at("2/13/2024 1:02:03PM"), utc("2024-02-13T13:02:03Z"));
        assert!(parse_timestamp("2/13/2024 13:00 PM", tz, SlashOrder::MonthFirst).is_err());
    }

    #[test]
    fn decimal_commas_are_inferred_per_column() {
        let infer = |cells: &[&str]| infer_decimal_comma(cells.iter().copied());
        assert!(infer(&["32,63", "2.500", "", "1.234,50"]));
        assert!(infer(&["R$ 1.050,00", "7"]));
        assert!(!infer(&["32,63", "2.500", "12.5"]));
        assert!(!infer(&["1,234.50", "32,63"]));
        assert!(!infer(&["2.500", "1,050", "12"]));
        assert!(!infer(&[]));
        assert_eq!(parse_money("2.500", true), Ok(Some(2500.0)));
        assert_eq!(parse_money("2.500", false), Ok(Some(2.5)));
        assert_eq!(parse_money("32,63", true), Ok(Some(32.63)));
    }

    /// A dash for no cents (`5,-`: five euros) is no trailing minus sign: it read as -5.00.
    #[test]
    fn a_dash_for_no_cents_is_a_whole_amount() {
        for (cell, comma, v) in [
            ("5,-", false, 5.0),
            ("5,--", false, 5.0),
            ("1.234,- €", false, 1234.0),
            ("CHF 5.-", false, 5.0),
            ("12,\u{2013} \u{20ac}", true, 12.0),
            ("(5,-)", false, -5.0),
        ] {
            assert_eq!(parse_money(cell, comma), Ok(Some(v)), "{cell}");
        }
        // A trailing minus after cents is still one.
        assert_eq!(parse_money("5,00-", true), Ok(Some(-5.0)));
    }

    #[test]
    fn a_zero_amount_has_no_sign() {
        for cell in ["-0", "-0.00", "(0.00)", "-0e0", "-$0.00", "0,00-"] {
            let v = parse_money(cell, false).unwrap().unwrap();
            assert!(v == 0.0 && v.is_sign_positive(), "{cell}: {v}");
        }
        assert_eq!(parse_money("-0.01", false), Ok(Some(-0.01)));
    }

    /// A minus sign before or after the number, or parentheses, make an amount negative; signs
    /// that say no amount are refused. `--10`, `(-10)` and `-(10)` were read as -10, and a
    /// date `2024-05-01` or `12-34` as -20240501 and -1234.
    #[test]
    fn signs_that_say_no_amount_are_refused() {
        for (cell, v) in [
            ("-$10", -10.0),
            ("$-10", -10.0),
            ("10.00-", -10.0),
            ("USD -1,234.50", -1234.5),
            ("(1,234.50)", -1234.5),
            ("- 10", -10.0),
        ] {
            assert_eq!(parse_money(cell, false), Ok(Some(v)), "{cell}");
        }
        for cell in [
            "--10",
            "(-10)",
            "-(10)",
            "10(",
            "2024-05-01",
            "12-34",
            "12,-34",
            "12.-34",
            "5,-5",
            "1,-50",
            "12-,34",
            "-10-",
        ] {
            assert!(parse_money(cell, false).is_err(), "{cell}");
        }
    }

    #[test]
    fn a_plus_sign_is_the_amount_itself() {
        assert_eq!(parse_money("+12", false), Ok(Some(12.0)));
        assert_eq!(parse_money("+$1,234.50", false), Ok(Some(1234.5)));
        assert_eq!(parse_money("+12,5", true), Ok(Some(12.5)));
        assert!(parse_money("+-3", false).is_err());
        assert!(parse_money("+", false).is_err());
    }

    /// A run of 400 nines (infinity as f64) and a 22-digit tracking number are no amounts;
    /// 10^15 itself still is (and `999999999999999.99`, which f64 rounds to it), and so is a
    /// large negative one.
    #[test]
    fn amounts_over_10_to_the_15_are_refused() {
        let nines = "9".repeat(400);
        for cell in [
            nines.as_str(),
            "9400117213605433286018",
            "1e400",
            "1000000000000001",
            "-2e15",
            "$2,000,000,000,000,000.00",
        ] {
            let err = parse_money(cell, false).unwrap_err();
            assert!(err.contains("too large to be an amount"), "{cell}: {err}");
        }
        assert!(parse_money(&nines, false).unwrap_err().len() < 140);
        assert_eq!(
            parse_money("999999999999999.00", false),
            Ok(Some(999_999_999_999_999.0))
        );
        assert_eq!(parse_money("999999999999999.99", false), Ok(Some(1e15)));
        assert_eq!(parse_money("-1e15", false), Ok(Some(-1e15)));
        assert_eq!(
            parse_money("$1,000,000,000,000,000.00", false),
            Ok(Some(1e15))
        );
        assert_eq!(parse_money("-5e14", false), Ok(Some(-5e14)));
    }

    /// A date written in words is not a timestamp, not a spreadsheet serial number (its first
    /// word, `2`, is a number); a serial number still is one.
    #[test]
    fn a_date_in_words_is_not_taken_for_a_serial_number() {
        let err = parse_timestamp("2 March 2025", Tz::UTC, SlashOrder::Unknown).unwrap_err();
        assert_eq!(err, "'2 March 2025' is not a timestamp");
        let err = parse_timestamp("45413.5", Tz::UTC, SlashOrder::Unknown).unwrap_err();
        assert!(err.contains("spreadsheet serial number"), "{err}");
    }

    #[test]
    fn money_strings_parse_exactly() {
        // Field case 06.
        assert_eq!(parse_money("$1,234.56", false), Ok(Some(1234.56)));
        assert_eq!(parse_money("$89.00", false), Ok(Some(89.0)));
        assert_eq!(parse_money("1,050.00", false), Ok(Some(1050.0)));
        assert_eq!(parse_money("USD 45.00", false), Ok(Some(45.0)));
        assert_eq!(parse_money("£12.50", false), Ok(Some(12.5)));
        assert_eq!(parse_money("1.234,56 €", false), Ok(Some(1234.56)));
        assert_eq!(parse_money("12,50", false), Ok(Some(12.5)));
        assert_eq!(parse_money("1\u{a0}050,00", false), Ok(Some(1050.0)));
        assert_eq!(parse_money("R$ 1.050", true), Ok(Some(1050.0)));
        assert_eq!(parse_money("(12.00)", false), Ok(Some(-12.0)));
        assert_eq!(parse_money("", false), Ok(None));
        assert!(parse_money("N/A", false).is_err());
        assert!(parse_money("call us", false).is_err());
    }

    /// Programs write large and small floats in scientific notation (`1e3`, a spreadsheet's
    /// `1.5E+02`, a Parquet float `1e-7` as Polars writes it): amounts and quantities are read
    /// as the number, its point a decimal point in any column; such a cell casts no vote on the
    /// column's decimal comma.
    #[test]
    fn scientific_notation_is_read_in_amounts_and_numbers() {
        assert_eq!(parse_money("1e3", false), Ok(Some(1000.0)));
        assert_eq!(parse_money("1.5E+02", false), Ok(Some(150.0)));
        assert_eq!(parse_money("1e-7", false), Ok(Some(0.000_000_1)));
        assert_eq!(parse_money(" -2.5e-1 ", false), Ok(Some(-0.25)));
        assert_eq!(parse_money("2.5E1", true), Ok(Some(25.0)));
        assert_eq!(parse_money("1.234e3", true), Ok(Some(1234.0)));
        // Not the notation: refused as before (not `1`, `13` or `35`).
        for cell in [
            "1e", "e3", "1e3.5", "1.e3", ".5e3", "1e400", "1e+", "1,5e3", "$1e3",
        ] {
            assert!(parse_money(cell, false).is_err(), "{cell}");
        }
        // The other rules are unchanged, currency codes with an E among them.
        assert_eq!(parse_money("EUR 12,50", false), Ok(Some(12.5)));
        assert_eq!(parse_money("12 EUR", false), Ok(Some(12.0)));
        assert_eq!(parse_money("(1.5)", false), Ok(Some(-1.5)));
        assert_eq!(parse_number("1e3"), Ok(Some(1000.0)));
        assert_eq!(parse_number("1.5E+02"), Ok(Some(150.0)));
        assert_eq!(parse_number("2,5"), Ok(Some(2.5)));
        assert!(parse_number("1e400").is_err());
        let infer = |cells: &[&str]| infer_decimal_comma(cells.iter().copied());
        assert!(infer(&["0,50", "1.5E+02", "2.500"]));
        assert!(!infer(&["1.5E+02", "2.500"]));
        assert!(!infer(&["1.5E+02", "12.5", "0,50"]));
    }

    #[test]
    fn identifiers_stay_text() {
        assert_eq!(parse_id(" 00123 "), (Some("00123".into()), None));
        assert_eq!(
            parse_id("'00123"),
            (Some("00123".into()), Some(IdIssue::QuotePrefixed))
        );
        assert_eq!(
            parse_id("9.4001E+21"),
            (Some("9.4001E+21".into()), Some(IdIssue::ScientificNotation))
        );
        assert_eq!(parse_id(""), (None, None));
        assert_eq!(
            parse_id("1004.0"),
            (Some("1004".into()), Some(IdIssue::DecimalZero))
        );
        assert_eq!(
            parse_id("0042.00"),
            (Some("0042".into()), Some(IdIssue::DecimalZero))
        );
        // Not a whole number, or not only digits: kept as written.
        assert_eq!(parse_id("1004.5"), (Some("1004.5".into()), None));
        assert_eq!(parse_id("1004."), (Some("1004.".into()), None));
        assert_eq!(parse_id(".0"), (Some(".0".into()), None));
        assert_eq!(parse_id("A-7.0"), (Some("A-7.0".into()), None));
    }
}
