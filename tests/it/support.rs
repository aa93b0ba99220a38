//! Helpers: run the binary, make extract files, read tables back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The result of one sprout run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `sprout args…` with no pseudonymisation key in the environment.
pub fn sprout(args: &[&str]) -> Run {
    sprout_with_env(args, &[])
}

/// Run `sprout args…` with extra environment variables.
pub fn sprout_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sprout"));
    command.args(args).env_remove("SPROUT_PSEUDONYM_KEY");
    for (k, v) in env {
        command.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("sprout runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The committed sample extract folder.
pub fn sample_extract() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/extract")
}

/// A path as &str.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Rows of a query as JSON objects.
pub fn query(warehouse: &Path, sql: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("result.json");
    let run = sprout(&["sql", sql, "-w", s(warehouse), "-o", s(&file), "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let text = std::fs::read_to_string(&file).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

/// One integer from a query like `SELECT count(*) AS n …`.
pub fn count(warehouse: &Path, sql: &str) -> i64 {
    let rows = query(warehouse, sql);
    rows[0]
        .values()
        .next()
        .and_then(serde_json::Value::as_i64)
        .unwrap()
}

/// The quarantine entries as (source_file, line, column_name, problem).
pub fn quarantine(warehouse: &Path) -> Vec<(String, i64, String, String)> {
    query(
        warehouse,
        "SELECT source_file, line, coalesce(column_name, '') AS column_name, problem, value, detail \
         FROM quarantine ORDER BY source_file, line, column_name",
    )
    .into_iter()
    .map(|r| {
        (
            r["source_file"].as_str().unwrap().to_string(),
            r["line"].as_i64().unwrap(),
            r["column_name"].as_str().unwrap().to_string(),
            r["problem"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

/// Extract files in a folder of their own, with room beside it for the
/// warehouse and outputs (sprout refuses to write inside its inputs).
pub struct Fixture {
    root: tempfile::TempDir,
    extract: PathBuf,
}

impl Fixture {
    /// The extract folder.
    pub fn path(&self) -> &Path {
        &self.extract
    }

    /// A path beside the extract folder, for a warehouse or an output.
    pub fn out(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }
}

/// A folder of extract files written from (name, contents) pairs.
pub fn extract(files: &[(&str, &[u8])]) -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let extract = root.path().join("extract");
    std::fs::create_dir(&extract).unwrap();
    for (name, bytes) in files {
        let path = extract.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    Fixture { root, extract }
}

/// A small valid people extract: P1, P2, P3.
pub const PEOPLE: &str = "person_id,birth_month,sex,ethnicity,practice_code,pcn_code,registration_start\n\
P1,1960-04,female,A,A81001,U12345,2001-01-01\n\
P2,1975-11,male,H,A81001,U12345,2010-06-15\n\
P3,1990-01,female,Z,A81002,U12345,2015-03-01\n";

/// Ingest `files` into a new warehouse and run `sprout measures` for `period`,
/// checking both succeed; returns the folder (kept alive), the warehouse and the output folder.
pub fn measures_for(files: &[(&str, &[u8])], period: &str) -> (Fixture, PathBuf, PathBuf) {
    measures_with(files, period, &[])
}

/// [`measures_for`] with extra `sprout measures` arguments.
pub fn measures_with(
    files: &[(&str, &[u8])],
    period: &str,
    extra: &[&str],
) -> (Fixture, PathBuf, PathBuf) {
    let dir = extract(files);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh), "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = dir.out("m");
    let mut args = vec!["measures", "-w", s(&wh), "-p", period, "-o", s(&out), "-q"];
    args.extend_from_slice(extra);
    let run = sprout(&args);
    assert_eq!(run.code, 0, "{}", run.all());
    (dir, wh, out)
}

/// Rows of an output CSV as maps from column to text.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub fn f(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = '{}'", row[column]))
}

pub fn n(row: &HashMap<String, String>, column: &str) -> i64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = '{}'", row[column]))
}

/// Ingest the sample data and run `sprout measures` for 2024/25 with `extra`
/// arguments; returns the temporary folder (kept alive), the output folder and the run.
pub fn sample_measures(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, Run) {
    let root = tempfile::tempdir().unwrap();
    let wh = root.path().join("wh");
    let ingest = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    let out = root.path().join("measures");
    let mut args = vec![
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "-o",
        s(&out),
    ];
    args.extend_from_slice(extra);
    let run = sprout(&args);
    (root, out, run)
}

/// `sprout synth` of `people` people with `seed` and `extra` settings into
/// `out`.
pub fn synthetic_extracts(out: &Path, people: &str, seed: &str, extra: &[&str]) {
    let mut args = vec![
        "synth",
        "--people",
        people,
        "--seed",
        seed,
        "--out",
        s(out),
        "-q",
    ];
    args.extend_from_slice(extra);
    let synth = sprout(&args);
    assert_eq!(synth.code, 0, "{}", synth.all());
}

/// [`synthetic_extracts`] into `root/data`, ingested into `root/wh`;
/// returns the two folders.
pub fn synthetic_warehouse(
    root: &Path,
    people: &str,
    seed: &str,
    extra: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (data, wh) = (root.join("data"), root.join("wh"));
    synthetic_extracts(&data, people, seed, extra);
    let ingest = sprout(&["ingest", s(&data), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    (data, wh)
}

/// Every file under `dir` (relative path → bytes), for before/after comparisons.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let key = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(key, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Names in `dir` left by an unfinished folder swap (`*.staging-PID`, `*.old-PID`).
pub fn swap_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".staging-") || n.contains(".old-"))
        .collect()
}

/// A golden file against what a test produced, as a text diff: the lines
/// they share at either end are left out, then the expected lines (`-`) and
/// the actual ones (`+`) between, with two lines of context. Empty when equal.
pub fn text_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    if e == a {
        return String::new();
    }
    let prefix = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = format!("@@ line {} @@\n", prefix + 1);
    for line in &e[prefix.saturating_sub(2)..prefix] {
        out.push_str(&format!("  {line}\n"));
    }
    for line in &e[prefix..e.len() - suffix] {
        out.push_str(&format!("- {line}\n"));
    }
    for line in &a[prefix..a.len() - suffix] {
        out.push_str(&format!("+ {line}\n"));
    }
    for line in e[e.len() - suffix..].iter().take(2) {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

#[test]
fn golden_diffs_show_the_changed_lines_with_context() {
    assert_eq!(text_diff("a\nb\n", "a\nb\n"), "");
    assert_eq!(
        text_diff("h\na\nb\nc\nz\n", "h\na\nB\nc\nz\n"),
        "@@ line 3 @@\n  h\n  a\n- b\n+ B\n  c\n  z\n"
    );
    assert_eq!(text_diff("a\n", "a\nnew\n"), "@@ line 2 @@\n  a\n+ new\n");
}
