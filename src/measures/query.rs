//! Measure SQL files from `queries/`, with their documented headers.
//!
//! Each file holds one read-only statement preceded by a fixed header:
//! `-- title:`, `-- definition:`, `-- population:`, `-- statistic:` and
//! `-- caveats:`. Each file is compiled into sprout with [`crate::measure_file!`]
//! beside the tables it feeds, so a released binary runs
//! exactly the SQL in this repository. Parameters are named placeholders
//! (`$period_start`) bound by the caller.

use datafusion::arrow::array::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;

use crate::engine::binding::Binding;
use crate::engine::cluster::{Answered, OnCluster};
use crate::error::Result;
use crate::measures::exchange::Exchange;

/// One measure file.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// File stem in `queries/`.
    pub name: &'static str,
    /// The whole file.
    pub text: &'static str,
}

/// The measure file `queries/NAME.sql`, compiled in: declared beside the
/// tables it feeds (`TableDef::queries`), so a released binary runs exactly
/// the SQL in this repository. [`crate::registry::measure_files`] lists them.
#[macro_export]
macro_rules! measure_file {
    ($name:literal) => {
        $crate::measures::query::Query {
            name: $name,
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/queries/",
                $name,
                ".sql"
            )),
        }
    };
}

/// Header fields every measure file must have, in order.
pub const HEADER_FIELDS: [&str; 5] = ["title", "definition", "population", "statistic", "caveats"];

