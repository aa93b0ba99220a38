//! The measure queries answered by another engine: `sprout queries` writes
//! every query a run makes, with its parameters bound, in another engine's
//! SQL ([`Dialect`]), and `sprout measures --query-results DIR` reads those
//! queries' results back in place of running them. Statistics, disclosure
//! control and rendering stay with sprout.
//!
//! Both work through one session extension, [`Exchange`], which
//! [`crate::measures::query::Query`] consults before running anything:
//!
//! - [`Exchange::Record`]: each query's [`Binding`] (its file and the values
//!   of the parameters it names) is noted and nothing runs; every result is
//!   empty. The measures bind all their queries from the period and the
//!   settings alone, before looking at any result, so this dry run notes the
//!   same queries a run over data makes (a test checks it).
//! - [`Exchange::Replay`]: each query's result is read from the Parquet file
//!   that `queries.json` names for its binding, and its columns cast to the
//!   types sprout's own engine gives that query.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::engine::binding::Binding;
use crate::error::{Error, Result};

/// The file, inside a queries folder, that lists every query and its result.
pub const MANIFEST: &str = crate::folder::QUERIES_MANIFEST;

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

/// `sql` with every `$name` (and not `$name_more`) replaced by `literal`.
fn replace_parameter(sql: &str, name: &str, literal: &str) -> String {
    let marker = format!("${name}");
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(&marker) {
        let after = &rest[at + marker.len()..];
        let longer = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if longer { &marker } else { literal });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// One query of a queries folder: its SQL file, the result file it is
/// answered from, and its binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The SQL file, in the folder.
    pub file: String,
    /// Where its result is expected, in the folder: one Parquet file, or a
    /// folder of Parquet parts read in name order.
    pub result: String,
    /// The query and its parameters.
    #[serde(flatten)]
    pub binding: Binding,
}

/// `queries.json`: what `sprout queries` wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The sprout that wrote the queries; results are read only by the same version.
    pub sprout_version: String,
    /// The dialect written.
    pub dialect: Dialect,
    /// The reporting period.
    pub period: String,
    /// Every file written (the SQL files and this manifest).
    pub files: Vec<String>,
    /// Every query, in file-name order.
    pub queries: Vec<Entry>,
}

impl Manifest {
    /// The entries for `bindings`: each query's files are named after it,
    /// numbered when it runs with more than one binding.
    pub fn new(dialect: Dialect, period: &str, bindings: &BTreeSet<Binding>) -> Manifest {
        let mut per_query: BTreeMap<&str, usize> = BTreeMap::new();
        for b in bindings {
            *per_query.entry(b.query.as_str()).or_default() += 1;
        }
        let mut numbered: BTreeMap<&str, usize> = BTreeMap::new();
        let queries: Vec<Entry> = bindings
            .iter()
            .map(|b| {
                let stem = if per_query[b.query.as_str()] > 1 {
                    let k = numbered.entry(b.query.as_str()).or_default();
                    *k += 1;
                    format!("{}.{k}", b.query)
                } else {
                    b.query.clone()
                };
                Entry {
                    file: format!("{stem}.sql"),
                    result: format!("{stem}.parquet"),
                    binding: b.clone(),
                }
            })
            .collect();
        let mut files: Vec<String> = queries.iter().map(|e| e.file.clone()).collect();
        files.push(MANIFEST.to_string());
        Manifest {
            sprout_version: crate::VERSION.to_string(),
            dialect,
            period: period.to_string(),
            files,
            queries,
        }
    }

    /// Read `dir`'s manifest, refusing one from another sprout version.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, "reading", e))?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::config(
                &path,
                format!("not a queries.json written by `sprout queries`: {e}"),
            )
        })?;
        if manifest.sprout_version != crate::VERSION {
            return Err(Error::refused(
                format!(
                    "{} was written by sprout {}, and this is sprout {}",
                    path.display(),
                    manifest.sprout_version,
                    crate::VERSION
                ),
                "write the queries again with this sprout (`sprout queries`) and run them again, or use the sprout that wrote them",
            ));
        }
        Ok(manifest)
    }
}

/// How a session's measure queries are answered, when not by its engine.
#[derive(Debug)]
pub enum Exchange {
    /// Note each query's binding and answer it with no rows (`sprout queries`).
    Record(Mutex<BTreeSet<Binding>>),
    /// Answer each query from the results in a queries folder.
    Replay(Replay),
}

