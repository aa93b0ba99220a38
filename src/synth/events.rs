//! Health and care events: a rate per person that rises before referral (the
//! peak that makes naive before/after comparisons mislead: a short one by
//! default, or a steady rise over months), may ease back slowly after it,
//! drifts with a secular trend, may rise after referral with an unrecorded
//! need, and falls by the planted effect after an accepted referral.

use super::calendar;
use super::draw::{self, Stream};
use super::person::Person;

/// Health settings in the order of [`Person::rates`].
pub const SETTINGS: [&str; 4] = [
    "gp_appointment",
    "ae_attendance",
    "emergency_admission",
    "outpatient",
];

/// Size of the pre-referral peak per setting: the rate is multiplied by
/// `1 + peak · exp(−days before referral / PEAK_DAYS)` over the 180 days before.
pub const PEAK: [f64; 4] = [1.2, 0.8, 0.5, 0.2];
/// Decay of the pre-referral peak, in days.
pub const PEAK_DAYS: f64 = 45.0;
/// Window before referral in which the peak applies, in days.
const PEAK_WINDOW: i32 = 180;

/// What shapes one person's event rates over time.
#[derive(Debug, Clone, Copy)]
pub struct Course {
    /// Referral date, if referred (the peak applies).
    pub referral: Option<i32>,
    /// Whether support was taken up (the effect applies from the referral date).
    pub treated: bool,
    /// Multiplier of every rate after the referral date, effect aside: an
    /// unrecorded need that raises later use (1 without one).
    pub after_referral: f64,
}

/// The planted effects and trend.
#[derive(Debug, Clone, Copy)]
pub struct EventModel {
    /// Relative reduction per setting after an accepted referral.
    pub effect: [f64; 4],
    /// Secular change in all rates per year (e.g. 0.03 = 3% a year).
    pub trend: f64,
    /// Use rising steadily over this many days before referral, instead of
    /// the short peak: the rate is multiplied by `1 + peak · (1 − d / N)` at
    /// `d` days before referral, for `d < N`.
    pub ramp_days: Option<i32>,
    /// Need easing back over this many days after referral: the rate is
    /// multiplied by `1 + peak · (1 − d / N)` at `d` days after referral,
    /// for `0 < d < N` (before any effect, which multiplies it too).
    pub run_down_days: Option<i32>,
}

impl EventModel {
    /// The trend multiplier on `day`.
    pub fn trend_on(&self, day: i32) -> f64 {
        (1.0 + self.trend).powf(f64::from(day - calendar::events_start()) / 365.25)
    }

    /// Daily rate of `setting` on `day`.
    fn rate(&self, person: &Person, course: Course, setting: usize, day: i32) -> f64 {
        let mut r = person.rates[setting] / 365.25 * self.trend_on(day);
        if let Some(referral) = course.referral {
            let before = referral - day;
            match self.ramp_days {
                Some(n) if (0..n).contains(&before) => {
                    r *= 1.0 + PEAK[setting] * (1.0 - f64::from(before) / f64::from(n));
                }
                Some(_) => {}
                None if (0..=PEAK_WINDOW).contains(&before) => {
                    r *= 1.0 + PEAK[setting] * (-f64::from(before) / PEAK_DAYS).exp();
                }
                None => {}
            }
            if day > referral {
                let after = day - referral;
                if let Some(n) = self.run_down_days.filter(|&n| after < n) {
                    r *= 1.0 + PEAK[setting] * (1.0 - f64::from(after) / f64::from(n));
                }
                r *= course.after_referral;
                if course.treated {
                    r *= 1.0 - self.effect[setting];
                }
            }
        }
        r
    }

    /// Events (day, setting index) while the person is in the data, drawn by thinning
    /// a Poisson process at the highest rate.
    pub fn draw(
        &self,
        rng: &mut Stream,
        person: &Person,
        course: Course,
        out: &mut Vec<(i32, usize)>,
    ) {
        out.clear();
        let (entry, exit) = (person.entry(), person.exit());
        if exit < entry {
            return;
        }
        for (setting, peak_size) in PEAK.iter().enumerate() {
            // The highest rate: the peak before referral, the need after it,
            // and both together while a run-down lasts.
            let peak = if course.referral.is_some() && self.run_down_days.is_some() {
                (1.0 + peak_size) * course.after_referral.max(1.0)
            } else if course.referral.is_some() {
                (1.0 + peak_size).max(course.after_referral)
            } else {
                1.0
            };
            let max = person.rates[setting] / 365.25
                * self.trend_on(exit).max(self.trend_on(entry))
                * peak;
            if max <= 0.0 {
                continue;
            }
            let mut t = f64::from(entry);
            loop {
                t += draw::exponential(rng, 1.0 / max);
                let day = t.floor() as i32;
                if day > exit {
                    break;
                }
                if draw::chance(rng, self.rate(person, course, setting, day) / max) {
                    out.push((day, setting));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person {
        Person {
            id: "P1".into(),
            birth: 0,
            sex: "female",
            ethnicity: "A",
            practice: 0,
            lsoa: 0,
            decile: 5,
            registered: 0,
            deregistered: None,
            died: None,
            need: 0.0,
            rates: [365.25, 0.0, 0.0, 0.0],
        }
    }

    /// A ramp rises linearly to 1 + peak at referral and is flat before it
    /// starts; the hidden need multiplies use after referral, before any
    /// effect.
    #[test]
    fn a_ramp_rises_steadily_and_a_hidden_need_raises_use_after_referral() {
        let model = EventModel {
            effect: [0.1, 0.0, 0.0, 0.0],
            trend: 0.0,
            ramp_days: Some(200),
            run_down_days: None,
        };
        let course = Course {
            referral: Some(calendar::events_start() + 1000),
            treated: true,
            after_referral: 1.5,
        };
        let referral = course.referral.unwrap();
        let rate = |day: i32| model.rate(&person(), course, 0, day);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(rate(referral - 300), 1.0));
        assert!(close(rate(referral - 200), 1.0));
        assert!(close(rate(referral - 100), 1.0 + PEAK[0] * 0.5));
        assert!(close(rate(referral), 1.0 + PEAK[0]));
        assert!(close(rate(referral + 1), 1.5 * 0.9));
        // Without a ramp, the short peak: 1 + peak at referral, decaying.
        let peak = EventModel {
            ramp_days: None,
            ..model
        };
        let day = referral - 45;
        assert!(close(
            peak.rate(&person(), course, 0, day),
            1.0 + PEAK[0] * (-1.0_f64).exp()
        ));
        // A run-down eases back linearly after referral, under the need and
        // the effect.
        let easing = EventModel {
            run_down_days: Some(60),
            ..model
        };
        let rate = |day: i32| easing.rate(&person(), course, 0, day);
        assert!(close(
            rate(referral + 30),
            (1.0 + PEAK[0] * 0.5) * 1.5 * 0.9
        ));
        assert!(close(rate(referral + 60), 1.5 * 0.9));
    }
}
