//! Inverse-probability weighting for missing follow-ups: the chance of a
//! follow-up modelled by logistic regression on what is known at baseline,
//! each person followed up weighted by the inverse of that chance, so that
//! those followed up stand for everyone with a baseline (missing at random
//! given the model's characteristics).
//!
//! - [`logistic`]: the model, by Newton–Raphson (iteratively reweighted least
//!   squares), as statsmodels' `GLM(family=Binomial())` fits it; with
//!   [`SparseRows`], of a design given by its non-zero entries.
//! - [`stabilised_weights`]: P̂(follow-up) / p̂ᵢ, truncated at percentiles.
//! - [`weighted_mean`]: the weighted mean with its robust (sandwich) interval
//!   and the effective sample size.

use crate::Z95;
use crate::summary::quantile;

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Coefficients β, one per column of the design (the caller includes the
    /// intercept's column of ones).
    pub coefficients: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
    /// Whether the largest change in a coefficient fell below 1e-10 within
    /// [`MAX_ITERATIONS`] steps (not, under complete separation: the
    /// coefficients then grow without bound and the probabilities tend to 0
    /// or 1).
    pub converged: bool,
}

/// The most Newton steps [`logistic`] takes.
pub const MAX_ITERATIONS: usize = 100;

impl LogisticFit {
    /// The fitted probability of one row: 1 / (1 + exp(−x′β)).
    pub fn probability(&self, row: &[f64]) -> f64 {
        logistic_function(row.iter().zip(&self.coefficients).map(|(x, b)| x * b).sum())
    }
}

/// The logistic function 1 / (1 + e^(−η)).
fn logistic_function(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Logistic regression of `y` on the rows of `x` by maximum likelihood.
///
/// Maximises ℓ(β) = Σ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ), pᵢ = 1 / (1 + e^(−xᵢ′β)),
/// by Newton–Raphson from β = 0: β ← β + (X′WX)⁻¹ X′(y − p), W = diag(pᵢ(1 − pᵢ)),
/// halving a step while it lowers ℓ. Stops when no coefficient moves by more
/// than 1e-10, or after [`MAX_ITERATIONS`] steps, or when X′WX becomes
/// singular under separation (not converged). `None` when there are no rows,
/// the rows differ in length, or X′WX is singular from the start (a column
/// that is constant or a copy of others).
///
/// The rows are read as their non-zero entries ([`SparseRows`], the same
/// fit: [`logistic_sparse`]).
pub fn logistic(x: &[Vec<f64>], y: &[bool]) -> Option<LogisticFit> {
    logistic_sparse(&SparseRows::from_dense(x)?, y)
}

/// [`logistic`] of a design given by its non-zero entries. Each row's sums
/// run over those entries only (a design of indicators is mostly zeros): a
/// zero term adds nothing, so the sums, and the fit, are the same as over
/// every entry. `None` also when the rows and `y` differ in number.
pub fn logistic_sparse(design: &SparseRows, y: &[bool]) -> Option<LogisticFit> {
    let k = design.width;
    if k == 0 || design.len() != y.len() || y.is_empty() {
        return None;
    }
    let mut beta = vec![0.0; k];
    let mut loglik = design.log_likelihood(y, &beta);
    for iteration in 1..=MAX_ITERATIONS {
        let mut information = vec![vec![0.0; k]; k];
        let mut score = vec![0.0; k];
        for (r, &yi) in y.iter().enumerate() {
            let (columns, values) = design.row(r);
            let p = logistic_function(design.eta(r, &beta));
            let w = p * (1.0 - p);
            let residual = f64::from(u8::from(yi)) - p;
            // The lower triangle of X′WX: all the solver reads.
            for (i, (&a, &xa)) in columns.iter().zip(values).enumerate() {
                score[a] += xa * residual;
                let info = &mut information[a];
                for (&b, &xb) in columns[..=i].iter().zip(&values[..=i]) {
                    info[b] += w * xa * xb;
                }
            }
        }
        // At β = 0 every weight is ¼, so a singular X′WX means a design
        // that cannot be estimated; later, under separation, the weights
        // vanish and the fit stops where it is.
        let Some(step) = solve_positive_definite(information, score) else {
            if iteration == 1 {
                return None;
            }
            return Some(LogisticFit {
                coefficients: beta,
                iterations: iteration - 1,
                converged: false,
            });
        };
        let mut scale = 1.0;
        let mut next: Vec<f64>;
        let mut next_loglik;
        loop {
            next = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            next_loglik = design.log_likelihood(y, &next);
            if next_loglik >= loglik - 1e-12 || scale < 1e-6 {
                break;
            }
            scale /= 2.0;
        }
        let moved = beta
            .iter()
            .zip(&next)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = next;
        loglik = next_loglik;
        if moved < 1e-10 {
            return Some(LogisticFit {
                coefficients: beta,
                iterations: iteration,
                converged: true,
            });
        }
    }
    Some(LogisticFit {
        coefficients: beta,
        iterations: MAX_ITERATIONS,
        converged: false,
    })
}

/// A design matrix by its non-zero entries, row by row (compressed rows),
/// each row's in column order: a design of indicators held in a fraction of
/// its dense size.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    width: usize,
    /// offsets[r]..offsets[r + 1] index `columns` and `values` for row r.
    offsets: Vec<usize>,
    columns: Vec<usize>,
    values: Vec<f64>,
}

