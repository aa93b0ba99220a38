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
