//! The naive before/after comparison of the referred cohort: who could be
//! measured, events and rates per person-year before and after, paired change,
//! and the same by baseline-use band (where regression to the mean shows).

use super::cohort::{Cohort, Index, SETTINGS, setting_code, setting_label};
use super::usage::{BANDS, Exclusion, Use, Windows, band_of, measure};
use super::window::{Cut, Span, observed};
use crate::measures::period::Period;
use crate::measures::table::{
    RowSum, Sums, TableBuilder, TableDef, count, int_label, int_value, num_label, num_value,
    quotient, share, statistic, text, text_value, wilson_lower, wilson_upper,
};
use crate::stats::paired::wilcoxon_signed_rank;
use crate::stats::proportion::wilson;
use crate::stats::summary::{mean_ci, quantile};

/// Referred people measured in one pair of windows, and why the rest were not.
#[derive(Debug, Default)]
pub struct Measured {
    /// Window length in months.
    pub months: i32,
    /// Measured people and their use.
    pub people: Vec<(usize, Use)>,
    /// Exclusions by reason.
    pub excluded: [u64; 4],
}

/// Measure every case in `months`-long windows.
pub fn measure_cases(cohort: &Cohort, cases: &[Index], windows: Windows) -> Measured {
    let mut m = Measured {
        months: windows.months,
        ..Measured::default()
    };
    for case in cases {
        match measure(cohort, case.person, case.date, windows) {
            Ok(u) => m.people.push((case.person, u)),
            Err(e) => {
                m.excluded[match e {
                    Exclusion::NotPresent => 0,
                    Exclusion::PartialBefore => 1,
                    Exclusion::ShortBefore => 2,
                    Exclusion::ShortAfter => 3,
                }] += 1;
            }
        }
    }
    m
}

/// The table's declaration.
pub const HEALTH_COHORT: TableDef = TableDef {
    name: "health_cohort",
    description: "Referred people measured in one window length, and why others were not",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        int_label(
            "window_months",
            "Length of the before and after windows in months (the index day is in neither)",
        ),
        text(
            "partial_before_policy",
            "People whose before window is only partly observed: time-adjusted (rates over observed time) or excluded",
        ),
        num_label(
            "min_window_coverage",
            "A window observed for less than this share of its length is not used",
        ),
        text("events_from", "First day of event data in the warehouse"),
        text(
            "events_to",
            "Last day of event data (the extract end, which censors windows)",
        ),
        count(
            "referred",
            "People with an accepted referral in the period (first accepted referral is the index)",
        ),
        count(
            "not_present",
            "Not registered or not alive on the index day",
        ),
        count(
            "partial_before_excluded",
            "Left out because the before window is only partly observed (policy excluded)",
        ),
        count(
            "short_before",
            "Left out: before window observed for less than the minimum share",
        ),
        count(
            "short_after",
            "Left out: after window observed for less than the minimum share (death, deregistration or extract end soon after)",
        ),
        count("measured", "People measured in both windows"),
        count(
            "before_late_registration",
            "Measured with the before window starting at a registration inside it (time-adjusted)",
        ),
        count(
            "before_data_start",
            "Measured with the before window starting where event data starts (time-adjusted)",
        ),
        count(
            "after_death",
            "Measured with the after window censored at death",
        ),
        count(
            "after_deregistration",
            "Measured with the after window censored at deregistration",
        ),
        count(
            "after_extract_end",
            "Measured with the after window censored at the extract end",
        ),
    ],
    sums: Sums {
        breakdown_key: &[],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[RowSum {
            parts: &[
                "referred",
                "not_present",
                "partial_before_excluded",
                "short_before",
                "short_after",
                "measured",
            ],
            prefer: None,
        }],
    },
};