impl SparseRows {
    /// No rows yet, of `width` columns.
    pub fn new(width: usize) -> SparseRows {
        SparseRows {
            width,
            offsets: vec![0],
            columns: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Dense rows (`None` when there are none or they differ in length).
    pub fn from_dense(x: &[Vec<f64>]) -> Option<SparseRows> {
        let width = x.first()?.len();
        if x.iter().any(|r| r.len() != width) {
            return None;
        }
        let mut sparse = SparseRows::new(width);
        for row in x {
            sparse.push_row(row.iter().copied().enumerate());
        }
        Some(sparse)
    }

    /// Add a row from its (column, value) entries in increasing column
    /// order; zeros are left out.
    ///
    /// # Panics
    /// When a column is beyond the width or the columns do not increase.
    pub fn push_row(&mut self, entries: impl IntoIterator<Item = (usize, f64)>) {
        let start = self.columns.len();
        for (c, v) in entries {
            assert!(c < self.width, "column {c} of a design {} wide", self.width);
            assert!(
                self.columns.len() == start || self.columns[self.columns.len() - 1] < c,
                "a row's columns increase"
            );
            if v != 0.0 {
                self.columns.push(c);
                self.values.push(v);
            }
        }
        self.offsets.push(self.columns.len());
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The transpose: row `c` of it is column `c` of these rows, its entries
    /// in row order, so that [`SparseRows::dense_row`] of it reads a column
    /// in one pass over its non-zero entries (a counting sort by column).
    pub fn transposed(&self) -> SparseRows {
        let mut offsets = vec![0usize; self.width + 1];
        for &c in &self.columns {
            offsets[c + 1] += 1;
        }
        for c in 0..self.width {
            offsets[c + 1] += offsets[c];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0usize; self.columns.len()];
        let mut values = vec![0.0; self.values.len()];
        for r in 0..self.len() {
            let (columns, row_values) = self.row(r);
            for (&c, &x) in columns.iter().zip(row_values) {
                let slot = &mut next[c];
                rows[*slot] = r;
                values[*slot] = x;
                *slot += 1;
            }
        }
        SparseRows {
            width: self.len(),
            offsets,
            columns: rows,
            values,
        }
    }

    /// Row `r` with its zeros (`width` values).
    pub fn dense_row(&self, r: usize) -> Vec<f64> {
        let mut dense = vec![0.0; self.width];
        let (columns, values) = self.row(r);
        for (&c, &x) in columns.iter().zip(values) {
            dense[c] = x;
        }
        dense
    }

    /// The fitted probability of each row: 1 / (1 + exp(−xᵣ′β)).
    pub fn probabilities(&self, fit: &LogisticFit) -> Vec<f64> {
        (0..self.len())
            .map(|r| logistic_function(self.eta(r, &fit.coefficients)))
            .collect()
    }

    fn row(&self, r: usize) -> (&[usize], &[f64]) {
        let span = self.offsets[r]..self.offsets[r + 1];
        (&self.columns[span.clone()], &self.values[span])
    }

    /// ηᵣ = xᵣ′β.
    fn eta(&self, r: usize, beta: &[f64]) -> f64 {
        let (columns, values) = self.row(r);
        columns.iter().zip(values).map(|(&c, x)| x * beta[c]).sum()
    }

    /// ℓ(β), computed stably: yᵢηᵢ − log(1 + e^ηᵢ).
    fn log_likelihood(&self, y: &[bool], beta: &[f64]) -> f64 {
        y.iter()
            .enumerate()
            .map(|(r, &yi)| {
                let eta = self.eta(r, beta);
                let log1p_exp = if eta > 0.0 {
                    eta + (-eta).exp().ln_1p()
                } else {
                    eta.exp().ln_1p()
                };
                f64::from(u8::from(yi)) * eta - log1p_exp
            })
            .sum()
    }
}

/// Solve A s = b for a symmetric positive definite A, given by its lower
/// triangle, by its Cholesky factor (`None` when A is not positive definite).
fn solve_positive_definite(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for j in 0..n {
        let d = a[j][j] - a[j][..j].iter().map(|x| x * x).sum::<f64>();
        if d <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        let d = d.sqrt();
        a[j][j] = d;
        for i in j + 1..n {
            let s = a[i][j]
                - a[i][..j]
                    .iter()
                    .zip(&a[j][..j])
                    .map(|(x, y)| x * y)
                    .sum::<f64>();
            a[i][j] = s / d;
        }
    }
    for i in 0..n {
        let s: f64 = (0..i).map(|k| a[i][k] * b[k]).sum();
        b[i] = (b[i] - s) / a[i][i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k][i] * b[k]).sum();
        b[i] = (b[i] - s) / a[i][i];
    }
    Some(b)
}

/// The weights of the people followed up, with what truncation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// One weight per person followed up, in their order.
    pub weights: Vec<f64>,
    /// The truncation bounds: the `trim` and 1 − `trim` quantiles of the
    /// untruncated weights.
    pub bounds: (f64, f64),
    /// Weights raised to the lower bound.
    pub raised: usize,
    /// Weights lowered to the upper bound.
    pub lowered: usize,
}

/// Stabilised inverse-probability weights of the people followed up.
///
/// wᵢ = P̂ / p̂ᵢ, with p̂ᵢ the modelled chance of person i's follow-up and P̂
/// the share of everyone (`followed_up`) who was followed up, so the weights
/// average about 1 and add up to about the number followed up. Weights
/// below the `trim` quantile (type 7) of the followed-up people's weights are
/// raised to it, and those above the 1 − `trim` quantile lowered to it
/// (truncation; `trim` 0 leaves them as they are).
pub fn stabilised_weights(probabilities: &[f64], followed_up: &[bool], trim: f64) -> Weights {
    let share = followed_up.iter().filter(|&&f| f).count() as f64 / followed_up.len() as f64;
    let raw: Vec<f64> = probabilities
        .iter()
        .zip(followed_up)
        .filter(|(_, f)| **f)
        .map(|(p, _)| share / p)
        .collect();
    let bounds = if trim > 0.0 {
        (quantile(&raw, trim), quantile(&raw, 1.0 - trim))
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    };
    let raised = raw.iter().filter(|w| **w < bounds.0).count();
    let lowered = raw.iter().filter(|w| **w > bounds.1).count();
    Weights {
        weights: raw.iter().map(|w| w.clamp(bounds.0, bounds.1)).collect(),
        bounds,
        raised,
        lowered,
    }
}

/// A weighted mean with its robust 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedMean {
    /// μ = Σwᵢyᵢ / Σwᵢ.
    pub mean: f64,
    /// The robust (HC0 sandwich) standard error √(Σwᵢ²(yᵢ − μ)²) / Σwᵢ.
    pub se: f64,
    /// μ − z₀.₉₇₅ · se.
    pub lower: f64,
    /// μ + z₀.₉₇₅ · se.
    pub upper: f64,
    /// Effective sample size (Σwᵢ)² / Σwᵢ² (Kish): the number of equally
    /// weighted people that would give the same precision.
    pub effective_n: f64,
}

