//! Stage timings and peak memory of one run, written by `--timings FILE`.
//!
//! A [`Stopwatch`] is started before the first stage and told when each stage
//! ends. For each stage it records the wall time, the CPU time of all the
//! process's threads (so CPU over wall time is how many cores were busy) and,
//! on Linux, the peak resident memory (`VmHWM` in `/proc/self/status`),
//! resetting the peak after each reading so that every stage's figure covers
//! only that stage; and, once told the query engine's session, the most its
//! memory pool held in the stage (DataFusion's share of the resident peak),
//! and each measure query that finished in it with its time and rows. The scale
//! benchmark (`benches/scale/`) reads these files; users can read them to size
//! a machine.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};

/// One stage of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageTiming {
    /// The stage's name (`ingest`, `measures`, `health`, `report`).
    pub stage: &'static str,
    /// Wall time in seconds.
    pub seconds: f64,
    /// CPU time of every thread during the stage, in seconds (Linux only).
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory during the stage, in bytes (Linux only).
    pub peak_rss_bytes: Option<u64>,
    /// The most the query engine's memory pool held during the stage, in
    /// bytes (None before the engine starts).
    pub pool_peak_bytes: Option<u64>,
    /// The measure queries that finished during the stage, in the order they
    /// finished.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<crate::engine::QueryTiming>,
}

/// Times the stages of a run.
#[derive(Debug)]
pub struct Stopwatch {
    started: Instant,
    lap_started: Instant,
    cpu_started: Option<f64>,
    lap_cpu_started: Option<f64>,
    stages: Vec<StageTiming>,
    /// The query engine's memory pool, whose high-water mark is read at each lap.
    engine: Option<std::sync::Arc<dyn datafusion::execution::memory_pool::MemoryPool>>,
    /// The query engine's log of measure queries, taken at each lap.
    queries: Option<std::sync::Arc<crate::engine::QueryLog>>,
    /// The terminal's spinner, told which stage runs next at each lap.
    spinner: Option<indicatif::ProgressBar>,
}

/// What the terminal says runs after `stage` ends.
fn next_stage(stage: &str) -> &'static str {
    match stage {
        "ingest" => "Computing the measures",
        "measures" => "Matching and the health and care system's estimates",
        "health" => "Disclosure control, the audit and the reports",
        _ => "Finishing",
    }
}

/// A run that ends early (an error) clears its spinner too.
impl Drop for Stopwatch {
    fn drop(&mut self) {
        self.done();
    }
}

/// What `--timings` writes.
#[derive(Serialize)]
struct Timings<'a> {
    stages: &'a [StageTiming],
    total_seconds: f64,
    cpu_seconds: Option<f64>,
    /// CPU over wall time: how many cores were busy on average.
    cores_busy: Option<f64>,
    peak_rss_bytes: Option<u64>,
    pool_peak_bytes: Option<u64>,
}

impl Stopwatch {
    /// Start timing the first stage.
    pub fn start() -> Stopwatch {
        reset_peak();
        let now = Instant::now();
        let cpu = cpu_seconds();
        Stopwatch {
            started: now,
            lap_started: now,
            cpu_started: cpu,
            lap_cpu_started: cpu,
            stages: Vec::new(),
            engine: None,
            queries: None,
            spinner: None,
        }
    }

    /// From now on, record the high-water mark of `ctx`'s memory pool
    /// (a session made by [`crate::engine::session`]) at each lap.
    pub fn watch_engine(&mut self, ctx: &datafusion::prelude::SessionContext) {
        let pool = std::sync::Arc::clone(&ctx.runtime_env().memory_pool);
        crate::engine::pool_peak(pool.as_ref());
        self.engine = Some(pool);
        self.queries = crate::engine::QueryLog::of(ctx);
    }

    /// Show the stages on `spinner` (from [`crate::console::Console::stage`]),
    /// starting with `first`; cleared by [`Stopwatch::done`].
    pub fn show(&mut self, spinner: indicatif::ProgressBar, first: &str) {
        spinner.set_message(first.to_string());
        self.spinner = Some(spinner);
    }

