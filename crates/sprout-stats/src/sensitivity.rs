//! Sensitivity analyses: how far an estimate could move under departures
//! from the assumption it rests on, and where its conclusion would break.
//!
//! - [`relative_magnitude_bounds`] and [`breakdown_m_bar`]: a
//!   difference-in-differences under departures from parallel trends after
//!   referral up to M̄ times the largest departure seen before it (the
//!   relative-magnitudes restriction of Rambachan and Roth 2023, in its
//!   simplest form: the bound on the bias added to either side of the
//!   interval, with the largest pre-referral departure taken as estimated).
//! - [`tipping_delta`]: a mean change among people followed up, recomputed
//!   for everyone with a baseline under the assumption that people without a
//!   follow-up changed δ less (delta adjustment), and the δ at which the
//!   change, or its interval, reaches zero.

/// The interval of an effect whose bias from non-parallel trends after
/// referral may be up to `m_bar` × `largest_pre_departure` either way:
/// [lower − M̄·D, upper + M̄·D], with D the largest absolute departure from
/// parallel trends seen before referral. NaN limits when D is not finite.
pub fn relative_magnitude_bounds(
    (lower, upper): (f64, f64),
    largest_pre_departure: f64,
    m_bar: f64,
) -> (f64, f64) {
    let widen = m_bar * largest_pre_departure.abs();
    (lower - widen, upper + widen)
}

/// The smallest M̄ at which [`relative_magnitude_bounds`] include zero: the
/// distance from zero of the interval's nearer limit over D (0 when the
/// interval already includes zero; infinite when D is 0 and it does not;
/// NaN when a limit or D is not finite).
pub fn breakdown_m_bar((lower, upper): (f64, f64), largest_pre_departure: f64) -> f64 {
    if !(lower.is_finite() && upper.is_finite() && largest_pre_departure.is_finite()) {
        return f64::NAN;
    }
    if lower <= 0.0 && 0.0 <= upper {
        return 0.0;
    }
    let nearer = if upper < 0.0 { -upper } else { lower };
    let d = largest_pre_departure.abs();
    if d == 0.0 { f64::INFINITY } else { nearer / d }
}

/// Where a change stops holding when people without a follow-up changed
/// less than those with one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tipping {
    /// δ at which the mean change among everyone with a baseline is zero:
    /// |m|·n / n₀, with m the mean change of the n₁ followed up, n₀ not
    /// followed up and n = n₁ + n₀ (the change among everyone is
    /// m − sign(m)·δ·n₀/n).
    pub estimate: f64,
    /// δ at which the 95% interval of that change first includes zero:
    /// the distance from zero of the complete-case interval's nearer limit,
    /// × n / n₀ (0 when that interval already includes zero). The interval
    /// is the complete-case one shifted by the same amount: δ is assumed,
    /// not estimated.
    pub interval: f64,
}

/// The tipping points of a complete-case mean change `mean` with its 95%
/// interval, `followed` people followed up and `missing` not (NaN when no
/// one is missing or a figure is not finite).
pub fn tipping_delta(
    mean: f64,
    (lower, upper): (f64, f64),
    followed: f64,
    missing: f64,
) -> Tipping {
    if missing <= 0.0 || !mean.is_finite() {
        return Tipping {
            estimate: f64::NAN,
            interval: f64::NAN,
        };
    }
    let scale = (followed + missing) / missing;
    let nearer = if !(lower.is_finite() && upper.is_finite()) {
        f64::NAN
    } else if lower <= 0.0 && 0.0 <= upper {
        0.0
    } else if upper < 0.0 {
        -upper
    } else {
        lower
    };
    Tipping {
        estimate: mean.abs() * scale,
        interval: nearer * scale,
    }
}

/// Two estimates of one effect by designs with different assumptions, set
/// side by side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignDifference {
    /// a − b.
    pub difference: f64,
    /// √(se_a² + se_b²): the estimates are taken as independent (they share
    /// cases, which makes the difference's own standard error smaller, so
    /// this test is conservative: it calls fewer differences).
    pub se: f64,
    /// Its 95% limits, difference ∓ 1.959964 · se.
    pub limits: (f64, f64),
    /// Two-sided p-value of the z test, 2 · (1 − Φ(|difference| / se)).
    pub p_value: f64,
}

impl DesignDifference {
    /// Whether the designs disagree beyond their intervals (p < 0.05).
    pub fn disagree(&self) -> bool {
        self.p_value < 0.05
    }
}