/// One row of `health_cohort`.
pub fn cohort_row(
    table: &mut TableBuilder,
    period: &Period,
    windows: Windows,
    cohort: &Cohort,
    referred: usize,
    m: &Measured,
) {
    let cut_count = |before: bool, cut: Cut| {
        m.people
            .iter()
            .filter(|(_, u)| (if before { u.before_cut } else { u.after_cut }) == cut)
            .count()
    };
    let day = |d: Option<i32>| d.map_or(String::new(), |d| crate::days::from_date32(d).to_string());
    let coverage = cohort.events.coverage;
    table.push_named(&[
        ("period", text_value(&period.label)),
        ("window_months", int_value(m.months)),
        (
            "partial_before_policy",
            text_value(windows.partial_before.label()),
        ),
        ("min_window_coverage", num_value(windows.min_coverage)),
        ("events_from", text_value(day(coverage.map(|c| c.first)))),
        ("events_to", text_value(day(coverage.map(|c| c.last)))),
        ("referred", int_value(referred)),
        ("not_present", int_value(m.excluded[0])),
        ("partial_before_excluded", int_value(m.excluded[1])),
        ("short_before", int_value(m.excluded[2])),
        ("short_after", int_value(m.excluded[3])),
        ("measured", int_value(m.people.len())),
        (
            "before_late_registration",
            int_value(cut_count(true, Cut::LateRegistration)),
        ),
        (
            "before_data_start",
            int_value(cut_count(true, Cut::DataStart)),
        ),
        ("after_death", int_value(cut_count(false, Cut::Death))),
        (
            "after_deregistration",
            int_value(cut_count(false, Cut::Deregistration)),
        ),
        (
            "after_extract_end",
            int_value(cut_count(false, Cut::ExtractEnd)),
        ),
    ]);
}

/// The table's declaration.
pub const HEALTH_BEFORE_AFTER: TableDef = TableDef {
    name: "health_before_after",
    description: "Naive before/after service use of referred people, one setting and window length",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        int_label(
            "window_months",
            "Length of the before and after windows in months",
        ),
        text("setting", "Service setting code"),
        text("setting_label", "Service setting"),
        text(
            "design",
            "What this comparison is (naive: no comparison group; the before window includes the run-up to referral)",
        ),
        count("people", "Referred people measured in both windows"),
        statistic(
            "before_person_years",
            &["people"],
            "Person-years observed before",
        ),
        statistic(
            "after_person_years",
            &["people"],
            "Person-years observed after",
        ),
        count("before_events", "Events before"),
        count("after_events", "Events after"),
        quotient(
            "before_rate",
            "before_events",
            "before_person_years",
            1.0,
            "Events per person-year before (all events / all person-years)",
        ),
        quotient(
            "after_rate",
            "after_events",
            "after_person_years",
            1.0,
            "Events per person-year after",
        ),
        statistic(
            "mean_before_rate",
            &["people"],
            "Mean of people's own rates before",
        ),
        statistic(
            "mean_after_rate",
            &["people"],
            "Mean of people's own rates after",
        ),
        statistic(
            "median_before_rate",
            &["people"],
            "Median of people's own rates before (distributions are skewed)",
        ),
        statistic(
            "median_after_rate",
            &["people"],
            "Median of people's own rates after",
        ),
        statistic(
            "mean_change",
            &["people"],
            "Mean paired change in rate, after minus before (events per person-year)",
        ),
        statistic(
            "change_lower",
            &["people"],
            "Lower 95% limit of the mean change (t interval)",
        ),
        statistic(
            "change_upper",
            &["people"],
            "Upper 95% limit of the mean change",
        ),
        statistic(
            "percent_change",
            &["people"],
            "Mean change as a percentage of the mean rate before",
        ),
        statistic(
            "wilcoxon_v",
            &["people"],
            "Wilcoxon signed-rank V (sum of ranks of increases)",
        ),
        statistic(
            "wilcoxon_p",
            &["people"],
            "Two-sided p-value of the Wilcoxon signed-rank test (normal approximation, continuity corrected)",
        ),
        count("fewer_after", "People with a lower rate after than before"),
        share(
            "fewer_after_share",
            "fewer_after",
            "people",
            "Share with a lower rate after",
        ),
        wilson_lower(
            "fewer_after_lower",
            "fewer_after",
            "people",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "fewer_after_upper",
            "fewer_after",
            "people",
            "Upper 95% Wilson limit",
        ),
        statistic(
            "population_rate",
            &["people"],
            "Rate per person-year among registered people never referred, over the same calendar span",
        ),
        quotient(
            "ratio_to_population",
            "before_rate",
            "population_rate",
            1.0,
            "Referred people's rate before divided by the population rate (well above 1: expect regression to the mean)",
        ),
    ],
    sums: Sums::NONE,
};

