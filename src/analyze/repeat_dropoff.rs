//! repeat-dropoff: the 90-day repeat rate of customers whose first order is at least 90 days
//! before the data end is below `repeat_target` (25%) (SPEC sections 2 and 4).
//!
//! Also here, because the report draws them whether or not the snag is raised: the monthly cohort
//! retention matrix ([`cohort_retention`]) and the quartiles of the time to second order
//! ([`time_to_second_order_quartiles`]).

use std::collections::BTreeMap;

use chrono::Datelike;
use chrono_tz::Tz;
use polars::prelude::*;

use super::{
    first_f64, first_u64, Analyzer, Context, Evidence, Finding, ImpactBasis, Outcome, RepeatDrop,
    Stage,
};
use crate::error::Result;
use crate::journey::Journeys;
use crate::metrics::repeat_columns;
use crate::report::CohortRow;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "repeat-dropoff",
    stage: Stage::PostPurchase,
    description: "Too few customers order a second time within the repeat window",
    // The day to remind at is measured, so it is in the title, with the reason when there are
    // too few second orders to time it: a fixed text cannot claim it was measured.
    automation: "post-purchase nurture and a replenishment reminder",
    kpi: "repeat_rate",
    run,
};

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_customers(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let j = ctx.journeys;
    let [eligible, repeated] = repeat_columns(j, t.repeat_window_days);
    let counts = j
        .customers
        .clone()
        .lazy()
        .filter(eligible)
        .select([
            len().alias("n"),
            repeated.cast(DataType::UInt32).sum().alias("k"),
        ])
        .collect()?;
    let (n, k) = (first_u64(&counts, "n")?, first_u64(&counts, "k")?);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let rate = k as f64 / n as f64;
    if rate >= t.repeat_target {
        return Ok(Outcome::Clear {
            n,
            kpi_value: Some(rate),
            note: None,
        });
    }
    let window = t.repeat_window_days;
    let (n2, quartiles) = time_to_second_order_quartiles(j)?;
    let mut evidence = vec![
        Evidence::share(
            &format!(
                "{window}-day repeat rate (customers whose first order is {window}+ days old)"
            ),
            k,
            n,
        ),
        Evidence::new("target repeat rate", t.repeat_target, "share"),
        Evidence::new(
            &format!("customers who did not order again within {window} days"),
            (n - k) as f64,
            "count",
        ),
    ];
    for (name, v) in ["p25", "p50", "p75"].iter().zip(quartiles.iter()) {
        evidence.push(
            Evidence::new(
                &format!("time to second order {name} (all customers with a second order)"),
                v.unwrap_or(f64::NAN),
                "days",
            )
            .with_n(n2),
        );
    }
    // A reminder day is only suggested when enough second orders time it.
    let reminder = match quartiles[1] {
        Some(p50) if n2 >= t.min_sample => {
            format!("; remind at day {p50:.0}, the median time to second order")
        }
        _ => format!("; too few second orders ({n2}) to time a reminder"),
    };
    Ok(Outcome::Raised(Finding {
        n,
        title: format!(
            "Only {:.1}% of customers order again within {window} days (target {:.0}%){reminder}",
            rate * 100.0,
            t.repeat_target * 100.0
        ),
        evidence,
        breakdown: Vec::new(),
        // The whole eligible base is under-retained: its first orders and customers.
        affected_orders: n,
        affected_customers: n,
        kpi_value: Some(rate),
        impact: ImpactBasis {
            tickets: super::Tickets::NotApplicable,
            lost_revenue: None,
            // Priced as eligible customers x (target - rate) x mean repeat order: the repeat
            // orders missing to reach the target.
            repeat_drop: RepeatDrop::Measured {
                affected_rate: rate,
                others_rate: t.repeat_target,
                affected: n,
                others: 0,
            },
        },
    }))
}

