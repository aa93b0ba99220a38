//! Researchers' SQL: read-only DataFusion queries over the warehouse tables.
//!
//! Every canonical table is registered under its own name. Only queries run:
//! DDL (CREATE, DROP), DML (INSERT, COPY) and statements (SET) are refused, so
//! `sprout sql` cannot change the warehouse or write files behind the user's back.

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::warehouse::{PartWriter, Warehouse};

/// How queries run: how many partitions (threads) and how much memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// Query partitions; set explicitly so that results do not depend on the machine.
    pub target_partitions: usize,
    /// Bound on DataFusion's memory pool in bytes (`--memory-limit`). Sorts,
    /// aggregations and joins that would exceed it spill to temporary files
    /// instead; `None` leaves the pool unbounded.
    pub memory_limit: Option<u64>,
}

/// A session with every warehouse table registered.
///
/// With a memory limit the pool is DataFusion's `GreedyMemoryPool` (first
/// come, first served: sorts and aggregations spill when it is full; a fair
/// pool's equal shares were too small for one final aggregation's first step at
/// national scale), wrapped to name the largest consumers if a query still runs out;
/// joins become sort-merge joins and batches smaller (see below). Spill files
/// go to the system's temporary folder (`TMPDIR`).
pub async fn session(warehouse: &Warehouse, engine: Engine) -> Result<SessionContext> {
    // DATAFUSION_* environment variables tune the engine (for example
    // DATAFUSION_EXECUTION_BATCH_SIZE); partitions are always set here.
    let mut config = SessionConfig::from_env()?
        .with_target_partitions(engine.target_partitions.max(1))
        .with_information_schema(true);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = engine.memory_limit {
        // Hash joins cannot spill in DataFusion 55: under a limit, joins are
        // sort-merge joins (whose sorts spill), and batches are a quarter of
        // the default so that merging many spill files stays within the pool.
        // Slower (BENCHMARKS.md has the national-scale run and where it stands).
        // Each sort also reserves room for its final merge up front (10 MB by
        // default); a query has many sorts, so the reservation shrinks with
        // the pool (a 64th of it at most).
        config.options_mut().optimizer.prefer_hash_join = false;
        let options = &mut config.options_mut().execution;
        options.sort_spill_reservation_bytes = options
            .sort_spill_reservation_bytes
            .min(usize::try_from(limit / 64).unwrap_or(usize::MAX));
        config = config.with_batch_size(MEMORY_LIMITED_BATCH_ROWS);
        // DataFusion's own: a GreedyMemoryPool naming its top five consumers.
        runtime = runtime.with_memory_limit(usize::try_from(limit).unwrap_or(usize::MAX), 1.0);
    }
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
    warehouse.register(&ctx).await?;
    Ok(ctx)
}

/// Rows per batch when the memory pool is bounded (DataFusion's default is 8,192).
const MEMORY_LIMITED_BATCH_ROWS: usize = 2048;

/// Parse a memory size: whole bytes, or a number with a unit (`KiB`, `MiB`,
/// `GiB`, `TiB`, or `K`, `M`, `G`, `T` meaning the same powers of 1,024),
/// e.g. `1GiB`, `512M`, `1.5G`.
pub fn parse_memory_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let power = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 1,
        "m" | "mb" | "mib" => 2,
        "g" | "gb" | "gib" => 3,
        "t" | "tb" | "tib" => 4,
        _ => {
            return Err(format!(
                "'{text}' is not a memory size; write e.g. 1GiB, 512MiB or 2G"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a memory size; write e.g. 1GiB, 512MiB or 2G"))?;
    let bytes = value * 1024f64.powi(power);
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(format!("'{text}' is not a usable memory size"));
    }
    Ok(bytes as u64)
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

/// Every text value made safe for a spreadsheet ([`crate::text::for_spreadsheet`]):
/// formulas neutralised, hidden characters written out. Other columns are unchanged.
pub fn neutralise_formulas(batch: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| -> ArrayRef {
            match c.as_string_opt::<i32>() {
                Some(text) if text.iter().flatten().any(crate::text::needs_care) => {
                    std::sync::Arc::new(
                        text.iter()
                            .map(|v| v.map(crate::text::for_spreadsheet))
                            .collect::<StringArray>(),
                    )
                }
                _ => c.clone(),
            }
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
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
                writer
                    .write(&neutralise_formulas(b)?)
                    .map_err(|e| Error::file(path, "writing", e))?;
            }
            file.commit(writer.into_inner())
        }
        OutputFormat::Json => {
            let (file, buffered) = AtomicFile::create(path)?;
            let mut writer = datafusion::arrow::json::ArrayWriter::new(buffered);
            for b in batches {
                writer
                    .write(b)
                    .map_err(|e| Error::file(path, "writing", e))?;
            }
            writer
                .finish()
                .map_err(|e| Error::file(path, "writing", e))?;
            file.commit(writer.into_inner())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_memory_size;

    #[test]
    fn memory_sizes_read_binary_units() {
        assert_eq!(parse_memory_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_memory_size(" 2048 "), Ok(2048));
        assert_eq!(parse_memory_size("64 KiB"), Ok(64 << 10));
    }

    #[test]
    fn memory_sizes_refuse_nonsense() {
        for bad in ["", "GiB", "1 parsec", "-1G", "0", "1.2.3M"] {
            assert!(parse_memory_size(bad).is_err(), "{bad}");
        }
    }
}
