//! weekend-backlog: orders placed Friday to Sunday wait at least `weekend_wait_ratio` (1.5) x
//! as long to ship as orders placed Monday to Thursday, comparing medians (SPEC section 4).
//!
//! The weekday is the placement's weekday on the store's wall clock (`timezone` in the config),
//! not in UTC: a Thursday-evening order in New York is a Friday in UTC. Both groups need
//! `min_sample` shipped orders.

use chrono_tz::Tz;
use polars::prelude::*;

use super::{
    affected, breakdown_rows, first_f64, repeat_drop, tickets_on, two_medians, Analyzer, Context,
    Evidence, Finding, ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

/// What the breakdown's rows count (see [`super::breakdown_counts`]): per weekday, its shipped
/// orders over the Mon-Thu p90, Mon-Thu's (the reference, about 10% by construction) as well
/// as the affected Fri-Sun ones.
pub const BREAKDOWN_COUNTS: &str = "shipped orders over the Mon-Thu p90";

pub const ANALYZER: Analyzer = Analyzer {
    id: "weekend-backlog",
    stage: Stage::Fulfillment,
    description: "Orders placed Friday to Sunday wait much longer to ship than Monday to Thursday",
    automation: "weekend batch release",
    kpi: "weekend_wait_ratio (Fri-Sun / Mon-Thu median order-to-ship)",
    run,
};

/// ISO weekday (Monday = 1 ... Sunday = 7) of the placement on the store's clock.
fn placed_weekday(tz: Tz) -> Expr {
    super::in_store_tz(col(s::PLACED_AT), tz)
        .dt()
        .weekday()
        .cast(DataType::Int32)
}

/// Placed Friday, Saturday or Sunday, store time.
fn weekend(tz: Tz) -> Expr {
    placed_weekday(tz).gt_eq(lit(5i32))
}

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_ship_times(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let tz = ctx.config.read.timezone;
    let waits = two_medians(ctx, s::FULFILLMENT_WAIT_H, weekend(tz))?;
    let n = waits.n_min();
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    // The sample the ratio is tested on: every shipped order (the minimum applies to the
    // smaller group).
    let shipped_n = waits.n_flagged + waits.n_others;
    let ratio = waits.ratio();
    if !ratio.is_some_and(|r| r >= t.weekend_wait_ratio) {
        return Ok(Outcome::Clear {
            n: shipped_n,
            kpi_value: ratio,
            note: None,
        });
    }
    // Affected: weekend orders that waited longer than 90% of Monday-Thursday orders did.
    let weekday_p90 = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(weekend(tz).not())
        .select([col(s::FULFILLMENT_WAIT_H)
            .quantile(lit(0.9), QuantileMethod::Linear)
            .alias("p90")])
        .collect()?;
    let p90 = first_f64(&weekday_p90, "p90")?.unwrap_or(f64::INFINITY);
    let shipped = col(s::FULFILLMENT_WAIT_H).is_not_null();
    let stuck = weekend(tz).and(col(s::FULFILLMENT_WAIT_H).gt(lit(p90)));
    let (orders, customers) = affected(ctx, stuck.clone())?;
    let (weekend_med, weekday_med) = (
        waits.flagged.unwrap_or(f64::NAN),
        waits.others.unwrap_or(f64::NAN),
    );
    let r = ratio.unwrap_or(f64::NAN);
    let evidence = vec![
        Evidence::new("order-to-ship p50, placed Fri-Sun", weekend_med, "hours")
            .with_n(waits.n_flagged),
        Evidence::new("order-to-ship p50, placed Mon-Thu", weekday_med, "hours")
            .with_n(waits.n_others),
        Evidence::new("Fri-Sun / Mon-Thu median wait", r, "ratio"),
        Evidence::new("order-to-ship p90, placed Mon-Thu", p90, "hours").with_n(waits.n_others),
        Evidence::share(
            "Fri-Sun orders waiting longer than the Mon-Thu p90",
            orders,
            waits.n_flagged,
        ),
    ];
    // Per weekday, the share of its shipped orders over the Mon-Thu p90 (BREAKDOWN_COUNTS): Fri-Sun against the
    // about 10 % that Mon-Thu have by construction (counting only Fri-Sun orders here made
    // every Mon-Thu row read 0 %).
    let over_p90 = col(s::FULFILLMENT_WAIT_H).gt(lit(p90));
    // All seven days, Monday first: the weekend read against the week (the five worst of them
    // left out the days between).
    let mut days = breakdown_rows(ctx, shipped, weekday_name(tz), over_p90, 1, None)?;
    days.sort_by_key(|d| WEEKDAYS.iter().position(|w| *w == d.label));
    Ok(Outcome::Raised(Finding {
        n: shipped_n,
        title: format!(
            "Orders placed Fri-Sun wait {r:.1}x as long to ship ({weekend_med:.0} h vs {weekday_med:.0} h median)"
        ),
        evidence,
        breakdown: days,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: ratio,
        impact: ImpactBasis {
            tickets: tickets_on(ctx, stuck.clone())?,
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, stuck)?,
        },
    }))
}

/// The breakdown's weekday labels, Monday first.
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Weekday name of the placement, store time (breakdown label).
fn weekday_name(tz: Tz) -> Expr {
    let d = placed_weekday(tz);
    let mut name = lit(WEEKDAYS[6]);
    for (i, day) in WEEKDAYS[..6].iter().enumerate().rev() {
        name = when(d.clone().eq(lit(i as i32 + 1)))
            .then(lit(*day))
            .otherwise(name);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::frame::utc_ms;

    #[test]
    fn the_weekday_is_the_store_s() {
        // Thursday 2024-03-07 22:00 in New York is Friday 03:00 UTC; Sunday 2024-03-10 21:00
        // in New York (after the DST change, UTC-4) is Monday 01:00 UTC.
        let placed = Column::new(
            s::PLACED_AT.into(),
            [1_709_866_800_000i64, 1_710_118_800_000],
        )
        .cast(&utc_ms())
        .unwrap();
        let df = DataFrame::new(2, vec![placed]).unwrap();
        let weekend_in = |tz: Tz| -> Vec<Option<bool>> {
            let out = df
                .clone()
                .lazy()
                .select([weekend(tz).alias("w")])
                .collect()
                .unwrap();
            out.column("w").unwrap().bool().unwrap().iter().collect()
        };
        assert_eq!(
            weekend_in(chrono_tz::America::New_York),
            [Some(false), Some(true)]
        );
        assert_eq!(weekend_in(Tz::UTC), [Some(true), Some(false)]);
    }
}
