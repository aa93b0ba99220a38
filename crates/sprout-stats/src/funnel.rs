//! Funnel plots (Spiegelhalter 2005) for benchmarking units such as PCNs or schemes.
//!
//! **Proportions** follow the public health indicator methods (exact inverse
//! of the Wilson score interval): for a unit of size n and pooled proportion θ,
//! with z = Φ⁻¹(p) (p = 0.975 for the 95% limits, 0.999 for 99.8%),
//!
//! ```text
//! a = θ(n/z² + 1),  c = 1/z² + 1/n,
//! d = √[(8a)² − 64·c·θ·(n(θ(n/z² + 2) − 1) + z²(θ − 1))],
//! limit = (a ∓ d/8) / c / n
//! ```
//!
//! **Counts against an expectation** (observed/expected ratios, or rates as
//! events against baseline × exposure): a unit is flagged when the expected
//! count lies outside the observed count's interval (exact below 10 events,
//! Byar's from 10); the funnel curve at expectation E is the observed count
//! whose interval just reaches E, found by bisection.
//!
//! **Overdispersion**: z-scores are winsorised at the 10th and 90th
//! percentiles, φ = Σz²/I, and I·φ is compared with χ²(I − 1). Limits can be
//! widened multiplicatively (z√φ·σ) or by an additive random effect
//! τ² = max(0, (Iφ − (I − 1)) / (Σw − Σw²/Σw)), w = 1/σ², giving z√(σ² + τ²).

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::poisson::poisson_interval;

/// The two funnel levels, as tail probabilities p of Φ⁻¹(p).
pub const LEVELS: [(f64, &str); 2] = [(0.975, "95%"), (0.999, "99.8%")];

/// Where a unit falls against the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Above the 99.8% limit.
    High998,
    /// Above the 95% limit only.
    High95,
    /// Within the 95% limits.
    NotSignificant,
    /// Below the 95% limit only.
    Low95,
    /// Below the 99.8% limit.
    Low998,
}

impl Flag {
    /// The label used by the public health indicator methods.
    pub fn label(self) -> &'static str {
        match self {
            Flag::High998 => "High (0.001)",
            Flag::High95 => "High (0.025)",
            Flag::NotSignificant => "Not significant",
            Flag::Low95 => "Low (0.025)",
            Flag::Low998 => "Low (0.001)",
        }
    }
}

/// The proportion funnel limit for a unit of size `n` around `theta`, at tail
/// probability `p` (0.975 or 0.999), on the `low` or high side (as a proportion).
pub fn proportion_limit(p: f64, n: f64, theta: f64, low: bool) -> f64 {
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let a = theta * (n / z2 + 1.0);
    let c = 1.0 / z2 + 1.0 / n;
    let d = ((-8.0 * a).powi(2)
        - 64.0 * c * theta * (n * (theta * (n / z2 + 2.0) - 1.0) + z2 * (theta - 1.0)))
        .sqrt();
    let limit = if low {
        (a - d / 8.0) / c
    } else {
        (a + d / 8.0) / c
    };
    limit / n
}

/// Flag a proportion x/n against the funnel around `theta`.
pub fn proportion_flag(x: f64, n: f64, theta: f64) -> Flag {
    let value = x / n;
    if value < proportion_limit(0.999, n, theta, true) {
        Flag::Low998
    } else if value < proportion_limit(0.975, n, theta, true) {
        Flag::Low95
    } else if value > proportion_limit(0.999, n, theta, false) {
        Flag::High998
    } else if value > proportion_limit(0.975, n, theta, false) {
        Flag::High95
    } else {
        Flag::NotSignificant
    }
}

/// One row of a proportion funnel's plotting grid (as proportions, clipped to 0–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelRow {
    /// Unit size.
    pub n: f64,
    /// Lower 95% limit.
    pub lower95: f64,
    /// Upper 95% limit.
    pub upper95: f64,
    /// Lower 99.8% limit.
    pub lower998: f64,
    /// Upper 99.8% limit.
    pub upper998: f64,
    /// The pooled proportion.
    pub baseline: f64,
}

