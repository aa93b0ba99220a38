//! Impact on the person: paired wellbeing change, reliable change, band shifts,
//! the attrition funnel and attrition bias.
//!
//! The pairs come from `queries/wellbeing_pairs.sql`; each side is scored by
//! [`crate::scoring`] and the statistics come from [`crate::stats`].
//! [`attrition`] compares the people followed up with those who were not,
//! and weights the change for who was followed up.

pub mod attrition;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Float64Array, Int64Array, PrimitiveArray, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, Date32Type, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use foldhash::fast::FixedState;

use super::period::{OutcomeCohort, Period};
use super::query::Query;
use super::table::{
    OutTable, RowSum, Sums, TableBuilder, TableDef, count, int_label, int_value, losses, num_value,
    p_value, share, statistic, text, text_value, wilson_lower, wilson_upper,
};
use crate::batch::Value;
use crate::days::age_in_years;
use crate::error::Result;
use crate::model::codes::{age_band_of, ethnic_group};
use crate::model::instruments::MAX_ITEMS;
use crate::scoring::{self, ChangeClass, ScoreRule, Thresholds};
use crate::stats::effect::{cohens_dav, cohens_dz};
use crate::stats::paired::{paired_t, wilcoxon_signed_rank};
use crate::stats::proportion::{mcnemar, wilson};
use crate::stats::summary::{mean, mean_ci};

/// How baseline and follow-up assessments are chosen.
#[derive(Debug, Clone, Copy)]
pub struct PairingRules {
    /// Baseline may be this many days before the start of support.
    pub baseline_before_days: i64,
    /// Baseline may be this many days after the start of support.
    pub baseline_after_days: i64,
    /// Follow-up must be at least this many days after the baseline.
    pub min_follow_up_days: i64,
    /// Follow-up may be at most this many days after closure.
    pub follow_up_after_closure_days: i64,
    /// Below this many pairs, inference (intervals and tests) is withheld.
    pub min_pairs: usize,
    /// Episodes closed in the period (default) or received in it.
    pub cohort: OutcomeCohort,
}

impl PairingRules {
    /// Every named parameter of the outcome SQL this run sets (the pairing
    /// windows and `$outcome_cohort`) as a reader sees it written: numbers
    /// as they are, text quoted as in SQL.
    pub fn shown_parameters(&self) -> Vec<(&'static str, String)> {
        self.parameters()
            .into_iter()
            .chain([self.cohort.parameter()])
            .map(|(name, value)| {
                let shown = match value {
                    ScalarValue::Utf8(Some(text)) => format!("'{text}'"),
                    other => other.to_string(),
                };
                (name, shown)
            })
            .collect()
    }

