//! SQL tested as SQL: a small sqllogictest-style runner for the measure
//! files of `queries/`, over tiny fixture tables in `tests/sql/*.slt`.
//!
//! Each `.slt` file starts from empty warehouse tables of the declared
//! schema (`model::TABLES`) and holds records separated by blank lines:
//!
//! ```text
//! # A comment.
//! statement ok
//! INSERT INTO referrals (referral_id, person_id, referral_date) VALUES ('R1', 'P1', DATE '2024-05-01')
//!
//! measure service_uptake period=2024/25 cohort=closed rowsort
//! ----
//! fy  quarter  referred  …      (tab-separated)
//! 2024  1        2        …
//! ```
//!
//! A `measure` record runs `queries/NAME.sql` with the parameters the
//! measures bind (the period's dates, the outcome cohort, the default pairing
//! windows) and compares its result: a header of column names, then one
//! tab-separated line per row (`NULL` for a null, floats to 12 significant
//! digits; `rowsort` sorts the lines first). `UPDATE_GOLDEN=1` rewrites every
//! expectation from the actual result (sqllogictest's `--complete`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

use sprout::measures::period::{OutcomeCohort, Period};
use sprout::measures::query::Query;
use sprout::measures::wellbeing::PairingRules;

/// One row of `batch` as the expectation writes it.
fn row_text(batch: &RecordBatch, row: usize) -> String {
    batch
        .columns()
        .iter()
        .map(|column| {
            if column.is_null(row) {
                return "NULL".to_string();
            }
            match column.data_type() {
                DataType::Float64 => {
                    sprout::text::significant(column.as_primitive::<Float64Type>().value(row), 12)
                }
                _ => match array_value_to_string(column, row) {
                    Ok(text) if text.is_empty() => "(empty)".to_string(),
                    Ok(text) => text,
                    Err(e) => format!("(unprintable: {e})"),
                },
            }
        })
        .collect::<Vec<_>>()
        .join("\t")
}

/// The result as expectation lines: the header, then the rows.
fn result_lines(batches: &[RecordBatch], rowsort: bool, header: Vec<String>) -> Vec<String> {
    let mut rows: Vec<String> = batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |r| row_text(b, r)))
        .collect();
    if rowsort {
        rows.sort();
    }
    std::iter::once(header.join("\t")).chain(rows).collect()
}

/// A session with every warehouse table registered empty, writable by
/// `INSERT`, on one partition (results in the query's own order).
fn empty_warehouse() -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    for table in sprout::model::TABLES {
        let empty = MemTable::try_new(table.schema(), vec![vec![]]).expect("table");
        ctx.register_table(table.name, Arc::new(empty))
            .expect("register");
    }
    ctx
}

/// The parameters every measure may bind, for `period` and `cohort`.
fn parameters(period: &Period, cohort: OutcomeCohort) -> Vec<(&'static str, ScalarValue)> {
    let mut params = period.outcome_parameters(cohort);
    params.extend(PairingRules::default().parameters());
    params
}

/// The measure file `name`, as compiled in.
fn measure_file(name: &str) -> &'static Query {
    sprout::registry::measure_files()
        .into_iter()
        .find(|q| q.name == name)
        .unwrap_or_else(|| panic!("no measure file queries/{name}.sql is declared"))
}

/// Run one `.slt` file; returns its text with every expectation as the
/// queries actually give it, and the records whose result differed.
async fn run_file(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("read the .slt file");
    let ctx = empty_warehouse();
    let mut out = String::new();
    let mut failures = Vec::new();
    let records: Vec<&str> = text.split("\n\n").collect();
    for (i, record) in records.iter().enumerate() {
        let lines: Vec<&str> = record.lines().collect();
        let start = lines
            .iter()
            .position(|l| !l.starts_with('#'))
            .unwrap_or(lines.len());
        let (comments, body) = lines.split_at(start);
        let mut written: Vec<String> = comments.iter().map(|l| l.to_string()).collect();
        match body
            .first()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
        {
            None => {}
            Some(words) if words == ["statement", "ok"] => {
                let sql = body[1..].join("\n");
                let done = match ctx.sql(&sql).await {
                    Ok(frame) => frame.collect().await.map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = done {
                    panic!("{}: record {}: {e}\n{sql}", path.display(), i + 1);
                }
                written.extend(body.iter().map(|l| l.to_string()));
            }
            Some(words) if words.first() == Some(&"measure") => {
                let name = words.get(1).expect("measure NAME");
                let mut period = Period::parse("2024/25").expect("period");
                let mut cohort = OutcomeCohort::Closed;
                let mut rowsort = false;
                for option in &words[2..] {
                    match option.split_once('=') {
                        Some(("period", p)) => {
                            period = Period::parse(&p.replace('_', " ")).expect("period")
                        }
                        Some(("cohort", "received")) => cohort = OutcomeCohort::Received,
                        Some(("cohort", "closed")) => cohort = OutcomeCohort::Closed,
                        None if *option == "rowsort" => rowsort = true,
                        _ => panic!("{}: unknown option {option}", path.display()),
                    }
                }
                let query = measure_file(name);
                let batches = query
                    .run(&ctx, &parameters(&period, cohort))
                    .await
                    .unwrap_or_else(|e| panic!("{}: queries/{name}.sql: {e}", path.display()));
                let header = match batches.first() {
                    Some(b) => b.schema(),
                    None => Arc::new(datafusion::arrow::datatypes::Schema::empty()),
                }
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
                let actual = result_lines(&batches, rowsort, header);
                let separator = body.iter().position(|l| *l == "----");
                let expected: Vec<String> = separator
                    .map(|s| body[s + 1..].iter().map(|l| l.to_string()).collect())
                    .unwrap_or_default();
                if expected != actual {
                    failures.push(format!(
                        "{}: {}\n{}",
                        path.display(),
                        body[0],
                        crate::support::text_diff(&expected.join("\n"), &actual.join("\n"))
                    ));
                }
                written.push(body[0].to_string());
                written.push("----".to_string());
                written.extend(actual);
            }
            Some(_) => panic!(
                "{}: record {} is neither `statement ok` nor `measure NAME`",
                path.display(),
                i + 1
            ),
        }
        out.push_str(&written.join("\n"));
        out.push_str(if i + 1 < records.len() { "\n\n" } else { "\n" });
    }
    (out, failures)
}

/// Every `.slt` file of `tests/sql/`.
fn files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/sql")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    files
}

#[test]
fn measure_queries_give_the_expected_rows_on_their_fixtures() {
    let runtime = sprout::engine::runtime(1).expect("runtime");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let files = files();
    assert!(!files.is_empty(), "tests/sql holds the fixtures");
    for path in &files {
        let (completed, failed) = runtime.block_on(run_file(path));
        if update {
            std::fs::write(path, completed).expect("rewrite the .slt file");
        } else {
            failures.extend(failed);
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nRegenerate with UPDATE_GOLDEN=1 cargo test --test it sql_logic, then review the diff.",
        failures.join("\n\n")
    );
}
