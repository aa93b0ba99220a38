//! `sprout audit`: the output checker finds nothing on real outputs, finds
//! what a tampered output gives away, and `evaluate` will not publish what
//! it finds.

use std::path::{Path, PathBuf};

use crate::support::*;

const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1750000000");

/// Evaluate `extracts` for `period` under `policy` into `root/out`.
fn evaluate(root: &Path, extracts: &Path, period: &str, policy: &str, env: &[(&str, &str)]) -> Run {
    let spec = root.join("evaluation.toml");
    let text = format!(
        "title = \"Audit\"\nperiod = \"{period}\"\noutput = \"out\"\nwarehouse = \"warehouse\"\n\
         [inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n[disclosure]\npolicy = \"{policy}\"\n",
        s(extracts)
    );
    std::fs::write(&spec, text).unwrap();
    let mut all = vec![EPOCH];
    all.extend_from_slice(env);
    sprout_with_env(&["evaluate", s(&spec), "-q"], &all)
}

fn audit(out: &Path) -> Run {
    sprout(&["audit", s(out)])
}

fn assert_clean(root: &Path, extracts: &Path, period: &str, policy: &str) {
    let run = evaluate(root, extracts, period, policy, &[]);
    assert_eq!(run.code, 0, "{period} {policy}: {}", run.all());
    assert!(run.stdout.contains("Disclosure audit"), "{}", run.all());
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("out/evaluation.json")).unwrap()).unwrap();
    assert!(
        record["audit"]["cells_checked"].as_u64().unwrap() > 1000,
        "{record}"
    );
    assert_eq!(
        record["audit"]["findings"],
        serde_json::json!([]),
        "{period} {policy}"
    );
    let checked = audit(&root.join("out"));
    assert_eq!(checked.code, 0, "{period} {policy}: {}", checked.all());
    assert!(
        checked
            .stdout
            .contains("no published cell can be worked out"),
        "{}",
        checked.all()
    );
}

#[test]
fn the_sample_year_and_each_of_its_quarters_pass_the_audit() {
    let root = tempfile::tempdir().unwrap();
    for period in [
        "2024/25",
        "2024/25 Q1",
        "2024/25 Q2",
        "2024/25 Q3",
        "2024/25 Q4",
    ] {
        assert_clean(root.path(), &sample_extract(), period, "nhs_digital");
        if period.ends_with("Q3") {
            // The declined pool's matched sets are withheld in Q3: the report
            // says so, and does not call them none.
            let sentences =
                std::fs::read_to_string(root.path().join("out/tables/report_sentences.csv"))
                    .unwrap();
            assert!(
                sentences.contains(
                    "Too few referred people found a declined comparator to show how many"
                ),
                "{sentences}"
            );
            assert!(
                !sentences.contains("No comparison cohort available from the declined pool"),
                "{sentences}"
            );
        }
    }
    for policy in ["opensafely", "ons"] {
        assert_clean(root.path(), &sample_extract(), "2024/25", policy);
    }
}

#[test]
fn synthetic_data_at_several_seeds_and_sizes_passes_the_audit() {
    for (people, seed) in [("800", "1"), ("3000", "2"), ("1500", "4")] {
        let root = tempfile::tempdir().unwrap();
        let extracts = root.path().join("extracts");
        synthetic_extracts(&extracts, people, seed, &[]);
        assert_clean(root.path(), &extracts, "2024/25", "nhs_digital");
    }
}

/// A published sample output to tamper with.
fn published() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let run = evaluate(
        root.path(),
        &sample_extract(),
        "2024/25",
        "nhs_digital",
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let out = root.path().join("out");
    (root, out)
}

/// Rewrite one cell of a published CSV table.
fn set_cell(out: &Path, table: &str, row: usize, column: &str, value: &str) {
    let path = out.join("tables").join(format!("{table}.csv"));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    let c = header.iter().position(|h| h == column).unwrap();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    rows[row][c] = value.to_string();
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&header).unwrap();
    for r in rows {
        writer.write_record(&r).unwrap();
    }
    writer.flush().unwrap();
}

#[test]
fn a_list_longer_than_its_count_and_an_unrounded_count_are_found() {
    let (_root, out) = published();
    let rows = read_csv(&out.join("tables/community_organisations.csv")).len();
    set_cell(
        &out,
        "community_summary",
        0,
        "organisations",
        &(rows - 1).to_string(),
    );
    set_cell(&out, "service_uptake", 0, "referred", "693");
    let run = audit(&out);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains(&format!(
            "community_summary row 1 organisations: rounded count restored = {rows} (community_organisations has {rows} rows)"
        )),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("service_uptake row 1 referred: unprotected figure = 693 (a count of 693 is shown unrounded"),
        "{}",
        run.all()
    );
}

