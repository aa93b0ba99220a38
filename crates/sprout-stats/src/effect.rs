//! Standardised effect sizes with approximate 95% confidence intervals.

use super::Z95;
use super::summary::{mean, sd};

/// An effect size with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// The estimate.
    pub estimate: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
}

impl Effect {
    fn normal(estimate: f64, se: f64) -> Effect {
        Effect {
            estimate,
            lower: estimate - Z95 * se,
            upper: estimate + Z95 * se,
        }
    }
}

/// Cohen's d_z for paired data: d̄ / s_d, with d = after − before.
///
/// 95% interval d_z ± z · SE, SE = √(1/n + d_z²/(2n)) (large-sample normal
/// approximation for a standardised mean; Borenstein et al. 2009).
pub fn cohens_dz(before: &[f64], after: &[f64]) -> Effect {
    let d: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let m = mean(&d);
    let dz = m / sd(&d, m);
    Effect::normal(dz, (1.0 / n + dz * dz / (2.0 * n)).sqrt())
}

/// Cohen's d_av: d̄ / ((s_before + s_after)/2) (Cumming 2012), comparable with
/// between-group effect sizes.
///
/// 95% interval d_av ± z · SE, SE = √((1/n + d_av²/(2n)) · 2(1 − r)), r the
/// before/after correlation (Borenstein et al. 2009, matched groups).
pub fn cohens_dav(before: &[f64], after: &[f64]) -> Effect {
    let n = before.len() as f64;
    let d: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let (mb, ma) = (mean(before), mean(after));
    let (sb, sa) = (sd(before, mb), sd(after, ma));
    let dav = mean(&d) / ((sb + sa) / 2.0);
    let r = correlation(before, after);
    Effect::normal(
        dav,
        ((1.0 / n + dav * dav / (2.0 * n)) * 2.0 * (1.0 - r)).sqrt(),
    )
}

/// Pearson correlation r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²).
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Standardised mean difference between two groups:
/// (x̄₁ − x̄₂) / √((s₁² + s₂²)/2). |SMD| above 0.1 is commonly read as imbalance.
pub fn standardised_mean_difference(group1: &[f64], group2: &[f64]) -> f64 {
    let (m1, m2) = (mean(group1), mean(group2));
    let (s1, s2) = (sd(group1, m1), sd(group2, m2));
    (m1 - m2) / ((s1 * s1 + s2 * s2) / 2.0).sqrt()
}

/// Standardised mean difference between two weighted groups, for balance after
/// matching (each comparator weighted 1/k of its matched set):
/// (m₁ − m₂) / √((v₁ + v₂)/2), with weighted means m = Σwx / Σw and weighted
/// variances v = Σw(x − m)² / (Σw − Σw²/Σw) (reliability weights; equal weights
/// give the usual n − 1 variance and so [`standardised_mean_difference`]).
pub fn weighted_standardised_mean_difference(
    x1: &[f64],
    w1: &[f64],
    x2: &[f64],
    w2: &[f64],
) -> f64 {
    standardised_difference(weighted_mean_var(x1, w1), weighted_mean_var(x2, w2))
}

/// The standardised difference (m₁ − m₂) / √((v₁ + v₂)/2) of two groups'
/// weighted means and variances ([`weighted_mean_var`]): 0 when neither
/// varies and the means agree, NaN when neither varies and they differ. One
/// group's summary can then serve several comparisons.
pub fn standardised_difference((m1, v1): (f64, f64), (m2, v2): (f64, f64)) -> f64 {
    let pooled = ((v1 + v2) / 2.0).sqrt();
    if pooled > 0.0 {
        (m1 - m2) / pooled
    } else if (m1 - m2).abs() == 0.0 {
        // No spread in either group: identical means are perfectly balanced.
        0.0
    } else {
        f64::NAN
    }
}

/// Weighted mean m = Σwx / Σw and reliability-weighted variance
/// Σw(x − m)² / (Σw − Σw²/Σw) (NaN when undefined).
pub fn weighted_mean_var(x: &[f64], w: &[f64]) -> (f64, f64) {
    weighted_mean_var_of(x, w, weight_sums(w))
}

/// (Σw, Σw²) of weights `w`, summed in order: one group's weights serve
/// every characteristic measured on it ([`weighted_mean_var_of`]).
pub fn weight_sums(w: &[f64]) -> (f64, f64) {
    (w.iter().sum(), w.iter().map(|w| w * w).sum())
}

