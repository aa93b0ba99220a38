"""Reference values for sprout's statistics tests (crates/sprout-stats).

Run with scipy and statsmodels installed (e.g. in a throwaway virtual environment):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install scipy statsmodels
    /tmp/refenv/bin/python scripts/reference/wellbeing_stats.py

Each printed value is pasted into the Rust test named beside it.
"""
import math

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

# Paired SWEMWBS-like scores with ties and zero differences.
BEFORE = [17.43, 19.25, 20.73, 16.88, 23.21, 19.98, 18.59, 21.54, 15.84, 20.73,
          17.98, 19.25, 22.35, 16.36, 19.98, 18.59, 20.73, 14.75, 21.54, 19.25]
AFTER = [19.98, 19.25, 22.35, 18.59, 23.21, 21.54, 17.98, 24.11, 16.88, 21.54,
         19.98, 20.73, 22.35, 17.43, 21.54, 19.25, 23.21, 16.36, 20.73, 22.35]


def show(name, value):
    print(f"{name} = {value!r}")


b = np.array(BEFORE)
a = np.array(AFTER)
d = a - b
n = len(d)

# mean_ci of the differences (t interval)
mean = d.mean()
sd = d.std(ddof=1)
half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
show("mean_change", mean)
show("sd_change", sd)
show("ci_lower", mean - half)
show("ci_upper", mean + half)

# paired t-test
t = stats.ttest_rel(a, b)
show("t", t.statistic)
show("t_p", t.pvalue)

# Wilcoxon signed-rank, normal approximation with tie and continuity corrections,
# zeros dropped (R: wilcox.test(after, before, paired=TRUE, exact=FALSE, correct=TRUE)).
w = stats.wilcoxon(a, b, zero_method="wilcox", correction=True, method="approx")
nz = d[d != 0]
ranks = stats.rankdata(np.abs(nz))
show("wilcoxon_v", ranks[nz > 0].sum())
show("wilcoxon_n", len(nz))
show("wilcoxon_p", w.pvalue)

# Effect sizes: d_z = mean(d)/sd(d); d_av = mean(d)/((sd_b + sd_a)/2).
dz = mean / sd
se_dz = math.sqrt(1 / n + dz ** 2 / (2 * n))
show("d_z", dz)
show("d_z_lower", dz - stats.norm.ppf(0.975) * se_dz)
show("d_z_upper", dz + stats.norm.ppf(0.975) * se_dz)
sd_b, sd_a = b.std(ddof=1), a.std(ddof=1)
r = np.corrcoef(b, a)[0, 1]
dav = mean / ((sd_b + sd_a) / 2)
se_dav = math.sqrt((1 / n + dav ** 2 / (2 * n)) * 2 * (1 - r))
show("d_av", dav)
show("d_av_lower", dav - stats.norm.ppf(0.975) * se_dav)
show("d_av_upper", dav + stats.norm.ppf(0.975) * se_dav)

# Standardised mean difference between two groups (attrition bias).
g1 = np.array([17.43, 19.25, 20.73, 16.88, 23.21, 19.98, 18.59])
g2 = np.array([15.84, 20.73, 17.98, 16.36, 14.75, 18.59])
smd = (g1.mean() - g2.mean()) / math.sqrt((g1.var(ddof=1) + g2.var(ddof=1)) / 2)
show("smd", smd)

# Wilson intervals (no continuity correction).
for x, m in [(65, 100), (0, 12), (12, 12), (3, 31), (1234, 2500)]:
    lo, hi = proportion_confint(x, m, alpha=0.05, method="wilson")
    show(f"wilson_{x}_{m}", (lo, hi))

# McNemar's test with continuity correction (R mcnemar.test default).
for b10, c01 in [(25, 10), (3, 9), (40, 41), (12, 0)]:
    res = mcnemar([[50, b10], [c01, 50]], exact=False, correction=True)
    show(f"mcnemar_{b10}_{c01}", (res.statistic, res.pvalue))

# Rate ratio of two Poisson rates with fixed denominators, log-normal interval:
# RR = (x1/n1) / (x2/n2), exp(log RR ± z * sqrt(1/x1 + 1/x2)).
for x1, n1, x2, n2 in [(201, 694, 654, 2948), (3, 11, 852, 3631)]:
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 + 1 / x2)
    z = stats.norm.ppf(0.975)
    show(f"rate_ratio_{x1}_{n1}_{x2}_{n2}", (rr, math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)))
