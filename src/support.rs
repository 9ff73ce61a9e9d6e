//! Tickets: linking each ticket to an order, recognising "where is my order" (WISMO) tickets, and
//! the delivery state of the order when a WISMO ticket was opened (SPEC section 3).
//!
//! Linking, in order: an explicit order id column; else an order reference in the subject or body
//! (`#1042`, `order 1043`, `[#1044]`, `pedido 1045`, Olist-style 32-hex ids; never a number after
//! "ticket", "case" or "request", and never a bare date, ZIP code or phone number, which carry no
//! `#` or order keyword); else the requester's e-mail to that customer's most recent order placed
//! before the ticket (`linked_by = "email"`). A cited order that does not exist is counted in the
//! data-quality audit and the ticket stays unlinked unless its e-mail links it.
//!
//! WISMO classification is rules as data: [`WismoRules`] holds regular expressions matched
//! case-insensitively against subject + body, a list of "not WISMO" expressions (refunds,
//! cancellations, invoices) that veto a match unless an override expression ("where is",
//! "not arrived") also matches, and helpdesk tags that mark WISMO on their own. The built-in
//! lists cover English, Portuguese, Spanish, German and French; `[wismo]` in snagscan.toml adds to
//! them.

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{audit_with_example, Store};
use crate::journey::known_time;
use crate::quality::{DataQuality, Effect};
use crate::schema as s;

/// Phrases that ask where an order is (case-insensitive regular expressions).
pub const WISMO_PATTERNS: &[&str] = &[
    // English
    r"\bwhere('?s| is| are)? ((my|the|our) )?(order|package|parcel|delivery|shipment|item|purchase|stuff|product)",
    r"\b(order|purchase|delivery|shipping|shipment|package|parcel)\s+(\S+\s+){0,3}status\b",
    r"\bstatus\s+(of|for)\s+(\S+\s+){0,3}(order|purchase|delivery|shipment|package|parcel)",
    r"\bcurrent status\b",
    r"\beta\b",
    r"\btrack(ing)?\b",
    r"\blocat(e|ing)\s+(\S+\s+){0,2}(order|purchase|package|parcel|delivery|shipment)",
    r"\bhow (soon|long)\b",
    r"\b(delivery|shipping|transit) (period|time)s?\b",
    r"\bestimated (time of )?(arrival|delivery)\b",
    r"\bwhen\s+(\S+\s+){0,6}(arrive|arriving|come|coming|get here|be delivered|ship|shipped)\b",
    r"\bexpect\s+(\S+\s+){0,2}(order|item|parcel|package|delivery|product|purchase|shipment)",
    r"(\bnot|\bnever|n't|n’t)\s+(yet\s+)?(arrived|received|delivered|showed up|come)\b",
    r"\bstill (waiting|not)\b",
    r"\b(delay(ed)?|late|lost)\s+(\S+\s+){0,2}(order|package|parcel|delivery|shipment)",
    r"\b(order|package|parcel|delivery|shipment)\s+(\S+\s+){0,2}(delayed|late|lost|stuck)\b",
    r"\bwhen\s+(will|is|does)\s+(my|the)\s+(order|package|parcel|delivery|shipment|item|purchase)",
    r"\bwismo\b",
    r"\bupdates? (on|about) (my|the) (order|shipment|package|parcel|delivery)",
    // "Order #2015, where is it?": the order, its number if any, then "where is it".
    r"\b(order|package|parcel|shipment|purchase)\b\W*(#?\s*[a-z]{0,4}-?[0-9]\S*\s*)?[,:;.!?-]*\s*where('?s| is) it\b",
    // Portuguese
    r"\bonde est[aá]\s+(\S+\s+){0,2}(pedido|encomenda|pacote|entrega|compra|produto)",
    r"\b(pacote|pedido|encomenda)\s+(\S+\s+){0,3}parad[oa]",
    r"\brastre(io|ar|amento)\b",
    r"\bn[aã]o (chegou|recebi|foi entregue)",
    r"\b(status|situa[cç][aã]o) do (meu )?pedido",
    r"\bquando\s+(\S+\s+){0,3}(chega|chegar[aá]|entregue|enviad|enviar[aá]|despachad)",
    r"\bpedido\s+(\S+\s+){0,2}atrasad",
    r"\bainda n[aã]o\b",
    // "Pedido: 2008 onde está?": the order, its number if any, then "onde está" asked of it
    // (not "onde está a nota fiscal").
    r"\b(pedido|encomenda|pacote|compra)\b\W*(n[º°o]?\.?\s*)?(#?\s*[a-z]{0,4}-?[0-9]\S*\s*)?[,:;.!?-]*\s*onde est[aá](\s*[?!.,]|\s*$|\s+(ele|ela)\b)",
    // Spanish
    r"d[oó]nde est[aá]\s+(\S+\s+){0,2}(pedido|paquete|env[ií]o|orden|compra|producto)",
    r"\bsin llegar\b",
    r"\b(seguimiento|rastreo)\b",
    r"\bno (ha llegado|lleg[oó]|he recibido)",
    r"\bestado de(l| mi) (pedido|env[ií]o|paquete)",
    r"\bcu[aá]ndo\s+(\S+\s+){0,3}(llega|llegar[aá]|entregan|env[ií]a|enviar[aá]|despacha)",
    r"\btodav[ií]a no\b",
    r"\bretras(o|ad)",
    // German
    r"\bwo (ist|bleibt) (meine|mein)\s+(bestellung|paket|sendung|lieferung|ware)",
    r"\b(sendung|paket|bestellung)\s+(\S+\s+){0,3}(h[aä]ngt|steckt) (\S+\s+){0,4}fest",
    r"\bsendungsverfolgung\b",
    r"\bnicht (angekommen|erhalten|geliefert)",
    r"\b(liefer|bestell)status\b",
    r"\bwann (kommt|wird|kann)\b",
    r"\b(versp[aä]tet|verz[oö]gert)",
    // French
    r"\bo[uù] (est|en est) (ma|mon)\s+(commande|colis|livraison|paquet)",
    r"\bsuivi (de|du) (ma |mon )?(commande|colis|livraison)",
    r"\bpas (encore |toujours )?(re[cç]u|arriv[ée]|livr[ée])",
    r"\bstatut de (ma|la) commande",
    r"\bquand\s+(\S+\s+){0,3}(arriver|livr|recevoir|exp[ée]di)",
    r"\ben retard\b",
];

