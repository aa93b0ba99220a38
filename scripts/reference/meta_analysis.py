"""Reference values for the meta-analysis (crates/sprout-stats/src/meta.rs).

statsmodels' combine_effects gives the inverse-variance fixed effect, Cochran's
Q, I², DerSimonian–Laird's tau² (method_re="chi2"), the random-effects estimate
and the Hartung–Knapp–Sidik–Jonkman ("random effect wls") standard error; its
interval is taken with Student's t on k − 1 degrees of freedom
(summary_frame(use_t=True)). statsmodels does not truncate DerSimonian–Laird's
tau² or I² at zero: where Q < k − 1 the values below are truncated (Higgins &
Thompson 2002), so random effects equal the fixed effect and the HKSJ standard
error is statsmodels' "fixed effect wls" one. REML has no statsmodels
implementation: it is found here independently, as the root of the REML score
Σ w²(y − μ)² − Σ w + Σ w² / Σ w (scipy's brentq; 0 where the score is negative
at 0), checked against a numerical maximum of the restricted log-likelihood. The prediction interval follows Higgins, Thompson &
Spiegelhalter (2009), Egger's test is statsmodels' OLS of y/se on 1/se.

Run with numpy, scipy and statsmodels installed (e.g. in a throwaway virtual environment):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install numpy scipy statsmodels
    /tmp/refenv/bin/python scripts/reference/meta_analysis.py

Each printed block is pasted into the Rust test named in it.
"""
import numpy as np
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

SETS = {
    # Heterogeneous: tau² > 0.
    "heterogeneous": ([-0.30, 0.10, -0.55, -0.20, 0.35, -0.70], [0.12, 0.20, 0.15, 0.25, 0.18, 0.30]),
    # Homogeneous: Q < k − 1, so tau² = 0 and random equals fixed.
    "homogeneous": ([0.50, 0.52, 0.48, 0.51], [0.10, 0.20, 0.15, 0.12]),
    # Two studies: no prediction interval.
    "two": ([1.2, 2.0], [0.4, 0.5]),
    # Twelve studies, smaller ones further from the centre: Egger's test.
    "twelve": (
        [-1.9, -1.2, -2.6, -0.4, -1.5, -3.1, -0.9, -1.1, -2.2, -0.7, -1.4, -2.9],
        [0.35, 0.20, 0.60, 0.15, 0.30, 0.80, 0.18, 0.25, 0.55, 0.12, 0.28, 0.70],
    ),
}


def reml_tau2(y, v):
    def negative_restricted_loglik(tau2):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    def score(tau2):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return np.sum(w**2 * (y - mu) ** 2) - np.sum(w) + np.sum(w**2) / np.sum(w)

    upper = 10.0 * (np.var(y) + np.max(v))
    root = 0.0 if score(0.0) <= 0 else optimize.brentq(score, 0.0, upper, xtol=1e-300, rtol=1e-15)
    best = optimize.minimize_scalar(
        negative_restricted_loglik, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-12}
    )
    assert abs(best.x - root) < 1e-6, (best.x, root)
    return float(root)


for name, (y, se) in SETS.items():
    y, se = np.array(y), np.array(se)
    v = se**2
    k = len(y)
    print(f"// {name} (meta::tests)")
    res = combine_effects(y, v, method_re="chi2", use_t=False)
    frame = res.summary_frame(use_t=True)
    z = stats.norm.ppf(0.975)
    fe, fe_se = float(res.mean_effect_fe), float(res.sd_eff_w_fe)
    print(f"fixed: estimate {fe!r}, se {fe_se!r}, interval (z) {float(fe - z * fe_se)!r}, {float(fe + z * fe_se)!r}")
    print(f"q {float(res.q)!r}, q_p {float(stats.chi2.sf(res.q, k - 1))!r}, i2 {max(0.0, float(res.i2))!r}")
    if res.tau2 > 0:
        print(f"tau2_dl {float(res.tau2)!r}")
        print(f"random_dl: estimate {float(res.mean_effect_re)!r}, se {float(res.sd_eff_w_re)!r}")
        low, upp = frame.loc["random effect wls", ["ci_low", "ci_upp"]]
        print(f"hksj_dl: se {float(res.sd_eff_w_re_hksj)!r}, interval (t, k-1) {float(low)!r}, {float(upp)!r}")
    else:
        print("tau2_dl 0.0 (truncated), random_dl = fixed")
        low, upp = frame.loc["fixed effect wls", ["ci_low", "ci_upp"]]
        print(f"hksj_dl: se {float(res.sd_eff_w_fe_hksj)!r}, interval (t, k-1) {float(low)!r}, {float(upp)!r}")
    tau2 = reml_tau2(y, v)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se_re = float(1.0 / np.sqrt(np.sum(w)))
    print(f"tau2_reml {tau2!r}, random_reml: estimate {mu!r}, se {se_re!r}")
    if k >= 3:
        half = stats.t.ppf(0.975, k - 2) * np.sqrt(tau2 + se_re**2)
        print(f"prediction_reml {float(mu - half)!r}, {float(mu + half)!r}")
    if k >= 10:
        fit = sm.OLS(y / se, sm.add_constant(1.0 / se)).fit()
        print(
            f"egger: intercept {float(fit.params[0])!r}, se {float(fit.bse[0])!r}, t {float(fit.tvalues[0])!r}, p {float(fit.pvalues[0])!r}"
        )
    print()