/// The 100-point plotting grid of a proportion funnel, spaced geometrically from
/// a rounded-down minimum to a rounded-up maximum unit size as the public health
/// indicator methods do (the minimum is 0, floored at 1, when sizes vary more than two-fold).
pub fn proportion_grid(theta: f64, min_n: f64, max_n: f64) -> Vec<FunnelRow> {
    let axis_min = if max_n > 2.0 * min_n {
        0.0
    } else {
        round_down(min_n)
    };
    let axis_max = round_up(max_n);
    let row = |n: f64| FunnelRow {
        n,
        lower95: proportion_limit(0.975, n, theta, true).max(0.0),
        upper95: proportion_limit(0.975, n, theta, false).min(1.0),
        lower998: proportion_limit(0.999, n, theta, true).max(0.0),
        upper998: proportion_limit(0.999, n, theta, false).min(1.0),
        baseline: theta,
    };
    let mut rows = vec![row(axis_min.max(1.0))];
    for j in 2..=100 {
        let previous = rows[rows.len() - 1].n;
        let next =
            ((axis_max / previous).powf(1.0 / f64::from(101 - j)) * previous).round_ties_even();
        rows.push(row(next.max(previous + 1.0)));
    }
    rows
}

/// Round down to one significant figure after taking 95% (axis minimum).
fn round_down(x: f64) -> f64 {
    let scaled = (x * 0.95).floor();
    if scaled <= 0.0 {
        return 0.0;
    }
    let digits = scaled.to_string().len() as i32 - 1;
    ((x * 0.95) / 10f64.powi(digits)).floor() * 10f64.powi(digits)
}

/// Round up to two significant figures after adding 5% (axis maximum).
fn round_up(x: f64) -> f64 {
    let scaled = (x * 1.05).ceil();
    if scaled <= 0.0 {
        return 0.0;
    }
    let digits = scaled.to_string().len() as i32 - 2;
    ((x * 1.05) / 10f64.powi(digits)).ceil() * 10f64.powi(digits)
}

/// Flag an observed count against its expected count: High when the expected
/// count is below the observed count's interval, Low when above it.
pub fn count_flag(observed: f64, expected: f64) -> Flag {
    let outside = |level: f64| {
        let (lower, upper) = poisson_interval(observed, level);
        if lower.is_some_and(|l| expected < l) {
            1
        } else if expected > upper {
            -1
        } else {
            0
        }
    };
    match (outside(0.998), outside(0.95)) {
        (1, _) => Flag::High998,
        (-1, _) => Flag::Low998,
        (_, 1) => Flag::High95,
        (_, -1) => Flag::Low95,
        _ => Flag::NotSignificant,
    }
}

/// The funnel limits on the observed count for an expected count `expected` at
/// `level`: the counts whose intervals just reach `expected` (lower, upper).
pub fn count_limits(expected: f64, level: f64) -> (f64, f64) {
    // Lower limit: the O whose upper bound equals E; upper limit: the O whose lower bound equals E.
    let upper_bound = |o: f64| poisson_interval(o, level).1;
    let lower_bound = |o: f64| poisson_interval(o, level).0.unwrap_or(0.0);
    let solve = |f: &dyn Fn(f64) -> f64| {
        let (mut lo, mut hi) = (0.0, expected.max(1.0) * 4.0 + 50.0);
        if f(lo) >= expected {
            return 0.0;
        }
        for _ in 0..200 {
            let mid = (lo + hi) / 2.0;
            if f(mid) < expected {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo + hi) / 2.0
    };
    (solve(&upper_bound), solve(&lower_bound))
}

/// Overdispersion of a set of z-scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overdispersion {
    /// Units.
    pub units: usize,
    /// φ = Σ z_w² / I from 10% winsorised z-scores.
    pub phi: f64,
    /// p-value of I·φ against χ²(I − 1).
    pub p: f64,
    /// Additive random-effects variance τ² (0 when φ shows no overdispersion).
    pub tau2: f64,
}

