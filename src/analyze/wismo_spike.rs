//! wismo-spike: a day whose WISMO ticket count, normalised by the orders shipped in the prior
//! 7 days and by weekday, has a modified z-score above `spike_z` (3.5) (SPEC section 4).
//!
//! Method (Iglewicz & Hoaglin 1993, modified z-score): per local day d, rate_d = WISMO tickets_d
//! / orders shipped on days d-7..d-1; a weekday factor = mean rate of that weekday / mean rate
//! of all days; adjusted_d = rate_d / factor. z_d = 0.6745 (adjusted_d - median) / MAD.
//! When the MAD is 0 (most days alike), the mean absolute deviation is used instead:
//! z_d = (adjusted_d - median) / (1.253314 x MeanAD). A spike also needs at least
//! `spike_min_tickets` (3) WISMO tickets that day, so that one ticket on a quiet day is not one,
//! and a count unlikely at the day's expected level: P(X >= count) below [`per_day_level`] =
//! `spike_false_alarm_rate` (0.05) / days tested, for a Poisson count of mean exposure_d x the
//! mean rate of its weekday. With a few tickets a day most rates are 0, the dispersion is tiny,
//! and any day of 3 gets a large z; the Poisson test asks whether the count itself is out of
//! the ordinary (over 300 days, 3 tickets where 0.5 are expected: p = 0.014, not a spike; 6:
//! p = 1.4e-5, a spike), and the division by the days tested keeps a store's chance of any
//! false spike day at or below 5% when the days' tails are right. When the days vary more than
//! a Poisson count ([`overdispersion`] of the other weeks above 1), the tail is a negative
//! binomial's of that spread, taken at the upper bound of its one-sided
//! `spike_spread_confidence` (0.95) interval: a store with few WISMO tickets a day measures its
//! spread poorly, and taken as measured it read low often enough that 10-15%
//! of such stores raised a false spike (0.2 a day, twice the Poisson variance). A day is scored
//! only when its exposure window lies within the days the orders cover, from the day by which
//! 1% of them were placed to the last.
//! Fewer than 14 scored days: not enough history, and the report says so. With two or three
//! weeks, a spike day makes up much of its weekday's mean, and little stands out.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::{
    affected, Analyzer, Context, Evidence, Finding, ImpactBasis, Outcome, RepeatDrop, Stage,
};
use crate::error::Result;
use crate::report::DailyCount;
use crate::schema as s;
use crate::stats;

pub const ANALYZER: Analyzer = Analyzer {
    id: "wismo-spike",
    stage: Stage::Support,
    description:
        "Days when where-is-my-order tickets jump beyond what shipping volume and weekday explain",
    automation: "carrier-delay alerts that notify customers before they ask",
    kpi: "wismo_spike_days",
    run,
};

/// Days of scored history needed (two weeks).
pub const MIN_HISTORY_DAYS: u64 = 14;

/// The level each tested day's tail is compared with: `spike_false_alarm_rate / tested`
/// (Bonferroni).
///
/// `spike_false_alarm_rate` bounds a store's chance of any false spike day over its `tested`
/// days (family-wise error rate), not a day's. Tested each at a fixed level, a healthy store's
/// 300-600 days turn up a "spike" more often than not: at 0.2 WISMO tickets a day a day of 3
/// has P = 0.0011, so 665 days show one with a chance of 1 - (1 - 0.0011)^665 = 0.53. Divided by
/// the days tested, the chance is at most the rate whatever the days' dependence (Dunn 1961),
/// provided each day's tail is right: its expected level, and the spread the days show
/// ([`overdispersion`]).
pub fn per_day_level(spike_false_alarm_rate: f64, tested: u64) -> f64 {
    spike_false_alarm_rate / tested.max(1) as f64
}

