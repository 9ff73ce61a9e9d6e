//! Pricing and placing snags (SPEC section 4): impact per 30 days, effort from the playbook,
//! and the impact/effort quadrant.
//!
//! Impact per 30 days = (support cost + revenue at risk) x 30 / window days, where support cost
//! = tickets on the affected orders x `cost_per_ticket`, and revenue at risk = cancelled revenue
//! (stockouts) or affected customers x measured drop in 90-day repeat rate x mean repeat-order
//! value. A term that cannot be measured is listed as such, never priced at a made-up value.

use std::collections::BTreeMap;

use crate::analyze::{Analyzer, Finding, RepeatDrop, Tickets};
use crate::config::Costs;

/// Effort to put an automation in place.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Low,
    Medium,
    High,
}

/// The impact/effort matrix cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quadrant {
    /// High impact, low effort.
    StartHere,
    /// High impact, medium or high effort.
    PlanNext,
    /// Low impact, low effort.
    NiceToHave,
    /// Low impact, medium or high effort.
    HoldOff,
}

impl Quadrant {
    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::StartHere => "start-here",
            Quadrant::PlanNext => "plan-next",
            Quadrant::NiceToHave => "nice-to-have",
            Quadrant::HoldOff => "hold-off",
        }
    }

    /// SPEC section 4: high + low = start-here; high + medium/high = plan-next; low + low =
    /// nice-to-have; low + medium/high = hold-off.
    pub fn of(high_impact: bool, effort: Effort) -> Quadrant {
        match (high_impact, effort) {
            (true, Effort::Low) => Quadrant::StartHere,
            (true, _) => Quadrant::PlanNext,
            (false, Effort::Low) => Quadrant::NiceToHave,
            (false, _) => Quadrant::HoldOff,
        }
    }
}

/// The built-in playbook: effort of each snag's automation.
pub fn default_effort(id: &str) -> Effort {
    match id {
        "slow-fulfillment"
        | "express-buried"
        | "hold-wait"
        | "wismo-load"
        | "wismo-spike"
        | "monday-surge"
        | "stockout-cancellations"
        | "review-gap" => Effort::Low,
        "late-delivery"
        | "weekend-backlog"
        | "repeat-dropoff"
        | "late-first-order-churn"
        | "vip-at-risk" => Effort::Medium,
        _ => Effort::High,
    }
}

/// One term of a snag's impact, for the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImpactTerm {
    /// `support_cost` or `revenue_at_risk`.
    pub name: &'static str,
    /// Per 30 days, store currency; `None` when not measurable.
    pub value_per_30d: Option<f64>,
    /// How it was computed, with the measured inputs, or why it could not be.
    pub basis: String,
}

/// How the basis of a term that does not apply to its snag begins.
const NOT_APPLICABLE: &str = "not applicable";
/// How the basis of a repeat-rate difference (a drop or a rise) too small to tell from
/// chance begins.
const NOT_SIGNIFICANT: &str = "repeat-rate difference not significant";

impl ImpactTerm {
    /// A term without a value as reports show it: `not applicable` (the snag has no such
    /// term), `not significant` (a repeat-rate difference measured, but not told from chance), or
    /// `not measured` (the inputs could not price it).
    pub fn unpriced_text(&self) -> &'static str {
        if self.basis.starts_with(NOT_APPLICABLE) {
            NOT_APPLICABLE
        } else if self.basis.starts_with(NOT_SIGNIFICANT) {
            "not significant"
        } else {
            "not measured"
        }
    }
}

/// The store-level figures scoring needs.
#[derive(Debug, Clone, Copy)]
pub struct ScoringBase {
    /// Data window, days (>= 1).
    pub window_days: f64,
    /// Revenue per 30 days; `None` when unknown (no totals, or mixed currencies).
    pub revenue_per_30d: Option<f64>,
    /// Mean net value of repeat orders (order_seq >= 2).
    pub mean_repeat_order_value: Option<f64>,
    /// The repeat orders that mean is taken over: below `min_sample` it prices nothing (a
    /// mean of 2 orders is no store's repeat-order value).
    pub repeat_orders: u64,
    /// The minimum sample (config `min_sample`).
    pub min_sample: u64,
    /// The significance level a repeat-rate drop between two groups must reach to be priced
    /// (config `churn_p_value`, 0.05: the level late-first-order-churn tests its drop at).
    pub significance: f64,
    /// The repeat window, days, that repeat-rate drops are measured over (for the basis text).
    pub repeat_window_days: u32,
}

