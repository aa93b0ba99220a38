//! The comparison-cohort design: matching summaries, balance before and after
//! matching, the difference-in-differences estimate with its intervals, the
//! quarterly event study and the optional costing.

use super::cohort::{Cohort, Index, SETTINGS, setting_code, setting_label};
use super::costs::UnitCosts;
use super::matching::{Comparator, MatchRules, Matching, Pool};
use super::robustness::Verdict;
use super::usage::{Use, Windows, measure_around, rate_in, rates_in};
use super::window::{Span, before, present_on, quarter, shared_with_case};
use crate::days::Ymd;
use crate::measures::period::Period;
use crate::measures::table::{
    Sums, TableBuilder, TableDef, count, int_label, int_value, num_label, num_value, opt_num,
    statistic, text, text_value,
};
use crate::stats::did::{Did, did_estimates, set_contrast};
use crate::stats::effect::weighted_standardised_mean_difference;
use crate::stats::sensitivity::{breakdown_m_bar, relative_magnitude_bounds};
use crate::stats::summary::mean_ci;

/// One pool's matching, with what every comparison table is built from.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'a> {
    /// Reporting period.
    pub period: &'a Period,
    /// The pool.
    pub pool: Pool,
    /// People and events.
    pub cohort: &'a Cohort,
    /// The referred cohort (index referrals).
    pub cases: &'a [Index],
    /// The matched sets.
    pub matching: &'a Matching,
}

/// The table's declaration.
pub const HEALTH_MATCHING: TableDef = TableDef {
    name: "health_matching",
    description: "How the referred were matched to one comparison pool",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text(
            "pool",
            "Comparison pool: never_referred (registered, no referral at any date) or declined (referral declined, never accepted)",
        ),
        text(
            "match_unit",
            "Organisation matched on exactly: practice or pcn",
        ),
        text(
            "match_on",
            "What comparators were matched on besides age band, sex, deprivation and practice or PCN: band (GP use just before referral, banded) or trajectory (also its direction over the year before)",
        ),
        int_label("k", "Comparators sought per case"),
        count("pool_size", "People in the pool"),
        count("cases", "Referred people (accepted referral in the period)"),
        count(
            "cases_without_baseline",
            "Cases whose baseline band could not be measured (too little time before)",
        ),
        count("matched_sets", "Cases with at least one comparator"),
        count("partial_sets", "Matched sets with fewer than k comparators"),
        count("unmatched", "Cases with no comparator"),
        count(
            "sets_within_pcn",
            "Declined pool matched by practice: sets with a comparator from another practice of the case's PCN (too few declined in its own)",
        ),
        count("comparators", "Comparators used"),
        text("index_date", "How comparators' windows are anchored"),
    ],
    sums: Sums::NONE,
};

/// One row of `health_matching`.
pub fn matching_row(table: &mut TableBuilder, matched: &Matched, rules: &MatchRules) {
    let Matched {
        period,
        pool,
        cohort: _,
        cases,
        matching: m,
    } = *matched;
    let comparators: usize = m.sets.iter().map(|s| s.comparators.len()).sum();
    table.push_named(&[
("period", text_value(&period.label)),
("pool", text_value(pool.label())),
("match_unit", text_value(rules.unit.label())),
("match_on", text_value(rules.on.label())),
("k", int_value(rules.k)),
("pool_size", int_value(m.pool_size)),
("cases", int_value(cases.len())),
("cases_without_baseline", int_value(m.cases_without_baseline)),
("matched_sets", int_value(m.sets.len())),
("partial_sets", int_value(m.partial)),
("unmatched", int_value(m.unmatched)),
("sets_within_pcn", int_value(m.within_pcn)),
("comparators", int_value(comparators)),
("index_date", text_value(match pool {
            Pool::NeverReferred => "pseudo-index: the matched case's referral date (registered, alive and measured on it)",
            Pool::Declined => "own referral date (so the run-up to referral lines up with the case's)",
        })),
]);
}

