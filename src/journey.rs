//! Orders + shipments + reviews -> one journey row per order, and one row per customer
//! (SPEC section 2).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

use crate::error::Result;
use crate::ingest::{audit, audit_with_example, frame::utc_ms, Store};
use crate::quality::{DataQuality, Effect};
use crate::schema as s;
use crate::support::matches;

/// A `status` that marks a cancelled order: the words `cancel`, `voided` or `unavailable` (any
/// case, also inside values like `wc-cancelled`; `unavailable` is Olist's status for an order
/// cancelled because the item was out of stock), WooCommerce's `failed` / `wc-failed` (the
/// payment failed, so the order never went through) as the whole status, or "payment failed".
/// Not any `failed`: a `delivery_failed` order was placed and shipped, its delivery failed.
pub const CANCELLED_STATUS_PATTERN: &str =
    r"(?i)cancel|voided|unavailable|^\s*(wc-)?failed\s*$|payment[\s_-]*failed";
/// Words in `shipping_method` that mark the express tier.
pub const EXPRESS_PATTERN: &str =
    r"(?i)express|priority|next[ -]?day|overnight|expedited|same[ -]?day|2[ -]?day";
/// Words in `cancel_reason` or `status` that mark a stockout cancellation.
pub const STOCKOUT_PATTERN: &str =
    r"(?i)unavailable|out of stock|out-of-stock|inventory|stockout|sold out";
/// A `fulfillment_status` (of an order or a line item) that says it was completely fulfilled.
/// Anchored, so that `unfulfilled` is not read as fulfilled.
pub const FULFILLED_STATUS_PATTERN: &str =
    r"(?i)^\s*(fulfilled|shipped|delivered|complete|completed)\s*$";
/// A shipment's or an order's `status` that says delivered (any case, trimmed: AfterShip's
/// `Delivered`, Olist's `delivered`, a WooCommerce plugin's `wc-delivered`, a carrier's
/// "Delivered to customer" / "to recipient" / "to buyer"). Anchored, so that `undelivered` or
/// `delivery failed` is not read as delivered. With no delivery time, the order was delivered
/// at a time not known.
pub const DELIVERED_STATUS_PATTERN: &str =
    r"(?i)^\s*(wc-)?delivered(\s+to\s+(the\s+)?(customer|recipient|buyer))?\s*$";
/// A `fulfillment_status` that says partly fulfilled (Shopify `partial`, "Partially fulfilled").
pub const PARTIAL_STATUS_PATTERN: &str = r"(?i)partial";
/// A free-text `status` that says partly shipped (`partially_shipped`, `partially fulfilled`);
/// not a bare `partial`, which in a financial status means partly paid or refunded.
pub const PARTIAL_IN_STATUS_PATTERN: &str = r"(?i)partial(ly)?[\s_-]*(shipped|fulfilled)";
/// A `status` that says the order was paid in full (Shopify's financial statuses `paid`,
/// `partially_refunded` and `refunded`: a refund comes after a payment). Anchored, so that
/// `unpaid` is not read as paid; not `partially_paid` (a part still owed) nor `authorized` (not
/// yet captured). With no payment time, the order was paid at a time not known.
pub const PAID_STATUS_PATTERN: &str = r"(?i)^\s*(paid|(partially[\s_-]*)?refunded)\s*$";
/// A `status` that says the order awaits its payment, so nothing is owed to the customer yet:
/// WooCommerce's "Pending payment" (status key `wc-pending`; a bare `pending` in a WooCommerce
/// file is read as that key, see `ingest::formats::woo_status`) and its block checkout's
/// `checkout-draft`. Not Shopify's financial status `pending`, which a cash-on-delivery order
/// keeps until it is delivered. Such an order, without a payment time and not known shipped,
/// has no open age, is not in the backlog and is not overdue.
pub const AWAITING_PAYMENT_STATUS_PATTERN: &str =
    r"(?i)^\s*(wc-pending|(wc-)?checkout[\s_-]*draft|pending[\s_-]*payment)\s*$";
/// A line item's `fulfillment_status` that says it will not be shipped (put back in stock, or
/// Shopify's `not_eligible`): not an unshipped item.
pub const NOT_TO_SHIP_STATUS_PATTERN: &str = r"(?i)^\s*(restocked|not[\s_-]?eligible|removed)\s*$";

/// The journeys of a store and the time frame they were measured in.
pub struct Journeys {
    /// One row per order, sorted by `placed_at` then `order_id`. Columns (dtype, unit):
    /// order_id, customer_key (String); order_seq (UInt32, 1 = the customer's first
    /// non-cancelled order; null for cancelled or unidentified orders); placed_at, paid_at,
    /// shipped_at, delivered_at, promise_deadline (Datetime ms UTC); promise_is_date (Boolean);
    /// promised_date (Date); n_shipments (UInt32); review_score (Float64), review_at (Datetime);
    /// stage (String: placed, paid, shipped, delivered, cancelled; `shipped` also for an order
    /// whose fulfillment_status says fulfilled or partial, or whose status says partly shipped,
    /// with no ship time; `delivered` when `delivered` is true); delivered (Boolean: known
    /// delivered: with shipment rows, every shipment has a delivery time or a status that says
    /// delivered ([`DELIVERED_STATUS_PATTERN`]); without, a delivery time or such an order
    /// status; delivered_at is null when a time is not known); cancelled,
    /// stockout (Boolean); requires_shipping (Boolean: physical; true also for an order marked
    /// digital that has shipment rows, which are evidence that it shipped; counted in the
    /// audit); status, fulfillment_status (String, as exported); shipping_method, risk_level,
    /// region, carrier, lane (String); currency (String: the code, trimmed and upper-cased; an
    /// empty one filled as `ingest::fill_empty_currencies` says); total, refunded (the refund's
    /// size: one written as a negative amount is read as its size and counted in the audit),
    /// net_revenue (Float64, currency: total - refunded, an empty refund being 0; null for a
    /// cancelled order, a refund given but unreadable, a negative total or a refund above the
    /// total, the last two counted in the audit); fulfilled_complete_at (Datetime ms UTC: when the order
    /// was completely fulfilled, i.e. its last shipment's shipped_at when every shipment row has
    /// one, or fulfilled_at without shipment rows; null unless the order is known complete:
    /// physical, and unshipped_items = 0 or fulfillment_status empty or fulfilled, status not
    /// "partially shipped", no shippable line whose status is other than fulfilled); unshipped_items
    /// (UInt32: quantity of shippable line items not fulfilled, from the line items'
    /// fulfillment_status; null when unknown); payment_wait_h, fulfillment_wait_h,
    /// complete_fulfillment_wait_h (placed -> fulfilled_complete_at), transit_time_h,
    /// click_to_door_h, open_age_h (Float64, hours; null when not applicable, negative, placed
    /// after the as-of time, or when an end is an implausible time: see
    /// [`Journeys::latest_plausible`]; the time columns show such a time as read; null too for an
    /// order awaiting payment, see [`AWAITING_PAYMENT_STATUS_PATTERN`]); in_backlog (Boolean, at
    /// the as-of time: physical, not cancelled, not awaiting payment, placed by then, something
    /// left to ship, and not shipped by then or known partly shipped);
    /// late, overdue (Boolean); days_late (Float64, days; late and days_late null when the
    /// delivery time is implausible or not known, except that late is true when the last
    /// parcel's time is not known and another one's is already past the promise); src_file
    /// (String), src_line (UInt64); n_tickets, n_wismo_tickets (UInt32); and the internal [`CUSTOMER_INDEX`] (UInt32, not
    /// written).
    pub orders: DataFrame,
    /// One row per customer_key, sorted by it: [`CUSTOMER_INDEX`] (UInt32, internal, not
    /// written); first_order_at, last_order_at, second_order_at (Datetime); n_orders (UInt32);
    /// revenue (Float64, currency: the net revenues known; null when none is, or when they
    /// are in several currencies); first_order_late, first_order_low_review, first_order_wismo
    /// (Boolean); days_to_second_order (Float64, days).
    pub customers: DataFrame,
    /// The tickets, linked and classified (see `support::link`), when the store has a tickets table.
    pub tickets: Option<DataFrame>,
    /// The as-of time (data end): latest event among kept rows, or `--as-of`.
    pub as_of: DateTime<Utc>,
    /// The kind of event that is the latest in the data (`review`, `delivery`, `ticket solved`,
    /// see [`data_end`]), which is the data end unless `--as-of` gave one; `None` without
    /// events.
    pub data_end_event: Option<&'static str>,
    /// Earliest `placed_at`.
    pub start: DateTime<Utc>,
    /// The latest plausible event time: [`IMPLAUSIBLE_AFTER_P99_D`] days after the 99th
    /// percentile of `placed_at` (`None` without orders, when every time is plausible). A later
    /// time (a mistyped year) is kept in its column as read but is unknown for every duration,
    /// lateness and comparison derived from it: see [`Journeys::known`].
    pub latest_plausible: Option<DateTime<Utc>>,
    /// No two orders share an `order_id` (false only with scientific-notation ids, whose lost
    /// digits keep every such order; see [`one_per_order_id`]).
    pub order_ids_distinct: bool,
    /// When some journey time is known to the day only (README, **Date-only times**): one row
    /// per journey, in [`Journeys::orders`]' order, with when its first hand-off and its
    /// delivery were surely done (`_shipped_done`, `_delivered_done`, Datetime ms UTC: the time
    /// itself, or the end of its local day). The event log orders a day's events with them.
    pub done_times: Option<DataFrame>,
}

/// A customer's order for revenue and repeat purchase: not cancelled, with a customer key
/// (SPEC section 2).
pub fn is_customer_order() -> Expr {
    col(s::CANCELLED)
        .not()
        .and(col(s::CUSTOMER_KEY).is_not_null())
}

/// The Polars time zone of a store time zone.
pub fn polars_tz(tz: Tz) -> TimeZone {
    TimeZone::opt_try_new(Some(tz.name()))
        .ok()
        .flatten()
        .unwrap_or(TimeZone::UTC)
}

/// Hours from column `from` to column `to` (Float64; negative when `to` is earlier).
pub fn hours_between(from: &str, to: &str) -> Expr {
    since(col(from), col(to))
}

/// Hours from instant `from` to instant `to` (Float64), rounded to 9 decimals (well under the
/// 1 ms input resolution) so that 28,800,000 ms is 8 h, not 7.999999999999999 h.
pub fn since(from: Expr, to: Expr) -> Expr {
    ((to - from)
        .dt()
        .total_milliseconds(false)
        .cast(DataType::Float64)
        / lit(3_600_000.0))
    .round(9, RoundMode::HalfAwayFromZero)
}

/// Instant column `column` (Datetime ms UTC) where it is plausible, null where it is later
/// than `latest` (a mistyped year, see [`IMPLAUSIBLE_AFTER_P99_D`]): what durations, lateness
/// and comparisons between times read, so that such a time is unknown for them rather than
/// 180 years long. `latest = None` (no orders to judge by) keeps every time.
pub fn known_time(column: &str, latest: Option<DateTime<Utc>>) -> Expr {
    match latest {
        Some(t) => when(col(column).lt_eq(lit(t.timestamp_millis()).cast(utc_ms())))
            .then(col(column))
            .otherwise(null_of(utc_ms()))
            .alias(column),
        None => col(column),
    }
}

impl Journeys {
    /// [`known_time`] with these journeys' [`Journeys::latest_plausible`]: `column` (an instant
    /// column of the journeys or the tickets), null where the time is implausible.
    pub fn known(&self, column: &str) -> Expr {
        known_time(column, self.latest_plausible)
    }
}

