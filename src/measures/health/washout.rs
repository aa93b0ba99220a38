//! The washout chosen from the data: where the referred people's GP use
//! starts to leave their never-referred comparators' on the way to referral.
//!
//! The comparison's before window must end before the run-up to referral
//! begins, or the difference-in-differences counts the fall from the run-up's
//! peak as an effect. How long the run-up lasts is not known in advance, so
//! it is read off a monthly event study: for each matched set, the case's
//! GP rate minus its comparators' in each of the 12 months before the index,
//! relative to the set's mean difference over the earliest three (months −12
//! to −10, the reference); averaged over sets with a t interval. The run-up
//! begins at the earliest month after the reference whose departure lies
//! above zero beyond its 95% interval and from which every later month's
//! departure is positive, among the months that end before the shortest
//! washout (the sets are matched on GP use within it, which bends the
//! departures there; a run-up that begins inside it keeps the shortest). The washout is the days from that month's start to
//! the index (30.4375 a month), and never shorter than [`FLOOR_DAYS`], the
//! days the comparators are matched on at the least.

use super::cohort::{Cohort, Index};
use super::matching::Matching;
use super::usage::rate_in;
use super::window::{Span, add_months};
use crate::measures::period::Period;
use crate::measures::table::{
    Sums, TableBuilder, TableDef, count, int_label, int_value, num_value, statistic, text,
    text_value,
};
use crate::stats::summary::mean_ci;

/// The shortest washout chosen from the data.
pub const FLOOR_DAYS: i32 = 90;

/// How the washout is set: a number of days, or `auto` (chosen from the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Setting {
    /// Chosen from the data ([`choose`]).
    #[default]
    Auto,
    /// This many days.
    Days(i32),
}

impl std::str::FromStr for Setting {
    type Err = String;

