//! Nothing destroyed: output folders that overlap inputs or were not made by
//! sprout are refused before anything is read or written; one run at a time
//! owns a folder; a run killed at any rename loses nothing; ingest and
//! evaluate are all or nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::*;

const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1750000000");

/// A copy of the sample-data folder (spec, README, extracts) in a fresh folder.
fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("sample-data");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &data,
    );
    (root, data)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A spec in `root` over the sample extract with the given output and warehouse.
fn spec(root: &Path, output: &str, warehouse: &str, extra: &str) -> PathBuf {
    let path = root.join("evaluation.toml");
    let text = format!(
        "title = \"Safety\"\nperiod = \"2024/25\"\noutput = \"{output}\"\nwarehouse = \"{warehouse}\"\n\
         [inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n{extra}",
        s(&sample_extract())
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn evaluate(spec: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["evaluate", s(spec), "-q"];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.push(EPOCH);
    sprout_with_env(&all, &env)
}

fn refused(run: &Run, names: &[&str]) {
    assert_eq!(run.code, 2, "{}", run.all());
    for name in names {
        assert!(run.stderr.contains(name), "{name}: {}", run.all());
    }
    assert!(run.stderr.contains("fix:"), "{}", run.all());
}

#[test]
fn an_output_over_the_inputs_is_refused_and_nothing_is_touched() {
    let (_root, data) = sample_copy();
    let before = tree(&data);
    let spec = data.join("evaluation.toml");
    // --out the spec's own folder: it holds the spec and every extract.
    let run = evaluate(&spec, &["--out", s(&data)], &[]);
    refused(&run, &[s(&data), "extract", "the output folder (--out)"]);
    // --out an extract folder, or a folder inside one.
    let run = evaluate(&spec, &["--out", s(&data.join("extract"))], &[]);
    refused(&run, &["is the same as"]);
    let run = evaluate(&spec, &["--out", s(&data.join("extract/vendor/out"))], &[]);
    refused(&run, &["is inside"]);
    assert_eq!(tree(&data), before, "no input changed");
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        4,
        "nothing was added beside the inputs (extract/, ods/, the spec and README)"
    );
}

#[test]
fn a_spec_whose_output_or_warehouse_is_an_input_is_refused() {
    let (_root, data) = sample_copy();
    let before = tree(&data);
    for (output, warehouse, role) in [
        ("extract", "../out/warehouse", "`output` in the spec"),
        ("../out/evaluation", "extract", "`warehouse` in the spec"),
        ("../out/evaluation", ".", "`warehouse` in the spec"),
        ("../out/both", "../out/both/warehouse", "overlap"),
    ] {
        let text = std::fs::read_to_string(data.join("evaluation.toml"))
            .unwrap()
            .replace("../out/evaluation\"", &format!("{output}\""))
            .replace("../out/warehouse\"", &format!("{warehouse}\""));
        let spec = data.join("custom.toml");
        std::fs::write(&spec, text).unwrap();
        let run = evaluate(&spec, &[], &[]);
        refused(&run, &[role]);
        std::fs::remove_file(&spec).unwrap();
    }
    assert_eq!(tree(&data), before);
}

#[test]
fn a_folder_sprout_did_not_make_is_never_replaced() {
    let root = tempfile::tempdir().unwrap();
    let mydocs = root.path().join("mydocs");
    std::fs::create_dir(&mydocs).unwrap();
    std::fs::write(mydocs.join("budget.xlsx"), b"my budget").unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let spec = spec(&work, "../mydocs", "../warehouse", "");
    let run = evaluate(&spec, &[], &[]);
    refused(&run, &["mydocs", "budget.xlsx", "evaluation.json"]);
    assert_eq!(
        std::fs::read(mydocs.join("budget.xlsx")).unwrap(),
        b"my budget"
    );
    assert!(!root.path().join("warehouse").exists(), "nothing ingested");
    // The same for each command that writes a folder.
    for args in [
        vec!["ingest", s(&sample_extract()), "-w", s(&mydocs)],
        vec![
            "measures",
            "-w",
            s(&mydocs),
            "-p",
            "2024/25",
            "-o",
            s(&mydocs),
        ],
        vec!["synth", "--people", "50", "--out", s(&mydocs)],
    ] {
        let run = sprout(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        assert!(run.stderr.contains("fix:"), "{}", run.all());
    }
    assert_eq!(tree(&mydocs).len(), 1);
    assert_eq!(
        std::fs::read(mydocs.join("budget.xlsx")).unwrap(),
        b"my budget"
    );
}

#[test]
fn a_sprout_folder_with_a_file_added_by_hand_is_not_replaced() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec(root.path(), "out", "warehouse", "");
    assert_eq!(evaluate(&spec, &[], &[]).code, 0);
    let notes = root.path().join("out/tables/my notes.txt");
    std::fs::write(&notes, b"mine").unwrap();
    let before = tree(&root.path().join("out"));
    let run = evaluate(&spec, &[], &[]);
    refused(&run, &["my notes.txt"]);
    assert_eq!(tree(&root.path().join("out")), before);
    std::fs::remove_file(&notes).unwrap();
    assert_eq!(
        evaluate(&spec, &[], &[]).code,
        0,
        "replaced once it holds only sprout's files"
    );
}

/// Start `sprout evaluate` in the background.
fn spawn(spec: &Path, env: &[(&str, &str)]) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sprout"));
    command
        .args(["evaluate", s(spec), "-q"])
        .env_remove("SPROUT_PSEUDONYM_KEY")
        .env(EPOCH.0, EPOCH.1)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().unwrap()
}

