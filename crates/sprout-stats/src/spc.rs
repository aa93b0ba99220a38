//! Statistical process control: the Making Data Count XmR chart.
//!
//! Centre line = mean of the points; process limits = mean ± 2.66 × mean
//! moving range (|xᵢ − xᵢ₋₁|); near limits two-thirds of the way to them.
//! With screening (the default, as Making Data Count and NHSRplotthedots'
//! `screen_outliers = TRUE`), moving ranges above 3.267 × their mean are left
//! out and the mean moving range recomputed, so one large jump does not widen
//! the limits. Limits are then kept within the measure's natural range (a
//! count's or share's lower limit at 0, a share's upper limit at 1). Special-cause rules, in the order they are
//! reported: a point beyond a process limit; a run of `run_length` points on
//! one side of the mean (a point on the mean breaks a run); a trend of
//! `trend_length` points each higher (or lower) than the one before (an equal
//! neighbour breaks it); two of three points beyond the near limit on the same
//! side. Each period between rebase points gets its own limits; with a
//! baseline of N points (NHSRplotthedots' `fix_after_n_points`) a period's
//! mean and limits come from its first N points and are extended over the rest.

/// Options of an XmR chart.
#[derive(Debug, Clone)]
pub struct SpcOptions {
    /// Points on one side of the mean that make a run (Making Data Count: 7).
    pub run_length: usize,
    /// Consecutive increases or decreases that make a trend (7).
    pub trend_length: usize,
    /// Leave out moving ranges above 3.267 × their mean before computing limits.
    pub screen_moving_ranges: bool,
    /// The lowest value the measure can take (0 for counts and shares):
    /// process and near limits below it are set to it.
    pub floor: Option<f64>,
    /// The highest value it can take (1 for shares).
    pub ceiling: Option<f64>,
    /// Fix each period's mean and limits from its first N points (`None`:
    /// from all of them).
    pub baseline_points: Option<usize>,
    /// Which way is better.
    pub improvement: Direction,
    /// Optional target for assurance.
    pub target: Option<f64>,
    /// Indices at which the process is rebased (a new mean and limits start there).
    pub rebase_at: Vec<usize>,
}

impl Default for SpcOptions {
    fn default() -> Self {
        SpcOptions {
            run_length: 7,
            trend_length: 7,
            screen_moving_ranges: true,
            floor: None,
            ceiling: None,
            baseline_points: None,
            improvement: Direction::Neutral,
            target: None,
            rebase_at: Vec::new(),
        }
    }
}

/// Direction of improvement of a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is better.
    Increase,
    /// Lower is better.
    Decrease,
    /// Neither: special causes are reported as neutral.
    Neutral,
}

/// What a point's special cause means for the measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variation {
    /// No special cause.
    CommonCause,
    /// Special cause in the direction of improvement.
    Improvement,
    /// Special cause in the direction of concern.
    Concern,
    /// Special cause on a measure with no improvement direction.
    Neutral,
}

/// Whether the process will meet the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assurance {
    /// No target given.
    None,
    /// Both limits on the good side of the target: it will consistently be met.
    Pass,
    /// Both limits on the bad side: it will consistently be missed.
    Fail,
    /// The target lies between the limits: hit and miss.
    HitAndMiss,
}

/// One point of an XmR chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SpcPoint {
    /// The value.
    pub value: f64,
    /// Moving range from the previous point in the same period (None for the first).
    pub moving_range: Option<f64>,
    /// Centre line.
    pub mean: f64,
    /// Lower process limit.
    pub lower: f64,
    /// Upper process limit.
    pub upper: f64,
    /// Lower near limit (two-thirds of the way to the lower limit).
    pub near_lower: f64,
    /// Upper near limit.
    pub near_upper: f64,
    /// Beyond a process limit.
    pub beyond_limit: bool,
    /// Part of a run on one side of the mean.
    pub run: bool,
    /// Part of a trend.
    pub trend: bool,
    /// Part of two-of-three beyond a near limit.
    pub two_of_three: bool,
    /// +1 above the mean (special cause high), −1 below, 0 none.
    pub side: i8,
    /// What the special cause means.
    pub variation: Variation,
}

