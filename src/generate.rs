//! Deterministic synthetic store generator behind `snagscan generate`.
//!
//! [`generate`] writes a complete export of a fictional apparel store (orders, line items,
//! shipments, support tickets, reviews) plus `truth.json`, which records the snags that were
//! planted on purpose. With no [`Injection`] the store is tuned to stay under every default
//! threshold of SPEC section 4; each injection pushes its snag well over the threshold and
//! records its parameters and the number of orders it touched.
//!
//! Model, in short:
//! - The store clock is `America/New_York`: customers order in the evening, the warehouse
//!   hands parcels to carriers 08:00-20:00, carriers deliver 09:00-18:30 local. Canonical files
//!   write instants in UTC (`2025-03-01T14:05:00Z`); the Shopify export writes local time with
//!   the correct DST offset (`2025-03-01 09:05:00 -0500`). Promises are local dates.
//! - The data ends at 2025-07-01T00:00:00Z (exclusive). Events after that have not happened
//!   yet: recent orders are unshipped or in transit, recent tickets unsolved.
//! - Customers: ~67% buy once, ~28% come back (second order mostly 10-80 days later), ~5%
//!   are regulars who order every ~30 days until the end of the window.
//! - Healthy baseline at 10,000 orders (measured from the CSVs by the tests): 2.7% of shipped
//!   orders wait over 48 h, express median wait 0.39x standard's, 2.5% of deliveries late,
//!   1.5% cancelled (all by customers), ~5 tickets per 100 orders, WISMO 0.70 per 100 shipped
//!   orders (~14% of tickets), no weekday above 16% of tickets, 90-day repeat rate 0.32,
//!   reviews on 39% of delivered orders.
//! - Whether an order gets a WISMO ticket is its own draw, so a day's WISMO count varies as a
//!   Poisson count does, as in a real store, and a spike test is tried against that noise.
//! - Injections that necessarily move a second KPI list it in `params.also_raises`
//!   (weekend-backlog -> slow-fulfillment, late-lane -> wismo-load).
//!
//! Determinism: every random draw comes from a ChaCha8 stream derived from the seed (one
//! stream per customer, per order and per ticket source), never from hash-map order or the
//! wall clock, so the same options give byte-identical files. Adding an injection leaves the
//! draws of unrelated customers and orders unchanged.
//!
//! Memory: only the order schedule (24 bytes per order) and the tickets (~5 per 100 orders)
//! are held in memory; orders, line items, shipments and reviews are streamed to disk.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, Offset, TimeZone};
use chrono_tz::America::New_York;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Layout of the files written by [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFormat {
    /// snagscan's canonical CSVs (SPEC section 1): `orders.csv`, `line_items.csv`,
    /// `shipments.csv`, `tickets.csv`, `reviews.csv`, order ids like `1001`, UTC instants.
    Canonical,
    /// Orders and line items as one Shopify "Export orders" file, `orders_export.csv`
    /// (one row per line item, local times with offsets, `Name` like `#1001`); shipments,
    /// tickets and reviews stay canonical CSVs that refer to orders as `#1001`. Like a real
    /// export it has no promise and no cancel reason (an unshipped order's promise and the
    /// stockout reason are lost) but has the shipping province (the region of lanes).
    Shopify,
}

/// A snag planted on purpose in the generated store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Injection {
    /// Express orders wait as long as standard ones (`express-buried`).
    ExpressBuried,
    /// Standard orders placed Friday-Sunday ship on Monday afternoon (`weekend-backlog`).
    WeekendBacklog,
    /// 40% of USPS parcels arrive 2-4 days after the promise (`late-delivery`).
    LateLane,
    /// A FedEx hub outage: 5 days of FedEx parcels are delayed 5 days, and seven in ten of
    /// their customers write on the outage day or the next (`wismo-spike`).
    WismoSpike,
    /// About half of the tickets written Friday evening to Sunday are created on Monday
    /// morning, so Monday holds ~30% of all tickets (`monday-surge`).
    MondaySurge,
    /// Customers whose first order arrives late come back far less often (`late-first-order-churn`).
    LateFirstOrderChurn,
    /// ~5% of orders are cancelled as out of stock, on 3 SKUs (`stockout-cancellations`).
    Stockouts,
    /// ~30% of the top-10% customers, who used to order every ~30 days, stop ordering (`vip-at-risk`).
    VipAtRisk,
    /// Medium/high-risk orders (~4%) are held for review and wait 3-5x longer (`hold-wait`).
    HighRiskHolds,
}

impl Injection {
    /// Every injection, in declaration order.
    pub const ALL: [Injection; 9] = [
        Injection::ExpressBuried,
        Injection::WeekendBacklog,
        Injection::LateLane,
        Injection::WismoSpike,
        Injection::MondaySurge,
        Injection::LateFirstOrderChurn,
        Injection::Stockouts,
        Injection::VipAtRisk,
        Injection::HighRiskHolds,
    ];

    /// The kebab-case name accepted by [`FromStr`], e.g. `"late-lane"`.
    pub fn name(self) -> &'static str {
        match self {
            Injection::ExpressBuried => "express-buried",
            Injection::WeekendBacklog => "weekend-backlog",
            Injection::LateLane => "late-lane",
            Injection::WismoSpike => "wismo-spike",
            Injection::MondaySurge => "monday-surge",
            Injection::LateFirstOrderChurn => "late-first-order-churn",
            Injection::Stockouts => "stockouts",
            Injection::VipAtRisk => "vip-at-risk",
            Injection::HighRiskHolds => "high-risk-holds",
        }
    }

    /// The SPEC section 4 snag id this injection should raise, e.g. `"late-delivery"`.
    pub fn snag_id(self) -> &'static str {
        match self {
            Injection::LateLane => "late-delivery",
            Injection::Stockouts => "stockout-cancellations",
            Injection::HighRiskHolds => "hold-wait",
            other => other.name(),
        }
    }
}

impl fmt::Display for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Injection {
    type Err = String;

    /// Parses a kebab-case name (case-insensitive, surrounding blanks ignored); the error
    /// lists the valid names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Injection::ALL
            .iter()
            .copied()
            .find(|i| i.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Injection::ALL.iter().map(|i| i.name()).collect();
                format!(
                    "unknown injection `{}`; valid names: {}",
                    s.trim(),
                    names.join(", ")
                )
            })
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Exact number of data rows in the orders table (orders, not line items), test orders included.
    pub orders: usize,
    /// Seed of every random stream; the same options give byte-identical files.
    pub seed: u64,
    /// File layout.
    pub format: StoreFormat,
    /// Snags to plant; duplicates are ignored.
    pub inject: Vec<Injection>,
}

/// Contents of `truth.json`: what was planted, so that detection can be scored.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// The seed used.
    pub seed: u64,
    /// Number of orders written (= `GenerateOptions::orders`).
    pub orders: usize,
    /// One entry per distinct injection, in the order given.
    pub planted: Vec<Planted>,
}

/// One planted snag.
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    /// SPEC snag id it should raise, e.g. `"late-delivery"` for [`Injection::LateLane`].
    pub snag: String,
    /// Number of orders the injection changed (held, delayed, cancelled, ...; see `params`).
    pub affected_orders: usize,
    /// Injection parameters. Always has `injection` (its kebab name), `affected` (what
    /// `affected_orders` counts) and `also_raises` (other snag ids the injection is expected
    /// to raise as a side effect, usually empty).
    pub params: Value,
}

/// Generates a store into `out_dir` (created if needed) and returns what was planted.
///
/// Writes `orders.csv` + `line_items.csv` ([`StoreFormat::Canonical`]) or `orders_export.csv`
/// ([`StoreFormat::Shopify`]), then `shipments.csv`, `tickets.csv`, `reviews.csv`,
/// `truth.json` (pretty JSON of the returned [`Truth`]) and `snagscan.toml`
/// ([`STORE_CONFIG`]). The data window is
/// `orders / 30` days clipped to 120..=730, ending 2025-06-30 (UTC).
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> io::Result<Truth> {
    fs::create_dir_all(out_dir)?;
    let injections = dedup(&opts.inject);
    let flags = Flags::from_list(&injections);
    let streams = Streams::new(opts.seed);
    let window = Window::for_orders(opts.orders);
    let tz = TzTable::new(window.start_day() - 3, window.cutoff_day() + 3);
    let setup = Setup::new(flags, window, &streams);
    let plan = plan_store(opts.orders, &setup, &streams);
    let mut sim = Simulator::new(&setup, &plan, &streams, &tz);
    let mut sinks = Sinks::create(out_dir, opts.format, &tz)?;
    for index in 0..plan.slots.len() {
        let order = sim.order(index);
        sinks.write_order(order)?;
    }
    sim.add_presale_tickets();
    let tickets = sim.finish_tickets();
    sinks.write_tickets(&tickets)?;
    sinks.flush()?;
    let truth = Truth {
        seed: opts.seed,
        orders: plan.slots.len(),
        planted: injections
            .iter()
            .map(|&i| planted(i, &setup, &sim.tally))
            .collect(),
    };
    let json = serde_json::to_string_pretty(&truth).map_err(io::Error::other)?;
    fs::write(out_dir.join("truth.json"), json + "\n")?;
    fs::write(out_dir.join("snagscan.toml"), STORE_CONFIG)?;
    Ok(truth)
}

/// The generated store's own settings, written beside it as `snagscan.toml`: its clock (times
/// without an offset are New York time, and so are its weekdays and promise dates) and its
/// currency, so that `snagscan analyze DIR` reads it as it was made.
pub const STORE_CONFIG: &str = "timezone = \"America/New_York\"\ncurrency = \"USD\"\n";

/// Replaces every `.csv` file of `dir` by a `.parquet` file with the same columns (empty
/// cells as nulls, which the importer reads back as empty), one file at a time. The canonical
/// format's times, dates and amounts are stored typed, as a warehouse export stores them:
/// [`TYPED_PARQUET_COLUMNS`]; every other column (ids, text, scores, flags, and every column of
/// the Shopify format) is stored as text.
///
/// Errors: a file cannot be read, written or removed; a typed column holds a value that does
/// not parse as its type.
pub fn csv_to_parquet(dir: &Path) -> crate::Result<Vec<std::path::PathBuf>> {
    use polars::prelude::{CsvReadOptions, ParquetWriter, SerReader};
    let mut csvs: Vec<std::path::PathBuf> = fs::read_dir(dir)
        .map_err(|e| crate::Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    let mut written = Vec::new();
    for csv in csvs {
        // Timed: Polars' own multi-threaded CSV read of a file, all columns as text, is the
        // parse floor quoted in docs/performance.md.
        let span = crate::timings::span(format!("polars csv read {}", file_name(&csv)));
        let df = CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(csv.clone()))?
            .finish()?;
        drop(span);
        let mut df = typed_columns(df)?;
        let out = csv.with_extension("parquet");
        let file = fs::File::create(&out).map_err(|e| crate::Error::io(&out, e))?;
        ParquetWriter::new(file).finish(&mut df)?;
        fs::remove_file(&csv).map_err(|e| crate::Error::io(&csv, e))?;
        written.push(out);
    }
    Ok(written)
}

/// The typed type of each canonical column [`csv_to_parquet`] stores typed: times written
/// `2025-03-01T14:05:00Z` as Datetime(ms, UTC), dates written `2025-03-01` as Date, amounts
/// as Float64, quantities as Int64.
pub const TYPED_PARQUET_COLUMNS: &[(&str, ParquetType)] = &[
    ("placed_at", ParquetType::Instant),
    ("paid_at", ParquetType::Instant),
    ("fulfilled_at", ParquetType::Instant),
    ("cancelled_at", ParquetType::Instant),
    ("shipped_at", ParquetType::Instant),
    ("delivered_at", ParquetType::Instant),
    ("created_at", ParquetType::Instant),
    ("first_response_at", ParquetType::Instant),
    ("solved_at", ParquetType::Instant),
    ("promised_by", ParquetType::Date),
    ("estimated_delivery_at", ParquetType::Date),
    ("total", ParquetType::Number),
    ("refunded", ParquetType::Number),
    ("unit_price", ParquetType::Number),
    ("quantity", ParquetType::Integer),
];

/// How [`csv_to_parquet`] stores a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetType {
    Instant,
    Date,
    Number,
    Integer,
}

/// `df` (every column text) with the columns of [`TYPED_PARQUET_COLUMNS`] parsed strictly.
fn typed_columns(df: polars::prelude::DataFrame) -> crate::Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let typed: Vec<Expr> = TYPED_PARQUET_COLUMNS
        .iter()
        .filter(|(name, _)| df.schema().contains(name))
        .map(|&(name, ty)| {
            let text = col(name).str();
            match ty {
                ParquetType::Instant => text.to_datetime(
                    Some(TimeUnit::Milliseconds),
                    Some(TimeZone::UTC),
                    StrptimeOptions {
                        format: Some("%Y-%m-%dT%H:%M:%SZ".into()),
                        ..Default::default()
                    },
                    lit("raise"),
                ),
                ParquetType::Date => text.to_date(StrptimeOptions {
                    format: Some("%Y-%m-%d".into()),
                    ..Default::default()
                }),
                ParquetType::Number => col(name).strict_cast(DataType::Float64),
                ParquetType::Integer => col(name).strict_cast(DataType::Int64),
            }
        })
        .collect();
    Ok(df.lazy().with_columns(typed).collect()?)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn dedup(list: &[Injection]) -> Vec<Injection> {
    let mut out: Vec<Injection> = Vec::new();
    for &i in list {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Calendar and time zone. Internally every instant is "local seconds": seconds since
// 1970-01-01 00:00 on the store's (New York) wall clock. Converting to UTC happens on output.
// ---------------------------------------------------------------------------------------------

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY)
}

fn secs_of_day(t: i64) -> i64 {
    t.rem_euclid(DAY)
}

/// Weekday of a day number, Monday = 0 ... Sunday = 6.
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// The data window, in local seconds: orders are placed in `[start, cutoff)`.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    cutoff: i64,
    days: i64,
}

impl Window {
    /// `orders / 30` days clipped to 120..=730, ending at 2025-07-01T00:00:00Z
    /// (= 2025-06-30 20:00 EDT) exclusive.
    fn for_orders(orders: usize) -> Self {
        let days = ((orders as f64 / 30.0).round() as i64).clamp(120, 730);
        let cutoff = days_from_civil(2025, 6, 30) * DAY + 20 * HOUR;
        Window {
            start: cutoff - days * DAY,
            cutoff,
            days,
        }
    }

    fn start_day(&self) -> i64 {
        day_of(self.start)
    }

    fn cutoff_day(&self) -> i64 {
        day_of(self.cutoff)
    }

    /// `Some(t)` when the event at `t` has already happened at the end of the data.
    fn seen(&self, t: i64) -> Option<i64> {
        (t < self.cutoff).then_some(t)
    }
}

/// UTC offsets of America/New_York, tabulated per hour over the window (chrono-tz outside it).
struct TzTable {
    first_hour: i64,
    /// Offset (local - UTC, seconds) to use for a local wall-clock hour. Ambiguous hours take
    /// the earlier instant; nonexistent hours keep the offset before the gap, which moves
    /// the time forward by the gap.
    by_local_hour: Vec<i32>,
    /// Offset in force at a UTC hour.
    by_utc_hour: Vec<i32>,
}

impl TzTable {
    fn new(first_day: i64, last_day: i64) -> Self {
        let first_hour = first_day * 24;
        let hours = (last_day - first_day + 1) * 24;
        let mut by_local_hour = Vec::with_capacity(hours as usize);
        let mut by_utc_hour = Vec::with_capacity(hours as usize);
        let mut previous = -5 * HOUR as i32;
        for h in 0..hours {
            let secs = (first_hour + h) * HOUR;
            let local = local_offset_slow(secs).unwrap_or(previous);
            previous = local;
            by_local_hour.push(local);
            by_utc_hour.push(utc_offset_slow(secs));
        }
        TzTable {
            first_hour,
            by_local_hour,
            by_utc_hour,
        }
    }

    fn lookup(table: &[i32], first_hour: i64, secs: i64) -> Option<i32> {
        let i = secs.div_euclid(HOUR) - first_hour;
        usize::try_from(i).ok().and_then(|i| table.get(i).copied())
    }

    /// UTC seconds of a local instant.
    fn to_utc(&self, local: i64) -> i64 {
        let off = Self::lookup(&self.by_local_hour, self.first_hour, local)
            .or_else(|| local_offset_slow(local))
            .unwrap_or(-5 * HOUR as i32);
        local - off as i64
    }

