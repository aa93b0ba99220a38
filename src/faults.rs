//! Test hooks for crashes and failed writes, compiled into debug builds only.
//!
//! `SPROUT_CRASH_AT=POINT` ends the process at a named point with exit code
//! 137 (no destructor runs and nothing is cleaned up, as with `kill -9`); `SPROUT_FAIL_AT=POINT`
//! makes the write at that point fail as a full disk would. Points are named
//! `STEP:NAME`, e.g. `moved-aside:evaluation` (a folder swap after its first
//! rename) or `write:manifest.json`. The integration tests use them to check
//! that every rename and every write can fail without losing anything.
//! `SPROUT_LEAK=TABLE` publishes one table's exact figures, so the tests can
//! check that the disclosure audit stops such a run. `SPROUT_CLUSTER_WRONG=QUERY`
//! drops the last row of one measure query's result from a cluster, as a
//! wrong-result bug in the cluster would, so the tests can check that
//! `--cluster-verify` catches it and publishes the client's result.

use std::path::Path;

/// Stop here when `SPROUT_CRASH_AT` names `step:name`.
#[cfg(debug_assertions)]
pub fn crash_point(step: &str, name: &str) {
    if std::env::var("SPROUT_CRASH_AT").is_ok_and(|v| v == format!("{step}:{name}")) {
        eprintln!("SPROUT_CRASH_AT: stopping at {step}:{name}");
        std::process::exit(137);
    }
}

/// Release builds have no crash points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn crash_point(_step: &str, _name: &str) {}

/// A "no space left on device" error when `SPROUT_FAIL_AT` names `write:` and
/// the file name of `path`.
#[cfg(debug_assertions)]
pub fn write_point(path: &Path) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::env::var("SPROUT_FAIL_AT") {
        Ok(v) if v == format!("write:{name}") => Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "No space left on device (SPROUT_FAIL_AT)",
        )),
        _ => Ok(()),
    }
}

/// Release builds never fail on purpose.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn write_point(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Whether `SPROUT_LEAK` names `table`: `evaluate` then publishes that
/// table's exact figures, as a gap in disclosure control would, so a test can
/// check that the audit stops the run.
#[cfg(debug_assertions)]
pub fn leak(table: &str) -> bool {
    std::env::var("SPROUT_LEAK").is_ok_and(|v| v == table)
}

/// Release builds never leak on purpose.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn leak(_table: &str) -> bool {
    false
}

/// Whether `SPROUT_CLUSTER_WRONG` names the measure file `query`: its result
/// from a cluster then loses its last row.
#[cfg(debug_assertions)]
pub fn cluster_wrong(query: &str) -> bool {
    std::env::var("SPROUT_CLUSTER_WRONG").is_ok_and(|v| v == query)
}

/// Release builds never falsify a cluster's result.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn cluster_wrong(_query: &str) -> bool {
    false
}
