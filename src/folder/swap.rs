//! Replacing a folder whole, and finishing or undoing a replacement a killed run left.
//!
//! See the module documentation of [`crate::folder`] for the protocol.

use std::path::{Path, PathBuf};

use super::owner::{Made, STAGING_MARKER};
use crate::error::{Error, Result};
use crate::faults::crash_point;

/// A folder being built beside `target`; it replaces `target` whole on
/// [`StagedDir::commit`], and is removed if dropped before then, so a failed
/// run leaves the previous folder as it was. The caller holds `target`'s
/// exclusive lock ([`super::FolderLock`]).
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

/// `target`'s sibling `NAME.KIND-PID`.
fn sibling(target: &Path, kind: &str, pid: u32) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{kind}-{pid}"));
    target.with_file_name(name)
}

impl StagedDir {
    /// Start building a new, empty `target` (resolved: a link to a folder
    /// swaps the folder it points to).
    pub fn create(target: &Path) -> Result<StagedDir> {
        let target = super::paths::resolve(target);
        let staging = sibling(&target, "staging", std::process::id());
        if staging.join(STAGING_MARKER).exists() {
            remove_markers_last(&staging, || {}).map_err(|e| Error::io(&staging, "clearing", e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, "creating folder", e))?;
        // An empty marker made in one step (not written and renamed), so a
        // run killed here leaves an empty folder or a marked one, both of
        // which recovery removes, and never one holding a half-made marker.
        let marker = staging.join(STAGING_MARKER);
        std::fs::File::create(&marker).map_err(|e| Error::io(&marker, "creating", e))?;
        Ok(StagedDir {
            target,
            staging,
            committed: false,
        })
    }

    /// Start building a new `target` from a copy of the current one. Files are
    /// hard links where the file system allows (sprout never changes a file in
    /// place: it writes a new one and renames it over), so nothing is copied.
    pub fn copy_of(target: &Path) -> Result<StagedDir> {
        let staged = StagedDir::create(target)?;
        if staged.target.is_dir() {
            link_tree(&staged.target, &staged.staging)?;
        }
        Ok(staged)
    }

    /// The folder being built.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Put the finished folder in place of `target` (the old one is removed).
    pub fn commit(mut self) -> Result<()> {
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        sync_folder(&self.staging);
        crash_point("staged", &name);
        let old = sibling(&self.target, "old", std::process::id());
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old)
                .map_err(|e| Error::io(&self.target, "moving aside", e))?;
            crash_point("moved-aside", &name);
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::io(&self.target, "replacing", e));
        }
        self.committed = true;
        if let Some(parent) = self.target.parent() {
            sync_folder(parent);
        }
        crash_point("swapped", &name);
        let marker = self.target.join(STAGING_MARKER);
        std::fs::remove_file(&marker).map_err(|e| Error::io(&marker, "removing", e))?;
        if had_old {
            remove_markers_last(&old, || crash_point("removing-old", &name))
                .map_err(|e| Error::io(&old, "removing", e))?;
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove_markers_last(&self.staging, || {});
        }
    }
}

/// Remove a folder sprout made with its marker files last (the staging
/// marker and each kind's, [`Made::marker`]): a run killed part way leaves
/// a folder still marked, or an empty one, both of which recovery finishes
/// removing, never one it can no longer tell is sprout's. `before_markers`
/// runs when only the markers are left (a crash point).
fn remove_markers_last(folder: &Path, before_markers: impl FnOnce()) -> std::io::Result<()> {
    let is_marker = |name: &std::ffi::OsStr| {
        name == STAGING_MARKER || Made::ALL.iter().any(|m| name == m.marker())
    };
    let mut markers = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let path = entry.path();
        if is_marker(&entry.file_name()) {
            markers.push(path);
        } else if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    before_markers();
    for marker in markers {
        std::fs::remove_file(&marker)?;
    }
    std::fs::remove_dir(folder)
}

/// Make the renames and files in `folder` durable (best effort: not every
/// platform can open a folder for syncing).
fn sync_folder(folder: &Path) {
    if let Ok(handle) = std::fs::File::open(folder) {
        let _ = handle.sync_all();
    }
}

/// Hard-link (or, where links are not possible, copy) every file under `from` into `to`.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(from, "listing", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(from, "listing", e))?;
        let source = entry.path();
        if entry.file_name() == STAGING_MARKER {
            continue;
        }
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(&source, "checking", e))?;
        if kind.is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| Error::io(&target, "creating folder", e))?;
            link_tree(&source, &target)?;
        } else if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(|e| Error::io(&target, "copying", e))?;
        }
    }
    Ok(())
}

/// What beside `target` is left of an interrupted swap.
#[derive(Debug, Default)]
struct Leftovers {
    old: Vec<PathBuf>,
    staging: Vec<PathBuf>,
}

fn leftovers(target: &Path) -> Result<Leftovers> {
    let mut found = Leftovers::default();
    // `target` is resolved (absolute), so it has a parent unless it is the root.
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Ok(found);
    };
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(Error::io(parent, "listing", e)),
    };
    let name = name.to_string_lossy();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(parent, "listing", e))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&*name) else {
            continue;
        };
        let pid_of = |kind: &str| {
            rest.strip_prefix(kind)
                .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|pid| pid.parse::<u32>().ok())
        };
        let path = target.with_file_name(&file_name);
        if let Some(pid) = pid_of(".old-") {
            if !running(pid) {
                found.old.push(path);
            }
        } else if let Some(pid) = pid_of(".staging-")
            && !running(pid)
            && (path.join(STAGING_MARKER).exists() || is_empty(&path))
        {
            found.staging.push(path);
        }
    }
    found.old.sort();
    found.staging.sort();
    Ok(found)
}