/// A finished chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SpcChart {
    /// The points.
    pub points: Vec<SpcPoint>,
    /// Assurance against the target (from the last period's limits).
    pub assurance: Assurance,
    /// Warnings, e.g. fewer than 12 points.
    pub warnings: Vec<String>,
}

/// Mean moving range multiplier for process limits (3 / d₂, d₂ = 1.128).
pub const LIMIT_CONSTANT: f64 = 2.66;
/// Moving ranges above this multiple of their mean are screened out.
pub const SCREEN_CONSTANT: f64 = 3.267;
/// Fewer points than this give a warning: limits are not yet reliable.
pub const MIN_POINTS: usize = 12;

/// Mean and process limits of one period: (mean, mean moving range).
pub fn centre_and_spread(values: &[f64], screen: bool) -> (f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let ranges: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    if ranges.is_empty() {
        return (mean, f64::NAN);
    }
    let mut mr = ranges.iter().sum::<f64>() / ranges.len() as f64;
    if screen {
        let kept: Vec<f64> = ranges
            .iter()
            .copied()
            .filter(|r| *r <= SCREEN_CONSTANT * mr)
            .collect();
        if !kept.is_empty() {
            mr = kept.iter().sum::<f64>() / kept.len() as f64;
        }
    }
    (mean, mr)
}

/// Build an XmR chart of `values` (in time order).
pub fn xmr(values: &[f64], options: &SpcOptions) -> SpcChart {
    let mut starts: Vec<usize> = std::iter::once(0)
        .chain(
            options
                .rebase_at
                .iter()
                .copied()
                .filter(|&i| i > 0 && i < values.len()),
        )
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut points = Vec::with_capacity(values.len());
    let mut warnings = Vec::new();
    let mut last_limits = (f64::NAN, f64::NAN);
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(values.len());
        let period = &values[start..end];
        let basis = &period[..options
            .baseline_points
            .map_or(period.len(), |n| n.clamp(1, period.len()))];
        if basis.len() < MIN_POINTS {
            warnings.push(format!(
                "only {} points from point {}: limits are provisional below {MIN_POINTS}",
                basis.len(),
                start + 1
            ));
        }
        let (mean, mr) = centre_and_spread(basis, options.screen_moving_ranges);
        let half = LIMIT_CONSTANT * mr;
        let natural = |x: f64| {
            let x = options.floor.map_or(x, |f| x.max(f));
            options.ceiling.map_or(x, |c| x.min(c))
        };
        let (lower, upper) = (natural(mean - half), natural(mean + half));
        let (near_lower, near_upper) = (
            natural(mean - half * 2.0 / 3.0),
            natural(mean + half * 2.0 / 3.0),
        );
        last_limits = (lower, upper);
        for (i, &value) in period.iter().enumerate() {
            points.push(SpcPoint {
                value,
                moving_range: (i > 0).then(|| (value - period[i - 1]).abs()),
                mean,
                lower,
                upper,
                near_lower,
                near_upper,
                beyond_limit: false,
                run: false,
                trend: false,
                two_of_three: false,
                side: 0,
                variation: Variation::CommonCause,
            });
        }
        let period_points = &mut points[start..end];
        flag_rules(period_points, options);
    }
    for p in &mut points {
        p.variation = match (p.side, options.improvement) {
            (0, _) => Variation::CommonCause,
            (_, Direction::Neutral) => Variation::Neutral,
            (1, Direction::Increase) | (-1, Direction::Decrease) => Variation::Improvement,
            _ => Variation::Concern,
        };
    }
    let assurance = match options.target {
        None => Assurance::None,
        Some(target) => {
            let (lower, upper) = last_limits;
            let good_above = options.improvement != Direction::Decrease;
            if (good_above && lower > target) || (!good_above && upper < target) {
                Assurance::Pass
            } else if (good_above && upper < target) || (!good_above && lower > target) {
                Assurance::Fail
            } else {
                Assurance::HitAndMiss
            }
        }
    };
    SpcChart {
        points,
        assurance,
        warnings,
    }
}

