//! `sprout queries` and `sprout measures --query-results`: the measure
//! queries written out for another engine, and their results read back.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{s, sample_extract, sprout, tree};

/// The sample data ingested into `root/wh`.
fn sample_warehouse(root: &Path) -> std::path::PathBuf {
    let wh = root.join("wh");
    let ingest = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    wh
}

/// `sprout queries` with `settings` into `out`.
fn write_queries(out: &Path, dialect: &str, settings: &[&str]) {
    let mut args = vec!["queries", "--dialect", dialect, "--out", s(out)];
    args.extend_from_slice(settings);
    let run = sprout(&args);
    assert_eq!(run.code, 0, "{}", run.all());
}

/// `sprout measures` over `wh` (or `--query-results results`) with `settings` into `out`.
fn measures(source: (&str, &Path), out: &Path, settings: &[&str]) -> crate::support::Run {
    let mut args = vec!["measures", source.0, s(source.1), "-o", s(out), "-q"];
    args.extend_from_slice(settings);
    sprout(&args)
}

/// A queries folder's `queries.json`.
fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("queries.json")).unwrap()).unwrap()
}

/// Answer every query of the queries folder `dir` with sprout's own engine
/// over `wh`, one `sprout sql` each, saving each result where
/// `queries.json` says.
fn answer_with_sprout(dir: &Path, wh: &Path) {
    for e in manifest(dir)["queries"].as_array().unwrap() {
        let sql = std::fs::read_to_string(dir.join(e["file"].as_str().unwrap())).unwrap();
        let result = dir.join(e["result"].as_str().unwrap());
        let run = sprout(&["sql", "-q", "-w", s(wh), "-o", s(&result), "--", &sql]);
        assert_eq!(run.code, 0, "{}: {}", e["file"], run.all());
    }
}

