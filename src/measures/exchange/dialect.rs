//! The SQL of another engine: sprout's measure files (DataFusion's SQL) with
//! their parameters written in, rewritten by each dialect's documented rules.

use serde::{Deserialize, Serialize};

use crate::engine::binding::{Binding, parameter_uses};

/// An engine whose SQL `sprout queries` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Apache DataFusion's, as sprout runs it (parameters written in).
    Datafusion,
    /// DuckDB's.
    Duckdb,
    /// Spark SQL's (Databricks), Spark 3.4 or later.
    Spark,
}

impl Dialect {
    /// Its name on the command line and in `queries.json`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Datafusion => "datafusion",
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
        }
    }

    /// The rules that rewrite sprout's SQL (DataFusion's) for this engine:
    /// (why, pattern, replacement). Parameters are written in as literals in
    /// every dialect, before these rules; Spark's sort orders are then made
    /// explicit ([`explicit_null_order`]).
    pub fn rules(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Dialect::Datafusion => &[],
            Dialect::Duckdb => &[(
                "`/` divides integers into a fraction in DuckDB; `//` is DataFusion's whole division",
                r"\) / (\d+) AS (VARCHAR|BIGINT)",
                ") // $1 AS $2",
            )],
            Dialect::Spark => SPARK_RULES,
        }
    }

    /// A measure file's `statement` (its SQL without the header) with
    /// `binding`'s values written in, rewritten by this dialect's rules.
    pub fn write(self, statement: &str, binding: &Binding) -> String {
        let mut sql = statement.to_string();
        // Longer names first, so that `$period_start` is never read as a
        // shorter name followed by text.
        let mut names: Vec<&String> = binding.parameters.keys().collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        for name in names {
            let literal = binding.parameters[name].sql();
            sql = replace_parameter(&sql, name, &literal);
        }
        for (_, pattern, replacement) in self.rules() {
            let pattern = regex::Regex::new(pattern).expect("a dialect rule is a valid pattern");
            sql = pattern.replace_all(&sql, *replacement).into_owned();
        }
        if self == Dialect::Spark {
            sql = explicit_null_order(&sql);
        }
        let mut sql = sql.trim().trim_end_matches(';').to_string();
        sql.push('\n');
        sql
    }
}

/// Spark SQL's rules, in order.
const SPARK_RULES: &[(&str, &str, &str)] = &[
    (
        "a date minus a date is an interval in Spark; datediff(end, start) is the days between, as DataFusion's difference",
        r"\b([a-z]\.[a-z_]*date) - (coalesce\([^()]*\)|[a-z]\.[a-z_]*date)",
        "datediff($1, $2)",
    ),
    (
        "months are taken off a date with add_months (which, as DataFusion, keeps to the month's last day)",
        r"\b([a-z_]+(?:\.[a-z_]+)?) - INTERVAL '(\d+) months'",
        "add_months($1, -$2)",
    ),
    (
        "`/` divides integers into a fraction in Spark; DIV is DataFusion's whole division",
        r"\) / (\d+) AS (VARCHAR|BIGINT)",
        ") DIV $1 AS $2",
    ),
    (
        "Spark casts to STRING (VARCHAR needs a length)",
        r"\bAS VARCHAR\)",
        "AS STRING)",
    ),
    (
        "double quotes are string literals in Spark; identifiers are quoted with backticks",
        r#""([A-Za-z_][A-Za-z0-9_]*)""#,
        "`$1`",
    ),
    (
        "collect_list is Spark's array_agg (it leaves NULLs out, and gives an empty list where nothing passes a FILTER, which sprout reads as DataFusion's NULL)",
        r"\barray_agg\(",
        "collect_list(",
    ),
    (
        "array_join is Spark's array_to_string",
        r"\barray_to_string\(",
        "array_join(",
    ),
];

