//! One run at a time owns a folder: advisory locks on a file beside it.
//!
//! A writer (`ingest`, `evaluate`, `measures --out`, `synth`) holds an
//! exclusive lock for its whole run; readers (`sql`, the warehouse side of
//! `measures`) hold a shared one. The lock file is `.NAME.lock` in the folder's
//! parent, not inside the folder, because the folder itself is swapped whole
//! ([`super::swap`]). A second run is refused at once with the holder's
//! process id and command rather than left waiting. The operating system
//! releases the lock when the process ends, however it ends, so a killed run
//! never leaves a folder locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::owner::Made;
use super::paths::Named;
use super::swap;
use crate::console::Console;
use crate::error::{Error, Result};

/// Shared (readers) or exclusive (a writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any number of readers, no writer.
    Shared,
    /// One writer, no readers.
    Exclusive,
}

/// A held lock on a folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    _file: Option<File>,
}

/// The lock file of `folder` (resolved): `.NAME.lock` beside it.
pub fn lock_path(folder: &Path) -> PathBuf {
    let resolved = super::paths::resolve(folder);
    let name = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    resolved.with_file_name(format!(".{name}.lock"))
}

impl FolderLock {
    /// Lock the folder `named` for `access` by `command` (e.g. "sprout evaluate"),
    /// after recovering any swap of it that a killed run left unfinished (a
    /// folder of kind `made`; what was recovered is told on `console`). Refused
    /// when another run holds a conflicting lock.
    pub fn acquire(
        named: Named,
        access: Access,
        made: Made,
        command: &str,
        console: &Console,
    ) -> Result<FolderLock> {
        let path = lock_path(named.path);
        if let Some(parent) = path.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            return skip_if_read_only(access, parent, e);
        }
        let mut file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) => return skip_if_read_only(access, &path, e),
        };
        // Recover under the exclusive lock, even when only reading: a reader
        // must not see a folder a killed swap left moved aside.
        match file.try_lock() {
            Ok(()) => {
                for done in swap::recover(named.path, made)? {
                    console.note(done);
                }
                if access == Access::Shared {
                    let _ = file.set_len(0);
                    file.unlock()
                        .map_err(|e| Error::io(&path, "unlocking", e))?;
                    try_lock(&file, Access::Shared, named, &path)?;
                } else {
                    let _ = file.set_len(0);
                    let _ = write!(file, "process {}: {command}", std::process::id());
                    let _ = file.flush();
                }
            }
            Err(TryLockError::WouldBlock) if access == Access::Shared => {
                try_lock(&file, Access::Shared, named, &path)?;
            }
            Err(TryLockError::WouldBlock) => return Err(busy(named, &path)),
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, "locking", e)),
        }
        Ok(FolderLock { _file: Some(file) })
    }
}

fn try_lock(file: &File, access: Access, named: Named, path: &Path) -> Result<()> {
    let attempt = match access {
        Access::Shared => file.try_lock_shared(),
        Access::Exclusive => file.try_lock(),
    };
    match attempt {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(busy(named, path)),
        Err(TryLockError::Error(e)) => Err(Error::io(path, "locking", e)),
    }
}

/// A reader of a folder in a read-only place needs no lock: nothing can write there.
fn skip_if_read_only(access: Access, path: &Path, e: std::io::Error) -> Result<FolderLock> {
    let read_only = matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    );
    if access == Access::Shared && read_only {
        Ok(FolderLock { _file: None })
    } else {
        Err(Error::io(path, "creating the lock file", e))
    }
}

fn busy(named: Named, path: &Path) -> Error {
    let mut holder = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut holder));
    let holder = holder.trim();
    let who = if holder.is_empty() {
        "another sprout run is reading it".to_string()
    } else {
        format!("another sprout run is using it ({holder})")
    };
    Error::refused(
        format!("{} {} is in use: {who}", named.role, named.path.display()),
        "wait for that run to finish and run again, or give this run other folders",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_or_many_readers() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("warehouse");
        let named = Named::new("the warehouse", &folder);
        let made = Made::Warehouse;
        let console = Console::new(true);
        let console = &console;
        let writer =
            FolderLock::acquire(named, Access::Exclusive, made, "sprout ingest", console).unwrap();
        let refused =
            FolderLock::acquire(named, Access::Shared, made, "sprout sql", console).unwrap_err();
        assert!(refused.to_string().contains("sprout ingest"), "{refused}");
        assert!(
            FolderLock::acquire(named, Access::Exclusive, made, "sprout ingest", console).is_err()
        );
        drop(writer);
        let a = FolderLock::acquire(named, Access::Shared, made, "sprout sql", console).unwrap();
        let _b = FolderLock::acquire(named, Access::Shared, made, "sprout sql", console).unwrap();
        let refused = FolderLock::acquire(named, Access::Exclusive, made, "sprout ingest", console)
            .unwrap_err();
        assert!(refused.to_string().contains("in use"), "{refused}");
        drop(a);
        assert!(dir.path().join(".warehouse.lock").exists());
        assert!(!folder.exists(), "locking creates no folder");
    }
}