    /// The pairing windows as the named parameters of `wellbeing_pairs.sql`
    /// (`$baseline_before_days`, …).
    pub fn parameters(&self) -> [(&'static str, ScalarValue); 4] {
        [
            (
                "baseline_before_days",
                ScalarValue::Int64(Some(self.baseline_before_days)),
            ),
            (
                "baseline_after_days",
                ScalarValue::Int64(Some(self.baseline_after_days)),
            ),
            (
                "min_follow_up_days",
                ScalarValue::Int64(Some(self.min_follow_up_days)),
            ),
            (
                "follow_up_after_closure_days",
                ScalarValue::Int64(Some(self.follow_up_after_closure_days)),
            ),
        ]
    }
}

impl Default for PairingRules {
    fn default() -> Self {
        PairingRules {
            baseline_before_days: 28,
            baseline_after_days: 28,
            min_follow_up_days: 42,
            follow_up_after_closure_days: 90,
            min_pairs: 30,
            cohort: OutcomeCohort::default(),
        }
    }
}

/// One referral episode with its baseline (and maybe follow-up) for one instrument.
#[derive(Debug, Clone)]
struct EpisodeRow {
    instrument: Arc<str>,
    /// The day (days since 1970-01-01) that puts the episode in the outcome
    /// cohort: its closure, or its referral with `--outcome-cohort received`.
    cohort_day: Option<i32>,
    groups: Vec<GroupKey>,
    baseline: Vec<Option<f64>>,
    follow_up: Option<Vec<Option<f64>>>,
    later_assessments: i64,
}

/// A breakdown and a group within it, e.g. (`sex`, `female`).
type GroupKey = (&'static str, Arc<str>);

/// Scored (baseline, follow-up) pairs of a group, and how many pairs could not be scored.
type GroupPairs = (Vec<(f64, f64)>, u64);

/// The breakdowns every change is reported by, besides `all`.
pub const BREAKDOWNS: [&str; 9] = [
    "pcn_code",
    "scheme",
    "referral_source",
    "need",
    "age_band",
    "sex",
    "ethnicity_group",
    "imd_quintile",
    "core20",
];

/// The paired assessments of the episodes whose cohort date falls in a
/// range of days, scored (the pairs query's rows), in the query's order.
#[derive(Debug, Default)]
pub struct Episodes(Vec<EpisodeRow>);

impl Episodes {
    /// Run the pairs query for the outcome cohort of `range`.
    pub async fn load(ctx: &SessionContext, range: &Period, rules: &PairingRules) -> Result<Self> {
        let mut params = range.outcome_parameters(rules.cohort);
        params.extend(rules.parameters());
        // Rows are read batch by batch as the query yields them, so the
        // query's result is never held whole beside the episodes.
        let mut labels = Labels::default();
        let mut rows = Vec::new();
        WELLBEING_PAIRS_SQL
            .for_each_batch(ctx, &params, |batch| {
                add_episode_rows(batch, &mut labels, &mut rows);
            })
            .await?;
        Ok(Episodes(rows))
    }

    /// Only the episodes whose cohort date is on or after `start`.
    pub fn from_day(mut self, start: chrono::NaiveDate) -> Episodes {
        let start = crate::days::date32(start);
        self.0.retain(|r| r.cohort_day.is_some_and(|d| d >= start));
        self
    }
}

/// Compute the person-outcome tables for `period` from its `episodes`
/// ([`Episodes::load`] for the same period and rules).
pub async fn person_outcomes(
    ctx: &SessionContext,
    period: &Period,
    rules: &PairingRules,
    episodes: &Episodes,
) -> Result<Vec<OutTable>> {
    let params = period.outcome_parameters(rules.cohort);
    let funnel = REFERRAL_FUNNEL_SQL.run(ctx, &params).await?;
    let (referred, accepted) = funnel_counts(&funnel);
    let rows = &episodes.0;
    let thresholds = Thresholds::builtin();
    Ok([
        funnel_table(rows, referred, accepted, rules.cohort)?,
        change_table(rows, rules, thresholds, &period.label)?,
    ]
    .into_iter()
    .chain(attrition::attrition_tables(rows, thresholds, rules)?)
    .collect())
}

/// One score's scored pairs (every episode, no breakdowns) in one span of
/// time, as [`change_table`]'s `all` row counts them.
#[derive(Debug, Clone)]
pub struct SpanPairs {
    /// Index of the span in the spans asked for.
    pub span: usize,
    /// Score name.
    pub score: &'static str,
    /// Its label.
    pub label: String,
    /// (baseline, follow-up) of each pair whose scores are both known.
    pub pairs: Vec<(f64, f64)>,
    /// Pairs that improved reliably (`None` when the score has no reliable-change rule).
    pub reliably_improved: Option<u64>,
}

/// Each score's pairs in each of `spans`, from episodes loaded over ranges
/// that together cover them without overlapping: an episode's pairing does
/// not depend on the period, only whether it is in the outcome cohort does,
/// so an episode belongs to the spans its cohort date falls in and each
/// span's pairs are the pairs [`person_outcomes`] finds for that span as a
/// period.
pub fn pairs_by_span(episodes: &[&Episodes], spans: &[Period]) -> Vec<SpanPairs> {
    let rows: Vec<&EpisodeRow> = episodes.iter().flat_map(|e| e.0.iter()).collect();
    let thresholds = Thresholds::builtin();
    let mut out = Vec::new();
    for (instrument, k, score, rule) in scores(rows.iter().copied(), thresholds) {
        for (span, period) in spans.iter().enumerate() {
            let (from, to) = (
                crate::days::date32(period.start),
                crate::days::date32(period.end),
            );
            let pairs: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| &*r.instrument == instrument)
                .filter(|r| r.cohort_day.is_some_and(|d| from <= d && d <= to))
                .filter_map(|r| {
                    let follow = r.follow_up.as_ref()?;
                    Some((
                        r.baseline.get(k).copied().flatten()?,
                        follow.get(k).copied().flatten()?,
                    ))
                })
                .collect();
            let classes: Vec<Option<ChangeClass>> =
                pairs.iter().map(|(b, a)| rule.classify(*b, *a)).collect();
            let reliably_improved = classes.iter().any(Option::is_some).then(|| {
                classes
                    .iter()
                    .filter(|c| **c == Some(ChangeClass::Improved))
                    .count() as u64
            });
            out.push(SpanPairs {
                span,
                score,
                label: rule.label.clone(),
                pairs,
                reliably_improved,
            });
        }
    }
    out
}

fn funnel_counts(batches: &[RecordBatch]) -> (i64, i64) {
    let get = |name: &str| {
        batches
            .first()
            .and_then(|b| crate::measures::table::column(b, name))
            .and_then(|c| {
                c.as_primitive_opt::<Int64Type>()
                    .filter(|a| !a.is_null(0))
                    .map(|a| a.value(0))
            })
            .unwrap_or(0)
    };
    (get("referred"), get("accepted"))
}

/// Labels shared by many episodes (instruments and groups such as a PCN
/// code or `female`), each held once: an episode keeps a pointer, not its
/// own copy of the text.
#[derive(Debug, Default)]
struct Labels(std::collections::HashSet<Arc<str>, FixedState>);

impl Labels {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(label) = self.0.get(text) {
            return Arc::clone(label);
        }
        let label: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&label));
        label
    }
}

