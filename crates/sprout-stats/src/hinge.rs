//! A hinge fitted by weighted least squares: flat at zero up to an extent
//! `e` from a reference point, rising linearly beyond it.
//!
//! Used to find where the run-up to referral begins (distances before the
//! index) and where the run-down after it ends (distances after the index):
//! a steady rise is small in its first months, so the first month to depart
//! beyond its own interval comes late; a fitted hinge uses every month.
//!
//! For an extent `e`, point i at distance `u_i` (days) has regressor
//! `x_i = max(0, e − u_i) / 30.4375` (the rise, in months, by then) and
//! weight `w_i = 1 / se_i²`; the slope through the origin (the points are
//! already relative to a flat reference) is `β = Σ w x y / Σ w x²`, with
//! `se(β) = (Σ w x²)^(−1/2)`. The extent chosen minimises
//! `Σ w (y − β x)²` over whole days in the range given (the shortest of
//! equal ones).

/// Days in an average month.
pub const MONTH_DAYS: f64 = 30.4375;

/// A fitted hinge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hinge {
    /// The extent, in days from the reference point, beyond which the
    /// values are flat (the rise lies between it and the reference point).
    pub extent_days: f64,
    /// Rise per month towards the reference point.
    pub slope: f64,
    /// Its standard error.
    pub slope_se: f64,
}

impl Hinge {
    /// Whether the slope is above zero beyond its 95% interval.
    pub fn rises(&self) -> bool {
        self.slope - 1.959_963_984_540_054 * self.slope_se > 0.0
    }
}

/// The hinge that best fits `points` (distance in days, value, standard
/// error), for extents from `from_days` to `to_days`; `None` when no extent
/// gives any point a rise (points with a standard error that is not
/// positive and finite are left out).
pub fn fit(points: &[(f64, f64, f64)], from_days: i32, to_days: i32) -> Option<Hinge> {
    let points: Vec<(f64, f64, f64)> = points
        .iter()
        .filter(|(u, y, se)| u.is_finite() && y.is_finite() && se.is_finite() && *se > 0.0)
        .map(|&(u, y, se)| (u, y, 1.0 / (se * se)))
        .collect();
    let mut best: Option<(f64, Hinge)> = None;
    for e in from_days..=to_days {
        let extent = f64::from(e);
        let x = |u: f64| (extent - u).max(0.0) / MONTH_DAYS;
        let sxx: f64 = points.iter().map(|&(u, _, w)| w * x(u) * x(u)).sum();
        if sxx <= 0.0 {
            continue;
        }
        let slope = points.iter().map(|&(u, y, w)| w * x(u) * y).sum::<f64>() / sxx;
        let sse: f64 = points
            .iter()
            .map(|&(u, y, w)| w * (y - slope * x(u)).powi(2))
            .sum();
        if best.as_ref().is_none_or(|(b, _)| sse < *b) {
            let hinge = Hinge {
                extent_days: extent,
                slope,
                slope_se: sxx.sqrt().recip(),
            };
            best = Some((sse, hinge));
        }
    }
    best.map(|(_, hinge)| hinge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// Month middles 9 to 4 months from the reference point.
    fn middles() -> Vec<f64> {
        (4..=9)
            .rev()
            .map(|m| (f64::from(m) - 0.5) * MONTH_DAYS)
            .collect()
    }

    #[test]
    fn an_exact_hinge_is_recovered() {
        let points: Vec<(f64, f64, f64)> = middles()
            .into_iter()
            .map(|u| (u, 0.8 * (200.0 - u).max(0.0) / MONTH_DAYS, 0.4))
            .collect();
        let h = fit(&points, 90, 274).unwrap();
        assert_close(h.extent_days, 200.0, 0.0, "extent");
        assert_close(h.slope, 0.8, 1e-12, "slope");
        assert!(h.rises());
        assert_eq!(fit(&points, 90, 100), None, "no point rises by 100 days");
    }

    /// `scripts/reference/hinge.py`: noisy months with unequal errors
    /// (numpy, the same grid search).
    #[test]
    fn a_noisy_hinge_matches_the_script() {
        let y = [0.31, -0.22, 0.47, 1.35, 1.62, 2.71];
        let se = [0.5, 0.45, 0.5, 0.4, 0.45, 0.5];
        let points: Vec<(f64, f64, f64)> = middles()
            .into_iter()
            .zip(y.iter().zip(se))
            .map(|(u, (&y, se))| (u, y, se))
            .collect();
        let h = fit(&points, 90, 274).unwrap();
        assert_close(h.extent_days, REFERENCE.0, 0.0, "extent");
        assert_close(h.slope, REFERENCE.1, 1e-9, "slope");
        assert_close(h.slope_se, REFERENCE.2, 1e-9, "se");
    }

    const REFERENCE: (f64, f64, f64) = (221.0, 0.6827987287104619, 0.09288561539321379);
}
