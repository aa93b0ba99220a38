//! Writing files so that a reader never sees half of one.
//!
//! Output goes to a temporary file beside the target (same folder, so the
//! rename cannot cross file systems) and is renamed over the target only when
//! complete. A failed run leaves the previous file intact.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; it appears at its target path only on [`AtomicFile::commit`].
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Start writing `target`. The parent folder is created if needed.
    pub fn create(target: &Path) -> Result<(AtomicFile, BufWriter<File>)> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "creating folder", e))?;
        }
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.tmp", std::process::id()));
        let temp = target.with_file_name(name);
        let file = File::create(&temp).map_err(|e| Error::io(&temp, "creating", e))?;
        Ok((
            AtomicFile {
                target: target.to_path_buf(),
                temp,
                committed: false,
            },
            BufWriter::with_capacity(1 << 20, file),
        ))
    }

    /// Flush `writer` and move the finished file into place.
    pub fn commit(mut self, writer: BufWriter<File>) -> Result<()> {
        let file = writer
            .into_inner()
            .map_err(|e| Error::io(&self.temp, "writing", e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::io(&self.temp, "syncing", e))?;
        drop(file);
        self.rename()
    }

    /// Move a temporary file that was written and closed elsewhere into place.
    pub fn rename(&mut self) -> Result<()> {
        std::fs::rename(&self.temp, &self.target)
            .map_err(|e| Error::io(&self.target, "replacing", e))?;
        self.committed = true;
        Ok(())
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Write `bytes` to `target` atomically.
pub fn write(target: &Path, bytes: &[u8]) -> Result<()> {
    let (file, mut writer) = AtomicFile::create(target)?;
    writer
        .write_all(bytes)
        .map_err(|e| Error::io(file.temp_path(), "writing", e))?;
    file.commit(writer)
}

/// A folder being built beside `target`; it replaces `target` whole on
/// [`StagedDir::commit`], and is removed if dropped before then, so a failed
/// run leaves the previous folder as it was.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Start building a new `target` (any leftover staging folder is cleared).
    pub fn create(target: &Path) -> Result<StagedDir> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".staging-{}", std::process::id()));
        let staging = target.with_file_name(name);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, "clearing", e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, "creating folder", e))?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The folder being built.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Put the finished folder in place of `target` (the old one is removed).
    pub fn commit(mut self) -> Result<()> {
        let mut old_name = self.target.file_name().unwrap_or_default().to_os_string();
        old_name.push(format!(".old-{}", std::process::id()));
        let old = self.target.with_file_name(old_name);
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old)
                .map_err(|e| Error::io(&self.target, "moving aside", e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::io(&self.target, "replacing", e));
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, "removing", e))?;
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write(&target, b"old").unwrap();
        {
            let (_file, mut w) = AtomicFile::create(&target).unwrap();
            w.write_all(b"half of the new").unwrap();
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file removed"
        );
        write(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_staged_folder_replaces_the_old_one_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        let staged = StagedDir::create(&target).unwrap();
        write(&staged.path().join("a.txt"), b"first").unwrap();
        staged.commit().unwrap();
        {
            let staged = StagedDir::create(&target).unwrap();
            write(&staged.path().join("b.txt"), b"abandoned").unwrap();
        }
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"first");
        assert!(!target.join("b.txt").exists());
        let staged = StagedDir::create(&target).unwrap();
        write(&staged.path().join("b.txt"), b"second").unwrap();
        staged.commit().unwrap();
        assert!(!target.join("a.txt").exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no leftovers"
        );
    }
}
