//! `sprout measures`: person outcomes on planted synthetic data and on hand-built cases.

use std::collections::HashMap;
use std::path::Path;

use crate::support::*;

fn overall<'a>(rows: &'a [HashMap<String, String>], score: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["score"] == score && r["breakdown"] == "all")
        .unwrap()
}

#[test]
fn planted_wellbeing_changes_are_recovered_within_their_intervals() {
    // The truth covers every referral received in 2024/25, so the cohort is too.
    let (_root, out, run) = sample_measures(&["--outcome-cohort", "received"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("SWEMWBS (metric score)"),
        "{}",
        run.all()
    );

    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_extract().join("truth.json")).unwrap(),
    )
    .unwrap();
    let planted = truth["wellbeing"]["expected_mean_change_among_completers"]
        .as_object()
        .unwrap();
    let change = read_csv(&out.join("wellbeing_change.csv"));
    for (score, t) in planted {
        let row = overall(&change, score);
        let expected = t["expected_mean_change"].as_f64().unwrap();
        assert_eq!(
            n(row, "pairs") as u64,
            t["n"].as_u64().unwrap(),
            "{score}: every completer is paired"
        );
        assert_eq!(row["inference"], "reported");
        assert!(
            f(row, "change_lower") <= expected && expected <= f(row, "change_upper"),
            "{score}: planted {expected} outside [{}, {}]",
            row["change_lower"],
            row["change_upper"]
        );
        assert!(
            f(row, "p_t") < 0.05 && f(row, "p_wilcoxon") < 0.05,
            "{score}: a planted change is detected"
        );
    }
    // Attrition bias is planted too (people doing worse drop out): it shows.
    let bias = read_csv(&out.join("wellbeing_attrition_bias.csv"));
    let swemwbs = bias
        .iter()
        .find(|r| r["score"] == "swemwbs_metric")
        .unwrap();
    assert!(f(swemwbs, "standardised_mean_difference") > 0.1);
    // Breakdowns partition the pairs.
    let by_sex: i64 = change
        .iter()
        .filter(|r| r["score"] == "swemwbs_metric" && r["breakdown"] == "sex")
        .map(|r| n(r, "pairs"))
        .sum();
    assert_eq!(by_sex, n(overall(&change, "swemwbs_metric"), "pairs"));
    // Every column is documented.
    let dictionary = read_csv(&out.join("data_dictionary.csv"));
    for table in [
        "wellbeing_change",
        "wellbeing_attrition_funnel",
        "wellbeing_attrition_bias",
    ] {
        assert!(out.join(format!("{table}.parquet")).exists());
        let documented = dictionary
            .iter()
            .filter(|r| r["table_name"] == table)
            .count();
        let header = read_csv(&out.join(format!("{table}.csv")))[0].len();
        assert_eq!(documented, header, "{table}");
    }
}

#[test]
fn the_attrition_funnel_adds_up_exactly() {
    let (_root, out, run) = sample_measures(&["-q", "--outcome-cohort", "received"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let funnel = read_csv(&out.join("wellbeing_attrition_funnel.csv"));
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_extract().join("truth.json")).unwrap(),
    )
    .unwrap();
    for instrument in ["ons4", "swemwbs", "wemwbs", "ucla3"] {
        let stages: Vec<_> = funnel
            .iter()
            .filter(|r| r["instrument"] == instrument)
            .collect();
        assert_eq!(stages.len(), 5, "{instrument}");
        assert_eq!(
            n(stages[0], "count") as u64,
            truth["counts"]["referred"].as_u64().unwrap()
        );
        for pair in stages.windows(2) {
            assert_eq!(
                n(pair[0], "count") - n(pair[1], "lost_before_stage"),
                n(pair[1], "count"),
                "{instrument}"
            );
        }
        let lost: i64 = stages.iter().map(|r| n(r, "lost_before_stage")).sum();
        assert_eq!(
            n(stages[4], "count") + lost,
            n(stages[0], "count"),
            "{instrument}: every episode accounted for"
        );
    }
}

const PEOPLE4: &str = "person_id,birth_month,sex,ethnicity,imd_decile,imd_vintage,practice_code\n\
P1,1960-01,female,A,2,2019,A81001\nP2,1970-01,male,H,5,2019,A81001\nP3,1980-01,female,N,9,2019,A81002\nP4,1990-01,male,Z,,,A81002\n";

const REFERRALS5: &str = "referral_id,person_id,referral_date,referral_source,status,first_contact_date,closure_date\n\
R1,P1,2024-05-01,general_practice,accepted,2024-05-10,2024-09-01\n\
R2,P2,2024-05-01,self_referral,accepted,2024-05-10,2024-09-01\n\
R3,P3,2024-05-01,pharmacy,accepted,2024-05-10,\n\
R4,P4,2024-05-01,police,declined,,2024-05-20\n\
R5,P4,2024-06-01,police,accepted,2024-06-05,2024-10-01\n\
R6,P1,2025-04-01,general_practice,accepted,2025-04-02,\n";

fn swemwbs(id: &str, person: &str, referral: &str, date: &str, item: i64) -> String {
    let items = vec![item.to_string(); 7].join(",");
    format!("{id},{person},{referral},swemwbs,{date},{items}\n")
}

