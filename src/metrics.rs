//! Store-level KPIs (SPEC section 5, `kpis`), computed in one lazy query over the journeys.
//!
//! A KPI that cannot be computed from the inputs is `None` (JSON `null`), never 0 or NaN. Shares
//! and rates are fractions in [0, 1] except `wismo_rate_per_100`. Percentiles interpolate
//! linearly between order statistics (numpy's default).

use polars::prelude::*;

use crate::config::Config;
use crate::error::Result;
use crate::ingest::Store;
use crate::journey::{hours_between, known_shipped, Journeys};
use crate::schema as s;
use crate::stats::ratio;

/// The KPI block of the report; field order is the JSON order.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq)]
pub struct Kpis {
    pub orders: u64,
    /// Physical orders known shipped: a ship time, known delivered (see `orders_delivered`), or a
    /// fulfillment status that says fulfilled or partial; null when the inputs hold no shipping data at all (no shipments
    /// table, no ship or delivery time and no fulfillment status in the orders).
    pub orders_shipped: Option<u64>,
    /// Physical orders known delivered: a delivery time, or a status that says delivered without
    /// one (every shipment's, or the order's own without shipment rows); null when no orders or
    /// shipments file has a delivery-time column and no order is known delivered (a shipments
    /// export without deliveries measures nothing about them).
    pub orders_delivered: Option<u64>,
    /// Distinct customers (customer keys) with a non-cancelled order; null when there are
    /// orders but none can be tied to a person (no customer id, e-mail or customers file:
    /// counting 0 would claim that no one bought).
    pub customers: Option<u64>,
    /// Sum of `total - refunded` over non-cancelled orders, store currency; null when several
    /// currencies appear (see `Report::revenue_by_currency`) or no order has a total.
    pub revenue: Option<f64>,
    /// Order-to-ship time, hours, median / 90th percentile over shipped orders.
    pub fulfillment_wait_p50_h: Option<f64>,
    pub fulfillment_wait_p90_h: Option<f64>,
    /// Order-to-complete-fulfillment time (placement to the last shipment of an order known to
    /// be complete), hours, median over such orders.
    pub complete_fulfillment_wait_p50_h: Option<f64>,
    /// Shipped orders whose fulfillment wait exceeds the SLA / shipped orders with a wait.
    pub sla_breach_share: Option<f64>,
    pub transit_time_p50_h: Option<f64>,
    pub click_to_door_p50_h: Option<f64>,
    /// On-time delivered / delivered with a promise.
    pub on_time_rate: Option<f64>,
    /// Late delivered / delivered with a promise.
    pub late_share: Option<f64>,
    /// Undelivered open orders past their promise at the as-of time; null when no order has a
    /// promise (neither a promised date nor a carrier estimate).
    pub overdue_orders: Option<u64>,
    /// Physical, not cancelled orders not shipped or known partly shipped at the as-of time;
    /// null, as `orders_shipped`, when the inputs hold no shipping data at all.
    pub backlog_orders: Option<u64>,
    /// Cancelled / orders.
    pub cancel_share: Option<f64>,
    pub tickets: Option<u64>,
    pub wismo_tickets: Option<u64>,
    /// WISMO tickets linked to a physical order that had not shipped when the ticket was opened
    /// (`delivery_state` = not_shipped); null without a tickets table, and, as
    /// `orders_shipped`, when the inputs hold no shipping data at all.
    pub wismo_tickets_unshipped: Option<u64>,
    /// Tickets linked to no order (no order id, reference or requester e-mail matched one);
    /// null without a tickets table.
    pub tickets_unlinked: Option<u64>,
    pub wismo_rate_per_100: Option<f64>,
    pub wismo_share: Option<f64>,
    /// Customers whose second order came within the repeat window / eligible customers.
    pub repeat_rate: Option<f64>,
    /// Median days from first to second order, over customers with a second order.
    pub time_to_second_order_p50_d: Option<f64>,
    /// Customers with a second order: the sample of `time_to_second_order_p50_d` (a median of
    /// 2 is shown with its 2); null when `customers` is.
    pub second_order_customers: Option<u64>,
    /// Delivered orders with a review / delivered orders (null without a reviews table).
    pub review_coverage: Option<f64>,
    pub review_score_mean: Option<f64>,
    pub csat: Option<f64>,
}

