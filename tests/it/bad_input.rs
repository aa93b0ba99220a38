//! Bad extracts: each gives a clear message naming file, line and column, and no good row is lost.

use crate::support::*;

/// Ingest `files` (people.csv is added unless given) and return the run and warehouse.
fn ingest(files: &[(&str, &[u8])]) -> (Run, Fixture) {
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    if !files.iter().any(|(n, _)| *n == "people.csv") {
        all.push(("people.csv", PEOPLE.as_bytes()));
    }
    let dir = extract(&all);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(dir.path()),
        "-w",
        s(&wh),
        "--as-of",
        "2026-01-31",
    ]);
    (run, dir)
}

const REFERRALS_HEADER: &str = "referral_id,person_id,referral_date,referral_source,status\n";

#[test]
fn an_empty_file_stops_with_its_name_and_writes_nothing() {
    let (run, dir) = ingest(&[("referrals.csv", b"")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("referrals.csv: the file is empty"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("fix:"), "{}", run.all());
    assert!(
        !dir.out("wh").exists(),
        "nothing written when a file cannot be read"
    );
}

#[test]
fn a_truncated_file_keeps_every_complete_row() {
    let body = format!(
        "{REFERRALS_HEADER}R1,P1,2024-05-01,general_practice,accepted\nR2,P2,2024-05-02,pharmacy,declined\nR3,P3,2024-0"
    );
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 2);
    assert_eq!(
        quarantine(&wh),
        vec![(
            "referrals.csv".into(),
            4,
            String::new(),
            "wrong_field_count".into()
        )]
    );
}

#[test]
fn a_semicolon_file_is_detected_and_a_wrong_delimiter_setting_is_explained() {
    let body = "referral_id;person_id;referral_date;referral_source\nR1;P1;2024-05-01;pharmacy\n";
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 0, "detected: {}", run.all());
    assert_eq!(count(&dir.out("wh"), "SELECT count(*) FROM referrals"), 1);

    let mapping =
        "[[source]]\nfile = \"referrals.csv\"\ntable = \"referrals\"\ndelimiter = \",\"\n";
    let (run, dir) = ingest(&[
        ("referrals.csv", body.as_bytes()),
        ("mapping.toml", mapping.as_bytes()),
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("referrals.csv"), "{}", run.all());
    assert!(run.stderr.contains("required columns"), "{}", run.all());
    assert!(
        run.stderr.contains("read as one column with delimiter ','"),
        "{}",
        run.all()
    );
    assert!(!dir.out("wh").exists());
}

#[test]
fn bytes_that_are_not_utf8_quarantine_only_their_row() {
    let mut body = REFERRALS_HEADER.as_bytes().to_vec();
    body.extend_from_slice(b"R1,P1,2024-05-01,general_practice,accepted\n");
    body.extend_from_slice(b"R2,P2,2024-05-02,pharmacy,d\xE9clined\n");
    body.extend_from_slice(b"R3,P3,2024-05-03,police,accepted\n");
    let (run, dir) = ingest(&[("referrals.csv", &body)]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 2);
    assert_eq!(
        quarantine(&wh),
        vec![(
            "referrals.csv".into(),
            3,
            "status".into(),
            "not_utf8".into()
        )]
    );
    let detail = query(&wh, "SELECT detail FROM quarantine");
    assert!(detail[0]["detail"].as_str().unwrap().contains("0xE9"));
}

#[test]
fn bad_impossible_and_future_dates_are_told_apart() {
    let body = format!(
        "{REFERRALS_HEADER}R1,P1,2024-02-29,general_practice,accepted\n\
         R2,P1,2023-02-29,general_practice,accepted\n\
         R3,P2,yesterday,pharmacy,accepted\n\
         R4,P2,2027-01-01,pharmacy,accepted\n\
         R5,P3,31/12/2025,police,accepted\n"
    );
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(
        count(&wh, "SELECT count(*) FROM referrals"),
        2,
        "R1 and R5 are good"
    );
    assert_eq!(
        quarantine(&wh),
        vec![
            (
                "referrals.csv".into(),
                3,
                "referral_date".into(),
                "impossible_date".into()
            ),
            (
                "referrals.csv".into(),
                4,
                "referral_date".into(),
                "invalid_date".into()
            ),
            (
                "referrals.csv".into(),
                5,
                "referral_date".into(),
                "future_date".into()
            ),
        ]
    );
    assert!(run.stdout.contains("impossible_date"), "{}", run.all());
}

#[test]
fn unknown_codes_name_the_allowed_ones() {
    let body = format!(
        "{REFERRALS_HEADER}R1,P1,2024-05-01,GP,accepted\nR2,P2,2024-05-01,witchdoctor,accepted\n"
    );
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 1);
    let q = query(
        &wh,
        "SELECT line, column_name, value, problem, detail FROM quarantine",
    );
    assert_eq!(q[0]["line"], 3);
    assert_eq!(q[0]["value"], "witchdoctor");
    assert_eq!(q[0]["problem"], "unknown_code");
    let detail = q[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("self_referral") && detail.contains("[source.codes.referral_source]"),
        "{detail}"
    );
}