    /// `auto`, or a whole number of days.
    fn from_str(text: &str) -> std::result::Result<Setting, String> {
        match text.trim() {
            "auto" => Ok(Setting::Auto),
            days => days
                .parse()
                .map(Setting::Days)
                .map_err(|_| format!("'{text}' is neither a number of days nor auto")),
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Auto => f.write_str("auto"),
            Setting::Days(days) => write!(f, "{days}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Setting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Days(i32),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Days(days) => Ok(Setting::Days(days)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Months of the monthly event study before the index.
pub const MONTHS: std::ops::RangeInclusive<i32> = -12..=-1;

/// The reference months (the earliest three).
const REFERENCE: std::ops::RangeInclusive<i32> = -12..=-10;

/// Days in an average month.
const MONTH_DAYS: f64 = 30.4375;

/// Whether a span that ends `months` whole months before the index (taken as
/// 30.4375 days each) ends before a washout of `washout_days`.
pub fn ends_before(months: i32, washout_days: i32) -> bool {
    f64::from(months) * MONTH_DAYS >= f64::from(washout_days)
}

/// One month's departure from the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Departure {
    /// Month relative to the index (−12 to −1).
    pub month: i32,
    /// Matched sets with the case and a comparator observed in the month and
    /// in the reference months.
    pub sets: usize,
    /// Mean over sets of (case − comparator GP rate in the month) minus the
    /// set's mean over the reference months (events per person-year).
    pub departure: f64,
    /// Its 95% t interval.
    pub limits: (f64, f64),
}

/// How the washout was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Washout {
    /// Days before the index left out of the comparison's before window.
    pub days: i32,
    /// Why, in words.
    pub basis: String,
    /// The monthly departures it was read from (empty when set by hand).
    pub departures: Vec<Departure>,
}

/// Month `m` (negative) before `index`: `[index + m months, index + (m + 1) months − 1]`.
fn month(index: i32, m: i32) -> Span {
    Span {
        first: add_months(index, m),
        last: add_months(index, m + 1) - 1,
    }
}

/// The monthly departures of the never-referred pool's matched sets.
pub fn departures(
    cohort: &Cohort,
    cases: &[Index],
    matching: &Matching,
    min_coverage: f64,
) -> Vec<Departure> {
    const GP: usize = 0;
    // Per set: the case-minus-comparator GP rate in each month (None where
    // either side is not observed for the minimum share of it).
    let by_set: Vec<Vec<Option<f64>>> = matching
        .sets
        .iter()
        .map(|set| {
            let case = &cases[set.case];
            MONTHS
                .map(|m| {
                    let own = rate_in(cohort, case.person, GP, month(case.date, m), min_coverage)?;
                    let others: Vec<f64> = set
                        .comparators
                        .iter()
                        .filter_map(|c| {
                            rate_in(cohort, c.person, GP, month(c.date, m), min_coverage)
                        })
                        .collect();
                    (!others.is_empty())
                        .then(|| own - others.iter().sum::<f64>() / others.len() as f64)
                })
                .collect()
        })
        .collect();
    let at = |m: i32| (m - MONTHS.start()) as usize;
    MONTHS
        .filter(|m| !REFERENCE.contains(m))
        .map(|m| {
            let relative: Vec<f64> = by_set
                .iter()
                .filter_map(|d| {
                    let reference: Vec<f64> = REFERENCE.clone().filter_map(|r| d[at(r)]).collect();
                    let here = d[at(m)]?;
                    (reference.len() == REFERENCE.clone().count())
                        .then(|| here - reference.iter().sum::<f64>() / reference.len() as f64)
                })
                .collect();
            let ci = mean_ci(&relative);
            Departure {
                month: m,
                sets: relative.len(),
                departure: ci.mean,
                limits: (ci.lower, ci.upper),
            }
        })
        .collect()
}

/// The washout read off `departures` (see the module's documentation).
pub fn choose(departures: Vec<Departure>) -> Washout {
    let (days, basis) = read_off(&departures, FLOOR_DAYS);
    Washout {
        days,
        basis,
        departures,
    }
}

/// A washout set to `days`, beside what the data would choose
/// (`departures` of sets matched on a window of `days`).
pub fn fixed(days: i32, departures: Vec<Departure>) -> Washout {
    let (chosen, _) = read_off(&departures, days);
    let data = if departures.is_empty() {
        String::new()
    } else if chosen > days {
        format!(
            "; the data put the start of the run-up earlier, {chosen} days before referral (washout_days = \"auto\" would use it)"
        )
    } else {
        "; no month before it departs from the earliest ones beyond its interval".to_string()
    };
    Washout {
        days,
        basis: format!("as set ({days} days){data}"),
        departures,
    }
}

/// The days and the reason read off `departures` of sets matched on GP use
/// in the last `matched_days` before the index.
fn read_off(departures: &[Departure], matched_days: i32) -> (i32, String) {
    // Only months before the matching window: the comparators were matched
    // on GP use within it, which bends the departures there.
    let candidate = |d: &&Departure| ends_before(-d.month - 1, matched_days);
    let onset = departures.iter().filter(candidate).find(|d| {
        d.limits.0 > 0.0
            && departures
                .iter()
                .filter(candidate)
                .filter(|later| later.month > d.month)
                .all(|later| later.departure > 0.0)
    });
    let floor = format!("{matched_days} days, the shortest");
    match onset.map(|d| d.month) {
        Some(m) => {
            let days = (f64::from(-m) * MONTH_DAYS).ceil() as i32;
            if days > matched_days {
                (
                    days,
                    format!(
                        "chosen from the data: referred people's GP use leaves their never-referred comparators' from month {m} before referral, so the before window ends {days} days before it"
                    ),
                )
            } else {
                (
                    matched_days,
                    format!(
                        "chosen from the data: the run-up begins in month {m}, within the {floor}"
                    ),
                )
            }
        }
        None => (
            matched_days,
            format!(
                "chosen from the data: no month before referral departs from the earliest ones beyond its interval, so {floor}"
            ),
        ),
    }
}

/// The table's declaration.
pub const HEALTH_WASHOUT: TableDef = TableDef {
    name: "health_washout",
    description: "How the washout before referral was set: the monthly departure of referred people's GP use from their never-referred comparators', and the days chosen",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        int_label(
            "washout_days",
            "Days before the index left out of the comparison's before window",
        ),
        text("basis", "How the washout was set, and why"),
        int_label(
            "month",
            "Month before the index (-9 to -1; months -12 to -10 are the reference); empty when no set could be matched",
        ),
        count(
            "sets",
            "Matched sets (never-referred pool) with the case and a comparator observed in the month and the reference months",
        ),
        statistic(
            "departure",
            &["sets"],
            "Mean case-minus-comparator GP rate in the month, less the set's mean over the reference months (events per person-year)",
        ),
        statistic("lower", &["sets"], "Lower 95% limit (t interval over sets)"),
        statistic("upper", &["sets"], "Upper 95% limit"),
    ],
    sums: Sums::NONE,
};

/// The rows of `health_washout`.
pub fn rows(table: &mut TableBuilder, period: &Period, washout: &Washout) {
    let common = |t: &mut TableBuilder, month, sets, d: Option<&Departure>| {
        let num = |x: Option<f64>| match x {
            Some(x) if x.is_finite() => num_value(x),
            _ => crate::batch::Value::Null,
        };
        t.push_named(&[
            ("period", text_value(&period.label)),
            ("washout_days", int_value(washout.days)),
            ("basis", text_value(&washout.basis)),
            ("month", month),
            ("sets", sets),
            ("departure", num(d.map(|d| d.departure))),
            ("lower", num(d.map(|d| d.limits.0))),
            ("upper", num(d.map(|d| d.limits.1))),
        ]);
    };
    if washout.departures.is_empty() {
        common(table, crate::batch::Value::Null, int_value(0), None);
    }
    for d in &washout.departures {
        common(table, int_value(d.month), int_value(d.sets), Some(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departure(month: i32, departure: f64, half: f64) -> Departure {
        Departure {
            month,
            sets: 300,
            departure,
            limits: (departure - half, departure + half),
        }
    }

    #[test]
    fn the_run_up_begins_at_the_first_month_that_departs_and_stays_up() {
        // Flat to month -8, a rise from -7 (its interval above zero) with
        // every later month positive.
        let months = vec![
            departure(-9, 0.1, 0.8),
            departure(-8, -0.3, 0.8),
            departure(-7, 1.2, 0.8),
            departure(-6, 1.0, 0.8),
            departure(-5, 0.5, 0.8),
            departure(-4, 1.5, 0.8),
            departure(-3, 2.2, 0.8),
            departure(-2, 3.1, 0.8),
            departure(-1, 4.0, 0.8),
        ];
        let mut dipped = months.clone();
        dipped[2].departure = -0.1;
        dipped[2].limits = (-0.9, 0.7);
        let w = choose(months.clone());
        // 7 months: 214 days.
        assert_eq!(w.days, 214);
        // Set by hand, the data's choice is still said.
        let set = fixed(FLOOR_DAYS, months);
        assert_eq!(set.days, FLOOR_DAYS);
        assert!(
            set.basis.contains("214 days before referral"),
            "{}",
            set.basis
        );
        assert!(w.basis.contains("month -7"), "{}", w.basis);
        // Without the rise at -7, -6 is the first that departs.
        assert_eq!(choose(dipped).days, 183);
        // Nothing departs: the floor.
        let flat: Vec<Departure> = (-9..=-1).map(|m| departure(m, 0.1, 0.8)).collect();
        let w = choose(flat);
        assert_eq!(w.days, FLOOR_DAYS);
        assert!(w.basis.contains("no month"), "{}", w.basis);
        // A run-up within the floor keeps the floor.
        let late: Vec<Departure> = (-9..=-1)
            .map(|m| departure(m, if m >= -2 { 3.0 } else { 0.0 }, 0.8))
            .collect();
        assert_eq!(choose(late).days, FLOOR_DAYS);
    }
}
