//! review-gap: with a reviews table, delivered orders with a review are below `review_coverage`
//! (30%), or late orders score at least `review_score_gap` (1 point) below on-time orders
//! (SPEC section 4).

use polars::prelude::*;

use super::{
    affected, first_f64, first_u64, repeat_drop, Analyzer, Context, Evidence, Finding, ImpactBasis,
    Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "review-gap",
    stage: Stage::PostPurchase,
    description: "Few delivered orders get reviewed, or late orders drag review scores down",
    automation: "review request timed at the measured delivery-to-review time, with service recovery for late orders",
    kpi: "review_score_mean",
    run,
};

fn run(ctx: &Context) -> Result<Outcome> {
    if ctx.store.reviews.is_none() {
        return Ok(Outcome::NotApplicable {
            why: "no reviews table".into(),
        });
    }
    let t = &ctx.config.thresholds;
    // Known delivered, also at a time not known (a status that says delivered), as the
    // `review_coverage` KPI counts them.
    let delivered = col(s::DELIVERED);
    let reviewed = crate::journey::reviewed();
    let score_if = |late: bool| col(s::REVIEW_SCORE).filter(col(s::LATE).eq(lit(late)));
    let stats = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(delivered)
        .select([
            len().alias("n"),
            reviewed.clone().cast(DataType::UInt32).sum().alias("k"),
            score_if(true).mean().alias("late_mean"),
            score_if(true).count().alias("late_n"),
            score_if(false).mean().alias("on_time_mean"),
            score_if(false).count().alias("on_time_n"),
            hours_to_review(ctx).median().alias("review_delay_p50_h"),
            hours_to_review(ctx).count().alias("review_delay_n"),
            reviewed_before_delivery(ctx)
                .cast(DataType::UInt32)
                .sum()
                .alias("reviewed_early"),
        ])
        .collect()?;
    let (n, k) = (first_u64(&stats, "n")?, first_u64(&stats, "k")?);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let coverage = k as f64 / n as f64;
    let (late_n, on_time_n) = (
        first_u64(&stats, "late_n")?,
        first_u64(&stats, "on_time_n")?,
    );
    let gap = match (
        first_f64(&stats, "late_mean")?,
        first_f64(&stats, "on_time_mean")?,
    ) {
        (Some(l), Some(o)) if late_n >= t.min_sample && on_time_n >= t.min_sample => Some((l, o)),
        _ => None,
    };
    let low_coverage = coverage < t.review_coverage;
    let score_gap = gap.is_some_and(|(l, o)| o - l >= t.review_score_gap);
    let mean = ctx.kpis.review_score_mean;
    if !low_coverage && !score_gap {
        return Ok(Outcome::Clear {
            n,
            kpi_value: mean,
            note: None,
        });
    }
    let mut evidence = vec![Evidence::share("delivered orders with a review", k, n)];
    if let Some((l, o)) = gap {
        evidence.push(Evidence::new("mean score, late orders", l, "points").with_n(late_n));
        evidence.push(Evidence::new("mean score, on-time orders", o, "points").with_n(on_time_n));
        evidence.push(Evidence::new(
            "score gap (on-time minus late)",
            o - l,
            "points",
        ));
    }
    // Measured on the reviews posted after a delivery, both at known times; those posted
    // before it (a late order reviewed before it arrived) are left out, and counted here.
    let measured = first_u64(&stats, "review_delay_n")?;
    let early = first_u64(&stats, "reviewed_early")?;
    if let Some(d) = first_f64(&stats, "review_delay_p50_h")? {
        evidence
            .push(Evidence::new("delivery-to-review time p50", d / 24.0, "days").with_n(measured));
    }
    if early > 0 {
        evidence.push(Evidence::share(
            "reviews posted before their delivery (left out of the time)",
            early,
            early + measured,
        ));
    }
    let (title, mask) = if score_gap {
        let (l, o) = gap.unwrap_or_default();
        (
            format!(
                "Late orders score {:.1} points lower in reviews ({l:.2} vs {o:.2})",
                o - l
            ),
            col(s::LATE).eq(lit(true)).and(reviewed),
        )
    } else {
        (
            format!(
                "Only {:.0}% of delivered orders get a review",
                coverage * 100.0
            ),
            col(s::DELIVERED).and(reviewed.not()),
        )
    };
    let (orders, customers) = affected(ctx, mask.clone())?;
    Ok(Outcome::Raised(Finding {
        n,
        title,
        evidence,
        breakdown: low_scores_by_delivery_state(ctx)?,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: mean,
        impact: ImpactBasis {
            tickets: super::Tickets::NotApplicable,
            lost_revenue: None,
            // The affected customers are priced with the drop after an affected first order
            // (SPEC section 4), measured on the same rule as the affected orders.
            repeat_drop: repeat_drop(ctx, mask)?,
        },
    }))
}

/// What a row of this snag's breakdown counts (its `affected`): the reviews scored 1-2 of the
/// group's reviews, not the snag's affected orders.
pub const BREAKDOWN_COUNTS: &str = "reviews scored 1-2";

/// Reviews scoring 2 or less, by the order's delivery state: the nearest thing to complaints in
/// stores without tickets (Olist's low scores mostly come from late or undelivered orders).
fn low_scores_by_delivery_state(ctx: &Context) -> Result<Vec<super::BreakdownRow>> {
    let state = when(col(s::DELIVERED).not())
        .then(lit("not delivered"))
        .when(col(s::LATE).eq(lit(true)))
        .then(lit("delivered late"))
        .when(col(s::LATE).eq(lit(false)))
        .then(lit("delivered on time"))
        .when(col(s::PROMISE_DEADLINE).is_null())
        .then(lit("delivered, no promise"))
        // A promise, but no lateness: the delivery time is not known (a status that says
        // delivered without one) or implausible (a mistyped year).
        .otherwise(lit("delivered, lateness unknown"));
    super::breakdown(
        ctx,
        col(s::REVIEW_SCORE).is_not_null(),
        state,
        col(s::REVIEW_SCORE).lt_eq(lit(2.0)),
        1,
    )
}

/// Hours from delivery to the review, for reviews posted after delivery; unknown when either
/// time is implausible (see `Journeys::known`).
fn hours_to_review(ctx: &Context) -> Expr {
    let h = crate::journey::delivery_to_review_h(ctx.journeys.latest_plausible);
    h.clone().filter(h.gt_eq(lit(0.0)))
}

/// A review posted before its order's delivery, both at known times (Boolean, never null):
/// counted in data quality by `journey::build`.
fn reviewed_before_delivery(ctx: &Context) -> Expr {
    crate::journey::delivery_to_review_h(ctx.journeys.latest_plausible)
        .lt(lit(0.0))
        .fill_null(lit(false))
}