/// Per tested day, the spread (variance / mean) of the daily WISMO counts around it, at its
/// upper bound, and at least 1. The estimate is the quasi-Poisson dispersion: the Pearson
/// statistic X = sum (count - fitted)^2 / fitted over the m tested days outside the day's own
/// week (the 3 days before it, the day, the 3 after), divided by its degrees of freedom
/// (McCullagh and Nelder 1989, 4.5; the outbreak detection of Farrington et al. 1996 sets its
/// thresholds so, from a baseline that leaves out the weeks under test). `fitted` is the
/// model's level (exposure x the weekday's mean rate over all its days), which spends 7 of the
/// n days' degrees of freedom: the m days have df = m (n - 7) / n. The bound adds `z` (the
/// standard normal quantile of `spike_spread_confidence`: 1.645 for the default 0.95, 0 for
/// 0.5) standard errors of that estimate, sqrt(m s^2) / df, where s^2 is the sample variance of
/// the m days' Pearson terms.
///
/// Why a bound: the tail at a Bonferroni level is deep, and very sensitive to the spread. With
/// few tickets a day the estimate is noisy and skewed (a few days carry most of X): at 0.2 a
/// day with twice the Poisson variance it read 1.35-2.35 across stores, and P(X >= 8) at that
/// mean is 2.6e-4 at 2.0 but 5.9e-6 at 1.35, so 10-15% of such stores raised a false spike
/// with the estimate. The bound charges the estimate with its own uncertainty, which shrinks as
/// days and tickets grow; it costs some power on small stores.
///
/// A real store's days vary more than a Poisson count: a carrier's bad week, a promotion, the
/// weather. With a variance twice the mean, a test of a store's days against the Poisson tail
/// raises a false spike in most stores, however the days are counted (at 1 ticket a day, 7 on
/// a day has P = 0.00008 for a Poisson count and 0.0078 for such a one).
///
/// The day's own week is left out so that a spike of a few days does not widen the spread it
/// is judged against (a 3,000-order store's two planted days of 6 tickets added about 0.3 each
/// to the dispersion of its 113 days). The days `left_out`, the spikes already found (see
/// [`daily`]), are left out too: a day of 20 extra tickets in another week took a store's
/// spread from about 1 to 2.5-3 and hid a day of 6 extra. Only days found by the whole rule
/// are left out: leaving out every day whose Poisson tail is below the level read a varied
/// store's spread low (7 of 60 false alarms at twice the Poisson variance), and doing so again
/// at each new spread let the spread creep up until it took in the spike. Input: per day of
/// the calendar, in order, `(count, fitted)` when tested, else `None`, and whether it is left
/// out; output aligned with it.
pub fn overdispersion(days: &[Option<(u64, f64)>], left_out: &[bool], z: f64) -> Vec<Option<f64>> {
    let pearson: Vec<Option<f64>> = days
        .iter()
        .zip(left_out)
        .map(|(d, out)| d.filter(|_| !out).map(|(k, e)| (k as f64 - e).powi(2) / e))
        .collect();
    let total: f64 = pearson.iter().flatten().sum();
    let total_sq: f64 = pearson.iter().flatten().map(|x| x * x).sum();
    let n = days.iter().flatten().count() as f64;
    let kept = pearson.iter().flatten().count() as f64;
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            d.map(|_| {
                let week = &pearson[i.saturating_sub(3)..(i + 4).min(days.len())];
                let near: f64 = week.iter().flatten().sum();
                let near_sq: f64 = week.iter().flatten().map(|x| x * x).sum();
                let m = kept - week.iter().flatten().count() as f64;
                let df = m * (n - 7.0) / n;
                if df < 1.0 || m < 2.0 {
                    return 1.0;
                }
                let (sum, sum_sq) = (total - near, total_sq - near_sq);
                // The terms' sample variance; the statistic's standard error is sqrt(m x it).
                let variance = ((sum_sq - sum * sum / m) / (m - 1.0)).max(0.0);
                let standard_error = (m * variance).sqrt() / df;
                (sum / df + z * standard_error).max(1.0)
            })
        })
        .collect()
}

