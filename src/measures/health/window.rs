//! Windows around an index date and the person-time observed in them.
//!
//! All days are Arrow Date32 day numbers and every span is inclusive. The index
//! day itself belongs to neither window: before is `[index − m months, index − 1]`,
//! after is `[index + 1, index + m months]`. A person is observed from the
//! later of registration start and the first day of event data, to the earliest
//! of deregistration, death and the last day of event data (the extract end).

/// An inclusive run of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First day.
    pub first: i32,
    /// Last day.
    pub last: i32,
}

impl Span {
    /// Days in the span (0 when empty).
    pub fn days(self) -> i32 {
        (self.last - self.first + 1).max(0)
    }

    /// Person-years in the span: days / 365.25.
    pub fn years(self) -> f64 {
        f64::from(self.days()) / 365.25
    }
}

pub use crate::days::add_months;

/// The window of `months` before `index`, ending `gap_days` before the index
/// day: `[index − months, index − 1 − gap_days]`.
pub fn before(index: i32, months: i32, gap_days: i32) -> Span {
    Span {
        first: add_months(index, -months),
        last: index - 1 - gap_days,
    }
}

/// The window of `months` after `index`: `[index + 1, index + months]`.
pub fn after(index: i32, months: i32) -> Span {
    Span {
        first: index + 1,
        last: add_months(index, months),
    }
}

/// `span_of` a case's day, worked out once and handed to every comparator
/// on that day (the never-referred pool's take the case's), and worked out
/// afresh for a comparator on a day of its own.
pub fn shared_with_case(case_day: i32, span_of: impl Fn(i32) -> Span) -> impl Fn(i32) -> Span {
    let span = span_of(case_day);
    move |day| if day == case_day { span } else { span_of(day) }
}

/// Quarter `q` relative to `index` for the event study: for q < 0
/// `[index + 3q months, index + 3(q+1) months − 1]` (so −1 ends the day before
/// the index), for q ≥ 0 `[index + 3q months + 1, index + 3(q+1) months]`.
pub fn quarter(index: i32, q: i32) -> Span {
    if q < 0 {
        Span {
            first: add_months(index, 3 * q),
            last: add_months(index, 3 * (q + 1)) - 1,
        }
    } else {
        Span {
            first: add_months(index, 3 * q) + 1,
            last: add_months(index, 3 * (q + 1)),
        }
    }
}

/// When a person is in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// Registration start (None: registered throughout).
    pub registered: Option<i32>,
    /// Deregistration (None: still registered).
    pub deregistered: Option<i32>,
    /// Death (None: alive at the extract end).
    pub died: Option<i32>,
}

/// The days of event data in the extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// First day of event data.
    pub first: i32,
    /// Last day of event data (the extract end).
    pub last: i32,
}

/// Why observation of a window stopped early or started late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cut {
    /// The window was observed in full.
    None,
    /// Registration started inside the window.
    LateRegistration,
    /// Event data starts inside the window.
    DataStart,
    /// Deregistered inside the window.
    Deregistration,
    /// Died inside the window.
    Death,
    /// The extract ends inside the window.
    ExtractEnd,
}

/// The part of `span` in which the person is observed, and what cut it short
/// (the latest start and earliest end win; on a tie, death before
/// deregistration before the extract end, and late registration before data start).
pub fn observed(span: Span, person: Presence, data: Coverage) -> (Span, Cut) {
    let mut first = span.first;
    let mut cut = Cut::None;
    for (day, why) in [
        (person.registered, Cut::LateRegistration),
        (Some(data.first), Cut::DataStart),
    ] {
        if let Some(d) = day.filter(|&d| d > first) {
            first = d;
            cut = why;
        }
    }
    let mut last = span.last;
    for (day, why) in [
        (person.died, Cut::Death),
        (person.deregistered, Cut::Deregistration),
        (Some(data.last), Cut::ExtractEnd),
    ] {
        if let Some(d) = day.filter(|&d| d < last) {
            last = d;
            cut = why;
        }
    }
    (Span { first, last }, cut)
}

/// Whether the person is registered and alive on `day`.
pub fn present_on(person: Presence, day: i32) -> bool {
    person.registered.is_none_or(|r| r <= day)
        && person.deregistered.is_none_or(|d| d >= day)
        && person.died.is_none_or(|d| d >= day)
}

