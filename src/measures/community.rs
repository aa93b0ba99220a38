//! Impact on community groups: the VCSE organisations people were connected to.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::prelude::SessionContext;

use super::period::Period;
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_at, int_label, int_value, num_value,
    quotient, share, text, text_value, wilson_lower, wilson_upper,
};
use crate::error::Result;
use crate::stats::proportion::wilson;

/// `queries/community_organisations.sql`.
pub const COMMUNITY_ORGANISATIONS_SQL: Query = crate::measure_file!("community_organisations");

/// The table's declaration.
pub const COMMUNITY_ORGANISATIONS: TableDef = TableDef {
    name: "community_organisations",
    description: "One organisation that received onward referrals in the period",
    queries: &[COMMUNITY_ORGANISATIONS_SQL],
    columns: &[
        text("period", "Reporting period"),
        text("organisation_id", "Organisation id"),
        text("name", "Organisation name as recorded (user text)"),
        text("category", "Organisation category"),
        count(
            "onward_referrals",
            "Onward referrals to it dated in the period",
        ),
        count("people", "Distinct people referred to it"),
        count("attended", "Onward referrals attended at least once"),
        count(
            "attendance_unknown",
            "Onward referrals with no attendance recorded",
        ),
        int_label("new_group", "1 if the group started in the period"),
        int_label(
            "newly_appearing",
            "1 if its first onward referral ever is in the period",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const COMMUNITY_SUMMARY: TableDef = TableDef {
    name: "community_summary",
    description: "Impact on community groups in the period",
    queries: &[COMMUNITY_ORGANISATIONS_SQL],
    columns: &[
        text("period", "Reporting period"),
        int_label(
            "organisations",
            "Organisations receiving at least one onward referral",
        ),
        count("onward_referrals", "Onward referrals dated in the period"),
        quotient(
            "referrals_per_organisation",
            "onward_referrals",
            "organisations",
            1.0,
            "Mean onward referrals per organisation receiving any",
        ),
        int_label(
            "new_groups",
            "Groups that started in the period and received referrals",
        ),
        int_label(
            "newly_appearing",
            "Organisations receiving their first onward referral ever in the period",
        ),
        count("attended", "Onward referrals attended at least once"),
        count(
            "attendance_recorded",
            "Onward referrals with attendance recorded",
        ),
        share(
            "attended_share",
            "attended",
            "attendance_recorded",
            "Share attended, of those with attendance recorded",
        ),
        wilson_lower(
            "attended_lower",
            "attended",
            "attendance_recorded",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "attended_upper",
            "attended",
            "attendance_recorded",
            "Upper 95% Wilson limit",
        ),
    ],
    sums: Sums::NONE,
};

/// The community-group tables for `period`.
pub async fn community_groups(ctx: &SessionContext, period: &Period) -> Result<Vec<OutTable>> {
    let dates = period.parameters();
    let batches = COMMUNITY_ORGANISATIONS_SQL.run(ctx, &dates).await?;
    let mut organisations = TableBuilder::new(&COMMUNITY_ORGANISATIONS);
    let mut totals = [0i64; 6]; // organisations, referrals, new, newly appearing, attended, unknown
    for b in &batches {
        let text_col = |name: &str| {
            crate::measures::table::column(b, name).and_then(|c| c.as_string_opt::<i32>().cloned())
        };
        let int_of = |name: &str, i: usize| -> i64 { int_at(b, name, i).unwrap_or(0) };
        let (Some(id), Some(name), Some(category)) = (
            text_col("organisation_id"),
            text_col("name"),
            text_col("category"),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            const COUNTS: [&str; 6] = [
                "onward_referrals",
                "people",
                "attended",
                "attendance_unknown",
                "new_group",
                "newly_appearing",
            ];
            let [onward, people, attended, unknown, new_group, newly] =
                COUNTS.map(|c| int_of(c, i));
            totals[0] += 1;
            totals[1] += onward;
            totals[2] += new_group;
            totals[3] += newly;
            totals[4] += attended;
            totals[5] += unknown;
            let category = if category.is_null(i) {
                crate::batch::Value::Null
            } else {
                text_value(category.value(i))
            };
            let mut row = vec![
                ("period", text_value(&period.label)),
                ("organisation_id", text_value(id.value(i))),
                ("name", text_value(name.value(i))),
                ("category", category),
            ];
            row.extend(
                COUNTS
                    .iter()
                    .zip([onward, people, attended, unknown, new_group, newly])
                    .map(|(c, v)| (*c, int_value(v))),
            );
            organisations.push_named(&row);
        }
    }
    let recorded = totals[1] - totals[5];
    let share = wilson(totals[4].max(0) as u64, recorded.max(0) as u64);
    let mut summary = TableBuilder::new(&COMMUNITY_SUMMARY);
    summary.push_named(&[
        ("period", text_value(&period.label)),
        ("organisations", int_value(totals[0])),
        ("onward_referrals", int_value(totals[1])),
        (
            "referrals_per_organisation",
            num_value(if totals[0] > 0 {
                totals[1] as f64 / totals[0] as f64
            } else {
                f64::NAN
            }),
        ),
        ("new_groups", int_value(totals[2])),
        ("newly_appearing", int_value(totals[3])),
        ("attended", int_value(totals[4])),
        ("attendance_recorded", int_value(recorded)),
        ("attended_share", num_value(share.p)),
        ("attended_lower", num_value(share.lower)),
        ("attended_upper", num_value(share.upper)),
    ]);
    Ok(vec![summary.finish()?, organisations.finish()?])
}