/// The table's declaration.
pub const HEALTH_BALANCE: TableDef = TableDef {
    name: "health_balance",
    description: "One characteristic compared between cases and a pool, before or after matching",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text("pool", "Comparison pool"),
        text("variable", "Characteristic compared"),
        text(
            "stage",
            "before_matching (cases against the whole pool) or after_matching (matched cases against their comparators, each weighted 1/k of its set)",
        ),
        statistic("case_mean", &[], "Mean among cases"),
        statistic("comparator_mean", &[], "Mean among comparators"),
        statistic(
            "smd",
            &[],
            "Standardised mean difference (difference over the pooled SD)",
        ),
        int_label("balanced", "1 when |SMD| < 0.1"),
    ],
    sums: Sums::NONE,
};

/// Characteristics compared for balance.
const BALANCE_VARIABLES: [&str; 8] = [
    "age_years",
    "female",
    "imd_quintile",
    "gp_appointment_rate_matching_window",
    "gp_appointment_rate_before",
    "ae_attendance_rate_before",
    "emergency_admission_rate_before",
    "outpatient_rate_before",
];

/// The first four balance characteristics are matched on (exactly, or through
/// the band of the matching-window rate); the rest describe use in the
/// comparison's before window, which matching leaves free.
pub const MATCHED_VARIABLES: usize = 4;

/// What the balance characteristics need of one day, worked out once for
/// the many people measured on it (a pool on the period's first day, a
/// case's comparators on the case's).
#[derive(Debug, Clone, Copy)]
struct OnDay {
    day: i32,
    packed: Ymd,
    /// The comparison's before window.
    before: Span,
    /// The matching window.
    matching: Span,
}

/// How the balance characteristics are measured.
struct Measuring<'a> {
    cohort: &'a Cohort,
    rules: &'a MatchRules,
    before_window: Windows,
    /// The interned code of "female".
    female: Option<u32>,
    /// The last day measured on.
    last: Option<OnDay>,
}

impl Measuring<'_> {
    /// The balance characteristics of person `p` on `day` (NaN where unknown).
    fn characteristics(&mut self, p: usize, day: i32) -> [f64; 8] {
        let on = match self.last {
            Some(on) if on.day == day => on,
            _ => *self.last.insert(OnDay {
                day,
                packed: Ymd::of(day),
                before: before(day, self.before_window.months, self.before_window.gap_days),
                matching: self.rules.window(day),
            }),
        };
        let (cohort, people) = (self.cohort, &self.cohort.people);
        let rates = rates_in(cohort, p, on.before, self.before_window.min_coverage);
        let rate = |s: usize| rates.map_or(f64::NAN, |r| r[s]);
        [
            people.age_on(p, on.packed).unwrap_or(f64::NAN),
            if Some(people.sex[p]) == self.female {
                1.0
            } else {
                0.0
            },
            match people.imd_quintile[p] {
                0 => f64::NAN,
                q => f64::from(q),
            },
            rate_in(cohort, p, 0, on.matching, self.rules.min_coverage).unwrap_or(f64::NAN),
            rate(0),
            rate(1),
            rate(2),
            rate(3),
        ]
    }
}

/// Weighted values of each characteristic (NaNs left out).
#[derive(Default)]
struct Sample {
    values: [Vec<f64>; 8],
    weights: [Vec<f64>; 8],
}

impl Sample {
    fn add(&mut self, x: [f64; 8], w: f64) {
        for (v, x) in x.iter().enumerate() {
            if !x.is_nan() {
                self.values[v].push(*x);
                self.weights[v].push(w);
            }
        }
    }
}

