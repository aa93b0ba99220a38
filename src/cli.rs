//! The `sprout` command line: arguments parsed once into options, each
//! subcommand handed to the library, and the outcome turned into an exit code.
//!
//! Exit codes are a contract: 0 success, 1 data problems found (rows
//! quarantined), 2 sprout could not do the job (the message says why and what to do).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::console::Console;
use crate::error::{Error, Result};
use crate::evaluate::{self, EvaluateOptions, Evaluation};
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, check_apart};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::measures::benchmark::{Adjustment, BenchmarkOptions};
use crate::measures::health::HealthOptions;
use crate::measures::health::costs::UnitCosts;
use crate::measures::health::matching::MatchUnit;
use crate::measures::health::usage::PartialBefore;
use crate::measures::{
    self, MeasureOptions,
    period::{OutcomeCohort, Period},
    table::OutTable,
    wellbeing::PairingRules,
};
use crate::model::{self, describe};
use crate::stages::Stopwatch;
use crate::synth::{self, SynthOptions};
use crate::text::thousands;
use crate::warehouse::Warehouse;

/// Outcomes-framework analytics for NHS social prescribing.
#[derive(Debug, Parser)]
#[command(name = "sprout", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// Print only results and warnings (no progress or notes).
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate extract files (CSV, Parquet, Excel) into the Parquet warehouse.
    Ingest(IngestArgs),
    /// Write synthetic extracts with known planted effects (and truth.json).
    Synth(SynthArgs),
    /// Print every canonical table and column with its type and allowed codes.
    Schema(SchemaArgs),
    /// Run a read-only SQL query over the warehouse tables.
    Sql(SqlArgs),
    /// Compute the outcome measures for a period and write their exact tables.
    Measures(MeasuresArgs),
    /// Run a whole evaluation from its spec: ingest, measures, disclosure control,
    /// reports, workbook and tables.
    Evaluate(EvaluateArgs),
    /// Check a finished evaluation's published tables for any withheld or
    /// rounded cell a reader could work out; exits 1 when there is one.
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// The output folder of `sprout evaluate` (the spec's `output`).
    output: PathBuf,
}

#[derive(Debug, Args)]
struct EvaluateArgs {
    /// The evaluation spec (TOML); paths in it are relative to its folder.
    spec: PathBuf,
    /// Output folder instead of the spec's `output`.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Confirm that outputs without disclosure control (policy "none") are for
    /// internal use; every page and sheet then says NOT FOR PUBLICATION.
    #[arg(long)]
    not_for_publication: bool,
    #[command(flatten)]
    engine: EngineArgs,
    /// Write each stage's wall time and peak memory (ingest, measures, health,
    /// report) to this JSON file.
    #[arg(long)]
    timings: Option<PathBuf>,
}

/// How queries run; shared by every command that queries the warehouse.
#[derive(Debug, Args)]
struct EngineArgs {
    /// Query partitions (threads); fixed so results do not depend on the machine.
    #[arg(long, default_value_t = 2)]
    target_partitions: usize,
    /// Bound the query engine's memory pool (e.g. 1GiB, 512MiB): sorts,
    /// aggregations and joins spill to temporary files (TMPDIR) beyond it.
    /// Default: unbounded.
    #[arg(long, value_parser = crate::sql::parse_memory_size)]
    memory_limit: Option<u64>,
}

impl EngineArgs {
    fn engine(&self) -> crate::sql::Engine {
        crate::sql::Engine {
            target_partitions: self.target_partitions,
            memory_limit: self.memory_limit,
        }
    }
}

#[derive(Debug, Args)]
struct IngestArgs {
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
}

#[derive(Debug, Args)]
struct SynthArgs {
    /// Registered people to generate (about a quarter are referred).
    #[arg(long, default_value_t = 4000)]
    people: usize,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Share of people referred to social prescribing.
    #[arg(long, default_value_t = 0.25)]
    referred_share: f64,
    /// Planted relative reduction in GP appointments after an accepted referral.
    #[arg(long, default_value_t = 0.10)]
    gp_effect: f64,
    /// Planted relative reduction in A&E attendances after an accepted referral.
    #[arg(long, default_value_t = 0.10)]
    ae_effect: f64,
    /// Planted change in latent wellbeing (standard deviations) by follow-up.
    #[arg(long, default_value_t = 0.35)]
    wellbeing_effect: f64,
    /// Secular change in all service use per year (0.03 = 3%).
    #[arg(long, default_value_t = 0.03)]
    trend: f64,
    /// Write one scheme's referrals as a vendor-style export with its mapping file.
    #[arg(long)]
    vendor_scheme: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemaFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Only this table.
    table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: SchemaFormat,
}

