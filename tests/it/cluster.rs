//! `--cluster`: the measure queries on an Apache DataFusion Ballista cluster.
//!
//! Built with the cargo feature `cluster` (`.ci/run` runs
//! `cargo test --locked --features cluster --test it cluster`), the sample
//! evaluation runs on a cluster started inside sprout (a real scheduler and
//! two executors over gRPC on loopback), with `--cluster-verify` so that every
//! measure query's result is compared with the client's engine, and its
//! published tables are compared byte for byte with a run on this machine.
//! Without the feature, `--cluster` says how to build it.

use std::path::{Path, PathBuf};

use crate::support::{Run, s, sprout_with_env};

/// The sample evaluation's spec with its paths made absolute and its
/// warehouse and output in `root`.
fn sample_spec(root: &Path) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let text = std::fs::read_to_string(data.join("evaluation.toml")).unwrap();
    let mut spec = String::new();
    for line in text.lines() {
        let line = match line.split_once(" = ").map(|(k, _)| k) {
            Some("output") => format!("output = \"{}\"", s(&root.join("evaluation"))),
            Some("warehouse") => format!("warehouse = \"{}\"", s(&root.join("warehouse"))),
            _ => line
                .replace("\"extract\"", &format!("\"{}\"", s(&data.join("extract"))))
                .replace("\"ods/", &format!("\"{}/ods/", s(&data))),
        };
        spec.push_str(&line);
        spec.push('\n');
    }
    let path = root.join("evaluation.toml");
    std::fs::write(&path, spec).unwrap();
    path
}

fn evaluate(spec: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["evaluate", s(spec), "--out", s(out), "-q"];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.push(("SOURCE_DATE_EPOCH", "1750000000"));
    sprout_with_env(&all, &env)
}

#[cfg(not(feature = "cluster"))]
#[test]
fn cluster_without_the_feature_says_how_to_build_it() {
    let root = tempfile::tempdir().unwrap();
    let spec = sample_spec(root.path());
    let run = evaluate(
        &spec,
        &root.path().join("out"),
        &["--cluster", "df://localhost:50050"],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("built without cluster support")
            && run.stderr.contains("--features cluster"),
        "{}",
        run.stderr
    );
    assert!(
        !root.path().join("out").exists(),
        "nothing is published when the cluster cannot be used"
    );
}

/// A wrong address is refused by the command line with the forms it takes.
#[test]
fn cluster_address_is_checked() {
    let root = tempfile::tempdir().unwrap();
    let spec = sample_spec(root.path());
    let run = evaluate(
        &spec,
        &root.path().join("out"),
        &["--cluster", "http://scheduler:50050"],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("df://HOST:PORT"), "{}", run.stderr);
}