#[test]
fn duplicate_ids_in_one_file_keep_the_first() {
    let body = format!(
        "{REFERRALS_HEADER}R1,P1,2024-05-01,pharmacy,accepted\nR1,P2,2024-06-01,pharmacy,accepted\nR2,P2,2024-06-01,pharmacy,accepted\n"
    );
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 2);
    let q = query(&wh, "SELECT line, problem, detail FROM quarantine");
    assert_eq!(q[0]["line"], 3);
    assert_eq!(q[0]["problem"], "duplicate_id");
    assert!(q[0]["detail"].as_str().unwrap().contains("line 2"));
}

#[test]
fn orphan_referrals_are_quarantined_and_so_are_their_children() {
    let body = format!(
        "{REFERRALS_HEADER}R1,P1,2024-05-01,pharmacy,accepted\nR2,P99,2024-05-01,pharmacy,accepted\n"
    );
    let contacts = b"referral_id,contact_date,mode,minutes\nR1,2024-05-03,telephone,20\nR2,2024-05-04,telephone,20\n";
    let (run, dir) = ingest(&[
        ("referrals.csv", body.as_bytes()),
        ("contacts.csv", contacts),
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 1);
    assert_eq!(count(&wh, "SELECT count(*) FROM contacts"), 1);
    assert_eq!(
        quarantine(&wh),
        vec![
            (
                "contacts.csv".into(),
                3,
                "referral_id".into(),
                "unknown_reference".into()
            ),
            (
                "referrals.csv".into(),
                3,
                "person_id".into(),
                "unknown_reference".into()
            ),
        ]
    );
}

#[test]
fn nhs_numbers_without_a_key_stop_before_anything_is_read() {
    let people = b"nhs_number,sex,practice_code\n9434765919,female,A81001\n";
    let (run, dir) = ingest(&[("people.csv", people)]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("people.csv"), "{}", run.all());
    assert!(run.stderr.contains("SPROUT_PSEUDONYM_KEY"), "{}", run.all());
    assert!(!run.stderr.contains("9434765919"));
    assert!(!dir.out("wh").exists());
}

#[test]
fn an_nhs_number_in_the_person_id_column_is_refused_and_redacted() {
    let people = b"person_id,sex,practice_code\nP1,female,A81001\n9434765919,male,A81001\n";
    let (run, dir) = ingest(&[("people.csv", people)]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM people"), 1);
    let q = query(&wh, "SELECT value, problem FROM quarantine");
    assert_eq!(q[0]["problem"], "unpseudonymised_nhs_number");
    assert_eq!(q[0]["value"], "[redacted]");
}

#[test]
fn out_of_range_items_and_missing_required_values_are_quarantined() {
    let assessments = b"person_id,instrument,assessment_date,item_1,item_2,item_3,item_4\n\
P1,ons4,2024-05-01,7,8,6,2\n\
P1,ons4,2024-08-01,7,8,11,2\n\
P2,ucla3,2024-05-01,1,2,3,1\n\
P3,,2024-05-01,1,2,3,\n\
P2,wemwbs,2024-05-01,1,2,3,4\n";
    let (run, dir) = ingest(&[("assessments.csv", assessments)]);
    assert_eq!(run.code, 1, "{}", run.all());
    let wh = dir.out("wh");
    assert_eq!(count(&wh, "SELECT count(*) FROM assessments"), 1);
    assert_eq!(
        quarantine(&wh),
        vec![
            (
                "assessments.csv".into(),
                3,
                "item_3".into(),
                "out_of_range".into()
            ),
            (
                "assessments.csv".into(),
                4,
                "item_4".into(),
                "unexpected_item".into()
            ),
            (
                "assessments.csv".into(),
                5,
                "instrument".into(),
                "missing_value".into()
            ),
            (
                "assessments.csv".into(),
                6,
                "item_5".into(),
                "missing_item".into(),
            ),
        ]
    );
}

#[test]
fn a_file_that_names_no_table_gets_the_fix() {
    let (run, _dir) = ingest(&[("export_2025.csv", b"a,b\n1,2\n")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("export_2025.csv: cannot tell which table"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("[[source]]"), "{}", run.all());
}

#[test]
fn a_bad_mapping_file_names_the_line() {
    let (run, _dir) = ingest(&[("mapping.toml", b"[[source]]\nfile = \"x.csv\"\ntable = 3\n")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("mapping.toml"), "{}", run.all());
    assert!(run.stderr.contains("line 3"), "{}", run.all());
}

#[test]
fn quoted_newlines_and_a_byte_order_mark_are_read() {
    let body = "\u{feff}organisation_id,name,category\nORG1,\"Walking group,\nRiverside\",community_group\nORG2,Art club,charity\n";
    let (run, dir) = ingest(&[("organisations.csv", body.as_bytes())]);
    assert_eq!(run.code, 0, "{}", run.all());
    let rows = query(
        &dir.out("wh"),
        "SELECT organisation_id, name FROM organisations ORDER BY organisation_id",
    );
    assert_eq!(rows[0]["organisation_id"], "ORG1");
    assert_eq!(rows[0]["name"], "Walking group,\nRiverside");
}
