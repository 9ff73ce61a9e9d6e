//! express-buried: express-tier orders ship no faster than standard ones — their median
//! order-to-ship wait is at least `express_wait_ratio` (0.8) x the standard median — or more than
//! `express_breach_share` (10%) of them miss the express SLA (24 h) (SPEC section 4).
//!
//! The tier comes from the shipping method (`journey::EXPRESS_PATTERN`). The sample is the
//! express orders that shipped; the ratio needs `min_sample` standard orders as well.

use polars::prelude::*;

use super::{
    affected, breakdown, first_u64, repeat_drop, tickets_on, two_medians, Analyzer, Context,
    Evidence, Finding, ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "express-buried",
    stage: Stage::Fulfillment,
    description: "Express orders ship no faster than standard ones, or miss the express SLA",
    automation: "route express orders to priority fulfillment",
    kpi: "fulfillment_wait_p50_h (express)",
    run,
};

/// An express order (Boolean, never null): an order without a shipping method (no tier) is
/// compared with the express ones as the standard ones are.
fn express() -> Expr {
    col(s::SHIPPING_TIER)
        .eq(lit("express"))
        .fill_null(lit(false))
}

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_ship_times(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let waits = two_medians(ctx, s::FULFILLMENT_WAIT_H, express())?;
    let n = waits.n_flagged;
    if n == 0 {
        return Ok(Outcome::NotApplicable {
            why: "no shipped order has an express shipping method".into(),
        });
    }
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let shipped_express = express().and(col(s::FULFILLMENT_WAIT_H).is_not_null());
    let breach = shipped_express
        .clone()
        .and(col(s::FULFILLMENT_WAIT_H).gt(lit(t.express_sla_h)));
    let stats = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .select([breach.clone().cast(DataType::UInt32).sum().alias("k")])
        .collect()?;
    let k = first_u64(&stats, "k")?;
    let breach_share = k as f64 / n as f64;
    // The median comparison needs a measurable standard tier too.
    let ratio = if waits.n_others >= t.min_sample {
        waits.ratio()
    } else {
        None
    };
    let slow_tier = ratio.is_some_and(|r| r >= t.express_wait_ratio);
    let missed_sla = breach_share > t.express_breach_share;
    let express_p50 = waits.flagged;
    if !slow_tier && !missed_sla {
        return Ok(Outcome::Clear {
            n,
            kpi_value: express_p50,
            note: None,
        });
    }
    let mut evidence = vec![
        Evidence::new(
            "express order-to-ship p50",
            express_p50.unwrap_or(f64::NAN),
            "hours",
        )
        .with_n(n),
        Evidence::new(
            "standard order-to-ship p50",
            waits.others.unwrap_or(f64::NAN),
            "hours",
        )
        .with_n(waits.n_others),
    ];
    if let Some(r) = ratio {
        evidence.push(Evidence::new("express / standard median wait", r, "ratio"));
    }
    evidence.push(Evidence::share(
        &format!("express orders over the {} h express SLA", t.express_sla_h),
        k,
        n,
    ));
    // When the tier's median is no faster, every express order lost the speed it paid for;
    // otherwise the orders that missed the express SLA.
    let hit = if slow_tier {
        shipped_express.clone()
    } else {
        breach.clone()
    };
    let (orders, customers) = affected(ctx, hit.clone())?;
    let title = if slow_tier {
        // At or above 1 the tier is no faster; below, it is faster, but not by enough.
        let how = if ratio.is_some_and(|r| r < 1.0) {
            "barely faster than"
        } else {
            "no faster than"
        };
        format!(
            "Express orders ship {how} standard: median {:.1} h vs {:.1} h ({:.2}x)",
            express_p50.unwrap_or(f64::NAN),
            waits.others.unwrap_or(f64::NAN),
            ratio.unwrap_or(f64::NAN)
        )
    } else {
        format!(
            "{:.0}% of express orders miss the {} h express SLA",
            breach_share * 100.0,
            t.express_sla_h
        )
    };
    let by_method = breakdown(
        ctx,
        shipped_express,
        col(s::SHIPPING_METHOD),
        breach.clone(),
        1,
    )?;
    Ok(Outcome::Raised(Finding {
        n,
        title,
        evidence,
        breakdown: by_method,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: express_p50,
        impact: ImpactBasis {
            tickets: tickets_on(ctx, hit.clone())?,
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, hit)?,
        },
    }))
}
