//! The analyzers: one file per snag id (SPEC section 4), all returning the same [`Outcome`].
//!
//! [`ANALYZERS`] is the single list that drives the run, `snagscan analyzers`, and the report's
//! legend.

mod express_buried;
mod hold_wait;
mod late_delivery;
mod late_first_order_churn;
mod monday_surge;
mod repeat_dropoff;
mod review_gap;
mod slow_fulfillment;
mod stockout_cancellations;
mod vip_at_risk;
mod weekend_backlog;
mod wismo_load;
pub mod wismo_spike;

pub use late_first_order_churn::repeat_by_experience;
pub use repeat_dropoff::{cohort_retention, time_to_second_order_quartiles};

use chrono_tz::Tz;
use polars::prelude::*;

use crate::config::Config;
use crate::error::Result;
use crate::ingest::Store;
use crate::journey::Journeys;
use crate::metrics::{repeat_columns, Kpis};
use crate::schema as s;

/// Journey stage a snag belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Fulfillment,
    Delivery,
    Support,
    PostPurchase,
    Loyalty,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Fulfillment => "fulfillment",
            Stage::Delivery => "delivery",
            Stage::Support => "support",
            Stage::PostPurchase => "post-purchase",
            Stage::Loyalty => "loyalty",
        }
    }
}

/// What every analyzer sees.
pub struct Context<'a> {
    pub store: &'a Store,
    pub journeys: &'a Journeys,
    pub kpis: &'a Kpis,
    pub config: &'a Config,
    /// The currency impacts are priced in when the orders carry several (see
    /// [`scoring_currency`]); `None` when they carry one or none, and every amount counts.
    pub scoring_currency: Option<&'a str>,
}

impl Context<'_> {
    /// True for the journeys' orders whose amounts count in money terms: all of them, or with
    /// several currencies only those in [`Context::scoring_currency`] (amounts in other
    /// currencies are not converted, so they are left out, never added as if they were one).
    pub fn in_scoring_currency(&self) -> Expr {
        match self.scoring_currency {
            None => lit(true),
            Some(c) => col(s::CURRENCY).eq(lit(c)).fill_null(lit(false)),
        }
    }

    /// The journeys' customers (see [`Journeys::customers`]) whose revenue is in the scoring
    /// currency: all of them with one currency; with several, those with no order of a known
    /// amount in another currency (or none), so that revenues compared or priced are in one
    /// currency.
    ///
    /// Errors: internal data-frame errors.
    pub fn priced_customers(&self) -> Result<LazyFrame> {
        use crate::journey::CUSTOMER_INDEX;
        let customers = self.journeys.customers.clone().lazy();
        if self.scoring_currency.is_none() {
            return Ok(customers);
        }
        let elsewhere = self
            .journeys
            .orders
            .clone()
            .lazy()
            .filter(
                col(CUSTOMER_INDEX)
                    .is_not_null()
                    .and(col(s::NET_REVENUE).is_not_null())
                    .and(self.in_scoring_currency().not()),
            )
            .select([col(CUSTOMER_INDEX)]);
        Ok(customers.join(
            elsewhere,
            [col(CUSTOMER_INDEX)],
            [col(CUSTOMER_INDEX)],
            JoinArgs::new(JoinType::Anti),
        ))
    }
}

/// The currency a store's impacts are priced in when its orders carry several currencies
/// (`by_currency`, one row per currency, the empty name for orders without one): the
/// configured `currency` when the orders carry it (any case), else the currency of most
/// orders (ties: the first by name). `None` when the orders carry one currency or none, so
/// that every amount counts. SPEC section 4 prices impact "in the store currency" and never
/// sums amounts in different currencies; converting them would need exchange rates the
/// exports do not hold.
pub fn scoring_currency(
    by_currency: &[crate::metrics::CurrencyRevenue],
    configured: Option<&str>,
) -> Option<String> {
    if by_currency.len() < 2 {
        return None;
    }
    let named = || by_currency.iter().filter(|c| !c.currency.is_empty());
    if let Some(c) =
        configured.and_then(|want| named().find(|c| c.currency.eq_ignore_ascii_case(want)))
    {
        return Some(c.currency.clone());
    }
    // max_by_key keeps the last of equal maxima: reversed, the first by name.
    named()
        .rev()
        .max_by_key(|c| c.orders)
        .map(|c| c.currency.clone())
}

