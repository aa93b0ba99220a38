//! Service delivery by NHS quarter: referrals received (by source, need,
//! practice and PCN, with rates per 1,000 registered population), uptake and
//! timeliness.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::prelude::SessionContext;

use super::period::{Period, quarter_label};
use super::query::Query;
use super::table::{
    OutColumn, OutTable, RowSum, Sums, TableBuilder, TableDef, count, int_at, int_value, num_value,
    opt_num, poisson_lower, poisson_upper, quotient, share, statistic, text, text_value,
    wilson_lower, wilson_upper,
};
use crate::batch::Value;
use crate::error::Result;
use crate::stats::poisson::poisson_interval;
use crate::stats::proportion::wilson;

/// `queries/service_referrals.sql`.
pub const SERVICE_REFERRALS_SQL: Query = crate::measure_file!("service_referrals");

/// `queries/service_uptake.sql`.
pub const SERVICE_UPTAKE_SQL: Query = crate::measure_file!("service_uptake");

/// The lower 95% limit of referrals per 1,000 registered (`rate_lower`).
pub const REFERRAL_RATE_LOWER: OutColumn = poisson_lower(
    "rate_lower",
    "referrals",
    "population",
    1000.0,
    "Lower 95% limit (exact Poisson below 10 referrals, Byar's from 10)",
);

/// The upper 95% limit of referrals per 1,000 registered (`rate_upper`).
pub const REFERRAL_RATE_UPPER: OutColumn = poisson_upper(
    "rate_upper",
    "referrals",
    "population",
    1000.0,
    "Upper 95% limit",
);

/// The table's declaration.
pub const SERVICE_REFERRALS: TableDef = TableDef {
    name: "service_referrals",
    description: "Referrals received in one quarter, overall or for one group of one breakdown",
    queries: &[SERVICE_REFERRALS_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "quarter",
            "NHS financial-year quarter of the referral date, e.g. 2025/26 Q2",
        ),
        text(
            "breakdown",
            "all, referral_source, need, practice_code or pcn_code",
        ),
        text("group", "Group within the breakdown"),
        count("referrals", "Referrals received"),
        count(
            "population",
            "Registered population (list size) used as denominator",
        ),
        quotient(
            "rate_per_1000",
            "referrals",
            "population",
            1000.0,
            "Referrals per 1,000 registered population in the quarter",
        ),
        REFERRAL_RATE_LOWER,
        REFERRAL_RATE_UPPER,
    ],
    sums: Sums {
        breakdown_key: &["period", "quarter"],
        overlapping: &["need"],
        not_summed: &["population"],
        row_parts: &[],
    },
};

/// The table's declaration.
pub const SERVICE_UPTAKE: TableDef = TableDef {
    name: "service_uptake",
    description: "Uptake and timeliness of the referrals received in one quarter",
    queries: &[SERVICE_UPTAKE_SQL],
    columns: &[
        text("period", "Reporting period"),
        text("quarter", "NHS financial-year quarter of the referral date"),
        count("referred", "Referrals received"),
        count("accepted", "Accepted"),
        share("accepted_share", "accepted", "referred", "Share accepted"),
        wilson_lower(
            "accepted_lower",
            "accepted",
            "referred",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "accepted_upper",
            "accepted",
            "referred",
            "Upper 95% Wilson limit",
        ),
        count("declined", "Declined"),
        share("declined_share", "declined", "referred", "Share declined"),
        wilson_lower(
            "declined_lower",
            "declined",
            "referred",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "declined_upper",
            "declined",
            "referred",
            "Upper 95% Wilson limit",
        ),
        count("did_not_attend", "Did not attend / not contactable"),
        share(
            "did_not_attend_share",
            "did_not_attend",
            "referred",
            "Share who did not attend",
        ),
        wilson_lower(
            "did_not_attend_lower",
            "did_not_attend",
            "referred",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "did_not_attend_upper",
            "did_not_attend",
            "referred",
            "Upper 95% Wilson limit",
        ),
        count("no_status", "No status recorded"),
        count(
            "with_first_contact",
            "Referrals with a first contact on or after the referral date",
        ),
        statistic(
            "median_days_to_first_contact",
            &["with_first_contact"],
            "Median days from referral to first contact",
        ),
        statistic(
            "p90_days_to_first_contact",
            &["with_first_contact"],
            "90th percentile of days to first contact",
        ),
        count(
            "with_assessment",
            "Referrals with an assessment on or after the referral date",
        ),
        statistic(
            "median_days_to_first_assessment",
            &["with_assessment"],
            "Median days from referral to first assessment",
        ),
        statistic(
            "p90_days_to_first_assessment",
            &["with_assessment"],
            "90th percentile of days to first assessment",
        ),
        statistic(
            "median_episode_days",
            &["accepted"],
            "Median days from first contact to closure (closed episodes)",
        ),
        statistic(
            "mean_contacts_per_accepted",
            &["accepted"],
            "Mean link-worker contacts per accepted referral",
        ),
    ],
    sums: Sums {
        breakdown_key: &[],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[RowSum {
            parts: &[
                "referred",
                "accepted",
                "declined",
                "did_not_attend",
                "no_status",
            ],
            prefer: Some("no_status"),
        }],
    },
};