/// Estimate φ and τ² (Spiegelhalter 2005) from z-scores and the units' standard errors σ.
/// Units with a non-finite z-score (a pooled value of 0 or 1) are left out.
pub fn overdispersion(z: &[f64], sigma: &[f64]) -> Overdispersion {
    let (z, sigma): (Vec<f64>, Vec<f64>) = z
        .iter()
        .zip(sigma)
        .filter(|(z, s)| z.is_finite() && s.is_finite() && **s > 0.0)
        .map(|(z, s)| (*z, *s))
        .unzip();
    let units = z.len();
    if units == 0 {
        return Overdispersion {
            units,
            phi: f64::NAN,
            p: f64::NAN,
            tau2: 0.0,
        };
    }
    let winsorised = winsorise(&z, 0.1);
    let phi = winsorised.iter().map(|z| z * z).sum::<f64>() / units as f64;
    let stat = units as f64 * phi;
    let p = ChiSquared::new((units as f64 - 1.0).max(1.0)).map_or(f64::NAN, |c| c.sf(stat));
    let w: Vec<f64> = sigma.iter().map(|s| 1.0 / (s * s)).collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|x| x * x).sum();
    let tau2 = ((stat - (units as f64 - 1.0)) / (sw - sw2 / sw)).max(0.0);
    Overdispersion {
        units,
        phi,
        p,
        tau2,
    }
}

