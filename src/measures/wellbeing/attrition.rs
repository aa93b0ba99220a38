//! Attrition: did the people followed up start differently, and what is the
//! change among everyone with a baseline once the change of those followed
//! up is weighted for who was followed up?
//!
//! Only about four in ten accepted referrals have a follow-up, and those who
//! do tend to start better off, so the complete-case change (the average of
//! those followed up) may not describe everyone supported. Beside it,
//! `wellbeing_attrition_bias` reports an inverse-probability-weighted change
//! (Seaman and White 2013):
//!
//! 1. Among the episodes with a baseline score, the chance of a follow-up
//!    score is modelled by logistic regression on the baseline score (and
//!    its centred square, so the chance may rise faster at one end), age
//!    band, sex, IMD quintile, referral source and needs
//!    ([`crate::stats::weighting::logistic`]). A level gets its own column
//!    when at least [`MIN_LEVEL_FOLLOWED`] people with it were followed up
//!    and as many were not; rarer levels are modelled with the most common
//!    level of their characteristic.
//! 2. Each person followed up is weighted by the share followed up over
//!    their modelled chance (stabilised weights), truncated at the
//!    [`WEIGHT_TRIM`] and 1 − [`WEIGHT_TRIM`] quantiles.
//! 3. The weighted mean change, with its robust (sandwich) 95% interval and
//!    the effective sample size ([`crate::stats::weighting::weighted_mean`]).
//!
//! Weighting removes bias from missing follow-ups only where they depend on
//! what the model sees (missing at random); it cannot remove bias from
//! follow-ups missed because people did not improve. For that, the table
//! gives the tipping points ([`crate::stats::sensitivity::tipping_delta`]):
//! how much less people without a follow-up would have to have changed for
//! the average change among everyone, or its interval, to reach zero. `wellbeing_weight_balance`
//! shows, for each characteristic modelled, how far the people followed up
//! were from everyone with a baseline before and after weighting.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::FixedState;

use super::{EpisodeRow, PairingRules, WELLBEING_PAIRS_SQL, scores};
use crate::error::Result;
use crate::measures::period::OutcomeCohort;
use crate::measures::table::{
    OutColumn, OutTable, Sums, TableBuilder, TableDef, count, int_value, num_label, num_value,
    opt_num, statistic, text, text_value,
};
use crate::scoring::Thresholds;
use crate::stats::effect::{
    standardised_difference, standardised_mean_difference, weight_sums, weighted_mean_var_of,
};
use crate::stats::sensitivity::tipping_delta;
use crate::stats::summary::{mean, mean_ci};
use crate::stats::weighting::{SparseRows, logistic_sparse, stabilised_weights, weighted_mean};

/// The characteristics, besides the baseline score, that the chance of a
/// follow-up is modelled on (`need` may take several values per episode).
pub const CHARACTERISTICS: [&str; 5] =
    ["age_band", "sex", "imd_quintile", "referral_source", "need"];

/// A level of a characteristic gets its own column in the model when at
/// least this many people with it were followed up and this many were not.
pub const MIN_LEVEL_FOLLOWED: usize = 5;

/// Weights are truncated at this quantile and at 1 − it (the 1st and 99th
/// percentiles).
pub const WEIGHT_TRIM: f64 = 0.01;

/// Weighting needs at least this many people followed up and this many not.
pub const MIN_TO_WEIGHT: (usize, usize) = (20, 10);

/// The outcome cohort column of both tables.
const COHORT: OutColumn = text(
    "cohort",
    "Outcome cohort: accepted referrals whose episode closed in the period (default) or that were received in it",
);