/// The rows of `lf` whose `column` holds one of the non-null `values` (the order ids, keys or
/// e-mails a small table, such as the tickets, cites), in their order. Joining a small table to
/// the 1M-row journeys hashes the journeys' side; probing the journeys against the small set of
/// cited values first leaves the join a few rows to do.
///
/// Errors: `values` and `column` have types that cannot be compared.
pub fn among(lf: LazyFrame, column: &str, values: &Column) -> Result<LazyFrame> {
    let values = values.drop_nulls().unique()?.take_materialized_series();
    Ok(lf.filter(col(column).is_in(lit(values).implode(false), false)))
}

/// `lf` (rows of the journeys, in their order) with one row per order id: the first when several
/// orders share an id (scientific-notation ids such as `9.4E+21`, whose lost digits keep both
/// orders), so that a join on the order id never repeats the other side's rows (a ticket linked
/// to such an id is counted once, on the first of those orders). `distinct` says whether the
/// journeys' order ids are already unique ([`Journeys::order_ids_distinct`]).
pub fn one_per_order_id(lf: LazyFrame, distinct: bool) -> LazyFrame {
    if distinct {
        lf
    } else {
        lf.unique_stable_generic(Some(vec![col(s::ORDER_ID)]), UniqueKeepStrategy::First)
    }
}

/// True when no two journeys share an order id (one hash pass).
pub fn order_ids_distinct(journeys: &DataFrame) -> Result<bool> {
    crate::ingest::all_distinct(journeys, &[s::ORDER_ID])
}

/// A left join that keeps the left frame's row order (Polars does not promise it by default).
pub fn left_join_keeping_order() -> JoinArgs {
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    args
}

/// A semi join (left rows with a match) that keeps the left frame's row order.
pub fn semi_join_keeping_order() -> JoinArgs {
    let mut args = JoinArgs::new(JoinType::Semi);
    args.maintain_order = MaintainOrderJoin::Left;
    args
}

/// A negative wait as text, to one decimal: `gap of -13.0 h`, or in minutes under an hour
/// (`gap of -2.0 min`, where hours would round to -0.0). Never starting with `-`, which the CSV
/// reports would neutralise as a spreadsheet formula.
fn hours_text(hours: Expr) -> Expr {
    let one_decimal = |e: Expr| {
        e.round(1, RoundMode::HalfAwayFromZero)
            .cast(DataType::String)
    };
    let text = |value: Expr, unit: &str| concat_str([lit("gap of "), value, lit(unit)], "", true);
    when(hours.clone().abs().lt(lit(1.0)))
        .then(text(one_decimal(hours.clone() * lit(60.0)), " min"))
        .otherwise(text(one_decimal(hours), " h"))
}

fn null_of(dt: DataType) -> Expr {
    lit(NULL).cast(dt)
}

/// The order's `fulfillment_status` says completely fulfilled.
fn says_fulfilled() -> Expr {
    matches(col(s::FULFILLMENT_STATUS), FULFILLED_STATUS_PATTERN)
}

/// The order is known to be partly fulfilled: its `fulfillment_status` says partial, or its
/// free-text `status` says partly shipped.
fn says_partial() -> Expr {
    matches(col(s::FULFILLMENT_STATUS), PARTIAL_STATUS_PATTERN)
        .or(matches(col(s::STATUS), PARTIAL_IN_STATUS_PATTERN))
}

/// A journey with a review (Boolean): a score, or a review time when its score was refused
/// (a 0 or a 6 on the 1-5 scale, a text), for the review is there all the same. Needs the
/// journey columns review_score, review_at.
pub fn reviewed() -> Expr {
    col(s::REVIEW_SCORE)
        .is_not_null()
        .or(col(s::REVIEW_AT).is_not_null())
}

/// A journey known to have shipped, at least in part: it has a ship time, or it is known
/// delivered (`delivered`, by a time or a status), or it is physical and its
/// `fulfillment_status` says fulfilled or partial, or its free-text `status` says partly
/// shipped (a Shopify export without `Fulfilled at`: shipped, at a time not known). Needs the
/// journey columns shipped_at, delivered, requires_shipping, fulfillment_status, status.
pub fn known_shipped() -> Expr {
    col(s::SHIPPED_AT)
        .is_not_null()
        .or(col(s::DELIVERED))
        .or(col(s::REQUIRES_SHIPPING)
            .fill_null(lit(true))
            .and(says_fulfilled().or(says_partial())))
}

/// Builds the journeys (see [`Journeys`] for the shape).
///
/// Negative waits are counted in `dq` and set to null (never clamped). Shipments and reviews that
/// name an order not in the orders table are left out (`ingest` counts them).
pub fn build(
    store: &Store,
    tz: Tz,
    as_of: Option<DateTime<Utc>>,
    wismo: &crate::support::WismoRules,
    dq: &mut DataQuality,
) -> Result<Journeys> {
    // The tickets' references and WISMO verdicts (regexes over every subject and body) need
    // nothing else: they are worked out on a thread of their own meanwhile.
    std::thread::scope(|scope| {
        let refs = store
            .tickets
            .as_ref()
            .map(|t| scope.spawn(move || crate::support::references(t, wismo)));
        let refs = move || -> Result<Option<DataFrame>> {
            refs.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::Error::Polars(polars_err!(
                        ComputeError: "the ticket reference thread stopped unexpectedly"
                    )))
                })
            })
            .transpose()
        };
        build_with(store, tz, as_of, refs, dq)
    })
}