/// A scored snag's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The priced terms' sum, per 30 days; `None` when no term could be priced (not a 0).
    pub impact_per_30d: Option<f64>,
    pub terms: Vec<ImpactTerm>,
    pub effort: Effort,
    pub high_impact: bool,
    pub quadrant: Quadrant,
}

/// Prices and places one finding.
pub fn score(
    a: &Analyzer,
    f: &Finding,
    base: &ScoringBase,
    costs: &Costs,
    playbook: &BTreeMap<String, Effort>,
) -> Scored {
    let per_30d = 30.0 / base.window_days.max(1.0);
    let priced = |t: f64, which: &str| ImpactTerm {
        name: "support_cost",
        value_per_30d: Some(t * costs.cost_per_ticket * per_30d),
        basis: format!(
            "{t:.0} tickets {which} x {:.2} per ticket",
            costs.cost_per_ticket
        ),
    };
    let support = match f.impact.tickets {
        Tickets::Counted(t) => priced(t, "on affected orders"),
        Tickets::AboveEvenSpread(t) => priced(t, "above an even spread over the weekdays"),
        Tickets::NoTicketsTable => ImpactTerm {
            name: "support_cost",
            value_per_30d: None,
            basis: "no tickets linked to these orders (no tickets table)".into(),
        },
        Tickets::NotApplicable => ImpactTerm {
            name: "support_cost",
            value_per_30d: None,
            basis: format!("{NOT_APPLICABLE}: this snag raises no tickets of its own"),
        },
    };
    let revenue = revenue_term(f, base, per_30d);
    let impact_per_30d = match (support.value_per_30d, revenue.value_per_30d) {
        (None, None) => None,
        (s, r) => Some(s.unwrap_or(0.0) + r.unwrap_or(0.0)),
    };
    let effort = playbook
        .get(a.id)
        .copied()
        .unwrap_or_else(|| default_effort(a.id));
    let high_impact = base
        .revenue_per_30d
        .zip(impact_per_30d)
        .is_some_and(|(r, i)| r > 0.0 && i >= costs.high_impact_share * r);
    Scored {
        impact_per_30d,
        terms: vec![support, revenue],
        effort,
        high_impact,
        quadrant: Quadrant::of(high_impact, effort),
    }
}

fn revenue_term(f: &Finding, base: &ScoringBase, per_30d: f64) -> ImpactTerm {
    let term = |v: Option<f64>, basis: String| ImpactTerm {
        name: "revenue_at_risk",
        value_per_30d: v,
        basis,
    };
    if let Some(lost) = f.impact.lost_revenue {
        return term(
            Some(lost * per_30d),
            format!("cancelled order value {lost:.2} over the window"),
        );
    }
    match (&f.impact.repeat_drop, base.mean_repeat_order_value) {
        (RepeatDrop::NotApplicable, _) => term(None, NOT_APPLICABLE.into()),
        (RepeatDrop::NotMeasurable { affected, others }, _) => term(
            None,
            format!("repeat-rate drop not measurable: {affected} affected and {others} other customers old enough for the {}-day window (need the minimum sample in both)", base.repeat_window_days),
        ),
        (RepeatDrop::Lapsing { customers, revenue_per_30d }, _) => term(
            Some(*customers as f64 * revenue_per_30d),
            format!(
                "{customers} lapsing customers x their mean revenue {revenue_per_30d:.2} per 30 days"
            ),
        ),
        (RepeatDrop::Measured { .. }, None) => term(None, "no repeat orders to value".into()),
        (RepeatDrop::Measured { .. }, Some(_)) if base.repeat_orders < base.min_sample => term(
            None,
            format!(
                "mean repeat order not measurable: {} repeat orders (need the minimum sample, {})",
                base.repeat_orders, base.min_sample
            ),
        ),
        (
            RepeatDrop::Measured {
                affected_rate,
                others_rate,
                affected,
                others,
            },
            Some(value),
        ) => {
            // Between two groups, a difference of either sign that is not significant is
            // chance: unpriced, so that a comparison leaves it out of both impacts whichever
            // way it leaned (a rise priced 0 against a drop left out made the sign of noise
            // decide "worse").
            if let Some(p) = difference_p_value(*affected_rate, *affected, *others_rate, *others)
                .filter(|p| *p >= base.significance)
            {
                return term(
                    None,
                    format!(
                        "{NOT_SIGNIFICANT}: {:.1}% of {affected} vs {:.1}% of {others} customers (p = {}, priced from p < {})",
                        affected_rate * 100.0,
                        others_rate * 100.0,
                        crate::stats::fmt_p(p),
                        base.significance
                    ),
                );
            }
            let drop = (others_rate - affected_rate).max(0.0);
            let v = f.affected_customers as f64 * drop * value;
            let basis = if affected_rate > others_rate {
                // A significant rise is not a drop of 0: say that the affected customers
                // repeat more.
                format!(
                    "no repeat-rate drop ({:.1}% vs {:.1}%: affected customers repeat more)",
                    affected_rate * 100.0,
                    others_rate * 100.0
                )
            } else {
                format!(
                    "{} customers x repeat-rate drop {:.1} pts ({:.1}% vs {:.1}%) x mean repeat order {value:.2}",
                    f.affected_customers,
                    drop * 100.0,
                    affected_rate * 100.0,
                    others_rate * 100.0
                )
            };
            term(Some(v * per_30d), basis)
        }
    }
}

