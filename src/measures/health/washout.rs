//! The washout chosen from the data: where the referred people's GP use
//! starts to leave their never-referred comparators' on the way to referral.
//!
//! The comparison's before window must end before the run-up to referral
//! begins, or the difference-in-differences counts the fall from the run-up's
//! peak as an effect. How long the run-up lasts is not known in advance, so
//! it is read off a monthly event study: for each matched set, the case's
//! GP rate minus its comparators' in each of the 12 months before the index,
//! relative to the set's mean difference over the earliest three (months −12
//! to −10, the reference); averaged over sets with a t interval.
//!
//! The run-up's start is fitted, not tested month by month (a steady rise is
//! small in its first months, so the first month to depart beyond its own
//! interval comes late): a hinge, flat before a start `s` days before the
//! index and rising linearly after it, is fitted by weighted least squares to
//! the months that end before the shortest washout (the sets are matched on
//! GP use within it, which bends the departures there), for every start from
//! the shortest washout to the earliest month's start ([`fit_hinge`]). When
//! the best fit's slope is above zero beyond its 95% interval, the washout is
//! the start rounded up to a whole month (30.4375 days); otherwise, and never
//! less than, [`FLOOR_DAYS`], the days the comparators are matched on at the
//! least. A start at the earliest month tested, where that month itself
//! departs beyond its interval, may lie further back than the event study
//! reaches: the basis says so and the estimate is not called robust
//! ([`Washout::beyond_reach`]).

use super::cohort::{Cohort, Index};
use super::matching::Matching;
use super::usage::rate_in;
use super::window::{Span, add_months, shared_with_case};
use crate::measures::period::Period;
use crate::measures::table::{
    Sums, TableBuilder, TableDef, count, int_label, int_value, num_value, statistic, text,
    text_value,
};
use crate::stats::hinge::{self, Hinge, MONTH_DAYS};
use crate::stats::summary::mean_ci;

/// The shortest washout chosen from the data.
pub const FLOOR_DAYS: i32 = 90;

/// How the washout is set: a number of days, or `auto` (chosen from the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Setting {
    /// Chosen from the data ([`washout`], [`super::run_down::washout`]).
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

/// Which side of the index a monthly event study looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The 12 months before, against the earliest three (the run-up).
    Before,
    /// The 12 months after, against the latest three (the run-down).
    After,
}

impl Side {
    /// Its months relative to the index.
    fn months(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Side::Before => MONTHS,
            Side::After => 1..=12,
        }
    }

    /// Its reference months, the three furthest from the index.
    fn reference(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Side::Before => REFERENCE,
            Side::After => 10..=12,
        }
    }

    /// How the outputs name it.
    pub fn label(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// The reference months (the earliest three).
const REFERENCE: std::ops::RangeInclusive<i32> = -12..=-10;

/// Whether a span that ends `months` whole months before the index (taken as
/// 30.4375 days each) ends before a washout of `washout_days`.
pub fn ends_before(months: i32, washout_days: i32) -> bool {
    f64::from(months) * MONTH_DAYS >= f64::from(washout_days)
}

/// One month's departure from the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Departure {
    /// Month relative to the index (−9 to −1 before it, 1 to 9 after).
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

/// How a washout was set (before referral here; after it, [`super::run_down`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Washout {
    /// Days next to the index left out of the comparison's window.
    pub days: i32,
    /// Why, in words.
    pub basis: String,
    /// The monthly departures it was read from.
    pub departures: Vec<Departure>,
    /// Whether the rise may reach beyond the furthest month the event study
    /// tests (its fitted extent is there), so that no washout the data can
    /// support is known to be long enough.
    pub beyond_reach: bool,
}

/// The middle of month `m` in days from the index: before it for m < 0
/// (month −1 is the 30 days before the index), after it for m > 0.
fn middle_days(m: i32) -> f64 {
    if m < 0 {
        -(f64::from(m) + 0.5) * MONTH_DAYS
    } else {
        (f64::from(m) - 0.5) * MONTH_DAYS
    }
}