/// The table's declaration.
pub const WELLBEING_ATTRITION_BIAS: TableDef = TableDef {
    name: "wellbeing_attrition_bias",
    description: "Baseline scores of people with and without a follow-up, for one score, and the change weighted for who was followed up",
    queries: &[WELLBEING_PAIRS_SQL],
    columns: &[
        COHORT,
        text("score", "Score name"),
        count(
            "with_follow_up",
            "Episodes with a baseline score and a follow-up score (the pairs of wellbeing_change)",
        ),
        statistic(
            "mean_baseline_with_follow_up",
            &["with_follow_up"],
            "Their mean baseline score",
        ),
        count(
            "without_follow_up",
            "Episodes with a baseline score but no follow-up score",
        ),
        statistic(
            "mean_baseline_without_follow_up",
            &["without_follow_up"],
            "Their mean baseline score",
        ),
        statistic(
            "standardised_mean_difference",
            &["with_follow_up", "without_follow_up"],
            "(with − without) / pooled SD; beyond ±0.1 suggests attrition bias",
        ),
        statistic(
            "complete_case_change",
            &["with_follow_up"],
            "Mean change among those followed up (as wellbeing_change)",
        ),
        statistic(
            "complete_case_lower",
            &["with_follow_up"],
            "Lower 95% limit (t), when there are enough pairs for inference",
        ),
        statistic(
            "complete_case_upper",
            &["with_follow_up"],
            "Upper 95% limit",
        ),
        statistic(
            "weighted_change",
            &["with_follow_up", "without_follow_up"],
            "Mean change weighted for who was followed up (stabilised inverse-probability weights, truncated at the 1st and 99th percentiles): an estimate of the change among everyone with a baseline",
        ),
        statistic(
            "weighted_lower",
            &["with_follow_up", "without_follow_up"],
            "Lower 95% limit (robust sandwich standard error, normal)",
        ),
        statistic(
            "weighted_upper",
            &["with_follow_up", "without_follow_up"],
            "Upper 95% limit",
        ),
        statistic(
            "effective_share",
            &["with_follow_up", "without_follow_up"],
            "Effective sample size (Σw)² / Σw² as a share of those followed up: 1 when every weight is equal, lower the more the weights vary",
        ),
        statistic(
            "largest_weight",
            &["with_follow_up", "without_follow_up"],
            "Largest weight after truncation (weights average about 1)",
        ),
        statistic(
            "largest_imbalance_after",
            &["with_follow_up", "without_follow_up"],
            "Largest absolute standardised difference between the weighted people followed up and everyone with a baseline, over the characteristics modelled (wellbeing_weight_balance); below 0.1 is balanced",
        ),
        statistic(
            "tipping_delta",
            &["with_follow_up", "without_follow_up"],
            "Tipping point (to 1 decimal): how much less people without a follow-up would have to have changed than those with one for the average change among everyone with a baseline to be zero (|complete-case change| × everyone / those without)",
        ),
        statistic(
            "tipping_delta_interval",
            &["with_follow_up", "without_follow_up"],
            "The same for the 95% interval to reach zero (0: the complete-case interval already includes it); empty without enough pairs for inference",
        ),
        text(
            "weighting",
            "weighted; or why not: too few followed up or not followed up, or a model that could not be fitted",
        ),
        text(
            "estimates",
            "agree: the complete-case change lies within the weighted change's 95% interval; differ: it lies outside",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const WELLBEING_WEIGHT_BALANCE: TableDef = TableDef {
    name: "wellbeing_weight_balance",
    description: "For one score and one characteristic the chance of a follow-up was modelled on: how far the people followed up were from everyone with a baseline, before and after weighting",
    queries: &[WELLBEING_PAIRS_SQL],
    columns: &[
        COHORT,
        text("score", "Score name"),
        text(
            "characteristic",
            "baseline_score, or a characteristic and level (age_band: 25-34; need: loneliness)",
        ),
        num_label(
            "smd_before",
            "Standardised difference, people followed up against everyone with a baseline, unweighted (to 2 decimals)",
        ),
        num_label(
            "smd_after",
            "The same with the people followed up weighted (to 2 decimals); below 0.1 in absolute value is balanced",
        ),
    ],
    sums: Sums::NONE,
};

/// One episode with a baseline score, for one score.
struct Person<'a> {
    row: &'a EpisodeRow,
    baseline: f64,
    /// Follow-up minus baseline, when there is a follow-up score.
    change: Option<f64>,
}

/// The design of the follow-up model: its columns' names (the intercept
/// first) and one row per person.
struct Design {
    names: Vec<String>,
    rows: SparseRows,
}

/// The columns of the follow-up model: the intercept, the baseline score
/// and its square about the mean, and one indicator per level of each characteristic with at least
/// [`MIN_LEVEL_FOLLOWED`] people followed up and as many not (the most common
/// level, and rarer ones, are the reference; each need is present or not).
fn design(people: &[Person]) -> Design {
    let mut names = vec![
        "intercept".to_string(),
        "baseline_score".to_string(),
        "baseline_score_squared".to_string(),
    ];
    let centre = people.iter().map(|p| p.baseline).sum::<f64>() / people.len() as f64;
    // (people with the level, of them followed up) of each (characteristic, level).
    let mut counts: HashMap<(&str, &str), (usize, usize), FixedState> = HashMap::default();
    for p in people {
        for (characteristic, level) in &p.row.groups {
            let e = counts.entry((characteristic, level)).or_default();
            e.0 += 1;
            e.1 += usize::from(p.change.is_some());
        }
    }
    // Each kept level's column, found by (characteristic, level).
    let mut indicator: HashMap<(&str, &str), usize, FixedState> = HashMap::default();
    for characteristic in CHARACTERISTICS {
        let levels: BTreeMap<&str, (usize, usize)> = counts
            .iter()
            .filter(|((c, _), _)| *c == characteristic)
            .map(|(&(_, level), &n)| (level, n))
            .collect();
        let most_common = levels
            .iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(a.0)))
            .map(|(l, _)| *l);
        let several = characteristic == "need";
        for (level, (n, followed)) in &levels {
            let enough = *followed >= MIN_LEVEL_FOLLOWED && n - followed >= MIN_LEVEL_FOLLOWED;
            if !enough || (!several && Some(*level) == most_common) {
                continue;
            }
            indicator.insert((characteristic, level), names.len());
            names.push(format!("{characteristic}: {level}"));
        }
    }
    // One pass over each person's groups finds their indicators; a row
    // holds only its non-zero entries.
    let mut rows = SparseRows::new(names.len());
    let mut set = Vec::new();
    for p in people {
        set.clear();
        set.extend(
            p.row
                .groups
                .iter()
                .filter_map(|(b, l)| indicator.get(&(*b, &**l)).copied()),
        );
        set.sort_unstable();
        set.dedup();
        let first = [
            (0, 1.0),
            (1, p.baseline),
            (2, (p.baseline - centre).powi(2)),
        ];
        rows.push_row(first.into_iter().chain(set.iter().map(|&c| (c, 1.0))));
    }
    Design { names, rows }
}

