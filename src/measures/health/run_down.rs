//! The washout after referral: where the referred people's GP use, still
//! raised by the need that brought them to referral, has come back to its
//! level against their never-referred comparators'.
//!
//! Need does not always end on the day of referral: when it eases over weeks,
//! the first months of the after window hold use the comparators do not have,
//! and the difference-in-differences understates a reduction (or shows a rise
//! that is only the need easing). It is read off the monthly event study
//! after the index ([`super::washout::departures`] on [`Side::After`]): each
//! month's case-minus-comparator GP rate against the set's mean over months
//! 10 to 12 (the reference, where the effect has settled), for months 1 to 9.
//! A hinge falling from the index to an end `e` days after it, flat beyond,
//! is fitted to them ([`super::washout::fit_hinge`], extents of 1 day to the
//! end of month 9); when its slope is above zero beyond its 95% interval the
//! after window starts at the end of the month `e` falls in (30.4375 days a
//! month), otherwise the day after referral. An effect that only builds up
//! over the first months looks the same to the data (use higher early,
//! lower later), so the estimate then describes the effect once it has: the
//! basis says so. An end at month 9, where month 9 itself departs beyond its
//! interval, may lie further still: the basis says so and the estimate is
//! not called robust.

use super::washout::{Departure, Reading, Setting, Washout, extent, fit_hinge, reach, settle};
use crate::stats::hinge::Hinge;

/// The washout after referral: as set, or read off `departures` (after the index).
pub fn washout(setting: Setting, departures: Vec<Departure>) -> Washout {
    let reading = read_off(&departures);
    settle(
        setting,
        reading,
        departures,
        |days| {
            format!(
                "; the data put the end of the run-down later, {days} days after referral (after_washout_days = \"auto\" would use it)"
            )
        },
        "; the data show no run-down beyond it",
    )
}

/// What the months after the index (1 to 9; 10 to 12 are the reference)
/// say.
fn read_off(departures: &[Departure]) -> Reading {
    let Some(fit) = fit_hinge(departures, 1, reach(departures)).filter(Hinge::rises) else {
        return Reading {
            days: 0,
            why: "no run-down after referral shows, so the after window starts the day after it"
                .to_string(),
            beyond_reach: false,
        };
    };
    let (days, beyond_reach) = extent(&fit, departures);
    let eased = format!(
        "referred people's GP use stays above its later level against their never-referred comparators' for about {:.0} days after referral ({:.2} a person-year less each month), as when need eases slowly or an effect builds up",
        fit.extent_days, fit.slope
    );
    let why = if beyond_reach {
        format!(
            "{eased}, as far as the event study can see: it may last longer still, so the after window starts {days} days after referral and the estimate may understate the effect"
        )
    } else {
        format!(
            "{eased}, so the after window starts {days} days after referral and the estimate describes the months after that"
        )
    };
    Reading {
        days,
        why,
        beyond_reach,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::hinge::MONTH_DAYS;

    /// Months 1 to 9 after the index, easing back `slope` a month until
    /// `end` days after it (exact).
    fn easing(end: f64, slope: f64) -> Vec<Departure> {
        (1..=9)
            .map(|m| {
                let middle = (f64::from(m) - 0.5) * MONTH_DAYS;
                let departure = slope * (end - middle).max(0.0) / MONTH_DAYS;
                Departure {
                    month: m,
                    sets: 300,
                    departure,
                    limits: (departure - 0.8, departure + 0.8),
                }
            })
            .collect()
    }

    #[test]
    fn the_after_window_starts_where_the_run_down_ends() {
        // Easing until 75 days: within month 3, which ends at 91.3 days.
        let w = washout(Setting::Auto, easing(75.0, 2.0));
        assert_eq!(w.days, 92);
        assert!(!w.beyond_reach);
        assert!(
            w.basis.contains("for about 75 days after referral"),
            "{}",
            w.basis
        );
        // Nothing eases: no washout after referral.
        let flat = washout(Setting::Auto, easing(75.0, 0.0));
        assert_eq!(flat.days, 0);
        assert!(flat.basis.contains("no run-down"), "{}", flat.basis);
        // Set by hand, the data's reading is still said.
        let set = washout(Setting::Days(0), easing(75.0, 2.0));
        assert_eq!(set.days, 0);
        assert!(
            set.basis.contains("later, 92 days after referral"),
            "{}",
            set.basis
        );
        assert!(!set.beyond_reach);
    }

    #[test]
    fn a_run_down_past_month_nine_is_beyond_reach() {
        let w = washout(Setting::Auto, easing(400.0, 1.0));
        assert!(w.beyond_reach, "{w:?}");
        assert_eq!(w.days, 274);
        assert!(w.basis.contains("may last longer still"), "{}", w.basis);
        // Month 9 itself no higher than its reference: not beyond reach.
        let mut leaning = easing(400.0, 1.0);
        leaning[8].departure = 0.3;
        leaning[8].limits = (-0.5, 1.1);
        assert!(!washout(Setting::Auto, leaning).beyond_reach);
    }
}