/// Every `ORDER BY` item of `sql` with its NULLs' place said, as DataFusion
/// sorts them (last when ascending, first when descending; Spark sorts them
/// first when ascending): in window frames too, where the order picks a row.
/// The orders inside `WITHIN GROUP (…)` (percentiles leave NULLs out) and in
/// comments are left alone. An order runs to the end of its line or to the
/// parenthesis that closes it.
pub fn explicit_null_order(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    for line in sql.split_inclusive('\n') {
        out.push_str(&null_order_in_line(line));
    }
    out
}

/// [`explicit_null_order`] for one line.
fn null_order_in_line(line: &str) -> String {
    const KEY: &str = "ORDER BY ";
    let code_end = line.find("--").unwrap_or(line.len());
    let mut out = String::new();
    let mut rest = line;
    let mut offset = 0;
    while let Some(at) = rest.find(KEY) {
        if offset + at >= code_end {
            break;
        }
        let start = at + KEY.len();
        out.push_str(&rest[..start]);
        let within_group = rest[..at].trim_end().ends_with("WITHIN GROUP (");
        // The order's items run to the closing parenthesis or the line's end.
        let tail = &rest[start..];
        let mut depth = 0i32;
        let mut end = tail.trim_end_matches(['\n', '\r']).len();
        let limit = end;
        for (i, c) in tail.char_indices().take_while(|(i, _)| *i < limit) {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let clause = &tail[..end];
        if within_group {
            out.push_str(clause);
        } else {
            out.push_str(&with_null_order(clause));
        }
        offset += start + end;
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The items of one ORDER BY clause, each with its NULLs' place.
fn with_null_order(clause: &str) -> String {
    let mut items = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    for (i, c) in clause.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&clause[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items.push(&clause[from..]);
    items
        .iter()
        .map(|item| {
            let item = item.trim();
            if item.contains("NULLS ") {
                item.to_string()
            } else if item.ends_with(" DESC") {
                format!("{item} NULLS FIRST")
            } else {
                format!("{item} NULLS LAST")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sql` with every use of `$name` ([`parameter_uses`]) replaced by `literal`.
fn replace_parameter(sql: &str, name: &str, literal: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    for used in parameter_uses(sql, name) {
        out.push_str(&sql[copied..used.start]);
        out.push_str(literal);
        copied = used.end;
    }
    out.push_str(&sql[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::binding::Literal;
    use datafusion::common::ScalarValue;

    const DEMO: &str = "SELECT a FROM t\nWHERE d >= $period_start AND d <= $period_end AND x = $period_start_x AND c = $cohort\n  AND n >= -$days";

    #[test]
    fn a_binding_keeps_only_the_parameters_the_sql_names_and_writes_them_in() {
        let day = |d: &str| {
            ScalarValue::Date32(Some(crate::days::date32(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
            )))
        };
        let params = [
            ("period_start", day("2024-04-01")),
            ("period_end", day("2025-03-31")),
            ("period_start_x", ScalarValue::Int64(Some(7))),
            ("cohort", ScalarValue::Utf8(Some("it's closed".into()))),
            ("days", ScalarValue::Int64(Some(14))),
            ("unused", ScalarValue::Int64(Some(1))),
        ];
        let binding = Binding::of("demo", DEMO, &params);
        assert_eq!(
            binding.parameters.keys().collect::<Vec<_>>(),
            [
                "cohort",
                "days",
                "period_end",
                "period_start",
                "period_start_x"
            ]
        );
        let sql = Dialect::Datafusion.write(DEMO, &binding);
        assert_eq!(
            sql,
            "SELECT a FROM t\nWHERE d >= DATE '2024-04-01' AND d <= DATE '2025-03-31' AND x = 7 AND c = 'it''s closed'\n  AND n >= -14\n"
        );
    }

    #[test]
    fn duckdb_divides_integers_whole() {
        let q = "SELECT CAST((a + 1) / 2 AS VARCHAR) AS x, CAST((b + 2) / 3 AS BIGINT) AS y FROM t";
        let b = Binding::of("q", q, &[]);
        assert_eq!(
            Dialect::Duckdb.write(q, &b),
            "SELECT CAST((a + 1) // 2 AS VARCHAR) AS x, CAST((b + 2) // 3 AS BIGINT) AS y FROM t\n"
        );
    }

    #[test]
    fn spark_reads_dates_division_text_and_sort_orders_as_datafusion_does() {
        let q = "SELECT a.assessment_date - coalesce(e.closure_date, a.assessment_date) AS d, r.x_date - r.referral_date AS e,\n\
                 date_part('year', r.referral_date - INTERVAL '3 months') AS fy, CAST((a + 1) / 2 AS VARCHAR) AS q,\n\
                 array_to_string(array_sort(array_agg(need)), ';') AS needs, c.grp AS \"group\",\n\
                 lag(x) OVER (PARTITION BY i ORDER BY y, z DESC, abs(w)) AS l, percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p\n\
                 -- a comment: ORDER BY need\n\
                 FROM t ORDER BY c.fy, n DESC, q NULLS FIRST";
        let b = Binding::of("q", q, &[]);
        assert_eq!(
            Dialect::Spark.write(q, &b),
            "SELECT datediff(a.assessment_date, coalesce(e.closure_date, a.assessment_date)) AS d, datediff(r.x_date, r.referral_date) AS e,\n\
             date_part('year', add_months(r.referral_date, -3)) AS fy, CAST((a + 1) DIV 2 AS STRING) AS q,\n\
             array_join(array_sort(collect_list(need)), ';') AS needs, c.grp AS `group`,\n\
             lag(x) OVER (PARTITION BY i ORDER BY y NULLS LAST, z DESC NULLS FIRST, abs(w) NULLS LAST) AS l, percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p\n\
             -- a comment: ORDER BY need\n\
             FROM t ORDER BY c.fy NULLS LAST, n DESC NULLS FIRST, q NULLS FIRST\n"
        );
    }

    /// Every measure file, written for each dialect, is one statement that
    /// the dialect's parser (sqlparser's DuckDB and Spark SQL dialects)
    /// reads, with no parameter left unbound.
    #[test]
    fn every_measure_file_parses_in_every_dialect() {
        use datafusion::sql::sqlparser::dialect::{
            Dialect as ParserDialect, DuckDbDialect, GenericDialect, SparkSqlDialect,
        };
        use datafusion::sql::sqlparser::parser::Parser;
        let values = [
            (
                "period_start",
                Literal::Date(chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap()),
            ),
            (
                "period_end",
                Literal::Date(chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()),
            ),
            ("outcome_cohort", Literal::Text("closed".into())),
            ("baseline_before_days", Literal::Integer(28)),
            ("baseline_after_days", Literal::Integer(28)),
            ("min_follow_up_days", Literal::Integer(42)),
            ("follow_up_after_closure_days", Literal::Integer(90)),
            ("local_authority", Literal::Text("E08000026".into())),
        ];
        let params: Vec<(&str, ScalarValue)> =
            values.iter().map(|(k, v)| (*k, v.scalar())).collect();
        let parsers: [(Dialect, &dyn ParserDialect); 3] = [
            (Dialect::Datafusion, &GenericDialect {}),
            (Dialect::Duckdb, &DuckDbDialect {}),
            (Dialect::Spark, &SparkSqlDialect {}),
        ];
        for q in crate::registry::measure_files() {
            let binding = Binding::of(q.name, q.text, &params);
            for (dialect, parser) in parsers {
                let sql = dialect.write(&q.statement(), &binding);
                assert!(!sql.contains('$'), "{} ({dialect:?}): {sql}", q.name);
                let parsed = Parser::parse_sql(parser, &sql)
                    .unwrap_or_else(|e| panic!("{} ({dialect:?}): {e}\n{sql}", q.name));
                assert_eq!(parsed.len(), 1, "{} ({dialect:?})", q.name);
            }
        }
    }
}
