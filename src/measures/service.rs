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

/// The breakdown of a referrals table's row.
const BREAKDOWN: OutColumn = text(
    "breakdown",
    "all, referral_source, need, practice_code or pcn_code",
);

/// The group within it.
const GROUP: OutColumn = text("group", "Group within the breakdown");

/// The registered population a referrals table's rates are per.
const POPULATION: OutColumn = count(
    "population",
    "Registered population (list size) used as denominator",
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
        BREAKDOWN,
        GROUP,
        count("referrals", "Referrals received"),
        POPULATION,
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
pub const SERVICE_REFERRALS_PERIOD: TableDef = TableDef {
    name: "service_referrals_period",
    description: "Referrals received in the whole period, overall or for one group of one breakdown (service_referrals' quarters added up)",
    queries: &[SERVICE_REFERRALS_SQL],
    columns: &[
        text("period", "Reporting period"),
        BREAKDOWN,
        GROUP,
        count("referrals", "Referrals received in the period"),
        POPULATION,
        quotient(
            "rate_per_1000",
            "referrals",
            "population",
            1000.0,
            "Referrals per 1,000 registered population in the period, not annualised",
        ),
        REFERRAL_RATE_LOWER,
        REFERRAL_RATE_UPPER,
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &["need"],
        not_summed: &["population"],
        row_parts: &[],
    },
};

/// The columns of the uptake tables, by quarter and for the whole period.
const UPTAKE_COLUMNS: &[OutColumn] = &[
    text("period", "Reporting period"),
    text(
        "quarter",
        "NHS financial-year quarter of the referral date ('whole period' in service_uptake_period)",
    ),
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
];

/// The statuses of the uptake tables add up to the referrals.
const UPTAKE_SUMS: Sums = Sums {
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
};

/// The table's declaration.
pub const SERVICE_UPTAKE: TableDef = TableDef {
    name: "service_uptake",
    description: "Uptake and timeliness of the referrals received in one quarter",
    queries: &[SERVICE_UPTAKE_SQL],
    columns: UPTAKE_COLUMNS,
    sums: UPTAKE_SUMS,
};

/// The table's declaration.
pub const SERVICE_UPTAKE_PERIOD: TableDef = TableDef {
    name: "service_uptake_period",
    description: "Uptake and timeliness of the referrals received in the whole period (its medians from the referrals themselves, not the quarters')",
    queries: &[SERVICE_UPTAKE_SQL],
    columns: UPTAKE_COLUMNS,
    sums: UPTAKE_SUMS,
};

/// The service delivery tables for `period`.
pub async fn service_delivery(ctx: &SessionContext, period: &Period) -> Result<Vec<OutTable>> {
    let dates = period.parameters();
    let referrals = SERVICE_REFERRALS_SQL.run(ctx, &dates).await?;
    let uptake = SERVICE_UPTAKE_SQL.run(ctx, &dates).await?;
    let rows = referral_rows(&referrals);
    Ok(vec![
        referral_table(&rows, &period.label)?,
        period_table(&rows, &period.label)?,
        uptake_table(&uptake, &period.label, false)?,
        uptake_table(&uptake, &period.label, true)?,
    ])
}

/// One row of `queries/service_referrals.sql`.
#[derive(Debug, Clone, PartialEq)]
struct ReferralRow {
    quarter: String,
    breakdown: String,
    group: String,
    referrals: i64,
    population: Option<i64>,
}

fn referral_rows(batches: &[RecordBatch]) -> Vec<ReferralRow> {
    let mut rows = Vec::new();
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
            rows.push(ReferralRow {
                quarter: quarter(b, i),
                breakdown: breakdown.value(i).to_string(),
                group: group.value(i).to_string(),
                referrals: int_at(b, "referrals", i).unwrap_or(0),
                population: int_at(b, "population", i).filter(|p| *p > 0),
            });
        }
    }
    rows
}