/// Topics that are not WISMO even when a WISMO phrase appears ("track my refund"): refunds,
/// cancellations, invoices, returns sent back, restocks.
pub const NOT_WISMO_PATTERNS: &[&str] = &[
    r"\b(refund\w*|reimburs\w*|restitution|compensation|money back|cancel\w*|invoice|bill|reembolso|remboursement|erstattung|r[uü]ckerstattung|factura|fatura|facture|rechnung)\b",
    r"\b(my|the|a) return\b|\breturn (label|request|shipment|parcel|package)\b|\bdevolu[cç][aã]o\b|\bdevoluci[oó]n\b|\bretoure\b|\bretour\b",
    r"\b(back in stock|restock\w*)\b",
    r"\b(have not|haven'?t|not) (yet )?ordered\b",
];

/// Phrases that keep a ticket WISMO despite a veto ("where is my refunded replacement?"): the
/// order, parcel or replacement itself asked about, not a refund or an invoice.
pub const WISMO_OVERRIDE_PATTERNS: &[&str] = &[
    r"\bwhere is (my|the) (\S+\s+){0,2}(order|package|parcel|delivery|shipment|item|replacement)",
    r"\b(order|package|parcel|delivery|shipment|item|replacement)\s+(\S+\s+){0,3}(hasn'?t|has not|not|never) (yet )?(arrived|been delivered|received)",
    r"\b(hasn'?t arrived|not arrived|not received|never arrived|never got)\s+(\S+\s+){0,2}(order|package|parcel|delivery|shipment|item|replacement)",
    r"\bonde est[aá]\s+(\S+\s+){0,2}(pedido|encomenda|pacote|entrega)",
    r"d[oó]nde est[aá]\s+(\S+\s+){0,2}(pedido|paquete|env[ií]o)",
    r"\bwo (ist|bleibt) (meine|mein)\s+(bestellung|paket|sendung|lieferung)",
    r"\bo[uù] (est|en est) (ma|mon)\s+(commande|colis|livraison)",
];

/// Helpdesk tags that mark a WISMO ticket on their own (compared case-insensitively as whole tags).
pub const WISMO_TAGS: &[&str] = &[
    "wismo",
    "where-is-my-order",
    "where_is_my_order",
    "order-status",
    "order_status",
    "tracking",
    "shipping-status",
    "shipping_status",
    "delivery-status",
    "delivery_status",
    "late-delivery",
    "delayed",
    "shipping_delay",
    "shipping-delay",
];

/// WISMO rules: the built-in lists plus what the config adds.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WismoRules {
    /// Extra WISMO expressions.
    pub patterns: Vec<String>,
    /// Extra "not WISMO" expressions.
    pub not_patterns: Vec<String>,
    /// Extra WISMO tags.
    pub tags: Vec<String>,
}

fn alternation(builtin: &[&str], extra: &[String]) -> String {
    let parts: Vec<String> = builtin
        .iter()
        .map(|p| p.to_string())
        .chain(extra.iter().cloned())
        .collect();
    format!("(?i)({})", parts.join("|"))
}

impl WismoRules {
    /// Checks that every configured expression compiles.
    ///
    /// Errors: the first invalid expression, with the regex error on one line, naming the
    /// config `file`.
    pub fn validate(&self, file: &str) -> Result<()> {
        for p in self.patterns.iter().chain(&self.not_patterns) {
            regex::Regex::new(p).map_err(|e| {
                // The regex crate draws a caret under the pattern on lines of its own; the
                // last line says what is wrong.
                let why = e.to_string();
                let why = why
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                Error::Config {
                    file: file.to_string(),
                    message: format!("[wismo] pattern '{p}': {why}"),
                }
            })?;
        }
        Ok(())
    }