/// The difference of estimates `a` and `b` with standard errors `se_a` and
/// `se_b` (NaN figures when any is not finite or both errors are zero).
pub fn design_difference((a, se_a): (f64, f64), (b, se_b): (f64, f64)) -> DesignDifference {
    let difference = a - b;
    let se = se_a.hypot(se_b);
    if !(difference.is_finite() && se.is_finite() && se > 0.0) {
        return DesignDifference {
            difference: f64::NAN,
            se: f64::NAN,
            limits: (f64::NAN, f64::NAN),
            p_value: f64::NAN,
        };
    }
    let z = 1.959_963_984_540_054;
    let standard = statrs::distribution::Normal::standard();
    let tail = statrs::distribution::ContinuousCDF::sf(&standard, difference.abs() / se);
    DesignDifference {
        difference,
        se,
        limits: (difference - z * se, difference + z * se),
        p_value: (2.0 * tail).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// `scripts/reference/sensitivity.py`: a reduction of −1.42 (−2.07 to
    /// −0.80) with a largest pre-referral departure of 0.41.
    #[test]
    fn bounds_and_breakdown_match_the_script() {
        let did = (-2.07, -0.80);
        for (m, lower, upper) in [
            (0.0, -2.07, -0.80),
            (0.5, -2.275, -0.595),
            (1.0, -2.48, -0.39),
            (2.0, -2.89, 0.02),
        ] {
            let (l, u) = relative_magnitude_bounds(did, 0.41, m);
            assert_close(l, lower, 1e-12, "lower");
            assert_close(u, upper, 1e-12, "upper");
        }
        assert_close(
            breakdown_m_bar(did, 0.41),
            1.951219512195122,
            1e-12,
            "breakdown",
        );
        assert_close(
            breakdown_m_bar(did, -0.41),
            1.951219512195122,
            1e-12,
            "sign of D",
        );
        assert_close(
            breakdown_m_bar((-0.3, 0.5), 0.41),
            0.0,
            1e-12,
            "includes zero",
        );
        assert!(breakdown_m_bar((0.2, 0.5), 0.0).is_infinite());
        assert!(breakdown_m_bar((0.2, 0.5), f64::NAN).is_nan());
    }

    /// `scripts/reference/sensitivity.py`: never-referred +1.20 (se 0.19)
    /// against declined −1.00 (se 0.62); and two that agree.
    #[test]
    fn design_differences_match_the_script() {
        let d = design_difference((1.20, 0.19), (-1.00, 0.62));
        assert_close(d.difference, 2.2, 1e-12, "difference");
        assert_close(d.se, 0.648459713474939, 1e-12, "se");
        assert_close(d.limits.0, 0.9290423161639569, 1e-12, "lower");
        assert_close(d.limits.1, 3.470957683836043, 1e-12, "upper");
        assert_close(d.p_value, 0.0006921879279056843, 1e-9, "p");
        assert!(d.disagree());
        let agree = design_difference((-0.62, 0.15), (-0.90, 0.55));
        assert_close(agree.p_value, 0.6233185982331436, 1e-9, "p");
        assert!(!agree.disagree());
        assert!(design_difference((1.0, 0.0), (0.0, 0.0)).p_value.is_nan());
        assert!(!design_difference((1.0, f64::NAN), (0.0, 0.1)).disagree());
    }

    /// `scripts/reference/sensitivity.py`: SWEMWBS +1.16 (+0.82 to +1.49)
    /// among 131 followed up, 147 not; and a worsening score −0.45 (−0.64
    /// to −0.26) among 174 and 208.
    #[test]
    fn tipping_points_match_the_script() {
        let t = tipping_delta(1.16, (0.82, 1.49), 131.0, 147.0);
        assert_close(t.estimate, 2.1937414965986395, 1e-12, "estimate");
        assert_close(t.interval, 1.5507482993197277, 1e-12, "interval");
        let anxious = tipping_delta(-0.45, (-0.64, -0.26), 174.0, 208.0);
        assert_close(anxious.estimate, 0.8264423076923077, 1e-12, "estimate");
        assert_close(anxious.interval, 0.4775, 1e-12, "interval");
        let unclear = tipping_delta(0.1, (-0.2, 0.4), 50.0, 50.0);
        assert_close(unclear.interval, 0.0, 1e-12, "already includes zero");
        assert!(tipping_delta(1.0, (0.5, 1.5), 10.0, 0.0).estimate.is_nan());
    }
}
