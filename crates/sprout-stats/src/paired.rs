//! Tests of paired change: the paired t-test and the Wilcoxon signed-rank test.

use super::summary::{mean, sd};
use super::{normal_cdf, normal_sf, t_two_sided_p};

/// A paired t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedT {
    /// t = d̄ / (s_d / √n), with d = after − before.
    pub t: f64,
    /// Degrees of freedom n − 1.
    pub df: f64,
    /// Two-sided p-value 2 · P(T_{n−1} > |t|).
    pub p: f64,
}

/// Paired t-test on differences `d` (after − before): t = d̄ / (s_d/√n), df = n − 1.
pub fn paired_t(d: &[f64]) -> PairedT {
    let n = d.len() as f64;
    let m = mean(d);
    let t = m / (sd(d, m) / n.sqrt());
    let df = n - 1.0;
    PairedT {
        t,
        df,
        p: t_two_sided_p(t, df),
    }
}

/// A Wilcoxon signed-rank test by normal approximation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// V: the sum of the ranks of the positive differences.
    pub v: f64,
    /// Number of non-zero differences used.
    pub n: usize,
    /// The continuity-corrected z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Wilcoxon signed-rank test on differences `d`, matching R's
/// `wilcox.test(after, before, paired = TRUE, exact = FALSE, correct = TRUE)`.
///
/// Zero differences are dropped; the n remaining |d| are ranked with ties given
/// their average rank; V = Σ ranks of positive d. Under H₀,
/// E[V] = n(n + 1)/4 and Var[V] = n(n + 1)(2n + 1)/24 − Σ(t³ − t)/48 over tie
/// groups of size t. z = (V − E[V] − ½·sign(V − E[V])) / √Var[V] and
/// p = 2 · min(Φ(z), 1 − Φ(z)).
pub fn wilcoxon_signed_rank(d: &[f64]) -> Wilcoxon {
    let mut nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let n = nonzero.len();
    let mut v = 0.0;
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        // Ties are exact equality of |d|, as in R's rank() and scipy's rankdata.
        #[allow(clippy::float_cmp)]
        while j + 1 < n && nonzero[j + 1].abs() == nonzero[i].abs() {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        v += nonzero[i..=j].iter().filter(|x| **x > 0.0).count() as f64 * rank;
        i = j + 1;
    }
    let nf = n as f64;
    let expected = nf * (nf + 1.0) / 4.0;
    let variance = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - ties / 48.0;
    let centred = v - expected;
    // R's sign(): zero at zero (f64::signum would give 1 there).
    let correction = if centred > 0.0 {
        0.5
    } else if centred < 0.0 {
        -0.5
    } else {
        0.0
    };
    let z = (centred - correction) / variance.sqrt();
    let p = if variance > 0.0 {
        (2.0 * normal_cdf(z).min(normal_sf(z))).min(1.0)
    } else {
        f64::NAN
    };
    Wilcoxon { v, n, z, p }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::assert_close;

    /// Paired scores from `scripts/reference/wellbeing_stats.py`.
    pub const BEFORE: [f64; 20] = [
        17.43, 19.25, 20.73, 16.88, 23.21, 19.98, 18.59, 21.54, 15.84, 20.73, 17.98, 19.25, 22.35,
        16.36, 19.98, 18.59, 20.73, 14.75, 21.54, 19.25,
    ];
    /// Follow-up scores matching [`BEFORE`].
    pub const AFTER: [f64; 20] = [
        19.98, 19.25, 22.35, 18.59, 23.21, 21.54, 17.98, 24.11, 16.88, 21.54, 19.98, 20.73, 22.35,
        17.43, 21.54, 19.25, 23.21, 16.36, 20.73, 22.35,
    ];

    /// after − before.
    pub fn differences() -> Vec<f64> {
        AFTER.iter().zip(BEFORE).map(|(a, b)| a - b).collect()
    }

    #[test]
    fn paired_t_matches_scipy() {
        let t = paired_t(&differences());
        assert_close(t.t, 4.997711935185379, 1e-9, "t");
        assert_close(t.df, 19.0, 1e-12, "df");
        assert_close(t.p, 7.990697604916188e-05, 1e-9, "p");
    }

    #[test]
    fn wilcoxon_matches_scipy_with_ties_and_zeros() {
        let w = wilcoxon_signed_rank(&differences());
        assert_eq!(w.n, 17);
        assert_close(w.v, 148.5, 1e-12, "V");
        assert_close(w.p, 0.0007101684264032304, 1e-9, "p");
    }

    #[test]
    fn wilcoxon_is_symmetric_and_null_at_balance() {
        let d = differences();
        let flipped: Vec<f64> = d.iter().map(|x| -x).collect();
        let (a, b) = (wilcoxon_signed_rank(&d), wilcoxon_signed_rank(&flipped));
        assert_close(a.p, b.p, 1e-12, "p symmetric");
        assert_close(a.z, -b.z, 1e-12, "z antisymmetric");
        let balanced = wilcoxon_signed_rank(&[1.0, -1.0, 2.0, -2.0]);
        assert!((balanced.p - 1.0).abs() < 1e-12);
    }
}
