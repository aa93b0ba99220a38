"""Reference values for sprout's XmR moving-range screening (crates/sprout-stats/src/spc.rs).

Making Data Count / NHSRplotthedots (screen_outliers = TRUE): the mean moving
range is recomputed without the moving ranges above 3.267 x the mean moving
range; process limits are mean +/- 2.66 x (screened) mean moving range, near
limits two-thirds of the way. Evaluated independently here in plain Python
(no sprout code); run `python3 scripts/reference/spc_screening.py`.
"""

SERIES = [10, 11, 9, 10, 12, 11, 10, 30, 11, 10, 9, 11, 10, 12, 10]


def limits(values, screen):
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in zip(values, values[1:])]
    mr = sum(ranges) / len(ranges)
    if screen:
        kept = [r for r in ranges if r <= 3.267 * mr]
        mr = sum(kept) / len(kept)
    half = 2.66 * mr
    return mean, mean - half, mean + half, mean - half * 2 / 3, mean + half * 2 / 3


for screen in (False, True):
    mean, lower, upper, near_lower, near_upper = limits(SERIES, screen)
    print(f"screen={screen}: mean={mean!r} lower={lower!r} upper={upper!r} "
          f"near_lower={near_lower!r} near_upper={near_upper!r}")

# Limits fixed from a baseline of the first 12 points (NHSRplotthedots'
# fix_after_n_points = 12) of a series that shifts up after them.
SHIFTED = [20, 22, 19, 21, 23, 20, 22, 21, 19, 20, 22, 21, 30, 31, 29, 32, 30, 31]
mean, lower, upper, near_lower, near_upper = limits(SHIFTED[:12], True)
print(f"baseline 12, screened: mean={mean!r} lower={lower!r} upper={upper!r}")
mean, lower, upper, near_lower, near_upper = limits(SHIFTED, True)
print(f"all 18, screened: mean={mean!r} lower={lower!r} upper={upper!r}")
