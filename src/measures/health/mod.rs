//! Impact on the health and care system: GP, A&E, admission and outpatient use
//! before and after referral, and what survives a comparison cohort.
//!
//! People are referred at a peak of need, so a naive fall in service use after
//! referral is largely regression to the mean. sprout reports the naive figure
//! and, beside it, a difference-in-differences against matched comparators:
//!
//! - [`cohort`]: people, events and index referrals read from the warehouse;
//! - [`window`]: windows around the index date and the person-time observed;
//! - [`usage`]: one person's events and rates in a pair of windows;
//! - [`before_after`]: the naive before/after and its baseline-use bands;
//! - [`matching`]: exact k:1 matching from the never-referred and declined pools;
//! - [`washout`]: the washout before referral, chosen from a monthly event study;
//! - [`run_down`]: the washout after referral, the same way;
//! - [`comparison`]: balance, difference-in-differences, event study, costs;
//! - [`robustness`]: whether each estimate survives the checks the data allow;
//! - [`costs`]: the unit-cost file.

pub mod before_after;
pub mod cohort;
pub mod comparison;
pub mod costs;
pub mod matching;
pub mod robustness;
pub mod run_down;
pub mod usage;
pub mod washout;
pub mod window;

use datafusion::prelude::SessionContext;

use crate::error::Result;
use crate::measures::period::Period;
use crate::measures::table::{OutTable, TableBuilder};
use cohort::{Cohort, setting_label};
use comparison::Estimation;
use costs::UnitCosts;
use matching::{MatchOn, MatchRules, MatchUnit, Pool};
use usage::{PartialBefore, Windows};

/// How to compute the health-and-care-system measures.
#[derive(Debug, Clone)]
pub struct HealthOptions {
    /// Window lengths in months (each gives a before and an after window).
    pub windows_months: Vec<i32>,
    /// People whose before window is only partly observed.
    pub partial_before: PartialBefore,
    /// A window observed for less than this share of its length is not used.
    pub min_coverage: f64,
    /// Comparators per case.
    pub k: usize,
    /// Practice or PCN, matched exactly.
    pub unit: MatchUnit,
    /// What comparators are matched on besides (band or trajectory).
    pub match_on: MatchOn,
    /// Days before the index left out of the comparison's before window,
    /// or `auto` (chosen from the data, [`washout`]).
    pub washout_days: washout::Setting,
    /// Days after the index left out of the comparison's after window, or
    /// `auto` (chosen from the data, [`run_down`]).
    pub after_washout_days: washout::Setting,
    /// Bootstrap resamples for the difference-in-differences.
    pub bootstrap: usize,
    /// Seed of the matching order and the bootstrap.
    pub seed: u64,
    /// Unit costs for the costed difference.
    pub unit_costs: Option<UnitCosts>,
}

impl Default for HealthOptions {
    fn default() -> Self {
        HealthOptions {
            windows_months: vec![6, 12],
            partial_before: PartialBefore::default(),
            min_coverage: 0.5,
            k: 1,
            unit: MatchUnit::default(),
            match_on: MatchOn::default(),
            washout_days: washout::Setting::default(),
            after_washout_days: washout::Setting::default(),
            bootstrap: 1000,
            seed: 1,
            unit_costs: None,
        }
    }
}

