//! A queries folder: the SQL files `sprout queries` writes, `queries.json`
//! naming each one's binding and result file, and the results saved beside them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::dialect::Dialect;
use crate::engine::binding::Binding;
use crate::error::{Error, Result};

/// The file, inside a queries folder, that lists every query and its result.
pub const MANIFEST: &str = crate::folder::QUERIES_MANIFEST;

/// One query of a queries folder: its SQL file, the result file it is
/// answered from, and its binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The SQL file, in the folder.
    pub file: String,
    /// Where its result is expected, in the folder: one Parquet file, or a
    /// folder of Parquet parts read in name order.
    pub result: String,
    /// The query and its parameters.
    #[serde(flatten)]
    pub binding: Binding,
}

impl Entry {
    /// The Parquet files of this query's result in the queries folder `dir`:
    /// the one file, or the folder's parts in name order; `None` when there
    /// is neither.
    pub fn parts(&self, dir: &Path) -> Result<Option<Vec<PathBuf>>> {
        let path = dir.join(&self.result);
        if path.is_file() {
            return Ok(Some(vec![path]));
        }
        if !path.is_dir() {
            return Ok(None);
        }
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| Error::io(&path, "listing", e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        parts.sort();
        Ok(Some(parts))
    }
}

/// `queries.json`: what `sprout queries` wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The sprout that wrote the queries; results are read only by the same version.
    pub sprout_version: String,
    /// The dialect written.
    pub dialect: Dialect,
    /// The reporting period.
    pub period: String,
    /// Every file written (the SQL files and this manifest).
    pub files: Vec<String>,
    /// Every query, in file-name order.
    pub queries: Vec<Entry>,
}

impl Manifest {
    /// The entries for `bindings`: each query's files are named after it,
    /// numbered when it runs with more than one binding.
    pub fn new(dialect: Dialect, period: &str, bindings: &BTreeSet<Binding>) -> Manifest {
        let mut per_query: BTreeMap<&str, usize> = BTreeMap::new();
        for b in bindings {
            *per_query.entry(b.query.as_str()).or_default() += 1;
        }
        let mut numbered: BTreeMap<&str, usize> = BTreeMap::new();
        let queries: Vec<Entry> = bindings
            .iter()
            .map(|b| {
                let stem = if per_query[b.query.as_str()] > 1 {
                    let k = numbered.entry(b.query.as_str()).or_default();
                    *k += 1;
                    format!("{}.{k}", b.query)
                } else {
                    b.query.clone()
                };
                Entry {
                    file: format!("{stem}.sql"),
                    result: format!("{stem}.parquet"),
                    binding: b.clone(),
                }
            })
            .collect();
        let mut files: Vec<String> = queries.iter().map(|e| e.file.clone()).collect();
        files.push(MANIFEST.to_string());
        Manifest {
            sprout_version: crate::VERSION.to_string(),
            dialect,
            period: period.to_string(),
            files,
            queries,
        }
    }

    /// Read `dir`'s manifest, refusing one from another sprout version.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, "reading", e))?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::config(
                &path,
                format!("not a queries.json written by `sprout queries`: {e}"),
            )
        })?;
        if manifest.sprout_version != crate::VERSION {
            return Err(Error::refused(
                format!(
                    "{} was written by sprout {}, and this is sprout {}",
                    path.display(),
                    manifest.sprout_version,
                    crate::VERSION
                ),
                "write the queries again with this sprout (`sprout queries`) and run them again, or use the sprout that wrote them",
            ));
        }
        Ok(manifest)
    }
}

/// Every result file of the queries folder `dir`, as an evaluation's stamp
/// lists its inputs: (file in the folder, what it is, SHA-256 of its bytes).
pub fn result_files(dir: &Path) -> Result<Vec<(String, String, String)>> {
    let manifest = Manifest::read(dir)?;
    let mut files = Vec::new();
    for entry in &manifest.queries {
        let path = dir.join(&entry.result);
        for part in entry.parts(dir)?.unwrap_or_else(|| vec![path]) {
            let bytes = std::fs::read(&part).map_err(|e| Error::io(&part, "reading", e))?;
            let name = part
                .strip_prefix(dir)
                .unwrap_or(&part)
                .to_string_lossy()
                .replace('\\', "/");
            files.push((
                name,
                format!("result of {}", entry.file),
                crate::ingest::sha256_hex(&bytes),
            ));
        }
    }
    Ok(files)
}

/// Write `bindings` as `dialect`'s SQL into the new folder `dir` (staged and
/// swapped in whole), with `queries.json`; `statements` has each measure
/// file's SQL without its header, by name. Returns the manifest.
pub fn write_queries(
    dir: &Path,
    dialect: Dialect,
    period: &str,
    (bindings, statements): (&BTreeSet<Binding>, &BTreeMap<&str, String>),
) -> Result<Manifest> {
    let manifest = Manifest::new(dialect, period, bindings);
    let staged = crate::folder::StagedDir::create(dir)?;
    for entry in &manifest.queries {
        let statement = &statements[entry.binding.query.as_str()];
        crate::atomic::write(
            &staged.path().join(&entry.file),
            dialect.write(statement, &entry.binding).as_bytes(),
        )?;
    }
    let mut json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::io(&dir.join(MANIFEST), "writing", std::io::Error::other(e)))?;
    json.push('\n');
    crate::atomic::write(&staged.path().join(MANIFEST), json.as_bytes())?;
    staged.commit()?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::binding::Literal;

    #[test]
    fn files_are_named_by_query_and_numbered_only_when_one_runs_more_than_once() {
        let b = |q: &str, n: i64| Binding {
            query: q.to_string(),
            parameters: [("n".to_string(), Literal::Integer(n))].into(),
        };
        let bindings: BTreeSet<Binding> = [b("a", 2), b("a", 1), b("b", 1)].into();
        let m = Manifest::new(Dialect::Duckdb, "2024/25", &bindings);
        let names: Vec<(&str, &str)> = m
            .queries
            .iter()
            .map(|e| (e.file.as_str(), e.result.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a.1.sql", "a.1.parquet"),
                ("a.2.sql", "a.2.parquet"),
                ("b.sql", "b.parquet")
            ]
        );
        assert_eq!(m.queries[0].binding, b("a", 1));
    }
}
