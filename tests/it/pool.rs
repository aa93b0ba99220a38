//! `sprout pool`: evaluations of several synthetic schemes, each with its
//! own planted wellbeing effect, pooled from their published results.json
//! files; the pooled intervals hold the schemes' average planted change,
//! every pooled row names the files and hashes it came from, and files that
//! cannot be pooled are refused with the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::*;

/// `sprout synth` of scheme `i` (seed `i`, planted latent effect `effect`)
/// evaluated into `root/evaluations/s{i}` with `[scheme]` code `S{i}` (the
/// third `=S3`, which a spreadsheet would run as a formula), a region of two
/// and a referral mix; returns the extracts' folder.
fn scheme(root: &Path, i: usize, effect: &str) -> PathBuf {
    let data = root.join(format!("data{i}"));
    synthetic_extracts(
        &data,
        "3000",
        &i.to_string(),
        &["--wellbeing-effect", effect],
    );
    let spec = root.join(format!("s{i}.toml"));
    std::fs::write(
        &spec,
        format!(
            "title = \"{}\"\nperiod = \"2024/25\"\noutput = \"evaluations/s{i}\"\n\
             warehouse = \"wh{i}\"\n[inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n\
             [health]\nbootstrap = 200\n[scheme]\ncode = \"{}\"\nregion = \"{}\"\n\
             [scheme.characteristics]\nreferral_mix = \"{}\"\n",
            // A title with markup, and a code a spreadsheet would run.
            if i == 2 {
                "Scheme <b>2</b> & partners"
            } else {
                "A scheme"
            },
            s(&data),
            if i == 3 { "=S3" } else { ["S1", "S2"][i - 1] },
            if i.is_multiple_of(2) {
                "London"
            } else {
                "North East"
            },
            if i == 1 { "mostly GP" } else { "mixed" },
        ),
    )
    .unwrap();
    let run = sprout_with_env(
        &["evaluate", s(&spec), "-q"],
        &[("SOURCE_DATE_EPOCH", "1750000000")],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    data
}

/// The mean over schemes of each score's planted change among completers
/// (`truth.json`).
fn planted_average(data: &[PathBuf]) -> BTreeMap<String, f64> {
    let mut sums: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for d in data {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("truth.json")).unwrap()).unwrap();
        for (score, t) in truth["wellbeing"]["expected_mean_change_among_completers"]
            .as_object()
            .unwrap()
        {
            sums.entry(score.clone())
                .or_default()
                .push(t["expected_mean_change"].as_f64().unwrap());
        }
    }
    sums.into_iter()
        .map(|(k, v)| (k, v.iter().sum::<f64>() / v.len() as f64))
        .collect()
}