impl HealthOptions {
    /// The options with their limits checked (window lengths sorted and unique).
    pub fn checked(mut self) -> Result<HealthOptions> {
        use crate::error::Error;
        if self.windows_months.is_empty()
            || self.windows_months.iter().any(|&m| !(1..=60).contains(&m))
        {
            return Err(Error::Usage(
                "health windows (--health-windows, or windows in a spec's [health]) take months from 1 to 60, e.g. 6,12".to_string(),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_coverage) {
            return Err(Error::Usage(format!(
                "the minimum window coverage (--min-window-coverage, min_window_coverage) is a share from 0 to 1, not {}",
                self.min_coverage
            )));
        }
        if self.k == 0 || matches!(self.washout_days, washout::Setting::Days(w) if w < 28) {
            return Err(Error::Usage(
                "comparators (--comparators) must be at least 1, and the washout (--washout-days) at least 28 days: its GP use is what comparators are matched on".to_string(),
            ));
        }
        if matches!(self.after_washout_days, washout::Setting::Days(w) if !(0..=365).contains(&w)) {
            return Err(Error::Usage(
                "the washout after referral (--after-washout-days, after_washout_days) takes 0 to 365 days, or auto".to_string(),
            ));
        }
        self.windows_months.sort_unstable();
        self.windows_months.dedup();
        Ok(self)
    }
}

/// Below this many matched sets the comparison is warned about.
pub const WARN_FEW_SETS: usize = 30;

/// The naive and the comparison-cohort change of one setting, side by side.
#[derive(Debug, Clone)]
pub struct Headline {
    /// Setting label.
    pub setting: &'static str,
    /// Window length in months.
    pub months: i32,
    /// Referred people measured, naive mean change and its 95% limits.
    pub naive: (usize, f64, f64, f64),
    /// One per pool.
    pub comparisons: Vec<Comparison>,
}

/// One pool's difference-in-differences in a [`Headline`].
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Pool label.
    pub pool: &'static str,
    /// Matched sets.
    pub sets: usize,
    /// Difference-in-differences.
    pub estimate: f64,
    /// Its bootstrap 95% limits.
    pub limits: (f64, f64),
    /// The robustness verdict ([`robustness::Verdict::robust`]).
    pub robust: &'static str,
}

/// The tables of the health measures (their cautions are written from the
/// tables as published: [`crate::render::cautions`]).
#[derive(Debug)]
pub struct HealthResult {
    /// Output tables.
    pub tables: Vec<OutTable>,
    /// The longest window's naive and comparison estimates, one per setting.
    pub headlines: Vec<Headline>,
    /// Each PCN's events in equal windows just before and after referral
    /// (the longest window at most), for the benchmarking funnels.
    pub after_before: Vec<before_after::AfterBefore>,
}

/// Read the warehouse and compute the health tables for `period`.
pub async fn health_system(
    ctx: &SessionContext,
    period: &Period,
    options: &HealthOptions,
) -> Result<HealthResult> {
    let cohort = cohort::load(ctx, period).await?;
    compute(&cohort, period, options)
}

/// One window's naive tables, built on a thread of its own.
struct WindowRows {
    cohort: TableBuilder,
    naive: TableBuilder,
    bands: TableBuilder,
    /// Each setting's naive summary.
    summaries: [before_after::Naive; cohort::SETTINGS],
    /// Referred people measured in both windows.
    measured: usize,
    /// Each PCN's events after against before (the longest window only).
    after_before: Vec<before_after::AfterBefore>,
}

/// One pool's comparison tables and its estimates for every window.
struct PoolRows<'a> {
    matching: TableBuilder,
    balance: TableBuilder,
    events: TableBuilder,
    by_window: Vec<(Estimation<'a>, comparison::Estimated)>,
}

/// Match `cases` in every pool, one thread each (in [`Pool::ALL`]'s order).
fn match_pools(
    cohort: &Cohort,
    cases: &[cohort::Index],
    rules: &MatchRules,
) -> Vec<(Pool, matching::Matching)> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = Pool::ALL
            .iter()
            .map(|&pool| {
                scope.spawn(move || (pool, matching::match_pool(cohort, cases, pool, rules)))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("matching does not panic"))
            .collect()
    })
}