    /// Offset (seconds) in force at a UTC instant.
    fn offset_at_utc(&self, utc: i64) -> i32 {
        Self::lookup(&self.by_utc_hour, self.first_hour, utc)
            .unwrap_or_else(|| utc_offset_slow(utc))
    }
}

/// Offset for a local wall-clock time; `None` inside a spring-forward gap.
fn local_offset_slow(local: i64) -> Option<i32> {
    let naive = DateTime::from_timestamp(local, 0)?.naive_utc();
    match New_York.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Some(dt.offset().fix().local_minus_utc()),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.offset().fix().local_minus_utc()),
        LocalResult::None => None,
    }
}

fn utc_offset_slow(utc: i64) -> i32 {
    DateTime::from_timestamp(utc, 0)
        .map(|dt| {
            New_York
                .offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc()
        })
        .unwrap_or(-5 * HOUR as i32)
}

// ---------------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------------

/// Independent ChaCha8 streams keyed by (domain, key), all derived from one seed.
struct Streams {
    base: ChaCha8Rng,
}

/// Stream domains (top 8 bits of the ChaCha stream id).
const D_CUSTOMER: u64 = 1;
const D_ORDER: u64 = 2;
const D_TEST_ORDER: u64 = 3;
const D_PRESALE: u64 = 4;
const D_SETUP: u64 = 5;
const D_WISMO: u64 = 6;

impl Streams {
    fn new(seed: u64) -> Self {
        Streams {
            base: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn get(&self, domain: u64, key: u64) -> ChaCha8Rng {
        let mut rng = self.base.clone();
        rng.set_stream((domain << 56) ^ (key & ((1 << 56) - 1)));
        rng
    }
}

fn std_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal draw with the given median and log-space standard deviation.
fn lognormal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * std_normal(rng)).exp()
}

/// Index drawn with probability proportional to `weights`.
fn pick(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Uniform instant in `[lo, hi)` (returns `lo` when the range is empty).
fn between(rng: &mut impl Rng, lo: i64, hi: i64) -> i64 {
    if hi > lo {
        rng.gen_range(lo..hi)
    } else {
        lo
    }
}

/// Hours drawn as a duration in seconds.
fn hours(h: f64) -> i64 {
    (h * HOUR as f64).round() as i64
}

/// SplitMix64, for stable per-id attributes (language, city) that need no stream.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Relative weight of each local hour for customers placing orders (evening peak).
const ORDER_HOURS: [f64; 24] = [
    0.7, 0.4, 0.25, 0.15, 0.15, 0.2, 0.4, 0.8, 1.2, 1.5, 1.7, 1.8, 1.9, 1.8, 1.7, 1.7, 1.8, 2.0,
    2.2, 2.4, 2.5, 2.3, 1.8, 1.2,
];

/// A random local time on `day` following [`ORDER_HOURS`].
fn order_time_on(rng: &mut impl Rng, day: i64) -> i64 {
    let hour = pick(rng, &ORDER_HOURS) as i64;
    day * DAY + hour * HOUR + rng.gen_range(0..HOUR)
}

/// A random local time on `day` between `from_h` and `to_h` o'clock.
fn time_on(rng: &mut impl Rng, day: i64, from_h: f64, to_h: f64) -> i64 {
    day * DAY + between(rng, hours(from_h), hours(to_h))
}

/// Moves `t` into the daily opening hours `[open_h, close_h)`, to the next opening if needed.
fn within_hours(rng: &mut impl Rng, t: i64, open_h: i64, close_h: i64) -> i64 {
    let sod = secs_of_day(t);
    if sod < open_h * HOUR {
        day_of(t) * DAY + open_h * HOUR + rng.gen_range(0..2 * HOUR)
    } else if sod >= close_h * HOUR {
        (day_of(t) + 1) * DAY + open_h * HOUR + rng.gen_range(0..2 * HOUR)
    } else {
        t
    }
}

// ---------------------------------------------------------------------------------------------
// Store setup: catalogue, injections and their fixed parameters
// ---------------------------------------------------------------------------------------------

/// Which injections are on.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    express_buried: bool,
    weekend: bool,
    late_lane: bool,
    spike: bool,
    monday: bool,
    late_first: bool,
    stockouts: bool,
    vip: bool,
    holds: bool,
}

impl Flags {
    fn from_list(list: &[Injection]) -> Self {
        let on = |i: Injection| list.contains(&i);
        Flags {
            express_buried: on(Injection::ExpressBuried),
            weekend: on(Injection::WeekendBacklog),
            late_lane: on(Injection::LateLane),
            spike: on(Injection::WismoSpike),
            monday: on(Injection::MondaySurge),
            late_first: on(Injection::LateFirstOrderChurn),
            stockouts: on(Injection::Stockouts),
            vip: on(Injection::VipAtRisk),
            holds: on(Injection::HighRiskHolds),
        }
    }
}

#[derive(Debug)]
struct Product {
    sku: &'static str,
    name: &'static str,
    /// Unit price in US cents.
    cents: i64,
}

const fn product(sku: &'static str, name: &'static str, cents: i64) -> Product {
    Product { sku, name, cents }
}

/// Physical products, most popular first.
const CATALOG: [Product; 36] = [
    product("TEE-CLS-BLK", "Classic Tee - Black", 2400),
    product("TEE-CLS-WHT", "Classic Tee - White", 2400),
    product("SOCK-MER-3P", "Merino Socks 3-Pack", 2900),
    product("CAP-BSB-NVY", "Baseball Cap - Navy", 2200),
    product("BEAN-KNT-RED", "Knit Beanie - Red", 1900),
    product("LEG-ACT-BLK", "Active Leggings - Black", 5400),
    product("HOOD-ZIP-GRY", "Zip Hoodie - Grey", 6400),
    product("TOTE-CNV-NAT", "Canvas Tote", 1800),
    product("SWT-MER-NVY", "Merino Sweater - Navy", 8900),
    product("UND-BRF-3P", "Boxer Briefs 3-Pack", 3200),
    product("PNT-CHN-KHK", "Chino Pants - Khaki", 6900),
    product("SHRT-OXF-BLU", "Oxford Shirt - Blue", 5800),
    product("SHO-RUN-BLK", "Trail Runner - Black", 10900),
    product("SHO-SNK-WHT", "Canvas Sneaker - White", 6500),
    product("TEE-GRA-MTN", "Graphic Tee - Mountains", 2800),
    product("SOCK-ATH-6P", "Athletic Socks 6-Pack", 2100),
    product("JNS-SLM-IND", "Slim Jeans - Indigo", 7900),
    product("BELT-LTH-BRN", "Leather Belt - Brown", 3900),
    product("SCRF-WOL-GRY", "Wool Scarf - Grey", 3500),
    product("PLO-PIQ-NVY", "Pique Polo - Navy", 4500),
    product("BRA-ACT-GRY", "Sports Bra - Grey", 3600),
    product("SHRT-LIN-SND", "Linen Shirt - Sand", 6200),
    product("FLC-PUL-OAT", "Fleece Pullover - Oat", 7200),
    product("GLV-WOL-BLK", "Wool Gloves - Black", 2500),
    product("SHT-SWM-TEA", "Swim Shorts - Teal", 3800),
    product("DRS-WRP-GRN", "Wrap Dress - Green", 7900),
    product("JKT-RAIN-OLV", "Rain Jacket - Olive", 11900),
    product("SKT-DNM-IND", "Denim Skirt - Indigo", 4900),
    product("BTL-STL-750", "Steel Bottle 750ml", 2800),
    product("SUN-POL-TRT", "Polarized Sunglasses", 5900),
    product("WLT-LTH-BLK", "Leather Wallet - Black", 4500),
    product("VST-PUF-BLK", "Puffer Vest - Black", 9800),
    product("SHO-SLP-GRY", "Wool Slippers - Grey", 5500),
    product("CARE-WSH-250", "Wool Wash 250ml", 1200),
    product("LACE-WAX-2P", "Waxed Laces 2-Pair", 900),
    product("BAG-DFL-BLK", "Duffel Bag - Black", 9500),
];

/// Digital products (`requires_shipping = false`).
const GIFT_CARDS: [Product; 3] = [
    product("GIFT-25", "Gift Card $25", 2500),
    product("GIFT-50", "Gift Card $50", 5000),
    product("GIFT-100", "Gift Card $100", 10000),
];

/// P(an order has 1, 2, 3, 4 line items).
const ITEM_COUNTS: [f64; 4] = [0.66, 0.22, 0.09, 0.03];

/// Products that run out of stock under [`Injection::Stockouts`] (indices into [`CATALOG`]).
const STOCKOUT_PRODUCTS: [usize; 3] = [2, 6, 8];
/// Share of all orders the stockouts should cancel.
const STOCKOUT_TARGET: f64 = 0.05;
/// P(an order with an out-of-stock product is cancelled) while the product is out.
const STOCKOUT_CANCEL_P: f64 = 0.85;

/// Popularity of [`CATALOG`] products (Zipf-like), as a cumulative distribution.
struct Popularity {
    weights: Vec<f64>,
    cumulative: Vec<f64>,
}

impl Popularity {
    fn new() -> Self {
        let raw: Vec<f64> = (0..CATALOG.len())
            .map(|r| 1.0 / (r as f64 + 2.0).powf(1.3))
            .collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Popularity {
            weights,
            cumulative,
        }
    }

    fn draw(&self, rng: &mut impl Rng) -> usize {
        let x: f64 = rng.gen();
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(CATALOG.len() - 1)
    }

    /// Approximate P(an order contains `product`).
    fn order_share(&self, product: usize) -> f64 {
        let w = self.weights[product];
        ITEM_COUNTS
            .iter()
            .enumerate()
            .map(|(n, p)| p * (1.0 - (1.0 - w).powi(n as i32 + 1)))
            .sum()
    }
}

/// One product out of stock over `[from, to)` (local seconds).
#[derive(Debug, Clone, Copy)]
struct Stockout {
    product: usize,
    from: i64,
    to: i64,
}

/// The week of the WISMO spike: a FedEx hub closes on the week's Tuesday (the outage day).
/// Parcels handed over in `[outage - 4 d, outage + 1 d)` (in transit then, or handed over that
/// day) arrive 5 days late, and their customers, told of the delay by a tracking exception,
/// write on the outage day (60%) or the day after.
#[derive(Debug, Clone, Copy)]
struct Spike {
    week_start: i64,
}

impl Spike {
    const DELAY_DAYS: i64 = 5;
    const CARRIER: Carrier = Carrier::Fedex;
    /// P(WISMO ticket) for a delayed parcel: seven in ten customers ask, told of a 5-day delay
    /// by the exception scan, against 7% for a parcel a few days late with none
    /// ([`WismoCase::Late`]). At half, the demo store's outage gave 6 tickets on each of its two
    /// days, where about 0.8 are expected: raised against a Poisson tail, but not against a
    /// spread charged with its own uncertainty (see `analyze::wismo_spike::overdispersion`).
    const WISMO_P: f64 = 0.7;

    /// Start of the outage day (Tuesday).
    fn outage(&self) -> i64 {
        self.week_start + DAY
    }

    fn delays(&self, carrier: Carrier, shipped: i64) -> bool {
        carrier == Self::CARRIER
            && shipped >= self.outage() - 4 * DAY
            && shipped < self.outage() + DAY
    }
}

/// Everything fixed before the first order is simulated.
struct Setup {
    flags: Flags,
    window: Window,
    popularity: Popularity,
    stockouts: Vec<Stockout>,
    spike: Option<Spike>,
    /// [`Injection::VipAtRisk`]: lapsed regulars place no order in the last `lapse_days` days.
    lapse_days: i64,
}

impl Setup {
    fn new(flags: Flags, window: Window, streams: &Streams) -> Self {
        let popularity = Popularity::new();
        let mut rng = streams.get(D_SETUP, 0);
        let stockouts = if flags.stockouts {
            stockouts(&mut rng, &window, &popularity)
        } else {
            Vec::new()
        };
        let spike = flags.spike.then(|| spike_week(&window));
        let lapse_days = if window.days >= 300 {
            120
        } else {
            (window.days as f64 * 0.4).round() as i64
        };
        Setup {
            flags,
            window,
            popularity,
            stockouts,
            spike,
            lapse_days,
        }
    }

    fn lapse_at(&self) -> i64 {
        self.window.cutoff - self.lapse_days * DAY
    }

    /// The out-of-stock entry (index into [`STOCKOUT_PRODUCTS`]) hitting `product` at `t`.
    fn stockout_of(&self, product: usize, t: i64) -> Option<usize> {
        self.stockouts
            .iter()
            .position(|s| s.product == product && t >= s.from && t < s.to)
    }
}

/// One contiguous out-of-stock period per product, long enough that together they cancel
/// about [`STOCKOUT_TARGET`] of all orders.
fn stockouts(rng: &mut impl Rng, window: &Window, popularity: &Popularity) -> Vec<Stockout> {
    let per_product = STOCKOUT_TARGET / STOCKOUT_PRODUCTS.len() as f64;
    STOCKOUT_PRODUCTS
        .iter()
        .map(|&product| {
            let fraction =
                (per_product / (popularity.order_share(product) * STOCKOUT_CANCEL_P)).min(0.9);
            let length = (fraction * window.days as f64 * DAY as f64) as i64;
            let latest_start = (window.cutoff - length - 3 * DAY).max(window.start + 3 * DAY);
            let from = between(rng, window.start + 3 * DAY, latest_start + 1);
            Stockout {
                product,
                from,
                to: from + length,
            }
        })
        .collect()
}

/// The Monday starting the spike week: ~55% into the window, at least 3 weeks before its end.
fn spike_week(window: &Window) -> Spike {
    let target = (window.start_day() + window.days * 55 / 100).min(window.cutoff_day() - 21);
    let monday = target + (7 - weekday(target)) % 7;
    Spike {
        week_start: monday * DAY,
    }
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the order schedule (who orders when), kept in memory and sorted by time
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Buys once.
    OneTimer,
    /// Comes back once or a few times.
    Occasional,
    /// Orders every ~30 days until the end of the window.
    Regular,
    /// [`Injection::VipAtRisk`]: ordered every ~30 days, then stopped.
    ExRegular,
}

const P_REGULAR: f64 = 0.05;
const P_OCCASIONAL: f64 = 0.28;
/// Share of customers turned into lapsed regulars by [`Injection::VipAtRisk`].
const P_EX_REGULAR: f64 = 0.03;
/// Baseline P(an order's carrier misses the promise).
const P_LATE: f64 = 0.025;
/// Extra share of first orders made late by [`Injection::LateFirstOrderChurn`].
const P_FORCED_LATE_FIRST: f64 = 0.026;
/// P(coming back) after a late first order under [`Injection::LateFirstOrderChurn`].
const LATE_FIRST_REPEAT: f64 = 0.08;

const TEST_CUSTOMER: u32 = u32::MAX;

/// One order to be placed: when, by whom, and whether its carrier will be late.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Placement time (local seconds).
    t: i64,
    /// Internal customer index, or [`TEST_CUSTOMER`].
    cust: u32,
    /// 0 for the customer's first order, then 1, 2, ... (test orders: their own counter).
    seq: u32,
    /// The carrier will miss the promise.
    late: bool,
}

struct Plan {
    /// Orders sorted by placement time; order id = 1001 + index.
    slots: Vec<Slot>,
    /// Per internal customer index.
    kinds: Vec<Kind>,
    /// Public customer number (`C00001` = 1) per internal index, numbered by first order.
    numbers: Vec<u32>,
    /// Per slot: placement time of the same customer's next order (`i64::MAX` if none).
    next_order: Vec<i64>,
    /// First orders made late by [`Injection::LateFirstOrderChurn`] (beyond the baseline).
    forced_late_first: usize,
}

struct NewCustomer {
    kind: Kind,
    first_late: bool,
    forced_late: bool,
    /// Uniform draw that picks Regular vs Occasional for a late-first repeater.
    u_regular: f64,
}