/// The daily WISMO series with its modified z-scores.
pub struct DailyWismo {
    /// One row per local day: `date` (Date), `wismo` (UInt32), `tickets` (UInt32, all the
    /// day's tickets, WISMO or not), `exposure` (Float64, orders shipped in the prior 7 days),
    /// `expected` (Float64, WISMO tickets expected: exposure x the weekday's mean rate; null
    /// when not scored), `z` (Float64, null when not scored), `p` (Float64,
    /// P(X >= wismo) at the day's expected level, null when not tested: a Poisson tail, or a
    /// negative binomial one when `spread` is above 1), `spread` (Float64, variance / mean of
    /// the other weeks' counts at its upper bound, at least 1, see [`overdispersion`]; null
    /// when not tested),
    /// `spike` (Boolean).
    pub days: DataFrame,
    /// Days with a z-score.
    pub scored: u64,
    /// Days with a Poisson (or negative binomial) test: scored, with an expected level above 0.
    pub tested: u64,
    /// Which dispersion the z-scores use: `mad`, `mean_absolute_deviation`, or `none`.
    pub dispersion: &'static str,
}

/// The store-calendar date (Date) of `instant`, a UTC Datetime expression.
fn local_date(instant: Expr, tz: chrono_tz::Tz) -> Expr {
    super::in_store_tz(instant, tz).dt().date()
}

/// The days `first` and `last` (aggregations of a day count, days since 1970-01-01) give over
/// `lf`; `None` when there are none.
fn day_range(lf: LazyFrame, first: Expr, last: Expr) -> Result<Option<(i32, i32)>> {
    let range = lf
        .select([
            first.cast(DataType::Int32).alias("lo"),
            last.cast(DataType::Int32).alias("hi"),
        ])
        .collect()?;
    Ok(range
        .column("lo")?
        .i32()?
        .get(0)
        .zip(range.column("hi")?.i32()?.get(0)))
}