/// The pairs query's columns of one result batch, each looked up once and
/// typed (a column missing or of another type reads as empty).
struct PairColumns<'a> {
    text: [Option<&'a StringArray>; PairColumns::TEXT.len()],
    dates: [Option<&'a Date32Array>; PairColumns::DATES.len()],
    baseline_total: Option<&'a Float64Array>,
    follow_up_total: Option<&'a Float64Array>,
    imd_decile: Option<&'a Int64Array>,
    later_assessments: Option<&'a Int64Array>,
    baseline_items: Vec<Option<&'a Int64Array>>,
    follow_up_items: Vec<Option<&'a Int64Array>>,
}

/// A text column of the pairs query ([`PairColumns::TEXT`] in this order).
#[derive(Clone, Copy)]
enum Text {
    Instrument,
    PcnCode,
    Scheme,
    ReferralSource,
    Sex,
    Ethnicity,
    AgeBand,
    Needs,
}

/// A date column of the pairs query ([`PairColumns::DATES`] in this order).
#[derive(Clone, Copy)]
enum Date {
    Cohort,
    FollowUp,
    BirthMonth,
    Referral,
}

impl<'a> PairColumns<'a> {
    const TEXT: [&'static str; 8] = [
        "instrument",
        "pcn_code",
        "scheme",
        "referral_source",
        "sex",
        "ethnicity",
        "age_band",
        "needs",
    ];
    const DATES: [&'static str; 4] = [
        "cohort_date",
        "follow_up_date",
        "birth_month",
        "referral_date",
    ];

    fn new(batch: &'a RecordBatch) -> Self {
        let column = |name: &str| crate::measures::table::column(batch, name);
        let ints = |name: &str| column(name).and_then(|c| c.as_primitive_opt::<Int64Type>());
        let floats = |name: &str| column(name).and_then(|c| c.as_primitive_opt::<Float64Type>());
        let items = |prefix: &str| {
            (1..=MAX_ITEMS)
                .map(|k| ints(&format!("{prefix}{k}")))
                .collect()
        };
        PairColumns {
            text: Self::TEXT.map(|name| column(name).and_then(|c| c.as_string_opt::<i32>())),
            dates: Self::DATES
                .map(|name| column(name).and_then(|c| c.as_primitive_opt::<Date32Type>())),
            baseline_total: floats("b_total"),
            follow_up_total: floats("f_total"),
            imd_decile: ints("imd_decile"),
            later_assessments: ints("later_assessments"),
            baseline_items: items("b"),
            follow_up_items: items("f"),
        }
    }

    fn text(&self, column: Text, i: usize) -> Option<&'a str> {
        let a = self.text[column as usize]?;
        (!a.is_null(i)).then(|| a.value(i))
    }

    fn date(&self, column: Date, i: usize) -> Option<i32> {
        value_at(self.dates[column as usize], i)
    }

    fn items(columns: &[Option<&Int64Array>], i: usize) -> [Option<i64>; MAX_ITEMS] {
        let mut items = [None; MAX_ITEMS];
        for (item, column) in items.iter_mut().zip(columns) {
            *item = value_at(*column, i);
        }
        items
    }
}

