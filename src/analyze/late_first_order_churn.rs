//! late-first-order-churn: customers whose first order arrived late come back less often. The
//! 90-day repeat rate of eligible customers (first order at least 90 days before the data end)
//! whose first order was late is compared with those whose first order was on time: pooled
//! two-proportion z-test, two-sided, each group at least `min_sample`; raised when
//! p < `churn_p_value` (0.05) and the late group's rate is the lower one (SPEC sections 2 and 4).
//!
//! The same comparison for a first order with a WISMO ticket (when the journeys carry
//! `n_wismo_tickets`) and for a first order reviewed <= 2 is shown as evidence, and
//! [`repeat_by_experience`] gives all the groups to the report's chart.

use polars::prelude::*;

use super::{
    affected, first_u64, tickets_on, Analyzer, Context, Evidence, Finding, ImpactBasis, Outcome,
    RepeatDrop, Stage,
};
use crate::error::Result;
use crate::journey::Journeys;
use crate::metrics::repeat_columns;
use crate::report::RateGroup;
use crate::schema as s;
use crate::stats::{two_proportion_z, wilson};

pub const ANALYZER: Analyzer = Analyzer {
    id: "late-first-order-churn",
    stage: Stage::Loyalty,
    description: "Customers whose first order arrived late order again less often",
    automation: "service-recovery flow after a delay",
    kpi: "repeat_rate (late first order)",
    run,
};

/// A first-order experience: which eligible customers it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    All,
    OnTime,
    Late,
    /// First order not delivered against a promise (undelivered, digital, or no promise).
    NotMeasured,
    Wismo,
    NoWismo,
    LowReview,
    HigherReview,
}

impl Group {
    const ALL: [Group; 8] = [
        Group::All,
        Group::OnTime,
        Group::Late,
        Group::NotMeasured,
        Group::Wismo,
        Group::NoWismo,
        Group::LowReview,
        Group::HigherReview,
    ];

    fn label(self) -> &'static str {
        match self {
            Group::All => "all eligible customers",
            Group::OnTime => "first order on time",
            Group::Late => "first order late",
            Group::NotMeasured => "first order not delivered against a promise",
            Group::Wismo => "WISMO ticket on first order",
            Group::NoWismo => "no WISMO ticket on first order",
            Group::LowReview => "first order reviewed 1-2",
            Group::HigherReview => "first order reviewed 3-5",
        }
    }

    fn is_wismo(self) -> bool {
        matches!(self, Group::Wismo | Group::NoWismo)
    }

    /// A group told apart by the first order's lateness against its promise.
    fn is_lateness(self) -> bool {
        matches!(self, Group::OnTime | Group::Late | Group::NotMeasured)
    }

    /// Membership over the eligible-customer frame built by [`eligible_customers`].
    fn mask(self) -> Expr {
        let late = col("first_order_late");
        let low = col("first_order_low_review");
        let wismo = col("_first_wismo");
        match self {
            // `repeated` is never null: every eligible customer.
            Group::All => col("repeated").is_not_null(),
            Group::OnTime => late.eq(lit(false)),
            Group::Late => late.eq(lit(true)),
            Group::NotMeasured => late.is_null(),
            Group::Wismo => wismo.eq(lit(true)),
            Group::NoWismo => wismo.eq(lit(false)),
            Group::LowReview => low.eq(lit(true)),
            Group::HigherReview => low.eq(lit(false)),
        }
        .fill_null(lit(false))
    }
}

/// Customers and repeaters of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Count {
    n: u64,
    k: u64,
}

impl Count {
    fn rate(self) -> Option<f64> {
        (self.n > 0).then(|| self.k as f64 / self.n as f64)
    }
}

/// The groups' counts; `None` for the WISMO groups when the journeys have no ticket counts.
struct Counts(Vec<(Group, Count)>);

impl Counts {
    fn get(&self, g: Group) -> Option<Count> {
        self.0.iter().find(|(x, _)| *x == g).map(|(_, c)| *c)
    }
}

/// True when the journeys carry per-order WISMO ticket counts with at least one value (a
/// tickets table was linked).
fn has_wismo(j: &Journeys) -> bool {
    j.orders
        .column(s::N_WISMO_TICKETS)
        .is_ok_and(|c| c.null_count() < c.len())
}

/// Eligible customers (first order at least the repeat window before the data end) with
/// `repeated`, `first_order_late`, `first_order_low_review` and `_first_wismo` (Boolean).
fn eligible_customers(j: &Journeys, window_days: u32) -> LazyFrame {
    let [eligible, repeated] = repeat_columns(j, window_days);
    let wismo = if has_wismo(j) {
        col(s::N_WISMO_TICKETS).gt(lit(0u32))
    } else {
        lit(NULL).cast(DataType::Boolean)
    };
    let firsts = j
        .orders
        .clone()
        .lazy()
        .filter(col(s::ORDER_SEQ).eq(lit(1u32)))
        .select([
            col(crate::journey::CUSTOMER_INDEX),
            wismo.alias("_first_wismo"),
        ]);
    j.customers
        .clone()
        .lazy()
        .filter(eligible)
        .join(
            firsts,
            [col(crate::journey::CUSTOMER_INDEX)],
            [col(crate::journey::CUSTOMER_INDEX)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            repeated,
            col("first_order_late"),
            col("first_order_low_review"),
            col("_first_wismo"),
        ])
}