/// Whether another process with this id is running (on systems with `/proc`;
/// elsewhere the caller's exclusive lock is the guarantee).
fn running(pid: u32) -> bool {
    pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists()
}

/// Finish or undo what a killed run left of a swap of `target` (a folder of
/// kind `made`); returns a sentence for each thing done. The caller holds
/// `target`'s exclusive lock.
pub fn recover(target: &Path, made: Made) -> Result<Vec<String>> {
    let target = &super::paths::resolve(target);
    let found = leftovers(target)?;
    let mut done = Vec::new();
    let is_ours = |folder: &Path| folder.join(made.marker()).exists() || is_empty(folder);
    let mut olds = found.old.into_iter().filter(|o| is_ours(o));
    if !target.exists()
        && let Some(old) = olds.next()
    {
        std::fs::rename(&old, target).map_err(|e| Error::io(&old, "restoring", e))?;
        done.push(format!(
            "restored {} from {}, which a run stopped in the middle of replacing it",
            target.display(),
            old.display()
        ));
    }
    for old in olds {
        remove_markers_last(&old, || {}).map_err(|e| Error::io(&old, "removing", e))?;
        done.push(format!(
            "removed {}, the previous version of {} left by a run stopped just after replacing it",
            old.display(),
            target.display()
        ));
    }
    for staging in found.staging {
        remove_markers_last(&staging, || {}).map_err(|e| Error::io(&staging, "removing", e))?;
        done.push(format!(
            "removed {}, left unfinished by a run that stopped",
            staging.display()
        ));
    }
    let marker = target.join(STAGING_MARKER);
    if marker.exists() {
        std::fs::remove_file(&marker).map_err(|e| Error::io(&marker, "removing", e))?;
    }
    Ok(done)
}

fn is_empty(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::write;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
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
        assert_eq!(names(&target), ["b.txt"], "no staging marker left");
        assert_eq!(names(dir.path()), ["report"], "no leftovers");
    }

    #[test]
    fn a_copy_shares_files_and_changes_none_of_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("warehouse");
        std::fs::create_dir_all(target.join("people")).unwrap();
        write(&target.join("people/part-1.parquet"), b"old").unwrap();
        let staged = StagedDir::copy_of(&target).unwrap();
        assert_eq!(
            std::fs::read(staged.path().join("people/part-1.parquet")).unwrap(),
            b"old"
        );
        write(&staged.path().join("people/part-1.parquet"), b"new").unwrap();
        assert_eq!(
            std::fs::read(target.join("people/part-1.parquet")).unwrap(),
            b"old"
        );
        drop(staged);
        assert_eq!(names(dir.path()), ["warehouse"]);
    }

    #[test]
    fn a_swap_stopped_between_its_renames_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("evaluation");
        // What a run killed after moving the old folder aside leaves.
        let old = dir.path().join("evaluation.old-4000000");
        std::fs::create_dir(&old).unwrap();
        write(&old.join("evaluation.json"), b"{}").unwrap();
        let staging = dir.path().join("evaluation.staging-4000000");
        std::fs::create_dir(&staging).unwrap();
        write(&staging.join(STAGING_MARKER), b"").unwrap();
        let done = recover(&target, Made::Evaluation).unwrap();
        assert_eq!(done.len(), 2, "{done:?}");
        assert_eq!(names(dir.path()), ["evaluation"]);
        assert!(target.join("evaluation.json").exists());
    }

    #[test]
    fn a_swap_stopped_after_its_renames_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("evaluation");
        std::fs::create_dir(&target).unwrap();
        write(&target.join("evaluation.json"), b"{\"new\": 1}").unwrap();
        write(&target.join(STAGING_MARKER), b"").unwrap();
        let old = dir.path().join("evaluation.old-4000001");
        std::fs::create_dir(&old).unwrap();
        write(&old.join("evaluation.json"), b"{}").unwrap();
        recover(&target, Made::Evaluation).unwrap();
        assert_eq!(names(dir.path()), ["evaluation"]);
        assert_eq!(names(&target), ["evaluation.json"]);
    }

    /// A run killed between making its staging folder and marking it leaves
    /// an empty folder: it holds nothing, so recovery removes it (a flaky
    /// kill -9 test found it left behind).
    #[test]
    fn a_staging_folder_killed_before_it_was_marked_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("evaluation");
        std::fs::create_dir(dir.path().join("evaluation.staging-4000004")).unwrap();
        let done = recover(&target, Made::Evaluation).unwrap();
        assert_eq!(done.len(), 1, "{done:?}");
        assert!(names(dir.path()).is_empty());
        // And a new staging folder is marked in one step.
        let staged = StagedDir::create(&target).unwrap();
        assert_eq!(names(staged.path()), [STAGING_MARKER]);
    }

    #[test]
    fn what_sprout_did_not_leave_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("evaluation");
        for name in [
            "evaluation.staging-4000002",
            "evaluation.old-notapid",
            "evaluation.old-4000003",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            write(&dir.path().join(name).join("mine.txt"), b"mine").unwrap();
        }
        assert!(recover(&target, Made::Evaluation).unwrap().is_empty());
        assert_eq!(names(dir.path()).len(), 3);
    }
}
