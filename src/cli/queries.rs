//! `sprout queries`: every measure query of a period, with its parameters
//! written in, in another engine's SQL, for `sprout measures --query-results`.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, check_replaceable};
use crate::measures::exchange::{self, Dialect};

use super::measures::MeasureSettings;

#[derive(Debug, Args)]
pub(super) struct QueriesArgs {
    /// Whose SQL to write: datafusion (sprout's own, parameters written in),
    /// duckdb, or spark (Spark SQL 3.4 or later, as on Databricks).
    #[arg(long, value_enum)]
    dialect: Dialect,
    /// Folder for the queries (one .sql file per query run) and
    /// queries.json, which names the Parquet file each result is expected in.
    #[arg(long, short, default_value = "out/queries")]
    out: PathBuf,
    #[command(flatten)]
    settings: MeasureSettings,
}

/// Run `sprout queries`.
pub(super) fn run(args: QueriesArgs, console: &Console) -> Result<i32> {
    let target = Named::new("the output folder (--out)", &args.out);
    let _writing = FolderLock::acquire(
        target,
        Access::Exclusive,
        Made::Queries,
        "sprout queries",
        console,
    )?;
    check_replaceable(target, Made::Queries)?;
    let options = args.settings.options(
        (PathBuf::new().into(), None),
        args.out.clone(),
        crate::engine::Engine {
            target_partitions: 1,
            memory_limit: None,
            cluster: None,
        },
    )?;
    let bindings = crate::engine::runtime(1)?.block_on(crate::measures::queries(&options))?;
    let manifest = exchange::write_queries(
        &args.out,
        args.dialect,
        &options.period.label,
        (
            &bindings,
            &crate::registry::measure_files()
                .into_iter()
                .map(|q| (q.name, q.statement()))
                .collect(),
        ),
    )?;
    console.result(format!(
        "{} queries for {} written to {} in {}'s SQL: run each, save its result as the Parquet file queries.json names beside it, then `sprout measures --query-results {}` with the same period and settings\n",
        manifest.queries.len(),
        options.period.label,
        args.out.display(),
        args.dialect.name(),
        args.out.display()
    ));
    Ok(0)
}