/// Row `i` of a typed column, `None` when null or the column is missing.
fn value_at<T: ArrowPrimitiveType>(a: Option<&PrimitiveArray<T>>, i: usize) -> Option<T::Native> {
    a.filter(|a| !a.is_null(i)).map(|a| a.value(i))
}

/// Read one batch of the pairs query's rows into `out`, scoring both sides.
fn add_episode_rows(batch: &RecordBatch, labels: &mut Labels, out: &mut Vec<EpisodeRow>) {
    let columns = PairColumns::new(batch);
    for i in 0..batch.num_rows() {
        let Some(instrument) = columns.text(Text::Instrument, i) else {
            continue;
        };
        let side = |items: &[Option<&Int64Array>], total: Option<&Float64Array>| {
            scoring::score(
                instrument,
                &PairColumns::items(items, i),
                value_at(total, i),
            )
        };
        let follow_up = columns
            .date(Date::FollowUp, i)
            .map(|_| side(&columns.follow_up_items, columns.follow_up_total));
        let age_band = match (
            columns.date(Date::BirthMonth, i),
            columns.date(Date::Referral, i),
        ) {
            (Some(birth), Some(referred)) => age_band_of(age_in_years(birth, referred)),
            _ => columns.text(Text::AgeBand, i).unwrap_or("unknown"),
        };
        let known = |column: Text| columns.text(column, i).unwrap_or("unknown");
        let decile = value_at(columns.imd_decile, i);
        let quintile = decile.map(|d| ((d + 1) / 2).to_string());
        let mut groups = vec![
            ("pcn_code", labels.get(known(Text::PcnCode))),
            ("scheme", labels.get(known(Text::Scheme))),
            ("referral_source", labels.get(known(Text::ReferralSource))),
            ("age_band", labels.get(age_band)),
            ("sex", labels.get(known(Text::Sex))),
            (
                "ethnicity_group",
                labels.get(
                    columns
                        .text(Text::Ethnicity, i)
                        .and_then(ethnic_group)
                        .unwrap_or("not stated or not known"),
                ),
            ),
            (
                "imd_quintile",
                labels.get(quintile.as_deref().unwrap_or("unknown")),
            ),
        ];
        if let Some(decile) = decile {
            // Core20: the most deprived national quintile (deciles 1 and 2).
            let core20 = if decile <= 2 { "Core20" } else { "not Core20" };
            groups.push(("core20", labels.get(core20)));
        }
        for need in columns
            .text(Text::Needs, i)
            .unwrap_or_default()
            .split(';')
            .filter(|n| !n.is_empty())
        {
            groups.push(("need", labels.get(need)));
        }
        out.push(EpisodeRow {
            cohort_day: columns.date(Date::Cohort, i),
            baseline: side(&columns.baseline_items, columns.baseline_total),
            follow_up,
            later_assessments: value_at(columns.later_assessments, i).unwrap_or(0),
            instrument: labels.get(instrument),
            groups,
        });
    }
}

/// Every (instrument, score index, score name, rule) present in `rows`, in
/// instrument then score order, for scores that have thresholds.
fn scores<'a>(
    rows: impl IntoIterator<Item = &'a EpisodeRow>,
    thresholds: &'a Thresholds,
) -> Vec<(&'a str, usize, &'static str, &'a ScoreRule)> {
    let mut instruments: Vec<&str> = rows.into_iter().map(|r| &*r.instrument).collect();
    instruments.sort_unstable();
    instruments.dedup();
    instruments
        .into_iter()
        .flat_map(|instrument| {
            scoring::score_names(instrument)
                .iter()
                .enumerate()
                .filter_map(move |(k, score)| {
                    thresholds
                        .rule(score)
                        .map(|rule| (instrument, k, *score, rule))
                })
        })
        .collect()
}

