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
pub mod exchange;
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

use std::collections::BTreeSet;
use std::path::PathBuf;

use datafusion::prelude::SessionContext;

use crate::engine::binding::Binding;
use crate::error::Result;
use crate::stages::Stopwatch;
use crate::warehouse::{Location, Warehouse};
use exchange::Exchange;
use period::Period;
use table::OutTable;
use wellbeing::PairingRules;

/// What to compute and where to write it.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// The warehouse: a folder, or a copy in an object store.
    pub warehouse: Location,
    /// A queries folder whose results answer the measure queries in place
    /// of the warehouse (`--query-results`, [`exchange`]).
    pub query_results: Option<PathBuf>,
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
///
/// The person outcomes and the other families of measures run side by side
/// when the engine's pool is unbounded: the pairs query keeps about one core
/// busy, and the other families' queries and statistics fill the other.
/// Each family returns its tables in the same order whichever finishes
/// first. With a memory limit they run one after the other, so that no two
/// families' queries share the bounded pool.
pub async fn compute(options: &MeasureOptions, watch: &mut Stopwatch) -> Result<Computed> {
    let ctx = match &options.query_results {
        Some(dir) => Exchange::replaying(dir)?,
        None => {
            let warehouse = Warehouse::open_at(&options.warehouse).await?;
            crate::engine::session(&warehouse, options.engine.clone()).await?
        }
    };
    compute_on(ctx, options, watch).await
}

/// Every measure query a run with `options` makes, with its parameters: the
/// measures run once over no data, noting each query instead of running it
/// ([`Exchange::Record`]).
pub async fn queries(options: &MeasureOptions) -> Result<BTreeSet<Binding>> {
    let ctx = Exchange::recording();
    compute_on(ctx.clone(), options, &mut Stopwatch::start()).await?;
    Ok(Exchange::of(&ctx).map(|e| e.recorded()).unwrap_or_default())
}

/// [`compute`] on a session already made.
async fn compute_on(
    ctx: SessionContext,
    options: &MeasureOptions,
    watch: &mut Stopwatch,
) -> Result<Computed> {
    watch.watch_engine(&ctx);
    let span = period::ReferralSpan::load(&ctx, &options.period).await?;
    let mut notices: Vec<String> = span.notice(&options.period).into_iter().collect();
    let person = person_family(ctx.clone(), options.clone());
    let others = other_families(ctx.clone(), options.clone());
    let ((episodes, person), (standardisation, mut rest, now)) =
        if options.engine.memory_limit.is_none() {
            let person = tokio::spawn(person);
            let others = tokio::spawn(others);
            // Both are waited for, so a failure leaves nothing running and
            // the person outcomes' failure is the one told, as in turn.
            let (person, others) = (joined(person.await), joined(others.await));
            (person?, others?)
        } else {
            (person.await?, others.await?)
        };
    rest.extend(
        over_time::over_time(
            &ctx,
            &options.period,
            &options.pairing,
            (&episodes, now, span),
        )
        .await?,
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
    if let Some(on) = crate::engine::cluster::OnCluster::of(&ctx) {
        notices.extend(on.warnings());
    }
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

/// The period's paired assessments and its person outcomes. The pairs query
/// runs once for the period: its episodes also serve the change over time
/// (beside the earlier days').
async fn person_family(
    ctx: SessionContext,
    options: MeasureOptions,
) -> Result<(wellbeing::Episodes, Vec<OutTable>)> {
    let episodes = wellbeing::Episodes::load(&ctx, &options.period, &options.pairing).await?;
    let person =
        wellbeing::person_outcomes(&ctx, &options.period, &options.pairing, &episodes).await?;
    Ok((episodes, person))
}

/// The standardisation strata and the tables of service delivery, support,
/// community groups, equity and data quality, with the period's
/// overall counts that the change over time sets beside earlier periods'.
async fn other_families(
    ctx: SessionContext,
    options: MeasureOptions,
) -> Result<(
    standardised::Standardisation,
    Vec<OutTable>,
    quality::Overall,
)> {
    let period = &options.period;
    let standardisation =
        standardised::standardisation(&ctx, period, &options.benchmark.standardisation).await?;
    let mut rest = service::service_delivery(&ctx, period).await?;
    rest.extend(support::support(&ctx, period).await?);
    rest.extend(community::community_groups(&ctx, period).await?);
    rest.extend(equity::equity(&ctx, period, options.pairing.cohort).await?);
    let (quality, now) = quality::data_quality(&ctx, period, options.pairing.cohort).await?;
    rest.extend(quality);
    Ok((standardisation, rest, now))
}

/// The result of a spawned family of measures; a panic in it is raised again here.
fn joined<T>(done: std::result::Result<T, tokio::task::JoinError>) -> T {
    done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}