/// Each (query, parameters) in a queries folder's manifest.
fn manifest_bindings(dir: &Path) -> BTreeSet<String> {
    manifest(dir)["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| format!("{} {}", q["query"], q["parameters"]))
        .collect()
}

/// Each (query, parameters) a run's `--timings` records.
fn timed_bindings(timings: &Path) -> BTreeSet<String> {
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(timings).unwrap()).unwrap();
    t["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|stage| stage["queries"].as_array().cloned().unwrap_or_default())
        .map(|q| {
            let parameters = q.get("parameters").cloned().unwrap_or_default();
            let parameters = if parameters.is_null() {
                serde_json::json!({})
            } else {
                parameters
            };
            format!("{} {}", q["query"], parameters)
        })
        .collect()
}

/// The queries written beforehand, from the period and settings alone, are
/// exactly the queries a run over data makes, with the same values: a query
/// bound only after looking at a result would be missing or different.
#[test]
fn the_queries_written_beforehand_are_the_queries_a_run_makes() {
    let root = tempfile::tempdir().unwrap();
    let wh = sample_warehouse(root.path());
    let variants: [&[&str]; 2] = [
        &["--period", "2024/25"],
        &[
            "--period",
            "2024/25 Q3",
            "--outcome-cohort",
            "received",
            "--min-follow-up-days",
            "30",
            "--local-authority",
            "E08000026",
        ],
    ];
    for (k, settings) in variants.iter().enumerate() {
        let queries = root.path().join(format!("q{k}"));
        write_queries(&queries, "duckdb", settings);
        let timings = root.path().join(format!("t{k}.json"));
        let out = root.path().join(format!("m{k}"));
        let mut with_timings = settings.to_vec();
        with_timings.extend(["--timings", s(&timings)]);
        let run = measures(("-w", &wh), &out, &with_timings);
        assert_eq!(run.code, 0, "{}", run.all());
        let (written, made) = (manifest_bindings(&queries), timed_bindings(&timings));
        assert!(written.len() > 20, "{written:?}");
        assert_eq!(written, made, "settings {settings:?}");
    }
}

/// Results computed elsewhere give the same tables as the warehouse: here
/// sprout's own engine answers its own written queries one by one (`sprout
/// sql`), so every file is byte-identical; a missing result, or results for
/// other settings, are refused with the fix.
#[test]
fn results_computed_elsewhere_give_the_same_tables() {
    let root = tempfile::tempdir().unwrap();
    let wh = sample_warehouse(root.path());
    let queries = root.path().join("q");
    let settings = ["--period", "2024/25"];
    write_queries(&queries, "datafusion", &settings);

    // Before any result is there: the first query's file is named, and how to make it.
    let out = root.path().join("from_results");
    let missing = measures(("--query-results", &queries), &out, &settings);
    assert_eq!(missing.code, 2, "{}", missing.all());
    assert!(
        missing.stderr.contains("there is no result at")
            && missing.stderr.contains("save its result there as Parquet"),
        "{}",
        missing.all()
    );
    assert!(!out.exists(), "nothing is written");

    answer_with_sprout(&queries, &wh);
    let local = root.path().join("local");
    let run = measures(("-w", &wh), &local, &settings);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = measures(("--query-results", &queries), &out, &settings);
    assert_eq!(run.code, 0, "{}", run.all());
    let (a, b) = (tree(&local), tree(&out));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(&b[name] == bytes, "{name} differs");
    }

    // Other settings bind other values: their queries are not these.
    let other = measures(
        ("--query-results", &queries),
        &root.path().join("other"),
        &["--period", "2024/25", "--min-follow-up-days", "30"],
    );
    assert_eq!(other.code, 2, "{}", other.all());
    assert!(
        other
            .stderr
            .contains("lists no result for queries/wellbeing_pairs.sql with")
            && other.stderr.contains("min_follow_up_days = 30"),
        "{}",
        other.all()
    );

    // Results written for another sprout version are refused, with the fix.
    let manifest_path = queries.join("queries.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(
        &manifest_path,
        original.replace(
            &format!("\"sprout_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"sprout_version\": \"0.0.1\"",
        ),
    )
    .unwrap();
    let old = measures(
        ("--query-results", &queries),
        &root.path().join("old"),
        &settings,
    );
    assert_eq!(old.code, 2, "{}", old.all());
    assert!(
        old.stderr.contains("was written by sprout 0.0.1")
            && old
                .stderr
                .contains("write the queries again with this sprout"),
        "{}",
        old.all()
    );
    std::fs::write(&manifest_path, original).unwrap();
    let with_cluster = measures(
        ("--query-results", &queries),
        &root.path().join("cl"),
        &["--period", "2024/25", "--cluster", "standalone"],
    );
    assert_eq!(with_cluster.code, 2, "{}", with_cluster.all());
    assert!(
        with_cluster.stderr.contains("cannot be used with"),
        "{}",
        with_cluster.all()
    );

    // The queries folder now holds the user's results: writing queries over
    // it again is refused, and nothing in it changes.
    let before = tree(&queries);
    let again = sprout(&[
        "queries",
        "--dialect",
        "duckdb",
        "--period",
        "2024/25",
        "--out",
        s(&queries),
    ]);
    assert_eq!(again.code, 2, "{}", again.all());
    assert_eq!(tree(&queries), before);
}

/// Numbers agree to 7 significant digits (DataFusion's percentile_cont
/// rounds its interpolation weight to 1e-6; DuckDB's does not).
fn same_cell(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-7 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// DuckDB answers the DuckDB dialect's queries
/// (`scripts/query_results/duckdb_results.py`) and the tables are those of
/// the warehouse, number for number. Skipped where Python has no duckdb.
#[test]
fn duckdb_results_give_the_same_tables() {
    let has_duckdb = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_duckdb {
        eprintln!("skipped: python3 has no duckdb module (pip install duckdb)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let wh = sample_warehouse(root.path());
    let queries = root.path().join("q");
    let settings = ["--period", "2024/25"];
    write_queries(&queries, "duckdb", &settings);
    let schema = root.path().join("schema.json");
    let run = sprout(&["schema", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    std::fs::write(&schema, run.stdout).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/query_results/duckdb_results.py");
    let duck = std::process::Command::new("python3")
        .args([s(&script), s(&wh), s(&queries), s(&schema)])
        .output()
        .unwrap();
    assert!(
        duck.status.success(),
        "{}",
        String::from_utf8_lossy(&duck.stderr)
    );
    let (local, out) = (root.path().join("local"), root.path().join("duck"));
    let run = measures(("-w", &wh), &local, &settings);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = measures(("--query-results", &queries), &out, &settings);
    assert_eq!(run.code, 0, "{}", run.all());
    let (a, b) = (tree(&local), tree(&out));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        if name.ends_with(".csv") {
            let (x, y) = (
                String::from_utf8_lossy(bytes).into_owned(),
                String::from_utf8_lossy(&b[name]).into_owned(),
            );
            let (xs, ys): (Vec<&str>, Vec<&str>) = (x.lines().collect(), y.lines().collect());
            assert_eq!(xs.len(), ys.len(), "{name}: rows");
            for (l, m) in xs.iter().zip(&ys) {
                let (lc, mc): (Vec<&str>, Vec<&str>) =
                    (l.split(',').collect(), m.split(',').collect());
                assert!(
                    lc.len() == mc.len() && lc.iter().zip(&mc).all(|(p, q)| same_cell(p, q)),
                    "{name}:\n{l}\n{m}"
                );
            }
        } else if !name.ends_with(".parquet") && !name.ends_with(".json") {
            assert!(&b[name] == bytes, "{name} differs");
        }
    }
}

/// `sprout evaluate` with `[inputs] query_results` instead of extracts
/// builds no warehouse and publishes the same tables (disclosure control
/// and the audit included) as the evaluation of the extracts the results
/// came from; its stamp lists each result file with its hash. A spec that
/// also names extracts is refused.
#[test]
fn an_evaluation_from_query_results_publishes_the_same_tables() {
    let epoch = ("SOURCE_DATE_EPOCH", "1750000000");
    let root = tempfile::tempdir().unwrap();
    let spec = |name: &str, inputs: &str| {
        let path = root.path().join(name);
        std::fs::write(
            &path,
            format!(
                "title = \"Sample\"\nperiod = \"2024/25\"\noutput = \"{name}.out\"\nwarehouse = \"wh\"\n[inputs]\n{inputs}\n"
            ),
        )
        .unwrap();
        path
    };
    let from_extracts = spec(
        "extracts",
        &format!(
            "extracts = [\"{}\"]\nas_of = \"2026-10-31\"",
            s(&sample_extract())
        ),
    );
    let run = crate::support::sprout_with_env(&["evaluate", s(&from_extracts), "-q"], &[epoch]);
    assert_eq!(run.code, 0, "{}", run.all());
    let wh = root.path().join("wh");
    let queries = root.path().join("q");
    write_queries(&queries, "datafusion", &["--period", "2024/25"]);
    answer_with_sprout(&queries, &wh);
    let wh_before = tree(&wh);
    let from_results = spec("results", "query_results = \"q\"");
    let run = crate::support::sprout_with_env(&["evaluate", s(&from_results)], &[epoch]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("from the query results in") && !run.stdout.contains("Warehouse:"),
        "{}",
        run.all()
    );
    assert_eq!(tree(&wh), wh_before, "no warehouse is built or touched");
    let (a, b) = (
        tree(&root.path().join("extracts.out/tables")),
        tree(&root.path().join("results.out/tables")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        // What ingest read, and the run's settings (which name the inputs), differ.
        if name.starts_with("ingest_summary.") || name.starts_with("settings.") {
            continue;
        }
        assert!(&b[name] == bytes, "{name} differs");
    }
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.path().join("results.out/evaluation.json")).unwrap(),
    )
    .unwrap();
    let inputs = record["stamp"]["inputs"].as_array().unwrap();
    assert_eq!(
        inputs.len(),
        manifest(&queries)["queries"].as_array().unwrap().len()
    );
    assert!(
        inputs
            .iter()
            .all(|i| i["table"].as_str().unwrap().starts_with("result of ")
                && i["sha256"].as_str().unwrap().len() == 64),
        "{inputs:?}"
    );
    assert_eq!(record["audit"]["findings"], serde_json::json!([]));

    let both = spec(
        "both",
        &format!(
            "query_results = \"q\"\nextracts = [\"{}\"]",
            s(&sample_extract())
        ),
    );
    let run = crate::support::sprout_with_env(&["evaluate", s(&both)], &[epoch]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("[inputs] has query_results and extracts"),
        "{}",
        run.all()
    );
}
