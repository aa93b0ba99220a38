//! Clean ingests: sample data, re-ingest, mapping files, Excel, Parquet, NHS numbers.

use std::sync::Arc;

use crate::support::*;

#[test]
fn the_sample_data_ingests_cleanly_and_every_row_arrives() {
    let out = tempfile::tempdir().unwrap();
    let wh = out.path().join("warehouse");
    let run = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh)]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Ingested 9 files"), "{}", run.all());

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wh.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema_version"], sprout::model::SCHEMA_VERSION);
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_extract().join("truth.json")).unwrap(),
    )
    .unwrap();
    let tables = &manifest["tables"];
    assert_eq!(tables["people"], truth["counts"]["people"]);
    assert_eq!(tables["referrals"], truth["counts"]["referred"]);
    assert_eq!(tables["health_events"], truth["counts"]["health_events"]);
    assert_eq!(tables["quarantine"], 0);
    for input in manifest["inputs"].as_array().unwrap() {
        assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(input["rows_read"], input["rows_accepted"]);
    }
    // The vendor-style export arrived through its mapping: UK dates, labels, constants.
    let vendor = query(
        &wh,
        "SELECT count(*) AS n, min(referral_date) AS first, count(DISTINCT scheme) AS schemes \
         FROM referrals WHERE scheme = 'Meadowbank Social Prescribing'",
    );
    assert!(vendor[0]["n"].as_i64().unwrap() > 50);
    assert_eq!(vendor[0]["schemes"], 1);
    assert!(vendor[0]["first"].as_str().unwrap().starts_with("2024-04"));
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM referral_needs WHERE need NOT IN ('long_term_condition','mental_health','loneliness_isolation','complex_social_needs','financial','housing','employment_education','physical_activity','weight_management','carer_support','bereavement','substance_use','frailty_falls','digital_exclusion','other')"
        ),
        0
    );
}

#[test]
fn ingesting_the_same_file_again_does_not_duplicate_rows() {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let wh = dir.out("wh");
    for _ in 0..2 {
        let run = sprout(&["ingest", s(&dir.path().join("people.csv")), "-w", s(&wh)]);
        assert_eq!(run.code, 0, "{}", run.all());
    }
    // A copy under another name is the same content: still no duplicates.
    std::fs::copy(
        dir.path().join("people.csv"),
        dir.path().join("copy").with_extension("csv"),
    )
    .unwrap();
    let mapping = dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        "[[source]]\nfile = \"copy.csv\"\ntable = \"people\"\n",
    )
    .unwrap();
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("copy.csv")),
        "-w",
        s(&wh),
        "-m",
        s(&mapping),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(count(&wh, "SELECT count(*) FROM people"), 3);
    let manifest = std::fs::read_to_string(wh.join("manifest.json")).unwrap();
    assert_eq!(
        manifest.matches("\"table\": \"people\"").count(),
        1,
        "{manifest}"
    );
}

