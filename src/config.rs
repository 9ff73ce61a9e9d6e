//! `snagscan.toml` and command-line flags merged into one validated [`Config`].
//!
//! Every threshold of SPEC section 4 has a default here and can be overridden in the config
//! file (`[thresholds]`, `[costs]`, `[playbook]`). Unknown keys are errors, so a typo never
//! silently leaves a default in force.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ingest::frame::ReadOptions;
use crate::ingest::mapping::{Mapping, MappingTable};
use crate::ingest::value::SlashOrder;
use crate::score::Effort;
use crate::support::WismoRules;

/// Snag thresholds (SPEC section 4 defaults).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// A snag whose sample is smaller is listed as "not enough data".
    pub min_sample: u64,
    /// Fulfillment SLA, hours (order-to-ship).
    pub fulfillment_sla_h: f64,
    /// slow-fulfillment: raised when more than this share of shipped orders breach the SLA.
    pub slow_fulfillment_share: f64,
    /// late-delivery: raised when the late share of delivered orders with a promise exceeds this.
    pub late_share: f64,
    /// late-delivery: lanes listed in the evidence.
    pub worst_lanes: usize,
    /// stockout-cancellations: raised when cancelled-for-stock orders exceed this share.
    pub stockout_share: f64,
    /// review-gap: raised when review coverage of delivered orders is below this...
    pub review_coverage: f64,
    /// ...or when late orders' mean score is at least this many points below on-time orders'.
    pub review_score_gap: f64,
    /// Repeat window, days (inclusive, x 24 h).
    pub repeat_window_days: u32,
    /// repeat-dropoff: target repeat rate (over the repeat window).
    pub repeat_target: f64,
    /// express-buried: the express SLA, hours (order-to-ship).
    pub express_sla_h: f64,
    /// express-buried: raised when express orders' median wait is at least this multiple of
    /// standard orders'...
    pub express_wait_ratio: f64,
    /// ...or when more than this share of express orders miss the express SLA.
    pub express_breach_share: f64,
    /// weekend-backlog: raised when orders placed Fri-Sun (store time) wait at least this
    /// multiple of Mon-Thu orders' median.
    pub weekend_wait_ratio: f64,
    /// hold-wait: raised when risk-flagged or held orders wait at least this multiple of the
    /// others' median.
    pub hold_wait_ratio: f64,
    /// late-first-order-churn: significance level of the two-sided two-proportion z-test.
    pub churn_p_value: f64,
    /// vip-at-risk: the share of customers, by revenue, that are VIPs (top 10%).
    pub vip_top_share: f64,
    /// vip-at-risk: a VIP is at risk when the days since the last order exceed this multiple of
    /// their own median gap between orders.
    pub vip_gap_multiple: f64,
    /// vip-at-risk: orders a VIP needs for their own cadence to be used (3 orders = 2 gaps);
    /// VIPs with fewer are judged against the store's p90 time to second order.
    pub vip_min_orders: u32,
    /// vip-at-risk: raised when more than this share of VIPs with their own cadence are at risk.
    pub vip_at_risk_share: f64,
    /// wismo-load: WISMO tickets per 100 shipped orders at which it is raised.
    pub wismo_rate_per_100: f64,
    /// wismo-spike: modified z-score above which a day is a spike.
    pub spike_z: f64,
    /// wismo-spike: fewest WISMO tickets on a spike day.
    pub spike_min_tickets: u32,
    /// wismo-spike: the chance, at most, that a store without a spike shows a spike day
    /// anywhere in its history (family-wise). Each tested day's count must be unlikely at its
    /// expected level (its exposure x its weekday's mean rate): P(X >= count)
    /// for a Poisson count, or a negative binomial one when the days vary more, below
    /// `spike_false_alarm_rate / days tested` (Bonferroni,
    /// [`crate::analyze::wismo_spike::per_day_level`]). Replaces `spike_max_p`, a per-day
    /// level without that division, which a configuration file is told of.
    pub spike_false_alarm_rate: f64,
    /// wismo-spike: the one-sided confidence of the upper bound at which the days' spread
    /// (variance / mean of the other weeks' daily WISMO counts) is taken, so that a spread
    /// measured low by chance does not make ordinary days spikes
    /// ([`crate::analyze::wismo_spike::overdispersion`]). 0.5 takes the spread as measured; at
    /// least 0.5, below 1.
    pub spike_spread_confidence: f64,
    /// monday-surge: a weekday's ticket share at or above this x 1/7.
    pub weekday_surge_factor: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_sample: 30,
            fulfillment_sla_h: 48.0,
            slow_fulfillment_share: 0.10,
            late_share: 0.05,
            worst_lanes: 5,
            stockout_share: 0.02,
            review_coverage: 0.30,
            review_score_gap: 1.0,
            repeat_window_days: 90,
            repeat_target: 0.25,
            express_sla_h: 24.0,
            express_wait_ratio: 0.8,
            express_breach_share: 0.10,
            weekend_wait_ratio: 1.5,
            hold_wait_ratio: 2.0,
            churn_p_value: 0.05,
            vip_top_share: 0.10,
            vip_gap_multiple: 2.0,
            vip_min_orders: 3,
            vip_at_risk_share: 0.30,
            wismo_rate_per_100: 1.0,
            spike_z: 3.5,
            spike_min_tickets: 3,
            spike_false_alarm_rate: 0.05,
            spike_spread_confidence: 0.95,
            weekday_surge_factor: 1.5,
        }
    }
}

