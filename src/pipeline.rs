//! The whole `analyze` path: folder -> store -> journeys -> KPIs -> snags -> [`Report`].

use std::path::Path;

use polars::prelude::*;

use crate::analyze::{Context, Outcome, ANALYZERS};
use crate::config::Config;
use crate::error::Result;
use crate::journey::{self, Journeys};
use crate::quality::DataQuality;
use crate::report::{
    Charts, Check, HistogramBin, KpiRef, NotEnoughData, Report, Snag, StoreInfo, Window,
    SCHEMA_VERSION,
};
use crate::schema::{self as s, TableKind};
use crate::score::{self, ScoringBase};
use crate::{ingest, metrics, timings};

/// The result of one analysis: the report and the per-order and per-customer tables.
pub struct Analysis {
    pub report: Report,
    pub journeys: Journeys,
    /// The loaded tables (for exports that need rows the journeys fold, such as shipments).
    pub store: crate::ingest::Store,
}

/// Runs the analysis of the exports in `dir`: [`build`], then [`report`].
///
/// Errors: see [`ingest::load`]; internal data-frame errors.
pub fn analyze(dir: &Path, config: &Config) -> Result<Analysis> {
    let _t = timings::span("pipeline::analyze");
    let built = build(dir, config)?;
    let report = report(&built, config)?;
    Ok(Analysis {
        report,
        journeys: built.journeys,
        store: built.store,
    })
}

/// The loaded tables and the journeys, before any KPI or analyzer: all that the per-order
/// tables (journeys, customers, tickets, event log) are written from, so they can be written
/// while [`report`] runs.
pub struct Built {
    pub store: crate::ingest::Store,
    pub journeys: Journeys,
    /// The data-quality audit of import and journeys (complete: nothing later adds to it).
    pub data_quality: DataQuality,
}

/// Loads the exports in `dir` and builds the journeys.
///
/// Errors: see [`ingest::load`] and [`journey::build`].
pub fn build(dir: &Path, config: &Config) -> Result<Built> {
    let mut dq = DataQuality::default();
    let store = {
        let _t = timings::span("ingest::load");
        let mut store = ingest::load(dir, &config.read, &config.mappings, &mut dq)?;
        store.orders =
            ingest::fill_empty_currencies(store.orders, config.currency.as_deref(), &mut dq)?;
        store
    };
    let journeys = {
        let _t = timings::span("journey::build");
        journey::build(
            &store,
            config.read.timezone,
            config.as_of,
            &config.wismo,
            &mut dq,
        )?
    };
    Ok(Built {
        store,
        journeys,
        data_quality: dq,
    })
}

