//! Small statistics used by the analyzers: Wilson score intervals for proportions and the pooled
//! two-proportion z-test. Percentiles are computed by Polars with linear interpolation.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `successes` out of `n` at 95% (Wilson 1927; Agresti & Coull 1998).
/// `None` when `n` is 0.
pub fn wilson(successes: u64, n: u64) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    let (k, n) = (successes as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

/// A `x / n` ratio that is `None` (KPI null) when `n` is 0, never NaN.
pub fn ratio(x: f64, n: f64) -> Option<f64> {
    (n > 0.0).then(|| x / n)
}

/// Result of a pooled two-proportion z-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoProportion {
    pub p1: f64,
    pub p2: f64,
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Pooled two-proportion z-test of `k1/n1` against `k2/n2`, two-sided. `None` when a group is
/// empty or the pooled proportion is 0 or 1 (no variance).
pub fn two_proportion_z(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<TwoProportion> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (p1 - p2) / se;
    let p_value = 2.0 * (1.0 - normal_cdf(z.abs()));
    Some(TwoProportion { p1, p2, z, p_value })
}

/// P(X >= k) for a Poisson count X of the given `mean` (> 0), via statrs: how unlikely a day
/// of `k` tickets is when `mean` are expected. 1 for k = 0.
pub fn poisson_at_least(k: u64, mean: f64) -> f64 {
    use statrs::distribution::{DiscreteCDF, Poisson};
    match (k, Poisson::new(mean)) {
        (0, _) => 1.0,
        (_, Ok(p)) => p.sf(k - 1),
        (_, Err(_)) => 1.0,
    }
}

/// P(X >= k) for a negative binomial count X of the given `mean` (> 0) whose variance is
/// `dispersion` x the mean, via statrs: a count whose rate itself varies from day to day (a
/// gamma-Poisson mixture; r = mean / (dispersion - 1), p = 1 / dispersion, so variance / mean =
/// 1 / p = dispersion). With `dispersion` <= 1 (no more spread than a Poisson count) it is
/// [`poisson_at_least`]. 1 for k = 0.
pub fn negative_binomial_at_least(k: u64, mean: f64, dispersion: f64) -> f64 {
    use statrs::distribution::{DiscreteCDF, NegativeBinomial};
    if dispersion <= 1.0 {
        return poisson_at_least(k, mean);
    }
    match (
        k,
        NegativeBinomial::new(mean / (dispersion - 1.0), 1.0 / dispersion),
    ) {
        (0, _) => 1.0,
        (_, Ok(nb)) => nb.sf(k - 1),
        (_, Err(_)) => 1.0,
    }
}

/// P(X >= k) for a binomial count X of `n` trials at success probability `p`, via statrs: how
/// unlikely `k` cancelled orders among a SKU's `n` are at the store's cancel share `p` (a
/// one-sided exact binomial test). 1 for k = 0, and when `p` is not a probability.
pub fn binomial_at_least(k: u64, n: u64, p: f64) -> f64 {
    use statrs::distribution::{Binomial, DiscreteCDF};
    match (k, Binomial::new(p, n)) {
        (0, _) => 1.0,
        (_, Ok(b)) => b.sf(k - 1),
        (_, Err(_)) => 1.0,
    }
}

/// A p-value as every report shows it, with two significant digits: in scientific notation
/// below 0.001 (`6.0e-5`), as a decimal above (`0.38`, `0.014`). One format for the titles and
/// the evidence, so that a small p never reads `0.000` beside a title that gives its value.
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() || p <= 0.0 || p >= 1e-3 {
        let decimals = if p > 0.0 && p.is_finite() {
            (1 - p.log10().floor() as i32).max(1) as usize
        } else {
            1
        };
        return format!("{p:.decimals$}");
    }
    format!("{p:.1e}")
}

/// The standard normal quantile of `p` in (0, 1): the z with P(Z <= z) = `p` (1.645 for 0.95),
/// via statrs.
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}

/// Standard normal CDF, via statrs.
pub fn normal_cdf(x: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().cdf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At mean 1 and variance 2 the negative binomial is the geometric count P(k) = 0.5^(k+1),
    /// so P(X >= 7) = 0.5^7 = 0.0078125 (the Poisson tail at mean 1 is 8.3e-5); at variance 1
    /// it is the Poisson tail.
    #[test]
    fn the_negative_binomial_tail_is_the_geometric_one_at_twice_the_variance() {
        let geometric = negative_binomial_at_least(7, 1.0, 2.0);
        assert!((geometric - 0.0078125).abs() < 1e-12, "{geometric}");
        assert_eq!(
            negative_binomial_at_least(7, 1.0, 1.0),
            poisson_at_least(7, 1.0)
        );
        assert!((poisson_at_least(7, 1.0) - 8.324_114_929e-5).abs() < 1e-14);
        assert_eq!(negative_binomial_at_least(0, 1.0, 2.0), 1.0);
    }

    #[test]
    fn p_values_are_written_with_two_significant_digits() {
        assert_eq!(fmt_p(6.0e-5), "6.0e-5");
        assert_eq!(fmt_p(0.000_999), "1.0e-3");
        assert_eq!(fmt_p(0.384), "0.38");
        assert_eq!(fmt_p(0.014_388), "0.014");
        assert_eq!(fmt_p(0.001_2), "0.0012");
        assert_eq!(fmt_p(1.0), "1.0");
        assert_eq!(fmt_p(0.0), "0.0");
    }

    #[test]
    fn wilson_matches_published_values() {
        // 81 of 263 (Newcombe 1998, example): 0.2553 to 0.3662.
        let [lo, hi] = wilson(81, 263).unwrap();
        assert!((lo - 0.2553).abs() < 5e-4, "{lo}");
        assert!((hi - 0.3662).abs() < 5e-4, "{hi}");
        // 0 of 10: upper bound 0.2775.
        let [lo, hi] = wilson(0, 10).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 5e-4, "{hi}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn poisson_tail_by_hand() {
        // mean 0.5: P(X >= 3) = 1 - e^-0.5 (1 + 0.5 + 0.125) = 0.014388.
        assert!((poisson_at_least(3, 0.5) - 0.014_388).abs() < 1e-6);
        // mean 1: P(X >= 1) = 1 - e^-1 = 0.632121.
        assert!((poisson_at_least(1, 1.0) - 0.632_121).abs() < 1e-6);
        assert_eq!(poisson_at_least(0, 2.0), 1.0);
    }

    #[test]
    fn binomial_tail_by_hand() {
        // n 4, p 0.5: P(X >= 3) = (4 + 1) / 16 = 0.3125.
        assert!((binomial_at_least(3, 4, 0.5) - 0.3125).abs() < 1e-12);
        // n 10, p 0.12: P(X >= 2) = 1 - 0.88^10 - 10 x 0.12 x 0.88^9 = 0.341725.
        assert!((binomial_at_least(2, 10, 0.12) - 0.341_725).abs() < 1e-6);
        assert_eq!(binomial_at_least(0, 10, 0.12), 1.0);
        assert_eq!(binomial_at_least(1, 10, f64::NAN), 1.0);
    }

    #[test]
    fn two_proportion_z_by_hand() {
        // 20/100 vs 35/100: pooled 0.275, se = sqrt(.275*.725*.02) = 0.063149, z = -2.3753.
        let t = two_proportion_z(20, 100, 35, 100).unwrap();
        assert!((t.z - -2.3753).abs() < 1e-3, "{}", t.z);
        assert!((t.p_value - 0.01753).abs() < 2e-4, "{}", t.p_value);
        assert_eq!(two_proportion_z(0, 10, 0, 10), None);
    }
}
