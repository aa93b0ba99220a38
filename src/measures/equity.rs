//! Equity: who is referred, declined and completes outcomes, by age band, sex,
//! ethnic group, IMD quintile and Core20, against the registered population.

use datafusion::prelude::SessionContext;

use super::period::{OutcomeCohort, Period};
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_at, int_value, num_value, opt_num,
    poisson_lower, poisson_upper, quotient, rate_ratio_lower, rate_ratio_upper, share, text,
    text_column, text_value, wilson_lower, wilson_upper,
};
use crate::batch::Value;
use crate::error::Result;
use crate::stats::poisson::{poisson_interval, rate_ratio};
use crate::stats::proportion::wilson;

/// `queries/equity.sql`.
pub const EQUITY_SQL: Query = crate::measure_file!("equity");

/// The table's declaration.
pub const EQUITY: TableDef = TableDef {
    name: "equity",
    description: "Referral, decline and outcome completion for one group",
    queries: &[EQUITY_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "breakdown",
            "age_band, sex, ethnic_group, imd_quintile or core20",
        ),
        text("group", "Group within the breakdown"),
        count("referrals", "Referrals received in the period"),
        count(
            "population",
            "Registered population in the group (see the measure's definition)",
        ),
        quotient(
            "rate_per_1000",
            "referrals",
            "population",
            1000.0,
            "Referrals per 1,000 registered in the period",
        ),
        poisson_lower(
            "rate_lower",
            "referrals",
            "population",
            1000.0,
            "Lower 95% limit (exact Poisson below 10, Byar's from 10)",
        ),
        poisson_upper(
            "rate_upper",
            "referrals",
            "population",
            1000.0,
            "Upper 95% limit",
        ),
        super::table::rate_ratio(
            "rate_ratio",
            "referrals",
            "population",
            &["period", "breakdown"],
            "group",
            "Referral rate against everyone else in the breakdown with a known population (as published: everyone else whose referrals and population are shown)",
        ),
        rate_ratio_lower(
            "rate_ratio_lower",
            "referrals",
            "population",
            &["period", "breakdown"],
            "group",
            "Lower 95% limit (log-normal)",
        ),
        rate_ratio_upper(
            "rate_ratio_upper",
            "referrals",
            "population",
            &["period", "breakdown"],
            "group",
            "Upper 95% limit",
        ),
        count("declined", "Referrals declined"),
        share(
            "declined_share",
            "declined",
            "referrals",
            "Share of referrals declined",
        ),
        wilson_lower(
            "declined_lower",
            "declined",
            "referrals",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "declined_upper",
            "declined",
            "referrals",
            "Upper 95% Wilson limit",
        ),
        count("accepted", "Referrals accepted"),
        text(
            "outcome_cohort",
            "Outcome completion counts accepted referrals closed in the period (default) or received in it",
        ),
        count(
            "outcome_accepted",
            "Accepted referrals in the outcome cohort",
        ),
        count(
            "completed",
            "Of those, referrals with a follow-up assessment",
        ),
        share(
            "completed_share",
            "completed",
            "outcome_accepted",
            "Share of accepted referrals in the outcome cohort with a follow-up",
        ),
        wilson_lower(
            "completed_lower",
            "completed",
            "outcome_accepted",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "completed_upper",
            "completed",
            "outcome_accepted",
            "Upper 95% Wilson limit",
        ),
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

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
    let batches = EQUITY_SQL.run(ctx, &params).await?;
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
    let mut table = TableBuilder::new(&EQUITY);
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