/// Wait until a staging folder appears in `dir` (the run holds its locks), or the child ends.
fn wait_for_staging(dir: &Path, child: &mut std::process::Child) -> bool {
    for _ in 0..3000 {
        if !swap_leftovers(dir).is_empty() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    false
}

#[test]
fn two_runs_on_one_warehouse_never_mix_their_numbers() {
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("a");
    let b = root.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let spec_a = spec(&a, "out", "../warehouse", "");
    let spec_b = spec(&b, "out", "../warehouse", "");
    std::fs::write(
        &spec_b,
        std::fs::read_to_string(&spec_b)
            .unwrap()
            .replace("period = \"2024/25\"", "period = \"2024/25 Q3\""),
    )
    .unwrap();
    let mut overlapped = 0;
    for _ in 0..3 {
        let mut first = spawn(&spec_a, &[]);
        if !wait_for_staging(root.path(), &mut first) {
            first.wait().unwrap();
            continue;
        }
        let second = evaluate(&spec_b, &[], &[]);
        let first = first.wait_with_output().unwrap();
        assert_eq!(
            first.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        if second.code == 2 {
            overlapped += 1;
            assert!(
                second.stderr.contains("in use") && second.stderr.contains("sprout evaluate"),
                "{}",
                second.all()
            );
        } else {
            assert_eq!(second.code, 0, "{}", second.all());
        }
    }
    assert!(
        overlapped > 0,
        "the second run never started while the first held the warehouse"
    );
    // Whatever ran, each output carries its own period's numbers and stamp.
    for (dir, period) in [(&a, "2024/25"), (&b, "2024/25 Q3")] {
        let out = dir.join("out");
        if !out.exists() {
            continue;
        }
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("evaluation.json")).unwrap()).unwrap();
        assert_eq!(record["stamp"]["period"], period);
    }
    assert!(swap_leftovers(root.path()).is_empty());
}

#[test]
fn readers_share_the_warehouse_and_a_writer_waits_for_none() {
    let root = tempfile::tempdir().unwrap();
    let wh = root.path().join("warehouse");
    let run = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // Hold the lock as a running `sprout ingest` would (flock on the lock file).
    let lock = std::fs::File::open(root.path().join(".warehouse.lock")).unwrap();
    lock.lock_shared().unwrap();
    let read = sprout(&["sql", "SELECT count(*) AS n FROM people", "-w", s(&wh)]);
    assert_eq!(read.code, 0, "a reader beside a reader: {}", read.all());
    let write = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(write.code, 2, "{}", write.all());
    assert!(write.stderr.contains("in use"), "{}", write.all());
    lock.unlock().unwrap();
    lock.lock().unwrap();
    let read = sprout(&["sql", "SELECT 1", "-w", s(&wh)]);
    assert_eq!(read.code, 2, "a reader beside a writer: {}", read.all());
    assert!(read.stderr.contains("in use"), "{}", read.all());
}