fn crafted() -> (Fixture, std::path::PathBuf) {
    let mut assessments = String::from(
        "assessment_id,person_id,referral_id,instrument,assessment_date,item_1,item_2,item_3,item_4,item_5,item_6,item_7\n",
    );
    // R1: too early (39 days before first contact), the nearest to the start is the baseline,
    // one too soon after it, and the last within 90 days of closure is the follow-up.
    assessments += &swemwbs("A1", "P1", "R1", "2024-04-01", 1);
    assessments += &swemwbs("A2", "P1", "R1", "2024-05-12", 3);
    assessments += &swemwbs("A3", "P1", "R1", "2024-05-20", 5);
    assessments += &swemwbs("A4", "P1", "R1", "2024-08-30", 2);
    assessments += &swemwbs("A5", "P1", "R1", "2024-10-15", 4);
    assessments += &swemwbs("A6", "P1", "R1", "2025-01-15", 5);
    // R2: a baseline and a later assessment too soon to be a follow-up.
    assessments += &swemwbs("B1", "P2", "R2", "2024-05-10", 3);
    assessments += &swemwbs("B2", "P2", "R2", "2024-06-01", 4);
    // R5: no referral id: linked by person and date.
    assessments += &swemwbs("C1", "P4", "", "2024-06-05", 2);
    assessments += &swemwbs("C2", "P4", "", "2024-09-20", 3);
    let dir = extract(&[
        ("people.csv", PEOPLE4.as_bytes()),
        ("referrals.csv", REFERRALS5.as_bytes()),
        ("assessments.csv", assessments.as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 0, "{}", run.all());
    (dir, wh)
}

#[test]
fn pairing_follows_the_rules_on_hand_built_episodes() {
    let (dir, wh) = crafted();
    let out = dir.out("m");
    let stages = |out: &Path| -> Vec<(String, i64, i64)> {
        read_csv(&out.join("wellbeing_attrition_funnel.csv"))
            .iter()
            .map(|r| (r["stage"].clone(), n(r, "count"), n(r, "lost_before_stage")))
            .collect()
    };
    // By default the outcome cohort is the episodes closed in the period.
    let closed = dir.out("closed");
    let run = sprout(&["measures", "-w", s(&wh), "-p", "2024/25", "-o", s(&closed)]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        stages(&closed),
        vec![
            ("referred".to_string(), 4, 0),
            ("accepted".to_string(), 3, 1),
            ("baseline recorded".to_string(), 3, 0),
            ("follow-up recorded".to_string(), 3, 0),
            ("paired".to_string(), 2, 1),
        ],
        "R3 is still open and R6 is outside the period; R4 (declined) closed in May"
    );
    assert!(
        run.stdout
            .contains("accepted referrals closed in the period"),
        "{}",
        run.all()
    );
    for table in [
        "wellbeing_change",
        "wellbeing_attrition_funnel",
        "wellbeing_attrition_bias",
    ] {
        let rows = read_csv(&closed.join(format!("{table}.csv")));
        assert!(
            !rows.is_empty() && rows.iter().all(|r| r["cohort"] == "closed in the period"),
            "{table} names its cohort"
        );
    }
    let quality = read_csv(&closed.join("data_quality.csv"));
    let follow_up = quality
        .iter()
        .find(|r| r["breakdown"] == "all" && r["item"] == "follow_up_recorded")
        .unwrap();
    assert_eq!(
        (n(follow_up, "count"), n(follow_up, "denominator")),
        (2, 3),
        "R1, R2 and R5 closed in the period; R5's assessments carry no referral id"
    );
    // Received in the period: R3 (open) counts, whether or not it has finished.
    let run = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "-p",
        "2024/25",
        "-o",
        s(&out),
        "--outcome-cohort",
        "received",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let counts = stages(&out);
    assert_eq!(
        counts,
        vec![
            ("referred".to_string(), 5, 0),
            ("accepted".to_string(), 4, 1),
            ("baseline recorded".to_string(), 3, 1),
            ("follow-up recorded".to_string(), 3, 0),
            ("paired".to_string(), 2, 1),
        ],
        "R6 is outside the period; R4 declined; R3 has no baseline; R2's follow-up is too soon"
    );
    let change = read_csv(&out.join("wellbeing_change.csv"));
    let row = overall(&change, "swemwbs_metric");
    // R1: raw 21 (19.25) to raw 28 (25.03); R5: raw 14 (15.32) to raw 21 (19.25).
    assert_eq!(n(row, "pairs"), 2);
    assert!((f(row, "mean_baseline") - (19.25 + 15.32) / 2.0).abs() < 1e-9);
    assert!((f(row, "mean_change") - ((25.03 - 19.25) + (19.25 - 15.32)) / 2.0).abs() < 1e-9);
    assert!(
        row["inference"] == "withheld: fewer pairs than the minimum of 30",
        "{}",
        row["inference"]
    );
    assert!(
        row["change_lower"].is_empty() && row["p_t"].is_empty(),
        "no inference on 2 pairs"
    );
    // Both left the probable-depression band (17 or below) only in R5: 15.32 -> 19.25.
    assert_eq!(n(row, "low_at_baseline"), 1);
    assert_eq!(n(row, "left_low_band"), 1);
    // Reliable change needs more than 2.855 points: both changes (5.78, 3.93) qualify.
    assert_eq!(n(row, "reliably_improved"), 2);

    // With the guard lowered, intervals appear.
    let out2 = dir.out("m2");
    let run = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "-p",
        "2024/25",
        "-o",
        s(&out2),
        "--min-pairs",
        "2",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let change = read_csv(&out2.join("wellbeing_change.csv"));
    let row = overall(&change, "swemwbs_metric");
    assert_eq!(row["inference"], "reported");
    assert!(f(row, "change_lower") < f(row, "mean_change"));
}

#[test]
fn a_bad_period_is_explained() {
    let (_dir, wh) = crafted();
    let run = sprout(&["measures", "-w", s(&wh), "-p", "2024/26"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("financial year (2025/26)"),
        "{}",
        run.all()
    );
}

#[test]
fn benchmarking_tables_and_charts_are_written() {
    let (_root, out, run) = sample_measures(&["--funnel-adjustment", "none"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let units = read_csv(&out.join("benchmark_funnel_units.csv"));
    let declined: Vec<_> = units
        .iter()
        .filter(|r| r["measure"] == "share_declined")
        .collect();
    assert!(declined.len() >= 3, "one row per PCN");
    for r in &declined {
        assert!(f(r, "lower998") <= f(r, "lower95") && f(r, "lower95") <= f(r, "baseline"));
        assert!(f(r, "baseline") <= f(r, "upper95") && f(r, "upper95") <= f(r, "upper998"));
        assert!(
            [
                "High (0.001)",
                "High (0.025)",
                "Not significant",
                "Low (0.025)",
                "Low (0.001)"
            ]
            .contains(&r["flag"].as_str())
        );
        assert!(r["method"].contains("exact inverse Wilson"));
    }
    let spc = read_csv(&out.join("spc.csv"));
    let months = spc
        .iter()
        .filter(|r| r["measure"] == "monthly_referrals")
        .count();
    assert_eq!(months, 12, "April 2024 to March 2025");
    assert!(out.join("spc.json").exists() && out.join("benchmark_funnel_limits.parquet").exists());
    for chart in [
        "funnel_share_declined.svg",
        "funnel_contacts_per_accepted_referral.svg",
        "spc_monthly_referrals.svg",
    ] {
        let svg = std::fs::read_to_string(out.join("charts").join(chart)).unwrap();
        assert!(
            svg.contains("<title>") && svg.contains("<desc>"),
            "{chart} has a text alternative"
        );
        assert!(
            svg.contains("#A6A6A6") || svg.contains("#a6a6a6"),
            "{chart} uses the common-cause grey"
        );
    }
}

/// A CSV file as the golden files hold it: every decimal number to 12
/// significant digits (so a golden does not change with the last bits of a
/// float), then one line per row, header first.
fn normalised_csv(path: &Path) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in reader.records() {
        let fields: Vec<String> = record
            .unwrap()
            .iter()
            .map(|field| match field.parse::<f64>() {
                Ok(x) if field.contains(['.', 'e', 'E']) => sprout::text::significant(x, 12),
                _ => field.to_string(),
            })
            .collect();
        writer.write_record(&fields).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Every table `sprout measures` writes (each one the registry declares)
/// and its data dictionary, against its golden file: a golden file whose
/// table is no longer written fails too. After an intended change,
/// regenerate them with `UPDATE_GOLDEN=1 cargo test --test it golden`.
#[test]
fn measures_on_the_sample_match_their_golden_files() {
    let (_root, out, run) = sample_measures(&["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut written = Vec::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let Some(table) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".csv")
        else {
            continue;
        };
        assert!(
            table == "data_dictionary" || sprout::registry::find(table).is_some(),
            "sprout measures wrote {table}.csv, which the registry does not declare"
        );
        let expected = golden.join(format!("{table}_2024-25.csv"));
        let actual = normalised_csv(&path);
        if update {
            std::fs::write(&expected, &actual).unwrap();
        }
        let diff = text_diff(&std::fs::read_to_string(&expected).unwrap(), &actual);
        assert!(
            diff.is_empty(),
            "{table} differs from tests/golden: if the change is intended, regenerate with UPDATE_GOLDEN=1 cargo test --test it golden\n{diff}"
        );
        written.push(table.to_string());
    }
    for entry in std::fs::read_dir(&golden).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(table) = name.strip_suffix("_2024-25.csv") {
            assert!(
                written.iter().any(|w| w == table),
                "tests/golden/{name} is the golden file of a table sprout measures no longer writes"
            );
        }
    }
}

/// `sprout synth` plants follow-ups that depend on the recorded baseline
/// (missing at random given it) and a change that is smaller for people who
/// start better off: the complete-case change misses the change among
/// everyone with a baseline, and weighting for who was followed up recovers
/// it within its interval (#18).
#[test]
fn weighting_for_who_was_followed_up_recovers_the_change_among_everyone_with_a_baseline() {
    let root = tempfile::tempdir().unwrap();
    let (data, wh) = synthetic_warehouse(
        root.path(),
        "20000",
        "1",
        &[
            "--attrition-on",
            "recorded",
            "--attrition-by-baseline",
            "1.0",
            "--change-by-baseline",
            "0.4",
        ],
    );
    let out = root.path().join("out");
    let run = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "--out",
        s(&out),
        "--outcome-cohort",
        "received",
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("truth.json")).unwrap()).unwrap();
    let planted = &truth["wellbeing"]["expected_mean_change_among_baseline"]["swemwbs_metric"];
    let everyone = planted["expected_mean_change"].as_f64().unwrap();
    let bias = read_csv(&out.join("wellbeing_attrition_bias.csv"));
    let row = bias
        .iter()
        .find(|r| r["score"] == "swemwbs_metric")
        .unwrap();
    assert_eq!(
        (n(row, "with_follow_up") + n(row, "without_follow_up")) as u64,
        planted["n"].as_u64().unwrap(),
        "everyone with a baseline is in the cohort"
    );
    assert_eq!(row["weighting"], "weighted");
    let (complete, weighted) = (f(row, "complete_case_change"), f(row, "weighted_change"));
    assert!(
        f(row, "complete_case_upper") < everyone,
        "the complete case is biased: {complete} against {everyone}"
    );
    assert!(
        f(row, "weighted_lower") <= everyone && everyone <= f(row, "weighted_upper"),
        "weighted {weighted} [{}, {}] misses {everyone}",
        row["weighted_lower"],
        row["weighted_upper"]
    );
    assert_eq!(row["estimates"], "differ");
    // The complete case is the paired change of wellbeing_change.
    let change = read_csv(&out.join("wellbeing_change.csv"));
    let all = overall(&change, "swemwbs_metric");
    assert_eq!(n(all, "pairs"), n(row, "with_follow_up"));
    assert!((f(all, "mean_change") - complete).abs() < 1e-12);
    // Weighting balances the baseline score it was modelled on.
    let balance = read_csv(&out.join("wellbeing_weight_balance.csv"));
    let baseline = balance
        .iter()
        .find(|r| r["score"] == "swemwbs_metric" && r["characteristic"] == "baseline_score")
        .unwrap();
    assert!(f(baseline, "smd_before") > 0.2 && f(baseline, "smd_after").abs() < 0.1);
}

/// Standardised referral ratios by IMD quintile too, and against a
/// reference population's rates (#18): the strata carry the quintile, the
/// expected referrals are the lists at the supplied rates, and a mistake in
/// the file names its line, column and fix.
#[test]
fn referral_ratios_can_be_standardised_by_deprivation_and_against_supplied_rates() {
    let (_root, out, run) = sample_measures(&["--standardise-by-deprivation", "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let strata = read_csv(&out.join("referral_strata.csv"));
    let quintiles: std::collections::BTreeSet<&str> = strata
        .iter()
        .filter(|r| r["breakdown"] == "stratum")
        .map(|r| r["imd_quintile"].as_str())
        .collect();
    assert!(
        quintiles.contains("1") && quintiles.contains("5"),
        "{quintiles:?}"
    );
    let units = read_csv(&out.join("benchmark_funnel_units.csv"));
    assert!(
        units
            .iter()
            .any(|r| r["measure"] == "standardised_referral_ratio")
    );
    // A reference with one rate for everyone: every unit's expected
    // referrals are its whole list at that rate.
    let root = tempfile::tempdir().unwrap();
    let rates = root.path().join("england.csv");
    let mut csv = String::from("age_band,sex,referrals,population\n");
    for age in [
        "0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+",
    ] {
        for sex in ["female", "male", "indeterminate", "not_known"] {
            csv.push_str(&format!("{age},{sex},25,1000\n"));
        }
    }
    std::fs::write(&rates, csv).unwrap();
    let (_root2, out, run) = sample_measures(&["--reference-rates", s(&rates), "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let ratios = read_csv(&out.join("standardised_ratios.csv"));
    let strata = read_csv(&out.join("referral_strata.csv"));
    let list = f(&strata[0], "population");
    let pcn_expected: f64 = ratios
        .iter()
        .filter(|r| r["breakdown"] == "pcn_code")
        .map(|r| f(r, "expected"))
        .sum();
    assert!(
        (pcn_expected - 0.025 * list).abs() < 1e-6,
        "{pcn_expected} vs {list}"
    );
    std::fs::write(
        &rates,
        "age_band,sex,referrals,population\n18-24,female,ten,1000\n",
    )
    .unwrap();
    let (_root3, _out, run) = sample_measures(&["--reference-rates", s(&rates)]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("line 2, column 3 (referrals): 'ten' is not a count of zero or more")
            && run.stderr.contains("fix:"),
        "{}",
        run.stderr
    );
}

/// Standardising by deprivation needs the list by IMD quintile: without it,
/// sprout says so and how to fix it rather than computing ratios from
/// strata with no list.
#[test]
fn standardising_by_deprivation_without_a_list_by_quintile_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("people.csv"),
        "person_id,sex,practice_code,pcn_code,imd_decile,imd_vintage\nP1,female,A81001,U12345,3,2019\nP2,male,A81001,U12345,8,2019\n",
    )
    .unwrap();
    std::fs::write(
        data.join("referrals.csv"),
        "referral_id,person_id,referral_date,referral_source,status\nR1,P1,2024-05-01,general_practice,accepted\nR2,P2,2024-06-01,pharmacy,declined\n",
    )
    .unwrap();
    std::fs::write(
        data.join("population.csv"),
        "practice_code,pcn_code,age_band,sex,list_size\nA81001,U12345,18-24,female,100\nA81001,U12345,18-24,male,90\n",
    )
    .unwrap();
    let wh = root.path().join("wh");
    let ingest = sprout(&["ingest", s(&data), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    let run = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "-o",
        s(&root.path().join("out")),
        "--standardise-by-deprivation",
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("needs the registered list by IMD quintile"),
        "{}",
        run.stderr
    );
}

#[test]
fn quarters_follow_the_nhs_financial_year_at_their_edges() {
    let people =
        "person_id,sex,practice_code,pcn_code\nP1,female,A81001,U12345\nP2,male,A81001,U12345\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status,first_contact_date,closure_date\n\
R1,P1,2024-02-29,general_practice,accepted,2024-03-04,\n\
R2,P2,2024-03-31,pharmacy,declined,,\n\
R3,P1,2024-04-01,general_practice,accepted,2024-04-11,2024-06-01\n\
R4,P2,2024-06-30,self_referral,did_not_attend,,\n\
R5,P1,2024-07-01,general_practice,,2024-07-01,\n";
    let population = "practice_code,pcn_code,age_band,sex,list_size\nA81001,U12345,35-44,female,600\nA81001,U12345,35-44,male,400\n";
    let (_dir, _wh, out) = measures_for(
        &[
            ("people.csv", people.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
            ("population.csv", population.as_bytes()),
        ],
        "2023-10-01..2024-09-30",
    );
    let rows = read_csv(&out.join("service_referrals.csv"));
    let all: Vec<(String, i64, String)> = rows
        .iter()
        .filter(|r| r["breakdown"] == "all")
        .map(|r| {
            (
                r["quarter"].clone(),
                n(r, "referrals"),
                r["rate_per_1000"].clone(),
            )
        })
        .collect();
    assert_eq!(
        all,
        vec![
            ("2023/24 Q4".to_string(), 2, "2".to_string()),
            ("2024/25 Q1".to_string(), 2, "2".to_string()),
            ("2024/25 Q2".to_string(), 1, "1".to_string()),
        ],
        "29 February and 31 March are 2023/24 Q4; 1 April and 30 June are 2024/25 Q1; 1 July is Q2"
    );
    let uptake = read_csv(&out.join("service_uptake.csv"));
    let q4 = &uptake[0];
    assert_eq!((n(q4, "accepted"), n(q4, "declined")), (1, 1));
    assert_eq!(
        q4["median_days_to_first_contact"], "4",
        "29 Feb to 4 Mar 2024 is 4 days (leap year)"
    );
    let q1 = &uptake[1];
    assert_eq!((n(q1, "accepted"), n(q1, "did_not_attend")), (1, 1));
    assert_eq!(q1["median_episode_days"], "51", "11 April to 1 June");
    let q2 = &uptake[2];
    assert_eq!(n(q2, "no_status"), 1);
    assert_eq!(q2["median_days_to_first_contact"], "0", "same-day contact");
}

#[test]
fn hostile_organisation_names_are_neutralised_in_csv_but_kept_in_parquet() {
    let hostile = "=HYPERLINK(\"http://example.invalid\",\"click\")";
    let organisations = format!(
        "organisation_id,name,category\nORG1,\"{}\",charity\nORG2,-Minus Group,community_group\n",
        hostile.replace('"', "\"\"")
    );
    let referrals = "referral_id,person_id,referral_date,referral_source,status,first_contact_date\nR1,P1,2024-05-01,general_practice,accepted,2024-05-02\n";
    let onward = "referral_id,organisation_id,onward_referral_date,attended\nR1,ORG1,2024-05-10,yes\nR1,ORG2,2024-05-11,no\n";
    let (_dir, wh, out) = measures_for(
        &[
            ("people.csv", PEOPLE4.as_bytes()),
            ("organisations.csv", organisations.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
            ("onward_referrals.csv", onward.as_bytes()),
        ],
        "2024/25",
    );
    let rows = read_csv(&out.join("community_organisations.csv"));
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str()).collect();
    assert!(names.contains(&format!("'{hostile}").as_str()), "{names:?}");
    assert!(names.contains(&"'-Minus Group"), "{names:?}");
    let summary = read_csv(&out.join("community_summary.csv"));
    assert_eq!(n(&summary[0], "organisations"), 2);
    assert_eq!(n(&summary[0], "attended"), 1);
    // The organisations listed add up to the summary (the audit differences
    // the two tables against each other).
    for column in ["onward_referrals", "attended"] {
        let listed: i64 = rows.iter().map(|r| n(r, column)).sum();
        assert_eq!(listed, n(&summary[0], column), "{column}");
    }
    // The stored value is untouched: only the CSV is guarded.
    let stored = query(
        &wh,
        "SELECT name FROM organisations WHERE organisation_id = 'ORG1'",
    );
    assert_eq!(stored[0]["name"], hostile);
}

#[test]
fn data_quality_counts_gaps_impossible_orders_and_duplicates() {
    let people = "person_id,sex,ethnicity,practice_code,date_of_death\nP1,female,A,A81001,\nP2,male,99,A81001,2024-05-01\nP3,female,,A81002,\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status,first_contact_date,closure_date,link_worker_id\n\
R1,P1,2024-05-01,general_practice,accepted,2024-05-20,2024-05-10,LW1\n\
R2,P1,2024-05-01,pharmacy,,,,LW1\n\
R3,P2,2024-06-01,police,accepted,2024-06-02,2024-06-01,LW2\n\
R4,P3,2024-07-01,self_referral,declined,,,\n";
    let (_dir, _wh, out) = measures_for(
        &[
            ("people.csv", people.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
        ],
        "2024/25",
    );
    let rows = read_csv(&out.join("data_quality.csv"));
    let get = |breakdown: &str, group: &str, item: &str| {
        let r = rows
            .iter()
            .find(|r| r["breakdown"] == breakdown && r["group"] == group && r["item"] == item)
            .unwrap_or_else(|| panic!("{breakdown} {group} {item}"));
        (n(r, "count"), n(r, "denominator"))
    };
    assert_eq!(
        get("all", "all", "ethnicity_recorded"),
        (2, 4),
        "P2 is 99 (not known), P3 empty"
    );
    assert_eq!(get("all", "all", "status_recorded"), (3, 4));
    // R1: closure before first contact; R3: that and referral after death. (A
    // first contact or closure before the referral is quarantined at ingest.)
    assert_eq!(get("all", "all", "impossible_date_order"), (2, 4));
    assert_eq!(
        get("all", "all", "possible_duplicate"),
        (2, 4),
        "R1 and R2: same person, same day"
    );
    assert_eq!(get("practice_code", "A81001", "possible_duplicate"), (2, 3));
    assert_eq!(
        get("link_worker_id", "not recorded", "status_recorded"),
        (1, 1)
    );
}

#[test]
fn equity_rates_and_rate_ratios_use_the_registered_population() {
    let people = "person_id,sex,ethnicity,imd_decile,imd_vintage,practice_code,registration_start\n\
P1,female,A,2,2019,A81001,2000-01-01\nP2,male,H,6,2019,A81001,2000-01-01\nP3,female,A,6,2019,A81001,2000-01-01\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status\n\
R1,P1,2024-05-01,general_practice,accepted\nR2,P1,2024-09-01,general_practice,declined\nR3,P2,2024-06-01,pharmacy,accepted\n";
    let population = "practice_code,age_band,sex,imd_quintile,list_size\nA81001,35-44,female,1,100\nA81001,35-44,female,3,150\nA81001,35-44,male,3,150\n";
    let (_dir, _wh, out) = measures_for(
        &[
            ("people.csv", people.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
            ("population.csv", population.as_bytes()),
        ],
        "2024/25",
    );
    let rows = read_csv(&out.join("equity.csv"));
    let row = |b: &str, g: &str| {
        rows.iter()
            .find(|r| r["breakdown"] == b && r["group"] == g)
            .unwrap()
    };
    let core20 = row("core20", "Core20");
    assert_eq!((n(core20, "referrals"), n(core20, "population")), (2, 100));
    assert!((f(core20, "rate_per_1000") - 20.0).abs() < 1e-9);
    // (2/100) / (1/300) = 6, interval exp(ln 6 ± 1.96 √(1/2 + 1/1)).
    assert!((f(core20, "rate_ratio") - 6.0).abs() < 1e-9);
    let half = 1.959_963_984_540_054 * (1.5f64).sqrt();
    assert!((f(core20, "rate_ratio_lower") - (6f64.ln() - half).exp()).abs() < 1e-9);
    assert!((f(core20, "declined_share") - 0.5).abs() < 1e-12);
    // Ethnic-group denominators come from the people registered on the first day: White 2, Asian 1.
    assert_eq!(n(row("ethnic_group", "White"), "population"), 2);
    assert_eq!(n(row("ethnic_group", "Asian"), "population"), 1);
}

#[test]
fn caseload_is_annualised_and_support_counts_connections() {
    let people = "person_id,sex,practice_code\nP1,female,A81001\n";
    let mut referrals =
        String::from("referral_id,person_id,referral_date,referral_source,status,link_worker_id\n");
    // 60 accepted in 2024/25 Q1 (91 days): 60 x 365 / 91 = 240.7 a year, within the guide.
    for i in 0..60 {
        referrals += &format!("R{i},P1,2024-05-01,general_practice,accepted,LW1\n");
    }
    referrals += "X1,P1,2024-05-02,pharmacy,accepted,LW2\n";
    let onward = "referral_id,organisation_id,onward_referral_date,attended\nR0,ORG1,2024-05-10,yes\nR0,ORG1,2024-05-20,no\nR1,ORG1,2024-05-10,no\n";
    let organisations = "organisation_id,name\nORG1,Walking group\n";
    let (_dir, _wh, out) = measures_for(
        &[
            ("people.csv", people.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
            ("organisations.csv", organisations.as_bytes()),
            ("onward_referrals.csv", onward.as_bytes()),
        ],
        "2024/25 Q1",
    );
    let caseload = read_csv(&out.join("link_worker_caseload.csv"));
    let lw1 = caseload
        .iter()
        .find(|r| r["link_worker_id"] == "LW1")
        .unwrap();
    assert!((f(lw1, "caseload_per_year") - 60.0 * 365.0 / 91.0).abs() < 1e-9);
    assert_eq!(lw1["against_guide"], "within");
    let lw2 = caseload
        .iter()
        .find(|r| r["link_worker_id"] == "LW2")
        .unwrap();
    assert_eq!(lw2["against_guide"], "below");
    let support = read_csv(&out.join("support_offered.csv"));
    let all = support
        .iter()
        .find(|r| r["activity_type"] == "all")
        .unwrap();
    assert_eq!(
        (
            n(all, "accepted"),
            n(all, "onward_referrals"),
            n(all, "connected")
        ),
        (61, 3, 1),
        "R0 connected once; R1 not"
    );
}

/// Each equity breakdown adds up to the period's referrals, as
/// `service_uptake` counts them, people with no recorded sex, ethnicity or
/// area included (their `unknown` groups; a referral of someone missing
/// from the people extract is quarantined at ingest): the audit differences
/// the two tables against each other, so the sum must hold by construction.
#[test]
fn equity_breakdowns_add_up_to_the_referrals_of_the_period() {
    let people = "person_id,sex,practice_code,pcn_code\nP1,female,A81001,U12345\nP2,not_known,A81001,U12345\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status\n\
R1,P1,2024-05-01,general_practice,accepted\n\
R2,P2,2024-06-01,pharmacy,declined\n\
R3,P1,2024-08-01,general_practice,declined\n";
    let population =
        "practice_code,pcn_code,age_band,sex,list_size\nA81001,U12345,35-44,female,600\n";
    let (_dir, _wh, out) = measures_for(
        &[
            ("people.csv", people.as_bytes()),
            ("referrals.csv", referrals.as_bytes()),
            ("population.csv", population.as_bytes()),
        ],
        "2024/25",
    );
    let uptake = read_csv(&out.join("service_uptake.csv"));
    let total = |c: &str| uptake.iter().map(|r| n(r, c)).sum::<i64>();
    assert_eq!((total("referred"), total("declined")), (3, 2));
    let equity = read_csv(&out.join("equity.csv"));
    for breakdown in ["age_band", "sex", "ethnic_group", "imd_quintile", "core20"] {
        let rows: Vec<_> = equity
            .iter()
            .filter(|r| r["breakdown"] == breakdown)
            .collect();
        let sum = |c: &str| rows.iter().map(|r| n(r, c)).sum::<i64>();
        assert_eq!((sum("referrals"), sum("declined")), (3, 2), "{breakdown}");
    }
}

/// SPC limits screen large moving ranges by default (Making Data Count);
/// `--spc-screen-moving-ranges false` computes them from every moving range,
/// and the table says which was used. Either way no limit of a count or a
/// share leaves its natural range.
#[test]
fn spc_screening_is_on_by_default_can_be_turned_off_and_limits_stay_in_range() {
    let (_root, out, run) = sample_measures(&["-q", "--spc-screen-moving-ranges", "false"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let unscreened = read_csv(&out.join("spc.csv"));
    assert!(
        unscreened
            .iter()
            .all(|r| r["moving_ranges_screened"] == "0")
    );
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/spc_2024-25.csv");
    let screened = read_csv(&golden);
    assert!(screened.iter().all(|r| r["moving_ranges_screened"] == "1"));
    // Screening changes some PCN's limits on the sample, never the points.
    let limits = |rows: &[HashMap<String, String>]| -> Vec<(String, String)> {
        rows.iter()
            .map(|r| (r["measure"].clone(), r["upper"].clone()))
            .collect()
    };
    assert_ne!(limits(&unscreened), limits(&screened));
    for rows in [&unscreened, &screened] {
        for r in rows.iter() {
            assert!(f(r, "lower") >= 0.0 && f(r, "near_lower") >= 0.0, "{r:?}");
            if r["measure"] == "monthly_share_declined" {
                assert!(f(r, "upper") <= 1.0 && f(r, "near_upper") <= 1.0, "{r:?}");
            }
        }
    }
}

/// `--spc-baseline-months 6` fixes each chart's mean and limits from its
/// first six months and extends them over the rest.
#[test]
fn spc_limits_can_be_fixed_from_a_baseline() {
    let (_root, out, run) = sample_measures(&["-q", "--spc-baseline-months", "6"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let rows = read_csv(&out.join("spc.csv"));
    let referrals: Vec<&HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["measure"] == "monthly_referrals")
        .collect();
    assert_eq!(referrals.len(), 12);
    let first_six: f64 = referrals[..6].iter().map(|r| f(r, "value")).sum::<f64>() / 6.0;
    for r in &referrals {
        assert!((f(r, "mean") - first_six).abs() < 1e-9, "{r:?}");
    }
    assert!(referrals[0]["warnings"].contains("only 6 points"));
}

/// A period no referral falls in is a warning that gives the data's span
/// (#19, item 11), not a set of empty tables without a word.
#[test]
fn a_period_outside_the_data_is_a_warning_with_the_data_s_span() {
    let (root, _out, run) = sample_measures(&["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("No referral falls"), "{}", run.all());
    let later = sprout(&[
        "measures",
        "-w",
        s(&root.path().join("wh")),
        "--period",
        "2030/31",
        "-o",
        s(&root.path().join("later")),
        "-q",
    ]);
    assert_eq!(later.code, 0, "{}", later.all());
    assert!(
        later.stderr.contains(
            "No referral falls in 2030/31 (2030-04-01 to 2031-03-31): the warehouse's referrals are dated 2024-04-01 to 2025-03-31"
        ),
        "{}",
        later.all()
    );
}

/// The rows of `table` in a measures folder.
fn table(out: &Path, name: &str) -> Vec<HashMap<String, String>> {
    read_csv(&out.join(format!("{name}.csv")))
}

#[test]
fn an_earlier_period_is_measured_as_its_own_run_measures_it() {
    let root = tempfile::tempdir().unwrap();
    let wh = root.path().join("wh");
    let ingest = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
    assert_eq!(ingest.code, 0, "{}", ingest.all());
    let measure = |period: &str, folder: &str| {
        let out = root.path().join(folder);
        let run = sprout(&["measures", "-w", s(&wh), "--period", period, "-o", s(&out)]);
        assert_eq!(run.code, 0, "{}", run.all());
        out
    };
    let (q3, q2) = (measure("2024/25 Q3", "q3"), measure("2024/25 Q2", "q2"));
    // The period's shares against the previous quarter's, each as that
    // quarter's own data quality table counts them.
    let comparison = table(&q3, "period_comparison");
    assert_eq!(
        comparison.len(),
        2,
        "the same quarter of 2023/24 has no data"
    );
    let quality = |out: &Path, item: &str| {
        let rows = table(out, "data_quality");
        let row = rows
            .iter()
            .find(|r| r["breakdown"] == "all" && r["item"] == item)
            .unwrap()
            .clone();
        (row["count"].clone(), row["denominator"].clone())
    };
    for row in &comparison {
        assert_eq!(row["comparison"], "previous period");
        assert_eq!(row["compared_period"], "2024/25 Q2");
        let measure = row["measure"].as_str();
        assert_eq!(
            (row["count"].clone(), row["denominator"].clone()),
            quality(&q3, measure)
        );
        assert_eq!(
            (
                row["compared_count"].clone(),
                row["compared_denominator"].clone()
            ),
            quality(&q2, measure)
        );
        let count = |c: &str| row[c].parse::<f64>().unwrap();
        let d = sprout::stats::compare::newcombe(
            count("count"),
            count("denominator"),
            count("compared_count"),
            count("compared_denominator"),
        );
        assert!((f(row, "difference_lower") - d.lower).abs() < 1e-12);
    }
    // Each score's change against the previous quarter's, as that quarter's
    // wellbeing_change has it.
    let changes = table(&q3, "wellbeing_change_comparison");
    let (own, earlier) = (
        table(&q3, "wellbeing_change"),
        table(&q2, "wellbeing_change"),
    );
    assert!(changes.len() >= 5, "{} scores", changes.len());
    for row in &changes {
        let score = row["score"].as_str();
        for (prefix, theirs) in [
            ("", overall(&own, score)),
            ("compared_", overall(&earlier, score)),
        ] {
            assert_eq!(row[&format!("{prefix}pairs")], theirs["pairs"], "{score}");
            assert_eq!(
                row[&format!("{prefix}mean_change")],
                theirs["mean_change"],
                "{score}"
            );
            assert_eq!(
                row[&format!("{prefix}reliably_improved")],
                theirs["reliably_improved"],
                "{score}"
            );
        }
    }
    // The trend's quarters are the quarters' own uptake counts, and the
    // period's quarter its own change.
    let trend = table(&q3, "referrals_trend");
    let quarters: Vec<&str> = trend.iter().map(|r| r["quarter"].as_str()).collect();
    assert_eq!(
        quarters,
        ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3"],
        "back to the first quarter with referrals"
    );
    for (out, quarter) in [(&q2, "2024/25 Q2"), (&q3, "2024/25 Q3")] {
        let uptake = table(out, "service_uptake");
        let row = trend.iter().find(|r| r["quarter"] == quarter).unwrap();
        assert_eq!(row["referrals"], uptake[0]["referred"]);
        assert_eq!(row["accepted"], uptake[0]["accepted"]);
        assert_eq!(row["part_of"], quarter);
    }
    let trend = table(&q3, "wellbeing_change_trend");
    let row = trend
        .iter()
        .find(|r| r["quarter"] == "2024/25 Q3" && r["score"] == "swemwbs_metric")
        .unwrap();
    assert_eq!(
        row["mean_change"],
        overall(&own, "swemwbs_metric")["mean_change"]
    );
    assert_eq!(
        row["change_lower"],
        overall(&own, "swemwbs_metric")["change_lower"]
    );
}

#[test]
fn by_quarter_tables_have_their_whole_period_beside_them() {
    let (_root, out, run) = sample_measures(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let sum = |rows: &[HashMap<String, String>],
               column: &str,
               pick: &dyn Fn(&HashMap<String, String>) -> bool|
     -> i64 {
        rows.iter()
            .filter(|r| pick(r))
            .map(|r| r[column].parse::<i64>().unwrap())
            .sum()
    };
    let quarters = table(&out, "service_uptake");
    let whole = table(&out, "service_uptake_period");
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0]["quarter"], "whole period");
    for column in [
        "referred",
        "accepted",
        "declined",
        "did_not_attend",
        "no_status",
        "with_first_contact",
    ] {
        assert_eq!(
            sum(&quarters, column, &|_| true),
            whole[0][column].parse::<i64>().unwrap(),
            "{column}"
        );
    }
    assert_eq!(whole[0]["referred"], "855");
    assert!(!whole[0]["median_days_to_first_contact"].is_empty());
    let quarters = table(&out, "support_offered");
    let whole = table(&out, "support_offered_period");
    assert_eq!(whole[0]["activity_type"], "all");
    for row in &whole {
        let activity = row["activity_type"].clone();
        for column in ["accepted", "onward_referrals", "connected", "connected_of"] {
            assert_eq!(
                sum(&quarters, column, &|r| r["activity_type"] == activity),
                row[column].parse::<i64>().unwrap(),
                "{activity} {column}"
            );
        }
    }
}