/// `queries/referral_funnel.sql`.
pub const REFERRAL_FUNNEL_SQL: Query = crate::measure_file!("referral_funnel");

/// `queries/wellbeing_pairs.sql`.
pub const WELLBEING_PAIRS_SQL: Query = crate::measure_file!("wellbeing_pairs");

/// The table's declaration.
pub const WELLBEING_ATTRITION_FUNNEL: TableDef = TableDef {
    name: "wellbeing_attrition_funnel",
    description: "One stage of the attrition funnel for one instrument: referred, accepted, baseline recorded, follow-up recorded, paired",
    queries: &[REFERRAL_FUNNEL_SQL],
    columns: &[
        text(
            "cohort",
            "Referrals counted: those whose episode closed in the period (default) or that were received in it",
        ),
        text("instrument", "Outcome instrument"),
        int_label(
            "stage_order",
            "1 referred, 2 accepted, 3 baseline recorded, 4 follow-up recorded, 5 paired",
        ),
        text("stage", "Funnel stage"),
        count("count", "Referral episodes reaching this stage"),
        losses(
            "lost_before_stage",
            "count",
            "stage_order",
            &["cohort", "instrument"],
            "Episodes at the previous stage that did not reach this one",
        ),
        text("reason_lost", "Why those episodes were lost"),
    ],
    sums: Sums::NONE,
};

fn funnel_table(
    rows: &[EpisodeRow],
    referred: i64,
    accepted: i64,
    cohort: OutcomeCohort,
) -> Result<OutTable> {
    let mut table = TableBuilder::new(&WELLBEING_ATTRITION_FUNNEL);
    let mut by_instrument: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = by_instrument.entry(&*r.instrument).or_default();
        e.0 += 1;
        e.1 += i64::from(r.later_assessments > 0);
        e.2 += i64::from(r.follow_up.is_some());
    }
    if by_instrument.is_empty() {
        // No instrument has a baseline: the funnel still shows where episodes stopped.
        by_instrument.insert("any instrument", (0, 0, 0));
    }
    for (instrument, (baseline, recorded, paired)) in by_instrument {
        let stages = [
            ("referred", referred, 0, ""),
            (
                "accepted",
                accepted,
                referred - accepted,
                "not accepted (declined, did not attend, or no status)",
            ),
            (
                "baseline recorded",
                baseline,
                accepted - baseline,
                "no baseline in the window around the start of support",
            ),
            (
                "follow-up recorded",
                recorded,
                baseline - recorded,
                "no assessment after the baseline",
            ),
            (
                "paired",
                paired,
                recorded - paired,
                "follow-up too soon after baseline or too long after closure",
            ),
        ];
        for (order, (stage, count, lost, reason)) in stages.into_iter().enumerate() {
            table.push_named(&[
                ("cohort", text_value(cohort.label())),
                ("instrument", text_value(instrument)),
                ("stage_order", int_value(order + 1)),
                ("stage", text_value(stage)),
                ("count", int_value(count)),
                ("lost_before_stage", int_value(lost)),
                ("reason_lost", text_value(reason)),
            ]);
        }
    }
    table.finish()
}