/// Costs used to price snags (SPEC section 4).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Costs {
    /// Handling cost of one support ticket, store currency.
    pub cost_per_ticket: f64,
    /// A snag is high impact when its impact per 30 days is at least this share of revenue per 30 days.
    pub high_impact_share: f64,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            cost_per_ticket: 5.0,
            high_impact_share: 0.01,
        }
    }
}

/// The file form of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    timezone: Option<String>,
    currency: Option<String>,
    /// `day-first` or `month-first` for slash dates the data cannot tell.
    date_order: Option<String>,
    decimal_comma: bool,
    thresholds: Thresholds,
    costs: Costs,
    /// Effort per snag id, overriding the built-in playbook.
    playbook: BTreeMap<String, Effort>,
    /// `[[mapping]]` tables: how to read exports no built-in format recognises.
    #[serde(rename = "mapping")]
    mappings: Vec<MappingTable>,
    /// WISMO rules added to the built-in ones.
    wismo: WismoRules,
}

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub read: ReadOptions,
    /// True when no time zone was given and UTC is assumed (the report says so).
    pub timezone_assumed: bool,
    /// Store currency when given; otherwise taken from the data.
    pub currency: Option<String>,
    /// Fixed as-of time (`--as-of`); otherwise the latest event in the data.
    pub as_of: Option<DateTime<Utc>>,
    pub thresholds: Thresholds,
    pub costs: Costs,
    pub playbook: BTreeMap<String, Effort>,
    pub wismo: WismoRules,
    /// The config file used, if any.
    pub source: Option<String>,
    /// Validated `[[mapping]]` tables, in file order (the first matching a file name applies).
    pub mappings: Vec<Mapping>,
}

/// Flags that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub timezone: Option<String>,
    pub as_of: Option<String>,
}