/// Compute every health table from a loaded cohort.
pub fn compute(cohort: &Cohort, period: &Period, options: &HealthOptions) -> Result<HealthResult> {
    let mut cohort_table = TableBuilder::new(&before_after::HEALTH_COHORT);
    let mut naive_table = TableBuilder::new(&before_after::HEALTH_BEFORE_AFTER);
    let mut bands_table = TableBuilder::new(&before_after::HEALTH_BASELINE_BANDS);
    let mut matching_table = TableBuilder::new(&comparison::HEALTH_MATCHING);
    let mut balance_table = TableBuilder::new(&comparison::HEALTH_BALANCE);
    let mut did_table = TableBuilder::new(&comparison::HEALTH_DIFFERENCE_IN_DIFFERENCES);
    let mut event_table = TableBuilder::new(&comparison::HEALTH_EVENT_STUDY);
    let mut cost_table = TableBuilder::new(&comparison::HEALTH_COSTS);
    let cases = &cohort.accepted;
    let naive_windows = |months| Windows {
        months,
        gap_days: 0,
        after_gap_days: 0,
        min_coverage: options.min_coverage,
        partial_before: options.partial_before,
    };
    let longest = options.windows_months.iter().copied().max().unwrap_or(12);
    let rules_for = |window_days| MatchRules {
        on: options.match_on,
        k: options.k.max(1),
        unit: options.unit,
        window_days,
        min_coverage: options.min_coverage,
        seed: options.seed,
    };
    // Matched on the washout given, or on the shortest one; a washout chosen
    // from the data is read off the never-referred sets, and the pools are
    // matched again on it when it is longer.
    let first = rules_for(match options.washout_days {
        washout::Setting::Days(days) => days,
        washout::Setting::Auto => washout::FLOOR_DAYS,
    });
    let mut matchings = match_pools(cohort, cases, &first);
    let never = matchings
        .iter()
        .find(|(pool, _)| *pool == Pool::NeverReferred)
        .map(|(_, m)| m)
        .expect("every pool is matched");
    // The monthly departures before and after the index, side by side.
    let (departures, after_departures) = std::thread::scope(|scope| {
        let side = |side| {
            scope.spawn(move || {
                washout::departures(cohort, cases, never, options.min_coverage, side)
            })
        };
        let (before, after) = (side(washout::Side::Before), side(washout::Side::After));
        (
            before.join().expect("the event study does not panic"),
            after.join().expect("the event study does not panic"),
        )
    });
    let after_washout = run_down::washout(options.after_washout_days, after_departures);
    let washout = washout::washout(options.washout_days, departures);
    let rules = rules_for(washout.days);
    if rules.window_days != first.window_days {
        matchings = match_pools(cohort, cases, &rules);
    }
    let mut washout_table = TableBuilder::new(&washout::HEALTH_WASHOUT);
    washout::rows(&mut washout_table, period, washout::Side::Before, &washout);
    washout::rows(
        &mut washout_table,
        period,
        washout::Side::After,
        &after_washout,
    );
    let comparison_windows = |months| Windows {
        gap_days: washout.days,
        after_gap_days: after_washout.days,
        ..naive_windows(months)
    };
    let matched_pools: Vec<comparison::Matched> = matchings
        .iter()
        .map(|(pool, m)| comparison::Matched {
            period,
            pool: *pool,
            cohort,
            cases,
            matching: m,
        })
        .collect();
    // Each window's naive tables, and each pool's comparison tables and
    // estimates (every window's on a thread of its own), all side by side;
    // their rows are put together in window and pool order.
    let window_rows = |months: i32| {
        let windows = naive_windows(months);
        let mut cohort_rows = TableBuilder::new(&before_after::HEALTH_COHORT);
        let mut naive_rows = TableBuilder::new(&before_after::HEALTH_BEFORE_AFTER);
        let mut band_rows = TableBuilder::new(&before_after::HEALTH_BASELINE_BANDS);
        let measured = before_after::measure_cases(cohort, cases, windows);
        before_after::cohort_row(
            &mut cohort_rows,
            period,
            windows,
            cohort,
            cases.len(),
            &measured,
        );
        let population = before_after::population_rates(cohort, period, months);
        let summaries = before_after::before_after_rows(
            &mut naive_rows,
            (period, cohort),
            &measured,
            &population,
        );
        let uses: Vec<usage::Use> = measured.people.iter().map(|(_, u)| *u).collect();
        before_after::band_rows(&mut band_rows, period, months, "referred", &uses);
        for (pool, m) in &matchings {
            let mut around = None;
            let comparators: Vec<usage::Use> = m
                .sets
                .iter()
                .flat_map(|s| &s.comparators)
                .filter_map(|c| {
                    let day = windows.around_reusing(&mut around, c.date);
                    usage::measure_around(cohort, c.person, day, windows).ok()
                })
                .collect();
            before_after::band_rows(&mut band_rows, period, months, pool.label(), &comparators);
        }
        WindowRows {
            cohort: cohort_rows,
            naive: naive_rows,
            bands: band_rows,
            summaries,
            measured: measured.people.len(),
            after_before: if months == longest {
                before_after::after_before_by_pcn(cohort, &measured)
            } else {
                Vec::new()
            },
        }
    };
    let pool_rows = |matched: &comparison::Matched| {
        let mut rows = PoolRows {
            matching: TableBuilder::new(&comparison::HEALTH_MATCHING),
            balance: TableBuilder::new(&comparison::HEALTH_BALANCE),
            events: TableBuilder::new(&comparison::HEALTH_EVENT_STUDY),
            by_window: Vec::new(),
        };
        comparison::matching_row(&mut rows.matching, matched, &rules);
        comparison::balance_rows(
            &mut rows.balance,
            matched,
            &rules,
            comparison_windows(longest),
        );
        let pre_departure = comparison::event_study_rows(
            &mut rows.events,
            matched,
            options.min_coverage,
            washout.days,
        );
        let estimation = |months| Estimation {
            windows: comparison_windows(months),
            reps: options.bootstrap,
            seed: options.seed,
            costs: options.unit_costs.as_ref(),
            pre_departure,
        };
        rows.by_window = std::thread::scope(|scope| {
            let threads: Vec<_> = options
                .windows_months
                .iter()
                .map(|&months| {
                    let e = estimation(months);
                    scope.spawn(move || (e, comparison::estimate(matched, e)))
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("estimation does not panic"))
                .collect()
        });
        rows
    };
    let (by_window, by_pool): (Vec<WindowRows>, Vec<PoolRows>) = std::thread::scope(|scope| {
        let windows: Vec<_> = options
            .windows_months
            .iter()
            .map(|&months| scope.spawn(move || window_rows(months)))
            .collect();
        let pools: Vec<_> = matched_pools
            .iter()
            .map(|matched| scope.spawn(|| pool_rows(matched)))
            .collect();
        (
            windows
                .into_iter()
                .map(|t| t.join().expect("the naive measures do not panic"))
                .collect(),
            pools
                .into_iter()
                .map(|t| t.join().expect("the comparison does not panic"))
                .collect(),
        )
    });
    let mut naive_changes = Vec::new();
    let mut headlines: Vec<Headline> = Vec::new();
    let mut after_before = Vec::new();
    for (&months, rows) in options.windows_months.iter().zip(by_window) {
        cohort_table.append(rows.cohort)?;
        naive_table.append(rows.naive)?;
        bands_table.append(rows.bands)?;
        let naive = rows.summaries;
        if months == longest {
            after_before = rows.after_before;
            // Nobody measured (no events, no referrals): the tables say so; no headline.
            if rows.measured > 0 {
                headlines = (0..naive.len())
                    .map(|s| Headline {
                        setting: setting_label(s),
                        months,
                        naive: (
                            rows.measured,
                            naive[s].mean_change,
                            naive[s].limits.0,
                            naive[s].limits.1,
                        ),
                        comparisons: Vec::new(),
                    })
                    .collect();
            }
        }
        naive_changes.push((months, naive.map(|n| n.mean_change)));
    }
    let mut estimated = Vec::new();
    for rows in by_pool {
        matching_table.append(rows.matching)?;
        balance_table.append(rows.balance)?;
        event_table.append(rows.events)?;
        estimated.push(rows.by_window);
    }
    for (p, matched) in matched_pools.iter().enumerate() {
        for (w, (months, naive)) in naive_changes.iter().enumerate() {
            let (estimation, own) = &estimated[p][w];
            let other = estimated
                .iter()
                .enumerate()
                .find(|(q, _)| *q != p)
                .map(|(_, by_window)| &by_window[w].1);
            let verdicts: Vec<robustness::Verdict> = (0..cohort::SETTINGS)
                .map(|s| {
                    robustness::judge(
                        matched.pool,
                        &own.estimates[s],
                        other.map(|o| &o.estimates[s]),
                        robustness::Reach {
                            run_up: washout.beyond_reach,
                            run_down: after_washout.beyond_reach,
                        },
                    )
                })
                .collect();
            comparison::did_rows(
                &mut did_table,
                &mut cost_table,
                matched,
                *estimation,
                naive,
                (own, &verdicts),
            );
            if *months == longest {
                for ((h, e), v) in headlines.iter_mut().zip(&own.estimates).zip(&verdicts) {
                    h.comparisons.push(Comparison {
                        pool: matched.pool.label(),
                        sets: e.sets,
                        estimate: e.estimate,
                        limits: (e.bootstrap_lower, e.bootstrap_upper),
                        robust: v.robust,
                    });
                }
            }
        }
    }
    let mut tables = vec![
        washout_table.finish()?,
        cohort_table.finish()?,
        naive_table.finish()?,
        bands_table.finish()?,
        matching_table.finish()?,
        balance_table.finish()?,
        did_table.finish()?,
        event_table.finish()?,
    ];
    if options.unit_costs.is_some() {
        tables.push(cost_table.finish()?);
    }
    Ok(HealthResult {
        tables,
        headlines,
        after_before,
    })
}
