//! Nothing lost, nothing impossible accepted: every physical line accounted
//! for, stray quotes caught, limits on values, contradictory dates and
//! unreadable headers refused with the fix, corrected files replacing their
//! earlier rows.

use crate::support::*;

/// Ingest `files` (people.csv added unless given) into a fresh warehouse.
fn ingest(files: &[(&str, &[u8])]) -> (Run, Fixture) {
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    if !files.iter().any(|(n, _)| *n == "people.csv") {
        all.push(("people.csv", PEOPLE.as_bytes()));
    }
    let dir = extract(&all);
    let run = sprout(&[
        "ingest",
        s(dir.path()),
        "-w",
        s(&dir.out("wh")),
        "--as-of",
        "2026-01-31",
    ]);
    (run, dir)
}

const REFERRALS_HEADER: &str =
    "referral_id,person_id,referral_date,referral_source,status,scheme\n";

fn referral(i: usize) -> String {
    format!(
        "R{i},P{},2024-05-01,general_practice,accepted,North\n",
        1 + i % 3
    )
}

/// The row of the ingest summary for `file` as (lines, records, accepted, quarantined).
fn summary(run: &Run, file: &str) -> (u64, u64, u64, u64) {
    let line = run
        .stdout
        .lines()
        .find(|l| l.trim_end().ends_with(file) && !l.contains(" = "))
        .unwrap_or_else(|| panic!("no summary row for {file}: {}", run.all()));
    let n: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(4)
        .map(|v| v.replace(',', "").parse().unwrap())
        .collect();
    (n[0], n[1], n[2], n[3])
}

#[test]
fn a_quote_never_closed_stops_the_file_at_the_line_it_opened() {
    let mut body = String::from(REFERRALS_HEADER);
    for i in 1..=767 {
        body.push_str(&referral(i));
    }
    // The sixth record opens a quote it never closes.
    body = body.replacen(
        "R6,P1,2024-05-01,general_practice,accepted,North",
        "R6,P1,2024-05-01,general_practice,accepted,\"North",
        1,
    );
    let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "referrals.csv: line 7: a quote (\") opened in column 'scheme' is never closed"
        ) && run.stderr.contains("lines 7 to 768"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr.contains("fix: close the quote on line 7"),
        "{}",
        run.all()
    );
    assert!(!dir.out("wh").exists(), "nothing ingested");
}

