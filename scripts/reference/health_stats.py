"""Reference values for the health-and-care-system statistics (crates/sprout-stats/src/did.rs,
crates/sprout-stats/src/summary.rs quantile, crates/sprout-stats/src/effect.rs weighted SMD).

Run with numpy, scipy and statsmodels installed (e.g. in a throwaway virtual environment):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install numpy scipy statsmodels
    /tmp/refenv/bin/python scripts/reference/health_stats.py

Each printed value is pasted into the Rust test named beside it.
"""
import numpy as np
import statsmodels.api as sm
from scipy import stats


def show(name, value):
    print(f"{name} = {value!r}")


# summary::tests::quantiles_match_numpy (numpy's default linear method = type 7).
xs = [4.0, 0.0, 12.0, 3.5, 7.25, 1.0, 0.0, 9.0]
for p in [0.5, 0.025, 0.9, 0.975]:
    show(f"quantile {p}", float(np.percentile(xs, p * 100)))

# effect::tests::weighted_smd_matches_reference_and_reduces_to_the_unweighted_one
def wmv(x, w):
    x, w = np.asarray(x), np.asarray(w)
    m = np.sum(w * x) / np.sum(w)
    v = np.sum(w * (x - m) ** 2) / (np.sum(w) - np.sum(w ** 2) / np.sum(w))
    return m, v

m1, v1 = wmv([7.0, 12.0, 3.0, 9.0, 15.0], [1.0] * 5)
m2, v2 = wmv([4.0, 6.0, 11.0, 2.0, 5.0, 8.0], [0.5, 0.5, 1.0, 1.0, 0.5, 0.5])
show("weighted smd", float((m1 - m2) / np.sqrt((v1 + v2) / 2)))

# did::tests::estimate_and_cluster_interval_match_the_weighted_regression
cases = [-3.0, -1.5, 0.0, -4.5, 2.0, -2.0]
comparators = [[-1.0, 0.5], [0.0, -2.0], [1.5, 1.0], [-0.5], [2.5, 0.0], [-1.0, -1.5]]
y, treated, weights = [], [], []
for c, ks in zip(cases, comparators):
    y.append(c); treated.append(1.0); weights.append(1.0)
    for k in ks:
        y.append(k); treated.append(0.0); weights.append(1.0 / len(ks))
fit = sm.WLS(np.array(y), sm.add_constant(np.array(treated)), weights=np.array(weights)).fit()
show("did (WLS treated coefficient)", float(fit.params[1]))
contrast = np.array([c - np.mean(ks) for c, ks in zip(cases, comparators)])
se = contrast.std(ddof=1) / np.sqrt(len(contrast))
t = stats.t.ppf(0.975, len(contrast) - 1)
show("se", float(se))
show("lower", float(contrast.mean() - t * se))
show("upper", float(contrast.mean() + t * se))