fn plan_store(orders: usize, setup: &Setup, streams: &Streams) -> Plan {
    let n_test = orders / 500;
    let target = orders - n_test;
    let mut slots: Vec<Slot> = Vec::with_capacity(orders + 64);
    let mut kinds = Vec::new();
    let mut repeat_credit = [0.0; 2];
    let mut forced_late_first = 0;
    while slots.len() < target {
        let idx = kinds.len() as u32;
        let mut rng = streams.get(D_CUSTOMER, idx as u64);
        let mut customer = draw_customer(&mut rng, setup);
        let end = match customer.kind {
            Kind::ExRegular => setup.lapse_at() - rng.gen_range(0..10 * DAY),
            _ => setup.window.cutoff,
        };
        let first = first_order_time(&mut rng, &setup.window, customer.kind, end);
        if customer.first_late && customer.kind != Kind::ExRegular {
            let eligible = first <= setup.window.cutoff - 90 * DAY;
            customer.kind = repeat_after_late_first(
                setup,
                &mut repeat_credit[eligible as usize],
                customer.u_regular,
            );
        }
        forced_late_first += customer.forced_late as usize;
        schedule_customer(&mut rng, idx, &customer, first, end, &mut slots);
        kinds.push(customer.kind);
    }
    slots.truncate(target);
    add_test_slots(&mut slots, n_test, setup, streams);
    slots.sort_unstable_by_key(|s| (s.t, s.cust, s.seq));
    let numbers = number_customers(&slots, kinds.len());
    let next_order = next_orders(&slots, kinds.len());
    Plan {
        slots,
        kinds,
        numbers,
        next_order,
        forced_late_first,
    }
}

/// Draws a customer's kind and whether the first order will be late.
fn draw_customer(rng: &mut impl Rng, setup: &Setup) -> NewCustomer {
    let (u_kind, u_ex, u_late, u_forced, u_regular): (f64, f64, f64, f64, f64) =
        (rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen());
    let mut kind = if u_kind < P_REGULAR {
        Kind::Regular
    } else if u_kind < P_REGULAR + P_OCCASIONAL {
        Kind::Occasional
    } else {
        Kind::OneTimer
    };
    if setup.flags.vip && u_ex < P_EX_REGULAR {
        kind = Kind::ExRegular;
    }
    let natural_late = u_late < P_LATE;
    let forced_late = setup.flags.late_first && !natural_late && u_forced < P_FORCED_LATE_FIRST;
    NewCustomer {
        kind,
        first_late: natural_late || forced_late,
        forced_late,
        u_regular,
    }
}

/// Kind of a customer whose first order is late. They come back at a fixed rate, assigned by
/// error diffusion (exact shares, no sampling noise; one credit per 90-day eligibility group):
/// the baseline rate when healthy, [`LATE_FIRST_REPEAT`] under the churn injection.
fn repeat_after_late_first(setup: &Setup, credit: &mut f64, u_regular: f64) -> Kind {
    let p_repeat = if setup.flags.late_first {
        LATE_FIRST_REPEAT
    } else {
        P_REGULAR + P_OCCASIONAL
    };
    *credit += p_repeat;
    if *credit < 1.0 {
        return Kind::OneTimer;
    }
    *credit -= 1.0;
    if u_regular < P_REGULAR / (P_REGULAR + P_OCCASIONAL) {
        Kind::Regular
    } else {
        Kind::Occasional
    }
}

/// Appends the customer's orders (in time order, the first at `first`, none at or after `end`).
fn schedule_customer(
    rng: &mut impl Rng,
    idx: u32,
    c: &NewCustomer,
    first: i64,
    end: i64,
    slots: &mut Vec<Slot>,
) {
    let late = c.first_late;
    slots.push(Slot {
        t: first,
        cust: idx,
        seq: 0,
        late,
    });
    let mut t = first;
    let mut seq = 1;
    while let Some(gap_days) = next_gap_days(rng, c.kind, seq) {
        let day = day_of(t + (gap_days * DAY as f64) as i64);
        let next = order_time_on(rng, day).max(t + HOUR);
        if next >= end {
            break;
        }
        let late = rng.gen_bool(P_LATE);
        slots.push(Slot {
            t: next,
            cust: idx,
            seq,
            late,
        });
        t = next;
        seq += 1;
    }
}

/// Days until the next order, or `None` when the customer stops.
fn next_gap_days(rng: &mut impl Rng, kind: Kind, seq: u32) -> Option<f64> {
    match kind {
        Kind::OneTimer => None,
        Kind::Occasional if seq == 1 => Some(lognormal(rng, 32.0, 0.6).max(2.0)),
        Kind::Occasional => rng
            .gen_bool(0.35)
            .then(|| lognormal(rng, 55.0, 0.6).max(5.0)),
        Kind::Regular | Kind::ExRegular => Some(lognormal(rng, 30.0, 0.25).max(10.0)),
    }
}

/// First order: uniform over the window; lapsed regulars start in the first 30% of their
/// active period so that they build a cadence before stopping.
fn first_order_time(rng: &mut impl Rng, window: &Window, kind: Kind, end: i64) -> i64 {
    let last_day = match kind {
        Kind::ExRegular => {
            window.start_day() + ((day_of(end) - window.start_day()) * 3 / 10).max(1)
        }
        _ => window.cutoff_day(),
    };
    loop {
        let day = rng.gen_range(window.start_day()..=last_day);
        let t = order_time_on(rng, day);
        if t >= window.start && t < window.cutoff {
            return t;
        }
    }
}

/// One test order per 500, spread over the window.
fn add_test_slots(slots: &mut Vec<Slot>, n_test: usize, setup: &Setup, streams: &Streams) {
    let window = &setup.window;
    let mut rng = streams.get(D_TEST_ORDER, 0);
    for i in 0..n_test {
        let t = loop {
            let day = rng.gen_range(window.start_day()..=window.cutoff_day());
            let t = order_time_on(&mut rng, day);
            if t >= window.start && t < window.cutoff {
                break t;
            }
        };
        slots.push(Slot {
            t,
            cust: TEST_CUSTOMER,
            seq: i as u32,
            late: false,
        });
    }
}

fn number_customers(slots: &[Slot], customers: usize) -> Vec<u32> {
    let mut numbers = vec![0u32; customers];
    let mut next = 1;
    for s in slots.iter().filter(|s| s.cust != TEST_CUSTOMER) {
        let n = &mut numbers[s.cust as usize];
        if *n == 0 {
            *n = next;
            next += 1;
        }
    }
    numbers
}

fn next_orders(slots: &[Slot], customers: usize) -> Vec<i64> {
    let mut next = vec![i64::MAX; slots.len()];
    let mut later = vec![i64::MAX; customers];
    for (i, s) in slots.iter().enumerate().rev() {
        if s.cust != TEST_CUSTOMER {
            next[i] = later[s.cust as usize];
            later[s.cust as usize] = s.t;
        }
    }
    next
}

// ---------------------------------------------------------------------------------------------
// Phase 2: simulate each order in time order
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Ups,
    Usps,
    Fedex,
}

impl Carrier {
    const ALL: [Carrier; 3] = [Carrier::Ups, Carrier::Usps, Carrier::Fedex];
    const SHARE: [f64; 3] = [0.40, 0.35, 0.25];

    fn name(self) -> &'static str {
        match self {
            Carrier::Ups => "UPS",
            Carrier::Usps => "USPS",
            Carrier::Fedex => "FedEx",
        }
    }

    fn service(self, express: bool) -> &'static str {
        match (self, express) {
            (Carrier::Ups, false) => "Ground",
            (Carrier::Ups, true) => "2nd Day Air",
            (Carrier::Usps, false) => "Ground Advantage",
            (Carrier::Usps, true) => "Priority Mail Express",
            (Carrier::Fedex, false) => "Ground",
            (Carrier::Fedex, true) => "2Day",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    fn name(self) -> &'static str {
        match self {
            Risk::Low => "Low",
            Risk::Medium => "Medium",
            Risk::High => "High",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelReason {
    ChangedMind,
    OutOfStock,
}

impl CancelReason {
    fn text(self) -> &'static str {
        match self {
            CancelReason::ChangedMind => "customer changed mind",
            CancelReason::OutOfStock => "out of stock",
        }
    }
}

/// Whether the carrier keeps the promise.
#[derive(Debug, Clone, Copy)]
enum Lateness {
    OnTime,
    /// Delivered this many days after the promised date (at least).
    Late(i64),
}

#[derive(Debug, Clone, Copy)]
struct Item {
    /// Index into [`CATALOG`], or into [`GIFT_CARDS`] when `gift_card`.
    product: usize,
    gift_card: bool,
    qty: i64,
}

impl Item {
    fn product(&self) -> &'static Product {
        if self.gift_card {
            &GIFT_CARDS[self.product]
        } else {
            &CATALOG[self.product]
        }
    }

    fn line_total(&self) -> i64 {
        self.product().cents * self.qty
    }
}

#[derive(Debug, Clone, Copy)]
struct Shipment {
    carrier: Carrier,
    tracking: u64,
    shipped: i64,
    delivered: Option<i64>,
}

/// One simulated order (all instants in local seconds, money in cents).
#[derive(Debug)]
struct Order {
    index: usize,
    id: u64,
    /// Public customer number; 0 for test orders.
    customer: u32,
    test: bool,
    vip_tag: bool,
    gift: bool,
    newsletter: bool,
    placed: i64,
    paid: i64,
    items: Vec<Item>,
    discount_code: &'static str,
    discount: i64,
    shipping: i64,
    tax: i64,
    refunded: i64,
    express: bool,
    digital: bool,
    risk: Risk,
    cancelled: Option<(i64, CancelReason)>,
    promise_day: Option<i64>,
    /// Shipments already handed to the carrier, in hand-over order.
    shipments: Vec<Shipment>,
    fully_shipped: bool,
    spike_delayed: bool,
    review: Option<(u8, i64)>,
}

impl Order {
    fn empty() -> Self {
        Order {
            index: 0,
            id: 0,
            customer: 0,
            test: false,
            vip_tag: false,
            gift: false,
            newsletter: false,
            placed: 0,
            paid: 0,
            items: Vec::with_capacity(4),
            discount_code: "",
            discount: 0,
            shipping: 0,
            tax: 0,
            refunded: 0,
            express: false,
            digital: false,
            risk: Risk::Low,
            cancelled: None,
            promise_day: None,
            shipments: Vec::with_capacity(2),
            fully_shipped: false,
            spike_delayed: false,
            review: None,
        }
    }

    fn reset(&mut self, index: usize, placed: i64) {
        let mut items = std::mem::take(&mut self.items);
        let mut shipments = std::mem::take(&mut self.shipments);
        items.clear();
        shipments.clear();
        *self = Order {
            index,
            id: 1001 + index as u64,
            placed,
            paid: placed,
            items,
            shipments,
            ..Order::empty()
        };
    }

    fn items_total(&self) -> i64 {
        self.items.iter().map(Item::line_total).sum()
    }

    /// Items after discount (Shopify's "Subtotal").
    fn subtotal(&self) -> i64 {
        self.items_total() - self.discount
    }

    fn total(&self) -> i64 {
        self.subtotal() + self.shipping + self.tax
    }

    /// When the order became fully fulfilled (gift cards: right after payment).
    fn fulfilled_at(&self) -> Option<i64> {
        if self.digital && self.cancelled.is_none() && !self.test {
            Some(self.paid + MINUTE)
        } else if self.fully_shipped {
            self.shipments.last().map(|s| s.shipped)
        } else {
            None
        }
    }

    fn first_shipped(&self) -> Option<i64> {
        self.shipments.first().map(|s| s.shipped)
    }

    /// When the last shipment was delivered, if every shipment was.
    fn delivered_at(&self) -> Option<i64> {
        if !self.fully_shipped || self.shipments.is_empty() {
            return None;
        }
        self.shipments
            .iter()
            .map(|s| s.delivered)
            .collect::<Option<Vec<i64>>>()?
            .into_iter()
            .max()
    }

    fn is_late(&self) -> bool {
        match (self.delivered_at(), self.promise_day) {
            (Some(d), Some(p)) => day_of(d) > p,
            _ => false,
        }
    }

    fn is_overdue(&self, window: &Window) -> bool {
        let open = self.cancelled.is_none()
            && !self.digital
            && !self.test
            && self.delivered_at().is_none();
        open && self.promise_day.is_some_and(|p| window.cutoff_day() > p)
    }

    fn status(&self) -> &'static str {
        if self.cancelled.is_some() {
            "cancelled"
        } else if self.digital {
            "fulfilled"
        } else if self.delivered_at().is_some() {
            "delivered"
        } else if self.fully_shipped {
            "shipped"
        } else if !self.shipments.is_empty() {
            "partially_shipped"
        } else {
            "paid"
        }
    }
}

/// Counts behind `truth.json`.
#[derive(Debug, Default)]
struct Tally {
    express_orders: usize,
    weekend_held: usize,
    risk_held: usize,
    lane_late: usize,
    spike_delayed: usize,
    spike_wismo: usize,
    /// WISMO tickets about parcels the spike's outage delayed (the planted ones).
    outage_wismo: usize,
    moved_tickets: usize,
    moved_order_tickets: usize,
    late_first_orders: usize,
    stockout_cancels: [usize; 3],
    lapsed_vip_orders: usize,
    lapsed_vip_customers: usize,
    forced_late_first: usize,
    shipped: usize,
    delivered: usize,
    late: usize,
    wismo_tickets: usize,
    tickets: usize,
}

struct Simulator<'a> {
    setup: &'a Setup,
    plan: &'a Plan,
    streams: &'a Streams,
    order: Order,
    tickets: Vec<Ticket>,
    tally: Tally,
    lapsed_seen: Vec<bool>,
    tz: &'a TzTable,
    /// Tickets so far per UTC weekday, to keep the healthy weekday mix even.
    tickets_by_weekday: [usize; 7],
}

impl<'a> Simulator<'a> {
    fn new(setup: &'a Setup, plan: &'a Plan, streams: &'a Streams, tz: &'a TzTable) -> Self {
        let lapsed_seen = if setup.flags.vip {
            vec![false; plan.kinds.len()]
        } else {
            Vec::new()
        };
        Simulator {
            setup,
            plan,
            streams,
            order: Order::empty(),
            tickets: Vec::with_capacity(plan.slots.len() / 16),
            tally: Tally {
                forced_late_first: plan.forced_late_first,
                ..Tally::default()
            },
            lapsed_seen,
            tz,
            tickets_by_weekday: [0; 7],
        }
    }

    /// Simulates the order at `index` of the schedule (order id 1001 + index).
    fn order(&mut self, index: usize) -> &Order {
        let slot = self.plan.slots[index];
        self.order.reset(index, slot.t);
        if slot.cust == TEST_CUSTOMER {
            self.test_order(slot);
        } else {
            self.customer_order(slot);
        }
        &self.order
    }

    /// A store-staff test order: $1 item, paid, never shipped, tagged `test`.
    fn test_order(&mut self, slot: Slot) {
        let mut rng = self.streams.get(D_TEST_ORDER, 1 + slot.seq as u64);
        let o = &mut self.order;
        o.test = true;
        o.paid = o.placed + rng.gen_range(5..60);
        o.items.push(Item {
            product: CATALOG.len() - 2,
            gift_card: false,
            qty: 1,
        });
        o.discount = o.items_total() - 100;
        o.discount_code = "STAFFTEST";
    }

    fn customer_order(&mut self, slot: Slot) {
        let mut rng = self
            .streams
            .get(D_ORDER, ((slot.cust as u64) << 20) | slot.seq as u64);
        let kind = self.plan.kinds[slot.cust as usize];
        let o = &mut self.order;
        o.customer = self.plan.numbers[slot.cust as usize];
        o.vip_tag = matches!(kind, Kind::Regular | Kind::ExRegular) && slot.seq >= 2;
        o.paid = o.placed + rng.gen_range(5..180);
        o.gift = rng.gen_bool(0.08);
        o.newsletter = rng.gen_bool(0.10);
        fill_basket(&mut rng, o, kind, &self.setup.popularity);
        o.risk = draw_risk(&mut rng, self.setup.flags.holds);
        if !o.digital {
            o.promise_day = Some(day_of(o.placed) + if o.express { 3 } else { 6 });
        }
        let ship_at = self.planned_ship(&mut rng);
        self.cancel(&mut rng, ship_at);
        if !self.order.digital && self.order.cancelled.is_none() {
            self.ship(&mut rng, slot, ship_at);
        }
        self.review_and_refund(&mut rng);
        self.count(slot, kind);
        self.order_tickets(&mut rng);
    }