/// The hinge ([`hinge::fit`]) through `months`, each at its middle's
/// distance from the index with the standard error of its t interval,
/// (upper − lower) / 3.92, for extents from `from_days` to `to_days`.
pub fn fit_hinge(months: &[Departure], from_days: i32, to_days: i32) -> Option<Hinge> {
    let points: Vec<(f64, f64, f64)> = months
        .iter()
        .map(|d| {
            (
                middle_days(d.month),
                d.departure,
                (d.limits.1 - d.limits.0) / 3.92,
            )
        })
        .collect();
    hinge::fit(&points, from_days, to_days)
}

/// Month `m` from `index`: before it (m < 0) `[index + m months, index +
/// (m + 1) months − 1]`, after it (m > 0) `[index + (m − 1) months + 1,
/// index + m months]` (the index day in neither).
fn month(index: i32, m: i32) -> Span {
    if m < 0 {
        Span {
            first: add_months(index, m),
            last: add_months(index, m + 1) - 1,
        }
    } else {
        Span {
            first: add_months(index, m - 1) + 1,
            last: add_months(index, m),
        }
    }
}

/// The monthly departures of the never-referred pool's matched sets on one
/// side of the index, each month against the side's reference months.
pub fn departures(
    cohort: &Cohort,
    cases: &[Index],
    matching: &Matching,
    min_coverage: f64,
    side: Side,
) -> Vec<Departure> {
    let (months, reference) = (side.months(), side.reference());
    const GP: usize = 0;
    // Per set: the case-minus-comparator GP rate in each month (None where
    // either side is not observed for the minimum share of it).
    let by_set: Vec<Vec<Option<f64>>> = matching
        .sets
        .iter()
        .map(|set| {
            let case = &cases[set.case];
            months
                .clone()
                .map(|m| {
                    let on = shared_with_case(case.date, |day| month(day, m));
                    let own = rate_in(cohort, case.person, GP, on(case.date), min_coverage)?;
                    let others: Vec<f64> = set
                        .comparators
                        .iter()
                        .filter_map(|c| rate_in(cohort, c.person, GP, on(c.date), min_coverage))
                        .collect();
                    (!others.is_empty())
                        .then(|| own - others.iter().sum::<f64>() / others.len() as f64)
                })
                .collect()
        })
        .collect();
    let at = |m: i32| (m - months.start()) as usize;
    months
        .clone()
        .filter(|m| !reference.contains(m))
        .map(|m| {
            let relative: Vec<f64> = by_set
                .iter()
                .filter_map(|d| {
                    let base: Vec<f64> = reference.clone().filter_map(|r| d[at(r)]).collect();
                    let here = d[at(m)]?;
                    (base.len() == reference.clone().count())
                        .then(|| here - base.iter().sum::<f64>() / base.len() as f64)
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

/// The washout before referral: as set, or read off `departures` (before
/// the index; see the module's documentation). Set by hand, it is read off
/// sets matched on that many days, and the basis says where the data would
/// put it.
pub fn washout(setting: Setting, departures: Vec<Departure>) -> Washout {
    let matched_days = match setting {
        Setting::Auto => FLOOR_DAYS,
        Setting::Days(days) => days,
    };
    let reading = read_off(&departures, matched_days);
    settle(
        setting,
        reading,
        departures,
        |days| {
            format!(
                "; the data put the start of the run-up earlier, {days} days before referral (washout_days = \"auto\" would use it)"
            )
        },
        "; the data show no run-up before it",
    )
}

/// What one side's departures say.
pub(super) struct Reading {
    /// The days the data would leave out.
    pub days: i32,
    /// Why, in words.
    pub why: String,
    /// Whether it may reach beyond the event study.
    pub beyond_reach: bool,
}

/// One side's washout from its `reading`: the reading's own (auto), or the
/// days set, with `further(days)` said when the data would leave out more
/// and `none` when not.
pub(super) fn settle(
    setting: Setting,
    reading: Reading,
    departures: Vec<Departure>,
    further: impl Fn(i32) -> String,
    none: &str,
) -> Washout {
    match setting {
        Setting::Auto => Washout {
            days: reading.days,
            basis: format!("chosen from the data: {}", reading.why),
            beyond_reach: reading.beyond_reach,
            departures,
        },
        Setting::Days(days) => {
            let data = if departures.is_empty() {
                String::new()
            } else if reading.days > days {
                further(reading.days)
            } else {
                none.to_string()
            };
            Washout {
                days,
                basis: format!("as set ({days} days){data}"),
                beyond_reach: reading.beyond_reach && reading.days > days,
                departures,
            }
        }
    }
}

/// The furthest the `usable` months reach from the index, in whole days:
/// the far end of the furthest month (0 when there is none). The hinge's
/// extent is fitted up to it.
pub(super) fn reach(usable: &[Departure]) -> i32 {
    usable
        .iter()
        .map(|d| d.month.abs())
        .max()
        .map_or(0, |m| (f64::from(m) * MONTH_DAYS).floor() as i32)
}

/// Where a rising `fit` to the `usable` months leaves a washout: its extent
/// rounded up to a whole month from the index (30.4375 days a month), and
/// whether the rise may reach beyond the furthest month read: the fit at
/// its [`reach`], and that month itself above zero beyond its interval (a
/// fit that only leans there, a steep late rise drawn as a long gentle one,
/// is not taken for a rise beyond reach).
pub(super) fn extent(fit: &Hinge, usable: &[Departure]) -> (i32, bool) {
    let days = ((fit.extent_days / MONTH_DAYS).ceil() * MONTH_DAYS).ceil() as i32;
    let furthest_departs = usable
        .iter()
        .max_by_key(|d| d.month.abs())
        .is_some_and(|d| d.limits.0 > 0.0);
    (
        days,
        fit.extent_days >= f64::from(reach(usable)) && furthest_departs,
    )
}

/// The washout and the reason read off `departures` of sets matched on GP
/// use in the last `matched_days` before the index.
fn read_off(departures: &[Departure], matched_days: i32) -> Reading {
    // Only months before the matching window: the comparators were matched
    // on GP use within it, which bends the departures there.
    let usable: Vec<Departure> = departures
        .iter()
        .filter(|d| ends_before(-d.month - 1, matched_days))
        .copied()
        .collect();
    let floor = format!("the shortest washout, {matched_days} days");
    let fit = fit_hinge(&usable, matched_days, reach(&usable)).filter(Hinge::rises);
    let Some(run_up) = fit else {
        return Reading {
            days: matched_days,
            why: format!(
                "no run-up to referral shows before the last {matched_days} days, so {floor}"
            ),
            beyond_reach: false,
        };
    };
    let (whole_months, beyond_reach) = extent(&run_up, &usable);
    let days = whole_months.max(matched_days);
    let rise = format!(
        "referred people's GP use rises against their never-referred comparators' from about {:.0} days before referral ({:.2} a person-year more each month)",
        run_up.extent_days, run_up.slope
    );
    let why = if days == matched_days {
        format!("{rise}, within {floor}")
    } else if beyond_reach {
        format!(
            "{rise}, the earliest the event study can see: the rise may begin earlier still, so the before window ends {days} days before referral and the estimate may overstate the effect"
        )
    } else {
        format!("{rise}, so the before window ends {days} days before referral")
    };
    Reading {
        days,
        why,
        beyond_reach,
    }
}

/// The table's declaration.
pub const HEALTH_WASHOUT: TableDef = TableDef {
    name: "health_washout",
    description: "How the washouts on either side of referral were set: the monthly departure of referred people's GP use from their never-referred comparators', and the days chosen",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text(
            "side",
            "before: the run-up to referral, left out of the before window; after: the run-down after it, left out of the after window",
        ),
        int_label(
            "washout_days",
            "Days next to the index left out of the comparison's window on this side",
        ),
        text("basis", "How the washout was set, and why"),
        int_label(
            "month",
            "Month from the index: before, -9 to -1 (months -12 to -10 are the reference); after, 1 to 9 (months 10 to 12 are the reference); empty when no set could be matched",
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

/// The rows of `health_washout`, one side's.
pub fn rows(table: &mut TableBuilder, period: &Period, side: Side, washout: &Washout) {
    let common = |t: &mut TableBuilder, month, sets, d: Option<&Departure>| {
        let num = |x: Option<f64>| match x {
            Some(x) if x.is_finite() => num_value(x),
            _ => crate::batch::Value::Null,
        };
        t.push_named(&[
            ("period", text_value(&period.label)),
            ("side", text_value(side.label())),
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

    /// Departures of a run-up rising `slope` a month from `start` days before
    /// the index (months −9 to −1, exact).
    fn ramp(start: f64, slope: f64) -> Vec<Departure> {
        (-9..=-1)
            .map(|m| {
                departure(
                    m,
                    slope * (start - middle_days(m)).max(0.0) / MONTH_DAYS,
                    0.8,
                )
            })
            .collect()
    }

    #[test]
    fn months_are_fitted_at_their_middles_with_their_intervals_standard_errors() {
        let fit = fit_hinge(&ramp(200.0, 0.8)[..6], 90, 274).unwrap();
        assert!((fit.extent_days - 200.0).abs() < 1e-12, "{fit:?}");
        assert!((fit.slope - 0.8).abs() < 1e-9, "{fit:?}");
        // se(β) = (Σ w x²)^(−1/2), w = 1/(1.6/3.92)² for every month.
        let w = (3.92_f64 / 1.6).powi(2);
        let sxx: f64 = (-9..=-4)
            .map(|m| ((200.0 - middle_days(m)).max(0.0) / MONTH_DAYS).powi(2) * w)
            .sum();
        assert!((fit.slope_se - sxx.sqrt().recip()).abs() < 1e-12);
        assert_eq!(
            (middle_days(-1), middle_days(1)),
            (MONTH_DAYS / 2.0, MONTH_DAYS / 2.0)
        );
    }

    #[test]
    fn the_washout_ends_at_the_start_of_the_month_the_run_up_begins_in() {
        // A rise from 200 days: month 7 before referral, 213.06 days.
        let w = washout(Setting::Auto, ramp(200.0, 0.8));
        assert_eq!(w.days, 214);
        assert!(!w.beyond_reach);
        assert!(w.basis.contains("from about 200 days"), "{}", w.basis);
        // Set by hand, the data's choice is still said.
        let set = washout(Setting::Days(FLOOR_DAYS), ramp(200.0, 0.8));
        assert_eq!(set.days, FLOOR_DAYS);
        assert!(
            set.basis.contains("214 days before referral"),
            "{}",
            set.basis
        );
        // Nothing rises: the floor.
        let flat: Vec<Departure> = (-9..=-1)
            .map(|m| departure(m, if m % 2 == 0 { 0.1 } else { -0.1 }, 0.8))
            .collect();
        let w = washout(Setting::Auto, flat);
        assert_eq!(w.days, FLOOR_DAYS);
        assert!(w.basis.contains("no run-up"), "{}", w.basis);
        // A rise too small for its intervals is not taken for a run-up.
        assert_eq!(washout(Setting::Auto, ramp(200.0, 0.05)).days, FLOOR_DAYS);
        // A run-up within the floor (months -3 to -1 are not read) keeps it.
        let late: Vec<Departure> = (-9..=-1)
            .map(|m| departure(m, if m >= -3 { 3.0 } else { 0.0 }, 0.8))
            .collect();
        assert_eq!(washout(Setting::Auto, late).days, FLOOR_DAYS);
    }

    #[test]
    fn a_run_up_from_before_the_earliest_month_is_beyond_reach() {
        let w = washout(Setting::Auto, ramp(330.0, 0.8));
        // The start of month -9, 273.94 days, the furthest the study sees.
        assert_eq!(w.days, 274);
        assert!(w.beyond_reach);
        assert!(w.basis.contains("may begin earlier still"), "{}", w.basis);
        // Fitted to month -9 but month -9 itself no higher than the
        // reference: the fit only leans there, not beyond reach.
        let mut leaning = ramp(330.0, 0.8);
        leaning[0].departure = 0.2;
        leaning[0].limits = (-0.6, 1.0);
        let fit = fit_hinge(&leaning[..6], FLOOR_DAYS, 274).unwrap();
        assert!(fit.extent_days >= 274.0, "{fit:?}");
        assert!(!washout(Setting::Auto, leaning).beyond_reach);
        // Set by hand longer than the data can see, it is not beyond reach.
        assert!(!washout(Setting::Days(365), ramp(330.0, 0.8)).beyond_reach);
        assert!(washout(Setting::Days(FLOOR_DAYS), ramp(330.0, 0.8)).beyond_reach);
    }
}