    /// Boolean expression: the ticket (columns subject, body, tags) is WISMO.
    pub fn classify(&self) -> Expr {
        let text = concat_str(
            [
                col(s::SUBJECT).fill_null(lit("")),
                col(s::BODY).fill_null(lit("")),
            ],
            " ",
            true,
        );
        let has = |re: String| regex_contains(text.clone(), &re);
        let phrase = has(alternation(WISMO_PATTERNS, &self.patterns));
        let veto = has(alternation(NOT_WISMO_PATTERNS, &self.not_patterns));
        let keep = has(alternation(WISMO_OVERRIDE_PATTERNS, &[]));
        let tags: Vec<String> = WISMO_TAGS
            .iter()
            .map(|t| regex::escape(t))
            .chain(self.tags.iter().map(|t| regex::escape(t)))
            .collect();
        let tag_re = format!(r"(?i)(^|[,;|\s])({})($|[,;|\s])", tags.join("|"));
        let tagged = regex_contains(col(s::TAGS).fill_null(lit("")), &tag_re);
        tagged.or(phrase.and(veto.not().or(keep)))
    }
}

/// A regular expression with a cheaper necessary condition tried first: the same pattern
/// without its word-boundary assertions, which matches wherever the pattern does. Unicode `\b`
/// makes the regex crate leave its fast DFA for its slow engines on any text that is not pure
/// ASCII (a third of real ticket texts); the gate runs in the DFA and rejects most texts.
struct GatedRegex {
    full: regex::Regex,
    gate: Option<regex::Regex>,
}

impl GatedRegex {
    fn new(pattern: &str) -> Option<GatedRegex> {
        let full = regex::Regex::new(pattern).ok()?;
        let stripped = without_word_boundaries(pattern);
        let gate = (stripped != pattern)
            .then(|| regex::Regex::new(&stripped).ok())
            .flatten();
        Some(GatedRegex { full, gate })
    }

    fn passes_gate(&self, text: &str) -> bool {
        self.gate.as_ref().is_none_or(|g| g.is_match(text))
    }

    fn is_match(&self, text: &str) -> bool {
        self.passes_gate(text) && self.full.is_match(text)
    }

    fn extract<'t>(&self, text: &'t str, group: usize) -> Option<&'t str> {
        if !self.passes_gate(text) {
            return None;
        }
        self.full.captures(text)?.get(group).map(|m| m.as_str())
    }
}

