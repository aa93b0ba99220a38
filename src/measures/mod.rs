//! Measures of the common outcomes framework.
//!
//! Each measure is SQL in `queries/` ([`query`]) producing pairs or sufficient
//! statistics over the warehouse; Rust turns them into estimates with
//! [`crate::stats`] and writes documented tables ([`table`]) as Parquet and CSV.
//!
//! - [`wellbeing`]: impact on the person (paired change, reliable change, band
//!   shifts, the attrition funnel and attrition bias).
//! - [`benchmark`]: funnel plots of PCNs and SPC charts of monthly series.
//! - [`standardised`]: referrals of each practice and PCN against those
//!   expected at the scheme's rates for its ages and sexes.
//! - [`service`]: service delivery by NHS quarter (referrals, uptake, timeliness).
//! - [`support`]: support offered and link-worker caseload.
//! - [`community`]: impact on community groups (organisations receiving referrals).
//! - [`equity`]: referral, decline and outcome completion by population group.
//! - [`over_time`]: the headline measures against earlier periods and by quarter.
//! - [`context`]: ODS names of the practices and PCNs, and local ONS4 means.
//! - [`quality`]: data quality (completeness, impossible date orders, duplicates).
//! - [`health`]: impact on the health and care system (before/after, matched
//!   comparison cohorts, difference-in-differences, event study, costs).

pub mod benchmark;
pub mod community;
pub mod context;
pub mod equity;
pub mod health;
pub mod over_time;
pub mod period;
pub mod quality;
pub mod query;
pub mod service;
pub mod standardised;
pub mod support;
pub mod table;
pub mod wellbeing;

use std::path::PathBuf;

use crate::error::Result;
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
    pub engine: crate::engine::Engine,
    /// The local authority whose ONS4 means are shown beside the cohort's
    /// (an ONS code such as E08000026), when the estimates were ingested.
    pub local_authority: Option<String>,
}

/// Every measure of a period, computed and not yet written.
#[derive(Debug)]
pub struct Computed {
    /// Every table, exact (before any disclosure control); the cautions
    /// (`health_warnings`) are written later, from the tables as published
    /// ([`crate::render::cautions`]).
    pub tables: Vec<OutTable>,
    /// The funnels and SPC charts behind the benchmarking tables.
    pub benchmarks: benchmark::Benchmarks,
    /// The strata and lists behind the standardised referral ratios (their
    /// expected referrals are worked out again from the published rates).
    pub standardisation: standardised::Standardisation,
    /// The health and care system's naive and comparison estimates, side by side.
    pub health: Vec<health::Headline>,
    /// What the user should know before reading the tables (a period the
    /// referrals do not reach), for the terminal.
    pub notices: Vec<String>,
}

/// Compute every measure for `options.period` (nothing is written). The
/// stopwatch's `measures` lap ends before the health and care system's
/// measures (matching, difference-in-differences), whose lap is `health`
/// and includes the funnels, some of which (before and after referral by
/// PCN) need the health cohort.
pub async fn compute(options: &MeasureOptions, watch: &mut Stopwatch) -> Result<Computed> {
    let warehouse = Warehouse::open(&options.warehouse)?;
    let ctx = crate::engine::session(&warehouse, options.engine).await?;
    watch.watch_engine(&ctx);
    let notices = period::coverage_notice(&ctx, &options.period)
        .await?
        .into_iter()
        .collect();
    // The period's paired assessments, for its person outcomes and (beside
    // the earlier days') its change over time: the pairs query runs once
    // for the period.
    let episodes = wellbeing::Episodes::load(&ctx, &options.period, &options.pairing).await?;
    let person =
        wellbeing::person_outcomes(&ctx, &options.period, &options.pairing, &episodes).await?;
    let standardisation =
        standardised::standardisation(&ctx, &options.period, &options.benchmark.standardisation)
            .await?;
    let mut rest = service::service_delivery(&ctx, &options.period).await?;
    rest.extend(support::support(&ctx, &options.period).await?);
    rest.extend(community::community_groups(&ctx, &options.period).await?);
    rest.extend(equity::equity(&ctx, &options.period, options.pairing.cohort).await?);
    let (quality, now) =
        quality::data_quality(&ctx, &options.period, options.pairing.cohort).await?;
    rest.extend(quality);
    rest.extend(
        over_time::over_time(&ctx, &options.period, &options.pairing, &episodes, now).await?,
    );
    drop(episodes);
    rest.extend(context::context(&ctx, options.local_authority.as_deref()).await?);
    watch.lap("measures");
    let health = health::health_system(&ctx, &options.period, &options.health).await?;
    let change = person.iter().find(|t| t.name() == "wellbeing_change");
    let mut more = vec![benchmark::standardised_ratio_funnel(
        standardised::pcn_units(&standardisation),
        &standardisation.basis(),
    )];
    more.extend(benchmark::after_before_funnels(&health.after_before));
    let benchmarks =
        benchmark::benchmarks(&ctx, &options.period, change, more, &options.benchmark).await?;
    watch.lap("health");
    let mut tables = person;
    tables.extend(benchmark::tables(&benchmarks)?);
    tables.extend(standardised::tables(&standardisation)?);
    tables.extend(rest);
    tables.extend(health.tables);
    Ok(Computed {
        tables,
        benchmarks,
        standardisation,
        health: health.headlines,
        notices,
    })
}
