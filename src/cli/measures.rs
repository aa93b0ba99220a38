//! `sprout measures`: its options, turned into the library's, and the summary it prints.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::measures::benchmark::{Adjustment, BenchmarkOptions};
use crate::measures::health::HealthOptions;
use crate::measures::health::costs::UnitCosts;
use crate::measures::health::matching::{MatchOn, MatchUnit};
use crate::measures::health::usage::PartialBefore;
use crate::measures::health::washout::Setting;
use crate::measures::standardised::StandardisationOptions;
use crate::measures::standardised::reference::ReferenceRates;
use crate::measures::{
    self, MeasureOptions,
    period::{OutcomeCohort, Period},
    table::OutTable,
    wellbeing::PairingRules,
};
use crate::stages::Stopwatch;
use crate::warehouse::Location;

use super::{EngineArgs, parse_day};

#[derive(Debug, Args)]
pub(super) struct MeasuresArgs {
    /// Warehouse folder, or a copy of one in S3 or an S3-compatible store
    /// (s3://BUCKET/PATH, read with the AWS_* environment variables; cluster
    /// builds).
    #[arg(long, short, default_value = "warehouse")]
    warehouse: Location,
    /// Answer the measure queries from their results, computed elsewhere,
    /// instead of the warehouse: a folder written by `sprout queries` (same
    /// period and settings) holding each query's result as Parquet, named as
    /// its queries.json says.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["warehouse", "cluster"])]
    query_results: Option<PathBuf>,
    /// Output folder for the tables (Parquet, CSV, JSON, data_dictionary.csv) and charts/.
    #[arg(long, short, default_value = "out/measures")]
    out: PathBuf,
    #[command(flatten)]
    settings: MeasureSettings,
    #[command(flatten)]
    pub(super) engine: EngineArgs,
    /// Write each stage's wall time and peak memory (measures, health, write)
    /// to this JSON file.
    #[arg(long)]
    timings: Option<PathBuf>,
}

/// The period and every setting of the measures; shared by `sprout
/// measures` and `sprout queries`.
#[derive(Debug, Args)]
pub(super) struct MeasureSettings {
    /// Reporting period: 2025/26, 2025/26 Q2, rolling 2025/26 Q2 (four quarters), or
    /// 2025-04-01..2025-09-30; referrals count by referral date, outcomes by closure date
    /// (see --outcome-cohort).
    #[arg(long, short)]
    period: String,
    /// Baseline may be up to this many days before the start of support.
    #[arg(long, default_value_t = PairingRules::default().baseline_before_days)]
    baseline_before_days: i64,
    /// Baseline may be up to this many days after the start of support.
    #[arg(long, default_value_t = PairingRules::default().baseline_after_days)]
    baseline_after_days: i64,
    /// Follow-up must be at least this many days after the baseline (6 weeks).
    #[arg(long, default_value_t = PairingRules::default().min_follow_up_days)]
    min_follow_up_days: i64,
    /// Follow-up may be at most this many days after closure.
    #[arg(long, default_value_t = PairingRules::default().follow_up_after_closure_days)]
    follow_up_after_closure_days: i64,
    /// Below this many pairs, intervals and tests are withheld.
    #[arg(long, default_value_t = PairingRules::default().min_pairs)]
    min_pairs: usize,
    /// Outcome cohort of the wellbeing tables: accepted referrals whose episode
    /// closed in the period, or those received in it.
    #[arg(long, value_enum, default_value_t = OutcomeCohort::default())]
    outcome_cohort: OutcomeCohort,
    /// The local authority (ONS code, e.g. E08000026) whose ONS4 means are
    /// published beside England's, from the estimates given at ingest.
    #[arg(long, value_parser = crate::measures::context::area_code)]
    local_authority: Option<String>,
    /// Funnel limits for overdispersion: auto (additive random effects when the
    /// overdispersion test gives p < 0.05), none, multiplicative or additive.
    #[arg(long, value_enum, default_value_t = Adjustment::default())]
    funnel_adjustment: Adjustment,
    /// Rebase the SPC charts from this month (YYYY-MM-DD; repeat for several).
    #[arg(long, value_parser = parse_day)]
    spc_rebase: Vec<chrono::NaiveDate>,
    /// Target share of referrals declined (e.g. 0.1), for assurance on its SPC chart.
    #[arg(long)]
    declined_target: Option<f64>,
    /// SPC limits leave out moving ranges above 3.267 × their mean (Making Data
    /// Count); `false` computes them from every moving range.
    #[arg(long, action = clap::ArgAction::Set, default_value_t = BenchmarkOptions::default().spc_screen)]
    spc_screen_moving_ranges: bool,
    /// Fix the SPC limits from the first N months and extend them over the rest
    /// (as NHSRplotthedots' fix_after_n_points); default: from every month.
    #[arg(long)]
    spc_baseline_months: Option<usize>,
    /// Standardised referral ratios: strata by IMD quintile as well as age
    /// band and sex (needs the population extract's imd_quintile).
    #[arg(long)]
    standardise_by_deprivation: bool,
    /// Standardised referral ratios against a reference population's rates
    /// (CSV: age_band, sex, [imd_quintile,] referrals, population) instead of
    /// the scheme's own.
    #[arg(long)]
    reference_rates: Option<PathBuf>,
    /// Health use: before/after window lengths in months (comma-separated, e.g. 6,12).
    #[arg(long, value_delimiter = ',', default_values_t = HealthOptions::default().windows_months)]
    health_windows: Vec<i32>,
    /// Health use: people whose before window is only partly observed (late
    /// registration, event data starting inside it) are time-adjusted or excluded.
    #[arg(long, value_enum, default_value_t = PartialBefore::default())]
    partial_before: PartialBefore,
    /// Health use: a window observed for less than this share of its length is not used.
    #[arg(long, default_value_t = HealthOptions::default().min_coverage)]
    min_window_coverage: f64,
    /// Comparators matched to each referred person (k:1).
    #[arg(long, default_value_t = HealthOptions::default().k)]
    comparators: usize,
    /// Match comparators within the same practice or the same PCN.
    #[arg(long, value_enum, default_value_t = MatchUnit::default())]
    match_unit: MatchUnit,
    /// Match comparators on GP use just before referral (band), or also on its
    /// direction over the year before that (trajectory: rising, flat or falling).
    #[arg(long, value_enum, default_value_t = MatchOn::default())]
    match_on: MatchOn,
    /// Days just before referral left out of the comparison's before window (the
    /// run-up to referral, when need peaks); GP use in them is what comparators
    /// are matched on. `auto` chooses it from the data: where referred people's
    /// GP use starts to leave their comparators', at least 90 days.
    #[arg(long, value_name = "DAYS|auto", default_value_t = HealthOptions::default().washout_days)]
    washout_days: Setting,
    /// Days just after referral left out of the comparison's after window (need
    /// easing back after referral). `auto` chooses it from the data: how long
    /// referred people's GP use stays above its later level against their
    /// comparators' (0 when it does not).
    #[arg(long, value_name = "DAYS|auto", default_value_t = HealthOptions::default().after_washout_days)]
    after_washout_days: Setting,
    /// Bootstrap resamples for the difference-in-differences intervals.
    #[arg(long, default_value_t = HealthOptions::default().bootstrap)]
    bootstrap: usize,
    /// Seed of the comparator order and the bootstrap.
    #[arg(long, default_value_t = HealthOptions::default().seed)]
    seed: u64,
    /// Unit costs per setting (TOML with source, price_year and [unit_costs]) for a
    /// costed difference.
    #[arg(long)]
    unit_costs: Option<PathBuf>,
}