/// `s3://` given where sprout writes a warehouse folder is refused before
/// anything is made, rather than made into a local folder named `s3:`.
#[test]
fn ingest_into_an_object_store_is_refused_without_making_a_folder() {
    let root = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sprout"))
        .args([
            "ingest",
            s(&crate::support::sample_extract()),
            "--warehouse",
            "s3://bucket/warehouse",
            "-q",
        ])
        .current_dir(root.path())
        .env_remove("SPROUT_PSEUDONYM_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("warehouse s3://bucket/warehouse")
            && stderr.contains("ingests into a folder only")
            && stderr.contains("aws s3 sync"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        0,
        "no folder is made"
    );
    let run = crate::support::sprout(&[
        "measures",
        "--warehouse",
        "gs://bucket/warehouse",
        "--period",
        "2024/25",
        "--out",
        s(&root.path().join("out")),
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("gs:// is not read") && run.stderr.contains("s3://BUCKET/PATH"),
        "{}",
        run.stderr
    );
}

#[cfg(not(feature = "cluster"))]
#[test]
fn an_object_store_warehouse_without_the_feature_says_how_to_build_it() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let run = crate::support::sprout(&[
        "measures",
        "--warehouse",
        "s3://bucket/warehouse",
        "--period",
        "2024/25",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("without object store support")
            && run.stderr.contains("--features cluster"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

#[cfg(feature = "cluster")]
mod on_a_cluster {
    use std::collections::BTreeMap;

    use super::*;
    use crate::support::tree;

    /// The measure files in `queries/`, by stem.
    fn measure_files() -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("queries"))
                .unwrap()
                .filter_map(|e| {
                    let path = e.unwrap().path();
                    (path.extension()? == "sql")
                        .then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
                })
                .collect();
        names.sort();
        names
    }

    /// Each measure query in a `--timings` file with where it was answered.
    fn answered(timings: &Path) -> BTreeMap<String, Vec<String>> {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(timings).unwrap()).unwrap();
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for stage in json["stages"].as_array().unwrap() {
            for query in stage["queries"].as_array().into_iter().flatten() {
                out.entry(query["query"].as_str().unwrap().to_string())
                    .or_default()
                    .push(query["answered"].as_str().unwrap_or("absent").to_string());
            }
        }
        out
    }

    /// `got` holds the same files as `expected`, byte for byte (`what` names
    /// the run in the message).
    fn assert_same_files(
        got: &BTreeMap<String, Vec<u8>>,
        expected: &BTreeMap<String, Vec<u8>>,
        what: &str,
    ) {
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{what}"
        );
        for (file, bytes) in expected {
            assert!(&got[file] == bytes, "{what}: {file} differs");
        }
    }

    /// The published tables: every file under `tables/`.
    fn tables(out: &Path) -> BTreeMap<String, Vec<u8>> {
        tree(&out.join("tables"))
    }

    /// Every measure query gives the same result on an in-process cluster of
    /// two executors as on this machine (compared by `--cluster-verify`,
    /// which records where each was answered in `--timings`), with Ballista's
    /// adaptive planning on and off, and the published tables are byte-identical.
    #[test]
    fn every_query_and_published_table_is_equal_on_a_cluster() {
        let root = tempfile::tempdir().unwrap();
        let spec = sample_spec(root.path());
        let local_out = root.path().join("local");
        let run = evaluate(&spec, &local_out, &["--target-partitions", "4"], &[]);
        assert_eq!(run.code, 0, "{}", run.all());
        let local = tables(&local_out);
        assert!(local.keys().any(|k| k.ends_with(".parquet")), "{local:?}");
        let expected = measure_files();
        for adaptive in ["true", "false"] {
            let out = root.path().join(format!("cluster-{adaptive}"));
            let timings = root.path().join(format!("timings-{adaptive}.json"));
            let run = evaluate(
                &spec,
                &out,
                &[
                    "--target-partitions",
                    "4",
                    "--cluster",
                    "standalone:2",
                    "--cluster-verify",
                    "--adaptive-planning",
                    adaptive,
                    "--timings",
                    s(&timings),
                ],
                &[],
            );
            assert_eq!(run.code, 0, "adaptive {adaptive}: {}", run.all());
            assert!(
                !run.stderr.contains("different results"),
                "adaptive {adaptive}: {}",
                run.stderr
            );
            let answered = answered(&timings);
            assert_eq!(
                answered.keys().cloned().collect::<Vec<_>>(),
                expected,
                "every measure file runs in the sample evaluation"
            );
            for (query, places) in &answered {
                let local_only = sprout::engine::cluster::runs_locally(query, adaptive == "true");
                let want = if local_only { "client" } else { "both_equal" };
                assert!(
                    places.iter().all(|p| p == want),
                    "adaptive {adaptive}: {query} answered {places:?}"
                );
            }
            assert_same_files(
                &tables(&out),
                &local,
                &format!("adaptive {adaptive}, against this machine's run"),
            );
        }
    }

    /// A cluster's wrong result (a row lost, as a shuffle bug would) is
    /// caught by `--cluster-verify`: the client's result is published and
    /// the query named in a warning. Without `--cluster-verify` the same
    /// fault reaches the tables, which is why a query that ever differs is
    /// moved to RUN_LOCALLY.
    #[test]
    fn a_wrong_cluster_result_is_caught_and_not_published() {
        let root = tempfile::tempdir().unwrap();
        let spec = sample_spec(root.path());
        let local_out = root.path().join("local");
        let run = evaluate(&spec, &local_out, &[], &[]);
        assert_eq!(run.code, 0, "{}", run.all());
        let fault = [("SPROUT_CLUSTER_WRONG", "community_organisations")];
        let checked = root.path().join("checked");
        let timings = root.path().join("timings.json");
        let run = evaluate(
            &spec,
            &checked,
            &[
                "--cluster",
                "standalone",
                "--cluster-verify",
                "--timings",
                s(&timings),
            ],
            &fault,
        );
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(
            run.stderr.contains(
                "queries/community_organisations.sql gave different results on the cluster"
            ),
            "{}",
            run.stderr
        );
        assert_eq!(
            answered(&timings)["community_organisations"],
            vec!["both_differed".to_string()]
        );
        assert!(tables(&checked) == tables(&local_out));
        let unchecked = root.path().join("unchecked");
        let run = evaluate(&spec, &unchecked, &["--cluster", "standalone"], &fault);
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(
            tables(&unchecked) != tables(&local_out),
            "the fault changes a published table when not verified"
        );
    }

    /// Executors that read other files at the warehouse's path (here: a
    /// manifest that no longer matches its files, as a stale copy on one
    /// machine would look) are refused before any query runs, naming the
    /// table, both counts and the fix.
    #[test]
    fn a_cluster_reading_other_files_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let warehouse = ingested_sample(root.path());
        let query = [
            "sql",
            "SELECT count(*) AS n FROM referrals",
            "--warehouse",
            s(&warehouse),
        ];
        let mut on_cluster = query.to_vec();
        on_cluster.extend(["--cluster", "standalone"]);
        let run = crate::support::sprout(&on_cluster);
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(run.stdout.contains("855"), "{}", run.stdout);
        let manifest = warehouse.join("manifest.json");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let stale = text.replace("\"referrals\": 855", "\"referrals\": 900");
        assert_ne!(
            stale, text,
            "the manifest counts the sample's 855 referrals"
        );
        std::fs::write(&manifest, stale).unwrap();
        let run = crate::support::sprout(&on_cluster);
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains("read 855 rows of referrals")
                && run.stderr.contains("holds 900")
                && run.stderr.contains("fix: the warehouse must be at"),
            "{}",
            run.stderr
        );
    }

    /// An unreachable scheduler is refused before anything is computed or
    /// published, with the fix.
    #[test]
    fn an_unreachable_scheduler_is_refused_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        let spec = sample_spec(root.path());
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("df://127.0.0.1:{port}");
        let out = root.path().join("out");
        let run = evaluate(&spec, &out, &["--cluster", &address], &[]);
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains(&format!("cluster {address}")) && run.stderr.contains("fix:"),
            "{}",
            run.stderr
        );
        assert!(!out.exists());
    }

    /// The sample data ingested into `root/warehouse`.
    fn ingested_sample(root: &Path) -> PathBuf {
        let warehouse = root.join("warehouse");
        let run = crate::support::sprout(&[
            "ingest",
            s(&crate::support::sample_extract()),
            "--warehouse",
            s(&warehouse),
            "--as-of",
            "2026-10-31",
            "-q",
        ]);
        assert_eq!(run.code, 0, "{}", run.all());
        warehouse
    }

    /// The sample ingested into a folder, and a copy of it at
    /// `s3://bucket/copies/warehouse` in a stand-in for S3 (`root/store`).
    fn warehouse_and_copy(root: &Path) -> (PathBuf, PathBuf, crate::fake_s3::FakeS3) {
        let warehouse = ingested_sample(root);
        let copy = root.join("store/bucket/copies/warehouse");
        for (name, bytes) in tree(&warehouse) {
            if name.starts_with('.') {
                continue;
            }
            let path = copy.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let store = crate::fake_s3::FakeS3::serve(&root.join("store"));
        (warehouse, copy, store)
    }

    /// `sprout measures` of the sample's 2024/25 from `warehouse` into `out`.
    fn measures(warehouse: &str, out: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
        let mut all = vec![
            "measures",
            "--warehouse",
            warehouse,
            "--period",
            "2024/25",
            "--out",
            s(out),
            "-q",
        ];
        all.extend_from_slice(args);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sprout_with_env(&all, &env)
    }

    /// The tables a `sprout measures` folder holds (its listing,
    /// `measures.json`, aside).
    fn measure_tables(out: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut files = tree(out);
        files.remove("measures.json");
        assert!(files.len() > 20, "{:?}", files.keys());
        files
    }

    /// A warehouse copied to an S3-compatible store is read from there, by
    /// the client alone and by an in-process cluster of two executors (the
    /// objects are only in the store), and every table is byte-identical to
    /// the tables from the folder.
    #[test]
    fn a_warehouse_in_an_object_store_gives_the_same_tables() {
        let root = tempfile::tempdir().unwrap();
        let (warehouse, _, store) = warehouse_and_copy(root.path());
        let url = "s3://bucket/copies/warehouse";
        let local = root.path().join("local");
        let run = measures(s(&warehouse), &local, &[], &[]);
        assert_eq!(run.code, 0, "{}", run.all());
        let expected = measure_tables(&local);
        for (name, args) in [
            ("client", &[][..]),
            ("cluster", &["--cluster", "standalone:2"][..]),
        ] {
            let before = store.reads.load(std::sync::atomic::Ordering::Relaxed);
            let out = root.path().join(name);
            let run = measures(url, &out, args, &store.env());
            assert_eq!(run.code, 0, "{name}: {}", run.all());
            assert!(
                store.reads.load(std::sync::atomic::Ordering::Relaxed) > before + 10,
                "{name}: the tables were read from the store"
            );
            assert_same_files(&measure_tables(&out), &expected, name);
        }
        let run = sprout_with_env(
            &[
                "sql",
                "SELECT count(*) AS n FROM referrals",
                "--warehouse",
                url,
            ],
            &store
                .env()
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        );
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(run.stdout.contains("855"), "{}", run.stdout);
    }

    /// A copy in the store that is not whole (a part missing, or no
    /// manifest) is refused before any measure is computed, by the client
    /// and by a cluster, naming the table, both counts and the fix.
    #[test]
    fn a_partial_copy_in_an_object_store_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let (_, copy, store) = warehouse_and_copy(root.path());
        let url = "s3://bucket/copies/warehouse";
        // The sample's referrals are in two parts (two input files); one
        // of them is left out of the copy.
        let mut parts: Vec<PathBuf> = std::fs::read_dir(copy.join("referrals"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        parts.sort();
        assert!(parts.len() > 1, "{parts:?}");
        std::fs::remove_file(&parts[0]).unwrap();
        let left = count_rows(&parts[1..]);
        let out = root.path().join("out");
        let run = measures(url, &out, &[], &store.env());
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains(&format!("warehouse {url}"))
                && run
                    .stderr
                    .contains(&format!("{left} rows of referrals are there"))
                && run.stderr.contains("says 855")
                && run.stderr.contains("copy the folder again"),
            "{}",
            run.stderr
        );
        let run = measures(url, &out, &["--cluster", "standalone"], &store.env());
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains(&format!(
                "read {left} rows of referrals at s3://bucket/copies/warehouse"
            )) && run.stderr.contains("holds 855")
                && run.stderr.contains("same AWS_* environment variables"),
            "{}",
            run.stderr
        );
        std::fs::remove_file(copy.join("manifest.json")).unwrap();
        let run = measures(url, &out, &[], &store.env());
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(
            run.stderr.contains("no manifest.json here")
                && run.stderr.contains("the manifest last"),
            "{}",
            run.stderr
        );
        assert!(!out.exists(), "nothing is written for a refused warehouse");
    }

    /// Rows in the Parquet files `parts`, from their footers.
    fn count_rows(parts: &[PathBuf]) -> u64 {
        parts
            .iter()
            .map(|path| {
                let file = std::fs::File::open(path).unwrap();
                let reader =
                    datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                        file,
                    )
                    .unwrap();
                reader.metadata().file_metadata().num_rows() as u64
            })
            .sum()
    }
}