/// Replace values below the `q` quantile and above the 1 − `q` quantile by those quantiles.
pub fn winsorise(values: &[f64], q: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return values.to_vec();
    }
    sorted.sort_by(f64::total_cmp);
    let quantile = |p: f64| {
        // Linear interpolation between order statistics (R type 7).
        let h = (sorted.len() - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo])
    };
    let (lo, hi) = (quantile(q), quantile(1.0 - q));
    values.iter().map(|v| v.clamp(lo, hi)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    fn shared(name: &str) -> Option<csv::Reader<std::fs::File>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/PHEindicatormethods")
            .join(name);
        match csv::Reader::from_path(&path) {
            Ok(r) => Some(r),
            Err(_) => {
                eprintln!("skipped: {} is absent", path.display());
                None
            }
        }
    }

    #[test]
    fn proportion_limits_match_committed_reference_rows() {
        // Rows of testdata_funnel_prop_outputs.csv (multiplier 100), baseline 80.642448%.
        let theta = 0.80642448;
        assert_close(
            100.0 * proportion_limit(0.975, 1.0, theta, true),
            3.204264,
            1e-6,
            "n=1 lower 95",
        );
        assert_close(
            100.0 * proportion_limit(0.999, 3.0, theta, true),
            10.150815,
            1e-6,
            "n=3 lower 99.8",
        );
        assert_close(
            100.0 * proportion_limit(0.975, 4.0, theta, true),
            41.923356,
            1e-6,
            "n=4 lower 95",
        );
    }

    #[test]
    fn proportion_funnel_grid_and_flags_match_the_shared_test_data() {
        let Some(mut inputs) = shared("testdata_funnel_prop_inputs.csv") else {
            return;
        };
        let rows: Vec<(f64, f64, String)> = inputs
            .records()
            .map(|r| {
                let r = r.unwrap();
                (
                    r[1].parse().unwrap(),
                    r[2].parse().unwrap(),
                    r[3].to_string(),
                )
            })
            .collect();
        let theta = rows.iter().map(|r| r.0).sum::<f64>() / rows.iter().map(|r| r.1).sum::<f64>();
        for (x, n, expected) in &rows {
            assert_eq!(proportion_flag(*x, *n, theta).label(), expected, "{x}/{n}");
        }
        assert_eq!(rows.len(), 303);
        let min_n = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
        let max_n = rows.iter().map(|r| r.1).fold(0.0, f64::max);
        let grid = proportion_grid(theta, min_n, max_n);
        let Some(mut outputs) = shared("testdata_funnel_prop_outputs.csv") else {
            return;
        };
        let mut checked = 0;
        for (row, record) in grid.iter().zip(outputs.records()) {
            let r = record.unwrap();
            let want: Vec<f64> = (0..6).map(|i| r[i].parse().unwrap()).collect();
            assert_close(row.n, want[0], 1e-12, "population");
            for (got, want, what) in [
                (row.lower95, want[1], "lower 95"),
                (row.upper95, want[2], "upper 95"),
                (row.lower998, want[3], "lower 99.8"),
                (row.upper998, want[4], "upper 99.8"),
                (row.baseline, want[5], "baseline"),
            ] {
                assert!(
                    (100.0 * got - want).abs() < 1e-6,
                    "n={} {what}: {} vs {want}",
                    row.n,
                    100.0 * got
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 100);
    }

    #[test]
    fn count_flags_match_the_shared_ratio_test_data() {
        let Some(mut inputs) = shared("testdata_funnel_ratio_inputs.csv") else {
            return;
        };
        let mut checked = 0;
        for record in inputs.records() {
            let r = record.unwrap();
            let (observed, expected): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
            assert_eq!(
                count_flag(observed, expected).label(),
                &r[2],
                "{observed} vs {expected}"
            );
            checked += 1;
        }
        assert_eq!(checked, 300);
    }

    #[test]
    fn count_limits_sit_where_the_flags_change() {
        for expected in [2.5, 9.0, 40.0, 300.0] {
            for level in [0.95, 0.998] {
                let (lo, hi) = count_limits(expected, level);
                assert!(lo < expected && expected < hi);
                if lo > 0.0 {
                    let upper = poisson_interval(lo, level).1;
                    assert!(
                        (upper - expected).abs() < 1e-6 * expected,
                        "upper bound of {lo} is {upper}"
                    );
                } else {
                    assert!(
                        poisson_interval(0.0, level).1 >= expected,
                        "no count is significantly low"
                    );
                }
                let lower = poisson_interval(hi, level).0.unwrap();
                assert!(
                    (lower - expected).abs() < 1e-6 * expected,
                    "lower bound of {hi} is {lower}"
                );
                assert!(count_flag(hi * 1.01, expected).label().starts_with("High"));
            }
        }
    }

    #[test]
    fn overdispersion_is_found_when_planted_and_not_otherwise() {
        // z-scores of a well-behaved set: phi about 1, tau2 0.
        let calm: Vec<f64> = (0..40)
            .map(|i| ((i * 37 % 40) as f64 - 19.5) / 11.5)
            .collect();
        let sigma = vec![0.05; 40];
        let o = overdispersion(&calm, &sigma);
        assert!(o.phi < 1.5 && o.p > 0.05, "{o:?}");
        let wild: Vec<f64> = calm.iter().map(|z| z * 3.0).collect();
        let o = overdispersion(&wild, &sigma);
        assert!(o.phi > 4.0 && o.p < 0.001 && o.tau2 > 0.0, "{o:?}");
        // tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w) with equal weights 400.
        let expected =
            (40.0 * o.phi - 39.0) / (40.0 * 400.0 - 40.0 * 400.0 * 400.0 / (40.0 * 400.0));
        assert_close(o.tau2, expected, 1e-12, "tau2");
    }

    #[test]
    fn winsorising_clamps_the_tails() {
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        let w = winsorise(&v, 0.1);
        assert_close(w[0], 2.0, 1e-12, "low tail");
        assert_close(w[10], 10.0, 1e-12, "high tail");
        assert_close(w[5], 6.0, 1e-12, "middle");
    }
}