/// KPIs, analyzers, scores and charts of `built`: the [`Report`] (without `generated_at` and
/// `comparison`, which the caller sets).
///
/// Errors: internal data-frame errors.
pub fn report(built: &Built, config: &Config) -> Result<Report> {
    let Built {
        store,
        journeys,
        data_quality: dq,
    } = built;
    let metrics_span = timings::span("metrics::compute");
    let (kpis, revenue_by_currency) = metrics::compute(store, journeys, config)?;
    let window_days =
        ((journeys.as_of - journeys.start).num_milliseconds() as f64 / 86_400_000.0).max(0.0);
    let scoring_currency =
        crate::analyze::scoring_currency(&revenue_by_currency, config.currency.as_deref());
    // With several currencies, the revenue the 1% test compares with is the scoring currency's.
    let scored_revenue = match &scoring_currency {
        Some(c) => revenue_by_currency
            .iter()
            .find(|r| r.currency == *c)
            .map(|r| r.revenue),
        None => kpis.revenue,
    };
    let ctx = Context {
        store,
        journeys,
        kpis: &kpis,
        config,
        scoring_currency: scoring_currency.as_deref(),
    };
    let repeat_order_value = mean_repeat_order_value(&ctx)?;
    let base = ScoringBase {
        window_days,
        revenue_per_30d: scored_revenue.map(|r| r * 30.0 / window_days.max(1.0)),
        mean_repeat_order_value: repeat_order_value.0,
        repeat_orders: repeat_order_value.1,
        min_sample: config.thresholds.min_sample,
        significance: config.thresholds.churn_p_value,
        repeat_window_days: config.thresholds.repeat_window_days,
    };
    drop(metrics_span);
    let analyzers_span = timings::span("analyzers");
    let mut snags = Vec::new();
    let mut not_enough_data = Vec::new();
    let mut checks = Vec::new();
    for a in ANALYZERS {
        let outcome = {
            let _t = timings::span(format!("analyzer {}", a.id));
            (a.run)(&ctx)?
        };
        let (status, n, value, note) = match &outcome {
            Outcome::Raised(f) => ("raised", Some(f.n), f.kpi_value, None),
            Outcome::Clear { n, kpi_value, note } => ("clear", Some(*n), *kpi_value, note.clone()),
            Outcome::NotEnoughData { n } => ("not_enough_data", Some(*n), None, None),
            Outcome::NotApplicable { why } => ("not_applicable", None, None, Some(why.clone())),
        };
        checks.push(Check {
            id: a.id,
            stage: a.stage,
            status,
            n,
            kpi: KpiRef { name: a.kpi, value },
            note,
        });
        match outcome {
            Outcome::Raised(f) => {
                let sc = score::score(a, &f, &base, &config.costs, &config.playbook);
                snags.push(Snag {
                    id: a.id,
                    stage: a.stage,
                    title: f.title,
                    quadrant: sc.quadrant,
                    impact_per_30d: sc.impact_per_30d,
                    impact_terms: sc.terms,
                    high_impact: sc.high_impact,
                    effort: sc.effort,
                    affected_orders: f.affected_orders,
                    affected_customers: f.affected_customers,
                    evidence: f.evidence,
                    breakdown: f.breakdown,
                    automation: a.automation,
                    kpi: KpiRef {
                        name: a.kpi,
                        value: f.kpi_value,
                    },
                });
            }
            Outcome::NotEnoughData { n } => not_enough_data.push(NotEnoughData { id: a.id, n }),
            _ => {}
        }
    }
    drop(analyzers_span);
    let _charts = timings::span("charts");
    let wismo_daily = match crate::analyze::wismo_spike::daily(&ctx)? {
        Some(d) => crate::analyze::wismo_spike::chart(&d)?,
        None => Vec::new(),
    };
    // Ranked by impact (a snag that could not be priced after every priced one), then
    // quadrant, then id, so equal impacts order the same every run.
    snags.sort_by(|a, b| {
        let rank = |s: &Snag| s.impact_per_30d.unwrap_or(f64::NEG_INFINITY);
        rank(b)
            .total_cmp(&rank(a))
            .then(a.quadrant.cmp(&b.quadrant))
            .then(a.id.cmp(b.id))
    });
    // The data's own currency, when it names one, wins over the config's: the amounts are in
    // it. A config currency that disagrees is reported, not used to relabel them.
    let data_currency = match revenue_by_currency.as_slice() {
        [one] if !one.currency.is_empty() => Some(one.currency.clone()),
        _ => None,
    };
    let mut data_quality = dq.entries();
    if let Some(c) = &scoring_currency {
        data_quality.push(several_currencies(store, &revenue_by_currency, c, config));
    }
    let currency = match (&config.currency, data_currency.or(scoring_currency)) {
        (Some(given), Some(data)) if !given.eq_ignore_ascii_case(&data) => {
            data_quality.push(crate::quality::QualityEntry {
                file: config.source.clone().unwrap_or_else(|| "config".into()),
                reason: format!(
                    "currency = \"{given}\" differs from the orders' currency {data} (amounts are shown in {data})"
                ),
                effect: crate::quality::Effect::Warning,
                count: 1,
                first_lines: Vec::new(),
                example: Some(given.clone()),
            });
            Some(data)
        }
        (Some(given), _) => Some(given.clone()),
        (None, data) => data,
    };
    // The chart's on-time, late and not-measured groups need lateness the inputs can tell.
    let lateness_known = crate::analyze::lateness_unknown(&kpis).is_none();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        generated_at: None,
        window: if journeys.orders.height() == 0 {
            Window {
                start: None,
                end: None,
                days: None,
            }
        } else {
            Window {
                start: Some(crate::report::instant(journeys.start)),
                end: Some(crate::report::instant(journeys.as_of)),
                days: Some(window_days),
            }
        },
        store: StoreInfo {
            timezone: config.read.timezone.name().to_string(),
            timezone_assumed: config.timezone_assumed,
            currency,
            config: config.source.clone(),
            times_known_to_the_day: store
                .date_only
                .iter()
                .map(|d| format!("{} ({})", d.column, d.file))
                .collect(),
            as_of_source: match (config.as_of, journeys.data_end_event) {
                (Some(_), _) => "--as-of".into(),
                (None, Some(event)) => format!("latest event in the data ({event})"),
                (None, None) => "latest event in the data".into(),
            },
            data_end_event: journeys.data_end_event.filter(|_| config.as_of.is_none()),
        },
        inputs: store.inputs.clone(),
        skipped_files: store.skipped.clone(),
        kpis,
        revenue_by_currency,
        repeat_window_days: config.thresholds.repeat_window_days,
        settings: crate::report::Settings {
            thresholds: config.thresholds.clone(),
            costs: config.costs.clone(),
            playbook: config.playbook.clone(),
        },
        snags,
        not_enough_data,
        checks,
        data_quality,
        charts: Charts {
            fulfillment_hist: fulfillment_histogram(
                &journeys.orders,
                config.thresholds.fulfillment_sla_h,
            )?,
            fulfillment_sla_h: config.thresholds.fulfillment_sla_h,
            cohorts: crate::analyze::cohort_retention(journeys, config.read.timezone)?,
            repeat_by_experience: if journeys.customers.height() == 0 {
                Vec::new()
            } else {
                crate::analyze::repeat_by_experience(
                    journeys,
                    config.thresholds.repeat_window_days,
                    lateness_known,
                )?
            },
            wismo_daily,
        },
        comparison: None,
    };
    Ok(report)
}