/// One measured number behind a snag.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evidence {
    pub name: String,
    pub value: f64,
    /// `share` (fraction), `hours`, `days`, `orders`, `tickets`, `count` (customers...), `points`,
    /// `currency`, `ratio`, `z` (a z statistic), `p-value`.
    pub unit: &'static str,
    /// Sample size behind the value, when it is a statistic.
    pub n: Option<u64>,
    /// 95% interval (Wilson for shares).
    pub ci95: Option<[f64; 2]>,
}

impl Evidence {
    pub fn new(name: &str, value: f64, unit: &'static str) -> Self {
        Evidence {
            name: name.to_string(),
            value,
            unit,
            n: None,
            ci95: None,
        }
    }

    /// A share `k / n` with its Wilson interval.
    pub fn share(name: &str, k: u64, n: u64) -> Self {
        Evidence {
            name: name.to_string(),
            value: if n > 0 { k as f64 / n as f64 } else { 0.0 },
            unit: "share",
            n: Some(n),
            ci95: crate::stats::wilson(k, n),
        }
    }

    pub fn with_n(mut self, n: u64) -> Self {
        self.n = Some(n);
        self
    }
}

/// A row of a snag's breakdown table (worst lanes, SKUs...). Every report lists the rows in the
/// order the analyzer returns them, so an analyzer puts them in the order it means: a ranking
/// worst first, with a deterministic tie-break; a split (weekdays, delivery states) in its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BreakdownRow {
    /// The group: a lane, a SKU, a weekday...
    pub label: String,
    /// The base of `share`: the group's orders (tickets, customers, by analyzer), or the whole
    /// total when the breakdown splits one (monday-surge's weekdays, wismo-load's states).
    pub n: u64,
    /// Of those, the ones in the group that the snag hits.
    pub affected: u64,
    /// `affected / n` (0 when `n` is 0).
    pub share: f64,
}

/// What the `affected` of snag `id`'s breakdown rows counts, for the reports to label it, when
/// it is not the rows' share of the snag's own affected orders, tickets or customers: review-gap
/// splits the reviews scored 1-2, while the snag affects the late or unreviewed orders;
/// weekend-backlog counts every weekday's orders over the Mon-Thu p90, the reference days'
/// too; wismo-spike counts each spike day's WISMO tickets among all its tickets. `None` for the
/// others, whose breakdown counts what the snag affects.
pub fn breakdown_counts(id: &str) -> Option<&'static str> {
    match id {
        _ if id == review_gap::ANALYZER.id => Some(review_gap::BREAKDOWN_COUNTS),
        _ if id == weekend_backlog::ANALYZER.id => Some(weekend_backlog::BREAKDOWN_COUNTS),
        _ if id == wismo_spike::ANALYZER.id => Some(wismo_spike::BREAKDOWN_COUNTS),
        _ => None,
    }
}

/// The measured inputs of a snag's impact (priced in `score`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactBasis {
    /// Support tickets the snag costs over the whole window (the support-cost term).
    pub tickets: Tickets,
    /// Revenue lost outright over the window (cancelled orders), store currency.
    pub lost_revenue: Option<f64>,
    /// Repeat-rate drop measured between customers whose first order was affected and the rest.
    pub repeat_drop: RepeatDrop,
}

/// The tickets behind a snag's support cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Tickets {
    /// Tickets counted over the whole window: those linked to the affected orders, or the
    /// snag's own (WISMO tickets, a spike's excess).
    Counted(f64),
    /// Tickets above what an even spread over the weekdays would give (monday-surge's excess
    /// over an even seventh), over the whole window.
    AboveEvenSpread(f64),
    /// The inputs have no tickets table: the term is not measured (not 0).
    NoTicketsTable,
    /// The snag raises no tickets of its own (a customer who does not come back, a review not
    /// asked for, a VIP gone quiet): tickets on its orders were raised by something else.
    #[default]
    NotApplicable,
}

/// The measured drop in 90-day repeat rate after an affected first order.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum RepeatDrop {
    /// Not relevant for this snag.
    #[default]
    NotApplicable,
    /// A group had fewer eligible customers than the minimum sample.
    NotMeasurable { affected: u64, others: u64 },
    Measured {
        affected_rate: f64,
        others_rate: f64,
        affected: u64,
        others: u64,
    },
    /// Customers expected to stop buying altogether (lapsing VIPs), priced at their own mean
    /// revenue per 30 days (already a per-30-day figure, store currency).
    Lapsing {
        customers: u64,
        revenue_per_30d: f64,
    },
}

