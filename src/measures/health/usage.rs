//! One person's service use in the windows before and after an index date.

use super::cohort::{Cohort, SETTINGS};
use super::window::{Cut, Span, after, before, count_in, observed, present_on};

/// How people whose before window is only partly observed (late registration,
/// event data starting inside it) are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialBefore {
    /// Keep them, with rates over the person-time actually observed.
    #[default]
    Adjust,
    /// Leave them out.
    Exclude,
}

impl PartialBefore {
    /// How the outputs name the policy.
    pub fn label(self) -> &'static str {
        match self {
            PartialBefore::Adjust => "time-adjusted",
            PartialBefore::Exclude => "excluded",
        }
    }
}

/// The windows for one analysis.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// Length of each window in calendar months.
    pub months: i32,
    /// Days just before the index left out of the before window (0 for the
    /// naive before/after; the washout for the comparison design).
    pub gap_days: i32,
    /// Days just after the index left out of the after window (0 for the
    /// naive before/after; the run-down for the comparison design): the
    /// after window is `[index + 1 + after_gap_days, index + months]`.
    pub after_gap_days: i32,
    /// A window observed for less than this share of its length is not used.
    pub min_coverage: f64,
    /// Partly observed before windows.
    pub partial_before: PartialBefore,
}

/// The full before and after windows around one index day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Around {
    index: i32,
    before: Span,
    after: Span,
}

impl Windows {
    /// The full windows around `index`: before it
    /// `[index − months, index − 1 − gap_days]`, after it
    /// `[index + 1 + after_gap_days, index + months]`.
    pub fn around(&self, index: i32) -> Around {
        Around {
            index,
            before: before(index, self.months, self.gap_days),
            after: Span {
                first: index + 1 + self.after_gap_days,
                ..after(index, self.months)
            },
        }
    }

    /// [`Windows::around`], reusing `last` when it is around the same day:
    /// the comparators of a set share their case's day, and working out
    /// calendar months for each of millions of them costs more than counting.
    pub fn around_reusing(&self, last: &mut Option<Around>, index: i32) -> Around {
        match *last {
            Some(known) if known.index == index => known,
            _ => *last.insert(self.around(index)),
        }
    }
}

/// Why a person could not be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exclusion {
    /// Not registered or not alive on the index day.
    NotPresent,
    /// The before window is only partly observed and the policy excludes them.
    PartialBefore,
    /// The before window is observed for less than the minimum share.
    ShortBefore,
    /// The after window is observed for less than the minimum share (death,
    /// deregistration or the extract end soon after the index).
    ShortAfter,
}

/// Events and person-time in both windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Use {
    /// Observed part of the before window.
    pub before: Span,
    /// What cut the before window short.
    pub before_cut: Cut,
    /// Observed part of the after window.
    pub after: Span,
    /// What cut the after window short.
    pub after_cut: Cut,
    /// Events before, per setting.
    pub before_events: [u32; SETTINGS],
    /// Events after, per setting.
    pub after_events: [u32; SETTINGS],
}

impl Use {
    /// Events per person-year before.
    pub fn before_rate(&self, s: usize) -> f64 {
        f64::from(self.before_events[s]) / self.before.years()
    }

    /// Events per person-year after.
    pub fn after_rate(&self, s: usize) -> f64 {
        f64::from(self.after_events[s]) / self.after.years()
    }

    /// Change in rate, after minus before.
    pub fn change(&self, s: usize) -> f64 {
        self.after_rate(s) - self.before_rate(s)
    }
}

/// Measure person `p` around `index` (the index day in neither window).
pub fn measure(cohort: &Cohort, p: usize, index: i32, windows: Windows) -> Result<Use, Exclusion> {
    measure_around(cohort, p, windows.around(index), windows)
}