/// The results of a queries folder, and a session that knows the types
/// each query's columns have in sprout's engine.
pub struct Replay {
    dir: PathBuf,
    manifest: Manifest,
    /// Empty tables of the declared warehouse schema, to plan each query on.
    planner: SessionContext,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("dir", &self.dir)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// The exchange of `ctx`'s session, when its queries are answered elsewhere.
    pub fn of(ctx: &SessionContext) -> Option<Arc<Exchange>> {
        ctx.state_ref().read().config().get_extension::<Exchange>()
    }

    /// A session whose queries are noted and answered with no rows.
    pub fn recording() -> SessionContext {
        session(Exchange::Record(Mutex::new(BTreeSet::new())))
    }

    /// A session whose queries are answered from the results in `dir`.
    pub fn replaying(dir: &Path) -> Result<SessionContext> {
        let manifest = Manifest::read(dir)?;
        Ok(session(Exchange::Replay(Replay {
            dir: dir.to_path_buf(),
            manifest,
            planner: declared_tables()?,
        })))
    }

    /// The bindings noted so far (none when replaying).
    pub fn recorded(&self) -> BTreeSet<Binding> {
        match self {
            Exchange::Record(seen) => seen.lock().expect("not poisoned").clone(),
            Exchange::Replay(_) => BTreeSet::new(),
        }
    }

    /// The rows of the measure file `name`, whose SQL is `sql`, run with `params`.
    pub async fn answer(
        &self,
        (name, sql): (&str, &str),
        params: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>> {
        let binding = Binding::of(name, sql, params);
        match self {
            Exchange::Record(seen) => {
                seen.lock().expect("not poisoned").insert(binding);
                Ok(Vec::new())
            }
            Exchange::Replay(replay) => replay.read(sql, &binding).await,
        }
    }
}

impl Replay {
    /// The result of `binding`, as sprout's engine types its columns.
    async fn read(&self, sql: &str, binding: &Binding) -> Result<Vec<RecordBatch>> {
        let manifest_path = self.dir.join(MANIFEST);
        let Some(entry) = self.manifest.queries.iter().find(|e| &e.binding == binding) else {
            return Err(Error::refused(
                format!(
                    "{} lists no result for queries/{}.sql with {}",
                    manifest_path.display(),
                    binding.query,
                    shown(binding)
                ),
                "write the queries with the same period and settings as this run (`sprout queries`), run them, and save their results beside them",
            ));
        };
        let path = self.dir.join(&entry.result);
        let expected = self.schema(sql, binding).await?;
        let batches = read_parquet(&path, &entry.file)?;
        batches
            .iter()
            .map(|b| conform(b, &expected, &path))
            .collect()
    }

    /// The columns and types of the result of `sql` in sprout's engine.
    async fn schema(&self, sql: &str, binding: &Binding) -> Result<SchemaRef> {
        let values: Vec<(String, ScalarValue)> = binding
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.scalar()))
            .collect();
        let frame = self
            .planner
            .sql(sql)
            .await
            .and_then(|f| f.with_param_values(values))?;
        Ok(Arc::new(frame.schema().as_arrow().clone()))
    }
}

