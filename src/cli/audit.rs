//! `sprout audit`: its options.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made};

#[derive(Debug, Args)]
pub(super) struct AuditArgs {
    /// The output folder of `sprout evaluate` (the spec's `output`).
    output: PathBuf,
}

/// Run `sprout audit`.
pub(super) fn run(args: AuditArgs, console: &Console) -> Result<i32> {
    let folder = Named::new("the output folder", &args.output);
    let _reading = FolderLock::acquire(
        folder,
        Access::Shared,
        Made::Evaluation,
        "sprout audit",
        console,
    )?;
    let audit = crate::audit::audit_folder(&args.output)?;
    console.result(audit.summary());
    Ok(if audit.clean() { 0 } else { 1 })
}
