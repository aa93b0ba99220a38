//! Data quality: completeness, impossible date orders and possible duplicates,
//! overall, by practice and by link worker.

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::prelude::SessionContext;

use super::period::{OutcomeCohort, Period};
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_at, int_value, num_value, share, text,
    text_value,
};
use crate::error::Result;

/// Counted items: (column, denominator column, description of the share).
const ITEMS: [(&str, &str, &str); 9] = [
    (
        "ethnicity_recorded",
        "referrals",
        "ethnicity recorded (not 'not known')",
    ),
    (
        "imd_recorded",
        "referrals",
        "IMD decile recorded or looked up",
    ),
    ("source_recorded", "referrals", "referral source recorded"),
    ("status_recorded", "referrals", "status recorded"),
    (
        "baseline_recorded",
        "outcome_accepted",
        "accepted referrals in the outcome cohort (closed in the period, or received in it: see the outcome_cohort column) with a baseline assessment",
    ),
    (
        "follow_up_recorded",
        "outcome_accepted",
        "accepted referrals in the outcome cohort (closed in the period, or received in it: see the outcome_cohort column) with a follow-up assessment",
    ),
    (
        "impossible_date_order",
        "referrals",
        "referrals with an impossible date order",
    ),
    (
        "possible_duplicate",
        "referrals",
        "referrals with another for the same person on the same day",
    ),
    ("accepted", "referrals", "referrals accepted"),
];

/// `queries/data_quality.sql`.
pub const DATA_QUALITY_SQL: Query = crate::measure_file!("data_quality");

/// The table's declaration.
pub const DATA_QUALITY: TableDef = TableDef {
    name: "data_quality",
    description: "One data quality item for one group of referrals",
    queries: &[DATA_QUALITY_SQL],
    columns: &[
        text("period", "Reporting period"),
        text("breakdown", "all, practice_code or link_worker_id"),
        text("group", "Group within the breakdown"),
        text("item", "What is counted"),
        text("description", "What the share means"),
        count("count", "Referrals with the item"),
        count("denominator", "Referrals it is a share of"),
        share("share", "count", "denominator", "count / denominator"),
        text(
            "outcome_cohort",
            "Outcome items count accepted referrals closed in the period (default) or received in it; the other items, referrals received in it",
        ),
    ],
    sums: Sums {
        breakdown_key: &["period", "item"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

/// The headline counts of referrals in `period` (the data quality query's
/// `all` row), as [`data_quality`] publishes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overall {
    /// Referrals received in the period.
    pub referrals: i64,
    /// Of them, accepted.
    pub accepted: i64,
    /// Accepted referrals in the outcome cohort.
    pub outcome_accepted: i64,
    /// Of them, with a follow-up assessment.
    pub follow_up_recorded: i64,
}

/// [`Overall`] for `period`.
pub async fn overall(
    ctx: &SessionContext,
    period: &Period,
    cohort: OutcomeCohort,
) -> Result<Overall> {
    let batches = DATA_QUALITY_SQL
        .run(ctx, &period.outcome_parameters(cohort))
        .await?;
    Ok(overall_of(&batches))
}

/// [`Overall`] from the data quality query's rows: its `all` row.
fn overall_of(batches: &[RecordBatch]) -> Overall {
    for b in batches {
        let Some(breakdown) =
            crate::measures::table::column(b, "breakdown").and_then(|c| c.as_string_opt::<i32>())
        else {
            continue;
        };
        if let Some(i) = (0..b.num_rows()).find(|&i| breakdown.value(i) == "all") {
            let count = |name: &str| int_at(b, name, i).unwrap_or(0);
            return Overall {
                referrals: count("referrals"),
                accepted: count("accepted"),
                outcome_accepted: count("outcome_accepted"),
                follow_up_recorded: count("follow_up_recorded"),
            };
        }
    }
    Overall::default()
}

/// The data quality table for `period`, with the outcome items over
/// `cohort`, and the period's [`Overall`] from the same query (the
/// comparisons over time set it beside earlier periods').
pub async fn data_quality(
    ctx: &SessionContext,
    period: &Period,
    cohort: OutcomeCohort,
) -> Result<(Vec<OutTable>, Overall)> {
    let params = period.outcome_parameters(cohort);
    let batches = DATA_QUALITY_SQL.run(ctx, &params).await?;
    let mut table = TableBuilder::new(&DATA_QUALITY);
    for b in &batches {
        let text_col = |name: &str| {
            crate::measures::table::column(b, name).and_then(|c| c.as_string_opt::<i32>().cloned())
        };
        let (Some(breakdown), Some(group)) = (text_col("breakdown"), text_col("group")) else {
            continue;
        };
        let count = |name: &str, i: usize| -> i64 { int_at(b, name, i).unwrap_or(0) };
        for i in 0..b.num_rows() {
            for (item, denominator, description) in ITEMS {
                let (x, n) = (count(item, i), count(denominator, i));
                table.push_named(&[
                    ("period", text_value(&period.label)),
                    ("breakdown", text_value(breakdown.value(i))),
                    ("group", text_value(group.value(i))),
                    ("item", text_value(item)),
                    ("description", text_value(description)),
                    ("count", int_value(x)),
                    ("denominator", int_value(n)),
                    (
                        "share",
                        num_value(if n > 0 { x as f64 / n as f64 } else { f64::NAN }),
                    ),
                    ("outcome_cohort", text_value(cohort.label())),
                ]);
            }
        }
    }
    Ok((vec![table.finish()?], overall_of(&batches)))
}
