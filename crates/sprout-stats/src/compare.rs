//! One period against another: the difference of two independent means and
//! of two independent proportions, each with its 95% interval. Reference
//! values from scipy and statsmodels in `scripts/reference/period_comparison.py`.

use crate::Z95;
use crate::proportion::wilson_limits;
use crate::summary::MeanCi;
use crate::t_quantile;

/// A difference between two independent estimates with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// The first estimate minus the second.
    pub difference: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
}

/// The difference of two independent means from their summaries (Welch):
/// d = x̄₁ − x̄₂, se = √(s₁²/n₁ + s₂²/n₂), degrees of freedom
/// ν = se⁴ / [(s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)] (Welch–Satterthwaite),
/// limits d ∓ t(0.975; ν) · se. NaN limits when either side has fewer than
/// two values.
pub fn welch(a: &MeanCi, b: &MeanCi) -> Difference {
    let difference = a.mean - b.mean;
    let (va, vb) = (a.sd * a.sd / a.n as f64, b.sd * b.sd / b.n as f64);
    let se = (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    let half = if a.n >= 2 && b.n >= 2 && se > 0.0 {
        t_quantile(0.975, df) * se
    } else if a.n >= 2 && b.n >= 2 {
        0.0
    } else {
        f64::NAN
    };
    Difference {
        difference,
        lower: difference - half,
        upper: difference + half,
    }
}

/// The difference of two independent proportions x₁/n₁ − x₂/n₂ with
/// Newcombe's hybrid score interval (method 10 of Newcombe 1998), from each
/// proportion's 95% Wilson limits (l₁, u₁) and (l₂, u₂):
/// d − √((p₁ − l₁)² + (u₂ − p₂)²) to d + √((u₁ − p₁)² + (p₂ − l₂)²).
/// NaN when either n is 0.
pub fn newcombe(x1: f64, n1: f64, x2: f64, n2: f64) -> Difference {
    if n1 <= 0.0 || n2 <= 0.0 {
        return Difference {
            difference: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        };
    }
    let (p1, p2) = (x1 / n1, x2 / n2);
    let (l1, u1) = wilson_limits(x1, n1, Z95);
    let (l2, u2) = wilson_limits(x2, n2, Z95);
    let difference = p1 - p2;
    Difference {
        difference,
        lower: difference - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
        upper: difference + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::mean_ci;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} against {b}");
    }

    #[test]
    fn welch_matches_scipy() {
        let a = [1.0, 2.5, -0.5, 3.0, 4.0, 0.0, 2.0, 1.5];
        let b = [0.5, -1.0, 0.0, 1.0, -2.0, 0.5];
        let d = welch(&mean_ci(&a), &mean_ci(&b));
        close(d.lower, 0.31922141930990056);
        close(d.upper, 3.3891119140234327);
        close(d.difference, 1.8541666666666667);
    }

    #[test]
    fn welch_needs_two_values_a_side() {
        let d = welch(&mean_ci(&[1.0]), &mean_ci(&[1.0, 2.0]));
        assert!(d.lower.is_nan() && d.upper.is_nan());
    }

    #[test]
    fn newcombe_matches_statsmodels() {
        for ((x1, n1, x2, n2), (lower, upper)) in [
            (
                (56.0, 70.0, 48.0, 80.0),
                (0.05243147240236498, 0.33387265403690614),
            ),
            (
                (9.0, 10.0, 3.0, 10.0),
                (0.1705227239345029, 0.809017973535488),
            ),
            (
                (0.0, 20.0, 5.0, 25.0),
                (-0.3913095036954034, -0.004117448685351827),
            ),
            (
                (855.0, 1000.0, 700.0, 880.0),
                (0.025201547342356856, 0.09415281392909716),
            ),
        ] {
            let d = newcombe(x1, n1, x2, n2);
            close(d.lower, lower);
            close(d.upper, upper);
            close(d.difference, x1 / n1 - x2 / n2);
        }
        assert!(newcombe(1.0, 0.0, 1.0, 2.0).difference.is_nan());
    }
}