/// [`measure`] with the full windows around the index already worked out.
pub fn measure_around(
    cohort: &Cohort,
    p: usize,
    around: Around,
    windows: Windows,
) -> Result<Use, Exclusion> {
    let presence = cohort.people.presence[p];
    let Some(data) = cohort.events.coverage else {
        return Err(Exclusion::ShortBefore);
    };
    if !present_on(presence, around.index) {
        return Err(Exclusion::NotPresent);
    }
    let full_before = around.before;
    let (before, before_cut) = observed(full_before, presence, data);
    if before_cut != Cut::None && windows.partial_before == PartialBefore::Exclude {
        return Err(Exclusion::PartialBefore);
    }
    if !long_enough(before, full_before, windows.min_coverage) {
        return Err(Exclusion::ShortBefore);
    }
    let full_after = around.after;
    let (after, after_cut) = observed(full_after, presence, data);
    if !long_enough(after, full_after, windows.min_coverage) {
        return Err(Exclusion::ShortAfter);
    }
    let count = |span: Span| -> [u32; SETTINGS] {
        std::array::from_fn(|s| count_in(cohort.events.days(s, p), span))
    };
    Ok(Use {
        before,
        before_cut,
        after,
        after_cut,
        before_events: count(before),
        after_events: count(after),
    })
}

/// Whether `seen`, the observed part of `full`, is long enough to use: at
/// least one day and at least `min_coverage` of `full`.
fn long_enough(seen: Span, full: Span, min_coverage: f64) -> bool {
    seen.days() > 0 && f64::from(seen.days()) >= min_coverage * f64::from(full.days())
}

/// The observed part of `span` for person `p`, when it is long enough to use.
fn seen_in(cohort: &Cohort, p: usize, span: Span, min_coverage: f64) -> Option<Span> {
    let (seen, _) = observed(span, cohort.people.presence[p], cohort.events.coverage?);
    long_enough(seen, span, min_coverage).then_some(seen)
}

/// Events per person-year of person `p` in setting `s` over `span`, when at
/// least `min_coverage` of it is observed.
pub fn rate_in(cohort: &Cohort, p: usize, s: usize, span: Span, min_coverage: f64) -> Option<f64> {
    let seen = seen_in(cohort, p, span, min_coverage)?;
    Some(f64::from(count_in(cohort.events.days(s, p), seen)) / seen.years())
}

/// [`rate_in`] for every setting at once (the observed span is worked out once).
pub fn rates_in(
    cohort: &Cohort,
    p: usize,
    span: Span,
    min_coverage: f64,
) -> Option<[f64; SETTINGS]> {
    let seen = seen_in(cohort, p, span, min_coverage)?;
    Some(std::array::from_fn(|s| {
        f64::from(count_in(cohort.events.days(s, p), seen)) / seen.years()
    }))
}

/// Bands of baseline GP use (appointments per person-year before the index):
/// 0–2, 3–5, 6–11 and 12 or more a year.
pub const BANDS: [&str; 4] = ["0-2", "3-5", "6-11", "12+"];

