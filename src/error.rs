//! The one error type of sprout.
//!
//! Every failure that stops sprout from doing its job is an [`Error`]. Each
//! variant's message names the file (and line and column where there is one)
//! and says what to do about it. Row-level data problems are *not* errors:
//! they are quarantined (see [`crate::ingest`]) and reported with exit code 1.

use std::path::{Path, PathBuf};

/// Anything that stops sprout from doing the job it was asked to do (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {action} failed: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// What sprout was doing, e.g. "reading".
        action: &'static str,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// An input file cannot be used as a whole (empty, missing columns, unknown table).
    #[error("{path}: {problem}\n  fix: {fix}")]
    Input {
        /// The input file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What the user can do.
        fix: String,
    },

    /// A configuration file (mapping, spec) is invalid.
    #[error("{path}: {problem}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with line and column where the parser gives them.
        problem: String,
    },

    /// NHS numbers arrived but no pseudonymisation key is configured, or the key is unusable.
    #[error("{0}")]
    Key(String),

    /// A command-line argument is invalid in a way clap cannot check.
    #[error("{0}")]
    Usage(String),

    /// Input files that cannot be ingested at all; each line names a file and its fix.
    #[error("nothing was ingested: {count} file{s} cannot be read:\n{details}", s = if *count == 1 { "" } else { "s" })]
    Unreadable {
        /// How many files.
        count: usize,
        /// One message per file.
        details: String,
    },

    /// sprout refuses to write where it was asked to: an output that would
    /// overlap an input or another output, a folder sprout did not make, or a
    /// folder another sprout run is using. Nothing was read or written.
    #[error("{problem}\n  fix: {fix}")]
    Refused {
        /// What sprout will not do, naming the paths involved.
        problem: String,
        /// What the user can do.
        fix: String,
    },

    /// The disclosure audit found published cells a reader could work out:
    /// nothing was published and the previous outputs are kept.
    #[error(
        "{findings}\n  nothing was published; the previous outputs are kept\n  fix: where a finding is in text your own templates add to the report, take the number out or quote it from a published table; otherwise report the findings to sprout's maintainers (the audit caught a gap in disclosure control) and meanwhile publish with policy \"ons\" or a coarser breakdown"
    )]
    Disclosed {
        /// The audit's account of what it found.
        findings: String,
    },

    /// The warehouse is missing, damaged or from an incompatible version.
    #[error("warehouse {location}: {problem}")]
    Warehouse {
        /// The warehouse folder or object store URL.
        location: String,
        /// What is wrong.
        problem: String,
    },

    /// The cluster (`--cluster`) cannot run the queries: sprout was built
    /// without it, the scheduler is unreachable, or its executors do not read
    /// the warehouse the client does. Nothing was computed.
    #[error("cluster {address}: {problem}\n  fix: {fix}")]
    Cluster {
        /// The cluster's address as given.
        address: String,
        /// What is wrong.
        problem: String,
        /// What the user can do.
        fix: String,
    },

    /// A query was rejected or failed in the engine.
    #[error("query failed: {0}")]
    Query(#[from] datafusion::error::DataFusionError),

    /// A measure file's query was rejected or failed in the engine (for
    /// example out of memory under `--memory-limit`).
    #[error("queries/{query}.sql failed: {source}")]
    MeasureQuery {
        /// The measure file's stem.
        query: &'static str,
        /// What the engine said.
        source: datafusion::error::DataFusionError,
    },

    /// Arrow could not build or convert a batch.
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),

    /// A Parquet file could not be read or written.
    #[error("parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
}

/// sprout's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O failure on `path` while doing `action`.
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// A failure on `path` reported by a library that is not an I/O error
    /// itself (Parquet, Arrow, CSV), kept with the file it happened to.
    pub fn file(path: &Path, action: &'static str, cause: impl std::fmt::Display) -> Self {
        Error::io(path, action, std::io::Error::other(cause.to_string()))
    }

    /// A whole-file input problem with its fix.
    pub fn input(path: &Path, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// A configuration problem in `path`.
    pub fn config(path: &Path, problem: impl Into<String>) -> Self {
        Error::Config {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    /// A refusal to write, with its fix.
    pub fn refused(problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Refused {
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// A warehouse problem at `location`.
    pub fn warehouse(location: &impl std::fmt::Display, problem: impl Into<String>) -> Self {
        Error::Warehouse {
            location: location.to_string(),
            problem: problem.into(),
        }
    }
}
