//! The folders sprout writes: which it may replace, who may use them at once,
//! and how a replacement survives a crash.
//!
//! sprout writes four kinds of folder ([`Made`]): the warehouse, an evaluation's
//! output, `sprout measures` output and `sprout synth` output. Before anything
//! is read or written, every command checks that
//!
//! 1. each output folder is apart from every input and from the other outputs
//!    ([`paths::check_apart`]): not the same folder, not inside one, not
//!    containing one;
//! 2. an existing output folder is one sprout made and holds nothing sprout did
//!    not make ([`owner::check_replaceable`]): the marker file of its kind
//!    (`manifest.json`, `evaluation.json`, `measures.json`, `truth.json`) lists
//!    what sprout wrote, and any other file makes sprout refuse;
//! 3. no other sprout run is using it ([`lock::FolderLock`]): writers hold an
//!    exclusive lock for the whole run, readers (`sprout sql`, the warehouse
//!    side of `sprout measures`) a shared one, on a lock file beside the folder
//!    (`.NAME.lock`), so a folder swapped whole keeps its lock.
//!
//! # The swap protocol
//!
//! A folder is never changed in place. [`swap::StagedDir`] builds the new
//! version beside the old one and swaps it in with two renames:
//!
//! ```text
//! 1. build      NAME.staging-PID/   (holds the marker .sprout-staging while it is built)
//! 2. move aside NAME → NAME.old-PID
//! 3. swap in    NAME.staging-PID → NAME
//! 4. clean up   remove NAME/.sprout-staging and NAME.old-PID
//! ```
//!
//! A run killed at any point leaves either the old folder or the new one under
//! NAME once the next run has recovered ([`swap::recover`], run under the
//! exclusive lock before anything else): a `NAME.old-PID` with no `NAME` is a
//! swap killed between steps 2 and 3 and is moved back; a `NAME.old-PID`
//! beside `NAME` is a swap killed during step 4 and is removed; a
//! `NAME.staging-PID` holding `.sprout-staging` is an unfinished build and is
//! removed. Nothing else beside NAME is touched.

pub mod lock;
pub mod owner;
pub mod paths;
pub mod swap;

pub use lock::{Access, FolderLock};
pub use owner::{Made, POOLED_MANIFEST, QUERIES_MANIFEST, check_replaceable};
pub use paths::check_apart;
pub use swap::StagedDir;