/// `pattern` without `\b`, `\B` and `\b{...}` outside character classes. Removing a zero-width
/// assertion only widens what a pattern matches.
fn without_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b' | 'B') if class_depth == 0 => {
                    if chars.peek() == Some(&'{') {
                        for c in chars.by_ref() {
                            if c == '}' {
                                break;
                            }
                        }
                    }
                }
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            '[' => {
                class_depth += 1;
                out.push(c);
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Distinct texts whose match [`regex_contains`] remembers per column.
const MEMO_TEXTS: usize = 4096;

/// `e.str().contains(pattern, true)` (same result per row, null for null), evaluated with a
/// [`GatedRegex`]. An invalid pattern is left to Polars, which reports it.
///
/// The result of each distinct text is remembered (up to [`MEMO_TEXTS`] texts per column), so
/// that a column of few distinct values (statuses, shipping methods, tags) runs the pattern
/// once per value instead of once per row; texts past the limit are matched as they come.
pub fn regex_contains(e: Expr, pattern: &str) -> Expr {
    let Some(re) = GatedRegex::new(pattern) else {
        return e.str().contains(lit(pattern.to_string()), true);
    };
    e.map(
        move |c: Column| {
            let texts = c.str()?;
            let mut seen: PlHashMap<&str, bool> = PlHashMap::new();
            let out: BooleanChunked = texts
                .iter()
                .map(|v| {
                    v.map(|v| match seen.get(v) {
                        Some(&m) => m,
                        None => {
                            let m = re.is_match(v);
                            if seen.len() < MEMO_TEXTS {
                                seen.insert(v, m);
                            }
                            m
                        }
                    })
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    )
}

/// `e` matches `pattern` (false for null), by [`regex_contains`].
pub fn matches(e: Expr, pattern: &str) -> Expr {
    regex_contains(e, pattern).fill_null(lit(false))
}

/// `e.str().extract(pattern, group)` (same result per row), evaluated with a [`GatedRegex`].
/// An invalid pattern is left to Polars, which reports it.
pub fn regex_extract(e: Expr, pattern: &str, group: usize) -> Expr {
    let Some(re) = GatedRegex::new(pattern) else {
        return e.str().extract(lit(pattern.to_string()), group);
    };
    e.map(
        move |c: Column| {
            let out: StringChunked = c
                .str()?
                .iter()
                .map(|v| v.and_then(|v| re.extract(v, group)))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// An order reference after an order keyword: `order 1043`, `order #1042`, `pedido nº 1045`,
/// `pedido número 1045`, `pedido n. 1045`, `commande numéro 1046`, `order ID: 1047`, `order ref
/// 1048`, `order #: 1049`, `Bestellnr. 1050`, `Auftragsnummer 1051`, and with a store's prefix of
/// up to four letters (Shopify's order name prefix): `order AB-1152`, `order #AB1152`. A date or
/// a phone number after the keyword (`order 2025-01-11`, `Bestellung 12.03.2024`) is taken
/// whole, for [`not_a_date`] to refuse: read up to its first dash, it linked order #2025.
pub const ORDER_KEYWORD_REF: &str = r"(?i)\b(?:order|purchase|pedido|orden|bestellung|bestellnummer|bestellnr\.?|auftragsnummer|auftragsnr\.?|auftrag|commande|encomenda|ordine)\s*(?:number|n[uú]m(?:[eé]ro|\.)?|no\.?|nr\.?|n[º°o]\.?|n\.|id|ref(?:erence)?)?\s*(?:(?:is|é|es|ist|est)\s+)?(?:[:#]\s*){0,2}((?:[a-z]{1,4}-?)?[0-9]{3,}(?:[-/.][0-9]+)*)\b";
/// A `#1042`, `[#1044]` or `#AB-1152` reference (a prefix of up to four letters, as in
/// [`ORDER_KEYWORD_REF`]); group 1 holds a preceding "ticket"/"case"/... word, which makes it
/// not an order reference. A date after the `#` (`#2025-01-11`) is taken whole, for
/// [`not_a_date`] to refuse.
pub const HASH_REF: &str = r"(?i)(ticket|case|request|incident|invoice|ref|reference|chamado|caso)?\s*[\[(]?#\s?((?:[a-z]{1,4}-?)?[0-9]{3,}(?:[-/.][0-9]+)*)\b";
/// Olist-style 32-hex order ids.
pub const HEX_REF: &str = r"(?i)\b([0-9a-f]{32})\b";

/// True when normalising leaves every value of `ca` as it is: trimming, lower-casing and, when
/// `strip_hash`, stripping a leading `#` (the rewrite of [`order_key`]; without `strip_hash`, that
/// of the e-mails). Checked conservatively, bytewise: ASCII without upper-case letters, not
/// starting or ending with a space or a control character (nor starting with `#` when
/// `strip_hash`). Any other value, non-ASCII text included, says false, and the rewrite is then
/// run; a clean column (the usual case) is used as it is, without a copy.
pub fn is_normalised(ca: &StringChunked, strip_hash: bool) -> bool {
    ca.iter().flatten().all(|v| {
        let b = v.as_bytes();
        b.iter().all(|c| c.is_ascii() && !c.is_ascii_uppercase())
            && b.first()
                .is_none_or(|&c| c > b' ' && !(strip_hash && c == b'#'))
            && b.last().is_none_or(|&c| c > b' ')
    })
}

/// E-mails compared without surrounding spaces or case.
pub fn email_key(e: Expr) -> Expr {
    e.str().strip_chars(lit(NULL)).str().to_lowercase()
}

/// Order ids compared without a leading `#`, spaces or case: `#1042` = `1042`.
pub fn order_key(e: Expr) -> Expr {
    e.str()
        .strip_chars(lit(NULL))
        .str()
        .strip_chars_start(lit("#"))
        .str()
        .to_lowercase()
}

/// `reference` (a String expression of [`ORDER_KEYWORD_REF`]'s number), null where it is digits
/// joined to more digits by `-`, `/` or `.`: a date (`2025-01-11`, `12.03.2024`) or a phone
/// number, not an order number.
fn not_a_date(reference: Expr) -> Expr {
    when(
        reference
            .clone()
            .str()
            .contains(lit(r"^[0-9]+[-/.][0-9]"), false),
    )
    .then(lit(NULL).cast(DataType::String))
    .otherwise(reference)
}

/// The order references and WISMO verdict of each ticket, before linking: the canonical ticket
/// columns plus `_t` (UInt32 row index), `_explicit` and `_cited` (String, order keys of the
/// order id column and of a reference in the subject or body), `_email` (String, trimmed and
/// lower-cased), `wismo` (Boolean), `_key` (String, the explicit key, else the cited one) and
/// `_ref` (String, the reference `_key` comes from as written: the order id cell, else the
/// reference in the text; the data-quality example of a reference to no order).
///
/// Needs nothing but the tickets, so it runs while the journeys are built.
pub fn references(tickets: &DataFrame, rules: &WismoRules) -> Result<DataFrame> {
    let text = concat_str(
        [
            col(s::SUBJECT).fill_null(lit("")),
            col(s::BODY).fill_null(lit("")),
        ],
        " ",
        true,
    );
    let hash_prefix = regex_extract(text.clone(), HASH_REF, 1);
    let hash_number = not_a_date(regex_extract(text.clone(), HASH_REF, 2));
    let cited = coalesce(&[
        not_a_date(regex_extract(text.clone(), ORDER_KEYWORD_REF, 1)),
        when(hash_prefix.is_null())
            .then(hash_number)
            .otherwise(lit(NULL).cast(DataType::String)),
        regex_extract(text, HEX_REF, 1),
    ]);
    let _span = crate::timings::span("ticket references and WISMO (regex)");
    Ok(tickets
        .clone()
        .lazy()
        .with_row_index("_t", None)
        .with_columns([
            order_key(col(s::ORDER_ID)).alias("_explicit"),
            cited.alias("_cited_text"),
            email_key(col(s::EMAIL)).alias("_email"),
            rules.classify().alias("wismo"),
        ])
        .with_column(order_key(col("_cited_text")).alias("_cited"))
        .with_columns([
            coalesce(&[col("_explicit"), col("_cited")]).alias("_key"),
            coalesce(&[col(s::ORDER_ID), col("_cited_text")]).alias("_ref"),
        ])
        .drop(cols(["_cited_text"]))
        .collect()?)
}

/// For each row of `unlinked` (its key column `row`, `_email`, and the time `placed_before`
/// reads), the latest of `orders` (`_by_email`: order id, `_email`, `_placed`) with the same
/// e-mail key and `placed_before` true: a frame of `row` and `_by_email`, rows without such an
/// order left out. Orders placed at the same instant: the last by id (the journeys' order).
pub fn latest_order_by_email(
    unlinked: LazyFrame,
    orders: LazyFrame,
    row: &str,
    placed_before: Expr,
) -> LazyFrame {
    unlinked
        .join(
            orders,
            [col("_email")],
            [col("_email")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(placed_before)
        .group_by([col(row)])
        .agg([col("_by_email")
            .sort_by(
                [col("_placed"), col("_by_email")],
                SortMultipleOptions::default(),
            )
            .last()])
}

/// Journey column (Datetime ms UTC, internal): when the order's first hand-off was surely done,
/// its time or, known to the day only, the end of that local day (README, **Date-only times**).
/// Present only while the tickets are linked, and only when some journey time is known to the
/// day only; see [`without_done_times`].
pub const SHIPPED_DONE: &str = "_shipped_done";
/// Journey column (Datetime ms UTC, internal): when the order's delivery was surely done.
pub const DELIVERED_DONE: &str = "_delivered_done";

/// Column `name` of `journeys` when it has one, else `otherwise`.
fn column_or(journeys: &DataFrame, name: &str, otherwise: Expr) -> Expr {
    match journeys.column(name) {
        Ok(_) => col(name),
        Err(_) => otherwise,
    }
}

/// `journeys` without [`SHIPPED_DONE`] and [`DELIVERED_DONE`] (as it is when it has neither).
pub fn without_done_times(journeys: DataFrame) -> Result<DataFrame> {
    if journeys.column(SHIPPED_DONE).is_err() {
        return Ok(journeys);
    }
    Ok(journeys.drop_many([SHIPPED_DONE, DELIVERED_DONE]))
}

/// Per-ticket linking, from the [`references`] of the tickets.
///
/// Output: the canonical ticket columns plus `order_id` (String, the linked order's id as in the
/// journeys, null when unlinked), `linked_by` (String: order_id, reference, email), `wismo`
/// (Boolean), `delivery_state` (String: not_shipped, shipped_time_unknown,
/// in_transit_before_promise, in_transit_late, delivered, time_unknown, unlinked;
/// `shipped_time_unknown` for an order known shipped, by its fulfillment status or a delivery,
/// with no known ship time; `time_unknown` for a linked ticket whose own time is implausible,
/// whose order's shipping cannot be told (the inputs hold no shipping data) or delivery (a
/// ticket after the hand-off, and the inputs hold no delivery data), or
/// opened after its order shipped when the delivery time is not known (implausible, or missing
/// beside a "delivered" status) and no parcel of the order is known delivered after the ticket,
/// or opened on the local day of a hand-off or delivery known to the day only: before or after
/// it is not known: the journeys' internal [`SHIPPED_DONE`] and [`DELIVERED_DONE`]).
///
/// `ids_distinct`: no two journeys share an order id (see `journey::one_per_order_id`).
/// `latest`: the latest plausible time ([`crate::journey::Journeys::latest_plausible`]); a
/// later ticket, ship or delivery time is unknown for the delivery state, and a ticket at such
/// a time is not linked by e-mail (which of the requester's orders came before it is not known).
pub fn link(
    refs: DataFrame,
    store: &Store,
    journeys: &DataFrame,
    ids_distinct: bool,
    latest: Option<DateTime<Utc>>,
    dq: &mut DataQuality,
) -> Result<DataFrame> {
    // One order per key, so that a join never repeats a ticket: two orders can share a key
    // (a scientific-notation id such as `9.4E+21`, whose lost digits keep both orders, or
    // `#1001` beside `1001`); the first in the journeys' order (placed_at, order_id) is taken.
    // Only the orders some ticket cites can link: the 1M-row side is cut to them (one small set,
    // probed once per order) before keys are deduplicated and joined. Ids that are their own key
    // (the usual case) are not rewritten.
    let ids_are_keys = is_normalised(journeys.column(s::ORDER_ID)?.str()?, true);
    let order_keys = if ids_are_keys {
        col(s::ORDER_ID)
    } else {
        order_key(col(s::ORDER_ID))
    };
    let keys = crate::journey::among(
        journeys
            .clone()
            .lazy()
            .select([col(s::ORDER_ID).alias("_linked"), order_keys.alias("_key")]),
        "_key",
        refs.column("_key")?,
    )?
    .collect()?;
    let keys = if ids_are_keys && ids_distinct || crate::ingest::all_distinct(&keys, &["_key"])? {
        keys.lazy()
    } else {
        keys.lazy()
            .unique_stable_generic(Some(vec![col("_key")]), UniqueKeepStrategy::First)
    };
    let span = crate::timings::span("link by reference, e-mail; delivery state");
    let with_refs = refs
        .lazy()
        .join(
            keys,
            [col("_key")],
            [col("_key")],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    // A cited order left out of the orders (a test order, one without a usable placement
    // time) is in the file: said so, apart from the orders that are not.
    let left_out_keys = DataFrame::new(
        store.left_out_order_ids.len(),
        vec![store.left_out_order_ids.clone().into_column()],
    )?
    .lazy()
    .select([order_key(col(s::ORDER_ID)).alias("_key")])
    .collect()?;
    let cites_left_out = col("_key").is_in(
        lit(left_out_keys
            .column("_key")?
            .as_materialized_series()
            .clone())
        .implode(false),
        false,
    );
    let cites_unknown = col("_key").is_not_null().and(col("_linked").is_null());
    audit_with_example(
        &with_refs,
        cites_unknown.clone().and(cites_left_out.clone().not()),
        Some("_ref"),
        "ticket cites an order not in the orders file (kept, unlinked unless its e-mail links it)",
        Effect::Warning,
        dq,
    )?;
    audit_with_example(
        &with_refs,
        cites_unknown.and(cites_left_out),
        Some("_ref"),
        "ticket cites a test order or an order without a usable placed_at (kept, unlinked unless its e-mail links it)",
        Effect::Warning,
        dq,
    )?;

    // E-mail fallback: the requester's latest order placed at or before the ticket.
    let unlinked = with_refs
        .clone()
        .lazy()
        .filter(
            col("_linked")
                .is_null()
                .and(col("_email").is_not_null())
                .and(known_time(s::CREATED_AT, latest).is_not_null()),
        )
        .select([col("_t"), col("_email"), col(s::CREATED_AT)])
        .collect()?;
    let order_emails = if is_normalised(store.orders.column(s::EMAIL)?.str()?, false) {
        col(s::EMAIL)
    } else {
        email_key(col(s::EMAIL))
    };
    let orders_by_email = crate::journey::among(
        store.orders.clone().lazy().select([
            col(s::ORDER_ID).alias("_by_email"),
            order_emails.alias("_email"),
            col(s::PLACED_AT).alias("_placed"),
        ]),
        "_email",
        unlinked.column("_email")?,
    )?;
    let by_email = latest_order_by_email(
        unlinked.lazy(),
        orders_by_email,
        "_t",
        col("_placed").lt_eq(col(s::CREATED_AT)),
    );

    let staged = with_refs
        .lazy()
        .join(
            by_email,
            [col("_t")],
            [col("_t")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            coalesce(&[col("_linked"), col("_by_email")]).alias("_order"),
            when(
                col("_linked")
                    .is_not_null()
                    .and(col("_explicit").is_not_null()),
            )
            .then(lit("order_id"))
            .when(col("_linked").is_not_null())
            .then(lit("reference"))
            .when(col("_by_email").is_not_null())
            .then(lit("email"))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias("linked_by"),
        ])
        .drop(cols([s::ORDER_ID]))
        .with_column(col("_order").alias(s::ORDER_ID))
        .collect()?;
    // The linked orders' states: one row per order id (the first, as for the keys above), so
    // that no ticket is repeated; only the linked orders are read.
    let states = crate::journey::one_per_order_id(
        crate::journey::among(
            journeys.clone().lazy(),
            s::ORDER_ID,
            staged.column(s::ORDER_ID)?,
        )?,
        ids_distinct,
    )
    .select([
        col(s::ORDER_ID).alias("_state_order"),
        known_time(s::SHIPPED_AT, latest).alias("_shipped"),
        crate::journey::known_shipped().alias("_known_shipped"),
        known_time(s::DELIVERED_AT, latest).alias("_delivered"),
        // Known delivered, also at a time not known (a status that says so, a mistyped year).
        col(s::DELIVERED).alias("_was_delivered"),
        col(s::PROMISE_DEADLINE).alias("_deadline"),
        col(s::PROMISE_IS_DATE).alias("_is_date"),
        column_or(journeys, SHIPPED_DONE, known_time(s::SHIPPED_AT, latest)).alias("_shipped_done"),
        column_or(
            journeys,
            DELIVERED_DONE,
            known_time(s::DELIVERED_AT, latest),
        )
        .alias("_delivered_done"),
    ]);
    // A hand-off or delivery known to the day only happened some time in that local day: it
    // came before a ticket opened from the next day on, and a ticket opened that day cannot
    // tell before from after (README, **Date-only times**).
    let (shipped_end, delivered_end) = (col("_shipped_done"), col("_delivered_done"));
    // The latest known parcel delivery of each linked order with shipment rows: when its last
    // delivery time is not known, a parcel known delivered after the ticket says the order was
    // still in transit then.
    let last_known_parcel = match &store.shipments {
        Some(sh) => Some(
            crate::journey::among(sh.clone().lazy(), s::ORDER_ID, staged.column(s::ORDER_ID)?)?
                .group_by([col(s::ORDER_ID).alias("_parcel_order")])
                .agg([known_time(s::DELIVERED_AT, latest)
                    .max()
                    .alias("_parcel_delivered")]),
        ),
        None => None,
    };
    let created = col(s::CREATED_AT);
    let parcel_after_ticket = if last_known_parcel.is_some() {
        col("_parcel_delivered")
            .gt(created.clone())
            .fill_null(lit(false))
    } else {
        lit(false)
    };
    // Whether the inputs can tell a ticket's order shipped, or delivered, at all: without
    // shipping data every order would read "not shipped", and without delivery data every
    // shipped one "in transit", which nothing measured.
    let (shipping_known, delivery_known) =
        match (store.shipments.is_some(), store.delivery_times_read) {
            (true, true) => (true, true),
            (has_shipments, delivery_times) => {
                let any = journeys
                    .clone()
                    .lazy()
                    .select([
                        crate::journey::known_shipped().any(true).alias("_s"),
                        col(s::DELIVERED).any(true).alias("_d"),
                    ])
                    .collect()?;
                let any = |name: &str| -> Result<bool> {
                    Ok(any.column(name)?.bool()?.get(0).unwrap_or(false))
                };
                (has_shipments || any("_s")?, delivery_times || any("_d")?)
            }
        };
    let before_promise = when(col("_is_date").fill_null(lit(false)))
        .then(created.clone().lt(col("_deadline")))
        .otherwise(created.clone().lt_eq(col("_deadline")));
    let state = when(col(s::ORDER_ID).is_null())
        .then(lit("unlinked"))
        // Opened at a time not known: every state is a comparison with that time.
        .when(known_time(s::CREATED_AT, latest).is_null())
        .then(lit("time_unknown"))
        // No shipping data in the inputs: shipped or not is not known.
        .when(lit(!shipping_known))
        .then(lit("time_unknown"))
        .when(
            col("_delivered")
                .is_not_null()
                .and(delivered_end.lt_eq(created.clone())),
        )
        .then(lit("delivered"))
        // Delivered on the ticket's day, that day known only: before or after is not known.
        .when(
            col("_delivered")
                .lt_eq(created.clone())
                .fill_null(lit(false)),
        )
        .then(lit("time_unknown"))
        // Shipped (a status or a delivery says so) at a time not known: maybe before the
        // ticket, maybe after.
        .when(col("_shipped").is_null().and(col("_known_shipped")))
        .then(lit("shipped_time_unknown"))
        .when(
            col("_shipped")
                .is_null()
                .or(col("_shipped").gt(created.clone())),
        )
        .then(lit("not_shipped"))
        // Shipped on the ticket's day, that day known only.
        .when(shipped_end.gt(created.clone()))
        .then(lit("time_unknown"))
        // Shipped before the ticket, and no delivery data in the inputs: in transit or
        // delivered is not known.
        .when(lit(!delivery_known))
        .then(lit("time_unknown"))
        // Shipped before the ticket and delivered at a time not known: in transit or delivered,
        // unless a parcel is known to have come after the ticket (in transit then).
        .when(
            col("_was_delivered")
                .and(col("_delivered").is_null())
                .and(parcel_after_ticket.not()),
        )
        .then(lit("time_unknown"))
        .when(col("_deadline").is_null().or(before_promise))
        .then(lit("in_transit_before_promise"))
        .otherwise(lit("in_transit_late"));
    let columns: Vec<Expr> = crate::ingest::canonical_columns(crate::schema::TableKind::Tickets)
        .into_iter()
        .filter(|c| c != s::ORDER_ID)
        .map(col)
        .chain([
            col(s::ORDER_ID),
            col("linked_by"),
            col("wismo"),
            col("delivery_state"),
        ])
        .collect();
    let linked = staged.lazy().join(
        states,
        [col(s::ORDER_ID)],
        [col("_state_order")],
        JoinArgs::new(JoinType::Left),
    );
    let linked = match last_known_parcel {
        Some(parcels) => linked.join(
            parcels,
            [col(s::ORDER_ID)],
            [col("_parcel_order")],
            JoinArgs::new(JoinType::Left),
        ),
        None => linked,
    };
    let linked = linked
        .with_column(state.alias("delivery_state"))
        .select(columns)
        .sort(
            [s::CREATED_AT, s::TICKET_ID],
            SortMultipleOptions::default(),
        )
        .collect()?;
    drop(span);
    Ok(linked)
}

/// Tickets and WISMO tickets per order: `order_id`, `n_tickets`, `n_wismo_tickets` (UInt32).
pub fn per_order(tickets: &DataFrame) -> LazyFrame {
    tickets
        .clone()
        .lazy()
        .filter(col(s::ORDER_ID).is_not_null())
        .group_by([col(s::ORDER_ID)])
        .agg([
            len().cast(DataType::UInt32).alias(s::N_TICKETS),
            col("wismo")
                .cast(DataType::UInt32)
                .sum()
                .cast(DataType::UInt32)
                .alias(s::N_WISMO_TICKETS),
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is left as it is exactly when trimming, lower-casing and (for keys) stripping a
    /// leading `#` would not change it; the check is conservative on non-ASCII text.
    #[test]
    fn normalised_values_are_recognised() {
        let check = |values: &[Option<&str>], strip_hash: bool| {
            is_normalised(
                &StringChunked::from_iter_options("v".into(), values.iter().copied()),
                strip_hash,
            )
        };
        assert!(check(
            &[Some("1001"), None, Some(""), Some("a1b2-c#3")],
            true
        ));
        assert!(check(&[Some("ana@example.com"), Some("#1001")], false));
        for needs_rewrite in ["#1001", " 1001", "1001 ", "1001\t", "AB12", "\u{a0}1001"] {
            assert!(
                !check(&[Some("1001"), Some(needs_rewrite)], true),
                "{needs_rewrite:?}"
            );
        }
        for needs_rewrite in ["Ana@example.com", " ana@example.com", "ana@example.com\r"] {
            assert!(!check(&[Some(needs_rewrite)], false), "{needs_rewrite:?}");
        }
        // Conservative: lower-case non-ASCII text is rewritten (to itself) rather than checked.
        assert!(!check(&[Some("pedido-ñ")], true));
    }

    fn classify(subjects: &[&str]) -> Vec<bool> {
        let df = DataFrame::new(
            subjects.len(),
            vec![
                Column::new(s::SUBJECT.into(), subjects),
                Column::new(s::BODY.into(), vec![None::<&str>; subjects.len()]),
                Column::new(s::TAGS.into(), vec![None::<&str>; subjects.len()]),
            ],
        )
        .unwrap();
        let out = df
            .lazy()
            .select([WismoRules::default().classify().alias("w")])
            .collect()
            .unwrap();
        out.column("w")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect()
    }

    #[test]
    fn gates_drop_only_word_boundaries() {
        assert_eq!(without_word_boundaries(r"\bwismo\b"), "wismo");
        assert_eq!(without_word_boundaries(r"a\Bb\b{start}c"), "abc");
        assert_eq!(without_word_boundaries(r"\\b[\]b]\d"), r"\\b[\]b]\d");
    }

    #[test]
    fn remembered_matches_agree_with_polars_past_the_memo_limit() {
        // More distinct texts than the memo holds, each twice (the second time after the memo
        // is full for the later ones), and nulls.
        let n = MEMO_TEXTS + 300;
        let texts: Vec<Option<String>> = (0..2 * n)
            .map(|i| (i % 11 != 0).then(|| format!("Status {}", (i * 7919) % n)))
            .collect();
        let df = DataFrame::new(texts.len(), vec![Column::new("t".into(), texts)]).unwrap();
        let pattern = r"(?i)^status \d*7$";
        let out = df
            .lazy()
            .select([
                regex_contains(col("t"), pattern).alias("fast"),
                col("t").str().contains(lit(pattern), true).alias("polars"),
            ])
            .collect()
            .unwrap();
        let c = |n: &str| out.column(n).unwrap().as_materialized_series().clone();
        assert!(c("fast").equals_missing(&c("polars")));
        let hits = c("fast").bool().unwrap().sum().unwrap_or(0);
        // Of 2n rows, the non-null ones whose number ends in 7: about a tenth of 10/11 of them.
        assert!(hits > 600 && hits < 1000, "{hits}");
    }

    #[test]
    fn gated_regexes_agree_with_polars() {
        let texts = [
            "Where is my order #1042?",
            "Onde está meu pedido 1042? Ainda não chegou",
            "está",
            "éwismo",
            "wismo!",
            "ticket #5512 about order 7781",
            "pedido nº 1045 atrasado",
            "9f86d081884c7d659a2feaa0c55ad015 is my order",
            "Where is my order #AB-1152?",
            "pedido nº AB1153",
            "pedido n. 2001 não chegou",
            "commande numéro 2007",
            "where is my order ID: 2008",
            "Order #: 2009 where is it",
            "Meine Bestellnr. 2010 ist nicht angekommen",
            "Auftragsnummer 2011 nicht geliefert",
            "my order 2025-01-11 is late",
            "Bestellung 12.03.2024",
            "",
        ];
        let df = DataFrame::new(texts.len(), vec![Column::new("t".into(), texts)]).unwrap();
        for pattern in [
            HASH_REF,
            ORDER_KEYWORD_REF,
            HEX_REF,
            r"(?i)\bonde est[aá]\b",
            r"(?i)\bwismo\b",
        ] {
            let out = df
                .clone()
                .lazy()
                .select([
                    regex_contains(col("t"), pattern).alias("fast"),
                    col("t").str().contains(lit(pattern), true).alias("polars"),
                    regex_extract(col("t"), pattern, 1).alias("fast_x"),
                    col("t").str().extract(lit(pattern), 1).alias("polars_x"),
                ])
                .collect()
                .unwrap();
            let c = |n: &str| out.column(n).unwrap().as_materialized_series().clone();
            assert!(c("fast").equals_missing(&c("polars")), "{pattern}");
            assert!(c("fast_x").equals_missing(&c("polars_x")), "{pattern}");
        }
    }

    #[test]
    fn wismo_in_five_languages() {
        let wismo = [
            "Where is my order #1042?",
            "Onde está meu pedido 1042?",
            "¿Dónde está mi pedido?",
            "Wo ist meine Bestellung?",
            "Où est ma commande ?",
            "My package still hasn't arrived",
            "Paket nicht angekommen",
            "Pedido atrasado há uma semana",
            "pedido: 2008 onde está?",
            "nº do pedido 2009, onde está?",
            "Order #2015 where is it",
            "My order - where is it?",
            // When will it ship, as English's "when ... ship" asks.
            "Bonjour, quand ma commande sera-t-elle expédiée ?",
            "¿Cuándo envían mi pedido?",
            "Quando meu pedido será enviado?",
        ];
        assert!(
            classify(&wismo).iter().all(|w| *w),
            "{:?}",
            classify(&wismo)
        );
        let other = [
            "How do I return a sweater?",
            "I want to track my refund",
            "Please cancel order 1042",
            "Rechnung für Bestellung 1042",
            "Quiero cambiar la talla",
            "Code promo ne marche pas",
            "Pedido 2008: onde está a nota fiscal?",
            "Reembolso do pedido 2008, onde está?",
            "Refund for order #2015, where is it?",
        ];
        assert!(
            classify(&other).iter().all(|w| !*w),
            "{:?}",
            classify(&other)
        );
    }
}
