//! Researchers' SQL: read-only, and results written where asked.

use crate::support::*;

fn warehouse() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let wh = dir.path().join("wh");
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
    let csv = dir.path().join("out.csv");
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
    let parquet = dir.path().join("out.parquet");
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
        s(&dir.path().join("out.xls")),
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
