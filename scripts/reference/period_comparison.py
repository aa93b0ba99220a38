"""Reference values for comparing one period with another
(crates/sprout-stats/src/compare.rs), from scipy and statsmodels:

Difference of two independent means (Welch): d = mean(a) - mean(b), se =
sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite degrees of freedom, limits
d -/+ t(0.975; df) se: scipy's ttest_ind(a, b, equal_var=False) and its
confidence_interval().

Difference of two independent proportions (Newcombe's hybrid score interval,
method 10 of Newcombe 1998, from Wilson limits without continuity
correction): statsmodels' confint_proportions_2indep(..., method='newcomb',
compare='diff').

Run `python3 scripts/reference/period_comparison.py` (needs scipy and statsmodels).
"""

from scipy.stats import ttest_ind
from statsmodels.stats.proportion import confint_proportions_2indep


def show(name, value):
    print(f"{name} = {value!r}")


a = [1.0, 2.5, -0.5, 3.0, 4.0, 0.0, 2.0, 1.5]
b = [0.5, -1.0, 0.0, 1.0, -2.0, 0.5]
t = ttest_ind(a, b, equal_var=False)
ci = t.confidence_interval(0.95)
show("welch_df", t.df)
show("welch_lower", ci.low)
show("welch_upper", ci.high)

for x1, n1, x2, n2 in [(56, 70, 48, 80), (9, 10, 3, 10), (0, 20, 5, 25), (855, 1000, 700, 880)]:
    low, upp = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    show(f"newcombe_{x1}_{n1}_{x2}_{n2}", (low, upp))
