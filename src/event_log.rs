//! The journey as an event log (SPEC section 2): a case-centric CSV with PM4Py's column names
//! (`case:concept:name` = order id, `concept:name` = activity, `time:timestamp`), and an
//! object-centric OCEL 2.0 JSON log with object types order, customer, shipment and ticket
//! (<https://www.ocel-standard.org/>, OCEL 2.0 JSON format).

use std::io::Write;

use chrono::DateTime;
use polars::prelude::*;
use serde_json::json;

use crate::error::{Error, Result};
use crate::ingest::frame::utc_ms;
use crate::ingest::Store;
use crate::journey::Journeys;
use crate::report::output::{write_table, CSV_BATCH_ROWS};
use crate::schema as s;
use crate::support::{DELIVERED_DONE, SHIPPED_DONE};

/// PM4Py's case id column.
pub const CASE: &str = "case:concept:name";
/// PM4Py's activity column.
pub const ACTIVITY: &str = "concept:name";
/// PM4Py's timestamp column.
pub const TIMESTAMP: &str = "time:timestamp";

/// Order-level activities, in lifecycle order (ties at one instant sort in this order).
pub const ACTIVITIES: [&str; 7] = [
    "order placed",
    "order paid",
    "order shipped",
    "order delivered",
    "order cancelled",
    "ticket opened",
    "review posted",
];

/// Column of the journeys' row index: the case order of the log.
const CASE_INDEX: &str = "_case";

/// Column of a ticket event's row in the linked tickets (null for order events).
const TICKET_ROW: &str = "_ticket";
/// Column of an event's position in [`ACTIVITIES`].
const RANK: &str = "_rank";

/// The hand-off and delivery times of the events, when some are known to the day only (from
/// [`Journeys::done_times`]): such a time is the start of its local day, so a parcel shipped
/// "that day" would come before the order placed that afternoon. An event known to the day only
/// is put at the latest of the events before it in the lifecycle (placement and payment for the
/// hand-off; those and the hand-off for the delivery) that fall within its day, the earliest it
/// can have been, and the lifecycle rank orders them. With none in its day (a ship day before
/// the placement day: a wait counted negative), it is left as it is.
fn within_the_day() -> [Expr; 2] {
    let in_day = |t: &str, done: &str, before: Vec<Expr>| {
        let within = |e: Expr| {
            when(
                e.clone()
                    .gt(col(t))
                    .and(e.clone().lt(col(done)))
                    .fill_null(lit(false)),
            )
            .then(e)
            .otherwise(lit(NULL).cast(utc_ms()))
        };
        let latest =
            polars::lazy::dsl::max_horizontal(before.into_iter().map(within).collect::<Vec<_>>())
                .unwrap_or(lit(NULL).cast(utc_ms()));
        when(col(done).gt(col(t)).fill_null(lit(false)))
            .then(coalesce(&[latest, col(t)]))
            .otherwise(col(t))
    };
    let shipped = in_day(
        s::SHIPPED_AT,
        SHIPPED_DONE,
        vec![col(s::PLACED_AT), col(s::PAID_AT)],
    );
    let delivered = in_day(
        s::DELIVERED_AT,
        DELIVERED_DONE,
        vec![col(s::PLACED_AT), col(s::PAID_AT), shipped.clone()],
    );
    [
        shipped.alias(s::SHIPPED_AT),
        delivered.alias(s::DELIVERED_AT),
    ]
}

/// The events of one activity: case index, time, lifecycle rank, ticket row (numbers only; the
/// text columns are added once the events are in order).
fn activity(frame: LazyFrame, time: &str, rank: u32, ticket_row: Option<&str>) -> LazyFrame {
    frame.filter(col(time).is_not_null()).select([
        col(CASE_INDEX),
        col(time).alias(TIMESTAMP),
        lit(rank).alias(RANK),
        match ticket_row {
            Some(t) => col(t).cast(IDX_DTYPE).alias(TICKET_ROW),
            None => lit(NULL).cast(IDX_DTYPE).alias(TICKET_ROW),
        },
    ])
}

