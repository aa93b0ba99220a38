//! Health and care events: a rate per person that rises before referral (the
//! peak that makes naive before/after comparisons mislead), drifts with a
//! secular trend, and falls by the planted effect after an accepted referral.

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
}

/// The planted effects and trend.
#[derive(Debug, Clone, Copy)]
pub struct EventModel {
    /// Relative reduction per setting after an accepted referral.
    pub effect: [f64; 4],
    /// Secular change in all rates per year (e.g. 0.03 = 3% a year).
    pub trend: f64,
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
            if (0..=PEAK_WINDOW).contains(&before) {
                r *= 1.0 + PEAK[setting] * (-f64::from(before) / PEAK_DAYS).exp();
            }
            if course.treated && day > referral {
                r *= 1.0 - self.effect[setting];
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
            let peak = if course.referral.is_some() {
                1.0 + peak_size
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
