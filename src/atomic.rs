//! Writing files so that a reader never sees half of one.
//!
//! Output goes to a temporary file beside the target (same folder, so the
//! rename cannot cross file systems) and is renamed over the target only when
//! complete. A failed run leaves the previous file intact. Folders are
//! replaced whole by [`crate::folder::StagedDir`].

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
        crate::faults::write_point(&self.target)
            .map_err(|e| Error::io(&self.target, "writing", e))?;
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
}