/// The two-sided p-value of a repeat-rate difference between two groups of customers (pooled
/// two-proportion z-test, as late-first-order-churn's), from their rates and sizes; 1 when
/// neither group varies (both rates 0, or both 1: no difference); `None` when there is one
/// group only (a drop against a target, repeat-dropoff's, `others` 0).
fn difference_p_value(
    affected_rate: f64,
    affected: u64,
    others_rate: f64,
    others: u64,
) -> Option<f64> {
    if affected == 0 || others == 0 {
        return None;
    }
    let k = |rate: f64, n: u64| (rate * n as f64).round() as u64;
    let test = crate::stats::two_proportion_z(
        k(affected_rate, affected),
        affected,
        k(others_rate, others),
        others,
    );
    Some(test.map_or(1.0, |t| t.p_value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Finding, ImpactBasis, Outcome, Stage};

    /// A scoring base with the defaults' minimum sample (30) and repeat window (90 days).
    fn scoring_base(
        window_days: f64,
        revenue_per_30d: Option<f64>,
        mean_repeat_order_value: Option<f64>,
        repeat_orders: u64,
    ) -> ScoringBase {
        ScoringBase {
            window_days,
            revenue_per_30d,
            mean_repeat_order_value,
            repeat_orders,
            min_sample: 30,
            significance: 0.05,
            repeat_window_days: 90,
        }
    }

    fn analyzer() -> Analyzer {
        Analyzer {
            id: "late-delivery",
            stage: Stage::Delivery,
            description: "",
            automation: "",
            kpi: "",
            run: |_| Ok(Outcome::NotEnoughData { n: 0 }),
        }
    }

    fn finding(tickets: Tickets, drop: RepeatDrop) -> Finding {
        Finding {
            n: 100,
            title: String::new(),
            evidence: vec![],
            breakdown: vec![],
            affected_orders: 50,
            affected_customers: 40,
            kpi_value: None,
            impact: ImpactBasis {
                tickets,
                lost_revenue: None,
                repeat_drop: drop,
            },
        }
    }

    #[test]
    fn impact_is_support_plus_revenue_scaled_to_30_days() {
        let base = scoring_base(60.0, Some(10_000.0), Some(80.0), 100);
        let drop = RepeatDrop::Measured {
            affected_rate: 0.10,
            others_rate: 0.30,
            affected: 40,
            others: 400,
        };
        // Support: 20 tickets x 5.00 = 100 over 60 days -> 50 per 30 days.
        // Revenue: 40 customers x 0.20 x 80 = 640 over 60 days -> 320 per 30 days.
        let s = score(
            &analyzer(),
            &finding(Tickets::Counted(20.0), drop),
            &base,
            &Costs::default(),
            &BTreeMap::new(),
        );
        assert!(
            (s.impact_per_30d.unwrap() - 370.0).abs() < 1e-9,
            "{:?}",
            s.impact_per_30d
        );
        // 370 >= 1% of 10,000: high impact; late-delivery is medium effort.
        assert!(s.high_impact);
        assert_eq!(s.quadrant, Quadrant::PlanNext);
    }

    #[test]
    fn unmeasurable_terms_are_not_priced() {
        let base = scoring_base(30.0, Some(1_000.0), Some(80.0), 100);
        let drop = RepeatDrop::NotMeasurable {
            affected: 3,
            others: 10,
        };
        let mut playbook = BTreeMap::new();
        playbook.insert("late-delivery".to_string(), Effort::Low);
        let s = score(
            &analyzer(),
            &finding(Tickets::NoTicketsTable, drop),
            &base,
            &Costs::default(),
            &playbook,
        );
        assert_eq!(s.impact_per_30d, None);
        assert!(s.terms.iter().all(|t| t.value_per_30d.is_none()));
        assert_eq!(s.quadrant, Quadrant::NiceToHave);
    }

    #[test]
    fn lapsing_customers_are_priced_per_30_days_as_measured() {
        // 12 lapsing VIPs x 40.00 per 30 days each = 480 per 30 days, whatever the window.
        let base = scoring_base(365.0, Some(10_000.0), Some(80.0), 100);
        let lapsing = RepeatDrop::Lapsing {
            customers: 12,
            revenue_per_30d: 40.0,
        };
        let s = score(
            &analyzer(),
            &finding(Tickets::NotApplicable, lapsing),
            &base,
            &Costs::default(),
            &BTreeMap::new(),
        );
        assert!(
            (s.impact_per_30d.unwrap() - 480.0).abs() < 1e-9,
            "{:?}",
            s.impact_per_30d
        );
    }

    /// A snag that raises no tickets of its own says so; only a store without a tickets table
    /// is told it has none.
    #[test]
    fn support_cost_basis_says_why_it_is_not_priced() {
        let base = scoring_base(30.0, Some(1_000.0), None, 0);
        let basis = |tickets| {
            let s = score(
                &analyzer(),
                &finding(tickets, RepeatDrop::NotApplicable),
                &base,
                &Costs::default(),
                &BTreeMap::new(),
            );
            assert_eq!(s.terms[0].name, "support_cost");
            assert_eq!(s.terms[0].value_per_30d, None);
            s.terms[0].basis.clone()
        };
        assert!(basis(Tickets::NotApplicable).starts_with("not applicable"));
        assert!(basis(Tickets::NoTicketsTable).contains("no tickets table"));
    }

    /// Between two groups, a repeat-rate difference that is not significant is chance either
    /// way: a rise is unpriced like a drop (a rise priced 0 was compared where a drop was left
    /// out, so the sign of noise decided "worse"), and so are equal rates; a significant rise
    /// is priced 0 and says that the affected customers repeat more.
    #[test]
    fn a_repeat_rate_rise_is_priced_only_when_significant() {
        let base = scoring_base(30.0, Some(1_000.0), Some(80.0), 100);
        // `k` of 100 affected customers repeat against 100 of 400 others (25%).
        let revenue = |k: u64| {
            let s = score(
                &analyzer(),
                &finding(
                    Tickets::NotApplicable,
                    RepeatDrop::Measured {
                        affected_rate: k as f64 / 100.0,
                        others_rate: 0.25,
                        affected: 100,
                        others: 400,
                    },
                ),
                &base,
                &Costs::default(),
                &BTreeMap::new(),
            );
            assert_eq!(s.terms[1].name, "revenue_at_risk");
            s.terms[1].clone()
        };
        // 30 of 100 vs 100 of 400: pooled 130/500 = 0.26, se = sqrt(0.26 x 0.74 x (1/100 +
        // 1/400)) = 0.0490, z = 0.05 / 0.0490 = 1.02, p = 0.31.
        let t = revenue(30);
        assert_eq!(t.value_per_30d, None);
        assert_eq!(
            t.basis,
            "repeat-rate difference not significant: 30.0% of 100 vs 25.0% of 400 customers (p = 0.31, priced from p < 0.05)"
        );
        assert_eq!(t.unpriced_text(), "not significant");
        // Equal rates: z = 0, p = 1.
        let t = revenue(25);
        assert_eq!(t.value_per_30d, None);
        assert_eq!(
            t.basis,
            "repeat-rate difference not significant: 25.0% of 100 vs 25.0% of 400 customers (p = 1.0, priced from p < 0.05)"
        );
        // 45 of 100: pooled 145/500 = 0.29, se = sqrt(0.29 x 0.71 x 0.0125) = 0.0507,
        // z = 0.20 / 0.0507 = 3.94, p = 8e-5: a real rise, no drop to price.
        let t = revenue(45);
        assert_eq!(t.value_per_30d, Some(0.0));
        assert_eq!(
            t.basis,
            "no repeat-rate drop (45.0% vs 25.0%: affected customers repeat more)"
        );
    }

    /// A mean repeat-order value of fewer repeat orders than the minimum sample prices no
    /// revenue at risk (Olist's sample: 3,554 customers x 25 pts x a mean of 2 orders, 50.65,
    /// made repeat-dropoff the first recommendation at 1,824 per 30 days).
    #[test]
    fn a_mean_of_too_few_repeat_orders_prices_nothing() {
        let base =
            |repeat_orders: u64| scoring_base(30.0, Some(1_000.0), Some(50.65), repeat_orders);
        let drop = RepeatDrop::Measured {
            affected_rate: 0.0,
            others_rate: 0.25,
            affected: 100,
            others: 0,
        };
        let scored = |repeat_orders: u64| {
            score(
                &analyzer(),
                &finding(Tickets::NotApplicable, drop.clone()),
                &base(repeat_orders),
                &Costs::default(),
                &BTreeMap::new(),
            )
        };
        let s = scored(2);
        assert_eq!(s.terms[1].value_per_30d, None);
        assert_eq!(
            s.terms[1].basis,
            "mean repeat order not measurable: 2 repeat orders (need the minimum sample, 30)"
        );
        assert_eq!(s.impact_per_30d, None);
        // From 30 repeat orders it prices: 40 affected customers (see `finding`) x 0.25 x 50.65.
        let s = scored(30);
        let priced = s.terms[1].value_per_30d.unwrap();
        assert!((priced - 40.0 * 0.25 * 50.65).abs() < 1e-9, "{priced}");
    }

    /// A repeat-rate drop between two groups is priced only when significant at
    /// `churn_p_value` (the demo store's late-delivery: 23 of 100 against 132 of 480, z = -0.95,
    /// p = 0.35, priced 390 of its 463 per 30 days from a difference its own report called not
    /// significant). A significant drop is priced as before.
    #[test]
    fn a_drop_that_is_not_significant_is_not_priced() {
        let base = scoring_base(30.0, Some(1_000.0), Some(80.0), 100);
        let scored = |drop: RepeatDrop| {
            score(
                &analyzer(),
                &finding(Tickets::NotApplicable, drop),
                &base,
                &Costs::default(),
                &BTreeMap::new(),
            )
        };
        let s = scored(RepeatDrop::Measured {
            affected_rate: 0.23,
            others_rate: 132.0 / 480.0,
            affected: 100,
            others: 480,
        });
        assert_eq!(s.terms[1].value_per_30d, None);
        assert_eq!(
            s.terms[1].basis,
            "repeat-rate difference not significant: 23.0% of 100 vs 27.5% of 480 customers (p = 0.35, priced from p < 0.05)"
        );
        assert_eq!(s.terms[1].unpriced_text(), "not significant");
        // 4 of 40 against 120 of 400: z = -2.68, p = 0.0074.
        let s = scored(RepeatDrop::Measured {
            affected_rate: 0.10,
            others_rate: 0.30,
            affected: 40,
            others: 400,
        });
        let priced = s.terms[1].value_per_30d.unwrap();
        assert!((priced - 40.0 * 0.2 * 80.0).abs() < 1e-9, "{priced}");
    }

    #[test]
    fn quadrants_follow_the_spec() {
        assert_eq!(Quadrant::of(true, Effort::Low), Quadrant::StartHere);
        assert_eq!(Quadrant::of(true, Effort::High), Quadrant::PlanNext);
        assert_eq!(Quadrant::of(false, Effort::Low), Quadrant::NiceToHave);
        assert_eq!(Quadrant::of(false, Effort::Medium), Quadrant::HoldOff);
    }
}
