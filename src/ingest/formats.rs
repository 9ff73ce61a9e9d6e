//! The source formats snagscan recognises, as data: for each, the table kind it yields, the
//! header(s) that name each canonical column, and the value type of that column.
//!
//! Detection (SPEC section 1) is by header only: [`detect`] scores every format by how many of
//! its columns the header holds and takes the best; file names play no part.

use polars::prelude::{self as pl, DataType, LazyFrame, RoundMode, TimeUnit};

use crate::schema::{self as s, TableKind};

/// How a column's cells are parsed (see `ingest::value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Identifier, kept as text.
    Id,
    /// Free text.
    Text,
    /// Timestamp -> Datetime(ms, UTC).
    Timestamp,
    /// Promise (date or instant) -> `{name}_deadline`, `{name}_is_date`, `{name}_date`.
    Promise,
    /// Money -> Float64 in the row's currency.
    Money,
    /// Number -> Float64.
    Number,
    /// A review's score -> Float64, on the 1-5 scale (canonical and Olist reviews); a value
    /// outside it (a 0, a 6) is refused per cell, nulled and counted.
    ReviewScore,
    /// Boolean.
    Bool,
    /// Customer satisfaction of one ticket -> Float64: 1 satisfied, 0 not (Zendesk `Good`/`Bad`,
    /// a 1-5 survey score of 4 or 5 is satisfied); `Offered`/`Unoffered` are null.
    Satisfaction,
}

/// One canonical column of a format.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Canonical name (`schema`).
    pub canonical: &'static str,
    /// Header names that hold it in this format, compared after [`normalise_header`].
    pub headers: &'static [&'static str],
    pub ty: ValueType,
    /// A required column must be in the header, and a row without a value is dropped (counted).
    pub required: bool,
    /// A required column whose empty cell keeps its row, the value null and the row counted as
    /// a warning: a ticket's `created_at` (the ticket is something the user gave; its time is
    /// unknown, as that of a ticket whose time is unparseable).
    pub empty_kept: bool,
}

/// A recognised source format for one table kind.
#[derive(Debug)]
pub struct FormatSpec {
    /// Format family shown to the user: `canonical`, `olist`, ...
    pub format: &'static str,
    pub kind: TableKind,
    pub columns: &'static [ColumnSpec],
    /// Canonical columns whose absence is filled with a constant (e.g. Olist items: quantity 1).
    pub defaults: &'static [(&'static str, f64)],
    /// Rows sharing this canonical column's value are one record (Shopify: a line-item row per
    /// item, order fields only on one, usually the first). Before anything else, an empty cell
    /// is filled from the record's full row (its first row with every required column filled,
    /// wherever it is; else its first row); after parsing the rows are folded into one
    /// (booleans: any true).
    pub group_by: Option<&'static str>,
    /// Further tables read from the same file (Shopify orders -> line items). Each is emitted
    /// only when the header holds its required columns.
    pub also: &'static [&'static FormatSpec],
    /// Format-specific derivations run on the typed frame before it is reduced to the canonical
    /// columns (e.g. Zendesk's "first reply time in minutes" -> `first_response_at`).
    pub derive: Option<fn(LazyFrame) -> LazyFrame>,
}

impl FormatSpec {
    /// A spec with no grouping, no extra tables and no derivation.
    const fn plain(
        format: &'static str,
        kind: TableKind,
        columns: &'static [ColumnSpec],
    ) -> FormatSpec {
        FormatSpec {
            format,
            kind,
            columns,
            defaults: &[],
            group_by: None,
            also: &[],
            derive: None,
        }
    }
}

/// Where a canonical column's cells come from in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The header cell at this position.
    Header(usize),
    /// The record's line number (`"@line"` in a `[[mapping]]`): a synthetic identifier for
    /// files that have none (CDNOW). Parquet: row index + 2.
    Line,
    /// The same value in every row (`constants` in a `[[mapping]]`).
    Constant(String),
}

impl Source {
    /// The header position, for sources read from the file.
    pub fn position(&self) -> Option<usize> {
        match self {
            Source::Header(p) => Some(*p),
            _ => None,
        }
    }
}

const fn col(
    canonical: &'static str,
    headers: &'static [&'static str],
    ty: ValueType,
) -> ColumnSpec {
    ColumnSpec {
        canonical,
        headers,
        ty,
        required: false,
        empty_kept: false,
    }
}

const fn req(
    canonical: &'static str,
    headers: &'static [&'static str],
    ty: ValueType,
) -> ColumnSpec {
    ColumnSpec {
        canonical,
        headers,
        ty,
        required: true,
        empty_kept: false,
    }
}

/// A required column whose empty cell keeps the row (see [`ColumnSpec::empty_kept`]).
const fn req_kept(
    canonical: &'static str,
    headers: &'static [&'static str],
    ty: ValueType,
) -> ColumnSpec {
    ColumnSpec {
        empty_kept: true,
        ..req(canonical, headers, ty)
    }
}

use ValueType::{Bool, Id, Money, Number, Promise, ReviewScore, Satisfaction, Text, Timestamp};

// Optional order columns under their canonical names, shared by the canonical orders format and
// by the WooCommerce and generic formats for the columns they have no header of their own for:
// a `tags` column with `test`, or a `cancelled_at`, in such an export means what it means in a
// canonical file, and was ignored silently.
const ORDER_PAID_AT: ColumnSpec = col(s::PAID_AT, &["paid_at"], Timestamp);
const ORDER_FULFILLED_AT: ColumnSpec = col(s::FULFILLED_AT, &["fulfilled_at"], Timestamp);
const ORDER_DELIVERED_AT: ColumnSpec = col(s::DELIVERED_AT, &["delivered_at"], Timestamp);
// The US spelling (`canceled_at`) as many tools write it, beside the British one.
const ORDER_CANCELLED_AT: ColumnSpec =
    col(s::CANCELLED_AT, &["cancelled_at", "canceled_at"], Timestamp);
const ORDER_CANCEL_REASON: ColumnSpec = col(
    s::CANCEL_REASON,
    &["cancel_reason", "cancellation_reason", "cancelation_reason"],
    Text,
);
const ORDER_PROMISED_BY: ColumnSpec = col(s::PROMISED_BY, &["promised_by"], Promise);
const ORDER_RISK_LEVEL: ColumnSpec = col(s::RISK_LEVEL, &["risk_level"], Text);
const ORDER_TAGS: ColumnSpec = col(s::TAGS, &["tags"], Text);
const ORDER_REQUIRES_SHIPPING: ColumnSpec = col(s::REQUIRES_SHIPPING, &["requires_shipping"], Bool);
const ORDER_FULFILLMENT_STATUS: ColumnSpec =
    col(s::FULFILLMENT_STATUS, &["fulfillment_status"], Text);
const ORDER_TEST: ColumnSpec = col(s::TEST, &["test"], Bool);
const ORDER_REGION: ColumnSpec = col(s::REGION, &["region"], Text);

/// The canonical orders table; every orders format is normalised to these columns.
pub const CANONICAL_ORDERS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Orders,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        col(s::CUSTOMER_ID, &["customer_id"], Id),
        col(s::EMAIL, &["email"], Text),
        req(s::PLACED_AT, &["placed_at"], Timestamp),
        ORDER_PAID_AT,
        ORDER_FULFILLED_AT,
        ORDER_DELIVERED_AT,
        ORDER_CANCELLED_AT,
        col(s::STATUS, &["status"], Text),
        ORDER_CANCEL_REASON,
        col(s::TOTAL, &["total"], Money),
        col(s::REFUNDED, &["refunded"], Money),
        col(s::CURRENCY, &["currency"], Text),
        col(s::SHIPPING_METHOD, &["shipping_method"], Text),
        ORDER_PROMISED_BY,
        ORDER_RISK_LEVEL,
        ORDER_TAGS,
        ORDER_REQUIRES_SHIPPING,
        ORDER_FULFILLMENT_STATUS,
        ORDER_TEST,
        ORDER_REGION,
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