/// A raised snag before scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Sample size the threshold was tested on: the same population, counted the same way, as
    /// the analyzer's [`Outcome::Clear`] `n` on the same data (shipped orders for
    /// slow-fulfillment, delivered orders with a promise for late-delivery...). Reported as
    /// the raised check's `n`.
    pub n: u64,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub breakdown: Vec<BreakdownRow>,
    pub affected_orders: u64,
    pub affected_customers: u64,
    /// Current value of the analyzer's outcome KPI.
    pub kpi_value: Option<f64>,
    pub impact: ImpactBasis,
}

/// What an analyzer concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Raised(Finding),
    /// Measured, below the threshold; `n` is the sample the threshold was tested on (the
    /// same count as [`Finding::n`] when raised).
    /// `note`, when set, says what decided the verdict where the KPI alone would read
    /// otherwise (vip-at-risk: a KPI counting VIPs the rule does not raise on); reports show it
    /// in place of the KPI.
    Clear {
        n: u64,
        kpi_value: Option<f64>,
        note: Option<String>,
    },
    /// Sample below `min_sample`.
    NotEnoughData {
        n: u64,
    },
    /// The inputs lack what the analyzer needs (e.g. no reviews table).
    NotApplicable {
        why: String,
    },
}

/// Not applicable, for a snag measured by order-to-ship times, when the inputs cannot give
/// one: no shipping data at all (`orders_shipped` null), or shipped orders none of which has a
/// ship time (`fulfillment_wait_p50_h` null). More orders would not give such a store a sample,
/// so it is not "not enough data". `None` when order-to-ship times exist.
pub fn without_ship_times(ctx: &Context) -> Option<Outcome> {
    let why = match (ctx.kpis.orders_shipped, ctx.kpis.fulfillment_wait_p50_h) {
        (None, _) => {
            "no shipping data in the inputs (no shipments file, ship time or fulfillment status)"
        }
        (Some(1..), None) => "no shipped order has a ship time: order-to-ship cannot be measured",
        _ => return None,
    };
    Some(Outcome::NotApplicable { why: why.into() })
}

/// Not applicable, for a snag measured by lateness against the promise, when the inputs cannot
/// tell any order late or on time: no delivery data (`orders_delivered` null), or delivered
/// orders none of which has both a delivery time and a promise (`on_time_rate` null). More orders would not help, so it
/// is not "not enough data". `None` when lateness is measured.
pub fn without_lateness(ctx: &Context) -> Option<Outcome> {
    lateness_unknown(ctx.kpis).map(|why| Outcome::NotApplicable { why: why.into() })
}

/// Why the inputs cannot tell any order late or on time (see [`without_lateness`]), or `None`
/// when lateness is measured.
pub fn lateness_unknown(kpis: &Kpis) -> Option<&'static str> {
    match (kpis.orders_delivered, kpis.on_time_rate) {
        (None, _) => Some("no delivery data in the inputs (no delivery time or delivered status)"),
        (Some(1..), None) => Some("no delivered order has both a delivery time and a promise: lateness cannot be measured"),
        _ => None,
    }
}

/// Not applicable, for a snag measured on customers, when no order is tied to one (`customers`
/// null: no customer id, e-mail or customers file), so more orders would not help; `None`
/// otherwise.
pub fn without_customers(ctx: &Context) -> Option<Outcome> {
    ctx.kpis
        .customers
        .is_none()
        .then(|| Outcome::NotApplicable {
            why: "no order is tied to a customer (no customer id, e-mail or customers file)".into(),
        })
}

/// One entry of the analyzer registry.
pub struct Analyzer {
    /// Stable kebab-case snag id.
    pub id: &'static str,
    pub stage: Stage,
    pub description: &'static str,
    /// The recommended automation (the playbook key is the id).
    pub automation: &'static str,
    /// The outcome KPI the automation moves.
    pub kpi: &'static str,
    pub run: fn(&Context) -> Result<Outcome>,
}

/// Every analyzer, in report order.
pub static ANALYZERS: &[Analyzer] = &[
    slow_fulfillment::ANALYZER,
    express_buried::ANALYZER,
    weekend_backlog::ANALYZER,
    hold_wait::ANALYZER,
    late_delivery::ANALYZER,
    wismo_load::ANALYZER,
    wismo_spike::ANALYZER,
    monday_surge::ANALYZER,
    repeat_dropoff::ANALYZER,
    late_first_order_churn::ANALYZER,
    vip_at_risk::ANALYZER,
    stockout_cancellations::ANALYZER,
    review_gap::ANALYZER,
];

/// `instant` (a UTC Datetime column or expression) seen on the store's wall clock, for
/// calendar fields (weekday, month) in the store time zone.
pub fn in_store_tz(instant: Expr, tz: Tz) -> Expr {
    instant
        .dt()
        .convert_time_zone(crate::journey::polars_tz(tz))
}

