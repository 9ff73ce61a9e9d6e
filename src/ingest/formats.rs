//! The source formats snagscan recognises, as data: for each, the table kind it yields, the
//! header(s) that name each canonical column, and the value type of that column.
//!
//! Detection (SPEC section 1) is by header only: [`detect`] scores every format by how many of
//! its columns the header holds and takes the best; file names play no part.

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
    /// Boolean.
    Bool,
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
    }
}

use ValueType::*;

/// The canonical orders table; every orders format is normalised to these columns.
pub const CANONICAL_ORDERS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Orders,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        col(s::CUSTOMER_ID, &["customer_id"], Id),
        col(s::EMAIL, &["email"], Text),
        req(s::PLACED_AT, &["placed_at"], Timestamp),
        col(s::PAID_AT, &["paid_at"], Timestamp),
        col(s::FULFILLED_AT, &["fulfilled_at"], Timestamp),
        col(s::DELIVERED_AT, &["delivered_at"], Timestamp),
        col(s::CANCELLED_AT, &["cancelled_at"], Timestamp),
        col(s::STATUS, &["status"], Text),
        col(s::CANCEL_REASON, &["cancel_reason"], Text),
        col(s::TOTAL, &["total"], Money),
        col(s::REFUNDED, &["refunded"], Money),
        col(s::CURRENCY, &["currency"], Text),
        col(s::SHIPPING_METHOD, &["shipping_method"], Text),
        col(s::PROMISED_BY, &["promised_by"], Promise),
        col(s::RISK_LEVEL, &["risk_level"], Text),
        col(s::TAGS, &["tags"], Text),
        col(s::REQUIRES_SHIPPING, &["requires_shipping"], Bool),
        col(s::TEST, &["test"], Bool),
        col(s::REGION, &["region"], Text),
    ],
    defaults: &[],
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
    ],
    defaults: &[],
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
};

pub const CANONICAL_TICKETS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Tickets,
    columns: &[
        req(s::TICKET_ID, &["ticket_id"], Id),
        req(s::CREATED_AT, &["created_at"], Timestamp),
        col(s::FIRST_RESPONSE_AT, &["first_response_at"], Timestamp),
        col(s::SOLVED_AT, &["solved_at"], Timestamp),
        col(s::CHANNEL, &["channel"], Text),
        col(s::SUBJECT, &["subject"], Text),
        col(s::BODY, &["body"], Text),
        col(s::TAGS, &["tags"], Text),
        col(s::EMAIL, &["email"], Text),
        col(s::ORDER_ID, &["order_id"], Id),
        col(s::CSAT, &["csat"], Number),
    ],
    defaults: &[],
};

pub const CANONICAL_REVIEWS: FormatSpec = FormatSpec {
    format: "canonical",
    kind: TableKind::Reviews,
    columns: &[
        req(s::ORDER_ID, &["order_id"], Id),
        req(s::SCORE, &["score"], Number),
        col(s::CREATED_AT, &["created_at"], Timestamp),
    ],
    defaults: &[],
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
};

/// `olist_order_reviews_dataset.csv`.
pub const OLIST_REVIEWS: FormatSpec = FormatSpec {
    format: "olist",
    kind: TableKind::Reviews,
    columns: &[
        req("review_id", &["review_id"], Id),
        req(s::ORDER_ID, &["order_id"], Id),
        req(s::SCORE, &["review_score"], Number),
        col(s::CREATED_AT, &["review_answer_timestamp"], Timestamp),
        col("review_creation_date", &["review_creation_date"], Timestamp),
    ],
    defaults: &[],
};

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
};

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
];

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
    /// The best format, and for each of its columns the header position holding it (if any).
    Recognised {
        spec: &'static FormatSpec,
        positions: Vec<Option<usize>>,
    },
    /// No format shares enough columns with the header.
    Unrecognised { reason: String },
}

/// Picks the format whose columns the header holds most of. A format needs at least two of its
/// columns present, one of them its first (identifier) column, to be a candidate; required
/// columns are checked later so that a near miss gets a "missing column" error, not a skip.
pub fn detect(headers: &[String]) -> Detection {
    let normalised: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    let mut best: Option<(usize, &'static FormatSpec, Vec<Option<usize>>)> = None;
    for spec in FORMATS {
        let positions = positions_of(spec, &normalised);
        let hits = positions.iter().filter(|p| p.is_some()).count();
        let has_id = positions.first().is_some_and(|p| p.is_some());
        if hits >= 2 && has_id && best.as_ref().is_none_or(|(b, _, _)| hits > *b) {
            best = Some((hits, spec, positions));
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
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if headers.len() > 6 { ", ..." } else { "" }
            ),
        },
    }
}

fn positions_of(spec: &FormatSpec, normalised: &[String]) -> Vec<Option<usize>> {
    spec.columns
        .iter()
        .map(|c| {
            c.headers
                .iter()
                .find_map(|h| normalised.iter().position(|n| n == &normalise_header(h)))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    fn detected(s: &str) -> (&'static str, TableKind) {
        match detect(&headers(s)) {
            Detection::Recognised { spec, .. } => (spec.format, spec.kind),
            Detection::Unrecognised { reason } => panic!("{reason}"),
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
    fn suggests_the_closest_header() {
        assert_eq!(
            closest_header("placed_at", &headers("order_id,placed,total")),
            Some("placed".into())
        );
        assert_eq!(
            closest_header("placed_at", &headers("order_id,total")),
            None
        );
    }
}
