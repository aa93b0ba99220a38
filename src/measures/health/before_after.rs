//! The naive before/after comparison of the referred cohort: who could be
//! measured, events and rates per person-year before and after, paired change,
//! their use against the registered population's for their ages and sexes
//! (standardised ratios), and the same by baseline-use band (where regression
//! to the mean shows).

use crate::batch::Value;
use crate::measures::table::date;
use std::collections::BTreeMap;

use super::cohort::{Cohort, Index, SETTINGS, setting_code, setting_label};
use super::usage::{BANDS, Exclusion, Use, Windows, band_of, measure};
use super::window::{Cut, Span, observed};
use crate::measures::period::Period;
use crate::measures::table::{
    RowSum, Sums, TableBuilder, TableDef, count, int_label, int_value, num_label, num_value,
    opt_num, poisson_lower, poisson_upper, quotient, share, statistic, text, text_value,
    wilson_lower, wilson_upper,
};
use crate::stats::paired::wilcoxon_signed_rank;
use crate::stats::poisson::poisson_interval;
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
        date("events_from", "First day of event data in the warehouse"),
        date(
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
    let day = |d: Option<i32>| d.map_or(Value::Null, Value::Date);
    let coverage = cohort.events.coverage;
    table.push_named(&[
        ("period", text_value(&period.label)),
        ("window_months", int_value(m.months)),
        (
            "partial_before_policy",
            text_value(windows.partial_before.label()),
        ),
        ("min_window_coverage", num_value(windows.min_coverage)),
        ("events_from", day(coverage.map(|c| c.first))),
        ("events_to", day(coverage.map(|c| c.last))),
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
        statistic(
            "before_expected",
            &["people"],
            "Events expected before had the referred used services at the registered population's rate for their age band and sex: Σ person-years × the never-referred people's rate in each age band and sex (indirect standardisation)",
        ),
        quotient(
            "before_standardised_ratio",
            "before_events",
            "before_expected",
            1.0,
            "Standardised ratio before, observed / expected events (2: twice the use of registered people of the same ages and sexes)",
        ),
        poisson_lower(
            "before_ratio_lower",
            "before_events",
            "before_expected",
            1.0,
            "Lower 95% limit: the exact Poisson limit of the events (Byar's from 10) / expected",
        ),
        poisson_upper(
            "before_ratio_upper",
            "before_events",
            "before_expected",
            1.0,
            "Upper 95% limit",
        ),
        statistic(
            "after_expected",
            &["people"],
            "Events expected after at the registered population's rates for their age bands and sexes",
        ),
        quotient(
            "after_standardised_ratio",
            "after_events",
            "after_expected",
            1.0,
            "Standardised ratio after, observed / expected events",
        ),
        poisson_lower(
            "after_ratio_lower",
            "after_events",
            "after_expected",
            1.0,
            "Lower 95% limit",
        ),
        poisson_upper(
            "after_ratio_upper",
            "after_events",
            "after_expected",
            1.0,
            "Upper 95% limit",
        ),
    ],
    sums: Sums::NONE,
};

/// An age band (index into the age-band codes, `None` when unknown) and a
/// sex (interned).
pub type Stratum = (Option<u8>, u32);

/// The registered population's use: events per person-year among people
/// never referred, over the calendar span from `months` before the period to
/// its end, overall and by age band and sex.
#[derive(Debug, Clone, Default)]
pub struct PopulationRates {
    /// Events per person-year, per setting (NaN without event data).
    pub crude: [f64; SETTINGS],
    /// Per age band and sex: events per setting and person-years.
    strata: BTreeMap<Stratum, ([u64; SETTINGS], f64)>,
}

impl PopulationRates {
    /// The rate of setting `s` in `stratum`; the crude rate where the
    /// population has no person-time in it.
    pub fn rate(&self, stratum: Stratum, s: usize) -> f64 {
        match self.strata.get(&stratum) {
            Some((events, years)) if *years > 0.0 => events[s] as f64 / years,
            _ => self.crude[s],
        }
    }

    /// Events expected over the measured people's person-time at these
    /// rates, per setting, before and after: Σ person-years × the rate of the
    /// person's age band (on the index day) and sex. Each person's stratum is
    /// worked out once for every setting and both windows.
    pub fn expected(&self, cohort: &Cohort, m: &Measured) -> ([f64; SETTINGS], [f64; SETTINGS]) {
        let (mut before, mut after) = ([0.0; SETTINGS], [0.0; SETTINGS]);
        for (p, u) in &m.people {
            let index = u.after.first - 1;
            let stratum = (cohort.people.age_band(*p, index), cohort.people.sex[*p]);
            for s in 0..SETTINGS {
                let rate = self.rate(stratum, s);
                before[s] += u.before.years() * rate;
                after[s] += u.after.years() * rate;
            }
        }
        (before, after)
    }
}

/// [`PopulationRates`] for windows of `months`: every never-referred person's
/// person-time in the span, in their age band on its middle day.
pub fn population_rates(cohort: &Cohort, period: &Period, months: i32) -> PopulationRates {
    let Some(data) = cohort.events.coverage else {
        return PopulationRates {
            crude: [f64::NAN; SETTINGS],
            strata: BTreeMap::new(),
        };
    };
    let span = Span {
        first: super::window::add_months(crate::days::date32(period.start), -months),
        last: crate::days::date32(period.end),
    };
    let middle = span.first + (span.last - span.first) / 2;
    let (mut events, mut years) = ([0u64; SETTINGS], 0.0);
    let mut strata: BTreeMap<Stratum, ([u64; SETTINGS], f64)> = BTreeMap::new();
    for p in 0..cohort.people.ids.len() {
        if cohort.people.ever_referred[p] {
            continue;
        }
        let (seen, _) = observed(span, cohort.people.presence[p], data);
        if seen.days() == 0 {
            continue;
        }
        let stratum = strata
            .entry((cohort.people.age_band(p, middle), cohort.people.sex[p]))
            .or_default();
        years += seen.years();
        stratum.1 += seen.years();
        for (s, e) in events.iter_mut().enumerate() {
            let n = u64::from(super::window::count_in(cohort.events.days(s, p), seen));
            *e += n;
            stratum.0[s] += n;
        }
    }
    PopulationRates {
        crude: events.map(|e| e as f64 / years),
        strata,
    }
}

/// The settings compared after against before referral by PCN: GP
/// appointments and A&E attendances (indices into the setting codes).
pub const AFTER_BEFORE_SETTINGS: [usize; 2] = [0, 1];

/// One PCN's events of one setting in equal windows just before and just
/// after its people's referrals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterBefore {
    /// Setting (index into the setting codes).
    pub setting: usize,
    /// The PCN (the practice where the PCN is not known).
    pub pcn: String,
    /// Events in the days after referral.
    pub after: u64,
    /// Events in as many days before it.
    pub before: u64,
}

