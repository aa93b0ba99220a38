"""Reference values for inverse-probability weighting of follow-ups
(crates/sprout-stats/src/weighting.rs, src/measures/attrition.rs).

The crafted data: 60 people with a baseline score b (10 to 30) and a binary
characteristic g; the better the baseline, the likelier a follow-up, and the
smaller the change. Fit P(follow-up) by logistic regression on (1, b, g)
(statsmodels GLM, Binomial), weight each person followed up by
P(follow-up) / p_i (stabilised), and take the weighted mean change with its
HC0 sandwich standard error (statsmodels WLS on a constant, cov_type="HC0",
normal interval). Truncation at the 10th and 90th percentiles uses numpy's
default (type 7) quantiles.

Run with statsmodels installed (e.g. in a throwaway virtual environment):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install scipy statsmodels
    /tmp/refenv/bin/python scripts/reference/attrition_weighting.py
"""
import math

import numpy as np
import statsmodels.api as sm


def uniform(i, salt):
    """A fixed pseudo-random number in [0, 1) from integers alone (a 32-bit
    integer hash, so Rust gives the same numbers)."""
    m = 4294967296
    x = (i * 0x9E3779B1 + salt * 0x85EBCA77) % m
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) % m
    x ^= x >> 12
    x = (x * 0x297A2D39) % m
    x ^= x >> 15
    return x / m


def crafted():
    rows = []
    for i in range(60):
        b = 10 + (i * 8) % 21
        g = 1.0 if i % 3 == 0 else 0.0
        f = uniform(i, 1) < 1 / (1 + math.exp(-(b - 20) / 8 - 0.5 * g))
        y = 6.0 - 0.3 * (b - 20.0) + 1.5 * g + 6.0 * uniform(i, 2) - 3.0
        rows.append((float(b), g, f, y))
    return rows


def show(name, value):
    print(f"{name} = {value!r}")


rows = crafted()
b = np.array([r[0] for r in rows])
g = np.array([r[1] for r in rows])
f = np.array([r[2] for r in rows])
y = np.array([r[3] for r in rows])
show("followed up", int(f.sum()))
show("baseline sum", b.sum())
show("group sum", g.sum())
show("change sum", y.sum())

X = np.column_stack([np.ones(len(b)), b, g])
fit = sm.GLM(f.astype(float), X, family=sm.families.Binomial()).fit(tol=1e-12)
show("coefficients", list(fit.params))
p = fit.predict(X)

share = f.mean()
raw = share / p[f]
yf = y[f]


def weighted(weights):
    wls = sm.WLS(yf, np.ones(len(yf)), weights=weights).fit(cov_type="HC0")
    mean = wls.params[0]
    se = wls.bse[0]
    lower, upper = wls.conf_int(alpha=0.05)[0]
    ess = weights.sum() ** 2 / (weights ** 2).sum()
    return mean, se, lower, upper, ess


show("complete-case mean", yf.mean())
show("full-cohort mean", y.mean())
show("weighted (mean, se, lower, upper, ess)", weighted(raw))
show("largest weight", raw.max())
lo, hi = np.quantile(raw, 0.1), np.quantile(raw, 0.9)
show("10th, 90th percentiles", (lo, hi))
show("raised, lowered", (int((raw < lo).sum()), int((raw > hi).sum())))
show("truncated weighted mean", weighted(np.clip(raw, lo, hi))[0])
