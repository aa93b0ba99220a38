//! Researchers' SQL: read-only, and results written where asked.

use crate::support::*;

fn warehouse() -> (Fixture, std::path::PathBuf) {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 0, "{}", run.all());
    (dir, wh)
}

#[test]
fn queries_print_a_table() {
    let (_dir, wh) = warehouse();
    let run = sprout(&[
        "sql",
        "SELECT sex, count(*) AS n FROM people GROUP BY sex ORDER BY sex",
        "-w",
        s(&wh),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("| female | 2 |"), "{}", run.all());
    assert!(run.stdout.contains("| male   | 1 |"), "{}", run.all());
}

#[test]
fn statements_that_change_anything_are_refused() {
    let (_dir, wh) = warehouse();
    for sql in [
        "DROP TABLE people",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO people (person_id) VALUES ('x')",
        "COPY people TO '/tmp/sprout-copy.csv'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let run = sprout(&["sql", sql, "-w", s(&wh)]);
        assert_eq!(run.code, 2, "{sql}: {}", run.all());
        assert!(run.stderr.contains("read-only"), "{sql}: {}", run.all());
    }
    assert_eq!(count(&wh, "SELECT count(*) FROM people"), 3);
}

#[test]
fn results_are_written_as_csv_and_parquet() {
    let (dir, wh) = warehouse();
    let csv = dir.out("out.csv");
    let run = sprout(&[
        "sql",
        "SELECT person_id FROM people ORDER BY person_id",
        "-w",
        s(&wh),
        "-o",
        s(&csv),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "person_id\nP1\nP2\nP3\n"
    );
    let parquet = dir.out("out.parquet");
    let run = sprout(&[
        "sql",
        "SELECT * FROM people WHERE sex = 'nobody'",
        "-w",
        s(&wh),
        "-o",
        s(&parquet),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(std::fs::metadata(&parquet).unwrap().len() > 0);
    let run = sprout(&[
        "sql",
        "SELECT 1",
        "-w",
        s(&wh),
        "-o",
        s(&dir.out("out.xls")),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(".csv, .parquet or .json"),
        "{}",
        run.all()
    );
}

#[test]
fn a_missing_warehouse_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let run = sprout(&["sql", "SELECT 1", "-w", s(&dir.path().join("nowhere"))]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("sprout ingest"), "{}", run.all());
}

#[test]
fn a_memory_limit_spills_to_disk_and_changes_no_row() {
    let root = tempfile::tempdir().unwrap();
    let wh = root.path().join("wh");
    let ingest = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    let sorted = "SELECT person_id, event_date, setting FROM health_events ORDER BY person_id, event_date, setting";
    // A 1 MiB pool cannot hold the sample's ~59,000 events: the sort must spill.
    // (The merge's own reservation, 10 MB by default, is lowered to fit the pool.)
    let small = [("DATAFUSION_EXECUTION_SORT_SPILL_RESERVATION_BYTES", "65536")];
    let limited = ["--memory-limit", "1MiB"];
    let explain = format!("EXPLAIN ANALYZE {sorted}");
    let mut args = vec!["sql", &explain, "-w", s(&wh)];
    args.extend_from_slice(&limited);
    let plan = sprout_with_env(&args, &small);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let spills: u64 = plan
        .stdout
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(spills > 0, "no spill under a 1 MiB limit:\n{}", plan.stdout);
    let [a, b] = ["limited.csv", "unlimited.csv"].map(|n| root.path().join(n));
    let mut args = vec!["sql", sorted, "-w", s(&wh), "-o", s(&a)];
    args.extend_from_slice(&limited);
    assert_eq!(sprout_with_env(&args, &small).code, 0);
    assert_eq!(sprout(&["sql", sorted, "-w", s(&wh), "-o", s(&b)]).code, 0);
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(
        a.len() > 1_000_000 && a == b,
        "spilled and in-memory sorts differ"
    );
}

#[test]
fn a_memory_size_that_is_not_one_is_refused() {
    let (_dir, wh) = warehouse();
    let run = sprout(&["sql", "SELECT 1", "-w", s(&wh), "--memory-limit", "lots"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("1GiB"), "{}", run.all());
}

/// `--tables` adds a `sprout measures` folder's tables, or an evaluation's
/// published ones, beside the warehouse's (#19, item 10): the exact and the
/// published figures can be queried and joined with the same SQL.
#[test]
fn measure_and_published_tables_can_be_queried_beside_the_warehouse() {
    let (root, out, run) = sample_measures(&["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let wh = root.path().join("wh");
    let exact = sprout(&[
        "sql",
        "SELECT referrals FROM service_referrals_period WHERE breakdown = 'all'",
        "-w",
        s(&wh),
        "--tables",
        s(&out),
    ]);
    assert_eq!(exact.code, 0, "{}", exact.all());
    assert!(exact.stdout.contains("| 855 "), "{}", exact.all());
    let joined = sprout(&[
        "sql",
        "SELECT count(*) AS n FROM referrals r JOIN service_referrals_period p ON p.breakdown = 'referral_source' AND p.\"group\" = r.referral_source",
        "-w",
        s(&wh),
        "--tables",
        s(&out),
    ]);
    assert_eq!(joined.code, 0, "{}", joined.all());
    // Days are dates in Parquet, not text: a researcher's date arithmetic works.
    let typed = sprout(&[
        "sql",
        "SELECT DISTINCT arrow_typeof(month) AS month_type, arrow_typeof(events_from) AS from_type FROM spc CROSS JOIN health_cohort",
        "-w",
        s(&wh),
        "--tables",
        s(&out),
    ]);
    assert_eq!(typed.code, 0, "{}", typed.all());
    assert!(
        typed.stdout.contains("Date32") && !typed.stdout.contains("Utf8"),
        "{}",
        typed.all()
    );
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let refused = sprout(&["sql", "SELECT 1", "-w", s(&wh), "--tables", s(&empty)]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains("holds no Parquet tables"),
        "{}",
        refused.all()
    );
}