    /// When the warehouse hands the (first) parcel to the carrier, before cancellations.
    fn planned_ship(&mut self, rng: &mut impl Rng) -> i64 {
        let flags = self.setup.flags;
        let o = &self.order;
        let fast = o.express && !flags.express_buried;
        let mut wait_h = if fast {
            lognormal(rng, 3.0, 0.6)
        } else {
            lognormal(rng, 16.0, 0.55)
        };
        let held = flags.holds && o.risk != Risk::Low && !o.digital;
        if held {
            wait_h *= rng.gen_range(3.0..5.0);
        }
        let mut ship = within_hours(rng, o.placed + hours(wait_h), 8, 20);
        let placed_day = day_of(o.placed);
        let weekend_hold = flags.weekend && !o.express && !o.digital && weekday(placed_day) >= 4;
        if weekend_hold {
            let monday = placed_day + 7 - weekday(placed_day);
            ship = ship.max(time_on(rng, monday, 12.0, 17.0));
        }
        self.tally.risk_held += held as usize;
        self.tally.weekend_held += weekend_hold as usize;
        ship
    }

    /// Customer cancellations (~1.5%) and, under [`Injection::Stockouts`], stock cancellations.
    fn cancel(&mut self, rng: &mut impl Rng, ship_at: i64) {
        let setup = self.setup;
        let o = &mut self.order;
        let (u_stock, u_mind): (f64, f64) = (rng.gen(), rng.gen());
        if o.digital {
            return;
        }
        let stock_hit = o
            .items
            .iter()
            .find_map(|i| setup.stockout_of(i.product, o.placed));
        let latest = (ship_at - 10 * MINUTE).max(o.placed + MINUTE);
        let cancel = match stock_hit {
            Some(k) if u_stock < STOCKOUT_CANCEL_P => Some((
                between(rng, o.placed + 2 * HOUR, o.placed + 26 * HOUR).min(latest),
                CancelReason::OutOfStock,
                k,
            )),
            _ if u_mind < 0.015 => {
                let at = o.placed + ((latest - o.placed) as f64 * rng.gen_range(0.1..0.9)) as i64;
                Some((at.max(o.placed + 5 * MINUTE), CancelReason::ChangedMind, 0))
            }
            _ => None,
        };
        if let Some((at, reason, k)) = cancel {
            if setup.window.seen(at).is_some() {
                o.cancelled = Some((at, reason));
                if reason == CancelReason::OutOfStock {
                    self.tally.stockout_cancels[k] += 1;
                }
            }
        }
    }

    /// Hands the order to a carrier (occasionally in two parcels) and delivers it.
    fn ship(&mut self, rng: &mut impl Rng, slot: Slot, ship_at: i64) {
        let setup = self.setup;
        let o = &mut self.order;
        let promise_day = o.promise_day.unwrap_or(day_of(o.placed) + 6);
        let carrier = Carrier::ALL[pick(rng, &Carrier::SHARE)];
        let lane_late = setup.flags.late_lane && carrier == Carrier::Usps && rng.gen_bool(0.40);
        let lateness = if lane_late {
            Lateness::Late(rng.gen_range(2..=4))
        } else if slot.late {
            Lateness::Late(1 + pick(rng, &[0.5, 0.3, 0.2]) as i64)
        } else {
            Lateness::OnTime
        };
        // 2% of multi-item orders ship in two parcels, the second 20-60 h after the first.
        let parcels = if o.items.len() >= 2 && rng.gen_bool(0.02) {
            2
        } else {
            1
        };
        let mut times = [ship_at; 2];
        if parcels == 2 {
            let second = ship_at + between(rng, 20 * HOUR, 60 * HOUR);
            times[1] = within_hours(rng, second, 8, 20);
        }
        for &shipped in &times[..parcels] {
            if setup.window.seen(shipped).is_none() {
                break;
            }
            let delayed = setup.spike.is_some_and(|s| s.delays(carrier, shipped));
            o.spike_delayed |= delayed;
            let delay = if delayed { Spike::DELAY_DAYS } else { 0 };
            let delivered = deliver(rng, shipped, o.express, promise_day, lateness, delay);
            let tracking = rng.gen();
            o.shipments.push(Shipment {
                carrier,
                tracking,
                shipped,
                delivered: setup.window.seen(delivered),
            });
        }
        o.fully_shipped = o.shipments.len() == parcels;
        if !o.shipments.is_empty() {
            self.tally.lane_late += lane_late as usize;
            self.tally.spike_delayed += o.spike_delayed as usize;
        }
    }

    /// Reviews on ~40% of delivered orders; returns refund one line on ~4%.
    fn review_and_refund(&mut self, rng: &mut impl Rng) {
        let window = self.setup.window;
        let o = &mut self.order;
        if o.cancelled.is_some() {
            o.refunded = o.total();
            return;
        }
        let Some(delivered) = o.delivered_at() else {
            return;
        };
        if rng.gen_bool(0.40) {
            let after = between(rng, DAY, 14 * DAY);
            let created = within_hours(rng, delivered + after, 7, 23);
            if window.seen(created).is_some() {
                let weights = if o.is_late() {
                    &REVIEW_LATE
                } else {
                    &REVIEW_ON_TIME
                };
                o.review = Some((1 + pick(rng, weights) as u8, created));
            }
        }
        if rng.gen_bool(0.04) {
            let line = o.items[rng.gen_range(0..o.items.len())];
            o.refunded = line.line_total().min(o.subtotal());
        }
    }

    fn count(&mut self, slot: Slot, kind: Kind) {
        let o = &self.order;
        let t = &mut self.tally;
        if !o.shipments.is_empty() {
            t.shipped += 1;
            t.express_orders += o.express as usize;
        }
        if o.delivered_at().is_some() && o.promise_day.is_some() {
            t.delivered += 1;
            t.late += o.is_late() as usize;
            t.late_first_orders += (slot.seq == 0 && o.is_late()) as usize;
        }
        if kind == Kind::ExRegular {
            t.lapsed_vip_orders += 1;
            let seen = &mut self.lapsed_seen[slot.cust as usize];
            t.lapsed_vip_customers += !*seen as usize;
            *seen = true;
        }
    }
}

/// Review score weights for 1..=5 stars.
const REVIEW_ON_TIME: [f64; 5] = [0.03, 0.03, 0.07, 0.25, 0.62];
const REVIEW_LATE: [f64; 5] = [0.05, 0.06, 0.12, 0.30, 0.47];

const DISCOUNT_CODES: [(&str, i64); 3] = [("WELCOME10", 10), ("SPRING15", 15), ("FRIENDS10", 10)];

/// Line items, discount, shipping fee and tax; 1% of orders are gift cards (digital).
fn fill_basket(rng: &mut impl Rng, o: &mut Order, kind: Kind, popularity: &Popularity) {
    o.digital = rng.gen_bool(0.01);
    if o.digital {
        o.items.push(Item {
            product: rng.gen_range(0..GIFT_CARDS.len()),
            gift_card: true,
            qty: 1,
        });
        return;
    }
    let extra_item = match kind {
        Kind::Regular => 0.4,
        Kind::ExRegular => 0.6,
        _ => 0.0,
    };
    let mut n = pick(rng, &ITEM_COUNTS) + 1;
    if rng.gen_bool(extra_item) {
        n = (n + 1).min(ITEM_COUNTS.len());
    }
    while o.items.len() < n {
        let product = popularity.draw(rng);
        if o.items.iter().all(|i| i.product != product) {
            let qty = 1 + pick(rng, &[0.90, 0.08, 0.02]) as i64;
            o.items.push(Item {
                product,
                gift_card: false,
                qty,
            });
        }
    }
    if rng.gen_bool(0.12) {
        let (code, pct) = DISCOUNT_CODES[rng.gen_range(0..DISCOUNT_CODES.len())];
        o.discount_code = code;
        o.discount = (o.items_total() * pct + 50) / 100;
    }
    o.express = rng.gen_bool(0.15);
    o.shipping = match (o.express, o.subtotal() >= 7500) {
        (true, _) => 1495,
        (false, true) => 0,
        (false, false) => 695,
    };
    o.tax = (o.subtotal() * 7 + 50) / 100;
}

fn draw_risk(rng: &mut impl Rng, holds: bool) -> Risk {
    let (medium, high) = if holds { (0.03, 0.01) } else { (0.015, 0.005) };
    let u: f64 = rng.gen();
    if u < high {
        Risk::High
    } else if u < high + medium {
        Risk::Medium
    } else {
        Risk::Low
    }
}

/// Delivery instant of a parcel handed over at `shipped`: natural transit (standard ~2.6 d,
/// express ~1.2 d), pulled onto the promised date when the carrier is on time, pushed past it
/// when late, plus `delay_days` of an incident.
fn deliver(
    rng: &mut impl Rng,
    shipped: i64,
    express: bool,
    promise_day: i64,
    lateness: Lateness,
    delay_days: i64,
) -> i64 {
    let transit_d = if express {
        lognormal(rng, 1.2, 0.3)
    } else {
        lognormal(rng, 2.6, 0.35)
    };
    let earliest = shipped + 4 * HOUR;
    let mut t = time_on(
        rng,
        day_of(shipped + (transit_d * DAY as f64) as i64),
        9.0,
        18.5,
    );
    if t < earliest {
        t = time_on(rng, day_of(earliest) + 1, 9.0, 18.5);
    }
    match lateness {
        Lateness::OnTime if day_of(t) > promise_day => {
            let on_promise = time_on(rng, promise_day, 9.0, 18.5);
            if on_promise >= earliest {
                t = on_promise;
            }
        }
        Lateness::OnTime => {}
        Lateness::Late(days) => t = t.max(time_on(rng, promise_day + days, 9.0, 18.5)),
    }
    t + delay_days * DAY
}

// ---------------------------------------------------------------------------------------------
// Support tickets
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    /// "Where is my order?"
    Wismo,
    Return,
    Exchange,
    Invoice,
    Address,
    Discount,
    Cancel,
    /// A question before buying, from someone who is not (yet) a customer.
    Presale,
}

impl Topic {
    /// Topics whose timing is loose (not tied to a delivery state).
    fn flexible(self) -> bool {
        matches!(
            self,
            Topic::Return | Topic::Exchange | Topic::Invoice | Topic::Discount | Topic::Presale
        )
    }

    fn tags(self) -> &'static [&'static str] {
        match self {
            Topic::Wismo => &["wismo", "where-is-my-order", "order-status, shipping"],
            Topic::Return => &["returns", "returns, refund"],
            Topic::Exchange => &["exchange", "sizing"],
            Topic::Invoice => &["billing", "invoice"],
            Topic::Address => &["address-change"],
            Topic::Discount => &["discount", "promo-code"],
            Topic::Cancel => &["cancellation"],
            Topic::Presale => &["presale", "product-question"],
        }
    }
}

/// How a ticket points at its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefStyle {
    /// `#1042` in the subject.
    Subject,
    /// Order number in the body only.
    Body,
    /// Only in the `order_id` column.
    Column,
    /// Nothing but the requester's email (only used when that order is the customer's latest
    /// one placed before the ticket, so that linking by email finds it).
    EmailOnly,
}

#[derive(Debug, Clone, Copy)]
struct Ticket {
    created: i64,
    first_response: Option<i64>,
    solved: Option<i64>,
    /// Order id, 0 when the ticket is about no order.
    order_id: u64,
    /// Public customer number, or visitor number when `visitor`.
    requester: u32,
    visitor: bool,
    topic: Topic,
    style: RefStyle,
    /// Random bits choosing the template variant, the reference wording and extras.
    variant: u32,
    channel: u8,
    tag: u8,
    csat: u8,
    placed_day: i64,
}

/// What is known about an order when its tickets are drawn.
struct TicketContext {
    order_id: u64,
    customer: u32,
    placed_day: i64,
    next_order: i64,
    /// The order missed its promise (delivered late, or overdue at the end of the data).
    late: bool,
}

impl<'a> Simulator<'a> {
    /// Draws the tickets an order gives rise to: WISMO (more likely when late or slow), and
    /// returns, exchanges, invoices, address changes, discount codes and cancellations.
    fn order_tickets(&mut self, rng: &mut impl Rng) {
        let window = self.setup.window;
        let o = &self.order;
        if o.test {
            return;
        }
        let late = o.is_late() || o.is_overdue(&window);
        let ctx = TicketContext {
            order_id: o.id,
            customer: o.customer,
            placed_day: day_of(o.placed),
            next_order: self.plan.next_order[o.index],
            late,
        };
        let mut drafts: Vec<(Topic, i64)> = Vec::new();
        if let Some(case) = wismo_case(o, &window) {
            // One independent draw per order, from the order's own WISMO stream: a day's WISMO
            // count is then a sum of independent chances, as noisy as a real store's (a
            // Poisson count), which the spike test must not mistake for a spike. Tickets spaced
            // evenly over the orders would make healthy stores quieter than real ones.
            let draw: f64 = self.streams.get(D_WISMO, o.id).gen();
            if draw < case.probability() {
                self.tally.outage_wismo += usize::from(case == WismoCase::Spike);
                drafts.push((
                    Topic::Wismo,
                    wismo_time(rng, o, case, &window, self.setup.spike),
                ));
            }
        }
        other_drafts(rng, o, &mut drafts);
        for (topic, created) in drafts {
            self.push_ticket(rng, topic, created, &ctx);
        }
    }

    fn push_ticket(&mut self, rng: &mut impl Rng, topic: Topic, created: i64, ctx: &TicketContext) {
        let window = self.setup.window;
        let mut created = within_hours(rng, created, 7, 23);
        if topic.flexible() {
            created = self.even_out_weekday(created);
        }
        // The spike week's WISMO tickets stay in it: the planted spike is what `truth.json`
        // names. (The draws that follow such a ticket see its own time, so a few later tickets
        // of the store differ from a store generated without this rule.)
        let in_spike = topic == Topic::Wismo
            && self
                .setup
                .spike
                .is_some_and(|s| created >= s.week_start && created < s.week_start + 7 * DAY);
        let moved = self.setup.flags.monday
            && in_weekend_evening(created)
            && rng.gen_bool(0.5)
            && !in_spike;
        if moved {
            let day = day_of(created);
            created = time_on(rng, day + 7 - weekday(day), 7.0, 12.0);
        }
        if window.seen(created).is_none() {
            return;
        }
        if moved {
            self.tally.moved_tickets += 1;
            self.tally.moved_order_tickets += (ctx.order_id != 0) as usize;
        }
        self.tickets_by_weekday[self.utc_weekday(created)] += 1;
        let (first_response, solved) = support_times(rng, created, &window);
        let style = if ctx.order_id == 0 {
            RefStyle::EmailOnly
        } else {
            match pick(rng, &[0.30, 0.25, 0.25, 0.20]) {
                0 => RefStyle::Subject,
                1 => RefStyle::Body,
                3 if created < ctx.next_order => RefStyle::EmailOnly,
                _ => RefStyle::Column,
            }
        };
        let csat = match solved {
            Some(_) if rng.gen_bool(0.45) => {
                let weights = if topic == Topic::Wismo && ctx.late {
                    &CSAT_UNHAPPY
                } else {
                    &CSAT_HAPPY
                };
                1 + pick(rng, weights) as u8
            }
            _ => 0,
        };
        let tags = topic.tags();
        let tag = if rng.gen_bool(if topic == Topic::Wismo { 0.35 } else { 0.5 }) {
            1 + rng.gen_range(0..tags.len()) as u8
        } else {
            0
        };
        self.tally.tickets += 1;
        self.tally.wismo_tickets += (topic == Topic::Wismo) as usize;
        self.tickets.push(Ticket {
            created,
            first_response,
            solved,
            order_id: ctx.order_id,
            requester: ctx.customer,
            visitor: ctx.order_id == 0,
            topic,
            style,
            variant: rng.gen(),
            channel: pick(rng, &[0.65, 0.20, 0.15]) as u8,
            tag,
            csat,
            placed_day: ctx.placed_day,
        });
    }

    fn utc_weekday(&self, t: i64) -> usize {
        weekday(day_of(self.tz.to_utc(t))) as usize
    }

    /// Delays a ticket whose timing is loose by up to 6 days when its (UTC) weekday already
    /// has clearly more tickets than the quietest one, so that small stores keep an even
    /// weekday mix (no weekday above 1.3/7 of tickets) without it being perfectly flat.
    fn even_out_weekday(&self, created: i64) -> i64 {
        let counts = &self.tickets_by_weekday;
        let total: usize = counts.iter().sum();
        let slack = (total / 70).max(2);
        let wd = self.utc_weekday(created);
        let least = counts.iter().copied().min().unwrap_or(0);
        if counts[wd] <= least + slack {
            return created;
        }
        let shift = (1..7).find(|k| counts[(wd + k) % 7] == least).unwrap_or(0) as i64;
        created + shift * DAY
    }

