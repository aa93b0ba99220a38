//! `sprout evaluate`: its options and the summary it prints.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::evaluate::{self, EvaluateOptions, Evaluation, Source};
use crate::stages::Stopwatch;
use crate::text::thousands;

use super::EngineArgs;
use super::ingest::line_account;

#[derive(Debug, Args)]
pub(super) struct EvaluateArgs {
    /// The evaluation spec (TOML); paths in it are relative to its folder.
    spec: PathBuf,
    /// Output folder instead of the spec's `output`.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Reporting period instead of the spec's `period` (e.g. "2025/26 Q2"), so
    /// a quarterly run needs no edit of the spec.
    #[arg(long, short)]
    period: Option<String>,
    /// Confirm that outputs without disclosure control (policy "none") are for
    /// internal use; every page and sheet then says NOT FOR PUBLICATION.
    #[arg(long)]
    not_for_publication: bool,
    #[command(flatten)]
    pub(super) engine: EngineArgs,
    /// Write each stage's wall time and peak memory (ingest, measures, health,
    /// report) to this JSON file.
    #[arg(long)]
    timings: Option<PathBuf>,
}

pub(super) fn evaluation_summary(e: &Evaluation) -> String {
    let rows: u64 = e.ingest.files.iter().map(|f| f.rows_read).sum();
    let quarantined = e.ingest.quarantined();
    let mut out = match &e.source {
        Source::Warehouse(_) => format!(
            "Evaluated {} ({}) from {} input files ({} lines, {} records, {} quarantined)\n\n",
            e.stamp.title,
            e.stamp.period,
            e.ingest.files.len(),
            thousands(e.ingest.lines_read()),
            thousands(rows),
            thousands(quarantined)
        ),
        Source::QueryResults(dir) => format!(
            "Evaluated {} ({}) from the query results in {} ({} files)\n\n",
            e.stamp.title,
            e.stamp.period,
            dir.display(),
            e.stamp.inputs.len()
        ),
    };
    for f in &e.ingest.files {
        if f.header_lines + f.rows_read != f.lines_read {
            out.push_str(&format!("  {}\n", line_account(f)));
        }
    }
    for h in &e.headlines {
        out.push_str(&format!("  - {h}\n"));
    }
    out.push_str(&format!(
        "\nDisclosure control: {} ({} cells suppressed){}\n",
        e.stamp.policy,
        thousands(e.suppressed as u64),
        if e.stamp.not_for_publication {
            ". NOT FOR PUBLICATION"
        } else {
            ""
        }
    ));
    if !e.stamp.not_for_publication {
        out.push_str(&format!("{}\n", e.audit.summary()));
    }
    out.push_str(&format!(
        "\nReport:     {}\n",
        e.output.join("report.html").display()
    ));
    for (label, name) in [
        ("Benchmark:", "benchmarking.html"),
        ("Workbook:", "workbook.xlsx"),
    ] {
        if e.files.iter().any(|f| f == name) {
            out.push_str(&format!("{label:<11} {}\n", e.output.join(name).display()));
        }
    }
    out.push_str(&format!(
        "Tables:     {}\n",
        e.output.join("tables").display()
    ));
    if let Source::Warehouse(warehouse) = &e.source {
        out.push_str(&format!(
            "Warehouse:  {} (row-level: not for publication)\n",
            warehouse.display()
        ));
        if quarantined > 0 {
            out.push_str(&format!(
                "\n{} rows quarantined: sprout sql \"SELECT * FROM quarantine ORDER BY source_file, line\" --warehouse {}\n",
                thousands(quarantined),
                warehouse.display()
            ));
        }
    }
    out
}

/// Run `sprout evaluate`.
pub(super) fn run(args: EvaluateArgs, console: &Console) -> Result<i32> {
    let options = EvaluateOptions {
        spec: args.spec,
        out: args.out,
        not_for_publication: args.not_for_publication,
        engine: args.engine.engine(),
        period: args.period,
    };
    let mut watch = Stopwatch::start();
    let evaluation = evaluate::evaluate(&options, console, &mut watch)?;
    if let Some(path) = &args.timings {
        watch.write(path)?;
    }
    console.result(evaluation_summary(&evaluation));
    for warning in &evaluation.warnings {
        console.warn(warning);
    }
    Ok(if evaluation.ingest.quarantined() > 0 {
        1
    } else {
        0
    })
}