#[test]
fn pooled_schemes_recover_the_planted_average_change_with_provenance() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<PathBuf> = [(1, "0.25"), (2, "0.35"), (3, "0.45")]
        .iter()
        .map(|(i, effect)| scheme(root.path(), *i, effect))
        .collect();
    let evaluations = root.path().join("evaluations");
    let out = root.path().join("pooled");
    let epoch = [("SOURCE_DATE_EPOCH", "1750000000")];
    let run = sprout_with_env(&["pool", s(&evaluations), "--out", s(&out)], &epoch);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Pooled 3 evaluations"), "{}", run.all());

    let planted = planted_average(&data);
    let estimates = read_csv(&out.join("pooled_estimates.csv"));
    let changes: Vec<_> = estimates
        .iter()
        .filter(|r| r["quantity"] == "mean_change")
        .collect();
    assert_eq!(changes.len(), planted.len(), "one group per score");
    for row in &changes {
        let truth = planted[&row["outcome"]];
        assert_eq!(n(row, "schemes_pooled"), 3);
        assert!(
            f(row, "lower") < truth && truth < f(row, "upper"),
            "{}: planted {truth} outside {}..{}",
            row["outcome"],
            row["lower"],
            row["upper"]
        );
        assert!(row["interval_method"].starts_with("modified Hartung-Knapp"));
        assert_eq!(row["tau2_method"], "REML");
    }

    // Provenance: each results file with its SHA-256, in pooled.json and on
    // every pooled row.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("pooled.json")).unwrap()).unwrap();
    let sources = manifest["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3);
    for (i, source) in sources.iter().enumerate() {
        let file = evaluations.join(format!("s{}/results.json", i + 1));
        let sha = sprout::ingest::sha256_hex(&std::fs::read(&file).unwrap());
        assert_eq!(source["sha256"], sha.as_str());
        assert_eq!(source["scheme"], ["S1", "S2", "=S3"][i]);
        for row in &changes {
            assert!(row["sources"].contains(&sha), "{}", row["sources"]);
        }
    }

    // Each scheme's estimate is its published one; leave-one-out and
    // subgroups by the declared characteristics are there.
    let studies = read_csv(&out.join("pooled_studies.csv"));
    let group = &changes[0]["group"];
    let own: Vec<_> = studies.iter().filter(|r| &r["group"] == group).collect();
    assert_eq!(own.len(), 3);
    let weights: f64 = own.iter().map(|r| f(r, "weight")).sum();
    assert!((weights - 1.0).abs() < 1e-9, "{weights}");
    let published = read_csv(&evaluations.join("s1/tables/wellbeing_change.csv"));
    let s1 = published
        .iter()
        .find(|r| r["breakdown"] == "all" && r["score"] == changes[0]["outcome"])
        .unwrap();
    let s1_pooled = own.iter().find(|r| r["scheme"] == "S1").unwrap();
    assert_eq!(s1_pooled["estimate"], s1["mean_change"]);
    assert_eq!(s1_pooled["se_from"], "from the 95% interval");
    let loo = read_csv(&out.join("pooled_leave_one_out.csv"));
    assert_eq!(loo.iter().filter(|r| &r["group"] == group).count(), 3);
    let subgroups = read_csv(&out.join("pooled_subgroups.csv"));
    for characteristic in ["region", "referral_mix"] {
        let rows: Vec<_> = subgroups
            .iter()
            .filter(|r| &r["group"] == group && r["characteristic"] == characteristic)
            .collect();
        assert_eq!(rows.len(), 2, "{characteristic}");
        assert_eq!(n(rows[0], "df_between"), 1);
    }
    assert!(
        std::fs::read_to_string(out.join("data_dictionary.csv"))
            .unwrap()
            .contains("pooled_subgroups")
    );

    // The same files pooled again give the same bytes.
    let again = root.path().join("again");
    let run = sprout_with_env(&["pool", s(&evaluations), "--out", s(&again)], &epoch);
    assert_eq!(run.code, 0, "{}", run.all());
    let mut first = tree(&out);
    let mut second = tree(&again);
    first.remove("pooled.json");
    second.remove("pooled.json");
    assert_eq!(first, second);

    // Refusals, each with its fix and nothing written.
    let refused = |args: &[&str], expected: &[&str]| {
        let target = root.path().join("refused");
        let mut all = vec!["pool"];
        all.extend_from_slice(args);
        all.extend(["--out", s(&target)]);
        let run = sprout(&all);
        assert_eq!(run.code, 2, "{}", run.all());
        for text in expected {
            assert!(run.stderr.contains(text), "{text}: {}", run.stderr);
        }
        assert!(!target.exists());
    };
    let one = evaluations.join("s1/results.json");
    let two = evaluations.join("s2/results.json");
    refused(&[s(&one), s(&one)], &["is the same evaluation as", "fix:"]);
    refused(
        &[s(&one)],
        &["pooling needs evaluations of at least two schemes"],
    );
    refused(&[s(&data[0])], &["holds no results.json", "fix:"]);
    let old = root.path().join("old.json");
    let text = std::fs::read_to_string(&two)
        .unwrap()
        .replace("\"schema_version\": 1", "\"schema_version\": 99");
    std::fs::write(&old, text).unwrap();
    refused(
        &[s(&one), s(&old)],
        &[
            "results layout 99; this sprout reads layout 1",
            "fix: run that evaluation again with this sprout",
        ],
    );
    let other = root.path().join("other.json");
    std::fs::write(&other, "{\"stamp\": {}}").unwrap();
    refused(&[s(&one), s(&other)], &["is not a sprout results file"]);
}

/// Ten schemes: Egger's test of small-scheme effects is reported (it is not
/// with fewer), in the table and on the page; and every prediction interval
/// holds the interval beside it (Higgins' could be narrower than the
/// modified HKSJ interval when τ² is 0: 7 schemes' outpatient difference
/// had a prediction interval inside its interval before it took that error).
#[test]
fn ten_schemes_give_eggers_test() {
    let root = tempfile::tempdir().unwrap();
    for i in 1..=10 {
        let data = root.path().join(format!("data{i}"));
        synthetic_extracts(
            &data,
            &(1500 + 150 * i).to_string(),
            &(100 + i).to_string(),
            &[],
        );
        let spec = root.path().join(format!("s{i}.toml"));
        std::fs::write(
            &spec,
            format!(
                "title = \"Scheme {i}\"\nperiod = \"2024/25\"\noutput = \"evaluations/s{i}\"\n\
                 warehouse = \"wh{i}\"\n[inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n\
                 [health]\nbootstrap = 50\n[scheme]\ncode = \"T{i}\"\n",
                s(&data)
            ),
        )
        .unwrap();
        let run = sprout(&["evaluate", s(&spec), "-q"]);
        assert_eq!(run.code, 0, "{}", run.all());
    }
    let out = root.path().join("pooled");
    let run = sprout(&[
        "pool",
        s(&root.path().join("evaluations")),
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let estimates = read_csv(&out.join("pooled_estimates.csv"));
    let tested: Vec<_> = estimates
        .iter()
        .filter(|r| !r["egger_p"].is_empty())
        .collect();
    assert!(!tested.is_empty());
    for row in &estimates {
        let pooled = n(row, "schemes_pooled");
        assert_eq!(row["egger_p"].is_empty(), pooled < 10, "{row:?}");
        if pooled >= 3 {
            assert!(f(row, "prediction_lower") <= f(row, "lower"), "{row:?}");
            assert!(f(row, "upper") <= f(row, "prediction_upper"), "{row:?}");
        }
    }
    for row in &tested {
        let p = f(row, "egger_p");
        assert!((0.0..=1.0).contains(&p), "{p}");
    }
    let html = std::fs::read_to_string(out.join("pooled.html")).unwrap();
    assert_eq!(
        html.matches("Egger&#x27;s test of small-scheme effects")
            .count(),
        tested.len()
    );
}