pub const CANONICAL_LINE_ITEMS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::LineItems,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        col(s::SKU, &["sku"], Id),
        col(s::PRODUCT, &["product"], Text),
        req(s::QUANTITY, &["quantity"], Number),
        col(s::UNIT_PRICE, &["unit_price"], Money),
        col(s::REQUIRES_SHIPPING, &["requires_shipping"], Bool),
        col(s::FULFILLMENT_STATUS, &["fulfillment_status"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

pub const CANONICAL_SHIPMENTS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Shipments,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        col(s::TRACKING_NUMBER, &["tracking_number"], Text),
        col(s::CARRIER, &["carrier"], Text),
        col(s::SERVICE, &["service"], Text),
        col(s::SHIPPED_AT, &["shipped_at"], Timestamp),
        col(s::DELIVERED_AT, &["delivered_at"], Timestamp),
        col(s::STATUS, &["status"], Text),
        col(
            s::ESTIMATED_DELIVERY_AT,
            &["estimated_delivery_at"],
            Promise,
        ),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

pub const CANONICAL_TICKETS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Tickets,
    columns: &[
        req(s::TICKET_ID, &["ticket_id"], Id),
        req_kept(s::CREATED_AT, &["created_at"], Timestamp),
        col(s::FIRST_RESPONSE_AT, &["first_response_at"], Timestamp),
        col(s::SOLVED_AT, &["solved_at"], Timestamp),
        col(s::CHANNEL, &["channel"], Text),
        col(s::SUBJECT, &["subject"], Text),
        col(s::BODY, &["body"], Text),
        col(s::TAGS, &["tags"], Text),
        col(s::EMAIL, &["email"], Text),
        col(s::ORDER_ID, &["order_id"], Id),
        col(s::CSAT, &["csat"], Satisfaction),
        col(s::STATUS, &["status"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

pub const CANONICAL_REVIEWS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Reviews,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        req(
            s::SCORE,
            &["score", "rating", "stars", "review_score", "review_rating"],
            ReviewScore,
        ),
        // A review app's export (Yotpo-style `Date`, Judge.me's `review_date`).
        col(
            s::CREATED_AT,
            &["created_at", "review_date", "date"],
            Timestamp,
        ),
        // The reviewer, for a review without an order id (see `ingest::link_reviews_by_email`).
        col(s::EMAIL, &["email", "reviewer_email"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

pub const CANONICAL_CUSTOMERS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Customers,
    columns: &[
        req(s::CUSTOMER_ID, &["customer_id"], Id),
        col(s::CUSTOMER_KEY, &["customer_key"], Id),
        col(s::EMAIL, &["email"], Text),
        col(s::REGION, &["region"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

/// Olist public e-commerce dataset, `olist_orders_dataset.csv`. The carrier hand-off is the
/// fulfillment, the customer delivery date the delivery, the estimate a date promise.
pub const OLIST_ORDERS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::Orders,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        req(s::CUSTOMER_ID, &["customer_id"], Id),
        req(s::STATUS, &["order_status"], Text),
        req(s::PLACED_AT, &["order_purchase_timestamp"], Timestamp),
        col(s::PAID_AT, &["order_approved_at"], Timestamp),
        col(
            s::FULFILLED_AT,
            &["order_delivered_carrier_date"],
            Timestamp,
        ),
        col(
            s::DELIVERED_AT,
            &["order_delivered_customer_date"],
            Timestamp,
        ),
        col(s::PROMISED_BY, &["order_estimated_delivery_date"], Promise),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

/// `olist_order_items_dataset.csv`: one row per unit.
pub const OLIST_ITEMS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::LineItems,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        req("order_item_id", &["order_item_id"], Id),
        col(s::SKU, &["product_id"], Id),
        col("seller_id", &["seller_id"], Id),
        col(s::UNIT_PRICE, &["price"], Money),
    ],
    defaults: &[(s::QUANTITY, 1.0)],
    group_by: None,
    also: &[],
    derive: None,
};

/// `olist_customers_dataset.csv`: per-order customer id -> the person (`customer_unique_id`).
pub const OLIST_CUSTOMERS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::Customers,
    columns: &[
        req(s::CUSTOMER_ID, &["customer_id"], Id),
        req(s::CUSTOMER_KEY, &["customer_unique_id"], Id),
        col(s::REGION, &["customer_state"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

/// `olist_order_reviews_dataset.csv`.
pub const OLIST_REVIEWS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::Reviews,
    columns: &[
        req("review_id", &["review_id"], Id),
        req(s::ORDER_ID, &["order_id"], Id),
        req(s::SCORE, &["review_score"], ReviewScore),
        col(s::CREATED_AT, &["review_answer_timestamp"], Timestamp),
        // Required, so that another review export with a review id (a review app's `Review ID`,
        // `Order ID`, `Review Score`) is not taken for Olist's: it is read as canonical.
        req("review_creation_date", &["review_creation_date"], Timestamp),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

/// Judge.me's review export (`title, body, rating, review_date, source, curated,
/// reviewer_name, reviewer_email, product_id, product_handle, ...`): no order id, so each review
/// is linked by its reviewer's e-mail to their latest order placed before it (see
/// `ingest::link_reviews_by_email`).
pub const JUDGEME_REVIEWS: FormatSpec = FormatSpec::plain(
    "judgeme",
    TableKind::Reviews,
    &[
        req(s::EMAIL, &["reviewer_email"], Text),
        req(s::SCORE, &["rating"], ReviewScore),
        req(s::CREATED_AT, &["review_date"], Timestamp),
    ],
);

/// `olist_order_payments_dataset.csv`: summed per order into `orders.total`.
pub const OLIST_PAYMENTS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::Payments,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        req("payment_sequential", &["payment_sequential"], Id),
        req(s::PAYMENT_VALUE, &["payment_value"], Money),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: None,
};

/// Shopify admin "Export orders" CSV (Orders > Export, "CSV for Excel, Numbers, or other
/// spreadsheet programs"): one row per line item; order fields only on the first row of each
/// `Name`. Columns as documented in Shopify's help centre ("Exporting orders") and as found in
/// real exports (see docs/formats.md).
pub const SHOPIFY_ORDERS: FormatSpec = FormatSpec {
    format: "shopify",
    kind: TableKind::Orders,
    columns: &[
        req(s::ORDER_ID, &["Name"], Id),
        col(s::EMAIL, &["Email"], Text),
        req(s::PLACED_AT, &["Created at"], Timestamp),
        col(s::PAID_AT, &["Paid at"], Timestamp),
        col(s::FULFILLED_AT, &["Fulfilled at"], Timestamp),
        col(s::CANCELLED_AT, &["Cancelled at"], Timestamp),
        col(s::STATUS, &["Financial Status"], Text),
        col(s::FULFILLMENT_STATUS, &["Fulfillment Status"], Text),
        col(s::TOTAL, &["Total"], Money),
        col(s::REFUNDED, &["Refunded Amount"], Money),
        col(s::CURRENCY, &["Currency"], Text),
        col(s::SHIPPING_METHOD, &["Shipping Method"], Text),
        col(s::RISK_LEVEL, &["Risk Level"], Text),
        col(s::TAGS, &["Tags"], Text),
        col(s::REQUIRES_SHIPPING, &["Lineitem requires shipping"], Bool),
        col(
            s::REGION,
            &[
                "Shipping Province",
                "Shipping Province Name",
                "Billing Province",
            ],
            Text,
        ),
        col("shopify_id", &["Id"], Id),
    ],
    defaults: &[],
    group_by: Some(s::ORDER_ID),
    also: &[&SHOPIFY_LINE_ITEMS],
    derive: None,
};

/// The line items of a Shopify orders export (`Lineitem price` is a unit price).
pub const SHOPIFY_LINE_ITEMS: FormatSpec = FormatSpec::plain(
    "shopify",
    TableKind::LineItems,
    &[
        req(s::ORDER_ID, &["Name"], Id),
        col(s::SKU, &["Lineitem sku"], Id),
        col(s::PRODUCT, &["Lineitem name"], Text),
        req(s::QUANTITY, &["Lineitem quantity"], Number),
        col(s::UNIT_PRICE, &["Lineitem price"], Money),
        col(s::REQUIRES_SHIPPING, &["Lineitem requires shipping"], Bool),
        col(
            s::FULFILLMENT_STATUS,
            &["Lineitem fulfillment status"],
            Text,
        ),
    ],
);

/// WooCommerce order exports: the column names of the WooCommerce Customer/Order/Coupon CSV
/// Import Suite export (`order_id, order_date, status, customer_id, billing_email, order_total,
/// ...`), of "Advanced Order Export For WooCommerce" (`Order ID`, `Order Date`, ...) and of the
/// REST API order object (`date_created`, `date_paid`, `date_completed`). See docs/formats.md.
/// `customer_id` 0 is a guest (a placeholder, never a key). The canonical order columns the
/// plugins have no header for (`cancelled_at`, `cancel_reason`, `promised_by`, `tags`, `test`,
/// ...) are read under their canonical names.
pub const WOO_ORDERS: FormatSpec = FormatSpec {
    derive: Some(woo_status),
    ..FormatSpec::plain("woocommerce", TableKind::Orders, WOO_ORDER_COLUMNS)
};

/// WooCommerce's order statuses, read for what they say: `pending` ("Pending payment": the
/// customer has not paid, and an unpaid order is never shipped) as its status key
/// `wc-pending`, which [`crate::journey::AWAITING_PAYMENT_STATUS_PATTERN`] reads (the bare word
/// is WooCommerce's alone: Shopify's financial status `pending` is a cash-on-delivery order
/// still to ship); and `completed` / `wc-completed` ("order fulfilled and complete") as the
/// fulfillment status `fulfilled` when the file gives none, so that a completed order without a
/// completion date is shipped, not in the backlog. Any case, trimmed; every other status as
/// written.
fn woo_status(mut lf: LazyFrame) -> LazyFrame {
    let Ok(schema) = lf.collect_schema() else {
        return lf;
    };
    if !schema.contains(s::STATUS) {
        return lf;
    }
    let status = pl::col(s::STATUS);
    let word = status
        .clone()
        .str()
        .strip_chars(pl::lit(pl::Null {}))
        .str()
        .to_lowercase();
    let completed = pl::when(
        word.clone()
            .eq(pl::lit("completed"))
            .or(word.clone().eq(pl::lit("wc-completed"))),
    )
    .then(pl::lit("fulfilled"))
    .otherwise(pl::lit(pl::Null {}).cast(DataType::String));
    let fulfillment = if schema.contains(s::FULFILLMENT_STATUS) {
        pl::coalesce(&[pl::col(s::FULFILLMENT_STATUS), completed])
    } else {
        completed
    };
    lf.with_columns([
        pl::when(word.eq(pl::lit("pending")))
            .then(pl::lit("wc-pending"))
            .otherwise(status)
            .alias(s::STATUS),
        fulfillment.alias(s::FULFILLMENT_STATUS),
    ])
}

/// [`WOO_ORDERS`] for an export with one row per product ("Advanced Order Export For
/// WooCommerce" writes `SKU`, `Item Name` and `Quantity` beside the order's columns, repeated on
/// each of the order's rows; the Customer/Order CSV Export's "one row per item" layout
/// `item_sku`, `item_name`, `item_quantity`): the rows of an order are one order, as Shopify's
/// are, and its products are its line items. Taken instead of [`WOO_ORDERS`] when the header
/// has a quantity column and a SKU or product name column (see [`per_item`]).
pub const WOO_ORDERS_PER_ITEM: FormatSpec = FormatSpec {
    format: "woocommerce",
    kind: TableKind::Orders,
    columns: WOO_ORDER_COLUMNS,
    defaults: &[],
    group_by: Some(s::ORDER_ID),
    also: &[&WOO_LINE_ITEMS],
    derive: Some(woo_status),
};

/// The products of a WooCommerce export with one row per product (see [`WOO_ORDERS_PER_ITEM`]).
/// No unit price is read: the plugins' item amounts are line totals in some layouts and unit
/// costs in others.
pub const WOO_LINE_ITEMS: FormatSpec = FormatSpec::plain(
    "woocommerce",
    TableKind::LineItems,
    &[
        req(s::ORDER_ID, WOO_ORDER_ID_NAMES, Id),
        col(s::SKU, &["SKU", "item_sku", "Item SKU", "Product SKU"], Id),
        col(
            s::PRODUCT,
            &["Item Name", "item_name", "Product Name"],
            Text,
        ),
        req(
            s::QUANTITY,
            &["Quantity", "item_quantity", "Quantity (- Refund)", "Qty"],
            Number,
        ),
    ],
);

/// The variant of a recognised format for a file whose header shows one row per line item
/// (only WooCommerce has one: [`WOO_ORDERS_PER_ITEM`]), when the header holds its line items'
/// required columns.
pub fn per_item(spec: &'static FormatSpec, headers: &[String]) -> &'static FormatSpec {
    let is_woo_orders = (spec.format, spec.kind, spec.group_by)
        == (WOO_ORDERS.format, WOO_ORDERS.kind, WOO_ORDERS.group_by);
    if !is_woo_orders {
        return spec;
    }
    let normalised: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    // A quantity alone can be an order's item count: a product's rows also name it.
    let names_products = |positions: &[Option<Source>]| {
        WOO_LINE_ITEMS
            .columns
            .iter()
            .zip(positions)
            .any(|(c, p)| [s::SKU, s::PRODUCT].contains(&c.canonical) && p.is_some())
    };
    match complete_positions(&WOO_LINE_ITEMS, &normalised) {
        Some(positions) if names_products(&positions) => &WOO_ORDERS_PER_ITEM,
        _ => spec,
    }
}

/// [`positions_of`], when the header holds every required column of `spec`.
pub fn complete_positions(spec: &FormatSpec, normalised: &[String]) -> Option<Vec<Option<Source>>> {
    let positions = positions_of(spec, normalised);
    spec.columns
        .iter()
        .zip(&positions)
        .all(|(c, p)| !c.required || p.is_some())
        .then_some(positions)
}

/// WooCommerce's order id headers, the customer-facing number first: tickets, trackers
/// (AfterShip's `Order Number`) and customers cite it, while `order_id` is WooCommerce's post
/// id, the same number unless a sequential-numbering plugin is installed.
const WOO_ORDER_ID_NAMES: &[&str] = &["order_number", "Order Number", "order_id", "Order ID"];

const WOO_ORDER_COLUMNS: &[ColumnSpec] = &[
    req(s::ORDER_ID, WOO_ORDER_ID_NAMES, Id),
    req(
        s::PLACED_AT,
        &["order_date", "Order Date", "date_created", "Date Created"],
        Timestamp,
    ),
    col(
        s::PAID_AT,
        &["paid_date", "Paid Date", "date_paid"],
        Timestamp,
    ),
    col(
        s::FULFILLED_AT,
        &["completed_date", "Completed Date", "date_completed"],
        Timestamp,
    ),
    col(s::STATUS, &["order_status", "status", "Order Status"], Text),
    col(
        s::CUSTOMER_ID,
        &["customer_id", "Customer User ID", "customer_user"],
        Id,
    ),
    col(
        s::EMAIL,
        &[
            "billing_email",
            "Billing Email",
            "Email (Billing)",
            "Customer Email",
        ],
        Text,
    ),
    col(
        s::TOTAL,
        &["order_total", "Order Total Amount", "Order Total", "total"],
        Money,
    ),
    col(
        s::REFUNDED,
        &["refunded_total", "Order Refund Amount", "Refunded Total"],
        Money,
    ),
    col(
        s::CURRENCY,
        &["order_currency", "Order Currency", "currency"],
        Text,
    ),
    col(
        s::SHIPPING_METHOD,
        &[
            "shipping_method",
            "Shipping Method Title",
            "Shipping Method",
        ],
        Text,
    ),
    col(
        s::REGION,
        &[
            "shipping_state",
            "Shipping State",
            "State Code (Shipping)",
            "billing_state",
            "Billing State",
            "State Code (Billing)",
        ],
        Text,
    ),
    // Canonical names of the columns the plugins have no header of their own for.
    ORDER_DELIVERED_AT,
    ORDER_CANCELLED_AT,
    ORDER_CANCEL_REASON,
    ORDER_PROMISED_BY,
    ORDER_RISK_LEVEL,
    ORDER_TAGS,
    ORDER_REQUIRES_SHIPPING,
    ORDER_FULFILLMENT_STATUS,
    ORDER_TEST,
];

/// A generic orders CSV with common column names (`order_id, created_at, customer_email,
/// order_total, currency`), as spreadsheets and small platforms write them; every other
/// canonical order column (`paid_at`, `cancelled_at`, `tags`, `test`, ...) under its canonical
/// name.
pub const GENERIC_ORDERS: FormatSpec = FormatSpec::plain(
    "generic",
    TableKind::Orders,
    &[
        req(
            s::ORDER_ID,
            &["order_id", "order_number", "order_no", "order", "Order #"],
            Id,
        ),
        req(
            s::PLACED_AT,
            &[
                "created_at",
                "order_date",
                "ordered_at",
                "purchase_date",
                "date",
            ],
            Timestamp,
        ),
        col(s::CUSTOMER_ID, &["customer_id", "customer"], Id),
        col(s::EMAIL, &["customer_email", "email", "buyer_email"], Text),
        col(s::STATUS, &["order_status", "status"], Text),
        col(
            s::TOTAL,
            &["order_total", "total", "amount", "grand_total"],
            Money,
        ),
        col(s::REFUNDED, &["refunded", "refund_amount"], Money),
        col(s::CURRENCY, &["currency", "currency_code"], Text),
        col(s::SHIPPING_METHOD, &["shipping_method"], Text),
        // The other optional columns, under their canonical names.
        ORDER_PAID_AT,
        ORDER_FULFILLED_AT,
        ORDER_DELIVERED_AT,
        ORDER_CANCELLED_AT,
        ORDER_CANCEL_REASON,
        ORDER_PROMISED_BY,
        ORDER_RISK_LEVEL,
        ORDER_TAGS,
        ORDER_REQUIRES_SHIPPING,
        ORDER_FULFILLMENT_STATUS,
        ORDER_TEST,
        ORDER_REGION,
    ],
);

/// AfterShip-style tracking export (Shipments page > Export). Names follow AfterShip's
/// shipment CSV export and tracking object (`Tracking Number`, `Courier`, `Order Number`/`Order
/// ID`, `Shipment Pickup Date`, `Delivered Date`, `Expected Delivery`...); see docs/formats.md.
pub const AFTERSHIP_SHIPMENTS: FormatSpec = FormatSpec::plain(
    "aftership",
    TableKind::Shipments,
    &[
        req(
            s::ORDER_ID,
            &["Order Number", "Order ID", "order_number", "order_id"],
            Id,
        ),
        col(
            s::TRACKING_NUMBER,
            &["Tracking Number", "tracking_number"],
            Text,
        ),
        col(
            s::CARRIER,
            &["Courier", "Courier Name", "Slug", "courier"],
            Text,
        ),
        col(s::SERVICE, &["Service Type", "Shipment Type"], Text),
        col(
            s::SHIPPED_AT,
            &[
                "Shipped At",
                "Shipment Pickup Date",
                "Pickup Date",
                "Shipped Date",
            ],
            Timestamp,
        ),
        col(
            s::DELIVERED_AT,
            &[
                "Delivered At",
                "Delivered Date",
                "Shipment Delivery Date",
                "Delivery Date",
            ],
            Timestamp,
        ),
        col(s::STATUS, &["Status", "Tag", "Delivery Status"], Text),
        col(
            s::ESTIMATED_DELIVERY_AT,
            &[
                "Expected Delivery",
                "Courier Estimated Delivery Date",
                "Estimated Delivery Date",
                "Order Promised Delivery Date",
                "Promised Delivery Date",
            ],
            Promise,
        ),
    ],
);

/// ShipStation-style shipments export (Shipments > Export): `Order #`/`Order Number`, `Ship
/// Date`, `Carrier`, `Service`, `Tracking #`/`Tracking Number`; see docs/formats.md.
pub const SHIPSTATION_SHIPMENTS: FormatSpec = FormatSpec::plain(
    "shipstation",
    TableKind::Shipments,
    &[
        req(
            s::ORDER_ID,
            &["Order Number", "Order #", "Order - Number", "OrderNumber"],
            Id,
        ),
        col(
            s::TRACKING_NUMBER,
            &["Tracking Number", "Tracking #", "TrackingNumber"],
            Text,
        ),
        col(s::CARRIER, &["Carrier", "Carrier Code", "Provider"], Text),
        col(
            s::SERVICE,
            &["Service", "Service Code", "Shipping Service"],
            Text,
        ),
        col(
            s::SHIPPED_AT,
            &[
                "Ship Date",
                "Shipped Date",
                "Date - Shipped Date",
                "ShipDate",
            ],
            Timestamp,
        ),
        col(
            s::DELIVERED_AT,
            &["Delivery Date", "Delivered Date", "Delivered At"],
            Timestamp,
        ),
        col(s::STATUS, &["Status", "Shipment Status"], Text),
        col(
            s::ESTIMATED_DELIVERY_AT,
            &["Estimated Delivery Date", "Expected Delivery"],
            Promise,
        ),
        col(
            "shipment_id",
            &["Shipment Id", "Shipment ID", "ShipmentId"],
            Id,
        ),
    ],
);

/// Zendesk Support ticket CSV export (Admin Center > Reports > Export, and view exports):
/// `Id, Requester, Requester email, Subject, Tags, Status, Via, Created at, Solved at,
/// Satisfaction Score, First reply time in minutes, ...`; `Description` when present. See
/// docs/formats.md.
pub const ZENDESK_TICKETS: FormatSpec = FormatSpec {
    format: "zendesk",
    kind: TableKind::Tickets,
    columns: &[
        req(
            s::TICKET_ID,
            &["Id", "Ticket ID", "Ticket Id", "zendesk_id"],
            Id,
        ),
        req_kept(s::CREATED_AT, &["Created at"], Timestamp),
        col(s::FIRST_RESPONSE_AT, &["First reply at"], Timestamp),
        col(
            FIRST_REPLY_MINUTES,
            &["First reply time in minutes"],
            Number,
        ),
        col(s::SOLVED_AT, &["Solved at"], Timestamp),
        col(s::CHANNEL, &["Via", "Channel"], Text),
        col(s::SUBJECT, &["Subject"], Text),
        col(s::BODY, &["Description"], Text),
        col(s::TAGS, &["Tags"], Text),
        col(s::EMAIL, &["Requester email", "Requester Email"], Text),
        col(
            s::ORDER_ID,
            &[
                "Order number",
                "Order Number",
                "Order ID",
                "Order #",
                "Order",
                // A custom field as Zendesk's CSV export names it, with its type.
                "Order number [txt]",
                "Order number [int]",
                "Order ID [txt]",
                "Order ID [int]",
            ],
            Id,
        ),
        col(
            s::CSAT,
            &["Satisfaction Score", "Satisfaction"],
            Satisfaction,
        ),
        col(s::STATUS, &["Status"], Text),
    ],
    defaults: &[],
    group_by: None,
    also: &[],
    derive: Some(zendesk_first_reply),
};

/// Helper column: Zendesk's first reply time, minutes after creation.
const FIRST_REPLY_MINUTES: &str = "_first_reply_minutes";

/// `first_response_at` = `created_at` + "First reply time in minutes" when no instant is given.
fn zendesk_first_reply(lf: LazyFrame) -> LazyFrame {
    let offset = (pl::col(FIRST_REPLY_MINUTES) * pl::lit(60_000.0))
        .round(0, RoundMode::HalfToEven)
        .cast(DataType::Int64)
        .cast(DataType::Duration(TimeUnit::Milliseconds));
    lf.with_column(
        pl::coalesce(&[
            pl::col(s::FIRST_RESPONSE_AT),
            pl::col(s::CREATED_AT) + offset,
        ])
        .alias(s::FIRST_RESPONSE_AT),
    )
}

/// Gorgias ticket export: the names of Gorgias' ticket object (`id`, `channel`, `subject`,
/// `status`, `created_datetime`, `closed_datetime`, `customer.email`, `tags`,
/// `satisfaction_survey.score`) as CSV headers; see docs/formats.md.
pub const GORGIAS_TICKETS: FormatSpec = FormatSpec::plain(
    "gorgias",
    TableKind::Tickets,
    &[
        req(s::TICKET_ID, &["Ticket id", "Ticket ID", "ticket_id"], Id),
        req_kept(
            s::CREATED_AT,
            &[
                "Created datetime",
                "created_datetime",
                "Created date",
                "Created",
            ],
            Timestamp,
        ),
        col(
            s::FIRST_RESPONSE_AT,
            &["First response datetime", "First agent reply datetime"],
            Timestamp,
        ),
        col(
            s::SOLVED_AT,
            &[
                "Closed datetime",
                "closed_datetime",
                "Closed date",
                "Closed",
            ],
            Timestamp,
        ),
        col(s::CHANNEL, &["Channel", "channel"], Text),
        col(s::SUBJECT, &["Subject", "subject"], Text),
        col(s::BODY, &["Message", "First message", "Excerpt"], Text),
        col(s::TAGS, &["Tags", "tags"], Text),
        col(
            s::EMAIL,
            &["Customer email", "customer_email", "customer.email"],
            Text,
        ),
        col(s::ORDER_ID, &["Order number", "Order ID", "Order"], Id),
        col(
            s::CSAT,
            &[
                "Survey score",
                "Satisfaction survey score",
                "Satisfaction score",
            ],
            Satisfaction,
        ),
        col(s::STATUS, &["Status", "status"], Text),
    ],
);

/// A format as the reports name it beside a file it read: the platform (`Shopify`, `Olist`,
/// `WooCommerce`, `AfterShip`, `ShipStation`, `Zendesk`, `Gorgias`), `generic` (common names of
/// spreadsheets and small platforms) or `mapped` (a `[[mapping]]` of snagscan.toml). `None` for
/// snagscan's own columns (`canonical`): that says nothing the file's kind does not.
pub fn format_label(format: &str) -> Option<&str> {
    Some(match format {
        "canonical" => return None,
        "shopify" => "Shopify",
        "olist" => "Olist",
        "woocommerce" => "WooCommerce",
        "aftership" => "AfterShip",
        "shipstation" => "ShipStation",
        "zendesk" => "Zendesk",
        "gorgias" => "Gorgias",
        "judgeme" => "Judge.me",
        "mapping" => "mapped",
        other => other,
    })
}

/// Every format, most specific first (ties in [`detect`] go to the earlier one).
pub const FORMATS: &[&FormatSpec] = &[
    &OLIST_ORDERS,
    &OLIST_ITEMS,
    &OLIST_CUSTOMERS,
    &OLIST_REVIEWS,
    &OLIST_PAYMENTS,
    &CANONICAL_ORDERS,
    &CANONICAL_LINE_ITEMS,
    &CANONICAL_SHIPMENTS,
    &CANONICAL_TICKETS,
    &CANONICAL_REVIEWS,
    &CANONICAL_CUSTOMERS,
    &SHOPIFY_ORDERS,
    &WOO_ORDERS,
    &AFTERSHIP_SHIPMENTS,
    &SHIPSTATION_SHIPMENTS,
    &ZENDESK_TICKETS,
    &GORGIAS_TICKETS,
    &JUDGEME_REVIEWS,
    &GENERIC_ORDERS,
];

/// Every format, with the variants [`per_item`] takes for a file of one row per line item
/// (which [`detect`] never returns itself).
pub fn all_formats() -> impl Iterator<Item = &'static FormatSpec> {
    FORMATS.iter().copied().chain([&WOO_ORDERS_PER_ITEM])
}

/// Columns (format, canonical name) whose headers are different sources read in order of
/// preference, not other names of one value: a Shopify export holds `Billing Province`,
/// `Shipping Province` and `Shipping Province Name`, a WooCommerce export `billing_state` and
/// `shipping_state`, and the region is where the order ships, else the billing address. A file
/// holding several such headers is not warned about the ones not read.
const READ_IN_PREFERENCE: &[(&str, &str)] = &[("shopify", s::REGION), ("woocommerce", s::REGION)];

/// True when `spec` reads `canonical` from the first of several sources it may find (see
/// [`READ_IN_PREFERENCE`]) rather than from one value under several names.
pub fn reads_in_preference(spec: &FormatSpec, canonical: &str) -> bool {
    READ_IN_PREFERENCE
        .iter()
        .any(|&(format, c)| format == spec.format && c == canonical)
}

/// Lower-case, trimmed, spaces and dashes as underscores: `Created at` -> `created_at`.
pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// The outcome of matching one header against the formats.
#[derive(Debug)]
pub enum Detection {
    /// The best format, and for each of its columns where the cells come from (if anywhere).
    Recognised {
        spec: &'static FormatSpec,
        positions: Vec<Option<Source>>,
    },
    /// No format shares enough columns with the header.
    Unrecognised {
        reason: String,
        /// The format sharing the most columns with the header, if any shares one.
        nearest: Option<NearMiss>,
    },
}

/// The closest format to an unrecognised header, and what it lacks.
#[derive(Debug, Clone)]
pub struct NearMiss {
    pub format: &'static str,
    pub kind: TableKind,
    /// Header names (first alias) of its required columns that the file lacks.
    pub missing: Vec<String>,
}

/// How many more columns than the best candidate a format lacking its identifier must hold to
/// be taken instead (and refused for the missing identifier): an orders export that lost its
/// `order_id` still holds a dozen order columns, where the customers or tickets format its
/// e-mail or `id` column happens to fit holds two or three.
const NEAR_MISS_MARGIN: usize = 3;

/// Picks the format whose columns the header holds most of. A format needs at least two of its
/// columns present, one of them its first (identifier) column, to be a candidate; required
/// columns are checked later so that a near miss gets a "missing column" error, not a skip.
/// Ties go to the earlier format in [`FORMATS`]. A format without its identifier column that
/// holds at least [`NEAR_MISS_MARGIN`] more columns than the best candidate is taken instead,
/// so that the file is refused for its missing identifier rather than read as another kind of
/// table (an orders file without `order_id` read as customers). A format the file lacks a
/// required column of gives way to the canonical format of its kind when that holds as many of
/// the file's columns, or more headers spelt exactly as it spells them, so that the error names
/// the column the file's user expects (`order_id`, not Shopify's `Name`).
pub fn detect(headers: &[String]) -> Detection {
    detect_among(headers, FORMATS.iter().copied())
}

/// The kind of table a file's name says it holds (`reviews.csv`, `olist_order_items_dataset.csv`,
/// `tracking_export.csv`), the more specific word first: an order's items, reviews and
/// payments are named after the order too. `None` when the name says nothing.
pub fn kind_named(file: &str) -> Option<TableKind> {
    let name = file.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    [
        (&["review"][..], TableKind::Reviews),
        (&["ticket"], TableKind::Tickets),
        (&["line_item", "lineitem", "items"], TableKind::LineItems),
        (
            &["shipment", "tracking", "fulfillment", "fulfilment"],
            TableKind::Shipments,
        ),
        (&["payment", "transaction"], TableKind::Payments),
        (&["customer"], TableKind::Customers),
        (&["order"], TableKind::Orders),
    ]
    .into_iter()
    .find(|(words, _)| has(words))
    .map(|(_, kind)| kind)
}

/// [`detect`] for the file named `file`: when its name says what it holds ([`kind_named`]) and
/// its header fits a format of another kind best, the best format of the named kind is taken;
/// without one the file is not recognised (skipped, naming the nearest format of that kind),
/// rather than read as a table it is not: a reviews export with `order_id`, `created_at` and
/// `email` fits the generic orders format, and its rows would replace the real orders.
pub fn detect_file(headers: &[String], file: &str) -> Detection {
    let detection = detect(headers);
    let (Some(named), Detection::Recognised { spec, .. }) = (kind_named(file), &detection) else {
        return detection;
    };
    if spec.kind == named {
        return detection;
    }
    let fitted = format!("{} {}", spec.format, spec.kind);
    match detect_among(headers, FORMATS.iter().copied().filter(|f| f.kind == named)) {
        Detection::Recognised { spec, positions } => Detection::Recognised { spec, positions },
        Detection::Unrecognised { nearest, .. } => Detection::Unrecognised {
            reason: format!(
                "named like a {named} export, but its header fits {fitted}, not a {named} \
                 format; map it in snagscan.toml if it is one"
            ),
            nearest,
        },
    }
}

/// [`detect`] over `formats` only.
fn detect_among(
    headers: &[String],
    formats: impl Iterator<Item = &'static FormatSpec>,
) -> Detection {
    let normalised: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    let mut best: Option<(usize, &'static FormatSpec, Vec<Option<Source>>)> = None;
    let mut nearest: Option<(usize, &'static FormatSpec, Vec<Option<Source>>)> = None;
    let mut canonical: Vec<(usize, &'static FormatSpec, Vec<Option<Source>>)> = Vec::new();
    for spec in formats {
        let positions = positions_of(spec, &normalised);
        let hits = positions.iter().filter(|p| p.is_some()).count();
        let has_id = positions.first().is_some_and(|p| p.is_some());
        if spec.format == "canonical" {
            canonical.push((hits, spec, positions.clone()));
        }
        if hits >= 2 && has_id && best.as_ref().is_none_or(|(b, _, _)| hits > *b) {
            best = Some((hits, spec, positions.clone()));
        }
        if hits >= 1 && nearest.as_ref().is_none_or(|(b, _, _)| hits > *b) {
            nearest = Some((hits, spec, positions));
        }
    }
    match (&best, &nearest) {
        (Some((best_hits, _, _)), Some((near_hits, _, _)))
            if *near_hits >= best_hits + NEAR_MISS_MARGIN =>
        {
            best = nearest.clone();
        }
        // An orders export that lost its id column still holds several order columns: it is
        // refused for the missing id (an error), not skipped, which would drop its orders from
        // a run that has another orders file.
        (None, Some((near_hits, spec, _)))
            if spec.kind == TableKind::Orders && *near_hits >= NEAR_MISS_MARGIN =>
        {
            best = nearest.clone();
        }
        _ => {}
    }
    // A file refused for a column of another format is refused for the canonical format's
    // column instead when it looks at least as canonical: a canonical orders file without
    // `order_id` but with a `name` or an `id` (Shopify's order and row ids) is told it lacks
    // `order_id`, not Shopify's `Name` or `Created at`.
    if let Some((hits, spec, positions)) = &best {
        let refused = spec
            .columns
            .iter()
            .zip(positions)
            .any(|(c, p)| c.required && p.is_none());
        let instead = canonical.iter().find(|(c_hits, c_spec, _)| {
            c_spec.kind == spec.kind
                && (c_hits >= hits || spelt_as_in(c_spec, headers) > spelt_as_in(spec, headers))
        });
        if let Some(instead) = instead.filter(|_| refused && spec.format != "canonical") {
            best = Some(instead.clone());
        }
    }
    match best {
        Some((_, spec, positions)) => Detection::Recognised { spec, positions },
        None => Detection::Unrecognised {
            reason: format!(
                "header matches no known export (columns: {})",
                headers
                    .iter()
                    .take(6)
                    .map(|h| shown_header(h))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if headers.len() > 6 { ", ..." } else { "" }
            ),
            nearest: nearest.map(|(_, spec, positions)| NearMiss {
                format: spec.format,
                kind: spec.kind,
                missing: spec
                    .columns
                    .iter()
                    .zip(&positions)
                    .filter(|(c, p)| c.required && p.is_none())
                    .map(|(c, _)| c.headers[0].to_string())
                    .collect(),
            }),
        },
    }
}

/// How many columns of `spec` the header holds under one of its names spelt exactly as the
/// format spells it (`Created at` for Shopify, `placed_at` for the canonical format): which
/// export a file came from, where names compared case-insensitively (`email`, `Email`) do not
/// tell.
fn spelt_as_in(spec: &FormatSpec, headers: &[String]) -> usize {
    spec.columns
        .iter()
        .filter(|c| {
            c.headers
                .iter()
                .any(|h| headers.iter().any(|f| f.trim() == *h))
        })
        .count()
}

/// Where each column of `spec` is in a header (already normalised), by its header aliases.
pub fn positions_of(spec: &FormatSpec, normalised: &[String]) -> Vec<Option<Source>> {
    spec.columns
        .iter()
        .map(|c| {
            c.headers
                .iter()
                .find_map(|h| normalised.iter().position(|n| n == &normalise_header(h)))
                .map(Source::Header)
        })
        .collect()
}

/// The header to suggest for `column`, a required column of `spec` that `headers` lack, among
/// the headers not already read as a column of `positions`: one that another format of the same
/// kind reads as that canonical column and that shares a word of three letters or more with its
/// name here or its canonical name (`order_number` for a canonical file's `order_id`, `placed_at`
/// for a WooCommerce file's `order_date`; not Shopify's `Name`, which in another file is a
/// person's name), else [`closest_unused_header`].
pub fn suggest_missing(
    spec: &FormatSpec,
    column: &ColumnSpec,
    headers: &[String],
    positions: &[Option<Source>],
) -> Option<String> {
    let wanted = column.headers[0];
    let words = |h: &str| -> Vec<String> {
        normalise_header(h)
            .split('_')
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_string)
            .collect()
    };
    let ours: Vec<String> = words(wanted)
        .into_iter()
        .chain(words(column.canonical))
        .collect();
    let aliases: Vec<String> = FORMATS
        .iter()
        .filter(|f| f.kind == spec.kind)
        .flat_map(|f| f.columns.iter())
        .filter(|c| c.canonical == column.canonical)
        .flat_map(|c| c.headers.iter().map(|h| normalise_header(h)))
        .collect();
    unused_headers(headers, positions)
        .into_iter()
        .find(|h| {
            aliases.contains(&normalise_header(h)) && words(h).iter().any(|w| ours.contains(w))
        })
        .or_else(|| closest_unused_header(wanted, headers, positions))
}

/// The headers not read as a column of `positions`, in file order.
fn unused_headers(headers: &[String], positions: &[Option<Source>]) -> Vec<String> {
    headers
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !positions
                .iter()
                .any(|p| p.as_ref().and_then(Source::position) == Some(*i))
        })
        .map(|(_, h)| h.clone())
        .collect()
}

/// [`closest_header`] among the headers not already read as a column of `positions` (a file
/// without `placed_at` is not told to use its `paid_at`, which is read as the payment time).
pub fn closest_unused_header(
    wanted: &str,
    headers: &[String],
    positions: &[Option<Source>],
) -> Option<String> {
    closest_header(wanted, &unused_headers(headers, positions))
}

/// The header most like `wanted` (Jaro-Winkler >= 0.8 after normalising), for "did you mean".
pub fn closest_header(wanted: &str, headers: &[String]) -> Option<String> {
    let w = normalise_header(wanted);
    headers
        .iter()
        .map(|h| (strsim::jaro_winkler(&w, &normalise_header(h)), h))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h.clone())
}

/// A header as a message shows it: control characters (the NUL bytes of a binary file read as
/// text) as U+FFFD, which no terminal, Markdown or HTML report mistakes for anything, and at
/// most 40 characters.
fn shown_header(h: &str) -> String {
    let mut shown: String = h
        .chars()
        .take(40)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if h.chars().nth(40).is_some() {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every platform's format has its own label (a format added without one would be shown
    /// by its id, `woocommerce`); snagscan's own has none.
    #[test]
    fn every_platform_format_is_labelled() {
        for f in FORMATS {
            let want_id = ["generic"].contains(&f.format);
            match format_label(f.format) {
                None => assert_eq!(f.format, "canonical"),
                Some(label) => assert_eq!(label == f.format, want_id, "{}", f.format),
            }
        }
        assert_eq!(format_label("woocommerce"), Some("WooCommerce"));
        assert_eq!(format_label("mapping"), Some("mapped"));
    }

    fn headers(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    fn detected(s: &str) -> (&'static str, TableKind) {
        match detect(&headers(s)) {
            Detection::Recognised { spec, .. } => (spec.format, spec.kind),
            Detection::Unrecognised { reason, .. } => panic!("{reason}"),
        }
    }

    #[test]
    fn detects_by_header() {
        assert_eq!(
            detected(
                "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at"
            ),
            ("olist", TableKind::Orders)
        );
        assert_eq!(
            detected("order_id,placed_at,total"),
            ("canonical", TableKind::Orders)
        );
        assert_eq!(
            detected("order_id,sku,quantity"),
            ("canonical", TableKind::LineItems)
        );
        assert_eq!(
            detected("order_id,carrier,shipped_at,status"),
            ("canonical", TableKind::Shipments)
        );
        assert_eq!(
            detected("order_id,score,created_at"),
            ("canonical", TableKind::Reviews)
        );
        assert_eq!(
            detected("customer_id,customer_unique_id,customer_state"),
            ("olist", TableKind::Customers)
        );
        assert!(matches!(
            detect(&headers(
                "product_id,product_category_name,product_weight_g"
            )),
            Detection::Unrecognised { .. }
        ));
    }

    #[test]
    fn detects_platform_exports_by_header() {
        assert_eq!(
            detected("Name,Email,Financial Status,Paid at,Fulfilled at,Total,Created at,Lineitem quantity"),
            ("shopify", TableKind::Orders)
        );
        assert_eq!(
            detected("order_id,order_date,order_status,customer_id,billing_email,order_total"),
            ("woocommerce", TableKind::Orders)
        );
        assert_eq!(
            detected("order_id,created_at,customer_email,order_total,currency"),
            ("generic", TableKind::Orders)
        );
        assert_eq!(
            detected("Tracking Number,Courier,Order Number,Shipped At,Delivered At,Status"),
            ("aftership", TableKind::Shipments)
        );
        assert_eq!(
            detected("Order Number,Shipment Id,Ship Date,Carrier,Service,Tracking Number"),
            ("shipstation", TableKind::Shipments)
        );
        assert_eq!(
            detected("Id,Subject,Description,Status,Requester,Requester email,Created at,Tags"),
            ("zendesk", TableKind::Tickets)
        );
        assert_eq!(
            detected("Ticket id,Subject,Status,Channel,Customer email,Created datetime,Closed datetime,Tags,Survey score"),
            ("gorgias", TableKind::Tickets)
        );
        // Canonical files stay canonical even when a platform shares some names.
        assert_eq!(
            detected("ticket_id,created_at,subject,tags,status,channel"),
            ("canonical", TableKind::Tickets)
        );
        assert_eq!(
            detected("order_id,placed_at,status,customer_id,total,currency"),
            ("canonical", TableKind::Orders)
        );
    }

    #[test]
    fn unrecognised_headers_name_the_nearest_format() {
        match detect(&headers("Tracking Number,Courier")) {
            Detection::Unrecognised {
                nearest: Some(n), ..
            } => {
                assert_eq!((n.format, n.kind), ("aftership", TableKind::Shipments));
                assert_eq!(n.missing, vec!["Order Number".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn suggests_the_closest_header() {
        assert_eq!(
            closest_header("placed_at", &headers("order_id,placed,total")),
            Some("placed".into())
        );
        assert_eq!(
            closest_header("placed_at", &headers("order_id,total")),
            None
        );
        // paid_at is read as the payment time: no "did you mean" for placed_at.
        let h = headers("order_id,paid_at,total");
        let spec = FORMATS
            .iter()
            .find(|f| f.format == "canonical" && f.kind == TableKind::Orders)
            .unwrap();
        let positions = positions_of(spec, &h);
        assert_eq!(closest_header("placed_at", &h), Some("paid_at".into()));
        assert_eq!(closest_unused_header("placed_at", &h, &positions), None);
    }

    /// A missing required column is suggested a header another format of the kind reads as
    /// that column: `order_number` for canonical orders' `order_id`, where the closest name
    /// was `order_total`; `placed_at` for WooCommerce's `order_date`, where none was close.
    /// Shopify's `Name` is not offered for `order_id` (no word in common).
    #[test]
    fn a_missing_column_is_suggested_another_formats_name_for_it() {
        let suggest = |spec: &FormatSpec, header: &str| {
            let h = headers(header);
            let positions = positions_of(spec, &h);
            let (column, _) = spec
                .columns
                .iter()
                .zip(&positions)
                .find(|(c, p)| c.required && p.is_none())
                .unwrap();
            (
                suggest_missing(spec, column, &h, &positions),
                closest_unused_header(column.headers[0], &h, &positions),
            )
        };
        assert_eq!(
            suggest(
                &CANONICAL_ORDERS,
                "order_number,created_at,customer_email,order_total,paid_at,status"
            ),
            (Some("order_number".into()), Some("order_total".into()))
        );
        assert_eq!(
            suggest(&WOO_ORDERS, "order_number,placed_at,customer_email,total"),
            (Some("placed_at".into()), None)
        );
        assert_eq!(
            suggest(&CANONICAL_ORDERS, "name,email,placed_at,total"),
            (None, None)
        );
    }

    /// A file's name decides between the kinds its header could be: a reviews export (with a
    /// `rating`) is reviews, not generic orders; a shipments file that lost its order column
    /// and a Shopify transactions export are skipped, not read as tickets or orders; names
    /// agreeing with the header, or saying nothing, change nothing.
    #[test]
    fn a_file_name_keeps_a_table_from_being_read_as_another_kind() {
        let kind_of = |header: &str, file: &str| match detect_file(&headers(header), file) {
            Detection::Recognised { spec, .. } => Ok((spec.format, spec.kind)),
            Detection::Unrecognised { reason, nearest } => {
                Err((reason, nearest.map(|n| (n.format, n.missing))))
            }
        };
        let reviews = "order_id,rating,created_at,email";
        assert_eq!(
            kind_of(reviews, "reviews.csv"),
            Ok(("canonical", TableKind::Reviews))
        );
        let shipments = "Id,Tracking Number,Carrier,Status,Created at";
        assert_eq!(
            kind_of(shipments, "export.csv"),
            Ok(("zendesk", TableKind::Tickets))
        );
        let (reason, nearest) = kind_of(shipments, "shipments.csv").unwrap_err();
        assert!(
            reason
                .starts_with("named like a shipments export, but its header fits zendesk tickets"),
            "{reason}"
        );
        assert_eq!(nearest, Some(("canonical", vec!["order_id".to_string()])));
        let transactions = "Order,Name,Kind,Gateway,Created At,Status,Amount,Currency";
        assert!(kind_of(transactions, "transactions_export.csv").is_err());
        assert_eq!(
            kind_of(
                "review_id,order_id,review_score,review_comment_title,review_creation_date",
                "olist_order_reviews_dataset.csv"
            ),
            Ok(("olist", TableKind::Reviews))
        );
        assert_eq!(
            kind_named("olist_order_items_dataset.csv"),
            Some(TableKind::LineItems)
        );
        assert_eq!(kind_named("orders_export_1.csv"), Some(TableKind::Orders));
        assert_eq!(kind_named("bestellungen.csv"), None);
    }

    /// The WooCommerce and generic orders formats read every canonical order column, each
    /// once: from their own headers, else under the canonical name (and its other spellings).
    /// They read no `tags`, `test`, `cancelled_at`... before.
    #[test]
    fn woocommerce_and_generic_orders_read_every_canonical_column_once() {
        for spec in [&WOO_ORDERS, &GENERIC_ORDERS] {
            for c in CANONICAL_ORDERS.columns {
                let own: Vec<&ColumnSpec> = spec
                    .columns
                    .iter()
                    .filter(|o| o.canonical == c.canonical)
                    .collect();
                assert_eq!(own.len(), 1, "{} {}", spec.format, c.canonical);
            }
        }
        let read = |spec: &FormatSpec, header: &str, canonical: &str| {
            let h = headers(header);
            let positions = positions_of(spec, &h);
            spec.columns
                .iter()
                .zip(positions)
                .find(|(c, _)| c.canonical == canonical)
                .and_then(|(_, p)| p)
        };
        let woo = "order_id,order_date,billing_email,canceled_at,cancellation_reason,tags,test";
        assert_eq!(
            read(&WOO_ORDERS, woo, s::CANCELLED_AT),
            Some(Source::Header(3))
        );
        assert_eq!(
            read(&WOO_ORDERS, woo, s::CANCEL_REASON),
            Some(Source::Header(4))
        );
        assert_eq!(read(&WOO_ORDERS, woo, s::TEST), Some(Source::Header(6)));
        // Its own header for the payment time, not the canonical name.
        assert_eq!(read(&WOO_ORDERS, "order_id,paid_at", s::PAID_AT), None);
        let generic = "order_number,created_at,paid_at,fulfilled_at,promised_by,tags,region";
        assert_eq!(
            read(&GENERIC_ORDERS, generic, s::PAID_AT),
            Some(Source::Header(2))
        );
        assert_eq!(
            read(&GENERIC_ORDERS, generic, s::REGION),
            Some(Source::Header(6))
        );
        assert_eq!(detected(woo), ("woocommerce", TableKind::Orders));
        assert_eq!(detected(generic), ("generic", TableKind::Orders));
        // A canonical file holding every canonical name stays canonical (generic has all but
        // placed_at).
        let all: Vec<&str> = CANONICAL_ORDERS
            .columns
            .iter()
            .map(|c| c.headers[0])
            .collect();
        assert_eq!(detected(&all.join(",")), ("canonical", TableKind::Orders));
    }

    /// A file refused for a missing column is refused for the canonical format's column (the
    /// first it lacks, which the error names) when it
    /// holds as many canonical columns as the other format's, or more headers spelt as the
    /// canonical format spells them: a canonical orders file without `order_id` but with a
    /// customer's `name` (Shopify's order id) or a row `id` (Shopify's `Id`) was taken for a
    /// Shopify export lacking `Created at` or `Name`. Real platform exports that lack a column
    /// stay theirs.
    #[test]
    fn a_refused_file_that_looks_canonical_is_refused_for_the_canonical_column() {
        let refused_for = |header: &str| match detect(&headers(header)) {
            Detection::Recognised { spec, positions } => (
                spec.format,
                spec.columns
                    .iter()
                    .zip(&positions)
                    .find(|(c, p)| c.required && p.is_none())
                    .map(|(c, _)| c.headers[0]),
            ),
            Detection::Unrecognised { reason, .. } => panic!("{reason}"),
        };
        for header in [
            "customer_id,name,email,placed_at,paid_at,fulfilled_at,status,total,currency",
            "name,email,placed_at,total,currency",
            "id,email,paid_at,total,currency",
            "Customer ID,Email,Placed At,Paid At,Total,Currency,Name",
        ] {
            assert_eq!(
                refused_for(header),
                ("canonical", Some("order_id")),
                "{header}"
            );
        }
        assert_eq!(
            refused_for("Name,Email,Paid at,Total,Currency,Lineitem quantity"),
            ("shopify", Some("Created at"))
        );
        assert_eq!(
            refused_for("Email,Created at,Paid at,Total,Currency,Lineitem quantity"),
            ("shopify", Some("Name"))
        );
        assert_eq!(
            refused_for("order_number,placed_at,customer_email,total"),
            ("woocommerce", Some("order_date"))
        );
        assert_eq!(
            refused_for("order_no,email,status,total,currency"),
            ("generic", Some("created_at"))
        );
    }

    /// An orders header without its id column, which the customers (customer_id, email) or
    /// Zendesk tickets (id, status, tags) formats would take, is canonical orders lacking
    /// order_id; with two or three order columns only, the candidate with its id still wins.
    #[test]
    fn a_format_holding_far_more_columns_wins_without_its_id() {
        assert_eq!(
            detected("customer_id,email,placed_at,paid_at,status,total,currency,shipping_method"),
            ("canonical", TableKind::Orders)
        );
        assert_eq!(
            detected("id,customer_id,email,placed_at,paid_at,status,total,currency,tags"),
            ("canonical", TableKind::Orders)
        );
        assert_eq!(
            detected("customer_id,email,placed_at").1,
            TableKind::Customers
        );
    }
}