pub(super) fn health_options(args: &MeasureSettings) -> Result<HealthOptions> {
    HealthOptions {
        windows_months: args.health_windows.clone(),
        partial_before: args.partial_before,
        min_coverage: args.min_window_coverage,
        k: args.comparators,
        unit: args.match_unit,
        match_on: args.match_on,
        washout_days: args.washout_days,
        after_washout_days: args.after_washout_days,
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

pub(super) fn measures_summary(tables: &[OutTable], options: &MeasureOptions) -> String {
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

pub(super) fn health_summary(headlines: &[measures::health::Headline]) -> String {
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
        for c in &h.comparisons {
            let robust = match c.robust {
                "no" => "  not robust (see robust_basis)",
                "unchecked" => "  robustness unchecked",
                _ => "",
            };
            out.push_str(&format!(
                "  {:<28} against {} comparators ({} matched)  {}{robust}\n",
                "",
                c.pool.replace('_', " "),
                c.sets,
                interval(c.estimate, c.limits.0, c.limits.1)
            ));
        }
    }
    out
}

impl MeasureSettings {
    /// The library's options for these settings, reading from `warehouse`
    /// (or `query_results`) and writing to `out`.
    pub(super) fn options(
        self,
        (warehouse, query_results): (Location, Option<PathBuf>),
        out: PathBuf,
        engine: crate::engine::Engine,
    ) -> Result<MeasureOptions> {
        let args = self;
        let health = health_options(&args)?;
        Ok(MeasureOptions {
            warehouse,
            query_results,
            period: Period::parse(&args.period)?,
            out,
            pairing: PairingRules {
                baseline_before_days: args.baseline_before_days,
                baseline_after_days: args.baseline_after_days,
                min_follow_up_days: args.min_follow_up_days,
                follow_up_after_closure_days: args.follow_up_after_closure_days,
                min_pairs: args.min_pairs,
                cohort: args.outcome_cohort,
            },
            benchmark: BenchmarkOptions {
                adjustment: args.funnel_adjustment,
                rebase: args.spc_rebase,
                declined_target: args.declined_target,
                spc_screen: args.spc_screen_moving_ranges,
                spc_baseline_months: args.spc_baseline_months,
                standardisation: StandardisationOptions {
                    by_deprivation: args.standardise_by_deprivation,
                    reference: args
                        .reference_rates
                        .as_deref()
                        .map(|p| ReferenceRates::read(p, &p.display().to_string()))
                        .transpose()?,
                },
            },
            health,
            engine,
            local_authority: args.local_authority,
        })
    }
}

/// Run `sprout measures`.
pub(super) fn run(args: MeasuresArgs, console: &Console) -> Result<i32> {
    let options = args.settings.options(
        (args.warehouse, args.query_results),
        args.out,
        args.engine.engine(),
    )?;
    let mut watch = Stopwatch::start();
    watch.show(console.stage(), "Computing the measures");
    let result = crate::engine::runtime(args.engine.target_partitions)?
        .block_on(crate::evaluate::exact::run(&options, &mut watch, console))?;
    watch.done();
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
