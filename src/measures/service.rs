//! Service delivery by NHS quarter: referrals received (by source, need,
//! practice and PCN, with rates per 1,000 registered population), uptake and
//! timeliness.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::prelude::SessionContext;

use super::period::{Period, quarter_label};
use super::query::Query;
use super::table::{
    OutColumn, OutTable, TableBuilder, int, int_at, int_value, num, num_value, opt_num, text,
    text_value,
};
use crate::error::Result;
use crate::ingest::batch::Value;
use crate::stats::poisson::poisson_interval;
use crate::stats::proportion::wilson;

const REFERRAL_COLUMNS: &[OutColumn] = &[
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
    int("referrals", "Referrals received"),
    int(
        "population",
        "Registered population (list size) used as denominator",
    ),
    num(
        "rate_per_1000",
        "Referrals per 1,000 registered population in the quarter",
    ),
    num(
        "rate_lower",
        "Lower 95% limit (exact Poisson below 10 referrals, Byar's from 10)",
    ),
    num("rate_upper", "Upper 95% limit"),
];

const UPTAKE_COLUMNS: &[OutColumn] = &[
    text("period", "Reporting period"),
    text("quarter", "NHS financial-year quarter of the referral date"),
    int("referred", "Referrals received"),
    int("accepted", "Accepted"),
    num("accepted_share", "Share accepted"),
    num("accepted_lower", "Lower 95% Wilson limit"),
    num("accepted_upper", "Upper 95% Wilson limit"),
    int("declined", "Declined"),
    num("declined_share", "Share declined"),
    num("declined_lower", "Lower 95% Wilson limit"),
    num("declined_upper", "Upper 95% Wilson limit"),
    int("did_not_attend", "Did not attend / not contactable"),
    num("did_not_attend_share", "Share who did not attend"),
    num("did_not_attend_lower", "Lower 95% Wilson limit"),
    num("did_not_attend_upper", "Upper 95% Wilson limit"),
    int("no_status", "No status recorded"),
    int(
        "with_first_contact",
        "Referrals with a first contact on or after the referral date",
    ),
    num(
        "median_days_to_first_contact",
        "Median days from referral to first contact",
    ),
    num(
        "p90_days_to_first_contact",
        "90th percentile of days to first contact",
    ),
    int(
        "with_assessment",
        "Referrals with an assessment on or after the referral date",
    ),
    num(
        "median_days_to_first_assessment",
        "Median days from referral to first assessment",
    ),
    num(
        "p90_days_to_first_assessment",
        "90th percentile of days to first assessment",
    ),
    num(
        "median_episode_days",
        "Median days from first contact to closure (closed episodes)",
    ),
    num(
        "mean_contacts_per_accepted",
        "Mean link-worker contacts per accepted referral",
    ),
];

/// The service delivery tables for `period`.
pub async fn service_delivery(ctx: &SessionContext, period: &Period) -> Result<Vec<OutTable>> {
    let dates = period.parameters();
    let referrals = Query::named("service_referrals").run(ctx, &dates).await?;
    let uptake = Query::named("service_uptake").run(ctx, &dates).await?;
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
    let mut table = TableBuilder::new(
        "service_referrals",
        "Referrals received in one quarter, overall or for one group of one breakdown",
        REFERRAL_COLUMNS,
    );
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
    let mut table = TableBuilder::new(
        "service_uptake",
        "Uptake and timeliness of the referrals received in one quarter",
        UPTAKE_COLUMNS,
    );
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
