//! Researchers' SQL: read-only DataFusion queries over the warehouse tables.
//!
//! Every canonical table is registered under its own name ([`crate::engine`]).
//! Only queries run: DDL (CREATE, DROP), DML (INSERT, COPY) and statements
//! (SET) are refused, so `sprout sql` cannot change the warehouse or write
//! files behind the user's back; `--output` writes through `crate::export`.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;

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

/// The batches as an aligned text table.
pub fn to_text(batches: &[RecordBatch]) -> Result<String> {
    Ok(pretty_format_batches(batches)?.to_string())
}