#[test]
fn a_second_extract_adds_rows_and_repeated_ids_are_quarantined_not_duplicated() {
    let dir = extract(&[
        ("a/people.csv", PEOPLE.as_bytes()),
        (
            "b/people.csv",
            b"person_id,sex,practice_code\nP3,female,A81002\nP4,male,A81002\n",
        ),
    ]);
    let wh = dir.out("wh");
    assert_eq!(
        sprout(&["ingest", s(&dir.path().join("a")), "-w", s(&wh)]).code,
        0
    );
    let run = sprout(&["ingest", s(&dir.path().join("b")), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(count(&wh, "SELECT count(*) FROM people"), 4);
    let q = quarantine(&wh);
    assert_eq!(
        q,
        vec![(
            "people.csv".to_string(),
            2,
            "person_id".to_string(),
            "duplicate_id".to_string()
        )]
    );
}

#[test]
fn a_mapping_file_maps_headers_dates_codes_and_constants() {
    let dir = extract(&[
        ("people.csv", PEOPLE.as_bytes()),
        (
            "casebook.txt",
            "Ref|Client|Received|From|Needs|Result\n\
             X1|P1|01/04/2025|Surgery|Lonely; Money|Seen\n\
             X2|P2|31/03/2025|Self|mental_health|Declined\n"
                .as_bytes(),
        ),
        (
            "mapping.toml",
            br#"
[[source]]
file = "casebook.txt"
table = "referrals"
date_format = "%d/%m/%Y"
[source.columns]
referral_id = "Ref"
person_id = "Client"
referral_date = "Received"
referral_source = "From"
needs = "Needs"
status = "Result"
[source.codes.referral_source]
"Surgery" = "general_practice"
[source.codes.needs]
"Lonely" = "loneliness_isolation"
"Money" = "financial"
[source.codes.status]
"Seen" = "accepted"
[source.constants]
scheme = "Test scheme"
"#,
        ),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 0, "{}", run.all());
    let rows = query(
        &wh,
        "SELECT referral_id, CAST(referral_date AS VARCHAR) AS d, referral_source, status, scheme FROM referrals ORDER BY referral_id",
    );
    assert_eq!(rows[0]["d"], "2025-04-01");
    assert_eq!(rows[0]["referral_source"], "general_practice");
    assert_eq!(rows[0]["status"], "accepted");
    assert_eq!(rows[1]["d"], "2025-03-31");
    assert_eq!(rows[1]["referral_source"], "self_referral");
    assert_eq!(rows[1]["scheme"], "Test scheme");
    let needs = query(
        &wh,
        "SELECT referral_id, need FROM referral_needs ORDER BY referral_id, need",
    );
    let needs: Vec<(String, String)> = needs
        .iter()
        .map(|r| {
            (
                r["referral_id"].as_str().unwrap().into(),
                r["need"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        needs,
        vec![
            ("X1".into(), "financial".into()),
            ("X1".into(), "loneliness_isolation".into()),
            ("X2".into(), "mental_health".into())
        ]
    );
}

#[test]
fn excel_extracts_are_read_with_real_dates() {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let path = dir.path().join("health_events.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in ["person_id", "event_date", "setting"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        ("P1", (2024, 2, 29), "gp_appointment"),
        ("P2", (2025, 1, 1), "A&E"),
        ("P9", (2024, 5, 5), "outpatient"),
    ];
    for (r, (person, (y, m, d), setting)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *person).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
        sheet
            .write_datetime_with_format(r, 1, &date, &date_format)
            .unwrap();
        sheet.write_string(r, 2, *setting).unwrap();
    }
    book.save(&path).unwrap();
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "P9 is not a person: {}", run.all());
    let events = query(
        &wh,
        "SELECT person_id, CAST(event_date AS VARCHAR) AS d, setting FROM health_events ORDER BY person_id",
    );
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["d"], "2024-02-29");
    assert_eq!(events[1]["setting"], "ae_attendance");
    assert_eq!(
        quarantine(&wh),
        vec![(
            "health_events.xlsx".to_string(),
            4,
            "person_id".to_string(),
            "unknown_reference".to_string()
        )]
    );
}

#[test]
fn parquet_extracts_are_read_with_typed_columns() {
    use datafusion::arrow::array::{Date32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("event_date", DataType::Date32, true),
        Field::new("setting", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["P1", "P2", "P3"])),
            Arc::new(Date32Array::from(vec![Some(19_782), None, Some(20_000)])),
            Arc::new(StringArray::from(vec![
                "gp_appointment",
                "outpatient",
                "emergency_admission",
            ])),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(dir.path().join("health_events.parquet")).unwrap();
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "{}", run.all());
    let rows = query(
        &wh,
        "SELECT person_id, CAST(event_date AS VARCHAR) AS d FROM health_events ORDER BY person_id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["d"], "2024-02-29");
    assert_eq!(
        quarantine(&wh),
        vec![(
            "health_events.parquet".to_string(),
            2,
            "event_date".to_string(),
            "missing_value".to_string()
        )]
    );
}

#[test]
fn nhs_numbers_become_keyed_pseudonyms_and_are_never_stored() {
    let key = "a-test-key-of-sufficient-length-123";
    let dir = extract(&[
        (
            "people.csv",
            b"nhs_number,sex,practice_code\n943 476 5919,female,A81001\n4010232137,male,A81001\n9434765918,male,A81001\n",
        ),
        ("health_events.csv", b"nhs_number,event_date,setting\n9434765919,2024-01-02,gp_appointment\n"),
    ]);
    let wh = dir.out("wh");
    let run = sprout_with_env(
        &["ingest", s(dir.path()), "-w", s(&wh)],
        &[("SPROUT_PSEUDONYM_KEY", key)],
    );
    assert_eq!(
        run.code,
        1,
        "one number has a wrong check digit: {}",
        run.all()
    );
    let people = query(&wh, "SELECT person_id FROM people ORDER BY person_id");
    assert_eq!(people.len(), 2);
    for p in &people {
        assert_eq!(p["person_id"].as_str().unwrap().len(), 32);
    }
    // The event links to the same pseudonym as the person.
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM health_events e JOIN people p USING (person_id)"
        ),
        1
    );
    assert_eq!(
        quarantine(&wh),
        vec![(
            "people.csv".to_string(),
            4,
            "nhs_number".to_string(),
            "invalid_nhs_number".to_string()
        )]
    );
    // No raw number anywhere in the warehouse, the quarantine table included.
    for entry in walk(&wh) {
        let bytes = std::fs::read(&entry).unwrap();
        for raw in ["9434765919", "4010232137", "9434765918"] {
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                "{raw} found in {}",
                entry.display()
            );
        }
    }
    assert!(!run.stdout.contains("943") && !run.stderr.contains("943"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_same_extracts_give_a_byte_identical_warehouse() {
    let root = tempfile::tempdir().unwrap();
    let mut snapshots = Vec::new();
    for name in ["one", "two"] {
        let wh = root.path().join(name);
        let run = sprout(&["ingest", s(&sample_extract()), "-w", s(&wh), "-q"]);
        assert_eq!(run.code, 0, "{}", run.all());
        let mut files: Vec<_> = walk(&wh)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(&wh).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        snapshots.push(files);
    }
    assert!(snapshots[0] == snapshots[1]);
}

/// A people file of `rows` rows after the header, with `bad` rows given a
/// sex that is not a code.
fn many_people(rows: usize, bad: &[usize]) -> String {
    let mut csv = String::from(
        "person_id,birth_month,sex,ethnicity,practice_code,pcn_code,registration_start\n",
    );
    for i in 1..=rows {
        let sex = if bad.contains(&i) {
            "sometimes"
        } else {
            "female"
        };
        csv.push_str(&format!("P{i},1960-04,{sex},A,A81001,U12345,2001-01-01\n"));
    }
    csv
}

#[test]
fn rows_keep_their_order_and_lines_across_the_chunks_the_reader_hands_on() {
    // Rows are read ahead on their own thread in chunks of 1,024: bad rows
    // on either side of a chunk's edge, and at the very end, are quarantined
    // on their own lines, and every other row arrives once, in order.
    let bad = [1, 1023, 1024, 1025, 2048, 2049, 3000];
    let fixture = extract(&[("people.csv", many_people(3000, &bad).as_bytes())]);
    let wh = fixture.out("warehouse");
    let run = sprout(&["ingest", s(fixture.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "rows were quarantined: {}", run.all());
    let lines: Vec<i64> = quarantine(&wh).iter().map(|q| q.1).collect();
    // Line 1 is the header, so row i is on line i + 1.
    let expected: Vec<i64> = bad.iter().map(|&i| i as i64 + 1).collect();
    assert_eq!(lines, expected);
    let ids = query(&wh, "SELECT person_id FROM people");
    let kept: Vec<String> = ids
        .iter()
        .map(|r| r["person_id"].as_str().unwrap().to_string())
        .collect();
    let wanted: Vec<String> = (1..=3000)
        .filter(|i| !bad.contains(i))
        .map(|i| format!("P{i}"))
        .collect();
    assert_eq!(kept, wanted, "rows are stored in the file's order");
}

#[test]
fn a_quote_left_open_after_several_chunks_stops_the_file_and_names_its_line() {
    let mut csv = many_people(2500, &[]);
    csv.push_str("P2501,1960-04,\"female,A,A81001,U12345,2001-01-01\n");
    csv.push_str("P2502,1960-04,female,A,A81001,U12345,2001-01-01\n");
    let fixture = extract(&[("people.csv", csv.as_bytes())]);
    let wh = fixture.out("warehouse");
    let run = sprout(&["ingest", s(fixture.path()), "-w", s(&wh)]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.all()
            .contains("line 2502: a quote (\") opened in column 'sex' is never closed"),
        "{}",
        run.all()
    );
    assert!(!wh.join("people").exists(), "nothing of the file is stored");
}