/// Rows of `health_balance` for one pool; returns the characteristics still
/// differing by |SMD| ≥ 0.1 after matching.
pub fn balance_rows(
    table: &mut TableBuilder,
    matched: &Matched,
    rules: &MatchRules,
    before_window: Windows,
) {
    let Matched {
        period,
        pool,
        cohort,
        cases,
        matching: m,
    } = *matched;
    let mut measuring = Measuring {
        cohort,
        rules,
        before_window,
        female: cohort.people.sex_code("female"),
        last: None,
    };
    let mut characteristics = |p, day| measuring.characteristics(p, day);
    let (mut all_cases, mut whole_pool) = (Sample::default(), Sample::default());
    for c in cases {
        all_cases.add(characteristics(c.person, c.date), 1.0);
    }
    match pool {
        Pool::NeverReferred => {
            let day = crate::days::date32(period.start);
            for p in 0..cohort.people.ids.len() {
                if !cohort.people.ever_referred[p] && present_on(cohort.people.presence[p], day) {
                    whole_pool.add(characteristics(p, day), 1.0);
                }
            }
        }
        Pool::Declined => {
            for d in &cohort.declined {
                whole_pool.add(characteristics(d.person, d.date), 1.0);
            }
        }
    }
    let (mut matched_cases, mut comparators) = (Sample::default(), Sample::default());
    for set in &m.sets {
        let case = &cases[set.case];
        matched_cases.add(characteristics(case.person, case.date), 1.0);
        let w = 1.0 / set.comparators.len() as f64;
        for c in &set.comparators {
            comparators.add(characteristics(c.person, c.date), w);
        }
    }
    for (stage, a, b) in [
        ("before_matching", &all_cases, &whole_pool),
        ("after_matching", &matched_cases, &comparators),
    ] {
        for (v, name) in BALANCE_VARIABLES.iter().enumerate() {
            let weighted_mean = |s: &Sample| {
                let sw: f64 = s.weights[v].iter().sum();
                s.values[v]
                    .iter()
                    .zip(&s.weights[v])
                    .map(|(x, w)| x * w)
                    .sum::<f64>()
                    / sw
            };
            let smd = weighted_standardised_mean_difference(
                &a.values[v],
                &a.weights[v],
                &b.values[v],
                &b.weights[v],
            );
            table.push_named(&[
                ("period", text_value(&period.label)),
                ("pool", text_value(pool.label())),
                ("variable", text_value(*name)),
                ("stage", text_value(stage)),
                ("case_mean", num_value(weighted_mean(a))),
                ("comparator_mean", num_value(weighted_mean(b))),
                ("smd", num_value(smd)),
                ("balanced", int_value(i64::from(smd.abs() < 0.1))),
            ]);
        }
    }
}

/// The table's declaration.
pub const HEALTH_DIFFERENCE_IN_DIFFERENCES: TableDef = TableDef {
    name: "health_difference_in_differences",
    description: "Change in service use of the referred against matched comparators, one pool, window and setting",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text("pool", "Comparison pool"),
        int_label(
            "window_months",
            "Length of the before and after windows in months",
        ),
        int_label(
            "washout_days",
            "Days just before the index left out of the before window (the run-up to referral)",
        ),
        int_label(
            "after_washout_days",
            "Days just after the index left out of the after window (the run-down after referral; 0: none)",
        ),
        text("setting", "Service setting code, or total_cost"),
        text("setting_label", "Service setting"),
        count(
            "sets",
            "Matched sets with the case and at least one comparator measured in both windows",
        ),
        statistic(
            "case_before_rate",
            &["sets"],
            "Cases' mean rate before (events per person-year)",
        ),
        statistic("case_after_rate", &["sets"], "Cases' mean rate after"),
        statistic("case_change", &["sets"], "Cases' mean change"),
        statistic(
            "comparator_before_rate",
            &["sets"],
            "Comparators' mean rate before (each weighted 1/k of its set)",
        ),
        statistic(
            "comparator_after_rate",
            &["sets"],
            "Comparators' mean rate after",
        ),
        statistic("comparator_change", &["sets"], "Comparators' mean change"),
        statistic(
            "naive_change",
            &["sets"],
            "The naive before/after change of all measured referred people (health_before_after)",
        ),
        statistic(
            "did",
            &["sets"],
            "Difference-in-differences: cases' change minus comparators' change (events per person-year; negative = fewer events than comparators)",
        ),
        statistic(
            "did_lower",
            &["sets"],
            "Lower 95% limit (percentile bootstrap over matched sets)",
        ),
        statistic(
            "did_upper",
            &["sets"],
            "Upper 95% limit (percentile bootstrap over matched sets)",
        ),
        statistic(
            "largest_pre_departure",
            &["sets"],
            "Largest departure from parallel trends seen before referral: the largest |versus_reference| of health_event_study over the quarters before the washout",
        ),
        statistic(
            "sensitivity_lower_05",
            &["sets"],
            "Lower limit if the departure after referral may be up to 0.5 × the largest before it: did_lower − 0.5 × largest_pre_departure (relative magnitudes, Rambachan and Roth 2023)",
        ),
        statistic(
            "sensitivity_upper_05",
            &["sets"],
            "Upper limit at 0.5 ×: did_upper + 0.5 × largest_pre_departure",
        ),
        statistic("sensitivity_lower_1", &["sets"], "Lower limit at 1 ×"),
        statistic("sensitivity_upper_1", &["sets"], "Upper limit at 1 ×"),
        statistic("sensitivity_lower_2", &["sets"], "Lower limit at 2 ×"),
        statistic("sensitivity_upper_2", &["sets"], "Upper limit at 2 ×"),
        statistic(
            "breakdown_m_bar",
            &["sets"],
            "The multiple of the largest pre-referral departure at which the interval first includes zero (0: it already does): the conclusion holds unless the trend after referral could depart by more than this",
        ),
        text(
            "designs_agree",
            "Whether the never-referred and declined designs' estimates agree within their intervals (z test of their difference at 5%): yes, no, or not compared (a pool with fewer than 30 matched sets)",
        ),
        text(
            "robust",
            "yes: the designs agree, closely enough to have seen a bias as large as the estimate, and the run-up to referral ends within the event study's reach; no: a check failed (robust_basis says which); unchecked: the designs could not be compared, or too loosely",
        ),
        text(
            "robust_basis",
            "Why the estimate is or is not called robust",
        ),
        statistic(
            "se",
            &["sets"],
            "Cluster-robust standard error (matched set as cluster)",
        ),
        statistic(
            "cluster_lower",
            &["sets"],
            "Lower 95% limit from the cluster-robust standard error (t interval)",
        ),
        statistic(
            "cluster_upper",
            &["sets"],
            "Upper 95% limit from the cluster-robust standard error",
        ),
        int_label("bootstrap_reps", "Bootstrap resamples"),
        int_label("seed", "Bootstrap seed"),
    ],
    sums: Sums::NONE,
};