    /// Pre-sale questions from visitors (~0.4 per 100 orders), linked to no order.
    fn add_presale_tickets(&mut self) {
        let window = self.setup.window;
        let count = (self.plan.slots.len() as f64 * 0.004).round() as u32;
        for visitor in 1..=count {
            let mut rng = self.streams.get(D_PRESALE, visitor as u64);
            let day = rng.gen_range(window.start_day()..=window.cutoff_day());
            let created = order_time_on(&mut rng, day);
            let ctx = TicketContext {
                order_id: 0,
                customer: visitor,
                placed_day: day,
                next_order: 0,
                late: false,
            };
            self.push_ticket(&mut rng, Topic::Presale, created, &ctx);
        }
    }

    /// The tickets sorted by creation time (ticket ids follow this order).
    fn finish_tickets(&mut self) -> Vec<Ticket> {
        let mut tickets = std::mem::take(&mut self.tickets);
        tickets.sort_by_key(|t| t.created);
        self.tally.spike_wismo = self.setup.spike.map_or(0, |s| {
            tickets
                .iter()
                .filter(|t| {
                    t.topic == Topic::Wismo
                        && t.created >= s.week_start
                        && t.created < s.week_start + 7 * DAY
                })
                .count()
        });
        tickets
    }
}

const CSAT_HAPPY: [f64; 5] = [0.04, 0.05, 0.11, 0.30, 0.50];
const CSAT_UNHAPPY: [f64; 5] = [0.25, 0.25, 0.25, 0.15, 0.10];

/// Friday 18:00 to Sunday midnight (local): when Monday-surge tickets are deferred.
fn in_weekend_evening(t: i64) -> bool {
    let wd = weekday(day_of(t));
    wd >= 5 || (wd == 4 && secs_of_day(t) >= 18 * HOUR)
}

/// Why a customer might ask where the order is; each case has its own WISMO probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WismoCase {
    /// Parcel caught in the WISMO-spike delay.
    Spike,
    /// Delivered after the promise, or still undelivered past it.
    Late,
    /// Not late, but waited over 72 h before it shipped.
    Waiting,
    /// Shipped and on time.
    InTransit,
}

impl WismoCase {
    /// P(a WISMO ticket) for an order in this case.
    fn probability(self) -> f64 {
        match self {
            WismoCase::Spike => Spike::WISMO_P,
            WismoCase::Late => 0.07,
            WismoCase::Waiting => 0.01,
            WismoCase::InTransit => 0.0055,
        }
    }
}

fn wismo_case(o: &Order, window: &Window) -> Option<WismoCase> {
    if o.cancelled.is_some() || o.digital || o.test {
        return None;
    }
    let first_ship = o.first_shipped();
    let wait = first_ship.unwrap_or(window.cutoff) - o.placed;
    if o.spike_delayed {
        Some(WismoCase::Spike)
    } else if o.is_late() || o.is_overdue(window) {
        Some(WismoCase::Late)
    } else if wait > 72 * HOUR {
        Some(WismoCase::Waiting)
    } else {
        first_ship.map(|_| WismoCase::InTransit)
    }
}

/// When the customer writes: on the spike's outage day or the next, after the promised date,
/// while waiting for the order to ship, or while the parcel is in transit.
fn wismo_time(
    rng: &mut impl Rng,
    o: &Order,
    case: WismoCase,
    window: &Window,
    spike: Option<Spike>,
) -> i64 {
    let first_ship = o.first_shipped().unwrap_or(window.cutoff);
    let delivered = o.delivered_at();
    match (case, spike) {
        (WismoCase::Spike, Some(sp)) => {
            // Most write on the outage day, when the exception scan shows, the others the day
            // after; once the parcel has left (a parcel handed over on the outage day gets its
            // scan a few hours later). Before 23:00, after which a ticket would be moved into
            // the next day's waking hours.
            let day = sp.outage() + if rng.gen_bool(0.6) { 0 } else { DAY };
            between(rng, day.max(first_ship + 4 * HOUR), day + 23 * HOUR)
        }
        (WismoCase::Late, _) => {
            let promise_end = (o.promise_day.unwrap_or(day_of(o.placed) + 6) + 1) * DAY;
            between(
                rng,
                promise_end + 8 * HOUR,
                delivered.unwrap_or(promise_end + 4 * DAY),
            )
        }
        (WismoCase::Waiting, _) => between(rng, o.placed + 48 * HOUR, first_ship),
        _ => between(
            rng,
            first_ship + 20 * HOUR,
            delivered.map_or(first_ship + 4 * DAY, |d| d - HOUR),
        ),
    }
}

/// Non-WISMO tickets of an order.
fn other_drafts(rng: &mut impl Rng, o: &Order, drafts: &mut Vec<(Topic, i64)>) {
    let draws: [f64; 6] = rng.gen();
    if let Some((at, reason)) = o.cancelled {
        if reason == CancelReason::ChangedMind && draws[0] < 0.3 {
            drafts.push((Topic::Cancel, between(rng, o.placed, at)));
        }
        return;
    }
    if let Some(d) = o.delivered_at() {
        if draws[1] < 0.012 {
            drafts.push((Topic::Return, d + between(rng, 2 * DAY, 20 * DAY)));
        }
        if draws[2] < 0.007 {
            drafts.push((Topic::Exchange, d + between(rng, DAY, 10 * DAY)));
        }
    }
    if !o.digital && draws[3] < 0.005 {
        drafts.push((
            Topic::Address,
            o.placed + between(rng, 10 * MINUTE, 5 * HOUR),
        ));
    }
    if draws[4] < 0.006 {
        drafts.push((Topic::Invoice, o.placed + between(rng, HOUR, 20 * DAY)));
    }
    if draws[5] < 0.006 {
        drafts.push((
            Topic::Discount,
            o.placed + between(rng, 5 * MINUTE, 2 * DAY),
        ));
    }
}

/// First response within support hours (08:00-20:00 local), solved some hours later;
/// ~10% stay open. Instants after the end of the data are left empty.
fn support_times(rng: &mut impl Rng, created: i64, window: &Window) -> (Option<i64>, Option<i64>) {
    let delay = hours(lognormal(rng, 2.0, 0.9).min(48.0));
    let response = within_hours(rng, created + delay, 8, 20);
    let solved = response + hours(lognormal(rng, 8.0, 1.0).min(240.0));
    let open = rng.gen_bool(0.10);
    let response = window.seen(response);
    let solved = if open || response.is_none() {
        None
    } else {
        window.seen(solved)
    };
    (response, solved)
}

// ---------------------------------------------------------------------------------------------
// Ticket text: English, Portuguese, Spanish, German and French templates
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Pt,
    Es,
    De,
    Fr,
}

/// A requester's language, stable per person: 60% en, 12% pt, 12% es, 8% de, 8% fr.
fn lang_of(requester: u32, visitor: bool) -> Lang {
    let h = mix(requester as u64 ^ if visitor { 0xABCD_0000_0000 } else { 0 }) % 100;
    match h {
        0..=59 => Lang::En,
        60..=71 => Lang::Pt,
        72..=83 => Lang::Es,
        84..=91 => Lang::De,
        _ => Lang::Fr,
    }
}

/// (subject, body, subject may carry a bare number). `{date}` = order date, `{zip}` = a ZIP code.
type Template = (&'static str, &'static str, bool);

fn templates(topic: Topic, lang: Lang) -> &'static [Template] {
    use Lang::*;
    use Topic::*;
    match (topic, lang) {
        (Wismo, En) => &[
            ("Where is my order?", "Hi, I placed an order on {date} and still haven't received it. Can you tell me where it is?", true),
            ("Tracking not updating", "Hi, the tracking for my package hasn't moved in days. Is it lost?", false),
            ("Package still not delivered", "It's been over a week and my package still hasn't been delivered. Any update?", false),
        ],
        (Wismo, Pt) => &[
            ("Onde está meu pedido?", "Olá, fiz um pedido em {date} e ainda não chegou. Onde está meu pedido?", true),
            ("Pedido não chegou", "Olá, o rastreamento não atualiza há dias e o pedido ainda não chegou. Podem verificar?", false),
        ],
        (Wismo, Es) => &[
            ("¿Dónde está mi pedido?", "Hola, hice un pedido el {date} y todavía no ha llegado. ¿Pueden revisar el seguimiento?", true),
            ("Mi pedido no ha llegado", "Hola, el seguimiento no se actualiza desde hace días. ¿Cuándo llega mi paquete?", false),
        ],
        (Wismo, De) => &[
            ("Wo ist meine Bestellung?", "Hallo, ich habe am {date} bestellt und das Paket ist noch nicht angekommen. Wo ist meine Bestellung?", true),
            ("Lieferung verspätet", "Hallo, die Sendungsverfolgung zeigt seit Tagen nichts Neues. Wann kommt mein Paket?", false),
        ],
        (Wismo, Fr) => &[
            ("Où est ma commande ?", "Bonjour, j'ai passé commande le {date} et je n'ai toujours rien reçu. Où est ma commande ?", true),
            ("Colis non livré", "Bonjour, le suivi de mon colis n'a pas bougé depuis plusieurs jours. Pouvez-vous vérifier ?", false),
        ],
        (Return, En) => &[("Return request", "Hi, I'd like to return the jacket I bought, it's too small. How do I get a refund?", false)],
        (Return, Pt) => &[("Devolução", "Olá, quero devolver a jaqueta, ficou pequena. Como faço para receber o reembolso?", false)],
        (Return, Es) => &[("Devolución", "Hola, quiero devolver la chaqueta, me queda pequeña. ¿Cómo obtengo el reembolso?", false)],
        (Return, De) => &[("Rücksendung", "Hallo, ich möchte die Jacke zurückgeben, sie ist zu klein. Wie bekomme ich eine Erstattung?", false)],
        (Return, Fr) => &[("Retour", "Bonjour, je voudrais retourner la veste, elle est trop petite. Comment obtenir un remboursement ?", false)],
        (Exchange, En) => &[("Size exchange", "The shoes run small. Can I exchange them for a bigger size?", false)],
        (Exchange, Pt) => &[("Troca de tamanho", "O tênis ficou pequeno. Posso trocar por um número maior?", false)],
        (Exchange, Es) => &[("Cambio de talla", "Las zapatillas me quedan pequeñas. ¿Puedo cambiarlas por una talla más?", false)],
        (Exchange, De) => &[("Umtausch Größe", "Die Schuhe sind zu klein. Kann ich sie gegen eine größere Größe tauschen?", false)],
        (Exchange, Fr) => &[("Échange de taille", "Les chaussures sont trop petites. Puis-je les échanger contre une taille au-dessus ?", false)],
        (Invoice, En) => &[("Invoice needed", "Could you send me an invoice with my company details for my purchase on {date}?", false)],
        (Invoice, Pt) => &[("Nota fiscal", "Podem enviar a nota fiscal da minha compra de {date}?", false)],
        (Invoice, Es) => &[("Factura", "¿Me pueden enviar la factura de mi compra del {date}?", false)],
        (Invoice, De) => &[("Rechnung", "Können Sie mir bitte eine Rechnung für meinen Einkauf vom {date} schicken?", false)],
        (Invoice, Fr) => &[("Facture", "Pouvez-vous m'envoyer la facture de mon achat du {date} ?", false)],
        (Address, En) => &[("Change address", "I made a typo in my address. The correct one is 14 Elm St, Apt 2, {zip}.", false)],
        (Address, Pt) => &[("Alterar endereço", "Errei o endereço. O correto é 120 Flower St, ZIP {zip}.", false)],
        (Address, Es) => &[("Cambiar dirección", "Me equivoqué en la dirección. La correcta es 52 Oak Ave, código postal {zip}.", false)],
        (Address, De) => &[("Adresse ändern", "Ich habe mich bei der Adresse vertippt. Richtig ist 9 Pine Rd, PLZ {zip}.", false)],
        (Address, Fr) => &[("Changement d'adresse", "Je me suis trompé d'adresse. La bonne est 3 Maple St, code postal {zip}.", false)],
        (Discount, En) => &[("Discount code didn't work", "I tried to use WELCOME10 at checkout but it wasn't applied. Can you refund the difference?", false)],
        (Discount, Pt) => &[("Cupom não funcionou", "Tentei usar o cupom WELCOME10 mas o desconto não foi aplicado.", false)],
        (Discount, Es) => &[("El cupón no funcionó", "Usé el código WELCOME10 pero no se aplicó el descuento.", false)],
        (Discount, De) => &[("Rabattcode funktioniert nicht", "Der Code WELCOME10 wurde an der Kasse nicht angewendet.", false)],
        (Discount, Fr) => &[("Code promo non appliqué", "J'ai utilisé le code WELCOME10 mais la réduction n'a pas été appliquée.", false)],
        (Cancel, En) => &[("Please cancel my order", "Hi, I changed my mind. Please cancel my order, thanks.", false)],
        (Cancel, Pt) => &[("Cancelar pedido", "Mudei de ideia, por favor cancelem meu pedido.", false)],
        (Cancel, Es) => &[("Cancelar pedido", "Cambié de opinión, por favor cancelen mi pedido.", false)],
        (Cancel, De) => &[("Bestellung stornieren", "Ich habe es mir anders überlegt, bitte stornieren Sie meine Bestellung.", false)],
        (Cancel, Fr) => &[("Annuler ma commande", "J'ai changé d'avis, merci d'annuler ma commande.", false)],
        (Presale, En) => &[("Question about sizes", "Do the merino sweaters run true to size? I'm usually a medium.", false)],
        (Presale, Pt) => &[("Dúvida sobre tamanhos", "As camisetas têm tamanho normal ou pequeno?", false)],
        (Presale, Es) => &[("Pregunta sobre tallas", "¿Las camisetas son de talla normal?", false)],
        (Presale, De) => &[("Frage zur Größe", "Fallen die Pullover normal aus?", false)],
        (Presale, Fr) => &[("Question sur les tailles", "Les pulls taillent-ils normalement ?", false)],
    }
}

/// Sentences that carry the order number in a body (`{n}` = the number).
fn body_refs(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "Order #{n}.",
            "My order number is {n}.",
            "(order {n})",
            "Ref: [#{n}]",
        ],
        Lang::Pt => &["Pedido #{n}.", "O número do pedido é {n}."],
        Lang::Es => &["Pedido #{n}.", "Mi número de pedido es {n}."],
        Lang::De => &["Bestellung #{n}.", "Meine Bestellnummer ist {n}."],
        Lang::Fr => &["Commande #{n}.", "Mon numéro de commande est {n}."],
    }
}

/// The order date as the customer would write it.
fn local_date_text(lang: Lang, day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    match lang {
        Lang::En => format!("{y:04}-{m:02}-{d:02}"),
        Lang::De => format!("{d:02}.{m:02}.{y:04}"),
        _ => format!("{d:02}/{m:02}/{y:04}"),
    }
}

/// `Where is my order?` -> `Where is my order #1042?`; other subjects get ` #1042` appended.
fn subject_with_ref(subject: &str, reference: &str) -> String {
    if let Some(head) = subject.strip_suffix(" ?") {
        format!("{head} {reference} ?")
    } else if let Some(head) = subject.strip_suffix('?') {
        format!("{head} {reference}?")
    } else {
        format!("{subject} {reference}")
    }
}

/// Subject and body of a ticket.
fn ticket_text(t: &Ticket) -> (String, String) {
    let lang = lang_of(t.requester, t.visitor);
    let options = templates(t.topic, lang);
    let (subject, body, bare_ok) = options[t.variant as usize % options.len()];
    let zip = customer_city(t.requester).2;
    let mut body = body
        .replace("{date}", &local_date_text(lang, t.placed_day))
        .replace("{zip}", &format!("{zip:05}"));
    let mut subject = subject.to_string();
    let n = t.order_id.to_string();
    match t.style {
        RefStyle::Subject => {
            let bare = bare_ok && (t.variant >> 8) & 3 == 0;
            let reference = if bare { n } else { format!("#{n}") };
            subject = subject_with_ref(&subject, &reference);
        }
        RefStyle::Body => {
            let refs = body_refs(lang);
            body.push(' ');
            body.push_str(&refs[(t.variant >> 10) as usize % refs.len()].replace("{n}", &n));
        }
        RefStyle::Column | RefStyle::EmailOnly => {}
    }
    match (t.variant >> 16) % 20 {
        0 => body.push_str(&format!(
            "\n\nCall me at (555) {:03}-{:04}",
            200 + (t.variant >> 4) % 700,
            t.variant % 10_000
        )),
        1 | 2 => body.push_str("\n\nSent from my iPhone"),
        _ => {}
    }
    (subject, body)
}