/// `lateness`: whether the inputs can tell a first order late or on time (see
/// [`super::lateness_unknown`]); without, the lateness groups are left out, for every first
/// order would be "not delivered against a promise" for want of data, not of a delivery.
fn counts(j: &Journeys, window_days: u32, lateness: bool) -> Result<Counts> {
    let wismo = has_wismo(j);
    let groups: Vec<Group> = Group::ALL
        .into_iter()
        .filter(|g| wismo || !g.is_wismo())
        .filter(|g| lateness || !g.is_lateness())
        .collect();
    let mut exprs = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        exprs.push(g.mask().cast(DataType::UInt32).sum().alias(format!("n{i}")));
        exprs.push(
            g.mask()
                .and(col("repeated"))
                .cast(DataType::UInt32)
                .sum()
                .alias(format!("k{i}")),
        );
    }
    let df = eligible_customers(j, window_days).select(exprs).collect()?;
    let mut out = Vec::new();
    // One entry per group (at most eight), from a one-row result.
    for (i, g) in groups.into_iter().enumerate() {
        out.push((
            g,
            Count {
                n: first_u64(&df, &format!("n{i}"))?,
                k: first_u64(&df, &format!("k{i}"))?,
            },
        ));
    }
    Ok(Counts(out))
}

/// 90-day repeat rate by first-order experience, with Wilson 95% intervals, for the report's
/// chart: all eligible customers, on time, late, not measured, WISMO ticket or not (when the
/// journeys carry ticket counts), reviewed 1-2 or 3-5. A group with no customer has a null rate.
/// The on-time, late and not-measured groups are left out when `lateness` is false: the inputs
/// cannot tell lateness (no delivery data, or no delivered order with both a delivery time and a promise; see
/// [`super::lateness_unknown`]).
pub fn repeat_by_experience(
    j: &Journeys,
    window_days: u32,
    lateness: bool,
) -> Result<Vec<RateGroup>> {
    let c = counts(j, window_days, lateness)?;
    Ok(c.0
        .iter()
        .map(|(g, c)| RateGroup {
            label: g.label().to_string(),
            n: c.n,
            k: c.k,
            rate: c.rate(),
            ci95: wilson(c.k, c.n),
        })
        .collect())
}

fn share(g: Group, c: Count, window: u32) -> Evidence {
    Evidence::share(
        &format!("{window}-day repeat rate, {}", g.label()),
        c.k,
        c.n,
    )
}

fn run(ctx: &Context) -> Result<Outcome> {
    if let Some(outcome) = super::without_customers(ctx) {
        return Ok(outcome);
    }
    if let Some(outcome) = super::without_lateness(ctx) {
        return Ok(outcome);
    }
    let t = &ctx.config.thresholds;
    let window = t.repeat_window_days;
    let c = counts(ctx.journeys, window, true)?;
    let late = c.get(Group::Late).unwrap_or_default();
    let on_time = c.get(Group::OnTime).unwrap_or_default();
    let n = late.n.min(on_time.n);
    if n < t.min_sample {
        return Ok(Outcome::NotEnoughData { n });
    }
    // The sample the test runs on: both groups (the minimum applies to the smaller one).
    let compared = late.n + on_time.n;
    let late_rate = late.rate();
    let test = two_proportion_z(late.k, late.n, on_time.k, on_time.n);
    // No customer in either group came back (or every one did): the rates cannot differ, and
    // the test has nothing to tell; "clear" would read as "late first orders do no harm".
    if test.is_none() {
        let came_back = if late.k == 0 { "none" } else { "every one" };
        return Ok(Outcome::NotApplicable {
            why: format!(
                "{came_back} of the {compared} eligible customers with a first order late or on time ordered again within {window} days: no repeat rates to compare"
            ),
        });
    }
    let raised = test.is_some_and(|z| z.p_value < t.churn_p_value && z.p1 < z.p2);
    let Some(test) = test.filter(|_| raised) else {
        return Ok(Outcome::Clear {
            n: compared,
            kpi_value: late_rate,
            note: None,
        });
    };
    let mut evidence = vec![
        share(Group::Late, late, window),
        share(Group::OnTime, on_time, window),
        Evidence::new("z (late vs on time, pooled)", test.z, "z"),
        Evidence::new("p (two-sided)", test.p_value, "p-value"),
    ];
    // The same comparison for the other first-order experiences, as evidence.
    for (bad, good) in [
        (Group::Wismo, Group::NoWismo),
        (Group::LowReview, Group::HigherReview),
    ] {
        let (Some(b), Some(g)) = (c.get(bad), c.get(good)) else {
            continue;
        };
        if b.n == 0 || g.n == 0 {
            continue;
        }
        evidence.push(share(bad, b, window));
        evidence.push(share(good, g, window));
        if b.n >= t.min_sample && g.n >= t.min_sample {
            if let Some(z) = two_proportion_z(b.k, b.n, g.k, g.n) {
                evidence.push(Evidence::new(
                    &format!("p (two-sided), {} vs {}", bad.label(), good.label()),
                    z.p_value,
                    "p-value",
                ));
            }
        }
    }
    let late_first = col(s::ORDER_SEQ)
        .eq(lit(1u32))
        .and(col(s::LATE).eq(lit(true)));
    let (orders, customers) = affected(ctx, late_first.clone())?;
    Ok(Outcome::Raised(Finding {
        n: compared,
        title: format!(
            "After a late first order {:.1}% of customers come back within {window} days, vs {:.1}% after an on-time one (p = {})",
            test.p1 * 100.0,
            test.p2 * 100.0,
            crate::stats::fmt_p(test.p_value)
        ),
        evidence,
        breakdown: Vec::new(),
        affected_orders: orders,
        affected_customers: customers,
        kpi_value: late_rate,
        impact: ImpactBasis {
            tickets: tickets_on(ctx, late_first)?,
            lost_revenue: None,
            repeat_drop: RepeatDrop::Measured {
                affected_rate: test.p1,
                others_rate: test.p2,
                affected: late.n,
                others: on_time.n,
            },
        },
    }))
}
