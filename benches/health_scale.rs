//! Scale benchmark for the health-and-care-system measures: before/after,
//! matching, difference-in-differences and event study.
//!
//! Target (issue: impact on the health and care system): at least 1,000,000
//! referred people and 10,000,000 health events, with time and peak memory
//! recorded. The default generates 2,700,000 registered people of whom
//! 1,300,000 are referred (1,040,000 accepted in 2024/25, the referred cohort)
//! with 40 million events. Run with
//!
//! ```sh
//! cargo bench --bench health_scale
//! SPROUT_BENCH_PEOPLE=100000 cargo bench --bench health_scale   # a quick look
//! ```
//!
//! Synthesis and ingest are set-up and timed separately; the peak memory of
//! the health stage is read from the kernel (VmHWM, reset before the stage).

use std::time::Instant;

use sprout::console::Console;
use sprout::ingest::{IngestOptions, ingest};
use sprout::measures::health::{self, HealthOptions};
use sprout::measures::period::Period;
use sprout::synth::{SynthOptions, generate};
use sprout::warehouse::Warehouse;

/// Peak resident memory of this process in MiB (VmHWM), when the kernel says.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reset the peak so that the next reading covers only what follows.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let people: usize = std::env::var("SPROUT_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_700_000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = SynthOptions {
        people,
        referred_share: 0.79,
        out: dir.path().join("extract"),
        ..SynthOptions::default()
    };
    let started = Instant::now();
    let truth = generate(&options).expect("synth");
    println!(
        "set-up: synth {people} people, {} referred, {} events in {:.1} s",
        truth.counts["referred"],
        truth.counts["health_events"],
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let warehouse = dir.path().join("warehouse");
    ingest(
        &IngestOptions {
            inputs: vec![options.out.clone()],
            warehouse: warehouse.clone(),
            mapping: None,
            key_file: None,
            as_of: None,
            imd: None,
            area_population: None,
        },
        &Console::new(true),
    )
    .expect("ingest");
    println!("set-up: ingest in {:.1} s", started.elapsed().as_secs_f64());

    reset_peak();
    let period = Period::parse("2024/25").expect("period");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let started = Instant::now();
    let cohort = runtime
        .block_on(async {
            let wh = Warehouse::open(&warehouse)?;
            let ctx = sprout::sql::session(&wh, 2).await?;
            health::cohort::load(&ctx, &period).await
        })
        .expect("load");
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let result = health::compute(&cohort, &period, &HealthOptions::default()).expect("compute");
    let compute_seconds = started.elapsed().as_secs_f64();
    let rows: usize = result.tables.iter().map(|t| t.batch.num_rows()).sum();
    println!(
        "health: {} referred (accepted in the period), {} people, {} events",
        cohort.accepted.len(),
        cohort.people.ids.len(),
        truth.counts["health_events"]
    );
    println!("health: read from the warehouse   {load_seconds:>7.2} s");
    println!(
        "health: windows, matching, DiD     {compute_seconds:>7.2} s  ({} tables, {rows} rows)",
        result.tables.len()
    );
    match peak_mib() {
        Some(mib) => println!("health: peak memory               {mib:>7.0} MiB"),
        None => println!("health: peak memory not available on this system"),
    }
}
