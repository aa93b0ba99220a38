//! Proportions: Wilson score intervals and McNemar's test of paired proportions.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::Z95;

/// A proportion with its 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Successes.
    pub x: u64,
    /// Trials.
    pub n: u64,
    /// x / n.
    pub p: f64,
    /// Lower Wilson limit.
    pub lower: f64,
    /// Upper Wilson limit.
    pub upper: f64,
}

/// x of n with the 95% Wilson score interval (no continuity correction):
/// [2x + z² ∓ z√(z² + 4x(1 − x/n))] / [2(n + z²)]. NaN when n = 0.
pub fn wilson(x: u64, n: u64) -> Proportion {
    let (xf, nf) = (x as f64, n as f64);
    let z2 = Z95 * Z95;
    let root = Z95 * (z2 + 4.0 * xf * (1.0 - xf / nf)).sqrt();
    let denominator = 2.0 * (nf + z2);
    Proportion {
        x,
        n,
        p: xf / nf,
        lower: ((2.0 * xf + z2 - root) / denominator).max(0.0),
        upper: ((2.0 * xf + z2 + root) / denominator).min(1.0),
    }
}

/// McNemar's test of a change in a paired yes/no outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McNemar {
    /// Pairs that went from yes to no.
    pub b: u64,
    /// Pairs that went from no to yes.
    pub c: u64,
    /// χ² = (|b − c| − 1)² / (b + c), with continuity correction (0 when |b − c| ≤ 1).
    pub statistic: f64,
    /// P(χ²₁ > statistic).
    pub p: f64,
}

/// McNemar's test with continuity correction (R's `mcnemar.test` default):
/// χ² = (|b − c| − 1)² / (b + c) on 1 degree of freedom; p = 1 when b + c = 0.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let (bf, cf) = (b as f64, c as f64);
    if b + c == 0 {
        return McNemar {
            b,
            c,
            statistic: 0.0,
            p: 1.0,
        };
    }
    let statistic = ((bf - cf).abs() - 1.0).max(0.0).powi(2) / (bf + cf);
    let p = ChiSquared::new(1.0).map_or(f64::NAN, |chi| chi.sf(statistic));
    McNemar { b, c, statistic, p }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::assert_close;

    #[test]
    fn wilson_matches_statsmodels() {
        let cases = [
            (65, 100, 0.5525444329688796, 0.7363575175690247),
            (0, 12, 0.0, 0.24249400665524096),
            (12, 12, 0.7575059933447589, 0.9999999999999999),
            (3, 31, 0.03346464416319739, 0.24899938443392844),
            (1234, 2500, 0.47402682208617153, 0.5131928160074193),
        ];
        for (x, n, lo, hi) in cases {
            let w = wilson(x, n);
            assert_close(w.lower, lo, 1e-9, &format!("{x}/{n} lower"));
            assert_close(w.upper, hi, 1e-9, &format!("{x}/{n} upper"));
            assert!(w.lower <= w.p && w.p <= w.upper);
        }
    }

    #[test]
    fn mcnemar_matches_statsmodels() {
        let cases = [
            (25, 10, 5.6, 0.01796047752607879),
            (3, 9, 2.0833333333333335, 0.14891467317876161),
            (40, 41, 0.0, 1.0),
            (12, 0, 10.083333333333334, 0.0014961642897455517),
        ];
        for (b, c, stat, p) in cases {
            let m = mcnemar(b, c);
            assert_close(m.statistic, stat, 1e-9, &format!("{b},{c} statistic"));
            assert_close(m.p, p, 1e-9, &format!("{b},{c} p"));
        }
        assert!((mcnemar(0, 0).p - 1.0).abs() < 1e-15);
    }
}
