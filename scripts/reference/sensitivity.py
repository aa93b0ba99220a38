"""Reference values for the sensitivity analyses
(crates/sprout-stats/src/sensitivity.rs). Plain Python, evaluated
independently of the Rust code from the formulas:

Relative magnitudes (after Rambachan and Roth 2023): with a
difference-in-differences interval [L, U] and D the largest absolute
departure from parallel trends seen before referral, the interval when the
departure after referral may be up to M times D is [L - M D, U + M D]; the
breakdown M is the distance from zero of the nearer limit over D (0 when the
interval includes zero).

Tipping point (delta adjustment): with a complete-case mean change m, its
interval [L, U], n1 followed up and n0 not, people without a follow-up
changing delta less gives m - sign(m) delta n0 / n for everyone (n = n1 +
n0); it is zero at delta = |m| n / n0, and its interval reaches zero at
delta = (distance from zero of the nearer limit) n / n0.

Designs side by side: estimates a and b with standard errors se_a and
se_b differ by a - b with standard error sqrt(se_a^2 + se_b^2), 95% limits
a - b -/+ 1.959964 se and two-sided p 2 (1 - Phi(|a - b| / se)) (scipy).

Run `python3 scripts/reference/sensitivity.py` (needs scipy).
"""


from scipy.stats import norm


def show(name, value):
    print(f"{name} = {value!r}")


def bounds(lower, upper, d, m):
    return lower - m * abs(d), upper + m * abs(d)


def breakdown(lower, upper, d):
    if lower <= 0 <= upper:
        return 0.0
    nearer = -upper if upper < 0 else lower
    return nearer / abs(d)


def tipping(mean, lower, upper, n1, n0):
    scale = (n1 + n0) / n0
    if lower <= 0 <= upper:
        nearer = 0.0
    else:
        nearer = -upper if upper < 0 else lower
    return abs(mean) * scale, nearer * scale


for m in (0.0, 0.5, 1.0, 2.0):
    show(f"bounds at M = {m}", bounds(-2.07, -0.80, 0.41, m))
show("breakdown M", breakdown(-2.07, -0.80, 0.41))
show("tipping SWEMWBS", tipping(1.16, 0.82, 1.49, 131, 147))
show("tipping anxiety", tipping(-0.45, -0.64, -0.26, 174, 208))


def design_difference(a, se_a, b, se_b):
    d = a - b
    se = (se_a ** 2 + se_b ** 2) ** 0.5
    z = norm.ppf(0.975)
    return d, se, (d - z * se, d + z * se), 2 * norm.sf(abs(d) / se)


show("designs that disagree", design_difference(1.20, 0.19, -1.00, 0.62))
show("designs that agree", design_difference(-0.62, 0.15, -0.90, 0.55))