/// The service delivery tables for `period`.
pub async fn service_delivery(ctx: &SessionContext, period: &Period) -> Result<Vec<OutTable>> {
    let dates = period.parameters();
    let referrals = SERVICE_REFERRALS_SQL.run(ctx, &dates).await?;
    let uptake = SERVICE_UPTAKE_SQL.run(ctx, &dates).await?;
    Ok(vec![
        referral_table(&referrals, &period.label)?,
        uptake_table(&uptake, &period.label)?,
    ])
}

fn floats(b: &RecordBatch, name: &str, i: usize) -> Option<f64> {
    let a = crate::measures::table::column(b, name)?.as_primitive_opt::<Float64Type>()?;
    (!a.is_null(i)).then(|| a.value(i))
}

fn quarter(b: &RecordBatch, i: usize) -> String {
    quarter_label(
        int_at(b, "fy", i).unwrap_or(0),
        int_at(b, "quarter", i).unwrap_or(0),
    )
}

fn referral_table(batches: &[RecordBatch], period: &str) -> Result<OutTable> {
    let mut table = TableBuilder::new(&SERVICE_REFERRALS);
    for b in batches {
        let (Some(breakdown), Some(group)) = (
            crate::measures::table::column(b, "breakdown")
                .and_then(|c| c.as_string_opt::<i32>().cloned()),
            crate::measures::table::column(b, "group")
                .and_then(|c| c.as_string_opt::<i32>().cloned()),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            let count = int_at(b, "referrals", i).unwrap_or(0);
            let population = int_at(b, "population", i).filter(|p| *p > 0);
            let rate = |x: f64| population.map(|p| 1000.0 * x / p as f64);
            let (lower, upper) = poisson_interval(count as f64, 0.95);
            table.push_named(&[
                ("period", text_value(period)),
                ("quarter", text_value(quarter(b, i))),
                ("breakdown", text_value(breakdown.value(i))),
                ("group", text_value(group.value(i))),
                ("referrals", int_value(count)),
                ("population", population.map_or(Value::Null, Value::Int)),
                ("rate_per_1000", opt_num(rate(count as f64))),
                ("rate_lower", opt_num(lower.and_then(rate))),
                ("rate_upper", opt_num(rate(upper))),
            ]);
        }
    }
    table.finish()
}

fn uptake_table(batches: &[RecordBatch], period: &str) -> Result<OutTable> {
    let mut table = TableBuilder::new(&SERVICE_UPTAKE);
    for b in batches {
        for i in 0..b.num_rows() {
            let referred = int_at(b, "referred", i).unwrap_or(0);
            let mut row: Vec<(String, Value)> = vec![
                ("period".into(), text_value(period)),
                ("quarter".into(), text_value(quarter(b, i))),
                ("referred".into(), int_value(referred)),
            ];
            for status in ["accepted", "declined", "did_not_attend"] {
                let x = int_at(b, status, i).unwrap_or(0);
                let w = wilson(x as u64, referred as u64);
                row.extend([
                    (status.to_string(), int_value(x)),
                    (format!("{status}_share"), num_value(w.p)),
                    (format!("{status}_lower"), num_value(w.lower)),
                    (format!("{status}_upper"), num_value(w.upper)),
                ]);
            }
            for count in ["no_status", "with_first_contact", "with_assessment"] {
                row.push((count.into(), int_value(int_at(b, count, i).unwrap_or(0))));
            }
            for statistic in [
                "median_days_to_first_contact",
                "p90_days_to_first_contact",
                "median_days_to_first_assessment",
                "p90_days_to_first_assessment",
                "median_episode_days",
                "mean_contacts_per_accepted",
            ] {
                row.push((statistic.into(), opt_num(floats(b, statistic, i))));
            }
            table.push_named(&row);
        }
    }
    table.finish()
}