impl Query {
    /// The statement: the file without its header's lines.
    pub fn statement(&self) -> String {
        self.text
            .lines()
            .filter(|l| {
                !HEADER_FIELDS
                    .iter()
                    .any(|field| l.starts_with(&format!("-- {field}:")))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A header field's text (e.g. `title`).
    pub fn header(&self, field: &str) -> Option<&'static str> {
        self.text
            .lines()
            .take_while(|l| l.starts_with("--"))
            .filter_map(|l| l.trim_start_matches("--").trim().split_once(':'))
            .find(|(k, _)| k.trim() == field)
            .map(|(_, v)| v.trim())
    }

    /// Run the statement read-only with named parameters. On a cluster
    /// session ([`OnCluster`]) the query runs there, or on the client when it
    /// is one of [`crate::engine::cluster::RUN_LOCALLY`], or on both and
    /// compared under `--cluster-verify` ([`Query::route`]).
    pub async fn run(
        &self,
        ctx: &SessionContext,
        params: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>> {
        let started = std::time::Instant::now();
        let (batches, answered) = match self.route(ctx) {
            Route::Elsewhere(exchange) => {
                (exchange.answer((self.name, self.text), params).await?, None)
            }
            Route::One(at, Some(Answered::Cluster)) => (
                self.collect_on_cluster(&at, params).await?,
                Some(Answered::Cluster),
            ),
            Route::One(at, answered) => (self.collect(&at, params).await?, answered),
            Route::Both(on) => self.compared(ctx, &on, params).await?,
        };
        self.log(
            (ctx, params),
            started,
            batches.iter().map(RecordBatch::num_rows).sum(),
            answered,
        );
        Ok(batches)
    }

    /// Where this query runs on `ctx`'s session, decided once for
    /// [`Query::run`] and [`Query::for_each_batch`].
    fn route(&self, ctx: &SessionContext) -> Route {
        if let Some(exchange) = Exchange::of(ctx) {
            return Route::Elsewhere(exchange);
        }
        match OnCluster::of(ctx) {
            None => Route::One(ctx.clone(), None),
            Some(on) if on.runs_locally(self.name) => {
                Route::One(on.local.clone(), Some(Answered::Client))
            }
            Some(on) if on.verify => Route::Both(on),
            Some(_) => Route::One(ctx.clone(), Some(Answered::Cluster)),
        }
    }

    async fn collect(
        &self,
        ctx: &SessionContext,
        params: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>> {
        let frame = self.frame(ctx, params).await?;
        frame.collect().await.map_err(|e| self.failed(e))
    }

    /// The query's rows from a cluster session (one row short where
    /// `SPROUT_CLUSTER_WRONG` names it, [`crate::faults`]).
    async fn collect_on_cluster(
        &self,
        ctx: &SessionContext,
        params: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>> {
        let mut batches = self.collect(ctx, params).await?;
        if crate::faults::cluster_wrong(self.name) {
            wrong_by_one_row(&mut batches);
        }
        Ok(batches)
    }

    /// The query's rows from the cluster and from the client, compared; the
    /// client's are the ones used.
    async fn compared(
        &self,
        ctx: &SessionContext,
        on: &OnCluster,
        params: &[(&str, ScalarValue)],
    ) -> Result<(Vec<RecordBatch>, Option<Answered>)> {
        let cluster = self.collect_on_cluster(ctx, params).await?;
        let client = self.collect(&on.local, params).await?;
        let answered = on.compare(self.name, &cluster, &client)?;
        Ok((client, Some(answered)))
    }

    /// Note this query's time and rows in the session's log, for `--timings`.
    fn log(
        &self,
        (ctx, params): (&SessionContext, &[(&str, ScalarValue)]),
        started: std::time::Instant,
        rows: usize,
        answered: Option<Answered>,
    ) {
        if let Some(log) = crate::engine::QueryLog::of(ctx) {
            log.record(
                (self.name, Binding::of(self.name, self.text, params)),
                started.elapsed().as_secs_f64(),
                rows,
                answered,
            );
        }
    }

    /// The engine's error `source`, naming this measure file.
    fn failed(&self, source: datafusion::error::DataFusionError) -> crate::error::Error {
        crate::error::Error::MeasureQuery {
            query: self.name,
            source,
        }
    }

    /// Run the statement read-only and hand each result batch to `each` as it
    /// arrives, so a large result is never held whole in memory. On a
    /// cluster session it runs as [`Query::run`] says; compared under
    /// `--cluster-verify`, both results are held.
    pub async fn for_each_batch(
        &self,
        ctx: &SessionContext,
        params: &[(&str, ScalarValue)],
        mut each: impl FnMut(&RecordBatch),
    ) -> Result<()> {
        use futures::StreamExt;
        let started = std::time::Instant::now();
        let (at, answered) = match self.route(ctx) {
            Route::One(at, answered) => (at, answered),
            Route::Elsewhere(exchange) => {
                let batches = exchange.answer((self.name, self.text), params).await?;
                batches.iter().for_each(&mut each);
                let rows = batches.iter().map(RecordBatch::num_rows).sum();
                self.log((ctx, params), started, rows, None);
                return Ok(());
            }
            Route::Both(on) => {
                let (batches, answered) = self.compared(ctx, &on, params).await?;
                batches.iter().for_each(&mut each);
                let rows = batches.iter().map(RecordBatch::num_rows).sum();
                self.log((ctx, params), started, rows, answered);
                return Ok(());
            }
        };
        let frame = self.frame(&at, params).await?;
        let mut stream = frame.execute_stream().await.map_err(|e| self.failed(e))?;
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| self.failed(e))?;
            rows += batch.num_rows();
            each(&batch);
        }
        self.log((ctx, params), started, rows, answered);
        Ok(())
    }

    async fn frame(
        &self,
        ctx: &SessionContext,
        params: &[(&str, ScalarValue)],
    ) -> Result<datafusion::dataframe::DataFrame> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let values: Vec<(String, ScalarValue)> = params
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        ctx.sql_with_options(self.text, options)
            .await
            .and_then(|frame| frame.with_param_values(values))
            .map_err(|e| self.failed(e))
    }
}

/// Where a measure query runs ([`Query::route`]).
enum Route {
    /// On one session: this one (`None`, no cluster, or `Cluster`), or the
    /// client's (`Client`, a query in RUN_LOCALLY).
    One(SessionContext, Option<Answered>),
    /// On the cluster and on the client, compared (`--cluster-verify`).
    Both(std::sync::Arc<OnCluster>),
    /// By another engine: noted for `sprout queries`, or read from its
    /// results (`--query-results`).
    Elsewhere(std::sync::Arc<Exchange>),
}

/// Drop the last row of a result (for `SPROUT_CLUSTER_WRONG`, [`crate::faults`]).
fn wrong_by_one_row(batches: &mut Vec<RecordBatch>) {
    while let Some(last) = batches.pop() {
        if last.num_rows() > 0 {
            batches.push(last.slice(0, last.num_rows() - 1));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A measure query the engine refuses names its file, so a user under
    /// `--memory-limit` (or a developer) knows which one to look at.
    #[test]
    fn a_failed_measure_query_names_its_file() {
        let runtime = crate::engine::runtime(1).expect("runtime");
        let query = Query {
            name: "no_such_table",
            text: "SELECT * FROM no_such_table",
        };
        let error = runtime
            .block_on(query.run(&SessionContext::new(), &[]))
            .expect_err("the table does not exist");
        let message = error.to_string();
        assert!(
            message.starts_with("queries/no_such_table.sql failed: "),
            "{message}"
        );
    }

    /// Every measure file plans and runs against empty tables of the
    /// declared warehouse schema (`model::TABLES`), with every parameter the
    /// measures bind: a column a query names that the model lacks, or a type
    /// it mistakes, fails here rather than on a user's data.
    #[test]
    fn every_query_runs_on_empty_tables_of_the_declared_schema() {
        let runtime = crate::engine::runtime(1).expect("runtime");
        runtime.block_on(async {
            let ctx = crate::measures::exchange::declared_tables().expect("tables");
            let day = |d: &str| {
                let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
                ScalarValue::Date32(Some(crate::days::date32(date)))
            };
            let params = [
                ("period_start", day("2024-04-01")),
                ("period_end", day("2025-03-31")),
                ("outcome_cohort", ScalarValue::Utf8(Some("closed".into()))),
                ("baseline_before_days", ScalarValue::Int64(Some(14))),
                ("baseline_after_days", ScalarValue::Int64(Some(14))),
                ("min_follow_up_days", ScalarValue::Int64(Some(42))),
                ("follow_up_after_closure_days", ScalarValue::Int64(Some(30))),
                (
                    "local_authority",
                    ScalarValue::Utf8(Some("E08000026".into())),
                ),
            ];
            for q in crate::registry::measure_files() {
                let batches = q
                    .run(&ctx, &params)
                    .await
                    .unwrap_or_else(|e| panic!("queries/{}.sql: {e}", q.name));
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                // Aggregates over nothing may give one row of zeros; nothing more.
                assert!(
                    rows <= 1,
                    "queries/{}.sql: {rows} rows from empty tables",
                    q.name
                );
            }
        });
    }

    /// `queries/README.md` lists every measure file with its title, as the
    /// files say (it had drifted to 5 of 15). `UPDATE_GOLDEN=1` rewrites it.
    #[test]
    fn measure_files_are_listed_in_the_queries_readme() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/README.md");
        let readme = std::fs::read_to_string(&path).expect("queries/README.md");
        let marker = "<!-- measure-files:";
        let start = readme.find(marker).expect("the measure-files marker");
        let table_start = start + readme[start..].find('\n').expect("marker line") + 1;
        let table_end = readme[table_start..]
            .find("\n\n")
            .map_or(readme.len(), |i| table_start + i + 1);
        let mut table =
            String::from("| file | title | tables (from `src/registry.rs`) |\n|---|---|---|\n");
        for q in crate::registry::measure_files() {
            let tables: Vec<String> = crate::registry::computed_from(q.name)
                .map(|t| format!("`{}`", t.name))
                .collect();
            table.push_str(&format!(
                "| `{}.sql` | {} | {} |\n",
                q.name,
                q.header("title").unwrap_or_default(),
                tables.join(", ")
            ));
        }
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let updated = format!("{}{table}{}", &readme[..table_start], &readme[table_end..]);
            std::fs::write(&path, updated).expect("write queries/README.md");
            return;
        }
        assert_eq!(
            &readme[table_start..table_end],
            table,
            "queries/README.md is out of date: regenerate with UPDATE_GOLDEN=1 cargo test --lib measure_files"
        );
        let files = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        assert_eq!(
            files,
            crate::registry::measure_files().len(),
            "every file in queries/ is compiled in"
        );
    }

    #[test]
    fn every_measure_has_the_full_header_and_one_ordered_statement() {
        for q in crate::registry::measure_files() {
            for field in HEADER_FIELDS {
                assert!(
                    q.header(field).is_some_and(|v| !v.is_empty()),
                    "{}: {field}",
                    q.name
                );
            }
            let body: String = q
                .text
                .lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(
                body.matches(';').count(),
                body.matches("';'").count(),
                "{}: one statement",
                q.name
            );
        }
    }
}
