//! `sprout sql`: its options.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, check_apart};
use crate::text::thousands;
use crate::warehouse::{Location, Warehouse};

use super::EngineArgs;

#[derive(Debug, Args)]
pub(super) struct SqlArgs {
    /// One SELECT statement; tables are named as in `sprout schema`.
    query: String,
    /// Warehouse folder, or a copy of one in S3 or an S3-compatible store
    /// (s3://BUCKET/PATH, read with the AWS_* environment variables; cluster
    /// builds).
    #[arg(long, short, default_value = "warehouse")]
    warehouse: Location,
    /// Write the result to a .csv, .parquet or .json file instead of printing it.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also query the tables of a `sprout measures` folder or of an
    /// evaluation's output folder (its published tables), each under its
    /// file name, e.g. wellbeing_change.
    #[arg(long)]
    tables: Option<PathBuf>,
    #[command(flatten)]
    pub(super) engine: EngineArgs,
}

/// Run `sprout sql`.
pub(super) fn run(args: SqlArgs, console: &Console) -> Result<i32> {
    // A warehouse in an object store is read as it is, unlocked; its copy is
    // checked against its manifest instead.
    let source = match &args.warehouse {
        Location::Folder(root) => Some(Named::new("the warehouse (--warehouse)", root)),
        Location::Store { .. } => None,
    };
    // An evaluation's published tables sit in its tables/ folder; a
    // `sprout measures` folder holds them at its top.
    let tables = args.tables.as_deref().map(|folder| {
        if folder.join(Made::Evaluation.marker()).is_file() {
            (folder, Made::Evaluation, folder.join("tables"))
        } else {
            (folder, Made::Measures, folder.to_path_buf())
        }
    });
    let tables_named = tables
        .as_ref()
        .map(|(folder, _, _)| Named::new("the tables folder (--tables)", folder));
    if let Some(output) = &args.output {
        let mut inputs: Vec<Named> = source.into_iter().collect();
        inputs.extend(tables_named);
        check_apart(&[Named::new("the output file (--output)", output)], &inputs)?;
    }
    let _reading = match source {
        Some(source) => Some(FolderLock::acquire(
            source,
            Access::Shared,
            Made::Warehouse,
            "sprout sql",
            console,
        )?),
        None => None,
    };
    let _tables_reading = match (&tables, tables_named) {
        (Some((_, made, _)), Some(named)) => Some(FolderLock::acquire(
            named,
            Access::Shared,
            *made,
            "sprout sql",
            console,
        )?),
        _ => None,
    };
    crate::engine::runtime(args.engine.target_partitions)?.block_on(async {
        let warehouse = Warehouse::open_at(&args.warehouse).await?;
        let ctx = crate::engine::session(&warehouse, args.engine.engine()).await?;
        if let Some((_, _, folder)) = &tables {
            crate::sql::register_tables(&ctx, folder).await?;
        }
        let frame_schema;
        let batches = {
            let mut batches = crate::sql::query(&ctx, &args.query).await?;
            // --cluster-verify: the same query on this machine, whose rows
            // are printed where the cluster's differ.
            if let Some(on) = crate::engine::cluster::OnCluster::of(&ctx)
                && on.verify
            {
                let local = crate::sql::query(&on.local, &args.query).await?;
                if on.compare("(the query)", &batches, &local)?
                    == crate::engine::cluster::Answered::BothDiffered
                {
                    console.warn(
                        "the query gave different results on the cluster than on this machine; this machine's are shown. Report it to sprout's maintainers with the query and the Ballista version",
                    );
                }
                batches = local;
            }
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