impl Config {
    /// Loads `config` (or `DIR/snagscan.toml` when present) and applies the flags.
    ///
    /// Errors: an unreadable or invalid file (unknown key, wrong type), an unknown time zone,
    /// an unparseable `--as-of`.
    pub fn load(dir: &Path, config: Option<&Path>, flags: &Overrides) -> Result<Config> {
        let default_path = dir.join("snagscan.toml");
        let path = config
            .map(Path::to_path_buf)
            .or_else(|| default_path.is_file().then_some(default_path));
        let (file, source) = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                let parsed: ConfigFile = toml::from_str(&text).map_err(|e| {
                    // One line: where (from the error's byte span), then what.
                    let mut what = e.message().lines().collect::<Vec<_>>().join("; ");
                    if what.contains("unknown field `spike_max_p`") {
                        what = "spike_max_p, a level each day was tested at, is replaced by \
                                spike_false_alarm_rate, the chance that a store without a spike \
                                shows one at all (default 0.05; each day is tested at it divided \
                                by the days tested, so a per-day level p over n days is a rate of \
                                about p x n); remove spike_max_p, or set spike_false_alarm_rate"
                            .into();
                    }
                    let message = match e.span() {
                        Some(span) => {
                            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                            let what = wrong_type(&text, &what, span).unwrap_or(what);
                            format!("line {line}: {what}")
                        }
                        None => what,
                    };
                    Error::Config {
                        file: p.display().to_string(),
                        message,
                    }
                })?;
                (parsed, Some(p.display().to_string()))
            }
            None => (ConfigFile::default(), None),
        };
        let cfg_name = source.clone().unwrap_or_else(|| "flags".into());
        let tz_name = flags.timezone.clone().or(file.timezone.clone());
        let timezone_assumed = tz_name.is_none();
        let timezone: Tz = match &tz_name {
            Some(name) => zone_named(name).ok_or_else(|| {
                let message = format!(
                    "unknown time zone '{name}' (use an IANA name such as America/New_York)"
                );
                // Named after where it came from: the flag wins over the file.
                if flags.timezone.is_some() {
                    Error::Usage(format!("--timezone: {message}"))
                } else {
                    Error::Config {
                        file: cfg_name.clone(),
                        message,
                    }
                }
            })?,
            None => Tz::UTC,
        };
        let slash_order = match file.date_order.as_deref() {
            None => SlashOrder::Unknown,
            Some("day-first") => SlashOrder::DayFirst,
            Some("month-first") => SlashOrder::MonthFirst,
            Some(other) => {
                return Err(Error::Config {
                    file: cfg_name,
                    message: format!("date_order '{other}': use day-first or month-first"),
                })
            }
        };
        let as_of = match &flags.as_of {
            None => None,
            Some(text) => {
                let stamp =
                    crate::ingest::value::parse_timestamp(text, timezone, SlashOrder::Unknown)
                        .map_err(|m| Error::Usage(format!("--as-of: {m}")))?
                        .ok_or_else(|| Error::Usage("--as-of is empty".into()))?;
                // A cell in the data is resolved by SPEC's rule and warned; a time the user
                // types is asked again, with an offset, rather than guessed.
                use crate::ingest::value::DstResolution;
                let asked_again = |what: &str| {
                    Error::Usage(format!(
                        "--as-of '{}' {what} in {timezone}; give it with an offset (e.g. \
                         '2025-03-09 03:30:00 -0400')",
                        text.trim()
                    ))
                };
                // A bare date is the start of its day, its first instant even when the clocks
                // skip or repeat its midnight (Santiago's 2024-09-08 starts at 01:00).
                let bare_date = stamp.date_like && !text.contains(':');
                match stamp.dst.filter(|_| !bare_date) {
                    Some(DstResolution::Nonexistent) => {
                        return Err(asked_again("does not exist (the clocks skip it)"))
                    }
                    Some(DstResolution::Ambiguous) => {
                        return Err(asked_again("is ambiguous (the clocks pass it twice)"))
                    }
                    None => {}
                }
                Some(stamp.instant)
            }
        };
        let read = ReadOptions {
            timezone,
            slash_order,
            decimal_comma: file.decimal_comma,
            date_format: None,
        };
        let mappings = file
            .mappings
            .iter()
            .map(|m| m.resolve(&read, &cfg_name))
            .collect::<Result<Vec<_>>>()?;
        Ok(Config {
            read,
            mappings,
            timezone_assumed,
            // A code, as the orders' currencies are read (`usd` is `USD`).
            currency: match file.currency.map(|c| c.trim().to_uppercase()) {
                Some(c) if c.is_empty() => None,
                Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c),
                Some(c) => {
                    return Err(Error::Config {
                        file: cfg_name.clone(),
                        message: format!(
                            "currency = \"{c}\": give the store currency as its three-letter ISO 4217 code (USD, EUR, BRL)"
                        ),
                    })
                }
                None => None,
            },
            as_of,
            thresholds: {
                check_ranges(&file.thresholds, &file.costs).map_err(|message| Error::Config {
                    file: cfg_name.clone(),
                    message,
                })?;
                file.thresholds
            },
            costs: file.costs,
            playbook: {
                check_playbook(&file.playbook).map_err(|message| Error::Config {
                    file: cfg_name.clone(),
                    message,
                })?;
                file.playbook
            },
            wismo: {
                file.wismo.validate(&cfg_name)?;
                file.wismo
            },
            source,
        })
    }
}