/// The linked tickets with the journeys' row index of their order (`_case`, UInt32), sorted by
/// it, then time and ticket id; `None` without a tickets table.
fn linked_tickets(j: &Journeys) -> Result<Option<DataFrame>> {
    let Some(t) = &j.tickets else {
        return Ok(None);
    };
    let cases = crate::journey::one_per_order_id(
        crate::journey::among(
            j.orders
                .clone()
                .lazy()
                .select([col(s::ORDER_ID)])
                .with_row_index(CASE_INDEX, None),
            s::ORDER_ID,
            t.column(s::ORDER_ID)?,
        )?,
        j.order_ids_distinct,
    );
    // Linked tickets cite known orders only (support::link), so the inner join keeps them all.
    Ok(Some(
        t.clone()
            .lazy()
            .filter(col(s::ORDER_ID).is_not_null())
            .select([col(s::TICKET_ID), col(s::CREATED_AT), col(s::ORDER_ID)])
            .join(
                cases,
                [col(s::ORDER_ID)],
                [col(s::ORDER_ID)],
                JoinArgs::new(JoinType::Inner),
            )
            // A full order, so that tickets of one case at one instant always come out alike.
            .sort(
                [CASE_INDEX, s::CREATED_AT, s::TICKET_ID],
                SortMultipleOptions::default(),
            )
            .select([col(CASE_INDEX), col(s::CREATED_AT), col(s::TICKET_ID)])
            .with_row_index(TICKET_ROW, None)
            .collect()?,
    ))
}