/// [`build`], with the tickets' references taken from `refs` when they are needed.
fn build_with(
    store: &Store,
    tz: Tz,
    as_of: Option<DateTime<Utc>>,
    refs: impl FnOnce() -> Result<Option<DataFrame>>,
    dq: &mut DataQuality,
) -> Result<Journeys> {
    // `ingest` sorts the orders in the journeys' order; a store built otherwise is sorted here.
    let orders = if crate::ingest::is_in_journey_order(&store.orders)? {
        store.orders.clone()
    } else {
        crate::ingest::in_journey_order(store.orders.clone())?
    };
    // From the orders' placement times alone, so known before anything is joined to them.
    let latest = latest_plausible(&orders)?;
    let days = DayPrecision::of(store);
    let orders = match &store.shipments {
        Some(sh) => {
            let _t = crate::timings::span("shipments per order");
            let per_order = shipments_per_order(sh.clone().lazy(), latest, tz, &days)?;
            add_by_order_id(&orders, per_order, store.order_ids_distinct)?
        }
        None => orders
            .lazy()
            .with_columns(days.shipment_flags_none())
            .with_columns([
                null_of(DataType::UInt32).alias(s::N_SHIPMENTS),
                null_of(utc_ms()).alias("_ship_first"),
                null_of(utc_ms()).alias("_ship_last"),
                null_of(utc_ms()).alias("_ship_delivered"),
                null_of(utc_ms()).alias("_ship_delivered_known"),
                null_of(DataType::Boolean).alias("_all_delivered"),
                null_of(utc_ms()).alias("_est_deadline"),
                null_of(DataType::Boolean).alias("_est_is_date"),
                null_of(DataType::Date).alias("_est_date"),
                null_of(DataType::String).alias(s::CARRIER),
            ])
            .collect()?,
    };
    let orders = match &store.reviews {
        Some(rv) => {
            let _t = crate::timings::span("latest reviews");
            let latest = latest_reviews(rv, dq)?;
            add_by_order_id(&orders, latest.lazy(), store.order_ids_distinct)?
        }
        None => orders
            .lazy()
            .with_columns([
                null_of(DataType::Float64).alias(s::REVIEW_SCORE),
                null_of(utc_ms()).alias(s::REVIEW_AT),
            ])
            .collect()?,
    };

    // Line statuses are joined only when the line items carry some (a Shopify export).
    let (orders, unshipped_known) = match unshipped_per_order(store.line_items.as_ref())? {
        Some(per_order) => {
            let _t = crate::timings::span("unshipped line items");
            (
                add_by_order_id(&orders, per_order, store.order_ids_distinct)?,
                true,
            )
        }
        None => (orders, false),
    };
    let base = {
        let _t = crate::timings::span("join shipments, reviews");
        let mut lf = orders
            .lazy()
            .with_column(col(s::N_SHIPMENTS).fill_null(lit(0u32)));
        if !unshipped_known {
            lf = lf.with_columns([
                null_of(DataType::UInt32).alias(s::UNSHIPPED_ITEMS),
                null_of(DataType::Boolean).alias("_lines_open"),
            ]);
        }
        // `_says_partial`: the status patterns run once per order, not once per use.
        lf.with_columns(core_columns())
            .with_column(says_partial().alias("_says_partial"))
            .with_column(fulfilled_complete_at())
            .collect()?
    };
    let waits_span = crate::timings::span("waits, audits, order_seq");
    let (end, data_end_event) = data_end(&base, store, latest, dq)?;
    let as_of = as_of.unwrap_or(end);
    let start = first_instant(&base, s::PLACED_AT)?.unwrap_or(as_of);
    if as_of < start && base.height() > 0 {
        return Err(crate::Error::Usage(format!(
            "--as-of {} is before the first order ({}); measure as of a time within the data",
            crate::report::instant(as_of),
            crate::report::instant(start)
        )));
    }
    // Far past the data, the window (and every rate per 30 days) would be mostly empty time.
    if as_of > end + chrono::Duration::days(IMPLAUSIBLE_AFTER_P99_D) && base.height() > 0 {
        return Err(crate::Error::Usage(format!(
            "--as-of {} is more than {IMPLAUSIBLE_AFTER_P99_D} days after the data end ({}); \
             measure as of a time within the data or soon after it",
            crate::report::instant(as_of),
            crate::report::instant(end)
        )));
    }
    // Measured as of an earlier time, what did not exist yet is not counted.
    let base = if as_of < end {
        not_after(base, s::PLACED_AT, as_of, latest, ORDER_AFTER_AS_OF, dq)?
    } else {
        base
    };
    let with_waits = base
        .lazy()
        .with_columns(wait_columns(latest, tz, &days))
        .collect()?;
    for (wait, reason) in [
        (
            "_payment_wait_raw",
            "paid before placed (payment_wait < 0, excluded)",
        ),
        (
            "_fulfillment_wait_raw",
            "shipped before placed (fulfillment_wait < 0, excluded)",
        ),
        (
            "_transit_time_raw",
            "delivered before shipped (transit_time < 0, excluded)",
        ),
        (
            "_click_to_door_raw",
            "delivered before placed (click_to_door < 0, excluded)",
        ),
    ] {
        // The orders with a negative wait, each named by its row (a transit time by the
        // shipment row its two times came from, see `transit_sources`), with the wait as the
        // example.
        let negative = with_waits
            .clone()
            .lazy()
            .filter(col(wait).lt(lit(0.0)))
            .select([
                col(s::ORDER_ID),
                col(s::SHIPPED_AT),
                col(s::DELIVERED_AT),
                col(s::SRC_FILE),
                col(s::SRC_LINE),
                hours_text(col(wait)).alias("_gap"),
            ])
            .collect()?;
        let negative = match (&store.shipments, wait == "_transit_time_raw") {
            (Some(shipments), true) if negative.height() > 0 => {
                transit_sources(negative, shipments)?
            }
            _ => negative,
        };
        audit_with_example(
            &negative,
            lit(true),
            Some("_gap"),
            reason,
            Effect::ExcludedFromStats,
            dq,
        )?;
    }
    // A review posted before its order's delivery (Olist asks for one by the promised date, so
    // a late order is often reviewed before it arrives): left out of review-gap's
    // delivery-to-review time, and named by the review's row.
    if store.reviews.is_some() {
        let early = with_waits
            .clone()
            .lazy()
            .filter(col(s::DELIVERED).and(delivery_to_review_h(latest).lt(lit(0.0))))
            .select([
                col(REVIEW_FILE).alias(s::SRC_FILE),
                col(REVIEW_LINE).alias(s::SRC_LINE),
                hours_text(delivery_to_review_h(latest)).alias("_gap"),
            ])
            .collect()?;
        audit_with_example(
            &early,
            lit(true),
            Some("_gap"),
            REVIEWED_BEFORE_DELIVERED,
            Effect::ExcludedFromStats,
            dq,
        )?;
    }
    // Usually the same instant as a negative fulfillment_wait's (one shipment): counted only
    // when it is a finding of its own.
    audit(
        &with_waits,
        col("_complete_fulfillment_wait_raw")
            .lt(lit(0.0))
            .and(col("_fulfillment_wait_raw").lt(lit(0.0)).not()),
        "fully fulfilled before placed (complete_fulfillment_wait < 0, excluded)",
        Effect::ExcludedFromStats,
        dq,
    )?;
    audit(
        &with_waits,
        known_time(s::PAID_AT, latest).gt(known_time(s::SHIPPED_AT, latest)),
        "shipped before paid (kept: order-to-ship is measured from placement)",
        Effect::Warning,
        dq,
    )?;
    let [negative_total, refund_above_total] = implausible_amounts();
    let flagged = |mask: Expr, example: Expr| -> Result<DataFrame> {
        Ok(with_waits
            .clone()
            .lazy()
            .filter(mask.fill_null(lit(false)))
            .select([
                col(s::SRC_FILE),
                col(s::SRC_LINE),
                example.alias("_example"),
            ])
            .collect()?)
    };
    let amount = |name: &str| col(name).cast(DataType::String);
    for (mask, example, reason, effect) in [
        (
            col(s::REFUNDED).lt(lit(0.0)),
            concat_str([lit("refunded "), amount(s::REFUNDED)], "", true),
            NEGATIVE_REFUND,
            Effect::Warning,
        ),
        (
            negative_total,
            concat_str([lit("total "), amount(s::TOTAL)], "", true),
            NEGATIVE_TOTAL,
            Effect::ExcludedFromStats,
        ),
        (
            refund_above_total,
            concat_str(
                [
                    lit("refunded "),
                    amount(s::REFUNDED),
                    lit(" of a total of "),
                    amount(s::TOTAL),
                ],
                "",
                true,
            ),
            REFUND_ABOVE_TOTAL,
            Effect::ExcludedFromStats,
        ),
        (
            col(DIGITAL_WITH_SHIPMENTS),
            concat_str([lit("shipment rows: "), amount(s::N_SHIPMENTS)], "", true),
            DIGITAL_WITH_SHIPMENT_ROWS,
            Effect::Warning,
        ),
    ] {
        let rows = flagged(mask, example)?;
        audit_with_example(&rows, lit(true), Some("_example"), reason, effect, dq)?;
    }
    // Whether the inputs say anything about deliveries (a shipments table, or some order known
    // delivered): without, an order past its promise is not known to be overdue.
    let deliveries_known = store.shipments.is_some()
        || with_waits
            .column(s::DELIVERED)?
            .as_materialized_series()
            .bool()?
            .any();
    // With times known to the day only, when the first hand-off and the delivery were surely
    // done, for the tickets' delivery states (dropped once the tickets are linked).
    let day_ends: Vec<Expr> = match done_times(&days, tz, latest) {
        Some([shipped, delivered]) => vec![
            shipped.alias(crate::support::SHIPPED_DONE),
            delivered.alias(crate::support::DELIVERED_DONE),
        ],
        None => Vec::new(),
    };
    let journeys = with_waits
        .lazy()
        .with_columns(final_columns(
            tz,
            as_of,
            end,
            latest,
            deliveries_known,
            &days,
        ))
        // Already in the journeys' order (placed_at, order_id): the orders come sorted from
        // `ingest`, and every join since kept the left order.
        .select([journey_columns(), day_ends].concat())
        .collect()?;
    let journeys = with_order_seq(journeys)?;
    drop(waits_span);
    let tickets_span = crate::timings::span("support::link");
    let distinct = store.order_ids_distinct || order_ids_distinct(&journeys)?;
    let refs = match refs()? {
        Some(refs) if as_of < end => Some(not_after(
            refs,
            s::CREATED_AT,
            as_of,
            latest,
            TICKET_AFTER_AS_OF,
            dq,
        )?),
        refs => refs,
    };
    let (journeys, tickets) = match refs {
        Some(refs) => {
            let linked = crate::support::link(refs, store, &journeys, distinct, latest, dq)?;
            let counts = crate::support::per_order(&linked);
            // A ticket linked to an id several orders share counts on the first of them only
            // (see `add_by_order_id`); the others have none.
            let count = |name: &str| col(name).fill_null(lit(0u32)).alias(name);
            // The journeys' order (placed_at, order_id) is kept: `customers` relies on it.
            let with_counts = add_by_order_id(&journeys, counts, distinct)?
                .lazy()
                .with_columns([count(s::N_TICKETS), count(s::N_WISMO_TICKETS)])
                .collect()?;
            (with_counts, Some(linked))
        }
        None => {
            let without = journeys
                .lazy()
                .with_columns([
                    null_of(DataType::UInt32).alias(s::N_TICKETS),
                    null_of(DataType::UInt32).alias(s::N_WISMO_TICKETS),
                ])
                .collect()?;
            (without, None)
        }
    };
    drop(tickets_span);
    let done_times = match journeys.column(crate::support::SHIPPED_DONE) {
        Ok(_) => {
            Some(journeys.select([crate::support::SHIPPED_DONE, crate::support::DELIVERED_DONE])?)
        }
        Err(_) => None,
    };
    let journeys = crate::support::without_done_times(journeys)?;
    let customers = {
        let _t = crate::timings::span("customers");
        let several = several_currencies_with_amounts(&journeys)?;
        let customers = customers(&journeys, several)?;
        if several {
            audit_customers_in_several_currencies(&journeys, customers, dq)?
        } else {
            customers
        }
    };
    Ok(Journeys {
        orders: journeys,
        customers,
        tickets,
        as_of,
        data_end_event,
        start,
        latest_plausible: latest,
        order_ids_distinct: distinct,
        done_times,
    })
}

/// `negative` (orders with a negative transit time: `order_id`, `shipped_at`, `delivered_at`,
/// `src_file`, `src_line`, ...) with `src_file` and `src_line` naming the source of each transit
/// time: the one row of `shipments` for that order with both that hand-off and that delivery
/// (a tracking export's fault, not the orders file's), else the order's own row (the hand-off
/// is the order's `fulfilled_at`, or the two times come from different shipment rows). Only
/// the few orders with a negative transit time are looked up.
fn transit_sources(negative: DataFrame, shipments: &DataFrame) -> Result<DataFrame> {
    let keys = || [col(s::ORDER_ID), col(s::SHIPPED_AT), col(s::DELIVERED_AT)];
    let rows = shipments
        .clone()
        .lazy()
        .select([
            col(s::ORDER_ID),
            col(s::SHIPPED_AT),
            col(s::DELIVERED_AT),
            col(s::SRC_FILE).alias("_ship_file"),
            col(s::SRC_LINE).alias("_ship_line"),
        ])
        .join(
            negative.clone().lazy().select(keys()),
            keys(),
            keys(),
            JoinArgs::new(JoinType::Semi),
        )
        .filter(len().over([col(s::ORDER_ID)])?.eq(lit(1)))
        .select([col(s::ORDER_ID), col("_ship_file"), col("_ship_line")]);
    let from_shipment = col("_ship_line").is_not_null();
    Ok(add_by_order_id(&negative, rows, false)?
        .lazy()
        .with_columns([
            when(from_shipment.clone())
                .then(col("_ship_file"))
                .otherwise(col(s::SRC_FILE))
                .alias(s::SRC_FILE),
            when(from_shipment)
                .then(col("_ship_line"))
                .otherwise(col(s::SRC_LINE))
                .alias(s::SRC_LINE),
        ])
        .collect()?)
}

