//! What a measure query was run with: its file and the values of the
//! parameters its SQL names. `--timings` records it for every query run, and
//! `sprout queries` writes each one out ([`crate::measures::exchange`]).

use std::collections::BTreeMap;

use datafusion::common::ScalarValue;
use serde::{Deserialize, Serialize};

/// One value bound to a parameter, as the measures bind them; in
/// `queries.json` a number, a date as text YYYY-MM-DD, or other text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// A whole number (days, counts).
    Integer(i64),
    /// A date.
    Date(#[serde(with = "iso_date")] chrono::NaiveDate),
    /// Text (a cohort rule, an area code).
    Text(String),
}

/// A date as text, YYYY-MM-DD (and only that).
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &chrono::NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

impl Literal {
    /// The literal for a bound value.
    fn of(value: &ScalarValue) -> Literal {
        match value {
            ScalarValue::Date32(Some(d)) => Literal::Date(crate::days::from_date32(*d)),
            ScalarValue::Int64(Some(n)) => Literal::Integer(*n),
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => {
                Literal::Text(s.clone())
            }
            other => Literal::Text(other.to_string()),
        }
    }

    /// The value again, for sprout's own engine.
    pub fn scalar(&self) -> ScalarValue {
        match self {
            Literal::Integer(n) => ScalarValue::Int64(Some(*n)),
            Literal::Date(d) => ScalarValue::Date32(Some(crate::days::date32(*d))),
            Literal::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        }
    }

    /// The value as an SQL literal (the same in every dialect written).
    pub fn sql(&self) -> String {
        match self {
            Literal::Integer(n) => n.to_string(),
            Literal::Date(d) => format!("DATE '{d}'"),
            Literal::Text(s) => format!("'{}'", s.replace('\'', "''")),
        }
    }
}

/// One run of a measure file: its name and the values of the parameters its
/// SQL names (others the caller passed are left out), by parameter name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Binding {
    /// The file's stem in `queries/`.
    pub query: String,
    /// Each parameter the SQL names, with its value.
    pub parameters: BTreeMap<String, Literal>,
}

impl Binding {
    /// The binding of the measure file `query`, whose SQL is `sql`, run with `params`.
    pub fn of(query: &str, sql: &str, params: &[(&str, ScalarValue)]) -> Binding {
        Binding {
            query: query.to_string(),
            parameters: params
                .iter()
                .filter(|(name, _)| parameter_uses(sql, name).next().is_some())
                .map(|(name, value)| ((*name).to_string(), Literal::of(value)))
                .collect(),
        }
    }
}

/// Where `sql` names the parameter `$name`: the byte range of each `$name`
/// that is not the start of a longer name (`$period_start_x`).
pub fn parameter_uses<'a>(
    sql: &'a str,
    name: &str,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let marker = format!("${name}");
    let len = marker.len();
    let starts: Vec<usize> = sql.match_indices(&marker).map(|(at, _)| at).collect();
    starts.into_iter().map(move |at| at..at + len).filter(|r| {
        !sql[r.end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