/// Revenue of one currency.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct CurrencyRevenue {
    /// The currency code (trimmed, upper-case); empty for orders whose currency is not known
    /// (no currency given, or an empty cell among orders in several currencies).
    pub currency: String,
    /// Non-cancelled orders with a known net revenue in it.
    pub orders: u64,
    /// Their net revenue (`total - refunded`), in that currency.
    pub revenue: f64,
}

fn q(c: &str, p: f64) -> Expr {
    col(c).quantile(lit(p), QuantileMethod::Linear)
}

fn count_true(e: Expr) -> Expr {
    e.fill_null(lit(false))
        .cast(DataType::UInt32)
        .sum()
        .cast(DataType::Float64)
}

/// The repeat-purchase eligibility and success columns of the customers frame (SPEC section 2).
pub fn repeat_columns(j: &Journeys, window_days: u32) -> [Expr; 2] {
    let window_h = f64::from(window_days) * 24.0;
    let as_of = lit(j.as_of.timestamp_millis()).cast(crate::ingest::frame::utc_ms());
    let age_h = crate::journey::since(col("first_order_at"), as_of);
    let eligible = age_h.gt_eq(lit(window_h));
    let repeated = hours_between("first_order_at", "second_order_at")
        .lt_eq(lit(window_h))
        .fill_null(lit(false));
    [eligible.alias("eligible"), repeated.alias("repeated")]
}

