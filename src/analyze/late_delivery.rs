//! late-delivery: more than `late_share` (5%) of delivered orders with a promise arrived after
//! it; the worst carrier/region lanes are listed (SPEC section 4). For Olist the lane is the
//! customer's state (its export has no carrier and the sellers file is not part of it).

use polars::prelude::*;

use super::{
    affected, breakdown, first_f64, first_u64, repeat_drop, tickets_on, Analyzer, Context,
    Evidence, Finding, ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "late-delivery",
    stage: Stage::Delivery,
    description:
        "Delivered orders that arrived after the promised date, and the lanes where it happens most",
    automation: "proactive delay notifications and a lane/carrier switch on the worst lanes",
    kpi: "on_time_rate",
    run,
};

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_lateness(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let late = col(s::LATE).eq(lit(true));
    let stats = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(col(s::LATE).is_not_null())
        .select([
            len().alias("n"),
            late.clone().cast(DataType::UInt32).sum().alias("k"),
            col(s::DAYS_LATE)
                .filter(late.clone())
                .median()
                .alias("days_late_p50"),
        ])
        .collect()?;
    let (n, k) = (first_u64(&stats, "n")?, first_u64(&stats, "k")?);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let share = k as f64 / n as f64;
    let on_time = 1.0 - share;
    if share <= t.late_share {
        return Ok(Outcome::Clear {
            n,
            kpi_value: Some(on_time),
            note: None,
        });
    }
    let late_or_overdue = late.clone().or(col(s::OVERDUE).eq(lit(true)));
    let (orders, customers) = affected(ctx, late_or_overdue.clone())?;
    let evidence = vec![
        Evidence::share("delivered orders late against their promise", k, n),
        Evidence::new(
            "median days late (late orders)",
            first_f64(&stats, "days_late_p50")?.unwrap_or(f64::NAN),
            "days",
        )
        .with_n(k),
        Evidence::new(
            "undelivered orders past their promise",
            ctx.kpis.overdue_orders.map_or(f64::NAN, |n| n as f64),
            "orders",
        ),
    ];
    let lanes = breakdown(
        ctx,
        col(s::LATE).is_not_null(),
        col(s::LANE),
        late.clone(),
        t.min_sample,
    )?;
    Ok(Outcome::Raised(Finding {
        n,
        title: format!(
            "{:.1}% of deliveries arrive after the promised date",
            share * 100.0
        ),
        evidence,
        breakdown: lanes,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: Some(on_time),
        impact: ImpactBasis {
            tickets: tickets_on(ctx, late_or_overdue)?,
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, late)?,
        },
    }))
}
