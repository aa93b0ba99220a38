//! Researchers' SQL: read-only DataFusion queries over the warehouse tables,
//! and over measure or published tables beside them.
//!
//! Every canonical table is registered under its own name ([`crate::engine`]);
//! [`register_tables`] adds a `sprout measures` folder's or an evaluation's
//! tables under their file names.
//! Only queries run: DDL (CREATE, DROP), DML (INSERT, COPY) and statements
//! (SET) are refused, so `sprout sql` cannot change the warehouse or write
//! files behind the user's back; `--output` writes through `crate::export`.

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::error::{Error, Result};

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

/// Register every `NAME.parquet` in `folder` as table `NAME` (in name
/// order); returns the names. A name the session already has (a warehouse
/// table) is refused with the fix.
pub async fn register_tables(ctx: &SessionContext, folder: &Path) -> Result<Vec<String>> {
    let entries =
        std::fs::read_dir(folder).map_err(|e| Error::io(folder, "listing the tables", e))?;
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(folder, "listing the tables", e))?
            .path();
        if path.extension().is_some_and(|x| x == "parquet")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            files.push((stem.to_string(), path.clone()));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no Parquet tables: give --tables a `sprout measures` folder or an evaluation's output folder",
            folder.display()
        )));
    }
    for (name, path) in &files {
        if ctx.table_exist(name.as_str())? {
            return Err(Error::Usage(format!(
                "{name} in {} has the name of a warehouse table: query the warehouse's as {name} and rename the file to query both",
                folder.display()
            )));
        }
        let location = path.to_string_lossy();
        ctx.register_parquet(
            name.as_str(),
            location.as_ref(),
            ParquetReadOptions::default(),
        )
        .await?;
    }
    Ok(files.into_iter().map(|(name, _)| name).collect())
}

/// The batches as an aligned text table.
pub fn to_text(batches: &[RecordBatch]) -> Result<String> {
    Ok(pretty_format_batches(batches)?.to_string())
}