/// Flag the special-cause rules within one period; `side` records the direction.
fn flag_rules(points: &mut [SpcPoint], options: &SpcOptions) {
    let n = points.len();
    let mut side = vec![0i8; n];
    let mark = |i: usize, s: i8, side: &mut Vec<i8>| {
        if side[i] == 0 {
            side[i] = s;
        }
    };
    // Beyond a process limit.
    for (i, p) in points.iter_mut().enumerate() {
        if p.value > p.upper {
            p.beyond_limit = true;
            mark(i, 1, &mut side);
        } else if p.value < p.lower {
            p.beyond_limit = true;
            mark(i, -1, &mut side);
        }
    }
    // Runs on one side of the mean; a point on the mean breaks the run.
    let position = |p: &SpcPoint| {
        if p.value > p.mean {
            1
        } else if p.value < p.mean {
            -1
        } else {
            0
        }
    };
    let mut i = 0;
    while i < n {
        let s = position(&points[i]);
        let mut j = i;
        while j + 1 < n && s != 0 && position(&points[j + 1]) == s {
            j += 1;
        }
        if s != 0 && j + 1 - i >= options.run_length {
            for (k, p) in points.iter_mut().enumerate().take(j + 1).skip(i) {
                p.run = true;
                mark(k, s, &mut side);
            }
        }
        i = j + 1;
    }
    // Trends: strictly increasing or decreasing; an equal neighbour breaks a trend.
    let step = |a: f64, b: f64| -> i8 {
        if b > a {
            1
        } else if b < a {
            -1
        } else {
            0
        }
    };
    let mut i = 0;
    while i + 1 < n {
        let direction = step(points[i].value, points[i + 1].value);
        let mut j = i + 1;
        while direction != 0 && j + 1 < n && step(points[j].value, points[j + 1].value) == direction
        {
            j += 1;
        }
        if direction != 0 && j + 1 - i >= options.trend_length {
            for (k, p) in points.iter_mut().enumerate().take(j + 1).skip(i) {
                p.trend = true;
                mark(k, direction, &mut side);
            }
        }
        i = if direction != 0 { j } else { i + 1 };
    }
    // Two of three beyond the near limit on the same side (and within the window).
    for start in 0..n.saturating_sub(2) {
        for s in [1i8, -1] {
            let beyond = |p: &SpcPoint| {
                if s == 1 {
                    p.value > p.near_upper
                } else {
                    p.value < p.near_lower
                }
            };
            let hits: Vec<usize> = (start..start + 3).filter(|&k| beyond(&points[k])).collect();
            if hits.len() >= 2 {
                for k in hits {
                    points[k].two_of_three = true;
                    mark(k, s, &mut side);
                }
            }
        }
    }
    for (p, s) in points.iter_mut().zip(side) {
        p.side = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// Unscreened, as the limits tests of the Python port compute them.
    fn chart(values: &[f64]) -> SpcChart {
        xmr(
            values,
            &SpcOptions {
                screen_moving_ranges: false,
                ..SpcOptions::default()
            },
        )
    }

    #[test]
    fn limits_of_simple_series() {
        // Mean 5.5, mean moving range 1: limits 5.5 ± 2.66, near limits 5.5 ± 1.7733.
        let c = chart(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
        let p = &c.points[0];
        assert_close(p.mean, 5.5, 1e-12, "mean");
        assert_close(p.lower, 2.84, 1e-12, "lower");
        assert_close(p.upper, 8.16, 1e-12, "upper");
        assert_close(p.near_lower, 3.726_666_666_666_666_6, 1e-12, "near lower");
        assert!(c.warnings[0].contains("only 10 points"));
    }

    /// `scripts/reference/spc_screening.py`: one jump (30) in a steady series
    /// widens the unscreened limits to 1.09–22.37; screened (the default)
    /// they are 7.96–15.50.
    #[test]
    fn screening_leaves_a_large_jump_out_of_the_limits() {
        let series = [
            10.0, 11.0, 9.0, 10.0, 12.0, 11.0, 10.0, 30.0, 11.0, 10.0, 9.0, 11.0, 10.0, 12.0, 10.0,
        ];
        let unscreened = &chart(&series).points[0];
        assert_close(unscreened.mean, 11.733333333333333, 1e-12, "mean");
        assert_close(unscreened.lower, 1.093333333333332, 1e-12, "lower");
        assert_close(unscreened.upper, 22.373333333333335, 1e-12, "upper");
        assert_close(
            unscreened.near_lower,
            4.639999999999999,
            1e-12,
            "near lower",
        );
        assert_close(
            unscreened.near_upper,
            18.826666666666668,
            1e-12,
            "near upper",
        );
        let screened = xmr(&series, &SpcOptions::default());
        let p = &screened.points[0];
        assert_close(p.mean, 11.733333333333333, 1e-12, "mean");
        assert_close(p.lower, 7.964999999999999, 1e-12, "screened lower");
        assert_close(p.upper, 15.501666666666665, 1e-12, "screened upper");
        assert_close(p.near_lower, 9.22111111111111, 1e-12, "screened near lower");
        assert_close(
            p.near_upper,
            14.245555555555555,
            1e-12,
            "screened near upper",
        );
        assert!(screened.points[7].beyond_limit);
    }

    /// `scripts/reference/spc_screening.py`: limits fixed from the first 12
    /// points flag the shift after them; limits from all 18 absorb it.
    #[test]
    fn limits_fixed_from_a_baseline_extend_over_the_later_points() {
        let shifted = [
            20.0, 22.0, 19.0, 21.0, 23.0, 20.0, 22.0, 21.0, 19.0, 20.0, 22.0, 21.0, 30.0, 31.0,
            29.0, 32.0, 30.0, 31.0,
        ];
        let fixed = xmr(
            &shifted,
            &SpcOptions {
                baseline_points: Some(12),
                ..SpcOptions::default()
            },
        );
        for p in &fixed.points {
            assert_close(p.mean, 20.833333333333332, 1e-12, "baseline mean");
            assert_close(p.lower, 15.755151515151514, 1e-12, "baseline lower");
            assert_close(p.upper, 25.91151515151515, 1e-12, "baseline upper");
        }
        assert!(fixed.points[12..].iter().all(|p| p.beyond_limit));
        assert!(fixed.warnings.is_empty(), "12 baseline points are enough");
        let all = &xmr(&shifted, &SpcOptions::default()).points[0];
        assert_close(all.mean, 24.055555555555557, 1e-12, "mean of all");
        assert_close(all.lower, 19.068055555555556, 1e-12, "lower of all");
        assert_close(all.upper, 29.043055555555558, 1e-12, "upper of all");
    }

    #[test]
    fn limits_stay_within_the_natural_range() {
        // A share near 0: unscreened limits would go below 0.
        let shares = [
            0.02, 0.0, 0.05, 0.01, 0.0, 0.08, 0.02, 0.0, 0.03, 0.01, 0.0, 0.04,
        ];
        let open = xmr(&shares, &SpcOptions::default());
        assert!(open.points[0].lower < 0.0 && open.points[0].near_lower < 0.0);
        let bounded = xmr(
            &shares,
            &SpcOptions {
                floor: Some(0.0),
                ceiling: Some(1.0),
                ..SpcOptions::default()
            },
        );
        let p = &bounded.points[0];
        assert_eq!((p.lower, p.near_lower), (0.0, 0.0));
        assert_close(p.upper, open.points[0].upper, 1e-12, "upper unchanged");
        assert_close(p.mean, open.points[0].mean, 1e-12, "mean unchanged");
        // A share near 1 keeps its upper limit at 1.
        let high: Vec<f64> = shares.iter().map(|x| 1.0 - x).collect();
        let top = &xmr(
            &high,
            &SpcOptions {
                floor: Some(0.0),
                ceiling: Some(1.0),
                ..SpcOptions::default()
            },
        )
        .points[0];
        assert_eq!((top.upper, top.near_upper), (1.0, 1.0));
    }

    #[test]
    fn reference_limits_from_plotthedots_ports() {
        // Values from the Python port's limit tests (committed copy of three cases).
        let cases: [(&[f64], f64, f64, f64); 3] = [
            (
                &[1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0, 2.0, 1.0, 2.0],
                2.7,
                0.040000000000000036,
                5.36,
            ),
            (
                &[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0],
                3.5714285714285716,
                -6.625238095238096,
                13.768095238095238,
            ),
            (
                &[
                    1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 4.0, 3.0, 2.0, 1.0, 2.0,
                ],
                3.0,
                -0.014666666666666828,
                6.014666666666667,
            ),
        ];
        for (values, mean, lower, upper) in cases {
            let p = &chart(values).points[0];
            assert_close(p.mean, mean, 1e-9, "mean");
            assert_close(p.lower, lower, 1e-9, "lower");
            assert_close(p.upper, upper, 1e-9, "upper");
        }
    }

    #[test]
    fn shared_reference_files_when_present() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/NHSRplotthedots");
        let Ok(series) = std::fs::read_to_string(root.join("ptd_seed123_series.csv")) else {
            eprintln!("skipped: ../shared/reference is absent");
            return;
        };
        let y: Vec<f64> = series
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        let screened = xmr(
            &y,
            &SpcOptions {
                screen_moving_ranges: true,
                ..SpcOptions::default()
            },
        );
        assert_close(screened.points[0].mean, 0.1416238, 1e-6, "r1 mean");
        assert_close(screened.points[0].lower, -3.01138, 1e-6, "r1 lower");
        assert_close(screened.points[0].upper, 3.294627, 1e-6, "r1 upper");
        let mut outlier = y.clone();
        outlier[14] = 10.0;
        let screened = xmr(
            &outlier,
            &SpcOptions {
                screen_moving_ranges: true,
                ..SpcOptions::default()
            },
        );
        assert_close(screened.points[0].lower, -2.383666, 1e-6, "r2 lower");
        assert_close(screened.points[0].upper, 3.722497, 1e-6, "r2 upper");
        let unscreened = chart(&outlier);
        assert_close(unscreened.points[0].lower, -4.596625, 1e-6, "r3 lower");
        assert_close(unscreened.points[0].upper, 5.935457, 1e-6, "r3 upper");
        // The Python port's limits file: every case with explicit values.
        let limits =
            std::fs::read_to_string(root.join("nhspy_plotthedots_limits_tests.csv")).unwrap();
        let mut checked = 0;
        for line in limits.lines().skip(1) {
            let (head, rest) = line.split_once(",\"").unwrap();
            let (values, numbers) = rest.split_once("\",").unwrap();
            let values: Vec<f64> = if values.contains("range(20)") {
                (0..20).map(f64::from).collect()
            } else {
                values.split(';').map(|v| v.parse().unwrap()).collect()
            };
            let n: Vec<f64> = numbers.split(',').map(|v| v.parse().unwrap()).collect();
            let p = &chart(&values).points[0];
            for (got, want, what) in [
                (p.mean, n[0], "mean"),
                (p.lower, n[1], "lpl"),
                (p.upper, n[2], "upl"),
                (p.near_lower, n[3], "nlpl"),
                (p.near_upper, n[4], "nupl"),
            ] {
                assert!((got - want).abs() < 1e-9, "{head} {what}: {got} vs {want}");
            }
            checked += 1;
        }
        assert_eq!(checked, 8);
    }

    #[test]
    fn a_point_beyond_a_limit() {
        // Outliers on both sides keep the mean at 10.5, between the alternating values.
        let mut v: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 10.0 } else { 11.0 })
            .collect();
        v.extend([30.0, -9.0]);
        let c = xmr(
            &v,
            &SpcOptions {
                improvement: Direction::Decrease,
                ..SpcOptions::default()
            },
        );
        let n = c.points.len();
        assert!(c.points[n - 2].beyond_limit && c.points[n - 2].side == 1);
        assert_eq!(c.points[n - 2].variation, Variation::Concern);
        assert!(c.points[n - 1].beyond_limit && c.points[n - 1].side == -1);
        assert_eq!(c.points[n - 1].variation, Variation::Improvement);
        assert!(
            c.points[..n - 2]
                .iter()
                .all(|p| p.variation == Variation::CommonCause)
        );
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn runs_of_seven_and_a_run_broken_by_a_point_on_the_mean() {
        let v = [
            1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 9.0, 8.0, 9.0, 8.0, 9.0, 8.0, 9.0,
        ];
        let c = chart(&v);
        assert!(
            c.points.iter().all(|p| p.run),
            "7 below then 7 above the mean of 5"
        );
        assert_eq!(c.points[0].variation, Variation::Neutral);
        // Mean still 5, but a point exactly on it ends each run at 6.
        let broken = [
            1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 5.0, 9.0, 8.0, 9.0, 8.0, 9.0, 8.0, 5.0,
        ];
        let c = chart(&broken);
        assert_close(c.points[0].mean, 5.0, 1e-12, "mean");
        assert!(c.points.iter().all(|p| !p.run));
    }

    #[test]
    fn trends_of_seven_and_equal_neighbours() {
        let mut v = vec![5.0, 6.0, 5.0, 6.0, 5.0];
        v.extend([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let c = chart(&v);
        assert!(c.points[5..].iter().all(|p| p.trend));
        assert!(c.points[..4].iter().all(|p| !p.trend));
        let mut flat = vec![5.0, 6.0, 5.0, 6.0, 5.0];
        flat.extend([1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(
            chart(&flat).points.iter().all(|p| !p.trend),
            "an equal neighbour breaks the trend"
        );
        // A falling trend inside the limits, after a stable stretch.
        let falling = [
            7.0, 8.0, 7.0, 8.0, 7.0, 8.0, 7.0, 7.0, 8.9, 8.7, 8.5, 8.3, 8.1, 7.9, 7.7,
        ];
        let c = xmr(
            &falling,
            &SpcOptions {
                improvement: Direction::Decrease,
                ..SpcOptions::default()
            },
        );
        assert!(
            c.points[8..]
                .iter()
                .all(|p| p.trend && p.variation == Variation::Improvement)
        );
        assert!(
            c.points[..8]
                .iter()
                .all(|p| p.variation == Variation::CommonCause)
        );
    }

    #[test]
    fn two_of_three_beyond_the_near_limit() {
        // Mean 10.98, mean moving range 1.514: near upper 13.67, upper 15.0.
        let mut v: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 10.0 } else { 11.0 })
            .collect();
        v.extend([14.0, 10.5, 14.2]);
        let c = chart(&v);
        let n = c.points.len();
        assert!(c.points[n - 3].two_of_three && c.points[n - 1].two_of_three);
        assert!(
            !c.points[n - 2].two_of_three,
            "the middle point is not beyond the near limit"
        );
        assert!(!c.points[n - 1].beyond_limit);
    }

    #[test]
    fn rebasing_and_assurance() {
        let mut v: Vec<f64> = (0..12)
            .map(|i| if i % 2 == 0 { 10.0 } else { 11.0 })
            .collect();
        v.extend((0..12).map(|i| if i % 2 == 0 { 20.0 } else { 21.0 }));
        let c = xmr(
            &v,
            &SpcOptions {
                rebase_at: vec![12],
                target: Some(15.0),
                improvement: Direction::Increase,
                ..SpcOptions::default()
            },
        );
        assert_close(c.points[0].mean, 10.5, 1e-12, "first period");
        assert_close(c.points[12].mean, 20.5, 1e-12, "second period");
        assert!(
            c.points[12].moving_range.is_none(),
            "no moving range across a rebase"
        );
        assert_eq!(c.assurance, Assurance::Pass);
        let c = xmr(
            &v,
            &SpcOptions {
                target: Some(15.0),
                improvement: Direction::Increase,
                ..SpcOptions::default()
            },
        );
        assert_eq!(c.assurance, Assurance::HitAndMiss);
    }
}
