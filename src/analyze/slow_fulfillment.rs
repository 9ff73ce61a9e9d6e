//! slow-fulfillment: more than `slow_fulfillment_share` (10%) of shipped orders wait longer
//! than the fulfillment SLA (48 h) from placement to carrier hand-off (SPEC section 4).

use polars::prelude::*;

use super::{
    affected, first_f64, first_u64, repeat_drop, tickets_on, Analyzer, BreakdownRow, Context,
    Evidence, Finding, ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "slow-fulfillment",
    stage: Stage::Fulfillment,
    description:
        "Shipped orders that waited longer than the fulfillment SLA before reaching the carrier",
    automation: "order routing rules and backlog alerts",
    kpi: "sla_breach_share",
    run,
};

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_ship_times(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let breach = col(s::FULFILLMENT_WAIT_H).gt(lit(t.fulfillment_sla_h));
    let stats = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(col(s::FULFILLMENT_WAIT_H).is_not_null())
        .select([
            len().alias("n"),
            breach.clone().cast(DataType::UInt32).sum().alias("k"),
            col(s::FULFILLMENT_WAIT_H)
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias("p50"),
            col(s::FULFILLMENT_WAIT_H)
                .quantile(lit(0.9), QuantileMethod::Linear)
                .alias("p90"),
        ])
        .collect()?;
    let (n, k) = (first_u64(&stats, "n")?, first_u64(&stats, "k")?);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let share = k as f64 / n as f64;
    if share <= t.slow_fulfillment_share {
        return Ok(Outcome::Clear {
            n,
            kpi_value: Some(share),
            note: None,
        });
    }
    let mut evidence = vec![
        Evidence::share(
            &format!("shipped orders over the {} h SLA", t.fulfillment_sla_h),
            k,
            n,
        ),
        Evidence::new(
            "order-to-ship p50",
            first_f64(&stats, "p50")?.unwrap_or(f64::NAN),
            "hours",
        )
        .with_n(n),
        Evidence::new(
            "order-to-ship p90",
            first_f64(&stats, "p90")?.unwrap_or(f64::NAN),
            "hours",
        )
        .with_n(n),
    ];
    if ctx.kpis.orders_shipped.is_some() {
        // Open orders only: physical, not cancelled, not shipped (those with an open age).
        let open = ctx.journeys.orders.column(s::OPEN_AGE_H)?;
        evidence.push(Evidence::new(
            "orders not yet shipped at data end (open age, not a wait)",
            (open.len() - open.null_count()) as f64,
            "orders",
        ));
    }
    let (orders, customers) = affected(ctx, breach.clone())?;
    Ok(Outcome::Raised(Finding {
        n,
        title: format!(
            "{:.0}% of shipped orders wait more than {} h to ship",
            share * 100.0,
            t.fulfillment_sla_h
        ),
        evidence,
        breakdown: by_shipping_method(ctx, breach.clone())?,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: Some(share),
        impact: ImpactBasis {
            tickets: tickets_on(ctx, breach.clone())?,
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, breach)?,
        },
    }))
}

/// SLA breaches per shipping method, worst share first.
fn by_shipping_method(ctx: &Context, breach: Expr) -> Result<Vec<BreakdownRow>> {
    super::breakdown(
        ctx,
        col(s::FULFILLMENT_WAIT_H).is_not_null(),
        col(s::SHIPPING_METHOD),
        breach,
        1,
    )
}