/// A value of the wrong type in plain words, named by its key: `fulfillment_sla_h = "48": must
/// be a number (48, not "48")` for toml's `invalid type: string "48", expected f64`. `message`
/// is toml's, `span` the value's bytes in `text`. `None` for any other error, or when no key's
/// value holds the span (toml's own words then stand, with the line).
fn wrong_type(text: &str, message: &str, span: std::ops::Range<usize>) -> Option<String> {
    let (found, expected) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?
        .rsplit_once(", expected ")?;
    // An integer refused is out of the type's range: below 0, or too large.
    let whole = |unsigned: bool| match found.strip_prefix("integer `") {
        Some(n) if unsigned && n.starts_with('-') => "must be a whole number, 0 or more",
        Some(_) => "must be a smaller whole number",
        None => "must be a whole number",
    };
    let must = match expected {
        "f64" | "f32" => "must be a number",
        "u8" | "u16" | "u32" | "u64" | "usize" => whole(true),
        "i8" | "i16" | "i32" | "i64" | "isize" => whole(false),
        "a boolean" => "must be true or false",
        "a string" => "must be text in quotes",
        "a sequence" => "must be a list in brackets ([...])",
        "a map" => "must be a table",
        _ if expected.starts_with("struct ") => "must be a table",
        _ => return None,
    };
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let (key, whole_value) = key_at(doc.as_table(), &span)?;
    let value = text.get(span)?.trim();
    // A number written in quotes: show it without them.
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .map(str::trim)
        .filter(|v| match expected {
            "f64" | "f32" => v.parse::<f64>().is_ok_and(f64::is_finite),
            _ if must.contains("whole") => v.parse::<i64>().is_ok(),
            _ => false,
        });
    let hint = unquoted
        .map(|number| format!(" ({number}, not {value})"))
        .unwrap_or_default();
    Some(if whole_value {
        format!("{key} = {value}: {must}{hint}")
    } else {
        // An item of an array.
        format!("{key}: item {value} {must}{hint}")
    })
}

/// The key whose value holds the bytes `span` of the file, at any depth (`[thresholds]`,
/// `[[mapping]]`, inline tables), and whether `span` is that whole value (not an item of an
/// array); `None` when no key's value does.
fn key_at(
    table: &dyn toml_edit::TableLike,
    span: &std::ops::Range<usize>,
) -> Option<(String, bool)> {
    table.iter().find_map(|(key, item)| {
        if let Some(inner) = item.as_table_like() {
            return key_at(inner, span);
        }
        if let Some(tables) = item.as_array_of_tables() {
            return tables.iter().find_map(|t| key_at(t, span));
        }
        item.span()
            .filter(|s| s.contains(&span.start))
            .map(|s| (key.to_string(), s == *span))
    })
}

/// An unknown snag id among the `[playbook]` keys (a typo would otherwise leave the built-in
/// effort in place without a word): the message names it, the nearest id and the valid ones.
fn check_playbook(playbook: &BTreeMap<String, Effort>) -> std::result::Result<(), String> {
    let ids: Vec<&str> = crate::analyze::ANALYZERS.iter().map(|a| a.id).collect();
    for key in playbook.keys() {
        if ids.contains(&key.as_str()) {
            continue;
        }
        let known: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        let hint = crate::ingest::formats::closest_header(key, &known)
            .map(|id| format!(" (did you mean '{id}'?)"))
            .unwrap_or_default();
        return Err(format!(
            "unknown snag id '{key}' in [playbook]{hint}; snag ids: {}",
            ids.join(", ")
        ));
    }
    Ok(())
}

/// Longest SLA accepted, hours (365 days).
pub const MAX_SLA_H: f64 = 8760.0;

