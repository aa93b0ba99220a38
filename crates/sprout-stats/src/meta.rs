//! Meta-analysis of independent estimates: each scheme's published estimate
//! and standard error, pooled across schemes without moving their data.
//!
//! With `y_i` the estimates, `v_i = se_i²` their variances and `k` studies:
//!
//! - **Fixed effect** (inverse variance): `w_i = 1/v_i`,
//!   `μ̂_FE = Σ w_i y_i / Σ w_i`, `SE = 1/√Σ w_i`, interval `μ̂ ± z·SE`.
//! - **Heterogeneity**: Cochran's `Q = Σ w_i (y_i − μ̂_FE)²` on `k − 1`
//!   degrees of freedom, and `I² = max(0, (Q − (k − 1)) / Q)` (Higgins &
//!   Thompson 2002), the share of the variation between estimates beyond
//!   chance.
//! - **Between-study variance τ²**: DerSimonian–Laird's moment estimate
//!   `τ²_DL = max(0, (Q − (k − 1)) / (Σ w_i − Σ w_i² / Σ w_i))`, or the
//!   restricted maximum likelihood estimate `τ²_REML`, the root of the REML
//!   score, found by iterating `τ² ← Σ w*_i² ((y_i − μ̂*)² − v_i) / Σ w*_i² + 1/Σ w*_i`
//!   from `τ²_DL`, truncated at 0 (Viechtbauer 2005), with
//!   `w*_i = 1/(v_i + τ²)` and `μ̂* = Σ w*_i y_i / Σ w*_i`.
//! - **Random effects**: `μ̂_RE = μ̂*` with the chosen `τ²`,
//!   `SE_RE = 1/√Σ w*_i`, the Wald interval `μ̂_RE ± z·SE_RE`, and the
//!   Hartung–Knapp–Sidik–Jonkman interval `μ̂_RE ± t_{k−1}·SE_HK` with
//!   `SE_HK² = Σ w*_i (y_i − μ̂_RE)² / ((k − 1) Σ w*_i)` (IntHout, Ioannidis
//!   & Borm 2014: it keeps its coverage with few studies, where the Wald
//!   interval is too narrow). Where the estimates agree more closely than
//!   their errors imply (`Σ w*_i (y_i − μ̂_RE)² < k − 1`) that interval is
//!   narrower than the Wald one and undercovers; the **modified** interval
//!   (Knapp & Hartung 2003; Röver, Knapp & Friede 2015) takes
//!   `SE_mHK = max(SE_HK, SE_RE)` with the same `t_{k−1}`, and is the one
//!   `sprout pool` reports by default.
//! - **Prediction interval** for a new scheme's true effect (Higgins,
//!   Thompson & Spiegelhalter 2009): `μ̂_RE ± t_{k−2}·√(τ² + SE_RE²)`, from
//!   three studies.
//! - **Egger's test** of small-study effects (Egger et al. 1997), from ten
//!   studies (Sterne et al. 2011: fewer cannot tell asymmetry from chance):
//!   the least-squares line `y_i/se_i = a + b/se_i`; the intercept `a`, its
//!   standard error, and `t = a/SE(a)` on `k − 2` degrees of freedom.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::{Z95, normal_sf, t_quantile, t_two_sided_p};

/// Fewest studies for a prediction interval (`t` on `k − 2` degrees of freedom).
pub const MIN_STUDIES_PREDICTION: usize = 3;
/// Fewest studies for Egger's test.
pub const MIN_STUDIES_EGGER: usize = 10;

/// One study's estimate and the estimate's standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Study {
    /// The estimate (a mean change, a share, a difference).
    pub estimate: f64,
    /// Its standard error (> 0).
    pub se: f64,
}

/// How the between-study variance τ² is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tau2Method {
    /// DerSimonian–Laird's method of moments.
    DerSimonianLaird,
    /// Restricted maximum likelihood.
    Reml,
}

/// A pooled estimate with its standard error, 95% interval and two-sided p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The pooled estimate.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
    /// Two-sided p-value for no effect.
    pub p: f64,
}

/// Egger's regression test of funnel asymmetry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Egger {
    /// The intercept of `y/se` on `1/se`.
    pub intercept: f64,
    /// Its standard error.
    pub se: f64,
    /// `intercept / se`.
    pub t: f64,
    /// Two-sided p on `k − 2` degrees of freedom.
    pub p: f64,
}

