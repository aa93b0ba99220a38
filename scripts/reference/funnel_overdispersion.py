"""Reference values for overdispersion on the variance-stabilised scale
(src/measures/benchmark.rs compute_funnel), after Spiegelhalter (2005),
"Handling over-dispersion of performance indicators", as FunnelPlotR does.

Proportions: y = asin(sqrt(p)), target asin(sqrt(theta)), s = 1/(2 sqrt(n)).
Rates (counts against exposure, expected E = theta n): y = sqrt(x / E),
target 1, s = 1/(2 sqrt(E)). Standardised ratios (observed O against
expected E): the same with theta = 1, y = sqrt(O / E). Ratios of counts
(x after against y before, FunnelPlotR's "RC"): y = log((x + 1/2) / (y + 1/2)),
target log(sum x / sum y), s^2 = x / (x + 1/2)^2 + y / (y + 1/2)^2, limits
at precision P = 1 / s^2 of exp(target +/- z sqrt(1/P + tau2)). z = (y - target) / s, winsorised at the 10th and
90th percentiles (R type 7), phi = sum(z_w^2) / I, p = P(chi2(I - 1) > I phi),
tau2 = max(0, (I phi - (I - 1)) / (sum w - sum w^2 / sum w)), w = 1 / s^2;
additive limits target +/- z sqrt(s^2 + tau2), back-transformed. Plain Python
(the chi-squared tail by the regularised incomplete gamma function); run
`python3 scripts/reference/funnel_overdispersion.py`.
"""
import math

Z95 = 1.959963984540054
Z998 = 3.090232306167813


def quantile7(sorted_values, q):
    h = (len(sorted_values) - 1) * q
    lo, hi = math.floor(h), math.ceil(h)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def winsorise(values, q=0.1):
    s = sorted(values)
    lo, hi = quantile7(s, q), quantile7(s, 1 - q)
    return [min(max(v, lo), hi) for v in values]


def upper_gamma_regularised(a, x):
    """Q(a, x) by the series (x < a + 1) or the continued fraction."""
    if x <= 0:
        return 1.0
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        for _ in range(10000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        return 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    b = x + 1 - a
    c = 1e300
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def assess(units, kind):
    if kind == "standardised":
        theta = 1.0
    else:
        theta = sum(x for x, _ in units) / sum(n for _, n in units)
    if kind == "ratio_of_counts":
        s = [math.sqrt(x / (x + 0.5) ** 2 + n / (n + 0.5) ** 2) for x, n in units]
        target = math.log(theta)
        z = [(math.log((x + 0.5) / (n + 0.5)) - target) / si for (x, n), si in zip(units, s)]
        i = len(units)
        phi = sum(v * v for v in winsorise(z)) / i
        p = upper_gamma_regularised((i - 1) / 2, i * phi / 2)
        w = [1 / (v * v) for v in s]
        tau2 = max(0.0, (i * phi - (i - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)))
        return theta, phi, p, tau2, math.exp, target, lambda precision: 1 / math.sqrt(precision)
    if kind == "proportion":
        to = lambda v: math.asin(math.sqrt(v))
        back = lambda y: math.sin(min(max(y, 0), math.pi / 2)) ** 2
        s_of = lambda n: 1 / (2 * math.sqrt(n))
    else:
        to = lambda v: math.sqrt(max(v / theta, 0))
        back = lambda y: theta * max(y, 0) ** 2
        s_of = lambda n: 1 / (2 * math.sqrt(theta * n))
    target = to(theta)
    z = [(to(x / n) - target) / s_of(n) for x, n in units]
    s = [s_of(n) for _, n in units]
    i = len(units)
    phi = sum(v * v for v in winsorise(z)) / i
    p = upper_gamma_regularised((i - 1) / 2, i * phi / 2)
    w = [1 / (v * v) for v in s]
    tau2 = max(0.0, (i * phi - (i - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)))
    return theta, phi, p, tau2, back, target, s_of


PROPORTIONS = [(6, 120), (30, 150), (9, 90), (41, 200), (12, 160), (25, 110),
               (3, 80), (38, 140), (15, 170), (29, 130), (7, 100), (44, 190)]
RATES = [(12, 300), (45, 280), (20, 350), (70, 400), (18, 260), (52, 310),
         (9, 240), (61, 330), (25, 290), (40, 270), (14, 250), (66, 360)]
# Observed referrals against expected ones (expected not whole numbers).
STANDARDISED = [(40, 52.5), (95, 61.2), (18, 33.8), (120, 88.4), (30, 47.1),
                (77, 50.3), (12, 26.9), (101, 70.6), (44, 58.2), (66, 49.7),
                (21, 39.4), (130, 92.3)]
# Events after against before referral, by unit.
RATIOS = [(120, 160), (95, 90), (40, 75), (210, 230), (60, 120), (33, 30),
          (150, 260), (88, 85), (25, 60), (170, 180), (70, 140), (44, 41)]

for name, units, kind in (("proportions", PROPORTIONS, "proportion"), ("rates", RATES, "rate"),
                          ("standardised ratios", STANDARDISED, "standardised"),
                          ("ratios of counts", RATIOS, "ratio_of_counts")):
    theta, phi, p, tau2, back, target, s_of = assess(units, kind)
    print(f"{name}: theta={theta!r} phi={phi!r} p={p!r} tau2={tau2!r}")
    # Ratios of counts: at the precision of units 4 (210, 230) and 8 (88, 85).
    precision = [1 / (x / (x + 0.5) ** 2 + y / (y + 0.5) ** 2) for x, y in (RATIOS[3], RATIOS[7])]
    points = {"standardised": (50.3, 92.3), "ratio_of_counts": precision}
    for n in points.get(kind, (100.0, 300.0)):
        se = math.sqrt(s_of(n) ** 2 + tau2)
        limits = [back(target - Z95 * se), back(target + Z95 * se),
                  back(target - Z998 * se), back(target + Z998 * se)]
        print(f"  additive limits at n={n}: {limits!r}")
        se = math.sqrt(phi) * s_of(n)
        limits = [back(target - Z95 * se), back(target + Z95 * se),
                  back(target - Z998 * se), back(target + Z998 * se)]
        print(f"  multiplicative limits at n={n}: {limits!r}")