#[test]
fn a_quote_closed_far_too_late_quarantines_every_line_it_swallowed() {
    let mut body = String::from("contact_id,referral_id,contact_date,mode,minutes\n");
    for i in 1..=2100 {
        body.push_str(&format!("C{i},R1,2024-06-01,face_to_face,30\n"));
    }
    let body = body
        .replacen(
            "C10,R1,2024-06-01,face_to_face,30",
            "C10,R1,2024-06-01,face_to_face,\"30",
            1,
        )
        .replacen(
            "C2010,R1,2024-06-01,face_to_face,30",
            "C2010,R1,2024-06-01,face_to_face,30\"",
            1,
        );
    let referrals = format!("{REFERRALS_HEADER}{}", referral(1));
    let (run, dir) = ingest(&[
        ("referrals.csv", referrals.as_bytes()),
        ("contacts.csv", body.as_bytes()),
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    // 2,101 physical lines: the header, 99 + 91 one-line records, and one
    // record over lines 11-2011.
    assert_eq!(
        summary(&run, "contacts.csv"),
        (2101, 2100 - 2000, 2099 - 2000, 1)
    );
    assert!(
        run.stdout.contains("2,101 lines = 1 header + 99 in 99 accepted records + 2,001 in 1 quarantined record (lines 11-2,011)"),
        "{}",
        run.all()
    );
    let rows = query(
        &dir.out("wh"),
        "SELECT line, last_line, column_name, problem, detail FROM quarantine",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["line"], 11);
    assert_eq!(rows[0]["last_line"], 2011);
    assert_eq!(rows[0]["problem"], "runaway_quote");
    assert!(
        rows[0]["detail"]
            .as_str()
            .unwrap()
            .contains("closes only on line 2011")
    );
    assert_eq!(count(&dir.out("wh"), "SELECT count(*) FROM contacts"), 99);
}

#[test]
fn a_quote_that_swallows_whole_rows_into_a_name_is_caught() {
    let orgs = "organisation_id,name,category\nO1,\"Garden club,community_group\nO2,Walking,community_group\nO3,Art\",charity\nO4,Choir,charity\n";
    let (run, dir) = ingest(&[("organisations.csv", orgs.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let q = quarantine(&dir.out("wh"));
    assert_eq!(
        q,
        vec![(
            "organisations.csv".into(),
            2,
            "name".into(),
            "runaway_quote".into()
        )]
    );
    // A name written over two lines is a name, not a runaway.
    let orgs = "organisation_id,name,category\nO1,\"Walking group\nRiverside\",community_group\n";
    let (run, _dir) = ingest(&[("organisations.csv", orgs.as_bytes())]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn line_numbers_are_physical_lines_whatever_the_line_endings() {
    for (ending, name) in [("\r", "CR only"), ("\r\n", "CRLF"), ("\n", "LF")] {
        let rows = [
            "referral_id,person_id,referral_date,referral_source,status",
            "R1,P1,2024-05-01,general_practice,accepted",
            "R2,P2,2024-13-40,pharmacy,declined",
            "",
            "R3,P9,2024-05-03,police,accepted",
        ];
        let mut body = rows.join(ending);
        body.push_str(ending);
        if name == "LF" {
            // Mixed: one CR-only and one CRLF line break among LF ones.
            body = body.replacen('\n', "\r", 1).replacen('\n', "\r\n", 1);
        }
        let (run, dir) = ingest(&[("referrals.csv", body.as_bytes())]);
        assert_eq!(run.code, 1, "{name}: {}", run.all());
        assert_eq!(summary(&run, "referrals.csv"), (5, 3, 1, 2), "{name}");
        let q = quarantine(&dir.out("wh"));
        let lines: Vec<i64> = q.iter().map(|(_, line, _, _)| *line).collect();
        assert_eq!(lines, [3, 5], "{name}: {q:?}");
    }
}

#[test]
fn a_name_beyond_any_limit_is_quarantined_and_the_evaluation_still_runs() {
    let long = "x".repeat(40_000);
    let orgs = format!("organisation_id,name,category\nO1,{long},charity\nO2,Choir,charity\n");
    let (run, dir) = ingest(&[("organisations.csv", orgs.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    let rows = query(
        &dir.out("wh"),
        "SELECT problem, detail, value FROM quarantine",
    );
    assert_eq!(rows[0]["problem"], "too_long");
    assert!(
        rows[0]["detail"]
            .as_str()
            .unwrap()
            .contains("40000 characters long")
    );
    assert!(
        rows[0]["value"]
            .as_str()
            .unwrap()
            .ends_with("(40000 characters in all)"),
        "the quarantine keeps the start of the value and its length"
    );
    assert_eq!(
        count(&dir.out("wh"), "SELECT count(*) FROM organisations"),
        1
    );
}

#[test]
fn dates_that_contradict_each_other_are_quarantined_with_the_fix() {
    let people = "person_id,birth_month,sex,practice_code,registration_start,registration_end\n\
P1,1960-04,female,A81001,2001-01-01,\n\
P2,2024-09,male,A81001,2010-06-15,2009-01-01\n\
P3,2024-09,female,A81002,2024-09-15,\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status,first_contact_date,closure_date\n\
R1,P1,2024-05-01,general_practice,accepted,2024-04-20,\n\
R2,P1,2024-05-01,pharmacy,accepted,2024-05-02,2024-04-30\n\
R3,P3,2024-08-31,police,accepted,,\n\
R4,P3,2024-09-01,police,accepted,2024-09-02,2024-10-01\n";
    let (run, dir) = ingest(&[
        ("people.csv", people.as_bytes()),
        ("referrals.csv", referrals.as_bytes()),
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let rows = query(
        &dir.out("wh"),
        "SELECT source_file, line, column_name, problem, detail FROM quarantine ORDER BY source_file, line",
    );
    let got: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r["source_file"].as_str().unwrap().to_string(),
                r["line"].as_i64().unwrap(),
                r["column_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("people.csv".into(), 3, "registration_end".into()),
            ("referrals.csv".into(), 2, "first_contact_date".into()),
            ("referrals.csv".into(), 3, "closure_date".into()),
            ("referrals.csv".into(), 4, "referral_date".into()),
        ]
    );
    assert!(rows.iter().all(|r| r["problem"] == "impossible_date_order"));
    assert!(
        rows[3]["detail"]
            .as_str()
            .unwrap()
            .contains("before the person's month of birth (2024-09")
    );
    assert!(
        rows[1]["detail"]
            .as_str()
            .unwrap()
            .contains("correct either date")
    );
}

#[test]
fn headers_that_cannot_be_read_are_refused_not_dropped() {
    // UTF-16, as Excel's "Unicode text" writes it.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "person_id,sex,practice_code\nP1,female,A81001\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let (run, _dir) = ingest(&[("people.csv", &utf16)]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("UTF-16") && run.stderr.contains("CSV UTF-8"),
        "{}",
        run.all()
    );
    // A header byte that is not UTF-8.
    let (run, _dir) = ingest(&[(
        "people.csv",
        b"person_id,s\xE9x,practice_code\nP1,female,A81001\n",
    )]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("column 2 in the header has a byte (0xE9)"),
        "{}",
        run.all()
    );
    // A column named twice.
    let (run, _dir) = ingest(&[(
        "people.csv",
        b"person_id,sex,Sex,practice_code\nP1,female,male,A81001\n",
    )]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("columns 2 and 3 of the header are both called 'Sex'"),
        "{}",
        run.all()
    );
}

#[test]
fn a_date_outside_the_mapping_format_shows_the_format_and_an_example() {
    let mapping =
        "[[source]]\nfile = \"referrals.csv\"\ntable = \"referrals\"\ndate_format = \"%m/%d/%Y\"\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status\nR1,P1,31/05/2024,general_practice,accepted\nR2,P1,May 5th,general_practice,accepted\n";
    let (run, dir) = ingest(&[
        ("mapping.toml", mapping.as_bytes()),
        ("referrals.csv", referrals.as_bytes()),
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let rows = query(
        &dir.out("wh"),
        "SELECT detail FROM quarantine ORDER BY line",
    );
    for row in &rows {
        let detail = row["detail"].as_str().unwrap();
        assert!(
            detail.contains("'%m/%d/%Y'")
                && detail.contains("31 March 2025 is written '03/31/2025'"),
            "{detail}"
        );
    }
}

#[test]
fn a_spreadsheet_with_its_data_on_another_sheet_says_which_sheet_was_read() {
    let dir = extract(&[]);
    let path = dir.path().join("people.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "Exported by the case system")
        .unwrap();
    let data = book.add_worksheet().set_name("Data").unwrap();
    for (c, h) in ["person_id", "sex", "practice_code"].iter().enumerate() {
        data.write_string(0, c as u16, *h).unwrap();
    }
    book.save(&path).unwrap();
    let run = sprout(&["ingest", s(&path), "-w", s(&dir.out("wh"))]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("sprout read sheet 'Notes'") && run.stderr.contains("sheet = \"Data\""),
        "{}",
        run.all()
    );
}

#[test]
fn merged_cells_are_read_as_displayed_and_reported() {
    let dir = extract(&[]);
    let path = dir.path().join("people.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["person_id", "sex", "practice_code"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, id) in ["P1", "P2", "P3"].iter().enumerate() {
        sheet.write_string(r as u32 + 1, 0, *id).unwrap();
        sheet.write_string(r as u32 + 1, 1, "female").unwrap();
    }
    // One practice code shown across three rows.
    sheet
        .merge_range(1, 2, 3, 2, "A81001", &rust_xlsxwriter::Format::new())
        .unwrap();
    book.save(&path).unwrap();
    let run = sprout(&["ingest", s(&path), "-w", s(&dir.out("wh"))]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("1 merged cell region on sheet 'Sheet1' read as displayed"),
        "{}",
        run.all()
    );
    assert_eq!(
        count(
            &dir.out("wh"),
            "SELECT count(*) FROM people WHERE practice_code = 'A81001'"
        ),
        3
    );
}

#[test]
fn a_corrected_file_replaces_its_earlier_rows_and_quarantine() {
    let dir = extract(&[("people.csv", PEOPLE.as_bytes())]);
    let wh = dir.out("wh");
    let file = dir.path().join("referrals.csv");
    let mut body = String::from(REFERRALS_HEADER);
    for i in 1..=20 {
        body.push_str(&referral(i));
    }
    body.push_str("R21,P1,2024-05-40,general_practice,accepted,North\n");
    std::fs::write(&file, &body).unwrap();
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "{}", run.all());
    // The corrected export, saved over the first.
    std::fs::write(&file, body.replace("2024-05-40", "2024-05-04")).unwrap();
    let run = sprout(&["ingest", s(&file), "-w", s(&wh)]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("replaces the rows and quarantined rows of the earlier version"),
        "{}",
        run.all()
    );
    assert_eq!(count(&wh, "SELECT count(*) FROM referrals"), 21);
    assert_eq!(count(&wh, "SELECT count(*) FROM quarantine"), 0);
    let manifest = std::fs::read_to_string(wh.join("manifest.json")).unwrap();
    assert_eq!(
        manifest.matches("\"table\": \"referrals\"").count(),
        1,
        "{manifest}"
    );
}

#[test]
fn a_long_events_file_keeps_its_order_and_lines() {
    // Problems either side of 4,096-row edges (where a reader working in
    // chunks would split the file), a blank line and an unknown person must
    // keep their exact lines, and the accepted rows the file's order.
    let bad_dates = [1_000, 4_097, 4_098, 4_099, 12_289, 19_999];
    let mut body = String::from("person_id,event_date,setting\n");
    let start = chrono::NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
    for line in 2..=20_001u32 {
        if line == 8_000 {
            body.push_str(",,\n");
        } else if bad_dates.contains(&line) {
            body.push_str("P1,2024-02-30,gp_appointment\n");
        } else if line == 15_000 {
            body.push_str("P9,2024-01-01,gp_appointment\n");
        } else {
            let day = start + chrono::Days::new(u64::from(line / 8));
            body.push_str(&format!("P{},{day},gp_appointment\n", 1 + line % 3));
        }
    }
    let (run, dir) = ingest(&[("health_events.csv", body.as_bytes())]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        summary(&run, "health_events.csv"),
        (20_001, 19_999, 19_992, 7)
    );
    let lines: Vec<i64> = quarantine(&dir.out("wh"))
        .into_iter()
        .map(|(_, line, _, _)| line)
        .collect();
    assert_eq!(lines, [1_000, 4_097, 4_098, 4_099, 12_289, 15_000, 19_999]);
    // The part file holds the accepted rows in the file's order.
    let part = std::fs::read_dir(dir.out("wh").join("health_events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a part file");
    let reader =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(part).unwrap(),
        )
        .unwrap()
        .build()
        .unwrap();
    let mut days = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("event_date").unwrap();
        let dates = column
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Date32Array>()
            .unwrap();
        days.extend(dates.values().iter().copied());
    }
    assert_eq!(days.len(), 19_992);
    assert!(
        days.is_sorted(),
        "accepted rows are written in the file's order"
    );
}