/// The weighted change of one score, with its diagnostics.
struct Weighted {
    mean: f64,
    lower: f64,
    upper: f64,
    effective_share: f64,
    largest_weight: f64,
    /// (characteristic, SMD before, SMD after), the baseline score first.
    balance: Vec<(String, f64, f64)>,
}

/// Weight the change of those followed up for who was followed up; `Err`
/// says why not.
fn weighted_change(people: &[Person]) -> std::result::Result<Weighted, String> {
    let followed = people.iter().filter(|p| p.change.is_some()).count();
    let (min_followed, min_missing) = MIN_TO_WEIGHT;
    if followed < min_followed || people.len() - followed < min_missing {
        return Err(format!(
            "not weighted: fewer than {min_followed} followed up or {min_missing} not"
        ));
    }
    let design = design(people);
    let responded: Vec<bool> = people.iter().map(|p| p.change.is_some()).collect();
    let fit = logistic_sparse(&design.rows, &responded)
        .ok_or_else(|| "not weighted: the follow-up model could not be fitted".to_string())?;
    let probabilities = design.rows.probabilities(&fit);
    let weights = stabilised_weights(&probabilities, &responded, WEIGHT_TRIM);
    let changes: Vec<f64> = people.iter().filter_map(|p| p.change).collect();
    let m = weighted_mean(&changes, &weights.weights);
    // Each group's weights and their sums, the same for every characteristic.
    let ones_followed = vec![1.0; followed];
    let ones_all = vec![1.0; people.len()];
    let sums = (
        weight_sums(&ones_followed),
        weight_sums(&ones_all),
        weight_sums(&weights.weights),
    );
    let by_column = design.rows.transposed();
    let balance = design
        .names
        .iter()
        .enumerate()
        .skip(1)
        .map(|(c, name)| {
            let all = by_column.dense_row(c);
            let of_followed: Vec<f64> = all
                .iter()
                .zip(&responded)
                .filter(|(_, f)| **f)
                .map(|(x, _)| *x)
                .collect();
            // Everyone's mean and variance, worked out once for both differences.
            let everyone = weighted_mean_var_of(&all, &ones_all, sums.1);
            let smd = |w: &[f64], sums| {
                standardised_difference(weighted_mean_var_of(&of_followed, w, sums), everyone)
            };
            (
                name.clone(),
                smd(&ones_followed, sums.0),
                smd(&weights.weights, sums.2),
            )
        })
        .collect();
    Ok(Weighted {
        mean: m.mean,
        lower: m.lower,
        upper: m.upper,
        effective_share: m.effective_n / followed as f64,
        largest_weight: weights.weights.iter().copied().fold(0.0, f64::max),
        balance,
    })
}

