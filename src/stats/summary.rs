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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::assert_close;
    use crate::stats::paired::tests::differences;

    #[test]
    fn mean_and_t_interval_match_scipy() {
        let m = mean_ci(&differences());
        assert_close(m.mean, 1.2200000000000002, 1e-12, "mean");
        assert_close(m.sd, 1.0917007494344728, 1e-9, "sd");
        assert_close(m.lower, 0.7090683217652439, 1e-9, "lower");
        assert_close(m.upper, 1.7309316782347564, 1e-9, "upper");
    }

    #[test]
    fn tiny_samples_have_no_interval() {
        assert!(mean_ci(&[]).mean.is_nan());
        let one = mean_ci(&[3.0]);
        assert!((one.mean - 3.0).abs() < 1e-15 && one.lower.is_nan());
    }
}