const FIRST_NAMES: [&str; 20] = [
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Lea",
    "Jonas", "Chloe", "Hugo", "Ana", "Diego", "Grace", "Leo", "Isabel", "Sam",
];
const LAST_NAMES: [&str; 20] = [
    "Smith", "Garcia", "Johnson", "Silva", "Brown", "Martinez", "Miller", "Müller", "Davis",
    "Lopez", "Wilson", "Dubois", "Moore", "Santos", "Taylor", "Schmidt", "Clark", "Moreau",
    "Lewis", "Costa",
];
/// (city, state, first ZIP of its range).
const CITIES: [(&str, &str, u32); 12] = [
    ("New York", "NY", 10001),
    ("Brooklyn", "NY", 11201),
    ("Boston", "MA", 2108),
    ("Philadelphia", "PA", 19102),
    ("Chicago", "IL", 60601),
    ("Austin", "TX", 73301),
    ("Miami", "FL", 33101),
    ("Denver", "CO", 80202),
    ("Seattle", "WA", 98101),
    ("Los Angeles", "CA", 90001),
    ("Atlanta", "GA", 30303),
    ("Portland", "OR", 97201),
];

/// (city, state, ZIP) of a customer, stable per customer number.
fn customer_city(customer: u32) -> (&'static str, &'static str, u32) {
    let h = mix(customer as u64 ^ 0xC17);
    let (city, state, zip) = CITIES[(h % CITIES.len() as u64) as usize];
    (city, state, zip + ((h >> 20) % 40) as u32)
}

fn customer_name(customer: u32) -> String {
    let h = mix(customer as u64 ^ 0x4E4D);
    let first = FIRST_NAMES[(h % 20) as usize];
    let last = LAST_NAMES[((h >> 16) % 20) as usize];
    format!("{first} {last}")
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

type CsvOut = csv::Writer<BufWriter<File>>;

fn open_csv(path: &Path, header: &[&str]) -> io::Result<CsvOut> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(file);
    w.write_record(header)?;
    Ok(w)
}

fn end_row(w: &mut CsvOut) -> io::Result<()> {
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

const ORDERS_HEADER: [&str; 18] = [
    "order_id",
    "customer_id",
    "email",
    "placed_at",
    "paid_at",
    "fulfilled_at",
    "cancelled_at",
    "status",
    "cancel_reason",
    "total",
    "refunded",
    "currency",
    "shipping_method",
    "promised_by",
    "risk_level",
    "tags",
    "requires_shipping",
    "test",
];
const LINE_ITEMS_HEADER: [&str; 5] = ["order_id", "sku", "product", "quantity", "unit_price"];
const SHIPMENTS_HEADER: [&str; 8] = [
    "order_id",
    "tracking_number",
    "carrier",
    "service",
    "shipped_at",
    "delivered_at",
    "status",
    "estimated_delivery_at",
];
const TICKETS_HEADER: [&str; 11] = [
    "ticket_id",
    "created_at",
    "first_response_at",
    "solved_at",
    "channel",
    "subject",
    "body",
    "tags",
    "email",
    "order_id",
    "csat",
];
const REVIEWS_HEADER: [&str; 3] = ["order_id", "score", "created_at"];
const SHOPIFY_HEADER: [&str; 43] = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Shipping Name",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Notes",
    "Cancelled at",
    "Payment Method",
    "Refunded Amount",
    "Vendor",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
];

const CHANNELS: [&str; 3] = ["email", "chat", "web"];

fn push_digits(buf: &mut Vec<u8>, v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    let mut v = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(tmp.len() - width.min(tmp.len()));
    buf.extend_from_slice(&tmp[start..]);
}

/// `YYYY-MM-DD{sep}HH:MM:SS` of wall-clock seconds.
fn push_datetime(buf: &mut Vec<u8>, secs: i64, sep: u8) {
    push_date(buf, day_of(secs));
    buf.push(sep);
    let sod = secs_of_day(secs) as u64;
    push_digits(buf, sod / 3600, 2);
    buf.push(b':');
    push_digits(buf, sod / 60 % 60, 2);
    buf.push(b':');
    push_digits(buf, sod % 60, 2);
}

fn push_date(buf: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_digits(buf, y as u64, 4);
    buf.push(b'-');
    push_digits(buf, m as u64, 2);
    buf.push(b'-');
    push_digits(buf, d as u64, 2);
}

/// Formats field values into one reusable buffer (no allocation per field).
struct Fmt<'a> {
    tz: &'a TzTable,
    buf: Vec<u8>,
}

impl<'a> Fmt<'a> {
    fn start(&mut self) -> &mut Vec<u8> {
        self.buf.clear();
        &mut self.buf
    }

    /// `2025-03-01T14:05:00Z`
    fn utc(&mut self, local: i64) -> &[u8] {
        let utc = self.tz.to_utc(local);
        let buf = self.start();
        push_datetime(buf, utc, b'T');
        buf.push(b'Z');
        &self.buf
    }

    fn opt_utc(&mut self, local: Option<i64>) -> &[u8] {
        match local {
            Some(t) => self.utc(t),
            None => b"",
        }
    }

    /// `2025-03-01 09:05:00 -0500` (New York wall clock and its offset at that instant).
    fn shopify(&mut self, local: i64) -> &[u8] {
        let utc = self.tz.to_utc(local);
        let offset = self.tz.offset_at_utc(utc) as i64;
        let buf = self.start();
        push_datetime(buf, utc + offset, b' ');
        buf.extend_from_slice(if offset < 0 { b" -" } else { b" +" });
        push_digits(buf, (offset.unsigned_abs()) / 3600, 2);
        push_digits(buf, (offset.unsigned_abs()) / 60 % 60, 2);
        &self.buf
    }

    fn opt_shopify(&mut self, local: Option<i64>) -> &[u8] {
        match local {
            Some(t) => self.shopify(t),
            None => b"",
        }
    }

    /// `2025-03-04`
    fn date(&mut self, day: Option<i64>) -> &[u8] {
        let buf = self.start();
        if let Some(day) = day {
            push_date(buf, day);
        }
        &self.buf
    }

    /// Cents as `12.34`.
    fn money(&mut self, cents: i64) -> &[u8] {
        let buf = self.start();
        if cents < 0 {
            buf.push(b'-');
        }
        push_digits(buf, cents.unsigned_abs() / 100, 1);
        buf.push(b'.');
        push_digits(buf, cents.unsigned_abs() % 100, 2);
        &self.buf
    }

    fn int(&mut self, v: u64) -> &[u8] {
        push_digits(self.start(), v, 1);
        &self.buf
    }

    /// `1001` (canonical) or `#1001` (Shopify stores).
    fn order_ref(&mut self, format: StoreFormat, id: u64) -> &[u8] {
        let buf = self.start();
        if format == StoreFormat::Shopify {
            buf.push(b'#');
        }
        push_digits(buf, id, 1);
        &self.buf
    }

    /// `C00042`
    fn customer_id(&mut self, customer: u32) -> &[u8] {
        let buf = self.start();
        buf.push(b'C');
        push_digits(buf, customer as u64, 5);
        &self.buf
    }

    /// `c00042@example.test`, `v00042@example.test` for visitors, `qa@example.test` for staff.
    fn email(&mut self, customer: u32, visitor: bool) -> &[u8] {
        let buf = self.start();
        if customer == 0 {
            buf.extend_from_slice(b"qa@example.test");
        } else {
            buf.push(if visitor { b'v' } else { b'c' });
            push_digits(buf, customer as u64, 5);
            buf.extend_from_slice(b"@example.test");
        }
        &self.buf
    }

    /// Carrier-shaped tracking number: UPS `1Z` + 16 characters, USPS 22 digits, FedEx 12 digits.
    fn tracking(&mut self, carrier: Carrier, v: u64) -> &[u8] {
        let buf = self.start();
        match carrier {
            Carrier::Ups => {
                buf.extend_from_slice(b"1Z");
                for half in [v, mix(v)] {
                    let mut x = half;
                    for _ in 0..8 {
                        buf.push(b"0123456789ABCDEFGHJKLMNPRSTUVWXY"[(x % 32) as usize]);
                        x /= 32;
                    }
                }
            }
            Carrier::Usps => {
                buf.extend_from_slice(b"9400");
                push_digits(buf, v % 1_000_000_000_000_000_000, 18);
            }
            Carrier::Fedex => push_digits(buf, v % 1_000_000_000_000, 12),
        }
        &self.buf
    }

    /// Order tags, comma-separated as Shopify writes them.
    fn tags(&mut self, o: &Order) -> &[u8] {
        let buf = self.start();
        let names = [
            (o.vip_tag, "vip"),
            (o.gift, "gift"),
            (o.newsletter, "newsletter"),
            (o.test, "test"),
        ];
        for (i, (_, name)) in names.iter().filter(|(on, _)| *on).enumerate() {
            if i > 0 {
                buf.extend_from_slice(b", ");
            }
            buf.extend_from_slice(name.as_bytes());
        }
        &self.buf
    }
}

fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

/// Open output files of one run.
struct Sinks<'a> {
    format: StoreFormat,
    dir: &'a Path,
    orders: CsvOut,
    line_items: Option<CsvOut>,
    shipments: CsvOut,
    reviews: CsvOut,
    fmt: Fmt<'a>,
}

impl<'a> Sinks<'a> {
    fn create(dir: &'a Path, format: StoreFormat, tz: &'a TzTable) -> io::Result<Self> {
        let (orders, line_items) = match format {
            StoreFormat::Canonical => (
                open_csv(&dir.join("orders.csv"), &ORDERS_HEADER)?,
                Some(open_csv(&dir.join("line_items.csv"), &LINE_ITEMS_HEADER)?),
            ),
            StoreFormat::Shopify => (
                open_csv(&dir.join("orders_export.csv"), &SHOPIFY_HEADER)?,
                None,
            ),
        };
        Ok(Sinks {
            format,
            dir,
            orders,
            line_items,
            shipments: open_csv(&dir.join("shipments.csv"), &SHIPMENTS_HEADER)?,
            reviews: open_csv(&dir.join("reviews.csv"), &REVIEWS_HEADER)?,
            fmt: Fmt {
                tz,
                buf: Vec::with_capacity(64),
            },
        })
    }

    fn write_order(&mut self, o: &Order) -> io::Result<()> {
        match (self.format, self.line_items.as_mut()) {
            (StoreFormat::Canonical, Some(items)) => {
                canonical_order(&mut self.orders, &mut self.fmt, o)?;
                canonical_items(items, &mut self.fmt, o)?;
            }
            _ => shopify_rows(&mut self.orders, &mut self.fmt, o)?,
        }
        for s in &o.shipments {
            shipment_row(&mut self.shipments, &mut self.fmt, self.format, o, s)?;
        }
        if let Some((score, created)) = o.review {
            let w = &mut self.reviews;
            w.write_field(self.fmt.order_ref(self.format, o.id))?;
            w.write_field(self.fmt.int(score as u64))?;
            w.write_field(self.fmt.utc(created))?;
            end_row(w)?;
        }
        Ok(())
    }

    /// Writes `tickets.csv`; ticket ids start at 50001 in creation order.
    fn write_tickets(&mut self, tickets: &[Ticket]) -> io::Result<()> {
        let mut w = open_csv(&self.dir.join("tickets.csv"), &TICKETS_HEADER)?;
        for (i, t) in tickets.iter().enumerate() {
            ticket_row(&mut w, &mut self.fmt, self.format, 50_001 + i as u64, t)?;
        }
        w.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.orders.flush()?;
        if let Some(items) = self.line_items.as_mut() {
            items.flush()?;
        }
        self.shipments.flush()?;
        self.reviews.flush()
    }
}

fn canonical_order(w: &mut CsvOut, f: &mut Fmt, o: &Order) -> io::Result<()> {
    w.write_field(f.int(o.id))?;
    w.write_field(if o.test {
        &b""[..]
    } else {
        f.customer_id(o.customer)
    })?;
    w.write_field(f.email(o.customer, false))?;
    w.write_field(f.utc(o.placed))?;
    w.write_field(f.utc(o.paid))?;
    w.write_field(f.opt_utc(o.fulfilled_at()))?;
    w.write_field(f.opt_utc(o.cancelled.map(|c| c.0)))?;
    w.write_field(o.status())?;
    w.write_field(o.cancelled.map_or("", |c| c.1.text()))?;
    w.write_field(f.money(o.total()))?;
    w.write_field(f.money(o.refunded))?;
    w.write_field("USD")?;
    w.write_field(shipping_method(o))?;
    w.write_field(f.date(o.promise_day))?;
    w.write_field(o.risk.name())?;
    w.write_field(f.tags(o))?;
    w.write_field(bool_text(!o.digital))?;
    w.write_field(bool_text(o.test))?;
    end_row(w)
}

fn shipping_method(o: &Order) -> &'static str {
    match (o.digital, o.express) {
        (true, _) => "",
        (false, true) => "Express",
        (false, false) => "Standard",
    }
}

fn canonical_items(w: &mut CsvOut, f: &mut Fmt, o: &Order) -> io::Result<()> {
    for item in &o.items {
        let p = item.product();
        w.write_field(f.int(o.id))?;
        w.write_field(p.sku)?;
        w.write_field(p.name)?;
        w.write_field(f.int(item.qty as u64))?;
        w.write_field(f.money(p.cents))?;
        end_row(w)?;
    }
    Ok(())
}

fn financial_status(o: &Order) -> &'static str {
    if o.cancelled.is_some() || (o.refunded > 0 && o.refunded >= o.total()) {
        "refunded"
    } else if o.refunded > 0 {
        "partially_refunded"
    } else {
        "paid"
    }
}

fn fulfillment_status(o: &Order) -> &'static str {
    if o.fulfilled_at().is_some() {
        "fulfilled"
    } else if !o.shipments.is_empty() {
        "partial"
    } else {
        "unfulfilled"
    }
}

/// One Shopify export row per line item; order-level fields only on the first row
/// (`Name`, `Email` and `Created at` are repeated, as Shopify does).
fn shopify_rows(w: &mut CsvOut, f: &mut Fmt, o: &Order) -> io::Result<()> {
    let (city, state, zip) = customer_city(o.customer);
    let name = if o.test {
        "Store Staff".to_string()
    } else {
        customer_name(o.customer)
    };
    let zip = format!("{zip:05}");
    let fulfilled_items = if o.fulfilled_at().is_some() {
        o.items.len()
    } else {
        o.shipments.len().min(1)
    };
    for (i, item) in o.items.iter().enumerate() {
        let first = i == 0;
        let p = item.product();
        w.write_field(f.order_ref(StoreFormat::Shopify, o.id))?;
        w.write_field(f.email(o.customer, false))?;
        w.write_field(if first { financial_status(o) } else { "" })?;
        w.write_field(if first { f.shopify(o.paid) } else { b"" })?;
        w.write_field(if first { fulfillment_status(o) } else { "" })?;
        w.write_field(if first {
            f.opt_shopify(o.fulfilled_at())
        } else {
            b""
        })?;
        w.write_field(if first {
            if o.newsletter {
                "yes"
            } else {
                "no"
            }
        } else {
            ""
        })?;
        w.write_field(if first { "USD" } else { "" })?;
        w.write_field(if first { f.money(o.subtotal()) } else { b"" })?;
        w.write_field(if first { f.money(o.shipping) } else { b"" })?;
        w.write_field(if first { f.money(o.tax) } else { b"" })?;
        w.write_field(if first { f.money(o.total()) } else { b"" })?;
        w.write_field(if first { o.discount_code } else { "" })?;
        w.write_field(if first && o.discount > 0 {
            f.money(o.discount)
        } else {
            b""
        })?;
        w.write_field(if first { shipping_method(o) } else { "" })?;
        w.write_field(f.shopify(o.placed))?;
        w.write_field(f.int(item.qty as u64))?;
        w.write_field(p.name)?;
        w.write_field(f.money(p.cents))?;
        w.write_field("")?;
        w.write_field(p.sku)?;
        w.write_field(bool_text(!item.gift_card))?;
        w.write_field("true")?;
        w.write_field(if i < fulfilled_items {
            "fulfilled"
        } else {
            "pending"
        })?;
        w.write_field(first_only(first, name.as_bytes()))?;
        w.write_field(first_only(first, city.as_bytes()))?;
        w.write_field(first_only(first, zip.as_bytes()))?;
        w.write_field(first_only(first, state.as_bytes()))?;
        w.write_field(first_only(first, b"US"))?;
        let ships = first && !o.digital;
        w.write_field(if ships { name.as_bytes() } else { b"" })?;
        w.write_field(if ships { city.as_bytes() } else { b"" })?;
        w.write_field(if ships { zip.as_bytes() } else { b"" })?;
        w.write_field(if ships { state.as_bytes() } else { b"" })?;
        w.write_field(if ships { &b"US"[..] } else { b"" })?;
        w.write_field("")?;
        w.write_field(if first {
            f.opt_shopify(o.cancelled.map(|c| c.0))
        } else {
            b""
        })?;
        w.write_field(if first { payment_method(o) } else { "" })?;
        w.write_field(if first { f.money(o.refunded) } else { b"" })?;
        w.write_field("Northwind Outfitters")?;
        w.write_field(if first {
            f.int(5_200_000_000_000 + o.id * 17)
        } else {
            b""
        })?;
        w.write_field(if first { f.tags(o) } else { b"" })?;
        w.write_field(if first { o.risk.name() } else { "" })?;
        w.write_field(if first { "web" } else { "" })?;
        end_row(w)?;
    }
    Ok(())
}