/// Builds the daily series; `None` without a tickets table or tickets.
pub fn daily(ctx: &Context) -> Result<Option<DailyWismo>> {
    let Some(tickets) = &ctx.journeys.tickets else {
        return Ok(None);
    };
    let tz = ctx.config.read.timezone;
    let t = &ctx.config.thresholds;
    // A ticket at an implausible time (a mistyped year) is on no known day: left out, so that
    // the calendar does not run to it.
    let dated = tickets
        .clone()
        .lazy()
        .filter(ctx.journeys.known(s::CREATED_AT).is_not_null());
    let per_day = dated
        .clone()
        .group_by([local_date(col(s::CREATED_AT), tz).alias("date")])
        .agg([
            col("wismo")
                .cast(DataType::UInt32)
                .sum()
                .cast(DataType::UInt32)
                .alias("wismo"),
            len().cast(DataType::UInt32).alias("tickets"),
        ]);
    let shipped = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(col(s::SHIPPED_AT).is_not_null())
        .group_by([local_date(col(s::SHIPPED_AT), tz).alias("date")])
        .agg([len().cast(DataType::Float64).alias("shipped")]);
    let ticket_day = local_date(col(s::CREATED_AT), tz).cast(DataType::Int32);
    let Some((lo, hi)) = day_range(dated, ticket_day.clone().min(), ticket_day.max())? else {
        return Ok(None);
    };
    // The days the orders cover: a day's exposure (the 7 days before it) is whole only within
    // them. In a ticket export's first week, orders shipped before the orders' export began
    // are missing from the exposure, and a handful of tickets would read as a spike against
    // an expected level near 0; after the orders end, likewise. They start on the day by which
    // 1% of the orders were placed: a few stray old orders (an export filtered by update date
    // holds some) do not stretch them back.
    let placed_day = local_date(ctx.journeys.known(s::PLACED_AT), tz).cast(DataType::Int32);
    let Some((first_order_day, last_order_day)) = day_range(
        ctx.journeys.orders.clone().lazy(),
        placed_day
            .clone()
            .quantile(lit(0.01), QuantileMethod::Lower),
        placed_day.max(),
    )?
    else {
        return Ok(None);
    };
    // The calendar (one value per day, including days without tickets), starting 7 days early
    // so that the first ticket day has a full exposure window.
    let calendar: Vec<i32> = (lo - 7..=hi).collect();
    let calendar = DataFrame::new(
        calendar.len(),
        vec![Column::new("date".into(), calendar).cast(&DataType::Date)?],
    )?;
    let rate = col("wismo").cast(DataType::Float64) / col("exposure");
    let day = col("date").cast(DataType::Int32);
    let scored = col("exposure")
        .gt(lit(0.0))
        .and(day.clone().gt_eq(lit(lo.max(first_order_day + 7))))
        .and(day.lt_eq(lit(last_order_day + 1)));
    let base = calendar
        .lazy()
        .join(
            per_day,
            [col("date")],
            [col("date")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            shipped,
            [col("date")],
            [col("date")],
            JoinArgs::new(JoinType::Left),
        )
        .sort(["date"], SortMultipleOptions::default())
        .with_columns([
            col("wismo").fill_null(lit(0u32)),
            col("tickets").fill_null(lit(0u32)),
            col("shipped")
                .fill_null(lit(0.0))
                .cum_sum(false)
                .alias("_cum"),
        ])
        .with_column(
            (col("_cum").shift(lit(1)).fill_null(lit(0.0))
                - col("_cum").shift(lit(8)).fill_null(lit(0.0)))
            .alias("exposure"),
        )
        .with_column(
            when(scored)
                .then(rate)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("rate"),
        )
        .with_column(col("date").dt().weekday().alias("_wd"));
    // Weekday factor from means: with a few WISMO tickets a day most days are 0, and a median
    // factor would be 0/0. The day's own rate is in its weekday's mean: left out, a weekday
    // whose other days happened to be quiet (3 tickets in 46 Thursdays where the store has 0.2
    // a day) made a day of 3 a spike, 2 of 20 healthy stores.
    let weekday_mean = col("rate").mean().over([col("_wd")])?;
    let weekday_factor = (weekday_mean.clone() / col("rate").mean()).fill_nan(lit(NULL));
    let adjusted = when(weekday_factor.clone().gt(lit(0.0)))
        .then(col("rate") / weekday_factor)
        .otherwise(col("rate"));
    let stats = base
        .with_columns([
            adjusted.alias("adj"),
            (col("exposure") * weekday_mean).alias("expected"),
        ])
        .with_column((col("adj") - col("adj").median()).abs().alias("_dev"))
        .with_columns([
            col("_dev").median().fill_nan(lit(NULL)).alias("_mad"),
            col("_dev").mean().fill_nan(lit(NULL)).alias("_meanad"),
        ])
        .collect()?;
    let mad = stats.column("_mad")?.f64()?.get(0).unwrap_or(0.0);
    let mean_ad = stats.column("_meanad")?.f64()?.get(0).unwrap_or(0.0);
    let (z, dispersion) = if mad > 0.0 {
        (
            lit(0.6745) * (col("adj") - col("adj").median()) / lit(mad),
            "mad",
        )
    } else if mean_ad > 0.0 {
        (
            (col("adj") - col("adj").median()) / lit(1.253_314 * mean_ad),
            "mean_absolute_deviation",
        )
    } else {
        (lit(NULL).cast(DataType::Float64), "none")
    };
    let days = stats
        .lazy()
        .with_column(z.alias("z"))
        .with_column(
            col("z")
                .gt(lit(t.spike_z))
                .and(col("wismo").gt_eq(lit(t.spike_min_tickets)))
                .fill_null(lit(false))
                .alias("spike"),
        )
        .filter(col("date").gt_eq(lit(lo).cast(DataType::Date)))
        .select([
            col("date"),
            col("wismo"),
            col("tickets"),
            col("exposure"),
            col("z"),
            col("expected"),
            col("spike"),
        ])
        .collect()?;
    let scored = days.column("z")?.len() as u64 - days.column("z")?.null_count() as u64;
    // Each scored day's count and expected level, for the days with an expected level above 0
    // (a few hundred days: loops over the series).
    let observed: Vec<Option<(u64, f64)>> = days
        .column("wismo")?
        .u32()?
        .iter()
        .zip(days.column("expected")?.f64()?.iter())
        .zip(days.column("z")?.f64()?.iter())
        .map(|((k, e), z)| match (k, e, z) {
            (Some(k), Some(e), Some(_)) if e > 0.0 => Some((u64::from(k), e)),
            _ => None,
        })
        .collect();
    let tested = observed.iter().flatten().count() as u64;
    let level = per_day_level(t.spike_false_alarm_rate, tested);
    // The days that pass the z-score and the fewest tickets; those whose tail is also below the
    // level are spikes, and each spike found is left out of the other days' spread, which is
    // measured again (at most 3 rounds). Under no spike this changes nothing in a store that
    // raises none, so a store's chance of any false spike day is that of the first round; a
    // large spike no longer hides a smaller one in another week.
    let candidate: Vec<bool> = days
        .column("spike")?
        .bool()?
        .iter()
        .map(|b| b.unwrap_or(false))
        .collect();
    let tails = |spread: &[Option<f64>]| -> Vec<Option<f64>> {
        observed
            .iter()
            .zip(spread)
            .map(|(o, sp)| {
                o.zip(*sp)
                    .map(|((k, e), sp)| stats::negative_binomial_at_least(k, e, sp))
            })
            .collect()
    };
    let mut left_out = vec![false; observed.len()];
    let z = stats::normal_quantile(t.spike_spread_confidence);
    let mut spread = overdispersion(&observed, &left_out, z);
    let mut p = tails(&spread);
    for _ in 0..3 {
        let found: Vec<bool> = left_out
            .iter()
            .zip(&candidate)
            .zip(&p)
            .map(|((out, c), p)| *out || (*c && p.is_some_and(|p| p < level)))
            .collect();
        if found == left_out {
            break;
        }
        left_out = found;
        spread = overdispersion(&observed, &left_out, z);
        p = tails(&spread);
    }
    let p: Float64Chunked = p.into_iter().collect();
    let spread: Float64Chunked = spread.into_iter().collect();
    let days = days
        .lazy()
        .with_columns([
            p.into_series().with_name("p".into()).lit(),
            spread.into_series().with_name("spread".into()).lit(),
        ])
        .with_column(
            col("spike")
                .and(col("p").lt(lit(level)))
                .fill_null(lit(false))
                .alias("spike"),
        )
        .select([
            col("date"),
            col("wismo"),
            col("tickets"),
            col("exposure"),
            col("expected"),
            col("z"),
            col("p"),
            col("spread"),
            col("spike"),
        ])
        .collect()?;
    Ok(Some(DailyWismo {
        days,
        scored,
        tested,
        dispersion,
    }))
}

/// The chart series: one [`DailyCount`] per day (a few hundred rows at most).
pub fn chart(d: &DailyWismo) -> Result<Vec<DailyCount>> {
    let dates = d.days.column("date")?.cast(&DataType::Int32)?;
    let dates = dates.i32()?;
    let counts = d.days.column("wismo")?.u32()?;
    let spikes = d.days.column("spike")?.bool()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok((0..d.days.height())
        .map(|i| DailyCount {
            date: epoch
                .checked_add_signed(chrono::Duration::days(i64::from(dates.get(i).unwrap_or(0))))
                .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
                .unwrap_or_default(),
            tickets: u64::from(counts.get(i).unwrap_or(0)),
            spike: spikes.get(i).unwrap_or(false),
        })
        .collect())
}

/// What the breakdown rows count: a spike day's WISMO tickets among all its tickets.
pub const BREAKDOWN_COUNTS: &str = "WISMO tickets of all the day's tickets";

/// The breakdown: the first `limit` spike days of `spikes` (rows of [`DailyWismo::days`], worst
/// first; `chart` their [`chart`] rows), each labelled with its date, the WISMO tickets expected
/// that day and the chance of as many ([`stats::fmt_p`]), and counting its WISMO tickets
/// (`affected`) among all its tickets (`n`): a spike about orders' whereabouts is mostly WISMO.
fn spike_days(
    spikes: &DataFrame,
    chart: &[DailyCount],
    limit: usize,
) -> Result<Vec<super::BreakdownRow>> {
    let tickets = spikes.column("tickets")?.u32()?;
    let expected = spikes.column("expected")?.f64()?;
    let p = spikes.column("p")?.f64()?;
    Ok(chart
        .iter()
        .enumerate()
        .take(limit)
        .map(|(i, day)| {
            let n = u64::from(tickets.get(i).unwrap_or(0));
            super::BreakdownRow {
                label: format!(
                    "{} ({:.1} expected, p {})",
                    day.date,
                    expected.get(i).unwrap_or(f64::NAN),
                    stats::fmt_p(p.get(i).unwrap_or(f64::NAN)),
                ),
                n,
                affected: day.tickets,
                share: if n == 0 {
                    0.0
                } else {
                    day.tickets as f64 / n as f64
                },
            }
        })
        .collect())
}

fn run(ctx: &Context) -> Result<Outcome> {
    let Some(d) = daily(ctx)? else {
        // A tickets table without a ticket on a known day (header only, or every time a
        // mistyped year) has no history to score.
        return Ok(match ctx.journeys.tickets {
            Some(_) => Outcome::NotEnoughData { n: 0 },
            None => Outcome::NotApplicable {
                why: "no tickets table".into(),
            },
        });
    };
    if d.scored < MIN_HISTORY_DAYS {
        return Ok(Outcome::NotEnoughData { n: d.scored });
    }
    if d.dispersion == "none" {
        return Ok(Outcome::NotApplicable {
            why: "the daily WISMO rate does not vary, so no day can stand out".into(),
        });
    }
    let spikes = d
        .days
        .clone()
        .lazy()
        .filter(col("spike"))
        .sort(
            ["z"],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .collect()?;
    let n_spikes = spikes.height() as u64;
    if n_spikes == 0 {
        return Ok(Outcome::Clear {
            n: d.scored,
            kpi_value: Some(0.0), // wismo_spike_days: no day stood out
            note: None,
        });
    }
    let top = chart(&DailyWismo {
        days: spikes.clone(),
        scored: d.scored,
        tested: d.tested,
        dispersion: d.dispersion,
    })?;
    let top_z = spikes.column("z")?.f64()?.get(0).unwrap_or(0.0);
    let top_p = spikes.column("p")?.f64()?.get(0).unwrap_or(f64::NAN);
    let top_spread = spikes.column("spread")?.f64()?.get(0).unwrap_or(f64::NAN);
    let spike_tickets: u64 = top.iter().map(|c| c.tickets).sum();
    let tz = ctx.config.read.timezone;
    let spike_dates = spikes.column("date")?.as_materialized_series().clone();
    let orders_on_spike_days = ctx
        .journeys
        .tickets
        .as_ref()
        .map(|t| {
            t.clone()
                .lazy()
                .filter(
                    col("wismo").and(
                        local_date(col(s::CREATED_AT), tz)
                            .is_in(lit(spike_dates.clone()).implode(false), false),
                    ),
                )
                .select([col(s::ORDER_ID)])
                .collect()
        })
        .transpose()?;
    let (orders, customers) = match orders_on_spike_days {
        Some(df) => {
            let ids = df.column(s::ORDER_ID)?.as_materialized_series().clone();
            affected(ctx, col(s::ORDER_ID).is_in(lit(ids).implode(false), false))?
        }
        None => (0, 0),
    };
    let first = &top[0];
    Ok(Outcome::Raised(Finding {
        n: d.scored,
        title: format!(
            "{n_spikes} WISMO spike day{}: worst {} with {} ticket{} (z = {top_z:.1})",
            if n_spikes == 1 { "" } else { "s" },
            first.date,
            first.tickets,
            if first.tickets == 1 { "" } else { "s" }
        ),
        evidence: vec![
            Evidence::new("spike days", n_spikes as f64, "count").with_n(d.scored),
            Evidence::new(
                "WISMO tickets on spike days",
                spike_tickets as f64,
                "tickets",
            ),
            Evidence::new("highest modified z-score of a spike day", top_z, "z"),
            Evidence::new(
                "chance of as many tickets that day at its expected level (Poisson, or negative binomial at the spread allowed for)",
                top_p,
                "p-value",
            ),
            Evidence::new(
                &format!(
                    "spread allowed for: the other weeks' daily WISMO variance / mean at its {}% upper bound (spike_spread_confidence; 1 = Poisson)",
                    // A percentage to a tenth (0.9 x 100 is 90.00000000000001 in floats).
                    (ctx.config.thresholds.spike_spread_confidence * 1000.0).round() / 10.0
                ),
                top_spread,
                "ratio",
            ),
            Evidence::new(
                "level a day must clear (spike_false_alarm_rate / days tested)",
                per_day_level(ctx.config.thresholds.spike_false_alarm_rate, d.tested),
                "p-value",
            )
            .with_n(d.tested),
        ],
        breakdown: spike_days(&spikes, &top, ctx.config.thresholds.worst_lanes)?,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: Some(n_spikes as f64),
        impact: ImpactBasis {
            tickets: super::Tickets::Counted(spike_tickets as f64),
            lost_revenue: None,
            repeat_drop: RepeatDrop::NotApplicable,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten days at 1 ticket where 1 is fitted, but day 0 with 4 (Pearson (4 - 1)^2 / 1 = 9):
    /// day 9's week (days 6-9) leaves days 0-5 with m (n - 7) / n = 6 x 3 / 10 = 1.8 degrees of
    /// freedom and a statistic of 9, so a dispersion of 5; the six terms (9, 0, 0, 0, 0, 0) have
    /// a sample variance of (81 - 81 / 6) / 5 = 13.5, so the statistic's standard error is
    /// sqrt(6 x 13.5) / 1.8 = 5, and the spread is 5 + 1.645 x 5 = 13.225. Day 0's own week holds
    /// the 9 (the others are all 0: spread 1); day 5's week (days 2-8) leaves 3 days, 0.9
    /// degrees of freedom, too few (1). An untested day has none.
    #[test]
    fn the_spread_leaves_out_the_day_s_own_week() {
        let mut days: Vec<Option<(u64, f64)>> = vec![Some((1, 1.0)); 10];
        days[0] = Some((4, 1.0));
        days.push(None);
        let spread = overdispersion(&days, &[false; 11], 1.645);
        assert_eq!(spread[0], Some(1.0));
        assert_eq!(spread[5], Some(1.0));
        assert!(
            (spread[9].unwrap() - 13.225).abs() < 1e-9,
            "{:?}",
            spread[9]
        );
        assert_eq!(spread[10], None);
    }

    /// A Poisson draw of mean `mean` (Knuth's product of uniforms; fine for small means).
    fn poisson(rng: &mut impl rand::Rng, mean: f64) -> u64 {
        let floor = (-mean).exp();
        let (mut k, mut product) = (0, rng.gen::<f64>());
        while product > floor {
            k += 1;
            product *= rng.gen::<f64>();
        }
        k
    }

    /// 200 quiet stores of 365 days at 0.2 WISMO tickets a day whose days vary twice as much
    /// as a Poisson count's: one day in twenty (a carrier's bad day) at 2.1, the others at 0.1
    /// (mean 0.2, variance 0.2 + 0.19). Each day is tested as `daily` does, against its level
    /// (0.2, known here), at least 3 tickets, the spread of the other weeks and 0.05 / 365.
    /// With the spread taken as measured (`spike_spread_confidence` 0.5, z = 0), the few
    /// tickets make it read low in many stores, and 32 of these 200 raise a false spike; at its
    /// 95% upper bound (the default), 7. At most 10 (the 5% the rate promises) may raise one.
    #[test]
    fn a_quiet_store_s_uneven_days_raise_no_more_false_spikes_than_the_rate() {
        use rand::{Rng, SeedableRng};
        let days = 365;
        let level = per_day_level(0.05, days as u64);
        let raised = |z: f64| {
            (0..200u64)
                .filter(|&seed| {
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                    let observed: Vec<Option<(u64, f64)>> = (0..days)
                        .map(|_| {
                            let mean = if rng.gen_bool(0.05) { 2.1 } else { 0.1 };
                            Some((poisson(&mut rng, mean), 0.2))
                        })
                        .collect();
                    let spread = overdispersion(&observed, &vec![false; days], z);
                    observed.iter().zip(&spread).any(|(o, sp)| match (o, sp) {
                        (Some((k, e)), Some(sp)) => {
                            *k >= 3 && stats::negative_binomial_at_least(*k, *e, *sp) < level
                        }
                        _ => false,
                    })
                })
                .count()
        };
        let bounded = raised(stats::normal_quantile(0.95));
        assert!(
            bounded <= 10,
            "{bounded} of 200 quiet stores raised a false spike"
        );
        let as_measured = raised(stats::normal_quantile(0.5));
        assert_eq!(as_measured, 32, "with the spread as measured");
    }
}