/// The crash points of one swap, in order (`removing-old`: the previous
/// folder emptied but for its markers, which go last so that recovery can
/// still tell it is sprout's).
const STEPS: [&str; 4] = ["staged", "moved-aside", "swapped", "removing-old"];

#[test]
fn a_run_killed_at_any_rename_loses_nothing_and_the_next_run_recovers() {
    let root = tempfile::tempdir().unwrap();
    let templates = root.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let spec = spec(
        root.path(),
        "evaluation",
        "warehouse",
        "[outputs]\ntemplates = \"templates\"\n",
    );
    assert_eq!(evaluate(&spec, &[], &[]).code, 0);
    let output = tree(&root.path().join("evaluation"));
    let warehouse = tree(&root.path().join("warehouse"));
    for folder in ["warehouse", "evaluation"] {
        for step in STEPS {
            let point = format!("{step}:{folder}");
            let killed = evaluate(&spec, &[], &[("SPROUT_CRASH_AT", &point)]);
            assert_ne!(killed.code, 0, "{point}: {}", killed.all());
            assert!(killed.stderr.contains(&point), "{point}: {}", killed.all());
            // A reader recovers what it finds and sees a whole warehouse.
            let rows = query(
                &root.path().join("warehouse"),
                "SELECT count(*) AS n FROM people",
            );
            assert_eq!(rows[0]["n"], 4000, "{point}");
            // A run that fails after recovering leaves the recovered outputs as
            // they were: the previous ones, byte for byte (the inputs are the
            // same, so a finished swap gives the same bytes too).
            std::fs::write(templates.join("commissioner.html"), "{% if %}").unwrap();
            let failed = evaluate(&spec, &[], &[]);
            assert_eq!(failed.code, 2, "{point}: {}", failed.all());
            std::fs::remove_file(templates.join("commissioner.html")).unwrap();
            assert_eq!(tree(&root.path().join("evaluation")), output, "{point}");
            assert_eq!(tree(&root.path().join("warehouse")), warehouse, "{point}");
            assert!(swap_leftovers(root.path()).is_empty(), "{point}");
        }
    }
}

#[test]
fn a_run_killed_at_a_random_moment_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec(root.path(), "evaluation", "warehouse", "");
    assert_eq!(evaluate(&spec, &[], &[]).code, 0);
    let output = tree(&root.path().join("evaluation"));
    for delay_ms in [0u64, 150, 400, 700, 1000, 1400] {
        let mut child = spawn(&spec, &[]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let after = evaluate(&spec, &[], &[]);
        assert_eq!(after.code, 0, "killed after {delay_ms} ms: {}", after.all());
        let now = tree(&root.path().join("evaluation"));
        let differing: Vec<&String> = now
            .keys()
            .chain(output.keys())
            .filter(|k| now.get(*k) != output.get(*k))
            .collect();
        assert!(
            differing.is_empty(),
            "killed after {delay_ms} ms, then rerun: {differing:?} differ"
        );
        assert!(
            swap_leftovers(root.path()).is_empty(),
            "{delay_ms} ms: {:?}",
            swap_leftovers(root.path())
        );
    }
}