fn first_only(first: bool, v: &[u8]) -> &[u8] {
    if first {
        v
    } else {
        b""
    }
}

fn payment_method(o: &Order) -> &'static str {
    if o.test {
        "bogus"
    } else if mix(o.id).is_multiple_of(5) {
        "PayPal Express Checkout"
    } else {
        "Shopify Payments"
    }
}

fn shipment_row(
    w: &mut CsvOut,
    f: &mut Fmt,
    format: StoreFormat,
    o: &Order,
    s: &Shipment,
) -> io::Result<()> {
    w.write_field(f.order_ref(format, o.id))?;
    w.write_field(f.tracking(s.carrier, s.tracking))?;
    w.write_field(s.carrier.name())?;
    w.write_field(s.carrier.service(o.express))?;
    w.write_field(f.utc(s.shipped))?;
    w.write_field(f.opt_utc(s.delivered))?;
    w.write_field(if s.delivered.is_some() {
        "delivered"
    } else {
        "in_transit"
    })?;
    w.write_field(f.date(o.promise_day))?;
    end_row(w)
}

fn ticket_row(
    w: &mut CsvOut,
    f: &mut Fmt,
    format: StoreFormat,
    ticket_id: u64,
    t: &Ticket,
) -> io::Result<()> {
    let (subject, body) = ticket_text(t);
    let tags = t.topic.tags();
    w.write_field(f.int(ticket_id))?;
    w.write_field(f.utc(t.created))?;
    w.write_field(f.opt_utc(t.first_response))?;
    w.write_field(f.opt_utc(t.solved))?;
    w.write_field(CHANNELS[t.channel as usize % CHANNELS.len()])?;
    w.write_field(subject)?;
    w.write_field(body)?;
    w.write_field(if t.tag == 0 {
        ""
    } else {
        tags[(t.tag as usize - 1) % tags.len()]
    })?;
    w.write_field(f.email(t.requester, t.visitor))?;
    w.write_field(if t.style == RefStyle::Column {
        f.order_ref(format, t.order_id)
    } else {
        b""
    })?;
    w.write_field(if t.csat == 0 {
        &b""[..]
    } else {
        f.int(t.csat as u64)
    })?;
    end_row(w)
}

// ---------------------------------------------------------------------------------------------
// truth.json
// ---------------------------------------------------------------------------------------------

fn planted(injection: Injection, setup: &Setup, tally: &Tally) -> Planted {
    let (affected_orders, affected, also_raises, params) =
        injection_params(injection, setup, tally);
    let mut params = params;
    if let Value::Object(map) = &mut params {
        map.insert("injection".into(), json!(injection.name()));
        map.insert("affected".into(), json!(affected));
        map.insert("also_raises".into(), json!(also_raises));
    }
    Planted {
        snag: injection.snag_id().to_string(),
        affected_orders,
        params,
    }
}