/// Events per person-year among people never referred, over the calendar span
/// from `months` before the period to its end (per setting).
pub fn population_rates(cohort: &Cohort, period: &Period, months: i32) -> [f64; SETTINGS] {
    let Some(data) = cohort.events.coverage else {
        return [f64::NAN; SETTINGS];
    };
    let span = Span {
        first: super::window::add_months(crate::days::date32(period.start), -months),
        last: crate::days::date32(period.end),
    };
    let (mut events, mut years) = ([0u64; SETTINGS], 0.0);
    for p in 0..cohort.people.ids.len() {
        if cohort.people.ever_referred[p] {
            continue;
        }
        let (seen, _) = observed(span, cohort.people.presence[p], data);
        if seen.days() == 0 {
            continue;
        }
        years += seen.years();
        for (s, e) in events.iter_mut().enumerate() {
            *e += u64::from(super::window::count_in(cohort.events.days(s, p), seen));
        }
    }
    events.map(|e| e as f64 / years)
}

/// The summary of one setting in one window.
#[derive(Debug, Clone, Copy)]
pub struct Naive {
    /// Mean paired change.
    pub mean_change: f64,
    /// Its 95% limits.
    pub limits: (f64, f64),
}

/// Rows of `health_before_after` for one window; returns each setting's summary.
pub fn before_after_rows(
    table: &mut TableBuilder,
    period: &Period,
    m: &Measured,
    population: &[f64; SETTINGS],
) -> [Naive; SETTINGS] {
    std::array::from_fn(|s| {
        let before: Vec<f64> = m.people.iter().map(|(_, u)| u.before_rate(s)).collect();
        let after: Vec<f64> = m.people.iter().map(|(_, u)| u.after_rate(s)).collect();
        let change: Vec<f64> = m.people.iter().map(|(_, u)| u.change(s)).collect();
        let sum = |f: &dyn Fn(&Use) -> f64| m.people.iter().map(|(_, u)| f(u)).sum::<f64>();
        let before_years = sum(&|u| u.before.years());
        let after_years = sum(&|u| u.after.years());
        let before_events = sum(&|u| f64::from(u.before_events[s]));
        let after_events = sum(&|u| f64::from(u.after_events[s]));
        let ci = mean_ci(&change);
        let mean_before = mean_ci(&before).mean;
        let w = wilcoxon_signed_rank(&change);
        let fewer = change.iter().filter(|c| **c < 0.0).count() as u64;
        let share = wilson(fewer, change.len() as u64);
        let before_rate = before_events / before_years;
        table.push_named(&[
            ("period", text_value(&period.label)),
            ("window_months", int_value(m.months)),
            ("setting", text_value(setting_code(s))),
            ("setting_label", text_value(setting_label(s))),
            (
                "design",
                text_value("naive before/after (no comparison group)"),
            ),
            ("people", int_value(m.people.len())),
            ("before_person_years", num_value(before_years)),
            ("after_person_years", num_value(after_years)),
            ("before_events", int_value(before_events as i64)),
            ("after_events", int_value(after_events as i64)),
            ("before_rate", num_value(before_rate)),
            ("after_rate", num_value(after_events / after_years)),
            ("mean_before_rate", num_value(mean_before)),
            ("mean_after_rate", num_value(mean_ci(&after).mean)),
            ("median_before_rate", num_value(quantile(&before, 0.5))),
            ("median_after_rate", num_value(quantile(&after, 0.5))),
            ("mean_change", num_value(ci.mean)),
            ("change_lower", num_value(ci.lower)),
            ("change_upper", num_value(ci.upper)),
            ("percent_change", num_value(100.0 * ci.mean / mean_before)),
            ("wilcoxon_v", num_value(w.v)),
            ("wilcoxon_p", num_value(w.p)),
            ("fewer_after", int_value(fewer)),
            ("fewer_after_share", num_value(share.p)),
            ("fewer_after_lower", num_value(share.lower)),
            ("fewer_after_upper", num_value(share.upper)),
            ("population_rate", num_value(population[s])),
            (
                "ratio_to_population",
                num_value(before_rate / population[s]),
            ),
        ]);
        Naive {
            mean_change: ci.mean,
            limits: (ci.lower, ci.upper),
        }
    })
}