/// Each PCN's events after and before referral in equal windows: for each
/// measured person, the shorter of their observed before and after windows,
/// L days, gives `[index − L, index − 1]` and `[index + 1, index + L]`, so
/// both sides have the same person-time and after / before is a rate ratio
/// (the after window cut short by the end of the data or death cuts the
/// before window to match).
pub fn after_before_by_pcn(cohort: &Cohort, m: &Measured) -> Vec<AfterBefore> {
    let mut by_pcn: BTreeMap<(usize, &str), (u64, u64)> = BTreeMap::new();
    for (p, u) in &m.people {
        let index = u.after.first - 1;
        let days = u.before.days().min(u.after.days());
        if days <= 0 {
            continue;
        }
        let before = Span {
            first: index - days,
            last: index - 1,
        };
        let after = Span {
            first: index + 1,
            last: index + days,
        };
        let pcn = cohort.people.names[cohort.people.pcn[*p] as usize].as_str();
        for s in AFTER_BEFORE_SETTINGS {
            let e = by_pcn.entry((s, pcn)).or_default();
            e.0 += u64::from(super::window::count_in(cohort.events.days(s, *p), after));
            e.1 += u64::from(super::window::count_in(cohort.events.days(s, *p), before));
        }
    }
    by_pcn
        .into_iter()
        .map(|((setting, pcn), (after, before))| AfterBefore {
            setting,
            pcn: pcn.to_string(),
            after,
            before,
        })
        .collect()
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
    (period, cohort): (&Period, &Cohort),
    m: &Measured,
    population: &PopulationRates,
) -> [Naive; SETTINGS] {
    let (expected_before, expected_after) = population.expected(cohort, m);
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
        let (before_expected, after_expected) = (expected_before[s], expected_after[s]);
        let bounds = |events: f64| {
            let (lower, upper) = poisson_interval(events, 0.95);
            (lower.unwrap_or(f64::NAN), upper)
        };
        let (before_bounds, after_bounds) = (bounds(before_events), bounds(after_events));
        let finite = |x: f64| opt_num(x.is_finite().then_some(x));
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
            ("population_rate", num_value(population.crude[s])),
            (
                "ratio_to_population",
                num_value(before_rate / population.crude[s]),
            ),
            ("before_expected", num_value(before_expected)),
            (
                "before_standardised_ratio",
                finite(before_events / before_expected),
            ),
            (
                "before_ratio_lower",
                finite(before_bounds.0 / before_expected),
            ),
            (
                "before_ratio_upper",
                finite(before_bounds.1 / before_expected),
            ),
            ("after_expected", num_value(after_expected)),
            (
                "after_standardised_ratio",
                finite(after_events / after_expected),
            ),
            ("after_ratio_lower", finite(after_bounds.0 / after_expected)),
            ("after_ratio_upper", finite(after_bounds.1 / after_expected)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::health::cohort::testing::{Person, cohort};
    use crate::measures::health::usage::PartialBefore;
    use crate::measures::health::window::{Coverage, Presence};

    // 2023-01-01 = 19358, 2024-06-01 = 19875, 2025-12-31 = 20453;
    // 1 January 2000 = 10957, 1950 = -7305.
    const DATA: Coverage = Coverage {
        first: 19_358,
        last: 20_453,
    };
    const ALWAYS: Presence = Presence {
        registered: None,
        deregistered: None,
        died: None,
    };

    fn person(id: &str, birth: i32, referred: bool, gp: Vec<i32>) -> Person<'_> {
        Person {
            id,
            birth,
            sex: "female",
            quintile: 1,
            practice: "A",
            presence: ALWAYS,
            referred,
            gp,
        }
    }

    /// Two registered women never referred, one young with 8 GP
    /// appointments in the span and one old with 20; a young referred woman
    /// with 5 appointments in the year before referral. Her expected
    /// appointments are her person-years at the young woman's rate, not at
    /// the population's crude rate (which the old woman raises).
    #[test]
    fn expected_use_is_the_person_time_at_the_rate_of_the_same_age_band_and_sex() {
        let gp = |n: i32, from: i32| (0..n).map(|i| from + 20 * i).collect::<Vec<_>>();
        let c = cohort(
            vec![
                person("Y", 10_957, false, gp(8, 19_500)),
                person("O", -7_305, false, gp(20, 19_500)),
                person("R", 10_957, true, gp(5, 19_600)),
            ],
            DATA,
        );
        let period = Period::parse("2024/25").unwrap();
        let population = population_rates(&c, &period, 12);
        // The span: 1 April 2023 to 31 March 2025, everyone present throughout.
        let span_years = 731.0 / 365.25;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(population.crude[0], 28.0 / (2.0 * span_years)));
        let young = (c.people.age_band(2, 19_875), c.people.sex[2]);
        assert!(close(population.rate(young, 0), 8.0 / span_years));
        // A stratum without registered person-time takes the crude rate.
        assert!(close(population.rate((None, 99), 0), population.crude[0]));
        let cases = [Index {
            referral_id: "R1".into(),
            person: 2,
            date: 19_875,
        }];
        let windows = Windows {
            months: 12,
            gap_days: 0,
            after_gap_days: 0,
            min_coverage: 0.5,
            partial_before: PartialBefore::Adjust,
        };
        let m = measure_cases(&c, &cases, windows);
        let before_years = m.people[0].1.before.years();
        let expected = population.expected(&c, &m).0[0];
        assert!(
            close(expected, before_years * 8.0 / span_years),
            "{expected}"
        );
        let mut table = TableBuilder::new(&HEALTH_BEFORE_AFTER);
        before_after_rows(&mut table, (&period, &c), &m, &population);
        let t = table.finish().unwrap();
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::Float64Type;
        let value = |name: &str| {
            t.batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float64Type>()
                .value(0)
        };
        assert!(close(value("before_standardised_ratio"), 5.0 / expected));
        let (_, upper) = poisson_interval(5.0, 0.95);
        assert!(close(value("before_ratio_upper"), upper / expected));
    }

    /// Referred on 1 August 2025 (day 20301) with data to 31 December 2025:
    /// 152 days are observed after, so 152 days before count too; the GP
    /// appointment 160 days before falls outside, the one 100 days before
    /// inside.
    #[test]
    fn after_and_before_are_counted_in_equal_windows() {
        let index = 20_301;
        let c = cohort(
            vec![person(
                "R",
                10_957,
                true,
                vec![index - 160, index - 100, index + 10, index + 140],
            )],
            DATA,
        );
        let cases = [Index {
            referral_id: "R1".into(),
            person: 0,
            date: index,
        }];
        let m = measure_cases(
            &c,
            &cases,
            Windows {
                months: 6,
                gap_days: 0,
                after_gap_days: 0,
                min_coverage: 0.5,
                partial_before: PartialBefore::Adjust,
            },
        );
        assert_eq!(m.people[0].1.after.days(), 152);
        let rows = after_before_by_pcn(&c, &m);
        assert_eq!(
            rows[0],
            AfterBefore {
                setting: 0,
                pcn: "A".into(),
                after: 2,
                before: 1
            }
        );
        assert_eq!(rows.len(), AFTER_BEFORE_SETTINGS.len());
    }
}
