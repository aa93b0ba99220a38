//! Statistics: pure functions from numbers to estimates, intervals and tests.
//!
//! Each function states its formula in its doc comment and is tested against
//! reference values computed with scipy/statsmodels (see
//! `scripts/reference/wellbeing_stats.py`). Measures compute sufficient
//! statistics or paired values in SQL; these functions turn them into results.

pub mod compare;
pub mod did;
pub mod effect;
pub mod funnel;
pub mod hinge;
pub mod meta;
pub mod paired;
pub mod poisson;
pub mod proportion;
pub mod sensitivity;
pub mod spc;
pub mod standardised;
pub mod summary;
pub mod weighting;

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Two-sided 95% normal quantile, z = Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Φ(x), the standard normal distribution function (NaN for NaN).
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        Normal::standard().cdf(x)
    }
}

/// The upper tail 1 − Φ(x), accurate far into the tail (NaN for NaN).
pub fn normal_sf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        Normal::standard().sf(x)
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (NaN when undefined).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

/// Two-sided p-value of a t statistic: 2 · P(T_df > |t|) (NaN when t or df is
/// undefined, 0 for an infinite t from a change with no variation).
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| 2.0 * dist.sf(t.abs()))
}

/// Relative difference check used by the reference tests.
#[cfg(test)]
pub(crate) fn assert_close(actual: f64, expected: f64, rel: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        ((actual - expected) / scale).abs() <= rel || (actual - expected).abs() <= 1e-15,
        "{what}: {actual} vs {expected} (relative error {:e})",
        ((actual - expected) / scale).abs()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_inputs_give_nan_not_a_panic() {
        assert!(t_two_sided_p(f64::NAN, 5.0).is_nan());
        assert!(t_two_sided_p(2.0, 0.0).is_nan());
        assert!(t_two_sided_p(f64::INFINITY, 5.0).abs() < 1e-300);
        assert!(t_quantile(0.975, 0.0).is_nan());
        assert!(normal_cdf(f64::NAN).is_nan());
    }
}