/// The IANA time zone `name` gives: as written, or in another letter case for a region's zone
/// or UTC (`america/new_york`, `utc`: IANA names are case-insensitive, and chrono-tz reads them
/// as written only). A bare abbreviation stays unknown in other cases (`est` is not the
/// fixed-offset zone `EST` a user might take for New York's, which keeps summer time).
fn zone_named(name: &str) -> Option<Tz> {
    let name = name.trim();
    name.parse().ok().or_else(|| {
        (name.contains('/') || name.eq_ignore_ascii_case("utc"))
            .then(|| {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .find(|z| z.name().eq_ignore_ascii_case(name))
                    .copied()
            })
            .flatten()
    })
}

/// Rejects thresholds and costs that cannot mean anything (NaN, negative, shares above 1, an
/// SLA over a year).
fn check_ranges(t: &Thresholds, c: &Costs) -> std::result::Result<(), String> {
    let share = [
        ("slow_fulfillment_share", t.slow_fulfillment_share),
        ("late_share", t.late_share),
        ("stockout_share", t.stockout_share),
        ("review_coverage", t.review_coverage),
        ("repeat_target", t.repeat_target),
        ("express_breach_share", t.express_breach_share),
        ("spike_false_alarm_rate", t.spike_false_alarm_rate),
        ("vip_top_share", t.vip_top_share),
        ("vip_at_risk_share", t.vip_at_risk_share),
        ("high_impact_share", c.high_impact_share),
    ];
    for (name, v) in share {
        if !(0.0..=1.0).contains(&v) {
            return Err(format!("{name} = {v}: a share must be between 0 and 1"));
        }
    }
    if !(0.5..1.0).contains(&t.spike_spread_confidence) {
        return Err(format!(
            "spike_spread_confidence = {}: the confidence of the spread's upper bound must be at \
             least 0.5 (the spread as measured) and below 1",
            t.spike_spread_confidence
        ));
    }
    if t.spike_false_alarm_rate == 0.0 {
        return Err(
            "spike_false_alarm_rate = 0: no day could be a spike, and wismo-spike \
                    would read clear whatever the data; use a small rate such as 0.01"
                .into(),
        );
    }
    // A store's chance of any false spike day, allowed up to 1: wismo-spike would be raised
    // on chance, its bound no bound.
    if t.spike_false_alarm_rate == 1.0 {
        return Err(
            "spike_false_alarm_rate = 1: every store without a spike would be allowed false \
                    spike days, so wismo-spike would be raised on chance; use a small rate such \
                    as 0.05"
                .into(),
        );
    }
    // A significance level of 0 finds nothing significant and one of 1 almost everything:
    // late-first-order-churn, the priced repeat-rate drops and stockout-cancellations' SKUs
    // would follow the setting, not the data.
    let p = t.churn_p_value;
    if !(p > 0.0 && p < 1.0) {
        let why = if p == 0.0 {
            "no difference could be significant: late-first-order-churn would read clear \
             whatever the data, and no repeat-rate drop would be priced"
        } else if p == 1.0 {
            "every difference, however small, would be significant: late-first-order-churn \
             would be raised on chance, and chance repeat-rate drops priced"
        } else {
            "a significance level must be above 0 and below 1"
        };
        return Err(format!(
            "churn_p_value = {p}: {why}; use a small level such as 0.05"
        ));
    }
    let positive = [
        ("fulfillment_sla_h", t.fulfillment_sla_h),
        ("review_score_gap", t.review_score_gap),
        ("express_sla_h", t.express_sla_h),
        ("express_wait_ratio", t.express_wait_ratio),
        ("weekend_wait_ratio", t.weekend_wait_ratio),
        ("hold_wait_ratio", t.hold_wait_ratio),
        ("vip_gap_multiple", t.vip_gap_multiple),
        ("wismo_rate_per_100", t.wismo_rate_per_100),
        ("spike_z", t.spike_z),
        ("weekday_surge_factor", t.weekday_surge_factor),
    ];
    for (name, v) in positive {
        if !(v.is_finite() && v > 0.0) {
            return Err(format!("{name} = {v}: must be a positive number"));
        }
    }
    // An SLA is a wait a customer is promised: a year is past any store's (the histogram's
    // bins are quarters of it, and its axis is labelled in its hours).
    for (name, v) in [
        ("fulfillment_sla_h", t.fulfillment_sla_h),
        ("express_sla_h", t.express_sla_h),
    ] {
        if v > MAX_SLA_H {
            // 1e300 as written, not its 301 digits.
            let shown = if v < 1e9 {
                v.to_string()
            } else {
                format!("{v:e}")
            };
            return Err(format!(
                "{name} = {shown}: an SLA must be at most {MAX_SLA_H} hours (a year)"
            ));
        }
    }
    if !(c.cost_per_ticket.is_finite() && c.cost_per_ticket >= 0.0) {
        return Err(format!(
            "cost_per_ticket = {}: must be zero or more",
            c.cost_per_ticket
        ));
    }
    for (name, v) in [
        ("repeat_window_days", u64::from(t.repeat_window_days)),
        ("min_sample", t.min_sample),
        (
            "worst_lanes",
            u64::try_from(t.worst_lanes).unwrap_or(u64::MAX),
        ),
    ] {
        if v == 0 {
            return Err(format!("{name} = 0: must be at least 1"));
        }
    }
    if t.vip_min_orders < 2 {
        return Err(format!(
            "vip_min_orders = {}: must be at least 2 (a VIP's own cadence needs a gap between two orders)",
            t.vip_min_orders
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// toml's error for `text` as [`Config::load`] words it: the line, then what.
    fn error_of(text: &str) -> String {
        let e = toml::from_str::<ConfigFile>(text).unwrap_err();
        let span = e.span().unwrap();
        let what = e.message().to_string();
        let line = text[..span.start].matches('\n').count() + 1;
        format!(
            "line {line}: {}",
            wrong_type(text, &what, span).unwrap_or(what)
        )
    }

    /// A value of the wrong type names its key and says what it must be, in words: not
    /// toml's `invalid type: string "48", expected f64`.
    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_key() {
        let cases = [
            (
                "[thresholds]\nfulfillment_sla_h = \"48\"\n",
                "line 2: fulfillment_sla_h = \"48\": must be a number (48, not \"48\")",
            ),
            (
                "[thresholds]\nmin_sample = 30.0\n",
                "line 2: min_sample = 30.0: must be a whole number",
            ),
            (
                "[thresholds]\nmin_sample = -3\n",
                "line 2: min_sample = -3: must be a whole number, 0 or more",
            ),
            // u32: a whole number, too large.
            (
                "[thresholds]\nrepeat_window_days = 5000000000\n",
                "line 2: repeat_window_days = 5000000000: must be a smaller whole number",
            ),
            (
                "[costs]\ncost_per_ticket = \"five\"\n",
                "line 2: cost_per_ticket = \"five\": must be a number",
            ),
            (
                "timezone = 5\n",
                "line 1: timezone = 5: must be text in quotes",
            ),
            (
                "decimal_comma = \"yes\"\n",
                "line 1: decimal_comma = \"yes\": must be true or false",
            ),
            // A dotted key and an inline table are found as well as a table's.
            (
                "thresholds.late_share = '0.1'\n",
                "line 1: late_share = '0.1': must be a number (0.1, not '0.1')",
            ),
            (
                "thresholds = { late_share = \"x\" }\n",
                "line 1: late_share = \"x\": must be a number",
            ),
            (
                "[wismo]\npatterns = [\"where is\", 5]\n",
                "line 2: patterns: item 5 must be text in quotes",
            ),
            (
                "[wismo]\ntags = \"wismo\"\n",
                "line 2: tags = \"wismo\": must be a list in brackets ([...])",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error_of(text), message, "{text}");
        }
        // Other errors keep toml's words, which list the valid choices.
        assert_eq!(
            error_of("[playbook]\nlate-delivery = \"extreme\"\n"),
            "line 2: unknown variant `extreme`, expected one of `low`, `medium`, `high`"
        );
    }
}