/// The count, population and rate cells of one referral row (rate per 1,000
/// registered with its exact/Byar Poisson limits).
fn referral_cells(referrals: i64, population: Option<i64>) -> [(&'static str, Value); 5] {
    let rate = |x: f64| population.map(|p| 1000.0 * x / p as f64);
    let (lower, upper) = poisson_interval(referrals as f64, 0.95);
    [
        ("referrals", int_value(referrals)),
        ("population", population.map_or(Value::Null, Value::Int)),
        ("rate_per_1000", opt_num(rate(referrals as f64))),
        ("rate_lower", opt_num(lower.and_then(rate))),
        ("rate_upper", opt_num(rate(upper))),
    ]
}

/// The quarters added up: one row per breakdown and group, in that order,
/// with the population as given (the same in every quarter).
fn period_rows(rows: &[ReferralRow]) -> Vec<(String, String, i64, Option<i64>)> {
    let mut totals: std::collections::BTreeMap<(&str, &str), (i64, Option<i64>)> =
        Default::default();
    for r in rows {
        totals
            .entry((&r.breakdown, &r.group))
            .or_insert((0, r.population))
            .0 += r.referrals;
    }
    totals
        .into_iter()
        .map(|((breakdown, group), (referrals, population))| {
            (
                breakdown.to_string(),
                group.to_string(),
                referrals,
                population,
            )
        })
        .collect()
}

fn period_table(rows: &[ReferralRow], period: &str) -> Result<OutTable> {
    let mut table = TableBuilder::new(&SERVICE_REFERRALS_PERIOD);
    for (breakdown, group, referrals, population) in period_rows(rows) {
        let mut row = vec![
            ("period", text_value(period)),
            ("breakdown", text_value(&breakdown)),
            ("group", text_value(&group)),
        ];
        row.extend(referral_cells(referrals, population));
        table.push_named(&row);
    }
    table.finish()
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

fn referral_table(rows: &[ReferralRow], period: &str) -> Result<OutTable> {
    let mut table = TableBuilder::new(&SERVICE_REFERRALS);
    for r in rows {
        let mut row = vec![
            ("period", text_value(period)),
            ("quarter", text_value(&r.quarter)),
            ("breakdown", text_value(&r.breakdown)),
            ("group", text_value(&r.group)),
        ];
        row.extend(referral_cells(r.referrals, r.population));
        table.push_named(&row);
    }
    table.finish()
}

/// `service_uptake` (each quarter's row of the query) or, `whole`,
/// `service_uptake_period` (its row without a quarter).
fn uptake_table(batches: &[RecordBatch], period: &str, whole: bool) -> Result<OutTable> {
    let mut table = TableBuilder::new(if whole {
        &SERVICE_UPTAKE_PERIOD
    } else {
        &SERVICE_UPTAKE
    });
    for b in batches {
        for i in 0..b.num_rows() {
            if int_at(b, "fy", i).is_none() != whole {
                continue;
            }
            let referred = int_at(b, "referred", i).unwrap_or(0);
            let mut row: Vec<(String, Value)> = vec![
                ("period".into(), text_value(period)),
                (
                    "quarter".into(),
                    text_value(if whole {
                        "whole period".to_string()
                    } else {
                        quarter(b, i)
                    }),
                ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(quarter: &str, breakdown: &str, group: &str, referrals: i64) -> ReferralRow {
        ReferralRow {
            quarter: quarter.into(),
            breakdown: breakdown.into(),
            group: group.into(),
            referrals,
            population: Some(3640),
        }
    }

    #[test]
    fn the_period_adds_up_each_group_over_its_quarters() {
        let rows = vec![
            row("2024/25 Q1", "all", "all", 210),
            row("2024/25 Q1", "referral_source", "pharmacy", 10),
            row("2024/25 Q2", "all", "all", 215),
            row("2024/25 Q2", "referral_source", "general_practice", 120),
            row("2024/25 Q2", "referral_source", "pharmacy", 3),
        ];
        assert_eq!(
            period_rows(&rows),
            vec![
                ("all".into(), "all".into(), 425, Some(3640)),
                (
                    "referral_source".into(),
                    "general_practice".into(),
                    120,
                    Some(3640)
                ),
                ("referral_source".into(), "pharmacy".into(), 13, Some(3640)),
            ]
        );
    }
}
