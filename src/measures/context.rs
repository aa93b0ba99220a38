//! Published context beside the measures: the names of the practices and
//! PCNs in the data (from the ODS files given at ingest), and the ONS4 means
//! of England and of the scheme's local authority (from the ONS personal
//! well-being estimates). Neither is a figure about the cohort: both are
//! published as the files give them.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Date32Type, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, date, int_at, int_label, int_value, num_label, text,
    text_column, text_value,
};
use crate::batch::Value;
use crate::error::Result;

/// `queries/organisation_names.sql`.
pub const ORGANISATION_NAMES_SQL: Query = crate::measure_file!("organisation_names");

/// `queries/wellbeing_estimates.sql`.
pub const WELLBEING_ESTIMATES_SQL: Query = crate::measure_file!("wellbeing_estimates");

/// `queries/denominators.sql`.
pub const DENOMINATORS_SQL: Query = crate::measure_file!("denominators");

/// The table's declaration.
pub const DENOMINATORS: TableDef = TableDef {
    name: "denominators",
    description: "Where the registered population that referral rates are per 1,000 of comes from",
    queries: &[DENOMINATORS_SQL],
    columns: &[
        text(
            "source",
            "the population extract, or the published list sizes file",
        ),
        date("extract_date", "The published file's extract date"),
        int_label("practices", "Practices with a list from it"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const ORGANISATION_NAMES: TableDef = TableDef {
    name: "organisation_names",
    description: "The name of one practice or PCN in the data, from the ODS files given at ingest",
    queries: &[ORGANISATION_NAMES_SQL],
    columns: &[
        text("kind", "practice or pcn"),
        text("code", "ODS code"),
        text(
            "name",
            "Name as ODS publishes it (empty: not in the files given)",
        ),
        text(
            "source",
            "The ODS file the name came from and the latest date it holds",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const WELLBEING_LOCAL: TableDef = TableDef {
    name: "wellbeing_local",
    description: "One ONS4 mean of England or of the local authority, as ONS publishes it (Annual Population Survey), for context beside the cohort's",
    queries: &[WELLBEING_ESTIMATES_SQL],
    columns: &[
        text("area_code", "ONS area code"),
        text("area_name", "Area name"),
        text("survey_year", "Survey year, April to March (e.g. 2022/23)"),
        text("score", "The score it matches (ons4_life_satisfaction, …)"),
        num_label("mean", "Mean out of 10, as published"),
        num_label("lower", "Lower 95% limit, as published"),
        num_label("upper", "Upper 95% limit, as published"),
        text("reliability", "as published, or low (ONS status u)"),
        text("source", "File the estimate was read from"),
    ],
    sums: Sums::NONE,
};

/// The ONS indicator behind each ONS4 score.
pub const INDICATORS: [(&str, &str); 4] = [
    ("Satisfaction", "ons4_life_satisfaction"),
    ("Worthwhile", "ons4_worthwhile"),
    ("Happiness", "ons4_happiness"),
    ("Anxiety", "ons4_anxiety"),
];

/// `code` if it is an ONS area code (a letter and 8 digits: E08000026),
/// else why not.
pub fn area_code(code: &str) -> std::result::Result<String, String> {
    let code = code.trim();
    let mut chars = code.chars();
    let letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    if letter && code.len() == 9 && chars.all(|c| c.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err(format!(
            "'{code}' is not an ONS area code: write the local authority's code, a letter and 8 digits (E08000026 is Coventry)"
        ))
    }
}

/// The context tables (empty when ingest was given no such files).
pub async fn context(ctx: &SessionContext, local_authority: Option<&str>) -> Result<Vec<OutTable>> {
    let mut names = TableBuilder::new(&ORGANISATION_NAMES);
    for b in ORGANISATION_NAMES_SQL.run(ctx, &[]).await? {
        let text_at = |name: &str, i: usize| {
            text_column(&b, name).and_then(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
        };
        for i in 0..b.num_rows() {
            let name = text_at("name", i);
            names.push_named(&[
                ("kind", text_value(text_at("kind", i).unwrap_or_default())),
                ("code", text_value(text_at("code", i).unwrap_or_default())),
                ("name", name.clone().map_or(Value::Null, text_value)),
                (
                    "source",
                    name.and(text_at("source", i))
                        .map_or(Value::Null, text_value),
                ),
            ]);
        }
    }
    let area = (
        "local_authority",
        ScalarValue::Utf8(Some(local_authority.unwrap_or("").to_string())),
    );
    let mut local = TableBuilder::new(&WELLBEING_LOCAL);
    for b in WELLBEING_ESTIMATES_SQL.run(ctx, &[area]).await? {
        let text_at = |name: &str, i: usize| {
            text_column(&b, name)
                .and_then(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                .unwrap_or_default()
        };
        let number = |name: &str, i: usize| {
            crate::measures::table::column(&b, name)
                .and_then(|c| c.as_primitive_opt::<Float64Type>().cloned())
                .and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
                .map_or(Value::Null, Value::Float)
        };
        let Some(years) = crate::measures::table::column(&b, "year_start")
            .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned())
        else {
            continue;
        };
        for i in 0..b.num_rows() {
            let indicator = text_at("indicator", i);
            let Some((_, score)) = INDICATORS.iter().find(|(name, _)| *name == indicator) else {
                continue;
            };
            let start = crate::days::from_date32(years.value(i));
            let year = chrono::Datelike::year(&start);
            local.push_named(&[
                ("area_code", text_value(text_at("area_code", i))),
                ("area_name", text_value(text_at("area_name", i))),
                (
                    "survey_year",
                    text_value(format!("{year}/{:02}", (year + 1).rem_euclid(100))),
                ),
                ("score", text_value(*score)),
                ("mean", number("mean", i)),
                ("lower", number("lower", i)),
                ("upper", number("upper", i)),
                (
                    "reliability",
                    text_value(if text_at("status", i) == "u" {
                        "low"
                    } else {
                        "as published"
                    }),
                ),
                ("source", text_value(text_at("source", i))),
            ]);
        }
    }
    let mut denominators = TableBuilder::new(&DENOMINATORS);
    for b in DENOMINATORS_SQL.run(ctx, &[]).await? {
        let dates = crate::measures::table::column(&b, "extract_date")
            .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned());
        for i in 0..b.num_rows() {
            denominators.push_named(&[
                (
                    "source",
                    text_value(
                        text_column(&b, "source")
                            .map(|a| a.value(i).to_string())
                            .unwrap_or_default(),
                    ),
                ),
                (
                    "extract_date",
                    dates
                        .as_ref()
                        .filter(|a| !a.is_null(i))
                        .map_or(Value::Null, |a| Value::Date(a.value(i))),
                ),
                (
                    "practices",
                    int_value(int_at(&b, "practices", i).unwrap_or(0)),
                ),
            ]);
        }
    }
    Ok(vec![
        names.finish()?,
        local.finish()?,
        denominators.finish()?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_are_a_letter_and_eight_digits() {
        assert_eq!(area_code(" E08000026 ").unwrap(), "E08000026");
        for bad in ["Coventry", "E0800002", "e08000026", "E08000026X"] {
            assert!(area_code(bad).is_err(), "{bad}");
        }
    }
}
