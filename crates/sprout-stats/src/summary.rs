//! Means with Student-t confidence intervals.

use super::t_quantile;

/// A sample mean with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    /// Number of values.
    pub n: usize,
    /// Sample mean x̄ = Σx / n.
    pub mean: f64,
    /// Sample standard deviation s = √(Σ(x − x̄)² / (n − 1)).
    pub sd: f64,
    /// Lower limit x̄ − t(0.975; n−1) · s / √n.
    pub lower: f64,
    /// Upper limit x̄ + t(0.975; n−1) · s / √n.
    pub upper: f64,
}

/// Mean, standard deviation and 95% t interval of `xs` (NaN limits when n < 2).
///
/// x̄ ± t(0.975; n − 1) · s/√n.
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / n as f64
    };
    let sd = sd(xs, mean);
    let half = if n >= 2 {
        t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt()
    } else {
        f64::NAN
    };
    MeanCi {
        n,
        mean,
        sd,
        lower: mean - half,
        upper: mean + half,
    }
}

/// Sample standard deviation with n − 1 in the denominator (NaN when n < 2).
pub fn sd(xs: &[f64], mean: f64) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// The mean of `xs` (NaN when empty).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// The `p` quantile of `xs` by linear interpolation between order statistics
/// (Hyndman and Fan type 7, the default of R's `quantile` and numpy's
/// `percentile`): with the sorted values x₍₁₎…x₍ₙ₎ and h = (n − 1)·p,
/// Q(p) = x₍⌊h⌋+1₎ + (h − ⌊h⌋)(x₍⌊h⌋+2₎ − x₍⌊h⌋+1₎). NaN when empty.
pub fn quantile(xs: &[f64], p: f64) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_sorted(&sorted, p)
}

/// [`quantile`] of values already sorted ascending.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;
    use crate::paired::tests::differences;

    #[test]
    fn mean_and_t_interval_match_scipy() {
        let m = mean_ci(&differences());
        assert_close(m.mean, 1.2200000000000002, 1e-12, "mean");
        assert_close(m.sd, 1.0917007494344728, 1e-9, "sd");
        assert_close(m.lower, 0.7090683217652439, 1e-9, "lower");
        assert_close(m.upper, 1.7309316782347564, 1e-9, "upper");
    }

    #[test]
    fn quantiles_match_numpy() {
        // scripts/reference/health_stats.py: numpy.percentile (linear).
        let xs = [4.0, 0.0, 12.0, 3.5, 7.25, 1.0, 0.0, 9.0];
        assert_close(quantile(&xs, 0.5), 3.75, 1e-12, "median");
        assert_close(quantile(&xs, 0.025), 0.0, 1e-12, "2.5%");
        assert_close(quantile(&xs, 0.9), 9.899999999999999, 1e-12, "90%");
        assert_close(quantile(&xs, 0.975), 11.475000000000001, 1e-12, "97.5%");
        assert!(quantile(&[], 0.5).is_nan());
        assert_close(quantile(&[2.0], 0.3), 2.0, 1e-12, "one value");
    }

    #[test]
    fn tiny_samples_have_no_interval() {
        assert!(mean_ci(&[]).mean.is_nan());
        let one = mean_ci(&[3.0]);
        assert!((one.mean - 3.0).abs() < 1e-15 && one.lower.is_nan());
    }
}