/// Per order: first hand-off to the carrier, last hand-off (only when every shipment has one),
/// delivery of the last shipment (`_ship_delivered`, only when every shipment has a delivery
/// time), the latest plausible delivery time given (`_ship_delivered_known`, whether or not
/// every shipment has one: a lower bound of the order's delivery; times after `latest`, a
/// mistyped year, are not known, see [`Journeys::latest_plausible`]), whether every shipment is
/// delivered (`_all_delivered`: a delivery time, or a status that says delivered, see
/// [`DELIVERED_STATUS_PATTERN`]), the earliest carrier estimate, the first carrier.
///
/// Most orders have one shipment, whose values are the summary as they are; only the orders
/// with several shipments are sorted and aggregated (the same result, without a group-by over
/// every shipment).
///
/// With files giving shipment times as dates only ([`DayPrecision`]), also whether the first
/// hand-off (`_ship_first_day`), the last one (`_ship_last_day`) and the last delivery
/// (`_ship_delivered_day`) are known to the day only (Boolean), and when the first hand-off and
/// the last delivery were surely done (`_ship_first_done`, `_ship_delivered_done`, Datetime: a
/// parcel's time, or the end of its local day in `tz` when known to the day only; the earliest
/// hand-off, and the latest delivery when every parcel has a delivery time).
fn shipments_per_order(
    shipments: LazyFrame,
    latest: Option<DateTime<Utc>>,
    tz: Tz,
    days: &DayPrecision,
) -> Result<LazyFrame> {
    let est = format!("{}{}", s::ESTIMATED_DELIVERY_AT, s::DEADLINE_SUFFIX);
    let est_is_date = format!("{}{}", s::ESTIMATED_DELIVERY_AT, s::IS_DATE_SUFFIX);
    let est_date = format!("{}{}", s::ESTIMATED_DELIVERY_AT, s::DATE_SUFFIX);
    let by_est = |c: &str| {
        col(c)
            .sort_by(
                [col(&est)],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .first()
    };
    let several = col(s::ORDER_ID).is_duplicated();
    let shipments = shipments.with_columns([
        several.alias("_several"),
        col(s::DELIVERED_AT)
            .is_not_null()
            .or(matches(col(s::STATUS), DELIVERED_STATUS_PATTERN))
            .alias("_delivered"),
    ]);
    let mut one = vec![
        col(s::ORDER_ID),
        lit(1u32).cast(DataType::UInt32).alias(s::N_SHIPMENTS),
        col(s::SHIPPED_AT).alias("_ship_first"),
        col(s::SHIPPED_AT).alias("_ship_last"),
        col(s::DELIVERED_AT).alias("_ship_delivered"),
        known_time(s::DELIVERED_AT, latest).alias("_ship_delivered_known"),
        col("_delivered").alias("_all_delivered"),
        col(&est).alias("_est_deadline"),
        col(&est_is_date).alias("_est_is_date"),
        col(&est_date).alias("_est_date"),
        col(s::CARRIER),
    ];
    let mut summary = vec![
        len().cast(DataType::UInt32).alias(s::N_SHIPMENTS),
        col(s::SHIPPED_AT).min().alias("_ship_first"),
        // The last hand-off, only when every shipment has one.
        when(col(s::SHIPPED_AT).null_count().eq(lit(0)))
            .then(col(s::SHIPPED_AT).max())
            .otherwise(null_of(utc_ms()))
            .alias("_ship_last"),
        // The last delivery, only when every shipment has a delivery time (one delivered
        // at a time not known may have come last).
        when(col(s::DELIVERED_AT).null_count().eq(lit(0)))
            .then(col(s::DELIVERED_AT).max())
            .otherwise(null_of(utc_ms()))
            .alias("_ship_delivered"),
        known_time(s::DELIVERED_AT, latest)
            .max()
            .alias("_ship_delivered_known"),
        col("_delivered").all(true).alias("_all_delivered"),
        by_est(&est).alias("_est_deadline"),
        by_est(&est_is_date).alias("_est_is_date"),
        by_est(&est_date).alias("_est_date"),
        col(s::CARRIER).drop_nulls().first().alias(s::CARRIER),
    ];
    if let Some([shipped, delivered]) = days.shipment_flags() {
        let done = |c: &str, day: &Expr| surely_done(known_time(c, latest), day.clone(), tz);
        let (ship_done, delivered_done) = (
            done(s::SHIPPED_AT, &shipped),
            done(s::DELIVERED_AT, &delivered),
        );
        one.extend([
            shipped.clone().alias("_ship_first_day"),
            shipped.clone().alias("_ship_last_day"),
            delivered.clone().alias("_ship_delivered_day"),
            ship_done.clone().alias("_ship_first_done"),
            delivered_done.clone().alias("_ship_delivered_done"),
        ]);
        // Sorted by hand-off, nulls last: the first row is the first hand-off's, and when
        // every shipment has one (else `_ship_last` is null), the last row the last one's. The
        // last delivery's flag is its row's (`_ship_delivered` is null unless every shipment
        // has a delivery time).
        let last_delivered = if days.shipment_delivered.is_empty() {
            delivered
        } else {
            let by_delivery = SortMultipleOptions::default().with_nulls_last(true);
            delivered
                .sort_by([col(s::DELIVERED_AT)], by_delivery)
                .last()
        };
        summary.extend([
            shipped.clone().first().alias("_ship_first_day"),
            shipped.last().alias("_ship_last_day"),
            last_delivered.alias("_ship_delivered_day"),
        ]);
        summary.extend([
            ship_done.min().alias("_ship_first_done"),
            when(col(s::DELIVERED_AT).null_count().eq(lit(0)))
                .then(delivered_done.max())
                .otherwise(null_of(utc_ms()))
                .alias("_ship_delivered_done"),
        ]);
    }
    let single = shipments.clone().filter(col("_several").not()).select(one);
    let multiple = shipments
        .filter(col("_several"))
        .sort(
            [s::SHIPPED_AT, s::SRC_RANK, s::SRC_LINE],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .group_by([col(s::ORDER_ID)])
        .agg(summary);
    Ok(concat([single, multiple], UnionArgs::default())?)
}

/// `left` with the columns of `right` (one row per `order_id`, or none) added row for row: a
/// left join in which only `right`'s columns move. Joining the whole of `left` would copy every
/// one of its columns into join order; here they are kept as they are and shared. Unless
/// `ids_distinct` says `left`'s order ids are, an id several of its rows share (a
/// scientific-notation id such as `9.4E+21`, whose lost digits keep both orders) takes `right`'s
/// row on the first of them only, so that one shipment, review or ticket is not counted on each.
///
/// Errors: `right` has an order id more than once (the join would add rows).
fn add_by_order_id(left: &DataFrame, right: LazyFrame, ids_distinct: bool) -> Result<DataFrame> {
    let key = if ids_distinct {
        col(s::ORDER_ID)
    } else {
        when(
            col(s::ORDER_ID)
                .cum_count(false)
                .over([col(s::ORDER_ID)])?
                .eq(lit(1u32)),
        )
        .then(col(s::ORDER_ID))
        .otherwise(lit(NULL).cast(DataType::String))
        .alias(s::ORDER_ID)
    };
    let aligned = left
        .select([s::ORDER_ID])?
        .lazy()
        .select([key])
        .join(
            right,
            [col(s::ORDER_ID)],
            [col(s::ORDER_ID)],
            left_join_keeping_order(),
        )
        .drop(cols([s::ORDER_ID]))
        .collect()?;
    if aligned.height() != left.height() {
        return Err(PolarsError::ComputeError(
            "a per-order table has an order id more than once".into(),
        )
        .into());
    }
    Ok(left.hstack(aligned.columns())?)
}

/// Columns of the orders before [`journey_columns`]: the file and physical line of the order's
/// latest review (null without one).
const REVIEW_FILE: &str = "_review_file";
const REVIEW_LINE: &str = "_review_line";

/// Data-quality reason of a review posted before its order's delivery.
pub const REVIEWED_BEFORE_DELIVERED: &str =
    "reviewed before delivered (delivery-to-review time < 0, excluded)";

/// Hours from delivery to the order's review (Float64; negative when the review was posted
/// before the delivery; null when either time is unknown or implausible, see [`known_time`]).
/// Needs the journey columns delivered_at, review_at.
pub fn delivery_to_review_h(latest: Option<DateTime<Utc>>) -> Expr {
    since(
        known_time(s::DELIVERED_AT, latest),
        known_time(s::REVIEW_AT, latest),
    )
}

/// The latest review of each order (by created_at, then file order); earlier ones are counted.
fn latest_reviews(reviews: &DataFrame, dq: &mut DataQuality) -> Result<DataFrame> {
    let latest = |lf: LazyFrame| -> LazyFrame {
        lf.select([
            col(s::ORDER_ID),
            col(s::SCORE).alias(s::REVIEW_SCORE),
            col(s::CREATED_AT).alias(s::REVIEW_AT),
            // The review's own row, for the audit of reviews posted before their delivery.
            col(s::SRC_FILE).alias(REVIEW_FILE),
            col(s::SRC_LINE).alias(REVIEW_LINE),
        ])
    };
    // The usual case, one review per order: nothing to sort or replace.
    if crate::ingest::all_distinct(reviews, &[s::ORDER_ID])? {
        return Ok(latest(reviews.clone().lazy()).collect()?);
    }
    let sorted = reviews
        .clone()
        .lazy()
        .sort(
            [s::CREATED_AT, s::SRC_RANK, s::SRC_LINE],
            SortMultipleOptions::default().with_nulls_last(false),
        )
        .with_column(
            col(s::ORDER_ID)
                .cum_count(true)
                .over([col(s::ORDER_ID)])?
                .gt(lit(1))
                .alias("_replaced"),
        )
        .collect()?;
    audit(
        &sorted,
        col("_replaced"),
        "several reviews for one order: the latest is kept",
        Effect::RowReplaced,
        dq,
    )?;
    Ok(latest(sorted.lazy().filter(col("_replaced").not())).collect()?)
}

/// Per order, `unshipped_items` (UInt32): the quantity of its shippable line items (requires
/// shipping not false) whose `fulfillment_status` is not fulfilled (nor restocked or not
/// eligible); null for an order with a shippable line whose status is empty or partial (how
/// many units are left is not said). `_lines_open` (Boolean): some shippable line has a status
/// and it is not fulfilled (pending, partial...). Only the lines of an order's latest file are
/// taken, as overlapping exports repeat them.
///
/// `None` when no line item has a fulfillment status (canonical line items, Olist): nothing to
/// join, and both are null for every order.
fn unshipped_per_order(items: Option<&DataFrame>) -> Result<Option<LazyFrame>> {
    let Some(items) = items else {
        return Ok(None);
    };
    if items.column(s::FULFILLMENT_STATUS)?.null_count() == items.height() {
        return Ok(None);
    }
    let status = || col(s::FULFILLMENT_STATUS);
    let shippable = col(s::REQUIRES_SHIPPING)
        .fill_null(lit(true))
        .and(matches(status(), NOT_TO_SHIP_STATUS_PATTERN).not());
    let open = shippable
        .clone()
        .and(matches(status(), FULFILLED_STATUS_PATTERN).not());
    let unknown = shippable.and(
        status()
            .is_null()
            .or(matches(status(), PARTIAL_STATUS_PATTERN)),
    );
    let quantity = when(col(s::QUANTITY).gt(lit(0.0)))
        .then(col(s::QUANTITY))
        .otherwise(lit(0.0));
    let mut lines = items.clone().lazy();
    // Lines from several files: only the latest file's lines of each order (a window, so only
    // when there is more than one file).
    let ranks = items.column(s::SRC_RANK)?.as_materialized_series();
    if ranks.min::<u32>()? != ranks.max::<u32>()? {
        lines = lines.filter(col(s::SRC_RANK).eq(col(s::SRC_RANK).max().over([col(s::ORDER_ID)])?));
    }
    // Each line classified once (the patterns run once per line), then summed per order.
    Ok(Some(
        lines
            .select([
                col(s::ORDER_ID),
                when(open.clone())
                    .then(quantity)
                    .otherwise(lit(0.0))
                    .alias("_left"),
                unknown.cast(DataType::UInt32).alias("_unknown"),
                open.and(status().is_not_null())
                    .cast(DataType::UInt32)
                    .alias("_open"),
            ])
            .group_by([col(s::ORDER_ID)])
            .agg([
                col("_left").sum(),
                col("_unknown").sum(),
                col("_open").sum().gt(lit(0u32)).alias("_lines_open"),
            ])
            .select([
                col(s::ORDER_ID),
                when(col("_unknown").gt(lit(0u32)))
                    .then(null_of(DataType::UInt32))
                    .otherwise(
                        col("_left")
                            .round(0, RoundMode::HalfAwayFromZero)
                            .cast(DataType::UInt32),
                    )
                    .alias(s::UNSHIPPED_ITEMS),
                col("_lines_open"),
            ]),
    ))
}

/// `fulfilled_complete_at`: when a physical order known to be complete was completely
/// fulfilled. With shipment rows, the last shipment's hand-off, only when every shipment row has
/// one (else null: never the order's `fulfilled_at`, which may be earlier than a shipment);
/// without shipment rows, its `fulfilled_at`. Known complete: no unshipped item left
/// (`unshipped_items` = 0, from the line statuses), or `fulfillment_status` empty (canonical
/// exports: an order with shipments and nothing else said is taken as complete) or fulfilled,
/// `status` not "partially shipped", and no shippable line with a status other than fulfilled.
/// Null otherwise, and when no time is known (never made up). Needs [`core_columns`]
/// (requires_shipping filled) and `_says_partial` ([`says_partial`]).
fn fulfilled_complete_at() -> Expr {
    let said_complete = col(s::FULFILLMENT_STATUS)
        .is_null()
        .or(says_fulfilled())
        .and(col("_says_partial").not())
        .and(col("_lines_open").fill_null(lit(false)).not());
    let complete = col(s::REQUIRES_SHIPPING).and(nothing_left_to_ship().or(said_complete));
    let time = when(col(s::N_SHIPMENTS).gt(lit(0u32)))
        .then(col("_ship_last"))
        .otherwise(col(s::FULFILLED_AT));
    when(complete)
        .then(time)
        .otherwise(null_of(utc_ms()))
        .alias(s::FULFILLED_COMPLETE_AT)
}

/// The line items say no shippable unit is left to ship (`unshipped_items` = 0): a `partial`
/// order whose only open line needs no shipping is complete, a restocked one has nothing to ship.
fn nothing_left_to_ship() -> Expr {
    col(s::UNSHIPPED_ITEMS).eq(lit(0u32)).fill_null(lit(false))
}

/// Known delivered (Boolean, never null), before [`core_columns`] replaces delivered_at: with
/// shipment rows, every shipment is delivered, by a delivery time or a status that says
/// delivered (`_all_delivered`, see [`shipments_per_order`]); without, the order has a delivery
/// time or its `status` or `fulfillment_status` says delivered (Olist's `delivered` with an
/// empty `order_delivered_customer_date`). As for delivered_at, an order's own statuses are not
/// read when it has shipment rows: they say how far its parcels got.
fn known_delivered() -> Expr {
    when(col(s::N_SHIPMENTS).gt(lit(0)))
        .then(col("_all_delivered").fill_null(lit(false)))
        .otherwise(
            col(s::DELIVERED_AT)
                .is_not_null()
                .or(matches(col(s::STATUS), DELIVERED_STATUS_PATTERN))
                .or(matches(
                    col(s::FULFILLMENT_STATUS),
                    DELIVERED_STATUS_PATTERN,
                )),
        )
}

/// shipped_at, delivered_at, delivered, promise, cancellation and digital flags.
fn core_columns() -> Vec<Expr> {
    let order_promise = format!("{}{}", s::PROMISED_BY, s::DEADLINE_SUFFIX);
    let has_order_promise = col(&order_promise).is_not_null();
    let status_cancelled = matches(col(s::STATUS), CANCELLED_STATUS_PATTERN);
    let cancelled = status_cancelled.or(col(s::CANCELLED_AT).is_not_null());
    let reason_text = concat_str(
        [
            col(s::CANCEL_REASON).fill_null(lit("")),
            col(s::STATUS).fill_null(lit("")),
        ],
        " ",
        true,
    );
    // Shipment rows are evidence that the order shipped: one marked digital that has some is
    // a physical order (counted in `build`).
    let has_shipments = col(s::N_SHIPMENTS).gt(lit(0u32));
    let physical = col(s::REQUIRES_SHIPPING)
        .fill_null(lit(true))
        .or(has_shipments.clone());
    vec![
        // A digital order is fulfilled, never shipped.
        when(physical.clone())
            .then(coalesce(&[col("_ship_first"), col(s::FULFILLED_AT)]))
            .otherwise(null_of(utc_ms()))
            .alias(s::SHIPPED_AT),
        when(col(s::N_SHIPMENTS).gt(lit(0)))
            .then(col("_ship_delivered"))
            .otherwise(col(s::DELIVERED_AT))
            .alias(s::DELIVERED_AT),
        known_delivered().alias(s::DELIVERED),
        when(has_order_promise.clone())
            .then(col(&order_promise))
            .otherwise(col("_est_deadline"))
            .alias(s::PROMISE_DEADLINE),
        when(has_order_promise.clone())
            .then(col(format!("{}{}", s::PROMISED_BY, s::IS_DATE_SUFFIX)))
            .otherwise(col("_est_is_date"))
            .alias(s::PROMISE_IS_DATE),
        when(has_order_promise)
            .then(col(format!("{}{}", s::PROMISED_BY, s::DATE_SUFFIX)))
            .otherwise(col("_est_date"))
            .alias(s::PROMISED_DATE),
        cancelled.clone().alias(s::CANCELLED),
        cancelled
            .and(crate::support::regex_contains(
                reason_text,
                STOCKOUT_PATTERN,
            ))
            .alias(s::STOCKOUT),
        physical.alias(s::REQUIRES_SHIPPING),
        col(s::REQUIRES_SHIPPING)
            .eq(lit(false))
            .and(has_shipments)
            .fill_null(lit(false))
            .alias(DIGITAL_WITH_SHIPMENTS),
    ]
}

/// Internal journey column (Boolean, not kept): the order was marked digital
/// (`requires_shipping` false) but has shipment rows, so it is taken as physical.
const DIGITAL_WITH_SHIPMENTS: &str = "_digital_with_shipments";

/// An order's net revenue cannot be known from its amounts: a negative total (no order is worth
/// less than nothing: an export error, or a return written as an order), or a refund above a
/// total of 0 or more (a refund in cents, a running total of refunds). Null when an amount is
/// missing; a refund given but unreadable (NaN) is not judged here. A refund is compared by
/// its size (see [`NEGATIVE_REFUND`]).
fn implausible_amounts() -> [Expr; 2] {
    let total = || col(s::TOTAL);
    let refunded = || col(s::REFUNDED).abs();
    [
        total().lt(lit(0.0)),
        total()
            .gt_eq(lit(0.0))
            .and(refunded().is_nan().not())
            .and(refunded().gt(total())),
    ]
}

/// Data-quality reason of an order whose total is negative.
pub const NEGATIVE_TOTAL: &str =
    "negative total (net revenue unknown: left out of revenue and cancelled order value)";
/// Data-quality reason of an order whose refund is written as a negative amount. Some exports
/// write refunds with a minus sign (money going out); none means a refund that adds to the
/// order's value, so the refund is read as its size: net revenue = total - |refunded|, and
/// the `refunded` column holds the size.
pub const NEGATIVE_REFUND: &str =
    "refund written as a negative amount (read as its size: net revenue = total - |refunded|)";
/// Data-quality reason of an order whose refund is above its total.
pub const REFUND_ABOVE_TOTAL: &str =
    "refunded more than the order's total (net revenue unknown: left out of revenue)";
/// Data-quality reason of an order marked digital that has shipment rows.
pub const DIGITAL_WITH_SHIPMENT_ROWS: &str =
    "marked digital (requires_shipping false) but has shipment rows: treated as shipped";

/// Which journey times are known to the day only: the input files that give a timestamp column
/// as dates only (every value a bare date or 00:00:00, see [`crate::ingest::DateOnlyColumn`]),
/// such as ShipStation's `Ship Date`.
///
/// A wait with an end known to the day only is counted in whole days: (local date of its end -
/// local date of its start) x 24 h, in the store time zone, as date promises are (SPEC section
/// 2). A same-day shipment is then a wait of 0 h, not a negative one from the ship day's
/// midnight, and the next day's is 24 h, however late in the day the order was placed. This is
/// our reading (SPEC does not say how a date-only hand-off is measured; README "Date-only
/// times").
struct DayPrecision {
    /// Orders files: placement, payment, fulfillment and delivery times.
    placed: Vec<String>,
    paid: Vec<String>,
    fulfilled: Vec<String>,
    order_delivered: Vec<String>,
    /// Shipments files: hand-off and delivery times.
    shipped: Vec<String>,
    shipment_delivered: Vec<String>,
}

/// Whether the journeys measure to and from column `column` of a `kind` table in whole days
/// when its file gives dates only: the columns [`DayPrecision::of`] reads (the orders' and
/// shipments' journey times). A ticket's date, for one, is read as the start of its day.
pub fn measured_in_days(kind: s::TableKind, column: &str) -> bool {
    match kind {
        s::TableKind::Orders => {
            [s::PLACED_AT, s::PAID_AT, s::FULFILLED_AT, s::DELIVERED_AT].contains(&column)
        }
        s::TableKind::Shipments => [s::SHIPPED_AT, s::DELIVERED_AT].contains(&column),
        _ => false,
    }
}

impl DayPrecision {
    /// The date-only files of each journey time (the columns of [`measured_in_days`]).
    fn of(store: &Store) -> Self {
        let files = |kind: s::TableKind, column: &str| -> Vec<String> {
            store
                .date_only
                .iter()
                .filter(|d| d.kind == kind && d.column == column)
                .map(|d| d.file.clone())
                .collect()
        };
        use s::TableKind::{Orders, Shipments};
        DayPrecision {
            placed: files(Orders, s::PLACED_AT),
            paid: files(Orders, s::PAID_AT),
            fulfilled: files(Orders, s::FULFILLED_AT),
            order_delivered: files(Orders, s::DELIVERED_AT),
            shipped: files(Shipments, s::SHIPPED_AT),
            shipment_delivered: files(Shipments, s::DELIVERED_AT),
        }
    }

    /// True when some journey time is known to the day only.
    fn any(&self) -> bool {
        [
            &self.placed,
            &self.paid,
            &self.fulfilled,
            &self.order_delivered,
            &self.shipped,
            &self.shipment_delivered,
        ]
        .iter()
        .any(|files| !files.is_empty())
    }

    /// Per shipment row (Boolean): its hand-off, its delivery known to the day only; `None`
    /// when no journey time is.
    fn shipment_flags(&self) -> Option<[Expr; 2]> {
        self.any()
            .then(|| [in_files(&self.shipped), in_files(&self.shipment_delivered)])
    }

    /// The per-order shipment flags of an order without shipment rows (null), when needed.
    fn shipment_flags_none(&self) -> Vec<Expr> {
        if !self.any() {
            return Vec::new();
        }
        let mut none: Vec<Expr> = ["_ship_first_day", "_ship_last_day", "_ship_delivered_day"]
            .map(|c| null_of(DataType::Boolean).alias(c))
            .to_vec();
        none.extend(
            ["_ship_first_done", "_ship_delivered_done"].map(|c| null_of(utc_ms()).alias(c)),
        );
        none
    }

    /// Per journey (Boolean, never null): placed_at, paid_at, shipped_at, fulfilled_complete_at
    /// and delivered_at known to the day only; `None` when no journey time is. Needs the journey
    /// columns of [`core_columns`] and [`shipments_per_order`]'s flags.
    fn journey_flags(&self) -> Option<[Expr; 5]> {
        if !self.any() {
            return None;
        }
        let has_shipments = col(s::N_SHIPMENTS).gt(lit(0u32));
        let fulfilled = in_files(&self.fulfilled);
        Some(
            [
                in_files(&self.placed),
                in_files(&self.paid),
                when(col("_ship_first").is_not_null())
                    .then(col("_ship_first_day"))
                    .otherwise(fulfilled.clone()),
                when(has_shipments.clone())
                    .then(col("_ship_last_day"))
                    .otherwise(fulfilled),
                when(has_shipments)
                    .then(col("_ship_delivered_day"))
                    .otherwise(in_files(&self.order_delivered)),
            ]
            .map(|flag| flag.fill_null(lit(false))),
        )
    }
}

/// When the journey's first hand-off and its delivery were surely done (Datetime ms UTC): the
/// time itself, or, known to the day only, the end of its local day in `tz`; with shipment rows,
/// per parcel ([`shipments_per_order`]'s `_ship_first_done`, `_ship_delivered_done`). `None`
/// when no journey time is known to the day only. Needs [`DayPrecision::journey_flags`]'s
/// columns.
fn done_times(days: &DayPrecision, tz: Tz, latest: Option<DateTime<Utc>>) -> Option<[Expr; 2]> {
    let flags = days.journey_flags()?;
    let done = |c: &str, per_parcel: &str, day: Expr| {
        when(col(per_parcel).is_not_null())
            .then(col(per_parcel))
            .otherwise(surely_done(known_time(c, latest), day, tz))
    };
    let [_, _, shipped, _, delivered] = flags;
    Some([
        done(s::SHIPPED_AT, "_ship_first_done", shipped),
        done(s::DELIVERED_AT, "_ship_delivered_done", delivered),
    ])
}

/// Rows read from one of `files` (Boolean; literal false for none).
fn in_files(files: &[String]) -> Expr {
    if files.is_empty() {
        return lit(false);
    }
    let files = Series::new("files".into(), files);
    col(s::SRC_FILE).is_in(lit(files).implode(false), false)
}

/// The start of the local day after instant `t`'s (Datetime ms UTC), in `tz`: the first
/// instant of that day, or 24 h after `t` in the rare zone whose clocks skip that midnight.
pub(crate) fn next_local_midnight(t: Expr, tz: Tz) -> Expr {
    let zone = polars_tz(tz);
    let next_day = (t
        .clone()
        .dt()
        .convert_time_zone(zone.clone())
        .dt()
        .date()
        .cast(DataType::Int32)
        + lit(1))
    .cast(DataType::Date);
    let midnight = next_day
        .cast(DataType::Datetime(TimeUnit::Milliseconds, None))
        .dt()
        .replace_time_zone(Some(zone), lit("earliest"), NonExistent::Null)
        .dt()
        .convert_time_zone(TimeZone::UTC);
    coalesce(&[midnight, t + lit(Duration::parse("24h"))])
}

/// When an event at time `t` was surely done: `t` itself, or the start of the next local day
/// in `tz` when `day` says it is known to the day only.
fn surely_done(t: Expr, day: Expr, tz: Tz) -> Expr {
    when(day)
        .then(next_local_midnight(t.clone(), tz))
        .otherwise(t)
}

/// Whole local days from instant `from` to instant `to`, in hours (Float64: days x 24).
fn day_hours(from: Expr, to: Expr, tz: Tz) -> Expr {
    let day = |t: Expr| {
        t.dt()
            .convert_time_zone(polars_tz(tz))
            .dt()
            .date()
            .cast(DataType::Int32)
    };
    (day(to) - day(from)).cast(DataType::Float64) * lit(24.0)
}

/// Raw waits in hours (may be negative; checked before [`final_columns`] nulls them); null
/// when either end is unknown, implausible times included (later than `latest`, see
/// [`known_time`]). A wait with an end known to the day only is in whole days (see
/// [`DayPrecision`]).
fn wait_columns(latest: Option<DateTime<Utc>>, tz: Tz, days: &DayPrecision) -> Vec<Expr> {
    let physical = col(s::REQUIRES_SHIPPING);
    let t = |c: &str| known_time(c, latest);
    let flags = days.journey_flags();
    let wait = |from: &str, to: &str, ends: [usize; 2]| {
        let hours = since(t(from), t(to));
        match &flags {
            Some(flags) => when(flags[ends[0]].clone().or(flags[ends[1]].clone()))
                .then(day_hours(t(from), t(to), tz))
                .otherwise(hours),
            None => hours,
        }
    };
    let (placed, paid, shipped, complete, delivered) = (0, 1, 2, 3, 4);
    vec![
        wait(s::PLACED_AT, s::PAID_AT, [placed, paid]).alias("_payment_wait_raw"),
        when(physical.clone())
            .then(wait(s::PLACED_AT, s::SHIPPED_AT, [placed, shipped]))
            .otherwise(null_of(DataType::Float64))
            .alias("_fulfillment_wait_raw"),
        wait(s::PLACED_AT, s::FULFILLED_COMPLETE_AT, [placed, complete])
            .alias("_complete_fulfillment_wait_raw"),
        when(physical.clone())
            .then(wait(s::SHIPPED_AT, s::DELIVERED_AT, [shipped, delivered]))
            .otherwise(null_of(DataType::Float64))
            .alias("_transit_time_raw"),
        when(physical)
            .then(wait(s::PLACED_AT, s::DELIVERED_AT, [placed, delivered]))
            .otherwise(null_of(DataType::Float64))
            .alias("_click_to_door_raw"),
    ]
}

fn non_negative(raw: &str) -> Expr {
    when(col(raw).gt_eq(lit(0.0)))
        .then(col(raw))
        .otherwise(null_of(DataType::Float64))
}

/// Waits, open age, lateness, stage, revenue and lane (SPEC section 2).
///
/// A ship or delivery time later than `latest` (implausible, see [`known_time`]) still says
/// the order shipped or was delivered (its stage, `orders_shipped`, `orders_delivered`), at a
/// time not known: no wait or lateness is derived from it, and it counts as shipped (delivered)
/// whatever the as-of time, as an order known shipped without a time does, and as an order
/// whose status says delivered without a time (`delivered` true, delivered_at null) does.
///
/// A hand-off or delivery known to the day only ([`DayPrecision`]) happened by the as-of time
/// when its local day had ended by then: on that day it may still have been to come. Not later
/// than the data end `end` (what the data holds had happened by its end), nor, for a hand-off,
/// than the order's known delivery time.
fn final_columns(
    tz: Tz,
    as_of: DateTime<Utc>,
    end: DateTime<Utc>,
    latest: Option<DateTime<Utc>>,
    deliveries_known: bool,
    days: &DayPrecision,
) -> Vec<Expr> {
    let as_of_lit = lit(as_of.timestamp_millis()).cast(utc_ms());
    let physical = col(s::REQUIRES_SHIPPING);
    let [negative_total, refund_above_total] = implausible_amounts();
    let delivered = known_time(s::DELIVERED_AT, latest);
    let ship_time = known_time(s::SHIPPED_AT, latest);
    // When the hand-off and the delivery were surely done: their time, or the end of the local
    // day of one known to the day only.
    let end_lit = lit(end.timestamp_millis()).cast(utc_ms());
    // `min_horizontal` skips nulls: an unknown delivery time bounds nothing; an unknown time
    // stays unknown (the bounds apply to a time only).
    let bounded = |done: Expr, t: Expr, also: Option<Expr>| {
        let mut bounds = vec![done.clone(), end_lit.clone()];
        bounds.extend(also);
        when(done.gt(t.clone()).fill_null(lit(false)))
            .then(polars::lazy::dsl::min_horizontal(bounds).unwrap_or(t.clone()))
            .otherwise(t)
    };
    let (shipped_by, delivered_by) = match done_times(days, tz, latest) {
        // A hand-off was done by the time its delivery surely was (a delivery known to the
        // day only, by the end of that day).
        Some([shipped_done, delivered_done]) => (
            bounded(
                shipped_done,
                ship_time.clone(),
                Some(delivered_done.clone()),
            ),
            bounded(delivered_done, delivered.clone(), None),
        ),
        None => (ship_time.clone(), delivered.clone()),
    };
    let deadline = col(s::PROMISE_DEADLINE);
    let is_date = col(s::PROMISE_IS_DATE).fill_null(lit(false));
    let measurable = physical
        .clone()
        .and(delivered.clone().is_not_null())
        .and(deadline.clone().is_not_null());
    // A date promise D is met through the end of local day D (deadline = start of D+1 local);
    // an instant promise is met at or before the instant (SPEC section 1).
    let after_deadline = |t: Expr| {
        when(is_date.clone())
            .then(t.clone().gt_eq(deadline.clone()))
            .otherwise(t.gt(deadline.clone()))
    };
    let late = after_deadline(delivered.clone());
    // Delivered, the last parcel at a time not known, another one already late at a known
    // time: the order came late (by how much is not known).
    let late_before_unknown = physical
        .clone()
        .and(col(s::DELIVERED))
        .and(delivered.clone().is_null())
        .and(after_deadline(col("_ship_delivered_known")).fill_null(lit(false)));
    let tz_name: TimeZone = TimeZone::opt_try_new(Some(tz.name()))
        .ok()
        .flatten()
        .unwrap_or(TimeZone::UTC);
    let local_day = delivered
        .clone()
        .dt()
        .convert_time_zone(tz_name)
        .dt()
        .date()
        .cast(DataType::Int32);
    let days_late = when(is_date.clone())
        .then((local_day - col(s::PROMISED_DATE).cast(DataType::Int32)).cast(DataType::Float64))
        .otherwise(since(deadline.clone(), delivered.clone()) / lit(24.0));
    // Open: the store owes the customer a shipment (not cancelled, not awaiting payment).
    let shipped = known_shipped();
    // Awaiting payment, and nothing says otherwise: a payment time, or a shipment (the status
    // was not updated), makes the order one the store owes.
    let awaiting_payment = matches(col(s::STATUS), AWAITING_PAYMENT_STATUS_PATTERN)
        .and(col(s::PAID_AT).is_null())
        .and(shipped.clone().not());
    let open = physical
        .clone()
        .and(col(s::CANCELLED).not())
        .and(awaiting_payment.not());
    let partly_shipped = col("_says_partial").or(col("_lines_open").fill_null(lit(false)));
    // An order placed after the as-of time did not exist yet: no open age, not in the backlog.
    let placed_by_as_of = col(s::PLACED_AT).lt_eq(as_of_lit.clone());
    // Shipped by the as-of time: a ship time at or before it; with no ship time, known shipped at
    // a time not known (a delivery, a fulfillment status, or a shipment row without a time).
    let shipped_by_as_of = when(ship_time.clone().is_not_null())
        .then(shipped_by.clone().lt_eq(as_of_lit.clone()))
        .otherwise(shipped.clone().or(col(s::N_SHIPMENTS).gt(lit(0u32))));
    // Nothing will ship: the order's fulfillment status says restocked (or not eligible), or the
    // line items leave no shippable unit unshipped.
    let nothing_to_ship =
        matches(col(s::FULFILLMENT_STATUS), NOT_TO_SHIP_STATUS_PATTERN).or(nothing_left_to_ship());
    let overdue_now = when(is_date)
        .then(as_of_lit.clone().gt_eq(deadline.clone()))
        .otherwise(as_of_lit.clone().gt(deadline.clone()));
    let stage = when(col(s::CANCELLED))
        .then(lit("cancelled"))
        .when(col(s::DELIVERED))
        .then(lit("delivered"))
        .when(shipped.clone())
        .then(lit("shipped"))
        // Paid at a time not known too: a status that says paid without a `paid_at` (most of
        // a real Shopify export's paid orders); its payment wait stays null.
        .when(
            col(s::PAID_AT)
                .is_not_null()
                .or(matches(col(s::STATUS), PAID_STATUS_PATTERN)),
        )
        .then(lit("paid"))
        .otherwise(lit("placed"));
    let lane = when(
        col(s::CARRIER)
            .is_not_null()
            .and(col(s::REGION).is_not_null()),
    )
    .then(concat_str([col(s::CARRIER), col(s::REGION)], " -> ", true))
    .otherwise(coalesce(&[col(s::CARRIER), col(s::REGION)]));
    vec![
        non_negative("_payment_wait_raw").alias(s::PAYMENT_WAIT_H),
        non_negative("_fulfillment_wait_raw").alias(s::FULFILLMENT_WAIT_H),
        non_negative("_complete_fulfillment_wait_raw").alias(s::COMPLETE_FULFILLMENT_WAIT_H),
        non_negative("_transit_time_raw").alias(s::TRANSIT_TIME_H),
        non_negative("_click_to_door_raw").alias(s::CLICK_TO_DOOR_H),
        // Not shipped by the as-of time: neither a ship or delivery time nor a status that
        // says shipped, or a ship time after the as-of time (`--as-of` earlier than the data
        // end: the order was still waiting then).
        when(
            open.clone()
                .and(
                    shipped
                        .not()
                        .or(shipped_by.gt(as_of_lit.clone()).fill_null(lit(false))),
                )
                .and(placed_by_as_of.clone()),
        )
        .then(since(col(s::PLACED_AT), as_of_lit.clone()))
        .otherwise(null_of(DataType::Float64))
        .alias(s::OPEN_AGE_H),
        open.clone()
            .and(placed_by_as_of)
            .and(nothing_to_ship.not())
            .and(shipped_by_as_of.not().or(partly_shipped))
            .alias(s::IN_BACKLOG),
        when(measurable.clone())
            .then(late)
            .when(late_before_unknown)
            .then(lit(true))
            .otherwise(null_of(DataType::Boolean))
            .alias(s::LATE),
        when(measurable)
            .then(days_late)
            .otherwise(null_of(DataType::Float64))
            .alias(s::DAYS_LATE),
        // Undelivered at the as-of time: not known delivered, or delivered after it (`--as-of`
        // earlier than the data end); not known when the inputs carry no delivery data at all,
        // so that an order past its promise is then null, one with no promise or before it
        // still false.
        (open
            .and(
                when(lit(deliveries_known))
                    .then(
                        col(s::DELIVERED)
                            .not()
                            .or(delivered_by.gt(as_of_lit.clone()).fill_null(lit(false)))
                            // A parcel known delivered after the as-of time: the order was
                            // not all delivered then, whenever its last one came.
                            .or(col("_ship_delivered_known")
                                .gt(as_of_lit.clone())
                                .fill_null(lit(false))),
                    )
                    .otherwise(null_of(DataType::Boolean)),
            )
            .and(deadline.is_not_null())
            .and(overdue_now))
        .alias(s::OVERDUE),
        stage.alias(s::STAGE),
        // An empty refund is no refund; one given but unreadable (NaN, see
        // `ingest::frame::UNREADABLE_AS_NAN`) leaves the net revenue unknown, not the total.
        // Nor is it known from a negative total or a refund above the total (counted in `build`).
        when(
            col(s::CANCELLED)
                .or(col(s::REFUNDED).is_nan().fill_null(lit(false)))
                .or(negative_total.fill_null(lit(false)))
                .or(refund_above_total.fill_null(lit(false))),
        )
        .then(null_of(DataType::Float64))
        .otherwise(col(s::TOTAL) - col(s::REFUNDED).abs().fill_null(lit(0.0)))
        .alias(s::NET_REVENUE),
        when(col(s::REFUNDED).is_nan().fill_null(lit(false)))
            .then(null_of(DataType::Float64))
            .otherwise(col(s::REFUNDED).abs())
            .alias(s::REFUNDED),
        lane.alias(s::LANE),
        // No method given (Olist, a Shopify order without a shipping line): no tier, rather than
        // a made-up standard one.
        when(matches(col(s::SHIPPING_METHOD), EXPRESS_PATTERN))
            .then(lit("express"))
            .when(
                col(s::SHIPPING_METHOD)
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .len_chars()
                    .gt(lit(0u32)),
            )
            .then(lit("standard"))
            .otherwise(null_of(DataType::String))
            .alias(s::SHIPPING_TIER),
    ]
}

fn journey_columns() -> Vec<Expr> {
    [
        s::ORDER_ID,
        s::CUSTOMER_KEY,
        s::PLACED_AT,
        s::PAID_AT,
        s::SHIPPED_AT,
        s::DELIVERED_AT,
        s::PROMISE_DEADLINE,
        s::PROMISE_IS_DATE,
        s::PROMISED_DATE,
        s::N_SHIPMENTS,
        s::REVIEW_SCORE,
        s::REVIEW_AT,
        s::STAGE,
        s::DELIVERED,
        s::CANCELLED,
        s::STOCKOUT,
        s::REQUIRES_SHIPPING,
        s::STATUS,
        s::FULFILLMENT_STATUS,
        s::CANCEL_REASON,
        s::CANCELLED_AT,
        s::SHIPPING_METHOD,
        s::SHIPPING_TIER,
        s::RISK_LEVEL,
        s::TAGS,
        s::CURRENCY,
        s::REGION,
        s::CARRIER,
        s::LANE,
        s::TOTAL,
        s::REFUNDED,
        s::NET_REVENUE,
        s::FULFILLED_COMPLETE_AT,
        s::UNSHIPPED_ITEMS,
        s::PAYMENT_WAIT_H,
        s::FULFILLMENT_WAIT_H,
        s::COMPLETE_FULFILLMENT_WAIT_H,
        s::TRANSIT_TIME_H,
        s::CLICK_TO_DOOR_H,
        s::OPEN_AGE_H,
        s::IN_BACKLOG,
        s::LATE,
        s::DAYS_LATE,
        s::OVERDUE,
        s::SRC_FILE,
        s::SRC_LINE,
    ]
    .into_iter()
    .map(col)
    .collect()
}

/// Column of a customer's number (UInt32) in [`Journeys::orders`] (on customer orders, see
/// [`is_customer_order`]; null on the others) and [`Journeys::customers`]: the same groups as
/// `customer_key`, joined, grouped and counted as integers instead of hashed text. Internal: the
/// numbers follow a group-by's order, are not stable from run to run, and are not written.
pub const CUSTOMER_INDEX: &str = "_customer";

/// `journeys` with `order_seq` (UInt32): 1 for a customer's first non-cancelled order, 2 for
/// the next... (rows are sorted by placed_at, order_id, so ties keep that order); null for
/// cancelled or unidentified orders.
///
/// Also adds [`CUSTOMER_INDEX`] (UInt32): the customer's number (0, 1, ... in the group-by's
/// order) on the same rows, null on the others, so that later steps group customers by an
/// integer instead of hashing their keys again; [`build`] keeps it in the journeys.
///
/// Each customer's row numbers are gathered in one group-by (a group keeps its rows' order),
/// numbered 1.. and joined back by row number. A ranking window over the customers did the
/// same with one ranking per customer: about 400 ms against 210 ms at 1M orders.
fn with_order_seq(journeys: DataFrame) -> Result<DataFrame> {
    const ROW: &str = "_row";
    let rows = journeys
        .clone()
        .lazy()
        .select([col(s::CUSTOMER_KEY), is_customer_order().alias("_counted")])
        .with_row_index(ROW, None);
    // After the explode a customer's rows are consecutive, from `_start` (the rows of the
    // customers before it): the position in the run is the order's number.
    let numbered = rows
        .clone()
        .filter(col("_counted"))
        .group_by([col(s::CUSTOMER_KEY)])
        .agg([col(ROW), len().alias("_n")])
        .with_row_index(CUSTOMER_INDEX, None)
        .select([
            col(ROW),
            col(CUSTOMER_INDEX),
            (col("_n").cum_sum(false) - col("_n")).alias("_start"),
        ])
        .explode(
            cols([ROW]),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .with_row_index("_pos", None)
        .select([
            col(ROW),
            (col("_pos") - col("_start") + lit(1))
                .cast(DataType::UInt32)
                .alias(s::ORDER_SEQ),
            col(CUSTOMER_INDEX).cast(DataType::UInt32),
        ]);
    let seq = rows
        .select([col(ROW)])
        .join(numbered, [col(ROW)], [col(ROW)], left_join_keeping_order())
        .select([
            col(s::ORDER_SEQ).cast(DataType::UInt32),
            col(CUSTOMER_INDEX).cast(DataType::UInt32),
        ])
        .collect()?;
    let mut journeys = journeys;
    journeys.hstack_mut(seq.columns())?;
    Ok(journeys)
}

/// Per customer (non-cancelled orders with a key). The second order is the first one placed
/// strictly after the first order's instant (SPEC section 2, repeat purchase). Revenue is the
/// sum of the net revenues known; null when none is known, or, with `several_currencies`, when
/// the known ones are in more than one currency (amounts in different currencies are never
/// summed): the frame then also has [`CUSTOMER_CURRENCIES`] for the audit.
///
/// `journeys` must be sorted by placed_at, order_id (as [`build`] leaves it), so that a
/// customer's first order is the first row of its group: `first()` instead of a sort per group.
fn customers(journeys: &DataFrame, several_currencies: bool) -> Result<DataFrame> {
    let placed = col(s::PLACED_AT);
    // A customer's rows are those with its number (see `with_order_seq`): the same groups as
    // by `customer_key`, compared as integers.
    let key = || [col(CUSTOMER_INDEX)];
    // Placed strictly after the customer's first order (null otherwise); its minimum per
    // customer is the second order.
    let later = when(placed.clone().gt(placed.clone().min().over(key())?))
        .then(placed.clone())
        .otherwise(null_of(utc_ms()))
        .alias("_later");
    // Null, not 0, when none of the customer's orders has a known amount.
    let revenue = when(col(s::NET_REVENUE).count().gt(lit(0)))
        .then(col(s::NET_REVENUE).sum())
        .otherwise(null_of(DataType::Float64));
    let currencies = col(s::CURRENCY)
        .filter(col(s::NET_REVENUE).is_not_null())
        .n_unique()
        .cast(DataType::UInt32);
    let (revenue, extra) = if several_currencies {
        (
            when(currencies.clone().gt(lit(1u32)))
                .then(null_of(DataType::Float64))
                .otherwise(revenue),
            vec![currencies.alias(CUSTOMER_CURRENCIES)],
        )
    } else {
        (revenue, Vec::new())
    };
    let mut columns = vec![
        col(CUSTOMER_INDEX),
        col(s::CUSTOMER_KEY),
        placed.clone(),
        col(s::NET_REVENUE),
        col(s::LATE),
        col(s::REVIEW_SCORE),
        col(s::N_WISMO_TICKETS),
        later,
    ];
    if several_currencies {
        columns.push(col(s::CURRENCY));
    }
    Ok(journeys
        .clone()
        .lazy()
        .filter(col(CUSTOMER_INDEX).is_not_null())
        .select(columns)
        .group_by(key())
        .agg(
            [
                col(s::CUSTOMER_KEY).first(),
                placed.clone().min().alias("first_order_at"),
                placed.clone().max().alias("last_order_at"),
                len().cast(DataType::UInt32).alias("n_orders"),
                revenue.alias("revenue"),
                col(s::LATE).first().alias("first_order_late"),
                col(s::REVIEW_SCORE)
                    .first()
                    .lt_eq(lit(2.0))
                    .alias("first_order_low_review"),
                col(s::N_WISMO_TICKETS)
                    .first()
                    .gt(lit(0u32))
                    .alias("first_order_wismo"),
                col("_later").min().alias("second_order_at"),
            ]
            .into_iter()
            .chain(extra)
            .collect::<Vec<_>>(),
        )
        .with_column(
            (hours_between("first_order_at", "second_order_at") / lit(24.0))
                .alias("days_to_second_order"),
        )
        .sort([s::CUSTOMER_KEY], SortMultipleOptions::default())
        .collect()?)
}

/// Internal customers column (UInt32, dropped by [`build`]): in how many currencies the
/// customer's known net revenues are.
const CUSTOMER_CURRENCIES: &str = "_currencies";

/// Whether the customer orders with a known net revenue carry more than one currency (an
/// empty one counting as its own).
fn several_currencies_with_amounts(journeys: &DataFrame) -> Result<bool> {
    let n = journeys
        .clone()
        .lazy()
        .filter(
            col(CUSTOMER_INDEX)
                .is_not_null()
                .and(col(s::NET_REVENUE).is_not_null()),
        )
        .select([col(s::CURRENCY)
            .n_unique()
            .cast(DataType::UInt32)
            .alias("n")])
        .collect()?;
    Ok(n.column("n")?.u32()?.get(0).unwrap_or(0) > 1)
}

/// Data-quality reason of the orders of a customer whose known amounts are in several
/// currencies.
pub const CUSTOMER_IN_SEVERAL_CURRENCIES: &str =
    "order of a customer who paid in several currencies, or in one not known (customers.csv leaves the customer's revenue empty: amounts in different currencies are not summed)";

/// `customers` without [`CUSTOMER_CURRENCIES`], after counting in `dq` the orders (with a
/// known amount) of the customers whose known amounts are in more than one currency.
fn audit_customers_in_several_currencies(
    journeys: &DataFrame,
    customers: DataFrame,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    let mixed = customers
        .clone()
        .lazy()
        .filter(col(CUSTOMER_CURRENCIES).gt(lit(1u32)))
        .select([col(CUSTOMER_INDEX)]);
    let rows = journeys
        .clone()
        .lazy()
        .filter(col(s::NET_REVENUE).is_not_null())
        .select([
            col(CUSTOMER_INDEX),
            col(s::SRC_FILE),
            col(s::SRC_LINE),
            concat_str([lit("customer "), col(s::CUSTOMER_KEY)], "", true).alias("_customer_key"),
        ])
        .join(
            mixed,
            [col(CUSTOMER_INDEX)],
            [col(CUSTOMER_INDEX)],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;
    crate::ingest::audit_with_example(
        &rows,
        lit(true),
        Some("_customer_key"),
        CUSTOMER_IN_SEVERAL_CURRENCIES,
        Effect::Warning,
        dq,
    )?;
    Ok(customers.drop(CUSTOMER_CURRENCIES)?)
}

fn first_instant(df: &DataFrame, column: &str) -> Result<Option<DateTime<Utc>>> {
    let v = df
        .clone()
        .lazy()
        .select([col(column).min().cast(DataType::Int64)])
        .collect()?;
    Ok(v.column(column)?
        .i64()?
        .get(0)
        .and_then(DateTime::from_timestamp_millis))
}

/// How far past the 99th percentile of the order placement times an event may lie and still be
/// taken as plausible, days. Further out it is taken for a mistyped year (`2204-03-01`): the
/// last 1 % of a real export's orders spans days or weeks, and its shipments, tickets and reviews
/// follow them within months. Such a time is neither the data end nor in any duration.
pub const IMPLAUSIBLE_AFTER_P99_D: i64 = 365;

/// The latest plausible event time: [`IMPLAUSIBLE_AFTER_P99_D`] days after the 99th percentile
/// (linear) of `placed_at`; `None` without orders (nothing to judge by: every time counts).
pub(crate) fn latest_plausible(orders: &DataFrame) -> Result<Option<DateTime<Utc>>> {
    let p99 = orders
        .clone()
        .lazy()
        .select([col(s::PLACED_AT)
            .cast(DataType::Int64)
            .quantile(lit(0.99), QuantileMethod::Linear)])
        .collect()?;
    Ok(p99
        .column(s::PLACED_AT)?
        .f64()?
        .get(0)
        .and_then(|p| DateTime::from_timestamp_millis(p as i64))
        .map(|p| p + chrono::Duration::days(IMPLAUSIBLE_AFTER_P99_D)))
}

/// Data-quality reason of an order left out by an `--as-of` before it was placed.
const ORDER_AFTER_AS_OF: &str =
    "placed after the as-of time (--as-of): not counted, as it did not exist yet";
/// Data-quality reason of a ticket left out by an `--as-of` before it was opened.
const TICKET_AFTER_AS_OF: &str =
    "opened after the as-of time (--as-of): not counted, as it did not exist yet";

/// The rows of `df` whose instant `column` is at or before `as_of`: with `--as-of` earlier
/// than the data end, orders placed and tickets opened later are left out of the journeys and
/// of every figure (so that the window, which ends at the as-of time, holds all that is
/// counted), and counted in `dq` under `reason`. A row without a time is kept; so is an
/// implausible one (a mistyped year, which is no telling of when the row came), as it would be
/// without `--as-of`.
fn not_after(
    df: DataFrame,
    column: &str,
    as_of: DateTime<Utc>,
    latest: Option<DateTime<Utc>>,
    reason: &str,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    let after = known_time(column, latest)
        .gt(lit(as_of.timestamp_millis()).cast(utc_ms()))
        .fill_null(lit(false));
    audit(&df, after.clone(), reason, Effect::ExcludedFromStats, dq)?;
    Ok(df.lazy().filter(after.not()).collect()?)
}

/// The latest event timestamp among kept rows (never a promise or an estimate), leaving out
/// implausible ones (later than `latest`, see [`latest_plausible`]), which are counted in `dq`
/// against the file and line they were read from; with the kind of event it is (an order's
/// `placed_at`: `order placed`; `review_at`: `review`; a ticket's `solved_at`: `ticket solved`...;
/// the first listed on a tie), so that a report can say what set its data end.
fn data_end(
    orders: &DataFrame,
    store: &Store,
    latest: Option<DateTime<Utc>>,
    dq: &mut DataQuality,
) -> Result<(DateTime<Utc>, Option<&'static str>)> {
    let ms = |c: &str| col(c).cast(DataType::Int64);
    let limit = latest.map_or(i64::MAX, |t| t.timestamp_millis());
    // (frame, columns for the data end with the event each holds, columns read from that
    // frame's own file: warned there).
    type Events = Vec<(&'static str, &'static str)>;
    let shipment_events: Events = vec![(s::SHIPPED_AT, "shipment"), (s::DELIVERED_AT, "delivery")];
    let mut frames: Vec<(&DataFrame, Events, Vec<&str>)> = vec![(
        orders,
        vec![
            (s::PLACED_AT, "order placed"),
            (s::PAID_AT, "payment"),
            (s::FULFILLED_AT, "fulfillment"),
            (s::SHIPPED_AT, "shipment"),
            (s::DELIVERED_AT, "delivery"),
            (s::CANCELLED_AT, "cancellation"),
            (s::REVIEW_AT, "review"),
        ],
        vec![s::PLACED_AT, s::PAID_AT, s::FULFILLED_AT, s::CANCELLED_AT],
    )];
    if let Some(t) = &store.tickets {
        let events = vec![
            (s::CREATED_AT, "ticket opened"),
            (s::FIRST_RESPONSE_AT, "ticket reply"),
            (s::SOLVED_AT, "ticket solved"),
        ];
        let own = events.iter().map(|(c, _)| *c).collect();
        frames.push((t, events, own));
    }
    if let Some(sh) = &store.shipments {
        frames.push((sh, shipment_events, vec![s::SHIPPED_AT, s::DELIVERED_AT]));
    }
    if let Some(rv) = &store.reviews {
        // Reviews reach the data end through the orders' review_at; warned in their own file.
        frames.push((rv, Vec::new(), vec![s::CREATED_AT]));
    }
    let mut end: Option<(i64, &'static str)> = None;
    for (df, events, own) in frames {
        for c in &own {
            let reason = format!(
                "{c}: more than a year after 99% of the orders were placed (a mistyped year?): not taken as the data end nor in durations"
            );
            audit(
                df,
                ms(c).gt(lit(limit)),
                &reason,
                Effect::ExcludedFromStats,
                dq,
            )?;
        }
        if events.is_empty() {
            continue;
        }
        let exprs: Vec<Expr> = events
            .iter()
            .map(|(c, _)| ms(c).filter(ms(c).lt_eq(lit(limit))).max().alias(*c))
            .collect();
        let row = df.clone().lazy().select(exprs).collect()?;
        // One value per column (at most seven): the latest, and which event it is; the first
        // listed on a tie.
        for (c, event) in events {
            if let Some(t) = row.column(c)?.i64()?.get(0) {
                if end.is_none_or(|(e, _)| t > e) {
                    end = Some((t, event));
                }
            }
        }
    }
    Ok((
        end.and_then(|(t, _)| DateTime::from_timestamp_millis(t))
            .unwrap_or_default(),
        end.map(|(_, event)| event),
    ))
}

/// Appends `ms` (milliseconds since the epoch, UTC) as `%Y-%m-%dT%H:%M:%SZ`, as chrono formats
/// it (seconds truncated). Years 0 to 9999 are formatted here (see [`civil_from_days`]), others
/// by chrono.
pub fn instant_text(ms: i64, out: &mut String) {
    let secs = ms.div_euclid(1000);
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    match civil_from_days(days) {
        Some((year, month, day)) => {
            let mut text = [0u8; 20];
            put_ymd(year, month, day, &mut text[..10]);
            let (h, m, sec) = (
                second_of_day / 3600,
                second_of_day / 60 % 60,
                second_of_day % 60,
            );
            text[10] = b'T';
            put2(h as u32, &mut text[11..13]);
            text[13] = b':';
            put2(m as u32, &mut text[14..16]);
            text[16] = b':';
            put2(sec as u32, &mut text[17..19]);
            text[19] = b'Z';
            out.push_str(std::str::from_utf8(&text).unwrap_or_default());
        }
        None => {
            if let Some(t) = DateTime::from_timestamp_millis(ms) {
                out.push_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
        }
    }
}

/// Appends `days` (days since 1970-01-01) as `%Y-%m-%d`, as chrono formats it.
pub fn date_text(days: i32, out: &mut String) {
    match civil_from_days(i64::from(days)) {
        Some((year, month, day)) => {
            let mut text = [0u8; 10];
            put_ymd(year, month, day, &mut text);
            out.push_str(std::str::from_utf8(&text).unwrap_or_default());
        }
        None => {
            use chrono::NaiveDate;
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|epoch| {
                epoch.checked_add_signed(chrono::Duration::days(i64::from(days)))
            });
            if let Some(d) = date {
                out.push_str(&d.format("%Y-%m-%d").to_string());
            }
        }
    }
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01, for years 0 to 9999
/// (None outside them). H. Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>): 400-year eras of
/// 146,097 days, years starting on 1 March so that the leap day is last.
fn civil_from_days(days: i64) -> Option<(u32, u32, u32)> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year, [0, 365]
    let mp = (5 * doy + 2) / 153; // month from March, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if (0..=9999).contains(&year) {
        Some((year as u32, month as u32, day as u32))
    } else {
        None
    }
}

/// Writes `YYYY-MM-DD` into `out` (10 bytes).
fn put_ymd(year: u32, month: u32, day: u32, out: &mut [u8]) {
    put2(year / 100, &mut out[0..2]);
    put2(year % 100, &mut out[2..4]);
    out[4] = b'-';
    put2(month, &mut out[5..7]);
    out[7] = b'-';
    put2(day, &mut out[8..10]);
}

/// Writes the two last digits of `v` into `out` (2 bytes).
fn put2(v: u32, out: &mut [u8]) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_waits_read_in_hours_or_minutes() {
        let df = df!("h" => [-13.0, -2.0 / 60.0, -1.0, -0.04]).unwrap();
        let text = df
            .lazy()
            .select([hours_text(col("h")).alias("t")])
            .collect()
            .unwrap();
        let t: Vec<Option<&str>> = text.column("t").unwrap().str().unwrap().iter().collect();
        assert_eq!(
            t,
            [
                Some("gap of -13.0 h"),
                Some("gap of -2.0 min"),
                Some("gap of -1.0 h"),
                Some("gap of -2.4 min")
            ]
        );
    }

    #[test]
    fn fast_time_text_matches_chrono() {
        let fmt = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default()
        };
        for ms in [
            0,
            -1,
            -86_400_001,
            1_530_872_091_999,
            1_719_792_068_000,
            951_782_400_000, // 2000-02-29
            253_402_300_799_999,
            253_402_300_800_000, // year 10000
            -62_167_219_200_001, // year -1
        ] {
            let mut s = String::new();
            instant_text(ms, &mut s);
            assert_eq!(s, fmt(ms), "{ms}");
        }
        // A spread of instants over years 0 to 9999, each second of a day and its edges.
        let mut ms = -62_167_219_200_000i64; // 0000-01-01T00:00:00Z
        while ms < 253_402_300_800_000 {
            for delta in [0, 1, 999, 1000, 86_399_999] {
                let mut s = String::new();
                instant_text(ms + delta, &mut s);
                assert_eq!(s, fmt(ms + delta), "{}", ms + delta);
            }
            ms += 7_919_993_117; // about 92 days, a prime number of ms: every time of day
        }
        // Every 37th day of years 0 to 9999 (all days of the month and every month meet), the
        // ends of that range and a day on each side, around 29 February, and the extremes.
        let edges = [
            -719_529, -719_528, 2_932_896, 2_932_897, 11_015, 11_016, 11_017, 0, -1,
        ];
        for days in (-719_528..=2_932_896)
            .step_by(37)
            .chain(edges)
            .chain([i32::MIN, i32::MAX])
        {
            let mut s = String::new();
            date_text(days, &mut s);
            let want = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .unwrap()
                .checked_add_signed(chrono::Duration::days(i64::from(days)))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            assert_eq!(s, want, "{days}");
        }
    }
}