/// A figure rounded to 2 decimals (standardised differences, as they are
/// read), or empty.
fn two_decimals(x: f64) -> crate::batch::Value {
    opt_num(x.is_finite().then(|| (x * 100.0).round() / 100.0 + 0.0))
}

/// A figure rounded to 1 decimal (tipping points, read as points of a
/// score), or empty.
fn one_decimal(x: f64) -> crate::batch::Value {
    opt_num(x.is_finite().then(|| (x * 10.0).round() / 10.0 + 0.0))
}

/// `wellbeing_attrition_bias` and `wellbeing_weight_balance`.
pub(super) fn attrition_tables(
    rows: &[EpisodeRow],
    thresholds: &Thresholds,
    rules: &PairingRules,
) -> Result<Vec<OutTable>> {
    let cohort: OutcomeCohort = rules.cohort;
    let mut table = TableBuilder::new(&WELLBEING_ATTRITION_BIAS);
    let mut balance = TableBuilder::new(&WELLBEING_WEIGHT_BALANCE);
    // Each score's people and its response model, the scores shared out
    // over the cores (the model's fit is most of the work).
    let scored = scores(rows, thresholds);
    let modelled = crate::threads::map_in_order(&scored, |&(instrument, k, _, _)| {
        let people: Vec<Person> = rows
            .iter()
            .filter(|r| &*r.instrument == instrument)
            .filter_map(|r| {
                let baseline = r.baseline.get(k).copied().flatten()?;
                let follow_up = r
                    .follow_up
                    .as_ref()
                    .and_then(|f| f.get(k).copied().flatten());
                Some(Person {
                    row: r,
                    baseline,
                    change: follow_up.map(|f| f - baseline),
                })
            })
            .collect();
        let weighted = weighted_change(&people);
        (people, weighted)
    });
    for (&(_, _, score, _), (people, weighted)) in scored.iter().zip(modelled) {
        let (with, without): (Vec<&Person>, Vec<&Person>) =
            people.iter().partition(|p| p.change.is_some());
        let with_baseline: Vec<f64> = with.iter().map(|p| p.baseline).collect();
        let without_baseline: Vec<f64> = without.iter().map(|p| p.baseline).collect();
        let changes: Vec<f64> = with.iter().filter_map(|p| p.change).collect();
        let complete = mean_ci(&changes);
        let infer = changes.len() >= rules.min_pairs.max(2);
        let tipping = tipping_delta(
            complete.mean,
            (complete.lower, complete.upper),
            with.len() as f64,
            without.len() as f64,
        );
        let finite = |x: f64| opt_num(x.is_finite().then_some(x));
        let (w, why) = match &weighted {
            Ok(w) => (Some(w), "weighted".to_string()),
            Err(why) => (None, why.clone()),
        };
        let estimates = w.map_or("", |w| {
            if (w.lower..=w.upper).contains(&complete.mean) {
                "agree"
            } else {
                "differ"
            }
        });
        table.push_named(&[
            ("cohort", text_value(cohort.label())),
            ("score", text_value(score)),
            ("with_follow_up", int_value(with.len())),
            (
                "mean_baseline_with_follow_up",
                num_value(mean(&with_baseline)),
            ),
            ("without_follow_up", int_value(without.len())),
            (
                "mean_baseline_without_follow_up",
                num_value(mean(&without_baseline)),
            ),
            (
                "standardised_mean_difference",
                opt_num(
                    (with.len() >= 2 && without.len() >= 2)
                        .then(|| standardised_mean_difference(&with_baseline, &without_baseline)),
                ),
            ),
            ("complete_case_change", finite(complete.mean)),
            (
                "complete_case_lower",
                finite(if infer { complete.lower } else { f64::NAN }),
            ),
            (
                "complete_case_upper",
                finite(if infer { complete.upper } else { f64::NAN }),
            ),
            ("weighted_change", finite(w.map_or(f64::NAN, |w| w.mean))),
            ("weighted_lower", finite(w.map_or(f64::NAN, |w| w.lower))),
            ("weighted_upper", finite(w.map_or(f64::NAN, |w| w.upper))),
            (
                "effective_share",
                finite(w.map_or(f64::NAN, |w| w.effective_share)),
            ),
            (
                "largest_weight",
                finite(w.map_or(f64::NAN, |w| w.largest_weight)),
            ),
            (
                "largest_imbalance_after",
                // As wellbeing_weight_balance shows it.
                two_decimals(w.map_or(f64::NAN, |w| {
                    w.balance.iter().map(|b| b.2.abs()).fold(f64::NAN, f64::max)
                })),
            ),
            ("tipping_delta", one_decimal(tipping.estimate)),
            (
                "tipping_delta_interval",
                one_decimal(if infer { tipping.interval } else { f64::NAN }),
            ),
            ("weighting", text_value(&why)),
            ("estimates", text_value(estimates)),
        ]);
        for (characteristic, before, after) in w.map(|w| w.balance.as_slice()).unwrap_or(&[]) {
            balance.push_named(&[
                ("cohort", text_value(cohort.label())),
                ("score", text_value(score)),
                ("characteristic", text_value(characteristic)),
                ("smd_before", two_decimals(*before)),
                ("smd_after", two_decimals(*after)),
            ]);
        }
    }
    Ok(vec![table.finish()?, balance.finish()?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::table::text_column;
    use crate::stats::weighting::{logistic, stabilised_weights, weighted_mean};
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Float64Type, Int64Type};

    /// 120 SWEMWBS episodes: baselines 14 to 28, follow-up likelier the
    /// higher the baseline (by a fixed pattern), a change that is smaller the
    /// higher the baseline; sex alternates, and a need held by 3 people is
    /// too rare for a column of its own.
    fn rows() -> Vec<EpisodeRow> {
        (0..120_u32)
            .map(|i| {
                let baseline = 14.0 + f64::from((i * 7) % 15);
                let followed = (i * 37 + (baseline as u32) * 11) % 30 < (baseline as u32) - 4;
                let change = 3.0 - 0.25 * (baseline - 21.0) + f64::from((i * 5) % 7) / 3.0 - 1.0;
                let mut groups = vec![
                    ("sex", if i % 2 == 0 { "female" } else { "male" }.into()),
                    (
                        "age_band",
                        if i % 3 == 0 { "25-34" } else { "65-74" }.into(),
                    ),
                ];
                if i < 3 {
                    groups.push(("need", "housing".into()));
                }
                EpisodeRow {
                    cohort_day: None,
                    instrument: "swemwbs".into(),
                    groups,
                    baseline: vec![Some(baseline)],
                    follow_up: followed.then(|| vec![Some(baseline + change)]),
                    later_assessments: i64::from(followed),
                }
            })
            .collect()
    }

    fn float(t: &OutTable, name: &str, row: usize) -> f64 {
        t.batch
            .column_by_name(name)
            .unwrap()
            .as_primitive::<Float64Type>()
            .value(row)
    }

    #[test]
    fn the_weighted_change_is_the_model_weights_and_sandwich_of_the_statistics() {
        let rows = rows();
        let tables =
            attrition_tables(&rows, Thresholds::builtin(), &PairingRules::default()).unwrap();
        let (bias, balance) = (&tables[0], &tables[1]);
        assert_eq!(bias.batch.num_rows(), 1);
        // The same by hand: intercept, baseline, its centred square, sex
        // (female the reference, as the more common level after the tie
        // break) and age band (65-74 the reference); the rare need is left out.
        let people: Vec<(f64, f64, bool, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let b = r.baseline[0].unwrap();
                let f = r.follow_up.as_ref().map(|f| f[0].unwrap() - b);
                (
                    b,
                    f64::from(u8::from(i % 2 == 1)),
                    f.is_some(),
                    f.unwrap_or(0.0),
                )
            })
            .collect();
        let centre = people.iter().map(|p| p.0).sum::<f64>() / 120.0;
        let x: Vec<Vec<f64>> = people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    1.0,
                    p.0,
                    (p.0 - centre).powi(2),
                    p.1,
                    f64::from(u8::from(i % 3 == 0)),
                ]
            })
            .collect();
        let y: Vec<bool> = people.iter().map(|p| p.2).collect();
        let fit = logistic(&x, &y).unwrap();
        let probabilities: Vec<f64> = x.iter().map(|r| fit.probability(r)).collect();
        let w = stabilised_weights(&probabilities, &y, WEIGHT_TRIM);
        let changes: Vec<f64> = people.iter().filter(|p| p.2).map(|p| p.3).collect();
        let m = weighted_mean(&changes, &w.weights);
        assert!((float(bias, "weighted_change", 0) - m.mean).abs() < 1e-12);
        assert!((float(bias, "weighted_lower", 0) - m.lower).abs() < 1e-12);
        assert!(
            (float(bias, "effective_share", 0) - m.effective_n / changes.len() as f64).abs()
                < 1e-12
        );
        // Those followed up started higher and changed less: the complete
        // case understates the change and weighting raises it.
        let complete = float(bias, "complete_case_change", 0);
        assert!((complete - mean(&changes)).abs() < 1e-12);
        let everyone: f64 = people
            .iter()
            .map(|p| {
                let b = p.0;
                3.0 - 0.25 * (b - 21.0)
            })
            .sum::<f64>()
            / 120.0;
        assert!(
            complete < m.mean && (m.mean - everyone).abs() < (complete - everyone).abs(),
            "complete case {complete}, weighted {}, everyone {everyone}",
            m.mean
        );
        // One balance row per column of the model but the intercept.
        let characteristics = text_column(&balance.batch, "characteristic").unwrap();
        let names: Vec<&str> = (0..characteristics.len())
            .map(|i| characteristics.value(i))
            .collect();
        assert_eq!(
            names,
            [
                "baseline_score",
                "baseline_score_squared",
                "age_band: 25-34",
                "sex: male"
            ]
        );
        let weighting = text_column(&bias.batch, "weighting").unwrap();
        assert_eq!(weighting.value(0), "weighted");
    }

    #[test]
    fn too_few_people_are_not_weighted_and_say_why() {
        let rows: Vec<EpisodeRow> = rows().into_iter().take(25).collect();
        let tables =
            attrition_tables(&rows, Thresholds::builtin(), &PairingRules::default()).unwrap();
        let weighting = text_column(&tables[0].batch, "weighting").unwrap();
        assert!(
            weighting
                .value(0)
                .starts_with("not weighted: fewer than 20 followed up")
        );
        assert!(
            tables[0]
                .batch
                .column_by_name("weighted_change")
                .unwrap()
                .is_null(0)
        );
        assert_eq!(tables[1].batch.num_rows(), 0);
        let with = tables[0]
            .batch
            .column_by_name("with_follow_up")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0);
        assert!(with < 20);
    }
}
