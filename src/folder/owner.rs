//! Which folders sprout may replace: only those it made, holding only what it wrote.
//!
//! Each kind of folder sprout makes has a marker file written last ([`Made::marker`]).
//! The warehouse's `manifest.json` implies its layout (a folder per canonical
//! table holding Parquet parts); the other markers list every file sprout wrote
//! (`"files"`). An existing folder is replaceable when it is empty, or when it
//! has a valid marker and holds nothing besides what the marker accounts for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::paths::Named;
use crate::error::{Error, Result};

/// Marks a folder as being built by sprout (removed once it is swapped in).
pub const STAGING_MARKER: &str = ".sprout-staging";

/// The kinds of folder sprout makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// A warehouse (`sprout ingest`, and `sprout evaluate`'s rebuilt one).
    Warehouse,
    /// An evaluation's outputs (`sprout evaluate`).
    Evaluation,
    /// Exact measure tables (`sprout measures`).
    Measures,
    /// Synthetic extracts (`sprout synth`).
    Synthetic,
    /// Measure queries written for another engine (`sprout queries`).
    Queries,
    /// Estimates pooled across schemes (`sprout pool`).
    Pooled,
}

/// The marker of a queries folder (`sprout queries`), which lists every query.
pub const QUERIES_MANIFEST: &str = "queries.json";

/// The marker of a pooled folder (`sprout pool`), which lists the results
/// files pooled.
pub const POOLED_MANIFEST: &str = "pooled.json";

/// Files an operating system leaves in folders people open; never a reason to refuse.
const SYSTEM_FILES: &[&str] = &[".DS_Store", "Thumbs.db", "desktop.ini"];

impl Made {
    /// Every kind.
    pub const ALL: [Made; 6] = [
        Made::Warehouse,
        Made::Evaluation,
        Made::Measures,
        Made::Synthetic,
        Made::Queries,
        Made::Pooled,
    ];

    /// The file that marks a folder of this kind as sprout's.
    pub fn marker(self) -> &'static str {
        match self {
            Made::Warehouse => crate::warehouse::MANIFEST,
            Made::Evaluation => "evaluation.json",
            Made::Measures => "measures.json",
            Made::Synthetic => "truth.json",
            Made::Queries => QUERIES_MANIFEST,
            Made::Pooled => POOLED_MANIFEST,
        }
    }

    /// Whether `json` is this kind's marker as sprout writes it.
    fn is_marker(self, json: &serde_json::Value) -> bool {
        let has_version =
            |v: &serde_json::Value| v.get("sprout_version").is_some_and(|v| v.is_string());
        let lists_files = json.get("files").is_some_and(serde_json::Value::is_array);
        match self {
            Made::Warehouse => has_version(json) && json.get("schema_version").is_some(),
            Made::Evaluation => json.get("stamp").is_some_and(has_version) && lists_files,
            Made::Measures => has_version(json) && lists_files,
            Made::Synthetic => json.get("generator").is_some_and(has_version) && lists_files,
            Made::Queries => has_version(json) && lists_files && json.get("queries").is_some(),
            Made::Pooled => has_version(json) && lists_files && json.get("sources").is_some(),
        }
    }
}

/// Whether the folder `named` may be replaced by a new folder of kind `made`:
/// absent, empty, or made by sprout and holding only what sprout wrote.
pub fn check_replaceable(named: Named, made: Made) -> Result<()> {
    let resolved = super::paths::resolve(named.path);
    let folder = resolved.as_path();
    let meta = match std::fs::metadata(folder) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(folder, "checking", e)),
    };
    if !meta.is_dir() {
        return Err(Error::refused(
            format!(
                "{} {} is a file, not a folder",
                named.role,
                named.path.display()
            ),
            "give the path of a folder; sprout creates it when it does not exist",
        ));
    }
    let mut contents = Vec::new();
    walk(folder, Path::new(""), &mut contents)?;
    contents.retain(|(path, _)| {
        !path
            .file_name()
            .is_some_and(|n| SYSTEM_FILES.iter().any(|s| n == *s))
    });
    if contents.is_empty() {
        return Ok(());
    }
    let marker = made.marker();
    let json = std::fs::read(folder.join(marker))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(|json| made.is_marker(json));
    let Some(json) = json else {
        let files: Vec<&PathBuf> = contents
            .iter()
            .filter(|(_, d)| !d)
            .map(|(p, _)| p)
            .collect();
        return Err(Error::refused(
            format!(
                "{} {} already exists and sprout did not make it (it has no sprout {marker}); sprout replaces only folders it made, and replacing this one would delete {}",
                named.role,
                named.path.display(),
                describe(&files, contents.len()),
            ),
            format!(
                "give {} a new or empty folder, or move what is in {} elsewhere first",
                named.role,
                named.path.display()
            ),
        ));
    };
    let known = known_files(made, &json);
    let foreign: Vec<&PathBuf> = contents
        .iter()
        .filter(|(path, is_dir)| !accounted_for(made, &known, path, *is_dir))
        .map(|(p, _)| p)
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        format!(
            "{} {} was made by sprout but also holds what sprout did not write there: {}; replacing the folder would delete {}",
            named.role,
            named.path.display(),
            list(&foreign),
            if foreign.len() == 1 { "it" } else { "them" }
        ),
        format!(
            "move {} out of {}, or give {} another folder",
            if foreign.len() == 1 { "it" } else { "them" },
            named.path.display(),
            named.role
        ),
    ))
}

