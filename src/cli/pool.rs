//! `sprout pool`: many evaluations' published results pooled across schemes.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::console::Console;
use crate::error::Result;
use crate::pool::{IntervalMethod, PoolOptions};
use crate::stats::meta::Tau2Method;

#[derive(Debug, Args)]
pub(super) struct PoolArgs {
    /// results.json files, or folders holding them (an evaluation's output
    /// folder, or a folder of many: every results.json below is read).
    #[arg(required = true, value_name = "FILES_OR_FOLDERS")]
    inputs: Vec<PathBuf>,
    /// Folder for the pooled tables (CSV, Parquet, JSON, data_dictionary.csv)
    /// and pooled.json.
    #[arg(long, short, default_value = "out/pooled")]
    out: PathBuf,
    /// How the between-scheme variance τ² is estimated.
    #[arg(long, value_enum, default_value_t = Tau2Arg::Reml)]
    tau2: Tau2Arg,
    /// The headline interval: hksj (the modified Hartung-Knapp-Sidik-Jonkman
    /// interval, t on schemes − 1 and an error at least Wald's; keeps its
    /// coverage with few schemes) or wald (z).
    #[arg(long, value_enum, default_value_t = IntervalArg::Hksj)]
    interval: IntervalArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Tau2Arg {
    /// Restricted maximum likelihood.
    Reml,
    /// DerSimonian-Laird's method of moments.
    Dl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum IntervalArg {
    /// The modified Hartung-Knapp-Sidik-Jonkman interval.
    Hksj,
    /// Wald (z).
    Wald,
}

/// Run `sprout pool`.
pub(super) fn run(args: PoolArgs, console: &Console) -> Result<i32> {
    let options = PoolOptions {
        inputs: args.inputs,
        out: args.out,
        tau2: match args.tau2 {
            Tau2Arg::Reml => Tau2Method::Reml,
            Tau2Arg::Dl => Tau2Method::DerSimonianLaird,
        },
        interval: match args.interval {
            IntervalArg::Hksj => IntervalMethod::Hksj,
            IntervalArg::Wald => IntervalMethod::Wald,
        },
    };
    let report = crate::pool::run(&options, console)?;
    let groups = report.tables.first().map_or(0, |t| t.batch.num_rows());
    console.result(format!(
        "Pooled {} evaluations into {} groups of comparable estimates in {}\n",
        report.sources.len(),
        groups,
        options.out.display()
    ));
    Ok(0)
}
