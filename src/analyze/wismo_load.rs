//! wismo-load: "where is my order" tickets at or above `wismo_rate_per_100` (1.0) per 100
//! shipped orders (SPEC sections 3-4); the evidence splits them by the order's delivery state
//! when the ticket was opened, and counts those opened in transit before the promise as
//! preventable by proactive shipping updates.

use polars::prelude::*;

use super::{
    affected, first_u64, repeat_drop, Analyzer, BreakdownRow, Context, Evidence, Finding,
    ImpactBasis, Outcome, Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "wismo-load",
    stage: Stage::Support,
    description: "Where-is-my-order tickets per 100 shipped orders, by delivery state when opened",
    automation: "proactive shipping updates (shipped, out for delivery, delayed) by e-mail/SMS",
    kpi: "wismo_rate_per_100",
    run,
};

/// Delivery states of a WISMO ticket, in report order (see `support::link`). `time_unknown`
/// (a ticket or delivery time that is a mistyped year) is listed only when some ticket has it.
pub const STATES: [&str; 7] = [
    "not_shipped",
    "shipped_time_unknown",
    "in_transit_before_promise",
    "in_transit_late",
    "delivered",
    "time_unknown",
    "unlinked",
];

fn run(ctx: &Context) -> Result<Outcome> {
    let Some(tickets) = &ctx.journeys.tickets else {
        return Ok(Outcome::NotApplicable {
            why: "no tickets table".into(),
        });
    };
    let t = &ctx.config.thresholds;
    let Some(shipped) = ctx.kpis.orders_shipped else {
        return Ok(Outcome::NotApplicable {
            why: "no shipping data in the inputs: the WISMO rate is per 100 shipped orders".into(),
        });
    };
    if shipped < t.min_sample {
        return Ok(Outcome::NotEnoughData { n: shipped });
    }
    let wismo = ctx.kpis.wismo_tickets.unwrap_or(0);
    let all = ctx.kpis.tickets.unwrap_or(0);
    let rate = ctx.kpis.wismo_rate_per_100;
    if rate.is_none_or(|r| r < t.wismo_rate_per_100) {
        return Ok(Outcome::Clear {
            n: shipped,
            kpi_value: rate,
            note: None,
        });
    }
    let states = tickets
        .clone()
        .lazy()
        .filter(col("wismo"))
        .group_by([col("delivery_state")])
        .agg([len().cast(DataType::UInt64).alias("k")])
        .collect()?;
    let labels = states.column("delivery_state")?.str()?;
    let ks = states.column("k")?.u64()?;
    // At most seven rows, one per state.
    let count_of = |state: &str| {
        (0..states.height())
            .find(|&i| labels.get(i) == Some(state))
            .and_then(|i| ks.get(i))
            .unwrap_or(0)
    };
    let breakdown: Vec<BreakdownRow> = STATES
        .iter()
        .filter(|st| **st != "time_unknown" || count_of(st) > 0)
        .map(|st| {
            let k = count_of(st);
            BreakdownRow {
                label: st.replace('_', " "),
                n: wismo,
                affected: k,
                share: if wismo > 0 {
                    k as f64 / wismo as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    let preventable = count_of("in_transit_before_promise");
    // The in-transit shares are of the WISMO tickets whose delivery state is known: an unlinked
    // ticket, or one whose order's ship or delivery time the inputs cannot tell, may have been
    // either (a store without delivery data read "0% in transit", measured on nothing).
    let unknown: u64 = ["unlinked", "time_unknown", "shipped_time_unknown"]
        .iter()
        .map(|st| count_of(st))
        .sum();
    let known = wismo.saturating_sub(unknown);
    let in_transit = match known {
        0 => format!("the delivery state of all {wismo} is unknown (unlinked, or times the inputs do not give)"),
        _ => format!(
            "{:.0}% of the {known} whose delivery state is known were opened while the parcel was in transit and not yet late",
            preventable as f64 * 100.0 / known as f64
        ),
    };
    let unlinked_all = first_u64(
        &tickets
            .clone()
            .lazy()
            .select([col(s::ORDER_ID).null_count().alias("u")])
            .collect()?,
        "u",
    )?;
    let has_wismo = col(s::N_WISMO_TICKETS).gt(lit(0u32));
    let (orders, customers) = affected(ctx, has_wismo.clone())?;
    Ok(Outcome::Raised(Finding {
        n: shipped,
        title: format!(
            "{:.2} where-is-my-order tickets per 100 shipped orders; {in_transit}",
            rate.unwrap_or(0.0),
        ),
        evidence: [
            Some(Evidence::new("WISMO tickets per 100 shipped orders", rate.unwrap_or(0.0), "per_100").with_n(shipped)),
            Some(Evidence::share("WISMO share of all tickets", wismo, all)),
            Some(Evidence::share("WISMO tickets whose delivery state is not known (unlinked, or times not given)", unknown, wismo)),
            // Shares of nothing are left out, not shown as 0.
            (known > 0).then(|| Evidence::share("WISMO tickets opened in transit before the promise (preventable), of those with a known state", preventable, known)),
            (known > 0).then(|| Evidence::share("WISMO tickets opened after the promise was missed, of those with a known state", count_of("in_transit_late"), known)),
            Some(Evidence::share("tickets not linked to any order", unlinked_all, all)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        breakdown,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: rate,
        impact: ImpactBasis {
            tickets: super::Tickets::Counted(wismo as f64),
            lost_revenue: None,
            repeat_drop: repeat_drop(ctx, has_wismo)?,
        },
    }))
}