/// `binding`'s parameters as a reader would write them.
fn shown(binding: &Binding) -> String {
    if binding.parameters.is_empty() {
        return "no parameters".to_string();
    }
    binding
        .parameters
        .iter()
        .map(|(k, v)| format!("{k} = {}", v.sql()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A session carrying `exchange`, with no tables.
fn session(exchange: Exchange) -> SessionContext {
    let config = datafusion::prelude::SessionConfig::new()
        .with_extension(Arc::new(exchange))
        .with_extension(Arc::new(crate::engine::QueryLog::default()));
    SessionContext::new_with_config(config)
}

/// A session with every declared warehouse table, empty.
fn declared_tables() -> Result<SessionContext> {
    use datafusion::datasource::MemTable;
    let ctx = SessionContext::new();
    for table in crate::model::TABLES {
        let empty = MemTable::try_new(table.schema(), vec![vec![]])?;
        ctx.register_table(table.name, Arc::new(empty))?;
    }
    Ok(ctx)
}

/// The batches of a result: one Parquet file, or a folder of Parquet parts
/// read in name order.
fn read_parquet(path: &Path, sql_file: &str) -> Result<Vec<RecordBatch>> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let missing = || {
        Error::refused(
            format!("there is no result at {}", path.display()),
            format!(
                "run {sql_file} (in the same folder) and save its result there as Parquet: one file, or a folder of parts in the query's order"
            ),
        )
    };
    let parts: Vec<PathBuf> = if path.is_dir() {
        let mut parts: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, "listing", e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        parts.sort();
        parts
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(missing());
    };
    let mut batches = Vec::new();
    for part in parts {
        let file = std::fs::File::open(&part).map_err(|e| Error::io(&part, "reading", e))?;
        let unreadable = |e: &dyn std::fmt::Display| {
            Error::config(&part, format!("not a readable Parquet file: {e}"))
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| unreadable(&e))?;
        for batch in reader {
            batches.push(batch.map_err(|e| unreadable(&e))?);
        }
    }
    Ok(batches)
}

/// `batch`'s columns by name, cast to `expected`'s types (another engine
/// may sum into wider integers, or write text and lists differently).
fn conform(batch: &RecordBatch, expected: &SchemaRef, path: &Path) -> Result<RecordBatch> {
    use datafusion::arrow::compute::{CastOptions, cast_with_options};
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let mut columns = Vec::with_capacity(expected.fields().len());
    for field in expected.fields() {
        let schema = batch.schema();
        let found = schema
            .index_of(field.name())
            .ok()
            .or_else(|| {
                schema
                    .fields()
                    .iter()
                    .position(|f| f.name().eq_ignore_ascii_case(field.name()))
            })
            .ok_or_else(|| {
                Error::config(
                    path,
                    format!(
                        "the result has no column {} (it has {})",
                        field.name(),
                        schema
                            .fields()
                            .iter()
                            .map(|f| f.name().as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let column =
            cast_with_options(batch.column(found), field.data_type(), &options).map_err(|e| {
                Error::config(
                    path,
                    format!(
                        "column {} cannot be read as {}: {e}",
                        field.name(),
                        field.data_type()
                    ),
                )
            })?;
        columns.push(column);
    }
    let relaxed = Arc::new(datafusion::arrow::datatypes::Schema::new(
        expected
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(relaxed, columns).map_err(|e| Error::config(path, e.to_string()))
}

/// Every result file of the queries folder `dir`, as an evaluation's stamp
/// lists its inputs: (file in the folder, what it is, SHA-256 of its bytes).
pub fn result_files(dir: &Path) -> Result<Vec<(String, String, String)>> {
    let manifest = Manifest::read(dir)?;
    let mut files = Vec::new();
    for entry in &manifest.queries {
        let path = dir.join(&entry.result);
        let parts: Vec<PathBuf> = if path.is_dir() {
            let mut parts: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| Error::io(&path, "listing", e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            parts.sort();
            parts
        } else {
            vec![path]
        };
        for part in parts {
            let bytes = std::fs::read(&part).map_err(|e| Error::io(&part, "reading", e))?;
            let name = part
                .strip_prefix(dir)
                .unwrap_or(&part)
                .to_string_lossy()
                .replace('\\', "/");
            files.push((
                name,
                format!("result of {}", entry.file),
                crate::ingest::sha256_hex(&bytes),
            ));
        }
    }
    Ok(files)
}

/// Write `bindings` as `dialect`'s SQL into the new folder `dir` (staged and
/// swapped in whole), with `queries.json`; `statements` has each measure
/// file's SQL without its header, by name. Returns the manifest.
pub fn write_queries(
    dir: &Path,
    dialect: Dialect,
    period: &str,
    (bindings, statements): (&BTreeSet<Binding>, &BTreeMap<&str, String>),
) -> Result<Manifest> {
    let manifest = Manifest::new(dialect, period, bindings);
    let staged = crate::folder::StagedDir::create(dir)?;
    for entry in &manifest.queries {
        let statement = &statements[entry.binding.query.as_str()];
        crate::atomic::write(
            &staged.path().join(&entry.file),
            dialect.write(statement, &entry.binding).as_bytes(),
        )?;
    }
    let mut json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::io(&dir.join(MANIFEST), "writing", std::io::Error::other(e)))?;
    json.push('\n');
    crate::atomic::write(&staged.path().join(MANIFEST), json.as_bytes())?;
    staged.commit()?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::binding::Literal;

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

    #[test]
    fn files_are_named_by_query_and_numbered_only_when_one_runs_more_than_once() {
        let b = |q: &str, n: i64| Binding {
            query: q.to_string(),
            parameters: [("n".to_string(), Literal::Integer(n))].into(),
        };
        let bindings: BTreeSet<Binding> = [b("a", 2), b("a", 1), b("b", 1)].into();
        let m = Manifest::new(Dialect::Duckdb, "2024/25", &bindings);
        let names: Vec<(&str, &str)> = m
            .queries
            .iter()
            .map(|e| (e.file.as_str(), e.result.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a.1.sql", "a.1.parquet"),
                ("a.2.sql", "a.2.parquet"),
                ("b.sql", "b.parquet")
            ]
        );
        assert_eq!(m.queries[0].binding, b("a", 1));
    }
}