/// A meta-analysis of `studies` estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaAnalysis {
    /// Studies pooled (k).
    pub studies: usize,
    /// Inverse-variance fixed effect, Wald interval.
    pub fixed: Summary,
    /// Cochran's Q.
    pub q: f64,
    /// Its p-value on `k − 1` degrees of freedom.
    pub q_p: f64,
    /// I², as a share (0 to 1).
    pub i2: f64,
    /// How τ² was estimated.
    pub tau2_method: Tau2Method,
    /// Between-study variance.
    pub tau2: f64,
    /// Random effects, Wald interval.
    pub random: Summary,
    /// Random effects, Hartung–Knapp–Sidik–Jonkman interval (`t_{k−1}`).
    pub hksj: Summary,
    /// Random effects, the modified Hartung–Knapp–Sidik–Jonkman interval
    /// (`max(SE_HK, SE_RE)`, `t_{k−1}`).
    pub hksj_modified: Summary,
    /// 95% prediction interval for a new study's true effect (from
    /// [`MIN_STUDIES_PREDICTION`] studies), Higgins' (with `SE_RE`).
    pub prediction: Option<(f64, f64)>,
    /// The same with the modified HKSJ error, to go beside that interval.
    pub prediction_modified: Option<(f64, f64)>,
    /// Egger's test (from [`MIN_STUDIES_EGGER`] studies).
    pub egger: Option<Egger>,
}

/// Why studies cannot be pooled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// Fewer than two studies.
    TooFew(usize),
    /// A study's estimate is not finite or its standard error not positive
    /// and finite (its index).
    Unusable(usize),
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolError::TooFew(k) => write!(f, "{k} estimate(s): pooling needs at least two"),
            PoolError::Unusable(i) => write!(
                f,
                "estimate {} has no finite value or no positive standard error",
                i + 1
            ),
        }
    }
}

/// Pool `studies` with `tau2_method` (formulas in the module's comment).
pub fn meta_analysis(
    studies: &[Study],
    tau2_method: Tau2Method,
) -> Result<MetaAnalysis, PoolError> {
    if studies.len() < 2 {
        return Err(PoolError::TooFew(studies.len()));
    }
    if let Some(bad) = studies
        .iter()
        .position(|s| !s.estimate.is_finite() || !s.se.is_finite() || s.se <= 0.0)
    {
        return Err(PoolError::Unusable(bad));
    }
    let k = studies.len() as f64;
    let fixed_weights: Vec<f64> = studies.iter().map(|s| 1.0 / (s.se * s.se)).collect();
    let (fixed_mean, fixed_sum) = weighted_mean(studies, &fixed_weights);
    let fixed_se = 1.0 / fixed_sum.sqrt();
    let q = cochran_q(studies, &fixed_weights, fixed_mean);
    let q_p = ChiSquared::new(k - 1.0).map_or(f64::NAN, |c| c.sf(q));
    let i2 = if q > 0.0 {
        ((q - (k - 1.0)) / q).max(0.0)
    } else {
        0.0
    };
    let tau2 = match tau2_method {
        Tau2Method::DerSimonianLaird => tau2_dl(studies),
        Tau2Method::Reml => tau2_reml(studies),
    };
    let weights: Vec<f64> = studies.iter().map(|s| 1.0 / (s.se * s.se + tau2)).collect();
    let (mean, sum) = weighted_mean(studies, &weights);
    let se = 1.0 / sum.sqrt();
    let hk_se = (cochran_q(studies, &weights, mean) / ((k - 1.0) * sum)).sqrt();
    let modified_se = hk_se.max(se);
    let predict = |error: f64| {
        (studies.len() >= MIN_STUDIES_PREDICTION).then(|| {
            let half = t_quantile(0.975, k - 2.0) * (tau2 + error * error).sqrt();
            (mean - half, mean + half)
        })
    };
    let egger = (studies.len() >= MIN_STUDIES_EGGER).then(|| egger(studies));
    Ok(MetaAnalysis {
        studies: studies.len(),
        fixed: wald(fixed_mean, fixed_se),
        q,
        q_p,
        i2,
        tau2_method,
        tau2,
        random: wald(mean, se),
        hksj: t_summary(mean, hk_se, k - 1.0),
        hksj_modified: t_summary(mean, modified_se, k - 1.0),
        prediction: predict(se),
        prediction_modified: predict(modified_se),
        egger,
    })
}

/// DerSimonian–Laird's τ² (module comment). Needs two or more studies with
/// positive standard errors.
pub fn tau2_dl(studies: &[Study]) -> f64 {
    let k = studies.len() as f64;
    let w: Vec<f64> = studies.iter().map(|s| 1.0 / (s.se * s.se)).collect();
    let (mean, sum) = weighted_mean(studies, &w);
    let sum2: f64 = w.iter().map(|w| w * w).sum();
    ((cochran_q(studies, &w, mean) - (k - 1.0)) / (sum - sum2 / sum)).max(0.0)
}

