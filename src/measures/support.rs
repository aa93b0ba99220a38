//! Support offered (onward referrals, people connected, activity types) and
//! link-worker caseload against NHS England's guide.

use crate::measures::table::OutColumn;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

use super::period::{Period, quarter_label};
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_at, int_value, num_value, quotient, scaled,
    share, text, text_column, text_value, wilson_lower, wilson_upper,
};
use crate::error::Result;
use crate::stats::proportion::wilson;

/// NHS England's guide to a full-time link worker's caseload, people a year.
pub const CASELOAD_GUIDE: (f64, f64) = (200.0, 250.0);

/// `queries/link_worker_caseload.sql`.
pub const LINK_WORKER_CASELOAD_SQL: Query = crate::measure_file!("link_worker_caseload");

/// `queries/support_offered.sql`.
pub const SUPPORT_OFFERED_SQL: Query = crate::measure_file!("support_offered");

/// The table's declaration.
pub const LINK_WORKER_CASELOAD: TableDef = TableDef {
    name: "link_worker_caseload",
    description: "One link worker's referrals and annualised caseload",
    queries: &[LINK_WORKER_CASELOAD_SQL],
    columns: &[
        text("period", "Reporting period"),
        text("link_worker_id", "Link worker"),
        count("referrals", "Referrals received in the period"),
        count("accepted", "Referrals accepted"),
        count("people", "Distinct people referred"),
        scaled(
            "caseload_per_year",
            "accepted",
            "Accepted referrals per year (accepted × 365 / days in the period)",
        ),
        text(
            "against_guide",
            "below, within or above the 200-250 a year guide",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const SUPPORT_OFFERED: TableDef = TableDef {
    name: "support_offered",
    description: "Support offered to the accepted referrals of one quarter",
    queries: &[SUPPORT_OFFERED_SQL],
    columns: SUPPORT_COLUMNS,
    sums: Sums::NONE,
};

/// The table's declaration.
pub const SUPPORT_OFFERED_PERIOD: TableDef = TableDef {
    name: "support_offered_period",
    description: "Support offered to the accepted referrals of the whole period (support_offered's quarters added up)",
    queries: &[SUPPORT_OFFERED_SQL],
    columns: SUPPORT_COLUMNS,
    sums: Sums::NONE,
};

/// The columns of the support tables, by quarter and for the whole period.
const SUPPORT_COLUMNS: &[OutColumn] = &[
    text("period", "Reporting period"),
    text(
        "quarter",
        "NHS financial-year quarter of the referral date ('whole period' in support_offered_period)",
    ),
    text("activity_type", "'all', or one activity type"),
    count(
        "accepted",
        "Accepted referrals (with an onward referral of this type, for a type)",
    ),
    count("onward_referrals", "Onward referrals"),
    quotient(
        "onward_per_accepted",
        "onward_referrals",
        "accepted",
        1.0,
        "Onward referrals per accepted referral",
    ),
    count(
        "connected",
        "Accepted referrals with at least one onward referral attended ('all'), or attended onward referrals (a type)",
    ),
    count(
        "connected_of",
        "What connected is counted out of: accepted ('all') or onward_referrals (a type)",
    ),
    share(
        "connected_share",
        "connected",
        "connected_of",
        "connected / connected_of",
    ),
    wilson_lower(
        "connected_lower",
        "connected",
        "connected_of",
        "Lower 95% Wilson limit",
    ),
    wilson_upper(
        "connected_upper",
        "connected",
        "connected_of",
        "Upper 95% Wilson limit",
    ),
];

fn int_of(b: &RecordBatch, name: &str, i: usize) -> i64 {
    int_at(b, name, i).unwrap_or(0)
}

/// One row of the support tables.
fn support_row(
    period: &str,
    quarter: &str,
    activity: &str,
    [accepted, onward, connected]: [i64; 3],
) -> Vec<(&'static str, crate::batch::Value)> {
    let of = if activity == "all" { accepted } else { onward };
    let share = wilson(connected as u64, of as u64);
    vec![
        ("period", text_value(period)),
        ("quarter", text_value(quarter)),
        ("activity_type", text_value(activity)),
        ("accepted", int_value(accepted)),
        ("onward_referrals", int_value(onward)),
        (
            "onward_per_accepted",
            num_value(if accepted > 0 {
                onward as f64 / accepted as f64
            } else {
                f64::NAN
            }),
        ),
        ("connected", int_value(connected)),
        ("connected_of", int_value(of)),
        ("connected_share", num_value(share.p)),
        ("connected_lower", num_value(share.lower)),
        ("connected_upper", num_value(share.upper)),
    ]
}

/// The caseload and support-offered tables for `period`.
pub async fn support(ctx: &SessionContext, period: &Period) -> Result<Vec<OutTable>> {
    let dates = period.parameters();
    let days = (period.end - period.start).num_days() as f64 + 1.0;
    let mut caseload = TableBuilder::new(&LINK_WORKER_CASELOAD);
    for b in &LINK_WORKER_CASELOAD_SQL.run(ctx, &dates).await? {
        let Some(worker) = text_column(b, "link_worker_id") else {
            continue;
        };
        for i in 0..b.num_rows() {
            let accepted = int_of(b, "accepted", i);
            let per_year = accepted as f64 * 365.0 / days;
            let against = if per_year < CASELOAD_GUIDE.0 {
                "below"
            } else if per_year > CASELOAD_GUIDE.1 {
                "above"
            } else {
                "within"
            };
            caseload.push_named(&[
                ("period", text_value(&period.label)),
                ("link_worker_id", text_value(worker.value(i))),
                ("referrals", int_value(int_of(b, "referrals", i))),
                ("accepted", int_value(accepted)),
                ("people", int_value(int_of(b, "people", i))),
                ("caseload_per_year", num_value(per_year)),
                ("against_guide", text_value(against)),
            ]);
        }
    }
    // (quarter, activity type) → (accepted, onward referrals, connected).
    let mut rows: Vec<(String, String, [i64; 3])> = Vec::new();
    for b in &SUPPORT_OFFERED_SQL.run(ctx, &dates).await? {
        let Some(activity) = text_column(b, "activity_type") else {
            continue;
        };
        for i in 0..b.num_rows() {
            rows.push((
                quarter_label(int_of(b, "fy", i), int_of(b, "quarter", i)),
                activity.value(i).to_string(),
                [
                    int_of(b, "accepted", i),
                    int_of(b, "onward_referrals", i),
                    int_of(b, "connected", i),
                ],
            ));
        }
    }
    // The whole period: each activity type's quarters added up (a referral
    // belongs to one quarter, so its counts add).
    let mut whole: std::collections::BTreeMap<&str, [i64; 3]> = Default::default();
    for (_, activity, counts) in &rows {
        let sum = whole.entry(activity.as_str()).or_default();
        for (s, c) in sum.iter_mut().zip(counts) {
            *s += c;
        }
    }
    let mut offered = TableBuilder::new(&SUPPORT_OFFERED);
    for (quarter, activity, counts) in &rows {
        offered.push_named(&support_row(&period.label, quarter, activity, *counts));
    }
    let mut period_offered = TableBuilder::new(&SUPPORT_OFFERED_PERIOD);
    // `all` first, as in the quarters.
    let mut activities: Vec<&&str> = whole.keys().collect();
    activities.sort_by_key(|a| (**a != "all", **a));
    for activity in activities {
        period_offered.push_named(&support_row(
            &period.label,
            "whole period",
            activity,
            whole[*activity],
        ));
    }
    Ok(vec![
        caseload.finish()?,
        offered.finish()?,
        period_offered.finish()?,
    ])
}
