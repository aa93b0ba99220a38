//! Researchers' SQL: read-only DataFusion queries over the warehouse tables.
//!
//! Every canonical table is registered under its own name. Only queries run:
//! DDL (CREATE, DROP), DML (INSERT, COPY) and statements (SET) are refused, so
//! `sprout sql` cannot change the warehouse or write files behind the user's back.

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::warehouse::{PartWriter, Warehouse};

/// A session with every warehouse table registered.
///
/// `target_partitions` is set explicitly so that results do not depend on the machine.
pub async fn session(warehouse: &Warehouse, target_partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(target_partitions.max(1))
        .with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    warehouse.register(&ctx).await?;
    Ok(ctx)
}

/// Run one read-only query.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, options).await.map_err(|e| {
        let message = e.to_string();
        if message.contains("not supported") && !message.contains("Unsupported SQL") {
            Error::Usage(format!(
                "{message}\n  sprout sql is read-only: write a SELECT (or WITH … SELECT); use --output to save results"
            ))
        } else {
            Error::Query(e)
        }
    })?;
    Ok(frame.collect().await?)
}

/// Output formats of `sprout sql --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A JSON array of objects.
    Json,
}

impl OutputFormat {
    /// The format for a file name's extension.
    pub fn of(path: &Path) -> Result<OutputFormat> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("parquet") => Ok(OutputFormat::Parquet),
            Some("json") => Ok(OutputFormat::Json),
            _ => Err(Error::Usage(format!(
                "{}: cannot tell the output format; end the name in .csv, .parquet or .json",
                path.display()
            ))),
        }
    }
}

/// Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or carriage return) gets a leading apostrophe, so a CSV opened in
/// Excel shows it as text (OWASP CSV injection guidance). Other columns are unchanged.
pub fn neutralise_formulas(batch: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| -> ArrayRef {
            match c.as_string_opt::<i32>() {
                Some(text) if text.iter().flatten().any(is_formula) => std::sync::Arc::new(
                    text.iter()
                        .map(|v| v.map(neutralise))
                        .collect::<StringArray>(),
                ),
                _ => c.clone(),
            }
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `text` as a spreadsheet shows it as text: a leading apostrophe when it would
/// otherwise run as a formula.
pub fn neutralise(text: &str) -> String {
    if is_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn is_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A query runtime with `threads` worker threads.
pub fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .build()
        .map_err(|e| crate::error::Error::Usage(format!("cannot start the query runtime: {e}")))
}

/// The batches as an aligned text table.
pub fn to_text(batches: &[RecordBatch]) -> Result<String> {
    Ok(pretty_format_batches(batches)?.to_string())
}

/// Write the batches to `path` (atomically) in the format its extension names.
pub fn write(
    batches: &[RecordBatch],
    schema: datafusion::arrow::datatypes::SchemaRef,
    path: &Path,
) -> Result<()> {
    match OutputFormat::of(path)? {
        OutputFormat::Parquet => {
            let mut writer = PartWriter::create(path, schema)?;
            for b in batches {
                writer.write(b)?;
            }
            writer.commit()
        }
        OutputFormat::Csv => {
            let (file, buffered) = AtomicFile::create(path)?;
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(buffered);
            for b in batches {
                writer.write(&neutralise_formulas(b)?)?;
            }
            file.commit(writer.into_inner())
        }
        OutputFormat::Json => {
            let (file, buffered) = AtomicFile::create(path)?;
            let mut writer = datafusion::arrow::json::ArrayWriter::new(buffered);
            for b in batches {
                writer.write(b)?;
            }
            writer.finish()?;
            file.commit(writer.into_inner())
        }
    }
}
