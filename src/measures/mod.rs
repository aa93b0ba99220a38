//! Measures of the common outcomes framework.
//!
//! Each measure is SQL in `queries/` ([`query`]) producing pairs or sufficient
//! statistics over the warehouse; Rust turns them into estimates with
//! [`crate::stats`] and writes documented tables ([`table`]) as Parquet and CSV.
//!
//! - [`wellbeing`]: impact on the person (paired change, reliable change, band
//!   shifts, the attrition funnel and attrition bias).

pub mod period;
pub mod query;
pub mod table;
pub mod wellbeing;

use std::path::PathBuf;

use crate::error::Result;
use crate::warehouse::Warehouse;
use period::Period;
use table::OutTable;
use wellbeing::PairingRules;

/// What to compute and where to write it.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// Warehouse folder.
    pub warehouse: PathBuf,
    /// Reporting period.
    pub period: Period,
    /// Output folder for the tables.
    pub out: PathBuf,
    /// Pairing rules and the small-sample guard.
    pub pairing: PairingRules,
    /// Query partitions.
    pub target_partitions: usize,
}

/// Compute every measure and write its tables into `options.out`.
pub async fn run(options: &MeasureOptions) -> Result<Vec<OutTable>> {
    let warehouse = Warehouse::open(&options.warehouse)?;
    let ctx = crate::sql::session(&warehouse, options.target_partitions).await?;
    let tables = wellbeing::person_outcomes(&ctx, &options.period, &options.pairing).await?;
    table::write_all(&tables, &options.out)?;
    Ok(tables)
}
