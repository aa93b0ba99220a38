//! The `sprout` command line: arguments parsed once into options, each
//! subcommand handed to the library, and the outcome turned into an exit code.
//! Each command has its own file: its options (clap), how they become the
//! library's options, and the summary it prints.
//!
//! Exit codes are a contract: 0 success, 1 data problems found (rows
//! quarantined), 2 sprout could not do the job (the message says why and what to do).

mod audit;
mod evaluate;
mod ingest;
mod measures;
mod pool;
mod queries;
mod schema;
mod sql;
mod synth;

use clap::{Args, Parser, Subcommand};

use crate::console::Console;
use crate::error::Result;

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
    Ingest(ingest::IngestArgs),
    /// Write synthetic extracts with known planted effects (and truth.json).
    Synth(synth::SynthArgs),
    /// Print every canonical table and column with its type and allowed codes.
    Schema(schema::SchemaArgs),
    /// Run a read-only SQL query over the warehouse tables.
    Sql(sql::SqlArgs),
    /// Compute the outcome measures for a period and write their exact tables.
    Measures(measures::MeasuresArgs),
    /// Write every measure query of a period in another engine's SQL, for
    /// `sprout measures --query-results`.
    Queries(queries::QueriesArgs),
    /// Run a whole evaluation from its spec: ingest, measures, disclosure control,
    /// reports, workbook and tables.
    Evaluate(evaluate::EvaluateArgs),
    /// Check a finished evaluation's published tables for any withheld or
    /// rounded cell a reader could work out; exits 1 when there is one.
    Audit(audit::AuditArgs),
    /// Pool many evaluations' published results (results.json) across
    /// schemes by random-effects meta-analysis.
    Pool(pool::PoolArgs),
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
    #[arg(long, value_parser = crate::engine::parse_memory_size)]
    memory_limit: Option<u64>,
    /// Run the measure queries on an Apache DataFusion Ballista cluster: its
    /// scheduler's address, df://HOST:PORT, or `standalone[:EXECUTORS]` for
    /// one started inside this process. The warehouse must be at the same
    /// path on every executor. Needs a sprout built with `--features cluster`.
    #[arg(long, value_name = "ADDRESS")]
    cluster: Option<crate::engine::cluster::Place>,
    /// With --cluster: run every measure query on this machine too and
    /// compare; where they differ this machine's result is used, with a warning.
    #[arg(long, requires = "cluster")]
    cluster_verify: bool,
    /// With --cluster: how many partitions each query is split into on the
    /// cluster. Default: the executors' total vcores, as the scheduler's REST
    /// API reports them (`standalone`: --target-partitions).
    #[arg(long, requires = "cluster", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    partitions: Option<u32>,
    /// With --cluster: Ballista's adaptive planning (joins and partition
    /// counts chosen from finished stages' statistics). Off by default: it
    /// never finishes three of the measure queries, which then run here.
    #[arg(long, requires = "cluster", default_value_t = false, action = clap::ArgAction::Set, value_name = "BOOL")]
    adaptive_planning: bool,
}

impl EngineArgs {
    fn engine(&self) -> crate::engine::Engine {
        crate::engine::Engine {
            target_partitions: self.target_partitions,
            memory_limit: self.memory_limit,
            cluster: self
                .cluster
                .clone()
                .map(|place| crate::engine::cluster::Cluster {
                    place,
                    adaptive_planning: self.adaptive_planning,
                    verify: self.cluster_verify,
                    partitions: self.partitions.map(|n| n as usize),
                }),
        }
    }
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
    if let Some(engine) = cli.command.engine() {
        crate::engine::few_allocator_arenas(engine.target_partitions);
    }
    let console = Console::new(cli.quiet);
    match run(cli.command, &console) {
        Ok(code) => code,
        Err(e) => {
            console.error(e.to_string());
            2
        }
    }
}

impl Command {
    /// How the command's queries run, for a command that queries the warehouse.
    fn engine(&self) -> Option<crate::engine::Engine> {
        match self {
            Command::Measures(args) => Some(args.engine.engine()),
            Command::Evaluate(args) => Some(args.engine.engine()),
            Command::Sql(args) => Some(args.engine.engine()),
            Command::Ingest(_)
            | Command::Synth(_)
            | Command::Audit(_)
            | Command::Schema(_)
            | Command::Queries(_)
            | Command::Pool(_) => None,
        }
    }
}

fn run(command: Command, console: &Console) -> Result<i32> {
    match command {
        Command::Ingest(args) => ingest::run(args, console),
        Command::Synth(args) => synth::run(args, console),
        Command::Audit(args) => audit::run(args, console),
        Command::Schema(args) => schema::run(args, console),
        Command::Measures(args) => measures::run(args, console),
        Command::Queries(args) => queries::run(args, console),
        Command::Pool(args) => pool::run(args, console),
        Command::Evaluate(args) => evaluate::run(args, console),
        Command::Sql(args) => sql::run(args, console),
    }
}