/// Every entry under `folder`, relative to it, with whether it is a folder
/// (symbolic links are entries, never followed).
fn walk(folder: &Path, relative: &Path, out: &mut Vec<(PathBuf, bool)>) -> Result<()> {
    let here = folder.join(relative);
    let entries = std::fs::read_dir(&here).map_err(|e| Error::io(&here, "listing", e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&here, "listing", e))?;
        let is_dir = entry
            .file_type()
            .map_err(|e| Error::io(&entry.path(), "checking", e))?
            .is_dir();
        names.push((relative.join(entry.file_name()), is_dir));
    }
    names.sort();
    for (path, is_dir) in names {
        out.push((path.clone(), is_dir));
        if is_dir {
            walk(folder, &path, out)?;
        }
    }
    Ok(())
}

/// The files a marker lists, with the marker itself.
fn known_files(made: Made, json: &serde_json::Value) -> BTreeSet<PathBuf> {
    let mut known: BTreeSet<PathBuf> = json
        .get("files")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .map(PathBuf::from)
        .collect();
    known.insert(PathBuf::from(made.marker()));
    known.insert(PathBuf::from(STAGING_MARKER));
    known
}

/// Whether sprout wrote `path` (relative to the folder).
fn accounted_for(made: Made, known: &BTreeSet<PathBuf>, path: &Path, is_dir: bool) -> bool {
    if made == Made::Warehouse {
        let parts: Vec<_> = path.components().collect();
        let table_folder = |c: &std::path::Component| {
            crate::model::table(&c.as_os_str().to_string_lossy()).is_some()
        };
        return match parts.as_slice() {
            [_] if is_dir => table_folder(&parts[0]),
            [_] => known.contains(path),
            [table, _] => {
                table_folder(table) && !is_dir && path.extension().is_some_and(|e| e == "parquet")
            }
            _ => false,
        };
    }
    if is_dir {
        known.iter().any(|k| k.starts_with(path) && k != path)
    } else {
        known.contains(path)
    }
}

fn describe(files: &[&PathBuf], entries: usize) -> String {
    if files.is_empty() {
        format!("{entries} folder{}", if entries == 1 { "" } else { "s" })
    } else {
        format!(
            "{} file{} ({})",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            list(files)
        )
    }
}

/// Up to five paths, then how many more.
fn list(paths: &[&PathBuf]) -> String {
    let mut shown: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 5 {
        shown.push(format!("and {} more", paths.len() - 5));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(path: &Path) -> Named<'_> {
        Named::new("the output folder", path)
    }

    #[test]
    fn absent_and_empty_folders_may_be_replaced() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_replaceable(named(&dir.path().join("new")), Made::Evaluation).is_ok());
        assert!(check_replaceable(named(dir.path()), Made::Evaluation).is_ok());
        std::fs::write(dir.path().join(".DS_Store"), "").unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Measures).is_ok());
    }

    #[test]
    fn a_folder_sprout_did_not_make_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("budget.xlsx"), "mine").unwrap();
        let message = check_replaceable(named(dir.path()), Made::Evaluation)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("budget.xlsx") && message.contains("evaluation.json"),
            "{message}"
        );
        // A marker of another kind, or one that is not sprout's, is no marker.
        std::fs::write(dir.path().join("evaluation.json"), "{\"files\": []}").unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Evaluation).is_err());
        let file = dir.path().join("budget.xlsx");
        assert!(check_replaceable(named(&file), Made::Evaluation).is_err());
    }

    #[test]
    fn a_sprout_folder_with_a_stranger_in_it_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("tables/spc.csv"), "").unwrap();
        std::fs::write(dir.path().join("report.html"), "").unwrap();
        std::fs::write(
            dir.path().join("evaluation.json"),
            r#"{"stamp": {"sprout_version": "0.1.0"}, "files": ["report.html", "tables/spc.csv"]}"#,
        )
        .unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Evaluation).is_ok());
        std::fs::write(dir.path().join("tables/notes.txt"), "mine").unwrap();
        let message = check_replaceable(named(dir.path()), Made::Evaluation)
            .unwrap_err()
            .to_string();
        assert!(message.contains("tables/notes.txt"), "{message}");
    }

    #[test]
    fn a_warehouse_holds_only_its_manifest_and_table_parts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"schema_version": 1, "sprout_version": "0.1.0", "inputs": [], "tables": {}}"#,
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("people")).unwrap();
        std::fs::write(dir.path().join("people/part-1.parquet"), "").unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Warehouse).is_ok());
        std::fs::write(dir.path().join("people/people.csv"), "").unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Warehouse).is_err());
        std::fs::remove_file(dir.path().join("people/people.csv")).unwrap();
        std::fs::create_dir(dir.path().join("extract")).unwrap();
        assert!(check_replaceable(named(dir.path()), Made::Warehouse).is_err());
    }
}