/// Computes the KPIs. `revenue_by_currency` lists each currency's revenue when the orders carry one.
pub fn compute(store: &Store, j: &Journeys, cfg: &Config) -> Result<(Kpis, Vec<CurrencyRevenue>)> {
    let sla = cfg.thresholds.fulfillment_sla_h;
    let physical = col(s::REQUIRES_SHIPPING);
    let row = j
        .orders
        .clone()
        .lazy()
        .select([
            len().cast(DataType::Float64).alias("orders"),
            count_true(col(s::CUSTOMER_KEY).is_not_null()).alias("keyed"),
            // Delivered orders were shipped, even when the export lost the ship time; so were
            // orders whose fulfillment status says so.
            count_true(physical.clone().and(known_shipped())).alias("shipped"),
            // Known delivered: a delivery time, or a status that says delivered without one.
            count_true(physical.clone().and(col(s::DELIVERED))).alias("delivered"),
            // Whether the inputs carry the data at all (a count of 0 is then a measured 0).
            count_true(
                col(s::SHIPPED_AT)
                    .is_not_null()
                    .or(col(s::DELIVERED))
                    .or(col(s::FULFILLMENT_STATUS).is_not_null()),
            )
            .alias("any_ship_time"),
            count_true(col(s::DELIVERED)).alias("any_delivery"),
            count_true(col(s::PROMISE_DEADLINE).is_not_null()).alias("any_promise"),
            q(s::FULFILLMENT_WAIT_H, 0.5).alias("fw50"),
            q(s::FULFILLMENT_WAIT_H, 0.9).alias("fw90"),
            q(s::COMPLETE_FULFILLMENT_WAIT_H, 0.5).alias("cfw50"),
            count_true(col(s::IN_BACKLOG)).alias("backlog"),
            count_true(col(s::FULFILLMENT_WAIT_H).gt(lit(sla))).alias("breach"),
            col(s::FULFILLMENT_WAIT_H)
                .count()
                .cast(DataType::Float64)
                .alias("fw_n"),
            q(s::TRANSIT_TIME_H, 0.5).alias("tt50"),
            q(s::CLICK_TO_DOOR_H, 0.5).alias("ctd50"),
            count_true(col(s::LATE)).alias("late"),
            col(s::LATE).count().cast(DataType::Float64).alias("late_n"),
            count_true(col(s::OVERDUE)).alias("overdue"),
            count_true(col(s::CANCELLED)).alias("cancelled"),
            count_true(
                physical
                    .clone()
                    .and(col(s::DELIVERED))
                    .and(crate::journey::reviewed()),
            )
            .alias("delivered_reviewed"),
            col(s::REVIEW_SCORE).mean().alias("score_mean"),
        ])
        .collect()?;
    let get = |name: &str| -> Result<Option<f64>> {
        Ok(row
            .column(name)?
            .cast(&DataType::Float64)?
            .f64()?
            .get(0)
            .filter(|v| v.is_finite()))
    };
    let n = |name: &str| -> Result<f64> { Ok(get(name)?.unwrap_or(0.0)) };

    let [eligible, repeated] = repeat_columns(j, cfg.thresholds.repeat_window_days);
    let cust = j
        .customers
        .clone()
        .lazy()
        .select([
            len().cast(DataType::Float64).alias("customers"),
            count_true(eligible.clone()).alias("eligible"),
            count_true(eligible.and(repeated)).alias("repeated"),
            col("days_to_second_order")
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias("t2"),
            col("days_to_second_order").count().alias("t2_n"),
        ])
        .collect()?;
    let cget = |name: &str| -> Result<Option<f64>> {
        Ok(cust
            .column(name)?
            .cast(&DataType::Float64)?
            .f64()?
            .get(0)
            .filter(|v| v.is_finite()))
    };

    // Orders tied to a customer (or no orders at all): the customer KPIs are measured.
    let keyed = n("keyed")? > 0.0 || n("orders")? == 0.0;
    let by_currency = revenue_by_currency(j)?;
    let revenue = match by_currency.len() {
        0 => None,
        1 => Some(by_currency[0].revenue),
        _ => None,
    };
    let has_reviews = store.reviews.is_some();
    let support = ticket_counts(j)?;
    let support = support.as_ref();
    let shipped = n("shipped")?;
    let has_shipments = store.shipments.is_some();
    let measured = |any: &str, count: &str| -> Result<Option<u64>> {
        Ok((has_shipments || n(any)? > 0.0).then_some(n(count)? as u64))
    };
    let deliveries_measured = store.delivery_times_read || n("any_delivery")? > 0.0;
    let kpis = Kpis {
        orders: n("orders")? as u64,
        orders_shipped: measured("any_ship_time", "shipped")?,
        // A shipments table without a delivery column (a ShipStation export) measures shipping,
        // not delivery: null, not 0 delivered.
        orders_delivered: deliveries_measured.then_some(n("delivered")? as u64),
        customers: keyed.then_some(cget("customers")?.unwrap_or(0.0) as u64),
        revenue,
        fulfillment_wait_p50_h: get("fw50")?,
        fulfillment_wait_p90_h: get("fw90")?,
        complete_fulfillment_wait_p50_h: get("cfw50")?,
        sla_breach_share: ratio(n("breach")?, n("fw_n")?),
        transit_time_p50_h: get("tt50")?,
        click_to_door_p50_h: get("ctd50")?,
        on_time_rate: ratio(n("late_n")? - n("late")?, n("late_n")?),
        late_share: ratio(n("late")?, n("late_n")?),
        // Overdue = past the promise and not delivered: measured only with delivery data.
        overdue_orders: (n("any_promise")? > 0.0 && deliveries_measured)
            .then_some(n("overdue")? as u64),
        backlog_orders: measured("any_ship_time", "backlog")?,
        // Without a status or cancellation time no order can be seen cancelled: not 0.
        cancel_share: ratio(n("cancelled")?, n("orders")?).filter(|_| store.cancellations_read),
        tickets: support.map(|t| t.tickets),
        wismo_tickets: support.map(|t| t.wismo),
        wismo_tickets_unshipped: if has_shipments || n("any_ship_time")? > 0.0 {
            support.map(|t| t.wismo_unshipped)
        } else {
            None
        },
        tickets_unlinked: support.map(|t| t.unlinked),
        // WISMO rate = WISMO tickets / orders with a shipped_at x 100 (SPEC section 3): 0.0
        // with a tickets table and no WISMO ticket; null without tickets or shipped orders.
        wismo_rate_per_100: support.and_then(|t| ratio(t.wismo as f64 * 100.0, shipped)),
        wismo_share: support.and_then(|t| ratio(t.wismo as f64, t.tickets as f64)),
        repeat_rate: ratio(
            cget("repeated")?.unwrap_or(0.0),
            cget("eligible")?.unwrap_or(0.0),
        ),
        time_to_second_order_p50_d: cget("t2")?,
        second_order_customers: keyed.then_some(cget("t2_n")?.unwrap_or(0.0) as u64),
        review_coverage: if has_reviews {
            ratio(n("delivered_reviewed")?, n("delivered")?)
        } else {
            None
        },
        review_score_mean: if has_reviews {
            get("score_mean")?
        } else {
            None
        },
        csat: support.and_then(|t| t.csat_mean),
    };
    Ok((kpis, by_currency))
}