/// [`weighted_mean_var`] given the weights' sums ([`weight_sums`] of `w`):
/// the same figures to the bit, in two passes over `x` instead of four.
pub fn weighted_mean_var_of(x: &[f64], w: &[f64], (sw, sw2): (f64, f64)) -> (f64, f64) {
    let m = x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / sw;
    let ss: f64 = x.iter().zip(w).map(|(x, w)| w * (x - m).powi(2)).sum();
    (m, ss / (sw - sw2 / sw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;
    use crate::paired::tests::{AFTER, BEFORE};

    #[test]
    fn dz_matches_reference() {
        let e = cohens_dz(&BEFORE, &AFTER);
        assert_close(e.estimate, 1.117522361903653, 1e-9, "d_z");
        assert_close(e.lower, 0.5589449854502706, 1e-9, "d_z lower");
        assert_close(e.upper, 1.6760997383570353, 1e-9, "d_z upper");
    }

    #[test]
    fn dav_matches_reference() {
        let e = cohens_dav(&BEFORE, &AFTER);
        assert_close(e.estimate, 0.5460156884280508, 1e-9, "d_av");
        assert_close(e.lower, 0.3164797952963986, 1e-9, "d_av lower");
        assert_close(e.upper, 0.775551581559703, 1e-9, "d_av upper");
    }

    #[test]
    fn smd_matches_reference() {
        let g1 = [17.43, 19.25, 20.73, 16.88, 23.21, 19.98, 18.59];
        let g2 = [15.84, 20.73, 17.98, 16.36, 14.75, 18.59];
        assert_close(
            standardised_mean_difference(&g1, &g2),
            0.9589254137733979,
            1e-9,
            "smd",
        );
    }

    #[test]
    fn weighted_smd_matches_reference_and_reduces_to_the_unweighted_one() {
        // scripts/reference/health_stats.py (numpy, reliability weights).
        let x1 = [7.0, 12.0, 3.0, 9.0, 15.0];
        let x2 = [4.0, 6.0, 11.0, 2.0, 5.0, 8.0];
        let w2 = [0.5, 0.5, 1.0, 1.0, 0.5, 0.5];
        assert_close(
            weighted_standardised_mean_difference(&x1, &[1.0; 5], &x2, &w2),
            0.7331746700159748,
            1e-9,
            "weighted smd",
        );
        let g1 = [17.43, 19.25, 20.73, 16.88, 23.21, 19.98, 18.59];
        let g2 = [15.84, 20.73, 17.98, 16.36, 14.75, 18.59];
        assert_close(
            weighted_standardised_mean_difference(&g1, &[2.0; 7], &g2, &[1.0; 6]),
            standardised_mean_difference(&g1, &g2),
            1e-12,
            "equal weights",
        );
        let same = [3.0, 3.0];
        assert!(
            weighted_standardised_mean_difference(&same, &[1.0; 2], &same, &[1.0; 2]).abs() < 1e-15
        );
    }

    #[test]
    fn a_groups_summary_serves_several_differences_with_the_same_result() {
        let x2 = [4.0, 6.0, 11.0, 2.0, 5.0, 8.0];
        let w2 = [0.5, 0.5, 1.0, 1.0, 0.5, 0.5];
        // By hand: Σw = 4, Σw² = 3, Σwx = 24.5, so m = 6.125; Σw(x − m)² =
        // 45.4375, so v = 45.4375 / (4 − 3/4).
        let (m, v) = weighted_mean_var(&x2, &w2);
        assert_close(m, 6.125, 1e-12, "weighted mean");
        assert_close(v, 45.4375 / 3.25, 1e-12, "weighted variance");
        let shared = weighted_mean_var(&x2, &w2);
        for (x1, w1) in [
            (&[7.0, 12.0, 3.0, 9.0, 15.0][..], &[1.0; 5][..]),
            (&[1.0, 2.0][..], &[0.3, 2.5][..]),
        ] {
            assert_eq!(
                standardised_difference(weighted_mean_var(x1, w1), shared).to_bits(),
                weighted_standardised_mean_difference(x1, w1, &x2, &w2).to_bits()
            );
        }
        let sums = weight_sums(&w2);
        assert_eq!(sums, (4.0, 3.0));
        let (m_of, v_of) = weighted_mean_var_of(&x2, &w2, sums);
        assert_eq!((m_of.to_bits(), v_of.to_bits()), (m.to_bits(), v.to_bits()));
        assert_eq!(
            standardised_difference((2.0, 0.0), (2.0, 0.0)).to_bits(),
            0f64.to_bits()
        );
        assert!(standardised_difference((2.0, 0.0), (1.0, 0.0)).is_nan());
    }
}
