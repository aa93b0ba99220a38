//! Scale benchmark for `sprout synth` (and the ingest of what it writes).
//!
//! Target (issue: foundation): 1,000,000 registered people generated in under
//! a minute on 2 cores. Run with
//!
//! ```sh
//! cargo bench --bench synth_scale            # 1,000,000 people
//! SPROUT_BENCH_PEOPLE=100000 cargo bench --bench synth_scale
//! ```
//!
//! It prints the time of each stage, rows per second and whether the target was met.

use std::time::Instant;

use sprout::console::Console;
use sprout::ingest::{IngestOptions, ingest};
use sprout::synth::{SynthOptions, generate};

/// Seconds allowed for generating one million people.
const TARGET_SECONDS_PER_MILLION: f64 = 60.0;

fn main() {
    let people: usize = std::env::var("SPROUT_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = SynthOptions {
        people,
        out: dir.path().join("extract"),
        ..SynthOptions::default()
    };

    let started = Instant::now();
    let truth = generate(&options).expect("synth");
    let synth_seconds = started.elapsed().as_secs_f64();
    let events = truth.counts["health_events"];
    let target = TARGET_SECONDS_PER_MILLION * people as f64 / 1e6;
    println!(
        "synth  {people:>10} people {events:>11} events  {synth_seconds:>7.2} s  {:>10.0} people/s  target {target:.1} s: {}",
        people as f64 / synth_seconds,
        if synth_seconds <= target {
            "met"
        } else {
            "MISSED"
        }
    );

    let started = Instant::now();
    let report = ingest(
        &IngestOptions {
            inputs: vec![options.out.clone()],
            warehouse: dir.path().join("warehouse"),
            mapping: None,
            key_file: None,
            as_of: None,
            imd: None,
            area_population: None,
        },
        &Console::new(true),
    )
    .expect("ingest");
    let ingest_seconds = started.elapsed().as_secs_f64();
    let rows: u64 = report.files.iter().map(|f| f.rows_read).sum();
    println!(
        "ingest {rows:>10} rows                    {ingest_seconds:>7.2} s  {:>10.0} rows/s",
        rows as f64 / ingest_seconds
    );
    assert_eq!(report.quarantined(), 0, "synthetic data ingests cleanly");
}