/// A valid Parquet health-events file whose data pages are damaged after the
/// footer was written: it opens, then fails part way through.
fn damaged_parquet(path: &Path) {
    use datafusion::arrow::array::{ArrayRef, Date32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    let schema = std::sync::Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("event_date", DataType::Date32, false),
        Field::new("setting", DataType::Utf8, false),
    ]));
    let file = std::fs::File::create(path).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(1000))
        .set_dictionary_enabled(false)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
    for _ in 0..4 {
        let n = 1000;
        let ids: ArrayRef = std::sync::Arc::new(StringArray::from(vec!["P1"; n]));
        let days: ArrayRef = std::sync::Arc::new(Date32Array::from(vec![19_900; n]));
        let settings: ArrayRef = std::sync::Arc::new(StringArray::from(vec!["gp_appointment"; n]));
        writer
            .write(&RecordBatch::try_new(schema.clone(), vec![ids, days, settings]).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 200] {
        *b = 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_failed_ingest_leaves_the_warehouse_exactly_as_it_was() {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let wh = dir.out("wh");
    assert_eq!(
        sprout(&["ingest", s(dir.path()), "-w", s(&wh), "-q"]).code,
        0
    );
    let before = tree(&wh);
    // New files beside the ones already in: organisations load, then a damaged
    // Parquet file fails part way through.
    std::fs::write(
        dir.path().join("organisations.csv"),
        "organisation_id,name\nO1,Garden club\n",
    )
    .unwrap();
    damaged_parquet(&dir.path().join("health_events.parquet"));
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh), "-q"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("health_events.parquet"),
        "{}",
        run.all()
    );
    assert_eq!(tree(&wh), before, "the warehouse is exactly as it was");
    assert_eq!(count(&wh, "SELECT count(*) FROM organisations"), 0);
    assert_eq!(count(&wh, "SELECT count(*) FROM quarantine"), 0);
    // A truncated .gz and a full disk at the manifest: the same.
    std::fs::remove_file(dir.path().join("health_events.parquet")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"person_id,event_date,setting\n").unwrap();
    for i in 0..20_000 {
        std::io::Write::write_all(
            &mut gz,
            format!("P{},2024-05-01,gp_appointment\n", 1 + i % 3).as_bytes(),
        )
        .unwrap();
    }
    let gz = gz.finish().unwrap();
    std::fs::write(dir.path().join("health_events.csv.gz"), &gz[..gz.len() / 2]).unwrap();
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh), "-q"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("health_events.csv.gz") && run.stderr.contains("fix:"),
        "{}",
        run.all()
    );
    assert_eq!(tree(&wh), before);
    std::fs::remove_file(dir.path().join("health_events.csv.gz")).unwrap();
    let run = sprout_with_env(
        &["ingest", s(dir.path()), "-w", s(&wh), "-q"],
        &[("SPROUT_FAIL_AT", "write:manifest.json")],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("manifest.json") && run.stderr.contains("No space left"),
        "{}",
        run.all()
    );
    assert_eq!(tree(&wh), before);
    assert!(swap_leftovers(&dir.out("")).is_empty());
}

#[test]
fn evaluate_keeps_the_previous_warehouse_when_a_later_stage_fails() {
    let root = tempfile::tempdir().unwrap();
    let templates = root.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    let spec = spec(
        root.path(),
        "out",
        "warehouse",
        "[outputs]\ntemplates = \"templates\"\n",
    );
    assert_eq!(evaluate(&spec, &[], &[]).code, 0);
    let warehouse = tree(&root.path().join("warehouse"));
    // The next run has a different input set, then fails while rendering.
    let other = root.path().join("extract");
    copy_tree(&sample_extract(), &other);
    std::fs::remove_file(other.join("contacts.csv")).unwrap();
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace(s(&sample_extract()), "extract"),
    )
    .unwrap();
    std::fs::write(templates.join("commissioner.html"), "{% if %}").unwrap();
    let run = evaluate(&spec, &[], &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(tree(&root.path().join("warehouse")), warehouse);
    // A full disk while writing the workbook: the same.
    std::fs::remove_file(templates.join("commissioner.html")).unwrap();
    let run = evaluate(&spec, &[], &[("SPROUT_FAIL_AT", "write:workbook.xlsx")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("workbook.xlsx"), "{}", run.all());
    assert_eq!(tree(&root.path().join("warehouse")), warehouse);
    assert!(swap_leftovers(root.path()).is_empty());
}

/// A small file system that fills up, where this machine lets tests mount one
/// (root on Linux); unmounted when dropped.
struct FullDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl FullDisk {
    fn mount(size: &str) -> Option<FullDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                s(&path),
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(FullDisk { path, _dir: dir })
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_disk_that_fills_up_names_the_file_and_leaves_the_warehouse_as_it_was() {
    let Some(disk) = FullDisk::mount("150k") else {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root on Linux)");
        return;
    };
    let wh = disk.path.join("warehouse");
    let people = sample_extract().join("people.csv");
    assert_eq!(sprout(&["ingest", s(&people), "-w", s(&wh), "-q"]).code, 0);
    let before = tree(&wh);
    let run = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("No space left on device") && run.stderr.contains(".parquet"),
        "{}",
        run.all()
    );
    assert_eq!(tree(&wh), before);
    assert!(swap_leftovers(&disk.path).is_empty());
}