/// The REML τ² (module comment): the fixed-point iteration from
/// DerSimonian–Laird's estimate until τ² changes by less than 10⁻¹⁴
/// relative (or 10⁻¹⁸ absolute), at most 10 000 steps.
pub fn tau2_reml(studies: &[Study]) -> f64 {
    let mut tau2 = tau2_dl(studies);
    for _ in 0..10_000 {
        let w: Vec<f64> = studies.iter().map(|s| 1.0 / (s.se * s.se + tau2)).collect();
        let (mean, sum) = weighted_mean(studies, &w);
        let sum2: f64 = w.iter().map(|w| w * w).sum();
        let spread: f64 = studies
            .iter()
            .zip(&w)
            .map(|(s, w)| w * w * ((s.estimate - mean).powi(2) - s.se * s.se))
            .sum();
        let next = (spread / sum2 + 1.0 / sum).max(0.0);
        let settled = (next - tau2).abs() <= 1e-14 * tau2.max(next) || (next - tau2).abs() < 1e-18;
        tau2 = next;
        if settled {
            break;
        }
    }
    tau2
}

/// Egger's regression (module comment) of three or more studies.
pub fn egger(studies: &[Study]) -> Egger {
    let k = studies.len() as f64;
    let x: Vec<f64> = studies.iter().map(|s| 1.0 / s.se).collect();
    let y: Vec<f64> = studies.iter().map(|s| s.estimate / s.se).collect();
    let (mx, my) = (x.iter().sum::<f64>() / k, y.iter().sum::<f64>() / k);
    let sxx: f64 = x.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(&y).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(&y)
        .map(|(x, y)| (y - intercept - slope * x).powi(2))
        .sum();
    let s2 = rss / (k - 2.0);
    let se = (s2 * (1.0 / k + mx * mx / sxx)).sqrt();
    let t = intercept / se;
    Egger {
        intercept,
        se,
        t,
        p: t_two_sided_p(t, k - 2.0),
    }
}

/// `Σ w y / Σ w` and `Σ w`.
fn weighted_mean(studies: &[Study], weights: &[f64]) -> (f64, f64) {
    let sum: f64 = weights.iter().sum();
    let total: f64 = studies
        .iter()
        .zip(weights)
        .map(|(s, w)| w * s.estimate)
        .sum();
    (total / sum, sum)
}

/// `Σ w (y − mean)²`.
fn cochran_q(studies: &[Study], weights: &[f64], mean: f64) -> f64 {
    studies
        .iter()
        .zip(weights)
        .map(|(s, w)| w * (s.estimate - mean).powi(2))
        .sum()
}

/// The summary of `estimate` with standard error `se` and a Student's t
/// interval on `df` degrees of freedom.
fn t_summary(estimate: f64, se: f64, df: f64) -> Summary {
    let t = t_quantile(0.975, df);
    Summary {
        estimate,
        se,
        lower: estimate - t * se,
        upper: estimate + t * se,
        p: t_two_sided_p(estimate / se, df),
    }
}