/// Settings for the estimates.
#[derive(Debug, Clone, Copy)]
pub struct Estimation<'a> {
    /// The before/after windows of the comparison (with the washout as gap).
    pub windows: Windows,
    /// Bootstrap resamples.
    pub reps: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Unit costs, for the costed total.
    pub costs: Option<&'a UnitCosts>,
    /// Per setting, the largest departure from parallel trends before the
    /// washout ([`event_study_rows`]), for the sensitivity bounds.
    pub pre_departure: [f64; SETTINGS],
}

/// The multiples M̄ of the largest pre-referral departure the sensitivity
/// bounds of the difference-in-differences are given at (0 is its interval).
pub const SENSITIVITY_M_BAR: [f64; 3] = [0.5, 1.0, 2.0];

/// Measured set members: the case's use and those of its measured comparators.
fn measured_sets(
    cohort: &Cohort,
    cases: &[Index],
    m: &Matching,
    windows: Windows,
) -> Vec<(Use, Vec<Use>)> {
    m.sets
        .iter()
        .filter_map(|set| {
            let case = &cases[set.case];
            let mut around = None;
            let case_day = windows.around_reusing(&mut around, case.date);
            let case_use = measure_around(cohort, case.person, case_day, windows).ok()?;
            let comparators: Vec<Use> = set
                .comparators
                .iter()
                .filter_map(|c: &Comparator| {
                    let day = windows.around_reusing(&mut around, c.date);
                    measure_around(cohort, c.person, day, windows).ok()
                })
                .collect();
            (!comparators.is_empty()).then_some((case_use, comparators))
        })
        .collect()
}

/// One pool's difference-in-differences for one window, before it is written.
#[derive(Debug, Clone)]
pub struct Estimated {
    /// Per setting, the means over sets of [case before, case after,
    /// comparator before, comparator after] (comparators weighted 1/k).
    pub means: [[f64; 4]; SETTINGS],
    /// One estimate per setting, then the costed total when unit costs are given.
    pub estimates: Vec<Did>,
}

