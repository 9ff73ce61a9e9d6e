//! stockout-cancellations: cancelled or unavailable orders exceed `stockout_share` (2%) of orders
//! (SPEC section 4); the evidence separates stockouts (reason or status says unavailable / out of
//! stock / inventory) from other cancellations, and lists the SKUs most cancelled.

use polars::prelude::*;

use super::{
    affected, first_f64, first_u64, Analyzer, BreakdownRow, Context, Evidence, Finding,
    ImpactBasis, Outcome, RepeatDrop, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "stockout-cancellations",
    stage: Stage::Fulfillment,
    description: "Orders cancelled or unavailable, with stockouts and the SKUs behind them",
    automation: "back-in-stock alerts and low-stock thresholds",
    kpi: "cancel_share",
    run,
};

fn run(ctx: &Context) -> Result<Outcome> {
    let t = &ctx.config.thresholds;
    if !ctx.store.cancellations_read {
        return Ok(Outcome::NotApplicable {
            why: "no orders file has a status or cancellation time, so no order can be seen cancelled".into(),
        });
    }
    let stats = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .select([
            len().alias("n"),
            col(s::CANCELLED).cast(DataType::UInt32).sum().alias("k"),
            col(s::STOCKOUT)
                .cast(DataType::UInt32)
                .sum()
                .alias("stockouts"),
            // Order value in the scoring currency only (never summed across currencies); a
            // negative total is no order value (counted by the journeys).
            col(s::TOTAL)
                .filter(
                    col(s::CANCELLED)
                        .and(ctx.in_scoring_currency())
                        .and(col(s::TOTAL).gt_eq(lit(0.0))),
                )
                .sum()
                .alias("lost"),
        ])
        .collect()?;
    let (n, k) = (first_u64(&stats, "n")?, first_u64(&stats, "k")?);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let share = k as f64 / n as f64;
    if share <= t.stockout_share {
        return Ok(Outcome::Clear {
            n,
            kpi_value: Some(share),
            note: None,
        });
    }
    let stockouts = first_u64(&stats, "stockouts")?;
    let lost = first_f64(&stats, "lost")?;
    let (orders, customers) = affected(ctx, col(s::CANCELLED))?;
    let mut evidence = vec![
        Evidence::share("orders cancelled or unavailable", k, n),
        Evidence::share("of which stockouts", stockouts, k),
    ];
    if let Some(lost) = lost {
        evidence.push(Evidence::new(
            "order value of cancelled orders",
            lost,
            "currency",
        ));
    }
    Ok(Outcome::Raised(Finding {
        n,
        title: match stockouts {
            0 => format!(
                "{:.1}% of orders are cancelled (none marked as out of stock)",
                share * 100.0
            ),
            _ => format!(
                "{:.1}% of orders are cancelled ({stockouts} for stock)",
                share * 100.0
            ),
        },
        evidence,
        breakdown: cancelled_skus(ctx, share)?,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: Some(share),
        impact: ImpactBasis {
            tickets: super::tickets_on(ctx, col(s::CANCELLED))?,
            lost_revenue: lost,
            repeat_drop: RepeatDrop::NotApplicable,
        },
    }))
}

/// Cancelled orders per SKU (from the line items): the SKUs cancelled significantly more often
/// than the store's `cancel_share` would give their orders, ranked by that excess (cancelled
/// orders minus orders x `cancel_share`), most first, ties by SKU ascending; at most
/// `worst_lanes` SKUs.
///
/// Significant: a one-sided exact binomial test, P(X >= cancelled | the SKU's orders,
/// `cancel_share`) below `churn_p_value` / the number of SKUs tested (Bonferroni: every SKU
/// with an order is a test, so a store of 400 SKUs would otherwise list about 20 by chance).
/// Ranked by count, a best-seller that rides along in cancelled baskets at the store's rate was
/// listed above a SKU that ran out; ranked by excess alone, a SKU with 2 of 10 orders
/// cancelled at a 12% store rate (0.8 over, P = 0.34) was listed as a stockout.
fn cancelled_skus(ctx: &Context, cancel_share: f64) -> Result<Vec<BreakdownRow>> {
    let Some(items) = &ctx.store.line_items else {
        return Ok(Vec::new());
    };
    let per_sku = items
        .clone()
        .lazy()
        .select([col(s::ORDER_ID), col(s::SKU)])
        .unique(None, UniqueKeepStrategy::First)
        .join(
            ctx.journeys
                .orders
                .clone()
                .lazy()
                .select([col(s::ORDER_ID), col(s::CANCELLED)]),
            [col(s::ORDER_ID)],
            [col(s::ORDER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col(s::SKU).is_not_null())
        .group_by([col(s::SKU)])
        .agg([
            len().cast(DataType::UInt64).alias("n"),
            col(s::CANCELLED).cast(DataType::UInt64).sum().alias("k"),
        ])
        .with_column(
            (col("k").cast(DataType::Float64)
                - col("n").cast(DataType::Float64) * lit(cancel_share))
            .alias("excess"),
        )
        .sort(
            ["excess", s::SKU],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    let tested = per_sku.height().max(1) as f64;
    let alpha = ctx.config.thresholds.churn_p_value / tested;
    let skus = per_sku.column(s::SKU)?.str()?;
    let ns = per_sku.column("n")?.u64()?;
    let ks = per_sku.column("k")?.u64()?;
    let excess = per_sku.column("excess")?.f64()?;
    // One row per SKU of the store (a few thousand at most), in the order of their excess:
    // the test runs on the SKUs above the store's share until `worst_lanes` are listed.
    Ok((0..per_sku.height())
        .take_while(|&i| excess.get(i).is_some_and(|e| e > 0.0))
        .filter_map(|i| {
            let (n, k) = (ns.get(i)?, ks.get(i)?);
            (crate::stats::binomial_at_least(k, n, cancel_share) < alpha).then(|| BreakdownRow {
                label: skus.get(i).unwrap_or("").to_string(),
                n,
                affected: k,
                share: if n > 0 { k as f64 / n as f64 } else { 0.0 },
            })
        })
        .take(ctx.config.thresholds.worst_lanes)
        .collect())
}