#[derive(Debug, Args)]
struct SqlArgs {
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FunnelAdjustment {
    Auto,
    None,
    Multiplicative,
    Additive,
}

#[derive(Debug, Args)]
struct MeasuresArgs {
    /// Warehouse folder.
    #[arg(long, short, default_value = "warehouse")]
    warehouse: PathBuf,
    /// Reporting period: 2025/26, 2025/26 Q2, rolling 2025/26 Q2 (four quarters), or
    /// 2025-04-01..2025-09-30; referrals count by referral date, outcomes by closure date
    /// (see --outcome-cohort).
    #[arg(long, short)]
    period: String,
    /// Output folder for the tables (Parquet, CSV, JSON, data_dictionary.csv) and charts/.
    #[arg(long, short, default_value = "out/measures")]
    out: PathBuf,
    /// Baseline may be up to this many days before the start of support.
    #[arg(long, default_value_t = 28)]
    baseline_before_days: i64,
    /// Baseline may be up to this many days after the start of support.
    #[arg(long, default_value_t = 28)]
    baseline_after_days: i64,
    /// Follow-up must be at least this many days after the baseline (6 weeks).
    #[arg(long, default_value_t = 42)]
    min_follow_up_days: i64,
    /// Follow-up may be at most this many days after closure.
    #[arg(long, default_value_t = 90)]
    follow_up_after_closure_days: i64,
    /// Below this many pairs, intervals and tests are withheld.
    #[arg(long, default_value_t = 30)]
    min_pairs: usize,
    /// Outcome cohort of the wellbeing tables: accepted referrals whose episode
    /// closed in the period, or those received in it.
    #[arg(long, value_enum, default_value = "closed")]
    outcome_cohort: OutcomeCohortArg,
    /// Funnel limits for overdispersion: auto (additive random effects when the
    /// overdispersion test gives p < 0.05), none, multiplicative or additive.
    #[arg(long, value_enum, default_value = "auto")]
    funnel_adjustment: FunnelAdjustment,
    /// Rebase the SPC charts from this month (YYYY-MM-DD; repeat for several).
    #[arg(long, value_parser = parse_day)]
    spc_rebase: Vec<chrono::NaiveDate>,
    /// Target share of referrals declined (e.g. 0.1), for assurance on its SPC chart.
    #[arg(long)]
    declined_target: Option<f64>,
    /// Health use: before/after window lengths in months (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "6,12")]
    health_windows: Vec<i32>,
    /// Health use: people whose before window is only partly observed (late
    /// registration, event data starting inside it) are time-adjusted or excluded.
    #[arg(long, value_enum, default_value = "adjust")]
    partial_before: PartialBeforeArg,
    /// Health use: a window observed for less than this share of its length is not used.
    #[arg(long, default_value_t = 0.5)]
    min_window_coverage: f64,
    /// Comparators matched to each referred person (k:1).
    #[arg(long, default_value_t = 1)]
    comparators: usize,
    /// Match comparators within the same practice or the same PCN.
    #[arg(long, value_enum, default_value = "practice")]
    match_unit: MatchUnitArg,
    /// Days just before referral left out of the comparison's before window (the
    /// run-up to referral, when need peaks); GP use in them is what comparators
    /// are matched on.
    #[arg(long, default_value_t = 90)]
    washout_days: i32,
    /// Bootstrap resamples for the difference-in-differences intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Seed of the comparator order and the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Unit costs per setting (TOML with source, price_year and [unit_costs]) for a
    /// costed difference.
    #[arg(long)]
    unit_costs: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
    /// Write each stage's wall time and peak memory (measures, health, write)
    /// to this JSON file.
    #[arg(long)]
    timings: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutcomeCohortArg {
    Closed,
    Received,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PartialBeforeArg {
    Adjust,
    Exclude,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MatchUnitArg {
    Practice,
    Pcn,
}

fn parse_day(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date YYYY-MM-DD"))
}

/// Run sprout with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let console = Console::new(cli.quiet);
    match run(cli.command, &console) {
        Ok(code) => code,
        Err(e) => {
            console.error(e.to_string());
            2
        }
    }
}

fn run(command: Command, console: &Console) -> Result<i32> {
    match command {
        Command::Ingest(args) => {
            let options = IngestOptions {
                inputs: args.inputs,
                warehouse: args.warehouse,
                mapping: args.mapping,
                key_file: args.key_file,
                as_of: args.as_of,
                imd: args.imd,
                area_population: args.area_population,
            };
            let report = ingest::ingest(&options, console)?;
            console.result(ingest_summary(&report, &options));
            Ok(if report.quarantined() > 0 { 1 } else { 0 })
        }
        Command::Synth(args) => {
            let options = SynthOptions {
                people: args.people,
                seed: args.seed,
                out: args.out,
                referred_share: args.referred_share,
                gp_effect: args.gp_effect,
                ae_effect: args.ae_effect,
                wellbeing_effect: args.wellbeing_effect,
                trend: args.trend,
                vendor_scheme: args.vendor_scheme,
            };
            let started = std::time::Instant::now();
            let truth = synth::generate(&options, console)?;
            let count = |k: &str| truth.counts.get(k).copied().unwrap_or(0);
            console.result(format!(
                "Wrote {} people, {} referrals and {} health events to {} in {:.1}s (truth in truth.json)",
                thousands(count("people")),
                thousands(count("referred")),
                thousands(count("health_events")),
                options.out.display(),
                started.elapsed().as_secs_f64()
            ));
            Ok(0)
        }
        Command::Audit(args) => {
            let folder = Named::new("the output folder", &args.output);
            let _reading = FolderLock::acquire(
                folder,
                Access::Shared,
                Made::Evaluation,
                "sprout audit",
                console,
            )?;
            let audit = crate::audit::audit_folder(&args.output)?;
            console.result(audit.summary());
            Ok(if audit.clean() { 0 } else { 1 })
        }
        Command::Schema(args) => {
            let tables: Vec<_> = match &args.table {
                Some(name) => vec![model::table(name).ok_or_else(|| {
                    let names: Vec<_> = model::TABLES.iter().map(|t| t.name).collect();
                    Error::Usage(format!(
                        "no table '{name}'; tables are: {}",
                        names.join(", ")
                    ))
                })?],
                None => model::TABLES.iter().collect(),
            };
            console.result(match args.format {
                SchemaFormat::Text => describe::text(&tables),
                SchemaFormat::Json => describe::json(&tables),
            });
            Ok(0)
        }
        Command::Measures(args) => {
            let health = health_options(&args)?;
            let options = MeasureOptions {
                warehouse: args.warehouse,
                period: Period::parse(&args.period)?,
                out: args.out,
                pairing: PairingRules {
                    baseline_before_days: args.baseline_before_days,
                    baseline_after_days: args.baseline_after_days,
                    min_follow_up_days: args.min_follow_up_days,
                    follow_up_after_closure_days: args.follow_up_after_closure_days,
                    min_pairs: args.min_pairs,
                    cohort: match args.outcome_cohort {
                        OutcomeCohortArg::Closed => OutcomeCohort::Closed,
                        OutcomeCohortArg::Received => OutcomeCohort::Received,
                    },
                },
                benchmark: BenchmarkOptions {
                    adjustment: match args.funnel_adjustment {
                        FunnelAdjustment::Auto => Adjustment::Auto,
                        FunnelAdjustment::None => Adjustment::None,
                        FunnelAdjustment::Multiplicative => Adjustment::Multiplicative,
                        FunnelAdjustment::Additive => Adjustment::Additive,
                    },
                    rebase: args.spc_rebase,
                    declined_target: args.declined_target,
                },
                health,
                engine: args.engine.engine(),
            };
            let mut watch = Stopwatch::start();
            let result = crate::sql::runtime(args.engine.target_partitions)?
                .block_on(measures::run(&options, &mut watch, console))?;
            if let Some(path) = &args.timings {
                watch.write(path)?;
            }
            let mut summary = measures_summary(&result.tables, &options);
            summary.push_str(&health_summary(&result.health));
            console.result(summary);
            for warning in &result.warnings {
                console.warn(warning);
            }
            Ok(0)
        }
        Command::Evaluate(args) => {
            let options = EvaluateOptions {
                spec: args.spec,
                out: args.out,
                not_for_publication: args.not_for_publication,
                engine: args.engine.engine(),
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
        Command::Sql(args) => {
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
            crate::sql::runtime(args.engine.target_partitions)?.block_on(async {
                let ctx = crate::sql::session(&warehouse, args.engine.engine()).await?;
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
                        crate::sql::write(&batches, schema, path)?;
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
    }
}

fn health_options(args: &MeasuresArgs) -> Result<HealthOptions> {
    HealthOptions {
        windows_months: args.health_windows.clone(),
        partial_before: match args.partial_before {
            PartialBeforeArg::Adjust => PartialBefore::Adjust,
            PartialBeforeArg::Exclude => PartialBefore::Exclude,
        },
        min_coverage: args.min_window_coverage,
        k: args.comparators,
        unit: match args.match_unit {
            MatchUnitArg::Practice => MatchUnit::Practice,
            MatchUnitArg::Pcn => MatchUnit::Pcn,
        },
        washout_days: args.washout_days,
        bootstrap: args.bootstrap,
        seed: args.seed,
        unit_costs: args
            .unit_costs
            .as_deref()
            .map(UnitCosts::read)
            .transpose()?,
    }
    .checked()
}

fn measures_summary(tables: &[OutTable], options: &MeasureOptions) -> String {
    use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array};
    let mut out = format!(
        "Outcome measures for {} written to {}\n",
        options.period.label,
        options.out.display()
    );
    if let Some(change) = tables.iter().find(|t| t.name() == "wellbeing_change") {
        let b = &change.batch;
        let col = |n: &str| b.column_by_name(n).cloned();
        let (Some(score), Some(breakdown), Some(pairs), Some(mean), Some(lo), Some(hi)) = (
            col("score_label"),
            col("breakdown"),
            col("pairs"),
            col("mean_change"),
            col("change_lower"),
            col("change_upper"),
        ) else {
            return out;
        };
        let (score, breakdown) = (score.as_string::<i32>(), breakdown.as_string::<i32>());
        let pairs = pairs.as_any().downcast_ref::<Int64Array>().cloned();
        let floats = |a: &std::sync::Arc<dyn datafusion::arrow::array::Array>| {
            a.as_any().downcast_ref::<Float64Array>().cloned()
        };
        let (Some(pairs), Some(mean), Some(lo), Some(hi)) =
            (pairs, floats(&mean), floats(&lo), floats(&hi))
        else {
            return out;
        };
        let overall: Vec<usize> = (0..b.num_rows())
            .filter(|&i| breakdown.value(i) == "all")
            .collect();
        if overall.is_empty() {
            out.push_str(&format!(
                "\nNo paired wellbeing assessments among accepted referrals {}: see wellbeing_attrition_funnel.csv for why.\n",
                options.pairing.cohort.label()
            ));
            return out;
        }
        out.push_str(&format!(
            "\nPaired change, accepted referrals {} (follow-up minus baseline, 95% CI):\n",
            options.pairing.cohort.label()
        ));
        for i in overall {
            let interval = if lo.is_valid(i) {
                format!(
                    "{:+.2} ({:+.2} to {:+.2})",
                    mean.value(i),
                    lo.value(i),
                    hi.value(i)
                )
            } else {
                format!("{:+.2} (interval withheld: too few pairs)", mean.value(i))
            };
            out.push_str(&format!(
                "  {:<52} {:>6} pairs  {interval}\n",
                score.value(i),
                pairs.value(i)
            ));
        }
    }
    out
}

fn health_summary(headlines: &[measures::health::Headline]) -> String {
    let Some(first) = headlines.first() else {
        return String::new();
    };
    let interval = |x: f64, lo: f64, hi: f64| {
        if lo.is_nan() {
            format!("{x:+.2}")
        } else {
            format!("{x:+.2} ({lo:+.2} to {hi:+.2})")
        }
    };
    let mut out = format!(
        "\nHealth and care system, {} months before and after referral (change in events per person-year, 95% CI):\n",
        first.months
    );
    for h in headlines {
        let (n, x, lo, hi) = h.naive;
        out.push_str(&format!(
            "  {:<28} naive before/after ({n} people)  {}\n",
            h.setting,
            interval(x, lo, hi)
        ));
        for (pool, sets, x, lo, hi) in &h.comparisons {
            out.push_str(&format!(
                "  {:<28} against {} comparators ({sets} matched)  {}\n",
                "",
                pool.replace('_', " "),
                interval(*x, *lo, *hi)
            ));
        }
    }
    out
}

fn evaluation_summary(e: &Evaluation) -> String {
    let rows: u64 = e.ingest.files.iter().map(|f| f.rows_read).sum();
    let quarantined = e.ingest.quarantined();
    let mut out = format!(
        "Evaluated {} ({}) from {} input files ({} lines, {} records, {} quarantined)\n\n",
        e.stamp.title,
        e.stamp.period,
        e.ingest.files.len(),
        thousands(e.ingest.lines_read()),
        thousands(rows),
        thousands(quarantined)
    );
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
    out.push_str(&format!(
        "Warehouse:  {} (row-level: not for publication)\n",
        e.warehouse.display()
    ));
    if quarantined > 0 {
        out.push_str(&format!(
            "\n{} rows quarantined: sprout sql \"SELECT * FROM quarantine ORDER BY source_file, line\" --warehouse {}\n",
            thousands(quarantined),
            e.warehouse.display()
        ));
    }
    out
}

fn ingest_summary(report: &IngestReport, options: &IngestOptions) -> String {
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
fn line_account(f: &ingest::FileReport) -> String {
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
