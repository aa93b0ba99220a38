//! Query results read back in place of running the queries: each binding's
//! Parquet file, its columns cast to the types sprout's engine gives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use super::folder::{Entry, MANIFEST, Manifest};
use crate::engine::binding::Binding;
use crate::error::{Error, Result};

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

impl Replay {
    /// The results in the queries folder `dir`.
    pub(super) fn open(dir: &Path) -> Result<Replay> {
        Ok(Replay {
            dir: dir.to_path_buf(),
            manifest: Manifest::read(dir)?,
            planner: declared_tables()?,
        })
    }

    /// The result of `binding`, as sprout's engine types its columns.
    pub(super) async fn read(&self, sql: &str, binding: &Binding) -> Result<Vec<RecordBatch>> {
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
        let batches = read_parquet(&self.dir, entry)?;
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

/// A session with every declared warehouse table, empty: to plan a measure
/// query without data.
pub fn declared_tables() -> Result<SessionContext> {
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
fn read_parquet(dir: &Path, entry: &Entry) -> Result<Vec<RecordBatch>> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let Some(parts) = entry.parts(dir)? else {
        return Err(Error::refused(
            format!(
                "there is no result at {}",
                dir.join(&entry.result).display()
            ),
            format!(
                "run {} (in the same folder) and save its result there as Parquet: one file, or a folder of parts in the query's order",
                entry.file
            ),
        ));
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