/// Events among sorted `days` that fall in `span`.
pub fn count_in(days: &[i32], span: Span) -> u32 {
    if span.days() == 0 {
        return 0;
    }
    let from = days.partition_point(|&d| d < span.first);
    let to = days.partition_point(|&d| d <= span.last);
    (to - from) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::days::date32;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> i32 {
        date32(NaiveDate::from_ymd_opt(y, m, day).unwrap())
    }

    const DATA: Coverage = Coverage {
        first: 19_631, // 2023-10-01
        last: 20_361,  // 2025-09-30
    };

    #[test]
    fn windows_exclude_the_index_day_and_follow_the_calendar() {
        let index = d(2024, 3, 31);
        assert_eq!(
            before(index, 6, 0),
            Span {
                first: d(2023, 9, 30),
                last: d(2024, 3, 30)
            }
        );
        assert_eq!(
            after(index, 12),
            Span {
                first: d(2024, 4, 1),
                last: d(2025, 3, 31)
            }
        );
        assert_eq!(add_months(d(2024, 3, 31), -1), d(2024, 2, 29), "leap day");
        assert_eq!(before(index, 12, 90).last, index - 91);
        assert_eq!(quarter(index, -1).last, index - 1);
        assert_eq!(quarter(index, 0).first, index + 1);
        assert_eq!(quarter(index, -1).first, d(2023, 12, 31));
        assert_eq!(quarter(index, 0).last, d(2024, 6, 30));
        assert_eq!(quarter(index, 1).first, d(2024, 7, 1));
    }

    #[test]
    fn a_span_shared_with_the_case_is_the_span_of_each_day() {
        let case = d(2024, 3, 31);
        let on = shared_with_case(case, |day| quarter(day, -2));
        for day in [case, d(2024, 2, 29), case, d(2025, 1, 31)] {
            assert_eq!(on(day), quarter(day, -2));
        }
    }

    #[test]
    fn death_mid_window_censors_the_after_window() {
        let index = d(2024, 6, 1);
        let person = Presence {
            registered: Some(d(2001, 1, 1)),
            deregistered: None,
            died: Some(d(2024, 9, 15)),
        };
        let (span, cut) = observed(after(index, 6), person, DATA);
        assert_eq!(cut, Cut::Death);
        assert_eq!(
            span,
            Span {
                first: d(2024, 6, 2),
                last: d(2024, 9, 15)
            }
        );
        assert_eq!(span.days(), 106, "2 June to 15 September inclusive");
        assert!(present_on(person, d(2024, 9, 15)) && !present_on(person, d(2024, 9, 16)));
    }

    #[test]
    fn late_registration_shortens_the_before_window() {
        let index = d(2024, 6, 1);
        let person = Presence {
            registered: Some(d(2024, 2, 10)),
            deregistered: None,
            died: None,
        };
        let (span, cut) = observed(before(index, 12, 0), person, DATA);
        assert_eq!(cut, Cut::LateRegistration);
        assert_eq!(span.first, d(2024, 2, 10));
        assert_eq!(span.days(), 112, "10 February to 31 May inclusive");
        assert!(!present_on(person, d(2024, 2, 9)));
    }

    #[test]
    fn the_extract_end_and_the_data_start_cut_windows() {
        let person = Presence {
            registered: None,
            deregistered: None,
            died: None,
        };
        let (after_span, cut) = observed(after(d(2025, 3, 1), 12), person, DATA);
        assert_eq!((after_span.last, cut), (DATA.last, Cut::ExtractEnd));
        let (before_span, cut) = observed(before(d(2024, 4, 1), 12, 0), person, DATA);
        assert_eq!((before_span.first, cut), (DATA.first, Cut::DataStart));
        assert_eq!(before_span.days(), 183, "1 October 2023 to 31 March 2024");
        let (full, cut) = observed(after(d(2024, 4, 1), 6), person, DATA);
        assert_eq!((full.days(), cut), (183, Cut::None));
    }

    #[test]
    fn deregistration_before_the_window_leaves_nothing_observed() {
        let person = Presence {
            registered: None,
            deregistered: Some(d(2024, 1, 1)),
            died: None,
        };
        let (span, cut) = observed(after(d(2024, 6, 1), 6), person, DATA);
        assert_eq!((span.days(), cut), (0, Cut::Deregistration));
        assert!(span.years().abs() < 1e-15);
    }

    #[test]
    fn events_are_counted_inclusively() {
        let days = [10, 12, 12, 15, 20];
        assert_eq!(
            count_in(
                &days,
                Span {
                    first: 12,
                    last: 15
                }
            ),
            3
        );
        assert_eq!(
            count_in(
                &days,
                Span {
                    first: 21,
                    last: 30
                }
            ),
            0
        );
        assert_eq!(
            count_in(
                &days,
                Span {
                    first: 15,
                    last: 14
                }
            ),
            0
        );
    }
}