/// The data-quality note of a store whose orders carry several currencies: which one impacts
/// are priced in, and that amounts in the others are left out of them (not converted).
fn several_currencies(
    store: &ingest::Store,
    by_currency: &[crate::metrics::CurrencyRevenue],
    priced_in: &str,
    config: &Config,
) -> crate::quality::QualityEntry {
    let counts = by_currency
        .iter()
        .map(|c| {
            let name = if c.currency.is_empty() {
                "no currency"
            } else {
                &c.currency
            };
            format!("{name} {}", c.orders)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let why = match &config.currency {
        Some(given) if given.eq_ignore_ascii_case(priced_in) => "the configured currency",
        _ => "the currency of most orders",
    };
    crate::quality::QualityEntry {
        file: store
            .inputs
            .iter()
            .filter(|f| f.kind == TableKind::Orders)
            .map(|f| f.file.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        reason: format!(
            "orders in {} currencies ({counts} non-cancelled orders with an amount): impacts are priced in {priced_in}, {why}; amounts in other currencies are left out of them, not converted",
            by_currency.len()
        ),
        effect: crate::quality::Effect::Warning,
        count: by_currency
            .iter()
            .filter(|c| c.currency != priced_in)
            .map(|c| c.orders)
            .sum(),
        first_lines: Vec::new(),
        example: None,
    }
}

/// Mean net value of repeat orders, store currency (with several currencies, of the repeat
/// orders in the scoring currency). A repeat order is a customer's non-cancelled order placed
/// strictly after the first order's instant (SPEC section 2, repeat purchase): a second order
/// placed at the same instant as the first (`order_seq` 2, one visit) is not one. Returns the
/// mean and the number of repeat orders with a value it is taken over.
fn mean_repeat_order_value(ctx: &Context) -> Result<(Option<f64>, u64)> {
    use crate::journey::CUSTOMER_INDEX;
    let first_orders = ctx
        .journeys
        .customers
        .clone()
        .lazy()
        .select([col(CUSTOMER_INDEX), col("first_order_at")]);
    let df = ctx
        .journeys
        .orders
        .clone()
        .lazy()
        .filter(
            col(s::ORDER_SEQ)
                .gt_eq(lit(2u32))
                .and(ctx.in_scoring_currency()),
        )
        .select([col(CUSTOMER_INDEX), col(s::PLACED_AT), col(s::NET_REVENUE)])
        .join(
            first_orders,
            [col(CUSTOMER_INDEX)],
            [col(CUSTOMER_INDEX)],
            // Every numbered order's customer is in the table; the journeys' order keeps the
            // mean's summation order, and so its last digit, the same from run to run.
            crate::journey::left_join_keeping_order(),
        )
        .filter(col(s::PLACED_AT).gt(col("first_order_at")))
        .select([
            col(s::NET_REVENUE).mean().alias("v"),
            col(s::NET_REVENUE).count().alias("n"),
        ])
        .collect()?;
    Ok((
        crate::analyze::first_f64(&df, "v")?,
        crate::analyze::first_u64(&df, "n")?,
    ))
}

/// Closed bins of the order-to-ship histogram, each a quarter of the fulfillment SLA wide.
pub const FULFILLMENT_BINS: usize = 12;

/// The order-to-ship histogram's group of orders with no shipping method (`shipping_tier` null).
pub const NO_TIER: &str = "no shipping method";

/// Order-to-ship histogram bin edges, hours: [`FULFILLMENT_BINS`] equal bins of `sla_h` / 4
/// from 0 to 3 x `sla_h` (0, 12, ..., 144 at the default 48 h SLA), so the SLA is an edge and
/// bars compare by height; the last edge is the lower one of the open bin of waits of 3 x the
/// SLA or more. (Bins of 12 to 96 h drawn at equal width made a long wait look as common as a
/// short one.)
pub fn fulfillment_edges(sla_h: f64) -> Vec<f64> {
    (0..=FULFILLMENT_BINS)
        .map(|i| i as f64 * sla_h / 4.0)
        .collect()
}

/// Orders per order-to-ship bin ([`fulfillment_edges`] of `sla_h`) and shipping tier, from
/// `orders` (`fulfillment_wait_h` Float64, hours, null when not shipped; `shipping_tier`
/// String). Only bins holding orders are listed; a wait below 0 counts in the first bin.
fn fulfillment_histogram(orders: &DataFrame, sla_h: f64) -> Result<Vec<HistogramBin>> {
    let edges = fulfillment_edges(sla_h);
    let w = col(s::FULFILLMENT_WAIT_H);
    let bin = (w.clone() / lit(sla_h / 4.0))
        .floor()
        .clip_min(lit(0.0))
        .clip_max(lit(FULFILLMENT_BINS as f64));
    let df = orders
        .clone()
        .lazy()
        .filter(w.is_not_null())
        .group_by([
            col(s::SHIPPING_TIER),
            bin.cast(DataType::UInt32).alias("bin"),
        ])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .sort([s::SHIPPING_TIER, "bin"], SortMultipleOptions::default())
        .collect()?;
    let tiers = df.column(s::SHIPPING_TIER)?.str()?;
    let bins = df.column("bin")?.u32()?;
    let ns = df.column("n")?.u64()?;
    // One row per (tier, bin): at most 2 x 13 rows.
    Ok((0..df.height())
        .map(|i| {
            let b = (bins.get(i).unwrap_or(0) as usize).min(FULFILLMENT_BINS);
            HistogramBin {
                // Orders without a shipping method have no tier: a bar of their own.
                tier: tiers.get(i).unwrap_or(NO_TIER).to_string(),
                lower_h: edges[b],
                upper_h: edges.get(b + 1).copied(),
                orders: ns.get(i).unwrap_or(0),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal bins of a quarter of the SLA to 3 x the SLA, then one open bin: at a 48 h SLA,
    /// 11.9 h and 0 h fall in 0-12, 12 h in 12-24, 48 h in 48-60, 143.9 h in 132-144, 144 h
    /// and 500 h in 144+; a wait below 0 in the first bin, an unshipped order in none.
    #[test]
    fn fulfillment_bins_are_equal_to_three_slas_then_open() {
        assert_eq!(
            fulfillment_edges(48.0),
            [0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0, 84.0, 96.0, 108.0, 120.0, 132.0, 144.0]
        );
        let orders = df!(
            s::FULFILLMENT_WAIT_H => [Some(0.0), Some(11.9), Some(-1.0), Some(12.0), Some(48.0),
                Some(143.9), Some(144.0), Some(500.0), None, Some(20.0)],
            s::SHIPPING_TIER => ["standard", "standard", "standard", "standard", "standard",
                "standard", "standard", "standard", "standard", "express"],
        )
        .unwrap();
        let bin = |tier: &str, lower_h: f64, upper_h: Option<f64>, orders: u64| HistogramBin {
            tier: tier.into(),
            lower_h,
            upper_h,
            orders,
        };
        assert_eq!(
            fulfillment_histogram(&orders, 48.0).unwrap(),
            [
                bin("express", 12.0, Some(24.0), 1),
                bin("standard", 0.0, Some(12.0), 3),
                bin("standard", 12.0, Some(24.0), 1),
                bin("standard", 48.0, Some(60.0), 1),
                bin("standard", 132.0, Some(144.0), 1),
                bin("standard", 144.0, None, 2),
            ]
        );
        // A 24 h SLA: 6 h bins to 72 h, so 20 h is in 18-24 and 500 h in 72+.
        let hist = fulfillment_histogram(&orders, 24.0).unwrap();
        assert_eq!(hist[0], bin("express", 18.0, Some(24.0), 1));
        assert_eq!(hist.last(), Some(&bin("standard", 72.0, None, 3)));
    }
}