/// The table's declaration.
pub const WELLBEING_CHANGE: TableDef = TableDef {
    name: "wellbeing_change",
    description: "Paired change in one score, overall or for one group of one breakdown",
    queries: &[WELLBEING_PAIRS_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "cohort",
            "Outcome cohort: accepted referrals whose episode closed in the period (default) or that were received in it",
        ),
        text("score", "Score name (see thresholds)"),
        text("score_label", "Score label"),
        text("breakdown", "Breakdown dimension, or 'all'"),
        text("group", "Group within the breakdown"),
        count("pairs", "Episodes with a scored baseline and follow-up"),
        count(
            "unscorable_pairs",
            "Pairs left out because an item was missing (no prorating)",
        ),
        statistic("mean_baseline", &["pairs"], "Mean score at baseline"),
        statistic("mean_follow_up", &["pairs"], "Mean score at follow-up"),
        statistic(
            "mean_change",
            &["pairs"],
            "Mean change, follow-up minus baseline (raw direction)",
        ),
        statistic(
            "change_lower",
            &["pairs"],
            "Lower 95% t confidence limit of the mean change",
        ),
        statistic(
            "change_upper",
            &["pairs"],
            "Upper 95% t confidence limit of the mean change",
        ),
        statistic("t", &["pairs"], "Paired t statistic"),
        p_value("p_t", &["pairs"], "Two-sided p-value of the paired t-test"),
        statistic(
            "wilcoxon_v",
            &["pairs"],
            "Wilcoxon signed-rank V (sum of ranks of positive changes)",
        ),
        p_value(
            "p_wilcoxon",
            &["pairs"],
            "Two-sided p-value, normal approximation with tie and continuity corrections",
        ),
        statistic("d_z", &["pairs"], "Cohen's d_z: mean change / SD of change"),
        statistic("d_z_lower", &["pairs"], "Lower 95% limit of d_z"),
        statistic("d_z_upper", &["pairs"], "Upper 95% limit of d_z"),
        statistic(
            "d_av",
            &["pairs"],
            "Cohen's d_av: mean change / mean of the baseline and follow-up SDs",
        ),
        statistic("d_av_lower", &["pairs"], "Lower 95% limit of d_av"),
        statistic("d_av_upper", &["pairs"], "Upper 95% limit of d_av"),
        count(
            "reliably_improved",
            "Pairs with reliable improvement (Jacobson-Truax)",
        ),
        share(
            "reliably_improved_share",
            "reliably_improved",
            "pairs",
            "Share reliably improved",
        ),
        wilson_lower(
            "reliably_improved_lower",
            "reliably_improved",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "reliably_improved_upper",
            "reliably_improved",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        count(
            "no_reliable_change",
            "Pairs with change within measurement error",
        ),
        share(
            "no_reliable_change_share",
            "no_reliable_change",
            "pairs",
            "Share with no reliable change",
        ),
        wilson_lower(
            "no_reliable_change_lower",
            "no_reliable_change",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "no_reliable_change_upper",
            "no_reliable_change",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        count("reliably_deteriorated", "Pairs with reliable deterioration"),
        share(
            "reliably_deteriorated_share",
            "reliably_deteriorated",
            "pairs",
            "Share reliably deteriorated",
        ),
        wilson_lower(
            "reliably_deteriorated_lower",
            "reliably_deteriorated",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "reliably_deteriorated_upper",
            "reliably_deteriorated",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        count(
            "reached_mic",
            "Pairs whose improvement reached the minimal important change",
        ),
        share(
            "reached_mic_share",
            "reached_mic",
            "pairs",
            "Share reaching the minimal important change",
        ),
        wilson_lower(
            "reached_mic_lower",
            "reached_mic",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "reached_mic_upper",
            "reached_mic",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        text("low_band", "The band whose leaving counts as improvement"),
        count("low_at_baseline", "Pairs in the low band at baseline"),
        share(
            "low_at_baseline_share",
            "low_at_baseline",
            "pairs",
            "Share in the low band at baseline",
        ),
        wilson_lower(
            "low_at_baseline_lower",
            "low_at_baseline",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "low_at_baseline_upper",
            "low_at_baseline",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        count("low_at_follow_up", "Pairs in the low band at follow-up"),
        share(
            "low_at_follow_up_share",
            "low_at_follow_up",
            "pairs",
            "Share in the low band at follow-up",
        ),
        wilson_lower(
            "low_at_follow_up_lower",
            "low_at_follow_up",
            "pairs",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "low_at_follow_up_upper",
            "low_at_follow_up",
            "pairs",
            "Upper 95% Wilson limit",
        ),
        count(
            "left_low_band",
            "Pairs in the low band at baseline and not at follow-up",
        ),
        count(
            "entered_low_band",
            "Pairs not in the low band at baseline but in it at follow-up",
        ),
        statistic(
            "mcnemar_statistic",
            &["pairs"],
            "McNemar chi-squared (continuity corrected) for the band change",
        ),
        p_value("p_mcnemar", &["pairs"], "p-value of McNemar's test"),
        text(
            "inference",
            "'reported', or why intervals and tests are withheld",
        ),
        text("thresholds_version", "Version of the thresholds file used"),
    ],
    sums: Sums {
        breakdown_key: &["period", "cohort", "score"],
        overlapping: &["need"],
        not_summed: &[],
        row_parts: &[RowSum {
            parts: &[
                "pairs",
                "reliably_improved",
                "no_reliable_change",
                "reliably_deteriorated",
            ],
            prefer: Some("no_reliable_change"),
        }],
    },
};

fn change_table(
    rows: &[EpisodeRow],
    rules: &PairingRules,
    thresholds: &Thresholds,
    period: &str,
) -> Result<OutTable> {
    let mut table = TableBuilder::new(&WELLBEING_CHANGE);
    for (instrument, k, score, rule) in scores(rows, thresholds) {
        // Keyed by the labels' text, borrowed: no label is copied per row.
        let mut groups: HashMap<(&str, &str), GroupPairs, FixedState> = HashMap::default();
        for r in rows.iter().filter(|r| &*r.instrument == instrument) {
            let Some(follow) = &r.follow_up else { continue };
            let pair = match (
                r.baseline.get(k).copied().flatten(),
                follow.get(k).copied().flatten(),
            ) {
                (Some(b), Some(f)) => Some((b, f)),
                _ => None,
            };
            let keys =
                std::iter::once(("all", "all")).chain(r.groups.iter().map(|(b, g)| (*b, &**g)));
            for key in keys {
                let entry = groups.entry(key).or_default();
                match pair {
                    Some(p) => entry.0.push(p),
                    None => entry.1 += 1,
                }
            }
        }
        let order = |b: &str| {
            if b == "all" {
                0
            } else {
                1 + BREAKDOWNS.iter().position(|x| *x == b).unwrap_or(99)
            }
        };
        // Breakdowns in their order, groups by label (then by breakdown name,
        // for breakdowns of no known order: keys are unique, so this is a
        // total order whatever the map's).
        let mut keys: Vec<(&str, &str)> = groups.keys().copied().collect();
        keys.sort_by(|a, b| (order(a.0), a.1, a.0).cmp(&(order(b.0), b.1, b.0)));
        for key in keys {
            let (pairs, unscorable) = &groups[&key];
            table.push_named(&change_row(
                (period, rules.cohort.label()),
                score,
                rule,
                &key,
                pairs,
                *unscorable,
                rules.min_pairs,
                &thresholds.version,
            ));
        }
    }
    table.finish()
}

/// One row of `wellbeing_change`.
#[allow(clippy::too_many_arguments)]
fn change_row(
    (period, cohort): (&str, &str),
    score: &str,
    rule: &ScoreRule,
    (breakdown, group): &(&str, &str),
    pairs: &[(f64, f64)],
    unscorable: u64,
    min_pairs: usize,
    version: &str,
) -> [(&'static str, Value); 54] {
    let before: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let after: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let change: Vec<f64> = pairs.iter().map(|(b, a)| a - b).collect();
    let n = pairs.len();
    let infer = n >= min_pairs && n >= 2;
    let inference = if infer {
        "reported".to_string()
    } else {
        // Not the number of pairs: the count column publishes it, rounded or
        // suppressed, and text is neither.
        format!("withheld: fewer pairs than the minimum of {min_pairs}")
    };
    let when = |x: f64| if infer { num_value(x) } else { Value::Null };
    let ci = mean_ci(&change);
    let t = paired_t(&change);
    let w = wilcoxon_signed_rank(&change);
    let (dz, dav) = (cohens_dz(&before, &after), cohens_dav(&before, &after));
    let classes: Vec<Option<ChangeClass>> =
        pairs.iter().map(|(b, a)| rule.classify(*b, *a)).collect();
    let count = |c: ChangeClass| classes.iter().filter(|x| **x == Some(c)).count() as u64;
    let classified = classes.iter().any(Option::is_some);
    let share = |x: u64| {
        let p = wilson(x, n as u64);
        (
            if classified {
                int_value(x)
            } else {
                Value::Null
            },
            if classified {
                num_value(p.p)
            } else {
                Value::Null
            },
            when(p.lower),
            when(p.upper),
        )
    };
    let improved = share(count(ChangeClass::Improved));
    let same = share(count(ChangeClass::NoReliableChange));
    let worse = share(count(ChangeClass::Deteriorated));
    let mic_n = pairs
        .iter()
        .filter(|(b, a)| rule.reaches_mic(*b, *a))
        .count() as u64;
    let mic = wilson(mic_n, n as u64);
    let low = |x: f64| rule.in_low_band(x).unwrap_or(false);
    let has_band = rule.low_band.is_some();
    let band_share = |f: &dyn Fn(&(f64, f64)) -> bool| -> [Value; 4] {
        if !has_band {
            return [Value::Null, Value::Null, Value::Null, Value::Null];
        }
        let x = pairs.iter().filter(|p| f(p)).count() as u64;
        let w = wilson(x, n as u64);
        [int_value(x), num_value(w.p), when(w.lower), when(w.upper)]
    };
    let [lb0, lb1, lb2, lb3] = band_share(&|(b, _)| low(*b));
    let [lf0, lf1, lf2, lf3] = band_share(&|(_, a)| low(*a));
    let left = pairs.iter().filter(|(b, a)| low(*b) && !low(*a)).count() as u64;
    let entered = pairs.iter().filter(|(b, a)| !low(*b) && low(*a)).count() as u64;
    let m = mcnemar(left, entered);
    [
        ("period", text_value(period)),
        ("cohort", text_value(cohort)),
        ("score", text_value(score)),
        ("score_label", text_value(&rule.label)),
        ("breakdown", text_value(*breakdown)),
        ("group", text_value(*group)),
        ("pairs", int_value(n)),
        ("unscorable_pairs", int_value(unscorable)),
        ("mean_baseline", num_value(mean(&before))),
        ("mean_follow_up", num_value(mean(&after))),
        ("mean_change", num_value(ci.mean)),
        ("change_lower", when(ci.lower)),
        ("change_upper", when(ci.upper)),
        ("t", when(t.t)),
        ("p_t", when(t.p)),
        ("wilcoxon_v", when(w.v)),
        ("p_wilcoxon", when(w.p)),
        ("d_z", when(dz.estimate)),
        ("d_z_lower", when(dz.lower)),
        ("d_z_upper", when(dz.upper)),
        ("d_av", when(dav.estimate)),
        ("d_av_lower", when(dav.lower)),
        ("d_av_upper", when(dav.upper)),
        ("reliably_improved", improved.0),
        ("reliably_improved_share", improved.1),
        ("reliably_improved_lower", improved.2),
        ("reliably_improved_upper", improved.3),
        ("no_reliable_change", same.0),
        ("no_reliable_change_share", same.1),
        ("no_reliable_change_lower", same.2),
        ("no_reliable_change_upper", same.3),
        ("reliably_deteriorated", worse.0),
        ("reliably_deteriorated_share", worse.1),
        ("reliably_deteriorated_lower", worse.2),
        ("reliably_deteriorated_upper", worse.3),
        ("reached_mic", int_value(mic_n)),
        ("reached_mic_share", num_value(mic.p)),
        ("reached_mic_lower", when(mic.lower)),
        ("reached_mic_upper", when(mic.upper)),
        (
            "low_band",
            rule.low_band
                .as_ref()
                .map_or(Value::Null, |b| text_value(&b.label)),
        ),
        ("low_at_baseline", lb0),
        ("low_at_baseline_share", lb1),
        ("low_at_baseline_lower", lb2),
        ("low_at_baseline_upper", lb3),
        ("low_at_follow_up", lf0),
        ("low_at_follow_up_share", lf1),
        ("low_at_follow_up_lower", lf2),
        ("low_at_follow_up_upper", lf3),
        (
            "left_low_band",
            if has_band {
                int_value(left)
            } else {
                Value::Null
            },
        ),
        (
            "entered_low_band",
            if has_band {
                int_value(entered)
            } else {
                Value::Null
            },
        ),
        (
            "mcnemar_statistic",
            if has_band {
                when(m.statistic)
            } else {
                Value::Null
            },
        ),
        ("p_mcnemar", if has_band { when(m.p) } else { Value::Null }),
        ("inference", text_value(inference)),
        ("thresholds_version", text_value(version)),
    ]
}
