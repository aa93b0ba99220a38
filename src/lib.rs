//! # sprout
//!
//! An outcomes-framework analytics engine for NHS social prescribing.
//!
//! The pipeline, one module per step:
//!
//! ```text
//! extract files ──ingest──▶ warehouse (Parquet + manifest) ──measures──▶ exact tables
//!   ──disclosure──▶ published tables ──render──▶ reports, workbook, tables, charts
//!   (and results.json) ──pool──▶ many schemes' estimates pooled
//! ```
//!
//! - [`model`]: the canonical tables, columns and codes that everything else follows.
//! - [`ingest`]: reads CSV, Parquet and Excel extracts, maps and validates them,
//!   pseudonymises NHS numbers and quarantines bad rows.
//! - [`warehouse`]: the Parquet tables and their manifest.
//! - [`engine`]: the DataFusion session over the warehouse (partitions,
//!   memory, runtime); [`sql`]: researchers' read-only SQL on it.
//! - [`measures`], [`scoring`], [`stats`]: the outcomes framework's measures,
//!   instrument scoring and the pure statistics behind them.
//! - [`disclosure`]: small-number suppression and rounding of published tables;
//!   [`audit`]: the automated output checker that tries to undo it.
//! - [`render`]: reports (HTML), the workbook (Excel), tables and charts.
//! - [`evaluate`]: the whole pipeline from one evaluation spec.
//! - [`pool`]: many evaluations' published results pooled by meta-analysis.
//! - `synth`: synthetic extracts with known planted effects.
//! - `folder`: which folders sprout may replace, one run at a time per
//!   folder, and folders swapped in whole with recovery after a crash.
//! - [`cli`], [`console`], [`error`], `atomic`, `stages`: the command line,
//!   user output, the one error type, all-or-nothing file writes, and stage
//!   timings (`--timings`); `faults`: crash and full-disk test hooks.
//! - Shared plumbing below ingest, measures and render: `days` (Arrow
//!   Date32 days and ages), [`batch`] (typed values built into Arrow batches),
//!   `export` (batches written as CSV, Parquet or JSON), [`ids`] (id sets
//!   held in one buffer, for ingest's checks), [`text`] (text
//!   made safe to show), `threads` (work shared out over the cores, results
//!   in order).

pub(crate) mod atomic;
pub mod audit;
pub mod batch;
pub mod cli;
pub mod console;
pub(crate) mod days;
pub mod disclosure;
pub mod engine;
pub mod error;
pub mod evaluate;
pub(crate) mod export;
pub(crate) mod faults;
pub(crate) mod folder;
pub mod ids;
pub mod ingest;
pub mod measures;
pub mod model;
pub mod pool;
pub(crate) mod records;
pub mod registry;
pub mod render;
pub mod scoring;
pub mod sql;
pub(crate) mod stages;
pub use sprout_stats as stats;
pub(crate) mod synth;
pub mod text;
pub(crate) mod threads;
pub mod warehouse;

/// The sprout version, stamped into every warehouse and output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
