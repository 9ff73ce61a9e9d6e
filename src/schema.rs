//! Canonical table kinds and column names (SPEC section 1 and 2).
//!
//! Every other module names columns through these constants, never through string literals, so
//! that a rename happens in one place.

use std::fmt;

/// The table kinds snagscan understands (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Orders,
    LineItems,
    Shipments,
    Tickets,
    Reviews,
    Customers,
    /// Olist's payments file: folded into `orders.total`.
    Payments,
}

impl TableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Orders => "orders",
            TableKind::LineItems => "line_items",
            TableKind::Shipments => "shipments",
            TableKind::Tickets => "tickets",
            TableKind::Reviews => "reviews",
            TableKind::Customers => "customers",
            TableKind::Payments => "payments",
        }
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Provenance columns carried by every ingested frame, so that data-quality findings made late in
// the pipeline still name the file and line they came from.
/// Source file name (String).
pub const SRC_FILE: &str = "src_file";
/// 1-based physical line where the record starts (UInt64).
pub const SRC_LINE: &str = "src_line";
/// Position of the file among the files of its kind (UInt32): later files win on duplicates.
pub const SRC_RANK: &str = "src_rank";

// orders
pub const ORDER_ID: &str = "order_id";
pub const CUSTOMER_ID: &str = "customer_id";
pub const EMAIL: &str = "email";
pub const PLACED_AT: &str = "placed_at";
pub const PAID_AT: &str = "paid_at";
pub const FULFILLED_AT: &str = "fulfilled_at";
pub const CANCELLED_AT: &str = "cancelled_at";
pub const STATUS: &str = "status";
pub const CANCEL_REASON: &str = "cancel_reason";
pub const TOTAL: &str = "total";
pub const REFUNDED: &str = "refunded";
pub const CURRENCY: &str = "currency";
pub const SHIPPING_METHOD: &str = "shipping_method";
pub const PROMISED_BY: &str = "promised_by";
pub const RISK_LEVEL: &str = "risk_level";
pub const TAGS: &str = "tags";
pub const REQUIRES_SHIPPING: &str = "requires_shipping";
/// The platform's fulfillment status of an order or of a line item (String, free text: Shopify's
/// `fulfilled`, `partial`, `unfulfilled`; a line's `fulfilled`, `pending`...).
pub const FULFILLMENT_STATUS: &str = "fulfillment_status";
pub const TEST: &str = "test";
/// Customer's region (state, province), when the export has one (String).
pub const REGION: &str = "region";

// line items
pub const SKU: &str = "sku";
pub const PRODUCT: &str = "product";
pub const QUANTITY: &str = "quantity";
pub const UNIT_PRICE: &str = "unit_price";

// shipments
pub const TRACKING_NUMBER: &str = "tracking_number";
/// Tracking numbers in the shipment's `tracking_number` cell (UInt32; a cell may hold several).
pub const TRACKING_COUNT: &str = "tracking_count";
pub const CARRIER: &str = "carrier";
pub const SERVICE: &str = "service";
pub const SHIPPED_AT: &str = "shipped_at";
pub const DELIVERED_AT: &str = "delivered_at";
pub const ESTIMATED_DELIVERY_AT: &str = "estimated_delivery_at";

// tickets
pub const TICKET_ID: &str = "ticket_id";
pub const CREATED_AT: &str = "created_at";
pub const FIRST_RESPONSE_AT: &str = "first_response_at";
pub const SOLVED_AT: &str = "solved_at";
pub const CHANNEL: &str = "channel";
pub const SUBJECT: &str = "subject";
pub const BODY: &str = "body";
pub const CSAT: &str = "csat";

// reviews
pub const SCORE: &str = "score";

// customers
pub const CUSTOMER_KEY: &str = "customer_key";

// payments (Olist)
pub const PAYMENT_VALUE: &str = "payment_value";

// Promise columns derived from a promise-like source column (see `ingest::value::Promise`).
/// Suffix of the UTC deadline column (Datetime ms UTC): for a date promise the start of the next
/// local day, for an instant promise the instant itself.
pub const DEADLINE_SUFFIX: &str = "_deadline";
/// Suffix of the flag column (Boolean): true for a date promise.
pub const IS_DATE_SUFFIX: &str = "_is_date";
/// Suffix of the promised calendar date as written (Date), for date promises.
pub const DATE_SUFFIX: &str = "_date";

// journey (SPEC section 2)
pub const CANCELLED: &str = "cancelled";
pub const STOCKOUT: &str = "stockout";
pub const ORDER_SEQ: &str = "order_seq";
pub const N_SHIPMENTS: &str = "n_shipments";
pub const N_TICKETS: &str = "n_tickets";
pub const N_WISMO_TICKETS: &str = "n_wismo_tickets";
pub const REVIEW_SCORE: &str = "review_score";
pub const REVIEW_AT: &str = "review_at";
pub const STAGE: &str = "stage";
/// Known delivered (Boolean): a delivery time, or a status that says delivered without one (see
/// `journey::DELIVERED_STATUS_PATTERN`).
pub const DELIVERED: &str = "delivered";
pub const PROMISE_DEADLINE: &str = "promise_deadline";
pub const PROMISE_IS_DATE: &str = "promise_is_date";
pub const PROMISED_DATE: &str = "promised_date";
pub const PAYMENT_WAIT_H: &str = "payment_wait_h";
pub const FULFILLMENT_WAIT_H: &str = "fulfillment_wait_h";
pub const TRANSIT_TIME_H: &str = "transit_time_h";
pub const CLICK_TO_DOOR_H: &str = "click_to_door_h";
pub const OPEN_AGE_H: &str = "open_age_h";
/// When the order was completely fulfilled (Datetime ms UTC).
pub const FULFILLED_COMPLETE_AT: &str = "fulfilled_complete_at";
pub const COMPLETE_FULFILLMENT_WAIT_H: &str = "complete_fulfillment_wait_h";
/// Quantity of shippable line items not fulfilled (UInt32; null when unknown).
pub const UNSHIPPED_ITEMS: &str = "unshipped_items";
/// Physical, not cancelled, and not shipped or known to be partly shipped (Boolean).
pub const IN_BACKLOG: &str = "in_backlog";
pub const LATE: &str = "late";
pub const DAYS_LATE: &str = "days_late";
pub const OVERDUE: &str = "overdue";
pub const LANE: &str = "lane";
/// `express` or `standard`, from the shipping method (String).
pub const SHIPPING_TIER: &str = "shipping_tier";
pub const NET_REVENUE: &str = "net_revenue";