/// Row counts and medians of one value in two groups of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoMedians {
    /// Rows of the sample where the flag is true, and the median of the value over them.
    pub n_flagged: u64,
    pub flagged: Option<f64>,
    /// The other rows of the sample (flag false or null).
    pub n_others: u64,
    pub others: Option<f64>,
}

impl TwoMedians {
    /// The smaller group, the one the minimum sample applies to.
    pub fn n_min(&self) -> u64 {
        self.n_flagged.min(self.n_others)
    }

    /// flagged median / others' median; `None` when either is missing or the others' is 0.
    pub fn ratio(&self) -> Option<f64> {
        match (self.flagged, self.others) {
            (Some(f), Some(o)) if o > 0.0 => Some(f / o),
            _ => None,
        }
    }
}

/// Medians (linear, numpy's default) of the non-null values of column `value` in the journeys
/// that match `flag` and in those that do not.
pub fn two_medians(ctx: &Context, value: &str, flag: Expr) -> Result<TwoMedians> {
    let flag = flag.fill_null(lit(false));
    let v = |keep: Expr| col(value).filter(keep);
    let df = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(col(value).is_not_null())
        .select([
            v(flag.clone()).count().alias("n1"),
            v(flag.clone())
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias("m1"),
            v(flag.clone().not()).count().alias("n0"),
            v(flag.not())
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias("m0"),
        ])
        .collect()?;
    Ok(TwoMedians {
        n_flagged: first_u64(&df, "n1")?,
        flagged: first_f64(&df, "m1")?,
        n_others: first_u64(&df, "n0")?,
        others: first_f64(&df, "m0")?,
    })
}

/// Number of distinct non-null customer keys among rows matching `mask`, and the row count.
pub fn affected(ctx: &Context, mask: Expr) -> Result<(u64, u64)> {
    let df = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(mask)
        .select([
            len().cast(DataType::UInt64).alias("orders"),
            col(s::CUSTOMER_KEY)
                .drop_nulls()
                .n_unique()
                .cast(DataType::UInt64)
                .alias("customers"),
        ])
        .collect()?;
    Ok((first_u64(&df, "orders")?, first_u64(&df, "customers")?))
}

/// The first value of a numeric column of a one-row result, as u64 (0 when null).
pub fn first_u64(df: &DataFrame, name: &str) -> Result<u64> {
    Ok(df
        .column(name)?
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0))
}

/// The first value of a numeric column of a one-row result, as f64 (None when null or NaN).
pub fn first_f64(df: &DataFrame, name: &str) -> Result<Option<f64>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .get(0)
        .filter(|v| v.is_finite()))
}

/// Tickets linked to orders matching `mask` (all tickets, WISMO or not), over the whole window;
/// [`Tickets::NoTicketsTable`] without a tickets table, so that the support-cost term is "not
/// measured", not 0.
pub fn tickets_on(ctx: &Context, mask: Expr) -> Result<Tickets> {
    if ctx.journeys.tickets.is_none() {
        return Ok(Tickets::NoTicketsTable);
    }
    let df = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(mask)
        .select([col(s::N_TICKETS).sum().cast(DataType::Float64).alias("t")])
        .collect()?;
    Ok(Tickets::Counted(first_f64(&df, "t")?.unwrap_or(0.0)))
}