/// The weighted mean of `y` with its robust (sandwich) standard error and
/// normal 95% interval, as statsmodels' `WLS(y, 1, weights=w)` with
/// `cov_type="HC0"` gives them. The weights are taken as known: ignoring
/// that they were estimated makes the interval of an inverse-probability
/// weighted mean conservative (a little too wide) rather than too narrow
/// (Lunceford and Davidian 2004). NaN when there are no values or the
/// weights add up to 0.
pub fn weighted_mean(y: &[f64], w: &[f64]) -> WeightedMean {
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let mean = y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / sw;
    let meat: f64 = y.iter().zip(w).map(|(y, w)| (w * (y - mean)).powi(2)).sum();
    let se = meat.sqrt() / sw;
    WeightedMean {
        mean,
        se,
        lower: mean - Z95 * se,
        upper: mean + Z95 * se,
        effective_n: sw * sw / sw2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// A fixed pseudo-random number in [0, 1) from integers alone (the
    /// script's 32-bit integer hash).
    fn uniform(i: u32, salt: u32) -> f64 {
        let mut x = i
            .wrapping_mul(0x9E37_79B1)
            .wrapping_add(salt.wrapping_mul(0x85EB_CA77));
        x ^= x >> 15;
        x = x.wrapping_mul(0x2C1B_3C6D);
        x ^= x >> 12;
        x = x.wrapping_mul(0x297A_2D39);
        x ^= x >> 15;
        f64::from(x) / 4_294_967_296.0
    }

    /// `scripts/reference/attrition_weighting.py`: 60 people with a baseline
    /// score b (10 to 30) and a binary characteristic g; the better their
    /// baseline, the likelier their follow-up, and the smaller their change.
    pub(crate) fn crafted() -> (Vec<f64>, Vec<f64>, Vec<bool>, Vec<f64>) {
        let (mut baseline, mut group, mut followed, mut change) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..60_u32 {
            let b = 10.0 + f64::from((i * 8) % 21);
            let g = f64::from(u8::from(i % 3 == 0));
            let f = uniform(i, 1) < 1.0 / (1.0 + (-(b - 20.0) / 8.0 - 0.5 * g).exp());
            let y = 6.0 - 0.3 * (b - 20.0) + 1.5 * g + 6.0 * uniform(i, 2) - 3.0;
            baseline.push(b);
            group.push(g);
            followed.push(f);
            change.push(y);
        }
        (baseline, group, followed, change)
    }

    #[test]
    fn the_crafted_data_is_the_scripts() {
        let (b, g, f, y) = crafted();
        assert_eq!(f.iter().filter(|&&f| f).count(), 31);
        assert_close(b.iter().sum::<f64>(), 1194.0, 1e-12, "baseline sum");
        assert_close(g.iter().sum::<f64>(), 20.0, 1e-12, "group sum");
        assert_close(
            y.iter().sum::<f64>(),
            391.4829126994125,
            1e-12,
            "change sum",
        );
    }

    #[test]
    fn logistic_regression_matches_statsmodels() {
        let (b, g, f, _) = crafted();
        let x: Vec<Vec<f64>> = b.iter().zip(&g).map(|(b, g)| vec![1.0, *b, *g]).collect();
        let fit = logistic(&x, &f).unwrap();
        assert!(fit.converged);
        assert_close(fit.coefficients[0], -1.640114208544635, 1e-8, "intercept");
        assert_close(fit.coefficients[1], 0.07970497549329855, 1e-8, "baseline");
        assert_close(fit.coefficients[2], 0.3731437399304678, 1e-8, "group");
    }

    #[test]
    fn weighted_change_and_its_sandwich_interval_match_statsmodels() {
        let (b, g, f, y) = crafted();
        let x: Vec<Vec<f64>> = b.iter().zip(&g).map(|(b, g)| vec![1.0, *b, *g]).collect();
        let fit = logistic(&x, &f).unwrap();
        let p: Vec<f64> = x.iter().map(|r| fit.probability(r)).collect();
        let w = stabilised_weights(&p, &f, 0.0);
        let followed: Vec<f64> = y
            .iter()
            .zip(&f)
            .filter(|(_, f)| **f)
            .map(|(y, _)| *y)
            .collect();
        let m = weighted_mean(&followed, &w.weights);
        // The complete-case mean is 6.356; everyone's, 6.525.
        assert_close(m.mean, 6.699826667968265, 1e-8, "weighted mean");
        assert_close(m.se, 0.48393202797841506, 1e-8, "HC0 se");
        assert_close(m.lower, 5.751337322165142, 1e-8, "lower");
        assert_close(m.effective_n, 29.244925193356888, 1e-8, "effective n");
        assert_close(
            w.weights.iter().copied().fold(0.0, f64::max),
            1.625160426169728,
            1e-8,
            "largest weight",
        );
        // Truncated at the 10th and 90th percentiles.
        let t = stabilised_weights(&p, &f, 0.1);
        assert_eq!((t.raised, t.lowered), (2, 3));
        assert_close(t.bounds.0, 0.7604702378614936, 1e-8, "10th percentile");
        assert_close(t.bounds.1, 1.343264792641553, 1e-8, "90th percentile");
        let mt = weighted_mean(&followed, &t.weights);
        assert_close(mt.mean, 6.6619304828476995, 1e-8, "truncated weighted mean");
    }

    /// The same design given densely or by its non-zero entries: the same
    /// fit to the bit, the same probabilities and columns.
    #[test]
    fn a_sparse_design_is_the_dense_one() {
        let (b, g, f, _) = crafted();
        let x: Vec<Vec<f64>> = b.iter().zip(&g).map(|(b, g)| vec![1.0, *b, *g]).collect();
        let mut sparse = SparseRows::new(3);
        for (b, g) in b.iter().zip(&g) {
            sparse.push_row([(0, 1.0), (1, *b), (2, *g)]);
        }
        assert_eq!(SparseRows::from_dense(&x), Some(sparse.clone()));
        let (dense_fit, sparse_fit) = (
            logistic(&x, &f).unwrap(),
            logistic_sparse(&sparse, &f).unwrap(),
        );
        assert_eq!(dense_fit, sparse_fit);
        let dense_p: Vec<f64> = x.iter().map(|r| dense_fit.probability(r)).collect();
        assert_eq!(sparse.probabilities(&sparse_fit), dense_p);
        let by_column = sparse.transposed();
        assert_eq!(by_column.len(), 3);
        assert_eq!(by_column.dense_row(2), g);
        assert_eq!(by_column.dense_row(0), vec![1.0; g.len()]);
        // Zeros come back where a row has no entry; the transpose of the
        // transpose is the rows themselves.
        let mut gaps = SparseRows::new(4);
        gaps.push_row([(0, 1.0), (3, 2.5)]);
        gaps.push_row([(1, -1.0)]);
        gaps.push_row([(0, 4.0), (1, 0.5), (3, 7.0)]);
        let t = gaps.transposed();
        assert_eq!(t.dense_row(0), [1.0, 0.0, 4.0]);
        assert_eq!(t.dense_row(1), [0.0, -1.0, 0.5]);
        assert_eq!(t.dense_row(2), [0.0, 0.0, 0.0]);
        assert_eq!(t.dense_row(3), [2.5, 0.0, 7.0]);
        assert_eq!(t.transposed(), gaps);
        assert!(logistic_sparse(&sparse, &f[1..]).is_none());
        assert!(SparseRows::from_dense(&[vec![1.0], vec![1.0, 2.0]]).is_none());
    }

    #[test]
    fn equal_weights_give_the_plain_mean_and_separation_does_not_loop_for_ever() {
        let m = weighted_mean(&[1.0, 2.0, 6.0], &[1.0, 1.0, 1.0]);
        assert_close(m.mean, 3.0, 1e-12, "mean");
        assert_close(m.effective_n, 3.0, 1e-12, "effective n");
        // Completely separated: everyone above 5 followed up.
        let x: Vec<Vec<f64>> = (0..10).map(|i| vec![1.0, f64::from(i)]).collect();
        let y: Vec<bool> = (0..10).map(|i| i > 5).collect();
        let fit = logistic(&x, &y).unwrap();
        assert!(fit.probability(&[1.0, 9.0]) > 0.99 && fit.probability(&[1.0, 0.0]) < 0.01);
        // A constant column beside the intercept cannot be estimated.
        let x: Vec<Vec<f64>> = (0..10).map(|_| vec![1.0, 2.0]).collect();
        assert!(logistic(&x, &y).is_none());
    }
}
