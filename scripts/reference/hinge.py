"""Reference values for the hinge fit (crates/sprout-stats/src/hinge.rs),
computed independently with numpy's weighted least squares.

For an extent e (days), a point at distance u has regressor
x = max(0, e - u) / 30.4375 and weight 1 / se^2; the slope through the origin
is the weighted least-squares solution (numpy.linalg.lstsq on sqrt(w) x and
sqrt(w) y), its standard error (sum w x^2)^(-1/2); the extent chosen
minimises the weighted residual sum of squares over whole days from 90 to
274 (the shortest of equal ones).

Run `python3 scripts/reference/hinge.py` (needs numpy).
"""
import numpy as np

MONTH = 30.4375
u = np.array([(m - 0.5) * MONTH for m in range(9, 3, -1)])
y = np.array([0.31, -0.22, 0.47, 1.35, 1.62, 2.71])
se = np.array([0.5, 0.45, 0.5, 0.4, 0.45, 0.5])
w = 1 / se**2

best = None
for e in range(90, 275):
    x = np.maximum(0.0, e - u) / MONTH
    if np.sum(w * x * x) <= 0:
        continue
    beta, *_ = np.linalg.lstsq((np.sqrt(w) * x)[:, None], np.sqrt(w) * y, rcond=None)
    sse = np.sum(w * (y - beta[0] * x) ** 2)
    if best is None or sse < best[0]:
        best = (sse, e, beta[0], np.sum(w * x * x) ** -0.5)
print(f"extent_days = {best[1]}.0, slope = {best[2]!r}, slope_se = {best[3]!r}")