/// Measures the 90-day repeat rate of eligible customers whose first order matched `first_order`
/// against the others (SPEC section 2).
pub fn repeat_drop(ctx: &Context, first_order: Expr) -> Result<RepeatDrop> {
    let j = ctx.journeys;
    let firsts = j
        .orders
        .clone()
        .lazy()
        .filter(col(s::ORDER_SEQ).eq(lit(1u32)))
        .select([
            col(crate::journey::CUSTOMER_INDEX),
            first_order.fill_null(lit(false)).alias("_affected"),
        ]);
    let [eligible, repeated] = repeat_columns(j, ctx.config.thresholds.repeat_window_days);
    let df = j
        .customers
        .clone()
        .lazy()
        .join(
            firsts,
            [col(crate::journey::CUSTOMER_INDEX)],
            [col(crate::journey::CUSTOMER_INDEX)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(eligible)
        .group_by([col("_affected")])
        .agg([
            len().cast(DataType::UInt64).alias("n"),
            repeated.cast(DataType::UInt64).sum().alias("k"),
        ])
        .collect()?;
    let mut groups = [(0u64, 0u64); 2];
    let flags = df.column("_affected")?.bool()?;
    let ns = df.column("n")?.u64()?;
    let ks = df.column("k")?.cast(&DataType::UInt64)?;
    let ks = ks.u64()?;
    // Two rows at most (affected or not).
    for i in 0..df.height() {
        let g = usize::from(flags.get(i).unwrap_or(false));
        groups[g] = (ns.get(i).unwrap_or(0), ks.get(i).unwrap_or(0));
    }
    let ((n_other, k_other), (n_aff, k_aff)) = (groups[0], groups[1]);
    let min = ctx.config.thresholds.min_sample;
    if n_aff < min || n_other < min {
        return Ok(RepeatDrop::NotMeasurable {
            affected: n_aff,
            others: n_other,
        });
    }
    Ok(RepeatDrop::Measured {
        affected_rate: k_aff as f64 / n_aff as f64,
        others_rate: k_other as f64 / n_other as f64,
        affected: n_aff,
        others: n_other,
    })
}

/// Groups rows matching `sample` by `label` and counts `hit` per group: the worst groups by
/// share first (groups with at least `min_n` rows), at most `max_rows` of them... see callers.
pub fn breakdown(
    ctx: &Context,
    sample: Expr,
    label: Expr,
    hit: Expr,
    min_n: u64,
) -> Result<Vec<BreakdownRow>> {
    let limit = ctx.config.thresholds.worst_lanes as u32;
    breakdown_rows(ctx, sample, label, hit, min_n, Some(limit))
}

/// [`breakdown`] with every group (at least `min_n` rows), when `limit` is `None`: for a
/// breakdown of a few fixed groups read against each other (weekdays).
pub fn breakdown_rows(
    ctx: &Context,
    sample: Expr,
    label: Expr,
    hit: Expr,
    min_n: u64,
    limit: Option<u32>,
) -> Result<Vec<BreakdownRow>> {
    let grouped = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(sample.and(label.clone().is_not_null()))
        .group_by([label.cast(DataType::String).alias("label")])
        .agg([
            len().cast(DataType::UInt64).alias("n"),
            hit.fill_null(lit(false))
                .cast(DataType::UInt64)
                .sum()
                .alias("k"),
        ])
        .filter(col("n").gt_eq(lit(min_n)))
        .with_column(
            (col("k").cast(DataType::Float64) / col("n").cast(DataType::Float64)).alias("share"),
        )
        .sort(
            ["share", "k", "label"],
            SortMultipleOptions::default().with_order_descending_multi([true, true, false]),
        );
    let df = match limit {
        Some(limit) => grouped.limit(limit),
        None => grouped,
    }
    .collect()?;
    let labels = df.column("label")?.str()?;
    let ns = df.column("n")?.u64()?;
    let ks = df.column("k")?.cast(&DataType::UInt64)?;
    let ks = ks.u64()?;
    let shares = df.column("share")?.f64()?;
    // A few summary rows (limited above), not the orders.
    Ok((0..df.height())
        .map(|i| BreakdownRow {
            label: labels.get(i).unwrap_or("").to_string(),
            n: ns.get(i).unwrap_or(0),
            affected: ks.get(i).unwrap_or(0),
            share: shares.get(i).unwrap_or(0.0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::CurrencyRevenue;

    fn currencies(rows: &[(&str, u64)]) -> Vec<CurrencyRevenue> {
        rows.iter()
            .map(|(c, n)| CurrencyRevenue {
                currency: c.to_string(),
                orders: *n,
                revenue: 1.0,
            })
            .collect()
    }

    #[test]
    fn the_scoring_currency_is_the_configured_one_else_the_one_of_most_orders() {
        // One currency, or none: every amount counts.
        assert_eq!(scoring_currency(&currencies(&[("USD", 3)]), None), None);
        assert_eq!(scoring_currency(&[], Some("EUR")), None);
        let two = currencies(&[("EUR", 2), ("USD", 5)]);
        assert_eq!(scoring_currency(&two, None).as_deref(), Some("USD"));
        // The configured currency, in any case, when the orders carry it; else most orders.
        assert_eq!(scoring_currency(&two, Some("eur")).as_deref(), Some("EUR"));
        assert_eq!(scoring_currency(&two, Some("GBP")).as_deref(), Some("USD"));
        // Ties go to the first by name; orders without a currency never decide.
        let tied = currencies(&[("", 9), ("EUR", 4), ("USD", 4)]);
        assert_eq!(scoring_currency(&tied, None).as_deref(), Some("EUR"));
    }
}