/// The difference-in-differences of one pool and window.
pub fn estimate(matched: &Matched, estimation: Estimation) -> Estimated {
    let Matched {
        cohort,
        cases,
        matching: m,
        ..
    } = *matched;
    let sets = measured_sets(cohort, cases, m, estimation.windows);
    let outcomes = SETTINGS + usize::from(estimation.costs.is_some());
    let mut contrasts = Vec::with_capacity(sets.len() * outcomes);
    let mut means = [[0.0f64; 4]; SETTINGS];
    for (case, comparators) in &sets {
        let w = 1.0 / comparators.len() as f64;
        let mut row = [0.0; SETTINGS];
        for (s, r) in row.iter_mut().enumerate() {
            let changes: Vec<f64> = comparators.iter().map(|u| u.change(s)).collect();
            *r = set_contrast(case.change(s), &changes);
            means[s][0] += case.before_rate(s);
            means[s][1] += case.after_rate(s);
            means[s][2] += w * comparators.iter().map(|u| u.before_rate(s)).sum::<f64>();
            means[s][3] += w * comparators.iter().map(|u| u.after_rate(s)).sum::<f64>();
        }
        contrasts.extend_from_slice(&row);
        if let Some(costs) = estimation.costs {
            contrasts.push(
                row.iter()
                    .zip(costs.costs)
                    .map(|(c, unit)| unit.map_or(0.0, |u| u * c))
                    .sum(),
            );
        }
    }
    let n = sets.len() as f64;
    Estimated {
        means: means.map(|m| m.map(|x| x / n)),
        estimates: did_estimates(&contrasts, outcomes, estimation.reps, estimation.seed),
    }
}

/// Rows of `health_difference_in_differences` (and `health_costs`) for one
/// pool and window, with each setting's robustness verdict.
pub fn did_rows(
    table: &mut TableBuilder,
    costs_table: &mut TableBuilder,
    matched: &Matched,
    estimation: Estimation,
    naive: &[f64; SETTINGS],
    (estimated, verdicts): (&Estimated, &[Verdict]),
) {
    let Matched { period, pool, .. } = *matched;
    let estimates = &estimated.estimates;
    for s in 0..SETTINGS {
        let [cb, ca, pb, pa] = estimated.means[s];
        let verdict = &verdicts[s];
        let e = &estimates[s];
        let (d, interval) = (
            estimation.pre_departure[s],
            (e.bootstrap_lower, e.bootstrap_upper),
        );
        let widened = SENSITIVITY_M_BAR.map(|m| relative_magnitude_bounds(interval, d, m));
        let finite = |x: f64| opt_num(x.is_finite().then_some(x));
        table.push_named(&[
            ("period", text_value(&period.label)),
            ("pool", text_value(pool.label())),
            ("window_months", int_value(estimation.windows.months)),
            ("washout_days", int_value(estimation.windows.gap_days)),
            (
                "after_washout_days",
                int_value(estimation.windows.after_gap_days),
            ),
            ("setting", text_value(setting_code(s))),
            ("setting_label", text_value(setting_label(s))),
            ("sets", int_value(e.sets)),
            ("case_before_rate", num_value(cb)),
            ("case_after_rate", num_value(ca)),
            ("case_change", num_value(ca - cb)),
            ("comparator_before_rate", num_value(pb)),
            ("comparator_after_rate", num_value(pa)),
            ("comparator_change", num_value(pa - pb)),
            ("naive_change", num_value(naive[s])),
            ("did", num_value(e.estimate)),
            ("did_lower", num_value(e.bootstrap_lower)),
            ("did_upper", num_value(e.bootstrap_upper)),
            ("largest_pre_departure", finite(d)),
            ("sensitivity_lower_05", finite(widened[0].0)),
            ("sensitivity_upper_05", finite(widened[0].1)),
            ("sensitivity_lower_1", finite(widened[1].0)),
            ("sensitivity_upper_1", finite(widened[1].1)),
            ("sensitivity_lower_2", finite(widened[2].0)),
            ("sensitivity_upper_2", finite(widened[2].1)),
            ("breakdown_m_bar", finite(breakdown_m_bar(interval, d))),
            ("designs_agree", text_value(verdict.designs_agree)),
            ("robust", text_value(verdict.robust)),
            ("robust_basis", text_value(&verdict.basis)),
            ("se", num_value(e.se)),
            ("cluster_lower", num_value(e.cluster_lower)),
            ("cluster_upper", num_value(e.cluster_upper)),
            ("bootstrap_reps", int_value(estimation.reps)),
            ("seed", int_value(estimation.seed as i64)),
        ]);
    }
    if let Some(costs) = estimation.costs {
        for s in 0..=SETTINGS {
            let (code, unit, e) = if s < SETTINGS {
                let Some(unit) = costs.costs[s] else { continue };
                let e = estimates[s];
                let scale = |x: f64| x * unit;
                (
                    setting_code(s),
                    Some(unit),
                    Did {
                        estimate: scale(e.estimate),
                        bootstrap_lower: scale(e.bootstrap_lower).min(scale(e.bootstrap_upper)),
                        bootstrap_upper: scale(e.bootstrap_upper).max(scale(e.bootstrap_lower)),
                        ..e
                    },
                )
            } else {
                ("total_cost", None, estimates[SETTINGS])
            };
            let events = if s < SETTINGS {
                estimates[s].estimate
            } else {
                f64::NAN
            };
            costs_table.push_named(&[
                ("period", text_value(&period.label)),
                ("pool", text_value(pool.label())),
                ("window_months", int_value(estimation.windows.months)),
                ("setting", text_value(code)),
                (
                    "unit_cost",
                    unit.map_or(crate::batch::Value::Null, num_value),
                ),
                ("cost_source", text_value(&costs.source)),
                ("price_year", text_value(&costs.price_year)),
                ("events_did", num_value(events)),
                ("sets", int_value(e.sets)),
                ("cost_did", num_value(e.estimate)),
                ("cost_lower", num_value(e.bootstrap_lower)),
                ("cost_upper", num_value(e.bootstrap_upper)),
            ]);
        }
    }
}