/// The events of the journeys rows `first..first + len` and of their linked tickets (from
/// [`linked_tickets`]), sorted by case, time and lifecycle order; columns as [`events`].
///
/// The events are put in order as numbers (case index, time, rank, ticket row), and the text
/// columns (order id, activity, customer key, ticket id) are gathered once, in that order.
fn case_events(
    j: &Journeys,
    tickets: Option<&DataFrame>,
    first: usize,
    len: usize,
) -> Result<DataFrame> {
    let range = (first as IdxSize, (first + len) as IdxSize);
    let mut orders = j.orders.slice(first as i64, len);
    if let Some(done) = &j.done_times {
        orders = orders.hstack(done.slice(first as i64, len).columns())?;
    }
    let mut orders = orders.lazy().with_row_index(CASE_INDEX, Some(range.0));
    if j.done_times.is_some() {
        orders = orders.with_columns(within_the_day());
    }
    let mut parts = vec![
        activity(orders.clone(), s::PLACED_AT, 0, None),
        activity(orders.clone(), s::PAID_AT, 1, None),
        activity(orders.clone(), s::SHIPPED_AT, 2, None),
        activity(orders.clone(), s::DELIVERED_AT, 3, None),
        activity(orders.clone(), s::CANCELLED_AT, 4, None),
        activity(orders, s::REVIEW_AT, 6, None),
    ];
    if let Some(t) = tickets {
        let in_range = col(CASE_INDEX)
            .gt_eq(lit(range.0))
            .and(col(CASE_INDEX).lt(lit(range.1)));
        parts.push(activity(
            t.clone().lazy().filter(in_range),
            s::CREATED_AT,
            5,
            Some(TICKET_ROW),
        ));
    }
    let order = concat(parts, UnionArgs::default())?
        // Stable: ties (tickets of one case at one instant) keep the tickets' order.
        .sort(
            [CASE_INDEX, TIMESTAMP, RANK],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()?;
    let case = order.column(CASE_INDEX)?.idx()?;
    let rank = order.column(RANK)?.cast(&IDX_DTYPE)?;
    let names = Series::new(ACTIVITY.into(), ACTIVITIES);
    let ticket_id = match tickets {
        Some(t) => t
            .column(s::TICKET_ID)?
            .as_materialized_series()
            .take(order.column(TICKET_ROW)?.idx()?)?
            .cast(&DataType::String)?,
        None => Series::full_null(s::TICKET_ID.into(), order.height(), &DataType::String),
    };
    let gather = |name: &str| -> Result<Column> {
        Ok(j.orders
            .column(name)?
            .as_materialized_series()
            .take(case)?
            .into_column())
    };
    Ok(DataFrame::new(
        order.height(),
        vec![
            gather(s::ORDER_ID)?.with_name(CASE.into()),
            names.take(rank.idx()?)?.into_column(),
            order.column(TIMESTAMP)?.clone(),
            gather(s::CUSTOMER_KEY)?,
            ticket_id.with_name(s::TICKET_ID.into()).into_column(),
        ],
    )?)
}

/// One row per event: `case:concept:name` (String, order id), `concept:name` (String, one of
/// [`ACTIVITIES`]), `time:timestamp` (Datetime ms UTC), `customer_key`, `ticket_id` (String,
/// ticket events only). Cases come in the journeys' order (placed_at, then order id), and the
/// events of a case by time, then lifecycle order. Tickets not linked to an order have no case
/// and are left out of this log (they are in the OCEL log).
pub fn events(j: &Journeys) -> Result<DataFrame> {
    case_events(j, linked_tickets(j)?.as_ref(), 0, j.orders.height())
}

/// Writes the case-centric log of [`events`] as CSV (`event_log.csv`), built and written one
/// slice of [`CSV_BATCH_ROWS`] cases at a time, so that the log (about 4.4 events per order)
/// never exists whole in memory.
///
/// Errors: the writer fails.
pub fn write_csv(j: &Journeys, w: &mut impl Write) -> Result<()> {
    let tickets = linked_tickets(j)?;
    let height = j.orders.height();
    let mut first = 0usize;
    loop {
        let len = CSV_BATCH_ROWS.min(height - first);
        let batch = case_events(j, tickets.as_ref(), first, len)?;
        write_table(&batch, w, first == 0)?;
        first += len;
        if first >= height {
            return Ok(());
        }
    }
}

fn rfc3339(ms: Option<i64>) -> String {
    ms.and_then(DateTime::from_timestamp_millis)
        .map(crate::report::instant)
        .unwrap_or_default()
}

fn io(e: std::io::Error) -> Error {
    Error::Output {
        path: "event_log.jsonocel".into(),
        message: e.to_string(),
    }
}

fn put(w: &mut impl Write, first: &mut bool, value: serde_json::Value) -> Result<()> {
    if !*first {
        w.write_all(b",\n").map_err(io)?;
    }
    *first = false;
    serde_json::to_writer(&mut *w, &value).map_err(|e| io(e.into()))
}

/// Writes the OCEL 2.0 JSON log: objects `order:<id>`, `customer:<key>`,
/// `shipment:<order id>/<n>`, `ticket:<id>` with their relations (order placed by customer,
/// shipment of order, ticket about order), and the events of [`events`] (each related to its
/// order, the order's customer when known, and its ticket), one "ticket opened" event per
/// ticket linked to no order (related to that ticket only), and one "shipment dispatched" /
/// "shipment delivered" event per shipment. So every ticket with an opening time has its
/// "ticket opened" event. Streams, so memory stays flat.
///
/// Errors: the writer fails.
pub fn write_ocel(
    j: &Journeys,
    store: &Store,
    events: &DataFrame,
    w: &mut impl Write,
) -> Result<()> {
    let types: Vec<serde_json::Value> = ["order", "customer", "shipment", "ticket"]
        .iter()
        .map(|t| json!({"name": t, "attributes": []}))
        .collect();
    let mut event_types: Vec<serde_json::Value> = ACTIVITIES
        .iter()
        .map(|a| json!({"name": a, "attributes": []}))
        .collect();
    event_types.push(json!({"name": "shipment dispatched", "attributes": []}));
    event_types.push(json!({"name": "shipment delivered", "attributes": []}));
    write!(
        w,
        "{{\"objectTypes\": {},\n\"eventTypes\": {},\n\"objects\": [\n",
        serde_json::Value::Array(types),
        serde_json::Value::Array(event_types)
    )
    .map_err(io)?;

    // Objects. The loops below serialise rows of finished tables, as a CSV writer would.
    let mut first = true;
    let ids = j.orders.column(s::ORDER_ID)?.str()?.clone();
    let keys = j.orders.column(s::CUSTOMER_KEY)?.str()?.clone();
    for i in 0..j.orders.height() {
        let id = ids.get(i).unwrap_or("");
        let rel: Vec<serde_json::Value> = keys
            .get(i)
            .map(|k| json!({"objectId": format!("customer:{k}"), "qualifier": "placed by"}))
            .into_iter()
            .collect();
        put(
            w,
            &mut first,
            json!({"id": format!("order:{id}"), "type": "order", "attributes": [], "relationships": rel}),
        )?;
    }
    // Every person with an order, cancelled-only customers included.
    let people = j
        .orders
        .clone()
        .lazy()
        .select([col(s::CUSTOMER_KEY)
            .drop_nulls()
            .unique_stable()
            .sort(SortOptions::default())])
        .collect()?;
    let customers = people.column(s::CUSTOMER_KEY)?.str()?.clone();
    for i in 0..people.height() {
        put(
            w,
            &mut first,
            json!({"id": format!("customer:{}", customers.get(i).unwrap_or("")), "type": "customer", "attributes": [], "relationships": []}),
        )?;
    }
    let shipments = shipment_rows(store, j)?;
    let (sh_orders, sh_shipped, sh_delivered) = (
        shipments.column(s::ORDER_ID)?.str()?.clone(),
        shipments
            .column(s::SHIPPED_AT)?
            .cast(&DataType::Int64)?
            .i64()?
            .clone(),
        shipments
            .column(s::DELIVERED_AT)?
            .cast(&DataType::Int64)?
            .i64()?
            .clone(),
    );
    let shipment_id = |i: usize| format!("shipment:{}/{}", sh_orders.get(i).unwrap_or(""), i + 1);
    for i in 0..shipments.height() {
        let order = sh_orders.get(i).unwrap_or("");
        put(
            w,
            &mut first,
            json!({"id": shipment_id(i), "type": "shipment", "attributes": [], "relationships": [{"objectId": format!("order:{order}"), "qualifier": "ships"}]}),
        )?;
    }
    if let Some(t) = &j.tickets {
        let tid = t.column(s::TICKET_ID)?.str()?.clone();
        let tor = t.column(s::ORDER_ID)?.str()?.clone();
        for i in 0..t.height() {
            let rel: Vec<serde_json::Value> = tor
                .get(i)
                .map(|o| json!({"objectId": format!("order:{o}"), "qualifier": "about"}))
                .into_iter()
                .collect();
            put(
                w,
                &mut first,
                json!({"id": format!("ticket:{}", tid.get(i).unwrap_or("")), "type": "ticket", "attributes": [], "relationships": rel}),
            )?;
        }
    }

    // Events.
    w.write_all(b"\n],\n\"events\": [\n").map_err(io)?;
    let mut first = true;
    let mut n = 0u64;
    let (cases, acts, times) = (
        events.column(CASE)?.str()?.clone(),
        events.column(ACTIVITY)?.str()?.clone(),
        events
            .column(TIMESTAMP)?
            .cast(&DataType::Int64)?
            .i64()?
            .clone(),
    );
    let (ekeys, etickets) = (
        events.column(s::CUSTOMER_KEY)?.str()?.clone(),
        events.column(s::TICKET_ID)?.str()?.clone(),
    );
    for i in 0..events.height() {
        n += 1;
        let mut rel = vec![
            json!({"objectId": format!("order:{}", cases.get(i).unwrap_or("")), "qualifier": "order"}),
        ];
        if let Some(k) = ekeys.get(i) {
            rel.push(json!({"objectId": format!("customer:{k}"), "qualifier": "customer"}));
        }
        if let Some(t) = etickets.get(i) {
            rel.push(json!({"objectId": format!("ticket:{t}"), "qualifier": "ticket"}));
        }
        put(
            w,
            &mut first,
            json!({"id": format!("e{n}"), "type": acts.get(i).unwrap_or(""), "time": rfc3339(times.get(i)), "attributes": [], "relationships": rel}),
        )?;
    }
    // Tickets linked to no order have no case in `events`: their "ticket opened" events, in the
    // tickets' order, relate to the ticket alone (a ticket reaches a customer only through its
    // order).
    if let Some(t) = &j.tickets {
        let unlinked = t
            .clone()
            .lazy()
            .filter(
                col(s::ORDER_ID)
                    .is_null()
                    .and(col(s::CREATED_AT).is_not_null()),
            )
            .select([col(s::TICKET_ID), col(s::CREATED_AT).cast(DataType::Int64)])
            .collect()?;
        let (tid, opened) = (
            unlinked.column(s::TICKET_ID)?.str()?,
            unlinked.column(s::CREATED_AT)?.i64()?,
        );
        for i in 0..unlinked.height() {
            n += 1;
            put(
                w,
                &mut first,
                json!({"id": format!("e{n}"), "type": "ticket opened", "time": rfc3339(opened.get(i)), "attributes": [], "relationships": [{"objectId": format!("ticket:{}", tid.get(i).unwrap_or("")), "qualifier": "ticket"}]}),
            )?;
        }
    }
    for i in 0..shipments.height() {
        let order = sh_orders.get(i).unwrap_or("");
        for (kind, t) in [
            ("shipment dispatched", sh_shipped.get(i)),
            ("shipment delivered", sh_delivered.get(i)),
        ] {
            if t.is_some() {
                n += 1;
                put(
                    w,
                    &mut first,
                    json!({"id": format!("e{n}"), "type": kind, "time": rfc3339(t), "attributes": [], "relationships": [{"objectId": shipment_id(i), "qualifier": "shipment"}, {"objectId": format!("order:{order}"), "qualifier": "order"}]}),
                )?;
            }
        }
    }
    w.write_all(b"\n]}\n").map_err(io)?;
    Ok(())
}

/// The shipments of known orders, in a stable order (order id, ship time, file order).
fn shipment_rows(store: &Store, j: &Journeys) -> Result<DataFrame> {
    let Some(sh) = &store.shipments else {
        return Ok(DataFrame::new(
            0,
            vec![
                Column::new_empty(s::ORDER_ID.into(), &DataType::String),
                Column::new_empty(s::SHIPPED_AT.into(), &utc_ms()),
                Column::new_empty(s::DELIVERED_AT.into(), &utc_ms()),
            ],
        )?);
    };
    let known = j
        .orders
        .column(s::ORDER_ID)?
        .as_materialized_series()
        .clone();
    Ok(sh
        .clone()
        .lazy()
        .filter(col(s::ORDER_ID).is_in(lit(known).implode(false), false))
        .sort(
            [s::ORDER_ID, s::SHIPPED_AT, s::SRC_RANK, s::SRC_LINE],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .select([col(s::ORDER_ID), col(s::SHIPPED_AT), col(s::DELIVERED_AT)])
        .collect()?)
}
