//! Measures of the common outcomes framework.
//!
//! Each measure is SQL in `queries/` ([`query`]) producing pairs or sufficient
//! statistics over the warehouse; Rust turns them into estimates with
//! [`crate::stats`] and writes documented tables ([`table`]) as Parquet and CSV.
//!
//! - [`wellbeing`]: impact on the person (paired change, reliable change, band
//!   shifts, the attrition funnel and attrition bias).
//! - [`benchmark`]: funnel plots of PCNs and SPC charts of monthly series.
//! - [`service`]: service delivery by NHS quarter (referrals, uptake, timeliness).
//! - [`support`]: support offered and link-worker caseload.
//! - [`community`]: impact on community groups (organisations receiving referrals).
//! - [`equity`]: referral, decline and outcome completion by population group.
//! - [`quality`]: data quality (completeness, impossible date orders, duplicates).
//! - [`health`]: impact on the health and care system (before/after, matched
//!   comparison cohorts, difference-in-differences, event study, costs).

pub mod benchmark;
pub mod community;
pub mod equity;
pub mod health;
pub mod period;
pub mod quality;
pub mod query;
pub mod service;
pub mod support;
pub mod table;
pub mod wellbeing;

use std::path::PathBuf;

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_apart, check_replaceable};
use crate::stages::Stopwatch;
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
    /// Funnel and SPC settings.
    pub benchmark: benchmark::BenchmarkOptions,
    /// Health and care system settings.
    pub health: health::HealthOptions,
    /// Query partitions and memory.
    pub engine: crate::sql::Engine,
}

/// The tables written and the warnings raised.
#[derive(Debug)]
pub struct MeasureResult {
    /// Every table written.
    pub tables: Vec<OutTable>,
    /// Warnings for the user (regression to the mean, weak comparisons).
    pub warnings: Vec<String>,
    /// The health and care system's naive and comparison estimates, side by side.
    pub health: Vec<health::Headline>,
}

/// Every measure of a period, computed and not yet written.
#[derive(Debug)]
pub struct Computed {
    /// Every table, exact (before any disclosure control); the cautions
    /// (`health_warnings`) are written later, from the tables as published
    /// ([`health::cautions`]).
    pub tables: Vec<OutTable>,
    /// The funnels and SPC charts behind the benchmarking tables.
    pub benchmarks: benchmark::Benchmarks,
    /// The health and care system's naive and comparison estimates, side by side.
    pub health: Vec<health::Headline>,
}

/// Compute every measure for `options.period` (nothing is written). The
/// stopwatch's `measures` lap ends before the health and care system's
/// measures (matching, difference-in-differences), whose lap is `health`.
pub async fn compute(options: &MeasureOptions, watch: &mut Stopwatch) -> Result<Computed> {
    let warehouse = Warehouse::open(&options.warehouse)?;
    let ctx = crate::sql::session(&warehouse, options.engine).await?;
    let mut tables = wellbeing::person_outcomes(&ctx, &options.period, &options.pairing).await?;
    let change = tables.iter().find(|t| t.name() == "wellbeing_change");
    let benchmarks =
        benchmark::benchmarks(&ctx, &options.period, change, &options.benchmark).await?;
    tables.extend(benchmark::tables(&benchmarks)?);
    tables.extend(service::service_delivery(&ctx, &options.period).await?);
    tables.extend(support::support(&ctx, &options.period).await?);
    tables.extend(community::community_groups(&ctx, &options.period).await?);
    tables.extend(equity::equity(&ctx, &options.period, options.pairing.cohort).await?);
    tables.extend(quality::data_quality(&ctx, &options.period, options.pairing.cohort).await?);
    watch.lap("measures");
    let health = health::health_system(&ctx, &options.period, &options.health).await?;
    watch.lap("health");
    tables.extend(health.tables);
    Ok(Computed {
        tables,
        benchmarks,
        health: health.headlines,
    })
}

/// Compute every measure and write its exact tables and charts into
/// `options.out`, which is built beside its target and swapped in whole, with
/// `measures.json` listing what was written. Refused before anything is read
/// when the output overlaps the warehouse, is a folder sprout did not make, or
/// is in use; the warehouse is read under a shared lock.
pub async fn run(
    options: &MeasureOptions,
    watch: &mut Stopwatch,
    console: &Console,
) -> Result<MeasureResult> {
    let target = Named::new("the output folder (--out)", &options.out);
    let source = Named::new("the warehouse (--warehouse)", &options.warehouse);
    check_apart(&[target], &[source])?;
    let command = "sprout measures";
    let _reading = FolderLock::acquire(source, Access::Shared, Made::Warehouse, command, console)?;
    let _writing =
        FolderLock::acquire(target, Access::Exclusive, Made::Measures, command, console)?;
    check_replaceable(target, Made::Measures)?;
    let mut computed = compute(options, watch).await?;
    // The exact tables, as written: the cautions quote the exact figures of
    // the health tables.
    let exact = |t: &OutTable| crate::disclosure::publish(t, crate::disclosure::Policy::None);
    let mut exact_tables: Vec<crate::disclosure::PublishedTable> =
        computed.tables.iter().map(exact).collect();
    let cautions = health::cautions::cautions(
        &exact_tables,
        crate::disclosure::Policy::None,
        options.health.washout_days,
    );
    let caution_table = health::cautions::table(&options.period.label, &cautions)?;
    exact_tables.push(exact(&caution_table));
    computed.tables.push(caution_table);
    let staged = StagedDir::create(&options.out)?;
    let formats = ["parquet", "csv", "json"].map(String::from);
    let mut files = crate::render::tables::write_all(&exact_tables, staged.path(), &formats)?;
    let funnels = computed.benchmarks.funnels.iter().map(|f| {
        let name = format!("funnel_{}.svg", f.measure.name);
        (name, crate::render::charts::funnel_svg(f))
    });
    let spc = computed.benchmarks.spc.iter().map(|s| {
        let name = format!("spc_{}.svg", s.name);
        (name, crate::render::charts::spc_svg(s))
    });
    for (name, svg) in funnels.chain(spc) {
        let file = format!("charts/{name}");
        let svg = crate::text::visible_markup(&svg);
        crate::atomic::write(&staged.path().join(&file), svg.as_bytes())?;
        files.push(file);
    }
    let record = serde_json::json!({
        "sprout_version": crate::VERSION,
        "period": options.period.label,
        "files": files,
    });
    let mut json = serde_json::to_string_pretty(&record)
        .map_err(|e| crate::error::Error::Usage(e.to_string()))?;
    json.push('\n');
    crate::atomic::write(&staged.path().join("measures.json"), json.as_bytes())?;
    staged.commit()?;
    watch.lap("write");
    Ok(MeasureResult {
        tables: computed.tables,
        warnings: cautions.into_iter().map(|c| c.message).collect(),
        health: computed.health,
    })
}
