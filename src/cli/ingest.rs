//! `sprout ingest`: its options and the summary it prints.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::text::thousands;

use super::parse_day;

#[derive(Debug, Args)]
pub(super) struct IngestArgs {
    /// Extract files, or folders of them (subfolders included; a folder's mapping.toml
    /// applies to its files).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Warehouse folder (created if missing).
    #[arg(long, short, default_value = "warehouse")]
    warehouse: PathBuf,
    /// Mapping file for differently shaped extracts (applies to every input).
    #[arg(long, short)]
    mapping: Option<PathBuf>,
    /// File holding the pseudonymisation key (default: the SPROUT_PSEUDONYM_KEY variable).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Dates after this day are rejected as impossible (default: today), YYYY-MM-DD.
    #[arg(long, value_parser = parse_day)]
    as_of: Option<chrono::NaiveDate>,
    /// The official English Indices of Deprivation IMD file (CSV, .csv.gz or .xlsx as
    /// published): people with an LSOA but no decile get it from here.
    #[arg(long)]
    imd: Option<PathBuf>,
    /// The same release's population denominators file, stored as area_population.
    #[arg(long)]
    area_population: Option<PathBuf>,
    #[command(flatten)]
    context: crate::ingest::context::ContextFiles,
}

pub(super) fn ingest_summary(report: &IngestReport, options: &IngestOptions) -> String {
    let mut out = format!(
        "Ingested {} file{} into {}\n\n",
        report.files.len(),
        if report.files.len() == 1 { "" } else { "s" },
        options.warehouse.display()
    );
    out.push_str(&format!(
        "  {:<18} {:>10} {:>10} {:>10} {:>12}  {}\n",
        "table", "lines", "records", "accepted", "quarantined", "file"
    ));
    for f in &report.files {
        out.push_str(&format!(
            "  {:<18} {:>10} {:>10} {:>10} {:>12}  {}\n",
            f.table,
            thousands(f.lines_read),
            thousands(f.rows_read),
            thousands(f.rows_accepted),
            thousands(f.rows_quarantined),
            f.path.display()
        ));
    }
    for f in &report.files {
        if f.header_lines + f.rows_read != f.lines_read {
            out.push_str(&format!("  {}\n", line_account(f)));
        }
    }
    for f in &report.files {
        for note in &f.notes {
            out.push_str(&format!("  {}: {note}\n", f.table));
        }
    }
    let quarantined = report.quarantined();
    if quarantined > 0 {
        out.push_str(&format!(
            "\n{} row{} quarantined (kept out of the tables, nothing lost). Problems found:\n",
            thousands(quarantined),
            if quarantined == 1 { "" } else { "s" }
        ));
        for f in report.files.iter().filter(|f| f.rows_quarantined > 0) {
            for (kind, n) in &f.problems {
                out.push_str(&format!(
                    "  {:<18} {:<28} {:>8}\n",
                    f.table,
                    kind,
                    thousands(*n)
                ));
            }
        }
        out.push_str(&format!(
            "\nSee every problem with its file, line, column and fix:\n  sprout sql \"SELECT * FROM quarantine ORDER BY source_file, line\" --warehouse {}\n",
            options.warehouse.display()
        ));
    }
    out
}

/// How a file's lines add up, for files where lines and records differ:
/// blank lines, or records whose quoted values run over several lines.
pub(super) fn line_account(f: &ingest::FileReport) -> String {
    let mut parts = vec![format!("{} header", thousands(f.header_lines))];
    if f.blank_lines > 0 {
        parts.push(format!("{} blank", thousands(f.blank_lines)));
    }
    parts.push(format!(
        "{} in {} accepted record{}",
        thousands(f.lines_accepted),
        thousands(f.rows_accepted),
        if f.rows_accepted == 1 { "" } else { "s" }
    ));
    let mut quarantined = format!(
        "{} in {} quarantined record{}",
        thousands(f.lines_quarantined),
        thousands(f.rows_quarantined),
        if f.rows_quarantined == 1 { "" } else { "s" }
    );
    if !f.long_records.is_empty() {
        let spans: Vec<String> = f
            .long_records
            .iter()
            .map(|(a, b)| format!("lines {}-{}", thousands(*a), thousands(*b)))
            .collect();
        quarantined.push_str(&format!(" ({})", spans.join(", ")));
    }
    parts.push(quarantined);
    format!(
        "{}: {} lines = {}",
        f.path.display(),
        thousands(f.lines_read),
        parts.join(" + ")
    )
}

/// Run `sprout ingest`.
pub(super) fn run(args: IngestArgs, console: &Console) -> Result<i32> {
    let options = IngestOptions {
        inputs: args.inputs,
        warehouse: args.warehouse,
        mapping: args.mapping,
        key_file: args.key_file,
        as_of: args.as_of,
        imd: args.imd,
        area_population: args.area_population,
        context: args.context,
    };
    let report = ingest::ingest(&options, console)?;
    console.result(ingest_summary(&report, &options));
    Ok(if report.quarantined() > 0 { 1 } else { 0 })
}
