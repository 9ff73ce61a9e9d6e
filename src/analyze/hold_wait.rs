//! hold-wait: orders flagged medium/high risk, or on hold, wait at least `hold_wait_ratio` (2) x
//! the other orders' median order-to-ship time (SPEC section 4).
//!
//! Flagged = `risk_level` medium or high (any case), or the word "hold" in the tags or status
//! (`hold`, `on-hold`, `on_hold`, `Fraud hold`; not `household` or `shareholder`). Both groups
//! need `min_sample` shipped orders.

use polars::prelude::*;

use super::{
    affected, breakdown, repeat_drop, tickets_on, two_medians, Analyzer, Context, Evidence,
    Finding, ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "hold-wait",
    stage: Stage::Fulfillment,
    description: "Orders flagged for risk or put on hold wait far longer to ship than the others",
    automation: "auto-hold high risk, auto-release low risk",
    kpi: "hold_wait_ratio (flagged / other median order-to-ship)",
    run,
};

/// `risk_level` that asks for a review.
const RISKY: &str = r"(?i)^\s*(medium|high)\s*$";
/// "hold" as a word (or after `on-` / `on_`) in tags or status.
const HOLD: &str = r"(?i)(^|[^a-z])hold(s|ed|ing)?([^a-z]|$)";

fn risky() -> Expr {
    crate::support::matches(col(s::RISK_LEVEL), RISKY)
}

fn held() -> Expr {
    let has = |c: &str| crate::support::matches(col(c), HOLD);
    has(s::TAGS).or(has(s::STATUS))
}

/// Orders flagged for review or held (see the module doc).
pub fn flagged() -> Expr {
    risky().or(held())
}

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_ship_times(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let waits = two_medians(ctx, s::FULFILLMENT_WAIT_H, flagged())?;
    if waits.n_flagged == 0 {
        return Ok(Outcome::NotApplicable {
            why: "no shipped order is flagged for risk or on hold (risk_level, tags, status)"
                .into(),
        });
    }
    let n = waits.n_min();
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    // The sample the ratio is tested on: every shipped order (the minimum applies to the
    // smaller group).
    let shipped_n = waits.n_flagged + waits.n_others;
    let ratio = waits.ratio();
    if !ratio.is_some_and(|r| r >= t.hold_wait_ratio) {
        return Ok(Outcome::Clear {
            n: shipped_n,
            kpi_value: ratio,
            note: None,
        });
    }
    let (flag_med, other_med) = (
        waits.flagged.unwrap_or(f64::NAN),
        waits.others.unwrap_or(f64::NAN),
    );
    let r = ratio.unwrap_or(f64::NAN);
    // Affected: every flagged order that was not cancelled, shipped or still open: they all go
    // through the manual review the automation replaces (the evidence gives the share that
    // waited past the threshold).
    let limit = t.hold_wait_ratio * other_med;
    let hit = flagged().and(col(s::CANCELLED).not());
    let (orders, customers) = affected(ctx, hit.clone())?;
    let shipped = col(s::FULFILLMENT_WAIT_H).is_not_null();
    let over = col(s::FULFILLMENT_WAIT_H).gt_eq(lit(limit));
    let (slow_n, _) = affected(ctx, flagged().and(over.clone()))?;
    let (risky_n, _) = affected(ctx, risky().and(shipped.clone()))?;
    let (held_n, _) = affected(ctx, held().and(shipped.clone()))?;
    let evidence = vec![
        Evidence::new("order-to-ship p50, flagged or held", flag_med, "hours")
            .with_n(waits.n_flagged),
        Evidence::new("order-to-ship p50, other orders", other_med, "hours").with_n(waits.n_others),
        Evidence::new("flagged / other median wait", r, "ratio"),
        Evidence::share("shipped orders flagged or held", waits.n_flagged, shipped_n),
        Evidence::new("of which risk medium/high", risky_n as f64, "orders"),
        Evidence::new("of which tagged or status on hold", held_n as f64, "orders"),
        Evidence::share(
            &format!(
                "flagged or held orders waiting {} x the others' median or more ({limit:.0} h)",
                t.hold_wait_ratio
            ),
            slow_n,
            waits.n_flagged,
        ),
    ];
    let label = when(risky())
        .then(concat_str(
            [
                lit("risk "),
                col(s::RISK_LEVEL)
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .to_lowercase(),
            ],
            "",
            true,
        ))
        .otherwise(lit("on hold"));
    let by_reason = breakdown(ctx, shipped.and(flagged()), label, over, 1)?;
    Ok(Outcome::Raised(Finding {
        n: shipped_n,
        title: format!(
            "Risk-flagged or held orders wait {r:.1}x as long to ship ({flag_med:.0} h vs {other_med:.0} h median)"
        ),
        evidence,
        breakdown: by_reason,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: ratio,
        impact: ImpactBasis {
            tickets: tickets_on(ctx, hit.clone())?,
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, hit)?,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_medium_high_risk_and_hold_words_only() {
        let df = df!(
            s::RISK_LEVEL => [Some("High"), Some(" medium "), Some("LOW"), None, None, None, None, None],
            s::TAGS => [None, None, None, Some("vip, on-hold"), Some("household goods"), None, Some("Fraud_Hold"), None],
            s::STATUS => [None, None, None, None, None, Some("ON_HOLD"), None, Some("shareholder gift")],
        )
        .unwrap();
        let got = df.lazy().select([flagged().alias("f")]).collect().unwrap();
        let got: Vec<Option<bool>> = got.column("f").unwrap().bool().unwrap().iter().collect();
        let want = [true, true, false, true, false, true, true, false].map(Some);
        assert_eq!(got, want);
    }
}