/// The Wald summary of `estimate` with standard error `se`.
fn wald(estimate: f64, se: f64) -> Summary {
    Summary {
        estimate,
        se,
        lower: estimate - Z95 * se,
        upper: estimate + Z95 * se,
        p: 2.0 * normal_sf((estimate / se).abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    fn studies(estimates: &[f64], ses: &[f64]) -> Vec<Study> {
        estimates
            .iter()
            .zip(ses)
            .map(|(&estimate, &se)| Study { estimate, se })
            .collect()
    }

    /// One printed block of `scripts/reference/meta_analysis.py`.
    struct Reference {
        fixed: [f64; 4],
        q: [f64; 3],
        tau2_dl: f64,
        random_dl: [f64; 2],
        hksj_dl: [f64; 3],
        tau2_reml: f64,
        random_reml: [f64; 2],
        prediction_reml: Option<[f64; 2]>,
    }

    fn check(set: &[Study], r: &Reference) {
        let dl = meta_analysis(set, Tau2Method::DerSimonianLaird).unwrap();
        let close = |a: f64, e: f64, what: &str| assert_close(a, e, 1e-9, what);
        close(dl.fixed.estimate, r.fixed[0], "fixed");
        close(dl.fixed.se, r.fixed[1], "fixed se");
        close(dl.fixed.lower, r.fixed[2], "fixed lower");
        close(dl.fixed.upper, r.fixed[3], "fixed upper");
        close(dl.q, r.q[0], "Q");
        close(dl.q_p, r.q[1], "Q p");
        close(dl.i2, r.q[2], "I²");
        close(dl.tau2, r.tau2_dl, "tau² DL");
        close(dl.random.estimate, r.random_dl[0], "random DL");
        close(dl.random.se, r.random_dl[1], "random DL se");
        close(dl.hksj.estimate, r.random_dl[0], "HKSJ estimate");
        close(dl.hksj.se, r.hksj_dl[0], "HKSJ se");
        close(dl.hksj.lower, r.hksj_dl[1], "HKSJ lower");
        close(dl.hksj.upper, r.hksj_dl[2], "HKSJ upper");
        let reml = meta_analysis(set, Tau2Method::Reml).unwrap();
        close(reml.tau2, r.tau2_reml, "tau² REML");
        close(reml.random.estimate, r.random_reml[0], "random REML");
        close(reml.random.se, r.random_reml[1], "random REML se");
        match (reml.prediction, r.prediction_reml) {
            (Some((low, high)), Some([el, eh])) => {
                close(low, el, "prediction lower");
                close(high, eh, "prediction upper");
            }
            (None, None) => {}
            (got, expected) => panic!("prediction {got:?} vs {expected:?}"),
        }
        // The pooled interval always holds its estimate, and each prediction
        // interval is at least as wide as the interval it goes beside.
        for m in [&dl, &reml] {
            assert!(m.hksj.lower < m.hksj.estimate && m.hksj.estimate < m.hksj.upper);
            if let Some((low, high)) = m.prediction {
                assert!(low <= m.random.lower && m.random.upper <= high);
            }
            if let Some((low, high)) = m.prediction_modified {
                assert!(low <= m.hksj_modified.lower && m.hksj_modified.upper <= high);
            }
        }
    }

    #[test]
    fn heterogeneous_estimates_match_statsmodels_and_reml() {
        check(
            &studies(
                &[-0.30, 0.10, -0.55, -0.20, 0.35, -0.70],
                &[0.12, 0.20, 0.15, 0.25, 0.18, 0.30],
            ),
            &Reference {
                fixed: [
                    -0.2181863790292236,
                    0.0712716198624504,
                    -0.35787618707945595,
                    -0.07849657097899126,
                ],
                q: [
                    20.437974692364506,
                    0.0010339580874422552,
                    0.7553573641585941,
                ],
                tau2_dl: 0.10130406553134479,
                random_dl: [-0.20160340511636204, 0.1531979401931566],
                hksj_dl: [
                    0.15745869199842222,
                    -0.6063638586305595,
                    0.20315704839783538,
                ],
                tau2_reml: 0.1080310946616033,
                random_reml: [-0.2019666385937945, 0.15690472280497456],
                prediction_reml: Some([-1.2131805228720247, 0.8092472456844358]),
            },
        );
    }

    /// Q below its degrees of freedom: τ² and I² are 0 (not negative, as
    /// statsmodels leaves them), and random effects equal the fixed effect.
    #[test]
    fn homogeneous_estimates_have_no_between_study_variance() {
        let set = studies(&[0.50, 0.52, 0.48, 0.51], &[0.10, 0.20, 0.15, 0.12]);
        check(
            &set,
            &Reference {
                fixed: [
                    0.501279069767442,
                    0.06469966392206306,
                    0.37447005866835287,
                    0.628088080866531,
                ],
                q: [0.03433139534882912, 0.9983254913380284, 0.0],
                tau2_dl: 0.0,
                random_dl: [0.501279069767442, 0.06469966392206306],
                hksj_dl: [
                    0.006921291250899137,
                    0.47925243199822554,
                    0.5233057075366584,
                ],
                tau2_reml: 0.0,
                random_reml: [0.501279069767442, 0.06469966392206306],
                prediction_reml: Some([0.2228988841793046, 0.7796592553555793]),
            },
        );
        let m = meta_analysis(&set, Tau2Method::Reml).unwrap();
        assert_eq!(m.random, m.fixed);
        // The estimates agree more closely than their errors imply: the
        // HKSJ interval is narrower than the Wald one, and the modified one
        // keeps the Wald error with t on 3 degrees of freedom (3.182446305284263).
        assert!(m.hksj.upper - m.hksj.lower < m.random.upper - m.random.lower);
        assert_eq!(m.hksj_modified.se.to_bits(), m.random.se.to_bits());
        assert_close(
            m.hksj_modified.upper - m.hksj_modified.estimate,
            3.182446305284263 * 0.06469966392206306,
            1e-9,
            "modified HKSJ half-width",
        );
    }

    /// Two studies pool (an HKSJ interval on 1 degree of freedom, wide as
    /// it should be) but give no prediction interval; one is refused.
    #[test]
    fn two_studies_pool_without_a_prediction_and_one_is_refused() {
        let set = studies(&[1.2, 2.0], &[0.4, 0.5]);
        check(
            &set,
            &Reference {
                fixed: [
                    1.5121951219512195,
                    0.31234752377721214,
                    0.9000052246876156,
                    2.1243850192148237,
                ],
                q: [1.5609756097561025, 0.21152242941072458, 0.359375000000002],
                tau2_dl: 0.11500000000000098,
                random_dl: [1.5437500000000002, 0.39602517281102284],
                hksj_dl: [0.39602517281102223, -3.488226926415816, 6.5757269264158165],
                tau2_reml: 0.11500000000000007,
                random_reml: [1.5437500000000002, 0.39602517281102234],
                prediction_reml: None,
            },
        );
        assert_eq!(
            meta_analysis(&set[..1], Tau2Method::Reml),
            Err(PoolError::TooFew(1))
        );
        assert_eq!(
            meta_analysis(&studies(&[1.0, 2.0], &[0.3, 0.0]), Tau2Method::Reml),
            Err(PoolError::Unusable(1))
        );
        assert_eq!(
            meta_analysis(&studies(&[f64::NAN, 2.0], &[0.3, 0.2]), Tau2Method::Reml),
            Err(PoolError::Unusable(0))
        );
    }

    /// Twelve studies, the small ones further out: Egger's test finds the
    /// asymmetry (statsmodels' OLS of y/se on 1/se).
    #[test]
    fn twelve_studies_give_eggers_test() {
        let set = studies(
            &[
                -1.9, -1.2, -2.6, -0.4, -1.5, -3.1, -0.9, -1.1, -2.2, -0.7, -1.4, -2.9,
            ],
            &[
                0.35, 0.20, 0.60, 0.15, 0.30, 0.80, 0.18, 0.25, 0.55, 0.12, 0.28, 0.70,
            ],
        );
        check(
            &set,
            &Reference {
                fixed: [
                    -0.9542281512446754,
                    0.06630380724863753,
                    -1.0841812254898908,
                    -0.82427507699946,
                ],
                q: [60.80233198596741, 6.576394868330402e-09, 0.8190858863351048],
                tau2_dl: 0.2651005780150005,
                random_dl: [-1.384827480998238, 0.1800580445465423],
                hksj_dl: [0.2221651419300477, -1.8738096614759256, -0.8958453005205502],
                tau2_reml: 0.42532764214780266,
                random_reml: [-1.4472045768373334, 0.21657219590567667],
                prediction_reml: Some([-2.978361036383957, 0.08395188270929044]),
            },
        );
        let egger = meta_analysis(&set, Tau2Method::Reml)
            .unwrap()
            .egger
            .unwrap();
        assert_close(egger.intercept, -4.225337295645366, 1e-9, "Egger intercept");
        assert_close(egger.se, 0.5537597015521872, 1e-9, "Egger se");
        assert_close(egger.t, -7.6302722711706075, 1e-9, "Egger t");
        assert_close(egger.p, 1.7778163379907515e-05, 1e-7, "Egger p");
        assert!(
            meta_analysis(&set[..9], Tau2Method::Reml)
                .unwrap()
                .egger
                .is_none()
        );
    }

    /// Planted: studies drawn around a true effect with a true τ² are pooled
    /// to an interval that holds the truth, and τ² is recovered roughly.
    #[test]
    fn a_planted_effect_is_recovered() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (truth, tau) = (-1.5, 0.4);
        let normal = |rng: &mut rand_chacha::ChaCha8Rng| {
            // Box–Muller.
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let set: Vec<Study> = (0..40)
            .map(|i| {
                let se = 0.2 + 0.02 * f64::from(i % 10);
                let effect = truth + tau * normal(&mut rng);
                Study {
                    estimate: effect + se * normal(&mut rng),
                    se,
                }
            })
            .collect();
        let m = meta_analysis(&set, Tau2Method::Reml).unwrap();
        assert!(m.hksj.lower < truth && truth < m.hksj.upper, "{m:?}");
        // The modified interval is the wider of the two errors.
        assert_eq!(
            m.hksj_modified.se.to_bits(),
            m.hksj.se.max(m.random.se).to_bits()
        );
        assert!(m.hksj_modified.lower < truth && truth < m.hksj_modified.upper);
        let (low, high) = m.prediction_modified.unwrap();
        assert!(low <= m.hksj_modified.lower && m.hksj_modified.upper <= high);
        assert!((m.tau2.sqrt() - tau).abs() < 0.2, "tau {}", m.tau2.sqrt());
    }
}