#[test]
fn a_figure_in_the_report_that_no_table_publishes_is_found() {
    let (_root, out) = published();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let first = html.find("<td>").expect("a table cell");
    let tampered = format!("{}<td>98,765</td>{}", &html[..first], &html[first..]);
    std::fs::write(out.join("report.html"), tampered).unwrap();
    let run = audit(&out);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains(
            "report.html row 1 message: a figure no published table shows (98,765 in \"98,765\")"
        ),
        "{}",
        run.all()
    );
}

#[test]
fn a_figure_in_the_workbook_that_no_table_publishes_is_found() {
    let (_root, out) = published();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("headlines").unwrap();
    sheet.write_string(0, 0, "Referrals").unwrap();
    sheet.write_number(1, 0, 98_765.0).unwrap();
    book.save(out.join("workbook.xlsx")).unwrap();
    let run = audit(&out);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("workbook.xlsx headlines row 2 message: a figure no published table shows (98765 in \"98765\")"),
        "{}",
        run.all()
    );
}

/// `results.json` (for pooling) holds only published figures, read from the
/// tables as published; a figure of its own (here the exact change behind a
/// rounded one) is found.
#[test]
fn a_figure_in_results_json_that_no_table_publishes_is_found() {
    let (_root, out) = published();
    let path = out.join("results.json");
    let mut results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let change = read_csv(&out.join("tables/wellbeing_change.csv"))
        .into_iter()
        .find(|r| r["breakdown"] == "all" && r["score"] == "swemwbs_metric")
        .unwrap();
    let first = results["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["outcome"] == "swemwbs_metric" && e["quantity"] == "mean_change")
        .expect("the SWEMWBS change is a headline estimate");
    let estimate = &results["estimates"][first];
    assert_eq!(
        estimate["estimate"].as_f64(),
        Some(f(&change, "mean_change"))
    );
    assert_eq!(estimate["lower"].as_f64(), Some(f(&change, "change_lower")));
    assert_eq!(estimate["n"].as_i64(), Some(n(&change, "pairs")));
    results["estimates"][first]["estimate"] = serde_json::json!(0.4937142857);
    std::fs::write(&path, serde_json::to_vec_pretty(&results).unwrap()).unwrap();
    let run = audit(&out);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("results.json row")
            && run
                .stdout
                .contains("a figure no published table shows (0.4937142857 in \"0.4937142857\")"),
        "{}",
        run.all()
    );
}

#[test]
fn a_template_that_adds_a_figure_of_its_own_stops_the_run() {
    let root = tempfile::tempdir().unwrap();
    let templates = root.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("commissioner.html"),
        "<html><body><h1>{{ stamp.title }}</h1><table><tr><td>98,765 people</td></tr></table></body></html>",
    )
    .unwrap();
    let spec = root.path().join("evaluation.toml");
    std::fs::write(
        &spec,
        format!(
            "title = \"T\"\nperiod = \"2024/25\"\noutput = \"out\"\nwarehouse = \"wh\"\n[inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n[outputs]\ntemplates = \"templates\"\n",
            s(&sample_extract())
        ),
    )
    .unwrap();
    let run = sprout_with_env(&["evaluate", s(&spec), "-q"], &[EPOCH]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("report.html row 1 message"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("your own templates"), "{}", run.all());
    assert!(!root.path().join("out").exists(), "nothing published");
}

#[test]
fn evaluate_will_not_publish_what_the_audit_can_undo() {
    let (root, out) = published();
    let before = tree(&out);
    let run = evaluate(
        root.path(),
        &sample_extract(),
        "2024/25",
        "nhs_digital",
        &[("SPROUT_LEAK", "wellbeing_change")],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("Disclosure audit (nhs_digital):"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("wellbeing_change row"), "{}", run.all());
    assert!(
        run.stderr.contains("nothing was published"),
        "{}",
        run.all()
    );
    assert_eq!(
        tree(&out),
        before,
        "the previous output is kept byte for byte"
    );
    assert!(
        swap_leftovers(root.path()).is_empty(),
        "{:?}",
        swap_leftovers(root.path())
    );
}

#[test]
fn outputs_that_are_not_for_publication_are_reported_and_measures_folders_refused() {
    let root = tempfile::tempdir().unwrap();
    let spec = root.path().join("evaluation.toml");
    std::fs::write(
        &spec,
        format!(
            "title = \"T\"\nperiod = \"2024/25\"\noutput = \"out\"\nwarehouse = \"wh\"\n[inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n[disclosure]\npolicy = \"none\"\n",
            s(&sample_extract())
        ),
    )
    .unwrap();
    let run = sprout_with_env(
        &["evaluate", s(&spec), "--not-for-publication", "-q"],
        &[EPOCH],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let checked = audit(&root.path().join("out"));
    assert_eq!(checked.code, 1, "{}", checked.all());
    assert!(
        checked.stdout.contains("NOT FOR PUBLICATION"),
        "{}",
        checked.all()
    );

    let (_keep, measures, run) = sample_measures(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let refused = audit(&measures);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains("exact tables of `sprout measures`"),
        "{}",
        refused.all()
    );
}
