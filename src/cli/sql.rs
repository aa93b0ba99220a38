//! `sprout sql`: its options.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, check_apart};
use crate::text::thousands;
use crate::warehouse::Warehouse;

use super::EngineArgs;

#[derive(Debug, Args)]
pub(super) struct SqlArgs {
    /// One SELECT statement; tables are named as in `sprout schema`.
    query: String,
    /// Warehouse folder.
    #[arg(long, short, default_value = "warehouse")]
    warehouse: PathBuf,
    /// Write the result to a .csv, .parquet or .json file instead of printing it.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Run `sprout sql`.
pub(super) fn run(args: SqlArgs, console: &Console) -> Result<i32> {
    let source = Named::new("the warehouse (--warehouse)", &args.warehouse);
    if let Some(output) = &args.output {
        check_apart(
            &[Named::new("the output file (--output)", output)],
            &[source],
        )?;
    }
    let _reading = FolderLock::acquire(
        source,
        Access::Shared,
        Made::Warehouse,
        "sprout sql",
        console,
    )?;
    let warehouse = Warehouse::open(&args.warehouse)?;
    crate::engine::runtime(args.engine.target_partitions)?.block_on(async {
        let ctx = crate::engine::session(&warehouse, args.engine.engine()).await?;
        let frame_schema;
        let batches = {
            let batches = crate::sql::query(&ctx, &args.query).await?;
            frame_schema = batches.first().map(|b| b.schema());
            batches
        };
        match &args.output {
            Some(path) => {
                let schema = match frame_schema {
                    Some(s) => s,
                    None => ctx.sql(&args.query).await?.schema().inner().clone(),
                };
                crate::export::write(&batches, schema, path)?;
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                console.note(format!(
                    "wrote {} rows to {}",
                    thousands(rows as u64),
                    path.display()
                ));
            }
            None => console.result(crate::sql::to_text(&batches)?),
        }
        Ok(0)
    })
}