/// The band of an annual rate: below 3, below 6, below 12, or 12 and over.
pub fn band_of(rate_per_year: f64) -> u8 {
    match rate_per_year {
        r if r < 3.0 => 0,
        r if r < 6.0 => 1,
        r if r < 12.0 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::health::cohort::testing::{Person, cohort};
    use crate::measures::health::window::{Coverage, Presence};

    // 2023-01-01 = 19358, 2024-06-01 = 19875, 2025-12-31 = 20453.
    const DATA: Coverage = Coverage {
        first: 19_358,
        last: 20_453,
    };
    const INDEX: i32 = 19_875;

    fn one(presence: Presence, gp: Vec<i32>) -> Cohort {
        cohort(
            vec![Person {
                id: "P1",
                birth: 0,
                sex: "female",
                quintile: 1,
                practice: "A",
                presence,
                referred: true,
                gp,
            }],
            DATA,
        )
    }

    fn windows(min_coverage: f64, partial_before: PartialBefore) -> Windows {
        Windows {
            months: 6,
            gap_days: 0,
            after_gap_days: 0,
            min_coverage,
            partial_before,
        }
    }

    const ALWAYS: Presence = Presence {
        registered: None,
        deregistered: None,
        died: None,
    };

    #[test]
    fn the_index_day_counts_in_neither_window() {
        let c = one(ALWAYS, vec![INDEX - 1, INDEX, INDEX, INDEX + 1, INDEX + 2]);
        let u = measure(&c, 0, INDEX, windows(0.5, PartialBefore::Adjust)).unwrap();
        assert_eq!((u.before_events[0], u.after_events[0]), (1, 2));
        assert_eq!((u.before.days(), u.after.days()), (183, 183));
        assert!((u.before_rate(0) - 365.25 / 183.0).abs() < 1e-12);
    }

    #[test]
    fn windows_reused_for_the_same_day_are_the_windows_of_that_day() {
        let w = Windows {
            gap_days: 30,
            after_gap_days: 14,
            ..windows(0.5, PartialBefore::Adjust)
        };
        let mut last = None;
        for day in [INDEX, INDEX, INDEX + 1, INDEX, INDEX + 1, INDEX + 1] {
            assert_eq!(w.around_reusing(&mut last, day), w.around(day));
        }
        let a = w.around(INDEX);
        assert_eq!(a.before, before(INDEX, w.months, 30));
        assert_eq!(a.after.first, INDEX + 15);
        assert_eq!(a.after.last, after(INDEX, w.months).last);
        let c = one(ALWAYS, vec![INDEX - 40, INDEX - 10, INDEX + 10, INDEX + 20]);
        let u = measure(&c, 0, INDEX, w).unwrap();
        assert_eq!((u.before_events[0], u.after_events[0]), (1, 1));
    }

    #[test]
    fn death_soon_after_referral_leaves_too_little_after() {
        let mut presence = ALWAYS;
        presence.died = Some(INDEX + 60);
        let c = one(presence, vec![INDEX + 30]);
        assert_eq!(
            measure(&c, 0, INDEX, windows(0.5, PartialBefore::Adjust)),
            Err(Exclusion::ShortAfter)
        );
        let u = measure(&c, 0, INDEX, windows(0.3, PartialBefore::Adjust)).unwrap();
        assert_eq!((u.after.days(), u.after_cut), (60, Cut::Death));
        assert!(
            (u.after_rate(0) - 365.25 / 60.0).abs() < 1e-12,
            "one event in 60 days"
        );
    }

    #[test]
    fn late_registration_is_time_adjusted_or_excluded_as_asked() {
        let mut presence = ALWAYS;
        presence.registered = Some(INDEX - 100);
        let c = one(presence, vec![INDEX - 50]);
        let u = measure(&c, 0, INDEX, windows(0.5, PartialBefore::Adjust)).unwrap();
        assert_eq!(
            (u.before.days(), u.before_cut),
            (100, Cut::LateRegistration)
        );
        assert_eq!(
            measure(&c, 0, INDEX, windows(0.5, PartialBefore::Exclude)),
            Err(Exclusion::PartialBefore)
        );
        presence.registered = Some(INDEX - 30);
        let short = one(presence, vec![]);
        assert_eq!(
            measure(&short, 0, INDEX, windows(0.5, PartialBefore::Adjust)),
            Err(Exclusion::ShortBefore)
        );
        presence.registered = Some(INDEX + 1);
        let later = one(presence, vec![]);
        assert_eq!(
            measure(&later, 0, INDEX, windows(0.5, PartialBefore::Adjust)),
            Err(Exclusion::NotPresent)
        );
    }

    #[test]
    fn the_extract_end_censors_the_after_window() {
        let c = one(ALWAYS, vec![]);
        let late = DATA.last - 100;
        let u = measure(&c, 0, late, windows(0.5, PartialBefore::Adjust)).unwrap();
        assert_eq!((u.after.days(), u.after_cut), (100, Cut::ExtractEnd));
    }

    #[test]
    fn bands_split_at_three_six_and_twelve_a_year() {
        let bands: Vec<u8> = [0.0, 2.99, 3.0, 5.9, 6.0, 11.99, 12.0, 40.0]
            .into_iter()
            .map(band_of)
            .collect();
        assert_eq!(bands, [0, 0, 1, 1, 2, 2, 3, 3]);
    }
}