/// The table's declaration.
pub const HEALTH_COSTS: TableDef = TableDef {
    name: "health_costs",
    description: "Difference-in-differences in cost per person-year, one pool, window and setting",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text("pool", "Comparison pool"),
        int_label(
            "window_months",
            "Length of the before and after windows in months",
        ),
        text(
            "setting",
            "Service setting code, or total_cost (the sum over costed settings)",
        ),
        num_label("unit_cost", "Cost per event (from the unit-cost file)"),
        text("cost_source", "Where the unit costs come from"),
        text("price_year", "Year of the prices"),
        statistic(
            "events_did",
            &["sets"],
            "Difference-in-differences in events per person-year",
        ),
        count("sets", "Matched sets used"),
        statistic(
            "cost_did",
            &["sets"],
            "Difference in cost per person-year (events_did × unit_cost; negative = lower cost than comparators)",
        ),
        statistic(
            "cost_lower",
            &["sets"],
            "Lower 95% limit (percentile bootstrap over matched sets)",
        ),
        statistic("cost_upper", &["sets"], "Upper 95% limit"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const HEALTH_EVENT_STUDY: TableDef = TableDef {
    name: "health_event_study",
    description: "Case and comparator rates in one quarter around referral, one pool and setting",
    queries: super::cohort::HEALTH_QUERIES,
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text("pool", "Comparison pool"),
        text("setting", "Service setting code"),
        int_label(
            "quarter",
            "Quarter relative to the index: -4 to -1 before (−1 ends the day before), 0 to 4 after (0 starts the day after)",
        ),
        count(
            "sets",
            "Matched sets with the case and a comparator observed for at least the minimum share of the quarter",
        ),
        statistic(
            "case_rate",
            &["sets"],
            "Cases' mean rate in the quarter (events per person-year)",
        ),
        statistic(
            "comparator_rate",
            &["sets"],
            "Comparators' mean rate in the quarter (each weighted 1/k of its set)",
        ),
        statistic(
            "difference",
            &["sets"],
            "Mean of case minus comparator rates",
        ),
        statistic(
            "versus_reference",
            &["sets"],
            "Difference relative to quarter -4 (the reference); before the index it shows pre-trends",
        ),
        statistic(
            "lower",
            &["sets"],
            "Lower 95% limit of versus_reference (cluster-robust t interval over matched sets)",
        ),
        statistic("upper", &["sets"], "Upper 95% limit of versus_reference"),
    ],
    sums: Sums::NONE,
};

/// Quarters of the event study, relative to the index.
pub const QUARTERS: std::ops::RangeInclusive<i32> = -4..=4;

/// Whether quarter `q` before the index ends before a washout of
/// `washout_days` ([`super::washout::ends_before`]: quarter q < 0 ends
/// −3(q + 1) months before the index).
pub fn before_washout(q: i32, washout_days: i32) -> bool {
    q < 0 && super::washout::ends_before(-3 * (q + 1), washout_days)
}

/// Rows of `health_event_study` for one pool (a quarter before the index whose
/// interval excludes the reference is a pre-trend: [`crate::render::cautions`]).
/// Returns, per setting, the largest departure from parallel trends seen
/// before the washout: the largest |versus_reference| over the quarters
/// after the reference that end before the washout (NaN when there is none),
/// for the sensitivity bounds of the difference-in-differences.
pub fn event_study_rows(
    table: &mut TableBuilder,
    matched: &Matched,
    min_coverage: f64,
    washout_days: i32,
) -> [f64; SETTINGS] {
    let mut largest = [f64::NAN; SETTINGS];
    let Matched {
        period,
        pool,
        cohort,
        cases,
        matching: m,
    } = *matched;
    // Per set and quarter: every setting's case rate and mean comparator rate
    // (observation does not depend on the setting, so it is worked out once).
    type Quarter = Option<([f64; SETTINGS], [f64; SETTINGS])>;
    let by_set: Vec<Vec<Quarter>> = m
        .sets
        .iter()
        .map(|set| {
            let case = &cases[set.case];
            QUARTERS
                .map(|q| {
                    let on = shared_with_case(case.date, |day| quarter(day, q));
                    let case_rates = rates_in(cohort, case.person, on(case.date), min_coverage)?;
                    let rates: Vec<[f64; SETTINGS]> = set
                        .comparators
                        .iter()
                        .filter_map(|c| rates_in(cohort, c.person, on(c.date), min_coverage))
                        .collect();
                    (!rates.is_empty()).then(|| {
                        let mean = std::array::from_fn(|s| {
                            rates.iter().map(|r| r[s]).sum::<f64>() / rates.len() as f64
                        });
                        (case_rates, mean)
                    })
                })
                .collect()
        })
        .collect();
    for s in 0..SETTINGS {
        // Per set: the case and comparator rates of this setting in each quarter.
        let differences: Vec<Vec<Option<(f64, f64)>>> = by_set
            .iter()
            .map(|quarters| {
                quarters
                    .iter()
                    .map(|d| d.map(|(c, k)| (c[s], k[s])))
                    .collect()
            })
            .collect();
        for (i, q) in QUARTERS.enumerate() {
            let here: Vec<(f64, f64)> = differences.iter().filter_map(|d| d[i]).collect();
            let relative: Vec<f64> = differences
                .iter()
                .filter_map(|d| Some((d[i]?.0 - d[i]?.1) - (d[0]?.0 - d[0]?.1)))
                .collect();
            let ci = mean_ci(&relative);
            if q > *QUARTERS.start() && before_washout(q, washout_days) && ci.mean.is_finite() {
                largest[s] = largest[s].max(ci.mean.abs());
            }
            let mean = |f: &dyn Fn(&(f64, f64)) -> f64| {
                mean_ci(&here.iter().map(f).collect::<Vec<_>>()).mean
            };
            table.push_named(&[
                ("period", text_value(&period.label)),
                ("pool", text_value(pool.label())),
                ("setting", text_value(setting_code(s))),
                ("quarter", int_value(q)),
                ("sets", int_value(here.len())),
                ("case_rate", num_value(mean(&|d| d.0))),
                ("comparator_rate", num_value(mean(&|d| d.1))),
                ("difference", num_value(mean(&|d| d.0 - d.1))),
                ("versus_reference", num_value(ci.mean)),
                ("lower", num_value(ci.lower)),
                ("upper", num_value(ci.upper)),
            ]);
        }
    }
    largest
}
