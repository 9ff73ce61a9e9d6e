//! monday-surge: one weekday carries at least `weekday_surge_factor` (1.5) x 1/7 of all tickets
//! (SPEC section 4), weekdays taken in the store time zone. Typically Monday, after a weekend
//! without answers.

use polars::prelude::*;

use super::{
    affected, Analyzer, BreakdownRow, Context, Evidence, Finding, ImpactBasis, Outcome, RepeatDrop,
    Stage,
};
use crate::error::Result;
use crate::schema as s;

pub const ANALYZER: Analyzer = Analyzer {
    id: "monday-surge",
    stage: Stage::Support,
    description: "One weekday (usually Monday) carries far more than its seventh of the tickets",
    automation: "weekend auto-replies with tracking links and order status",
    kpi: "top_weekday_ticket_share",
    run,
};

/// ISO weekday names, 1 = Monday.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// ISO weekday (1 = Monday) of a UTC instant column in the store time zone.
pub fn local_weekday(c: &str, tz: chrono_tz::Tz) -> Expr {
    col(c)
        .dt()
        .convert_time_zone(crate::journey::polars_tz(tz))
        .dt()
        .weekday()
}

fn run(ctx: &Context) -> Result<Outcome> {
    let Some(tickets) = &ctx.journeys.tickets else {
        return Ok(Outcome::NotApplicable {
            why: "no tickets table".into(),
        });
    };
    // Tickets at an implausible time (a mistyped year) have no weekday that can be trusted.
    let tickets = &tickets
        .clone()
        .lazy()
        .filter(ctx.journeys.known(s::CREATED_AT).is_not_null())
        .collect()?;
    let t = &ctx.config.thresholds;
    let n = tickets.height() as u64;
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    let by_day = tickets
        .clone()
        .lazy()
        .group_by([local_weekday(s::CREATED_AT, ctx.config.read.timezone)
            .cast(DataType::UInt32)
            .alias("wd")])
        .agg([len().cast(DataType::UInt64).alias("k")])
        .sort(["wd"], SortMultipleOptions::default())
        .collect()?;
    let wds = by_day.column("wd")?.u32()?;
    let ks = by_day.column("k")?.u64()?;
    // Seven rows at most.
    let counts: Vec<(u32, u64)> = (0..by_day.height())
        .filter_map(|i| Some((wds.get(i)?, ks.get(i)?)))
        .collect();
    let Some(&(top_day, top_k)) = counts
        .iter()
        .max_by_key(|(wd, k)| (*k, std::cmp::Reverse(*wd)))
    else {
        return Ok(Outcome::NotEnoughData { n });
    };
    let share = top_k as f64 / n as f64;
    if share < t.weekday_surge_factor / 7.0 {
        return Ok(Outcome::Clear {
            n,
            kpi_value: Some(share),
            note: None,
        });
    }
    let name = |wd: u32| {
        WEEKDAYS
            .get(wd.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("?")
    };
    let breakdown = counts
        .iter()
        .map(|&(wd, k)| BreakdownRow {
            label: name(wd).to_string(),
            n,
            affected: k,
            share: k as f64 / n as f64,
        })
        .collect();
    let excess = (top_k as f64 - n as f64 / 7.0).max(0.0);
    let tz = ctx.config.read.timezone;
    let ticket_orders = tickets
        .clone()
        .lazy()
        .filter(
            local_weekday(s::CREATED_AT, tz)
                .cast(DataType::UInt32)
                .eq(lit(top_day)),
        )
        .select([col(s::ORDER_ID)])
        .collect()?;
    let ids = ticket_orders
        .column(s::ORDER_ID)?
        .as_materialized_series()
        .clone();
    let (orders, customers) =
        affected(ctx, col(s::ORDER_ID).is_in(lit(ids).implode(false), false))?;
    Ok(Outcome::Raised(Finding {
        n,
        title: format!(
            "{} carries {:.0}% of tickets (an even week would be 14%)",
            name(top_day),
            share * 100.0
        ),
        evidence: vec![
            Evidence::share(&format!("tickets opened on {}", name(top_day)), top_k, n),
            Evidence::new("tickets above an even seventh", excess, "tickets"),
        ],
        breakdown,
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: Some(share),
        impact: ImpactBasis {
            tickets: super::Tickets::AboveEvenSpread(excess),
            lost_revenue: None,
            repeat_drop: RepeatDrop::NotApplicable,
        },
    }))
}
