//! Equity: who is referred, declined and completes outcomes, by age band, sex,
//! ethnic group, IMD quintile and Core20, against the registered population.

use datafusion::prelude::SessionContext;

use super::period::{OutcomeCohort, Period};
use super::query::Query;
use super::table::{
    OutColumn, OutTable, TableBuilder, int, int_at, int_value, num, num_value, opt_num, text,
    text_column, text_value,
};
use crate::error::Result;
use crate::ingest::batch::Value;
use crate::stats::poisson::{poisson_interval, rate_ratio};
use crate::stats::proportion::wilson;

const COLUMNS: &[OutColumn] = &[
    text("period", "Reporting period"),
    text(
        "breakdown",
        "age_band, sex, ethnic_group, imd_quintile or core20",
    ),
    text("group", "Group within the breakdown"),
    int("referrals", "Referrals received in the period"),
    int(
        "population",
        "Registered population in the group (see the measure's definition)",
    ),
    num(
        "rate_per_1000",
        "Referrals per 1,000 registered in the period",
    ),
    num(
        "rate_lower",
        "Lower 95% limit (exact Poisson below 10, Byar's from 10)",
    ),
    num("rate_upper", "Upper 95% limit"),
    num(
        "rate_ratio",
        "Referral rate against everyone else in the breakdown with a known population (as published: everyone else whose referrals and population are shown)",
    ),
    num("rate_ratio_lower", "Lower 95% limit (log-normal)"),
    num("rate_ratio_upper", "Upper 95% limit"),
    int("declined", "Referrals declined"),
    num("declined_share", "Share of referrals declined"),
    num("declined_lower", "Lower 95% Wilson limit"),
    num("declined_upper", "Upper 95% Wilson limit"),
    int("accepted", "Referrals accepted"),
    text(
        "outcome_cohort",
        "Outcome completion counts accepted referrals closed in the period (default) or received in it",
    ),
    int(
        "outcome_accepted",
        "Accepted referrals in the outcome cohort",
    ),
    int(
        "completed",
        "Of those, referrals with a follow-up assessment",
    ),
    num(
        "completed_share",
        "Share of accepted referrals in the outcome cohort with a follow-up",
    ),
    num("completed_lower", "Lower 95% Wilson limit"),
    num("completed_upper", "Upper 95% Wilson limit"),
];

struct Row {
    breakdown: String,
    group: String,
    referrals: i64,
    declined: i64,
    accepted: i64,
    outcome_accepted: i64,
    completed: i64,
    population: Option<i64>,
}

/// The equity table for `period`, with outcome completion over `cohort`.
pub async fn equity(
    ctx: &SessionContext,
    period: &Period,
    cohort: OutcomeCohort,
) -> Result<Vec<OutTable>> {
    let params = period.outcome_parameters(cohort);
    let batches = Query::named("equity").run(ctx, &params).await?;
    let mut rows = Vec::new();
    for b in &batches {
        let (Some(breakdown), Some(group)) = (text_column(b, "breakdown"), text_column(b, "group"))
        else {
            continue;
        };
        let int_of = |name: &str, i: usize| -> Option<i64> { int_at(b, name, i) };
        for i in 0..b.num_rows() {
            rows.push(Row {
                breakdown: breakdown.value(i).to_string(),
                group: group.value(i).to_string(),
                referrals: int_of("referrals", i).unwrap_or(0),
                declined: int_of("declined", i).unwrap_or(0),
                accepted: int_of("accepted", i).unwrap_or(0),
                outcome_accepted: int_of("outcome_accepted", i).unwrap_or(0),
                completed: int_of("completed", i).unwrap_or(0),
                population: int_of("population", i).filter(|p| *p > 0),
            });
        }
    }
    let mut table = TableBuilder::new(
        "equity",
        "Referral, decline and outcome completion for one group",
        COLUMNS,
    );
    for r in &rows {
        // Everyone else in the same breakdown whose population is known.
        let (others_x, others_n) = rows
            .iter()
            .filter(|o| o.breakdown == r.breakdown && o.group != r.group && o.population.is_some())
            .fold((0i64, 0i64), |(x, n), o| {
                (x + o.referrals, n + o.population.unwrap_or(0))
            });
        let rate = |x: f64| r.population.map(|p| 1000.0 * x / p as f64);
        let (lower, upper) = poisson_interval(r.referrals as f64, 0.95);
        let ratio = r.population.and_then(|p| {
            rate_ratio(
                r.referrals as f64,
                p as f64,
                others_x as f64,
                others_n as f64,
            )
        });
        let declined = wilson(r.declined as u64, r.referrals as u64);
        let completed = wilson(r.completed as u64, r.outcome_accepted as u64);
        table.push_named(&[
            ("period", text_value(&period.label)),
            ("breakdown", text_value(&r.breakdown)),
            ("group", text_value(&r.group)),
            ("referrals", int_value(r.referrals)),
            ("population", r.population.map_or(Value::Null, Value::Int)),
            ("rate_per_1000", opt_num(rate(r.referrals as f64))),
            ("rate_lower", opt_num(lower.and_then(rate))),
            ("rate_upper", opt_num(rate(upper))),
            ("rate_ratio", opt_num(ratio.map(|x| x.0))),
            ("rate_ratio_lower", opt_num(ratio.map(|x| x.1))),
            ("rate_ratio_upper", opt_num(ratio.map(|x| x.2))),
            ("declined", int_value(r.declined)),
            ("declined_share", num_value(declined.p)),
            ("declined_lower", num_value(declined.lower)),
            ("declined_upper", num_value(declined.upper)),
            ("accepted", int_value(r.accepted)),
            ("outcome_cohort", text_value(cohort.label())),
            ("outcome_accepted", int_value(r.outcome_accepted)),
            ("completed", int_value(r.completed)),
            ("completed_share", num_value(completed.p)),
            ("completed_lower", num_value(completed.lower)),
            ("completed_upper", num_value(completed.upper)),
        ]);
    }
    Ok(vec![table.finish()?])
}