/// (affected orders, what they are, side-effect snags, parameters) of one injection.
fn injection_params(
    injection: Injection,
    setup: &Setup,
    t: &Tally,
) -> (usize, &'static str, Vec<&'static str>, Value) {
    let date = |local: i64| {
        let (y, m, d) = civil_from_days(day_of(local));
        format!("{y:04}-{m:02}-{d:02}")
    };
    match injection {
        Injection::ExpressBuried => (
            t.express_orders,
            "shipped express orders",
            vec![],
            json!({"express_wait_h": "same distribution as standard (median ~16 h)", "express_share": 0.15}),
        ),
        Injection::WeekendBacklog => (
            t.weekend_held,
            "standard orders placed Fri-Sun (New York time) held until Monday",
            vec!["slow-fulfillment"],
            json!({"held_days": ["Fri", "Sat", "Sun"], "released": "Monday 12:00-17:00 America/New_York",
                   "express_exempt": true}),
        ),
        Injection::LateLane => (
            t.lane_late,
            "USPS orders delivered 2-4 days after the promise",
            vec!["wismo-load"],
            json!({"carrier": "USPS", "services": ["Ground Advantage", "Priority Mail Express"],
                   "late_share_of_carrier": 0.40, "days_late": [2, 4], "carrier_share": 0.35}),
        ),
        Injection::WismoSpike => {
            let s = setup.spike.map_or(0, |s| s.week_start);
            (
                t.spike_delayed,
                "FedEx orders delayed 5 days",
                vec![],
                json!({"carrier": Spike::CARRIER.name(), "week_start": date(s), "week_end": date(s + 6 * DAY),
                       "outage_day": date(s + DAY),
                       "handed_over_from": date(s - 3 * DAY), "handed_over_to": date(s + DAY),
                       "delay_days": Spike::DELAY_DAYS, "wismo_tickets_in_week": t.spike_wismo,
                       "outage_wismo_tickets": t.outage_wismo}),
            )
        }
        Injection::MondaySurge => (
            t.moved_order_tickets,
            "orders whose ticket was deferred from the weekend to Monday",
            vec![],
            json!({"moved_tickets": t.moved_tickets, "deferred_window": "Fri 18:00 - Sun 24:00 America/New_York",
                   "deferred_share": 0.5, "monday_share_target": 0.30}),
        ),
        Injection::LateFirstOrderChurn => (
            t.late_first_orders,
            "first orders delivered late",
            vec![],
            json!({"repeat_after_late_first_order": LATE_FIRST_REPEAT,
                   "repeat_after_on_time_first_order": ((P_REGULAR + P_OCCASIONAL) * 100.0).round() / 100.0,
                   "extra_late_first_order_share": P_FORCED_LATE_FIRST,
                   "first_orders_made_late": t.forced_late_first}),
        ),
        Injection::Stockouts => {
            let skus: Vec<Value> = setup
                .stockouts
                .iter()
                .zip(t.stockout_cancels)
                .map(|(s, n)| {
                    json!({"sku": CATALOG[s.product].sku, "from": date(s.from), "to": date(s.to),
                                     "cancelled_orders": n})
                })
                .collect();
            (
                t.stockout_cancels.iter().sum(),
                "orders cancelled with cancel_reason `out of stock`",
                vec![],
                json!({"skus": skus, "cancel_share_target": STOCKOUT_TARGET, "cancel_probability": STOCKOUT_CANCEL_P}),
            )
        }
        Injection::VipAtRisk => (
            t.lapsed_vip_orders,
            "orders of the regulars who lapsed",
            vec![],
            json!({"lapsed_customers": t.lapsed_vip_customers, "cadence_days": 30, "lapse_days": setup.lapse_days,
                   "share_of_top10_target": 0.30}),
        ),
        Injection::HighRiskHolds => (
            t.risk_held,
            "medium/high-risk orders held for review",
            vec![],
            json!({"risk_levels": ["Medium", "High"], "risk_share": 0.04, "wait_multiplier": [3, 5]}),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, Weekday};
    use std::collections::{BTreeMap, HashMap};
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("snagscan-gen-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn run(
        orders: usize,
        seed: u64,
        format: StoreFormat,
        inject: &[Injection],
        name: &str,
    ) -> (PathBuf, Truth) {
        let dir = scratch(name);
        let opts = GenerateOptions {
            orders,
            seed,
            format,
            inject: inject.to_vec(),
        };
        let truth = generate(&opts, &dir).expect("generate");
        (dir, truth)
    }

    fn ts(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        if s.is_empty() {
            return None;
        }
        chrono::DateTime::parse_from_rfc3339(s)
            .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z"))
            .ok()
    }

    fn hours_between(a: &str, b: &str) -> Option<f64> {
        Some((ts(b)? - ts(a)?).num_seconds() as f64 / 3600.0)
    }

    fn median(v: &mut [f64]) -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    fn read(dir: &Path, file: &str) -> Vec<HashMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.join(file)).expect("open csv");
        let headers = r.headers().expect("headers").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("record");
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    /// WISMO classifier used by the tests (keyword list, five languages).
    fn is_wismo(t: &HashMap<String, String>) -> bool {
        let text = format!("{} {} {}", t["subject"], t["body"], t["tags"]).to_lowercase();
        [
            "where is my order",
            "tracking",
            "not delivered",
            "wismo",
            "order-status",
            "onde está",
            "não chegou",
            "dónde está",
            "no ha llegado",
            "wo ist meine",
            "verspätet",
            "sendungsverfolgung",
            "où est ma commande",
            "non livré",
            "suivi",
        ]
        .iter()
        .any(|k| text.contains(k))
    }

    /// KPIs computed from a canonical store's CSVs the way SPEC sections 2-4 define them
    /// (store time zone assumed UTC, as snagscan does when none is given).
    #[derive(Debug, Default)]
    struct Kpis {
        orders: usize,
        shipped: usize,
        sla_breach_share: f64,
        express_over_standard: f64,
        weekend_over_weekday: f64,
        held_over_others: f64,
        late_share: f64,
        usps_late_share: f64,
        cancel_share: f64,
        stockout_share: f64,
        tickets_per_100_orders: f64,
        wismo_rate_per_100: f64,
        wismo_share: f64,
        max_weekday_ticket_share: f64,
        monday_ticket_share: f64,
        max_week_wismo_over_mean: f64,
        customers: usize,
        repeat_rate: f64,
        repeat_after_late_first: (usize, usize),
        repeat_after_on_time_first: (usize, usize),
        churn_z: f64,
        review_coverage: f64,
        review_gap_late_vs_on_time: f64,
        vip_at_risk_share: f64,
        vip_regulars_at_risk_share: f64,
    }

    fn kpis(dir: &Path) -> Kpis {
        let orders = read(dir, "orders.csv");
        let shipments = read(dir, "shipments.csv");
        let tickets = read(dir, "tickets.csv");
        let reviews = read(dir, "reviews.csv");
        let as_of = ts("2025-07-01T00:00:00Z").expect("as-of");
        let mut first_ship: HashMap<&str, String> = HashMap::new();
        let mut delivered: HashMap<&str, Option<String>> = HashMap::new();
        let mut carrier: HashMap<&str, &str> = HashMap::new();
        for s in &shipments {
            let id = s["order_id"].as_str();
            let e = first_ship
                .entry(id)
                .or_insert_with(|| s["shipped_at"].clone());
            if s["shipped_at"] < *e {
                *e = s["shipped_at"].clone();
            }
            let d = delivered.entry(id).or_insert_with(|| Some(String::new()));
            *d = match (d.take(), s["delivered_at"].as_str()) {
                (Some(prev), now) if !now.is_empty() => Some(if now > prev.as_str() {
                    now.to_string()
                } else {
                    prev
                }),
                _ => None,
            };
            carrier.insert(id, s["carrier"].as_str());
        }
        let live: Vec<&HashMap<String, String>> =
            orders.iter().filter(|o| o["test"] != "true").collect();
        let mut k = Kpis {
            orders: live.len(),
            ..Kpis::default()
        };
        let (mut waits, mut express, mut standard, mut weekend, mut weekday) =
            (vec![], vec![], vec![], vec![], vec![]);
        let (mut held, mut others) = (vec![], vec![]);
        let (mut n_delivered, mut n_late, mut usps, mut usps_late) = (0, 0, 0, 0);
        let mut late_orders: HashMap<&str, bool> = HashMap::new();
        for o in &live {
            let id = o["order_id"].as_str();
            if let Some(w) = first_ship
                .get(id)
                .and_then(|s| hours_between(&o["placed_at"], s))
            {
                waits.push(w);
                if o["shipping_method"] == "Express" {
                    express.push(w)
                } else {
                    standard.push(w)
                }
                let wd = ts(&o["placed_at"]).expect("placed").weekday();
                if matches!(wd, Weekday::Fri | Weekday::Sat | Weekday::Sun) {
                    weekend.push(w)
                } else {
                    weekday.push(w)
                }
                if o["risk_level"] == "Low" {
                    others.push(w)
                } else {
                    held.push(w)
                }
            }
            if let (Some(Some(d)), Ok(p)) = (
                delivered.get(id),
                NaiveDate::parse_from_str(&o["promised_by"], "%Y-%m-%d"),
            ) {
                let late = ts(d).expect("delivered").date_naive() > p;
                n_delivered += 1;
                n_late += late as usize;
                late_orders.insert(id, late);
                if carrier.get(id) == Some(&"USPS") {
                    usps += 1;
                    usps_late += late as usize;
                }
            }
        }
        k.shipped = waits.len();
        k.sla_breach_share =
            waits.iter().filter(|w| **w > 48.0).count() as f64 / waits.len().max(1) as f64;
        k.express_over_standard = median(&mut express) / median(&mut standard);
        k.weekend_over_weekday = median(&mut weekend) / median(&mut weekday);
        k.held_over_others = median(&mut held) / median(&mut others);
        k.late_share = n_late as f64 / n_delivered.max(1) as f64;
        k.usps_late_share = usps_late as f64 / usps.max(1) as f64;
        k.cancel_share =
            live.iter().filter(|o| o["status"] == "cancelled").count() as f64 / live.len() as f64;
        k.stockout_share = live
            .iter()
            .filter(|o| o["cancel_reason"] == "out of stock")
            .count() as f64
            / live.len() as f64;
        ticket_kpis(&mut k, &tickets);
        customer_kpis(&mut k, &live, &late_orders, as_of);
        let reviewed: HashMap<&str, f64> = reviews
            .iter()
            .map(|r| {
                (
                    r["order_id"].as_str(),
                    r["score"].parse::<f64>().unwrap_or(0.0),
                )
            })
            .collect();
        k.review_coverage = late_orders
            .keys()
            .filter(|id| reviewed.contains_key(*id))
            .count() as f64
            / n_delivered.max(1) as f64;
        let mean = |late: bool| {
            let v: Vec<f64> = late_orders
                .iter()
                .filter(|(_, l)| **l == late)
                .filter_map(|(id, _)| reviewed.get(id).copied())
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        k.review_gap_late_vs_on_time = mean(false) - mean(true);
        k
    }

    fn ticket_kpis(k: &mut Kpis, tickets: &[HashMap<String, String>]) {
        let mut by_weekday = [0usize; 7];
        let mut wismo_by_week: BTreeMap<i64, usize> = BTreeMap::new();
        let mut wismo = 0;
        for t in tickets {
            let created = ts(&t["created_at"]).expect("created");
            by_weekday[created.weekday().num_days_from_monday() as usize] += 1;
            if is_wismo(t) {
                wismo += 1;
                *wismo_by_week
                    .entry(created.timestamp().div_euclid(7 * DAY))
                    .or_default() += 1;
            }
        }
        let n = tickets.len().max(1) as f64;
        k.tickets_per_100_orders = tickets.len() as f64 * 100.0 / k.orders as f64;
        k.wismo_rate_per_100 = wismo as f64 * 100.0 / k.shipped.max(1) as f64;
        k.wismo_share = wismo as f64 / n;
        k.max_weekday_ticket_share = by_weekday.iter().copied().max().unwrap_or(0) as f64 / n;
        k.monday_ticket_share = by_weekday[0] as f64 / n;
        let weeks: Vec<usize> = wismo_by_week.values().copied().collect();
        let inner = &weeks[1..weeks.len().saturating_sub(1).max(1)];
        let mean = inner.iter().sum::<usize>() as f64 / inner.len().max(1) as f64;
        k.max_week_wismo_over_mean = inner.iter().copied().max().unwrap_or(0) as f64 / mean;
    }

    /// (placed at, order id, revenue) of one customer's orders.
    type CustomerOrders<'a> = Vec<(i64, &'a str, f64)>;

    fn customer_kpis(
        k: &mut Kpis,
        live: &[&HashMap<String, String>],
        late: &HashMap<&str, bool>,
        as_of: chrono::DateTime<chrono::FixedOffset>,
    ) {
        let mut by_customer: BTreeMap<&str, CustomerOrders> = BTreeMap::new();
        for o in live.iter().filter(|o| o["status"] != "cancelled") {
            let t = ts(&o["placed_at"]).expect("placed").timestamp();
            let revenue = o["total"].parse::<f64>().unwrap_or(0.0)
                - o["refunded"].parse::<f64>().unwrap_or(0.0);
            by_customer
                .entry(o["customer_id"].as_str())
                .or_default()
                .push((t, o["order_id"].as_str(), revenue));
        }
        k.customers = by_customer.len();
        let cutoff = as_of.timestamp() - 90 * DAY;
        let (mut eligible, mut repeated) = (0, 0);
        let (mut late_group, mut on_time_group) = ((0, 0), (0, 0));
        let mut second_gaps = vec![];
        for orders in by_customer.values_mut() {
            orders.sort_by_key(|o| o.0);
            let first = orders[0];
            let second = orders.iter().find(|o| o.0 > first.0);
            if let Some(s) = second {
                second_gaps.push((s.0 - first.0) as f64 / DAY as f64);
            }
            if first.0 > cutoff {
                continue;
            }
            let came_back = second.is_some_and(|s| s.0 - first.0 <= 90 * DAY);
            eligible += 1;
            repeated += came_back as usize;
            match late.get(first.1) {
                Some(true) => late_group = (late_group.0 + came_back as usize, late_group.1 + 1),
                Some(false) => {
                    on_time_group = (on_time_group.0 + came_back as usize, on_time_group.1 + 1)
                }
                None => {}
            }
        }
        k.repeat_rate = repeated as f64 / eligible.max(1) as f64;
        k.repeat_after_late_first = late_group;
        k.repeat_after_on_time_first = on_time_group;
        let (x1, n1, x2, n2) = (
            late_group.0 as f64,
            late_group.1 as f64,
            on_time_group.0 as f64,
            on_time_group.1 as f64,
        );
        let p = (x1 + x2) / (n1 + n2);
        k.churn_z = (x1 / n1 - x2 / n2) / (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
        second_gaps.sort_by(|a, b| a.total_cmp(b));
        let p90 = second_gaps
            .get(second_gaps.len() * 9 / 10)
            .copied()
            .unwrap_or(90.0);
        let mut revenue: Vec<(f64, &CustomerOrders)> = by_customer
            .values()
            .map(|v| (v.iter().map(|o| o.2).sum::<f64>(), v))
            .collect();
        revenue.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top = &revenue[..(revenue.len() / 10).max(1)];
        let at_risk = top
            .iter()
            .filter(|(_, v)| {
                let since = (as_of.timestamp() - v[v.len() - 1].0) as f64 / DAY as f64;
                let mut gaps: Vec<f64> = v
                    .windows(2)
                    .map(|w| (w[1].0 - w[0].0) as f64 / DAY as f64)
                    .collect();
                let limit = if gaps.is_empty() {
                    p90
                } else {
                    2.0 * median(&mut gaps)
                };
                since > limit
            })
            .count();
        k.vip_at_risk_share = at_risk as f64 / top.len() as f64;
        let regulars: Vec<_> = top.iter().filter(|(_, v)| v.len() >= 3).collect();
        let regulars_at_risk = regulars
            .iter()
            .filter(|(_, v)| {
                let since = (as_of.timestamp() - v[v.len() - 1].0) as f64 / DAY as f64;
                let mut gaps: Vec<f64> = v
                    .windows(2)
                    .map(|w| (w[1].0 - w[0].0) as f64 / DAY as f64)
                    .collect();
                since > 2.0 * median(&mut gaps)
            })
            .count();
        k.vip_regulars_at_risk_share = regulars_at_risk as f64 / regulars.len().max(1) as f64;
    }

    #[test]
    fn injection_names_round_trip() {
        for i in Injection::ALL {
            assert_eq!(i.name().parse::<Injection>(), Ok(i));
        }
        let err = "late-lanes".parse::<Injection>().expect_err("unknown name");
        assert!(
            err.contains("late-lane") && err.contains("high-risk-holds"),
            "{err}"
        );
        assert_eq!(Injection::LateLane.snag_id(), "late-delivery");
    }

    #[test]
    fn calendar_helpers_agree_with_chrono() {
        for day in [-1000i64, 0, 18_000, 20_089, 20_269] {
            let (y, m, d) = civil_from_days(day);
            let date = NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).expect("date");
            assert_eq!(days_from_civil(y, m, d), day);
            assert_eq!(weekday(day), date.weekday().num_days_from_monday() as i64);
        }
        let tz = TzTable::new(days_from_civil(2025, 3, 1), days_from_civil(2025, 3, 31));
        // 2025-03-09 01:30 EST = 06:30Z; 03:30 EDT = 07:30Z; the gap at 02:30 moves forward to 07:30Z.
        let day = days_from_civil(2025, 3, 9) * DAY;
        assert_eq!(tz.to_utc(day + hours(1.5)) - day, hours(6.5));
        assert_eq!(tz.to_utc(day + hours(3.5)) - day, hours(7.5));
        assert_eq!(tz.to_utc(day + hours(2.5)) - day, hours(7.5));
    }

    /// A generated store carries its clock and currency, the demo store's own settings.
    #[test]
    fn a_generated_store_names_its_time_zone() {
        let (dir, _) = run(300, 1, StoreFormat::Canonical, &[], "tz");
        let written = fs::read_to_string(dir.join("snagscan.toml")).expect("snagscan.toml");
        assert_eq!(
            written,
            "timezone = \"America/New_York\"\ncurrency = \"USD\"\n"
        );
        let demo = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-store/snagscan.toml"),
        )
        .expect("demo config");
        assert_eq!(written, demo);
    }

    #[test]
    fn same_options_give_identical_bytes() {
        for format in [StoreFormat::Canonical, StoreFormat::Shopify] {
            let inject = [
                Injection::WismoSpike,
                Injection::Stockouts,
                Injection::MondaySurge,
            ];
            let (a, _) = run(3_000, 7, format, &inject, &format!("det-a-{format:?}"));
            let (b, _) = run(3_000, 7, format, &inject, &format!("det-b-{format:?}"));
            let mut names: Vec<_> = fs::read_dir(&a)
                .expect("dir")
                .map(|e| e.expect("entry").file_name())
                .collect();
            names.sort();
            // The tables, truth.json and snagscan.toml.
            assert_eq!(
                names.len(),
                if format == StoreFormat::Canonical {
                    7
                } else {
                    6
                }
            );
            for name in names {
                let (x, y) = (
                    fs::read(a.join(&name)).expect("a"),
                    fs::read(b.join(&name)).expect("b"),
                );
                assert!(x == y, "{name:?} differs between runs");
            }
            let (c, _) = run(3_000, 8, format, &inject, &format!("det-c-{format:?}"));
            assert_ne!(
                fs::read(a.join("tickets.csv")).ok(),
                fs::read(c.join("tickets.csv")).ok(),
                "seed must matter"
            );
            for d in [a, b, c] {
                let _ = fs::remove_dir_all(d);
            }
        }
    }

    #[test]
    fn row_counts_and_shapes() {
        let (dir, truth) = run(2_345, 1, StoreFormat::Canonical, &[], "rows");
        assert_eq!(truth.orders, 2_345);
        let orders = read(&dir, "orders.csv");
        assert_eq!(orders.len(), 2_345);
        assert_eq!(orders.iter().filter(|o| o["test"] == "true").count(), 4);
        let ids: Vec<u64> = orders
            .iter()
            .map(|o| o["order_id"].parse().expect("id"))
            .collect();
        assert_eq!(ids, (1001..1001 + 2_345).collect::<Vec<u64>>());
        let header = fs::read_to_string(dir.join("orders.csv")).expect("orders");
        assert!(header.starts_with(&ORDERS_HEADER.join(",")));
        let items = read(&dir, "line_items.csv");
        assert!(items.len() > 2_345 && items.len() < 2_345 * 3);
        let json: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("truth.json")).expect("truth"))
                .expect("json");
        assert_eq!(json["orders"], 2_345);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn shopify_export_is_the_same_store() {
        let (canon, _) = run(2_000, 3, StoreFormat::Canonical, &[], "same-canon");
        let (shop, _) = run(2_000, 3, StoreFormat::Shopify, &[], "same-shop");
        let orders = read(&canon, "orders.csv");
        let rows = read(&shop, "orders_export.csv");
        let firsts: Vec<_> = rows
            .iter()
            .filter(|r| !r["Financial Status"].is_empty())
            .collect();
        assert_eq!(firsts.len(), orders.len());
        assert_eq!(rows.len(), read(&canon, "line_items.csv").len());
        for (o, r) in orders.iter().zip(&firsts) {
            assert_eq!(format!("#{}", o["order_id"]), r["Name"]);
            assert_eq!(
                ts(&o["placed_at"]),
                ts(&r["Created at"]),
                "same instant, other rendering"
            );
            assert_eq!(o["total"], r["Total"]);
        }
        let offsets: Vec<&str> = firsts.iter().map(|r| &r["Created at"][20..]).collect();
        assert!(
            offsets.contains(&"-0500") && offsets.contains(&"-0400"),
            "both EST and EDT appear"
        );
        let shipments = read(&shop, "shipments.csv");
        assert!(shipments.iter().all(|s| s["order_id"].starts_with('#')));
        for d in [canon, shop] {
            let _ = fs::remove_dir_all(d);
        }
    }

    #[test]
    fn healthy_store_stays_under_thresholds() {
        let (dir, truth) = run(5_000, 11, StoreFormat::Canonical, &[], "healthy");
        assert!(truth.planted.is_empty());
        let k = kpis(&dir);
        println!("{k:#?}");
        assert!(
            k.sla_breach_share < 0.10,
            "SLA breach share {}",
            k.sla_breach_share
        );
        assert!(k.late_share < 0.05, "late share {}", k.late_share);
        assert!(
            k.express_over_standard < 0.5,
            "express/standard {}",
            k.express_over_standard
        );
        assert!(
            k.weekend_over_weekday < 1.3,
            "weekend/weekday {}",
            k.weekend_over_weekday
        );
        assert!(
            k.held_over_others < 1.5,
            "held/others {}",
            k.held_over_others
        );
        assert!(
            k.wismo_rate_per_100 < 1.0 && k.wismo_rate_per_100 > 0.5,
            "WISMO rate {}",
            k.wismo_rate_per_100
        );
        assert!(
            k.max_weekday_ticket_share < 1.3 / 7.0,
            "weekday share {}",
            k.max_weekday_ticket_share
        );
        assert!(k.repeat_rate > 0.25, "repeat rate {}", k.repeat_rate);
        assert!(k.cancel_share < 0.02, "cancel share {}", k.cancel_share);
        assert!(
            k.review_coverage > 0.3,
            "review coverage {}",
            k.review_coverage
        );
        assert!(k.review_gap_late_vs_on_time < 1.0);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn express_buried_is_visible() {
        let (dir, truth) = run(
            5_000,
            11,
            StoreFormat::Canonical,
            &[Injection::ExpressBuried],
            "express",
        );
        assert_eq!(truth.planted[0].snag, "express-buried");
        assert!(truth.planted[0].affected_orders > 500);
        let k = kpis(&dir);
        assert!(
            k.express_over_standard >= 0.9,
            "express/standard {}",
            k.express_over_standard
        );
        assert!(k.sla_breach_share < 0.10);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn stockouts_are_visible() {
        let (dir, truth) = run(
            5_000,
            11,
            StoreFormat::Canonical,
            &[Injection::Stockouts],
            "stockouts",
        );
        let planted = &truth.planted[0];
        assert_eq!(planted.snag, "stockout-cancellations");
        let k = kpis(&dir);
        assert!(
            k.stockout_share > 0.035 && k.stockout_share < 0.07,
            "stockout share {}",
            k.stockout_share
        );
        let cancelled: Vec<String> = read(&dir, "orders.csv")
            .into_iter()
            .filter(|o| o["cancel_reason"] == "out of stock")
            .map(|o| o["order_id"].clone())
            .collect();
        assert_eq!(cancelled.len(), planted.affected_orders);
        let stock_skus: Vec<&str> = STOCKOUT_PRODUCTS.iter().map(|&p| CATALOG[p].sku).collect();
        let items = read(&dir, "line_items.csv");
        let hit = cancelled
            .iter()
            .filter(|id| {
                items
                    .iter()
                    .any(|i| &i["order_id"] == *id && stock_skus.contains(&i["sku"].as_str()))
            })
            .count();
        assert_eq!(
            hit,
            cancelled.len(),
            "every stock cancellation holds one of the 3 SKUs"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn late_first_orders_churn() {
        let (dir, truth) = run(
            10_000,
            5,
            StoreFormat::Canonical,
            &[Injection::LateFirstOrderChurn],
            "churn",
        );
        assert!(
            truth.planted[0].affected_orders >= 300,
            "{:?}",
            truth.planted[0]
        );
        let k = kpis(&dir);
        let (late, on_time) = (k.repeat_after_late_first, k.repeat_after_on_time_first);
        let rate = |g: (usize, usize)| g.0 as f64 / g.1 as f64;
        assert!(
            rate(late) < 0.15 && rate(on_time) > 0.25,
            "late {late:?} on time {on_time:?}"
        );
        assert!(k.churn_z < -3.0, "z {}", k.churn_z);
        assert!(k.late_share < 0.05, "late share {}", k.late_share);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn events_are_ordered_and_inside_the_window() {
        let (dir, _) = run(
            4_000,
            9,
            StoreFormat::Canonical,
            &Injection::ALL,
            "invariants",
        );
        let end = ts("2025-07-01T00:00:00Z").expect("end");
        let before = |a: &str, b: &str| a.is_empty() || b.is_empty() || ts(a) <= ts(b);
        let orders = read(&dir, "orders.csv");
        let placed: HashMap<&str, &str> = orders
            .iter()
            .map(|o| (o["order_id"].as_str(), o["placed_at"].as_str()))
            .collect();
        for o in &orders {
            for col in ["placed_at", "paid_at", "fulfilled_at", "cancelled_at"] {
                assert!(
                    ts(&o[col]).is_none_or(|t| t < end),
                    "{col} after the end: {o:?}"
                );
            }
            assert!(
                before(&o["placed_at"], &o["paid_at"])
                    && before(&o["placed_at"], &o["fulfilled_at"]),
                "{o:?}"
            );
            assert!(before(&o["placed_at"], &o["cancelled_at"]), "{o:?}");
            assert!(
                o["cancelled_at"].is_empty() || o["fulfilled_at"].is_empty(),
                "cancelled orders never ship: {o:?}"
            );
        }
        for s in read(&dir, "shipments.csv") {
            assert!(
                before(placed[s["order_id"].as_str()], &s["shipped_at"]),
                "{s:?}"
            );
            assert!(before(&s["shipped_at"], &s["delivered_at"]), "{s:?}");
            assert!(ts(&s["delivered_at"]).is_none_or(|t| t < end), "{s:?}");
        }
        for t in read(&dir, "tickets.csv") {
            assert!(
                before(&t["created_at"], &t["first_response_at"])
                    && before(&t["first_response_at"], &t["solved_at"])
            );
            assert!(
                ts(&t["created_at"]).is_some_and(|c| c < end)
                    && ts(&t["solved_at"]).is_none_or(|s| s < end)
            );
            if !t["order_id"].is_empty() {
                assert!(
                    before(placed[t["order_id"].as_str()], &t["created_at"]),
                    "{t:?}"
                );
            }
        }
        for r in read(&dir, "reviews.csv") {
            assert!(
                before(placed[r["order_id"].as_str()], &r["created_at"])
                    && ts(&r["created_at"]).is_some_and(|c| c < end)
            );
        }
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn tiny_stores_work() {
        for n in [0, 1, 7] {
            let (dir, truth) = run(
                n,
                2,
                StoreFormat::Shopify,
                &Injection::ALL,
                &format!("tiny-{n}"),
            );
            assert_eq!(truth.orders, n);
            assert_eq!(truth.planted.len(), Injection::ALL.len());
            let names: Vec<String> = read(&dir, "orders_export.csv")
                .into_iter()
                .map(|r| r["Name"].clone())
                .collect();
            let mut distinct = names.clone();
            distinct.dedup();
            assert_eq!(distinct.len(), n);
            let _ = fs::remove_dir_all(dir);
        }
    }
}