/// A referred cohort whose baseline rate is at least this many times the
/// population's is warned about: its fall after referral is expected anyway.
pub const WARN_BASELINE_RATIO: f64 = 1.5;

/// The table's declaration.
pub const HEALTH_BASELINE_BANDS: TableDef = TableDef {
    name: "health_baseline_bands",
    description: "Before/after use by baseline GP-use band, for the referred and their matched comparators",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        int_label(
            "window_months",
            "Length of the before and after windows in months",
        ),
        text(
            "group",
            "referred, or the matched comparators of a pool (never_referred, declined) at their index or pseudo-index dates",
        ),
        text(
            "baseline_band",
            "GP appointments per person-year in the before window: 0-2, 3-5, 6-11, 12+",
        ),
        text("setting", "Service setting code"),
        count("people", "People in the band measured in both windows"),
        statistic(
            "mean_before_rate",
            &["people"],
            "Mean rate before (events per person-year)",
        ),
        statistic("mean_after_rate", &["people"], "Mean rate after"),
        statistic(
            "mean_change",
            &["people"],
            "Mean change, after minus before",
        ),
        statistic(
            "change_lower",
            &["people"],
            "Lower 95% limit of the mean change (t interval)",
        ),
        statistic(
            "change_upper",
            &["people"],
            "Upper 95% limit of the mean change",
        ),
    ],
    sums: Sums::NONE,
};

/// Rows of `health_baseline_bands` for one group of measured people.
pub fn band_rows(
    table: &mut TableBuilder,
    period: &Period,
    months: i32,
    group: &str,
    measured: &[Use],
) {
    for (b, band) in BANDS.iter().enumerate() {
        let in_band: Vec<&Use> = measured
            .iter()
            .filter(|u| band_of(u.before_rate(0)) as usize == b)
            .collect();
        for s in 0..SETTINGS {
            let rates =
                |f: &dyn Fn(&Use) -> f64| -> Vec<f64> { in_band.iter().map(|u| f(u)).collect() };
            let ci = mean_ci(&rates(&|u| u.change(s)));
            table.push_named(&[
                ("period", text_value(&period.label)),
                ("window_months", int_value(months)),
                ("group", text_value(group)),
                ("baseline_band", text_value(*band)),
                ("setting", text_value(setting_code(s))),
                ("people", int_value(in_band.len())),
                (
                    "mean_before_rate",
                    num_value(mean_ci(&rates(&|u| u.before_rate(s))).mean),
                ),
                (
                    "mean_after_rate",
                    num_value(mean_ci(&rates(&|u| u.after_rate(s))).mean),
                ),
                ("mean_change", num_value(ci.mean)),
                ("change_lower", num_value(ci.lower)),
                ("change_upper", num_value(ci.upper)),
            ]);
        }
    }
}