    /// Run `f` (which writes to the terminal) with the spinner out of its way.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.spinner {
            Some(spinner) => spinner.suspend(f),
            None => f(),
        }
    }

    /// Clear the spinner: every stage has run.
    pub fn done(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    /// The stage `stage` has just ended; the next one starts now.
    pub fn lap(&mut self, stage: &'static str) {
        crate::engine::return_freed_memory();
        let peak_rss_bytes = peak_rss();
        reset_peak();
        let cpu = cpu_seconds();
        self.stages.push(StageTiming {
            stage,
            seconds: self.lap_started.elapsed().as_secs_f64(),
            cpu_seconds: cpu.zip(self.lap_cpu_started).map(|(now, then)| now - then),
            peak_rss_bytes,
            pool_peak_bytes: self
                .engine
                .as_ref()
                .and_then(|pool| crate::engine::pool_peak(pool.as_ref())),
            queries: self
                .queries
                .as_ref()
                .map(|log| log.take())
                .unwrap_or_default(),
        });
        self.lap_started = Instant::now();
        self.lap_cpu_started = cpu;
        if let Some(spinner) = &self.spinner {
            spinner.set_message(next_stage(stage));
        }
    }

    /// The stages ended so far.
    pub fn stages(&self) -> &[StageTiming] {
        &self.stages
    }

    /// Write the stages, the total time and the overall peak as JSON (atomically).
    pub fn write(&self, path: &Path) -> Result<()> {
        let total_seconds = self.started.elapsed().as_secs_f64();
        let cpu_seconds = cpu_seconds()
            .zip(self.cpu_started)
            .map(|(now, then)| now - then);
        let timings = Timings {
            stages: &self.stages,
            total_seconds,
            cpu_seconds,
            cores_busy: cpu_seconds
                .filter(|_| total_seconds > 0.0)
                .map(|cpu| cpu / total_seconds),
            peak_rss_bytes: self.stages.iter().filter_map(|s| s.peak_rss_bytes).max(),
            pool_peak_bytes: self.stages.iter().filter_map(|s| s.pool_peak_bytes).max(),
        };
        let json = serde_json::to_vec_pretty(&timings)
            .map_err(|e| Error::io(path, "writing timings", std::io::Error::other(e)))?;
        crate::atomic::write(path, &json)
    }
}

/// Peak resident memory of this process since the last reset, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time of every thread of this process so far (user and system), in
/// seconds: fields 14 and 15 of `/proc/self/stat`, in clock ticks of
/// 1/100 s (`USER_HZ`, 100 on every Linux architecture sprout builds for).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some((ticks(14)? + ticks(15)?) as f64 / 100.0)
}

/// Reset the kernel's peak to the current resident size (Linux 4.0+; a no-op elsewhere).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_record_each_stage_in_order() {
        let mut watch = Stopwatch::start();
        watch.lap("ingest");
        let grown: Vec<u8> = vec![1; 64 << 20];
        std::hint::black_box(&grown);
        watch.lap("measures");
        drop(grown);
        // A stage that keeps a core busy for 0.3 s of CPU shows it (counted
        // by CPU, not by the clock, so a loaded machine cannot starve it;
        // the clock only bounds the wait).
        let busy = Instant::now();
        let cpu_before = cpu_seconds();
        let mut x = 0u64;
        while busy.elapsed().as_secs() < 10
            && cpu_seconds()
                .zip(cpu_before)
                .is_some_and(|(now, then)| now - then < 0.3)
        {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        watch.lap("health");
        let names: Vec<_> = watch.stages().iter().map(|s| s.stage).collect();
        assert_eq!(names, ["ingest", "measures", "health"]);
        if cfg!(target_os = "linux") {
            let cpu = watch.stages()[2]
                .cpu_seconds
                .expect("Linux reports CPU time");
            assert!(cpu >= 0.3, "a busy loop of 0.3 s of CPU shows {cpu} s");
        }
        assert!(watch.stages().iter().all(|s| s.seconds >= 0.0));
        if cfg!(target_os = "linux") {
            let peaks: Vec<u64> = watch.stages()[..2]
                .iter()
                .map(|s| s.peak_rss_bytes.expect("Linux reports VmHWM"))
                .collect();
            assert!(
                peaks[1] >= 64 << 20,
                "the 64 MiB buffer shows in its stage: {peaks:?}"
            );
        }
    }

    #[test]
    fn timings_file_holds_stages_and_total() {
        let dir = tempfile::tempdir().unwrap();
        let mut watch = Stopwatch::start();
        watch.lap("ingest");
        let path = dir.path().join("timings.json");
        watch.write(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["stages"][0]["stage"], "ingest");
        assert!(json["total_seconds"].as_f64().unwrap() >= 0.0);
    }
}