/// Net revenue of non-cancelled orders per currency (orders without a currency count under
/// the empty name, which reports as the store currency).
fn revenue_by_currency(j: &Journeys) -> Result<Vec<CurrencyRevenue>> {
    let df = j
        .orders
        .clone()
        .lazy()
        .filter(col(s::NET_REVENUE).is_not_null())
        .group_by([col(s::CURRENCY).fill_null(lit("")).alias(s::CURRENCY)])
        .agg([
            len().cast(DataType::UInt64).alias("orders"),
            // Rounded to 6 decimals: sums of cents carry binary noise (2419.5499999999997).
            col(s::NET_REVENUE)
                .sum()
                .round(6, RoundMode::HalfAwayFromZero)
                .alias("revenue"),
        ])
        .sort([s::CURRENCY], SortMultipleOptions::default())
        .collect()?;
    let cur = df.column(s::CURRENCY)?.str()?;
    let orders = df.column("orders")?.u64()?;
    let revenue = df.column("revenue")?.f64()?;
    // Iterating the per-currency summary (a handful of rows), not the orders.
    Ok((0..df.height())
        .map(|i| CurrencyRevenue {
            currency: cur.get(i).unwrap_or("").to_string(),
            orders: orders.get(i).unwrap_or(0),
            revenue: revenue.get(i).unwrap_or(0.0),
        })
        .collect())
}

/// Ticket totals of a store with a tickets table.
#[derive(Debug, Clone, Copy)]
pub struct TicketCounts {
    pub tickets: u64,
    pub wismo: u64,
    /// WISMO tickets whose physical order had not shipped when they were opened.
    pub wismo_unshipped: u64,
    /// Tickets linked to no order.
    pub unlinked: u64,
    /// Mean satisfaction score of rated tickets (the helpdesk's own scale).
    pub csat_mean: Option<f64>,
}

/// Counts tickets and WISMO tickets; `None` without a tickets table.
pub fn ticket_counts(j: &Journeys) -> Result<Option<TicketCounts>> {
    let Some(t) = &j.tickets else {
        return Ok(None);
    };
    // A digital order is never shipped: a ticket about it is not one about an unshipped order.
    let linked =
        crate::journey::among(j.orders.clone().lazy(), s::ORDER_ID, t.column(s::ORDER_ID)?)?;
    let physical = crate::journey::one_per_order_id(linked, j.order_ids_distinct).select([
        col(s::ORDER_ID),
        col(s::REQUIRES_SHIPPING).alias("_physical"),
    ]);
    let df = t
        .clone()
        .lazy()
        .join(
            physical,
            [col(s::ORDER_ID)],
            [col(s::ORDER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            len().cast(DataType::Float64).alias("n"),
            count_true(col("wismo")).alias("wismo"),
            count_true(
                col("wismo")
                    .and(col("delivery_state").eq(lit("not_shipped")))
                    .and(col("_physical").fill_null(lit(true))),
            )
            .alias("wismo_unshipped"),
            col(s::ORDER_ID).null_count().alias("unlinked"),
            col(s::CSAT).mean().alias("csat"),
        ])
        .collect()?;
    let get = |name: &str| -> Result<Option<f64>> {
        Ok(df
            .column(name)?
            .cast(&DataType::Float64)?
            .f64()?
            .get(0)
            .filter(|v| v.is_finite()))
    };
    Ok(Some(TicketCounts {
        tickets: get("n")?.unwrap_or(0.0) as u64,
        wismo: get("wismo")?.unwrap_or(0.0) as u64,
        wismo_unshipped: get("wismo_unshipped")?.unwrap_or(0.0) as u64,
        unlinked: get("unlinked")?.unwrap_or(0.0) as u64,
        csat_mean: get("csat")?,
    }))
}