/// Number of customers with a second order, and the 25th, 50th and 75th percentiles (linear)
/// of their time from first to second order, in days (`days_to_second_order`, SPEC section 2).
pub fn time_to_second_order_quartiles(j: &Journeys) -> Result<(u64, [Option<f64>; 3])> {
    let d = || col("days_to_second_order");
    let df = j
        .customers
        .clone()
        .lazy()
        .filter(d().is_not_null())
        .select([
            len().alias("n"),
            d().quantile(lit(0.25), QuantileMethod::Linear).alias("p25"),
            d().quantile(lit(0.5), QuantileMethod::Linear).alias("p50"),
            d().quantile(lit(0.75), QuantileMethod::Linear).alias("p75"),
        ])
        .collect()?;
    Ok((
        first_u64(&df, "n")?,
        [
            first_f64(&df, "p25")?,
            first_f64(&df, "p50")?,
            first_f64(&df, "p75")?,
        ],
    ))
}

/// Month number (year x 12 + month - 1) of an instant on the store's calendar.
fn month_index(instant: Expr, tz: Tz) -> Expr {
    let local = super::in_store_tz(instant, tz);
    local.clone().dt().year().cast(DataType::Int32) * lit(12i32)
        + local.dt().month().cast(DataType::Int32)
        - lit(1i32)
}

/// Monthly cohort retention (SPEC section 2): customers grouped by the month of their first
/// order on the store's calendar (`tz`); period N = share of the cohort with a non-cancelled
/// order in the N-th month after the cohort month (period 0 is the cohort month, 1.0). Every
/// row has one entry per month from the first cohort to the data end; an entry is `None` for
/// a month after the data end (the data end's own, partial month is included). Empty when the
/// store has no identified customers.
pub fn cohort_retention(j: &Journeys, tz: Tz) -> Result<Vec<CohortRow>> {
    // Customers by number (journey::CUSTOMER_INDEX): joined and counted as integers.
    let customer = || col(crate::journey::CUSTOMER_INDEX);
    let cohorts = j.customers.clone().lazy().select([
        customer(),
        month_index(col("first_order_at"), tz).alias("cohort"),
    ]);
    let sizes = cohorts
        .clone()
        .group_by([col("cohort")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .sort(["cohort"], SortMultipleOptions::default())
        .collect()?;
    if sizes.height() == 0 {
        return Ok(Vec::new());
    }
    let active = j
        .orders
        .clone()
        .lazy()
        .filter(crate::journey::is_customer_order())
        .select([
            customer(),
            month_index(col(s::PLACED_AT), tz).alias("month"),
        ])
        .join(
            cohorts,
            [customer()],
            [customer()],
            JoinArgs::new(JoinType::Inner),
        )
        .select([
            customer(),
            col("cohort"),
            (col("month") - col("cohort")).alias("period"),
        ])
        // Distinct customers per (cohort, period): a few hundred groups, each counting its keys,
        // instead of a distinct frame of every (customer, month) pair.
        .group_by([col("cohort"), col("period")])
        .agg([customer().n_unique().cast(DataType::UInt64).alias("k")])
        .collect()?;
    let end = j.as_of.with_timezone(&tz);
    let end_month = end.year() * 12 + end.month0() as i32;
    let cohort_ids = sizes.column("cohort")?.i32()?;
    let cohort_sizes = sizes.column("n")?.u64()?;
    let first = cohort_ids.get(0).unwrap_or(end_month);
    let width = (end_month - first + 1).max(1) as usize;
    let mut active_by: BTreeMap<(i32, i32), u64> = BTreeMap::new();
    let (ac, ap, ak) = (
        active.column("cohort")?.i32()?,
        active.column("period")?.i32()?,
        active.column("k")?.u64()?,
    );
    // One row per (cohort month, period) pair: a few hundred at most, not the orders.
    for i in 0..active.height() {
        if let (Some(c), Some(p), Some(k)) = (ac.get(i), ap.get(i), ak.get(i)) {
            active_by.insert((c, p), k);
        }
    }
    // One row per cohort month.
    Ok((0..sizes.height())
        .filter_map(|i| {
            let (c, n) = (cohort_ids.get(i)?, cohort_sizes.get(i)?);
            let retention = (0..width as i32)
                .map(|p| {
                    (c + p <= end_month && n > 0)
                        .then(|| active_by.get(&(c, p)).copied().unwrap_or(0) as f64 / n as f64)
                })
                .collect();
            Some(CohortRow {
                cohort: format!("{:04}-{:02}", c.div_euclid(12), c.rem_euclid(12) + 1),
                customers: n,
                retention,
            })
        })
        .collect())
}
